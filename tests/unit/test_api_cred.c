/* test_api_cred - the credential rules of requests: Bearer tokens, the session cookie, the
 * token a request presents, and the cookie rule (which credential counts, by the Origin). */
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

/* The cookie rule's verdict and token, as "verdict:token". */
static const char *session(const char *authz, const char *cookie_v, http_origin_t origin, bool read)
{
    static char out[160];
    const char *t = (const char *)1;
    size_t len = 99;
    api_cred_verdict_t v = api_cred_session(authz, cookie_v, origin, read, &t, &len);
    static const char *const names[] = {"none", "token", "foreign"};
    (void)snprintf(out, sizeof(out), "%s:%s", names[v], got(t, len));
    return out;
}

TEST(test_session)
{
    const char *ck = "a=1; parley_session=def";
    /* The Bearer counts whatever the Origin; an unusable one is presented (and refused). */
    for (int o = HTTP_ORIGIN_NONE; o <= HTTP_ORIGIN_FOREIGN; o++) {
        CHECK_EQ_STR(session("Bearer abc", ck, (http_origin_t)o, false), "token:abc");
        CHECK_EQ_STR(session("Bearer a b", ck, (http_origin_t)o, true), "token:");
    }
    /* The cookie: ours always; foreign never, and said so; none only for reads. */
    CHECK_EQ_STR(session(NULL, ck, HTTP_ORIGIN_OURS, false), "token:def");
    CHECK_EQ_STR(session(NULL, ck, HTTP_ORIGIN_OURS, true), "token:def");
    CHECK_EQ_STR(session(NULL, ck, HTTP_ORIGIN_FOREIGN, false), "foreign:-");
    CHECK_EQ_STR(session(NULL, ck, HTTP_ORIGIN_FOREIGN, true), "foreign:-");
    CHECK_EQ_STR(session(NULL, ck, HTTP_ORIGIN_NONE, true), "token:def");
    CHECK_EQ_STR(session(NULL, ck, HTTP_ORIGIN_NONE, false), "none:-");
    CHECK_EQ_STR(session("Basic x", ck, HTTP_ORIGIN_FOREIGN, true), "foreign:-");
    /* Nothing presented: nothing to refuse, wherever it comes from. */
    CHECK_EQ_STR(session(NULL, "other=1", HTTP_ORIGIN_FOREIGN, false), "none:-");
    CHECK_EQ_STR(session(NULL, NULL, HTTP_ORIGIN_FOREIGN, true), "none:-");
}

int main(void)
{
    RUN(test_bearer);
    RUN(test_cookie);
    RUN(test_token);
    RUN(test_session);
    return TEST_MAIN_END();
}
