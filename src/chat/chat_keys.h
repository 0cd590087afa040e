/* chat_keys - the client keys (`cid`) of recent writes, so that a retry is stored once and
 * acknowledged with the original seq (docs/protocol.md, "Client keys").
 *
 * A bounded map from (user id, cid) to where the write went: its channel (by registry slot),
 * seq and time, and whether it is still waiting for its commit. Oldest entries are evicted
 * first once `cap` are held: exactly-once holds for retries of the newest `cap` keyed
 * writes of the server (a dropped entry keeps its slot until the ring comes round to it), which the
 * hub reloads from the store at start-up so that it also holds across a restart or a kill -9
 * between commit and ack. No I/O. */
#ifndef PARLEY_CHAT_KEYS_H
#define PARLEY_CHAT_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAT_KEYS_MAX 65536 /* keyed writes remembered */

typedef struct chat_keys chat_keys_t;

typedef struct {
    size_t slot;   /* the channel's registry slot */
    uint64_t seq;  /* the seq the write has (or will have once committed) */
    int64_t ts;    /* its time, Unix ms */
    void *pending; /* the hub's pending entry until the commit, then NULL */
} chat_key_t;

/* A map holding up to cap keys (cap > 0). */
chat_keys_t *chat_keys_new(size_t cap);
void chat_keys_free(chat_keys_t *k);
/* The entry of (user, cid), or NULL. Valid until the next put or drop. */
chat_key_t *chat_keys_find(chat_keys_t *k, uint64_t user, const char *cid);
/* A new entry for (user, cid) (not held yet; strings copied), evicting the oldest when
 * full. Its fields are the caller's to fill. */
chat_key_t *chat_keys_put(chat_keys_t *k, uint64_t user, const char *cid);
/* Forgets (user, cid) (a write that failed). */
void chat_keys_drop(chat_keys_t *k, uint64_t user, const char *cid);
size_t chat_keys_count(const chat_keys_t *k);
/* True for a well-formed client key: 1-64 of A-Za-z0-9_- . */
bool chat_keys_valid(const char *cid, size_t len);

#endif
