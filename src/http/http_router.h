/* http_router - a table from method and path to a handler; no I/O, no logging, no uv.
 *
 * A route names its paths in one of three ways:
 *   exact    path equals route.path ("/healthz");
 *   set      route.lookup(route.data, path) returns non-NULL: a set of paths kept elsewhere
 *            (the embedded web client's files), whose entry the handler gets as item;
 *   prefix   path starts with route.path (HTTP_ROUTE_PREFIX, "/ws/"); the rest of the path
 *            (possibly empty) is the handler's param ("/ws/{client_id}").
 * and the methods it serves as a bit mask (HTTP_ROUTE_METHOD(HTTP_GET) | ...). A route that
 * serves GET serves HEAD too (RFC 9110 9.3.2), unless another route of the path names HEAD.
 *
 * A lookup considers every route whose path matches: exact routes first, then sets, then
 * prefixes from the longest; among equals, the first added. The first of them that serves the
 * method wins; if none does but some path matched, the answer is 405 with the union of their
 * methods (for the Allow header, RFC 9110 15.5.6); if no path matched, 404.
 *
 * A route that will read the request body says so (HTTP_ROUTE_BODY); the caller uses
 * http_router_takes_body as its parser's keep-body callback decision, so a body sent to any
 * other route is read through and dropped (keep-alive stays in sync) without being stored.
 *
 * Paths are compared as sent, byte for byte: no percent-decoding, no dot segments. */
#ifndef PARLEY_HTTP_ROUTER_H
#define PARLEY_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parse.h"

#define HTTP_ROUTE_METHOD(m) (UINT64_C(1) << (m)) /* m: an llhttp_method_t, all below 64 */
#define HTTP_ROUTE_ANY_METHOD UINT64_MAX          /* the handler answers every method itself */

enum {
    HTTP_ROUTE_PREFIX = 1 << 0, /* route.path is a prefix; the rest of the path is the param */
    HTTP_ROUTE_BODY = 1 << 1,   /* the handler reads the request body */
};

/* http_router_add's errors. */
#define HTTP_ROUTER_EINVAL (-1)
#define HTTP_ROUTER_ENOMEM (-2)

typedef struct http_route http_route_t;

/* What a lookup found, for the handler. Pointers are borrowed: param from the path looked
 * up, route from the router (valid until the next http_router_add), item from lookup. */
typedef struct {
    const http_route_t *route;
    const char *param; /* prefix routes: the path after the prefix (NUL-terminated), else NULL */
    size_t param_len;
    const void *item; /* set routes: what lookup returned for the path, else NULL */
    uint64_t allow;   /* 405: the methods the path's routes serve (HEAD added with GET) */
} http_match_t;

/* Answers one request. ctx is the caller's (its connection), passed through unchanged; req
 * and m are borrowed for the call. The router never calls a handler itself. */
typedef void (*http_handler_fn)(void *ctx, const http_request_t *req, const http_match_t *m);

struct http_route {
    const char *path; /* exact or prefix routes; NULL for a set */
    /* Set routes: the entry for path, or NULL when path is not in the set. Pure: it may be
     * called during any lookup, from the parser's keep-body callback included. */
    const void *(*lookup)(const void *data, const char *path);
    uint64_t methods; /* HTTP_ROUTE_METHOD bits, or HTTP_ROUTE_ANY_METHOD */
    unsigned flags;   /* HTTP_ROUTE_PREFIX, HTTP_ROUTE_BODY */
    size_t body_max;  /* HTTP_ROUTE_BODY: the longest body it reads (0: no bound of its own) */
    http_handler_fn handler;
    const void *data; /* for lookup and the handler; borrowed, outliving the router */
};

/* The table. Fields are private. */
typedef struct {
    http_route_t *routes;
    size_t n, cap;
} http_router_t;

/* An empty table; allocates nothing. */
void http_router_init(http_router_t *r);
/* Frees the table and its copies of the paths; r may be initialised again. */
void http_router_deinit(http_router_t *r);

/* Adds a copy of route (its path copied too). Returns 0; HTTP_ROUTER_EINVAL when the route
 * has no handler or no methods, or not exactly one of a path (starting with '/') and a
 * lookup, or HTTP_ROUTE_PREFIX without a path; HTTP_ROUTER_ENOMEM when out of memory. On
 * error the table is unchanged. */
int http_router_add(http_router_t *r, const http_route_t *route);

/* Finds the route for method (an llhttp_method_t) and path (NUL-terminated, borrowed).
 * Returns 0 with *m filled (route, and param or item), 404 with *m cleared, or 405 with only
 * m->allow set. */
int http_router_find(const http_router_t *r, uint8_t method, const char *path, http_match_t *m);

/* True when the route that method and path find reads its body (HTTP_ROUTE_BODY): what a
 * parser's keep-body callback should answer for that request head. */
bool http_router_takes_body(const http_router_t *r, uint8_t method, const char *path);
/* As a keep-body callback decides (http_parse.h): 0 when the route that method and path
 * find reads no body, else its body_max, or SIZE_MAX when it sets none. */
size_t http_router_body_limit(const http_router_t *r, uint8_t method, const char *path);

/* Writes the methods in mask as an Allow header value, "GET, HEAD, POST", in llhttp's method
 * order, NUL-terminated; bits naming no HTTP method are skipped. Returns its length, or -1 when it
 * does not fit in cap (out is then unspecified). */
int http_router_allow(uint64_t mask, char *out, size_t cap);

#endif
