/* test_stats - the histograms' buckets (each observation in the first bucket whose bound it
 * does not pass, bounds inclusive), their cumulative rendering in seconds, and the counters
 * of close codes and error codes, from several threads at once. */
#include "base/stats.h"

#include <pthread.h>
#include <string.h>

#include "test.h"

TEST(test_buckets_and_render)
{
    static stats_hist_t h;
    stats_hist_observe(&h, 0);        /* first bucket: le 0.0001 */
    stats_hist_observe(&h, 100);      /* on the bound: still the first */
    stats_hist_observe(&h, 101);      /* next: le 0.00025 */
    stats_hist_observe(&h, 1500000);  /* le 2.5 */
    stats_hist_observe(&h, 99000000); /* past every bound: +Inf only */
    CHECK_EQ_INT(h.bucket[0], 2);
    CHECK_EQ_INT(h.bucket[1], 1);
    CHECK_EQ_INT(h.bucket[13], 1);
    CHECK_EQ_INT(h.bucket[STATS_BUCKETS - 1], 1);
    buf_t b = BUF_INIT;
    stats_hist_render(&h, "t_seconds", "A test.", &b);
    buf_append(&b, "", 1);
    const char *t = b.data;
    CHECK(strstr(t, "# HELP t_seconds A test.\n# TYPE t_seconds histogram\n") == t);
    CHECK(strstr(t, "\nt_seconds_bucket{le=\"0.0001\"} 2\n") != NULL);
    CHECK(strstr(t, "\nt_seconds_bucket{le=\"0.00025\"} 3\n") != NULL);
    CHECK(strstr(t, "\nt_seconds_bucket{le=\"1\"} 3\n") != NULL);
    CHECK(strstr(t, "\nt_seconds_bucket{le=\"2.5\"} 4\n") != NULL);
    CHECK(strstr(t, "\nt_seconds_bucket{le=\"10\"} 4\n") != NULL);
    CHECK(strstr(t, "\nt_seconds_bucket{le=\"+Inf\"} 5\n") != NULL);
    CHECK(strstr(t, "\nt_seconds_sum 100.500201\nt_seconds_count 5\n") != NULL);
    buf_deinit(&b);
}

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10000; i++) {
        stats_observe(STATS_LOOP_LAG, (uint64_t)i);
        stats_ws_close(1008);
        stats_error(i % 2 ? "rate_limited" : "bad_request");
    }
    return NULL;
}

TEST(test_counters_from_threads)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    stats_ws_close(0);
    buf_t b = BUF_INIT;
    stats_render(&b);
    buf_append(&b, "", 1);
    CHECK(strstr(b.data, "\nparley_ws_closes_total{code=\"1008\"} 40000\n") != NULL);
    CHECK(strstr(b.data, "\nparley_ws_closes_total{code=\"0\"} 1\n") != NULL);
    CHECK(strstr(b.data, "\nparley_errors_total{code=\"rate_limited\"} 20000\n") != NULL);
    CHECK(strstr(b.data, "\nparley_errors_total{code=\"bad_request\"} 20000\n") != NULL);
    CHECK(strstr(b.data, "\nparley_loop_lag_seconds_count 40000\n") != NULL);
    CHECK(strstr(b.data, "\nparley_store_commit_seconds_count 0\n") != NULL);
    buf_deinit(&b);
}

int main(void)
{
    RUN(test_buckets_and_render);
    RUN(test_counters_from_threads);
    return TEST_MAIN_END();
}
