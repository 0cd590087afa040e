/* store - durable message storage, behind an interface so that SQLite (store_sqlite.c) and,
 * later, PostgreSQL are interchangeable without #ifdefs in callers (hiredis adapters style).
 *
 * Threading: every function here is called on the loop thread, and every callback fires on
 * the loop thread (the backend posts completions back through uv_async). Blocking work
 * (SQLite) runs on the backend's own thread, never on the loop.
 *
 * Ordering: operations complete in the order they were submitted. A query therefore sees
 * every append submitted before it (and possibly some submitted after it, committed in the
 * same group); the chat hub relies on this to splice history and live messages without a
 * gap or a duplicate.
 *
 * Durability: an append's callback fires with status 0 only after the transaction holding
 * it committed. A backend that cannot commit does not report failure message by message:
 * it logs and exits the process, because acknowledging later messages after losing earlier
 * ones would break the gapless seq promise (see docs/protocol.md). */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

/* One stored event of a channel: a message, or an edit, delete or reaction acting on one.
 * Every event has the channel's next seq. Strings are NUL-terminated UTF-8 (text has no NUL
 * inside). */
typedef struct {
    const char *channel;
    uint64_t seq;
    const char *user;
    const char *text;     /* msg, edit: the text; react, unreact: the emoji; delete: "" */
    int64_t ts;           /* Unix ms */
    const char *kind;     /* "msg" (NULL reads as msg), "edit", "delete", "react", "unreact" */
    uint64_t thread;      /* msg: the parent's seq for a thread reply, else 0 */
    uint64_t target;      /* edit, delete, react, unreact: the msg acted on, else 0 */
    const char *mentions; /* append: the names a msg mentions, each ending in a newline, or
                             NULL; queries leave it NULL */
    /* Queries with `replies` set: a msg's thread as of the answer, 0 when it has no reply. */
    uint32_t replies;      /* how many replies */
    uint64_t last_reply;   /* the newest one's seq */
    int64_t last_reply_ts; /* and its time */
    const char *cid;       /* the writer's client key (1-64 of A-Za-z0-9_-), NULL if none */
} store_msg_t;

/* A range of one channel's messages, returned oldest first.
 * after > 0 or forward:  seq > after, the oldest `limit` of them (resume; forward makes
 *             after = 0 mean "from the first message").
 * else before > 0: seq < before, the newest `limit` of them (scroll back).
 * else: the newest `limit` messages (history on join). */
typedef struct {
    const char *channel;
    uint64_t after;
    uint64_t before;
    unsigned limit;
    bool forward;
    uint64_t thread; /* > 0: only that thread, its parent and replies, oldest first (after,
                        before and forward ignored) */
    bool replies;    /* fill in each returned msg's replies, last_reply and last_reply_ts */
} store_query_t;

/* A channel's stored row. Strings are NUL-terminated UTF-8. */
typedef struct {
    const char *name;
    const char *kind; /* "public" or "private" */
    const char *topic;
    const char *created_by;
    int64_t ts; /* Unix ms of its creation */
} store_channel_t;

/* A change to channels or membership: written in the same transactions as messages and in
 * submission order with them, so a membership and the messages that follow it commit in
 * order. */
typedef enum {
    STORE_CHANNEL_PUT,   /* insert the channel, or update its kind and topic */
    STORE_MEMBER_ADD,    /* user joins channel ch.name (no-op if a member) */
    STORE_MEMBER_REMOVE, /* user leaves channel ch.name (no-op if not a member) */
    STORE_READ,          /* user has read ch.name up to seq (a marker that only advances) */
} store_change_kind_t;

typedef struct {
    store_change_kind_t kind;
    store_channel_t ch; /* PUT: the whole row; MEMBER_*: ch.name only */
    const char *user;   /* MEMBER_* */
    int64_t ts;         /* MEMBER_ADD: Unix ms */
    uint64_t seq;       /* READ */
} store_change_t;

typedef void (*store_channel_cb)(void *ctx, const store_channel_t *c);
typedef void (*store_member_cb)(void *ctx, const char *channel, const char *user);
typedef void (*store_read_cb)(void *ctx, const char *channel, const char *user, uint64_t seq);
typedef void (*store_reaction_cb)(void *ctx, const char *channel, uint64_t target, const char *user,
                                  const char *emoji, bool on);
typedef void (*store_mentioned_cb)(void *ctx, const char *channel, const char *user,
                                   uint64_t last_seq);

/* What store_load reports, each callback for every row of its kind. */
typedef struct {
    store_channel_cb channel;
    store_member_cb member;
    store_read_cb read;
    store_reaction_cb reaction;   /* every react/unreact event, in order */
    store_mentioned_cb mentioned; /* per channel and mentioned name, the newest such seq */
} store_load_t;

/* A full-text search: messages matching an FTS5 expression (the caller builds it from
 * quoted words and phrases), optionally only by one user or in one channel, newest first. */
typedef struct {
    const char *match;
    const char *user;    /* NULL: anyone */
    const char *channel; /* NULL: any channel */
    unsigned limit;
} store_search_t;

typedef struct {
    uint64_t appends; /* messages committed */
    uint64_t commits; /* transactions committed */
    uint64_t queries;
    uint64_t queued; /* operations waiting for the writer thread now */
} store_stats_t;

/* status is 0 once committed. Fires exactly once per accepted append. */
typedef void (*store_append_cb)(void *ctx, int status);
/* msgs (n of them, oldest first) are the store's, valid only during the callback. `more` is
 * true when further messages exist beyond the range returned (older ones for history,
 * newer ones for resume). status < 0: the query failed, msgs is NULL. */
typedef void (*store_query_cb)(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more);

typedef struct {
    /* Copies msg; cb fires after the commit. Returns 0, or < 0 when the store is closing
     * (cb will not fire). */
    int (*append)(store_t *s, const store_msg_t *msg, store_append_cb cb, void *ctx);
    /* Copies q; cb fires with the result. Returns 0, or < 0 when closing (no callback). */
    int (*query)(store_t *s, const store_query_t *q, store_query_cb cb, void *ctx);
    /* Copies c; cb (may be NULL) fires once committed (status 0). Returns 0, or < 0 when
     * closing. */
    int (*change)(store_t *s, const store_change_t *c, store_append_cb cb, void *ctx);
    /* Synchronous, for start-up: every stored channel (by name), then every membership, then
     * every read marker, then every reaction event in seq order (replaying them gives the
     * reactions in force). Strings are valid only during each call. Returns 0 or < 0. */
    int (*load)(store_t *s, const store_load_t *cbs, void *ctx);
    /* Copies q; cb fires with the matches (each row's channel set), newest first; `more`
     * when there were more than limit. Returns 0, or < 0 when closing. */
    int (*search)(store_t *s, const store_search_t *q, store_query_cb cb, void *ctx);
    /* The user's unread mentions (of the user, @channel or @here, after the user's read
     * marker): cb gets a row (channel and seq only) per mentioning message, by channel and
     * seq, at most 10,000. Like any query it may include messages committed in the same
     * group as later appends: callers bound it by seq. Returns 0, or < 0 when closing. */
    int (*mention_counts)(store_t *s, const char *user, store_query_cb cb, void *ctx);
    /* Synchronous: the highest committed seq of channel, 0 if none. For start-up only. */
    int (*last_seq)(store_t *s, const char *channel, uint64_t *out);
    void (*stats)(store_t *s, store_stats_t *out);
    /* Commits everything queued, stops the thread, and calls, before returning, every
     * callback still pending (appends with 0 once committed, queries with their result), so
     * callers' contexts are released. Then closes the database, its loop handle (freeing s
     * in the close callback), and lets the loop end. */
    void (*close)(store_t *s);
} store_backend_t;

struct store {
    const store_backend_t *be;
};

static inline int store_append(store_t *s, const store_msg_t *m, store_append_cb cb, void *ctx)
{
    return s->be->append(s, m, cb, ctx);
}
static inline int store_query(store_t *s, const store_query_t *q, store_query_cb cb, void *ctx)
{
    return s->be->query(s, q, cb, ctx);
}
static inline int store_change(store_t *s, const store_change_t *c, store_append_cb cb, void *ctx)
{
    return s->be->change(s, c, cb, ctx);
}
static inline int store_load(store_t *s, const store_load_t *cbs, void *ctx)
{
    return s->be->load(s, cbs, ctx);
}
static inline int store_search(store_t *s, const store_search_t *q, store_query_cb cb, void *ctx)
{
    return s->be->search(s, q, cb, ctx);
}
static inline int store_mention_counts(store_t *s, const char *user, store_query_cb cb, void *ctx)
{
    return s->be->mention_counts(s, user, cb, ctx);
}
static inline int store_last_seq(store_t *s, const char *channel, uint64_t *out)
{
    return s->be->last_seq(s, channel, out);
}
static inline void store_stats(store_t *s, store_stats_t *out)
{
    s->be->stats(s, out);
}
/* Status codes of completions (the store module's own work on them is in progress on
 * another branch: these shims keep the hub building until it lands). */
#ifndef STORE_EFAILED
#define STORE_ECONFLICT (-2)
#define STORE_EFAILED (-3)
static inline void store_recover(store_t *s)
{
    (void)s;
}
static inline int store_probe(store_t *s, store_append_cb cb, void *ctx)
{
    (void)s;
    cb(ctx, 0);
    return 0;
}
#endif
static inline void store_close(store_t *s)
{
    s->be->close(s);
}

#endif
