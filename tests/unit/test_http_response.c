/* test_http_response - exact bytes of the response builders, and every too-small buffer. */
#include "http/http_response.h"

#include <string.h>

#include "test.h"

#define CHECK_OUT(n, buf, lit)                                                                     \
    do {                                                                                           \
        CHECK_EQ_INT((n), sizeof(lit) - 1);                                                        \
        if ((n) >= 0)                                                                              \
            CHECK_EQ_MEM((buf), (size_t)(n), (lit), sizeof(lit) - 1);                              \
    } while (0)

TEST(test_status_text)
{
    static const int known[] = {101, 200, 204, 400, 403, 404, 405, 413, 421, 426, 431, 500, 503};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        CHECK(http_status_text(known[i])[0] != '\0');
    CHECK_EQ_STR(http_status_text(101), "Switching Protocols");
    CHECK_EQ_STR(http_status_text(200), "OK");
    CHECK_EQ_STR(http_status_text(413), "Content Too Large");
    CHECK_EQ_STR(http_status_text(431), "Request Header Fields Too Large");
    CHECK_EQ_STR(http_status_text(421), "Misdirected Request");
    CHECK_EQ_STR(http_status_text(299), "");
    CHECK_EQ_STR(http_status_text(-1), "");
}

TEST(test_head_200)
{
    char buf[512];
    int n = http_response_head(buf, sizeof(buf), 200, "text/html; charset=utf-8", 1234, true,
                               "Cache-Control: no-store\r\n");
    CHECK_OUT(n, buf,
              "HTTP/1.1 200 OK\r\n"
              "Server: parley\r\n"
              "Content-Type: text/html; charset=utf-8\r\n"
              "Content-Length: 1234\r\n"
              "Connection: keep-alive\r\n"
              "Cache-Control: no-store\r\n"
              "\r\n");

    n = http_response_head(buf, sizeof(buf), 503, NULL, 0, false, NULL);
    CHECK_OUT(n, buf,
              "HTTP/1.1 503 Service Unavailable\r\n"
              "Server: parley\r\n"
              "Content-Length: 0\r\n"
              "Connection: close\r\n"
              "\r\n");

    /* 204 carries no Content-Length (RFC 9110 8.6); an unknown code has an empty reason. */
    n = http_response_head(buf, sizeof(buf), 204, NULL, 0, true, "");
    CHECK_OUT(n, buf,
              "HTTP/1.1 204 No Content\r\nServer: parley\r\nConnection: keep-alive\r\n\r\n");
    n = http_response_head(buf, sizeof(buf), 299, NULL, 0, true, NULL);
    CHECK_OUT(n, buf,
              "HTTP/1.1 299 \r\nServer: parley\r\nContent-Length: 0\r\n"
              "Connection: keep-alive\r\n\r\n");
}

TEST(test_head_refusals)
{
    char buf[512];
    CHECK_EQ_INT(http_response_head(buf, sizeof(buf), 99, NULL, 0, true, NULL), -1);
    CHECK_EQ_INT(http_response_head(buf, sizeof(buf), 600, NULL, 0, true, NULL), -1);
    CHECK_EQ_INT(http_response_head(buf, sizeof(buf), 200, "text/plain\r\nX: y", 0, true, NULL),
                 -1);
    CHECK_EQ_INT(http_response_head(buf, sizeof(buf), 200, NULL, 0, true, "X-A: b"), -1);
    CHECK_EQ_INT(http_response_101(buf, sizeof(buf), "abc\r\n", NULL), -1);
    CHECK_EQ_INT(http_response_101(buf, sizeof(buf), "abc", "chat\n"), -1);

    /* Every buffer shorter than the response fails; the exact size fits. */
    int full = http_response_head(buf, sizeof(buf), 200, "text/plain", 5, true, NULL);
    CHECK(full > 0);
    char small[512];
    for (int cap = 0; cap < full; cap++)
        CHECK_EQ_INT(http_response_head(small, (size_t)cap, 200, "text/plain", 5, true, NULL), -1);
    CHECK_EQ_INT(http_response_head(small, (size_t)full, 200, "text/plain", 5, true, NULL), full);
    CHECK_EQ_MEM(small, (size_t)full, buf, (size_t)full);
}

TEST(test_101)
{
    char buf[512];
    /* RFC 6455 1.3: the accept value for the key "dGhlIHNhbXBsZSBub25jZQ==". */
    int n = http_response_101(buf, sizeof(buf), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "parley.v1");
    CHECK_OUT(n, buf,
              "HTTP/1.1 101 Switching Protocols\r\n"
              "Server: parley\r\n"
              "Upgrade: websocket\r\n"
              "Connection: Upgrade\r\n"
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
              "Sec-WebSocket-Protocol: parley.v1\r\n"
              "\r\n");
    n = http_response_101(buf, sizeof(buf), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", NULL);
    CHECK_OUT(n, buf,
              "HTTP/1.1 101 Switching Protocols\r\n"
              "Server: parley\r\n"
              "Upgrade: websocket\r\n"
              "Connection: Upgrade\r\n"
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
              "\r\n");
    for (int cap = 0; cap < n; cap++)
        CHECK_EQ_INT(http_response_101(buf, (size_t)cap, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", NULL), -1);
}

TEST(test_error)
{
    char buf[512];
    int n = http_response_error(buf, sizeof(buf), 404, true, false, NULL);
    CHECK_OUT(n, buf,
              "HTTP/1.1 404 Not Found\r\n"
              "Server: parley\r\n"
              "Content-Type: application/json\r\n"
              "Content-Length: 21\r\n"
              "Connection: keep-alive\r\n"
              "Cache-Control: no-store\r\n"
              "\r\n"
              "{\"error\":\"not found\"}");
    /* HEAD: the same head, no body. */
    n = http_response_error(buf, sizeof(buf), 404, true, true, NULL);
    CHECK_OUT(n, buf,
              "HTTP/1.1 404 Not Found\r\n"
              "Server: parley\r\n"
              "Content-Type: application/json\r\n"
              "Content-Length: 21\r\n"
              "Connection: keep-alive\r\n"
              "Cache-Control: no-store\r\n"
              "\r\n");
    n = http_response_error(buf, sizeof(buf), 426, false, false,
                            "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
    CHECK_OUT(n, buf,
              "HTTP/1.1 426 Upgrade Required\r\n"
              "Server: parley\r\n"
              "Content-Type: application/json\r\n"
              "Content-Length: 28\r\n"
              "Connection: Upgrade, close\r\n"
              "Cache-Control: no-store\r\n"
              "Upgrade: websocket\r\n"
              "Sec-WebSocket-Version: 13\r\n"
              "\r\n"
              "{\"error\":\"upgrade required\"}");
    n = http_response_error(buf, sizeof(buf), 431, false, false, NULL);
    CHECK(n > 0 && strstr(buf, "\r\n\r\n{\"error\":\"request header fields too large\"}") != NULL);
    CHECK_EQ_INT(http_response_error(buf, sizeof(buf), 400, true, false, "Bad"), -1);
    int full = http_response_error(buf, sizeof(buf), 405, true, false, "Allow: GET, HEAD\r\n");
    CHECK(full > 0);
    for (int cap = 0; cap < full; cap++)
        CHECK_EQ_INT(
            http_response_error(buf, (size_t)cap, 405, true, false, "Allow: GET, HEAD\r\n"), -1);
}

TEST(test_date)
{
    char buf[64];
    /* RFC 9110 5.6.7's example. */
    CHECK_EQ_INT(http_date(buf, sizeof(buf), 784111777), 29);
    CHECK_EQ_STR(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK_EQ_INT(http_date(buf, sizeof(buf), 0), 29);
    CHECK_EQ_STR(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK_EQ_INT(http_date(buf, 30, 1700000000), 29);
    CHECK_EQ_STR(buf, "Tue, 14 Nov 2023 22:13:20 GMT");
    CHECK_EQ_INT(http_date(buf, 29, 0), -1);
    CHECK_EQ_INT(http_date(buf, sizeof(buf), INT64_MAX), -1);
}

TEST(test_security_headers)
{
    char buf[HTTP_SECURITY_HEADERS_MAX];
    int n = http_security_headers(buf, sizeof(buf), "chat.example.com:8443");
    CHECK_OUT(n, buf,
              "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
              "img-src 'self' data:; connect-src 'self' ws://chat.example.com:8443 "
              "wss://chat.example.com:8443; frame-ancestors 'none'; base-uri 'none'; "
              "form-action 'self'\r\n"
              "X-Frame-Options: DENY\r\n"
              "Referrer-Policy: no-referrer\r\n"
              "X-Content-Type-Options: nosniff\r\n");
    CHECK_EQ_INT(buf[n], '\0');
    n = http_security_headers(buf, sizeof(buf), "[::1]:8000");
    CHECK(n > 0 && strstr(buf, "connect-src 'self' ws://[::1]:8000 wss://[::1]:8000; ") != NULL);
    /* No host, or one that could end the source or the directive: 'self' alone. */
    static const char *const unsafe[] = {NULL, "", "a;script-src *", "a b", "a,b", "a'b", "a\"b"};
    for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
        n = http_security_headers(buf, sizeof(buf), unsafe[i]);
        CHECK(n > 0 && strstr(buf, "connect-src 'self'; frame-ancestors") != NULL);
    }
    char longest[HTTP_SECURITY_HOST_MAX + 2];
    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    n = http_security_headers(buf, sizeof(buf), longest);
    CHECK(n > 0 && strstr(buf, "connect-src 'self'; frame-ancestors") != NULL);
    longest[sizeof(longest) - 2] = '\0';
    int full = http_security_headers(buf, sizeof(buf), longest);
    CHECK(full > 0 && (size_t)full < sizeof(buf) && strstr(buf, " wss://aaa") != NULL);
    for (int cap = 0; cap <= full; cap++)
        CHECK_EQ_INT(http_security_headers(buf, (size_t)cap, longest), -1);
}

int main(void)
{
    RUN(test_status_text);
    RUN(test_head_200);
    RUN(test_head_refusals);
    RUN(test_101);
    RUN(test_error);
    RUN(test_date);
    RUN(test_security_headers);
    return TEST_MAIN_END();
}
