/* chat_channel - the channel model: what a channel is and holds in memory, with no
 * knowledge of sessions, requests or the store.
 *
 * A channel has its stored properties (name, kind, topic, creator), its stored members (by
 * user id: a guest's name can pass to someone else, its memberships must not; #general has
 * everyone), read markers, the reactions in force, the pinned messages, the seq of its
 * newest @channel/@here, the newest committed messages kept encoded (the recent ring, which
 * answers joins and short resumes without the store), and the links of the sessions
 * connected to it. Committing a message (chat_channel_commit) is the one way the ring and
 * `committed` move; the hub is its only caller.
 *
 * The struct is private to chat_channel.c. */
#ifndef PARLEY_CHAT_CHANNEL_H
#define PARLEY_CHAT_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/blob.h"
#include "auth/auth.h"
#include "base/buf.h"
#include "chat/chat_defs.h"
#include "chat/chat_link.h"
#include "chat/chat_payload.h"
#include "store/store.h"

#define CHAT_TOPIC_MAX 250        /* code points */
#define CHAT_CHANNELS_MAX 4096    /* channels on one server, #general included */
#define CHAT_DM_MAX 8             /* people in a direct message */
#define CHAT_MEMBERS_LISTED 1000  /* people a channel_members answer lists */
#define CHAT_LIST_PAGE 500        /* channels a channel_list answer lists at most */
#define CHAT_WELCOME_CHANNELS 200 /* channels a welcome lists; channel_list pages the rest */
#define CHAT_REACT_EMOJI_MAX 50   /* distinct emoji on one message */
#define CHAT_REACT_USER_MAX 20    /* reactions of one user on one message */

typedef enum { CHAT_KIND_PUBLIC, CHAT_KIND_PRIVATE, CHAT_KIND_DM } chat_kind_t;

/* A recently committed message of the ring. */
typedef struct {
    uint64_t seq;
    blob_t *frame;    /* its encoded JSON frame, as fan-out sent it */
    uint64_t user_id; /* its author, for edit and delete rights without the store */
    uint64_t thread;  /* a msg's parent, 0 when not a reply */
    int64_t ts;       /* Unix ms, for its parent's last-reply time */
    uint64_t target;  /* an event's target, 0 for a msg */
    uint8_t kind;     /* a chat_ev_t */
    bool deleted;     /* a msg whose delete was accepted */
} chat_recent_t;

/* A new channel, with no members and nothing committed; strings are copied. general: the
 * one channel every user is in. */
chat_channel_t *chat_channel_new(const char *name, chat_kind_t kind, const char *topic,
                                 const char *created_by, uint64_t creator_id, int64_t ts,
                                 bool general);
/* Frees it and its ring; its links must be gone. */
void chat_channel_free(chat_channel_t *ch);

/* The index its registry gave it (the hub's, for its per-channel ordering state). */
size_t chat_channel_slot(const chat_channel_t *ch);
void chat_channel_set_slot(chat_channel_t *ch, size_t slot);

/* Stored properties. */
const char *chat_channel_name(const chat_channel_t *ch);
chat_kind_t chat_channel_kind(const chat_channel_t *ch);
const char *chat_channel_kind_name(const chat_channel_t *ch); /* "public", "private", "dm" */
bool chat_channel_is_general(const chat_channel_t *ch);
const char *chat_channel_topic(const chat_channel_t *ch);
void chat_channel_set_topic(chat_channel_t *ch, const char *topic); /* copied */
void chat_channel_set_kind(chat_channel_t *ch, chat_kind_t kind);
/* A channel whose creation the store failed to keep: it exists in memory only, so its name
 * is free again (a retry adopts it) and nobody is shown it. A deleted channel is unstored
 * too. */
bool chat_channel_unstored(const chat_channel_t *ch);
void chat_channel_set_unstored(chat_channel_t *ch, bool unstored);
/* Archived: read-only (auth_can decides what that allows); in the stored row. */
bool chat_channel_archived(const chat_channel_t *ch);
void chat_channel_set_archived(chat_channel_t *ch, bool archived);
/* Deleted: a tombstone. Nobody finds it by its name (the hub's lookup skips it) and it is
 * unstored, so that nothing more is written to it; it is never adopted and never freed
 * before the hub, so that a pointer to it held by a request in flight stays valid. */
bool chat_channel_deleted(const chat_channel_t *ch);
void chat_channel_set_deleted(chat_channel_t *ch, bool deleted);
/* Frees what a deleted channel held: its members, read markers, reactions and ring (its
 * links must be gone). */
void chat_channel_forget(chat_channel_t *ch);
/* The row the store keeps for it (strings borrowed from ch). */
store_channel_t chat_channel_row(const chat_channel_t *ch);
/* Slack's rules: 1-80 of a-z 0-9 - _, not starting with - or _. */
bool chat_channel_name_valid(const char *name, size_t len);

/* The creator's user id (0: none, or from before accounts). */
uint64_t chat_channel_creator(const chat_channel_t *ch);
/* Who made it and when (copied): an unstored channel is made again by someone else. */
void chat_channel_set_creator(chat_channel_t *ch, const char *created_by, uint64_t creator_id,
                              int64_t ts);

/* Stored membership by user id (#general: everyone; id 0, nobody's, is in no other). */
bool chat_channel_has_user(const chat_channel_t *ch, uint64_t user);
void chat_channel_user_add(chat_channel_t *ch, uint64_t user);
void chat_channel_user_remove(chat_channel_t *ch, uint64_t user);
size_t chat_channel_nusers(const chat_channel_t *ch);
uint64_t chat_channel_user_at(const chat_channel_t *ch, size_t i); /* by id */

/* Read markers: 0 when nothing is read; a marker only moves forward. */
uint64_t chat_channel_read_get(const chat_channel_t *ch, uint64_t user);
void chat_channel_read_set(chat_channel_t *ch, uint64_t user, uint64_t seq);
/* Puts a marker back where it was (a move the store failed to keep). */
void chat_channel_read_restore(chat_channel_t *ch, uint64_t user, uint64_t seq);

/* Notification levels (chat_notify.h), each user's own; CHAT_NOTIFY_ALL, the default, is
 * held as no entry. A level stays when its user leaves (so a return finds it). */
typedef enum { CHAT_NOTIFY_ALL, CHAT_NOTIFY_MENTIONS, CHAT_NOTIFY_MUTED } chat_notify_level_t;
chat_notify_level_t chat_channel_notify_get(const chat_channel_t *ch, uint64_t user);
void chat_channel_notify_set(chat_channel_t *ch, uint64_t user, chat_notify_level_t level);
/* "all", "mentions" or "muted", as the protocol and the store name them. */
const char *chat_channel_notify_name(chat_notify_level_t level);
/* The users with a level other than CHAT_NOTIFY_ALL: how many, and the i-th by id. */
size_t chat_channel_notify_count(const chat_channel_t *ch);
uint64_t chat_channel_notify_user_at(const chat_channel_t *ch, size_t i);
/* name (any of those three) as a level into *out; false for anything else (NULL too). */
bool chat_channel_notify_parse(const char *name, chat_notify_level_t *out);

/* Reactions in force: whether user has emoji on target, and toggling it. */
bool chat_channel_reacted(const chat_channel_t *ch, uint64_t target, const char *emoji,
                          uint64_t user);
void chat_channel_reaction_set(chat_channel_t *ch, uint64_t target, const char *emoji,
                               uint64_t user, bool on);
/* Whether user may put emoji on target, which they have not: NULL when yes, else why not
 * (a static sentence): it would be a distinct emoji past CHAT_REACT_EMOJI_MAX on the
 * message, or a reaction of user's past CHAT_REACT_USER_MAX on it. Taking one off is
 * always allowed, and so is an emoji the message already has, up to the second bound. */
const char *chat_channel_react_refusal(const chat_channel_t *ch, uint64_t target, const char *emoji,
                                       uint64_t user);

/* Pins: the msgs pinned in the channel, at most CHAT_PINS_MAX (a pin past it is refused
 * when asked; one committed anyway, from a race or another process, is held all the same).
 * Moved by committed pin, unpin and delete events (chat_channel_commit) and at start-up
 * (chat_channel_pin_set, the store's pin events in seq order). */
#define CHAT_PINS_MAX 100
typedef struct {
    uint64_t target;  /* the msg pinned */
    uint64_t seq;     /* the pin event's seq */
    uint64_t user_id; /* who pinned it */
    int64_t ts;       /* when */
    char *user;       /* their name as shown then (owned by the channel; NULL when loaded:
                         the store's pin rows carry the id only) */
} chat_pin_t;
bool chat_channel_pinned(const chat_channel_t *ch, uint64_t target);
size_t chat_channel_npins(const chat_channel_t *ch);
/* The pins, newest pin first, borrowed until the next commit. */
const chat_pin_t *chat_channel_pins(const chat_channel_t *ch);
/* Pins (on) or unpins pin->target; pin->user is copied. */
void chat_channel_pin_set(chat_channel_t *ch, const chat_pin_t *pin, bool on);

/* The newest message mentioning @channel or @here (0: none), and noting one. */
uint64_t chat_channel_everyone_seq(const chat_channel_t *ch);
void chat_channel_note_everyone(chat_channel_t *ch, uint64_t seq);

/* Channel lines (joined, left, topic): their seqs, noted by chat_channel_commit and at
 * start-up (any order, once each). The unread count of user: the events after their read
 * marker up to `committed`, lines not counted. */
void chat_channel_note_line(chat_channel_t *ch, uint64_t seq);
uint64_t chat_channel_unread(const chat_channel_t *ch, uint64_t user);

/* Commits: the highest seq stored and fanned out, and the one step that moves it: m (with
 * its JSON frame, referenced) joins the ring. A delete marks its target deleted (and
 * unpins it); a pin or unpin moves the pins. */
uint64_t chat_channel_committed(const chat_channel_t *ch);
void chat_channel_commit(chat_channel_t *ch, const store_msg_t *m, blob_t *json_frame);
/* Start-up: committed is seq (read from the store); the store's newest messages, oldest
 * first, fill the ring when they reach it (else the ring stays unprimed: the store keeps
 * answering, nothing is lost but speed). */
void chat_channel_set_committed(chat_channel_t *ch, uint64_t seq);
void chat_channel_prime(chat_channel_t *ch, const store_msg_t *msgs, size_t n);

/* The ring. The entry of seq, or NULL when the ring does not hold it. */
const chat_recent_t *chat_channel_recent(const chat_channel_t *ch, uint64_t seq);
/* A delete of seq was accepted: later edits and deletes of it are refused at once. */
void chat_channel_recent_delete(chat_channel_t *ch, uint64_t seq);
/* That delete was not stored after all: seq is a message again. */
void chat_channel_recent_undelete(chat_channel_t *ch, uint64_t seq);
/* True when the ring holds every message with seq > after up to `committed`. */
bool chat_channel_recent_covers(const chat_channel_t *ch, uint64_t after);
/* The JSON frame of a covered seq, borrowed. */
blob_t *chat_channel_recent_frame(const chat_channel_t *ch, uint64_t seq);
/* The `history` frame of the newest `want` messages with their reply counts, a new
 * reference (built once per commit); NULL when the ring cannot answer it. plain: without
 * events and deleted messages (for a session without events; built on each call). */
blob_t *chat_channel_join_history(chat_channel_t *ch, unsigned want, bool plain);

/* Connected members. chat_channel_link puts l (its fmt set) on the member list and starts
 * its splice after what is committed now. */
void chat_channel_link(chat_channel_t *ch, chat_link_t *l);
void chat_channel_unlink(chat_channel_t *ch, chat_link_t *l);
/* The connected members, in no order: *out[0 .. n-1], valid until the next link or unlink
 * of ch (so a caller that may make a member leave copies what it needs first). */
size_t chat_channel_members(const chat_channel_t *ch, chat_link_t *const **out);
/* Connected members receiving format fmt. */
unsigned chat_channel_nfmt(const chat_channel_t *ch, chat_fmt_t fmt);

/* Appends {"name","kind","topic",["users"],["archived": true],"members","last_seq"}; for a user (0:
 * none) also "read_seq", "unread" (chat_channel_unread) and "notify" (only when not "all");
 * "mentions" unless it is negative. members: the count shown (the caller knows #general's:
 * who is online). A DM's "users" are its members' names, from auth, sorted. */
void chat_channel_json(const chat_channel_t *ch, const auth_t *auth, uint64_t user, size_t members,
                       int64_t mentions, buf_t *out);

#endif
