/* bus_open - picks the bus backend a URL names ("redis://..."); the only module that knows
 * every backend of this build (each backend's header includes bus.h, so bus.h cannot know
 * them). The in-memory bus (bus_mem.h) is opened on its own in-process network instead: it
 * has no URL. */
#ifndef PARLEY_BUS_OPEN_H
#define PARLEY_BUS_OPEN_H

#include <uv.h>

#include "bus/bus.h"

/* Opens the bus url names: "redis://HOST[:PORT][/DB]" (bus_redis.h). opts NULL: defaults.
 * Callbacks fire on loop with ctx. Returns 0 and *out (the bus connects in the background,
 * on_state tells when it is up), or BUS_EINVAL after logging when url names no bus of this
 * build, is malformed, or opts are invalid. */
int bus_open(uv_loop_t *loop, const char *url, const bus_opts_t *opts, const bus_callbacks_t *cbs,
             void *ctx, bus_t **out);
/* The schemes bus_open knows, for --help: "redis". */
const char *bus_schemes(void);

#endif
