/* chat_rooms - channel and membership requests; see chat_rooms.h.
 *
 * A change's context (change_t) lives from the request to its commit: it holds a reference
 * to the requesting session (which may close meanwhile: then only the others hear of it)
 * and the user it concerns. On commit the user's connected sessions are linked into or out
 * of the channel; the requester's copy of the event is its reply (with the request id),
 * the user's other sessions get theirs through the hub's funnel. */
#include "chat/chat_rooms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/utf8.h"
#include "auth/auth_name.h"
#include "base/xmalloc.h"
#include "chat/chat_history.h"

enum { CH_CREATE, CH_JOIN, CH_LEAVE, CH_INVITE, CH_TOPIC, CH_DM, CH_READ, CH_KICK };

typedef struct {
    int op;
    chat_channel_t *ch;
    chat_session_t *s; /* the requester, referenced */
    char *user;        /* whom it concerns: the name shown */
    uint64_t uid;      /* and who it is */
    char *old_topic;   /* CH_TOPIC: the topic it replaced, put back if the store fails */
    uint64_t old_read; /* CH_READ: the marker it moved, likewise */
    char id[CHAT_ID_MAX];
} change_t;

/* ---- events ---- */

blob_t *chat_rooms_channel_frame(chat_hub_t *h, const chat_channel_t *ch, uint64_t user,
                                 const char *id)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"channel\"");
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    chat_channel_json(ch, chat_hub_auth(h), user, chat_hub_member_count(h, ch), -1, &b);
    buf_append_str(&b, "}}");
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

/* {"type":type[,"id"],"payload":{"channel"[,"user"]}} */
blob_t *chat_rooms_named_frame(const char *type, const chat_channel_t *ch, const char *user,
                               const char *id)
{
    const char *name = chat_channel_name(ch);
    buf_t b = BUF_INIT;
    buf_appendf(&b, "{\"type\":\"%s\"", type);
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, name, strlen(name));
    if (user) {
        buf_append_str(&b, ",\"user\":");
        json_append_string(&b, user, strlen(user));
    }
    buf_append_str(&b, "}}");
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

static void reply(chat_session_t *s, blob_t *frame)
{
    chat_session_send_frame(s, frame);
    blob_unref(frame);
}

/* Whether the requester is one of user's connected sessions. */
static bool is_users(const change_t *c)
{
    return chat_session_conn(c->s) && chat_session_joined(c->s) &&
           chat_session_user(c->s)->id == c->uid;
}

/* Tells user's sessions of a change: the requester's copy (if it is one of them, or
 * `always`) carries the id; the others get `plain` through the funnel. */
static void tell_user(change_t *c, blob_t *plain, blob_t *with_id, bool always)
{
    chat_hub_t *h = chat_session_hub(c->s);
    chat_emit_t e = {.json = plain, .except = chat_session_conn(c->s), .user = c->user};
    chat_hub_emit(h, c->ch, &e);
    if (always || is_users(c))
        chat_session_send_frame(c->s, with_id);
    blob_unref(plain);
    blob_unref(with_id);
}

size_t chat_rooms_link_user(chat_hub_t *h, chat_channel_t *ch, uint64_t uid, const char *name,
                            bool enter, chat_session_t *requester, const char *id, bool always)
{
    chat_presence_t *p = name ? chat_presence_find(chat_hub_presence(h), name) : NULL;
    chat_link_t *const *links = NULL;
    size_t n = p ? chat_presence_links(p, &links) : 0;
    /* Entering and exiting edit the links' sessions, not the presence's array. */
    for (size_t i = 0; i < n; i++) {
        if (enter)
            chat_session_enter(links[i]->s, ch);
        else
            chat_session_exit(links[i]->s, ch);
    }
    blob_t *plain = enter ? chat_rooms_channel_frame(h, ch, uid, NULL)
                          : chat_rooms_named_frame("channel_left", ch, NULL, NULL);
    const void *rc = requester ? chat_session_conn(requester) : NULL;
    chat_emit_t e = {.json = plain, .except = rc, .user = name};
    if (n)
        chat_hub_emit(h, ch, &e);
    bool theirs = rc && chat_session_joined(requester) && chat_session_user(requester)->id == uid;
    if (requester && (always || theirs)) {
        blob_t *with_id = enter ? chat_rooms_channel_frame(h, ch, uid, id)
                                : chat_rooms_named_frame("channel_left", ch, NULL, id);
        chat_session_send_frame(requester, with_id);
        blob_unref(with_id);
    }
    blob_unref(plain);
    return n;
}

/* Links every connected session of c->user into c->ch and tells each; with want_history
 * the requester also gets the channel's history. */
static void link_user(change_t *c, bool want_history)
{
    chat_rooms_link_user(chat_session_hub(c->s), c->ch, c->uid, c->user, true, c->s, c->id, false);
    chat_link_t *l = chat_session_link(c->s, c->ch);
    if (want_history && is_users(c) && l)
        chat_history_join(c->s, l, false);
}

/* always: the requester gets the id'd copy even when it is not one of the user's
 * sessions (a leave answered on a connection that raced its own close). */
static void unlink_user(change_t *c, bool always)
{
    chat_rooms_link_user(chat_session_hub(c->s), c->ch, c->uid, c->user, false, c->s, c->id,
                         always);
}

blob_t *chat_rooms_topic_frame(const chat_channel_t *ch, const char *user, int64_t ts,
                               const char *id)
{
    const char *name = chat_channel_name(ch), *topic = chat_channel_topic(ch);
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"topic\"");
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, name, strlen(name));
    buf_append_str(&b, ",\"topic\":");
    json_append_string(&b, topic, strlen(topic));
    buf_append_str(&b, ",\"user\":");
    json_append_string(&b, user, strlen(user));
    buf_appendf(&b, ",\"ts\":%lld}}", (long long)ts);
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

/* The new topic to the channel's members; the requester's copy is its answer. */
static void topic_event(change_t *c)
{
    int64_t ts = clock_wall_ms();
    blob_t *f = chat_rooms_topic_frame(c->ch, c->user, ts, NULL);
    chat_emit_t e = {.json = f, .except = chat_session_conn(c->s)};
    chat_hub_emit(chat_session_hub(c->s), c->ch, &e);
    blob_unref(f);
    f = chat_rooms_topic_frame(c->ch, c->user, ts, c->id);
    if (chat_session_link(c->s, c->ch)) /* as a member, like everyone told */
        chat_session_send_frame(c->s, f);
    blob_unref(f);
}

blob_t *chat_rooms_read_frame(const chat_channel_t *ch, uint64_t seq, const char *id)
{
    const char *name = chat_channel_name(ch);
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"read\"");
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, name, strlen(name));
    buf_appendf(&b, ",\"seq\":%llu}}", (unsigned long long)seq);
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

/* ---- changes, after their commit ---- */

/* The store could not keep it: what was applied in memory at the request is put back, so a
 * retry finds things as they were. A channel whose creation failed stays in memory as
 * unstored, with no members: its name is free, and a retry adopts it. */
static void change_failed(change_t *c, int status)
{
    if (c->op == CH_JOIN || c->op == CH_INVITE || c->op == CH_CREATE)
        chat_channel_user_remove(c->ch, c->uid);
    else if (c->op == CH_LEAVE || c->op == CH_KICK)
        chat_channel_user_add(c->ch, c->uid);
    else if (c->op == CH_TOPIC)
        chat_channel_set_topic(c->ch, c->old_topic);
    else if (c->op == CH_READ)
        chat_channel_read_restore(c->ch, c->uid, c->old_read);
    if (c->op == CH_CREATE || c->op == CH_DM) {
        chat_channel_set_unstored(c->ch, true);
        while (chat_channel_nusers(c->ch))
            chat_channel_user_remove(c->ch, chat_channel_user_at(c->ch, 0));
    }
    if (!chat_session_conn(c->s))
        return;
    if (status == STORE_ECONFLICT) /* another process made a channel of that name first */
        chat_session_error(c->s, "channel_exists", "a channel with that name exists", c->id);
    else
        chat_session_error(c->s, "unavailable", CHAT_UNAVAILABLE_TEXT, c->id);
}

static void on_changed(void *ctx, int status)
{
    change_t *c = ctx;
    chat_hub_t *h = chat_session_hub(c->s);
    if (status < 0) {
        change_failed(c, status);
    } else if (c->op == CH_CREATE) {
        link_user(c, false);
    } else if (c->op == CH_JOIN) {
        link_user(c, true);
        chat_hub_announce(h, c->ch, c->user, true, NULL);
    } else if (c->op == CH_LEAVE) {
        unlink_user(c, true);
        chat_hub_announce(h, c->ch, c->user, false, NULL);
    } else if (c->op == CH_KICK) {
        unlink_user(c, false);
        reply(c->s, chat_rooms_named_frame("kicked", c->ch, c->user, c->id));
        chat_hub_announce(h, c->ch, c->user, false, NULL);
    } else if (c->op == CH_INVITE) {
        link_user(c, false);
        reply(c->s, chat_rooms_named_frame("invited", c->ch, c->user, c->id));
        chat_hub_announce(h, c->ch, c->user, true, NULL);
    } else if (c->op == CH_TOPIC) {
        topic_event(c);
    } else if (c->op == CH_READ) {
        uint64_t seq = chat_channel_read_get(c->ch, c->uid);
        tell_user(c, chat_rooms_read_frame(c->ch, seq, NULL),
                  chat_rooms_read_frame(c->ch, seq, c->id), false);
    } else if (c->op == CH_DM) {
        for (size_t i = 0; i < chat_channel_nusers(c->ch); i++) {
            const auth_user_t *u = auth_user(chat_hub_auth(h), chat_channel_user_at(c->ch, i));
            if (!u)
                continue;
            free(c->user);
            c->user = xstrdup(u->name);
            c->uid = u->id;
            link_user(c, false);
        }
    }
    chat_session_unref(c->s);
    free(c->user);
    free(c->old_topic);
    free(c);
}

void chat_rooms_refuse(chat_session_t *s, const char *id)
{
    if (!chat_hub_available(chat_session_hub(s)))
        chat_session_error(s, "unavailable", CHAT_UNAVAILABLE_TEXT, id);
    else
        chat_session_error(s, "internal", "the server is shutting down", id);
}

static store_change_t change_of(const chat_channel_t *ch, store_change_kind_t kind, uint64_t user)
{
    return (store_change_t){.kind = kind,
                            .ch = chat_channel_row(ch),
                            .user_id = user,
                            .ts = clock_wall_ms(),
                            .seq = kind == STORE_READ ? chat_channel_read_get(ch, user) : 0};
}

/* The channel line a change leaves in the timeline (issue 14), or -1 for none: #general
 * (everyone, always) and direct messages (fixed members) have none. */
static int line_of(int op, const chat_channel_t *ch)
{
    if (chat_channel_is_general(ch) || chat_channel_kind(ch) == CHAT_KIND_DM)
        return -1;
    switch (op) {
    case CH_JOIN:
    case CH_INVITE:
        return CHAT_EV_JOINED;
    case CH_LEAVE:
    case CH_KICK:
        return CHAT_EV_LEFT;
    case CH_TOPIC:
        return CHAT_EV_TOPIC;
    default:
        return -1;
    }
}

/* Appends the change's line, in the group of the change itself so that a kill -9 keeps
 * both or neither; it goes out to the members after its commit, like any event. The
 * requester is who acted (user: whom it concerns). No ack: the change's answer is the
 * reply. */
static void publish_line(chat_session_t *s, chat_channel_t *ch, int kind, const auth_user_t *user)
{
    const auth_user_t *me = chat_session_user(s);
    const char *text = kind == CHAT_EV_TOPIC ? chat_channel_topic(ch) : user->name;
    chat_pub_t p = {.user = chat_session_name(s),
                    .user_id = me->id,
                    .guest = me->role == AUTH_GUEST,
                    .kind = (chat_ev_t)kind,
                    .text = text,
                    .len = strlen(text),
                    .target = kind == CHAT_EV_TOPIC ? 0 : user->id};
    if (chat_hub_publish(chat_session_hub(s), ch, &p) < 0)
        log_warn("chat: the %s line of #%s was not written", chat_ev_name((chat_ev_t)kind),
                 chat_channel_name(ch));
}

/* Writes a change (and its channel line, in one group); on_changed follows its commit.
 * Returns false after answering when the hub refuses writes. */
static bool submit_undo(chat_session_t *s, const json_env_t *e, int op, chat_channel_t *ch,
                        const auth_user_t *user, store_change_kind_t kind, const char *old_topic,
                        uint64_t old_read)
{
    change_t *c = xcalloc(1, sizeof(*c));
    c->op = op;
    c->ch = ch;
    c->s = s;
    c->user = xstrdup(user->name);
    c->uid = user->id;
    c->old_topic = old_topic ? xstrdup(old_topic) : NULL;
    c->old_read = old_read;
    snprintf(c->id, sizeof(c->id), "%s", e->id);
    store_change_t sc = change_of(ch, kind, user->id);
    chat_hub_t *h = chat_session_hub(s);
    int line = line_of(op, ch);
    if (line >= 0)
        chat_hub_group(h, true);
    int rc = chat_hub_change(h, &sc, on_changed, c);
    if (rc == 0 && line >= 0)
        publish_line(s, ch, line, user);
    if (line >= 0)
        chat_hub_group(h, false);
    if (rc < 0) {
        free(c->user);
        free(c->old_topic);
        free(c);
        chat_rooms_refuse(s, e->id);
        return false;
    }
    chat_session_ref(s);
    return true;
}

static bool submit(chat_session_t *s, const json_env_t *e, int op, chat_channel_t *ch,
                   const auth_user_t *user, store_change_kind_t kind)
{
    return submit_undo(s, e, op, ch, user, kind, NULL, 0);
}

/* ---- requests ---- */

/* payload[key] as a string, or NULL after answering bad_payload (optional: absent is ""). */
static const char *str_field(chat_session_t *s, const json_env_t *e, const char *key, bool optional)
{
    json_t *v = e->payload ? json_object_get(e->payload, key) : NULL;
    if (!v && optional)
        return "";
    if (!json_is_string(v)) {
        char m[96];
        snprintf(m, sizeof(m), "%s needs payload.%s, a string", e->type, key);
        chat_session_error(s, "bad_payload", m, e->id);
        return NULL;
    }
    return json_string_value(v);
}

static bool topic_ok(chat_session_t *s, const json_env_t *e, const char *topic)
{
    if (!auth_text_safe(topic, strlen(topic))) {
        chat_session_error(s, "bad_payload",
                           "a topic is one line without control or invisible characters", e->id);
        return false;
    }
    if (utf8_count((const uint8_t *)topic, strlen(topic)) <= CHAT_TOPIC_MAX)
        return true;
    chat_session_error(s, "too_large", "a topic is at most 250 characters", e->id);
    return false;
}

/* The active user holding name (len bytes), or NULL after answering: `bad_name` for what
 * cannot be a name, `no_such_user` for a name nobody holds or an account not active. */
static const auth_user_t *named_user(chat_session_t *s, const json_env_t *e, const char *name,
                                     size_t len)
{
    chat_hub_t *h = chat_session_hub(s);
    if (!auth_name_valid(name, len, chat_hub_config(h)->max_name)) {
        chat_session_error(s, "bad_name", "that is not a valid user name", e->id);
        return NULL;
    }
    const auth_user_t *u = auth_user_named(chat_hub_auth(h), name, len);
    if (!u || u->state != AUTH_ACTIVE) {
        chat_session_error(s, "no_such_user", "no such user", e->id);
        return NULL;
    }
    return u;
}

/* payload[key] as an active user (see named_user), or NULL after answering. */
static const auth_user_t *user_field(chat_session_t *s, const json_env_t *e, const char *key)
{
    const char *name = str_field(s, e, key, false);
    return name ? named_user(s, e, name, strlen(name)) : NULL;
}

/* Whether the user may make one more channel (or direct message, dm) now: the server's
 * cap and the quotas (chat_quota.h); false after answering `quota_exceeded`. */
static bool quota_ok(chat_session_t *s, const json_env_t *e, bool dm)
{
    chat_hub_t *h = chat_session_hub(s);
    const auth_user_t *me = chat_session_user(s);
    chat_census_t c;
    char why[160];
    chat_hub_census(h, dm, me->id, &c);
    if (chat_quota_allows(chat_hub_quota(h), dm ? CHAT_MADE_DM : CHAT_MADE_CHANNEL, me->role,
                          chat_session_addr(s), &c, clock_wall_ms(), why, sizeof(why)))
        return true;
    chat_session_error(s, "quota_exceeded", why, e->id);
    return false;
}

static void quota_note(chat_session_t *s, bool dm)
{
    chat_quota_note(chat_hub_quota(chat_session_hub(s)), dm ? CHAT_MADE_DM : CHAT_MADE_CHANNEL,
                    chat_session_user(s)->role, chat_session_addr(s), clock_wall_ms());
}

/* A name the user may give a new channel; false after answering. */
static bool new_name_ok(chat_session_t *s, const json_env_t *e, const char *name)
{
    if (!chat_channel_name_valid(name, strlen(name))) {
        chat_session_error(s, "bad_channel",
                           "channel names are 1-80 of a-z, 0-9, - and _, starting with a "
                           "letter or digit",
                           e->id);
        return false;
    }
    if (strncmp(name, "dm-", 3) == 0) {
        chat_session_error(s, "bad_channel", "names starting with dm- are for direct messages",
                           e->id);
        return false;
    }
    const chat_channel_t *ch = chat_hub_channel(chat_session_hub(s), name);
    if (ch && !chat_channel_unstored(ch)) {
        chat_session_error(s, "channel_exists", "a channel with that name exists", e->id);
        return false;
    }
    return true;
}

void chat_rooms_create(chat_session_t *s, const json_env_t *e)
{
    chat_hub_t *h = chat_session_hub(s);
    const auth_user_t *me = chat_session_user(s);
    const char *name = str_field(s, e, "name", false);
    const char *topic = name ? str_field(s, e, "topic", true) : NULL;
    if (!topic)
        return;
    json_t *priv = json_object_get(e->payload, "private");
    if (priv && !json_is_boolean(priv)) {
        chat_session_error(s, "bad_payload", "private must be true or false", e->id);
        return;
    }
    auth_target_t t = {.kind = json_is_true(priv) ? AUTH_CH_PRIVATE : AUTH_CH_PUBLIC};
    if (!chat_session_may(s, e, AUTH_ACT_CHANNEL_CREATE, NULL, &t,
                          "guests cannot create channels: sign up for an account"))
        return;
    if (!new_name_ok(s, e, name) || !topic_ok(s, e, topic) || !quota_ok(s, e, false))
        return;
    if (!chat_hub_available(h)) {
        chat_rooms_refuse(s, e->id);
        return;
    }
    if (!chat_session_pay_rest(s, e))
        return;
    chat_kind_t kind = json_is_true(priv) ? CHAT_KIND_PRIVATE : CHAT_KIND_PUBLIC;
    chat_channel_t *ch = chat_hub_channel(h, name); /* an unstored one is adopted */
    if (ch) {
        chat_channel_set_kind(ch, kind);
        chat_channel_set_topic(ch, topic);
        chat_channel_set_creator(ch, me->name, me->id, clock_wall_ms());
        chat_channel_set_unstored(ch, false);
    } else {
        ch = chat_hub_channel_add(h, name, kind, topic, me->name, me->id, clock_wall_ms());
    }
    chat_channel_user_add(ch, me->id);
    /* One change makes the row and the creator's membership (store.h), or neither when
     * another process took the name first: the answer follows its commit. */
    if (submit(s, e, CH_CREATE, ch, me, STORE_CHANNEL_CREATE))
        quota_note(s, false);
}

/* Answers as a join of a channel the user is in already: the channel, and its history on
 * a connection that was not linked to it yet. Nothing is written. */
static void answer_member(chat_session_t *s, const json_env_t *e, chat_channel_t *ch)
{
    bool had = chat_session_link(s, ch) != NULL;
    chat_link_t *l = chat_session_enter(s, ch);
    reply(s, chat_rooms_channel_frame(chat_session_hub(s), ch, chat_session_user(s)->id, e->id));
    if (!had)
        chat_history_join(s, l, false);
}

void chat_rooms_join(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", false, false);
    if (!ch)
        return;
    const auth_user_t *me = chat_session_user(s);
    if (chat_channel_has_user(ch, me->id)) {
        answer_member(s, e, ch);
        return;
    }
    if (!chat_session_may(s, e, AUTH_ACT_CHANNEL_JOIN, ch, NULL,
                          "that channel is private: ask a member to invite you") ||
        !chat_session_pay_rest(s, e))
        return;
    chat_channel_user_add(ch, me->id);
    if (!submit(s, e, CH_JOIN, ch, me, STORE_MEMBER_ADD))
        chat_channel_user_remove(ch, me->id);
}

void chat_rooms_leave(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", false, true);
    if (!ch)
        return;
    bool dm = chat_channel_kind(ch) == CHAT_KIND_DM;
    if (chat_channel_is_general(ch) || dm) {
        chat_session_error(s, "forbidden",
                           dm ? "a direct message keeps its members" : "everyone stays in general",
                           e->id);
        return;
    }
    if (!chat_session_may(s, e, AUTH_ACT_CHANNEL_LEAVE, ch, NULL, "you cannot leave it") ||
        !chat_session_pay_rest(s, e))
        return;
    const auth_user_t *me = chat_session_user(s);
    chat_channel_user_remove(ch, me->id);
    if (!submit(s, e, CH_LEAVE, ch, me, STORE_MEMBER_REMOVE))
        chat_channel_user_add(ch, me->id);
}

void chat_rooms_invite(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", false, true);
    if (!ch)
        return;
    if (chat_channel_kind(ch) == CHAT_KIND_DM) {
        chat_session_error(s, "forbidden", "a direct message keeps its members: open another",
                           e->id);
        return;
    }
    const auth_user_t *u = user_field(s, e, "user");
    auth_target_t t = {.other = u ? u->role : AUTH_GUEST};
    if (!u ||
        !chat_session_may(s, e, AUTH_ACT_CHANNEL_INVITE, ch, &t,
                          u->role == AUTH_GUEST ? "guests cannot be added to private channels"
                                                : "you cannot invite people into this channel"))
        return;
    if (chat_channel_has_user(ch, u->id)) {
        reply(s, chat_rooms_named_frame("invited", ch, u->name, e->id));
        return;
    }
    if (!chat_session_pay_rest(s, e))
        return;
    chat_channel_user_add(ch, u->id);
    if (!submit(s, e, CH_INVITE, ch, u, STORE_MEMBER_ADD))
        chat_channel_user_remove(ch, u->id);
}

void chat_rooms_topic(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", false, true);
    const char *topic = ch ? str_field(s, e, "topic", false) : NULL;
    if (!topic || !topic_ok(s, e, topic))
        return;
    if (chat_channel_kind(ch) == CHAT_KIND_DM) {
        chat_session_error(s, "forbidden", "direct messages have no topic", e->id);
        return;
    }
    if (!chat_session_may(s, e, AUTH_ACT_CHANNEL_TOPIC, ch, NULL,
                          "you cannot set this channel's topic"))
        return;
    if (!chat_hub_available(chat_session_hub(s))) {
        chat_rooms_refuse(s, e->id);
        return;
    }
    if (!chat_session_pay_rest(s, e))
        return;
    char *old = xstrdup(chat_channel_topic(ch));
    chat_channel_set_topic(ch, topic);
    if (!submit_undo(s, e, CH_TOPIC, ch, chat_session_user(s), STORE_CHANNEL_PUT, old, 0))
        chat_channel_set_topic(ch, old);
    free(old);
}

void chat_rooms_read(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", false, true);
    json_t *v = ch ? json_object_get(e->payload, "seq") : NULL;
    if (!ch)
        return;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        chat_session_error(s, "bad_payload", "read needs payload.seq, an integer >= 0", e->id);
        return;
    }
    const auth_user_t *me = chat_session_user(s);
    uint64_t seq = (uint64_t)json_integer_value(v);
    if (seq > chat_channel_committed(ch))
        seq = chat_channel_committed(ch); /* one cannot have read what does not exist */
    uint64_t now = chat_channel_read_get(ch, me->id);
    if (seq <= now || !chat_hub_available(chat_session_hub(s))) {
        /* Markers only advance: answered with where it stands, nothing written. */
        if (seq > now)
            chat_rooms_refuse(s, e->id);
        else
            reply(s, chat_rooms_read_frame(ch, now, e->id));
        return;
    }
    chat_channel_read_set(ch, me->id, seq);
    if (!submit_undo(s, e, CH_READ, ch, me, STORE_READ, NULL, now))
        chat_channel_read_restore(ch, me->id, now);
}

static int by_user_name(const void *a, const void *b)
{
    return strcmp((*(const auth_user_t *const *)a)->name, (*(const auth_user_t *const *)b)->name);
}

/* payload.users plus the caller, distinct and sorted by name, into users (CHAT_DM_MAX): each
 * the user holding the name given (in any canonical form); 0 after answering when they are
 * not a valid direct message or the caller may not open it. */
static size_t dm_members(chat_session_t *s, const json_env_t *e, const auth_user_t *names[])
{
    auth_target_t t = {.other = AUTH_OWNER};
    json_t *users = e->payload ? json_object_get(e->payload, "users") : NULL;
    size_t n = json_array_size(users), k = 0;
    if (!json_is_array(users) || n == 0 || n >= CHAT_DM_MAX) {
        chat_session_error(s, "bad_payload", "dm_open needs payload.users: 1-7 user names", e->id);
        return 0;
    }
    names[k++] = chat_session_user(s);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(users, i);
        if (!json_is_string(v)) {
            chat_session_error(s, "bad_payload", "users are names (strings)", e->id);
            return 0;
        }
        const auth_user_t *au = named_user(s, e, json_string_value(v), json_string_length(v));
        if (!au)
            return 0;
        if (au->role < t.other)
            t.other = au->role;
        bool dup = false;
        for (size_t j = 0; j < k; j++)
            dup = dup || names[j] == au;
        if (!dup)
            names[k++] = au;
    }
    if (k < 2) {
        chat_session_error(s, "bad_payload", "a direct message needs someone else", e->id);
        return 0;
    }
    if (!chat_session_may(s, e, AUTH_ACT_DM_OPEN, NULL, &t,
                          t.other == AUTH_GUEST ? "guests cannot be in direct messages"
                                                : "guests cannot open direct messages"))
        return 0;
    qsort(names, k, sizeof(*names), by_user_name);
    return k;
}

/* The direct message whose members are exactly users (k of them), or NULL. */
static chat_channel_t *dm_find(const chat_hub_t *h, const auth_user_t *const users[], size_t k)
{
    uint64_t want[CHAT_DM_MAX];
    for (size_t i = 0; i < k; i++) {
        size_t j = i;
        for (; j > 0 && want[j - 1] > users[i]->id; j--)
            want[j] = want[j - 1];
        want[j] = users[i]->id;
    }
    for (size_t i = 1; i < chat_hub_nchannels(h); i++) {
        chat_channel_t *ch = chat_hub_channel_at(h, i);
        if (chat_channel_kind(ch) != CHAT_KIND_DM || chat_channel_unstored(ch) ||
            chat_channel_nusers(ch) != k)
            continue;
        size_t same = 0;
        while (same < k && chat_channel_user_at(ch, same) == want[same])
            same++;
        if (same == k)
            return ch;
    }
    return NULL;
}

/* A direct message whose creation the store did not keep (it has no members), or NULL. */
static chat_channel_t *dm_unstored(const chat_hub_t *h)
{
    for (size_t i = 1; i < chat_hub_nchannels(h); i++) {
        chat_channel_t *ch = chat_hub_channel_at(h, i);
        if (chat_channel_kind(ch) == CHAT_KIND_DM && chat_channel_unstored(ch) &&
            !chat_channel_deleted(ch)) /* a deleted one is a tombstone, never adopted */
            return ch;
    }
    return NULL;
}

/* A new direct message's name: "dm-" and 128 random bits, so that nobody can tell from the
 * members' names what it is called, nor from a name who talks to whom. */
static bool dm_name(char out[CHAT_CHANNEL_MAX + 1])
{
    unsigned char r[16];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return false;
    memcpy(out, "dm-", 3);
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(out + 3 + 2 * i, 3, "%02x", r[i]);
    return true;
}

/* dm_open: the direct message of the caller and payload.users (1-7 others), created on first
 * use and found again by its members (by id), so the same people always get the same
 * conversation. */
void chat_rooms_dm(chat_session_t *s, const json_env_t *e)
{
    chat_hub_t *h = chat_session_hub(s);
    const auth_user_t *names[CHAT_DM_MAX];
    const auth_user_t *me = chat_session_user(s);
    size_t k = dm_members(s, e, names);
    if (!k)
        return;
    chat_channel_t *ch = dm_find(h, names, k);
    if (ch) {
        chat_link_t *l = chat_session_enter(s, ch);
        reply(s, chat_rooms_channel_frame(h, ch, me->id, e->id));
        chat_history_join(s, l, false);
        return;
    }
    if (!quota_ok(s, e, true))
        return;
    if (!chat_hub_available(h)) {
        chat_rooms_refuse(s, e->id);
        return;
    }
    if (!chat_session_pay_rest(s, e))
        return;
    char cname[CHAT_CHANNEL_MAX + 1];
    ch = dm_unstored(h);
    if (ch) { /* one whose creation failed: adopted, its name being nobody's */
        chat_channel_set_unstored(ch, false);
    } else if (!dm_name(cname)) {
        chat_session_error(s, "internal", "no randomness for a new name", e->id);
        return;
    } else {
        ch = chat_hub_channel_add(h, cname, CHAT_KIND_DM, "", me->name, me->id, clock_wall_ms());
    }
    /* The row and every membership in one transaction: all of the DM or none of it. */
    store_change_t row = change_of(ch, STORE_CHANNEL_PUT, 0);
    chat_hub_group(h, true);
    if (chat_hub_change(h, &row, NULL, NULL) < 0) {
        chat_hub_group(h, false);
        chat_rooms_refuse(s, e->id);
        return;
    }
    quota_note(s, true);
    for (size_t i = 0; i < k; i++) {
        chat_channel_user_add(ch, names[i]->id);
        if (names[i] != me) {
            store_change_t m = change_of(ch, STORE_MEMBER_ADD, names[i]->id);
            chat_hub_change(h, &m, NULL, NULL);
        }
    }
    /* The caller's own membership last: its commit answers everyone. */
    submit(s, e, CH_DM, ch, me, STORE_MEMBER_ADD);
    chat_hub_group(h, false);
}

/* channel_kick: a member removed by the channel's manager (its creator, for a private
 * channel) or a moderator; auth_can decides which. */
void chat_rooms_kick(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", false, false);
    const auth_user_t *u = ch ? user_field(s, e, "user") : NULL;
    if (!u)
        return;
    auth_target_t t = {.other = u->role};
    if (!chat_session_may(s, e, AUTH_ACT_CHANNEL_KICK, ch, &t,
                          "you cannot remove people from this channel"))
        return;
    if (!chat_channel_has_user(ch, u->id)) {
        chat_session_error(s, "no_such_user", "that user is not in the channel", e->id);
        return;
    }
    if (!chat_hub_available(chat_session_hub(s))) {
        chat_rooms_refuse(s, e->id);
        return;
    }
    if (!chat_session_pay_rest(s, e))
        return;
    chat_channel_user_remove(ch, u->id);
    if (!submit(s, e, CH_KICK, ch, u, STORE_MEMBER_REMOVE))
        chat_channel_user_add(ch, u->id);
}
