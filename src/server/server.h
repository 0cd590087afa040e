/* server - the connection driver: walks each connection from HTTP through the WebSocket
 * upgrade to chat, the one module that knows net, http and ws together (DESIGN.md). It routes
 * the plain HTTP requests (web client, /healthz, /metrics, and /api handed to the REST
 * layer through chat's door) through an http_router, performs
 * the RFC 6455 handshake, drives the frame parser, enforces timeouts from the sweep, and is
 * the transport of chat's sessions on its connections (sending frames, closing with a code,
 * closing slow consumers with 1013).
 *
 * It reaches chat only through the server_chat_t it is started with (server_chat.h), so it
 * runs the same whether chat is on its own loop (server_direct) or on another thread's
 * (server_loops, which builds on this header, never the reverse). */
#ifndef PARLEY_SERVER_H
#define PARLEY_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/budget.h"
#include "chat/chat.h"
#include "net/net_peers.h"
#include "net/net_tls.h"
#include "server/server_chat.h"

/* State every server of one process shares, whichever loop runs it: made by
 * server_shared_init before the first server starts, released by server_shared_deinit after
 * the last one is freed. */
typedef struct {
    atomic_bool draining; /* /healthz 503, upgrades refused */
    atomic_size_t ws;     /* open WebSocket connections, all loops together */
    /* Input still arriving (--max-partial-input): what every connection holds of frames,
     * messages and HTTP requests not complete yet, taken by the parsers as their buffers
     * grow. */
    budget_t partial;
    net_peers_t *peers; /* open connections per client address (--max-conns-per-ip); NULL */
} server_shared_t;

typedef struct {
    const char *host;
    int port;
    size_t max_frame;         /* frame and reassembled message, bytes */
    size_t max_outbound;      /* queued bytes per connection before 1013 */
    size_t max_header;        /* request head bytes before 431 */
    size_t max_body;          /* request body bytes before 413 */
    size_t max_file;          /* POST /api/files body bytes before 413 (0: no uploads) */
    unsigned max_connections; /* WebSocket sessions before 503 */
    unsigned handshake_timeout_ms;
    unsigned idle_timeout_ms;
    /* From the first byte of a frame (or of a fragmented message, or of an HTTP request) to
     * its last: past it, close 1008 (HTTP: 408). 0: no deadline. */
    unsigned message_timeout_ms;
    unsigned max_conns_per_ip; /* open connections per client address (net_peers.h); 0: no cap */
    /* Bytes held of input still arriving, every connection together; past it the connection
     * asking for more is closed 1013 (HTTP: 503). 0: no budget. */
    size_t max_partial_input;
    const char *echo_path; /* "" or NULL: no echo route (conformance suites only) */
    /* Every route under this path ("/chat": /chat/, /chat/ws, /chat/api/...; a path outside
     * it is 404), as a reverse proxy forwards a sub-path unchanged. Starts with '/', does not
     * end with one; "" or NULL: at the root. Borrowed. */
    const char *base_path;
    bool deflate; /* offer permessage-deflate (RFC 7692) */
    /* Origins allowed besides the request's own (--allowed-origins and --public-url's), as
     * http_origin_check takes them: comma-separated, NULL or "" for none. Borrowed. */
    const char *origins;
    /* Host names this server answers to besides IP literals and localhost (the machine's
     * name, --public-url's host), as http_host_check takes them; any other Host is 421.
     * NULL or "" for none. Borrowed. */
    const char *host_names;
    /* Every connection speaks TLS with sessions of this context (--tls-cert, --tls-key;
     * borrowed, outliving the server); NULL: plain HTTP. Over TLS the request's own origin is
     * https://, the session cookie is Secure, and every answer carries HSTS. */
    net_tls_ctx_t *tls;
    /* Set by whoever runs several servers in one process (having made it with
     * server_shared_init); NULL/0 for a lone server. */
    server_shared_t *shared; /* NULL: the server makes and keeps its own */
    uint8_t reuseport;       /* net_config_t's: 1 first listener of the group, 2 the others */
} server_config_t;

typedef struct server server_t;

/* Makes sh for servers of cfg (its budget and its table of clients). */
void server_shared_init(server_shared_t *sh, const server_config_t *cfg);
/* Releases what server_shared_init made, once no server uses sh. */
void server_shared_deinit(server_shared_t *sh);

/* The transport a hub must be created with when its sessions' conn pointers are this
 * module's connections (server_direct). Call it on the connection's loop only. */
extern const chat_transport_t server_transport;

/* Listens on loop and serves, handing chat traffic to chat (copied; its ctx borrowed and
 * outliving the server). Returns NULL after logging when the address cannot be bound. */
server_t *server_start(uv_loop_t *loop, const server_config_t *cfg, const server_chat_t *chat);
int server_port(const server_t *s);
/* Shutdown, first step: /healthz says 503, upgrades get 503, every WebSocket gets close
 * 1001. Returns immediately. */
void server_drain(server_t *s);
/* WebSocket connections still open (of every server sharing cfg->shared). */
size_t server_ws_count(const server_t *s);
/* Closes the listener and every connection. Their close callbacks still use s: run the
 * loop until it has no more handles before server_free. */
void server_stop(server_t *s);
void server_free(server_t *s);

/* What main drives, whichever way the connections run: one server on main's loop
 * (server_front), or the connection loops (server_loops_front). Each call is made on the
 * loop main runs; free after that loop has no more handles. */
typedef struct {
    void *ctx;
    int (*port)(void *ctx);
    void (*drain)(void *ctx);
    size_t (*ws_count)(void *ctx);
    void (*stop)(void *ctx);
    void (*free)(void *ctx);
} server_front_t;

/* s behind the front main drives (as server_port, server_drain, ... on s). */
server_front_t server_front(server_t *s);

/* For whoever runs the server's loop, on that loop's thread; conn is a transport conn
 * pointer (an open connection of this module). */
/* Reading on or off (inbound flow control). */
void server_conn_read(void *conn, bool on);
/* Closes conn as a slow consumer: its backlog dropped, close 1013. */
void server_conn_slow(void *conn);
/* This server's own connection counters. */
void server_conn_metrics(const server_t *s, server_conn_metrics_t *m);

#endif
