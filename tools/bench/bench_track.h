/* bench_track - what the receivers saw: a latency histogram, and per receiver and sender the
 * set of sequence numbers that arrived, from which lost, duplicated and reordered messages
 * are counted. No I/O. */
#ifndef PARLEY_BENCH_TRACK_H
#define PARLEY_BENCH_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Log-linear buckets, as HdrHistogram: values below 128 are exact, above that each power
 * of two is split in 64 buckets, so any value is known to within 1/64 (1.6 %). */
#define HIST_SUB 64
#define HIST_BUCKETS (2 * HIST_SUB + HIST_SUB * 58)

typedef struct {
    uint64_t count, sum, min, max;
    uint64_t b[HIST_BUCKETS];
} hist_t;

void hist_init(hist_t *h);
void hist_add(hist_t *h, uint64_t v);
/* The value at percentile pct (0-100), as its bucket's upper bound clamped to max; 0 when
 * empty. */
uint64_t hist_pct(const hist_t *h, double pct);

typedef enum { TRACK_NEW, TRACK_NEW_REORDERED, TRACK_DUP, TRACK_OVERLAP, TRACK_BAD } track_res_t;

typedef struct {
    uint32_t nrecv, nsend, cap; /* cap: highest per-sender seq tracked */
    size_t words;               /* 64-bit words of one receiver's bitmap */
    uint64_t *bits;             /* nrecv bitmaps, bit (s * cap + seq - 1) */
    uint32_t *last;             /* nrecv * nsend: highest seq seen live */
    uint32_t *sent;             /* per sender: seqs 1..sent went out */
    uint32_t *rejected;         /* per sender: of those, refused by the server (error reply) */
    uint64_t dups, reorders, overlap, recovered;
} track_t;

/* Sets up for nrecv receivers and nsend senders sending up to cap messages each. Returns
 * -1 (allocating nothing) when the bitmaps would pass max_bytes. */
int track_init(track_t *t, uint32_t nrecv, uint32_t nsend, uint32_t cap, size_t max_bytes);
void track_deinit(track_t *t);

/* Records that receiver r got seq from sender s. resuming: it came as a `resume` replay,
 * where a repeat is expected (clients de-duplicate by seq) and counted as overlap, not as a
 * duplicate, and order is not checked. */
track_res_t track_seen(track_t *t, uint32_t r, uint32_t s, uint32_t seq, bool resuming);

/* Messages of sender s that receiver r should have and has not. */
uint32_t track_missing(const track_t *t, uint32_t r, uint32_t s);

#endif
