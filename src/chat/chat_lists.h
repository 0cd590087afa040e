/* chat_lists - the requests that read lists of channels and people and change nothing:
 * channel_list (paged by name: a server's whole list in one frame was megabytes) and
 * channel_members (docs/protocol.md, "Channels"). Their answers are answers the client asked
 * for (chat_session_send_answer): they never count against it as a slow reader. */
#ifndef PARLEY_CHAT_LISTS_H
#define PARLEY_CHAT_LISTS_H

#include "chat/chat_session.h"
#include "json/json_env.h"

/* channel_list {"after", "limit", "member", "channel", "archived"} (all optional):
 * answered `channels` {"channels": [...], "more"}. */
void chat_lists_channels(chat_session_t *s, const json_env_t *e);
/* channel_members {"channel"}: answered `members` {"channel","creator","users","more"}. */
void chat_lists_members(chat_session_t *s, const json_env_t *e);

#endif
