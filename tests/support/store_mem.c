/* store_mem - the in-memory store for tests; see store_mem.h.
 *
 * Structures: the stored state is store_mem_db.c's (`db`). Pending operations are a FIFO of
 * mem_op_t, each owning copies of its arguments; completing one applies it (a write) or computes
 * its answer (a read) at that moment, so a read sees exactly the writes completed before it, as
 * with a real backend.
 *
 * The failed state is the worker's fence of epochs (store_worker.c): `epoch` counts
 * recovers, each write keeps the epoch of its submission, and a failure sets `fenced` to the
 * current epoch; writes of an epoch <= fenced are refused untried. */
#include "store_mem.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "store/store_worker.h"
#include "store_mem_db.h"

enum { OP_APPEND, OP_CHANGE, OP_PROBE, OP_QUERY, OP_SEARCH, OP_COUNTS, OP_POSITIONS };

typedef struct mem_op {
    struct mem_op *next;
    int kind;
    uint64_t epoch;
    uint64_t group; /* the group it was submitted in, 0 for none */
    bool done;      /* a write of a group: already run with the group, its answer in status */
    int status;
    const void *owner; /* reads: for store_cancel */
    bool canceled;     /* a read whose owner canceled it: answered without running */
    bool snapped;      /* a read answered from `snap`, the state when it was submitted */
    store_rows_t snap;
    void *ctx;
    store_appended_cb acb; /* appends */
    store_append_cb wcb;   /* changes, probes */
    store_query_cb rcb;
    uint64_t seq;   /* an append's answer: its seq (given, assigned or the original's) */
    bool duplicate; /* and whether it was a duplicate (nothing stored) */
    store_msg_t msg;
    store_change_t change;
    store_query_t query;
    store_search_t search;
    uint64_t user_id; /* OP_COUNTS */
    char *owned[24];  /* the copies above point here */
    size_t nowned;
    store_term_t *terms;
    uint64_t *mentions; /* msg.mentions points here */
} mem_op_t;

typedef struct {
    store_t base; /* first, so that a store_t * is a mem_t * */
    store_mem_mode_t mode;
    uv_async_t async;
    mem_op_t *head, *tail;
    size_t pending;
    bool closing, fail_writes, failed, snapshots;
    bool bump_accounts; /* store_open_opts_t.bump_accounts (store_mem_bump_accounts) */
    uint64_t epoch, fenced;
    store_stats_t stats;
    mem_op_t *shead, *stail; /* the open group's ops, pending from its end on */
    size_t nstaged;
    uint64_t group, groups; /* the open group's number (0: none), groups so far */
    mem_db_t db;
} mem_t;

static const store_backend_t mem_backend;

static const char *own(mem_op_t *op, const char *s)
{
    if (!s)
        return NULL;
    return op->owned[op->nowned++] = xstrdup(s);
}

/* A write applied to the state: an append keeps its answer in the op. */
static int apply(mem_t *s, mem_op_t *op)
{
    if (op->kind == OP_APPEND)
        return mem_db_append(&s->db, &op->msg, &op->seq, &op->duplicate);
    return mem_db_change(&s->db, &op->change, s->bump_accounts);
}

/* A write, through the failed state: refused behind the fence, failing (and raising the
 * fence) while writes are made to fail, else applied. */
static int run_write(mem_t *s, mem_op_t *op)
{
    if (op->epoch <= s->fenced)
        return STORE_EFAILED;
    int rc = s->fail_writes ? STORE_EFAILED : apply(s, op);
    if (rc == STORE_EFAILED) {
        s->fenced = s->epoch;
        s->failed = true;
        s->stats.failures++;
        return rc;
    }
    s->stats.commits++;
    s->stats.appends += op->kind == OP_APPEND && !op->duplicate;
    return rc;
}

/* A group's writes as one transaction, run when its first op completes (the group's ops are
 * consecutive from first): refused whole behind the fence or while writes fail, else each
 * applied in order, the state put back as it was when one fails. Each write's answer waits
 * in its op for its own turn. */
static void run_group(mem_t *s, mem_op_t *first)
{
    int fail = first->epoch <= s->fenced || s->fail_writes ? STORE_EFAILED : 0;
    bool tried = fail == 0 || first->epoch > s->fenced;
    mem_db_t saved = fail ? (mem_db_t){0} : mem_db_clone(&s->db);
    uint64_t appends = 0, writes = 0;
    for (mem_op_t *op = first; op && op->group == first->group; op = op->next) {
        if (op->kind > OP_CHANGE)
            continue;
        writes++;
        op->done = true;
        if (fail)
            continue;
        op->status = apply(s, op);
        fail = op->status == STORE_EFAILED ? STORE_EFAILED : 0;
        appends += op->kind == OP_APPEND && !op->duplicate;
    }
    if (fail) {
        for (mem_op_t *op = first; op && op->group == first->group; op = op->next)
            op->status = op->done ? STORE_EFAILED : op->status;
        if (tried && writes) {
            s->fenced = s->epoch;
            s->failed = true;
            s->stats.failures++;
        }
        if (saved.acc) { /* put back what the writes before the failing one did */
            mem_db_free(&s->db);
            s->db = saved;
        }
        return;
    }
    mem_db_free(&saved);
    s->stats.commits += writes > 0;
    s->stats.appends += appends;
}

/* ---- completing operations ---- */

static void op_free(mem_op_t *op)
{
    if (op->snapped)
        store_rows_free(&op->snap);
    for (size_t i = 0; i < op->nowned; i++)
        free(op->owned[i]);
    free(op->terms);
    free(op->mentions);
    free(op);
}

static void run_read(mem_t *s, const mem_op_t *op, store_rows_t *rows)
{
    if (op->kind == OP_QUERY)
        mem_db_query(&s->db, &op->query, rows);
    else if (op->kind == OP_SEARCH)
        mem_db_search(&s->db, &op->search, rows);
    else if (op->kind == OP_COUNTS)
        mem_db_counts(&s->db, op->user_id, rows);
    else
        mem_db_positions(&s->db, rows);
}

static void complete(mem_t *s, mem_op_t *op)
{
    if (op->kind == OP_APPEND) {
        int rc = op->done ? op->status : run_write(s, op);
        if (op->acb) /* a failed one's answer is seq 0, whatever it held */
            op->acb(op->ctx, rc, rc == 0 ? op->seq : 0, rc == 0 && op->duplicate);
        return;
    }
    if (op->kind == OP_CHANGE) {
        int rc = op->done ? op->status : run_write(s, op);
        if (op->wcb)
            op->wcb(op->ctx, rc);
        return;
    }
    if (op->kind == OP_PROBE) {
        if (op->wcb)
            op->wcb(op->ctx, s->fail_writes ? STORE_EFAILED : 0);
        return;
    }
    if (op->canceled) {
        op->rcb(op->ctx, STORE_ECANCELED, NULL, 0, false);
        return;
    }
    store_rows_t rows = {0};
    if (op->snapped)
        rows = op->snap;
    else
        run_read(s, op, &rows);
    op->snapped = false; /* rows is the answer's now */
    s->stats.queries++;
    op->rcb(op->ctx, 0, rows.rows, rows.n, rows.more);
    store_rows_free(&rows);
}

bool store_mem_step(store_t *base)
{
    mem_t *s = (mem_t *)base;
    mem_op_t *op = s->head;
    if (!op)
        return false;
    if (op->group && !op->done && op->kind <= OP_CHANGE)
        run_group(s, op);
    s->head = op->next; /* popped first: the callback may submit or close */
    if (!s->head)
        s->tail = NULL;
    s->pending--;
    complete(s, op);
    op_free(op);
    return true;
}

size_t store_mem_run(store_t *s)
{
    size_t n = 0;
    while (store_mem_step(s))
        n++;
    return n;
}

bool store_mem_step_write(store_t *base)
{
    mem_t *s = (mem_t *)base;
    mem_op_t **pp = &s->head, *prev = NULL;
    while (*pp && (*pp)->kind > OP_PROBE) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    mem_op_t *op = *pp;
    if (!op)
        return false;
    if (op->group && !op->done && op->kind <= OP_CHANGE)
        run_group(s, op);
    *pp = op->next; /* unlinked first: the callback may submit or close */
    if (s->tail == op)
        s->tail = prev;
    s->pending--;
    complete(s, op);
    op_free(op);
    return true;
}

void store_mem_snapshot_reads(store_t *s, bool on)
{
    ((mem_t *)s)->snapshots = on;
}

size_t store_mem_pending(store_t *s)
{
    return ((mem_t *)s)->pending;
}

void store_mem_fail_writes(store_t *s, bool on)
{
    ((mem_t *)s)->fail_writes = on;
}

/* Automatic mode: the operations pending when the turn began; later ones wait a turn. */
static void on_async(uv_async_t *h)
{
    mem_t *s = h->data;
    for (size_t n = s->pending; n > 0 && !s->closing; n--)
        store_mem_step(&s->base);
}

/* ---- submissions ---- */

static mem_op_t *op_new(mem_t *s, int kind, void *ctx)
{
    if (s->closing)
        return NULL;
    mem_op_t *op = xcalloc(1, sizeof(*op));
    op->kind = kind;
    op->ctx = ctx;
    return op;
}

static int submit(mem_t *s, mem_op_t *op)
{
    op->epoch = s->epoch;
    if (s->snapshots && op->kind > OP_PROBE) {
        run_read(s, op, &op->snap);
        op->snapped = true;
    }
    if (s->group) { /* pending from the group's end on */
        op->group = s->group;
        if (s->stail)
            s->stail->next = op;
        else
            s->shead = op;
        s->stail = op;
        s->nstaged++;
        return 0;
    }
    if (s->tail)
        s->tail->next = op;
    else
        s->head = op;
    s->tail = op;
    s->pending++;
    if (s->mode == STORE_MEM_AUTO)
        uv_async_send(&s->async);
    return 0;
}

/* Makes the open group's ops pending, at once. */
static void unstage(mem_t *s)
{
    if (!s->shead)
        return;
    if (s->tail)
        s->tail->next = s->shead;
    else
        s->head = s->shead;
    s->tail = s->stail;
    s->pending += s->nstaged;
    s->shead = s->stail = NULL;
    s->nstaged = 0;
    if (s->mode == STORE_MEM_AUTO)
        uv_async_send(&s->async);
}

static void mem_group(store_t *base, bool begin)
{
    mem_t *s = (mem_t *)base;
    assert(begin == !s->group); /* groups do not nest, and an end closes an open one */
    if (begin) {
        s->group = ++s->groups;
        return;
    }
    s->group = 0;
    unstage(s);
}

static int mem_append(store_t *base, const store_msg_t *m, store_appended_cb cb, void *ctx)
{
    mem_t *s = (mem_t *)base;
    if (!s->closing && !store_cid_valid(m->cid))
        return STORE_EINVAL;
    mem_op_t *op = op_new(s, OP_APPEND, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->acb = cb;
    op->msg = *m;
    op->msg.channel = own(op, m->channel);
    op->msg.user = own(op, m->user);
    op->msg.text = own(op, m->text);
    op->msg.kind = own(op, m->kind);
    op->msg.mentions = op->mentions = mem_ids_dup(m->mentions, m->nmentions);
    op->msg.nmentions = op->mentions ? m->nmentions : 0;
    op->msg.cid = own(op, m->cid);
    op->msg.files = own(op, m->files);
    op->msg.app = own(op, m->app);
    return submit(s, op);
}

static int mem_change(store_t *base, const store_change_t *c, store_append_cb cb, void *ctx)
{
    mem_t *s = (mem_t *)base;
    if (!s->closing && !store_change_valid(c))
        return STORE_EINVAL;
    mem_op_t *op = op_new(s, OP_CHANGE, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->wcb = cb;
    store_change_t *d = &op->change;
    *d = *c;
    d->ch.name = own(op, c->ch.name);
    d->ch.kind = own(op, c->ch.kind);
    d->ch.topic = own(op, c->ch.topic);
    d->ch.created_by = own(op, c->ch.created_by);
    d->u.name = own(op, c->u.name);
    d->u.canon = own(op, c->u.canon);
    d->u.display = own(op, c->u.display);
    d->u.role = own(op, c->u.role);
    d->u.pass = own(op, c->u.pass);
    d->u.state = own(op, c->u.state);
    d->u.title = own(op, c->u.title);
    d->u.tz = own(op, c->u.tz);
    d->u.avatar = own(op, c->u.avatar);
    d->sess.hash = own(op, c->sess.hash);
    d->sess.agent = own(op, c->sess.agent);
    d->sess.addr = own(op, c->sess.addr);
    d->inv.hash = own(op, c->inv.hash);
    d->inv.kind = own(op, c->inv.kind);
    d->inv.role = own(op, c->inv.role);
    d->hook.hash = own(op, c->hook.hash);
    d->hook.channel = own(op, c->hook.channel);
    d->hook.name = own(op, c->hook.name);
    return submit(s, op);
}

static int mem_probe(store_t *base, store_append_cb cb, void *ctx)
{
    mem_t *s = (mem_t *)base;
    mem_op_t *op = op_new(s, OP_PROBE, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->wcb = cb;
    return submit(s, op);
}

static int mem_query(store_t *base, const store_query_t *q, store_query_cb cb, void *ctx)
{
    mem_t *s = (mem_t *)base;
    if (q->nseqs > STORE_SEQS_MAX || (q->nseqs && !q->seqs))
        return STORE_EINVAL;
    mem_op_t *op = op_new(s, OP_QUERY, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->rcb = cb;
    op->query = *q;
    op->query.channel = own(op, q->channel);
    if (q->nseqs) {
        char *seqs = xmalloc(q->nseqs * sizeof(*q->seqs));
        memcpy(seqs, q->seqs, q->nseqs * sizeof(*q->seqs));
        op->owned[op->nowned++] = seqs;
        op->query.seqs = (const uint64_t *)(void *)seqs;
    }
    op->owner = q->owner;
    return submit(s, op);
}

static int mem_search(store_t *base, const store_search_t *q, store_query_cb cb, void *ctx)
{
    mem_t *s = (mem_t *)base;
    if (!s->closing && q->nterms == 0)
        return STORE_EINVAL;
    mem_op_t *op = op_new(s, OP_SEARCH, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->rcb = cb;
    op->search = *q;
    op->owner = q->owner;
    /* The terms' texts go into one buffer, which the op owns like its other strings. */
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < q->nterms; i++)
        buf_append(&b, q->terms[i].text, strlen(q->terms[i].text) + 1);
    char *texts = op->owned[op->nowned++] = buf_steal(&b, NULL);
    op->terms = xcalloc(q->nterms, sizeof(*op->terms));
    for (size_t i = 0; i < q->nterms; i++, texts += strlen(texts) + 1)
        op->terms[i] = (store_term_t){texts, q->terms[i].phrase};
    op->search.terms = op->terms;
    op->search.user = own(op, q->user);
    op->search.channel = own(op, q->channel);
    if (q->nchannels) { /* like the terms: one buffer of names, one of pointers */
        buf_t names_buf = BUF_INIT;
        for (size_t i = 0; i < q->nchannels; i++)
            buf_append(&names_buf, q->channels[i], strlen(q->channels[i]) + 1);
        char *names = op->owned[op->nowned++] = buf_steal(&names_buf, NULL);
        const char **chans = xcalloc(q->nchannels, sizeof(*chans));
        for (size_t i = 0; i < q->nchannels; i++, names += strlen(names) + 1)
            chans[i] = names;
        op->search.channels = chans;
        op->owned[op->nowned++] = (char *)(void *)chans;
    }
    return submit(s, op);
}

static int mem_mention_counts(store_t *base, uint64_t user_id, const void *owner, store_query_cb cb,
                              void *ctx)
{
    mem_t *s = (mem_t *)base;
    mem_op_t *op = op_new(s, OP_COUNTS, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->rcb = cb;
    op->user_id = user_id;
    op->owner = owner;
    return submit(s, op);
}

static int mem_positions(store_t *base, const void *owner, store_query_cb cb, void *ctx)
{
    mem_t *s = (mem_t *)base;
    mem_op_t *op = op_new(s, OP_POSITIONS, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->rcb = cb;
    op->owner = owner;
    return submit(s, op);
}

/* The owner's reads pending (or in an open group) are answered STORE_ECANCELED at their
 * turn, without running: never from inside this call, as with a real backend. */
static void mem_cancel(store_t *base, const void *owner)
{
    mem_t *s = (mem_t *)base;
    for (int list = 0; list < 2 && owner; list++)
        for (mem_op_t *op = list ? s->shead : s->head; op; op = op->next)
            if (op->kind > OP_PROBE && op->owner == owner && !op->canceled) {
                op->canceled = true;
                s->stats.canceled++;
            }
}

/* ---- synchronous: load, last_seq, stats, recover ---- */

static int mem_load(store_t *base, const store_load_t *cbs, void *ctx)
{
    mem_db_load(&((mem_t *)base)->db, cbs, ctx);
    return 0;
}

static int mem_load_keyed(store_t *base, store_keyed_cb cb, void *ctx)
{
    mem_db_load_keyed(&((mem_t *)base)->db, cb, ctx);
    return 0;
}

static int mem_last_seq(store_t *base, const char *channel, uint64_t *out)
{
    *out = mem_db_last_seq(&((mem_t *)base)->db, channel);
    return 0;
}

static int mem_load_accounts(store_t *base, const store_accounts_load_t *cbs, void *ctx)
{
    mem_t *s = (mem_t *)base;
    if (s->closing)
        return STORE_ECLOSED;
    mem_accounts_load(s->db.acc, cbs, ctx);
    return 0;
}

static int mem_version(store_t *base, uint64_t *out)
{
    mem_t *s = (mem_t *)base;
    if (s->closing)
        return STORE_ECLOSED;
    *out = mem_accounts_version(s->db.acc);
    return 0;
}

void store_mem_bump_accounts(store_t *s, bool on)
{
    ((mem_t *)s)->bump_accounts = on;
}

static void mem_stats(store_t *base, store_stats_t *out)
{
    mem_t *s = (mem_t *)base;
    *out = s->stats;
    out->queued = s->pending + s->nstaged;
    out->reads_queued = 0;
    for (int list = 0; list < 2; list++)
        for (const mem_op_t *op = list ? s->shead : s->head; op; op = op->next)
            out->reads_queued += op->kind > OP_PROBE;
    out->failed = s->failed;
}

static void mem_recover(store_t *base)
{
    mem_t *s = (mem_t *)base;
    assert(!s->group); /* a group's writes share one epoch */
    s->epoch++;
    s->failed = false;
}

/* ---- open and close ---- */

static void on_async_close(uv_handle_t *h)
{
    free(h->data);
}

static void mem_close(store_t *base)
{
    mem_t *s = (mem_t *)base;
    s->closing = true; /* from here submissions get STORE_ECLOSED */
    s->group = 0;      /* an open group is completed like everything else pending */
    unstage(s);
    store_mem_run(base);
    mem_db_free(&s->db);
    if (s->mode == STORE_MEM_AUTO)
        uv_close((uv_handle_t *)&s->async, on_async_close);
    else
        free(s);
}

store_t *store_mem_open(uv_loop_t *loop, store_mem_mode_t mode)
{
    mem_t *s = xcalloc(1, sizeof(*s));
    s->base.be = &mem_backend;
    s->mode = mode;
    s->epoch = 1;
    mem_db_init(&s->db);
    if (mode == STORE_MEM_AUTO) {
        if (!loop || uv_async_init(loop, &s->async, on_async) < 0)
            abort(); /* a test's mistake: nothing to recover */
        s->async.data = s;
    }
    return &s->base;
}

static const store_backend_t mem_backend = {
    .append = mem_append,
    .query = mem_query,
    .change = mem_change,
    .load = mem_load,
    .search = mem_search,
    .mention_counts = mem_mention_counts,
    .positions = mem_positions,
    .load_keyed = mem_load_keyed,
    .last_seq = mem_last_seq,
    .stats = mem_stats,
    .close = mem_close,
    .probe = mem_probe,
    .recover = mem_recover,
    .load_accounts = mem_load_accounts,
    .accounts_version = mem_version,
    .group = mem_group,
    .cancel = mem_cancel,
};
