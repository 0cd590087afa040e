/* buf - the one growable, owning byte buffer, and the one borrowed view (slice).
 *
 * A buf_t owns `data` (heap, or NULL while empty); `len` bytes are used of `cap`. Appends
 * grow it geometrically; buf_consume drops bytes from the front (memmove: buffers here are
 * small and short-lived, so a ring is not worth its complexity). The data is always followed
 * by a NUL byte once anything was appended, so text can be handed to C string functions. */
#ifndef PARLEY_BUF_H
#define PARLEY_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *p;
    size_t len;
} buf_slice_t;

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} buf_t;

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void buf_init(buf_t *b);
void buf_deinit(buf_t *b);                /* frees data; b is empty and reusable */
void buf_reserve(buf_t *b, size_t extra); /* room for len + extra + NUL */
void buf_append(buf_t *b, const void *p, size_t n);
void buf_append_str(buf_t *b, const char *s);
void buf_appendf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vappendf(buf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_consume(buf_t *b, size_t n);   /* drops the first n bytes */
void buf_reset(buf_t *b);               /* len = 0, keeps the allocation */
char *buf_steal(buf_t *b, size_t *len); /* hands data to the caller, b empty */

#endif
