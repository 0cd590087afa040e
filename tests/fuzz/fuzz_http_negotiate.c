/* fuzz_http_negotiate - libFuzzer target for http/http_negotiate: Accept-Encoding and
 * If-None-Match as a client may send them.
 *
 * Input layout: three fields separated by '\n' (a header value never holds one): an
 * Accept-Encoding value, an If-None-Match value, an entity tag; a missing field is NULL.
 * Every string is copied into a heap buffer of exactly its size, so ASan sees a read one
 * byte past it.
 *
 * Checked (abort() on a violation):
 *   Accept-Encoding: the answer does not change with ASCII case (codings and "q" are
 *     case-insensitive), nor with spaces around the value; NULL and "" are false;
 *   If-None-Match: the answer does not change with spaces around the value; NULL never
 *     matches, "*" always does; a quoted tag without '"' or ',' inside matches itself, with
 *     "W/" before it, and as the second member of a list.
 * No state is kept between inputs. */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *field(const uint8_t **p, const uint8_t *end)
{
    if (*p > end)
        return NULL;
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl ? nl : end;
    size_t n = (size_t)(stop - *p);
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    if (memchr(s, '\0', n)) /* a header value holds no NUL: cut there, as a C string does */
        n = strlen(s);
    *p = nl ? nl + 1 : end + 1;
    return s;
}

static char *join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (!s)
        abort();
    snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static void check(bool ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *ae = field(&p, end), *inm = field(&p, end), *tag = field(&p, end);

    check(!http_accepts_gzip(NULL) && !http_accepts_gzip(""));
    if (ae) {
        bool gz = http_accepts_gzip(ae);
        char *upper = join3(ae, "", "");
        for (char *c = upper; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        check(http_accepts_gzip(upper) == gz);
        char *spaced = join3(" \t", ae, " ");
        check(http_accepts_gzip(spaced) == gz);
        free(upper);
        free(spaced);
    }
    if (tag) {
        check(!http_etag_matches(NULL, tag));
        check(http_etag_matches("*", tag));
        if (inm) {
            bool m = http_etag_matches(inm, tag);
            char *spaced = join3(" ", inm, "\t");
            check(http_etag_matches(spaced, tag) == m);
            free(spaced);
        }
        size_t n = strlen(tag);
        if (n >= 2 && tag[0] == '"' && tag[n - 1] == '"' && !strpbrk(tag + 1, ",") &&
            !memchr(tag + 1, '"', n - 2)) {
            check(http_etag_matches(tag, tag));
            char *weak = join3("W/", tag, "");
            check(http_etag_matches(weak, tag));
            char *list = join3("\"x\", ", tag, "");
            check(http_etag_matches(list, tag));
            free(weak);
            free(list);
        }
    }
    free(ae);
    free(inm);
    free(tag);
    return 0;
}
