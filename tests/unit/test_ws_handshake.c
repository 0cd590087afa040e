/* Unit tests for ws/ws_handshake: the RFC 6455 example, key validation edge cases, and
 * header token lists. Expected accept values were computed independently (Python hashlib). */
#include "ws/ws_handshake.h"

#include <stdlib.h>

#include "test.h"

static void check_accept(const char *key, const char *want)
{
    char out[WS_ACCEPT_SIZE];
    memset(out, 'x', sizeof out);
    ws_handshake_accept(key, strlen(key), out);
    CHECK_EQ_STR(out, want);
}

TEST(test_accept)
{
    /* RFC 6455 1.3 and 4.2.2. */
    check_accept("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    check_accept("x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    check_accept("AAAAAAAAAAAAAAAAAAAAAA==", "ICX+Yqv66kxgM0FcWaLWlFLwTAI=");
    check_accept("/////////////////////w==", "XXpj4jYzLM2yUE0C7TIgMwTQh2g=");
    check_accept("", "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
    /* Only len bytes of the key are used: the rest of the string is not part of it. */
    char out[WS_ACCEPT_SIZE];
    ws_handshake_accept("dGhlIHNhbXBsZSBub25jZQ==trailing", 24, out);
    CHECK_EQ_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    char big[WS_HANDSHAKE_KEY_MAX + 1];
    memset(big, 'A', sizeof big);
    ws_handshake_accept(big, sizeof big, out);
    CHECK_EQ_STR(out, "");
    ws_handshake_accept(big, WS_HANDSHAKE_KEY_MAX, out);
    CHECK_EQ_INT(strlen(out), 28);
}

TEST(test_key_valid)
{
    static const char *good[] = {
        "dGhlIHNhbXBsZSBub25jZQ==", "x3JJHMbDL1EzLkh9GBhXDw==", "AAAAAAAAAAAAAAAAAAAAAA==",
        "/////////////////////w==", "+/+/+/+/+/+/+/+/+/+/+g=="};
    static const char *bad[] = {
        "",
        "dGhlIHNhbXBsZSBub25jZQ=",   /* 23 characters */
        "dGhlIHNhbXBsZSBub25jZQ===", /* 25 */
        "dGhlIHNhbXBsZSBub25jZQAA",  /* no padding: 18 bytes */
        "dGhlIHNhbXBsZSBub25jZR==",  /* non-zero padding bits: not canonical */
        "dGhlIHNhbXBsZSBub25jZ===",  /* padding too early */
        "dGhlIHNhbXBs=SBub25jZQ==",  /* '=' inside */
        "dGhlIHNhbXBsZSBub25jZ!==",  /* not base64 */
        "dGhlIHNhbXBsZSBub25j ZQ=",  /* space */
        "dGhlIHNhbXBsZSBub25jZQ-_",  /* URL alphabet is not the one */
        "dGhlIHNhbXBsZSBub25jZQ-=",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK(ws_handshake_key_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!ws_handshake_key_valid(bad[i], strlen(bad[i])));
    CHECK(!ws_handshake_key_valid(NULL, 0));
    /* The length given is what counts, not the NUL. */
    CHECK(!ws_handshake_key_valid("dGhlIHNhbXBsZSBub25jZQ==", 23));
    CHECK(ws_handshake_key_valid("dGhlIHNhbXBsZSBub25jZQ==\r\n", 24));
    /* A key is 24 bytes whatever is around it: a copy exactly that size (ASan watches). */
    char *key = malloc(24);
    if (key == NULL)
        abort();
    memcpy(key, "dGhlIHNhbXBsZSBub25jZQ==", 24);
    CHECK(ws_handshake_key_valid(key, 24));
    free(key);
}

TEST(test_header_has_token)
{
    static const struct {
        const char *list, *token;
        bool want;
    } cases[] = {
        {"Upgrade", "upgrade", true},
        {"upgrade", "Upgrade", true},
        {"keep-alive, Upgrade", "upgrade", true},
        {"keep-alive,Upgrade", "upgrade", true},
        {"Upgrade, keep-alive", "upgrade", true},
        {"  Upgrade  ", "upgrade", true},
        {"keep-alive,\tUPGRADE\t, close", "upgrade", true},
        {", ,upgrade,", "upgrade", true},
        {"websocket", "websocket", true},
        {"keep-alive", "upgrade", false},
        {"upgraded", "upgrade", false},
        {"x-upgrade", "upgrade", false},
        {"upgrade-x, close", "upgrade", false},
        {"up grade", "upgrade", false},
        {"", "upgrade", false},
        {",,,", "upgrade", false},
        {"upgrade", "", false},
        {"parley.v1, chat", "parley.v1", true},
        {"chat,parley.v1", "parley.v1", true},
        {"chat, parley.v2", "parley.v1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].list);
        char *list = malloc(len ? len : 1); /* not NUL-terminated, exactly len bytes */
        if (list == NULL)
            abort();
        memcpy(list, cases[i].list, len);
        bool got = ws_header_has_token(list, len, cases[i].token);
        if (got != cases[i].want)
            (void)fprintf(stderr, "case %zu: \"%s\" / \"%s\"\n", i, cases[i].list, cases[i].token);
        CHECK(got == cases[i].want);
        free(list);
    }
    /* Only len bytes count. */
    CHECK(!ws_header_has_token("upgrade", 6, "upgrade"));
    CHECK(ws_header_has_token("upgrade, close", 7, "upgrade"));
    CHECK(!ws_header_has_token("close, upgrade", 7, "upgrade"));
}

TEST(test_client_side)
{
    /* RFC 6455 4.1's example nonce is the 16 bytes of "the sample nonce". */
    char key[WS_KEY_SIZE];
    ws_handshake_client_key((const uint8_t *)"the sample nonce", key);
    CHECK_EQ_STR(key, "dGhlIHNhbXBsZSBub25jZQ==");
    CHECK(ws_handshake_key_valid(key, strlen(key)));
    uint8_t ones[16];
    memset(ones, 0xFF, sizeof ones);
    ws_handshake_client_key(ones, key);
    CHECK_EQ_STR(key, "/////////////////////w==");
    CHECK(ws_handshake_key_valid(key, strlen(key)));

    const char *ok = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    CHECK(ws_handshake_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", ok, strlen(ok)));
    /* Only len bytes count; a prefix, a longer value, another key's answer all fail. */
    CHECK(ws_handshake_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=xx",
                                      28));
    CHECK(!ws_handshake_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", ok, 27));
    CHECK(!ws_handshake_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=x",
                                       29));
    CHECK(!ws_handshake_accept_matches("x3JJHMbDL1EzLkh9GBhXDw==", ok, strlen(ok)));
    CHECK(!ws_handshake_accept_matches("dGhlIHNhbXBsZSBub25jZQ==", "", 0));
    CHECK(!ws_handshake_accept_matches(
        "dGhlIHNhbXBsZSBub25jZQ==", "S3PPLMBITXAQ9KYGZZHZRBK+XOO=", 28));
}

int main(void)
{
    RUN(test_accept);
    RUN(test_key_valid);
    RUN(test_header_has_token);
    RUN(test_client_side);
    return TEST_MAIN_END();
}
