/* auth_policy - the one authorization check. Every action of every door (each request
 * type of the JSON protocol, the text modes, every REST endpoint) asks auth_can, with the
 * facts of the object it acts on; nothing else decides a right.
 *
 * The rules (docs/protocol.md, "Rights"):
 *   - nobody but an active user acts at all;
 *   - a channel the actor may not see (a private channel or a direct message they are not
 *     in) is AUTH_HIDDEN for every action: the caller answers as for a channel that does
 *     not exist;
 *   - guests read and post in public channels (and #general), join and leave public
 *     channels, edit and delete their own messages, react; they never create channels,
 *     open direct messages, invite, kick or set topics, and cannot be invited into a
 *     private channel;
 *   - members: all of that, plus create channels, open direct messages, invite into
 *     channels they are in (private ones: any member may invite; nobody into a DM or
 *     #general), set topics of channels they are in (not DMs), kick from a private
 *     channel they created;
 *   - admins and owners: also delete anyone's message and kick anyone from any channel but
 *     #general and direct messages; archive, unarchive and delete any such channel they can
 *     see (the creator of a private channel may archive and unarchive it too); administer
 *     users below their own role (owners: also other owners), grant roles below their own
 *     (owners: any), step down from their own role (the last owner cannot: auth answers
 *     that), create and revoke invites for roles up to their own;
 *   - a channel's incoming webhooks (create, list, revoke) are managed by whoever may archive
 *     it (moderators, a private channel's creator), and in #general by moderators; never in
 *     a direct message; also while archived (nothing posts there then);
 *   - an archived channel is read-only for everyone: it is seen (history, threads, search,
 *     read markers) and left, and its members kicked, but nobody posts, edits, deletes,
 *     reacts, joins, invites or sets its topic in it until it is unarchived.
 * Pure: no state, no I/O. */
#ifndef PARLEY_AUTH_POLICY_H
#define PARLEY_AUTH_POLICY_H

#include <stdbool.h>

#include "auth/auth.h"

typedef enum {
    AUTH_ACT_SEE,            /* a channel: history, thread, search hits, resume, read
                                markers, typing, join history, channel info */
    AUTH_ACT_POST,           /* msg, thread reply, react */
    AUTH_ACT_EDIT,           /* edit a message (t->own) */
    AUTH_ACT_DELETE,         /* delete a message (t->own, or a moderator) */
    AUTH_ACT_CHANNEL_CREATE, /* t->kind: the kind asked for */
    AUTH_ACT_CHANNEL_JOIN,   /* join a channel one is not in */
    AUTH_ACT_CHANNEL_LEAVE,
    AUTH_ACT_CHANNEL_INVITE, /* t->other: the invitee's role */
    AUTH_ACT_CHANNEL_KICK,   /* t->other: the removed member's role */
    AUTH_ACT_CHANNEL_TOPIC,
    AUTH_ACT_CHANNEL_ARCHIVE, /* archive or unarchive */
    AUTH_ACT_CHANNEL_DELETE,  /* the channel and everything in it */
    AUTH_ACT_DM_OPEN,         /* t->other: the lowest role among the others (guests: refused) */
    AUTH_ACT_USERS_LIST,      /* the people directory (REST) */
    AUTH_ACT_USER_ADMIN,      /* ban, unban, deactivate, activate, reset link: t->other */
    AUTH_ACT_USER_ROLE,       /* t->other: the user's role now, t->role: the new one */
    AUTH_ACT_INVITE_CREATE,   /* t->role: the role granted */
    AUTH_ACT_INVITE_LIST,
    AUTH_ACT_INVITE_REVOKE,
    AUTH_ACT_BOT_ADMIN,   /* create bots, list them, revoke and renew their tokens */
    AUTH_ACT_HOOK_MANAGE, /* a channel's incoming webhooks: create, list, revoke */
} auth_action_t;

typedef enum {
    AUTH_CH_NONE,    /* not about a channel */
    AUTH_CH_GENERAL, /* #general: everyone is in it for good */
    AUTH_CH_PUBLIC,
    AUTH_CH_PRIVATE,
    AUTH_CH_DM,
} auth_chan_t;

/* The facts of the object acted on; zero for what does not apply. */
typedef struct {
    auth_chan_t kind;
    bool member;       /* the actor is in the channel */
    bool creator;      /* the actor created the channel */
    bool archived;     /* the channel is archived (read-only) */
    bool own;          /* EDIT, DELETE: the actor wrote the message */
    auth_role_t other; /* the other user of INVITE, KICK, DM_OPEN, USER_* */
    bool other_self;   /* USER_*: the actor acts on themself */
    auth_role_t role;  /* USER_ROLE, INVITE_CREATE: the role given */
} auth_target_t;

typedef enum {
    AUTH_ALLOW = 0,
    AUTH_DENY = -1,   /* answer `forbidden` */
    AUTH_HIDDEN = -2, /* answer as if the channel did not exist (`no_such_channel`) */
} auth_verdict_t;

auth_verdict_t auth_can(const auth_user_t *actor, auth_action_t act, const auth_target_t *t);

#endif
