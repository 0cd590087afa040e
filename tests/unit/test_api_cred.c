/* test_api_cred - the credential rules of requests: Bearer tokens, the session cookie, the
 * token a request presents, the Origin rule, and https behind a proxy. */
#include "api/api_cred.h"

#include <stdio.h>
#include <string.h>

#include "test.h"

/* The token found, as a string ("-" for none). */
static const char *got(const char *t, size_t len)
{
    static char out[128];
    if (!t)
        return "-";
    (void)snprintf(out, sizeof(out), "%.*s", (int)len, t);
    return out;
}

static const char *bearer(const char *v)
{
    size_t len = 0;
    const char *t = api_cred_bearer(v, &len);
    return got(t, len);
}

static const char *cookie(const char *v)
{
    size_t len = 0;
    const char *t = api_cred_cookie(v, &len);
    return got(t, len);
}

TEST(test_bearer)
{
    CHECK_EQ_STR(bearer("Bearer abc"), "abc");
    CHECK_EQ_STR(bearer("bearer   abc"), "abc");
    CHECK_EQ_STR(bearer("BEARER\tabc"), "abc");
    CHECK_EQ_STR(bearer("Bearer"), "-");
    CHECK_EQ_STR(bearer("Bearer "), "-");
    CHECK_EQ_STR(bearer("Bearer a b"), "-");
    CHECK_EQ_STR(bearer("Bearer a, Bearer b"), "-");
    CHECK_EQ_STR(bearer("Bearerabc"), "-");
    CHECK_EQ_STR(bearer("Basic Zm9vOmJhcg=="), "-");
    CHECK_EQ_STR(bearer(""), "-");
    CHECK_EQ_STR(bearer(NULL), "-");
}

TEST(test_cookie)
{
    CHECK_EQ_STR(cookie("parley_session=abc"), "abc");
    CHECK_EQ_STR(cookie("a=1; parley_session=abc; b=2"), "abc");
    CHECK_EQ_STR(cookie("a=1;parley_session=abc"), "abc");
    CHECK_EQ_STR(cookie("parley_session=\"abc\""), "abc");
    CHECK_EQ_STR(cookie("parley_session=abc ; x=1"), "abc");
    /* The first wins (the most specific path comes first, RFC 6265 5.4). */
    CHECK_EQ_STR(cookie("parley_session=one; parley_session=two"), "one");
    CHECK_EQ_STR(cookie("xparley_session=abc"), "-");
    CHECK_EQ_STR(cookie("parley_sessionx=abc"), "-");
    CHECK_EQ_STR(cookie("parley_session="), "-");
    CHECK_EQ_STR(cookie("parley_session=\"\""), "-");
    CHECK_EQ_STR(cookie("parley_session"), "-");
    CHECK_EQ_STR(cookie(";;"), "-");
    CHECK_EQ_STR(cookie(""), "-");
    CHECK_EQ_STR(cookie(NULL), "-");
}

TEST(test_token)
{
    size_t len = 99;
    bool from_cookie = true;
    const char *t = api_cred_token("Bearer abc", "parley_session=def", &len, &from_cookie);
    CHECK_EQ_STR(got(t, len), "abc");
    CHECK(!from_cookie);
    t = api_cred_token(NULL, "parley_session=def", &len, &from_cookie);
    CHECK_EQ_STR(got(t, len), "def");
    CHECK(from_cookie);
    t = api_cred_token("Basic x", "parley_session=def", &len, &from_cookie);
    CHECK_EQ_STR(got(t, len), "def");
    CHECK(from_cookie);
    /* An unusable Bearer is presented all the same: no fall-back to the cookie. */
    t = api_cred_token("Bearer a b", "parley_session=def", &len, &from_cookie);
    CHECK(t != NULL && len == 0 && !from_cookie);
    t = api_cred_token(NULL, "other=1", &len, &from_cookie);
    CHECK(t == NULL && !from_cookie);
    t = api_cred_token(NULL, NULL, &len, &from_cookie);
    CHECK(t == NULL);
}

TEST(test_origin)
{
    const char *extra = " https://chat.example.com/ ,https://b.example";
    CHECK(api_cred_origin_allowed("http://h:8000", "h:8000", ""));
    CHECK(api_cred_origin_allowed("https://h:8000", "h:8000", NULL));
    CHECK(api_cred_origin_allowed("HTTP://H:8000", "h:8000", NULL));
    CHECK(!api_cred_origin_allowed("http://h", "h:8000", NULL));
    CHECK(!api_cred_origin_allowed("http://h:8000/", "h:8000", NULL));
    CHECK(!api_cred_origin_allowed("ws://h:8000", "h:8000", NULL));
    CHECK(!api_cred_origin_allowed("http://h:8000.evil", "h:8000", NULL));
    CHECK(!api_cred_origin_allowed("http://evil", "h", NULL));
    CHECK(!api_cred_origin_allowed(NULL, "h", NULL));
    CHECK(!api_cred_origin_allowed("", "h", NULL));
    CHECK(!api_cred_origin_allowed("null", "h", "null"));
    CHECK(!api_cred_origin_allowed("http://h", NULL, NULL));
    CHECK(!api_cred_origin_allowed("http://", "", NULL));
    CHECK(api_cred_origin_allowed("https://chat.example.com", "h", extra));
    CHECK(api_cred_origin_allowed("https://CHAT.example.com", "h", extra));
    CHECK(api_cred_origin_allowed("https://b.example", NULL, extra));
    CHECK(!api_cred_origin_allowed("https://b.example.evil", "h", extra));
    CHECK(!api_cred_origin_allowed("https://chat.example.co", "h", extra));
    CHECK(!api_cred_origin_allowed("http://chat.example.com", "h", extra));
    CHECK(!api_cred_origin_allowed("https://x", "h", ",, ,"));
}

TEST(test_https)
{
    CHECK(api_cred_https("https"));
    CHECK(api_cred_https("HTTPS"));
    CHECK(api_cred_https("https, http"));
    CHECK(api_cred_https("https ,http"));
    CHECK(!api_cred_https("http, https"));
    CHECK(!api_cred_https("http"));
    CHECK(!api_cred_https("httpsx"));
    CHECK(!api_cred_https(""));
    CHECK(!api_cred_https(NULL));
}

int main(void)
{
    RUN(test_bearer);
    RUN(test_cookie);
    RUN(test_token);
    RUN(test_origin);
    RUN(test_https);
    return TEST_MAIN_END();
}
