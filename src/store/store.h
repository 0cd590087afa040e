/* store - durable message storage, behind an interface so that SQLite (store_sqlite.c) and,
 * later, PostgreSQL are interchangeable without #ifdefs in callers (hiredis adapters style).
 * store_open (store_open.h) picks the backend from a URL; a backend with a writer thread plugs into
 * the shared worker (store_worker.h), which gives it this whole interface.
 *
 * Threading: every function here is called on the loop thread, and every callback fires on
 * the loop thread. Blocking work runs on the backend's own threads, never on the loop: writes
 * on one, reads (queries, searches, mention counts, positions) on others with their own
 * connections, so that no acknowledgement ever waits behind a read.
 *
 * Completions: each operation carries its own callback and context, and a caller finds its
 * state through that context only, never by counting completions. The order they come in:
 * - Writes (appends, changes, probes) complete in the order they were submitted.
 * - Reads complete in no promised order, among themselves or with writes: a read submitted
 *   after a write may be answered before it, and the other way round.
 * - What a read sees: every write whose callback fired before the read was submitted, and
 *   possibly writes committed later, up to when the read starts (one snapshot per read in
 *   SQLite's WAL). So a read may miss writes whose callbacks fire before its own, and it may
 *   hold writes whose callbacks have not fired yet: a caller splicing an answer with live
 *   writes bounds the answer by what it had committed when it asked, and takes what came
 *   later from its own memory (chat_history.c does).
 *
 * Reads have an owner (store_query_t.owner, store_search_t.owner, the owner of mention_counts
 * and positions): store_cancel(s, owner) answers that owner's reads not run yet
 * STORE_ECANCELED without running them, and abandons the one running if it is the owner's
 * (also STORE_ECANCELED), so the reads of a client that went away cost nothing more. Every
 * read also has a cost budget (work done, not time: the same read costs the same on a busy
 * machine); one past it is abandoned and answered STORE_EBUDGET.
 *
 * Durability: a write's callback fires with status 0 only after the transaction holding it
 * committed (synchronous=FULL: also after fsync).
 *
 * Failure (the contract a hub builds "error unavailable" on):
 * - When a write transaction fails (the disk is full, an I/O error, a constraint a caller
 *   broke), it is rolled back: nothing of it is stored, and every append, change and probe
 *   in it is answered STORE_EFAILED.
 * - The store is then *failed*: every write already queued behind that transaction, and
 *   every write submitted later, is answered STORE_EFAILED without being attempted. Those
 *   writes were submitted assuming the earlier ones commit; storing them would leave a hole
 *   in a channel's seqs.
 * - store_recover(s) ends the failed state for the writes submitted after the call (those
 *   queued before it are still answered STORE_EFAILED). A write that fails after that starts
 *   a new failed state.
 * - store_probe(s) performs one real small write, attempted even in the failed state, and
 *   answers 0 or STORE_EFAILED: the owner probes until it succeeds, then recovers.
 * - Queries, searches and counts keep running in the failed state.
 * - store_stats reports `failed` (from a failed transaction until store_recover) and
 *   `failures` (failed transactions since open). Nothing here exits the process.
 *
 * Groups (one request, one transaction): every append and change submitted between
 * store_group_begin(s) and store_group_end(s) is written in one transaction, so a kill -9
 * leaves all of them stored or none (a DM with all its members or none, a channel with its
 * creator or without its row). Without a group a backend may cut its transactions anywhere
 * between two operations.
 * - Both calls are the loop thread's, with no return to the loop in between: the group is
 *   everything submitted between them, by anyone. Groups do not nest (begin inside a group,
 *   or end outside one, is a bug and asserts), and store_recover is not called inside one.
 * - Nothing waits for a group to fill: end closes it, and its operations go to the backend
 *   at once; before end the backend does not start on any of them. A group's size is the
 *   caller's to bound (a backend's batch limit does not cut it).
 * - Reads submitted inside a group are not part of it (they are answered as any read), and
 *   probes keep their place among the writes, each in its own transaction.
 * - Failure: the group commits or fails whole. A write of it that fails (STORE_EFAILED)
 *   fails the transaction, and every append and change of the group is answered
 *   STORE_EFAILED, none stored; the store enters the failed state as for any failed
 *   transaction. In the failed state a group is refused whole, untried (its writes share
 *   the epoch of their submission). STORE_ECONFLICT (CHANNEL_CREATE, USER_CREATE, USER_PUT)
 *   is an answer, not a failure: that change did nothing and the rest of the group still
 *   commits, so a caller whose later changes depend on a CREATE's success checks for the
 *   conflict before it groups them (chat knows which channel names are taken).
 * - Callbacks fire as for writes outside a group, once each, in submission order, after the
 *   commit (or the failure) of the whole group. */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uv_loop_s; /* libuv's uv_loop_t: callers of store.h need not include uv.h */

typedef struct store store_t;

/* Status codes, in callbacks and as returns (0: ok). */
#define STORE_EFAILED (-1)   /* the write was not stored (see Failure), or a query failed */
#define STORE_ECONFLICT (-2) /* CHANNEL_CREATE, USER_CREATE, USER_PUT: taken; nothing changed */
#define STORE_ECLOSED (-3)   /* returned at submission: the store is closing; no callback */
#define STORE_EINVAL (-4)    /* returned at submission: a malformed argument; no callback */
#define STORE_ECANCELED (-5) /* a read: its owner canceled it, or the store closed first */
#define STORE_EBUDGET (-6)   /* a read: past its cost budget, abandoned (a search too broad) */

#define STORE_CID_MAX 64          /* bytes of a client key */
#define STORE_KEYED_MAX 65536     /* keyed events reported by store_load */
#define STORE_MENTIONS_MAX 10000  /* rows of store_mention_counts */
#define STORE_POSITIONS_MAX 65536 /* rows of store_positions (far above CHAT_CHANNELS_MAX) */
#define STORE_MENTION_ALL 0       /* the mention "user" of @channel and @here: everyone in it */

/* One stored event of a channel: a message, or an edit, delete or reaction acting on one.
 * Every event has the channel's next seq. Strings are NUL-terminated UTF-8 (text has no NUL
 * inside). */
typedef struct {
    const char *channel;
    /* Appends: the event's seq, or 0: the store assigns it at commit, one more than the
     * highest seq stored in that channel (under the channel's lock, so that writers in several
     * processes never get the same seq nor leave a gap; commit order per channel is seq
     * order). In that mode (seq 0) an event whose (channel, user_id, cid) is already stored
     * (cid non-empty; any kind) is not stored again: the answer carries the original's seq
     * (the lowest, should several rows hold that key) with `duplicate` true. With a given
     * seq (> 0, at most INT64_MAX) nothing changes: no dedupe (the hub dedupes in memory),
     * and a seq already taken fails the write (see Failure). Seq-0 appends of one channel in
     * one transaction each get the next, also after a given-seq append of that channel in
     * it. Queries: the event's seq. */
    uint64_t seq;
    const char *user; /* the author's name, as shown */
    /* The author's account (auth's user id; guests are users too): what rights and per-user
     * state key on, since a guest's name can pass to someone else once its hold lapses. 0
     * for none: line mode's writers, and rows from before accounts that no user took. */
    uint64_t user_id;
    const char *text; /* msg, edit: the text; react, unreact: the emoji; delete, pin, unpin:
                         "" */
    int64_t ts;       /* Unix ms */
    /* "msg" (NULL reads as msg), "edit", "delete", "react", "unreact", "pin", "unpin" (pins
     * indexed from sqlite v13, pg v6); the channel lines "joined", "left", "topic" (text: the
     * member's name or the new topic; target: the member's user id or 0) are stored and read
     * like the others, never searched */
    const char *kind;
    uint64_t thread; /* msg: the parent's seq for a thread reply, else 0 */
    uint64_t target; /* edit, delete, react, unreact, pin, unpin: the msg acted on, else 0 */
    /* append: the user ids a msg mentions (STORE_MENTION_ALL for @channel and @here), no
     * id twice; queries leave them NULL and 0. */
    const uint64_t *mentions;
    size_t nmentions;
    /* Queries with `replies` set: a msg's thread as of the answer, 0 when it has no reply. */
    uint32_t replies;      /* how many replies */
    uint64_t last_reply;   /* the newest one's seq */
    int64_t last_reply_ts; /* and its time */
    /* The client's key for exactly-once retries: append: NULL or "" for none, else 1 to
     * STORE_CID_MAX bytes of A-Za-z0-9_- (store_cid_valid). Queries: "" when none. */
    const char *cid;
    /* The author wrote as a guest (not an account): kept with the row, so the mark stays
     * true after the guest's name lapses or is registered by someone else. */
    bool guest;
    /* Queries: what later events did to a msg. A deleted msg comes with text "" (and so do
     * the edits of it: no answer carries a deleted text); an edited one with its latest
     * text. The events themselves still come in their place. Appends ignore both. */
    bool deleted, edited;
    /* msg: the files it carries (schema: sqlite v9, postgresql v2), as the JSON array the
     * server built when it was sent ("[{\"id\":...}]", docs/protocol.md "Files"); NULL or ""
     * for none. Stored and returned as it is; a delete blanks it with the text. */
    const char *files;
    /* msg: the integration that posted it (schema: sqlite v14, postgresql v7), as the JSON
     * object the server built ("{\"name\":...}", docs/protocol.md "Incoming webhooks");
     * NULL or "" for a person's message. Stored and returned as it is, kept by a delete. */
    const char *app;
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
    uint64_t thread;   /* > 0: only that thread, its parent and replies, oldest first (after,
                          before and forward ignored) */
    bool replies;      /* fill in each returned msg's replies, last_reply and last_reply_ts */
    const void *owner; /* who asked, for store_cancel (NULL: nobody that cancels) */
    /* nseqs > 0 (at most STORE_SEQS_MAX): only the msgs among these seqs (kind msg; a seq
     * that is none is skipped), oldest first, at most limit; every other mode is ignored.
     * Copied at submission. (A channel's pinned messages.) */
    const uint64_t *seqs;
    size_t nseqs;
    /* > 0 (and nseqs 0): the msg of that seq, then the edits of it, oldest first, at most
     * limit rows in all (`more` past them); every other mode is ignored. The msg's row
     * carries its original text (as first sent: schema sqlite v13, pg v6; "" for a msg
     * edited before that, whose first text was not kept); the edits their own. Nothing
     * when that seq is no msg. A deleted msg comes with text "" and its edits too. */
    uint64_t edits;
} store_query_t;

#define STORE_SEQS_MAX 1000 /* seqs of one store_query_t */

/* A channel's stored row. Strings are NUL-terminated UTF-8. */
typedef struct {
    const char *name;
    const char *kind; /* "public" or "private" */
    const char *topic;
    const char *created_by; /* its creator's name, as shown */
    uint64_t creator_id;    /* and user id (0: none, or from before accounts) */
    int64_t ts;             /* Unix ms of its creation */
    bool archived;          /* read-only (schema v6) */
} store_channel_t;

/* ---- accounts (schema v4) ----
 * The rows auth keeps (src/auth): users, their sessions, invites and reset links. Ids are
 * assigned by the caller (> 0, never reused). Strings are NUL-terminated UTF-8; NULL is
 * allowed only where stated. Secrets are never stored: tokens only as their hash. */
typedef struct {
    uint64_t id;
    const char *name;      /* as registered (shown), immutable */
    const char *canon;     /* its canonical form (unique among rows that have one); NULL: the
                              row holds no name (a guest whose hold lapsed) */
    const char *display;   /* display name, "" for none */
    const char *role;      /* "owner", "admin", "member" or "guest" */
    const char *pass;      /* password hash (crypto_pwhash_str), NULL: none */
    const char *state;     /* "active", "banned" or "deactivated" */
    int64_t created, seen; /* Unix ms */
    /* The profile (schema: sqlite v12, postgresql v5); NULL reads as "" (none):
     * "what I do", an IANA time zone name, the avatar's id (its SHA-256 in hex). */
    const char *title;
    const char *tz;
    const char *avatar;
    /* An account that is a bot (schema: sqlite v15, postgresql v8): no password, signs in
     * by tokens an admin hands out (sessions that do not expire). */
    bool bot;
} store_user_t;

typedef struct {
    uint64_t id;
    const char *hash; /* hex SHA-256 of the token (64 digits) */
    uint64_t user_id;
    int64_t created, seen, expires; /* Unix ms; expires is the absolute end */
    const char *agent;              /* User-Agent at sign-in, "" */
    const char *addr;               /* peer address at sign-in, "" */
} store_session_t;

typedef struct {
    uint64_t id;
    const char *hash;         /* hex SHA-256 of the token */
    const char *kind;         /* "invite" or "reset" */
    uint64_t creator;         /* a user id, 0 for the command line */
    uint64_t user_id;         /* reset: the account it resets; invite: 0 */
    const char *role;         /* invite: the role it grants; reset: "" */
    int64_t created, expires; /* Unix ms */
    uint32_t uses, max_uses;
    bool revoked;
} store_invite_t;

/* An incoming webhook (schema: sqlite v14, postgresql v7): an integration that posts in one
 * channel, by a secret token stored only as its hash. */
typedef struct {
    uint64_t id;
    const char *hash;    /* hex SHA-256 of the token (64 digits) */
    const char *channel; /* the channel it posts in */
    const char *name;    /* the name its messages are shown under */
    uint64_t creator;    /* the user who made it */
    int64_t created;     /* Unix ms */
    bool revoked;
} store_hook_t;

typedef void (*store_user_cb)(void *ctx, const store_user_t *u);
typedef void (*store_hook_cb)(void *ctx, const store_hook_t *h);
typedef void (*store_session_cb)(void *ctx, const store_session_t *s);
typedef void (*store_invite_cb)(void *ctx, const store_invite_t *i);

/* What store_load_accounts reports (NULL: not wanted): users by id, sessions by id,
 * invites by id, webhooks by id. */
typedef struct {
    store_user_cb user;
    store_session_cb session;
    store_invite_cb invite;
    store_hook_cb hook;
} store_accounts_load_t;

/* A change to channels or membership: written in the same transactions as messages and in
 * submission order with them, so a membership and the messages that follow it commit in
 * order. */
typedef enum {
    STORE_CHANNEL_PUT,     /* insert the channel, or update its kind, topic and archived */
    STORE_MEMBER_ADD,      /* user_id joins channel ch.name (no-op if a member) */
    STORE_MEMBER_REMOVE,   /* user_id leaves channel ch.name (no-op if not a member) */
    STORE_READ,            /* user_id has read ch.name up to seq (a marker that only advances) */
    STORE_CHANNEL_CREATE,  /* insert the channel if no channel has its name, with its creator
                              (ch.creator_id > 0) as a member since ts, else answer
                              STORE_ECONFLICT: nothing changed (the transaction goes on:
                              not a failure). So a creator is never made a member of a
                              channel another process created under the same name. */
    STORE_CHANNEL_DELETE,  /* delete channel ch.name and everything of it: its memberships,
                              read markers, events (search entries included), mentions and
                              notification levels; its name is free and its seqs start again
                              (no-op if absent) */
    STORE_NOTIFY_SET,      /* user_id's notification level in ch.name becomes notify: "mentions"
                              or "muted": insert or replace the row, "all" (the default) deletes
                              it; the row goes with the channel (CHANNEL_DELETE), not with a
                              membership */
    STORE_USER_CREATE,     /* insert row u; STORE_ECONFLICT when its id or its canon is taken
                              (nothing changed; the transaction goes on) */
    STORE_USER_PUT,        /* update every field of row u.id but id (no-op if absent);
                              STORE_ECONFLICT when row u.id exists and its new canon is another
                              row's (nothing changed; the transaction goes on) */
    STORE_SESSION_PUT,     /* insert or replace row sess (by id) */
    STORE_SESSION_DELETE,  /* delete session sess.id (no-op if absent) */
    STORE_SESSIONS_REVOKE, /* delete every session of user_id except sess.id (0: all) */
    STORE_INVITE_PUT,      /* insert or replace row inv (by id) */
    STORE_HOOK_PUT,        /* insert or replace row hook (by id) */
    /* The account kinds (USER_* to HOOK_PUT): a session's or an invite's hash is unique too,
     * but a PUT with a hash another row holds is a caller's bug, not a conflict: the write
     * fails (STORE_EFAILED, see Failure) like a seq stored twice. In a store opened with
     * store_open_opts_t.bump_accounts, every account write not answered STORE_ECONFLICT
     * also bumps accounts_version, in the same transaction. */
} store_change_kind_t;

typedef struct {
    store_change_kind_t kind;
    store_channel_t ch;   /* PUT, CREATE: the whole row; MEMBER_*, READ, DELETE, NOTIFY_SET:
                             ch.name only */
    int64_t ts;           /* MEMBER_ADD: Unix ms */
    uint64_t seq;         /* READ */
    store_user_t u;       /* USER_* (strings copied by the store like every other field) */
    store_session_t sess; /* SESSION_PUT, SESSION_DELETE (id), SESSIONS_REVOKE (id kept) */
    store_invite_t inv;   /* INVITE_PUT */
    uint64_t user_id;     /* MEMBER_*, READ, NOTIFY_SET (> 0), SESSIONS_REVOKE */
    const char *notify;   /* NOTIFY_SET: "all", "mentions" or "muted" */
    store_hook_t hook;    /* HOOK_PUT */
} store_change_t;

typedef void (*store_channel_cb)(void *ctx, const store_channel_t *c);
typedef void (*store_member_cb)(void *ctx, const char *channel, uint64_t user_id);
typedef void (*store_read_cb)(void *ctx, const char *channel, uint64_t user_id, uint64_t seq);
/* user_id 0: a reaction whose author no account took (from before accounts). */
typedef void (*store_reaction_cb)(void *ctx, const char *channel, uint64_t target, uint64_t user_id,
                                  const char *emoji, bool on);
/* user_id STORE_MENTION_ALL: @channel or @here. */
typedef void (*store_mentioned_cb)(void *ctx, const char *channel, uint64_t user_id,
                                   uint64_t last_seq);
/* level: "mentions" or "muted" (a user without a row has "all"). */
typedef void (*store_notify_cb)(void *ctx, const char *channel, uint64_t user_id,
                                const char *level);
typedef void (*store_keyed_cb)(void *ctx, const char *channel, uint64_t seq, uint64_t user_id,
                               const char *cid, int64_t ts);
/* A channel line's place (an event of kind joined, left or topic). */
typedef void (*store_line_cb)(void *ctx, const char *channel, uint64_t seq);
/* A pin or unpin event (seq, at ts, by user_id) of the msg target, whose target is a msg
 * not deleted. */
typedef void (*store_pin_cb)(void *ctx, const char *channel, uint64_t seq, uint64_t target,
                             uint64_t user_id, int64_t ts, bool on);

/* What store_load reports, each callback for every row of its kind; a NULL callback means
 * "not wanted" (and its rows are not read). Keyed events have their own call,
 * store_load_keyed, so that this struct keeps its shape for positional initializers. */
typedef struct {
    store_channel_cb channel;     /* by name */
    store_member_cb member;       /* by channel, then user id */
    store_read_cb read;           /* by channel, then user id */
    store_reaction_cb reaction;   /* every react/unreact event, by channel and seq */
    store_mentioned_cb mentioned; /* per channel and mentioned user id, the newest such seq */
    store_line_cb line;           /* every joined/left/topic event, by channel and seq */
    store_notify_cb notify;       /* notification levels, by channel, then user id */
    store_pin_cb pin;             /* every pin/unpin event of a live msg, by channel and seq */
} store_load_t;

/* One search term: a word or a phrase as the user typed it, plain UTF-8 without any syntax.
 * A backend matches it as a sequence of its own tokens (so "foo-bar" and "foo bar" match
 * the same), whatever characters it holds; a term with no token in it is ignored, and a
 * search whose terms all are finds nothing. */
typedef struct {
    const char *text;
    bool phrase; /* typed in quotes (a backend may treat a phrase more strictly) */
} store_term_t;

/* A full-text search: messages matching every term, optionally only by one user or in one
 * channel, newest first: by ts, then channel, then seq, all descending (the order a page
 * cursor follows). Without terms, every message of `user` (who must then be set; deleted
 * messages are never found). */
typedef struct {
    const store_term_t *terms;
    size_t nterms;       /* at least 1, or 0 with user set */
    const char *user;    /* NULL: anyone; else the author's name as shown (what a reader
                            searches by, also for names no account holds any more) */
    const char *channel; /* NULL: any channel */
    unsigned limit;
    /* nchannels > 0: only matches in these channels (and in `channel` when it is set too).
     * The filter is the query's own, so that `more` and the rows counted against `limit`
     * are only what the reader may read: a reader learns nothing of other channels. */
    const char *const *channels;
    size_t nchannels;
    const void *owner; /* who asked, for store_cancel (NULL: nobody that cancels) */
    int64_t since;     /* > 0: only ts >= since (Unix ms) */
    int64_t until;     /* > 0: only ts < until */
    /* The page cursor: after_channel set: only rows that come after (ts, channel, seq) in
     * the order above (older), i.e. the next page after a page's last row. */
    int64_t after_ts;
    const char *after_channel;
    uint64_t after_seq;
} store_search_t;

typedef struct {
    uint64_t appends;      /* messages committed */
    uint64_t commits;      /* write transactions committed */
    uint64_t queries;      /* reads run (answered 0, STORE_EFAILED, or abandoned) */
    uint64_t queued;       /* operations waiting for the backend now, writes and reads */
    uint64_t reads_queued; /* of which reads */
    uint64_t canceled;     /* reads answered STORE_ECANCELED since open */
    uint64_t over_budget;  /* reads answered STORE_EBUDGET since open */
    bool failed;           /* in the failed state (see Failure above) */
    uint64_t failures;     /* write transactions failed since open */
} store_stats_t;

/* Changes and probes: status 0 once committed, else STORE_EFAILED or (CREATE)
 * STORE_ECONFLICT. Fires exactly once per accepted operation. */
typedef void (*store_append_cb)(void *ctx, int status);
/* Appends: status 0: committed (or a duplicate found, see store_msg_t.seq), seq the event's
 * seq (the given one, or the assigned or original one), duplicate true when nothing was
 * stored because the key was; status < 0 as for any write (STORE_EFAILED), seq 0 and
 * duplicate false. Fires exactly once per accepted append. */
typedef void (*store_appended_cb)(void *ctx, int status, uint64_t seq, bool duplicate);
/* msgs (n of them, oldest first) are the store's, valid only during the callback. `more` is
 * true when further messages exist beyond the range returned (older ones for history,
 * newer ones for resume). status < 0, msgs NULL: STORE_EFAILED (the read failed),
 * STORE_ECANCELED (store_cancel of its owner, or store_close, came first) or STORE_EBUDGET
 * (past its cost budget). */
typedef void (*store_query_cb)(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more);

/* Every submitting function copies what it is given (the caller keeps ownership) and
 * returns 0, or STORE_ECLOSED once store_close was called (or STORE_EINVAL where stated),
 * in which case its callback never fires. */
typedef struct {
    /* cb fires after the commit (or the failure) with the event's seq (store_msg_t.seq).
     * STORE_EINVAL: msg->cid is malformed. */
    int (*append)(store_t *s, const store_msg_t *msg, store_appended_cb cb, void *ctx);
    /* STORE_EINVAL: nseqs past STORE_SEQS_MAX, or seqs NULL with nseqs > 0. */
    int (*query)(store_t *s, const store_query_t *q, store_query_cb cb, void *ctx);
    /* cb may be NULL. STORE_EINVAL: !store_change_valid(c). */
    int (*change)(store_t *s, const store_change_t *c, store_append_cb cb, void *ctx);
    /* Synchronous, for start-up: every stored channel, then every membership, read marker,
     * reaction event, mention, channel line, notification level and pin event (store_load_t).
     * Strings are valid only during each
     * call. Returns 0 or STORE_EFAILED. */
    int (*load)(store_t *s, const store_load_t *cbs, void *ctx);
    /* cb gets the matches (each row's channel set), newest first; `more` when there were
     * more than limit. STORE_EINVAL: no term. */
    int (*search)(store_t *s, const store_search_t *q, store_query_cb cb, void *ctx);
    /* The user's unread mentions (of the user, @channel or @here, after the user's read
     * marker): cb gets a row (channel and seq only) per mentioning message, by channel and
     * seq, at most STORE_MENTIONS_MAX. It sees what any read sees (Completions above): callers
     * bound it by seq. owner: as store_query_t.owner. */
    int (*mention_counts)(store_t *s, uint64_t user_id, const void *owner, store_query_cb cb,
                          void *ctx);
    /* Every channel's position: cb gets a row (channel and seq only) per channel holding at
     * least one event, seq its highest committed seq, by channel name in byte order (strcmp),
     * at most STORE_POSITIONS_MAX: past that, the first STORE_POSITIONS_MAX names and `more`
     * true (the rest are not read). A deleted channel has no row (a channel made again
     * under its name has its new seqs). One read however many channels: what a process
     * sharing the store compares with what it committed, to find events whose word from
     * the other processes was lost. It sees what any read sees (Completions above). owner:
     * as store_query_t.owner. */
    int (*positions)(store_t *s, const void *owner, store_query_cb cb, void *ctx);
    /* Synchronous, for start-up: the newest STORE_KEYED_MAX events carrying a cid, across
     * every channel, oldest first (by ts, then channel, then seq): what a hub needs to answer
     * retries exactly once after a restart or a kill -9. Strings are valid only during each
     * call. Returns 0 or STORE_EFAILED. */
    int (*load_keyed)(store_t *s, store_keyed_cb cb, void *ctx);
    /* Synchronous: the highest committed seq of channel, 0 if none. For start-up only.
     * Returns 0 or STORE_EFAILED. */
    int (*last_seq)(store_t *s, const char *channel, uint64_t *out);
    void (*stats)(store_t *s, store_stats_t *out);
    /* Commits everything queued (in the failed state: answers it STORE_EFAILED), lets a read
     * running finish, answers the reads not run yet STORE_ECANCELED, and calls, before
     * returning, every callback still pending, so callers' contexts are released;
     * submissions from those callbacks get STORE_ECLOSED. Then releases the backend; a
     * backend with a loop handle frees s in its close callback, so the loop must run until
     * its handles are closed (as any libuv shutdown does before uv_loop_close). */
    void (*close)(store_t *s);
    /* One real small write, attempted also in the failed state; cb gets 0 or
     * STORE_EFAILED. It is not a write for the failed state: it neither ends nor starts it. */
    int (*probe)(store_t *s, store_append_cb cb, void *ctx);
    /* Ends the failed state for writes submitted from now on (see Failure). */
    void (*recover)(store_t *s);
    /* Synchronous, at start-up and when accounts_version moved: every user, session,
     * invite and webhook (store_accounts_load_t). Strings valid only during each call. 0 or
     * STORE_EFAILED. */
    int (*load_accounts)(store_t *s, const store_accounts_load_t *cbs, void *ctx);
    /* Synchronous and cheap (one small read on the reading connection): a number that
     * changes whenever another process (the `parley user` command) changed accounts, so
     * a server re-reads them. It moves only with the writes of a store opened with
     * bump_accounts (store_open.h), never with a server's own; 0 on a new or migrated
     * database. 0 or STORE_EFAILED (STORE_ECLOSED after store_close, like last_seq). */
    int (*accounts_version)(store_t *s, uint64_t *out);
    /* begin true: opens a group; false: closes it (see Groups above). */
    void (*group)(store_t *s, bool begin);
    /* Every read of owner (not NULL) not answered yet: those not run are answered
     * STORE_ECANCELED without running, the one running is abandoned and answered so too (or
     * finishes first). Their callbacks fire later, from the loop, never inside this call. */
    void (*cancel)(store_t *s, const void *owner);
    /* Loop thread: waits up to max_us for every write submitted so far to finish, then
     * calls back, before returning, every completion that is ready (writes and reads
     * alike, in their usual order). For the loop's last step before it writes to its
     * sockets: a commit that finishes within the bound is acknowledged and fanned out in
     * this loop turn rather than the next. NULL: a backend that has nothing to wait for. */
    void (*settle)(store_t *s, uint64_t max_us);
} store_backend_t;

struct store {
    const store_backend_t *be;
};

/* True for NULL or "" (no key) and for 1 to STORE_CID_MAX bytes of A-Za-z0-9_-. */
bool store_cid_valid(const char *cid);
/* What store_change accepts: a known kind; for the account kinds, the row's id in
 * 1..INT64_MAX (SESSION_DELETE, SESSIONS_REVOKE: sess.id and user_id in 0..INT64_MAX), every
 * other id field within INT64_MAX, a session's user_id > 0, and every string present but
 * u.canon and u.pass (which may be NULL); for the channel kinds, MEMBER_*, READ and NOTIFY_SET a
 * user_id in 1..INT64_MAX (NOTIFY_SET also a notify of "all", "mentions" or "muted") and PUT
 * and CREATE a ch.creator_id within INT64_MAX, nothing more. Checked at
 * submission, so that one caller's malformed row cannot fail a whole group commit. */
bool store_change_valid(const store_change_t *c);

static inline void store_settle(store_t *s, uint64_t max_us)
{
    if (s->be->settle)
        s->be->settle(s, max_us);
}
static inline int store_append(store_t *s, const store_msg_t *m, store_appended_cb cb, void *ctx)
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
static inline int store_load_keyed(store_t *s, store_keyed_cb cb, void *ctx)
{
    return s->be->load_keyed(s, cb, ctx);
}
static inline int store_search(store_t *s, const store_search_t *q, store_query_cb cb, void *ctx)
{
    return s->be->search(s, q, cb, ctx);
}
static inline int store_mention_counts(store_t *s, uint64_t user_id, const void *owner,
                                       store_query_cb cb, void *ctx)
{
    return s->be->mention_counts(s, user_id, owner, cb, ctx);
}
static inline int store_positions(store_t *s, const void *owner, store_query_cb cb, void *ctx)
{
    return s->be->positions(s, owner, cb, ctx);
}
static inline int store_last_seq(store_t *s, const char *channel, uint64_t *out)
{
    return s->be->last_seq(s, channel, out);
}
static inline void store_stats(store_t *s, store_stats_t *out)
{
    s->be->stats(s, out);
}
static inline void store_close(store_t *s)
{
    s->be->close(s);
}
static inline int store_probe(store_t *s, store_append_cb cb, void *ctx)
{
    return s->be->probe(s, cb, ctx);
}
static inline void store_recover(store_t *s)
{
    s->be->recover(s);
}
static inline int store_load_accounts(store_t *s, const store_accounts_load_t *cbs, void *ctx)
{
    return s->be->load_accounts(s, cbs, ctx);
}
static inline int store_accounts_version(store_t *s, uint64_t *out)
{
    return s->be->accounts_version(s, out);
}
/* Opens a group: the appends and changes submitted until store_group_end share one
 * transaction (see Groups above). */
static inline void store_group_begin(store_t *s)
{
    s->be->group(s, true);
}
/* Closes the open group and hands its operations to the backend. */
static inline void store_group_end(store_t *s)
{
    s->be->group(s, false);
}
/* Cancels owner's reads (see the backend table's cancel). */
static inline void store_cancel(store_t *s, const void *owner)
{
    s->be->cancel(s, owner);
}

#endif
