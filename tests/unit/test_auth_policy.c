/* test_auth_policy - auth_can, table-driven: each row is an action with the facts of its
 * object, and the verdict for a guest, a member, an admin and an owner, in that order
 * ('y' allow, 'n' deny, 'h' hidden). Every channel action is listed for every channel kind,
 * as a member and not; then people and invites; then actors who may not act at all. */
#include <stdbool.h>
#include <stdio.h>

#include "auth/auth_policy.h"
#include "test.h"

typedef struct {
    int line;
    auth_action_t act;
    auth_target_t t;
    const char *want; /* guest, member, admin, owner */
} row_t;

#define A(act) __LINE__, AUTH_ACT_##act
#define CH(k, m)                                                                                   \
    {                                                                                              \
        .kind = AUTH_CH_##k, .member = (m)                                                         \
    }
#define N AUTH_CH_NONE
#define G AUTH_CH_GENERAL
#define P AUTH_CH_PUBLIC
#define V AUTH_CH_PRIVATE
#define D AUTH_CH_DM

/* Channel actions: every kind, not a member (0) and a member (1). */
static const row_t channel_rows[] = {
    /* SEE: public channels are readable by anyone; private ones and DMs by members, never
     * by a guest */
    {A(SEE), CH(NONE, 0), "nnnn"},
    {A(SEE), CH(NONE, 1), "nnnn"},
    {A(SEE), CH(GENERAL, 0), "yyyy"},
    {A(SEE), CH(GENERAL, 1), "yyyy"},
    {A(SEE), CH(PUBLIC, 0), "yyyy"},
    {A(SEE), CH(PUBLIC, 1), "yyyy"},
    {A(SEE), CH(PRIVATE, 0), "hhhh"},
    {A(SEE), CH(PRIVATE, 1), "nyyy"},
    {A(SEE), CH(DM, 0), "hhhh"},
    {A(SEE), CH(DM, 1), "nyyy"},
    /* POST: channels one is in (#general always) */
    {A(POST), CH(NONE, 1), "nnnn"},
    {A(POST), CH(GENERAL, 0), "yyyy"},
    {A(POST), CH(GENERAL, 1), "yyyy"},
    {A(POST), CH(PUBLIC, 0), "nnnn"},
    {A(POST), CH(PUBLIC, 1), "yyyy"},
    {A(POST), CH(PRIVATE, 0), "hhhh"},
    {A(POST), CH(PRIVATE, 1), "nyyy"},
    {A(POST), CH(DM, 0), "hhhh"},
    {A(POST), CH(DM, 1), "nyyy"},
    /* EDIT: only the author, even for moderators */
    {A(EDIT), {.kind = G, .own = true}, "yyyy"},
    {A(EDIT), {.kind = G, .member = true}, "nnnn"},
    {A(EDIT), {.kind = P, .member = true, .own = true}, "yyyy"},
    {A(EDIT), {.kind = P, .member = true}, "nnnn"},
    {A(EDIT), {.kind = P, .own = true}, "nnnn"},
    {A(EDIT), {.kind = V, .member = true, .own = true}, "nyyy"},
    {A(EDIT), {.kind = V, .member = true}, "nnnn"},
    {A(EDIT), {.kind = V, .own = true}, "hhhh"},
    {A(EDIT), {.kind = D, .member = true, .own = true}, "nyyy"},
    {A(EDIT), {.kind = D}, "hhhh"},
    {A(EDIT), {.kind = N, .own = true}, "nnnn"},
    /* DELETE: the author, or a moderator in any channel they can see */
    {A(DELETE), {.kind = G, .own = true}, "yyyy"},
    {A(DELETE), {.kind = G}, "nnyy"},
    {A(DELETE), {.kind = P, .member = true, .own = true}, "yyyy"},
    {A(DELETE), {.kind = P, .member = true}, "nnyy"},
    {A(DELETE), {.kind = P}, "nnyy"},
    {A(DELETE), {.kind = P, .own = true}, "nnyy"},
    {A(DELETE), {.kind = V, .member = true, .own = true}, "nyyy"},
    {A(DELETE), {.kind = V, .member = true}, "nnyy"},
    {A(DELETE), {.kind = V}, "hhhh"},
    {A(DELETE), {.kind = D, .member = true}, "nnyy"},
    {A(DELETE), {.kind = D, .member = true, .own = true}, "nyyy"},
    {A(DELETE), {.kind = D, .own = true}, "hhhh"},
    {A(DELETE), {.kind = N}, "nnnn"},
    /* CHANNEL_CREATE: t->kind is the kind asked for; never by a guest */
    {A(CHANNEL_CREATE), CH(NONE, 0), "nnnn"},
    {A(CHANNEL_CREATE), CH(GENERAL, 0), "nnnn"},
    {A(CHANNEL_CREATE), CH(PUBLIC, 0), "nyyy"},
    {A(CHANNEL_CREATE), CH(PRIVATE, 0), "nyyy"},
    {A(CHANNEL_CREATE), CH(DM, 0), "nnnn"},
    /* CHANNEL_JOIN: public channels; one already in is a no-op */
    {A(CHANNEL_JOIN), CH(NONE, 0), "nnnn"},
    {A(CHANNEL_JOIN), CH(GENERAL, 1), "yyyy"},
    {A(CHANNEL_JOIN), CH(PUBLIC, 0), "yyyy"},
    {A(CHANNEL_JOIN), CH(PUBLIC, 1), "yyyy"},
    {A(CHANNEL_JOIN), CH(PRIVATE, 0), "hhhh"},
    {A(CHANNEL_JOIN), CH(PRIVATE, 1), "nyyy"},
    {A(CHANNEL_JOIN), CH(DM, 0), "hhhh"},
    {A(CHANNEL_JOIN), CH(DM, 1), "nyyy"},
    /* CHANNEL_LEAVE: not #general, not a DM, only what one is in */
    {A(CHANNEL_LEAVE), CH(NONE, 1), "nnnn"},
    {A(CHANNEL_LEAVE), CH(GENERAL, 1), "nnnn"},
    {A(CHANNEL_LEAVE), CH(PUBLIC, 0), "nnnn"},
    {A(CHANNEL_LEAVE), CH(PUBLIC, 1), "yyyy"},
    {A(CHANNEL_LEAVE), CH(PRIVATE, 0), "hhhh"},
    {A(CHANNEL_LEAVE), CH(PRIVATE, 1), "yyyy"},
    {A(CHANNEL_LEAVE), CH(DM, 0), "hhhh"},
    {A(CHANNEL_LEAVE), CH(DM, 1), "nnnn"},
    /* CHANNEL_INVITE: into channels one is in, never #general or a DM, never a guest into a
     * private channel, never by a guest */
    {A(CHANNEL_INVITE), {.kind = N, .member = true, .other = AUTH_MEMBER}, "nnnn"},
    {A(CHANNEL_INVITE), {.kind = G, .member = true, .other = AUTH_MEMBER}, "nnnn"},
    {A(CHANNEL_INVITE), {.kind = P, .other = AUTH_MEMBER}, "nnnn"},
    {A(CHANNEL_INVITE), {.kind = P, .member = true, .other = AUTH_MEMBER}, "nyyy"},
    {A(CHANNEL_INVITE), {.kind = P, .member = true, .other = AUTH_GUEST}, "nyyy"},
    {A(CHANNEL_INVITE), {.kind = V, .other = AUTH_MEMBER}, "hhhh"},
    {A(CHANNEL_INVITE), {.kind = V, .member = true, .other = AUTH_MEMBER}, "nyyy"},
    {A(CHANNEL_INVITE), {.kind = V, .member = true, .other = AUTH_OWNER}, "nyyy"},
    {A(CHANNEL_INVITE), {.kind = V, .member = true, .other = AUTH_GUEST}, "nnnn"},
    {A(CHANNEL_INVITE), {.kind = D, .other = AUTH_MEMBER}, "hhhh"},
    {A(CHANNEL_INVITE), {.kind = D, .member = true, .other = AUTH_MEMBER}, "nnnn"},
    /* CHANNEL_KICK: moderators from any public or visible private channel; a member from a
     * private channel they created; never from #general or a DM */
    {A(CHANNEL_KICK), {.kind = N, .member = true}, "nnnn"},
    {A(CHANNEL_KICK), {.kind = G, .member = true, .creator = true}, "nnnn"},
    {A(CHANNEL_KICK), {.kind = P}, "nnyy"},
    {A(CHANNEL_KICK), {.kind = P, .member = true}, "nnyy"},
    {A(CHANNEL_KICK), {.kind = P, .member = true, .creator = true}, "nnyy"},
    {A(CHANNEL_KICK), {.kind = P, .member = true, .other = AUTH_OWNER}, "nnyy"},
    {A(CHANNEL_KICK), {.kind = V}, "hhhh"},
    {A(CHANNEL_KICK), {.kind = V, .creator = true}, "hhhh"},
    {A(CHANNEL_KICK), {.kind = V, .member = true}, "nnyy"},
    {A(CHANNEL_KICK), {.kind = V, .member = true, .creator = true}, "nyyy"},
    {A(CHANNEL_KICK), {.kind = V, .member = true, .creator = true, .other = AUTH_ADMIN}, "nyyy"},
    {A(CHANNEL_KICK), {.kind = D}, "hhhh"},
    {A(CHANNEL_KICK), {.kind = D, .member = true, .creator = true}, "nnnn"},
    /* CHANNEL_TOPIC: channels one is in, not DMs, never by a guest */
    {A(CHANNEL_TOPIC), CH(NONE, 1), "nnnn"},
    {A(CHANNEL_TOPIC), CH(GENERAL, 0), "nyyy"},
    {A(CHANNEL_TOPIC), CH(GENERAL, 1), "nyyy"},
    {A(CHANNEL_TOPIC), CH(PUBLIC, 0), "nnnn"},
    {A(CHANNEL_TOPIC), CH(PUBLIC, 1), "nyyy"},
    {A(CHANNEL_TOPIC), CH(PRIVATE, 0), "hhhh"},
    {A(CHANNEL_TOPIC), CH(PRIVATE, 1), "nyyy"},
    {A(CHANNEL_TOPIC), CH(DM, 0), "hhhh"},
    {A(CHANNEL_TOPIC), CH(DM, 1), "nnnn"},
    /* CHANNEL_ARCHIVE (and unarchive): the managers of a channel, as for kicks: moderators
     * in any public or visible private channel, a member in a private channel they made */
    {A(CHANNEL_ARCHIVE), CH(NONE, 1), "nnnn"},
    {A(CHANNEL_ARCHIVE), {.kind = G, .member = true, .creator = true}, "nnnn"},
    {A(CHANNEL_ARCHIVE), CH(GENERAL, 0), "nnnn"},
    {A(CHANNEL_ARCHIVE), CH(PUBLIC, 0), "nnyy"},
    {A(CHANNEL_ARCHIVE), {.kind = P, .member = true, .creator = true}, "nnyy"},
    {A(CHANNEL_ARCHIVE), {.kind = V, .creator = true}, "hhhh"},
    {A(CHANNEL_ARCHIVE), CH(PRIVATE, 1), "nnyy"},
    {A(CHANNEL_ARCHIVE), {.kind = V, .member = true, .creator = true}, "nyyy"},
    {A(CHANNEL_ARCHIVE), {.kind = V, .member = true, .creator = true, .archived = true}, "nyyy"},
    {A(CHANNEL_ARCHIVE), CH(DM, 0), "hhhh"},
    {A(CHANNEL_ARCHIVE), {.kind = D, .member = true, .creator = true}, "nnnn"},
    /* HOOK_MANAGE: a channel's incoming webhooks, its managers' (ARCHIVE's) and #general's
     * moderators'; never a DM's; also while archived */
    {A(HOOK_MANAGE), CH(NONE, 1), "nnnn"},
    {A(HOOK_MANAGE), CH(GENERAL, 1), "nnyy"},
    {A(HOOK_MANAGE), CH(PUBLIC, 0), "nnyy"},
    {A(HOOK_MANAGE), {.kind = P, .member = true, .creator = true}, "nnyy"},
    {A(HOOK_MANAGE), CH(PRIVATE, 1), "nnyy"},
    {A(HOOK_MANAGE), CH(PRIVATE, 0), "hhhh"},
    {A(HOOK_MANAGE), {.kind = V, .member = true, .creator = true}, "nyyy"},
    {A(HOOK_MANAGE), {.kind = V, .member = true, .creator = true, .archived = true}, "nyyy"},
    {A(HOOK_MANAGE), CH(DM, 1), "nnnn"},
    {A(HOOK_MANAGE), CH(DM, 0), "hhhh"},
    /* CHANNEL_DELETE: moderators only, in any public or visible private channel */
    {A(CHANNEL_DELETE), CH(NONE, 1), "nnnn"},
    {A(CHANNEL_DELETE), CH(GENERAL, 1), "nnnn"},
    {A(CHANNEL_DELETE), CH(PUBLIC, 0), "nnyy"},
    {A(CHANNEL_DELETE), {.kind = P, .member = true, .creator = true}, "nnyy"},
    {A(CHANNEL_DELETE), {.kind = P, .archived = true}, "nnyy"},
    {A(CHANNEL_DELETE), CH(PRIVATE, 0), "hhhh"},
    {A(CHANNEL_DELETE), {.kind = V, .member = true, .creator = true}, "nnyy"},
    {A(CHANNEL_DELETE), CH(DM, 0), "hhhh"},
    {A(CHANNEL_DELETE), CH(DM, 1), "nnnn"},
    /* an archived channel is read-only: seen, left, its members kicked; nothing else */
    {A(SEE), {.kind = P, .archived = true}, "yyyy"},
    {A(SEE), {.kind = V, .member = true, .archived = true}, "nyyy"},
    {A(SEE), {.kind = V, .archived = true}, "hhhh"},
    {A(POST), {.kind = P, .member = true, .archived = true}, "nnnn"},
    {A(EDIT), {.kind = P, .member = true, .own = true, .archived = true}, "nnnn"},
    {A(DELETE), {.kind = P, .member = true, .own = true, .archived = true}, "nnnn"},
    {A(DELETE), {.kind = V, .member = true, .archived = true}, "nnnn"},
    {A(CHANNEL_JOIN), {.kind = P, .archived = true}, "nnnn"},
    {A(CHANNEL_LEAVE), {.kind = P, .member = true, .archived = true}, "yyyy"},
    {A(CHANNEL_INVITE),
     {.kind = P, .member = true, .other = AUTH_MEMBER, .archived = true},
     "nnnn"},
    {A(CHANNEL_KICK), {.kind = V, .member = true, .creator = true, .archived = true}, "nyyy"},
    {A(CHANNEL_TOPIC), {.kind = P, .member = true, .archived = true}, "nnnn"},
    /* DM_OPEN: t->other is the lowest role among the others; no guest on either side */
    {A(DM_OPEN), {.other = AUTH_MEMBER}, "nyyy"},
    {A(DM_OPEN), {.other = AUTH_OWNER}, "nyyy"},
    {A(DM_OPEN), {.other = AUTH_GUEST}, "nnnn"},
    {A(DM_OPEN), {.kind = D, .other = AUTH_MEMBER}, "nyyy"},
};

#define OTHER(r) .other = AUTH_##r
#define ROLE(r) .role = AUTH_##r

/* People and invites. */
static const row_t people_rows[] = {
    {A(USERS_LIST), {0}, "nyyy"},
    /* USER_ADMIN: over users below one's role; owners also over owners; never oneself */
    {A(USER_ADMIN), {OTHER(GUEST)}, "nnyy"},
    {A(USER_ADMIN), {OTHER(MEMBER)}, "nnyy"},
    {A(USER_ADMIN), {OTHER(ADMIN)}, "nnny"},
    {A(USER_ADMIN), {OTHER(OWNER)}, "nnny"},
    {A(USER_ADMIN), {OTHER(OWNER), .other_self = true}, "nnnn"},
    {A(USER_ADMIN), {OTHER(ADMIN), .other_self = true}, "nnnn"},
    /* USER_ROLE: on users below (owners: also owners), roles below one's own (owners: any),
     * never to or from guest; one's own only to step down */
    {A(USER_ROLE), {OTHER(MEMBER), ROLE(MEMBER)}, "nnyy"},
    {A(USER_ROLE), {OTHER(MEMBER), ROLE(ADMIN)}, "nnny"},
    {A(USER_ROLE), {OTHER(MEMBER), ROLE(OWNER)}, "nnny"},
    {A(USER_ROLE), {OTHER(ADMIN), ROLE(MEMBER)}, "nnny"},
    {A(USER_ROLE), {OTHER(ADMIN), ROLE(OWNER)}, "nnny"},
    {A(USER_ROLE), {OTHER(OWNER), ROLE(ADMIN)}, "nnny"},
    {A(USER_ROLE), {OTHER(OWNER), ROLE(MEMBER)}, "nnny"},
    {A(USER_ROLE), {OTHER(MEMBER), ROLE(GUEST)}, "nnnn"},
    {A(USER_ROLE), {OTHER(GUEST), ROLE(MEMBER)}, "nnnn"},
    {A(USER_ROLE), {OTHER(OWNER), ROLE(MEMBER), .other_self = true}, "nnyy"},
    {A(USER_ROLE), {OTHER(ADMIN), ROLE(MEMBER), .other_self = true}, "nnyy"},
    {A(USER_ROLE), {OTHER(MEMBER), ROLE(ADMIN), .other_self = true}, "nnny"},
    {A(USER_ROLE), {OTHER(OWNER), ROLE(OWNER), .other_self = true}, "nnnn"},
    /* invites: roles up to one's own, never guest */
    {A(INVITE_CREATE), {ROLE(MEMBER)}, "nnyy"},
    {A(INVITE_CREATE), {ROLE(ADMIN)}, "nnyy"},
    {A(INVITE_CREATE), {ROLE(OWNER)}, "nnny"},
    {A(INVITE_CREATE), {ROLE(GUEST)}, "nnnn"},
    {A(INVITE_LIST), {0}, "nnyy"},
    {A(INVITE_REVOKE), {ROLE(MEMBER)}, "nnyy"},
    {A(INVITE_REVOKE), {ROLE(ADMIN)}, "nnyy"},
    {A(INVITE_REVOKE), {ROLE(OWNER)}, "nnny"},
};

static char letter(auth_verdict_t v)
{
    return v == AUTH_ALLOW ? 'y' : v == AUTH_DENY ? 'n' : v == AUTH_HIDDEN ? 'h' : '?';
}

static void check_rows(const row_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char got[5] = {0};
        for (int r = AUTH_GUEST; r <= AUTH_OWNER; r++) {
            auth_user_t u = {.id = 1, .name = "x", .role = (auth_role_t)r, .state = AUTH_ACTIVE};
            got[r] = letter(auth_can(&u, rows[i].act, &rows[i].t));
        }
        CHECK_EQ_STR(got, rows[i].want);
        if (strcmp(got, rows[i].want) != 0)
            fprintf(stderr, "  the row of line %d: got %s, want %s\n", rows[i].line, got,
                    rows[i].want);
    }
}

TEST(channel_actions)
{
    check_rows(channel_rows, sizeof(channel_rows) / sizeof(channel_rows[0]));
}

TEST(people_and_invites)
{
    check_rows(people_rows, sizeof(people_rows) / sizeof(people_rows[0]));
}

/* Every channel action appears for every kind, member and not (the table is complete). */
TEST(table_covers_every_kind)
{
    static const auth_action_t acts[] = {AUTH_ACT_SEE,
                                         AUTH_ACT_POST,
                                         AUTH_ACT_EDIT,
                                         AUTH_ACT_DELETE,
                                         AUTH_ACT_CHANNEL_JOIN,
                                         AUTH_ACT_CHANNEL_LEAVE,
                                         AUTH_ACT_CHANNEL_INVITE,
                                         AUTH_ACT_CHANNEL_KICK,
                                         AUTH_ACT_CHANNEL_TOPIC,
                                         AUTH_ACT_CHANNEL_ARCHIVE,
                                         AUTH_ACT_CHANNEL_DELETE,
                                         AUTH_ACT_HOOK_MANAGE};
    size_t n = sizeof(channel_rows) / sizeof(channel_rows[0]);
    for (size_t a = 0; a < sizeof(acts) / sizeof(acts[0]); a++) {
        for (int k = AUTH_CH_NONE; k <= AUTH_CH_DM; k++) {
            bool seen_k = false, seen_in = false, seen_out = false;
            for (size_t i = 0; i < n; i++) {
                if (channel_rows[i].act != acts[a] || channel_rows[i].t.kind != (auth_chan_t)k)
                    continue;
                seen_k = true;
                seen_in |= channel_rows[i].t.member;
                seen_out |= !channel_rows[i].t.member;
            }
            CHECK(seen_k);
            /* hidden kinds must be tried both ways; the others at least once */
            if (k == AUTH_CH_PRIVATE || k == AUTH_CH_DM)
                CHECK(seen_in && seen_out);
            if (!seen_k)
                fprintf(stderr, "  action %d has no row for kind %d\n", (int)acts[a], k);
        }
    }
}

/* Nobody but an active user acts: banned and deactivated actors, and no actor at all, are
 * refused every action (not even told a channel is hidden). */
TEST(inactive_actors)
{
    const row_t *all[] = {channel_rows, people_rows};
    size_t sizes[] = {sizeof(channel_rows) / sizeof(channel_rows[0]),
                      sizeof(people_rows) / sizeof(people_rows[0])};
    for (int st = AUTH_BANNED; st <= AUTH_DEACTIVATED; st++) {
        for (size_t k = 0; k < 2; k++) {
            for (size_t i = 0; i < sizes[k]; i++) {
                auth_user_t u = {.id = 1, .role = AUTH_OWNER, .state = (auth_state_t)st};
                CHECK_EQ_INT(auth_can(&u, all[k][i].act, &all[k][i].t), AUTH_DENY);
                CHECK_EQ_INT(auth_can(NULL, all[k][i].act, &all[k][i].t), AUTH_DENY);
            }
        }
    }
}

/* A NULL target reads as all zeros. */
TEST(null_target)
{
    auth_user_t owner = {.id = 1, .role = AUTH_OWNER, .state = AUTH_ACTIVE};
    auth_user_t member = {.id = 2, .role = AUTH_MEMBER, .state = AUTH_ACTIVE};
    CHECK_EQ_INT(auth_can(&owner, AUTH_ACT_SEE, NULL), AUTH_DENY);
    CHECK_EQ_INT(auth_can(&member, AUTH_ACT_USERS_LIST, NULL), AUTH_ALLOW);
    CHECK_EQ_INT(auth_can(&owner, AUTH_ACT_INVITE_LIST, NULL), AUTH_ALLOW);
    CHECK_EQ_INT(auth_can(&member, AUTH_ACT_INVITE_LIST, NULL), AUTH_DENY);
    /* an action value outside the enum is refused */
    CHECK_EQ_INT(auth_can(&owner, (auth_action_t)99, NULL), AUTH_DENY);
}

int main(void)
{
    RUN(channel_actions);
    RUN(people_and_invites);
    RUN(table_covers_every_kind);
    RUN(inactive_actors);
    RUN(null_target);
    return TEST_MAIN_END();
}
