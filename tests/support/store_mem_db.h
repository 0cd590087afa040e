/* store_mem_db - store_mem's stored state (private to tests/support/store_mem*.c): events,
 * channels, members, read markers, notification levels and accounts in plain arrays; the writes
 * applied to it, the reads and loads of store.h over it, and a deep copy, which is what a failed
 * group of store_mem puts back. store_mem.c runs all of it in order, through the failed state. */
#ifndef PARLEY_STORE_MEM_DB_H
#define PARLEY_STORE_MEM_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_worker.h"
#include "store_mem_accounts.h"

typedef struct {
    store_msg_t m;        /* every string owned; mentions NULL once deleted */
    char *fts_text;       /* msg: the indexed text (its last edit's), NULL once deleted */
    const char *fts_user; /* and who wrote that text */
    char *original;       /* msg: its text as first sent, kept by its first edit (else NULL) */
} mem_event_t;

typedef struct {
    char *channel;
    uint64_t user_id;
    uint64_t seq; /* reads: the marker; notify: 1 "mentions", 2 "muted" */
} mem_pair_t;

/* The stored state: what a group's failure puts back as it was. */
typedef struct {
    mem_event_t *ev;
    size_t nev, cap_ev;
    store_channel_t *chans; /* strings owned */
    size_t nchans;
    mem_pair_t *members, *reads, *notify;
    size_t nmembers, nreads, nnotify;
    mem_accounts_t *acc;
} mem_db_t;

/* Empty, with its accounts part. */
void mem_db_init(mem_db_t *d);
void mem_db_free(mem_db_t *d);
/* A deep copy of d, to free with mem_db_free. */
mem_db_t mem_db_clone(const mem_db_t *d);

/* A copy of the n ids of v, or NULL for none. */
uint64_t *mem_ids_dup(const uint64_t *v, size_t n);

/* Writes, as store.h states them: an event at its seq, or (seq 0) at the one assigned or the
 * original's, in *seq and *duplicate (0, or STORE_EFAILED when its seq is taken: the write a
 * real backend would fail; nothing changed), and a change (0, STORE_ECONFLICT, or
 * STORE_EFAILED as mem_accounts_apply; bump: store_open_opts_t.bump_accounts). */
int mem_db_append(mem_db_t *d, const store_msg_t *m, uint64_t *seq, bool *duplicate);
int mem_db_change(mem_db_t *d, const store_change_t *c, bool bump);

/* Reads into out (empty on entry), as store.h states them. */
void mem_db_query(const mem_db_t *d, const store_query_t *q, store_rows_t *out);
void mem_db_search(const mem_db_t *d, const store_search_t *q, store_rows_t *out);
void mem_db_counts(const mem_db_t *d, uint64_t user_id, store_rows_t *out);
void mem_db_positions(const mem_db_t *d, store_rows_t *out);

/* store_load and store_load_keyed (load sorts d's rows in place); last_seq. */
void mem_db_load(mem_db_t *d, const store_load_t *cbs, void *ctx);
void mem_db_load_keyed(const mem_db_t *d, store_keyed_cb cb, void *ctx);
uint64_t mem_db_last_seq(const mem_db_t *d, const char *channel);

#endif
