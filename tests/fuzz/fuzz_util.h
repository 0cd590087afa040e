/* fuzz_util - what several libFuzzer targets of this folder share: a growing text (the logs
 * that two passes over one input must agree on) and exact-size copies of input bytes (so
 * that ASan sees a read one byte past them). Out of memory aborts: a harness has nothing
 * better to do. Header-only, static functions: each target is one translation unit. */
#ifndef PARLEY_FUZZ_UTIL_H
#define PARLEY_FUZZ_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *s; /* NULL or NUL-terminated */
    size_t len, cap;
} text_t;

static inline void text_put(text_t *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->s = realloc(t->s, cap);
        if (!t->s)
            abort();
        t->cap = cap;
    }
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* At most 127 bytes of formatted text. */
__attribute__((format(printf, 2, 3))) static inline void text_putf(text_t *t, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    text_put(t, tmp, n < 0 ? 0 : n < (int)sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* n bytes of p and a NUL, in a heap buffer of exactly n + 1 bytes. */
static inline char *fuzz_dup(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        abort();
    memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

#endif
