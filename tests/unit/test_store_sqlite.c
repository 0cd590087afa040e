/* test_store_sqlite - the SQLite store against real database files in a temporary directory
 * and a real libuv loop: callback order, persistence across reopen, group
 * commit, close with pending work, refusal of foreign files, migrations from schemas 1, 2, 3
 * (accounts made of the names stored), 4 (people's rows moved from names to user ids), 5, 6
 * and 7 (the client key's index of seq-0 appends), every earlier version from its fixture, the
 * plans of the lookups by client key, the accounts version seen across two stores on one file, and
 * a failed commit reported instead of ending the process. What every backend must do is in
 * test_store_conformance.c. */
#include "store/store_sqlite.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "store/store_sqlite_int.h"
#include "test.h"

static char tmpdir[64];

static const char *path_of(const char *name)
{
    static char path[4][128];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
    return p;
}

/* ---- helpers: a loop, callbacks that record, and runs until a condition ---- */

typedef struct {
    int appended;      /* append callbacks so far */
    int order[20000];  /* ctx index of each append callback, in callback order */
    int status_errors; /* append callbacks with status != 0 */
    int events[20000]; /* callback order across kinds: >= 0 append index, -1 query */
    int nevents;
    int queried; /* query callbacks so far */
    int qstatus;
    size_t qn;
    bool qmore;
    uint64_t qseq[1024];
    int qbad;             /* rows whose strings do not match what was stored */
    uint64_t aseq[64];    /* by ctx index: the seq an append was answered */
    bool adup[64];        /* and whether it was a duplicate */
    store_t *close_in_cb; /* close this store from the append callback of index close_at */
    int close_at;
} rec_t;

static rec_t *rec;
static int idx[20000]; /* stable ctx pointers: &idx[i] == i */

static void on_append(void *ctx, int status, uint64_t seq, bool duplicate);

/* A write's callback (changes directly, appends through on_append). */
static void on_write(void *ctx, int status)
{
    int i = *(int *)ctx;
    if (status != 0)
        rec->status_errors++;
    rec->order[rec->appended++] = i;
    rec->events[rec->nevents++] = i;
    if (rec->close_in_cb && i == rec->close_at) {
        store_close(rec->close_in_cb);
        store_msg_t m = {.channel = "general", .seq = 99999, .user = "u", .text = "t"};
        CHECK(store_append(rec->close_in_cb, &m, on_append, &idx[0]) < 0);
        rec->close_in_cb = NULL;
    }
}

/* An append's answer: what on_write records, and (for the first indexes) its seq and mark;
 * a seq 0 with status 0 counts as a status error. */
static void on_append(void *ctx, int status, uint64_t seq, bool duplicate)
{
    int i = *(int *)ctx;
    if (status == 0 && seq == 0)
        rec->status_errors++;
    if (i < 64) {
        rec->aseq[i] = seq;
        rec->adup[i] = duplicate;
    }
    on_write(ctx, status);
}

/* Stored messages follow a pattern, so rows can be checked by seq alone. */
static void fmt_user(char *out, size_t size, uint64_t seq)
{
    snprintf(out, size, "user%" PRIu64, seq % 3);
}

static void fmt_text(char *out, size_t size, const char *channel, uint64_t seq)
{
    if (seq % 7 == 0)
        snprintf(out, size, "%s", "");
    else
        snprintf(out, size, "héllo ✓ %s #%" PRIu64, channel, seq);
}

static void on_query(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    const char *channel = ctx;
    rec->queried++;
    rec->events[rec->nevents++] = -1;
    rec->qstatus = status;
    rec->qn = n;
    rec->qmore = more;
    for (size_t i = 0; i < n && i < 1024; i++) {
        char user[32], text[128];
        rec->qseq[i] = msgs[i].seq;
        fmt_user(user, sizeof(user), msgs[i].seq);
        fmt_text(text, sizeof(text), channel, msgs[i].seq);
        if (strcmp(msgs[i].channel, channel) != 0 || strcmp(msgs[i].user, user) != 0 ||
            strcmp(msgs[i].text, text) != 0 || msgs[i].ts != (int64_t)msgs[i].seq * 1000)
            rec->qbad++;
    }
}

static void run_until(uv_loop_t *loop, const int *counter, int target)
{
    while (*counter < target)
        uv_run(loop, UV_RUN_ONCE);
}

static store_t *open_store(uv_loop_t *loop, const char *name, bool sync_full)
{
    store_sqlite_opts_t opts = {.path = path_of(name), .sync_full = sync_full};
    store_t *s = NULL;
    int rc = store_sqlite_open(loop, &opts, &s);
    CHECK_EQ_INT(rc, 0);
    return rc == 0 ? s : NULL;
}

/* Closes s and runs the loop until its handle is closed and the memory freed. */
static void close_store(uv_loop_t *loop, store_t *s)
{
    store_close(s);
    uv_run(loop, UV_RUN_DEFAULT);
}

static void append_range(store_t *s, const char *channel, uint64_t from, uint64_t to)
{
    for (uint64_t seq = from; seq <= to; seq++) {
        char user[32], text[128];
        fmt_user(user, sizeof(user), seq);
        fmt_text(text, sizeof(text), channel, seq);
        store_msg_t m = {
            .channel = channel, .seq = seq, .user = user, .text = text, .ts = (int64_t)seq * 1000};
        CHECK_EQ_INT(store_append(s, &m, on_append, &idx[seq % 20000]), 0);
    }
}

static void query(uv_loop_t *loop, store_t *s, const char *channel, uint64_t after, uint64_t before,
                  unsigned limit)
{
    store_query_t q = {channel, after, before, limit, false, 0, false, NULL, NULL, 0, 0};
    int want = rec->queried + 1;
    CHECK_EQ_INT(store_query(s, &q, on_query, (void *)channel), 0);
    run_until(loop, &rec->queried, want);
    CHECK_EQ_INT(rec->qstatus, 0);
    CHECK_EQ_INT(rec->qbad, 0);
}

static bool seqs_are(uint64_t first, size_t n)
{
    if (rec->qn != n || n > 1024)
        return false;
    for (size_t i = 0; i < n; i++)
        if (rec->qseq[i] != first + i)
            return false;
    return true;
}

static void rec_reset(void)
{
    memset(rec, 0, sizeof(*rec));
}

/* ---- tests ---- */

TEST(test_append_order)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "order.db", false);
    if (!s)
        return;
    append_range(s, "general", 1, 300);
    run_until(&loop, &rec->appended, 300);
    int in_order = 1;
    for (int i = 0; i < 300; i++)
        in_order &= rec->order[i] == i + 1;
    CHECK(in_order);
    CHECK_EQ_INT(rec->status_errors, 0);
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.appends, 300);
    CHECK_EQ_INT(st.queued, 0);
    CHECK(st.commits >= 1 && st.commits <= 300);
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "general", &last), 0);
    CHECK_EQ_INT(last, 300);
    CHECK_EQ_INT(store_last_seq(s, "nowhere", &last), 0);
    CHECK_EQ_INT(last, 0);
    close_store(&loop, s);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A read asked while appends are in flight sees a prefix (its snapshot), maybe all of them;
 * the appends complete in order whatever the read does; a read asked once they all were
 * called back sees every one (store.h). */
TEST(test_query_sees_earlier_appends)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "sees.db", false);
    if (!s)
        return;
    append_range(s, "general", 1, 50);
    store_query_t q = {"general", 0, 0, 100, false, 0, false, NULL, NULL, 0, 0};
    CHECK_EQ_INT(store_query(s, &q, on_query, (void *)"general"), 0);
    append_range(s, "general", 51, 60);
    run_until(&loop, &rec->appended, 60);
    run_until(&loop, &rec->queried, 1);
    CHECK(seqs_are(1, rec->qn)); /* a prefix: never a hole */
    CHECK_EQ_INT(rec->qbad, 0);
    int ordered = 1;
    for (int i = 0; i < 60; i++)
        ordered &= rec->order[i] == i + 1;
    CHECK(ordered);
    query(&loop, s, "general", 0, 0, 100);
    CHECK(seqs_are(1, 60));
    close_store(&loop, s);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_persist_and_reopen)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "persist.db", false);
    if (!s)
        return;
    append_range(s, "general", 1, 40);
    append_range(s, "random", 1, 5);
    run_until(&loop, &rec->appended, 45);
    close_store(&loop, s);

    s = open_store(&loop, "persist.db", false);
    if (!s)
        return;
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "general", &last), 0);
    CHECK_EQ_INT(last, 40);
    CHECK_EQ_INT(store_last_seq(s, "random", &last), 0);
    CHECK_EQ_INT(last, 5);
    query(&loop, s, "general", 30, 0, 100);
    CHECK(seqs_are(31, 10));
    append_range(s, "general", 41, 42); /* the sequence continues after a restart */
    run_until(&loop, &rec->appended, 47);
    CHECK_EQ_INT(store_last_seq(s, "general", &last), 0);
    CHECK_EQ_INT(last, 42);
    close_store(&loop, s);

    sqlite3 *db = NULL; /* the file is what the schema section promises */
    CHECK_EQ_INT(sqlite3_open(path_of("persist.db"), &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), 15);
    sqlite3_finalize(st);
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_STR((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_group_commit)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "group.db", false);
    if (!s)
        return;
    append_range(s, "general", 1, 1000);
    run_until(&loop, &rec->appended, 1000);
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.appends, 1000);
    CHECK(st.commits < st.appends);
    CHECK(st.commits <= 10);
    printf("group commit: 1000 appends in %" PRIu64 " commits\n", st.commits);
    int in_order = 1;
    for (int i = 0; i < 1000; i++)
        in_order &= rec->order[i] == i + 1;
    CHECK(in_order);
    close_store(&loop, s);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* The WAL is checkpointed off the writer (store_sqlite_ckpt.c) and so reused: it stays near
 * the 1,000 pages that start a checkpoint while far more than that is written. Without the
 * checkpointer (the writer's hook only takes SQLite's own checkpoint away), it would hold
 * everything written since the start: 52 MB here, against 5 MB with it. */
TEST(test_wal_checkpointed_off_the_writer)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "ckpt.db", false);
    if (!s)
        return;
    static char text[2001];
    memset(text, 'w', sizeof(text) - 1);
    enum { ROUNDS = 60, PER_ROUND = 50 };
    uint64_t seq = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < PER_ROUND; i++) {
            seq++;
            store_msg_t m = {
                .channel = "general", .seq = seq, .user = "ann", .text = text, .ts = (int64_t)seq};
            CHECK_EQ_INT(store_append(s, &m, on_append, &idx[seq % 20000]), 0);
        }
        run_until(&loop, &rec->appended, (int)seq);
        usleep(20 * 1000); /* the checkpointer's turn */
    }
    CHECK_EQ_INT(rec->status_errors, 0);
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", path_of("ckpt.db"));
    struct stat st;
    CHECK_EQ_INT(stat(wal, &st), 0);
    /* Some 50 MB of WAL frames are written (a message's row overflows into pages of its
     * own, and its indexes); reused, the WAL holds a few thousand pages at most. */
    printf("wal: %lld bytes after %d messages of %zu bytes\n", (long long)st.st_size,
           ROUNDS * PER_ROUND, sizeof(text) - 1);
    CHECK(st.st_size < 4 * 1000 * 4096);
    close_store(&loop, s);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_close_commits_pending)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "pending.db", false);
    if (!s)
        return;
    append_range(s, "general", 1, 500);
    store_query_t q = {"general", 0, 0, 10, false, 0, false, NULL, NULL, 0, 0};
    CHECK_EQ_INT(store_query(s, &q, on_query, (void *)"general"), 0);
    store_close(s);
    CHECK_EQ_INT(rec->appended, 500); /* close answers everything pending, in order */
    CHECK_EQ_INT(rec->queried, 1);    /* the read too: run, or canceled if not run yet */
    CHECK(rec->qstatus == 0 || rec->qstatus == STORE_ECANCELED);
    store_msg_t m = {.channel = "general", .seq = 501, .user = "u", .text = "t"};
    CHECK(store_append(s, &m, on_append, &idx[0]) < 0); /* closing: refused */
    CHECK(store_query(s, &q, on_query, (void *)"general") < 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(rec->appended, 500); /* nothing twice */
    CHECK_EQ_INT(rec->queried, 1);

    s = open_store(&loop, "pending.db", false);
    if (!s)
        return;
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "general", &last), 0);
    CHECK_EQ_INT(last, 500);
    query(&loop, s, "general", 0, 0, 1000);
    CHECK(seqs_are(1, 500));
    close_store(&loop, s);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_close_from_callback)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "cbclose.db", false);
    if (!s)
        return;
    rec->close_in_cb = s;
    rec->close_at = 1;
    append_range(s, "general", 1, 200);
    uv_run(&loop, UV_RUN_DEFAULT);    /* ends once the store's handle is closed */
    CHECK_EQ_INT(rec->appended, 200); /* every callback fires once, close or not */

    s = open_store(&loop, "cbclose.db", false);
    if (!s)
        return;
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "general", &last), 0);
    CHECK_EQ_INT(last, 200);
    close_store(&loop, s);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_refuses_foreign_files)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_t *s = NULL;

    static const char junk[] = "this is a text file, not a database; parley must leave it be\n";
    FILE *f = fopen(path_of("junk.db"), "w");
    CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 0; i < 100; i++)
        fputs(junk, f);
    fclose(f);
    store_sqlite_opts_t opts = {.path = path_of("junk.db")};
    CHECK(store_sqlite_open(&loop, &opts, &s) < 0);
    CHECK(s == NULL);
    CHECK(access(path_of("junk.db-wal"), F_OK) != 0);

    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path_of("other.db"), &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "CREATE TABLE users(name TEXT)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    opts.path = path_of("other.db");
    CHECK(store_sqlite_open(&loop, &opts, &s) < 0);
    CHECK(s == NULL);

    CHECK_EQ_INT(sqlite3_open(path_of("future.db"), &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    opts.path = path_of("future.db");
    CHECK(store_sqlite_open(&loop, &opts, &s) < 0);
    CHECK(s == NULL);

    opts.path = "/nonexistent-parley-dir/x.db";
    CHECK(store_sqlite_open(&loop, &opts, &s) < 0);
    CHECK(s == NULL);
    opts.path = tmpdir; /* a directory */
    CHECK(store_sqlite_open(&loop, &opts, &s) < 0);
    CHECK(s == NULL);

    CHECK_EQ_INT(uv_run(&loop, UV_RUN_NOWAIT), 0); /* nothing left behind on the loop */
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_sync_full)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "full.db", true);
    if (!s)
        return;
    append_range(s, "general", 1, 100);
    run_until(&loop, &rec->appended, 100);
    CHECK_EQ_INT(rec->status_errors, 0);
    close_store(&loop, s);
    s = open_store(&loop, "full.db", true);
    if (!s)
        return;
    query(&loop, s, "general", 0, 0, 100);
    CHECK(seqs_are(1, 100));
    CHECK(!rec->qmore);
    close_store(&loop, s);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A message that cannot be stored (here: a seq stored twice, a caller bug) is reported, with
 * everything behind it, and the process goes on (store.h, Failure; the conformance suite
 * checks the failure path in full, with a genuine I/O error). */
TEST(test_failed_commit_reported)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "dup.db", false);
    if (!s)
        return;
    append_range(s, "general", 1, 3);
    run_until(&loop, &rec->appended, 3);
    append_range(s, "general", 2, 2);
    append_range(s, "general", 4, 5);
    run_until(&loop, &rec->appended, 6);
    CHECK_EQ_INT(rec->status_errors, 3);
    store_stats_t st;
    store_stats(s, &st);
    CHECK(st.failed);
    CHECK_EQ_INT(st.failures, 1);
    CHECK_EQ_INT(st.appends, 3);
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "general", &last), 0);
    CHECK_EQ_INT(last, 3);
    store_recover(s);
    append_range(s, "general", 4, 4);
    run_until(&loop, &rec->appended, 7);
    CHECK_EQ_INT(rec->status_errors, 3);
    close_store(&loop, s);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* ---- channels and members ---- */

typedef struct {
    char log[2048]; /* "c:name/kind/topic/by/by_id/ts;", "m:channel/user_id;"... in load order */
} load_rec_t;

static void on_load_channel(void *ctx, const store_channel_t *c)
{
    load_rec_t *l = ctx;
    size_t n = strlen(l->log);
    snprintf(l->log + n, sizeof(l->log) - n, "c:%s/%s/%s/%s/%" PRIu64 "/%lld;", c->name, c->kind,
             c->topic, c->created_by, c->creator_id, (long long)c->ts);
}

static void on_load_member(void *ctx, const char *channel, uint64_t user_id)
{
    load_rec_t *l = ctx;
    size_t n = strlen(l->log);
    snprintf(l->log + n, sizeof(l->log) - n, "m:%s/%" PRIu64 ";", channel, user_id);
}

static void on_load_read(void *ctx, const char *channel, uint64_t user_id, uint64_t seq)
{
    load_rec_t *l = ctx;
    size_t n = strlen(l->log);
    snprintf(l->log + n, sizeof(l->log) - n, "r:%s/%" PRIu64 "/%" PRIu64 ";", channel, user_id,
             seq);
}

static void on_load_reaction(void *ctx, const char *channel, uint64_t target, uint64_t user_id,
                             const char *emoji, bool on)
{
    load_rec_t *l = ctx;
    size_t n = strlen(l->log);
    snprintf(l->log + n, sizeof(l->log) - n, "x:%s/%" PRIu64 "/%" PRIu64 "/%s/%d;", channel, target,
             user_id, emoji, on);
}

static void on_load_mentioned(void *ctx, const char *channel, uint64_t user_id, uint64_t seq)
{
    load_rec_t *l = ctx;
    size_t n = strlen(l->log);
    snprintf(l->log + n, sizeof(l->log) - n, "@:%s/%" PRIu64 "/%" PRIu64 ";", channel, user_id,
             seq);
}

static void on_load_keyed(void *ctx, const char *channel, uint64_t seq, uint64_t user_id,
                          const char *cid, int64_t ts)
{
    load_rec_t *l = ctx;
    size_t n = strlen(l->log);
    snprintf(l->log + n, sizeof(l->log) - n, "k:%s/%" PRIu64 "/%" PRIu64 "/%s/%lld;", channel, seq,
             user_id, cid, (long long)ts);
}

static const store_load_t load_cbs = {
    on_load_channel,   on_load_member, on_load_read, on_load_reaction,
    on_load_mentioned, NULL,           NULL,         NULL};

/* Everything store_load and store_load_keyed report, as one string. */
static const char *loaded(store_t *s, load_rec_t *l)
{
    l->log[0] = '\0';
    CHECK_EQ_INT(store_load(s, &load_cbs, l), 0);
    CHECK_EQ_INT(store_load_keyed(s, on_load_keyed, l), 0);
    return l->log;
}

TEST(test_channels_and_members)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "channels.db", false);
    store_change_t c = {.kind = STORE_CHANNEL_PUT,
                        .ch = {"design", "public", "pixels", "alice", 1, 5}};
    CHECK_EQ_INT(store_change(s, &c, NULL, NULL), 0); /* no callback wanted */
    store_change_t m = {
        .kind = STORE_MEMBER_ADD, .ch = {.name = "design"}, .user_id = 1 /* alice */, .ts = 6};
    CHECK_EQ_INT(store_change(s, &m, on_write, &idx[0]), 0);
    m.user_id = 2; /* bob */
    CHECK_EQ_INT(store_change(s, &m, on_write, &idx[1]), 0);
    CHECK_EQ_INT(store_change(s, &m, on_write, &idx[2]), 0); /* again: a no-op */
    store_msg_t msg = {
        .channel = "design", .seq = 1, .user = "user1", .text = "héllo ✓ design #1", .ts = 1000};
    CHECK_EQ_INT(store_append(s, &msg, on_append, &idx[3]), 0);
    c.ch.topic = "new topic"; /* an update keeps created_by, creator_id and ts */
    c.ch.created_by = "mallory";
    c.ch.creator_id = 9;
    c.ch.ts = 99;
    CHECK_EQ_INT(store_change(s, &c, on_write, &idx[4]), 0);
    store_change_t r = {.kind = STORE_MEMBER_REMOVE, .ch = {.name = "design"}, .user_id = 1};
    CHECK_EQ_INT(store_change(s, &r, on_write, &idx[5]), 0);
    c = (store_change_t){.kind = STORE_CHANNEL_PUT, .ch = {"secret", "private", "", "bob", 2, 7}};
    CHECK_EQ_INT(store_change(s, &c, on_write, &idx[6]), 0);
    /* read markers only advance */
    store_change_t rd = {.kind = STORE_READ, .ch = {.name = "general"}, .user_id = 2, .seq = 5};
    CHECK_EQ_INT(store_change(s, &rd, NULL, NULL), 0);
    rd.seq = 3;
    CHECK_EQ_INT(store_change(s, &rd, NULL, NULL), 0);
    rd.ch.name = "design";
    rd.seq = 1;
    CHECK_EQ_INT(store_change(s, &rd, on_write, &idx[7]), 0);
    run_until(&loop, &rec->appended, 7);
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(rec->order[i], i); /* changes and messages complete in submission order */
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "design", &last), 0);
    CHECK_EQ_INT(last, 1);
    close_store(&loop, s);

    s = open_store(&loop, "channels.db", false);
    load_rec_t l = {""};
    CHECK_EQ_INT(store_load(s, &load_cbs, &l), 0);
    CHECK_EQ_STR(l.log, "c:design/public/new topic/alice/1/5;c:secret/private//bob/2/7;m:design/2;"
                        "r:design/2/1;r:general/2/5;");
    close_store(&loop, s);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

static void on_search(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    (void)ctx;
    (void)more;
    rec->queried++;
    rec->qstatus = status;
    rec->qn = n;
    for (size_t i = 0; i < n && i < 1024; i++) {
        rec->qseq[i] = msgs[i].seq;
        if (strcmp(msgs[i].channel, "general") != 0 || strcmp(msgs[i].text, "old") != 0)
            rec->qbad++;
    }
}

/* A database written by a parley of schema 1 (messages only) opens, gains the channel
 * tables, and keeps its messages. */
TEST(test_migrates_schema_1)
{
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path_of("v1.db"), &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db,
                              "CREATE TABLE messages(channel TEXT NOT NULL, seq INTEGER NOT NULL, "
                              "user TEXT NOT NULL, text TEXT NOT NULL, ts INTEGER NOT NULL, "
                              "PRIMARY KEY(channel, seq)) WITHOUT ROWID;"
                              "INSERT INTO messages VALUES('general', 1, 'a', 'old', 1);"
                              "PRAGMA user_version = 1",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "v1.db", false);
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "general", &last), 0);
    CHECK_EQ_INT(last, 1);
    load_rec_t l = {""};
    CHECK_EQ_INT(store_load(s, &load_cbs, &l), 0);
    CHECK_EQ_STR(l.log, "");
    store_change_t m = {.kind = STORE_MEMBER_ADD, .ch = {.name = "x"}, .user_id = 1, .ts = 1};
    CHECK_EQ_INT(store_change(s, &m, on_write, &idx[0]), 0);
    run_until(&loop, &rec->appended, 1);
    /* the messages of schema 1 were indexed for search by the migration */
    store_search_t q = {.terms = &(store_term_t){"old", false},
                        .nterms = 1,
                        .user = NULL,
                        .channel = NULL,
                        .limit = 10,
                        .channels = NULL,
                        .nchannels = 0,
                        .owner = NULL};
    CHECK_EQ_INT(store_search(s, &q, on_search, NULL), 0);
    run_until(&loop, &rec->queried, 1);
    CHECK_EQ_INT(rec->qstatus, 0);
    CHECK_EQ_INT(rec->qn, 1);
    CHECK_EQ_INT(rec->qseq[0], 1);
    close_store(&loop, s);
    CHECK_EQ_INT(sqlite3_open(path_of("v1.db"), &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), 15);
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A database written by a parley of schema 2 (before client keys) opens, gains the cid
 * column, its index and the probe table, and keeps its messages, which carry no key. */
TEST(test_migrates_schema_2)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "v2.db", false);
    if (!s)
        return;
    append_range(s, "general", 1, 2);
    run_until(&loop, &rec->appended, 2);
    close_store(&loop, s);
    /* Take the file back to what schema 2 wrote: no cid, no index, no probe, no accounts,
     * people by name. */
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path_of("v2.db"), &db), SQLITE_OK);
    CHECK_EQ_INT(
        sqlite3_exec(db,
                     "DROP TABLE hooks; ALTER TABLE messages DROP COLUMN app; "
                     "DROP INDEX messages_pin; ALTER TABLE messages DROP COLUMN original; "
                     "DROP TRIGGER channel_deleted_notify; DROP TABLE notify; "
                     "ALTER TABLE users DROP COLUMN title; ALTER TABLE users DROP COLUMN tz; "
                     "ALTER TABLE users DROP COLUMN avatar; ALTER TABLE users DROP COLUMN bot; "
                     "ALTER TABLE messages DROP COLUMN files; "
                     "DROP INDEX messages_author; DROP INDEX messages_key;"
                     "DROP INDEX messages_edit; ALTER TABLE messages DROP COLUMN "
                     "deleted; ALTER TABLE messages DROP COLUMN edited;"
                     "DROP INDEX messages_cid; DROP TABLE probe; DROP TABLE users;"
                     "DROP TABLE sessions; DROP TABLE invites; DROP TABLE meta;"
                     "ALTER TABLE messages DROP COLUMN cid; ALTER TABLE messages DROP "
                     "COLUMN guest; ALTER TABLE messages DROP COLUMN user_id;"
                     "ALTER TABLE channels DROP COLUMN creator_id;"
                     "DROP TRIGGER channel_deleted; ALTER TABLE channels DROP COLUMN "
                     "archived;"
                     "DROP TABLE members; DROP TABLE reads; DROP TABLE mentions;"
                     "CREATE TABLE members(channel TEXT NOT NULL, user TEXT NOT NULL, "
                     "ts INTEGER NOT NULL, PRIMARY KEY(channel, user)) WITHOUT ROWID;"
                     "CREATE TABLE reads(channel TEXT NOT NULL, user TEXT NOT NULL, "
                     "seq INTEGER NOT NULL, PRIMARY KEY(channel, user)) WITHOUT ROWID;"
                     "CREATE TABLE mentions(user TEXT NOT NULL, channel TEXT NOT NULL, "
                     "seq INTEGER NOT NULL, PRIMARY KEY(user, channel, seq)) "
                     "WITHOUT ROWID; PRAGMA user_version = 2",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    s = open_store(&loop, "v2.db", false);
    if (!s)
        return;
    query(&loop, s, "general", 0, 0, 10);
    CHECK(seqs_are(1, 2));
    char user[32], text[128];
    fmt_user(user, sizeof(user), 3);
    fmt_text(text, sizeof(text), "general", 3);
    store_msg_t m = {
        .channel = "general", .seq = 3, .user = user, .text = text, .ts = 3000, .cid = "k3"};
    CHECK_EQ_INT(store_append(s, &m, on_append, &idx[3]), 0);
    run_until(&loop, &rec->appended, 3);
    CHECK_EQ_INT(rec->status_errors, 0);
    close_store(&loop, s);
    CHECK_EQ_INT(sqlite3_open(path_of("v2.db"), &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db,
                                    "SELECT (SELECT user_version FROM pragma_user_version), "
                                    "(SELECT count(*) FROM probe), "
                                    "(SELECT group_concat(coalesce(cid, '-')) FROM messages)",
                                    -1, &st, NULL),
                 SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), 15);
    CHECK_EQ_INT(sqlite3_column_int(st, 1), 1);
    CHECK_EQ_STR((const char *)sqlite3_column_text(st, 2), "-,-,k3");
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* ---- accounts: schema 4 ---- */

/* What a parley of schema 3 created, verbatim, so that the migration meets a real v3 file. */
static const char sql_v3[] =
    "CREATE TABLE messages(channel TEXT NOT NULL, seq INTEGER NOT NULL, user TEXT NOT NULL, "
    "text TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY(channel, seq)) WITHOUT ROWID;"
    "CREATE TABLE channels(name TEXT PRIMARY KEY, kind TEXT NOT NULL, topic TEXT NOT NULL, "
    "created_by TEXT NOT NULL, ts INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE members(channel TEXT NOT NULL, user TEXT NOT NULL, ts INTEGER NOT NULL, "
    "PRIMARY KEY(channel, user)) WITHOUT ROWID;"
    "CREATE TABLE reads(channel TEXT NOT NULL, user TEXT NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY(channel, user)) WITHOUT ROWID;"
    "CREATE VIRTUAL TABLE messages_fts USING fts5(text, key, channel UNINDEXED, "
    "seq UNINDEXED, user UNINDEXED, ts UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');"
    "INSERT INTO messages_fts(text, key, channel, seq, user, ts) "
    "SELECT text, 'k' || hex(channel) || 'x' || seq, channel, seq, user, ts FROM messages;"
    "ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'msg';"
    "ALTER TABLE messages ADD COLUMN thread INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN target INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX messages_thread ON messages(channel, thread) WHERE thread > 0;"
    "CREATE INDEX messages_react ON messages(channel, seq) WHERE kind IN ('react', 'unreact');"
    "CREATE TABLE mentions(user TEXT NOT NULL, channel TEXT NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY(user, channel, seq)) WITHOUT ROWID;"
    "ALTER TABLE messages ADD COLUMN cid TEXT;"
    "CREATE INDEX messages_cid ON messages(ts) WHERE cid IS NOT NULL;"
    "CREATE TABLE probe(id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
    "INSERT INTO probe(id, n) VALUES(1, 0);"
    "PRAGMA user_version = 3";

/* Names as a v3 server stored them: by time, carol (random, 1000) < alice (member of design
 * since 1500) < bob (2000, reacting at 9000) < dave (member since 2500) < eve = frank (4000);
 * erin only read; the text modes' names wrote and joined too. */
static const char sql_v3_rows[] =
    "INSERT INTO messages(channel, seq, user, text, ts, kind, thread, target, cid) VALUES"
    "('random', 1, 'carol', 'first', 1000, 'msg', 0, 0, NULL),"
    "('general', 1, 'bob', 'hi', 2000, 'msg', 0, 0, 'k1'),"
    "('general', 2, 'alice', 'yo', 3000, 'msg', 1, 0, NULL),"
    "('general', 3, 'anonymous', 'psst', 3500, 'msg', 0, 0, NULL),"
    "('general', 4, 'Client #7', 'hello', 3600, 'msg', 0, 0, NULL),"
    "('general', 5, 'frank', 'x', 4000, 'msg', 0, 0, NULL),"
    "('random', 2, 'eve', 'y', 4000, 'msg', 0, 0, NULL),"
    "('general', 6, 'bob', '+1', 9000, 'react', 0, 2, 'k6');"
    "INSERT INTO channels VALUES('design', 'private', 'pixels', 'alice', 1400);"
    "INSERT INTO members VALUES('design', 'dave', 2500), ('design', 'alice', 1500),"
    "('design', 'Client #9', 100);"
    "INSERT INTO reads VALUES('general', 'erin', 5), ('general', 'bob', 5);"
    "INSERT INTO mentions VALUES('bob', 'general', 2)";

/* Every row of the tables the migrations keep, in v3's columns, as one string (members,
 * reads and mentions are rebuilt by user id: their tests read them through store_load). */
static const char sql_v3_dump[] =
    "SELECT (SELECT group_concat(r, ',') FROM (SELECT channel || '/' || seq || '/' || user || "
    "'/' || text || '/' || ts || '/' || kind || '/' || thread || '/' || target || '/' || "
    "coalesce(cid, '-') AS r FROM messages ORDER BY channel, seq)) || ';' || "
    "(SELECT group_concat(r, ',') FROM (SELECT name || '/' || kind || '/' || topic || '/' || "
    "created_by || '/' || ts AS r FROM channels ORDER BY name))";

/* Each message's author as name=user_id, by channel and seq. */
static const char sql_authors[] =
    "SELECT group_concat(r, ',') FROM (SELECT channel || seq || ':' || user || '=' || user_id "
    "AS r FROM messages ORDER BY channel, seq)";

/* Runs sql on the file name and returns its one text value (in a static buffer), or "". */
static const char *db_text(const char *name, const char *sql)
{
    static char out[2048];
    out[0] = '\0';
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_open(path_of(name), &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* The details of sql's query plan on the file name, ';' after each (in a static buffer). */
static const char *db_plan(const char *name, const char *sql)
{
    static char plan[512];
    char explain[1024];
    snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
    plan[0] = '\0';
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_open(path_of(name), &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_prepare_v2(db, explain, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t n = strlen(plan);
        snprintf(plan + n, sizeof(plan) - n, "%s;", (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return plan;
}

static void db_run(const char *name, const char *sql)
{
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path_of(name), &db), SQLITE_OK);
    char *err = NULL;
    CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK);
    if (err)
        fprintf(stderr, "%s\n", err);
    sqlite3_free(err);
    sqlite3_close(db);
}

typedef struct {
    char log[2048];
    int64_t from, to; /* a time in [from, to] is written "now" */
} users_rec_t;

static void on_user(void *ctx, const store_user_t *u)
{
    users_rec_t *r = ctx;
    char created[24], seen[24];
    bool now_c = u->created >= r->from && u->created <= r->to;
    bool now_s = u->seen >= r->from && u->seen <= r->to;
    snprintf(created, sizeof(created), "%lld", (long long)u->created);
    snprintf(seen, sizeof(seen), "%lld", (long long)u->seen);
    size_t n = strlen(r->log);
    snprintf(r->log + n, sizeof(r->log) - n, "%" PRIu64 "/%s/%s/%s/%s/%s/%s/%s/%s;", u->id, u->name,
             u->canon ? u->canon : "~", u->display, u->role, u->pass ? u->pass : "~", u->state,
             now_c ? "now" : created, now_s ? "now" : seen);
}

static const char *users_of(store_t *s, users_rec_t *r)
{
    r->log[0] = '\0';
    store_accounts_load_t cbs = {.user = on_user};
    CHECK_EQ_INT(store_load_accounts(s, &cbs, r), 0);
    return r->log;
}

static uint64_t version_of(store_t *s)
{
    uint64_t v = UINT64_MAX;
    CHECK_EQ_INT(store_accounts_version(s, &v), 0);
    return v;
}

/* A file of schema 3 gains the account tables and ids in one step: every name that wrote,
 * joined or read becomes a user in order of first appearance, the text modes' names do not,
 * messages and channels keep their rows, and people's rows move to the ids of their names. */
TEST(test_migrates_schema_3)
{
    db_run("v3.db", sql_v3);
    db_run("v3.db", sql_v3_rows);
    char before[2048];
    snprintf(before, sizeof(before), "%s", db_text("v3.db", sql_v3_dump));
    CHECK(strstr(before, "Client #7") != NULL);

    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    users_rec_t r = {.from = clock_wall_ms()};
    store_t *s = open_store(&loop, "v3.db", false);
    r.to = clock_wall_ms();
    if (!s)
        return;
    CHECK_EQ_STR(users_of(s, &r), "1/carol/~//member/~/active/1000/1000;"
                                  "2/alice/~//member/~/active/1500/3000;"
                                  "3/bob/~//member/~/active/2000/9000;"
                                  "4/dave/~//member/~/active/2500/2500;"
                                  "5/eve/~//member/~/active/4000/4000;"
                                  "6/frank/~//member/~/active/4000/4000;"
                                  "7/erin/~//member/~/active/now/now;");
    CHECK_EQ_INT(version_of(s), 0);
    load_rec_t l = {""};
    CHECK_EQ_STR(loaded(s, &l), "c:design/private/pixels/alice/2/1400;m:design/2;m:design/4;"
                                "r:general/3/5;r:general/7/5;x:general/2/3/+1/1;"
                                "@:general/3/2;k:general/1/3/k1/2000;k:general/6/3/k6/9000;");
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "general", &last), 0);
    CHECK_EQ_INT(last, 6);
    close_store(&loop, s);

    CHECK_EQ_STR(db_text("v3.db", sql_v3_dump), before);
    CHECK_EQ_STR(db_text("v3.db", "SELECT user_version || '/' || (SELECT count(*) FROM "
                                  "sessions) || '/' || (SELECT count(*) FROM invites) FROM "
                                  "pragma_user_version"),
                 "15/0/0");
    CHECK_EQ_STR(db_text("v3.db", sql_authors),
                 "general1:bob=3,general2:alice=2,general3:anonymous=0,general4:Client #7=0,"
                 "general5:frank=6,general6:bob=3,random1:carol=1,random2:eve=5");
    /* Text-mode names wrote as guests; everyone else as the account they became. */
    char marks[2048];
    snprintf(marks, sizeof(marks), "%s",
             db_text("v3.db", "SELECT group_concat(user || '=' || guest, ',') FROM (SELECT "
                              "DISTINCT user, guest FROM messages ORDER BY user)"));
    CHECK_EQ_STR(marks, db_text("v3.db", "SELECT group_concat(user || '=' || (user = 'anonymous' "
                                         "OR user LIKE 'Client #%'), ',') FROM (SELECT DISTINCT "
                                         "user FROM messages ORDER BY user)"));
    CHECK(strstr(marks, "=1") != NULL);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* The migration and the steps before it are one transaction: when it fails (here a foreign
 * users table in the way), the file is left exactly as it was. */
TEST(test_migration_all_or_nothing)
{
    db_run("v1-users.db", "CREATE TABLE messages(channel TEXT NOT NULL, seq INTEGER NOT NULL, "
                          "user TEXT NOT NULL, text TEXT NOT NULL, ts INTEGER NOT NULL, "
                          "PRIMARY KEY(channel, seq)) WITHOUT ROWID;"
                          "INSERT INTO messages VALUES('general', 1, 'a', 'old', 1);"
                          "CREATE TABLE users(x);"
                          "PRAGMA user_version = 1");
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_sqlite_opts_t opts = {.path = path_of("v1-users.db")};
    store_t *s = NULL;
    CHECK(store_sqlite_open(&loop, &opts, &s) < 0);
    CHECK(s == NULL);
    CHECK_EQ_STR(db_text("v1-users.db", "SELECT user_version || '/' || (SELECT count(*) FROM "
                                        "sqlite_master) FROM pragma_user_version"),
                 "1/2");
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* ---- people by id: schema 5 ---- */

/* What a parley of schema 4 added to schema 3, verbatim but for the users its migration made
 * of names (each test writes its own), so that the migration meets a real v4 file. */
static const char sql_v4[] =
    "ALTER TABLE messages ADD COLUMN guest INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, canon TEXT UNIQUE, "
    "display TEXT NOT NULL, role TEXT NOT NULL, pass TEXT, state TEXT NOT NULL, "
    "created INTEGER NOT NULL, seen INTEGER NOT NULL);"
    "CREATE TABLE sessions(id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, "
    "user_id INTEGER NOT NULL, created INTEGER NOT NULL, seen INTEGER NOT NULL, "
    "expires INTEGER NOT NULL, agent TEXT NOT NULL, addr TEXT NOT NULL);"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE invites(id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, "
    "creator INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL, "
    "created INTEGER NOT NULL, expires INTEGER NOT NULL, uses INTEGER NOT NULL, "
    "max_uses INTEGER NOT NULL, revoked INTEGER NOT NULL);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES('accounts_version', 0);"
    "PRAGMA user_version = 4";

/* People as a v4 server stored them, by name. zed was a guest (2) whose hold lapsed, and
 * someone registered the name after (3); ghost was a guest twice (4, 5) and nobody holds it
 * now; kim holds her name (7), and a newer row of it (9) holds nothing; Bob (6) is an
 * account; "nobody" is a name no row has, "anonymous" a text mode's. */
static const char sql_v4_rows[] =
    "INSERT INTO users VALUES(1, 'alice', 'alice', '', 'owner', '$h', 'active', 1, 1),"
    "(2, 'zed', NULL, '', 'guest', NULL, 'active', 2, 2),"
    "(3, 'zed', 'zed', '', 'member', '$h', 'active', 3, 3),"
    "(4, 'ghost', NULL, '', 'guest', NULL, 'active', 4, 4),"
    "(5, 'ghost', NULL, '', 'guest', NULL, 'active', 5, 5),"
    "(6, 'Bob', 'bob', '', 'member', '$h', 'active', 6, 6),"
    "(7, 'kim', 'kim', '', 'member', '$h', 'active', 7, 7),"
    "(9, 'kim', NULL, '', 'guest', NULL, 'active', 9, 9);"
    "INSERT INTO sessions VALUES(1, 'h1', 3, 1, 2, 3, 'ua', '::1');"
    "UPDATE meta SET value = 4 WHERE key = 'accounts_version';"
    "INSERT INTO messages(channel, seq, user, text, ts, kind, thread, target, cid, guest) VALUES"
    "('general', 1, 'zed', 'old guest', 1000, 'msg', 0, 0, NULL, 1),"
    "('general', 2, 'alice', 'hi @zed @here', 2000, 'msg', 0, 0, 'k2', 0),"
    "('general', 3, 'ghost', 'boo', 3000, 'msg', 0, 0, NULL, 1),"
    "('general', 4, 'anonymous', 'psst', 4000, 'msg', 0, 0, NULL, 1),"
    "('general', 5, 'zed', '+1', 5000, 'react', 0, 2, 'k5', 0),"
    "('general', 6, 'kim', '@channel', 6000, 'msg', 0, 0, NULL, 0),"
    "('random', 1, 'Bob', '@channel @here', 1500, 'msg', 0, 0, 'k7', 0),"
    "('random', 2, 'nobody', 'x', 2500, 'msg', 0, 0, NULL, 0);"
    "INSERT INTO channels VALUES('design', 'private', 'pixels', 'alice', 100),"
    "('lobby', 'public', '', 'ghost', 200), ('old', 'public', '', 'nobody', 300);"
    "INSERT INTO members VALUES('design', 'alice', 10), ('design', 'zed', 20),"
    "('design', 'ghost', 30), ('design', 'nobody', 40), ('lobby', 'kim', 50);"
    "INSERT INTO reads VALUES('general', 'zed', 5), ('general', 'alice', 2),"
    "('general', 'nobody', 9), ('random', 'ghost', 1);"
    "INSERT INTO mentions VALUES('zed', 'general', 2), ('here', 'general', 2),"
    "('channel', 'general', 6), ('nobody', 'general', 2), ('ghost', 'general', 3),"
    "('channel', 'random', 1), ('here', 'random', 1)";

static char counts_log[256];

static void on_counts(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    (void)ctx;
    (void)more;
    rec->queried++;
    rec->qstatus = status;
    counts_log[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(counts_log);
        snprintf(counts_log + len, sizeof(counts_log) - len, "%s%s%" PRIu64, i ? "," : "",
                 msgs[i].channel, msgs[i].seq);
    }
}

/* The unread mentions of user_id, as "general6,random1". */
static const char *mention_counts(uv_loop_t *loop, store_t *s, uint64_t user_id)
{
    int want = rec->queried + 1;
    CHECK_EQ_INT(store_mention_counts(s, user_id, NULL, on_counts, NULL), 0);
    run_until(loop, &rec->queried, want);
    CHECK_EQ_INT(rec->qstatus, 0);
    return counts_log;
}

/* A file of schema 4 moves people's rows from names to user ids in place: each name goes to
 * the row holding it, else to the newest row of it, else to nothing (0 for authors and
 * creators; memberships, read markers and mentions dropped); @channel and @here become 0.
 * Accounts, sessions and the accounts version are left as they were. */
TEST(test_migrates_schema_4)
{
    db_run("v4m.db", sql_v3);
    db_run("v4m.db", sql_v4);
    db_run("v4m.db", sql_v4_rows);
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "v4m.db", false);
    if (!s)
        return;
    load_rec_t l = {""};
    CHECK_EQ_STR(loaded(s, &l),
                 "c:design/private/pixels/alice/1/100;c:lobby/public//ghost/5/200;"
                 "c:old/public//nobody/0/300;"
                 "m:design/1;m:design/3;m:design/5;m:lobby/7;"
                 "r:general/1/2;r:general/3/5;r:random/5/1;"
                 "x:general/2/3/+1/1;"
                 "@:general/0/6;@:general/3/2;@:general/5/3;@:random/0/1;"
                 "k:random/1/6/k7/1500;k:general/2/1/k2/2000;k:general/5/3/k5/5000;");
    /* zed (3) has read general up to 5: only @channel at 6 there, and random's @channel. */
    CHECK_EQ_STR(mention_counts(&loop, s, 3), "general6,random1");
    CHECK_EQ_STR(mention_counts(&loop, s, 5), "general2,general3,general6");
    CHECK_EQ_STR(mention_counts(&loop, s, 2), "general2,general6,random1"); /* everyone's */
    users_rec_t r = {0};
    CHECK_EQ_STR(users_of(s, &r), "1/alice/alice//owner/$h/active/1/1;"
                                  "2/zed/~//guest/~/active/2/2;"
                                  "3/zed/zed//member/$h/active/3/3;"
                                  "4/ghost/~//guest/~/active/4/4;"
                                  "5/ghost/~//guest/~/active/5/5;"
                                  "6/Bob/bob//member/$h/active/6/6;"
                                  "7/kim/kim//member/$h/active/7/7;"
                                  "9/kim/~//guest/~/active/9/9;");
    CHECK_EQ_INT(version_of(s), 4);
    /* The rebuilt tables take writes. */
    store_change_t c = {.kind = STORE_MEMBER_ADD, .ch = {.name = "lobby"}, .user_id = 9, .ts = 1};
    CHECK_EQ_INT(store_change(s, &c, on_write, &idx[1]), 0);
    c = (store_change_t){.kind = STORE_READ, .ch = {.name = "random"}, .user_id = 5, .seq = 2};
    CHECK_EQ_INT(store_change(s, &c, on_write, &idx[2]), 0);
    run_until(&loop, &rec->appended, 2);
    CHECK_EQ_INT(rec->status_errors, 0);
    CHECK(strstr(loaded(s, &l), "m:lobby/7;m:lobby/9;r:general/1/2;r:general/3/5;r:random/5/2;"));
    close_store(&loop, s);

    CHECK_EQ_STR(db_text("v4m.db", sql_authors),
                 "general1:zed=3,general2:alice=1,general3:ghost=5,general4:anonymous=0,"
                 "general5:zed=3,general6:kim=7,random1:Bob=6,random2:nobody=0");
    CHECK_EQ_STR(db_text("v4m.db", "SELECT group_concat(r, ',') FROM (SELECT user_id || '/' || "
                                   "channel || '/' || seq AS r FROM mentions ORDER BY user_id, "
                                   "channel, seq)"),
                 "0/general/2,0/general/6,0/random/1,3/general/2,5/general/3");
    CHECK_EQ_STR(db_text("v4m.db", "SELECT user_version || '/' || (SELECT count(*) FROM sessions) "
                                   "|| '/' || (SELECT group_concat(name) FROM (SELECT name FROM "
                                   "sqlite_master WHERE tbl_name IN ('members', 'reads', "
                                   "'mentions') AND type = 'table' ORDER BY name)) FROM "
                                   "pragma_user_version"),
                 "15/1/members,mentions,reads");
    /* The migration's map of names reads users in the order of users_name, with no sort. */
    const char *plan = db_plan("v4m.db", "SELECT name, coalesce(max(CASE WHEN canon IS NOT NULL "
                                         "THEN id END), max(id)) FROM users GROUP BY name");
    CHECK(strstr(plan, "SCAN users USING INDEX users_name") != NULL);
    CHECK(strstr(plan, "TEMP B-TREE") == NULL);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* Schema 6 applies the edits and deletes a file of schema 5 holds to their targets: the
 * newest edit's text, a deleted message's text gone and its edits' texts too. */
TEST(test_migrates_schema_5)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "v5m.db", false);
    if (!s)
        return;
    const store_msg_t ev[] = {
        {.channel = "g", .seq = 1, .user = "a", .user_id = 1, .text = "one", .ts = 1},
        {.channel = "g", .seq = 2, .user = "b", .user_id = 2, .text = "two", .ts = 2},
        {.channel = "g",
         .seq = 3,
         .user = "a",
         .user_id = 1,
         .text = "one'",
         .ts = 3,
         .kind = "edit",
         .target = 1},
        {.channel = "g",
         .seq = 4,
         .user = "b",
         .user_id = 2,
         .text = "two'",
         .ts = 4,
         .kind = "edit",
         .target = 2},
        {.channel = "g",
         .seq = 5,
         .user = "a",
         .user_id = 1,
         .text = "one''",
         .ts = 5,
         .kind = "edit",
         .target = 1},
        {.channel = "g",
         .seq = 6,
         .user = "b",
         .user_id = 2,
         .text = "",
         .ts = 6,
         .kind = "delete",
         .target = 2},
        {.channel = "g", .seq = 7, .user = "c", .user_id = 3, .text = "three", .ts = 7},
    };
    for (int i = 0; i < 7; i++)
        CHECK_EQ_INT(store_append(s, &ev[i], on_append, &idx[i]), 0);
    run_until(&loop, &rec->appended, 7);
    CHECK_EQ_INT(rec->status_errors, 0);
    close_store(&loop, s);
    /* What schema 5 had written: every text as sent, no columns or index of version 6. */
    db_run("v5m.db", "DROP TABLE hooks; ALTER TABLE messages DROP COLUMN app; "
                     "DROP INDEX messages_pin; ALTER TABLE messages DROP COLUMN original; "
                     "DROP TRIGGER channel_deleted_notify; DROP TABLE notify; "
                     "ALTER TABLE users DROP COLUMN title; ALTER TABLE users DROP COLUMN tz; "
                     "ALTER TABLE users DROP COLUMN avatar; ALTER TABLE users DROP COLUMN bot; "
                     "ALTER TABLE messages DROP COLUMN files; "
                     "DROP INDEX messages_author; DROP INDEX messages_key;"
                     "DROP TRIGGER channel_deleted; ALTER TABLE channels DROP COLUMN archived;"
                     "DROP INDEX messages_edit; ALTER TABLE messages DROP COLUMN deleted;"
                     "ALTER TABLE messages DROP COLUMN edited; UPDATE messages SET text = "
                     "CASE seq WHEN 1 THEN 'one' WHEN 2 THEN 'two' WHEN 4 THEN 'two''' "
                     "ELSE text END; PRAGMA user_version = 5");
    s = open_store(&loop, "v5m.db", false);
    if (!s)
        return;
    close_store(&loop, s);
    CHECK_EQ_STR(db_text("v5m.db", "SELECT group_concat(seq || ':' || text || ':' || deleted || "
                                   "edited, ',') FROM (SELECT * FROM messages ORDER BY seq)"),
                 "1:one'':01,2::10,3:one':00,4::00,5:one'':00,6::00,7:three:00");
    CHECK_EQ_STR(db_text("v5m.db", "SELECT user_version FROM pragma_user_version"), "15");
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A database of every earlier schema version, as tests/unit/fixtures/sqlite_vN.sql holds what
 * that version wrote (gen_sqlite.py), opens, migrates to the current version, and keeps its
 * rows: messages (searchable), a channel with its topic and member, names made accounts, an
 * account. A version without its fixture fails the test: add it with gen_sqlite.py. */
static char *fixture_sql(int version)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/sqlite_v%d.sql", PARLEY_FIXTURES, version);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "no %s: run tests/unit/fixtures/gen_sqlite.py\n", path);
        return NULL;
    }
    static char buf[64 * 1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

TEST(test_migrates_every_version)
{
    for (int v = 1; v <= SQLITE_SCHEMA_VERSION; v++) {
        char *sql = fixture_sql(v);
        CHECK(sql != NULL || v == SQLITE_SCHEMA_VERSION);
        if (!sql)
            continue;
        char name[32];
        snprintf(name, sizeof(name), "every-v%d.db", v);
        db_run(name, sql);
        uv_loop_t loop;
        uv_loop_init(&loop);
        rec_reset();
        store_t *s = open_store(&loop, name, false);
        if (!s)
            return;
        uint64_t last = 0;
        CHECK_EQ_INT(store_last_seq(s, "general", &last), 0);
        CHECK_EQ_INT(last, 2);
        load_rec_t l = {""};
        CHECK_EQ_INT(store_load(s, &load_cbs, &l), 0);
        /* Channels came with version 2. */
        CHECK_EQ_INT(strstr(l.log, "c:old-times/public/kept topic/ada/") != NULL, v >= 2);
        close_store(&loop, s);
        CHECK_EQ_INT(uv_loop_close(&loop), 0);
        char want[16];
        snprintf(want, sizeof(want), "%d", SQLITE_SCHEMA_VERSION);
        CHECK_EQ_STR(db_text(name, "SELECT user_version FROM pragma_user_version"), want);
        CHECK_EQ_STR(db_text(name, "SELECT group_concat(text, '|') FROM (SELECT text FROM "
                                   "messages WHERE channel = 'general' ORDER BY seq)"),
                     "kept since version one|a tutorial line");
        CHECK_EQ_STR(db_text(name, "SELECT count(*) FROM messages_fts WHERE messages_fts "
                                   "MATCH 'kept'"),
                     "1");
        CHECK_EQ_STR(db_text(name, "SELECT count(*) FROM members WHERE channel = 'old-times'"),
                     v >= 2 ? "1" : "0");
        /* Names that wrote became accounts (version 4), a tutorial's "Client #7" a guest. */
        CHECK_EQ_STR(db_text(name, "SELECT group_concat(name, ',') FROM (SELECT name FROM users "
                                   "WHERE name IN ('ada', 'grace', 'Client #7') ORDER BY name)"),
                     v >= 4 ? "ada,grace" : "ada");
        CHECK_EQ_STR(db_text(name, "SELECT guest FROM messages WHERE user = 'Client #7'"), "1");
    }
}

/* A file of schema 5 reopens as it is: its accounts and version kept, no migration again
 * (a name that only wrote since is not made a user). */
TEST(test_schema_5_reopens)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "v5.db", false);
    if (!s)
        return;
    store_change_t c = {.kind = STORE_USER_CREATE,
                        .u = {1, "ann", "ann", "Ann", "owner", "$h", "active", 5, 6}};
    CHECK_EQ_INT(store_change(s, &c, on_write, &idx[1]), 0);
    c = (store_change_t){.kind = STORE_SESSION_PUT, .sess = {1, "h1", 1, 1, 2, 3, "ua", "::1"}};
    CHECK_EQ_INT(store_change(s, &c, on_write, &idx[2]), 0);
    append_range(s, "general", 1, 3); /* by user0..user2 */
    run_until(&loop, &rec->appended, 5);
    CHECK_EQ_INT(rec->status_errors, 0);
    close_store(&loop, s);
    db_run("v5.db", "UPDATE meta SET value = 7 WHERE key = 'accounts_version'");

    s = open_store(&loop, "v5.db", false);
    if (!s)
        return;
    users_rec_t r = {0};
    CHECK_EQ_STR(users_of(s, &r), "1/ann/ann/Ann/owner/$h/active/5/6;");
    CHECK_EQ_INT(version_of(s), 7);
    close_store(&loop, s);
    CHECK_EQ_STR(db_text("v5.db", "SELECT user_version || '/' || (SELECT count(*) FROM sessions) "
                                  "FROM pragma_user_version"),
                 "15/1");
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A file of schema 6 gains channels.archived (0 for every channel) and the trigger that
 * deletes everything of a deleted channel, whose delete then takes its events and search
 * entries and leaves the others'. */
TEST(test_migrates_schema_6)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "v6m.db", false);
    if (!s)
        return;
    store_change_t c = {.kind = STORE_CHANNEL_CREATE,
                        .ch = {"design", "public", "t", "ann", 1, 5, false}};
    CHECK_EQ_INT(store_change(s, &c, on_write, &idx[1]), 0);
    append_range(s, "design", 1, 2);
    append_range(s, "general", 1, 2);
    run_until(&loop, &rec->appended, 5);
    CHECK_EQ_INT(rec->status_errors, 0);
    close_store(&loop, s);
    db_run("v6m.db", "DROP TABLE hooks; ALTER TABLE messages DROP COLUMN app; "
                     "DROP INDEX messages_pin; ALTER TABLE messages DROP COLUMN original; "
                     "DROP TRIGGER channel_deleted_notify; DROP TABLE notify; "
                     "ALTER TABLE users DROP COLUMN title; ALTER TABLE users DROP COLUMN tz; "
                     "ALTER TABLE users DROP COLUMN avatar; ALTER TABLE users DROP COLUMN bot; "
                     "ALTER TABLE messages DROP COLUMN files; "
                     "DROP INDEX messages_author; DROP INDEX messages_key;"
                     "DROP TRIGGER channel_deleted; ALTER TABLE channels DROP COLUMN archived;"
                     "PRAGMA user_version = 6");

    rec_reset();
    s = open_store(&loop, "v6m.db", false);
    if (!s)
        return;
    CHECK_EQ_STR(db_text("v6m.db", "SELECT user_version || '/' || (SELECT group_concat(name || "
                                   "':' || archived) FROM channels) FROM pragma_user_version"),
                 "15/design:0");
    c = (store_change_t){.kind = STORE_CHANNEL_DELETE, .ch = {.name = "design"}};
    CHECK_EQ_INT(store_change(s, &c, on_write, &idx[1]), 0);
    run_until(&loop, &rec->appended, 1);
    CHECK_EQ_INT(rec->status_errors, 0);
    close_store(&loop, s);
    CHECK_EQ_STR(db_text("v6m.db", "SELECT (SELECT count(*) FROM channels) || '/' || (SELECT "
                                   "group_concat(DISTINCT channel) FROM messages) || '/' || "
                                   "(SELECT group_concat(DISTINCT channel) FROM messages_fts)"),
                 "0/general/general");
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A file of schema 7 gains messages_key, and a seq-0 append then finds its key's original
 * through it (its seq, nothing stored again), and the next one gets the channel's next. */
TEST(test_migrates_schema_7)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *s = open_store(&loop, "v7m.db", false);
    if (!s)
        return;
    store_msg_t m = {.channel = "general",
                     .seq = 1,
                     .user = "ann",
                     .user_id = 1,
                     .text = "keyed",
                     .ts = 1000,
                     .cid = "k1"};
    CHECK_EQ_INT(store_append(s, &m, on_append, &idx[1]), 0);
    append_range(s, "general", 2, 3);
    run_until(&loop, &rec->appended, 3);
    CHECK_EQ_INT(rec->status_errors, 0);
    close_store(&loop, s);
    db_run("v7m.db", "DROP TABLE hooks; ALTER TABLE messages DROP COLUMN app; "
                     "DROP INDEX messages_pin; ALTER TABLE messages DROP COLUMN original; "
                     "DROP TRIGGER channel_deleted_notify; DROP TABLE notify; "
                     "ALTER TABLE users DROP COLUMN title; ALTER TABLE users DROP COLUMN tz; "
                     "ALTER TABLE users DROP COLUMN avatar; ALTER TABLE users DROP COLUMN bot; "
                     "ALTER TABLE messages DROP COLUMN "
                     "files; DROP INDEX messages_author; "
                     "DROP INDEX messages_key; PRAGMA user_version = 7");

    rec_reset();
    s = open_store(&loop, "v7m.db", false);
    if (!s)
        return;
    CHECK_EQ_STR(db_text("v7m.db", "SELECT user_version || '/' || (SELECT sql FROM sqlite_master "
                                   "WHERE name = 'messages_key') FROM pragma_user_version"),
                 "15/CREATE INDEX messages_key ON messages(channel, user_id, cid) WHERE cid IS "
                 "NOT NULL");
    m.seq = 0;
    m.text = "retry";
    CHECK_EQ_INT(store_append(s, &m, on_append, &idx[1]), 0);
    m.cid = NULL;
    m.text = "fresh";
    CHECK_EQ_INT(store_append(s, &m, on_append, &idx[2]), 0);
    run_until(&loop, &rec->appended, 2);
    CHECK_EQ_INT(rec->status_errors, 0);
    CHECK(rec->aseq[1] == 1 && rec->adup[1]);
    CHECK(rec->aseq[2] == 4 && !rec->adup[2]);
    close_store(&loop, s);
    CHECK_EQ_STR(db_text("v7m.db", "SELECT count(*) || '/' || max(seq) || '/' || sum(text = "
                                   "'retry') || '/' || sum(text = 'fresh') FROM messages"),
                 "4/4/0/1");
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* Two stores on one file, as `parley user` and a running server: the command's writes
 * (bump_accounts) move the version the server polls, and the server then reads them; the
 * server's own writes do not move it. */
TEST(test_accounts_version_across_stores)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_reset();
    store_t *server = open_store(&loop, "shared.db", false);
    store_sqlite_opts_t opts = {.path = path_of("shared.db"), .bump_accounts = true};
    store_t *cli = NULL;
    CHECK_EQ_INT(store_sqlite_open(&loop, &opts, &cli), 0);
    if (!server || !cli)
        return;
    CHECK_EQ_INT(version_of(server), 0);
    store_change_t c = {.kind = STORE_USER_CREATE,
                        .u = {1, "root", "root", "", "owner", "$h", "active", 1, 1}};
    CHECK_EQ_INT(store_change(server, &c, on_write, &idx[1]), 0);
    run_until(&loop, &rec->appended, 1);
    CHECK_EQ_INT(version_of(server), 0);
    CHECK_EQ_INT(version_of(cli), 0);

    c.u = (store_user_t){2, "ops", "ops", "", "admin", "$h2", "active", 2, 2, "", "", "", false};
    CHECK_EQ_INT(store_change(cli, &c, on_write, &idx[2]), 0);
    c = (store_change_t){.kind = STORE_INVITE_PUT,
                         .inv = {1, "ir", "reset", 0, 1, "", 3, 4, 0, 1, false}};
    CHECK_EQ_INT(store_change(cli, &c, on_write, &idx[3]), 0);
    run_until(&loop, &rec->appended, 3);
    CHECK_EQ_INT(rec->status_errors, 0);
    uint64_t v = version_of(server);
    CHECK(v > 0);
    CHECK_EQ_INT(version_of(cli), v);
    users_rec_t r = {0};
    CHECK_EQ_STR(users_of(server, &r), "1/root/root//owner/$h/active/1/1;"
                                       "2/ops/ops//admin/$h2/active/2/2;");
    store_close(cli);
    close_store(&loop, server); /* runs the loop until both stores' handles are closed */
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* Whether the plan of sql on file name says want; prints the plan when not. */
static bool plan_says(const char *name, const char *sql, const char *want)
{
    const char *plan = db_plan(name, sql);
    bool ok = strstr(plan, want) != NULL;
    if (!ok)
        fprintf(stderr, "plan: %s\n  (wanted %s)\n  for %s\n", plan, want, sql);
    return ok;
}

/* The lookups by client key use their indexes, whatever the size of the table. Start-up's
 * read of keyed events scans the partial index from its newest end (no full scan, no sort of
 * the whole table); a seq-0 append finds its channel's next seq at the end of the primary key,
 * and its key's original in messages_key, in seq order (no sort). */
TEST(test_keyed_index)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_t *s = open_store(&loop, "plan.db", false);
    if (!s)
        return;
    close_store(&loop, s);
    CHECK(plan_says("plan.db", store_db_sql_load[STORE_DB_KEYED],
                    "SCAN messages USING INDEX messages_cid"));
    CHECK(plan_says("plan.db", store_sqlite_sql[ST_NEXT_SEQ],
                    "SEARCH messages USING PRIMARY KEY (channel=?)"));
    CHECK(plan_says("plan.db", store_sqlite_sql[ST_KEYED_SEQ],
                    "INDEX messages_key (channel=? AND user_id=? AND cid=?)"));
    CHECK(strstr(db_plan("plan.db", store_sqlite_sql[ST_KEYED_SEQ]), "TEMP B-TREE") == NULL);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

int main(void)
{
    alarm(120); /* a lost callback hangs the loop; fail instead */
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/parley-store-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    rec = calloc(1, sizeof(*rec));
    for (int i = 0; i < 20000; i++)
        idx[i] = i;

    RUN(test_append_order);
    RUN(test_query_sees_earlier_appends);
    RUN(test_persist_and_reopen);
    RUN(test_group_commit);
    RUN(test_wal_checkpointed_off_the_writer);
    RUN(test_close_commits_pending);
    RUN(test_close_from_callback);
    RUN(test_refuses_foreign_files);
    RUN(test_sync_full);
    RUN(test_channels_and_members);
    RUN(test_migrates_schema_1);
    RUN(test_migrates_schema_2);
    RUN(test_keyed_index);
    RUN(test_migrates_schema_3);
    RUN(test_migration_all_or_nothing);
    RUN(test_migrates_schema_4);
    RUN(test_schema_5_reopens);
    RUN(test_migrates_schema_5);
    RUN(test_migrates_schema_6);
    RUN(test_migrates_schema_7);
    RUN(test_migrates_every_version);
    RUN(test_accounts_version_across_stores);
    RUN(test_failed_commit_reported);

    free(rec);
    nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return TEST_MAIN_END();
}
