/* chat - the chat layer's one face to the rest of the program: what the connection driver
 * (server), the connection loops and main may know of chat. Nothing below this header is
 * theirs to include.
 *
 * A connection meets chat through five calls: open (a WebSocket is established), text and
 * binary (a whole message arrived), drained (its queue emptied after chat asked), close
 * (the connection is gone). Chat reaches the connection back through the chat_transport_t
 * given to chat_new. Everything runs on the hub's loop thread. */
#ifndef PARLEY_CHAT_H
#define PARLEY_CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "auth/auth_policy.h"
#include "chat/chat_defs.h"
#include "store/store.h"

/* The chat state of one process, created on the loop that will run it, with the store it
 * writes to, the accounts it takes identities from, and the transport its sessions' conn
 * pointers belong to (all borrowed and outliving it). It registers auth's revoke callback:
 * revoked sessions' WebSockets are closed with the code auth gives. */
chat_hub_t *chat_new(store_t *store, auth_t *auth, const chat_config_t *cfg,
                     const chat_transport_t *t);
/* Reads channels, memberships, read markers, reactions and mentions from the store
 * (synchronous, at start-up). Returns 0 or < 0. */
int chat_load(chat_hub_t *h);
/* After every session closed and the store closed (its pending callbacks answered). */
void chat_free(chat_hub_t *h);
void chat_metrics(const chat_hub_t *h, chat_metrics_t *out);
/* Once a second, on the hub's loop: probes a store that failed, fills delivery gaps. */
void chat_tick(chat_hub_t *h);

/* A WebSocket was established on conn. For CHAT_MODE_CLIENTID, client_id names the user
 * and the session enters #general at once. creds (copied; NULL for none) is what the
 * upgrade carried. Never NULL. */
chat_session_t *chat_open(chat_hub_t *h, void *conn, chat_mode_t mode, const char *client_id,
                          const chat_creds_t *creds);
/* A whole text message (valid UTF-8) arrived. */
void chat_text(chat_session_t *s, const char *text, size_t len);
/* A whole binary message arrived. */
void chat_binary(chat_session_t *s, const uint8_t *data, size_t len);
/* The queue drained after chat asked (transport want_drain). */
void chat_drained(chat_session_t *s);
/* The connection is gone: leave, announce, release. s must not be used afterwards, and the
 * transport is never called for it again. */
void chat_close(chat_session_t *s);

/* Whether user may download (post false) or upload (post true) the files of channel: a
 * member of it (everyone is in #general) who may see it, or post in it (auth_can). False
 * for a channel that does not exist or that the user may not see. */
bool chat_files_allowed(chat_hub_t *h, uint64_t user, const char *channel, bool post);

/* u's profile (display name, title, time zone, avatar) changed: every JSON session of this
 * process that knows events (#general's members: everyone; not plain clients, which show
 * every frame as a message) gets {"type":"profile"} (docs/protocol.md). Other
 * processes sharing the store learn it when they re-read the accounts, not live. */
void chat_profile_changed(chat_hub_t *h, const auth_user_t *u);

/* ---- REST calls (a bot's or a script's request over HTTP: api_rest.c) ----
 * A call runs one JSON request of the protocol (`{"type","id","payload"}`, any id) as user
 * (signed in with session sid, 0 for none; addr its address) through the very handlers,
 * rights check, rate limit, client keys and hub a WebSocket's request goes through. It
 * runs on a session of its own, in the user's channels but nobody's presence (no join or
 * leave is told, no welcome), whose links take no fan-out: only the answer reaches it.
 *
 * cb(ctx, json, len) fires exactly once, with the answer's JSON text (the frame that carries
 * the request's id: an ack, a reply or an error; borrowed for the call), or with NULL when
 * the session was closed first (its token revoked meanwhile). It may fire before chat_call
 * returns, and from deep inside the hub (an ack after a commit): the receiver copies what it
 * needs and does no more there (it must not call chat). Whatever happened, the caller ends
 * the call with chat_call_end, later, from the top of the loop. */
typedef struct chat_call chat_call_t;
typedef void (*chat_call_cb)(void *ctx, const char *json, size_t len);
chat_call_t *chat_call(chat_hub_t *h, const auth_user_t *u, uint64_t sid, const char *addr,
                       const char *request, size_t len, chat_call_cb cb, void *ctx);
/* Ends the call's session (cb never fires after it) and frees it. */
void chat_call_end(chat_call_t *c);

/* ---- integrations (chat_apps.c) ---- */

/* An incoming webhook's message (docs/api.md, "Incoming webhooks"). Strings borrowed. */
typedef struct {
    uint64_t hook;       /* the hook's id: its rate bucket (a user's rate and burst) */
    uint64_t creator;    /* who made it: it posts while they may still manage its hooks */
    const char *channel; /* where it posts */
    const char *name;    /* shown as the author (1 to --max-name code points, checked) */
    const char *icon;    /* ":emoji:" shown as its avatar, NULL or "" for none */
    const char *text;    /* the message, already in parley's formatting */
    size_t len;
} chat_app_post_t;

/* Refusals of chat_app_post (nothing was published, cb never fires). */
#define CHAT_APP_ENOCHANNEL (-1)   /* the channel is gone */
#define CHAT_APP_EARCHIVED (-2)    /* the channel is archived (read-only) */
#define CHAT_APP_EFORBIDDEN (-3)   /* its creator may no longer manage the channel's hooks */
#define CHAT_APP_ERATE (-4)        /* past the rate limit: *retry_ms says when it may post */
#define CHAT_APP_EUNAVAILABLE (-5) /* the store refuses writes now */
#define CHAT_APP_ETOOLONG (-6)     /* the text is past --max-text code points */
#define CHAT_APP_ENOTEXT (-7)      /* the text is empty, or not UTF-8 */

/* Publishes p as a message of the hub's channel, from the app (user p->name, no user id,
 * store_msg_t.app {"name","icon"}): stored, numbered and delivered as any message (live,
 * history, resume, search, unread; other processes through the bus). 0: accepted, and
 * cb(ctx, status, seq) fires once, from the loop, when it is stored (0) or failed (< 0);
 * else a CHAT_APP_E* refusal. */
int chat_app_post(chat_hub_t *h, const chat_app_post_t *p,
                  void (*cb)(void *ctx, int status, uint64_t seq), void *ctx, uint64_t *retry_ms);
/* Whether user may manage the incoming webhooks of channel (auth_can with
 * AUTH_ACT_HOOK_MANAGE and the channel's facts); AUTH_HIDDEN for a channel that does not
 * exist or that the user may not see. */
auth_verdict_t chat_hooks_allowed(chat_hub_t *h, uint64_t user, const char *channel);

/* True for a valid client id (the /ws/{client_id} route): 1-32 of A-Za-z0-9_- . */
bool chat_client_id_valid(const char *id, size_t len);

#endif
