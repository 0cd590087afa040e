/* chat_pins - the two reads about one channel's messages that pins and edit histories need
 * (docs/protocol.md, "Pins and edit history"): `pins` answers the channel's pinned messages
 * as they stand (chat_channel_pins holds which, the store their text), newest pin first;
 * `edits` answers a message's text as first sent and each edit of it, oldest first. Both
 * only to members, both one store read (store_query_t.seqs, .edits). Pinning itself is an
 * event (chat_event_pin). */
#ifndef PARLEY_CHAT_PINS_H
#define PARLEY_CHAT_PINS_H

#include "chat/chat_session.h"
#include "json/json_env.h"

#define CHAT_EDITS_MAX 200 /* edits an `edits` answer lists (the oldest; `more` past them) */

/* pins {"channel"}: {"type":"pins","id","payload":{"channel","messages":[rows with
 * "pinned_by","pinned_ts","pinned_seq"]}}. */
void chat_pins_request(chat_session_t *s, const json_env_t *e);
/* edits {"channel","seq"}: {"type":"edits","id","payload":{"channel","seq","user","ts",
 * "original","edits":[{"seq","ts","text"}],"more"}}; no_such_message for a deleted msg. */
void chat_pins_edits(chat_session_t *s, const json_env_t *e);

#endif
