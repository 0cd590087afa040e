/* store_pg_conn - the PostgreSQL backend's sessions: connecting with parley's defaults under
 * the URL's own parameters, starting a new session after a failure, the settings and
 * prepared statements of each session, and the small tools every file of the backend uses
 * (text parameters, array literals, error text, rows for store_db).
 *
 * A session is started again (PQreset) before its next use when it broke or when the last
 * write transaction on it failed (store_pg.h, Failure): after a failover the URL's hosts and
 * target_session_attrs find the new primary, a session left in an odd state is dropped, and
 * the statements are prepared again, since a new session has none. When a new session cannot
 * be had, the next attempt waits the session's retry_ms: a second for the worker's threads,
 * longer for the loop thread's, which must not block the loop on every call (a server that
 * does not answer costs connect_timeout) while the server is away. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/store_pg_int.h"

static void on_notice(void *arg, const char *message)
{
    (void)arg;
    log_debug("store: postgresql: %.*s", (int)strcspn(message, "\n"), message);
}

const char *store_pg_why(const store_pg_conn_t *c, const PGresult *res, char *buf)
{
    const char *msg = res ? PQresultErrorMessage(res) : "";
    if (!msg[0])
        msg = c->pg ? PQerrorMessage(c->pg) : "no connection";
    if (!msg[0])
        msg = "unknown error";
    snprintf(buf, PG_WHY_MAX, "%s", msg);
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = p[1] ? ' ' : '\0';
    return buf;
}

bool store_pg_state_is(const PGresult *res, const char *sqlstate)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return st && strcmp(st, sqlstate) == 0;
}

/* "user@host:port/db" of a session, for logs. */
static void describe(store_pg_t *s, PGconn *pg)
{
    if (s->where[0])
        return;
    const char *host = PQhost(pg);
    snprintf(s->where, sizeof(s->where), "postgresql %s@%s%s:%s/%s", PQuser(pg),
             host && host[0] == '/' ? "socket " : "", host ? host : "", PQport(pg), PQdb(pg));
}

/* Parley's defaults come before the URL (dbname, expanded), so that the URL overrides them:
 * a dead peer is noticed within a minute rather than the system's two hours. */
int store_pg_connect(store_pg_t *s, store_pg_conn_t *c)
{
    char app[32];
    snprintf(app, sizeof(app), "parley %s", c->role);
    const char *const keys[] = {"connect_timeout",
                                "keepalives",
                                "keepalives_idle",
                                "keepalives_interval",
                                "keepalives_count",
                                "tcp_user_timeout",
                                "dbname",
                                "fallback_application_name",
                                NULL};
    const char *timeout = c->prefix == 'l' ? PG_LOOP_CONNECT_TIMEOUT : "10";
    const char *const vals[] = {timeout, "1", "30", "10", "3", "60000", s->url, app, NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    c->timeout_ms = -1;
    if (!c->pg) {
        log_error("store: postgresql: out of memory");
        return STORE_EFAILED;
    }
    PQsetNoticeProcessor(c->pg, on_notice, NULL);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        char why[PG_WHY_MAX];
        log_error("store: postgresql: cannot connect (%s): %s", c->role,
                  store_pg_why(c, NULL, why));
        return STORE_EFAILED;
    }
    describe(s, c->pg);
    c->cancel = PQgetCancel(c->pg);
    return 0;
}

/* Silence, not the whole wait, is bounded: a server answering a long batch sends as it
 * goes, and a statement waiting for rows is bounded by PG_WRITER_IDLE on the holder. */
int store_pg_wait(store_pg_conn_t *c, int silence_ms)
{
    PGconn *pg = c->pg;
    uint64_t deadline = clock_mono_ms() + (uint64_t)silence_ms;
    while (PQisBusy(pg) && PQstatus(pg) == CONNECTION_OK) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) {
            log_error("store: postgresql: no answer from the server in %d ms (%s): giving "
                      "the session up",
                      silence_ms, c->role);
            c->hung = true;
            c->reset = true;
            return STORE_EFAILED;
        }
        struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
        int n = poll(&pfd, 1, (int)(deadline - now));
        if (n < 0 && errno != EINTR)
            return 0; /* PQgetResult finds out */
        if (n > 0) {
            if (!PQconsumeInput(pg))
                return 0; /* the session broke: PQgetResult has its error */
            deadline = clock_mono_ms() + (uint64_t)silence_ms;
        }
    }
    return 0;
}

void store_pg_disconnect(store_pg_conn_t *c)
{
    if (c->cancel)
        PQfreeCancel(c->cancel);
    if (c->pg)
        PQfinish(c->pg);
    c->cancel = NULL;
    c->pg = NULL;
}

/* The session's settings, then its statements. */
static int prepare(store_pg_t *s, store_pg_conn_t *c, const char **what, PGresult **res)
{
    /* The writer's statements run thousands of times a second with the same shape: planned
     * once (a custom plan of the append costs more than running it). Its transactions hold
     * channels' rows that other processes wait for: one whose process stopped is ended
     * (store_pg.c). */
#define W_SET                                                                                      \
    "SET client_min_messages = warning; SET plan_cache_mode = force_generic_plan; "                \
    "SET idle_in_transaction_session_timeout = '" PG_WRITER_IDLE "'"
    const char *set = "SET client_min_messages = warning";
    if (c->prefix == 'w')
        set = s->sync_full ? W_SET "; SET synchronous_commit = on" : W_SET;
    else if (c->prefix == 'r')
        set = "SET client_min_messages = warning; SET default_transaction_read_only = on";
#undef W_SET
    *what = set;
    *res = PQexec(c->pg, set);
    if (PQresultStatus(*res) != PGRES_COMMAND_OK)
        return STORE_EFAILED;
    for (int i = 0; i < c->nsql; i++) {
        char name[16];
        snprintf(name, sizeof(name), "%c%d", c->prefix, i);
        PQclear(*res);
        *what = c->sql[i];
        *res = PQprepare(c->pg, name, c->sql[i], 0, NULL);
        if (PQresultStatus(*res) != PGRES_COMMAND_OK)
            return STORE_EFAILED;
    }
    PQclear(*res);
    *res = NULL;
    return 0;
}

int store_pg_ready(store_pg_t *s, store_pg_conn_t *c)
{
    /* A session the server ended since its last use (a restart, a failover, an idle
     * timeout) has its goodbye waiting in the socket: reading what is there (never blocking;
     * twice, as the error message and the end of the stream may take a read each) lets
     * PQstatus tell, so the use starts on a new session rather than failing. */
    for (int i = 0; i < 2 && PQstatus(c->pg) == CONNECTION_OK && !PQisBusy(c->pg); i++)
        (void)PQconsumeInput(c->pg);
    bool broken = PQstatus(c->pg) != CONNECTION_OK;
    if (c->ready && !c->reset && !broken)
        return 0;
    uint64_t now = clock_mono_ms();
    if ((c->reset || broken) && now < c->next_ms)
        return STORE_EFAILED; /* the last attempt failed a moment ago */
    char why[PG_WHY_MAX];
    if (c->reset || broken) {
        c->ready = false;
        c->timeout_ms = -1;
        c->hung = false;
        PQreset(c->pg);
        if (c->cancel)
            PQfreeCancel(c->cancel);
        c->cancel = PQgetCancel(c->pg);
        if (PQstatus(c->pg) != CONNECTION_OK) {
            c->next_ms = now + c->retry_ms;
            log_msg(store_db_err_level(&c->errlog, -1), "store: %s: cannot connect again (%s): %s",
                    s->where, c->role, store_pg_why(c, NULL, why));
            return STORE_EFAILED;
        }
        c->reset = false;
    }
    const char *what = NULL;
    PGresult *res = NULL;
    if (prepare(s, c, &what, &res) < 0) {
        log_msg(store_db_err_level(&c->errlog, -2), "store: %s: preparing \"%s\" (%s): %s",
                s->where, what, c->role, store_pg_why(c, res, why));
        PQclear(res);
        c->reset = true;
        return STORE_EFAILED;
    }
    c->ready = true;
    return 0;
}

void store_pg_bind(store_pg_params_t *p, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    p->n = 0;
    for (int i = 0; types[i] && i < PG_PARAMS_MAX; i++, p->n++) {
        char *num = p->num[i];
        p->v[i] = num;
        if (types[i] == 't') {
            p->v[i] = va_arg(ap, const char *);
        } else if (types[i] == 'i') {
            snprintf(num, sizeof(p->num[i]), "%" PRId64, va_arg(ap, int64_t));
        } else if (types[i] == 'u') {
            uint64_t u = va_arg(ap, uint64_t);
            snprintf(num, sizeof(p->num[i]), "%" PRIu64, u > INT64_MAX ? (uint64_t)INT64_MAX : u);
        } else {
            p->v[i] = va_arg(ap, int) ? "true" : "false";
        }
    }
    va_end(ap);
}

void store_pg_array_text(buf_t *b, const char *const *v, size_t n)
{
    buf_append_str(b, "{");
    for (size_t i = 0; i < n; i++) {
        buf_append_str(b, i ? ",\"" : "\"");
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_append_str(b, "\\");
            buf_append(b, p, 1);
        }
        buf_append_str(b, "\"");
    }
    buf_append_str(b, "}");
}

static const char *row_text(void *row, int col)
{
    const store_pg_row_t *r = row;
    return PQgetisnull(r->res, r->i, col) ? NULL : PQgetvalue(r->res, r->i, col);
}

static int64_t row_num(void *row, int col)
{
    const store_pg_row_t *r = row;
    return strtoll(PQgetvalue(r->res, r->i, col), NULL, 10); /* NULL reads "": 0 */
}

store_db_row_t store_pg_row(store_pg_row_t *r)
{
    return (store_db_row_t){r, row_text, row_num};
}
