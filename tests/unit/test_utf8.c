/* Unit tests for base/utf8: fixed samples at the edges of every range, an exhaustive
 * comparison with an independent decode-then-check reference, fail-fast positions, the
 * ASCII fast path at every alignment, and code point counting. */
#include "base/utf8.h"

#include <stdlib.h>

#include "test.h"

typedef struct {
    const char *s;
    size_t len;
} sample_t;

#define S(lit)                                                                                     \
    {                                                                                              \
        lit, sizeof(lit) - 1                                                                       \
    }

/* Reference validator written differently on purpose: decode the code point from the bit
 * patterns, then reject overlong forms, surrogates and values above U+10FFFF. */
static bool ref_valid(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t b = p[i];
        size_t k;
        uint32_t cp, min;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            k = 1, cp = b & 0x1Fu, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            k = 2, cp = b & 0x0Fu, min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            k = 3, cp = b & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (n - i - 1 < k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + j] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

/* Index of the byte at which a byte-by-byte feed first returns -1, or len if none does. */
static size_t fail_index(const uint8_t *p, size_t len)
{
    utf8_t v;
    utf8_init(&v);
    for (size_t i = 0; i < len; i++)
        if (utf8_feed(&v, p + i, 1) < 0)
            return i;
    return len;
}

static const sample_t valid_samples[] = {
    S(""),
    S("hello, world"),
    S("\xC2\x80"),                 /* U+0080, smallest 2-byte */
    S("\xDF\xBF"),                 /* U+07FF */
    S("\xE0\xA0\x80"),             /* U+0800, smallest 3-byte */
    S("\xED\x9F\xBF"),             /* U+D7FF, just below the surrogates */
    S("\xEE\x80\x80"),             /* U+E000, just above them */
    S("\xEF\xBF\xBF"),             /* U+FFFF */
    S("\xF0\x90\x80\x80"),         /* U+10000, smallest 4-byte */
    S("\xF4\x8F\xBF\xBF"),         /* U+10FFFF, the last code point */
    S("\xF3\xBF\xBF\xBF"),         /* U+FFFFF */
    S("caf\xC3\xA9 \xE2\x82\xAC"), /* "café €" */
    S("a\xF0\x9F\x98\x80"
      "b"), /* "a😀b" */
    S("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"),
    S("0123456789abcdef0123456789abcdef\xE2\x82\xAC"),
};

TEST(test_valid_samples)
{
    for (size_t i = 0; i < sizeof valid_samples / sizeof valid_samples[0]; i++) {
        const uint8_t *p = (const uint8_t *)valid_samples[i].s;
        size_t len = valid_samples[i].len;
        CHECK(utf8_valid(p, len));
        CHECK(ref_valid(p, len));
        CHECK_EQ_INT(fail_index(p, len), len);
        for (size_t k = 0; k <= len; k++) { /* every two-way split */
            utf8_t v;
            utf8_init(&v);
            CHECK(utf8_feed(&v, p, k) == 0 && utf8_feed(&v, p + k, len - k) == 0);
            CHECK(utf8_complete(&v));
        }
    }
}

typedef struct {
    const char *s;
    size_t len;
    size_t fail_at; /* index where the feed must fail; len for "never fails, incomplete" */
} bad_sample_t;

#define B(lit, at)                                                                                 \
    {                                                                                              \
        lit, sizeof(lit) - 1, at                                                                   \
    }

static const bad_sample_t bad_samples[] = {
    B("\x80", 0),                     /* lone continuation */
    B("a\xBF", 1),                    /* lone continuation after ASCII */
    B("\xC0\x80", 0),                 /* overlong NUL */
    B("\xC1\xBF", 0),                 /* overlong U+007F */
    B("\xE0\x80\x80", 1),             /* overlong 3-byte */
    B("\xE0\x9F\xBF", 1),             /* overlong U+07FF */
    B("\xF0\x80\x80\x80", 1),         /* overlong 4-byte */
    B("\xF0\x8F\xBF\xBF", 1),         /* overlong U+FFFF */
    B("\xED\xA0\x80", 1),             /* U+D800 */
    B("\xED\xBF\xBF", 1),             /* U+DFFF */
    B("\xED\xA0\x80\xED\xB0\x80", 1), /* surrogate pair in CESU form */
    B("\xF4\x90\x80\x80", 1),         /* U+110000 */
    B("\xF4\xBF\xBF\xBF", 1),
    B("\xF5\x80\x80\x80", 0), /* lead byte beyond U+10FFFF */
    B("\xF7\xBF\xBF\xBF", 0),
    B("\xF8\x88\x80\x80\x80", 0), /* old 5-byte form */
    B("\xFC\x84\x80\x80\x80\x80", 0),
    B("\xFE", 0),
    B("\xFF", 0),
    B("\xC2\x41", 1), /* bad continuation */
    B("\xE1\x80\x41", 2),
    B("\xF1\x80\x80\x41", 3),
    B("\xE2\x82", 2), /* truncated: valid so far, never complete */
    B("\xC2", 1),
    B("\xF0\x9F\x98", 3),
    B("abc\xF0\x9F", 5),
    B("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80"
      "edited",
      12),
};

TEST(test_invalid_samples)
{
    for (size_t i = 0; i < sizeof bad_samples / sizeof bad_samples[0]; i++) {
        const uint8_t *p = (const uint8_t *)bad_samples[i].s;
        size_t len = bad_samples[i].len;
        CHECK(!utf8_valid(p, len));
        CHECK(!ref_valid(p, len));
        CHECK_EQ_INT(fail_index(p, len), bad_samples[i].fail_at);
        utf8_t v;
        utf8_init(&v);
        int rc = utf8_feed(&v, p, len);
        CHECK_EQ_INT(rc, bad_samples[i].fail_at < len ? -1 : 0);
        CHECK(!utf8_complete(&v));
    }
}

/* Every 1-, 2- and 3-byte input, and 4-byte inputs over every lead and second byte with
 * boundary values for the last two: the validator agrees with the reference. */
TEST(test_exhaustive_against_reference)
{
    uint8_t b[4];
    int mismatches = 0;
    for (uint32_t x = 0; x < 1u << 24; x++) {
        b[0] = (uint8_t)(x >> 16), b[1] = (uint8_t)(x >> 8), b[2] = (uint8_t)x;
        if (x < 1u << 16 && (utf8_valid(b + 1, 2) != ref_valid(b + 1, 2)))
            mismatches++;
        if (x < 1u << 8 && (utf8_valid(b + 2, 1) != ref_valid(b + 2, 1)))
            mismatches++;
        if (utf8_valid(b, 3) != ref_valid(b, 3))
            mismatches++;
    }
    static const uint8_t tail[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    for (uint32_t x = 0; x < 1u << 16; x++) {
        b[0] = (uint8_t)(x >> 8), b[1] = (uint8_t)x;
        for (size_t i = 0; i < sizeof tail; i++) {
            for (size_t j = 0; j < sizeof tail; j++) {
                b[2] = tail[i], b[3] = tail[j];
                if (utf8_valid(b, 4) != ref_valid(b, 4))
                    mismatches++;
            }
        }
    }
    CHECK_EQ_INT(mismatches, 0);
}

/* Fail fast: a two-byte prefix is accepted exactly when some completion of it (up to three
 * more bytes, continuation values at every range edge) is valid. */
TEST(test_fail_fast_prefixes)
{
    static const uint8_t conts[] = {0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF};
    int mismatches = 0;
    for (uint32_t x = 0; x < 1u << 16; x++) {
        uint8_t b[5] = {(uint8_t)(x >> 8), (uint8_t)x, 0, 0, 0};
        bool completable = false;
        for (size_t n = 2; n <= 5 && !completable; n++) {
            for (size_t i = 0; i < 216 && !completable; i++) {
                b[2] = conts[i % 6], b[3] = conts[i / 6 % 6], b[4] = conts[i / 36];
                completable = ref_valid(b, n);
            }
        }
        utf8_t v;
        utf8_init(&v);
        if ((utf8_feed(&v, b, 2) == 0) != completable)
            mismatches++;
    }
    CHECK_EQ_INT(mismatches, 0);
}

/* The 8-byte ASCII path must hand over to the byte path at every alignment. */
TEST(test_ascii_fast_path)
{
    uint8_t buf[80];
    for (size_t at = 0; at + 4 <= sizeof buf; at++) {
        memset(buf, 'x', sizeof buf);
        buf[at] = 0xFF;
        CHECK_EQ_INT(fail_index(buf, sizeof buf), at);
        CHECK(!utf8_valid(buf, sizeof buf));
        CHECK(!utf8_valid(buf + 1, sizeof buf - 1) == (at >= 1));
        memcpy(buf + at, "\xF0\x9F\x98\x80", 4);
        CHECK(utf8_valid(buf, sizeof buf));
        CHECK_EQ_INT(utf8_count(buf, sizeof buf), sizeof buf - 3);
        CHECK(!utf8_valid(buf, at + 3)); /* cut inside the code point */
        utf8_t v;
        utf8_init(&v);
        CHECK_EQ_INT(utf8_feed(&v, buf, at + 2), 0);
        CHECK(!utf8_complete(&v));
        CHECK_EQ_INT(utf8_feed(&v, buf + at + 2, sizeof buf - at - 2), 0);
        CHECK(utf8_complete(&v));
    }
    memset(buf, 'y', sizeof buf);
    CHECK(utf8_valid(buf, sizeof buf));
    CHECK(utf8_valid(NULL, 0));
}

/* The 4-byte code point split at every position across two and three feeds. */
TEST(test_split_code_point)
{
    const uint8_t s[] = "a\xF0\x9F\x98\x80"
                        "b";
    size_t len = sizeof s - 1;
    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len; j++) {
            utf8_t v;
            utf8_init(&v);
            CHECK_EQ_INT(utf8_feed(&v, s, i), 0);
            CHECK(utf8_complete(&v) == (i <= 1 || i >= 5));
            CHECK_EQ_INT(utf8_feed(&v, s + i, j - i), 0);
            CHECK_EQ_INT(utf8_feed(&v, s + j, len - j), 0);
            CHECK(utf8_complete(&v));
        }
    }
}

TEST(test_sticky_failure)
{
    utf8_t v;
    utf8_init(&v);
    CHECK_EQ_INT(utf8_feed(&v, (const uint8_t *)"ok\xC0", 3), -1);
    CHECK_EQ_INT(utf8_feed(&v, (const uint8_t *)"fine", 4), -1);
    CHECK_EQ_INT(utf8_feed(&v, NULL, 0), -1);
    CHECK(!utf8_complete(&v));
    utf8_init(&v);
    CHECK_EQ_INT(utf8_feed(&v, (const uint8_t *)"fine", 4), 0);
    CHECK(utf8_complete(&v));
}

TEST(test_count)
{
    CHECK_EQ_INT(utf8_count(NULL, 0), 0);
    CHECK_EQ_INT(utf8_count((const uint8_t *)"abc", 3), 3);
    CHECK_EQ_INT(utf8_count((const uint8_t *)"a\xF0\x9F\x98\x80"
                                             "b",
                            6),
                 3);
    CHECK_EQ_INT(utf8_count((const uint8_t *)"caf\xC3\xA9 \xE2\x82\xAC", 9), 6);
    /* A long mixed string against a byte-at-a-time count, at every length. */
    const char *piece = "x\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80yz";
    uint8_t buf[256];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)piece[i % strlen(piece)];
    for (size_t n = 0; n <= sizeof buf; n++) {
        size_t naive = 0;
        for (size_t i = 0; i < n; i++)
            naive += (buf[i] & 0xC0) != 0x80;
        CHECK_EQ_INT(utf8_count(buf, n), naive);
    }
}

int main(void)
{
    RUN(test_valid_samples);
    RUN(test_invalid_samples);
    RUN(test_exhaustive_against_reference);
    RUN(test_fail_fast_prefixes);
    RUN(test_ascii_fast_path);
    RUN(test_split_code_point);
    RUN(test_sticky_failure);
    RUN(test_count);
    return TEST_MAIN_END();
}
