/* store_worker - the shared queues, threads and hand-back of every threaded backend; see
 * store_worker.h.
 *
 * Structures: operations are op_t (store_worker_op.c). The loop thread pushes writes and
 * probes onto `in`, a FIFO under `mu`/`cond`, and reads onto `rin`, a FIFO under
 * `rmu`/`rcond`. The writer thread takes what is queued on `in` (at most STORE_WORKER_BATCH
 * ops), runs the batch (writes in one transaction, then probes) and moves the whole batch,
 * in submission order, onto `done` (under `done_mu`); each reader thread takes one read at a
 * time from `rin`, runs it on its own connection and moves it onto `done`. Either wakes the
 * loop with uv_async_send; on_async calls back in the order of `done` and frees the ops.
 * Under load many writes share one commit, which is the point; and no write waits for a
 * read, which is the point of the readers.
 *
 * Seqs: an append carries its seq, or 0 for the backend to assign (store.h). The backend
 * reports each append's seq and duplicate mark into its op, and they are read only after
 * the commit returned, so that a backend may pipeline its appends; a failed transaction's
 * appends answer seq 0 whatever it reported. A backend shared by several processes gets,
 * right after begin, the batch's channels in one global order (ops->lock), to lock them
 * without deadlocking another process's writer.
 *
 * Groups (store_group_begin/end): while one is open, write submissions go to `staged`
 * instead of `in`, each marked with the group's number; its end moves them all onto `in`
 * under one lock, so the writer never sees part of a group, and store_op_take never ends a
 * batch inside one (a batch grows past STORE_WORKER_BATCH by at most the group's size). One
 * batch is one transaction, so a group commits or fails whole. Reads are never staged.
 *
 * Cancellation: store_cancel moves the owner's reads still on `rin` to `done`, answered
 * STORE_ECANCELED, and raises the `cancel` flag of a reader running one of the owner's
 * (`running[i]` is its owner, under `rmu`; a reader lowers its flag under `rmu` when it
 * takes the next read, so a flag raised for one read never reaches another).
 *
 * The failed state is a fence of epochs. `epoch` counts store_recover calls; each write
 * records it when submitted. When a transaction fails, the thread sets `fenced` to the
 * current epoch, under `mu` (so a recover is either before it, and fenced too, or after it):
 * from then on a write whose epoch is <= fenced is answered STORE_EFAILED untried. A recover
 * bumps the epoch, so only writes submitted after it are tried again.
 *
 * Invariants:
 * - impl's writer functions run only on the writer thread, its reader functions on reader
 *   threads (reader i's connection only on reader i), its load and last_seq on the loop
 *   thread; ops->free runs after every thread is joined.
 * - `closing` is set by close on the loop thread; afterwards submissions return
 *   STORE_ECLOSED. Close still answers every op submitted before it, so callers' contexts
 *   are released; the worker is freed in the async handle's close callback. */
#include "store/store_worker.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "store/store_worker_int.h"

typedef struct worker worker_t;

typedef struct {
    worker_t *w;
    unsigned i;
    uv_thread_t thread;
    bool started;
} reader_t;

/* Fields by what guards them; the flags last, together, so the struct does not pad. */
struct worker {
    store_t base; /* first, so that a store_t * is a worker_t * */
    const store_worker_ops_t *ops;
    void *impl;
    uv_async_t async;
    uv_thread_t thread;

    uv_mutex_t mu; /* guards in, queued, stop, epoch, fenced, failed */
    uv_cond_t cond;
    op_list_t in;
    size_t queued;
    uint64_t epoch;  /* written by the loop thread (recover) */
    uint64_t fenced; /* written by the writer thread: writes of an epoch <= fenced fail */

    uv_mutex_t rmu; /* guards rin, rqueued, rstop, running */
    uv_cond_t rcond;
    op_list_t rin;
    size_t rqueued;
    const void *running[STORE_READERS]; /* the owner of each reader's read, NULL: none */
    reader_t readers[STORE_READERS];

    const char **lock_names; /* writer thread: the channels given to ops->lock */
    size_t nlock_cap;

    uv_mutex_t done_mu;  /* guards done, wdone */
    uv_cond_t done_cond; /* signalled when wdone grows (store_settle waits on it) */
    op_list_t done;
    uint64_t wdone;        /* under done_mu: ops the writer has finished (moved onto done) */
    uint64_t wsent;        /* loop thread: ops put on `in`; settled when wdone reaches it */
    op_list_t running_cbs; /* loop thread: completions being called back now */

    op_list_t staged; /* loop thread: the open group's ops, not yet in `in` */
    size_t nstaged;
    uint64_t group; /* loop thread: the open group's number, 0 when none is open */
    uint64_t groups;

    _Atomic uint64_t appends, commits, queries, failures, canceled, over_budget;
    atomic_bool cancel[STORE_READERS]; /* raised to abandon reader i's read */
    bool stop;                         /* under mu */
    bool failed;                       /* under mu: from a failed transaction to the next recover */
    bool rstop;                        /* under rmu */
    bool closing;                      /* loop thread only */
};

static const store_backend_t worker_backend;

/* Hands finished ops to the loop; `writes` of them came off `in` (the writer's batch). */
static void finish(worker_t *w, op_list_t *l, size_t writes)
{
    uv_mutex_lock(&w->done_mu);
    store_op_splice(&w->done, l);
    if (writes) {
        w->wdone += writes;
        uv_cond_signal(&w->done_cond);
    }
    uv_mutex_unlock(&w->done_mu);
    uv_async_send(&w->async);
}

/* ---- writer thread ---- */

/* The batch's transaction failed: nothing of it is stored, so every write tried in it is
 * answered as failed, and the fence goes up to the current epoch (see the top of the file). */
static void fail_batch(worker_t *w, op_list_t *batch, uint64_t fenced)
{
    size_t n = 0;
    for (op_t *op = batch->head; op; op = op->next) {
        if (op_is_write(op) && op->epoch > fenced) {
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
        return w->ops->append(w->impl, &op->u.msg, &op->seq, &op->duplicate);
    int rc = w->ops->change(w->impl, &op->u.change);
    if (rc == STORE_ECONFLICT) {
        op->status = rc; /* an answer for this op, not a failure of the transaction */
        rc = 0;
    }
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Right after begin: ops->lock with the sorted, distinct channels of the appends the
 * transaction will try (those past the fence), when it has any. The names point into the
 * ops; the array is the writer's own, kept from batch to batch. */
static int lock_channels(worker_t *w, op_list_t *batch, uint64_t fenced)
{
    size_t n = 0;
    for (op_t *op = batch->head; op; op = op->next) {
        if (op->kind != OP_APPEND || op->epoch <= fenced)
            continue;
        if (n == w->nlock_cap) {
            w->nlock_cap = w->nlock_cap ? w->nlock_cap * 2 : 64;
            w->lock_names = xrealloc(w->lock_names, w->nlock_cap * sizeof(*w->lock_names));
        }
        w->lock_names[n++] = op->u.msg.channel;
    }
    if (n == 0)
        return 0;
    qsort(w->lock_names, n, sizeof(*w->lock_names), by_name);
    size_t distinct = 1;
    for (size_t i = 1; i < n; i++)
        if (strcmp(w->lock_names[i], w->lock_names[distinct - 1]) != 0)
            w->lock_names[distinct++] = w->lock_names[i];
    return w->ops->lock(w->impl, w->lock_names, distinct) < 0 ? STORE_EFAILED : 0;
}

static int begin_batch(worker_t *w, op_list_t *batch, uint64_t fenced)
{
    int rc = w->ops->begin(w->impl);
    if (rc == 0 && w->ops->lock)
        rc = lock_channels(w, batch, fenced);
    return rc;
}

/* The batch's writes in one transaction, except those behind the fence. */
static void run_writes(worker_t *w, op_list_t *batch)
{
    uv_mutex_lock(&w->mu);
    uint64_t fenced = w->fenced;
    uv_mutex_unlock(&w->mu);
    uint64_t tried = 0, appends = 0, began = stats_now_us();
    int rc = 0;
    for (op_t *op = batch->head; op && rc == 0; op = op->next) {
        if (!op_is_write(op))
            continue;
        if (op->epoch <= fenced) {
            op->status = STORE_EFAILED; /* submitted before the last recover: untried */
            continue;
        }
        if (tried++ == 0 && (rc = begin_batch(w, batch, fenced)) < 0)
            break;
        rc = apply(w, op);
    }
    if (tried && rc == 0)
        rc = w->ops->commit(w->impl);
    if (rc < 0) {
        w->ops->rollback(w->impl);
        fail_batch(w, batch, fenced);
        return;
    }
    if (!tried)
        return;
    stats_observe(STATS_STORE_COMMIT, stats_now_us() - began);
    /* Read only now: a backend may set an append's seq and duplicate as late as its commit. */
    for (op_t *op = batch->head; op; op = op->next)
        appends += op->kind == OP_APPEND && op->epoch > fenced && !op->duplicate;
    atomic_fetch_add_explicit(&w->appends, appends, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->commits, 1, memory_order_relaxed);
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

static void writer_main(void *arg)
{
    worker_t *w = arg;
    /* Named for top -H and perf --sort comm: which thread the CPU went to. */
    pthread_setname_np(pthread_self(), "parley-writer");
    for (;;) {
        op_list_t batch;
        uv_mutex_lock(&w->mu);
        while (!w->in.head && !w->stop)
            uv_cond_wait(&w->cond, &w->mu);
        if (!w->in.head) { /* stopping, and everything queued is done */
            uv_mutex_unlock(&w->mu);
            return;
        }
        size_t taken = store_op_take(&w->in, STORE_WORKER_BATCH, &batch);
        w->queued -= taken;
        uv_mutex_unlock(&w->mu);

        run_writes(w, &batch);
        for (op_t *op = batch.head; op; op = op->next)
            if (op->kind == OP_PROBE)
                op->status = run_probe(w);
        finish(w, &batch, taken);
    }
}

/* ---- reader threads ---- */

static void run_read(worker_t *w, unsigned i, op_t *op)
{
    store_read_t rd = {i, &w->cancel[i]};
    int rc;
    if (op->kind == OP_QUERY)
        rc = w->ops->query(w->impl, &rd, &op->u.query, &op->rows);
    else if (op->kind == OP_SEARCH)
        rc = w->ops->search(w->impl, &rd, &op->u.search, &op->rows);
    else if (op->kind == OP_COUNTS)
        rc = w->ops->mention_counts(w->impl, &rd, op->u.user_id, &op->rows);
    else
        rc = w->ops->positions(w->impl, &rd, &op->rows);
    if (rc < 0) {
        store_rows_free(&op->rows);
        op->status = rc == STORE_ECANCELED || rc == STORE_EBUDGET ? rc : STORE_EFAILED;
    }
    atomic_fetch_add_explicit(&w->queries, 1, memory_order_relaxed);
    if (rc == STORE_ECANCELED)
        atomic_fetch_add_explicit(&w->canceled, 1, memory_order_relaxed);
    else if (rc == STORE_EBUDGET)
        atomic_fetch_add_explicit(&w->over_budget, 1, memory_order_relaxed);
}

static void reader_main(void *arg)
{
    reader_t *r = arg;
    pthread_setname_np(pthread_self(), "parley-reader");
    worker_t *w = r->w;
    uv_mutex_lock(&w->rmu);
    for (;;) {
        w->running[r->i] = NULL;
        while (!w->rin.head && !w->rstop)
            uv_cond_wait(&w->rcond, &w->rmu);
        op_t *op = store_op_pop(&w->rin);
        if (!op) /* stopping: close answers what is left on rin */
            break;
        w->rqueued--;
        w->running[r->i] = op->owner;
        atomic_store(&w->cancel[r->i], w->rstop);
        uv_mutex_unlock(&w->rmu);

        run_read(w, r->i, op);
        op_list_t one = {op, op};
        finish(w, &one, 0);
        uv_mutex_lock(&w->rmu);
    }
    uv_mutex_unlock(&w->rmu);
}

/* ---- loop thread: completions ---- */

/* Runs completions in the order of `done`. A callback may close the store: close answers
 * the rest of `running_cbs` and then what the threads still held, and w stays valid until
 * on_async_close. */
static void on_async(uv_async_t *h)
{
    worker_t *w = h->data;
    if (w->closing)
        return; /* close has answered everything already */
    uv_mutex_lock(&w->done_mu);
    store_op_splice(&w->running_cbs, &w->done);
    uv_mutex_unlock(&w->done_mu);
    store_op_drain(&w->running_cbs);
}

/* ---- loop thread: submissions ---- */

static int submit_write(worker_t *w, op_t *op)
{
    op->epoch = w->epoch; /* only this thread writes it; recover is not called in a group */
    if (w->group) {
        op->group = w->group;
        store_op_push(&w->staged, op);
        w->nstaged++;
        return 0;
    }
    uv_mutex_lock(&w->mu);
    bool was_empty = w->in.head == NULL; /* else the writer is busy or already woken */
    store_op_push(&w->in, op);
    w->queued++;
    w->wsent++;
    if (was_empty)
        uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
    return 0;
}

static int submit_read(worker_t *w, op_t *op)
{
    uv_mutex_lock(&w->rmu);
    store_op_push(&w->rin, op);
    w->rqueued++;
    uv_cond_signal(&w->rcond);
    uv_mutex_unlock(&w->rmu);
    return 0;
}

static int worker_append(store_t *base, const store_msg_t *m, store_appended_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    if (!store_cid_valid(m->cid))
        return STORE_EINVAL;
    assert(m->seq <= INT64_MAX); /* 0: the backend assigns it */
    return submit_write(w, store_op_append(m, cb, ctx));
}

static int worker_change(store_t *base, const store_change_t *c, store_append_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    if (!store_change_valid(c))
        return STORE_EINVAL;
    return submit_write(w, store_op_change(c, cb, ctx));
}

static int worker_probe(store_t *base, store_append_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    return submit_write(w, store_op_probe(cb, ctx));
}

static int worker_query(store_t *base, const store_query_t *q, store_query_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    if (q->nseqs > STORE_SEQS_MAX || (q->nseqs && !q->seqs))
        return STORE_EINVAL;
    return submit_read(w, store_op_query(q, cb, ctx));
}

static int worker_search(store_t *base, const store_search_t *q, store_query_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    if (q->nterms == 0 && !q->user)
        return STORE_EINVAL;
    return submit_read(w, store_op_search(q, cb, ctx));
}

static int worker_mention_counts(store_t *base, uint64_t user_id, const void *owner,
                                 store_query_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    return submit_read(w, store_op_counts(user_id, owner, cb, ctx));
}

static int worker_positions(store_t *base, const void *owner, store_query_cb cb, void *ctx)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return STORE_ECLOSED;
    return submit_read(w, store_op_positions(owner, cb, ctx));
}

/* Moves the owner's reads not run yet (every read when owner is NULL) from rin to out,
 * answered STORE_ECANCELED, and raises the flag of each reader running one. Under rmu. */
static size_t cancel_locked(worker_t *w, const void *owner, op_list_t *out)
{
    op_list_t keep = {0};
    size_t n = 0;
    op_t *op;
    while ((op = store_op_pop(&w->rin))) {
        if (owner && op->owner != owner) {
            store_op_push(&keep, op);
            continue;
        }
        op->status = STORE_ECANCELED;
        store_op_push(out, op);
        n++;
    }
    w->rin = keep;
    w->rqueued -= n;
    for (unsigned i = 0; i < STORE_READERS; i++)
        if (!owner || (w->running[i] && w->running[i] == owner))
            atomic_store(&w->cancel[i], true);
    return n;
}

static void worker_cancel(store_t *base, const void *owner)
{
    worker_t *w = (worker_t *)base;
    if (w->closing || !owner)
        return;
    op_list_t gone = {0};
    uv_mutex_lock(&w->rmu);
    size_t n = cancel_locked(w, owner, &gone);
    uv_mutex_unlock(&w->rmu);
    if (n) {
        atomic_fetch_add_explicit(&w->canceled, n, memory_order_relaxed);
        finish(w, &gone, 0); /* called back from on_async, never from here */
    }
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
    store_op_splice(&w->in, &w->staged);
    w->queued += w->nstaged;
    w->wsent += w->nstaged;
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

/* On one core the loop gives the writer the CPU by waiting here, instead of running on to
 * the end of its time slice and seeing the commit a loop turn later; on several, the wait is
 * the commit's own time. Either way what the writer finished within the bound is called
 * back now, so its frames leave in this turn. */
static void worker_settle(store_t *base, uint64_t max_us)
{
    worker_t *w = (worker_t *)base;
    if (w->closing)
        return;
    uv_mutex_lock(&w->done_mu);
    if (w->wdone != w->wsent && max_us) {
        uint64_t end = uv_hrtime() + max_us * 1000;
        for (uint64_t now; w->wdone != w->wsent && (now = uv_hrtime()) < end;)
            if (uv_cond_timedwait(&w->done_cond, &w->done_mu, end - now) == UV_ETIMEDOUT)
                break;
    }
    bool ready = w->done.head != NULL;
    uv_mutex_unlock(&w->done_mu);
    if (ready)
        on_async(&w->async);
}

static void worker_stats(store_t *base, store_stats_t *out)
{
    worker_t *w = (worker_t *)base;
    *out = (store_stats_t){0};
    out->appends = atomic_load_explicit(&w->appends, memory_order_relaxed);
    out->commits = atomic_load_explicit(&w->commits, memory_order_relaxed);
    out->queries = atomic_load_explicit(&w->queries, memory_order_relaxed);
    out->failures = atomic_load_explicit(&w->failures, memory_order_relaxed);
    out->canceled = atomic_load_explicit(&w->canceled, memory_order_relaxed);
    out->over_budget = atomic_load_explicit(&w->over_budget, memory_order_relaxed);
    uv_mutex_lock(&w->mu);
    out->queued = w->queued + w->nstaged;
    out->failed = w->failed;
    uv_mutex_unlock(&w->mu);
    uv_mutex_lock(&w->rmu);
    out->reads_queued = w->rqueued;
    uv_mutex_unlock(&w->rmu);
    out->queued += out->reads_queued;
}

/* ---- open and close ---- */

static void on_async_close(uv_handle_t *h)
{
    free(h->data);
}

/* Stops the threads: the writer after everything queued, the readers after the read each
 * runs; the reads not run yet go to out, answered STORE_ECANCELED. */
static void stop_threads(worker_t *w, op_list_t *out)
{
    uv_mutex_lock(&w->rmu);
    size_t n = cancel_locked(w, NULL, out);
    w->rstop = true;
    uv_cond_broadcast(&w->rcond);
    uv_mutex_unlock(&w->rmu);
    atomic_fetch_add_explicit(&w->canceled, n, memory_order_relaxed);
    for (unsigned i = 0; i < STORE_READERS; i++)
        if (w->readers[i].started)
            uv_thread_join(&w->readers[i].thread);
    uv_mutex_lock(&w->mu);
    w->stop = true;
    uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
    uv_thread_join(&w->thread); /* the writer runs everything queued first */
}

static void destroy_locks(worker_t *w)
{
    uv_cond_destroy(&w->done_cond);
    uv_mutex_destroy(&w->done_mu);
    uv_cond_destroy(&w->rcond);
    uv_mutex_destroy(&w->rmu);
    uv_cond_destroy(&w->cond);
    uv_mutex_destroy(&w->mu);
}

static void worker_close(store_t *base)
{
    worker_t *w = (worker_t *)base;
    assert(!w->closing);
    w->closing = true;
    w->group = 0; /* an open group is committed like everything else queued */
    unstage(w);
    op_list_t canceled = {0};
    stop_threads(w, &canceled);
    /* Completed but not yet called back, then the reads never run: answer them now, so
     * every caller's context is released (store.h). They run with `closing` set, so a
     * callback that submits more gets STORE_ECLOSED. */
    store_op_splice(&w->running_cbs, &w->done);
    store_op_splice(&w->running_cbs, &canceled);
    store_op_drain(&w->running_cbs);
    w->ops->free(w->impl);
    free(w->lock_names);
    destroy_locks(w);
    uv_close((uv_handle_t *)&w->async, on_async_close);
}

static int uv_check(int rc, const char *name, const char *what)
{
    if (rc < 0)
        log_error("store: %s: %s: %s", name, what, uv_strerror(rc));
    return rc;
}

static int init_locks(worker_t *w)
{
    const char *name = w->ops->name;
    int rc;
    if ((rc = uv_check(uv_mutex_init(&w->mu), name, "uv_mutex_init")) < 0)
        return rc;
    if ((rc = uv_check(uv_cond_init(&w->cond), name, "uv_cond_init")) < 0)
        goto err_mu;
    if ((rc = uv_check(uv_mutex_init(&w->rmu), name, "uv_mutex_init")) < 0)
        goto err_cond;
    if ((rc = uv_check(uv_cond_init(&w->rcond), name, "uv_cond_init")) < 0)
        goto err_rmu;
    if ((rc = uv_check(uv_mutex_init(&w->done_mu), name, "uv_mutex_init")) < 0)
        goto err_rcond;
    if ((rc = uv_check(uv_cond_init(&w->done_cond), name, "uv_cond_init")) < 0)
        goto err_done;
    return 0;

err_done:
    uv_mutex_destroy(&w->done_mu);
err_rcond:
    uv_cond_destroy(&w->rcond);
err_rmu:
    uv_mutex_destroy(&w->rmu);
err_cond:
    uv_cond_destroy(&w->cond);
err_mu:
    uv_mutex_destroy(&w->mu);
    return rc;
}

/* The writer and the readers; on failure, those started are stopped again. */
static int start_threads(worker_t *w)
{
    int rc = uv_thread_create(&w->thread, writer_main, w);
    if (uv_check(rc, w->ops->name, "uv_thread_create") < 0)
        return rc;
    for (unsigned i = 0; i < STORE_READERS; i++) {
        w->readers[i] = (reader_t){.w = w, .i = i};
        rc = uv_thread_create(&w->readers[i].thread, reader_main, &w->readers[i]);
        if (uv_check(rc, w->ops->name, "uv_thread_create") < 0) {
            op_list_t none = {0};
            stop_threads(w, &none);
            return rc;
        }
        w->readers[i].started = true;
    }
    return 0;
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
    for (unsigned i = 0; i < STORE_READERS; i++)
        atomic_init(&w->cancel[i], false);
    int rc = init_locks(w);
    if (rc < 0)
        goto err_free;
    if ((rc = start_threads(w)) < 0)
        goto err_locks;
    /* Last, so that no failure needs an asynchronous uv_close. The threads touch the handle
     * only after an op arrives, and none can before we return. */
    if ((rc = uv_check(uv_async_init(loop, &w->async, on_async), ops->name, "uv_async_init")) < 0)
        goto err_threads;
    w->async.data = w;
    *out = &w->base;
    return 0;

err_threads:
    stop_threads(w, &(op_list_t){0});
err_locks:
    destroy_locks(w);
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
    .positions = worker_positions,
    .load_keyed = worker_load_keyed,
    .last_seq = worker_last_seq,
    .stats = worker_stats,
    .close = worker_close,
    .probe = worker_probe,
    .recover = worker_recover,
    .load_accounts = worker_load_accounts,
    .accounts_version = worker_accounts_version,
    .group = worker_group,
    .cancel = worker_cancel,
    .settle = worker_settle,
};
