/* server_http - the HTTP side of a connection: the route table, the WebSocket upgrade and
 * the /api wait. It ends where a connection stops speaking HTTP: after the upgrade the bytes
 * go to server.c's frame driver (server_on_ws).
 *
 * Every request passes the doors first (docs/protocol.md, "The doors"): a Host that is ours
 * (else 421; none in HTTP/1.1, or a malformed one, 400), checked before any route; then an
 * upgrade needs HTTP/1.1 (426) and, on the chat paths, an Origin that is ours or none (403).
 * Every answer but the 101 carries the security headers (server_respond; /api's through
 * api_request_t), naming the checked Host in its CSP.
 *
 * With --base-path (cfg.base_path, "/chat") every route lives under it: a request's path is
 * taken with the base cut off ("/chat/ws" is "/ws" to everything after), "/chat" alone is sent
 * to "/chat/" (301: the web client's relative URLs resolve against the trailing slash), and
 * a path outside the base is 404, before any route.
 *
 * Requests are answered by the handlers of a route table (http_router) built at start:
 * the echo route when configured, /ws and /ws/{client_id}, /api and everything under it,
 * /healthz, /readyz, /metrics and the embedded web client's files. Anything else is 404, or 405
 * with the Allow the table gives. Only /api routes read a body: the parser's keep-body callback
 * asks the table, so other bodies are read through and dropped, costing no memory.
 *
 * An /api request is answered asynchronously (server_chat_t request: the REST layer runs on
 * the hub's loop and waits for password hashing and the store). While it is in flight the
 * connection reads nothing more and parses nothing more; bytes of pipelined requests that
 * already arrived are copied aside (`held`: the receive buffer is the loop's), and once the
 * answer is queued they are parsed and reading resumes, so answers keep request order. The
 * wait (api_wait_t) belongs to the answer, not to the connection: a connection that closes
 * first only unlinks itself, and the answer, whenever it comes, frees the wait and drops
 * its bytes. */
#include "server/server_int.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_cred.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "chat/chat.h"
#include "http/http_negotiate.h"
#include "http/http_origin.h"
#include "http/http_response.h"
#include "server/server_metrics.h"
#include "ui/ui.h"
#include "ws/ws_handshake.h"

/* ---- plain routes ---- */

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
    server_respond(c, 200, "text/plain; version=0.0.4", b.data, b.len, keep_alive(c, r), NULL,
                   r->method == HTTP_HEAD);
    buf_deinit(&b);
}

/* Liveness: the process answers, so it is alive (a supervisor restarts one that does not).
 * Whether it should be sent traffic is /readyz's. */
static void serve_healthz(void *ctx, const http_request_t *r, const http_match_t *match)
{
    (void)match;
    sconn_t *c = ctx;
    const char *body = "{\"status\":\"ok\"}";
    server_respond(c, 200, "application/json", body, strlen(body), keep_alive(c, r),
                   "Cache-Control: no-store\r\n", r->method == HTTP_HEAD);
}

/* Readiness: 503 while draining (a load balancer stops sending), while chat cannot commit
 * (the store is not writable), or while the bus to the other processes (--bus) is down. */
static void serve_readyz(void *ctx, const http_request_t *r, const http_match_t *match)
{
    (void)match;
    sconn_t *c = ctx;
    int status = 503;
    const char *body = "{\"status\":\"draining\"}";
    if (!atomic_load(&c->srv->shared->draining)) {
        server_metrics_t m;
        gather_metrics(c->srv, &m);
        if (!m.chat.available) {
            body = "{\"status\":\"unavailable\"}";
        } else if (m.chat.bus.on && !m.chat.bus.up) {
            body = "{\"status\":\"bus_down\"}";
        } else {
            status = 200;
            body = "{\"status\":\"ok\"}";
        }
    }
    server_respond(c, status, "application/json", body, strlen(body), keep_alive(c, r),
                   "Cache-Control: no-store\r\n", r->method == HTTP_HEAD);
}

/* A web client file, gzipped when the client takes it, 304 when its copy is current.
 * Every file is "no-cache": stored, but revalidated on each use. Versioned names could
 * cache for good, but the ES modules import each other by fixed relative names, so a new
 * build would mix old and new modules; one 304 of a few hundred bytes per file is what
 * revalidation costs, and it is always right. */
static void serve_file(void *ctx, const http_request_t *r, const http_match_t *match)
{
    sconn_t *c = ctx;
    const ui_file_t *f = match->item;
    bool gz = f->gz && http_accepts_gzip(r->accept_encoding);
    const char *etag = gz ? f->gz_etag : f->etag;
    char extra[200];
    snprintf(extra, sizeof(extra),
             "Cache-Control: no-cache\r\nETag: %s\r\nVary: Accept-Encoding\r\n%s", etag,
             gz ? "Content-Encoding: gzip\r\n" : "");
    bool fresh = http_etag_matches(r->if_none_match, etag);
    /* A 304's Content-Length is the 200's (RFC 9110 8.6), and it has no body. */
    server_respond(c, fresh ? 304 : 200, f->content_type, gz ? f->gz : f->data,
                   gz ? f->gz_len : f->len, keep_alive(c, r), extra,
                   fresh || r->method == HTTP_HEAD);
}

static const void *file_lookup(const void *data, const char *path)
{
    (void)data;
    return ui_find(path);
}

/* ---- the upgrade ---- */

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

/* Whether the client's connection is secure: it is TLS to us, or a proxy says it was TLS to
 * the proxy. */
static bool request_https(const sconn_t *c, const http_request_t *r)
{
    return net_conn_tls(c->nc) || http_forwarded_https(r->forwarded_proto);
}

/* Where the page that sent r comes from (http_origin.h): the request's own origin is
 * https:// when the client's connection is secure. */
static http_origin_t request_origin(const sconn_t *c, const http_request_t *r)
{
    return http_origin_check(r->origin, r->host, request_https(c, r), c->srv->cfg.origins);
}

/* What the upgrade says about who connects, by the cookie rule of api_cred.h: the Bearer
 * token, else the session cookie when the Origin is ours (a socket opened without Origin is
 * a script's, and a script signs in with Bearer: its cookie makes no user). A token too long
 * to be one is passed as "x", so that chat sees credentials it will refuse rather than none. */
static void upgrade_creds(const sconn_t *c, const http_request_t *r, chat_creds_t *cr)
{
    *cr = (chat_creds_t){0};
    size_t len = 0;
    const char *t = NULL;
    if (api_cred_session(r->authorization, r->cookie, request_origin(c, r), false, &t, &len) ==
        API_CRED_TOKEN) {
        if (len > 0 && len < sizeof(cr->token))
            memcpy(cr->token, t, len);
        else
            cr->token[0] = 'x';
    }
    peer_addr(c, cr->addr, sizeof(cr->addr));
}

/* A page of another origin may not open a chat connection through its visitor's browser,
 * neither in their name nor as a guest from their address: 403. Without Origin (a script)
 * the upgrade goes on, and its cookie does not count (upgrade_creds). */
static bool origin_ok(sconn_t *c, const http_request_t *r)
{
    if (request_origin(c, r) != HTTP_ORIGIN_FOREIGN)
        return true;
    server_respond_json(c, 403,
                        "{\"error\":\"bad_origin\",\"message\":\"a page of another origin may "
                        "not connect to this server\"}",
                        false, NULL);
    return false;
}

/* Validates the RFC 6455 4.2.1 handshake; answers the failure itself. */
static bool handshake_ok(sconn_t *c, const http_request_t *r)
{
    /* RFC 6455 4.1: the handshake is an HTTP/1.1 request; an HTTP/1.0 one (which has no
     * Host to insist on, and whose proxies know no Upgrade) is told what it needs. */
    if (r->http_major == 1 && r->http_minor == 0) {
        server_respond_json(c, 426,
                            "{\"error\":\"upgrade_required\",\"message\":\"WebSocket needs "
                            "HTTP/1.1\"}",
                            false, "Upgrade: websocket\r\n");
        return false;
    }
    if (r->method != HTTP_GET || !r->upgrade_req || !r->upgrade ||
        !ws_header_has_token(r->upgrade, strlen(r->upgrade), "websocket") || !r->connection ||
        !ws_header_has_token(r->connection, strlen(r->connection), "upgrade")) {
        server_respond_json(c, 426, "{\"error\":\"this endpoint speaks WebSocket only\"}", false,
                            "Upgrade: websocket\r\n");
        return false;
    }
    if (!r->ws_version || strcmp(r->ws_version, "13") != 0) {
        server_respond_json(c, 426, "{\"error\":\"unsupported WebSocket version\"}", false,
                            "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
        return false;
    }
    if (!r->ws_key || !ws_handshake_key_valid(r->ws_key, strlen(r->ws_key))) {
        server_respond_json(c, 400, "{\"error\":\"missing or invalid Sec-WebSocket-Key\"}", false,
                            NULL);
        return false;
    }
    server_shared_t *sh = c->srv->shared;
    if (atomic_load(&sh->draining) || atomic_load(&sh->ws) >= c->srv->cfg.max_connections) {
        server_respond_json(c, 503, "{\"error\":\"server busy\"}", false, "Retry-After: 1\r\n");
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
    server_send_bytes(c, head, n > 0 ? (size_t)n : 0);
    server_http_free(c);
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

/* The conformance echo route: any method reaches the handshake, which refuses all but GET.
 * No Origin rule: conformance suites send what they like, and echoes reach no chat. */
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
            server_respond_json(c, 404, "{\"error\":\"client id must be 1-32 of A-Za-z0-9_-\"}",
                                keep_alive(c, r), NULL);
            return;
        }
        memcpy(id, match->param, match->param_len + 1);
        mode = CHAT_MODE_CLIENTID;
    }
    if (handshake_ok(c, r) && origin_ok(c, r))
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
    c->http->wait = NULL;
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
    char addr[64], headers[SERVER_HEADERS_MAX];
    peer_addr(c, addr, sizeof(addr));
    if (server_security_lines(c, headers, sizeof(headers)) < 0)
        headers[0] = '\0'; /* cannot happen: the buffer is the size they are bounded by */
    api_request_t q = {
        .method = r->method,
        .path = r->path,
        .query = r->query,
        .body = r->body,
        .body_len = r->body ? (size_t)r->body_len : 0,
        .host = r->host,
        .origin = r->origin,
        .cookie = r->cookie,
        .authorization = r->authorization,
        .user_agent = r->user_agent,
        .forwarded_proto = r->forwarded_proto,
        .if_none_match = r->if_none_match,
        .tls = net_conn_tls(c->nc),
        .addr = addr,
        .headers = headers,
        .keep_alive = keep_alive(c, r),
    };
    api_wait_t *w = xmalloc(sizeof(*w));
    *w = (api_wait_t){c, q.keep_alive};
    c->http->wait = w;
    c->srv->chat.request(c->srv->chat.ctx, &q, api_answered, w);
}

/* ---- requests ---- */

/* The table every request goes through; see the top of this file. */
int server_add_routes(server_t *s)
{
    const uint64_t get = HTTP_ROUTE_METHOD(HTTP_GET), any = HTTP_ROUTE_ANY_METHOD;
    /* The parser lets a route keep more than --max-body (http_parser_set_max_kept, for
     * uploads): the others keep no more than it, as before. */
    const size_t api_max = API_BODY_MAX < s->cfg.max_body ? API_BODY_MAX : s->cfg.max_body;
    const http_route_t routes[] = {
        {.path = "/ws", .methods = any, .handler = serve_ws},
        {.path = "/ws/", .methods = any, .flags = HTTP_ROUTE_PREFIX, .handler = serve_ws},
        /* The REST layer answers every method itself (404 and 405 of its own table). */
        {.path = "/api",
         .methods = any,
         .flags = HTTP_ROUTE_BODY,
         .body_max = api_max,
         .handler = serve_api},
        {.path = "/api/",
         .methods = any,
         .flags = HTTP_ROUTE_PREFIX | HTTP_ROUTE_BODY,
         .body_max = api_max,
         .handler = serve_api},
        /* Uploads: the one /api body that may be large (--max-file). */
        {.path = "/api/files",
         .methods = any,
         .flags = HTTP_ROUTE_BODY,
         .body_max = s->cfg.max_file ? s->cfg.max_file : API_BODY_MAX,
         .handler = serve_api},
        /* Avatars: an image of at most 1 MiB (docs/protocol.md, "Profiles"). */
        {.path = "/api/me/avatar",
         .methods = any,
         .flags = HTTP_ROUTE_BODY,
         .body_max = API_AVATAR_MAX,
         .handler = serve_api},
        {.path = "/avatars/", .methods = any, .flags = HTTP_ROUTE_PREFIX, .handler = serve_api},
        /* Incoming webhooks: Slack's payloads, posted by tools (docs/api.md). */
        {.path = "/hooks/",
         .methods = any,
         .flags = HTTP_ROUTE_PREFIX | HTTP_ROUTE_BODY,
         .body_max = API_HOOK_BODY_MAX,
         .handler = serve_api},
        /* Downloads go through the REST layer too: it knows who asks, and chat who may. */
        {.path = "/files/", .methods = any, .flags = HTTP_ROUTE_PREFIX, .handler = serve_api},
        {.path = "/healthz", .methods = get, .handler = serve_healthz},
        {.path = "/readyz", .methods = get, .handler = serve_readyz},
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

/* path with --base-path cut off ("/chat/ws" -> "/ws", "/chat" -> ""); NULL when it is not
 * under it ("/chatroom", "/ws"). Without a base path, path itself. */
static const char *under_base(const server_t *s, const char *path)
{
    const char *base = s->cfg.base_path;
    size_t n = base ? strlen(base) : 0;
    if (n == 0)
        return path;
    if (strncmp(path, base, n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return NULL;
    return path + n;
}

/* The parser's keep-body callback: a body is stored only for a route that reads it. */
size_t server_keep_body(void *ctx, const http_request_t *head)
{
    server_t *s = ctx;
    const char *path = under_base(s, head->path);
    return path ? http_router_body_limit(&s->router, head->method, path) : 0;
}

/* The request's Host: RFC 9112 3.2 (present in HTTP/1.1, valid), and one of our names
 * (http_origin.h: a page of an attacker's DNS name that resolves to us names it, DNS
 * rebinding). Returns false after answering, and closing: nothing more of such a client is
 * worth reading. /healthz and /readyz answer whatever the name: load balancers and probes
 * address them by names of their own, and they tell nothing but whether we are up and ready; a
 * valid Host is still needed. Once checked, the Host is what the answer's CSP names (c->ws_host).
 */
static bool host_ok(sconn_t *c, const http_request_t *r)
{
    const char *err = NULL;
    int status = 400;
    if (!r->host && (r->http_major > 1 || r->http_minor >= 1)) {
        err = "{\"error\":\"bad_request\",\"message\":\"HTTP/1.1 requests need a Host\"}";
    } else {
        status = http_host_check(r->host, c->srv->cfg.host_names);
        if (status == 400)
            err = "{\"error\":\"bad_request\",\"message\":\"not a valid Host\"}";
        else if (status == 421 && strcmp(r->path, "/healthz") != 0 &&
                 strcmp(r->path, "/readyz") != 0)
            err = "{\"error\":\"bad_host\",\"message\":\"this server does not answer to that "
                  "host name\"}";
    }
    if (err) {
        server_respond_json(c, status, err, false, NULL);
        return false;
    }
    if (status == 0)
        c->http->ws_host = r->host;
    return true;
}

/* The base path without its trailing slash: 301 to it with one (and the query). */
static void to_base(sconn_t *c, const http_request_t *r)
{
    char extra[512]; /* the base path is at most 128 bytes (main) */
    int n = snprintf(extra, sizeof(extra), "Location: %s/%s%s\r\n", c->srv->cfg.base_path,
                     r->query ? "?" : "", r->query ? r->query : "");
    if (n < 0 || (size_t)n >= sizeof(extra) || strpbrk(r->query ? r->query : "", "\r\n"))
        snprintf(extra, sizeof(extra), "Location: %s/\r\n", c->srv->cfg.base_path);
    server_respond_json(c, 301, "{\"error\":\"moved\"}", keep_alive(c, r), extra);
}

/* Answers one request: its route's handler (seeing the path under --base-path), or 404, or
 * 405 with Allow. */
static void handle_request(sconn_t *c, const http_request_t *r)
{
    const char *path = under_base(c->srv, r->path);
    http_request_t sub;
    if (path && path != r->path) {
        sub = *r;
        sub.path = path;
        r = &sub;
    }
    if (!host_ok(c, r))
        return;
    if (path && !*path) {
        to_base(c, r);
        return;
    }
    http_match_t m;
    int status = path ? http_router_find(&c->srv->router, r->method, r->path, &m) : 404;
    if (status == 0) {
        m.route->handler(c, r, &m);
    } else if (status == 404) {
        server_respond_json(c, 404, "{\"error\":\"not found\"}", keep_alive(c, r), NULL);
    } else {
        char allow[256], extra[300] = "";
        if (http_router_allow(m.allow, allow, sizeof(allow)) >= 0)
            snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
        server_respond_json(c, 405, "{\"error\":\"method not allowed\"}", keep_alive(c, r), extra);
    }
}

/* An /api request is in flight: read nothing more, and keep what already came after it,
 * as input still arriving (taken from the budget; refused, it is dropped and answered 503
 * once the request in flight is). */
static void hold(sconn_t *c, const uint8_t *data, size_t len)
{
    net_conn_read(c->nc, false);
    if (!len || c->held_refused)
        return;
    buf_t *held = &c->http->held;
    if (!budget_take(&c->srv->shared->partial, len, held->len + len)) {
        c->held_refused = true;
        return;
    }
    buf_append(held, data, len);
}

/* The parser failed with status: the same shape as /api's errors, a code and a sentence;
 * the connection closes, and what the parser held goes back to the budget now. */
static void http_failed(sconn_t *c, int status)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}",
             status == 413   ? "too_large"
             : status == 431 ? "headers_too_large"
             : status == 503 ? "busy"
                             : "bad_request",
             http_status_text(status));
    if (status == 503) /* the budget of input still arriving: the request is not at fault */
        server_partial_refused(c);
    server_respond_json(c, status, body, false, status == 503 ? "Retry-After: 1\r\n" : NULL);
    http_parser_deinit(&c->http->parser);
}

void server_http_free(sconn_t *c)
{
    sconn_http_t *h = c->http;
    if (!h)
        return;
    if (h->wait)
        h->wait->c = NULL; /* its answer will find no connection and drop itself */
    budget_give(&c->srv->shared->partial, h->held.len);
    buf_deinit(&h->held);
    http_parser_deinit(&h->parser);
    free(h);
    c->http = NULL;
}

void server_on_http(sconn_t *c, uint8_t *data, size_t len)
{
    c->in_http = true;
    while (c->state == SC_HTTP) {
        http_request_t *req = NULL;
        int status = 0;
        ssize_t n = http_parser_feed(&c->http->parser, (const char *)data, len, &req, &status);
        if (n < 0) {
            http_failed(c, status);
            break;
        }
        if (!req) {
            /* A request has begun and is not whole: --message-timeout runs from now. */
            if (len && !c->part_ms)
                c->part_ms = clock_mono_ms();
            break;
        }
        c->part_ms = 0;
        data += n;
        len -= (size_t)n;
        handle_request(c, req);
        if (c->upgraded) {
            /* Bytes after the upgrade request are the first frames. The parser is gone, and
             * chat may already have closed the session (a name taken): state is not enough. */
            if (len)
                server_on_ws(c, data, len);
            break;
        }
        c->http->ws_host = NULL; /* it pointed into the request, released now */
        /* An /api request still in flight copied what it needs. */
        http_parser_next(&c->http->parser);
        c->mark_ms = clock_mono_ms();
        if (c->http->wait) {
            hold(c, data, len);
            break;
        }
        if (len == 0)
            break;
    }
    c->in_http = false;
}

/* After an /api answer: the held bytes (the next requests), then reading again; or 503 when
 * the budget refused to hold them. */
static void resume(sconn_t *c)
{
    c->mark_ms = clock_mono_ms();
    if (c->held_refused && c->state == SC_HTTP) {
        c->held_refused = false;
        http_failed(c, 503);
        return;
    }
    if (c->state == SC_HTTP && c->http->held.len) {
        buf_t held = c->http->held;
        c->http->held = (buf_t)BUF_INIT;
        budget_give(&c->srv->shared->partial, held.len);
        server_on_http(c, (uint8_t *)held.data, held.len);
        buf_deinit(&held);
    }
    if (!sconn_wait(c))
        net_conn_read(c->nc, true);
}
