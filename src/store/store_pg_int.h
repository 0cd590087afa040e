/* store_pg_int - what the PostgreSQL backend's files share (not for other modules):
 * store_pg.c holds the writer's transactions (a batch's statements in one pipeline), the
 * loop thread's loads, and open/close; store_pg_conn.c the sessions (connecting, starting
 * again after a failure, preparing statements), parameters, errors and rows;
 * store_pg_schema.c the tables and the SQL of every statement; store_pg_read.c the reader
 * threads' queries, with their timeout and cancellation. The shared worker (store_worker.c)
 * calls them all through store_worker_ops_t. */
#ifndef PARLEY_STORE_PG_INT_H
#define PARLEY_STORE_PG_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "store/store_db.h"
#include "store/store_pg.h"
#include "store/store_worker.h"

/* 1: channels (with last_seq), messages, members, reads, mentions, users, sessions,
 * invites, meta; 2: messages_author; 3: messages.files; 4: notify (levels other than "all");
 * 5: users' title, tz and avatar; 6: messages.original and the index of pins; 7: messages.app
 * and hooks; 8: users.bot; 9: parley_words' ASCII path */
#define PG_SCHEMA_VERSION 9
#define PG_READ_BUDGET 2000000 /* the default read_budget, as SQLite's (store_pg.h) */
#define PG_COUNTS_FACTOR 8     /* mention counts and positions get this many times the budget */
#define PG_PIPE_DEPTH 64       /* writer statements sent before their answers are read */
/* How long the writer's session may wait for its process inside a transaction before
 * PostgreSQL ends it: the longest that other processes' writes wait behind one that stopped
 * running while it held their channels' rows. The writer itself never pauses there longer
 * than a round trip. */
#define PG_WRITER_IDLE "5s"
/* How long a session waiting for an answer may hear nothing at all from PostgreSQL before
 * it is given up as hung (a stopped server, a partition: nothing closes, and the kernel
 * acknowledges what is sent): the writer's, longer than a wait for rows held by a stopped
 * process (PG_WRITER_IDLE), after which its batch is answered `unavailable`; the loop
 * thread's, short, since the loop waits meanwhile. */
#define PG_WRITER_SILENCE_MS 15000
#define PG_LOOP_SILENCE_MS 2000
#define PG_LOOP_CONNECT_TIMEOUT "2" /* seconds: the loop thread's connect_timeout */

/* The writer's statements (prepared on its session as "w0", "w1", ...). */
enum {
    PW_BEGIN,
    PW_COMMIT,
    PW_APPEND,
    PW_APPEND_PLAIN,
    PW_MAKE,
    PW_LOCK,
    PW_SEQS,
    PW_CHANNEL_PUT,
    PW_CHANNEL_CREATE,
    PW_CHANNEL_DELETE,
    PW_MEMBER_ADD,
    PW_MEMBER_REMOVE,
    PW_READ,
    PW_NOTIFY_SET,
    PW_NOTIFY_CLEAR,
    PW_USER_CREATE,
    PW_USER_PUT,
    PW_SESSION_PUT,
    PW_SESSION_DELETE,
    PW_SESSIONS_REVOKE,
    PW_INVITE_PUT,
    PW_HOOK_PUT,
    PW_ACCOUNTS_BUMP,
    PW_PROBE,
    PW_COUNT
};

/* The readers' statements ("r0", ...). */
enum {
    PR_AFTER,
    PR_BEFORE,
    PR_NEWEST,
    PR_THREAD,
    PR_REPLIES,
    PR_SEARCH,
    PR_SEARCH_FROM,
    PR_MENTION_COUNT,
    PR_POSITIONS,
    PR_SEQS,
    PR_EDITS,
    PR_COUNT
};

/* The loop thread's prepared statements ("l0", ...); its loads run unprepared. */
enum { PL_LAST_SEQ, PL_ACCOUNTS_VERSION, PL_COUNT };

extern const char *const store_pg_sql_write[PW_COUNT];
extern const char *const store_pg_sql_read[PR_COUNT];
extern const char *const store_pg_sql_loop[PL_COUNT];
extern const char store_pg_sql_channels[]; /* store_db's other load parts are shared */

/* One session: a connection and what it has prepared. Each belongs to one thread. */
typedef struct {
    PGconn *pg;
    PGcancel *cancel;       /* for PQcancel of this session's running statement */
    const char *role;       /* "writer", "reader", "loop": in logs and the application name */
    const char *const *sql; /* the statements it prepares */
    int nsql;
    char prefix;              /* their names: prefix and index ("w3") */
    bool ready;               /* this session has its settings and statements */
    bool reset;               /* start a new session before the next use */
    bool hung;                /* the server stopped answering: drop the session, say nothing */
    int timeout_ms;           /* the session's statement_timeout (readers), -1: not set yet */
    unsigned retry_ms;        /* how long after a failed attempt to wait before the next */
    uint64_t next_ms;         /* no new session before this time (clock_mono_ms) */
    store_db_errlog_t errlog; /* this session's failures, logged once a minute */
} store_pg_conn_t;

typedef struct {
    char *url;
    char where[160]; /* "user@host:port/db" for logs: never the URL, which may hold a password */
    bool sync_full, bump_accounts;
    uint64_t read_budget;
    store_pg_conn_t w;    /* writer thread */
    store_pg_conn_t loop; /* loop thread: loads, last_seq, accounts_version */
    store_pg_conn_t rd[STORE_READERS];
    /* Writer: the statements sent in the open pipeline whose answers are unread, and for
     * each an append's out values (NULL for other statements), filled as they are read. */
    int pending;
    struct {
        uint64_t *seq;
        bool *duplicate;
    } answers[PG_PIPE_DEPTH];
    bool began; /* writer: BEGIN is sent (the first write sends it, after PW_MAKE's commit) */
    /* Writer: the channels the open transaction locked (the worker's names, valid until the
     * batch is answered), whose last_seq PW_SEQS raises before the commit. */
    const char *const *locked;
    size_t nlocked;
    char last_state[6]; /* writer: the SQLSTATE of the last failure logged, "" for none */
} store_pg_t;

/* ---- store_pg_conn.c ---- */

/* Opens c's first session (c->role, sql, nsql and prefix set): 0, or STORE_EFAILED after
 * logging. */
int store_pg_connect(store_pg_t *s, store_pg_conn_t *c);
/* Makes c usable: a new session when the last one broke or failed (c->reset), then its
 * settings and statements. 0, or STORE_EFAILED after logging (through c->errlog). */
int store_pg_ready(store_pg_t *s, store_pg_conn_t *c);
void store_pg_disconnect(store_pg_conn_t *c);
/* Waits until the answer being read on c can be had without blocking (or the session broke:
 * PQgetResult then has its error). STORE_EFAILED after silence_ms with nothing at all from
 * the server: c is marked hung and reset, for the caller to give up its statement. */
int store_pg_wait(store_pg_conn_t *c, int silence_ms);

/* The server's message for res (or the connection's, res NULL), on one line, in buf
 * (WHY_MAX bytes). */
#define PG_WHY_MAX 256
const char *store_pg_why(const store_pg_conn_t *c, const PGresult *res, char *buf);
/* True when res failed with that SQLSTATE. */
bool store_pg_state_is(const PGresult *res, const char *sqlstate);

/* The text parameters of one statement: one per letter of types in store_pg_bind, 't' a
 * const char * (NULL: SQL NULL; borrowed), 'i' an int64_t, 'u' a uint64_t id or seq (clamped
 * to INT64_MAX), 'b' a bool (an int in the call). */
#define PG_PARAMS_MAX 16
typedef struct {
    const char *v[PG_PARAMS_MAX];
    char num[PG_PARAMS_MAX][24];
    int n;
} store_pg_params_t;
void store_pg_bind(store_pg_params_t *p, const char *types, ...);
/* Appends a PostgreSQL array literal of the n strings of v to b ("{\"a\",\"b\"}"). */
void store_pg_array_text(buf_t *b, const char *const *v, size_t n);

/* Row i of res, for store_db. */
typedef struct {
    const PGresult *res;
    int i;
} store_pg_row_t;
store_db_row_t store_pg_row(store_pg_row_t *r);

/* ---- store_pg_schema.c ---- */

/* On c (the writer's first session): creates the schema, or checks the one there. 0, or
 * STORE_EFAILED after logging. */
int store_pg_schema_init(store_pg_t *s, store_pg_conn_t *c);

/* ---- store_pg_read.c: the reader threads (store_worker_ops_t) ---- */
int store_pg_query(void *impl, const store_read_t *rd, const store_query_t *q, store_rows_t *out);
int store_pg_search(void *impl, const store_read_t *rd, const store_search_t *q, store_rows_t *out);
int store_pg_mention_counts(void *impl, const store_read_t *rd, uint64_t user_id,
                            store_rows_t *out);
int store_pg_positions(void *impl, const store_read_t *rd, store_rows_t *out);

#endif
