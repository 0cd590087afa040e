/* store_worker - the shared queue, writer thread and hand-back of every threaded backend; see
 * store_worker.h.
 *
 * Structures: each operation is one op_t, allocated once with its strings in op->data. The
 * loop thread pushes ops onto `in`, a FIFO under `mu`/`cond`. The writer thread takes what is
 * queued (at most STORE_WORKER_BATCH ops), runs the batch (writes in one transaction, then
 * probes, then reads), moves the whole batch, still in submission order, onto `done` (under
 * `done_mu`) and wakes the loop with uv_async_send; on_async calls back in that order and
 * frees the ops. Under load many writes share one commit, which is the point.
 *
 * Groups (store_group_begin/end): while one is open, submissions go to `staged` instead of
 * `in`, each marked with the group's number; its end moves them all onto `in` under one lock,
 * so the writer never sees part of a group, and list_take never ends a batch inside one
 * (a batch grows past STORE_WORKER_BATCH by at most the group's size). One batch is one
 * transaction, so a group commits or fails whole.
 *
 * The failed state is a fence of epochs. `epoch` counts store_recover calls; each write
 * records it when submitted. When a transaction fails, the thread sets `fenced` to the
 * current epoch, under `mu` (so a recover is either before it, and fenced too, or after it):
 * from then on a write whose epoch is <= fenced is answered STORE_EFAILED untried. A recover
 * bumps the epoch, so only writes submitted after it are tried again.
 *
 * Invariants:
 * - impl's writer functions run only on the writer thread (its load and last_seq on the loop
 *   thread); ops->free runs after the thread is joined.
 * - `closing` is set by close on the loop thread; afterwards submissions return
 *   STORE_ECLOSED. Close still answers every op submitted before it, so callers' contexts
 *   are released; the worker is freed in the async handle's close callback. */
#include "store/store_worker.h"

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmalloc.h"

enum { OP_APPEND, OP_CHANGE, OP_PROBE, OP_QUERY, OP_SEARCH, OP_COUNTS };

typedef struct op {
    struct op *next;
    int kind;
    int status;
    uint64_t epoch; /* writes: the recover epoch when submitted */
    uint64_t group; /* the group it was submitted in, 0 for none */
    void *ctx;
    union {
        store_append_cb write; /* appends, changes, probes */
        store_query_cb read;
    } cb;
    union {
        store_msg_t msg;
        store_change_t change;
        store_query_t query;
        store_search_t search;
        uint64_t user_id; /* OP_COUNTS */
    } u;
    store_rows_t rows;
    alignas(max_align_t) char data[]; /* search terms or mention ids, then every string */
} op_t;

typedef struct {
    op_t *head, *tail;
} op_list_t;

typedef struct {
    store_t base; /* first, so that a store_t * is a worker_t * */
    const store_worker_ops_t *ops;
    void *impl;
    uv_async_t async;
    uv_thread_t thread;

    uv_mutex_t mu; /* guards in, queued, stop, epoch, fenced, failed */
    uv_cond_t cond;
    op_list_t in;
    size_t queued;
    bool stop;
    uint64_t epoch;  /* written by the loop thread (recover) */
    uint64_t fenced; /* written by the writer thread: writes of an epoch <= fenced fail */
    bool failed;     /* from a failed transaction to the next recover */

    uv_mutex_t done_mu; /* guards done */
    op_list_t done;
    op_list_t running; /* loop thread: completions being called back now */

    op_list_t staged; /* loop thread: the open group's ops, not yet in `in` */
    size_t nstaged;
    uint64_t group; /* loop thread: the open group's number, 0 when none is open */
    uint64_t groups;

    bool closing; /* loop thread only */
    _Atomic uint64_t appends, commits, queries, failures;
} worker_t;

static const store_backend_t worker_backend;

/* ---- rows ---- */

#define CHUNK_BYTES 16384

struct store_chunk {
    store_chunk_t *next;
    size_t used, cap;
    char data[];
};

/* Copies s into the newest chunk, or a new one where it does not fit (never moving the
 * strings already handed out). */
static const char *rows_str(store_rows_t *r, const char *s)
{
    size_t n = strlen(s) + 1;
    store_chunk_t *c = r->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
        c = xmalloc(sizeof(*c) + cap);
        c->next = r->chunks;
        c->used = 0;
        c->cap = cap;
        r->chunks = c;
    }
    char *d = memcpy(c->data + c->used, s, n);
    c->used += n;
    return d;
}

store_msg_t *store_rows_add(store_rows_t *r, const store_msg_t *m)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->rows = xrealloc(r->rows, r->cap * sizeof(*r->rows));
    }
    store_msg_t *row = &r->rows[r->n++];
    *row = *m;
    row->channel = m->channel ? rows_str(r, m->channel) : NULL;
    row->user = rows_str(r, m->user ? m->user : "");
    row->text = rows_str(r, m->text ? m->text : "");
    row->kind = m->kind ? rows_str(r, m->kind) : NULL;
    row->cid = rows_str(r, m->cid ? m->cid : "");
    row->mentions = NULL;
    row->nmentions = 0;
    return row;
}

void store_rows_truncate(store_rows_t *r, size_t n)
{
    assert(n <= r->n);
    r->n = n;
}

void store_rows_free(store_rows_t *r)
{
    while (r->chunks) {
        store_chunk_t *c = r->chunks;
        r->chunks = c->next;
        free(c);
    }
    free(r->rows);
    *r = (store_rows_t){0};
}

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

/* Moves up to max ops from the front of src to dst (empty before), and then the rest of a
 * group the last of them is in: a group is never cut. Returns how many. */
static size_t list_take(op_list_t *src, size_t max, op_list_t *dst)
{
    assert(src->head && max > 0);
    size_t n = 1;
    op_t *last = src->head;
    for (; last->next && (n < max || (last->group && last->next->group == last->group)); n++)
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

static bool is_write(const op_t *op)
{
    return op->kind == OP_APPEND || op->kind == OP_CHANGE;
}

/* ---- writer thread ---- */

/* The batch's transaction failed: nothing of it is stored, so every write tried in it is
 * answered as failed, and the fence goes up to the current epoch (see the top of the file). */
static void fail_batch(worker_t *w, op_list_t *batch, uint64_t fenced)
{
    size_t n = 0;
    for (op_t *op = batch->head; op; op = op->next) {
        if (is_write(op) && op->epoch > fenced) {
            op->status = STORE_EFAILED;
            n++;
        }
    }
    uv_mutex_lock(&w->mu);
    w->fenced = w->epoch;
    w->failed = true;
    uv_mutex_unlock(&w->mu);
    atomic_fetch_add_explicit(&w->failures, 1, memory_order_relaxed);
    log_error("store: %s: a write transaction failed and was rolled back; its %zu writes and "
              "every later one are refused until the store recovers",
              w->ops->name, n);
}

static int apply(worker_t *w, op_t *op)
{
    if (op->kind == OP_APPEND)
        return w->ops->append(w->impl, &op->u.msg);
    int rc = w->ops->change(w->impl, &op->u.change);
    if (rc == STORE_ECONFLICT) {
        op->status = rc; /* an answer for this op, not a failure of the transaction */
        rc = 0;
    }
    return rc;
}

/* The batch's writes in one transaction, except those behind the fence. */
static void run_writes(worker_t *w, op_list_t *batch)
{
    uv_mutex_lock(&w->mu);
    uint64_t fenced = w->fenced;
    uv_mutex_unlock(&w->mu);
    uint64_t tried = 0, appends = 0;
    int rc = 0;
    for (op_t *op = batch->head; op && rc == 0; op = op->next) {
        if (!is_write(op))
            continue;
        if (op->epoch <= fenced) {
            op->status = STORE_EFAILED; /* submitted before the last recover: untried */
            continue;
        }
        if (tried++ == 0 && (rc = w->ops->begin(w->impl)) < 0)
            break;
        rc = apply(w, op);
        appends += op->kind == OP_APPEND;
    }
    if (tried && rc == 0)
        rc = w->ops->commit(w->impl);
    if (rc < 0) {
        w->ops->rollback(w->impl);
        fail_batch(w, batch, fenced);
        return;
    }
    if (tried) {
        atomic_fetch_add_explicit(&w->appends, appends, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->commits, 1, memory_order_relaxed);
    }
}

static int run_probe(worker_t *w)
{
    int rc = w->ops->begin(w->impl);
    if (rc == 0)
        rc = w->ops->probe(w->impl);
    if (rc == 0)
        rc = w->ops->commit(w->impl);
    if (rc < 0)
        w->ops->rollback(w->impl);
    return rc < 0 ? STORE_EFAILED : 0;
}

static void run_read(worker_t *w, op_t *op)
{
    int rc;
    if (op->kind == OP_QUERY)
        rc = w->ops->query(w->impl, &op->u.query, &op->rows);
    else if (op->kind == OP_SEARCH)
        rc = w->ops->search(w->impl, &op->u.search, &op->rows);
    else
        rc = w->ops->mention_counts(w->impl, op->u.user_id, &op->rows);
    if (rc < 0) {
        store_rows_free(&op->rows);
        op->status = STORE_EFAILED;
    }
    atomic_fetch_add_explicit(&w->queries, 1, memory_order_relaxed);
}

static void run_batch(worker_t *w, op_list_t *batch)
{
    run_writes(w, batch);
    for (op_t *op = batch->head; op; op = op->next) {
        if (op->kind == OP_PROBE)
            op->status = run_probe(w);
        else if (!is_write(op))
            run_read(w, op);
    }
}

static void writer_main(void *arg)
{
    worker_t *w = arg;
    for (;;) {
        op_list_t batch;
        uv_mutex_lock(&w->mu);
        while (!w->in.head && !w->stop)
            uv_cond_wait(&w->cond, &w->mu);
        if (!w->in.head) { /* stopping, and everything queued is done */
            uv_mutex_unlock(&w->mu);
            return;
        }
        w->queued -= list_take(&w->in, STORE_WORKER_BATCH, &batch);
        uv_mutex_unlock(&w->mu);

        run_batch(w, &batch);

        uv_mutex_lock(&w->done_mu);
        list_splice(&w->done, &batch);
        uv_mutex_unlock(&w->done_mu);
        uv_async_send(&w->async);
    }
}

/* ---- loop thread: completions ---- */

static void op_complete(op_t *op)
{
    if (op->kind <= OP_PROBE) {
        if (op->cb.write)
            op->cb.write(op->ctx, op->status);
        return;
    }
    bool ok = op->status == 0;
    op->cb.read(op->ctx, op->status, ok ? op->rows.rows : NULL, ok ? op->rows.n : 0,
                ok && op->rows.more);
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
        store_rows_free(&op->rows);
        free(op);
    }
}

/* Runs completions in submission order. A callback may close the store: close answers
 * the rest of `running` and then what the writer still held, and w stays valid until
 * on_async_close. */
static void on_async(uv_async_t *h)
{
    worker_t *w = h->data;
    if (w->closing)
        return; /* close has answered everything already */
    uv_mutex_lock(&w->done_mu);
    list_splice(&w->running, &w->done);
    uv_mutex_unlock(&w->done_mu);
    drain(&w->running);
}

/* ---- loop thread: submissions ---- */

/* A new op of kind with room for `extra` bytes of data. */
static op_t *op_new(int kind, size_t extra, void *ctx)
{
    op_t *op = xcalloc(1, sizeof(*op) + extra);
    op->kind = kind;
    op->ctx = ctx;
    return op;
}

static int submit(worker_t *w, op_t *op)
{
    if (w->group) {
        op->group = w->group;
        op->epoch = w->epoch; /* only this thread writes it; recover is not called in a group */
        list_push(&w->staged, op);
        w->nstaged++;
        return 0;
    }
    uv_mutex_lock(&w->mu);
    bool was_empty = w->in.head == NULL; /* else the writer is busy or already woken */
    op->epoch = w->epoch;
    list_push(&w->in, op);
    w->queued++;
    if (was_empty)
        uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
    return 0;
}

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Copies s (NULL stays NULL) to *p, advancing it. */
static const char *put_str(char **p, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*p, s, n);
    *p += n;
    return d;
}

static int worker_append(store_t *base, const store_msg_t *m, store_append_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    if (!store_cid_valid(m->cid))
        return STORE_EINVAL;
    assert(m->seq > 0 && m->seq <= INT64_MAX);
    const char *cid = m->cid && m->cid[0] ? m->cid : NULL;
    size_t nmentions = m->mentions ? m->nmentions : 0;
    size_t ids = nmentions * sizeof(uint64_t);
    op_t *op = op_new(OP_APPEND,
                      ids + str_size(m->channel) + str_size(m->user) + str_size(m->text) +
                          str_size(m->kind ? m->kind : "msg") + str_size(cid),
                      ctx);
    op->cb.write = cb;
    op->u.msg = *m;
    /* The ids first, where data is aligned for them; the strings after. */
    uint64_t *mentions = (uint64_t *)(void *)op->data;
    if (ids)
        memcpy(mentions, m->mentions, ids);
    op->u.msg.mentions = ids ? mentions : NULL;
    op->u.msg.nmentions = nmentions;
    char *p = op->data + ids;
    op->u.msg.channel = put_str(&p, m->channel);
    op->u.msg.user = put_str(&p, m->user);
    op->u.msg.text = put_str(&p, m->text);
    op->u.msg.kind = put_str(&p, m->kind ? m->kind : "msg");
    op->u.msg.cid = put_str(&p, cid);
    return submit(w, op);
}

/* Every string field of a change, so that sizing and copying cannot miss one. */
#define CHANGE_STRS 16

static void change_strs(store_change_t *c, const char **v[CHANGE_STRS])
{
    const char **all[CHANGE_STRS] = {
        &c->ch.name,   &c->ch.kind,  &c->ch.topic, &c->ch.created_by, &c->u.name,    &c->u.canon,
        &c->u.display, &c->u.role,   &c->u.pass,   &c->u.state,       &c->sess.hash, &c->sess.agent,
        &c->sess.addr, &c->inv.hash, &c->inv.kind, &c->inv.role,
    };
    memcpy(v, all, sizeof(all));
}

static int worker_change(store_t *base, const store_change_t *c, store_append_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    if (!store_change_valid(c))
        return STORE_EINVAL;
    const char **strs[CHANGE_STRS];
    store_change_t sized = *c;
    change_strs(&sized, strs);
    size_t n = 0;
    for (int i = 0; i < CHANGE_STRS; i++)
        n += str_size(*strs[i]);
    op_t *op = op_new(OP_CHANGE, n, ctx);
    op->cb.write = cb;
    op->u.change = *c; /* its strings still the caller's: each is copied into data below */
    change_strs(&op->u.change, strs);
    char *p = op->data;
    for (int i = 0; i < CHANGE_STRS; i++)
        *strs[i] = put_str(&p, *strs[i]);
    return submit(w, op);
}

static int worker_probe(store_t *base, store_append_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    op_t *op = op_new(OP_PROBE, 0, ctx);
    op->cb.write = cb;
    return submit(w, op);
}

static int worker_query(store_t *base, const store_query_t *q, store_query_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    op_t *op = op_new(OP_QUERY, str_size(q->channel), ctx);
    op->cb.read = cb;
    op->u.query = *q;
    char *p = op->data;
    op->u.query.channel = put_str(&p, q->channel);
    return submit(w, op);
}

static int worker_search(store_t *base, const store_search_t *q, store_query_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    if (q->nterms == 0)
        return STORE_EINVAL;
    size_t n = q->nterms * sizeof(store_term_t) + q->nchannels * sizeof(char *) +
               str_size(q->user) + str_size(q->channel);
    for (size_t i = 0; i < q->nterms; i++)
        n += str_size(q->terms[i].text ? q->terms[i].text : "");
    for (size_t i = 0; i < q->nchannels; i++)
        n += str_size(q->channels[i]);
    op_t *op = op_new(OP_SEARCH, n, ctx);
    op->cb.read = cb;
    op->u.search = *q;
    store_term_t *terms = (store_term_t *)(void *)op->data; /* data is aligned for it */
    /* The pointers follow the terms (whose size keeps them aligned), then the strings. */
    const char **chans = (const char **)(void *)(op->data + q->nterms * sizeof(store_term_t));
    char *p = (char *)(chans + q->nchannels);
    for (size_t i = 0; i < q->nchannels; i++)
        chans[i] = put_str(&p, q->channels[i]);
    op->u.search.channels = q->nchannels ? chans : NULL;
    for (size_t i = 0; i < q->nterms; i++) {
        terms[i].phrase = q->terms[i].phrase;
        terms[i].text = put_str(&p, q->terms[i].text ? q->terms[i].text : "");
    }
    op->u.search.terms = terms;
    op->u.search.user = put_str(&p, q->user);
    op->u.search.channel = put_str(&p, q->channel);
    return submit(w, op);
}

static int worker_mention_counts(store_t *base, uint64_t user_id, store_query_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    op_t *op = op_new(OP_COUNTS, 0, ctx);
    op->cb.read = cb;
    op->u.user_id = user_id;
    return submit(w, op);
}

static int worker_load(store_t *base, const store_load_t *cbs, void *ctx)
{
    worker_t *w = (worker_t *)base;
    return w->ops->load(w->impl, cbs, NULL, ctx);
}

static int worker_load_keyed(store_t *base, store_keyed_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    static const store_load_t none = {0};
    return w->ops->load(w->impl, &none, cb, ctx);
}

static int worker_last_seq(store_t *base, const char *channel, uint64_t *out)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    return w->ops->last_seq(w->impl, channel, out);
}

static int worker_load_accounts(store_t *base, const store_accounts_load_t *cbs, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    return w->ops->load_accounts(w->impl, cbs, ctx);
}

static int worker_accounts_version(store_t *base, uint64_t *out)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    return w->ops->accounts_version(w->impl, out);
}

/* Moves the open group's ops onto the writer's queue at once (loop thread). */
static void unstage(worker_t *w)
{
    if (!w->staged.head)
        return;
    uv_mutex_lock(&w->mu);
    bool was_empty = w->in.head == NULL;
    list_splice(&w->in, &w->staged);
    w->queued += w->nstaged;
    w->nstaged = 0;
    if (was_empty)
        uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
}

static void worker_group(store_t *base, bool begin)
{
    worker_t *w = (worker_t *)base;
    assert(begin == !w->group); /* groups do not nest, and an end closes an open one */
    if (begin) {
        w->group = ++w->groups;
        return;
    }
    w->group = 0;
    unstage(w);
}

static void worker_recover(store_t *base)
{
    worker_t *w = (worker_t *)base;
    assert(!w->group); /* a group's writes share one epoch: all tried, or all refused */
    uv_mutex_lock(&w->mu);
    w->epoch++;
    if (w->failed)
        log_info("store: %s: recovering: writes are tried again", w->ops->name);
    w->failed = false;
    uv_mutex_unlock(&w->mu);
}

static void worker_stats(store_t *base, store_stats_t *out)
{
    worker_t *w = (worker_t *)base;
    out->appends = atomic_load_explicit(&w->appends, memory_order_relaxed);
    out->commits = atomic_load_explicit(&w->commits, memory_order_relaxed);
    out->queries = atomic_load_explicit(&w->queries, memory_order_relaxed);
    out->failures = atomic_load_explicit(&w->failures, memory_order_relaxed);
    uv_mutex_lock(&w->mu);
    out->queued = w->queued + w->nstaged;
    out->failed = w->failed;
    uv_mutex_unlock(&w->mu);
}

/* ---- open and close ---- */

static void on_async_close(uv_handle_t *h)
{
    free(h->data);
}

static void stop_thread(worker_t *w)
{
    uv_mutex_lock(&w->mu);
    w->stop = true;
    uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
    uv_thread_join(&w->thread); /* the writer runs everything queued first */
}

static void worker_close(store_t *base)
{
    worker_t *w = (worker_t *)base;
    assert(!w->closing);
    w->closing = true;
    w->group = 0; /* an open group is committed like everything else queued */
    unstage(w);
    stop_thread(w);
    /* Completed but not yet called back: answer them now, in submission order, so every
     * caller's context is released (store.h). They run with `closing` set, so a callback
     * that submits more gets STORE_ECLOSED. */
    list_splice(&w->running, &w->done);
    drain(&w->running);
    w->ops->free(w->impl);
    uv_mutex_destroy(&w->done_mu);
    uv_cond_destroy(&w->cond);
    uv_mutex_destroy(&w->mu);
    uv_close((uv_handle_t *)&w->async, on_async_close);
}

static int uv_check(int rc, const char *name, const char *what)
{
    if (rc < 0)
        log_error("store: %s: %s: %s", name, what, uv_strerror(rc));
    return rc;
}

int store_worker_open(uv_loop_t *loop, const store_worker_ops_t *ops, void *impl, bool failed,
                      store_t **out)
{
    worker_t *w = xcalloc(1, sizeof(*w));
    w->base.be = &worker_backend;
    w->ops = ops;
    w->impl = impl;
    w->epoch = 1; /* fenced = 0: nothing refused; fenced = 1: epoch 1 refused until recover */
    w->fenced = failed ? 1 : 0;
    w->failed = failed;
    w->failures = failed ? 1 : 0;
    int rc;
    if ((rc = uv_check(uv_mutex_init(&w->mu), ops->name, "uv_mutex_init")) < 0)
        goto err_free;
    if ((rc = uv_check(uv_cond_init(&w->cond), ops->name, "uv_cond_init")) < 0)
        goto err_mu;
    if ((rc = uv_check(uv_mutex_init(&w->done_mu), ops->name, "uv_mutex_init")) < 0)
        goto err_cond;
    rc = uv_thread_create(&w->thread, writer_main, w);
    if (uv_check(rc, ops->name, "uv_thread_create") < 0)
        goto err_done_mu;
    /* Last, so that no failure needs an asynchronous uv_close. The writer touches the handle
     * only after an op arrives, and none can before we return. */
    if ((rc = uv_check(uv_async_init(loop, &w->async, on_async), ops->name, "uv_async_init")) < 0)
        goto err_thread;
    w->async.data = w;
    *out = &w->base;
    return 0;

err_thread:
    stop_thread(w);
err_done_mu:
    uv_mutex_destroy(&w->done_mu);
err_cond:
    uv_cond_destroy(&w->cond);
err_mu:
    uv_mutex_destroy(&w->mu);
err_free:
    free(w);
    return rc;
}

static const store_backend_t worker_backend = {
    .append = worker_append,
    .query = worker_query,
    .change = worker_change,
    .load = worker_load,
    .search = worker_search,
    .mention_counts = worker_mention_counts,
    .load_keyed = worker_load_keyed,
    .last_seq = worker_last_seq,
    .stats = worker_stats,
    .close = worker_close,
    .probe = worker_probe,
    .recover = worker_recover,
    .load_accounts = worker_load_accounts,
    .accounts_version = worker_accounts_version,
    .group = worker_group,
};
