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

/* Appends n bytes of p to buf at *len (cut at cap - 1). */
static void put(char *buf, size_t cap, size_t *len, const char *p, size_t n)
{
    size_t room = cap - 1 - *len;
    n = n < room ? n : room;
    memcpy(buf + *len, p, n);
    *len += n;
    buf[*len] = '\0';
}

const char *store_url_shown(const char *url, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    const char *p = url, *sep = strstr(url, "://");
    if (sep) { /* scheme://[user[:password]@]host...: the password, up to the last @ */
        const char *auth = sep + 3, *end = auth + strcspn(auth, "/?");
        const char *at = NULL;
        for (const char *q = auth; q < end; q++)
            at = *q == '@' ? q : at;
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon) {
            put(buf, cap, &len, url, (size_t)(colon + 1 - url));
            put(buf, cap, &len, "***", 3);
            p = at;
        }
    }
    for (const char *pw; (pw = strstr(p, "password=")); p += strcspn(p, "&")) {
        put(buf, cap, &len, p, (size_t)(pw + 9 - p));
        put(buf, cap, &len, "***", 3);
        p = pw + 9;
    }
    put(buf, cap, &len, p, strlen(p));
    return buf;
}

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
    char shown[256];
    log_error("store: '%s' names no store this build knows (known: %s; as in sqlite:parley.db)",
              store_url_shown(url, shown, sizeof(shown)), store_schemes());
    return STORE_EINVAL;
}
