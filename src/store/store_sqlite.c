/* store_sqlite - the SQLite backend of store.h (group commit on a writer thread).
 *
 * Structures: each append or query is one store_op_t, allocated once with its strings in op->data.
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
#include "store/store_sqlite_int.h"

static const store_backend_t sqlite_backend;

/* ---- op lists ---- */

static void list_push(store_op_list_t *l, store_op_t *op)
{
    op->next = NULL;
    if (l->tail)
        l->tail->next = op;
    else
        l->head = op;
    l->tail = op;
}

/* Moves up to max ops from the front of src to dst (empty before); returns how many. */
static size_t list_take(store_op_list_t *src, size_t max, store_op_list_t *dst)
{
    assert(src->head && max > 0);
    size_t n = 1;
    store_op_t *last = src->head;
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

static void list_splice(store_op_list_t *dst, store_op_list_t *src)
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

static void op_free(store_op_t *op)
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
static void die(store_sqlite_t *s, const char *what)
{
    log_error("store: %s failed: %s; exiting so that no acknowledged message is lost", what,
              sqlite3_errmsg(s->db));
    exit(EXIT_STORE);
}

/* Steps a statement that returns no row, retrying SQLITE_BUSY; anything else is fatal. */
static void step_or_die(store_sqlite_t *s, sqlite3_stmt *st, const char *what)
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
static void bind_text(store_sqlite_t *s, sqlite3_stmt *st, int i, const char *v)
{
    if (sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) != SQLITE_OK)
        die(s, "insert (bind)");
}

static void bind_int(store_sqlite_t *s, sqlite3_stmt *st, int i, int64_t v)
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

static void fts_drop(store_sqlite_t *s, const char *channel, uint64_t seq)
{
    char key[2 * 80 + 48];
    fts_key(key, sizeof(key), channel, seq, true);
    sqlite3_stmt *st = s->st[ST_FTS_DELETE];
    bind_text(s, st, 1, key);
    step_or_die(s, st, "search index delete");
    sqlite3_clear_bindings(st);
}

static void fts_add(store_sqlite_t *s, const store_msg_t *m, uint64_t seq)
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

static void mentions_add(store_sqlite_t *s, const store_msg_t *m)
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

static void mentions_drop(store_sqlite_t *s, const char *channel, uint64_t seq)
{
    sqlite3_stmt *st = s->st[ST_MENTION_DROP];
    bind_text(s, st, 1, channel);
    bind_int(s, st, 2, (int64_t)seq);
    step_or_die(s, st, "mention delete");
    sqlite3_clear_bindings(st);
}

/* The event row, and what it does to the search index: a message is indexed, an edit
 * replaces its target's entry, a delete drops it. */
static void insert_or_die(store_sqlite_t *s, const store_msg_t *m)
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

static void bind_or_die(store_sqlite_t *s, int rc)
{
    if (rc != SQLITE_OK)
        die(s, "change (bind)");
}

static void change_or_die(store_sqlite_t *s, const store_change_t *c)
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
        bind_or_die(s, sqlite3_bind_int64(st, 3, store_sqlite_clamp_seq(c->seq)));
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

static void run_batch(store_sqlite_t *s, const store_op_list_t *batch)
{
    uint64_t appends = 0, writes = 0;
    for (store_op_t *op = batch->head; op; op = op->next) {
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
    for (store_op_t *op = batch->head; op; op = op->next) {
        if (op->kind == OP_QUERY)
            store_sqlite_run_query(s, op);
        else if (op->kind == OP_SEARCH)
            store_sqlite_run_search(s, op);
        else if (op->kind == OP_COUNTS)
            store_sqlite_run_counts(s, op);
    }
}

static void writer_main(void *arg)
{
    store_sqlite_t *s = arg;
    for (;;) {
        store_op_list_t batch;
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

static void op_complete(store_op_t *op)
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
static void drain(store_op_list_t *l)
{
    store_op_t *op;
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
    store_sqlite_t *s = h->data;
    if (s->closing)
        return; /* close has answered everything already */
    uv_mutex_lock(&s->done_mu);
    list_splice(&s->running, &s->done);
    uv_mutex_unlock(&s->done_mu);
    drain(&s->running);
}

static void submit(store_sqlite_t *s, store_op_t *op)
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
    store_sqlite_t *s = (store_sqlite_t *)base;
    if (s->closing)
        return -1;
    assert(m->seq > 0 && m->seq <= INT64_MAX);
    size_t n = str_size(m->channel) + str_size(m->user) + str_size(m->text) +
               str_size(m->kind ? m->kind : "msg") + str_size(m->mentions);
    store_op_t *op = xmalloc(sizeof(*op) + n);
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
    store_sqlite_t *s = (store_sqlite_t *)base;
    if (s->closing)
        return -1;
    size_t lc = strlen(q->channel) + 1;
    store_op_t *op = xcalloc(1, sizeof(*op) + lc);
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
    store_sqlite_t *s = (store_sqlite_t *)base;
    if (s->closing)
        return -1;
    size_t n = str_size(c->ch.name) + str_size(c->ch.kind) + str_size(c->ch.topic) +
               str_size(c->ch.created_by) + str_size(c->user);
    store_op_t *op = xmalloc(sizeof(*op) + n);
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
    store_sqlite_t *s = (store_sqlite_t *)base;
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
    store_sqlite_t *s = (store_sqlite_t *)base;
    if (s->closing)
        return -1;
    size_t n = str_size(q->match) + str_size(q->user) + str_size(q->channel);
    store_op_t *op = xcalloc(1, sizeof(*op) + n);
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
    store_sqlite_t *s = (store_sqlite_t *)base;
    if (s->closing)
        return -1;
    store_op_t *op = xcalloc(1, sizeof(*op) + str_size(user));
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
    store_sqlite_t *s = (store_sqlite_t *)base;
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
    store_sqlite_t *s = (store_sqlite_t *)base;
    out->appends = atomic_load_explicit(&s->appends, memory_order_relaxed);
    out->commits = atomic_load_explicit(&s->commits, memory_order_relaxed);
    out->queries = atomic_load_explicit(&s->queries, memory_order_relaxed);
    uv_mutex_lock(&s->mu);
    out->queued = s->queued;
    uv_mutex_unlock(&s->mu);
}

/* ---- open and close ---- */

static void finalize_all(store_sqlite_t *s)
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
    store_sqlite_t *s = (store_sqlite_t *)base;
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
    store_sqlite_t *s = xcalloc(1, sizeof(*s));
    s->base.be = &sqlite_backend;
    const char *path = opts->path;
    int rc = -1;

    if (store_sqlite_db_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->db) < 0)
        goto err_free;
    if (store_sqlite_schema_init(s->db, opts) < 0)
        goto err_db;
    if (store_sqlite_db_open(path, SQLITE_OPEN_READWRITE, &s->rdb) < 0)
        goto err_db;
    if (store_sqlite_prepare_all(s, path) < 0)
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
