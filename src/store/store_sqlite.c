/* store_sqlite - the SQLite backend of store.h (group commit on a writer thread).
 *
 * Structures: each append or query is one op_t, allocated once with its strings in op->data.
 * The loop thread pushes ops onto `in`, a FIFO under `mu`/`cond`. The writer thread takes
 * everything queued (at most BATCH_MAX ops), runs the batch's appends in one transaction
 * (BEGIN IMMEDIATE ... COMMIT), then the batch's queries, and moves the whole batch, still in
 * submission order, onto `done` (under `done_mu`) and wakes the loop with uv_async_send;
 * on_async runs the callbacks in that order and frees the ops. Under load many messages
 * share one commit, which is the point.
 *
 * Invariants:
 * - `db` and the statements in `st` belong to the writer thread (the opener uses them before
 *   the thread starts, close after it is joined). `rdb`, a second connection, belongs to the
 *   loop thread and serves last_seq; in WAL mode it reads the last commit without waiting for
 *   the writer.
 * - A failed commit (or insert) ends the process with EXIT_STORE after logging: store.h
 *   promises that an acknowledged message is never taken back and seqs never have holes.
 * - `closing` is set by close on the loop thread; afterwards append/query return -1. Close
 *   still answers every op submitted before it, so callers' contexts are released. The
 *   store is freed in the async handle's close callback, so after
 *   store_close the loop must run again until its handles are closed (uv_run, as any libuv
 *   shutdown does before uv_loop_close). */
#include "store/store_sqlite.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xmalloc.h"

#define SQLITE_SCHEMA_VERSION 2 /* 1: messages; 2: + channels, members */
#define BATCH_MAX 4096          /* ops per batch, so one batch's results stay bounded */
#define BUSY_TIMEOUT_MS 5000    /* per attempt, inside SQLite's busy handler */
#define BUSY_RETRIES 5          /* further attempts after SQLITE_BUSY, each with the timeout */
#define EXIT_STORE 70           /* EX_SOFTWARE: the store cannot keep its promise */
#define STR_(x) #x
#define STR(x) STR_(x)

enum { OP_APPEND, OP_QUERY, OP_CHANGE, OP_SEARCH, OP_COUNTS };

typedef struct op {
    struct op *next;
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
} op_t;

typedef struct {
    op_t *head;
    op_t *tail;
} op_list_t;

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
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_INSERT] = "INSERT INTO messages(channel, seq, user, text, ts, kind, thread, target) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_AFTER] = "SELECT " MSG_COLS " FROM messages WHERE channel = ?1 AND seq > ?2 "
                 "ORDER BY seq ASC LIMIT ?3",
    [ST_BEFORE] = "SELECT " MSG_COLS " FROM messages WHERE channel = ?1 AND seq < ?2 "
                  "ORDER BY seq DESC LIMIT ?3",
    [ST_NEWEST] = "SELECT " MSG_COLS " FROM messages WHERE channel = ?1 "
                  "ORDER BY seq DESC LIMIT ?3",
    [ST_THREAD] = "SELECT " MSG_COLS " FROM messages WHERE channel = ?1 AND "
                  "(seq = ?2 OR (thread = ?2 AND kind = 'msg')) ORDER BY seq ASC LIMIT ?3",
    [ST_FTS_DELETE] = "DELETE FROM messages_fts WHERE messages_fts MATCH ?1",
    [ST_MENTION_ADD] = "INSERT OR IGNORE INTO mentions(user, channel, seq) VALUES(?1, ?2, ?3)",
    [ST_MENTION_DROP] = "DELETE FROM mentions WHERE channel = ?1 AND seq = ?2",
    [ST_MENTION_COUNT] = "SELECT m.channel, m.seq FROM mentions m WHERE m.user IN "
                         "(?1, 'channel', 'here') AND m.seq > coalesce((SELECT r.seq FROM "
                         "reads r WHERE r.channel = m.channel AND r.user = ?1), 0) "
                         "GROUP BY m.channel, m.seq ORDER BY m.channel, m.seq LIMIT 10000",
    [ST_CHANNEL_PUT] = "INSERT INTO channels(name, kind, topic, created_by, ts) "
                       "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(name) DO UPDATE SET "
                       "kind = excluded.kind, topic = excluded.topic",
    [ST_MEMBER_ADD] = "INSERT OR IGNORE INTO members(channel, user, ts) VALUES(?1, ?2, ?3)",
    [ST_MEMBER_REMOVE] = "DELETE FROM members WHERE channel = ?1 AND user = ?2",
    [ST_FTS_INSERT] = "INSERT INTO messages_fts(text, key, channel, seq, user, ts) "
                      "VALUES(?2, ?1, ?3, ?4, ?5, ?6)",
    [ST_SEARCH] = "SELECT seq, user, text, ts, channel FROM messages_fts WHERE messages_fts "
                  "MATCH ?1 AND (?2 IS NULL OR user = ?2) AND (?3 IS NULL OR channel = ?3) "
                  "ORDER BY ts DESC, seq DESC LIMIT ?4",
    [ST_READ] = "INSERT INTO reads(channel, user, seq) VALUES(?1, ?2, ?3) "
                "ON CONFLICT(channel, user) DO UPDATE SET seq = max(seq, excluded.seq)",
};

static const char sql_create_v1[] =
    "CREATE TABLE messages(channel TEXT NOT NULL, seq INTEGER NOT NULL, user TEXT NOT NULL, "
    "text TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY(channel, seq)) WITHOUT ROWID";

/* Channels other than #general, and who is in them (#general has everyone, unrecorded). */
static const char sql_create_v2[] =
    "CREATE TABLE channels(name TEXT PRIMARY KEY, kind TEXT NOT NULL, topic TEXT NOT NULL, "
    "created_by TEXT NOT NULL, ts INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE members(channel TEXT NOT NULL, user TEXT NOT NULL, ts INTEGER NOT NULL, "
    "PRIMARY KEY(channel, user)) WITHOUT ROWID;"
    "CREATE TABLE reads(channel TEXT NOT NULL, user TEXT NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY(channel, user)) WITHOUT ROWID;"
    /* Search: its own copy of each text (messages has no rowid to point at), written in
     * the same transaction as the message; messages already stored are indexed here. */
    "CREATE VIRTUAL TABLE messages_fts USING fts5(text, key, channel UNINDEXED, "
    "seq UNINDEXED, user UNINDEXED, ts UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');"
    "INSERT INTO messages_fts(text, key, channel, seq, user, ts) "
    "SELECT text, 'k' || hex(channel) || 'x' || seq, channel, seq, user, ts FROM messages;"
    /* Events: what a row is (msg, edit, delete, react, unreact), its thread, its target. */
    "ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'msg';"
    "ALTER TABLE messages ADD COLUMN thread INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN target INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX messages_thread ON messages(channel, thread) WHERE thread > 0;"
    "CREATE INDEX messages_react ON messages(channel, seq) WHERE kind IN ('react', 'unreact');"
    /* Who each message mentions, for unread mention counts. */
    "CREATE TABLE mentions(user TEXT NOT NULL, channel TEXT NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY(user, channel, seq)) WITHOUT ROWID";

static const char sql_last_seq[] = "SELECT max(seq) FROM messages WHERE channel = ?1";

typedef struct {
    store_t base; /* first, so that a store_t * is a sqlite_store_t * */
    uv_async_t async;
    uv_thread_t thread;
    sqlite3 *db;  /* writer thread */
    sqlite3 *rdb; /* loop thread: last_seq */
    sqlite3_stmt *st[ST_COUNT];
    sqlite3_stmt *st_last_seq; /* on rdb */

    uv_mutex_t mu; /* guards in, queued, stop */
    uv_cond_t cond;
    op_list_t in;
    size_t queued;
    bool stop;

    uv_mutex_t done_mu; /* guards done */
    op_list_t done;
    op_list_t running; /* loop thread: completions being called back now */

    bool closing; /* loop thread only */
    _Atomic uint64_t appends, commits, queries;
} sqlite_store_t;

static const store_backend_t sqlite_backend;

/* ---- op lists ---- */

static void list_push(op_list_t *l, op_t *op)
{
    op->next = NULL;
    if (l->tail)
        l->tail->next = op;
    else
        l->head = op;
    l->tail = op;
}

/* Moves up to max ops from the front of src to dst (empty before); returns how many. */
static size_t list_take(op_list_t *src, size_t max, op_list_t *dst)
{
    assert(src->head && max > 0);
    size_t n = 1;
    op_t *last = src->head;
    for (; last->next && n < max; n++)
        last = last->next;
    dst->head = src->head;
    dst->tail = last;
    src->head = last->next;
    if (!src->head)
        src->tail = NULL;
    last->next = NULL;
    return n;
}

static void list_splice(op_list_t *dst, op_list_t *src)
{
    if (!src->head)
        return;
    if (dst->tail)
        dst->tail->next = src->head;
    else
        dst->head = src->head;
    dst->tail = src->tail;
    src->head = src->tail = NULL;
}

static void op_free(op_t *op)
{
    if (op->kind == OP_QUERY || op->kind == OP_SEARCH || op->kind == OP_COUNTS) {
        free(op->u.query.rows);
        buf_deinit(&op->u.query.arena);
    }
    free(op);
}

/* ---- writer thread ---- */

/* Ends the process: the store cannot commit, and reporting it per message would let later
 * messages be acknowledged after earlier ones were lost (store.h, docs/protocol.md). */
static void die(sqlite_store_t *s, const char *what)
{
    log_error("store: %s failed: %s; exiting so that no acknowledged message is lost", what,
              sqlite3_errmsg(s->db));
    exit(EXIT_STORE);
}

/* Steps a statement that returns no row, retrying SQLITE_BUSY; anything else is fatal. */
static void step_or_die(sqlite_store_t *s, sqlite3_stmt *st, const char *what)
{
    int rc;
    for (int attempt = 0;; attempt++) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_BUSY || attempt == BUSY_RETRIES)
            break;
        log_warn("store: %s: database busy, retrying", what);
        sqlite3_reset(st);
    }
    if (rc != SQLITE_DONE)
        die(s, what);
    sqlite3_reset(st);
}

/* Binds text parameter i, or dies. */
static void bind_text(sqlite_store_t *s, sqlite3_stmt *st, int i, const char *v)
{
    if (sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) != SQLITE_OK)
        die(s, "insert (bind)");
}

static void bind_int(sqlite_store_t *s, sqlite3_stmt *st, int i, int64_t v)
{
    if (sqlite3_bind_int64(st, i, v) != SQLITE_OK)
        die(s, "insert (bind)");
}

/* The search index's key of a message: one token (FTS5 finds it through its index) naming
 * the channel and seq, so an edit or delete can replace or drop that entry. */
static void fts_key(char *out, size_t cap, const char *channel, uint64_t seq, bool query)
{
    size_t n = (size_t)snprintf(out, cap, "%sk", query ? "key : " : "");
    for (const unsigned char *p = (const unsigned char *)channel; *p && n + 3 < cap; p++)
        n += (size_t)snprintf(out + n, cap - n, "%02X", *p);
    snprintf(out + n, cap - n, "x%llu", (unsigned long long)seq);
}

static void fts_drop(sqlite_store_t *s, const char *channel, uint64_t seq)
{
    char key[2 * 80 + 48];
    fts_key(key, sizeof(key), channel, seq, true);
    sqlite3_stmt *st = s->st[ST_FTS_DELETE];
    bind_text(s, st, 1, key);
    step_or_die(s, st, "search index delete");
    sqlite3_clear_bindings(st);
}

static void fts_add(sqlite_store_t *s, const store_msg_t *m, uint64_t seq)
{
    char key[2 * 80 + 48];
    fts_key(key, sizeof(key), m->channel, seq, false);
    sqlite3_stmt *st = s->st[ST_FTS_INSERT];
    bind_text(s, st, 1, key);
    bind_text(s, st, 2, m->text);
    bind_text(s, st, 3, m->channel);
    bind_int(s, st, 4, (int64_t)seq);
    bind_text(s, st, 5, m->user);
    bind_int(s, st, 6, m->ts);
    step_or_die(s, st, "search index insert");
    sqlite3_clear_bindings(st);
}

static void mentions_add(sqlite_store_t *s, const store_msg_t *m)
{
    sqlite3_stmt *st = s->st[ST_MENTION_ADD];
    for (const char *p = m->mentions; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (sqlite3_bind_text(st, 1, p, (int)len, SQLITE_STATIC) != SQLITE_OK)
            die(s, "mention (bind)");
        bind_text(s, st, 2, m->channel);
        bind_int(s, st, 3, (int64_t)m->seq);
        step_or_die(s, st, "mention insert");
        sqlite3_clear_bindings(st);
        p += len + (nl ? 1 : 0);
    }
}

static void mentions_drop(sqlite_store_t *s, const char *channel, uint64_t seq)
{
    sqlite3_stmt *st = s->st[ST_MENTION_DROP];
    bind_text(s, st, 1, channel);
    bind_int(s, st, 2, (int64_t)seq);
    step_or_die(s, st, "mention delete");
    sqlite3_clear_bindings(st);
}

/* The event row, and what it does to the search index: a message is indexed, an edit
 * replaces its target's entry, a delete drops it. */
static void insert_or_die(sqlite_store_t *s, const store_msg_t *m)
{
    const char *kind = m->kind ? m->kind : "msg";
    sqlite3_stmt *st = s->st[ST_INSERT];
    bind_text(s, st, 1, m->channel);
    bind_int(s, st, 2, (int64_t)m->seq);
    bind_text(s, st, 3, m->user);
    bind_text(s, st, 4, m->text);
    bind_int(s, st, 5, m->ts);
    bind_text(s, st, 6, kind);
    bind_int(s, st, 7, (int64_t)m->thread);
    bind_int(s, st, 8, (int64_t)m->target);
    step_or_die(s, st, "insert");
    sqlite3_clear_bindings(st); /* the op owning the strings is freed on the loop thread */
    if (strcmp(kind, "msg") == 0) {
        fts_add(s, m, m->seq);
        mentions_add(s, m);
    } else if (strcmp(kind, "edit") == 0 || strcmp(kind, "delete") == 0) {
        if (kind[0] == 'd')
            mentions_drop(s, m->channel, m->target);
        fts_drop(s, m->channel, m->target);
        if (kind[0] == 'e') {
            store_msg_t t = *m;
            fts_add(s, &t, m->target);
        }
    }
}

static sqlite3_int64 clamp_seq(uint64_t seq);

static void bind_or_die(sqlite_store_t *s, int rc)
{
    if (rc != SQLITE_OK)
        die(s, "change (bind)");
}

static void change_or_die(sqlite_store_t *s, const store_change_t *c)
{
    sqlite3_stmt *st;
    if (c->kind == STORE_CHANNEL_PUT) {
        st = s->st[ST_CHANNEL_PUT];
        bind_or_die(s, sqlite3_bind_text(st, 1, c->ch.name, -1, SQLITE_STATIC));
        bind_or_die(s, sqlite3_bind_text(st, 2, c->ch.kind, -1, SQLITE_STATIC));
        bind_or_die(s, sqlite3_bind_text(st, 3, c->ch.topic, -1, SQLITE_STATIC));
        bind_or_die(s, sqlite3_bind_text(st, 4, c->ch.created_by, -1, SQLITE_STATIC));
        bind_or_die(s, sqlite3_bind_int64(st, 5, c->ch.ts));
    } else if (c->kind == STORE_READ) {
        st = s->st[ST_READ];
        bind_or_die(s, sqlite3_bind_text(st, 1, c->ch.name, -1, SQLITE_STATIC));
        bind_or_die(s, sqlite3_bind_text(st, 2, c->user, -1, SQLITE_STATIC));
        bind_or_die(s, sqlite3_bind_int64(st, 3, clamp_seq(c->seq)));
    } else {
        st = s->st[c->kind == STORE_MEMBER_ADD ? ST_MEMBER_ADD : ST_MEMBER_REMOVE];
        bind_or_die(s, sqlite3_bind_text(st, 1, c->ch.name, -1, SQLITE_STATIC));
        bind_or_die(s, sqlite3_bind_text(st, 2, c->user, -1, SQLITE_STATIC));
        if (c->kind == STORE_MEMBER_ADD)
            bind_or_die(s, sqlite3_bind_int64(st, 3, c->ts));
    }
    step_or_die(s, st, "change");
    sqlite3_clear_bindings(st);
}

/* Copies a text column, up to its first NUL, with a NUL, into arena. */
static void arena_put(buf_t *arena, sqlite3_stmt *st, int col)
{
    const char *p = (const char *)sqlite3_column_text(st, col);
    if (!p)
        p = "";
    buf_append(arena, p, strlen(p) + 1);
}

/* A new, zeroed row at the end of op's results (cap: the array's capacity). */
static store_msg_t *row_push(op_t *op, size_t *cap)
{
    if (op->u.query.n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        op->u.query.rows = xrealloc(op->u.query.rows, *cap * sizeof(store_msg_t));
    }
    store_msg_t *m = &op->u.query.rows[op->u.query.n++];
    *m = (store_msg_t){0};
    return m;
}

/* Fetches rows into op->u.query; returns the SQLite code that ended the loop. */
static int query_fetch(sqlite3_stmt *st, op_t *op, size_t *cap)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_msg_t *m = row_push(op, cap);
        m->seq = (uint64_t)sqlite3_column_int64(st, 0);
        m->ts = sqlite3_column_int64(st, 3);
        m->thread = (uint64_t)sqlite3_column_int64(st, 5);
        m->target = (uint64_t)sqlite3_column_int64(st, 6);
        arena_put(&op->u.query.arena, st, 1);
        arena_put(&op->u.query.arena, st, 2);
        arena_put(&op->u.query.arena, st, 4);
    }
    return rc;
}

/* Points every row's strings into the arena, which holds user\0text\0 per row in fetch order
 * and cannot move any more. */
static void query_fixup(op_t *op)
{
    const char *p = op->u.query.arena.data;
    for (size_t i = 0; i < op->u.query.n; i++) {
        store_msg_t *m = &op->u.query.rows[i];
        m->channel = op->u.query.q.channel;
        m->user = p;
        p += strlen(p) + 1;
        m->text = p;
        p += strlen(p) + 1;
        m->kind = p;
        p += strlen(p) + 1;
    }
}

static sqlite3_int64 clamp_seq(uint64_t seq)
{
    return seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq;
}

/* Runs one query. Rows come newest first for history (DESC), so they are reversed; one row
 * beyond the limit is asked for to learn `more`, and dropped. */
static void run_query(sqlite_store_t *s, op_t *op)
{
    const store_query_t *q = &op->u.query.q;
    sqlite3_stmt *st = s->st[ST_NEWEST];
    uint64_t bound = 0;
    if (q->thread > 0) {
        st = s->st[ST_THREAD];
        bound = q->thread;
    } else if (q->after > 0 || q->forward) {
        st = s->st[ST_AFTER];
        bound = q->after;
    } else if (q->before > 0) {
        st = s->st[ST_BEFORE];
        bound = q->before;
    }
    bool desc = st != s->st[ST_AFTER] && st != s->st[ST_THREAD];

    size_t cap = 0;
    int rc = sqlite3_bind_text(st, 1, q->channel, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && st != s->st[ST_NEWEST])
        rc = sqlite3_bind_int64(st, 2, clamp_seq(bound));
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)q->limit + 1);
    if (rc == SQLITE_OK)
        rc = query_fetch(st, op, &cap);
    if (rc != SQLITE_DONE) {
        log_warn("store: query on channel %s failed: %s", q->channel, sqlite3_errmsg(s->db));
        free(op->u.query.rows);
        op->u.query.rows = NULL;
        op->u.query.n = 0;
        buf_deinit(&op->u.query.arena);
        op->u.query.status = -1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return;

    query_fixup(op);
    op->u.query.more = op->u.query.n > q->limit;
    if (op->u.query.more)
        op->u.query.n = q->limit;
    store_msg_t *rows = op->u.query.rows;
    for (size_t i = 0, j = op->u.query.n; desc && i + 1 < j; i++, j--) {
        store_msg_t t = rows[i];
        rows[i] = rows[j - 1];
        rows[j - 1] = t;
    }
    atomic_fetch_add_explicit(&s->queries, 1, memory_order_relaxed);
}

/* Runs a search: rows carry their channel, user and text in the arena, in that order. */
static void run_search(sqlite_store_t *s, op_t *op)
{
    const store_search_t *q = &op->u.query.search;
    sqlite3_stmt *st = s->st[ST_SEARCH];
    size_t cap = 0;
    int rc = sqlite3_bind_text(st, 1, q->match, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = q->user ? sqlite3_bind_text(st, 2, q->user, -1, SQLITE_STATIC)
                     : sqlite3_bind_null(st, 2);
    if (rc == SQLITE_OK)
        rc = q->channel ? sqlite3_bind_text(st, 3, q->channel, -1, SQLITE_STATIC)
                        : sqlite3_bind_null(st, 3);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)q->limit + 1);
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        if ((rc = sqlite3_step(st)) != SQLITE_ROW)
            break;
        store_msg_t *m = row_push(op, &cap); /* a message: kind NULL, no thread or target */
        m->seq = (uint64_t)sqlite3_column_int64(st, 0);
        m->ts = sqlite3_column_int64(st, 3);
        arena_put(&op->u.query.arena, st, 4);
        arena_put(&op->u.query.arena, st, 1);
        arena_put(&op->u.query.arena, st, 2);
    }
    if (rc != SQLITE_DONE) {
        /* A malformed expression lands here too: the caller quotes every term, so this is
         * rare, and it is an answer (no results), not a failure of the store. */
        log_debug("store: search failed: %s", sqlite3_errmsg(s->db));
        op->u.query.status = -1;
        op->u.query.n = 0;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    const char *p = op->u.query.arena.data;
    for (size_t i = 0; i < op->u.query.n; i++) {
        store_msg_t *m = &op->u.query.rows[i];
        m->channel = p;
        p += strlen(p) + 1;
        m->user = p;
        p += strlen(p) + 1;
        m->text = p;
        p += strlen(p) + 1;
    }
    op->u.query.more = op->u.query.n > q->limit;
    if (op->u.query.more)
        op->u.query.n = q->limit;
    atomic_fetch_add_explicit(&s->queries, 1, memory_order_relaxed);
}

/* Unread mentions of one user (the name is in search.user): rows of channel and seq. */
static void run_counts(sqlite_store_t *s, op_t *op)
{
    sqlite3_stmt *st = s->st[ST_MENTION_COUNT];
    size_t cap = 0;
    int rc = sqlite3_bind_text(st, 1, op->u.query.search.user, -1, SQLITE_STATIC);
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        if ((rc = sqlite3_step(st)) != SQLITE_ROW)
            break;
        store_msg_t *m = row_push(op, &cap);
        m->seq = (uint64_t)sqlite3_column_int64(st, 1);
        arena_put(&op->u.query.arena, st, 0);
    }
    if (rc != SQLITE_DONE) {
        log_warn("store: mention counts failed: %s", sqlite3_errmsg(s->db));
        op->u.query.status = -1;
        op->u.query.n = 0;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    const char *p = op->u.query.arena.data;
    for (size_t i = 0; i < op->u.query.n; i++) {
        op->u.query.rows[i].channel = p;
        op->u.query.rows[i].user = op->u.query.rows[i].text = "";
        p += strlen(p) + 1;
    }
    atomic_fetch_add_explicit(&s->queries, 1, memory_order_relaxed);
}

static void run_batch(sqlite_store_t *s, const op_list_t *batch)
{
    uint64_t appends = 0, writes = 0;
    for (op_t *op = batch->head; op; op = op->next) {
        if (op->kind == OP_QUERY || op->kind == OP_SEARCH || op->kind == OP_COUNTS)
            continue;
        if (writes++ == 0)
            step_or_die(s, s->st[ST_BEGIN], "begin");
        if (op->kind == OP_APPEND) {
            insert_or_die(s, &op->u.msg);
            appends++;
        } else {
            change_or_die(s, &op->u.change);
        }
    }
    if (writes) {
        step_or_die(s, s->st[ST_COMMIT], "commit");
        atomic_fetch_add_explicit(&s->appends, appends, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->commits, 1, memory_order_relaxed);
    }
    for (op_t *op = batch->head; op; op = op->next) {
        if (op->kind == OP_QUERY)
            run_query(s, op);
        else if (op->kind == OP_SEARCH)
            run_search(s, op);
        else if (op->kind == OP_COUNTS)
            run_counts(s, op);
    }
}

static void writer_main(void *arg)
{
    sqlite_store_t *s = arg;
    for (;;) {
        op_list_t batch;
        uv_mutex_lock(&s->mu);
        while (!s->in.head && !s->stop)
            uv_cond_wait(&s->cond, &s->mu);
        if (!s->in.head) { /* stopping, and everything queued is done */
            uv_mutex_unlock(&s->mu);
            return;
        }
        s->queued -= list_take(&s->in, BATCH_MAX, &batch);
        uv_mutex_unlock(&s->mu);

        run_batch(s, &batch);

        uv_mutex_lock(&s->done_mu);
        list_splice(&s->done, &batch);
        uv_mutex_unlock(&s->done_mu);
        uv_async_send(&s->async);
    }
}

/* ---- loop thread ---- */

static void op_complete(op_t *op)
{
    if (op->kind == OP_APPEND || op->kind == OP_CHANGE) {
        if (op->cb.append)
            op->cb.append(op->ctx, 0);
        return;
    }
    op->cb.query(op->ctx, op->u.query.status, op->u.query.status < 0 ? NULL : op->u.query.rows,
                 op->u.query.n, op->u.query.more);
}

/* Calls back and frees every op of l, popping each before its callback so that a callback
 * that closes the store (which drains the same list) cannot see an op twice. */
static void drain(op_list_t *l)
{
    op_t *op;
    while ((op = l->head)) {
        l->head = op->next;
        if (!l->head)
            l->tail = NULL;
        op_complete(op);
        op_free(op);
    }
}

/* Runs completions in submission order. A callback may close the store: close answers
 * the rest of `running` and then what the writer still held, and s stays valid until
 * on_async_close. */
static void on_async(uv_async_t *h)
{
    sqlite_store_t *s = h->data;
    if (s->closing)
        return; /* close has answered everything already */
    uv_mutex_lock(&s->done_mu);
    list_splice(&s->running, &s->done);
    uv_mutex_unlock(&s->done_mu);
    drain(&s->running);
}

static void submit(sqlite_store_t *s, op_t *op)
{
    uv_mutex_lock(&s->mu);
    bool was_empty = s->in.head == NULL; /* else the writer is busy or already woken */
    list_push(&s->in, op);
    s->queued++;
    if (was_empty)
        uv_cond_signal(&s->cond);
    uv_mutex_unlock(&s->mu);
}

/* Copies s into *p (advancing it) and returns the copy. */
static const char *put_str(char **p, const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = memcpy(*p, s ? s : "", n);
    *p += n;
    return d;
}

static size_t str_size(const char *s)
{
    return strlen(s ? s : "") + 1;
}

static int sqlite_append(store_t *base, const store_msg_t *m, store_append_cb cb, void *ctx)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    if (s->closing)
        return -1;
    assert(m->seq > 0 && m->seq <= INT64_MAX);
    size_t n = str_size(m->channel) + str_size(m->user) + str_size(m->text) +
               str_size(m->kind ? m->kind : "msg") + str_size(m->mentions);
    op_t *op = xmalloc(sizeof(*op) + n);
    op->kind = OP_APPEND;
    op->ctx = ctx;
    op->cb.append = cb;
    char *p = op->data;
    op->u.msg = *m;
    op->u.msg.channel = put_str(&p, m->channel);
    op->u.msg.user = put_str(&p, m->user);
    op->u.msg.text = put_str(&p, m->text);
    op->u.msg.kind = put_str(&p, m->kind ? m->kind : "msg");
    op->u.msg.mentions = m->mentions ? put_str(&p, m->mentions) : NULL;
    submit(s, op);
    return 0;
}

static int sqlite_query(store_t *base, const store_query_t *q, store_query_cb cb, void *ctx)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    if (s->closing)
        return -1;
    size_t lc = strlen(q->channel) + 1;
    op_t *op = xcalloc(1, sizeof(*op) + lc);
    op->kind = OP_QUERY;
    op->ctx = ctx;
    op->cb.query = cb;
    op->u.query.q = *q;
    op->u.query.q.channel = memcpy(op->data, q->channel, lc);
    buf_init(&op->u.query.arena);
    submit(s, op);
    return 0;
}

static int sqlite_change(store_t *base, const store_change_t *c, store_append_cb cb, void *ctx)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    if (s->closing)
        return -1;
    size_t n = str_size(c->ch.name) + str_size(c->ch.kind) + str_size(c->ch.topic) +
               str_size(c->ch.created_by) + str_size(c->user);
    op_t *op = xmalloc(sizeof(*op) + n);
    op->kind = OP_CHANGE;
    op->ctx = ctx;
    op->cb.append = cb;
    op->u.change = *c;
    char *p = op->data;
    op->u.change.ch.name = put_str(&p, c->ch.name);
    op->u.change.ch.kind = put_str(&p, c->ch.kind);
    op->u.change.ch.topic = put_str(&p, c->ch.topic);
    op->u.change.ch.created_by = put_str(&p, c->ch.created_by);
    op->u.change.user = put_str(&p, c->user);
    submit(s, op);
    return 0;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t ? t : "";
}

static int sqlite_load(store_t *base, const store_load_t *cbs, void *ctx)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    static const char *const sql[5] = {
        "SELECT name, kind, topic, created_by, ts FROM channels ORDER BY name",
        "SELECT channel, user FROM members ORDER BY channel, user",
        "SELECT channel, user, seq FROM reads ORDER BY channel, user",
        "SELECT channel, target, user, text, kind FROM messages "
        "WHERE kind IN ('react', 'unreact') ORDER BY channel, seq",
        "SELECT channel, user, max(seq) FROM mentions GROUP BY channel, user"};
    for (int i = 0; i < 5; i++) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->rdb, sql[i], -1, &st, NULL);
        while (rc == SQLITE_OK || rc == SQLITE_ROW) {
            if ((rc = sqlite3_step(st)) != SQLITE_ROW)
                break;
            if (i == 0) {
                store_channel_t c = {col_text(st, 0), col_text(st, 1), col_text(st, 2),
                                     col_text(st, 3), sqlite3_column_int64(st, 4)};
                cbs->channel(ctx, &c);
            } else if (i == 1) {
                cbs->member(ctx, col_text(st, 0), col_text(st, 1));
            } else if (i == 2) {
                cbs->read(ctx, col_text(st, 0), col_text(st, 1),
                          (uint64_t)sqlite3_column_int64(st, 2));
            } else if (i == 3) {
                cbs->reaction(ctx, col_text(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
                              col_text(st, 2), col_text(st, 3),
                              strcmp(col_text(st, 4), "react") == 0);
            } else {
                cbs->mentioned(ctx, col_text(st, 0), col_text(st, 1),
                               (uint64_t)sqlite3_column_int64(st, 2));
            }
        }
        if (rc != SQLITE_DONE)
            log_error("store: loading channels: %s", sqlite3_errmsg(s->rdb));
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return 0;
}

static int sqlite_search(store_t *base, const store_search_t *q, store_query_cb cb, void *ctx)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    if (s->closing)
        return -1;
    size_t n = str_size(q->match) + str_size(q->user) + str_size(q->channel);
    op_t *op = xcalloc(1, sizeof(*op) + n);
    op->kind = OP_SEARCH;
    op->ctx = ctx;
    op->cb.query = cb;
    op->u.query.search = *q;
    char *p = op->data;
    op->u.query.search.match = put_str(&p, q->match);
    op->u.query.search.user = q->user ? put_str(&p, q->user) : NULL;
    op->u.query.search.channel = q->channel ? put_str(&p, q->channel) : NULL;
    buf_init(&op->u.query.arena);
    submit(s, op);
    return 0;
}

static int sqlite_mention_counts(store_t *base, const char *user, store_query_cb cb, void *ctx)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    if (s->closing)
        return -1;
    op_t *op = xcalloc(1, sizeof(*op) + str_size(user));
    op->kind = OP_COUNTS;
    op->ctx = ctx;
    op->cb.query = cb;
    char *p = op->data;
    op->u.query.search.user = put_str(&p, user);
    buf_init(&op->u.query.arena);
    submit(s, op);
    return 0;
}

static int sqlite_last_seq(store_t *base, const char *channel, uint64_t *out)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    if (s->closing)
        return -1;
    sqlite3_stmt *st = s->st_last_seq;
    int rc = sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(st, 0); /* max() of nothing is NULL: 0 */
    else
        log_error("store: last seq of channel %s: %s", channel, sqlite3_errmsg(s->rdb));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static void sqlite_stats(store_t *base, store_stats_t *out)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    out->appends = atomic_load_explicit(&s->appends, memory_order_relaxed);
    out->commits = atomic_load_explicit(&s->commits, memory_order_relaxed);
    out->queries = atomic_load_explicit(&s->queries, memory_order_relaxed);
    uv_mutex_lock(&s->mu);
    out->queued = s->queued;
    uv_mutex_unlock(&s->mu);
}

/* ---- open and close ---- */

static void finalize_all(sqlite_store_t *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]); /* NULL is a no-op */
        s->st[i] = NULL;
    }
    sqlite3_finalize(s->st_last_seq);
    s->st_last_seq = NULL;
}

static void db_close(sqlite3 *db)
{
    if (db && sqlite3_close(db) != SQLITE_OK)
        log_warn("store: close: %s", sqlite3_errmsg(db));
}

static void on_async_close(uv_handle_t *h)
{
    free(h->data);
}

static void sqlite_close(store_t *base)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    assert(!s->closing);
    s->closing = true;
    uv_mutex_lock(&s->mu);
    s->stop = true;
    uv_cond_signal(&s->cond);
    uv_mutex_unlock(&s->mu);
    uv_thread_join(&s->thread); /* the writer commits everything queued first */

    /* Completed but not yet called back: answer them now, in submission order, so every
     * caller's context is released (store.h). They run with `closing` set, so a callback
     * that submits more gets -1. */
    list_splice(&s->running, &s->done);
    drain(&s->running);
    finalize_all(s);
    db_close(s->db);
    db_close(s->rdb);
    uv_mutex_destroy(&s->done_mu);
    uv_cond_destroy(&s->cond);
    uv_mutex_destroy(&s->mu);
    uv_close((uv_handle_t *)&s->async, on_async_close);
}

static int db_open(const char *path, int flags, sqlite3 **out)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        log_error("store: cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    *out = db;
    return 0;
}

static int db_exec(sqlite3 *db, const char *path, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
        return 0;
    log_error("store: %s: %s: %s", path, sql, err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    return -1;
}

/* Runs a statement returning one integer (or text, into text/size); 0 or -1 after logging. */
static int db_get(sqlite3 *db, const char *path, const char *sql, sqlite3_int64 *num, char *text,
                  size_t size)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && num)
        *num = sqlite3_column_int64(st, 0);
    if (rc == SQLITE_ROW && text) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        size_t len = t ? strlen(t) : 0;
        len = len < size ? len : size - 1;
        memcpy(text, t ? t : "", len);
        text[len] = '\0';
    }
    if (rc != SQLITE_ROW)
        log_error("store: %s: %s: %s", path, sql,
                  rc == SQLITE_NOTADB ? "not a SQLite database" : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int schema_create(sqlite3 *db, const char *path)
{
    if (db_exec(db, path, "BEGIN IMMEDIATE") < 0)
        return -1;
    sqlite3_int64 version = 0; /* again, under the write lock: another process may have won */
    int rc = db_get(db, path, "PRAGMA user_version", &version, NULL, 0);
    if (rc == 0 && version == 0)
        rc = db_exec(db, path, sql_create_v1);
    if (rc == 0 && version < 2)
        rc = db_exec(db, path, sql_create_v2);
    if (rc == 0 && version < SQLITE_SCHEMA_VERSION)
        rc = db_exec(db, path, "PRAGMA user_version = " STR(SQLITE_SCHEMA_VERSION));
    if (rc == 0)
        rc = db_exec(db, path, "COMMIT");
    if (rc < 0)
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Checks that path is empty or a parley database we understand, before writing anything to
 * it (WAL mode changes the file), then sets it up. */
static int schema_init(sqlite3 *db, const store_sqlite_opts_t *opts)
{
    const char *path = opts->path;
    sqlite3_int64 version = 0, objects = 0;
    if (db_get(db, path, "PRAGMA user_version", &version, NULL, 0) < 0)
        return -1;
    if (version > SQLITE_SCHEMA_VERSION || version < 0) {
        log_error("store: %s has schema version %lld; this parley knows up to %d", path,
                  (long long)version, SQLITE_SCHEMA_VERSION);
        return -1;
    }
    if (version == 0 &&
        db_get(db, path, "SELECT count(*) FROM sqlite_master", &objects, NULL, 0) < 0)
        return -1;
    if (objects > 0) {
        log_error("store: %s is a SQLite database, but not parley's", path);
        return -1;
    }

    char mode[16];
    if (db_get(db, path, "PRAGMA journal_mode = WAL", NULL, mode, sizeof(mode)) < 0)
        return -1;
    if (strcmp(mode, "wal") != 0) {
        log_error("store: %s: cannot use WAL mode (journal_mode is %s)", path, mode);
        return -1;
    }
    if (db_exec(db, path,
                opts->sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") < 0)
        return -1;
    /* A new file gets every table; an older parley's file gets what it lacks. */
    return version < SQLITE_SCHEMA_VERSION ? schema_create(db, path) : 0;
}

static int prepare(sqlite3 *db, const char *path, const char *sql, sqlite3_stmt **out)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) == SQLITE_OK)
        return 0;
    log_error("store: %s: preparing \"%s\": %s", path, sql, sqlite3_errmsg(db));
    return -1;
}

static int prepare_all(sqlite_store_t *s, const char *path)
{
    for (int i = 0; i < ST_COUNT; i++)
        if (prepare(s->db, path, stmt_sql[i], &s->st[i]) < 0)
            return -1;
    return prepare(s->rdb, path, sql_last_seq, &s->st_last_seq);
}

static int uv_check(int rc, const char *path, const char *what)
{
    if (rc < 0)
        log_error("store: %s: %s: %s", path, what, uv_strerror(rc));
    return rc;
}

int store_sqlite_open(uv_loop_t *loop, const store_sqlite_opts_t *opts, store_t **out)
{
    if (!sqlite3_threadsafe()) {
        log_error("store: this SQLite library is built without thread support");
        return -1;
    }
    sqlite_store_t *s = xcalloc(1, sizeof(*s));
    s->base.be = &sqlite_backend;
    const char *path = opts->path;
    int rc = -1;

    if (db_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->db) < 0)
        goto err_free;
    if (schema_init(s->db, opts) < 0)
        goto err_db;
    if (db_open(path, SQLITE_OPEN_READWRITE, &s->rdb) < 0)
        goto err_db;
    if (prepare_all(s, path) < 0)
        goto err_stmts;
    if ((rc = uv_check(uv_mutex_init(&s->mu), path, "uv_mutex_init")) < 0)
        goto err_stmts;
    if ((rc = uv_check(uv_cond_init(&s->cond), path, "uv_cond_init")) < 0)
        goto err_mu;
    if ((rc = uv_check(uv_mutex_init(&s->done_mu), path, "uv_mutex_init")) < 0)
        goto err_cond;
    if ((rc = uv_check(uv_thread_create(&s->thread, writer_main, s), path, "uv_thread_create")) < 0)
        goto err_done_mu;
    /* Last, so that no failure needs an asynchronous uv_close. The writer touches the handle
     * only after an op arrives, and none can before we return. */
    if ((rc = uv_check(uv_async_init(loop, &s->async, on_async), path, "uv_async_init")) < 0)
        goto err_thread;
    s->async.data = s;

    log_info("store: %s open (sqlite %s, synchronous=%s)", path, sqlite3_libversion(),
             opts->sync_full ? "full" : "normal");
    *out = &s->base;
    return 0;

err_thread:
    uv_mutex_lock(&s->mu);
    s->stop = true;
    uv_cond_signal(&s->cond);
    uv_mutex_unlock(&s->mu);
    uv_thread_join(&s->thread);
err_done_mu:
    uv_mutex_destroy(&s->done_mu);
err_cond:
    uv_cond_destroy(&s->cond);
err_mu:
    uv_mutex_destroy(&s->mu);
err_stmts:
    finalize_all(s);
    db_close(s->rdb);
err_db:
    db_close(s->db);
err_free:
    free(s);
    return rc;
}

static const store_backend_t sqlite_backend = {
    .append = sqlite_append,
    .query = sqlite_query,
    .change = sqlite_change,
    .load = sqlite_load,
    .search = sqlite_search,
    .mention_counts = sqlite_mention_counts,
    .last_seq = sqlite_last_seq,
    .stats = sqlite_stats,
    .close = sqlite_close,
};
