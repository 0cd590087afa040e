/* test_store_pg - what the PostgreSQL backend promises beyond store.h's conformance suite
 * (which it passes too, test_store_conformance): several processes sharing one database.
 * Two stores on one schema stand for two processes (each has its own sessions). Needs
 * PARLEY_PG_URL (pg_test.h); says "skipped" without it.
 *
 * - Seq-0 appends of two writers interleave into one gapless order per channel, each
 *   writer's own in the order it submitted them; the same client key sent through both is
 *   stored once.
 * - A batch's channel lock (FOR NO KEY UPDATE) holds back another writer's appends to the
 *   channel but not a membership of it.
 * - A read stuck behind another session's lock is stopped by its budget (statement_timeout)
 *   or by store_cancel (PQcancel), and the session serves the next read.
 * - A write failing deep in a batch's pipeline fails all of it.
 * - A schema of a newer version, or one with parley's table names and no meta, is refused. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "base/clock.h"
#include "pg_test.h"
#include "store/store_open.h"
#include "store/store_pg_int.h"
#include "test.h"

static uv_loop_t loop;

typedef struct {
    int fired, status;
    uint64_t seq;
    bool duplicate;
    size_t n;
} ans_t;

static void on_append(void *ctx, int status, uint64_t seq, bool duplicate)
{
    ans_t *a = ctx;
    a->fired++;
    a->status = status;
    a->seq = seq;
    a->duplicate = duplicate;
}

static void on_write(void *ctx, int status)
{
    on_append(ctx, status, 0, false);
}

static void on_rows(void *ctx, int status, const store_msg_t *m, size_t n, bool more)
{
    (void)m;
    (void)more;
    ans_t *a = ctx;
    a->n = n;
    on_write(ctx, status);
}

static void on_tick(uv_timer_t *t)
{
    (void)t; /* only wakes the loop */
}

/* Runs the loop until *fired or ms passed; whether it fired. */
static bool wait_ms(const int *fired, uint64_t ms)
{
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, on_tick, 20, 20);
    uint64_t end = clock_mono_ms() + ms;
    while (!*fired && clock_mono_ms() < end)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return *fired;
}

/* Opens test `name`'s store (budget: store_open_opts_t.read_budget); NULL when refused. */
static store_t *open_pg(const char *name, uint64_t budget)
{
    char url[512];
    pg_test_url(name, url, sizeof(url));
    store_t *s = NULL;
    store_open_opts_t o = {.read_budget = budget};
    return store_open(&loop, url, &o, &s) == 0 ? s : NULL;
}

/* Closes s and t (NULL: none): the loop runs until both are gone. */
static void finish(store_t *s, store_t *t)
{
    store_close(s);
    if (t)
        store_close(t);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* Runs sql on the test's session, its "%s" (once) replaced by test `name`'s schema. */
static bool run_in(const char *name, const char *sql)
{
    char schema[64], full[512];
    pg_test_schema(name, schema, sizeof(schema));
    const char *at = strstr(sql, "%s");
    snprintf(full, sizeof(full), "%.*s%s%s", (int)(at - sql), sql, schema, at + 2);
    return pg_test_run(full);
}

static int append(store_t *s, const char *ch, uint64_t user, const char *cid, ans_t *a)
{
    store_msg_t m = {
        .channel = ch, .seq = 0, .user = "u", .user_id = user, .text = "t", .ts = 1, .cid = cid};
    return store_append(s, &m, on_append, a);
}

#define N 300

/* Two writers, two channels, every append seq 0: each channel's seqs are 1..its count, each
 * once, and each writer's own increase in the order it submitted them. */
TEST(test_two_writers_one_order)
{
    CHECK(pg_test_fresh("two"));
    store_t *w[2] = {open_pg("two", 0), open_pg("two", 0)};
    if (!w[0] || !w[1])
        return;
    static ans_t ans[2][N];
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 2; k++)
            CHECK_EQ_INT(append(w[k], i % 3 ? "g" : "h", (uint64_t)k + 1, NULL, &ans[k][i]), 0);
    for (int k = 0; k < 2; k++)
        CHECK(wait_ms(&ans[k][N - 1].fired, 60000));
    static bool seen[2][2 * N + 1];
    uint64_t last[2][2] = {{0}};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < N; i++) {
            const ans_t *a = &ans[k][i];
            int c = i % 3 ? 0 : 1;
            CHECK(a->fired == 1 && a->status == 0 && !a->duplicate);
            CHECK(a->seq > last[k][c] && a->seq <= 2 * N);
            CHECK(!seen[c][a->seq]);
            seen[c][a->seq] = true;
            last[k][c] = a->seq;
        }
    }
    uint64_t top = 0;
    CHECK_EQ_INT(store_last_seq(w[0], "g", &top), 0);
    CHECK_EQ_INT(top, 2 * (N - N / 3));
    CHECK_EQ_INT(store_last_seq(w[1], "h", &top), 0);
    CHECK_EQ_INT(top, 2 * (N / 3));
    for (uint64_t q = 1; q <= top; q++)
        CHECK(seen[1][q]);
    finish(w[0], w[1]);
}

/* The same key sent through both writers at once is stored once: one answer stores it, the
 * other is its duplicate with the same seq. */
TEST(test_dedupe_across_writers)
{
    CHECK(pg_test_fresh("dedupe"));
    store_t *w[2] = {open_pg("dedupe", 0), open_pg("dedupe", 0)};
    if (!w[0] || !w[1])
        return;
    enum { K = 100 };
    static ans_t ans[2][K];
    char cid[16];
    for (int i = 0; i < K; i++) {
        snprintf(cid, sizeof(cid), "k%d", i);
        for (int k = 0; k < 2; k++)
            CHECK_EQ_INT(append(w[k], "g", 7, cid, &ans[k][i]), 0);
    }
    for (int k = 0; k < 2; k++)
        CHECK(wait_ms(&ans[k][K - 1].fired, 60000));
    for (int i = 0; i < K; i++) {
        CHECK(ans[0][i].status == 0 && ans[1][i].status == 0);
        CHECK_EQ_INT(ans[0][i].seq, ans[1][i].seq);
        CHECK(ans[0][i].duplicate != ans[1][i].duplicate);
    }
    uint64_t top = 0;
    CHECK_EQ_INT(store_last_seq(w[0], "g", &top), 0);
    CHECK_EQ_INT(top, K);
    finish(w[0], w[1]);
}

/* Another process's batch holds channel g's row (FOR NO KEY UPDATE): a membership of g
 * commits meanwhile, an append to g waits for that batch and then takes the next seq. */
TEST(test_channel_lock)
{
    CHECK(pg_test_fresh("nokey"));
    store_t *s = open_pg("nokey", 0);
    if (!s)
        return;
    ans_t first = {0}, member = {0}, next = {0};
    CHECK_EQ_INT(append(s, "g", 1, NULL, &first), 0);
    CHECK(wait_ms(&first.fired, 10000));
    CHECK(run_in("nokey", "BEGIN; SELECT 1 FROM %s.channels WHERE name = 'g' FOR NO KEY UPDATE"));
    store_change_t c = {.kind = STORE_MEMBER_ADD, .ch = {.name = "g"}, .user_id = 5, .ts = 1};
    CHECK_EQ_INT(store_change(s, &c, on_write, &member), 0);
    CHECK(wait_ms(&member.fired, 10000)); /* not held back by the lock */
    CHECK_EQ_INT(member.status, 0);
    CHECK_EQ_INT(append(s, "g", 1, NULL, &next), 0);
    CHECK(!wait_ms(&next.fired, 500)); /* held back */
    CHECK(pg_test_run("COMMIT"));
    CHECK(wait_ms(&next.fired, 10000));
    CHECK(next.status == 0 && next.seq == 2);
    finish(s, NULL);
}

/* A read stuck behind another session's lock on messages: answered STORE_EBUDGET by a small
 * budget, STORE_ECANCELED by store_cancel; then the same sessions read again. */
TEST(test_read_budget_and_cancel)
{
    CHECK(pg_test_fresh("stuck"));
    /* Budgets of 200 ms and 20 s (store_pg.h: 4000 a ms). */
    store_t *small = open_pg("stuck", 200 * 4000), *s = open_pg("stuck", 20000 * 4000);
    if (!small || !s)
        return;
    ans_t a = {0}, over = {0}, canceled = {0}, after = {0};
    CHECK_EQ_INT(append(s, "g", 1, NULL, &a), 0);
    CHECK(wait_ms(&a.fired, 10000));
    CHECK(run_in("stuck", "BEGIN; LOCK TABLE %s.messages IN ACCESS EXCLUSIVE MODE"));
    int owner;
    store_query_t q = {.channel = "g", .limit = 10, .owner = &owner};
    CHECK_EQ_INT(store_query(small, &q, on_rows, &over), 0);
    CHECK(wait_ms(&over.fired, 10000));
    CHECK_EQ_INT(over.status, STORE_EBUDGET);
    uint64_t start = clock_mono_ms();
    CHECK_EQ_INT(store_query(s, &q, on_rows, &canceled), 0);
    CHECK(!wait_ms(&canceled.fired, 500)); /* waiting for the lock */
    store_cancel(s, &owner);
    CHECK(wait_ms(&canceled.fired, 5000));
    CHECK_EQ_INT(canceled.status, STORE_ECANCELED);
    CHECK(clock_mono_ms() - start < 10000); /* stopped, not timed out */
    CHECK(pg_test_run("ROLLBACK"));
    store_query_t q2 = {.channel = "g", .limit = 10};
    CHECK_EQ_INT(store_query(s, &q2, on_rows, &after), 0);
    CHECK(wait_ms(&after.fired, 10000));
    CHECK(after.status == 0 && after.n == 1);
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.canceled, 1);
    store_stats(small, &st);
    CHECK_EQ_INT(st.over_budget, 1);
    finish(small, s);
}

/* A write failing early in a long pipeline (more statements than are sent before answers
 * are read) fails the whole group, nothing stored, and the session writes again after. */
TEST(test_failure_deep_in_a_pipeline)
{
    CHECK(pg_test_fresh("deep"));
    store_t *s = open_pg("deep", 0);
    if (!s)
        return;
    ans_t one = {0}, probe = {0}, again = {0};
    static ans_t ans[N];
    CHECK_EQ_INT(append(s, "g", 1, NULL, &one), 0);
    CHECK(wait_ms(&one.fired, 10000));
    store_group_begin(s);
    for (int i = 0; i < N; i++) {
        store_msg_t m = {.channel = "g", .seq = i == 10 ? 1 : 0, .user = "u", .text = "t"};
        CHECK_EQ_INT(store_append(s, &m, on_append, &ans[i]), 0); /* the 11th: seq 1 again */
    }
    store_group_end(s);
    CHECK(wait_ms(&ans[N - 1].fired, 30000));
    for (int i = 0; i < N; i++)
        CHECK(ans[i].fired == 1 && ans[i].status == STORE_EFAILED && ans[i].seq == 0);
    CHECK_EQ_INT(store_probe(s, on_write, &probe), 0);
    CHECK(wait_ms(&probe.fired, 10000));
    CHECK_EQ_INT(probe.status, 0);
    store_recover(s);
    CHECK_EQ_INT(append(s, "g", 1, NULL, &again), 0);
    CHECK(wait_ms(&again.fired, 10000));
    CHECK(again.status == 0 && again.seq == 2);
    finish(s, NULL);
}

/* A version 1 schema (before messages_author, messages.files, notify and the users'
 * profile, messages.original) gains them all and version 9 when opened. */
TEST(test_schema_1_gains_the_author_index)
{
    CHECK(pg_test_fresh("older"));
    store_t *s = open_pg("older", 0);
    CHECK(s != NULL);
    if (s)
        finish(s, NULL);
    CHECK(run_in("older", "DROP INDEX %s.messages_author"));
    CHECK(run_in("older", "ALTER TABLE %s.messages DROP COLUMN files"));
    CHECK(run_in("older", "DROP TABLE %s.notify"));
    CHECK(run_in("older", "DROP INDEX %s.messages_pin"));
    CHECK(run_in("older", "ALTER TABLE %s.messages DROP COLUMN original"));
    CHECK(run_in("older", "ALTER TABLE %s.users DROP COLUMN bot"));
    CHECK(run_in("older", "ALTER TABLE %s.messages DROP COLUMN app"));
    CHECK(run_in("older", "DROP TABLE %s.hooks"));
    CHECK(run_in("older", "UPDATE %s.meta SET value = 1 WHERE key = 'schema_version'"));
    s = open_pg("older", 0);
    CHECK(s != NULL);
    if (s)
        finish(s, NULL);
    /* 1 / 0 fails the statement unless the version is 9 */
    CHECK(run_in("older", "SELECT 1 / (value = 9)::int FROM %s.meta WHERE key = 'schema_version'"));
    CHECK(run_in("older", "SELECT bot FROM %s.users"));
    CHECK(run_in("older", "SELECT app FROM %s.messages"));
    CHECK(run_in("older", "SELECT hash FROM %s.hooks"));
    CHECK(run_in("older", "SELECT level FROM %s.notify"));
    CHECK(run_in("older", "SELECT files FROM %s.messages"));
    CHECK(run_in("older", "DROP INDEX %s.messages_author"));
}

/* Opened again: a newer schema version is refused, and so is a schema holding a table of
 * parley's name without meta. */
TEST(test_schema_refusals)
{
    CHECK(pg_test_fresh("newer"));
    store_t *s = open_pg("newer", 0);
    CHECK(s != NULL);
    if (s)
        finish(s, NULL);
    CHECK(run_in("newer", "UPDATE %s.meta SET value = 10 WHERE key = 'schema_version'"));
    CHECK(open_pg("newer", 0) == NULL);
    CHECK(pg_test_fresh("foreign"));
    CHECK(run_in("foreign", "CREATE TABLE %s.messages(x int)"));
    CHECK(open_pg("foreign", 0) == NULL);
}

/* A schema of version 2 (before messages.files, notify (4), the users' profile (5), pins
 * (6), webhooks (7), bots (8) and parley_words' ASCII path (9)) is migrated to 9 when opened. */
TEST(test_migrates_schema_2)
{
    CHECK(pg_test_fresh("v1"));
    store_t *s = open_pg("v1", 0);
    CHECK(s != NULL);
    if (s)
        finish(s, NULL);
    CHECK(run_in("v1", "ALTER TABLE %s.messages DROP COLUMN files"));
    CHECK(
        run_in("v1", "ALTER TABLE %s.users DROP COLUMN title, DROP COLUMN tz, DROP COLUMN avatar"));
    CHECK(run_in("v1", "DROP TABLE %s.notify"));
    CHECK(run_in("v1", "DROP INDEX %s.messages_pin"));
    CHECK(run_in("v1", "ALTER TABLE %s.messages DROP COLUMN original"));
    CHECK(run_in("v1", "ALTER TABLE %s.users DROP COLUMN bot"));
    CHECK(run_in("v1", "ALTER TABLE %s.messages DROP COLUMN app"));
    CHECK(run_in("v1", "DROP TABLE %s.hooks"));
    CHECK(run_in("v1", "UPDATE %s.meta SET value = 2 WHERE key = 'schema_version'"));
    CHECK(!run_in("v1", "SELECT files FROM %s.messages"));
    s = open_pg("v1", 0);
    CHECK(s != NULL);
    if (s)
        finish(s, NULL);
    CHECK(run_in("v1", "SELECT files FROM %s.messages"));
    CHECK(run_in("v1", "SELECT title, tz, avatar FROM %s.users"));
    CHECK(run_in("v1", "DO $$ BEGIN IF (SELECT value FROM %s.meta WHERE key = "
                       "'schema_version') <> 9 THEN RAISE 'not 9'; END IF; END $$"));
    CHECK(run_in("v1", "SELECT app FROM %s.messages"));
    CHECK(run_in("v1", "SELECT level FROM %s.notify"));
}

/* What each version added, undone: a schema of the current version turned back into one of
 * version v by undoing versions current .. v+1. A new version adds its line here, so that the
 * test below covers it. */
static const char *const undo_version[] = {
    [2] = "DROP INDEX messages_author",
    [3] = "ALTER TABLE messages DROP COLUMN files",
    [4] = "DROP TABLE notify",
    [5] = "ALTER TABLE users DROP COLUMN title, DROP COLUMN tz, DROP COLUMN avatar",
    [6] = "DROP INDEX messages_pin; ALTER TABLE messages DROP COLUMN original",
    [7] = "DROP TABLE hooks; ALTER TABLE messages DROP COLUMN app",
    [8] = "ALTER TABLE users DROP COLUMN bot",
    /* A body without the ASCII path (the fold cut short: only its shape matters here). */
    [9] = "CREATE OR REPLACE FUNCTION parley_words(t text) RETURNS text LANGUAGE sql IMMUTABLE "
          "PARALLEL SAFE AS $$SELECT regexp_replace(translate(t, 'é', 'e'), '[!-/:-@]+', ' ', "
          "'g')$$",
};

/* A schema of every earlier version (1 .. current - 1) holding a message, a channel and an
 * account is migrated to the current version with its rows kept. */
TEST(test_migrates_every_version)
{
    int known = (int)(sizeof(undo_version) / sizeof(undo_version[0])) - 1;
    if (known != PG_SCHEMA_VERSION)
        fprintf(stderr,
                "test_store_pg: undo_version knows up to %d, the schema is %d: add "
                "what the new version adds\n",
                known, PG_SCHEMA_VERSION);
    CHECK_EQ_INT(known, PG_SCHEMA_VERSION);
    for (int v = 1; v < PG_SCHEMA_VERSION && v < known + 1; v++) {
        CHECK(pg_test_fresh("every"));
        store_t *s = open_pg("every", 0);
        CHECK(s != NULL);
        if (!s)
            return;
        ans_t a = {0};
        CHECK_EQ_INT(append(s, "old-times", 7, NULL, &a), 0);
        CHECK(wait_ms(&a.fired, 10000));
        CHECK(a.status == 0 && a.seq == 1);
        finish(s, NULL);
        CHECK(run_in("every", "INSERT INTO %s.users(id, name, canon, display, role, pass, "
                              "state, created, seen) VALUES (7, 'ada', 'ada', 'Ada', 'owner', "
                              "NULL, 'active', 1, 1)"));
        CHECK(run_in("every", "SET search_path TO %s"));
        for (int u = PG_SCHEMA_VERSION; u > v; u--)
            CHECK(pg_test_run(undo_version[u]));
        char sql[128];
        snprintf(sql, sizeof(sql), "UPDATE meta SET value = %d WHERE key = 'schema_version'", v);
        CHECK(pg_test_run(sql));
        CHECK(pg_test_run("RESET search_path"));
        s = open_pg("every", 0);
        CHECK(s != NULL);
        if (s)
            finish(s, NULL);
        snprintf(sql, sizeof(sql),
                 "SELECT 1 / (value = %d)::int FROM %%s.meta WHERE key = "
                 "'schema_version'",
                 PG_SCHEMA_VERSION);
        CHECK(run_in("every", sql));
        CHECK(run_in("every", "SELECT 1 / (count(*) = 1)::int FROM %s.messages WHERE text = 't' "
                              "AND channel = 'old-times'"));
        CHECK(run_in("every", "SELECT 1 / (count(*) = 1)::int FROM %s.users WHERE name = 'ada' "
                              "AND role = 'owner' AND title = ''"));
        CHECK(run_in("every", "SELECT level FROM %s.notify"));
        CHECK(run_in("every", "SELECT files, original FROM %s.messages"));
        CHECK(run_in("every", "SELECT 1 / (count(*) = 1)::int FROM pg_proc WHERE pronamespace = "
                              "'%s'::regnamespace AND proname = 'parley_words' AND prosrc LIKE "
                              "'%octet_length%'"));
    }
}

int main(void)
{
    alarm(300); /* a lost callback hangs the loop; fail instead */
    if (!pg_test_init("test_store_pg")) {
        bool unset = !getenv("PARLEY_PG_URL") || !getenv("PARLEY_PG_URL")[0];
        return unset ? 0 : 1;
    }
    uv_loop_init(&loop);
    RUN(test_two_writers_one_order);
    RUN(test_dedupe_across_writers);
    RUN(test_channel_lock);
    RUN(test_read_budget_and_cancel);
    RUN(test_failure_deep_in_a_pipeline);
    RUN(test_schema_1_gains_the_author_index);
    RUN(test_schema_refusals);
    RUN(test_migrates_schema_2);
    RUN(test_migrates_every_version);
    pg_test_deinit();
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    return TEST_MAIN_END();
}
