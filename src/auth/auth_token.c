/* auth_token - random tokens, their SHA-256, constant-time comparison; see auth_token.h.
 *
 * Everything is libsodium: randombytes_buf (getrandom(2) underneath), crypto_hash_sha256,
 * sodium_bin2hex (constant-time hex, lowercase) and sodium_memcmp. Random bytes are made
 * and turned to hex in chunks of TOKEN_CHUNK through stack buffers that are wiped after
 * use, so a token exists in memory only where the caller put it. */
#include "auth/auth_token.h"

#include <string.h>

#include <sodium.h>

#define TOKEN_CHUNK 32 /* random bytes per round */

_Static_assert(2 * crypto_hash_sha256_BYTES == AUTH_HASH_HEX, "SHA-256 is 64 hex digits");

int auth_init(void)
{
    /* 0: started now, 1: already started; libsodium serialises concurrent calls. */
    return sodium_init() < 0 ? -1 : 0;
}

void auth_token_new(char *out, size_t hex_len)
{
    unsigned char raw[TOKEN_CHUNK];
    char hex[2 * TOKEN_CHUNK + 1];
    /* Whole bytes are drawn, one more for an odd hex_len, whose last digit is dropped. */
    for (size_t done = 0; done < hex_len;) {
        size_t digits = hex_len - done < sizeof hex - 1 ? hex_len - done : sizeof hex - 1;
        size_t bytes = (digits + 1) / 2;
        randombytes_buf(raw, bytes);
        sodium_bin2hex(hex, sizeof hex, raw, bytes);
        memcpy(out + done, hex, digits);
        done += digits;
    }
    out[hex_len] = '\0';
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(hex, sizeof hex);
}

bool auth_token_wellformed(const char *t, size_t hex_len)
{
    if (!t)
        return false;
    size_t i = 0;
    for (; i < hex_len; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return false; /* a NUL stops here too: never reads past a short string */
    return t[i] == '\0';
}

void auth_token_hash(const char *t, size_t len, char out[AUTH_HASH_HEX + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)t, len);
    sodium_bin2hex(out, AUTH_HASH_HEX + 1, digest, sizeof digest);
}

bool auth_token_equal(const char *a, const char *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}
