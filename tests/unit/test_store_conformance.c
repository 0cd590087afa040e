/* test_store_conformance - the store.h contract, checked the same way against every backend:
 * SQLite (through store_open, on temporary files, a real loop), store_mem (automatic mode),
 * and PostgreSQL when PARLEY_PG_URL names a database to test in (scripts/pg-test-server
 * makes one; ctest starts it by itself where PostgreSQL is installed). store_mem's manual
 * mode has its own test, test_store_mem.c. PARLEY_CONFORMANCE_BACKENDS (a list such as
 * "pg" or "sqlite,mem") runs only those.
 *
 * "Reopening" a store (accounts tests) closes and opens the SQLite file (or PostgreSQL
 * schema) again, with or without bump_accounts; store_mem's state lives only as long as the
 * store, so there it keeps the store and switches store_mem_bump_accounts.
 *
 * PostgreSQL: each test has a schema of its own, dropped and created again by `fresh`, which
 * the store is told of through the URL (options=-csearch_path=...). The test keeps a session
 * of its own beside the store's for that, and for the failure test, whose genuine failure
 * is the writer's connection killed (pg_terminate_backend) while the database makes every
 * new session read-only (ALTER DATABASE ... SET default_transaction_read_only): the batch in
 * flight fails, and so does every probe, each in a new session, until the setting is reset.
 *
 * Every test takes a fresh store from the backend under test (`be`). Operations record into
 * slots (their ctx), each slot noting its status and the completion's rank, so order and
 * per-op context are checked together. The failure test injects a genuine failure: for
 * SQLite, RLIMIT_FSIZE lowered to the WAL file's size (SIGXFSZ ignored), so SQLite's next
 * write gets EFBIG from the kernel; for store_mem, its fault switch. */
#include <inttypes.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ftw.h>
#include <uv.h>

#include "store/store_open.h"
#include "store/store_worker.h"
#include "pg_test.h"
#include "store_mem.h"
#include "test.h"

/* ---- backends ---- */

typedef struct {
    const char *name;
    store_t *(*open)(uv_loop_t *loop, const char *name);
    void (*brk)(store_t *s, bool broken); /* make writes genuinely fail, or work again */
    /* The same stored state, as if opened with store_open_opts_t.bump_accounts = bump. */
    store_t *(*reopen)(store_t *s, uv_loop_t *loop, const char *name, bool bump);
    /* Backends opened by URL: the URL of test `name`'s store (for open_url, reopen_url). */
    void (*url)(const char *name, char *url, size_t cap);
} backend_t;

static const backend_t *be;
static char tmpdir[64];
static char last_path[160];
static struct rlimit fsize_saved;

static store_t *open_url(uv_loop_t *loop, const char *name, bool bump)
{
    char url[512];
    be->url(name, url, sizeof(url));
    store_t *s = NULL;
    store_open_opts_t o = {.sync_full = false, .bump_accounts = bump};
    CHECK_EQ_INT(store_open(loop, url, &o, &s), 0);
    return s;
}

static store_t *reopen_url(store_t *s, uv_loop_t *loop, const char *name, bool bump)
{
    store_close(s);
    uv_run(loop, UV_RUN_DEFAULT);
    return open_url(loop, name, bump);
}

static void sqlite_url(const char *name, char *url, size_t cap)
{
    snprintf(last_path, sizeof(last_path), "%s/%s.db", tmpdir, name);
    snprintf(url, cap, "sqlite:%s", last_path);
}

static store_t *sqlite_open(uv_loop_t *loop, const char *name)
{
    return open_url(loop, name, false);
}

/* The WAL only grows (nothing here checkpoints it), so a file size limit at its current
 * size makes SQLite's next frame write fail with EFBIG: a real I/O error, seen by SQLite as
 * a failed write, with nothing in the backend knowing it is a test. */
static void sqlite_break(store_t *s, bool broken)
{
    (void)s;
    if (!broken) {
        CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &fsize_saved), 0);
        return;
    }
    char wal[200];
    struct stat st;
    snprintf(wal, sizeof(wal), "%s-wal", last_path);
    CHECK_EQ_INT(stat(wal, &st), 0);
    struct rlimit lim = {(rlim_t)st.st_size, fsize_saved.rlim_max};
    CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

static store_t *mem_open(uv_loop_t *loop, const char *name)
{
    (void)name;
    return store_mem_open(loop, STORE_MEM_AUTO);
}

static void mem_break(store_t *s, bool broken)
{
    store_mem_fail_writes(s, broken);
}

static store_t *mem_reopen(store_t *s, uv_loop_t *loop, const char *name, bool bump)
{
    (void)loop;
    (void)name;
    store_mem_bump_accounts(s, bump);
    return s;
}

static store_t *pg_open(uv_loop_t *loop, const char *name)
{
    CHECK(pg_test_fresh(name));
    return open_url(loop, name, false);
}

static void pg_break(store_t *s, bool broken)
{
    (void)s;
    if (!broken) {
        CHECK(pg_test_run("DO $$BEGIN EXECUTE format('ALTER DATABASE %I RESET "
                          "default_transaction_read_only', current_database()); END$$"));
        return;
    }
    CHECK(pg_test_run("DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET "
                      "default_transaction_read_only = on', current_database()); END$$"));
    /* Waits (up to 5 s) until the writer's backend is gone. */
    CHECK(pg_test_run("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE "
                      "datname = current_database() AND application_name = 'parley writer' AND "
                      "pid <> pg_backend_pid()"));
}

static const backend_t backends[] = {
    {"sqlite", sqlite_open, sqlite_break, reopen_url, sqlite_url},
    {"mem", mem_open, mem_break, mem_reopen, NULL},
    {"pg", pg_open, pg_break, reopen_url, pg_test_url},
};

/* Whether be runs: the list in PARLEY_CONFORMANCE_BACKENDS has it (or there is no list), and
 * PostgreSQL is there for "pg". */
static bool backend_wanted(const backend_t *b)
{
    const char *only = getenv("PARLEY_CONFORMANCE_BACKENDS");
    if (only && only[0]) {
        size_t n = strlen(b->name);
        bool listed = false;
        for (const char *p = only; *p; p += strcspn(p, ","), p += *p == ',')
            listed |= strncmp(p, b->name, n) == 0 && (p[n] == ',' || p[n] == '\0');
        if (!listed)
            return false;
    }
    if (strcmp(b->name, "pg") != 0)
        return true;
    bool ok = pg_test_init("backend pg");
    CHECK(ok || !getenv("PARLEY_PG_URL") || !getenv("PARLEY_PG_URL")[0]);
    return ok;
}

/* ---- slots: what each operation's callback saw ---- */

#define ROWS 64
typedef struct {
    uint64_t seq, user_id, thread, target, last_reply;
    int64_t ts, last_reply_ts;
    uint32_t replies;
    bool guest, deleted, edited;
    char channel[32], user[32], text[96], kind[16], cid[80], files[64], app[64];
} row_t;

typedef struct {
    int fired, rank, status;
    size_t n;
    bool more;
    uint64_t seq;   /* an append: the seq answered */
    bool duplicate; /* and whether it was a duplicate */
    row_t rows[ROWS];
} slot_t;

static int ranks;        /* completions so far, across slots */
static int nslot;        /* slots handed out so far */
static slot_t slots[64]; /* reset by each test */

static void on_write(void *ctx, int status)
{
    slot_t *sl = ctx;
    sl->fired++;
    sl->rank = ++ranks;
    sl->status = status;
}

static void on_append(void *ctx, int status, uint64_t seq, bool duplicate)
{
    slot_t *sl = ctx;
    sl->seq = seq;
    sl->duplicate = duplicate;
    on_write(ctx, status);
}

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "(null)");
}

static void on_rows(void *ctx, int status, const store_msg_t *m, size_t n, bool more)
{
    slot_t *sl = ctx;
    sl->fired++;
    sl->rank = ++ranks;
    sl->status = status;
    sl->n = n;
    sl->more = more;
    for (size_t i = 0; i < n && i < ROWS; i++) {
        row_t *r = &sl->rows[i];
        *r = (row_t){.seq = m[i].seq,
                     .user_id = m[i].user_id,
                     .thread = m[i].thread,
                     .target = m[i].target,
                     .last_reply = m[i].last_reply,
                     .ts = m[i].ts,
                     .last_reply_ts = m[i].last_reply_ts,
                     .replies = m[i].replies};
        copy(r->channel, sizeof(r->channel), m[i].channel);
        copy(r->user, sizeof(r->user), m[i].user);
        copy(r->text, sizeof(r->text), m[i].text);
        copy(r->kind, sizeof(r->kind), m[i].kind);
        copy(r->cid, sizeof(r->cid), m[i].cid);
        copy(r->files, sizeof(r->files), m[i].files);
        copy(r->app, sizeof(r->app), m[i].app);
        r->guest = m[i].guest;
        r->deleted = m[i].deleted;
        r->edited = m[i].edited;
    }
}

static void wait_for(uv_loop_t *loop, const slot_t *sl)
{
    while (!sl->fired)
        uv_run(loop, UV_RUN_ONCE);
}

static uv_loop_t loop;

static store_t *fresh(const char *name)
{
    char full[64];
    snprintf(full, sizeof(full), "%s-%s", be->name, name);
    memset(slots, 0, sizeof(slots));
    ranks = nslot = 0;
    return be->open(&loop, full);
}

/* The store fresh(name) opened, closed and opened again (see the top of the file). */
static store_t *reopen(store_t *s, const char *name, bool bump)
{
    char full[64];
    snprintf(full, sizeof(full), "%s-%s", be->name, name);
    return be->reopen(s, &loop, full, bump);
}

static void finish(store_t *s)
{
    store_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* The user ids of the names the tests write as (auth's ids; a name not here has none, like
 * a line-mode writer). Tests of two people sharing a name pass ids of their own. */
static uint64_t id_of(const char *name)
{
    static const char *const names[] = {"alice", "bob", "carol", "dave"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return i + 1;
    return 0;
}

/* Slots are handed out in submission order. */
static slot_t *next_slot(void)
{
    return &slots[nslot++ % 64];
}

static slot_t *append(store_t *s, const char *ch, uint64_t seq, const char *user, const char *text,
                      const char *kind, uint64_t thread, uint64_t target, const char *cid)
{
    slot_t *sl = next_slot();
    store_msg_t m = {.channel = ch,
                     .seq = seq,
                     .user = user,
                     .user_id = id_of(user),
                     .text = text,
                     .ts = (int64_t)seq * 1000,
                     .kind = kind,
                     .thread = thread,
                     .target = target,
                     .cid = cid};
    CHECK_EQ_INT(store_append(s, &m, on_append, sl), 0);
    return sl;
}

static slot_t *msg(store_t *s, const char *ch, uint64_t seq, const char *user, const char *text)
{
    return append(s, ch, seq, user, text, NULL, 0, 0, NULL);
}

static int settled;

static void on_settled(void *ctx, int status)
{
    (void)ctx;
    (void)status;
    settled++;
}

/* Waits until every write submitted so far has been called back (writes complete in
 * order, so once a probe behind them has): a read asked now sees them all (store.h). */
static void settle(store_t *s)
{
    int want = settled + 1;
    CHECK_EQ_INT(store_probe(s, on_settled, NULL), 0);
    while (settled < want)
        uv_run(&loop, UV_RUN_ONCE);
}

static slot_t *query(store_t *s, const char *ch, uint64_t after, uint64_t before, unsigned limit,
                     bool forward, uint64_t thread, bool replies)
{
    settle(s);
    slot_t *sl = next_slot();
    store_query_t q = {ch, after, before, limit, forward, thread, replies, NULL, NULL, 0, 0};
    CHECK_EQ_INT(store_query(s, &q, on_rows, sl), 0);
    wait_for(&loop, sl);
    CHECK_EQ_INT(sl->status, 0);
    return sl;
}

static bool seqs(const slot_t *sl, uint64_t first, size_t n)
{
    if (sl->n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (sl->rows[i].seq != first + i)
            return false;
    return true;
}

/* ---- order, ranges, threads ---- */

/* Writes complete in submission order, each ctx once; a read in the middle completes when it
 * does and sees a prefix (a snapshot); one asked after the writes' callbacks sees them all. */
TEST(test_order_and_ctx)
{
    store_t *s = fresh("order");
    for (uint64_t i = 1; i <= 20; i++)
        msg(s, i % 2 ? "a" : "b", (i + 1) / 2, "u", "t");
    slot_t *q = next_slot();
    store_query_t sq = {"a", 0, 0, 100, false, 0, false, NULL, NULL, 0, 0};
    CHECK_EQ_INT(store_query(s, &sq, on_rows, q), 0);
    for (uint64_t i = 11; i <= 20; i++)
        msg(s, "a", i, "u", "t");
    wait_for(&loop, &slots[30]);
    wait_for(&loop, q);
    int rank = 0;
    for (int i = 0; i < 31; i++) {
        CHECK_EQ_INT(slots[i].fired, 1);
        CHECK_EQ_INT(slots[i].status, 0);
        if (&slots[i] == q)
            continue;
        CHECK(slots[i].rank > rank); /* the writes among themselves: in submission order */
        rank = slots[i].rank;
    }
    CHECK(seqs(q, 1, q->n)); /* a prefix of channel a: a snapshot, never a hole */
    CHECK(seqs(query(s, "a", 0, 0, 100, false, 0, false), 1, 20));
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "a", &last), 0);
    CHECK_EQ_INT(last, 20);
    CHECK_EQ_INT(store_last_seq(s, "nowhere", &last), 0);
    CHECK_EQ_INT(last, 0);
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.appends, 30);
    CHECK(st.commits >= 1 && st.commits <= 30);
    CHECK_EQ_INT(st.queued, 0);
    CHECK(!st.failed);
    CHECK_EQ_INT(st.failures, 0);
    finish(s);
}

TEST(test_ranges)
{
    store_t *s = fresh("ranges");
    for (uint64_t i = 1; i <= 20; i++)
        msg(s, "a", i, i % 2 ? "odd" : "even", "text");
    wait_for(&loop, msg(s, "b", 1, "u", "t"));
    CHECK(seqs(query(s, "a", 0, 0, 3, false, 0, false), 18, 3)); /* newest */
    CHECK(slots[nslot - 1].more);
    CHECK(seqs(query(s, "a", 0, 0, 20, false, 0, false), 1, 20));
    CHECK(!slots[nslot - 1].more);
    CHECK(seqs(query(s, "a", 0, 5, 2, false, 0, false), 3, 2)); /* before */
    CHECK(slots[nslot - 1].more);
    CHECK(seqs(query(s, "a", 0, 3, 5, false, 0, false), 1, 2));
    CHECK(!slots[nslot - 1].more);
    CHECK(seqs(query(s, "a", 7, 0, 2, false, 0, false), 8, 2)); /* after */
    CHECK(slots[nslot - 1].more);
    CHECK(seqs(query(s, "a", 17, 0, 5, false, 0, false), 18, 3));
    CHECK(!slots[nslot - 1].more);
    CHECK(seqs(query(s, "a", 5, 9, 2, false, 0, false), 6, 2)); /* after wins over before */
    CHECK(seqs(query(s, "a", 0, 0, 2, true, 0, false), 1, 2));  /* forward from the start */
    CHECK(slots[nslot - 1].more);
    CHECK(seqs(query(s, "a", UINT64_MAX, 0, 5, false, 0, false), 1, 0));
    CHECK(seqs(query(s, "c", 0, 0, 10, false, 0, false), 1, 0));
    CHECK(seqs(query(s, "a", 0, 0, 0, false, 0, false), 1, 0)); /* limit 0: is there more? */
    CHECK(slots[nslot - 1].more);
    slot_t *r = query(s, "a", 0, 0, 2, false, 0, false);
    CHECK_EQ_STR(r->rows[0].channel, "a");
    CHECK_EQ_STR(r->rows[0].user, "odd");
    CHECK_EQ_STR(r->rows[0].text, "text");
    CHECK_EQ_STR(r->rows[0].kind, "msg");
    CHECK_EQ_STR(r->rows[0].cid, "");
    CHECK_EQ_INT(r->rows[0].ts, 19000);
    finish(s);
}

TEST(test_threads_and_events)
{
    store_t *s = fresh("threads");
    append(s, "g", 1, "a", "root", NULL, 0, 0, NULL);
    append(s, "g", 2, "b", "reply one", "msg", 1, 0, NULL);
    append(s, "g", 3, "a", "new root", "edit", 0, 1, NULL);
    append(s, "g", 4, "b", "+1", "react", 0, 1, NULL);
    append(s, "g", 5, "c", "reply two", "msg", 1, 0, NULL);
    append(s, "g", 6, "b", "", "delete", 0, 2, NULL);
    wait_for(&loop, append(s, "g", 7, "c", "other", "msg", 0, 0, NULL));
    slot_t *h = query(s, "g", 0, 0, 10, true, 0, true);
    CHECK_EQ_INT(h->n, 7);
    CHECK_EQ_INT(h->rows[0].replies, 2); /* a deleted reply still counts */
    CHECK_EQ_INT(h->rows[0].last_reply, 5);
    CHECK_EQ_INT(h->rows[0].last_reply_ts, 5000);
    for (int i = 1; i < 7; i++)
        CHECK_EQ_INT(h->rows[i].replies, 0);
    CHECK_EQ_STR(h->rows[1].kind, "msg");
    CHECK_EQ_INT(h->rows[1].thread, 1);
    CHECK_EQ_STR(h->rows[2].kind, "edit");
    CHECK_EQ_INT(h->rows[2].target, 1);
    CHECK_EQ_STR(h->rows[3].kind, "react");
    CHECK_EQ_STR(h->rows[3].text, "+1");
    CHECK_EQ_STR(h->rows[5].kind, "delete");
    CHECK_EQ_INT(h->rows[5].target, 2);
    slot_t *t = query(s, "g", 0, 0, 10, false, 1, false); /* the parent and its replies */
    CHECK_EQ_INT(t->n, 3);
    CHECK_EQ_INT(t->rows[0].seq, 1);
    CHECK_EQ_INT(t->rows[1].seq, 2);
    CHECK_EQ_INT(t->rows[2].seq, 5);
    t = query(s, "g", 0, 0, 2, false, 1, false);
    CHECK(seqs(t, 1, 2) && t->more);
    finish(s);
}

/* ---- search ---- */

static slot_t *search(store_t *s, const char *const *terms, size_t n, const char *user,
                      const char *ch, unsigned limit)
{
    store_term_t t[8];
    for (size_t i = 0; i < n; i++)
        t[i] = (store_term_t){terms[i], strchr(terms[i], ' ') != NULL};
    settle(s);
    slot_t *sl = next_slot();
    store_search_t q = {.terms = t,
                        .nterms = n,
                        .user = user,
                        .channel = ch,
                        .limit = limit,
                        .channels = NULL,
                        .nchannels = 0,
                        .owner = NULL};
    CHECK_EQ_INT(store_search(s, &q, on_rows, sl), 0);
    wait_for(&loop, sl);
    CHECK_EQ_INT(sl->status, 0);
    return sl;
}

/* One term, only in the channels given. */
static slot_t *search_in(store_t *s, const char *term, const char *const *chans, size_t n,
                         unsigned limit)
{
    store_term_t t = {term, false};
    settle(s);
    slot_t *sl = next_slot();
    store_search_t q = {.terms = &t,
                        .nterms = 1,
                        .user = NULL,
                        .channel = NULL,
                        .limit = limit,
                        .channels = chans,
                        .nchannels = n,
                        .owner = NULL};
    CHECK_EQ_INT(store_search(s, &q, on_rows, sl), 0);
    wait_for(&loop, sl);
    CHECK_EQ_INT(sl->status, 0);
    return sl;
}

#define SEARCH(s, user, ch, limit, ...)                                                            \
    search(s, (const char *const[]){__VA_ARGS__},                                                  \
           sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), user, ch, limit)

/* The seqs of a search's rows, newest first, as "3,1" for short checks. */
static const char *found(const slot_t *sl)
{
    static char out[256];
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sl->n && n < sizeof(out) - 24; i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s%" PRIu64, i ? "," : "",
                              sl->rows[i].channel, sl->rows[i].seq);
    return out;
}

TEST(test_search)
{
    store_t *s = fresh("search");
    msg(s, "g", 1, "alice", "the quick brown fox");
    msg(s, "g", 2, "bob", "Quick lunch at noon");
    msg(s, "d", 10, "alice", "quick design review"); /* the newest */
    msg(s, "g", 3, "carol", "use NEAR(x) or a AND b OR c, not c*");
    msg(s, "g", 4, "carol", "he said \"hi\" key:value (parens) ^z -y");
    append(s, "g", 5, "alice", "edited away", NULL, 0, 0, "c5");
    append(s, "g", 6, "alice", "fresh words", "edit", 0, 5, NULL);
    wait_for(&loop, msg(s, "g", 7, "dave", "text : quoted"));
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "quick")), "d10,g2,g1"); /* newest first */
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "brown fox")), "g1");    /* a phrase */
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "fox brown")), "");      /* in its order */
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "quick", "fox")), "g1"); /* every term */
    CHECK_EQ_STR(found(SEARCH(s, "bob", NULL, 10, "quick")), "g2");
    CHECK_EQ_STR(found(SEARCH(s, NULL, "d", 10, "quick")), "d10");
    CHECK_EQ_STR(found(SEARCH(s, "alice", "g", 10, "quick")), "g1");
    slot_t *l = SEARCH(s, NULL, NULL, 2, "quick");
    CHECK(l->n == 2 && l->more);
    CHECK_EQ_STR(l->rows[0].text, "quick design review");
    CHECK_EQ_STR(l->rows[0].user, "alice");
    CHECK_EQ_INT(l->rows[0].user_id, 1);
    CHECK_EQ_INT(l->rows[0].ts, 10000);
    /* A channel list filters inside the query: the page and `more` hold only its matches. */
    slot_t *in = search_in(s, "quick", (const char *const[]){"g", "nowhere"}, 2, 1);
    CHECK_EQ_STR(found(in), "g2");
    CHECK(in->more);
    in = search_in(s, "quick", (const char *const[]){"d"}, 1, 1);
    CHECK_EQ_STR(found(in), "d10");
    CHECK(!in->more);
    CHECK_EQ_STR(found(search_in(s, "quick", (const char *const[]){"x\"y"}, 1, 5)), "");
    /* Syntax of any query language is plain text. */
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "NEAR(x)")), "g3");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "AND", "OR")), "g3");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "c*")), "g3");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "a\"b OR c* NEAR(x) -y ^z")), "");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "\"hi\"")), "g4");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "key:value")), "g4");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "(parens)", "^z", "-y")), "g4");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "text :")), "g7");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "k67x1")), ""); /* never an index key */
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "***", "quick")), "d10,g2,g1");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "***", "\"")), ""); /* no token at all */
    /* An edit replaces what a message is found by, and keeps its time and cid. */
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "edited")), "");
    slot_t *e = SEARCH(s, NULL, NULL, 10, "fresh");
    CHECK_EQ_STR(found(e), "g5");
    CHECK_EQ_STR(e->rows[0].text, "fresh words");
    CHECK_EQ_INT(e->rows[0].ts, 5000);
    CHECK_EQ_STR(e->rows[0].cid, "c5");
    wait_for(&loop, append(s, "g", 8, "alice", "", "delete", 0, 5, NULL));
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "fresh")), "");
    slot_t *bad = next_slot();
    store_search_t none = {.terms = NULL,
                           .nterms = 0,
                           .user = NULL,
                           .channel = NULL,
                           .limit = 10,
                           .channels = NULL,
                           .nchannels = 0,
                           .owner = NULL};
    CHECK_EQ_INT(store_search(s, &none, on_rows, bad), STORE_EINVAL);
    finish(s);
    CHECK_EQ_INT(bad->fired, 0);
}

/* ---- mentions, changes, load ---- */

static void on_mentions(void *ctx, int status, const store_msg_t *m, size_t n, bool more)
{
    on_rows(ctx, status, m, n, more);
}

static const char *mentioned(store_t *s, uint64_t user_id)
{
    settle(s);
    slot_t *sl = next_slot();
    CHECK_EQ_INT(store_mention_counts(s, user_id, NULL, on_mentions, sl), 0);
    wait_for(&loop, sl);
    CHECK_EQ_INT(sl->status, 0);
    return found(sl);
}

/* A change of channel ch: PUT and CREATE write its whole row (made by "maker", user 50, at
 * 5); MEMBER_* and READ are user_id's. */
/* Edits and deletes as readers see them later: a message with its latest text, a deleted
 * one (and every edit of it) with none, in every read: range, thread and scroll-back. */
TEST(test_edits_and_deletes_applied)
{
    store_t *s = fresh("applied");
    msg(s, "g", 1, "a", "first words");
    msg(s, "g", 2, "b", "secret plans");
    append(s, "g", 3, "a", "second words", "edit", 0, 1, NULL);
    append(s, "g", 4, "b", "more secret plans", "edit", 0, 2, NULL);
    append(s, "g", 5, "a", "final words", "edit", 0, 1, NULL);
    append(s, "g", 6, "b", "", "delete", 0, 2, NULL);
    append(s, "g", 7, "c", "a reply", "msg", 2, 0, NULL);
    wait_for(&loop, append(s, "g", 8, "a", "too late", "edit", 0, 2, NULL));
    slot_t *h = query(s, "g", 0, 0, 10, true, 0, true);
    CHECK_EQ_INT(h->n, 8);
    CHECK_EQ_STR(h->rows[0].text, "final words");
    CHECK(h->rows[0].edited && !h->rows[0].deleted);
    CHECK_EQ_STR(h->rows[1].text, "");
    CHECK(h->rows[1].deleted);
    CHECK_EQ_STR(h->rows[2].text, "second words"); /* an edit keeps its own text */
    CHECK_EQ_STR(h->rows[3].text, "");             /* but not when its target is gone */
    CHECK_EQ_STR(h->rows[7].text, "");
    CHECK(!h->rows[2].edited && !h->rows[2].deleted);
    slot_t *t = query(s, "g", 0, 0, 10, false, 2, false); /* the thread of the deleted one */
    CHECK_EQ_INT(t->n, 2);
    CHECK_EQ_STR(t->rows[0].text, "");
    CHECK(t->rows[0].deleted);
    slot_t *b = query(s, "g", 0, 3, 10, false, 0, false); /* before 3 */
    CHECK_EQ_INT(b->n, 2);
    CHECK_EQ_STR(b->rows[1].text, "");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "secret")), "");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "final")), "g1");
    finish(s);
}

static slot_t *change(store_t *s, store_change_kind_t kind, const char *ch, uint64_t user_id,
                      uint64_t seq)
{
    slot_t *sl = next_slot();
    store_change_t c = {.kind = kind,
                        .ch = {.name = ch,
                               .kind = "public",
                               .topic = "topic",
                               .created_by = "maker",
                               .creator_id = 50,
                               .ts = 5},
                        .user_id = user_id,
                        .ts = 7,
                        .seq = seq};
    CHECK_EQ_INT(store_change(s, &c, on_write, sl), 0);
    return sl;
}

/* A msg by (user, user_id) mentioning the n user ids of ids. */
static slot_t *mention(store_t *s, const char *ch, uint64_t seq, const char *user, uint64_t user_id,
                       const uint64_t *ids, size_t n)
{
    slot_t *sl = next_slot();
    store_msg_t m = {.channel = ch,
                     .seq = seq,
                     .user = user,
                     .user_id = user_id,
                     .text = "@someone",
                     .ts = (int64_t)seq * 1000,
                     .mentions = ids,
                     .nmentions = n};
    CHECK_EQ_INT(store_append(s, &m, on_append, sl), 0);
    return sl;
}

#define IDS(...)                                                                                   \
    (const uint64_t[]){__VA_ARGS__}, sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t)

TEST(test_mentions)
{
    store_t *s = fresh("mentions");
    const uint64_t bob = 2, carol = 3;
    mention(s, "g", 1, "alice", 1, IDS(bob));
    mention(s, "g", 2, "alice", 1, IDS(STORE_MENTION_ALL, bob)); /* @here @bob */
    mention(s, "d", 1, "alice", 1, IDS(STORE_MENTION_ALL));      /* @channel */
    /* The ids are the store's from submission on, like strings. */
    uint64_t ids[2] = {carol, 0};
    slot_t *last = mention(s, "g", 3, "alice", 1, ids, 1);
    ids[0] = bob;
    wait_for(&loop, last);
    CHECK_EQ_STR(mentioned(s, bob), "d1,g1,g2");
    CHECK_EQ_STR(mentioned(s, carol), "d1,g2,g3");
    change(s, STORE_READ, "g", bob, 1);
    append(s, "g", 4, "alice", "", "delete", 0, 2, NULL);
    CHECK_EQ_STR(mentioned(s, bob), "d1"); /* read up to 1, and 2 deleted */
    CHECK_EQ_STR(mentioned(s, 99), "d1");
    CHECK_EQ_STR(mentioned(s, carol), "d1,g3"); /* bob's marker is bob's */
    finish(s);
}

static char load_log[4096];

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    size_t n = strlen(load_log);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(load_log + n, sizeof(load_log) - n, fmt, ap);
    va_end(ap);
}

static void ld_channel(void *ctx, const store_channel_t *c)
{
    (void)ctx;
    logf_("c:%s/%s/%s/%s/%" PRIu64 "/%lld;", c->name, c->kind, c->topic, c->created_by,
          c->creator_id, (long long)c->ts);
}

static void ld_member(void *ctx, const char *ch, uint64_t user_id)
{
    (void)ctx;
    logf_("m:%s/%" PRIu64 ";", ch, user_id);
}

static void ld_read(void *ctx, const char *ch, uint64_t user_id, uint64_t seq)
{
    (void)ctx;
    logf_("r:%s/%" PRIu64 "/%" PRIu64 ";", ch, user_id, seq);
}

static void ld_reaction(void *ctx, const char *ch, uint64_t target, uint64_t user_id,
                        const char *emoji, bool on)
{
    (void)ctx;
    logf_("x:%s/%" PRIu64 "/%" PRIu64 "/%s/%d;", ch, target, user_id, emoji, on);
}

static void ld_mentioned(void *ctx, const char *ch, uint64_t user_id, uint64_t seq)
{
    (void)ctx;
    logf_("@:%s/%" PRIu64 "/%" PRIu64 ";", ch, user_id, seq);
}

static void ld_keyed(void *ctx, const char *ch, uint64_t seq, uint64_t user_id, const char *cid,
                     int64_t ts)
{
    (void)ctx;
    logf_("k:%s/%" PRIu64 "/%" PRIu64 "/%s/%lld;", ch, seq, user_id, cid, (long long)ts);
}

static void ld_line(void *ctx, const char *ch, uint64_t seq)
{
    (void)ctx;
    logf_("l:%s/%" PRIu64 ";", ch, seq);
}

static void ld_notify(void *ctx, const char *ch, uint64_t user_id, const char *level)
{
    (void)ctx;
    logf_("n:%s/%" PRIu64 "/%s;", ch, user_id, level);
}

static const char *load(store_t *s, const store_load_t *cbs)
{
    load_log[0] = '\0';
    CHECK_EQ_INT(store_load(s, cbs, NULL), 0);
    return load_log;
}

static const char *load_keyed(store_t *s)
{
    load_log[0] = '\0';
    CHECK_EQ_INT(store_load_keyed(s, ld_keyed, NULL), 0);
    return load_log;
}

/* Channel lines (joined, left, topic) are rows like any event: read back in order, loaded
 * by store_load's line, never searched. */
TEST(test_channel_lines)
{
    store_t *s = fresh("lines");
    msg(s, "d", 1, "alice", "hello design");
    append(s, "d", 2, "bob", "bob", "joined", 0, 7, NULL);
    append(s, "d", 3, "bob", "design words here", "topic", 0, 0, NULL);
    append(s, "e", 1, "alice", "bob", "left", 0, 7, NULL);
    wait_for(&loop, append(s, "d", 4, "alice", "bob", "left", 0, 7, NULL));
    slot_t *h = query(s, "d", 0, 0, 10, true, 0, false);
    CHECK(seqs(h, 1, 4));
    CHECK_EQ_STR(h->rows[1].kind, "joined");
    CHECK_EQ_STR(h->rows[1].text, "bob");
    CHECK_EQ_INT(h->rows[1].target, 7);
    CHECK_EQ_STR(h->rows[2].kind, "topic");
    CHECK_EQ_STR(h->rows[2].text, "design words here");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "design")), "d1");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "bob")), "");
    store_load_t lines = {.line = ld_line};
    CHECK_EQ_STR(load(s, &lines), "l:d/2;l:d/3;l:d/4;l:e/1;");
    finish(s);
}

TEST(test_changes_and_load)
{
    store_t *s = fresh("changes");
    const uint64_t alice = 1, bob = 2;
    slot_t *put = change(s, STORE_CHANNEL_PUT, "design", 0, 0);
    slot_t *create = change(s, STORE_CHANNEL_CREATE, "design", 0, 0);
    slot_t *fresh_create = change(s, STORE_CHANNEL_CREATE, "ops", 0, 0);
    change(s, STORE_MEMBER_ADD, "design", alice, 0);
    change(s, STORE_MEMBER_ADD, "design", bob, 0);
    change(s, STORE_MEMBER_ADD, "design", bob, 0); /* again: a no-op */
    change(s, STORE_MEMBER_REMOVE, "design", alice, 0);
    change(s, STORE_MEMBER_REMOVE, "ops", 26, 0); /* not a member: a no-op */
    change(s, STORE_READ, "design", bob, 5);
    change(s, STORE_READ, "design", bob, 3); /* markers only advance */
    store_change_t upd = {.kind = STORE_CHANNEL_PUT,
                          .ch = {.name = "design",
                                 .kind = "private",
                                 .topic = "new",
                                 .created_by = "mallory",
                                 .creator_id = 66,
                                 .ts = 99}};
    CHECK_EQ_INT(store_change(s, &upd, NULL, NULL), 0); /* no callback wanted */
    append(s, "design", 1, "bob", "hi", NULL, 0, 0, NULL);
    append(s, "design", 2, "bob", "+1", "react", 0, 1, NULL);
    append(s, "design", 3, "bob", "+1", "unreact", 0, 1, NULL);
    slot_t *last = mention(s, "ops", 1, "a", 0, IDS(bob, STORE_MENTION_ALL));
    wait_for(&loop, last);
    CHECK_EQ_INT(put->status, 0);
    CHECK_EQ_INT(create->status, STORE_ECONFLICT);
    CHECK_EQ_INT(fresh_create->status, 0);
    for (int i = 0; i < 14; i++) {
        CHECK_EQ_INT(slots[i].rank, i + 1); /* changes and messages complete in order */
        CHECK(i == 1 || slots[i].status == 0);
    }
    /* An update keeps who created the channel, and when; ids load in their order. A CREATE
     * that made its channel made its creator (50) a member; the one that found the name
     * taken did not. */
    store_load_t all = {ld_channel,   ld_member, ld_read, ld_reaction,
                        ld_mentioned, NULL,      NULL,    NULL};
    CHECK_EQ_STR(load(s, &all), "c:design/private/new/maker/50/5;c:ops/public/topic/maker/50/5;"
                                "m:design/2;m:ops/50;r:design/2/5;x:design/1/2/+1/1;"
                                "x:design/1/2/+1/0;@:ops/0/1;@:ops/2/1;");
    store_load_t some = {.member = ld_member, NULL}; /* NULL callbacks: not wanted */
    CHECK_EQ_STR(load(s, &some), "m:design/2;m:ops/50;");
    finish(s);
}

static void ld_pin(void *ctx, const char *ch, uint64_t seq, uint64_t target, uint64_t user_id,
                   int64_t ts, bool on)
{
    (void)ctx;
    logf_("p:%s/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%lld/%d;", ch, seq, target, user_id,
          (long long)ts, on);
}

static slot_t *listed(store_t *s, const char *ch, const uint64_t *seqs, size_t nseqs,
                      uint64_t edits, unsigned limit)
{
    settle(s);
    slot_t *sl = next_slot();
    store_query_t q = {.channel = ch, .limit = limit, .seqs = seqs, .nseqs = nseqs, .edits = edits};
    CHECK_EQ_INT(store_query(s, &q, on_rows, sl), 0);
    wait_for(&loop, sl);
    CHECK_EQ_INT(sl->status, 0);
    return sl;
}

/* Pins: the msgs of given seqs (events and other channels' rows skipped), oldest first, as
 * they stand; the pin events of live msgs at load. Edit histories: a msg's first text, then
 * its edits, oldest first; blanked by a delete. */
TEST(test_pins_and_edit_history)
{
    store_t *s = fresh("pins");
    msg(s, "g", 1, "alice", "first words");
    msg(s, "g", 2, "bob", "second");
    append(s, "g", 3, "alice", "better words", "edit", 0, 1, NULL);
    append(s, "g", 4, "alice", "", "pin", 0, 1, NULL);
    append(s, "g", 5, "bob", "", "pin", 0, 2, NULL);
    append(s, "g", 6, "alice", "best words", "edit", 0, 1, NULL);
    append(s, "g", 7, "bob", "", "unpin", 0, 2, NULL);
    append(s, "g", 8, "bob", "", "pin", 0, 2, NULL);
    msg(s, "h", 1, "carol", "elsewhere");
    msg(s, "g", 9, "carol", "doomed");
    append(s, "g", 10, "carol", "doomed, edited", "edit", 0, 9, NULL);
    append(s, "g", 11, "carol", "", "pin", 0, 9, NULL);
    wait_for(&loop, append(s, "g", 12, "carol", "", "delete", 0, 9, NULL));
    const uint64_t want[] = {9, 2, 4, 1, 77};
    slot_t *p = listed(s, "g", want, 5, 0, 10);
    CHECK_EQ_INT(p->n, 3);
    CHECK_EQ_INT(p->rows[0].seq, 1);
    CHECK_EQ_STR(p->rows[0].text, "best words");
    CHECK(p->rows[0].edited);
    CHECK_EQ_INT(p->rows[1].seq, 2);
    CHECK_EQ_INT(p->rows[2].seq, 9);
    CHECK(p->rows[2].deleted);
    CHECK_EQ_STR(p->rows[2].text, "");
    p = listed(s, "g", want, 5, 0, 2); /* the limit */
    CHECK(p->n == 2 && p->more);
    slot_t *h = listed(s, "g", NULL, 0, 1, 10);
    CHECK_EQ_INT(h->n, 3);
    CHECK_EQ_STR(h->rows[0].text, "first words");
    CHECK_EQ_STR(h->rows[0].kind, "msg");
    CHECK_EQ_STR(h->rows[1].text, "better words");
    CHECK_EQ_STR(h->rows[2].text, "best words");
    CHECK(h->rows[1].seq == 3 && h->rows[2].seq == 6 && h->rows[2].target == 1 && !h->more);
    h = listed(s, "g", NULL, 0, 2, 10); /* never edited: its text */
    CHECK(h->n == 1 && strcmp(h->rows[0].text, "second") == 0);
    h = listed(s, "g", NULL, 0, 9, 10); /* deleted: nothing of its texts */
    CHECK(h->n == 2 && h->rows[0].deleted);
    CHECK(strcmp(h->rows[0].text, "") == 0 && strcmp(h->rows[1].text, "") == 0);
    CHECK_EQ_INT(listed(s, "g", NULL, 0, 4, 10)->n, 0); /* an event is no msg */
    CHECK_EQ_INT(listed(s, "g", NULL, 0, 1, 2)->more, true);
    store_load_t pins = {.pin = ld_pin};
    CHECK_EQ_STR(load(s, &pins),
                 "p:g/4/1/1/4000/1;p:g/5/2/2/5000/1;p:g/7/2/2/7000/0;p:g/8/2/2/8000/1;");
    uint64_t many[STORE_SEQS_MAX + 1] = {0};
    store_query_t q = {.channel = "g", .limit = 1, .seqs = many, .nseqs = STORE_SEQS_MAX + 1};
    CHECK_EQ_INT(store_query(s, &q, on_rows, next_slot()), STORE_EINVAL);
    finish(s);
}

static void ld_archived(void *ctx, const store_channel_t *c)
{
    (void)ctx;
    logf_("c:%s/%s/%d;", c->name, c->topic, c->archived);
}

/* Schema v6: a channel's archived flag is kept and loaded; CHANNEL_DELETE takes the channel
 * and everything of it (memberships, read markers, events, search entries, mentions) and
 * nothing of another, even one whose name starts with its name; the name can be created
 * again, its seqs from 1. Deleting what is not there is a no-op. */
TEST(test_channel_archive_and_delete)
{
    store_t *s = fresh("delete");
    const uint64_t alice = 1, bob = 2;
    const char *names[] = {"design", "designer", "ops"};
    for (int i = 0; i < 3; i++) {
        change(s, STORE_CHANNEL_CREATE, names[i], 0, 0);
        change(s, STORE_MEMBER_ADD, names[i], alice, 0);
        msg(s, names[i], 1, "alice", "hello world");
        mention(s, names[i], 2, "alice", alice, IDS(bob));
        change(s, STORE_READ, names[i], alice, 1);
    }
    store_change_t arch = {.kind = STORE_CHANNEL_PUT,
                           .ch = {.name = "designer",
                                  .kind = "public",
                                  .topic = "old",
                                  .created_by = "maker",
                                  .creator_id = 50,
                                  .archived = true}};
    CHECK_EQ_INT(store_change(s, &arch, NULL, NULL), 0);
    slot_t *del = change(s, STORE_CHANNEL_DELETE, "design", 0, 0);
    slot_t *again = change(s, STORE_CHANNEL_DELETE, "design", 0, 0);
    slot_t *none = change(s, STORE_CHANNEL_DELETE, "nowhere", 0, 0);
    wait_for(&loop, none);
    CHECK_EQ_INT(del->status, 0);
    CHECK_EQ_INT(again->status, 0);
    CHECK_EQ_INT(none->status, 0);
    store_load_t all = {ld_archived, ld_member, ld_read, NULL, ld_mentioned, NULL, NULL, NULL};
    CHECK_EQ_STR(load(s, &all), "c:designer/old/1;c:ops/topic/0;m:designer/1;m:designer/50;"
                                "m:ops/1;m:ops/50;r:designer/1/1;r:ops/1/1;@:designer/2/2;"
                                "@:ops/2/2;");
    CHECK_EQ_INT(query(s, "design", 0, 0, 10, false, 0, false)->n, 0);
    CHECK_EQ_INT(query(s, "designer", 0, 0, 10, false, 0, false)->n, 2);
    const char *hits = found(SEARCH(s, NULL, NULL, 10, "hello")); /* one time: either order */
    CHECK(strcmp(hits, "ops1,designer1") == 0 || strcmp(hits, "designer1,ops1") == 0);
    CHECK_EQ_STR(mentioned(s, bob), "designer2,ops2");
    uint64_t last = 99;
    CHECK_EQ_INT(store_last_seq(s, "design", &last), 0);
    CHECK_EQ_INT(last, 0);
    /* the name is free: created again, its seqs from 1, nothing of the old one in it */
    slot_t *re = change(s, STORE_CHANNEL_CREATE, "design", 0, 0);
    slot_t *first = msg(s, "design", 1, "bob", "a new start");
    wait_for(&loop, first);
    CHECK_EQ_INT(re->status, 0);
    CHECK_EQ_INT(first->status, 0);
    slot_t *q = query(s, "design", 0, 0, 10, false, 0, false);
    CHECK(q->n == 1 && strcmp(q->rows[0].text, "a new start") == 0);
    store_load_t members = {.member = ld_member, NULL};
    CHECK_EQ_STR(load(s, &members), "m:design/50;m:designer/1;m:designer/50;m:ops/1;m:ops/50;");
    /* archived survives a reopen */
    s = reopen(s, "delete", false);
    store_load_t chans = {.channel = ld_archived, NULL};
    CHECK_EQ_STR(load(s, &chans), "c:design/topic/0;c:designer/old/1;c:ops/topic/0;");
    finish(s);
}

static slot_t *notify(store_t *s, const char *ch, uint64_t user_id, const char *level)
{
    slot_t *sl = next_slot();
    store_change_t c = {
        .kind = STORE_NOTIFY_SET, .ch = {.name = ch}, .user_id = user_id, .notify = level};
    CHECK_EQ_INT(store_change(s, &c, on_write, sl), 0);
    return sl;
}

/* Schema v11 / pg v4: a level other than "all" is a row (replaced by the next), "all" removes
 * it, levels load by channel then user, survive a reopen, go with a deleted channel and not
 * with a membership; a channel never created (#general) keeps levels too. A level that is
 * none of the three, or no user, is refused at submission. */
TEST(test_notify_levels)
{
    store_t *s = fresh("notify");
    const uint64_t alice = 1, bob = 2;
    change(s, STORE_CHANNEL_CREATE, "design", 0, 0);
    change(s, STORE_CHANNEL_CREATE, "ops", 0, 0);
    change(s, STORE_MEMBER_ADD, "ops", bob, 0);
    notify(s, "design", bob, "muted");
    notify(s, "design", alice, "mentions");
    notify(s, "design", alice, "muted"); /* replaced */
    notify(s, "ops", bob, "mentions");
    notify(s, "ops", alice, "mentions");
    notify(s, "ops", alice, "all");          /* back to the default: no row */
    notify(s, "nowhere", alice, "all");      /* no row to remove: a no-op */
    notify(s, "general", alice, "mentions"); /* a channel without a row of its own */
    slot_t *last = change(s, STORE_MEMBER_REMOVE, "ops", bob, 0); /* keeps bob's level */
    wait_for(&loop, last);
    for (int i = 0; i < nslot; i++)
        CHECK_EQ_INT(slots[i].status, 0);
    store_load_t levels = {.notify = ld_notify};
    CHECK_EQ_STR(load(s, &levels),
                 "n:design/1/muted;n:design/2/muted;n:general/1/mentions;n:ops/2/mentions;");
    store_load_t others = {.member = ld_member}; /* not wanted: not reported */
    CHECK_EQ_STR(load(s, &others), "m:design/50;m:ops/50;");
    s = reopen(s, "notify", false);
    CHECK_EQ_STR(load(s, &levels),
                 "n:design/1/muted;n:design/2/muted;n:general/1/mentions;n:ops/2/mentions;");
    wait_for(&loop, change(s, STORE_CHANNEL_DELETE, "design", 0, 0));
    CHECK_EQ_STR(load(s, &levels), "n:general/1/mentions;n:ops/2/mentions;");
    slot_t *sl = next_slot();
    store_change_t bad[] = {
        {.kind = STORE_NOTIFY_SET, .ch = {.name = "g"}, .user_id = 1, .notify = "loud"},
        {.kind = STORE_NOTIFY_SET, .ch = {.name = "g"}, .user_id = 1, .notify = NULL},
        {.kind = STORE_NOTIFY_SET, .ch = {.name = "g"}, .user_id = 0, .notify = "muted"},
        {.kind = STORE_NOTIFY_SET, .ch = {.name = NULL}, .user_id = 1, .notify = "muted"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(store_change(s, &bad[i], on_write, sl), STORE_EINVAL);
    finish(s);
    CHECK_EQ_INT(sl->fired, 0);
}

/* Every channel's highest seq as "design1,ops3" (by name), after settling. */
static const char *positions(store_t *s, bool *more)
{
    settle(s);
    slot_t *sl = next_slot();
    CHECK_EQ_INT(store_positions(s, NULL, on_rows, sl), 0);
    wait_for(&loop, sl);
    CHECK_EQ_INT(sl->status, 0);
    *more = sl->more;
    return found(sl);
}

/* store_positions: one row per channel holding an event, its highest seq whatever the
 * event's kind and however the seq came (given or assigned), by name in byte order; a
 * deleted channel has none, and one made again under its name has its new seqs. */
TEST(test_positions)
{
    store_t *s = fresh("positions");
    bool more = true;
    CHECK_EQ_STR(positions(s, &more), ""); /* an empty store */
    CHECK(!more);
    change(s, STORE_CHANNEL_CREATE, "design", 0, 0);
    change(s, STORE_CHANNEL_CREATE, "designer", 0, 0);
    change(s, STORE_CHANNEL_CREATE, "empty", 0, 0); /* no event: no row */
    for (uint64_t i = 1; i <= 3; i++)
        msg(s, "g", i, "alice", "hello");
    msg(s, "design", 1, "alice", "one");
    msg(s, "designer", 1, "bob", "one");
    msg(s, "designer", 2, "bob", "two");
    msg(s, "Ops", 1, "bob", "upper case sorts first");
    msg(s, "ops", 1, "bob", "one");
    append(s, "ops", 2, "bob", "two!", "edit", 0, 1, NULL);
    append(s, "ops", 0, "carol", "+1", "react", 0, 1, NULL); /* assigned: 3 */
    CHECK_EQ_STR(positions(s, &more), "Ops1,design1,designer2,g3,ops3");
    CHECK(!more);
    change(s, STORE_CHANNEL_DELETE, "design", 0, 0);
    CHECK_EQ_STR(positions(s, &more), "Ops1,designer2,g3,ops3");
    change(s, STORE_CHANNEL_CREATE, "design", 0, 0);
    msg(s, "design", 0, "carol", "a new start");
    msg(s, "g", 0, "carol", "four");
    CHECK_EQ_STR(positions(s, &more), "Ops1,design1,designer2,g4,ops3");
    CHECK(!more);
    finish(s);
}

/* Two people of one name, as a guest whose hold lapsed (user 7) and who took the name after
 * (user 8): each keeps what is theirs, by id, and nothing passes from one to the other. */
TEST(test_people_by_id)
{
    store_t *s = fresh("byid");
    const uint64_t old = 7, now = 8;
    store_msg_t m = {.channel = "g",
                     .seq = 1,
                     .user = "zed",
                     .user_id = old,
                     .text = "first words",
                     .ts = 1000,
                     .cid = "k1",
                     .guest = true};
    CHECK_EQ_INT(store_append(s, &m, on_append, next_slot()), 0);
    change(s, STORE_MEMBER_ADD, "g", old, 0);
    change(s, STORE_READ, "g", old, 1);
    mention(s, "g", 2, "alice", 1, IDS(old));
    mention(s, "g", 3, "alice", 1, IDS(now));
    m = (store_msg_t){.channel = "g",
                      .seq = 4,
                      .user = "zed",
                      .user_id = now,
                      .text = "+1",
                      .ts = 4000,
                      .kind = "react",
                      .target = 1,
                      .cid = "k4"};
    CHECK_EQ_INT(store_append(s, &m, on_append, next_slot()), 0);
    wait_for(&loop, change(s, STORE_MEMBER_REMOVE, "g", now, 0)); /* not now's: a no-op */
    for (int i = 0; i < nslot; i++)
        CHECK_EQ_INT(slots[i].status, 0);
    CHECK_EQ_STR(mentioned(s, old), "g2");
    CHECK_EQ_STR(mentioned(s, now), "g3");
    store_load_t all = {NULL, ld_member, ld_read, ld_reaction, ld_mentioned, NULL, NULL, NULL};
    CHECK_EQ_STR(load(s, &all), "m:g/7;r:g/7/1;x:g/1/8/+1/1;@:g/7/2;@:g/8/3;");
    CHECK_EQ_STR(load_keyed(s), "k:g/1/7/k1/1000;k:g/4/8/k4/4000;");
    slot_t *h = query(s, "g", 0, 0, 10, false, 0, false);
    CHECK_EQ_INT(h->n, 4);
    CHECK_EQ_INT(h->rows[0].user_id, old);
    CHECK_EQ_INT(h->rows[1].user_id, 1);
    CHECK_EQ_INT(h->rows[3].user_id, now);
    CHECK_EQ_STR(h->rows[3].user, "zed");
    slot_t *f = SEARCH(s, "zed", NULL, 10, "first"); /* search goes by the name shown */
    CHECK_EQ_INT(f->n, 1);
    CHECK_EQ_INT(f->rows[0].user_id, old);

    change(s, STORE_READ, "g", now, 3);
    change(s, STORE_MEMBER_ADD, "g", now, 0);
    wait_for(&loop, change(s, STORE_MEMBER_REMOVE, "g", old, 0));
    CHECK_EQ_STR(mentioned(s, now), "");
    CHECK_EQ_STR(mentioned(s, old), "g2"); /* now's marker is not old's */
    CHECK_EQ_STR(load(s, &all), "m:g/8;r:g/7/1;r:g/8/3;x:g/1/8/+1/1;@:g/7/2;@:g/8/3;");
    finish(s);
}

/* ---- client keys ---- */

TEST(test_cids)
{
    store_t *s = fresh("cids");
    append(s, "g", 1, "alice", "one", NULL, 0, 0, "Ab-1_z");
    append(s, "g", 2, "bob", "two", NULL, 0, 0, "");
    append(s, "g", 3, "bob", "+1", "react", 0, 1, "r3");
    char max[STORE_CID_MAX + 2];
    memset(max, 'x', sizeof(max));
    max[STORE_CID_MAX] = '\0';
    append(s, "d", 1, "carol", "reply", "msg", 0, 0, max);
    slot_t *bad = next_slot();
    store_msg_t m = {.channel = "g", .seq = 4, .user = "u", .text = "t", .cid = "no spaces"};
    CHECK_EQ_INT(store_append(s, &m, on_append, bad), STORE_EINVAL);
    max[STORE_CID_MAX] = 'x';
    max[STORE_CID_MAX + 1] = '\0';
    m.cid = max;
    CHECK_EQ_INT(store_append(s, &m, on_append, bad), STORE_EINVAL);
    m.cid = "é";
    CHECK_EQ_INT(store_append(s, &m, on_append, bad), STORE_EINVAL);
    slot_t *h = query(s, "g", 0, 0, 10, false, 0, false);
    CHECK_EQ_INT(h->n, 3);
    CHECK_EQ_STR(h->rows[0].cid, "Ab-1_z");
    CHECK_EQ_INT(h->rows[0].user_id, 1);
    CHECK_EQ_STR(h->rows[1].cid, "");
    CHECK_EQ_INT(h->rows[1].user_id, 2);
    CHECK_EQ_STR(h->rows[2].cid, "r3");
    CHECK_EQ_STR(query(s, "g", 0, 0, 10, false, 1, false)->rows[0].cid, "Ab-1_z");
    CHECK_EQ_STR(SEARCH(s, NULL, NULL, 10, "one")->rows[0].cid, "Ab-1_z");
    max[STORE_CID_MAX] = '\0';
    char want[256]; /* by ts: d1 (1000) before g3; carol is user 3, alice 1, bob 2 */
    snprintf(want, sizeof(want), "k:d/1/3/%s/1000;k:g/1/1/Ab-1_z/1000;k:g/3/2/r3/3000;", max);
    CHECK_EQ_STR(load_keyed(s), want);
    finish(s);
    CHECK_EQ_INT(bad->fired, 0);
}

/* A guest's mark is kept with the row, in every read. */
TEST(test_guest_mark)
{
    store_t *s = fresh("guest");
    store_msg_t m = {
        .channel = "g", .seq = 1, .user = "zed", .text = "hello", .ts = 1, .guest = true};
    CHECK_EQ_INT(store_append(s, &m, on_append, next_slot()), 0);
    msg(s, "g", 2, "alice", "hello too");
    slot_t *h = query(s, "g", 0, 0, 10, false, 0, false);
    CHECK_EQ_INT(h->n, 2);
    CHECK(h->rows[0].guest);
    CHECK(!h->rows[1].guest);
    slot_t *f = SEARCH(s, NULL, NULL, 10, "hello");
    CHECK_EQ_INT(f->n, 2);
    CHECK(!f->rows[0].guest); /* newest first */
    CHECK(f->rows[1].guest);
    finish(s);
}

/* A message's files (store_msg_t.files) come back as they were stored, across a reopen;
 * a message without has ""; a delete blanks them with the text. */
TEST(test_files_kept)
{
    store_t *s = fresh("files");
    store_msg_t m = {.channel = "g",
                     .seq = 1,
                     .user = "a",
                     .text = "",
                     .ts = 1,
                     .files = "[{\"id\":\"f1\",\"size\":3}]"};
    CHECK_EQ_INT(store_append(s, &m, on_append, next_slot()), 0);
    m.seq = 2;
    m.files = "[{\"id\":\"f2\"}]";
    CHECK_EQ_INT(store_append(s, &m, on_append, next_slot()), 0);
    msg(s, "g", 3, "b", "no files");
    wait_for(&loop, append(s, "g", 4, "a", "", "delete", 0, 2, NULL));
    s = reopen(s, "files", false);
    slot_t *h = query(s, "g", 0, 0, 10, false, 0, false);
    CHECK_EQ_INT(h->n, 4);
    CHECK_EQ_STR(h->rows[0].files, "[{\"id\":\"f1\",\"size\":3}]");
    CHECK_EQ_STR(h->rows[1].files, "");
    CHECK(h->rows[1].deleted);
    CHECK_EQ_STR(h->rows[2].files, "");
    finish(s);
}

static size_t keyed_n;
static uint64_t keyed_first, keyed_last;
static bool keyed_ordered;

static void count_keyed(void *ctx, const char *ch, uint64_t seq, uint64_t user_id, const char *cid,
                        int64_t ts)
{
    (void)ctx;
    (void)ch;
    (void)user_id;
    (void)cid;
    if (keyed_n++ == 0)
        keyed_first = seq;
    else
        keyed_ordered &= seq == keyed_last + 1 && ts == (int64_t)seq;
    keyed_last = seq;
}

/* Only the newest STORE_KEYED_MAX keyed events are loaded, oldest first. */
TEST(test_keyed_bound)
{
    store_t *s = fresh("keyed");
    char cid[16];
    slot_t *last = NULL;
    for (uint64_t i = 1; i <= STORE_KEYED_MAX + 5; i++) {
        snprintf(cid, sizeof(cid), "c%" PRIu64, i);
        store_msg_t m = {
            .channel = "g", .seq = i, .user = "u", .text = "t", .ts = (int64_t)i, .cid = cid};
        last = i == STORE_KEYED_MAX + 5 ? next_slot() : NULL;
        CHECK_EQ_INT(store_append(s, &m, last ? on_append : NULL, last), 0);
    }
    wait_for(&loop, last);
    keyed_n = 0;
    keyed_ordered = true;
    CHECK_EQ_INT(store_load_keyed(s, count_keyed, NULL), 0);
    CHECK(keyed_ordered);
    CHECK_EQ_INT(keyed_n, STORE_KEYED_MAX);
    CHECK_EQ_INT(keyed_first, 6);
    CHECK_EQ_INT(keyed_last, STORE_KEYED_MAX + 5);
    finish(s);
}

/* ---- close and failure ---- */

TEST(test_close_answers_everything)
{
    store_t *s = fresh("close");
    for (uint64_t i = 1; i <= 40; i++)
        msg(s, "g", i, "u", "t");
    slot_t *q = next_slot();
    store_query_t sq = {"g", 0, 0, 100, false, 0, false, NULL, NULL, 0, 0};
    CHECK_EQ_INT(store_query(s, &sq, on_rows, q), 0);
    slot_t *p = next_slot();
    CHECK_EQ_INT(store_probe(s, on_write, p), 0);
    store_close(s);
    int rank = 0;
    for (int i = 0; i < 42; i++) { /* before close returned, once each; writes in order */
        CHECK_EQ_INT(slots[i].fired, 1);
        if (&slots[i] == q)
            continue;
        CHECK(slots[i].rank > rank);
        rank = slots[i].rank;
        CHECK_EQ_INT(slots[i].status, 0);
    }
    /* The read: answered (a prefix), or canceled when close came before it ran. */
    CHECK(q->status == STORE_ECANCELED || (q->status == 0 && seqs(q, 1, q->n)));
    store_msg_t m = {.channel = "g", .seq = 41, .user = "u", .text = "t"};
    CHECK_EQ_INT(store_append(s, &m, on_append, next_slot()), STORE_ECLOSED);
    CHECK_EQ_INT(store_query(s, &sq, on_rows, next_slot()), STORE_ECLOSED);
    CHECK_EQ_INT(store_probe(s, on_write, next_slot()), STORE_ECLOSED);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(ranks, 42); /* nothing twice, nothing refused called back */
}

static store_t *closing_store;
static void close_in_cb(void *ctx, int status, uint64_t seq, bool duplicate)
{
    on_append(ctx, status, seq, duplicate);
    store_close(closing_store);
    store_msg_t m = {.channel = "g", .seq = 999, .user = "u", .text = "t"};
    CHECK_EQ_INT(store_append(closing_store, &m, on_append, next_slot()), STORE_ECLOSED);
}

TEST(test_close_from_callback)
{
    store_t *s = closing_store = fresh("cbclose");
    store_msg_t m = {.channel = "g", .seq = 1, .user = "u", .text = "t"};
    CHECK_EQ_INT(store_append(s, &m, close_in_cb, next_slot()), 0);
    for (uint64_t i = 2; i <= 30; i++)
        msg(s, "g", i, "u", "t");
    uv_run(&loop, UV_RUN_DEFAULT); /* ends once the store's handle is closed */
    for (int i = 0; i < 30; i++)
        CHECK_EQ_INT(slots[i].fired, 1);
}

static slot_t *probe(store_t *s)
{
    slot_t *sl = next_slot();
    CHECK_EQ_INT(store_probe(s, on_write, sl), 0);
    wait_for(&loop, sl);
    return sl;
}

/* A real write failure: the transaction's writes and every write behind it are answered
 * STORE_EFAILED, nothing of them is stored, queries go on, probes fail until the cause is
 * gone, and after store_recover the seqs continue where the last commit left them. */
TEST(test_failure_and_recovery)
{
    store_t *s = fresh("failure");
    for (uint64_t i = 1; i <= 3; i++)
        msg(s, "g", i, "u", "before");
    wait_for(&loop, change(s, STORE_MEMBER_ADD, "g", 11, 0));
    int first = nslot;
    be->brk(s, true);
    msg(s, "g", 4, "u", "lost words");
    change(s, STORE_CHANNEL_CREATE, "lost", 0, 0);
    change(s, STORE_MEMBER_ADD, "g", 12, 0);
    msg(s, "g", 5, "u", "lost too");
    wait_for(&loop, &slots[nslot - 1]);
    for (int i = first; i < nslot; i++)
        CHECK_EQ_INT(slots[i].status, STORE_EFAILED);
    store_stats_t st;
    store_stats(s, &st);
    CHECK(st.failed);
    CHECK(st.failures >= 1);
    CHECK(seqs(query(s, "g", 0, 0, 10, false, 0, false), 1, 3)); /* queries keep running */
    CHECK_EQ_INT(probe(s)->status, STORE_EFAILED);
    be->brk(s, false);
    CHECK_EQ_INT(probe(s)->status, 0);
    slot_t *still = msg(s, "g", 4, "u", "submitted before recover");
    wait_for(&loop, still);
    CHECK_EQ_INT(still->status, STORE_EFAILED); /* refused untried until store_recover */
    store_stats(s, &st);
    CHECK(st.failed);

    store_recover(s);
    store_stats(s, &st);
    CHECK(!st.failed);
    slot_t *ok = msg(s, "g", 4, "u", "after recovery");
    wait_for(&loop, ok);
    CHECK_EQ_INT(ok->status, 0);
    slot_t *h = query(s, "g", 0, 0, 10, false, 0, false);
    CHECK(seqs(h, 1, 4)); /* no hole, nothing partial */
    CHECK_EQ_STR(h->rows[3].text, "after recovery");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "lost")), "");
    store_load_t all = {ld_channel, ld_member, NULL, NULL, NULL, NULL, NULL, NULL};
    CHECK_EQ_STR(load(s, &all), "m:g/11;");
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "g", &last), 0);
    CHECK_EQ_INT(last, 4);

    /* A write the backend refuses (a seq stored twice, a caller's bug) fails the same way,
     * while the store itself works: probes succeed at once. */
    slot_t *dup = msg(s, "g", 4, "u", "again");
    slot_t *behind = msg(s, "g", 5, "u", "behind it");
    wait_for(&loop, behind);
    CHECK_EQ_INT(dup->status, STORE_EFAILED);
    CHECK_EQ_INT(behind->status, STORE_EFAILED);
    CHECK_EQ_INT(probe(s)->status, 0);
    store_recover(s);
    wait_for(&loop, ok = msg(s, "g", 5, "u", "five"));
    CHECK_EQ_INT(ok->status, 0);
    store_stats(s, &st);
    CHECK(!st.failed);
    CHECK(st.failures >= 2);
    finish(s);
}

/* ---- cancel ---- */

/* store_cancel answers the owner's reads not answered yet STORE_ECANCELED (but one running,
 * which may finish first), later and never inside the call, without touching other owners'
 * reads or any write. */
TEST(test_cancel)
{
    store_t *s = fresh("cancel");
    for (uint64_t i = 1; i <= 5; i++)
        msg(s, "g", i, "u", "hello @bob");
    for (uint64_t i = 1; i <= 4000; i++) { /* for a read that keeps a reader busy a while */
        store_msg_t m = {.channel = "busy", .seq = i, .user = "u", .text = "busy bee", .ts = 1};
        CHECK_EQ_INT(store_append(s, &m, NULL, NULL), 0);
    }
    settle(s);
    int a, b;
    store_term_t busy = {"bee", false};
    store_search_t bq = {.terms = &busy,
                         .nterms = 1,
                         .user = NULL,
                         .channel = NULL,
                         .limit = 10,
                         .channels = NULL,
                         .nchannels = 0,
                         .owner = &b};
    slot_t *long_read = next_slot();
    CHECK_EQ_INT(store_search(s, &bq, on_rows, long_read), 0);
    int first = nslot;
    for (int i = 0; i < 10; i++) {
        store_query_t q = {"g", 0, 0, 10, false, 0, false, &a, NULL, 0, 0};
        CHECK_EQ_INT(store_query(s, &q, on_rows, next_slot()), 0);
    }
    store_term_t t = {"hello", false};
    store_search_t sq = {.terms = &t,
                         .nterms = 1,
                         .user = NULL,
                         .channel = NULL,
                         .limit = 10,
                         .channels = NULL,
                         .nchannels = 0,
                         .owner = &a};
    CHECK_EQ_INT(store_search(s, &sq, on_rows, next_slot()), 0);
    CHECK_EQ_INT(store_mention_counts(s, 2, &a, on_rows, next_slot()), 0);
    CHECK_EQ_INT(store_positions(s, &a, on_rows, next_slot()), 0);
    slot_t *w = msg(s, "g", 6, "u", "a write between");
    slot_t *other = next_slot();
    store_query_t qb = {"g", 0, 0, 10, false, 0, false, &b, NULL, 0, 0};
    CHECK_EQ_INT(store_query(s, &qb, on_rows, other), 0);
    store_cancel(s, &a);
    store_cancel(s, NULL); /* nobody's: nothing */
    for (int i = first; i < nslot; i++)
        CHECK_EQ_INT(slots[i].fired, 0);
    for (int i = first; i < nslot; i++)
        wait_for(&loop, &slots[i]);
    int canceled = 0;
    for (int i = first; i < first + 13; i++) {
        CHECK_EQ_INT(slots[i].fired, 1);
        CHECK(slots[i].status == STORE_ECANCELED || slots[i].status == 0);
        canceled += slots[i].status == STORE_ECANCELED;
    }
    CHECK(canceled >= 12);
    wait_for(&loop, long_read);
    CHECK_EQ_INT(long_read->status, 0);
    CHECK_EQ_INT(w->status, 0);
    CHECK_EQ_INT(other->status, 0);
    CHECK(other->n >= 5);
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.canceled, (uint64_t)canceled);
    CHECK_EQ_INT(st.queued, 0);
    CHECK_EQ_INT(st.reads_queued, 0);
    finish(s);
}

/* ---- groups: one request, one transaction ---- */

static int group_fired, group_ok;

static void on_group_write(void *ctx, int status)
{
    (void)ctx;
    group_fired++;
    group_ok += status == 0;
}

static void on_group_append(void *ctx, int status, uint64_t seq, bool duplicate)
{
    (void)seq;
    (void)duplicate;
    on_group_write(ctx, status);
}

/* A group past the worker's batch limit is still one transaction: the batch is not cut. */
TEST(test_group_commits_whole)
{
    store_t *s = fresh("group");
    wait_for(&loop, msg(s, "g", 1, "u", "before"));
    store_stats_t st0, st;
    store_stats(s, &st0);
    enum { N = STORE_WORKER_BATCH + 100 };
    group_fired = group_ok = 0;
    store_group_begin(s);
    for (uint64_t seq = 2; seq < 2 + N; seq++) {
        store_msg_t m = {.channel = "g", .seq = seq, .user = "u", .text = "grouped", .ts = 1};
        CHECK_EQ_INT(store_append(s, &m, on_group_append, NULL), 0);
    }
    store_change_t c = {.kind = STORE_MEMBER_ADD, .ch = {.name = "g"}, .user_id = 9, .ts = 1};
    CHECK_EQ_INT(store_change(s, &c, on_group_write, NULL), 0);
    store_stats(s, &st);
    CHECK_EQ_INT(st.queued, N + 1); /* waiting, as far as anyone asking can tell */
    store_group_end(s);
    while (group_fired < N + 1)
        uv_run(&loop, UV_RUN_ONCE);
    CHECK_EQ_INT(group_ok, N + 1);
    store_stats(s, &st);
    CHECK_EQ_INT(st.commits - st0.commits, 1);
    CHECK_EQ_INT(st.appends - st0.appends, N);
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "g", &last), 0);
    CHECK_EQ_INT(last, N + 1);
    /* A read inside a group is not part of it; one asked after the group's callbacks sees it. */
    store_group_begin(s);
    slot_t *w = msg(s, "g", N + 2, "u", "grouped too");
    slot_t *q = next_slot();
    store_query_t sq = {"g", 0, 0, 1, false, 0, false, NULL, NULL, 0, 0};
    CHECK_EQ_INT(store_query(s, &sq, on_rows, q), 0);
    store_group_end(s);
    wait_for(&loop, q);
    wait_for(&loop, w);
    CHECK(q->status == 0 && q->n == 1 && q->rows[0].seq >= N + 1);
    slot_t *after = query(s, "g", 0, 0, 1, false, 0, false);
    CHECK(after->n == 1 && after->rows[0].seq == N + 2);
    finish(s);
}

/* A write that fails inside a group fails all of it, nothing stored; behind the fence a group
 * is refused whole; a conflict is an answer and the rest commits. */
TEST(test_group_fails_whole)
{
    store_t *s = fresh("group-fail");
    wait_for(&loop, msg(s, "g", 1, "u", "one"));
    int first = nslot;
    store_group_begin(s);
    msg(s, "g", 2, "u", "two");
    change(s, STORE_CHANNEL_PUT, "dm", 0, 0);
    change(s, STORE_MEMBER_ADD, "dm", 1, 0);
    msg(s, "g", 1, "u", "one again"); /* a seq stored twice: the transaction fails */
    change(s, STORE_MEMBER_ADD, "dm", 2, 0);
    store_group_end(s);
    wait_for(&loop, &slots[nslot - 1]);
    for (int i = first; i < nslot; i++) {
        CHECK_EQ_INT(slots[i].fired, 1);
        CHECK_EQ_INT(slots[i].rank, i + 1);
        CHECK_EQ_INT(slots[i].status, STORE_EFAILED);
    }
    store_stats_t st;
    store_stats(s, &st);
    CHECK(st.failed);
    uint64_t failures = st.failures;
    store_load_t all = {ld_channel, ld_member, NULL, NULL, NULL, NULL, NULL, NULL};
    CHECK_EQ_STR(load(s, &all), "");
    CHECK(seqs(query(s, "g", 0, 0, 10, false, 0, false), 1, 1));

    first = nslot; /* failed: the next group is refused whole, untried */
    store_group_begin(s);
    msg(s, "g", 2, "u", "two");
    change(s, STORE_CHANNEL_PUT, "dm", 0, 0);
    store_group_end(s);
    wait_for(&loop, &slots[nslot - 1]);
    CHECK(slots[first].status == STORE_EFAILED && slots[first + 1].status == STORE_EFAILED);
    store_stats(s, &st);
    CHECK_EQ_INT(st.failures, failures);

    CHECK_EQ_INT(probe(s)->status, 0);
    store_recover(s);
    first = nslot;
    store_group_begin(s);
    msg(s, "g", 2, "u", "two");
    change(s, STORE_CHANNEL_PUT, "dm", 0, 0);
    change(s, STORE_CHANNEL_CREATE, "dm", 0, 0); /* taken: an answer, not a failure */
    change(s, STORE_MEMBER_ADD, "dm", 1, 0);
    store_group_end(s);
    wait_for(&loop, &slots[nslot - 1]);
    CHECK_EQ_INT(slots[first].status, 0);
    CHECK_EQ_INT(slots[first + 1].status, 0);
    CHECK_EQ_INT(slots[first + 2].status, STORE_ECONFLICT);
    CHECK_EQ_INT(slots[first + 3].status, 0);
    CHECK_EQ_STR(load(s, &all), "c:dm/public/topic/maker/50/5;m:dm/1;");

    /* A genuine I/O failure (SQLite: the file size limit) fails a group whole too. */
    be->brk(s, true);
    first = nslot;
    store_group_begin(s);
    msg(s, "g", 3, "u", "three");
    change(s, STORE_MEMBER_ADD, "dm", 2, 0);
    store_group_end(s);
    wait_for(&loop, &slots[nslot - 1]);
    CHECK(slots[first].status == STORE_EFAILED && slots[first + 1].status == STORE_EFAILED);
    be->brk(s, false);
    CHECK_EQ_INT(probe(s)->status, 0);
    store_recover(s);
    CHECK_EQ_STR(load(s, &all), "c:dm/public/topic/maker/50/5;m:dm/1;");
    CHECK(seqs(query(s, "g", 0, 0, 10, false, 0, false), 1, 2));
    finish(s);
}

/* ---- seqs the store assigns (store_msg_t.seq 0) ---- */

/* Checks an append's answer: committed, with seq, a duplicate or not. */
static void answered(const slot_t *sl, uint64_t seq, bool duplicate)
{
    CHECK_EQ_INT(sl->fired, 1);
    CHECK_EQ_INT(sl->status, 0);
    CHECK_EQ_INT(sl->seq, seq);
    CHECK_EQ_INT(sl->duplicate, duplicate);
}

/* Checks an append's answer: failed, seq 0, not a duplicate. */
static void refused(const slot_t *sl)
{
    CHECK_EQ_INT(sl->fired, 1);
    CHECK_EQ_INT(sl->status, STORE_EFAILED);
    CHECK_EQ_INT(sl->seq, 0);
    CHECK(!sl->duplicate);
}

/* Seq-0 appends get their channel's next seq, each after the one before it and after the
 * given seqs between them, each channel on its own; the seq assigned is the event's
 * everywhere: reads, search, mentions, an edit's target. */
TEST(test_assigned_seqs)
{
    store_t *s = fresh("assign");
    slot_t *v[] = {
        msg(s, "g", 1, "alice", "one"),
        append(s, "g", 0, "bob", "two", NULL, 0, 0, NULL),
        append(s, "h", 0, "bob", "h one", NULL, 0, 0, NULL),
        append(s, "g", 0, "carol", "three", NULL, 0, 0, NULL),
        msg(s, "g", 4, "alice", "four"),
        append(s, "g", 0, "alice", "five", NULL, 0, 0, NULL),
        append(s, "h", 0, "alice", "h two", NULL, 0, 0, NULL),
        append(s, "g", 0, "carol", "three edited", "edit", 0, 3, NULL),
        mention(s, "g", 0, "alice", 1, IDS(2)),
    };
    const uint64_t want[] = {1, 2, 1, 3, 4, 5, 2, 6, 7};
    wait_for(&loop, v[8]);
    for (int i = 0; i < 9; i++)
        answered(v[i], want[i], false);
    slot_t *h = query(s, "g", 0, 0, 10, true, 0, false);
    CHECK(seqs(h, 1, 7));
    CHECK_EQ_STR(h->rows[1].text, "two");
    CHECK_EQ_STR(h->rows[2].text, "three edited");
    CHECK(h->rows[2].edited);
    CHECK_EQ_STR(h->rows[4].text, "five");
    CHECK_EQ_INT(h->rows[6].user_id, 1);
    CHECK(seqs(query(s, "h", 0, 0, 10, true, 0, false), 1, 2));
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "five")), "g5");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "edited")), "g3");
    CHECK_EQ_STR(mentioned(s, 2), "g7");
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "g", &last), 0);
    CHECK_EQ_INT(last, 7);
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.appends, 9);
    /* What is stored decides, also after a reopen; a new channel starts at 1. */
    s = reopen(s, "assign", false);
    slot_t *g8 = append(s, "g", 0, "bob", "eight", NULL, 0, 0, NULL);
    slot_t *n1 = append(s, "new", 0, "bob", "new one", NULL, 0, 0, NULL);
    wait_for(&loop, n1);
    answered(g8, 8, false);
    answered(n1, 1, false);
    finish(s);
}

/* A seq-0 append whose (channel, user_id, cid) is stored is not stored again and answers the
 * original's (lowest) seq as a duplicate, whatever its kind; another channel or another user
 * is another key, no key is never a duplicate, and a given seq is never deduped. */
TEST(test_assigned_duplicates)
{
    store_t *s = fresh("dedupe");
    slot_t *first = append(s, "g", 0, "alice", "first", NULL, 0, 0, "k1");
    slot_t *retry = append(s, "g", 0, "alice", "retry", NULL, 0, 0, "k1");
    slot_t *bob = append(s, "g", 0, "bob", "bob's", NULL, 0, 0, "k1");
    slot_t *elsewhere = append(s, "h", 0, "alice", "elsewhere", NULL, 0, 0, "k1");
    slot_t *nokey = append(s, "g", 0, "alice", "no key", NULL, 0, 0, "");
    slot_t *nokey2 = append(s, "g", 0, "alice", "no key", NULL, 0, 0, NULL);
    slot_t *react = append(s, "g", 0, "alice", "+1", "react", 0, 2, "k1");
    slot_t *given = append(s, "g", 5, "alice", "given", NULL, 0, 0, "k1");
    slot_t *later = append(s, "g", 0, "alice", "later", NULL, 0, 0, "k1");
    slot_t *r6 = append(s, "g", 0, "bob", "+1", "react", 0, 1, "r6");
    wait_for(&loop, r6);
    answered(first, 1, false);
    answered(retry, 1, true);
    answered(bob, 2, false);
    answered(elsewhere, 1, false);
    answered(nokey, 3, false);
    answered(nokey2, 4, false);
    answered(react, 1, true);
    answered(given, 5, false);
    answered(later, 1, true);
    answered(r6, 6, false);
    slot_t *h = query(s, "g", 0, 0, 10, true, 0, false);
    CHECK(seqs(h, 1, 6));
    const char *texts[] = {"first", "bob's", "no key", "no key", "given", "+1"};
    for (int i = 0; i < 6; i++)
        CHECK_EQ_STR(h->rows[i].text, texts[i]);
    CHECK_EQ_STR(query(s, "h", 0, 0, 10, true, 0, false)->rows[0].text, "elsewhere");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "retry")), "");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "later")), "");
    CHECK_EQ_STR(load_keyed(s), "k:g/1/1/k1/0;k:g/2/2/k1/0;k:g/6/2/r6/0;k:h/1/1/k1/0;"
                                "k:g/5/1/k1/5000;");
    store_load_t reactions = {.reaction = ld_reaction, NULL};
    CHECK_EQ_STR(load(s, &reactions), "x:g/1/2/+1/1;"); /* the duplicate react did nothing */
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.appends, 7); /* duplicates store nothing */

    /* In one transaction (a group), the second of two sharing a key is the first's duplicate. */
    store_group_begin(s);
    slot_t *x = append(s, "g", 0, "carol", "x", NULL, 0, 0, "k9");
    slot_t *x2 = append(s, "g", 0, "carol", "x again", NULL, 0, 0, "k9");
    slot_t *y = append(s, "g", 0, "carol", "y", NULL, 0, 0, "k10");
    store_group_end(s);
    wait_for(&loop, y);
    answered(x, 7, false);
    answered(x2, 7, true);
    answered(y, 8, false);
    CHECK(seqs(query(s, "g", 0, 0, 10, true, 0, false), 1, 8));
    finish(s);
}

/* A group of seq-0 appends commits whole, each the next of its channel. A failed
 * transaction answers its seq-0 appends STORE_EFAILED with seq 0 (would-be duplicates too),
 * stores none and takes no seq: after the recovery the next append gets the seq a failed one
 * would have had. */
TEST(test_assigned_failures)
{
    store_t *s = fresh("assign-fail");
    wait_for(&loop, append(s, "g", 0, "alice", "one", NULL, 0, 0, "k1"));
    store_group_begin(s);
    slot_t *g2 = append(s, "g", 0, "alice", "two", NULL, 0, 0, NULL);
    slot_t *d1 = append(s, "d", 0, "bob", "dm one", NULL, 0, 0, NULL);
    slot_t *add = change(s, STORE_MEMBER_ADD, "d", 2, 0);
    slot_t *g3 = append(s, "g", 0, "bob", "three", NULL, 0, 0, NULL);
    store_group_end(s);
    wait_for(&loop, g3);
    answered(g2, 2, false);
    answered(d1, 1, false);
    CHECK_EQ_INT(add->status, 0);
    answered(g3, 3, false);

    /* A write of the group fails (a given seq taken): all of it does. */
    store_group_begin(s);
    slot_t *lost = append(s, "g", 0, "alice", "lost", NULL, 0, 0, NULL);
    slot_t *dup = append(s, "g", 0, "alice", "one again", NULL, 0, 0, "k1");
    slot_t *taken = msg(s, "g", 2, "carol", "two again");
    store_group_end(s);
    wait_for(&loop, taken);
    refused(lost);
    refused(dup);
    refused(taken);
    CHECK_EQ_INT(probe(s)->status, 0);
    store_recover(s);

    /* A genuine failure (SQLite: the file size limit) too. */
    be->brk(s, true);
    lost = append(s, "g", 0, "alice", "lost", NULL, 0, 0, NULL);
    dup = append(s, "g", 0, "alice", "one again", NULL, 0, 0, "k1");
    wait_for(&loop, dup);
    refused(lost);
    refused(dup);
    be->brk(s, false);
    CHECK_EQ_INT(probe(s)->status, 0);
    store_recover(s);
    slot_t *g4 = append(s, "g", 0, "carol", "four", NULL, 0, 0, NULL);
    dup = append(s, "g", 0, "alice", "one again", NULL, 0, 0, "k1");
    wait_for(&loop, dup);
    answered(g4, 4, false);
    answered(dup, 1, true);
    slot_t *h = query(s, "g", 0, 0, 10, true, 0, false);
    CHECK(seqs(h, 1, 4));
    CHECK_EQ_STR(h->rows[3].text, "four");
    CHECK_EQ_STR(found(SEARCH(s, NULL, NULL, 10, "lost")), "");
    finish(s);
}

/* ---- accounts ---- */

static slot_t *account(store_t *s, const store_change_t *c)
{
    slot_t *sl = next_slot();
    CHECK_EQ_INT(store_change(s, c, on_write, sl), 0);
    return sl;
}

static slot_t *user(store_t *s, store_change_kind_t kind, store_user_t u)
{
    return account(s, &(store_change_t){.kind = kind, .u = u});
}

static slot_t *session(store_t *s, store_change_kind_t kind, store_session_t se, uint64_t user_id)
{
    return account(s, &(store_change_t){.kind = kind, .sess = se, .user_id = user_id});
}

static slot_t *invite(store_t *s, store_invite_t in)
{
    return account(s, &(store_change_t){.kind = STORE_INVITE_PUT, .inv = in});
}

/* The row of session id of user: hash "h<id>", times from id. */
static store_session_t sess_row(uint64_t id, uint64_t user_id)
{
    static char hash[8][16];
    char *h = hash[id % 8];
    snprintf(h, sizeof(hash[0]), "h%" PRIu64, id);
    int64_t t = (int64_t)id * 100;
    return (store_session_t){id, h, user_id, t, t + 1, t + 2, "agent", "::1"};
}

static const char *nul(const char *s)
{
    return s ? s : "~";
}

static void ld_user(void *ctx, const store_user_t *u)
{
    (void)ctx;
    logf_("u:%" PRIu64 "/%s/%s/%s/%s/%s/%s/%lld/%lld;", u->id, u->name, nul(u->canon), u->display,
          u->role, nul(u->pass), u->state, (long long)u->created, (long long)u->seen);
}

static void ld_session(void *ctx, const store_session_t *se)
{
    (void)ctx;
    logf_("s:%" PRIu64 "/%s/%" PRIu64 "/%lld/%lld/%lld/%s/%s;", se->id, se->hash, se->user_id,
          (long long)se->created, (long long)se->seen, (long long)se->expires, se->agent, se->addr);
}

static void ld_invite(void *ctx, const store_invite_t *in)
{
    (void)ctx;
    logf_("i:%" PRIu64 "/%s/%s/%" PRIu64 "/%" PRIu64 "/%s/%lld/%lld/%u/%u/%d;", in->id, in->hash,
          in->kind, in->creator, in->user_id, in->role, (long long)in->created,
          (long long)in->expires, in->uses, in->max_uses, in->revoked);
}

static void ld_hook(void *ctx, const store_hook_t *h)
{
    (void)ctx;
    logf_("h:%" PRIu64 "/%s/%s/%s/%" PRIu64 "/%lld/%d;", h->id, h->hash, h->channel, h->name,
          h->creator, (long long)h->created, h->revoked);
}

static const store_accounts_load_t all_accounts = {ld_user, ld_session, ld_invite, ld_hook};

static const char *load_accounts(store_t *s, const store_accounts_load_t *cbs)
{
    load_log[0] = '\0';
    CHECK_EQ_INT(store_load_accounts(s, cbs, NULL), 0);
    return load_log;
}

static uint64_t version(store_t *s)
{
    uint64_t v = UINT64_MAX;
    CHECK_EQ_INT(store_accounts_version(s, &v), 0);
    return v;
}

static const store_user_t alice = {.id = 1,
                                   .name = "Alice",
                                   .canon = "alice",
                                   .display = "Al",
                                   .role = "owner",
                                   .pass = "$argon2id$a",
                                   .state = "active",
                                   .created = 10,
                                   .seen = 20};

/* Every account kind, conflicts answered without failing the group, order with the other
 * writes, and the rows loaded by id, before and after a reopen. */
TEST(test_accounts)
{
    store_t *s = fresh("accounts");
    slot_t *ok[16];
    int nok = 0;
    ok[nok++] = user(s, STORE_USER_CREATE, alice);
    ok[nok++] = user(
        s, STORE_USER_CREATE,
        (store_user_t){3, "bob", "bob", "", "member", NULL, "active", 30, 31, "", "", "", false});
    /* Rows without a canon hold no name: any number of them. */
    ok[nok++] = user(
        s, STORE_USER_CREATE,
        (store_user_t){2, "carol", NULL, "", "guest", NULL, "active", 40, 41, "", "", "", false});
    ok[nok++] = user(
        s, STORE_USER_CREATE,
        (store_user_t){4, "carol", NULL, "", "guest", NULL, "active", 50, 51, "", "", "", false});
    slot_t *same_id = user(
        s, STORE_USER_CREATE,
        (store_user_t){1, "zed", "zed", "", "member", NULL, "active", 1, 1, "", "", "", false});
    slot_t *same_canon = user(
        s, STORE_USER_CREATE,
        (store_user_t){9, "ALICE", "alice", "", "member", NULL, "active", 1, 1, "", "", "", false});
    ok[nok++] = change(s, STORE_MEMBER_ADD, "g", 3, 0); /* bob, in the same groups */
    ok[nok++] = user(
        s, STORE_USER_PUT,
        (store_user_t){3, "bob", "bob2", "B", "admin", "$h", "banned", 30, 99, "", "", "", false});
    slot_t *put_taken = user(
        s, STORE_USER_PUT,
        (store_user_t){3, "bob", "alice", "X", "owner", NULL, "active", 0, 0, "", "", "", false});
    ok[nok++] = user(s, STORE_USER_PUT,
                     (store_user_t){1, "Alice", "alice", "Ally", "owner", "$argon2id$b", "active",
                                    10, 25, "", "", "", false});
    ok[nok++] = user(
        s, STORE_USER_PUT, /* absent: a no-op, whatever its canon */
        (store_user_t){42, "x", "alice", "", "member", NULL, "active", 0, 0, "", "", "", false});
    ok[nok++] = session(s, STORE_SESSION_PUT, sess_row(1, 1), 0);
    ok[nok++] = session(s, STORE_SESSION_PUT, sess_row(2, 3), 0);
    store_session_t moved = sess_row(1, 1);
    moved.seen = 555;
    moved.agent = "curl";
    ok[nok++] = session(s, STORE_SESSION_PUT, moved, 0); /* replaces by id */
    ok[nok++] = session(s, STORE_SESSION_PUT, sess_row(3, 1), 0);
    ok[nok++] = session(s, STORE_SESSION_DELETE, (store_session_t){.id = 3}, 0);
    ok[nok++] = session(s, STORE_SESSION_DELETE, (store_session_t){.id = 77}, 0); /* absent */
    ok[nok++] = invite(s, (store_invite_t){2, "ir", "reset", 0, 3, "", 7, 8, 0, 1, false});
    ok[nok++] = invite(s, (store_invite_t){1, "ii", "invite", 1, 0, "member", 5, 6, 0, 5, false});
    slot_t *last = invite(s, (store_invite_t){1, "ii", "invite", 1, 0, "admin", 5, 6, 2, 5, true});
    wait_for(&loop, last);
    for (int i = 0; i < nok; i++)
        CHECK_EQ_INT(ok[i]->status, 0);
    CHECK_EQ_INT(same_id->status, STORE_ECONFLICT);
    CHECK_EQ_INT(same_canon->status, STORE_ECONFLICT);
    CHECK_EQ_INT(put_taken->status, STORE_ECONFLICT);
    CHECK_EQ_INT(last->status, 0);
    for (int i = 0; i < nslot; i++)
        CHECK_EQ_INT(slots[i].rank, i + 1); /* in submission order, conflicts included */
    store_stats_t st;
    store_stats(s, &st);
    CHECK(!st.failed);

    static const char want[] = "u:1/Alice/alice/Ally/owner/$argon2id$b/active/10/25;"
                               "u:2/carol/~//guest/~/active/40/41;"
                               "u:3/bob/bob2/B/admin/$h/banned/30/99;"
                               "u:4/carol/~//guest/~/active/50/51;"
                               "s:1/h1/1/100/555/102/curl/::1;"
                               "s:2/h2/3/200/201/202/agent/::1;"
                               "i:1/ii/invite/1/0/admin/5/6/2/5/1;"
                               "i:2/ir/reset/0/3//7/8/0/1/0;";
    CHECK_EQ_STR(load_accounts(s, &all_accounts), want);
    store_accounts_load_t some = {.session = ld_session}; /* NULL callbacks: not wanted */
    CHECK_EQ_STR(load_accounts(s, &some), "s:1/h1/1/100/555/102/curl/::1;"
                                          "s:2/h2/3/200/201/202/agent/::1;");
    store_load_t members = {.member = ld_member, NULL};
    CHECK_EQ_STR(load(s, &members), "m:g/3;");

    s = reopen(s, "accounts", false);
    CHECK_EQ_STR(load_accounts(s, &all_accounts), want);
    /* The freed canon of a row is free for another: USER_PUT then USER_CREATE. */
    slot_t *a = user(
        s, STORE_USER_PUT,
        (store_user_t){3, "bob", NULL, "B", "admin", "$h", "banned", 30, 99, "", "", "", false});
    slot_t *b = user(
        s, STORE_USER_CREATE,
        (store_user_t){5, "Bob", "bob2", "", "member", NULL, "active", 60, 60, "", "", "", false});
    wait_for(&loop, b);
    CHECK_EQ_INT(a->status, 0);
    CHECK_EQ_INT(b->status, 0);
    store_accounts_load_t users = {.user = ld_user};
    CHECK(strstr(load_accounts(s, &users), "u:3/bob/~/B/") != NULL);
    CHECK(strstr(load_log, "u:5/Bob/bob2//member/~/active/60/60;") != NULL);
    finish(s);
}

/* SESSIONS_REVOKE deletes a user's sessions but the one named, or all of them. */
TEST(test_sessions_revoke)
{
    store_t *s = fresh("revoke");
    for (uint64_t i = 1; i <= 5; i++)
        session(s, STORE_SESSION_PUT, sess_row(i, i <= 3 ? 7 : 8), 0);
    slot_t *r1 = session(s, STORE_SESSIONS_REVOKE, (store_session_t){.id = 2}, 7);
    wait_for(&loop, r1);
    CHECK_EQ_INT(r1->status, 0);
    store_accounts_load_t ids = {.session = ld_session};
    const char *log = load_accounts(s, &ids);
    CHECK(strstr(log, "s:1/") == NULL && strstr(log, "s:2/") && strstr(log, "s:3/") == NULL);
    CHECK(strstr(log, "s:4/") && strstr(log, "s:5/")); /* another user's: untouched */
    slot_t *r2 = session(s, STORE_SESSIONS_REVOKE, (store_session_t){.id = 0}, 7);
    slot_t *r3 = session(s, STORE_SESSIONS_REVOKE, (store_session_t){.id = 5}, 8);
    slot_t *r4 = session(s, STORE_SESSIONS_REVOKE, (store_session_t){.id = 0}, 99); /* none */
    wait_for(&loop, r4);
    CHECK_EQ_INT(r2->status, 0);
    CHECK_EQ_INT(r3->status, 0);
    CHECK_EQ_INT(r4->status, 0);
    CHECK_EQ_STR(load_accounts(s, &ids), "s:5/h5/8/500/501/502/agent/::1;");
    finish(s);
}

/* Strings are the store's own from submission on: the caller's buffers may change at once. */
static void ld_profile(void *ctx, const store_user_t *u)
{
    (void)ctx;
    logf_("p:%" PRIu64 "/%s/%s/%s/%s;", u->id, u->display, u->title, u->tz, u->avatar);
}

/* The profile (title, time zone, avatar) is written by CREATE and PUT, NULL read as "",
 * and kept across a reopen. */
TEST(test_accounts_profile)
{
    store_t *s = fresh("profile");
    store_user_t ann = {1, "ann", "ann", "Ann",          "member", NULL, "active",
                        1, 1,     "Ops", "Europe/Paris", "ab",     false};
    store_user_t bob = {2, "bob", "bob", "",   "member", NULL, "active",
                        1, 1,     NULL,  NULL, NULL,     false};
    slot_t *a = user(s, STORE_USER_CREATE, ann);
    slot_t *b = user(s, STORE_USER_CREATE, bob);
    bob.title = "Builds things";
    bob.tz = "America/Argentina/Buenos_Aires";
    bob.avatar = "cd";
    slot_t *c = user(s, STORE_USER_PUT, bob);
    ann.title = "";
    slot_t *d = user(s, STORE_USER_PUT, ann);
    wait_for(&loop, d);
    CHECK_EQ_INT(a->status, 0);
    CHECK_EQ_INT(b->status, 0);
    CHECK_EQ_INT(c->status, 0);
    CHECK_EQ_INT(d->status, 0);
    static const char want[] = "p:1/Ann//Europe/Paris/ab;p:2//Builds things/"
                               "America/Argentina/Buenos_Aires/cd;";
    store_accounts_load_t profiles = {.user = ld_profile};
    CHECK_EQ_STR(load_accounts(s, &profiles), want);
    s = reopen(s, "profile", false);
    CHECK_EQ_STR(load_accounts(s, &profiles), want);
    finish(s);
}

static void ld_bot(void *ctx, const store_user_t *u)
{
    (void)ctx;
    logf_("b:%" PRIu64 "/%d;", u->id, (int)u->bot);
}

/* A bot account (users.bot) is written by CREATE and PUT, read back, kept across a reopen;
 * other rows read false. */
TEST(test_accounts_bot)
{
    store_t *s = fresh("bot");
    store_user_t ann = {1, "ann", "ann", "", "member", "hash", "active", 1, 1, "", "", "", false};
    store_user_t hal = {2, "hal", "hal", "", "member", NULL, "active", 1, 1, "", "", "", false};
    hal.bot = true;
    user(s, STORE_USER_CREATE, ann);
    user(s, STORE_USER_CREATE, hal);
    ann.bot = true;
    slot_t *c = user(s, STORE_USER_PUT, ann);
    ann.bot = false;
    slot_t *d = user(s, STORE_USER_PUT, ann);
    wait_for(&loop, d);
    CHECK_EQ_INT(c->status, 0);
    CHECK_EQ_INT(d->status, 0);
    store_accounts_load_t bots = {.user = ld_bot};
    CHECK_EQ_STR(load_accounts(s, &bots), "b:1/0;b:2/1;");
    s = reopen(s, "bot", false);
    CHECK_EQ_STR(load_accounts(s, &bots), "b:1/0;b:2/1;");
    finish(s);
}

TEST(test_accounts_copied)
{
    store_t *s = fresh("copied");
    char buf[12][16] = {{0}};
    for (int i = 0; i < 12; i++)
        snprintf(buf[i], sizeof(buf[i]), "str%d", i);
    user(
        s, STORE_USER_CREATE,
        (store_user_t){1, buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], 1, 2, "", "", "", false});
    user(
        s, STORE_USER_PUT,
        (store_user_t){1, buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], 1, 3, "", "", "", false});
    session(s, STORE_SESSION_PUT, (store_session_t){1, buf[6], 1, 1, 2, 3, buf[7], buf[8]}, 0);
    slot_t *last = invite(s, (store_invite_t){1, buf[9], buf[10], 0, 0, buf[11], 1, 2, 0, 1, 0});
    memset(buf, 'X', sizeof(buf) - 1); /* before any completion */
    wait_for(&loop, last);
    CHECK_EQ_INT(last->status, 0);
    CHECK_EQ_STR(load_accounts(s, &all_accounts), "u:1/str0/str1/str2/str3/str4/str5/1/3;"
                                                  "s:1/str6/1/1/2/3/str7/str8;"
                                                  "i:1/str9/str10/0/0/str11/1/2/0/1/0;");
    finish(s);
}

/* Malformed rows are refused at submission, never reaching a transaction: account rows, and
 * people's changes without a user id. */
TEST(test_accounts_invalid)
{
    store_t *s = fresh("invalid");
    slot_t *sl = next_slot();
    store_change_t bad[] = {
        {.kind = STORE_USER_CREATE, .u = {0, "a", NULL, "", "member", NULL, "active", 0, 0}},
        {.kind = STORE_USER_CREATE,
         .u = {(uint64_t)INT64_MAX + 1, "a", NULL, "", "member", NULL, "active", 0, 0}},
        {.kind = STORE_USER_CREATE, .u = {1, NULL, NULL, "", "member", NULL, "active", 0, 0}},
        {.kind = STORE_USER_PUT, .u = {1, "a", NULL, NULL, "member", NULL, "active", 0, 0}},
        {.kind = STORE_USER_PUT, .u = {1, "a", NULL, "", NULL, NULL, "active", 0, 0}},
        {.kind = STORE_USER_PUT, .u = {1, "a", NULL, "", "member", NULL, NULL, 0, 0}},
        {.kind = STORE_SESSION_PUT, .sess = {1, NULL, 1, 0, 0, 0, "", ""}},
        {.kind = STORE_SESSION_PUT, .sess = {1, "h", 0, 0, 0, 0, "", ""}},
        {.kind = STORE_SESSION_PUT, .sess = {0, "h", 1, 0, 0, 0, "", ""}},
        {.kind = STORE_SESSION_PUT, .sess = {1, "h", 1, 0, 0, 0, NULL, ""}},
        {.kind = STORE_SESSION_DELETE, .sess = {.id = UINT64_MAX}},
        {.kind = STORE_SESSIONS_REVOKE, .user_id = UINT64_MAX},
        {.kind = STORE_INVITE_PUT, .inv = {1, "h", "invite", 0, 0, NULL, 0, 0, 0, 1, false}},
        {.kind = STORE_INVITE_PUT, .inv = {1, "h", NULL, 0, 0, "", 0, 0, 0, 1, false}},
        {.kind = STORE_INVITE_PUT, .inv = {1, NULL, "reset", 0, 1, "", 0, 0, 0, 1, false}},
        {.kind = STORE_INVITE_PUT, .inv = {1, "h", "reset", UINT64_MAX, 1, "", 0, 0, 0, 1, false}},
        {.kind = STORE_MEMBER_ADD, .ch = {.name = "g"}, .user_id = 0},
        {.kind = STORE_MEMBER_REMOVE, .ch = {.name = "g"}, .user_id = 0},
        {.kind = STORE_READ, .ch = {.name = "g"}, .user_id = 0, .seq = 1},
        {.kind = STORE_READ, .ch = {.name = "g"}, .user_id = (uint64_t)INT64_MAX + 1, .seq = 1},
        {.kind = STORE_CHANNEL_PUT, .ch = {"g", "public", "", "x", (uint64_t)INT64_MAX + 1, 1}},
        {.kind = (store_change_kind_t)99},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(store_change(s, &bad[i], on_write, sl), STORE_EINVAL);
    slot_t *good = user(s, STORE_USER_CREATE, alice);
    wait_for(&loop, good);
    CHECK_EQ_INT(good->status, 0);
    finish(s);
    CHECK_EQ_INT(sl->fired, 0);
    CHECK_EQ_INT(ranks, 1);
}

/* A PUT of a hash another row holds is a caller's bug: the write fails, with its group and
 * every write behind it (store.h, Failure), and nothing of them is stored. */
TEST(test_accounts_duplicate_hash)
{
    store_t *s = fresh("duphash");
    session(s, STORE_SESSION_PUT, sess_row(1, 1), 0);
    wait_for(&loop, invite(s, (store_invite_t){1, "ih", "invite", 0, 0, "member", 1, 2, 0, 1, 0}));
    store_session_t dup = sess_row(2, 1);
    dup.hash = "h1";
    slot_t *d = session(s, STORE_SESSION_PUT, dup, 0);
    slot_t *behind = user(s, STORE_USER_CREATE, alice);
    wait_for(&loop, behind);
    CHECK_EQ_INT(d->status, STORE_EFAILED);
    CHECK_EQ_INT(behind->status, STORE_EFAILED);
    store_stats_t st;
    store_stats(s, &st);
    CHECK(st.failed);
    CHECK_EQ_INT(probe(s)->status, 0);
    store_recover(s);
    slot_t *i2 = invite(s, (store_invite_t){2, "ih", "invite", 0, 0, "member", 1, 2, 0, 1, 0});
    wait_for(&loop, i2);
    CHECK_EQ_INT(i2->status, STORE_EFAILED);
    store_recover(s);
    CHECK_EQ_STR(load_accounts(s, &all_accounts), "s:1/h1/1/100/101/102/agent/::1;"
                                                  "i:1/ih/invite/0/0/member/1/2/0/1/0;");
    finish(s);
}

/* accounts_version moves with every account write of a store opened with bump_accounts
 * (the `parley user` command), and with nothing else. */
TEST(test_accounts_version)
{
    store_t *s = fresh("version");
    CHECK_EQ_INT(version(s), 0);
    user(s, STORE_USER_CREATE, alice);
    session(s, STORE_SESSION_PUT, sess_row(1, 1), 0);
    invite(s, (store_invite_t){1, "ii", "invite", 1, 0, "member", 5, 6, 0, 5, false});
    wait_for(&loop, session(s, STORE_SESSIONS_REVOKE, (store_session_t){0}, 1));
    CHECK_EQ_INT(version(s), 0); /* a server's own writes */

    s = reopen(s, "version", true);
    uint64_t v = version(s);
    CHECK_EQ_INT(v, 0);
    store_change_t steps[] = {
        {.kind = STORE_USER_CREATE, .u = {2, "bob", "bob", "", "member", NULL, "active", 1, 1}},
        {.kind = STORE_USER_PUT, .u = {2, "bob", "bob", "", "admin", NULL, "active", 1, 2}},
        {.kind = STORE_SESSION_PUT, .sess = sess_row(2, 2)},
        {.kind = STORE_SESSION_DELETE, .sess = {.id = 2}},
        {.kind = STORE_SESSIONS_REVOKE, .user_id = 1},
        {.kind = STORE_INVITE_PUT, .inv = {2, "ir", "reset", 0, 2, "", 7, 8, 0, 1, false}},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        slot_t *sl = account(s, &steps[i]);
        wait_for(&loop, sl);
        CHECK_EQ_INT(sl->status, 0);
        uint64_t now = version(s);
        CHECK(now > v);
        v = now;
    }
    slot_t *conflict = user(s, STORE_USER_CREATE, alice);
    wait_for(&loop, conflict);
    CHECK_EQ_INT(conflict->status, STORE_ECONFLICT);
    wait_for(&loop, change(s, STORE_MEMBER_ADD, "g", 2, 0));
    wait_for(&loop, msg(s, "g", 1, "bob", "hi"));
    CHECK_EQ_INT(version(s), v); /* a conflict changed nothing; other writes are not accounts */

    s = reopen(s, "version", false);
    CHECK_EQ_INT(version(s), v); /* stored */
    wait_for(&loop, user(s, STORE_USER_CREATE,
                         (store_user_t){3, "c", "c", "", "member", NULL, "active", 1, 1, "", "", "",
                                        false}));
    CHECK_EQ_INT(version(s), v);
    CHECK(strstr(load_accounts(s, &all_accounts), "u:3/c/c/") != NULL);
    finish(s);
}

/* Webhooks (store_hook_t) are upserted by id, loaded by id with the accounts across a
 * reopen, and move accounts_version like any account row; a hash held by another hook
 * fails the write; a message's app (store_msg_t.app) comes back as stored, "" for none, and
 * stays through a delete. */
TEST(test_hooks_and_app)
{
    store_t *s = fresh("hooks");
    s = reopen(s, "hooks", true);
    uint64_t v = version(s);
    store_hook_t a = {7, "ha", "ops", "Alerts", 1, 50, false};
    store_hook_t b = {3, "hb", "dev", "CI", 2, 60, false};
    wait_for(&loop, account(s, &(store_change_t){.kind = STORE_HOOK_PUT, .hook = a}));
    CHECK(version(s) > v);
    wait_for(&loop, account(s, &(store_change_t){.kind = STORE_HOOK_PUT, .hook = b}));
    a.revoked = true;
    wait_for(&loop, account(s, &(store_change_t){.kind = STORE_HOOK_PUT, .hook = a}));
    store_hook_t bad = {.id = 9, .hash = NULL, .channel = "x", .name = "x"};
    CHECK_EQ_INT(
        store_change(s, &(store_change_t){.kind = STORE_HOOK_PUT, .hook = bad}, NULL, NULL),
        STORE_EINVAL);
    store_msg_t m = {.channel = "ops",
                     .seq = 1,
                     .user = "Alerts",
                     .text = "fire",
                     .ts = 1,
                     .app = "{\"name\":\"Alerts\"}"};
    CHECK_EQ_INT(store_append(s, &m, on_append, next_slot()), 0);
    m.seq = 2;
    m.app = NULL;
    CHECK_EQ_INT(store_append(s, &m, on_append, next_slot()), 0);
    wait_for(&loop, append(s, "ops", 3, "x", "", "delete", 0, 1, NULL));
    s = reopen(s, "hooks", false);
    CHECK_EQ_STR(load_accounts(s, &(store_accounts_load_t){.hook = ld_hook}),
                 "h:3/hb/dev/CI/2/60/0;h:7/ha/ops/Alerts/1/50/1;");
    slot_t *h = query(s, "ops", 0, 0, 10, false, 0, false);
    CHECK_EQ_INT(h->n, 3);
    CHECK_EQ_STR(h->rows[0].app, "{\"name\":\"Alerts\"}");
    CHECK(h->rows[0].deleted);
    CHECK_EQ_STR(h->rows[1].app, "");
    store_hook_t dup = {8, "hb", "ops", "Dup", 1, 70, false};
    slot_t *d = account(s, &(store_change_t){.kind = STORE_HOOK_PUT, .hook = dup});
    wait_for(&loop, d);
    CHECK_EQ_INT(d->status, STORE_EFAILED);
    store_recover(s);
    finish(s);
}

/* A failed transaction stores no account row and bumps nothing. */
TEST(test_accounts_failure)
{
    store_t *s = fresh("acctfail");
    s = reopen(s, "acctfail", true);
    wait_for(&loop, user(s, STORE_USER_CREATE, alice));
    uint64_t v = version(s);
    be->brk(s, true);
    slot_t *a = user(
        s, STORE_USER_CREATE,
        (store_user_t){2, "bob", "bob", "", "member", NULL, "active", 1, 1, "", "", "", false});
    slot_t *b = session(s, STORE_SESSION_PUT, sess_row(1, 1), 0);
    wait_for(&loop, b);
    CHECK_EQ_INT(a->status, STORE_EFAILED);
    CHECK_EQ_INT(b->status, STORE_EFAILED);
    be->brk(s, false);
    CHECK_EQ_INT(version(s), v);
    CHECK_EQ_STR(load_accounts(s, &all_accounts),
                 "u:1/Alice/alice/Al/owner/$argon2id$a/active/10/20;");
    CHECK_EQ_INT(probe(s)->status, 0);
    store_recover(s);
    wait_for(&loop, b = session(s, STORE_SESSION_PUT, sess_row(1, 1), 0));
    CHECK_EQ_INT(b->status, 0);
    CHECK(version(s) > v);
    finish(s);
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
    alarm(300);               /* a lost callback hangs the loop; fail instead */
    signal(SIGXFSZ, SIG_IGN); /* the failure test's file size limit: EFBIG, not death */
    getrlimit(RLIMIT_FSIZE, &fsize_saved);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/parley-conf-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    uv_loop_init(&loop);
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        be = &backends[i];
        if (!backend_wanted(be))
            continue;
        printf("backend %s\n", be->name);
        RUN(test_order_and_ctx);
        RUN(test_ranges);
        RUN(test_threads_and_events);
        RUN(test_edits_and_deletes_applied);
        RUN(test_channel_lines);
        RUN(test_search);
        RUN(test_mentions);
        RUN(test_changes_and_load);
        RUN(test_channel_archive_and_delete);
        RUN(test_notify_levels);
        RUN(test_positions);
        RUN(test_people_by_id);
        RUN(test_cids);
        RUN(test_guest_mark);
        RUN(test_files_kept);
        RUN(test_pins_and_edit_history);
        RUN(test_keyed_bound);
        RUN(test_close_answers_everything);
        RUN(test_close_from_callback);
        RUN(test_failure_and_recovery);
        RUN(test_cancel);
        RUN(test_group_commits_whole);
        RUN(test_group_fails_whole);
        RUN(test_assigned_seqs);
        RUN(test_assigned_duplicates);
        RUN(test_assigned_failures);
        RUN(test_accounts);
        RUN(test_accounts_profile);
        RUN(test_accounts_bot);
        RUN(test_sessions_revoke);
        RUN(test_accounts_copied);
        RUN(test_accounts_invalid);
        RUN(test_accounts_duplicate_hash);
        RUN(test_accounts_version);
        RUN(test_accounts_failure);
        RUN(test_hooks_and_app);
    }
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    store_t *s = NULL;
    store_open_opts_t o = {.sync_full = false};
    CHECK_EQ_INT(store_open(&loop, "mysql://x", &o, &s), STORE_EINVAL);
    CHECK_EQ_INT(store_open(&loop, "parley.db", &o, &s), STORE_EINVAL);
    CHECK_EQ_INT(store_open(&loop, "sqlite:", &o, &s), STORE_EINVAL);
    CHECK_EQ_INT(store_open(&loop, "postgresql://127.0.0.1:1/x", &o, &s), STORE_EFAILED);
    CHECK_EQ_INT(store_open(&loop, "postgres://%zz", &o, &s), STORE_EFAILED); /* unreadable */
    CHECK_EQ_STR(store_schemes(), "sqlite, postgresql, postgres");
    char shown[128]; /* what logs show of a URL: never its password */
    CHECK_EQ_STR(store_url_shown("postgresql://u:s3cr@t@h:5/db?password=x&sslmode=require", shown,
                                 sizeof(shown)),
                 "postgresql://u:***@h:5/db?password=***&sslmode=require");
    CHECK_EQ_STR(store_url_shown("postgres://u@h/db", shown, sizeof(shown)), "postgres://u@h/db");
    CHECK_EQ_STR(store_url_shown("sqlite:/a:b@c.db", shown, sizeof(shown)), "sqlite:/a:b@c.db");
    CHECK_EQ_STR(store_url_shown("postgresql://u:pw@h/db", shown, 12), "postgresql:");
    pg_test_deinit();
    nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return TEST_MAIN_END();
}
