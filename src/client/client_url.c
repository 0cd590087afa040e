/* client_url - parsing the server URLs parley-cli takes; see client_url.h. */
#include "client/client_url.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

/* The base path's segments: the server's own rule (docs/protocol.md, --base-path). */
static bool path_char(char c)
{
    return host_char(c) || c == '~' || c == '/';
}

/* No empty, "." or ".." segment in base ("" or "/a/b"). */
static bool segments_ok(const char *base)
{
    while (*base == '/') {
        const char *seg = ++base;
        while (*base && *base != '/')
            base++;
        size_t n = (size_t)(base - seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
    }
    return true;
}

int client_url_parse(const char *s, client_url_t *u, const char **err)
{
    static const struct {
        const char *prefix;
        bool tls;
    } schemes[] = {{"http://", false}, {"ws://", false}, {"https://", true}, {"wss://", true}};
    memset(u, 0, sizeof(*u));
    const char *p = NULL;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i].prefix);
        if (!strncasecmp(s, schemes[i].prefix, n)) {
            p = s + n;
            u->tls = schemes[i].tls;
        }
    }
    if (!p) {
        *err = "the URL must start with http://, https://, ws:// or wss://";
        return -1;
    }
    u->port = u->tls ? 443 : 80;
    const char *host = p, *host_end;
    if (*p == '[') {
        host = ++p;
        while (*p && *p != ']' && (host_char(*p) || *p == ':'))
            p++;
        if (*p != ']' || p == host) {
            *err = "bad IPv6 address in the URL";
            return -1;
        }
        host_end = p++;
        u->ipv6 = true;
    } else {
        while (host_char(*p))
            p++;
        host_end = p;
    }
    if (host_end == host || (size_t)(host_end - host) >= sizeof(u->host)) {
        *err = "no host in the URL";
        return -1;
    }
    memcpy(u->host, host, (size_t)(host_end - host));
    if (*p == ':') {
        long port = 0;
        const char *d = ++p;
        while (*p >= '0' && *p <= '9' && port <= 65535)
            port = port * 10 + (*p++ - '0');
        if (p == d || port < 1 || port > 65535 || (*p && *p != '/')) {
            *err = "bad port in the URL";
            return -1;
        }
        u->port = (int)port;
    }
    if (*p && *p != '/') {
        *err = "bad host in the URL";
        return -1;
    }
    const char *base = p;
    while (*p && path_char(*p))
        p++;
    if (*p == '?' || *p == '#') {
        *err = "a query or fragment has no place in the server's URL";
        return -1;
    }
    if (*p) {
        *err = "bad character in the URL's path";
        return -1;
    }
    size_t n = (size_t)(p - base);
    while (n > 0 && base[n - 1] == '/') /* "/chat/" and "/" are "/chat" and "" */
        n--;
    /* A path naming the WebSocket itself (ws://host/ws) means the server at its parent. */
    if (n >= 3 && !memcmp(base + n - 3, "/ws", 3))
        n -= 3;
    if (n >= sizeof(u->base)) {
        *err = "the URL's path is too long";
        return -1;
    }
    memcpy(u->base, base, n);
    if (!segments_ok(u->base)) {
        *err = "bad segment in the URL's path";
        return -1;
    }
    return 0;
}

int client_url_host_header(const client_url_t *u, char *out, size_t cap)
{
    int n;
    bool dflt = u->port == (u->tls ? 443 : 80);
    const char *l = u->ipv6 ? "[" : "", *r = u->ipv6 ? "]" : "";
    if (dflt)
        n = snprintf(out, cap, "%s%s%s", l, u->host, r);
    else
        n = snprintf(out, cap, "%s%s%s:%d", l, u->host, r, u->port);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int client_url_key(const client_url_t *u, char *out, size_t cap)
{
    char host[CLIENT_URL_HOST_MAX];
    size_t i = 0;
    for (; u->host[i] && i + 1 < sizeof(host); i++) /* host names are not case-sensitive */
        host[i] = (char)(u->host[i] >= 'A' && u->host[i] <= 'Z' ? u->host[i] | 0x20 : u->host[i]);
    host[i] = '\0';
    const char *l = u->ipv6 ? "[" : "", *r = u->ipv6 ? "]" : "";
    int n = snprintf(out, cap, "%s://%s%s%s:%d%s", u->tls ? "https" : "http", l, host, r, u->port,
                     u->base);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
