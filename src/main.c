/* main - the configuration (conf.h), wiring, signals, graceful drain.
 *
 * Wiring: connections meet chat in one of two ways, picked once (wiring_t): --threads 1 runs
 * one server on this loop calling chat directly (server_direct); more run the connection
 * loops (server_loops). Everything after the pick goes through the server_front_t it gives.
 *
 * The store is opened by URL (--store, or --db as sqlite:PATH; store_open.h), and logged
 * without its password. The accounts (auth) are loaded from it before chat, which takes
 * identities from them; the REST layer (api) answers /api on the same loop. TLS (--tls-cert,
 * --tls-key): the files are loaded before anything starts (a bad one is a usage error, exit
 * 2); SIGHUP loads them again for new connections, keeping the old ones' (net_tls.h), and
 * keeps the old certificate when the new files are bad. Shutdown (SIGTERM, SIGINT): /readyz
 * turns 503 and WebSockets get close 1001 at once; when they are gone (or after DRAIN_MS) the
 * listener closes; once no /api answer is due (one may wait for a password hash, whose result
 * auth still writes) the store commits what it holds, the loop runs out, and the process
 * exits 0.
 *
 * `parley user|bot|import|export|backup ...` are the command lines beside the server
 * (cli_cmd.h), reading the same flags for where the store is.
 *
 * Testing knobs, not flags: PARLEY_TEST_FAST_HASH=1 (conf_auth); PARLEY_TEST_READ_BUDGET=N
 * sets the store's cost budget per read (store_open_opts_t), so a test can reach it without a
 * million messages; PARLEY_TEST_PRESENCE_TTL_MS=N shortens the life of a process's list of
 * who is online on it (chat_relay.h, 20000), so that a test sees a killed process's users go
 * within seconds. Never in production. */
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
#include "cli/cli_cmd.h"
#include "conf/conf.h"
#include "http/http_origin.h"
#include "net/net_tls.h"
#include "server/server.h"
#include "server/server_direct.h"
#include "server/server_loops.h"
#include "files/files.h"
#include "store/store_open.h"

#define DRAIN_MS 3000

/* The flags, read once (conf_parse) and then only read. */
static conf_t opt;

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
    if (strncmp(opt.store_url, "sqlite:", 7) != 0) {
        snprintf(out, cap, "parley.files");
        return;
    }
    const char *path = opt.store_url + 7;
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
    int rc = store_open(a->loop, opt.store_url, &so, &a->store);
    if (rc < 0)
        return rc == STORE_EINVAL ? 2 : 1; /* a bad URL is a usage error, like a bad flag */
    auth_config_t ac = conf_auth(&opt);
    a->auth = auth_new(a->loop, a->store, &ac);
    if (!a->auth || auth_load(a->auth) < 0) {
        log_error("cannot read the accounts of the store %s", opt.store_shown);
        return fail_start(a);
    }
    /* The store gives seqs (at commit, under the channel's lock) with other processes, and
     * on PostgreSQL even alone: a COMMIT carried out whose answer was lost leaves a seq
     * stored that a hub giving seqs itself would give again (and fail on, until a restart);
     * the store knows it, and answers the retry with it. */
    bool store_seqs = opt.bus[0] != '\0' || strncmp(opt.store_url, "postgres", 8) == 0;
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
        log_error("cannot read the store %s", opt.store_shown);
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
    a->api = api_new(a->auth, &(api_config_t){.origins = opt.origins.data,
                                              .files = a->files,
                                              .files_allowed = files_allowed,
                                              .files_ctx = a->hub,
                                              .loop = a->loop,
                                              .profile_changed = profile_changed,
                                              .base_path = opt.base,
                                              .profile_ctx = a->hub,
                                              .chat_call = rest_call,
                                              .chat_call_end = rest_call_end,
                                              .chat_ctx = a->hub,
                                              .hooks_allowed = hooks_allowed,
                                              .hook_post = hook_post,
                                              .hooks_ctx = a->hub});
    return 0;
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
             a->tls ? "https" : "http", opt.host, a->front.port(a->front.ctx), opt.store_shown,
             opt.sync, opt.threads, opt.threads > 1 ? "s" : "", (unsigned long long)cm.general_seq,
             opt.guests, auth_registration(a->auth) == AUTH_REG_OPEN ? "open" : opt.registration);
    if (a->tls) {
        char what[384];
        net_tls_ctx_describe(a->tls, what, sizeof(what));
        log_info("TLS 1.2 and 1.3 with %s (SIGHUP reloads %s and %s)", what, opt.tls_cert,
                 opt.tls_key);
    }
    if (opt.base[0])
        log_info("serving under %s/ (--base-path; other paths 404)", opt.base);
    log_info("answering Host: IP addresses, localhost%s%s; allowed origins: the page's own%s%s",
             opt.hosts.len ? ", " : "", opt.hosts.data, opt.origins.len ? ", " : "",
             opt.origins.data);
}

int main(int argc, char **argv)
{
    conf_init(&opt);
    /* A write past RLIMIT_FSIZE (systemd's LimitFSIZE=, a quota set that way) then fails with
     * EFBIG, which the store answers like a full disk (refusing writes, serving reads, probing
     * until space is back), instead of the signal killing the process. */
    signal(SIGXFSZ, SIG_IGN);
    if (auth_init() < 0) {
        fprintf(stderr, "parley: libsodium cannot start\n");
        return 1;
    }
    if (argc > 1 && cli_cmd_is(argv[1])) {
        int rc = cli_cmd_run(&opt, argc, argv);
        conf_deinit(&opt);
        return rc;
    }
    if (conf_parse(&opt, argc, argv) < 0) {
        conf_deinit(&opt);
        return 2;
    }
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
        .base_path = opt.base,
        .deflate = strcmp(opt.deflate, "on") == 0,
        .origins = opt.origins.data,
        .host_names = opt.hosts.data,
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
    conf_deinit(&opt);
    log_info("stopped");
    return 0;
}
