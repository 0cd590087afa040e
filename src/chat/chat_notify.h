/* chat_notify - each user's notification level of a channel: "all" (the default), "mentions"
 * or "muted" (docs/protocol.md, "Notification levels"). The server only keeps and carries it:
 * what a level means (badges, desktop notifications, the tab title) is the client's.
 *
 * A level is held with its channel in memory (chat_channel_notify_get/set), stored as a
 * STORE_NOTIFY_SET change (a row only for a level other than "all"), loaded at start-up and
 * told to every session of its user: here after the commit, on the other processes through
 * the changes the hub's outbox relays (chat_remote calls chat_notify_apply). A level is
 * kept when its user leaves the channel, so that a return finds it; it goes with the
 * channel when the channel is deleted. */
#ifndef PARLEY_CHAT_NOTIFY_H
#define PARLEY_CHAT_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/blob.h"
#include "chat/chat_channel.h"
#include "chat/chat_hub.h"
#include "chat/chat_session.h"
#include "json/json_env.h"

/* notify {"channel","level"}: by a member of the channel (#general and DMs too). Answered
 * with the notify event carrying the request id once stored (at once when nothing changes);
 * the user's other sessions get the event without it. Errors: bad_payload (no or an unknown
 * level), no_such_channel, forbidden (not a member), unavailable (the store cannot write). */
void chat_notify_request(chat_session_t *s, const json_env_t *e);

/* {"type":"notify"[,"id"],"payload":{"channel","level"}}, a new reference; id: the request id
 * as JSON text, "" or NULL for none. */
blob_t *chat_notify_frame(const chat_channel_t *ch, chat_notify_level_t level, const char *id);

/* A level stored elsewhere (another process, or a store read at a resync): applied to ch
 * and, when it changes what is here, told to user's sessions here. An unknown level name is
 * ignored. */
void chat_notify_apply(chat_hub_t *h, chat_channel_t *ch, uint64_t user, const char *level);

#endif
