/* cli_backup - `parley backup`; see cli_backup.h. */
#include "cli/cli_backup.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_open.h"
#include "store/store_sqlite.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: parley backup FILE [--db PATH | --store URL] [--files DIR]\n"
               "Copies the SQLite database (default parley.db) to FILE while a server may run\n"
               "and write; then copy the uploaded files directory (it names it) with rsync or\n"
               "tar. With --store postgresql://... use pg_dump instead. See docs/backups.md.\n");
}

/* Whether arg is flag --NAME: its value is then "--name=V"'s V, or next (NULL when missing). */
static bool is_flag(const char *arg, const char *next, const char *name, const char **value,
                    bool *took_next)
{
    size_t n = strlen(name);
    if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, name, n) != 0)
        return false;
    if (arg[2 + n] == '=') {
        *value = arg + 3 + n;
        return true;
    }
    if (arg[2 + n] != '\0')
        return false;
    *value = next;
    *took_next = true;
    return true;
}

/* The files directory a server on this store uses by default: beside the SQLite file, its
 * name without the extension plus ".files" (main.c's rule). */
static void files_beside(const char *db, char *out, size_t cap)
{
    const char *slash = strrchr(db, '/'), *dot = strrchr(db, '.');
    int len = dot && (!slash || dot > slash + 1) ? (int)(dot - db) : (int)strlen(db);
    snprintf(out, cap, "%.*s.files", len, db);
}

static int pg_advice(const char *url)
{
    char shown[1024];
    store_url_shown(url, shown, sizeof(shown));
    fprintf(stderr,
            "parley: backup: %s is a PostgreSQL store: back it up with PostgreSQL's own tools,\n"
            "  pg_dump --format=custom --file parley.dump '%s'\n"
            "(a consistent snapshot while parley serves; restore into an empty database with\n"
            "pg_restore --no-owner --dbname URL parley.dump), and copy the uploaded files\n"
            "directory (--files) with rsync or tar. See docs/backups.md.\n",
            shown, shown);
    return 2;
}

int cli_backup_main(int argc, char **argv)
{
    const char *file = NULL, *db = getenv("PARLEY_DB"), *store = getenv("PARLEY_STORE"),
               *files = getenv("PARLEY_FILES");
    int bad = 0;
    static const char *const names[] = {"db", "store", "files"};
    const char **slots[] = {&db, &store, &files};
    for (int i = 1; i < argc && !bad; i++) {
        const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL, *v = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        bool matched = false, took_next = false;
        for (size_t k = 0; k < 3 && !matched; k++) {
            if ((matched = is_flag(arg, next, names[k], &v, &took_next)))
                *slots[k] = v;
        }
        if (matched && !v) {
            fprintf(stderr, "parley: backup: %s needs a value\n", arg);
            bad = 1;
        } else if (matched) {
            i += took_next;
        } else if (strncmp(arg, "--", 2) == 0 || file) {
            fprintf(stderr, "parley: backup: unexpected '%s'\n", arg);
            bad = 1;
        } else {
            file = arg;
        }
    }
    if (!bad && !file) {
        fprintf(stderr, "parley: backup: which FILE to write?\n");
        bad = 1;
    }
    if (!bad && store && *store && db && *db) {
        fprintf(stderr, "parley: backup: --store and --db both given: give one\n");
        bad = 1;
    }
    if (bad) {
        usage(stderr);
        return 2;
    }
    if (store && *store) {
        if (strncmp(store, "postgres", 8) == 0)
            return pg_advice(store);
        if (strncmp(store, "sqlite:", 7) != 0) {
            fprintf(stderr, "parley: backup: --store names no store this build knows (%s)\n",
                    store_schemes());
            return 2;
        }
        db = store + 7;
    }
    if (!db || !*db)
        db = "parley.db";
    char err[1024], dir[4096];
    const char *slow = getenv("PARLEY_TEST_BACKUP_SLOW");
    bool test_slow = slow && strcmp(slow, "1") == 0;
    if (store_sqlite_backup(db, file, test_slow ? 1 : 0, test_slow ? 5 : 0, err, sizeof(err)) < 0) {
        fprintf(stderr, "parley: backup: %s\n", err);
        return 1;
    }
    if (files && *files)
        snprintf(dir, sizeof(dir), "%s", files);
    else
        files_beside(db, dir, sizeof(dir));
    printf("parley: %s copied to %s. The uploaded files are not in it: copy them now with\n"
           "  rsync -a '%s/' DEST/   (or tar -C '%s' -cf files.tar .)\n"
           "They are content-addressed and never rewritten: a copy taken after the database has\n"
           "every file the database names.\n",
           db, file, dir, dir);
    return 0;
}
