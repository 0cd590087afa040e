/* server - walks each connection from HTTP through the WebSocket upgrade to a chat session:
 * the one module that knows net, http, ws and chat together (DESIGN.md). It answers the
 * plain HTTP routes (web client, /healthz, /metrics), performs the RFC 6455 handshake,
 * drives the frame parser, enforces timeouts from the sweep, and is the chat hub's
 * transport (sending frames, closing with a code, closing slow consumers with 1013). */
#ifndef PARLEY_SERVER_H
#define PARLEY_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "chat/chat.h"

typedef struct relay_worker relay_worker_t;

/* State every loop of one parley process shares (with --threads, the relay owns it). */
typedef struct {
    atomic_bool draining; /* /healthz 503, upgrades refused */
    atomic_size_t ws;     /* open WebSocket connections, all loops together */
} server_shared_t;

/* What /metrics reports. */
typedef struct {
    size_t connections, websockets, online;
    uint64_t accepted, published, delivered, slow_closed, appends, commits, queued, bytes_in,
        bytes_out, general_seq;
} server_metrics_t;

typedef struct {
    const char *host;
    int port;
    size_t max_frame;         /* frame and reassembled message, bytes */
    size_t max_outbound;      /* queued bytes per connection before 1013 */
    size_t max_header;        /* request head bytes before 431 */
    size_t max_body;          /* request body bytes before 413 */
    unsigned max_connections; /* WebSocket sessions before 503 */
    unsigned handshake_timeout_ms;
    unsigned idle_timeout_ms;
    const char *echo_path; /* "" or NULL: no echo route (conformance suites only) */
    bool deflate;          /* offer permessage-deflate (RFC 7692) */
    /* Set by the relay for its connection loops; NULL/0 for a single-loop server. */
    relay_worker_t *relay; /* chat traffic goes through the relay, not to a local hub */
    server_shared_t *shared;
    uint8_t reuseport; /* net_config_t's: 1 first listener of the group, 2 the others */
} server_config_t;

typedef struct server server_t;

/* The transport the hub must be created with; its conn pointers are the server's. */
extern const chat_transport_t server_transport;

/* Listens and serves. Returns NULL after logging when the address cannot be bound. A relay
 * worker's server (cfg->relay set) has no hub and no store: pass NULL. */
server_t *server_start(uv_loop_t *loop, const server_config_t *cfg, chat_hub_t *hub,
                       store_t *store);
int server_port(const server_t *s);
/* Shutdown, first step: /healthz says 503, upgrades get 503, every WebSocket gets close
 * 1001. Returns immediately. */
void server_drain(server_t *s);
/* WebSocket connections still open. */
size_t server_ws_count(const server_t *s);
/* Closes the listener and every connection. Their close callbacks still use s: run the
 * loop until it has no more handles before server_free. */
void server_stop(server_t *s);
void server_free(server_t *s);

/* For the relay, on the connection's loop thread. conn is a transport conn pointer. */
/* Reading on or off (inbound flow control). */
void server_conn_read(void *conn, bool on);
/* Closes conn as a slow consumer: its backlog dropped, close 1013. */
void server_conn_slow(void *conn);
/* This loop's own part of the metrics: connections, WebSockets, accepted, bytes, slow
 * consumers closed. */
void server_local_metrics(const server_t *s, server_metrics_t *m);

#endif
