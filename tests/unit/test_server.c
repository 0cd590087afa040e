/* test_server - the connection driver against a fake chat (a server_chat_t that records its
 * calls): the routes, /healthz, /readyz and /metrics gathered through the interface (available
 * false turns /readyz to 503), 404/405, a body on a route that takes none, and a WebSocket's
 * open, message and close reaching chat with the upgrade's credentials (Bearer, or the
 * cookie under the Origin rule); the doors: the Host rule (421 for a name not ours, 400 without
 * one in HTTP/1.1), upgrades refused for another origin (403) or HTTP/1.0 (426), and the
 * security headers on every answer but the 101. /api requests go through the interface's request
 * call, answered at once or later by the test: pipelined requests wait and keep their order, a
 * connection that closes (or a server that stops) before its answer drops it safely. The
 * server runs on this thread's loop; the client is a plain socket, and the loop is turned
 * while waiting for its answers. */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "http/http_parse.h"
#include "test.h"
#include "ws/ws_frame.h"

/* ---- the fake chat ---- */

typedef struct {
    int opened, messages, drained, closed, metrics, requests;
    chat_mode_t mode;
    char client_id[40];
    chat_creds_t creds;
    /* /api: the last request, and its answer when held back (hold) */
    bool hold;
    char path[64], body[64], cookie[128], addr[64], headers[1100];
    int method;
    bool keep_alive;
    api_answer_cb done;
    void *done_ctx;
    int opcode;
    char data[64];
    bool available;
    int session; /* its address is the session handle */
} fake_t;

static void *fake_open(void *ctx, void *conn, chat_mode_t mode, const char *client_id,
                       const chat_creds_t *creds)
{
    fake_t *f = ctx;
    f->opened++;
    f->mode = mode;
    f->creds = *creds;
    (void)snprintf(f->client_id, sizeof(f->client_id), "%s", client_id);
    /* As chat does when the name is taken: the session closes before open returns. */
    if (strcmp(client_id, "taken") == 0)
        server_transport.close(conn, 1008, "name taken");
    return &f->session;
}

static void fake_message(void *ctx, void *session, int opcode, const uint8_t *data, size_t len)
{
    fake_t *f = ctx;
    CHECK(session == &f->session);
    f->messages++;
    f->opcode = opcode;
    (void)snprintf(f->data, sizeof(f->data), "%.*s", (int)len, (const char *)data);
}

static void fake_drained(void *ctx, void *session)
{
    fake_t *f = ctx;
    CHECK(session == &f->session);
    f->drained++;
}

static void fake_closed(void *ctx, void *session)
{
    fake_t *f = ctx;
    CHECK(session == &f->session);
    f->closed++;
}

/* A response naming the request it answers, so order can be checked. */
static void answer(fake_t *f, const char *what)
{
    char raw[256];
    int n = snprintf(raw, sizeof(raw),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     strlen(what), what);
    blob_t *b = blob_from(raw, (size_t)n);
    api_answer_cb done = f->done;
    f->done = NULL;
    done(f->done_ctx, b);
    blob_unref(b);
}

static void fake_request(void *ctx, const api_request_t *req, api_answer_cb done, void *done_ctx)
{
    fake_t *f = ctx;
    f->requests++;
    f->method = req->method;
    f->keep_alive = req->keep_alive;
    (void)snprintf(f->path, sizeof(f->path), "%s", req->path);
    (void)snprintf(f->body, sizeof(f->body), "%.*s", (int)req->body_len,
                   req->body ? req->body : "");
    (void)snprintf(f->cookie, sizeof(f->cookie), "%s", req->cookie ? req->cookie : "-");
    (void)snprintf(f->addr, sizeof(f->addr), "%s", req->addr);
    (void)snprintf(f->headers, sizeof(f->headers), "%s", req->headers ? req->headers : "-");
    CHECK(f->done == NULL); /* one request in flight per connection */
    f->done = done;
    f->done_ctx = done_ctx;
    if (!f->hold)
        answer(f, f->path);
}

static void fake_metrics(void *ctx, server_metrics_t *m)
{
    fake_t *f = ctx;
    f->metrics++;
    m->chat.published = 7;
    m->chat.general_seq = 42;
    m->chat.available = f->available;
    m->store_commits = 3;
}

/* ---- a plain client, the loop turned while it waits ---- */

static uv_loop_t loop;

static int client_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* The kernel completes the handshake from the listen backlog: no loop turn needed. */
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    (void)fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void client_send(int fd, const void *p, size_t len)
{
    CHECK(send(fd, p, len, 0) == (ssize_t)len);
}

/* Turns the loop and reads until done(buf) says the answer is whole, EOF, or 3 s. Returns
 * the bytes read (NUL-terminated in buf). */
static size_t client_read(int fd, char *buf, size_t cap, bool (*done)(const char *, size_t))
{
    size_t len = 0;
    buf[0] = '\0';
    uint64_t deadline = clock_mono_ms() + 3000;
    while (clock_mono_ms() < deadline && !(done && done(buf, len))) {
        uv_run(&loop, UV_RUN_NOWAIT);
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n == 0)
            break;
        if (n > 0) {
            len += (size_t)n;
            buf[len] = '\0';
        } else if (errno != EAGAIN) {
            break;
        } else {
            usleep(1000);
        }
    }
    return len;
}

/* A whole HTTP response: its head and Content-Length bytes of body. */
static bool response_done(const char *buf, size_t len)
{
    const char *end = strstr(buf, "\r\n\r\n");
    if (!end)
        return false;
    const char *cl = strstr(buf, "Content-Length: ");
    size_t body = cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
    return len >= (size_t)(end + 4 - buf) + body;
}

/* Sends one request on a new connection and returns its answer in buf. */
static void request(int port, const char *raw, char *buf, size_t cap)
{
    int fd = client_connect(port);
    client_send(fd, raw, strlen(raw));
    client_read(fd, buf, cap, response_done);
    close(fd);
}

static void pump(int ms)
{
    uint64_t until = clock_mono_ms() + (uint64_t)ms;
    while (clock_mono_ms() < until) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
}

/* ---- tests ---- */

static server_t *srv;
static fake_t fake;
static int port;

TEST(test_healthz_and_metrics_through_chat)
{
    char buf[4096];
    fake.available = true;
    request(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    CHECK(strstr(buf, "\r\n\r\n{\"status\":\"ok\"}") != NULL);
    request(port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    /* The store cannot commit: chat says so, /readyz turns 503; /healthz (alive) stays 200. */
    fake.available = false;
    request(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    int before = fake.metrics;
    request(port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 503 ", 13) == 0);
    CHECK(strstr(buf, "{\"status\":\"unavailable\"}") != NULL);
    CHECK_EQ_INT(fake.metrics, before + 1);
    request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    CHECK(strstr(buf, "\nparley_store_available 0\n") != NULL);
    CHECK(strstr(buf, "\nparley_messages_published_total 7\n") != NULL);
    CHECK(strstr(buf, "\nparley_store_commits_total 3\n") != NULL);
    CHECK(strstr(buf, "\nparley_channel_last_seq{channel=\"general\"} 42\n") != NULL);
    /* The connection part is this loop's own: this connection at least. */
    CHECK(strstr(buf, "\nparley_connections 0\n") == NULL);
    fake.available = true;
}

TEST(test_routes_404_405)
{
    char buf[4096];
    request(port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 404 ", 13) == 0);
    request(port, "DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 405 ", 13) == 0);
    CHECK(strstr(buf, "\r\nAllow: GET, HEAD\r\n") != NULL);
    request(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    CHECK(strstr(buf, "Content-Type: text/html") != NULL);
    /* A WebSocket path without the handshake: 426, as before the router. */
    request(port, "POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 426 ", 13) == 0);
    request(port, "GET /ws/bad!id HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 404 ", 13) == 0);
    CHECK(strstr(buf, "client id") != NULL);
}

TEST(test_body_on_a_route_without_one)
{
    /* Read through and dropped: the pipelined request after it is answered. */
    char buf[4096];
    int fd = client_connect(port);
    static const char raw[] = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                              "helloGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    client_send(fd, raw, sizeof(raw) - 1);
    size_t n = client_read(fd, buf, sizeof(buf), response_done);
    CHECK(n > 0 && strncmp(buf, "HTTP/1.1 405 ", 13) == 0);
    const char *second = strstr(buf, "}HTTP/1.1 ");
    if (!second) {
        client_read(fd, buf + n, sizeof(buf) - n, response_done);
        second = strstr(buf, "}HTTP/1.1 ");
    }
    CHECK(second && strncmp(second + 1, "HTTP/1.1 200 ", 13) == 0);
    close(fd);
    /* Past --max-body: 413, and the connection closes. */
    fd = client_connect(port);
    static const char big[] = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n";
    client_send(fd, big, sizeof(big) - 1);
    client_read(fd, buf, sizeof(buf), NULL);
    CHECK(strncmp(buf, "HTTP/1.1 413 ", 13) == 0);
    close(fd);
}

static bool has_101(const char *buf, size_t len)
{
    (void)len;
    return strstr(buf, "\r\n\r\n") != NULL;
}

TEST(test_websocket_reaches_chat)
{
    char buf[4096];
    fake = (fake_t){.available = true};
    int fd = client_connect(port);
    static const char up[] = "GET /ws/alice HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    client_send(fd, up, sizeof(up) - 1);
    client_read(fd, buf, sizeof(buf), has_101);
    CHECK(strncmp(buf, "HTTP/1.1 101 ", 13) == 0);
    CHECK_EQ_INT(fake.opened, 1);
    CHECK_EQ_INT(fake.mode, CHAT_MODE_CLIENTID);
    CHECK_EQ_STR(fake.client_id, "alice");
    /* A masked text frame "hi" (RFC 6455 5.3: masked by the client). */
    uint8_t frame[WS_MAX_HEADER + 2];
    uint8_t mask[4] = {1, 2, 3, 4};
    size_t hl = ws_frame_header(frame, WS_OP_TEXT, true, 2, mask);
    frame[hl] = 'h' ^ mask[0];
    frame[hl + 1] = 'i' ^ mask[1];
    client_send(fd, frame, hl + 2);
    for (int i = 0; i < 300 && fake.messages == 0; i++)
        pump(5);
    CHECK_EQ_INT(fake.messages, 1);
    CHECK_EQ_INT(fake.opcode, WS_OP_TEXT);
    CHECK_EQ_STR(fake.data, "hi");
    CHECK_EQ_INT(server_ws_count(srv), 1);
    close(fd);
    for (int i = 0; i < 300 && fake.closed == 0; i++)
        pump(5);
    CHECK_EQ_INT(fake.closed, 1);
    CHECK_EQ_INT(server_ws_count(srv), 0);
}

/* Chat closes the connection from inside open, and frames already followed the handshake. */
TEST(test_websocket_closed_by_chat_at_open)
{
    char buf[4096];
    fake = (fake_t){.available = true};
    int fd = client_connect(port);
    static const char up[] = "GET /ws/taken HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
                             "\x81\x82\x01\x02\x03\x04\x69\x6b";
    client_send(fd, up, sizeof(up) - 1);
    size_t n = client_read(fd, buf, sizeof(buf), NULL);
    CHECK(strncmp(buf, "HTTP/1.1 101 ", 13) == 0);
    const char *end = strstr(buf, "\r\n\r\n");
    /* Then the close frame, 1008, and nothing reached chat but open and closed. */
    CHECK(end && n >= (size_t)(end + 4 - buf) + 4);
    if (end && n >= (size_t)(end + 4 - buf) + 4) {
        const uint8_t *f = (const uint8_t *)end + 4;
        CHECK_EQ_INT(f[0], 0x88);
        CHECK_EQ_INT((f[2] << 8) | f[3], 1008);
    }
    close(fd);
    for (int i = 0; i < 300 && fake.closed == 0; i++)
        pump(5);
    CHECK_EQ_INT(fake.opened, 1);
    CHECK_EQ_INT(fake.messages, 0);
    CHECK_EQ_INT(fake.closed, 1);
}

/* Whole responses at the start of buf: count them. */
static int count_responses(const char *buf, size_t len)
{
    int n = 0;
    size_t off = 0;
    while (off < len) {
        const char *end = strstr(buf + off, "\r\n\r\n");
        if (!end)
            break;
        const char *cl = strstr(buf + off, "Content-Length: ");
        size_t body = cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
        size_t next = (size_t)(end + 4 - buf) + body;
        if (next > len)
            break;
        n++;
        off = next;
    }
    return n;
}

static int want_responses;
static bool responses_done(const char *buf, size_t len)
{
    return count_responses(buf, len) >= want_responses;
}

/* Reads until n whole responses are in buf (or 3 s). */
static size_t read_responses(int fd, char *buf, size_t cap, int n)
{
    want_responses = n;
    return client_read(fd, buf, cap, responses_done);
}

static void wait_requests(int n)
{
    for (int i = 0; i < 600 && fake.requests < n; i++)
        pump(5);
    CHECK_EQ_INT(fake.requests, n);
}

/* Answered inside the call: the pipelined request after it goes on at once. */
TEST(test_api_answered_at_once)
{
    char buf[4096];
    fake = (fake_t){.available = true};
    int fd = client_connect(port);
    static const char raw[] = "GET /api/server HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\n"
                              "Cookie: parley_session=ab\r\n\r\n"
                              "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    client_send(fd, raw, sizeof(raw) - 1);
    size_t n = read_responses(fd, buf, sizeof(buf), 2);
    CHECK_EQ_INT(count_responses(buf, n), 2);
    const char *first = strstr(buf, "\r\n\r\n/api/server");
    const char *second = strstr(buf, "{\"status\":\"ok\"}");
    CHECK(first && second && first < second);
    CHECK_EQ_INT(fake.requests, 1);
    CHECK_EQ_INT(fake.method, HTTP_GET);
    CHECK(fake.keep_alive);
    CHECK_EQ_STR(fake.cookie, "a=1; parley_session=ab");
    CHECK_EQ_STR(fake.addr, "127.0.0.1");
    /* The security headers travel with the request, for every answer the REST layer gives. */
    CHECK(strstr(fake.headers, "connect-src 'self' ws://x wss://x; ") != NULL);
    CHECK(strstr(fake.headers, "\r\nX-Frame-Options: DENY\r\n") != NULL);
    close(fd);
}

/* While an answer is due the connection parses nothing more: requests already received wait,
 * and the answers go out in request order. */
TEST(test_api_in_flight_holds_the_pipeline)
{
    char buf[8192];
    fake = (fake_t){.available = true, .hold = true};
    int fd = client_connect(port);
    static const char raw[] = "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n"
                              "{\"a\":1}"
                              "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST /api/logout HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    client_send(fd, raw, sizeof(raw) - 1);
    wait_requests(1);
    CHECK_EQ_STR(fake.path, "/api/login");
    CHECK_EQ_STR(fake.body, "{\"a\":1}");
    CHECK_EQ_INT(fake.method, HTTP_POST);
    pump(50);
    CHECK_EQ_INT(recv(fd, buf, sizeof(buf), 0), -1); /* nothing answered yet */
    CHECK_EQ_INT(fake.requests, 1);
    answer(&fake, "first");
    wait_requests(2);
    CHECK_EQ_STR(fake.path, "/api/logout");
    size_t n = read_responses(fd, buf, sizeof(buf), 2);
    CHECK_EQ_INT(count_responses(buf, n), 2);
    const char *a = strstr(buf, "\r\n\r\nfirst");
    const char *b = strstr(buf, "{\"status\":\"ok\"}");
    CHECK(a && b && a < b);
    answer(&fake, "third");
    n = read_responses(fd, buf, sizeof(buf), 1);
    CHECK(strstr(buf, "\r\n\r\nthird") != NULL);
    /* Keep-alive: the connection reads again. */
    static const char more[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    client_send(fd, more, sizeof(more) - 1);
    n = read_responses(fd, buf, sizeof(buf), 1);
    CHECK(n > 0 && strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    close(fd);
}

TEST(test_api_connection_close)
{
    char buf[4096];
    fake = (fake_t){.available = true, .hold = true};
    int fd = client_connect(port);
    static const char raw[] = "GET /api/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                              "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    client_send(fd, raw, sizeof(raw) - 1);
    wait_requests(1);
    CHECK(!fake.keep_alive);
    answer(&fake, "bye");
    size_t n = client_read(fd, buf, sizeof(buf), NULL); /* to EOF */
    CHECK_EQ_INT(count_responses(buf, n), 1);
    CHECK(strstr(buf, "\r\n\r\nbye") != NULL);
    CHECK_EQ_INT(fake.requests, 1);
    close(fd);
}

/* The client leaves while its answer is due: the answer finds a dead socket, harmlessly. */
TEST(test_api_client_gone_in_flight)
{
    char buf[4096];
    fake = (fake_t){.available = true, .hold = true};
    int fd = client_connect(port);
    static const char raw[] = "GET /api/me HTTP/1.1\r\nHost: x\r\n\r\n";
    client_send(fd, raw, sizeof(raw) - 1);
    wait_requests(1);
    close(fd);
    pump(20);
    answer(&fake, "late");
    pump(50);
    request(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
}

/* The server stops (its connections close) before the answer: the answer, coming after the
 * server is freed, only releases the wait (ASan checks the memory). */
TEST(test_api_server_stops_in_flight)
{
    fake = (fake_t){.available = true, .hold = true};
    server_chat_t chat = {.ctx = &fake,
                          .open = fake_open,
                          .message = fake_message,
                          .drained = fake_drained,
                          .closed = fake_closed,
                          .request = fake_request,
                          .metrics = fake_metrics};
    server_config_t cfg = {.host = "127.0.0.1",
                           .max_frame = 65536,
                           .max_outbound = 1 << 20,
                           .max_header = 8192,
                           .max_body = 1000,
                           .max_connections = 10,
                           .handshake_timeout_ms = 10000,
                           .host_names = "x"};
    server_t *s2 = server_start(&loop, &cfg, &chat);
    CHECK(s2 != NULL);
    if (!s2)
        return;
    int fd = client_connect(server_port(s2));
    static const char raw[] = "POST /api/logout HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    client_send(fd, raw, sizeof(raw) - 1);
    wait_requests(1);
    server_stop(s2);
    pump(50);
    server_free(s2);
    answer(&fake, "nobody");
    close(fd);
}

static bool got_head(const char *buf, size_t len)
{
    (void)len;
    return strstr(buf, "\r\n\r\n") != NULL;
}

/* An upgrade with extra header lines on a new connection; its answer's head in buf. */
static void upgrade_raw(const char *version, const char *headers, char *buf, size_t cap)
{
    char raw[1024];
    fake = (fake_t){.available = true};
    int n = snprintf(raw, sizeof(raw),
                     "GET /ws HTTP/%s\r\nHost: chat.local:8000\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s\r\n",
                     version, headers);
    int fd = client_connect(port);
    client_send(fd, raw, (size_t)n);
    client_read(fd, buf, cap, got_head);
    close(fd);
}

/* An upgrade that succeeds; returns the credentials chat was opened with. */
static chat_creds_t upgrade_with(const char *headers)
{
    char buf[1024];
    upgrade_raw("1.1", headers, buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 101 ", 13) == 0);
    CHECK_EQ_INT(fake.opened, 1);
    for (int i = 0; i < 300 && fake.closed == 0; i++)
        pump(5);
    return fake.creds;
}

TEST(test_upgrade_credentials)
{
    chat_creds_t c = upgrade_with("Authorization: Bearer abc\r\n");
    CHECK_EQ_STR(c.token, "abc");
    CHECK_EQ_STR(c.addr, "127.0.0.1");
    /* The Bearer wins over a cookie. */
    c = upgrade_with("Authorization: bearer abc\r\nCookie: parley_session=def\r\n"
                     "Origin: http://chat.local:8000\r\n");
    CHECK_EQ_STR(c.token, "abc");
    /* The cookie under the Origin rule: the own origin (https behind a proxy that says so),
     * or a listed one. */
    c = upgrade_with("Cookie: x=1; parley_session=def\r\nOrigin: http://chat.local:8000\r\n");
    CHECK_EQ_STR(c.token, "def");
    c = upgrade_with("Cookie: parley_session=def\r\nOrigin: HTTPS://Chat.Local:8000\r\n"
                     "X-Forwarded-Proto: https\r\n");
    CHECK_EQ_STR(c.token, "def");
    c = upgrade_with("Cookie: parley_session=def\r\nOrigin: https://chat.example.com\r\n");
    CHECK_EQ_STR(c.token, "def");
    /* No Origin at all: a script's socket, which may connect, but its cookie is no
     * credential (the Bearer is). */
    c = upgrade_with("Cookie: parley_session=def\r\n");
    CHECK_EQ_STR(c.token, "");
    /* Another scheme falls back to the cookie; a Bearer that cannot be a token does not. */
    c = upgrade_with("Authorization: Basic Zm9vOmJhcg==\r\nCookie: parley_session=def\r\n"
                     "Origin: http://chat.local:8000\r\n");
    CHECK_EQ_STR(c.token, "def");
    c = upgrade_with("Authorization: Bearer "
                     "0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
                     "Cookie: parley_session=def\r\nOrigin: http://chat.local:8000\r\n");
    CHECK_EQ_STR(c.token, "x");
    c = upgrade_with("");
    CHECK_EQ_STR(c.token, "");
}

/* The doors of an upgrade: another origin's page is refused whatever it carries, and so is
 * HTTP/1.0; neither reaches chat. */
TEST(test_upgrade_refused)
{
    static const char *const foreign[] = {
        "Origin: https://evil.example\r\n",
        "Cookie: parley_session=def\r\nOrigin: https://evil.example\r\n",
        "Authorization: Bearer abc\r\nOrigin: https://evil.example\r\n",
        "Origin: null\r\n",
        "Origin: http://chat.local\r\n",
        "Origin: https://chat.local:8000\r\n", /* our host, but we are not behind https */
    };
    char buf[2048];
    for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        upgrade_raw("1.1", foreign[i], buf, sizeof(buf));
        CHECK(strncmp(buf, "HTTP/1.1 403 ", 13) == 0);
        CHECK(strstr(buf, "{\"error\":\"bad_origin\",") != NULL);
        CHECK_EQ_INT(fake.opened, 0);
    }
    /* RFC 6455 4.1: HTTP/1.1 or later. */
    upgrade_raw("1.0", "Origin: http://chat.local:8000\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 426 ", 13) == 0);
    CHECK(strstr(buf, "\r\nUpgrade: websocket\r\n") != NULL);
    CHECK(strstr(buf, "\r\nConnection: Upgrade, close\r\n") != NULL);
    CHECK_EQ_INT(fake.opened, 0);
    /* The 101 carries no page headers. */
    upgrade_raw("1.1", "Origin: http://chat.local:8000\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 101 ", 13) == 0);
    CHECK(strstr(buf, "Content-Security-Policy") == NULL);
    for (int i = 0; i < 300 && fake.closed == 0; i++)
        pump(5);
}

/* The Host rule, and the headers of every answer. */
TEST(test_host_and_headers)
{
    char buf[4096];
    static const char *const paths[] = {"GET / ", "GET /ws ", "GET /api/me ", "GET /nope "};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char raw[256];
        fake = (fake_t){.available = true};
        (void)snprintf(raw, sizeof(raw), "%sHTTP/1.1\r\nHost: evil.example:%d\r\n\r\n", paths[i],
                       port);
        request(port, raw, buf, sizeof(buf));
        CHECK(strncmp(buf, "HTTP/1.1 421 ", 13) == 0);
        CHECK(strstr(buf, "{\"error\":\"bad_host\",") != NULL);
        CHECK(strstr(buf, "\r\nConnection: close\r\n") != NULL);
        CHECK_EQ_INT(fake.requests, 0);
    }
    /* The health check answers any name; its answer names none in the CSP. */
    request(port, "GET /healthz HTTP/1.1\r\nHost: lb.internal\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    CHECK(strstr(buf, "connect-src 'self'; ") != NULL);
    /* RFC 9112 3.2: HTTP/1.1 needs a valid Host; HTTP/1.0 may leave it out. */
    request(port, "GET / HTTP/1.1\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 400 ", 13) == 0);
    request(port, "GET /healthz HTTP/1.1\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 400 ", 13) == 0);
    request(port, "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 400 ", 13) == 0);
    request(port, "GET / HTTP/1.0\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    /* Ours: an IP literal, localhost, or a configured name, with any port. */
    static const char *const ours[] = {"127.0.0.1:1", "[::1]", "localhost:9",
                                       "a.localhost", "x",     "CHAT.local:8000"};
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        char raw[256], csp[128];
        (void)snprintf(raw, sizeof(raw), "GET /nope HTTP/1.1\r\nHost: %s\r\n\r\n", ours[i]);
        request(port, raw, buf, sizeof(buf));
        CHECK(strncmp(buf, "HTTP/1.1 404 ", 13) == 0);
        (void)snprintf(csp, sizeof(csp), "connect-src 'self' ws://%s wss://%s; ", ours[i], ours[i]);
        CHECK(strstr(buf, csp) != NULL);
    }
    /* Every kind of answer carries them: a page, a file, JSON, an error. */
    static const char *const targets[] = {"/", "/app.js", "/healthz", "/metrics", "/nope", "/ws"};
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        char raw[256];
        (void)snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", targets[i]);
        request(port, raw, buf, sizeof(buf));
        CHECK(strstr(buf, "\r\nContent-Security-Policy: default-src 'self'; ") != NULL);
        CHECK(strstr(buf, "; frame-ancestors 'none'; ") != NULL);
        CHECK(strstr(buf, "\r\nX-Frame-Options: DENY\r\n") != NULL);
        CHECK(strstr(buf, "\r\nReferrer-Policy: no-referrer\r\n") != NULL);
        CHECK(strstr(buf, "\r\nX-Content-Type-Options: nosniff\r\n") != NULL);
    }
}

TEST(test_draining)
{
    char buf[4096];
    server_front_t front = server_front(srv);
    CHECK_EQ_INT(front.port(front.ctx), port);
    front.drain(front.ctx);
    request(port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 503 ", 13) == 0);
    CHECK(strstr(buf, "{\"status\":\"draining\"}") != NULL);
    /* Alive all the same. */
    request(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
    CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
}

int main(void)
{
    CHECK(uv_loop_init(&loop) == 0);
    server_chat_t chat = {.ctx = &fake,
                          .open = fake_open,
                          .message = fake_message,
                          .drained = fake_drained,
                          .closed = fake_closed,
                          .request = fake_request,
                          .metrics = fake_metrics};
    server_config_t cfg = {.host = "127.0.0.1",
                           .max_frame = 65536,
                           .max_outbound = 1 << 20,
                           .max_header = 8192,
                           .max_body = 1000,
                           .max_connections = 10,
                           .handshake_timeout_ms = 10000,
                           .echo_path = "",
                           .deflate = false,
                           .origins = "https://chat.example.com",
                           .host_names = "x, chat.local"};
    srv = server_start(&loop, &cfg, &chat);
    CHECK(srv != NULL);
    if (!srv)
        return TEST_MAIN_END();
    port = server_port(srv);
    RUN(test_healthz_and_metrics_through_chat);
    RUN(test_routes_404_405);
    RUN(test_body_on_a_route_without_one);
    RUN(test_websocket_reaches_chat);
    RUN(test_websocket_closed_by_chat_at_open);
    RUN(test_api_answered_at_once);
    RUN(test_api_in_flight_holds_the_pipeline);
    RUN(test_api_connection_close);
    RUN(test_api_client_gone_in_flight);
    RUN(test_api_server_stops_in_flight);
    RUN(test_upgrade_credentials);
    RUN(test_upgrade_refused);
    RUN(test_host_and_headers);
    RUN(test_draining);
    server_stop(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    server_free(srv);
    CHECK(uv_loop_close(&loop) == 0);
    return TEST_MAIN_END();
}
