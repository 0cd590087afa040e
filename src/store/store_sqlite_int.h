/* store_sqlite_int - what the SQLite backend's three files share (not for other modules):
 * store_sqlite.c runs the writer thread and the loop side, store_sqlite_schema.c owns the
 * database's tables, migrations and statements, store_sqlite_read.c the writer thread's
 * queries (history, threads, search, mention counts). */
#ifndef PARLEY_STORE_SQLITE_INT_H
#define PARLEY_STORE_SQLITE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>
#include <uv.h>

#include "base/buf.h"
#include "store/store_sqlite.h"

#define SQLITE_SCHEMA_VERSION 2 /* 1: messages; 2: + channels, members */
#define BATCH_MAX 4096          /* ops per batch, so one batch's results stay bounded */
#define BUSY_TIMEOUT_MS 5000    /* per attempt, inside SQLite's busy handler */
#define BUSY_RETRIES 5          /* further attempts after SQLITE_BUSY, each with the timeout */
#define EXIT_STORE 70           /* EX_SOFTWARE: the store cannot keep its promise */
#define STR_(x) #x
#define STR(x) STR_(x)

enum { OP_APPEND, OP_QUERY, OP_CHANGE, OP_SEARCH, OP_COUNTS };

typedef struct store_op {
    struct store_op *next;
    int kind;
    void *ctx;
    union {
        store_append_cb append;
        store_query_cb query;
    } cb;
    union {
        store_msg_t msg;       /* OP_APPEND; strings in data */
        store_change_t change; /* OP_CHANGE; strings in data */
        struct {
            store_query_t q;       /* OP_QUERY: channel in data */
            store_search_t search; /* OP_SEARCH: strings in data */
            int status;
            bool more;
            size_t n;
            store_msg_t *rows; /* user and text point into arena, channel into data */
            buf_t arena;
        } query;
    } u;
    char data[];
} store_op_t;

typedef struct {
    store_op_t *head;
    store_op_t *tail;
} store_op_list_t;

/* The columns every message query returns, in query_fetch's order. */
#define MSG_COLS "seq, user, text, ts, kind, thread, target"

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_INSERT,
    ST_AFTER,
    ST_BEFORE,
    ST_NEWEST,
    ST_CHANNEL_PUT,
    ST_MEMBER_ADD,
    ST_MEMBER_REMOVE,
    ST_READ,
    ST_FTS_INSERT,
    ST_FTS_DELETE,
    ST_MENTION_ADD,
    ST_MENTION_DROP,
    ST_MENTION_COUNT,
    ST_THREAD,
    ST_SEARCH,
    ST_REPLIES,
    ST_COUNT
};

/* The SQL of each prepared statement (st[i] runs store_sqlite_sql[i]), and of last_seq. */
extern const char *const store_sqlite_sql[ST_COUNT];
extern const char store_sqlite_sql_last_seq[];

typedef struct {
    store_t base; /* first, so that a store_t * is a store_sqlite_t * */
    uv_async_t async;
    uv_thread_t thread;
    sqlite3 *db;  /* writer thread */
    sqlite3 *rdb; /* loop thread: last_seq */
    sqlite3_stmt *st[ST_COUNT];
    sqlite3_stmt *st_last_seq; /* on rdb */

    uv_mutex_t mu; /* guards in, queued, stop */
    uv_cond_t cond;
    store_op_list_t in;
    size_t queued;
    bool stop;

    uv_mutex_t done_mu; /* guards done */
    store_op_list_t done;
    store_op_list_t running; /* loop thread: completions being called back now */

    bool closing; /* loop thread only */
    _Atomic uint64_t appends, commits, queries;
} store_sqlite_t;

/* Writes can hold seqs up to UINT64_MAX; SQLite's integers stop at INT64_MAX. */
static inline sqlite3_int64 store_sqlite_clamp_seq(uint64_t seq)
{
    return seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq;
}

/* store_sqlite_schema.c: opens path with flags and the busy timeout (0, or -1 after
 * logging); checks the file is empty or parley's, sets WAL and synchronous, and creates or
 * migrates the tables; prepares every statement on s->db and last_seq's on s->rdb. */
int store_sqlite_db_open(const char *path, int flags, sqlite3 **out);
int store_sqlite_schema_init(sqlite3 *db, const store_sqlite_opts_t *opts);
int store_sqlite_prepare_all(store_sqlite_t *s, const char *path);

/* store_sqlite_read.c, on the writer thread: each fills op->u.query (rows, n, more; status
 * -1 after logging when SQLite fails). */
void store_sqlite_run_query(store_sqlite_t *s, store_op_t *op);
void store_sqlite_run_search(store_sqlite_t *s, store_op_t *op);
void store_sqlite_run_counts(store_sqlite_t *s, store_op_t *op);

#endif
