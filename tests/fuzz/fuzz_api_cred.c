/* fuzz_api_cred - libFuzzer target for the credentials of a request: api/api_cred (the Bearer
 * token of Authorization, the parley_session cookie, which of them a request presents, and
 * the cookie rule by Origin) and, on the way there, http_parse's collection of the Cookie and
 * Authorization lines (several Cookie lines joined with "; ", values trimmed).
 *
 * There is no third place a token comes from: the server reads no token from the query string
 * (a WebSocket join carries one in its JSON payload, which fuzz_json_env covers).
 *
 * Input layout:
 *   byte 0     flags: bit 0 no Authorization (NULL); bit 1 no Cookie (NULL); bit 2 through
 *              HTTP: the values are sent as header lines of a request that http_parse reads,
 *              and what it collects is checked and used
 *   the rest   the Authorization value, then '\n', then the Cookie value (directly), or one
 *              Cookie line per '\n'-separated field (through HTTP)
 * Values given directly are copied to heap buffers of exactly their size (NUL included), so
 * ASan sees a read past either.
 *
 * Checked (abort() on a violation), against reference rules written here the other way
 * round (split first, then trim):
 *   - through HTTP: the request parses or fails with 400/431; parsed, its Authorization is
 *     the line trimmed, its Cookie the non-empty trimmed lines joined with "; ";
 *   - api_cred_bearer: the token of "Bearer" (any case) and white space, exactly when it is
 *     non-empty and holds no space, tab or comma; the token ends the value;
 *   - api_cred_cookie: the value of the first pair (pairs split at ';', leading white space
 *     skipped) named parley_session, trailing white space trimmed and one pair of quotes
 *     removed; NULL when that value is empty or there is no such pair; it points into the
 *     argument, holds no ';' and is not empty;
 *   - api_cred_token: Bearer when the scheme is Bearer (an unusable one: "" and 0, never the
 *     cookie), else the cookie's, with from_cookie saying so;
 *   - api_cred_session: the cookie rule of api_cred.h, for each Origin verdict, read or not.
 * No state is kept between inputs; the parser is deinitialised (LeakSanitizer checks). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_cred.h"
#include "fuzz_util.h"
#include "http/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_api_cred: %s\n", what);
    abort();
}

static bool is_ws(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* ---- reference rules ---- */

static bool ref_bearer_scheme(const char *v)
{
    return v && strncasecmp(v, "bearer", 6) == 0 && (v[6] == '\0' || is_ws(v[6]));
}

static const char *ref_bearer(const char *v, size_t *len)
{
    if (!ref_bearer_scheme(v))
        return NULL;
    const char *t = v + 6;
    while (is_ws(*t))
        t++;
    size_t n = strlen(t);
    if (n == 0 || strpbrk(t, " \t,"))
        return NULL;
    *len = n;
    return t;
}

static const char *ref_cookie(const char *v, size_t *len)
{
    static const char name[] = API_COOKIE_NAME "=";
    const size_t nl = sizeof(name) - 1;
    if (!v)
        return NULL;
    for (const char *p = v;;) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        while (n && is_ws(*p)) {
            p++;
            n--;
        }
        if (n >= nl && memcmp(p, name, nl) == 0) {
            const char *val = p + nl;
            size_t vl = n - nl;
            while (vl && is_ws(val[vl - 1]))
                vl--;
            if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
                val++;
                vl -= 2;
            }
            if (vl == 0)
                return NULL;
            *len = vl;
            return val;
        }
        if (!semi)
            return NULL;
        p = semi + 1;
    }
}

/* ---- checks ---- */

static void check_cred(const char *authz, const char *cookie)
{
    size_t len = 0, rlen = 0;
    const char *t = api_cred_bearer(authz, &len), *rt = ref_bearer(authz, &rlen);
    if (t != rt || (t && len != rlen))
        fail("api_cred_bearer: unlike the reference");
    if (t && t + len != authz + strlen(authz))
        fail("api_cred_bearer: the token does not end the value");

    size_t clen = 0, rclen = 0;
    const char *c = api_cred_cookie(cookie, &clen), *rc = ref_cookie(cookie, &rclen);
    if (c != rc || (c && clen != rclen))
        fail("api_cred_cookie: unlike the reference");
    if (c &&
        (clen == 0 || c < cookie || c + clen > cookie + strlen(cookie) || memchr(c, ';', clen)))
        fail("api_cred_cookie: a value empty, outside the argument, or holding ';'");

    bool from_cookie = true;
    len = 0;
    const char *tok = api_cred_token(authz, cookie, &len, &from_cookie);
    if (ref_bearer_scheme(authz)) {
        bool same = rt ? tok == rt && len == rlen : tok && *tok == '\0' && len == 0;
        if (!same || from_cookie)
            fail("api_cred_token: a Bearer value not taken as such");
    } else if (tok != c || from_cookie != (c != NULL) || (c && len != clen)) {
        fail("api_cred_token: the cookie's token not taken as such");
    }

    static const http_origin_t verdicts[] = {HTTP_ORIGIN_NONE, HTTP_ORIGIN_OURS,
                                             HTTP_ORIGIN_FOREIGN};
    for (size_t i = 0; i < 3; i++) {
        for (int read = 0; read < 2; read++) {
            const char *st = NULL;
            size_t sl = 99;
            api_cred_verdict_t v = api_cred_session(authz, cookie, verdicts[i], read, &st, &sl);
            api_cred_verdict_t want;
            if (!tok)
                want = API_CRED_NONE;
            else if (!from_cookie || verdicts[i] == HTTP_ORIGIN_OURS ||
                     (verdicts[i] == HTTP_ORIGIN_NONE && read))
                want = API_CRED_TOKEN;
            else
                want = verdicts[i] == HTTP_ORIGIN_FOREIGN ? API_CRED_FOREIGN : API_CRED_NONE;
            if (v != want)
                fail("api_cred_session: unlike the cookie rule");
            if (v == API_CRED_TOKEN ? st != tok || sl != len : st != NULL || sl != 0)
                fail("api_cred_session: the token does not go with the verdict");
        }
    }
}

/* A request with the Authorization line (unless NULL) and one Cookie line per field of
 * cookies (unless NULL), through http_parse. */
static void through_http(const char *authz, const char *cookies, size_t clen, bool has_cookie)
{
    size_t cap = 128 + (authz ? strlen(authz) : 0) + clen * 12;
    char *req = malloc(cap), *want = malloc(2 * clen + 1); /* "; " for each "\n" */
    if (!req || !want)
        fail("out of memory");
    size_t n = (size_t)snprintf(req, cap, "GET /api/me HTTP/1.1\r\nHost: chat.local\r\n");
    if (authz)
        n += (size_t)snprintf(req + n, cap - n, "Authorization: %s\r\n", authz);
    size_t wl = 0;
    for (size_t off = 0; has_cookie && off <= clen;) {
        const char *line = cookies + off, *nl = memchr(line, '\n', clen - off);
        size_t ll = nl ? (size_t)(nl - line) : clen - off;
        off += ll + 1;
        memcpy(req + n, "Cookie: ", 8);
        memcpy(req + n + 8, line, ll);
        memcpy(req + n + 8 + ll, "\r\n", 2);
        n += ll + 10;
        while (ll && is_ws(*line)) {
            line++;
            ll--;
        }
        while (ll && is_ws(line[ll - 1]))
            ll--;
        if (ll && wl) {
            memcpy(want + wl, "; ", 2);
            wl += 2;
        }
        memcpy(want + wl, line, ll);
        wl += ll;
    }
    memcpy(req + n, "\r\n", 2);
    n += 2;
    want[wl] = '\0';

    http_parser_t p;
    http_parser_init(&p, 1 << 20, 0);
    http_request_t *r = NULL;
    int status = 0;
    ssize_t got = http_parser_feed(&p, req, n, &r, &status);
    if (got < 0) {
        if (status != 400 && status != 431)
            fail("http_parse: an unexpected status for credential lines");
    } else if (!r) {
        fail("http_parse: a whole request head not read as one");
    } else {
        if ((r->cookie != NULL) != has_cookie || (r->cookie && strcmp(r->cookie, want) != 0))
            fail("http_parse: the Cookie lines not joined with \"; \" as sent");
        if (authz) {
            const char *a = authz;
            size_t al = strlen(a);
            while (al && is_ws(*a)) {
                a++;
                al--;
            }
            while (al && is_ws(a[al - 1]))
                al--;
            if (!r->authorization || strlen(r->authorization) != al ||
                memcmp(r->authorization, a, al) != 0)
                fail("http_parse: Authorization not the line trimmed");
        } else if (r->authorization) {
            fail("http_parse: an Authorization that was not sent");
        }
        check_cred(r->authorization, r->cookie);
    }
    http_parser_deinit(&p);
    free(req);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    const char *in = (const char *)data + 1;
    size--;
    const char *nl = memchr(in, '\n', size);
    size_t al = nl ? (size_t)(nl - in) : size;
    size_t coff = nl ? al + 1 : size;
    /* A header value holds no NUL (llhttp refuses it): cut there, as a C string would. */
    char *authz = flags & 1 ? NULL : fuzz_dup(in, strnlen(in, al));
    if (flags & 4) {
        through_http(authz, in + coff, size - coff, !(flags & 2));
    } else {
        char *cookie = flags & 2 ? NULL : fuzz_dup(in + coff, strnlen(in + coff, size - coff));
        check_cred(authz, cookie);
        free(cookie);
    }
    free(authz);
    return 0;
}
