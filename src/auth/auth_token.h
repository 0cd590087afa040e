/* auth_token - secrets: random tokens, their stored hashes, constant-time comparison.
 *
 * A token goes to its holder once and is never stored: the store keeps its SHA-256, so a
 * stolen database yields no usable token, and a stored hash presented as a token fails
 * (it hashes to something else). Tokens are lowercase hex. No I/O but the kernel's random
 * source (libsodium's randombytes_buf); safe on any thread after sodium_init. */
#ifndef PARLEY_AUTH_TOKEN_H
#define PARLEY_AUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_SESSION_HEX 64 /* session tokens: 256 bits */
#define AUTH_INVITE_HEX 32  /* invite and reset tokens: 128 bits */
#define AUTH_HASH_HEX 64    /* SHA-256 as hex */

/* Initialises libsodium; call once before anything of src/auth (idempotent, thread-safe).
 * Returns 0, or -1 when the library cannot start (the process should not serve). */
int auth_init(void);

/* hex_len/2 random bytes as hex_len lowercase hex digits into out (hex_len + 1 bytes). */
void auth_token_new(char *out, size_t hex_len);
/* True when t is exactly hex_len lowercase hex digits. */
bool auth_token_wellformed(const char *t, size_t hex_len);
/* SHA-256 of the len bytes of t, as hex into out. */
void auth_token_hash(const char *t, size_t len, char out[AUTH_HASH_HEX + 1]);
/* Constant-time equality of two n-byte strings. */
bool auth_token_equal(const char *a, const char *b, size_t n);

#endif
