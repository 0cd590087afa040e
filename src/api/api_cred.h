/* api_cred - what a request says about who sends it: the session token of
 * `Authorization: Bearer` or of the parley_session cookie, and whether the cookie counts. The
 * REST layer (api.c) and the WebSocket upgrade (server_http.c) decide by this one rule
 * (docs/protocol.md, "Authentication"):
 *
 *   - a Bearer token always counts: no browser adds it by itself, so whoever sends it holds
 *     it on purpose;
 *   - the cookie (which the browser adds by itself) counts when the request's Origin is ours
 *     (http_origin.h); when the Origin is foreign it is refused (403 bad_origin); without an
 *     Origin it counts only for a read (GET, HEAD under /api: a browser leaves Origin out of
 *     its own same-origin reads, and a foreign page cannot read our answers without CORS,
 *     which we never grant), never for a change or an upgrade (browsers always send Origin
 *     there, so such a request comes from a script, which must use Bearer).
 *
 * Pure: no state, no I/O, no allocation. Every string argument may be NULL (the header is
 * absent); returned pointers point into the argument they were found in. */
#ifndef PARLEY_API_CRED_H
#define PARLEY_API_CRED_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_origin.h"

#define API_COOKIE_NAME "parley_session"

/* The token of an Authorization value "Bearer TOKEN" (scheme in any case, RFC 9110 11.1),
 * with *len its length; NULL for another scheme, an empty token, or one holding white space
 * or a comma (a list of credentials is no credential). */
const char *api_cred_bearer(const char *authorization, size_t *len);

/* The value of the first parley_session cookie of a Cookie value ("a=1; parley_session=T"),
 * surrounding double quotes removed (RFC 6265 4.1.1), or NULL when there is none or it is
 * empty. */
const char *api_cred_cookie(const char *cookie, size_t *len);

/* The token a request presents: the Bearer token when there is an Authorization: Bearer
 * (even an unusable one does not fall back: *len may then be 0 with a non-NULL "" result),
 * else the cookie's. *from_cookie tells which. NULL when the request presents neither. */
const char *api_cred_token(const char *authorization, const char *cookie, size_t *len,
                           bool *from_cookie);

/* What the cookie rule above makes of a request's credentials. */
typedef enum {
    API_CRED_NONE,    /* nothing that counts: no credentials, or a cookie that is ignored */
    API_CRED_TOKEN,   /* *token and *len: the Bearer token (len 0: presented, unusable) or
                         the cookie's */
    API_CRED_FOREIGN, /* only the cookie, from a page of another origin: refuse (403) */
} api_cred_verdict_t;

/* The rule above, for a request whose Origin verdict is origin; read is true for GET and
 * HEAD under /api, false for other methods and for an upgrade. *token is NULL unless the
 * verdict is API_CRED_TOKEN. */
api_cred_verdict_t api_cred_session(const char *authorization, const char *cookie,
                                    http_origin_t origin, bool read, const char **token,
                                    size_t *len);

#endif
