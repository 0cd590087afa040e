/* Unit tests for net/net_peers: what counts as one client (an IPv4 address, an IPv6 /64, a
 * mapped IPv4 as itself), the cap, and a table that grows and shrinks through thousands of
 * clients with every count exact; and base/budget, the other shared count of the doors. */
#include "net/net_peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "base/budget.h"
#include "test.h"

static net_peer_t v4(const char *text)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(1234)};
    inet_pton(AF_INET, text, &sa.sin_addr);
    net_peer_t p = {0};
    CHECK_EQ_INT(net_peer_of((struct sockaddr *)&sa, &p), 0);
    return p;
}

static net_peer_t v6(const char *text)
{
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(1234)};
    inet_pton(AF_INET6, text, &sa.sin6_addr);
    net_peer_t p = {0};
    CHECK_EQ_INT(net_peer_of((struct sockaddr *)&sa, &p), 0);
    return p;
}

static bool same(net_peer_t a, net_peer_t b)
{
    return a.bits == b.bits && a.v6 == b.v6;
}

static void check_name(net_peer_t p, const char *want)
{
    char name[64];
    net_peer_name(&p, name, sizeof(name));
    CHECK_EQ_STR(name, want);
}

TEST(test_peer_of)
{
    CHECK(same(v4("127.0.0.1"), v4("127.0.0.1")));
    CHECK(!same(v4("127.0.0.1"), v4("127.0.0.2")));
    /* One /64 is one client, whatever its host half; the next /64 is another. */
    CHECK(same(v6("2001:db8:1:2::1"), v6("2001:db8:1:2:ffff:ffff:ffff:ffff")));
    CHECK(!same(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1")));
    /* A mapped IPv4 address is that address, not ::/64 (every mapped address's /64). */
    CHECK(same(v6("::ffff:192.0.2.7"), v4("192.0.2.7")));
    CHECK(!same(v6("::ffff:192.0.2.7"), v6("::ffff:192.0.2.8")));
    CHECK(!same(v6("::1"), v4("0.0.0.1")));
    struct sockaddr sa = {.sa_family = AF_UNIX};
    net_peer_t p;
    CHECK_EQ_INT(net_peer_of(&sa, &p), -1);
    check_name(v4("203.0.113.7"), "203.0.113.7");
    check_name(v6("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    check_name(v6("::ffff:10.1.2.3"), "10.1.2.3");
}

TEST(test_cap)
{
    net_peers_t *t = net_peers_new(3);
    net_peer_t a = v4("10.0.0.1"), b = v4("10.0.0.2"), c = v6("2001:db8::1");
    net_peer_t c2 = v6("2001:db8::2"); /* c's /64 */
    for (int i = 0; i < 3; i++)
        CHECK(net_peers_take(t, &a));
    CHECK(!net_peers_take(t, &a)); /* the fourth: refused, and not counted */
    CHECK_EQ_INT(net_peers_count(t, &a), 3);
    CHECK(net_peers_take(t, &b)); /* another address is not touched by a's cap */
    CHECK(net_peers_take(t, &c));
    CHECK(net_peers_take(t, &c2));
    CHECK(net_peers_take(t, &c));
    CHECK(!net_peers_take(t, &c)); /* 2001:db8::/64 has its 3 */
    CHECK_EQ_INT(net_peers_clients(t), 3);
    net_peers_give(t, &a);
    CHECK(net_peers_take(t, &a)); /* one closed: one may come */
    for (int i = 0; i < 3; i++)
        net_peers_give(t, &a);
    CHECK_EQ_INT(net_peers_count(t, &a), 0);
    CHECK_EQ_INT(net_peers_clients(t), 2);
    net_peers_free(t);
    net_peers_free(NULL);
}

/* Thousands of clients in and out, in an order that removes from the middle of probe runs:
 * every count stays exact (backward-shift deletion loses nobody), and the table returns to
 * its smallest size once they are gone. */
TEST(test_many)
{
    enum { N = 5000 };
    net_peers_t *t = net_peers_new(2);
    int bad = 0;
    for (uint32_t i = 0; i < N; i++) {
        net_peer_t p = {0x0a000000u + i, false};
        bad += !net_peers_take(t, &p);
        bad += (i % 3 == 0) && !net_peers_take(t, &p);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(net_peers_clients(t), N);
    for (uint32_t i = 0; i < N; i += 2) {
        net_peer_t p = {0x0a000000u + i, false};
        net_peers_give(t, &p);
        if (i % 3 == 0)
            net_peers_give(t, &p);
    }
    for (uint32_t i = 0; i < N; i++) {
        net_peer_t p = {0x0a000000u + i, false};
        unsigned want = i % 2 ? (i % 3 == 0 ? 2 : 1) : 0;
        bad += net_peers_count(t, &p) != want;
    }
    CHECK_EQ_INT(bad, 0);
    for (uint32_t i = 1; i < N; i += 2) {
        net_peer_t p = {0x0a000000u + i, false};
        net_peers_give(t, &p);
        if (i % 3 == 0)
            net_peers_give(t, &p);
    }
    CHECK_EQ_INT(net_peers_clients(t), 0);
    net_peers_free(t);
}

typedef struct {
    net_peers_t *t;
    budget_t *b;
    int refused_wrongly;
} worker_t;

/* Takes and gives back on one client and one budget from several threads at once. */
static void hammer(void *arg)
{
    worker_t *w = arg;
    net_peer_t p = {42, false};
    for (int i = 0; i < 20000; i++) {
        bool in = net_peers_take(w->t, &p);
        if (in)
            net_peers_give(w->t, &p);
        if (budget_take(w->b, 100, 100)) {
            if (budget_used(w->b) > 1000)
                w->refused_wrongly++; /* over the limit: must never be seen */
            budget_give(w->b, 100);
        }
    }
}

TEST(test_threads)
{
    net_peers_t *t = net_peers_new(2);
    budget_t b;
    budget_init(&b, 1000);
    worker_t w[4];
    uv_thread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){t, &b, 0};
        uv_thread_create(&th[i], hammer, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        uv_thread_join(&th[i]);
        CHECK_EQ_INT(w[i].refused_wrongly, 0);
    }
    CHECK_EQ_INT(net_peers_clients(t), 0);
    CHECK_EQ_INT(budget_used(&b), 0);
    net_peers_free(t);
}

TEST(test_budget)
{
    budget_t b;
    budget_init(&b, 100);
    CHECK(budget_take(&b, 60, 60));
    CHECK(!budget_take(&b, 41, 41)); /* all or nothing */
    CHECK_EQ_INT(budget_used(&b), 60);
    CHECK(budget_take(&b, 40, 40));
    CHECK(!budget_take(&b, 1, 1));
    CHECK(budget_take(&b, 0, 0));
    budget_give(&b, 100);
    CHECK(!budget_take(&b, 101, 101));
    CHECK(!budget_take(&b, SIZE_MAX, 0));
    CHECK(budget_take(NULL, SIZE_MAX, SIZE_MAX)); /* no budget: everything */
    budget_give(NULL, 5);
    CHECK_EQ_INT(budget_used(NULL), 0);
    /* A holder past BUDGET_SMALL draws on three quarters; the last quarter stays for small
     * ones. */
    budget_init(&b, 100 * 1024);
    CHECK(budget_take(&b, 60 * 1024, 60 * 1024));
    CHECK(!budget_take(&b, 16 * 1024, 76 * 1024)); /* 76 KiB > 75 KiB */
    CHECK(!budget_take(&b, 20 * 1024, 20 * 1024)); /* large from the start: the same */
    CHECK(budget_take(&b, 15 * 1024, 75 * 1024));  /* exactly three quarters */
    CHECK(budget_take(&b, 16 * 1024, 16 * 1024));  /* small: into the last quarter */
    CHECK(!budget_take(&b, 10 * 1024, 10 * 1024)); /* 101 KiB: over, small or not */
    CHECK(budget_take(&b, 9 * 1024, 9 * 1024));
    CHECK_EQ_INT(budget_used(&b), 100 * 1024);
    budget_init(&b, 0); /* no limit: counted all the same */
    CHECK(budget_take(&b, SIZE_MAX / 2, SIZE_MAX / 2));
    CHECK_EQ_INT(budget_used(&b), SIZE_MAX / 2);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    RUN(test_peer_of);
    RUN(test_cap);
    RUN(test_many);
    RUN(test_threads);
    RUN(test_budget);
    return TEST_MAIN_END();
}
