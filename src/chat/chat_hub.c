/* chat_hub - registry, presence, ordering, writes and the way in and out; see chat_hub.h.
 *
 * Structures: `chans` is the registry, a vector indexed by each channel's slot (0 is
 * #general), each entry with the channel's ordering state: the highest seq assigned and
 * the FIFO of events between publish and commit. Who is online is a chat_presence table.
 *
 * Invariants: a channel's pending FIFO is in seq order, and events leave it only from its
 * head, once stored: commits (and fan-out) happen in seq order even when the store
 * completes out of order. `committed` only grows. A frame is built at most once per event
 * and wire format. Every write in flight is counted in `inflight`, so a failed store is
 * probed only after it answered everything it was given before the failure. */
#include "chat/chat_hub.h"
#include "chat/chat_hub_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/stats.h"
#include "base/log.h"
#include "auth/auth_rate.h"
#include "base/xmalloc.h"
#include "chat/chat_files.h"
#include "chat/chat_keys.h"
#include "json/json_env.h"

/* Undoes the accepted effects of failed writes, newest first, so each reaction ends as it
 * was before the first failed toggle. */
static void undo_reverts(hub_chan_t *hc, bool apply)
{
    for (revert_t *r = hc->reverts, *next; r; r = next) {
        next = r->next;
        if (apply && r->emoji)
            chat_channel_reaction_set(hc->ch, r->target, r->emoji, r->user, r->was_on);
        else if (apply)
            chat_channel_recent_undelete(hc->ch, r->target);
        free(r->emoji);
        free(r);
    }
    hc->reverts = NULL;
}

static void pend_free(pend_t *m)
{
    for (dup_t *d = m->dups, *next; d; d = next) {
        next = d->next;
        free(d->id);
        free(d);
    }
    free(m->user);
    free(m->text);
    free(m->id);
    free(m->cid);
    free(m->files);
    free(m->app);
    free(m);
}

/* A user came online on another process, or left the last one: #general hears it unless
 * the user is online here too (then it heard of the user's arrival here already). */
static void on_elsewhere(void *ctx, const char *name, bool on)
{
    chat_hub_t *h = ctx;
    if (!chat_presence_find(h->roster, name))
        chat_hub_announce(h, h->chans[0]->ch, name, on, NULL);
}

static bool is_here(void *ctx, const char *name)
{
    return chat_presence_find(((chat_hub_t *)ctx)->roster, name) != NULL;
}

static const chat_elsewhere_cbs_t elsewhere_cbs = {on_elsewhere, is_here};

chat_hub_t *chat_hub_new(store_t *store, auth_t *auth, const chat_config_t *cfg,
                         const chat_transport_t *t)
{
    chat_hub_t *h = xcalloc(1, sizeof(*h));
    h->store = store;
    h->auth = auth;
    h->cfg = *cfg;
    h->t = t;
    h->keys = chat_keys_new(CHAT_KEYS_MAX);
    h->roster = chat_presence_table_new();
    h->elsewhere = chat_elsewhere_new(&elsewhere_cbs, h);
    h->quota = chat_quota_new(cfg->max_channels ? cfg->max_channels : CHAT_CHANNELS_MAX);
    chat_hub_channel_add(h, "general", CHAT_KIND_PUBLIC, "", "", 0, 0);
    return h;
}

void chat_hub_free(chat_hub_t *h)
{
    if (!h)
        return;
    chat_hub_in_stop(h);
    for (size_t i = 0; i < h->nchans; i++) {
        hub_chan_t *hc = h->chans[i];
        for (pend_t *m = hc->head, *next; m; m = next) {
            next = m->next;
            pend_free(m);
        }
        chat_hub_in_free(hc);
        chat_hub_in_caught(hc, false);
        undo_reverts(hc, false);
        chat_channel_free(hc->ch);
        free(hc);
    }
    free(h->chans);
    chat_keys_free(h->keys);
    free(h->mentioned);
    chat_elsewhere_free(h->elsewhere);
    chat_presence_table_free(h->roster);
    chat_quota_free(h->quota);
    auth_rates_free(h->app_rates);
    free(h);
}

void chat_hub_metrics(const chat_hub_t *h, chat_metrics_t *out)
{
    *out = h->stats;
    out->online = chat_presence_online(h->roster);
    out->general_seq = chat_channel_committed(h->chans[0]->ch);
    out->available = !h->failed;
    if (h->outbox && h->outbox->metrics)
        h->outbox->metrics(h->outbox_ctx, out);
}

struct auth_rates *chat_hub_app_rates(chat_hub_t *h)
{
    if (!h->app_rates)
        h->app_rates = auth_rates_new(CHAT_APP_RATES_MAX);
    return h->app_rates;
}

const chat_config_t *chat_hub_config(const chat_hub_t *h)
{
    return &h->cfg;
}

const chat_transport_t *chat_hub_transport(const chat_hub_t *h)
{
    return h->t;
}

store_t *chat_hub_store(const chat_hub_t *h)
{
    return h->store;
}

auth_t *chat_hub_auth(const chat_hub_t *h)
{
    return h->auth;
}

bool chat_hub_is_guest(const chat_hub_t *h, const char *name)
{
    const auth_user_t *u = auth_user_named(h->auth, name, strlen(name));
    return !u || u->role == AUTH_GUEST;
}

bool chat_hub_available(const chat_hub_t *h)
{
    return !h->failed;
}

void chat_hub_count_session(chat_hub_t *h)
{
    h->stats.sessions++;
}

/* ---- channels ---- */

chat_channel_t *chat_hub_general(const chat_hub_t *h)
{
    return h->chans[0]->ch;
}

chat_channel_t *chat_hub_channel(const chat_hub_t *h, const char *name)
{
    for (size_t i = 0; i < h->nchans; i++) {
        chat_channel_t *ch = h->chans[i]->ch;
        if (!chat_channel_deleted(ch) && strcmp(name, chat_channel_name(ch)) == 0)
            return ch;
    }
    return NULL;
}

size_t chat_hub_nchannels(const chat_hub_t *h)
{
    return h->nchans;
}

chat_channel_t *chat_hub_channel_at(const chat_hub_t *h, size_t i)
{
    return h->chans[i]->ch;
}

/* Users are never freed from auth's registry, kept by id, and a new one nearly always has
 * the highest id, so the ones added since the last count are counted alone (when one came
 * in below, from another process, the last one counted has moved: all are counted again); a full
 * count, for changes of state and lapsed guests, runs at most once a second: a count on every join
 * would be O(users) each, O(users^2) for everyone reconnecting after a restart. */
size_t chat_hub_member_count(chat_hub_t *h, const chat_channel_t *ch)
{
    if (!chat_channel_is_general(ch))
        return chat_channel_nusers(ch);
    int64_t now = clock_mono_ms();
    size_t n = auth_nusers(h->auth);
    const auth_user_t *last =
        h->general_scanned ? auth_user_at(h->auth, h->general_scanned - 1) : NULL;
    bool shifted = h->general_scanned && (!last || last->id != h->general_last_id);
    if (h->general_at == 0 || now - h->general_at >= 1000 || n < h->general_scanned || shifted) {
        h->general_count = h->general_scanned = 0;
        h->general_at = now;
    }
    for (size_t i = h->general_scanned; i < n; i++) {
        const auth_user_t *u = auth_user_at(h->auth, i);
        h->general_count += u && u->canon && u->state == AUTH_ACTIVE;
    }
    h->general_scanned = n;
    last = n ? auth_user_at(h->auth, n - 1) : NULL;
    h->general_last_id = last ? last->id : 0;
    return h->general_count;
}

static hub_chan_t *hc_of(const chat_hub_t *h, const chat_channel_t *ch)
{
    return h->chans[chat_channel_slot(ch)];
}

chat_channel_t *chat_hub_channel_add(chat_hub_t *h, const char *name, chat_kind_t kind,
                                     const char *topic, const char *created_by, uint64_t creator_id,
                                     int64_t ts)
{
    hub_chan_t *hc = xcalloc(1, sizeof(*hc));
    hc->h = h;
    hc->ch = chat_channel_new(name, kind, topic, created_by, creator_id, ts, h->nchans == 0);
    if (h->nchans == h->chans_cap) {
        h->chans_cap = h->chans_cap ? h->chans_cap * 2 : 16;
        h->chans = xrealloc(h->chans, h->chans_cap * sizeof(*h->chans));
    }
    chat_channel_set_slot(hc->ch, h->nchans);
    h->chans[h->nchans++] = hc;
    /* A channel created now has no messages; one read from the database may. */
    if (h->loading && chat_hub_channel_load(h, hc) < 0)
        h->load_failed = true;
    return hc->ch;
}

chat_quota_t *chat_hub_quota(const chat_hub_t *h)
{
    return h->quota;
}

/* A scan: at most the cap's few thousand channels, for a request the rate limit already
 * makes rare (a creation); counting from the channels themselves keeps it right across
 * restarts, failed creations and deletions without a counter to keep in step. */
void chat_hub_census(const chat_hub_t *h, bool dm, uint64_t user, chat_census_t *out)
{
    *out = (chat_census_t){0};
    for (size_t i = 0; i < h->nchans; i++) {
        const chat_channel_t *ch = h->chans[i]->ch;
        if (chat_channel_unstored(ch))
            continue;
        out->all++;
        if ((chat_channel_kind(ch) == CHAT_KIND_DM) != dm)
            continue;
        out->kind++;
        out->mine += user && chat_channel_creator(ch) == user;
    }
}

/* ---- mentions ---- */

/* Records a mention of user in ch at seq. */
void chat_hub_note_mention(chat_hub_t *h, chat_channel_t *ch, uint64_t user, uint64_t seq)
{
    if (user == STORE_MENTION_ALL) {
        chat_channel_note_everyone(ch, seq);
        return;
    }
    size_t lo = 0, hi = h->nmentioned;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->mentioned[mid] == user)
            return;
        if (h->mentioned[mid] < user)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (h->nmentioned == h->mentioned_cap) {
        h->mentioned_cap = h->mentioned_cap ? h->mentioned_cap * 2 : 16;
        h->mentioned = xrealloc(h->mentioned, h->mentioned_cap * sizeof(*h->mentioned));
    }
    memmove(h->mentioned + lo + 1, h->mentioned + lo, (h->nmentioned - lo) * sizeof(*h->mentioned));
    h->mentioned[lo] = user;
    h->nmentioned++;
}

bool chat_hub_may_have_mentions(const chat_hub_t *h, uint64_t user)
{
    size_t lo = 0, hi = h->nmentioned;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->mentioned[mid] == user)
            return true;
        if (h->mentioned[mid] < user)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = 0; i < h->nchans; i++) {
        const chat_channel_t *c = h->chans[i]->ch;
        if (chat_channel_everyone_seq(c) > chat_channel_read_get(c, user) &&
            chat_channel_has_user(c, user))
            return true;
    }
    return false;
}

/* ---- presence ---- */

chat_presence_table_t *chat_hub_presence(const chat_hub_t *h)
{
    return h->roster;
}

chat_elsewhere_t *chat_hub_elsewhere(const chat_hub_t *h)
{
    return h->elsewhere;
}

/* ---- the way out ---- */

/* A committed event to the channel's members, each link spliced (chat_link_take). Text
 * frames are built lazily, once, only when a member speaks that format. */
/* JSON recipients of a broadcast handed to the transport at once (send_many), and how many
 * links ahead of its turn each link is fetched. */
#define FANOUT_BATCH 256
#define FANOUT_AHEAD 8

static void emit_committed(chat_hub_t *h, chat_channel_t *ch, const chat_emit_t *e)
{
    blob_t *frame[CHAT_FMT_COUNT] = {e->json};
    bool text_ok = !e->msg->kind || strcmp(e->msg->kind, "msg") == 0, sent = false;
    void *batch[FANOUT_BATCH];
    size_t nbatch = 0;
    chat_link_t *const *m;
    size_t n = chat_channel_members(ch, &m);
    for (size_t i = 0; i < n; i++) {
        /* Each link fetched some links ahead of its turn (see chat_channel.c). */
        if (i + FANOUT_AHEAD < n)
            __builtin_prefetch(m[i + FANOUT_AHEAD], 1);
        chat_link_t *l = m[i];
        if (l->fmt >= CHAT_FMT_COUNT || ((l->fmt != CHAT_FMT_JSON || l->plain) && !text_ok))
            continue; /* the text modes and plain JSON clients show messages only */
        if ((l->fmt == CHAT_FMT_JSON && !e->json) || !chat_link_take(l, e->seq))
            continue;
        h->stats.delivered++;
        sent = true;
        if (l->fmt == CHAT_FMT_JSON && h->t->send_many) {
            batch[nbatch++] = l->conn;
            if (nbatch == FANOUT_BATCH) {
                h->t->send_many(batch, nbatch, e->json);
                nbatch = 0;
            }
            continue;
        }
        if (!frame[l->fmt])
            frame[l->fmt] = chat_text_frame((chat_fmt_t)l->fmt, e->msg);
        h->t->send(l->conn, frame[l->fmt]);
    }
    if (nbatch)
        h->t->send_many(batch, nbatch, e->json);
    /* Once per message, from the time it was accepted (its ts: this process's clock, or
     * another process's with --bus) to now, its frames handed to every connection. */
    int64_t age_ms = clock_wall_ms() - e->msg->ts;
    if (sent && text_ok)
        stats_observe(STATS_DELIVERY, age_ms > 0 ? (uint64_t)age_ms * 1000 : 0);
    for (int i = 1; i < CHAT_FMT_COUNT; i++)
        blob_unref(frame[i]);
}

void chat_hub_emit(chat_hub_t *h, chat_channel_t *ch, const chat_emit_t *e)
{
    if (e->user) {
        chat_presence_t *p = chat_presence_find(h->roster, e->user);
        chat_link_t *const *links = NULL;
        size_t n = p ? chat_presence_links(p, &links) : 0;
        for (size_t i = 0; e->json && i < n; i++)
            if (links[i]->conn != e->except)
                h->t->send(links[i]->conn, e->json);
        return;
    }
    if (e->seq) {
        emit_committed(h, ch, e);
        return;
    }
    chat_link_t *const *m;
    size_t n = chat_channel_members(ch, &m);
    for (size_t i = 0; i < n; i++) {
        const chat_link_t *l = m[i];
        if (l->conn == e->except)
            continue;
        if (l->fmt == CHAT_FMT_JSON && e->json && !(e->events_only && l->plain))
            h->t->send(l->conn, e->json);
        else if (l->fmt == CHAT_FMT_CLIENTID && e->text)
            h->t->send(l->conn, e->text);
    }
}

void chat_hub_announce(chat_hub_t *h, chat_channel_t *ch, const char *user, bool entered,
                       const void *except)
{
    /* Each arrival told to every member is O(members) frames, O(members^2) for a crowd
     * arriving: past the limit a channel is a lobby, and presence is what welcome says. */
    unsigned members =
        chat_channel_nfmt(ch, CHAT_FMT_JSON) + chat_channel_nfmt(ch, CHAT_FMT_CLIENTID);
    if (members > h->cfg.presence_limit)
        return;
    chat_emit_t e = {.except = except};
    if (chat_channel_nfmt(ch, CHAT_FMT_JSON))
        e.json = chat_user_event_frame(entered ? "join" : "leave", user, chat_channel_name(ch),
                                       clock_wall_ms(), chat_hub_is_guest(h, user));
    if (chat_channel_nfmt(ch, CHAT_FMT_CLIENTID)) {
        buf_t b = BUF_INIT;
        buf_appendf(&b, "%s has %s the chat", user, entered ? "entered" : "left");
        e.text = chat_frame_buf(&b);
        buf_deinit(&b);
    }
    chat_hub_emit(h, ch, &e);
    blob_unref(e.json);
    blob_unref(e.text);
}

/* ---- commits, in seq order ---- */

/* m as the store and the payload builders see it (borrowing its strings). */
static store_msg_t pend_view(const hub_chan_t *hc, const pend_t *m)
{
    return (store_msg_t){.channel = chat_channel_name(hc->ch),
                         .seq = m->seq,
                         .user = m->user,
                         .user_id = m->user_id,
                         .text = m->text,
                         .ts = m->ts,
                         .kind = m->kind,
                         .thread = m->thread,
                         .target = m->target,
                         .cid = m->cid,
                         .guest = m->guest,
                         .files = m->files,
                         .app = m->app};
}

void chat_hub_send(const chat_hub_t *h, void *conn, blob_t *frame)
{
    chat_sink_t *k = chat_conn_sink(conn);
    if (k)
        k->frame(k, frame);
    else
        h->t->send(conn, frame);
}

static void send_ack(chat_hub_t *h, void *conn, const char *id, const chat_channel_t *ch,
                     uint64_t seq, int64_t ts, const char *cid, bool dup)
{
    blob_t *f = chat_ack_frame(id, chat_channel_name(ch), seq, ts, cid, dup);
    chat_hub_send(h, conn, f);
    blob_unref(f);
}

static void send_unavailable(chat_hub_t *h, void *conn, const char *id)
{
    blob_t *f = chat_error_frame("unavailable", CHAT_UNAVAILABLE_TEXT, id);
    chat_hub_send(h, conn, f);
    blob_unref(f);
}

/* Commits one event that is next in seq order: the ring, then every member. */
void chat_hub_commit_event(chat_hub_t *h, hub_chan_t *hc, const store_msg_t *m)
{
    if (h->cfg.files)
        chat_files_commit(h->cfg.files, m);
    blob_t *json = chat_event_frame(chat_channel_name(hc->ch), m);
    chat_channel_commit(hc->ch, m, json);
    if (m->seq > hc->last_seq)
        hc->last_seq = m->seq;
    chat_emit_t e = {.seq = m->seq, .msg = m, .json = json};
    chat_hub_emit(h, hc->ch, &e);
    blob_unref(json);
}

static void store_failed(chat_hub_t *h)
{
    if (!h->failed)
        log_error("store: a commit failed; refusing writes until the store works again");
    h->failed = true;
}

/* Keeps what undoes a failed write's accepted effect in memory. */
static void note_revert(hub_chan_t *hc, const pend_t *m)
{
    bool react = strcmp(m->kind, "react") == 0, unreact = strcmp(m->kind, "unreact") == 0;
    if (!react && !unreact && strcmp(m->kind, "delete") != 0)
        return;
    revert_t *r = xcalloc(1, sizeof(*r));
    r->target = m->target;
    if (react || unreact) {
        r->emoji = xstrdup(m->text);
        r->user = m->user_id;
        r->was_on = unreact;
    }
    r->next = hc->reverts;
    hc->reverts = r;
}

/* Takes every stored event off the head of hc's FIFO, in seq order. A failed one is
 * answered `unavailable`; the store fails everything queued behind it too, so once the
 * FIFO is empty the seqs it held are free again. */
static void drain_pending(chat_hub_t *h, hub_chan_t *hc)
{
    while (hc->head && hc->head->done) {
        pend_t *m = hc->head;
        hc->head = m->next;
        if (!hc->head)
            hc->tail = NULL;
        chat_key_t *k = m->cid ? chat_keys_find(h->keys, m->user_id, m->cid) : NULL;
        if (m->status == 0) {
            if (k && k->pending == m) {
                k->pending = NULL;
                k->seq = m->seq; /* shared: known only now */
            }
            if (m->ack_conn)
                send_ack(h, m->ack_conn, m->id, hc->ch, m->seq, m->ts, m->cid, m->duplicate);
            if (m->done_cb)
                m->done_cb(m->done_ctx, 0, m->seq);
            for (dup_t *d = m->dups; d; d = d->next)
                if (d->conn)
                    send_ack(h, d->conn, d->id, hc->ch, m->seq, m->ts, m->cid, true);
            store_msg_t sm = pend_view(hc, m);
            if (!h->cfg.shared) {
                chat_hub_commit_event(h, hc, &sm);
            } else if (!m->duplicate) {
                if (h->outbox && h->outbox->event)
                    h->outbox->event(h->outbox_ctx, &sm);
                chat_hub_in_take(h, hc, &sm);
            }
        } else {
            h->stats.rejected++;
            note_revert(hc, m);
            if (k && k->pending == m)
                chat_keys_drop(h->keys, m->user_id, m->cid);
            if (m->ack_conn)
                send_unavailable(h, m->ack_conn, m->id);
            if (m->done_cb)
                m->done_cb(m->done_ctx, m->status, 0);
            for (dup_t *d = m->dups; d; d = d->next)
                if (d->conn)
                    send_unavailable(h, d->conn, d->id);
        }
        pend_free(m);
    }
    if (!hc->head) {
        undo_reverts(hc, true);
        /* The seqs failed writes held are free again. Shared: the store gives seqs, and
         * last_seq is what is known to exist, which a fill may still be bringing. */
        if (!hc->nearly && !h->cfg.shared)
            hc->last_seq = chat_channel_committed(hc->ch);
    }
}

/* The hub gives every append its own seq (and dedupes in memory), so the store answers
 * that seq and never a duplicate; shared, the store gives the seq (m->seq is 0 until now). */
static void on_stored(void *ctx, int status, uint64_t seq, bool duplicate)
{
    pend_t *m = ctx;
    assert(status < 0 || m->seq == 0 || (seq == m->seq && !duplicate));
    if (status == 0) {
        m->seq = seq;
        m->duplicate = duplicate;
    }
    hub_chan_t *hc = m->hc;
    chat_hub_t *h = hc->h;
    h->inflight--;
    m->done = true;
    m->status = status;
    if (status < 0)
        store_failed(h);
    drain_pending(h, hc);
}

static bool is_everyone(const char *name, size_t len)
{
    return (len == 7 && memcmp(name, "channel", 7) == 0) ||
           (len == 4 && memcmp(name, "here", 4) == 0);
}

/* A name nobody holds mentions nobody; the ids are those of now, as the store keeps them. */
size_t chat_hub_mention_ids(chat_hub_t *h, const char *text, uint64_t out[CHAT_MENTIONS_MAX])
{
    chat_mention_t ms[CHAT_MENTIONS_MAX];
    size_t nm = chat_mentions(text, ms), n = 0;
    for (size_t i = 0; i < nm; i++) {
        uint64_t id = STORE_MENTION_ALL;
        if (!is_everyone(ms[i].name, ms[i].len)) {
            const auth_user_t *u = auth_user_named(h->auth, ms[i].name, ms[i].len);
            if (!u)
                continue;
            id = u->id;
        }
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = out[j] == id;
        if (!seen)
            out[n++] = id;
    }
    return n;
}

size_t chat_hub_note_mentions(chat_hub_t *h, chat_channel_t *ch, const char *text, uint64_t seq,
                              uint64_t out[CHAT_MENTIONS_MAX])
{
    size_t n = chat_hub_mention_ids(h, text, out);
    for (size_t i = 0; i < n; i++)
        chat_hub_note_mention(h, ch, out[i], seq);
    return n;
}

void chat_hub_set_outbox(chat_hub_t *h, const chat_hub_outbox_t *o, void *ctx)
{
    h->outbox = o;
    h->outbox_ctx = ctx;
}

const chat_hub_outbox_t *chat_hub_outbox(const chat_hub_t *h, void **ctx)
{
    *ctx = h->outbox_ctx;
    return h->outbox;
}

bool chat_hub_replay(chat_hub_t *h, uint64_t user, const char *cid, void *conn, const char *id)
{
    chat_key_t *k = cid && cid[0] ? chat_keys_find(h->keys, user, cid) : NULL;
    if (!k)
        return false;
    pend_t *m = k->pending;
    if (m) {
        /* The original is on its way to the store: this retry is answered with it, after
         * the retries before it. */
        size_t waiting = 0;
        dup_t **pp = &m->dups;
        for (; *pp; pp = &(*pp)->next)
            waiting++;
        if (waiting == CHAT_DUPS_MAX) {
            blob_t *f = chat_error_frame("rate_limited", "too many retries of one write", id);
            if (conn)
                chat_hub_send(h, conn, f);
            blob_unref(f);
            return true;
        }
        dup_t *d = xcalloc(1, sizeof(*d));
        d->conn = conn;
        d->id = id && id[0] ? xstrdup(id) : NULL;
        *pp = d;
    } else if (conn) {
        send_ack(h, conn, id, h->chans[k->slot]->ch, k->seq, k->ts, cid, true);
    }
    return true;
}

int chat_hub_publish(chat_hub_t *h, chat_channel_t *ch, const chat_pub_t *p)
{
    if (chat_hub_replay(h, p->user_id, p->cid, p->ack_conn, p->id))
        return 1;
    if (chat_channel_deleted(ch)) /* its delete is written: nothing may follow it */
        return -1;
    if (h->failed) {
        h->stats.rejected++;
        return -1;
    }
    hub_chan_t *hc = hc_of(h, ch);
    pend_t *m = xcalloc(1, sizeof(*m));
    m->hc = hc;
    m->ack_conn = p->ack_conn;
    m->seq = h->cfg.shared ? 0 : hc->last_seq + 1; /* shared: the store's, at commit */
    m->ts = clock_wall_ms();
    m->user = xstrdup(p->user);
    m->user_id = p->user_id;
    m->text = xstrndup(p->text, p->len);
    m->kind = chat_ev_name(p->kind);
    m->thread = p->thread;
    m->target = p->target;
    m->id = p->id && p->id[0] ? xstrdup(p->id) : NULL;
    m->cid = p->cid && p->cid[0] ? xstrdup(p->cid) : NULL;
    m->guest = p->guest;
    m->files = p->files && p->files[0] ? xstrdup(p->files) : NULL;
    m->app = p->app && p->app[0] ? xstrdup(p->app) : NULL;
    m->done_cb = p->done;
    m->done_ctx = p->done_ctx;
    store_msg_t sm = pend_view(hc, m);
    uint64_t mentioned[CHAT_MENTIONS_MAX];
    if (p->kind == CHAT_EV_MSG && strchr(m->text, '@')) {
        /* Shared: noted at commit, with the seq, as any event from elsewhere is. */
        sm.nmentions = h->cfg.shared ? chat_hub_mention_ids(h, m->text, mentioned)
                                     : chat_hub_note_mentions(h, ch, m->text, m->seq, mentioned);
        sm.mentions = sm.nmentions ? mentioned : NULL;
    }
    int rc = store_append(h->store, &sm, on_stored, m);
    if (rc < 0) {
        /* Only while shutting down; the seq was not taken. */
        pend_free(m);
        h->stats.rejected++;
        return -1;
    }
    if (m->cid) {
        chat_key_t *k = chat_keys_put(h->keys, m->user_id, m->cid);
        *k = (chat_key_t){.slot = chat_channel_slot(ch), .seq = m->seq, .ts = m->ts, .pending = m};
    }
    /* Accepted: a delete refuses later edits and deletes of its target at once. */
    if (p->kind == CHAT_EV_DELETE)
        chat_channel_recent_delete(ch, p->target);
    if (!h->cfg.shared)
        hc->last_seq = m->seq;
    if (hc->tail)
        hc->tail->next = m;
    else
        hc->head = m;
    hc->tail = m;
    h->inflight++;
    h->stats.published++;
    return 0;
}

void chat_hub_forget_conn(chat_hub_t *h, const void *conn)
{
    for (size_t i = 0; i < h->nchans; i++) {
        for (pend_t *m = h->chans[i]->head; m; m = m->next) {
            if (m->ack_conn == conn)
                m->ack_conn = NULL;
            for (dup_t *d = m->dups; d; d = d->next)
                if (d->conn == conn)
                    d->conn = NULL;
        }
    }
}

/* ---- changes ---- */

typedef struct {
    chat_hub_t *h;
    chat_hub_done_cb cb;
    void *ctx;
    store_change_t *copy; /* shared: what the other processes are told once it commits */
} change_t;

static bool is_channel_change(store_change_kind_t k)
{
    return k == STORE_CHANNEL_PUT || k == STORE_CHANNEL_CREATE || k == STORE_CHANNEL_DELETE ||
           k == STORE_MEMBER_ADD || k == STORE_MEMBER_REMOVE || k == STORE_READ ||
           k == STORE_NOTIFY_SET;
}

static store_change_t *change_copy(const store_change_t *sc)
{
    store_change_t *c = xmalloc(sizeof(*c));
    *c = (store_change_t){.kind = sc->kind, .ts = sc->ts, .seq = sc->seq, .user_id = sc->user_id};
    c->ch = sc->ch;
    c->ch.name = xstrdup(sc->ch.name);
    c->ch.kind = sc->ch.kind ? xstrdup(sc->ch.kind) : NULL;
    c->ch.topic = sc->ch.topic ? xstrdup(sc->ch.topic) : NULL;
    c->ch.created_by = sc->ch.created_by ? xstrdup(sc->ch.created_by) : NULL;
    c->notify = sc->notify ? xstrdup(sc->notify) : NULL;
    return c;
}

static void change_free(store_change_t *c)
{
    if (!c)
        return;
    free((char *)c->ch.name);
    free((char *)c->ch.kind);
    free((char *)c->ch.topic);
    free((char *)c->ch.created_by);
    free((char *)c->notify);
    free(c);
}

static void on_changed(void *ctx, int status)
{
    change_t *c = ctx;
    chat_hub_t *h = c->h;
    h->inflight--;
    h->changing--;
    if (status == STORE_EFAILED)
        store_failed(h); /* a conflict is an answer (another process took the name first) */
    if (status == 0 && c->copy && h->outbox && h->outbox->change)
        h->outbox->change(h->outbox_ctx, c->copy);
    if (c->cb)
        c->cb(c->ctx, status);
    change_free(c->copy);
    free(c);
}

int chat_hub_change(chat_hub_t *h, const store_change_t *sc, chat_hub_done_cb cb, void *ctx)
{
    if (h->failed)
        return -1;
    change_t *c = xmalloc(sizeof(*c));
    *c = (change_t){h, cb, ctx, NULL};
    if (h->outbox && h->outbox->change && is_channel_change(sc->kind))
        c->copy = change_copy(sc);
    if (store_change(h->store, sc, on_changed, c) < 0) {
        change_free(c->copy);
        free(c);
        return -1;
    }
    h->inflight++;
    h->changing++;
    return 0;
}

size_t chat_hub_changes_pending(const chat_hub_t *h)
{
    return h->changing;
}

void chat_hub_group(chat_hub_t *h, bool begin)
{
    if (begin)
        store_group_begin(h->store);
    else
        store_group_end(h->store);
}

/* ---- a failed store ---- */

static void on_probe(void *ctx, int status)
{
    chat_hub_t *h = ctx;
    h->probing = false;
    if (status < 0 || !h->failed)
        return;
    store_recover(h->store);
    h->failed = false;
    log_info("store: writing works again; accepting messages");
}

void chat_hub_tick(chat_hub_t *h)
{
    /* Shared: a hint lost with nothing after it to show the gap is found by comparing every
     * channel's position in the store with what is committed here, in one read. */
    if (h->cfg.shared && ++h->ticks % CHAT_POSITION_CHECK_TICKS == 0)
        chat_hub_in_check(h);
    for (size_t i = 0; i < h->nchans; i++) {
        hub_chan_t *hc = h->chans[i];
        if ((chat_hub_in_missing(hc) || hc->catching_up) && !hc->filling)
            chat_hub_in_fill(h, hc); /* a gap the store could not fill yet */
    }
    /* Only once the store answered every write it had: they all fail, and each seq they
     * held is free again before new writes may take it. */
    if (!h->failed || h->probing || h->inflight)
        return;
    h->probing = true;
    if (store_probe(h->store, on_probe, h) < 0)
        h->probing = false;
}
