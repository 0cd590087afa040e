/* api_account - the endpoints of one's own account: the server's facts, sign-up, sign-in,
 * sign-out, the profile, the password, one's sessions, and reset links used.
 *
 * Each handler checks the shape of the body (400 bad_payload for a missing or mistyped
 * field), then asks auth, which checks everything else (names, password rules, rates,
 * invites) and answers through api_auth_cb: the `done` function set here builds the
 * success. A successful sign-in (register, login, reset) answers the session's token in the
 * body and in the parley_session cookie; a sign-out clears the cookie. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "base/stats.h"
#include "base/xmalloc.h"

/* ---- answers ---- */

/* {"user", "token"} and the cookie that holds the token. */
static void signed_in(api_call_t *c, const auth_result_t *r, int status)
{
    char cookie[512]; /* the Path may be --base-path, 128 bytes */
    api_cookie_line(c, r->token, cookie, sizeof(cookie));
    api_reply(c, status,
              json_pack("{s:o,s:s}", "user", api_user_json(r->user, false), "token",
                        r->token ? r->token : ""),
              cookie);
}

static void done_registered(api_call_t *c, const auth_result_t *r)
{
    signed_in(c, r, 201);
}

static void done_signed_in(api_call_t *c, const auth_result_t *r)
{
    signed_in(c, r, 200);
}

/* {"ok": true} and the cookie cleared: the session it held is gone. */
static void done_signed_out(api_call_t *c, const auth_result_t *r)
{
    (void)r;
    char cookie[512]; /* the Path may be --base-path, 128 bytes */
    api_cookie_line(c, NULL, cookie, sizeof(cookie));
    api_reply_ok(c, cookie);
}

static void bad_payload(api_call_t *c, const char *message)
{
    api_error(c, 400, "bad_payload", message);
}

/* ---- the server ---- */

void api_server_info(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    static const char *const modes[] = {
        [AUTH_REG_OPEN] = "open", [AUTH_REG_INVITE] = "invite", [AUTH_REG_CLOSED] = "closed"};
    auth_t *au = c->api->auth;
    api_reply(c, 200,
              json_pack("{s:s,s:b,s:s,s:b}", "name", "parley", "owner_exists",
                        (int)auth_owner_exists(au), "registration", modes[auth_registration(au)],
                        "guests", (int)auth_config(au)->guests),
              NULL);
}

/* ---- signing in and out ---- */

void api_register(api_call_t *c, const api_request_t *r, json_t *body)
{
    const char *name, *pw, *display = NULL, *invite = NULL;
    size_t nl, pl, dl, il;
    if (api_field_str(body, "name", &name, &nl) != 0 ||
        api_field_str(body, "password", &pw, &pl) != 0 ||
        api_field_str(body, "display_name", &display, &dl) < 0 ||
        api_field_str(body, "invite", &invite, &il) < 0) {
        bad_payload(c, "name and password are required strings; display_name and invite are "
                       "strings when given");
        return;
    }
    char agent[257];
    api_agent(r, agent);
    auth_register_t reg = {
        .name = name,
        .name_len = nl,
        .password = pw,
        .password_len = pl,
        .display = display,
        .invite = invite,
        .addr = r->addr ? r->addr : "",
        .agent = agent[0] ? agent : NULL,
        .role = AUTH_MEMBER,
    };
    c->done = done_registered;
    auth_register(c->api->auth, &reg, api_auth_cb, c);
}

/* A sign-in's call and when it began, for the sign-in latency (stats.h). */
typedef struct {
    api_call_t *call;
    uint64_t began_us;
} timed_t;

static void on_login(void *ctx, const auth_result_t *r)
{
    timed_t *t = ctx;
    api_call_t *c = t->call;
    stats_observe(STATS_SIGN_IN, stats_now_us() - t->began_us);
    free(t);
    api_auth_cb(c, r);
}

void api_login(api_call_t *c, const api_request_t *r, json_t *body)
{
    const char *name, *pw;
    size_t nl, pl;
    if (api_field_str(body, "name", &name, &nl) != 0 ||
        api_field_str(body, "password", &pw, &pl) != 0) {
        bad_payload(c, "name and password are required strings");
        return;
    }
    char agent[257];
    api_agent(r, agent);
    c->done = done_signed_in;
    timed_t *t = xmalloc(sizeof(*t));
    *t = (timed_t){c, stats_now_us()};
    auth_login(c->api->auth, name, nl, pw, pl, r->addr ? r->addr : "", agent[0] ? agent : NULL,
               on_login, t);
}

void api_logout(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    c->done = done_signed_out;
    auth_logout(c->api->auth, c->session_id, api_auth_cb, c);
}

void api_logout_all(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    c->done = done_signed_out;
    auth_logout_all(c->api->auth, c->actor->id, api_auth_cb, c);
}

void api_reset(api_call_t *c, const api_request_t *r, json_t *body)
{
    const char *token, *pw;
    size_t tl, pl;
    if (api_field_str(body, "token", &token, &tl) != 0 ||
        api_field_str(body, "password", &pw, &pl) != 0) {
        bad_payload(c, "token and password are required strings");
        return;
    }
    char agent[257];
    api_agent(r, agent);
    c->done = done_signed_in;
    auth_reset_use(c->api->auth, token, pw, pl, r->addr ? r->addr : "", agent[0] ? agent : NULL,
                   api_auth_cb, c);
}

/* ---- the profile and the password ---- */

void api_me(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    /* Checked on this same turn by authenticate: it is there. */
    const auth_session_t *s = auth_session(c->api->auth, c->session_id);
    json_t *session = s ? api_session_json(c->api, s) : json_object();
    api_reply(c, 200,
              json_pack("{s:o,s:o}", "user", api_user_json(c->actor, false), "session", session),
              NULL);
}

void api_password(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    const char *old, *pw;
    size_t ol, pl;
    if (api_field_str(body, "password", &old, &ol) != 0 ||
        api_field_str(body, "new_password", &pw, &pl) != 0) {
        bad_payload(c, "password and new_password are required strings");
        return;
    }
    c->done = api_done_ok;
    auth_password(c->api->auth, c->session_id, old, ol, pw, pl, api_auth_cb, c);
}

/* ---- sessions ---- */

/* A session in a list being sorted (a struct, so the array's element is not a bare
 * pointer). */
typedef struct {
    const auth_session_t *s;
} session_ref_t;

/* Newest first: by creation, then by id (both descending). */
static int by_newest(const void *x, const void *y)
{
    const auth_session_t *a = ((const session_ref_t *)x)->s;
    const auth_session_t *b = ((const session_ref_t *)y)->s;
    if (a->created != b->created)
        return a->created < b->created ? 1 : -1;
    return a->id < b->id ? 1 : a->id > b->id ? -1 : 0;
}

void api_sessions(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    auth_t *au = c->api->auth;
    size_t n = 0, cap = 0;
    session_ref_t *v = NULL;
    for (const auth_session_t *s = auth_session_next(au, c->actor->id, NULL); s;
         s = auth_session_next(au, c->actor->id, s)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[n++].s = s;
    }
    if (n)
        qsort(v, n, sizeof(*v), by_newest);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const auth_session_t *s = v[i].s;
        json_t *o = api_session_json(c->api, s);
        json_object_set_new(o, "agent", api_str(s->agent));
        json_object_set_new(o, "addr", api_str(s->addr));
        json_object_set_new(o, "current", json_boolean(s->id == c->session_id));
        json_array_append_new(list, o);
    }
    free(v);
    api_reply(c, 200, json_pack("{s:o}", "sessions", list), NULL);
}

void api_session_delete(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    const auth_session_t *s = auth_session(c->api->auth, c->target);
    if (!s || !s->user || s->user->id != c->actor->id) {
        api_error(c, 404, "not_found", "no such session of yours");
        return;
    }
    /* Ending the session this request came with is signing out: the cookie goes too. */
    c->done = c->target == c->session_id ? done_signed_out : api_done_ok;
    auth_logout(c->api->auth, c->target, api_auth_cb, c);
}
