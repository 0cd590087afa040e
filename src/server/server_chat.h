/* server_chat - the one door between the connection driver (server.c) and chat.
 *
 * The driver walks a connection from HTTP to an established WebSocket and then hands chat
 * what arrives on it, through a server_chat_t: six calls and the context they share. It
 * never calls chat, the hub, the REST layer or the store by name, and it knows neither
 * implementation:
 *   server_direct   --threads 1: each call goes straight into chat/chat.h on the driver's
 *                   own loop, which is also the hub's;
 *   server_loops    --threads N: the driver runs on a connection loop of its own thread, and
 *                   each call crosses to the hub's loop through a mailbox.
 * Chat answers a connection through the chat_transport_t its hub was created with
 * (server_transport, or server_loops_transport), not through this interface.
 *
 * Every call is made on the driver's loop thread. The session handle is the
 * implementation's, opaque to the driver: it is what open returned, and it is passed to
 * message, drained and closed for that connection only.
 *
 * The REST API (api.h) lives on the hub's loop too, so an /api request takes the same door:
 * request carries it to the api (up through the mailbox with --threads N) and brings the
 * answer back to the driver's loop as one blob of response bytes. */
#ifndef PARLEY_SERVER_CHAT_H
#define PARLEY_SERVER_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "chat/chat.h"

/* The connection side of /metrics: one loop's, or every loop's together. */
typedef struct {
    size_t connections, websockets;
    uint64_t accepted, slow_closed, bytes_in, bytes_out;
    /* Refusals of input still arriving: connections closed at accept past their address's
     * cap, connections closed when the partial-input budget was spent, and frames, messages
     * or requests that did not complete within --message-timeout. */
    uint64_t refused_per_ip, partial_refused, message_timeouts;
    size_t partial_bytes; /* held now of input still arriving (the process's, not summed) */
} server_conn_metrics_t;

/* What /metrics and /healthz report. */
/* How long a loop turn waits, before its sockets are written, for the commits of the writes
 * it submitted (store_settle): a commit takes a tenth of this on SQLite, so a message is
 * acknowledged and fanned out in the turn that read it; the bound keeps a slow disk
 * (--sync full) or a remote store from holding the loop longer than it. */
#define SERVER_SETTLE_US 1000

typedef struct {
    server_conn_metrics_t conn;
    chat_metrics_t chat; /* chat.available false: /healthz 503 "unavailable" */
    uint64_t store_appends, store_commits, store_queued;
} server_metrics_t;

typedef struct {
    void *ctx; /* the implementation's, passed to every call; borrowed, outliving the driver */
    /* A WebSocket was established on conn (the driver's connection, valid until closed):
     * opens its chat session in mode (client_id: the /ws/{client_id} route's id, "" for
     * others) with what the upgrade carried (creds, borrowed for the call; never NULL) and
     * returns the session handle, never NULL. */
    void *(*open)(void *ctx, void *conn, chat_mode_t mode, const char *client_id,
                  const chat_creds_t *creds);
    /* A whole message arrived: opcode WS_OP_TEXT (valid UTF-8) or WS_OP_BINARY; data is
     * borrowed for the call. */
    void (*message)(void *ctx, void *session, int opcode, const uint8_t *data, size_t len);
    /* The connection's outbound queue emptied after chat asked (transport want_drain). */
    void (*drained)(void *ctx, void *session);
    /* The connection is gone; session must not be used afterwards. Called from the
     * connection's close callback, never from inside a transport call. */
    void (*closed)(void *ctx, void *session);
    /* An /api request (req borrowed for the call: the implementation copies what it keeps).
     * done(done_ctx, response) fires exactly once, on the driver's loop, possibly before
     * request returns, with the whole HTTP response (borrowed for the call). Only when the
     * driver's loop has ended before the answer came (--threads N, shutting down) does it
     * fire instead on the thread that joined that loop, with response NULL: done_ctx is
     * then released and nothing is sent. The driver keeps done_ctx valid until then, even
     * when the connection closes first. */
    void (*request)(void *ctx, const api_request_t *req, api_answer_cb done, void *done_ctx);
    /* Fills the chat and store parts of *m. m->conn holds the calling loop's own numbers on
     * entry; an implementation that runs several connection loops replaces them with the
     * sum of every loop's. */
    void (*metrics)(void *ctx, server_metrics_t *m);
    /* Once every loop turn, just before the connections' queued frames are written (NULL:
     * nothing to do): where the implementation completes what should leave in this turn. */
    void (*flushing)(void *ctx);
} server_chat_t;

#endif
