/* ws_handshake - Sec-WebSocket-Key / Sec-WebSocket-Accept and header token lists.
 *
 * SHA-1 comes from OpenSSL's one-shot SHA1(); base64 is a few lines here, since the only
 * inputs are a 20-byte digest to encode and a 24-character key to check. The key and the
 * GUID are hashed from one stack buffer, which is why the key length is bounded. */
#include "ws/ws_handshake.h"

#include <stdint.h>
#include <string.h>

#include <openssl/sha.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* RFC 6455 1.3 */

static const char b64_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 digit, or -1. */
static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Encodes n bytes as padded base64 into out, NUL-terminated (out holds 4 * ceil(n/3) + 1). */
static void b64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64_digits[v >> 18 & 63];
        out[o++] = b64_digits[v >> 12 & 63];
        out[o++] = b64_digits[v >> 6 & 63];
        out[o++] = b64_digits[v & 63];
        if (i + 2 >= n) /* a short last group: its padding replaces the digits of no data */
            out[o - 1] = '=';
        if (i + 1 >= n)
            out[o - 2] = '=';
    }
    out[o] = '\0';
}

bool ws_handshake_key_valid(const char *key, size_t len)
{
    if (key == NULL || len != 24 || key[22] != '=' || key[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++)
        if (b64_value(key[i]) < 0)
            return false;
    /* 16 bytes are 128 bits; 22 digits carry 132, so the last digit's low 4 bits are pad. */
    return (b64_value(key[21]) & 0x0F) == 0;
}

void ws_handshake_accept(const char *key, size_t len, char out[WS_ACCEPT_SIZE])
{
    unsigned char text[WS_HANDSHAKE_KEY_MAX + sizeof WS_GUID - 1];
    unsigned char digest[SHA_DIGEST_LENGTH];
    out[0] = '\0';
    if (len > WS_HANDSHAKE_KEY_MAX)
        return;
    if (len)
        memcpy(text, key, len);
    memcpy(text + len, WS_GUID, sizeof WS_GUID - 1);
    SHA1(text, len + sizeof WS_GUID - 1, digest);
    b64_encode(digest, sizeof digest, out);
}

void ws_handshake_client_key(const uint8_t nonce[16], char out[WS_KEY_SIZE])
{
    b64_encode(nonce, 16, out);
}

bool ws_handshake_accept_matches(const char *key, const char *accept, size_t len)
{
    char want[WS_ACCEPT_SIZE];
    ws_handshake_accept(key, strlen(key), want);
    return want[0] != '\0' && len == strlen(want) && memcmp(want, accept, len) == 0;
}

static char ascii_lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c | 0x20);
    return c;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* True when a[0..n) equals the NUL-terminated b, ignoring ASCII case. */
static bool equal_nocase(const char *a, size_t n, const char *b)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] == '\0' || ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return b[n] == '\0';
}

bool ws_header_has_token(const char *list, size_t len, const char *token)
{
    if (token[0] == '\0')
        return false;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && list[i] != ',')
            i++;
        size_t end = i++; /* i skips the comma */
        while (start < end && is_ows(list[start]))
            start++;
        while (end > start && is_ows(list[end - 1]))
            end--;
        if (equal_nocase(list + start, end - start, token))
            return true;
    }
    return false;
}
