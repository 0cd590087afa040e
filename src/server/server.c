/* server - HTTP routes, the WebSocket upgrade, the frame driver and the chat transport.
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
 * Invariant: chat_session_close is called only from net's on_close (a uv close callback),
 * never from inside a send, so the hub can iterate members while sending. */
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "chat/chat.h"
#include "http/http_parse.h"
#include "http/http_response.h"
#include "net/net.h"
#include "server/relay.h"
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
    ws_limits_t limits;
    chat_hub_t *hub;
    store_t *store;
    size_t nws; /* this loop's WebSockets */
    uint64_t slow_closed, ws_opened;
    server_shared_t *shared; /* &own, or the relay's for every loop */
    server_shared_t own;
    ws_deflate_config_t dcfg;
    ws_inflater_t *inflater; /* shared: clients never keep context (we impose it) */
    ws_deflater_t *deflater; /* shared: we never keep context either */
    zcache_t zcache[ZCACHE_SIZE];
    unsigned znext;
    uint64_t deflated_frames;
};

typedef struct {
    net_conn_t *nc;
    server_t *srv;
    /* The chat side: a session on this loop (one loop), or a link to the hub's loop
     * (--threads); never both, so they share the space. */
    union {
        chat_session_t *session;
        relay_link_t *link;
    };
    uint64_t mark_ms; /* HTTP: request start; WS: last byte in; CLOSING: when it began */
    uint64_t ping_ms; /* when our keep-alive ping went out */
    uint8_t state;
    bool upgraded;       /* counted in nws */
    bool ping_out;       /* our keep-alive ping awaits its pong */
    bool echo;           /* the conformance echo route: messages come back, no chat */
    bool deflate;        /* permessage-deflate negotiated: compressed frames may go out */
    http_parser_t *http; /* HTTP state only */
    ws_parser_t ws;      /* WS and CLOSING after an upgrade */
} sconn_t;

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

void server_local_metrics(const server_t *s, server_metrics_t *m)
{
    m->connections = s->net.nconns;
    m->websockets = s->nws;
    m->accepted = s->net.accepted;
    m->bytes_in = s->net.bytes_in;
    m->bytes_out = s->net.bytes_out;
    m->slow_closed = s->slow_closed;
}

static void metrics(sconn_t *c, bool keep_alive, bool head_only)
{
    server_t *s = c->srv;
    server_metrics_t m = {0};
    if (s->cfg.relay) {
        relay_metrics(s->cfg.relay, &m);
    } else {
        server_local_metrics(s, &m);
        store_stats_t st;
        store_stats(s->store, &st);
        chat_metrics_t cm;
        chat_hub_metrics(s->hub, &cm);
        m.online = cm.online;
        m.published = cm.published;
        m.delivered = cm.delivered;
        m.appends = st.appends;
        m.commits = st.commits;
        m.queued = st.queued;
        m.general_seq = cm.general_seq;
    }
    buf_t b = BUF_INIT;
    buf_appendf(&b,
                "# HELP parley_connections Open TCP connections.\n"
                "# TYPE parley_connections gauge\nparley_connections %zu\n"
                "# HELP parley_websockets Open WebSocket connections.\n"
                "# TYPE parley_websockets gauge\nparley_websockets %zu\n"
                "# TYPE parley_online_users gauge\nparley_online_users %zu\n"
                "# TYPE parley_accepted_total counter\nparley_accepted_total %llu\n"
                "# TYPE parley_messages_published_total counter\n"
                "parley_messages_published_total %llu\n"
                "# TYPE parley_messages_delivered_total counter\n"
                "parley_messages_delivered_total %llu\n"
                "# TYPE parley_slow_consumers_closed_total counter\n"
                "parley_slow_consumers_closed_total %llu\n"
                "# TYPE parley_store_appends_total counter\nparley_store_appends_total %llu\n"
                "# TYPE parley_store_commits_total counter\nparley_store_commits_total %llu\n"
                "# TYPE parley_store_queued gauge\nparley_store_queued %llu\n"
                "# TYPE parley_bytes_in_total counter\nparley_bytes_in_total %llu\n"
                "# TYPE parley_bytes_out_total counter\nparley_bytes_out_total %llu\n"
                "# TYPE parley_channel_last_seq gauge\n"
                "parley_channel_last_seq{channel=\"general\"} %llu\n",
                m.connections, m.websockets, m.online, (unsigned long long)m.accepted,
                (unsigned long long)m.published, (unsigned long long)m.delivered,
                (unsigned long long)m.slow_closed, (unsigned long long)m.appends,
                (unsigned long long)m.commits, (unsigned long long)m.queued,
                (unsigned long long)m.bytes_in, (unsigned long long)m.bytes_out,
                (unsigned long long)m.general_seq);
    respond(c, 200, "text/plain; version=0.0.4", b.data, b.len, keep_alive, NULL, head_only);
    buf_deinit(&b);
}

/* "/ws" -> JSON or line mode; "/ws/{id}" -> client-id mode (id into out). -1: not a ws path;
 * -2: a ws path with a bad client id. */
static int ws_route(const char *path, char *id, size_t idcap)
{
    if (strcmp(path, "/ws") == 0 || strcmp(path, "/ws/") == 0)
        return CHAT_MODE_AUTO;
    if (strncmp(path, "/ws/", 4) != 0)
        return -1;
    const char *p = path + 4;
    size_t n = strlen(p);
    if (!chat_client_id_valid(p, n) || n >= idcap)
        return -2;
    memcpy(id, p, n + 1);
    return CHAT_MODE_CLIENTID;
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

static void upgrade(sconn_t *c, const http_request_t *r, int mode, const char *client_id)
{
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
    if (c->srv->cfg.relay)
        c->link = relay_conn_open(c->srv->cfg.relay, c, mode, client_id);
    else
        c->session = chat_session_open(c->srv->hub, c, (chat_mode_t)mode, client_id);
}

/* Answers one request. Returns true when the connection switched to WebSocket. */
static bool handle_request(sconn_t *c, const http_request_t *r)
{
    server_t *s = c->srv;
    bool draining = atomic_load(&s->shared->draining);
    bool ka = r->keep_alive && !draining;
    bool head = r->method == HTTP_HEAD;
    char id[40] = "";
    const char *echo = s->cfg.echo_path;
    int mode = echo && echo[0] && strcmp(r->path, echo) == 0 ? MODE_ECHO
                                                             : ws_route(r->path, id, sizeof(id));
    if (mode == -2) {
        respond_json(c, 404, "{\"error\":\"client id must be 1-32 of A-Za-z0-9_-\"}", ka, NULL);
        return false;
    }
    if (mode >= 0) {
        if (!handshake_ok(c, r))
            return false;
        upgrade(c, r, mode, id);
        return true;
    }
    const ui_file_t *f = ui_find(r->path);
    bool known = f || strcmp(r->path, "/healthz") == 0 || strcmp(r->path, "/metrics") == 0;
    if (!known) {
        respond_json(c, 404, "{\"error\":\"not found\"}", ka, NULL);
    } else if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
        respond_json(c, 405, "{\"error\":\"method not allowed\"}", ka, "Allow: GET, HEAD\r\n");
    } else if (f) {
        respond(c, 200, f->content_type, f->data, f->len, ka,
                "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n", head);
    } else if (strcmp(r->path, "/healthz") == 0) {
        const char *body = draining ? "{\"status\":\"draining\"}" : "{\"status\":\"ok\"}";
        respond(c, draining ? 503 : 200, "application/json", body, strlen(body), ka,
                "Cache-Control: no-store\r\n", head);
    } else {
        metrics(c, ka, head);
    }
    return false;
}

static void on_http(sconn_t *c, uint8_t *data, size_t len)
{
    while (c->state == SC_HTTP) {
        http_request_t *req = NULL;
        int status = 0;
        ssize_t n = http_parser_feed(c->http, (const char *)data, len, &req, &status);
        if (n < 0) {
            char body[64];
            snprintf(body, sizeof(body), "{\"error\":\"%s\"}", http_status_text(status));
            respond_json(c, status, body, false, NULL);
            return;
        }
        if (!req)
            return;
        data += n;
        len -= (size_t)n;
        if (handle_request(c, req)) {
            /* Bytes after the upgrade request are the first frames. */
            if (len)
                on_ws(c, data, len);
            return;
        }
        http_parser_next(c->http);
        c->mark_ms = clock_mono_ms();
        if (len == 0)
            return;
    }
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
            else if (c->srv->cfg.relay)
                relay_conn_message(c->link, ev.opcode, ev.data, ev.len);
            else if (ev.opcode == WS_OP_TEXT)
                chat_session_text(c->session, (const char *)ev.data, ev.len);
            else
                chat_session_binary(c->session, ev.data, ev.len);
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

/* No route takes a body yet: bodies are read through and dropped, costing no memory. */
static bool decline_body(void *ctx, const http_request_t *head)
{
    (void)ctx;
    (void)head;
    return false;
}

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
    http_parser_keep_body(c->http, decline_body, NULL);
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
    if (c->srv->cfg.relay && c->link)
        relay_conn_closed(c->link);
    else if (!c->srv->cfg.relay && c->session)
        chat_session_close(c->session);
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
    if (c->state == SC_HTTP && age > cfg->handshake_timeout_ms) {
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
    if (c->state != SC_WS)
        return;
    if (c->srv->cfg.relay && c->link)
        relay_conn_drained(c->link);
    else if (!c->srv->cfg.relay && c->session)
        chat_session_drained(c->session);
}

static const net_handler_t handler = {on_open, on_data, on_close, on_tick, on_drain};

/* ---- lifetime ---- */

server_t *server_start(uv_loop_t *loop, const server_config_t *cfg, chat_hub_t *hub, store_t *store)
{
    server_t *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    s->hub = hub;
    s->store = store;
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
    free(s);
}
