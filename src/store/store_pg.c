/* store_pg - the PostgreSQL backend of store.h: the functions the shared store worker calls
 * (store_worker.h) for transactions and writes, the loop thread's loads, and open and close.
 * The queue, the threads, batching and the failed state are the worker's; the sessions are
 * in store_pg_conn.c, the reads in store_pg_read.c and the SQL in store_pg_schema.c.
 *
 * A write transaction is one pipeline (libpq's pipeline mode): the rows of the batch's new
 * channels (committed on their own, before), BEGIN, the lock of the batch's channels, each
 * write as one prepared statement (an append is one statement
 * whatever its kind, store_pg_schema.c), the channels' last_seq, then COMMIT and a sync, with
 * the answers read at the end: each append's seq and duplicate mark is read from its answer
 * then (the worker reads them once commit returned). So a batch of a thousand appends costs
 * a few round trips, not a thousand. Two things read answers earlier: every PG_PIPE_DEPTH
 * statements a sync and a read of what came (so that neither side's buffers fill with unread
 * answers), and a change whose answer its caller needs (CHANNEL_CREATE, USER_*:
 * STORE_ECONFLICT or not), which reads up to its own answer and lets the transaction go on.
 * A failing statement aborts the rest of the pipeline and the transaction: the commit then
 * fails, the worker rolls back and enters the failed state.
 *
 * Those mid-transaction reads are syncs, not flush requests, because of a process that stops
 * running there (SIGSTOP, a paused VM, a swap storm) holding its channels' rows: PostgreSQL
 * counts a session idle in a transaction only after a sync, and only then does the writer
 * session's idle_in_transaction_session_timeout (PG_WRITER_IDLE) end it and free the rows
 * that every other process's writes to those channels wait for. Behind a flush request the
 * session looks busy and waits for its client for as long as the client is stopped. A sync
 * inside BEGIN does not commit; the process that runs again finds its session ended, and
 * its batch fails like any other (its clients retry).
 *
 * Invariants:
 * - `w` belongs to the writer thread (the opener uses it before the threads start, free
 *   after they are joined), `loop` to the loop thread, `rd[i]` to reader thread i.
 * - Between two transactions the writer's session is out of pipeline mode with no answer
 *   unread (pending 0), and not in a transaction. */
#include "store/store_pg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "store/store_pg_int.h"

/* ---- writer thread: a transaction is one pipeline ---- */

/* Logs a failed write (res NULL: the session's own error), throttled by SQLSTATE. */
static int w_fail(store_pg_t *s, const PGresult *res, const char *what)
{
    char why[PG_WHY_MAX];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(s->last_state, sizeof(s->last_state), "%s", state ? state : "");
    int64_t code = state ? strtoll(state, NULL, 36) : -1; /* five of 0-9A-Z: one number each */
    log_msg(store_db_err_level(&s->w.errlog, code), "store: %s: %s failed: %s", s->where, what,
            store_pg_why(&s->w, res, why));
    return STORE_EFAILED;
}

/* An append's answer (seq, duplicate) into the out values it was sent with. */
static void take_answer(store_pg_t *s, int i, const PGresult *res)
{
    if (!s->answers[i].seq || PQntuples(res) != 1)
        return;
    *s->answers[i].seq = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    *s->answers[i].duplicate = PQgetvalue(res, 0, 1)[0] == 't';
}

/* Reads the answers of the statements sent and unread, in order; *last (when given, and
 * everything succeeded) gets the last one's, for the caller to clear. 0, or STORE_EFAILED
 * after logging the failure that aborted the pipeline (the statements it skipped are not
 * logged). */
static int w_read(store_pg_t *s, PGresult **last)
{
    PGconn *pg = s->w.pg;
    int rc = 0, n = s->pending;
    s->pending = 0;
    for (int i = 0; i < n; i++) {
        if (store_pg_wait(&s->w, PG_WRITER_SILENCE_MS) < 0)
            return STORE_EFAILED;
        PGresult *res = PQgetResult(pg);
        if (!res) /* the session broke: no more answers will come */
            return rc < 0 ? rc : w_fail(s, NULL, "a write");
        ExecStatusType st = PQresultStatus(res);
        bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
        if (!ok && st != PGRES_PIPELINE_ABORTED && rc == 0)
            rc = w_fail(s, res, "a write");
        rc = ok ? rc : STORE_EFAILED;
        if (rc == 0)
            take_answer(s, i, res);
        if (last && i == n - 1 && rc == 0)
            *last = res;
        else
            PQclear(res);
        while ((res = PQgetResult(pg))) /* up to the NULL that ends this statement's answer */
            PQclear(res);
    }
    return rc;
}

static int w_sync_read(store_pg_t *s, PGresult **last);

/* Everything sent so far, answered, through a sync (see the top of the file): the
 * transaction goes on. */
static int w_answer(store_pg_t *s, PGresult **last)
{
    return w_sync_read(s, last);
}

/* Sends writer statement st (p NULL: none; seq and duplicate: an append's out values, else
 * NULL), after reading the answers waiting when PG_PIPE_DEPTH are. */
static int w_put(store_pg_t *s, int st, const store_pg_params_t *p, uint64_t *seq, bool *duplicate)
{
    if (s->pending >= PG_PIPE_DEPTH && w_answer(s, NULL) < 0)
        return STORE_EFAILED;
    char name[16];
    snprintf(name, sizeof(name), "w%d", st);
    if (!PQsendQueryPrepared(s->w.pg, name, p ? p->n : 0, p ? p->v : NULL, NULL, NULL, 0))
        return w_fail(s, NULL, "sending a write");
    s->answers[s->pending].seq = seq;
    s->answers[s->pending].duplicate = duplicate;
    s->pending++;
    return 0;
}

/* w_put inside the transaction: BEGIN first, when it is not sent yet. */
static int w_send_out(store_pg_t *s, int st, const store_pg_params_t *p, uint64_t *seq,
                      bool *duplicate)
{
    if (!s->began) {
        s->began = true;
        if (w_put(s, PW_BEGIN, NULL, NULL, NULL) < 0)
            return STORE_EFAILED;
    }
    return w_put(s, st, p, seq, duplicate);
}

static int w_send(store_pg_t *s, int st, const store_pg_params_t *p)
{
    return w_send_out(s, st, p, NULL, NULL);
}

/* A sync, every answer up to it (*last: w_read's), and the sync's own: what came before it
 * is committed (or failed), or, inside BEGIN, done; the pipeline goes on. */
static int w_sync_read(store_pg_t *s, PGresult **last)
{
    PGconn *pg = s->w.pg;
    if (!PQpipelineSync(pg)) {
        s->pending = 0;
        return w_fail(s, NULL, "a write");
    }
    int rc = w_read(s, last);
    if (s->w.hung ||
        (PQstatus(pg) == CONNECTION_OK && store_pg_wait(&s->w, PG_WRITER_SILENCE_MS) < 0))
        return STORE_EFAILED;
    PGresult *res = PQstatus(pg) == CONNECTION_OK ? PQgetResult(pg) : NULL;
    if (PQresultStatus(res) != PGRES_PIPELINE_SYNC && rc == 0)
        rc = w_fail(s, res, "a write");
    PQclear(res);
    return rc;
}

/* Ends the pipeline: w_sync_read, then out of pipeline mode. */
static int w_sync(store_pg_t *s)
{
    int rc = w_sync_read(s, NULL);
    if (!PQexitPipelineMode(s->w.pg) && rc == 0)
        rc = w_fail(s, NULL, "a write");
    return rc;
}

/* Sends st and reads up to its answer: *conflict from it (its first column, or, when it
 * returns no row, its having changed none). */
static int w_ask(store_pg_t *s, int st, const store_pg_params_t *p, bool *conflict)
{
    PGresult *last = NULL;
    int rc = w_send(s, st, p);
    if (rc == 0)
        rc = w_answer(s, &last);
    if (rc == 0 && last)
        *conflict = PQntuples(last) > 0 ? PQgetvalue(last, 0, 0)[0] == 't'
                                        : strcmp(PQcmdTuples(last), "0") == 0;
    PQclear(last);
    return rc;
}

/* The pipeline; BEGIN goes with the first write (after pg_lock's rows are made). */
static int pg_begin(void *impl)
{
    store_pg_t *s = impl;
    s->pending = 0;
    s->nlocked = 0;
    s->began = false;
    if (store_pg_ready(s, &s->w) < 0)
        return STORE_EFAILED;
    if (!PQenterPipelineMode(s->w.pg))
        return w_fail(s, NULL, "begin");
    return 0;
}

/* The batch's channels (sorted, distinct): rows made for new ones and committed, read back
 * before the transaction begins (a round trip per batch with appends), then all locked. */
static int pg_lock(void *impl, const char *const *channels, size_t n)
{
    store_pg_t *s = impl;
    s->locked = channels;
    s->nlocked = n;
    buf_t names = BUF_INIT;
    store_pg_array_text(&names, channels, n);
    store_pg_params_t p;
    store_pg_bind(&p, "t", names.data);
    int rc = w_put(s, PW_MAKE, &p, NULL, NULL);
    if (rc == 0)
        rc = w_sync_read(s, NULL);
    if (rc == 0)
        rc = w_send(s, PW_LOCK, &p);
    buf_deinit(&names);
    return rc;
}

/* Raises the last_seq of the channels the batch locked (each once, PW_SEQS). */
static int send_seqs(store_pg_t *s)
{
    if (s->nlocked == 0)
        return 0;
    buf_t names = BUF_INIT;
    store_pg_array_text(&names, s->locked, s->nlocked);
    store_pg_params_t p;
    store_pg_bind(&p, "t", names.data);
    int rc = w_send(s, PW_SEQS, &p);
    buf_deinit(&names);
    return rc;
}

static int pg_commit(void *impl)
{
    store_pg_t *s = impl;
    int rc = send_seqs(s);
    if (rc == 0)
        rc = w_send(s, PW_COMMIT, NULL);
    return rc < 0 ? rc : w_sync(s);
}

/* Ends what is left of the failed transaction at once (its locks are other processes'
 * wait), and asks for a new session before the next one (store_pg_conn.c). A server that
 * stopped answering is not waited for again: the new session drops the old one, whose
 * transaction ends with it. */
static void pg_rollback(void *impl)
{
    store_pg_t *s = impl;
    PGconn *pg = s->w.pg;
    s->w.reset = true;
    if (s->w.hung) {
        s->pending = 0;
        return;
    }
    if (PQstatus(pg) == CONNECTION_OK && PQpipelineStatus(pg) != PQ_PIPELINE_OFF)
        (void)w_sync(s);
    if (PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) != PQTRANS_IDLE)
        PQclear(PQexec(pg, "ROLLBACK"));
    s->pending = 0;
}

static int pg_append(void *impl, const store_msg_t *m, uint64_t *seq, bool *duplicate)
{
    store_pg_t *s = impl;
    buf_t ids = BUF_INIT;
    for (size_t i = 0; i < m->nmentions; i++) /* ids past bigint clamped, as SQLite's */
        buf_appendf(&ids, "%s%" PRIu64, i ? "," : "{",
                    m->mentions[i] > INT64_MAX ? (uint64_t)INT64_MAX : m->mentions[i]);
    if (m->nmentions)
        buf_append_str(&ids, "}");
    const char *kind = m->kind ? m->kind : "msg";
    store_pg_params_t p;
    store_pg_bind(&p, "tuttituutbuttt", m->channel, m->seq, m->user, m->text, m->ts, kind,
                  m->thread, m->target, m->cid && m->cid[0] ? m->cid : NULL, (int)m->guest,
                  m->user_id, ids.data, m->files ? m->files : "", m->app ? m->app : "");
    /* The lean statement when nothing but the event's row is written (store_pg_schema.c). */
    bool plain = m->nmentions == 0 && strcmp(kind, "edit") != 0 && strcmp(kind, "delete") != 0;
    int rc = w_send_out(s, plain ? PW_APPEND_PLAIN : PW_APPEND, &p, seq, duplicate);
    buf_deinit(&ids);
    return rc;
}

/* An account change: its row (USER_*: answered at once, for the conflict, and bumping
 * accounts_version in its own statement), then for the others the bump. */
static int account_change(store_pg_t *s, const store_change_t *c)
{
    const store_user_t *u = &c->u;
    const store_session_t *se = &c->sess;
    const store_invite_t *in = &c->inv;
    store_pg_params_t p;
    bool conflict = false;
    int st, rc;
    switch (c->kind) {
    case STORE_USER_CREATE:
    case STORE_USER_PUT:
        store_pg_bind(&p, "uttttttiibtttb", u->id, u->name, u->canon, u->display, u->role, u->pass,
                      u->state, u->created, u->seen, (int)s->bump_accounts,
                      u->title ? u->title : "", u->tz ? u->tz : "", u->avatar ? u->avatar : "",
                      (int)u->bot);
        rc = w_ask(s, c->kind == STORE_USER_CREATE ? PW_USER_CREATE : PW_USER_PUT, &p, &conflict);
        return rc < 0 ? rc : conflict ? STORE_ECONFLICT : 0;
    case STORE_SESSION_PUT:
        st = PW_SESSION_PUT;
        store_pg_bind(&p, "utuiiitt", se->id, se->hash, se->user_id, se->created, se->seen,
                      se->expires, se->agent, se->addr);
        break;
    case STORE_SESSION_DELETE:
        st = PW_SESSION_DELETE;
        store_pg_bind(&p, "u", se->id);
        break;
    case STORE_SESSIONS_REVOKE:
        st = PW_SESSIONS_REVOKE;
        store_pg_bind(&p, "uu", c->user_id, se->id);
        break;
    case STORE_HOOK_PUT:
        st = PW_HOOK_PUT;
        store_pg_bind(&p, "utttuib", c->hook.id, c->hook.hash, c->hook.channel, c->hook.name,
                      c->hook.creator, c->hook.created, (int)c->hook.revoked);
        break;
    default:
        st = PW_INVITE_PUT;
        store_pg_bind(&p, "uttuutiiiib", in->id, in->hash, in->kind, in->creator, in->user_id,
                      in->role, in->created, in->expires, (int64_t)in->uses, (int64_t)in->max_uses,
                      (int)in->revoked);
    }
    rc = w_send(s, st, &p);
    if (rc == 0 && s->bump_accounts)
        rc = w_send(s, PW_ACCOUNTS_BUMP, NULL);
    return rc;
}

static int pg_change(void *impl, const store_change_t *c)
{
    store_pg_t *s = impl;
    const store_channel_t *ch = &c->ch;
    store_pg_params_t p;
    bool conflict = false;
    int st;
    switch (c->kind) {
    case STORE_CHANNEL_PUT:
    case STORE_CHANNEL_CREATE:
        store_pg_bind(&p, "ttttuib", ch->name, ch->kind, ch->topic, ch->created_by, ch->creator_id,
                      ch->ts, (int)ch->archived);
        if (c->kind == STORE_CHANNEL_PUT)
            return w_send(s, PW_CHANNEL_PUT, &p);
        int rc = w_ask(s, PW_CHANNEL_CREATE, &p, &conflict);
        if (rc < 0 || conflict)
            return rc < 0 ? rc : STORE_ECONFLICT;
        if (ch->creator_id == 0)
            return 0;
        /* Made here: its creator is a member in the same transaction (store.h). */
        store_pg_bind(&p, "tui", ch->name, ch->creator_id, c->ts);
        return w_send(s, PW_MEMBER_ADD, &p);
    case STORE_CHANNEL_DELETE: /* the rest of it goes by the references' ON DELETE CASCADE */
        st = PW_CHANNEL_DELETE;
        store_pg_bind(&p, "t", ch->name);
        break;
    case STORE_READ:
        st = PW_READ;
        store_pg_bind(&p, "tuu", ch->name, c->user_id, c->seq);
        break;
    case STORE_MEMBER_ADD:
        st = PW_MEMBER_ADD;
        store_pg_bind(&p, "tui", ch->name, c->user_id, c->ts);
        break;
    case STORE_MEMBER_REMOVE:
        st = PW_MEMBER_REMOVE;
        store_pg_bind(&p, "tu", ch->name, c->user_id);
        break;
    case STORE_NOTIFY_SET:
        if (strcmp(c->notify, "all") == 0) {
            st = PW_NOTIFY_CLEAR;
            store_pg_bind(&p, "tu", ch->name, c->user_id);
        } else {
            st = PW_NOTIFY_SET;
            store_pg_bind(&p, "tut", ch->name, c->user_id, c->notify);
        }
        break;
    default:
        return account_change(s, c);
    }
    return w_send(s, st, &p);
}

static int pg_probe(void *impl)
{
    return w_send(impl, PW_PROBE, NULL);
}

/* ---- loop thread: start-up reads ---- */

/* What one load part reports each row to. */
typedef struct {
    int part;
    const store_load_t *cbs;
    store_keyed_cb keyed;
    const store_accounts_load_t *accounts;
    void *ctx;
} load_arg_t;

static bool loop_exec(store_pg_t *s, const char *sql)
{
    PGresult *res = PQexec(s->loop.pg, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        char why[PG_WHY_MAX];
        log_error("store: %s: loading: %s", s->where, store_pg_why(&s->loop, res, why));
    }
    PQclear(res);
    return ok;
}

/* Runs sql, reporting each row as it comes (single-row mode: a large part is never held
 * whole), except the channels (whole: each one's callback reads its last seq on this same
 * connection, which must not be in the middle of a result then; there are a few thousand
 * at most). 0, or STORE_EFAILED after logging. */
static int load_part(store_pg_t *s, const char *sql, const load_arg_t *a)
{
    PGconn *pg = s->loop.pg;
    char why[PG_WHY_MAX];
    if (!PQsendQueryParams(pg, sql, 0, NULL, NULL, NULL, NULL, 0)) {
        log_error("store: %s: loading: %s", s->where, store_pg_why(&s->loop, NULL, why));
        return STORE_EFAILED;
    }
    if (sql != store_pg_sql_channels)
        (void)PQsetSingleRowMode(pg); /* else the rows come in one answer, read the same way */
    int rc = 0;
    for (PGresult *res; (res = PQgetResult(pg)); PQclear(res)) {
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK) {
            if (rc == 0)
                log_error("store: %s: loading: %s", s->where, store_pg_why(&s->loop, res, why));
            rc = STORE_EFAILED;
            continue;
        }
        store_pg_row_t r = {res, 0};
        store_db_row_t row = store_pg_row(&r);
        for (r.i = 0; r.i < PQntuples(res) && rc == 0; r.i++) {
            if (a->accounts)
                store_db_account_row(&row, a->part, a->accounts, a->ctx);
            else
                store_db_load_row(&row, a->part, a->cbs, a->keyed, a->ctx);
        }
    }
    return rc;
}

/* The parts wanted of sql[n] (the channels' NULL: ours), in one read-only snapshot: what
 * another process commits in the middle of a load is all in it or not at all. */
static int load_parts(store_pg_t *s, const char *const *sql, int n, const load_arg_t *tmpl)
{
    if (store_pg_ready(s, &s->loop) < 0 ||
        !loop_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        return STORE_EFAILED;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        load_arg_t a = *tmpl;
        a.part = i;
        bool wanted = a.accounts ? store_db_accounts_wanted(i, a.accounts)
                                 : store_db_load_wanted(i, a.cbs, a.keyed);
        if (wanted)
            rc = load_part(s, sql[i] ? sql[i] : store_pg_sql_channels, &a);
    }
    if (!loop_exec(s, rc == 0 ? "COMMIT" : "ROLLBACK"))
        rc = STORE_EFAILED;
    return rc;
}

static int pg_load(void *impl, const store_load_t *cbs, store_keyed_cb keyed, void *ctx)
{
    load_arg_t a = {0, cbs, keyed, NULL, ctx};
    return load_parts(impl, store_db_sql_load, STORE_DB_LOAD_PARTS, &a);
}

static int pg_load_accounts(void *impl, const store_accounts_load_t *cbs, void *ctx)
{
    load_arg_t a = {0, NULL, NULL, cbs, ctx};
    return load_parts(impl, store_db_sql_accounts, STORE_DB_ACCOUNT_PARTS, &a);
}

/* One number from loop statement st with parameter arg (NULL: none). */
static int loop_number(store_pg_t *s, int st, const char *arg, uint64_t *out)
{
    if (store_pg_ready(s, &s->loop) < 0)
        return STORE_EFAILED;
    char name[16];
    snprintf(name, sizeof(name), "l%d", st);
    /* Sent and waited for, not PQexecPrepared: the loop must not wait for a server that
     * stopped answering (store_pg_wait gives the session up, store_pg_ready retries later). */
    PGconn *pg = s->loop.pg;
    if (!PQsendQueryPrepared(pg, name, arg ? 1 : 0, &arg, NULL, NULL, 0) ||
        store_pg_wait(&s->loop, PG_LOOP_SILENCE_MS) < 0) {
        s->loop.next_ms = clock_mono_ms() + s->loop.retry_ms;
        s->loop.reset = true;
        return STORE_EFAILED;
    }
    PGresult *res = PQgetResult(pg);
    for (PGresult *more; (more = PQgetResult(pg));)
        PQclear(more);
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    if (ok) {
        *out = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    } else {
        char why[PG_WHY_MAX];
        log_error("store: %s: %s: %s", s->where, store_pg_sql_loop[st],
                  PQresultStatus(res) == PGRES_TUPLES_OK ? "no row"
                                                         : store_pg_why(&s->loop, res, why));
    }
    PQclear(res);
    return ok ? 0 : STORE_EFAILED;
}

static int pg_last_seq(void *impl, const char *channel, uint64_t *out)
{
    return loop_number(impl, PL_LAST_SEQ, channel, out);
}

static int pg_accounts_version(void *impl, uint64_t *out)
{
    return loop_number(impl, PL_ACCOUNTS_VERSION, NULL, out);
}

/* ---- open and close ---- */

/* Releases everything (each part may be missing: open's error path uses it too). */
static void pg_free(void *impl)
{
    store_pg_t *s = impl;
    store_pg_disconnect(&s->w);
    store_pg_disconnect(&s->loop);
    for (unsigned i = 0; i < STORE_READERS; i++)
        store_pg_disconnect(&s->rd[i]);
    free(s->url);
    free(s);
}

static const store_worker_ops_t pg_ops = {
    .name = "postgresql",
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .lock = pg_lock,
    .append = pg_append,
    .change = pg_change,
    .probe = pg_probe,
    .query = store_pg_query,
    .search = store_pg_search,
    .mention_counts = store_pg_mention_counts,
    .positions = store_pg_positions,
    .load = pg_load,
    .last_seq = pg_last_seq,
    .load_accounts = pg_load_accounts,
    .accounts_version = pg_accounts_version,
    .free = pg_free,
};

/* One real write before the server starts: 0 when it committed; STORE_EFAILED after logging
 * when this role can never write here (a read-only server or transaction, no privilege:
 * refuse to start); 1 when it failed for a reason that may pass (start in the failed
 * state). */
static int start_write(store_pg_t *s)
{
    int rc = pg_begin(s);
    if (rc == 0)
        rc = pg_probe(s);
    if (rc == 0)
        rc = pg_commit(s);
    if (rc == 0)
        return 0;
    pg_rollback(s);
    bool never = strncmp(s->last_state, "25", 2) == 0 || strncmp(s->last_state, "42", 2) == 0;
    if (never) {
        log_error("store: %s: cannot write (SQLSTATE %s)", s->where, s->last_state);
        return STORE_EFAILED;
    }
    log_warn("store: %s: the first write failed: starting with writes refused until one "
             "succeeds",
             s->where);
    return 1;
}

/* retry_ms: store_pg_conn.c; the loop thread's session waits longest. */
static void conn_init(store_pg_conn_t *c, const char *role, const char *const *sql, int n,
                      char prefix)
{
    unsigned retry_ms = prefix == 'l' ? 10000 : 1000;
    *c = (store_pg_conn_t){
        .role = role, .sql = sql, .nsql = n, .prefix = prefix, .retry_ms = retry_ms};
}

/* Every session but the writer's (which open made first, for the schema). */
static int connect_others(store_pg_t *s)
{
    conn_init(&s->loop, "loop", store_pg_sql_loop, PL_COUNT, 'l');
    if (store_pg_connect(s, &s->loop) < 0 || store_pg_ready(s, &s->loop) < 0)
        return STORE_EFAILED;
    for (unsigned i = 0; i < STORE_READERS; i++) {
        conn_init(&s->rd[i], "reader", store_pg_sql_read, PR_COUNT, 'r');
        if (store_pg_connect(s, &s->rd[i]) < 0 || store_pg_ready(s, &s->rd[i]) < 0)
            return STORE_EFAILED;
    }
    return 0;
}

int store_pg_open(uv_loop_t *loop, const store_pg_opts_t *opts, store_t **out)
{
    char *err = NULL;
    PQconninfoOption *info = PQconninfoParse(opts->url, &err);
    if (!info) {
        log_error("store: postgresql: cannot read the URL: %.*s",
                  err ? (int)strcspn(err, "\n") : 13, err ? err : "out of memory");
        PQfreemem(err);
        return STORE_EFAILED;
    }
    PQconninfoFree(info);
    if (!PQisthreadsafe()) {
        log_error("store: postgresql: this libpq is built without thread support");
        return STORE_EFAILED;
    }
    store_pg_t *s = xcalloc(1, sizeof(*s));
    s->url = xstrdup(opts->url);
    s->sync_full = opts->sync_full;
    s->bump_accounts = opts->bump_accounts;
    s->read_budget = opts->read_budget ? opts->read_budget : PG_READ_BUDGET;
    conn_init(&s->w, "writer", store_pg_sql_write, PW_COUNT, 'w');
    int failed = 0;
    if (store_pg_connect(s, &s->w) < 0 || store_pg_schema_init(s, &s->w) < 0 ||
        store_pg_ready(s, &s->w) < 0 || (failed = start_write(s)) < 0 || connect_others(s) < 0 ||
        store_worker_open(loop, &pg_ops, s, failed == 1, out) < 0) {
        pg_free(s);
        return STORE_EFAILED;
    }
    int v = PQserverVersion(s->w.pg);
    log_info("store: %s open (server %d.%d, libpq %d, synchronous_commit %s)", s->where, v / 10000,
             v % 10000, PQlibVersion(), opts->sync_full ? "on" : "as the server's");
    return 0;
}
