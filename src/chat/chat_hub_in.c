/* chat_hub_in - the hub's one door for events committed elsewhere (chat_hub_deliver): each
 * channel commits them in seq order, drops what it has, buffers what comes early (at most
 * CHAT_DELIVER_BUFFER) and asks the store for a missing range; an event from elsewhere does
 * at its commit what a local one did when accepted. Shared, the position check finds what
 * no delivery showed missing: one store read of every channel's position, compared with
 * what each committed here. See chat_hub.h. */
#include "chat/chat_hub_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "chat/chat_cost.h"

/* An event committed elsewhere did at its commit what a local one did when it was accepted:
 * mentions noted, a reaction toggled, its client key remembered. Then it commits here. */
static void commit_remote(chat_hub_t *h, hub_chan_t *hc, const store_msg_t *m)
{
    const char *kind = m->kind ? m->kind : "msg";
    if (strcmp(kind, "msg") == 0 && strchr(m->text, '@')) {
        uint64_t ids[CHAT_MENTIONS_MAX];
        chat_hub_note_mentions(h, hc->ch, m->text, m->seq, ids);
    } else if (strcmp(kind, "react") == 0 || strcmp(kind, "unreact") == 0) {
        chat_channel_reaction_set(hc->ch, m->target, m->text, m->user_id, kind[0] == 'r');
    }
    if (m->cid && m->cid[0] && !chat_keys_find(h->keys, m->user_id, m->cid)) {
        chat_key_t *k = chat_keys_put(h->keys, m->user_id, m->cid);
        *k = (chat_key_t){.slot = chat_channel_slot(hc->ch), .seq = m->seq, .ts = m->ts};
    }
    chat_hub_commit_event(h, hc, m);
}

static void msg_free(store_msg_t *m)
{
    free((char *)m->channel);
    free((char *)m->user);
    free((char *)m->text);
    free((char *)m->kind);
    free((char *)m->cid);
    free((char *)m->files);
    free((char *)m->app);
}

void chat_hub_in_free(hub_chan_t *hc)
{
    for (size_t i = 0; i < hc->nearly; i++)
        msg_free(&hc->early[i]);
    free(hc->early);
    hc->early = NULL;
    hc->nearly = 0;
}

/* Keeps m (copied) until the events before it arrive; by seq, without duplicates. When the
 * buffer is full the newest is dropped: the store has it, and a fill will bring it. */
static void early_insert(hub_chan_t *hc, const store_msg_t *m)
{
    if (m->seq > hc->last_seq)
        hc->last_seq = m->seq; /* the newest known, even when not kept: fills reach it */
    size_t i = 0;
    while (i < hc->nearly && hc->early[i].seq < m->seq)
        i++;
    if ((i < hc->nearly && hc->early[i].seq == m->seq) || i == CHAT_DELIVER_BUFFER)
        return;
    if (hc->nearly == CHAT_DELIVER_BUFFER)
        msg_free(&hc->early[--hc->nearly]);
    if (!hc->early)
        hc->early = xcalloc(CHAT_DELIVER_BUFFER, sizeof(*hc->early));
    memmove(hc->early + i + 1, hc->early + i, (hc->nearly - i) * sizeof(*hc->early));
    store_msg_t *c = &hc->early[i];
    *c = *m;
    c->channel = xstrdup(m->channel);
    c->user = xstrdup(m->user);
    c->text = xstrdup(m->text);
    c->kind = m->kind ? xstrdup(m->kind) : NULL;
    c->cid = m->cid ? xstrdup(m->cid) : NULL;
    c->files = m->files ? xstrdup(m->files) : NULL;
    c->app = m->app ? xstrdup(m->app) : NULL;
    c->mentions = NULL;
    c->nmentions = 0;
    hc->nearly++;
}

/* Commits the buffered events that are now next in order, dropping any already seen. */
static void drain_early(chat_hub_t *h, hub_chan_t *hc)
{
    if (!hc->nearly)
        return; /* and early may be NULL */
    size_t i = 0;
    for (; i < hc->nearly; i++) {
        uint64_t next = chat_channel_committed(hc->ch) + 1;
        if (hc->early[i].seq > next)
            break;
        if (hc->early[i].seq == next)
            commit_remote(h, hc, &hc->early[i]);
        msg_free(&hc->early[i]);
    }
    memmove(hc->early, hc->early + i, (hc->nearly - i) * sizeof(*hc->early));
    hc->nearly -= i;
}

/* Events known to exist elsewhere and not committed here yet. Local writes aside: last_seq
 * counts the seqs they hold until they commit; shared, they hold none (the store gives seqs
 * at commit), and last_seq is only what is known to be committed. */
bool chat_hub_in_missing(const hub_chan_t *hc)
{
    return (!hc->head || hc->h->cfg.shared) && hc->last_seq > chat_channel_committed(hc->ch);
}

static void on_fill(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    hub_chan_t *hc = ctx;
    chat_hub_t *h = hc->h;
    (void)more;
    hc->filling = false;
    uint64_t before = chat_channel_committed(hc->ch);
    for (size_t i = 0; status >= 0 && i < n; i++)
        if (msgs[i].seq == chat_channel_committed(hc->ch) + 1)
            commit_remote(h, hc, &msgs[i]);
    drain_early(h, hc);
    bool progress = chat_channel_committed(hc->ch) > before || hc->fill_from < before;
    bool done = hc->catching_up && (status < 0 || !more || !progress);
    if (done && hc->catch_again && status >= 0) {
        hc->catch_again = false; /* a wait came while this read ran: one started after it */
        chat_hub_in_fill(h, hc);
        return;
    }
    if (done) {
        hc->catching_up = hc->catch_again = false; /* nothing newer (failed: the check) */
        chat_hub_in_caught(hc, true);
    }
    /* Progress, or an answer overtaken by deliveries meanwhile: ask for the rest now. No
     * progress on a current answer: the store has not got them yet; the tick asks again. */
    if ((chat_hub_in_missing(hc) || hc->catching_up) && progress)
        chat_hub_in_fill(h, hc);
}

/* Asks the store for the events between what is committed and the oldest one buffered. */
void chat_hub_in_fill(chat_hub_t *h, hub_chan_t *hc)
{
    uint64_t from = chat_channel_committed(hc->ch);
    uint64_t upto = hc->nearly ? hc->early[0].seq : hc->last_seq + 1;
    uint64_t gap = upto > from ? upto - from - 1 : 0;
    if (hc->catching_up && !hc->nearly)
        gap = UINT64_MAX; /* the end is the store's to say */
    store_query_t q = {.channel = chat_channel_name(hc->ch),
                       .after = from,
                       .limit = gap < 256 ? (unsigned)gap : 256,
                       .forward = true};
    hc->filling = true;
    hc->fill_from = from;
    if (store_query(h->store, &q, on_fill, hc) < 0)
        hc->filling = false;
}

/* An event its author sent on another process is charged to the author's bucket here too
 * (auth_rate_charge): one rate per user, not one per process. Only once (an event seen
 * before, our own come back included, is not new) and only while recent: one older than a
 * bucket takes to refill no longer weighs on the rate anyway. */
static void charge(chat_hub_t *h, const hub_chan_t *hc, const store_msg_t *m)
{
    const chat_config_t *cfg = &h->cfg;
    if (m->seq <= chat_channel_committed(hc->ch) || !m->user_id || cfg->rate <= 0)
        return;
    for (size_t i = 0; i < hc->nearly; i++)
        if (hc->early[i].seq == m->seq)
            return; /* held until an earlier one comes: ours, or heard already */
    int64_t refill_ms = (int64_t)(cfg->burst / cfg->rate * 1000.0);
    if (m->ts < clock_wall_ms() - refill_ms)
        return;
    const char *kind = m->kind ? m->kind : "msg";
    unsigned cost = chat_cost_of(strcmp(kind, "unreact") == 0 ? "react" : kind);
    auth_rate_t r = {.rate = cfg->rate, .burst = cfg->burst};
    auth_rate_charge(h->auth, m->user_id, &r, cost ? cost : 1, clock_mono_ms());
}

void chat_hub_deliver(chat_hub_t *h, const store_msg_t *m)
{
    chat_channel_t *ch = m->channel ? chat_hub_channel(h, m->channel) : NULL;
    if (!ch)
        return;
    hub_chan_t *hc = h->chans[chat_channel_slot(ch)];
    charge(h, hc, m);
    chat_hub_in_take(h, hc, m);
}

void chat_hub_in_caught(hub_chan_t *hc, bool ok)
{
    caught_t *c = hc->caught;
    hc->caught = NULL;
    while (c) {
        caught_t *next = c->next;
        c->cb(c->ctx, ok);
        free(c);
        c = next;
    }
}

void chat_hub_catch_up_then(chat_hub_t *h, chat_channel_t *ch, chat_hub_caught_cb cb, void *ctx)
{
    hub_chan_t *hc = h->chans[chat_channel_slot(ch)];
    caught_t *c = xmalloc(sizeof(*c));
    *c = (caught_t){hc->caught, cb, ctx};
    hc->caught = c;
    hc->catching_up = true;
    /* A fill in flight may have started before what the caller saw was committed: the wait
     * ends only after a read that started after this call. */
    if (hc->filling)
        hc->catch_again = true;
    else
        chat_hub_in_fill(h, hc);
}

void chat_hub_catch_up(chat_hub_t *h, const char *name)
{
    chat_channel_t *ch = chat_hub_channel(h, name);
    if (!ch)
        return;
    hub_chan_t *hc = h->chans[chat_channel_slot(ch)];
    hc->catching_up = true;
    if (!hc->filling)
        chat_hub_in_fill(h, hc);
}

void chat_hub_in_take(chat_hub_t *h, hub_chan_t *hc, const store_msg_t *m)
{
    uint64_t next = chat_channel_committed(hc->ch) + 1;
    if (m->seq < next)
        return; /* a duplicate */
    if (m->seq == next) {
        commit_remote(h, hc, m);
        drain_early(h, hc);
        return;
    }
    early_insert(hc, m);
    if (!hc->filling)
        chat_hub_in_fill(h, hc);
}

/* ---- the position check ---- */

/* The check's read, and its owner: its own allocation, since the hub may go before the
 * store answers (chat_hub_in_stop); the answer then only frees it. */
struct hub_positions {
    chat_hub_t *h; /* NULL once the hub went */
};

static int by_name(const void *a, const void *b)
{
    const hub_chan_t *x = *(hub_chan_t *const *)a, *y = *(hub_chan_t *const *)b;
    return strcmp(chat_channel_name(x->ch), chat_channel_name(y->ch));
}

static int name_is(const void *name, const void *elem)
{
    return strcmp(name, chat_channel_name((*(hub_chan_t *const *)elem)->ch));
}

/* The store has committed hc's events up to seq: those past what is committed here exist,
 * and a fill brings them (the one in flight asks for the rest when it ends). */
static void behind(chat_hub_t *h, hub_chan_t *hc, uint64_t seq)
{
    if (seq <= chat_channel_committed(hc->ch))
        return;
    if (seq > hc->last_seq)
        hc->last_seq = seq;
    if (!hc->filling)
        chat_hub_in_fill(h, hc);
}

static bool has_members(const chat_channel_t *ch)
{
    chat_link_t *const *m;
    return chat_channel_members(ch, &m) > 0;
}

static void on_positions(void *ctx, int status, const store_msg_t *rows, size_t n, bool more)
{
    hub_positions_t *p = ctx;
    chat_hub_t *h = p->h;
    free(p);
    if (!h)
        return; /* the hub went */
    h->positions = NULL;
    if (status < 0)
        return; /* the next check asks again */
    /* The registry is by slot: the live channels by name, for one lookup per row. */
    hub_chan_t **by = xmalloc(h->nchans * sizeof(*by));
    size_t nby = 0;
    for (size_t i = 0; i < h->nchans; i++)
        if (!chat_channel_deleted(h->chans[i]->ch))
            by[nby++] = h->chans[i];
    qsort(by, nby, sizeof(*by), by_name);
    for (size_t i = 0; i < n; i++) {
        hub_chan_t **e = bsearch(rows[i].channel, by, nby, sizeof(*by), name_is);
        if (e)
            behind(h, *e, rows[i].seq);
    }
    /* Past STORE_POSITIONS_MAX (more than a hub holds): the channels named after the last row
     * were not read, and those someone here reads catch up one by one instead. */
    for (size_t i = 0; more && n && i < nby; i++) {
        hub_chan_t *hc = by[i];
        if (strcmp(chat_channel_name(hc->ch), rows[n - 1].channel) <= 0 || !has_members(hc->ch))
            continue;
        hc->catching_up = true;
        if (!hc->filling)
            chat_hub_in_fill(h, hc);
    }
    free(by);
}

void chat_hub_in_check(chat_hub_t *h)
{
    if (h->positions)
        return; /* the last one is still out */
    hub_positions_t *p = xmalloc(sizeof(*p));
    p->h = h;
    if (store_positions(h->store, p, on_positions, p) < 0) {
        free(p);
        return;
    }
    h->positions = p;
}

void chat_hub_in_stop(chat_hub_t *h)
{
    if (!h->positions)
        return;
    h->positions->h = NULL;
    store_cancel(h->store, h->positions);
    h->positions = NULL;
}
