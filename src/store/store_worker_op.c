/* store_worker_op - the operations of the shared worker; see store_worker_int.h.
 *
 * Each operation is one op_t, allocated once with its strings in op->data; a read's answer
 * is a store_rows_t whose strings live in chunks that never move once written (the loop
 * thread reads them in the callback, after the reader thread wrote them). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "store/store_worker_int.h"

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
    row->files = rows_str(r, m->files ? m->files : "");
    row->app = rows_str(r, m->app ? m->app : "");
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

/* ---- lists ---- */

void store_op_push(op_list_t *l, op_t *op)
{
    op->next = NULL;
    if (l->tail)
        l->tail->next = op;
    else
        l->head = op;
    l->tail = op;
}

op_t *store_op_pop(op_list_t *l)
{
    op_t *op = l->head;
    if (op) {
        l->head = op->next;
        if (!l->head)
            l->tail = NULL;
        op->next = NULL;
    }
    return op;
}

size_t store_op_take(op_list_t *src, size_t max, op_list_t *dst)
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

void store_op_splice(op_list_t *dst, op_list_t *src)
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

static void op_complete(op_t *op)
{
    if (op->kind == OP_APPEND) {
        /* A failed transaction's out values mean nothing: its appends answer seq 0. */
        bool ok = op->status == 0;
        if (op->cb.append)
            op->cb.append(op->ctx, op->status, ok ? op->seq : 0, ok && op->duplicate);
        return;
    }
    if (!op_is_read(op)) {
        if (op->cb.write)
            op->cb.write(op->ctx, op->status);
        return;
    }
    bool ok = op->status == 0;
    op->cb.read(op->ctx, op->status, ok ? op->rows.rows : NULL, ok ? op->rows.n : 0,
                ok && op->rows.more);
}

void store_op_drain(op_list_t *l)
{
    op_t *op;
    while ((op = store_op_pop(l))) {
        op_complete(op);
        store_rows_free(&op->rows);
        free(op);
    }
}

/* ---- making operations ---- */

/* A new op of kind with room for `extra` bytes of data. */
static op_t *op_new(int kind, size_t extra, void *ctx)
{
    op_t *op = xcalloc(1, sizeof(*op) + extra);
    op->kind = kind;
    op->ctx = ctx;
    return op;
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

op_t *store_op_append(const store_msg_t *m, store_appended_cb cb, void *ctx)
{
    const char *cid = m->cid && m->cid[0] ? m->cid : NULL;
    size_t nmentions = m->mentions ? m->nmentions : 0;
    size_t ids = nmentions * sizeof(uint64_t);
    op_t *op = op_new(OP_APPEND,
                      ids + str_size(m->channel) + str_size(m->user) + str_size(m->text) +
                          str_size(m->kind ? m->kind : "msg") + str_size(cid) +
                          str_size(m->files ? m->files : "") + str_size(m->app ? m->app : ""),
                      ctx);
    op->cb.append = cb;
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
    op->u.msg.files = put_str(&p, m->files ? m->files : "");
    op->u.msg.app = put_str(&p, m->app ? m->app : "");
    return op;
}

/* Every string field of a change, so that sizing and copying cannot miss one. */
#define CHANGE_STRS 23

static void change_strs(store_change_t *c, const char **v[CHANGE_STRS])
{
    const char **all[CHANGE_STRS] = {
        &c->ch.name,   &c->ch.kind,      &c->ch.topic,  &c->ch.created_by, &c->u.name,
        &c->u.canon,   &c->u.display,    &c->u.role,    &c->u.pass,        &c->u.state,
        &c->sess.hash, &c->sess.agent,   &c->sess.addr, &c->inv.hash,      &c->inv.kind,
        &c->inv.role,  &c->u.title,      &c->u.tz,      &c->u.avatar,      &c->notify,
        &c->hook.hash, &c->hook.channel, &c->hook.name,
    };
    memcpy(v, all, sizeof(all));
}

op_t *store_op_change(const store_change_t *c, store_append_cb cb, void *ctx)
{
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
    return op;
}

op_t *store_op_probe(store_append_cb cb, void *ctx)
{
    op_t *op = op_new(OP_PROBE, 0, ctx);
    op->cb.write = cb;
    return op;
}

op_t *store_op_query(const store_query_t *q, store_query_cb cb, void *ctx)
{
    size_t ids = q->nseqs * sizeof(uint64_t); /* first, where data is aligned */
    op_t *op = op_new(OP_QUERY, ids + str_size(q->channel), ctx);
    op->cb.read = cb;
    op->u.query = *q;
    op->owner = q->owner;
    if (ids)
        memcpy(op->data, q->seqs, ids);
    op->u.query.seqs = ids ? (const uint64_t *)(void *)op->data : NULL;
    char *p = op->data + ids;
    op->u.query.channel = put_str(&p, q->channel);
    return op;
}

op_t *store_op_search(const store_search_t *q, store_query_cb cb, void *ctx)
{
    size_t n = q->nterms * sizeof(store_term_t) + q->nchannels * sizeof(char *) +
               str_size(q->user) + str_size(q->channel) + str_size(q->after_channel);
    for (size_t i = 0; i < q->nterms; i++)
        n += str_size(q->terms[i].text ? q->terms[i].text : "");
    for (size_t i = 0; i < q->nchannels; i++)
        n += str_size(q->channels[i]);
    op_t *op = op_new(OP_SEARCH, n, ctx);
    op->cb.read = cb;
    op->u.search = *q;
    op->owner = q->owner;
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
    op->u.search.after_channel = put_str(&p, q->after_channel);
    return op;
}

op_t *store_op_counts(uint64_t user_id, const void *owner, store_query_cb cb, void *ctx)
{
    op_t *op = op_new(OP_COUNTS, 0, ctx);
    op->cb.read = cb;
    op->u.user_id = user_id;
    op->owner = owner;
    return op;
}

op_t *store_op_positions(const void *owner, store_query_cb cb, void *ctx)
{
    op_t *op = op_new(OP_POSITIONS, 0, ctx);
    op->cb.read = cb;
    op->owner = owner;
    return op;
}
