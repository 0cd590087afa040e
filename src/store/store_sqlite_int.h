/* store_sqlite_int - what the SQLite backend's three files share (not for other modules):
 * store_sqlite.c holds the writes (accounts' too), the loads and open/close,
 * store_sqlite_schema.c the database's tables, migrations and statements, store_sqlite_read.c
 * the reader threads' queries (history, threads, search, mention counts, positions), each
 * reader on its
 * own read-only connection. The shared worker (store_worker.c) calls them all through
 * store_worker_ops_t. */
#ifndef PARLEY_STORE_SQLITE_INT_H
#define PARLEY_STORE_SQLITE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>
#include <uv.h>

#include "store/store_db.h"
#include "store/store_sqlite.h"
#include "store/store_worker.h"

/* 1: messages; 2: + channels, members; 3: + cid, probe; 4: + users, sessions, invites, meta;
 * 5: people keyed by user id (messages.user_id, channels.creator_id, members, reads, mentions);
 * 6: deletes and edits applied to their targets (messages.deleted, edited);
 * 7: channels.archived, and deleting a channel's row deletes everything of it (a trigger);
 * 8: messages_key, the index a seq-0 append finds its key's original by;
 * 9: messages_author, for a search by author alone;
 * 10: messages.files, the files a message carries;
 * 11: notify, the notification levels other than "all";
 * 12: users' title, tz and avatar (the profile);
 * 13: messages.original (an edit history's first text) and the index of pins;
 * 14: messages.app (a message an integration posted) and hooks (incoming webhooks);
 * 15: users.bot (an account that is a bot) */
#define SQLITE_SCHEMA_VERSION 15
#define BUSY_TIMEOUT_MS 5000 /* per attempt, inside SQLite's busy handler */
#define BUSY_RETRIES 5       /* further attempts after SQLITE_BUSY, each with the timeout */
#define STR_(x) #x
#define STR(x) STR_(x)

/* The columns every message query returns, in store_sqlite_read.c's order. */
#define MSG_COLS                                                                                   \
    "seq, user, text, ts, kind, thread, target, cid, guest, user_id, deleted, edited, files, app"

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_INSERT,
    ST_CHANNEL_PUT,
    ST_CHANNEL_CREATE,
    ST_MEMBER_ADD,
    ST_MEMBER_REMOVE,
    ST_READ,
    ST_PROBE,
    ST_FTS_INSERT,
    ST_FTS_DELETE,
    ST_MENTION_ADD,
    ST_MENTION_DROP,
    ST_USER_CREATE,
    ST_USER_PUT,
    ST_USER_CANON_TAKEN,
    ST_SESSION_PUT,
    ST_SESSION_DELETE,
    ST_SESSIONS_REVOKE,
    ST_INVITE_PUT,
    ST_HOOK_PUT,
    ST_ACCOUNTS_BUMP,
    ST_EDIT_APPLY,
    ST_DELETE_APPLY,
    ST_DELETE_EDITS,
    ST_BLANK,
    ST_CHANNEL_DELETE,
    ST_NEXT_SEQ,
    ST_KEYED_SEQ,
    ST_NOTIFY_SET,
    ST_NOTIFY_CLEAR,
    ST_COUNT
};

/* The reads, prepared on each reader's connection. */
enum {
    RD_AFTER,
    RD_BEFORE,
    RD_NEWEST,
    RD_THREAD,
    RD_REPLIES,
    RD_SEARCH,
    RD_SEARCH_FROM,
    RD_MENTION_COUNT,
    RD_POSITIONS,
    RD_SEQS,
    RD_EDITS,
    RD_COUNT
};

/* A read's cost budget, in SQLite VM steps: enough for any page a client asks on a million
 * messages (a history page of 200 with their reply counts ~3k steps plus ~20 per reply
 * counted, a thread page ~27k, a search with ~25k matches ~0.5M), not for a search whose
 * every match must be sorted (a word in a fifth of a million messages: 3M). Mention counts
 * (one per join, and every @channel of every channel is a row, ~32 steps each) and positions
 * (~55 steps per channel, whatever its size: 3.6M at STORE_POSITIONS_MAX) get
 * READ_COUNTS_FACTOR times as much. */
#define READ_BUDGET 2000000
#define READ_COUNTS_FACTOR 8
#define PROGRESS_STEPS 1000 /* VM steps between two looks at the budget and the cancel flag */

/* The SQL of each prepared statement (st[i] runs store_sqlite_sql[i]; a reader's st[i]
 * store_sqlite_sql_read[i]), of last_seq and
 * accounts_version, of each part of store_load (in store_load_t's order) and of
 * store_load_accounts (users, sessions, invites). */
extern const char *const store_sqlite_sql[ST_COUNT];
extern const char *const store_sqlite_sql_read[RD_COUNT];
extern const char store_sqlite_sql_last_seq[];
extern const char store_sqlite_sql_accounts_version[];
extern const char store_sqlite_sql_channels[]; /* store_db's other load parts are shared */

/* One reader thread's connection (read-only) and statements. The progress handler counts the
 * running read's VM steps against `budget` and looks at `cancel`. */
typedef struct {
    sqlite3 *db;
    sqlite3_stmt *st[RD_COUNT];
    const atomic_bool *cancel; /* the running read's flag (store_read_t) */
    uint64_t ticks, budget;    /* PROGRESS_STEPS so far, and allowed, for the running read */
    bool over;                 /* the running read went past its budget */
} store_sqlite_reader_t;

/* The WAL's checkpointer (store_sqlite_ckpt.c): its thread and connection. */
typedef struct {
    sqlite3 *db;
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cond;
    bool want, stop;      /* under mu */
    bool started, warned; /* warned: the thread's, one log line for a failing checkpoint */
} store_sqlite_ckpt_t;

typedef struct {
    char *path;
    sqlite3 *db;  /* writer thread */
    sqlite3 *rdb; /* loop thread: the loads, last_seq, accounts_version */
    sqlite3_stmt *st[ST_COUNT];
    sqlite3_stmt *st_last_seq;         /* on rdb */
    sqlite3_stmt *st_accounts_version; /* on rdb */
    bool bump_accounts;                /* every account write also bumps meta's accounts_version */
    uint64_t read_budget;              /* VM steps per read (READ_BUDGET unless a test says) */
    store_sqlite_reader_t rd[STORE_READERS];
    store_db_errlog_t errlog; /* writer thread: the last error logged, and when */
    store_sqlite_ckpt_t ckpt;
} store_sqlite_t;

/* Writes can hold seqs up to UINT64_MAX; SQLite's integers stop at INT64_MAX. */
static inline sqlite3_int64 store_sqlite_clamp_seq(uint64_t seq)
{
    return seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq;
}

/* SQLite's message for db's last error, with the system's reason when it has one ("disk I/O
 * error (No space left on device)"), written into buf (WHY_MAX bytes) and returned. */
#define WHY_MAX 256
const char *store_sqlite_why(sqlite3 *db, char *buf);

/* st's current row, for store_db (valid until st steps again). */
store_db_row_t store_sqlite_row(sqlite3_stmt *st);

/* Binds parameters 1.. of st from the arguments, one per letter of types: 't' a const char *
 * (NULL binds NULL), 'i' an int64_t, 'u' a uint64_t seq (clamped). Returns a SQLite code. */
int store_sqlite_bind(sqlite3_stmt *st, const char *types, ...);

/* store_sqlite_schema.c: opens path with flags and the busy timeout (0, or STORE_EFAILED
 * after logging); checks the file is empty or parley's, sets WAL and synchronous, and creates
 * or migrates the tables; prepares every statement on s->db, last_seq's and
 * accounts_version's on s->rdb, and the reads on each reader's connection. */
int store_sqlite_db_open(const char *path, int flags, sqlite3 **out);
int store_sqlite_schema_init(sqlite3 *db, const char *path, bool sync_full);
int store_sqlite_prepare_all(store_sqlite_t *s);

/* store_sqlite_ckpt.c: starts the checkpoint thread, with its own connection to path, and
 * makes it the one that checkpoints writer's WAL (0, or STORE_EFAILED after logging; then
 * nothing is left to stop). stop (writer: the connection whose hook goes, or NULL) joins it
 * and closes its connection; nothing when it was not started. */
int store_sqlite_ckpt_start(store_sqlite_ckpt_t *c, sqlite3 *writer, const char *path,
                            bool sync_full);
void store_sqlite_ckpt_stop(store_sqlite_ckpt_t *c, sqlite3 *writer);

/* store_sqlite_read.c, on the reader threads (store_worker_ops_t). open_readers opens each
 * reader's connection (read-only) with its progress handler, on the loop thread before the
 * worker starts. */
int store_sqlite_open_readers(store_sqlite_t *s);
int store_sqlite_query(void *impl, const store_read_t *rd, const store_query_t *q,
                       store_rows_t *out);
int store_sqlite_search(void *impl, const store_read_t *rd, const store_search_t *q,
                        store_rows_t *out);
int store_sqlite_mention_counts(void *impl, const store_read_t *rd, uint64_t user_id,
                                store_rows_t *out);
int store_sqlite_positions(void *impl, const store_read_t *rd, store_rows_t *out);

#endif
