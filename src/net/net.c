/* net - listener, connections, outbound queues, flushing, sweep; see net.h.
 *
 * Structures: every open connection sits on the server's doubly linked `conns` list (for
 * the sweep and for shutdown); a connection with queued, unwritten bytes and no write in
 * flight sits on the singly linked flush list, drained by the uv_prepare callback just
 * before the loop polls (Redis's beforeSleep).
 *
 * Invariants: q holds q_len entries from q_head (a ring of q_cap); the first `inflight` of
 * them belong to the uv_write in flight and are not touched until its callback; q_bytes
 * counts unwritten bytes of all entries. Every entry holds one blob reference.
 *
 * A TLS connection (c->tls) reads and flushes through net_conn_tls.c; everything else,
 * the queue and its bound included, is the same for both. */
#include "net/net.h"
#include "net/net_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"

#define NET_IOV_MAX 64

/* One receive buffer per loop thread: libuv reads one connection at a time and on_data
 * consumes the bytes before returning. Thread-local because with --threads each loop runs
 * on its own thread. */
static _Thread_local char recv_buf[NET_RECV_SIZE];
static _Thread_local bool recv_busy;

static void flush_conn(net_conn_t *c);
static void drained(net_conn_t *c);

/* ---- queue ---- */

static void q_push(net_conn_t *c, blob_t *b, bool exempt)
{
    if (c->q_len == c->q_cap) {
        uint32_t cap = c->q_cap ? c->q_cap * 2 : 4;
        net_out_t *q = xmalloc(sizeof(*q) * cap);
        for (uint32_t i = 0; i < c->q_len; i++)
            q[i] = *net_q_at(c, i);
        free(c->q);
        c->q = q;
        c->q_cap = cap;
        c->q_head = 0;
    }
    net_out_t *o = net_q_at(c, c->q_len++);
    o->b = blob_ref(b);
    o->off = 0;
    o->exempt = exempt;
    c->q_bytes += b->len;
    if (exempt)
        c->q_exempt += b->len;
}

/* Marks n written bytes off the front of the queue, releasing finished blobs. */
void net_q_advance(net_conn_t *c, size_t n)
{
    c->q_bytes -= n;
    while (n > 0) {
        net_out_t *o = net_q_at(c, 0);
        size_t left = o->b->len - o->off;
        if (n < left) {
            o->off += n;
            if (o->exempt)
                c->q_exempt -= n;
            return;
        }
        n -= left;
        if (o->exempt)
            c->q_exempt -= left;
        blob_unref(o->b);
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_len--;
    }
    /* Zero-length blobs at the front are done too. */
    while (c->q_len && net_q_at(c, 0)->off == net_q_at(c, 0)->b->len) {
        blob_unref(net_q_at(c, 0)->b);
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_len--;
    }
    /* A burst (a join storm's presence events) may have grown the ring: an emptied ring
     * goes, so the connection returns to its idle size. */
    if (c->q_len == 0 && c->q_cap > 8) {
        free(c->q);
        c->q = NULL;
        c->q_cap = c->q_head = 0;
    }
}

static void q_free(net_conn_t *c)
{
    for (uint32_t i = 0; i < c->q_len; i++)
        blob_unref(net_q_at(c, i)->b);
    free(c->q);
    c->q = NULL;
    c->q_len = c->q_cap = c->q_head = 0;
    c->q_bytes = c->q_exempt = 0;
    /* An idle connection keeps no ring: it is cheap to regrow. */
}

/* Nothing queued, nothing being written, no ciphertext waiting. */
bool net_out_empty(const net_conn_t *c)
{
    return c->q_len == 0 && !c->writing && (!c->tls || c->tls->pend.len == 0);
}

void net_schedule_flush(net_conn_t *c)
{
    if (c->in_flush || c->writing)
        return;
    c->in_flush = true;
    c->flush_next = net_conn_srv(c)->flush_head;
    net_conn_srv(c)->flush_head = c;
}

/* ---- lifetime ---- */

static void on_closed(uv_handle_t *h)
{
    net_conn_t *c = (net_conn_t *)h;
    net_server_t *s = net_conn_srv(c);
    if (c->counted) /* the socket is closed now: its client may open another */
        net_peers_give(s->cfg.peers, &(net_peer_t){c->peer, c->peer_v6});
    if (s->h->on_close)
        s->h->on_close(c);
    q_free(c);
    net_conn_tls_free(c->tls);
    c->tls = NULL;
    /* Still linked on the flush list: on_prepare frees it when it walks past. */
    if (c->in_flush)
        c->dead = true;
    else
        free(c);
}

void net_conn_close(net_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    net_server_t *s = net_conn_srv(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    s->nconns--;
    /* A connection on the flush list is skipped there once closing (see on_prepare). */
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    net_conn_t *c = req->data;
    free(req);
    if (status < 0)
        net_conn_close(c); /* does nothing if the close already began (ECANCELED) */
}

/* The queue is written: half-close and wait for the peer's FIN (the read path closes on
 * EOF; the sweep cuts a peer that never sends it). Closing at once would reset the
 * connection if the peer's last bytes were still unread, and a reset can overtake the
 * close frame or response we just sent (RFC 6455 7.1.1, RFC 9112 9.6). */
static void linger_close(net_conn_t *c)
{
    if (c->closing || c->shut)
        return;
    c->shut = true;
    uv_shutdown_t *req = xmalloc(sizeof(*req));
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        net_conn_close(c);
    }
}

/* The queue is empty and the connection was asked to go. A TLS connection first says so in
 * TLS (close_notify), so that the peer can tell our end from a truncation. */
static void finish_close(net_conn_t *c)
{
    if (c->tls && !c->closing && net_conn_tls_bye(c)) {
        /* Written now (this may run inside the flush, after the flush list was taken): the
         * flush comes back here once it is out. */
        flush_conn(c);
        return;
    }
    if (c->linger)
        linger_close(c);
    else
        net_conn_close(c);
}

void net_conn_close_after_flush(net_conn_t *c, bool linger)
{
    if (c->closing)
        return;
    c->linger = c->close_after_flush ? c->linger && linger : linger;
    c->close_after_flush = true;
    if (c->shut && !linger)
        net_conn_close(c); /* already half-closed and written: nothing left to wait for */
    else if (net_out_empty(c))
        finish_close(c);
    else
        net_schedule_flush(c);
}

void net_conn_name(const net_conn_t *c, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char host[64] = "?";
    int port = 0;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof(host));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof(host));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    snprintf(out, cap, "c%u %s:%d", (unsigned)c->id, host, port);
}

/* ---- reading ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    /* libuv reads one stream at a time; guard anyway so a future change cannot alias. */
    if (recv_busy) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    recv_busy = true;
    buf->base = recv_buf;
    buf->len = sizeof(recv_buf);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    net_conn_t *c = (net_conn_t *)stream;
    if (buf->base == recv_buf)
        recv_busy = false;
    if (n > 0 && !c->closing) {
        net_conn_srv(c)->bytes_in += (uint64_t)n;
        if (c->tls)
            net_conn_tls_data(c, (const uint8_t *)buf->base, (size_t)n);
        else
            net_conn_srv(c)->h->on_data(c, (uint8_t *)buf->base, (size_t)n);
    } else if (n < 0) {
        if (n != UV_EOF && n != UV_ECONNRESET) {
            char name[96];
            net_conn_name(c, name, sizeof(name));
            log_conn(LOG_DEBUG, name, "read: %s", uv_strerror((int)n));
        }
        net_conn_close(c);
    }
}

/* ---- writing ---- */

/* What follows a write's completion or a flush that left nothing in flight. */
static void after_write(net_conn_t *c)
{
    if (c->closing)
        return;
    if (!net_out_empty(c))
        net_schedule_flush(c);
    else if (c->close_after_flush)
        finish_close(c);
    else
        drained(c);
}

static void on_write(uv_write_t *req, int status)
{
    net_conn_t *c = req->data;
    free(req);
    c->wreq = NULL;
    c->writing = false;
    if (status < 0) {
        /* UV_ECANCELED comes from our own close; the queue is freed in on_closed. */
        if (status != UV_ECANCELED)
            net_conn_close(c);
        return;
    }
    if (c->tls) {
        net_conn_srv(c)->bytes_out += c->tls->flight.len;
        buf_deinit(&c->tls->flight);
    } else {
        size_t n = 0;
        for (uint32_t i = 0; i < c->inflight; i++)
            n += net_q_at(c, i)->b->len - net_q_at(c, i)->off;
        c->inflight = 0;
        net_q_advance(c, n);
        net_conn_srv(c)->bytes_out += n;
    }
    after_write(c);
}

/* Starts the one write in flight of n buffers (which must live until on_write). */
void net_start_write(net_conn_t *c, uv_buf_t *iov, uint32_t n)
{
    c->writing = true;
    c->wreq = xmalloc(sizeof(*c->wreq));
    c->wreq->data = c;
    if (uv_write(c->wreq, (uv_stream_t *)&c->tcp, iov, n, on_write) < 0) {
        free(c->wreq);
        c->wreq = NULL;
        c->writing = false;
        c->inflight = 0;
        net_conn_close(c);
    }
}

static uint32_t fill_iov(net_conn_t *c, uv_buf_t *iov)
{
    uint32_t n = c->q_len < NET_IOV_MAX ? c->q_len : NET_IOV_MAX;
    for (uint32_t i = 0; i < n; i++) {
        net_out_t *o = net_q_at(c, i);
        iov[i] = uv_buf_init(o->b->data + o->off, (unsigned)(o->b->len - o->off));
    }
    return n;
}

static void flush_plain(net_conn_t *c)
{
    uv_buf_t iov[NET_IOV_MAX];
    while (c->q_len && !c->writing && !c->closing) {
        uint32_t n = fill_iov(c, iov);
        int r = uv_try_write((uv_stream_t *)&c->tcp, iov, n);
        if (r == UV_EAGAIN || r == UV_ENOSYS)
            r = 0;
        if (r < 0) {
            net_conn_close(c);
            return;
        }
        net_q_advance(c, (size_t)r);
        net_conn_srv(c)->bytes_out += (size_t)r;
        if (c->q_len == 0)
            break;
        size_t left = 0;
        for (uint32_t i = 0; i < n; i++)
            left += iov[i].len;
        if ((size_t)r >= left)
            continue; /* wrote all NET_IOV_MAX entries, more queued */
        /* The kernel buffer is full: hand the rest to libuv, one write in flight. */
        n = fill_iov(c, iov);
        c->inflight = n;
        net_start_write(c, iov, n);
        return;
    }
}

static void flush_conn(net_conn_t *c)
{
    if (c->tls)
        net_conn_tls_flush(c);
    else
        flush_plain(c);
    if (net_out_empty(c) && c->close_after_flush && !c->closing)
        finish_close(c);
}

int net_conn_send(net_conn_t *c, blob_t *b)
{
    if (c->closing || c->close_after_flush)
        return -1;
    if (c->q_bytes - c->q_exempt >= net_conn_srv(c)->cfg.max_outbound)
        return -1;
    q_push(c, b, false);
    net_schedule_flush(c);
    return 0;
}

void net_conn_send_control(net_conn_t *c, blob_t *b)
{
    if (c->closing)
        return;
    q_push(c, b, true);
    net_schedule_flush(c);
}

void net_conn_drop_queued(net_conn_t *c)
{
    /* Keep what is in flight, and a partly written (or, with TLS, partly encrypted) head:
     * cutting a frame in half would corrupt the stream. */
    uint32_t keep = c->inflight;
    if (keep == 0 && c->q_len && net_q_at(c, 0)->off > 0)
        keep = 1;
    while (c->q_len > keep) {
        net_out_t *o = net_q_at(c, c->q_len - 1);
        c->q_bytes -= o->b->len - o->off;
        if (o->exempt)
            c->q_exempt -= o->b->len - o->off;
        blob_unref(o->b);
        c->q_len--;
    }
}

void net_conn_want_drain(net_conn_t *c)
{
    if (c->closing)
        return;
    c->want_drain = true;
    /* Already empty: say so from the next flush, not from inside the caller. (Writing:
     * the write callback says so.) */
    if (c->q_len == 0)
        net_schedule_flush(c);
}

static void drained(net_conn_t *c)
{
    if (c->want_drain && net_out_empty(c) && !c->closing) {
        c->want_drain = false;
        if (net_conn_srv(c)->h->on_drain)
            net_conn_srv(c)->h->on_drain(c);
    }
}

bool net_conn_tls(const net_conn_t *c)
{
    return c->tls != NULL;
}

static void on_prepare(uv_prepare_t *p)
{
    net_server_t *s = p->data;
    if (s->h->on_flush)
        s->h->on_flush(s);
    net_conn_t *c = s->flush_head;
    s->flush_head = NULL;
    if (c)
        __builtin_prefetch(c->flush_next);
    while (c) {
        net_conn_t *next = c->flush_next;
        /* next was fetched a write ago: fetch the one after it, and next's first queued
         * frame, while c's write runs (each write is a system call: time enough). */
        if (next) {
            __builtin_prefetch(next->flush_next);
            if (next->q_len)
                __builtin_prefetch(net_q_at(next, 0));
        }
        c->in_flush = false;
        c->flush_next = NULL;
        if (c->dead) {
            free(c);
        } else if (!c->closing) {
            flush_conn(c);
            drained(c);
        }
        c = next;
    }
}

/* ---- accepting and the sweep ---- */

static void on_listen_readable(uv_poll_t *p, int status, int events);

/* Counts the client of a socket just accepted against its cap. Returns 1 when counted
 * (c->counted: its close gives the count back), 0 when there is nothing to count (no cap,
 * an address of another family), -1 when the client is at its cap: the socket is to be
 * closed. A refusal is logged once a sweep at most (a flood must not become a flood of
 * lines), naming the flag, since behind a reverse proxy the cap meets every client at once. */
static int peer_admit(net_server_t *s, const struct sockaddr *sa, net_peer_t *p)
{
    if (!s->cfg.peers || net_peer_of(sa, p) < 0)
        return 0;
    if (net_peers_take(s->cfg.peers, p))
        return 1;
    s->refused_per_ip++;
    if (!s->refusal_logged) {
        char name[64];
        net_peer_name(p, name, sizeof(name));
        log_warn("refusing connections from %s: at its cap of open connections "
                 "(--max-conns-per-ip; 0 behind a reverse proxy)",
                 name);
        s->refusal_logged = true;
    }
    return -1;
}

/* A connection that failed before it opened: its count goes back, its memory with its
 * handle. */
static void shed(net_conn_t *c)
{
    if (c->counted)
        net_peers_give(net_conn_srv(c)->cfg.peers, &(net_peer_t){c->peer, c->peer_v6});
    uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
}

static void accept_fd(net_server_t *s, int fd, const struct sockaddr *sa)
{
    net_peer_t p = {0};
    int admit = peer_admit(s, sa, &p);
    if (admit < 0) {
        close(fd); /* before anything is read or allocated for it */
        return;
    }
    net_conn_t *c = xcalloc(1, sizeof(*c));
    c->counted = admit > 0;
    c->peer = p.bits;
    c->peer_v6 = p.v6;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = s;
    if (uv_tcp_open(&c->tcp, fd) != 0) {
        close(fd);
        shed(c);
        return;
    }
    if (s->cfg.tls && !(c->tls = net_conn_tls_new(s->cfg.tls))) {
        shed(c); /* out of memory */
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->id = (uint32_t)++s->next_id;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    s->accepted++;
    s->h->on_open(c);
    if (!c->closing)
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_accept_retry(uv_timer_t *t)
{
    net_server_t *s = t->data;
    if (s->listening)
        uv_poll_start(&s->lpoll, UV_READABLE, on_listen_readable);
}

/* Out of descriptors. Shed one pending connection with the reserve descriptor (the peer
 * sees a reset rather than a hang, libuv's trick), then stop accepting for a moment: with
 * several loops in one process a reserve can be lost to another thread, and polling a
 * listener we cannot accept from would spin. */
static void accept_exhausted(net_server_t *s, int err)
{
    if (!s->accept_error_logged)
        log_warn("accept: %s", strerror(err));
    s->accept_error_logged = true;
    if (s->reserve_fd >= 0) {
        close(s->reserve_fd);
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            close(fd);
        s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    uv_poll_stop(&s->lpoll);
    uv_timer_start(&s->retry, on_accept_retry, 50, 0);
}

static void on_listen_readable(uv_poll_t *p, int status, int events)
{
    (void)events;
    net_server_t *s = p->data;
    if (status < 0)
        return;
    /* A bounded batch per wake-up: the loop's other work is not starved by a storm. */
    for (int i = 0; i < 256 && s->listening; i++) {
        struct sockaddr_storage ss = {0};
        socklen_t len = sizeof(ss);
        int fd = accept4(s->lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                accept_exhausted(s, errno);
            else if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warn("accept: %s", strerror(errno));
            return;
        }
        s->accept_error_logged = false;
        if (s->reserve_fd < 0)
            s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        accept_fd(s, fd, (struct sockaddr *)&ss);
    }
}

void net_conn_read(net_conn_t *c, bool on)
{
    if (c->closing)
        return;
    if (on)
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    else
        uv_read_stop((uv_stream_t *)&c->tcp);
}

static void on_sweep(uv_timer_t *t)
{
    net_server_t *s = t->data;
    uint64_t now = clock_mono_ms();
    s->refusal_logged = false;
    net_conn_t *c = s->conns;
    while (c) {
        net_conn_t *next = c->next; /* on_tick may close c, unlinking it */
        /* A connection that went quiet gives its emptied ring back (80 bytes with malloc's
         * header, a tenth of an idle connection); a busy one keeps it between flushes. */
        if (c->q && c->q_len == 0 && !c->writing) {
            free(c->q);
            c->q = NULL;
            c->q_cap = c->q_head = 0;
        }
        if (s->h->on_tick)
            s->h->on_tick(c, now);
        c = next;
    }
}

/* The listening socket is ours, not a libuv handle: SO_REUSEPORT (several loops on one port)
 * needs setting before bind, which libuv 1.44 cannot do, and accepting ourselves lets us
 * back off when descriptors run out (see accept_exhausted). Returns the descriptor or a
 * UV_E* code. */
static int make_listener(const struct sockaddr *addr, uint8_t reuseport, bool probe)
{
    socklen_t len =
        addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int one = 1, fd;
    if (probe) {
        /* A plain bind fails if anybody holds the port, with or without SO_REUSEPORT. */
        fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return uv_translate_sys_error(errno);
        int rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (rc == 0)
            rc = bind(fd, addr, len);
        int err = errno;
        close(fd);
        if (rc < 0)
            return uv_translate_sys_error(err);
    }
    fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return uv_translate_sys_error(errno);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
        bind(fd, addr, len) < 0 || listen(fd, 4096) < 0) {
        int err = uv_translate_sys_error(errno);
        close(fd);
        return err;
    }
    return fd;
}

int net_server_start(net_server_t *s, uv_loop_t *loop, const net_config_t *cfg,
                     const net_handler_t *h, void *data)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->cfg = *cfg;
    s->h = h;
    s->data = data;

    struct sockaddr_storage addr;
    int r = uv_ip4_addr(cfg->host, cfg->port, (struct sockaddr_in *)&addr);
    if (r != 0)
        r = uv_ip6_addr(cfg->host, cfg->port, (struct sockaddr_in6 *)&addr);
    if (r != 0) {
        log_error("bad listen address '%s'", cfg->host);
        return r;
    }
    bool probe = cfg->reuseport == 1 && cfg->port != 0;
    int fd = make_listener((struct sockaddr *)&addr, cfg->reuseport, probe);
    if (fd < 0) {
        log_error("listen on %s:%d: %s", cfg->host, cfg->port, uv_strerror(fd));
        return fd;
    }
    s->lfd = fd;
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    uv_poll_init(loop, &s->lpoll, fd);
    s->lpoll.data = s;
    uv_poll_start(&s->lpoll, UV_READABLE, on_listen_readable);
    uv_timer_init(loop, &s->retry);
    s->retry.data = s;
    s->listening = true;
    uv_prepare_init(loop, &s->flusher);
    s->flusher.data = s;
    uv_prepare_start(&s->flusher, on_prepare);
    uv_timer_init(loop, &s->sweeper);
    s->sweeper.data = s;
    uv_timer_start(&s->sweeper, on_sweep, 1000, 1000);
    return 0;
}

int net_server_port(const net_server_t *s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(s->lfd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void on_listener_closed(uv_handle_t *h)
{
    net_server_t *s = h->data;
    close(s->lfd);
    s->lfd = -1;
    if (s->reserve_fd >= 0)
        close(s->reserve_fd);
    s->reserve_fd = -1;
}

void net_server_stop(net_server_t *s)
{
    if (!s->listening)
        return;
    s->listening = false;
    /* Empty the flush list first: with the prepare handle gone, nobody else would. */
    for (net_conn_t *c = s->flush_head, *next; c; c = next) {
        next = c->flush_next;
        c->in_flush = false;
        c->flush_next = NULL;
        if (c->dead)
            free(c);
    }
    s->flush_head = NULL;
    while (s->conns)
        net_conn_close(s->conns);
    net_conn_tls_release(); /* nothing flushes any more on this thread */
    uv_close((uv_handle_t *)&s->lpoll, on_listener_closed);
    uv_close((uv_handle_t *)&s->retry, NULL);
    uv_close((uv_handle_t *)&s->flusher, NULL);
    uv_close((uv_handle_t *)&s->sweeper, NULL);
}
