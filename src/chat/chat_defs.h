/* chat_defs - the types and limits every chat module shares, and the only chat header
 * without a module below it: the handles (opaque outside their owners), the wire formats,
 * the configuration and the transport through which chat reaches a connection. */
#ifndef PARLEY_CHAT_DEFS_H
#define PARLEY_CHAT_DEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth_token.h"
#include "base/blob.h"

#define CHAT_NAME_MAX 32    /* default longest user name, in code points */
#define CHAT_NAME_BYTES 256 /* hard cap on a name's UTF-8 bytes, whatever --max-name says */
#define CHAT_CHANNEL_MAX 80 /* bytes of a channel name */
#define CHAT_ONLINE_MAX 100 /* names listed in a welcome; online_count has the total */
#define CHAT_RECENT 256     /* committed messages each channel keeps encoded in memory */
#define CHAT_ID_MAX 400     /* a request id as JSON text (json_env keeps it so) */
#define CHAT_CID_MAX 64     /* bytes of a client key */
#define CHAT_EMOJI_MAX 32   /* bytes of a reaction */
/* An address's bucket holds this many times a user's burst (at the same rate): guests from
 * one address share it, and a few people behind one NAT fit in it. */
#define CHAT_ADDR_BURST_FACTOR 4
#define CHAT_READS_MAX 8 /* store reads a session's requests may have in flight */

typedef struct chat_hub chat_hub_t;         /* chat_hub.c */
typedef struct chat_session chat_session_t; /* chat_session.c */
typedef struct chat_channel chat_channel_t; /* chat_channel.c */
typedef struct chat_link chat_link_t;       /* chat_link.h */

typedef enum {
    CHAT_MODE_AUTO,     /* /ws before its first message: JSON or line mode */
    CHAT_MODE_JSON,     /* /ws, decided or forced by the parley.v1 subprotocol */
    CHAT_MODE_CLIENTID, /* /ws/{client_id} */
    CHAT_MODE_LINE,
    CHAT_MODE_NONE, /* refused (a text mode without guests): everything is dropped */
} chat_mode_t;

/* The wire formats a committed message is encoded in, once each, for every recipient. */
typedef enum {
    CHAT_FMT_JSON = 0,     /* the JSON protocol */
    CHAT_FMT_CLIENTID = 1, /* "{user}: {text}" (seeds 002-004) */
    CHAT_FMT_LINE = 2,     /* "[HH:MM:SS] {user}: {text}" (seed 000) */
    CHAT_FMT_COUNT,
    CHAT_FMT_NONE = 255 /* a session that has not chosen its mode: receives nothing */
} chat_fmt_t;

/* What the upgrade request said about who is connecting. */
typedef struct {
    /* The session token of `Authorization: Bearer`, or of the parley_session cookie when the
     * upgrade's Origin is allowed; "" for none. Not checked yet: chat asks auth. */
    char token[AUTH_SESSION_HEX + 1];
    char addr[64]; /* the peer's address, "" if unknown */
} chat_creds_t;

/* How chat reaches a connection. Every call is on the hub's loop thread with the conn
 * pointer the session was opened with, and never after chat_close. */
typedef struct {
    /* Queue a data frame (a whole WebSocket frame); the transport takes its own reference
     * and applies the outbound bound (closing the connection 1013 past it). */
    void (*send)(void *conn, blob_t *frame);
    /* Close the connection with a WebSocket close code. */
    void (*close)(void *conn, uint16_t code, const char *reason);
    /* Queue a frame of a multi-frame reply (a resume page) regardless of the bound: the
     * caller bounds what it sends this way and waits for the queue to drain between pages. */
    void (*send_bulk)(void *conn, blob_t *frame);
    /* Bytes queued and not yet written. */
    size_t (*backlog)(void *conn);
    /* Call chat_drained once the queue is empty. */
    void (*want_drain)(void *conn);
    /* send(conns[i], frame) for each of n distinct connections, as one call so that the
     * transport can fetch the next connections' state while it queues on this one (a
     * broadcast touches thousands). NULL: chat calls send n times. */
    void (*send_many)(void *const *conns, size_t n, blob_t *frame);
} chat_transport_t;

/* A conn that is no connection: the session of one REST call (chat.h, chat_call), whose
 * answers are taken by the call instead of a transport. Its conn pointer is the sink's
 * address with the low bit set, which no transport's conn has (they are aligned objects),
 * so every direct send (chat_hub_send) tells the two apart with one test. A call's links
 * take no fan-out (their format is CHAT_FMT_NONE): only answers reach a sink. */
typedef struct chat_sink {
    void (*frame)(struct chat_sink *k, blob_t *frame); /* an answer or an error */
    void (*close)(struct chat_sink *k);                /* chat closed the session */
} chat_sink_t;

static inline void *chat_sink_conn(chat_sink_t *k)
{
    return (void *)((uintptr_t)k | 1u);
}

/* The sink conn stands for, or NULL for a transport's conn. */
static inline chat_sink_t *chat_conn_sink(const void *conn)
{
    return ((uintptr_t)conn & 1u) ? (chat_sink_t *)((uintptr_t)conn & ~(uintptr_t)1u) : NULL;
}

typedef struct {
    unsigned history;        /* messages replayed on join */
    size_t max_name;         /* code points per user name */
    size_t max_text;         /* code points per message */
    double rate, burst;      /* token bucket: messages per second, bucket size */
    unsigned resume_max;     /* longest range a resume serves */
    unsigned presence_limit; /* members above which join/leave are not broadcast */
    size_t outbound_budget;  /* backlog under which a resume keeps sending (half the bound) */
    size_t max_channels;     /* channels the server holds (0: CHAT_CHANNELS_MAX; tests lower it) */
    /* Other processes write the same channels (a shared store and a bus): the store, not
     * the hub, orders each channel's events (appends with seq 0, store.h), and local commits
     * join the deliveries from elsewhere in seq order (chat_hub.h). */
    bool shared;
    /* The uploads messages may carry (--files; borrowed, outliving the hub), NULL: none. */
    struct files *files;
} chat_config_t;

/* With other processes (--bus): the bus between them, as the relay sees it (bus.h's
 * bus_stats_t, and the relay's own count of what was not parley's). */
typedef struct {
    bool on, up;
    uint64_t published, dropped, received, reconnects, pending, topics;
    uint64_t bad;
} chat_bus_metrics_t;

/* What /metrics and /healthz report of chat. */
typedef struct {
    size_t online;        /* users connected */
    uint64_t published;   /* events accepted for storing */
    uint64_t delivered;   /* frames handed to connections by fan-out */
    uint64_t sessions;    /* sessions ever opened */
    uint64_t rejected;    /* events refused because the store could not take them */
    uint64_t general_seq; /* #general's newest committed seq */
    bool available;       /* false while the store fails to commit (healthz 503) */
    chat_bus_metrics_t bus;
} chat_metrics_t;

#endif
