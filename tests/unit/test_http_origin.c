/* test_http_origin - the Host rule (ours, malformed, someone else's), the Origin rule (none,
 * ours by scheme and Host or by the list, foreign), https behind a proxy, and public URLs
 * read into an origin and a host name. */
#include "http/http_origin.h"

#include <string.h>

#include "test.h"

TEST(test_host_ours)
{
    static const char *const ours[] = {
        NULL,
        "",
        "127.0.0.1",
        "127.0.0.1:8000",
        "10.1.2.3:",
        "[::1]",
        "[::1]:80",
        "[2001:db8::7]:65535",
        "localhost",
        "LOCALHOST:3",
        "localhost.",
        "a.localhost",
        "x.y.localhost:9",
        "box",
        "BOX.lan:8000",
        "chat.example.com.",
    };
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        CHECK_EQ_INT(http_host_check(ours[i], " box, box.lan ,chat.example.com"), 0);
        if (http_host_check(ours[i], " box, box.lan ,chat.example.com") != 0)
            fprintf(stderr, "  host %s\n", ours[i]);
    }
}

TEST(test_host_not_ours)
{
    static const char *const other[] = {
        "evil.example",
        "evil.example:8000",
        "localhost.evil.example",
        "xlocalhost",
        ".localhost",
        "127.0.0.1.evil",
        "1.2.3",
        "0x7f.0.0.1",
        "2130706433",
        "boxx",
        "box.evil",
        "a~b",
        "a%2eb",
        "a!b:80",
        ".",
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        CHECK_EQ_INT(http_host_check(other[i], "box,box.lan"), 421);
        if (http_host_check(other[i], "box,box.lan") != 421)
            fprintf(stderr, "  host %s\n", other[i]);
    }
    /* Without names, only literals and localhost. */
    CHECK_EQ_INT(http_host_check("box", NULL), 421);
    CHECK_EQ_INT(http_host_check("box", ""), 421);
    CHECK_EQ_INT(http_host_check("box", ",, ,"), 421);
}

TEST(test_host_malformed)
{
    static const char *const bad[] = {
        ":8000",   "a b",          "a/b",  "a@b",    "a\"b",    "a<b",  "h:x", "h:123456",
        "h:65536", "h:1:2",        "[::1", "[::1]x", "[::1]:x", "[zz]", "[]",  "[fe80::1%25eth0]",
        "[v1.x]",  "127.0.0.1:-1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ_INT(http_host_check(bad[i], "a"), 400);
        if (http_host_check(bad[i], "a") != 400)
            fprintf(stderr, "  host %s\n", bad[i]);
    }
    char longest[HTTP_HOST_MAX + 2];
    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    CHECK_EQ_INT(http_host_check(longest, NULL), 400);
    longest[HTTP_HOST_MAX] = '\0';
    CHECK_EQ_INT(http_host_check(longest, NULL), 421);
}

TEST(test_origin)
{
    const char *list = " https://chat.example.com/ ,https://b.example";
    CHECK_EQ_INT(http_origin_check(NULL, "h:8000", false, NULL), HTTP_ORIGIN_NONE);
    CHECK_EQ_INT(http_origin_check(NULL, NULL, true, list), HTTP_ORIGIN_NONE);
    /* The request's own: scheme by https, then Host as sent. */
    CHECK_EQ_INT(http_origin_check("http://h:8000", "h:8000", false, ""), HTTP_ORIGIN_OURS);
    CHECK_EQ_INT(http_origin_check("HTTP://H:8000", "h:8000", false, NULL), HTTP_ORIGIN_OURS);
    CHECK_EQ_INT(http_origin_check("https://h:8000", "h:8000", true, NULL), HTTP_ORIGIN_OURS);
    CHECK_EQ_INT(http_origin_check("https://h:8000", "h:8000", false, NULL), HTTP_ORIGIN_FOREIGN);
    CHECK_EQ_INT(http_origin_check("http://h:8000", "h:8000", true, NULL), HTTP_ORIGIN_FOREIGN);
    static const char *const foreign[] = {
        "http://h", "http://h:8000/", "ws://h:8000", "http://h:8000.evil", "http://evil",
        "",         "null",           "http://"};
    for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
        CHECK_EQ_INT(http_origin_check(foreign[i], "h:8000", false, "null"), HTTP_ORIGIN_FOREIGN);
    CHECK_EQ_INT(http_origin_check("http://h", NULL, false, NULL), HTTP_ORIGIN_FOREIGN);
    CHECK_EQ_INT(http_origin_check("http://", "", false, NULL), HTTP_ORIGIN_FOREIGN);
    /* The list, whatever the request's scheme and Host. */
    CHECK_EQ_INT(http_origin_check("https://chat.example.com", "h", false, list), HTTP_ORIGIN_OURS);
    CHECK_EQ_INT(http_origin_check("https://CHAT.example.com", "h", true, list), HTTP_ORIGIN_OURS);
    CHECK_EQ_INT(http_origin_check("https://b.example", NULL, false, list), HTTP_ORIGIN_OURS);
    CHECK_EQ_INT(http_origin_check("https://b.example.evil", "h", false, list),
                 HTTP_ORIGIN_FOREIGN);
    CHECK_EQ_INT(http_origin_check("https://chat.example.co", "h", false, list),
                 HTTP_ORIGIN_FOREIGN);
    CHECK_EQ_INT(http_origin_check("http://chat.example.com", "h", false, list),
                 HTTP_ORIGIN_FOREIGN);
    CHECK_EQ_INT(http_origin_check("https://x", "h", false, ",, ,"), HTTP_ORIGIN_FOREIGN);
}

TEST(test_forwarded_https)
{
    CHECK(http_forwarded_https("https"));
    CHECK(http_forwarded_https("HTTPS"));
    CHECK(http_forwarded_https("https, http"));
    CHECK(http_forwarded_https("https ,http"));
    CHECK(!http_forwarded_https("http, https"));
    CHECK(!http_forwarded_https("http"));
    CHECK(!http_forwarded_https("httpsx"));
    CHECK(!http_forwarded_https(""));
    CHECK(!http_forwarded_https(NULL));
}

/* The origin and host of url, as "origin|host", or "-" when it is refused. */
static const char *url(const char *u)
{
    static char out[600];
    char origin[300], host[300];
    if (http_url_origin(u, origin, sizeof(origin), host, sizeof(host)) < 0)
        return "-";
    (void)snprintf(out, sizeof(out), "%s|%s", origin, host);
    return out;
}

TEST(test_url_origin)
{
    CHECK_EQ_STR(url("https://chat.example.com"), "https://chat.example.com|chat.example.com");
    CHECK_EQ_STR(url("HTTPS://Chat.Example.COM/"), "https://chat.example.com|chat.example.com");
    CHECK_EQ_STR(url("https://chat.example.com:443"), "https://chat.example.com|chat.example.com");
    CHECK_EQ_STR(url("https://chat.example.com:8443"),
                 "https://chat.example.com:8443|chat.example.com");
    CHECK_EQ_STR(url("http://10.0.0.5:80/"), "http://10.0.0.5|10.0.0.5");
    CHECK_EQ_STR(url("http://10.0.0.5:443"), "http://10.0.0.5:443|10.0.0.5");
    CHECK_EQ_STR(url("http://[::1]:8000"), "http://[::1]:8000|::1");
    CHECK_EQ_STR(url("http://h:"), "http://h|h");
    static const char *const bad[] = {"ftp://h",
                                      "chat.example.com",
                                      "https://",
                                      "https:///",
                                      "https://u@h",
                                      "https://h/chat",
                                      "https://h?x",
                                      "https://h#x",
                                      "https://h:99999",
                                      "https://a b",
                                      "https://a;b",
                                      "https://[::1",
                                      "//h",
                                      ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ_STR(url(bad[i]), "-");
    }
    /* Outputs too small. */
    char o[25], h[17];
    CHECK_EQ_INT(http_url_origin("https://chat.example.com", o, sizeof(o), h, sizeof(h)), 0);
    CHECK_EQ_INT(http_url_origin("https://chat.example.com", o, sizeof(o) - 1, h, sizeof(h)), -1);
    CHECK_EQ_INT(http_url_origin("https://chat.example.com", o, sizeof(o), h, sizeof(h) - 1), -1);
}

/* --base-path: trailing slashes dropped, the root as "", anything a browser would rewrite
 * or a proxy would not forward unchanged refused. */
static const char *base(const char *in)
{
    static char out[HTTP_BASE_PATH_MAX + 1];
    return http_base_path(in, out, sizeof(out)) == 0 ? out : "-";
}

static void test_base_path(void)
{
    CHECK_EQ_STR(base(""), "");
    CHECK_EQ_STR(base("/"), "");
    CHECK_EQ_STR(base("//"), "");
    CHECK_EQ_STR(base("/chat"), "/chat");
    CHECK_EQ_STR(base("/chat/"), "/chat");
    CHECK_EQ_STR(base("/team/chat-1.x~_"), "/team/chat-1.x~_");
    CHECK_EQ_STR(base("/..."), "/...");
    static const char *const bad[] = {"chat", "/a//b",     "/./a",   "/a/.", "/a/../b",
                                      "/..",  "/a b",      "/a%20b", "/a?b", "/a#b",
                                      "/a;b", "/\xc3\xa9", "/a\\b",  " /a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ_STR(base(bad[i]), "-");
    }
    char longest[HTTP_BASE_PATH_MAX + 2];
    memset(longest, 'a', sizeof(longest) - 1);
    longest[0] = '/';
    longest[HTTP_BASE_PATH_MAX] = '\0';
    CHECK_EQ_INT((int)strlen(base(longest)), HTTP_BASE_PATH_MAX);
    longest[HTTP_BASE_PATH_MAX] = 'a';
    longest[HTTP_BASE_PATH_MAX + 1] = '\0';
    CHECK_EQ_STR(base(longest), "-");
    char small[6];
    CHECK_EQ_INT(http_base_path("/chat", small, sizeof(small)), 0);
    CHECK_EQ_INT(http_base_path("/chats", small, sizeof(small)), -1);
}

int main(void)
{
    RUN(test_host_ours);
    RUN(test_host_not_ours);
    RUN(test_host_malformed);
    RUN(test_origin);
    RUN(test_forwarded_https);
    RUN(test_url_origin);
    RUN(test_base_path);
    return TEST_MAIN_END();
}
