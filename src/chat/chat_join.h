/* chat_join - the `join` request: who the connection is, and the welcome.
 *
 * A join validates the name, the optional session token and channel, takes the user's
 * presence, and sends welcome (every channel of the user with unread and mention counts,
 * who is online), the arrival to #general, then the history of the channel asked for and
 * the user's own `join` event. When the user may have unread mentions (someone named them,
 * or an @channel came after their read marker) the welcome waits for the store's count;
 * requests arriving meanwhile are kept, in order and bounded, and run after it. */
#ifndef PARLEY_CHAT_JOIN_H
#define PARLEY_CHAT_JOIN_H

#include <stdbool.h>
#include <stddef.h>

#include "chat/chat_session.h"
#include "json/json_env.h"

#define CHAT_JOIN_HELD_MAX 64             /* requests kept while a join waits */
#define CHAT_JOIN_HELD_BYTES (256 * 1024) /* and their bytes */

/* Runs one request of the session (the dispatcher's entry). */
typedef void (*chat_join_run_cb)(chat_session_t *s, const char *text, size_t len);

/* Answers a join of a session that has not joined; the requests held meanwhile go to run,
 * in order, after the welcome. */
void chat_join_request(chat_session_t *s, const json_env_t *e, chat_join_run_cb run);
/* True while the session's welcome waits for the store. */
bool chat_join_waiting(const chat_session_t *s);
/* Keeps a request (copied) until the welcome; false past the bounds (the client is not
 * waiting for its welcome as the protocol asks: the caller closes it). */
bool chat_join_hold(chat_session_t *s, const char *text, size_t len);
/* The session is ending: its waiting join (if any) is dropped when the store answers. */
void chat_join_abandon(chat_session_t *s);

#endif
