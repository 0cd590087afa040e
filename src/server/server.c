/* server - the connection: its state, the frame driver, the chat transport, the lifetime.
 * The HTTP side (the route table, the upgrade, /api) is server_http.c; server_int.h is what
 * the two share.
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
 * Input still arriving (a frame, a fragmented message or a request not whole yet) is bounded
 * twice. Its bytes are taken from the process's budget (server_shared_t partial) by the
 * parsers as their buffers grow, and by the bytes held behind an /api request; past it the
 * connection asking is closed 1013 (HTTP 503), and whatever a parser held goes back as soon
 * as its frame, message or request ends, fails or is cut. And --message-timeout runs from its
 * first byte (part_ms), checked by the sweep: 1008 (HTTP 408) when it is not whole in time.
 *
 * Invariant: chat's closed is called only from net's on_close (a uv close callback) or on
 * the peer's close frame (a read), never from inside a send, so the hub can iterate members
 * while sending; once called, c->session is NULL. */
#include "server/server.h"
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/stats.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "http/http_parse.h"
#include "http/http_response.h"
#include "http/http_router.h"
#include "net/net.h"
#include "ws/ws_deflate.h"
#include "ws/ws_frame.h"

#define CLOSE_GRACE_MS 5000

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

void server_send_bytes(sconn_t *c, const void *p, size_t len)
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
    stats_ws_close(code);
    c->state = SC_CLOSING;
    c->mark_ms = clock_mono_ms();
    net_conn_close_after_flush(c->nc, linger);
}

static void ws_close(sconn_t *c, uint16_t code, const char *reason)
{
    ws_close_ex(c, code, reason, true);
}

/* HSTS (RFC 6797): a browser that reached us over TLS comes back over TLS only, for a year,
 * whatever link or typed address it is given. Never over plain HTTP, where it would mean
 * nothing (6797 7.2) and could be forged. No includeSubDomains: other sites of the domain
 * are not ours to decide for. */
#define HSTS_LINE "Strict-Transport-Security: max-age=31536000\r\n"

int server_security_lines(const sconn_t *c, char *out, size_t cap)
{
    int n = http_security_headers(out, cap, c->http ? c->http->ws_host : NULL);
    if (n < 0 || !net_conn_tls(c->nc))
        return n;
    int m = snprintf(out + n, cap - (size_t)n, "%s", HSTS_LINE);
    return m < 0 || (size_t)m >= cap - (size_t)n ? -1 : n + m;
}

void server_respond(sconn_t *c, int status, const char *ctype, const void *body, size_t len,
                    bool keep_alive, const char *extra, bool head_only)
{
    /* Ours and bounded (extra is a short line of this module's), so they always fit. */
    char lines[SERVER_HEADERS_MAX + 512], head[sizeof(lines) + 256];
    int sl = server_security_lines(c, lines, sizeof(lines));
    int el =
        sl < 0 ? -1 : snprintf(lines + sl, sizeof(lines) - (size_t)sl, "%s", extra ? extra : "");
    int n = el < 0 || (size_t)el >= sizeof(lines) - (size_t)sl
                ? -1
                : http_response_head(head, sizeof(head), status, ctype, len, keep_alive, lines);
    if (n < 0)
        n = 0;
    buf_t b = BUF_INIT;
    buf_append(&b, head, (size_t)n);
    if (!head_only)
        buf_append(&b, body, len);
    server_send_bytes(c, b.data, b.len);
    buf_deinit(&b);
    if (!keep_alive) {
        c->state = SC_CLOSING;
        c->mark_ms = clock_mono_ms();
        net_conn_close_after_flush(c->nc, true);
    }
}

void server_respond_json(sconn_t *c, int status, const char *body, bool keep_alive,
                         const char *extra)
{
    server_respond(c, status, "application/json", body, strlen(body), keep_alive, extra, false);
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
    int r;
    if (c->deflate) {
        blob_t *w = wire_frame(c, frame);
        r = net_conn_send(c->nc, w);
        blob_unref(w);
    } else {
        r = net_conn_send(c->nc, frame);
    }
    if (r == 0)
        return;
    server_conn_slow(c);
}

/* A broadcast's sends, each connection's state fetched some sends ahead of its turn: its
 * sconn, then its net_conn, then the queue slot the frame goes to, each a few sends after
 * the one it needs (one load away from the last), so the cache misses overlap instead of
 * following each other. */
#define FETCH_CONN 12
#define FETCH_NET 8
#define FETCH_SLOT 4

static void transport_send_many(void *const *conns, size_t n, blob_t *frame)
{
    for (size_t i = 0; i < n; i++) {
        if (i + FETCH_CONN < n)
            __builtin_prefetch(conns[i + FETCH_CONN]);
        if (i + FETCH_NET < n)
            __builtin_prefetch(((const sconn_t *)conns[i + FETCH_NET])->nc);
        if (i + FETCH_SLOT < n)
            net_conn_prefetch_slot(((const sconn_t *)conns[i + FETCH_SLOT])->nc);
        transport_send(conns[i], frame);
    }
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

const chat_transport_t server_transport = {transport_send,       transport_close,
                                           transport_send_bulk,  transport_backlog,
                                           transport_want_drain, transport_send_many};

/* ---- WebSocket ---- */

static void echo_message(sconn_t *c, int opcode, const uint8_t *data, size_t len)
{
    blob_t *b = frame_new(opcode, data, len);
    transport_send(c, b);
    blob_unref(b);
}

void server_partial_refused(sconn_t *c)
{
    server_t *s = c->srv;
    s->partial_refused++;
    uint64_t now = clock_mono_ms();
    if (s->partial_logged_ms && now - s->partial_logged_ms < 1000)
        return; /* a flood of them is one line a second, not one per connection */
    s->partial_logged_ms = now;
    char name[96];
    net_conn_name(c->nc, name, sizeof(name));
    log_conn(LOG_WARN, name,
             "closing: input still arriving would pass --max-partial-input (%zu bytes, every "
             "connection together; %llu refused so far on this loop)",
             s->cfg.max_partial_input, (unsigned long long)s->partial_refused);
}

/* A frame, or a fragmented message, failed: the parser is finished, and what it held goes
 * back to the budget now rather than when the socket is gone. */
static void ws_failed(sconn_t *c, const ws_event_t *ev)
{
    if (ev->code == WS_CLOSE_TRY_AGAIN) {
        server_partial_refused(c);
    } else {
        char name[96];
        net_conn_name(c->nc, name, sizeof(name));
        log_conn(LOG_INFO, name, "closing %u: %s", ev->code, ev->error);
    }
    ws_close(c, ev->code, ev->error);
    ws_parser_shrink(&c->ws);
}

void server_on_ws(sconn_t *c, uint8_t *data, size_t len)
{
    c->mark_ms = clock_mono_ms();
    c->ping_out = false; /* any traffic proves the peer alive */
    while (c->state == SC_WS) {
        ws_event_t ev;
        size_t n = ws_parser_feed(&c->ws, data, len, &ev);
        data += n;
        len -= n;
        /* A frame ended and no message is left open: whatever had begun has come whole, and
         * the deadline starts again with the next first byte. */
        if (ev.type != WS_EV_NONE && !ws_parser_in_message(&c->ws))
            c->part_ms = 0;
        switch (ev.type) {
        case WS_EV_NONE:
            ws_parser_shrink(&c->ws);
            if (ws_parser_partial(&c->ws) && !c->part_ms)
                c->part_ms = c->mark_ms;
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
            /* The chat hears of the departure before the echo goes out: a client that got
             * its echo and comes straight back (on another connection loop) is never
             * announced before its old session left. */
            if (c->session) {
                c->srv->chat.closed(c->srv->chat.ctx, c->session);
                c->session = NULL;
            }
            /* Echo the code (RFC 6455 5.5.1); an empty close is answered empty. The peer
             * is done sending, so the socket goes as soon as the echo is written. */
            ws_close_ex(c, ev.code == WS_CLOSE_NO_STATUS ? 0 : ev.code, NULL, false);
            ws_parser_shrink(&c->ws);
            return;
        case WS_EV_ERROR:
            ws_failed(c, &ev);
            return;
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
            break;
        }
        if (ev.type == WS_EV_NONE)
            break;
    }
    ws_parser_shrink(&c->ws); /* a message's bytes kept only while it is still open */
}

/* ---- net handler ---- */

static void on_open(net_conn_t *nc)
{
    server_t *s = net_conn_srv(nc)->data;
    sconn_t *c = xcalloc(1, sizeof(*c));
    c->nc = nc;
    c->srv = s;
    c->state = SC_HTTP;
    c->mark_ms = clock_mono_ms();
    c->http = xcalloc(1, sizeof(*c->http));
    http_parser_t *p = &c->http->parser;
    http_parser_init(p, s->cfg.max_header, s->cfg.max_body);
    http_parser_keep_body(p, server_keep_body, s);
    http_parser_set_max_kept(p, s->cfg.max_file);
    http_parser_set_budget(p, &s->shared->partial);
    nc->data = c;
}

static void on_data(net_conn_t *nc, uint8_t *data, size_t len)
{
    sconn_t *c = nc->data;
    if (c->state == SC_HTTP)
        server_on_http(c, data, len);
    else if (c->state == SC_WS)
        server_on_ws(c, data, len);
    else if (c->upgraded && !c->ws.error)
        on_closing_data(c, data, len);
    /* Otherwise (a final HTTP response, a failed parser) the bytes are dropped until the
     * peer's EOF or the sweep. */
}

static void on_close(net_conn_t *nc)
{
    sconn_t *c = nc->data;
    if (c->session)
        c->srv->chat.closed(c->srv->chat.ctx, c->session);
    if (c->upgraded) {
        ws_parser_deinit(&c->ws);
        c->srv->nws--;
        atomic_fetch_sub(&c->srv->shared->ws, 1);
    }
    server_http_free(c);
    free(c);
}

/* Input that began (c->part_ms) and has not come whole within --message-timeout. Not while
 * we hold the reading back: then the rest cannot come. */
static bool part_late(const sconn_t *c, uint64_t now)
{
    unsigned limit = c->srv->cfg.message_timeout_ms;
    return limit && c->part_ms && !c->read_off && now - c->part_ms > limit;
}

/* Closes c for input that did not complete in time: 408 for an HTTP request (RFC 9110
 * 15.5.9), its parser released at once (the lingering close that lets the answer arrive
 * holds nothing); 1008 for a frame or a message, without waiting for the peer's close (its
 * parser would go on collecting the message meanwhile): the peer is stuck, or means to be. */
static void message_timeout(sconn_t *c)
{
    char name[96];
    net_conn_name(c->nc, name, sizeof(name));
    log_conn(LOG_INFO, name, "closing: %s not complete within --message-timeout (%u s)",
             c->state == SC_HTTP ? "request" : "message", c->srv->cfg.message_timeout_ms / 1000);
    c->srv->message_timeouts++;
    c->part_ms = 0;
    if (c->state == SC_WS) {
        ws_close_ex(c, WS_CLOSE_POLICY, "message timeout: the rest did not come in time", false);
        return;
    }
    server_respond_json(c, 408,
                        "{\"error\":\"timeout\",\"message\":\"the request did not come whole "
                        "in time\"}",
                        false, NULL);
    http_parser_deinit(&c->http->parser);
}

static void on_tick(net_conn_t *nc, uint64_t now)
{
    sconn_t *c = nc->data;
    const server_config_t *cfg = &c->srv->cfg;
    uint64_t age = now - c->mark_ms;
    if ((c->state == SC_HTTP && !sconn_wait(c)) || c->state == SC_WS) {
        if (part_late(c, now)) {
            message_timeout(c);
            return;
        }
    }
    /* An /api request in flight is not the client's delay: its time starts at the answer. */
    if (c->state == SC_HTTP && !sconn_wait(c) && age > cfg->handshake_timeout_ms) {
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

static void on_flush(net_server_t *ns)
{
    server_t *s = ns->data;
    if (s->chat.flushing)
        s->chat.flushing(s->chat.ctx);
}

static const net_handler_t handler = {on_open, on_data, on_close, on_tick, on_drain, on_flush};

/* ---- lifetime ---- */

#define SERVER_LAG_TICK_MS 100

/* How much later than due the timer fired: the time this loop was busy elsewhere. */
static void on_lag_tick(uv_timer_t *t)
{
    server_t *s = t->data;
    stats_loop_lag(&s->lag_last_us, (uint64_t)SERVER_LAG_TICK_MS * 1000);
}

server_t *server_start(uv_loop_t *loop, const server_config_t *cfg, const server_chat_t *chat)
{
    server_t *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    s->chat = *chat;
    http_router_init(&s->router);
    if (server_add_routes(s) < 0) {
        log_error("routes: out of memory");
        exit(1);
    }
    s->shared = cfg->shared ? cfg->shared : &s->own;
    if (!cfg->shared)
        server_shared_init(&s->own, cfg);
    s->limits.max_frame = cfg->max_frame;
    s->limits.max_message = cfg->max_frame;
    s->limits.require_mask = true;
    s->limits.budget = &s->shared->partial;
    s->dcfg = (ws_deflate_config_t)WS_DEFLATE_CONFIG_DEFAULT;
    if (cfg->deflate) {
        s->inflater = ws_inflater_new(15, false, cfg->max_frame);
        s->deflater = ws_deflater_new(15, 6, 8);
        if (!s->inflater || !s->deflater) {
            log_error("permessage-deflate: out of memory");
            exit(1);
        }
    }
    net_config_t ncfg = {cfg->host,      cfg->port, cfg->max_outbound,
                         cfg->reuseport, cfg->tls,  s->shared->peers};
    if (net_server_start(&s->net, loop, &ncfg, &handler, s) != 0) {
        server_free(s);
        return NULL;
    }
    uv_timer_init(loop, &s->lag);
    s->lag.data = s;
    s->lag_last_us = stats_now_us();
    uv_timer_start(&s->lag, on_lag_tick, SERVER_LAG_TICK_MS, SERVER_LAG_TICK_MS);
    uv_unref((uv_handle_t *)&s->lag);
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

void server_conn_metrics(const server_t *s, server_conn_metrics_t *m)
{
    m->connections = s->net.nconns;
    m->websockets = s->nws;
    m->accepted = s->net.accepted;
    m->bytes_in = s->net.bytes_in;
    m->bytes_out = s->net.bytes_out;
    m->slow_closed = s->slow_closed;
    m->refused_per_ip = s->net.refused_per_ip;
    m->partial_refused = s->partial_refused;
    m->message_timeouts = s->message_timeouts;
    m->partial_bytes = budget_used(&s->shared->partial);
}

void server_conn_read(void *conn, bool on)
{
    sconn_t *c = conn;
    net_conn_read(c->nc, on);
    /* The rest of a message we did not let in is not the peer's delay: its time starts again
     * when reading does. */
    if (on && c->read_off && c->part_ms)
        c->part_ms = clock_mono_ms();
    c->read_off = !on;
}

void server_shared_init(server_shared_t *sh, const server_config_t *cfg)
{
    atomic_init(&sh->draining, false);
    atomic_init(&sh->ws, 0);
    budget_init(&sh->partial, cfg->max_partial_input);
    sh->peers = cfg->max_conns_per_ip ? net_peers_new(cfg->max_conns_per_ip) : NULL;
}

void server_shared_deinit(server_shared_t *sh)
{
    net_peers_free(sh->peers);
    sh->peers = NULL;
}

void server_stop(server_t *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->lag))
        uv_close((uv_handle_t *)&s->lag, NULL);
    net_server_stop(&s->net);
}

void server_free(server_t *s)
{
    if (s->shared == &s->own)
        server_shared_deinit(&s->own);
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
