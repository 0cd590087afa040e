/* net_conn_tls - the TLS side of net's connections; see net_int.h and net.h.
 *
 * Reading: a read's ciphertext goes through the session (net_tls_read) into this thread's
 * plaintext buffer, which has room for all it can decrypt to (NET_TLS_READ_SLACK), and on to
 * on_data in one call: a handler that stops reading inside on_data has been given
 * everything, as on plain TCP, and nothing decrypted waits anywhere for a read to resume.
 *
 * Writing: the queue holds plaintext blobs, shared with every other recipient, counted by
 * the bound as plaintext, and `inflight` stays 0. A flush encrypts up to NET_TLS_BATCH bytes
 * of the queue's head into this thread's scratch buffer (entries leave the queue as they are
 * encrypted; a long one leaves in parts, its `off` advancing) and writes it with
 * uv_try_write; whatever the socket does not take becomes the connection's `flight`, the one
 * write in flight, and the flush goes on when it completes. So a broadcast frame is encoded
 * once and only encrypted per recipient, only when that recipient's socket can take it, and
 * at most one batch of a connection's ciphertext exists outside its queue.
 *
 * Order: ciphertext the session makes outside a flush (its handshake flight, a ticket, an
 * alert) waits in `pend`, and every flush writes `pend` before its batch: records must reach
 * the peer in the order they were made. */
#include "net/net_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmalloc.h"

/* Plaintext encrypted per flush step: enough to fill a socket buffer in a few steps, small
 * enough to bound what a connection holds outside its queue. */
#define NET_TLS_BATCH ((size_t)64 * 1024)
/* Queued frames smaller than a record are gathered into one record: a burst of small frames
 * costs one record's overhead and one cipher call, as writev batches them for plain TCP. */
#define NET_TLS_RECORD ((size_t)16 * 1024)

/* What one read decrypts to; the batch being encrypted; small frames being gathered. */
static _Thread_local uint8_t tls_plain[NET_RECV_SIZE + NET_TLS_READ_SLACK];
static _Thread_local buf_t tls_scratch;
static _Thread_local uint8_t tls_stage[NET_TLS_RECORD];

net_tls_io_t *net_conn_tls_new(net_tls_ctx_t *x)
{
    net_tls_t *s = net_tls_new(x);
    if (!s)
        return NULL;
    net_tls_io_t *io = xcalloc(1, sizeof(*io));
    io->s = s;
    return io;
}

void net_conn_tls_free(net_tls_io_t *io)
{
    if (!io)
        return;
    net_tls_free(io->s);
    buf_deinit(&io->pend);
    buf_deinit(&io->flight);
    free(io);
}

void net_conn_tls_release(void)
{
    buf_deinit(&tls_scratch);
}

/* The session ended in error: say why in the log (debug: scanners do it all day), and send
 * its alert if it made one, best effort, so that a client learns why (a version refused)
 * rather than seeing the connection just drop. */
static void tls_failed(net_conn_t *c)
{
    net_tls_io_t *io = c->tls;
    char name[96];
    net_conn_name(c, name, sizeof(name));
    log_conn(LOG_DEBUG, name, "tls: %s", net_tls_error(io->s));
    if (io->pend.len && !c->writing) {
        uv_buf_t b = uv_buf_init(io->pend.data, (unsigned)io->pend.len);
        (void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    }
}

void net_conn_tls_data(net_conn_t *c, const uint8_t *data, size_t len)
{
    net_tls_io_t *io = c->tls;
    bool was_ready = net_tls_ready(io->s);
    size_t plain = 0;
    int r = net_tls_read(io->s, data, len, tls_plain, sizeof(tls_plain), &plain, &io->pend);
    if (c->shut)
        buf_reset(&io->pend); /* after our close_notify and FIN: nowhere to go */
    /* The handshake's flight, a ticket; or plaintext queued before the handshake ended. */
    if (io->pend.len || (!was_ready && c->q_len && net_tls_ready(io->s)))
        net_schedule_flush(c);
    if (plain && !c->closing)
        net_conn_srv(c)->h->on_data(c, tls_plain, plain);
    if (r == NET_TLS_OK || c->closing)
        return;
    if (r != NET_TLS_CLOSED)
        tls_failed(c);
    /* A close_notify is the peer's EOF, as on plain TCP. */
    net_conn_close(c);
}

/* Encrypts up to NET_TLS_BATCH bytes of the queue's head into out, taking them off the
 * queue. Frames smaller than a record are gathered (tls_stage) into records of up to
 * NET_TLS_RECORD; a longer one is encrypted straight from its blob. -1 when the session
 * refuses. */
static int encrypt_batch(net_conn_t *c, buf_t *out)
{
    net_tls_io_t *io = c->tls;
    if (!net_tls_ready(io->s))
        return 0; /* queued before the handshake ended: sent once it has */
    size_t taken = 0, staged = 0;
    int rc = 0;
    while (c->q_len && taken < NET_TLS_BATCH && rc == 0) {
        net_out_t *o = net_q_at(c, 0);
        size_t k = o->b->len - o->off;
        if (k > NET_TLS_BATCH - taken)
            k = NET_TLS_BATCH - taken;
        const uint8_t *p = (const uint8_t *)o->b->data + o->off;
        if (staged && staged + k > NET_TLS_RECORD) {
            rc = net_tls_write(io->s, tls_stage, staged, out);
            staged = 0;
        }
        if (io->bye || rc) {
            /* Queued after our close_notify (a late control frame): it cannot be sent. */
        } else if (k >= NET_TLS_RECORD) {
            rc = net_tls_write(io->s, p, k, out);
        } else if (k) {
            memcpy(tls_stage + staged, p, k);
            staged += k;
        }
        taken += k;
        net_q_advance(c, k);
    }
    if (staged && rc == 0)
        rc = net_tls_write(io->s, tls_stage, staged, out);
    return rc < 0 ? -1 : 0;
}

void net_conn_tls_flush(net_conn_t *c)
{
    net_tls_io_t *io = c->tls;
    buf_t *s = &tls_scratch;
    while (!c->writing && !c->closing) {
        buf_reset(s);
        if (encrypt_batch(c, s) < 0) {
            tls_failed(c);
            net_conn_close(c);
            return;
        }
        uv_buf_t iov[2];
        uint32_t n = 0;
        if (io->pend.len)
            iov[n++] = uv_buf_init(io->pend.data, (unsigned)io->pend.len);
        if (s->len)
            iov[n++] = uv_buf_init(s->data, (unsigned)s->len);
        if (n == 0)
            return;
        int r = uv_try_write((uv_stream_t *)&c->tcp, iov, n);
        if (r == UV_EAGAIN || r == UV_ENOSYS)
            r = 0;
        if (r < 0) {
            net_conn_close(c);
            return;
        }
        net_conn_srv(c)->bytes_out += (size_t)r;
        size_t w = (size_t)r, from_pend = w < io->pend.len ? w : io->pend.len;
        if (from_pend == io->pend.len)
            buf_deinit(&io->pend); /* idle connections keep no ciphertext buffer */
        else
            buf_consume(&io->pend, from_pend);
        w -= from_pend;
        if (io->pend.len == 0 && w == s->len)
            continue;
        /* The kernel buffer is full: the rest, in order, is the write in flight. */
        io->flight = io->pend;
        io->pend = (buf_t)BUF_INIT;
        buf_append(&io->flight, s->data + w, s->len - w);
        uv_buf_t b = uv_buf_init(io->flight.data, (unsigned)io->flight.len);
        net_start_write(c, &b, 1);
        return;
    }
}

bool net_conn_tls_bye(net_conn_t *c)
{
    net_tls_io_t *io = c->tls;
    if (io->bye)
        return false;
    io->bye = true;
    net_tls_shutdown(io->s, &io->pend);
    return io->pend.len > 0;
}
