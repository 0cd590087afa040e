/* store_pg_read - the PostgreSQL backend's reads, run by the store worker's reader threads,
 * each on its own session (read-only): history and resume ranges, threads, full-text search,
 * unread mention counts and every channel's position. Each copies its rows into the worker's
 * store_rows_t.
 *
 * A read sends its statement and waits for the answer in slices of STORE_PG_CANCEL_POLL_MS
 * (poll on the session's socket, PQconsumeInput), looking at its cancel flag between them:
 * once the flag is up it asks the server to cancel the statement (PQcancel) and answers
 * STORE_ECANCELED, whatever comes back. The budget is the session's statement_timeout
 * (store_pg.h), set when a read needs another one than the last; a statement it stops fails
 * with SQLSTATE 57014 and is answered STORE_EBUDGET.
 *
 * 57014 is also what a cancel answers, and a cancel request travels on its own connection:
 * one sent just as its statement finished can reach the server while the next statement of
 * the session runs. A 57014 that neither this read's cancel nor its timeout explains is that
 * late request, and the read is run once more; so is a read whose session turned out to be
 * gone (the server restarted since its last use), on a new session. */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "store/store_pg_int.h"

#define QUERY_CANCELED "57014"

static bool cancel_raised(const store_read_t *rd)
{
    return rd->cancel && atomic_load_explicit(rd->cancel, memory_order_relaxed);
}

/* Waits for the answer of the statement sent on c, canceling it once rd's flag is up; reads
 * the session free again and returns the statement's result (NULL only when the session
 * broke without one). */
static PGresult *wait_answer(store_pg_conn_t *c, const store_read_t *rd, bool *canceled)
{
    PGconn *pg = c->pg;
    while (PQisBusy(pg) && PQstatus(pg) == CONNECTION_OK) {
        struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
        int n = poll(&pfd, 1, STORE_PG_CANCEL_POLL_MS);
        if ((n > 0 || (n < 0 && errno != EINTR)) && !PQconsumeInput(pg))
            break; /* the session broke: PQgetResult has its error */
        if (!*canceled && cancel_raised(rd)) {
            char err[256];
            *canceled = true;
            if (!c->cancel || !PQcancel(c->cancel, err, sizeof(err)))
                log_debug("store: postgresql: cancel request failed: %s", c->cancel ? err : "");
        }
    }
    PGresult *res = PQgetResult(pg);
    for (PGresult *more; (more = PQgetResult(pg));)
        PQclear(more);
    return res;
}

/* The statement_timeout of reads of budget factor f. */
static int budget_ms(const store_pg_t *s, unsigned f)
{
    uint64_t ms = s->read_budget / STORE_PG_STEPS_PER_MS * f;
    return ms < 1 ? 1 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static int set_timeout(store_pg_t *s, store_pg_conn_t *c, int ms)
{
    if (c->timeout_ms == ms)
        return 0;
    char sql[64];
    snprintf(sql, sizeof(sql), "SET statement_timeout = %d", ms);
    PGresult *res = PQexec(c->pg, sql);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : STORE_EFAILED;
    if (rc < 0 && PQstatus(c->pg) == CONNECTION_OK) { /* else run tries a new session */
        char why[PG_WHY_MAX];
        log_warn("store: %s: %s: %s", s->where, sql, store_pg_why(c, res, why));
    } else if (rc == 0) {
        c->timeout_ms = ms;
    }
    PQclear(res);
    return rc;
}

/* Runs reader statement st with p under a timeout of ms: 0 and *out (the caller clears it),
 * or STORE_ECANCELED, STORE_EBUDGET, or STORE_EFAILED after logging. */
static int run(store_pg_t *s, const store_read_t *rd, int st, const store_pg_params_t *p, int ms,
               PGresult **out)
{
    store_pg_conn_t *c = &s->rd[rd->reader];
    char name[16], why[PG_WHY_MAX];
    snprintf(name, sizeof(name), "r%d", st);
    for (int attempt = 0;; attempt++) {
        if (cancel_raised(rd))
            return STORE_ECANCELED;
        if (store_pg_ready(s, c) < 0)
            return STORE_EFAILED;
        if (set_timeout(s, c, ms) < 0) {
            if (attempt == 0 && PQstatus(c->pg) != CONNECTION_OK)
                continue; /* the session was gone: once more, on a new one */
            return STORE_EFAILED;
        }
        uint64_t start = clock_mono_ms();
        bool canceled = false;
        PGresult *res = NULL;
        if (PQsendQueryPrepared(c->pg, name, p->n, p->v, NULL, NULL, 0))
            res = wait_answer(c, rd, &canceled);
        if (canceled) {
            PQclear(res);
            return STORE_ECANCELED;
        }
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            *out = res;
            return 0;
        }
        if (attempt == 0 && PQstatus(c->pg) != CONNECTION_OK) {
            PQclear(res); /* the session was gone: once more, on a new one */
            continue;
        }
        bool stopped = store_pg_state_is(res, QUERY_CANCELED);
        if (stopped && clock_mono_ms() - start >= (uint64_t)ms * 9 / 10) {
            PQclear(res);
            return STORE_EBUDGET; /* an answer, not logged */
        }
        if (!stopped || attempt > 0) {
            log_warn("store: %s: a read failed: %s", s->where, store_pg_why(c, res, why));
            PQclear(res);
            return STORE_EFAILED;
        }
        PQclear(res); /* a late cancel: once more */
    }
}

static void rows_add(const PGresult *res, const store_db_shape_t *sh, store_rows_t *out)
{
    store_pg_row_t r = {res, 0};
    store_db_row_t row = store_pg_row(&r);
    for (r.i = 0; r.i < PQntuples(res); r.i++)
        store_db_msg(&row, sh, out);
}

/* The thread of every msg of the page (oldest first, consecutive seqs), in one grouped
 * range read of the thread index. */
static int fill_replies(store_pg_t *s, const store_read_t *rd, const char *channel,
                        store_rows_t *out)
{
    store_pg_params_t p;
    store_pg_bind(&p, "tuu", channel, out->rows[0].seq, out->rows[out->n - 1].seq);
    PGresult *res;
    int rc = run(s, rd, PR_REPLIES, &p, budget_ms(s, 1), &res);
    if (rc < 0)
        return rc;
    store_pg_row_t r = {res, 0};
    store_db_row_t row = store_pg_row(&r);
    for (r.i = 0; r.i < PQntuples(res); r.i++)
        store_db_replies(&row, out);
    PQclear(res);
    return 0;
}

/* A channel's msgs among q->seqs, or one msg's edit history (store_query_t). */
static int query_listed(store_pg_t *s, const store_read_t *rd, const store_query_t *q,
                        store_rows_t *out)
{
    buf_t list = BUF_INIT;
    buf_append_str(&list, "{");
    for (size_t i = 0; i < q->nseqs; i++)
        buf_appendf(&list, "%s%llu", i ? "," : "", (unsigned long long)q->seqs[i]);
    buf_append_str(&list, "}");
    store_pg_params_t p;
    int64_t limit = (int64_t)q->limit + 1;
    if (q->nseqs)
        store_pg_bind(&p, "tti", q->channel, list.data, limit);
    else
        store_pg_bind(&p, "tui", q->channel, q->edits, limit);
    PGresult *res;
    int rc = run(s, rd, q->nseqs ? PR_SEQS : PR_EDITS, &p, budget_ms(s, 1), &res);
    buf_deinit(&list);
    if (rc < 0)
        return rc;
    rows_add(res, &store_db_msg_shape, out);
    PQclear(res);
    for (size_t i = 0; i < out->n; i++)
        out->rows[i].channel = q->channel;
    store_db_page(out, q->limit, false);
    return 0;
}

/* One row beyond the limit is asked for to learn `more`; history comes newest first. */
int store_pg_query(void *impl, const store_read_t *rd, const store_query_t *q, store_rows_t *out)
{
    store_pg_t *s = impl;
    if (q->nseqs || q->edits)
        return query_listed(s, rd, q, out);
    int st = PR_NEWEST;
    uint64_t bound = 0;
    if (q->thread > 0) {
        st = PR_THREAD;
        bound = q->thread;
    } else if (q->after > 0 || q->forward) {
        st = PR_AFTER;
        bound = q->after;
    } else if (q->before > 0) {
        st = PR_BEFORE;
        bound = q->before;
    }
    store_pg_params_t p;
    int64_t limit = (int64_t)q->limit + 1;
    if (st == PR_NEWEST)
        store_pg_bind(&p, "ti", q->channel, limit);
    else
        store_pg_bind(&p, "tui", q->channel, bound, limit);
    PGresult *res;
    int rc = run(s, rd, st, &p, budget_ms(s, 1), &res);
    if (rc < 0)
        return rc;
    rows_add(res, &store_db_msg_shape, out);
    PQclear(res);
    for (size_t i = 0; i < out->n; i++)
        out->rows[i].channel = q->channel; /* the op's copy outlives the rows */
    store_db_page(out, q->limit, st == PR_NEWEST || st == PR_BEFORE);
    if (q->replies && out->n > 0)
        return fill_replies(s, rd, q->channel, out);
    return 0;
}

/* Every term must match, each as the sequence of its tokens (store_pg_schema.c); without
 * terms, the author's messages. */
int store_pg_search(void *impl, const store_read_t *rd, const store_search_t *q, store_rows_t *out)
{
    store_pg_t *s = impl;
    const char **texts = xmalloc((q->nterms ? q->nterms : 1) * sizeof(*texts));
    for (size_t i = 0; i < q->nterms; i++)
        texts[i] = q->terms[i].text;
    buf_t terms = BUF_INIT, chans = BUF_INIT;
    store_pg_array_text(&terms, texts, q->nterms);
    free(texts);
    if (q->nchannels)
        store_pg_array_text(&chans, q->channels, q->nchannels);
    store_pg_params_t p;
    bool cur = q->after_channel != NULL;
    store_pg_bind(&p, "tttitiiiti", q->nterms ? terms.data : NULL, q->user, q->channel,
                  (int64_t)q->limit + 1, q->nchannels ? chans.data : NULL,
                  q->since > 0 ? q->since : INT64_MIN, q->until > 0 ? q->until : INT64_MAX,
                  cur ? q->after_ts : INT64_MAX, cur ? q->after_channel : "",
                  cur ? (int64_t)q->after_seq : (int64_t)0);
    PGresult *res;
    int rc = run(s, rd, q->nterms ? PR_SEARCH : PR_SEARCH_FROM, &p, budget_ms(s, 1), &res);
    buf_deinit(&terms);
    buf_deinit(&chans);
    if (rc < 0)
        return rc;
    rows_add(res, &store_db_search_shape, out);
    PQclear(res);
    store_db_page(out, q->limit, false);
    return 0;
}

/* Unread mentions of one user: rows of channel and seq. */
int store_pg_mention_counts(void *impl, const store_read_t *rd, uint64_t user_id, store_rows_t *out)
{
    store_pg_t *s = impl;
    store_pg_params_t p;
    store_pg_bind(&p, "u", user_id);
    PGresult *res;
    int rc = run(s, rd, PR_MENTION_COUNT, &p, budget_ms(s, PG_COUNTS_FACTOR), &res);
    if (rc < 0)
        return rc;
    rows_add(res, &store_db_counts_shape, out);
    PQclear(res);
    return 0;
}

/* Every channel's highest seq: rows of channel and seq, by name. */
int store_pg_positions(void *impl, const store_read_t *rd, store_rows_t *out)
{
    store_pg_t *s = impl;
    store_pg_params_t p = {.n = 0};
    PGresult *res;
    int rc = run(s, rd, PR_POSITIONS, &p, budget_ms(s, PG_COUNTS_FACTOR), &res);
    if (rc < 0)
        return rc;
    rows_add(res, &store_db_counts_shape, out);
    PQclear(res);
    store_db_page(out, STORE_POSITIONS_MAX, false);
    return 0;
}
