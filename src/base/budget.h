/* budget - a count of bytes shared by every thread of the process, with a limit: what the
 * connections hold of input that is still arriving (frames, messages and HTTP requests not
 * complete yet) is one such count, taken where a buffer grows and given back where it
 * shrinks or goes, so that the sum over every connection of every loop has a bound.
 *
 * Taking is all or nothing: a take that would pass the limit takes nothing and says so, and
 * the caller refuses whatever asked for the memory. Counts are atomic (a compare-and-swap
 * loop for take, a plain subtraction for give): no lock, and never over the limit, even for
 * a moment, whatever the threads do.
 *
 * A quarter of the limit is kept for small holders: a take that leaves its holder with more
 * than BUDGET_SMALL bytes may fill the budget to three quarters only. So whoever spends the
 * budget on large partial frames (the attack this exists for) still leaves room for the many
 * small things every client needs now and then: a request head, a message split across two
 * reads, the upgrade of a new connection.
 *
 * A NULL budget takes everything and counts nothing, so the codecs that take from one (the
 * WebSocket frame parser, the HTTP request parser) work without one: in their unit tests,
 * their fuzzers, the client side. */
#ifndef PARLEY_BUDGET_H
#define PARLEY_BUDGET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* The most one holder may hold and still draw on the whole limit. */
#define BUDGET_SMALL ((size_t)16 * 1024)

typedef struct {
    atomic_size_t used;
    size_t limit; /* 0: no limit (the count is still kept, for /metrics) */
} budget_t;

/* Empty, with limit (0: none). Allocates nothing. */
void budget_init(budget_t *b, size_t limit);
/* Takes n bytes for a holder that holds `holding` bytes with them: true; or false, and
 * nothing is taken, when used + n would pass the limit (three quarters of it when holding is
 * over BUDGET_SMALL). b NULL: true. */
bool budget_take(budget_t *b, size_t n, size_t holding);
/* Gives back n bytes taken before (never more than was taken). b NULL: nothing. */
void budget_give(budget_t *b, size_t n);
/* Bytes taken now (0 for NULL). */
size_t budget_used(const budget_t *b);

#endif
