/* chat_relay - the hub's side of the bus (bus.h) when several parley processes share one
 * store: every event this process commits is published on its channel's topic, every event
 * another process published is delivered to the hub (chat_hub_deliver), which commits each
 * channel in seq order and fills from the store whatever the bus lost.
 *
 * The order of things that makes a lost hint harmless: a channel's topic is subscribed
 * first, and once the bus confirmed it (again after every reconnect, when whatever was
 * published meanwhile is gone) the hub catches the channel up from the store. From then on
 * a gap shows when a later event arrives, and the hub's periodic position check finds the
 * last one of a burst. The bus carries hints; the store is the truth.
 *
 * Wire: one JSON object per event ({"c": channel, "s": seq, ...}, chat_relay.c), on topic
 * "ch:" + the channel's name; one per change of channels, memberships and read markers
 * ({"x": "member_add", "c": channel, "i": user id, "p": process id, ...}) on topic
 * "changes", which every process subscribes to and applies (chat_remote.h), but its own. A
 * change the bus lost is repaired when the subscription to "changes" is (again) in place:
 * the relay then resyncs channels, members and markers from the store (chat_remote_resync),
 * at the next tick if a change of ours is still in flight. A message that does not parse is
 * counted and dropped: another version of parley, or not parley at all, shares the bus.
 *
 * Presence: each process draws a random id at start (64 bits, in hex on the wire). When a
 * user's first connection here arrives or the last one goes (chat_online.h), the relay
 * publishes {"p": id, "n": change number, "u": name, "on": bool} on topic "presence"; and
 * every CHAT_RELAY_PRESENCE_TTL_MS / 4 (at once when the bus comes up) it sets the key
 * "online:" + id to {"n": last change number, "u": [every name online here]} expiring after
 * CHAT_RELAY_PRESENCE_TTL_MS, then scans "online:*" and gives each other process's list to
 * the hub's table of who is online elsewhere (chat_elsewhere.h): the events make a change
 * quick, the lists repair what the bus lost and, by a key gone, drop a process killed
 * without a word. One key per process, not per user: a refresh is one command and a scan
 * as many keys as processes, for 10k users a value of some 200 KB every 5 s, where a key per
 * user would be 2k commands a second per process and a scan of every user everywhere. While
 * the bus is down longer than the TTL, the others are forgotten (as they forget us). Guests
 * online elsewhere keep their names here (auth_set_elsewhere_cb).
 *
 * Typing: a typing relayed here (after its one-a-second throttle) is published on its
 * channel's topic as {"typing": user, "p": id}, so that it stays in order with the
 * channel's messages, and delivered to the channel's members on the other processes. Each
 * process drops its own (they come back).
 *
 * Everything runs on the hub's loop thread. */
#ifndef PARLEY_CHAT_RELAY_H
#define PARLEY_CHAT_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "bus/bus.h"
#include "chat/chat_hub.h"

typedef struct chat_relay chat_relay_t;

#define CHAT_RELAY_PRESENCE_TTL_MS 20000 /* a process's list of who is online lives so long */

typedef struct {
    uint64_t sent;     /* events published */
    uint64_t received; /* events delivered to the hub (its own come back and are dropped) */
    uint64_t bad;      /* messages that were not events (topics: bus_stats) */
    bool up;           /* the bus is up */
} chat_relay_stats_t;

/* A relay for hub (which outlives it; its config shared). The bus it uses is opened by the
 * caller with chat_relay_callbacks and the relay as ctx, then given to chat_relay_start,
 * which starts relaying both ways. */
chat_relay_t *chat_relay_new(chat_hub_t *hub);
extern const bus_callbacks_t chat_relay_callbacks;
void chat_relay_start(chat_relay_t *r, bus_t *bus);
/* Before chat_relay_start: the TTL of this process's list of who is online (at least 1000;
 * refreshed every quarter of it, a second at the least). Tests shorten it. */
void chat_relay_set_presence_ttl(chat_relay_t *r, uint64_t ttl_ms);
/* Once a second: subscribes the channels the hub gained, drops those it deleted (a channel
 * made here or heard of on "changes" is subscribed at once, not at the next tick). */
void chat_relay_tick(chat_relay_t *r);
void chat_relay_stats(const chat_relay_t *r, chat_relay_stats_t *out);
/* Stops relaying (the hub publishes nothing more) and frees r; the bus stays the caller's,
 * to close after (the relay is its callbacks' ctx). */
void chat_relay_free(chat_relay_t *r);

/* The wire, for tests: chat_relay_encode appends m's encoding to out; chat_relay_decode
 * fills *m from data, its strings pointing into the returned object (free it with
 * chat_relay_msg_free once done with m), or returns NULL when data is not an event. */
typedef struct chat_relay_msg chat_relay_msg_t;
void chat_relay_encode(const store_msg_t *m, buf_t *out);
chat_relay_msg_t *chat_relay_decode(const void *data, size_t len, store_msg_t *m);
/* The same for the changes of channels (chat_hub_outbox_t.change), on topic "changes";
 * from: the publishing process's id in hex (a process drops its own), or NULL. */
void chat_relay_encode_change(const store_change_t *c, const char *from, buf_t *out);
chat_relay_msg_t *chat_relay_decode_change(const void *data, size_t len, store_change_t *c);
void chat_relay_msg_free(chat_relay_msg_t *owned);

#endif
