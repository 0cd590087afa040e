/* store_mem_accounts - store_mem's users, sessions, invites and webhooks; see store_mem_accounts.h.
 *
 * Structures: three plain arrays of store.h's own row types, each row's strings owned (xstrdup),
 * searched linearly and sorted by id when loaded (tests hold few rows).
 *
 * Invariants, the SQLite backend's constraints: ids are unique per array; a non-NULL canon is
 * unique among users; a hash is unique among sessions and among invites. */
#include "store_mem_accounts.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct mem_accounts {
    store_user_t *users;
    size_t nusers;
    store_session_t *sessions;
    size_t nsessions;
    store_invite_t *invites;
    size_t ninvites;
    store_hook_t *hooks;
    size_t nhooks;
    uint64_t version;
};

mem_accounts_t *mem_accounts_new(void)
{
    return xcalloc(1, sizeof(mem_accounts_t));
}

static char *dup_str(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void drop(const char *s)
{
    free((char *)s);
}

/* ---- rows: copies in, strings freed out ---- */

static void user_free(store_user_t *u)
{
    drop(u->name);
    drop(u->canon);
    drop(u->display);
    drop(u->role);
    drop(u->pass);
    drop(u->state);
    drop(u->title);
    drop(u->tz);
    drop(u->avatar);
}

static void user_copy(store_user_t *dst, const store_user_t *src)
{
    *dst = *src;
    dst->name = dup_str(src->name);
    dst->canon = dup_str(src->canon);
    dst->display = dup_str(src->display);
    dst->role = dup_str(src->role);
    dst->pass = dup_str(src->pass);
    dst->state = dup_str(src->state);
    /* The profile: NULL reads as "", as in the real backends (store.h). */
    dst->title = dup_str(src->title ? src->title : "");
    dst->tz = dup_str(src->tz ? src->tz : "");
    dst->avatar = dup_str(src->avatar ? src->avatar : "");
}

static void session_free(store_session_t *se)
{
    drop(se->hash);
    drop(se->agent);
    drop(se->addr);
}

static void session_copy(store_session_t *dst, const store_session_t *src)
{
    *dst = *src;
    dst->hash = dup_str(src->hash);
    dst->agent = dup_str(src->agent);
    dst->addr = dup_str(src->addr);
}

static void invite_free(store_invite_t *in)
{
    drop(in->hash);
    drop(in->kind);
    drop(in->role);
}

static void invite_copy(store_invite_t *dst, const store_invite_t *src)
{
    *dst = *src;
    dst->hash = dup_str(src->hash);
    dst->kind = dup_str(src->kind);
    dst->role = dup_str(src->role);
}

static void hook_free(store_hook_t *h)
{
    drop(h->hash);
    drop(h->channel);
    drop(h->name);
}

static void hook_copy(store_hook_t *dst, const store_hook_t *src)
{
    *dst = *src;
    dst->hash = dup_str(src->hash);
    dst->channel = dup_str(src->channel);
    dst->name = dup_str(src->name);
}

void mem_accounts_free(mem_accounts_t *a)
{
    for (size_t i = 0; i < a->nhooks; i++)
        hook_free(&a->hooks[i]);
    free(a->hooks);
    for (size_t i = 0; i < a->nusers; i++)
        user_free(&a->users[i]);
    for (size_t i = 0; i < a->nsessions; i++)
        session_free(&a->sessions[i]);
    for (size_t i = 0; i < a->ninvites; i++)
        invite_free(&a->invites[i]);
    free(a->users);
    free(a->sessions);
    free(a->invites);
    free(a);
}

mem_accounts_t *mem_accounts_clone(const mem_accounts_t *a)
{
    mem_accounts_t *c = xcalloc(1, sizeof(*c));
    c->version = a->version;
    c->users = xcalloc(a->nusers + 1, sizeof(*c->users));
    for (; c->nusers < a->nusers; c->nusers++)
        user_copy(&c->users[c->nusers], &a->users[c->nusers]);
    c->sessions = xcalloc(a->nsessions + 1, sizeof(*c->sessions));
    for (; c->nsessions < a->nsessions; c->nsessions++)
        session_copy(&c->sessions[c->nsessions], &a->sessions[c->nsessions]);
    c->invites = xcalloc(a->ninvites + 1, sizeof(*c->invites));
    for (; c->ninvites < a->ninvites; c->ninvites++)
        invite_copy(&c->invites[c->ninvites], &a->invites[c->ninvites]);
    c->hooks = xcalloc(a->nhooks + 1, sizeof(*c->hooks));
    for (; c->nhooks < a->nhooks; c->nhooks++)
        hook_copy(&c->hooks[c->nhooks], &a->hooks[c->nhooks]);
    return c;
}

/* ---- users ---- */

static store_user_t *user_by_id(mem_accounts_t *a, uint64_t id)
{
    for (size_t i = 0; i < a->nusers; i++)
        if (a->users[i].id == id)
            return &a->users[i];
    return NULL;
}

/* Does a user other than id hold canon? (NULL is never held.) */
static bool canon_held(const mem_accounts_t *a, const char *canon, uint64_t id)
{
    for (size_t i = 0; canon && i < a->nusers; i++)
        if (a->users[i].id != id && a->users[i].canon && strcmp(a->users[i].canon, canon) == 0)
            return true;
    return false;
}

static int user_create(mem_accounts_t *a, const store_user_t *u)
{
    if (user_by_id(a, u->id) || canon_held(a, u->canon, u->id))
        return STORE_ECONFLICT;
    a->users = xrealloc(a->users, (a->nusers + 1) * sizeof(*a->users));
    user_copy(&a->users[a->nusers++], u);
    return 0;
}

static int user_put(mem_accounts_t *a, const store_user_t *u)
{
    store_user_t *row = user_by_id(a, u->id);
    if (!row)
        return 0;
    if (canon_held(a, u->canon, u->id))
        return STORE_ECONFLICT;
    user_free(row);
    user_copy(row, u);
    return 0;
}

/* ---- sessions and invites: upserts by id, with a unique hash ---- */

static int session_put(mem_accounts_t *a, const store_session_t *se)
{
    store_session_t *row = NULL;
    for (size_t i = 0; i < a->nsessions; i++) {
        if (a->sessions[i].id == se->id)
            row = &a->sessions[i];
        else if (strcmp(a->sessions[i].hash, se->hash) == 0)
            return STORE_EFAILED;
    }
    if (row) {
        session_free(row);
    } else {
        a->sessions = xrealloc(a->sessions, (a->nsessions + 1) * sizeof(*a->sessions));
        row = &a->sessions[a->nsessions++];
    }
    session_copy(row, se);
    return 0;
}

/* SESSION_DELETE's and SESSIONS_REVOKE's victims. */
static bool session_named(const store_session_t *se, const store_change_t *c)
{
    return se->id == c->sess.id;
}

static bool session_revoked(const store_session_t *se, const store_change_t *c)
{
    return se->user_id == c->user_id && se->id != c->sess.id; /* sess.id 0 keeps none */
}

/* Deletes the sessions gone(se, c) picks, keeping the others in order. */
static void sessions_delete(mem_accounts_t *a, const store_change_t *c,
                            bool (*gone)(const store_session_t *, const store_change_t *))
{
    size_t kept = 0;
    for (size_t i = 0; i < a->nsessions; i++) {
        if (gone(&a->sessions[i], c))
            session_free(&a->sessions[i]);
        else
            a->sessions[kept++] = a->sessions[i];
    }
    a->nsessions = kept;
}

static int invite_put(mem_accounts_t *a, const store_invite_t *in)
{
    store_invite_t *row = NULL;
    for (size_t i = 0; i < a->ninvites; i++) {
        if (a->invites[i].id == in->id)
            row = &a->invites[i];
        else if (strcmp(a->invites[i].hash, in->hash) == 0)
            return STORE_EFAILED;
    }
    if (row) {
        invite_free(row);
    } else {
        a->invites = xrealloc(a->invites, (a->ninvites + 1) * sizeof(*a->invites));
        row = &a->invites[a->ninvites++];
    }
    invite_copy(row, in);
    return 0;
}

static int hook_put(mem_accounts_t *a, const store_hook_t *h)
{
    store_hook_t *row = NULL;
    for (size_t i = 0; i < a->nhooks; i++) {
        if (a->hooks[i].id == h->id)
            row = &a->hooks[i];
        else if (strcmp(a->hooks[i].hash, h->hash) == 0)
            return STORE_EFAILED;
    }
    if (row) {
        hook_free(row);
    } else {
        a->hooks = xrealloc(a->hooks, (a->nhooks + 1) * sizeof(*a->hooks));
        row = &a->hooks[a->nhooks++];
    }
    hook_copy(row, h);
    return 0;
}

int mem_accounts_apply(mem_accounts_t *a, const store_change_t *c, bool bump)
{
    int rc = 0;
    switch (c->kind) {
    case STORE_USER_CREATE:
        rc = user_create(a, &c->u);
        break;
    case STORE_USER_PUT:
        rc = user_put(a, &c->u);
        break;
    case STORE_SESSION_PUT:
        rc = session_put(a, &c->sess);
        break;
    case STORE_SESSION_DELETE:
        sessions_delete(a, c, session_named);
        break;
    case STORE_SESSIONS_REVOKE:
        sessions_delete(a, c, session_revoked);
        break;
    case STORE_INVITE_PUT:
        rc = invite_put(a, &c->inv);
        break;
    case STORE_HOOK_PUT:
        rc = hook_put(a, &c->hook);
        break;
    default:
        return STORE_EFAILED; /* not an account change: store_mem.c's mistake */
    }
    if (rc == 0 && bump)
        a->version++;
    return rc;
}

/* ---- load ---- */

/* Each row type starts with its uint64_t id. */
static int by_id(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void sort_by_id(void *v, size_t n, size_t size)
{
    if (n > 1)
        qsort(v, n, size, by_id);
}

void mem_accounts_load(mem_accounts_t *a, const store_accounts_load_t *cbs, void *ctx)
{
    sort_by_id(a->users, a->nusers, sizeof(*a->users));
    sort_by_id(a->sessions, a->nsessions, sizeof(*a->sessions));
    sort_by_id(a->invites, a->ninvites, sizeof(*a->invites));
    for (size_t i = 0; cbs->user && i < a->nusers; i++)
        cbs->user(ctx, &a->users[i]);
    for (size_t i = 0; cbs->session && i < a->nsessions; i++)
        cbs->session(ctx, &a->sessions[i]);
    for (size_t i = 0; cbs->invite && i < a->ninvites; i++)
        cbs->invite(ctx, &a->invites[i]);
    sort_by_id(a->hooks, a->nhooks, sizeof(*a->hooks));
    for (size_t i = 0; cbs->hook && i < a->nhooks; i++)
        cbs->hook(ctx, &a->hooks[i]);
}

uint64_t mem_accounts_version(const mem_accounts_t *a)
{
    return a->version;
}
