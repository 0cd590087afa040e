/* api_cred - tokens and the cookie rule, read from header values; see api_cred.h.
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

api_cred_verdict_t api_cred_session(const char *authorization, const char *cookie,
                                    http_origin_t origin, bool read, const char **token,
                                    size_t *len)
{
    bool from_cookie = false;
    *len = 0;
    *token = api_cred_token(authorization, cookie, len, &from_cookie);
    if (!*token)
        return API_CRED_NONE;
    if (!from_cookie || origin == HTTP_ORIGIN_OURS || (origin == HTTP_ORIGIN_NONE && read))
        return API_CRED_TOKEN;
    *token = NULL;
    *len = 0;
    return origin == HTTP_ORIGIN_FOREIGN ? API_CRED_FOREIGN : API_CRED_NONE;
}
