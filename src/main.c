/* main - flags and environment -> configuration, wiring, signals, graceful drain.
 *
 * Wiring: connections meet chat in one of two ways, picked once (wiring_t): --threads 1 runs
 * one server on this loop calling chat directly (server_direct); more run the connection
 * loops (server_loops). Everything after the pick goes through the server_front_t it gives.
 *
 * Every flag has a PARLEY_* environment twin (--max-text -> PARLEY_MAX_TEXT); a flag beats
 * its twin, which beats the default. The store is opened by URL (--store, or --db as
 * sqlite:PATH; store_open.h), and logged without its password (store_url_shown). The accounts
 * (auth) are loaded from it before chat, which takes identities from them; the REST layer (api)
 * answers /api on the same loop. TLS (--tls-cert, --tls-key): the files are loaded before anything
 * starts (a bad one is a usage error, exit 2); SIGHUP loads them again for new connections, keeping
 * the old ones' (net_tls.h), and keeps the old certificate when the new files are bad. Shutdown
 * (SIGTERM, SIGINT): /healthz turns 503 and WebSockets get close 1001 at once; when they are gone
 * (or after DRAIN_MS) the listener closes; once no /api answer is due (one may wait for a password
 * hash, whose result auth still writes) the store commits what it holds, the loop runs out, and the
 * process exits 0.
 *
 * `parley user ...` is the command line of accounts (cli_user.h), and `parley import slack` and
 * `parley export` move a workspace in and out (cli_import.h, cli_export.h), sharing this file's
 * flags for where the store is and how names and passwords are checked.
 *
 * Testing knob, not a flag: PARLEY_TEST_FAST_HASH=1 hashes passwords at libsodium's minimum
 * cost, so end-to-end tests can sign in many times quickly. Never in production. Likewise
 * PARLEY_TEST_READ_BUDGET=N sets the store's cost budget per read (store_open_opts_t), so a
 * test can reach it without a million messages. PARLEY_TEST_PRESENCE_TTL_MS=N shortens the
 * life of a process's list of who is online on it (chat_relay.h, 20000), so that a test sees
 * a killed process's users go within seconds. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>
#include <uv.h>

#include "api/api.h"
#include "auth/auth.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "chat/chat.h"
#include "bus/bus_open.h"
#include "chat/chat_relay.h"
#include "cli/cli_backup.h"
#include "cli/cli_bot.h"
#include "cli/cli_export.h"
#include "cli/cli_import.h"
#include "cli/cli_user.h"
#include "http/http_origin.h"
#include "net/net_tls.h"
#include "server/server.h"
#include "server/server_direct.h"
#include "server/server_loops.h"
#include "files/files.h"
#include "store/store_open.h"

#define DRAIN_MS 3000

typedef enum { OPT_STR, OPT_UINT, OPT_SIZE, OPT_SECS } opt_kind_t;

typedef struct {
    const char *host, *store, *db, *sync, *log_level, *log_format, *echo_path, *deflate, *guests,
        *registration, *allowed_origins, *public_url, *tls_cert, *tls_key, *bus, *files, *base_path;
    unsigned long long port, history, max_name, max_text, max_frame, rate, burst, max_outbound,
        handshake_timeout, idle_timeout, max_connections, max_header, max_body, resume_max,
        presence_limit, threads, guest_ttl, session_idle, session_max, hash_max, message_timeout,
        max_conns_per_ip, max_partial_input, max_file, file_quota;
} options_t;

/* --db's default, told apart from a given --db by its address (--db and --store exclude
 * each other). */
static const char default_db[] = "parley.db";

static options_t opt = {
    .host = "127.0.0.1",
    .store = "",
    .db = default_db,
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
    .session_idle = 30ull * 86400,
    .session_max = 90ull * 86400,
};

typedef struct {
    const char *name;
    opt_kind_t kind;
    void *ptr;
    unsigned long long max;
    const char *help;
} flag_t;

static const flag_t flags[] = {
    {"host", OPT_STR, &opt.host, 0, "address to listen on (0.0.0.0 for every interface)"},
    {"port", OPT_UINT, &opt.port, 65535, "TCP port (0: any free port, printed at start)"},
    {"store", OPT_STR, &opt.store, 0,
     "where messages are kept, as a URL: sqlite:PATH, or postgresql://USER:PASSWORD@HOST/DB "
     "(empty: sqlite: and --db)"},
    {"db", OPT_STR, &opt.db, 0, "SQLite database file: short for --store sqlite:PATH"},
    {"bus", OPT_STR, &opt.bus, 0,
     "redis://HOST[:PORT]: serve the same channels as the other parley processes on this "
     "--store (empty: alone)"},
    {"files", OPT_STR, &opt.files, 0,
     "directory of uploaded files (empty: beside the SQLite file, parley.db -> parley.files; "
     "./parley.files for PostgreSQL)"},
    {"max-file", OPT_SIZE, &opt.max_file, 1ull << 32,
     "bytes of one uploaded file (held in memory while it arrives: it counts against "
     "--max-partial-input); 0: no uploads"},
    {"file-quota", OPT_SIZE, &opt.file_quota, 1ull << 50,
     "bytes of files one user may have stored (0: no quota)"},
    {"history", OPT_UINT, &opt.history, 200, "messages replayed on join"},
    {"sync", OPT_STR, &opt.sync, 0,
     "normal: survive a killed process; full: also fsync every commit (power loss)"},
    {"max-name", OPT_UINT, &opt.max_name, 64, "characters per user name"},
    {"max-text", OPT_UINT, &opt.max_text, 1000000, "characters per message"},
    {"max-frame", OPT_SIZE, &opt.max_frame, 1ull << 30, "bytes per frame and per message"},
    {"rate", OPT_UINT, &opt.rate, 1000000,
     "request tokens per second per user, sustained (a message costs 1)"},
    {"burst", OPT_UINT, &opt.burst, 1000000,
     "request tokens per user in a burst (an address's guests share 4 times it)"},
    {"max-outbound", OPT_SIZE, &opt.max_outbound, 1ull << 32,
     "queued bytes per connection before close 1013"},
    {"handshake-timeout", OPT_SECS, &opt.handshake_timeout, 3600,
     "seconds for a request or a WebSocket handshake"},
    {"idle-timeout", OPT_SECS, &opt.idle_timeout, 86400,
     "seconds of silence before a WebSocket is closed (pinged at half; 0: never)"},
    {"max-connections", OPT_UINT, &opt.max_connections, 10000000,
     "WebSocket connections; past it upgrades get 503"},
    {"max-conns-per-ip", OPT_UINT, &opt.max_conns_per_ip, 10000000,
     "open connections per client (IPv4 address, IPv6 /64); past it refused at accept (0: no "
     "cap; behind a reverse proxy every client is the proxy)"},
    {"max-partial-input", OPT_SIZE, &opt.max_partial_input, 1ull << 40,
     "bytes held of frames and requests still arriving, all connections; past it the one "
     "asking closes 1013 / 503 (0: none)"},
    {"message-timeout", OPT_SECS, &opt.message_timeout, 3600,
     "seconds from a frame's, message's or request's first byte to its last: else 1008 / 408 "
     "(0: none)"},
    {"max-header", OPT_SIZE, &opt.max_header, 1 << 20, "request head bytes before 431"},
    {"max-body", OPT_SIZE, &opt.max_body, 1 << 30, "request body bytes before 413"},
    {"resume-max", OPT_UINT, &opt.resume_max, 1000000, "longest gap a resume fills"},
    {"deflate", OPT_STR, &opt.deflate, 0,
     "on: negotiate permessage-deflate (one compressed frame per broadcast); off"},
    {"echo-path", OPT_STR, &opt.echo_path, 0,
     "serve a WebSocket echo route at this path, for conformance suites (off when empty)"},
    {"presence-limit", OPT_UINT, &opt.presence_limit, 10000000,
     "members above which a channel stops broadcasting join and leave"},
    {"threads", OPT_UINT, &opt.threads, SERVER_LOOPS_MAX,
     "connection loops, each on its own thread (1: one loop for everything)"},
    {"guests", OPT_STR, &opt.guests, 0,
     "on: people may join without an account (guests); off: accounts only"},
    {"guest-ttl", OPT_SECS, &opt.guest_ttl, 10ull * 365 * 86400,
     "seconds a guest's name stays held after it was last seen (0: only while online)"},
    {"registration", OPT_STR, &opt.registration, 0,
     "open, invite (an invite is needed) or closed; open while the server has no owner"},
    {"session-idle", OPT_SECS, &opt.session_idle, 10ull * 365 * 86400,
     "seconds a session may go unused before it ends"},
    {"session-max", OPT_SECS, &opt.session_max, 10ull * 365 * 86400,
     "seconds a session lasts at most (the cookie's Max-Age)"},
    {"hash-max", OPT_UINT, &opt.hash_max, 1024,
     "password hashes at once (64 MiB each); past it sign-ins get 429 (default: CPUs)"},
    {"base-path", OPT_STR, &opt.base_path, 0,
     "serve everything under this path (/chat: /chat/, /chat/ws, /chat/api ...; others 404), "
     "as a reverse proxy forwards it unchanged"},
    {"public-url", OPT_STR, &opt.public_url, 0,
     "the URL people open (https://chat.example.com): its host is answered, its origin allowed"},
    {"allowed-origins", OPT_STR, &opt.allowed_origins, 0,
     "other pages allowed to connect and use the cookie, comma-separated origins"},
    {"origins", OPT_STR, &opt.allowed_origins, 0, "the older name of --allowed-origins"},
    {"tls-cert", OPT_STR, &opt.tls_cert, 0,
     "serve HTTPS and wss: with this PEM certificate chain (with --tls-key; SIGHUP reloads)"},
    {"tls-key", OPT_STR, &opt.tls_key, 0, "the PEM private key of --tls-cert"},
    {"log-level", OPT_STR, &opt.log_level, 0, "debug, info, warn or error"},
    {"log-format", OPT_STR, &opt.log_format, 0,
     "text (a line per event) or json (an object per line: ts, level, msg, conn)"},
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

static char store_url[PATH_MAX + 64];   /* --store, or sqlite: and --db */
static char store_shown[PATH_MAX + 64]; /* the same for logs: no password (store_url_shown) */

/* PARLEY_ + the flag's name in capitals, dashes as underscores: --max-text -> PARLEY_MAX_TEXT. */
static void env_name(const flag_t *f, char out[64])
{
    size_t n = (size_t)snprintf(out, 64, "PARLEY_");
    for (const char *p = f->name; *p && n + 1 < 64; p++)
        out[n++] = (char)(*p == '-' ? '_' : *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    out[n] = '\0';
}

static void usage(FILE *f)
{
    fprintf(f,
            "parley %s\n\n"
            "usage: parley [--flag value]...\n"
            "       parley user add NAME [--role owner|admin|member] [--db PATH | --store URL]\n"
            "       parley user reset NAME [--db PATH | --store URL]\n"
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
            snprintf(def, sizeof(def), "%s", *(const char **)flags[i].ptr);
        else
            snprintf(def, sizeof(def), "%llu", *(unsigned long long *)flags[i].ptr);
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

static int set_flag(const flag_t *f, const char *value, const char *from)
{
    if (f->kind == OPT_STR) {
        *(const char **)f->ptr = value;
        return 0;
    }
    if (parse_number(f, value, f->ptr) < 0) {
        fprintf(stderr, "parley: %s: bad value '%s' for %s (a number up to %llu)\n", from, value,
                f->name, f->max);
        return -1;
    }
    return 0;
}

/* The accounts flags, checked once parsed. */
static int check_accounts(void)
{
    if (strcmp(opt.guests, "on") != 0 && strcmp(opt.guests, "off") != 0) {
        fprintf(stderr, "parley: --guests must be on or off\n");
        return -1;
    }
    if (strcmp(opt.registration, "open") != 0 && strcmp(opt.registration, "invite") != 0 &&
        strcmp(opt.registration, "closed") != 0) {
        fprintf(stderr, "parley: --registration must be open, invite or closed\n");
        return -1;
    }
    if (opt.hash_max == 0 || opt.session_idle == 0 || opt.session_max == 0) {
        fprintf(stderr, "parley: hash-max, session-idle and session-max must be > 0\n");
        return -1;
    }
    return 0;
}

/* What auth is configured with, from the flags (and the fast-hash testing knob). */
static auth_config_t auth_config_of_flags(void)
{
    const char *fast = getenv("PARLEY_TEST_FAST_HASH");
    bool quick = fast && strcmp(fast, "1") == 0;
    return (auth_config_t){
        .guests = strcmp(opt.guests, "on") == 0,
        .guest_ttl_ms = (int64_t)opt.guest_ttl * 1000,
        .session_idle_ms = (int64_t)opt.session_idle * 1000,
        .session_max_ms = (int64_t)opt.session_max * 1000,
        .registration = strcmp(opt.registration, "open") == 0     ? AUTH_REG_OPEN
                        : strcmp(opt.registration, "closed") == 0 ? AUTH_REG_CLOSED
                                                                  : AUTH_REG_INVITE,
        .hash_max = (unsigned)opt.hash_max,
        .pw_ops = quick ? crypto_pwhash_OPSLIMIT_MIN : 0,
        .pw_mem = quick ? crypto_pwhash_MEMLIMIT_MIN : 0,
        .max_name = opt.max_name,
        .shared_ids = opt.bus[0] != '\0',
    };
}

/* What --public-url, --allowed-origins and the machine's name make (http_origin.h): the
 * origins allowed besides a request's own, and the host names answered besides IP literals
 * and localhost. Built once by check_doors, kept for the process's life. */
static buf_t doors_origins = BUF_INIT, doors_hosts = BUF_INIT;

/* Appends s (len bytes) to a comma-separated list. */
static void list_add(buf_t *list, const char *s, size_t len)
{
    if (list->len)
        buf_append(list, ",", 1);
    buf_append(list, s, len);
}

/* Reads one origin (or the public URL) into its canonical form; -1 after saying why. */
static int add_origin(const char *what, const char *v, size_t len, char *host, size_t hcap)
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
    list_add(&doors_origins, origin, strlen(origin));
    return 0;
}

/* --public-url and --allowed-origins, checked; and the machine's name, full and short (the
 * part before its first dot), as a LAN reaches it. */
static int check_doors(void)
{
    char host[HTTP_HOST_MAX + 1];
    buf_reset(&doors_origins);
    buf_reset(&doors_hosts);
    for (const char *p = opt.allowed_origins; *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n && add_origin("--allowed-origins", p, n, host, sizeof(host)) < 0)
            return -1;
        p += strcspn(p, ",");
    }
    if (opt.public_url[0]) {
        if (add_origin("--public-url", opt.public_url, strlen(opt.public_url), host, sizeof(host)) <
            0)
            return -1;
        list_add(&doors_hosts, host, strlen(host));
    }
    char name[256] = "";
    if (gethostname(name, sizeof(name) - 1) == 0 && name[0]) {
        list_add(&doors_hosts, name, strlen(name));
        if (strchr(name, '.'))
            list_add(&doors_hosts, name, strcspn(name, "."));
    }
    buf_append(&doors_origins, "", 0); /* NUL-terminated even when empty */
    buf_append(&doors_hosts, "", 0);
    return 0;
}

/* --base-path, checked and without its trailing slashes (http_base_path). */
static char base_path[HTTP_BASE_PATH_MAX + 1];
static int check_base_path(void)
{
    if (http_base_path(opt.base_path, base_path, sizeof(base_path)) < 0) {
        fprintf(stderr,
                "parley: --base-path must be a path like /chat (segments of letters, "
                "digits, - . _ ~; at most %d bytes)\n",
                HTTP_BASE_PATH_MAX);
        return -1;
    }
    return 0;
}

static int parse_config(int argc, char **argv)
{
    for (size_t i = 0; i < NFLAGS; i++) {
        char env[64];
        env_name(&flags[i], env);
        const char *v = getenv(env);
        if (v && set_flag(&flags[i], v, env) < 0)
            return -1;
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
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
        if (set_flag(f, value, "flag") < 0)
            return -1;
    }
    if (opt.store[0] && opt.db != default_db) {
        fprintf(stderr, "parley: --store and --db (or PARLEY_STORE and PARLEY_DB) both given; "
                        "--db PATH is short for --store sqlite:PATH: give one\n");
        return -1;
    }
    int n = opt.store[0] ? snprintf(store_url, sizeof(store_url), "%s", opt.store)
                         : snprintf(store_url, sizeof(store_url), "sqlite:%s", opt.db);
    if (n < 0 || (size_t)n >= sizeof(store_url)) {
        fprintf(stderr, "parley: --store (or --db) is too long\n");
        return -1;
    }
    store_url_shown(store_url, store_shown, sizeof(store_shown));
    if (strcmp(opt.sync, "normal") != 0 && strcmp(opt.sync, "full") != 0) {
        fprintf(stderr, "parley: --sync must be normal or full\n");
        return -1;
    }
    int level = log_parse_level(opt.log_level);
    if (level < 0) {
        fprintf(stderr, "parley: --log-level must be debug, info, warn or error\n");
        return -1;
    }
    log_level = level;
    if ((log_format = log_parse_format(opt.log_format)) < 0) {
        fprintf(stderr, "parley: --log-format must be text or json\n");
        return -1;
    }
    if (opt.threads == 0) {
        fprintf(stderr, "parley: --threads must be at least 1\n");
        return -1;
    }
    if (opt.max_text == 0 || opt.max_name == 0 || opt.max_frame < 126 || opt.burst == 0 ||
        opt.rate == 0) {
        fprintf(stderr,
                "parley: max-name, max-text, rate and burst must be > 0, max-frame >= 126\n");
        return -1;
    }
    /* A large message may use three quarters of the budget (budget.h): one of --max-frame
     * must fit in them, or it could never arrive. */
    if (opt.max_partial_input &&
        opt.max_partial_input - opt.max_partial_input / 4 < opt.max_frame) {
        fprintf(stderr, "parley: --max-partial-input must be at least 4/3 of --max-frame (or 0 "
                        "for no budget): a message that large could never arrive\n");
        return -1;
    }
    if (opt.max_partial_input && opt.max_file > opt.max_partial_input) {
        /* An upload is held in memory while it arrives: one larger could never arrive. */
        fprintf(stderr, "parley: --max-file lowered to --max-partial-input (%llu bytes)\n",
                opt.max_partial_input);
        opt.max_file = opt.max_partial_input;
    }
    if (strcmp(opt.deflate, "on") != 0 && strcmp(opt.deflate, "off") != 0) {
        fprintf(stderr, "parley: --deflate must be on or off\n");
        return -1;
    }
    if (opt.echo_path[0] && opt.echo_path[0] != '/') {
        fprintf(stderr, "parley: --echo-path must start with /\n");
        return -1;
    }
    if (!opt.tls_cert[0] != !opt.tls_key[0]) {
        fprintf(stderr, "parley: --tls-cert and --tls-key go together: give both (HTTPS) or "
                        "neither (plain HTTP)\n");
        return -1;
    }
    if (check_doors() < 0 || check_base_path() < 0)
        return -1;
    return check_accounts();
}

/* ---- run and drain ---- */

typedef struct {
    uv_loop_t *loop;
    server_front_t front;   /* the connections, however they run */
    server_direct_t direct; /* --threads 1: the context of the server's calls into chat */
    chat_hub_t *hub;
    chat_relay_t *relay; /* --bus: the other processes' events, NULL when alone */
    bus_t *bus;
    auth_t *auth;
    api_t *api;
    store_t *store;
    files_t *files;     /* --files, NULL when --max-file is 0 */
    net_tls_ctx_t *tls; /* --tls-cert and --tls-key, NULL for plain HTTP */
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t drain_timer;
    uv_timer_t chat_timer;   /* auth_tick and chat_tick, once a second */
    uv_timer_t settle_timer; /* shutdown: waits for the /api answers still due */
    uint64_t drain_start;
    bool draining, stopped;
} app_t;

/* The connections are gone: once no /api answer is due (one may wait for a password hash
 * that auth then writes to the store), the store commits what is queued, answers what is
 * pending, and releases the loop. Checked every few milliseconds: hashes are short. */
static void on_settle(uv_timer_t *t)
{
    app_t *a = t->data;
    if (api_pending(a->api) > 0)
        return;
    uv_close((uv_handle_t *)t, NULL);
    store_close(a->store);
}

static void close_relay(app_t *a)
{
    if (!a->relay)
        return;
    bus_close(a->bus);
    chat_relay_free(a->relay);
    a->relay = NULL;
    a->bus = NULL;
}

static void finish(app_t *a)
{
    if (a->stopped)
        return;
    a->stopped = true;
    uv_timer_stop(&a->drain_timer);
    uv_close((uv_handle_t *)&a->drain_timer, NULL);
    uv_close((uv_handle_t *)&a->chat_timer, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sighup, NULL);
    a->front.stop(a->front.ctx);
    close_relay(a); /* what still commits is in the store for the others */
    uv_timer_start(&a->settle_timer, on_settle, 0, 5);
}

/* The periodic work of accounts (lapsed guest holds, expired sessions, changes another
 * process made) and of chat (probing a store that failed, filling delivery gaps). */
static void on_chat_tick(uv_timer_t *t)
{
    app_t *a = t->data;
    auth_tick(a->auth);
    chat_tick(a->hub);
    if (a->relay)
        chat_relay_tick(a->relay);
}

static size_t ws_count(const app_t *a)
{
    return a->front.ws_count(a->front.ctx);
}

/* Draining: WebSockets were told to go; /api answers being worked out are let finish. */
static void on_drain_tick(uv_timer_t *t)
{
    app_t *a = t->data;
    if ((ws_count(a) == 0 && api_pending(a->api) == 0) ||
        clock_mono_ms() - a->drain_start > DRAIN_MS)
        finish(a);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    app_t *a = sig->data;
    if (a->draining) {
        log_warn("second signal %d: stopping now", signum);
        finish(a);
        return;
    }
    log_info("signal %d: draining (%zu WebSocket connections)", signum, ws_count(a));
    a->draining = true;
    a->drain_start = clock_mono_ms();
    a->front.drain(a->front.ctx);
    uv_timer_start(&a->drain_timer, on_drain_tick, 0, 50);
}

/* SIGHUP: the certificate and key again, from the same files (a renewal replaced them). New
 * connections, on every loop, get the new ones; open connections keep theirs. */
static void on_sighup(uv_signal_t *sig, int signum)
{
    (void)signum;
    app_t *a = sig->data;
    if (!a->tls) {
        log_info("SIGHUP: nothing to reload (no --tls-cert)");
        return;
    }
    char err[512], what[384];
    if (net_tls_ctx_reload(a->tls, err, sizeof(err)) < 0) {
        log_error("SIGHUP: %s; keeping the certificate in use", err);
        return;
    }
    net_tls_ctx_describe(a->tls, what, sizeof(what));
    log_info("SIGHUP: TLS certificate reloaded: %s", what);
}

/* ---- wiring ---- */

/* One server on this loop; its calls go straight into chat. */
static server_front_t start_direct(app_t *a, const server_config_t *sc)
{
    a->direct = (server_direct_t){a->hub, a->api, a->store};
    server_chat_t chat = server_direct_chat(&a->direct);
    server_t *s = server_start(a->loop, sc, &chat);
    return s ? server_front(s) : (server_front_t){0};
}

/* The connection loops, each on its own thread; chat stays on this loop. */
static server_front_t start_loops(app_t *a, const server_config_t *sc)
{
    server_loops_t *l =
        server_loops_start(a->loop, sc, a->hub, a->api, a->store, (unsigned)opt.threads);
    return l ? server_loops_front(l) : (server_front_t){0};
}

/* A way for connections to meet chat: the hub's transport and what starts the connections
 * (returning a front whose ctx is NULL when the address cannot be bound). */
typedef struct {
    const chat_transport_t *transport;
    server_front_t (*start)(app_t *a, const server_config_t *sc);
} wiring_t;

static const wiring_t wiring_direct = {&server_transport, start_direct};
static const wiring_t wiring_loops = {&server_loops_transport, start_loops};

/* Closes the store and releases what was made, when start-up fails after opening it. */
static int fail_start(app_t *a)
{
    close_relay(a);
    store_close(a->store);
    uv_run(a->loop, UV_RUN_DEFAULT);
    api_free(a->api);
    if (a->hub)
        chat_free(a->hub);
    if (a->auth)
        auth_free(a->auth);
    return 1;
}

/* The store, the accounts, chat and the REST layer, in that order. 0, or 1 after logging
 * (everything released). */
/* --files, or beside the SQLite file (its name without the extension, plus ".files"). */
static void files_dir(char *out, size_t cap)
{
    if (opt.files[0]) {
        snprintf(out, cap, "%s", opt.files);
        return;
    }
    if (strncmp(store_url, "sqlite:", 7) != 0) {
        snprintf(out, cap, "parley.files");
        return;
    }
    const char *path = store_url + 7;
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    int len = dot && (!slash || dot > slash + 1) ? (int)(dot - path) : (int)strlen(path);
    snprintf(out, cap, "%.*s.files", len, path);
}

static void profile_changed(void *ctx, const auth_user_t *u)
{
    chat_profile_changed(ctx, u);
}

static bool files_allowed(void *ctx, uint64_t user, const char *channel, bool post)
{
    return chat_files_allowed(ctx, user, channel, post);
}

static void *rest_call(void *ctx, const auth_user_t *u, uint64_t sid, const char *addr,
                       const char *req, size_t len, void (*cb)(void *, const char *, size_t),
                       void *cb_ctx)
{
    return chat_call(ctx, u, sid, addr, req, len, cb, cb_ctx);
}

static void rest_call_end(void *ctx, void *call)
{
    (void)ctx;
    chat_call_end(call);
}

/* Incoming webhooks: api's view of chat's integrations (the same fields and codes). */
_Static_assert(API_HOOK_ENOCHANNEL == CHAT_APP_ENOCHANNEL &&
                   API_HOOK_EARCHIVED == CHAT_APP_EARCHIVED &&
                   API_HOOK_EFORBIDDEN == CHAT_APP_EFORBIDDEN && API_HOOK_ERATE == CHAT_APP_ERATE &&
                   API_HOOK_EUNAVAILABLE == CHAT_APP_EUNAVAILABLE &&
                   API_HOOK_ETOOLONG == CHAT_APP_ETOOLONG && API_HOOK_ENOTEXT == CHAT_APP_ENOTEXT,
               "api's webhook refusals are chat's");
static int hooks_allowed(void *ctx, uint64_t user, const char *channel)
{
    return chat_hooks_allowed(ctx, user, channel);
}

static int hook_post(void *ctx, const api_hook_post_t *p, void (*cb)(void *, int, uint64_t),
                     void *cb_ctx, uint64_t *retry_ms)
{
    chat_app_post_t cp = {p->hook, p->creator, p->channel, p->name, p->icon, p->text, p->len};
    return chat_app_post(ctx, &cp, cb, cb_ctx, retry_ms);
}

static int open_state(app_t *a, const wiring_t *w)
{
    const char *budget = getenv("PARLEY_TEST_READ_BUDGET");
    /* With other processes (--bus), each one's account writes move accounts_version, so
     * that the others re-read them within a second: a session made on one process (a
     * guest's, a sign-in) is known to all, and a revocation reaches all. */
    store_open_opts_t so = {.sync_full = strcmp(opt.sync, "full") == 0,
                            .bump_accounts = opt.bus[0] != '\0',
                            .read_budget = budget ? strtoull(budget, NULL, 10) : 0};
    int rc = store_open(a->loop, store_url, &so, &a->store);
    if (rc < 0)
        return rc == STORE_EINVAL ? 2 : 1; /* a bad URL is a usage error, like a bad flag */
    auth_config_t ac = auth_config_of_flags();
    a->auth = auth_new(a->loop, a->store, &ac);
    if (!a->auth || auth_load(a->auth) < 0) {
        log_error("cannot read the accounts of the store %s", store_shown);
        return fail_start(a);
    }
    /* The store gives seqs (at commit, under the channel's lock) with other processes, and
     * on PostgreSQL even alone: a COMMIT carried out whose answer was lost leaves a seq
     * stored that a hub giving seqs itself would give again (and fail on, until a restart);
     * the store knows it, and answers the retry with it. */
    bool store_seqs = opt.bus[0] != '\0' || strncmp(store_url, "postgres", 8) == 0;
    chat_config_t cc = {(unsigned)opt.history,
                        opt.max_name,
                        opt.max_text,
                        (double)opt.rate,
                        (double)opt.burst,
                        (unsigned)opt.resume_max,
                        (unsigned)opt.presence_limit,
                        opt.max_outbound / 2,
                        0 /* max_channels: CHAT_CHANNELS_MAX */,
                        .shared = store_seqs};
    if (opt.max_file) {
        char dir[4096];
        files_dir(dir, sizeof(dir));
        a->files = files_open(dir, opt.max_file, opt.file_quota);
        if (!a->files)
            return fail_start(a);
    }
    cc.files = a->files;
    a->hub = chat_new(a->store, a->auth, &cc, w->transport);
    if (chat_load(a->hub) < 0) {
        log_error("cannot read the store %s", store_shown);
        return fail_start(a);
    }
    if (opt.bus[0]) {
        a->relay = chat_relay_new(a->hub);
        if (bus_open(a->loop, opt.bus, NULL, &chat_relay_callbacks, a->relay, &a->bus) < 0) {
            chat_relay_free(a->relay);
            a->relay = NULL;
            fail_start(a);
            return 2; /* a bad URL is a usage error, like a bad flag */
        }
        const char *ttl = getenv("PARLEY_TEST_PRESENCE_TTL_MS");
        if (ttl && *ttl)
            chat_relay_set_presence_ttl(a->relay, strtoull(ttl, NULL, 10));
        chat_relay_start(a->relay, a->bus);
    }
    a->api = api_new(a->auth, &(api_config_t){.origins = doors_origins.data,
                                              .files = a->files,
                                              .files_allowed = files_allowed,
                                              .files_ctx = a->hub,
                                              .loop = a->loop,
                                              .profile_changed = profile_changed,
                                              .base_path = base_path,
                                              .profile_ctx = a->hub,
                                              .chat_call = rest_call,
                                              .chat_call_end = rest_call_end,
                                              .chat_ctx = a->hub,
                                              .hooks_allowed = hooks_allowed,
                                              .hook_post = hook_post,
                                              .hooks_ctx = a->hub});
    return 0;
}

/* `parley user VERB NAME [--role R] [flags]` (and `parley bot VERB NAME [flags]`): the verb,
 * the name and --role are taken out, the rest are this file's flags (--db, --store, ...). */
static int run_user(int argc, char **argv)
{
    bool bot = strcmp(argv[1], "bot") == 0;
    cli_user_t u = {.role = AUTH_MEMBER};
    char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
    int nrest = 0, npos = 0;
    const char *pos[2] = {NULL, NULL}, *role = NULL;
    rest[nrest++] = argv[0];
    opt.log_level = "warn"; /* a command says what it did, not how the store opened */
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            free(rest);
            (bot ? cli_bot_usage : cli_user_usage)(stdout);
            return 0;
        } else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) {
            role = argv[++i];
        } else if (strncmp(argv[i], "--role=", 7) == 0) {
            role = argv[i] + 7;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            rest[nrest++] = argv[i];
            if (!strchr(argv[i], '=') && i + 1 < argc)
                rest[nrest++] = argv[++i];
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            npos++;
        }
    }
    int rc = parse_config(nrest, rest);
    free(rest);
    if (rc < 0)
        return 2;
    if (bot) {
        cli_bot_t b = {0};
        if (role || cli_bot_parse(pos[0], npos == 2 ? pos[1] : NULL, &b) < 0) {
            cli_bot_usage(stderr);
            return 2;
        }
        b.store_url = store_url;
        b.auth = auth_config_of_flags();
        return cli_bot_run(&b);
    }
    if (cli_user_parse(pos[0], npos == 2 ? pos[1] : NULL, role, &u) < 0) {
        cli_user_usage(stderr);
        return 2;
    }
    u.store_url = store_url;
    u.auth = auth_config_of_flags();
    return cli_user_run(&u);
}

/* `parley import slack EXPORT.zip [flags]` and `parley export OUT.zip [flags]`
 * (cli_import.h, cli_export.h): the words taken out, the rest are this file's flags. */
static int run_migrate(int argc, char **argv)
{
    bool import = strcmp(argv[1], "import") == 0;
    char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
    int nrest = 0, npos = 0;
    const char *pos[2] = {NULL, NULL};
    rest[nrest++] = argv[0];
    opt.log_level = "warn";
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            free(rest);
            import ? cli_import_usage(stdout) : cli_export_usage(stdout);
            return 0;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            rest[nrest++] = argv[i];
            if (!strchr(argv[i], '=') && i + 1 < argc)
                rest[nrest++] = argv[++i];
        } else if (npos++ < 2) {
            pos[npos - 1] = argv[i];
        }
    }
    int rc = parse_config(nrest, rest);
    free(rest);
    if (rc < 0)
        return 2;
    if (import ? npos != 2 || strcmp(pos[0], "slack") != 0 : npos != 1) {
        import ? cli_import_usage(stderr) : cli_export_usage(stderr);
        return 2;
    }
    if (import)
        return cli_import_run(&(cli_import_t){pos[1], store_url, auth_config_of_flags()});
    return cli_export_run(
        &(cli_export_t){pos[0], store_url, auth_config_of_flags(), opt.public_url});
}

/* --tls-cert and --tls-key into a context, when given. -1 after saying why (exit 2: a bad
 * file is the operator's to fix, like a bad flag). */
static int load_tls(app_t *a)
{
    if (!opt.tls_cert[0])
        return 0;
    char err[512];
    a->tls = net_tls_ctx_new(opt.tls_cert, opt.tls_key, err, sizeof(err));
    if (!a->tls) {
        fprintf(stderr, "parley: %s\n", err);
        return -1;
    }
    return 0;
}

/* What the server runs with, once it listens (tests read the first line for the port). */
static void log_started(app_t *a)
{
    chat_metrics_t cm;
    chat_metrics(a->hub, &cm);
    log_info("parley listening on %s://%s:%d (store %s, sync %s, %llu thread%s, general at seq "
             "%llu, guests %s, registration %s)",
             a->tls ? "https" : "http", opt.host, a->front.port(a->front.ctx), store_shown,
             opt.sync, opt.threads, opt.threads > 1 ? "s" : "", (unsigned long long)cm.general_seq,
             opt.guests, auth_registration(a->auth) == AUTH_REG_OPEN ? "open" : opt.registration);
    if (a->tls) {
        char what[384];
        net_tls_ctx_describe(a->tls, what, sizeof(what));
        log_info("TLS 1.2 and 1.3 with %s (SIGHUP reloads %s and %s)", what, opt.tls_cert,
                 opt.tls_key);
    }
    if (base_path[0])
        log_info("serving under %s/ (--base-path; other paths 404)", base_path);
    log_info("answering Host: IP addresses, localhost%s%s; allowed origins: the page's own%s%s",
             doors_hosts.len ? ", " : "", doors_hosts.data, doors_origins.len ? ", " : "",
             doors_origins.data);
}

int main(int argc, char **argv)
{
    opt.threads = uv_available_parallelism();
    if (opt.threads > SERVER_LOOPS_MAX)
        opt.threads = SERVER_LOOPS_MAX;
    opt.hash_max = uv_available_parallelism();
    /* A write past RLIMIT_FSIZE (systemd's LimitFSIZE=, a quota set that way) then fails with
     * EFBIG, which the store answers like a full disk (refusing writes, serving reads, probing
     * until space is back), instead of the signal killing the process. */
    signal(SIGXFSZ, SIG_IGN);
    if (auth_init() < 0) {
        fprintf(stderr, "parley: libsodium cannot start\n");
        return 1;
    }
    if (argc > 1 && (strcmp(argv[1], "user") == 0 || strcmp(argv[1], "bot") == 0))
        return run_user(argc, argv);
    if (argc > 1 && (strcmp(argv[1], "import") == 0 || strcmp(argv[1], "export") == 0))
        return run_migrate(argc, argv);
    if (argc > 1 && strcmp(argv[1], "backup") == 0)
        return cli_backup_main(argc - 1, argv + 1);
    if (parse_config(argc, argv) < 0)
        return 2;
    /* Password hashes run on libuv's pool, which starts with 4 threads on its first use:
     * make room for --hash-max of them beside the pool's other work (an operator's own
     * UV_THREADPOOL_SIZE wins). */
    char pool[24];
    snprintf(pool, sizeof(pool), "%llu", opt.hash_max + 4 > 1024 ? 1024 : opt.hash_max + 4);
    setenv("UV_THREADPOOL_SIZE", pool, 0);
    signal(SIGPIPE, SIG_IGN);
    app_t a = {0};
    if (load_tls(&a) < 0)
        return 2;
    a.loop = uv_default_loop();
    const wiring_t *w = opt.threads > 1 ? &wiring_loops : &wiring_direct;
    int rc = open_state(&a, w);
    if (rc != 0) {
        net_tls_ctx_free(a.tls);
        return rc;
    }
    server_config_t sc = {
        .host = opt.host,
        .port = (int)opt.port,
        .max_frame = opt.max_frame,
        .max_outbound = opt.max_outbound,
        .max_header = opt.max_header,
        .max_body = opt.max_body,
        .max_file = opt.max_file,
        .max_connections = (unsigned)opt.max_connections,
        .handshake_timeout_ms = (unsigned)opt.handshake_timeout * 1000,
        .idle_timeout_ms = (unsigned)opt.idle_timeout * 1000,
        .message_timeout_ms = (unsigned)opt.message_timeout * 1000,
        .max_conns_per_ip = (unsigned)opt.max_conns_per_ip,
        .max_partial_input = opt.max_partial_input,
        .echo_path = opt.echo_path,
        .base_path = base_path,
        .deflate = strcmp(opt.deflate, "on") == 0,
        .origins = doors_origins.data,
        .host_names = doors_hosts.data,
        .tls = a.tls,
    };
    a.front = w->start(&a, &sc);
    if (!a.front.ctx) {
        net_tls_ctx_free(a.tls);
        return fail_start(&a);
    }
    uv_signal_init(a.loop, &a.sigterm);
    uv_signal_init(a.loop, &a.sigint);
    uv_signal_init(a.loop, &a.sighup);
    uv_timer_init(a.loop, &a.drain_timer);
    uv_timer_init(a.loop, &a.chat_timer);
    uv_timer_init(a.loop, &a.settle_timer);
    a.sigterm.data = a.sigint.data = a.drain_timer.data = a.chat_timer.data = &a;
    a.settle_timer.data = a.sighup.data = &a;
    uv_timer_start(&a.chat_timer, on_chat_tick, 1000, 1000);
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_signal_start(&a.sighup, on_sighup, SIGHUP);
    log_started(&a);

    /* Runs until the store closed and every password job came back (uv_work keeps it). */
    uv_run(a.loop, UV_RUN_DEFAULT);
    a.front.free(a.front.ctx);
    api_free(a.api);
    chat_free(a.hub);
    files_close(a.files);
    auth_free(a.auth);
    net_tls_ctx_free(a.tls); /* every connection, and so every session, is gone */
    uv_loop_close(a.loop);
    buf_deinit(&doors_origins);
    buf_deinit(&doors_hosts);
    log_info("stopped");
    return 0;
}
