/* test_bus_mem - the in-process bus: fan-out across buses, the order of subscriptions and
 * publishes as Redis would make it, reference counting, a lost connection and its repair,
 * lost messages, TTL keys and scans, prefixes, closing, and the loop-driven mode. */
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "bus/bus_mem.h"
#include "bus_rec.h"
#include "test.h"

static bus_t *open_bus(bus_mem_net_t *net, const char *prefix, bus_rec_t *r)
{
    memset(r, 0, sizeof(*r));
    bus_opts_t o = {.prefix = prefix};
    bus_t *b = NULL;
    CHECK_EQ_INT(bus_mem_open(net, &o, &bus_rec_cbs, r, &b), 0);
    r->self = b;
    return b;
}

TEST(test_fan_out)
{
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    bus_rec_t ra, rb;
    bus_t *a = open_bus(net, NULL, &ra), *b = open_bus(net, NULL, &rb);
    CHECK(!bus_rec_stats(a).up);
    bus_mem_run(net);
    CHECK_EQ_INT(ra.ups, 1);
    CHECK_EQ_INT(rb.ups, 1);
    CHECK(bus_rec_stats(a).up);

    CHECK_EQ_INT(bus_subscribe(b, "ch:general"), 0);
    CHECK_EQ_INT(rb.nsub, 0); /* never inside the call */
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nsub, 1);
    CHECK_EQ_STR(rb.subs[0], "ch:general");

    CHECK_EQ_INT(bus_publish(a, "ch:general", "hello", 5), 0);
    CHECK_EQ_INT(bus_rec_stats(a).pending, 1);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 1);
    CHECK_EQ_STR(rb.msgs[0].topic, "ch:general");
    CHECK_EQ_MEM(rb.msgs[0].data, rb.msgs[0].len, "hello", 5);
    CHECK_EQ_INT(ra.nmsg, 0);
    CHECK_EQ_INT(bus_rec_stats(a).published, 1);
    CHECK_EQ_INT(bus_rec_stats(a).pending, 0);
    CHECK_EQ_INT(bus_rec_stats(b).received, 1);

    /* A publisher subscribed to its own topic gets its message back, as from Redis. */
    bus_subscribe(a, "ch:general");
    bus_mem_run(net);
    static const char bin[] = {'a', 0, 'b', 0};
    CHECK_EQ_INT(bus_publish(b, "ch:general", bin, sizeof(bin)), 0);
    CHECK_EQ_INT(bus_publish(b, "ch:general", NULL, 0), 0);
    bus_mem_run(net);
    CHECK_EQ_INT(ra.nmsg, 2);
    CHECK_EQ_INT(rb.nmsg, 3);
    CHECK_EQ_MEM(ra.msgs[0].data, ra.msgs[0].len, bin, sizeof(bin));
    CHECK_EQ_INT(ra.msgs[1].len, 0);

    bus_close(a);
    bus_close(b);
    bus_mem_net_free(net);
}

/* What Redis makes of the order: a publish applied before the subscription is not
 * delivered, one after is, and on_subscribed comes before it. */
TEST(test_subscribe_order)
{
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    bus_rec_t ra, rb;
    bus_t *a = open_bus(net, NULL, &ra), *b = open_bus(net, NULL, &rb);
    bus_mem_run(net);

    bus_publish(a, "t", "early", 5);
    bus_subscribe(b, "t");
    bus_publish(a, "t", "late", 4);
    bus_mem_step(net); /* the early publish: nobody subscribed yet */
    bus_mem_step(net); /* the subscription */
    bus_mem_step(net); /* the late publish */
    CHECK_EQ_INT(rb.nsub, 0);
    CHECK(bus_mem_step(net)); /* the confirmation */
    CHECK_EQ_INT(rb.nsub, 1);
    CHECK_EQ_INT(rb.nmsg, 0);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 1);
    CHECK_EQ_MEM(rb.msgs[0].data, rb.msgs[0].len, "late", 4);
    CHECK(!bus_mem_step(net));

    bus_close(a);
    bus_close(b);
    bus_mem_net_free(net);
}

TEST(test_refcount)
{
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    bus_rec_t ra, rb;
    bus_t *a = open_bus(net, NULL, &ra), *b = open_bus(net, NULL, &rb);
    bus_mem_run(net);

    CHECK_EQ_INT(bus_subscribe(b, "t"), 0);
    CHECK_EQ_INT(bus_subscribe(b, "t"), 0); /* not confirmed yet: its on_subscribed is due */
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nsub, 1); /* once per topic, not per reference */
    CHECK_EQ_INT(bus_subscribe(b, "t"), 1);
    CHECK_EQ_INT(bus_rec_stats(b).topics, 1);

    CHECK_EQ_INT(bus_unsubscribe(b, "t"), 0);
    CHECK_EQ_INT(bus_unsubscribe(b, "t"), 0);
    bus_publish(a, "t", "x", 1);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 1);
    CHECK_EQ_INT(bus_unsubscribe(b, "t"), 0);
    CHECK_EQ_INT(bus_rec_stats(b).topics, 0);
    bus_publish(a, "t", "y", 1);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 1);
    CHECK_EQ_INT(bus_unsubscribe(b, "t"), BUS_EINVAL);

    /* A message already on its way when the last reference goes is not delivered. */
    bus_subscribe(b, "u");
    bus_mem_run(net);
    bus_publish(a, "u", "z", 1);
    bus_mem_step(net); /* the publish: a message to b is on its way */
    bus_unsubscribe(b, "u");
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 1);

    /* Subscribed, unsubscribed and subscribed again before any answer: one on_subscribed,
     * and the topic is live. */
    rb.nsub = 0;
    bus_subscribe(b, "v");
    bus_unsubscribe(b, "v");
    CHECK_EQ_INT(bus_subscribe(b, "v"), 0);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nsub, 1);
    CHECK_EQ_INT(bus_subscribe(b, "v"), 1);
    bus_publish(a, "v", "w", 1);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 2);

    bus_close(a);
    bus_close(b);
    bus_mem_net_free(net);
}

TEST(test_down_and_up)
{
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    bus_rec_t ra, rb;
    bus_t *a = open_bus(net, NULL, &ra), *b = open_bus(net, NULL, &rb);
    bus_mem_run(net);
    bus_subscribe(b, "t");
    bus_subscribe(b, "u");
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nsub, 2);

    /* In flight when b's connection goes: a's publish is applied, its delivery to b lost. */
    bus_publish(a, "t", "lost", 4);
    bus_publish(b, "t", "mine", 4);
    bus_mem_step(net);
    bus_mem_set_up(b, false);
    CHECK(!bus_rec_stats(b).up);
    CHECK_EQ_INT(bus_rec_stats(b).dropped, 1); /* b's own publish, in flight */
    CHECK_EQ_INT(bus_publish(b, "t", "x", 1), BUS_EDROPPED);
    CHECK_EQ_INT(bus_rec_stats(b).dropped, 2);
    CHECK_EQ_INT(bus_setex(b, "k", "v", 1, 1000), BUS_EDOWN);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.downs, 1);
    CHECK_EQ_INT(rb.nmsg, 0);
    bus_publish(a, "t", "while down", 10);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 0);
    CHECK_EQ_INT(bus_rec_stats(b).topics, 2); /* references are kept */

    bus_mem_set_up(b, true);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.ups, 2);
    CHECK_EQ_INT(rb.nsub, 4); /* both topics confirmed again: catch up */
    CHECK_EQ_INT(bus_rec_stats(b).reconnects, 1);
    bus_publish(a, "u", "again", 5);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 1);
    CHECK_EQ_MEM(rb.msgs[0].data, rb.msgs[0].len, "again", 5);

    /* Down while connecting: no on_state at all, and what it queued is dropped. */
    bus_mem_set_up(b, false);
    bus_mem_run(net);
    bus_mem_set_up(b, true);
    CHECK_EQ_INT(bus_publish(b, "t", "queued", 6), 0);
    bus_mem_set_up(b, false);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.ups, 2);
    CHECK_EQ_INT(rb.downs, 2);
    CHECK_EQ_INT(bus_rec_stats(b).pending, 0);

    bus_close(a);
    bus_close(b);
    bus_mem_net_free(net);
}

TEST(test_lose_and_bound)
{
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    bus_rec_t ra, rb;
    bus_t *a = open_bus(net, NULL, &ra), *b = open_bus(net, NULL, &rb);
    bus_mem_run(net);
    bus_subscribe(b, "t");
    bus_mem_run(net);
    bus_publish(a, "t", "1", 1);
    bus_publish(a, "t", "2", 1);
    bus_mem_step(net);
    bus_mem_step(net);
    CHECK(bus_mem_lose(net)); /* the oldest delivery waiting */
    bus_mem_run(net);
    CHECK(!bus_mem_lose(net));
    CHECK_EQ_INT(rb.nmsg, 1);
    CHECK_EQ_MEM(rb.msgs[0].data, 1, "2", 1);
    bus_close(a);

    bus_opts_t o = {.max_pending = 2};
    CHECK_EQ_INT(bus_mem_open(net, &o, &bus_rec_cbs, &ra, &a), 0);
    /* Connecting: publishes wait for the connection, up to the bound. */
    CHECK_EQ_INT(bus_publish(a, "t", "q1", 2), 0);
    CHECK_EQ_INT(bus_publish(a, "t", "q2", 2), 0);
    CHECK_EQ_INT(bus_publish(a, "t", "q3", 2), BUS_EDROPPED);
    CHECK_EQ_INT(bus_rec_stats(a).dropped, 1);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 3);
    CHECK_EQ_INT(bus_rec_stats(a).published, 2);
    bus_close(a);
    bus_close(b);
    bus_mem_net_free(net);
}

TEST(test_keys)
{
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    bus_rec_t ra, rc;
    bus_t *a = open_bus(net, NULL, &ra), *c = open_bus(net, "other:", &rc);
    CHECK_EQ_INT(bus_setex(a, "pres:1", "x", 1, 1000), BUS_EDOWN); /* connecting */
    bus_mem_run(net);
    CHECK_EQ_INT(bus_setex(a, "pres:1", "alice", 5, 1000), 0);
    CHECK_EQ_INT(bus_setex(a, "pres:2", "bob", 3, 100), 0);
    CHECK_EQ_INT(bus_setex(a, "else", "z", 1, 1000), 0);
    bus_scan_rec_t s = {0}, s2 = {0};
    CHECK_EQ_INT(bus_scan_prefix(a, "pres:", bus_rec_scan, &s), 0);
    CHECK_EQ_INT(bus_scan_prefix(c, "", bus_rec_scan, &s2), 0);
    bus_mem_run(net);
    CHECK_EQ_INT(s.calls, 1);
    CHECK_EQ_INT(s.status, 0);
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_STR(bus_rec_scanned(&s, "pres:1"), "alice");
    CHECK_EQ_STR(bus_rec_scanned(&s, "pres:2"), "bob");
    CHECK_EQ_INT(s2.n, 0); /* another prefix, another namespace */

    bus_mem_advance(net, 100);
    memset(&s, 0, sizeof(s));
    bus_scan_prefix(a, "", bus_rec_scan, &s);
    bus_mem_run(net);
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_STR(bus_rec_scanned(&s, "pres:2"), ""); /* expired */
    CHECK_EQ_STR(bus_rec_scanned(&s, "else"), "z");

    bus_del(a, "pres:1");
    memset(&s, 0, sizeof(s));
    bus_scan_prefix(a, "pres:", bus_rec_scan, &s);
    bus_mem_run(net);
    CHECK_EQ_INT(s.n, 0);

    /* A scan cut by a lost connection, and one cut by close. */
    memset(&s, 0, sizeof(s));
    bus_scan_prefix(a, "", bus_rec_scan, &s);
    bus_mem_set_up(a, false);
    bus_mem_run(net);
    CHECK_EQ_INT(s.calls, 1);
    CHECK_EQ_INT(s.status, BUS_EDOWN);
    memset(&s, 0, sizeof(s));
    bus_scan_prefix(c, "", bus_rec_scan, &s);
    bus_close(c);
    CHECK_EQ_INT(s.calls, 1);
    CHECK_EQ_INT(s.status, BUS_ECLOSED);

    CHECK_EQ_INT(bus_setex(a, "k", "v", 1, 0), BUS_EINVAL);
    CHECK_EQ_INT(bus_setex(a, "", "v", 1, 10), BUS_EINVAL);
    CHECK_EQ_INT(bus_scan_prefix(a, "", NULL, NULL), BUS_EINVAL);
    bus_close(a);
    bus_mem_net_free(net);
}

TEST(test_names_and_prefixes)
{
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    bus_rec_t ra, rb;
    bus_t *a = open_bus(net, "one:", &ra), *b = open_bus(net, "two:", &rb);
    bus_mem_run(net);
    CHECK_EQ_INT(bus_subscribe(a, ""), BUS_EINVAL);
    CHECK_EQ_INT(bus_subscribe(a, "_bus:hb"), BUS_EINVAL);
    CHECK_EQ_INT(bus_publish(a, NULL, "x", 1), BUS_EINVAL);
    CHECK_EQ_INT(bus_publish(a, "t", NULL, 1), BUS_EINVAL);
    char big[BUS_TOPIC_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    CHECK_EQ_INT(bus_subscribe(a, big), BUS_EINVAL);
    big[BUS_TOPIC_MAX] = 0;
    CHECK_EQ_INT(bus_subscribe(a, big), 0);

    bus_subscribe(a, "t");
    bus_subscribe(b, "t");
    bus_mem_run(net);
    bus_publish(b, "t", "x", 1);
    bus_mem_run(net);
    CHECK_EQ_INT(ra.nmsg, 0); /* another cluster */
    CHECK_EQ_INT(rb.nmsg, 1);

    bus_opts_t bad = {.prefix =
                          "0123456789012345678901234567890123456789012345678901234567890123x"};
    bus_t *x = NULL;
    CHECK_EQ_INT(bus_mem_open(net, &bad, &bus_rec_cbs, NULL, &x), BUS_EINVAL);
    bus_close(a);
    bus_close(b);
    bus_mem_net_free(net);
}

/* A callback may close its own bus; the others go on. */
TEST(test_close_in_callback)
{
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    bus_rec_t ra, rb;
    bus_t *a = open_bus(net, NULL, &ra), *b = open_bus(net, NULL, &rb);
    bus_mem_run(net);
    bus_subscribe(b, "t");
    bus_subscribe(a, "t");
    bus_mem_run(net);
    rb.close_on_message = true;
    bus_publish(a, "t", "1", 1);
    bus_publish(a, "t", "2", 1);
    bus_mem_run(net);
    CHECK_EQ_INT(rb.nmsg, 1);
    CHECK(rb.self == NULL);
    CHECK_EQ_INT(ra.nmsg, 2);
    bus_close(a);
    bus_mem_net_free(net);
}

static void on_wake(uv_timer_t *t)
{
    (void)t;
}

/* With a loop the steps run by themselves, on later turns. */
TEST(test_loop_mode)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_mem_net_t *net = bus_mem_net_new(&loop);
    bus_rec_t ra, rb;
    bus_t *a = open_bus(net, NULL, &ra), *b = open_bus(net, NULL, &rb);
    bus_subscribe(b, "t");
    bus_publish(a, "t", "queued", 6); /* may come before b's subscription: lost or not */
    uv_timer_t wake;
    uv_timer_init(&loop, &wake);
    uv_timer_start(&wake, on_wake, 10, 10);
    for (int i = 0; i < 200 && rb.nsub < 1; i++)
        uv_run(&loop, UV_RUN_ONCE);
    CHECK_EQ_INT(rb.ups, 1);
    CHECK_EQ_INT(rb.nsub, 1);
    int before = rb.nmsg;
    bus_publish(a, "t", "live", 4);
    for (int i = 0; i < 200 && rb.nmsg == before; i++)
        uv_run(&loop, UV_RUN_ONCE);
    CHECK_EQ_INT(rb.nmsg, before + 1);
    CHECK_EQ_MEM(rb.msgs[before].data, rb.msgs[before].len, "live", 4);
    bus_close(a);
    bus_close(b);
    bus_mem_net_free(net);
    uv_close((uv_handle_t *)&wake, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

int main(void)
{
    RUN(test_fan_out);
    RUN(test_subscribe_order);
    RUN(test_refcount);
    RUN(test_down_and_up);
    RUN(test_lose_and_bound);
    RUN(test_keys);
    RUN(test_names_and_prefixes);
    RUN(test_close_in_callback);
    RUN(test_loop_mode);
    return TEST_MAIN_END();
}
