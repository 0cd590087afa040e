/* bus - fan-out between parley processes: publish/subscribe on topics, and a few keys with a
 * TTL, behind an interface (a struct of function pointers, like store.h) so that Redis
 * (bus_redis.c) and an in-process bus for tests (bus_mem.c) are interchangeable without
 * #ifdefs in callers. bus_open (bus_open.h) picks the backend from a URL.
 *
 * What the bus carries is hints, never the truth: PostgreSQL holds every event, and a lost
 * publication is repaired from it by the chat layer. So the bus drops rather than waits: a
 * publish never blocks and never grows memory past a bound, and what is published while the
 * bus is down is lost. The contract a caller builds on:
 *
 * - Subscribe first, then catch up. on_subscribed(topic) fires once the backend confirmed
 *   the subscription: every message published after that point reaches on_message (while the
 *   bus stays up). The caller then reads what it missed from the store.
 * - A reconnect is a new subscription. When the bus goes down, on_state(false) fires; when
 *   it comes back, on_state(true) fires, every topic still referenced is subscribed again and
 *   on_subscribed fires for each of them again: the caller catches up once more, since
 *   whatever was published in between is gone.
 * - Messages of one publisher on one topic arrive in the order it published them; a message
 *   may be lost (down, a bound, a slow subscriber cut off by Redis), never duplicated by the
 *   bus. Every subscriber, the publishing bus included, gets its own copy: a process that
 *   publishes to a topic it is subscribed to receives its own message back.
 *
 * Topics are reference counted by the bus: bus_subscribe adds a reference, bus_unsubscribe
 * drops one, and the backend subscribes on the first and unsubscribes after the last. So a
 * caller may subscribe once per channel, or once per local member of it; either works.
 *
 * Threading: every function is called on the thread of the loop given to bus_open, and every
 * callback fires on it, from the loop (never inside the bus_* call that caused it). A
 * callback may call any bus function, bus_close included.
 *
 * Names: a topic is 1 to BUS_TOPIC_MAX bytes (a C string: no NUL), and may not begin with
 * BUS_RESERVED ("_bus:", the backend's own traffic); a key is 1 to BUS_KEY_MAX bytes. Both are
 * namespaced by bus_opts_t.prefix ("parley:" unless set), so that two clusters can share one
 * Redis: topic "ch:general" is Redis channel "parley:ch:general". Callbacks get names without
 * the prefix. Payloads and values are bytes (NUL included). */
#ifndef PARLEY_BUS_H
#define PARLEY_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bus bus_t;

/* Return codes (0: ok). A call that returned an error never fires a callback for it. */
#define BUS_EINVAL (-1)   /* a malformed argument (name, URL, option, ttl 0); nothing done */
#define BUS_EDOWN (-2)    /* setex, del, scan: not sent, the bus is not up or past its bound */
#define BUS_EDROPPED (-3) /* publish: dropped (the bus is down, or past its bound): counted */
#define BUS_ECLOSED (-4)  /* bus_close was called; also a scan's status when it ran first */
#define BUS_EFAILED (-5)  /* a scan's status: the backend answered an error */

#define BUS_TOPIC_MAX 256
#define BUS_KEY_MAX 512
#define BUS_PREFIX_MAX 64
#define BUS_RESERVED "_bus:"

/* What the bus tells its owner. Each pointer may be NULL (not wanted). Strings and data are
 * valid only during the call. */
typedef struct {
    /* The bus came up (connected, and its subscriptions are being restored) or went down
     * (lost, or the backend stopped answering). Fires on changes only; a bus starts down,
     * and bus_close fires nothing. */
    void (*on_state)(void *ctx, bool up);
    /* The backend confirmed the subscription of topic: after its first reference, and again
     * after each reconnect. Not once per reference: a bus_subscribe that found the topic
     * already subscribed returns 1 and fires nothing. */
    void (*on_subscribed)(void *ctx, const char *topic);
    /* A message on a topic this bus holds a reference to. */
    void (*on_message)(void *ctx, const char *topic, const void *data, size_t len);
} bus_callbacks_t;

/* Options; zero (or NULL) fields take the default in brackets. A backend uses the ones that
 * apply to it (the in-memory bus: prefix and the bound). */
typedef struct {
    const char *prefix; /* namespace of topics and keys, at most BUS_PREFIX_MAX bytes; "" for
                           none [NULL: "parley:"] */
    /* The bound of publishes not yet answered by the backend (queued while connecting, or
     * sent and unanswered), in messages and in bytes (topic + payload + 32 each): a publish
     * past either is dropped, so a payload over max_pending_bytes never goes. setex and del
     * count against it too while in flight, and are refused past it, as is a new scan.
     * [16384 messages, 16 MiB] */
    size_t max_pending;
    size_t max_pending_bytes;
    /* A connection attempt (name lookup, TCP, handshake) must finish within connect_timeout.
     * While up, a heartbeat goes out every ping_interval; until it is back, Redis must
     * answer something (it, or what was queued before it) every ping_timeout, else the bus
     * is down: a stopped Redis is noticed, a busy one is not taken for dead.
     * [2000, 2000, 3000 ms] */
    unsigned connect_timeout_ms;
    unsigned ping_interval_ms;
    unsigned ping_timeout_ms;
    /* Reconnect backoff: the n-th attempt in a row waits min(backoff_min << n, backoff_max),
     * less a random part of up to half (jitter, so that processes do not reconnect in step).
     * [100, 5000 ms] */
    unsigned backoff_min_ms;
    unsigned backoff_max_ms;
} bus_opts_t;

typedef struct {
    uint64_t published;  /* publishes the backend acknowledged */
    uint64_t dropped;    /* publishes given up: refused (down, bound), or queued or in flight
                            when a connection was lost (those may have been delivered) */
    uint64_t received;   /* messages handed to on_message */
    uint64_t reconnects; /* times the bus came up again after it had been up */
    uint64_t pending;    /* publishes queued or in flight now */
    uint64_t topics;     /* topics with references now */
    bool up;
} bus_stats_t;

/* One key of a scan, without the prefix, and its value. */
typedef struct {
    const char *key; /* NUL-terminated */
    size_t key_len;
    const void *value;
    size_t len;
} bus_kv_t;

#define BUS_SCAN_MAX 65536 /* keys one scan answers at most */

/* A scan's answer, once: status 0 and the keys found (at most BUS_SCAN_MAX; more: the scan
 * stopped there and there are others), or an error with none: BUS_EDOWN (the connection was
 * lost meanwhile), BUS_EFAILED (the backend answered an error), BUS_ECLOSED (bus_close ran
 * first). Everything is valid only during the call. */
typedef void (*bus_scan_cb)(void *ctx, int status, const bus_kv_t *kvs, size_t n, bool more);

/* Every function copies what it is given (the caller keeps ownership of names and data). */
typedef struct {
    /* Sends data to every subscriber of topic, at most once, fire and forget. The bus is
     * connecting from bus_open, and during each reconnect attempt: a publish is queued then
     * (sent in order once up, dropped if the attempt fails); it is down between a failure and
     * the next attempt: a publish is dropped at once. Returns 0 (sent or queued),
     * BUS_EDROPPED (down or past the bound; counted in stats.dropped), BUS_EINVAL or
     * BUS_ECLOSED. Never blocks. */
    int (*publish)(bus_t *b, const char *topic, const void *data, size_t len);
    /* Adds a reference to topic. Returns 0 when on_subscribed will fire for it (now being
     * subscribed, or when the bus comes up), 1 when the topic was already confirmed (no
     * callback: the caller's catch-up is the one it did then), BUS_EINVAL, BUS_ECLOSED. */
    int (*subscribe)(bus_t *b, const char *topic);
    /* Drops a reference; after the last, no message of topic reaches on_message any more
     * (including those already on their way). BUS_EINVAL: topic has no reference. */
    int (*unsubscribe)(bus_t *b, const char *topic);
    /* Sets key to value, expiring ttl_ms (> 0) later; del removes key. Sent only while up:
     * the owner of a TTL key sets it again when on_state(true) fires. Commands run in the
     * order they were called, so a scan called after a setex sees it. 0, BUS_EDOWN,
     * BUS_EINVAL, BUS_ECLOSED. */
    int (*setex)(bus_t *b, const char *key, const void *value, size_t len, uint64_t ttl_ms);
    int (*del)(bus_t *b, const char *key);
    /* Every key beginning with prefix ("" for all of the bus's namespace) and its value, to
     * cb (bus_scan_cb). A key may be reported twice (Redis's SCAN walks a table that may be
     * resized meanwhile), and one set, deleted or expired during the scan may be reported or
     * not. prefix is at most BUS_KEY_MAX bytes. 0 (cb will fire), BUS_EDOWN, BUS_EINVAL,
     * BUS_ECLOSED. */
    int (*scan)(bus_t *b, const char *prefix, bus_scan_cb cb, void *ctx);
    void (*stats)(bus_t *b, bus_stats_t *out);
    /* Stops everything: no callback of bus_callbacks_t fires after it starts; pending scans
     * are answered BUS_ECLOSED before it returns (calls from those callbacks get
     * BUS_ECLOSED); then b must not be used. A backend with loop handles frees its memory in
     * their close callbacks: run the loop until they are closed (as any libuv shutdown does
     * before uv_loop_close). */
    void (*close)(bus_t *b);
} bus_backend_t;

struct bus {
    const bus_backend_t *be;
};

/* Whether a name is a valid topic (not reserved) or key; for backends and callers alike. */
bool bus_topic_valid(const char *topic);
bool bus_key_valid(const char *key);
/* Options with every default filled in (opts NULL: all defaults). Does not check them: see
 * bus_opts_valid. */
bus_opts_t bus_opts_resolve(const bus_opts_t *opts);
/* The prefix is at most BUS_PREFIX_MAX bytes and the backoff range is ordered. */
bool bus_opts_valid(const bus_opts_t *resolved);

static inline int bus_publish(bus_t *b, const char *topic, const void *data, size_t len)
{
    return b->be->publish(b, topic, data, len);
}
static inline int bus_subscribe(bus_t *b, const char *topic)
{
    return b->be->subscribe(b, topic);
}
static inline int bus_unsubscribe(bus_t *b, const char *topic)
{
    return b->be->unsubscribe(b, topic);
}
static inline int bus_setex(bus_t *b, const char *key, const void *value, size_t len,
                            uint64_t ttl_ms)
{
    return b->be->setex(b, key, value, len, ttl_ms);
}
static inline int bus_del(bus_t *b, const char *key)
{
    return b->be->del(b, key);
}
static inline int bus_scan_prefix(bus_t *b, const char *prefix, bus_scan_cb cb, void *ctx)
{
    return b->be->scan(b, prefix, cb, ctx);
}
static inline void bus_stats(bus_t *b, bus_stats_t *out)
{
    b->be->stats(b, out);
}
static inline void bus_close(bus_t *b)
{
    b->be->close(b);
}

#endif
