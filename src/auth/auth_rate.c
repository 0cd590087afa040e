/* auth_rate - token buckets, and a bounded table of them per key; see auth_rate.h.
 *
 * Structures: the table is a map from key to entry and a list of the entries from the least
 * to the most recently used, so the head is always the one to evict. */
#include "auth/auth_rate.h"

#include <stdlib.h>
#include <string.h>

#include "auth/auth_map.h"
#include "base/xmalloc.h"

void auth_bucket_fill(auth_bucket_t *b, double rate, double burst, uint64_t now)
{
    if (b->ms == 0)
        b->tokens = burst;
    else if (now > b->ms)
        b->tokens += (double)(now - b->ms) * rate / 1000.0;
    if (b->tokens > burst)
        b->tokens = burst;
    b->ms = now ? now : 1;
}

static double clamp(double cost, double burst)
{
    return cost > burst ? burst : cost;
}

uint64_t auth_bucket_wait(const auth_bucket_t *b, double rate, double burst, double cost)
{
    double lack = clamp(cost, burst) - b->tokens;
    if (lack <= 0)
        return 0;
    double ms = lack * 1000.0 / rate;
    uint64_t whole = (uint64_t)ms;
    if ((double)whole < ms)
        whole++;
    return whole ? whole : 1;
}

void auth_bucket_take(auth_bucket_t *b, double burst, double cost)
{
    b->tokens -= clamp(cost, burst);
}

void auth_bucket_charge(auth_bucket_t *b, double rate, double burst, double cost, uint64_t now)
{
    auth_bucket_fill(b, rate, burst, now);
    b->tokens -= clamp(cost, burst);
    if (b->tokens < -burst)
        b->tokens = -burst;
}

/* ---- the table ---- */

typedef struct entry {
    struct entry *prev, *next;
    auth_bucket_t bucket;
    size_t len;
    unsigned char key[];
} entry_t;

struct auth_rates {
    auth_map_t map;
    entry_t *head, *tail; /* least recently used first */
    size_t cap;
};

auth_rates_t *auth_rates_new(size_t cap)
{
    auth_rates_t *t = xcalloc(1, sizeof(*t));
    auth_map_init(&t->map);
    t->cap = cap ? cap : 1;
    return t;
}

void auth_rates_free(auth_rates_t *t)
{
    if (!t)
        return;
    for (entry_t *e = t->head, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    auth_map_deinit(&t->map);
    free(t);
}

static void unlink_entry(auth_rates_t *t, entry_t *e)
{
    *(e->prev ? &e->prev->next : &t->head) = e->next;
    *(e->next ? &e->next->prev : &t->tail) = e->prev;
    e->prev = e->next = NULL;
}

static void append(auth_rates_t *t, entry_t *e)
{
    e->prev = t->tail;
    e->next = NULL;
    *(t->tail ? &t->tail->next : &t->head) = e;
    t->tail = e;
}

auth_bucket_t *auth_rates_get(auth_rates_t *t, const void *key, size_t len)
{
    entry_t *e = auth_map_get(&t->map, key, len);
    if (e) {
        unlink_entry(t, e);
        append(t, e);
        return &e->bucket;
    }
    while (t->head && auth_map_size(&t->map) >= t->cap) {
        entry_t *old = t->head;
        unlink_entry(t, old);
        auth_map_del(&t->map, old->key, old->len);
        free(old);
    }
    e = xcalloc(1, sizeof(*e) + len);
    e->len = len;
    memcpy(e->key, key, len);
    append(t, e);
    auth_map_put(&t->map, e->key, len, e);
    return &e->bucket;
}

size_t auth_rates_size(const auth_rates_t *t)
{
    return auth_map_size(&t->map);
}
