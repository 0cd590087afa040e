/* auth_map - a hash table from byte strings to pointers, for the accounts registry's
 * indexes (canonical names, session hashes, ids, addresses).
 *
 * Values are borrowed (the caller owns what they point to). Keys are copied into the table,
 * or, in a map made by auth_map_init_fixed with borrowed, are the caller's: then each key must stay
 * unchanged until its entry is removed or put again (a key held by the value itself, such
 * as a session's token hash). A map of fixed-length keys (a session id, a hash) keeps no
 * length per entry. These indexes hold an entry per account and per session, so an entry
 * is two pointers and its key (or a pointer to it): malloc's smallest size, most often.
 *
 * Keys come from the network (names, addresses), so they are hashed with SipHash-2-4
 * (libsodium's crypto_shorthash) under a random key per table: nobody can choose keys that
 * collide. Chained buckets, doubled when the table holds as many entries as buckets. Call
 * auth_init (auth_token.h) before auth_map_init. One thread at a time. */
#ifndef PARLEY_AUTH_MAP_H
#define PARLEY_AUTH_MAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct auth_map_entry auth_map_entry_t;

typedef struct {
    auth_map_entry_t **bucket;
    size_t nbuckets, n;
    size_t keylen; /* every key's length; 0: keys of any length */
    bool borrowed; /* keys are the caller's (auth_map_init_fixed) */
    unsigned char key[16];
} auth_map_t;

/* A map of copied keys of any length. */
void auth_map_init(auth_map_t *m);
/* A map whose keys are all keylen bytes (> 0), copied or, with borrowed, the caller's. A
 * key of another length is never found in it (and must not be put). */
void auth_map_init_fixed(auth_map_t *m, size_t keylen, bool borrowed);
/* Frees the entries (not the values). The map may be initialised again. */
void auth_map_deinit(auth_map_t *m);
/* The value of key, or NULL. */
void *auth_map_get(const auth_map_t *m, const void *key, size_t len);
/* Sets key to val (not NULL), replacing any value it had (and, borrowed, the key pointer). */
void auth_map_put(auth_map_t *m, const void *key, size_t len, void *val);
/* Removes key; returns the value it had, or NULL. */
void *auth_map_del(auth_map_t *m, const void *key, size_t len);
size_t auth_map_size(const auth_map_t *m);

#endif
