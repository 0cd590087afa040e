/* auth_map - string-keyed hash table; see auth_map.h.
 *
 * Each entry is one allocation: the chain pointer, the value, then its key's place, by the
 * map's kind: a pointer to the caller's key (borrowed), the key's bytes (fixed length), or
 * the length and the bytes (any length). The bucket of a key is its SipHash modulo the
 * bucket count, a power of two. */
#include "auth/auth_map.h"

#include <assert.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct auth_map_entry {
    auth_map_entry_t *next;
    void *val;
    _Alignas(size_t) unsigned char tail[]; /* the key's place: see the top of the file */
};

_Static_assert(sizeof(((auth_map_t *)0)->key) == crypto_shorthash_KEYBYTES, "SipHash key size");

#define MAP_MIN 64

static void init(auth_map_t *m, size_t keylen, bool borrowed)
{
    m->nbuckets = MAP_MIN;
    m->n = 0;
    m->keylen = keylen;
    m->borrowed = borrowed;
    m->bucket = xcalloc(m->nbuckets, sizeof(auth_map_entry_t *));
    randombytes_buf(m->key, sizeof(m->key));
}

void auth_map_init(auth_map_t *m)
{
    init(m, 0, false);
}

void auth_map_init_fixed(auth_map_t *m, size_t keylen, bool borrowed)
{
    assert(keylen > 0);
    init(m, keylen, borrowed);
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

static size_t entry_len(const auth_map_t *m, const auth_map_entry_t *e)
{
    if (m->keylen)
        return m->keylen;
    size_t len;
    memcpy(&len, e->tail, sizeof(len));
    return len;
}

static const unsigned char *entry_key(const auth_map_t *m, const auth_map_entry_t *e)
{
    if (m->borrowed) {
        const unsigned char *p;
        memcpy(&p, e->tail, sizeof(p));
        return p;
    }
    return m->keylen ? e->tail : e->tail + sizeof(size_t);
}

static size_t slot(const auth_map_t *m, const void *key, size_t len)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, key, len, m->key);
    uint64_t v;
    memcpy(&v, h, sizeof(v));
    return (size_t)(v & (m->nbuckets - 1));
}

/* The link that points at key's entry, or at NULL where it would go. */
static auth_map_entry_t **find(const auth_map_t *m, const void *key, size_t len)
{
    auth_map_entry_t **p = &m->bucket[slot(m, key, len)];
    for (; *p; p = &(*p)->next)
        if (entry_len(m, *p) == len && memcmp(entry_key(m, *p), key, len) == 0)
            return p;
    return p;
}

void *auth_map_get(const auth_map_t *m, const void *key, size_t len)
{
    if (m->keylen && len != m->keylen)
        return NULL;
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
            size_t s = slot(&bigger, entry_key(m, e), entry_len(m, e));
            e->next = bigger.bucket[s];
            bigger.bucket[s] = e;
        }
    }
    free(m->bucket);
    *m = bigger;
}

void auth_map_put(auth_map_t *m, const void *key, size_t len, void *val)
{
    assert(!m->keylen || len == m->keylen);
    auth_map_entry_t **p = find(m, key, len);
    if (*p) {
        if (m->borrowed) /* the old key may be about to go */
            memcpy((*p)->tail, &key, sizeof(key));
        (*p)->val = val;
        return;
    }
    size_t tail = m->borrowed ? sizeof(key) : m->keylen ? len : sizeof(len) + len;
    auth_map_entry_t *e = xmalloc(sizeof(*e) + tail);
    e->next = NULL;
    e->val = val;
    if (m->borrowed) {
        memcpy(e->tail, &key, sizeof(key));
    } else if (m->keylen) {
        memcpy(e->tail, key, len);
    } else {
        memcpy(e->tail, &len, sizeof(len));
        memcpy(e->tail + sizeof(len), key, len);
    }
    *p = e;
    if (++m->n > m->nbuckets)
        grow(m);
}

void *auth_map_del(auth_map_t *m, const void *key, size_t len)
{
    if (m->keylen && len != m->keylen)
        return NULL;
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
