/* chat_session - a connection's identity, links, rate limit and output; see chat_session.h.
 *
 * Structures: the session's links form a singly linked list (newest first); its #general
 * link is embedded in the session, since every session that chats has one, so an idle
 * connection costs no further allocation. Ordered widest first: one per connection, so
 * padding counts. */
#include "chat/chat_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "chat/chat_cost.h"
#include "chat/chat_online.h"
#include "chat/chat_payload.h"

#define TYPING_INTERVAL_MS 1000

struct chat_session {
    chat_hub_t *hub;
    void *conn;       /* NULL once ended */
    const char *name; /* NULL before the join; the user's own name when it is that */
    chat_presence_t *pres;
    const auth_user_t *user; /* NULL until known, and for line mode */
    uint64_t sid;            /* the auth session signed in with, 0 for none */
    chat_creds_t *creds;     /* what the upgrade said, until the join used it */
    char *addr;              /* the peer's address ("" unknown), for the rate limit */
    chat_link_t *links;
    struct chat_resume *resume;
    struct chat_join *join;
    auth_bucket_t bucket; /* the rate limit of a connection without a user (line mode) */
    uint64_t typing_ms;
    chat_link_t general;
    int refs;
    unsigned reads; /* store reads in flight */
    uint8_t mode;   /* a chat_mode_t */
    bool joined;
    bool events;   /* takes edit, delete and react events (chat_session_events) */
    bool away;     /* this connection said its user is away (chat_session_away) */
    bool name_own; /* name is a copy (freed with the session), not the user's */
};

chat_session_t *chat_session_new(chat_hub_t *h, void *conn, chat_mode_t mode)
{
    chat_session_t *s = xcalloc(1, sizeof(*s));
    s->hub = h;
    s->conn = conn;
    s->refs = 1;
    s->mode = (uint8_t)mode;
    /* Opened in JSON mode means the upgrade chose parley.v1: a client that knows events. */
    s->events = mode == CHAT_MODE_JSON;
    s->addr = xstrdup("");
    chat_hub_count_session(h);
    return s;
}

void chat_session_ref(chat_session_t *s)
{
    s->refs++;
}

void chat_session_unref(chat_session_t *s)
{
    if (--s->refs > 0)
        return;
    if (s->name_own)
        free((char *)s->name);
    free(s->creds);
    free(s->addr);
    free(s);
}

void chat_session_end(chat_session_t *s, bool announce)
{
    chat_hub_t *h = s->hub;
    chat_hub_forget_conn(h, s->conn);
    if (s->pres && s->joined)
        chat_presence_detach(s->pres, &s->general);
    while (s->links)
        chat_session_exit(s, s->links->ch);
    s->conn = NULL;
    if (s->pres && chat_online_remove(h, s->pres, s->name, s->away) && announce)
        chat_online_announce(h, s->name, false, NULL);
    if (s->pres && s->user)
        auth_user_online(chat_hub_auth(h), s->user, false);
    s->pres = NULL;
    /* Nobody will read the answers: drop the reads not run yet, so an attacker who queued
     * many and hung up costs nothing more (their callbacks release the session). */
    if (s->reads)
        store_cancel(chat_hub_store(h), s);
}

bool chat_session_away(const chat_session_t *s)
{
    return s->away;
}

void chat_session_set_away(chat_session_t *s, bool away)
{
    if (s->pres && s->away != away)
        chat_presence_mark(chat_hub_presence(chat_session_hub(s)), s->pres, away);
    s->away = away;
}

bool chat_session_reads_full(chat_session_t *s, const char *id)
{
    if (s->reads < CHAT_READS_MAX)
        return false;
    chat_session_error(s, "rate_limited", "too many requests waiting for the message store", id);
    return true;
}

void chat_session_read_begin(chat_session_t *s)
{
    s->reads++;
}

void chat_session_read_end(chat_session_t *s)
{
    if (s->reads)
        s->reads--;
}

chat_hub_t *chat_session_hub(const chat_session_t *s)
{
    return s->hub;
}

void *chat_session_conn(const chat_session_t *s)
{
    return s->conn;
}

chat_mode_t chat_session_mode(const chat_session_t *s)
{
    return (chat_mode_t)s->mode;
}

void chat_session_set_mode(chat_session_t *s, chat_mode_t mode)
{
    s->mode = (uint8_t)mode;
}

bool chat_session_events(const chat_session_t *s)
{
    return s->events;
}

void chat_session_set_events(chat_session_t *s)
{
    s->events = true;
}

const char *chat_session_name(const chat_session_t *s)
{
    return s->name;
}

chat_presence_t *chat_session_presence(const chat_session_t *s)
{
    return s->pres;
}

void chat_session_set_user(chat_session_t *s, const char *name, chat_presence_t *p,
                           const auth_user_t *user, uint64_t sid)
{
    /* Accounts are never freed and never change their name: a session under its user's
     * name borrows it (a copy was 32 bytes of every idle connection). */
    if (s->name_own)
        free((char *)s->name);
    s->name_own = !user || strcmp(name, user->name) != 0;
    s->name = s->name_own ? xstrdup(name) : user->name;
    s->pres = p;
    s->user = user;
    s->sid = sid;
    if (p && user)
        auth_user_online(chat_hub_auth(s->hub), user, true);
}

/* A line-mode socket writes under whatever free name each line gives: a guest at most. */
static const auth_user_t line_guest = {
    .name = "anonymous", .display = "", .title = "", .tz = "", .avatar = "", .role = AUTH_GUEST};

const auth_user_t *chat_session_user(const chat_session_t *s)
{
    return s->user ? s->user : &line_guest;
}

uint64_t chat_session_sid(const chat_session_t *s)
{
    return s->sid;
}

const chat_creds_t *chat_session_creds(const chat_session_t *s)
{
    return s->creds;
}

void chat_session_set_creds(chat_session_t *s, const chat_creds_t *creds)
{
    free(s->creds);
    s->creds = NULL;
    if (creds) {
        s->creds = xmalloc(sizeof(*s->creds));
        *s->creds = *creds;
    }
}

void chat_session_set_addr(chat_session_t *s, const char *addr)
{
    free(s->addr);
    s->addr = xstrdup(addr ? addr : "");
}

const char *chat_session_addr(const chat_session_t *s)
{
    return s->addr;
}

bool chat_session_joined(const chat_session_t *s)
{
    return s->joined;
}

void chat_session_set_joined(chat_session_t *s)
{
    s->joined = true;
    chat_session_enter(s, chat_hub_general(s->hub));
    if (s->pres) /* a REST call's session is nobody's presence */
        chat_presence_attach(s->pres, &s->general);
}

/* ---- links ---- */

chat_link_t *chat_session_link(const chat_session_t *s, const chat_channel_t *ch)
{
    for (chat_link_t *l = s->links; l; l = l->s_next)
        if (l->ch == ch)
            return l;
    return NULL;
}

chat_link_t *chat_session_links(const chat_session_t *s)
{
    return s->links;
}

static uint8_t fmt_of(chat_mode_t mode)
{
    switch (mode) {
    case CHAT_MODE_JSON:
        return CHAT_FMT_JSON;
    case CHAT_MODE_CLIENTID:
        return CHAT_FMT_CLIENTID;
    case CHAT_MODE_LINE:
        return CHAT_FMT_LINE;
    default:
        return CHAT_FMT_NONE;
    }
}

chat_link_t *chat_session_enter(chat_session_t *s, chat_channel_t *ch)
{
    chat_link_t *l = chat_session_link(s, ch);
    if (l)
        return l;
    if (chat_channel_is_general(ch)) {
        l = &s->general;
        memset(l, 0, sizeof(*l));
        l->embedded = true;
    } else {
        l = xcalloc(1, sizeof(*l));
    }
    l->conn = s->conn;
    l->s = s;
    l->fmt = fmt_of((chat_mode_t)s->mode);
    l->plain = l->fmt == CHAT_FMT_JSON && !s->events;
    l->s_next = s->links;
    s->links = l;
    chat_channel_link(ch, l);
    return l;
}

void chat_session_exit(chat_session_t *s, chat_channel_t *ch)
{
    chat_link_t **pp = &s->links;
    while (*pp && (*pp)->ch != ch)
        pp = &(*pp)->s_next;
    chat_link_t *l = *pp;
    if (!l)
        return;
    *pp = l->s_next;
    chat_channel_unlink(ch, l);
    if (!l->embedded)
        free(l);
}

/* ---- output ---- */

void chat_session_send_frame(chat_session_t *s, blob_t *frame)
{
    if (s->conn)
        chat_hub_send(s->hub, s->conn, frame);
}

void chat_session_send(chat_session_t *s, const buf_t *b)
{
    if (!s->conn)
        return;
    blob_t *f = chat_frame_buf(b);
    chat_hub_send(s->hub, s->conn, f);
    blob_unref(f);
}

void chat_session_send_bulk(chat_session_t *s, blob_t *frame)
{
    if (chat_conn_sink(s->conn))
        chat_hub_send(s->hub, s->conn, frame);
    else if (s->conn)
        chat_hub_transport(s->hub)->send_bulk(s->conn, frame);
}

void chat_session_answer_frame(chat_session_t *s, blob_t *frame)
{
    if (!s->conn)
        return;
    if (chat_conn_sink(s->conn))
        chat_hub_send(s->hub, s->conn, frame);
    else if (chat_session_backlog(s) < chat_hub_config(s->hub)->outbound_budget)
        chat_hub_transport(s->hub)->send_bulk(s->conn, frame);
    else
        chat_hub_transport(s->hub)->send(s->conn, frame);
}

void chat_session_send_answer(chat_session_t *s, const buf_t *b)
{
    if (!s->conn)
        return;
    blob_t *f = chat_frame_buf(b);
    chat_session_answer_frame(s, f);
    blob_unref(f);
}

size_t chat_session_backlog(const chat_session_t *s)
{
    return s->conn && !chat_conn_sink(s->conn) ? chat_hub_transport(s->hub)->backlog(s->conn) : 0;
}

void chat_session_want_drain(chat_session_t *s)
{
    if (s->conn && !chat_conn_sink(s->conn))
        chat_hub_transport(s->hub)->want_drain(s->conn);
}

void chat_session_error(chat_session_t *s, const char *code, const char *msg, const char *id)
{
    if (!s->conn)
        return;
    blob_t *f = chat_error_frame(code, msg, id);
    chat_hub_send(s->hub, s->conn, f);
    blob_unref(f);
}

void chat_session_close_conn(chat_session_t *s, uint16_t code, const char *reason)
{
    chat_sink_t *k = chat_conn_sink(s->conn);
    if (k)
        k->close(k);
    else if (s->conn)
        chat_hub_transport(s->hub)->close(s->conn, code, reason);
}

/* Token buckets (auth_rate_take): the user's, shared by every connection of theirs, so
 * that opening more sockets buys no more; and the address's for guests and line mode, so
 * that more names from one address buy no more either. */
uint64_t chat_session_take_tokens(chat_session_t *s, unsigned cost)
{
    const chat_config_t *cfg = chat_hub_config(s->hub);
    auth_rate_t r = {
        .rate = cfg->rate, .burst = cfg->burst, .addr_burst = cfg->burst * CHAT_ADDR_BURST_FACTOR};
    return auth_rate_take(chat_hub_auth(s->hub), s->user, s->user ? NULL : &s->bucket, s->addr, &r,
                          cost, clock_mono_ms());
}

bool chat_session_pay(chat_session_t *s, const json_env_t *e, unsigned cost)
{
    if (cost == 0)
        return true;
    uint64_t wait = chat_session_take_tokens(s, cost);
    if (wait == 0)
        return true;
    if (s->conn) {
        blob_t *f =
            chat_error_frame_retry("rate_limited", "too many requests; slow down", e->id, wait);
        chat_hub_send(s->hub, s->conn, f);
        blob_unref(f);
    }
    return false;
}

bool chat_session_pay_rest(chat_session_t *s, const json_env_t *e)
{
    return chat_session_pay(s, e, chat_cost_of(e->type) - chat_cost_upfront(e->type));
}

bool chat_session_typing_due(chat_session_t *s)
{
    uint64_t now = clock_mono_ms();
    if (s->typing_ms && now - s->typing_ms < TYPING_INTERVAL_MS)
        return false;
    s->typing_ms = now;
    return true;
}

struct chat_join *chat_session_join_state(const chat_session_t *s)
{
    return s->join;
}

void chat_session_set_join_state(chat_session_t *s, struct chat_join *j)
{
    s->join = j;
}

struct chat_resume *chat_session_resume_state(const chat_session_t *s)
{
    return s->resume;
}

void chat_session_set_resume_state(chat_session_t *s, struct chat_resume *r)
{
    s->resume = r;
}

/* ---- request fields and names ---- */

bool chat_session_text_field(chat_session_t *s, const json_env_t *e, const char **t, size_t *len)
{
    json_t *text = e->payload ? json_object_get(e->payload, "text") : NULL;
    if (!json_is_string(text)) {
        char m[64];
        snprintf(m, sizeof(m), "%s needs payload.text, a string", e->type);
        chat_session_error(s, "bad_payload", m, e->id);
        return false;
    }
    *t = json_string_value(text);
    *len = json_string_length(text);
    if (*len == 0) {
        chat_session_error(s, "bad_payload", "text is empty", e->id);
        return false;
    }
    size_t max = chat_hub_config(s->hub)->max_text;
    if (utf8_count((const uint8_t *)*t, *len) > max) {
        char m[96];
        snprintf(m, sizeof(m), "text is longer than %zu characters", max);
        chat_session_error(s, "too_large", m, e->id);
        return false;
    }
    return true;
}

chat_channel_t *chat_session_channel_field(chat_session_t *s, const json_env_t *e, const char *key,
                                           bool optional, bool must_be_in)
{
    json_t *c = e->payload ? json_object_get(e->payload, key) : NULL;
    if (!c && optional)
        return chat_hub_general(s->hub);
    if (!json_is_string(c)) {
        char m[96];
        if (optional)
            snprintf(m, sizeof(m), "%s must be a string", key);
        else
            snprintf(m, sizeof(m), "%s needs payload.%s, a string", e->type, key);
        chat_session_error(s, "bad_payload", m, e->id);
        return NULL;
    }
    chat_channel_t *ch = chat_hub_channel(s->hub, json_string_value(c));
    if (!ch || chat_channel_unstored(ch) ||
        chat_session_can(s, AUTH_ACT_SEE, ch, NULL) != AUTH_ALLOW) {
        chat_session_error(s, "no_such_channel", "no such channel", e->id);
        return NULL;
    }
    if (must_be_in && !chat_session_link(s, ch)) {
        chat_session_error(s, "forbidden", "you are not a member of that channel", e->id);
        return NULL;
    }
    return ch;
}

static auth_chan_t chan_kind(const chat_channel_t *ch)
{
    if (chat_channel_is_general(ch))
        return AUTH_CH_GENERAL;
    switch (chat_channel_kind(ch)) {
    case CHAT_KIND_PRIVATE:
        return AUTH_CH_PRIVATE;
    case CHAT_KIND_DM:
        return AUTH_CH_DM;
    default:
        return AUTH_CH_PUBLIC;
    }
}

/* The facts of ch (NULL: none) for user uid, with t's. */
static auth_target_t user_facts(uint64_t uid, const chat_channel_t *ch, const auth_target_t *t)
{
    auth_target_t f = t ? *t : (auth_target_t){0};
    if (ch) {
        f.kind = chan_kind(ch);
        f.member = f.kind == AUTH_CH_GENERAL || chat_channel_has_user(ch, uid);
        f.creator = uid && chat_channel_creator(ch) == uid;
        f.archived = chat_channel_archived(ch);
    }
    return f;
}

static auth_target_t facts(const chat_session_t *s, const chat_channel_t *ch,
                           const auth_target_t *t)
{
    return user_facts(chat_session_user(s)->id, ch, t);
}

bool chat_user_in(const auth_user_t *u, auth_action_t act, const chat_channel_t *ch)
{
    auth_target_t f = user_facts(u->id, ch, NULL);
    return f.member && auth_can(u, act, &f) == AUTH_ALLOW;
}

auth_verdict_t chat_user_can(const auth_user_t *u, auth_action_t act, const chat_channel_t *ch)
{
    auth_target_t f = user_facts(u->id, ch, NULL);
    return auth_can(u, act, &f);
}

auth_verdict_t chat_session_can(const chat_session_t *s, auth_action_t act,
                                const chat_channel_t *ch, const auth_target_t *t)
{
    auth_target_t f = facts(s, ch, t);
    return auth_can(chat_session_user(s), act, &f);
}

const char *chat_session_refusal(const chat_session_t *s, auth_action_t act,
                                 const chat_channel_t *ch, const auth_target_t *t, const char *msg)
{
    auth_target_t f = facts(s, ch, t);
    if (!f.archived)
        return msg;
    f.archived = false; /* refused only because it is archived? then say so */
    return auth_can(chat_session_user(s), act, &f) == AUTH_ALLOW
               ? "this channel is archived: it is read-only"
               : msg;
}

bool chat_session_may(chat_session_t *s, const json_env_t *e, auth_action_t act,
                      const chat_channel_t *ch, const auth_target_t *t, const char *msg)
{
    auth_verdict_t v = chat_session_can(s, act, ch, t);
    if (v == AUTH_HIDDEN)
        chat_session_error(s, "no_such_channel", "no such channel", e->id);
    else if (v != AUTH_ALLOW)
        chat_session_error(s, "forbidden", chat_session_refusal(s, act, ch, t, msg), e->id);
    return v == AUTH_ALLOW;
}
