/* pg_test - PostgreSQL for the store's tests (test_store_conformance, test_store_pg): on the
 * server PARLEY_PG_URL names (scripts/pg-test-server makes a throwaway one; ctest starts it
 * by itself where PostgreSQL is installed), a database of the process's own (its role needs
 * CREATEDB), a session of the test's own beside the store's, and a schema per test, which a
 * store is told of through its URL (options=-csearch_path=...). */
#ifndef PARLEY_PG_TEST_H
#define PARLEY_PG_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/* Makes the process's database and connects the test's session to it. false when
 * PARLEY_PG_URL is unset (after printing "<what>: skipped: no PARLEY_PG_URL") or the server
 * cannot be reached or will not make a database (after printing why). */
bool pg_test_init(const char *what);
/* The test's session (NULL before init). */
PGconn *pg_test_session(void);
/* Runs sql on the test's session: true when it succeeded, else false after printing why. */
bool pg_test_run(const char *sql);
/* Drops and creates test `name`'s schema ("pg-order": test_pg_order): true on success. */
bool pg_test_fresh(const char *name);
/* Test `name`'s schema ("pg-order": test_pg_order), into out. */
void pg_test_schema(const char *name, char *out, size_t cap);
/* The store URL of test `name`'s schema, into url. */
void pg_test_url(const char *name, char *url, size_t cap);
/* Closes the test's session and drops the process's database. */
void pg_test_deinit(void);

#endif
