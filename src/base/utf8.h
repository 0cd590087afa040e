/* utf8 - UTF-8 validation, whole-buffer and incremental, and code point counting.
 *
 * "Valid" means well-formed per Unicode Table 3-7 (RFC 3629): no overlong forms, no
 * surrogates (U+D800-DFFF), nothing above U+10FFFF, every continuation byte in place. The
 * incremental validator fails at the first byte that makes the input invalid, which is what
 * RFC 6455 8.1 asks of a WebSocket endpoint reading a text message. */
#ifndef PARLEY_UTF8_H
#define PARLEY_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Incremental validator state: plain data, may be embedded and copied; no heap. */
typedef struct {
    uint8_t need;   /* continuation bytes still expected; UTF8_BROKEN once invalid */
    uint8_t lo, hi; /* inclusive range allowed for the next continuation byte */
} utf8_t;

#define UTF8_BROKEN 0xFF

/* Starts a new validation (between two sequences, nothing seen). */
void utf8_init(utf8_t *v);

/* Feeds len bytes of p (borrowed; may be NULL when len is 0). Returns 0 if everything fed
 * since utf8_init can still be valid UTF-8 (possibly mid-sequence), -1 as soon as it is not.
 * The failure is sticky: every later call returns -1 until utf8_init. */
int utf8_feed(utf8_t *v, const uint8_t *p, size_t len);

/* True when not in the middle of a sequence (and no error was seen): the input so far is
 * complete, valid UTF-8. */
bool utf8_complete(const utf8_t *v);

/* True when the len bytes of p (borrowed) are complete, valid UTF-8. */
bool utf8_valid(const uint8_t *p, size_t len);

/* Number of code points in p. Meaningful for valid UTF-8 only (it counts the bytes that are
 * not continuation bytes); never reads past len. */
size_t utf8_count(const uint8_t *p, size_t len);

#endif
