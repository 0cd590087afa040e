/* chat_event - the requests that write to a channel's timeline or say something live in it:
 * msg (a message, or a thread reply with payload.thread), edit, delete, react, thread (read
 * one thread) and typing (docs/protocol.md, "Messages" and "Threads, edits, deletes,
 * reactions").
 *
 * Each write becomes an event with the channel's next seq, stored and fanned out by the
 * hub, so history and resume replay it and clients fold it onto its target. Before that,
 * the target is looked up (chat_history_target): it must be a message of that channel;
 * only its author may edit or delete it; a reply to a reply goes to the thread's parent. A
 * reaction toggles: the server keeps who has which emoji on what, so the event says on or
 * off. */
#ifndef PARLEY_CHAT_EVENT_H
#define PARLEY_CHAT_EVENT_H

#include "chat/chat_session.h"
#include "json/json_env.h"

void chat_event_msg(chat_session_t *s, const json_env_t *e);
void chat_event_edit(chat_session_t *s, const json_env_t *e);
void chat_event_delete(chat_session_t *s, const json_env_t *e);
void chat_event_react(chat_session_t *s, const json_env_t *e);
/* pin {"channel","seq","on"}: any member (not in an archived channel) pins or unpins a msg
 * of the channel that is not a thread reply nor deleted; at most CHAT_PINS_MAX pinned. */
void chat_event_pin(chat_session_t *s, const json_env_t *e);
void chat_event_thread(chat_session_t *s, const json_env_t *e);
void chat_event_typing(chat_session_t *s, const json_env_t *e);
/* A text-mode line for #general from user (no error channel: what cannot be taken is
 * dropped). */
void chat_event_text_line(chat_session_t *s, const char *user, const char *text, size_t len);

#endif
