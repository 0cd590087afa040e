/* chat_keys - a bounded map of client keys; see chat_keys.h.
 *
 * Structures: entries live in a ring of `cap` slots in insertion order (the oldest is
 * evicted first); a chained hash table over them (2^k buckets, at least 2 * cap) finds an
 * entry by its key, the writer's user id and the cid. An entry's slot never moves, so
 * chains link slot indices; a dropped entry leaves a hole that its ring turn reclaims. */
#include "chat/chat_keys.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

/* Buckets and chains hold slot + 1, so that 0 is "none" and a fresh table is all zero
 * pages, costing no resident memory until keys arrive. */
#define NONE 0

typedef struct {
    char *cid;     /* NULL for a free or dropped slot */
    uint64_t user; /* the writer's user id */
    uint64_t hash; /* of (user, cid) */
    size_t next;   /* the bucket chain */
    chat_key_t v;
} entry_t;

struct chat_keys {
    entry_t *e;
    size_t cap, head, len; /* ring: the oldest slot, and slots used */
    size_t *bucket;
    size_t mask, count;
};

static uint64_t hash_of(uint64_t user, const char *cid)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 8; i++)
        h = (h ^ (uint8_t)(user >> (8 * i))) * 1099511628211ull;
    for (const char *p = cid; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    return h;
}

static bool key_eq(const entry_t *e, uint64_t user, const char *cid)
{
    return e->user == user && strcmp(e->cid, cid) == 0;
}

chat_keys_t *chat_keys_new(size_t cap)
{
    chat_keys_t *k = xcalloc(1, sizeof(*k));
    k->cap = cap;
    k->e = xcalloc(cap, sizeof(*k->e));
    size_t nb = 16;
    while (nb < 2 * cap)
        nb *= 2;
    k->mask = nb - 1;
    k->bucket = xcalloc(nb, sizeof(*k->bucket));
    return k;
}

void chat_keys_free(chat_keys_t *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->cap; i++)
        free(k->e[i].cid);
    free(k->e);
    free(k->bucket);
    free(k);
}

/* The link pointing at the entry of (user, cid), or at the chain's end. */
static size_t *find_link(chat_keys_t *k, uint64_t user, const char *cid)
{
    size_t *pp = &k->bucket[hash_of(user, cid) & k->mask];
    while (*pp != NONE && !key_eq(&k->e[*pp - 1], user, cid))
        pp = &k->e[*pp - 1].next;
    return pp;
}

chat_key_t *chat_keys_find(chat_keys_t *k, uint64_t user, const char *cid)
{
    size_t i = *find_link(k, user, cid);
    return i == NONE ? NULL : &k->e[i - 1].v;
}

/* Unchains slot i (its key is held). */
static void unchain(chat_keys_t *k, size_t i)
{
    size_t *pp = &k->bucket[k->e[i].hash & k->mask];
    while (*pp != i + 1)
        pp = &k->e[*pp - 1].next;
    *pp = k->e[i].next;
    free(k->e[i].cid);
    k->e[i].cid = NULL;
    k->count--;
}

chat_key_t *chat_keys_put(chat_keys_t *k, uint64_t user, const char *cid)
{
    size_t i;
    if (k->len == k->cap) {
        i = k->head;
        k->head = (k->head + 1) % k->cap;
        if (k->e[i].cid)
            unchain(k, i);
    } else {
        i = (k->head + k->len++) % k->cap;
    }
    entry_t *e = &k->e[i];
    e->cid = xstrdup(cid);
    e->user = user;
    e->hash = hash_of(user, cid);
    size_t *b = &k->bucket[e->hash & k->mask];
    e->next = *b;
    *b = i + 1;
    e->v = (chat_key_t){0};
    k->count++;
    return &e->v;
}

void chat_keys_drop(chat_keys_t *k, uint64_t user, const char *cid)
{
    size_t *pp = find_link(k, user, cid);
    if (*pp == NONE)
        return;
    unchain(k, *pp - 1);
}

size_t chat_keys_count(const chat_keys_t *k)
{
    return k->count;
}

bool chat_keys_valid(const char *cid, size_t len)
{
    if (len < 1 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = cid[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}
