/* client_session - the link's life: connect, join (with the resume of every channel we
 * know after a reconnect), the frames from the server, the outbox sent again, the
 * heartbeat, and reconnecting with backoff. The web client's conn.js, in C. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "base/xmalloc.h"
#include "client/client_int.h"

/* Join refusals: the server will not have us as asked, and retrying changes nothing. */
static const char *const REFUSALS[] = {"name_taken",    "bad_name", "auth_failed",
                                       "auth_required", "banned",   "bad_payload"};

void client_session_set_status(client_t *c, client_status_t st, int secs, const char *text)
{
    c->status = st;
    if (c->cb.status)
        c->cb.status(c, st, secs, text, c->ud);
}

/* ---- requests ---- */

static void reply_error(client_t *c, client_req_t *r, const char *code, const char *message)
{
    client_reply_t rep = {.type = "error", .code = code, .message = message};
    if (r->cb)
        ((client_reply_cb)r->cb)(c, &rep, r->arg);
}

static void on_defer(uv_timer_t *t)
{
    client_t *c = t->data;
    while (c->to_fail) {
        client_req_t *r = c->to_fail;
        c->to_fail = r->next;
        r->next = NULL;
        reply_error(c, r, c->fail_code,
                    !strcmp(c->fail_code, "stopped") ? "the client stopped"
                                                     : "the connection dropped");
        client_track_free(r);
    }
}

void client_session_fail_later(client_t *c, client_req_t *chain, const char *code)
{
    if (!chain)
        return;
    /* Failures of one kind at a time: a chain still pending goes first, with its code. */
    if (c->to_fail && strcmp(c->fail_code, code) != 0)
        on_defer(&c->defer_timer);
    client_req_t **tail = &c->to_fail;
    while (*tail)
        tail = &(*tail)->next;
    *tail = chain;
    c->fail_code = code;
    uv_timer_start(&c->defer_timer, on_defer, 0, 0);
}

static int send_json(client_t *c, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT);
    int rc = text && c->ws ? client_ws_send(c->ws, text, strlen(text)) : -1;
    free(text);
    return rc;
}

int client_session_send(client_t *c, client_req_t *r)
{
    char id[32];
    snprintf(id, sizeof(id), "c%lld", (long long)r->no);
    json_t *o = json_pack("{s:s, s:s}", "type", r->type, "id", id);
    if (r->payload)
        json_object_set(o, "payload", r->payload);
    int rc = send_json(c, o);
    json_decref(o);
    if (rc == 0) {
        r->sent = true;
        r->tries++;
    }
    return rc;
}

static void on_send_timer(uv_timer_t *t)
{
    client_session_flush(t->data);
}

/* Sends the outbox's unsent writes whose time has come, oldest first; arms the timer for
 * the first that must wait. */
void client_session_flush(client_t *c)
{
    if (!c->joined)
        return;
    uint64_t now = uv_now(c->loop), wait = 0;
    for (client_req_t *r = c->track.head; r; r = r->next) {
        if (r->sent)
            continue;
        if (r->not_before > now) {
            uint64_t w = r->not_before - now;
            if (!wait || w < wait)
                wait = w;
            continue;
        }
        if (client_session_send(c, r) < 0)
            break;
    }
    if (wait)
        uv_timer_start(&c->send_timer, on_send_timer, wait, 0);
}

/* ---- the heartbeat ---- */

static void on_pong_timeout(uv_timer_t *t)
{
    client_t *c = t->data;
    /* No frame at all for a while: the link is dead without having said so. */
    client_session_drop(c, true);
}

static void on_ping(uv_timer_t *t)
{
    client_t *c = t->data;
    json_t *o = json_pack("{s:s}", "type", "ping");
    send_json(c, o);
    json_decref(o);
    if (!uv_is_active((uv_handle_t *)&c->pong_timer))
        uv_timer_start(&c->pong_timer, on_pong_timeout, CLIENT_PONG_TIMEOUT_MS, 0);
}

static void heartbeat_stop(client_t *c)
{
    uv_timer_stop(&c->ping_timer);
    uv_timer_stop(&c->pong_timer);
}

/* ---- reconnecting ---- */

static void on_retry_tick(uv_timer_t *t)
{
    client_t *c = t->data;
    uint64_t now = uv_now(c->loop);
    if (now >= c->reconnect_at) {
        uv_timer_stop(&c->retry_timer);
        client_session_connect(c);
        return;
    }
    uint64_t left = c->reconnect_at - now;
    int secs = (int)((left + 999) / 1000);
    char text[64];
    snprintf(text, sizeof(text), "reconnecting in %d s", secs);
    client_session_set_status(c, CLIENT_RECONNECTING, secs, text);
    uv_timer_start(&c->retry_timer, on_retry_tick, left % 1000 ? left % 1000 : 1000, 0);
}

static void schedule_reconnect(client_t *c, bool restarting)
{
    double delay = CLIENT_BACKOFF_MIN_MS * pow(2, c->attempt < 16 ? c->attempt : 16);
    if (delay > CLIENT_BACKOFF_MAX_MS)
        delay = CLIENT_BACKOFF_MAX_MS;
    if (restarting && c->attempt == 0)
        delay = CLIENT_RESTART_DELAY_MS;
    uint32_t rnd = 0;
    (void)RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
    delay *= 1 + ((double)rnd / UINT32_MAX * 2 - 1) * CLIENT_BACKOFF_JITTER;
    c->attempt++;
    c->reconnect_at = uv_now(c->loop) + (uint64_t)delay;
    on_retry_tick(&c->retry_timer);
}

/* The server will not have us: nothing reconnects, everything waiting fails. */
static void give_up(client_t *c, const char *code, const char *message)
{
    if (c->ws) {
        client_ws_close(c->ws, 1000);
        c->ws = NULL;
    }
    c->joined = false;
    c->ever_joined = false;
    c->started = false;
    heartbeat_stop(c);
    uv_timer_stop(&c->retry_timer);
    client_session_fail_later(c, client_track_take_all(&c->track), "stopped");
    client_session_set_status(c, CLIENT_OFFLINE, 0, message);
    if (c->cb.refused)
        c->cb.refused(c, code, message, c->ud);
}

/* The link is gone (the socket closed, or close_socket: we close it, as dead): requests
 * without an outbox entry fail, and a reconnect is scheduled. */
void client_session_drop(client_t *c, bool close_socket)
{
    if (close_socket && c->ws) {
        client_ws_close(c->ws, 1001);
    }
    c->ws = NULL;
    c->joined = false;
    heartbeat_stop(c);
    client_session_fail_later(c, client_track_drop(&c->track), "disconnected");
    schedule_reconnect(c, false);
}

static void on_ws_closed(client_ws_t *w, int code, const char *why, bool opened, int http_status,
                         void *ud)
{
    (void)w;
    (void)opened;
    client_t *c = ud;
    c->ws = NULL;
    if (code == 4001 || code == 4003 || code == 4004) {
        give_up(c,
                code == 4001   ? "signed_out"
                : code == 4003 ? "banned"
                               : "deactivated",
                code == 4001   ? "the session was signed out"
                : code == 4003 ? "the user was banned"
                               : "the user was deactivated");
        return;
    }
    if (!c->ever_joined) {
        char msg[512];
        if (http_status)
            snprintf(msg, sizeof(msg), "%s (is the URL parley's, with its base path?)", why);
        else
            snprintf(msg, sizeof(msg), "%s", why && why[0] ? why : "the connection failed");
        give_up(c, "unreachable", msg);
        return;
    }
    c->joined = false;
    heartbeat_stop(c);
    client_session_fail_later(c, client_track_drop(&c->track), "disconnected");
    schedule_reconnect(c, code == 1001);
}

/* ---- joining ---- */

static void on_ws_open(client_ws_t *w, void *ud)
{
    (void)w;
    client_t *c = ud;
    json_t *p = json_object();
    if (c->token) {
        json_object_set_new(p, "token", json_string(c->token));
    } else {
        json_object_set_new(p, "user", json_string(c->user && c->user[0] ? c->user : c->name));
        if (c->session && c->session[0])
            json_object_set_new(p, "session", json_string(c->session));
    }
    json_object_set_new(p, "channel", json_string("general"));
    json_object_set_new(p, "events", json_true());
    /* The resume rides on the join: served as one with it, every row comes exactly once. */
    json_t *resume = client_track_resume(&c->track);
    c->resume_pending = resume != NULL;
    if (resume)
        json_object_set_new(p, "resume", resume);
    json_t *o = json_pack("{s:s, s:s, s:o}", "type", "join", "id", "join", "payload", p);
    send_json(c, o);
    json_decref(o);
}

static const char **names_of(const json_t *a, size_t *n)
{
    *n = json_array_size(a);
    const char **v = xcalloc(*n + 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s)
            v[k++] = s;
    }
    *n = k;
    return v;
}

/* Channels we tracked and the welcome no longer lists were left (or deleted) while we
 * were away: forgotten, and told. */
static void prune(client_t *c, const client_channel_t *v, size_t n)
{
    for (size_t i = 0; i < c->track.n_seen;) {
        const char *name = c->track.seen[i].name;
        bool listed = false;
        for (size_t k = 0; k < n && !listed; k++)
            listed = !strcmp(v[k].name, name);
        if (listed) {
            i++;
            continue;
        }
        char *gone = xstrdup(name);
        client_track_forget(&c->track, gone); /* moves the last entry into slot i */
        if (c->cb.channel_left)
            c->cb.channel_left(c, gone, c->ud);
        free(gone);
    }
}

/* The join's resume was refused as a whole (a channel in it is gone): it is asked again,
 * for the channels we are in now. Rows that come twice meanwhile are dropped by seq. */
static bool resume_again(client_t *c, const char *code)
{
    if (!c->resume_pending || !code ||
        (strcmp(code, "no_such_channel") != 0 && strcmp(code, "forbidden") != 0 &&
         strcmp(code, "bad_payload") != 0))
        return false;
    c->resume_pending = false;
    json_t *resume = client_track_resume(&c->track);
    if (!resume)
        return true;
    client_req_t *r = client_track_add(&c->track, "resume", NULL, false, NULL, NULL);
    r->payload = json_pack("{s:o}", "channels", resume);
    client_session_send(c, r);
    return true;
}

static void on_welcome(client_t *c, const json_t *p)
{
    bool reconnected = c->ever_joined;
    c->joined = true;
    c->ever_joined = true;
    c->attempt = 0;
    uv_timer_stop(&c->retry_timer);
    const char *user = json_string_value(json_object_get(p, "user"));
    if (user) {
        free(c->user);
        c->user = xstrdup(user);
    }
    const char *session = json_string_value(json_object_get(p, "session"));
    if (session && session[0]) {
        free(c->session);
        c->session = xstrdup(session);
    }
    const json_t *chans = json_object_get(p, "channels");
    size_t n = json_array_size(chans);
    client_channel_t *v = xcalloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        client_channel_parse(json_array_get(chans, i), &v[i]);
    if (reconnected && !json_is_true(json_object_get(p, "channels_more")))
        prune(c, v, n);
    for (size_t i = 0; i < n; i++)
        client_track_base(&c->track, v[i].name, v[i].last_seq);
    client_welcome_t w = {
        .user = c->user ? c->user : "",
        .display_name = json_string_value(json_object_get(p, "display_name")),
        .role = json_string_value(json_object_get(p, "role")),
        .guest = json_is_true(json_object_get(p, "guest")),
        .channels = v,
        .n_channels = n,
        .channels_more = json_is_true(json_object_get(p, "channels_more")),
        .online_count = json_integer_value(json_object_get(p, "online_count")),
        .raw = p,
    };
    if (!w.display_name)
        w.display_name = "";
    if (!w.role)
        w.role = "";
    const char **online = names_of(json_object_get(p, "online"), &w.n_online);
    const char **away = names_of(json_object_get(p, "away"), &w.n_away);
    w.online = online;
    w.away = away;
    uv_timer_start(&c->ping_timer, on_ping, CLIENT_PING_MS, CLIENT_PING_MS);
    client_session_set_status(c, CLIENT_CONNECTED, 0, "connected");
    if (c->cb.welcome)
        c->cb.welcome(c, &w, reconnected, c->ud);
    free(v);
    free(online);
    free(away);
    /* Writes that waited go now: the server runs requests sent behind the join after it. */
    client_session_flush(c);
}

/* ---- frames ---- */

static void deliver_row(client_t *c, const json_t *row)
{
    client_msg_t m;
    if (client_msg_parse(c, row, &m) < 0)
        return;
    if (!client_track_accept(&c->track, m.channel, m.seq))
        return;
    if (c->cb.msg)
        c->cb.msg(c, &m, client_msg_mentions(&m, c->user), c->ud);
}

static void on_resumed(client_t *c, const json_t *p)
{
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(p, "channels"), name, v)
    {
        if (c->cb.resumed)
            c->cb.resumed(c, name, json_integer_value(json_object_get(v, "from")),
                          json_integer_value(json_object_get(v, "to")),
                          json_is_true(json_object_get(v, "recovered")), c->ud);
    }
}

/* The events that change state for every tab: our callbacks, whether or not they also
 * answer a request of ours. */
static void on_event(client_t *c, const char *type, const json_t *p)
{
    if (!strcmp(type, "msg") || !strcmp(type, "edit") || !strcmp(type, "delete") ||
        !strcmp(type, "react") || !strcmp(type, "pin") || !strcmp(type, "channel_event")) {
        deliver_row(c, p);
    } else if (!strcmp(type, "history")) {
        /* The join's or a channel_join's page: only what is newer than we know is news. */
        const json_t *rows = json_object_get(p, "messages");
        for (size_t i = 0; i < json_array_size(rows); i++)
            deliver_row(c, json_array_get(rows, i));
    } else if (!strcmp(type, "resumed")) {
        c->resume_pending = false;
        on_resumed(c, p);
    } else if (!strcmp(type, "channel")) {
        client_channel_t ch;
        client_channel_parse(json_object_get(p, "channel"), &ch);
        if (!ch.name[0])
            return;
        client_track_base(&c->track, ch.name, ch.last_seq);
        if (c->cb.channel)
            c->cb.channel(c, &ch, c->ud);
    } else if (!strcmp(type, "channel_left")) {
        const char *ch = json_string_value(json_object_get(p, "channel"));
        if (!ch)
            return;
        client_track_forget(&c->track, ch);
        if (c->cb.channel_left)
            c->cb.channel_left(c, ch, c->ud);
    } else if (!strcmp(type, "typing")) {
        const char *ch = json_string_value(json_object_get(p, "channel"));
        const char *u = json_string_value(json_object_get(p, "user"));
        if (ch && u && c->cb.typing)
            c->cb.typing(c, ch, u, c->ud);
    } else if (!strcmp(type, "join") || !strcmp(type, "leave")) {
        const char *ch = json_string_value(json_object_get(p, "channel"));
        const char *u = json_string_value(json_object_get(p, "user"));
        bool in = !strcmp(type, "join");
        if (!ch || !u)
            return;
        if (!strcmp(ch, "general") && c->cb.presence)
            c->cb.presence(c, u, in ? "online" : "offline", c->ud);
        else if (strcmp(ch, "general") != 0 && c->cb.member)
            c->cb.member(c, ch, u, in, c->ud);
    } else if (!strcmp(type, "presence")) {
        const char *u = json_string_value(json_object_get(p, "user"));
        const char *st = json_string_value(json_object_get(p, "status"));
        if (u && st && c->cb.presence)
            c->cb.presence(c, u, st, c->ud);
    } else if (!strcmp(type, "topic")) {
        const char *ch = json_string_value(json_object_get(p, "channel"));
        const char *topic = json_string_value(json_object_get(p, "topic"));
        const char *u = json_string_value(json_object_get(p, "user"));
        if (ch && topic && c->cb.topic)
            c->cb.topic(c, ch, topic, u ? u : "", c->ud);
    } else if (!strcmp(type, "read")) {
        const char *ch = json_string_value(json_object_get(p, "channel"));
        if (ch && c->cb.read)
            c->cb.read(c, ch, json_integer_value(json_object_get(p, "seq")), c->ud);
    }
}

/* Answers that are also events for every tab (conn.js's SHARED_ANSWERS). */
static bool shared_answer(const char *type)
{
    return !strcmp(type, "channel") || !strcmp(type, "channel_left") || !strcmp(type, "read") ||
           !strcmp(type, "topic") || !strcmp(type, "resumed");
}

/* A write of the outbox the server could not take now: it goes again later. */
static bool retry_later(client_t *c, client_req_t *r, const char *code, const json_t *frame)
{
    if (!r->keep)
        return false;
    uint64_t wait;
    if (!strcmp(code, "rate_limited")) {
        const json_t *ms = json_object_get(frame, "retry_after_ms");
        wait = json_is_integer(ms) && json_integer_value(ms) > 0 ? (uint64_t)json_integer_value(ms)
                                                                 : 1000;
    } else if (!strcmp(code, "unavailable")) {
        wait = CLIENT_UNAVAILABLE_RETRY_MS;
    } else {
        return false;
    }
    r->sent = false;
    r->not_before = uv_now(c->loop) + wait;
    client_session_flush(c);
    return true;
}

static void on_answer(client_t *c, client_req_t *r, const char *type, const json_t *frame,
                      const json_t *p)
{
    if (!strcmp(type, "error")) {
        const char *code = json_string_value(json_object_get(frame, "code"));
        const char *message = json_string_value(json_object_get(frame, "message"));
        if (!code)
            code = "error";
        if (retry_later(c, r, code, frame))
            return;
        client_track_remove(&c->track, r);
        reply_error(c, r, code, message ? message : code);
        client_track_free(r);
        return;
    }
    client_track_remove(&c->track, r);
    client_reply_t rep = {.type = type, .payload = p};
    if (!strcmp(type, "ack")) {
        rep.seq = json_integer_value(json_object_get(p, "seq"));
        rep.duplicate = json_is_true(json_object_get(p, "duplicate"));
    }
    if (r->cb)
        ((client_reply_cb)r->cb)(c, &rep, r->arg);
    client_track_free(r);
}

/* A `topic` without an id answers our channel_topic of that channel (the server sends the
 * requester the event everyone gets). */
static client_req_t *topic_request(client_t *c, const json_t *p)
{
    const char *ch = json_string_value(json_object_get(p, "channel"));
    for (client_req_t *r = c->track.head; ch && r; r = r->next)
        if (r->sent && !strcmp(r->type, "channel_topic") &&
            !strcmp(json_string_value(json_object_get(r->payload, "channel")), ch))
            return r;
    return NULL;
}

static void on_ws_message(client_ws_t *w, const char *text, size_t len, void *ud)
{
    (void)w;
    client_t *c = ud;
    json_error_t jerr;
    json_t *frame = json_loadb(text, len, 0, &jerr);
    const char *type = json_string_value(json_object_get(frame, "type"));
    if (!frame || !type) {
        json_decref(frame);
        return;
    }
    /* Any frame proves the link alive, even a pong behind a burst of messages. */
    uv_timer_stop(&c->pong_timer);
    json_t *p = json_object_get(frame, "payload");
    json_t *empty = NULL;
    if (!json_is_object(p))
        p = empty = json_object();
    const json_t *id = json_object_get(frame, "id");
    if (!strcmp(type, "welcome")) {
        on_welcome(c, p);
    } else if (!strcmp(type, "error") && !c->joined) {
        const char *code = json_string_value(json_object_get(frame, "code"));
        const char *message = json_string_value(json_object_get(frame, "message"));
        bool refusal = !code;
        for (size_t i = 0; code && i < sizeof(REFUSALS) / sizeof(REFUSALS[0]); i++)
            refusal |= !strcmp(code, REFUSALS[i]);
        if (refusal || (json_string_value(id) && !strcmp(json_string_value(id), "join"))) {
            give_up(c, code ? code : "error", message ? message : "the join was refused");
            goto done;
        }
    } else if (strcmp(type, "pong") != 0) {
        client_req_t *r = client_track_find_id(&c->track, id);
        if (!r && !id && !strcmp(type, "topic"))
            r = topic_request(c, p);
        if (!r || shared_answer(type))
            on_event(c, type, p);
        if (!r && !strcmp(type, "error") &&
            !resume_again(c, json_string_value(json_object_get(frame, "code"))) && c->cb.error)
            c->cb.error(c, json_string_value(json_object_get(frame, "code")),
                        json_string_value(json_object_get(frame, "message")), NULL, c->ud);
        if (r)
            on_answer(c, r, type, frame, p);
    }
    if (c->cb.frame && c->started)
        c->cb.frame(c, type, frame, c->ud);
done:
    json_decref(empty);
    json_decref(frame);
}

void client_session_connect(client_t *c)
{
    uv_timer_stop(&c->retry_timer);
    client_session_set_status(c, CLIENT_CONNECTING, 0, "connecting");
    static const client_ws_cb_t cb = {on_ws_open, on_ws_message, on_ws_closed};
    c->ws = client_ws_open(c->loop, &c->url, c->tls, c->token, &cb, c);
}
