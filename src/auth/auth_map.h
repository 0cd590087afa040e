/* auth_map - a hash table from byte strings to pointers, for the accounts registry's
 * indexes (canonical names, session hashes, ids, addresses).
 *
 * Keys are copied into the table; values are borrowed (the caller owns what they point
 * to). Keys come from the network (names, addresses), so they are hashed with SipHash-2-4
 * (libsodium's crypto_shorthash) under a random key per table: nobody can choose keys that
 * collide. Chained buckets, doubled when the table holds as many entries as buckets. Call
 * auth_init (auth_token.h) before auth_map_init. One thread at a time. */
#ifndef PARLEY_AUTH_MAP_H
#define PARLEY_AUTH_MAP_H

#include <stddef.h>

typedef struct auth_map_entry auth_map_entry_t;

typedef struct {
    auth_map_entry_t **bucket;
    size_t nbuckets, n;
    unsigned char key[16];
} auth_map_t;

void auth_map_init(auth_map_t *m);
/* Frees the entries (not the values). The map may be initialised again. */
void auth_map_deinit(auth_map_t *m);
/* The value of key, or NULL. */
void *auth_map_get(const auth_map_t *m, const void *key, size_t len);
/* Sets key to val (not NULL), replacing any value it had. */
void auth_map_put(auth_map_t *m, const void *key, size_t len, void *val);
/* Removes key; returns the value it had, or NULL. */
void *auth_map_del(auth_map_t *m, const void *key, size_t len);
size_t auth_map_size(const auth_map_t *m);

#endif
