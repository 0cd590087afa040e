/* client_ws - a WebSocket client over client_conn; see client_ws.h. */
#include "client/client_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "client/client_conn.h"
#include "client/client_http.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"

struct client_ws {
    uv_loop_t *loop;
    client_url_t url;
    client_ws_cb_t cb;
    void *ud;
    client_conn_t *conn;
    char *bearer;
    char key[WS_KEY_SIZE];
    bool opened, quiet;
    client_http_t http; /* the upgrade's answer, while it is read */
    bool reading_http;
    ws_limits_t limits;
    ws_parser_t parser;
    buf_t in;        /* bytes of frames not yet consumed by the parser */
    uv_idle_t later; /* frees the object outside the callbacks' stacks */
    bool dead;
};

static void on_idle_closed(uv_handle_t *h)
{
    client_ws_t *w = h->data;
    free(w);
}

/* Frees everything but the struct, which goes when the idle handle is closed. */
static void destroy(client_ws_t *w)
{
    if (w->dead)
        return;
    w->dead = true;
    if (w->reading_http)
        client_http_deinit(&w->http);
    ws_parser_deinit(&w->parser);
    buf_deinit(&w->in);
    free(w->bearer);
    uv_close((uv_handle_t *)&w->later, on_idle_closed);
}

/* The end, told once. */
static void finish(client_ws_t *w, int code, const char *why, int http_status)
{
    if (w->quiet)
        return;
    w->quiet = true;
    client_conn_close(w->conn);
    w->conn = NULL;
    w->cb.closed(w, code, why ? why : "", w->opened, http_status, w->ud);
    destroy(w);
}

static int send_frame(client_ws_t *w, int opcode, const void *p, size_t len)
{
    uint8_t mask[4];
    if (RAND_bytes(mask, sizeof(mask)) != 1)
        return -1;
    size_t n;
    uint8_t *frame = ws_frame_build(opcode, true, p, len, mask, &n);
    if (!frame)
        return -1;
    int rc = client_conn_write(w->conn, frame, n);
    free(frame);
    return rc;
}

static void on_connected(client_conn_t *c, void *ud)
{
    (void)c;
    client_ws_t *w = ud;
    uint8_t nonce[16];
    if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
        finish(w, WS_CLOSE_ABNORMAL, "no random bytes for the key", 0);
        return;
    }
    ws_handshake_client_key(nonce, w->key);
    char host[CLIENT_URL_HOST_MAX + 16];
    if (client_url_host_header(&w->url, host, sizeof(host)) < 0) {
        finish(w, WS_CLOSE_ABNORMAL, "host too long", 0);
        return;
    }
    buf_t req = BUF_INIT;
    buf_appendf(&req,
                "GET %s/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Protocol: parley.v1\r\nUser-Agent: parley-cli"
                "\r\n",
                w->url.base, host, w->key);
    if (w->bearer)
        buf_appendf(&req, "Authorization: Bearer %s\r\n", w->bearer);
    buf_append_str(&req, "\r\n");
    client_conn_write(w->conn, req.data, req.len);
    buf_deinit(&req);
}

/* Checks the 101 (RFC 6455 4.1, the client's checks). NULL when good, else why not. */
static const char *upgrade_problem(client_ws_t *w)
{
    client_http_t *h = &w->http;
    if (!h->upgrade || !ws_header_has_token(h->upgrade, strlen(h->upgrade), "websocket"))
        return "the server's 101 has no Upgrade: websocket";
    if (!h->connection || !ws_header_has_token(h->connection, strlen(h->connection), "upgrade"))
        return "the server's 101 has no Connection: Upgrade";
    if (!h->ws_accept || !ws_handshake_accept_matches(w->key, h->ws_accept, strlen(h->ws_accept)))
        return "bad Sec-WebSocket-Accept from the server";
    if (h->ws_extensions)
        return "the server chose an extension we did not offer";
    if (h->ws_protocol && strcmp(h->ws_protocol, "parley.v1") != 0)
        return "the server chose a subprotocol we did not offer";
    return NULL;
}

static void on_frames(client_ws_t *w)
{
    size_t off = 0;
    while (!w->quiet && off < w->in.len) {
        ws_event_t ev;
        size_t n = ws_parser_feed(&w->parser, (uint8_t *)w->in.data + off, w->in.len - off, &ev);
        off += n;
        switch (ev.type) {
        case WS_EV_NONE:
            break;
        case WS_EV_MESSAGE:
            if (ev.opcode == WS_OP_TEXT)
                w->cb.message(w, (const char *)ev.data, ev.len, w->ud);
            break;
        case WS_EV_PING:
            send_frame(w, WS_OP_PONG, ev.data, ev.len);
            break;
        case WS_EV_PONG:
            break;
        case WS_EV_CLOSE: {
            /* Answer with the same code (RFC 6455 5.5.1), then end. */
            uint8_t pl[WS_MAX_CONTROL];
            size_t pn = ws_close_payload(pl, ev.code, NULL);
            send_frame(w, WS_OP_CLOSE, pl, pn);
            char why[WS_MAX_CONTROL + 1];
            memcpy(why, ev.data, ev.len < WS_MAX_CONTROL ? ev.len : WS_MAX_CONTROL);
            why[ev.len < WS_MAX_CONTROL ? ev.len : WS_MAX_CONTROL] = '\0';
            finish(w, ev.code, why, 0);
            return;
        }
        case WS_EV_ERROR: {
            uint8_t pl[WS_MAX_CONTROL];
            size_t pn = ws_close_payload(pl, ev.code, ev.error);
            send_frame(w, WS_OP_CLOSE, pl, pn);
            finish(w, ev.code, ev.error, 0);
            return;
        }
        }
        if (ev.type == WS_EV_NONE)
            break;
    }
    if (!w->quiet)
        buf_consume(&w->in, off);
}

static void on_data(client_conn_t *c, const uint8_t *p, size_t n, void *ud)
{
    (void)c;
    client_ws_t *w = ud;
    if (w->reading_http) {
        size_t used = 0;
        int rc = client_http_feed(&w->http, (const char *)p, n, &used);
        if (rc == CLIENT_HTTP_MORE)
            return;
        if (rc == CLIENT_HTTP_ERROR) {
            finish(w, WS_CLOSE_ABNORMAL, w->http.error, 0);
            return;
        }
        if (w->http.status != 101) {
            char why[64];
            snprintf(why, sizeof(why), "the server answered the upgrade with HTTP %d",
                     w->http.status);
            finish(w, WS_CLOSE_ABNORMAL, why, w->http.status);
            return;
        }
        const char *bad = upgrade_problem(w);
        if (bad) {
            finish(w, WS_CLOSE_PROTOCOL, bad, 0);
            return;
        }
        client_http_deinit(&w->http);
        w->reading_http = false;
        w->opened = true;
        w->cb.open(w, w->ud);
        if (w->quiet)
            return;
        p += used;
        n -= used;
    }
    buf_append(&w->in, p, n);
    on_frames(w);
}

static void on_closed(client_conn_t *c, const char *why, int connected, void *ud)
{
    (void)c;
    (void)connected;
    client_ws_t *w = ud;
    w->conn = NULL; /* it frees itself */
    finish(w, WS_CLOSE_ABNORMAL, why ? why : "the server closed the connection", 0);
}

client_ws_t *client_ws_open(uv_loop_t *loop, const client_url_t *u, net_tls_ctx_t *tls,
                            const char *bearer, const client_ws_cb_t *cb, void *ud)
{
    client_ws_t *w = xcalloc(1, sizeof(*w));
    w->loop = loop;
    w->url = *u;
    w->cb = *cb;
    w->ud = ud;
    w->bearer = bearer ? xstrdup(bearer) : NULL;
    w->limits.max_frame = CLIENT_WS_MAX_MESSAGE;
    w->limits.max_message = CLIENT_WS_MAX_MESSAGE;
    w->limits.require_mask = false;
    ws_parser_init(&w->parser, &w->limits);
    buf_init(&w->in);
    client_http_init(&w->http);
    w->reading_http = true;
    uv_idle_init(loop, &w->later);
    w->later.data = w;
    static const client_conn_cb_t conn_cb = {on_connected, on_data, on_closed};
    w->conn = client_conn_open(loop, u, u->tls ? tls : NULL, &conn_cb, w);
    return w;
}

int client_ws_send(client_ws_t *w, const char *text, size_t len)
{
    if (!w->opened || w->quiet)
        return -1;
    return send_frame(w, WS_OP_TEXT, text, len);
}

void client_ws_close(client_ws_t *w, int code)
{
    if (!w || w->quiet)
        return;
    w->quiet = true;
    if (w->opened) {
        uint8_t pl[WS_MAX_CONTROL];
        size_t pn = ws_close_payload(pl, (uint16_t)code, NULL);
        send_frame(w, WS_OP_CLOSE, pl, pn);
    }
    client_conn_close(w->conn);
    w->conn = NULL;
    destroy(w);
}
