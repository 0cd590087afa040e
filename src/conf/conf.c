/* conf - flags and environment -> a checked configuration; see conf.h. */
#include "conf/conf.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>
#include <uv.h>

#include "base/log.h"
#include "server/server_loops.h"
#include "store/store_open.h"

const char conf_default_db[] = "parley.db";

typedef enum { OPT_STR, OPT_UINT, OPT_SIZE, OPT_SECS } opt_kind_t;

/* One flag: where its value lives in conf_t (off), how it is read, its largest number. */
typedef struct {
    const char *name;
    opt_kind_t kind;
    size_t off;
    unsigned long long max;
    const char *help;
} flag_t;

#define OFF(field) offsetof(conf_t, field)

static const flag_t flags[] = {
    {"host", OPT_STR, OFF(host), 0, "address to listen on (0.0.0.0 for every interface)"},
    {"port", OPT_UINT, OFF(port), 65535, "TCP port (0: any free port, printed at start)"},
    {"store", OPT_STR, OFF(store), 0,
     "where messages are kept, as a URL: sqlite:PATH, or postgresql://USER:PASSWORD@HOST/DB "
     "(empty: sqlite: and --db)"},
    {"db", OPT_STR, OFF(db), 0, "SQLite database file: short for --store sqlite:PATH"},
    {"bus", OPT_STR, OFF(bus), 0,
     "redis://HOST[:PORT]: serve the same channels as the other parley processes on this "
     "--store (empty: alone)"},
    {"files", OPT_STR, OFF(files), 0,
     "directory of uploaded files (empty: beside the SQLite file, parley.db -> parley.files; "
     "./parley.files for PostgreSQL)"},
    {"max-file", OPT_SIZE, OFF(max_file), 1ull << 32,
     "bytes of one uploaded file (held in memory while it arrives: it counts against "
     "--max-partial-input); 0: no uploads"},
    {"file-quota", OPT_SIZE, OFF(file_quota), 1ull << 50,
     "bytes of files one user may have stored (0: no quota)"},
    {"history", OPT_UINT, OFF(history), 200, "messages replayed on join"},
    {"sync", OPT_STR, OFF(sync), 0,
     "normal: survive a killed process; full: also fsync every commit (power loss)"},
    {"max-name", OPT_UINT, OFF(max_name), 64, "characters per user name"},
    {"max-text", OPT_UINT, OFF(max_text), 1000000, "characters per message"},
    {"max-frame", OPT_SIZE, OFF(max_frame), 1ull << 30, "bytes per frame and per message"},
    {"rate", OPT_UINT, OFF(rate), 1000000,
     "request tokens per second per user, sustained (a message costs 1)"},
    {"burst", OPT_UINT, OFF(burst), 1000000,
     "request tokens per user in a burst (an address's guests share 4 times it)"},
    {"max-outbound", OPT_SIZE, OFF(max_outbound), 1ull << 32,
     "queued bytes per connection before close 1013"},
    {"handshake-timeout", OPT_SECS, OFF(handshake_timeout), 3600,
     "seconds for a request or a WebSocket handshake"},
    {"idle-timeout", OPT_SECS, OFF(idle_timeout), 86400,
     "seconds of silence before a WebSocket is closed (pinged at half; 0: never)"},
    {"max-connections", OPT_UINT, OFF(max_connections), 10000000,
     "WebSocket connections; past it upgrades get 503"},
    {"max-conns-per-ip", OPT_UINT, OFF(max_conns_per_ip), 10000000,
     "open connections per client (IPv4 address, IPv6 /64); past it refused at accept (0: no "
     "cap; behind a reverse proxy every client is the proxy)"},
    {"max-partial-input", OPT_SIZE, OFF(max_partial_input), 1ull << 40,
     "bytes held of frames and requests still arriving, all connections; past it the one "
     "asking closes 1013 / 503 (0: none)"},
    {"message-timeout", OPT_SECS, OFF(message_timeout), 3600,
     "seconds from a frame's, message's or request's first byte to its last: else 1008 / 408 "
     "(0: none)"},
    {"max-header", OPT_SIZE, OFF(max_header), 1 << 20, "request head bytes before 431"},
    {"max-body", OPT_SIZE, OFF(max_body), 1 << 30, "request body bytes before 413"},
    {"resume-max", OPT_UINT, OFF(resume_max), 1000000, "longest gap a resume fills"},
    {"deflate", OPT_STR, OFF(deflate), 0,
     "on: negotiate permessage-deflate (one compressed frame per broadcast); off"},
    {"echo-path", OPT_STR, OFF(echo_path), 0,
     "serve a WebSocket echo route at this path, for conformance suites (off when empty)"},
    {"presence-limit", OPT_UINT, OFF(presence_limit), 10000000,
     "members above which a channel stops broadcasting join and leave"},
    {"threads", OPT_UINT, OFF(threads), SERVER_LOOPS_MAX,
     "connection loops, each on its own thread (1: one loop for everything)"},
    {"guests", OPT_STR, OFF(guests), 0,
     "on: people may join without an account (guests); off: accounts only"},
    {"guest-ttl", OPT_SECS, OFF(guest_ttl), 10ull * 365 * 86400,
     "seconds a guest's name stays held after it was last seen (0: only while online)"},
    {"guest-joins", OPT_UINT, OFF(guest_joins), 1000000,
     "new guests per client address per minute (behind a proxy or a NAT, one address is many "
     "people)"},
    {"registration", OPT_STR, OFF(registration), 0,
     "open, invite (an invite is needed) or closed; open while the server has no owner"},
    {"session-idle", OPT_SECS, OFF(session_idle), 10ull * 365 * 86400,
     "seconds a session may go unused before it ends"},
    {"session-max", OPT_SECS, OFF(session_max), 10ull * 365 * 86400,
     "seconds a session lasts at most (the cookie's Max-Age)"},
    {"hash-max", OPT_UINT, OFF(hash_max), 1024,
     "password hashes at once (64 MiB each); past it sign-ins get 429 (default: CPUs)"},
    {"base-path", OPT_STR, OFF(base_path), 0,
     "serve everything under this path (/chat: /chat/, /chat/ws, /chat/api ...; others 404), "
     "as a reverse proxy forwards it unchanged"},
    {"public-url", OPT_STR, OFF(public_url), 0,
     "the URL people open (https://chat.example.com): its host is answered, its origin allowed"},
    {"allowed-origins", OPT_STR, OFF(allowed_origins), 0,
     "other pages allowed to connect and use the cookie, comma-separated origins"},
    {"origins", OPT_STR, OFF(allowed_origins), 0, "the older name of --allowed-origins"},
    {"tls-cert", OPT_STR, OFF(tls_cert), 0,
     "serve HTTPS and wss: with this PEM certificate chain (with --tls-key; SIGHUP reloads)"},
    {"tls-key", OPT_STR, OFF(tls_key), 0, "the PEM private key of --tls-cert"},
    {"log-level", OPT_STR, OFF(log_level), 0, "debug, info, warn or error"},
    {"log-format", OPT_STR, OFF(log_format), 0,
     "text (a line per event) or json (an object per line: ts, level, msg, conn)"},
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

static void *field(const conf_t *c, const flag_t *f)
{
    return (char *)c + f->off;
}

void conf_init(conf_t *c)
{
    unsigned cpus = uv_available_parallelism();
    *c = (conf_t){
        .host = "127.0.0.1",
        .store = "",
        .db = conf_default_db,
        .sync = "normal",
        .log_level = "info",
        .log_format = "text",
        .echo_path = "",
        .deflate = "on",
        .guests = "on",
        .registration = "invite",
        .allowed_origins = "",
        .public_url = "",
        .tls_cert = "",
        .tls_key = "",
        .bus = "",
        .files = "",
        .base_path = "",
        .max_file = 25ull * 1024 * 1024,
        .file_quota = 1024ull * 1024 * 1024,
        .port = 8000,
        .history = 50,
        .max_name = 32,
        .max_text = 4000,
        .max_frame = 64ull * 1024,
        .rate = 20,
        .burst = 40,
        .max_outbound = 1024ull * 1024,
        .handshake_timeout = 10,
        .idle_timeout = 60,
        .max_connections = 100000,
        .message_timeout = 30,
        .max_conns_per_ip = 256,
        .max_partial_input = 64ull * 1024 * 1024,
        .max_header = 8ull * 1024,
        .max_body = 64ull * 1024,
        .resume_max = 10000,
        .presence_limit = 1000,
        .guest_ttl = 86400,
        .guest_joins = AUTH_GUEST_JOINS_DEFAULT,
        .session_idle = 30ull * 86400,
        .session_max = 90ull * 86400,
        .threads = cpus > SERVER_LOOPS_MAX ? SERVER_LOOPS_MAX : cpus,
        .hash_max = cpus,
        .origins = BUF_INIT,
        .hosts = BUF_INIT,
    };
}

void conf_deinit(conf_t *c)
{
    buf_deinit(&c->origins);
    buf_deinit(&c->hosts);
}

/* PARLEY_ + the flag's name in capitals, dashes as underscores: --max-text -> PARLEY_MAX_TEXT. */
static void env_name(const flag_t *f, char out[64])
{
    size_t n = (size_t)snprintf(out, 64, "PARLEY_");
    for (const char *p = f->name; *p && n + 1 < 64; p++)
        out[n++] = (char)(*p == '-' ? '_' : *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    out[n] = '\0';
}

void conf_usage(FILE *f, const conf_t *c)
{
    fprintf(f,
            "parley %s\n\n"
            "usage: parley [--flag value]...\n"
            "       parley user add NAME [--role owner|admin|member] [--db PATH | --store URL]\n"
            "       parley user reset NAME [--db PATH | --store URL]\n"
            "       parley bot add|token|revoke NAME [--db PATH | --store URL]\n"
            "       parley import slack EXPORT.zip [--db PATH | --store URL]\n"
            "       parley export OUT.zip [--db PATH | --store URL]\n"
            "       parley backup FILE [--db PATH | --store URL]\n"
            "       parley --version\n\n"
            "A self-hosted team chat server: web client on /, WebSocket on /ws, REST on /api.\n"
            "`parley user add` reads the password from stdin (one line); `parley user reset`\n"
            "prints a one-time link path /#reset=TOKEN. Both work while a server runs.\n\n",
            PARLEY_VERSION);
    for (size_t i = 0; i < NFLAGS; i++) {
        char env[64], def[64];
        env_name(&flags[i], env);
        if (flags[i].kind == OPT_STR)
            snprintf(def, sizeof(def), "%s", *(const char *const *)field(c, &flags[i]));
        else
            snprintf(def, sizeof(def), "%llu", *(const unsigned long long *)field(c, &flags[i]));
        fprintf(f, "  --%-18s %s\n  %-20s env %s, default %s\n", flags[i].name, flags[i].help, "",
                env, def);
    }
    fprintf(f, "  --%-18s %s\n", "help", "this text");
    fprintf(f, "  --%-18s %s\n", "version", "print \"parley VERSION\" and exit");
    fprintf(f, "\nStores this build knows: %s.\n", store_schemes());
}

/* Parses "123", "64k", "1m", "2g" (sizes) or a plain number. */
static int parse_number(const flag_t *f, const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (f->kind == OPT_SIZE && *end) {
        unsigned long long mul = *end == 'k' || *end == 'K'   ? 1024ull
                                 : *end == 'm' || *end == 'M' ? 1024ull * 1024
                                 : *end == 'g' || *end == 'G' ? 1024ull * 1024 * 1024
                                                              : 0;
        if (!mul || end[1] || v > ULLONG_MAX / mul)
            return -1;
        v *= mul;
        end++;
    }
    if (*end || v > f->max)
        return -1;
    *out = v;
    return 0;
}

static int set_flag(conf_t *c, const flag_t *f, const char *value, const char *from)
{
    if (f->kind == OPT_STR) {
        *(const char **)field(c, f) = value;
        return 0;
    }
    if (parse_number(f, value, (unsigned long long *)field(c, f)) < 0) {
        fprintf(stderr, "parley: %s: bad value '%s' for %s (a number up to %llu)\n", from, value,
                f->name, f->max);
        return -1;
    }
    return 0;
}

/* The accounts flags, checked once parsed. */
static int check_accounts(const conf_t *c)
{
    if (strcmp(c->guests, "on") != 0 && strcmp(c->guests, "off") != 0) {
        fprintf(stderr, "parley: --guests must be on or off\n");
        return -1;
    }
    if (strcmp(c->registration, "open") != 0 && strcmp(c->registration, "invite") != 0 &&
        strcmp(c->registration, "closed") != 0) {
        fprintf(stderr, "parley: --registration must be open, invite or closed\n");
        return -1;
    }
    if (c->hash_max == 0 || c->session_idle == 0 || c->session_max == 0) {
        fprintf(stderr, "parley: hash-max, session-idle and session-max must be > 0\n");
        return -1;
    }
    return 0;
}

/* What auth is configured with, from the flags (and the fast-hash testing knob). */
auth_config_t conf_auth(const conf_t *c)
{
    const char *fast = getenv("PARLEY_TEST_FAST_HASH");
    bool quick = fast && strcmp(fast, "1") == 0;
    return (auth_config_t){
        .guests = strcmp(c->guests, "on") == 0,
        .guest_ttl_ms = (int64_t)c->guest_ttl * 1000,
        .guest_joins = (unsigned)c->guest_joins,
        .session_idle_ms = (int64_t)c->session_idle * 1000,
        .session_max_ms = (int64_t)c->session_max * 1000,
        .registration = strcmp(c->registration, "open") == 0     ? AUTH_REG_OPEN
                        : strcmp(c->registration, "closed") == 0 ? AUTH_REG_CLOSED
                                                                 : AUTH_REG_INVITE,
        .hash_max = (unsigned)c->hash_max,
        .pw_ops = quick ? crypto_pwhash_OPSLIMIT_MIN : 0,
        .pw_mem = quick ? crypto_pwhash_MEMLIMIT_MIN : 0,
        .max_name = c->max_name,
        .shared_ids = c->bus[0] != '\0',
    };
}

/* Appends s (len bytes) to a comma-separated list. */
static void list_add(buf_t *list, const char *s, size_t len)
{
    if (list->len)
        buf_append(list, ",", 1);
    buf_append(list, s, len);
}

/* Reads one origin (or the public URL) into its canonical form; -1 after saying why. */
static int add_origin(conf_t *c, const char *what, const char *v, size_t len, char *host,
                      size_t hcap)
{
    char url[HTTP_HOST_MAX + 16], origin[HTTP_HOST_MAX + 16];
    if (len < sizeof(url)) {
        memcpy(url, v, len);
        url[len] = '\0';
    }
    if (len >= sizeof(url) || http_url_origin(url, origin, sizeof(origin), host, hcap) < 0) {
        fprintf(stderr, "parley: %s: '%.*s' is not an origin like https://chat.example.com\n", what,
                (int)len, v);
        return -1;
    }
    list_add(&c->origins, origin, strlen(origin));
    return 0;
}

/* --public-url and --allowed-origins, checked; and the machine's name, full and short (the
 * part before its first dot), as a LAN reaches it. */
static int check_doors(conf_t *c)
{
    char host[HTTP_HOST_MAX + 1];
    buf_reset(&c->origins);
    buf_reset(&c->hosts);
    for (const char *p = c->allowed_origins; *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n && add_origin(c, "--allowed-origins", p, n, host, sizeof(host)) < 0)
            return -1;
        p += strcspn(p, ",");
    }
    if (c->public_url[0]) {
        if (add_origin(c, "--public-url", c->public_url, strlen(c->public_url), host,
                       sizeof(host)) < 0)
            return -1;
        list_add(&c->hosts, host, strlen(host));
    }
    char name[256] = "";
    if (gethostname(name, sizeof(name) - 1) == 0 && name[0]) {
        list_add(&c->hosts, name, strlen(name));
        if (strchr(name, '.'))
            list_add(&c->hosts, name, strcspn(name, "."));
    }
    buf_append(&c->origins, "", 0); /* NUL-terminated even when empty */
    buf_append(&c->hosts, "", 0);
    return 0;
}

/* --base-path, checked and without its trailing slashes (http_base_path). */
static int check_base_path(conf_t *c)
{
    if (http_base_path(c->base_path, c->base, sizeof(c->base)) < 0) {
        fprintf(stderr,
                "parley: --base-path must be a path like /chat (segments of letters, "
                "digits, - . _ ~; at most %d bytes)\n",
                HTTP_BASE_PATH_MAX);
        return -1;
    }
    return 0;
}

int conf_parse(conf_t *c, int argc, char **argv)
{
    for (size_t i = 0; i < NFLAGS; i++) {
        char env[64];
        env_name(&flags[i], env);
        const char *v = getenv(env);
        if (v && set_flag(c, &flags[i], v, env) < 0)
            return -1;
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            conf_usage(stdout, c);
            exit(0);
        }
        if (strcmp(arg, "--version") == 0) {
            printf("parley %s\n", PARLEY_VERSION);
            exit(0);
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "parley: unexpected argument '%s' (see --help)\n", arg);
            return -1;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const flag_t *f = NULL;
        for (size_t i = 0; i < NFLAGS; i++)
            if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
                f = &flags[i];
        if (!f) {
            fprintf(stderr, "parley: unknown flag '%s' (see --help)\n", arg);
            return -1;
        }
        const char *value = eq ? eq + 1 : (a + 1 < argc ? argv[++a] : NULL);
        if (!value) {
            fprintf(stderr, "parley: %s needs a value\n", arg);
            return -1;
        }
        if (set_flag(c, f, value, "flag") < 0)
            return -1;
    }
    if (c->store[0] && c->db != conf_default_db) {
        fprintf(stderr, "parley: --store and --db (or PARLEY_STORE and PARLEY_DB) both given; "
                        "--db PATH is short for --store sqlite:PATH: give one\n");
        return -1;
    }
    int n = c->store[0] ? snprintf(c->store_url, sizeof(c->store_url), "%s", c->store)
                        : snprintf(c->store_url, sizeof(c->store_url), "sqlite:%s", c->db);
    if (n < 0 || (size_t)n >= sizeof(c->store_url)) {
        fprintf(stderr, "parley: --store (or --db) is too long\n");
        return -1;
    }
    store_url_shown(c->store_url, c->store_shown, sizeof(c->store_shown));
    if (strcmp(c->sync, "normal") != 0 && strcmp(c->sync, "full") != 0) {
        fprintf(stderr, "parley: --sync must be normal or full\n");
        return -1;
    }
    int level = log_parse_level(c->log_level);
    if (level < 0) {
        fprintf(stderr, "parley: --log-level must be debug, info, warn or error\n");
        return -1;
    }
    log_level = level;
    if ((log_format = log_parse_format(c->log_format)) < 0) {
        fprintf(stderr, "parley: --log-format must be text or json\n");
        return -1;
    }
    if (c->guest_joins == 0) {
        fprintf(stderr, "parley: --guest-joins must be at least 1\n");
        return -1;
    }
    if (c->threads == 0) {
        fprintf(stderr, "parley: --threads must be at least 1\n");
        return -1;
    }
    if (c->max_text == 0 || c->max_name == 0 || c->max_frame < 126 || c->burst == 0 ||
        c->rate == 0) {
        fprintf(stderr,
                "parley: max-name, max-text, rate and burst must be > 0, max-frame >= 126\n");
        return -1;
    }
    /* A large message may use three quarters of the budget (budget.h): one of --max-frame
     * must fit in them, or it could never arrive. */
    if (c->max_partial_input && c->max_partial_input - c->max_partial_input / 4 < c->max_frame) {
        fprintf(stderr, "parley: --max-partial-input must be at least 4/3 of --max-frame (or 0 "
                        "for no budget): a message that large could never arrive\n");
        return -1;
    }
    if (c->max_partial_input && c->max_file > c->max_partial_input) {
        /* An upload is held in memory while it arrives: one larger could never arrive. */
        fprintf(stderr, "parley: --max-file lowered to --max-partial-input (%llu bytes)\n",
                c->max_partial_input);
        c->max_file = c->max_partial_input;
    }
    if (strcmp(c->deflate, "on") != 0 && strcmp(c->deflate, "off") != 0) {
        fprintf(stderr, "parley: --deflate must be on or off\n");
        return -1;
    }
    if (c->echo_path[0] && c->echo_path[0] != '/') {
        fprintf(stderr, "parley: --echo-path must start with /\n");
        return -1;
    }
    if (!c->tls_cert[0] != !c->tls_key[0]) {
        fprintf(stderr, "parley: --tls-cert and --tls-key go together: give both (HTTPS) or "
                        "neither (plain HTTP)\n");
        return -1;
    }
    if (check_doors(c) < 0 || check_base_path(c) < 0)
        return -1;
    return check_accounts(c);
}
