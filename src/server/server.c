/* server - HTTP routes, the WebSocket upgrade, the frame driver and the chat transport.
 *
 * Requests are answered by the handlers of a route table (http_router) built at start:
 * the echo route when configured, /ws and /ws/{client_id}, /api and everything under it,
 * /healthz, /metrics and the embedded web client's files. Anything else is 404, or 405 with
 * the Allow the table gives. Only /api routes read a body: the parser's keep-body callback
 * asks the table, so other bodies are read through and dropped, costing no memory.
 *
 * An /api request is answered asynchronously (server_chat_t request: the REST layer runs on
 * the hub's loop and waits for password hashing and the store). While it is in flight the
 * connection reads nothing more and parses nothing more; bytes of pipelined requests that
 * already arrived are copied aside (`held`: the receive buffer is the loop's), and once the
 * answer is queued they are parsed and reading resumes, so answers keep request order. The
 * wait (api_wait_t) belongs to the answer, not to the connection: a connection that closes
 * first only unlinks itself, and the answer, whenever it comes, frees the wait and drops
 * its bytes.
 *
 * Each accepted socket gets an sconn_t, in one of three states:
 *   HTTP     reading requests (keep-alive); the handshake deadline runs from the first byte
 *            of each request (or the accept), so a slowloris cannot hold a socket;
 *   WS       frames go through the ws parser to the chat session;
 *   CLOSING  a close frame or a final response is queued; nothing more is read or sent
 *            but control frames; the sweep cuts the socket if the peer never drains it.
 * The HTTP parser lives on the heap only while the connection speaks HTTP; a WebSocket
 * keeps just its frame parser, so an idle chat connection stays small.
 *
 * Invariant: chat's closed is called only from net's on_close (a uv close callback), never
 * from inside a send, so the hub can iterate members while sending. */
#include "server/server.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_cred.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "chat/chat.h"
#include "http/http_parse.h"
#include "http/http_response.h"
#include "http/http_router.h"
#include "net/net.h"
#include "server/server_metrics.h"
#include "ui/ui.h"
#include "ws/ws_deflate.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"

#define CLOSE_GRACE_MS 5000
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

struct sconn {
    net_conn_t *nc;
    server_t *srv;
    void *session;    /* chat's handle (server_chat_t open), NULL before the upgrade */
    uint64_t mark_ms; /* HTTP: request start; WS: last byte in; CLOSING: when it began */
    uint64_t ping_ms; /* when our keep-alive ping went out */
    uint8_t state;
    bool upgraded;       /* counted in nws */
    bool ping_out;       /* our keep-alive ping awaits its pong */
    bool echo;           /* the conformance echo route: messages come back, no chat */
    bool deflate;        /* permessage-deflate negotiated: compressed frames may go out */
    bool in_http;        /* on_http is on the stack (an answer given inside it resumes nothing) */
    http_parser_t *http; /* HTTP state only */
    ws_parser_t ws;      /* WS and CLOSING after an upgrade */
    api_wait_t *wait;    /* the /api request in flight, NULL for none */
    buf_t held;          /* bytes received after it, parsed once it is answered */
};

/* ---- output helpers ---- */

/* A whole unmasked, unfragmented frame (control frames, the echo route). */
static blob_t *frame_new(int opcode, const void *payload, size_t len)
{
    uint8_t head[WS_MAX_HEADER];
    size_t hl = ws_frame_header(head, opcode, true, len, NULL);
    blob_t *b = blob_new(hl + len);
    memcpy(b->data, head, hl);
    if (len)
        memcpy(b->data + hl, payload, len);
    return b;
}

static void send_bytes(sconn_t *c, const void *p, size_t len)
{
    blob_t *b = blob_from(p, len);
    net_conn_send_control(c->nc, b);
    blob_unref(b);
}

static void send_control(sconn_t *c, int opcode, const void *payload, size_t len)
{
    blob_t *b = frame_new(opcode, payload, len);
    net_conn_send_control(c->nc, b);
    blob_unref(b);
}

/* Sends a close frame and lets the socket go once it is written. linger: we start the
 * close while the peer may still be sending, so wait for its close or EOF (on_closing_data)
 * rather than reset a connection whose last bytes are unread. */
static void ws_close_ex(sconn_t *c, uint16_t code, const char *reason, bool linger)
{
    if (c->state == SC_CLOSING)
        return;
    uint8_t payload[WS_MAX_CONTROL];
    size_t n = ws_close_payload(payload, code, reason);
    send_control(c, WS_OP_CLOSE, payload, n);
    c->state = SC_CLOSING;
    c->mark_ms = clock_mono_ms();
    net_conn_close_after_flush(c->nc, linger);
}

static void ws_close(sconn_t *c, uint16_t code, const char *reason)
{
    ws_close_ex(c, code, reason, true);
}

static void respond(sconn_t *c, int status, const char *ctype, const void *body, size_t len,
                    bool keep_alive, const char *extra, bool head_only)
{
    char head[1024];
    int n = http_response_head(head, sizeof(head), status, ctype, len, keep_alive, extra);
    if (n < 0)
        n = 0;
    buf_t b = BUF_INIT;
    buf_append(&b, head, (size_t)n);
    if (!head_only)
        buf_append(&b, body, len);
    send_bytes(c, b.data, b.len);
    buf_deinit(&b);
    if (!keep_alive) {
        c->state = SC_CLOSING;
        c->mark_ms = clock_mono_ms();
        net_conn_close_after_flush(c->nc, true);
    }
}

static void respond_json(sconn_t *c, int status, const char *body, bool keep_alive,
                         const char *extra)
{
    respond(c, status, "application/json", body, strlen(body), keep_alive, extra, false);
}

/* ---- compression ---- */

/* Builds the compressed twin of a whole unmasked frame, or returns a new reference to
 * frame when compressing does not pay. */
static blob_t *deflate_frame(server_t *s, blob_t *frame)
{
    const uint8_t *p = (const uint8_t *)frame->data;
    size_t hl = (p[1] & 0x7f) == 127 ? 10 : (p[1] & 0x7f) == 126 ? 4 : 2;
    size_t len = frame->len - hl;
    const uint8_t *out;
    size_t out_len;
    if (!ws_deflate_worth(len) ||
        ws_deflater_message(s->deflater, p + hl, len, &out, &out_len) < 0 || out_len >= len)
        return blob_ref(frame);
    uint8_t head[WS_MAX_HEADER];
    size_t zl = ws_frame_header(head, p[0] & 0x0f, true, out_len, NULL);
    head[0] |= WS_FRAME_RSV1;
    blob_t *z = blob_new(zl + out_len);
    memcpy(z->data, head, zl);
    memcpy(z->data + zl, out, out_len);
    s->deflated_frames++;
    return z;
}

/* The frame to put on c's wire for frame: its compressed twin when c negotiated deflate.
 * Returns a new reference. */
static blob_t *wire_frame(sconn_t *c, blob_t *frame)
{
    server_t *s = c->srv;
    if (!c->deflate || !s->deflater || frame->len < 2 + WS_DEFLATE_MIN_SIZE)
        return blob_ref(frame);
    for (unsigned i = 0; i < ZCACHE_SIZE; i++)
        if (s->zcache[i].src == frame)
            return blob_ref(s->zcache[i].z);
    zcache_t *e = &s->zcache[s->znext++ % ZCACHE_SIZE];
    blob_unref(e->src);
    blob_unref(e->z);
    e->src = blob_ref(frame);
    e->z = deflate_frame(s, frame);
    return blob_ref(e->z);
}

/* ---- the chat transport ---- */

static void transport_send(void *conn, blob_t *frame)
{
    sconn_t *c = conn;
    if (c->state != SC_WS || c->nc->closing)
        return;
    blob_t *w = wire_frame(c, frame);
    int r = net_conn_send(c->nc, w);
    blob_unref(w);
    if (r == 0)
        return;
    server_conn_slow(c);
}

void server_conn_slow(void *conn)
{
    sconn_t *c = conn;
    if (c->state != SC_WS || c->nc->closing)
        return;
    /* Past the outbound bound: a slow consumer. Its backlog goes, the close goes alone. */
    char name[96];
    net_conn_name(c->nc, name, sizeof(name));
    log_conn(LOG_WARN, name, "slow consumer: outbound queue over %zu bytes, closing 1013",
             c->srv->cfg.max_outbound);
    c->srv->slow_closed++;
    net_conn_drop_queued(c->nc);
    ws_close(c, WS_CLOSE_TRY_AGAIN, "slow consumer: outbound queue full");
}

static void transport_close(void *conn, uint16_t code, const char *reason)
{
    ws_close(conn, code, reason);
}

static void transport_send_bulk(void *conn, blob_t *frame)
{
    sconn_t *c = conn;
    if (c->state != SC_WS || c->nc->closing)
        return;
    blob_t *w = wire_frame(c, frame);
    net_conn_send_control(c->nc, w);
    blob_unref(w);
}

static size_t transport_backlog(void *conn)
{
    return ((sconn_t *)conn)->nc->q_bytes;
}

static void transport_want_drain(void *conn)
{
    net_conn_want_drain(((sconn_t *)conn)->nc);
}

const chat_transport_t server_transport = {transport_send, transport_close, transport_send_bulk,
                                           transport_backlog, transport_want_drain};

static void on_ws(sconn_t *c, uint8_t *data, size_t len);

/* ---- HTTP ---- */

void server_conn_metrics(const server_t *s, server_conn_metrics_t *m)
{
    m->connections = s->net.nconns;
    m->websockets = s->nws;
    m->accepted = s->net.accepted;
    m->bytes_in = s->net.bytes_in;
    m->bytes_out = s->net.bytes_out;
    m->slow_closed = s->slow_closed;
}

/* This loop's connection counters, completed by chat (and, with several loops, summed). */
static void gather_metrics(server_t *s, server_metrics_t *m)
{
    *m = (server_metrics_t){0};
    server_conn_metrics(s, &m->conn);
    s->chat.metrics(s->chat.ctx, m);
}

/* Keep-alive for the answer to r: never while draining, so connections go. */
static bool keep_alive(const sconn_t *c, const http_request_t *r)
{
    return r->keep_alive && !atomic_load(&c->srv->shared->draining);
}

static void serve_metrics(void *ctx, const http_request_t *r, const http_match_t *match)
{
    (void)match;
    sconn_t *c = ctx;
    server_metrics_t m;
    gather_metrics(c->srv, &m);
    buf_t b = BUF_INIT;
    server_metrics_render(&m, &b);
    respond(c, 200, "text/plain; version=0.0.4", b.data, b.len, keep_alive(c, r), NULL,
            r->method == HTTP_HEAD);
    buf_deinit(&b);
}

/* 503 while draining (a load balancer stops sending) or while chat cannot commit. */
static void serve_healthz(void *ctx, const http_request_t *r, const http_match_t *match)
{
    (void)match;
    sconn_t *c = ctx;
    int status = 503;
    const char *body = "{\"status\":\"draining\"}";
    if (!atomic_load(&c->srv->shared->draining)) {
        server_metrics_t m;
        gather_metrics(c->srv, &m);
        if (m.chat.available) {
            status = 200;
            body = "{\"status\":\"ok\"}";
        } else {
            body = "{\"status\":\"unavailable\"}";
        }
    }
    respond(c, status, "application/json", body, strlen(body), keep_alive(c, r),
            "Cache-Control: no-store\r\n", r->method == HTTP_HEAD);
}

static void serve_file(void *ctx, const http_request_t *r, const http_match_t *match)
{
    sconn_t *c = ctx;
    const ui_file_t *f = match->item;
    respond(c, 200, f->content_type, f->data, f->len, keep_alive(c, r),
            "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n",
            r->method == HTTP_HEAD);
}

static const void *file_lookup(const void *data, const char *path)
{
    (void)data;
    return ui_find(path);
}

/* The peer's address without its port ("127.0.0.1"), "" when unknown. */
static void peer_addr(const sconn_t *c, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    out[0] = '\0';
    if (uv_tcp_getpeername(&c->nc->tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET)
        uv_ip4_name((const struct sockaddr_in *)&ss, out, cap);
    else if (ss.ss_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)&ss, out, cap);
}

/* What the upgrade says about who connects: the Bearer token, else the session cookie when
 * the Origin is ours (a cookie a foreign page's socket carried along is no credential: that
 * connection is a guest's). A token too long to be one is passed as "x", so that chat sees
 * credentials it will refuse rather than none. */
static void upgrade_creds(const sconn_t *c, const http_request_t *r, chat_creds_t *cr)
{
    *cr = (chat_creds_t){0};
    size_t len = 0;
    bool from_cookie = false;
    const char *t = api_cred_token(r->authorization, r->cookie, &len, &from_cookie);
    if (t && from_cookie && !api_cred_origin_allowed(r->origin, r->host, c->srv->cfg.origins))
        t = NULL;
    if (t && len > 0 && len < sizeof(cr->token))
        memcpy(cr->token, t, len);
    else if (t)
        cr->token[0] = 'x';
    peer_addr(c, cr->addr, sizeof(cr->addr));
}

/* Validates the RFC 6455 4.2.1 handshake; answers the failure itself. */
static bool handshake_ok(sconn_t *c, const http_request_t *r)
{
    if (r->method != HTTP_GET || !r->upgrade_req || !r->upgrade ||
        !ws_header_has_token(r->upgrade, strlen(r->upgrade), "websocket") || !r->connection ||
        !ws_header_has_token(r->connection, strlen(r->connection), "upgrade")) {
        respond_json(c, 426, "{\"error\":\"this endpoint speaks WebSocket only\"}", false,
                     "Upgrade: websocket\r\n");
        return false;
    }
    if (!r->ws_version || strcmp(r->ws_version, "13") != 0) {
        respond_json(c, 426, "{\"error\":\"unsupported WebSocket version\"}", false,
                     "Sec-WebSocket-Version: 13\r\n");
        return false;
    }
    if (!r->ws_key || !ws_handshake_key_valid(r->ws_key, strlen(r->ws_key))) {
        respond_json(c, 400, "{\"error\":\"missing or invalid Sec-WebSocket-Key\"}", false, NULL);
        return false;
    }
    server_shared_t *sh = c->srv->shared;
    if (atomic_load(&sh->draining) || atomic_load(&sh->ws) >= c->srv->cfg.max_connections) {
        respond_json(c, 503, "{\"error\":\"server busy\"}", false, "Retry-After: 1\r\n");
        return false;
    }
    return true;
}

/* Mode of the echo route: no chat session, every message echoed with its opcode. */
#define MODE_ECHO 100

/* Answers the handshake and switches c to WebSocket. The request (and the parser it lives
 * in) is released here: client_id must not point into it. */
static void upgrade(sconn_t *c, const http_request_t *r, int mode, const char *client_id)
{
    chat_creds_t creds;
    upgrade_creds(c, r, &creds);
    char accept[WS_ACCEPT_SIZE];
    ws_handshake_accept(r->ws_key, strlen(r->ws_key), accept);
    bool v1 =
        r->ws_protocol && ws_header_has_token(r->ws_protocol, strlen(r->ws_protocol), "parley.v1");
    char head[512];
    int n = http_response_101(head, sizeof(head), accept, v1 ? "parley.v1" : NULL);
    ws_deflate_params_t dp = {0};
    char ext[WS_DEFLATE_RESPONSE_MAX];
    if (n > 2 && c->srv->inflater && r->ws_extensions &&
        ws_deflate_negotiate(&c->srv->dcfg, r->ws_extensions, strlen(r->ws_extensions), &dp, ext)) {
        /* The 101 ends with an empty line: the extension header goes just before it. */
        n += snprintf(head + n - 2, sizeof(head) - (size_t)n + 2,
                      "Sec-WebSocket-Extensions: %s\r\n\r\n", ext) -
             2;
    }
    send_bytes(c, head, n > 0 ? (size_t)n : 0);
    http_parser_deinit(c->http);
    free(c->http);
    c->http = NULL;
    ws_parser_init(&c->ws, &c->srv->limits);
    if (dp.enabled) {
        ws_parser_set_deflate(&c->ws, true);
        /* A client that asked for a smaller server window gets plain frames: one shared
         * compressed copy is only valid for clients that take a full window. */
        c->deflate = dp.server_window_bits == 15;
    }
    c->state = SC_WS;
    c->upgraded = true;
    c->srv->nws++;
    atomic_fetch_add(&c->srv->shared->ws, 1);
    c->srv->ws_opened++;
    c->mark_ms = clock_mono_ms();
    if (mode == MODE_ECHO) {
        c->echo = true;
        return;
    }
    if (mode == CHAT_MODE_AUTO && v1)
        mode = CHAT_MODE_JSON;
    server_chat_t *chat = &c->srv->chat;
    c->session = chat->open(chat->ctx, c, (chat_mode_t)mode, client_id, &creds);
}

/* The conformance echo route: any method reaches the handshake, which refuses all but GET. */
static void serve_echo(void *ctx, const http_request_t *r, const http_match_t *match)
{
    (void)match;
    sconn_t *c = ctx;
    if (handshake_ok(c, r))
        upgrade(c, r, MODE_ECHO, "");
}

/* "/ws" and "/ws/" -> JSON or line mode; "/ws/{id}" -> client-id mode. Every method comes
 * here, so that a plain request to a WebSocket path learns why (426), as it always has. */
static void serve_ws(void *ctx, const http_request_t *r, const http_match_t *match)
{
    sconn_t *c = ctx;
    char id[40] = "";
    int mode = CHAT_MODE_AUTO;
    if (match->param_len > 0) {
        if (!chat_client_id_valid(match->param, match->param_len) ||
            match->param_len >= sizeof(id)) {
            respond_json(c, 404, "{\"error\":\"client id must be 1-32 of A-Za-z0-9_-\"}",
                         keep_alive(c, r), NULL);
            return;
        }
        memcpy(id, match->param, match->param_len + 1);
        mode = CHAT_MODE_CLIENTID;
    }
    if (handshake_ok(c, r))
        upgrade(c, r, mode, id);
}

/* ---- /api ---- */

static void resume(sconn_t *c);

/* The answer to c's /api request (see the top of this file). */
static void api_answered(void *ctx, blob_t *response)
{
    api_wait_t *w = ctx;
    sconn_t *c = w->c;
    bool keep = w->keep_alive;
    free(w);
    if (!c)
        return; /* the connection went first: the answer is dropped */
    c->wait = NULL;
    if (response)
        net_conn_send_control(c->nc, response);
    if (!response || !keep || atomic_load(&c->srv->shared->draining)) {
        c->state = SC_CLOSING;
        c->mark_ms = clock_mono_ms();
        net_conn_close_after_flush(c->nc, true);
    }
    if (!c->in_http)
        resume(c);
}

/* Hands the request to the REST layer through chat's door; the answer comes back to
 * api_answered, now or later. */
static void serve_api(void *ctx, const http_request_t *r, const http_match_t *match)
{
    (void)match;
    sconn_t *c = ctx;
    char addr[64];
    peer_addr(c, addr, sizeof(addr));
    api_request_t q = {
        .method = r->method,
        .path = r->path,
        .body = r->body,
        .body_len = r->body ? (size_t)r->body_len : 0,
        .host = r->host,
        .origin = r->origin,
        .cookie = r->cookie,
        .authorization = r->authorization,
        .user_agent = r->user_agent,
        .forwarded_proto = r->forwarded_proto,
        .addr = addr,
        .keep_alive = keep_alive(c, r),
    };
    api_wait_t *w = xmalloc(sizeof(*w));
    *w = (api_wait_t){c, q.keep_alive};
    c->wait = w;
    c->srv->chat.request(c->srv->chat.ctx, &q, api_answered, w);
}

/* The table every request goes through; see the top of this file. */
static int add_routes(server_t *s)
{
    const uint64_t get = HTTP_ROUTE_METHOD(HTTP_GET), any = HTTP_ROUTE_ANY_METHOD;
    const http_route_t routes[] = {
        {.path = "/ws", .methods = any, .handler = serve_ws},
        {.path = "/ws/", .methods = any, .flags = HTTP_ROUTE_PREFIX, .handler = serve_ws},
        /* The REST layer answers every method itself (404 and 405 of its own table). */
        {.path = "/api",
         .methods = any,
         .flags = HTTP_ROUTE_BODY,
         .body_max = API_BODY_MAX,
         .handler = serve_api},
        {.path = "/api/",
         .methods = any,
         .flags = HTTP_ROUTE_PREFIX | HTTP_ROUTE_BODY,
         .body_max = API_BODY_MAX,
         .handler = serve_api},
        {.path = "/healthz", .methods = get, .handler = serve_healthz},
        {.path = "/metrics", .methods = get, .handler = serve_metrics},
        {.lookup = file_lookup, .methods = get, .handler = serve_file},
    };
    /* Added first, so that it wins over a route of the same path, as it always has. */
    const char *echo = s->cfg.echo_path;
    if (echo && echo[0]) {
        http_route_t er = {.path = echo, .methods = any, .handler = serve_echo};
        if (http_router_add(&s->router, &er) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (http_router_add(&s->router, &routes[i]) < 0)
            return -1;
    return 0;
}

/* The parser's keep-body callback: a body is stored only for a route that reads it. */
static size_t keep_body(void *ctx, const http_request_t *head)
{
    server_t *s = ctx;
    return http_router_body_limit(&s->router, head->method, head->path);
}

/* Answers one request: its route's handler, or 404, or 405 with Allow. */
static void handle_request(sconn_t *c, const http_request_t *r)
{
    http_match_t m;
    int status = http_router_find(&c->srv->router, r->method, r->path, &m);
    if (status == 0) {
        m.route->handler(c, r, &m);
    } else if (status == 404) {
        respond_json(c, 404, "{\"error\":\"not found\"}", keep_alive(c, r), NULL);
    } else {
        char allow[256], extra[300] = "";
        if (http_router_allow(m.allow, allow, sizeof(allow)) >= 0)
            snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
        respond_json(c, 405, "{\"error\":\"method not allowed\"}", keep_alive(c, r), extra);
    }
}

/* An /api request is in flight: read nothing more, and keep what already came after it. */
static void hold(sconn_t *c, const uint8_t *data, size_t len)
{
    net_conn_read(c->nc, false);
    if (len)
        buf_append(&c->held, data, len);
}

static void on_http(sconn_t *c, uint8_t *data, size_t len)
{
    c->in_http = true;
    while (c->state == SC_HTTP) {
        http_request_t *req = NULL;
        int status = 0;
        ssize_t n = http_parser_feed(c->http, (const char *)data, len, &req, &status);
        if (n < 0) {
            /* The same shape as /api's errors: a code and a sentence. */
            char body[128];
            snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}",
                     status == 413   ? "too_large"
                     : status == 431 ? "headers_too_large"
                                     : "bad_request",
                     http_status_text(status));
            respond_json(c, status, body, false, NULL);
            break;
        }
        if (!req)
            break;
        data += n;
        len -= (size_t)n;
        handle_request(c, req);
        if (c->upgraded) {
            /* Bytes after the upgrade request are the first frames. The parser is gone, and
             * chat may already have closed the session (a name taken): state is not enough. */
            if (len)
                on_ws(c, data, len);
            break;
        }
        /* The request is released; an /api request still in flight copied what it needs. */
        http_parser_next(c->http);
        c->mark_ms = clock_mono_ms();
        if (c->wait) {
            hold(c, data, len);
            break;
        }
        if (len == 0)
            break;
    }
    c->in_http = false;
}

/* After an /api answer: the held bytes (the next requests), then reading again. */
static void resume(sconn_t *c)
{
    c->mark_ms = clock_mono_ms();
    if (c->held.len && c->state == SC_HTTP) {
        buf_t held = c->held;
        c->held = (buf_t)BUF_INIT;
        on_http(c, (uint8_t *)held.data, held.len);
        buf_deinit(&held);
    }
    if (!c->wait)
        net_conn_read(c->nc, true);
}

/* ---- WebSocket ---- */

static void echo_message(sconn_t *c, int opcode, const uint8_t *data, size_t len)
{
    blob_t *b = frame_new(opcode, data, len);
    transport_send(c, b);
    blob_unref(b);
}

static void on_ws(sconn_t *c, uint8_t *data, size_t len)
{
    c->mark_ms = clock_mono_ms();
    c->ping_out = false; /* any traffic proves the peer alive */
    while (c->state == SC_WS) {
        ws_event_t ev;
        size_t n = ws_parser_feed(&c->ws, data, len, &ev);
        data += n;
        len -= n;
        switch (ev.type) {
        case WS_EV_NONE:
            ws_parser_shrink(&c->ws);
            return;
        case WS_EV_MESSAGE:
            if (ev.compressed && ws_inflate_event(c->srv->inflater, &ev) < 0) {
                ws_close(c, ev.code, ev.error);
                return;
            }
            if (c->echo)
                echo_message(c, ev.opcode, ev.data, ev.len);
            else
                c->srv->chat.message(c->srv->chat.ctx, c->session, ev.opcode, ev.data, ev.len);
            break;
        case WS_EV_PING:
            send_control(c, WS_OP_PONG, ev.data, ev.len);
            break;
        case WS_EV_PONG:
            break;
        case WS_EV_CLOSE:
            /* Echo the code (RFC 6455 5.5.1); an empty close is answered empty. The peer
             * is done sending, so the socket goes as soon as the echo is written. */
            ws_close_ex(c, ev.code == WS_CLOSE_NO_STATUS ? 0 : ev.code, NULL, false);
            return;
        case WS_EV_ERROR: {
            char name[96];
            net_conn_name(c->nc, name, sizeof(name));
            log_conn(LOG_INFO, name, "closing %u: %s", ev.code, ev.error);
            ws_close(c, ev.code, ev.error);
            return;
        }
        }
    }
}

/* CLOSING after our close frame: the peer's messages are dropped, its close answer ends
 * the wait (RFC 6455 7.1.1: then the server closes the TCP connection). */
static void on_closing_data(sconn_t *c, uint8_t *data, size_t len)
{
    while (len) {
        ws_event_t ev;
        size_t n = ws_parser_feed(&c->ws, data, len, &ev);
        data += n;
        len -= n;
        if (ev.type == WS_EV_CLOSE || ev.type == WS_EV_ERROR) {
            net_conn_close_after_flush(c->nc, false);
            return;
        }
        if (ev.type == WS_EV_NONE)
            return;
    }
}

/* ---- net handler ---- */

static void on_open(net_conn_t *nc)
{
    server_t *s = nc->srv->data;
    sconn_t *c = xcalloc(1, sizeof(*c));
    c->nc = nc;
    c->srv = s;
    c->state = SC_HTTP;
    c->mark_ms = clock_mono_ms();
    c->http = xmalloc(sizeof(*c->http));
    http_parser_init(c->http, s->cfg.max_header, s->cfg.max_body);
    http_parser_keep_body(c->http, keep_body, s);
    nc->data = c;
}

static void on_data(net_conn_t *nc, uint8_t *data, size_t len)
{
    sconn_t *c = nc->data;
    if (c->state == SC_HTTP)
        on_http(c, data, len);
    else if (c->state == SC_WS)
        on_ws(c, data, len);
    else if (c->upgraded && !c->ws.error)
        on_closing_data(c, data, len);
    /* Otherwise (a final HTTP response, a failed parser) the bytes are dropped until the
     * peer's EOF or the sweep. */
}

static void on_close(net_conn_t *nc)
{
    sconn_t *c = nc->data;
    if (c->wait)
        c->wait->c = NULL; /* its answer will find no connection and drop itself */
    buf_deinit(&c->held);
    if (c->session)
        c->srv->chat.closed(c->srv->chat.ctx, c->session);
    if (c->upgraded) {
        ws_parser_deinit(&c->ws);
        c->srv->nws--;
        atomic_fetch_sub(&c->srv->shared->ws, 1);
    }
    if (c->http) {
        http_parser_deinit(c->http);
        free(c->http);
    }
    free(c);
}

static void on_tick(net_conn_t *nc, uint64_t now)
{
    sconn_t *c = nc->data;
    const server_config_t *cfg = &c->srv->cfg;
    uint64_t age = now - c->mark_ms;
    /* An /api request in flight is not the client's delay: its time starts at the answer. */
    if (c->state == SC_HTTP && !c->wait && age > cfg->handshake_timeout_ms) {
        net_conn_close(nc);
    } else if (c->state == SC_CLOSING && age > CLOSE_GRACE_MS) {
        net_conn_close(nc);
    } else if (c->state == SC_WS && cfg->idle_timeout_ms) {
        /* Silent for half the timeout: ping. Still silent half a timeout after the ping:
         * gone. Measuring from the ping (not from the last byte) means the sweep's
         * one-second granularity can never close a peer that was not asked first. */
        uint64_t half = cfg->idle_timeout_ms / 2;
        if (c->ping_out && now - c->ping_ms >= half) {
            /* Silent through a ping: most likely gone, so no waiting for its close. */
            ws_close_ex(c, WS_CLOSE_GOING_AWAY, "idle timeout", false);
        } else if (!c->ping_out && age >= half) {
            send_control(c, WS_OP_PING, "parley", 6);
            c->ping_out = true;
            c->ping_ms = now;
        }
    }
}

static void on_drain(net_conn_t *nc)
{
    sconn_t *c = nc->data;
    if (c->state == SC_WS && c->session)
        c->srv->chat.drained(c->srv->chat.ctx, c->session);
}

static const net_handler_t handler = {on_open, on_data, on_close, on_tick, on_drain};

/* ---- lifetime ---- */

server_t *server_start(uv_loop_t *loop, const server_config_t *cfg, const server_chat_t *chat)
{
    server_t *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    s->chat = *chat;
    http_router_init(&s->router);
    if (add_routes(s) < 0) {
        log_error("routes: out of memory");
        exit(1);
    }
    s->shared = cfg->shared ? cfg->shared : &s->own;
    s->limits.max_frame = cfg->max_frame;
    s->limits.max_message = cfg->max_frame;
    s->limits.require_mask = true;
    s->dcfg = (ws_deflate_config_t)WS_DEFLATE_CONFIG_DEFAULT;
    if (cfg->deflate) {
        s->inflater = ws_inflater_new(15, false, cfg->max_frame);
        s->deflater = ws_deflater_new(15, 6, 8);
        if (!s->inflater || !s->deflater) {
            log_error("permessage-deflate: out of memory");
            exit(1);
        }
    }
    net_config_t ncfg = {cfg->host, cfg->port, cfg->max_outbound, cfg->reuseport};
    if (net_server_start(&s->net, loop, &ncfg, &handler, s) != 0) {
        server_free(s);
        return NULL;
    }
    return s;
}

int server_port(const server_t *s)
{
    return net_server_port(&s->net);
}

void server_drain(server_t *s)
{
    atomic_store(&s->shared->draining, true);
    for (net_conn_t *nc = s->net.conns, *next; nc; nc = next) {
        next = nc->next;
        sconn_t *c = nc->data;
        if (c->state == SC_WS)
            ws_close(c, WS_CLOSE_GOING_AWAY, "server shutting down");
    }
}

size_t server_ws_count(const server_t *s)
{
    return atomic_load(&s->shared->ws);
}

void server_conn_read(void *conn, bool on)
{
    sconn_t *c = conn;
    net_conn_read(c->nc, on);
}

void server_stop(server_t *s)
{
    net_server_stop(&s->net);
}

void server_free(server_t *s)
{
    for (unsigned i = 0; i < ZCACHE_SIZE; i++) {
        blob_unref(s->zcache[i].src);
        blob_unref(s->zcache[i].z);
    }
    ws_inflater_free(s->inflater);
    ws_deflater_free(s->deflater);
    http_router_deinit(&s->router);
    free(s);
}

/* ---- the front main drives ---- */

static int front_port(void *ctx)
{
    return server_port(ctx);
}

static void front_drain(void *ctx)
{
    server_drain(ctx);
}

static size_t front_ws_count(void *ctx)
{
    return server_ws_count(ctx);
}

static void front_stop(void *ctx)
{
    server_stop(ctx);
}

static void front_free(void *ctx)
{
    server_free(ctx);
}

server_front_t server_front(server_t *s)
{
    return (server_front_t){s, front_port, front_drain, front_ws_count, front_stop, front_free};
}
