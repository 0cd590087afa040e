/* pg_test - the store tests' PostgreSQL; see pg_test.h.
 *
 * The process's database is created from template0 when init connects and dropped by
 * deinit: tests that change the database itself (the conformance suite's failure makes it
 * read-only for new sessions) then touch no other process's, run in parallel or not, and
 * leave nothing behind. Its URL is PARLEY_PG_URL's with dbname=... added (a later parameter
 * overrides the path's). */
#include "pg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *base; /* PARLEY_PG_URL */
static PGconn *admin;    /* on PARLEY_PG_URL's database: creates and drops ours */
static PGconn *session;  /* on ours */
static char dbname[64];

/* Runs sql on conn: true when it succeeded, else false after printing why. */
static bool run_on(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

/* PARLEY_PG_URL on our database, then extra (a parameter, or ""). */
static void url_with(const char *extra, char *url, size_t cap)
{
    snprintf(url, cap, "%s%cdbname=%s%s", base, strchr(base, '?') ? '&' : '?', dbname, extra);
}

bool pg_test_init(const char *what)
{
    base = getenv("PARLEY_PG_URL");
    if (!base || !base[0]) {
        printf("%s: skipped: no PARLEY_PG_URL\n", what);
        return false;
    }
    admin = PQconnectdb(base);
    if (PQstatus(admin) != CONNECTION_OK) {
        fprintf(stderr, "PARLEY_PG_URL: %s", PQerrorMessage(admin));
        return false;
    }
    snprintf(dbname, sizeof(dbname), "parley_test_%ld", (long)getpid());
    char sql[192], url[1024];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", dbname);
    if (!run_on(admin, "SET client_min_messages = warning") || !run_on(admin, sql))
        return false;
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", dbname);
    if (!run_on(admin, sql)) {
        fprintf(stderr, "PARLEY_PG_URL: its role needs CREATEDB (the tests make a database)\n");
        return false;
    }
    url_with("", url, sizeof(url));
    session = PQconnectdb(url);
    if (PQstatus(session) != CONNECTION_OK) {
        fprintf(stderr, "%s: %s", dbname, PQerrorMessage(session));
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
    return run_on(session, sql);
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
    char schema[64], extra[96];
    pg_test_schema(name, schema, sizeof(schema));
    snprintf(extra, sizeof(extra), "&options=-csearch_path%%3D%s", schema);
    url_with(extra, url, cap);
}

void pg_test_deinit(void)
{
    if (session)
        PQfinish(session);
    session = NULL;
    if (admin && dbname[0]) {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
        (void)run_on(admin, sql);
    }
    if (admin)
        PQfinish(admin);
    admin = NULL;
}
