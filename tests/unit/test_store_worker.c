/* test_store_worker - the shared worker (store_worker.h) against a tiny backend of this file's
 * own, which keeps nothing and logs every call its writer thread gets: what the worker hands
 * a backend, and what it hands back to the callbacks.
 *
 * The backend answers appends as a backend of several processes might: it assigns seq 0
 * appends from a counter per channel and reports every append's seq and duplicate mark only
 * at commit (pipelined), writing garbage into them until then, so that a worker reading them
 * early would be caught. A cid of "dup" is a duplicate of seq 1. Its lock, commit and probe
 * can be made to fail, and its probe to wait for the test (to queue a batch behind it). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "store/store_worker.h"
#include "test.h"

/* ---- the tiny backend ---- */

#define PENDING_MAX 64

typedef struct {
    uint64_t *seq, value;
    bool *duplicate, dup;
} answer_t;

typedef struct {
    char log[2048]; /* "B;" begin, "L:a,b;" lock, "A:ch/seq;" append, "X;" change, "C;"
                       commit, "R;" rollback, "P;" probe */
    bool fail_lock, fail_commit, hold_probe;
    uv_sem_t probe_in, probe_go; /* a held probe posts the first, then waits for the second */
    struct {
        char channel[16];
        uint64_t next;
    } chans[8];
    size_t nchans;
    answer_t pending[PENDING_MAX]; /* this transaction's answers, written at commit */
    size_t npending;
} tiny_t;

static void say(tiny_t *t, const char *s)
{
    size_t n = strlen(t->log);
    snprintf(t->log + n, sizeof(t->log) - n, "%s", s);
}

static uint64_t *next_of(tiny_t *t, const char *channel)
{
    for (size_t i = 0; i < t->nchans; i++)
        if (strcmp(t->chans[i].channel, channel) == 0)
            return &t->chans[i].next;
    snprintf(t->chans[t->nchans].channel, sizeof(t->chans[0].channel), "%s", channel);
    t->chans[t->nchans].next = 1;
    return &t->chans[t->nchans++].next;
}

static int tiny_begin(void *impl)
{
    tiny_t *t = impl;
    t->npending = 0;
    say(t, "B;");
    return 0;
}

static int tiny_lock(void *impl, const char *const *channels, size_t n)
{
    tiny_t *t = impl;
    say(t, "L:");
    for (size_t i = 0; i < n; i++) {
        say(t, i ? "," : "");
        say(t, channels[i]);
    }
    say(t, ";");
    return t->fail_lock ? STORE_EFAILED : 0;
}

static int tiny_append(void *impl, const store_msg_t *m, uint64_t *seq, bool *duplicate)
{
    tiny_t *t = impl;
    char line[64];
    snprintf(line, sizeof(line), "A:%s/%llu;", m->channel, (unsigned long long)m->seq);
    say(t, line);
    uint64_t *next = next_of(t, m->channel);
    bool dup = m->seq == 0 && m->cid && strcmp(m->cid, "dup") == 0;
    uint64_t value = dup ? 1 : m->seq ? m->seq : *next;
    if (!dup)
        *next = value + 1;
    *seq = 12345; /* not the answer yet: that comes at commit */
    *duplicate = !dup;
    t->pending[t->npending++] = (answer_t){seq, value, duplicate, dup};
    return 0;
}

static int tiny_change(void *impl, const store_change_t *c)
{
    (void)c;
    say(impl, "X;");
    return 0;
}

static int tiny_commit(void *impl)
{
    tiny_t *t = impl;
    say(t, "C;");
    if (t->fail_commit)
        return STORE_EFAILED;
    for (size_t i = 0; i < t->npending; i++) {
        *t->pending[i].seq = t->pending[i].value;
        *t->pending[i].duplicate = t->pending[i].dup;
    }
    return 0;
}

static void tiny_rollback(void *impl)
{
    say(impl, "R;");
}

static int tiny_probe(void *impl)
{
    tiny_t *t = impl;
    say(t, "P;");
    if (t->hold_probe) {
        uv_sem_post(&t->probe_in);
        uv_sem_wait(&t->probe_go);
    }
    return 0;
}

static void tiny_free(void *impl)
{
    (void)impl; /* the test's own */
}

/* Reads and loads: none here. */
static const store_worker_ops_t tiny_ops = {
    .name = "tiny",
    .begin = tiny_begin,
    .commit = tiny_commit,
    .rollback = tiny_rollback,
    .lock = tiny_lock,
    .append = tiny_append,
    .change = tiny_change,
    .probe = tiny_probe,
    .free = tiny_free,
};

/* ---- helpers ---- */

typedef struct {
    int fired, status;
    uint64_t seq;
    bool duplicate;
} slot_t;

static uv_loop_t loop;
static tiny_t tiny;
static slot_t slots[32];
static int nslot;

static void on_append(void *ctx, int status, uint64_t seq, bool duplicate)
{
    slot_t *sl = ctx;
    sl->fired++;
    sl->status = status;
    sl->seq = seq;
    sl->duplicate = duplicate;
}

static void on_write(void *ctx, int status)
{
    on_append(ctx, status, 0, false);
}

static store_t *open_tiny(const store_worker_ops_t *ops)
{
    memset(&tiny, 0, sizeof(tiny));
    memset(slots, 0, sizeof(slots));
    nslot = 0;
    store_t *s = NULL;
    CHECK_EQ_INT(store_worker_open(&loop, ops, &tiny, false, &s), 0);
    return s;
}

static void finish(store_t *s)
{
    store_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
}

static slot_t *append(store_t *s, const char *channel, uint64_t seq, const char *cid)
{
    slot_t *sl = &slots[nslot++];
    store_msg_t m = {.channel = channel, .seq = seq, .user = "u", .text = "t", .cid = cid};
    CHECK_EQ_INT(store_append(s, &m, on_append, sl), 0);
    return sl;
}

static slot_t *member(store_t *s, const char *channel)
{
    slot_t *sl = &slots[nslot++];
    store_change_t c = {.kind = STORE_MEMBER_ADD, .ch = {.name = channel}, .user_id = 1};
    CHECK_EQ_INT(store_change(s, &c, on_write, sl), 0);
    return sl;
}

static slot_t *probe(store_t *s)
{
    slot_t *sl = &slots[nslot++];
    CHECK_EQ_INT(store_probe(s, on_write, sl), 0);
    return sl;
}

static void wait_for(const slot_t *sl)
{
    while (!sl->fired)
        uv_run(&loop, UV_RUN_ONCE);
}

/* ---- tests ---- */

/* One batch (a group: never cut, taken whole): lock right after begin, with the appends'
 * channels sorted and each once; the seqs the backend gave at commit reach the callbacks. */
TEST(test_lock_sorted_distinct)
{
    store_t *s = open_tiny(&tiny_ops);
    store_group_begin(s);
    slot_t *b1 = append(s, "beta", 0, NULL);
    slot_t *a1 = append(s, "alpha", 0, NULL);
    member(s, "zulu"); /* a change's channel is not locked */
    slot_t *b2 = append(s, "beta", 7, NULL);
    slot_t *b3 = append(s, "beta", 0, NULL);
    slot_t *c1 = append(s, "Gamma", 0, "dup");
    slot_t *a2 = append(s, "alpha", 0, NULL);
    store_group_end(s);
    wait_for(a2);
    CHECK_EQ_STR(tiny.log, "B;L:Gamma,alpha,beta;A:beta/0;A:alpha/0;X;A:beta/7;A:beta/0;"
                           "A:Gamma/0;A:alpha/0;C;");
    const slot_t *want[] = {b1, a1, b2, b3, c1, a2};
    const uint64_t seqs[] = {1, 1, 7, 8, 1, 2};
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_INT(want[i]->status, 0);
        CHECK_EQ_INT(want[i]->seq, seqs[i]);
        CHECK_EQ_INT(want[i]->duplicate, want[i] == c1);
    }
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.appends, 5); /* the duplicate stored nothing */
    CHECK_EQ_INT(st.commits, 1);

    /* A batch without appends locks nothing; a probe neither. */
    tiny.log[0] = '\0';
    wait_for(member(s, "alpha"));
    wait_for(probe(s));
    CHECK_EQ_STR(tiny.log, "B;X;C;B;P;C;");
    finish(s);
}

/* A failed lock fails the transaction like any write: rolled back, every write of it answered
 * STORE_EFAILED, appends with seq 0; the store is failed until it recovers. */
TEST(test_lock_failure)
{
    store_t *s = open_tiny(&tiny_ops);
    tiny.fail_lock = true;
    store_group_begin(s);
    slot_t *a = append(s, "alpha", 0, NULL);
    slot_t *m = member(s, "alpha");
    slot_t *b = append(s, "beta", 3, NULL);
    store_group_end(s);
    wait_for(b);
    CHECK_EQ_STR(tiny.log, "B;L:alpha,beta;R;");
    CHECK(a->status == STORE_EFAILED && m->status == STORE_EFAILED && b->status == STORE_EFAILED);
    CHECK(a->seq == 0 && b->seq == 0 && !a->duplicate && !b->duplicate);
    store_stats_t st;
    store_stats(s, &st);
    CHECK(st.failed);
    tiny.fail_lock = false;
    store_recover(s);
    slot_t *ok = append(s, "alpha", 0, NULL);
    wait_for(ok);
    CHECK_EQ_INT(ok->status, 0);
    CHECK_EQ_INT(ok->seq, 1); /* the failed transaction never reached its appends */
    finish(s);
}

/* A failed commit: whatever the backend left in its out values, the appends answer seq 0. */
TEST(test_commit_failure_answers_seq_0)
{
    store_t *s = open_tiny(&tiny_ops);
    tiny.fail_commit = true;
    slot_t *a = append(s, "alpha", 0, NULL);
    wait_for(a);
    CHECK_EQ_STR(tiny.log, "B;L:alpha;A:alpha/0;C;R;");
    CHECK_EQ_INT(a->status, STORE_EFAILED);
    CHECK_EQ_INT(a->seq, 0); /* the backend wrote 12345 there */
    CHECK(!a->duplicate);
    finish(s);
}

/* Appends behind the fence are answered untried: their channels are not locked. */
TEST(test_lock_skips_fenced)
{
    store_t *s = open_tiny(&tiny_ops);
    tiny.fail_lock = true;
    wait_for(append(s, "alpha", 0, NULL));
    tiny.fail_lock = false;
    CHECK_EQ_INT(uv_sem_init(&tiny.probe_in, 0), 0);
    CHECK_EQ_INT(uv_sem_init(&tiny.probe_go, 0), 0);
    tiny.hold_probe = true;
    slot_t *p = probe(s); /* the writer waits in it: what follows is queued as one batch */
    uv_sem_wait(&tiny.probe_in);
    tiny.log[0] = '\0'; /* the writer is held: nothing writes the log now */
    slot_t *old = append(s, "old", 0, NULL);
    store_recover(s);
    slot_t *now = append(s, "new", 0, NULL);
    uv_sem_post(&tiny.probe_go);
    wait_for(now);
    CHECK_EQ_INT(p->status, 0);
    CHECK_EQ_STR(tiny.log, "C;B;L:new;A:new/0;C;");
    CHECK(old->status == STORE_EFAILED && old->seq == 0);
    CHECK(now->status == 0 && now->seq == 1);
    finish(s);
    uv_sem_destroy(&tiny.probe_in);
    uv_sem_destroy(&tiny.probe_go);
}

/* Without a lock op (SQLite) the batch goes begin, writes, commit. */
TEST(test_no_lock_op)
{
    static store_worker_ops_t nolock;
    nolock = tiny_ops;
    nolock.lock = NULL;
    store_t *s = open_tiny(&nolock);
    store_group_begin(s);
    slot_t *a = append(s, "beta", 0, NULL);
    slot_t *b = append(s, "alpha", 4, NULL);
    store_group_end(s);
    wait_for(b);
    CHECK_EQ_STR(tiny.log, "B;A:beta/0;A:alpha/4;C;");
    CHECK(a->status == 0 && a->seq == 1 && b->status == 0 && b->seq == 4);
    finish(s);
}

/* store_settle: the writes submitted are committed and called back before it returns, on
 * the calling thread, without running the loop; a writer held past the bound is waited for
 * no longer than it, and its writes are called back later as usual. */
TEST(test_settle)
{
    store_t *s = open_tiny(&tiny_ops);
    slot_t *a = append(s, "alpha", 0, NULL);
    slot_t *b = append(s, "alpha", 0, NULL);
    store_settle(s, 10 * 1000 * 1000);
    CHECK(a->fired && b->fired);
    CHECK(a->status == 0 && a->seq == 1 && b->status == 0 && b->seq == 2);
    CHECK_EQ_INT(uv_sem_init(&tiny.probe_in, 0), 0);
    CHECK_EQ_INT(uv_sem_init(&tiny.probe_go, 0), 0);
    tiny.hold_probe = true;
    slot_t *p = probe(s);
    uv_sem_wait(&tiny.probe_in);
    slot_t *c = append(s, "alpha", 0, NULL);
    uint64_t t0 = uv_hrtime();
    store_settle(s, 20 * 1000); /* 20 ms: the writer is held in the probe */
    uint64_t took = uv_hrtime() - t0;
    CHECK(!p->fired && !c->fired);
    CHECK(took >= 15 * 1000 * 1000 && took < 2000ull * 1000 * 1000);
    tiny.hold_probe = false;
    uv_sem_post(&tiny.probe_go);
    wait_for(c);
    CHECK(p->status == 0 && c->status == 0 && c->seq == 3);
    store_settle(s, 1000); /* nothing submitted: returns at once */
    finish(s);
    uv_sem_destroy(&tiny.probe_in);
    uv_sem_destroy(&tiny.probe_go);
}

int main(void)
{
    alarm(60); /* a lost callback hangs the loop; fail instead */
    uv_loop_init(&loop);
    RUN(test_lock_sorted_distinct);
    RUN(test_lock_failure);
    RUN(test_commit_failure_answers_seq_0);
    RUN(test_lock_skips_fenced);
    RUN(test_no_lock_op);
    RUN(test_settle);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    return TEST_MAIN_END();
}
