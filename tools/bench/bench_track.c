/* bench_track - latency histogram and delivery bookkeeping.
 *
 * The histogram has 128 exact buckets for 0..127 µs, then 64 buckets per power of two up to
 * 2^64: a bucket index is found with one count-leading-zeros, no floating point, so recording
 * costs a few nanoseconds per delivery.
 *
 * Delivery sets are one bitmap per receiver with a fixed region of `cap` bits per sender.
 * It costs receivers x messages bits (5000 clients x 3000 messages: 1.9 MB) and answers
 * "seen before?" exactly, which a last-seq counter cannot: a counter cannot tell a
 * duplicate from a reordering. */
#include "bench_track.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

void hist_init(hist_t *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

static unsigned hist_index(uint64_t v)
{
    if (v < 2 * HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v); /* >= 7 */
    unsigned shift = msb - 6;                          /* v >> shift is in 64..127 */
    return 2 * HIST_SUB + (shift - 1) * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
}

/* Largest value that falls in bucket i. */
static uint64_t hist_upper(unsigned i)
{
    if (i < 2 * HIST_SUB)
        return i;
    unsigned shift = (i - 2 * HIST_SUB) / HIST_SUB + 1;
    uint64_t sub = (i - 2 * HIST_SUB) % HIST_SUB + HIST_SUB;
    return ((sub + 1) << shift) - 1;
}

void hist_add(hist_t *h, uint64_t v)
{
    unsigned i = hist_index(v);
    if (i >= HIST_BUCKETS)
        i = HIST_BUCKETS - 1;
    h->b[i]++;
    h->count++;
    h->sum += v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

uint64_t hist_pct(const hist_t *h, double pct)
{
    if (h->count == 0)
        return 0;
    /* The rank of the sample at pct, 1-based, rounded up: p100 is the largest sample. */
    double want = pct / 100.0 * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want || rank == 0)
        rank++;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t v = hist_upper(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

int track_init(track_t *t, uint32_t nrecv, uint32_t nsend, uint32_t cap, size_t max_bytes)
{
    memset(t, 0, sizeof(*t));
    t->nrecv = nrecv;
    t->nsend = nsend;
    t->cap = cap;
    t->words = ((size_t)nsend * cap + 63) / 64;
    if (nsend && (double)t->words * 8.0 * nrecv > (double)max_bytes)
        return -1;
    t->bits = xcalloc((size_t)nrecv * t->words + 1, sizeof(uint64_t));
    t->last = xcalloc((size_t)nrecv * nsend + 1, sizeof(uint32_t));
    t->sent = xcalloc((size_t)nsend + 1, sizeof(uint32_t));
    t->rejected = xcalloc((size_t)nsend + 1, sizeof(uint32_t));
    return 0;
}

void track_deinit(track_t *t)
{
    free(t->bits);
    free(t->last);
    free(t->sent);
    free(t->rejected);
    memset(t, 0, sizeof(*t));
}

track_res_t track_seen(track_t *t, uint32_t r, uint32_t s, uint32_t seq, bool resuming)
{
    if (r >= t->nrecv || s >= t->nsend || seq == 0 || seq > t->cap || seq > t->sent[s])
        return TRACK_BAD;
    size_t bit = (size_t)s * t->cap + (seq - 1);
    uint64_t *w = &t->bits[(size_t)r * t->words + bit / 64];
    uint64_t m = 1ull << (bit % 64);
    if (*w & m) {
        if (resuming)
            t->overlap++;
        else
            t->dups++;
        return resuming ? TRACK_OVERLAP : TRACK_DUP;
    }
    *w |= m;
    uint32_t *last = &t->last[(size_t)r * t->nsend + s];
    if (resuming) {
        t->recovered++;
    } else if (seq < *last) {
        t->reorders++;
        return TRACK_NEW_REORDERED;
    }
    if (seq > *last)
        *last = seq;
    return TRACK_NEW;
}

uint32_t track_missing(const track_t *t, uint32_t r, uint32_t s)
{
    uint32_t n = t->sent[s], got = 0;
    const uint64_t *bm = &t->bits[(size_t)r * t->words];
    size_t from = (size_t)s * t->cap, to = from + n;
    for (size_t b = from; b < to;) {
        if (b % 64 == 0 && to - b >= 64) {
            got += (uint32_t)__builtin_popcountll(bm[b / 64]);
            b += 64;
        } else {
            got += (uint32_t)((bm[b / 64] >> (b % 64)) & 1u);
            b++;
        }
    }
    uint32_t expect = n - t->rejected[s];
    return got >= expect ? 0 : expect - got;
}
