/* fuzz_api - libFuzzer target for the REST layer's request bodies and everything they reach:
 * api (routing, the Origin and cookie rules, the JSON body), api_account and api_admin (each
 * handler's reading of its body), and auth underneath (names in ICU's canonical form,
 * passwords, invites, reset links, roles, rates), over the in-memory store.
 *
 * Requests go the way the server takes them (server_http.c): a request is written as HTTP/1.1
 * bytes and read by http_parse, whose keep-body callback asks a route table holding the /api
 * routes of server_add_routes (so a body is kept only under /api, within API_BODY_MAX); the
 * Host is checked by http_host_check; http_router_find picks the route; and its handler fills
 * an api_request_t as serve_api does and calls api_handle. Only the framing is the harness's:
 * it writes Content-Length for the body it was given, so that mutating a body does not turn
 * it into a framing error (fuzz_http_parse fuzzes the framing).
 *
 * Each input starts from the same accounts, loaded into a fresh store and registry: an owner
 * (user 1), an admin (2), a member (3), a banned member (4) and a guest (5), each with a
 * session of a known token (TOKEN_*), the member with a second session (6) and an expired one
 * (7); a member invite (INVITE_MEMBER, 5 uses), an admin invite, a reset link for the member
 * (RESET_MEMBER), a revoked and an expired invite. Passwords: "owner password", "admin
 * password", "member password". Registration needs an invite; guests are on.
 *
 * Input layout: up to 8 requests, separated by "\n--\n". Each is
 *   byte 0    the route: below NROUTES an entry of the table below ('#' in its path is the
 *             id of byte 2); else the method is METHODS[byte % 8] and the path is the first
 *             line of the body bytes (the rest is the body)
 *   byte 1    bits 0-2 credentials: none, Bearer owner, Bearer admin, Bearer member, the
 *             member's cookie, the owner's cookie quoted among others, Bearer of the banned
 *             member, Bearer of the guest; bits 3-4 Origin: none, the request's own, an
 *             allowed one, a foreign one; bit 5 X-Forwarded-Proto: https; bit 6 Connection:
 *             close; bit 7 sent without waiting for the answer before it (another connection)
 *   byte 2    bits 0-2 the id: 1, 2, 3, 4, 5, 6, 7, 99; bits 3-4 User-Agent: none, short,
 *             301 bytes (cut at 256, inside a two-byte character), one not UTF-8;
 *             bits 5-6 the peer's address; bit 7 the connection is TLS
 *   byte 3    bit 0 the store fails every write of this request (503 unavailable, and auth's
 *             undoing of what it changed in memory), then recovers once it is answered;
 *             bit 1 the request crosses threads as with --threads (api_request_dup, the copy
 *             freed once api_handle returns, as server_loops does); bit 2 once answered,
 *             auth's tick 31 days later (idle sessions expire, guests lapse); bit 3 the
 *             request's writes bump the accounts version, and a tick follows, so auth reads
 *             the accounts again as when `parley user` changed them
 *   the rest  the body (none when empty)
 *
 * Checked (abort() on a violation): every request /api takes is answered exactly once (the
 * loop and the store run until nothing is pending, so a request never answered is found);
 * api_pending is 0 at the end; each answer is one whole HTTP/1.1 response with a status the
 * API gives, Content-Length equal to its body (none for HEAD), Cache-Control: no-store, the
 * server's header lines, the Connection asked for, and a JSON object body, with "error" and
 * "message" strings for a status of 400 and above, Retry-After on 429, Allow on 405. No crash,
 * no leak (everything is freed after each input; LeakSanitizer checks). */
#include <jansson.h>
#include <llhttp.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "api/api.h"
#include "auth/auth.h"
#include "auth/auth_int.h" /* auth_tick_at: a tick at a time of the input's choosing */
#include "auth/auth_name.h"
#include "auth/auth_token.h"
#include "base/clock.h"
#include "http/http_origin.h"
#include "http/http_parse.h"
#include "http/http_router.h"
#include "store/store.h"
#include "store_mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HOST "chat.local:8000"
#define HOST_NAMES "chat.local"
#define ALLOWED "https://app.example, http://other.example/"
#define SERVER_LINES "X-Fuzz: 1\r\n"
#define SEP "\n--\n"
#define MAX_REQUESTS 8

#define TOKEN_OWNER "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f01"
#define TOKEN_ADMIN "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f02"
#define TOKEN_MEMBER "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f03"
#define TOKEN_BANNED "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f04"
#define TOKEN_GUEST "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f05"
#define TOKEN_MEMBER2 "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f06"
#define TOKEN_EXPIRED "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f07"
#define INVITE_MEMBER "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e01"
#define INVITE_ADMIN "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e02"
#define RESET_MEMBER "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e03"
#define INVITE_REVOKED "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e04"
#define INVITE_EXPIRED "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e05"

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_api: %s\n", what);
    abort();
}

/* ---- the accounts every input starts from ---- */

typedef struct {
    const char *name, *role, *state, *password; /* password NULL: none (the guest) */
    char canon[64], hash[crypto_pwhash_STRBYTES];
} seed_user_t;

static seed_user_t users[] = {
    {"olive", "owner", "active", "owner password", "", ""},
    {"adam", "admin", "active", "admin password", "", ""},
    {"mia", "member", "active", "member password", "", ""},
    {"bob", "member", "banned", "member password", "", ""},
    {"gus", "guest", "active", NULL, "", ""},
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

typedef struct {
    const char *token;
    uint64_t user_id;
    bool expired;
    char hash[AUTH_HASH_HEX + 1];
} seed_session_t;

static seed_session_t sessions[] = {
    {TOKEN_OWNER, 1, false, ""},  {TOKEN_ADMIN, 2, false, ""}, {TOKEN_MEMBER, 3, false, ""},
    {TOKEN_BANNED, 4, false, ""}, {TOKEN_GUEST, 5, false, ""}, {TOKEN_MEMBER2, 3, false, ""},
    {TOKEN_EXPIRED, 3, true, ""},
};
#define NSESSIONS (sizeof(sessions) / sizeof(sessions[0]))

typedef struct {
    const char *token, *kind, *role;
    uint64_t creator, user_id;
    uint32_t max_uses;
    bool revoked, expired;
    char hash[AUTH_HASH_HEX + 1];
} seed_invite_t;

static seed_invite_t invites[] = {
    {INVITE_MEMBER, "invite", "member", 1, 0, 5, false, false, ""},
    {INVITE_ADMIN, "invite", "admin", 1, 0, 1, false, false, ""},
    {RESET_MEMBER, "reset", "", 2, 3, 1, false, false, ""},
    {INVITE_REVOKED, "invite", "member", 2, 0, 1, true, false, ""},
    {INVITE_EXPIRED, "invite", "member", 1, 0, 1, false, true, ""},
};
#define NINVITES (sizeof(invites) / sizeof(invites[0]))

static uv_loop_t loop;
static bool trace; /* FUZZ_API_TRACE set: each answer is printed (to check what seeds do) */

/* The route table of the server, as far as a request to /api goes (server_add_routes). */
static http_router_t router;

static void serve_api(void *ctx, const http_request_t *r, const http_match_t *m);

static void serve_other(void *ctx, const http_request_t *r, const http_match_t *m)
{
    (void)ctx;
    (void)r;
    (void)m;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* One pool thread: password jobs finish in the order they were queued, so an input
     * replays the same way, and the fuzzer keeps to its one core. */
    setenv("UV_THREADPOOL_SIZE", "1", 1);
    trace = getenv("FUZZ_API_TRACE") != NULL;
    if (auth_init() < 0 || uv_loop_init(&loop) != 0)
        fail("cannot start");
    for (size_t i = 0; i < NUSERS; i++) {
        seed_user_t *u = &users[i];
        if (auth_name_canon(u->name, strlen(u->name), u->canon, sizeof(u->canon)) < 0)
            fail("no canonical form for a seed name");
        if (u->password &&
            crypto_pwhash_str(u->hash, u->password, strlen(u->password), crypto_pwhash_OPSLIMIT_MIN,
                              crypto_pwhash_MEMLIMIT_MIN) != 0)
            fail("cannot hash a seed password");
    }
    for (size_t i = 0; i < NSESSIONS; i++)
        auth_token_hash(sessions[i].token, strlen(sessions[i].token), sessions[i].hash);
    for (size_t i = 0; i < NINVITES; i++)
        auth_token_hash(invites[i].token, strlen(invites[i].token), invites[i].hash);

    const uint64_t any = HTTP_ROUTE_ANY_METHOD;
    const http_route_t routes[] = {
        {.path = "/ws", .methods = any, .handler = serve_other},
        {.path = "/ws/", .methods = any, .flags = HTTP_ROUTE_PREFIX, .handler = serve_other},
        {.path = "/api",
         .methods = any,
         .flags = HTTP_ROUTE_BODY,
         .body_max = API_BODY_MAX,
         .handler = serve_api},
        {.path = "/api/",
         .methods = any,
         .flags = HTTP_ROUTE_PREFIX | HTTP_ROUTE_BODY,
         .body_max = API_BODY_MAX,
         .handler = serve_api},
        {.path = "/healthz", .methods = HTTP_ROUTE_METHOD(HTTP_GET), .handler = serve_other},
    };
    http_router_init(&router);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (http_router_add(&router, &routes[i]) < 0)
            fail("cannot build the route table");
    return 0;
}

static void seed_change(store_t *s, const store_change_t *c)
{
    if (!store_change_valid(c) || store_change(s, c, NULL, NULL) != 0)
        fail("a seed row refused");
}

/* The accounts above, written to a fresh store. */
static void seed(store_t *s)
{
    int64_t now = clock_wall_ms(), day = 86400000;
    for (size_t i = 0; i < NUSERS; i++) {
        const seed_user_t *u = &users[i];
        store_change_t c = {.kind = STORE_USER_CREATE};
        c.u = (store_user_t){.id = i + 1,
                             .name = u->name,
                             .canon = u->canon,
                             .display = "",
                             .role = u->role,
                             .pass = u->password ? u->hash : NULL,
                             .state = u->state,
                             .created = now - day,
                             .seen = now - day};
        seed_change(s, &c);
    }
    for (size_t i = 0; i < NSESSIONS; i++) {
        const seed_session_t *x = &sessions[i];
        store_change_t c = {.kind = STORE_SESSION_PUT};
        c.sess = (store_session_t){.id = i + 1,
                                   .hash = x->hash,
                                   .user_id = x->user_id,
                                   .created = now - day,
                                   .seen = now - 60000,
                                   .expires = x->expired ? now - 1000 : now + day,
                                   .agent = "seed",
                                   .addr = "10.0.0.9"};
        seed_change(s, &c);
    }
    for (size_t i = 0; i < NINVITES; i++) {
        const seed_invite_t *x = &invites[i];
        store_change_t c = {.kind = STORE_INVITE_PUT};
        c.inv = (store_invite_t){.id = i + 1,
                                 .hash = x->hash,
                                 .kind = x->kind,
                                 .creator = x->creator,
                                 .user_id = x->user_id,
                                 .role = x->role,
                                 .created = now - day,
                                 .expires = x->expired ? now - 1000 : now + day,
                                 .max_uses = x->max_uses,
                                 .revoked = x->revoked};
        seed_change(s, &c);
    }
    store_mem_run(s);
}

/* ---- one input ---- */

typedef struct {
    api_t *api;
    const uint8_t *flags; /* the current request's bytes 1 to 3 */
} world_t;

typedef struct {
    int answers;
    bool keep_alive, head;
} slot_t;

static slot_t slots[MAX_REQUESTS];
static slot_t *cur_slot; /* the current request's */

/* The header line of the head (hl bytes) that starts with line, or NULL. */
static const char *find_line(const char *head, size_t hl, const char *line)
{
    char want[128];
    int n = snprintf(want, sizeof(want), "\r\n%s", line);
    const char *p = memmem(head, hl, want, (size_t)n);
    return p ? p + 2 : NULL;
}

static void check_answer(const slot_t *s, const blob_t *b)
{
    const char *d = b->data;
    const char *end = b->len > 4 ? memmem(d, b->len, "\r\n\r\n", 4) : NULL;
    if (b->len < 16 || memcmp(d, "HTTP/1.1 ", 9) != 0 || !end)
        fail("an answer that is not one whole HTTP/1.1 response");
    int status = atoi(d + 9);
    static const int known[] = {200, 201, 400, 401, 403, 404, 405, 409, 429, 503};
    bool ok = false;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        ok |= status == known[i];
    if (!ok)
        fail("an answer with a status the API does not give");
    size_t hl = (size_t)(end + 4 - d), bl = b->len - hl;
    const char *cl = find_line(d, hl, "Content-Length: ");
    if (!cl || (!s->head && (size_t)strtoull(cl + 16, NULL, 10) != bl) || (s->head && bl))
        fail("Content-Length does not match the body");
    if (!find_line(d, hl, "Cache-Control: no-store\r\n") || !find_line(d, hl, SERVER_LINES))
        fail("an answer without no-store or the server's lines");
    if (!find_line(d, hl, s->keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"))
        fail("an answer with another Connection than asked");
    if (status == 429 && !find_line(d, hl, "Retry-After: "))
        fail("429 without Retry-After");
    if (status == 405 && !find_line(d, hl, "Allow: "))
        fail("405 without Allow");
    if (s->head)
        return;
    json_t *body = json_loadb(end + 4, bl, 0, NULL);
    if (!json_is_object(body))
        fail("an answer whose body is not a JSON object");
    if (status >= 400 && (!json_is_string(json_object_get(body, "error")) ||
                          !json_is_string(json_object_get(body, "message"))))
        fail("an error without error and message strings");
    json_decref(body);
}

static void on_answer(void *ctx, blob_t *b)
{
    slot_t *s = ctx;
    if (++s->answers != 1)
        fail("a request answered twice");
    if (trace)
        fprintf(stderr, "%.*s\n", (int)b->len, b->data);
    check_answer(s, b);
}

static const char *const addrs[] = {"10.0.0.1", "10.0.0.2", "", "::1"};

/* As serve_api: the parsed request, with what the connection knows, to the REST layer. */
static void serve_api(void *ctx, const http_request_t *r, const http_match_t *m)
{
    (void)m;
    world_t *w = ctx;
    uint8_t f2 = w->flags[1];
    slot_t *s = cur_slot;
    *s = (slot_t){.keep_alive = r->keep_alive, .head = r->method == HTTP_HEAD};
    api_request_t q = {
        .method = r->method,
        .path = r->path,
        .body = r->body,
        .body_len = r->body ? (size_t)r->body_len : 0,
        .host = r->host,
        .origin = r->origin,
        .cookie = r->cookie,
        .authorization = r->authorization,
        .user_agent = r->user_agent,
        .forwarded_proto = r->forwarded_proto,
        .tls = f2 & 0x80,
        .addr = addrs[(f2 >> 5) & 3],
        .headers = SERVER_LINES,
        .keep_alive = r->keep_alive,
    };
    if (w->flags[2] & 2) {
        api_request_t *dup = api_request_dup(&q);
        api_handle(w->api, dup, on_answer, s);
        free(dup);
    } else {
        api_handle(w->api, &q, on_answer, s);
    }
}

/* The keep-body callback of the server: the route decides (server_keep_body). */
static size_t keep_body(void *ctx, const http_request_t *head)
{
    (void)ctx;
    return http_router_body_limit(&router, head->method, head->path);
}

/* Runs the store and the loop until neither has anything left to do. */
static void settle(store_t *s)
{
    for (;;) {
        size_t done = store_mem_run(s);
        int alive = uv_run(&loop, UV_RUN_ONCE);
        if (!done && !alive && store_mem_pending(s) == 0)
            return;
    }
}

typedef struct {
    uint8_t method;
    const char *path;
} route_t;

static const route_t routes[] = {
    {HTTP_GET, "/api/server"},
    {HTTP_POST, "/api/register"},
    {HTTP_POST, "/api/login"},
    {HTTP_POST, "/api/reset"},
    {HTTP_POST, "/api/logout"},
    {HTTP_POST, "/api/logout-all"},
    {HTTP_GET, "/api/me"},
    {HTTP_PATCH, "/api/me"},
    {HTTP_POST, "/api/password"},
    {HTTP_GET, "/api/sessions"},
    {HTTP_DELETE, "/api/sessions/#"},
    {HTTP_GET, "/api/users"},
    {HTTP_POST, "/api/users/#/role"},
    {HTTP_POST, "/api/users/#/ban"},
    {HTTP_POST, "/api/users/#/unban"},
    {HTTP_POST, "/api/users/#/deactivate"},
    {HTTP_POST, "/api/users/#/activate"},
    {HTTP_POST, "/api/users/#/reset"},
    {HTTP_GET, "/api/invites"},
    {HTTP_POST, "/api/invites"},
    {HTTP_DELETE, "/api/invites/#"},
    {HTTP_HEAD, "/api/me"},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const uint8_t methods[8] = {HTTP_GET,  HTTP_POST, HTTP_PATCH,   HTTP_DELETE,
                                   HTTP_HEAD, HTTP_PUT,  HTTP_OPTIONS, HTTP_POST};

static const char *const creds[8] = {
    NULL,
    "Authorization: Bearer " TOKEN_OWNER "\r\n",
    "Authorization: Bearer " TOKEN_ADMIN "\r\n",
    "Authorization: bearer " TOKEN_MEMBER "\r\n",
    "Cookie: parley_session=" TOKEN_MEMBER "\r\n",
    "Cookie: theme=dark\r\nCookie: parley_session=\"" TOKEN_OWNER "\"; lang=en\r\n",
    "Authorization: Bearer " TOKEN_BANNED "\r\n",
    "Authorization: Bearer " TOKEN_GUEST "\r\n",
};

/* Control characters never pass llhttp, bytes that are not UTF-8 do (obs-text). */
static const char *const uas[4] = {NULL, "fuzz/1.0", NULL /* long, made below */, "fuzz/\xff\xfe"};

/* The bytes of one request: the head the selectors describe, then the body. */
static char *write_request(const uint8_t *rec, size_t len, size_t *out_len)
{
    uint8_t r0 = rec[0], f1 = rec[1], f2 = rec[2];
    const uint8_t *body = rec + 4;
    size_t blen = len - 4;
    char path[64], *raw = NULL;
    const char *method, *p = path;
    if (r0 < NROUTES) {
        static const char *const ids[8] = {"1", "2", "3", "4", "5", "6", "7", "99"};
        const char *pat = routes[r0].path, *hash = strchr(pat, '#');
        if (hash)
            snprintf(path, sizeof(path), "%.*s%s%s", (int)(hash - pat), pat, ids[f2 & 7], hash + 1);
        else
            snprintf(path, sizeof(path), "%s", pat);
        method = llhttp_method_name(routes[r0].method);
    } else {
        const uint8_t *nl = memchr(body, '\n', blen);
        size_t pl = nl ? (size_t)(nl - body) : blen;
        raw = malloc(pl + 1);
        if (!raw)
            fail("out of memory");
        memcpy(raw, body, pl);
        raw[pl] = '\0';
        p = raw;
        body += nl ? pl + 1 : pl;
        blen -= nl ? pl + 1 : pl;
        method = llhttp_method_name(methods[r0 % 8]);
    }
    static const char *const origins[4] = {NULL, NULL, "https://app.example",
                                           "https://evil.example"};
    char origin[64] = "";
    if (f1 & 0x18) {
        const char *o = origins[(f1 >> 3) & 3];
        if (!o) /* the request's own: its scheme as the client's connection had it */
            o = (f1 & 0x20) || (f2 & 0x80) ? "https://" HOST : "http://" HOST;
        snprintf(origin, sizeof(origin), "Origin: %s\r\n", o);
    }
    char ua[700] = "";
    unsigned ui = (f2 >> 3) & 3;
    if (ui == 2) {
        /* 301 bytes, the cut at 256 falling inside a character. */
        strcpy(ua, "User-Agent: x");
        for (int i = 0; i < 150; i++)
            strcat(ua, "\xc3\xa9");
        strcat(ua, "\r\n");
    } else if (uas[ui]) {
        snprintf(ua, sizeof(ua), "User-Agent: %s\r\n", uas[ui]);
    }
    const char *cred = creds[f1 & 7];
    size_t cap = 512 + strlen(p) + strlen(ua) + blen;
    char *req = malloc(cap);
    if (!req)
        fail("out of memory");
    int n = snprintf(
        req, cap, "%s %s HTTP/1.1\r\nHost: " HOST "\r\n%s%s%s%s%sContent-Length: %zu\r\n\r\n",
        method, p, cred ? cred : "", origin, ua, f1 & 0x20 ? "X-Forwarded-Proto: https\r\n" : "",
        f1 & 0x40 ? "Connection: close\r\n" : "", blen);
    if (n < 0 || (size_t)n + blen > cap)
        fail("request head too long");
    memcpy(req + n, body, blen);
    *out_len = (size_t)n + blen;
    free(raw);
    return req;
}

/* One request as a connection would: parsed, Host checked, routed, answered. The answer
 * may come now or when the loop and the store run (settle). */
static void one_request(world_t *w, slot_t *s, const uint8_t *rec, size_t len)
{
    size_t n;
    char *bytes = write_request(rec, len, &n);
    http_parser_t p;
    http_parser_init(&p, 8192, API_BODY_MAX);
    http_parser_keep_body(&p, keep_body, NULL);
    http_request_t *r = NULL;
    int status = 0;
    ssize_t used = http_parser_feed(&p, bytes, n, &r, &status);
    s->answers = 1; /* unless /api takes it: the server's own answer */
    if (used >= 0 && !r)
        fail("a whole request not read as one");
    if (trace && used < 0)
        fprintf(stderr, "(HTTP %d)\n", status);
    if (used >= 0 && http_host_check(r->host, HOST_NAMES) == 0) {
        http_match_t m;
        if (http_router_find(&router, r->method, r->path, &m) == 0 &&
            m.route->handler == serve_api) {
            w->flags = rec + 1;
            cur_slot = s;
            m.route->handler(w, r, &m);
        }
    }
    http_parser_deinit(&p);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store_t *store = store_mem_open(&loop, STORE_MEM_MANUAL);
    seed(store);
    auth_config_t cfg = {
        .guests = true,
        .guest_ttl_ms = 86400000,
        .registration = AUTH_REG_INVITE,
        .hash_max = 1,
        .pw_ops = crypto_pwhash_OPSLIMIT_MIN,
        .pw_mem = crypto_pwhash_MEMLIMIT_MIN,
        .max_name = 32,
    };
    auth_t *auth = auth_new(&loop, store, &cfg);
    if (!auth || auth_load(auth) != 0)
        fail("cannot load the seed accounts");
    world_t w = {.api = api_new(auth, &(api_config_t){.origins = ALLOWED})};

    size_t nreq = 0;
    for (size_t off = 0; off < size && nreq < MAX_REQUESTS;) {
        const uint8_t *sep = memmem(data + off, size - off, SEP, 4);
        size_t len = sep ? (size_t)(sep - (data + off)) : size - off;
        if (len >= 4) {
            const uint8_t *rec = data + off;
            slot_t *s = &slots[nreq++];
            store_mem_fail_writes(store, rec[3] & 1);
            store_mem_bump_accounts(store, rec[3] & 8);
            one_request(&w, s, rec, len);
            /* The connection waits for the answer (server_http's hold), unless the request
             * stands for another connection's; the store's state changes wait for it too. */
            if (!(rec[1] & 0x80) || (rec[3] & 0xd))
                settle(store);
            if (rec[3] & 1) {
                store_mem_fail_writes(store, false);
                store_recover(store);
            }
            store_mem_bump_accounts(store, false);
            if (rec[3] & 8)
                auth_tick(auth);
            if (rec[3] & 4)
                auth_tick_at(auth, clock_wall_ms() + 31 * (int64_t)86400000);
            if (rec[3] & 0xc)
                settle(store); /* what the ticks wrote */
        }
        off += len + 4;
    }
    settle(store);
    for (size_t i = 0; i < nreq; i++)
        if (slots[i].answers != 1)
            fail("a request never answered");
    if (api_pending(w.api) != 0)
        fail("api_pending not 0 once every request was answered");

    api_free(w.api);
    store_close(store);
    uv_run(&loop, UV_RUN_DEFAULT);
    auth_free(auth);
    return 0;
}
