/* test_store_sqlite_read - the SQLite backend's reads (store_sqlite_read.c) beyond what every
 * backend must do: each read statement's plan uses an index (no full scan of a table), a read
 * past its cost budget is abandoned (STORE_EBUDGET) while narrow ones pass (positions cost
 * per channel, not per event), a read running when its owner cancels is abandoned
 * (STORE_ECANCELED), and writes are acknowledged while a long read runs. */
#include "store/store_sqlite.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "store/store_sqlite_int.h"
#include "test.h"

static char tmpdir[64];
static uv_loop_t loop;

static const char *path_of(const char *name)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return path;
}

static store_t *open_store(const char *name, uint64_t budget)
{
    store_sqlite_opts_t opts = {.path = path_of(name), .read_budget = budget};
    store_t *s = NULL;
    CHECK_EQ_INT(store_sqlite_open(&loop, &opts, &s), 0);
    return s;
}

static void close_store(store_t *s)
{
    store_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* ---- callbacks that record ---- */

typedef struct {
    int fired, status;
    size_t n;
    uint64_t at_ms; /* clock_mono_ms when it fired */
} rec_t;

static int appended;
static uint64_t appended_ms;

static void on_append(void *ctx, int status, uint64_t seq, bool duplicate)
{
    (void)ctx;
    CHECK_EQ_INT(status, 0);
    CHECK(seq > 0 && !duplicate);
    appended++;
    appended_ms = clock_mono_ms();
}

static void on_rows(void *ctx, int status, const store_msg_t *m, size_t n, bool more)
{
    (void)m;
    (void)more;
    rec_t *r = ctx;
    r->fired++;
    r->status = status;
    r->n = n;
    r->at_ms = clock_mono_ms();
}

static void wait_rec(const rec_t *r)
{
    while (!r->fired)
        uv_run(&loop, UV_RUN_ONCE);
}

/* n messages in #g from seq `from`, each "common word<seq>" plus a thread reply every 10th. */
static void fill(store_t *s, uint64_t from, uint64_t n)
{
    int want = appended + (int)n;
    for (uint64_t seq = from; seq < from + n; seq++) {
        char text[64];
        snprintf(text, sizeof(text), "common word%" PRIu64, seq);
        store_msg_t m = {.channel = "g",
                         .seq = seq,
                         .user = "u",
                         .text = text,
                         .ts = (int64_t)seq,
                         .thread = seq % 10 == 0 && seq > 1 ? 1 : 0};
        CHECK_EQ_INT(store_append(s, &m, on_append, NULL), 0);
    }
    while (appended < want)
        uv_run(&loop, UV_RUN_ONCE);
}

static rec_t *search(store_t *s, const char *term, const void *owner, rec_t *r)
{
    store_term_t t = {term, false};
    store_search_t q = {.terms = &t,
                        .nterms = 1,
                        .user = NULL,
                        .channel = NULL,
                        .limit = 20,
                        .channels = NULL,
                        .nchannels = 0,
                        .owner = owner};
    *r = (rec_t){0};
    CHECK_EQ_INT(store_search(s, &q, on_rows, r), 0);
    return r;
}

/* ---- plans ---- */

/* The tables a read must never walk whole, by name or by the aliases the SQL gives them. */
static bool full_scan(const char *detail)
{
    static const char *const tables[] = {"messages", "m", "mentions", "reads", "r", "members"};
    if (strncmp(detail, "SCAN ", 5) != 0)
        return false;
    const char *t = detail + 5;
    size_t len = strcspn(t, " ");
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        if (strlen(tables[i]) == len && strncmp(t, tables[i], len) == 0)
            return true;
    return false;
}

/* What each read's plan must say besides: the range or index that bounds it. A thread is
 * the case a scan-only check misses: `seq = ?2 OR thread = ?2` planned as a search of the
 * key by channel alone, which walks the whole channel. */
static const char *const must[RD_COUNT] = {
    [RD_AFTER] = "(channel=? AND seq>?)",
    [RD_BEFORE] = "(channel=? AND seq<?)",
    [RD_NEWEST] = "(channel=?)",
    [RD_THREAD] = "INDEX messages_thread (channel=? AND thread>? AND thread<?)",
    [RD_REPLIES] = "INDEX messages_thread (channel=? AND thread>? AND thread<?)",
    [RD_SEARCH] = "SEARCH m USING PRIMARY KEY (channel=? AND seq=?)",
    /* In the index's order: no temporary b-tree to sort the author's every message. */
    [RD_SEARCH_FROM] = "SEARCH messages USING INDEX messages_author (user=? AND ts>? AND ts<?); "
                       "LIST",
    [RD_MENTION_COUNT] = "SEARCH r USING PRIMARY KEY (channel=? AND user_id=?)",
    [RD_POSITIONS] = "SEARCH messages USING PRIMARY KEY (channel>?)",
    [RD_SEQS] = "SEARCH messages USING PRIMARY KEY (channel=? AND seq=?)",
    [RD_EDITS] = "USING INDEX messages_edit (channel=? AND target=?)",
};

/* Every read statement, as the readers prepare it, on a database with the whole schema:
 * each line of its plan is a search by key or index, a virtual table (search, json_each) or
 * a scan of a small intermediate result; never a scan of a table; and it uses the index or
 * range `must` names. */
TEST(test_read_plans_use_indexes)
{
    close_store(open_store("plan.db", 0));
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open_v2(path_of("plan.db"), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (int i = 0; i < RD_COUNT; i++) {
        char explain[2048];
        snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", store_sqlite_sql_read[i]);
        sqlite3_stmt *st = NULL;
        CHECK_EQ_INT(sqlite3_prepare_v2(db, explain, -1, &st, NULL), SQLITE_OK);
        char plan[1024] = "";
        bool scans = false;
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            size_t n = strlen(plan);
            snprintf(plan + n, sizeof(plan) - n, "%s; ", detail);
            scans |= full_scan(detail);
        }
        bool ok = !scans && strstr(plan, must[i]) != NULL;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "read %d: plan %s\n  (wanted %s)\n  for %s\n", i, plan, must[i],
                    store_sqlite_sql_read[i]);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

/* ---- the budget ---- */

/* With a small budget: a search matching every message is abandoned, STORE_EBUDGET; a narrow
 * one, a page of history with its reply counts and a thread still pass. */
TEST(test_budget)
{
    appended = 0;
    store_t *s = open_store("budget.db", 60000);
    fill(s, 1, 3000);
    rec_t r;
    wait_rec(search(s, "common", NULL, &r));
    CHECK_EQ_INT(r.status, STORE_EBUDGET);
    CHECK_EQ_INT(r.n, 0);
    wait_rec(search(s, "word2999", NULL, &r));
    CHECK_EQ_INT(r.status, 0);
    CHECK_EQ_INT(r.n, 1);
    store_query_t q = {.channel = "g", .limit = 200, .replies = true};
    r = (rec_t){0};
    CHECK_EQ_INT(store_query(s, &q, on_rows, &r), 0);
    wait_rec(&r);
    CHECK_EQ_INT(r.status, 0);
    CHECK_EQ_INT(r.n, 200);
    store_query_t t = {.channel = "g", .limit = 501, .thread = 1};
    r = (rec_t){0};
    CHECK_EQ_INT(store_query(s, &t, on_rows, &r), 0);
    wait_rec(&r);
    CHECK_EQ_INT(r.status, 0);
    CHECK_EQ_INT(r.n, 301); /* the parent and its 300 replies */
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.over_budget, 1);
    close_store(s);
}

/* Positions cost a few steps per channel, not per event: with a budget of 1000 steps (8000
 * for positions) a channel of 3000 events, which a grouped scan would walk at ~10 steps
 * each, answers; a search of them does not. */
TEST(test_positions_cost_per_channel)
{
    appended = 0;
    store_t *s = open_store("positions.db", 1000);
    fill(s, 1, 3000);
    rec_t r = {0};
    CHECK_EQ_INT(store_positions(s, NULL, on_rows, &r), 0);
    wait_rec(&r);
    CHECK_EQ_INT(r.status, 0);
    CHECK_EQ_INT(r.n, 1);
    wait_rec(search(s, "common", NULL, &r));
    CHECK_EQ_INT(r.status, STORE_EBUDGET);
    close_store(s);
}

/* ---- cancel, and writes beside a long read ---- */

/* A long search runs (the default budget; tens of thousands of matches to sort): appends
 * submitted after it are acknowledged before it ends; canceling its owner abandons it. */
TEST(test_long_read)
{
    appended = 0;
    store_t *s = open_store("long.db", 0);
    for (uint64_t from = 1; from <= 30000; from += 5000)
        fill(s, from, 5000);
    rec_t r;
    search(s, "common", NULL, &r);
    uv_sleep(5); /* let the reader start on it */
    uint64_t t0 = clock_mono_ms();
    fill(s, 30001, 1);
    wait_rec(&r);
    printf("long read: an append acknowledged in %" PRIu64 " ms, the search in %" PRIu64
           " ms (status %d)\n",
           appended_ms - t0, r.at_ms - t0, r.status);
    CHECK(appended_ms <= r.at_ms);
    CHECK_EQ_INT(r.status, 0);

    int owner;
    search(s, "common", &owner, &r);
    uv_sleep(5);
    store_cancel(s, &owner);
    CHECK_EQ_INT(r.fired, 0); /* never from inside store_cancel */
    wait_rec(&r);
    CHECK_EQ_INT(r.status, STORE_ECANCELED);
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.canceled, 1);
    CHECK_EQ_INT(st.queued, 0);
    close_store(s);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void)
{
    alarm(120); /* a lost callback hangs the loop; fail instead */
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/parley-reads-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    uv_loop_init(&loop);
    RUN(test_read_plans_use_indexes);
    RUN(test_budget);
    RUN(test_positions_cost_per_channel);
    RUN(test_long_read);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return TEST_MAIN_END();
}
