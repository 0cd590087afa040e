/* server_int - what the server module's two files share (not for other modules):
 *   server.c       the connection: its state, output, compression, the chat transport, the
 *                  WebSocket frame driver, the net handler, lifetime and the front;
 *   server_http.c  the HTTP side: the route table and its handlers, the WebSocket upgrade
 *                  (credentials, handshake checks) and the /api wait-and-resume.
 * A connection crosses from one to the other twice: its bytes go to server_on_http while it
 * speaks HTTP, and the upgrade hands what follows it to server_on_ws. */
#ifndef PARLEY_SERVER_INT_H
#define PARLEY_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/blob.h"
#include "base/buf.h"
#include "http/http_parse.h"
#include "http/http_response.h"
#include "http/http_router.h"
#include "net/net.h"
#include "server/server.h"
#include "ws/ws_deflate.h"
#include "ws/ws_frame.h"

#define ZCACHE_SIZE 4

/* Compressed twins of recently sent frames. A broadcast hands the same blob to every
 * recipient in a row, so a handful of entries means one compression per message and wire
 * format, whoever negotiated deflate. Each entry holds a reference to its source, so the
 * pointer cannot be reused while it is a key. */
typedef struct {
    blob_t *src;
    blob_t *z; /* the frame to send instead: compressed, or src itself when not smaller */
} zcache_t;

typedef enum { SC_HTTP, SC_WS, SC_CLOSING } sc_state_t;

struct server {
    net_server_t net;
    server_config_t cfg;
    server_chat_t chat;
    http_router_t router;
    ws_limits_t limits;
    size_t nws; /* this loop's WebSockets */
    uint64_t slow_closed, ws_opened;
    uint64_t partial_refused, message_timeouts; /* see server_conn_metrics_t */
    uint64_t partial_logged_ms;                 /* the last refusal logged (one a second) */
    /* The loop's lag (stats.h): a timer every SERVER_LAG_TICK_MS, unreferenced (it keeps no
     * loop alive), closed by server_stop; lag_last_us is when it last fired. */
    uv_timer_t lag;
    uint64_t lag_last_us;
    server_shared_t *shared; /* &own, or the one every loop of the process shares */
    server_shared_t own;
    ws_deflate_config_t dcfg;
    ws_inflater_t *inflater; /* shared: clients never keep context (we impose it) */
    ws_deflater_t *deflater; /* shared: we never keep context either */
    zcache_t zcache[ZCACHE_SIZE];
    unsigned znext;
    uint64_t deflated_frames;
};

typedef struct sconn sconn_t;

/* An /api request of c whose answer is to come: freed by the answer (api_answered), never
 * by the connection, which sets c NULL if it closes first. */
typedef struct {
    sconn_t *c;
    bool keep_alive;
} api_wait_t;

/* What a connection holds only while it speaks HTTP: one allocation, freed by the upgrade,
 * so that a WebSocket connection carries none of it. */
typedef struct {
    http_parser_t parser;
    /* The Host of the request being answered once it was found to be ours, for the CSP of
     * the answer (borrowed from that request; NULL between requests and when unchecked). */
    const char *ws_host;
    api_wait_t *wait; /* the /api request in flight, NULL for none */
    buf_t held; /* bytes received after it, parsed once it is answered (taken from the budget) */
} sconn_http_t;

struct sconn {
    net_conn_t *nc;
    server_t *srv;
    void *session;    /* chat's handle (server_chat_t open), NULL before the upgrade */
    uint64_t mark_ms; /* HTTP: request start; WS: last byte in; CLOSING: when it began */
    uint64_t ping_ms; /* when our keep-alive ping went out */
    /* When the input in progress began: the first byte of the frame, fragmented message or
     * HTTP request that is not complete yet (--message-timeout runs from it); 0: none. */
    uint64_t part_ms;
    uint8_t state;
    bool upgraded;      /* counted in nws */
    bool ping_out;      /* our keep-alive ping awaits its pong */
    bool echo;          /* the conformance echo route: messages come back, no chat */
    bool deflate;       /* permessage-deflate negotiated: compressed frames may go out */
    bool in_http;       /* server_on_http runs (an answer given inside it resumes nothing) */
    bool read_off;      /* reading stopped by us (server_conn_read): no deadline runs */
    bool held_refused;  /* bytes after an /api request were refused by the budget: 503 */
    sconn_http_t *http; /* HTTP and CLOSING before an upgrade; NULL once upgraded */
    ws_parser_t ws;     /* WS and CLOSING after an upgrade */
};

/* The /api request c waits for, NULL for none (and always once upgraded). */
static inline api_wait_t *sconn_wait(const sconn_t *c)
{
    return c->http ? c->http->wait : NULL;
}

/* ---- server.c ---- */

/* The header lines every answer of c carries (the 101 excepted): http_security_headers for
 * c->ws_host, and HSTS when c speaks TLS. Returns their length, or -1 when they do not fit
 * in cap (never with SERVER_HEADERS_MAX bytes). */
#define SERVER_HEADERS_MAX (HTTP_SECURITY_HEADERS_MAX + 64)
int server_security_lines(const sconn_t *c, char *out, size_t cap);

/* Queues len bytes of p on c as they are (an HTTP response, the 101). */
void server_send_bytes(sconn_t *c, const void *p, size_t len);
/* An HTTP response, with the security headers (server_security_lines) and extra; without
 * keep_alive, c goes CLOSING and closes once it is written. */
void server_respond(sconn_t *c, int status, const char *ctype, const void *body, size_t len,
                    bool keep_alive, const char *extra, bool head_only);
void server_respond_json(sconn_t *c, int status, const char *body, bool keep_alive,
                         const char *extra);
/* Bytes of a WebSocket connection (state WS): frames to chat, or back for the echo route. */
void server_on_ws(sconn_t *c, uint8_t *data, size_t len);
/* c is being closed because the budget of input still arriving refused it more: counted, and
 * logged once a second at most. */
void server_partial_refused(sconn_t *c);

/* ---- server_http.c ---- */

/* Builds s's route table; -1 when out of memory. */
int server_add_routes(server_t *s);
/* The HTTP parser's keep-body callback (ctx: the server_t). */
size_t server_keep_body(void *ctx, const http_request_t *head);
/* Frees c's HTTP state (an /api answer still to come then finds no connection; held bytes
 * go back to the budget). NULL after; nothing when there is none. */
void server_http_free(sconn_t *c);
/* Bytes of a connection that speaks HTTP (state HTTP): requests parsed and answered. */
void server_on_http(sconn_t *c, uint8_t *data, size_t len);

#endif
