/* http_origin - the Host and Origin rules, read from header values; see http_origin.h.
 *
 * A Host value is split once (host_split) into its name, an IP-literal flag and its port,
 * and classed on the way: a name made of letters, digits, '-', '.' and '_' may be ours; one
 * that also holds other characters RFC 3986 allows in a reg-name ('~', '%', sub-delims) is
 * valid but never ours; any other character is a malformed Host. Only names of the first
 * class ever reach a response (the CSP's connect-src), so no ';' or ',' can be reflected.
 *
 * IP literals are parsed by inet_pton, which takes exactly the dotted-quad IPv4 form a
 * browser writes in Host (never "0x7f.1" or "2130706433") and plain IPv6 (no zone id). */
#include "http/http_origin.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *name; /* the host name, or the IP literal without its brackets */
    size_t len;
    bool literal;     /* an IPv4 or IPv6 literal */
    bool plain;       /* only letters, digits, '-', '.', '_' (or a literal) */
    const char *port; /* the digits after ':', NULL when there is no ':' */
    size_t port_len;
} host_parts_t;

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

static bool is_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* The port after a host: nothing, or ':' and at most 5 digits up to 65535 (an empty port is
 * valid, RFC 3986 3.2.3). Returns false when p holds anything else. */
static bool port_ok(const char *p, size_t len, host_parts_t *out)
{
    if (len == 0)
        return true;
    if (p[0] != ':' || len > 6)
        return false;
    unsigned v = 0;
    for (size_t i = 1; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    out->port = p + 1;
    out->port_len = len - 1;
    return v <= 65535;
}

/* inet_pton of len bytes at s (not NUL-terminated). */
static bool ip_literal(int family, const char *s, size_t len)
{
    char buf[INET6_ADDRSTRLEN];
    unsigned char addr[16];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(family, buf, addr) == 1;
}

/* Splits a non-empty Host value of len bytes; false when it is malformed. */
static bool host_split(const char *host, size_t len, host_parts_t *out)
{
    *out = (host_parts_t){0};
    if (len > HTTP_HOST_MAX)
        return false;
    if (host[0] == '[') {
        const char *end = memchr(host, ']', len);
        if (!end || !ip_literal(AF_INET6, host + 1, (size_t)(end - host - 1)))
            return false;
        *out = (host_parts_t){host + 1, (size_t)(end - host - 1), true, true, NULL, 0};
        return port_ok(end + 1, len - (size_t)(end + 1 - host), out);
    }
    size_t n = 0;
    out->plain = true;
    for (; n < len && host[n] != ':'; n++) {
        char ch = host[n];
        if (is_alnum(ch) || ch == '-' || ch == '.' || ch == '_')
            continue;
        if (!strchr("~%!$&'()*+,;=", ch) || ch == '\0')
            return false;
        out->plain = false;
    }
    if (n == 0)
        return false;
    out->name = host;
    out->len = n;
    out->literal = out->plain && ip_literal(AF_INET, host, n);
    return port_ok(host + n, len - n, out);
}

/* s (len bytes) equals, ignoring ASCII case, an entry of the comma-separated list, each
 * entry trimmed of white space and of one trailing `trail` character (a host name's final
 * dot, an origin's final slash). */
static bool listed(const char *s, size_t len, const char *list, char trail)
{
    for (const char *p = list; p && *p;) {
        while (is_space(*p) || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        const char *e = p;
        p += n;
        while (n && is_space(e[n - 1]))
            n--;
        if (n && e[n - 1] == trail)
            n--;
        if (n && n == len && strncasecmp(e, s, n) == 0)
            return true;
    }
    return false;
}

int http_host_check(const char *host, const char *names)
{
    if (!host || !*host)
        return 0;
    host_parts_t h;
    if (!host_split(host, strlen(host), &h))
        return 400;
    if (h.literal)
        return 0;
    if (!h.plain)
        return 421;
    size_t n = h.len;
    if (n > 1 && h.name[n - 1] == '.')
        n--;
    static const char lh[] = "localhost";
    const size_t ll = sizeof(lh) - 1;
    if ((n == ll && strncasecmp(h.name, lh, ll) == 0) ||
        (n > ll + 1 && h.name[n - ll - 1] == '.' && strncasecmp(h.name + n - ll, lh, ll) == 0))
        return 0;
    return listed(h.name, n, names, '.') ? 0 : 421;
}

/* origin (olen bytes) equals scheme followed by host, ignoring ASCII case. */
static bool same_origin(const char *origin, size_t olen, const char *scheme, const char *host)
{
    size_t sl = strlen(scheme), hl = strlen(host);
    return olen == sl + hl && strncasecmp(origin, scheme, sl) == 0 &&
           strncasecmp(origin + sl, host, hl) == 0;
}

http_origin_t http_origin_check(const char *origin, const char *host, bool https,
                                const char *allowed)
{
    if (!origin)
        return HTTP_ORIGIN_NONE;
    if (!*origin || strcmp(origin, "null") == 0)
        return HTTP_ORIGIN_FOREIGN;
    size_t olen = strlen(origin);
    if (host && *host && same_origin(origin, olen, https ? "https://" : "http://", host))
        return HTTP_ORIGIN_OURS;
    return listed(origin, olen, allowed, '/') ? HTTP_ORIGIN_OURS : HTTP_ORIGIN_FOREIGN;
}

bool http_forwarded_https(const char *forwarded_proto)
{
    if (!forwarded_proto)
        return false;
    size_t n = strcspn(forwarded_proto, ",");
    while (n && is_space(forwarded_proto[n - 1]))
        n--;
    return n == 5 && strncasecmp(forwarded_proto, "https", 5) == 0;
}

/* Copies len bytes of s in lower case to *at (room bytes left), advancing both. */
static bool put_lower(char **at, size_t *room, const char *s, size_t len)
{
    if (len >= *room)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = "abcdefghijklmnopqrstuvwxyz"[ch - 'A'];
        (*at)[i] = ch;
    }
    *at += len;
    *room -= len;
    **at = '\0';
    return true;
}

int http_url_origin(const char *url, char *origin, size_t ocap, char *host, size_t hcap)
{
    bool https = strncasecmp(url, "https://", 8) == 0;
    if (!https && strncasecmp(url, "http://", 7) != 0)
        return -1;
    const char *auth = url + (https ? 8 : 7);
    size_t alen = strcspn(auth, "/?#");
    if (strcmp(auth + alen, "") != 0 && strcmp(auth + alen, "/") != 0)
        return -1;
    host_parts_t h;
    if (alen == 0 || memchr(auth, '@', alen) || !host_split(auth, alen, &h) || !h.plain)
        return -1;
    /* Browsers leave the scheme's default port out of Origin (RFC 6454 6.2). */
    bool dflt = h.port_len == 0 || (https && h.port_len == 3 && memcmp(h.port, "443", 3) == 0) ||
                (!https && h.port_len == 2 && memcmp(h.port, "80", 2) == 0);
    bool v6 = auth[0] == '[';
    char *at = origin;
    size_t room = ocap;
    bool ok = put_lower(&at, &room, url, https ? 8 : 7) && put_lower(&at, &room, "[", v6) &&
              put_lower(&at, &room, h.name, h.len) && put_lower(&at, &room, "]", v6) &&
              put_lower(&at, &room, ":", !dflt) &&
              put_lower(&at, &room, h.port ? h.port : "", dflt ? 0 : h.port_len);
    at = host;
    room = hcap;
    return ok && put_lower(&at, &room, h.name, h.len) ? 0 : -1;
}

int http_base_path(const char *in, char *out, size_t cap)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
    size_t n = strlen(in);
    while (n && in[n - 1] == '/')
        n--;
    if ((*in && *in != '/') || n > HTTP_BASE_PATH_MAX || n >= cap)
        return -1;
    for (size_t i = 0; i < n;) {
        size_t len = strcspn(in + i + 1, "/");
        if (i + 1 + len > n)
            len = n - i - 1;
        const char *seg = in + i + 1;
        if (len == 0 || strspn(seg, safe) < len || (len == 1 && seg[0] == '.') ||
            (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return -1;
        i += 1 + len;
    }
    memcpy(out, in, n);
    out[n] = '\0';
    return 0;
}
