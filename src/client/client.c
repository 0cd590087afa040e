/* client - the public client object and its actions; the link's life is in
 * client_session.c. */
#include "client/client.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "base/xmalloc.h"
#include "client/client_int.h"

static void timer_init(client_t *c, uv_timer_t *t)
{
    uv_timer_init(c->loop, t);
    t->data = c;
    c->handles++;
}

client_t *client_new(uv_loop_t *loop, const client_opts_t *o, const char **err)
{
    client_url_t u;
    if (!o || !o->url) {
        *err = "no URL";
        return NULL;
    }
    if (client_url_parse(o->url, &u, err) < 0)
        return NULL;
    if ((!o->token || !o->token[0]) && (!o->name || !o->name[0])) {
        *err = "neither a token nor a guest name";
        return NULL;
    }
    char why[512];
    net_tls_ctx_t *tls = NULL;
    if (u.tls) {
        tls = net_tls_client_ctx_new(o->ca_file, o->insecure, why, sizeof(why));
        if (!tls) {
            *err = "cannot set up TLS (the CA file?)";
            return NULL;
        }
    }
    client_t *c = xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->url = u;
    c->cb = o->cb;
    c->ud = o->ud;
    c->token = o->token && o->token[0] ? xstrdup(o->token) : NULL;
    c->name = o->name ? xstrdup(o->name) : NULL;
    c->user = xstrdup("");
    c->tls = tls;
    client_track_init(&c->track);
    timer_init(c, &c->retry_timer);
    timer_init(c, &c->ping_timer);
    timer_init(c, &c->pong_timer);
    timer_init(c, &c->send_timer);
    timer_init(c, &c->defer_timer);
    return c;
}

int client_start(client_t *c)
{
    if (c->started || c->freeing)
        return CLIENT_EINVAL;
    c->started = true;
    c->attempt = 0;
    client_session_connect(c);
    return 0;
}

void client_stop(client_t *c)
{
    if (c->ws) {
        client_ws_close(c->ws, 1000);
        c->ws = NULL;
    }
    bool was = c->started;
    c->started = c->joined = c->ever_joined = false;
    uv_timer_stop(&c->retry_timer);
    uv_timer_stop(&c->ping_timer);
    uv_timer_stop(&c->pong_timer);
    uv_timer_stop(&c->send_timer);
    client_session_fail_later(c, client_track_take_all(&c->track), "stopped");
    if (was)
        client_session_set_status(c, CLIENT_OFFLINE, 0, "offline");
}

static void on_timer_closed(uv_handle_t *h)
{
    client_t *c = h->data;
    if (--c->handles > 0)
        return;
    void (*done)(void *) = c->done;
    void *arg = c->done_arg;
    for (client_req_t *r = c->to_fail; r;) {
        client_req_t *next = r->next;
        client_track_free(r);
        r = next;
    }
    client_track_deinit(&c->track);
    net_tls_ctx_free(c->tls);
    free(c->token);
    free(c->name);
    free(c->user);
    free(c->session);
    free(c);
    if (done)
        done(arg);
}

void client_free(client_t *c, void (*done)(void *arg), void *arg)
{
    if (!c || c->freeing)
        return;
    memset(&c->cb, 0, sizeof(c->cb)); /* nothing more is told */
    client_stop(c);
    c->freeing = true;
    c->done = done;
    c->done_arg = arg;
    uv_timer_t *timers[] = {&c->retry_timer, &c->ping_timer, &c->pong_timer, &c->send_timer,
                            &c->defer_timer};
    for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
        uv_close((uv_handle_t *)timers[i], on_timer_closed);
}

void client_resume_from(client_t *c, const char *channel, int64_t seq)
{
    client_track_base(&c->track, channel, seq);
}

void client_reconnect_now(client_t *c)
{
    if (c->started && !c->ws && uv_is_active((uv_handle_t *)&c->retry_timer)) {
        c->attempt = 0;
        client_session_connect(c);
    }
}

client_status_t client_status(const client_t *c)
{
    return c->status;
}

const char *client_user(const client_t *c)
{
    return c->user ? c->user : "";
}

int64_t client_last_seq(const client_t *c, const char *channel)
{
    int64_t s = client_track_seq(&c->track, channel);
    return s < 0 ? 0 : s;
}

size_t client_outbox_size(const client_t *c)
{
    return c->track.n_keep;
}

/* ---- actions ---- */

/* Records and sends one request (payload's reference taken). keep: an outbox write,
 * accepted offline once joined before. */
static int64_t request(client_t *c, const char *type, json_t *payload, bool keep,
                       client_reply_cb cb, void *arg)
{
    if (!c->joined && !(keep && c->ever_joined)) {
        json_decref(payload);
        return CLIENT_EOFFLINE;
    }
    client_req_t *r = client_track_add(&c->track, type, payload, keep, (client_track_fn)cb, arg);
    json_decref(payload);
    if (c->joined && client_session_send(c, r) < 0 && !keep) {
        client_track_remove(&c->track, r);
        client_track_free(r);
        return CLIENT_EOFFLINE;
    }
    return r->no;
}

static bool cid_valid(const char *cid)
{
    size_t n = strlen(cid);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = cid[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* A fresh client key: 128 random bits in hex. */
static void new_cid(char out[33])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        abort();
    for (int i = 0; i < 16; i++) {
        out[(size_t)2 * i] = "0123456789abcdef"[b[i] >> 4];
        out[(size_t)2 * i + 1] = "0123456789abcdef"[b[i] & 15];
    }
    out[32] = '\0';
}

/* A keyed write: the payload gets a cid (the caller's, or a fresh one). */
static int64_t write_req(client_t *c, const char *type, json_t *p, const char *cid,
                         client_reply_cb cb, void *arg)
{
    char made[33];
    if (cid && !cid_valid(cid)) {
        json_decref(p);
        return CLIENT_EINVAL;
    }
    if (!cid) {
        new_cid(made);
        cid = made;
    }
    json_object_set_new(p, "cid", json_string(cid));
    return request(c, type, p, true, cb, arg);
}

int64_t client_send_msg(client_t *c, const char *channel, const char *text, int64_t thread,
                        const char *cid, client_reply_cb cb, void *arg)
{
    if (!channel || !text || !text[0])
        return CLIENT_EINVAL;
    json_t *p = json_pack("{s:s, s:s}", "channel", channel, "text", text);
    if (!p)
        return CLIENT_EINVAL; /* not UTF-8 */
    if (thread > 0)
        json_object_set_new(p, "thread", json_integer(thread));
    return write_req(c, "msg", p, cid, cb, arg);
}

int64_t client_edit(client_t *c, const char *channel, int64_t seq, const char *text,
                    client_reply_cb cb, void *arg)
{
    if (!channel || !text || !text[0] || seq <= 0)
        return CLIENT_EINVAL;
    json_t *p =
        json_pack("{s:s, s:I, s:s}", "channel", channel, "seq", (json_int_t)seq, "text", text);
    if (!p)
        return CLIENT_EINVAL;
    return write_req(c, "edit", p, NULL, cb, arg);
}

int64_t client_delete(client_t *c, const char *channel, int64_t seq, client_reply_cb cb, void *arg)
{
    if (!channel || seq <= 0)
        return CLIENT_EINVAL;
    json_t *p = json_pack("{s:s, s:I}", "channel", channel, "seq", (json_int_t)seq);
    return write_req(c, "delete", p, NULL, cb, arg);
}

int64_t client_react(client_t *c, const char *channel, int64_t seq, const char *emoji, int on,
                     client_reply_cb cb, void *arg)
{
    if (!channel || seq <= 0 || !emoji || !emoji[0] || strlen(emoji) > 32 ||
        strpbrk(emoji, " \t\n"))
        return CLIENT_EINVAL;
    json_t *p =
        json_pack("{s:s, s:I, s:s}", "channel", channel, "seq", (json_int_t)seq, "emoji", emoji);
    if (!p)
        return CLIENT_EINVAL;
    if (on >= 0)
        json_object_set_new(p, "on", json_boolean(on));
    return write_req(c, "react", p, NULL, cb, arg);
}

static int64_t channel_req(client_t *c, const char *type, const char *channel, client_reply_cb cb,
                           void *arg)
{
    json_t *p = channel ? json_pack("{s:s}", "channel", channel) : NULL;
    if (!p)
        return CLIENT_EINVAL;
    return request(c, type, p, false, cb, arg);
}

int64_t client_channel_join(client_t *c, const char *channel, client_reply_cb cb, void *arg)
{
    return channel_req(c, "channel_join", channel, cb, arg);
}

int64_t client_channel_leave(client_t *c, const char *channel, client_reply_cb cb, void *arg)
{
    return channel_req(c, "channel_leave", channel, cb, arg);
}

int64_t client_channel_members(client_t *c, const char *channel, client_reply_cb cb, void *arg)
{
    return channel_req(c, "channel_members", channel, cb, arg);
}

int64_t client_channel_create(client_t *c, const char *name, bool is_private, const char *topic,
                              client_reply_cb cb, void *arg)
{
    json_t *p = name ? json_pack("{s:s, s:b}", "name", name, "private", is_private) : NULL;
    if (!p)
        return CLIENT_EINVAL;
    if (topic && topic[0])
        json_object_set_new(p, "topic", json_string(topic));
    return request(c, "channel_create", p, false, cb, arg);
}

int64_t client_channel_invite(client_t *c, const char *channel, const char *user,
                              client_reply_cb cb, void *arg)
{
    json_t *p = channel && user ? json_pack("{s:s, s:s}", "channel", channel, "user", user) : NULL;
    if (!p)
        return CLIENT_EINVAL;
    return request(c, "channel_invite", p, false, cb, arg);
}

int64_t client_channel_topic(client_t *c, const char *channel, const char *topic,
                             client_reply_cb cb, void *arg)
{
    json_t *p =
        channel && topic ? json_pack("{s:s, s:s}", "channel", channel, "topic", topic) : NULL;
    if (!p)
        return CLIENT_EINVAL;
    return request(c, "channel_topic", p, false, cb, arg);
}

int64_t client_channel_list(client_t *c, const char *after, bool member_only, client_reply_cb cb,
                            void *arg)
{
    json_t *p = json_pack("{s:b, s:i}", "member", member_only, "limit", 500);
    if (after)
        json_object_set_new(p, "after", json_string(after));
    return request(c, "channel_list", p, false, cb, arg);
}

int64_t client_dm_open(client_t *c, const char *const *users, size_t n_users, client_reply_cb cb,
                       void *arg)
{
    if (!users || n_users < 1 || n_users > CLIENT_DM_MAX - 1)
        return CLIENT_EINVAL;
    json_t *a = json_array();
    for (size_t i = 0; i < n_users; i++)
        json_array_append_new(a, json_string(users[i]));
    return request(c, "dm_open", json_pack("{s:o}", "users", a), false, cb, arg);
}

int64_t client_history(client_t *c, const char *channel, int64_t before, int64_t after, int limit,
                       client_reply_cb cb, void *arg)
{
    if (!channel || limit < 0 || limit > 200)
        return CLIENT_EINVAL;
    json_t *p = json_pack("{s:s}", "channel", channel);
    if (!p)
        return CLIENT_EINVAL;
    if (before > 0)
        json_object_set_new(p, "before", json_integer(before));
    else if (after >= 0)
        json_object_set_new(p, "after", json_integer(after));
    if (limit > 0)
        json_object_set_new(p, "limit", json_integer(limit));
    return request(c, "history", p, false, cb, arg);
}

int64_t client_thread(client_t *c, const char *channel, int64_t parent, client_reply_cb cb,
                      void *arg)
{
    if (!channel || parent <= 0)
        return CLIENT_EINVAL;
    json_t *p = json_pack("{s:s, s:I}", "channel", channel, "seq", (json_int_t)parent);
    return request(c, "thread", p, false, cb, arg);
}

int64_t client_search(client_t *c, const char *q, const char *cursor, client_reply_cb cb, void *arg)
{
    json_t *p = q ? json_pack("{s:s}", "q", q) : NULL;
    if (!p)
        return CLIENT_EINVAL;
    if (cursor)
        json_object_set_new(p, "cursor", json_string(cursor));
    return request(c, "search", p, false, cb, arg);
}

int64_t client_read(client_t *c, const char *channel, int64_t seq, client_reply_cb cb, void *arg)
{
    if (!channel || seq < 0)
        return CLIENT_EINVAL;
    json_t *p = json_pack("{s:s, s:I}", "channel", channel, "seq", (json_int_t)seq);
    return request(c, "read", p, false, cb, arg);
}

int client_typing(client_t *c, const char *channel)
{
    if (!c->joined || !c->ws)
        return CLIENT_EOFFLINE;
    json_t *o = json_pack("{s:s, s:{s:s}}", "type", "typing", "payload", "channel", channel);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return CLIENT_EINVAL;
    int rc = client_ws_send(c->ws, text, strlen(text));
    free(text);
    return rc < 0 ? CLIENT_EOFFLINE : 0;
}

int64_t client_presence(client_t *c, bool away, client_reply_cb cb, void *arg)
{
    json_t *p = json_pack("{s:s}", "status", away ? "away" : "active");
    return request(c, "presence", p, false, cb, arg);
}

int64_t client_request(client_t *c, const char *type, json_t *payload, client_reply_cb cb,
                       void *arg)
{
    if (!type || !type[0])
        return CLIENT_EINVAL;
    return request(c, type, payload ? json_incref(payload) : NULL, false, cb, arg);
}
