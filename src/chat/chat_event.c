/* chat_event - messages, replies, edits, deletes, reactions, threads and typing; see
 * chat_event.h.
 *
 * A write that acts on a message waits for its target's lookup in an ev_req_t, which holds
 * a reference to the session: if the session ended or left the channel meanwhile, the
 * request is dropped. */
#include "chat/chat_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/xmalloc.h"
#include "chat/chat_cost.h"
#include "chat/chat_files.h"
#include "chat/chat_history.h"
#include "chat/chat_keys.h"

typedef struct {
    chat_session_t *s; /* referenced */
    chat_channel_t *ch;
    chat_ev_t op; /* CHAT_EV_MSG: a reply; EDIT, DELETE, REACT, PIN */
    bool on;      /* PIN: pin (else unpin); REACT with set: add (else take off) */
    bool set;     /* REACT: payload.on was given (set the reaction; else toggle it) */
    uint64_t target;
    char *text;  /* reply or edit text, or the emoji */
    char *files; /* a reply's files (reserved: chat_files_take), NULL for none */
    size_t len;
    char id[CHAT_ID_MAX];
    char cid[CHAT_CID_MAX + 1];
} ev_req_t;

/* Returns chat_hub_publish's answer, after answering a refusal. */
static int publish(chat_session_t *s, chat_channel_t *ch, const chat_pub_t *p, const char *id)
{
    chat_hub_t *h = chat_session_hub(s);
    int rc = chat_hub_publish(h, ch, p);
    if (rc < 0 && !chat_hub_available(h))
        chat_session_error(s, "unavailable", CHAT_UNAVAILABLE_TEXT, id);
    else if (rc < 0)
        chat_session_error(s, "internal", "the server is shutting down", id);
    return rc;
}

/* payload.cid into out ("" when absent), or false after answering. */
static bool cid_field(chat_session_t *s, const json_env_t *e, char out[CHAT_CID_MAX + 1])
{
    json_t *v = e->payload ? json_object_get(e->payload, "cid") : NULL;
    out[0] = '\0';
    if (!v)
        return true;
    if (!json_is_string(v) || !chat_keys_valid(json_string_value(v), json_string_length(v))) {
        chat_session_error(s, "bad_payload", "cid must be 1-64 of A-Za-z0-9_-", e->id);
        return false;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return true;
}

/* A pin or unpin of a msg found: decided against the pins committed (a pin accepted but
 * not committed yet is not counted; a pin past the limit that a race lets in is held all
 * the same, chat_channel.h). */
static void pin_target(chat_session_t *s, const ev_req_t *r, const chat_target_t *t, chat_pub_t *p)
{
    bool pinned = chat_channel_pinned(r->ch, r->target);
    if (t->thread)
        chat_session_error(s, "forbidden", "a thread reply cannot be pinned: pin its parent",
                           r->id);
    else if (r->on == pinned)
        chat_session_error(s, "no_change",
                           pinned ? "that message is pinned already" : "that message is not pinned",
                           r->id);
    else if (r->on && chat_channel_npins(r->ch) >= CHAT_PINS_MAX)
        chat_session_error(s, "too_many",
                           "this channel has as many pinned messages as it may (100): unpin one "
                           "first",
                           r->id);
    else {
        p->kind = r->on ? CHAT_EV_PIN : CHAT_EV_UNPIN;
        p->text = "";
        p->len = 0;
        publish(s, r->ch, p, r->id);
    }
}

/* The target is known: check the rights and publish, or answer why not. */
static void on_target(void *ctx, const chat_target_t *t)
{
    ev_req_t *r = ctx;
    chat_session_t *s = r->s;
    const auth_user_t *me = chat_session_user(s);
    chat_pub_t p = {.user = chat_session_name(s),
                    .user_id = me->id,
                    .guest = me->role == AUTH_GUEST,
                    .kind = r->op,
                    .text = r->text,
                    .len = r->len,
                    .target = r->target,
                    .ack_conn = chat_session_conn(s),
                    .id = r->id,
                    .cid = r->cid};
    auth_action_t act = r->op == CHAT_EV_EDIT ? AUTH_ACT_EDIT : AUTH_ACT_DELETE;
    auth_target_t own = {.own = me->id && t->user_id == me->id};
    if (!chat_session_conn(s) || !chat_session_link(s, r->ch)) {
        /* gone, or left the channel meanwhile */
    } else if (chat_channel_deleted(r->ch)) {
        chat_session_error(s, "no_such_channel", "no such channel", r->id);
    } else if ((r->op == CHAT_EV_MSG || r->op == CHAT_EV_REACT || r->op == CHAT_EV_PIN) &&
               chat_session_can(s, AUTH_ACT_POST, r->ch, NULL) != AUTH_ALLOW) {
        /* archived while its target was looked up */
        chat_session_error(
            s, "forbidden",
            chat_session_refusal(s, AUTH_ACT_POST, r->ch, NULL, "you cannot post in this channel"),
            r->id);
    } else if (!t->found || t->deleted) {
        chat_session_error(s, "no_such_message", "no such message in that channel", r->id);
    } else if (r->op == CHAT_EV_MSG) {
        /* One level of threads: a reply to a reply joins its parent's thread. */
        p.thread = t->thread ? t->thread : r->target;
        p.target = 0;
        p.files = r->files;
        if (publish(s, r->ch, &p, r->id) == 0) { /* the message took its own copy */
            free(r->files);
            r->files = NULL;
        }
    } else if ((r->op == CHAT_EV_EDIT || r->op == CHAT_EV_DELETE) &&
               chat_session_can(s, act, r->ch, &own) != AUTH_ALLOW) {
        chat_session_error(
            s, "forbidden",
            chat_session_refusal(s, act, r->ch, &own, "only its author may change a message"),
            r->id);
    } else if (r->op == CHAT_EV_PIN) {
        pin_target(s, r, t, &p);
    } else if (r->op == CHAT_EV_REACT) {
        /* Decided now, against every toggle accepted before, committed or not. */
        bool had = chat_channel_reacted(r->ch, r->target, r->text, me->id);
        bool on = r->set ? r->on : !had;
        const char *why = on ? chat_channel_react_refusal(r->ch, r->target, r->text, me->id) : NULL;
        p.kind = on ? CHAT_EV_REACT : CHAT_EV_UNREACT;
        if (r->set && on == had)
            chat_session_error(s, "no_change",
                               on ? "you reacted so already" : "you have no such reaction", r->id);
        else if (why)
            chat_session_error(s, "too_many", why, r->id);
        else if (publish(s, r->ch, &p, r->id) == 0)
            chat_channel_reaction_set(r->ch, r->target, r->text, me->id, on);
    } else {
        publish(s, r->ch, &p, r->id);
    }
    if (r->files) /* not written: the files go back to their uploader */
        chat_files_unreserve(chat_hub_config(chat_session_hub(s))->files, r->files);
    chat_session_unref(s);
    free(r->files);
    free(r->text);
    free(r);
}

/* payload.channel (optional: #general; one the user is in) and payload[key] (a seq > 0), or
 * false after answering. */
static bool channel_and_seq(chat_session_t *s, const json_env_t *e, const char *key,
                            chat_channel_t **ch, uint64_t *seq)
{
    json_t *c = json_object_get(e->payload, "channel");
    json_t *v = json_object_get(e->payload, key);
    if ((c && !json_is_string(c)) || !json_is_integer(v) || json_integer_value(v) < 1) {
        char m[96];
        snprintf(m, sizeof(m), "%s needs payload.%s, a message's seq", e->type, key);
        chat_session_error(s, "bad_payload", m, e->id);
        return false;
    }
    *ch = chat_session_channel_field(s, e, "channel", true, true);
    *seq = (uint64_t)json_integer_value(v);
    return *ch != NULL;
}

static bool emoji_ok(const char *p, size_t len)
{
    if (len == 0 || len > CHAT_EMOJI_MAX || !utf8_valid((const uint8_t *)p, len))
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
            return false;
    return true;
}

static bool files_field(chat_session_t *s, const json_env_t *e, chat_channel_t *ch, buf_t *out);

/* A write acting on the message payload[key]: validated, rate-limited, then decided once
 * its target is known. */
static void targeted(chat_session_t *s, const json_env_t *e, chat_ev_t op, const char *key)
{
    chat_channel_t *ch;
    uint64_t target;
    char cid[CHAT_CID_MAX + 1];
    if (!channel_and_seq(s, e, key, &ch, &target) || !cid_field(s, e, cid))
        return;
    if ((op == CHAT_EV_MSG || op == CHAT_EV_REACT || op == CHAT_EV_PIN) &&
        !chat_session_may(s, e, AUTH_ACT_POST, ch, NULL, "you cannot post in this channel"))
        return;
    json_t *on =
        op == CHAT_EV_PIN || op == CHAT_EV_REACT ? json_object_get(e->payload, "on") : NULL;
    if (op == CHAT_EV_PIN && !json_is_boolean(on)) {
        chat_session_error(s, "bad_payload", "pin needs payload.on: true (pin) or false (unpin)",
                           e->id);
        return;
    }
    if (op == CHAT_EV_REACT && on && !json_is_boolean(on)) {
        chat_session_error(s, "bad_payload", "react's on is true (add) or false (take off)", e->id);
        return;
    }
    const char *text = "";
    size_t len = 0;
    json_t *tv = json_object_get(e->payload, "text");
    /* A reply of files alone has no text to check. */
    bool files_only = op == CHAT_EV_MSG && json_is_string(tv) && json_string_length(tv) == 0 &&
                      json_object_get(e->payload, "files");
    if ((op == CHAT_EV_MSG && !files_only) || op == CHAT_EV_EDIT) {
        if (!chat_session_text_field(s, e, &text, &len))
            return;
    } else if (op == CHAT_EV_REACT) {
        json_t *v = json_object_get(e->payload, "emoji");
        if (!json_is_string(v) || !emoji_ok(json_string_value(v), json_string_length(v))) {
            chat_session_error(s, "bad_payload",
                               "react needs payload.emoji: 1-32 bytes, no white space", e->id);
            return;
        }
        text = json_string_value(v);
        len = json_string_length(v);
    }
    /* A retry is answered before anything acts on its target again; it paid its cost like
     * any write (chat.c), which bounds how many can wait on one original. */
    if (chat_hub_replay(chat_session_hub(s), chat_session_user(s)->id, cid, chat_session_conn(s),
                        e->id))
        return;
    buf_t files = BUF_INIT;
    if (op == CHAT_EV_MSG && !files_field(s, e, ch, &files))
        return;
    ev_req_t *r = xcalloc(1, sizeof(*r));
    *r = (ev_req_t){.s = s,
                    .ch = ch,
                    .op = op,
                    .target = target,
                    .len = len,
                    .on = json_is_true(on),
                    .set = on != NULL};
    r->text = xstrndup(text, len);
    r->files = files.len ? xstrndup(files.data, files.len) : NULL;
    buf_deinit(&files);
    snprintf(r->id, sizeof(r->id), "%s", e->id);
    memcpy(r->cid, cid, sizeof(cid));
    chat_session_ref(s);
    chat_history_target(chat_session_hub(s), ch, target, on_target, r);
}

/* payload.files (optional) into out (chat_files_take), or false after answering. */
static bool files_field(chat_session_t *s, const json_env_t *e, chat_channel_t *ch, buf_t *out)
{
    json_t *v = json_object_get(e->payload, "files");
    if (!v)
        return true;
    files_t *f = chat_hub_config(chat_session_hub(s))->files;
    const char *why =
        f ? chat_files_take(f, v, chat_session_user(s)->id, chat_channel_name(ch), out)
          : "this server takes no files";
    if (why)
        chat_session_error(s, "bad_payload", why, e->id);
    return why == NULL;
}

void chat_event_msg(chat_session_t *s, const json_env_t *e)
{
    if (e->payload && json_object_get(e->payload, "thread")) {
        targeted(s, e, CHAT_EV_MSG, "thread"); /* a reply: its parent is checked first */
        return;
    }
    json_t *text = e->payload ? json_object_get(e->payload, "text") : NULL;
    if (!json_is_string(text)) {
        chat_session_error(s, "bad_payload", "msg needs payload.text, a string", e->id);
        return;
    }
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", true, true);
    const char *t = "";
    size_t len = 0;
    char cid[CHAT_CID_MAX + 1];
    /* A message of files alone has no text to check. */
    bool files_only = json_string_length(text) == 0 && json_object_get(e->payload, "files");
    if (!ch || (!files_only && !chat_session_text_field(s, e, &t, &len)) || !cid_field(s, e, cid) ||
        !chat_session_may(s, e, AUTH_ACT_POST, ch, NULL, "you cannot post in this channel"))
        return;
    const auth_user_t *me = chat_session_user(s);
    if (chat_hub_replay(chat_session_hub(s), me->id, cid, chat_session_conn(s), e->id))
        return;
    buf_t files = BUF_INIT;
    if (!files_field(s, e, ch, &files))
        return;
    chat_pub_t p = {.user = chat_session_name(s),
                    .user_id = me->id,
                    .guest = me->role == AUTH_GUEST,
                    .kind = CHAT_EV_MSG,
                    .text = t,
                    .len = len,
                    .ack_conn = chat_session_conn(s),
                    .id = e->id,
                    .cid = cid,
                    .files = files.data};
    files_t *f = chat_hub_config(chat_session_hub(s))->files;
    if (publish(s, ch, &p, e->id) != 0 && files.len)
        chat_files_unreserve(f, files.data);
    buf_deinit(&files);
}

void chat_event_edit(chat_session_t *s, const json_env_t *e)
{
    targeted(s, e, CHAT_EV_EDIT, "seq");
}

void chat_event_delete(chat_session_t *s, const json_env_t *e)
{
    targeted(s, e, CHAT_EV_DELETE, "seq");
}

void chat_event_react(chat_session_t *s, const json_env_t *e)
{
    targeted(s, e, CHAT_EV_REACT, "seq");
}

void chat_event_pin(chat_session_t *s, const json_env_t *e)
{
    targeted(s, e, CHAT_EV_PIN, "seq");
}

void chat_event_thread(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch;
    uint64_t seq;
    if (channel_and_seq(s, e, "seq", &ch, &seq))
        chat_history_thread(s, e, ch, seq);
}

void chat_event_typing(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", true, true);
    /* Only a typing that would be relayed pays (dropped ones cost nothing), and one over
     * the limit is dropped as silently: typing has no answer. */
    if (!ch || chat_session_can(s, AUTH_ACT_POST, ch, NULL) != AUTH_ALLOW || /* archived */
        !chat_session_typing_due(s) || chat_session_take_tokens(s, CHAT_COST_TYPING))
        return;
    chat_emit_t ev = {.json = chat_user_event_frame("typing", chat_session_name(s),
                                                    chat_channel_name(ch), -1, false),
                      .except = chat_session_conn(s)};
    chat_hub_emit(chat_session_hub(s), ch, &ev);
    blob_unref(ev.json);
    /* The members on the other processes: the throttle above holds for them too. */
    void *ctx;
    const chat_hub_outbox_t *o = chat_hub_outbox(chat_session_hub(s), &ctx);
    if (o && o->typing)
        o->typing(ctx, chat_channel_name(ch), chat_session_name(s));
}

void chat_event_text_line(chat_session_t *s, const char *user, const char *text, size_t len)
{
    if (len == 0 || memchr(text, '\0', len) ||
        utf8_count((const uint8_t *)text, len) > chat_hub_config(chat_session_hub(s))->max_text ||
        chat_session_take_tokens(s, chat_cost_of("msg")))
        return;
    /* Text modes write as guests: a client id, or whatever free name a line gives. */
    const auth_user_t *me = chat_session_user(s);
    chat_pub_t p = {.user = user,
                    .user_id = me->name && strcmp(me->name, user) == 0 ? me->id : 0,
                    .guest = true,
                    .kind = CHAT_EV_MSG,
                    .text = text,
                    .len = len};
    chat_hub_publish(chat_session_hub(s), chat_hub_general(chat_session_hub(s)), &p);
}
