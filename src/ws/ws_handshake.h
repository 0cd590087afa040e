/* ws_handshake - the pieces of the RFC 6455 opening handshake (section 4.2) that are about
 * WebSocket rather than HTTP: checking Sec-WebSocket-Key, computing Sec-WebSocket-Accept,
 * and looking for a token in a comma-separated header value. No I/O, no allocation. */
#ifndef PARLEY_WS_HANDSHAKE_H
#define PARLEY_WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_ACCEPT_SIZE 29       /* 28 base64 characters and a NUL */
#define WS_HANDSHAKE_KEY_MAX 64 /* longest key ws_handshake_accept hashes (valid ones are 24) */
#define WS_KEY_SIZE 25          /* a client's key: 24 base64 characters and a NUL */

/* True when key[0..len) (borrowed, need not be NUL-terminated) is a valid
 * Sec-WebSocket-Key: the canonical base64 of exactly 16 bytes, i.e. 22 base64 characters,
 * the last with its 4 padding bits zero, then "==" (RFC 6455 4.1, RFC 4648 3.5). */
bool ws_handshake_key_valid(const char *key, size_t len);

/* Writes the Sec-WebSocket-Accept value for key[0..len) (borrowed): base64 of the SHA-1 of
 * the key followed by the RFC 6455 GUID, NUL-terminated, into out (caller's, 29 bytes). The
 * key is meant to have passed ws_handshake_key_valid; one over WS_HANDSHAKE_KEY_MAX bytes
 * gets the empty string, which no client accepts. */
void ws_handshake_accept(const char *key, size_t len, char out[WS_ACCEPT_SIZE]);

/* The client's side (RFC 6455 4.1): writes the Sec-WebSocket-Key for the 16 random bytes
 * nonce (borrowed; the caller draws them) into out (caller's, 25 bytes, NUL-terminated). The
 * result always passes ws_handshake_key_valid. */
void ws_handshake_client_key(const uint8_t nonce[16], char out[WS_KEY_SIZE]);

/* The client's check of the server's answer: true when accept[0..len) (borrowed, need not be
 * NUL-terminated) is exactly the Sec-WebSocket-Accept that key (NUL-terminated, the one the
 * client sent) calls for. */
bool ws_handshake_accept_matches(const char *key, const char *accept, size_t len);

/* True when the comma-separated header value list[0..len) (borrowed, need not be
 * NUL-terminated) contains an element equal to token (NUL-terminated), compared
 * ASCII-case-insensitively, with spaces and tabs around the commas ignored; e.g.
 * "keep-alive, Upgrade" contains "upgrade". An empty token is never found. */
bool ws_header_has_token(const char *list, size_t len, const char *token);

#endif
