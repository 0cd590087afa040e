/* chat_notify - notification levels; see chat_notify.h.
 *
 * A request applies its level in memory at once (a second request, or a welcome, sees it)
 * and writes it through the hub; a pending_t lives from the request to the commit, holding
 * a reference to the requester (which may close meanwhile: then only the user's other
 * sessions hear of it) and the channel, never freed before the hub (a deleted one is a
 * tombstone). A write the store fails puts the old level back, unless another request
 * changed it since. */
#include "chat/chat_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "chat/chat_payload.h"
#include "chat/chat_rooms.h"

typedef struct {
    chat_session_t *s; /* the requester, referenced */
    chat_channel_t *ch;
    uint64_t uid;
    char *user; /* the name its sessions are found by */
    chat_notify_level_t level, old;
    char id[CHAT_ID_MAX];
} pending_t;

blob_t *chat_notify_frame(const chat_channel_t *ch, chat_notify_level_t level, const char *id)
{
    const char *name = chat_channel_name(ch);
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"notify\"");
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, name, strlen(name));
    buf_appendf(&b, ",\"level\":\"%s\"}}", chat_channel_notify_name(level));
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

/* The event to user's JSON sessions here but `except` (a conn, or NULL). */
static void tell(chat_hub_t *h, chat_channel_t *ch, const char *user, chat_notify_level_t level,
                 const void *except)
{
    blob_t *f = chat_notify_frame(ch, level, NULL);
    chat_hub_emit(h, ch, &(chat_emit_t){.json = f, .except = except, .user = user});
    blob_unref(f);
}

static void on_changed(void *ctx, int status)
{
    pending_t *p = ctx;
    chat_hub_t *h = chat_session_hub(p->s);
    void *conn = chat_session_conn(p->s);
    if (status < 0) {
        if (chat_channel_notify_get(p->ch, p->uid) == p->level)
            chat_channel_notify_set(p->ch, p->uid, p->old);
        if (conn)
            chat_session_error(p->s, "unavailable", CHAT_UNAVAILABLE_TEXT, p->id);
    } else {
        tell(h, p->ch, p->user, p->level, conn);
        if (conn) {
            blob_t *f = chat_notify_frame(p->ch, p->level, p->id);
            chat_session_send_frame(p->s, f);
            blob_unref(f);
        }
    }
    chat_session_unref(p->s);
    free(p->user);
    free(p);
}

void chat_notify_request(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", false, true);
    if (!ch)
        return;
    chat_notify_level_t level;
    if (!chat_channel_notify_parse(json_string_value(json_object_get(e->payload, "level")),
                                   &level)) {
        chat_session_error(s, "bad_payload",
                           "notify needs payload.level: \"all\", \"mentions\" or \"muted\"", e->id);
        return;
    }
    chat_hub_t *h = chat_session_hub(s);
    const auth_user_t *me = chat_session_user(s);
    chat_notify_level_t old = chat_channel_notify_get(ch, me->id);
    if (level == old) { /* nothing to write: answered with where it stands */
        blob_t *f = chat_notify_frame(ch, level, e->id);
        chat_session_send_frame(s, f);
        blob_unref(f);
        return;
    }
    if (!chat_hub_available(h)) {
        chat_rooms_refuse(s, e->id);
        return;
    }
    pending_t *p = xcalloc(1, sizeof(*p));
    *p = (pending_t){.s = s, .ch = ch, .uid = me->id, .level = level, .old = old};
    p->user = xstrdup(me->name);
    snprintf(p->id, sizeof(p->id), "%s", e->id);
    chat_channel_notify_set(ch, me->id, level);
    store_change_t sc = {.kind = STORE_NOTIFY_SET,
                         .ch = chat_channel_row(ch),
                         .user_id = me->id,
                         .notify = chat_channel_notify_name(level)};
    if (chat_hub_change(h, &sc, on_changed, p) < 0) {
        chat_channel_notify_set(ch, me->id, old);
        free(p->user);
        free(p);
        chat_rooms_refuse(s, e->id);
        return;
    }
    chat_session_ref(s);
}

void chat_notify_apply(chat_hub_t *h, chat_channel_t *ch, uint64_t user, const char *level)
{
    chat_notify_level_t l;
    if (!chat_channel_notify_parse(level, &l) || chat_channel_notify_get(ch, user) == l)
        return;
    chat_channel_notify_set(ch, user, l);
    const auth_user_t *u = auth_user(chat_hub_auth(h), user);
    if (u)
        tell(h, ch, u->name, l, NULL);
}
