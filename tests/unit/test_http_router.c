/* test_http_router - the route table: exact, set and prefix paths, their precedence, HEAD
 * served by GET, 404 and 405 with the Allow value, bodies taken or not, bad routes. */
#include "http/http_router.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define M(m) HTTP_ROUTE_METHOD(HTTP_##m)

/* Handlers are told apart by address; the router never calls them. */
static void h_a(void *ctx, const http_request_t *req, const http_match_t *m)
{
    (void)ctx, (void)req, (void)m;
}
static void h_b(void *ctx, const http_request_t *req, const http_match_t *m)
{
    (void)ctx, (void)req, (void)m;
}
static void h_c(void *ctx, const http_request_t *req, const http_match_t *m)
{
    (void)ctx, (void)req, (void)m;
}

/* A set of paths kept elsewhere, as the embedded files are. */
static const char *const files[] = {"/", "/app.js", "/style.css", NULL};

static const void *file_lookup(const void *data, const char *path)
{
    const char *const *list = data;
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], path) == 0)
            return list[i];
    return NULL;
}

static void add(http_router_t *r, const char *path, uint64_t methods, unsigned flags,
                http_handler_fn h)
{
    http_route_t rt = {.path = path, .methods = methods, .flags = flags, .handler = h};
    CHECK_EQ_INT(http_router_add(r, &rt), 0);
}

/* The handler found for method and path, or NULL; *status gets the lookup's answer. */
static http_handler_fn find(const http_router_t *r, uint8_t method, const char *path,
                            http_match_t *m, int *status)
{
    *status = http_router_find(r, method, path, m);
    return *status == 0 ? m->route->handler : NULL;
}

static void check_allow(uint64_t mask, const char *expect)
{
    char allow[128];
    CHECK(http_router_allow(mask, allow, sizeof(allow)) == (int)strlen(expect));
    CHECK_EQ_STR(allow, expect);
}

TEST(test_exact)
{
    http_router_t r;
    http_router_init(&r);
    add(&r, "/healthz", M(GET), 0, h_a);
    add(&r, "/metrics", M(GET), 0, h_b);
    http_match_t m;
    int st;
    CHECK(find(&r, HTTP_GET, "/healthz", &m, &st) == h_a);
    CHECK(m.param == NULL && m.item == NULL);
    CHECK(find(&r, HTTP_GET, "/metrics", &m, &st) == h_b);
    /* HEAD is served by the GET route. */
    CHECK(find(&r, HTTP_HEAD, "/metrics", &m, &st) == h_b);
    /* Exact means exact: no trailing slash, no prefix, no case folding, no decoding. */
    const char *miss[] = {"/healthz/", "/health", "/healthzz", "/HEALTHZ", "/%68ealthz", "", "/"};
    for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++) {
        CHECK(find(&r, HTTP_GET, miss[i], &m, &st) == NULL);
        CHECK_EQ_INT(st, 404);
        CHECK(m.route == NULL && m.allow == 0);
    }
    /* Another method on a known path: 405, and Allow says what the path serves. */
    CHECK(find(&r, HTTP_POST, "/healthz", &m, &st) == NULL);
    CHECK_EQ_INT(st, 405);
    CHECK(m.route == NULL);
    check_allow(m.allow, "GET, HEAD");
    http_router_deinit(&r);
}

TEST(test_methods_across_routes)
{
    http_router_t r;
    http_router_init(&r);
    add(&r, "/a", M(GET), 0, h_a);
    add(&r, "/a", M(POST) | M(DELETE), HTTP_ROUTE_BODY, h_b);
    add(&r, "/b", M(HEAD), 0, h_a);
    add(&r, "/b", M(GET), 0, h_b);
    add(&r, "/c", M(POST), 0, h_c);
    http_match_t m;
    int st;
    CHECK(find(&r, HTTP_GET, "/a", &m, &st) == h_a);
    CHECK(find(&r, HTTP_POST, "/a", &m, &st) == h_b);
    CHECK(find(&r, HTTP_DELETE, "/a", &m, &st) == h_b);
    /* Allow is the union of the path's routes, in llhttp's method order. */
    CHECK(find(&r, HTTP_PUT, "/a", &m, &st) == NULL);
    CHECK_EQ_INT(st, 405);
    check_allow(m.allow, "DELETE, GET, HEAD, POST");
    /* A route that names HEAD beats the GET route for HEAD, whatever the order. */
    CHECK(find(&r, HTTP_HEAD, "/b", &m, &st) == h_a);
    CHECK(find(&r, HTTP_GET, "/b", &m, &st) == h_b);
    /* No GET: no HEAD either, and Allow does not invent it. */
    CHECK(find(&r, HTTP_HEAD, "/c", &m, &st) == NULL);
    CHECK_EQ_INT(st, 405);
    check_allow(m.allow, "POST");
    /* Bodies: only where a route takes one. */
    CHECK(http_router_takes_body(&r, HTTP_POST, "/a"));
    CHECK(!http_router_takes_body(&r, HTTP_GET, "/a"));
    CHECK(!http_router_takes_body(&r, HTTP_POST, "/c"));
    CHECK(!http_router_takes_body(&r, HTTP_PUT, "/a"));
    CHECK(!http_router_takes_body(&r, HTTP_POST, "/nowhere"));
    CHECK_EQ_INT(http_router_body_limit(&r, HTTP_GET, "/a"), 0);
    CHECK(http_router_body_limit(&r, HTTP_POST, "/a") == SIZE_MAX); /* no bound of its own */
    http_router_deinit(&r);
}

TEST(test_prefix)
{
    http_router_t r;
    http_router_init(&r);
    add(&r, "/ws", HTTP_ROUTE_ANY_METHOD, 0, h_a);
    add(&r, "/ws/", HTTP_ROUTE_ANY_METHOD, HTTP_ROUTE_PREFIX, h_b);
    add(&r, "/ws/admin/", M(GET), HTTP_ROUTE_PREFIX, h_c);
    http_match_t m;
    int st;
    CHECK(find(&r, HTTP_GET, "/ws", &m, &st) == h_a);
    CHECK(m.param == NULL);
    /* Any method: the handler answers it (a WebSocket route says 426 to a POST). */
    CHECK(find(&r, HTTP_POST, "/ws", &m, &st) == h_a);
    CHECK(find(&r, HTTP_GET, "/ws/alice", &m, &st) == h_b);
    CHECK(m.param && strcmp(m.param, "alice") == 0);
    CHECK_EQ_INT(m.param_len, 5);
    /* The empty rest is a match, with an empty param. */
    CHECK(find(&r, HTTP_GET, "/ws/", &m, &st) == h_b);
    CHECK(m.param && m.param[0] == '\0' && m.param_len == 0);
    /* The longest prefix wins, for the methods it serves; the shorter one takes the rest. */
    CHECK(find(&r, HTTP_GET, "/ws/admin/x", &m, &st) == h_c);
    CHECK_EQ_STR(m.param, "x");
    CHECK(find(&r, HTTP_PUT, "/ws/admin/x", &m, &st) == h_b);
    CHECK_EQ_STR(m.param, "admin/x");
    CHECK(find(&r, HTTP_GET, "/wsx", &m, &st) == NULL);
    CHECK_EQ_INT(st, 404);
    CHECK(find(&r, HTTP_GET, "/w", &m, &st) == NULL);
    http_router_deinit(&r);
}

TEST(test_set_and_precedence)
{
    http_router_t r;
    http_router_init(&r);
    add(&r, "/", M(GET), HTTP_ROUTE_PREFIX, h_c); /* a catch-all, last in precedence */
    http_route_t set = {.lookup = file_lookup, .methods = M(GET), .handler = h_b, .data = files};
    CHECK_EQ_INT(http_router_add(&r, &set), 0);
    add(&r, "/app.js", M(GET), 0, h_a);
    http_match_t m;
    int st;
    /* Exact beats set beats prefix, whatever order they were added in. */
    CHECK(find(&r, HTTP_GET, "/app.js", &m, &st) == h_a);
    CHECK(find(&r, HTTP_GET, "/style.css", &m, &st) == h_b);
    CHECK(m.item == files[2]);
    CHECK(find(&r, HTTP_HEAD, "/", &m, &st) == h_b);
    CHECK(m.item == files[0]);
    CHECK(find(&r, HTTP_GET, "/other", &m, &st) == h_c);
    CHECK_EQ_STR(m.param, "other");
    /* Among equals, the first added wins. */
    add(&r, "/app.js", M(GET), 0, h_b);
    CHECK(find(&r, HTTP_GET, "/app.js", &m, &st) == h_a);
    /* 405 across kinds: the set and the prefix both match, neither serves DELETE. */
    CHECK(find(&r, HTTP_DELETE, "/style.css", &m, &st) == NULL);
    CHECK_EQ_INT(st, 405);
    check_allow(m.allow, "GET, HEAD");
    http_router_deinit(&r);
}

TEST(test_empty_and_bad_routes)
{
    http_router_t r;
    http_router_init(&r);
    http_match_t m;
    int st;
    CHECK(find(&r, HTTP_GET, "/", &m, &st) == NULL);
    CHECK_EQ_INT(st, 404);
    const http_route_t bad[] = {
        {.path = "/x", .methods = M(GET)},                /* no handler */
        {.path = "/x", .handler = h_a},                   /* no methods */
        {.path = "x", .methods = M(GET), .handler = h_a}, /* not a path */
        {.methods = M(GET), .handler = h_a},              /* no path, no set */
        {.path = "/x", .lookup = file_lookup, .methods = M(GET), .handler = h_a}, /* both */
        {.lookup = file_lookup, .methods = M(GET), .flags = HTTP_ROUTE_PREFIX, .handler = h_a},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(http_router_add(&r, &bad[i]), HTTP_ROUTER_EINVAL);
    CHECK_EQ_INT(r.n, 0);
    /* The router keeps its own copy of a path. */
    char path[] = "/tmp";
    add(&r, path, M(GET), 0, h_a);
    path[1] = 'X';
    CHECK(find(&r, HTTP_GET, "/tmp", &m, &st) == h_a);
    /* Many routes: the table grows. */
    char p[32];
    for (int i = 0; i < 100; i++) {
        (void)snprintf(p, sizeof(p), "/r%d", i);
        add(&r, p, M(GET), 0, i % 2 ? h_a : h_b);
    }
    CHECK(find(&r, HTTP_GET, "/r99", &m, &st) == h_a);
    CHECK(find(&r, HTTP_GET, "/r42", &m, &st) == h_b);
    http_router_deinit(&r);
    http_router_deinit(&r); /* deinit twice is harmless */
}

TEST(test_allow_format)
{
    check_allow(0, "");
    check_allow(M(GET), "GET");
    check_allow(M(OPTIONS) | M(GET) | M(PATCH), "GET, OPTIONS, PATCH");
    /* Bits past the last method name nothing and are skipped. */
    check_allow(M(GET) | (UINT64_C(1) << 63), "GET");
    char small[16];
    CHECK_EQ_INT(http_router_allow(M(GET) | M(HEAD), small, 9), -1); /* no room for the NUL */
    CHECK_EQ_INT(http_router_allow(M(GET) | M(HEAD), small, 10), 9);
    CHECK_EQ_STR(small, "GET, HEAD");
    CHECK_EQ_INT(http_router_allow(M(GET), small, 0), -1);
}

int main(void)
{
    RUN(test_exact);
    RUN(test_methods_across_routes);
    RUN(test_prefix);
    RUN(test_set_and_precedence);
    RUN(test_empty_and_bad_routes);
    RUN(test_allow_format);
    return TEST_MAIN_END();
}
