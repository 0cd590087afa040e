/* chat_rooms - the requests that change channels and memberships: channel_create,
 * channel_join, channel_leave, channel_invite, channel_topic, dm_open and read
 * (docs/protocol.md, "Channels" and "Read markers").
 *
 * Every change is applied in memory at once (so a second request sees it: a name is taken
 * as soon as it is asked for) and written through the hub; what the users see of it (the
 * `channel`, `channel_left`, `invited`, `topic` and `read` events, the links of their
 * sessions) follows the commit, as a message's ack does. */
#ifndef PARLEY_CHAT_ROOMS_H
#define PARLEY_CHAT_ROOMS_H

#include "chat/chat_session.h"
#include "json/json_env.h"

void chat_rooms_create(chat_session_t *s, const json_env_t *e);
void chat_rooms_join(chat_session_t *s, const json_env_t *e);
void chat_rooms_leave(chat_session_t *s, const json_env_t *e);
void chat_rooms_invite(chat_session_t *s, const json_env_t *e);
/* channel_kick {"channel","user"}: answered `kicked` {"channel","user"}. */
void chat_rooms_kick(chat_session_t *s, const json_env_t *e);
void chat_rooms_topic(chat_session_t *s, const json_env_t *e);
void chat_rooms_dm(chat_session_t *s, const json_env_t *e);
void chat_rooms_read(chat_session_t *s, const json_env_t *e);

/* Frames, each a new reference; id: the request id as JSON text, "" or NULL for none.
 * channel: {"type":"channel"[,"id"],"payload":{"channel":{...}}} as user sees ch.
 * named: {"type":type[,"id"],"payload":{"channel"[,"user"]}} (user NULL for none).
 * topic: {"type":"topic"[,"id"],"payload":{"channel","topic","user","ts"}}, ch's topic.
 * read: {"type":"read"[,"id"],"payload":{"channel","seq"}}. */
blob_t *chat_rooms_channel_frame(chat_hub_t *h, const chat_channel_t *ch, uint64_t user,
                                 const char *id);
blob_t *chat_rooms_named_frame(const char *type, const chat_channel_t *ch, const char *user,
                               const char *id);
blob_t *chat_rooms_topic_frame(const chat_channel_t *ch, const char *user, int64_t ts,
                               const char *id);
blob_t *chat_rooms_read_frame(const chat_channel_t *ch, uint64_t seq, const char *id);
/* Links (enter) or unlinks every connected session here of user uid, shown as name, into
 * or out of ch, and sends each the `channel` or `channel_left` event. The requester (NULL:
 * none, as for a change from another process) gets its copy with id when it is one of the
 * user's sessions, or in any case when `always`. Returns how many sessions the user has
 * here. The one path for both a request answered here and a change committed elsewhere. */
size_t chat_rooms_link_user(chat_hub_t *h, chat_channel_t *ch, uint64_t uid, const char *name,
                            bool enter, chat_session_t *requester, const char *id, bool always);
/* Answers a change the hub refused now: `unavailable` while the store cannot write, else
 * `internal` (shutting down). */
void chat_rooms_refuse(chat_session_t *s, const char *id);

#endif
