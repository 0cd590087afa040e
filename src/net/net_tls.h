/* net_tls - TLS for net's connections: OpenSSL over memory, never over a socket. It sits
 * between the socket (net.c, the only code that reads and writes one) and the plaintext
 * layers above (HTTP, WebSocket): ciphertext that net read goes in, plaintext comes out;
 * plaintext that net is about to write goes in, ciphertext comes out, appended to a buffer
 * the caller writes. No libuv, no logging, no sockets: so it is unit-tested with a client
 * session in memory and fuzzed as a codec is.
 *
 * A context (net_tls_ctx_t) is the certificate and key of --tls-cert and --tls-key loaded
 * into an SSL_CTX: TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers for 1.2 (1.3 has nothing
 * else), no compression, no renegotiation, stateless session tickets and no session cache
 * (a cache costs memory per connection past the handshake). net_tls_ctx_reload loads the
 * files again into a new SSL_CTX and swaps it in for the sessions made from then on; a
 * session keeps the SSL_CTX it was made with (SSL_CTX is reference-counted), so no
 * connection is dropped by a reload. The swap is under a mutex: every connection loop of
 * --threads makes sessions from the one context while main's loop reloads it.
 *
 * A session (net_tls_t) is one connection's server side. Its I/O goes through a BIO of our
 * own: reads take from the bytes handed to net_tls_read, writes append to the caller's
 * buffer, so there is no copy of the input and no buffer per connection besides OpenSSL's
 * record buffers, which SSL_MODE_RELEASE_BUFFERS frees while the connection is idle. Every
 * function here runs on the session's loop thread only.
 *
 * Return codes: NET_TLS_OK (0) and the negative NET_TLS_* below. */
#ifndef PARLEY_NET_TLS_H
#define PARLEY_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum {
    NET_TLS_OK = 0,
    NET_TLS_CLOSED = -1,  /* the peer sent close_notify: it sends nothing more */
    NET_TLS_ERROR = -2,   /* a handshake refused (a version, a cipher), a bad record */
    NET_TLS_NOT_TLS = -3, /* the first byte is not a TLS handshake record (plain HTTP) */
};

/* How much more plaintext than ciphertext one net_tls_read can give: at most one record
 * (2^14 bytes of plaintext, RFC 8446 5.2) held back, partly received, by an earlier call. */
#define NET_TLS_READ_SLACK ((size_t)17 * 1024)

typedef struct net_tls_ctx net_tls_ctx_t;
typedef struct net_tls net_tls_t;

/* Loads cert_file (PEM: the certificate, then any intermediates) and key_file (PEM private
 * key) into a new context. Returns NULL when either file cannot be read or parsed or the key
 * is not the certificate's, with a sentence naming the file in err (cap bytes). */
net_tls_ctx_t *net_tls_ctx_new(const char *cert_file, const char *key_file, char *err, size_t cap);
/* Loads the same two files again into a new SSL_CTX and makes it the one new sessions use;
 * sessions already made keep theirs. Returns 0, or -1 with the reason in err, the current
 * SSL_CTX kept. Safe while other threads call net_tls_new. */
int net_tls_ctx_reload(net_tls_ctx_t *x, char *err, size_t cap);
/* One line about the certificate in use ("CN=chat.example.com, valid until Mar  4 ..."). */
void net_tls_ctx_describe(net_tls_ctx_t *x, char *out, size_t cap);
/* Once no session made from it is used any more (each holds its own reference to the
 * SSL_CTX it was made with, so sessions may outlive this call; they may not be made). */
void net_tls_ctx_free(net_tls_ctx_t *x);

/* A server session on x's current SSL_CTX, waiting for the client's hello. NULL when out of
 * memory. */
net_tls_t *net_tls_new(net_tls_ctx_t *x);
void net_tls_free(net_tls_t *t);

/* The client's side (parley-cli), over the same memory BIO and the same read and write
 * calls. A client context trusts the PEM certificates of ca_file, or the system's store when
 * it is NULL; insecure turns verification off (tests, self-signed servers: the user asked).
 * TLS 1.2 and 1.3 only. NULL with the reason in err when ca_file cannot be loaded. Not for
 * net_tls_ctx_reload (-1). */
net_tls_ctx_t *net_tls_client_ctx_new(const char *ca_file, bool insecure, char *err, size_t cap);
/* A client session on a client context, for host (borrowed): sent as SNI unless it is an IP
 * address, and the name (or address) the server's certificate must carry. NULL when out of
 * memory. Its first flight comes from net_tls_start. */
net_tls_t *net_tls_client_new(net_tls_ctx_t *x, const char *host);
/* Client: appends the ClientHello to out; the server's answer goes to net_tls_read, which
 * completes the handshake (net_tls_ready) and then decrypts. NET_TLS_OK or NET_TLS_ERROR. */
int net_tls_start(net_tls_t *t, buf_t *out);

/* Feeds len bytes received from the peer (the handshake, records) and decrypts every record
 * they complete into plain (cap bytes, which must be at least len + NET_TLS_READ_SLACK: then
 * everything received is decrypted in one call, and the caller never has to come back for
 * plaintext left behind). *plain_len is set to the bytes decrypted, even on an error (what
 * came before it). What the session has to send in answer (its handshake flight, session
 * tickets, an alert) is appended to out. in is consumed whole. Returns NET_TLS_OK,
 * NET_TLS_CLOSED, NET_TLS_ERROR or NET_TLS_NOT_TLS; after an error, the session is unusable
 * but for net_tls_free (out may hold an alert worth sending). */
int net_tls_read(net_tls_t *t, const uint8_t *in, size_t len, uint8_t *plain, size_t cap,
                 size_t *plain_len, buf_t *out);
/* True once the handshake is complete: net_tls_write may be called. */
bool net_tls_ready(const net_tls_t *t);
/* Encrypts len bytes (len > 0) of plaintext, appending the records to out. Returns
 * NET_TLS_OK or NET_TLS_ERROR (not ready, or shut down). */
int net_tls_write(net_tls_t *t, const void *p, size_t len, buf_t *out);
/* Appends our close_notify to out (nothing before the handshake is complete). Nothing may
 * be written after it. */
void net_tls_shutdown(net_tls_t *t, buf_t *out);
/* Why the last call returned NET_TLS_ERROR: a static string ("unsupported protocol"), or ""
 * when nothing failed. */
const char *net_tls_error(const net_tls_t *t);
/* The protocol version agreed ("TLSv1.3"), or "" before the handshake. Static string. */
const char *net_tls_version(const net_tls_t *t);

#endif
