/* chat_session - one connection's side of the chat: who it is, the channels it is linked
 * into, its rate limit, and how anything is said to it (replies, errors, frames).
 *
 * Lifetime: chat.c opens a session when a WebSocket is established and ends it when the
 * connection goes. A session is reference counted because store queries outlive
 * connections: each query in flight holds a reference; after chat_session_end the
 * session's conn is NULL, every send is a no-op, and the transport is never called again
 * for it. The modules above keep their per-session state (a join waiting for its welcome,
 * a resume in progress) in the two slots it carries for them.
 *
 * The struct is private to chat_session.c. */
#ifndef PARLEY_CHAT_SESSION_H
#define PARLEY_CHAT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/blob.h"
#include "auth/auth.h"
#include "auth/auth_policy.h"
#include "base/buf.h"
#include "chat/chat_defs.h"
#include "chat/chat_hub.h"
#include "json/json_env.h"

struct chat_join;   /* chat_join.c */
struct chat_resume; /* chat_history.c */

chat_session_t *chat_session_new(chat_hub_t *h, void *conn, chat_mode_t mode);
void chat_session_ref(chat_session_t *s);
void chat_session_unref(chat_session_t *s);
/* The connection is gone: forgets it for acks, leaves every channel, drops the user's
 * presence (announcing the departure of a user's last connection when announce), and
 * cancels its store reads not answered yet (store_cancel, the session is their owner: their
 * callbacks still fire, later, with STORE_ECANCELED, and release what they hold). The
 * modules above release their own slots (chat_join_abandon, chat_history_abandon); a join
 * or resume whose store answer is in flight frees itself when that answer lands. */
void chat_session_end(chat_session_t *s, bool announce);

/* Store reads in flight for the session (history, threads, searches, resume pages, mention
 * counts; each passes the session as the read's owner). A request that would read checks
 * reads_full first: true, after answering `rate_limited` (with id), when CHAT_READS_MAX are
 * in flight, so a client cannot queue more than that much work behind everyone's reads.
 * begin at each submission, end in each callback, whatever its status. */
bool chat_session_reads_full(chat_session_t *s, const char *id);
void chat_session_read_begin(chat_session_t *s);
void chat_session_read_end(chat_session_t *s);

chat_hub_t *chat_session_hub(const chat_session_t *s);
/* The connection, NULL once ended. */
void *chat_session_conn(const chat_session_t *s);
chat_mode_t chat_session_mode(const chat_session_t *s);
void chat_session_set_mode(chat_session_t *s, chat_mode_t mode);
/* Whether the session takes events (edit, delete, react) in fan-out, history and resume:
 * a connection that chose the parley.v1 subprotocol, or whose join said "events": true.
 * Any other JSON session gets messages only, as they stand (docs/protocol.md, "Events and
 * plain clients"). Set before the session enters its channels. */
bool chat_session_events(const chat_session_t *s);
void chat_session_set_events(chat_session_t *s);
/* The user's name, NULL until known. */
const char *chat_session_name(const chat_session_t *s);
chat_presence_t *chat_session_presence(const chat_session_t *s);
/* Whether this connection said its user is away (the `presence` request); setting it
 * marks the user's presence entry (chat_presence_mark) once per change. */
bool chat_session_away(const chat_session_t *s);
void chat_session_set_away(chat_session_t *s, bool away);
/* Takes the user's identity (name copied; p from chat_presence_add). user: who it is (NULL
 * for a line-mode socket, whose lines each name their own writer); sid: the auth session
 * it signed in with (0: none), whose revocation closes it. */
void chat_session_set_user(chat_session_t *s, const char *name, chat_presence_t *p,
                           const auth_user_t *user, uint64_t sid);
/* The user (the line-mode pseudo-guest for a line-mode socket) and the auth session. */
const auth_user_t *chat_session_user(const chat_session_t *s);
uint64_t chat_session_sid(const chat_session_t *s);
/* What the upgrade said (NULL when it said nothing): kept until the join has used it. */
const chat_creds_t *chat_session_creds(const chat_session_t *s);
void chat_session_set_creds(chat_session_t *s, const chat_creds_t *creds); /* copied; NULL frees */
/* The peer's address (copied; NULL or "" unknown), kept for the rate limit and quotas. */
void chat_session_set_addr(chat_session_t *s, const char *addr);
const char *chat_session_addr(const chat_session_t *s); /* "" when unknown */
/* A JSON session that completed its join: it is one of the user's sessions. */
bool chat_session_joined(const chat_session_t *s);
void chat_session_set_joined(chat_session_t *s);

/* Links. s's link into ch, or NULL. */
chat_link_t *chat_session_link(const chat_session_t *s, const chat_channel_t *ch);
/* The first of s's links (l->s_next for the others). */
chat_link_t *chat_session_links(const chat_session_t *s);
/* Links s into ch (a no-op when it is in); live messages follow what is committed now. */
chat_link_t *chat_session_enter(chat_session_t *s, chat_channel_t *ch);
void chat_session_exit(chat_session_t *s, chat_channel_t *ch);

/* Output, all no-ops once ended. A JSON text built in b: */
void chat_session_send(chat_session_t *s, const buf_t *b);
void chat_session_send_frame(chat_session_t *s, blob_t *frame);
/* A frame of a paged reply, past the outbound bound (see chat_transport_t.send_bulk). */
void chat_session_send_bulk(chat_session_t *s, blob_t *frame);
/* A large answer the client asked for (a welcome, a page of a list), built in b: it does not
 * count against the outbound bound, so that asking for one's own channels never looks
 * like reading too slowly; but only while the backlog is under the outbound budget, so a
 * client that asks and never reads still meets the bound (and cannot pile up memory). */
void chat_session_send_answer(chat_session_t *s, const buf_t *b);
void chat_session_answer_frame(chat_session_t *s, blob_t *frame); /* the same, a frame */
size_t chat_session_backlog(const chat_session_t *s);
void chat_session_want_drain(chat_session_t *s);
/* {"type":"error","code","message"[,"id"]}; id is the request id as JSON text, or "". */
void chat_session_error(chat_session_t *s, const char *code, const char *msg, const char *id);
/* Closes the connection with a WebSocket close code. */
void chat_session_close_conn(chat_session_t *s, uint16_t code, const char *reason);

/* The one check (auth_policy.h) for this session's user doing act, on ch when it is a
 * channel action (NULL otherwise). t (NULL: none) carries the other facts; the channel's
 * are filled in here: its kind, whether the user is in it (stored membership), whether
 * the user created it, whether it is archived. */
/* The same for a user without a session (an HTTP request), who must also be in ch (everyone
 * is in #general): true when allowed. */
bool chat_user_in(const auth_user_t *u, auth_action_t act, const chat_channel_t *ch);
/* auth_can for a user without a session, with ch's facts (membership need not hold). */
auth_verdict_t chat_user_can(const auth_user_t *u, auth_action_t act, const chat_channel_t *ch);
auth_verdict_t chat_session_can(const chat_session_t *s, auth_action_t act,
                                const chat_channel_t *ch, const auth_target_t *t);
/* The sentence a refusal of act on ch gives: that the channel is archived, when that alone
 * refuses it, else msg. */
const char *chat_session_refusal(const chat_session_t *s, auth_action_t act,
                                 const chat_channel_t *ch, const auth_target_t *t, const char *msg);
/* chat_session_can, answering the refusal itself (`no_such_channel` for a channel the user
 * may not see, else `forbidden` with msg, or that the channel is archived) for request e.
 * True when allowed. */
bool chat_session_may(chat_session_t *s, const json_env_t *e, auth_action_t act,
                      const chat_channel_t *ch, const auth_target_t *t, const char *msg);

/* Takes cost tokens from the rate limit (chat_cost.h): the user's bucket, kept by auth
 * across all their connections and reconnects (per connection for line mode), and for
 * guests and line mode also their address's (CHAT_ADDR_BURST_FACTOR times the burst).
 * Returns 0 when taken, else the milliseconds until they could be (nothing taken). */
uint64_t chat_session_take_tokens(chat_session_t *s, unsigned cost);
/* chat_session_take_tokens for request e, answering `rate_limited` with its
 * retry_after_ms when over; true when paid (cost 0 always is). */
bool chat_session_pay(chat_session_t *s, const json_env_t *e, unsigned cost);
/* The rest of state change e's cost (chat_cost.h), paid as it acts, after its checks passed;
 * false after answering `rate_limited` (the caller changes nothing then). */
bool chat_session_pay_rest(chat_session_t *s, const json_env_t *e);
/* True at most once per typing interval: whether a typing event may go out now. */
bool chat_session_typing_due(chat_session_t *s);

/* Slots for the modules above. */
struct chat_join *chat_session_join_state(const chat_session_t *s);
void chat_session_set_join_state(chat_session_t *s, struct chat_join *j);
struct chat_resume *chat_session_resume_state(const chat_session_t *s);
void chat_session_set_resume_state(chat_session_t *s, struct chat_resume *r);

/* Request fields every handler reads, answering the error itself when they are wrong. */
/* payload.text as a message text (1-max_text characters). */
bool chat_session_text_field(chat_session_t *s, const json_env_t *e, const char **t, size_t *len);
/* payload[key] as a channel: absent means #general when optional; the session must be in
 * it when must_be_in (else only its existence is checked). A channel the user may not see
 * (auth_can AUTH_ACT_SEE hidden) is answered as one that does not exist. NULL after
 * answering. */
chat_channel_t *chat_session_channel_field(chat_session_t *s, const json_env_t *e, const char *key,
                                           bool optional, bool must_be_in);

#endif
