/* chat - the door of the chat layer and the dispatch of requests; see chat.h.
 *
 * A session's modes: AUTO (a /ws socket that has said nothing) becomes JSON or LINE on its
 * first message; CLIENTID sessions are in #general from the start. Text modes have no
 * error channel: what cannot be accepted is dropped. JSON requests are parsed here and
 * dispatched through one table from type to handler; every handler but join and ping needs
 * a joined session, and while a join waits for its welcome the requests behind it are held
 * (chat_join_hold) and run after it. Each request pays its cost (chat_cost.h: all of it, or
 * a state change's toll) from the rate limit before its handler runs; one over the limit
 * is answered `rate_limited` and does nothing. */
#include "chat/chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "chat/chat_archive.h"
#include "chat/chat_cost.h"
#include "chat/chat_event.h"
#include "chat/chat_history.h"
#include "chat/chat_hub.h"
#include "chat/chat_join.h"
#include "chat/chat_lists.h"
#include "chat/chat_notify.h"
#include "chat/chat_online.h"
#include "chat/chat_rooms.h"
#include "chat/chat_pins.h"
#include "chat/chat_search.h"
#include "chat/chat_session.h"
#include "json/json_env.h"
#include "ws/ws_frame.h"

/* ---- the hub's face ---- */

/* auth ended sessions (sign-out, a password change, a ban...): every connection signed in
 * with them goes, with the code that tells the client why. Every connection that chats has
 * a #general link, so one pass over #general's members finds them all; revocations are
 * rare next to messages. The transport's close never frees a link under us (chat_close
 * comes later, from the connection's close callback). */
static void on_revoke(void *ctx, uint64_t user_id, uint64_t sid, uint16_t code)
{
    chat_hub_t *h = ctx;
    const char *why = code == AUTH_CLOSE_BANNED        ? "banned"
                      : code == AUTH_CLOSE_DEACTIVATED ? "account deactivated"
                                                       : "signed out";
    chat_link_t *const *m;
    size_t nm = chat_channel_members(chat_hub_general(h), &m);
    for (size_t i = 0; i < nm; i++) {
        chat_session_t *s = m[i]->s;
        if (chat_session_user(s)->id == user_id && (sid == 0 || chat_session_sid(s) == sid))
            chat_session_close_conn(s, code, why);
    }
}

chat_hub_t *chat_new(store_t *store, auth_t *auth, const chat_config_t *cfg,
                     const chat_transport_t *t)
{
    chat_hub_t *h = chat_hub_new(store, auth, cfg, t);
    auth_set_revoke_cb(auth, on_revoke, h);
    return h;
}

int chat_load(chat_hub_t *h)
{
    return chat_hub_load(h);
}

void chat_free(chat_hub_t *h)
{
    chat_hub_free(h);
}

void chat_metrics(const chat_hub_t *h, chat_metrics_t *out)
{
    chat_hub_metrics(h, out);
}

void chat_tick(chat_hub_t *h)
{
    chat_hub_tick(h);
}

bool chat_files_allowed(chat_hub_t *h, uint64_t user, const char *channel, bool post)
{
    const auth_user_t *u = auth_user(chat_hub_auth(h), user);
    chat_channel_t *ch = chat_hub_channel(h, channel);
    return u && ch && !chat_channel_deleted(ch) &&
           chat_user_in(u, post ? AUTH_ACT_POST : AUTH_ACT_SEE, ch);
}

static void append_field(buf_t *b, const char *key, const char *v)
{
    buf_appendf(b, ",\"%s\":", key);
    json_append_string(b, v ? v : "", v ? strlen(v) : 0);
}

void chat_profile_changed(chat_hub_t *h, const auth_user_t *u)
{
    chat_channel_t *general = chat_hub_general(h);
    if (!u->canon || !chat_channel_nfmt(general, CHAT_FMT_JSON))
        return; /* no name to show it under, or nobody here to tell */
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"profile\",\"payload\":{\"user\":");
    json_append_string(&b, u->name, strlen(u->name));
    buf_appendf(&b, ",\"user_id\":%llu", (unsigned long long)u->id);
    append_field(&b, "display_name", u->display);
    append_field(&b, "title", u->title);
    append_field(&b, "tz", u->tz);
    append_field(&b, "avatar", u->avatar);
    buf_append_str(&b, "}}");
    /* Plain JSON clients (seed 001's) show every frame as a message: not theirs. */
    chat_emit_t e = {.json = chat_frame_buf(&b), .events_only = true};
    buf_deinit(&b);
    chat_hub_emit(h, general, &e);
    blob_unref(e.json);
}

bool chat_client_id_valid(const char *id, size_t len)
{
    if (len < 1 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* ---- JSON requests ---- */

static void do_ping(chat_session_t *s, const json_env_t *e);
static void do_join(chat_session_t *s, const json_env_t *e);
static void do_presence(chat_session_t *s, const json_env_t *e);

typedef void (*handler_fn)(chat_session_t *s, const json_env_t *e);

static const struct {
    const char *type;
    handler_fn fn;
    bool before_join; /* may run before the session joined */
} handlers[] = {
    {"ping", do_ping, true},
    {"join", do_join, true},
    {"msg", chat_event_msg, false},
    {"edit", chat_event_edit, false},
    {"delete", chat_event_delete, false},
    {"react", chat_event_react, false},
    {"pin", chat_event_pin, false},
    {"pins", chat_pins_request, false},
    {"edits", chat_pins_edits, false},
    {"thread", chat_event_thread, false},
    {"typing", chat_event_typing, false},
    {"history", chat_history_request, false},
    {"resume", chat_history_resume, false},
    {"search", chat_search_request, false},
    {"channel_create", chat_rooms_create, false},
    {"channel_list", chat_lists_channels, false},
    {"channel_join", chat_rooms_join, false},
    {"channel_leave", chat_rooms_leave, false},
    {"channel_invite", chat_rooms_invite, false},
    {"channel_kick", chat_rooms_kick, false},
    {"channel_members", chat_lists_members, false},
    {"channel_topic", chat_rooms_topic, false},
    {"dm_open", chat_rooms_dm, false},
    {"channel_archive", chat_archive_archive, false},
    {"channel_unarchive", chat_archive_unarchive, false},
    {"channel_delete", chat_archive_delete, false},
    {"read", chat_rooms_read, false},
    {"presence", do_presence, false},
    {"notify", chat_notify_request, false},
};

static void do_ping(chat_session_t *s, const json_env_t *e)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"pong\"");
    if (e->id[0])
        buf_appendf(&b, ",\"id\":%s", e->id);
    buf_appendf(&b, ",\"ts\":%lld}", (long long)clock_wall_ms());
    chat_session_send(s, &b);
    buf_deinit(&b);
}

static void json_request(chat_session_t *s, const char *text, size_t len);

/* presence: this connection says its user is away or active again (issue 14). The user
 * is away while every connection of theirs says so; a change is told to #general
 * (chat_online_tell_status), and the answer carries the user's status now. */
static void do_presence(chat_session_t *s, const json_env_t *e)
{
    json_t *v = e->payload ? json_object_get(e->payload, "status") : NULL;
    const char *status = json_is_string(v) ? json_string_value(v) : "";
    bool away = strcmp(status, "away") == 0;
    chat_presence_t *p = chat_session_presence(s);
    if (!away && strcmp(status, "active") != 0) {
        chat_session_error(s, "bad_payload",
                           "presence needs payload.status, \"away\" or \"active\"", e->id);
        return;
    }
    if (!p) {
        chat_session_error(s, "not_joined", "send a join first", e->id);
        return;
    }
    bool before = chat_presence_away(p);
    chat_session_set_away(s, away);
    bool now = chat_presence_away(p);
    const char *name = chat_session_name(s);
    if (now != before)
        chat_online_tell_status(chat_session_hub(s), name, now, chat_session_conn(s));
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"presence\"");
    if (e->id[0])
        buf_appendf(&b, ",\"id\":%s", e->id);
    buf_append_str(&b, ",\"payload\":{\"user\":");
    json_append_string(&b, name, strlen(name));
    buf_appendf(&b, ",\"status\":\"%s\"}}", now ? "away" : "active");
    chat_session_send(s, &b);
    buf_deinit(&b);
}

static void do_join(chat_session_t *s, const json_env_t *e)
{
    if (chat_session_joined(s))
        chat_session_error(s, "already_joined", "this connection has joined already", e->id);
    else
        chat_join_request(s, e, json_request);
}

static void json_request(chat_session_t *s, const char *text, size_t len)
{
    if (chat_join_waiting(s)) {
        if (!chat_join_hold(s, text, len))
            chat_session_close_conn(s, WS_CLOSE_POLICY, "too many requests before the welcome");
        return;
    }
    json_env_t e;
    const char *code;
    char msg[160];
    if (json_env_parse(&e, text, len, &code, msg, sizeof(msg)) < 0) {
        chat_session_error(s, code, msg, e.id);
        json_env_free(&e);
        return;
    }
    size_t i = 0, n = sizeof(handlers) / sizeof(handlers[0]);
    while (i < n && strcmp(e.type, handlers[i].type) != 0)
        i++;
    if (i == n)
        chat_session_error(s, "bad_type", "unknown message type", e.id);
    else if (!handlers[i].before_join && !chat_session_joined(s))
        chat_session_error(s, "not_joined", "send a join first", e.id);
    else if (chat_session_pay(s, &e, chat_cost_upfront(e.type))) /* else answered */
        handlers[i].fn(s, &e);
    json_env_free(&e);
}

/* ---- text modes ---- */

/* Seed 000: "Name: text"; no usable name makes it anonymous's whole line. A name a user
 * holds (an account's, or a guest's while its hold lasts) is not this line's to claim. */
static void line_message(chat_session_t *s, const char *text, size_t len)
{
    chat_hub_t *h = chat_session_hub(s);
    char name[CHAT_NAME_BYTES + 1];
    const char *sep = NULL;
    for (size_t i = 0; i + 1 < len; i++) {
        if (text[i] == ':' && text[i + 1] == ' ') {
            sep = text + i;
            break;
        }
    }
    const char *user = "anonymous";
    size_t nl = sep ? (size_t)(sep - text) : 0;
    if (sep && nl < sizeof(name) && auth_name_free(chat_hub_auth(h), text, nl)) {
        memcpy(name, text, nl);
        name[nl] = '\0';
        user = name;
        len -= nl + 2;
        text = sep + 2;
    }
    chat_event_text_line(s, user, text, len);
}

/* ---- REST calls ---- */

struct chat_call {
    chat_sink_t sink; /* first: the sink is the call */
    chat_session_t *s;
    chat_call_cb cb;
    void *ctx;
    bool answered;
};

/* The payload of a whole unmasked frame (ours: chat_frame). */
static const char *frame_text(const blob_t *f, size_t *len)
{
    size_t hl = 2, n = f->data[1] & 0x7f;
    if (n == 126)
        hl = 4;
    else if (n == 127)
        hl = 10;
    *len = f->len > hl ? f->len - hl : 0;
    return (const char *)f->data + hl;
}

static void call_answer(chat_call_t *c, const char *json, size_t len)
{
    if (c->answered)
        return;
    c->answered = true;
    c->cb(c->ctx, json, len);
}

/* Only answers reach a call's session; one with the request's id ends it. */
static void call_frame(chat_sink_t *k, blob_t *frame)
{
    chat_call_t *c = (chat_call_t *)k;
    size_t len;
    const char *text = frame_text(frame, &len);
    json_t *root = json_loadb(text, len, 0, NULL);
    bool answer = json_object_get(root, "id") != NULL;
    json_decref(root);
    if (answer)
        call_answer(c, text, len);
}

static void call_close(chat_sink_t *k)
{
    call_answer((chat_call_t *)k, NULL, 0);
}

chat_call_t *chat_call(chat_hub_t *h, const auth_user_t *u, uint64_t sid, const char *addr,
                       const char *request, size_t len, chat_call_cb cb, void *ctx)
{
    chat_call_t *c = xcalloc(1, sizeof(*c));
    c->sink = (chat_sink_t){call_frame, call_close};
    c->cb = cb;
    c->ctx = ctx;
    /* Mode NONE: its links' format takes no fan-out; an answer goes to the sink. */
    chat_session_t *s = c->s = chat_session_new(h, chat_sink_conn(&c->sink), CHAT_MODE_NONE);
    chat_session_set_addr(s, addr);
    chat_session_set_user(s, u->name, NULL, u, sid);
    chat_session_set_joined(s);
    for (size_t i = 1; i < chat_hub_nchannels(h); i++) {
        chat_channel_t *ch = chat_hub_channel_at(h, i);
        if (chat_channel_has_user(ch, u->id))
            chat_session_enter(s, ch);
    }
    json_request(s, request, len);
    return c;
}

void chat_call_end(chat_call_t *c)
{
    c->answered = true; /* nothing more reaches cb */
    chat_session_end(c->s, false);
    chat_history_abandon(c->s);
    chat_session_unref(c->s);
    free(c);
}

/* ---- the door ---- */

/* A text-mode socket that may not chat: no error channel, so a policy close, and a
 * session that never joins anything. */
static void refuse_text(chat_session_t *s, const char *why)
{
    chat_session_close_conn(s, WS_CLOSE_POLICY, why);
    chat_session_set_mode(s, CHAT_MODE_NONE);
}

chat_session_t *chat_open(chat_hub_t *h, void *conn, chat_mode_t mode, const char *client_id,
                          const chat_creds_t *creds)
{
    chat_session_t *s = chat_session_new(h, conn, mode);
    chat_session_set_addr(s, creds ? creds->addr : "");
    if (mode != CHAT_MODE_CLIENTID) {
        chat_session_set_creds(s, creds);
        return s;
    }
    auth_t *a = chat_hub_auth(h);
    const auth_user_t *u = NULL;
    if (!auth_config(a)->guests) {
        refuse_text(s, "guests are not allowed on this server: sign in");
        return s;
    }
    if (auth_guest_clientid(a, client_id, &u) != AUTH_OK) {
        refuse_text(s, "that client id may not chat here");
        return s;
    }
    const char *name = u->name;
    bool first = false;
    chat_presence_t *p = chat_online_add(h, name, &first);
    chat_session_set_user(s, name, p, u, 0);
    chat_session_enter(s, chat_hub_general(h));
    /* Everyone else hears of a user's first socket; the newcomer always gets its own line
     * (seed 003), even in a channel too large for presence broadcasts. */
    if (first)
        chat_online_announce(h, name, true, conn);
    buf_t b = BUF_INIT;
    buf_appendf(&b, "%s has entered the chat", name);
    chat_session_send(s, &b);
    buf_deinit(&b);
    return s;
}

void chat_text(chat_session_t *s, const char *text, size_t len)
{
    if (chat_session_mode(s) == CHAT_MODE_AUTO) {
        size_t i = 0;
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
            i++;
        if (i < len && text[i] == '{') {
            chat_session_set_mode(s, CHAT_MODE_JSON);
        } else if (!auth_config(chat_hub_auth(chat_session_hub(s)))->guests) {
            refuse_text(s, "guests are not allowed on this server: sign in");
            return;
        } else {
            chat_session_set_creds(s, NULL);
            chat_session_set_mode(s, CHAT_MODE_LINE);
            chat_session_enter(s, chat_hub_general(chat_session_hub(s)));
        }
    }
    if (chat_session_mode(s) == CHAT_MODE_JSON)
        json_request(s, text, len);
    else if (chat_session_mode(s) == CHAT_MODE_LINE)
        line_message(s, text, len);
    else if (chat_session_mode(s) == CHAT_MODE_CLIENTID)
        chat_event_text_line(s, chat_session_name(s), text, len);
}

void chat_binary(chat_session_t *s, const uint8_t *data, size_t len)
{
    (void)data;
    (void)len;
    chat_mode_t m = chat_session_mode(s);
    if (m == CHAT_MODE_JSON || m == CHAT_MODE_AUTO)
        chat_session_error(s, "bad_json", "binary frames are not accepted; send JSON as text", "");
}

void chat_drained(chat_session_t *s)
{
    chat_history_drained(s);
}

void chat_close(chat_session_t *s)
{
    /* A join still waiting for its welcome was never announced. */
    bool announce = !chat_join_waiting(s);
    chat_join_abandon(s);
    chat_session_end(s, announce);
    chat_history_abandon(s);
    chat_session_unref(s);
}
