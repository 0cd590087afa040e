/* auth_load - reading the accounts from the store into memory, at start (auth_load) and
 * when another process changed them (auth_tick -> auth_reload), merged in place:
 * - users are updated by id and keep their pointers (users are never freed); new ones are
 *   added; a user an op is writing (inflight) is left as memory has it, and if its row
 *   differs, the read is done again later;
 * - sessions are updated by id, new ones added, and those the store no longer has are
 *   dropped with the revoke callback (another process revoked them); the sessions of a
 *   user an op is writing are left alone;
 * - invites are updated by id and new ones added;
 * - canonical names: a row's stored form wins (the store keeps them unique). Accounts
 *   that have none (rows migrated from schema v3: SQL cannot compute ICU's forms) get it
 *   here, in id order, the first by id winning a collision; the loser keeps none and is
 *   warned about once. A form given here is written back (USER_PUT).
 * The whole read is copied first (rows_t), then merged, then revoke callbacks run, so that
 * a callback re-entering auth sees consistent tables. */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmalloc.h"

typedef struct {
    store_user_t *users;
    size_t nusers, cap_users;
    store_session_t *sess;
    size_t nsess, cap_sess;
    store_invite_t *inv;
    size_t ninv, cap_inv;
    store_hook_t *hooks;
    size_t nhooks, cap_hooks;
} rows_t;

typedef struct {
    uint64_t user, session;
    uint16_t code;
} revoke_t;

typedef struct {
    revoke_t *v;
    size_t n, cap;
} revokes_t;

static char *dup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 64;
    return xrealloc(v, *cap * size);
}

static void on_user(void *ctx, const store_user_t *u)
{
    rows_t *r = ctx;
    r->users = grow(r->users, r->nusers, &r->cap_users, sizeof(*r->users));
    store_user_t *c = &r->users[r->nusers++];
    *c = *u;
    c->name = dup(u->name ? u->name : "");
    c->canon = dup(u->canon);
    c->display = dup(u->display ? u->display : "");
    c->title = dup(u->title ? u->title : "");
    c->tz = dup(u->tz ? u->tz : "");
    c->avatar = dup(u->avatar ? u->avatar : "");
    c->role = dup(u->role ? u->role : "");
    c->pass = dup(u->pass);
    c->state = dup(u->state ? u->state : "");
}

static void on_session(void *ctx, const store_session_t *s)
{
    rows_t *r = ctx;
    r->sess = grow(r->sess, r->nsess, &r->cap_sess, sizeof(*r->sess));
    store_session_t *c = &r->sess[r->nsess++];
    *c = *s;
    c->hash = dup(s->hash ? s->hash : "");
    c->agent = dup(s->agent ? s->agent : "");
    c->addr = dup(s->addr ? s->addr : "");
}

static void on_invite(void *ctx, const store_invite_t *i)
{
    rows_t *r = ctx;
    r->inv = grow(r->inv, r->ninv, &r->cap_inv, sizeof(*r->inv));
    store_invite_t *c = &r->inv[r->ninv++];
    *c = *i;
    c->hash = dup(i->hash ? i->hash : "");
    c->kind = dup(i->kind ? i->kind : "");
    c->role = dup(i->role ? i->role : "");
}

static void rows_free(rows_t *r)
{
    for (size_t i = 0; i < r->nusers; i++) {
        store_user_t *u = &r->users[i];
        free((char *)u->name);
        free((char *)u->canon);
        free((char *)u->display);
        free((char *)u->title);
        free((char *)u->tz);
        free((char *)u->avatar);
        free((char *)u->role);
        free((char *)u->pass);
        free((char *)u->state);
    }
    for (size_t i = 0; i < r->nsess; i++) {
        free((char *)r->sess[i].hash);
        free((char *)r->sess[i].agent);
        free((char *)r->sess[i].addr);
    }
    for (size_t i = 0; i < r->ninv; i++) {
        free((char *)r->inv[i].hash);
        free((char *)r->inv[i].kind);
        free((char *)r->inv[i].role);
    }
    free(r->users);
    free(r->sess);
    free(r->inv);
    for (size_t i = 0; i < r->nhooks; i++) {
        free((char *)r->hooks[i].hash);
        free((char *)r->hooks[i].channel);
        free((char *)r->hooks[i].name);
    }
    free(r->hooks);
}

static void revoke_add(revokes_t *rv, uint64_t user, uint64_t session, uint16_t code)
{
    rv->v = grow(rv->v, rv->n, &rv->cap, sizeof(*rv->v));
    rv->v[rv->n++] = (revoke_t){user, session, code};
}

static int state_parse(const char *s, auth_state_t *out)
{
    for (int i = AUTH_ACTIVE; i <= AUTH_DEACTIVATED; i++) {
        if (strcmp(s, auth_state_name((auth_state_t)i)) == 0) {
            *out = (auth_state_t)i;
            return 0;
        }
    }
    return -1;
}

static bool str_eq(const char *x, const char *y)
{
    return x == y || (x && y && strcmp(x, y) == 0);
}

static uint16_t close_code(auth_state_t st)
{
    return st == AUTH_BANNED ? AUTH_CLOSE_BANNED : AUTH_CLOSE_DEACTIVATED;
}

/* ---- users ---- */

/* The profile of a row (its strings never NULL: on_user made them ""). */
static void profile_set(user_t *u, const store_user_t *row)
{
    auth_str_set(&u->pub.title, row->title);
    auth_str_set(&u->pub.tz, row->tz);
    auth_str_set(&u->pub.avatar, row->avatar);
}

static bool profile_eq(const user_t *u, const store_user_t *row)
{
    return str_eq(u->pub.title, row->title) && str_eq(u->pub.tz, row->tz) &&
           str_eq(u->pub.avatar, row->avatar);
}

typedef struct {
    user_t **v;
    size_t n, cap;
} moved_t;

/* Merges one user row. A canonical form the row gives u is noted in `moved`, mapped once
 * every row's old form is out of the way. */
static void merge_user(auth_t *a, const store_user_t *row, auth_role_t role, auth_state_t st,
                       moved_t *moved, revokes_t *rv)
{
    user_t *u = auth_users_find(a, row->id);
    if (!u) {
        u = auth_user_alloc(row->name, NULL, row->display, row->pass);
        profile_set(u, row);
        u->pub.id = row->id;
        u->pub.role = role;
        u->pub.bot = row->bot;
        u->pub.state = st;
        u->pub.created = row->created;
        u->pub.seen = u->seen_written = row->seen;
        auth_users_insert(a, u);
    } else if (u->inflight) {
        if (!str_eq(u->pub.canon, row->canon) || !str_eq(u->pub.pass, row->pass) ||
            !str_eq(u->pub.display, row->display) || !profile_eq(u, row) || u->pub.role != role ||
            u->pub.state != st)
            a->reload_due = true; /* changed elsewhere while we write it: read again later */
        return;
    } else {
        if (u->pub.state == AUTH_ACTIVE && st != AUTH_ACTIVE)
            revoke_add(rv, u->pub.id, 0, close_code(st));
        auth_str_set(&u->pub.display, row->display);
        profile_set(u, row);
        auth_str_set(&u->pub.pass, row->pass);
        u->pub.role = role;
        u->pub.bot = row->bot;
        u->pub.state = st;
        u->pub.created = row->created;
        if (row->seen > u->pub.seen)
            u->pub.seen = row->seen;
        if (row->seen > u->seen_written)
            u->seen_written = row->seen;
        if (str_eq(u->pub.canon, row->canon))
            return;
        auth_canon_set(a, u, NULL);
    }
    if (row->canon) {
        auth_str_set(&u->pub.canon, row->canon);
        moved->v = grow(moved->v, moved->n, &moved->cap, sizeof(user_t *));
        moved->v[moved->n++] = u;
    }
}

static void merge_users(auth_t *a, const rows_t *r, revokes_t *rv)
{
    moved_t moved = {0};
    for (size_t i = 0; i < r->nusers; i++) {
        const store_user_t *row = &r->users[i];
        auth_role_t role;
        auth_state_t st;
        if (row->id == 0 || auth_role_parse(row->role, &role) != 0 ||
            state_parse(row->state, &st) != 0) {
            log_warn("auth: user row %llu has a bad role or state; skipped",
                     (unsigned long long)row->id);
            continue;
        }
        merge_user(a, row, role, st, &moved, rv);
    }
    /* The store keeps stored forms unique: one held in memory by someone else is held by
     * a registration or a guest still being written, whose write will meet the conflict;
     * the store's holder takes it. */
    for (size_t i = 0; i < moved.n; i++) {
        user_t *u = moved.v[i];
        auth_map_put(&a->by_canon, u->pub.canon, strlen(u->pub.canon), u);
    }
    free(moved.v);
}

/* ---- canonical forms for rows that have none ---- */

static void canon_written(op_t *op)
{
    user_t *u = op->u;
    if (op->status == STORE_ECONFLICT && u->pub.canon) {
        log_warn("auth: user %llu (%s): its canonical name is another row's; it holds none",
                 (unsigned long long)u->pub.id, u->pub.name);
        auth_canon_set(op->a, u, NULL);
        u->canon_lost = true;
    }
    auth_op_end_behind(op);
}

static void canon_give(auth_t *a, user_t *u)
{
    char canon[AUTH_CANON_MAX];
    u->canon_lost = true; /* tried once, whatever comes of it */
    if (!auth_canon_of(u->pub.name, strlen(u->pub.name), AUTH_LOOKUP_CHARS, canon)) {
        log_warn("auth: user %llu (%s): the name has no canonical form; it holds none",
                 (unsigned long long)u->pub.id, u->pub.name);
        return;
    }
    user_t *h = auth_holder(a, canon);
    if (h) {
        log_warn("auth: user %llu (%s): its name is user %llu's in canonical form; it holds "
                 "none (rename one of them)",
                 (unsigned long long)u->pub.id, u->pub.name, (unsigned long long)h->pub.id);
        return;
    }
    u->canon_lost = false;
    auth_canon_set(a, u, canon);
    store_change_t c = {.kind = STORE_USER_PUT};
    auth_user_row(u, &c.u);
    op_t *op = auth_op_new(a, "canonical name", NULL, NULL);
    auth_op_hold(op, u);
    auth_op_write(op, &c);
    auth_op_then(op, canon_written);
}

static void canon_fill(auth_t *a)
{
    for (size_t i = 0; i < a->nusers; i++) {
        user_t *u = a->users[i];
        if (!u->pub.canon && u->pub.role != AUTH_GUEST && !u->canon_lost && !u->inflight)
            canon_give(a, u);
    }
}

/* ---- sessions and invites ---- */

static void merge_sessions(auth_t *a, const rows_t *r, revokes_t *rv)
{
    unsigned mark = ++a->mark;
    for (size_t i = 0; i < r->nsess; i++) {
        const store_session_t *row = &r->sess[i];
        user_t *u = auth_users_find(a, row->user_id);
        if (!u || u->inflight || strlen(row->hash) != AUTH_HASH_HEX)
            continue;
        sess_t *s = auth_sess_find(a, row->id);
        if (s && s->pub.user != &u->pub)
            continue; /* an id of another user's: not ours to fix */
        if (!s) {
            if (auth_map_get(&a->by_hash, row->hash, AUTH_HASH_HEX))
                continue;
            s = auth_sess_add(a, u, row->id, row->hash, row->created, row->seen, row->expires,
                              row->agent, row->addr);
        }
        s->mark = mark;
        if (row->seen > s->pub.seen)
            s->pub.seen = row->seen;
        if (row->seen > s->seen_written)
            s->seen_written = row->seen;
        s->pub.expires = row->expires;
    }
    for (size_t i = 0; i < a->nusers; i++) {
        user_t *u = a->users[i];
        if (u->inflight)
            continue;
        for (sess_t *s = u->sessions, *next; s; s = next) {
            next = s->next;
            if (s->mark == mark)
                continue;
            revoke_add(rv, u->pub.id, s->pub.id, AUTH_CLOSE_SIGNED_OUT);
            auth_sess_drop(a, s);
        }
    }
}

static void merge_invites(auth_t *a, const rows_t *r)
{
    for (size_t i = 0; i < r->ninv; i++) {
        const store_invite_t *row = &r->inv[i];
        bool reset = strcmp(row->kind, "reset") == 0;
        auth_role_t role = AUTH_MEMBER;
        if (row->id == 0 || strlen(row->hash) != AUTH_HASH_HEX ||
            (!reset && auth_role_parse(row->role, &role) != 0))
            continue;
        invite_t *inv = auth_invite_find(a, row->id);
        if (inv && inv->inflight)
            continue;
        bool fresh = !inv;
        if (fresh)
            inv = xcalloc(1, sizeof(*inv));
        auth_invite_t *p = &inv->pub;
        *p = (auth_invite_t){.id = row->id,
                             .reset = reset,
                             .creator = row->creator,
                             .user_id = row->user_id,
                             .role = role,
                             .created = row->created,
                             .expires = row->expires,
                             .uses = row->uses,
                             .max_uses = row->max_uses,
                             .revoked = row->revoked};
        memcpy(p->hash, row->hash, AUTH_HASH_HEX + 1);
        if (fresh)
            auth_invite_insert(a, inv);
    }
}

static void on_hook(void *ctx, const store_hook_t *h)
{
    rows_t *r = ctx;
    r->hooks = grow(r->hooks, r->nhooks, &r->cap_hooks, sizeof(*r->hooks));
    store_hook_t *c = &r->hooks[r->nhooks++];
    *c = *h;
    c->hash = dup(h->hash ? h->hash : "");
    c->channel = dup(h->channel ? h->channel : "");
    c->name = dup(h->name ? h->name : "");
}

/* ---- reading ---- */

int auth_reload(auth_t *a)
{
    uint64_t version = 0;
    rows_t r = {0};
    store_accounts_load_t cbs = {on_user, on_session, on_invite, on_hook};
    if (store_accounts_version(a->store, &version) != 0 ||
        store_load_accounts(a->store, &cbs, &r) != 0) {
        rows_free(&r);
        return -1;
    }
    a->version = version;
    a->reload_due = false;
    revokes_t rv = {0};
    merge_users(a, &r, &rv);
    merge_sessions(a, &r, &rv);
    merge_invites(a, &r);
    for (size_t i = 0; i < r.nhooks; i++)
        auth_hook_merge(a, &r.hooks[i]);
    rows_free(&r);
    canon_fill(a);
    for (size_t i = 0; i < rv.n; i++)
        auth_revoked(a, rv.v[i].user, rv.v[i].session, rv.v[i].code);
    free(rv.v);
    return 0;
}

int auth_load(auth_t *a)
{
    return auth_reload(a) == 0 ? 0 : -1;
}
