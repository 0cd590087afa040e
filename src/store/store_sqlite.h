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

#endif
