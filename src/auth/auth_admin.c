/* auth_admin - what owners and admins do to others: roles, bans and deactivations,
 * invites and reset links. Each right is auth_can's (auth_policy.h) to decide; an actor of
 * NULL is the command line, with every right. Beyond the policy, two rules are the
 * registry's, since only it knows every user: the last active owner keeps its role and its
 * state (LAST_OWNER), and guests neither get nor lose roles (a guest has no password).
 *
 * Ending a user's sessions (a ban, a deactivation) runs the revoke callback inside the
 * call, after memory changed and the writes were submitted, before they commit (as in
 * auth_acct.c). */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#include "auth/auth_policy.h"
#include "base/clock.h"
#include "base/xmalloc.h"

static bool allowed(const auth_user_t *actor, auth_action_t act, const auth_target_t *t)
{
    return !actor || auth_can(actor, act, t) == AUTH_ALLOW;
}

static auth_target_t over(const auth_user_t *actor, const user_t *u)
{
    return (auth_target_t){.other = u->pub.role, .other_self = actor && actor->id == u->pub.id};
}

static void write_user(op_t *op, user_t *u)
{
    store_change_t c = {.kind = STORE_USER_PUT};
    auth_user_row(u, &c.u);
    u->seen_written = u->pub.seen;
    auth_op_write(op, &c);
}

static void answer_ok(auth_cb cb, void *ctx, const user_t *u, const invite_t *inv)
{
    if (cb)
        cb(ctx, &(auth_result_t){.status = AUTH_OK,
                                 .user = u ? &u->pub : NULL,
                                 .invite = inv ? &inv->pub : NULL});
}

static void end_user(op_t *op)
{
    auth_op_end(op, &(auth_result_t){.status = AUTH_OK, .user = &op->u->pub});
}

/* ---- roles ---- */

static void on_role_stored(op_t *op)
{
    if (op->status != 0) {
        if (op->u->pub.role == op->role)
            op->u->pub.role = op->old_role;
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    end_user(op);
}

void auth_set_role(auth_t *a, const auth_user_t *actor, uint64_t target, auth_role_t role,
                   auth_cb cb, void *ctx)
{
    user_t *u = auth_users_find(a, target);
    if (!u) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    auth_target_t t = over(actor, u);
    t.role = role;
    if ((unsigned)role > AUTH_OWNER || role == AUTH_GUEST || u->pub.role == AUTH_GUEST ||
        !allowed(actor, AUTH_ACT_USER_ROLE, &t)) {
        auth_answer(cb, ctx, AUTH_E_FORBIDDEN, 0);
        return;
    }
    if (role == u->pub.role) {
        answer_ok(cb, ctx, u, NULL);
        return;
    }
    if (auth_owner_active_only(a, u)) {
        auth_answer(cb, ctx, AUTH_E_LAST_OWNER, 0);
        return;
    }
    op_t *op = auth_op_new(a, "role change", cb, ctx);
    auth_op_hold(op, u);
    op->old_role = u->pub.role;
    op->role = u->pub.role = role;
    write_user(op, u);
    auth_op_then(op, on_role_stored);
}

/* ---- bans and deactivations ---- */

static void on_state_stored(op_t *op)
{
    if (op->status != 0) {
        if (op->u->pub.state == op->state)
            op->u->pub.state = op->old_state;
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    end_user(op);
}

void auth_set_state(auth_t *a, const auth_user_t *actor, uint64_t target, auth_state_t st,
                    auth_cb cb, void *ctx)
{
    user_t *u = auth_users_find(a, target);
    if (!u) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    auth_target_t t = over(actor, u);
    if ((unsigned)st > AUTH_DEACTIVATED || !allowed(actor, AUTH_ACT_USER_ADMIN, &t)) {
        auth_answer(cb, ctx, AUTH_E_FORBIDDEN, 0);
        return;
    }
    if (st == u->pub.state) {
        answer_ok(cb, ctx, u, NULL);
        return;
    }
    if (st != AUTH_ACTIVE && auth_owner_active_only(a, u)) {
        auth_answer(cb, ctx, AUTH_E_LAST_OWNER, 0);
        return;
    }
    op_t *op = auth_op_new(a, st == AUTH_ACTIVE ? "restore" : "ban", cb, ctx);
    auth_op_hold(op, u);
    op->old_state = u->pub.state;
    op->state = u->pub.state = st;
    write_user(op, u);
    if (st != AUTH_ACTIVE) {
        auth_sess_drop_user(a, u, 0, NULL);
        auth_op_write(op, &(store_change_t){.kind = STORE_SESSIONS_REVOKE, .user_id = u->pub.id});
        auth_revoked(a, u->pub.id, 0,
                     st == AUTH_BANNED ? AUTH_CLOSE_BANNED : AUTH_CLOSE_DEACTIVATED);
    }
    auth_op_then(op, on_state_stored);
}

/* ---- invites and reset links ---- */

static void on_invite_created(op_t *op)
{
    auth_t *a = op->a;
    op->creating = false;
    a->creating--;
    if (op->status != 0) {
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    invite_t *inv = op->fresh;
    op->fresh = NULL;
    auth_invite_insert(a, inv);
    auth_op_end(op, &(auth_result_t){.status = AUTH_OK,
                                     .user = op->u ? &op->u->pub : NULL,
                                     .invite = &inv->pub,
                                     .token = op->secret});
}

/* A new invite or reset link, in memory once its row is committed (nobody has its token
 * before that). */
static void invite_create(auth_t *a, op_t *op, const auth_invite_t *fields)
{
    invite_t *inv = xcalloc(1, sizeof(*inv));
    inv->pub = *fields;
    inv->pub.id = auth_new_id(a, &a->next_invite);
    auth_token_new(op->secret, AUTH_INVITE_HEX);
    auth_token_hash(op->secret, AUTH_INVITE_HEX, inv->pub.hash);
    op->fresh = inv;
    op->creating = true;
    a->creating++;
    store_change_t c = {.kind = STORE_INVITE_PUT};
    auth_invite_row(inv, &c.inv);
    auth_op_write(op, &c);
    auth_op_then(op, on_invite_created);
}

/* Whether actor may make one more link at now (the command line always may); counts it.
 * Links are rows kept for good (revoked and expired ones stay listed), so a day's bound
 * bounds how fast anyone can grow the table; live invites are bounded on their own. */
static bool link_quota(auth_t *a, const auth_user_t *actor, bool invite, int64_t now)
{
    if (!actor)
        return true;
    if (invite) {
        size_t live = 0;
        for (size_t i = 0; i < a->ninvites; i++) {
            const auth_invite_t *v = &a->invites[i]->pub;
            live += !v->reset && v->creator == actor->id && !v->revoked && v->expires > now &&
                    v->uses < v->max_uses;
        }
        if (live >= AUTH_INVITES_LIVE_MAX)
            return false;
    }
    if (auth_limit_wait(a->links_made, &actor->id, sizeof(actor->id), now))
        return false;
    auth_limit_hit(a->links_made, &actor->id, sizeof(actor->id), now);
    return true;
}

void auth_invite_create(auth_t *a, const auth_user_t *actor, auth_role_t role, uint32_t max_uses,
                        int64_t ttl_ms, auth_cb cb, void *ctx)
{
    auth_target_t t = {.role = role};
    if ((unsigned)role > AUTH_OWNER || role == AUTH_GUEST ||
        !allowed(actor, AUTH_ACT_INVITE_CREATE, &t)) {
        auth_answer(cb, ctx, AUTH_E_FORBIDDEN, 0);
        return;
    }
    int64_t now = clock_wall_ms();
    if (!link_quota(a, actor, true, now)) {
        auth_answer(cb, ctx, AUTH_E_QUOTA, 0);
        return;
    }
    op_t *op = auth_op_new(a, "invite", cb, ctx);
    invite_create(a, op,
                  &(auth_invite_t){.creator = actor ? actor->id : 0,
                                   .role = role,
                                   .created = now,
                                   .expires = now + (ttl_ms > 0 ? ttl_ms : AUTH_INVITE_TTL_MS),
                                   .max_uses = max_uses ? max_uses : 1});
}

void auth_reset_create(auth_t *a, const auth_user_t *actor, uint64_t target, auth_cb cb, void *ctx)
{
    user_t *u = auth_users_find(a, target);
    if (!u) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    auth_target_t t = over(actor, u);
    if (u->pub.role == AUTH_GUEST || u->pub.bot || !allowed(actor, AUTH_ACT_USER_ADMIN, &t)) {
        auth_answer(cb, ctx, AUTH_E_FORBIDDEN, 0);
        return;
    }
    int64_t now = clock_wall_ms();
    if (!link_quota(a, actor, false, now)) {
        auth_answer(cb, ctx, AUTH_E_QUOTA, 0);
        return;
    }
    op_t *op = auth_op_new(a, "reset link", cb, ctx);
    auth_op_hold(op, u);
    invite_create(a, op,
                  &(auth_invite_t){.reset = true,
                                   .creator = actor ? actor->id : 0,
                                   .user_id = u->pub.id,
                                   .role = u->pub.role,
                                   .created = now,
                                   .expires = now + AUTH_RESET_TTL_MS,
                                   .max_uses = 1});
}

static void on_invite_revoked(op_t *op)
{
    if (op->status != 0) {
        op->inv->pub.revoked = false;
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    auth_op_end(op, &(auth_result_t){.status = AUTH_OK, .invite = &op->inv->pub});
}

void auth_invite_revoke(auth_t *a, const auth_user_t *actor, uint64_t invite_id, auth_cb cb,
                        void *ctx)
{
    invite_t *inv = auth_invite_find(a, invite_id);
    if (!inv) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    /* An invite: its role must be one the actor may grant; a reset link: its user one the
     * actor administers. */
    user_t *target = inv->pub.reset ? auth_users_find(a, inv->pub.user_id) : NULL;
    auth_target_t t = target ? over(actor, target) : (auth_target_t){.role = inv->pub.role};
    auth_action_t act = inv->pub.reset ? AUTH_ACT_USER_ADMIN : AUTH_ACT_INVITE_REVOKE;
    if ((inv->pub.reset && !target && actor) || !allowed(actor, act, &t)) {
        auth_answer(cb, ctx, AUTH_E_FORBIDDEN, 0);
        return;
    }
    if (inv->pub.revoked) {
        answer_ok(cb, ctx, NULL, inv);
        return;
    }
    op_t *op = auth_op_new(a, "invite revocation", cb, ctx);
    auth_op_hold_invite(op, inv);
    inv->pub.revoked = true;
    store_change_t c = {.kind = STORE_INVITE_PUT};
    auth_invite_row(inv, &c.inv);
    auth_op_write(op, &c);
    auth_op_then(op, on_invite_revoked);
}
