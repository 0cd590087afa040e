/* test_store_mem - what store_mem adds to the store.h contract (which test_store_conformance
 * checks in its automatic mode): manual mode, with no loop at all, where the test completes
 * each operation when it chooses, and the fault switch. */
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store_mem.h"
#include "test.h"

typedef struct {
    int fired, status;
    size_t n;
    uint64_t first; /* a read: its first row's seq; an append: the seq answered */
} slot_t;

static slot_t slots[16];
static int nslot;
static store_t *reentrant;

static slot_t *next_slot(void)
{
    return &slots[nslot++];
}

static void on_write(void *ctx, int status)
{
    slot_t *sl = ctx;
    sl->fired++;
    sl->status = status;
}

static void on_rows(void *ctx, int status, const store_msg_t *m, size_t n, bool more)
{
    (void)more;
    slot_t *sl = ctx;
    sl->fired++;
    sl->status = status;
    sl->n = n;
    sl->first = n ? m[0].seq : 0;
}

static void on_append(void *ctx, int status, uint64_t seq, bool duplicate)
{
    CHECK(!duplicate);
    on_write(ctx, status);
    ((slot_t *)ctx)->first = seq;
}

static void submit_more(void *ctx, int status, uint64_t seq, bool duplicate)
{
    on_append(ctx, status, seq, duplicate);
    store_msg_t m = {.channel = "g", .seq = 3, .user = "u", .text = "from a callback"};
    CHECK_EQ_INT(store_append(reentrant, &m, on_append, next_slot()), 0);
}

static int append(store_t *s, uint64_t seq, store_appended_cb cb)
{
    store_msg_t m = {.channel = "g", .seq = seq, .user = "u", .text = "t"};
    return store_append(s, &m, cb, next_slot());
}

/* Nothing completes by itself; step completes the oldest, synchronously; a read sees the
 * writes completed before it; run also completes what callbacks submit. */
TEST(test_manual_steps)
{
    store_t *s = reentrant = store_mem_open(NULL, STORE_MEM_MANUAL); /* no loop at all */
    CHECK_EQ_INT(store_mem_pending(s), 0);
    CHECK(!store_mem_step(s));
    CHECK_EQ_INT(append(s, 1, on_append), 0);
    store_query_t q = {"g", 0, 0, 10, false, 0, false, NULL, NULL, 0, 0};
    CHECK_EQ_INT(store_query(s, &q, on_rows, next_slot()), 0);
    CHECK_EQ_INT(append(s, 2, submit_more), 0);
    CHECK_EQ_INT(store_mem_pending(s), 3);
    CHECK_EQ_INT(slots[0].fired, 0);
    CHECK(store_mem_step(s));
    CHECK_EQ_INT(slots[0].fired, 1);
    CHECK_EQ_INT(slots[1].fired, 0);
    CHECK(store_mem_step(s));
    CHECK_EQ_INT(slots[1].n, 1); /* seq 1, not seq 2 submitted after it */
    CHECK_EQ_INT(slots[1].first, 1);
    CHECK_EQ_INT(store_mem_run(s), 2); /* seq 2, then what its callback submitted */
    CHECK_EQ_INT(slots[3].fired, 1);
    CHECK_EQ_INT(slots[3].status, 0);
    CHECK_EQ_INT(store_mem_pending(s), 0);
    store_stats_t st;
    store_stats(s, &st);
    CHECK_EQ_INT(st.appends, 3);
    store_close(s);
}

/* The fault switch fails the write tried while it is on and fences everything behind it,
 * until a recover; probes tell when writes work again; close with no loop answers all. */
TEST(test_manual_failure)
{
    nslot = 0;
    store_t *s = store_mem_open(NULL, STORE_MEM_MANUAL);
    store_mem_fail_writes(s, true);
    CHECK_EQ_INT(append(s, 1, on_append), 0);
    CHECK_EQ_INT(append(s, 2, on_append), 0);
    CHECK_EQ_INT(store_probe(s, on_write, next_slot()), 0);
    CHECK(store_mem_step(s));
    store_mem_fail_writes(s, false);
    CHECK_EQ_INT(store_mem_run(s), 2);
    CHECK_EQ_INT(slots[0].status, STORE_EFAILED);
    CHECK_EQ_INT(slots[1].status, STORE_EFAILED); /* behind the failure: untried */
    CHECK_EQ_INT(slots[2].status, 0);             /* the probe: the store works again */
    store_stats_t st;
    store_stats(s, &st);
    CHECK(st.failed);
    CHECK_EQ_INT(st.failures, 1);
    store_recover(s);
    CHECK_EQ_INT(append(s, 1, on_append), 0);
    CHECK_EQ_INT(store_probe(s, on_write, next_slot()), 0);
    store_close(s); /* answers what is pending and frees, with no loop */
    CHECK_EQ_INT(slots[3].status, 0);
    CHECK_EQ_INT(slots[4].fired, 1);
}

/* A group's ops are not pending until its end; its writes run together when the first of
 * them completes, each still answered in its own step; a failing one puts back the state. */
TEST(test_manual_group)
{
    nslot = 0;
    memset(slots, 0, sizeof(slots));
    store_t *s = store_mem_open(NULL, STORE_MEM_MANUAL);
    store_group_begin(s);
    CHECK_EQ_INT(append(s, 1, on_append), 0);
    CHECK_EQ_INT(append(s, 2, on_append), 0);
    CHECK_EQ_INT(store_mem_pending(s), 0);
    CHECK(!store_mem_step(s));
    store_group_end(s);
    CHECK_EQ_INT(store_mem_pending(s), 2);
    store_query_t q = {"g", 0, 0, 10, false, 0, false, NULL, NULL, 0, 0};
    CHECK(store_mem_step(s)); /* the first write: both are stored now */
    CHECK(slots[0].fired == 1 && slots[1].fired == 0);
    uint64_t last = 0;
    CHECK_EQ_INT(store_last_seq(s, "g", &last), 0);
    CHECK_EQ_INT(last, 2);
    CHECK_EQ_INT(store_mem_run(s), 1);
    CHECK_EQ_INT(slots[1].status, 0);

    store_group_begin(s);
    CHECK_EQ_INT(append(s, 3, on_append), 0);
    CHECK_EQ_INT(append(s, 1, on_append), 0); /* taken: fails the group */
    CHECK_EQ_INT(store_query(s, &q, on_rows, next_slot()), 0);
    store_group_end(s);
    CHECK(store_mem_step(s));
    CHECK_EQ_INT(slots[2].status, STORE_EFAILED); /* though it alone would have been stored */
    CHECK_EQ_INT(store_mem_run(s), 2);
    CHECK_EQ_INT(slots[3].status, STORE_EFAILED);
    CHECK_EQ_INT(slots[4].n, 2); /* seq 3 was put back */
    store_stats_t st;
    store_stats(s, &st);
    CHECK(st.failed && st.failures == 1 && st.commits == 1 && st.appends == 2);
    store_close(s);
}

int main(void)
{
    alarm(30);
    RUN(test_manual_steps);
    RUN(test_manual_failure);
    RUN(test_manual_group);
    return TEST_MAIN_END();
}
