/* stats - process-wide histograms and counters; see stats.h. */
#include "base/stats.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

const uint64_t stats_bounds_us[STATS_BUCKETS - 1] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

/* The bounds as Prometheus reads them: seconds, exactly as written. */
static const char *const bound_text[STATS_BUCKETS] = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
    "0.1",    "0.25",    "0.5",    "1",     "2.5",    "5",     "10",   "+Inf"};

void stats_hist_observe(stats_hist_t *h, uint64_t us)
{
    size_t i = 0;
    while (i < STATS_BUCKETS - 1 && us > stats_bounds_us[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void stats_hist_render(const stats_hist_t *h, const char *name, const char *help, buf_t *out)
{
    buf_appendf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t total = 0;
    for (size_t i = 0; i < STATS_BUCKETS; i++) {
        total += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        buf_appendf(out, "%s_bucket{le=\"%s\"} %llu\n", name, bound_text[i],
                    (unsigned long long)total);
    }
    uint64_t sum = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
    buf_appendf(out, "%s_sum %llu.%06llu\n%s_count %llu\n", name,
                (unsigned long long)(sum / 1000000), (unsigned long long)(sum % 1000000), name,
                (unsigned long long)total);
}

static stats_hist_t hists[STATS_NHIST];

static const struct {
    const char *name, *help;
} hist_names[STATS_NHIST] = {
    [STATS_STORE_COMMIT] = {"parley_store_commit_seconds",
                            "Write transactions of the store, from begin to commit returned."},
    [STATS_LOOP_LAG] =
        {"parley_loop_lag_seconds",
         "How late each event loop's 100 ms timer fired (connection loops and the hub's)."},
    [STATS_DELIVERY] = {"parley_delivery_seconds",
                        "Messages from accepted by the hub (commit included) to their frame "
                        "handed to the recipients' connections."},
    [STATS_SIGN_IN] = {"parley_sign_in_seconds",
                       "Sign-ins with a password, from the request to its answer."},
};

void stats_observe(stats_which_t which, uint64_t us)
{
    if ((unsigned)which < STATS_NHIST)
        stats_hist_observe(&hists[which], us);
}

uint64_t stats_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Close codes are 1000-4999 (RFC 6455 7.4); 0 stands for a close without one. */
#define CLOSE_CODES 5000
static _Atomic uint64_t closes[CLOSE_CODES];

void stats_ws_close(uint16_t code)
{
    atomic_fetch_add_explicit(&closes[code < CLOSE_CODES ? code : 0], 1, memory_order_relaxed);
}

/* Error codes: a short table, appended under a lock the first time a code is seen; counts
 * are atomics, read without the lock up to the published length. */
static pthread_mutex_t codes_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *codes[STATS_CODES_MAX];
static _Atomic uint64_t code_counts[STATS_CODES_MAX];
static _Atomic size_t ncodes;

static size_t find_code(const char *code, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (codes[i] == code || strcmp(codes[i], code) == 0)
            return i;
    return n;
}

void stats_error(const char *code)
{
    if (!code)
        return;
    size_t n = atomic_load_explicit(&ncodes, memory_order_acquire);
    size_t i = find_code(code, n);
    if (i == n) {
        pthread_mutex_lock(&codes_mu);
        n = atomic_load_explicit(&ncodes, memory_order_relaxed);
        i = find_code(code, n);
        if (i == n && n < STATS_CODES_MAX - 1) {
            codes[n] = code;
            atomic_store_explicit(&ncodes, n + 1, memory_order_release);
        } else if (i == n) {
            i = STATS_CODES_MAX - 1; /* "other" */
        }
        pthread_mutex_unlock(&codes_mu);
    }
    atomic_fetch_add_explicit(&code_counts[i], 1, memory_order_relaxed);
}

void stats_render(buf_t *out)
{
    for (int i = 0; i < STATS_NHIST; i++)
        stats_hist_render(&hists[i], hist_names[i].name, hist_names[i].help, out);
    buf_appendf(out, "# HELP parley_ws_closes_total WebSocket close frames sent, by close "
                     "code (0: without a code).\n# TYPE parley_ws_closes_total counter\n");
    for (size_t c = 0; c < CLOSE_CODES; c++) {
        uint64_t n = atomic_load_explicit(&closes[c], memory_order_relaxed);
        if (n)
            buf_appendf(out, "parley_ws_closes_total{code=\"%zu\"} %llu\n", c,
                        (unsigned long long)n);
    }
    buf_appendf(out, "# HELP parley_errors_total Errors sent to clients, by protocol error "
                     "code.\n# TYPE parley_errors_total counter\n");
    size_t n = atomic_load_explicit(&ncodes, memory_order_acquire);
    for (size_t i = 0; i < STATS_CODES_MAX; i++) {
        if (i >= n && i != STATS_CODES_MAX - 1)
            continue;
        uint64_t k = atomic_load_explicit(&code_counts[i], memory_order_relaxed);
        if (k)
            buf_appendf(out, "parley_errors_total{code=\"%s\"} %llu\n", i < n ? codes[i] : "other",
                        (unsigned long long)k);
    }
}

void stats_loop_lag(uint64_t *last_us, uint64_t period_us)
{
    uint64_t now = stats_now_us(), due = *last_us + period_us;
    stats_observe(STATS_LOOP_LAG, now > due ? now - due : 0);
    *last_us = now;
}
