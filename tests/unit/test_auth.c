/* test_auth - the accounts registry through auth.h, on a real loop (password hashes run on
 * libuv's pool at libsodium's smallest argon2 limits) and the in-memory store in manual
 * mode, so the test decides when writes commit and can look between the steps: a name
 * reserved while its hash runs, the revoke callback before the commit, a failed store.
 * Time-driven rules (session expiry, guest holds) go through the _at entry points of
 * auth_int.h with an explicit `now`; the rate limit tables are tested alone too. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "auth/auth.h"
#include "auth/auth_int.h"
#include "auth/auth_limit.h"
#include "auth/auth_map.h"
#include "base/clock.h"
#include "base/log.h"
#include "auth/auth_hook.h"
#include "store_mem.h"
#include "test.h"

#define PW "correct horse"
#define PW2 "battery staple"

/* ---- the world: a loop, a manual store, a registry ---- */

typedef struct {
    uint64_t user, session;
    uint16_t code;
} revoke_t;

typedef struct {
    uv_loop_t loop;
    store_t *store;
    auth_t *auth;
    auth_config_t cfg;
    revoke_t revokes[64];
    size_t nrevokes;
} world_t;

static void on_revoke(void *ctx, uint64_t user, uint64_t session, uint16_t code)
{
    world_t *w = ctx;
    if (w->nrevokes < 64)
        w->revokes[w->nrevokes++] = (revoke_t){user, session, code};
}

static auth_config_t config(void)
{
    return (auth_config_t){.guests = true,
                           .guest_ttl_ms = AUTH_HOUR_MS,
                           .session_idle_ms = AUTH_DAY_MS,
                           .session_max_ms = 3 * AUTH_DAY_MS,
                           .registration = AUTH_REG_INVITE,
                           .hash_max = 4,
                           .pw_ops = crypto_pwhash_OPSLIMIT_MIN,
                           .pw_mem = crypto_pwhash_MEMLIMIT_MIN,
                           .max_name = 32};
}

/* A registry on w->store (opened by the caller, or a new one). */
static void world_open(world_t *w, const auth_config_t *cfg, store_t *store)
{
    memset(w, 0, sizeof(*w));
    uv_loop_init(&w->loop);
    w->cfg = cfg ? *cfg : config();
    w->store = store ? store : store_mem_open(NULL, STORE_MEM_MANUAL);
    w->auth = auth_new(&w->loop, w->store, &w->cfg);
    CHECK(w->auth != NULL);
    auth_set_revoke_cb(w->auth, on_revoke, w);
    CHECK_EQ_INT(auth_load(w->auth), 0);
}

/* Runs hashes and store writes until nothing is left to do. */
static void settle(world_t *w)
{
    for (;;) {
        uv_run(&w->loop, UV_RUN_DEFAULT);
        if (store_mem_run(w->store) == 0 && !uv_loop_alive(&w->loop))
            break;
    }
}

/* Runs the hashes only (the store's writes stay pending). */
static void hashes(world_t *w)
{
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* Closes the registry; the store too unless keep_store. */
static void world_close(world_t *w, bool keep_store)
{
    settle(w);
    auth_free(w->auth);
    if (!keep_store)
        store_close(w->store);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&w->loop), 0);
}

/* ---- answers ---- */

typedef struct {
    int calls;
    auth_status_t status;
    unsigned retry;
    const auth_user_t *user;
    uint64_t sid, invite;
    char token[AUTH_SESSION_HEX + 1];
} answer_t;

static void on_answer(void *ctx, const auth_result_t *r)
{
    answer_t *a = ctx;
    a->calls++;
    a->status = r->status;
    a->retry = r->retry_after;
    a->user = r->user;
    a->sid = r->session ? r->session->id : 0;
    a->invite = r->invite ? r->invite->id : 0;
    snprintf(a->token, sizeof(a->token), "%s", r->token ? r->token : "");
}

static auth_status_t reg_full(world_t *w, const char *name, const char *pw, const char *display,
                              const char *invite, const char *addr, answer_t *out)
{
    answer_t a = {0};
    auth_register_t r = {.name = name,
                         .name_len = strlen(name),
                         .password = pw,
                         .password_len = strlen(pw),
                         .display = display,
                         .invite = invite,
                         .addr = addr ? addr : "10.0.0.1",
                         .agent = "test"};
    auth_register(w->auth, &r, on_answer, &a);
    settle(w);
    CHECK_EQ_INT(a.calls, 1);
    if (out)
        *out = a;
    return a.status;
}

static auth_status_t reg(world_t *w, const char *name, const char *invite, answer_t *out)
{
    return reg_full(w, name, PW, NULL, invite, NULL, out);
}

static auth_status_t login(world_t *w, const char *name, const char *pw, const char *addr,
                           answer_t *out)
{
    answer_t a = {0};
    auth_login(w->auth, name, strlen(name), pw, strlen(pw), addr ? addr : "10.0.0.1", "test",
               on_answer, &a);
    settle(w);
    CHECK_EQ_INT(a.calls, 1);
    if (out)
        *out = a;
    return a.status;
}

static answer_t invite(world_t *w, const auth_user_t *actor, auth_role_t role, uint32_t uses,
                       int64_t ttl)
{
    answer_t a = {0};
    auth_invite_create(w->auth, actor, role, uses, ttl, on_answer, &a);
    settle(w);
    CHECK_EQ_INT(a.calls, 1);
    return a;
}

/* A world whose first account, "root", is the owner (registration: cfg's). */
static const auth_user_t *with_owner(world_t *w, const auth_config_t *cfg)
{
    world_open(w, cfg, NULL);
    answer_t a;
    CHECK_EQ_INT(reg(w, "root", NULL, &a), AUTH_OK);
    return a.user;
}

/* An account of role, made through an invite of the owner. */
static const auth_user_t *account(world_t *w, const auth_user_t *owner, const char *name,
                                  auth_role_t role, answer_t *out)
{
    answer_t inv = invite(w, owner, role, 1, 0);
    answer_t a;
    CHECK_EQ_INT(inv.status, AUTH_OK);
    CHECK_EQ_INT(reg(w, name, inv.token, &a), AUTH_OK);
    if (out)
        *out = a;
    return a.user;
}

/* ---- what the store holds ---- */

typedef struct {
    uint64_t id;
    int users, sessions, invites;
    store_user_t user; /* the row of id (strings copied into the buffers below) */
    char canon[256], pass[256], role[16], state[16], display[128];
    bool found, canon_null;
} rows_t;

static void row_user(void *ctx, const store_user_t *u)
{
    rows_t *r = ctx;
    r->users++;
    if (u->id != r->id)
        return;
    r->found = true;
    r->user = *u;
    r->canon_null = !u->canon;
    snprintf(r->canon, sizeof(r->canon), "%s", u->canon ? u->canon : "");
    snprintf(r->pass, sizeof(r->pass), "%s", u->pass ? u->pass : "");
    snprintf(r->role, sizeof(r->role), "%s", u->role);
    snprintf(r->state, sizeof(r->state), "%s", u->state);
    snprintf(r->display, sizeof(r->display), "%s", u->display);
}

static void row_session(void *ctx, const store_session_t *s)
{
    rows_t *r = ctx;
    r->sessions += r->id == 0 || s->user_id == r->id;
}

static void row_invite(void *ctx, const store_invite_t *i)
{
    (void)i;
    ((rows_t *)ctx)->invites++;
}

/* The store's rows, with user id's row in detail (its sessions counted; id 0: all). */
static rows_t stored(world_t *w, uint64_t id)
{
    rows_t r = {.id = id};
    store_accounts_load_t cbs = {row_user, row_session, row_invite, NULL};
    CHECK_EQ_INT(store_load_accounts(w->store, &cbs, &r), 0);
    return r;
}

static int nsessions(world_t *w, uint64_t user)
{
    int n = 0;
    for (const auth_session_t *s = auth_session_next(w->auth, user, NULL); s;
         s = auth_session_next(w->auth, user, s))
        n++;
    return n;
}

static const auth_session_t *check(world_t *w, const char *token)
{
    return auth_session_check(w->auth, token, strlen(token));
}

static bool revoked(const world_t *w, uint64_t user, uint64_t session, uint16_t code)
{
    for (size_t i = 0; i < w->nrevokes; i++)
        if (w->revokes[i].user == user && w->revokes[i].session == session &&
            w->revokes[i].code == code)
            return true;
    return false;
}

/* ---- small modules: the rate limit tables and the map ---- */

TEST(limit_window)
{
    auth_limit_t *l = auth_limit_new(3, 10000, 16);
    int64_t t = 1000000;
    CHECK_EQ_INT(auth_limit_wait(l, "k", 1, t), 0);
    for (int i = 0; i < 3; i++)
        auth_limit_hit(l, "k", 1, t + i);
    CHECK_EQ_INT(auth_limit_wait(l, "k", 1, t + 3), 10); /* 9997 ms: rounded up */
    CHECK_EQ_INT(auth_limit_wait(l, "k", 1, t + 9001), 1);
    CHECK_EQ_INT(auth_limit_wait(l, "other", 5, t + 3), 0);
    CHECK_EQ_INT(auth_limit_wait(l, "k", 1, t + 10000), 0); /* the window closed */
    auth_limit_hit(l, "k", 1, t + 10000);                   /* a new one opens */
    CHECK_EQ_INT(auth_limit_wait(l, "k", 1, t + 10001), 0);
    auth_limit_hit(l, "k", 1, t + 10001);
    auth_limit_hit(l, "k", 1, t + 10002);
    CHECK(auth_limit_wait(l, "k", 1, t + 10003) > 0);
    auth_limit_forget(l, "k", 1);
    CHECK_EQ_INT(auth_limit_wait(l, "k", 1, t + 10003), 0);
    auth_limit_free(l);
}

TEST(limit_bounded)
{
    auth_limit_t *l = auth_limit_new(1, 60000, 4);
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "addr%d", i);
        auth_limit_hit(l, key, strlen(key), 1000 + i);
        CHECK(auth_limit_size(l) <= 4);
    }
    /* the oldest were evicted, the newest are still counted */
    CHECK_EQ_INT(auth_limit_wait(l, "addr0", 5, 2000), 0);
    CHECK(auth_limit_wait(l, "addr99", 6, 2000) > 0);
    /* expired windows go first, whatever the cap */
    auth_limit_hit(l, "late", 4, 1000000);
    CHECK_EQ_INT(auth_limit_size(l), 1);
    auth_limit_free(l);
}

TEST(map_basics)
{
    auth_map_t m;
    auth_map_init(&m);
    static int vals[1000];
    char key[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        auth_map_put(&m, key, strlen(key), &vals[i]);
    }
    CHECK_EQ_INT(auth_map_size(&m), 1000);
    CHECK(auth_map_get(&m, "key517", 6) == &vals[517]);
    CHECK(auth_map_get(&m, "key5170", 7) == NULL);
    auth_map_put(&m, "key517", 6, &vals[0]);
    CHECK(auth_map_get(&m, "key517", 6) == &vals[0]);
    CHECK_EQ_INT(auth_map_size(&m), 1000);
    CHECK(auth_map_del(&m, "key517", 6) == &vals[0]);
    CHECK(auth_map_get(&m, "key517", 6) == NULL);
    CHECK(auth_map_del(&m, "key517", 6) == NULL);
    CHECK_EQ_INT(auth_map_size(&m), 999);
    auth_map_deinit(&m);
}

/* Fixed-length keys, copied (session ids) and borrowed (session hashes: the key is the
 * value's own field, so the map follows a put's new pointer and never reads a freed one). */
TEST(map_fixed_and_borrowed)
{
    auth_map_t ids, refs;
    auth_map_init_fixed(&ids, sizeof(uint64_t), false);
    auth_map_init_fixed(&refs, 8, true);
    static struct {
        char key[9];
    } v[300];
    for (uint64_t i = 0; i < 300; i++) {
        snprintf(v[i].key, sizeof(v[i].key), "h%07u", (unsigned)i);
        auth_map_put(&ids, &i, sizeof(i), &v[i]);
        auth_map_put(&refs, v[i].key, 8, &v[i]);
    }
    uint64_t id = 217;
    CHECK(auth_map_get(&ids, &id, sizeof(id)) == &v[217]);
    CHECK(auth_map_get(&ids, &id, 4) == NULL); /* another length is never a key */
    CHECK(auth_map_get(&refs, "h0000217", 8) == &v[217]);
    CHECK(auth_map_get(&refs, "h000021", 7) == NULL);
    /* A key copied into another place: put again, the old place may change. */
    char moved[9];
    memcpy(moved, v[5].key, sizeof(moved));
    auth_map_put(&refs, moved, 8, &v[5]);
    memset(v[5].key, 'x', 8);
    CHECK(auth_map_get(&refs, "h0000005", 8) == &v[5]);
    CHECK_EQ_INT(auth_map_size(&refs), 300);
    CHECK(auth_map_del(&refs, "h0000005", 8) == &v[5]);
    CHECK(auth_map_get(&refs, "h0000005", 8) == NULL);
    CHECK(auth_map_del(&ids, &id, sizeof(id)) == &v[217]);
    CHECK_EQ_INT(auth_map_size(&ids), 299);
    auth_map_deinit(&ids);
    auth_map_deinit(&refs);
}

TEST(status_texts)
{
    CHECK_EQ_STR(auth_status_code(AUTH_E_BAD_DISPLAY), "bad_name");
    CHECK_EQ_STR(auth_status_code(AUTH_E_GUESTS_OFF), "auth_required");
    CHECK_EQ_STR(auth_status_code(AUTH_E_UNAVAILABLE), "unavailable");
    CHECK_EQ_INT(auth_status_http(AUTH_E_BAD_CREDENTIALS), 401);
    CHECK_EQ_INT(auth_status_http(AUTH_E_NAME_TAKEN), 409);
    CHECK_EQ_INT(auth_status_http(AUTH_E_LAST_OWNER), 409);
    CHECK_EQ_INT(auth_status_http(AUTH_E_RATE_LIMITED), 429);
    CHECK_EQ_INT(auth_status_http(AUTH_E_UNAVAILABLE), 503);
    CHECK_EQ_INT(auth_status_http(AUTH_E_NOT_FOUND), 404);
    for (int st = AUTH_OK; st <= AUTH_E_UNAVAILABLE; st++) { /* UNAVAILABLE is the last */
        CHECK(auth_status_text((auth_status_t)st)[0] != '\0');
        CHECK(auth_status_http((auth_status_t)st) >= 200);
    }
    CHECK_EQ_INT(auth_status_http((auth_status_t)99), 500);
    auth_role_t r;
    CHECK_EQ_INT(auth_role_parse("admin", &r), 0);
    CHECK_EQ_INT(r, AUTH_ADMIN);
    CHECK_EQ_INT(auth_role_parse("root", &r), -1);
    CHECK_EQ_STR(auth_role_name(AUTH_OWNER), "owner");
    CHECK_EQ_STR(auth_state_name(AUTH_DEACTIVATED), "deactivated");
}

/* ---- registration ---- */

TEST(register_first_is_owner)
{
    world_t w;
    world_open(&w, NULL, NULL);
    CHECK(!auth_owner_exists(w.auth));
    CHECK_EQ_INT(auth_registration(w.auth), AUTH_REG_OPEN);
    answer_t a;
    CHECK_EQ_INT(reg_full(&w, "Alice", PW, "Alice L.", NULL, NULL, &a), AUTH_OK);
    CHECK_EQ_INT(a.user->role, AUTH_OWNER);
    CHECK_EQ_STR(a.user->display, "Alice L.");
    CHECK(auth_token_wellformed(a.token, AUTH_SESSION_HEX));
    CHECK(a.sid != 0);
    CHECK(auth_owner_exists(w.auth));
    CHECK_EQ_INT(auth_registration(w.auth), AUTH_REG_INVITE);
    const auth_session_t *s = check(&w, a.token);
    CHECK(s && s->id == a.sid && s->user == a.user);
    CHECK(auth_user_named(w.auth, "alice", 5) == a.user);
    CHECK(auth_user(w.auth, a.user->id) == a.user);
    CHECK_EQ_INT(auth_nusers(w.auth), 1);
    CHECK(auth_user_at(w.auth, 0) == a.user);
    /* in the store: the row, hashed password, one session holding only the token's hash */
    rows_t r = stored(&w, a.user->id);
    CHECK(r.found);
    CHECK_EQ_STR(r.role, "owner");
    CHECK(strncmp(r.pass, "$argon2id$", 10) == 0);
    CHECK_EQ_INT(r.sessions, 1);
    /* the second one needs an invite (--registration invite) */
    CHECK_EQ_INT(reg(&w, "bob", NULL, NULL), AUTH_E_BAD_INVITE);
    world_close(&w, false);
}

TEST(register_modes)
{
    auth_config_t cfg = config();
    world_t w;
    cfg.registration = AUTH_REG_OPEN;
    with_owner(&w, &cfg);
    answer_t a;
    CHECK_EQ_INT(reg(&w, "bob", NULL, &a), AUTH_OK);
    CHECK_EQ_INT(a.user->role, AUTH_MEMBER);
    world_close(&w, false);

    cfg.registration = AUTH_REG_CLOSED;
    const auth_user_t *owner = with_owner(&w, &cfg);
    CHECK_EQ_INT(reg(&w, "bob", NULL, NULL), AUTH_E_REGISTRATION_CLOSED);
    answer_t inv = invite(&w, owner, AUTH_MEMBER, 1, 0);
    CHECK_EQ_INT(reg(&w, "bob", inv.token, NULL), AUTH_E_REGISTRATION_CLOSED);
    world_close(&w, false);
}

TEST(register_invites)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    answer_t inv = invite(&w, owner, AUTH_ADMIN, 2, 0);
    CHECK_EQ_INT(inv.status, AUTH_OK);
    CHECK_EQ_INT(strlen(inv.token), AUTH_INVITE_HEX);
    answer_t a;
    CHECK_EQ_INT(reg(&w, "bob", inv.token, &a), AUTH_OK);
    CHECK_EQ_INT(a.user->role, AUTH_ADMIN);
    CHECK_EQ_INT(reg(&w, "carl", inv.token, NULL), AUTH_OK);
    CHECK_EQ_INT(reg(&w, "dora", inv.token, NULL), AUTH_E_BAD_INVITE); /* used up */
    const auth_invite_t *i = auth_invite_next(w.auth, NULL);
    CHECK(i && i->uses == 2 && i->max_uses == 2 && i->role == AUTH_ADMIN);
    CHECK_EQ_INT(i->creator, owner->id);
    CHECK_EQ_INT(reg(&w, "dora", "00000000000000000000000000000000", NULL), AUTH_E_BAD_INVITE);

    /* expired */
    answer_t old = invite(&w, owner, AUTH_MEMBER, 5, 1);
    CHECK_EQ_INT(old.status, AUTH_OK);
    uv_sleep(5);
    CHECK_EQ_INT(reg(&w, "dora", old.token, NULL), AUTH_E_BAD_INVITE);

    /* revoked */
    answer_t rv = invite(&w, owner, AUTH_MEMBER, 5, 0), r = {0};
    auth_invite_revoke(w.auth, owner, rv.invite, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK_EQ_INT(reg(&w, "dora", rv.token, NULL), AUTH_E_BAD_INVITE);
    memset(&r, 0, sizeof(r));
    auth_invite_revoke(w.auth, owner, 9999, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_NOT_FOUND);

    /* an admin invites up to admin, not owner; a member not at all */
    const auth_user_t *admin = a.user;
    CHECK_EQ_INT(invite(&w, admin, AUTH_ADMIN, 1, 0).status, AUTH_OK);
    CHECK_EQ_INT(invite(&w, admin, AUTH_OWNER, 1, 0).status, AUTH_E_FORBIDDEN);
    CHECK_EQ_INT(invite(&w, owner, AUTH_GUEST, 1, 0).status, AUTH_E_FORBIDDEN);
    const auth_user_t *member = account(&w, owner, "erin", AUTH_MEMBER, NULL);
    CHECK_EQ_INT(invite(&w, member, AUTH_MEMBER, 1, 0).status, AUTH_E_FORBIDDEN);
    memset(&r, 0, sizeof(r));
    auth_invite_revoke(w.auth, member, inv.invite, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_FORBIDDEN);
    /* every invite listed, by id */
    int n = 0;
    uint64_t last = 0;
    for (i = auth_invite_next(w.auth, NULL); i; i = auth_invite_next(w.auth, i), n++) {
        CHECK(i->id > last);
        last = i->id;
    }
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_INT(stored(&w, 0).invites, 5);
    world_close(&w, false);
}

TEST(register_checks)
{
    world_t w;
    with_owner(&w, NULL);
    const char *same[] = {"root", "Root", "ROOT",
                          "\xef\xbd\x92\xef\xbd\x8f\xef\xbd\x8f\xef\xbd\x94",
                          /* Cyrillic о twice */ "r\xd0\xbe\xd0\xbet"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        CHECK_EQ_INT(reg(&w, same[i], NULL, NULL), AUTH_E_NAME_TAKEN);
    /* a free name would pass these checks but needs an invite: taken names are told first */
    CHECK_EQ_INT(reg(&w, "anonymous", NULL, NULL), AUTH_E_NAME_TAKEN);
    CHECK_EQ_INT(reg(&w, "Client #5", NULL, NULL), AUTH_E_NAME_TAKEN);
    CHECK_EQ_INT(reg(&w, " bob", NULL, NULL), AUTH_E_BAD_NAME);
    CHECK_EQ_INT(reg(&w, "", NULL, NULL), AUTH_E_BAD_NAME);
    CHECK_EQ_INT(reg(&w, "a-name-far-longer-than-thirty-two-chars", NULL, NULL), AUTH_E_BAD_NAME);
    CHECK_EQ_INT(reg_full(&w, "bob", PW, "evil\xe2\x80\xae", NULL, NULL, NULL), AUTH_E_BAD_DISPLAY);
    char longd[70];
    memset(longd, 'd', 65);
    longd[65] = '\0';
    CHECK_EQ_INT(reg_full(&w, "bob", PW, longd, NULL, NULL, NULL), AUTH_E_BAD_DISPLAY);
    /* 7 characters in 14 bytes is weak; 1025 bytes is refused before hashing */
    CHECK_EQ_INT(reg_full(&w, "bob", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
                          NULL, NULL, NULL, NULL),
                 AUTH_E_WEAK_PASSWORD);
    char *big = malloc(1026);
    memset(big, 'p', 1025);
    big[1025] = '\0';
    CHECK_EQ_INT(reg_full(&w, "bob", big, NULL, NULL, NULL, NULL), AUTH_E_BAD_PASSWORD);
    free(big);
    CHECK_EQ_INT(auth_nusers(w.auth), 1);
    world_close(&w, false);
}

/* The name is reserved while its hash runs: a second registration and a guest of that
 * name are refused; when the registration fails, the name is free again. */
TEST(register_reserves_name)
{
    auth_config_t cfg = config();
    cfg.registration = AUTH_REG_OPEN;
    world_t w;
    with_owner(&w, &cfg);
    answer_t a = {0}, b = {0};
    auth_register_t r = {
        .name = "bob", .name_len = 3, .password = PW, .password_len = 13, .addr = "10.0.0.1"};
    auth_register(w.auth, &r, on_answer, &a);
    auth_register_t r2 = r;
    r2.name = "BOB";
    auth_register(w.auth, &r2, on_answer, &b);
    CHECK_EQ_INT(b.calls, 1);
    CHECK_EQ_INT(b.status, AUTH_E_NAME_TAKEN);
    const auth_user_t *g;
    char tok[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest(w.auth, "bob", 3, NULL, "10.0.0.9", &g, tok), AUTH_E_NAME_TAKEN);
    CHECK(auth_user_named(w.auth, "bob", 3) == NULL); /* not a user yet */
    CHECK(!auth_name_free(w.auth, "bob", 3));
    /* the hash is done, the row not committed: still nobody's and still taken */
    hashes(&w);
    CHECK_EQ_INT(a.calls, 0);
    CHECK(auth_user_named(w.auth, "bob", 3) == NULL);
    store_mem_run(w.store); /* the row commits, then the session */
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.status, AUTH_OK);
    CHECK(auth_user_named(w.auth, "Bob", 3) == a.user);

    /* a failed registration frees the name */
    log_level = LOG_ERROR; /* the failure is warned about */
    store_mem_fail_writes(w.store, true);
    memset(&a, 0, sizeof(a));
    r.name = "carl";
    r.name_len = 4;
    auth_register(w.auth, &r, on_answer, &a);
    settle(&w);
    CHECK_EQ_INT(a.status, AUTH_E_UNAVAILABLE);
    CHECK(auth_name_free(w.auth, "carl", 4));
    world_close(&w, false);
    log_level = LOG_INFO;
}

TEST(register_busy_and_rate)
{
    auth_config_t cfg = config();
    cfg.registration = AUTH_REG_OPEN;
    cfg.hash_max = 1;
    world_t w;
    with_owner(&w, &cfg);
    answer_t a = {0}, b = {0};
    auth_register_t r = {
        .name = "bob", .name_len = 3, .password = PW, .password_len = 13, .addr = "10.0.0.2"};
    auth_register(w.auth, &r, on_answer, &a);
    r.name = "carl";
    r.name_len = 4;
    auth_register(w.auth, &r, on_answer, &b);
    CHECK_EQ_INT(b.calls, 1);
    CHECK_EQ_INT(b.status, AUTH_E_BUSY);
    CHECK_EQ_INT(b.retry, 1);
    CHECK(auth_name_free(w.auth, "carl", 4)); /* the refused one holds nothing */
    settle(&w);
    CHECK_EQ_INT(a.status, AUTH_OK);
    /* 10 registrations per address per hour ("root" came from 10.0.0.1) */
    char name[16];
    for (int i = 1; i < 10; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        CHECK_EQ_INT(reg_full(&w, name, PW, NULL, NULL, "10.0.0.2", NULL), AUTH_OK);
    }
    answer_t c;
    CHECK_EQ_INT(reg_full(&w, "user10", PW, NULL, NULL, "10.0.0.2", &c), AUTH_E_RATE_LIMITED);
    CHECK(c.retry > 3500 && c.retry <= 3600);
    CHECK_EQ_INT(reg_full(&w, "user10", PW, NULL, NULL, "10.0.0.3", NULL), AUTH_OK);
    world_close(&w, false);
}

TEST(user_add_cli)
{
    world_t w;
    world_open(&w, NULL, NULL);
    answer_t a = {0};
    auth_register_t r = {
        .name = "boss", .name_len = 4, .password = PW, .password_len = 13, .role = AUTH_ADMIN};
    auth_user_add(w.auth, &r, on_answer, &a);
    settle(&w);
    CHECK_EQ_INT(a.status, AUTH_OK);
    CHECK_EQ_INT(a.user->role, AUTH_ADMIN);
    CHECK_EQ_STR(a.token, "");
    CHECK_EQ_INT(nsessions(&w, a.user->id), 0);
    CHECK(!auth_owner_exists(w.auth)); /* the command line gives the role asked for */
    memset(&a, 0, sizeof(a));
    r.name = "BOSS";
    auth_user_add(w.auth, &r, on_answer, &a);
    CHECK_EQ_INT(a.status, AUTH_E_NAME_TAKEN);
    CHECK_EQ_INT(login(&w, "boss", PW, NULL, NULL), AUTH_OK);
    /* no role given (the field's zero, guest): a member */
    memset(&a, 0, sizeof(a));
    r = (auth_register_t){.name = "minion", .name_len = 6, .password = PW, .password_len = 13};
    auth_user_add(w.auth, &r, on_answer, &a);
    settle(&w);
    CHECK_EQ_INT(a.status, AUTH_OK);
    CHECK_EQ_INT(a.user->role, AUTH_MEMBER);
    world_close(&w, false);
}

/* `parley import`'s accounts: no password (only from the command line), nobody signs in
 * until a reset link sets one. */
TEST(user_add_without_password)
{
    world_t w;
    world_open(&w, NULL, NULL);
    answer_t a = {0}, link = {0}, r = {0};
    auth_register_t reg = {.name = "imported", .name_len = 8, .role = AUTH_MEMBER};
    auth_register(w.auth, &reg, on_answer, &a);
    CHECK_EQ_INT(a.status, AUTH_E_BAD_PASSWORD); /* a registration always has one */
    memset(&a, 0, sizeof(a));
    auth_user_add(w.auth, &reg, on_answer, &a);
    settle(&w);
    CHECK_EQ_INT(a.status, AUTH_OK);
    CHECK(a.user && a.user->pass == NULL && a.user->role == AUTH_MEMBER);
    CHECK_EQ_INT(login(&w, "imported", "", NULL, NULL), AUTH_E_BAD_CREDENTIALS);
    CHECK_EQ_INT(login(&w, "imported", PW, NULL, NULL), AUTH_E_BAD_CREDENTIALS);
    auth_reset_create(w.auth, NULL, a.user->id, on_answer, &link);
    settle(&w);
    CHECK_EQ_INT(link.status, AUTH_OK);
    auth_reset_use(w.auth, link.token, PW, 13, "10.0.0.5", "ua", on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK_EQ_INT(login(&w, "imported", PW, NULL, NULL), AUTH_OK);
    world_close(&w, false);
}

/* ---- signing in ---- */

TEST(login_answers)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    answer_t a;
    CHECK_EQ_INT(login(&w, "ROOT", PW, NULL, &a), AUTH_OK);
    CHECK(a.user == owner);
    CHECK(check(&w, a.token) != NULL);
    CHECK_EQ_INT(nsessions(&w, owner->id), 2);
    answer_t wrong, unknown, guest;
    CHECK_EQ_INT(login(&w, "root", PW2, NULL, &wrong), AUTH_E_BAD_CREDENTIALS);
    CHECK_EQ_INT(login(&w, "nobody", PW, NULL, &unknown), AUTH_E_BAD_CREDENTIALS);
    CHECK(wrong.user == NULL && unknown.user == NULL && wrong.retry == 0);
    CHECK_EQ_STR(auth_status_text(wrong.status), auth_status_text(unknown.status));
    /* a guest has no password: as unknown */
    const auth_user_t *g;
    char tok[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest(w.auth, "gus", 3, NULL, "10.0.0.9", &g, tok), AUTH_OK);
    CHECK_EQ_INT(login(&w, "gus", PW, NULL, &guest), AUTH_E_BAD_CREDENTIALS);
    CHECK_EQ_INT(login(&w, " bad name", PW, NULL, NULL), AUTH_E_BAD_CREDENTIALS);
    char *big = malloc(1100);
    memset(big, 'p', 1099);
    big[1099] = '\0';
    CHECK_EQ_INT(login(&w, "root", big, NULL, NULL), AUTH_E_BAD_CREDENTIALS);
    free(big);
    world_close(&w, false);
}

TEST(login_rate_limits)
{
    world_t w;
    with_owner(&w, NULL);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(login(&w, "root", PW2, "10.1.0.1", NULL), AUTH_E_BAD_CREDENTIALS);
    answer_t a;
    CHECK_EQ_INT(login(&w, "Root", PW, "10.1.0.2", &a), AUTH_E_RATE_LIMITED); /* any form */
    CHECK(a.retry > 800 && a.retry <= 900);
    /* per address: 20 failures, whatever the names */
    char name[16];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "nobody%d", i);
        CHECK_EQ_INT(login(&w, name, PW, "10.2.0.1", NULL), AUTH_E_BAD_CREDENTIALS);
    }
    CHECK_EQ_INT(login(&w, "nobody99", PW, "10.2.0.1", &a), AUTH_E_RATE_LIMITED);
    CHECK_EQ_INT(login(&w, "nobody99", PW, "10.2.0.2", NULL), AUTH_E_BAD_CREDENTIALS);
    world_close(&w, false);
}

TEST(login_banned_and_deactivated)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    const auth_user_t *bob = account(&w, owner, "bob", AUTH_MEMBER, NULL);
    answer_t r = {0};
    auth_set_state(w.auth, owner, bob->id, AUTH_BANNED, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK_EQ_INT(login(&w, "bob", PW2, NULL, NULL), AUTH_E_BAD_CREDENTIALS);
    CHECK_EQ_INT(login(&w, "bob", PW, NULL, NULL), AUTH_E_BANNED);
    auth_set_state(w.auth, owner, bob->id, AUTH_DEACTIVATED, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(login(&w, "bob", PW, NULL, NULL), AUTH_E_DEACTIVATED);
    auth_set_state(w.auth, owner, bob->id, AUTH_ACTIVE, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(login(&w, "bob", PW, NULL, NULL), AUTH_OK);
    world_close(&w, false);
}

/* A stored hash of other parameters is replaced by one of ours at the next sign-in. */
TEST(login_rehash)
{
    world_t w;
    world_open(&w, NULL, NULL);
    char old[crypto_pwhash_STRBYTES];
    CHECK_EQ_INT(crypto_pwhash_str(old, PW, strlen(PW), crypto_pwhash_OPSLIMIT_MIN + 1,
                                   crypto_pwhash_MEMLIMIT_MIN),
                 0);
    store_change_t c = {.kind = STORE_USER_CREATE,
                        .u = {.id = 5,
                              .name = "old",
                              .canon = "old",
                              .display = "",
                              .role = "owner",
                              .pass = old,
                              .state = "active"}};
    CHECK_EQ_INT(store_change(w.store, &c, NULL, NULL), 0);
    store_mem_run(w.store);
    CHECK_EQ_INT(auth_load(w.auth), 0);
    const auth_user_t *u = auth_user(w.auth, 5);
    CHECK(u && strcmp(u->pass, old) == 0);
    answer_t a;
    CHECK_EQ_INT(login(&w, "old", PW, NULL, &a), AUTH_OK);
    CHECK(strcmp(u->pass, old) != 0);
    rows_t r = stored(&w, 5);
    CHECK_EQ_STR(r.pass, u->pass);
    CHECK_EQ_INT(login(&w, "old", PW, NULL, NULL), AUTH_OK);
    CHECK_EQ_INT(login(&w, "old", PW2, NULL, NULL), AUTH_E_BAD_CREDENTIALS);
    /* the next id follows the highest loaded */
    CHECK_EQ_INT(reg(&w, "next", invite(&w, u, AUTH_MEMBER, 1, 0).token, &a), AUTH_OK);
    CHECK_EQ_INT(a.user->id, 6);
    world_close(&w, false);
}

/* ---- sessions ---- */

TEST(session_expiry)
{
    world_t w;
    world_open(&w, NULL, NULL);
    answer_t a;
    CHECK_EQ_INT(reg(&w, "root", NULL, &a), AUTH_OK);
    const auth_session_t *s = check(&w, a.token);
    CHECK(s != NULL);
    int64_t t0 = s->created, idle = w.cfg.session_idle_ms;
    CHECK_EQ_INT(s->expires, t0 + w.cfg.session_max_ms);
    /* idle: sliding */
    CHECK(auth_session_check_at(w.auth, a.token, 64, t0 + idle - 1) != NULL);
    CHECK(auth_session_check_at(w.auth, a.token, 64, t0 + 2 * idle - 2) != NULL);
    CHECK(auth_session_check_at(w.auth, a.token, 64, t0 + 3 * idle - 3) != NULL);
    /* absolute, however recently seen */
    CHECK(auth_session_check_at(w.auth, a.token, 64, t0 + w.cfg.session_max_ms) == NULL);
    CHECK_EQ_INT(nsessions(&w, a.user->id), 0);
    settle(&w);
    CHECK_EQ_INT(stored(&w, a.user->id).sessions, 0);

    answer_t b;
    CHECK_EQ_INT(login(&w, "root", PW, NULL, &b), AUTH_OK);
    /* From when it was last seen (check() slid it, by the wall clock, maybe past created). */
    t0 = check(&w, b.token)->seen;
    CHECK(auth_session_check_at(w.auth, b.token, 64, t0 + idle) == NULL);
    CHECK(auth_session_check_at(w.auth, b.token, 64, t0) == NULL); /* dropped for good */

    /* seen is written at most once a minute */
    CHECK_EQ_INT(login(&w, "root", PW, NULL, &b), AUTH_OK);
    t0 = check(&w, b.token)->created;
    settle(&w);
    CHECK(auth_session_check_at(w.auth, b.token, 64, t0 + 1000) != NULL);
    CHECK_EQ_INT(store_mem_pending(w.store), 0);
    CHECK(auth_session_check_at(w.auth, b.token, 64, t0 + AUTH_MINUTE_MS + 1000) != NULL);
    CHECK_EQ_INT(store_mem_pending(w.store), 1);
    settle(&w);

    /* expiry by the tick is quiet: no revoke callback */
    w.nrevokes = 0;
    auth_tick_at(w.auth, t0 + w.cfg.session_max_ms + 1);
    CHECK_EQ_INT(nsessions(&w, a.user->id), 0);
    CHECK_EQ_INT(w.nrevokes, 0);
    settle(&w);
    CHECK_EQ_INT(stored(&w, a.user->id).sessions, 0);
    world_close(&w, false);
}

/* Bots: made by owners and admins (and the command line), with tokens that are sessions
 * never idle nor past --session-max, stored as hashes, renewed and revoked; no reset link,
 * no sign-in; read back by another registry on the same store. */
TEST(bots)
{
    world_t w;
    const auth_user_t *root = with_owner(&w, NULL);
    const auth_user_t *mem = account(&w, root, "mem", AUTH_MEMBER, NULL);
    answer_t a = {0};
    auth_bot_add(w.auth, mem, "hal", 3, on_answer, &a);
    CHECK_EQ_INT(a.status, AUTH_E_FORBIDDEN);
    auth_bot_add(w.auth, root, "MEM", 3, on_answer, &a);
    CHECK_EQ_INT(a.status, AUTH_E_NAME_TAKEN);
    auth_bot_add(w.auth, root, " hal", 4, on_answer, &a);
    CHECK_EQ_INT(a.status, AUTH_E_BAD_NAME);
    a = (answer_t){0};
    auth_bot_add(w.auth, root, "hal", 3, on_answer, &a);
    settle(&w);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.status, AUTH_OK);
    CHECK(a.user && a.user->bot && a.user->role == AUTH_MEMBER && !a.user->pass);
    const auth_user_t *hal = a.user;
    const auth_session_t *s = check(&w, a.token);
    CHECK(s != NULL && s->user == hal);
    rows_t r = stored(&w, hal->id);
    CHECK(r.found && r.user.bot && r.pass[0] == '\0');
    CHECK_EQ_INT(r.sessions, 1);
    /* Never idle, never past --session-max. */
    int64_t t0 = s->seen;
    CHECK(auth_session_check_at(w.auth, a.token, 64, t0 + 10 * w.cfg.session_max_ms) != NULL);
    auth_tick_at(w.auth, t0 + 20 * w.cfg.session_max_ms);
    CHECK_EQ_INT(nsessions(&w, hal->id), 1);
    /* No password to sign in with, no reset link to get one. */
    answer_t l;
    CHECK_EQ_INT(login(&w, "hal", PW, NULL, &l), AUTH_E_BAD_CREDENTIALS);
    answer_t rl = {0};
    auth_reset_create(w.auth, root, hal->id, on_answer, &rl);
    CHECK_EQ_INT(rl.status, AUTH_E_FORBIDDEN);
    /* Renewed: the old token ends (revoked, 4001), the new one works. */
    char old[AUTH_SESSION_HEX + 1];
    snprintf(old, sizeof(old), "%s", a.token);
    answer_t n = {0};
    auth_bot_token(w.auth, mem, hal->id, true, on_answer, &n);
    CHECK_EQ_INT(n.status, AUTH_E_FORBIDDEN);
    auth_bot_token(w.auth, root, mem->id, true, on_answer, &n);
    CHECK_EQ_INT(n.status, AUTH_E_NOT_FOUND);
    n = (answer_t){0};
    auth_bot_token(w.auth, NULL, hal->id, true, on_answer, &n);
    settle(&w);
    CHECK_EQ_INT(n.status, AUTH_OK);
    CHECK(check(&w, old) == NULL);
    CHECK(check(&w, n.token) != NULL);
    CHECK(revoked(&w, hal->id, 0, AUTH_CLOSE_SIGNED_OUT));
    CHECK_EQ_INT(stored(&w, hal->id).sessions, 1);
    /* Another registry on the store knows the bot and its token. */
    world_t w2;
    world_open(&w2, NULL, w.store);
    const auth_user_t *hal2 = auth_user_named(w2.auth, "hal", 3);
    CHECK(hal2 && hal2->bot);
    CHECK(check(&w2, n.token) != NULL);
    auth_free(w2.auth);
    uv_run(&w2.loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&w2.loop), 0);
    /* Revoked: every token ends, the bot stays. */
    answer_t v = {0};
    auth_bot_token(w.auth, root, hal->id, false, on_answer, &v);
    settle(&w);
    CHECK_EQ_INT(v.status, AUTH_OK);
    CHECK(check(&w, n.token) == NULL);
    CHECK_EQ_INT(nsessions(&w, hal->id), 0);
    CHECK_EQ_INT(stored(&w, hal->id).sessions, 0);
    CHECK(auth_user_named(w.auth, "hal", 3) == hal);
    world_close(&w, false);
}

TEST(session_tokens)
{
    world_t w;
    world_open(&w, NULL, NULL);
    answer_t a;
    CHECK_EQ_INT(reg(&w, "root", NULL, &a), AUTH_OK);
    char upper[AUTH_SESSION_HEX + 1];
    for (size_t i = 0; i <= AUTH_SESSION_HEX; i++)
        upper[i] = a.token[i] >= 'a' && a.token[i] <= 'f' ? (char)(a.token[i] - 32) : a.token[i];
    CHECK(check(&w, upper) == NULL || strcmp(upper, a.token) == 0);
    CHECK(auth_session_check(w.auth, a.token, 63) == NULL);
    CHECK(check(&w, "") == NULL);
    CHECK(auth_session_check(w.auth, NULL, 0) == NULL);
    const auth_session_t *s = check(&w, a.token);
    /* the stored hash, presented as a token, is not one */
    CHECK(s && check(&w, s->hash) == NULL);
    char *big = malloc(5000);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    CHECK(check(&w, big) == NULL);
    free(big);
    CHECK(auth_session(w.auth, a.sid) == s);
    CHECK(auth_session(w.auth, 12345) == NULL);
    CHECK_EQ_STR(s->agent, "test");
    CHECK_EQ_STR(s->addr, "10.0.0.1");
    world_close(&w, false);
}

/* ---- revocation ---- */

/* A user holds at most AUTH_USER_SESSIONS sessions: the oldest ends quietly. */
TEST(session_bound)
{
    world_t w;
    world_open(&w, NULL, NULL);
    answer_t first, a;
    CHECK_EQ_INT(reg(&w, "root", NULL, &first), AUTH_OK);
    for (int i = 1; i < AUTH_USER_SESSIONS; i++)
        CHECK_EQ_INT(login(&w, "root", PW, NULL, &a), AUTH_OK);
    CHECK_EQ_INT(nsessions(&w, first.user->id), AUTH_USER_SESSIONS);
    CHECK(check(&w, first.token) != NULL);
    CHECK_EQ_INT(login(&w, "root", PW, NULL, &a), AUTH_OK);
    CHECK_EQ_INT(nsessions(&w, first.user->id), AUTH_USER_SESSIONS);
    CHECK(check(&w, first.token) == NULL);
    CHECK(check(&w, a.token) != NULL);
    CHECK_EQ_INT(w.nrevokes, 0);
    CHECK_EQ_INT(stored(&w, first.user->id).sessions, AUTH_USER_SESSIONS);
    world_close(&w, false);
}

TEST(logout_and_logout_all)
{
    world_t w;
    world_open(&w, NULL, NULL);
    answer_t a, b, c;
    CHECK_EQ_INT(reg(&w, "root", NULL, &a), AUTH_OK);
    CHECK_EQ_INT(login(&w, "root", PW, NULL, &b), AUTH_OK);
    CHECK_EQ_INT(login(&w, "root", PW, NULL, &c), AUTH_OK);
    uint64_t uid = a.user->id;
    CHECK_EQ_INT(nsessions(&w, uid), 3);
    /* the newest first */
    CHECK_EQ_INT(auth_session_next(w.auth, uid, NULL)->id, c.sid);

    answer_t r = {0};
    auth_logout(w.auth, b.sid, on_answer, &r);
    CHECK_EQ_INT(w.nrevokes, 1); /* at once, before the store commits */
    CHECK(revoked(&w, uid, b.sid, AUTH_CLOSE_SIGNED_OUT));
    CHECK_EQ_INT(r.calls, 0);
    CHECK(check(&w, b.token) == NULL);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK_EQ_INT(stored(&w, uid).sessions, 2);
    memset(&r, 0, sizeof(r));
    auth_logout(w.auth, b.sid, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_NOT_FOUND);
    auth_logout(w.auth, a.sid, NULL, NULL); /* cb may be NULL */
    settle(&w);

    w.nrevokes = 0;
    memset(&r, 0, sizeof(r));
    auth_logout_all(w.auth, uid, on_answer, &r);
    CHECK_EQ_INT(w.nrevokes, 1);
    CHECK(revoked(&w, uid, 0, AUTH_CLOSE_SIGNED_OUT));
    CHECK(check(&w, c.token) == NULL);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK_EQ_INT(stored(&w, uid).sessions, 0);
    world_close(&w, false);
}

TEST(password_change)
{
    world_t w;
    world_open(&w, NULL, NULL);
    answer_t a, b, c, r = {0};
    CHECK_EQ_INT(reg(&w, "root", NULL, &a), AUTH_OK);
    CHECK_EQ_INT(login(&w, "root", PW, NULL, &b), AUTH_OK);
    CHECK_EQ_INT(login(&w, "root", PW, NULL, &c), AUTH_OK);
    uint64_t uid = a.user->id;
    auth_password(w.auth, a.sid, PW2, strlen(PW2), "new password", 12, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_E_BAD_CREDENTIALS);
    CHECK_EQ_INT(w.nrevokes, 0);
    auth_password(w.auth, a.sid, PW, strlen(PW), "short", 5, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_WEAK_PASSWORD);
    auth_password(w.auth, 999, PW, strlen(PW), "new password", 12, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_NOT_FOUND);

    memset(&r, 0, sizeof(r));
    auth_password(w.auth, a.sid, PW, strlen(PW), "new password", 12, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK_EQ_INT(w.nrevokes, 2); /* the other sessions, one by one */
    CHECK(revoked(&w, uid, b.sid, AUTH_CLOSE_SIGNED_OUT));
    CHECK(revoked(&w, uid, c.sid, AUTH_CLOSE_SIGNED_OUT));
    CHECK(check(&w, a.token) != NULL);
    CHECK(check(&w, b.token) == NULL);
    CHECK_EQ_INT(stored(&w, uid).sessions, 1);
    CHECK_EQ_INT(login(&w, "root", PW, NULL, NULL), AUTH_E_BAD_CREDENTIALS);
    CHECK_EQ_INT(login(&w, "root", "new password", NULL, NULL), AUTH_OK);
    CHECK_EQ_STR(stored(&w, uid).pass, a.user->pass);
    world_close(&w, false);
}

TEST(reset_links)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    answer_t bs;
    const auth_user_t *bob = account(&w, owner, "bob", AUTH_MEMBER, &bs);
    const auth_user_t *carl = account(&w, owner, "carl", AUTH_MEMBER, NULL);
    answer_t link = {0}, r = {0};
    auth_reset_create(w.auth, carl, bob->id, on_answer, &link);
    CHECK_EQ_INT(link.status, AUTH_E_FORBIDDEN);
    auth_reset_create(w.auth, owner, bob->id, on_answer, &link);
    settle(&w);
    CHECK_EQ_INT(link.status, AUTH_OK);
    CHECK_EQ_INT(strlen(link.token), AUTH_INVITE_HEX);
    const auth_invite_t *i = NULL;
    for (i = auth_invite_next(w.auth, NULL); i && i->id != link.invite;)
        i = auth_invite_next(w.auth, i);
    CHECK(i && i->reset && i->user_id == bob->id && i->max_uses == 1);
    /* a reset link is no invite */
    CHECK_EQ_INT(reg(&w, "dora", link.token, NULL), AUTH_E_BAD_INVITE);

    w.nrevokes = 0;
    auth_reset_use(w.auth, link.token, "weak", 4, "10.0.0.5", "ua", on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_WEAK_PASSWORD);
    memset(&r, 0, sizeof(r));
    auth_reset_use(w.auth, link.token, "a new secret", 12, "10.0.0.5", "ua", on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK(r.user == bob);
    CHECK(revoked(&w, bob->id, 0, AUTH_CLOSE_SIGNED_OUT));
    CHECK(check(&w, bs.token) == NULL);
    CHECK(check(&w, r.token) != NULL);
    CHECK_EQ_INT(nsessions(&w, bob->id), 1);
    CHECK_EQ_INT(stored(&w, bob->id).sessions, 1);
    CHECK_EQ_INT(login(&w, "bob", PW, NULL, NULL), AUTH_E_BAD_CREDENTIALS);
    CHECK_EQ_INT(login(&w, "bob", "a new secret", NULL, NULL), AUTH_OK);
    memset(&r, 0, sizeof(r));
    auth_reset_use(w.auth, link.token, "another one", 11, "10.0.0.5", "ua", on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_BAD_INVITE); /* one use */
    auth_reset_use(w.auth, "nonsense", "another one", 11, "10.0.0.5", "ua", on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_BAD_INVITE);
    world_close(&w, false);
}

/* ---- administration ---- */

TEST(ban_and_deactivate)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    answer_t bs, r = {0};
    const auth_user_t *bob = account(&w, owner, "bob", AUTH_MEMBER, &bs);
    const auth_user_t *adm = account(&w, owner, "adm", AUTH_ADMIN, NULL);
    CHECK_EQ_INT(login(&w, "bob", PW, NULL, NULL), AUTH_OK);

    auth_set_state(w.auth, bob, adm->id, AUTH_BANNED, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_FORBIDDEN); /* a member administers nobody */
    auth_set_state(w.auth, adm, owner->id, AUTH_BANNED, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_FORBIDDEN); /* an admin only below admin */
    auth_set_state(w.auth, adm, adm->id, AUTH_BANNED, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_FORBIDDEN); /* nobody themself */
    auth_set_state(w.auth, adm, 999, AUTH_BANNED, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_NOT_FOUND);

    w.nrevokes = 0;
    memset(&r, 0, sizeof(r));
    auth_set_state(w.auth, adm, bob->id, AUTH_BANNED, on_answer, &r);
    CHECK_EQ_INT(w.nrevokes, 1); /* at once */
    CHECK(revoked(&w, bob->id, 0, AUTH_CLOSE_BANNED));
    CHECK_EQ_INT(nsessions(&w, bob->id), 0);
    CHECK(check(&w, bs.token) == NULL);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK_EQ_INT(bob->state, AUTH_BANNED);
    rows_t rows = stored(&w, bob->id);
    CHECK_EQ_STR(rows.state, "banned");
    CHECK_EQ_INT(rows.sessions, 0);

    auth_set_state(w.auth, adm, bob->id, AUTH_ACTIVE, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(bob->state, AUTH_ACTIVE);
    w.nrevokes = 0;
    auth_set_state(w.auth, owner, adm->id, AUTH_DEACTIVATED, on_answer, &r);
    settle(&w);
    CHECK(revoked(&w, adm->id, 0, AUTH_CLOSE_DEACTIVATED));
    CHECK_EQ_INT(r.status, AUTH_OK);
    /* a deactivated admin acts no more */
    auth_set_state(w.auth, adm, bob->id, AUTH_BANNED, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_FORBIDDEN);
    world_close(&w, false);
}

TEST(roles_and_last_owner)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    const auth_user_t *bob = account(&w, owner, "bob", AUTH_MEMBER, NULL);
    const auth_user_t *adm = account(&w, owner, "adm", AUTH_ADMIN, NULL);
    answer_t r = {0};
#define ROLE(actor, target, role, want)                                                            \
    do {                                                                                           \
        memset(&r, 0, sizeof(r));                                                                  \
        auth_set_role(w.auth, actor, (target)->id, role, on_answer, &r);                           \
        settle(&w);                                                                                \
        CHECK_EQ_INT(r.calls, 1);                                                                  \
        CHECK_EQ_INT(r.status, want);                                                              \
    } while (0)
    ROLE(bob, adm, AUTH_MEMBER, AUTH_E_FORBIDDEN);
    ROLE(adm, bob, AUTH_OWNER, AUTH_E_FORBIDDEN); /* above the admin's own */
    ROLE(adm, owner, AUTH_MEMBER, AUTH_E_FORBIDDEN);
    ROLE(adm, adm, AUTH_ADMIN, AUTH_E_FORBIDDEN);      /* one's own role: only down */
    ROLE(owner, owner, AUTH_ADMIN, AUTH_E_LAST_OWNER); /* the last owner stays one */
    ROLE(owner, bob, AUTH_GUEST, AUTH_E_FORBIDDEN);
    ROLE(adm, bob, AUTH_ADMIN, AUTH_E_FORBIDDEN); /* only below the admin's own */
    ROLE(owner, bob, AUTH_ADMIN, AUTH_OK);
    CHECK_EQ_INT(bob->role, AUTH_ADMIN);
    CHECK_EQ_STR(stored(&w, bob->id).role, "admin");
    ROLE(owner, bob, AUTH_MEMBER, AUTH_OK);
    ROLE(owner, bob, AUTH_MEMBER, AUTH_OK); /* no change */

    /* the command line has every right but leaving no owner */
    ROLE(NULL, owner, AUTH_ADMIN, AUTH_E_LAST_OWNER);
    memset(&r, 0, sizeof(r));
    auth_set_state(w.auth, NULL, owner->id, AUTH_DEACTIVATED, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_LAST_OWNER);
    auth_set_state(w.auth, NULL, owner->id, AUTH_BANNED, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_LAST_OWNER);
    ROLE(owner, adm, AUTH_OWNER, AUTH_OK);
    ROLE(adm, owner, AUTH_MEMBER, AUTH_OK); /* owners act on owners */
    ROLE(NULL, adm, AUTH_MEMBER, AUTH_E_LAST_OWNER);
    /* a deactivated owner does not count: the only active one is the last */
    ROLE(adm, owner, AUTH_OWNER, AUTH_OK);
    memset(&r, 0, sizeof(r));
    auth_set_state(w.auth, adm, owner->id, AUTH_DEACTIVATED, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    ROLE(NULL, adm, AUTH_MEMBER, AUTH_E_LAST_OWNER);
    CHECK(auth_owner_exists(w.auth));
#undef ROLE
    world_close(&w, false);
}

TEST(display_names)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    answer_t r = {0};
    auth_set_display(w.auth, owner->id, "The Root", 8, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK_EQ_STR(owner->display, "The Root");
    CHECK_EQ_STR(stored(&w, owner->id).display, "The Root");
    auth_set_display(w.auth, owner->id, "bad\x01", 4, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_BAD_DISPLAY);
    auth_set_display(w.auth, owner->id, "", 0, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK_EQ_STR(owner->display, "");
    auth_set_display(w.auth, 999, "x", 1, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_NOT_FOUND);
    world_close(&w, false);
}

/* ---- guests ---- */

TEST(guests_take_and_hold)
{
    world_t w;
    with_owner(&w, NULL);
    const auth_user_t *g, *g2;
    char tok[AUTH_SESSION_HEX + 1], tok2[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest(w.auth, "carol", 5, NULL, "10.3.0.1", &g, tok), AUTH_OK);
    CHECK(g && g->role == AUTH_GUEST && !g->pass);
    CHECK(auth_token_wellformed(tok, AUTH_SESSION_HEX));
    CHECK(auth_user_named(w.auth, "Carol", 5) == g);
    CHECK_EQ_INT(auth_guest(w.auth, "CAROL", 5, NULL, "10.3.0.1", &g2, tok2), AUTH_E_NAME_TAKEN);
    CHECK_EQ_INT(auth_guest(w.auth, "carol", 5, "f00d", "10.3.0.1", &g2, tok2), AUTH_E_NAME_TAKEN);
    CHECK_EQ_INT(auth_guest(w.auth, "carol", 5, tok, "10.3.0.2", &g2, tok2), AUTH_OK);
    CHECK(g2 == g);
    CHECK_EQ_STR(tok2, tok);
    /* the token is a session: a {"token"} join works for a guest */
    const auth_session_t *s = check(&w, tok);
    CHECK(s && s->user == g);
    /* accounts' names, in any form, and reserved names */
    CHECK_EQ_INT(auth_guest(w.auth, "root", 4, NULL, "10.3.0.1", &g2, tok2), AUTH_E_NAME_TAKEN);
    CHECK_EQ_INT(auth_guest(w.auth, "RooT", 4, NULL, "10.3.0.1", &g2, tok2), AUTH_E_NAME_TAKEN);
    CHECK_EQ_INT(auth_guest(w.auth, "anonymous", 9, NULL, "10.3.0.1", &g2, tok2),
                 AUTH_E_NAME_TAKEN);
    CHECK_EQ_INT(auth_guest(w.auth, "Client #3", 9, NULL, "10.3.0.1", &g2, tok2),
                 AUTH_E_NAME_TAKEN);
    CHECK_EQ_INT(auth_guest(w.auth, "", 0, NULL, "10.3.0.1", &g2, tok2), AUTH_E_BAD_NAME);
    CHECK_EQ_INT(auth_guest(w.auth, "tab\there", 8, NULL, "10.3.0.1", &g2, tok2), AUTH_E_BAD_NAME);
    /* an account cannot be registered over a held guest name */
    CHECK_EQ_INT(reg(&w, "Carol", NULL, NULL), AUTH_E_NAME_TAKEN);
    /* written behind: the row and its session */
    settle(&w);
    rows_t r = stored(&w, g->id);
    CHECK(r.found);
    CHECK_EQ_STR(r.role, "guest");
    CHECK_EQ_INT(r.sessions, 1);
    world_close(&w, false);
}

/* A guest whose process died moves to another one sharing the store: its user row never
 * stands there without its session (one transaction), and a token the other process has
 * not read yet is read for at once, not refused as a taken name. */
TEST(guest_moves_to_another_process)
{
    store_t *store = store_mem_open(NULL, STORE_MEM_MANUAL);
    world_t a, b;
    auth_config_t cfg = config();
    cfg.shared_ids = true; /* as processes sharing a store assign them */
    world_open(&a, &cfg, store);
    world_open(&b, &cfg, store);
    store_mem_bump_accounts(store, true);
    const auth_user_t *g, *g2;
    char tok[AUTH_SESSION_HEX + 1], tok2[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest(a.auth, "dora", 4, NULL, "10.9.0.1", &g, tok), AUTH_OK);
    /* a dies after any write: b, reading then, knows dora with her session or not at all */
    int steps = 0;
    while (store_mem_step_write(store)) {
        steps++;
        auth_tick(b.auth);
        const auth_user_t *d = auth_user_named(b.auth, "dora", 4);
        CHECK(d == NULL || check(&b, tok) != NULL);
    }
    CHECK(steps >= 1);
    const auth_session_t *s = check(&b, tok);
    CHECK(s && s->user->id == g->id);

    /* erin is written by a, b has not read since: her token there is read for */
    char etok[AUTH_SESSION_HEX + 1];
    const auth_user_t *e;
    CHECK_EQ_INT(auth_guest(a.auth, "erin", 4, NULL, "10.9.0.2", &e, etok), AUTH_OK);
    store_mem_run(store);
    int64_t now = clock_wall_ms();
    CHECK_EQ_INT(auth_guest_at(b.auth, "erin", 4, etok, "10.9.0.3", &g2, tok2, now), AUTH_OK);
    CHECK(g2 && g2->id == e->id);
    CHECK_EQ_STR(tok2, etok);
    /* a wrong token is still refused, and buys no read while nothing changed */
    char bad[AUTH_SESSION_HEX + 1];
    memset(bad, 'a', AUTH_SESSION_HEX);
    bad[AUTH_SESSION_HEX] = 0;
    uint64_t v = b.auth->version;
    CHECK_EQ_INT(auth_guest_at(b.auth, "erin", 4, bad, "10.9.0.3", &g2, tok2, now + 1000),
                 AUTH_E_NAME_TAKEN);
    CHECK(b.auth->version == v);

    /* fay taken on both at once: the loser's user row is refused, its session row goes */
    const auth_user_t *fa, *fb;
    char ftok[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest(a.auth, "fay", 3, NULL, "10.9.0.4", &fa, ftok), AUTH_OK);
    CHECK_EQ_INT(auth_guest(b.auth, "fay", 3, NULL, "10.9.0.5", &fb, ftok), AUTH_OK);
    store_mem_run(store);
    CHECK(stored(&a, fa->id).found && !stored(&a, fb->id).found);
    CHECK_EQ_INT(stored(&a, fa->id).sessions, 1);
    CHECK_EQ_INT(stored(&a, fb->id).sessions, 0);
    world_close(&a, true);
    world_close(&b, false);
}

TEST(guests_lapse)
{
    world_t w;
    with_owner(&w, NULL);
    const auth_user_t *g, *g2;
    char tok[AUTH_SESSION_HEX + 1], tok2[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest(w.auth, "carol", 5, NULL, "10.3.0.1", &g, tok), AUTH_OK);
    settle(&w);
    int64_t ttl = w.cfg.guest_ttl_ms, t0 = g->seen;
    /* online: the hold stays */
    auth_user_online(w.auth, g, true);
    CHECK_EQ_INT(g->online, 1);
    auth_tick_at(w.auth, t0 + 2 * ttl);
    CHECK(g->canon != NULL);
    auth_user_online(w.auth, g, false);
    CHECK_EQ_INT(g->online, 0);
    t0 = g->seen;
    auth_tick_at(w.auth, t0 + ttl);
    CHECK(g->canon != NULL);
    auth_tick_at(w.auth, t0 + ttl + 1);
    CHECK(g->canon == NULL);
    CHECK(auth_user_named(w.auth, "carol", 5) == NULL);
    CHECK(check(&w, tok) == NULL);
    CHECK(auth_name_free(w.auth, "carol", 5));
    CHECK_EQ_INT(w.nrevokes, 0); /* quietly */
    settle(&w);
    rows_t r = stored(&w, g->id);
    CHECK(r.found && r.canon_null);
    CHECK_EQ_INT(r.sessions, 0);
    /* the name is anyone's: a new guest, a new id */
    CHECK_EQ_INT(auth_guest(w.auth, "carol", 5, tok, "10.3.0.1", &g2, tok2), AUTH_OK);
    CHECK(g2 != g && g2->id > g->id);
    CHECK(strcmp(tok2, tok) != 0);
    CHECK(auth_user(w.auth, g->id) == g); /* the old row stays */

    /* a join finds a lapsed hold before the tick does */
    settle(&w);
    t0 = g2->seen;
    const auth_user_t *g3;
    CHECK_EQ_INT(auth_guest_at(w.auth, "carol", 5, NULL, "10.3.0.1", &g3, tok, t0 + ttl + 1),
                 AUTH_OK);
    CHECK(g3 != g2 && g2->canon == NULL);
    world_close(&w, false);
}

TEST(guests_banned_off_and_rate)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    const auth_user_t *g, *g2;
    char tok[AUTH_SESSION_HEX + 1], tok2[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest(w.auth, "troll", 5, NULL, "10.4.0.1", &g, tok), AUTH_OK);
    settle(&w);
    answer_t r = {0};
    auth_set_state(w.auth, owner, g->id, AUTH_BANNED, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    CHECK(revoked(&w, g->id, 0, AUTH_CLOSE_BANNED));
    CHECK_EQ_INT(auth_guest(w.auth, "troll", 5, NULL, "10.4.0.2", &g2, tok2), AUTH_E_BANNED);
    CHECK_EQ_INT(auth_guest(w.auth, "Troll", 5, tok, "10.4.0.2", &g2, tok2), AUTH_E_BANNED);
    auth_tick_at(w.auth, g->seen + 10 * w.cfg.guest_ttl_ms);
    CHECK(g->canon != NULL); /* a ban does not lapse */
    CHECK_EQ_INT(auth_guest_at(w.auth, "troll", 5, NULL, "10.4.0.2", &g2, tok2,
                               g->seen + 10 * w.cfg.guest_ttl_ms),
                 AUTH_E_BANNED);

    /* 30 new guests per address per minute */
    char name[16];
    for (int i = 0; i < 29; i++) {
        snprintf(name, sizeof(name), "g%d", i);
        CHECK_EQ_INT(auth_guest(w.auth, name, strlen(name), NULL, "10.4.0.1", &g2, tok2), AUTH_OK);
    }
    CHECK_EQ_INT(auth_guest(w.auth, "g99", 3, NULL, "10.4.0.1", &g2, tok2), AUTH_E_RATE_LIMITED);
    CHECK_EQ_INT(auth_guest(w.auth, "g99", 3, NULL, "10.4.0.3", &g2, tok2), AUTH_OK);
    settle(&w);
    world_close(&w, false);

    auth_config_t cfg = config();
    cfg.guests = false;
    world_open(&w, &cfg, NULL);
    CHECK_EQ_INT(auth_guest(w.auth, "carol", 5, NULL, "10.4.0.1", &g2, tok2), AUTH_E_GUESTS_OFF);
    CHECK_EQ_INT(auth_guest_clientid(w.auth, "7", &g2), AUTH_E_GUESTS_OFF);
    world_close(&w, false);
}

TEST(guests_clientid)
{
    world_t w;
    with_owner(&w, NULL);
    const auth_user_t *g, *g2;
    char tok[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest_clientid(w.auth, "7", &g), AUTH_OK);
    CHECK_EQ_STR(g->name, "Client #7");
    CHECK_EQ_INT(g->role, AUTH_GUEST);
    CHECK_EQ_INT(auth_guest_clientid(w.auth, "7", &g2), AUTH_OK);
    CHECK(g2 == g);
    CHECK_EQ_INT(auth_guest_clientid(w.auth, "8", &g2), AUTH_OK);
    CHECK(g2 != g);
    CHECK_EQ_INT(auth_guest(w.auth, "Client #7", 9, NULL, "10.5.0.1", &g2, tok), AUTH_E_NAME_TAKEN);
    /* its session opens nothing to a token */
    CHECK(check(&w, "clientid:7") == NULL);
    CHECK_EQ_INT(nsessions(&w, g->id), 1);
    CHECK_EQ_INT(auth_guest_clientid(w.auth, "", &g2), AUTH_E_BAD_NAME);
    settle(&w);
    CHECK_EQ_INT(stored(&w, g->id).sessions, 1);
    /* its session expired: the client id brings it back */
    auth_user_online(w.auth, g, true); /* online: the hold does not lapse */
    auth_tick_at(w.auth, clock_wall_ms() + w.cfg.session_idle_ms + AUTH_MINUTE_MS);
    CHECK_EQ_INT(nsessions(&w, g->id), 0);
    CHECK_EQ_INT(auth_guest_clientid(w.auth, "7", &g2), AUTH_OK);
    CHECK(g2 == g);
    CHECK_EQ_INT(nsessions(&w, g->id), 1);
    world_close(&w, false);
}

TEST(name_free)
{
    world_t w;
    with_owner(&w, NULL);
    const auth_user_t *g;
    char tok[AUTH_SESSION_HEX + 1];
    CHECK(auth_name_free(w.auth, "dave", 4));
    CHECK(!auth_name_free(w.auth, "ROOT", 4));
    CHECK(!auth_name_free(w.auth, "anonymous", 9));
    CHECK(!auth_name_free(w.auth, "Client #1", 9));
    CHECK(!auth_name_free(w.auth, " dave", 5));
    CHECK_EQ_INT(auth_guest(w.auth, "dave", 4, NULL, "10.6.0.1", &g, tok), AUTH_OK);
    CHECK(!auth_name_free(w.auth, "Dave", 4));
    world_close(&w, false);
}

/* ---- the store: another writer, migrated rows, failures ---- */

TEST(reload_after_another_writer)
{
    store_t *store = store_mem_open(NULL, STORE_MEM_MANUAL);
    world_t w, cli;
    world_open(&w, NULL, store);
    answer_t a;
    CHECK_EQ_INT(reg(&w, "root", NULL, &a), AUTH_OK);
    const auth_user_t *owner = a.user;
    /* the command line's registry on the same store; its writes bump the version */
    world_open(&cli, NULL, store);
    store_mem_bump_accounts(store, true);
    answer_t b = {0};
    auth_register_t r = {
        .name = "bob", .name_len = 3, .password = PW, .password_len = 13, .role = AUTH_MEMBER};
    auth_user_add(cli.auth, &r, on_answer, &b);
    settle(&cli);
    CHECK_EQ_INT(b.status, AUTH_OK);
    CHECK(auth_user_named(w.auth, "bob", 3) == NULL);
    auth_tick(w.auth);
    const auth_user_t *bob = auth_user_named(w.auth, "bob", 3);
    CHECK(bob != NULL && bob->id == b.user->id && bob->role == AUTH_MEMBER);
    CHECK_EQ_INT(login(&w, "bob", PW, NULL, &b), AUTH_OK);

    /* a reset link made elsewhere works here */
    auth_tick(cli.auth);
    answer_t link = {0};
    auth_reset_create(cli.auth, NULL, bob->id, on_answer, &link);
    settle(&cli);
    CHECK_EQ_INT(link.status, AUTH_OK);
    auth_tick(w.auth);
    answer_t u = {0};
    auth_reset_use(w.auth, link.token, "reset secret", 12, "10.0.0.1", "ua", on_answer, &u);
    settle(&w);
    CHECK_EQ_INT(u.status, AUTH_OK);

    /* a re-read leaves alone what an op here is writing (bob's display name, the session
     * of a sign-in whose row is not committed), and reads again once it is done */
    auth_tick(cli.auth);
    answer_t d1 = {0}, d2 = {0}, l = {0};
    auth_set_display(cli.auth, bob->id, "C", 1, on_answer, &d1);
    store_mem_run(store);
    CHECK_EQ_INT(d1.status, AUTH_OK);
    auth_set_display(w.auth, bob->id, "W", 1, on_answer, &d2);
    auth_login(w.auth, "bob", 3, "reset secret", 12, "10.0.0.1", "ua", on_answer, &l);
    hashes(&w);
    int before = nsessions(&w, bob->id);
    auth_tick(w.auth);
    CHECK_EQ_STR(bob->display, "W");
    CHECK_EQ_INT(nsessions(&w, bob->id), before);
    settle(&w);
    CHECK_EQ_INT(d2.status, AUTH_OK);
    CHECK_EQ_INT(l.status, AUTH_OK);
    auth_tick(w.auth);
    CHECK_EQ_STR(bob->display, "W");
    CHECK(check(&w, l.token) != NULL);
    CHECK(check(&w, u.token) != NULL);

    /* sessions revoked and a user banned elsewhere: the revoke callback here */
    auth_tick(cli.auth);
    w.nrevokes = 0;
    answer_t x = {0};
    auth_set_state(cli.auth, NULL, bob->id, AUTH_BANNED, on_answer, &x);
    settle(&cli);
    CHECK_EQ_INT(x.status, AUTH_OK);
    auth_tick(w.auth);
    CHECK_EQ_INT(bob->state, AUTH_BANNED);
    CHECK(auth_user_named(w.auth, "bob", 3) == bob); /* the same pointer */
    CHECK(revoked(&w, bob->id, 0, AUTH_CLOSE_BANNED));
    CHECK(revoked(&w, bob->id, u.sid, AUTH_CLOSE_SIGNED_OUT));
    CHECK(revoked(&w, bob->id, l.sid, AUTH_CLOSE_SIGNED_OUT));
    CHECK_EQ_INT(nsessions(&w, bob->id), 0);
    CHECK(auth_user(w.auth, owner->id) == owner);
    store_mem_bump_accounts(store, false);
    world_close(&cli, true);
    world_close(&w, false);
}

TEST(load_migrated_rows)
{
    store_t *store = store_mem_open(NULL, STORE_MEM_MANUAL);
    const char *names[] = {"Eve", "eve", "Frank", "guesty", " bad"};
    const char *roles[] = {"member", "member", "owner", "guest", "member"};
    for (int i = 0; i < 5; i++) {
        store_change_t c = {.kind = STORE_USER_CREATE,
                            .u = {.id = (uint64_t)(10 + i),
                                  .name = names[i],
                                  .display = "",
                                  .role = roles[i],
                                  .state = "active"}};
        CHECK_EQ_INT(store_change(store, &c, NULL, NULL), 0);
    }
    store_change_t sess = {.kind = STORE_SESSION_PUT,
                           .sess = {.id = 3,
                                    .hash = "0000000000000000000000000000000000000000000000"
                                            "000000000000000000",
                                    .user_id = 12,
                                    .created = 1,
                                    .seen = 1,
                                    .expires = INT64_MAX / 2,
                                    .agent = "",
                                    .addr = ""}};
    CHECK_EQ_INT(store_change(store, &sess, NULL, NULL), 0);
    store_mem_run(store);
    log_level = LOG_ERROR; /* the collision and the bad name are warned about */
    world_t w;
    world_open(&w, NULL, store);
    log_level = LOG_INFO;
    const auth_user_t *eve = auth_user_named(w.auth, "EVE", 3);
    CHECK(eve && eve->id == 10); /* the first by id wins */
    CHECK(auth_user(w.auth, 11)->canon == NULL);
    CHECK(auth_user_named(w.auth, "frank", 5) == auth_user(w.auth, 12));
    CHECK(auth_user(w.auth, 13)->canon == NULL); /* a guest's hold is not given back */
    CHECK(auth_user(w.auth, 14)->canon == NULL);
    CHECK_EQ_INT(auth_nusers(w.auth), 5);
    CHECK_EQ_INT(nsessions(&w, 12), 1);
    settle(&w);
    rows_t r = stored(&w, 10);
    CHECK(!r.canon_null && strcmp(r.canon, eve->canon) == 0);
    CHECK(stored(&w, 11).canon_null);
    /* a new registry on the same store reads the forms back */
    world_close(&w, true);
    log_level = LOG_ERROR;
    world_open(&w, NULL, store);
    log_level = LOG_INFO;
    CHECK(auth_user_named(w.auth, "eve", 3) == auth_user(w.auth, 10));
    CHECK_EQ_INT(auth_user_named(w.auth, "eve", 3)->role, AUTH_MEMBER);
    world_close(&w, false);
}

static void recover(world_t *w)
{
    store_mem_fail_writes(w->store, false);
    store_recover(w->store);
}

TEST(store_failures)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    answer_t inv = invite(&w, owner, AUTH_MEMBER, 1, 0), bs, r = {0};
    const auth_user_t *bob = account(&w, owner, "bob", AUTH_MEMBER, &bs);
    inv = invite(&w, owner, AUTH_MEMBER, 1, 0);
    size_t users = auth_nusers(w.auth);
    log_level = LOG_ERROR; /* every failure is warned about */
    store_mem_fail_writes(w.store, true);

    /* registration: nothing of it stays, the invite keeps its use */
    CHECK_EQ_INT(reg(&w, "carl", inv.token, &r), AUTH_E_UNAVAILABLE);
    CHECK_EQ_INT(auth_nusers(w.auth), users);
    CHECK(auth_name_free(w.auth, "carl", 4));
    const auth_invite_t *i = auth_invite_next(w.auth, NULL);
    while (i && i->id != inv.invite)
        i = auth_invite_next(w.auth, i);
    CHECK(i && i->uses == 0);
    /* sign-in: no session left */
    int before = nsessions(&w, bob->id);
    CHECK_EQ_INT(login(&w, "bob", PW, NULL, NULL), AUTH_E_UNAVAILABLE);
    CHECK_EQ_INT(nsessions(&w, bob->id), before);
    /* a role change is undone */
    memset(&r, 0, sizeof(r));
    auth_set_role(w.auth, owner, bob->id, AUTH_ADMIN, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_E_UNAVAILABLE);
    CHECK_EQ_INT(bob->role, AUTH_MEMBER);
    /* a display name too */
    auth_set_display(w.auth, bob->id, "Bobby", 5, on_answer, &r);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_E_UNAVAILABLE);
    CHECK_EQ_STR(bob->display, "");
    /* an invite is not made */
    CHECK_EQ_INT(invite(&w, owner, AUTH_MEMBER, 1, 0).status, AUTH_E_UNAVAILABLE);
    /* a sign-out closes the sockets at once but answers unavailable */
    w.nrevokes = 0;
    memset(&r, 0, sizeof(r));
    auth_logout(w.auth, bs.sid, on_answer, &r);
    CHECK_EQ_INT(w.nrevokes, 1);
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_E_UNAVAILABLE);
    /* guests still join (written behind) */
    const auth_user_t *g;
    char tok[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest(w.auth, "gus", 3, NULL, "10.7.0.1", &g, tok), AUTH_OK);
    settle(&w);

    /* once the store recovers, the next tick reads it again: the session comes back (its
     * row was never deleted), everything else is as before */
    recover(&w);
    auth_tick(w.auth);
    CHECK(check(&w, bs.token) != NULL);
    CHECK_EQ_INT(bob->role, AUTH_MEMBER);
    CHECK_EQ_INT(reg(&w, "carl", inv.token, &r), AUTH_OK);
    CHECK_EQ_INT(auth_nusers(w.auth), users + 2); /* carl, and gus kept in memory */
    world_close(&w, false);
    log_level = LOG_INFO;
}

/* The request rate limit: one bucket per user whatever the connection; guests (and line
 * mode, a connection's own bucket) also pay into their address's bucket, accounts do not;
 * a request takes from every bucket or none. */
TEST(rate_per_user_and_address)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    const auth_user_t *bob = account(&w, owner, "bob", AUTH_MEMBER, NULL);
    const auth_user_t *g1, *g2;
    char tok[AUTH_SESSION_HEX + 1];
    CHECK_EQ_INT(auth_guest(w.auth, "gus", 3, NULL, "10.6.0.1", &g1, tok), AUTH_OK);
    CHECK_EQ_INT(auth_guest(w.auth, "gil", 3, NULL, "10.6.0.1", &g2, tok), AUTH_OK);
    auth_rate_t r = {.rate = 10, .burst = 10, .addr_burst = 15};
    uint64_t t = 5000;
    /* bob's bucket: 10, whichever address, then the wait for a cost of 5 at 10 a second */
    CHECK_EQ_INT(auth_rate_take(w.auth, bob, NULL, "10.6.0.1", &r, 5, t), 0);
    CHECK_EQ_INT(auth_rate_take(w.auth, bob, NULL, "10.6.0.2", &r, 5, t), 0);
    CHECK_EQ_INT(auth_rate_take(w.auth, bob, NULL, "10.6.0.1", &r, 5, t), 500);
    CHECK_EQ_INT(auth_rate_take(w.auth, bob, NULL, "10.6.0.1", &r, 1, t + 100), 0);
    /* an account paid nothing into the address: two guests there share its 15 */
    CHECK_EQ_INT(auth_rate_take(w.auth, g1, NULL, "10.6.0.1", &r, 10, t), 0);
    CHECK_EQ_INT(auth_rate_take(w.auth, g2, NULL, "10.6.0.1", &r, 5, t), 0);
    /* gil's own bucket holds 5 more, the address none (5 at 10 a second: 500 ms), so
     * nothing is taken from either */
    CHECK_EQ_INT(auth_rate_take(w.auth, g2, NULL, "10.6.0.1", &r, 5, t), 500);
    CHECK_EQ_INT(auth_rate_take(w.auth, g2, NULL, "10.6.0.2", &r, 5, t), 0); /* elsewhere */
    /* a connection without a user: its own bucket and its address's */
    auth_bucket_t conn = {0};
    CHECK_EQ_INT(auth_rate_take(w.auth, NULL, &conn, "10.6.0.1", &r, 1, t), 100);
    CHECK_EQ_INT(auth_rate_take(w.auth, NULL, &conn, "10.6.0.3", &r, 10, t), 0);
    CHECK_EQ_INT(auth_rate_take(w.auth, NULL, &conn, "10.6.0.4", &r, 1, t), 100);
    CHECK_EQ_INT(auth_rate_take(w.auth, NULL, NULL, "", &r, 1, t), 1000); /* nobody */
    world_close(&w, false);
}

/* Links are rows kept for good: an owner or admin holds at most AUTH_INVITES_LIVE_MAX live
 * invites (revoking one makes room) and makes at most AUTH_LINKS_DAY_MAX links a day (reset
 * links too); the command line is not held. */
TEST(invite_quotas)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    const auth_user_t *bob = account(&w, owner, "bob", AUTH_MEMBER, NULL);
    answer_t first = {0};
    for (int i = 0; i < AUTH_INVITES_LIVE_MAX - 1; i++) { /* with bob's, used up: not live */
        answer_t a = invite(&w, owner, AUTH_MEMBER, 1, 0);
        CHECK_EQ_INT(a.status, AUTH_OK);
        if (i == 0)
            first = a;
    }
    CHECK_EQ_INT(invite(&w, owner, AUTH_MEMBER, 1, 0).status, AUTH_OK);
    answer_t over = invite(&w, owner, AUTH_MEMBER, 1, 0);
    CHECK_EQ_INT(over.status, AUTH_E_QUOTA);
    CHECK_EQ_STR(auth_status_code(AUTH_E_QUOTA), "quota_exceeded");
    CHECK_EQ_INT(auth_status_http(AUTH_E_QUOTA), 403);
    CHECK_EQ_INT(invite(&w, NULL, AUTH_MEMBER, 1, 0).status, AUTH_OK); /* the command line */
    answer_t rv = {0};
    auth_invite_revoke(w.auth, owner, first.invite, on_answer, &rv);
    settle(&w);
    CHECK_EQ_INT(rv.status, AUTH_OK);
    CHECK_EQ_INT(invite(&w, owner, AUTH_MEMBER, 1, 0).status, AUTH_OK);
    /* the day's links: reset links count, up to AUTH_LINKS_DAY_MAX in all */
    int made = 1 + AUTH_INVITES_LIVE_MAX + 1, ok = 0; /* bob's, the hundred, the one after */
    for (int i = made; i < AUTH_LINKS_DAY_MAX + 5; i++) {
        answer_t a = {0};
        auth_reset_create(w.auth, owner, bob->id, on_answer, &a);
        settle(&w);
        ok += a.status == AUTH_OK;
        if (a.status != AUTH_OK)
            CHECK_EQ_INT(a.status, AUTH_E_QUOTA);
    }
    CHECK_EQ_INT(ok, AUTH_LINKS_DAY_MAX - made);
    world_close(&w, false);
}

/* Incoming webhooks: made once their row is committed (the token given out once, only its
 * hash stored), found by their token and by nothing else, revoked at once, bounded in
 * number, read back by a new registry (revoked ones stay revoked), and nothing of a failed
 * write kept. */
TEST(hooks)
{
    world_t w;
    const auth_user_t *owner = with_owner(&w, NULL);
    answer_t a = {0};
    auth_hook_create(w.auth, owner, "ops", " spaced", 7, on_answer, &a);
    CHECK_EQ_INT(a.status, AUTH_E_BAD_NAME);
    auth_hook_create(w.auth, owner, "ops", "Alerts", 6, on_answer, &a);
    CHECK_EQ_INT(auth_nhooks(w.auth), 0); /* not before its row is stored */
    settle(&w);
    CHECK_EQ_INT(a.status, AUTH_OK);
    CHECK_EQ_INT(strlen(a.token), AUTH_HOOK_HEX);
    const auth_hook_t *h = auth_hook_check(w.auth, a.token, strlen(a.token));
    CHECK(h && strcmp(h->channel, "ops") == 0 && strcmp(h->name, "Alerts") == 0);
    CHECK_EQ_INT(h->creator, owner->id);
    char hash[AUTH_HASH_HEX + 1];
    auth_token_hash(a.token, AUTH_HOOK_HEX, hash);
    CHECK_EQ_STR(h->hash, hash); /* the hash, never the token */
    CHECK(auth_hook_check(w.auth, hash, AUTH_HASH_HEX) == NULL);
    CHECK(auth_hook_check(w.auth, a.token, AUTH_HOOK_HEX - 1) == NULL);
    CHECK(auth_hook_check(w.auth, "", 0) == NULL);
    char token[AUTH_HOOK_HEX + 1];
    memcpy(token, a.token, sizeof(token));
    uint64_t id = h->id;
    answer_t r = {0};
    auth_hook_revoke(w.auth, id, on_answer, &r);
    CHECK(auth_hook_check(w.auth, token, AUTH_HOOK_HEX) == NULL); /* at once */
    settle(&w);
    CHECK_EQ_INT(r.status, AUTH_OK);
    auth_hook_revoke(w.auth, id, on_answer, &r);
    CHECK_EQ_INT(r.status, AUTH_E_NOT_FOUND);
    answer_t b = {0};
    auth_hook_create(w.auth, owner, "dev", "CI", 2, on_answer, &b);
    settle(&w);
    CHECK_EQ_INT(b.status, AUTH_OK);
    /* A failed write keeps nothing, and gives no token out. */
    store_mem_fail_writes(w.store, true);
    answer_t f = {0};
    auth_hook_create(w.auth, owner, "dev", "Lost", 4, on_answer, &f);
    settle(&w);
    CHECK_EQ_INT(f.status, AUTH_E_UNAVAILABLE);
    CHECK_EQ_STR(f.token, "");
    CHECK_EQ_INT(auth_nhooks(w.auth), 2);
    store_mem_fail_writes(w.store, false);
    store_recover(w.store);
    /* A new registry on the same store: the live one works, the revoked one does not. */
    store_t *store = w.store;
    world_close(&w, true);
    world_open(&w, NULL, store);
    CHECK_EQ_INT(auth_nhooks(w.auth), 2);
    CHECK(auth_hook_check(w.auth, token, AUTH_HOOK_HEX) == NULL);
    const auth_hook_t *ci = auth_hook_check(w.auth, b.token, AUTH_HOOK_HEX);
    CHECK(ci && strcmp(ci->name, "CI") == 0 && !ci->revoked);
    world_close(&w, false);
}

int main(void)
{
    if (auth_init() != 0)
        return 1;
    RUN(limit_window);
    RUN(bots);
    RUN(limit_bounded);
    RUN(map_basics);
    RUN(map_fixed_and_borrowed);
    RUN(status_texts);
    RUN(register_first_is_owner);
    RUN(register_modes);
    RUN(register_invites);
    RUN(register_checks);
    RUN(register_reserves_name);
    RUN(register_busy_and_rate);
    RUN(user_add_cli);
    RUN(user_add_without_password);
    RUN(login_answers);
    RUN(login_rate_limits);
    RUN(login_banned_and_deactivated);
    RUN(login_rehash);
    RUN(session_expiry);
    RUN(session_tokens);
    RUN(session_bound);
    RUN(logout_and_logout_all);
    RUN(password_change);
    RUN(reset_links);
    RUN(ban_and_deactivate);
    RUN(roles_and_last_owner);
    RUN(display_names);
    RUN(guests_take_and_hold);
    RUN(guest_moves_to_another_process);
    RUN(guests_lapse);
    RUN(guests_banned_off_and_rate);
    RUN(guests_clientid);
    RUN(rate_per_user_and_address);
    RUN(invite_quotas);
    RUN(name_free);
    RUN(reload_after_another_writer);
    RUN(load_migrated_rows);
    RUN(store_failures);
    RUN(hooks);
    return TEST_MAIN_END();
}
