/* net_int - what the net module's two files share (not for other modules):
 *   net.c           the listener, connections, the queue and its bound, plain TCP reading
 *                   and flushing, closing, the sweep;
 *   net_conn_tls.c  a TLS connection's reading and flushing: ciphertext in through its
 *                   session to on_data, the queue encrypted out at flush time.
 * Both run on the connection's loop thread only. */
#ifndef PARLEY_NET_INT_H
#define PARLEY_NET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/buf.h"
#include "net/net.h"
#include "net/net_tls.h"

#define NET_RECV_SIZE ((size_t)64 * 1024) /* bytes one read takes at most */

/* A TLS connection's state besides the socket: only TLS connections pay for it. */
struct net_tls_io {
    net_tls_t *s;
    buf_t pend;   /* ciphertext made and not yet handed to a write, in order */
    buf_t flight; /* ciphertext of the write in flight */
    bool bye;     /* our close_notify was made: no more plaintext goes out */
};

/* ---- net.c ---- */

/* The i-th queued entry from the head. */
static inline net_out_t *net_q_at(net_conn_t *c, uint32_t i)
{
    return &c->q[(c->q_head + i) % c->q_cap];
}
/* Marks n bytes off the front of the queue (written, or encrypted), releasing whole blobs. */
void net_q_advance(net_conn_t *c, size_t n);
/* Nothing queued, nothing being written, no ciphertext waiting. */
bool net_out_empty(const net_conn_t *c);
/* Puts c on the list flushed before the loop sleeps (once; not while a write is in flight). */
void net_schedule_flush(net_conn_t *c);
/* Starts c's one write in flight of n buffers, which must live until it completes; closes c
 * when it cannot start. */
void net_start_write(net_conn_t *c, uv_buf_t *iov, uint32_t n);

/* ---- net_conn_tls.c ---- */

/* A connection's TLS state, its session made from x. NULL when out of memory. */
net_tls_io_t *net_conn_tls_new(net_tls_ctx_t *x);
/* NULL is ignored. */
void net_conn_tls_free(net_tls_io_t *io);
/* len bytes read from c's socket (c->tls set): decrypted, and the plaintext handed to
 * on_data in one call. Closes c on the peer's close_notify and on a TLS error. */
void net_conn_tls_data(net_conn_t *c, const uint8_t *data, size_t len);
/* c's flush: what is pending, then the queue, encrypted a batch at a time, until the socket
 * takes no more or a write is in flight. */
void net_conn_tls_flush(net_conn_t *c);
/* c is to close, its queue written: makes our close_notify, once. True when it is to be
 * flushed before the close goes on (the caller flushes; the close goes on once the flush
 * finds c empty). */
bool net_conn_tls_bye(net_conn_t *c);
/* Frees this thread's scratch buffer (when its server stops: threads end without freeing). */
void net_conn_tls_release(void);

#endif
