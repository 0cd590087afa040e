/* net - the only module that touches sockets: a TCP listener, connection lifetime, bounded
 * outbound queues of shared blobs, and the once-per-loop-turn flush.
 *
 * Reading: every connection reads into one receive buffer shared by the whole loop (a
 * connection that has nothing to say owns no input memory); on_data sees the bytes only
 * for the duration of the call, so the layer above must consume or copy them.
 *
 * Writing: net_conn_send appends a reference to a blob (an encoded frame, typically shared
 * by every recipient of a broadcast) to the connection's queue. Queues are flushed once per
 * loop turn, just before the loop sleeps (uv_prepare), with uv_try_write of every pending
 * buffer and then one uv_write of what is left; one write is in flight per connection.
 *
 * TLS (net_config_t tls): every connection of the server speaks TLS through a net_tls session.
 * Ciphertext read goes through the session and on_data sees plaintext, all a read decrypts in
 * one call. The queue still holds the shared plaintext blobs, counted against the bound as
 * plaintext: each connection encrypts its queue when it is flushed, a batch at a time, so a
 * broadcast frame is still encoded once and only its encryption is per recipient. The
 * ciphertext of one batch at most is outside the queue (written, or in the write in flight).
 * A connection asked to close sends its close_notify once its queue is written.
 *
 * Admission (net_config_t peers): each accepted socket's client (net_peers.h: an IPv4
 * address, an IPv6 /64) is counted against its cap before anything else is done for it; past
 * the cap the socket is closed at once and counted in refused_per_ip. The count goes back
 * when the connection's handle is closed.
 *
 * Lifetime: net_conn_close is asynchronous; on_close fires from the handle's close
 * callback, after which the connection memory is freed. A connection is never freed while
 * a callback of it is on the stack. */
#ifndef PARLEY_NET_H
#define PARLEY_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/blob.h"
#include "net/net_peers.h"
#include "net/net_tls.h"

typedef struct net_conn net_conn_t;
typedef struct net_tls_io net_tls_io_t; /* a TLS connection's session and ciphertext (net.c) */
typedef struct net_server net_server_t;

typedef struct {
    /* A connection was accepted; the handler sets c->data. */
    void (*on_open)(net_conn_t *c);
    /* Bytes arrived. data lives in the shared receive buffer: valid and writable only during
     * the call. */
    void (*on_data)(net_conn_t *c, uint8_t *data, size_t len);
    /* The peer closed, the socket failed, or net_conn_close completed: the last call for c,
     * which is freed when it returns. */
    void (*on_close)(net_conn_t *c);
    /* Once a second for every open connection (the sweep: timeouts, keep-alive pings). */
    void (*on_tick)(net_conn_t *c, uint64_t now_ms);
    /* The queue became empty after net_conn_want_drain asked to be told (flow control of
     * long replies). Called from the flush or a write callback, never inside a send. */
    void (*on_drain)(net_conn_t *c);
    /* Once every loop turn, just before the queued bytes are written (NULL: not wanted):
     * the last moment to queue frames that should leave in this turn. */
    void (*on_flush)(net_server_t *s);
} net_handler_t;

typedef struct {
    const char *host;
    int port;            /* 0: any free port (see net_server_port) */
    size_t max_outbound; /* bound of each connection's queued bytes */
    /* SO_REUSEPORT, several loops listening on one port: 0 off; 1 the group's first listener,
     * which first checks that nobody else holds the port (another process of the same user
     * could otherwise silently share it); 2 a further listener of the group. */
    uint8_t reuseport;
    /* Every connection speaks TLS with sessions of this context (borrowed, outliving the
     * server); NULL: plain TCP. */
    net_tls_ctx_t *tls;
    /* Connections per client address, with their cap, shared by every listener of the
     * server (borrowed, outliving it; NULL: no cap). A connection past its client's cap is
     * closed as it is accepted, before anything is read or allocated for it. */
    net_peers_t *peers;
} net_config_t;

typedef struct {
    blob_t *b;
    size_t off;  /* bytes of b already written */
    bool exempt; /* queued by net_conn_send_control: outside the bound */
} net_out_t;

/* Ordered widest first: one per connection, so padding counts. */
struct net_conn {
    uv_tcp_t tcp;            /* first: libuv's callbacks give the handle, which is the connection;
                              * tcp.data is the server (net_conn_srv) */
    void *data;              /* the handler's per-connection state */
    net_out_t *q;            /* ring of queued buffers */
    size_t q_bytes;          /* unwritten bytes queued */
    size_t q_exempt;         /* of which queued by net_conn_send_control */
    uv_write_t *wreq;        /* only while a write is in flight: idle connections stay small */
    net_tls_io_t *tls;       /* NULL: plain TCP */
    net_conn_t *prev, *next; /* every open connection */
    net_conn_t *flush_next;  /* pending flush list */
    uint64_t peer;           /* the client it counts for in cfg.peers: net_peer_t's bits */
    uint32_t q_head, q_len, q_cap;
    uint32_t inflight; /* entries of q inside the uv_write in flight */
    uint32_t id;       /* for log lines; wraps after 4 billion connections, harmlessly */
    bool writing, in_flush, closing, close_after_flush, dead, want_drain, shut, linger;
    bool peer_v6, counted; /* net_peer_t's v6; counted in cfg.peers (given back on close) */
};

/* The server c belongs to. */
static inline net_server_t *net_conn_srv(const net_conn_t *c)
{
    return (net_server_t *)c->tcp.data;
}

struct net_server {
    uv_loop_t *loop;
    int lfd;        /* the listening socket (ours: see make_listener) */
    int reserve_fd; /* spent to shed a connection when descriptors run out */
    uv_poll_t lpoll;
    uv_timer_t retry; /* resumes accepting after running out of descriptors */
    uv_prepare_t flusher;
    uv_timer_t sweeper;
    net_config_t cfg;
    const net_handler_t *h;
    void *data;
    net_conn_t *conns; /* list of open connections */
    net_conn_t *flush_head;
    uint64_t next_id;
    size_t nconns;
    uint64_t accepted, bytes_in, bytes_out;
    uint64_t refused_per_ip; /* connections closed at accept: their client was at its cap */
    bool listening, accept_error_logged, refusal_logged;
};

/* Binds and listens. Returns 0 or a UV_E* code (logged). */
int net_server_start(net_server_t *s, uv_loop_t *loop, const net_config_t *cfg,
                     const net_handler_t *h, void *data);
/* The port actually bound (useful with port 0). */
int net_server_port(const net_server_t *s);
/* Closes the listener and timers; open connections are closed too. Handles finish closing
 * on the next loop turns. */
void net_server_stop(net_server_t *s);

/* A hint before a send: fetches the queue slot the next net_conn_send fills into the cache
 * (a broadcast's sends fetch it a few connections ahead). */
static inline void net_conn_prefetch_slot(const net_conn_t *c)
{
    if (c->q_cap)
        __builtin_prefetch(&c->q[(c->q_head + c->q_len) % c->q_cap], 1);
}

/* Queues a reference to b (the caller keeps its own). Returns 0, or -1 without queueing
 * when the queue already holds max_outbound bytes besides those net_conn_send_control
 * queued (the caller decides what a slow consumer deserves) or the connection is closing. A queue
 * under its bound takes one more blob of any size, so the bound is exceeded by at most one frame:
 * it limits backlog, it does not refuse a large reply. */
int net_conn_send(net_conn_t *c, blob_t *b);
/* Asks for one on_drain call once the queue is empty (at once if it is empty now: on the
 * next flush). */
void net_conn_want_drain(net_conn_t *c);
/* Queues b regardless of the bound, and outside it: control frames, and answers the peer
 * asked for, are never held back by it and never count against it (their caller bounds
 * them: see chat_session_send_answer). */
void net_conn_send_control(net_conn_t *c, blob_t *b);
/* Drops queued buffers that have not started going out (a slow consumer's backlog). */
void net_conn_drop_queued(net_conn_t *c);
/* Closes once the queue has been written. With linger, half-closes and waits for the
 * peer's EOF (the owner's sweep cuts a peer that never sends it): for closes we start
 * while the peer may still be sending. Without, closes outright: the peer already said it
 * is done. Further sends fail. Called again without linger, ends a linger. */
void net_conn_close_after_flush(net_conn_t *c, bool linger);
/* Closes now, dropping the queue. on_close follows asynchronously. */
void net_conn_close(net_conn_t *c);
/* Stops (false) or resumes (true) reading c: inbound flow control while what it sent is
 * still being handled elsewhere. */
void net_conn_read(net_conn_t *c, bool on);
/* True when c speaks TLS (the server has a net_tls context). */
bool net_conn_tls(const net_conn_t *c);
/* "c42 127.0.0.1:5000" into out, for log lines. */
void net_conn_name(const net_conn_t *c, char *out, size_t cap);

#endif
