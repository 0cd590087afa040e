/* auth_policy - the one authorization check; see auth_policy.h for the rules.
 *
 * auth_can decides in three steps, always in this order:
 *   1. the actor: nobody but an active user acts (NULL is nobody: the command line's
 *      rights are decided by its caller, which skips this check);
 *   2. visibility: for an action on a channel, a private channel or a direct message the
 *      actor is not in is AUTH_HIDDEN, whatever the actor's role (admins do not see into
 *      private conversations either: they moderate what they can see);
 *   3. the action's own rule, one small function per family below.
 * Membership is a fact given by the caller; where a rule says "channels they are in" the
 * answer for a non-member is DENY (`forbidden`), as chat answered before this check
 * existed. A guest is never in a private channel or a direct message (nobody can put one
 * there); should the facts say so anyway, a guest may only leave it. */
#include "auth/auth_policy.h"

static bool moderator(auth_role_t r)
{
    return r >= AUTH_ADMIN;
}

/* #general holds everyone for good, whatever the facts say. */
static bool in(const auth_target_t *t)
{
    return t->member || t->kind == AUTH_CH_GENERAL;
}

static bool channel_action(auth_action_t act)
{
    switch (act) {
    case AUTH_ACT_SEE:
    case AUTH_ACT_POST:
    case AUTH_ACT_EDIT:
    case AUTH_ACT_DELETE:
    case AUTH_ACT_CHANNEL_JOIN:
    case AUTH_ACT_CHANNEL_LEAVE:
    case AUTH_ACT_CHANNEL_INVITE:
    case AUTH_ACT_CHANNEL_KICK:
    case AUTH_ACT_CHANNEL_TOPIC:
    case AUTH_ACT_CHANNEL_ARCHIVE:
    case AUTH_ACT_CHANNEL_DELETE:
    case AUTH_ACT_HOOK_MANAGE:
        return true;
    default: /* CHANNEL_CREATE's kind is the one asked for, DM_OPEN names people */
        return false;
    }
}

static auth_verdict_t yes(bool ok)
{
    return ok ? AUTH_ALLOW : AUTH_DENY;
}

/* Reading and writing a timeline: SEE, POST, EDIT, DELETE. */
static auth_verdict_t timeline(auth_role_t r, auth_action_t act, const auth_target_t *t)
{
    bool open = t->kind == AUTH_CH_GENERAL || t->kind == AUTH_CH_PUBLIC;
    if (r == AUTH_GUEST && !open)
        return AUTH_DENY;
    if (t->archived && act != AUTH_ACT_SEE) /* read-only */
        return AUTH_DENY;
    switch (act) {
    case AUTH_ACT_SEE: /* a public channel is readable by anyone (join, then read) */
        return yes(open || t->member);
    case AUTH_ACT_POST:
        return yes(in(t));
    case AUTH_ACT_EDIT:
        return yes(t->own && in(t));
    default: /* DELETE: the author in a channel they are in, or a moderator */
        return yes((t->own && in(t)) || moderator(r));
    }
}

/* Membership and channel properties: JOIN, LEAVE, INVITE, KICK, TOPIC, ARCHIVE, DELETE. */
static auth_verdict_t channel(auth_role_t r, auth_action_t act, const auth_target_t *t)
{
    bool managed = t->kind == AUTH_CH_PUBLIC || t->kind == AUTH_CH_PRIVATE;
    if (t->archived && act != AUTH_ACT_CHANNEL_LEAVE && act != AUTH_ACT_CHANNEL_KICK &&
        act != AUTH_ACT_CHANNEL_ARCHIVE && act != AUTH_ACT_CHANNEL_DELETE)
        return AUTH_DENY; /* read-only: who is in it may only shrink */
    switch (act) {
    case AUTH_ACT_CHANNEL_JOIN: /* a channel one is in: a no-op the caller answers */
        return yes(t->kind == AUTH_CH_GENERAL || t->kind == AUTH_CH_PUBLIC ||
                   (in(t) && r != AUTH_GUEST));
    case AUTH_ACT_CHANNEL_LEAVE: /* everyone stays in #general; a DM keeps its members */
        return yes((t->kind == AUTH_CH_PUBLIC || t->kind == AUTH_CH_PRIVATE) && t->member);
    case AUTH_ACT_CHANNEL_INVITE:
        if (r == AUTH_GUEST || !in(t))
            return AUTH_DENY;
        if (t->kind == AUTH_CH_PRIVATE)
            return yes(t->other != AUTH_GUEST);
        return yes(t->kind == AUTH_CH_PUBLIC);
    case AUTH_ACT_CHANNEL_KICK:
    case AUTH_ACT_CHANNEL_ARCHIVE: /* the same managers: moderators, a private one's creator */
        if (!managed)
            return AUTH_DENY;
        if (moderator(r))
            return AUTH_ALLOW;
        return yes(r == AUTH_MEMBER && t->kind == AUTH_CH_PRIVATE && t->member && t->creator);
    case AUTH_ACT_CHANNEL_DELETE:
        return yes(managed && moderator(r));
    default: /* TOPIC: channels one is in, not DMs */
        return yes(r != AUTH_GUEST && in(t) && t->kind != AUTH_CH_DM);
    }
}

/* People and invites: administering is over users below one's role (owners: also owners),
 * never over oneself but to step down from one's own role (the last owner is refused that
 * by auth, not here); roles are given below one's own (owners: any, so that ownership can
 * be handed on), invites up to one's own; never the guest role (a guest is a user without
 * a password: no account becomes one, and a guest becomes an account by registering). */
static auth_verdict_t people(auth_role_t r, auth_action_t act, const auth_target_t *t)
{
    bool over = !t->other_self && (t->other < r || (r == AUTH_OWNER && t->other == AUTH_OWNER));
    bool step_down = t->other_self && t->role < r;
    bool grant = (t->role < r || r == AUTH_OWNER) && t->role != AUTH_GUEST;
    bool invite = t->role <= r && t->role != AUTH_GUEST;
    switch (act) {
    case AUTH_ACT_USERS_LIST:
        return yes(r != AUTH_GUEST);
    case AUTH_ACT_USER_ADMIN:
        return yes(moderator(r) && over);
    case AUTH_ACT_USER_ROLE:
        return yes(moderator(r) && (step_down || (over && grant)) && t->other != AUTH_GUEST);
    case AUTH_ACT_INVITE_CREATE:
    case AUTH_ACT_INVITE_REVOKE:
        return yes(moderator(r) && invite);
    case AUTH_ACT_INVITE_LIST:
    case AUTH_ACT_BOT_ADMIN:
        return yes(moderator(r));
    default:
        return AUTH_DENY;
    }
}

auth_verdict_t auth_can(const auth_user_t *actor, auth_action_t act, const auth_target_t *t)
{
    static const auth_target_t none = {0};
    if (!actor || actor->state != AUTH_ACTIVE)
        return AUTH_DENY;
    if (!t)
        t = &none;
    auth_role_t r = actor->role;
    /* A bot is scoped to the channels people add it to: it makes none, joins none by itself
     * and opens no direct message. */
    if (actor->bot &&
        (act == AUTH_ACT_CHANNEL_CREATE || act == AUTH_ACT_DM_OPEN ||
         act == AUTH_ACT_CHANNEL_INVITE || (act == AUTH_ACT_CHANNEL_JOIN && !t->member)))
        return AUTH_DENY;
    if (channel_action(act)) {
        if ((t->kind == AUTH_CH_PRIVATE || t->kind == AUTH_CH_DM) && !t->member)
            return AUTH_HIDDEN;
        if (t->kind == AUTH_CH_NONE)
            return AUTH_DENY;
    }
    switch (act) {
    case AUTH_ACT_SEE:
    case AUTH_ACT_POST:
    case AUTH_ACT_EDIT:
    case AUTH_ACT_DELETE:
        return timeline(r, act, t);
    case AUTH_ACT_CHANNEL_JOIN:
    case AUTH_ACT_CHANNEL_LEAVE:
    case AUTH_ACT_CHANNEL_INVITE:
    case AUTH_ACT_CHANNEL_KICK:
    case AUTH_ACT_CHANNEL_TOPIC:
    case AUTH_ACT_CHANNEL_ARCHIVE:
    case AUTH_ACT_CHANNEL_DELETE:
        return channel(r, act, t);
    case AUTH_ACT_CHANNEL_CREATE:
        return yes(r != AUTH_GUEST && (t->kind == AUTH_CH_PUBLIC || t->kind == AUTH_CH_PRIVATE));
    case AUTH_ACT_HOOK_MANAGE: /* the channel's managers (ARCHIVE's), and #general's */
        if (t->kind == AUTH_CH_DM)
            return AUTH_DENY;
        if (moderator(r))
            return AUTH_ALLOW;
        return yes(r == AUTH_MEMBER && t->kind == AUTH_CH_PRIVATE && t->member && t->creator);
    case AUTH_ACT_DM_OPEN: /* t->other: the lowest role among the others */
        return yes(r != AUTH_GUEST && t->other != AUTH_GUEST);
    default:
        return people(r, act, t);
    }
}
