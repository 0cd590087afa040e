/* utf8 - hand-written UTF-8 validator.
 *
 * Structure: utf8_t remembers how many continuation bytes the current sequence still needs
 * and the byte range the next one may take. The lead byte decides both (Unicode Table 3-7):
 *
 *   lead     conts  first continuation     why the first range is narrow
 *   00-7F    0      -
 *   C2-DF    1      80-BF                  (C0, C1 could only be overlong)
 *   E0       2      A0-BF                  below A0: overlong
 *   E1-EC    2      80-BF
 *   ED       2      80-9F                  A0-BF: surrogates D800-DFFF
 *   EE-EF    2      80-BF
 *   F0       3      90-BF                  below 90: overlong
 *   F1-F3    3      80-BF
 *   F4       3      80-8F                  90-BF: above U+10FFFF
 *   80-C1, F5-FF    never valid as a lead byte
 *
 * Every continuation after the first is 80-BF. Checking each byte against the range as it
 * arrives is what makes the failure immediate.
 *
 * Invariants: need == 0 means "between sequences"; need == UTF8_BROKEN is sticky until
 * utf8_init. Runs of ASCII between sequences are skipped 8 bytes at a time. */
#include "base/utf8.h"

#include <string.h>

#define HIGH_BITS 0x8080808080808080u
#define LOW_BITS 0x0101010101010101u

static uint64_t load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* Length of the ASCII prefix of p, in words of 8 bytes while it lasts. */
static size_t ascii_prefix(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i + 8 <= len && (load64(p + i) & HIGH_BITS) == 0)
        i += 8;
    while (i < len && p[i] < 0x80)
        i++;
    return i;
}

/* Starts a multi-byte sequence at lead byte b (>= 0x80). Returns -1 if b cannot start one. */
static int start_sequence(utf8_t *v, uint8_t b)
{
    v->lo = 0x80;
    v->hi = 0xBF;
    if (b < 0xC2)
        return -1;
    if (b < 0xE0) {
        v->need = 1;
    } else if (b < 0xF0) {
        v->need = 2;
        if (b == 0xE0)
            v->lo = 0xA0;
        else if (b == 0xED)
            v->hi = 0x9F;
    } else if (b < 0xF5) {
        v->need = 3;
        if (b == 0xF0)
            v->lo = 0x90;
        else if (b == 0xF4)
            v->hi = 0x8F;
    } else {
        return -1;
    }
    return 0;
}

void utf8_init(utf8_t *v)
{
    v->need = 0;
    v->lo = 0x80;
    v->hi = 0xBF;
}

int utf8_feed(utf8_t *v, const uint8_t *p, size_t len)
{
    if (v->need == UTF8_BROKEN)
        return -1;
    size_t i = 0;
    while (i < len) {
        if (v->need == 0) {
            i += ascii_prefix(p + i, len - i);
            if (i == len)
                break;
            if (start_sequence(v, p[i]) < 0)
                goto broken;
        } else {
            if (p[i] < v->lo || p[i] > v->hi)
                goto broken;
            v->need--;
            v->lo = 0x80;
            v->hi = 0xBF;
        }
        i++;
    }
    return 0;

broken:
    v->need = UTF8_BROKEN;
    return -1;
}

bool utf8_complete(const utf8_t *v)
{
    return v->need == 0;
}

bool utf8_valid(const uint8_t *p, size_t len)
{
    utf8_t v;
    utf8_init(&v);
    return utf8_feed(&v, p, len) == 0 && utf8_complete(&v);
}

size_t utf8_count(const uint8_t *p, size_t len)
{
    size_t n = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w = load64(p + i);
        /* A continuation byte is 10xxxxxx: bit 7 set and bit 6 clear. Shifting ~w left by
         * one brings each byte's inverted bit 6 under its bit 7; bits crossing into the next
         * byte land on bit 0 and are masked away. */
        uint64_t cont = w & (~w << 1) & HIGH_BITS;
        /* Sum the per-byte 0/1 flags into the top byte (at most 8, no carry out). */
        n += 8 - (size_t)((((cont >> 7) * LOW_BITS) >> 56) & 0xFF);
    }
    for (; i < len; i++)
        n += (p[i] & 0xC0) != 0x80;
    return n;
}
