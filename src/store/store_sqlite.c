/* store_sqlite - the SQLite backend of store.h: the functions the shared store worker calls
 * (store_worker.h) for transactions and writes, plus start-up reads, open and close. The
 * queue, the thread, batching and the failed state are the worker's; the queries are in
 * store_sqlite_read.c and the SQL in store_sqlite_schema.c.
 *
 * A write is one event row plus what it does to the search index and the mentions table, or
 * one change row (an account change: its row, and with bump_accounts the accounts version);
 * a probe bumps the one row of the probe table. Every SQLite error inside a
 * transaction is logged and returned as STORE_EFAILED; the worker then rolls back and
 * enters the failed state, and nothing here ends the process.
 *
 * Open writes once before anything else runs (start_write): a database this process can
 * never write (a read-only file or directory, no permission) is refused at start with the
 * reason, rather than refusing every message of a server that looks healthy; one that fails
 * for a reason that may pass (a full disk) starts in the worker's failed state, serving reads
 * while the hub probes, rather than exiting into a restart loop.
 *
 * Invariants:
 * - `db` and the statements in `st` belong to the writer thread (the opener uses them before
 *   the thread starts, free after it is joined). `rdb`, a second connection, belongs to the
 *   loop thread and serves the loads, last_seq and accounts_version; in WAL mode it reads the
 *   last commit without waiting for the writer. Each `rd[i]` (store_sqlite_read.c) belongs to
 *   reader thread i in the same way.
 * - Statements are reset and their bindings cleared after every use, failed or not, so no
 *   statement holds a lock or points at a caller's string between operations. */
#include "store/store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "store/store_db.h"
#include "store/store_sqlite_int.h"

const char *store_sqlite_why(sqlite3 *db, char *buf)
{
    int e = sqlite3_system_errno(db);
    if (e)
        snprintf(buf, WHY_MAX, "%s (%s)", sqlite3_errmsg(db), strerror(e));
    else
        snprintf(buf, WHY_MAX, "%s", sqlite3_errmsg(db));
    return buf;
}

int store_sqlite_bind(sqlite3_stmt *st, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = SQLITE_OK;
    for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
        if (types[i] == 't') {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_STATIC)
                   : sqlite3_bind_null(st, i + 1);
        } else if (types[i] == 'i') {
            rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        } else {
            rc = sqlite3_bind_int64(st, i + 1, store_sqlite_clamp_seq(va_arg(ap, uint64_t)));
        }
    }
    va_end(ap);
    return rc;
}

/* ---- writer thread: transactions and writes ---- */

/* A disk that stays full fails the hub's probe the same way once a second: logged once a
 * minute (store_db_err_level). */
static int err_level(store_sqlite_t *s)
{
    return store_db_err_level(&s->errlog, sqlite3_extended_errcode(s->db));
}

/* Steps a statement that returns no row (rc: its bind result), retrying SQLITE_BUSY, and
 * resets it. Returns 0, or STORE_EFAILED after logging. */
static int step(store_sqlite_t *s, sqlite3_stmt *st, int rc, const char *what)
{
    for (int attempt = 0; rc == SQLITE_OK; attempt++) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_BUSY || attempt == BUSY_RETRIES)
            break;
        log_warn("store: %s: database busy, retrying", what);
        sqlite3_reset(st);
        rc = SQLITE_OK;
    }
    char why[WHY_MAX];
    if (rc != SQLITE_DONE)
        log_msg(err_level(s), "store: %s: %s failed: %s", s->path, what,
                store_sqlite_why(s->db, why));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : STORE_EFAILED;
}

static int sq_begin(void *impl)
{
    store_sqlite_t *s = impl;
    return step(s, s->st[ST_BEGIN], SQLITE_OK, "begin");
}

static int sq_commit(void *impl)
{
    store_sqlite_t *s = impl;
    return step(s, s->st[ST_COMMIT], SQLITE_OK, "commit");
}

/* After an I/O error SQLite may have rolled back by itself; otherwise roll back here. */
static void sq_rollback(void *impl)
{
    store_sqlite_t *s = impl;
    if (!sqlite3_get_autocommit(s->db))
        (void)step(s, s->st[ST_ROLLBACK], SQLITE_OK, "rollback");
}

/* The search index's key of a message: one token (FTS5 finds it through its index) naming
 * the channel and seq, so an edit or delete can replace or drop that entry. */
static void fts_key(char *out, size_t cap, const char *channel, uint64_t seq, bool query)
{
    size_t n = (size_t)snprintf(out, cap, "%sk", query ? "key : " : "");
    for (const unsigned char *p = (const unsigned char *)channel; *p && n + 3 < cap; p++)
        n += (size_t)snprintf(out + n, cap - n, "%02X", *p);
    snprintf(out + n, cap - n, "x%llu", (unsigned long long)seq);
}

static int fts_drop(store_sqlite_t *s, const char *channel, uint64_t seq)
{
    char key[2 * 80 + 48];
    fts_key(key, sizeof(key), channel, seq, true);
    sqlite3_stmt *st = s->st[ST_FTS_DELETE];
    return step(s, st, store_sqlite_bind(st, "t", key), "search index delete");
}

/* Indexes m's text as the message seq (m's own seq, or an edit's target). */
static int fts_add(store_sqlite_t *s, const store_msg_t *m, uint64_t seq)
{
    char key[2 * 80 + 48];
    fts_key(key, sizeof(key), m->channel, seq, false);
    sqlite3_stmt *st = s->st[ST_FTS_INSERT];
    int rc = store_sqlite_bind(st, "tttuti", key, m->text, m->channel, seq, m->user, m->ts);
    return step(s, st, rc, "search index insert");
}

static int mentions_add(store_sqlite_t *s, const store_msg_t *m)
{
    sqlite3_stmt *st = s->st[ST_MENTION_ADD];
    for (size_t i = 0; i < m->nmentions; i++) {
        int rc = store_sqlite_bind(st, "utu", m->mentions[i], m->channel, m->seq);
        if (step(s, st, rc, "mention insert") < 0)
            return STORE_EFAILED;
    }
    return 0;
}

static int mentions_drop(store_sqlite_t *s, const char *channel, uint64_t seq)
{
    sqlite3_stmt *st = s->st[ST_MENTION_DROP];
    return step(s, st, store_sqlite_bind(st, "tu", channel, seq), "mention delete");
}

/* Steps a statement of at most one row inside the write transaction (which holds the write
 * lock: never busy), setting *row when it had one and *out to its first column; resets it.
 * rc: its bind result. Returns 0, or STORE_EFAILED after logging. */
static int step_row(store_sqlite_t *s, sqlite3_stmt *st, int rc, const char *what, bool *row,
                    sqlite3_int64 *out)
{
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    *row = rc == SQLITE_ROW;
    if (*row)
        *out = sqlite3_column_int64(st, 0);
    char why[WHY_MAX];
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        log_msg(err_level(s), "store: %s: %s failed: %s", s->path, what,
                store_sqlite_why(s->db, why));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : STORE_EFAILED;
}

/* An append without a seq (store_msg_t.seq 0): the lowest seq of its key when (channel,
 * user_id, cid) is stored (*duplicate), else the channel's next. In the write transaction,
 * on the one writer connection: no other writer runs in between, and the inserts before it
 * in the transaction count, so seq-0 appends of a batch follow each other and the given
 * seqs before them. */
static int assign_seq(store_sqlite_t *s, const store_msg_t *m, uint64_t *seq, bool *duplicate)
{
    sqlite3_int64 v = 0;
    bool row = false;
    sqlite3_stmt *st;
    if (m->cid && m->cid[0]) {
        st = s->st[ST_KEYED_SEQ];
        int rc = store_sqlite_bind(st, "tut", m->channel, m->user_id, m->cid);
        if (step_row(s, st, rc, "client key lookup", &row, &v) < 0)
            return STORE_EFAILED;
        *duplicate = row;
    }
    if (!row) {
        st = s->st[ST_NEXT_SEQ];
        if (step_row(s, st, store_sqlite_bind(st, "t", m->channel), "next seq", &row, &v) < 0)
            return STORE_EFAILED;
    }
    *seq = (uint64_t)v;
    return 0;
}

/* The event row (at the seq given or assigned), and what it does to the search index: a
 * message is indexed, an edit replaces its target's entry, a delete drops it. */
static int sq_append(void *impl, const store_msg_t *in, uint64_t *seq, bool *duplicate)
{
    store_sqlite_t *s = impl;
    *seq = in->seq;
    *duplicate = false;
    if (in->seq == 0 && assign_seq(s, in, seq, duplicate) < 0)
        return STORE_EFAILED;
    if (*duplicate)
        return 0; /* stored already: nothing again */
    store_msg_t e = *in;
    e.seq = *seq;
    const store_msg_t *m = &e;
    const char *kind = m->kind ? m->kind : "msg";
    sqlite3_stmt *st = s->st[ST_INSERT];
    int rc = store_sqlite_bind(st, "tuttituutiutt", m->channel, m->seq, m->user, m->text, m->ts,
                               kind, m->thread, m->target, m->cid && m->cid[0] ? m->cid : NULL,
                               (int64_t)m->guest, m->user_id, m->files ? m->files : "",
                               m->app ? m->app : "");
    if (step(s, st, rc, "insert") < 0)
        return STORE_EFAILED;
    if (strcmp(kind, "msg") == 0) {
        if (fts_add(s, m, m->seq) < 0 || mentions_add(s, m) < 0)
            return STORE_EFAILED;
    } else if (strcmp(kind, "edit") == 0) {
        st = s->st[ST_EDIT_APPLY];
        rc = store_sqlite_bind(st, "tut", m->channel, m->target, m->text);
        if (step(s, st, rc, "edit") < 0)
            return STORE_EFAILED;
        if (sqlite3_changes(s->db) == 0) {
            /* Its target is deleted (or no message): the text is nobody's to read, and the
             * search index must not get it back. */
            st = s->st[ST_BLANK];
            return step(s, st, store_sqlite_bind(st, "tu", m->channel, m->seq), "blank");
        }
        if (fts_drop(s, m->channel, m->target) < 0 || fts_add(s, m, m->target) < 0)
            return STORE_EFAILED;
    } else if (strcmp(kind, "delete") == 0) {
        st = s->st[ST_DELETE_APPLY];
        rc = store_sqlite_bind(st, "tu", m->channel, m->target);
        if (step(s, st, rc, "delete") < 0)
            return STORE_EFAILED;
        st = s->st[ST_DELETE_EDITS];
        rc = store_sqlite_bind(st, "tu", m->channel, m->target);
        if (step(s, st, rc, "delete's edits") < 0 || mentions_drop(s, m->channel, m->target) < 0 ||
            fts_drop(s, m->channel, m->target) < 0)
            return STORE_EFAILED;
    }
    return 0;
}

/* USER_PUT's conflict, asked before the update, so that a taken canon is an answer and not
 * a failed statement. */
static int canon_taken(store_sqlite_t *s, const store_user_t *u, bool *taken)
{
    sqlite3_stmt *st = s->st[ST_USER_CANON_TAKEN];
    sqlite3_int64 v = 0;
    bool row = false;
    int rc =
        step_row(s, st, store_sqlite_bind(st, "ut", u->id, u->canon), "user canon check", &row, &v);
    *taken = row && v != 0;
    return rc;
}

/* Binds the statement of an account change; returns it in *out and the bind result. */
static int account_bind(store_sqlite_t *s, const store_change_t *c, sqlite3_stmt **out)
{
    const store_user_t *u = &c->u;
    const store_session_t *se = &c->sess;
    const store_invite_t *in = &c->inv;
    switch (c->kind) {
    case STORE_USER_CREATE:
    case STORE_USER_PUT:
        *out = s->st[c->kind == STORE_USER_CREATE ? ST_USER_CREATE : ST_USER_PUT];
        return store_sqlite_bind(*out, "uttttttiittti", u->id, u->name, u->canon, u->display,
                                 u->role, u->pass, u->state, u->created, u->seen,
                                 u->title ? u->title : "", u->tz ? u->tz : "",
                                 u->avatar ? u->avatar : "", (int64_t)u->bot);
    case STORE_SESSION_PUT:
        *out = s->st[ST_SESSION_PUT];
        return store_sqlite_bind(*out, "utuiiitt", se->id, se->hash, se->user_id, se->created,
                                 se->seen, se->expires, se->agent, se->addr);
    case STORE_SESSION_DELETE:
        *out = s->st[ST_SESSION_DELETE];
        return store_sqlite_bind(*out, "u", se->id);
    case STORE_SESSIONS_REVOKE:
        *out = s->st[ST_SESSIONS_REVOKE];
        return store_sqlite_bind(*out, "uu", c->user_id, se->id);
    case STORE_HOOK_PUT:
        *out = s->st[ST_HOOK_PUT];
        return store_sqlite_bind(*out, "utttuii", c->hook.id, c->hook.hash, c->hook.channel,
                                 c->hook.name, c->hook.creator, c->hook.created,
                                 (int64_t)c->hook.revoked);
    default:
        *out = s->st[ST_INVITE_PUT];
        return store_sqlite_bind(*out, "uttuutiiiii", in->id, in->hash, in->kind, in->creator,
                                 in->user_id, in->role, in->created, in->expires, (int64_t)in->uses,
                                 (int64_t)in->max_uses, (int64_t)in->revoked);
    }
}

/* An account change: its row, then (bump_accounts) the version another process watches. */
static int account_change(store_sqlite_t *s, const store_change_t *c)
{
    if (c->kind == STORE_USER_PUT) {
        bool taken = false;
        if (canon_taken(s, &c->u, &taken) < 0)
            return STORE_EFAILED;
        if (taken)
            return STORE_ECONFLICT;
    }
    sqlite3_stmt *st;
    int rc = account_bind(s, c, &st);
    if (step(s, st, rc, "account change") < 0)
        return STORE_EFAILED;
    /* CREATE inserts nothing when the id or canon is taken (ON CONFLICT DO NOTHING). */
    if (c->kind == STORE_USER_CREATE && sqlite3_changes(s->db) == 0)
        return STORE_ECONFLICT;
    if (s->bump_accounts)
        return step(s, s->st[ST_ACCOUNTS_BUMP], SQLITE_OK, "accounts version bump");
    return 0;
}

static int sq_change(void *impl, const store_change_t *c)
{
    store_sqlite_t *s = impl;
    const store_channel_t *ch = &c->ch;
    sqlite3_stmt *st;
    int rc;
    switch (c->kind) {
    case STORE_CHANNEL_PUT:
    case STORE_CHANNEL_CREATE:
        st = s->st[c->kind == STORE_CHANNEL_PUT ? ST_CHANNEL_PUT : ST_CHANNEL_CREATE];
        rc = store_sqlite_bind(st, "ttttuii", ch->name, ch->kind, ch->topic, ch->created_by,
                               ch->creator_id, ch->ts, (int64_t)ch->archived);
        break;
    case STORE_CHANNEL_DELETE: /* the rest of it goes by the trigger of schema v6 */
        st = s->st[ST_CHANNEL_DELETE];
        rc = store_sqlite_bind(st, "t", ch->name);
        break;
    case STORE_READ:
        st = s->st[ST_READ];
        rc = store_sqlite_bind(st, "tuu", ch->name, c->user_id, c->seq);
        break;
    case STORE_MEMBER_ADD:
        st = s->st[ST_MEMBER_ADD];
        rc = store_sqlite_bind(st, "tui", ch->name, c->user_id, c->ts);
        break;
    case STORE_MEMBER_REMOVE:
        st = s->st[ST_MEMBER_REMOVE];
        rc = store_sqlite_bind(st, "tu", ch->name, c->user_id);
        break;
    case STORE_NOTIFY_SET:
        if (strcmp(c->notify, "all") == 0) {
            st = s->st[ST_NOTIFY_CLEAR];
            rc = store_sqlite_bind(st, "tu", ch->name, c->user_id);
        } else {
            st = s->st[ST_NOTIFY_SET];
            rc = store_sqlite_bind(st, "tut", ch->name, c->user_id, c->notify);
        }
        break;
    default:
        return account_change(s, c);
    }
    if (step(s, st, rc, "change") < 0)
        return STORE_EFAILED;
    /* CREATE inserts nothing when the name is taken (ON CONFLICT DO NOTHING). */
    if (c->kind == STORE_CHANNEL_CREATE && sqlite3_changes(s->db) == 0)
        return STORE_ECONFLICT;
    if (c->kind == STORE_CHANNEL_CREATE && ch->creator_id > 0) {
        st = s->st[ST_MEMBER_ADD];
        rc = store_sqlite_bind(st, "tui", ch->name, ch->creator_id, c->ts);
        if (step(s, st, rc, "creator") < 0)
            return STORE_EFAILED;
    }
    return 0;
}

static int sq_probe(void *impl)
{
    store_sqlite_t *s = impl;
    return step(s, s->st[ST_PROBE], SQLITE_OK, "probe");
}

/* ---- loop thread: start-up reads ---- */

static const char *row_text(void *row, int col)
{
    return (const char *)sqlite3_column_text(row, col);
}

static int64_t row_num(void *row, int col)
{
    return sqlite3_column_int64(row, col);
}

store_db_row_t store_sqlite_row(sqlite3_stmt *st)
{
    return (store_db_row_t){st, row_text, row_num};
}

/* What one load part reports each row to. */
typedef struct {
    int part;
    const store_load_t *cbs;
    store_keyed_cb keyed;
    const store_accounts_load_t *accounts;
    void *ctx;
} load_arg_t;

/* Runs sql on the reading connection, reporting each row. Returns 0, or STORE_EFAILED after
 * logging. */
static int read_rows(store_sqlite_t *s, const char *sql, const load_arg_t *a)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->rdb, sql, -1, &st, NULL);
    store_db_row_t row = store_sqlite_row(st);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (a->accounts)
            store_db_account_row(&row, a->part, a->accounts, a->ctx);
        else
            store_db_load_row(&row, a->part, a->cbs, a->keyed, a->ctx);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE)
        log_error("store: %s: loading: %s", s->path, sqlite3_errmsg(s->rdb));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : STORE_EFAILED;
}

static int sq_load(void *impl, const store_load_t *cbs, store_keyed_cb keyed, void *ctx)
{
    store_sqlite_t *s = impl;
    for (int i = 0; i < STORE_DB_LOAD_PARTS; i++) {
        load_arg_t arg = {i, cbs, keyed, NULL, ctx};
        const char *sql = i == STORE_DB_CHANNELS ? store_sqlite_sql_channels : store_db_sql_load[i];
        if (store_db_load_wanted(i, cbs, keyed) && read_rows(s, sql, &arg) < 0)
            return STORE_EFAILED;
    }
    return 0;
}

static int sq_load_accounts(void *impl, const store_accounts_load_t *cbs, void *ctx)
{
    store_sqlite_t *s = impl;
    for (int i = 0; i < STORE_DB_ACCOUNT_PARTS; i++) {
        load_arg_t arg = {i, NULL, NULL, cbs, ctx};
        if (store_db_accounts_wanted(i, cbs) && read_rows(s, store_db_sql_accounts[i], &arg) < 0)
            return STORE_EFAILED;
    }
    return 0;
}

/* One step of a prepared one-row statement; each poll is its own short read transaction. */
static int sq_accounts_version(void *impl, uint64_t *out)
{
    store_sqlite_t *s = impl;
    sqlite3_stmt *st = s->st_accounts_version;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    else
        log_error("store: %s: accounts version: %s", s->path,
                  rc == SQLITE_DONE ? "no row in meta" : sqlite3_errmsg(s->rdb));
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : STORE_EFAILED;
}

static int sq_last_seq(void *impl, const char *channel, uint64_t *out)
{
    store_sqlite_t *s = impl;
    sqlite3_stmt *st = s->st_last_seq;
    int rc = store_sqlite_bind(st, "t", channel);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(st, 0); /* max() of nothing is NULL: 0 */
    else
        log_error("store: last seq of channel %s: %s", channel, sqlite3_errmsg(s->rdb));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? 0 : STORE_EFAILED;
}

/* ---- open and close ---- */

static void db_close(sqlite3 *db)
{
    if (db && sqlite3_close(db) != SQLITE_OK)
        log_warn("store: close: %s", sqlite3_errmsg(db));
}

/* Releases everything (each part may be missing: open's error path uses it too). */
static void sq_free(void *impl)
{
    store_sqlite_t *s = impl;
    store_sqlite_ckpt_stop(&s->ckpt, s->db);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]); /* NULL is a no-op */
    sqlite3_finalize(s->st_last_seq);
    sqlite3_finalize(s->st_accounts_version);
    for (unsigned r = 0; r < STORE_READERS; r++) {
        for (int i = 0; i < RD_COUNT; i++)
            sqlite3_finalize(s->rd[r].st[i]);
        db_close(s->rd[r].db);
    }
    db_close(s->db);
    db_close(s->rdb);
    free(s->path);
    free(s);
}

static const store_worker_ops_t sqlite_ops = {
    .name = "sqlite",
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .append = sq_append,
    .change = sq_change,
    .probe = sq_probe,
    .query = store_sqlite_query,
    .search = store_sqlite_search,
    .mention_counts = store_sqlite_mention_counts,
    .positions = store_sqlite_positions,
    .load = sq_load,
    .last_seq = sq_last_seq,
    .load_accounts = sq_load_accounts,
    .accounts_version = sq_accounts_version,
    .free = sq_free,
};

/* Refuses, before SQLite creates or changes anything, a database this process could not
 * write, naming the reason in one line: the file (when it exists) must be readable and
 * writable, and its directory writable too, since WAL mode keeps PATH-wal and PATH-shm
 * beside it. AT_EACCESS: as the effective user, who opens the files. */
static int check_access(const char *path)
{
    if (faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) < 0 && errno != ENOENT) {
        log_error("store: cannot write %s: %s", path, strerror(errno));
        return STORE_EFAILED;
    }
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir] = '\0'; /* "/x.db" lives in "/" */
    const char *d = slash ? dir : ".";
    int rc = 0;
    if (faccessat(AT_FDCWD, d, W_OK | X_OK, AT_EACCESS) < 0) {
        log_error("store: cannot write %s: its directory %s: %s (SQLite's WAL mode creates "
                  "%s-wal and %s-shm there)",
                  path, d, strerror(errno), path, path);
        rc = STORE_EFAILED;
    }
    free(dir);
    return rc;
}

/* One real write before the server starts: 0 when it committed, STORE_EFAILED after logging
 * when the database can never be written here (refuse to start), 1 after logging when it
 * failed for a reason that may pass (start in the failed state). */
static int start_write(store_sqlite_t *s)
{
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE; UPDATE probe SET n = n + 1 WHERE id = 1; COMMIT",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    char why[WHY_MAX];
    store_sqlite_why(s->db, why); /* before the rollback replaces the error */
    if (!sqlite3_get_autocommit(s->db))
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    int code = rc & 0xff;
    bool never = code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM ||
                 code == SQLITE_AUTH || code == SQLITE_NOTADB || code == SQLITE_CORRUPT;
    if (never)
        log_error("store: cannot write %s: %s", s->path, why);
    else
        log_warn("store: %s: the first write failed (%s): starting with writes refused until "
                 "one succeeds",
                 s->path, why);
    return never ? STORE_EFAILED : 1;
}

int store_sqlite_open(uv_loop_t *loop, const store_sqlite_opts_t *opts, store_t **out)
{
    if (!sqlite3_threadsafe()) {
        log_error("store: this SQLite library is built without thread support");
        return STORE_EFAILED;
    }
    if (check_access(opts->path) < 0)
        return STORE_EFAILED;
    store_sqlite_t *s = xcalloc(1, sizeof(*s));
    s->path = xstrdup(opts->path);
    s->bump_accounts = opts->bump_accounts;
    s->read_budget = opts->read_budget ? opts->read_budget : READ_BUDGET;
    int failed = 0;
    if (store_sqlite_db_open(s->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->db) < 0 ||
        store_sqlite_schema_init(s->db, s->path, opts->sync_full) < 0 ||
        (failed = start_write(s)) < 0 ||
        store_sqlite_db_open(s->path, SQLITE_OPEN_READWRITE, &s->rdb) < 0 ||
        store_sqlite_open_readers(s) < 0 || store_sqlite_prepare_all(s) < 0 ||
        store_sqlite_ckpt_start(&s->ckpt, s->db, s->path, opts->sync_full) < 0 ||
        store_worker_open(loop, &sqlite_ops, s, failed == 1, out) < 0) {
        sq_free(s);
        return STORE_EFAILED;
    }
    log_info("store: %s open (sqlite %s, synchronous=%s)", opts->path, sqlite3_libversion(),
             opts->sync_full ? "full" : "normal");
    return 0;
}
