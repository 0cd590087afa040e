/* bench_report - the end of a run in two forms: lines for a person, and one
 * `RESULT {json}` line holding every number, flat, so a script can build a table from many
 * runs. Latencies are microseconds in the JSON and milliseconds in the text. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const char *scen_name(bench_scen_t s)
{
    static const char *n[] = {"fanout", "idle", "storm", "slow"};
    return n[s];
}

static double window_s(void)
{
    if (B.win_start == UINT64_MAX || B.win_end == UINT64_MAX || B.win_end <= B.win_start)
        return 0;
    return (double)(B.win_end - B.win_start) / 1e6;
}

static uint64_t close_code_count(uint16_t code)
{
    return B.st.close_codes[code - 1000];
}

static void print_latency(const char *label, const hist_t *h)
{
    if (h->count == 0) {
        printf("%-9s no samples\n", label);
        return;
    }
    printf("%-9s p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  max %.2f ms  mean %.2f ms  "
           "(%llu samples)\n",
           label, (double)hist_pct(h, 50) / 1e3, (double)hist_pct(h, 99) / 1e3,
           (double)hist_pct(h, 99.9) / 1e3, (double)h->max / 1e3,
           (double)h->sum / (double)h->count / 1e3, (unsigned long long)h->count);
}

/* idle: the server's memory per connection past the first r->warm (see idle()), and
 * counted from before the first (code pages and tables' first sizes included). */
static double idle_bytes_per_conn(const bench_result_t *r)
{
    return ((double)r->p_end.rss_kb - (double)r->p_warm.rss_kb) * 1024 / (r->joined - r->warm);
}

static double idle_bytes_cold(const bench_result_t *r)
{
    return ((double)r->p_end.rss_kb - (double)r->p_before.rss_kb) * 1024 / r->joined;
}

static void print_server(void)
{
    const bench_result_t *r = &B.res;
    if (!B.cfg.pid) {
        printf("server    (no --pid: no RSS or CPU)\n");
        return;
    }
    if (!r->p_before.ok || !r->p_end.ok) {
        printf("server    pid %d could not be read from /proc\n", B.cfg.pid);
        return;
    }
    double cpu = proc_cpu_pct(&r->p_start, &r->p_end);
    printf("server    pid %d: RSS %.1f MB before, %.1f MB at window start, %.1f MB at end "
           "(%+.1f MB in window), CPU %.1f %% of one core in window, its main thread waited "
           "for a CPU %.0f %% of it\n",
           B.cfg.pid, (double)r->p_before.rss_kb / 1024, (double)r->p_start.rss_kb / 1024,
           (double)r->p_end.rss_kb / 1024,
           ((double)r->p_end.rss_kb - (double)r->p_start.rss_kb) / 1024, cpu,
           proc_wait_pct(&r->p_start, &r->p_end));
    if (B.cfg.scen == SCEN_IDLE && r->joined > r->warm)
        printf("memory    %.0f bytes per connection ((RSS at end - RSS once %u had joined) / "
               "%u); %.0f counting from before the first ((RSS at end - before) / %u)\n",
               idle_bytes_per_conn(r), r->warm, r->joined - r->warm, idle_bytes_cold(r), r->joined);
}

static void print_human(void)
{
    const bench_cfg_t *c = &B.cfg;
    const bench_result_t *r = &B.res;
    const bench_stats_t *st = &B.st;
    printf("parley-bench %s  proto %s  %s://%s:%u%s  run %08x\n", scen_name(c->scen),
           c->proto == PROTO_PARLEY ? "parley" : "text", c->tls ? "wss" : "ws", c->host, c->port,
           c->path, B.run_id);
    uint32_t target = c->scen == SCEN_STORM ? c->clients : B.ncl;
    printf("connect   %u/%u joined in %.2f s (%.0f connects+joins/s); failed: %llu connect, "
           "%llu handshake, %llu join\n",
           r->joined, target, r->connect_s, r->connect_s > 0 ? r->joined / r->connect_s : 0,
           (unsigned long long)st->connect_fail, (unsigned long long)st->handshake_fail,
           (unsigned long long)st->join_fail);
    if (c->scen == SCEN_STORM && c->kill_pid)
        printf("storm     pid %d killed: its %u clients back on the others (joined with session "
               "+ resumed) in %.2f s (%.0f/s), %llu messages recovered by resume (%.0f/s); "
               "%u/%u in the channel\n",
               c->kill_pid, r->killed_clients, r->reconnect_s,
               r->reconnect_s > 0 ? r->killed_clients / r->reconnect_s : 0,
               (unsigned long long)B.track.recovered,
               r->reconnect_s > 0 ? (double)B.track.recovered / r->reconnect_s : 0, r->reconnected,
               r->joined);
    else if (c->scen == SCEN_STORM)
        printf("storm     all closed at once; %u/%u back%s in %.2f s (%.0f/s)\n", r->reconnected,
               r->joined, c->proto == PROTO_PARLEY ? " (joined with session + resumed)" : "",
               r->reconnect_s, r->reconnect_s > 0 ? r->reconnected / r->reconnect_s : 0);
    if (c->senders) {
        uint64_t rejected = 0;
        for (uint32_t s = 0; s < c->senders; s++)
            rejected += B.track.rejected[s];
        printf("sending   %.0f msg/s from %u senders: %llu sent, %llu skipped, %llu blocked, "
               "%llu refused (rate_limited %llu); max send lag %.1f ms\n",
               c->rate, c->senders, (unsigned long long)st->sent,
               (unsigned long long)st->send_skipped, (unsigned long long)st->send_blocked,
               (unsigned long long)rejected, (unsigned long long)st->err_rate_limited,
               (double)st->max_send_lag_us / 1e3);
        double w = window_s();
        printf("window    %.2f s: %llu deliveries (%.0f/s)\n", w,
               (unsigned long long)st->deliveries_window,
               w > 0 ? (double)st->deliveries_window / w : 0);
        print_latency("latency", &B.lat);
        if (c->scen == SCEN_SLOW) {
            print_latency("  healthy, all reading", &B.lat_base);
            print_latency("  healthy, K not reading", &B.lat_slow);
        }
        printf("checks    lost %llu of %llu expected (%u receivers%s), duplicates %llu, "
               "reorderings %llu, foreign %llu\n",
               (unsigned long long)r->lost, (unsigned long long)r->expected, r->receivers,
               r->self_echo ? "" : "; no self-echo, own messages not expected",
               (unsigned long long)B.track.dups, (unsigned long long)B.track.reorders,
               (unsigned long long)st->foreign);
        if (r->not_back)
            printf("          %u receivers were not back in the channel at the end; they lack "
                   "%llu messages (not in `lost`)\n",
                   r->not_back, (unsigned long long)r->missing_not_back);
    }
    if (c->scen == SCEN_SLOW)
        printf("slow      %u clients: %u closes by the server (%u with 1013), %u back and "
               "resumed; they lack %llu messages\n",
               c->slow, r->slow_closed, r->slow_1013, r->slow_back,
               (unsigned long long)r->lost_slow);
    printf(
        "closes    by server %llu (1000 %llu, 1001 %llu, 1006 %llu, 1008 %llu, 1013 %llu, "
        "other %llu); reconnects %u (gave up on %u); resumes ok %llu, failed %llu; recovered %llu, "
        "overlap %llu\n",
        (unsigned long long)st->closed_by_server, (unsigned long long)close_code_count(1000),
        (unsigned long long)close_code_count(1001), (unsigned long long)close_code_count(1006),
        (unsigned long long)close_code_count(1008), (unsigned long long)close_code_count(1013),
        (unsigned long long)st->closed_other, r->reconnects, r->gave_up,
        (unsigned long long)st->resumes_ok, (unsigned long long)st->resumes_failed,
        (unsigned long long)B.track.recovered, (unsigned long long)B.track.overlap);
    if (r->healthy_closed && !c->kill_pid)
        printf("WARNING   the server closed %u connections of clients that were reading: the "
               "bench or the machine did not keep up (see --max-outbound), numbers are suspect\n",
               r->healthy_closed);
    if (st->err_other || st->err_name_taken)
        printf("errors    name_taken %llu, other %llu\n", (unsigned long long)st->err_name_taken,
               (unsigned long long)st->err_other);
    print_server();
    double self = proc_cpu_pct(&B.res.self_start, &B.res.self_end);
    double wait = proc_wait_pct(&B.res.self_start, &B.res.self_end);
    if (self >= 0)
        printf("bench     CPU %.0f %% of one core, waited for a CPU %.0f %% of the window%s\n",
               self, wait,
               self + wait > 85 ? ": saturated or starved, latency includes its own backlog" : "");
}

static void json_hist(const char *prefix, const hist_t *h)
{
    printf(",\"%s_n\":%llu,\"%s_p50_us\":%llu,\"%s_p99_us\":%llu,\"%s_p999_us\":%llu,"
           "\"%s_max_us\":%llu,\"%s_mean_us\":%.1f",
           prefix, (unsigned long long)h->count, prefix, (unsigned long long)hist_pct(h, 50),
           prefix, (unsigned long long)hist_pct(h, 99), prefix,
           (unsigned long long)hist_pct(h, 99.9), prefix, (unsigned long long)h->max, prefix,
           h->count ? (double)h->sum / (double)h->count : 0.0);
}

static void json_server(void)
{
    const bench_result_t *r = &B.res;
    if (!r->p_before.ok || !r->p_start.ok || !r->p_end.ok)
        return;
    printf(",\"server_pid\":%d,\"rss_before_kb\":%llu,\"rss_start_kb\":%llu,"
           "\"rss_end_kb\":%llu,\"rss_window_delta_kb\":%lld,\"server_cpu_pct\":%.1f,"
           "\"server_wait_pct\":%.1f",
           B.cfg.pid, (unsigned long long)r->p_before.rss_kb, (unsigned long long)r->p_start.rss_kb,
           (unsigned long long)r->p_end.rss_kb,
           (long long)r->p_end.rss_kb - (long long)r->p_start.rss_kb,
           proc_cpu_pct(&r->p_start, &r->p_end), proc_wait_pct(&r->p_start, &r->p_end));
    if (B.cfg.scen == SCEN_IDLE && r->joined > r->warm)
        printf(",\"warm\":%u,\"rss_warm_kb\":%llu,\"bytes_per_conn\":%.0f,"
               "\"bytes_per_conn_cold\":%.0f",
               r->warm, (unsigned long long)r->p_warm.rss_kb, idle_bytes_per_conn(r),
               idle_bytes_cold(r));
}

static void print_json(void)
{
    const bench_cfg_t *c = &B.cfg;
    const bench_result_t *r = &B.res;
    const bench_stats_t *st = &B.st;
    double w = window_s();
    uint64_t rejected = 0;
    for (uint32_t s = 0; s < c->senders; s++)
        rejected += B.track.rejected[s];
    printf("RESULT {\"scenario\":\"%s\",\"proto\":\"%s\",\"host\":\"%s\",\"port\":%u,"
           "\"clients\":%u,\"senders\":%u,\"slow\":%u,\"rate\":%.1f,\"size\":%u,"
           "\"window_s\":%.3f,\"joined\":%u,\"connect_s\":%.3f,\"connect_rate\":%.1f,"
           "\"connect_fail\":%llu,\"handshake_fail\":%llu,\"join_fail\":%llu",
           scen_name(c->scen), c->proto == PROTO_PARLEY ? "parley" : "text", c->host, c->port,
           c->clients, c->senders, c->slow, c->rate, c->size, w, r->joined, r->connect_s,
           r->connect_s > 0 ? r->joined / r->connect_s : 0, (unsigned long long)st->connect_fail,
           (unsigned long long)st->handshake_fail, (unsigned long long)st->join_fail);
    printf(",\"sent\":%llu,\"send_skipped\":%llu,\"refused\":%llu,\"rate_limited\":%llu,"
           "\"deliveries\":%llu,\"deliveries_per_s\":%.1f,\"receivers\":%u,\"expected\":%llu,"
           "\"lost\":%llu,\"duplicates\":%llu,\"reorderings\":%llu,\"foreign\":%llu,"
           "\"not_back\":%u,\"missing_not_back\":%llu,\"self_echo\":%s,\"max_send_lag_us\":%llu",
           (unsigned long long)st->sent, (unsigned long long)st->send_skipped,
           (unsigned long long)rejected, (unsigned long long)st->err_rate_limited,
           (unsigned long long)st->deliveries_window, w > 0 ? (double)st->deliveries_window / w : 0,
           r->receivers, (unsigned long long)r->expected, (unsigned long long)r->lost,
           (unsigned long long)B.track.dups, (unsigned long long)B.track.reorders,
           (unsigned long long)st->foreign, r->not_back, (unsigned long long)r->missing_not_back,
           r->self_echo ? "true" : "false", (unsigned long long)st->max_send_lag_us);
    json_hist("lat", &B.lat);
    if (c->scen == SCEN_SLOW) {
        json_hist("healthy_base", &B.lat_base);
        json_hist("healthy_slow", &B.lat_slow);
        printf(",\"slow_closed\":%u,\"slow_closed_1013\":%u,\"slow_back\":%u,\"slow_lost\":%llu",
               r->slow_closed, r->slow_1013, r->slow_back, (unsigned long long)r->lost_slow);
    }
    if (c->scen == SCEN_STORM)
        printf(",\"reconnected\":%u,\"reconnect_s\":%.3f,\"reconnect_rate\":%.1f", r->reconnected,
               r->reconnect_s, r->reconnect_s > 0 ? r->reconnected / r->reconnect_s : 0);
    if (c->kill_pid)
        printf(",\"kill_pid\":%d,\"killed_clients\":%u", c->kill_pid, r->killed_clients);
    /* CLOCK_MONOTONIC, as Python's time.monotonic(): a script sampling other processes (a
     * cluster's, its database's) can cut its samples to the window. */
    printf(
        ",\"acks\":%llu,\"acks_per_s\":%.1f,\"ports\":%u,\"win_start_us\":%llu,\"win_end_us\":%llu",
        (unsigned long long)st->acks, w > 0 ? (double)st->acks_window / w : 0, c->nports,
        (unsigned long long)(B.win_start == UINT64_MAX ? 0 : B.win_start),
        (unsigned long long)(B.win_end == UINT64_MAX ? 0 : B.win_end));
    printf(",\"closed_by_server\":%llu,\"healthy_closed\":%u,\"closed_1013\":%llu,"
           "\"reconnects\":%u,\"gave_up\":%u,\"resumes_ok\":%llu,\"resumes_failed\":%llu,"
           "\"recovered\":%llu,\"overlap\":%llu",
           (unsigned long long)st->closed_by_server, r->healthy_closed,
           (unsigned long long)close_code_count(1013), r->reconnects, r->gave_up,
           (unsigned long long)st->resumes_ok, (unsigned long long)st->resumes_failed,
           (unsigned long long)B.track.recovered, (unsigned long long)B.track.overlap);
    json_server();
    printf(",\"bench_cpu_pct\":%.1f,\"bench_wait_pct\":%.1f}\n",
           proc_cpu_pct(&r->self_start, &r->self_end), proc_wait_pct(&r->self_start, &r->self_end));
}

void report_print(void)
{
    if (!B.cfg.quiet)
        print_human();
    print_json();
    (void)fflush(stdout);
}
