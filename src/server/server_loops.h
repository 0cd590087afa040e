/* server_loops - --threads N: N connection loops, each on its own thread running an ordinary
 * server (server.c), and the chat hub on the main loop. It is the second implementation of
 * server_chat_t (server_chat.h), and builds on server.h; server.c knows nothing of it.
 *
 * Each connection loop runs its server on its own SO_REUSEPORT listener: HTTP, the
 * handshake, frame parsing, inflating, compressing and writing all happen there, in
 * parallel. Chat traffic crosses over: a connection's session lives on the hub's loop, which
 * stays the one ordering point of every channel (seq assignment, store, fan-out order), so
 * the single-loop guarantees hold unchanged.
 *
 * Between the hub and each connection loop run two net_mailboxes, one each way, flushed
 * once per loop turn. Upward (the server_chat_t calls): open, message, drained, closed, and
 * /api requests (copied whole) for the REST layer, which runs on the hub's loop with auth.
 * Downward (the hub's transport calls): send a frame, send a bulk frame, close, want drain,
 * free, and each /api answer (one blob of response bytes). A broadcast frame is built once
 * on the hub and every recipient's item carries a reference to it (blob counts are atomic),
 * never a copy.
 *
 * A link joins the two halves of one connection; it is the session handle the server holds.
 * The hub's side of it is a chat transport (server_loops_transport); the connection loop
 * applies what it receives with server_transport on the real connection. Bounds: frames
 * posted to a link and not yet applied count against --max-outbound like its queue does
 * (past it: closed 1013, as a slow consumer); messages sent up and not yet handled by the
 * hub stop the connection's reading past SERVER_LOOPS_INBOUND_MAX bytes until the hub
 * catches up.
 *
 * Lifetime: the connection loop owns the link until the connection closes; then the hub
 * closes the session and sends "free" back down, after every item already posted, so no item
 * can reach a freed link. An /api answer needs no link: the driver's wait outlives its
 * connection (server_chat.h), and an answer for a loop that has ended is released on the
 * hub.
 *
 * /metrics and /healthz on any loop read snapshots: the hub's chat and store numbers, and
 * every loop's connection counters, each taken once per turn of its loop. */
#ifndef PARLEY_SERVER_LOOPS_H
#define PARLEY_SERVER_LOOPS_H

#include <stddef.h>
#include <uv.h>

#include "api/api.h"
#include "chat/chat.h"
#include "server/server.h"

#define SERVER_LOOPS_INBOUND_MAX ((size_t)256 * 1024)
#define SERVER_LOOPS_MAX 64 /* connection loops at most */

typedef struct server_loops server_loops_t;

/* The hub's transport when it runs behind the loops: its conn pointers are links. */
extern const chat_transport_t server_loops_transport;

/* Starts `threads` connection loops (each on its own thread, at most SERVER_LOOPS_MAX)
 * serving cfg, with hub, api and store (borrowed, outliving the loops) on hub_loop, the
 * calling thread's loop. hub must have been created with server_loops_transport. Returns
 * NULL after logging when the address cannot be bound. */
server_loops_t *server_loops_start(uv_loop_t *hub_loop, const server_config_t *cfg, chat_hub_t *hub,
                                   api_t *api, store_t *store, unsigned threads);
int server_loops_port(const server_loops_t *l);
/* As server_drain, on every loop. */
void server_loops_drain(server_loops_t *l);
/* WebSocket connections open on all loops. */
size_t server_loops_ws_count(const server_loops_t *l);
/* Stops every connection loop; their threads end, and the hub's handles close once each has
 * reported its last connection closed. Run hub_loop until it has no more handles before
 * server_loops_free. Messages arriving from now on are not published (the store is
 * closing), and /api requests are answered 503 without reaching the api. */
void server_loops_stop(server_loops_t *l);
void server_loops_free(server_loops_t *l);

/* l behind the front main drives (as server_loops_port, server_loops_drain, ... on l). */
server_front_t server_loops_front(server_loops_t *l);

#endif
