/* relay - --threads N: N connection loops, each on its own thread, and the chat hub on the
 * main loop.
 *
 * Each connection loop runs an ordinary server (server.c) on its own SO_REUSEPORT
 * listener: HTTP, the handshake, frame parsing, inflating, compressing and writing all
 * happen there, in parallel. Chat traffic crosses over: a connection's session lives on
 * the hub's loop, which stays the one ordering point of every channel (seq assignment,
 * store, fan-out order), so the single-loop guarantees hold unchanged.
 *
 * Between the hub and each connection loop run two net_mailboxes, one each way, flushed
 * once per loop turn. Upward: opened, message, drained, closed. Downward: send a frame,
 * send a bulk frame, close, want drain, free. A broadcast frame is built once on the hub and
 * every recipient's item carries a reference to it (blob counts are atomic), never a copy.
 *
 * A link joins the two halves of one connection. The hub's side of it is a chat transport
 * (relay_transport); the connection loop applies what it receives with server_transport on
 * the real connection. Bounds: frames posted to a link and not yet applied count against
 * --max-outbound like its queue does (past it: closed 1013, as a slow consumer); messages
 * sent up and not yet handled by the hub stop the connection's reading past
 * RELAY_INBOUND_MAX bytes until the hub catches up.
 *
 * Lifetime: the connection loop owns the link until the connection closes; then the hub
 * closes the session and sends "free" back down, after every item already posted, so no item
 * can reach a freed link. */
#ifndef PARLEY_RELAY_H
#define PARLEY_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "chat/chat.h"
#include "server/server.h"

#define RELAY_INBOUND_MAX (256 * 1024)
#define RELAY_THREADS_MAX 64

typedef struct relay relay_t;
typedef struct relay_link relay_link_t;

/* The hub's transport when it runs behind a relay: conn pointers are relay links. */
extern const chat_transport_t relay_transport;

/* Starts `threads` connection loops (each on its own thread) serving cfg, with hub and
 * store on hub_loop, the calling thread's loop. Returns NULL after logging when the address
 * cannot be bound. */
relay_t *relay_start(uv_loop_t *hub_loop, const server_config_t *cfg, chat_hub_t *hub,
                     store_t *store, unsigned threads);
int relay_port(const relay_t *r);
/* As server_drain, on every loop. */
void relay_drain(relay_t *r);
/* WebSocket connections open on all loops. */
size_t relay_ws_count(const relay_t *r);
/* Stops every connection loop; their threads end, and the hub's handles close once each has
 * reported its last connection closed. Run hub_loop until it has no more handles before
 * relay_free. Messages arriving from now on are not published (the store is closing). */
void relay_stop(relay_t *r);
void relay_free(relay_t *r);

/* Connection-loop side, called by server.c on that loop's thread. */
relay_link_t *relay_conn_open(relay_worker_t *w, void *conn, int mode, const char *client_id);
/* A whole message arrived (data is copied). */
void relay_conn_message(relay_link_t *l, int opcode, const uint8_t *data, size_t len);
/* The connection's queue drained after the session asked. */
void relay_conn_drained(relay_link_t *l);
/* The connection is gone: l must not be used by the caller afterwards. */
void relay_conn_closed(relay_link_t *l);
/* All loops' metrics, as of each loop's last turn. */
void relay_metrics(relay_worker_t *w, server_metrics_t *out);

#endif
