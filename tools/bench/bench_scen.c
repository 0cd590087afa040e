/* bench_scen - the four scenarios, each a straight sequence of phases on top of net_run:
 *
 *   fanout  connect N, send R msg/s in total from S of them for warmup + duration, grace.
 *   idle    connect N, hold; server memory per connection.
 *   storm   connect N as fast as allowed; then close them all at once and reconnect them
 *           all, each joining with its session and resuming from the last seq it saw, while
 *           S extra clients keep sending; nothing may be lost. With --kill-pid, one
 *           process of --ports is killed instead, and only its clients come back, on the
 *           others.
 *   slow    fanout in which K clients stop reading halfway through the window: the healthy
 *           clients' latency must not move, the slow ones must be closed 1013 and, back,
 *           resume with nothing lost.
 *
 * Sending always starts after every client joined and stops at the window's end, so each
 * receiver that joined is owed every message that the server accepted. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/xmalloc.h"
#include "bench.h"

#define TRACK_MAX_BYTES (1ull << 30)
#define RECONNECT_MAX 20 /* per client: a server that closes every attempt must not loop us */

static bool settled(void)
{
    return B.cq_len == 0 && B.connecting == 0 && B.nresuming == 0;
}

static uint64_t accepted_total(void)
{
    uint64_t n = 0;
    for (uint32_t s = 0; s < B.cfg.senders; s++)
        n += B.track.sent[s] - B.track.rejected[s];
    return n;
}

/* Every receiver still trying has everything the server accepted (those that gave up on
 * reconnecting are left out: they will get nothing more). */
static bool all_delivered(void)
{
    uint64_t want = (uint64_t)(B.res.receivers - B.res.gave_up) * accepted_total();
    return settled() && B.delivered_expect - B.gave_up_delivered >= want;
}

static uint32_t count_joined(uint32_t from, uint32_t to)
{
    uint32_t n = 0;
    for (uint32_t i = from; i < to; i++)
        n += B.cl[i].state == CS_JOINED;
    return n;
}

/* Connects clients [from, to) (resuming where they left off when resume is set) and waits
 * until each one is in the channel or has failed. Returns the seconds it took. */
static double connect_range(uint32_t from, uint32_t to, bool resume)
{
    uint64_t t = bench_now_us();
    for (uint32_t i = from; i < to; i++) {
        B.cl[i].want_resume = resume;
        net_queue_connect(i);
    }
    net_run(t + B.cfg.connect_timeout_us, settled);
    double secs = (double)(bench_now_us() - t) / 1e6;
    /* Whoever is still on the way after --connect-timeout has failed. */
    for (uint32_t i = from; i < to; i++) {
        client_t *c = &B.cl[i];
        if (c->fd >= 0 && (c->state != CS_JOINED || c->resuming)) {
            B.st.connect_fail++;
            net_close_client(c, 0);
        }
    }
    net_clear_queue();
    return secs;
}

/* Every client in the channel now is a receiver owed all that is sent from here on. */
static void mark_receivers(void)
{
    B.res.receivers = 0;
    for (uint32_t i = 0; i < B.ncl; i++) {
        B.cl[i].expect = B.cl[i].state == CS_JOINED;
        B.res.receivers += B.cl[i].expect;
    }
}

static void start_sending(void)
{
    uint64_t now = bench_now_us();
    /* Senders start spread over one interval, so R msg/s arrive evenly, not in bursts. */
    for (uint32_t s = 0; s < B.cfg.senders; s++)
        B.next_send[s] = (double)now + B.interval_us * s / B.cfg.senders;
    B.sending = B.cfg.senders > 0;
}

static void open_window(void)
{
    B.win_start = bench_now_us();
    B.res.p_start = proc_sample(B.cfg.pid, B.win_start);
    B.res.self_start = proc_sample(getpid(), B.win_start);
}

static void close_window(void)
{
    B.sending = false;
    B.win_end = bench_now_us();
    B.res.p_end = proc_sample(B.cfg.pid, B.win_end);
    B.res.self_end = proc_sample(getpid(), B.win_end);
}

static void run_for(uint64_t us)
{
    net_run(bench_now_us() + us, NULL);
}

/* The server closed a client: a real client would come back and resume, and so does this
 * one (parley only; the text protocols have no resume). */
static void reconnect_on_drop(client_t *c)
{
    if (c->slow) {
        B.res.slow_closed++;
        B.res.slow_1013 += c->close_code == WS_CLOSE_TRY_AGAIN;
    } else {
        B.res.healthy_closed++;
    }
    if (B.cfg.proto != PROTO_PARLEY || !c->ever_joined)
        return;
    if (c->reconnects >= RECONNECT_MAX) {
        B.res.gave_up += c->expect;
        B.gave_up_delivered += c->expect ? c->delivered : 0;
        return;
    }
    c->reconnects++;
    B.res.reconnects++;
    c->want_resume = true;
    net_queue_connect(c->idx);
}

/* The first phase of fanout, idle and slow: everyone in, timed. */
static void connect_all(void)
{
    B.res.connect_s = connect_range(0, B.ncl, false);
    B.res.joined = count_joined(0, B.ncl);
    mark_receivers();
}

static void fanout(void)
{
    connect_all();
    if (!B.res.joined)
        return;
    B.on_drop = reconnect_on_drop;
    start_sending();
    run_for(B.cfg.warmup_us);
    open_window();
    run_for(B.cfg.duration_us);
    close_window();
    net_run(bench_now_us() + B.cfg.grace_us, all_delivered);
}

/* A server's first connections pay for what it sets up once: code and data pages of the
 * paths they take (a TLS or ICU library, a JIT's output), tables sized for the first
 * entries. idle measures what one more connection costs, so the server's memory is taken
 * again once a few clients are in, and the rest are counted against it. */
#define IDLE_WARM_MAX 100

static void idle(void)
{
    uint32_t warm = B.ncl / 10 < IDLE_WARM_MAX ? B.ncl / 10 : IDLE_WARM_MAX;
    double warm_s = connect_range(0, warm, false);
    B.res.warm = count_joined(0, warm);
    run_for(200 * 1000); /* the writes of their joins committed */
    B.res.p_warm = proc_sample(B.cfg.pid, bench_now_us());
    B.res.connect_s = warm_s + connect_range(warm, B.ncl, false);
    B.res.joined = count_joined(0, B.ncl);
    mark_receivers();
    if (!B.res.joined)
        return;
    open_window();
    run_for(B.cfg.hold_us);
    close_window();
}

static bool all_back(void)
{
    if (!settled() || B.res.reconnects < B.res.killed_clients)
        return false;
    for (uint32_t i = B.first_recv; i < B.ncl; i++)
        if (B.cl[i].state != CS_JOINED || B.cl[i].resuming)
            return false;
    return true;
}

/* storm --kill-pid: SIGKILL the process on the last of --ports and time its clients' way
 * back (the kernel resets their sockets at once; each reconnects to another process, joins
 * with its session and resumes). The senders are on the first port and keep sending. */
static void kill_and_wait(void)
{
    uint32_t last = B.cfg.nports - 1;
    for (uint32_t i = B.first_recv; i < B.ncl; i++)
        B.res.killed_clients += B.cl[i].state == CS_JOINED && B.cl[i].backend == last;
    B.on_drop = reconnect_on_drop;
    uint64_t t = bench_now_us();
    if (kill(B.cfg.kill_pid, SIGKILL) < 0) {
        perror("parley-bench: kill");
        return;
    }
    net_run(t + B.cfg.connect_timeout_us, all_back);
    B.res.reconnect_s = (double)(bench_now_us() - t) / 1e6;
}

static void storm(void)
{
    uint32_t S = B.first_recv;
    connect_range(0, S, false);
    B.res.connect_s = connect_range(S, B.ncl, false);
    B.res.joined = count_joined(S, B.ncl);
    if (!B.res.joined)
        return;
    mark_receivers();
    start_sending();
    run_for(B.cfg.warmup_us);
    open_window();
    if (B.cfg.kill_pid) {
        kill_and_wait();
    } else {
        /* All at once: every close frame goes out before the first reconnect starts. */
        for (uint32_t i = S; i < B.ncl; i++)
            net_close_client(&B.cl[i], WS_CLOSE_GOING_AWAY);
        B.res.reconnect_s = connect_range(S, B.ncl, B.cfg.proto == PROTO_PARLEY);
    }
    B.res.reconnected = count_joined(S, B.ncl);
    B.on_drop = reconnect_on_drop;
    if (bench_now_us() < B.win_start + B.cfg.duration_us)
        net_run(B.win_start + B.cfg.duration_us, NULL);
    close_window();
    net_run(bench_now_us() + B.cfg.grace_us, all_delivered);
}

static void slow(void)
{
    for (uint32_t i = B.ncl - B.cfg.slow; i < B.ncl; i++)
        B.cl[i].slow = true;
    connect_all();
    if (!B.res.joined)
        return;
    B.on_drop = reconnect_on_drop;
    start_sending();
    run_for(B.cfg.warmup_us);
    B.win_mid = UINT64_MAX; /* until the slow clients stop, every sample is a baseline one */
    open_window();
    run_for(B.cfg.duration_us / 2);
    B.win_mid = bench_now_us();
    for (uint32_t i = B.ncl - B.cfg.slow; i < B.ncl; i++)
        net_pause(&B.cl[i], true);
    net_run(B.win_start + B.cfg.duration_us, NULL);
    close_window();
    /* Reading again, each slow client finds its backlog and then, if the server gave up on
     * it, the close: it reconnects and resumes (reconnect_on_drop). */
    for (uint32_t i = B.ncl - B.cfg.slow; i < B.ncl; i++)
        net_pause(&B.cl[i], false);
    net_run(bench_now_us() + B.cfg.grace_us + B.cfg.connect_timeout_us, all_delivered);
}

/* Counts what each receiver still lacks. In the text protocol a server may not echo a
 * sender's own messages (many broadcast servers skip the sender): when no sender got any of
 * its own, those pairs are not counted. */
static void count_lost(void)
{
    B.res.self_echo = B.cfg.proto == PROTO_PARLEY || B.cfg.senders == 0;
    for (uint32_t s = 0; s < B.cfg.senders && !B.res.self_echo; s++)
        if (B.cl[s].expect && B.track.sent[s] > B.track.rejected[s] &&
            track_missing(&B.track, s, s) < B.track.sent[s] - B.track.rejected[s])
            B.res.self_echo = true;
    uint64_t accepted = accepted_total();
    for (uint32_t r = 0; r < B.ncl; r++) {
        client_t *c = &B.cl[r];
        if (!c->expect)
            continue;
        uint64_t missing = 0;
        for (uint32_t s = 0; s < B.cfg.senders; s++)
            if (s != r || B.res.self_echo)
                missing += track_missing(&B.track, r, s);
        if (c->slow)
            B.res.lost_slow += missing;
        /* A receiver that is not back has not lost its messages yet, it failed to return:
         * counted apart, so `lost` stays what the server lost for connected clients. */
        if (c->state != CS_JOINED || c->resuming) {
            B.res.not_back++;
            B.res.missing_not_back += missing;
            continue;
        }
        B.res.lost += missing;
        B.res.expected +=
            accepted -
            (B.res.self_echo || r >= B.cfg.senders ? 0 : B.track.sent[r] - B.track.rejected[r]);
    }
    if (B.cfg.slow)
        for (uint32_t i = B.ncl - B.cfg.slow; i < B.ncl; i++)
            B.res.slow_back += B.cl[i].slow && B.cl[i].state == CS_JOINED && !B.cl[i].resuming;
}

/* Sizes the tables. The bitmaps hold every (receiver, message) pair; each sender may send
 * its share of R for the whole sending time plus a margin, and stops at that cap. */
static int setup(void)
{
    bench_cfg_t *cfg = &B.cfg;
    B.ncl = cfg->scen == SCEN_STORM ? cfg->senders + cfg->clients : cfg->clients;
    B.first_recv = cfg->scen == SCEN_STORM ? cfg->senders : 0;
    B.cl = xcalloc(B.ncl, sizeof(client_t));
    for (uint32_t i = 0; i < B.ncl; i++) {
        B.cl[i].fd = -1;
        B.cl[i].idx = i;
        /* Receivers spread evenly over --ports; storm's senders stay on the first, which
         * --kill-pid spares. */
        B.cl[i].backend = i < B.first_recv ? 0 : (i - B.first_recv) % cfg->nports;
    }
    B.cq = xcalloc(B.ncl, sizeof(uint32_t));
    B.next_send = xcalloc(cfg->senders + 1, sizeof(double));
    B.acked = xcalloc(cfg->senders + 1, sizeof(uint32_t));
    double per_sender = cfg->senders ? cfg->rate / cfg->senders : 0;
    B.interval_us = per_sender > 0 ? 1e6 / per_sender : 1e18;
    /* storm keeps sending until its reconnect phase is over, which may outlast --duration */
    uint64_t send_us =
        cfg->warmup_us + cfg->duration_us + (cfg->scen == SCEN_STORM ? cfg->connect_timeout_us : 0);
    double secs = (double)send_us / 1e6 + 1;
    double cap = per_sender * secs * 1.1 + 64;
    if (track_init(&B.track, B.ncl, cfg->senders, cap > 4e9 ? 4000000000u : (uint32_t)cap,
                   TRACK_MAX_BYTES) < 0) {
        fprintf(stderr,
                "parley-bench: %u receivers x %.0f messages would need over 1 GiB "
                "of delivery bitmaps; shorten --duration or lower --rate\n",
                B.ncl, per_sender * secs * cfg->senders);
        return -1;
    }
    hist_init(&B.lat);
    hist_init(&B.lat_base);
    hist_init(&B.lat_slow);
    B.win_start = B.win_end = UINT64_MAX;
    return 0;
}

int scen_run(void)
{
    if (setup() < 0)
        return -1;
    B.res.p_before = proc_sample(B.cfg.pid, bench_now_us());
    /* Each scenario stops after its first connect phase when nobody joined: main reports
     * that as a failed set-up. */
    switch (B.cfg.scen) {
    case SCEN_FANOUT:
        fanout();
        break;
    case SCEN_IDLE:
        idle();
        break;
    case SCEN_STORM:
        storm();
        break;
    case SCEN_SLOW:
        slow();
        break;
    }
    B.on_drop = NULL;
    count_lost();
    return 0;
}
