/* bus_redis_int - what the two files of the Redis bus share: bus_redis.c (the connection
 * pair, its states, timers and teardown) and bus_redis_cmd.c (publishes, subscriptions,
 * keys and scans over it). Private to src/bus/bus_redis*. */
#ifndef PARLEY_BUS_REDIS_INT_H
#define PARLEY_BUS_REDIS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/async.h>
#include <uv.h>

#include "bus/bus.h"
#include "bus/bus_topics.h"

/* The bus is one state for both connections: it is up only while both are. */
typedef enum {
    BR_DOWN,       /* waiting for the next attempt (the retry timer runs) */
    BR_CONNECTING, /* an attempt: name lookup, TCP, handshake (the deadline timer runs) */
    BR_UP,         /* both connections answered (the heartbeat runs) */
} br_state_t;

typedef struct bus_redis bus_redis_t;

/* One connection. ac->data points here while the bus uses ac; a context the bus gave up
 * (freed by us, or by hiredis after an error) has ac->data NULL or c->ac != ac, and every
 * callback from it is ignored (see br_of). */
typedef struct {
    bus_redis_t *b;
    redisAsyncContext *ac;
    const char *what; /* "command" or "subscribe", for the log */
} br_conn_t;

/* A publish queued while connecting: the channel then the payload, in one block. */
typedef struct br_msg {
    struct br_msg *next;
    size_t cost; /* against the bound */
    size_t clen, len;
    char bytes[];
} br_msg_t;

typedef struct br_scan br_scan_t;

struct bus_redis {
    bus_t base;
    uv_loop_t *loop;
    bus_callbacks_t cbs;
    void *ctx;
    bus_opts_t o;
    bus_ns_t ns; /* the prefix (o.prefix points here), closing */
    char *host;  /* as in the URL, without brackets */
    int port, db;
    bool numeric; /* host is an IP address: no lookup */

    br_conn_t cmd; /* commands and publishes */
    br_conn_t sub; /* subscribe mode (Redis allows nothing else on it) */
    br_state_t state;
    bool ever_up;
    bool cmd_ready, sub_ready; /* handshake halves of an attempt */
    bool warned;               /* a command error was logged since the bus came up */
    unsigned failures;         /* attempts failed in a row: the backoff's exponent */
    uint64_t gen;              /* attempt number: a late name lookup of an old one is ignored */
    unsigned lookups;          /* name lookups in flight (they hold b until their callback) */
    uv_getaddrinfo_t *lookup;  /* the current attempt's, if in flight: close cancels it */
    unsigned handles;          /* our timers not closed yet */
    uv_timer_t retry, tick, deadline;
    uint64_t rng;

    /* The heartbeat: a PUBLISH on cmd to a channel only this bus subscribes to. Its reply
     * proves the command connection, its delivery the subscribe connection. */
    char hb_chan[BUS_NAME_MAX];
    size_t hb_len;
    uint64_t hb_seq;
    bool hb_reply_due, hb_echo_due;
    /* Answers read on each connection (br_answer), and their number when the heartbeat went
     * out: a connection that answered anything since is slow, not dead (see on_deadline). */
    uint64_t cmd_seen, sub_seen, hb_cmd_mark, hb_sub_mark;

    br_msg_t *qhead, **qtail;      /* publishes queued while connecting */
    size_t pub_pending, pub_bytes; /* queued or in flight */
    size_t cmd_pending, cmd_bytes; /* setex, del, scan steps in flight */
    bus_topics_t topics;
    br_scan_t *scans;
    bus_stats_t st; /* published, dropped, received, reconnects */
};

/* The bus of a context still in use, else NULL: every hiredis callback starts with it. */
static inline bus_redis_t *br_of(const redisAsyncContext *ac)
{
    const br_conn_t *c = ac->data;
    return c && c->ac == ac ? c->b : NULL;
}

/* The same, for a reply callback: NULL also for the NULL reply of a context being freed;
 * else counts the answer as progress of its connection. */
static inline bus_redis_t *br_answer(const redisAsyncContext *ac, const void *reply)
{
    bus_redis_t *b = br_of(ac);
    if (!b || !reply)
        return NULL;
    if (ac == b->cmd.ac)
        b->cmd_seen++;
    else
        b->sub_seen++;
    return b;
}

/* bus_redis.c */
/* Something failed: both connections go, the bus is down, the retry timer is armed. Safe to
 * call from any hiredis callback of either connection. */
void br_fail(bus_redis_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The subscribe connection's news about the heartbeat channel ("subscribe" or "message"). */
void br_hb_event(bus_redis_t *b, const char *kind, const char *data, size_t len);
/* Whether one more message (or command) of cost bytes fits the bound. */
bool br_fits(const bus_redis_t *b, size_t cost);

/* bus_redis_cmd.c */
int br_publish(bus_t *bus, const char *topic, const void *data, size_t len);
int br_subscribe(bus_t *bus, const char *topic);
int br_unsubscribe(bus_t *bus, const char *topic);
int br_setex(bus_t *bus, const char *key, const void *value, size_t len, uint64_t ttl_ms);
int br_del(bus_t *bus, const char *key);
int br_scan(bus_t *bus, const char *prefix, bus_scan_cb cb, void *ctx);
/* Every reply of the subscribe connection. */
void br_on_sub_reply(redisAsyncContext *ac, void *reply, void *priv);
/* The bus came up: sends what was queued, and subscribes every referenced topic. */
void br_flush_queue(bus_redis_t *b);
void br_resubscribe(bus_redis_t *b);
/* The bus went down or closes: queued and in-flight publishes count as dropped, and the
 * queue is freed. */
void br_drop_pending(bus_redis_t *b);
/* Answers every scan with status (BUS_EDOWN or BUS_ECLOSED) and frees them. */
void br_scans_end(bus_redis_t *b, int status);

#endif
