/* bus_mem - the bus (bus.h) in one process: several bus_t joined by a bus_mem_net_t that
 * plays Redis, for tests of the layers above (the chat layer's fan-out, catch-up and repair)
 * without a server. Nothing in it is a socket or a thread.
 *
 * The net is a FIFO of events, as a Redis and its connections would carry them: requests
 * from the buses (connect, publish, subscribe, unsubscribe, setex, del, scan), which the net
 * applies when their turn comes, and deliveries to the buses (messages, confirmations, state
 * changes, scan answers). So what Redis would make of an interleaving, the net makes of it:
 * a message published before a subscription reached the "server" is not delivered to it, one
 * published after is, after the on_subscribed that precedes it. Each request and delivery is
 * one step.
 *
 * Two modes, by the loop given to bus_mem_net_new:
 * - a loop: steps run on a later loop turn (a uv_async handle), until none is left.
 * - NULL (manual): nothing moves until the test calls bus_mem_step or bus_mem_run, and every
 *   callback fires from inside those, on the test's stack.
 *
 * Failures, as the test decides: bus_mem_set_up(b, false) takes one bus down as a lost
 * connection would (whatever it had in flight is lost; on_state(false) is due);
 * bus_mem_set_up(b, true) reconnects it (on_state(true), then on_subscribed again for every
 * topic it references). bus_mem_lose drops one message on its way, as Redis may (a slow
 * subscriber cut off).
 *
 * Options: prefix (buses on one net with different prefixes do not see each other's topics
 * or keys) and the bound (publishes not yet applied by the net). Keys expire by the net's
 * clock: the loop's (uv_now) plus what bus_mem_advance added; 0 plus it in manual mode. */
#ifndef PARLEY_BUS_MEM_H
#define PARLEY_BUS_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "bus/bus.h"

typedef struct bus_mem_net bus_mem_net_t;

/* A new, empty net. loop NULL: manual mode. Never NULL. */
bus_mem_net_t *bus_mem_net_new(uv_loop_t *loop);
/* Frees the net and its keys; every bus on it is closed first (asserted). With a loop the
 * memory goes in the handle's close callback: run the loop afterwards. */
void bus_mem_net_free(bus_mem_net_t *net);
/* A bus on net: like a Redis bus it starts down, connecting; its on_state(true) is its first
 * step. BUS_EINVAL for invalid options. bus_close frees it at once (no handle of its own),
 * answering its pending scans BUS_ECLOSED; its events in flight vanish. */
int bus_mem_open(bus_mem_net_t *net, const bus_opts_t *opts, const bus_callbacks_t *cbs, void *ctx,
                 bus_t **out);

/* Steps waiting. */
size_t bus_mem_pending(const bus_mem_net_t *net);
/* Runs the oldest step (its callbacks fire before it returns); false when none waits. */
bool bus_mem_step(bus_mem_net_t *net);
/* Runs steps until none waits, those the steps add included; returns how many ran. */
size_t bus_mem_run(bus_mem_net_t *net);
/* Loses the oldest message delivery waiting (to any bus); false when there is none. */
bool bus_mem_lose(bus_mem_net_t *net);
/* Takes b down or brings it back up (nothing when it is already so, or connecting). */
void bus_mem_set_up(bus_t *b, bool up);
/* Moves the net's clock (TTL keys) forward. */
void bus_mem_advance(bus_mem_net_t *net, uint64_t ms);

#endif
