/* store_mem - the in-memory store for tests; see store_mem.h.
 *
 * Structures: the stored state is plain arrays, searched linearly (tests hold little):
 * `ev` every event in commit order, each msg with its search entry (the text and author an
 * edit left, NULL once deleted) and its mentions (user ids, NULL once deleted); `chans`,
 * `members`, `reads` the change rows, people by user id; `acc` the accounts
 * (store_mem_accounts.c). Pending operations are a FIFO of mem_op_t, each owning copies of its
 * arguments; completing one applies it (a write) or computes its answer (a read) at that
 * moment, so a read sees exactly the writes completed before it, as with a real backend.
 *
 * The failed state is the worker's fence of epochs (store_worker.c): `epoch` counts
 * recovers, each write keeps the epoch of its submission, and a failure sets `fenced` to the
 * current epoch; writes of an epoch <= fenced are refused untried. */
#include "store_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "store/store_worker.h"
#include "store_mem_accounts.h"

enum { OP_APPEND, OP_CHANGE, OP_PROBE, OP_QUERY, OP_SEARCH, OP_COUNTS };

typedef struct {
    store_msg_t m;        /* every string owned; mentions NULL once deleted */
    char *fts_text;       /* msg: the indexed text (its last edit's), NULL once deleted */
    const char *fts_user; /* and who wrote that text */
} mem_event_t;

typedef struct {
    char *channel;
    uint64_t user_id;
    uint64_t seq; /* reads: the marker */
} mem_pair_t;

typedef struct mem_op {
    struct mem_op *next;
    int kind;
    uint64_t epoch;
    void *ctx;
    store_append_cb wcb;
    store_query_cb rcb;
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
    bool closing, fail_writes, failed;
    bool bump_accounts; /* store_open_opts_t.bump_accounts (store_mem_bump_accounts) */
    uint64_t epoch, fenced;
    store_stats_t stats;

    mem_event_t *ev;
    size_t nev, cap_ev;
    store_channel_t *chans; /* strings owned */
    size_t nchans;
    mem_pair_t *members, *reads;
    size_t nmembers, nreads;
    mem_accounts_t *acc;
} mem_t;

static const store_backend_t mem_backend;

/* ---- small tools ---- */

static const char *own(mem_op_t *op, const char *s)
{
    if (!s)
        return NULL;
    return op->owned[op->nowned++] = xstrdup(s);
}

static bool is_kind(const store_msg_t *m, const char *kind)
{
    return strcmp(m->kind ? m->kind : "msg", kind) == 0;
}

/* A copy of the n ids of v, or NULL for none. */
static uint64_t *ids_dup(const uint64_t *v, size_t n)
{
    if (!v || n == 0)
        return NULL;
    uint64_t *d = xmalloc(n * sizeof(*d));
    memcpy(d, v, n * sizeof(*d));
    return d;
}

/* qsort, which must not see NULL even for nothing to sort. */
static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(v, n, size, cmp);
}

/* ---- search: tokens as store_mem.h states them ---- */

static bool tok_char(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

/* The next token of *p (advanced past it): its start and length, or false at the end. */
static bool next_token(const char **p, const char **tok, size_t *len)
{
    const unsigned char *s = (const unsigned char *)*p;
    while (*s && !tok_char(*s))
        s++;
    if (!*s)
        return false;
    const unsigned char *start = s;
    while (*s && tok_char(*s))
        s++;
    *tok = (const char *)start;
    *len = (size_t)(s - start);
    *p = (const char *)s;
    return true;
}

static bool tok_eq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
            return false;
    return true;
}

/* Does the term's token sequence occur in text? -1 when the term has no token. */
static int term_matches(const char *text, const char *term)
{
    const char *t = term, *tok;
    size_t len;
    if (!next_token(&t, &tok, &len))
        return -1;
    for (const char *start = text; next_token(&start, &tok, &len);) {
        const char *x = tok, *y = term, *xt, *yt;
        size_t xl, yl;
        bool ok = true, more_y;
        while ((more_y = next_token(&y, &yt, &yl)) && ok)
            ok = next_token(&x, &xt, &xl) && tok_eq(xt, xl, yt, yl);
        if (ok && !more_y)
            return 1;
    }
    return 0;
}

static bool search_matches(const store_search_t *q, const char *text)
{
    bool any = false;
    for (size_t i = 0; i < q->nterms; i++) {
        int r = term_matches(text, q->terms[i].text);
        if (r == 0)
            return false;
        any |= r > 0;
    }
    return any; /* terms without a token are ignored; all of them: nothing matches */
}

/* ---- writes ---- */

static mem_event_t *find_event(mem_t *s, const char *channel, uint64_t seq)
{
    for (size_t i = 0; i < s->nev; i++)
        if (s->ev[i].m.seq == seq && strcmp(s->ev[i].m.channel, channel) == 0)
            return &s->ev[i];
    return NULL;
}

/* The primary key a real backend enforces. Appends come in seq order per channel, so the
 * channel's last seq settles most cases without a scan. */
static bool taken(mem_t *s, const char *channel, uint64_t seq)
{
    for (size_t i = s->nev; i-- > 0;)
        if (strcmp(s->ev[i].m.channel, channel) == 0)
            return s->ev[i].m.seq < seq ? false : find_event(s, channel, seq) != NULL;
    return false;
}

static int apply_append(mem_t *s, const store_msg_t *in)
{
    if (taken(s, in->channel, in->seq))
        return STORE_EFAILED;
    if (s->nev == s->cap_ev) {
        s->cap_ev = s->cap_ev ? s->cap_ev * 2 : 16;
        s->ev = xrealloc(s->ev, s->cap_ev * sizeof(*s->ev));
    }
    mem_event_t *e = &s->ev[s->nev++];
    *e = (mem_event_t){.m = *in};
    e->m.channel = xstrdup(in->channel);
    e->m.user = xstrdup(in->user);
    e->m.text = xstrdup(in->text);
    e->m.kind = xstrdup(in->kind ? in->kind : "msg");
    e->m.cid = xstrdup(in->cid ? in->cid : "");
    /* Only a msg's mentions are kept, as SQLite's mentions table holds only those. */
    e->m.mentions = is_kind(in, "msg") ? ids_dup(in->mentions, in->nmentions) : NULL;
    e->m.nmentions = e->m.mentions ? in->nmentions : 0;
    e->m.replies = 0;
    if (is_kind(&e->m, "msg")) {
        e->fts_text = xstrdup(in->text);
        e->fts_user = e->m.user;
        return 0;
    }
    mem_event_t *t = find_event(s, in->channel, in->target);
    if (t && is_kind(&t->m, "msg") && (is_kind(in, "edit") || is_kind(in, "delete"))) {
        free(t->fts_text);
        t->fts_text = is_kind(in, "edit") ? xstrdup(in->text) : NULL;
        t->fts_user = e->m.user;
        if (is_kind(in, "delete")) {
            free((uint64_t *)t->m.mentions);
            t->m.mentions = NULL;
            t->m.nmentions = 0;
        }
    }
    return 0;
}

static store_channel_t *find_chan(mem_t *s, const char *name)
{
    for (size_t i = 0; i < s->nchans; i++)
        if (strcmp(s->chans[i].name, name) == 0)
            return &s->chans[i];
    return NULL;
}

static mem_pair_t *find_pair(mem_pair_t *v, size_t n, const char *channel, uint64_t user_id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].user_id == user_id && strcmp(v[i].channel, channel) == 0)
            return &v[i];
    return NULL;
}

static void add_pair(mem_pair_t **v, size_t *n, const char *channel, uint64_t user_id, uint64_t seq)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = (mem_pair_t){xstrdup(channel), user_id, seq};
}

static int apply_channel(mem_t *s, const store_change_t *c)
{
    store_channel_t *ch = find_chan(s, c->ch.name);
    if (ch && c->kind == STORE_CHANNEL_CREATE)
        return STORE_ECONFLICT;
    if (ch) { /* PUT of a known channel: kind, topic and archived change, the rest stays */
        free((char *)ch->kind);
        free((char *)ch->topic);
        ch->kind = xstrdup(c->ch.kind);
        ch->topic = xstrdup(c->ch.topic);
        ch->archived = c->ch.archived;
        return 0;
    }
    s->chans = xrealloc(s->chans, (s->nchans + 1) * sizeof(*s->chans));
    s->chans[s->nchans++] = (store_channel_t){.name = xstrdup(c->ch.name),
                                              .kind = xstrdup(c->ch.kind),
                                              .topic = xstrdup(c->ch.topic),
                                              .created_by = xstrdup(c->ch.created_by),
                                              .creator_id = c->ch.creator_id,
                                              .ts = c->ch.ts,
                                              .archived = c->ch.archived};
    return 0;
}

static void event_free(mem_event_t *e)
{
    free((char *)e->m.channel);
    free((char *)e->m.user);
    free((char *)e->m.text);
    free((char *)e->m.kind);
    free((char *)e->m.cid);
    free((uint64_t *)e->m.mentions);
    free(e->fts_text);
}

/* Drops the pairs of channel from v, keeping the others' order. */
static void drop_pairs(mem_pair_t *v, size_t *n, const char *channel)
{
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(v[i].channel, channel) == 0)
            free(v[i].channel);
        else
            v[k++] = v[i];
    }
    *n = k;
}

/* STORE_CHANNEL_DELETE: the row, its members and reads, its events (with their search
 * entries and mentions), the others kept in commit order. */
static int delete_channel(mem_t *s, const char *name)
{
    store_channel_t *ch = find_chan(s, name);
    if (ch) {
        free((char *)ch->name);
        free((char *)ch->kind);
        free((char *)ch->topic);
        free((char *)ch->created_by);
        *ch = s->chans[--s->nchans];
    }
    drop_pairs(s->members, &s->nmembers, name);
    drop_pairs(s->reads, &s->nreads, name);
    size_t k = 0;
    for (size_t i = 0; i < s->nev; i++) {
        if (strcmp(s->ev[i].m.channel, name) == 0)
            event_free(&s->ev[i]);
        else
            s->ev[k++] = s->ev[i];
    }
    s->nev = k;
    return 0;
}

static int apply_change(mem_t *s, const store_change_t *c)
{
    if (c->kind >= STORE_USER_CREATE) /* the account kinds come last in store.h */
        return mem_accounts_apply(s->acc, c, s->bump_accounts);
    if (c->kind == STORE_CHANNEL_PUT || c->kind == STORE_CHANNEL_CREATE)
        return apply_channel(s, c);
    if (c->kind == STORE_CHANNEL_DELETE)
        return delete_channel(s, c->ch.name);
    if (c->kind == STORE_READ) {
        mem_pair_t *r = find_pair(s->reads, s->nreads, c->ch.name, c->user_id);
        if (!r)
            add_pair(&s->reads, &s->nreads, c->ch.name, c->user_id, c->seq);
        else if (c->seq > r->seq)
            r->seq = c->seq;
        return 0;
    }
    mem_pair_t *m = find_pair(s->members, s->nmembers, c->ch.name, c->user_id);
    if (c->kind == STORE_MEMBER_ADD && !m)
        add_pair(&s->members, &s->nmembers, c->ch.name, c->user_id, 0);
    if (c->kind == STORE_MEMBER_REMOVE && m) {
        free(m->channel);
        *m = s->members[--s->nmembers];
    }
    return 0;
}

/* A write, through the failed state: refused behind the fence, failing (and raising the
 * fence) while writes are made to fail, else applied. */
static int run_write(mem_t *s, mem_op_t *op)
{
    if (op->epoch <= s->fenced)
        return STORE_EFAILED;
    int rc = s->fail_writes          ? STORE_EFAILED
             : op->kind == OP_APPEND ? apply_append(s, &op->msg)
                                     : apply_change(s, &op->change);
    if (rc == STORE_EFAILED) {
        s->fenced = s->epoch;
        s->failed = true;
        s->stats.failures++;
        return rc;
    }
    s->stats.commits++;
    s->stats.appends += op->kind == OP_APPEND;
    return rc;
}

/* ---- reads ---- */

static int by_seq(const void *a, const void *b)
{
    uint64_t x = (*(const mem_event_t *const *)a)->m.seq;
    uint64_t y = (*(const mem_event_t *const *)b)->m.seq;
    return x < y ? -1 : x > y;
}

/* The events of channel (NULL: any) that keep selects (NULL: all), sorted by cmp, in a
 * fresh array (the caller frees it). */
static const mem_event_t **select_events(mem_t *s, const char *channel,
                                         bool (*keep)(const store_msg_t *),
                                         int (*cmp)(const void *, const void *), size_t *n)
{
    const mem_event_t **v = xmalloc((s->nev + 1) * sizeof(*v));
    *n = 0;
    for (size_t i = 0; i < s->nev; i++)
        if ((!channel || strcmp(s->ev[i].m.channel, channel) == 0) && (!keep || keep(&s->ev[i].m)))
            v[(*n)++] = &s->ev[i];
    sort(v, *n, sizeof(*v), cmp);
    return v;
}

static void fill_replies(const mem_event_t **v, size_t n, store_msg_t *row)
{
    for (size_t i = 0; i < n; i++) {
        const store_msg_t *r = &v[i]->m;
        if (r->thread != row->seq || !is_kind(r, "msg"))
            continue;
        row->replies++;
        row->last_reply = r->seq > row->last_reply ? r->seq : row->last_reply;
        row->last_reply_ts = r->ts > row->last_reply_ts ? r->ts : row->last_reply_ts;
    }
}

static bool in_range(const store_query_t *q, const store_msg_t *m)
{
    if (q->thread > 0)
        return m->seq == q->thread || (m->thread == q->thread && is_kind(m, "msg"));
    if (q->after > 0 || q->forward)
        return m->seq > q->after;
    return q->before == 0 || m->seq < q->before;
}

static void run_query(mem_t *s, const store_query_t *q, store_rows_t *out)
{
    size_t n, hits = 0, first = 0;
    const mem_event_t **v = select_events(s, q->channel, NULL, by_seq, &n);
    const mem_event_t **in = xmalloc((n + 1) * sizeof(*in));
    for (size_t i = 0; i < n; i++)
        if (in_range(q, &v[i]->m))
            in[hits++] = v[i];
    /* Ascending reads take the oldest `limit`, the others the newest. */
    bool asc = q->thread > 0 || q->after > 0 || q->forward;
    out->more = hits > q->limit;
    if (out->more && !asc)
        first = hits - q->limit;
    for (size_t i = first; i < hits && i - first < q->limit; i++) {
        store_msg_t *row = store_rows_add(out, &in[i]->m);
        row->channel = q->channel;
        row->replies = 0;
        row->last_reply = 0;
        row->last_reply_ts = 0;
        if (q->replies)
            fill_replies(v, n, row);
    }
    free(in);
    free(v);
}

static int by_newest(const void *a, const void *b)
{
    const store_msg_t *x = &(*(const mem_event_t *const *)a)->m;
    const store_msg_t *y = &(*(const mem_event_t *const *)b)->m;
    if (x->ts != y->ts)
        return x->ts > y->ts ? -1 : 1;
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static bool in_channels(const store_search_t *q, const char *channel)
{
    for (size_t i = 0; i < q->nchannels; i++)
        if (strcmp(q->channels[i], channel) == 0)
            return true;
    return q->nchannels == 0;
}

static void run_search(mem_t *s, const store_search_t *q, store_rows_t *out)
{
    const mem_event_t **sorted = xmalloc((s->nev + 1) * sizeof(*sorted));
    size_t n = 0;
    for (size_t i = 0; i < s->nev; i++) {
        const mem_event_t *e = &s->ev[i];
        if (!e->fts_text || (q->user && strcmp(e->fts_user, q->user) != 0) ||
            (q->channel && strcmp(e->m.channel, q->channel) != 0) ||
            !in_channels(q, e->m.channel) || !search_matches(q, e->fts_text))
            continue;
        sorted[n++] = e;
    }
    sort(sorted, n, sizeof(*sorted), by_newest);
    out->more = n > q->limit;
    for (size_t i = 0; i < n && i < q->limit; i++) {
        store_msg_t m = sorted[i]->m;
        m.user = sorted[i]->fts_user;
        m.text = sorted[i]->fts_text;
        m.kind = NULL; /* a search row is a message: no kind, thread or target */
        m.thread = m.target = 0;
        store_rows_add(out, &m);
    }
    free(sorted);
}

/* Does a msg mention user_id? */
static bool mentions(const store_msg_t *m, uint64_t user_id)
{
    for (size_t i = 0; m->mentions && i < m->nmentions; i++)
        if (m->mentions[i] == user_id)
            return true;
    return false;
}

static int by_channel_seq(const void *a, const void *b)
{
    const store_msg_t *x = &(*(const mem_event_t *const *)a)->m;
    const store_msg_t *y = &(*(const mem_event_t *const *)b)->m;
    int c = strcmp(x->channel, y->channel);
    return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void run_counts(mem_t *s, uint64_t user_id, store_rows_t *out)
{
    const mem_event_t **sorted = xmalloc((s->nev + 1) * sizeof(*sorted));
    size_t n = 0;
    for (size_t i = 0; i < s->nev; i++) {
        const store_msg_t *m = &s->ev[i].m;
        if (!mentions(m, user_id) && !mentions(m, STORE_MENTION_ALL))
            continue;
        mem_pair_t *r = find_pair(s->reads, s->nreads, m->channel, user_id);
        if (!r || m->seq > r->seq)
            sorted[n++] = &s->ev[i];
    }
    sort(sorted, n, sizeof(*sorted), by_channel_seq);
    for (size_t i = 0; i < n && i < STORE_MENTIONS_MAX; i++)
        store_rows_add(out,
                       &(store_msg_t){.channel = sorted[i]->m.channel, .seq = sorted[i]->m.seq});
    free(sorted);
}

/* ---- completing operations ---- */

static void op_free(mem_op_t *op)
{
    for (size_t i = 0; i < op->nowned; i++)
        free(op->owned[i]);
    free(op->terms);
    free(op->mentions);
    free(op);
}

static void complete(mem_t *s, mem_op_t *op)
{
    if (op->kind <= OP_CHANGE) {
        int rc = run_write(s, op);
        if (op->wcb)
            op->wcb(op->ctx, rc);
        return;
    }
    if (op->kind == OP_PROBE) {
        if (op->wcb)
            op->wcb(op->ctx, s->fail_writes ? STORE_EFAILED : 0);
        return;
    }
    store_rows_t rows = {0};
    if (op->kind == OP_QUERY)
        run_query(s, &op->query, &rows);
    else if (op->kind == OP_SEARCH)
        run_search(s, &op->search, &rows);
    else
        run_counts(s, op->user_id, &rows);
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

static int mem_append(store_t *base, const store_msg_t *m, store_append_cb cb, void *ctx)
{
    mem_t *s = (mem_t *)base;
    if (!s->closing && !store_cid_valid(m->cid))
        return STORE_EINVAL;
    mem_op_t *op = op_new(s, OP_APPEND, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->wcb = cb;
    op->msg = *m;
    op->msg.channel = own(op, m->channel);
    op->msg.user = own(op, m->user);
    op->msg.text = own(op, m->text);
    op->msg.kind = own(op, m->kind);
    op->msg.mentions = op->mentions = ids_dup(m->mentions, m->nmentions);
    op->msg.nmentions = op->mentions ? m->nmentions : 0;
    op->msg.cid = own(op, m->cid);
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
    d->sess.hash = own(op, c->sess.hash);
    d->sess.agent = own(op, c->sess.agent);
    d->sess.addr = own(op, c->sess.addr);
    d->inv.hash = own(op, c->inv.hash);
    d->inv.kind = own(op, c->inv.kind);
    d->inv.role = own(op, c->inv.role);
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
    mem_op_t *op = op_new(s, OP_QUERY, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->rcb = cb;
    op->query = *q;
    op->query.channel = own(op, q->channel);
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

static int mem_mention_counts(store_t *base, uint64_t user_id, store_query_cb cb, void *ctx)
{
    mem_t *s = (mem_t *)base;
    mem_op_t *op = op_new(s, OP_COUNTS, ctx);
    if (!op)
        return STORE_ECLOSED;
    op->rcb = cb;
    op->user_id = user_id;
    return submit(s, op);
}

/* ---- synchronous: load, last_seq, stats, recover ---- */

static int by_pair(const void *a, const void *b)
{
    const mem_pair_t *x = a, *y = b;
    int c = strcmp(x->channel, y->channel);
    return c ? c : x->user_id < y->user_id ? -1 : x->user_id > y->user_id;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const store_channel_t *)a)->name, ((const store_channel_t *)b)->name);
}

static int by_keyed(const void *a, const void *b)
{
    const store_msg_t *x = &(*(const mem_event_t *const *)a)->m;
    const store_msg_t *y = &(*(const mem_event_t *const *)b)->m;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return by_channel_seq(a, b);
}

/* Per channel and mentioned user id, the newest seq: sorted (channel, id) pairs. */
static void load_mentioned(mem_t *s, const store_load_t *cbs, void *ctx)
{
    mem_pair_t *v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < s->nev; i++) {
        const store_msg_t *m = &s->ev[i].m;
        for (size_t j = 0; m->mentions && j < m->nmentions; j++) {
            mem_pair_t *r = find_pair(v, n, m->channel, m->mentions[j]);
            if (!r)
                add_pair(&v, &n, m->channel, m->mentions[j], m->seq);
            else if (m->seq > r->seq)
                r->seq = m->seq;
        }
    }
    sort(v, n, sizeof(*v), by_pair);
    for (size_t i = 0; i < n; i++) {
        cbs->mentioned(ctx, v[i].channel, v[i].user_id, v[i].seq);
        free(v[i].channel);
    }
    free(v);
}

static bool is_reaction(const store_msg_t *m)
{
    return is_kind(m, "react") || is_kind(m, "unreact");
}

static bool has_cid(const store_msg_t *m)
{
    return m->cid[0] != '\0';
}

static int mem_load(store_t *base, const store_load_t *cbs, void *ctx)
{
    mem_t *s = (mem_t *)base;
    sort(s->chans, s->nchans, sizeof(*s->chans), by_name);
    sort(s->members, s->nmembers, sizeof(*s->members), by_pair);
    sort(s->reads, s->nreads, sizeof(*s->reads), by_pair);
    for (size_t i = 0; cbs->channel && i < s->nchans; i++)
        cbs->channel(ctx, &s->chans[i]);
    for (size_t i = 0; cbs->member && i < s->nmembers; i++)
        cbs->member(ctx, s->members[i].channel, s->members[i].user_id);
    for (size_t i = 0; cbs->read && i < s->nreads; i++)
        cbs->read(ctx, s->reads[i].channel, s->reads[i].user_id, s->reads[i].seq);
    size_t n;
    const mem_event_t **v = select_events(s, NULL, is_reaction, by_channel_seq, &n);
    for (size_t i = 0; cbs->reaction && i < n; i++)
        cbs->reaction(ctx, v[i]->m.channel, v[i]->m.target, v[i]->m.user_id, v[i]->m.text,
                      is_kind(&v[i]->m, "react"));
    free(v);
    if (cbs->mentioned)
        load_mentioned(s, cbs, ctx);
    return 0;
}

static int mem_load_keyed(store_t *base, store_keyed_cb cb, void *ctx)
{
    mem_t *s = (mem_t *)base;
    size_t n;
    const mem_event_t **v = select_events(s, NULL, has_cid, by_keyed, &n);
    for (size_t i = n > STORE_KEYED_MAX ? n - STORE_KEYED_MAX : 0; i < n; i++)
        cb(ctx, v[i]->m.channel, v[i]->m.seq, v[i]->m.user_id, v[i]->m.cid, v[i]->m.ts);
    free(v);
    return 0;
}

static int mem_last_seq(store_t *base, const char *channel, uint64_t *out)
{
    mem_t *s = (mem_t *)base;
    *out = 0;
    for (size_t i = 0; i < s->nev; i++)
        if (s->ev[i].m.seq > *out && strcmp(s->ev[i].m.channel, channel) == 0)
            *out = s->ev[i].m.seq;
    return 0;
}

static int mem_load_accounts(store_t *base, const store_accounts_load_t *cbs, void *ctx)
{
    mem_t *s = (mem_t *)base;
    if (s->closing)
        return STORE_ECLOSED;
    mem_accounts_load(s->acc, cbs, ctx);
    return 0;
}

static int mem_version(store_t *base, uint64_t *out)
{
    mem_t *s = (mem_t *)base;
    if (s->closing)
        return STORE_ECLOSED;
    *out = mem_accounts_version(s->acc);
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
    out->queued = s->pending;
    out->failed = s->failed;
}

static void mem_recover(store_t *base)
{
    mem_t *s = (mem_t *)base;
    s->epoch++;
    s->failed = false;
}

/* ---- open and close ---- */

static void free_state(mem_t *s)
{
    for (size_t i = 0; i < s->nev; i++)
        event_free(&s->ev[i]);
    for (size_t i = 0; i < s->nchans; i++) {
        free((char *)s->chans[i].name);
        free((char *)s->chans[i].kind);
        free((char *)s->chans[i].topic);
        free((char *)s->chans[i].created_by);
    }
    for (size_t i = 0; i < s->nmembers; i++)
        free(s->members[i].channel);
    for (size_t i = 0; i < s->nreads; i++)
        free(s->reads[i].channel);
    free(s->ev);
    free(s->chans);
    free(s->members);
    free(s->reads);
    mem_accounts_free(s->acc);
}

static void on_async_close(uv_handle_t *h)
{
    free(h->data);
}

static void mem_close(store_t *base)
{
    mem_t *s = (mem_t *)base;
    s->closing = true; /* from here submissions get STORE_ECLOSED */
    store_mem_run(base);
    free_state(s);
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
    s->acc = mem_accounts_new();
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
    .load_keyed = mem_load_keyed,
    .last_seq = mem_last_seq,
    .stats = mem_stats,
    .close = mem_close,
    .probe = mem_probe,
    .recover = mem_recover,
    .load_accounts = mem_load_accounts,
    .accounts_version = mem_version,
};
