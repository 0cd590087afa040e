/* auth_map - string-keyed hash table; see auth_map.h.
 *
 * Each entry holds its key inline after the struct (one allocation per entry). The bucket
 * of a key is its SipHash modulo the bucket count, a power of two. */
#include "auth/auth_map.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct auth_map_entry {
    auth_map_entry_t *next;
    void *val;
    size_t len;
    unsigned char key[];
};

_Static_assert(sizeof(((auth_map_t *)0)->key) == crypto_shorthash_KEYBYTES, "SipHash key size");

#define MAP_MIN 64

void auth_map_init(auth_map_t *m)
{
    m->nbuckets = MAP_MIN;
    m->n = 0;
    m->bucket = xcalloc(m->nbuckets, sizeof(auth_map_entry_t *));
    randombytes_buf(m->key, sizeof(m->key));
}

void auth_map_deinit(auth_map_t *m)
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        for (auth_map_entry_t *e = m->bucket[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(m->bucket);
    m->bucket = NULL;
    m->nbuckets = m->n = 0;
}

static size_t slot(const auth_map_t *m, const void *key, size_t len)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, key, len, m->key);
    uint64_t v;
    memcpy(&v, h, sizeof(v));
    return (size_t)(v & (m->nbuckets - 1));
}

static auth_map_entry_t **find(const auth_map_t *m, const void *key, size_t len)
{
    auth_map_entry_t **p = &m->bucket[slot(m, key, len)];
    for (; *p; p = &(*p)->next)
        if ((*p)->len == len && memcmp((*p)->key, key, len) == 0)
            return p;
    return p;
}

void *auth_map_get(const auth_map_t *m, const void *key, size_t len)
{
    auth_map_entry_t *e = *find(m, key, len);
    return e ? e->val : NULL;
}

static void grow(auth_map_t *m)
{
    auth_map_t bigger = *m;
    bigger.nbuckets = m->nbuckets * 2;
    bigger.bucket = xcalloc(bigger.nbuckets, sizeof(auth_map_entry_t *));
    for (size_t i = 0; i < m->nbuckets; i++) {
        for (auth_map_entry_t *e = m->bucket[i], *next; e; e = next) {
            next = e->next;
            size_t s = slot(&bigger, e->key, e->len);
            e->next = bigger.bucket[s];
            bigger.bucket[s] = e;
        }
    }
    free(m->bucket);
    *m = bigger;
}

void auth_map_put(auth_map_t *m, const void *key, size_t len, void *val)
{
    auth_map_entry_t **p = find(m, key, len);
    if (*p) {
        (*p)->val = val;
        return;
    }
    auth_map_entry_t *e = xmalloc(sizeof(*e) + len);
    e->next = NULL;
    e->val = val;
    e->len = len;
    memcpy(e->key, key, len);
    *p = e;
    if (++m->n > m->nbuckets)
        grow(m);
}

void *auth_map_del(auth_map_t *m, const void *key, size_t len)
{
    auth_map_entry_t **p = find(m, key, len), *e = *p;
    if (!e)
        return NULL;
    void *val = e->val;
    *p = e->next;
    free(e);
    m->n--;
    return val;
}

size_t auth_map_size(const auth_map_t *m)
{
    return m->n;
}
