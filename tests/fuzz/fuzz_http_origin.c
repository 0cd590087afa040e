/* fuzz_http_origin - libFuzzer target for http/http_origin: the Host rule, the Origin rule,
 * X-Forwarded-Proto and --public-url's reading, with the configured lists (--host-names,
 * --allowed-origins) taken from the input too.
 *
 * Input layout:
 *   byte 0     flags: bit 0 https (the request's own scheme); bit 1 no Host header (NULL);
 *              bit 2 no Origin header; bit 3 no host names configured (NULL); bit 4 no
 *              allowed origins configured (NULL)
 *   byte 1     ocap: the origin buffer given to http_url_origin
 *   byte 2     hcap: the host buffer given to http_url_origin
 *   the rest   fields separated by '\n' (a header value never holds one): Host, host names,
 *              Origin, allowed origins, a public URL, X-Forwarded-Proto; a missing field is
 *              NULL (absent), an empty one ""
 * Every string is copied into a heap buffer of exactly its size (NUL included) and every
 * output buffer is exactly its cap, so ASan sees a read or write one byte past either.
 *
 * Checked (abort() on a violation):
 *   Host:   the result is 0, 400 or 421; absent or "" is 0; whether it is 400 does not depend
 *           on the names; an upper-cased Host and names give the same answer; a Host taken as
 *           ours (0) holds only the characters a CSP source may (letters, digits, "-._:[]"),
 *           and http_security_headers names it in connect-src without adding a line; a Host
 *           ours without names stays ours with any; and with names, a Host not ours by itself
 *           is ours exactly when its name (one trailing dot ignored) is listed, as a reference
 *           list matcher here decides;
 *   Origin: equal to the reference rule: NULL none; "" and "null" foreign; ours exactly when
 *           it is the scheme and Host (ASCII case ignored) or listed in allowed;
 *   X-Forwarded-Proto: equal to the reference (first element, trailing space trimmed, "https");
 *   public URL: 0 or -1; on 0 both outputs are NUL-terminated within their caps, the origin is
 *           lower case and starts with the URL's scheme, the origin is accepted by the Origin
 *           rule with itself as the allowed list, reading the origin again as a URL gives the
 *           same origin and host, a host name (not an IPv6 literal) is accepted by the Host
 *           rule with itself as the names, and with a small cap it succeeds only as it does
 *           with room to spare, with the same outputs.
 * No state is kept between inputs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_util.h"
#include "http/http_origin.h"
#include "http/http_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { F_HOST, F_NAMES, F_ORIGIN, F_ALLOWED, F_URL, F_XFP, NFIELDS };

#define URL_ROOM 600 /* more than any URL http_url_origin accepts needs (a Host is <= 259) */

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_http_origin: %s\n", what);
    abort();
}

static char *dup_upper(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = fuzz_dup(s, n);
    for (size_t i = 0; i < n; i++)
        if (d[i] >= 'a' && d[i] <= 'z')
            d[i] = (char)(d[i] - 'a' + 'A');
    return d;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* The list rule of http_origin.h, written the other way round (split at every comma first,
 * then trim each entry on both sides): s (len bytes) is an entry, ASCII case ignored, each
 * entry trimmed of spaces and tabs and then of one trailing `trail`. */
static bool ref_listed(const char *s, size_t len, const char *list, char trail)
{
    if (!list)
        return false;
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *e = p;
        while (n && is_space(*e)) {
            e++;
            n--;
        }
        while (n && is_space(e[n - 1]))
            n--;
        if (n && e[n - 1] == trail)
            n--;
        if (n && n == len && strncasecmp(e, s, n) == 0)
            return true;
        if (!comma)
            return false;
        p = comma + 1;
    }
}

/* http_url_origin with room to spare; *ok tells whether it succeeded. */
typedef struct {
    bool ok;
    char origin[URL_ROOM], host[URL_ROOM];
} url_t;

static void read_url(const char *url, url_t *u)
{
    u->ok = http_url_origin(url, u->origin, sizeof(u->origin), u->host, sizeof(u->host)) == 0;
    if (u->ok &&
        (!memchr(u->origin, '\0', sizeof(u->origin)) || !memchr(u->host, '\0', sizeof(u->host))))
        fail("http_url_origin: an output not NUL-terminated");
}

/* The CSP of a Host taken as ours names it and stays four lines. */
static void check_csp(const char *host)
{
    char out[HTTP_SECURITY_HEADERS_MAX], want[2 * HTTP_HOST_MAX + 32];
    int n = http_security_headers(out, sizeof(out), host);
    if (n < 0)
        fail("http_security_headers failed for a Host taken as ours");
    snprintf(want, sizeof(want), " ws://%s wss://%s;", host, host);
    if (!strstr(out, want))
        fail("a Host taken as ours is not named in connect-src");
    int crlf = 0, cr = 0, lf = 0;
    for (const char *p = out; (p = strstr(p, "\r\n")); p += 2)
        crlf++;
    for (const char *p = out; *p; p++) {
        cr += *p == '\r';
        lf += *p == '\n';
    }
    if (crlf != 4 || cr != 4 || lf != 4)
        fail("a Host taken as ours changed the lines of the security headers");
}

static void check_host(const char *host, const char *names)
{
    int r = http_host_check(host, names);
    if (r != 0 && r != 400 && r != 421)
        fail("http_host_check: an unknown result");
    if ((!host || !*host) && r != 0)
        fail("http_host_check: no Host is not 0");
    int alone = http_host_check(host, NULL);
    if ((alone == 400) != (r == 400))
        fail("http_host_check: validity depends on the names");
    if (alone == 0 && r != 0)
        fail("http_host_check: ours without names, not ours with them");
    char *uh = dup_upper(host), *un = dup_upper(names);
    if (http_host_check(uh, un) != r)
        fail("http_host_check: upper case changes the answer");
    free(uh);
    free(un);
    if (!host || !*host)
        return;
    if (r == 0) {
        if (strlen(host) > HTTP_HOST_MAX)
            fail("http_host_check: a Host over HTTP_HOST_MAX taken");
        for (const char *p = host; *p; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:[]", *p))
                fail("http_host_check: a Host taken as ours holds a character a CSP may not");
        check_csp(host);
    }
    if (alone != 421)
        return;
    /* Not ours by itself: a name, which the URL reader splits off its port for us. */
    size_t hl = strlen(host);
    char *url = malloc(hl + 8);
    if (!url)
        fail("out of memory");
    memcpy(url, "http://", 7);
    memcpy(url + 7, host, hl + 1);
    url_t u;
    read_url(url, &u);
    free(url);
    if (!u.ok) {
        /* Valid but unreadable as a URL: only a name with characters never ours. */
        if (!strpbrk(host, "~%!$&'()*+,;="))
            fail("http_host_check: a plain Host that http_url_origin refuses");
        if (r != 421)
            fail("http_host_check: a Host with characters never ours taken as ours");
        return;
    }
    size_t n = strlen(u.host);
    if (n > 1 && u.host[n - 1] == '.')
        n--;
    if ((r == 0) != ref_listed(u.host, n, names, '.'))
        fail("http_host_check: listed or not, unlike the reference");
    /* "." alone is a valid name that no list entry can be (an entry's one trailing dot goes). */
    if (strcmp(u.host, ".") != 0 && http_host_check(host, u.host) != 0)
        fail("http_host_check: a Host not ours with its own name as the names");
}

static void check_origin(const char *origin, const char *host, bool https, const char *allowed)
{
    http_origin_t r = http_origin_check(origin, host, https, allowed);
    http_origin_t want;
    if (!origin) {
        want = HTTP_ORIGIN_NONE;
    } else if (!*origin || strcmp(origin, "null") == 0) {
        want = HTTP_ORIGIN_FOREIGN;
    } else {
        const char *scheme = https ? "https://" : "http://";
        size_t sl = strlen(scheme), ol = strlen(origin);
        bool same = host && *host && ol == sl + strlen(host) &&
                    strncasecmp(origin, scheme, sl) == 0 && strcasecmp(origin + sl, host) == 0;
        want =
            same || ref_listed(origin, ol, allowed, '/') ? HTTP_ORIGIN_OURS : HTTP_ORIGIN_FOREIGN;
    }
    if (r != want)
        fail("http_origin_check: unlike the reference rule");
}

static void check_forwarded(const char *v)
{
    bool want = false;
    if (v) {
        size_t n = strcspn(v, ",");
        while (n && is_space(v[n - 1]))
            n--;
        want = n == 5 && strncasecmp(v, "https", 5) == 0;
    }
    if (http_forwarded_https(v) != want)
        fail("http_forwarded_https: unlike the reference");
}

static void check_url(const char *url, size_t ocap, size_t hcap)
{
    if (!url)
        return;
    url_t u;
    read_url(url, &u);
    /* The same call with exact-size buffers of the input's caps. */
    char *o = malloc(ocap ? ocap : 1), *h = malloc(hcap ? hcap : 1);
    if (!o || !h)
        fail("out of memory");
    int rs = http_url_origin(url, o, ocap, h, hcap);
    if (rs != 0 && rs != -1)
        fail("http_url_origin: an unknown result");
    if (rs == 0 && (!u.ok || !memchr(o, '\0', ocap) || !memchr(h, '\0', hcap) ||
                    strcmp(o, u.origin) != 0 || strcmp(h, u.host) != 0))
        fail("http_url_origin: a small buffer gives another answer than a large one");
    free(o);
    free(h);
    if (!u.ok)
        return;
    bool https = strncasecmp(url, "https://", 8) == 0;
    if (strncmp(u.origin, https ? "https://" : "http://", https ? 8 : 7) != 0)
        fail("http_url_origin: the origin does not start with the URL's scheme");
    for (const char *p = u.origin; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            fail("http_url_origin: the origin is not lower case");
    if (http_origin_check(u.origin, NULL, https, u.origin) != HTTP_ORIGIN_OURS)
        fail("http_url_origin: the origin is not ours with itself as the allowed list");
    url_t again;
    read_url(u.origin, &again);
    if (!again.ok || strcmp(again.origin, u.origin) != 0 || strcmp(again.host, u.host) != 0)
        fail("http_url_origin: reading its own origin gives another answer");
    bool v6 = url[https ? 8 : 7] == '[';
    if (!v6 && strcmp(u.host, ".") != 0 && http_host_check(u.host, u.host) != 0)
        fail("http_url_origin: its host name is not ours with itself as the names");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t flags = data[0];
    size_t ocap = data[1], hcap = data[2];
    data += 3;
    size -= 3;
    char *f[NFIELDS] = {0};
    size_t off = 0;
    for (int i = 0; i < NFIELDS && off <= size; i++) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t n = nl ? (size_t)(nl - (data + off)) : size - off;
        f[i] = fuzz_dup(data + off, n);
        off += n + 1;
    }
    bool https = flags & 1;
    const char *host = flags & 2 ? NULL : f[F_HOST];
    const char *origin = flags & 4 ? NULL : f[F_ORIGIN];
    const char *names = flags & 8 ? NULL : f[F_NAMES];
    const char *allowed = flags & 16 ? NULL : f[F_ALLOWED];
    check_host(host, names);
    check_origin(origin, host, https, allowed);
    check_forwarded(f[F_XFP]);
    check_url(f[F_URL], ocap, hcap);
    for (int i = 0; i < NFIELDS; i++)
        free(f[i]);
    return 0;
}
