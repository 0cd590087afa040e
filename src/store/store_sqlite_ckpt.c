/* store_sqlite_ckpt - the WAL's checkpoints, on a thread of their own.
 *
 * SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that commit
 * returns only once the WAL's pages are copied into the database and the file synced, some
 * 5-10 ms here against 0.1-0.3 ms for a commit. A message is fanned out once its commit is
 * done, so the messages of that commit, about one in a hundred under a steady load, reached
 * their readers that much later: the 99th percentile of the delivery latency was the
 * checkpoint's. Here the writer's connection only notes, in its WAL hook, that the WAL is
 * past CKPT_PAGES, and this thread runs a PASSIVE checkpoint on a connection of its own,
 * which in WAL mode holds neither the writer nor the readers. Should the thread fall behind
 * (a reader holding an old snapshot keeps the WAL from being reused), the writer checkpoints
 * itself past CKPT_PAGES_INLINE, as SQLite would have: the WAL stays bounded either way.
 *
 * Invariants: `db` belongs to the thread once it runs; `want` and `stop` are under `mu`. */
#include "store/store_sqlite_int.h"

#include <pthread.h>

#include <sqlite3.h>

#include "base/log.h"

#define CKPT_PAGES 1000         /* SQLite's own autocheckpoint threshold */
#define CKPT_PAGES_INLINE 16000 /* 64 MB of 4 KB pages: the writer does it itself */

/* The writer's WAL hook (on the writer thread, after each commit). */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)name;
    store_sqlite_ckpt_t *c = arg;
    if (pages >= CKPT_PAGES_INLINE) {
        (void)sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages >= CKPT_PAGES) {
        uv_mutex_lock(&c->mu);
        c->want = true;
        uv_cond_signal(&c->cond);
        uv_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

static void ckpt_main(void *arg)
{
    store_sqlite_ckpt_t *c = arg;
    pthread_setname_np(pthread_self(), "parley-ckpt");
    uv_mutex_lock(&c->mu);
    for (;;) {
        while (!c->want && !c->stop)
            uv_cond_wait(&c->cond, &c->mu);
        if (c->stop)
            break;
        c->want = false;
        uv_mutex_unlock(&c->mu);
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && !c->warned) {
            char why[WHY_MAX];
            log_warn("store: checkpointing the WAL: %s (the writer will, past %d pages)",
                     store_sqlite_why(c->db, why), CKPT_PAGES_INLINE);
            c->warned = true;
        }
        uv_mutex_lock(&c->mu);
    }
    uv_mutex_unlock(&c->mu);
}

int store_sqlite_ckpt_start(store_sqlite_ckpt_t *c, sqlite3 *writer, const char *path,
                            bool sync_full)
{
    if (store_sqlite_db_open(path, SQLITE_OPEN_READWRITE, &c->db) < 0)
        return STORE_EFAILED;
    /* A checkpoint syncs the database file as the writer's commits sync the WAL. */
    if (sqlite3_exec(c->db, sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                     NULL, NULL, NULL) != SQLITE_OK ||
        uv_mutex_init(&c->mu) != 0) {
        sqlite3_close(c->db);
        c->db = NULL;
        return STORE_EFAILED;
    }
    if (uv_cond_init(&c->cond) != 0) {
        uv_mutex_destroy(&c->mu);
        sqlite3_close(c->db);
        c->db = NULL;
        return STORE_EFAILED;
    }
    c->started = uv_thread_create(&c->thread, ckpt_main, c) == 0;
    if (!c->started) {
        log_error("store: cannot start the checkpoint thread");
        store_sqlite_ckpt_stop(c, NULL);
        return STORE_EFAILED;
    }
    /* Replaces SQLite's automatic checkpoint on this connection. */
    sqlite3_wal_hook(writer, on_wal, c);
    return 0;
}

void store_sqlite_ckpt_stop(store_sqlite_ckpt_t *c, sqlite3 *writer)
{
    if (!c->db)
        return;
    if (writer)
        sqlite3_wal_hook(writer, NULL, NULL);
    if (c->started) {
        uv_mutex_lock(&c->mu);
        c->stop = true;
        uv_cond_signal(&c->cond);
        uv_mutex_unlock(&c->mu);
        uv_thread_join(&c->thread);
        c->started = false;
    }
    uv_cond_destroy(&c->cond);
    uv_mutex_destroy(&c->mu);
    sqlite3_close(c->db);
    c->db = NULL;
}
