/* chat_hub - the chat domain's shared state: channels, who is online, and the path of a
 * message from "accepted" through "stored" to "acknowledged and fanned out".
 *
 * The hub never touches a file descriptor. It hands encoded frames (blobs) to sessions
 * through a transport given by the server, and persists through a store_t.
 *
 * Message flow: chat_hub_publish assigns the channel's next seq, queues the message on the
 * channel's pending list and appends it to the store. The store completes appends in order;
 * each completion pops the head of the pending list, acks the sender (if still connected)
 * and fans the message out: one frame per wire format, built only if some member speaks
 * that format, shared by reference by every recipient.
 *
 * History splice: a session that asked for its join history or a resume is "held" until the
 * store answers; fan-out skips held sessions (the store's answer includes what they
 * missed, because the store serves operations in order) and, afterwards, any seq the
 * session already got (last_sent). So a session never sees a gap or a duplicate. */
#ifndef PARLEY_CHAT_HUB_H
#define PARLEY_CHAT_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/blob.h"
#include "base/buf.h"
#include "chat/chat.h"
#include "chat/chat_payload.h"
#include "store/store.h"

#define CHAT_NAME_MAX 32    /* default longest user name, in code points */
#define CHAT_NAME_BYTES 256 /* hard cap on a name's UTF-8 bytes, whatever --max-name says */
#define CHAT_CHANNEL_MAX 80
#define CHAT_TOKEN_LEN 32   /* session tokens: 32 hex digits */
#define CHAT_ONLINE_MAX 100 /* names listed in a welcome; online_count has the total */
#define CHAT_RECENT 256     /* committed messages each channel keeps encoded in memory */

typedef struct chat_channel chat_channel_t;
typedef struct chat_presence chat_presence_t;
typedef struct chat_link chat_link_t;

/* A user's read marker in a channel: every seq up to it has been seen. */
typedef struct {
    char *user;
    uint64_t seq;
} chat_read_t;

typedef enum {
    CHAT_FMT_JSON = 0,     /* the JSON protocol */
    CHAT_FMT_CLIENTID = 1, /* "{user}: {text}" (seeds 002-004) */
    CHAT_FMT_LINE = 2,     /* "[HH:MM:SS] {user}: {text}" (seed 000) */
    CHAT_FMT_COUNT
} chat_fmt_t;

typedef struct {
    uint64_t published, delivered, sessions, rejected;
} chat_stats_t;

/* A message between accept and commit. */
typedef struct chat_msg {
    struct chat_msg *next;
    chat_session_t *sender; /* NULL once the sender went away */
    uint64_t seq;
    int64_t ts;
    char *user;
    char *text;
    const char *kind; /* a static string: "msg", "edit", "delete", "react", "unreact" */
    uint64_t thread, target;
    char id[400]; /* the request id as JSON text, "" if none */
} chat_msg_t;

/* A reaction in force: user put emoji on the message with seq target. */
typedef struct {
    uint64_t target;
    char *emoji;
    char *user;
} chat_reaction_t;

/* A recently committed message, kept as its encoded JSON `msg` frame: joins and short
 * resumes are answered from these without the store and without encoding anything. */
typedef struct {
    uint64_t seq;
    blob_t *frame;
    char *user;      /* its author, for edit and delete rights without the store */
    uint64_t thread; /* a msg's parent, 0 when not a reply */
    int64_t ts;      /* Unix ms, for its parent's last-reply time */
    uint8_t kind;    /* a chat_ev_t */
    bool deleted;    /* a msg deleted since */
} chat_recent_t;

/* A session's membership of one channel, on the channel's member list and the session's
 * list of channels. The splice state is per channel: a session held for one channel's
 * history or resume still receives the others live. */
struct chat_link {
    chat_session_t *s;
    chat_channel_t *ch;
    chat_link_t *prev, *next; /* the channel's members */
    chat_link_t *s_next;      /* the session's channels */
    uint64_t last_sent;       /* highest seq of ch sent to s */
    unsigned held;            /* history or resume answers outstanding for ch */
    bool embedded;            /* the session's #general link, inside the session */
};

struct chat_channel {
    chat_hub_t *hub;
    chat_channel_t *next; /* the hub's other channels (#general is not on the list) */
    /* The newest committed messages, contiguous up to `committed` once primed (at start-up
     * from the store). A ring: entry i (0 = oldest) is recent[(recent_head + i) % N]. */
    chat_recent_t recent[CHAT_RECENT];
    unsigned recent_head, recent_len;
    bool recent_primed;
    blob_t *join_history; /* the history frame a joiner gets, until the next commit */
    char name[CHAT_CHANNEL_MAX + 1];
    bool priv;          /* private: by invitation only */
    bool dm;            /* a direct message: private, its members fixed at creation */
    char *topic;        /* never NULL once created */
    char *created_by;   /* "" for #general */
    int64_t created_ts; /* Unix ms */
    char **users;       /* stored members, sorted (none kept for #general: everyone) */
    size_t nusers, users_cap;
    chat_read_t *reads; /* read markers, sorted by user */
    size_t nreads, reads_cap;
    chat_reaction_t *reactions; /* in force, in the order they were made */
    size_t nreactions, reactions_cap;
    uint64_t everyone_seq;         /* the newest message mentioning @channel or @here, 0 if none */
    uint64_t last_seq;             /* highest seq assigned */
    uint64_t committed;            /* highest seq stored and fanned out */
    chat_link_t *members;          /* connected sessions in the channel */
    unsigned nfmt[CHAT_FMT_COUNT]; /* members per wire format */
    chat_msg_t *pend_head, *pend_tail;
};

struct chat_presence {
    chat_presence_t *next;
    char *name;
    char token[CHAT_TOKEN_LEN + 1]; /* "" for text-mode users, who cannot present one */
    unsigned conns;
    chat_session_t *sessions; /* the user's JSON sessions (s->pres_next) */
};

struct chat_hub {
    store_t *store;
    chat_config_t cfg;
    const chat_transport_t *t;
    chat_channel_t general;
    chat_channel_t *channels; /* every other channel, newest first */
    size_t nchannels;
    chat_presence_t *presence[256];
    size_t online;
    chat_stats_t stats;
    bool loading, load_failed; /* chat_hub_load in progress, and whether it failed */
    char **mentioned; /* every name ever mentioned, sorted: who may have mentions to count */
    size_t nmentioned, mentioned_cap;
};

/* The channel called name, or NULL. */
chat_channel_t *chat_hub_channel(chat_hub_t *h, const char *name);
/* Adds a channel (name unused and valid; strings copied), with no members, and reads its
 * last seq from the store. */
chat_channel_t *chat_hub_channel_add(chat_hub_t *h, const char *name, bool priv, const char *topic,
                                     const char *created_by, int64_t ts);
/* Presence: a user's connections. chat_hub_presence_add returns the entry and sets *first
 * when this is the user's first connection. A name held with a different token is
 * refused (NULL). token may be NULL or "" (text modes, or a browser without one yet). */
chat_presence_t *chat_hub_presence_add(chat_hub_t *h, const char *name, const char *token,
                                       bool *first);
/* The presence entry of a connected user, or NULL. */
chat_presence_t *chat_hub_presence(chat_hub_t *h, const char *name);
/* True when a connected user holds name. */
bool chat_hub_online(chat_hub_t *h, const char *name);
/* Drops one connection; returns true when it was the user's last. */
bool chat_hub_presence_remove(chat_hub_t *h, chat_presence_t *p);
/* Appends the online names as a JSON array (at most CHAT_ONLINE_MAX). */
void chat_hub_online_json(chat_hub_t *h, buf_t *out);

/* Member lists: links s into ch (the caller sets last_sent) or out of it; no-op when it
 * already is, or is not, a member. */
chat_link_t *chat_hub_member_add(chat_channel_t *ch, chat_session_t *s);
void chat_hub_member_remove(chat_channel_t *ch, chat_session_t *s);
/* s's link to ch, or NULL. */
chat_link_t *chat_hub_link(chat_session_t *s, const chat_channel_t *ch);

/* Accepts a message: assigns its seq and stores it; the ack (to sender, with id) and the
 * fan-out follow the commit. user and text are copied. */
void chat_hub_publish(chat_hub_t *h, chat_channel_t *ch, chat_session_t *sender, const char *user,
                      const char *text, size_t len, const char *id);
/* The same for any event: kind, and the thread (msg) or target (the others). */
void chat_hub_publish_event(chat_hub_t *h, chat_channel_t *ch, chat_session_t *sender,
                            const char *user, chat_ev_t kind, const char *text, size_t len,
                            uint64_t thread, uint64_t target, const char *id);
/* The recent-ring entry of seq, or NULL when the ring does not hold it. */
const chat_recent_t *chat_hub_recent(const chat_channel_t *ch, uint64_t seq);
/* Whether user may have unread mentions: named in some message, or a channel they are in
 * has an @channel or @here after their read marker. False means a join can skip asking
 * the store. */
bool chat_hub_may_have_mentions(chat_hub_t *h, const char *user);

/* Reactions in force: whether user has emoji on target, and toggling it. */
bool chat_hub_reacted(const chat_channel_t *ch, uint64_t target, const char *emoji,
                      const char *user);
void chat_hub_reaction_set(chat_channel_t *ch, uint64_t target, const char *emoji, const char *user,
                           bool on);
/* Forgets s as the sender of pending messages (it is going away). */
void chat_hub_forget_sender(chat_hub_t *h, chat_session_t *s);

/* Presence events: JSON members get {"type":"join"|"leave"}, client-id members get
 * "{user} has entered|left the chat". `except` (may be NULL) is skipped. */
void chat_hub_announce(chat_hub_t *h, chat_channel_t *ch, const char *user, bool entered,
                       chat_session_t *except);
/* Sends frame to the JSON members of ch, except `except`. */
void chat_hub_send_json_members(chat_hub_t *h, chat_channel_t *ch, blob_t *frame,
                                chat_session_t *except);

/* Recent messages. True when the ring holds every message with seq > after (up to the
 * committed one): a resume from `after` can be answered from it. */
bool chat_hub_recent_covers(const chat_channel_t *ch, uint64_t after);
/* The JSON msg frame of the message with the given seq (covered), borrowed. */
blob_t *chat_hub_recent_frame(const chat_channel_t *ch, uint64_t seq);
/* The history frame for a join (the newest cfg.history messages), a new reference; NULL
 * when the ring cannot answer (not primed yet, or too short), then the store must. */
blob_t *chat_hub_join_history(chat_hub_t *h, chat_channel_t *ch);

#endif
