/* test_http_negotiate - Accept-Encoding weights (q-values, "*", identity, malformed members)
 * and If-None-Match lists (weak comparison, "*", malformed lists). */
#include "http/http_negotiate.h"

#include <stdio.h>

#include "test.h"

TEST(test_gzip_taken)
{
    static const char *const yes[] = {
        "gzip",
        "GZip",
        "x-gzip",
        "deflate, gzip",
        "gzip;q=1",
        "gzip;q=1.000",
        "gzip ; Q = 0.5",
        "gzip;q=0.001",
        "gzip;level=1;q=0.2",
        "*",
        "br;q=1, *;q=0.1",
        "gzip;q=0.5, identity;q=0.5",
        "identity;q=0.5, *;q=0.8",
        ",, gzip ,",
        "gzip;q=0, x-gzip;q=0.3",
        "gzip;;", /* empty parameters are allowed (RFC 9110 5.6.6) */
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        CHECK(http_accepts_gzip(yes[i]));
        if (!http_accepts_gzip(yes[i]))
            fprintf(stderr, "  refused: %s\n", yes[i]);
    }
}

TEST(test_gzip_refused)
{
    static const char *const no[] = {
        "",
        "identity",
        "br, deflate",
        "gzip;q=0",
        "gzip;q=0.0",
        "gzip;q=0.000",
        "gzip;q=0, *",
        "*;q=0",
        "gzip;q=0.4, identity",
        "gzip;q=0.4, identity;q=0.5",
        "identity, *;q=0",
        "gzip;q=2",
        "gzip;q=1.001",
        "gzip;q=0.0001",
        "gzip;q=.5",
        "gzip;q=x",
        "gzip;q=",
        "gzip;q",
        "gzip junk",
        "gzipx",
    };
    CHECK(!http_accepts_gzip(NULL));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        CHECK(!http_accepts_gzip(no[i]));
        if (http_accepts_gzip(no[i]))
            fprintf(stderr, "  taken: %s\n", no[i]);
    }
}

TEST(test_etag)
{
    const char *tag = "\"abc\"";
    CHECK(http_etag_matches("\"abc\"", tag));
    CHECK(http_etag_matches("W/\"abc\"", tag));
    CHECK(http_etag_matches("\"x\", \"abc\"", tag));
    CHECK(http_etag_matches(" \"x\" ,, W/\"abc\" ", tag));
    CHECK(http_etag_matches("*", tag));
    CHECK(http_etag_matches(" * ", tag));
    CHECK(http_etag_matches("\"abc\"", "W/\"abc\""));
    CHECK(!http_etag_matches(NULL, tag));
    CHECK(!http_etag_matches("", tag));
    CHECK(!http_etag_matches("\"ab\"", tag));
    CHECK(!http_etag_matches("\"abcd\"", tag));
    CHECK(!http_etag_matches("abc", tag));
    CHECK(!http_etag_matches("\"abc", tag));
    CHECK(!http_etag_matches("\"x\" junk, \"abc\"", tag));
    CHECK(!http_etag_matches("**", tag));
    CHECK(!http_etag_matches("*, \"x\"", tag));
}

int main(void)
{
    RUN(test_gzip_taken);
    RUN(test_gzip_refused);
    RUN(test_etag);
    return TEST_MAIN_END();
}
