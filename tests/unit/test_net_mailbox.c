/* net_mailbox: items cross from a producer loop thread to a consumer loop thread in order,
 * none lost or doubled, with bursts larger than any array and a producer that publishes
 * both once per turn and by explicit flush. */
#include <stdlib.h>
#include <uv.h>

#include "net/net_mailbox.h"
#include "test.h"

#define ITEMS 200000
#define BURST 997 /* items put per producer turn: not a power of two */

typedef struct {
    uv_loop_t prod, cons;
    net_mailbox_t mb;
    uv_idle_t producer;
    size_t next_put, next_got, misordered;
    int done;
} fixture_t;

static void on_items(net_mailbox_t *mb, net_mail_t *items, size_t n)
{
    fixture_t *f = mb->data;
    for (size_t i = 0; i < n; i++) {
        if (items[i].n != f->next_got || items[i].type != (uint8_t)(f->next_got & 0xff))
            f->misordered++;
        f->next_got++;
    }
    if (f->next_got == ITEMS) {
        net_mailbox_close_consumer(mb);
        f->done = 1;
    }
}

static void produce(uv_idle_t *h)
{
    fixture_t *f = h->data;
    for (int i = 0; i < BURST && f->next_put < ITEMS; i++, f->next_put++) {
        net_mail_t m = {(uint8_t)(f->next_put & 0xff), 7, f, NULL, f->next_put};
        net_mailbox_put(&f->mb, &m);
    }
    if (f->next_put % (3 * BURST) == 0)
        net_mailbox_flush(&f->mb); /* sometimes at once, mostly at the end of the turn */
    if (f->next_put == ITEMS) {
        net_mailbox_flush(&f->mb);
        uv_idle_stop(h);
        uv_close((uv_handle_t *)h, NULL);
        net_mailbox_close_producer(&f->mb);
    }
}

static void run_producer(void *arg)
{
    fixture_t *f = arg;
    uv_run(&f->prod, UV_RUN_DEFAULT);
}

TEST(items_cross_in_order)
{
    fixture_t *f = calloc(1, sizeof(*f));
    uv_loop_init(&f->prod);
    uv_loop_init(&f->cons);
    CHECK_EQ_INT(net_mailbox_init(&f->mb, &f->prod, &f->cons, on_items, f), 0);
    uv_idle_init(&f->prod, &f->producer);
    f->producer.data = f;
    uv_idle_start(&f->producer, produce);
    uv_thread_t t;
    uv_thread_create(&t, run_producer, f);
    uv_run(&f->cons, UV_RUN_DEFAULT);
    uv_thread_join(&t);
    CHECK(f->done);
    CHECK_EQ_INT(f->next_got, ITEMS);
    CHECK_EQ_INT(f->misordered, 0);
    net_mail_vec_t left = {0};
    net_mailbox_take(&f->mb, &left);
    CHECK_EQ_INT(left.len, 0);
    free(left.v);
    CHECK_EQ_INT(uv_loop_close(&f->prod), 0);
    CHECK_EQ_INT(uv_loop_close(&f->cons), 0);
    net_mailbox_deinit(&f->mb);
    free(f);
}

TEST(take_returns_what_was_never_delivered)
{
    uv_loop_t a, b;
    uv_loop_init(&a);
    uv_loop_init(&b);
    net_mailbox_t mb;
    CHECK_EQ_INT(net_mailbox_init(&mb, &a, &b, on_items, NULL), 0);
    for (size_t i = 0; i < 10; i++) {
        net_mail_t m = {1, 0, NULL, NULL, i};
        net_mailbox_put(&mb, &m);
        if (i == 5)
            net_mailbox_flush(&mb); /* 0-5 published, 6-9 staged */
    }
    net_mail_vec_t left = {0};
    net_mailbox_take(&mb, &left);
    CHECK_EQ_INT(left.len, 10);
    for (size_t i = 0; i < left.len; i++)
        CHECK_EQ_INT(left.v[i].n, i);
    free(left.v);
    net_mailbox_close_producer(&mb);
    net_mailbox_close_consumer(&mb);
    uv_run(&a, UV_RUN_DEFAULT);
    uv_run(&b, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&a), 0);
    CHECK_EQ_INT(uv_loop_close(&b), 0);
    net_mailbox_deinit(&mb);
}

int main(void)
{
    items_cross_in_order();
    take_returns_what_was_never_delivered();
    return TEST_MAIN_END();
}
