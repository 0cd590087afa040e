/* test_auth_rate - token buckets (a full start, refill at the rate up to the burst, costs,
 * a cost above the burst taken as the burst, the wait until a cost passes) and the bounded
 * table of them per key (least recently used evicted, memory bounded). */
#include <stdio.h>

#include "auth/auth_rate.h"
#include "auth/auth_token.h"
#include "test.h"

TEST(bucket_refills_and_costs)
{
    auth_bucket_t b = {0};
    /* a new bucket is full: 40 at once, at 20 a second */
    auth_bucket_fill(&b, 20, 40, 1000);
    CHECK_EQ_INT(auth_bucket_wait(&b, 20, 40, 40), 0);
    auth_bucket_take(&b, 40, 35);
    CHECK_EQ_INT(auth_bucket_wait(&b, 20, 40, 5), 0);
    auth_bucket_take(&b, 40, 5);
    /* empty: 5 more tokens take 250 ms at 20 a second; one takes 50 */
    CHECK_EQ_INT(auth_bucket_wait(&b, 20, 40, 5), 250);
    CHECK_EQ_INT(auth_bucket_wait(&b, 20, 40, 1), 50);
    auth_bucket_fill(&b, 20, 40, 1100); /* 100 ms: 2 tokens */
    CHECK_EQ_INT(auth_bucket_wait(&b, 20, 40, 2), 0);
    CHECK_EQ_INT(auth_bucket_wait(&b, 20, 40, 3), 50);
    /* never above the burst, however long it rested */
    auth_bucket_fill(&b, 20, 40, 1000000);
    CHECK(b.tokens == 40);
    /* a cost above the burst is the burst: it passes on a full bucket, and takes it all */
    CHECK_EQ_INT(auth_bucket_wait(&b, 20, 40, 100), 0);
    auth_bucket_take(&b, 40, 100);
    CHECK(b.tokens == 0);
    CHECK_EQ_INT(auth_bucket_wait(&b, 20, 40, 100), 2000);
    /* a charge (spent on another process) takes what the bucket does not hold, into a debt
     * of at most one burst, which the rate pays back before anything passes here */
    auth_bucket_t d = {0};
    auth_bucket_charge(&d, 20, 40, 30, 1000);
    CHECK(d.tokens == 10);
    auth_bucket_charge(&d, 20, 40, 30, 1000);
    CHECK(d.tokens == -20);
    CHECK_EQ_INT(auth_bucket_wait(&d, 20, 40, 1), 1050);
    for (int i = 0; i < 10; i++)
        auth_bucket_charge(&d, 20, 40, 40, 1000);
    CHECK(d.tokens == -40);
    auth_bucket_charge(&d, 20, 40, 1, 3050); /* 2050 ms: 41 tokens back, 1 spent */
    CHECK(d.tokens == 0);
    /* a wait is whole milliseconds, rounded up, at least 1 */
    auth_bucket_t c = {0};
    auth_bucket_fill(&c, 3, 1, 5);
    auth_bucket_take(&c, 1, 1);
    CHECK_EQ_INT(auth_bucket_wait(&c, 3, 1, 1), 334);
    c.tokens = 0.9999999;
    CHECK_EQ_INT(auth_bucket_wait(&c, 3, 1, 1), 1);
    /* time that goes backwards adds nothing */
    auth_bucket_fill(&c, 3, 1, 1);
    CHECK(c.tokens < 1);
}

TEST(table_keeps_buckets_per_key_bounded)
{
    auth_rates_t *t = auth_rates_new(3);
    auth_bucket_t *a = auth_rates_get(t, "10.0.0.1", 8);
    auth_bucket_fill(a, 1, 10, 100);
    auth_bucket_take(a, 10, 10);
    CHECK(auth_rates_get(t, "10.0.0.1", 8) == a); /* the same bucket again */
    CHECK(a->tokens == 0);
    auth_bucket_t *b = auth_rates_get(t, "10.0.0.2", 8);
    CHECK(b != a && b->ms == 0); /* a new key: a full bucket */
    auth_rates_get(t, "10.0.0.3", 8);
    CHECK_EQ_INT(auth_rates_size(t), 3);
    /* .1 is used again, so .2 is the least recently used: a fourth key evicts it */
    CHECK(auth_rates_get(t, "10.0.0.1", 8)->tokens == 0);
    auth_rates_get(t, "10.0.0.4", 8);
    CHECK_EQ_INT(auth_rates_size(t), 3);
    CHECK(auth_rates_get(t, "10.0.0.1", 8)->tokens == 0); /* kept */
    CHECK(auth_rates_get(t, "10.0.0.2", 8)->ms == 0);     /* forgotten: full again */
    /* a flood of keys leaves the table at its bound */
    char key[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(key, sizeof(key), "192.0.2.%d", i);
        auth_rates_get(t, key, (size_t)n);
    }
    CHECK_EQ_INT(auth_rates_size(t), 3);
    auth_rates_free(t);
    auth_rates_free(NULL);
}

int main(void)
{
    if (auth_init() != 0)
        return 1;
    RUN(bucket_refills_and_costs);
    RUN(table_keeps_buckets_per_key_bounded);
    return TEST_MAIN_END();
}
