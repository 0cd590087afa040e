/* api_bots - bot accounts for owners and admins (docs/api.md, "Bots"):
 *
 *   GET    /api/bots            every bot, with how many live tokens it has
 *   POST   /api/bots            {"name"}: a new bot and its first token (shown this once)
 *   POST   /api/bots/ID/token   a new token; every earlier one ends
 *   DELETE /api/bots/ID/token   every token ends (the bot stays)
 *
 * Every decision is auth's (auth_bot_add, auth_bot_token, AUTH_ACT_BOT_ADMIN). */
#include "api/api_int.h"
#include "auth/auth_policy.h"

static bool may_admin(api_call_t *c)
{
    if (auth_can(c->actor, AUTH_ACT_BOT_ADMIN, NULL) == AUTH_ALLOW)
        return true;
    api_error(c, 403, "forbidden", "only owners and admins manage bots");
    return false;
}

static json_t *bot_json(const api_t *a, const auth_user_t *u)
{
    json_t *o = api_user_json(u, true);
    unsigned n = 0;
    for (const auth_session_t *s = auth_session_next(a->auth, u->id, NULL); s;
         s = auth_session_next(a->auth, u->id, s))
        n++;
    json_object_set_new(o, "tokens", json_integer(n));
    return o;
}

void api_bots(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    if (!may_admin(c))
        return;
    auth_t *a = c->api->auth;
    json_t *list = json_array();
    for (size_t i = 0; i < auth_nusers(a); i++) {
        const auth_user_t *u = auth_user_at(a, i);
        if (u->bot)
            json_array_append_new(list, bot_json(c->api, u));
    }
    api_reply(c, 200, json_pack("{s:o}", "bots", list), NULL);
}

/* A bot and its new token: the one answer that shows it. */
static void done_token(api_call_t *c, const auth_result_t *r)
{
    api_reply(c, 201,
              json_pack("{s:o,s:s}", "user", api_user_json(r->user, true), "token",
                        r->token ? r->token : ""),
              NULL);
}

void api_bot_create(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    const char *name = NULL;
    size_t len = 0;
    if (!may_admin(c))
        return;
    if (api_field_str(body, "name", &name, &len) != 0) {
        api_error(c, 400, "bad_payload", "a bot needs a name (a string)");
        return;
    }
    c->done = done_token;
    auth_bot_add(c->api->auth, c->actor, name, len, api_auth_cb, c);
}

void api_bot_token(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    if (!may_admin(c))
        return;
    c->done = done_token;
    auth_bot_token(c->api->auth, c->actor, c->target, true, api_auth_cb, c);
}

void api_bot_revoke(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    if (!may_admin(c))
        return;
    c->done = api_done_ok;
    auth_bot_token(c->api->auth, c->actor, c->target, false, api_auth_cb, c);
}
