/* test_http_parse - the request parser, fed every input whole, byte by byte and at every
 * two-way split point; each way must give the same requests, bodies, statuses and offsets. */
#include "http/http_parse.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define HEAD_MAX 8192
#define BODY_MAX 65536

/* RFC 6455 1.2, followed by a masked "Hello" frame (RFC 6455 5.7). */
static const char ws_head[] = "GET /chat HTTP/1.1\r\n"
                              "Host: server.example.com\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Origin: http://example.com\r\n"
                              "Sec-WebSocket-Protocol: chat, superchat\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n";
static const char ws_frame[] = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";

/* Every parser of run takes from this count (no limit): it must equal what the parser holds
 * after every feed, and be back to 0 once the parser is gone. */
static budget_t counted;

static void append(char *out, size_t cap, const char *s)
{
    size_t n = strlen(out);
    (void)snprintf(out + n, cap - n, "%s", s);
}

/* Which bodies the parser keeps (its keep-body callback). */
typedef enum { KEEP_ALL, KEEP_NONE, KEEP_PATH_K } keep_t;

static size_t keep_none(void *ctx, const http_request_t *head)
{
    (void)ctx;
    (void)head;
    return 0;
}

/* Keeps the bodies of paths starting with /k: the callback sees the head. */
static size_t keep_path_k(void *ctx, const http_request_t *head)
{
    (void)ctx;
    return strncmp(head->path, "/k", 2) == 0 && head->body == NULL ? SIZE_MAX : 0;
}

/* A kept body as ":<bytes>", non-printable bytes as \xNN; checks the NUL after it. */
static void describe_body(char *out, size_t cap, const http_request_t *r)
{
    if (!r->body) {
        append(out, cap, r->body_len ? " declined" : "");
        return;
    }
    CHECK(r->body_len > 0);
    CHECK(r->body[r->body_len] == '\0');
    append(out, cap, ":");
    for (uint64_t i = 0; i < r->body_len; i++) {
        unsigned char ch = (unsigned char)r->body[i];
        char e[8];
        if (ch >= 0x20 && ch < 0x7f)
            (void)snprintf(e, sizeof(e), "%c", ch);
        else
            (void)snprintf(e, sizeof(e), "\\x%02x", ch);
        append(out, cap, e);
    }
}

static void describe(char *out, size_t cap, const http_request_t *r)
{
    char line[1024];
    (void)snprintf(line, sizeof(line),
                   "[m=%u v=%u.%u path=%s query=%s host=%s upgrade=%s connection=%s key=%s "
                   "version=%s protocol=%s ext=%s origin=%s body=%llu",
                   r->method, r->http_major, r->http_minor, r->path, r->query ? r->query : "-",
                   r->host ? r->host : "-", r->upgrade ? r->upgrade : "-",
                   r->connection ? r->connection : "-", r->ws_key ? r->ws_key : "-",
                   r->ws_version ? r->ws_version : "-", r->ws_protocol ? r->ws_protocol : "-",
                   r->ws_extensions ? r->ws_extensions : "-", r->origin ? r->origin : "-",
                   (unsigned long long)r->body_len);
    append(out, cap, line);
    /* The credential headers, only when one is there: the older cases stay as they were. */
    if (r->cookie || r->authorization || r->user_agent || r->forwarded_proto) {
        (void)snprintf(line, sizeof(line), " cookie=%s auth=%s ua=%s xfp=%s",
                       r->cookie ? r->cookie : "-", r->authorization ? r->authorization : "-",
                       r->user_agent ? r->user_agent : "-",
                       r->forwarded_proto ? r->forwarded_proto : "-");
        append(out, cap, line);
    }
    describe_body(out, cap, r);
    (void)snprintf(line, sizeof(line), " ka=%d up=%d]", r->keep_alive, r->upgrade_req);
    append(out, cap, line);
}

/* Feeds input in pieces (cut at the offsets in cuts[0..ncuts)), answering each request
 * as a server would, and describes what happened: the requests, then "error=N" or, for an
 * upgrade, "upgrade@offset" (where the new protocol starts in the input). */
static void run(const char *in, size_t len, const size_t *cuts, size_t ncuts, size_t max_head,
                size_t max_body, keep_t keep, char *out, size_t cap)
{
    http_parser_t p;
    http_parser_init(&p, max_head, max_body);
    http_parser_set_budget(&p, &counted);
    if (keep != KEEP_ALL)
        http_parser_keep_body(&p, keep == KEEP_NONE ? keep_none : keep_path_k, NULL);
    out[0] = '\0';
    size_t start = 0;
    for (size_t c = 0; c <= ncuts; c++) {
        size_t end = c < ncuts ? cuts[c] : len;
        size_t off = start;
        while (off < end) {
            http_request_t *req;
            int status = 0;
            ssize_t n = http_parser_feed(&p, in + off, end - off, &req, &status);
            if (budget_used(&counted) != p.held)
                append(out, cap, "miscounted");
            if (n < 0) {
                char e[32];
                (void)snprintf(e, sizeof(e), "error=%d", status);
                append(out, cap, e);
                goto done;
            }
            off += (size_t)n;
            if (!req) {
                if (off != end)
                    append(out, cap, "short-consume");
                break;
            }
            describe(out, cap, req);
            if (req->upgrade_req) {
                char u[32];
                (void)snprintf(u, sizeof(u), "upgrade@%zu", off);
                append(out, cap, u);
                goto done;
            }
            http_parser_next(&p);
        }
        start = end;
    }
done:
    http_parser_deinit(&p);
    if (budget_used(&counted) != 0)
        append(out, cap, "leaked-budget");
}

/* Whole, byte by byte, and at every two-way split: every way must give `expect`. */
static void check_splits_keep(const char *in, size_t len, size_t max_head, size_t max_body,
                              keep_t keep, const char *expect)
{
    size_t cap = 16384;
    char *got = malloc(cap);
    size_t *cuts = malloc((len + 1) * sizeof(*cuts));
    if (!got || !cuts) {
        CHECK(!"out of memory in the test");
        free(got);
        free(cuts);
        return;
    }

    run(in, len, NULL, 0, max_head, max_body, keep, got, cap);
    CHECK_EQ_STR(got, expect);
    if (strcmp(got, expect) != 0)
        (void)fprintf(stderr, "  whole: got    %s\n         expect %s\n", got, expect);

    for (size_t i = 1; i < len; i++)
        cuts[i - 1] = i;
    run(in, len, cuts, len ? len - 1 : 0, max_head, max_body, keep, got, cap);
    CHECK_EQ_STR(got, expect);
    if (strcmp(got, expect) != 0)
        (void)fprintf(stderr, "  byte by byte: got %s\n", got);

    bool all_same = true;
    for (size_t k = 1; k < len; k++) {
        cuts[0] = k;
        run(in, len, cuts, 1, max_head, max_body, keep, got, cap);
        if (strcmp(got, expect) != 0) {
            if (all_same)
                (void)fprintf(stderr, "  split at %zu: got %s\n", k, got);
            all_same = false;
        }
    }
    CHECK(all_same);
    free(got);
    free(cuts);
}

static void check_splits(const char *in, size_t len, size_t max_head, size_t max_body,
                         const char *expect)
{
    check_splits_keep(in, len, max_head, max_body, KEEP_ALL, expect);
}

#define CHECK_SPLITS(lit, expect) check_splits((lit), sizeof(lit) - 1, HEAD_MAX, BODY_MAX, (expect))

/* Feeds one whole buffer and returns the single request (or NULL, with *status). */
static http_request_t *feed_one(http_parser_t *p, const char *in, size_t len, ssize_t *n,
                                int *status)
{
    http_request_t *req = NULL;
    *status = 0;
    *n = http_parser_feed(p, in, len, &req, status);
    return req;
}

TEST(test_simple_get)
{
    static const char in[] = "GET /healthz?verbose=1&x=2 HTTP/1.1\r\n"
                             "Host: localhost:8000\r\n"
                             "User-Agent: test\r\n"
                             "Accept: */*\r\n"
                             "\r\n";
    http_parser_t p;
    http_parser_init(&p, HEAD_MAX, BODY_MAX);
    ssize_t n;
    int status;
    http_request_t *r = feed_one(&p, in, sizeof(in) - 1, &n, &status);
    CHECK_EQ_INT(n, sizeof(in) - 1);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->method, HTTP_GET);
        CHECK_EQ_INT(r->http_major, 1);
        CHECK_EQ_INT(r->http_minor, 1);
        CHECK_EQ_STR(r->path, "/healthz");
        CHECK(r->query && strcmp(r->query, "verbose=1&x=2") == 0);
        CHECK(r->host && strcmp(r->host, "localhost:8000") == 0);
        CHECK(r->upgrade == NULL);
        CHECK(r->connection == NULL);
        CHECK(r->ws_key == NULL);
        CHECK(r->origin == NULL);
        CHECK(r->user_agent && strcmp(r->user_agent, "test") == 0);
        CHECK(r->cookie == NULL && r->authorization == NULL && r->forwarded_proto == NULL);
        CHECK(r->keep_alive);
        CHECK(!r->upgrade_req);
        CHECK_EQ_INT(r->body_len, 0);
    }
    /* Fed again before next: the same request, nothing consumed. */
    http_request_t *again = feed_one(&p, in, sizeof(in) - 1, &n, &status);
    CHECK(again == r);
    CHECK_EQ_INT(n, 0);
    http_parser_next(&p);
    /* An idle parser holds no heap memory. */
    CHECK(p.url.data == NULL);
    for (int i = 0; i < HTTP_HDR_COUNT; i++)
        CHECK(p.hdr[i].data == NULL);
    http_parser_deinit(&p);

    CHECK_SPLITS(in, "[m=1 v=1.1 path=/healthz query=verbose=1&x=2 host=localhost:8000 upgrade=- "
                     "connection=- key=- version=- protocol=- ext=- origin=- body=0 cookie=- "
                     "auth=- ua=test xfp=- ka=1 up=0]");
}

TEST(test_path_and_query_forms)
{
    CHECK_SPLITS("HEAD /a/b?#frag HTTP/1.1\r\n\r\n",
                 "[m=2 v=1.1 path=/a/b query= host=- upgrade=- connection=- key=- version=- "
                 "protocol=- ext=- origin=- body=0 ka=1 up=0]");
    CHECK_SPLITS("GET /x#y?z HTTP/1.1\r\n\r\n",
                 "[m=1 v=1.1 path=/x query=- host=- upgrade=- connection=- key=- version=- "
                 "protocol=- ext=- origin=- body=0 ka=1 up=0]");
    CHECK_SPLITS("OPTIONS * HTTP/1.1\r\n\r\n",
                 "[m=6 v=1.1 path=* query=- host=- upgrade=- connection=- key=- version=- "
                 "protocol=- ext=- origin=- body=0 ka=1 up=0]");
}

TEST(test_pipelined)
{
    static const char in[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                             "GET /b?q HTTP/1.1\r\nHost: h2\r\nConnection: close\r\n\r\n";
    CHECK_SPLITS(in, "[m=1 v=1.1 path=/a query=- host=h upgrade=- connection=- key=- version=- "
                     "protocol=- ext=- origin=- body=0 ka=1 up=0]"
                     "[m=1 v=1.1 path=/b query=q host=h2 upgrade=- connection=close key=- "
                     "version=- protocol=- ext=- origin=- body=0 ka=0 up=0]");

    /* The count returned for the first request is where the second one starts. */
    http_parser_t p;
    http_parser_init(&p, HEAD_MAX, BODY_MAX);
    ssize_t n;
    int status;
    http_request_t *r = feed_one(&p, in, sizeof(in) - 1, &n, &status);
    CHECK(r && strcmp(r->path, "/a") == 0);
    CHECK_EQ_INT(n, strlen("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"));
    http_parser_next(&p);
    r = feed_one(&p, in + n, sizeof(in) - 1 - (size_t)n, &n, &status);
    CHECK(r && strcmp(r->path, "/b") == 0);
    http_parser_deinit(&p);
}

TEST(test_websocket_upgrade)
{
    char in[sizeof(ws_head) + sizeof(ws_frame)];
    size_t hlen = sizeof(ws_head) - 1, flen = sizeof(ws_frame) - 1;
    memcpy(in, ws_head, hlen);
    memcpy(in + hlen, ws_frame, flen);

    http_parser_t p;
    http_parser_init(&p, HEAD_MAX, BODY_MAX);
    ssize_t n;
    int status;
    http_request_t *r = feed_one(&p, in, hlen + flen, &n, &status);
    CHECK(r != NULL);
    CHECK_EQ_INT(n, hlen);
    if (r) {
        CHECK(r->upgrade_req);
        CHECK(r->keep_alive);
        CHECK_EQ_STR(r->path, "/chat");
        CHECK(r->query == NULL);
        CHECK(r->host && strcmp(r->host, "server.example.com") == 0);
        CHECK(r->upgrade && strcmp(r->upgrade, "websocket") == 0);
        CHECK(r->connection && strcmp(r->connection, "Upgrade") == 0);
        CHECK(r->ws_key && strcmp(r->ws_key, "dGhlIHNhbXBsZSBub25jZQ==") == 0);
        CHECK(r->ws_version && strcmp(r->ws_version, "13") == 0);
        CHECK(r->ws_protocol && strcmp(r->ws_protocol, "chat, superchat") == 0);
        CHECK(r->ws_extensions == NULL);
        CHECK(r->origin && strcmp(r->origin, "http://example.com") == 0);
    }
    http_parser_deinit(&p);

    char expect[1024];
    (void)snprintf(expect, sizeof(expect),
                   "[m=1 v=1.1 path=/chat query=- host=server.example.com upgrade=websocket "
                   "connection=Upgrade key=dGhlIHNhbXBsZSBub25jZQ== version=13 protocol=chat, "
                   "superchat ext=- origin=http://example.com body=0 ka=1 up=1]upgrade@%zu",
                   hlen);
    check_splits(in, hlen + flen, HEAD_MAX, BODY_MAX, expect);
}

TEST(test_upgrade_declined_continues_http)
{
    /* h2c is offered and ignored (RFC 9110 7.8): the client goes on speaking HTTP/1.1. */
    static const char in[] = "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                             "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"
                             "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    size_t first = strlen(in) - strlen("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    http_parser_t p;
    http_parser_init(&p, HEAD_MAX, BODY_MAX);
    ssize_t n;
    int status;
    http_request_t *r = feed_one(&p, in, sizeof(in) - 1, &n, &status);
    CHECK(r && r->upgrade_req);
    CHECK(r && r->upgrade && strcmp(r->upgrade, "h2c") == 0);
    CHECK_EQ_INT(n, first);
    http_parser_next(&p);
    r = feed_one(&p, in + n, sizeof(in) - 1 - (size_t)n, &n, &status);
    CHECK(r && !r->upgrade_req && strcmp(r->path, "/b") == 0);
    CHECK_EQ_INT(n, sizeof(in) - 1 - first);
    http_parser_deinit(&p);
}

TEST(test_header_split_across_feeds)
{
    static const char *parts[] = {"GET / HTTP/1.1\r\nSec-WebSo",
                                  "cket-Key: dGhlIHNh",
                                  "bXBsZSBub25jZQ==  ",
                                  "\r\nHo",
                                  "st:",
                                  " a",
                                  "b\r",
                                  "\n\r",
                                  "\n"};
    http_parser_t p;
    http_parser_init(&p, HEAD_MAX, BODY_MAX);
    http_request_t *r = NULL;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        int status = 0;
        ssize_t n = http_parser_feed(&p, parts[i], strlen(parts[i]), &r, &status);
        CHECK_EQ_INT(n, strlen(parts[i]));
        CHECK(i + 1 == sizeof(parts) / sizeof(parts[0]) ? r != NULL : r == NULL);
    }
    CHECK(r && r->ws_key && strcmp(r->ws_key, "dGhlIHNhbXBsZSBub25jZQ==") == 0);
    CHECK(r && r->host && strcmp(r->host, "ab") == 0);
    http_parser_deinit(&p);
}

TEST(test_repeated_and_case_insensitive_headers)
{
    static const char in[] = "GET / HTTP/1.1\r\n"
                             "hOsT: h\r\n"
                             "SEC-WEBSOCKET-PROTOCOL: chat\r\n"
                             "X-Other: 1\r\n"
                             "sec-websocket-protocol:   superchat  \r\n"
                             "Sec-WebSocket-Extensions: \r\n"
                             "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                             "Sec-WebSocket-Extensions:\t \r\n"
                             "Origin:\r\n"
                             "CONNECTION: keep-alive\r\n"
                             "connection: Upgrade\r\n"
                             "upgrade: websocket\r\n"
                             "\r\n";
    char expect[512];
    (void)snprintf(expect, sizeof(expect),
                   "[m=1 v=1.1 path=/ query=- host=h upgrade=websocket connection=keep-alive, "
                   "Upgrade key=- version=- protocol=chat, superchat ext=permessage-deflate "
                   "origin= body=0 ka=1 up=1]upgrade@%zu",
                   sizeof(in) - 1);
    check_splits(in, sizeof(in) - 1, HEAD_MAX, BODY_MAX, expect);
    /* A name longer than any collected one, but sharing a prefix, matches nothing. */
    CHECK_SPLITS(
        "GET / HTTP/1.1\r\nHost-And-Something-Much-Longer-Than-32: x\r\nOriginal: y\r\n\r\n",
        "[m=1 v=1.1 path=/ query=- host=- upgrade=- connection=- key=- version=- "
        "protocol=- ext=- origin=- body=0 ka=1 up=0]");
}

/* The headers the REST layer and the upgrade read: Cookie lines join with "; " (one cookie
 * string), the others with ", " as any list. */
TEST(test_credential_headers)
{
    CHECK_SPLITS("POST /api/login HTTP/1.1\r\nHost: h\r\ncookie: a=1\r\n"
                 "Authorization:  Bearer abc \r\nCOOKIE: parley_session=ff\r\n"
                 "User-Agent: curl/8.0\r\nX-Forwarded-Proto: https\r\n"
                 "X-Forwarded-Proto: http\r\nContent-Length: 2\r\n\r\n{}",
                 "[m=3 v=1.1 path=/api/login query=- host=h upgrade=- connection=- key=- "
                 "version=- protocol=- ext=- origin=- body=2 cookie=a=1; parley_session=ff "
                 "auth=Bearer abc ua=curl/8.0 xfp=https, http:{} ka=1 up=0]");
    /* An empty repeat adds nothing; an empty first one is present but empty. */
    CHECK_SPLITS("GET / HTTP/1.1\r\nHost: h\r\nCookie:\r\nCookie: x=1\r\nCookie: \r\n\r\n",
                 "[m=1 v=1.1 path=/ query=- host=h upgrade=- connection=- key=- version=- "
                 "protocol=- ext=- origin=- body=0 cookie=x=1 auth=- ua=- xfp=- ka=1 up=0]");
}

TEST(test_obs_fold_and_trailers)
{
    /* An obs-fold becomes one space (RFC 9112 5.2). */
    CHECK_SPLITS("GET / HTTP/1.1\r\nOrigin: a\r\n  b\r\n\r\n",
                 "[m=1 v=1.1 path=/ query=- host=- upgrade=- connection=- key=- version=- "
                 "protocol=- ext=- origin=a  b body=0 ka=1 up=0]");
    /* Trailer fields do not reach the request. */
    CHECK_SPLITS("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\nabc\r\n0\r\nHost: evil\r\nOrigin: evil\r\n\r\n",
                 "[m=3 v=1.1 path=/ query=- host=h upgrade=- connection=- key=- version=- "
                 "protocol=- ext=- origin=- body=3:abc ka=1 up=0]");
}

TEST(test_malformed)
{
    CHECK_SPLITS("GET/ HTTP/1.1\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/1.1 extra\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/9.1\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/2.0\r\n\r\n", "error=400");
    CHECK_SPLITS("GET /\r\n\r\n", "error=400"); /* HTTP/0.9 */
    CHECK_SPLITS("get / HTTP/1.1\r\n\r\n", "error=400");
    CHECK_SPLITS("GET /a b HTTP/1.1\r\n\r\n", "error=400");
    CHECK_SPLITS("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "error=400"); /* TLS */
    CHECK_SPLITS("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/1.1\r\nNoColon\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "error=400");
    /* Whitespace in or after a name (RFC 9112 5.1), an empty name, two Hosts (9112 3.2). */
    CHECK_SPLITS("GET / HTTP/1.1\r\nHost : h\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/1.1\r\nHo st: h\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/1.1\r\n: h\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", "error=400");
    /* A good request, then garbage: the first one still comes out. */
    CHECK_SPLITS("GET / HTTP/1.1\r\n\r\nBLAH\r\n\r\n",
                 "[m=1 v=1.1 path=/ query=- host=- upgrade=- connection=- key=- version=- "
                 "protocol=- ext=- origin=- body=0 ka=1 up=0]error=400");
}

TEST(test_injection)
{
    static const char nul[] = "GET / HTTP/1.1\r\nSec-WebSocket-Key: abc\0def\r\n\r\n";
    check_splits(nul, sizeof(nul) - 1, HEAD_MAX, BODY_MAX, "error=400");
    static const char nul_url[] = "GET /a\0b HTTP/1.1\r\n\r\n";
    check_splits(nul_url, sizeof(nul_url) - 1, HEAD_MAX, BODY_MAX, "error=400");
    CHECK_SPLITS("GET / HTTP/1.1\r\nHost: a\rX-Evil: b\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/1.1\r\nHost: a\nX-Evil: b\r\n\r\n", "error=400");
    CHECK_SPLITS("GET / HTTP/1.1\r\nOrigin: a\x01z\r\n\r\n", "error=400");
    CHECK_SPLITS("GET /a\rb HTTP/1.1\r\n\r\n", "error=400");
    CHECK_SPLITS("GET /a\nHost: b HTTP/1.1\r\n\r\n", "error=400");
}

/* A request head of exactly `size` bytes, padded with one header. */
static size_t make_head(char *out, size_t size)
{
    static const char pre[] = "GET / HTTP/1.1\r\nX-Pad: ";
    static const char post[] = "\r\n\r\n";
    size_t fixed = sizeof(pre) - 1 + sizeof(post) - 1;
    memcpy(out, pre, sizeof(pre) - 1);
    memset(out + sizeof(pre) - 1, 'a', size - fixed);
    memcpy(out + size - (sizeof(post) - 1), post, sizeof(post) - 1);
    return size;
}

TEST(test_head_limit)
{
    enum { LIMIT = 200 };
    char in[LIMIT + 2];
    static const char ok[] = "[m=1 v=1.1 path=/ query=- host=- upgrade=- connection=- key=- "
                             "version=- protocol=- ext=- origin=- body=0 ka=1 up=0]";
    check_splits(in, make_head(in, LIMIT), LIMIT, BODY_MAX, ok);
    check_splits(in, make_head(in, LIMIT + 1), LIMIT, BODY_MAX, "error=431");
    /* No end of head at all: fails once the limit is passed, not before. */
    memset(in, 'a', sizeof(in));
    memcpy(in, "GET /", 5);
    check_splits(in, LIMIT, LIMIT, BODY_MAX, "");
    check_splits(in, LIMIT + 1, LIMIT, BODY_MAX, "error=431");

    /* The limit is per request: two heads of LIMIT bytes each, pipelined. */
    char two[2 * LIMIT];
    make_head(two, LIMIT);
    make_head(two + LIMIT, LIMIT);
    char expect[512];
    (void)snprintf(expect, sizeof(expect), "%s%s", ok, ok);
    check_splits(two, sizeof(two), LIMIT, BODY_MAX, expect);

    /* The default 8 KiB limit, fed byte by byte. */
    char *big = malloc(HEAD_MAX + 1);
    if (big) {
        http_parser_t p;
        http_parser_init(&p, HEAD_MAX, BODY_MAX);
        size_t len = make_head(big, HEAD_MAX + 1), i;
        int status = 0;
        ssize_t n = 0;
        http_request_t *r = NULL;
        for (i = 0; i < len && n >= 0; i++)
            n = http_parser_feed(&p, big + i, 1, &r, &status);
        CHECK_EQ_INT(n, -1);
        CHECK_EQ_INT(status, 431);
        CHECK_EQ_INT(i, HEAD_MAX + 1); /* failed on the first byte past the limit */
        /* Sticky: the next call fails the same way. */
        status = 0;
        CHECK_EQ_INT(http_parser_feed(&p, "\r\n", 2, &r, &status), -1);
        CHECK_EQ_INT(status, 431);
        http_parser_deinit(&p);
        free(big);
    }
}

TEST(test_header_count_limit)
{
    char in[4096];
    for (int count = HTTP_MAX_HEADERS; count <= HTTP_MAX_HEADERS + 1; count++) {
        size_t len = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\n");
        for (int i = 0; i < count; i++)
            len += (size_t)snprintf(in + len, sizeof(in) - len, "X-H%d: v\r\n", i);
        len += (size_t)snprintf(in + len, sizeof(in) - len, "\r\n");
        check_splits(in, len, HEAD_MAX, BODY_MAX,
                     count == HTTP_MAX_HEADERS
                         ? "[m=1 v=1.1 path=/ query=- host=- upgrade=- connection=- key=- "
                           "version=- protocol=- ext=- origin=- body=0 ka=1 up=0]"
                         : "error=431");
    }
}

/* The fields every request below shares, up to "body=". */
#define NOHDR "query=- host=- upgrade=- connection=- key=- version=- protocol=- ext=- origin=- "

TEST(test_body_kept)
{
    /* Content-Length, then a pipelined request: the body is exactly its bytes. */
    CHECK_SPLITS("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /y HTTP/1.1\r\n\r\n",
                 "[m=3 v=1.1 path=/x " NOHDR "body=5:hello ka=1 up=0]"
                 "[m=1 v=1.1 path=/y " NOHDR "body=0 ka=1 up=0]");
    /* Chunked, with an extension and a trailer: the chunks joined, nothing of the framing. */
    CHECK_SPLITS("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "4;ext=1\r\nabcd\r\n2\r\nef\r\n0\r\nX-T: 1\r\n\r\nGET /y HTTP/1.1\r\n\r\n",
                 "[m=4 v=1.1 path=/x " NOHDR "body=6:abcdef ka=1 up=0]"
                 "[m=1 v=1.1 path=/y " NOHDR "body=0 ka=1 up=0]");
    /* Binary bytes (a NUL, CR, LF) are body like any other. */
    static const char bin[] = "POST /b HTTP/1.1\r\nContent-Length: 4\r\n\r\na\0\r\n";
    check_splits(bin, sizeof(bin) - 1, HEAD_MAX, BODY_MAX,
                 "[m=3 v=1.1 path=/b " NOHDR "body=4:a\\x00\\x0d\\x0a ka=1 up=0]");
    /* Two bodies back to back, and an empty one: each request has its own. */
    CHECK_SPLITS("POST /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                 "POST /2 HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
                 "POST /3 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                 "POST /4 HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nxy",
                 "[m=3 v=1.1 path=/1 " NOHDR "body=3:abc ka=1 up=0]"
                 "[m=3 v=1.1 path=/2 " NOHDR "body=0 ka=1 up=0]"
                 "[m=3 v=1.1 path=/3 " NOHDR "body=0 ka=1 up=0]"
                 "[m=3 v=1.1 path=/4 query=- host=- upgrade=- connection=close key=- "
                 "version=- protocol=- ext=- origin=- body=2:xy ka=0 up=0]");
    /* A body on a GET is read like any other (whether to use it is the route's business). */
    CHECK_SPLITS("GET /g HTTP/1.1\r\nContent-Length: 1\r\n\r\nzGET /h HTTP/1.1\r\n\r\n",
                 "[m=1 v=1.1 path=/g " NOHDR "body=1:z ka=1 up=0]"
                 "[m=1 v=1.1 path=/h " NOHDR "body=0 ka=1 up=0]");
}

TEST(test_body_declined)
{
    /* Declined bodies are read through and counted: the next request is still found. */
    static const char in[] = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                             "POST /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "2\r\nok\r\n0\r\n\r\n"
                             "PUT /y HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "1\r\nq\r\n0\r\n\r\nGET /z HTTP/1.1\r\n\r\n";
    check_splits_keep(in, sizeof(in) - 1, HEAD_MAX, BODY_MAX, KEEP_NONE,
                      "[m=3 v=1.1 path=/x " NOHDR "body=5 declined ka=1 up=0]"
                      "[m=3 v=1.1 path=/k " NOHDR "body=2 declined ka=1 up=0]"
                      "[m=4 v=1.1 path=/y " NOHDR "body=1 declined ka=1 up=0]"
                      "[m=1 v=1.1 path=/z " NOHDR "body=0 ka=1 up=0]");
    /* Decided per request, from its head. */
    check_splits_keep(in, sizeof(in) - 1, HEAD_MAX, BODY_MAX, KEEP_PATH_K,
                      "[m=3 v=1.1 path=/x " NOHDR "body=5 declined ka=1 up=0]"
                      "[m=3 v=1.1 path=/k " NOHDR "body=2:ok ka=1 up=0]"
                      "[m=4 v=1.1 path=/y " NOHDR "body=1 declined ka=1 up=0]"
                      "[m=1 v=1.1 path=/z " NOHDR "body=0 ka=1 up=0]");
    /* The limit holds for declined bodies too. */
    static const char big[] = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "3\r\nabc\r\n2\r\nde\r\n";
    check_splits_keep(big, sizeof(big) - 1, HEAD_MAX, 4, KEEP_NONE, "error=413");
}

TEST(test_body_beyond_head_window)
{
    /* The head limit bounds the head only: a body longer than max_head still passes. */
    char in[512], expect[1024];
    int len = snprintf(in, sizeof(in),
                       "POST / HTTP/1.1\r\nContent-Length: 300\r\n\r\n%300d"
                       "GET /n HTTP/1.1\r\n\r\n",
                       7);
    (void)snprintf(expect, sizeof(expect),
                   "[m=3 v=1.1 path=/ " NOHDR "body=300:%300d ka=1 up=0]"
                   "[m=1 v=1.1 path=/n " NOHDR "body=0 ka=1 up=0]",
                   7);
    check_splits(in, (size_t)len, 64, BODY_MAX, expect);
    /* An upgrade with a body: the new protocol starts after the body. */
    static const char up[] = "POST /ws HTTP/1.1\r\nUpgrade: x\r\nConnection: upgrade\r\n"
                             "Content-Length: 2\r\n\r\nabNEW";
    (void)snprintf(
        expect, sizeof(expect),
        "[m=3 v=1.1 path=/ws query=- host=- upgrade=x connection=upgrade key=- version=- "
        "protocol=- ext=- origin=- body=2:ab ka=1 up=1]upgrade@%zu",
        sizeof(up) - 1 - 3);
    check_splits(up, sizeof(up) - 1, HEAD_MAX, BODY_MAX, expect);
}

TEST(test_body_limit)
{
    /* Exactly at the limit is fine; one more byte is 413, decided from Content-Length before
     * any of the body arrives. */
    static const char at[] = "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd";
    check_splits(at, sizeof(at) - 1, HEAD_MAX, 4,
                 "[m=3 v=1.1 path=/ " NOHDR "body=4:abcd ka=1 up=0]");
    static const char over[] = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
    check_splits(over, sizeof(over) - 1, HEAD_MAX, 4, "error=413");
    CHECK_SPLITS("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", "error=413");
    CHECK_SPLITS("POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", "error=400");
    /* Chunked: counted as it arrives, so the 413 comes with the byte past the limit. */
    static const char chunked[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "3\r\nabc\r\n2\r\nde\r\n";
    check_splits(chunked, sizeof(chunked) - 1, HEAD_MAX, 4, "error=413");
    check_splits(chunked, sizeof(chunked) - 1, HEAD_MAX, 5, "");
    static const char chunked_at[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    check_splits(chunked_at, sizeof(chunked_at) - 1, HEAD_MAX, 5,
                 "[m=3 v=1.1 path=/ " NOHDR "body=5:abcde ka=1 up=0]");
    /* No body allowed at all. */
    check_splits(at, sizeof(at) - 1, HEAD_MAX, 0, "error=413");
    static const char empty[] = "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    check_splits(empty, sizeof(empty) - 1, HEAD_MAX, 0,
                 "[m=3 v=1.1 path=/ " NOHDR "body=0 ka=1 up=0]");
}

static size_t keep_3(void *ctx, const http_request_t *head)
{
    (void)ctx;
    (void)head;
    return 3;
}

/* A route's own smaller bound: past it 413, before the body when its length is declared,
 * at the byte past it when chunked; within it the body is kept as usual. */
TEST(test_body_route_limit)
{
    static const struct {
        const char *in;
        int status;
    } cases[] = {
        {"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n", 413},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n", 413},
        {"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_parser_t p;
        http_parser_init(&p, HEAD_MAX, 1024);
        http_parser_keep_body(&p, keep_3, NULL);
        ssize_t n;
        int status;
        http_request_t *r = feed_one(&p, cases[i].in, strlen(cases[i].in), &n, &status);
        CHECK_EQ_INT(status, cases[i].status);
        if (cases[i].status == 0) {
            CHECK(r != NULL && r->body_len == 3 && memcmp(r->body, "abc", 3) == 0);
        } else {
            CHECK(n < 0);
        }
        http_parser_deinit(&p);
    }
}

/* Keeps bodies of paths starting with /big up to 8 bytes, any other body up to 3 (and
 * declines those of /drop). */
static size_t keep_big(void *ctx, const http_request_t *head)
{
    (void)ctx;
    return strncmp(head->path, "/big", 4) == 0 ? 8 : strncmp(head->path, "/drop", 5) == 0 ? 0 : 3;
}

/* http_parser_set_max_kept: a route may keep more than max_body (an upload), up to max_kept
 * and its own limit; every other body, kept or not, stays within max_body. */
TEST(test_body_max_kept)
{
    static const struct {
        const char *in;
        int status;
        uint64_t len;
    } cases[] = {
        {"POST /big HTTP/1.1\r\nContent-Length: 8\r\n\r\n12345678", 0, 8},
        {"POST /big HTTP/1.1\r\nContent-Length: 9\r\n\r\n", 413, 0},
        {"POST /big HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n", 413, 0},
        {"POST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\n", 413, 0},
        {"POST /drop HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 413, 0},
        {"POST /drop HTTP/1.1\r\nContent-Length: 4\r\n\r\n1234", 0, 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_parser_t p;
        http_parser_init(&p, HEAD_MAX, 4);
        http_parser_keep_body(&p, keep_big, NULL);
        http_parser_set_max_kept(&p, 100);
        ssize_t n;
        int status;
        http_request_t *r = feed_one(&p, cases[i].in, strlen(cases[i].in), &n, &status);
        CHECK_EQ_INT(status, cases[i].status);
        if (cases[i].status == 0)
            CHECK(r != NULL && r->body_len == cases[i].len);
        http_parser_deinit(&p);
    }
}

TEST(test_body_malformed)
{
    /* Chunk framing llhttp refuses: a bad size, a size overflow, data longer than its size,
     * a missing CRLF after the data; Content-Length with chunked (RFC 9112 6.3). */
    CHECK_SPLITS("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "error=400");
    CHECK_SPLITS("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "fffffffffffffffff\r\n",
                 "error=400");
    CHECK_SPLITS("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "error=400");
    CHECK_SPLITS("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab0\r\n\r\n",
                 "error=400");
    CHECK_SPLITS("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\nabc\r\n0\r\n\r\n",
                 "error=400");
    /* Chunked not last is not a framing a request may use (RFC 9112 6.3). */
    CHECK_SPLITS("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "error=400");
    /* A body that never finishes: no request, everything consumed, nothing leaked. */
    CHECK_SPLITS("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", "");
    CHECK_SPLITS("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "");
}

/* A big body fed byte by byte: one allocation of its final size (Content-Length), and the
 * buffer is gone once the request is released. */
TEST(test_body_one_buffer)
{
    enum { N = 50000 };
    char head[128];
    int hl = snprintf(head, sizeof(head), "PUT /big HTTP/1.1\r\nContent-Length: %d\r\n\r\n", N);
    char *in = malloc((size_t)hl + N);
    if (!in) {
        CHECK(!"out of memory in the test");
        return;
    }
    memcpy(in, head, (size_t)hl);
    for (int i = 0; i < N; i++)
        in[hl + i] = (char)('a' + i % 26);
    http_parser_t p;
    http_parser_init(&p, HEAD_MAX, N);
    http_request_t *r = NULL;
    int status = 0;
    const char *first = NULL;
    for (int i = 0; i < hl + N && !r; i++) {
        CHECK_EQ_INT(http_parser_feed(&p, in + i, 1, &r, &status), 1);
        if (i >= hl && !first)
            first = p.body;
        CHECK(i < hl || p.body == first);
    }
    CHECK(r != NULL);
    CHECK_EQ_INT(p.body_cap, N + 1);
    if (r) {
        CHECK_EQ_INT(r->body_len, N);
        CHECK(r->body == first);
        CHECK_EQ_MEM(r->body, r->body_len, in + hl, N);
    }
    http_parser_next(&p);
    CHECK(p.body == NULL);
    http_parser_deinit(&p);
    free(in);
}

TEST(test_keep_alive_semantics)
{
    static const char d[] = "query=- host=- upgrade=- connection=- key=- version=- protocol=- "
                            "ext=- origin=- body=0";
    char expect[512];
    /* HTTP/1.0 closes unless asked; the bytes after a closing request are ignored. */
    (void)snprintf(expect, sizeof(expect), "[m=1 v=1.0 path=/ %s ka=0 up=0]", d);
    CHECK_SPLITS("GET / HTTP/1.0\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n", expect);
    CHECK_SPLITS("GET / HTTP/1.0\r\n\r\ngarbage", expect);
    (void)snprintf(
        expect, sizeof(expect),
        "[m=1 v=1.0 path=/ query=- host=- upgrade=- connection=keep-alive key=- "
        "version=- protocol=- ext=- origin=- body=0 ka=1 up=0][m=1 v=1.0 path=/b %s ka=0 "
        "up=0]",
        d);
    CHECK_SPLITS("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n", expect);
    /* HTTP/1.1 keeps alive unless "close". */
    (void)snprintf(expect, sizeof(expect),
                   "[m=1 v=1.1 path=/ query=- host=- upgrade=- connection=close key=- version=- "
                   "protocol=- ext=- origin=- body=0 ka=0 up=0]");
    CHECK_SPLITS("GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n", expect);
}

TEST(test_leading_empty_lines)
{
    /* RFC 9112 2.2: empty lines before a request line are ignored. */
    CHECK_SPLITS("\r\n\r\nGET / HTTP/1.1\r\n\r\n",
                 "[m=1 v=1.1 path=/ query=- host=- upgrade=- connection=- key=- version=- "
                 "protocol=- ext=- origin=- body=0 ka=1 up=0]");
}

/* The budget: the strings and the body of a request are taken from it before they are
 * allocated, and given back when the request is released; a growth it refuses is 503. */
TEST(test_budget)
{
    static const char get[] = "GET /a/long/path/to/take/some/bytes HTTP/1.1\r\nHost: h\r\n\r\n";
    budget_t b;
    budget_init(&b, 4096);
    http_parser_t p, q;
    http_parser_init(&p, HEAD_MAX, BODY_MAX);
    http_parser_init(&q, HEAD_MAX, BODY_MAX);
    http_parser_set_budget(&p, &b);
    http_parser_set_budget(&q, &b);
    ssize_t n;
    int status;
    http_request_t *r = feed_one(&p, get, sizeof(get) - 1, &n, &status);
    CHECK(r != NULL);
    CHECK(budget_used(&b) > 0 && budget_used(&b) == p.held);
    http_parser_next(&p);
    CHECK_EQ_INT(budget_used(&b), 0);
    /* A declared body is allocated at the head's end: past the budget, 503 before any of it. */
    static const char post[] = "POST /k HTTP/1.1\r\nContent-Length: 5000\r\n\r\n";
    CHECK(feed_one(&p, post, sizeof(post) - 1, &n, &status) == NULL);
    CHECK_EQ_INT(n, -1);
    CHECK_EQ_INT(status, 503);
    /* One parser holds most of it; the other's next growth is refused, the first's is not. */
    static const char part[] = "POST /k HTTP/1.1\r\nContent-Length: 3000\r\n\r\nabc";
    CHECK(feed_one(&q, part, sizeof(part) - 1, &n, &status) == NULL);
    CHECK_EQ_INT(n, sizeof(part) - 1);
    http_parser_deinit(&p);
    CHECK_EQ_INT(budget_used(&b), q.held);
    http_parser_init(&p, HEAD_MAX, BODY_MAX);
    http_parser_set_budget(&p, &b);
    char url[1200] = "GET /";
    memset(url + 5, 'u', 1100);
    memcpy(url + 1105, " HTTP/1.1\r\n", 12);
    CHECK(feed_one(&p, url, 1117, &n, &status) == NULL);
    CHECK_EQ_INT(n, -1);
    CHECK_EQ_INT(status, 503);
    http_parser_deinit(&p);
    CHECK_EQ_INT(budget_used(&b), q.held);
    http_parser_deinit(&q);
    CHECK_EQ_INT(budget_used(&b), 0);
}

int main(void)
{
    RUN(test_simple_get);
    RUN(test_path_and_query_forms);
    RUN(test_pipelined);
    RUN(test_websocket_upgrade);
    RUN(test_upgrade_declined_continues_http);
    RUN(test_header_split_across_feeds);
    RUN(test_repeated_and_case_insensitive_headers);
    RUN(test_credential_headers);
    RUN(test_obs_fold_and_trailers);
    RUN(test_malformed);
    RUN(test_injection);
    RUN(test_head_limit);
    RUN(test_header_count_limit);
    RUN(test_body_kept);
    RUN(test_body_declined);
    RUN(test_body_beyond_head_window);
    RUN(test_body_limit);
    RUN(test_body_route_limit);
    RUN(test_body_malformed);
    RUN(test_body_one_buffer);
    RUN(test_keep_alive_semantics);
    RUN(test_leading_empty_lines);
    RUN(test_budget);
    RUN(test_body_max_kept);
    return TEST_MAIN_END();
}
