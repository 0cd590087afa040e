/* Unit tests for auth/auth_token: token shape and randomness, well-formedness at every
 * length and character, SHA-256 against the FIPS 180-2 vectors, constant-time equality. */
#include "auth/auth_token.h"

#include <stdbool.h>

#include "test.h"

static bool all_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

TEST(test_init_idempotent)
{
    CHECK_EQ_INT(auth_init(), 0);
    CHECK_EQ_INT(auth_init(), 0);
}

TEST(test_new_shapes)
{
    char s[AUTH_SESSION_HEX + 2], i[AUTH_INVITE_HEX + 2];
    memset(s, 'X', sizeof s);
    memset(i, 'X', sizeof i);
    auth_token_new(s, AUTH_SESSION_HEX);
    auth_token_new(i, AUTH_INVITE_HEX);
    CHECK_EQ_INT(strlen(s), AUTH_SESSION_HEX);
    CHECK_EQ_INT(strlen(i), AUTH_INVITE_HEX);
    CHECK(all_lower_hex(s, AUTH_SESSION_HEX));
    CHECK(all_lower_hex(i, AUTH_INVITE_HEX));
    CHECK(s[AUTH_SESSION_HEX + 1] == 'X'); /* wrote hex_len + 1 bytes, no more */
    CHECK(i[AUTH_INVITE_HEX + 1] == 'X');
    CHECK(auth_token_wellformed(s, AUTH_SESSION_HEX));
    CHECK(auth_token_wellformed(i, AUTH_INVITE_HEX));
}

/* Odd and long lengths: exactly hex_len digits, chunk boundaries included. */
TEST(test_new_any_length)
{
    char buf[300];
    for (size_t n = 0; n < 258; n++) {
        memset(buf, 'X', sizeof buf);
        auth_token_new(buf, n);
        CHECK_EQ_INT(strlen(buf), n);
        CHECK(all_lower_hex(buf, n));
        CHECK(buf[n + 1] == 'X');
    }
}

/* 1000 session tokens: all distinct, and every hex digit about equally frequent. */
TEST(test_new_random)
{
    enum { N = 1000 };
    static char toks[N][AUTH_SESSION_HEX + 1];
    size_t freq[16] = {0};
    for (size_t k = 0; k < N; k++) {
        auth_token_new(toks[k], AUTH_SESSION_HEX);
        for (size_t d = 0; d < AUTH_SESSION_HEX; d++) {
            char c = toks[k][d];
            freq[c <= '9' ? c - '0' : c - 'a' + 10]++;
        }
    }
    size_t dups = 0;
    for (size_t a = 0; a < N; a++)
        for (size_t b = a + 1; b < N; b++)
            dups += strcmp(toks[a], toks[b]) == 0;
    CHECK_EQ_INT(dups, 0);
    /* 64000 digits, 4000 expected each; 10 standard deviations (~60) is far. */
    for (size_t d = 0; d < 16; d++)
        CHECK(freq[d] > 3400 && freq[d] < 4600);
}

TEST(test_wellformed)
{
    char t[AUTH_SESSION_HEX + 2];
    memset(t, 'a', AUTH_SESSION_HEX);
    t[AUTH_SESSION_HEX] = '\0';
    CHECK(auth_token_wellformed(t, AUTH_SESSION_HEX));
    CHECK(!auth_token_wellformed(NULL, AUTH_SESSION_HEX));
    CHECK(!auth_token_wellformed(t, AUTH_INVITE_HEX)); /* too long for an invite */
    CHECK(auth_token_wellformed("", 0));
    /* Every byte value at every position: only 0-9 and a-f pass. */
    for (int c = 1; c < 256; c++) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        for (size_t pos = 0; pos < AUTH_SESSION_HEX; pos += 21) {
            t[pos] = (char)c;
            CHECK(auth_token_wellformed(t, AUTH_SESSION_HEX) == ok);
            t[pos] = 'a';
        }
    }
    /* Every shorter and one longer length. */
    for (size_t n = 0; n < AUTH_SESSION_HEX; n++) {
        t[n] = '\0';
        CHECK(!auth_token_wellformed(t, AUTH_SESSION_HEX));
        t[n] = 'a';
    }
    t[AUTH_SESSION_HEX] = 'a';
    t[AUTH_SESSION_HEX + 1] = '\0';
    CHECK(!auth_token_wellformed(t, AUTH_SESSION_HEX));
    CHECK(!auth_token_wellformed("ABCDEF0123456789abcdef0123456789", AUTH_INVITE_HEX));
    CHECK(auth_token_wellformed("abcdef0123456789abcdef0123456789", AUTH_INVITE_HEX));
}

TEST(test_hash_vectors)
{
    char out[AUTH_HASH_HEX + 1];
    auth_token_hash("", 0, out);
    CHECK_EQ_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    auth_token_hash("abc", 3, out);
    CHECK_EQ_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    auth_token_hash(two, strlen(two), out);
    CHECK_EQ_STR(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* The length counts, not a NUL. */
    auth_token_hash("abc\0def", 3, out);
    CHECK_EQ_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* A stored hash presented as a token hashes to something else. */
TEST(test_hash_of_hash_differs)
{
    char tok[AUTH_SESSION_HEX + 1], h1[AUTH_HASH_HEX + 1], h2[AUTH_HASH_HEX + 1];
    auth_token_new(tok, AUTH_SESSION_HEX);
    auth_token_hash(tok, AUTH_SESSION_HEX, h1);
    auth_token_hash(h1, AUTH_HASH_HEX, h2);
    CHECK(auth_token_wellformed(h1, AUTH_HASH_HEX));
    CHECK(strcmp(h1, h2) != 0);
    CHECK(strcmp(tok, h1) != 0);
}

TEST(test_equal)
{
    CHECK(auth_token_equal("abcdef", "abcdef", 6));
    CHECK(!auth_token_equal("abcdef", "abcdeg", 6));
    CHECK(!auth_token_equal("Xbcdef", "abcdef", 6));
    CHECK(auth_token_equal("abcdef", "abcdeg", 5)); /* only n bytes compared */
    CHECK(auth_token_equal("a", "b", 0));
    char h1[AUTH_HASH_HEX + 1], h2[AUTH_HASH_HEX + 1];
    auth_token_hash("x", 1, h1);
    memcpy(h2, h1, sizeof h2);
    CHECK(auth_token_equal(h1, h2, AUTH_HASH_HEX));
    for (size_t i = 0; i < AUTH_HASH_HEX; i++) {
        h2[i] ^= 1;
        CHECK(!auth_token_equal(h1, h2, AUTH_HASH_HEX));
        h2[i] ^= 1;
    }
}

int main(void)
{
    RUN(test_init_idempotent);
    RUN(test_new_shapes);
    RUN(test_new_any_length);
    RUN(test_new_random);
    RUN(test_wellformed);
    RUN(test_hash_vectors);
    RUN(test_hash_of_hash_differs);
    RUN(test_equal);
    return TEST_MAIN_END();
}
