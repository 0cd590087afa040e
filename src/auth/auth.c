/* auth - the accounts registry: its lifetime, tables, lookups, sessions, the plumbing of
 * its operations, and the tick. See auth.h (the contract) and auth_int.h (how the files of
 * the registry share the work).
 *
 * Structures: users in an array by id (binary search; users are never freed, so their
 * pointers stay valid) and a map from canonical name to user; sessions in two maps (token
 * hash, id) and in a list per user, newest first; invites in an array by id and a map from
 * token hash. Everything belongs to the loop thread: no locks.
 *
 * Invariants:
 * - by_canon maps each canonical name to the one user holding it: an account, a guest
 *   within its hold, or a registration in progress (reserved: no id, in no other table);
 * - a session is in by_hash, by_sid and its user's list, or in none of them;
 * - an op holding a user (inflight) is the only writer of that user's rows until it ends;
 *   auth_load leaves such a user as it is in memory. */
#include "auth/auth_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"

/* ---- status texts ---- */

_Static_assert(AUTH_PASS_MIN == 8 && AUTH_PASS_MAX == 1024, "the texts below say 8 and 1024");

static const struct {
    const char *code;
    int http;
    const char *text;
} statuses[] = {
    [AUTH_OK] = {"ok", 200, "done"},
    [AUTH_E_BAD_NAME] = {"bad_name", 400, "that name is not allowed"},
    [AUTH_E_BAD_DISPLAY] = {"bad_name", 400,
                            "a display name has at most 64 characters, none of them control, "
                            "bidi or invisible"},
    [AUTH_E_NAME_TAKEN] = {"name_taken", 409, "that name is taken"},
    [AUTH_E_WEAK_PASSWORD] = {"weak_password", 400, "a password needs at least 8 characters"},
    [AUTH_E_BAD_PASSWORD] = {"bad_password", 400, "a password has at most 1024 bytes"},
    [AUTH_E_BAD_CREDENTIALS] = {"bad_credentials", 401, "wrong name or password"},
    [AUTH_E_BANNED] = {"banned", 403, "this account is banned"},
    [AUTH_E_DEACTIVATED] = {"deactivated", 403, "this account is deactivated"},
    [AUTH_E_REGISTRATION_CLOSED] = {"registration_closed", 403,
                                    "this server does not take registrations"},
    [AUTH_E_BAD_INVITE] = {"bad_invite", 403,
                           "that link is not valid: unknown, expired, used up or revoked"},
    [AUTH_E_FORBIDDEN] = {"forbidden", 403, "you may not do that"},
    [AUTH_E_NOT_FOUND] = {"not_found", 404, "no such thing"},
    [AUTH_E_LAST_OWNER] = {"last_owner", 409, "that would leave the server without an owner"},
    [AUTH_E_GUESTS_OFF] = {"auth_required", 403, "this server has no guests: sign in"},
    [AUTH_E_BUSY] = {"busy", 429, "the server is busy: try again in a moment"},
    [AUTH_E_RATE_LIMITED] = {"rate_limited", 429, "too many attempts: try again later"},
    [AUTH_E_QUOTA] = {"quota_exceeded", 403,
                      "you have made as many links as one may: revoke some, or wait a day"},
    [AUTH_E_UNAVAILABLE] = {"unavailable", 503, "that could not be stored: try again"},
    [AUTH_E_BAD_TITLE] = {"bad_title", 400,
                          "a title has at most 80 characters, none of them control, bidi or "
                          "invisible"},
    [AUTH_E_BAD_TZ] = {"bad_tz", 400,
                       "a time zone is an IANA name like Europe/Paris: at most 64 of A-Z a-z "
                       "0-9 _ + / -"},
    [AUTH_E_BAD_AVATAR] = {"bad_avatar", 400, "an avatar id is 64 hexadecimal digits"},
};

static bool status_known(auth_status_t st)
{
    return (unsigned)st < sizeof(statuses) / sizeof(statuses[0]) && statuses[st].code;
}

const char *auth_status_code(auth_status_t st)
{
    return status_known(st) ? statuses[st].code : "internal";
}

int auth_status_http(auth_status_t st)
{
    return status_known(st) ? statuses[st].http : 500;
}

const char *auth_status_text(auth_status_t st)
{
    return status_known(st) ? statuses[st].text : "internal error";
}

static const char *const role_names[] = {"guest", "member", "admin", "owner"};
static const char *const state_names[] = {"active", "banned", "deactivated"};

const char *auth_role_name(auth_role_t r)
{
    return (unsigned)r <= AUTH_OWNER ? role_names[r] : "guest";
}

int auth_role_parse(const char *s, auth_role_t *out)
{
    for (int r = AUTH_GUEST; s && r <= AUTH_OWNER; r++) {
        if (strcmp(s, role_names[r]) == 0) {
            *out = (auth_role_t)r;
            return 0;
        }
    }
    return -1;
}

const char *auth_state_name(auth_state_t s)
{
    return (unsigned)s <= AUTH_DEACTIVATED ? state_names[s] : "active";
}

/* ---- lifetime ---- */

/* Most of a user's and a session's strings are empty (a guest has no title, time zone,
 * avatar or display name; a WebSocket sign-in no agent): they share one "" instead of a
 * 32-byte allocation each, a quarter of a new guest's strings. Nothing writes through these
 * fields; every string field is set and freed by the three functions below. */
static char empty_str[1];

static char *str_copy(const char *v)
{
    return v[0] ? xstrdup(v) : empty_str;
}

static void str_free(char *p)
{
    if (p != empty_str)
        free(p);
}

static void sess_free(sess_t *s)
{
    str_free(s->pub.agent);
    str_free(s->pub.addr);
    free(s);
}

/* Zero means "the default" for every limit but the guest hold, where 0 is a choice: a
 * guest's name is held only while it is online. */
static void config_defaults(auth_config_t *c)
{
    if (c->guest_ttl_ms < 0)
        c->guest_ttl_ms = AUTH_DAY_MS;
    if (c->session_idle_ms <= 0)
        c->session_idle_ms = 30 * AUTH_DAY_MS;
    if (c->session_max_ms <= 0)
        c->session_max_ms = 90 * AUTH_DAY_MS;
    if (c->hash_max == 0)
        c->hash_max = uv_available_parallelism();
    if (c->max_name == 0)
        c->max_name = 32;
}

auth_t *auth_new(struct uv_loop_s *loop, store_t *store, const auth_config_t *cfg)
{
    if (auth_init() < 0)
        return NULL;
    auth_t *a = xcalloc(1, sizeof(*a));
    a->loop = loop;
    a->store = store;
    a->cfg = *cfg;
    config_defaults(&a->cfg);
    a->pass = auth_pass_new(loop, a->cfg.hash_max, a->cfg.pw_ops, a->cfg.pw_mem);
    if (!a->pass) {
        free(a);
        return NULL;
    }
    auth_map_init(&a->by_canon);
    auth_map_init_fixed(&a->by_hash, AUTH_HASH_HEX, true); /* keys: the sessions' hashes */
    auth_map_init_fixed(&a->by_sid, sizeof(uint64_t), false);
    auth_map_init_fixed(&a->inv_by_hash, AUTH_HASH_HEX, true);
    a->next_user = a->next_session = a->next_invite = a->next_hook = 1;
    a->fail_account = auth_limit_new(AUTH_FAIL_ACCOUNT_MAX, AUTH_FAIL_WINDOW_MS, AUTH_LIMIT_KEYS);
    a->fail_addr = auth_limit_new(AUTH_FAIL_ADDR_MAX, AUTH_FAIL_WINDOW_MS, AUTH_LIMIT_KEYS);
    a->register_addr = auth_limit_new(AUTH_REGISTER_MAX, AUTH_REGISTER_WINDOW_MS, AUTH_LIMIT_KEYS);
    a->links_made = auth_limit_new(AUTH_LINKS_DAY_MAX, AUTH_DAY_MS, AUTH_LIMIT_KEYS);
    a->guest_addr = auth_limit_new(cfg->guest_joins ? cfg->guest_joins : AUTH_GUEST_JOINS_DEFAULT,
                                   AUTH_GUEST_WINDOW_MS, AUTH_LIMIT_KEYS);
    a->rate_addr = auth_rates_new(AUTH_RATE_ADDR_KEYS);
    return a;
}

void auth_free(auth_t *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nusers; i++) {
        for (sess_t *s = a->users[i]->sessions, *next; s; s = next) {
            next = s->next;
            sess_free(s);
        }
        auth_user_free(a->users[i]);
    }
    for (size_t i = 0; i < a->ninvites; i++)
        free(a->invites[i]);
    for (size_t i = 0; i < a->nhooks; i++)
        auth_hook_free(a->hooks[i]);
    free(a->hooks);
    free(a->users);
    free(a->invites);
    auth_map_deinit(&a->by_canon);
    auth_map_deinit(&a->by_hash);
    auth_map_deinit(&a->by_sid);
    auth_map_deinit(&a->inv_by_hash);
    auth_limit_free(a->fail_account);
    auth_limit_free(a->fail_addr);
    auth_limit_free(a->register_addr);
    auth_limit_free(a->links_made);
    auth_limit_free(a->guest_addr);
    auth_rates_free(a->rate_addr);
    auth_pass_free(a->pass);
    free(a);
}

void auth_set_revoke_cb(auth_t *a, auth_revoke_cb cb, void *ctx)
{
    a->revoke = cb;
    a->revoke_ctx = ctx;
}

void auth_set_elsewhere_cb(auth_t *a, auth_elsewhere_cb cb, void *ctx)
{
    a->elsewhere = cb;
    a->elsewhere_ctx = ctx;
}

const auth_config_t *auth_config(const auth_t *a)
{
    return &a->cfg;
}

void auth_revoked(auth_t *a, uint64_t user_id, uint64_t session_id, uint16_t code)
{
    if (a->revoke)
        a->revoke(a->revoke_ctx, user_id, session_id, code);
}

/* ---- users ---- */

/* The index of the first user whose id is >= id. */
static size_t users_lower(const auth_t *a, uint64_t id)
{
    size_t lo = 0, hi = a->nusers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->users[mid]->pub.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

user_t *auth_users_find(const auth_t *a, uint64_t id)
{
    size_t i = users_lower(a, id);
    return i < a->nusers && a->users[i]->pub.id == id ? a->users[i] : NULL;
}

void auth_users_insert(auth_t *a, user_t *u)
{
    if (a->nusers == a->cap_users) {
        a->cap_users = a->cap_users ? a->cap_users * 2 : 64;
        a->users = xrealloc(a->users, a->cap_users * sizeof(user_t *));
    }
    size_t i = users_lower(a, u->pub.id);
    memmove(&a->users[i + 1], &a->users[i], (a->nusers - i) * sizeof(user_t *));
    a->users[i] = u;
    a->nusers++;
    u->reserved = false;
    if (u->pub.id >= a->next_user)
        a->next_user = u->pub.id + 1;
}

void auth_str_set(char **field, const char *v)
{
    char *copy = v ? str_copy(v) : NULL;
    str_free(*field);
    *field = copy;
}

user_t *auth_user_alloc(const char *name, const char *canon, const char *display, const char *pass)
{
    user_t *u = xcalloc(1, sizeof(*u));
    u->pub.name = str_copy(name);
    u->pub.canon = canon ? str_copy(canon) : NULL;
    u->pub.display = str_copy(display ? display : "");
    u->pub.title = empty_str;
    u->pub.tz = empty_str;
    u->pub.avatar = empty_str;
    u->pub.pass = pass ? str_copy(pass) : NULL;
    return u;
}

void auth_user_free(user_t *u)
{
    if (!u)
        return;
    str_free(u->pub.name);
    str_free(u->pub.canon);
    str_free(u->pub.display);
    str_free(u->pub.title);
    str_free(u->pub.tz);
    str_free(u->pub.avatar);
    str_free(u->pub.pass);
    free(u);
}

bool auth_canon_of(const char *name, size_t len, size_t max_chars, char out[AUTH_CANON_MAX])
{
    if (!name || !auth_name_valid(name, len, max_chars))
        return false;
    return auth_name_canon(name, len, out, AUTH_CANON_MAX) > 0;
}

user_t *auth_holder(const auth_t *a, const char *canon)
{
    return auth_map_get(&a->by_canon, canon, strlen(canon));
}

void auth_canon_set(auth_t *a, user_t *u, const char *canon)
{
    if (u->pub.canon && auth_holder(a, u->pub.canon) == u)
        auth_map_del(&a->by_canon, u->pub.canon, strlen(u->pub.canon));
    auth_str_set(&u->pub.canon, canon);
    if (canon)
        auth_map_put(&a->by_canon, canon, strlen(canon), u);
}

const auth_user_t *auth_user(const auth_t *a, uint64_t id)
{
    user_t *u = auth_users_find(a, id);
    return u ? &u->pub : NULL;
}

const auth_user_t *auth_user_named(const auth_t *a, const char *name, size_t len)
{
    char canon[AUTH_CANON_MAX];
    if (!auth_canon_of(name, len, AUTH_LOOKUP_CHARS, canon))
        return NULL;
    user_t *u = auth_holder(a, canon);
    return u && !u->reserved ? &u->pub : NULL;
}

size_t auth_nusers(const auth_t *a)
{
    return a->nusers;
}

const auth_user_t *auth_user_at(const auth_t *a, size_t i)
{
    return i < a->nusers ? &a->users[i]->pub : NULL;
}

/* Owners of any state count: a deactivated owner still owns the server, and registration
 * must not open to anyone (who would become an owner) because of it. */
bool auth_owner_exists(const auth_t *a)
{
    for (size_t i = 0; i < a->nusers; i++)
        if (a->users[i]->pub.role == AUTH_OWNER)
            return true;
    return false;
}

auth_registration_t auth_registration(const auth_t *a)
{
    return auth_owner_exists(a) ? a->cfg.registration : AUTH_REG_OPEN;
}

/* Whether u is the only active owner (taking its role or its state leaves none). */
bool auth_owner_active_only(const auth_t *a, const user_t *u)
{
    if (u->pub.role != AUTH_OWNER || u->pub.state != AUTH_ACTIVE)
        return false;
    for (size_t i = 0; i < a->nusers; i++) {
        const auth_user_t *o = &a->users[i]->pub;
        if (a->users[i] != u && o->role == AUTH_OWNER && o->state == AUTH_ACTIVE)
            return false;
    }
    return true;
}

void auth_user_row(const user_t *u, store_user_t *row)
{
    *row = (store_user_t){.id = u->pub.id,
                          .name = u->pub.name,
                          .canon = u->pub.canon,
                          .display = u->pub.display,
                          .role = auth_role_name(u->pub.role),
                          .pass = u->pub.pass,
                          .state = auth_state_name(u->pub.state),
                          .created = u->pub.created,
                          .seen = u->pub.seen,
                          .title = u->pub.title,
                          .tz = u->pub.tz,
                          .avatar = u->pub.avatar,
                          .bot = u->pub.bot};
}

/* ---- sessions ---- */

sess_t *auth_sess_find(const auth_t *a, uint64_t id)
{
    return auth_map_get(&a->by_sid, &id, sizeof(id));
}

uint64_t auth_new_id(auth_t *a, uint64_t *next)
{
    if (!a->cfg.shared_ids)
        return (*next)++;
    uint64_t r;
    randombytes_buf(&r, sizeof(r));
    return (1ull << 40) + r % ((1ull << 53) - (1ull << 40));
}

sess_t *auth_sess_add(auth_t *a, user_t *u, uint64_t id, const char hash[AUTH_HASH_HEX + 1],
                      int64_t created, int64_t seen, int64_t expires, const char *agent,
                      const char *addr)
{
    sess_t *s = xcalloc(1, sizeof(*s));
    s->pub.id = id ? id : auth_new_id(a, &a->next_session);
    if (s->pub.id >= a->next_session)
        a->next_session = s->pub.id + 1;
    s->pub.user = &u->pub;
    memcpy(s->pub.hash, hash, AUTH_HASH_HEX);
    s->pub.hash[AUTH_HASH_HEX] = '\0';
    s->pub.created = created;
    s->pub.seen = s->seen_written = seen;
    s->pub.expires = expires;
    s->pub.agent = str_copy(agent ? agent : "");
    s->pub.addr = str_copy(addr ? addr : "");
    s->next = u->sessions;
    u->sessions = s;
    auth_map_put(&a->by_hash, s->pub.hash, AUTH_HASH_HEX, s);
    auth_map_put(&a->by_sid, &s->pub.id, sizeof(s->pub.id), s);
    return s;
}

/* Past AUTH_USER_SESSIONS sessions a user's oldest ends, quietly, as if it expired. */
static void sess_bound(auth_t *a, user_t *u)
{
    size_t n = 0;
    sess_t *oldest = NULL;
    for (sess_t *s = u->sessions; s; s = s->next, n++)
        oldest = s;
    if (n > AUTH_USER_SESSIONS)
        auth_sess_expire(a, oldest);
}

sess_t *auth_sess_open(auth_t *a, user_t *u, int64_t now, const char *agent, const char *addr,
                       char token[AUTH_SESSION_HEX + 1])
{
    char hash[AUTH_HASH_HEX + 1];
    auth_token_new(token, AUTH_SESSION_HEX);
    auth_token_hash(token, AUTH_SESSION_HEX, hash);
    sess_t *s = auth_sess_add(a, u, 0, hash, now, now, now + a->cfg.session_max_ms, agent, addr);
    sess_bound(a, u);
    return s;
}

void auth_sess_drop(auth_t *a, sess_t *s)
{
    user_t *u = (user_t *)s->pub.user;
    /* A walk of at most AUTH_USER_SESSIONS: a back pointer in every session would cost
     * more (it would take sess_t into malloc's next size) than the rare sign-out does. */
    sess_t **p = &u->sessions;
    while (*p != s)
        p = &(*p)->next;
    *p = s->next;
    auth_map_del(&a->by_hash, s->pub.hash, AUTH_HASH_HEX);
    auth_map_del(&a->by_sid, &s->pub.id, sizeof(s->pub.id));
    sess_free(s);
}

size_t auth_sess_drop_user(auth_t *a, user_t *u, uint64_t except, uint64_t **ids)
{
    size_t n = 0, cap = 0;
    if (ids)
        *ids = NULL;
    for (sess_t *s = u->sessions, *next; s; s = next) {
        next = s->next;
        if (s->pub.id == except)
            continue;
        if (ids && n == cap) {
            cap = cap ? cap * 2 : 8;
            *ids = xrealloc(*ids, cap * sizeof(**ids));
        }
        if (ids)
            (*ids)[n] = s->pub.id;
        n++;
        auth_sess_drop(a, s);
    }
    return n;
}

bool auth_sess_live(const auth_t *a, const sess_t *s, int64_t now)
{
    return s->pub.user->state == AUTH_ACTIVE && now < s->pub.expires &&
           (s->pub.user->bot || now - s->pub.seen < a->cfg.session_idle_ms);
}

/* Expired by time (not by its user's state: those are dropped when the state changes). */
static bool sess_expired(const auth_t *a, const sess_t *s, int64_t now)
{
    /* A bot's token is not idle however long its script sleeps (auth_bot.c). */
    return now >= s->pub.expires ||
           (!s->pub.user->bot && now - s->pub.seen >= a->cfg.session_idle_ms);
}

void auth_sess_row(const sess_t *s, store_session_t *row)
{
    *row = (store_session_t){.id = s->pub.id,
                             .hash = s->pub.hash,
                             .user_id = s->pub.user->id,
                             .created = s->pub.created,
                             .seen = s->pub.seen,
                             .expires = s->pub.expires,
                             .agent = s->pub.agent,
                             .addr = s->pub.addr};
}

/* Lowercase hex of exactly the length of a session token: the only tokens that are
 * sessions. A client-id guest's session is the hash of "clientid:<id>", which is never
 * that, so no token opens it. */
static bool session_token(const char *t, size_t len)
{
    if (len != AUTH_SESSION_HEX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return false;
    return true;
}

void auth_sess_expire(auth_t *a, sess_t *s)
{
    store_change_t c = {.kind = STORE_SESSION_DELETE, .sess = {.id = s->pub.id}};
    op_t *op = auth_op_new(a, "session expiry", NULL, NULL);
    auth_op_hold(op, (user_t *)s->pub.user);
    auth_sess_drop(a, s);
    auth_op_write(op, &c);
    auth_op_then(op, auth_op_end_behind);
}

const auth_session_t *auth_session_check_at(auth_t *a, const char *token, size_t len, int64_t now)
{
    if (!token || len > AUTH_TOKEN_CAP)
        return NULL;
    char hash[AUTH_HASH_HEX + 1];
    auth_token_hash(token, len, hash); /* the same work for every token up to the cap */
    sess_t *s = auth_map_get(&a->by_hash, hash, AUTH_HASH_HEX);
    if (!s || !session_token(token, len))
        return NULL;
    if (sess_expired(a, s, now)) {
        auth_sess_expire(a, s);
        return NULL;
    }
    if (!auth_sess_live(a, s, now))
        return NULL;
    auth_touch(a, NULL, s, now);
    return &s->pub;
}

const auth_session_t *auth_session_check(auth_t *a, const char *token, size_t len)
{
    return auth_session_check_at(a, token, len, clock_wall_ms());
}

const auth_session_t *auth_session(const auth_t *a, uint64_t id)
{
    sess_t *s = auth_sess_find(a, id);
    return s ? &s->pub : NULL;
}

const auth_session_t *auth_session_next(const auth_t *a, uint64_t user_id,
                                        const auth_session_t *prev)
{
    if (prev)
        return ((const sess_t *)prev)->next ? &((const sess_t *)prev)->next->pub : NULL;
    user_t *u = auth_users_find(a, user_id);
    return u && u->sessions ? &u->sessions->pub : NULL;
}

/* ---- invites ---- */

static size_t invites_lower(const auth_t *a, uint64_t id)
{
    size_t lo = 0, hi = a->ninvites;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->invites[mid]->pub.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

invite_t *auth_invite_find(const auth_t *a, uint64_t id)
{
    size_t i = invites_lower(a, id);
    return i < a->ninvites && a->invites[i]->pub.id == id ? a->invites[i] : NULL;
}

void auth_invite_insert(auth_t *a, invite_t *inv)
{
    if (a->ninvites == a->cap_invites) {
        a->cap_invites = a->cap_invites ? a->cap_invites * 2 : 16;
        a->invites = xrealloc(a->invites, a->cap_invites * sizeof(invite_t *));
    }
    size_t i = invites_lower(a, inv->pub.id);
    memmove(&a->invites[i + 1], &a->invites[i], (a->ninvites - i) * sizeof(invite_t *));
    a->invites[i] = inv;
    a->ninvites++;
    auth_map_put(&a->inv_by_hash, inv->pub.hash, AUTH_HASH_HEX, inv);
    if (inv->pub.id >= a->next_invite)
        a->next_invite = inv->pub.id + 1;
}

const auth_invite_t *auth_invite_next(const auth_t *a, const auth_invite_t *prev)
{
    size_t i = prev ? invites_lower(a, prev->id) + 1 : 0;
    return i < a->ninvites ? &a->invites[i]->pub : NULL;
}

void auth_invite_row(const invite_t *inv, store_invite_t *row)
{
    const auth_invite_t *i = &inv->pub;
    *row = (store_invite_t){.id = i->id,
                            .hash = i->hash,
                            .kind = i->reset ? "reset" : "invite",
                            .creator = i->creator,
                            .user_id = i->user_id,
                            .role = i->reset ? "" : auth_role_name(i->role),
                            .created = i->created,
                            .expires = i->expires,
                            .uses = i->uses,
                            .max_uses = i->max_uses,
                            .revoked = i->revoked};
}

/* ---- operations ---- */

op_t *auth_op_new(auth_t *a, const char *what, auth_cb cb, void *ctx)
{
    op_t *op = xcalloc(1, sizeof(*op));
    op->a = a;
    op->what = what;
    op->cb = cb;
    op->ctx = ctx;
    return op;
}

void auth_op_hold(op_t *op, user_t *u)
{
    if (op->u == u)
        return;
    if (op->u)
        op->u->inflight--;
    op->u = u;
    if (u)
        u->inflight++;
}

void auth_op_hold_invite(op_t *op, invite_t *inv)
{
    if (op->inv)
        op->inv->inflight--;
    op->inv = inv;
    if (inv)
        inv->inflight++;
}

static void on_written(void *ctx, int status)
{
    op_t *op = ctx;
    op->pending--;
    if (status != 0 && op->status == 0)
        op->status = status;
    if (op->pending == 0 && op->next) {
        op_fn next = op->next;
        op->next = NULL;
        next(op);
    }
}

void auth_op_write(op_t *op, const store_change_t *c)
{
    op->pending++;
    if (store_change(op->a->store, c, on_written, op) != 0) {
        op->pending--; /* closing: no answer will come */
        if (op->status == 0)
            op->status = STORE_EFAILED;
    }
}

void auth_op_then(op_t *op, op_fn next)
{
    if (op->pending == 0)
        next(op);
    else
        op->next = next;
}

auth_status_t auth_op_store_status(const op_t *op)
{
    return op->status == STORE_ECONFLICT ? AUTH_E_NAME_TAKEN : AUTH_E_UNAVAILABLE;
}

static void release_reservation(auth_t *a, user_t *r)
{
    if (r->pub.canon && auth_holder(a, r->pub.canon) == r)
        auth_map_del(&a->by_canon, r->pub.canon, strlen(r->pub.canon));
    auth_user_free(r);
}

void auth_op_end(op_t *op, const auth_result_t *r)
{
    auth_t *a = op->a;
    auth_op_hold(op, NULL);
    auth_op_hold_invite(op, NULL);
    if (op->creating)
        a->creating--;
    if (op->reserved)
        release_reservation(a, op->reserved);
    if (op->owner)
        a->owner_pending = false;
    free(op->fresh);
    auth_hook_free(op->hook);
    if (op->status != 0) {
        /* Memory was undone where it could be; the store is the truth: read it again. */
        a->reload_due = true;
        log_warn("auth: %s: the store answered %s", op->what,
                 op->status == STORE_ECONFLICT ? "a conflict" : "a failure");
    }
    if (op->cb)
        op->cb(op->ctx, r);
    if (op->pw) {
        sodium_memzero(op->pw, op->pw_len);
        free(op->pw);
    }
    free(op->old_pass);
    free(op->new_pass);
    free(op->old_display);
    free(op->new_display);
    free(op->old_title);
    free(op->old_tz);
    free(op->old_avatar);
    free(op->key);
    free(op->addr);
    free(op->agent);
    free(op);
}

void auth_op_fail(op_t *op, auth_status_t st)
{
    auth_op_end(op, &(auth_result_t){.status = st, .retry_after = st == AUTH_E_BUSY ? 1 : 0});
}

void auth_op_end_behind(op_t *op)
{
    auth_op_fail(op, op->status ? AUTH_E_UNAVAILABLE : AUTH_OK);
}

void auth_answer(auth_cb cb, void *ctx, auth_status_t st, unsigned retry_after)
{
    if (cb)
        cb(ctx, &(auth_result_t){.status = st, .retry_after = retry_after});
}

void auth_write_user(auth_t *a, user_t *u, const char *what)
{
    store_change_t c = {.kind = STORE_USER_PUT};
    op_t *op = auth_op_new(a, what, NULL, NULL);
    auth_op_hold(op, u);
    auth_user_row(u, &c.u);
    u->seen_written = u->pub.seen;
    auth_op_write(op, &c);
    auth_op_then(op, auth_op_end_behind);
}

void auth_write_session(auth_t *a, sess_t *s, const char *what)
{
    store_change_t c = {.kind = STORE_SESSION_PUT};
    op_t *op = auth_op_new(a, what, NULL, NULL);
    auth_op_hold(op, (user_t *)s->pub.user);
    auth_sess_row(s, &c.sess);
    s->seen_written = s->pub.seen;
    auth_op_write(op, &c);
    auth_op_then(op, auth_op_end_behind);
}

void auth_touch(auth_t *a, user_t *u, sess_t *s, int64_t now)
{
    if (u) {
        u->pub.seen = now;
        if (now - u->seen_written >= AUTH_SEEN_WRITE_MS && !u->reserved)
            auth_write_user(a, u, "seen");
    }
    if (s) {
        s->pub.seen = now;
        if (now - s->seen_written >= AUTH_SEEN_WRITE_MS)
            auth_write_session(a, s, "session seen");
    }
}

/* ---- the tick ---- */

static void sweep_sessions(auth_t *a, int64_t now)
{
    for (size_t i = 0; i < a->nusers; i++) {
        for (sess_t *s = a->users[i]->sessions, *next; s; s = next) {
            next = s->next;
            if (sess_expired(a, s, now))
                auth_sess_expire(a, s);
        }
    }
}

static bool store_failed(auth_t *a)
{
    store_stats_t st;
    store_stats(a->store, &st);
    return st.failed;
}

/* Not while a row we create is on its way (the read could see it before its answer
 * comes), nor while the store refuses writes (what it holds may change again). */
static bool reload_now(auth_t *a)
{
    if (a->creating != 0 || store_failed(a))
        return false;
    if (auth_reload(a) == 0)
        return true;
    log_warn("auth: the accounts could not be read again; trying at the next tick");
    return false;
}

void auth_tick_at(auth_t *a, int64_t now)
{
    auth_guest_lapse(a, now);
    if (now >= a->next_sweep) {
        sweep_sessions(a, now);
        a->next_sweep = now + AUTH_SWEEP_MS;
    }
    uint64_t v;
    if (store_accounts_version(a->store, &v) == 0 && v != a->version)
        a->reload_due = true;
    if (a->reload_due)
        reload_now(a);
}

bool auth_reload_stale(auth_t *a, int64_t now)
{
    uint64_t v;
    if (a->stale_read != 0 && now >= a->stale_read && now - a->stale_read < AUTH_STALE_READ_MS)
        return false;
    if (store_accounts_version(a->store, &v) != 0 || v == a->version)
        return false;
    a->stale_read = now;
    return reload_now(a);
}

void auth_tick(auth_t *a)
{
    auth_tick_at(a, clock_wall_ms());
}
