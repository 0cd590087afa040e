/* pg_test - the store tests' PostgreSQL; see pg_test.h. */
#include "pg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *base; /* PARLEY_PG_URL */
static PGconn *session;

bool pg_test_init(const char *what)
{
    base = getenv("PARLEY_PG_URL");
    if (!base || !base[0]) {
        printf("%s: skipped: no PARLEY_PG_URL\n", what);
        return false;
    }
    session = PQconnectdb(base);
    if (PQstatus(session) != CONNECTION_OK) {
        fprintf(stderr, "PARLEY_PG_URL: %s", PQerrorMessage(session));
        return false;
    }
    return pg_test_run("SET client_min_messages = warning");
}

PGconn *pg_test_session(void)
{
    return session;
}

bool pg_test_run(const char *sql)
{
    PGresult *res = PQexec(session, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

/* test_ and the name's letters and digits, the rest as _. */
void pg_test_schema(const char *name, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "test_");
    for (; *name && n + 1 < cap; name++)
        out[n++] = (*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9') ? *name : '_';
    out[n] = '\0';
}

bool pg_test_fresh(const char *name)
{
    char schema[64], sql[256];
    pg_test_schema(name, schema, sizeof(schema));
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
             schema);
    return pg_test_run(sql);
}

void pg_test_url(const char *name, char *url, size_t cap)
{
    char schema[64];
    pg_test_schema(name, schema, sizeof(schema));
    snprintf(url, cap, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?',
             schema);
}

void pg_test_deinit(void)
{
    if (session)
        PQfinish(session);
    session = NULL;
}
