/* chat_channel - channels beyond #general: their stored properties and members, and the
 * JSON requests that change them (channel_create, channel_list, channel_join,
 * channel_leave, channel_invite, channel_topic, dm_open, read; docs/protocol.md, "Channels"
 * and "Read markers").
 *
 * Every change is applied in memory at once (so a second request sees it: a name is taken
 * as soon as it is asked for) and written through the store; what the users see of it (the
 * `channel`, `channel_left`, `invited` and `topic` events, the member links of their
 * sessions) follows the commit, as a message's ack does. */
#ifndef PARLEY_CHAT_CHANNEL_H
#define PARLEY_CHAT_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "chat/chat_hub.h"
#include "json/json_env.h"

#define CHAT_TOPIC_MAX 250     /* code points */
#define CHAT_CHANNELS_MAX 4096 /* channels on one server, #general included */
#define CHAT_DM_MAX 8          /* people in a direct message */

/* Replaces a channel's topic (copied). */
void chat_channel_set_topic(chat_channel_t *ch, const char *topic);
/* Stored membership by user name (#general: everyone). */
bool chat_channel_has_user(const chat_channel_t *ch, const char *user);
void chat_channel_user_add(chat_channel_t *ch, const char *user);
void chat_channel_user_remove(chat_channel_t *ch, const char *user);
/* The member count clients are shown: stored members, or users online for #general. */
size_t chat_channel_member_count(const chat_channel_t *ch);
/* Appends {"name","kind","topic","members","last_seq"}, for a user (NULL: none) that
user's "read_seq" and "unread", and "mentions" unless it is negative. */
void chat_channel_json(const chat_channel_t *ch, const char *user, int64_t mentions, buf_t *out);
/* A user's read marker (0: nothing read), and moving it forward (never back). */
uint64_t chat_channel_read_get(const chat_channel_t *ch, const char *user);
void chat_channel_read_set(chat_channel_t *ch, const char *user, uint64_t seq);
/* Appends ",{...}" for each channel of s other than #general, by name, with the unread
 * mentions counted for its welcome. */
void chat_channel_json_member_list(chat_session_t *s, buf_t *out);
/* Slack's rules: 1-80 of a-z 0-9 - _, not starting with - or _. */
bool chat_channel_name_valid(const char *name, size_t len);

/* True for the request types this module answers. */
bool chat_channel_request_known(const char *type);
/* Answers one of them for a joined session. */
void chat_channel_request(chat_session_t *s, const json_env_t *e);

#endif
