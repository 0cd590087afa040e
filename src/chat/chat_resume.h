/* chat_resume - a session's `resume`: the messages it missed in one or more channels, paged
 * from the recent ring or the store while the connection keeps up, then one `resumed`. Each
 * channel's link is held (live fan-out skips it) until its part has caught up, so the
 * client sees no gap and no duplicate. */
#ifndef PARLEY_CHAT_RESUME_H
#define PARLEY_CHAT_RESUME_H

#include "chat/chat_session.h"
#include "json/json_env.h"

/* Answers a resume request of a joined session (validating every channel first). */
void chat_resume_request(chat_session_t *s, const json_env_t *e);
/* The connection's queue drained: the next part of a resume in progress, if any. */
void chat_resume_drained(chat_session_t *s);
/* The session is closing: frees its resume, unless a page query is in flight (which then
 * frees it when it lands). */
void chat_resume_abandon(chat_session_t *s);

#endif
