/* conf - parley's flags and their environment twins, read and checked into one conf_t.
 *
 * Every flag has a PARLEY_* twin (--max-text -> PARLEY_MAX_TEXT); a flag beats its twin,
 * which beats the default. conf_parse reads both, checks every value and what the values make
 * together (--store or --db, the origins and host names the doors answer, the base path),
 * and says on stderr what is wrong; nothing of the server starts before it succeeds. The
 * server's main and the command lines (cli_cmd) read the same conf_t, so `parley user add
 * --db X` finds the store exactly as the server does. */
#ifndef PARLEY_CONF_H
#define PARLEY_CONF_H

#include <limits.h>
#include <stdio.h>

#include "auth/auth.h"
#include "base/buf.h"
#include "http/http_origin.h"

typedef struct {
    /* the flags, as given (strings borrowed from argv or the environment) */
    const char *host, *store, *db, *sync, *log_level, *log_format, *echo_path, *deflate, *guests,
        *registration, *allowed_origins, *public_url, *tls_cert, *tls_key, *bus, *files, *base_path;
    unsigned long long port, history, max_name, max_text, max_frame, rate, burst, max_outbound,
        handshake_timeout, idle_timeout, max_connections, max_header, max_body, resume_max,
        presence_limit, threads, guest_ttl, guest_joins, session_idle, session_max, hash_max,
        message_timeout, max_conns_per_ip, max_partial_input, max_file, file_quota;

    /* what conf_parse makes of them */
    char store_url[PATH_MAX + 64];     /* --store, or sqlite: and --db */
    char store_shown[PATH_MAX + 64];   /* the same for logs: no password (store_url_shown) */
    char base[HTTP_BASE_PATH_MAX + 1]; /* --base-path without its trailing slashes; "" root */
    /* From --public-url, --allowed-origins and the machine's name (http_origin.h): the origins
     * allowed besides a request's own, and the host names answered besides IP literals and
     * localhost; comma-separated, NUL-terminated. */
    buf_t origins, hosts;
} conf_t;

/* --db's default, told apart from a given --db by its address (--db and --store exclude
 * each other). */
extern const char conf_default_db[];

/* The defaults; --threads and --hash-max follow the machine's CPUs. */
void conf_init(conf_t *c);
/* The environment twins, then argv's flags (argv[0] skipped), checked. --help prints
 * conf_usage and --version the release, and both exit 0. 0, or -1 after saying why on
 * stderr (a usage error: exit 2). Sets the log's level and format. */
int conf_parse(conf_t *c, int argc, char **argv);
/* The command lines and every flag with its twin and its value in c. */
void conf_usage(FILE *f, const conf_t *c);
/* What auth is configured with (and PARLEY_TEST_FAST_HASH=1: libsodium's minimum cost, for
 * tests that sign in many times; never in production). */
auth_config_t conf_auth(const conf_t *c);
void conf_deinit(conf_t *c);

#endif
