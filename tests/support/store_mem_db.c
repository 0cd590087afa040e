/* store_mem_db - store_mem's stored state; see store_mem_db.h.
 *
 * Structures: plain arrays, searched linearly (tests hold little): `ev` every event in commit
 * order, each msg with its search entry (the text and author an edit left, NULL once deleted)
 * and its mentions (user ids, NULL once deleted); `chans`, `members`, `reads` the change
 * rows, people by user id; `acc` the accounts (store_mem_accounts.c). Search folds ASCII case
 * only (store_mem.h). */
#include "store_mem_db.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

/* ---- small tools ---- */

static bool is_kind(const store_msg_t *m, const char *kind)
{
    return strcmp(m->kind ? m->kind : "msg", kind) == 0;
}

/* A copy of the n ids of v, or NULL for none. */
uint64_t *mem_ids_dup(const uint64_t *v, size_t n)
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

static mem_event_t *find_event(mem_db_t *d, const char *channel, uint64_t seq)
{
    for (size_t i = 0; i < d->nev; i++)
        if (d->ev[i].m.seq == seq && strcmp(d->ev[i].m.channel, channel) == 0)
            return &d->ev[i];
    return NULL;
}

/* The primary key a real backend enforces. Appends come in seq order per channel, so the
 * channel's last seq settles most cases without a scan. */
static bool taken(mem_db_t *d, const char *channel, uint64_t seq)
{
    for (size_t i = d->nev; i-- > 0;)
        if (strcmp(d->ev[i].m.channel, channel) == 0)
            return d->ev[i].m.seq < seq ? false : find_event(d, channel, seq) != NULL;
    return false;
}

static void set_text(store_msg_t *m, const char *text)
{
    free((char *)m->text);
    m->text = xstrdup(text);
}

/* What an edit or a delete (in) does to its target msg t, as SQLite's rows show it: an
 * edit replaces the text, a delete blanks it and the texts of its edits. */
static void apply_to_target(mem_db_t *d, mem_event_t *t, const store_msg_t *in)
{
    if (t->m.deleted)
        return;
    if (is_kind(in, "edit")) {
        if (!t->m.edited)
            t->original = xstrdup(t->m.text);
        set_text(&t->m, in->text);
        t->m.edited = true;
        return;
    }
    set_text(&t->m, "");
    free(t->original);
    t->original = NULL;
    free((char *)t->m.files);
    t->m.files = xstrdup("");
    t->m.deleted = true;
    t->m.edited = false;
    for (size_t i = 0; i < d->nev; i++) {
        store_msg_t *m = &d->ev[i].m;
        if (m->target == in->target && is_kind(m, "edit") && strcmp(m->channel, in->channel) == 0)
            set_text(m, "");
    }
}

/* An append without a seq: the lowest seq of its key when (channel, user_id, cid) is
 * stored (*duplicate), else the channel's next (store_msg_t.seq). */
static uint64_t assign_seq(const mem_db_t *d, const store_msg_t *in, bool *duplicate)
{
    uint64_t first = 0;
    for (size_t i = 0; in->cid && in->cid[0] && i < d->nev; i++) {
        const store_msg_t *m = &d->ev[i].m;
        if (m->user_id == in->user_id && strcmp(m->cid, in->cid) == 0 &&
            strcmp(m->channel, in->channel) == 0 && (first == 0 || m->seq < first))
            first = m->seq;
    }
    *duplicate = first > 0;
    return first ? first : mem_db_last_seq(d, in->channel) + 1;
}

int mem_db_append(mem_db_t *d, const store_msg_t *in, uint64_t *seq, bool *duplicate)
{
    *duplicate = false;
    *seq = in->seq ? in->seq : assign_seq(d, in, duplicate);
    if (*duplicate)
        return 0; /* stored already: nothing again */
    if (taken(d, in->channel, *seq))
        return STORE_EFAILED;
    if (d->nev == d->cap_ev) {
        d->cap_ev = d->cap_ev ? d->cap_ev * 2 : 16;
        d->ev = xrealloc(d->ev, d->cap_ev * sizeof(*d->ev));
    }
    mem_event_t *e = &d->ev[d->nev++];
    *e = (mem_event_t){.m = *in};
    e->m.seq = *seq;
    e->m.channel = xstrdup(in->channel);
    e->m.user = xstrdup(in->user);
    e->m.text = xstrdup(in->text);
    e->m.kind = xstrdup(in->kind ? in->kind : "msg");
    e->m.cid = xstrdup(in->cid ? in->cid : "");
    e->m.files = xstrdup(in->files ? in->files : "");
    e->m.app = xstrdup(in->app ? in->app : "");
    /* Only a msg's mentions are kept, as SQLite's mentions table holds only those. */
    e->m.mentions = is_kind(in, "msg") ? mem_ids_dup(in->mentions, in->nmentions) : NULL;
    e->m.nmentions = e->m.mentions ? in->nmentions : 0;
    e->m.replies = 0;
    e->m.deleted = e->m.edited = false;
    if (is_kind(&e->m, "msg")) {
        e->fts_text = xstrdup(in->text);
        e->fts_user = e->m.user;
        return 0;
    }
    mem_event_t *t = find_event(d, in->channel, in->target);
    if (is_kind(in, "edit") && (!t || !is_kind(&t->m, "msg") || t->m.deleted)) {
        set_text(&e->m, ""); /* as SQLite blanks an edit of nothing readable */
        return 0;
    }
    if (t && is_kind(&t->m, "msg") && (is_kind(in, "edit") || is_kind(in, "delete"))) {
        free(t->fts_text);
        t->fts_text = is_kind(in, "edit") ? xstrdup(in->text) : NULL;
        t->fts_user = e->m.user;
        if (is_kind(in, "delete")) {
            free((uint64_t *)t->m.mentions);
            t->m.mentions = NULL;
            t->m.nmentions = 0;
        }
        apply_to_target(d, t, in);
    }
    return 0;
}

static store_channel_t *find_chan(mem_db_t *d, const char *name)
{
    for (size_t i = 0; i < d->nchans; i++)
        if (strcmp(d->chans[i].name, name) == 0)
            return &d->chans[i];
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

static int apply_channel(mem_db_t *d, const store_change_t *c)
{
    store_channel_t *ch = find_chan(d, c->ch.name);
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
    d->chans = xrealloc(d->chans, (d->nchans + 1) * sizeof(*d->chans));
    d->chans[d->nchans++] = (store_channel_t){.name = xstrdup(c->ch.name),
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
    free((char *)e->m.files);
    free((char *)e->m.app);
    free((uint64_t *)e->m.mentions);
    free(e->fts_text);
    free(e->original);
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
static int delete_channel(mem_db_t *d, const char *name)
{
    store_channel_t *ch = find_chan(d, name);
    if (ch) {
        free((char *)ch->name);
        free((char *)ch->kind);
        free((char *)ch->topic);
        free((char *)ch->created_by);
        *ch = d->chans[--d->nchans];
    }
    drop_pairs(d->members, &d->nmembers, name);
    drop_pairs(d->reads, &d->nreads, name);
    drop_pairs(d->notify, &d->nnotify, name);
    size_t k = 0;
    for (size_t i = 0; i < d->nev; i++) {
        if (strcmp(d->ev[i].m.channel, name) == 0)
            event_free(&d->ev[i]);
        else
            d->ev[k++] = d->ev[i];
    }
    d->nev = k;
    return 0;
}

int mem_db_change(mem_db_t *d, const store_change_t *c, bool bump)
{
    if (c->kind >= STORE_USER_CREATE) /* the account kinds come last in store.h */
        return mem_accounts_apply(d->acc, c, bump);
    if (c->kind == STORE_CHANNEL_PUT)
        return apply_channel(d, c);
    if (c->kind == STORE_CHANNEL_CREATE) {
        int rc = apply_channel(d, c);
        if (rc == 0 && c->ch.creator_id > 0 &&
            !find_pair(d->members, d->nmembers, c->ch.name, c->ch.creator_id))
            add_pair(&d->members, &d->nmembers, c->ch.name, c->ch.creator_id, 0);
        return rc;
    }
    if (c->kind == STORE_CHANNEL_DELETE)
        return delete_channel(d, c->ch.name);
    if (c->kind == STORE_NOTIFY_SET) {
        mem_pair_t *r = find_pair(d->notify, d->nnotify, c->ch.name, c->user_id);
        uint64_t level = strcmp(c->notify, "muted") == 0      ? 2
                         : strcmp(c->notify, "mentions") == 0 ? 1
                                                              : 0;
        if (r && level)
            r->seq = level;
        else if (level)
            add_pair(&d->notify, &d->nnotify, c->ch.name, c->user_id, level);
        else if (r) {
            free(r->channel);
            *r = d->notify[--d->nnotify];
        }
        return 0;
    }
    if (c->kind == STORE_READ) {
        mem_pair_t *r = find_pair(d->reads, d->nreads, c->ch.name, c->user_id);
        if (!r)
            add_pair(&d->reads, &d->nreads, c->ch.name, c->user_id, c->seq);
        else if (c->seq > r->seq)
            r->seq = c->seq;
        return 0;
    }
    mem_pair_t *m = find_pair(d->members, d->nmembers, c->ch.name, c->user_id);
    if (c->kind == STORE_MEMBER_ADD && !m)
        add_pair(&d->members, &d->nmembers, c->ch.name, c->user_id, 0);
    if (c->kind == STORE_MEMBER_REMOVE && m) {
        free(m->channel);
        *m = d->members[--d->nmembers];
    }
    return 0;
}

void mem_db_init(mem_db_t *d)
{
    *d = (mem_db_t){.acc = mem_accounts_new()};
}

void mem_db_free(mem_db_t *d)
{
    for (size_t i = 0; i < d->nev; i++)
        event_free(&d->ev[i]);
    for (size_t i = 0; i < d->nchans; i++) {
        free((char *)d->chans[i].name);
        free((char *)d->chans[i].kind);
        free((char *)d->chans[i].topic);
        free((char *)d->chans[i].created_by);
    }
    for (size_t i = 0; i < d->nmembers; i++)
        free(d->members[i].channel);
    for (size_t i = 0; i < d->nreads; i++)
        free(d->reads[i].channel);
    for (size_t i = 0; i < d->nnotify; i++)
        free(d->notify[i].channel);
    free(d->notify);
    free(d->ev);
    free(d->chans);
    free(d->members);
    free(d->reads);
    mem_accounts_free(d->acc);
}

static mem_pair_t *pairs_clone(const mem_pair_t *v, size_t n)
{
    mem_pair_t *c = xcalloc(n + 1, sizeof(*c));
    for (size_t i = 0; i < n; i++)
        c[i] = (mem_pair_t){xstrdup(v[i].channel), v[i].user_id, v[i].seq};
    return c;
}

/* A deep copy of d. An event's fts_user points at the user string of the event that wrote
 * its text (itself, or an edit): the copy points at the copy of that string. */
mem_db_t mem_db_clone(const mem_db_t *d)
{
    mem_db_t c = {.nev = d->nev, .cap_ev = d->nev, .nchans = d->nchans};
    c.ev = xcalloc(d->nev + 1, sizeof(*c.ev));
    for (size_t i = 0; i < d->nev; i++) {
        const store_msg_t *m = &d->ev[i].m;
        store_msg_t *cm = &c.ev[i].m;
        *cm = *m;
        cm->channel = xstrdup(m->channel);
        cm->user = xstrdup(m->user);
        cm->text = xstrdup(m->text);
        cm->kind = xstrdup(m->kind);
        cm->cid = xstrdup(m->cid);
        cm->files = xstrdup(m->files);
        cm->app = xstrdup(m->app);
        cm->mentions = mem_ids_dup(m->mentions, m->nmentions);
        c.ev[i].fts_text = d->ev[i].fts_text ? xstrdup(d->ev[i].fts_text) : NULL;
        c.ev[i].original = d->ev[i].original ? xstrdup(d->ev[i].original) : NULL;
    }
    for (size_t i = 0; i < d->nev; i++)
        for (size_t j = 0; j < d->nev && d->ev[i].fts_user; j++)
            if (d->ev[j].m.user == d->ev[i].fts_user)
                c.ev[i].fts_user = c.ev[j].m.user;
    c.chans = xcalloc(d->nchans + 1, sizeof(*c.chans));
    for (size_t i = 0; i < d->nchans; i++) {
        c.chans[i] = d->chans[i];
        c.chans[i].name = xstrdup(d->chans[i].name);
        c.chans[i].kind = xstrdup(d->chans[i].kind);
        c.chans[i].topic = xstrdup(d->chans[i].topic);
        c.chans[i].created_by = xstrdup(d->chans[i].created_by);
    }
    c.members = pairs_clone(d->members, c.nmembers = d->nmembers);
    c.reads = pairs_clone(d->reads, c.nreads = d->nreads);
    c.notify = pairs_clone(d->notify, c.nnotify = d->nnotify);
    c.acc = mem_accounts_clone(d->acc);
    return c;
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
static const mem_event_t **select_events(const mem_db_t *d, const char *channel,
                                         bool (*keep)(const store_msg_t *),
                                         int (*cmp)(const void *, const void *), size_t *n)
{
    const mem_event_t **v = xmalloc((d->nev + 1) * sizeof(*v));
    *n = 0;
    for (size_t i = 0; i < d->nev; i++)
        if ((!channel || strcmp(d->ev[i].m.channel, channel) == 0) && (!keep || keep(&d->ev[i].m)))
            v[(*n)++] = &d->ev[i];
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

/* store_query_t.seqs or .edits: the msgs among seqs, or a msg (its first text) and its
 * edits; oldest first, the oldest `limit`. */
static bool listed(const store_query_t *q, const store_msg_t *m)
{
    if (q->nseqs) {
        for (size_t i = 0; i < q->nseqs; i++)
            if (q->seqs[i] == m->seq)
                return is_kind(m, "msg");
        return false;
    }
    return (m->seq == q->edits && is_kind(m, "msg")) ||
           (m->target == q->edits && is_kind(m, "edit"));
}

static void query_listed(const mem_db_t *d, const store_query_t *q, store_rows_t *out)
{
    size_t n, hits = 0;
    const mem_event_t **v = select_events(d, q->channel, NULL, by_seq, &n);
    bool msg_seen = false;
    for (size_t i = 0; i < n; i++) {
        if (!listed(q, &v[i]->m))
            continue;
        if (q->edits && is_kind(&v[i]->m, "msg"))
            msg_seen = true;
        else if (q->edits && !msg_seen)
            break; /* edits of no msg */
        if (hits++ >= q->limit) {
            out->more = true;
            break;
        }
        store_msg_t *row = store_rows_add(out, &v[i]->m);
        row->channel = q->channel;
        row->replies = 0;
        row->last_reply = 0;
        row->last_reply_ts = 0;
        if (q->edits && is_kind(row, "msg"))
            row->text = v[i]->original ? v[i]->original : row->edited ? "" : row->text;
    }
    free(v);
}

void mem_db_query(const mem_db_t *d, const store_query_t *q, store_rows_t *out)
{
    if (q->nseqs || q->edits) {
        query_listed(d, q, out);
        return;
    }
    size_t n, hits = 0, first = 0;
    const mem_event_t **v = select_events(d, q->channel, NULL, by_seq, &n);
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

void mem_db_search(const mem_db_t *d, const store_search_t *q, store_rows_t *out)
{
    const mem_event_t **sorted = xmalloc((d->nev + 1) * sizeof(*sorted));
    size_t n = 0;
    for (size_t i = 0; i < d->nev; i++) {
        const mem_event_t *e = &d->ev[i];
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
        m.files = NULL; /* as the SQL backends' search rows */
        m.app = NULL;
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

void mem_db_counts(const mem_db_t *d, uint64_t user_id, store_rows_t *out)
{
    const mem_event_t **sorted = xmalloc((d->nev + 1) * sizeof(*sorted));
    size_t n = 0;
    for (size_t i = 0; i < d->nev; i++) {
        const store_msg_t *m = &d->ev[i].m;
        if (!mentions(m, user_id) && !mentions(m, STORE_MENTION_ALL))
            continue;
        mem_pair_t *r = find_pair(d->reads, d->nreads, m->channel, user_id);
        if (!r || m->seq > r->seq)
            sorted[n++] = &d->ev[i];
    }
    sort(sorted, n, sizeof(*sorted), by_channel_seq);
    for (size_t i = 0; i < n && i < STORE_MENTIONS_MAX; i++)
        store_rows_add(out,
                       &(store_msg_t){.channel = sorted[i]->m.channel, .seq = sorted[i]->m.seq});
    free(sorted);
}

/* Every event by channel and seq: each channel's last is the one before the next name. */
void mem_db_positions(const mem_db_t *d, store_rows_t *out)
{
    const mem_event_t **sorted = xmalloc((d->nev + 1) * sizeof(*sorted));
    for (size_t i = 0; i < d->nev; i++)
        sorted[i] = &d->ev[i];
    sort(sorted, d->nev, sizeof(*sorted), by_channel_seq);
    for (size_t i = 0; i < d->nev; i++) {
        const store_msg_t *m = &sorted[i]->m;
        if (i + 1 < d->nev && strcmp(m->channel, sorted[i + 1]->m.channel) == 0)
            continue;
        if (out->n == STORE_POSITIONS_MAX) {
            out->more = true;
            break;
        }
        store_rows_add(out, &(store_msg_t){.channel = m->channel, .seq = m->seq});
    }
    free(sorted);
}

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
static void load_mentioned(const mem_db_t *d, const store_load_t *cbs, void *ctx)
{
    mem_pair_t *v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < d->nev; i++) {
        const store_msg_t *m = &d->ev[i].m;
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

static bool is_line(const store_msg_t *m)
{
    return is_kind(m, "joined") || is_kind(m, "left") || is_kind(m, "topic");
}

static bool is_pin(const store_msg_t *m)
{
    return is_kind(m, "pin") || is_kind(m, "unpin");
}

static bool has_cid(const store_msg_t *m)
{
    return m->cid[0] != '\0';
}

void mem_db_load(mem_db_t *d, const store_load_t *cbs, void *ctx)
{
    sort(d->chans, d->nchans, sizeof(*d->chans), by_name);
    sort(d->members, d->nmembers, sizeof(*d->members), by_pair);
    sort(d->reads, d->nreads, sizeof(*d->reads), by_pair);
    for (size_t i = 0; cbs->channel && i < d->nchans; i++)
        cbs->channel(ctx, &d->chans[i]);
    for (size_t i = 0; cbs->member && i < d->nmembers; i++)
        cbs->member(ctx, d->members[i].channel, d->members[i].user_id);
    for (size_t i = 0; cbs->read && i < d->nreads; i++)
        cbs->read(ctx, d->reads[i].channel, d->reads[i].user_id, d->reads[i].seq);
    size_t n;
    const mem_event_t **v = select_events(d, NULL, is_reaction, by_channel_seq, &n);
    for (size_t i = 0; cbs->reaction && i < n; i++)
        cbs->reaction(ctx, v[i]->m.channel, v[i]->m.target, v[i]->m.user_id, v[i]->m.text,
                      is_kind(&v[i]->m, "react"));
    free(v);
    if (cbs->mentioned)
        load_mentioned(d, cbs, ctx);
    v = select_events(d, NULL, is_line, by_channel_seq, &n);
    for (size_t i = 0; cbs->line && i < n; i++)
        cbs->line(ctx, v[i]->m.channel, v[i]->m.seq);
    free(v);
    sort(d->notify, d->nnotify, sizeof(*d->notify), by_pair);
    for (size_t i = 0; cbs->notify && i < d->nnotify; i++)
        cbs->notify(ctx, d->notify[i].channel, d->notify[i].user_id,
                    d->notify[i].seq == 2 ? "muted" : "mentions");
    v = select_events(d, NULL, is_pin, by_channel_seq, &n);
    for (size_t i = 0; cbs->pin && i < n; i++) {
        const mem_event_t *t = find_event(d, v[i]->m.channel, v[i]->m.target);
        if (t && is_kind(&t->m, "msg") && !t->m.deleted)
            cbs->pin(ctx, v[i]->m.channel, v[i]->m.seq, v[i]->m.target, v[i]->m.user_id, v[i]->m.ts,
                     is_kind(&v[i]->m, "pin"));
    }
    free(v);
}

void mem_db_load_keyed(const mem_db_t *d, store_keyed_cb cb, void *ctx)
{
    size_t n;
    const mem_event_t **v = select_events(d, NULL, has_cid, by_keyed, &n);
    for (size_t i = n > STORE_KEYED_MAX ? n - STORE_KEYED_MAX : 0; i < n; i++)
        cb(ctx, v[i]->m.channel, v[i]->m.seq, v[i]->m.user_id, v[i]->m.cid, v[i]->m.ts);
    free(v);
}

uint64_t mem_db_last_seq(const mem_db_t *d, const char *channel)
{
    uint64_t last = 0;
    for (size_t i = 0; i < d->nev; i++)
        if (d->ev[i].m.seq > last && strcmp(d->ev[i].m.channel, channel) == 0)
            last = d->ev[i].m.seq;
    return last;
}
