/* bus_open - the one place that knows every bus backend of this build: bus_open picks one by
 * the scheme of a URL, so main and the chat layer never name a backend. A new backend adds
 * one row to `schemes`. */
#include "bus/bus_open.h"

#include <string.h>

#include "base/log.h"
#include "bus/bus_redis.h"

static const struct {
    const char *scheme; /* with its "://" */
    int (*open)(uv_loop_t *loop, const char *url, const bus_opts_t *opts,
                const bus_callbacks_t *cbs, void *ctx, bus_t **out);
} schemes[] = {
    {"redis://", bus_redis_open},
};
#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

const char *bus_schemes(void)
{
    return "redis";
}

int bus_open(uv_loop_t *loop, const char *url, const bus_opts_t *opts, const bus_callbacks_t *cbs,
             void *ctx, bus_t **out)
{
    for (size_t i = 0; i < NSCHEMES; i++)
        if (strncmp(url, schemes[i].scheme, strlen(schemes[i].scheme)) == 0)
            return schemes[i].open(loop, url, opts, cbs, ctx, out);
    log_error("bus: '%s' names no bus this build knows (known: %s; as in redis://127.0.0.1:6379)",
              url, bus_schemes());
    return BUS_EINVAL;
}
