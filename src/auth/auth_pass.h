/* auth_pass - password hashing off the loop, with a bound on how many run at once.
 *
 * argon2id through libsodium's crypto_pwhash_str at its INTERACTIVE limits by default
 * (ops 2, 64 MiB: above OWASP's minimum of 19 MiB, t=2). Each hash or verify runs on
 * libuv's thread pool (uv_queue_work) and its callback fires on the loop. At most
 * `max_running` run at once: each holds memlimit bytes, so the bound is also the memory
 * bound; past it a request is refused at once (AUTH_PASS_EBUSY: the caller answers 429).
 * Passwords over AUTH_PASS_MAX bytes are refused before any work (AUTH_PASS_ETOOLONG).
 *
 * An unknown account costs the same as a wrong password: verify with stored == NULL runs
 * a real verify against a dummy hash made at start, and answers "no match". */
#ifndef PARLEY_AUTH_PASS_H
#define PARLEY_AUTH_PASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uv_loop_s;

#define AUTH_PASS_MIN 8        /* characters (code points) of a new password */
#define AUTH_PASS_MAX 1024     /* bytes checked at most */
#define AUTH_PASS_HASH_MAX 128 /* bytes of a stored hash string, NUL included */

#define AUTH_PASS_EBUSY (-1)    /* max_running hashes are running: try again later */
#define AUTH_PASS_ETOOLONG (-2) /* over AUTH_PASS_MAX bytes */

typedef struct auth_pass auth_pass_t;

/* opslimit/memlimit 0: libsodium's INTERACTIVE. Returns NULL when the dummy hash cannot
 * be made (out of memory). */
auth_pass_t *auth_pass_new(struct uv_loop_s *loop, unsigned max_running,
                           unsigned long long opslimit, size_t memlimit);
/* Every job must have called back (the loop runs until they have). */
void auth_pass_free(auth_pass_t *p);
/* Jobs running now. */
unsigned auth_pass_running(const auth_pass_t *p);

/* hash: the new stored string (hash) or NULL when hashing failed (status < 0).
 * verify: status 1 match, 0 no match, < 0 failed; rehash is a new hash string with the
 * current parameters when the stored one used others and it matched, else NULL. Strings
 * are valid only during the call. */
typedef void (*auth_pass_cb)(void *ctx, int status, const char *hash);

/* Hashes pw (len bytes; the caller checked AUTH_PASS_MIN). Returns 0 (cb will fire),
 * AUTH_PASS_EBUSY or AUTH_PASS_ETOOLONG (cb will not). pw is copied and wiped after. */
int auth_pass_hash(auth_pass_t *p, const char *pw, size_t len, auth_pass_cb cb, void *ctx);
/* Verifies pw against stored (NULL: the dummy, answering 0). cb's hash is the rehash
 * (see above). Same returns as auth_pass_hash. */
int auth_pass_verify(auth_pass_t *p, const char *stored, const char *pw, size_t len,
                     auth_pass_cb cb, void *ctx);

#endif
