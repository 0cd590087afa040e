/* store_sqlite_backup - store_sqlite_backup (store_sqlite.h): a copy of a live database.
 *
 * The backup API restarts its copy whenever another connection writes the source between two
 * steps, so against a server that writes all the time it could restart for ever. Holding one
 * read transaction on the source for the whole copy pins its snapshot (WAL: the server's
 * writes go on, into the WAL, and no restart is triggered); the steps stay small, so the copy
 * never holds SQLite's mutexes long. A checkpoint cannot pass the snapshot while it is held:
 * the WAL grows for the time of the copy, and is checkpointed after. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store_sqlite.h"
#include "store/store_sqlite_int.h"

#define STEP_PAGES 64      /* pages per step: 256 KiB at SQLite's default page size */
#define BUSY_WAIT_MS 20    /* between attempts of a step the source or copy was busy for */
#define BUSY_ATTEMPTS 1500 /* 30 s of them */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return STORE_EFAILED;
}

/* Writes the file (or directory) at path to disk. 0 or -1 with errno. */
static int sync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* src opened (read-write, only to read: a read-only connection cannot open a WAL database
 * whose -shm file is missing), checked to be parley's, with a read transaction open. */
static int open_source(const char *src, sqlite3 **out, char *err, size_t cap)
{
    struct stat st;
    if (stat(src, &st) < 0)
        return fail(err, cap, "cannot read %s: %s", src, strerror(errno));
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(src, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fail(err, cap, "cannot open %s: %s", src, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return STORE_EFAILED;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    sqlite3_stmt *q = NULL;
    int version = -1;
    /* BEGIN and a read start the transaction the whole copy is made in. */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (version <= 0) {
        fail(err, cap, "%s is not a parley database (%s)", src,
             version < 0 ? sqlite3_errmsg(db) : "no parley schema in it");
        sqlite3_close(db);
        return STORE_EFAILED;
    }
    *out = db;
    return 0;
}

/* Copies the snapshot of from into to, a few pages at a time. */
static int copy_pages(sqlite3 *from, sqlite3 *to, int step_pages, int pause_ms, char *err,
                      size_t cap)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    if (!b)
        return fail(err, cap, "cannot start the copy: %s", sqlite3_errmsg(to));
    int rc, busy = 0;
    do {
        rc = sqlite3_backup_step(b, step_pages > 0 ? step_pages : STEP_PAGES);
        if (rc == SQLITE_OK && pause_ms > 0)
            sqlite3_sleep(pause_ms);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            if (++busy > BUSY_ATTEMPTS)
                break;
            sqlite3_sleep(BUSY_WAIT_MS);
            rc = SQLITE_OK;
        }
    } while (rc == SQLITE_OK);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        return fail(err, cap, "the copy failed: %s",
                    rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? "the database stayed busy"
                                                             : sqlite3_errstr(rc));
    return 0;
}

/* The copy at path passes quick_check. */
static int check_copy(sqlite3 *db, const char *path, char *err, size_t cap)
{
    sqlite3_stmt *q = NULL;
    char result[128] = "";
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        snprintf(result, sizeof(result), "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (strcmp(result, "ok") != 0)
        return fail(err, cap, "the copy %s does not pass quick_check: %s", path,
                    result[0] ? result : sqlite3_errmsg(db));
    return 0;
}

int store_sqlite_backup(const char *src, const char *dst, int step_pages, int pause_ms, char *err,
                        size_t cap)
{
    struct stat s1, s2;
    if (stat(src, &s1) == 0 && stat(dst, &s2) == 0 && s1.st_dev == s2.st_dev &&
        s1.st_ino == s2.st_ino)
        return fail(err, cap, "%s is the database itself: give another file", dst);
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.partial", dst) >= sizeof(tmp))
        return fail(err, cap, "%s: the name is too long", dst);
    sqlite3 *from = NULL, *to = NULL;
    int rc = open_source(src, &from, err, cap);
    if (rc < 0)
        return rc;
    (void)unlink(tmp); /* what an interrupted backup left */
    if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        rc = fail(err, cap, "cannot create %s: %s", tmp, to ? sqlite3_errmsg(to) : "out of memory");
        goto close_to;
    }
    sqlite3_busy_timeout(to, BUSY_TIMEOUT_MS);
    rc = copy_pages(from, to, step_pages, pause_ms, err, cap);
    if (rc == 0)
        rc = check_copy(to, tmp, err, cap);
    /* The copy keeps the source's WAL mode; closing its only connection folds its WAL into the
     * file and removes it, so the file alone is the whole copy. */
    if (rc == 0 &&
        sqlite3_exec(to, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
        rc = fail(err, cap, "cannot complete %s: %s", tmp, sqlite3_errmsg(to));
close_to:
    if (sqlite3_close(to) != SQLITE_OK && rc == 0)
        rc = fail(err, cap, "cannot close %s", tmp);
    sqlite3_exec(from, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(from);
    if (rc == 0 && sync_path(tmp, O_RDONLY) < 0)
        rc = fail(err, cap, "cannot write %s to disk: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, dst) < 0)
        rc = fail(err, cap, "cannot rename %s to %s: %s", tmp, dst, strerror(errno));
    if (rc == 0) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", dst);
        if (sync_path(dirname(dir), O_RDONLY | O_DIRECTORY) < 0)
            rc = fail(err, cap, "cannot write the directory of %s to disk: %s", dst,
                      strerror(errno));
    }
    if (rc < 0) {
        (void)unlink(tmp);
        char side[PATH_MAX + 8];
        snprintf(side, sizeof(side), "%s-wal", tmp);
        (void)unlink(side);
        snprintf(side, sizeof(side), "%s-shm", tmp);
        (void)unlink(side);
    }
    return rc;
}
