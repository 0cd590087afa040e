/* store_sqlite - the SQLite backend of store.h: one database file in WAL mode, written by the
 * shared store worker's writer thread (group commit), read by its reader threads on their own
 * read-only connections, and for start-up on one more.
 * Callers normally reach it through store_open("sqlite:PATH"). */
#ifndef PARLEY_STORE_SQLITE_H
#define PARLEY_STORE_SQLITE_H

#include <stdint.h>

#include <uv.h>

#include "store/store.h"

typedef struct {
    const char *path;     /* database file, created if missing */
    bool sync_full;       /* true: synchronous=FULL (fsync per commit); false: NORMAL (WAL) */
    bool bump_accounts;   /* store_open_opts_t.bump_accounts */
    uint64_t read_budget; /* store_open_opts_t.read_budget */
} store_sqlite_opts_t;

/* Opens (creating or migrating the schema if needed) and starts the writer thread.
 * Completions run on `loop`. Returns 0 and *out, or STORE_EFAILED after logging why (bad
 * path, not a parley database, a newer schema). */
int store_sqlite_open(uv_loop_t *loop, const store_sqlite_opts_t *opts, store_t **out);

/* Copies the parley database at src (borrowed; it may be in use by a running server, which
 * goes on writing) to dst (borrowed) with SQLite's online backup API: one read snapshot of
 * src, copied a few pages per step (busy retried), so the copy is the database as it stood
 * when the copy began, whatever is written meanwhile. The copy is written to "dst.partial"
 * first, checked (PRAGMA quick_check), fsynced and renamed over dst, so dst is either the
 * old file or a whole new copy. Blocking: for a command, not for a loop. step_pages: pages
 * copied per step (0: the default, 64), pause_ms: a sleep between steps (0: none; tests use
 * both to make a copy last while a server writes). Returns 0, or STORE_EFAILED with why (a
 * sentence, no trailing newline) in err (cap bytes). */
int store_sqlite_backup(const char *src, const char *dst, int step_pages, int pause_ms, char *err,
                        size_t cap);

#endif
