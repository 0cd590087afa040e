/* store_open - the one place that knows every backend of this build: store_open picks one
 * by the scheme of a URL ("sqlite:PATH", "postgresql://..."), so main and the tests never
 * name a backend. A new backend adds one row to `schemes`. */
#include "store/store_open.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "store/store_pg.h"
#include "store/store_sqlite.h"

/* url: the whole URL; rest: what follows its scheme's colon. */
typedef int (*open_fn)(uv_loop_t *loop, const char *url, const char *rest,
                       const store_open_opts_t *opts, store_t **out);

static int open_sqlite(uv_loop_t *loop, const char *url, const char *path,
                       const store_open_opts_t *opts, store_t **out)
{
    (void)url;
    if (!path[0]) {
        log_error("store: sqlite: needs a file, as in sqlite:parley.db");
        return STORE_EINVAL;
    }
    store_sqlite_opts_t so = {path, opts->sync_full, opts->bump_accounts, opts->read_budget};
    return store_sqlite_open(loop, &so, out) < 0 ? STORE_EFAILED : 0;
}

/* libpq reads the URL itself, both of its schemes included. */
static int open_pg(uv_loop_t *loop, const char *url, const char *rest,
                   const store_open_opts_t *opts, store_t **out)
{
    (void)rest;
    store_pg_opts_t po = {url, opts->sync_full, opts->bump_accounts, opts->read_budget};
    return store_pg_open(loop, &po, out) < 0 ? STORE_EFAILED : 0;
}

static const struct {
    const char *scheme;
    open_fn open;
} schemes[] = {
    {"sqlite", open_sqlite},
    {"postgresql", open_pg},
    {"postgres", open_pg},
};
#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

const char *store_schemes(void)
{
    static char list[96];
    if (!list[0]) {
        size_t n = 0;
        for (size_t i = 0; i < NSCHEMES && n < sizeof(list); i++)
            n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
                                  schemes[i].scheme);
    }
    return list;
}

int store_open(uv_loop_t *loop, const char *url, const store_open_opts_t *opts, store_t **out)
{
    const char *colon = strchr(url, ':');
    size_t len = colon ? (size_t)(colon - url) : 0;
    for (size_t i = 0; colon && i < NSCHEMES; i++)
        if (strlen(schemes[i].scheme) == len && strncmp(schemes[i].scheme, url, len) == 0)
            return schemes[i].open(loop, url, colon + 1, opts, out);
    log_error("store: '%s' names no store this build knows (known: %s; as in sqlite:parley.db)",
              url, store_schemes());
    return STORE_EINVAL;
}
