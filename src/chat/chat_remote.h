/* chat_remote - a change of channels another process committed (chat_hub_outbox_t.change
 * there, carried by the bus), applied to this hub's memory and told to this process's
 * sessions as the request would have been told had it been made here: a new channel is
 * known (and its history readable), a member added or removed has their connected sessions
 * linked in or out (`channel` / `channel_left`) and the channel's members hear `join` /
 * `leave`, a topic reaches the members (`topic`), an archive or unarchive each member's
 * `channel`, a read marker the user's sessions (`read`), a delete removes the channel
 * (`channel_left` to its members).
 *
 * Applying is idempotent and order-tolerant where it can be: a member added twice, a
 * marker that does not advance, a change of a channel not known here (its creation lost on
 * the bus) are ignored. The bus carries hints: what is lost here is known again at the next
 * start (the store has it). */
#ifndef PARLEY_CHAT_REMOTE_H
#define PARLEY_CHAT_REMOTE_H

#include "chat/chat_hub.h"
#include "store/store.h"

/* c as chat_hub_outbox_t.change gave it on the other process. */
void chat_remote_apply(chat_hub_t *h, const store_change_t *c);

#endif
