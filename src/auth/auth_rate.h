/* auth_rate - token buckets for the request rate limit, and a bounded table of them per key
 * (an address).
 *
 * A bucket holds up to `burst` tokens and refills at `rate` tokens a second; a request costs
 * tokens (chat's cost table says how many) and is refused when the bucket does not hold
 * them. A cost above the burst is taken as the burst: a request never costs more than a
 * full bucket, so every request can pass after a wait.
 *
 * The table holds at most `cap` keys. A new key past it evicts the least recently used
 * one: a bucket left alone for burst / rate seconds is full again, so forgetting it loses
 * nothing unless `cap` keys were all busy within that time; memory stays bounded whatever
 * an attacker sends. Time is given by the caller (monotonic ms), so the module has no clock
 * and is tested with any `now`. One thread at a time. */
#ifndef PARLEY_AUTH_RATE_H
#define PARLEY_AUTH_RATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double tokens;
    uint64_t ms; /* when it was last filled; 0: never used (full) */
} auth_bucket_t;

/* Refills b to now (never above burst). */
void auth_bucket_fill(auth_bucket_t *b, double rate, double burst, uint64_t now);
/* After a fill: 0 when b holds cost (clamped to burst), else the whole milliseconds (>= 1)
 * until it will at rate. */
uint64_t auth_bucket_wait(const auth_bucket_t *b, double rate, double burst, double cost);
/* Takes cost (clamped to burst) from a filled bucket whose wait was 0. */
void auth_bucket_take(auth_bucket_t *b, double burst, double cost);
/* Refills b to now, then takes cost (clamped to burst) whether b holds it or not, down to a
 * debt of at most one burst: what was spent elsewhere, already done, still counts here. */
void auth_bucket_charge(auth_bucket_t *b, double rate, double burst, double cost, uint64_t now);

typedef struct auth_rates auth_rates_t;

/* At most cap >= 1 keys. Never NULL. */
auth_rates_t *auth_rates_new(size_t cap);
void auth_rates_free(auth_rates_t *t);
/* The bucket of key (a full new one when it had none), now the most recently used. Valid
 * until the next call. */
auth_bucket_t *auth_rates_get(auth_rates_t *t, const void *key, size_t len);
/* Keys held now. */
size_t auth_rates_size(const auth_rates_t *t);

#endif
