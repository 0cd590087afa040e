/* chat_history - every answer about the past, and the resume splice's one owner.
 *
 * The history that follows entering a channel, `history` pages, `thread`, the lookup of an
 * event's target, a user's unread mention counts, and `resume` (the messages a client
 * missed in one or more channels, paged while the connection keeps up, then `resumed`).
 * An answer from the store holds the link (chat_link_hold) until it is sent, so live
 * fan-out neither duplicates it nor leaves a gap: the answer holds everything committed
 * before it was asked (store.h), and what was committed while it ran follows it from the
 * ring. This module is the only caller of chat_link_hold and chat_link_release.
 *
 * Every store read here but the target lookup is the session's (its owner, counted in its
 * reads in flight): a request past CHAT_READS_MAX is answered `rate_limited`, and a read
 * past the store's budget `too_costly`. */
#ifndef PARLEY_CHAT_HISTORY_H
#define PARLEY_CHAT_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "chat/chat_channel.h"
#include "chat/chat_session.h"
#include "json/json_env.h"

#define CHAT_THREAD_MAX 500 /* replies a thread request returns */

/* Sends the history that follows entering l's channel (from the ring, else from the
 * store, holding l until it answers), then the user's own `join` event when self_join. */
void chat_history_join(chat_session_t *s, chat_link_t *l, bool self_join);
/* The user's own `join` event in ch, sent to s alone. */
void chat_history_self_join(chat_session_t *s, const chat_channel_t *ch);
/* `history` {channel, before | after, limit}. */
void chat_history_request(chat_session_t *s, const json_env_t *e);
/* `thread` {channel, seq}: the parent and its replies, oldest first. */
void chat_history_thread(chat_session_t *s, const json_env_t *e, chat_channel_t *ch, uint64_t seq);

/* An event's target as the rights check needs it. */
typedef struct {
    bool found; /* a msg (not an edit, delete or reaction) of that channel */
    bool deleted;
    uint64_t user_id; /* its author */
    uint64_t thread;  /* its parent when it is a reply */
} chat_target_t;
typedef void (*chat_target_cb)(void *ctx, const chat_target_t *t);
/* Looks seq up in ch: from the ring at once (cb before returning), else from the store. */
void chat_history_target(chat_hub_t *h, chat_channel_t *ch, uint64_t seq, chat_target_cb cb,
                         void *ctx);
/* The user's unread mentions, one row per mentioning message (see store.h), read for s (its
 * owner: the caller counts it in s's reads). Returns 0, or < 0 when the store is closing
 * (cb will not fire). */
int chat_history_mentions(chat_session_t *s, uint64_t user, store_query_cb cb, void *ctx);
/* Answers request id after a read that failed with status: `too_costly` (STORE_EBUDGET),
 * nothing (STORE_ECANCELED: nobody is listening), else `internal`. */
void chat_history_read_error(chat_session_t *s, int status, const char *id);

/* `resume` {channels: {name: last seq seen}}: validated first, then served. */
void chat_history_resume(chat_session_t *s, const json_env_t *e);
/* The connection's queue drained: the next part of a resume in progress, if any. */
void chat_history_drained(chat_session_t *s);
/* The session is ending: frees its resume, unless a page query is in flight (which then
 * frees it when it lands). */
void chat_history_abandon(chat_session_t *s);

#endif
