/* fuzz_utf8 - libFuzzer target for base/utf8.
 *
 * Input: any bytes; all of them are the text. The first byte also picks how the text is cut
 * into pieces for the incremental check.
 *
 * Checks, against a reference written here independently of utf8.c (it decodes by bit
 * patterns and asks whether the code points a prefix can still become intersect the valid
 * range of its length, RFC 3629 section 3 / Unicode Table 3-7):
 *   - utf8_valid(whole) == reference verdict;
 *   - utf8_feed byte by byte fails exactly at the first byte that makes the input invalid
 *     (RFC 6455 8.1 fail-fast) and stays failed; utf8_complete at the end agrees;
 *   - utf8_feed in pieces (sizes from the first byte, with empty and NULL feeds between)
 *     gives the same verdict as whole;
 *   - utf8_count == number of non-continuation bytes, and == number of decoded code points
 *     when the input is valid.
 * Any mismatch abort()s. No state is kept between inputs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sequence length announced by a lead byte, from its bit pattern; 0 if it cannot lead. */
static size_t ref_seq_len(uint8_t b)
{
    if ((b & 0x80) == 0)
        return 1;
    if ((b & 0xE0) == 0xC0)
        return 2;
    if ((b & 0xF0) == 0xE0)
        return 3;
    if ((b & 0xF8) == 0xF0)
        return 4;
    return 0;
}

/* Whether some valid code point of an L-byte encoding starts with the k bytes of s (k <= L,
 * continuation bytes already known to be 10xxxxxx). The code points whose encoding starts
 * with s form the interval [lo, hi] got by filling the missing bits with 0s and 1s. */
static bool ref_prefix_ok(const uint8_t *s, size_t k, size_t L)
{
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    static const uint32_t max_cp[5] = {0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
    static const uint8_t lead_bits[5] = {0, 7, 5, 4, 3};
    uint32_t lo = s[0] & ((1u << lead_bits[L]) - 1), hi = lo;
    for (size_t i = 1; i < L; i++) {
        lo = lo << 6 | (i < k ? (s[i] & 0x3Fu) : 0x00);
        hi = hi << 6 | (i < k ? (s[i] & 0x3Fu) : 0x3F);
    }
    if (hi < min_cp[L] || lo > max_cp[L])
        return false;
    if (lo < min_cp[L])
        lo = min_cp[L];
    if (hi > max_cp[L])
        hi = max_cp[L];
    /* Anything left outside the surrogates D800-DFFF? */
    return lo < 0xD800 || hi > 0xDFFF;
}

/* Index of the first byte after which the input can no longer be a prefix of valid UTF-8,
 * or len when there is none. *complete: the input ends between sequences; *cps: code points
 * decoded. */
static size_t ref_check(const uint8_t *p, size_t len, bool *complete, size_t *cps)
{
    size_t i = 0;
    *cps = 0;
    while (i < len) {
        size_t L = ref_seq_len(p[i]);
        if (L == 0)
            return i;
        size_t k = 1;
        for (;;) {
            if (!ref_prefix_ok(p + i, k, L))
                return i + k - 1;
            if (k == L)
                break;
            if (i + k == len) {
                *complete = false;
                return len;
            }
            if ((p[i + k] & 0xC0) != 0x80)
                return i + k;
            k++;
        }
        i += L;
        (*cps)++;
    }
    *complete = true;
    return len;
}

static void fail(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "fuzz_utf8: %s (%zu vs %zu)\n", what, a, b);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool ref_complete = false;
    size_t ref_cps = 0;
    size_t bad = ref_check(data, size, &ref_complete, &ref_cps);
    bool ref_ok = bad == size && ref_complete;

    if (utf8_valid(data, size) != ref_ok)
        fail("utf8_valid disagrees with the reference", utf8_valid(data, size), ref_ok);

    /* Byte by byte: 0 before the first bad byte, -1 from it on. */
    utf8_t v;
    utf8_init(&v);
    for (size_t i = 0; i < size; i++) {
        int want = i < bad ? 0 : -1;
        int got = utf8_feed(&v, data + i, 1);
        if (got != want)
            fail("utf8_feed byte by byte: verdict at byte i vs first bad byte", i, bad);
    }
    if (utf8_complete(&v) != ref_ok)
        fail("utf8_complete after byte-by-byte feed", utf8_complete(&v), ref_ok);

    /* In pieces of 1..16 bytes, the pattern drawn from the first byte, with empty feeds. */
    uint8_t seed = size ? data[0] : 0;
    utf8_init(&v);
    int rc = utf8_feed(&v, NULL, 0);
    for (size_t off = 0, j = 0; off < size; j++) {
        size_t n = 1 + ((seed >> (j & 3)) + 3 * j) % 16;
        if (n > size - off)
            n = size - off;
        int r = utf8_feed(&v, data + off, n);
        if (rc < 0 && r == 0)
            fail("utf8_feed failure is not sticky", off, n);
        rc = r;
        off += n;
        if (rc < 0 && off <= bad)
            fail("utf8_feed in pieces fails before the first bad byte", off, bad);
        if (rc == 0 && off > bad)
            fail("utf8_feed in pieces misses the bad byte", off, bad);
        if (utf8_feed(&v, data + off, 0) != rc)
            fail("empty utf8_feed changes the verdict", off, 0);
    }
    if ((rc == 0 && utf8_complete(&v)) != ref_ok)
        fail("utf8_feed in pieces disagrees with whole", rc, ref_ok);

    /* Counting. */
    size_t leads = 0;
    for (size_t i = 0; i < size; i++)
        leads += (data[i] & 0xC0) != 0x80;
    size_t count = utf8_count(data, size);
    if (count != leads)
        fail("utf8_count != non-continuation bytes", count, leads);
    if (ref_ok && count != ref_cps)
        fail("utf8_count != decoded code points", count, ref_cps);
    /* Counting a prefix never reads past it (ASan watches) and is monotonic. */
    if (size && utf8_count(data, size - 1) > count)
        fail("utf8_count of a prefix exceeds the whole", utf8_count(data, size - 1), count);
    return 0;
}
