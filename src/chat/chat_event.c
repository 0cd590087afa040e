/* chat_event - replies, edits, deletes, reactions and thread reads; see chat_event.h. */
#include "chat/chat_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/xmalloc.h"
#include "chat/chat_channel.h"

enum { OP_REPLY, OP_EDIT, OP_DELETE, OP_REACT };

/* A request waiting for its target's lookup. */
typedef struct {
    chat_session_t *s; /* referenced */
    chat_channel_t *ch;
    int op;
    uint64_t target;
    char *text; /* reply or edit text, or the emoji */
    size_t len;
    char id[sizeof(((json_env_t *)0)->id)];
} ev_req_t;

static void req_free(ev_req_t *r)
{
    chat_session_unref(r->s);
    free(r->text);
    free(r);
}

/* The target is known: check the rights and publish, or answer why not. */
static void decide(ev_req_t *r, bool found, const char *author, int kind, uint64_t thread,
                   bool deleted)
{
    chat_session_t *s = r->s;
    chat_channel_t *ch = r->ch;
    if (!s->conn || !chat_hub_link(s, ch))
        return; /* gone, or left the channel meanwhile */
    if (!found || kind != CHAT_EV_MSG || deleted) {
        chat_session_error(s, "no_such_message", "no such message in that channel", r->id);
        return;
    }
    switch (r->op) {
    case OP_REPLY:
        /* One level of threads: a reply to a reply joins its parent's thread. */
        chat_hub_publish_event(s->hub, ch, s, s->name, CHAT_EV_MSG, r->text, r->len,
                               thread ? thread : r->target, 0, r->id);
        break;
    case OP_EDIT:
    case OP_DELETE:
        if (strcmp(author, s->name) != 0) {
            chat_session_error(s, "forbidden", "only its author may change a message", r->id);
            return;
        }
        if (r->op == OP_DELETE) {
            const chat_recent_t *rc = chat_hub_recent(ch, r->target);
            if (rc)
                ((chat_recent_t *)rc)->deleted = true; /* the ring's copy knows at once */
        }
        chat_hub_publish_event(s->hub, ch, s, s->name,
                               r->op == OP_EDIT ? CHAT_EV_EDIT : CHAT_EV_DELETE, r->text, r->len, 0,
                               r->target, r->id);
        break;
    case OP_REACT: {
        /* Decided now, against every toggle accepted before, committed or not. */
        bool on = !chat_hub_reacted(ch, r->target, r->text, s->name);
        chat_hub_reaction_set(ch, r->target, r->text, s->name, on);
        chat_hub_publish_event(s->hub, ch, s, s->name, on ? CHAT_EV_REACT : CHAT_EV_UNREACT,
                               r->text, r->len, 0, r->target, r->id);
        break;
    }
    }
}

static void on_target(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    ev_req_t *r = ctx;
    (void)more;
    bool found = status >= 0 && n > 0 && msgs[0].seq == r->target;
    int kind = found ? chat_ev_parse(msgs[0].kind ? msgs[0].kind : "msg") : -1;
    decide(r, found, found ? msgs[0].user : "", kind, found ? msgs[0].thread : 0, false);
    req_free(r);
}

/* Looks the target up and decides: at once from the ring, else when the store answers. */
static void lookup(ev_req_t *r)
{
    chat_channel_t *ch = r->ch;
    if (r->target == 0 || r->target > ch->committed) {
        decide(r, false, "", -1, 0, false);
        req_free(r);
        return;
    }
    const chat_recent_t *rc = chat_hub_recent(ch, r->target);
    if (rc) {
        decide(r, true, rc->user, rc->kind, rc->thread, rc->deleted);
        req_free(r);
        return;
    }
    store_query_t q = {.channel = ch->name, .after = r->target - 1, .limit = 1, .forward = true};
    if (store_query(ch->hub->store, &q, on_target, r) < 0)
        on_target(r, -1, NULL, 0, false);
}

/* payload.channel (a channel the user is in) and payload[key] (a seq > 0), or false after
 * answering. */
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
    *ch = chat_hub_channel(s->hub, c ? json_string_value(c) : "general");
    if (!*ch) {
        chat_session_error(s, "no_such_channel", "no such channel", e->id);
        return false;
    }
    if (!chat_hub_link(s, *ch)) {
        chat_session_error(s, "forbidden", "you are not a member of that channel", e->id);
        return false;
    }
    *seq = (uint64_t)json_integer_value(v);
    return true;
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

static void do_thread_read(chat_session_t *s, const json_env_t *e, chat_channel_t *ch,
                           uint64_t seq);

void chat_event_request(chat_session_t *s, const json_env_t *e)
{
    bool reply = strcmp(e->type, "msg") == 0;
    int op = reply                            ? OP_REPLY
             : strcmp(e->type, "edit") == 0   ? OP_EDIT
             : strcmp(e->type, "delete") == 0 ? OP_DELETE
             : strcmp(e->type, "react") == 0  ? OP_REACT
                                              : -1;
    chat_channel_t *ch;
    uint64_t target;
    if (!channel_and_seq(s, e, reply ? "thread" : "seq", &ch, &target))
        return;
    if (op < 0) {
        do_thread_read(s, e, ch, target);
        return;
    }
    const char *text = "";
    size_t len = 0;
    if (op == OP_REPLY || op == OP_EDIT) {
        if (!chat_session_text_field(s, e, &text, &len))
            return;
    } else if (op == OP_REACT) {
        json_t *v = json_object_get(e->payload, "emoji");
        if (!json_is_string(v) || !emoji_ok(json_string_value(v), json_string_length(v))) {
            chat_session_error(s, "bad_payload",
                               "react needs payload.emoji: 1-32 bytes, no white space", e->id);
            return;
        }
        text = json_string_value(v);
        len = json_string_length(v);
    }
    if (!chat_session_take_token(s)) {
        chat_session_error(s, "rate_limited", "too many messages; slow down", e->id);
        return;
    }
    ev_req_t *r = xcalloc(1, sizeof(*r));
    r->s = s;
    r->ch = ch;
    r->op = op;
    r->target = target;
    r->text = xstrndup(text, len);
    r->len = len;
    snprintf(r->id, sizeof(r->id), "%s", e->id);
    chat_session_ref(s);
    lookup(r);
}

/* ---- thread reads ---- */

typedef struct {
    chat_session_t *s;
    chat_channel_t *ch;
    uint64_t seq;
    char id[sizeof(((json_env_t *)0)->id)];
} thread_req_t;

static void on_thread(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    thread_req_t *t = ctx;
    chat_session_t *s = t->s;
    if (s->conn && status < 0) {
        chat_session_error(s, "internal", "the message store failed to answer", t->id);
    } else if (s->conn && (n == 0 || msgs[0].seq != t->seq ||
                           chat_ev_parse(msgs[0].kind ? msgs[0].kind : "msg") != CHAT_EV_MSG)) {
        chat_session_error(s, "no_such_message", "no such message in that channel", t->id);
    } else if (s->conn) {
        buf_t b = BUF_INIT;
        buf_append_str(&b, "{\"type\":\"thread\"");
        if (t->id[0])
            buf_appendf(&b, ",\"id\":%s", t->id);
        buf_append_str(&b, ",\"payload\":{\"channel\":");
        json_append_string(&b, t->ch->name, strlen(t->ch->name));
        buf_appendf(&b, ",\"seq\":%llu,\"messages\":[", (unsigned long long)t->seq);
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_append_str(&b, ",");
            chat_msg_payload_json(&b, t->ch->name, &msgs[i]);
        }
        buf_appendf(&b, "],\"more\":%s}}", more ? "true" : "false");
        chat_session_send(s, &b);
        buf_deinit(&b);
    }
    chat_session_unref(s);
    free(t);
}

/* thread {channel, seq}: the parent and its replies, oldest first, from the store (which
 * has everything committed before this request). */
static void do_thread_read(chat_session_t *s, const json_env_t *e, chat_channel_t *ch, uint64_t seq)
{
    thread_req_t *t = xcalloc(1, sizeof(*t));
    t->s = s;
    t->ch = ch;
    t->seq = seq;
    snprintf(t->id, sizeof(t->id), "%s", e->id);
    chat_session_ref(s);
    store_query_t q = {.channel = ch->name, .limit = CHAT_THREAD_MAX + 1, .thread = seq};
    if (store_query(s->hub->store, &q, on_thread, t) < 0)
        on_thread(t, -1, NULL, 0, false);
}

bool chat_event_request_known(const char *type)
{
    return strcmp(type, "edit") == 0 || strcmp(type, "delete") == 0 || strcmp(type, "react") == 0 ||
           strcmp(type, "thread") == 0;
}
