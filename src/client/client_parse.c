/* client_parse - the protocol's rows and channel objects read into client.h's structs. */
#include <string.h>
#include <strings.h>

#include "client/client_int.h"

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

static int64_t int_or(const json_t *o, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static bool bool_of(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

void client_channel_parse(const json_t *o, client_channel_t *ch)
{
    memset(ch, 0, sizeof(*ch));
    ch->name = str_or(o, "name", "");
    ch->kind = str_or(o, "kind", "public");
    ch->topic = str_or(o, "topic", "");
    const json_t *users = json_object_get(o, "users");
    for (size_t i = 0; i < json_array_size(users) && ch->n_users < CLIENT_DM_MAX; i++) {
        const char *u = json_string_value(json_array_get(users, i));
        if (u)
            ch->users[ch->n_users++] = u;
    }
    ch->members = int_or(o, "members", 0);
    ch->last_seq = int_or(o, "last_seq", 0);
    ch->read_seq = int_or(o, "read_seq", 0);
    ch->unread = int_or(o, "unread", 0);
    ch->mentions = int_or(o, "mentions", 0);
    ch->notify = str_or(o, "notify", "all");
    ch->archived = bool_of(o, "archived");
    ch->raw = o;
}

int client_msg_parse(const client_t *c, const json_t *row, client_msg_t *m)
{
    memset(m, 0, sizeof(*m));
    const char *channel = json_string_value(json_object_get(row, "channel"));
    int64_t seq = int_or(row, "seq", 0);
    if (!json_is_object(row) || !channel || seq <= 0)
        return -1;
    m->channel = channel;
    m->seq = seq;
    m->user = str_or(row, "user", "");
    m->ts = int_or(row, "ts", 0);
    m->kind = json_string_value(json_object_get(row, "kind"));
    m->text = str_or(row, "text", "");
    m->thread = int_or(row, "thread", 0);
    m->target = int_or(row, "target", 0);
    m->emoji = json_string_value(json_object_get(row, "emoji"));
    m->on = bool_of(row, "on");
    m->member = json_string_value(json_object_get(row, "member"));
    m->cid = json_string_value(json_object_get(row, "cid"));
    m->guest = bool_of(row, "guest");
    m->edited = bool_of(row, "edited");
    m->deleted = bool_of(row, "deleted");
    m->mine = c && c->user && c->user[0] && !strcmp(m->user, c->user);
    const json_t *replies = json_object_get(row, "replies");
    m->reply_count = int_or(replies, "count", 0);
    m->reply_last_seq = int_or(replies, "last_seq", 0);
    const json_t *mentions = json_object_get(row, "mentions");
    for (size_t i = 0; i < json_array_size(mentions) && m->n_mentions < CLIENT_MENTIONS_MAX; i++) {
        const char *u = json_string_value(json_array_get(mentions, i));
        if (u)
            m->mentions[m->n_mentions++] = u;
    }
    /* A pin taken off is stored as kind "unpin" and sent live as "pin" with on false. */
    if (m->kind && !strcmp(m->kind, "unpin"))
        m->on = false;
    m->raw = row;
    return 0;
}

bool client_msg_mentions(const client_msg_t *m, const char *user)
{
    if (m->mine || !user || !user[0])
        return false;
    for (size_t i = 0; i < m->n_mentions; i++)
        if (!strcasecmp(m->mentions[i], user) || !strcmp(m->mentions[i], "channel") ||
            !strcmp(m->mentions[i], "here"))
            return true;
    return false;
}
