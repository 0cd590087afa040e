/* store_sqlite_read - the SQLite backend's reads, run on the writer thread between batches:
 * history and resume ranges, threads, full-text search and unread mention counts. Each
 * copies its rows' strings into the op's arena, which the loop thread reads afterwards. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "store/store_sqlite_int.h"

/* Copies a text column, up to its first NUL, with a NUL, into arena. */
static void arena_put(buf_t *arena, sqlite3_stmt *st, int col)
{
    const char *p = (const char *)sqlite3_column_text(st, col);
    if (!p)
        p = "";
    buf_append(arena, p, strlen(p) + 1);
}

/* Where a read's columns go in a row: each integer column's index (-1: not read), and the
 * text columns copied into the arena, each with the store_msg_t string field it feeds. */
typedef struct {
    int seq, ts, thread, target;
    int text[3];
    size_t field[3];
    size_t ntext;
} row_shape_t;

#define FIELD(f) offsetof(store_msg_t, f)

/* history, resume and threads: MSG_COLS */
static const row_shape_t msg_rows = {0, 3, 5, 6, {1, 2, 4}, {FIELD(user), FIELD(text), FIELD(kind)},
                                     3};
/* search: seq, user, text, ts, channel (a message: no kind, thread or target) */
static const row_shape_t search_rows = {
    0, 3, -1, -1, {4, 1, 2}, {FIELD(channel), FIELD(user), FIELD(text)}, 3};
/* mention counts: channel, seq */
static const row_shape_t count_rows = {1, -1, -1, -1, {0}, {FIELD(channel)}, 1};

static int64_t col_int(sqlite3_stmt *st, int col)
{
    return col < 0 ? 0 : sqlite3_column_int64(st, col);
}

/* Steps st to its end, one zeroed row per result in op->u.query, its text columns copied
 * into the arena; then, the arena no longer moving, points each row's string fields into
 * it (fields not read stay ""). Returns the SQLite code that ended the loop. */
static int rows_read(sqlite3_stmt *st, store_op_t *op, const row_shape_t *sh)
{
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (op->u.query.n == cap) {
            cap = cap ? cap * 2 : 16;
            op->u.query.rows = xrealloc(op->u.query.rows, cap * sizeof(store_msg_t));
        }
        store_msg_t *m = &op->u.query.rows[op->u.query.n++];
        *m = (store_msg_t){.seq = (uint64_t)col_int(st, sh->seq),
                           .ts = col_int(st, sh->ts),
                           .thread = (uint64_t)col_int(st, sh->thread),
                           .target = (uint64_t)col_int(st, sh->target)};
        for (size_t k = 0; k < sh->ntext; k++)
            arena_put(&op->u.query.arena, st, sh->text[k]);
    }
    const char *p = op->u.query.arena.data;
    for (size_t i = 0; i < op->u.query.n; i++) {
        store_msg_t *m = &op->u.query.rows[i];
        m->user = m->text = "";
        for (size_t k = 0; k < sh->ntext; k++) {
            *(const char **)((char *)m + sh->field[k]) = p;
            p += strlen(p) + 1;
        }
    }
    return rc;
}

/* Logs why op's query failed and leaves it answering status -1 with no rows. */
static void query_fail(store_sqlite_t *s, store_op_t *op)
{
    log_warn("store: query on channel %s failed: %s", op->u.query.q.channel, sqlite3_errmsg(s->db));
    free(op->u.query.rows);
    op->u.query.rows = NULL;
    op->u.query.n = 0;
    buf_deinit(&op->u.query.arena);
    op->u.query.status = -1;
}

/* The thread of every msg among op's rows (oldest first, consecutive seqs): one grouped
 * range scan of the thread index, whatever the page's size. */
static int fill_replies(store_sqlite_t *s, store_op_t *op)
{
    store_msg_t *rows = op->u.query.rows;
    size_t n = op->u.query.n;
    sqlite3_stmt *st = s->st[ST_REPLIES];
    int rc = sqlite3_bind_text(st, 1, op->u.query.q.channel, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, store_sqlite_clamp_seq(rows[0].seq));
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, store_sqlite_clamp_seq(rows[n - 1].seq));
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
        uint64_t parent = (uint64_t)sqlite3_column_int64(st, 0);
        /* Seqs are gapless, so the parent's row is found by offset; checked all the same. */
        size_t i = (size_t)(parent - rows[0].seq);
        if (i >= n || rows[i].seq != parent)
            continue;
        rows[i].replies = (uint32_t)sqlite3_column_int64(st, 1);
        rows[i].last_reply = (uint64_t)sqlite3_column_int64(st, 2);
        rows[i].last_reply_ts = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* Runs one query. Rows come newest first for history (DESC), so they are reversed; one row
 * beyond the limit is asked for to learn `more`, and dropped. */
void store_sqlite_run_query(store_sqlite_t *s, store_op_t *op)
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

    int rc = sqlite3_bind_text(st, 1, q->channel, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && st != s->st[ST_NEWEST])
        rc = sqlite3_bind_int64(st, 2, store_sqlite_clamp_seq(bound));
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)q->limit + 1);
    if (rc == SQLITE_OK)
        rc = rows_read(st, op, &msg_rows);
    if (rc != SQLITE_DONE)
        query_fail(s, op);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return;

    for (size_t i = 0; i < op->u.query.n; i++)
        op->u.query.rows[i].channel = q->channel;
    op->u.query.more = op->u.query.n > q->limit;
    if (op->u.query.more)
        op->u.query.n = q->limit;
    store_msg_t *rows = op->u.query.rows;
    for (size_t i = 0, j = op->u.query.n; desc && i + 1 < j; i++, j--) {
        store_msg_t t = rows[i];
        rows[i] = rows[j - 1];
        rows[j - 1] = t;
    }
    if (q->replies && op->u.query.n > 0 && fill_replies(s, op) != SQLITE_DONE) {
        query_fail(s, op);
        return;
    }
    atomic_fetch_add_explicit(&s->queries, 1, memory_order_relaxed);
}

/* Runs a search: rows carry their channel, user and text in the arena, in that order. */
void store_sqlite_run_search(store_sqlite_t *s, store_op_t *op)
{
    const store_search_t *q = &op->u.query.search;
    sqlite3_stmt *st = s->st[ST_SEARCH];
    int rc = sqlite3_bind_text(st, 1, q->match, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = q->user ? sqlite3_bind_text(st, 2, q->user, -1, SQLITE_STATIC)
                     : sqlite3_bind_null(st, 2);
    if (rc == SQLITE_OK)
        rc = q->channel ? sqlite3_bind_text(st, 3, q->channel, -1, SQLITE_STATIC)
                        : sqlite3_bind_null(st, 3);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)q->limit + 1);
    if (rc == SQLITE_OK)
        rc = rows_read(st, op, &search_rows);
    if (rc != SQLITE_DONE) {
        /* A malformed expression lands here too: the caller quotes every term, so this is
         * rare, and it is an answer (no results), not a failure of the store. */
        log_debug("store: search failed: %s", sqlite3_errmsg(s->db));
        op->u.query.status = -1;
        op->u.query.n = 0;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    op->u.query.more = op->u.query.n > q->limit;
    if (op->u.query.more)
        op->u.query.n = q->limit;
    atomic_fetch_add_explicit(&s->queries, 1, memory_order_relaxed);
}

/* Unread mentions of one user (the name is in search.user): rows of channel and seq. */
void store_sqlite_run_counts(store_sqlite_t *s, store_op_t *op)
{
    sqlite3_stmt *st = s->st[ST_MENTION_COUNT];
    int rc = sqlite3_bind_text(st, 1, op->u.query.search.user, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = rows_read(st, op, &count_rows);
    if (rc != SQLITE_DONE) {
        log_warn("store: mention counts failed: %s", sqlite3_errmsg(s->db));
        op->u.query.status = -1;
        op->u.query.n = 0;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    atomic_fetch_add_explicit(&s->queries, 1, memory_order_relaxed);
}
