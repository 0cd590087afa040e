/* store_pg - the PostgreSQL backend of store.h, for several parley processes sharing one
 * database (DESIGN.md: past one process, PostgreSQL decides each channel's order). Callers
 * normally reach it through store_open("postgresql://...") or "postgres://...": the URL goes
 * to libpq as it is (host, port, user, password, database, sslmode, options=-csearch_path%3DX
 * for a schema other than public...), after parley's defaults (connect_timeout=10, TCP
 * keepalives), which the URL may override.
 *
 * Connections: one per thread, each its own session. The shared store worker's writer thread
 * has one (every write transaction, probes), each reader thread one (queries, searches,
 * mention counts), and the loop thread one (store_load, store_load_keyed, store_last_seq,
 * store_load_accounts, store_accounts_version): 2 + STORE_READERS per process.
 *
 * Schema: created on open when the database (its first schema on search_path) has none, in
 * one transaction under an advisory lock, so that processes starting together create it
 * once; its version is kept in the meta table, and a newer one than this parley knows is
 * refused, as is a schema with parley's table names but no meta.
 *
 * Order: each channel's row carries its last_seq. A write transaction first locks the rows of
 * its appends' channels (in name order, FOR NO KEY UPDATE: memberships may still reference
 * them), so an append without a seq (store_msg_t.seq 0) takes the channel's next seq with no
 * other process in between, and its client key's dedupe sees every committed event: several
 * processes never take one seq twice nor leave a gap, and per channel commit order is seq
 * order. The writes of a transaction go in one pipeline (store_pg.c).
 *
 * Durability: a write's callback fires after COMMIT returned. sync_full sets
 * synchronous_commit = on for the writer's session (the commit is flushed to the server's
 * disk, and to synchronous standbys as the server is configured); otherwise the session
 * keeps the server's own setting.
 *
 * Read budget: store.h's budget is work done, not time, but PostgreSQL cannot count a
 * statement's work as SQLite counts VM steps. Here the budget is a statement_timeout on each
 * reader's statements: read_budget / STORE_PG_STEPS_PER_MS milliseconds (at least 1), so the
 * default budget of 2,000,000 (SQLite's steps) allows 500 ms per statement and mention counts
 * eight times as much; every read also has a LIMIT (the page, the search's limit + 1,
 * STORE_MENTIONS_MAX). A statement stopped by the timeout (SQLSTATE 57014) is answered
 * STORE_EBUDGET.
 *
 * Cancellation: a reader sends its statement and waits for the answer in slices of
 * STORE_PG_CANCEL_POLL_MS, looking at the read's cancel flag between them; once it is up it
 * asks the server to cancel the statement (PQcancel) and answers STORE_ECANCELED.
 *
 * Failure: a lost connection or any error inside a write transaction fails the transaction
 * (STORE_EFAILED: the worker enters the failed state), and so does a deadlock PostgreSQL
 * breaks (possible only between a batch's changes and another process's lock, as when both
 * make the row of a channel nothing named before). The writer then starts a new session
 * before its next transaction (PQreset), so the hub's probe succeeds, and the store
 * recovers, once PostgreSQL is back (with several hosts and target_session_attrs in the URL,
 * on the new primary); readers and the loop thread's session do the same on their next
 * use, and any session the server ended while it was idle is found out and replaced before
 * it is used. A process that stops running inside a write transaction (SIGSTOP) holds its
 * channels' rows for 5 s at most: PostgreSQL then ends its writer's session, and the batch
 * fails when the process runs again. A server that stops answering without closing
 * anything (stopped, partitioned) is given up after 15 s of silence on the writer (its batch
 * fails) and 2 s on the loop thread (the loop never waits longer for it). */
#ifndef PARLEY_STORE_PG_H
#define PARLEY_STORE_PG_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "store/store.h"

#define STORE_PG_STEPS_PER_MS 4000 /* read_budget units (SQLite VM steps) per ms of timeout */
#define STORE_PG_CANCEL_POLL_MS 20 /* how often a waiting reader looks at its cancel flag */

typedef struct {
    const char *url;      /* postgresql://... or postgres://..., given to libpq as it is */
    bool sync_full;       /* store_open_opts_t.sync_full */
    bool bump_accounts;   /* store_open_opts_t.bump_accounts */
    uint64_t read_budget; /* store_open_opts_t.read_budget (0: the default) */
} store_pg_opts_t;

/* Connects, creates the schema if needed and starts the worker's threads. Completions run on
 * `loop`. Returns 0 and *out, or STORE_EFAILED after logging why (a URL libpq cannot parse,
 * no server, a refused login, a database that is not parley's or has a newer schema, one
 * this role can never write). A first write that fails for a reason that may pass starts the
 * store in the failed state (store_worker_open). */
int store_pg_open(uv_loop_t *loop, const store_pg_opts_t *opts, store_t **out);

#endif
