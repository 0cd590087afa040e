/* test_chat_elsewhere - the table of who is online on other processes: events and snapshots
 * in every order (the newest word wins), tombstones, sweeps dropping a silent process, and
 * the count of names online elsewhere only. */
#include <stdio.h>
#include <string.h>

#include "chat/chat_elsewhere.h"
#include "test.h"

static struct {
    int on, off;
    const char *here; /* the one name online here, or NULL */
} seen;

static void changed(void *ctx, const char *name, bool on)
{
    (void)ctx;
    (void)name;
    if (on)
        seen.on++;
    else
        seen.off++;
}

static bool here(void *ctx, const char *name)
{
    (void)ctx;
    return seen.here && strcmp(seen.here, name) == 0;
}

static const chat_elsewhere_cbs_t cbs = {changed, here};

TEST(events_and_snapshots_newest_wins)
{
    memset(&seen, 0, sizeof(seen));
    chat_elsewhere_t *e = chat_elsewhere_new(&cbs, NULL);
    chat_elsewhere_event(e, 7, 1, "alice", true);
    chat_elsewhere_event(e, 8, 1, "alice", true); /* a second process: no second join */
    CHECK(chat_elsewhere_has(e, "alice"));
    CHECK_EQ_INT(seen.on, 1);
    chat_elsewhere_event(e, 7, 2, "alice", false);
    CHECK(chat_elsewhere_has(e, "alice")); /* still on process 8 */
    CHECK_EQ_INT(seen.off, 0);
    /* An old snapshot of 7 (before its change 2) does not bring her back there. */
    const char *old[] = {"alice", "bob"};
    chat_elsewhere_snapshot(e, 7, 1, old, 2);
    chat_elsewhere_event(e, 8, 2, "alice", false);
    CHECK(!chat_elsewhere_has(e, "alice"));
    CHECK(chat_elsewhere_has(e, "bob"));
    CHECK_EQ_INT(seen.off, 1);
    /* A lost "carol on" (7's change 3) is brought by its next snapshot; bob left meanwhile. */
    const char *now[] = {"carol"};
    chat_elsewhere_snapshot(e, 7, 4, now, 1);
    CHECK(chat_elsewhere_has(e, "carol"));
    CHECK(!chat_elsewhere_has(e, "bob"));
    CHECK_EQ_INT(chat_elsewhere_count(e), 1);
    /* Online here too: not counted as elsewhere only. */
    seen.here = "carol";
    chat_elsewhere_here(e, "carol", true);
    CHECK_EQ_INT(chat_elsewhere_only(e), 0);
    chat_elsewhere_event(e, 7, 5, "carol", false);
    CHECK_EQ_INT(chat_elsewhere_only(e), 0);
    CHECK_EQ_INT(chat_elsewhere_count(e), 0);
    chat_elsewhere_free(e);
}

TEST(a_sweep_drops_a_silent_process)
{
    memset(&seen, 0, sizeof(seen));
    chat_elsewhere_t *e = chat_elsewhere_new(&cbs, NULL);
    const char *a[] = {"alice", "bob"}, *b[] = {"bob"};
    chat_elsewhere_snapshot(e, 1, 0, a, 2);
    chat_elsewhere_snapshot(e, 2, 0, b, 1);
    CHECK_EQ_INT(chat_elsewhere_procs(e), 2);
    /* A scan finds only 2's key; 3 speaks during it: 1 is gone, 3 stays. */
    chat_elsewhere_sweep_begin(e);
    chat_elsewhere_event(e, 3, 1, "dave", true);
    chat_elsewhere_snapshot(e, 2, 0, b, 1);
    chat_elsewhere_sweep_end(e);
    CHECK(!chat_elsewhere_has(e, "alice"));
    CHECK(chat_elsewhere_has(e, "bob"));
    CHECK(chat_elsewhere_has(e, "dave"));
    CHECK_EQ_INT(chat_elsewhere_procs(e), 2);
    size_t n = 0;
    chat_elsewhere_names_t it = chat_elsewhere_names(e);
    while (chat_elsewhere_names_next(&it))
        n++;
    CHECK_EQ_INT(n, 2);
    /* Many names: the table grows and finds them all. */
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        chat_elsewhere_event(e, 2, 10 + (uint64_t)i, name, true);
    }
    CHECK_EQ_INT(chat_elsewhere_count(e), 1002);
    chat_elsewhere_drop(e, 2);
    CHECK_EQ_INT(chat_elsewhere_count(e), 1);
    CHECK_EQ_INT(seen.off, 1001 + 1);
    chat_elsewhere_free(e);
}

int main(void)
{
    RUN(events_and_snapshots_newest_wins);
    RUN(a_sweep_drops_a_silent_process);
    return TEST_MAIN_END();
}
