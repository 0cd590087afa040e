/* chat_event - the requests that act on a stored message: a thread reply (msg with
 * payload.thread), edit, delete and react, and the thread request that reads one thread
 * (docs/protocol.md, "Threads, edits, deletes, reactions").
 *
 * Each becomes an event with the channel's next seq, stored and fanned out like a message,
 * so history and resume replay it and clients fold it onto its target. Before that, the
 * target is looked up (from the recent ring, else from the store, asynchronously): it must
 * be a message of that channel; only its author may edit or delete it; a reply to a reply
 * goes to the thread's parent. A reaction toggles: the server keeps who has which emoji on
 * what, so the event says on or off. */
#ifndef PARLEY_CHAT_EVENT_H
#define PARLEY_CHAT_EVENT_H

#include <stdbool.h>

#include "chat/chat_session.h"
#include "json/json_env.h"

#define CHAT_EMOJI_MAX 32   /* bytes of a reaction */
#define CHAT_THREAD_MAX 500 /* replies a thread request returns */

/* True for edit, delete, react and thread. */
bool chat_event_request_known(const char *type);
/* Answers one of them, or a msg carrying payload.thread, for a joined session. */
void chat_event_request(chat_session_t *s, const json_env_t *e);

#endif
