/* store_db - what the SQL backends (store_sqlite, store_pg) share beyond the worker: how a row
 * of a database's answer becomes store.h's rows and callbacks, whatever database read it, and
 * how a writer that keeps failing the same way logs it.
 *
 * A backend hands over one row at a time as a store_db_row_t: its own row object and two
 * getters, by column index. Both backends' SQL returns its columns in the orders named here
 * (each shape below, each load part), so the mapping from columns to fields is written once. */
#ifndef PARLEY_STORE_DB_H
#define PARLEY_STORE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_worker.h"

/* One row of an answer. text: the column's text, NULL for SQL NULL; num: its integer (0 for
 * NULL; booleans as 0 and 1). Valid while the backend's row is. */
typedef struct {
    void *row;
    const char *(*text)(void *row, int col);
    int64_t (*num)(void *row, int col);
} store_db_row_t;

/* Where a read's message columns are: each column's index, -1 when the read has none. */
typedef struct {
    int seq, user, text, ts, kind, thread, target, cid, channel, guest, user_id, deleted, edited,
        files, app;
} store_db_shape_t;

/* History, resume and threads: seq, user, text, ts, kind, thread, target, cid, guest,
 * user_id, deleted, edited, files, app. */
extern const store_db_shape_t store_db_msg_shape;
/* Search: seq, user, text, ts, channel, cid, guest, user_id, thread, edited (a message: no
 * kind or target). */
extern const store_db_shape_t store_db_search_shape;
/* Mention counts and positions: channel, seq. */
extern const store_db_shape_t store_db_counts_shape;

/* Adds row r, read with shape sh, to out (a missing text column reads as "", kind as NULL). */
void store_db_msg(const store_db_row_t *r, const store_db_shape_t *sh, store_rows_t *out);

/* One row of a page's reply counts (thread, count, max seq, max ts) onto its parent among
 * out's rows (oldest first, consecutive seqs); a row for no parent there is ignored. */
void store_db_replies(const store_db_row_t *r, store_rows_t *out);

/* Ends a page read with limit + 1 rows asked for: `more` when the extra row came (then it is
 * dropped), and rows read newest first put oldest first. */
void store_db_page(store_rows_t *out, unsigned limit, bool newest_first);

/* The parts of store_load, in store_load_t's order, then store_load_keyed's. Columns:
 * channels: name, kind, topic, created_by, creator_id, ts, archived;
 * members: channel, user_id; reads: channel, user_id, seq;
 * reactions: channel, target, user_id, emoji, kind; mentioned: channel, user_id, max seq;
 * lines: channel, seq; notify: channel, user_id, level;
 * pins: channel, seq, target, user_id, ts, kind; keyed: channel, seq, user_id, cid, ts. */
enum {
    STORE_DB_CHANNELS,
    STORE_DB_MEMBERS,
    STORE_DB_READS,
    STORE_DB_REACTIONS,
    STORE_DB_MENTIONED,
    STORE_DB_LINES,
    STORE_DB_NOTIFY,
    STORE_DB_PINS,
    STORE_DB_KEYED,
    STORE_DB_LOAD_PARTS
};
/* The SQL of each part but the channels' (NULL there: each backend selects its rows its own
 * way), written so that SQLite and PostgreSQL read it alike. */
extern const char *const store_db_sql_load[STORE_DB_LOAD_PARTS];
/* Whether the caller wants part (its callback is set). */
bool store_db_load_wanted(int part, const store_load_t *cbs, store_keyed_cb keyed);
/* Reports row r of part to its callback. */
void store_db_load_row(const store_db_row_t *r, int part, const store_load_t *cbs,
                       store_keyed_cb keyed, void *ctx);

/* The parts of store_load_accounts. Columns: users: id, name, canon, display, role, pass,
 * state, created, seen, title, tz, avatar; sessions: id, hash, user_id, created, seen,
 * expires, agent, addr;
 * invites: id, hash, kind, creator, user_id, role, created, expires, uses, max_uses,
 * revoked; hooks: id, hash, channel, name, creator, created, revoked. canon and pass may be
 * NULL, nothing else. */
enum {
    STORE_DB_USERS,
    STORE_DB_SESSIONS,
    STORE_DB_INVITES,
    STORE_DB_HOOKS,
    STORE_DB_ACCOUNT_PARTS
};
/* Their SQL, which both databases read alike (revoked: 0 or 1, whatever its column type). */
extern const char *const store_db_sql_accounts[STORE_DB_ACCOUNT_PARTS];
bool store_db_accounts_wanted(int part, const store_accounts_load_t *cbs);
void store_db_account_row(const store_db_row_t *r, int part, const store_accounts_load_t *cbs,
                          void *ctx);

/* A writer's failure log: a database that stays down or full fails the hub's probe the same
 * way once a second, so the first failure of a kind is an error line, the same one again
 * within a minute a debug line. */
typedef struct {
    int64_t code; /* the backend's code of the last failure logged */
    uint64_t ms;  /* and when */
} store_db_errlog_t;
/* The level to log a failure of this code at now (LOG_ERROR or LOG_DEBUG). */
int store_db_err_level(store_db_errlog_t *e, int64_t code);

#endif
