/* client_conn - one outgoing TCP connection on a libuv loop, in TLS when the URL says so
 * (OpenSSL through net_tls's memory BIO: the socket is only ever read and written here).
 * It resolves the host, tries each of its addresses in turn, and hands the layer above
 * plaintext both ways.
 *
 * Callbacks fire on the loop, never from inside client_conn_open, _write or _close. After
 * `closed` fired, or after client_conn_close, no callback fires again and the connection
 * frees itself once its handles are closed: the owner drops its pointer. */
#ifndef PARLEY_CLIENT_CONN_H
#define PARLEY_CLIENT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "client/client_url.h"
#include "net/net_tls.h"

typedef struct client_conn client_conn_t;

typedef struct {
    /* TCP is up (and TLS's handshake done, the certificate verified): writes may go. */
    void (*connected)(client_conn_t *c, void *ud);
    /* Plaintext from the server (borrowed until the callback returns). */
    void (*data)(client_conn_t *c, const uint8_t *p, size_t n, void *ud);
    /* The connection ended: why is NULL for the server's orderly end, else a sentence
     * ("connection refused", "TLS: certificate verify failed", "timed out"). connected
     * says whether `connected` had fired. */
    void (*closed)(client_conn_t *c, const char *why, int connected, void *ud);
} client_conn_cb_t;

#define CLIENT_CONN_TIMEOUT_MS 10000 /* to get connected (DNS, TCP, TLS) */

/* Starts connecting to u (copied) over TLS when tls (borrowed; it must outlive the
 * connection) is not NULL. cb is copied; ud is the caller's. Never NULL. */
client_conn_t *client_conn_open(uv_loop_t *loop, const client_url_t *u, net_tls_ctx_t *tls,
                                const client_conn_cb_t *cb, void *ud);

/* Queues len bytes (copied) for the server. 0, or -1 when not connected or closing. */
int client_conn_write(client_conn_t *c, const void *p, size_t len);

/* Ends the connection: what was written goes out first (and TLS's close_notify), then the
 * socket closes. No callback fires any more. */
void client_conn_close(client_conn_t *c);

#endif
