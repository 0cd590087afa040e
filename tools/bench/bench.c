/* parley-bench - load generator for parley (and for other WebSocket chat servers that
 * broadcast text frames): flags, limits, the run, and the report.
 *
 * One thread, one epoll loop (bench_net.c), a scenario made of phases (bench_scen.c). The
 * report is for people, plus one `RESULT {json}` line with every number for scripts. The run
 * is bounded: every phase has a deadline and a hard limit ends the process whatever happens.
 * Exit status: 0 when the run took place (whatever it measured), 1 when it could not be set
 * up (bad flags, no server, no sockets), 2 when the hard time limit cut it off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"

bench_t B;

static void usage(FILE *f)
{
    static const char *const text[] = {
        "usage: parley-bench SCENARIO [--flag value]...",
        "",
        "Scenarios:",
        "  fanout  N clients in #general; S of them send R msg/s in total; every frame",
        "          received is checked for its token: deliveries/s, latency p50/p99/p999/max,",
        "          lost, duplicates, reorderings, server RSS and CPU (--pid).",
        "  idle    N connections held for --hold: server memory per connection (needs",
        "          --pid; meaningful on a freshly started server only, as freed memory",
        "          stays in its heap).",
        "  storm   N clients connect and join as fast as allowed (connects+joins/s); then",
        "          all close at once and reconnect, joining with their session and",
        "          resuming from the last seq they saw, while S extra clients keep sending:",
        "          nothing may be lost (parley only; with --proto text, rates only).",
        "  slow    fanout where the last K clients stop reading halfway through the window",
        "          (with a small SO_RCVBUF): the healthy clients' p99 must not move, the",
        "          slow ones must be closed 1013 and, reconnecting, resume with nothing",
        "          lost (parley only).",
        "",
        "Flags (durations take s, ms or m; rates an optional /s):",
        "  --url URL            ws://HOST:PORT/PATH (default ws://127.0.0.1:8000/ws); {i}",
        "                       in PATH becomes the client's index (/ws/{i}: client-id mode);",
        "                       wss:// speaks TLS (1.2 or 1.3; the certificate is not checked)",
        "  --path PATH          overrides the URL's path",
        "  --ports P1,P2,...    several processes of one cluster on the URL's host (at most",
        "                       8): client i connects to the (i mod n)th, and a client the",
        "                       server dropped reconnects to the next one",
        "  --proto P            parley (JSON: join as <prefix><i>, send msg, read msg) or",
        "                       text (send the token as a raw text frame; any text frame",
        "                       holding \"t:\" is searched for one: Node ws, Bun pub/sub,",
        "                       parley's /ws/{i})",
        "  --clients N          connections (default 100); at most RLIMIT_NOFILE minus 64",
        "  --senders S          sending clients (default min(10, N); storm: 1, extra to N;",
        "                       idle: 0)",
        "  --rate R             messages per second into the server, all senders",
        "                       together (default 100); each sender sends R/S",
        "  --size B             message text bytes, token included (default: the token)",
        "  --slow K             slow: clients that stop reading (default max(1, N/10))",
        "  --warmup T           sending before the window opens (default 2s)",
        "  --duration T         measured window (default 10s)",
        "  --grace T            after sending stops, wait for late messages (default 2s)",
        "  --hold T             idle: how long the connections are held (default 10s)",
        "  --connect-timeout T  limit of a connect phase (default 20s)",
        "  --connect-rate R     new connections per second (default 2000; storm: 0, no",
        "                       limit)",
        "  --inflight N         handshakes in progress at once (default 256)",
        "  --src-spread N       bind sources to 127.0.0.1..127.0.0.N when the server is on",
        "                       loopback, so that many connections do not exhaust one",
        "                       address's ephemeral ports, nor pass parley's",
        "                       --max-conns-per-ip (256) (default 250; 1: no binding)",
        "  --slow-rcvbuf B      SO_RCVBUF of a slow client's first connection (default 4096)",
        "  --pid PID            server process, for RSS and CPU from /proc/PID (alias",
        "                       --server-pid)",
        "  --name-prefix P      join names are P<i> (default b)",
        "  --cids               every msg carries payload.cid (client keys), as a client",
        "                       that retries sends them",
        "  --pipeline K         a sender keeps at most K msgs unacknowledged: a send due",
        "                       beyond that is skipped, so an --rate above what the server",
        "                       takes measures its ceiling (acks/s) with bounded queues",
        "  --kill-pid PID       storm: instead of closing every client, SIGKILL process PID",
        "                       (one of --ports, not the first: the senders are on the",
        "                       first); its clients reconnect to the next process and resume",
        "  --quiet              print only the RESULT line",
        "",
        "The run stops by itself: phases have deadlines, and the process exits after",
        "warmup + duration + grace + hold + 2 x connect-timeout + 60 s whatever happens.",
        "",
        "Server settings for benchmarking parley: its per-connection limit is 20 msg/s",
        "(burst 40), so start it with --rate 100000 --burst 100000 unless R/S stays under",
        "20. Give fanout a large --max-outbound (e.g. 64m), so that a briefly slow bench is",
        "not closed 1013, and slow a small one (e.g. 256k) with a high R x --size: a slow",
        "client's backlog first fills the server's kernel send buffer (up to the maximum",
        "of net.ipv4.tcp_wmem, 4 MiB) and only then its --max-outbound queue. Pin the two",
        "apart (taskset -c 0 parley ...; taskset -c 1 parley-bench ...). The report says",
        "how long each waited for a CPU: on a busy machine, latency measures the machine.",
        "",
        "Output: a human report, then one line `RESULT {json}` with every number.",
    };
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
        fprintf(f, "%s\n", text[i]);
}

/* ---- flag parsing ---- */

static int parse_duration(const char *s, uint64_t *us)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    double mul = strcmp(end, "ms") == 0                  ? 1e3
                 : strcmp(end, "s") == 0 || *end == '\0' ? 1e6
                 : strcmp(end, "m") == 0                 ? 60e6
                                                         : -1;
    if (mul < 0 || v * mul > 86400e6)
        return -1;
    *us = (uint64_t)(v * mul);
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0 || (*end && strcmp(end, "/s") != 0))
        return -1;
    *out = v;
    return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_url(const char *url, bench_cfg_t *cfg)
{
    cfg->tls = strncmp(url, "wss://", 6) == 0;
    if (!cfg->tls && strncmp(url, "ws://", 5) != 0) {
        fprintf(stderr, "parley-bench: --url must start with ws:// or wss://\n");
        return -1;
    }
    const char *h = url + (cfg->tls ? 6 : 5), *slash = strchr(h, '/'), *colon = strchr(h, ':');
    const char *hend = slash ? slash : h + strlen(h);
    if (colon && colon < hend) {
        uint32_t port;
        char num[8] = "";
        snprintf(num, sizeof(num), "%.*s", (int)(hend - colon - 1), colon + 1);
        if (parse_u32(num, &port) < 0 || port == 0 || port > 65535)
            return -1;
        cfg->port = (uint16_t)port;
        hend = colon;
    } else {
        cfg->port = cfg->tls ? 443 : 80;
    }
    if (hend == h || (size_t)(hend - h) >= sizeof(cfg->host))
        return -1;
    snprintf(cfg->host, sizeof(cfg->host), "%.*s", (int)(hend - h), h);
    snprintf(cfg->path, sizeof(cfg->path), "%s", slash ? slash : "/");
    return 0;
}

/* --ports: a comma-separated list of ports of the same host. */
static int parse_ports(const char *v, bench_cfg_t *cfg)
{
    cfg->nports = 0;
    while (*v) {
        char *end;
        errno = 0;
        unsigned long p = strtoul(v, &end, 10);
        if (errno || end == v || p == 0 || p > 65535 || cfg->nports == 8 || (*end && *end != ','))
            return -1;
        cfg->ports[cfg->nports++] = (uint16_t)p;
        v = *end ? end + 1 : end;
    }
    return cfg->nports ? 0 : -1;
}

static int parse_scenario(const char *s, bench_cfg_t *cfg)
{
    static const char *names[] = {"fanout", "idle", "storm", "slow"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            cfg->scen = (bench_scen_t)i;
            return 0;
        }
    return -1;
}

/* One flag and its value; returns -1 on a bad name or value. */
static int set_flag(const char *name, const char *v, bench_cfg_t *cfg, int32_t *senders,
                    int32_t *slowk, int32_t *crate)
{
    uint32_t u;
    double d;
    if (strcmp(name, "url") == 0)
        return parse_url(v, cfg);
    if (strcmp(name, "path") == 0)
        return snprintf(cfg->path, sizeof(cfg->path), "%s", v) >= (int)sizeof(cfg->path) ? -1 : 0;
    if (strcmp(name, "proto") == 0) {
        cfg->proto = strcmp(v, "text") == 0 ? PROTO_TEXT : PROTO_PARLEY;
        return strcmp(v, "text") == 0 || strcmp(v, "parley") == 0 ? 0 : -1;
    }
    if (strcmp(name, "name-prefix") == 0) {
        cfg->name_prefix = v;
        return strlen(v) <= 20 && strchr(v, '"') == NULL && strchr(v, '\\') == NULL ? 0 : -1;
    }
    if (strcmp(name, "ports") == 0)
        return parse_ports(v, cfg);
    if (strcmp(name, "rate") == 0)
        return parse_double(v, &cfg->rate);
    if (strcmp(name, "connect-rate") == 0) {
        if (parse_double(v, &d) < 0)
            return -1;
        cfg->connect_rate = d;
        *crate = 1;
        return 0;
    }
    uint64_t *durs[] = {&cfg->warmup_us, &cfg->duration_us, &cfg->grace_us, &cfg->hold_us,
                        &cfg->connect_timeout_us};
    const char *dnames[] = {"warmup", "duration", "grace", "hold", "connect-timeout"};
    for (int i = 0; i < 5; i++)
        if (strcmp(name, dnames[i]) == 0)
            return parse_duration(v, durs[i]);
    if (parse_u32(v, &u) < 0)
        return -1;
    if (strcmp(name, "clients") == 0)
        cfg->clients = u;
    else if (strcmp(name, "senders") == 0)
        *senders = (int32_t)(u > 1000000 ? 1000000 : u);
    else if (strcmp(name, "slow") == 0)
        *slowk = (int32_t)(u > 1000000 ? 1000000 : u);
    else if (strcmp(name, "size") == 0)
        cfg->size = u > 60000 ? 60000 : u;
    else if (strcmp(name, "inflight") == 0)
        cfg->inflight = u ? u : 1;
    else if (strcmp(name, "src-spread") == 0)
        cfg->src_spread = u > 250 ? 250 : u;
    else if (strcmp(name, "slow-rcvbuf") == 0)
        cfg->slow_rcvbuf = u > 1u << 24 ? 1 << 24 : (int)u;
    else if (strcmp(name, "pid") == 0 || strcmp(name, "server-pid") == 0)
        cfg->pid = (int)u;
    else if (strcmp(name, "pipeline") == 0)
        cfg->pipeline = u;
    else if (strcmp(name, "kill-pid") == 0)
        cfg->kill_pid = (int)u;
    else
        return -1;
    return 0;
}

/* Fills the defaults that depend on the scenario and checks the combination. */
static int finish_config(bench_cfg_t *cfg, int32_t senders, int32_t slowk, int32_t crate)
{
    uint32_t n = cfg->clients;
    if (cfg->nports == 0) {
        cfg->ports[0] = cfg->port;
        cfg->nports = 1;
    } else {
        cfg->port = cfg->ports[0];
    }
    /* The kill must leave somewhere to go, and the senders (on the first port) must survive
     * it: parley-bench does not send again what a dead process never acknowledged. */
    if (cfg->kill_pid &&
        (cfg->scen != SCEN_STORM || cfg->proto != PROTO_PARLEY || cfg->nports < 2)) {
        fprintf(stderr, "parley-bench: --kill-pid needs storm, --proto parley and --ports "
                        "with two or more ports\n");
        return -1;
    }
    if (cfg->scen == SCEN_IDLE)
        senders = 0;
    else if (cfg->scen == SCEN_STORM && cfg->proto == PROTO_TEXT)
        senders = 0;
    else if (senders < 0)
        senders = cfg->scen == SCEN_STORM ? 1 : (int32_t)(n < 10 ? n : 10);
    cfg->senders = (uint32_t)senders;
    if (cfg->scen == SCEN_STORM && !crate)
        cfg->connect_rate = 0;
    if (cfg->scen == SCEN_SLOW) {
        cfg->slow = slowk < 0 ? (n / 10 ? n / 10 : 1) : (uint32_t)slowk;
        if (cfg->proto != PROTO_PARLEY) {
            fprintf(stderr, "parley-bench: slow needs --proto parley (it resumes)\n");
            return -1;
        }
        if (cfg->slow == 0 || cfg->slow + cfg->senders > n) {
            fprintf(stderr, "parley-bench: slow needs 1 <= K and K + S <= N\n");
            return -1;
        }
    }
    if (n == 0 || (cfg->scen != SCEN_STORM && cfg->senders > n)) {
        fprintf(stderr, "parley-bench: need --clients >= 1 and --senders <= --clients\n");
        return -1;
    }
    if (cfg->senders && cfg->rate <= 0) {
        fprintf(stderr, "parley-bench: --rate must be > 0\n");
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, bench_cfg_t *cfg)
{
    *cfg = (bench_cfg_t){.proto = PROTO_PARLEY,
                         .host = "127.0.0.1",
                         .port = 8000,
                         .path = "/ws",
                         .clients = 100,
                         .rate = 100,
                         .warmup_us = 2000000,
                         .duration_us = 10000000,
                         .grace_us = 2000000,
                         .hold_us = 10000000,
                         .connect_timeout_us = 20000000,
                         .connect_rate = 2000,
                         .inflight = 256,
                         .src_spread = 250,
                         .slow_rcvbuf = 4096,
                         .name_prefix = "b"};
    int32_t senders = -1, slowk = -1, crate = 0;
    bool have_scen = false;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(arg, "--quiet") == 0) {
            cfg->quiet = true;
            continue;
        }
        if (strcmp(arg, "--cids") == 0) {
            cfg->cids = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (have_scen || parse_scenario(arg, cfg) < 0) {
                fprintf(stderr, "parley-bench: unknown scenario '%s' (see --help)\n", arg);
                return -1;
            }
            have_scen = true;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        char key[32];
        snprintf(key, sizeof(key), "%.*s", (int)(eq ? (size_t)(eq - name) : strlen(name)), name);
        const char *v = eq ? eq + 1 : (a + 1 < argc ? argv[++a] : NULL);
        if (!v || set_flag(key, v, cfg, &senders, &slowk, &crate) < 0) {
            fprintf(stderr, "parley-bench: bad flag or value: %s %s (see --help)\n", arg,
                    v && !eq ? v : "");
            return -1;
        }
    }
    if (!have_scen) {
        usage(stderr);
        return -1;
    }
    return finish_config(cfg, senders, slowk, crate);
}

/* ---- limits ---- */

/* Raises the open-file limit to its hard maximum and checks that the clients fit. */
static int check_fds(uint32_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    (void)getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t room = rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 0;
    if (need > room) {
        fprintf(stderr,
                "parley-bench: %u connections, but this process may open only %llu files "
                "(RLIMIT_NOFILE hard limit %llu): at most %llu sockets. Lower --clients or "
                "raise the hard limit (ulimit -Hn, limits.conf).\n",
                need, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
                (unsigned long long)room);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv, &B.cfg) < 0)
        return 1;
    uint32_t need = B.cfg.clients + (B.cfg.scen == SCEN_STORM ? B.cfg.senders : 0);
    if (check_fds(need) < 0)
        return 1;
    net_init();
    B.t0 = bench_now_us();
    const bench_cfg_t *c = &B.cfg;
    B.hard_deadline = B.t0 + c->warmup_us + c->duration_us + c->grace_us + c->hold_us +
                      2 * c->connect_timeout_us + 60000000u;
    if (scen_run() < 0)
        return 1;
    if (B.res.joined == 0) {
        report_print();
        fprintf(stderr, "parley-bench: no client could join %s:%u%s\n", c->host, c->port, c->path);
        return 1;
    }
    report_print();
    for (uint32_t i = 0; i < B.ncl; i++)
        net_close_client(&B.cl[i], WS_CLOSE_NORMAL);
    return 0;
}
