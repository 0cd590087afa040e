/* api_admin - the people directory and what owners and admins do: roles, bans,
 * deactivations, reset links, invites.
 *
 * Rights are auth's: the two lists ask auth_can here (AUTH_ACT_USERS_LIST,
 * AUTH_ACT_INVITE_LIST), every other action is decided inside the auth operation it calls
 * (which takes the actor), so nothing is checked twice. Answers about users an admin acts
 * on carry the full user object (state, created, seen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "auth/auth_policy.h"
#include "base/xmalloc.h"

#define API_INVITE_USES_MAX 1000000
#define API_INVITE_TTL_MAX (366LL * 86400) /* seconds */
#define API_INVITE_TTL_DEFAULT (7LL * 86400)

static void forbidden(api_call_t *c)
{
    api_error(c, 403, "forbidden", "you may not do that");
}

static void bad_payload(api_call_t *c, const char *message)
{
    api_error(c, 400, "bad_payload", message);
}

/* ---- the people directory ---- */

/* A user in a list being sorted (a struct, so the array's element is not a bare pointer). */
typedef struct {
    const auth_user_t *u;
} user_ref_t;

/* By name (ASCII case folded), then id. */
static int by_name(const void *x, const void *y)
{
    const auth_user_t *a = ((const user_ref_t *)x)->u;
    const auth_user_t *b = ((const user_ref_t *)y)->u;
    int d = strcasecmp(a->name, b->name);
    if (d)
        return d;
    return a->id < b->id ? -1 : a->id > b->id;
}

void api_users(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    auth_t *au = c->api->auth;
    auth_target_t t = {0};
    if (auth_can(c->actor, AUTH_ACT_USERS_LIST, &t) != AUTH_ALLOW) {
        forbidden(c);
        return;
    }
    /* Owners and admins see everybody, with their state; others the active accounts. */
    bool full = c->actor->role >= AUTH_ADMIN;
    size_t total = auth_nusers(au), n = 0;
    user_ref_t *v = xmalloc((total ? total : 1) * sizeof(*v));
    for (size_t i = 0; i < total; i++) {
        const auth_user_t *u = auth_user_at(au, i);
        if (full || (u->role != AUTH_GUEST && u->state == AUTH_ACTIVE))
            v[n++].u = u;
    }
    if (n)
        qsort(v, n, sizeof(*v), by_name);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, api_user_json(v[i].u, full));
    free(v);
    api_reply(c, 200, json_pack("{s:o}", "users", list), NULL);
}

/* ---- acting on a user ---- */

static void done_admin_user(api_call_t *c, const auth_result_t *r)
{
    const auth_user_t *u = r->user ? r->user : auth_user(c->api->auth, c->target);
    if (!u) {
        api_reply_ok(c, NULL);
        return;
    }
    api_reply(c, 200, json_pack("{s:o}", "user", api_user_json(u, true)), NULL);
}

void api_user_role(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    const char *name;
    size_t len;
    auth_role_t role;
    /* Guests are users without a password: an account is never made one. */
    if (api_field_str(body, "role", &name, &len) != 0 || auth_role_parse(name, &role) < 0 ||
        role == AUTH_GUEST) {
        bad_payload(c, "role is one of \"owner\", \"admin\", \"member\"");
        return;
    }
    c->done = done_admin_user;
    auth_set_role(c->api->auth, c->actor, c->target, role, api_auth_cb, c);
}

static void set_state(api_call_t *c, auth_state_t st)
{
    c->done = done_admin_user;
    auth_set_state(c->api->auth, c->actor, c->target, st, api_auth_cb, c);
}

void api_user_ban(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    set_state(c, AUTH_BANNED);
}

void api_user_unban(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    set_state(c, AUTH_ACTIVE);
}

void api_user_deactivate(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    set_state(c, AUTH_DEACTIVATED);
}

void api_user_activate(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    set_state(c, AUTH_ACTIVE);
}

static void done_reset_link(api_call_t *c, const auth_result_t *r)
{
    char link[80];
    snprintf(link, sizeof(link), "/#reset=%s", r->token ? r->token : "");
    api_reply(c, 201,
              json_pack("{s:s,s:s,s:I}", "token", r->token ? r->token : "", "link", link, "expires",
                        (json_int_t)(r->invite ? r->invite->expires : 0)),
              NULL);
}

void api_user_reset(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    c->done = done_reset_link;
    auth_reset_create(c->api->auth, c->actor, c->target, api_auth_cb, c);
}

/* ---- invites ---- */

/* {"id","role","created","expires","uses","max_uses","revoked","creator"}: creator is the
 * creating user's name, null for the command line. */
static json_t *invite_json(const api_t *a, const auth_invite_t *i)
{
    const auth_user_t *by = i->creator ? auth_user(a->auth, i->creator) : NULL;
    json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:b}", "id", (json_int_t)i->id, "role",
                          auth_role_name(i->role), "created", (json_int_t)i->created, "expires",
                          (json_int_t)i->expires, "uses", (json_int_t)i->uses, "max_uses",
                          (json_int_t)i->max_uses, "revoked", (int)i->revoked);
    json_object_set_new(o, "creator", by ? api_str(by->name) : json_null());
    return o;
}

/* An invite in a list being sorted. */
typedef struct {
    const auth_invite_t *i;
} invite_ref_t;

/* Newest first: by creation, then by id. */
static int invite_newest(const void *x, const void *y)
{
    const auth_invite_t *a = ((const invite_ref_t *)x)->i;
    const auth_invite_t *b = ((const invite_ref_t *)y)->i;
    if (a->created != b->created)
        return a->created < b->created ? 1 : -1;
    return a->id < b->id ? 1 : a->id > b->id ? -1 : 0;
}

void api_invites(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    auth_t *au = c->api->auth;
    auth_target_t t = {0};
    if (auth_can(c->actor, AUTH_ACT_INVITE_LIST, &t) != AUTH_ALLOW) {
        forbidden(c);
        return;
    }
    size_t n = 0, cap = 0;
    invite_ref_t *v = NULL;
    for (const auth_invite_t *i = auth_invite_next(au, NULL); i; i = auth_invite_next(au, i)) {
        if (i->reset)
            continue; /* reset links are not invites: they are given out once, by whom made */
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[n++].i = i;
    }
    if (n)
        qsort(v, n, sizeof(*v), invite_newest);
    json_t *list = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(list, invite_json(c->api, v[k].i));
    free(v);
    api_reply(c, 200, json_pack("{s:o}", "invites", list), NULL);
}

static void done_invite(api_call_t *c, const auth_result_t *r)
{
    char link[80];
    snprintf(link, sizeof(link), "/#invite=%s", r->token ? r->token : "");
    json_t *inv = r->invite ? invite_json(c->api, r->invite) : json_object();
    api_reply(
        c, 201,
        json_pack("{s:o,s:s,s:s}", "invite", inv, "token", r->token ? r->token : "", "link", link),
        NULL);
}

/* An optional integer field within [lo, hi]: 0 (*out set, or left at its default when the
 * field is absent or null) or -1. */
static int int_field(json_t *body, const char *key, json_int_t lo, json_int_t hi, json_int_t *out)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

void api_invite_create(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    auth_role_t role = AUTH_MEMBER;
    json_int_t uses = 1, ttl = API_INVITE_TTL_DEFAULT;
    const char *name;
    size_t len;
    int rc = api_field_str(body, "role", &name, &len);
    if (rc < 0 || (rc == 0 && (auth_role_parse(name, &role) < 0 || role == AUTH_GUEST)) ||
        int_field(body, "max_uses", 1, API_INVITE_USES_MAX, &uses) < 0 ||
        int_field(body, "expires_in", 1, API_INVITE_TTL_MAX, &ttl) < 0) {
        bad_payload(c, "role is \"owner\", \"admin\" or \"member\"; max_uses 1-1000000; "
                       "expires_in 1-31622400 seconds");
        return;
    }
    c->done = done_invite;
    auth_invite_create(c->api->auth, c->actor, role, (uint32_t)uses, (int64_t)ttl * 1000,
                       api_auth_cb, c);
}

void api_invite_delete(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    c->done = api_done_ok;
    auth_invite_revoke(c->api->auth, c->actor, c->target, api_auth_cb, c);
}
