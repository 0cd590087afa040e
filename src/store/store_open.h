/* store_open - picks the backend a URL names ("sqlite:PATH", "postgresql://..."); the only
 * module that knows every backend of this build (each backend's header includes store.h, so
 * store.h cannot know them). */
#ifndef PARLEY_STORE_OPEN_H
#define PARLEY_STORE_OPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "store/store.h"

/* Options every backend understands. */
typedef struct {
    bool sync_full; /* durable against power loss (fsync per commit), not only a killed process */
    /* Every account write (STORE_USER_*, STORE_SESSION_*, STORE_INVITE_PUT) also bumps
     * store_accounts_version in its transaction: set by the `parley user` command, so that a
     * running server sees its changes; a server leaves it false. */
    bool bump_accounts;
    /* A read's cost budget (a backend's own unit: SQLite's VM steps; PostgreSQL turns it into a
     * statement timeout, store_pg.h); 0: the backend's default, sized for any page on a million
     * messages. Tests make it small. */
    uint64_t read_budget;
} store_open_opts_t;

/* Opens the store a URL names: "sqlite:PATH" (PATH as given: sqlite:parley.db,
 * sqlite:/var/lib/parley/chat.db), or "postgresql://..." and "postgres://..." (libpq's URL,
 * store_pg.h). Completions run on `loop`. Returns 0 and *out, or
 * STORE_EINVAL after logging when the URL names no backend of this build (the message lists
 * the schemes it knows), or STORE_EFAILED after logging when the backend cannot open. */
int store_open(struct uv_loop_s *loop, const char *url, const store_open_opts_t *opts,
               store_t **out);
/* url as logs may show it, in buf (cap bytes; cut if longer): a password it holds (in
 * postgresql://USER:PASSWORD@HOST, or a password=... parameter) replaced by "***". Returns
 * buf. */
const char *store_url_shown(const char *url, char *buf, size_t cap);
/* The schemes store_open knows, for --help: "sqlite, postgresql, postgres". */
const char *store_schemes(void);

#endif
