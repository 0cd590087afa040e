/* bench_net - the client side of the wire: non-blocking TCP connects spread over source
 * addresses, the RFC 6455 opening handshake, masked frames out, server frames in, and the
 * one epoll loop that also paces connects and sends.
 *
 * Each client is a slot of B.cl with at most one socket. Its epoll registration carries
 * (index | generation << 32): a slot closed and reopened inside one epoll_wait batch gets a
 * new generation, so events for the old socket are recognised and dropped.
 *
 * Client states advance CONNECTING -> (TLS ->) HANDSHAKE -> OPEN -> JOINED; B.connecting
 * counts the clients before JOINED, which the connect pacer keeps under --inflight so that a storm
 * of SYNs does not overflow the server's accept queue and turn into 1 s SYN retransmits.
 *
 * Closing (net_close_client) is immediate: the socket and buffers go, the slot stays. Code
 * that may close a client while iterating over its input re-checks the generation.
 *
 * wss: OpenSSL on the socket itself (the generator is no server: it need not share frames,
 * so the simplest TLS does). The handshake runs in state TLS, driven by epoll in whichever
 * direction OpenSSL asks for; then out_write and in_read stand for send and recv. Writes may
 * be partial and are retried from the front of `out`, which only grows at its end: OpenSSL
 * is told the buffer may move. The certificate is not checked: the server is ours. */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ws/ws_handshake.h"

#define READ_CHUNK (256 * 1024)
#define READS_PER_EVENT 4 /* fairness: then the next ready socket gets its turn */
#define MAX_HANDSHAKE (16 * 1024)
#define MAX_EVENTS 1024

static uint8_t rbuf[READ_CHUNK];
static struct sockaddr_in server_addr;
static bool server_is_loopback;
static uint64_t rng_state;
static const ws_limits_t limits = {64u << 20, 64u << 20, false, NULL};
static SSL_CTX *tls_ctx; /* wss: */

uint64_t bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* xorshift64*: masks and handshake keys only need to differ, not to resist an attacker
 * (RFC 6455 10.3's concern is hostile scripts in browsers, not a load generator). */
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void die(const char *what)
{
    fprintf(stderr, "parley-bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

void net_init(void)
{
    if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
        rng_state = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    rng_state |= 1;
    B.run_id = (uint32_t)rng_next();
    B.ep = epoll_create1(EPOLL_CLOEXEC);
    if (B.ep < 0)
        die("epoll_create1");
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    char port[8];
    snprintf(port, sizeof(port), "%u", B.cfg.port);
    int r = getaddrinfo(B.cfg.host, port, &hints, &res);
    if (r != 0 || !res) {
        fprintf(stderr, "parley-bench: cannot resolve %s: %s\n", B.cfg.host, gai_strerror(r));
        exit(1);
    }
    memcpy(&server_addr, res->ai_addr, sizeof(server_addr));
    freeaddrinfo(res);
    server_is_loopback = (ntohl(server_addr.sin_addr.s_addr) >> 24) == 127;
    if (B.cfg.tls) {
        tls_ctx = SSL_CTX_new(TLS_client_method());
        if (!tls_ctx || SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION) != 1) {
            fprintf(stderr, "parley-bench: cannot make a TLS context\n");
            exit(1);
        }
        SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                      SSL_MODE_RELEASE_BUFFERS);
    }
}

/* ---- epoll interest and state ---- */

static void update_interest(client_t *c)
{
    uint32_t ev = c->state == CS_CONNECTING ? EPOLLOUT
                  : c->state == CS_TLS      ? (c->tls_write ? EPOLLOUT : EPOLLIN)
                  : c->paused               ? 0u
                                            : (uint32_t)EPOLLIN;
    if (c->out.len)
        ev |= EPOLLOUT;
    if (ev == c->events)
        return;
    struct epoll_event e = {.events = ev, .data.u64 = c->idx | (uint64_t)c->gen << 32};
    int op = c->events == 0 ? EPOLL_CTL_ADD : ev == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    if (epoll_ctl(B.ep, op, c->fd, &e) < 0)
        die("epoll_ctl");
    c->events = ev;
}

static bool in_progress(client_state_t s)
{
    return s == CS_CONNECTING || s == CS_TLS || s == CS_HANDSHAKE || s == CS_OPEN;
}

static void set_state(client_t *c, client_state_t s)
{
    if (in_progress(c->state) && !in_progress(s))
        B.connecting--;
    else if (!in_progress(c->state) && in_progress(s))
        B.connecting++;
    c->state = s;
}

uint32_t net_count(client_state_t st)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < B.ncl; i++)
        n += B.cl[i].state == st;
    return n;
}

void net_joined(client_t *c)
{
    set_state(c, CS_JOINED);
    c->ever_joined = true;
}

void net_pause(client_t *c, bool paused)
{
    c->paused = paused;
    if (c->fd >= 0)
        update_interest(c);
}

/* ---- output ---- */

static void drop(client_t *c, uint16_t code, bool reply);

/* Writes what it can of len bytes: send(), or SSL_write for wss:. Returns the bytes
 * written, 0 when the socket takes nothing now, -1 when the connection failed. */
static ssize_t out_write(client_t *c, const void *p, size_t len)
{
    if (c->ssl) {
        int n = SSL_write(c->ssl, p, len > INT32_MAX ? INT32_MAX : (int)len);
        if (n > 0)
            return n;
        int e = SSL_get_error(c->ssl, n);
        ERR_clear_error();
        return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : -1;
    }
    for (;;) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

static void flush_out(client_t *c)
{
    while (c->out.len) {
        ssize_t n = out_write(c, c->out.data, c->out.len);
        if (n > 0) {
            buf_consume(&c->out, (size_t)n);
        } else if (n == 0) {
            break;
        } else {
            drop(c, WS_CLOSE_ABNORMAL, false);
            return;
        }
    }
    update_interest(c);
}

/* Appends one masked frame to the output. */
static void append_frame(client_t *c, int opcode, const void *payload, size_t len)
{
    uint64_t r = rng_next();
    uint8_t mask[4] = {(uint8_t)r, (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24)};
    uint8_t hdr[WS_MAX_HEADER];
    size_t hl = ws_frame_header(hdr, opcode, true, len, mask);
    buf_reserve(&c->out, hl + len);
    memcpy(c->out.data + c->out.len, hdr, hl);
    uint8_t *dst = (uint8_t *)c->out.data + c->out.len + hl;
    const uint8_t *src = payload;
    for (size_t i = 0; i < len; i++)
        dst[i] = src[i] ^ mask[i & 3];
    c->out.len += hl + len;
    c->out.data[c->out.len] = '\0';
}

/* Appends one masked frame and, when nothing was queued before it, writes it at once. May
 * drop c when the write fails. */
static void send_frame(client_t *c, int opcode, const void *payload, size_t len)
{
    bool was_empty = c->out.len == 0;
    append_frame(c, opcode, payload, len);
    if (was_empty)
        flush_out(c);
    else
        update_interest(c);
}

void net_send_text(client_t *c, const char *p, size_t len)
{
    if (c->fd >= 0 && (c->state == CS_OPEN || c->state == CS_JOINED))
        send_frame(c, WS_OP_TEXT, p, len);
}

/* ---- connect and close ---- */

void net_queue_connect(uint32_t idx)
{
    if (B.cl[idx].queued)
        return;
    B.cl[idx].queued = true;
    uint32_t cap = B.ncl;
    B.cq[(B.cq_head + B.cq_len) % cap] = idx;
    B.cq_len++;
}

void net_clear_queue(void)
{
    for (; B.cq_len; B.cq_len--, B.cq_head = (B.cq_head + 1) % B.ncl)
        B.cl[B.cq[B.cq_head]].queued = false;
}

static void start_connect(client_t *c)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        B.st.connect_fail++;
        return;
    }
    int one = 1;
    /* Pick the source port at connect() time, from the whole 4-tuple space, not at bind(). */
    (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* Only the first connection is slow: back after a 1013, a client is a fast one again. */
    if (c->slow && !c->ever_joined)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &B.cfg.slow_rcvbuf, sizeof(int));
    if (server_is_loopback && B.cfg.src_spread > 1) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000001u + c->idx % B.cfg.src_spread);
        if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
            (void)close(fd);
            B.st.connect_fail++;
            return;
        }
    }
    struct sockaddr_in dst = server_addr;
    dst.sin_port = htons(B.cfg.ports[c->backend % B.cfg.nports]);
    if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS) {
        (void)close(fd);
        B.st.connect_fail++;
        return;
    }
    c->fd = fd;
    c->gen++;
    c->events = 0;
    c->close_code = 0;
    set_state(c, CS_CONNECTING);
    update_interest(c);
}

void net_close_client(client_t *c, uint16_t code)
{
    if (c->fd < 0)
        return;
    if (code && (c->state == CS_OPEN || c->state == CS_JOINED)) {
        uint8_t pl[WS_MAX_CONTROL];
        size_t n = ws_close_payload(pl, code, NULL);
        append_frame(c, WS_OP_CLOSE, pl, n);
        /* One attempt, errors ignored: the socket goes either way, and a failure here must
         * not re-enter drop(). */
        (void)out_write(c, c->out.data, c->out.len);
    }
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
        ERR_clear_error();
    }
    set_state(c, CS_FREE);
    (void)close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    c->gen++;
    c->events = 0;
    if (c->resuming)
        B.nresuming--;
    c->paused = c->resuming = false;
    buf_deinit(&c->hs);
    buf_deinit(&c->out);
    ws_parser_deinit(&c->parser);
}

/* The server ended the connection (close frame, EOF, reset, or a protocol error). */
static void drop(client_t *c, uint16_t code, bool reply)
{
    bool was_open = c->state == CS_OPEN || c->state == CS_JOINED;
    if (!was_open)
        B.st.handshake_fail++;
    else if (code >= 1000 && code < 1016)
        B.st.close_codes[code - 1000]++;
    else
        B.st.closed_other++;
    if (was_open)
        B.st.closed_by_server++;
    c->close_code = code;
    /* With several processes, come back on another one: the one that dropped us may be
     * gone (kill -9), as behind a load balancer that skips a dead backend; the clients of
     * one process spread over all the others. */
    if (B.cfg.nports > 1)
        c->backend = (c->backend + 1 + c->idx % (B.cfg.nports - 1)) % B.cfg.nports;
    net_close_client(c, reply ? code : 0);
    if (was_open && B.on_drop)
        B.on_drop(c);
}

/* ---- handshake ---- */

static void send_request(client_t *c)
{
    uint8_t raw[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = rng_next();
        memcpy(raw + i, &r, 8);
    }
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *k = c->key;
    for (int i = 0; i < 15; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        *k++ = b64[v >> 18];
        *k++ = b64[(v >> 12) & 63];
        *k++ = b64[(v >> 6) & 63];
        *k++ = b64[v & 63];
    }
    *k++ = b64[raw[15] >> 2];
    *k++ = b64[(raw[15] & 3) << 4];
    memcpy(k, "==", 3);

    char path[300];
    const char *at = strstr(B.cfg.path, "{i}");
    if (at)
        snprintf(path, sizeof(path), "%.*s%u%s", (int)(at - B.cfg.path), B.cfg.path, c->idx,
                 at + 3);
    else
        snprintf(path, sizeof(path), "%s", B.cfg.path);
    buf_appendf(&c->out,
                "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                path, B.cfg.host, B.cfg.ports[c->backend % B.cfg.nports], c->key,
                B.cfg.proto == PROTO_PARLEY ? "Sec-WebSocket-Protocol: parley.v1\r\n" : "");
    set_state(c, CS_HANDSHAKE);
    flush_out(c);
}

/* wss: one step of the TLS handshake; the upgrade request follows it at once. */
static void tls_step(client_t *c)
{
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        send_request(c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    ERR_clear_error();
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        drop(c, 0, false);
        return;
    }
    c->tls_write = e == SSL_ERROR_WANT_WRITE;
    update_interest(c);
}

static void on_connected(client_t *c)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        B.st.connect_fail++;
        net_close_client(c, 0);
        return;
    }
    B.st.connects_ok++;
    if (!B.cfg.tls) {
        send_request(c);
        return;
    }
    c->ssl = SSL_new(tls_ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        drop(c, 0, false);
        return;
    }
    SSL_set_connect_state(c->ssl);
    set_state(c, CS_TLS);
    tls_step(c);
}

/* Checks a complete response head: status 101 and the Sec-WebSocket-Accept for our key. */
static bool response_ok(client_t *c, const char *head)
{
    if (strncmp(head, "HTTP/1.1 101", 12) != 0)
        return false;
    char want[WS_ACCEPT_SIZE];
    ws_handshake_accept(c->key, strlen(c->key), want);
    for (const char *line = strstr(head, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, "sec-websocket-accept:", 21) != 0)
            continue;
        const char *v = line + 21;
        while (*v == ' ' || *v == '\t')
            v++;
        return strncmp(v, want, WS_ACCEPT_SIZE - 1) == 0;
    }
    return false;
}

static void feed_frames(client_t *c, uint8_t *in, size_t n, uint64_t now);

static void on_handshake_bytes(client_t *c, const uint8_t *in, size_t n, uint64_t now)
{
    buf_append(&c->hs, in, n);
    char *end = strstr(c->hs.data, "\r\n\r\n");
    if (!end) {
        if (c->hs.len > MAX_HANDSHAKE)
            drop(c, 0, false);
        return;
    }
    *end = '\0';
    if (!response_ok(c, c->hs.data)) {
        drop(c, 0, false);
        return;
    }
    /* Bytes after the head are already frames. Take the buffer: handling them may close c. */
    size_t head = (size_t)(end - c->hs.data) + 4, total = c->hs.len;
    char *data = buf_steal(&c->hs, NULL);
    ws_parser_init(&c->parser, &limits);
    set_state(c, CS_OPEN);
    proto_on_open(c);
    if (c->fd >= 0 && total > head)
        feed_frames(c, (uint8_t *)data + head, total - head, now);
    free(data);
}

/* ---- frames in ---- */

static void on_event(client_t *c, const ws_event_t *ev, uint64_t now)
{
    switch (ev->type) {
    case WS_EV_MESSAGE:
        B.st.frames_in++;
        if (ev->opcode == WS_OP_TEXT)
            proto_on_text(c, (const char *)ev->data, ev->len, now);
        break;
    case WS_EV_PING:
        B.st.pings++;
        send_frame(c, WS_OP_PONG, ev->data, ev->len);
        break;
    case WS_EV_CLOSE:
        drop(c, ev->code, true);
        break;
    case WS_EV_ERROR:
        fprintf(stderr, "parley-bench: client %u: bad frame from server: %s\n", c->idx, ev->error);
        drop(c, ev->code, true);
        break;
    case WS_EV_PONG:
    case WS_EV_NONE:
        break;
    }
}

static void feed_frames(client_t *c, uint8_t *in, size_t n, uint64_t now)
{
    uint32_t gen = c->gen;
    size_t off = 0;
    while (off < n) {
        ws_event_t ev;
        off += ws_parser_feed(&c->parser, in + off, n - off, &ev);
        if (ev.type == WS_EV_NONE)
            break;
        on_event(c, &ev, now);
        if (c->gen != gen)
            return;
    }
    ws_parser_shrink(&c->parser);
}

/* Reads into rbuf: recv(), or SSL_read for wss:. Returns the bytes read, 0 when nothing is
 * there now, -1 when the connection ended (EOF, reset, a TLS error or close_notify). */
static ssize_t in_read(client_t *c)
{
    if (c->ssl) {
        int n = SSL_read(c->ssl, rbuf, (int)sizeof(rbuf));
        if (n > 0)
            return n;
        int e = SSL_get_error(c->ssl, n);
        ERR_clear_error();
        return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
    }
    for (;;) {
        ssize_t n = recv(c->fd, rbuf, sizeof(rbuf), 0);
        if (n > 0)
            return n;
        if (n == 0)
            return -1;
        if (errno != EINTR)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

static void on_readable(client_t *c)
{
    uint32_t gen = c->gen;
    /* SSL_read gives one record (16 KiB at most) a call: more calls for the same bytes. */
    int reads = c->ssl ? READS_PER_EVENT * 16 : READS_PER_EVENT;
    for (int i = 0; i < reads; i++) {
        ssize_t n = in_read(c);
        if (n <= 0) {
            if (n < 0)
                drop(c, WS_CLOSE_ABNORMAL, false);
            return;
        }
        uint64_t now = bench_now_us();
        B.st.bytes_in += (uint64_t)n;
        if (c->state == CS_HANDSHAKE)
            on_handshake_bytes(c, rbuf, (size_t)n, now);
        else
            feed_frames(c, rbuf, (size_t)n, now);
        if (c->gen != gen || c->paused || (!c->ssl && (size_t)n < sizeof(rbuf)))
            return;
    }
}

/* ---- pacing ---- */

static void pump_connects(uint64_t now)
{
    if (B.cfg.connect_rate > 0) {
        double burst = B.cfg.connect_rate / 100.0 < 1 ? 1 : B.cfg.connect_rate / 100.0;
        B.connect_tokens += (double)(now - B.connect_refill_us) * B.cfg.connect_rate / 1e6;
        if (B.connect_tokens > burst)
            B.connect_tokens = burst;
    }
    B.connect_refill_us = now;
    while (B.cq_len && B.connecting < B.cfg.inflight &&
           (B.cfg.connect_rate <= 0 || B.connect_tokens >= 1)) {
        uint32_t idx = B.cq[B.cq_head];
        B.cq_head = (B.cq_head + 1) % B.ncl;
        B.cq_len--;
        B.connect_tokens -= 1;
        B.cl[idx].queued = false;
        if (B.cl[idx].fd < 0)
            start_connect(&B.cl[idx]);
    }
}

static void send_one(uint32_t s, uint64_t now)
{
    client_t *c = &B.cl[s];
    if (B.track.sent[s] >= B.track.cap || c->state != CS_JOINED) {
        B.st.send_skipped++;
        return;
    }
    if (c->out.len > (4u << 20)) { /* the server is not reading this sender */
        B.st.send_blocked++;
        return;
    }
    if (B.cfg.pipeline && B.track.sent[s] - B.track.rejected[s] - B.acked[s] >= B.cfg.pipeline) {
        B.st.send_skipped++;
        return;
    }
    uint32_t seq = ++B.track.sent[s];
    proto_send_msg(c, s, seq, now);
    B.st.sent++;
}

static void pump_sends(uint64_t now)
{
    if (!B.sending)
        return;
    for (uint32_t s = 0; s < B.cfg.senders; s++) {
        double *next = &B.next_send[s];
        if ((double)now - *next > 1e6) { /* a second behind: skip, do not burst */
            uint64_t missed = (uint64_t)(((double)now - *next) / B.interval_us);
            B.st.send_skipped += missed;
            *next += (double)missed * B.interval_us;
        }
        while (*next <= (double)now) {
            uint64_t lag = now - (uint64_t)*next;
            if (lag > B.st.max_send_lag_us)
                B.st.max_send_lag_us = lag;
            send_one(s, now);
            *next += B.interval_us;
        }
    }
}

/* ---- the loop ---- */

static void dispatch(const struct epoll_event *e)
{
    client_t *c = &B.cl[(uint32_t)e->data.u64];
    if (c->fd < 0 || c->gen != (uint32_t)(e->data.u64 >> 32))
        return;
    if (c->state == CS_CONNECTING) {
        on_connected(c);
        return;
    }
    if (c->state == CS_TLS) {
        tls_step(c);
        return;
    }
    uint32_t gen = c->gen;
    if ((e->events & EPOLLIN) || (!c->paused && (e->events & (EPOLLHUP | EPOLLERR))))
        on_readable(c);
    if (c->gen == gen && c->fd >= 0 && (e->events & EPOLLOUT))
        flush_out(c);
}

bool net_run(uint64_t deadline, bool (*pred)(void))
{
    static struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        uint64_t now = bench_now_us();
        if (pred && pred())
            return true;
        if (now >= deadline)
            return false;
        if (now >= B.hard_deadline) {
            fprintf(stderr, "parley-bench: hard time limit reached (%.0f s): giving up\n",
                    (double)(B.hard_deadline - B.t0) / 1e6);
            exit(2);
        }
        pump_connects(now);
        pump_sends(bench_now_us());
        uint64_t wait_us = deadline - now;
        if (B.sending || B.cq_len)
            wait_us = 1000;
        else if (wait_us > 50000)
            wait_us = 50000;
        int ms = (int)((wait_us + 999) / 1000);
        int n = epoll_wait(B.ep, evs, MAX_EVENTS, ms);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++)
            dispatch(&evs[i]);
    }
}
