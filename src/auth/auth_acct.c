/* auth_acct - what a person does with their account: register (and the command line's
 * `parley user add`), sign in, sign out (one session, every session), change the password,
 * use a reset link, change the display name. See auth.h for the contract.
 *
 * Each request that hashes runs in steps, each a function below: checks (answered at once),
 * the hash on libuv's pool (auth_pass), then the store writes, then the answer. What must
 * not change meanwhile is taken first, in memory: a name being registered is reserved in
 * by_canon (a second registration or a guest of that name gets NAME_TAKEN), an invite's use
 * is counted. Failures give those back.
 *
 * Revocation: the revoke callback runs synchronously inside the step that ends sessions,
 * after memory changed and the store writes were submitted, before they commit; a failed
 * write answers UNAVAILABLE but does not bring the sessions back (their sockets are closed
 * already); the re-read after a failure makes memory the store's again. */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#include "auth/auth_policy.h"
#include "base/clock.h"
#include "base/utf8.h"
#include "base/xmalloc.h"

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static bool same(const char *x, const char *y)
{
    return x == y || (x && y && strcmp(x, y) == 0);
}

auth_status_t auth_password_ok(const char *pw, size_t len)
{
    if (len > AUTH_PASS_MAX)
        return AUTH_E_BAD_PASSWORD;
    if (!pw || utf8_count((const uint8_t *)pw, len) < AUTH_PASS_MIN)
        return AUTH_E_WEAK_PASSWORD;
    return AUTH_OK;
}

static bool display_ok(const char *d, size_t len)
{
    return len == 0 ||
           (auth_text_safe(d, len) && utf8_count((const uint8_t *)d, len) <= AUTH_DISPLAY_MAX);
}

/* An invite (not a reset link) that may be used once more at now. */
static bool invite_usable(const invite_t *inv, bool reset, int64_t now)
{
    const auth_invite_t *i = &inv->pub;
    return i->reset == reset && !i->revoked && now < i->expires && i->uses < i->max_uses;
}

/* An invite speaks for its creator as they are now, not as they were: one made by someone
 * since demoted below its role, banned or deactivated gives nothing. The command line's
 * (creator 0) always may. */
static bool creator_still_grants(const auth_t *a, const invite_t *inv)
{
    if (inv->pub.creator == 0)
        return true;
    const user_t *c = auth_users_find(a, inv->pub.creator);
    if (!c || c->pub.state != AUTH_ACTIVE)
        return false;
    auth_target_t t = {.role = inv->pub.role};
    return auth_can(&c->pub, AUTH_ACT_INVITE_CREATE, &t) == AUTH_ALLOW;
}

static invite_t *invite_by_token(const auth_t *a, const char *token)
{
    if (!token || strlen(token) > AUTH_TOKEN_CAP)
        return NULL;
    char hash[AUTH_HASH_HEX + 1];
    auth_token_hash(token, strlen(token), hash);
    return auth_map_get(&a->inv_by_hash, hash, AUTH_HASH_HEX);
}

static void use_invite(op_t *op, invite_t *inv)
{
    inv->pub.uses++;
    op->use_counted = true;
    auth_op_hold_invite(op, inv);
}

static void unuse_invite(op_t *op)
{
    if (op->use_counted && op->inv && op->inv->pub.uses > 0)
        op->inv->pub.uses--;
    op->use_counted = false;
}

static void invite_write(op_t *op)
{
    store_change_t c = {.kind = STORE_INVITE_PUT};
    auth_invite_row(op->inv, &c.inv);
    auth_op_write(op, &c);
}

static void user_write(op_t *op, user_t *u, store_change_kind_t kind)
{
    store_change_t c = {.kind = kind};
    auth_user_row(u, &c.u);
    u->seen_written = u->pub.seen;
    auth_op_write(op, &c);
}

static void session_write(op_t *op, sess_t *s)
{
    store_change_t c = {.kind = STORE_SESSION_PUT};
    auth_sess_row(s, &c.sess);
    auth_op_write(op, &c);
}

static void sessions_revoke_write(op_t *op, user_t *u, uint64_t except)
{
    auth_op_write(op, &(store_change_t){.kind = STORE_SESSIONS_REVOKE,
                                        .user_id = u->pub.id,
                                        .sess = {.id = except}});
}

/* The answer of a new session: its user, itself and its token. UNAVAILABLE if it was
 * revoked before its row committed. */
static void end_signed_in(op_t *op)
{
    sess_t *s = auth_sess_find(op->a, op->sid);
    if (!s) {
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    auth_op_end(
        op, &(auth_result_t){
                .status = AUTH_OK, .user = s->pub.user, .session = &s->pub, .token = op->token});
}

static void drop_new_session(op_t *op)
{
    sess_t *s = auth_sess_find(op->a, op->sid);
    if (s)
        auth_sess_drop(op->a, s);
}

/* ---- registration ---- */

static void register_fail(op_t *op, auth_status_t st)
{
    unuse_invite(op);
    auth_op_fail(op, st);
}

static void on_signed_up(op_t *op)
{
    if (op->status != 0) { /* the account is stored; its first session is not */
        unuse_invite(op);
        drop_new_session(op);
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    end_signed_in(op);
}

static void on_created(op_t *op)
{
    auth_t *a = op->a;
    if (op->status != 0) {
        register_fail(op, auth_op_store_status(op));
        return;
    }
    user_t *u = op->reserved;
    op->reserved = NULL;
    auth_users_insert(a, u);
    if (op->owner) {
        op->owner = false;
        a->owner_pending = false;
    }
    op->creating = false;
    a->creating--;
    if (!op->addr) { /* the command line: no session */
        auth_op_end(op, &(auth_result_t){.status = AUTH_OK, .user = &u->pub});
        return;
    }
    sess_t *s = auth_sess_open(a, u, op->now, op->agent, op->addr, op->token);
    op->sid = s->pub.id;
    session_write(op, s);
    if (op->inv)
        invite_write(op);
    auth_op_then(op, on_signed_up);
}

/* The role of a registration whose hash came back, or a refusal: the first account on a
 * server without an owner becomes it; a registration that began while there was none but
 * lost that race is judged by the registration mode after all. */
static auth_status_t register_role(op_t *op)
{
    auth_t *a = op->a;
    if (!op->first)
        return AUTH_OK;
    if (!auth_owner_exists(a) && !a->owner_pending) {
        op->role = AUTH_OWNER;
        op->owner = a->owner_pending = true;
        return AUTH_OK;
    }
    op->role = AUTH_MEMBER;
    return a->cfg.registration == AUTH_REG_OPEN ? AUTH_OK : AUTH_E_REGISTRATION_CLOSED;
}

/* Writes the account row of a registration: hash its password's (NULL: none). */
static void register_write(op_t *op, const char *hash)
{
    auth_t *a = op->a;
    auth_status_t st = register_role(op);
    if (st != AUTH_OK) {
        register_fail(op, st);
        return;
    }
    op->now = clock_wall_ms();
    user_t *u = op->reserved;
    auth_str_set(&u->pub.pass, hash);
    u->pub.id = auth_new_id(a, &a->next_user);
    u->pub.role = op->role;
    u->pub.state = AUTH_ACTIVE;
    u->pub.created = u->pub.seen = op->now;
    op->creating = true;
    a->creating++;
    auth_op_hold(op, u);
    user_write(op, u, STORE_USER_CREATE);
    auth_op_then(op, on_created);
}

static void on_register_hashed(void *ctx, int status, const char *hash)
{
    op_t *op = ctx;
    if (status < 0 || !hash) {
        register_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    register_write(op, hash);
}

/* What may be checked at once: the name, the display name, the password. */
static auth_status_t check_account(const auth_t *a, const auth_register_t *r,
                                   char canon[AUTH_CANON_MAX])
{
    if (!auth_canon_of(r->name, r->name_len, a->cfg.max_name, canon))
        return AUTH_E_BAD_NAME;
    const char *d = or_empty(r->display);
    if (!display_ok(d, strlen(d)))
        return AUTH_E_BAD_DISPLAY;
    /* No password: `parley import`'s accounts (auth_user_add only, checked by the caller). */
    auth_status_t st = r->password ? auth_password_ok(r->password, r->password_len) : AUTH_OK;
    if (st != AUTH_OK)
        return st;
    if (auth_name_reserved(r->name, r->name_len) || auth_holder(a, canon))
        return AUTH_E_NAME_TAKEN;
    return AUTH_OK;
}

/* The registration mode and the invite: the role to give, or a refusal. */
static auth_status_t check_admission(auth_t *a, const auth_register_t *r, int64_t now,
                                     invite_t **inv, auth_role_t *role)
{
    *inv = NULL;
    *role = AUTH_MEMBER;
    if (!auth_owner_exists(a))
        return AUTH_OK; /* the first account: decided when its hash is done */
    if (a->cfg.registration == AUTH_REG_CLOSED)
        return AUTH_E_REGISTRATION_CLOSED;
    if (a->cfg.registration == AUTH_REG_OPEN && (!r->invite || !*r->invite))
        return AUTH_OK;
    invite_t *i = invite_by_token(a, r->invite);
    if (!i || !invite_usable(i, false, now) || !creator_still_grants(a, i))
        return AUTH_E_BAD_INVITE;
    *inv = i;
    *role = i->pub.role;
    return AUTH_OK;
}

static void register_start(auth_t *a, const auth_register_t *r, bool cli, auth_cb cb, void *ctx)
{
    int64_t now = clock_wall_ms();
    const char *addr = or_empty(r->addr);
    unsigned wait = cli ? 0 : auth_limit_wait(a->register_addr, addr, strlen(addr), now);
    if (wait) {
        auth_answer(cb, ctx, AUTH_E_RATE_LIMITED, wait);
        return;
    }
    char canon[AUTH_CANON_MAX];
    auth_status_t st = !cli && !r->password ? AUTH_E_BAD_PASSWORD : check_account(a, r, canon);
    invite_t *inv = NULL;
    /* The command line's role; a guest has no password, so "guest" (the zero of the
     * field) stands for a role not given: member. */
    auth_role_t role = r->role == AUTH_GUEST ? AUTH_MEMBER : r->role;
    bool first = !cli && !auth_owner_exists(a);
    if (st == AUTH_OK && !cli)
        st = check_admission(a, r, now, &inv, &role);
    if (st == AUTH_OK && (unsigned)role > AUTH_OWNER)
        st = AUTH_E_FORBIDDEN;
    if (st != AUTH_OK) {
        auth_answer(cb, ctx, st, 0);
        return;
    }
    op_t *op = auth_op_new(a, cli ? "user add" : "registration", cb, ctx);
    op->role = role;
    op->first = first;
    op->addr = cli ? NULL : xstrdup(addr);
    op->agent = cli ? NULL : xstrdup(or_empty(r->agent));
    char *name = xstrndup(r->name, r->name_len);
    op->reserved = auth_user_alloc(name, NULL, r->display, NULL);
    free(name);
    op->reserved->reserved = true;
    auth_canon_set(a, op->reserved, canon);
    if (inv)
        use_invite(op, inv);
    if (!r->password) { /* nothing to hash: created at once, signed in by a reset link */
        register_write(op, NULL);
        return;
    }
    int rc = auth_pass_hash(a->pass, r->password, r->password_len, on_register_hashed, op);
    if (rc != 0) {
        register_fail(op, rc == AUTH_PASS_EBUSY ? AUTH_E_BUSY : AUTH_E_BAD_PASSWORD);
        return;
    }
    if (!cli)
        auth_limit_hit(a->register_addr, addr, strlen(addr), now);
}

void auth_register(auth_t *a, const auth_register_t *r, auth_cb cb, void *ctx)
{
    register_start(a, r, false, cb, ctx);
}

void auth_user_add(auth_t *a, const auth_register_t *r, auth_cb cb, void *ctx)
{
    register_start(a, r, true, cb, ctx);
}

/* ---- signing in ---- */

static void count_failure(op_t *op, int64_t now)
{
    auth_t *a = op->a;
    if (op->key)
        auth_limit_hit(a->fail_account, op->key, strlen(op->key), now);
    if (op->addr)
        auth_limit_hit(a->fail_addr, op->addr, strlen(op->addr), now);
}

static void on_login_stored(op_t *op)
{
    user_t *u = op->u;
    if (op->status != 0) {
        if (op->new_pass && same(u->pub.pass, op->new_pass))
            auth_str_set(&u->pub.pass, op->old_pass);
        drop_new_session(op);
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    end_signed_in(op);
}

static void on_login_verified(void *ctx, int status, const char *rehash)
{
    op_t *op = ctx;
    auth_t *a = op->a;
    int64_t now = clock_wall_ms();
    user_t *u = op->target ? auth_users_find(a, op->target) : NULL;
    if (status < 0) {
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    /* A password changed while this verify ran: the old one no longer signs in. */
    if (status == 0 || !u || !same(u->pub.pass, op->old_pass)) {
        count_failure(op, now);
        auth_op_fail(op, AUTH_E_BAD_CREDENTIALS);
        return;
    }
    if (u->pub.state != AUTH_ACTIVE) {
        auth_op_fail(op, u->pub.state == AUTH_BANNED ? AUTH_E_BANNED : AUTH_E_DEACTIVATED);
        return;
    }
    auth_limit_forget(a->fail_account, op->key, strlen(op->key));
    auth_op_hold(op, u);
    u->pub.seen = now;
    if (rehash) {
        op->new_pass = xstrdup(rehash);
        auth_str_set(&u->pub.pass, rehash);
    }
    if (rehash || now - u->seen_written >= AUTH_SEEN_WRITE_MS)
        user_write(op, u, STORE_USER_PUT);
    sess_t *s = auth_sess_open(a, u, now, op->agent, op->addr, op->token);
    op->sid = s->pub.id;
    session_write(op, s);
    auth_op_then(op, on_login_stored);
}

void auth_login(auth_t *a, const char *name, size_t name_len, const char *pw, size_t pw_len,
                const char *addr, const char *agent, auth_cb cb, void *ctx)
{
    int64_t now = clock_wall_ms();
    addr = or_empty(addr);
    char canon[AUTH_CANON_MAX];
    bool named = auth_canon_of(name, name_len, AUTH_LOOKUP_CHARS, canon);
    unsigned wait = auth_limit_wait(a->fail_addr, addr, strlen(addr), now);
    if (named) {
        unsigned w = auth_limit_wait(a->fail_account, canon, strlen(canon), now);
        wait = w > wait ? w : wait;
    }
    if (wait) {
        auth_answer(cb, ctx, AUTH_E_RATE_LIMITED, wait);
        return;
    }
    op_t *op = auth_op_new(a, "sign-in", cb, ctx);
    op->key = named ? xstrdup(canon) : NULL;
    op->addr = xstrdup(addr);
    op->agent = xstrdup(or_empty(agent));
    if (pw_len > AUTH_PASS_MAX || !pw) { /* refused before any work, as a wrong password */
        count_failure(op, now);
        auth_op_fail(op, AUTH_E_BAD_CREDENTIALS);
        return;
    }
    user_t *u = named ? auth_holder(a, canon) : NULL;
    if (u && !u->reserved && u->pub.pass) {
        op->target = u->pub.id;
        op->old_pass = xstrdup(u->pub.pass);
    }
    /* An unknown name, a guest, an account without a password: the same verify, against
     * the dummy hash, and the same answer. */
    if (auth_pass_verify(a->pass, op->old_pass, pw, pw_len, on_login_verified, op) != 0)
        auth_op_fail(op, AUTH_E_BUSY);
}

/* ---- signing out ---- */

static void end_plain(op_t *op)
{
    if (op->status != 0) {
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    auth_op_end(op, &(auth_result_t){.status = AUTH_OK, .user = op->u ? &op->u->pub : NULL});
}

void auth_logout(auth_t *a, uint64_t session_id, auth_cb cb, void *ctx)
{
    sess_t *s = auth_sess_find(a, session_id);
    if (!s) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    user_t *u = (user_t *)s->pub.user;
    op_t *op = auth_op_new(a, "sign-out", cb, ctx);
    auth_op_hold(op, u);
    auth_sess_drop(a, s);
    auth_op_write(op, &(store_change_t){.kind = STORE_SESSION_DELETE, .sess = {.id = session_id}});
    auth_revoked(a, u->pub.id, session_id, AUTH_CLOSE_SIGNED_OUT);
    auth_op_then(op, end_plain);
}

void auth_logout_all(auth_t *a, uint64_t user_id, auth_cb cb, void *ctx)
{
    user_t *u = auth_users_find(a, user_id);
    if (!u) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    op_t *op = auth_op_new(a, "sign-out everywhere", cb, ctx);
    auth_op_hold(op, u);
    auth_sess_drop_user(a, u, 0, NULL);
    sessions_revoke_write(op, u, 0);
    auth_revoked(a, u->pub.id, 0, AUTH_CLOSE_SIGNED_OUT);
    auth_op_then(op, end_plain);
}

/* ---- passwords ---- */

/* A new password hash replaces u's; the sessions but keep (0: all) end. The revoke
 * callback runs once per ended session, or once with session 0 when all end. */
static void password_set(op_t *op, user_t *u, const char *hash, uint64_t keep)
{
    auth_t *a = op->a;
    auth_op_hold(op, u);
    free(op->old_pass);
    op->old_pass = u->pub.pass ? xstrdup(u->pub.pass) : NULL;
    op->new_pass = xstrdup(hash);
    auth_str_set(&u->pub.pass, hash);
    uint64_t *ids = NULL;
    size_t n = auth_sess_drop_user(a, u, keep, keep ? &ids : NULL);
    user_write(op, u, STORE_USER_PUT);
    sessions_revoke_write(op, u, keep);
    if (!keep)
        auth_revoked(a, u->pub.id, 0, AUTH_CLOSE_SIGNED_OUT);
    for (size_t i = 0; i < n && keep; i++)
        auth_revoked(a, u->pub.id, ids[i], AUTH_CLOSE_SIGNED_OUT);
    free(ids);
}

static void password_undo(op_t *op)
{
    if (op->u && same(op->u->pub.pass, op->new_pass))
        auth_str_set(&op->u->pub.pass, op->old_pass);
}

static void on_password_stored(op_t *op)
{
    if (op->status != 0) {
        password_undo(op);
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    auth_op_end(op, &(auth_result_t){.status = AUTH_OK, .user = &op->u->pub});
}

static void on_new_hashed(void *ctx, int status, const char *hash)
{
    op_t *op = ctx;
    user_t *u = auth_users_find(op->a, op->target);
    if (status < 0 || !hash || !u) {
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    password_set(op, u, hash, op->sid);
    auth_op_then(op, on_password_stored);
}

static void on_old_verified(void *ctx, int status, const char *rehash)
{
    (void)rehash; /* the password is replaced anyway */
    op_t *op = ctx;
    auth_t *a = op->a;
    user_t *u = auth_users_find(a, op->target);
    if (status < 0 || !u) {
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    if (status == 0 || !same(u->pub.pass, op->old_pass)) {
        count_failure(op, clock_wall_ms());
        auth_op_fail(op, AUTH_E_BAD_CREDENTIALS);
        return;
    }
    if (op->key)
        auth_limit_forget(a->fail_account, op->key, strlen(op->key));
    if (auth_pass_hash(a->pass, op->pw, op->pw_len, on_new_hashed, op) != 0)
        auth_op_fail(op, AUTH_E_BUSY);
}

/* Checking the current password counts towards the account's failed sign-ins: a stolen
 * session must not become a way to guess the password. */
void auth_password(auth_t *a, uint64_t session_id, const char *old, size_t old_len, const char *pw,
                   size_t pw_len, auth_cb cb, void *ctx)
{
    sess_t *s = auth_sess_find(a, session_id);
    if (!s) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    user_t *u = (user_t *)s->pub.user;
    const char *key = u->pub.canon;
    unsigned wait = key ? auth_limit_wait(a->fail_account, key, strlen(key), clock_wall_ms()) : 0;
    auth_status_t st = auth_password_ok(pw, pw_len);
    if (wait || st != AUTH_OK) {
        auth_answer(cb, ctx, wait ? AUTH_E_RATE_LIMITED : st, wait);
        return;
    }
    op_t *op = auth_op_new(a, "password change", cb, ctx);
    op->key = key ? xstrdup(key) : NULL;
    op->target = u->pub.id;
    op->sid = session_id;
    op->old_pass = u->pub.pass ? xstrdup(u->pub.pass) : NULL;
    op->pw = xstrndup(pw, pw_len);
    op->pw_len = pw_len;
    if (!old || old_len > AUTH_PASS_MAX) {
        count_failure(op, clock_wall_ms());
        auth_op_fail(op, AUTH_E_BAD_CREDENTIALS);
        return;
    }
    if (auth_pass_verify(a->pass, op->old_pass, old, old_len, on_old_verified, op) != 0)
        auth_op_fail(op, AUTH_E_BUSY);
}

/* ---- reset links ---- */

static void on_reset_stored(op_t *op)
{
    if (op->status != 0) {
        password_undo(op);
        unuse_invite(op);
        drop_new_session(op);
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    end_signed_in(op);
}

static void on_reset_hashed(void *ctx, int status, const char *hash)
{
    op_t *op = ctx;
    auth_t *a = op->a;
    user_t *u = auth_users_find(a, op->target);
    if (status < 0 || !hash || !u) {
        unuse_invite(op);
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    password_set(op, u, hash, 0);
    int64_t now = clock_wall_ms();
    u->pub.seen = now;
    sess_t *s = auth_sess_open(a, u, now, op->agent, op->addr, op->token);
    op->sid = s->pub.id;
    session_write(op, s);
    invite_write(op);
    auth_op_then(op, on_reset_stored);
}

void auth_reset_use(auth_t *a, const char *token, const char *pw, size_t pw_len, const char *addr,
                    const char *agent, auth_cb cb, void *ctx)
{
    int64_t now = clock_wall_ms();
    invite_t *inv = invite_by_token(a, token);
    user_t *u = inv ? auth_users_find(a, inv->pub.user_id) : NULL;
    if (!inv || !invite_usable(inv, true, now) || !u || u->pub.role == AUTH_GUEST) {
        auth_answer(cb, ctx, AUTH_E_BAD_INVITE, 0);
        return;
    }
    auth_status_t st = auth_password_ok(pw, pw_len);
    if (st == AUTH_OK && u->pub.state != AUTH_ACTIVE)
        st = u->pub.state == AUTH_BANNED ? AUTH_E_BANNED : AUTH_E_DEACTIVATED;
    if (st != AUTH_OK) {
        auth_answer(cb, ctx, st, 0);
        return;
    }
    op_t *op = auth_op_new(a, "reset", cb, ctx);
    op->target = u->pub.id;
    op->addr = xstrdup(or_empty(addr));
    op->agent = xstrdup(or_empty(agent));
    use_invite(op, inv);
    if (auth_pass_hash(a->pass, pw, pw_len, on_reset_hashed, op) != 0) {
        unuse_invite(op);
        auth_op_fail(op, AUTH_E_BUSY);
    }
}

/* ---- display names ---- */

static void on_display_stored(op_t *op)
{
    if (op->status != 0) {
        if (same(op->u->pub.display, op->new_display))
            auth_str_set(&op->u->pub.display, op->old_display);
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    auth_op_end(op, &(auth_result_t){.status = AUTH_OK, .user = &op->u->pub});
}

void auth_set_display(auth_t *a, uint64_t user_id, const char *display, size_t len, auth_cb cb,
                      void *ctx)
{
    user_t *u = auth_users_find(a, user_id);
    if (!u) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    if (!display)
        len = 0;
    if (!display_ok(display, len)) {
        auth_answer(cb, ctx, AUTH_E_BAD_DISPLAY, 0);
        return;
    }
    op_t *op = auth_op_new(a, "display name", cb, ctx);
    auth_op_hold(op, u);
    op->old_display = xstrdup(u->pub.display);
    op->new_display = xstrndup(display ? display : "", len);
    auth_str_set(&u->pub.display, op->new_display);
    user_write(op, u, STORE_USER_PUT);
    auth_op_then(op, on_display_stored);
}
