/* api_cred - what a request says about who sends it: the session token of
 * `Authorization: Bearer` or of the parley_session cookie, whether its Origin is one of
 * ours, and whether it came over https. The REST layer (api.c) and the WebSocket upgrade
 * (server.c) decide by the same rules (docs/protocol.md, "Accounts").
 *
 * The Origin rule: an Origin is allowed when it equals "http://" or "https://" followed by
 * the request's own Host header, or one of the extra origins (--origins, a comma-separated
 * list such as "https://chat.example.com, https://x.example"); compared without regard to
 * ASCII case, an entry's trailing '/' ignored. A missing Origin, "null", or a request
 * without Host and not listed is not allowed.
 *
 * Pure: no state, no I/O, no allocation. Every string argument may be NULL (the header is
 * absent); returned pointers point into the argument they were found in. */
#ifndef PARLEY_API_CRED_H
#define PARLEY_API_CRED_H

#include <stdbool.h>
#include <stddef.h>

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

/* The Origin rule above. */
bool api_cred_origin_allowed(const char *origin, const char *host, const char *origins);

/* True when X-Forwarded-Proto's first element is "https": the client's connection to the
 * proxy was secure, so the cookie gets Secure. */
bool api_cred_https(const char *forwarded_proto);

#endif
