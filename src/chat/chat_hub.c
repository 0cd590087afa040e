/* chat_hub - channels, presence, and the publish -> store -> ack -> fan-out path.
 *
 * Structures: #general plus a list of the other channels, each with its stored members
 * (a sorted array of names), a member list of connected sessions' links and a FIFO of
 * messages waiting for their commit; a presence table (256 chained buckets keyed by user
 * name) counting each user's connections and listing their JSON sessions.
 *
 * Invariants: a channel's pending FIFO is in seq order and the store completes appends in
 * submission order, so each completion belongs to the FIFO's head; committed only grows;
 * a frame is built at most once per message and wire format. */
#include "chat/chat_hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "chat/chat_channel.h"
#include "chat/chat_session.h"
#include "json/json_env.h"
#include "ws/ws_frame.h"

chat_hub_t *chat_hub_new(store_t *store, const chat_config_t *cfg, const chat_transport_t *t)
{
    chat_hub_t *h = xcalloc(1, sizeof(*h));
    h->store = store;
    h->cfg = *cfg;
    h->t = t;
    snprintf(h->general.name, sizeof(h->general.name), "general");
    h->general.hub = h;
    h->general.topic = xstrdup("");
    h->general.created_by = xstrdup("");
    return h;
}

static blob_t *build_frame(chat_fmt_t fmt, const chat_channel_t *ch, const store_msg_t *m);

static chat_recent_t *recent_at(chat_channel_t *ch, unsigned i)
{
    return &ch->recent[(ch->recent_head + i) % CHAT_RECENT];
}

static void recent_push(chat_channel_t *ch, const store_msg_t *m, blob_t *frame)
{
    if (ch->recent_len == CHAT_RECENT) {
        blob_unref(recent_at(ch, 0)->frame);
        free(recent_at(ch, 0)->user);
        ch->recent_head = (ch->recent_head + 1) % CHAT_RECENT;
        ch->recent_len--;
    }
    chat_recent_t *r = recent_at(ch, ch->recent_len++);
    r->seq = m->seq;
    r->frame = blob_ref(frame);
    r->user = xstrdup(m->user);
    r->thread = m->thread;
    r->ts = m->ts;
    int k = chat_ev_parse(m->kind ? m->kind : "msg");
    r->kind = (uint8_t)(k < 0 ? CHAT_EV_MSG : k);
    r->deleted = false;
    if (k == CHAT_EV_DELETE) {
        chat_recent_t *t = (chat_recent_t *)chat_hub_recent(ch, m->target);
        if (t)
            t->deleted = true;
    }
    blob_unref(ch->join_history);
    ch->join_history = NULL;
}

/* The start-up answer: the newest messages, before any commit of this run (the store
 * answers in order, and this query went first). */
static void on_primed(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    chat_channel_t *ch = ctx;
    (void)more;
    if (status < 0 || ch->recent_len)
        return; /* the store path keeps serving; nothing is lost but speed */
    for (size_t i = 0; i < n; i++) {
        blob_t *f = build_frame(CHAT_FMT_JSON, ch, &msgs[i]);
        recent_push(ch, &msgs[i], f);
        blob_unref(f);
    }
    ch->recent_primed = n == 0 || msgs[n - 1].seq == ch->committed;
}

/* Reads ch's last seq and asks for its newest messages for the ring. */
static int channel_load(chat_hub_t *h, chat_channel_t *ch)
{
    uint64_t seq = 0;
    if (store_last_seq(h->store, ch->name, &seq) < 0)
        return -1;
    ch->last_seq = ch->committed = seq;
    if (seq == 0) {
        ch->recent_primed = true;
        return 0;
    }
    store_query_t q = {.channel = ch->name, .limit = CHAT_RECENT};
    return store_query(h->store, &q, on_primed, ch);
}

static void on_load_channel(void *ctx, const store_channel_t *c)
{
    chat_hub_t *h = ctx;
    chat_channel_t *ch = chat_hub_channel(h, c->name);
    if (ch == &h->general)
        chat_channel_set_topic(ch, c->topic); /* its only stored property */
    else if (!ch && chat_channel_name_valid(c->name, strlen(c->name))) {
        bool dm = strcmp(c->kind, "dm") == 0;
        ch = chat_hub_channel_add(h, c->name, dm || strcmp(c->kind, "private") == 0, c->topic,
                                  c->created_by, c->ts);
        ch->dm = dm;
    }
}

static void on_load_member(void *ctx, const char *channel, const char *user)
{
    chat_channel_t *ch = chat_hub_channel(ctx, channel);
    if (ch)
        chat_channel_user_add(ch, user);
}

static void on_load_reaction(void *ctx, const char *channel, uint64_t target, const char *user,
                             const char *emoji, bool on)
{
    chat_channel_t *ch = chat_hub_channel(ctx, channel);
    if (ch)
        chat_hub_reaction_set(ch, target, emoji, user, on);
}

static bool is_everyone(const char *name, size_t len)
{
    return (len == 7 && memcmp(name, "channel", 7) == 0) ||
           (len == 4 && memcmp(name, "here", 4) == 0);
}

/* Compares a NUL-terminated a with the len bytes of b, as strcmp would. */
static int cmp_n(const char *a, const char *b, size_t len)
{
    int c = strncmp(a, b, len);
    return c ? c : (unsigned char)a[len];
}

/* Records a mention of name (len bytes) in ch at seq. */
static void note_mention(chat_hub_t *h, chat_channel_t *ch, const char *name, size_t len,
                         uint64_t seq)
{
    if (is_everyone(name, len)) {
        if (seq > ch->everyone_seq)
            ch->everyone_seq = seq;
        return;
    }
    size_t lo = 0, hi = h->nmentioned;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_n(h->mentioned[mid], name, len);
        if (c == 0)
            return;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (h->nmentioned == h->mentioned_cap) {
        h->mentioned_cap = h->mentioned_cap ? h->mentioned_cap * 2 : 16;
        h->mentioned = xrealloc(h->mentioned, h->mentioned_cap * sizeof(*h->mentioned));
    }
    memmove(h->mentioned + lo + 1, h->mentioned + lo, (h->nmentioned - lo) * sizeof(char *));
    h->mentioned[lo] = xstrndup(name, len);
    h->nmentioned++;
}

static void on_load_mentioned(void *ctx, const char *channel, const char *user, uint64_t seq)
{
    chat_hub_t *h = ctx;
    chat_channel_t *ch = chat_hub_channel(h, channel);
    if (ch)
        note_mention(h, ch, user, strlen(user), seq);
}

bool chat_hub_may_have_mentions(chat_hub_t *h, const char *user)
{
    size_t lo = 0, hi = h->nmentioned;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(h->mentioned[mid], user);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (h->general.everyone_seq > chat_channel_read_get(&h->general, user))
        return true;
    for (chat_channel_t *c = h->channels; c; c = c->next)
        if (c->everyone_seq > chat_channel_read_get(c, user) && chat_channel_has_user(c, user))
            return true;
    return false;
}

static void on_load_read(void *ctx, const char *channel, const char *user, uint64_t seq)
{
    chat_channel_t *ch = chat_hub_channel(ctx, channel);
    if (ch)
        chat_channel_read_set(ch, user, seq);
}

int chat_hub_load(chat_hub_t *h)
{
    if (channel_load(h, &h->general) < 0)
        return -1;
    h->loading = true; /* chat_hub_channel_add loads each channel below */
    static const store_load_t cbs = {on_load_channel, on_load_member, on_load_read,
                                     on_load_reaction, on_load_mentioned};
    int rc = store_load(h->store, &cbs, h);
    h->loading = false;
    if (rc < 0 || h->load_failed)
        return -1;
    return 0;
}

bool chat_hub_recent_covers(const chat_channel_t *ch, uint64_t after)
{
    if (!ch->recent_primed || after > ch->committed)
        return false;
    uint64_t oldest = ch->recent_len ? ch->recent[ch->recent_head].seq : ch->committed + 1;
    return after + 1 >= oldest;
}

blob_t *chat_hub_recent_frame(const chat_channel_t *ch, uint64_t seq)
{
    uint64_t oldest = ch->recent[ch->recent_head].seq;
    return ch->recent[(ch->recent_head + (seq - oldest)) % CHAT_RECENT].frame;
}

blob_t *chat_hub_join_history(chat_hub_t *h, chat_channel_t *ch)
{
    unsigned want = h->cfg.history;
    if (!ch->recent_primed || (ch->recent_len < want && ch->recent_len < ch->committed))
        return NULL;
    if (ch->join_history)
        return blob_ref(ch->join_history);
    unsigned n = ch->recent_len < want ? ch->recent_len : want;
    unsigned from = ch->recent_len - n;
    /* The shown messages' threads. A reply is newer than its parent, so every reply of a
     * message in the ring is in the ring too: counting the page and what follows it is
     * exact. */
    store_msg_t *sum = n ? xcalloc(n, sizeof(*sum)) : NULL;
    for (unsigned i = from; i < ch->recent_len; i++) {
        const chat_recent_t *r = recent_at(ch, i);
        uint64_t first = recent_at(ch, from)->seq;
        if (r->kind != CHAT_EV_MSG || r->thread < first || r->thread - first >= n)
            continue;
        store_msg_t *p = &sum[r->thread - first];
        p->replies++;
        p->last_reply = r->seq;
        p->last_reply_ts = r->ts;
    }
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"history\",\"payload\":{\"channel\":");
    json_append_string(&b, ch->name, strlen(ch->name));
    buf_append_str(&b, ",\"messages\":[");
    uint64_t first = 0;
    for (unsigned i = from; i < ch->recent_len; i++) {
        const char *p;
        size_t len;
        chat_frame_payload(recent_at(ch, i)->frame, &p, &len);
        if (!first)
            first = recent_at(ch, i)->seq;
        else
            buf_append_str(&b, ",");
        const store_msg_t *t = &sum[i - from];
        if (!t->replies) {
            buf_append(&b, p, len);
            continue;
        }
        buf_append(&b, p, len - 1); /* the payload without its closing brace */
        chat_replies_json(&b, t->replies, t->last_reply, t->last_reply_ts);
        buf_append_str(&b, "}");
    }
    free(sum);
    bool more = n ? first > 1 : ch->committed > 0;
    buf_appendf(&b, "],\"more\":%s}}", more ? "true" : "false");
    ch->join_history = chat_frame_buf(&b);
    buf_deinit(&b);
    return blob_ref(ch->join_history);
}

static void channel_free(chat_channel_t *ch)
{
    for (unsigned i = 0; i < ch->recent_len; i++) {
        blob_unref(recent_at(ch, i)->frame);
        free(recent_at(ch, i)->user);
    }
    for (size_t i = 0; i < ch->nreactions; i++) {
        free(ch->reactions[i].emoji);
        free(ch->reactions[i].user);
    }
    free(ch->reactions);
    blob_unref(ch->join_history);
    for (chat_msg_t *m = ch->pend_head, *next; m; m = next) {
        next = m->next;
        free(m->user);
        free(m->text);
        free(m);
    }
    for (size_t i = 0; i < ch->nusers; i++)
        free(ch->users[i]);
    free(ch->users);
    for (size_t i = 0; i < ch->nreads; i++)
        free(ch->reads[i].user);
    free(ch->reads);
    free(ch->topic);
    free(ch->created_by);
}

void chat_hub_free(chat_hub_t *h)
{
    if (!h)
        return;
    channel_free(&h->general);
    for (chat_channel_t *ch = h->channels, *next; ch; ch = next) {
        next = ch->next;
        channel_free(ch);
        free(ch);
    }
    for (size_t i = 0; i < h->nmentioned; i++)
        free(h->mentioned[i]);
    free(h->mentioned);
    for (size_t i = 0; i < 256; i++) {
        for (chat_presence_t *p = h->presence[i], *next; p; p = next) {
            next = p->next;
            free(p->name);
            free(p);
        }
    }
    free(h);
}

chat_channel_t *chat_hub_channel(chat_hub_t *h, const char *name)
{
    if (strcmp(name, h->general.name) == 0)
        return &h->general;
    for (chat_channel_t *ch = h->channels; ch; ch = ch->next)
        if (strcmp(name, ch->name) == 0)
            return ch;
    return NULL;
}

chat_channel_t *chat_hub_channel_add(chat_hub_t *h, const char *name, bool priv, const char *topic,
                                     const char *created_by, int64_t ts)
{
    chat_channel_t *ch = xcalloc(1, sizeof(*ch));
    ch->hub = h;
    snprintf(ch->name, sizeof(ch->name), "%s", name);
    ch->priv = priv;
    ch->topic = xstrdup(topic ? topic : "");
    ch->created_by = xstrdup(created_by ? created_by : "");
    ch->created_ts = ts;
    ch->next = h->channels;
    h->channels = ch;
    h->nchannels++;
    /* A channel created now has no messages; one read from the database may. */
    if (h->loading) {
        if (channel_load(h, ch) < 0)
            h->load_failed = true;
    } else {
        ch->recent_primed = true;
    }
    return ch;
}

static blob_t *build_frame(chat_fmt_t fmt, const chat_channel_t *ch, const store_msg_t *m)
{
    buf_t b = BUF_INIT;
    if (fmt == CHAT_FMT_JSON) {
        /* Reactions go out as "react" either way; the payload's "on" tells which. */
        const char *type =
            !m->kind || strcmp(m->kind, "unreact") == 0 ? (m->kind ? "react" : "msg") : m->kind;
        buf_appendf(&b, "{\"type\":\"%s\",\"payload\":", type);
        chat_msg_payload_json(&b, ch->name, m);
        buf_append_str(&b, "}");
    } else if (fmt == CHAT_FMT_CLIENTID) {
        buf_appendf(&b, "%s: %s", m->user, m->text);
    } else {
        time_t secs = (time_t)(m->ts / 1000);
        struct tm tm;
        localtime_r(&secs, &tm);
        buf_appendf(&b, "[%02d:%02d:%02d] %s: %s", tm.tm_hour, tm.tm_min, tm.tm_sec, m->user,
                    m->text);
    }
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

static int session_fmt(const chat_session_t *s)
{
    switch (s->mode) {
    case CHAT_MODE_JSON:
        return CHAT_FMT_JSON;
    case CHAT_MODE_CLIENTID:
        return CHAT_FMT_CLIENTID;
    case CHAT_MODE_LINE:
        return CHAT_FMT_LINE;
    default:
        return -1;
    }
}

/* ---- members and presence ---- */

chat_link_t *chat_hub_link(chat_session_t *s, const chat_channel_t *ch)
{
    for (chat_link_t *l = s->links; l; l = l->s_next)
        if (l->ch == ch)
            return l;
    return NULL;
}

chat_link_t *chat_hub_member_add(chat_channel_t *ch, chat_session_t *s)
{
    chat_link_t *l = chat_hub_link(s, ch);
    if (l)
        return l;
    if (ch == &ch->hub->general) {
        l = &s->general;
        memset(l, 0, sizeof(*l));
        l->embedded = true;
    } else {
        l = xcalloc(1, sizeof(*l));
    }
    l->s = s;
    l->ch = ch;
    l->next = ch->members;
    if (ch->members)
        ch->members->prev = l;
    ch->members = l;
    l->s_next = s->links;
    s->links = l;
    int fmt = session_fmt(s);
    if (fmt >= 0)
        ch->nfmt[fmt]++;
    return l;
}

void chat_hub_member_remove(chat_channel_t *ch, chat_session_t *s)
{
    chat_link_t **pp = &s->links;
    while (*pp && (*pp)->ch != ch)
        pp = &(*pp)->s_next;
    chat_link_t *l = *pp;
    if (!l)
        return;
    *pp = l->s_next;
    if (l->prev)
        l->prev->next = l->next;
    else
        ch->members = l->next;
    if (l->next)
        l->next->prev = l->prev;
    int fmt = session_fmt(s);
    if (fmt >= 0)
        ch->nfmt[fmt]--;
    if (!l->embedded)
        free(l);
}

static unsigned name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h & 255;
}

chat_presence_t *chat_hub_presence_add(chat_hub_t *h, const char *name, const char *token,
                                       bool *first)
{
    unsigned i = name_hash(name);
    if (!token)
        token = "";
    for (chat_presence_t *p = h->presence[i]; p; p = p->next) {
        if (strcmp(p->name, name) != 0)
            continue;
        /* Text-mode users (no token) may share a name, as the seeds let the same client id
         * connect twice; a token holder is only joined by the same token. */
        if (strcmp(p->token, token) != 0)
            return NULL;
        p->conns++;
        *first = false;
        return p;
    }
    chat_presence_t *p = xcalloc(1, sizeof(*p));
    p->name = xstrdup(name);
    snprintf(p->token, sizeof(p->token), "%s", token);
    p->conns = 1;
    p->next = h->presence[i];
    h->presence[i] = p;
    h->online++;
    *first = true;
    return p;
}

chat_presence_t *chat_hub_presence(chat_hub_t *h, const char *name)
{
    for (chat_presence_t *p = h->presence[name_hash(name)]; p; p = p->next)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

bool chat_hub_online(chat_hub_t *h, const char *name)
{
    return chat_hub_presence(h, name) != NULL;
}

bool chat_hub_presence_remove(chat_hub_t *h, chat_presence_t *p)
{
    if (--p->conns > 0)
        return false;
    chat_presence_t **pp = &h->presence[name_hash(p->name)];
    while (*pp != p)
        pp = &(*pp)->next;
    *pp = p->next;
    h->online--;
    free(p->name);
    free(p);
    return true;
}

void chat_hub_online_json(chat_hub_t *h, buf_t *out)
{
    size_t n = 0;
    buf_append_str(out, "[");
    for (size_t i = 0; i < 256 && n < CHAT_ONLINE_MAX; i++) {
        for (chat_presence_t *p = h->presence[i]; p && n < CHAT_ONLINE_MAX; p = p->next) {
            if (n++)
                buf_append_str(out, ",");
            json_append_string(out, p->name, strlen(p->name));
        }
    }
    buf_append_str(out, "]");
}

void chat_hub_send_json_members(chat_hub_t *h, chat_channel_t *ch, blob_t *frame,
                                chat_session_t *except)
{
    for (chat_link_t *l = ch->members; l; l = l->next)
        if (l->s != except && l->s->mode == CHAT_MODE_JSON && l->s->joined)
            h->t->send(l->s->conn, frame);
}

void chat_hub_announce(chat_hub_t *h, chat_channel_t *ch, const char *user, bool entered,
                       chat_session_t *except)
{
    /* Each arrival told to every member is O(members) frames, O(members^2) for a crowd
     * arriving: past the limit a channel is a lobby, and presence is what welcome says. */
    unsigned members = ch->nfmt[CHAT_FMT_JSON] + ch->nfmt[CHAT_FMT_CLIENTID];
    if (members > h->cfg.presence_limit)
        return;
    blob_t *json = NULL, *text = NULL;
    if (ch->nfmt[CHAT_FMT_JSON]) {
        buf_t b = BUF_INIT;
        buf_appendf(&b, "{\"type\":\"%s\",\"payload\":{\"user\":", entered ? "join" : "leave");
        json_append_string(&b, user, strlen(user));
        buf_append_str(&b, ",\"channel\":");
        json_append_string(&b, ch->name, strlen(ch->name));
        buf_appendf(&b, ",\"ts\":%lld}}", (long long)clock_wall_ms());
        json = chat_frame_buf(&b);
        buf_deinit(&b);
        chat_hub_send_json_members(h, ch, json, except);
    }
    if (ch->nfmt[CHAT_FMT_CLIENTID]) {
        buf_t b = BUF_INIT;
        buf_appendf(&b, "%s has %s the chat", user, entered ? "entered" : "left");
        text = chat_frame_buf(&b);
        buf_deinit(&b);
        for (chat_link_t *l = ch->members; l; l = l->next)
            if (l->s != except && l->s->mode == CHAT_MODE_CLIENTID)
                h->t->send(l->s->conn, text);
    }
    blob_unref(json);
    blob_unref(text);
}

/* ---- publish, commit, fan-out ---- */

/* json_frame: the message's JSON frame, already built for the recent ring. */
static void fan_out(chat_hub_t *h, chat_channel_t *ch, const store_msg_t *m, blob_t *json_frame)
{
    blob_t *frame[CHAT_FMT_COUNT] = {blob_ref(json_frame)};
    for (chat_link_t *l = ch->members; l; l = l->next) {
        chat_session_t *s = l->s;
        int fmt = session_fmt(s);
        if (fmt < 0)
            continue;
        if (fmt != CHAT_FMT_JSON && m->kind && strcmp(m->kind, "msg") != 0)
            continue; /* the text modes show messages only */
        if (fmt == CHAT_FMT_JSON) {
            /* Held: the pending history/resume answer carries this message. */
            if (!s->joined || l->held || m->seq <= l->last_sent)
                continue;
            l->last_sent = m->seq;
        }
        if (!frame[fmt])
            frame[fmt] = build_frame(fmt, ch, m);
        h->t->send(s->conn, frame[fmt]);
        h->stats.delivered++;
    }
    for (int i = 0; i < CHAT_FMT_COUNT; i++)
        blob_unref(frame[i]);
}

static void send_ack(chat_hub_t *h, chat_channel_t *ch, const chat_msg_t *m)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"ack\"");
    if (m->id[0])
        buf_appendf(&b, ",\"id\":%s", m->id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, ch->name, strlen(ch->name));
    buf_appendf(&b, ",\"seq\":%llu,\"ts\":%lld}}", (unsigned long long)m->seq, (long long)m->ts);
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    h->t->send(m->sender->conn, f);
    blob_unref(f);
}

/* m as the store and the payload builders see it (borrowing its strings). */
static store_msg_t msg_view(const chat_channel_t *ch, const chat_msg_t *m)
{
    return (store_msg_t){.channel = ch->name,
                         .seq = m->seq,
                         .user = m->user,
                         .text = m->text,
                         .ts = m->ts,
                         .kind = m->kind,
                         .thread = m->thread,
                         .target = m->target};
}

static void on_stored(void *ctx, int status)
{
    chat_channel_t *ch = ctx;
    chat_hub_t *h = ch->hub;
    chat_msg_t *m = ch->pend_head;
    (void)status; /* the store exits rather than report a failed commit (store.h) */
    ch->pend_head = m->next;
    if (!ch->pend_head)
        ch->pend_tail = NULL;
    ch->committed = m->seq;
    if (m->sender && m->sender->conn && m->sender->mode == CHAT_MODE_JSON)
        send_ack(h, ch, m);
    store_msg_t sm = msg_view(ch, m);
    blob_t *json = build_frame(CHAT_FMT_JSON, ch, &sm);
    recent_push(ch, &sm, json);
    fan_out(h, ch, &sm, json);
    blob_unref(json);
    free(m->user);
    free(m->text);
    free(m);
}

void chat_hub_publish(chat_hub_t *h, chat_channel_t *ch, chat_session_t *sender, const char *user,
                      const char *text, size_t len, const char *id)
{
    chat_hub_publish_event(h, ch, sender, user, CHAT_EV_MSG, text, len, 0, 0, id);
}

void chat_hub_publish_event(chat_hub_t *h, chat_channel_t *ch, chat_session_t *sender,
                            const char *user, chat_ev_t kind, const char *text, size_t len,
                            uint64_t thread, uint64_t target, const char *id)
{
    chat_msg_t *m = xcalloc(1, sizeof(*m));
    m->sender = sender;
    m->seq = ch->last_seq + 1;
    m->ts = clock_wall_ms();
    m->user = xstrdup(user);
    m->text = xstrndup(text, len);
    m->kind = chat_ev_name(kind);
    m->thread = thread;
    m->target = target;
    snprintf(m->id, sizeof(m->id), "%s", id ? id : "");
    store_msg_t sm = msg_view(ch, m);
    /* Who it mentions, one name a line, so the store can count a user's unread mentions. */
    buf_t names = BUF_INIT;
    if (kind == CHAT_EV_MSG && strchr(m->text, '@')) {
        chat_mention_t ms[CHAT_MENTIONS_MAX];
        size_t nm = chat_mentions(m->text, ms);
        for (size_t i = 0; i < nm; i++) {
            buf_append(&names, ms[i].name, ms[i].len);
            buf_append_str(&names, "\n");
            note_mention(h, ch, ms[i].name, ms[i].len, m->seq);
        }
        buf_append(&names, "", 1);
        sm.mentions = names.data;
    }
    int rc = store_append(h->store, &sm, on_stored, ch);
    buf_deinit(&names);
    if (rc < 0) {
        /* Only while shutting down; the seq was not taken. */
        free(m->user);
        free(m->text);
        free(m);
        h->stats.rejected++;
        return;
    }
    ch->last_seq = m->seq;
    if (ch->pend_tail)
        ch->pend_tail->next = m;
    else
        ch->pend_head = m;
    ch->pend_tail = m;
    h->stats.published++;
}

const chat_recent_t *chat_hub_recent(const chat_channel_t *ch, uint64_t seq)
{
    if (!ch->recent_len)
        return NULL;
    uint64_t oldest = ch->recent[ch->recent_head].seq;
    if (seq < oldest || seq > oldest + ch->recent_len - 1)
        return NULL;
    return &ch->recent[(ch->recent_head + (seq - oldest)) % CHAT_RECENT];
}

static size_t reaction_find(const chat_channel_t *ch, uint64_t target, const char *emoji,
                            const char *user)
{
    for (size_t i = 0; i < ch->nreactions; i++) {
        const chat_reaction_t *r = &ch->reactions[i];
        if (r->target == target && strcmp(r->emoji, emoji) == 0 && strcmp(r->user, user) == 0)
            return i;
    }
    return ch->nreactions;
}

bool chat_hub_reacted(const chat_channel_t *ch, uint64_t target, const char *emoji,
                      const char *user)
{
    return reaction_find(ch, target, emoji, user) < ch->nreactions;
}

void chat_hub_reaction_set(chat_channel_t *ch, uint64_t target, const char *emoji, const char *user,
                           bool on)
{
    size_t i = reaction_find(ch, target, emoji, user);
    if (on && i == ch->nreactions) {
        if (ch->nreactions == ch->reactions_cap) {
            ch->reactions_cap = ch->reactions_cap ? ch->reactions_cap * 2 : 16;
            ch->reactions = xrealloc(ch->reactions, ch->reactions_cap * sizeof(*ch->reactions));
        }
        ch->reactions[ch->nreactions++] = (chat_reaction_t){target, xstrdup(emoji), xstrdup(user)};
    } else if (!on && i < ch->nreactions) {
        free(ch->reactions[i].emoji);
        free(ch->reactions[i].user);
        ch->reactions[i] = ch->reactions[--ch->nreactions];
    }
}

static void forget_sender(chat_channel_t *ch, chat_session_t *s)
{
    for (chat_msg_t *m = ch->pend_head; m; m = m->next)
        if (m->sender == s)
            m->sender = NULL;
}

void chat_hub_forget_sender(chat_hub_t *h, chat_session_t *s)
{
    forget_sender(&h->general, s);
    for (chat_channel_t *ch = h->channels; ch; ch = ch->next)
        if (ch->pend_head)
            forget_sender(ch, s);
}

void chat_hub_metrics(const chat_hub_t *h, chat_metrics_t *out)
{
    *out = (chat_metrics_t){.online = h->online,
                            .published = h->stats.published,
                            .delivered = h->stats.delivered,
                            .sessions = h->stats.sessions,
                            .rejected = h->stats.rejected,
                            .general_seq = h->general.committed,
                            .available = true};
}
