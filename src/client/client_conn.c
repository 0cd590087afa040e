/* client_conn - TCP (and TLS) to the server; see client_conn.h.
 *
 * States: resolving, connecting (one address after another), handshaking (TLS), open,
 * closing. Every way out of the first four fires `closed` once, through fail(), which
 * closes the handles; the struct is freed when the last handle's close callback ran. */
#include "client/client_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

enum { ST_RESOLVING, ST_CONNECTING, ST_HANDSHAKING, ST_OPEN, ST_DONE };

struct client_conn {
    uv_loop_t *loop;
    client_url_t url;
    client_conn_cb_t cb;
    void *ud;
    net_tls_ctx_t *tls_ctx;
    net_tls_t *tls;
    int state;
    bool quiet; /* the owner closed it, or `closed` fired: no more callbacks */
    bool tcp_init, tcp_closed, timer_closed;
    int handles; /* handles not yet closed */
    uv_getaddrinfo_t gai;
    bool gai_pending;
    struct addrinfo *addrs, *next_addr;
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_timer_t timer;
    uv_shutdown_t sreq;
    char why[CLIENT_URL_HOST_MAX + 256];
    uint8_t *plain; /* net_tls_read's plaintext buffer */
    size_t plain_cap;
};

typedef struct {
    uv_write_t req;
    client_conn_t *c;
    uv_buf_t buf;
} wreq_t;

static void maybe_free(client_conn_t *c)
{
    if (c->handles > 0 || c->gai_pending)
        return;
    if (c->addrs)
        uv_freeaddrinfo(c->addrs);
    net_tls_free(c->tls);
    free(c->plain);
    free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
    client_conn_t *c = h->data;
    c->handles--;
    maybe_free(c);
}

static void close_handles(client_conn_t *c)
{
    if (c->state == ST_DONE)
        return;
    c->state = ST_DONE;
    if (c->gai_pending)
        uv_cancel((uv_req_t *)&c->gai);
    if (!uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    if (c->tcp_init && !uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

/* The end, told once (unless the owner closed it already). why NULL: an orderly end. */
static void fail(client_conn_t *c, const char *why)
{
    if (c->state == ST_DONE)
        return;
    int was_open = c->state == ST_OPEN;
    close_handles(c);
    if (!c->quiet) {
        c->quiet = true;
        c->cb.closed(c, why, was_open, c->ud);
    }
}

static void failf(client_conn_t *c, const char *what, int uverr)
{
    snprintf(c->why, sizeof(c->why), "%s: %s", what, uv_strerror(uverr));
    fail(c, c->why);
}

static void on_timeout(uv_timer_t *t)
{
    client_conn_t *c = t->data;
    if (!c->why[0])
        snprintf(c->why, sizeof(c->why), "timed out connecting to %s:%d", c->url.host, c->url.port);
    fail(c, c->why);
}

static void on_write(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    client_conn_t *c = w->c;
    free(w->buf.base);
    free(w);
    if (status < 0 && status != UV_ECANCELED)
        failf(c, "write", status);
}

/* Writes raw bytes (ciphertext under TLS) to the socket. */
static int raw_write(client_conn_t *c, const void *p, size_t len)
{
    if (!len)
        return 0;
    wreq_t *w = xmalloc(sizeof(*w));
    w->c = c;
    w->buf = uv_buf_init(xmalloc(len), (unsigned)len);
    memcpy(w->buf.base, p, len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_write);
    if (rc < 0) {
        free(w->buf.base);
        free(w);
        failf(c, "write", rc);
        return -1;
    }
    return 0;
}

static void became_open(client_conn_t *c)
{
    c->state = ST_OPEN;
    uv_timer_stop(&c->timer);
    if (!c->quiet)
        c->cb.connected(c, c->ud);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    buf->base = xmalloc(hint);
    buf->len = hint;
}

static void on_tls_bytes(client_conn_t *c, const uint8_t *in, size_t n)
{
    if (c->plain_cap < n + NET_TLS_READ_SLACK) {
        c->plain_cap = n + NET_TLS_READ_SLACK;
        c->plain = xrealloc(c->plain, c->plain_cap);
    }
    buf_t out = BUF_INIT;
    size_t pl = 0;
    bool was_ready = net_tls_ready(c->tls);
    int rc = net_tls_read(c->tls, in, n, c->plain, c->plain_cap, &pl, &out);
    if (out.len)
        raw_write(c, out.data, out.len);
    buf_deinit(&out);
    if (c->state == ST_DONE)
        return;
    if (!was_ready && net_tls_ready(c->tls))
        became_open(c);
    if (pl && c->state == ST_OPEN && !c->quiet)
        c->cb.data(c, c->plain, pl, c->ud);
    if (c->state == ST_DONE)
        return;
    if (rc == NET_TLS_CLOSED) {
        fail(c, NULL);
    } else if (rc != NET_TLS_OK) {
        snprintf(c->why, sizeof(c->why), "TLS: %s", net_tls_error(c->tls));
        fail(c, c->why);
    }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    client_conn_t *c = s->data;
    if (n > 0 && c->state != ST_DONE) {
        if (c->tls)
            on_tls_bytes(c, (const uint8_t *)buf->base, (size_t)n);
        else if (!c->quiet)
            c->cb.data(c, (const uint8_t *)buf->base, (size_t)n, c->ud);
    } else if (n == UV_EOF) {
        fail(c, c->state == ST_OPEN ? NULL : "the server closed the connection");
    } else if (n < 0) {
        failf(c, "read", (int)n);
    }
    free(buf->base);
}

static void try_next(client_conn_t *c, int last_err);

static void on_connect(uv_connect_t *req, int status)
{
    client_conn_t *c = req->data;
    if (c->state == ST_DONE)
        return;
    if (status < 0) {
        try_next(c, status);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) {
        failf(c, "read", rc);
        return;
    }
    if (!c->tls_ctx) {
        became_open(c);
        return;
    }
    c->state = ST_HANDSHAKING;
    c->tls = net_tls_client_new(c->tls_ctx, c->url.host);
    buf_t out = BUF_INIT;
    if (!c->tls || net_tls_start(c->tls, &out) != NET_TLS_OK) {
        buf_deinit(&out);
        fail(c, "TLS: cannot start the handshake");
        return;
    }
    raw_write(c, out.data, out.len);
    buf_deinit(&out);
}

static void on_tcp_closed_for_retry(uv_handle_t *h)
{
    client_conn_t *c = h->data;
    c->handles--;
    c->tcp_init = false;
    if (c->state == ST_DONE) {
        maybe_free(c);
        return;
    }
    try_next(c, 0);
}

/* Connects to the next address; last_err is why the previous one failed (0: it closed). */
static void try_next(client_conn_t *c, int last_err)
{
    if (last_err && !c->next_addr) {
        snprintf(c->why, sizeof(c->why), "cannot connect to %s:%d: %s", c->url.host, c->url.port,
                 uv_strerror(last_err));
    }
    if (c->tcp_init) { /* a failed attempt's socket goes first */
        if (last_err && !c->next_addr) {
            fail(c, c->why);
            return;
        }
        uv_close((uv_handle_t *)&c->tcp, on_tcp_closed_for_retry);
        return;
    }
    if (!c->next_addr) {
        fail(c, c->why[0] ? c->why : "no address to connect to");
        return;
    }
    struct addrinfo *a = c->next_addr;
    c->next_addr = a->ai_next;
    uv_tcp_init(c->loop, &c->tcp);
    c->tcp.data = c;
    c->tcp_init = true;
    c->handles++;
    c->creq.data = c;
    c->state = ST_CONNECTING;
    int rc = uv_tcp_connect(&c->creq, &c->tcp, a->ai_addr, on_connect);
    if (rc < 0)
        try_next(c, rc);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    client_conn_t *c = req->data;
    c->gai_pending = false;
    if (c->state == ST_DONE) {
        if (res)
            uv_freeaddrinfo(res);
        maybe_free(c);
        return;
    }
    if (status < 0) {
        snprintf(c->why, sizeof(c->why), "cannot resolve %s: %s", c->url.host, uv_strerror(status));
        fail(c, c->why);
        return;
    }
    c->addrs = c->next_addr = res;
    try_next(c, 0);
}

client_conn_t *client_conn_open(uv_loop_t *loop, const client_url_t *u, net_tls_ctx_t *tls,
                                const client_conn_cb_t *cb, void *ud)
{
    client_conn_t *c = xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->url = *u;
    c->cb = *cb;
    c->ud = ud;
    c->tls_ctx = tls;
    c->state = ST_RESOLVING;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles = 1;
    uv_timer_start(&c->timer, on_timeout, CLIENT_CONN_TIMEOUT_MS, 0);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    char port[16];
    snprintf(port, sizeof(port), "%d", u->port);
    c->gai.data = c;
    int rc = uv_getaddrinfo(loop, &c->gai, on_resolved, u->host, port, &hints);
    if (rc < 0) {
        /* Told on the next turn of the loop, as the contract says: the timer fires at once. */
        snprintf(c->why, sizeof(c->why), "cannot resolve %s: %s", u->host, uv_strerror(rc));
        uv_timer_stop(&c->timer);
        uv_timer_start(&c->timer, on_timeout, 0, 0);
    } else {
        c->gai_pending = true;
    }
    return c;
}

int client_conn_write(client_conn_t *c, const void *p, size_t len)
{
    if (c->state != ST_OPEN || c->quiet)
        return -1;
    if (!c->tls)
        return raw_write(c, p, len);
    buf_t out = BUF_INIT;
    int rc = net_tls_write(c->tls, p, len, &out);
    if (rc == NET_TLS_OK)
        raw_write(c, out.data, out.len);
    buf_deinit(&out);
    return rc == NET_TLS_OK ? 0 : -1;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    client_conn_t *c = req->data;
    close_handles(c);
}

void client_conn_close(client_conn_t *c)
{
    if (!c)
        return;
    c->quiet = true;
    if (c->state == ST_DONE)
        return;
    if (c->state != ST_OPEN) {
        close_handles(c);
        return;
    }
    if (c->tls) {
        buf_t out = BUF_INIT;
        net_tls_shutdown(c->tls, &out);
        raw_write(c, out.data, out.len);
        buf_deinit(&out);
    }
    if (c->state == ST_DONE)
        return;
    c->state = ST_HANDSHAKING; /* no more writes from the owner; fail() stays possible */
    c->sreq.data = c;
    uv_timer_stop(&c->timer);
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) < 0)
        close_handles(c);
}
