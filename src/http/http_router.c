/* http_router - method and path to handler; see http_router.h.
 *
 * The table is a plain array searched in full on every lookup: a server has a handful of
 * routes, and a scan keeps the precedence rules in one comparison (route_before) instead of
 * in the shape of an index. Each route owns a copy of its path, so a caller may build one
 * from a temporary string (a configured echo path). */
#include "http/http_router.h"

#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

enum { KIND_EXACT, KIND_SET, KIND_PREFIX };

static int kind_of(const http_route_t *rt)
{
    return !rt->path ? KIND_SET : (rt->flags & HTTP_ROUTE_PREFIX) ? KIND_PREFIX : KIND_EXACT;
}

/* Whether rt's paths include path; fills the route's part of m when they do. */
static bool path_matches(const http_route_t *rt, const char *path, http_match_t *m)
{
    *m = (http_match_t){.route = rt};
    switch (kind_of(rt)) {
    case KIND_EXACT:
        return strcmp(rt->path, path) == 0;
    case KIND_SET:
        m->item = rt->lookup(rt->data, path);
        return m->item != NULL;
    default: {
        size_t n = strlen(rt->path);
        if (strncmp(rt->path, path, n) != 0)
            return false;
        m->param = path + n;
        m->param_len = strlen(m->param);
        return true;
    }
    }
}

/* Precedence: exact, then set, then prefix (longer first); then the order of adding, which
 * the scan keeps by replacing the best only with a strictly better route. */
static bool route_before(const http_route_t *a, const http_route_t *b)
{
    int ka = kind_of(a), kb = kind_of(b);
    if (ka != kb)
        return ka < kb;
    return ka == KIND_PREFIX && strlen(a->path) > strlen(b->path);
}

void http_router_init(http_router_t *r)
{
    *r = (http_router_t){0};
}

void http_router_deinit(http_router_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free((char *)r->routes[i].path);
    free(r->routes);
    *r = (http_router_t){0};
}

static bool route_valid(const http_route_t *rt)
{
    if (!rt->handler || !rt->methods || (!rt->path == !rt->lookup))
        return false;
    if (rt->path && rt->path[0] != '/')
        return false;
    return rt->path || !(rt->flags & HTTP_ROUTE_PREFIX);
}

int http_router_add(http_router_t *r, const http_route_t *route)
{
    if (!route_valid(route))
        return HTTP_ROUTER_EINVAL;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        http_route_t *routes = realloc(r->routes, cap * sizeof(*routes));
        if (!routes)
            return HTTP_ROUTER_ENOMEM;
        r->routes = routes;
        r->cap = cap;
    }
    http_route_t copy = *route;
    if (route->path) {
        size_t n = strlen(route->path) + 1;
        char *path = malloc(n);
        if (!path)
            return HTTP_ROUTER_ENOMEM;
        memcpy(path, route->path, n);
        copy.path = path;
    }
    r->routes[r->n++] = copy;
    return 0;
}

/* The best route for path among those serving any method in want; also collects into
 * *allow every method of every route whose path matches. */
static bool best_route(const http_router_t *r, uint64_t want, const char *path, http_match_t *best,
                       uint64_t *allow)
{
    bool found = false;
    for (size_t i = 0; i < r->n; i++) {
        const http_route_t *rt = &r->routes[i];
        http_match_t m;
        if (!path_matches(rt, path, &m))
            continue;
        *allow |= rt->methods;
        if ((rt->methods & want) && (!found || route_before(rt, best->route))) {
            *best = m;
            found = true;
        }
    }
    return found;
}

int http_router_find(const http_router_t *r, uint8_t method, const char *path, http_match_t *m)
{
    uint64_t allow = 0, get = HTTP_ROUTE_METHOD(HTTP_GET);
    if (method < 64 && best_route(r, HTTP_ROUTE_METHOD(method), path, m, &allow))
        return 0;
    /* HEAD falls back on GET only after no route named HEAD itself. */
    if (method == HTTP_HEAD && best_route(r, get, path, m, &allow))
        return 0;
    *m = (http_match_t){0};
    if (!allow)
        return 404;
    if (allow & get)
        allow |= HTTP_ROUTE_METHOD(HTTP_HEAD);
    m->allow = allow;
    return 405;
}

bool http_router_takes_body(const http_router_t *r, uint8_t method, const char *path)
{
    return http_router_body_limit(r, method, path) > 0;
}

size_t http_router_body_limit(const http_router_t *r, uint8_t method, const char *path)
{
    http_match_t m;
    if (http_router_find(r, method, path, &m) != 0 || !(m.route->flags & HTTP_ROUTE_BODY))
        return 0;
    return m.route->body_max ? m.route->body_max : SIZE_MAX;
}

/* The name of an HTTP method (not llhttp_method_name, which aborts on a number it does not
 * know and also names RTSP's), or NULL. */
static const char *method_name(unsigned m)
{
    switch (m) {
#define METHOD_NAME(num, name, string)                                                             \
    case num:                                                                                      \
        return #string;
        HTTP_METHOD_MAP(METHOD_NAME)
#undef METHOD_NAME
    default:
        return NULL;
    }
}

int http_router_allow(uint64_t mask, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return -1;
    out[0] = '\0';
    for (unsigned m = 0; m < 64; m++) {
        if (!(mask & HTTP_ROUTE_METHOD(m)))
            continue;
        const char *name = method_name(m);
        if (!name)
            continue;
        size_t n = strlen(name), sep = len ? 2 : 0;
        if (len + sep + n + 1 > cap)
            return -1;
        memcpy(out + len, ", ", sep);
        memcpy(out + len + sep, name, n + 1);
        len += sep + n;
    }
    return (int)len;
}
