/* chat_session - one connection's side of the chat: the JSON protocol (join, msg, ping,
 * history, resume, typing), client-id text mode and line mode, with their validation, rate
 * limit and error replies. See docs/protocol.md for the behaviour it implements.
 *
 * Lifetime: the server opens a session when a WebSocket is established and closes it when
 * the connection goes. A session is reference counted because store queries outlive
 * connections: the hub and each query in flight hold a reference; after chat_session_close
 * the transport is never called again for it. */
#ifndef PARLEY_CHAT_SESSION_H
#define PARLEY_CHAT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/chat_hub.h"
#include "json/json_env.h"

typedef struct chat_resume chat_resume_t;
typedef struct chat_join chat_join_t;

/* Ordered widest first: one of these per connection, so padding counts. */
struct chat_session {
    chat_hub_t *hub;
    void *conn; /* NULL once closed */
    char *name;
    chat_presence_t *pres;
    chat_session_t *pres_next; /* the user's other JSON sessions */
    chat_link_t *links;        /* the channels it is in */
    chat_resume_t *resume;     /* a paged resume in progress, or NULL */
    chat_join_t *join;         /* a join waiting for its mention counts, or NULL */
    double tokens;             /* rate limit bucket */
    uint64_t bucket_ms;
    uint64_t typing_ms;
    chat_link_t general; /* its #general link (every session has one: no allocation) */
    int refs;
    uint8_t mode; /* a chat_mode_t */
    bool joined;
};

/* For the channel requests (chat_channel.c). */
void chat_session_ref(chat_session_t *s);
void chat_session_unref(chat_session_t *s);
/* Sends a JSON text built in b. */
void chat_session_send(chat_session_t *s, const buf_t *b);
/* Sends {"type":"error",...}; id is the request id as JSON text, or "". */
void chat_session_error(chat_session_t *s, const char *code, const char *msg, const char *id);
/* Takes one message from the rate limit; false when the sender is over it. */
bool chat_session_take_token(chat_session_t *s);
/* payload.text as a message text (1-max_text characters); false after answering. */
bool chat_session_text_field(chat_session_t *s, const json_env_t *e, const char **t, size_t *len);
/* The user's unread mentions in ch as counted for this connection's welcome (0 when the
 * join did not need to ask the store). */
uint64_t chat_session_join_mentions(const chat_session_t *s, const chat_channel_t *ch);
/* Sends the history that follows joining ch (from memory or the store, holding the link
 * until the store answers), then the user's own `join` event when self_join. */
void chat_session_join_history(chat_session_t *s, chat_link_t *l, bool self_join);
/* Ends one hold of s on ch: a store answer (msgs, oldest first, may be NULL) covered
 * everything committed up to now, so live fan-out goes on after the newest seq it or the
 * channel had. No-op when s left ch meanwhile. */
void chat_session_release_hold(chat_session_t *s, chat_channel_t *ch, const store_msg_t *msgs,
                               size_t n);


/* True when name follows the user-name rules (1-max code points and at most
 * CHAT_NAME_BYTES bytes, no control characters, no leading or trailing white space, valid
 * UTF-8). */
bool chat_name_valid(const char *name, size_t len, size_t max);

#endif
