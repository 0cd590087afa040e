/* chat_remote - changes committed by another process, applied here; see chat_remote.h. */
#include "chat/chat_remote.h"

#include <string.h>

#include "base/clock.h"
#include "chat/chat_archive.h"
#include "chat/chat_rooms.h"

static chat_kind_t kind_of(const char *kind)
{
    if (kind && strcmp(kind, "dm") == 0)
        return CHAT_KIND_DM;
    if (kind && strcmp(kind, "private") == 0)
        return CHAT_KIND_PRIVATE;
    return CHAT_KIND_PUBLIC;
}

/* The connected sessions of user (by id): how many, their links in *out. */
static size_t sessions_of(chat_hub_t *h, uint64_t user, const char **name, chat_link_t *const **out)
{
    const auth_user_t *u = auth_user(chat_hub_auth(h), user);
    *name = u ? u->name : NULL;
    chat_presence_t *p = u ? chat_presence_find(chat_hub_presence(h), u->name) : NULL;
    *out = NULL;
    return p ? chat_presence_links(p, out) : 0;
}

static void member(chat_hub_t *h, chat_channel_t *ch, uint64_t user, bool add);

/* A channel made (with its creator as a member, as the store made it), or its row changed:
 * topic, kind and the archive mark. */
static void put(chat_hub_t *h, chat_channel_t *ch, const store_channel_t *row, bool create)
{
    if (!ch || chat_channel_unstored(ch)) { /* unstored: this process lost the race for it */
        if (!chat_channel_name_valid(row->name, strlen(row->name)))
            return;
        if (!ch)
            ch = chat_hub_channel_add(
                h, row->name, kind_of(row->kind), row->topic ? row->topic : "",
                row->created_by ? row->created_by : "", row->creator_id, row->ts);
        chat_channel_set_kind(ch, kind_of(row->kind));
        chat_channel_set_topic(ch, row->topic ? row->topic : "");
        chat_channel_set_creator(ch, row->created_by, row->creator_id, row->ts);
        chat_channel_set_unstored(ch, false);
        chat_channel_set_archived(ch, row->archived);
        if (create && row->creator_id)
            member(h, ch, row->creator_id, true);
        return;
    }
    if (row->topic && strcmp(row->topic, chat_channel_topic(ch)) != 0) {
        chat_channel_set_topic(ch, row->topic);
        /* Who set it is not part of the row: the event says nobody. */
        blob_t *f = chat_rooms_topic_frame(ch, "", clock_wall_ms(), NULL);
        chat_hub_emit(h, ch, &(chat_emit_t){.json = f});
        blob_unref(f);
    }
    if (!chat_channel_is_general(ch) && row->archived != chat_channel_archived(ch)) {
        chat_channel_set_archived(ch, row->archived);
        chat_archive_tell(h, ch, NULL);
    }
}

static void member(chat_hub_t *h, chat_channel_t *ch, uint64_t user, bool add)
{
    if (chat_channel_has_user(ch, user) == add)
        return;
    if (add)
        chat_channel_user_add(ch, user);
    else
        chat_channel_user_remove(ch, user);
    const auth_user_t *u = auth_user(chat_hub_auth(h), user);
    const char *name = u ? u->name : NULL;
    if (chat_rooms_link_user(h, ch, user, name, add, NULL, NULL, false) && name)
        chat_hub_announce(h, ch, name, add, NULL);
}

static void read_marker(chat_hub_t *h, chat_channel_t *ch, uint64_t user, uint64_t seq)
{
    if (seq <= chat_channel_read_get(ch, user))
        return;
    chat_channel_read_set(ch, user, seq);
    const char *name;
    chat_link_t *const *links;
    size_t n = sessions_of(h, user, &name, &links);
    blob_t *f = chat_rooms_read_frame(ch, chat_channel_read_get(ch, user), NULL);
    for (size_t i = 0; i < n; i++)
        chat_session_send_frame(links[i]->s, f);
    blob_unref(f);
}

void chat_remote_apply(chat_hub_t *h, const store_change_t *c)
{
    if (!c->ch.name)
        return;
    chat_channel_t *ch = chat_hub_channel(h, c->ch.name);
    switch (c->kind) {
    case STORE_CHANNEL_CREATE:
    case STORE_CHANNEL_PUT:
        put(h, ch, &c->ch, c->kind == STORE_CHANNEL_CREATE);
        return;
    case STORE_MEMBER_ADD:
    case STORE_MEMBER_REMOVE:
        if (ch && c->user_id && !chat_channel_is_general(ch))
            member(h, ch, c->user_id, c->kind == STORE_MEMBER_ADD);
        return;
    case STORE_READ:
        if (ch && c->user_id)
            read_marker(h, ch, c->user_id, c->seq);
        return;
    case STORE_CHANNEL_DELETE:
        if (ch && !chat_channel_is_general(ch)) {
            chat_channel_set_deleted(ch, true);
            chat_archive_gone(ch);
        }
        return;
    default:
        return; /* accounts travel another way (accounts_version) */
    }
}
