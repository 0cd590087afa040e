/* bus_redis - the bus (bus.h) over Redis, with hiredis and its libuv adapter.
 *
 * Redis layout: topic T is the pub/sub channel PREFIX+T; key K is the string key PREFIX+K
 * (set with PSETEX, so its TTL is Redis's own). Pub/sub channels are not per database: the
 * prefix, not /DB, keeps two clusters apart on one Redis. The bus also publishes to its own
 * heartbeat channel, PREFIX "_bus:hb:" PID ":" RANDOM, which no topic can name.
 *
 * Connections: two (commands, and one in subscribe mode), opened together, with a connect
 * timeout, a heartbeat deadline while up, and a reconnect backoff (bus_opts_t). The host
 * name is looked up off the loop, at every attempt (a failover may move it). No AUTH and no
 * TLS yet: Redis on a private network, as the deployment docs say. */
#ifndef PARLEY_BUS_REDIS_H
#define PARLEY_BUS_REDIS_H

#include <uv.h>

#include "bus/bus.h"

/* Opens a bus on url, "redis://HOST[:PORT][/DB]" (PORT 6379 and DB 0 unless given; HOST a
 * name, an IPv4 address or an IPv6 one in brackets). Returns 0 and *out at once: the bus
 * starts down and connects from the loop, firing on_state(true) once it is up. BUS_EINVAL
 * (logged) for a malformed URL or options. cbs is copied; ctx is passed to every callback. */
int bus_redis_open(uv_loop_t *loop, const char *url, const bus_opts_t *opts,
                   const bus_callbacks_t *cbs, void *ctx, bus_t **out);

#endif
