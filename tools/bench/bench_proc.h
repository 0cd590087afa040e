/* bench_proc - the server's memory and CPU as Linux shows them in /proc/PID. */
#ifndef PARLEY_BENCH_PROC_H
#define PARLEY_BENCH_PROC_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool ok;            /* false: no pid given, or the process could not be read */
    uint64_t rss_kb;    /* VmRSS */
    uint64_t cpu_ticks; /* utime + stime, in clock ticks */
    uint64_t wait_ns;   /* main thread's time runnable but waiting for a CPU (schedstat) */
    uint64_t t_us;      /* when it was taken (CLOCK_MONOTONIC) */
} proc_sample_t;

/* Reads /proc/pid/status and /proc/pid/stat; pid <= 0 gives a sample with ok false. */
proc_sample_t proc_sample(int pid, uint64_t now_us);

/* CPU used between two samples, in percent of one core; -1 when either is missing. */
double proc_cpu_pct(const proc_sample_t *a, const proc_sample_t *b);

/* Time the main thread was ready to run but had no CPU between two samples, in percent of
 * the interval: on a shared machine, what tells a slow program from a starved one. -1 when
 * either sample is missing. */
double proc_wait_pct(const proc_sample_t *a, const proc_sample_t *b);

#endif
