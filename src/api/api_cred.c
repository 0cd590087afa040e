/* api_cred - tokens, the Origin rule and https, read from header values; see api_cred.h.
 *
 * Header values arrive trimmed of surrounding spaces and tabs (http_parse), so only inner
 * white space is skipped here. Nothing is copied: results point into the arguments. */
#include "api/api_cred.h"

#include <string.h>
#include <strings.h>

static bool is_ws(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* True when the bearer scheme starts a (trimmed) Authorization value; *rest is after it. */
static bool bearer_scheme(const char *v, const char **rest)
{
    if (!v || strncasecmp(v, "bearer", 6) != 0 || (v[6] != '\0' && !is_ws(v[6])))
        return false;
    *rest = v + 6;
    return true;
}

const char *api_cred_bearer(const char *authorization, size_t *len)
{
    const char *t;
    if (!bearer_scheme(authorization, &t))
        return NULL;
    while (is_ws(*t))
        t++;
    size_t n = strcspn(t, " \t,");
    if (n == 0 || t[n] != '\0')
        return NULL;
    *len = n;
    return t;
}

const char *api_cred_cookie(const char *cookie, size_t *len)
{
    static const char name[] = API_COOKIE_NAME;
    const size_t nlen = sizeof(name) - 1;
    for (const char *p = cookie; p && *p;) {
        while (is_ws(*p) || *p == ';')
            p++;
        size_t pair = strcspn(p, ";");
        if (pair > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            const char *v = p + nlen + 1;
            size_t n = pair - nlen - 1;
            while (n && is_ws(v[n - 1]))
                n--;
            if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                v++;
                n -= 2;
            }
            if (n == 0)
                return NULL;
            *len = n;
            return v;
        }
        p += pair;
    }
    return NULL;
}

const char *api_cred_token(const char *authorization, const char *cookie, size_t *len,
                           bool *from_cookie)
{
    const char *rest;
    *from_cookie = false;
    if (bearer_scheme(authorization, &rest)) {
        const char *t = api_cred_bearer(authorization, len);
        if (t)
            return t;
        *len = 0;
        return ""; /* presented, unusable: never a fall-back to the cookie */
    }
    const char *t = api_cred_cookie(cookie, len);
    if (t)
        *from_cookie = true;
    return t;
}

/* origin (olen bytes) equals scheme + host, ignoring ASCII case. */
static bool same_origin(const char *origin, size_t olen, const char *scheme, const char *host)
{
    size_t sl = strlen(scheme), hl = strlen(host);
    return olen == sl + hl && strncasecmp(origin, scheme, sl) == 0 &&
           strncasecmp(origin + sl, host, hl) == 0;
}

/* origin equals one of the comma-separated entries of list. */
static bool listed(const char *origin, size_t olen, const char *list)
{
    for (const char *p = list; p && *p;) {
        while (is_ws(*p) || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        const char *e = p;
        p += n;
        while (n && is_ws(e[n - 1]))
            n--;
        if (n && e[n - 1] == '/')
            n--;
        if (n && n == olen && strncasecmp(e, origin, n) == 0)
            return true;
    }
    return false;
}

bool api_cred_origin_allowed(const char *origin, const char *host, const char *origins)
{
    if (!origin || !*origin || strcmp(origin, "null") == 0)
        return false;
    size_t olen = strlen(origin);
    if (host && *host &&
        (same_origin(origin, olen, "http://", host) || same_origin(origin, olen, "https://", host)))
        return true;
    return listed(origin, olen, origins);
}

bool api_cred_https(const char *forwarded_proto)
{
    if (!forwarded_proto)
        return false;
    size_t n = strcspn(forwarded_proto, ",");
    while (n && is_ws(forwarded_proto[n - 1]))
        n--;
    return n == 5 && strncasecmp(forwarded_proto, "https", 5) == 0;
}
