/* client - a parley chat client on a libuv loop: the contract parley-cli's scripting
 * mode and its full-screen interface (src/tui) program against.
 *
 * One client_t is one user's link to one server: a WebSocket to {base}/ws in JSON mode
 * (docs/protocol.md), ws:// or wss:// (OpenSSL), signed in with a session token (from
 * `parley-cli login`) or as a guest by name. It speaks the protocol as the web client does
 * (web/conn.js): `join` with `"events": true` (edits, deletes, reactions, channel lines),
 * keeps the guest's session token so a reconnect takes the name back, pings every 25 s,
 * reconnects with backoff and jitter after a drop, and resumes every channel it knows from
 * the last seq it delivered (the resume rides on the `join`, so nothing comes twice and
 * nothing is missed). Writes that carry a client key (`msg`, `edit`, `delete`, `react`)
 * stay in an outbox until acknowledged and are sent again, with the same `cid`, after a
 * reconnect; the server answers a retry of a stored write with its original ack.
 *
 * Threading: everything happens on the loop passed to client_new; callbacks fire on it,
 * never from inside the action that caused them (a callback may call any function here,
 * client_free included).
 *
 * Strings in the structs passed to callbacks are borrowed for the duration of the
 * callback only; copy what you keep. `raw` members are the frame's JSON (jansson),
 * borrowed as well, for fields this header does not name. */
#ifndef PARLEY_CLIENT_H
#define PARLEY_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct client client_t;

#define CLIENT_DM_MAX 8        /* people in a direct message (the caller and 1-7 others) */
#define CLIENT_MENTIONS_MAX 16 /* mentions the server lists on a message */

/* The link as the status line shows it. */
typedef enum {
    CLIENT_OFFLINE = 0,  /* not started, stopped, refused or revoked: nothing reconnects */
    CLIENT_CONNECTING,   /* a connection attempt (TCP, TLS, upgrade, join) is under way */
    CLIENT_CONNECTED,    /* joined: the welcome arrived */
    CLIENT_RECONNECTING, /* lost; the next attempt is in `secs` seconds (ticks each second) */
} client_status_t;

/* One channel as welcome, `channel` and `channels` describe it. */
typedef struct {
    const char *name;                 /* "general", "design", "dm-<hex>" */
    const char *kind;                 /* "public", "private" or "dm" */
    const char *topic;                /* "" when none */
    const char *users[CLIENT_DM_MAX]; /* a dm's members (sorted), n_users of them */
    size_t n_users;
    int64_t members;    /* member count */
    int64_t last_seq;   /* newest seq of the channel when described */
    int64_t read_seq;   /* the user's read marker */
    int64_t unread;     /* events after read_seq up to last_seq (channel lines not counted) */
    int64_t mentions;   /* unread mentions of the user (welcome only; 0 elsewhere) */
    const char *notify; /* "all", "mentions" or "muted" */
    bool archived;
    const json_t *raw; /* the channel object */
} client_channel_t;

/* The welcome, once per successful join (first connection and every reconnect). */
typedef struct {
    const char *user;         /* the name we hold */
    const char *display_name; /* "" when none */
    const char *role;         /* "owner", "admin", "member", "guest", ... */
    bool guest;
    const client_channel_t *channels; /* the channels we are in, general first */
    size_t n_channels;
    bool channels_more;        /* more than the welcome holds: page with client_channel_list */
    const char *const *online; /* names online (at most 100), n_online of them */
    size_t n_online;
    const char *const *away; /* those of them who are away */
    size_t n_away;
    int64_t online_count;
    const json_t *raw;
} client_welcome_t;

/* One row of a channel's timeline: a message, a thread reply, or an event folded onto
 * its target (edit, delete, react, pin, or a channel line). The same struct serves live
 * frames and the rows of history/thread/search answers (client_msg_parse). */
typedef struct {
    const char *channel;
    int64_t seq;
    const char *user;
    int64_t ts;             /* Unix ms */
    const char *kind;       /* NULL for a message; "edit", "delete", "react", "pin", "unpin",
                               "joined", "left", "topic" for events */
    const char *text;       /* message text, an edit's new text, a topic line's topic; "" else */
    int64_t thread;         /* a reply's parent seq; 0 for a top-level message */
    int64_t target;         /* an event's target seq; 0 for a message */
    const char *emoji;      /* react: the emoji; NULL otherwise */
    bool on;                /* react/pin: added (true) or taken off */
    const char *member;     /* joined/left lines: whom it concerns */
    const char *cid;        /* the client key the author's write carried, NULL when none */
    bool guest;             /* the author is a guest */
    bool edited;            /* history: the message was edited (text is the latest) */
    bool deleted;           /* history: the message is a tombstone */
    bool mine;              /* written by the user this client is signed in as */
    int64_t reply_count;    /* history: replies the parent had when the page was made */
    int64_t reply_last_seq; /* history: the newest reply's seq then (see below) */
    const char *mentions[CLIENT_MENTIONS_MAX]; /* names mentioned ("channel", "here" too) */
    size_t n_mentions;
    const json_t *raw;
} client_msg_t;

/* What answered a request: either its answer frame or an error. */
typedef struct {
    const char *type;      /* the answer's type ("ack", "history", "channel", ...) or "error" */
    const char *code;      /* error code: the protocol's ("no_such_channel", "forbidden", ...),
                              or "disconnected" (the link dropped before the answer; only
                              requests without an outbox entry), "stopped" (client_stop);
                              NULL on success */
    const char *message;   /* the error's text for people; NULL on success */
    int64_t seq;           /* "ack": the seq the server stored it at; 0 otherwise */
    bool duplicate;        /* "ack": a retry of a write already stored */
    const json_t *payload; /* the answer's payload (history: {"messages", "more"}, ...) */
} client_reply_t;

/* A request's completion: fires exactly once per request that was accepted (an action
 * that returned > 0), on the loop, with the answer or an error. arg is the caller's. */
typedef void (*client_reply_cb)(client_t *c, const client_reply_t *r, void *arg);

/* What the interface is told. Every member may be NULL. ud is client_opts_t.ud. */
typedef struct {
    /* The link changed: secs is the countdown for CLIENT_RECONNECTING (called again as it
     * ticks), 0 otherwise; text a short human line ("connecting", "reconnecting in 3 s"). */
    void (*status)(client_t *c, client_status_t st, int secs, const char *text, void *ud);
    /* Joined (reconnected: false the first time). After a reconnect the resume follows:
     * the missed rows come through msg, then resumed. */
    void (*welcome)(client_t *c, const client_welcome_t *w, bool reconnected, void *ud);
    /* A resume finished for channel: recovered false means the server could not replay the
     * whole range (fetch history again: rows may be missing between from_seq and to_seq). */
    void (*resumed)(client_t *c, const char *channel, int64_t from_seq, int64_t to_seq,
                    bool recovered, void *ud);
    /* A channel we are in was added or changed (created, joined, invited, a dm opened,
     * archived, a `channels` page entry we are member of): update or add it. */
    void (*channel)(client_t *c, const client_channel_t *ch, void *ud);
    /* We are no longer in channel (left, kicked, deleted), from this or another tab. */
    void (*channel_left)(client_t *c, const char *channel, void *ud);
    /* A new row in a channel we are in: live, or replayed by a resume. Each (channel, seq)
     * comes once: the client drops what it already delivered. Messages, replies (thread
     * > 0: the parent's shown reply count grows by one when seq > its reply_last_seq),
     * and events: "edit" (target's text becomes text), "delete" (target becomes a
     * tombstone), "react" (emoji on/off by user on target), "pin"/"unpin", and channel
     * lines "joined"/"left"/"topic". mentions_me: the row mentions us (@name, @channel,
     * @here) and is not ours. */
    void (*msg)(client_t *c, const client_msg_t *m, bool mentions_me, void *ud);
    /* user is typing in channel (at most about once a second per user; forget it after
     * ~5 s without another). */
    void (*typing)(client_t *c, const char *channel, const char *user, void *ud);
    /* Who is online: status "online" (a `join` event in general), "offline" (`leave` in
     * general), "away" or "active" (`presence`). */
    void (*presence)(client_t *c, const char *user, const char *status, void *ud);
    /* user joined (true) or left (false) channel (the `join`/`leave` events of channels
     * other than general). */
    void (*member)(client_t *c, const char *channel, const char *user, bool joined, void *ud);
    /* channel's topic is now topic, set by user ("" when unknown). */
    void (*topic)(client_t *c, const char *channel, const char *topic, const char *user, void *ud);
    /* Our read marker of channel moved to seq (from this or another tab). */
    void (*read)(client_t *c, const char *channel, int64_t seq, void *ud);
    /* An error that answers none of our requests (code, message), e.g. bad_payload on a
     * resume, or a write of the outbox refused for good after a reconnect (then
     * cid is its key; NULL otherwise). */
    void (*error)(client_t *c, const char *code, const char *message, const char *cid, void *ud);
    /* The server will not have us and nothing reconnects: the join was refused (code
     * "name_taken", "bad_name", "auth_failed", "auth_required", "banned", ...), the
     * session was revoked (close 4001 "signed_out", 4003 "banned", 4004 "deactivated"),
     * or the first connection failed ("unreachable", message says why: DNS, refused,
     * TLS, HTTP status of the upgrade). The status goes CLIENT_OFFLINE. */
    void (*refused)(client_t *c, const char *code, const char *message, void *ud);
    /* Every frame the server sent, as it came (after msg and the others above fired):
     * for tools that print the protocol (parley-cli tail) and for types not named here. */
    void (*frame)(client_t *c, const char *type, const json_t *frame, void *ud);
} client_callbacks_t;

typedef struct {
    const char *url;     /* http[s]://host[:port][/base] or ws[s]://...; copied */
    const char *token;   /* a session or bot token: sign in as that account; or NULL */
    const char *name;    /* without token: join as this guest (copied) */
    const char *ca_file; /* wss: PEM of trusted CAs (NULL: the system's) */
    bool insecure;       /* wss: do not verify the server's certificate (tests) */
    client_callbacks_t cb;
    void *ud;
} client_opts_t;

/* Creates a client on loop (borrowed; it must outlive the client). Returns NULL with
 * *err set to a static message when the options are unusable (bad URL, no token and no
 * name). Nothing connects until client_start. */
client_t *client_new(uv_loop_t *loop, const client_opts_t *o, const char **err);

/* Connects and joins (status CLIENT_CONNECTING, then welcome or refused). Reconnects by
 * itself after a drop once a welcome arrived. 0, or a negative error when already
 * started. */
int client_start(client_t *c);

/* Closes the link (a normal close 1000): requests in flight and the outbox fail with
 * "stopped", nothing reconnects, status CLIENT_OFFLINE. The client stays usable:
 * client_start again. */
void client_stop(client_t *c);

/* Before client_start: deliver channel's rows after seq, replayed by the first join's
 * resume (the server sends seq+1 ... newest, then live, each once). For `tail --since`
 * and an interface that kept its state; the channel must be one the user is in. */
void client_resume_from(client_t *c, const char *channel, int64_t seq);

/* Stops the client and frees it once its handles have closed (on a later turn of the
 * loop); done (may be NULL) fires then. No callback of the client fires after this call,
 * which may be made from inside one of them. */
void client_free(client_t *c, void (*done)(void *arg), void *arg);

/* Reconnect now instead of waiting for the backoff (the user pressed a key). */
void client_reconnect_now(client_t *c);

/* State, valid while connected (borrowed strings, "" before the first welcome). */
client_status_t client_status(const client_t *c);
const char *client_user(const client_t *c);
/* The last seq delivered through msg for channel (or known from the welcome): what a
 * resume starts from. 0 when unknown. */
int64_t client_last_seq(const client_t *c, const char *channel);
/* Writes waiting for their ack (sent or to be sent after a reconnect). */
size_t client_outbox_size(const client_t *c);

/* ---- actions ----
 * Each returns a request number > 0 (its reply fires cb once, may be NULL), or a
 * negative error: CLIENT_EOFFLINE when not connected (only writes with a client key are
 * accepted offline, after the first welcome: they wait in the outbox), CLIENT_EINVAL
 * for arguments the protocol refuses before asking (empty text, bad emoji). Channel
 * names are without '#'. */
#define CLIENT_EOFFLINE (-1)
#define CLIENT_EINVAL (-2)

/* A message (thread 0) or a thread reply (thread = parent's seq). cid: the client key
 * (1-64 of A-Za-z0-9_-), or NULL to have one made; the reply is the `ack`. Kept in the
 * outbox until acknowledged. */
int64_t client_send_msg(client_t *c, const char *channel, const char *text, int64_t thread,
                        const char *cid, client_reply_cb cb, void *arg);
/* Edit our message seq to text; delete our message seq (outbox, like client_send_msg). */
int64_t client_edit(client_t *c, const char *channel, int64_t seq, const char *text,
                    client_reply_cb cb, void *arg);
int64_t client_delete(client_t *c, const char *channel, int64_t seq, client_reply_cb cb, void *arg);
/* Toggle our reaction emoji on seq (on < 0), or set it (on 0: off, 1: on). */
int64_t client_react(client_t *c, const char *channel, int64_t seq, const char *emoji, int on,
                     client_reply_cb cb, void *arg);

/* Channels: the replies are `channel` (join, create, dm_open), `channel_left`, `invited`,
 * `topic`, `channels` (list). Their events (channel, channel_left, topic) also fire the
 * callbacks above. */
int64_t client_channel_join(client_t *c, const char *channel, client_reply_cb cb, void *arg);
int64_t client_channel_leave(client_t *c, const char *channel, client_reply_cb cb, void *arg);
int64_t client_channel_create(client_t *c, const char *name, bool is_private, const char *topic,
                              client_reply_cb cb, void *arg);
int64_t client_channel_invite(client_t *c, const char *channel, const char *user,
                              client_reply_cb cb, void *arg);
int64_t client_channel_topic(client_t *c, const char *channel, const char *topic,
                             client_reply_cb cb, void *arg);
/* One page of the channel list (after: the last name of the previous page, or NULL;
 * member_only: only channels we are in). */
int64_t client_channel_list(client_t *c, const char *after, bool member_only, client_reply_cb cb,
                            void *arg);
/* channel_members of channel: reply `members` {"users": [{"name", ...}], "more"}. */
int64_t client_channel_members(client_t *c, const char *channel, client_reply_cb cb, void *arg);
/* The direct message with users (1-7 names): reply `channel` (payload.channel.name is
 * the dm-... name to send to). */
int64_t client_dm_open(client_t *c, const char *const *users, size_t n_users, client_reply_cb cb,
                       void *arg);

/* A page of history: before > 0: up to limit rows older than before; else after >= 0:
 * the rows following after (after = -1 and before = 0: the newest page). limit 1-200
 * (0: the server's 50). Reply `history` {"messages": [...], "more"}: parse the rows with
 * client_msg_parse. */
int64_t client_history(client_t *c, const char *channel, int64_t before, int64_t after, int limit,
                       client_reply_cb cb, void *arg);
/* A thread: reply `thread` {"messages": [parent, replies...], "more"}. */
int64_t client_thread(client_t *c, const char *channel, int64_t parent, client_reply_cb cb,
                      void *arg);
/* Search (docs/protocol.md "Search" syntax); cursor: the `next` of the previous page or
 * NULL. Reply `results` {"messages", "more", "next"}. */
int64_t client_search(client_t *c, const char *q, const char *cursor, client_reply_cb cb,
                      void *arg);
/* Move our read marker of channel to seq; reply `read`. */
int64_t client_read(client_t *c, const char *channel, int64_t seq, client_reply_cb cb, void *arg);
/* Tell channel's members we are typing (fire and forget; the server relays at most one a
 * second). 0, or CLIENT_EOFFLINE. */
int client_typing(client_t *c, const char *channel);
/* Say we are away (true) or active again. */
int64_t client_presence(client_t *c, bool away, client_reply_cb cb, void *arg);
/* Any other request: type and payload (borrowed; NULL for none) sent as they are. */
int64_t client_request(client_t *c, const char *type, json_t *payload, client_reply_cb cb,
                       void *arg);

/* Fills m from one row of a history/thread/results/resume payload or a live msg/event
 * payload (borrowed: m's strings point into row, valid while row lives). mine is set
 * against c's user (c may be NULL: false). 0, or -1 when row is not a timeline row. */
int client_msg_parse(const client_t *c, const json_t *row, client_msg_t *m);

#endif
