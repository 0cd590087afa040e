/* store_worker - the part of every threaded backend that is not about its database: the queues
 * of operations, the writer thread and the reader threads, group commit, the failed state,
 * the hand-back of completions to the loop through uv_async, cancellation and close. A
 * backend gives it a small table of functions (store_worker_ops_t) and gets the whole
 * store.h interface back.
 *
 * Writes and reads never share a thread: the writer thread runs appends, changes and
 * probes; STORE_READERS reader threads run queries, searches, mention counts and positions,
 * each on its own connection. So an acknowledgement never waits behind a read, however slow.
 *
 * How the writer runs a batch (everything queued when it wakes, at most STORE_WORKER_BATCH
 * operations, or more to take the whole of a group, which is never cut): the batch's appends
 * and changes in one transaction (begin, lock when the batch has appends, each write,
 * commit), skipping those the failed state answers without trying; then its probes, each in
 * its own transaction. Write completions go back to the loop in submission order, each
 * append's with the seq its backend reported; each read's as it finishes. */
#ifndef PARLEY_STORE_WORKER_H
#define PARLEY_STORE_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "store/store.h"

#define STORE_WORKER_BATCH 4096 /* operations per batch, so one batch's results stay bounded */
/* Reader threads (and reading connections). One: with the writer that is a thread per core
 * of the small machines parley runs on, and reads queue behind reads, never behind writes. */
#define STORE_READERS 1

/* A query's answer as the backend builds it on a reader thread: rows whose strings live in
 * chunks of the rows' own memory (never moved once written), read by the loop thread in
 * the callback and freed afterwards. */
typedef struct store_chunk store_chunk_t;
typedef struct {
    store_msg_t *rows;
    size_t n, cap;
    bool more;
    store_chunk_t *chunks;
} store_rows_t;

/* Appends a copy of m: its channel, user, text, kind (NULL stays NULL) and cid (NULL reads
 * as "") are copied; mentions is left NULL and nmentions 0. Returns the new row, for the
 * caller to finish (replies...); it stays valid until the next add. */
store_msg_t *store_rows_add(store_rows_t *r, const store_msg_t *m);
/* Drops rows from index n on (n <= r->n), keeping their memory. */
void store_rows_truncate(store_rows_t *r, size_t n);
/* Frees everything; r is empty and reusable. */
void store_rows_free(store_rows_t *r);

/* What a read runs with: the reader thread running it (a backend gives each its own
 * connection), and the flag the loop thread raises to abandon it (store_cancel of its owner,
 * or close). A backend looks at the flag now and then while it works. */
typedef struct {
    unsigned reader; /* 0 .. STORE_READERS - 1 */
    const atomic_bool *cancel;
} store_read_t;

/* What a backend provides. `impl` is the backend's own state, given back to every call.
 * Writer thread functions run one at a time, never concurrently with each other; the reader
 * ones run concurrently with them and with each other (one at a time per reader); the loop
 * thread ones may run while both work. So a backend gives each its own connection. Each
 * returns 0, or STORE_EFAILED after logging why (or what is stated). */
typedef struct {
    const char *name; /* for logs: "sqlite" */
    /* Writer thread: one write transaction around a batch's writes, or around one probe.
     * rollback is called after any failure inside begin..commit, commit included. */
    int (*begin)(void *impl);
    int (*commit)(void *impl);
    void (*rollback)(void *impl);
    /* Writer thread, right after begin, when the batch has appends: the sorted (strcmp),
     * distinct names of the channels of every append the transaction will try (given seqs
     * and seq 0 alike), so that a backend shared by several processes takes its channels'
     * locks in one global order and two processes can never deadlock. Failure fails the
     * transaction like any write error. NULL: not needed (SQLite's single writer needs
     * none). A change that needs a channel's lock takes it itself. */
    int (*lock)(void *impl, const char *const *channels, size_t n);
    /* Writer thread, inside begin..commit. append: with m->seq > 0 the backend stores it and
     * sets *seq = m->seq (*duplicate false); with m->seq == 0 it assigns the channel's next
     * seq, or finds the original of a duplicate, as store_msg_t.seq says. The out values need
     * only be valid once commit returned 0 (so a backend may pipeline its appends and read
     * their results at commit); the worker reads them after commit and passes them to the
     * callbacks. change returns STORE_ECONFLICT where store.h says (the transaction goes
     * on); STORE_EFAILED fails the whole transaction. It gets only changes that passed
     * store_change_valid. */
    int (*append)(void *impl, const store_msg_t *m, uint64_t *seq, bool *duplicate);
    int (*change)(void *impl, const store_change_t *c);
    int (*probe)(void *impl); /* one real small write */
    /* Reader thread rd->reader: fill out (empty on entry; the worker frees it). Besides 0 and
     * STORE_EFAILED: STORE_ECANCELED once *rd->cancel is up, STORE_EBUDGET past the
     * backend's cost budget for one read (neither is logged: they are answers). */
    int (*query)(void *impl, const store_read_t *rd, const store_query_t *q, store_rows_t *out);
    int (*search)(void *impl, const store_read_t *rd, const store_search_t *q, store_rows_t *out);
    int (*mention_counts)(void *impl, const store_read_t *rd, uint64_t user_id, store_rows_t *out);
    int (*positions)(void *impl, const store_read_t *rd, store_rows_t *out);
    /* Loop thread, synchronous (store.h): store_load with keyed NULL, store_load_keyed with
     * every callback of cbs NULL. */
    int (*load)(void *impl, const store_load_t *cbs, store_keyed_cb keyed, void *ctx);
    int (*last_seq)(void *impl, const char *channel, uint64_t *out);
    int (*load_accounts)(void *impl, const store_accounts_load_t *cbs, void *ctx);
    int (*accounts_version)(void *impl, uint64_t *out);
    /* Loop thread, once every thread has ended: releases impl. */
    void (*free)(void *impl);
} store_worker_ops_t;

/* Starts the writer and reader threads over impl and returns the store in *out. Completions run on
 * loop. failed: the backend's start-up write failed for a reason that may pass (a full
 * disk), so the store starts in the failed state (store.h), as if a transaction had just
 * failed: writes are refused until store_recover. Returns 0, or a libuv error after logging
 * (impl is then still the caller's). From success on, impl belongs to the store: ops->free
 * releases it in store_close. */
int store_worker_open(uv_loop_t *loop, const store_worker_ops_t *ops, void *impl, bool failed,
                      store_t **out);

#endif
