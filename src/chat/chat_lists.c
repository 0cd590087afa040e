/* chat_lists - the requests that read lists and change nothing: channel_list, a page at a
 * time, and channel_members; see chat_lists.h. */
#include "chat/chat_lists.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "chat/chat_channel.h"
#include "chat/chat_hub.h"
#include "chat/chat_online.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(chat_channel_name(*(const chat_channel_t *const *)a),
                  chat_channel_name(*(const chat_channel_t *const *)b));
}

/* channel_list's filters: {"after", "limit", "member", "channel", "archived"}, all
 * optional. False after answering bad_payload. */
typedef struct {
    const char *after;   /* only names after it ("" for all) */
    const char *channel; /* only that one (NULL: all) */
    unsigned limit;
    bool member;   /* only channels the user is in */
    bool archived; /* archived channels too */
} list_filter_t;

static bool list_filter(chat_session_t *s, const json_env_t *e, list_filter_t *f)
{
    json_t *p = e->payload;
    json_t *after = p ? json_object_get(p, "after") : NULL;
    json_t *limit = p ? json_object_get(p, "limit") : NULL;
    json_t *member = p ? json_object_get(p, "member") : NULL;
    json_t *channel = p ? json_object_get(p, "channel") : NULL;
    json_t *archived = p ? json_object_get(p, "archived") : NULL;
    if ((after && !json_is_string(after)) || (channel && !json_is_string(channel)) ||
        (member && !json_is_boolean(member)) || (archived && !json_is_boolean(archived)) ||
        (limit && (!json_is_integer(limit) || json_integer_value(limit) < 1 ||
                   json_integer_value(limit) > CHAT_LIST_PAGE))) {
        chat_session_error(s, "bad_payload",
                           "channel_list takes after (a name), limit (1-500), member and "
                           "archived (true or false) and channel (a name), all optional",
                           e->id);
        return false;
    }
    *f = (list_filter_t){.after = after ? json_string_value(after) : "",
                         .channel = channel ? json_string_value(channel) : NULL,
                         .limit = limit ? (unsigned)json_integer_value(limit) : CHAT_LIST_PAGE,
                         .member = json_is_true(member),
                         .archived = json_is_true(archived)};
    return true;
}

/* Whether ch is listed for user under f (a private channel or DM only to its members). */
static bool listed(const chat_channel_t *ch, uint64_t user, const list_filter_t *f)
{
    bool in = chat_channel_has_user(ch, user);
    return !chat_channel_unstored(ch) && (in || chat_channel_kind(ch) == CHAT_KIND_PUBLIC) &&
           (!chat_channel_archived(ch) || f->archived || f->channel) && (in || !f->member) &&
           strcmp(chat_channel_name(ch), f->after) > 0 &&
           (!f->channel || strcmp(chat_channel_name(ch), f->channel) == 0);
}

/* channel_list: the channels the user may see, by name, a page at a time (CHAT_LIST_PAGE at
 * most: a server's whole list in one frame was megabytes), "more" when the page is full
 * and others follow: the client asks again with "after" the page's last name. */
void chat_lists_channels(chat_session_t *s, const json_env_t *e)
{
    chat_hub_t *h = chat_session_hub(s);
    uint64_t user = chat_session_user(s)->id;
    list_filter_t f;
    if (!list_filter(s, e, &f))
        return;
    size_t total = chat_hub_nchannels(h), n = 0;
    const chat_channel_t **v = xmalloc(total * sizeof(*v));
    for (size_t i = 0; i < total; i++) {
        const chat_channel_t *ch = chat_hub_channel_at(h, i);
        if (listed(ch, user, &f))
            v[n++] = ch;
    }
    qsort(v, n, sizeof(*v), by_name);
    bool more = n > f.limit;
    if (more)
        n = f.limit;
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"channels\"");
    if (e->id[0])
        buf_appendf(&b, ",\"id\":%s", e->id);
    buf_append_str(&b, ",\"payload\":{\"channels\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_append_str(&b, ",");
        chat_channel_json(v[i], chat_hub_auth(h), user, chat_hub_member_count(h, v[i]), -1, &b);
        b.len--; /* reopen the object for one more field */
        buf_appendf(&b, ",\"member\":%s}", chat_channel_has_user(v[i], user) ? "true" : "false");
    }
    buf_appendf(&b, "],\"more\":%s}}", more ? "true" : "false");
    chat_session_send_answer(s, &b);
    buf_deinit(&b);
    free(v);
}

/* One person of a member list: {"name","display_name","role","guest"}; u NULL: a name no
 * account holds (a text mode's). */
static void person_json(const auth_user_t *u, const char *name, buf_t *b)
{
    bool guest = !u || u->role == AUTH_GUEST;
    buf_append_str(b, "{\"name\":");
    json_append_string(b, name, strlen(name));
    buf_append_str(b, ",\"display_name\":");
    json_append_string(b, u ? u->display : "", u ? strlen(u->display) : 0);
    buf_appendf(b, ",\"role\":\"%s\",\"guest\":%s}", auth_role_name(u ? u->role : AUTH_GUEST),
                guest ? "true" : "false");
}

/* channel_members: who is in a channel the user may see, and who made it. #general, which
 * has everyone, lists who is online (as its member count does). At most
 * CHAT_MEMBERS_LISTED people; "more" says there are others. */
void chat_lists_members(chat_session_t *s, const json_env_t *e)
{
    chat_hub_t *h = chat_session_hub(s);
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", false, false);
    if (!ch)
        return;
    const char *name = chat_channel_name(ch);
    const char *creator = chat_channel_row(ch).created_by;
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"members\"");
    if (e->id[0])
        buf_appendf(&b, ",\"id\":%s", e->id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, name, strlen(name));
    buf_append_str(&b, ",\"creator\":");
    json_append_string(&b, creator, strlen(creator));
    buf_append_str(&b, ",\"users\":[");
    size_t n = 0;
    bool more = false;
    if (chat_channel_is_general(ch)) {
        chat_online_names_t it = chat_online_names(h);
        for (const char *u; (u = chat_online_names_next(&it));) {
            if (n == CHAT_MEMBERS_LISTED) {
                more = true;
                break;
            }
            if (n++)
                buf_append_str(&b, ",");
            person_json(auth_user_named(chat_hub_auth(h), u, strlen(u)), u, &b);
        }
    } else {
        size_t total = chat_channel_nusers(ch);
        more = total > CHAT_MEMBERS_LISTED;
        for (size_t i = 0; i < total && n < CHAT_MEMBERS_LISTED; i++) {
            const auth_user_t *u = auth_user(chat_hub_auth(h), chat_channel_user_at(ch, i));
            if (!u)
                continue;
            if (n++)
                buf_append_str(&b, ",");
            person_json(u, u->name, &b);
        }
    }
    buf_appendf(&b, "],\"more\":%s}}", more ? "true" : "false");
    chat_session_send(s, &b);
    buf_deinit(&b);
}
