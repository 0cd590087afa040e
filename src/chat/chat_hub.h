/* chat_hub - the chat domain's shared state and the path of every event: the registry of
 * channels, who is online, the ordering of each channel's events, the only writes to the
 * store, and the one way anything leaves a channel.
 *
 * The hub never touches a file descriptor and never reads a session: it reaches
 * connections through links (chat_link.h: a conn pointer and a wire format) and the
 * transport given at chat_hub_new, and persists through a store_t.
 *
 * Writes: chat_hub_publish assigns the channel's next seq and appends the event to the
 * store; each append carries its own pending entry as context, and a channel's events
 * are committed strictly in seq order whatever order the store completes them in. On
 * commit the sender gets its `ack` and the event goes out through chat_hub_emit. Shared
 * (several processes on one store, chat_config_t.shared): the store assigns the seq at
 * commit (and finds a retry another process stored), the sender gets its ack with it, and
 * the event joins the deliveries from elsewhere: a channel still commits strictly in seq
 * order, filling from the store what is missing. Channel,
 * membership and read-marker changes go through chat_hub_change. When the store fails to
 * commit, the failed events are answered `error unavailable` (no ack), the hub stops
 * accepting writes (chat_hub_available false, /healthz 503), and once every write in
 * flight has been answered it probes the store each tick until it works again.
 *
 * Out: chat_hub_emit is the one function through which events leave a channel: committed
 * events (spliced per link, see chat_link.h, one frame per wire format), presence, typing,
 * topics, membership and read markers. In: chat_hub_deliver is the one door for events
 * committed elsewhere (other processes, later): it orders by seq, drops duplicates, and
 * asks the store for a missing range. */
#ifndef PARLEY_CHAT_HUB_H
#define PARLEY_CHAT_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/blob.h"
#include "base/buf.h"
#include "chat/chat_channel.h"
#include "chat/chat_defs.h"
#include "chat/chat_elsewhere.h"
#include "chat/chat_link.h"
#include "chat/chat_payload.h"
#include "auth/auth.h"
#include "chat/chat_presence.h"
#include "chat/chat_quota.h"
#include "store/store.h"

#define CHAT_DELIVER_BUFFER 1024 /* out-of-order deliveries held per channel */
/* Shared: ticks (seconds) between position checks, each one store read of every channel's
 * position (store_positions), however many channels there are. */
#define CHAT_POSITION_CHECK_TICKS 3
/* Integrations' rate buckets kept at once (auth_rates: the least recently used goes). */
#define CHAT_APP_RATES_MAX 1024

/* ---- lifetime ---- */

/* store, auth and t are borrowed and outlive the hub. */
chat_hub_t *chat_hub_new(store_t *store, auth_t *auth, const chat_config_t *cfg,
                         const chat_transport_t *t);
/* Reads channels, memberships, read markers, reactions and mentions from the store
 * (synchronous, at start-up). Returns 0 or < 0. */
int chat_hub_load(chat_hub_t *h);
/* After every session closed and the store closed. */
void chat_hub_free(chat_hub_t *h);
void chat_hub_metrics(const chat_hub_t *h, chat_metrics_t *out);
/* Once a second: probes a failed store, asks again for gaps the store could not fill yet,
 * and shared, every CHAT_POSITION_CHECK_TICKS, checks every channel's position. */
void chat_hub_tick(chat_hub_t *h);

const chat_config_t *chat_hub_config(const chat_hub_t *h);
const chat_transport_t *chat_hub_transport(const chat_hub_t *h);
/* A frame to one conn (its own reference taken): the transport's, or a REST call's sink
 * (chat_defs.h). Every send to one conn goes this way; fan-out loops skip sinks' links. */
void chat_hub_send(const chat_hub_t *h, void *conn, blob_t *frame);
/* The store, for reads (history, search); writes go through the hub. */
store_t *chat_hub_store(const chat_hub_t *h);
/* Who is who: accounts, guests and their sessions. */
auth_t *chat_hub_auth(const chat_hub_t *h);
/* The integrations' rate buckets, by hook id (made on first use, owned by the hub). */
struct auth_rates *chat_hub_app_rates(chat_hub_t *h);
/* Whether name is shown as a guest's: it holds no account (a guest, or a text-mode name). */
bool chat_hub_is_guest(const chat_hub_t *h, const char *name);
/* False while the store cannot commit: writes are refused. */
bool chat_hub_available(const chat_hub_t *h);
/* Changes (chat_hub_change) submitted and not answered yet: applied in memory, not yet
 * known to be in the store. */
size_t chat_hub_changes_pending(const chat_hub_t *h);
void chat_hub_count_session(chat_hub_t *h);

/* ---- channels ---- */

chat_channel_t *chat_hub_general(const chat_hub_t *h);
/* The channel called name (never a deleted one), or NULL. */
chat_channel_t *chat_hub_channel(const chat_hub_t *h, const char *name);
/* Adds a channel (name unused and valid; strings copied) with no members. */
chat_channel_t *chat_hub_channel_add(chat_hub_t *h, const char *name, chat_kind_t kind,
                                     const char *topic, const char *created_by, uint64_t creator_id,
                                     int64_t ts);
/* Every channel: index 0 is #general, then the others in creation order. */
size_t chat_hub_nchannels(const chat_hub_t *h);
chat_channel_t *chat_hub_channel_at(const chat_hub_t *h, size_t i);
/* The member count clients are shown: stored members; for #general, which has everyone,
 * the users who hold a name and are active (accounts, and guests while their hold lasts;
 * not the banned or deactivated), online or not. #general's count is recounted at most
 * once a second, plus the users added since (a new user counts at once); a ban or a
 * guest's lapse shows within a second. */
size_t chat_hub_member_count(chat_hub_t *h, const chat_channel_t *ch);
/* The quotas on channels and direct messages (chat_quota.h), owned by the hub. */
chat_quota_t *chat_hub_quota(const chat_hub_t *h);
/* The stored channels now: all of them, those of the kind (direct messages when dm, else
 * the others), and those of the kind that user made (their creator). */
void chat_hub_census(const chat_hub_t *h, bool dm, uint64_t user, chat_census_t *out);

/* ---- presence ---- */

/* Who is online here (chat_presence.h), owned by the hub; go through chat_online.h to add
 * and remove, so that the other processes hear of it. */
chat_presence_table_t *chat_hub_presence(const chat_hub_t *h);
/* Who is online on the other processes (chat_elsewhere.h, fed by chat_relay), owned by the
 * hub: empty when alone. A name coming online there and not here is announced on #general
 * (`join`), one going from there and not here too (`leave`). */
chat_elsewhere_t *chat_hub_elsewhere(const chat_hub_t *h);
/* Whether user may have unread mentions: named in some message, or an @channel/@here
 * after their read marker in a channel they are in. False: a join can skip the store. */
bool chat_hub_may_have_mentions(const chat_hub_t *h, uint64_t user);

/* ---- writes ---- */

/* An event to store in a channel. Strings are copied. */
typedef struct {
    const char *user; /* the writer's name, as shown */
    uint64_t user_id; /* and who it is: rights and client keys go by it (0: line mode) */
    chat_ev_t kind;
    const char *text; /* msg, edit: the text; react: the emoji; delete: "" */
    size_t len;
    uint64_t thread;   /* msg: the parent of a reply, else 0 */
    uint64_t target;   /* edit, delete, react: the message acted on */
    void *ack_conn;    /* a JSON sender to ack once stored (NULL: none) */
    const char *id;    /* the request id as JSON text, "" or NULL if none */
    const char *cid;   /* the writer's client key (valid), NULL or "" if none */
    bool guest;        /* the writer is a guest */
    const char *files; /* msg: the files it carries (store_msg_t.files), NULL or "" none */
    const char *app;   /* msg: the integration that posts it (store_msg_t.app), NULL or "" */
    /* Called once the event is stored (status 0, its seq) or failed (status < 0), for a
     * writer without a connection to ack (an integration's post); NULL for none. */
    void (*done)(void *ctx, int status, uint64_t seq);
    void *done_ctx;
} chat_pub_t;

/* Accepts an event: assigns its seq and stores it; the ack and the fan-out follow the
 * commit, or `error unavailable` to ack_conn if the store fails. A write whose (user, cid)
 * was seen is not stored again: ack_conn gets the original's ack (with "duplicate":
 * true), now or when the original commits. Returns 0 accepted, 1 answered as a duplicate,
 * or < 0 when the hub refuses writes now (the caller answers `unavailable`) or the channel
 * was deleted (the caller checks that first). */
int chat_hub_publish(chat_hub_t *h, chat_channel_t *ch, const chat_pub_t *p);
/* The same duplicate check alone, for a write that must not act before it (a reaction's
 * toggle, a lookup of its target): true when (user, cid) was seen and conn was answered. */
bool chat_hub_replay(chat_hub_t *h, uint64_t user, const char *cid, void *conn, const char *id);
/* conn is going away: no ack or error will be sent to it. */
void chat_hub_forget_conn(chat_hub_t *h, const void *conn);

/* status: 0 stored, < 0 failed (STORE_E*). */
typedef void (*chat_hub_done_cb)(void *ctx, int status);
/* Writes a change through the store, in order with the events (c copied). cb may be
 * NULL. Returns 0, or < 0 when writes are refused now (cb will not fire). */
int chat_hub_change(chat_hub_t *h, const store_change_t *c, chat_hub_done_cb cb, void *ctx);
/* Brackets the changes of one request (begin true, then false, with no return to the loop
 * in between): they commit together or not at all, so a kill -9 never leaves half of one
 * (a DM with some of its members, a channel row without its creator). */
void chat_hub_group(chat_hub_t *h, bool begin);

/* ---- the one way out, and the one way in ---- */

typedef struct {
    uint64_t seq;           /* > 0: the committed event msg, spliced per link */
    const store_msg_t *msg; /* with seq: text-format frames are built from it if needed */
    blob_t *json;           /* the frame for JSON sessions, or NULL: none */
    blob_t *text;           /* an ephemeral event's client-id frame, or NULL: none */
    const void *except;     /* a conn that does not get it, or NULL */
    const char *user;       /* non-NULL: that user's JSON sessions instead of ch's members */
    bool events_only;       /* json goes to JSON sessions that know events only (not plain) */
} chat_emit_t;

/* Sends e to its audience; the frames stay the caller's (each recipient takes a ref). */
void chat_hub_emit(chat_hub_t *h, chat_channel_t *ch, const chat_emit_t *e);
/* Presence events: JSON members get {"type":"join"|"leave"}, client-id members get
 * "{user} has entered|left the chat" (not past --presence-limit members). */
void chat_hub_announce(chat_hub_t *h, chat_channel_t *ch, const char *user, bool entered,
                       const void *except);
/* An event committed elsewhere (m->channel names its channel). */
void chat_hub_deliver(chat_hub_t *h, const store_msg_t *m);
/* Reads from the store whatever channel `name` has newer than what was committed here, and
 * commits it in order: after subscribing to the other processes' events (subscribe first,
 * then catch up) and after their bus came back. (A lost hint that no later event reveals is
 * found by the tick's position check, for every channel at once.) An unknown name is
 * ignored. */
void chat_hub_catch_up(chat_hub_t *h, const char *name);
/* Catches ch up (as chat_hub_catch_up) and calls cb(ctx, true) once it has read everything
 * the store had when it asked (cb(ctx, false) instead if the hub is freed first): a resume
 * on this process of what a client saw on another waits for it, so that it is served
 * whole. Never calls cb from inside this call. */
typedef void (*chat_hub_caught_cb)(void *ctx, bool ok);
void chat_hub_catch_up_then(chat_hub_t *h, chat_channel_t *ch, chat_hub_caught_cb cb, void *ctx);
/* Shared (chat_config_t.shared): what this process committed, once each, right after the
 * commit, so that the other processes hear of it (arguments valid during the call only).
 * event: every event (duplicates the store found are not events: not passed), in commit
 * order (seq order per channel). change: every change of a channel, its memberships or
 * read markers (not conflicts, nor account changes). Either may be NULL; o is borrowed. */
/* presence: a user's first connection here came (on), or the last one went (chat_online.h).
 * typing: a typing relayed here (after the local throttle), for the channel's members
 * elsewhere. metrics: fills out->bus for /metrics (chat_hub_metrics). */
typedef struct {
    void (*event)(void *ctx, const store_msg_t *m);
    void (*change)(void *ctx, const store_change_t *c);
    void (*presence)(void *ctx, const char *name, bool on);
    void (*typing)(void *ctx, const char *channel, const char *user);
    void (*metrics)(void *ctx, chat_metrics_t *out);
} chat_hub_outbox_t;
void chat_hub_set_outbox(chat_hub_t *h, const chat_hub_outbox_t *o, void *ctx);
/* The outbox set (NULL: none) and its ctx in *ctx. */
const chat_hub_outbox_t *chat_hub_outbox(const chat_hub_t *h, void **ctx);

#endif
