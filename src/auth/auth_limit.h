/* auth_limit - bounded counters of events per key in a fixed window: "at most max failed
 * sign-ins per address in 15 minutes".
 *
 * A key's window opens at its first event and lasts window_ms; within it at most `max`
 * events are allowed; the next event after the window closed opens a new one. The table
 * holds at most `cap` keys: a new key past it evicts the one whose window opened first
 * (expired windows go first anyway), so memory is bounded whatever an attacker sends, at
 * the price of forgetting the oldest counts. Time is given by the caller (Unix ms), so the
 * module has no clock and is tested with any `now`. One thread at a time. */
#ifndef PARLEY_AUTH_LIMIT_H
#define PARLEY_AUTH_LIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct auth_limit auth_limit_t;

/* max >= 1 events per window_ms > 0, at most cap >= 1 keys. Never NULL. */
auth_limit_t *auth_limit_new(unsigned max, int64_t window_ms, size_t cap);
void auth_limit_free(auth_limit_t *l);
/* 0 when key may have one more event at now; else the whole seconds (>= 1) until it may. */
unsigned auth_limit_wait(const auth_limit_t *l, const void *key, size_t len, int64_t now);
/* Counts one event of key at now. */
void auth_limit_hit(auth_limit_t *l, const void *key, size_t len, int64_t now);
/* Forgets key (a success clears its failures). */
void auth_limit_forget(auth_limit_t *l, const void *key, size_t len);
/* Keys held now. */
size_t auth_limit_size(const auth_limit_t *l);

#endif
