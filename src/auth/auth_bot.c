/* auth_bot - bot accounts and their tokens; see auth.h ("bots").
 *
 * A bot is an account (role member) marked bot, with no password: nobody signs in as it.
 * Its credentials are sessions made here, whose tokens an owner or admin hands to a script:
 * the same 64-hex-digit tokens as a sign-in's, stored only as their hash, so a bot's token
 * opens the REST API and a WebSocket join exactly as a person's session does. They do not
 * end by idleness nor by --session-max (auth_sess_live); they end when revoked (every token
 * of the bot at once, closing its WebSockets 4001), or with the bot (ban, deactivate). */
#include <stdlib.h>
#include <string.h>

#include "auth/auth_int.h"
#include "auth/auth_policy.h"
#include "base/clock.h"
#include "base/xmalloc.h"

/* A bot's token lasts until revoked: its absolute end is far beyond any server's life. */
#define BOT_TOKEN_LIFE_MS ((int64_t)100 * 365 * AUTH_DAY_MS)

static bool allowed(const auth_user_t *actor)
{
    return !actor || auth_can(actor, AUTH_ACT_BOT_ADMIN, NULL) == AUTH_ALLOW;
}

static void token_write(op_t *op, sess_t *s)
{
    store_change_t c = {.kind = STORE_SESSION_PUT};
    auth_sess_row(s, &c.sess);
    auth_op_write(op, &c);
}

/* A new token of bot u: a session without an end worth the name. */
static sess_t *token_open(op_t *op, user_t *u)
{
    sess_t *s = auth_sess_open(op->a, u, op->now, "bot", "", op->token);
    s->pub.expires = op->now + BOT_TOKEN_LIFE_MS;
    op->sid = s->pub.id;
    token_write(op, s);
    return s;
}

static void on_token_stored(op_t *op)
{
    if (op->status != 0) {
        sess_t *s = auth_sess_find(op->a, op->sid);
        if (s)
            auth_sess_drop(op->a, s);
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    sess_t *s = auth_sess_find(op->a, op->sid);
    auth_op_end(op, &(auth_result_t){.status = AUTH_OK,
                                     .user = &op->u->pub,
                                     .session = s ? &s->pub : NULL,
                                     .token = op->token});
}

static void on_bot_created(op_t *op)
{
    auth_t *a = op->a;
    if (op->status != 0) {
        auth_op_fail(op, auth_op_store_status(op));
        return;
    }
    user_t *u = op->reserved;
    op->reserved = NULL;
    auth_users_insert(a, u);
    op->creating = false;
    a->creating--;
    auth_op_hold(op, u);
    token_open(op, u);
    auth_op_then(op, on_token_stored);
}

void auth_bot_add(auth_t *a, const auth_user_t *actor, const char *name, size_t len, auth_cb cb,
                  void *ctx)
{
    char canon[AUTH_CANON_MAX];
    if (!allowed(actor)) {
        auth_answer(cb, ctx, AUTH_E_FORBIDDEN, 0);
        return;
    }
    if (!name || !auth_canon_of(name, len, a->cfg.max_name, canon)) {
        auth_answer(cb, ctx, AUTH_E_BAD_NAME, 0);
        return;
    }
    if (auth_name_reserved(name, len) || auth_holder(a, canon)) {
        auth_answer(cb, ctx, AUTH_E_NAME_TAKEN, 0);
        return;
    }
    op_t *op = auth_op_new(a, "bot add", cb, ctx);
    op->now = clock_wall_ms();
    char *n = xstrndup(name, len);
    user_t *u = op->reserved = auth_user_alloc(n, NULL, "", NULL);
    free(n);
    u->reserved = true;
    auth_canon_set(a, u, canon);
    u->pub.id = auth_new_id(a, &a->next_user);
    u->pub.role = AUTH_MEMBER;
    u->pub.bot = true;
    u->pub.state = AUTH_ACTIVE;
    u->pub.created = u->pub.seen = op->now;
    op->creating = true;
    a->creating++;
    store_change_t c = {.kind = STORE_USER_CREATE};
    auth_user_row(u, &c.u);
    u->seen_written = u->pub.seen;
    auth_op_write(op, &c);
    auth_op_then(op, on_bot_created);
}

void auth_bot_token(auth_t *a, const auth_user_t *actor, uint64_t target, bool fresh, auth_cb cb,
                    void *ctx)
{
    user_t *u = auth_users_find(a, target);
    if (!allowed(actor)) {
        auth_answer(cb, ctx, AUTH_E_FORBIDDEN, 0);
        return;
    }
    if (!u || !u->pub.bot) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    op_t *op = auth_op_new(a, fresh ? "bot token" : "bot revoke", cb, ctx);
    op->now = clock_wall_ms();
    auth_op_hold(op, u);
    auth_sess_drop_user(a, u, 0, NULL);
    auth_op_write(op, &(store_change_t){.kind = STORE_SESSIONS_REVOKE, .user_id = u->pub.id});
    auth_revoked(a, u->pub.id, 0, AUTH_CLOSE_SIGNED_OUT);
    if (fresh && u->pub.state == AUTH_ACTIVE)
        token_open(op, u);
    auth_op_then(op, on_token_stored);
}
