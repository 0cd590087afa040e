/* auth_limit - fixed-window counters per key, bounded; see auth_limit.h.
 *
 * Structures: a map from key to entry, and the entries in a list ordered by the opening of
 * their window (a window that reopens moves to the tail), so the head is always the entry
 * to evict: the oldest window, expired or not. */
#include "auth/auth_limit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_map.h"
#include "base/xmalloc.h"

typedef struct entry {
    struct entry *prev, *next;
    int64_t start;
    unsigned count;
    size_t len;
    unsigned char key[];
} entry_t;

struct auth_limit {
    auth_map_t map;
    entry_t *head, *tail;
    unsigned max;
    int64_t window;
    size_t cap;
};

auth_limit_t *auth_limit_new(unsigned max, int64_t window_ms, size_t cap)
{
    auth_limit_t *l = xcalloc(1, sizeof(*l));
    auth_map_init(&l->map);
    l->max = max ? max : 1;
    l->window = window_ms > 0 ? window_ms : 1;
    l->cap = cap ? cap : 1;
    return l;
}

void auth_limit_free(auth_limit_t *l)
{
    if (!l)
        return;
    for (entry_t *e = l->head, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    auth_map_deinit(&l->map);
    free(l);
}

static void unlink_entry(auth_limit_t *l, entry_t *e)
{
    *(e->prev ? &e->prev->next : &l->head) = e->next;
    *(e->next ? &e->next->prev : &l->tail) = e->prev;
    e->prev = e->next = NULL;
}

static void append(auth_limit_t *l, entry_t *e)
{
    e->prev = l->tail;
    e->next = NULL;
    *(l->tail ? &l->tail->next : &l->head) = e;
    l->tail = e;
}

static void drop(auth_limit_t *l, entry_t *e)
{
    unlink_entry(l, e);
    auth_map_del(&l->map, e->key, e->len);
    free(e);
}

static bool expired(const auth_limit_t *l, const entry_t *e, int64_t now)
{
    return now - e->start >= l->window;
}

unsigned auth_limit_wait(const auth_limit_t *l, const void *key, size_t len, int64_t now)
{
    const entry_t *e = auth_map_get(&l->map, key, len);
    if (!e || expired(l, e, now) || e->count < l->max)
        return 0;
    int64_t ms = e->start + l->window - now;
    return (unsigned)((ms + 999) / 1000);
}

void auth_limit_hit(auth_limit_t *l, const void *key, size_t len, int64_t now)
{
    entry_t *e = auth_map_get(&l->map, key, len);
    if (e && !expired(l, e, now)) {
        e->count++;
        return;
    }
    if (e) { /* its window closed: a new one opens now, at the tail */
        unlink_entry(l, e);
        append(l, e);
        e->start = now;
        e->count = 1;
        return;
    }
    while (l->head && (expired(l, l->head, now) || auth_map_size(&l->map) >= l->cap))
        drop(l, l->head);
    e = xmalloc(sizeof(*e) + len);
    e->start = now;
    e->count = 1;
    e->len = len;
    memcpy(e->key, key, len);
    append(l, e);
    auth_map_put(&l->map, e->key, len, e);
}

void auth_limit_forget(auth_limit_t *l, const void *key, size_t len)
{
    entry_t *e = auth_map_get(&l->map, key, len);
    if (e)
        drop(l, e);
}

size_t auth_limit_size(const auth_limit_t *l)
{
    return auth_map_size(&l->map);
}
