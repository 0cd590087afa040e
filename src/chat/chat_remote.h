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
 * the bus) are ignored. The bus carries hints: what it lost is known again at the next
 * resync (chat_remote_resync), which the relay runs whenever its subscription to the
 * changes is (again) in place. */
#ifndef PARLEY_CHAT_REMOTE_H
#define PARLEY_CHAT_REMOTE_H

#include "chat/chat_hub.h"
#include "store/store.h"

/* c as chat_hub_outbox_t.change gave it on the other process. */
void chat_remote_apply(chat_hub_t *h, const store_change_t *c);

/* Reads every channel, membership and read marker from the store (synchronously, like the
 * start-up load) and applies the differences with memory as if each were a change from
 * elsewhere: channels made, changed or deleted, members added or removed, markers moved on.
 * What the bus lost while it was down, or between the start-up load and the subscription,
 * is so repaired. Only while no change of this process is in flight (one applied in memory
 * and not yet committed would look lost): -1 then, nothing done, to try again later; -1
 * also when the store cannot be read. 0 when done. */
int chat_remote_resync(chat_hub_t *h);

#endif
