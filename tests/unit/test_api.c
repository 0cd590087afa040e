/* test_api - the REST layer driven directly (api_handle), over a real auth registry on the
 * in-memory store with libsodium's minimum hashing cost: every endpoint's success and its
 * errors, the statuses and error codes, the cookie (attributes, Secure behind https, cleared
 * on sign-out), the Origin rules (cookie state changes, sign-in requests), Bearer over
 * cookie, 404/405 with Allow, HEAD, keep-alive, 429 busy and rate_limited with Retry-After,
 * 503 when the store fails. Each request runs the loop until its answer came; the tests
 * build on each other in order (an owner, then members, invites, bans, resets). */
#include "api/api.h"

#include <jansson.h>
#include <llhttp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "auth/auth.h"
#include "base/clock.h"
#include "store_mem.h"
#include "test.h"

#define HOST "chat.local:8000"
#define OWN_ORIGIN "http://chat.local:8000"
#define EXTRA_ORIGIN "https://app.example"
#define SESSION_MAX_S 7776000

static uv_loop_t loop;
static store_t *store;
static auth_t *auth;
static api_t *api;

/* ---- requests and answers ---- */

typedef struct {
    const char *bearer; /* Authorization: Bearer */
    const char *cookie; /* the parley_session cookie's token */
    const char *origin;
    const char *xfp; /* X-Forwarded-Proto */
    const char *addr;
    const char *auth_raw; /* a whole Authorization value */
    bool close;
} opts_t;

typedef struct {
    bool done;
    int status;
    char head[2048];
    size_t body_len;
    json_t *body;
} resp_t;

static resp_t resp;

static void on_answer(void *ctx, blob_t *b)
{
    resp_t *r = ctx;
    CHECK(!r->done); /* exactly once */
    r->done = true;
    CHECK(b->len > 12 && memcmp(b->data, "HTTP/1.1 ", 9) == 0);
    r->status = atoi(b->data + 9);
    const char *end = memmem(b->data, b->len, "\r\n\r\n", 4);
    CHECK(end != NULL);
    if (!end)
        return;
    size_t hl = (size_t)(end + 4 - b->data);
    (void)snprintf(r->head, sizeof(r->head), "%.*s", (int)hl, b->data);
    r->body_len = b->len - hl;
    r->body = r->body_len ? json_loadb(b->data + hl, r->body_len, 0, NULL) : NULL;
}

static void spin(resp_t *r)
{
    uint64_t deadline = clock_mono_ms() + 10000;
    while (!r->done && clock_mono_ms() < deadline) {
        uv_run(&loop, UV_RUN_NOWAIT);
        if (!r->done)
            usleep(200);
    }
    CHECK(r->done);
}

/* Starts a request; its answer lands in *r (now or on a later loop turn). */
static void start(resp_t *r, uint8_t method, const char *path, const char *body, const opts_t *o)
{
    static const opts_t none = {0};
    if (!o)
        o = &none;
    json_decref(r->body);
    *r = (resp_t){0};
    char authz[256] = "", cookie[256] = "";
    if (o->bearer)
        (void)snprintf(authz, sizeof(authz), "Bearer %s", o->bearer);
    if (o->cookie)
        (void)snprintf(cookie, sizeof(cookie), "theme=dark; parley_session=%s", o->cookie);
    api_request_t q = {
        .method = method,
        .path = path,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .host = HOST,
        .origin = o->origin,
        .cookie = o->cookie ? cookie : NULL,
        .authorization = o->auth_raw ? o->auth_raw
                         : o->bearer ? authz
                                     : NULL,
        .user_agent = "test_api/1.0",
        .forwarded_proto = o->xfp,
        .addr = o->addr ? o->addr : "10.0.0.1",
        .headers = "X-Door: 1\r\n",
        .keep_alive = !o->close,
    };
    api_handle(api, &q, on_answer, r);
}

static resp_t *call(uint8_t method, const char *path, const char *body, const opts_t *o)
{
    start(&resp, method, path, body, o);
    spin(&resp);
    return &resp;
}

/* A value of the last answer's body by a dotted path ("user.name", "sessions.0.id"). */
static json_t *jget(const char *path)
{
    json_t *v = resp.body;
    char buf[128];
    (void)snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *seg = strtok_r(buf, ".", &save); seg && v;
         seg = strtok_r(NULL, ".", &save))
        v = json_is_array(v) ? json_array_get(v, strtoul(seg, NULL, 10)) : json_object_get(v, seg);
    return v;
}

static const char *jstr(const char *path)
{
    json_t *v = jget(path);
    return json_is_string(v) ? json_string_value(v) : "<none>";
}

static long long jint(const char *path)
{
    json_t *v = jget(path);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static int jbool(const char *path)
{
    json_t *v = jget(path);
    return json_is_boolean(v) ? json_is_true(v) : -1;
}

static bool has(const char *text)
{
    return strstr(resp.head, text) != NULL;
}

/* Status and error code of the last answer. */
#define CHECK_ERR(st, code)                                                                        \
    do {                                                                                           \
        CHECK_EQ_INT(resp.status, (st));                                                           \
        CHECK_EQ_STR(jstr("error"), (code));                                                       \
        CHECK(json_is_string(jget("message")));                                                    \
    } while (0)

static bool hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* ---- the state the tests build ---- */

static char owner_tok[80], mia_tok[80], nick_tok[80];
static long long owner_id, mia_id, nick_id;

/* Signs in and copies the token (asserting 200). */
static void login(const char *name, const char *pw, char out[80], const opts_t *o)
{
    char body[256];
    (void)snprintf(body, sizeof(body), "{\"name\":\"%s\",\"password\":\"%s\"}", name, pw);
    call(HTTP_POST, "/api/login", body, o);
    CHECK_EQ_INT(resp.status, 200);
    (void)snprintf(out, 80, "%s", jstr("token"));
}

/* An invite token made by the owner for role. */
static void invite(const char *role, char out[80])
{
    char body[64];
    (void)snprintf(body, sizeof(body), "{\"role\":\"%s\"}", role);
    call(HTTP_POST, "/api/invites", body, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 201);
    (void)snprintf(out, 80, "%s", jstr("token"));
}

/* Registers name with an invite of role; copies the token, returns the id. */
static long long register_invited(const char *name, const char *pw, const char *role, char tok[80])
{
    char inv[80], body[256];
    invite(role, inv);
    (void)snprintf(body, sizeof(body), "{\"name\":\"%s\",\"password\":\"%s\",\"invite\":\"%s\"}",
                   name, pw, inv);
    call(HTTP_POST, "/api/register", body, NULL);
    CHECK_EQ_INT(resp.status, 201);
    (void)snprintf(tok, 80, "%s", jstr("token"));
    return jint("user.id");
}

/* ---- tests ---- */

TEST(test_routes)
{
    call(HTTP_GET, "/api/nope", NULL, NULL);
    CHECK_ERR(404, "not_found");
    call(HTTP_GET, "/api", NULL, NULL);
    CHECK_ERR(404, "not_found");
    call(HTTP_GET, "/api/server/", NULL, NULL);
    CHECK_ERR(404, "not_found");
    call(HTTP_GET, "/api/login", NULL, NULL);
    CHECK_ERR(405, "method_not_allowed");
    CHECK(has("\r\nAllow: POST\r\n"));
    CHECK(has("\r\nX-Door: 1\r\n")); /* the server's lines, on every answer */
    call(HTTP_DELETE, "/api/me", NULL, NULL);
    CHECK_ERR(405, "method_not_allowed");
    CHECK(has("\r\nAllow: GET, HEAD, PATCH\r\n"));
    call(HTTP_GET, "/api/users/7/ban", NULL, NULL);
    CHECK_EQ_INT(resp.status, 405);
    /* An id is 1 or more, in decimal, without a leading zero or a sign. */
    call(HTTP_POST, "/api/users/0/ban", NULL, NULL);
    CHECK_ERR(404, "not_found");
    call(HTTP_POST, "/api/users/07/ban", NULL, NULL);
    CHECK_ERR(404, "not_found");
    call(HTTP_POST, "/api/users/+7/ban", NULL, NULL);
    CHECK_ERR(404, "not_found");
    call(HTTP_POST, "/api/users/99999999999999999999/ban", NULL, NULL);
    CHECK_ERR(404, "not_found");
    call(HTTP_POST, "/api/users/7/bann", NULL, NULL);
    CHECK_ERR(404, "not_found");
    /* HEAD: the head of GET, Content-Length and all, no body. */
    call(HTTP_HEAD, "/api/server", NULL, NULL);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(resp.body_len, 0);
    CHECK(has("Content-Length: ") && !has("Content-Length: 0\r\n"));
    /* Every answer: JSON, not cached, keep-alive as asked. */
    call(HTTP_GET, "/api/server", NULL, &(opts_t){.close = true});
    CHECK(has("\r\nContent-Type: application/json\r\n"));
    CHECK(has("\r\nCache-Control: no-store\r\n"));
    CHECK(has("\r\nConnection: close\r\n"));
    call(HTTP_GET, "/api/server", NULL, NULL);
    CHECK(has("\r\nConnection: keep-alive\r\n"));
}

TEST(test_first_account_is_the_owner)
{
    call(HTTP_GET, "/api/server", NULL, NULL);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("name"), "parley");
    CHECK_EQ_INT(jbool("owner_exists"), 0);
    CHECK_EQ_STR(jstr("registration"), "open"); /* while no owner exists */
    CHECK_EQ_INT(jbool("guests"), 1);

    call(HTTP_POST, "/api/register",
         "{\"name\":\"olive\",\"password\":\"correct horse\",\"display_name\":\"Olive\"}",
         &(opts_t){.origin = OWN_ORIGIN});
    CHECK_EQ_INT(resp.status, 201);
    CHECK_EQ_STR(jstr("user.name"), "olive");
    CHECK_EQ_STR(jstr("user.display_name"), "Olive");
    CHECK_EQ_STR(jstr("user.role"), "owner");
    CHECK_EQ_INT(jbool("user.guest"), 0);
    CHECK(jint("user.id") > 0);
    CHECK(jget("user.state") == NULL);
    CHECK(hex(jstr("token"), 64));
    owner_id = jint("user.id");
    (void)snprintf(owner_tok, sizeof(owner_tok), "%s", jstr("token"));
    char cookie[256];
    (void)snprintf(cookie, sizeof(cookie),
                   "\r\nSet-Cookie: parley_session=%s; Path=/; HttpOnly; SameSite=Lax; "
                   "Max-Age=%d\r\n",
                   owner_tok, SESSION_MAX_S);
    CHECK(has(cookie));

    call(HTTP_GET, "/api/server", NULL, NULL);
    CHECK_EQ_INT(jbool("owner_exists"), 1);
    CHECK_EQ_STR(jstr("registration"), "invite");
    /* Now an invite is needed. */
    call(HTTP_POST, "/api/register", "{\"name\":\"zed\",\"password\":\"long enough\"}", NULL);
    CHECK_EQ_INT(resp.status, 403);
    call(HTTP_POST, "/api/register",
         "{\"name\":\"zed\",\"password\":\"long "
         "enough\",\"invite\":\"00112233445566778899aabbccddeeff\"}",
         NULL);
    CHECK_ERR(403, "bad_invite");
}

TEST(test_bad_bodies)
{
    call(HTTP_POST, "/api/login", NULL, NULL);
    CHECK_ERR(400, "bad_json");
    call(HTTP_POST, "/api/login", "nope", NULL);
    CHECK_ERR(400, "bad_json");
    call(HTTP_POST, "/api/login", "[1]", NULL);
    CHECK_ERR(400, "bad_json");
    call(HTTP_POST, "/api/login", "{\"name\":\"a\",\"name\":\"b\",\"password\":\"x\"}", NULL);
    CHECK_ERR(400, "bad_json");
    call(HTTP_POST, "/api/login", "{\"name\":1,\"password\":\"xxxxxxxx\"}", NULL);
    CHECK_ERR(400, "bad_payload");
    call(HTTP_POST, "/api/login", "{\"name\":\"olive\"}", NULL);
    CHECK_ERR(400, "bad_payload");
    call(HTTP_POST, "/api/register", "{\"name\":\"x\",\"password\":\"xxxxxxxx\",\"invite\":7}",
         NULL);
    CHECK_ERR(400, "bad_payload");
    call(HTTP_PATCH, "/api/me", "{}", &(opts_t){.bearer = owner_tok});
    CHECK_ERR(400, "bad_payload");
    call(HTTP_PATCH, "/api/me", "{\"display_name\":null}", &(opts_t){.bearer = owner_tok});
    CHECK_ERR(400, "bad_payload");
    /* A body on a request that takes none is not read. */
    call(HTTP_GET, "/api/me", "not json", &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
}

TEST(test_authentication)
{
    call(HTTP_GET, "/api/me", NULL, NULL);
    CHECK_ERR(401, "unauthorized");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = "00"});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_GET, "/api/me", NULL,
         &(opts_t){.bearer = "0000000000000000000000000000000000000000000000000000000000000000"});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.name"), "olive");
    CHECK_EQ_INT(jint("user.id"), owner_id);
    CHECK(jint("session.id") > 0);
    CHECK(jint("session.created") > 0);
    CHECK(jint("session.seen") >= jint("session.created"));
    CHECK(jint("session.expires") > jint("session.seen"));
    /* The cookie, for reads without an Origin. */
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.cookie = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
    /* A Bearer that fails never falls back to the cookie. */
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = "deadbeef", .cookie = owner_tok});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.auth_raw = "Bearer", .cookie = owner_tok});
    CHECK_ERR(401, "unauthorized");
    /* Another scheme is no Bearer: the cookie counts. */
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.auth_raw = "Basic eDp5", .cookie = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
}

TEST(test_origin_rules)
{
    const char *body = "{\"name\":\"olive\",\"password\":\"correct horse\"}";
    char tok[80];
    /* Sign-in requests: an Origin, when sent, must be ours. */
    call(HTTP_POST, "/api/login", body, &(opts_t){.origin = "http://evil.example"});
    CHECK_ERR(403, "bad_origin");
    call(HTTP_POST, "/api/login", body, &(opts_t){.origin = "null"});
    CHECK_ERR(403, "bad_origin");
    call(HTTP_POST, "/api/register", "{\"name\":\"e\",\"password\":\"xxxxxxxx\"}",
         &(opts_t){.origin = "http://evil.example"});
    CHECK_ERR(403, "bad_origin");
    call(HTTP_POST, "/api/reset", "{\"token\":\"x\",\"password\":\"xxxxxxxx\"}",
         &(opts_t){.origin = "http://evil.example"});
    CHECK_ERR(403, "bad_origin");
    login("olive", "correct horse", tok, &(opts_t){.origin = EXTRA_ORIGIN});
    login("olive", "correct horse", tok,
          &(opts_t){.origin = "https://chat.local:8000", .xfp = "https"});
    /* Our host under the other scheme is another origin (RFC 6454). */
    call(HTTP_POST, "/api/login", body, &(opts_t){.origin = "https://chat.local:8000"});
    CHECK_ERR(403, "bad_origin");
    login("olive", "correct horse", tok, NULL);
    /* Behind https the cookie is Secure. */
    CHECK(has("Max-Age=7776000\r\n"));
    CHECK(has("\r\nX-Door: 1\r\n"));
    login("olive", "correct horse", tok, &(opts_t){.xfp = "https"});
    CHECK(has("Max-Age=7776000; Secure\r\n"));

    /* The cookie: a foreign Origin is refused, reads and changes alike; without an Origin it
     * counts for reads only (a change without one is a script's, which uses Bearer); a
     * Bearer needs no Origin. */
    const char *patch = "{\"display_name\":\"Olive O.\"}";
    call(HTTP_PATCH, "/api/me", patch, &(opts_t){.cookie = tok});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.cookie = tok, .origin = "http://evil.example"});
    CHECK_ERR(403, "bad_origin");
    call(HTTP_GET, "/api/sessions", NULL, &(opts_t){.cookie = tok, .origin = "null"});
    CHECK_ERR(403, "bad_origin");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = tok, .origin = "http://evil.example"});
    CHECK_EQ_INT(resp.status, 200);
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.cookie = tok, .origin = EXTRA_ORIGIN});
    CHECK_EQ_INT(resp.status, 200);
    /* A foreign page that sends no cookie is no one: nothing to refuse. */
    call(HTTP_GET, "/api/server", NULL, &(opts_t){.cookie = tok, .origin = "http://evil.example"});
    CHECK_EQ_INT(resp.status, 200);
    call(HTTP_PATCH, "/api/me", patch, &(opts_t){.cookie = tok, .origin = "http://evil.example"});
    CHECK_ERR(403, "bad_origin");
    call(HTTP_POST, "/api/logout", NULL, &(opts_t){.cookie = tok, .origin = "http://evil.example"});
    CHECK_ERR(403, "bad_origin");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.cookie = tok}); /* still signed in */
    CHECK_EQ_INT(resp.status, 200);
    call(HTTP_PATCH, "/api/me", patch, &(opts_t){.cookie = tok, .origin = OWN_ORIGIN});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.display_name"), "Olive O.");
    call(HTTP_PATCH, "/api/me", "{\"display_name\":\"Olive\"}", &(opts_t){.bearer = tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.display_name"), "Olive");
    call(HTTP_PATCH, "/api/me", "{\"display_name\":\"bell\\u0007\"}", &(opts_t){.bearer = tok});
    CHECK_ERR(400, "bad_name");
}

TEST(test_login_failures)
{
    call(HTTP_POST, "/api/login", "{\"name\":\"olive\",\"password\":\"wrong horse\"}", NULL);
    CHECK_ERR(401, "bad_credentials");
    char wrong[512];
    (void)snprintf(wrong, sizeof(wrong), "%s", jstr("message"));
    call(HTTP_POST, "/api/login", "{\"name\":\"nobody\",\"password\":\"wrong horse\"}", NULL);
    CHECK_ERR(401, "bad_credentials");
    CHECK_EQ_STR(jstr("message"), wrong); /* the same answer for an unknown name */
    /* The name is matched by its canonical form. */
    char tok[80];
    login("OLIVE", "correct horse", tok, NULL);
    CHECK_EQ_STR(jstr("user.name"), "olive");
}

TEST(test_sessions)
{
    char a[80], b[80];
    login("olive", "correct horse", a, NULL);
    login("olive", "correct horse", b, NULL);
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = b});
    long long b_id = jint("session.id");
    call(HTTP_GET, "/api/sessions", NULL, &(opts_t){.bearer = a});
    CHECK_EQ_INT(resp.status, 200);
    size_t n = json_array_size(jget("sessions"));
    CHECK(n >= 3);
    int current = 0;
    for (size_t i = 0; i < n; i++) {
        char p[64];
        (void)snprintf(p, sizeof(p), "sessions.%zu.current", i);
        current += jbool(p) == 1;
        if (i > 0) {
            char q[64];
            (void)snprintf(p, sizeof(p), "sessions.%zu.created", i - 1);
            (void)snprintf(q, sizeof(q), "sessions.%zu.created", i);
            CHECK(jint(p) >= jint(q)); /* newest first */
        }
    }
    CHECK_EQ_INT(current, 1);
    CHECK_EQ_INT(jbool("sessions.1.current"), 1); /* b came after a */
    CHECK_EQ_INT(jint("sessions.0.id"), b_id);
    CHECK_EQ_STR(jstr("sessions.0.agent"), "test_api/1.0");
    CHECK_EQ_STR(jstr("sessions.0.addr"), "10.0.0.1");
    CHECK(jint("sessions.0.expires") > 0);

    /* Ending another session of one's own. */
    char path[64];
    (void)snprintf(path, sizeof(path), "/api/sessions/%lld", b_id);
    call(HTTP_DELETE, path, NULL, &(opts_t){.bearer = a});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(jbool("ok"), 1);
    CHECK(!has("Set-Cookie"));
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = b});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_DELETE, path, NULL, &(opts_t){.bearer = a});
    CHECK_ERR(404, "not_found");
    call(HTTP_DELETE, "/api/sessions/987654321", NULL, &(opts_t){.bearer = a});
    CHECK_ERR(404, "not_found");
    /* Ending the current one signs out: the cookie goes. */
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = a});
    (void)snprintf(path, sizeof(path), "/api/sessions/%lld", jint("session.id"));
    call(HTTP_DELETE, path, NULL, &(opts_t){.bearer = a});
    CHECK_EQ_INT(resp.status, 200);
    CHECK(has("Set-Cookie: parley_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0\r\n"));
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = a});
    CHECK_ERR(401, "unauthorized");
}

TEST(test_invites)
{
    call(HTTP_POST, "/api/invites", NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 201);
    CHECK_EQ_STR(jstr("invite.role"), "member");
    CHECK_EQ_INT(jint("invite.max_uses"), 1);
    CHECK_EQ_INT(jint("invite.uses"), 0);
    CHECK_EQ_INT(jbool("invite.revoked"), 0);
    CHECK_EQ_STR(jstr("invite.creator"), "olive");
    int64_t week = (int64_t)7 * 86400 * 1000, now = clock_wall_ms();
    CHECK(jint("invite.expires") > now + week - 60000 && jint("invite.expires") <= now + week);
    CHECK(hex(jstr("token"), 32));
    char link[96], tok[80];
    (void)snprintf(tok, sizeof(tok), "%s", jstr("token"));
    (void)snprintf(link, sizeof(link), "/#invite=%s", tok);
    CHECK_EQ_STR(jstr("link"), link);
    long long first_id = jint("invite.id");

    char body[256];
    (void)snprintf(body, sizeof(body),
                   "{\"name\":\"mia\",\"password\":\"mia's password\",\"invite\":\"%s\"}", tok);
    call(HTTP_POST, "/api/register", body, NULL);
    CHECK_EQ_INT(resp.status, 201);
    CHECK_EQ_STR(jstr("user.role"), "member");
    CHECK_EQ_STR(jstr("user.display_name"), "");
    mia_id = jint("user.id");
    (void)snprintf(mia_tok, sizeof(mia_tok), "%s", jstr("token"));
    /* Used up. */
    (void)snprintf(body, sizeof(body),
                   "{\"name\":\"max\",\"password\":\"max's password\",\"invite\":\"%s\"}", tok);
    call(HTTP_POST, "/api/register", body, NULL);
    CHECK_ERR(403, "bad_invite");

    call(HTTP_POST, "/api/invites", "{\"role\":\"admin\",\"max_uses\":3,\"expires_in\":60}",
         &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 201);
    CHECK_EQ_STR(jstr("invite.role"), "admin");
    CHECK_EQ_INT(jint("invite.max_uses"), 3);
    long long second_id = jint("invite.id");
    const char *bad[] = {
        "{\"max_uses\":0}",       "{\"max_uses\":1.5}",     "{\"role\":\"guest\"}", "{\"role\":5}",
        "{\"role\":\"emperor\"}", "{\"expires_in\":\"x\"}", "{\"expires_in\":0}",   "[]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        call(HTTP_POST, "/api/invites", bad[i], &(opts_t){.bearer = owner_tok});
        CHECK_EQ_INT(resp.status, 400);
    }

    call(HTTP_GET, "/api/invites", NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(json_array_size(jget("invites")), 2);
    CHECK_EQ_INT(jint("invites.0.id"), second_id); /* newest first */
    CHECK_EQ_INT(jint("invites.1.id"), first_id);
    CHECK_EQ_INT(jint("invites.1.uses"), 1);

    char path[64];
    (void)snprintf(path, sizeof(path), "/api/invites/%lld", second_id);
    call(HTTP_DELETE, path, NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
    call(HTTP_GET, "/api/invites", NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(jbool("invites.0.revoked"), 1);
    call(HTTP_DELETE, "/api/invites/424242", NULL, &(opts_t){.bearer = owner_tok});
    CHECK_ERR(404, "not_found");

    /* Members neither see nor make invites. */
    call(HTTP_GET, "/api/invites", NULL, &(opts_t){.bearer = mia_tok});
    CHECK_ERR(403, "forbidden");
    call(HTTP_POST, "/api/invites", "{}", &(opts_t){.bearer = mia_tok});
    CHECK_ERR(403, "forbidden");
    call(HTTP_DELETE, path, NULL, &(opts_t){.bearer = mia_tok});
    CHECK_EQ_INT(resp.status, 403);
}

TEST(test_users_and_roles)
{
    nick_id = register_invited("nick", "nick's password", "member", nick_tok);
    call(HTTP_GET, "/api/users", NULL, &(opts_t){.bearer = mia_tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(json_array_size(jget("users")), 3);
    CHECK_EQ_STR(jstr("users.0.name"), "mia"); /* by name */
    CHECK_EQ_STR(jstr("users.1.name"), "nick");
    CHECK_EQ_STR(jstr("users.2.name"), "olive");
    CHECK(jget("users.0.state") == NULL);
    call(HTTP_GET, "/api/users", NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_STR(jstr("users.0.state"), "active");
    CHECK(jint("users.0.created") > 0 && jint("users.0.seen") >= 0);

    char path[64];
    (void)snprintf(path, sizeof(path), "/api/users/%lld/role", mia_id);
    call(HTTP_POST, path, "{\"role\":\"admin\"}", &(opts_t){.bearer = nick_tok});
    CHECK_ERR(403, "forbidden");
    call(HTTP_POST, path, "{\"role\":\"emperor\"}", &(opts_t){.bearer = owner_tok});
    CHECK_ERR(400, "bad_payload");
    call(HTTP_POST, path, "{\"role\":\"guest\"}", &(opts_t){.bearer = owner_tok});
    CHECK_ERR(400, "bad_payload");
    call(HTTP_POST, path, "{\"role\":\"admin\"}", &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.role"), "admin");
    CHECK_EQ_STR(jstr("user.state"), "active");
    CHECK_EQ_INT(jint("user.id"), mia_id);
    /* An admin does not act on an owner. */
    (void)snprintf(path, sizeof(path), "/api/users/%lld/role", owner_id);
    call(HTTP_POST, path, "{\"role\":\"member\"}", &(opts_t){.bearer = mia_tok});
    CHECK_ERR(403, "forbidden");
    /* One may step down from one's own role, but the last owner stays one. */
    call(HTTP_POST, path, "{\"role\":\"member\"}", &(opts_t){.bearer = owner_tok});
    CHECK_ERR(409, "last_owner");
    call(HTTP_POST, "/api/users/987654/role", "{\"role\":\"member\"}",
         &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 404);
}

TEST(test_ban_and_deactivate)
{
    char path[64], tok[80];
    (void)snprintf(path, sizeof(path), "/api/users/%lld/ban", owner_id);
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = mia_tok});
    CHECK_ERR(403, "forbidden");
    (void)snprintf(path, sizeof(path), "/api/users/%lld/ban", nick_id);
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = nick_tok});
    CHECK_ERR(403, "forbidden");
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = mia_tok}); /* an admin over a member */
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.state"), "banned");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = nick_tok});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_POST, "/api/login", "{\"name\":\"nick\",\"password\":\"nick's password\"}", NULL);
    CHECK_ERR(403, "banned");
    call(HTTP_GET, "/api/users", NULL, &(opts_t){.bearer = mia_tok});
    CHECK_EQ_INT(json_array_size(jget("users")), 3); /* admins see everyone */
    (void)snprintf(path, sizeof(path), "/api/users/%lld/unban", nick_id);
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.state"), "active");
    login("nick", "nick's password", tok, NULL);

    (void)snprintf(path, sizeof(path), "/api/users/%lld/deactivate", nick_id);
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.state"), "deactivated");
    call(HTTP_POST, "/api/login", "{\"name\":\"nick\",\"password\":\"nick's password\"}", NULL);
    CHECK_ERR(403, "deactivated");
    call(HTTP_GET, "/api/users", NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(json_array_size(jget("users")), 3);
    (void)snprintf(path, sizeof(path), "/api/users/%lld/activate", nick_id);
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.state"), "active");
    login("nick", "nick's password", nick_tok, NULL);
}

TEST(test_reset_links)
{
    char path[64], body[256], tok[80];
    (void)snprintf(path, sizeof(path), "/api/users/%lld/reset", owner_id);
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = mia_tok});
    CHECK_ERR(403, "forbidden");
    (void)snprintf(path, sizeof(path), "/api/users/%lld/reset", nick_id);
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = nick_tok});
    CHECK_ERR(403, "forbidden");
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(resp.status, 201);
    CHECK(hex(jstr("token"), 32));
    (void)snprintf(tok, sizeof(tok), "%s", jstr("token"));
    char link[96];
    (void)snprintf(link, sizeof(link), "/#reset=%s", tok);
    CHECK_EQ_STR(jstr("link"), link);
    int64_t day = (int64_t)86400 * 1000, now = clock_wall_ms();
    CHECK(jint("expires") > now + day - 60000 && jint("expires") <= now + day);
    /* Reset links are not listed as invites. */
    call(HTTP_GET, "/api/invites", NULL, &(opts_t){.bearer = owner_tok});
    CHECK_EQ_INT(json_array_size(jget("invites")), 3);

    (void)snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"short\"}", tok);
    call(HTTP_POST, "/api/reset", body, NULL);
    CHECK_ERR(400, "weak_password");
    (void)snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"nick's new one\"}", tok);
    call(HTTP_POST, "/api/reset", body, &(opts_t){.origin = OWN_ORIGIN});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.name"), "nick");
    CHECK(hex(jstr("token"), 64));
    CHECK(has("Set-Cookie: parley_session="));
    (void)snprintf(tok, sizeof(tok), "%s", jstr("token"));
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = nick_tok}); /* the others ended */
    CHECK_ERR(401, "unauthorized");
    call(HTTP_POST, "/api/reset", body, NULL); /* one use */
    CHECK_ERR(403, "bad_invite");
    call(HTTP_POST, "/api/reset", "{\"token\":\"nope\",\"password\":\"long enough\"}", NULL);
    CHECK_ERR(403, "bad_invite");
    call(HTTP_POST, "/api/login", "{\"name\":\"nick\",\"password\":\"nick's password\"}", NULL);
    CHECK_ERR(401, "bad_credentials");
    login("nick", "nick's new one", nick_tok, NULL);
}

TEST(test_password)
{
    char other[80];
    login("nick", "nick's new one", other, NULL);
    call(HTTP_POST, "/api/password", "{\"password\":\"wrong one!\",\"new_password\":\"x2345678\"}",
         &(opts_t){.bearer = nick_tok});
    CHECK_ERR(401, "bad_credentials");
    call(HTTP_POST, "/api/password", "{\"password\":\"nick's new one\",\"new_password\":\"x\"}",
         &(opts_t){.bearer = nick_tok});
    CHECK_ERR(400, "weak_password");
    char big[1200] = "{\"password\":\"nick's new one\",\"new_password\":\"";
    size_t n = strlen(big);
    memset(big + n, 'a', 1030);
    memcpy(big + n + 1030, "\"}", 3);
    call(HTTP_POST, "/api/password", big, &(opts_t){.bearer = nick_tok});
    CHECK_ERR(400, "bad_password");
    call(HTTP_POST, "/api/password", "{\"password\":\"nick's new one\"}",
         &(opts_t){.bearer = nick_tok});
    CHECK_ERR(400, "bad_payload");
    call(HTTP_POST, "/api/password",
         "{\"password\":\"nick's new one\",\"new_password\":\"third password\"}",
         &(opts_t){.bearer = nick_tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(jbool("ok"), 1);
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = nick_tok}); /* this one stays */
    CHECK_EQ_INT(resp.status, 200);
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = other}); /* every other one ends */
    CHECK_ERR(401, "unauthorized");
    login("nick", "third password", other, NULL);
}

TEST(test_logout)
{
    char a[80], b[80];
    login("mia", "mia's password", a, NULL);
    call(HTTP_POST, "/api/logout", NULL, &(opts_t){.cookie = a, .origin = OWN_ORIGIN});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(jbool("ok"), 1);
    CHECK(has("Set-Cookie: parley_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0\r\n"));
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = a});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_POST, "/api/logout", NULL, &(opts_t){.bearer = a});
    CHECK_ERR(401, "unauthorized");
    login("mia", "mia's password", a, NULL);
    login("mia", "mia's password", b, NULL);
    call(HTTP_POST, "/api/logout-all", NULL, &(opts_t){.bearer = a});
    CHECK_EQ_INT(resp.status, 200);
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = b});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = mia_tok});
    CHECK_ERR(401, "unauthorized");
    login("mia", "mia's password", mia_tok, NULL);
}

TEST(test_busy_and_rate_limits)
{
    /* --hash-max 1: a second hash while one runs is refused at once. */
    resp_t second = {0};
    const char *body = "{\"name\":\"olive\",\"password\":\"correct horse\"}";
    start(&resp, HTTP_POST, "/api/login", body, NULL);
    start(&second, HTTP_POST, "/api/login", body, NULL);
    spin(&resp);
    spin(&second);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(second.status, 429);
    CHECK(strstr(second.head, "\r\nRetry-After: ") != NULL);
    CHECK(json_is_string(json_object_get(second.body, "error")) &&
          strcmp(json_string_value(json_object_get(second.body, "error")), "busy") == 0);
    json_decref(second.body);

    /* Five failures per account in 15 minutes, then 429 even for the right password. */
    char tok[80];
    register_invited("rita", "rita's password", "member", tok);
    const opts_t from = {.addr = "10.0.0.9"};
    for (int i = 0; i < 5; i++) {
        call(HTTP_POST, "/api/login", "{\"name\":\"rita\",\"password\":\"not hers!\"}", &from);
        CHECK_ERR(401, "bad_credentials");
    }
    call(HTTP_POST, "/api/login", "{\"name\":\"rita\",\"password\":\"rita's password\"}", &from);
    CHECK_ERR(429, "rate_limited");
    CHECK(has("\r\nRetry-After: "));
    /* Twenty per address (each name failing once: no account's own limit is reached). */
    const opts_t addr = {.addr = "10.0.0.10"};
    for (int i = 0; i < 20; i++) {
        char ghost[128];
        (void)snprintf(ghost, sizeof(ghost), "{\"name\":\"ghost%d\",\"password\":\"nothing\"}", i);
        call(HTTP_POST, "/api/login", ghost, &addr);
        CHECK_ERR(401, "bad_credentials");
    }
    call(HTTP_POST, "/api/login", "{\"name\":\"olive\",\"password\":\"correct horse\"}", &addr);
    CHECK_ERR(429, "rate_limited");
    CHECK(has("\r\nRetry-After: "));
    call(HTTP_POST, "/api/login", "{\"name\":\"olive\",\"password\":\"correct horse\"}", NULL);
    CHECK_EQ_INT(resp.status, 200); /* another address is not held back */
}

/* A guest's token (from its join) is a session too: it reads its own user, and no more. */
/* Bots (/api/bots): owners and admins make them, renew and revoke their tokens; a bot's
 * token is a Bearer like a session's. The chat endpoints answer 404 without a chat. */
TEST(test_bots)
{
    char olive[80], path[64];
    login("olive", "correct horse", olive, NULL);
    call(HTTP_POST, "/api/bots", "{\"name\":\"hal\"}", &(opts_t){.bearer = nick_tok});
    CHECK_ERR(403, "forbidden");
    call(HTTP_GET, "/api/bots", NULL, &(opts_t){.bearer = nick_tok});
    CHECK_ERR(403, "forbidden");
    call(HTTP_POST, "/api/bots", "{\"name\":7}", &(opts_t){.bearer = olive});
    CHECK_ERR(400, "bad_payload");
    call(HTTP_POST, "/api/bots", "{\"name\":\"Olive\"}", &(opts_t){.bearer = olive});
    CHECK_ERR(409, "name_taken");
    call(HTTP_POST, "/api/bots", "{\"name\":\"hal\"}", &(opts_t){.bearer = olive});
    CHECK_EQ_INT(resp.status, 201);
    CHECK_EQ_INT(jbool("user.bot"), 1);
    CHECK_EQ_STR(jstr("user.role"), "member");
    char bot[80];
    (void)snprintf(bot, sizeof(bot), "%s", jstr("token"));
    CHECK(hex(bot, 64));
    long long id = jint("user.id");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = bot});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(jbool("user.bot"), 1);
    call(HTTP_GET, "/api/bots", NULL, &(opts_t){.bearer = olive});
    CHECK_EQ_INT(json_array_size(jget("bots")), 1);
    CHECK_EQ_STR(jstr("bots.0.name"), "hal");
    CHECK_EQ_INT(jint("bots.0.tokens"), 1);
    (void)snprintf(path, sizeof(path), "/api/bots/%lld/token", owner_id);
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = olive});
    CHECK_ERR(404, "not_found");
    (void)snprintf(path, sizeof(path), "/api/bots/%lld/token", id);
    call(HTTP_POST, path, NULL, &(opts_t){.bearer = olive});
    CHECK_EQ_INT(resp.status, 201);
    char fresh[80];
    (void)snprintf(fresh, sizeof(fresh), "%s", jstr("token"));
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = bot});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = fresh});
    CHECK_EQ_INT(resp.status, 200);
    call(HTTP_DELETE, path, NULL, &(opts_t){.bearer = olive});
    CHECK_EQ_INT(resp.status, 200);
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = fresh});
    CHECK_ERR(401, "unauthorized");
    call(HTTP_GET, "/api/bots/1/token", NULL, &(opts_t){.bearer = olive});
    CHECK_EQ_INT(resp.status, 405);
    call(HTTP_GET, "/api/channels", NULL, &(opts_t){.bearer = olive});
    CHECK_ERR(404, "not_found");
    call(HTTP_POST, "/api/channels/general/messages", "{\"text\":\"x\"}",
         &(opts_t){.bearer = olive});
    CHECK_ERR(404, "not_found");
}

TEST(test_guest_token)
{
    const auth_user_t *g = NULL;
    char tok[AUTH_SESSION_HEX + 1] = "";
    CHECK_EQ_INT(auth_guest(auth, "gus", 3, NULL, "10.0.0.3", &g, tok), AUTH_OK);
    CHECK(g != NULL && hex(tok, 64));
    call(HTTP_GET, "/api/me", NULL, &(opts_t){.bearer = tok});
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(jstr("user.name"), "gus");
    CHECK_EQ_STR(jstr("user.role"), "guest");
    CHECK_EQ_INT(jbool("user.guest"), 1);
    call(HTTP_GET, "/api/users", NULL, &(opts_t){.bearer = tok});
    CHECK_ERR(403, "forbidden");
    call(HTTP_GET, "/api/invites", NULL, &(opts_t){.bearer = tok});
    CHECK_ERR(403, "forbidden");
    call(HTTP_POST, "/api/invites", NULL, &(opts_t){.bearer = tok});
    CHECK_ERR(403, "forbidden");
    /* Members do not see guests in the directory; owners do. */
    call(HTTP_GET, "/api/users", NULL, &(opts_t){.bearer = nick_tok});
    CHECK_EQ_INT(resp.status, 200);
    for (size_t i = 0; i < json_array_size(jget("users")); i++) {
        char p[48];
        (void)snprintf(p, sizeof(p), "users.%zu.guest", i);
        CHECK_EQ_INT(jbool(p), 0);
    }
    call(HTTP_GET, "/api/users", NULL, &(opts_t){.bearer = owner_tok});
    int guests = 0;
    for (size_t i = 0; i < json_array_size(jget("users")); i++) {
        char p[48];
        (void)snprintf(p, sizeof(p), "users.%zu.guest", i);
        guests += jbool(p) == 1;
    }
    CHECK_EQ_INT(guests, 1);
    /* A guest's name is held: registering it is name_taken. */
    char inv[80], body[256];
    invite("member", inv);
    (void)snprintf(body, sizeof(body),
                   "{\"name\":\"GUS\",\"password\":\"gus password\",\"invite\":\"%s\"}", inv);
    call(HTTP_POST, "/api/register", body, NULL);
    CHECK_ERR(409, "name_taken");
    /* The guest's rows are written behind its join: let them land before the next test. */
    for (int i = 0; i < 1000 && store_mem_pending(store) > 0; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(200);
    }
}

/* The store cannot commit: the session is not kept, so the answer is 503. */
TEST(test_store_failure)
{
    store_mem_fail_writes(store, true);
    call(HTTP_POST, "/api/login", "{\"name\":\"olive\",\"password\":\"correct horse\"}", NULL);
    CHECK_ERR(503, "unavailable");
    store_mem_fail_writes(store, false);
}

TEST(test_request_dup)
{
    const char body[] = "{\"a\":\"\\u0000\"}";
    api_request_t q = {.method = HTTP_POST,
                       .path = "/api/x",
                       .body = body,
                       .body_len = sizeof(body) - 1,
                       .host = "h",
                       .cookie = "c=1",
                       .user_agent = "ua",
                       .addr = "1.2.3.4",
                       .headers = "X-Door: 1\r\n",
                       .keep_alive = true};
    api_request_t *d = api_request_dup(&q);
    CHECK(d->path != q.path && strcmp(d->path, "/api/x") == 0);
    CHECK(d->body != q.body && d->body_len == q.body_len);
    CHECK(memcmp(d->body, body, sizeof(body)) == 0);
    CHECK(strcmp(d->host, "h") == 0 && strcmp(d->cookie, "c=1") == 0);
    CHECK(strcmp(d->user_agent, "ua") == 0 && strcmp(d->addr, "1.2.3.4") == 0);
    CHECK(d->headers != q.headers && strcmp(d->headers, "X-Door: 1\r\n") == 0);
    CHECK(d->origin == NULL && d->authorization == NULL && d->forwarded_proto == NULL);
    CHECK(d->method == HTTP_POST && d->keep_alive);
    free(d);
    blob_t *b = api_response_error(503, "unavailable", "stopping", false, "X-Door: 2\r\n");
    CHECK(b->len > 0 && memcmp(b->data, "HTTP/1.1 503 ", 13) == 0);
    CHECK(memmem(b->data, b->len, "\r\nX-Door: 2\r\n", 13));
    CHECK(memmem(b->data, b->len, "{\"error\":\"unavailable\",\"message\":\"stopping\"}", 44));
    blob_unref(b);
}

int main(void)
{
    CHECK(auth_init() == 0);
    CHECK(uv_loop_init(&loop) == 0);
    store = store_mem_open(&loop, STORE_MEM_AUTO);
    auth_config_t cfg = {
        .guests = true,
        .guest_ttl_ms = 86400000,
        .session_idle_ms = (int64_t)30 * 86400 * 1000,
        .session_max_ms = (int64_t)SESSION_MAX_S * 1000,
        .registration = AUTH_REG_INVITE,
        .hash_max = 1,
        .pw_ops = crypto_pwhash_OPSLIMIT_MIN,
        .pw_mem = crypto_pwhash_MEMLIMIT_MIN,
        .max_name = 32,
    };
    auth = auth_new(&loop, store, &cfg);
    CHECK(auth != NULL);
    if (!auth)
        return TEST_MAIN_END();
    CHECK(auth_load(auth) == 0);
    api = api_new(auth, &(api_config_t){.origins = "http://other.example, " EXTRA_ORIGIN});
    RUN(test_routes);
    RUN(test_first_account_is_the_owner);
    RUN(test_bad_bodies);
    RUN(test_authentication);
    RUN(test_origin_rules);
    RUN(test_login_failures);
    RUN(test_sessions);
    RUN(test_invites);
    RUN(test_users_and_roles);
    RUN(test_ban_and_deactivate);
    RUN(test_reset_links);
    RUN(test_password);
    RUN(test_logout);
    RUN(test_busy_and_rate_limits);
    RUN(test_bots);
    RUN(test_guest_token);
    RUN(test_store_failure);
    RUN(test_request_dup);
    CHECK_EQ_INT(api_pending(api), 0);
    json_decref(resp.body);
    api_free(api);
    store_close(store);
    uv_run(&loop, UV_RUN_DEFAULT);
    auth_free(auth);
    CHECK(uv_loop_close(&loop) == 0);
    return TEST_MAIN_END();
}
