/* bus - what every backend and caller of bus.h shares beyond the interface itself: the one
 * definition of a valid name, and the options' defaults. */
#include "bus/bus.h"

#include <string.h>

bool bus_topic_valid(const char *topic)
{
    if (!topic)
        return false;
    size_t n = strnlen(topic, BUS_TOPIC_MAX + 1);
    return n > 0 && n <= BUS_TOPIC_MAX && strncmp(topic, BUS_RESERVED, strlen(BUS_RESERVED)) != 0;
}

bool bus_key_valid(const char *key)
{
    if (!key)
        return false;
    size_t n = strnlen(key, BUS_KEY_MAX + 1);
    return n > 0 && n <= BUS_KEY_MAX;
}

bus_opts_t bus_opts_resolve(const bus_opts_t *opts)
{
    bus_opts_t o = {0};
    if (opts)
        o = *opts;
    if (!o.prefix)
        o.prefix = "parley:";
    if (!o.max_pending)
        o.max_pending = 16384;
    if (!o.max_pending_bytes)
        o.max_pending_bytes = (size_t)16 << 20;
    if (!o.connect_timeout_ms)
        o.connect_timeout_ms = 2000;
    if (!o.ping_interval_ms)
        o.ping_interval_ms = 2000;
    if (!o.ping_timeout_ms)
        o.ping_timeout_ms = 3000;
    if (!o.backoff_min_ms)
        o.backoff_min_ms = 100;
    if (!o.backoff_max_ms)
        o.backoff_max_ms = 5000;
    return o;
}

bool bus_opts_valid(const bus_opts_t *o)
{
    return o->prefix && strnlen(o->prefix, BUS_PREFIX_MAX + 1) <= BUS_PREFIX_MAX &&
           o->backoff_min_ms <= o->backoff_max_ms;
}
