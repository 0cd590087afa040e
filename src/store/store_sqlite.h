/* store_sqlite - the SQLite backend of store.h: one database file in WAL mode, one writer
 * thread that commits every queued append in one transaction (group commit) and serves
 * queries in submission order, completions posted back to the loop through uv_async. */
#ifndef PARLEY_STORE_SQLITE_H
#define PARLEY_STORE_SQLITE_H

#include <uv.h>

#include "store/store.h"

typedef struct {
    const char *path; /* database file, created if missing */
    bool sync_full;   /* true: synchronous=FULL (fsync per commit); false: NORMAL (WAL) */
} store_sqlite_opts_t;

/* Opens (creating the schema if needed) and starts the writer thread. Completions run on
 * `loop`. Returns 0 and *out, or < 0 after logging why (bad path, not a parley database). */
int store_sqlite_open(uv_loop_t *loop, const store_sqlite_opts_t *opts, store_t **out);

#endif
