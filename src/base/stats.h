/* stats - the process's latency histograms and its counters of close codes and error codes,
 * for /metrics (Prometheus text). Process-wide, written from any thread (the loops, the
 * hub's, the store's writer): bucket counts are relaxed atomics, so several connection loops
 * add to the same numbers and /metrics on any loop reads them all, with no lock on the hot
 * path. A reader may see an observation's bucket before its sum: each line is exact, the
 * page is a moment's approximation, as Prometheus expects.
 *
 * Histograms measure microseconds and are rendered in seconds (Prometheus' base unit), with
 * cumulative buckets from 100 us to 10 s and +Inf; _count is the +Inf bucket. */
#ifndef PARLEY_STATS_H
#define PARLEY_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "base/buf.h"

#define STATS_BUCKETS 17 /* the bounds of stats_bounds_us, and +Inf */

/* One histogram: counts per bucket (not cumulative: bucket i holds observations in
 * (bound[i-1], bound[i]]), and the sum of every observation. */
typedef struct {
    _Atomic uint64_t bucket[STATS_BUCKETS];
    _Atomic uint64_t sum_us;
} stats_hist_t;

/* The upper bounds, in microseconds, of the first STATS_BUCKETS - 1 buckets. */
extern const uint64_t stats_bounds_us[STATS_BUCKETS - 1];

/* Adds one observation of us microseconds to h. Thread-safe. */
void stats_hist_observe(stats_hist_t *h, uint64_t us);
/* Appends h (borrowed) as the histogram `name` with its HELP text: # HELP, # TYPE, the
 * cumulative name_bucket{le="..."} lines, name_sum (seconds) and name_count. */
void stats_hist_render(const stats_hist_t *h, const char *name, const char *help, buf_t *out);

/* The process's histograms. */
typedef enum {
    STATS_STORE_COMMIT, /* a write transaction of the store, begin to commit returned */
    STATS_LOOP_LAG,     /* how late a loop's 100 ms timer fired (every loop: connections, hub) */
    STATS_DELIVERY,     /* a message accepted by the hub -> its frame handed to recipients */
    STATS_SIGN_IN,      /* a sign-in (password check included) -> its answer */
    STATS_NHIST
} stats_which_t;

/* Adds us microseconds to the process's histogram `which`. Thread-safe. */
void stats_observe(stats_which_t which, uint64_t us);
/* A loop's lag, from a repeating timer of period_us that calls this each time it fires: how
 * much later than due it fired (the time the loop was busy elsewhere) goes to
 * STATS_LOOP_LAG. *last_us is the timer's own (its previous firing, stats_now_us at start). */
void stats_loop_lag(uint64_t *last_us, uint64_t period_us);
/* Monotonic microseconds, for the durations given to stats_observe. */
uint64_t stats_now_us(void);

/* Counts a WebSocket close frame sent with code (0: one without a code). Thread-safe. */
void stats_ws_close(uint16_t code);
/* Counts an error sent to a client with this protocol code (a static string: kept by
 * address and compared by text; past STATS_CODES_MAX distinct codes they count as "other").
 * Thread-safe. */
#define STATS_CODES_MAX 64
void stats_error(const char *code);

/* Appends every histogram and counter of the process to out. */
void stats_render(buf_t *out);

#endif
