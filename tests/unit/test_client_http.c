/* client_http: the answers parley-cli reads, at every split point: a 101 whose frames
 * follow in the same read, bodies by length, chunked and up to the close; what it refuses. */
#include "client/client_http.h"

#include "test.h"

static const char UPGRADE[] = "HTTP/1.1 101 Switching Protocols\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                              "Sec-WebSocket-Protocol: parley.v1\r\n"
                              "\r\n"
                              "\x81\x02hi";

TEST(test_upgrade_at_every_split)
{
    size_t total = sizeof(UPGRADE) - 1, head = total - 4;
    for (size_t split = 0; split <= total; split++) {
        client_http_t r;
        client_http_init(&r);
        size_t used = 0, off = 0;
        int rc = CLIENT_HTTP_MORE;
        if (split > 0) {
            rc = client_http_feed(&r, UPGRADE, split, &used);
            off = used;
        }
        if (rc == CLIENT_HTTP_MORE) {
            CHECK_EQ_INT(used, split);
            rc = client_http_feed(&r, UPGRADE + split, total - split, &used);
            off += used;
        }
        CHECK_EQ_INT(rc, CLIENT_HTTP_DONE);
        CHECK_EQ_INT(off, head);
        CHECK(r.upgraded);
        CHECK_EQ_INT(r.status, 101);
        CHECK(r.ws_accept && !strcmp(r.ws_accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        CHECK(r.ws_protocol && !strcmp(r.ws_protocol, "parley.v1"));
        CHECK(r.upgrade && !strcmp(r.upgrade, "websocket"));
        client_http_deinit(&r);
    }
}

static int read_all(const char *text, size_t step, client_http_t *r, bool eof)
{
    size_t len = strlen(text), used;
    int rc = CLIENT_HTTP_MORE;
    for (size_t off = 0; off < len && rc == CLIENT_HTTP_MORE; off += step) {
        size_t n = len - off < step ? len - off : step;
        rc = client_http_feed(r, text + off, n, &used);
    }
    if (rc == CLIENT_HTTP_MORE && eof)
        rc = client_http_finish(r);
    return rc;
}

TEST(test_bodies)
{
    static const char *len_body = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                                  "Content-Length: 27\r\n\r\n{\"error\":\"bad_credentials\"}";
    static const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n";
    static const char *to_eof = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it";
    const size_t steps[] = {1, 3, 1000};
    for (size_t k = 0; k < 3; k++) {
        client_http_t r;
        client_http_init(&r);
        CHECK_EQ_INT(read_all(len_body, steps[k], &r, false), CLIENT_HTTP_DONE);
        CHECK_EQ_INT(r.status, 401);
        CHECK(!r.upgraded);
        CHECK_EQ_MEM(r.body.data, r.body.len, "{\"error\":\"bad_credentials\"}", 27);
        CHECK(r.content_type && !strcmp(r.content_type, "application/json"));
        client_http_deinit(&r);

        client_http_init(&r);
        CHECK_EQ_INT(read_all(chunked, steps[k], &r, false), CLIENT_HTTP_DONE);
        CHECK_EQ_MEM(r.body.data, r.body.len, "{\"a\":1}", 7);
        client_http_deinit(&r);

        client_http_init(&r);
        CHECK_EQ_INT(read_all(to_eof, steps[k], &r, true), CLIENT_HTTP_DONE);
        CHECK_EQ_MEM(r.body.data, r.body.len, "all of it", 9);
        client_http_deinit(&r);
    }
}

TEST(test_refused)
{
    client_http_t r;
    client_http_init(&r);
    CHECK_EQ_INT(read_all("SSH-2.0-OpenSSH_9.2\r\n", 100, &r, false), CLIENT_HTTP_ERROR);
    CHECK(r.error != NULL);
    client_http_deinit(&r);
    /* A close in the middle of a body. */
    client_http_init(&r);
    CHECK_EQ_INT(read_all("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100, &r, true),
                 CLIENT_HTTP_ERROR);
    client_http_deinit(&r);
    /* A head that never ends. */
    client_http_init(&r);
    CHECK_EQ_INT(read_all("HTTP/1.1 200 OK\r\n", 100, &r, false), CLIENT_HTTP_MORE);
    char line[128];
    int rc = CLIENT_HTTP_MORE;
    size_t used;
    for (int i = 0; i < 1000 && rc == CLIENT_HTTP_MORE; i++) {
        snprintf(line, sizeof(line), "X-Filler-%d: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
                 i);
        rc = client_http_feed(&r, line, strlen(line), &used);
    }
    CHECK_EQ_INT(rc, CLIENT_HTTP_ERROR);
    client_http_deinit(&r);
}

int main(void)
{
    RUN(test_upgrade_at_every_split);
    RUN(test_bodies);
    RUN(test_refused);
    return TEST_MAIN_END();
}
