/* budget - a shared, limited count of bytes; see budget.h. Relaxed atomics are enough: the
 * count guards no other memory (each buffer belongs to one thread), it only has to stay
 * exact and under the limit. */
#include "base/budget.h"

void budget_init(budget_t *b, size_t limit)
{
    atomic_init(&b->used, 0);
    b->limit = limit;
}

bool budget_take(budget_t *b, size_t n, size_t holding)
{
    if (!b || n == 0)
        return true;
    size_t limit = holding > BUDGET_SMALL ? b->limit - b->limit / 4 : b->limit;
    size_t used = atomic_load_explicit(&b->used, memory_order_relaxed);
    do {
        if (b->limit && (n > limit || used > limit - n))
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&b->used, &used, used + n, memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
}

void budget_give(budget_t *b, size_t n)
{
    if (b && n)
        atomic_fetch_sub_explicit(&b->used, n, memory_order_relaxed);
}

size_t budget_used(const budget_t *b)
{
    return b ? atomic_load_explicit(&b->used, memory_order_relaxed) : 0;
}
