/* client_url: the URL forms parley-cli takes (schemes, ports, IPv6, base paths) and the
 * ones it refuses; the Host header and the token file's key. */
#include "client/client_url.h"

#include "test.h"

static void check_ok(const char *s, bool tls, const char *host, int port, const char *base)
{
    client_url_t u;
    const char *err = NULL;
    int rc = client_url_parse(s, &u, &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", s, err);
    CHECK_EQ_INT(rc, 0);
    CHECK(u.tls == tls);
    CHECK_EQ_STR(u.host, host);
    CHECK_EQ_INT(u.port, port);
    CHECK_EQ_STR(u.base, base);
}

TEST(test_forms)
{
    check_ok("http://localhost:8000", false, "localhost", 8000, "");
    check_ok("http://localhost:8000/", false, "localhost", 8000, "");
    check_ok("ws://localhost:8000/ws", false, "localhost", 8000, "");
    check_ok("HTTPS://Chat.Example.com", true, "Chat.Example.com", 443, "");
    check_ok("wss://chat.example.com/team/chat/", true, "chat.example.com", 443, "/team/chat");
    check_ok("wss://chat.example.com/team/ws", true, "chat.example.com", 443, "/team");
    check_ok("http://127.0.0.1:1/a-b_c.d~e", false, "127.0.0.1", 1, "/a-b_c.d~e");
    check_ok("http://[::1]:8443/x", false, "::1", 8443, "/x");
    check_ok("https://[fe80::1]", true, "fe80::1", 443, "");
    check_ok("http://h:65535", false, "h", 65535, "");
}

TEST(test_refused)
{
    static const char *bad[] = {
        "",
        "localhost:8000",
        "ftp://h",
        "http://",
        "http:///x",
        "http://h:",
        "http://h:0",
        "http://h:65536",
        "http://h:80x",
        "http://h:99999999999999999999",
        "http://[::1",
        "http://[]:80",
        "http://h/a?b=1",
        "http://h/#x",
        "http://h/a b",
        "http://h/a//b",
        "http://h/./b",
        "http://h/a/..",
        "http://us er@h",
        "http://user@h",
        "http://h\\x",
        "http://h/\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        client_url_t u;
        const char *err = NULL;
        int rc = client_url_parse(bad[i], &u, &err);
        if (rc != -1)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK_EQ_INT(rc, -1);
        CHECK(err != NULL && err[0]);
    }
    /* A host that does not fit. */
    char big[400] = "http://";
    memset(big + 7, 'a', 300);
    client_url_t u;
    const char *err = NULL;
    CHECK_EQ_INT(client_url_parse(big, &u, &err), -1);
}

TEST(test_host_and_key)
{
    client_url_t u;
    const char *err;
    char out[512];
    CHECK_EQ_INT(client_url_parse("https://Chat.Example.com:443/team/", &u, &err), 0);
    CHECK_EQ_INT(client_url_host_header(&u, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "Chat.Example.com");
    CHECK_EQ_INT(client_url_key(&u, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "https://chat.example.com:443/team");
    /* wss:// and https://, with or without the default port, name one server. */
    char other[512];
    CHECK_EQ_INT(client_url_parse("wss://chat.example.com/team/ws", &u, &err), 0);
    CHECK_EQ_INT(client_url_key(&u, other, sizeof(other)), 0);
    CHECK_EQ_STR(other, out);
    CHECK_EQ_INT(client_url_parse("http://[::1]:8000", &u, &err), 0);
    CHECK_EQ_INT(client_url_host_header(&u, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "[::1]:8000");
    CHECK_EQ_INT(client_url_key(&u, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "http://[::1]:8000");
    CHECK_EQ_INT(client_url_host_header(&u, out, 5), -1);
    CHECK_EQ_INT(client_url_key(&u, out, 5), -1);
}

int main(void)
{
    RUN(test_forms);
    RUN(test_refused);
    RUN(test_host_and_key);
    return TEST_MAIN_END();
}
