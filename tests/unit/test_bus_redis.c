/* test_bus_redis - the Redis bus against a real redis-server that the test starts on a free
 * port of 127.0.0.1 (no persistence, killed at the end, and by the kernel if the test dies:
 * PR_SET_PDEATHSIG). Without redis-server the test says so and is skipped (exit 77).
 *
 * Every wait is a bounded run of the loop until a callback was seen (WAIT), never a sleep;
 * the one exception is a key's expiry, which is time itself. Timings are shortened through
 * bus_opts_t so that a lost Redis is noticed in a few hundred milliseconds. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <uv.h>

#include "bus/bus_open.h"
#include "bus_rec.h"
#include "test.h"

static uv_loop_t loop;
static uv_timer_t wake;
static char redis_exe[PATH_MAX];
static char redis_dir[] = "/tmp/parley-bus-test-XXXXXX";
static pid_t redis_pid;
static int redis_port;

/* ---- the server ---- */

static bool find_redis(void)
{
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s:/usr/bin:/usr/sbin:/usr/local/bin", path ? path : "");
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(redis_exe, sizeof(redis_exe), "%s/redis-server", d);
        if (access(redis_exe, X_OK) == 0)
            return true;
    }
    return false;
}

/* A free port of 127.0.0.1 below the ephemeral range: a client reconnecting to a port in
 * that range while nothing listens may be given it as its own local port (a TCP
 * self-connect) and hold it, and the restarted server could not bind it. */
static int free_port(void)
{
    int lo = 32768;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d", &lo) != 1)
            lo = 32768;
        fclose(f);
    }
    if (lo <= 12000)
        lo = 65536; /* an odd range: fall back to above 12000, anything that binds */
    for (int i = 0, start = 10000 + (int)(getpid() % 1000) * 2; i < 2000; i++) {
        int port = start + i;
        if (port >= lo && lo != 65536)
            break;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return port;
    }
    fprintf(stderr, "no free port\n");
    exit(1);
}

/* Whether the server answers PING (a synchronous hiredis client, 100 ms at most). */
static bool redis_answers(void)
{
    struct timeval tv = {0, 100000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
    bool ok = false;
    if (c && !c->err && redisSetTimeout(c, tv) == REDIS_OK) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
        freeReplyObject(r);
    }
    redisFree(c);
    return ok;
}

static void redis_start(void)
{
    pid_t parent = getpid();
    redis_pid = fork();
    if (redis_pid < 0) {
        perror("fork");
        exit(1);
    }
    if (redis_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test, even a crashed one */
        if (getppid() != parent)
            _exit(1);
        char log[PATH_MAX];
        snprintf(log, sizeof(log), "%s/redis.log", redis_dir);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(out, 1);
        char port[16];
        snprintf(port, sizeof(port), "%d", redis_port);
        execl(redis_exe, "redis-server", "--port", port, "--bind", "127.0.0.1", "-::1", "--save",
              "", "--appendonly", "no", "--dir", redis_dir, "--loglevel", "warning", (char *)NULL);
        _exit(127);
    }
    /* Polls until it answers: bounded (10 s), and only on the server's start. */
    for (int i = 0; i < 1000 && !redis_answers(); i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    if (!redis_answers()) {
        fprintf(stderr, "redis-server did not start on port %d (its log: %s/redis.log)\n",
                redis_port, redis_dir);
        kill(redis_pid, SIGKILL);
        exit(1);
    }
}

static void redis_kill(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGKILL);
        waitpid(redis_pid, NULL, 0);
        redis_pid = 0;
    }
}

/* ---- waiting ---- */

static uint64_t wait_end;

static void on_wake(uv_timer_t *t)
{
    (void)t; /* only wakes the loop, so that waits see the time pass */
}

static void wait_start(unsigned ms)
{
    uv_update_time(&loop);
    wait_end = uv_now(&loop) + ms;
    uv_timer_start(&wake, on_wake, 5, 5);
}

static bool wait_more(void)
{
    if (uv_now(&loop) >= wait_end)
        return false;
    uv_run(&loop, UV_RUN_ONCE);
    return true;
}

/* Runs the loop until cond holds, ms at most, and checks it. */
#define WAIT(cond, ms)                                                                             \
    do {                                                                                           \
        wait_start(ms);                                                                            \
        while (!(cond) && wait_more())                                                             \
            ;                                                                                      \
        uv_timer_stop(&wake);                                                                      \
        CHECK(cond);                                                                               \
    } while (0)

static void run_for(unsigned ms)
{
    wait_start(ms);
    while (wait_more())
        ;
    uv_timer_stop(&wake);
}

/* After every bus of a test is closed: runs the loop until their handles are. */
static void drain(void)
{
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* ---- buses ---- */

/* Short timings: a lost Redis is noticed in about a second. */
static bus_opts_t fast(const char *prefix)
{
    return (bus_opts_t){.prefix = prefix,
                        .connect_timeout_ms = 2000,
                        .ping_interval_ms = 100,
                        .ping_timeout_ms = 1000,
                        .backoff_min_ms = 20,
                        .backoff_max_ms = 200};
}

static bus_t *open_bus(const char *host, const bus_opts_t *o, bus_rec_t *r)
{
    memset(r, 0, sizeof(*r));
    char url[128];
    snprintf(url, sizeof(url), "redis://%s:%d", host, redis_port);
    bus_t *b = NULL;
    CHECK_EQ_INT(bus_open(&loop, url, o, &bus_rec_cbs, r, &b), 0);
    r->self = b;
    return b;
}

/* ---- tests ---- */

TEST(test_pubsub)
{
    bus_opts_t o = fast("t1:");
    bus_rec_t ra, rb;
    bus_t *a = open_bus("127.0.0.1", &o, &ra);
    bus_t *b = open_bus("localhost", &o, &rb); /* through the name lookup */
    WAIT(ra.ups == 1 && rb.ups == 1, 3000);
    CHECK(bus_rec_stats(a).up);

    CHECK_EQ_INT(bus_subscribe(b, "room"), 0);
    CHECK_EQ_INT(bus_subscribe(b, "marker"), 0);
    CHECK_EQ_INT(rb.nsub, 0);
    WAIT(rb.nsub == 2, 2000);
    CHECK_EQ_STR(rb.subs[0], "room");

    CHECK_EQ_INT(bus_publish(a, "room", "hello", 5), 0);
    static const char bin[] = {0, 'x', 0, 0, (char)0xff, 0};
    CHECK_EQ_INT(bus_publish(a, "room", bin, sizeof(bin)), 0);
    CHECK_EQ_INT(bus_publish(a, "room", NULL, 0), 0);
    /* a's answers from Redis and b's messages come on different connections: wait for both */
    WAIT(rb.nmsg == 3 && bus_rec_stats(a).published == 3, 2000);
    CHECK_EQ_STR(rb.msgs[0].topic, "room");
    CHECK_EQ_MEM(rb.msgs[0].data, rb.msgs[0].len, "hello", 5);
    CHECK_EQ_MEM(rb.msgs[1].data, rb.msgs[1].len, bin, sizeof(bin));
    CHECK_EQ_INT(rb.msgs[2].len, 0);
    CHECK_EQ_INT(bus_rec_stats(a).published, 3);
    CHECK_EQ_INT(bus_rec_stats(a).pending, 0);
    CHECK_EQ_INT(bus_rec_stats(b).received, 3);

    /* Both ways, and a publisher gets its own message back. */
    CHECK_EQ_INT(bus_subscribe(a, "room"), 0);
    WAIT(ra.nsub == 1, 2000);
    bus_publish(b, "room", "back", 4);
    WAIT(ra.nmsg == 1 && rb.nmsg == 4, 2000);

    /* References: the topic stays until the last one goes. */
    CHECK_EQ_INT(bus_subscribe(b, "room"), 1);
    CHECK_EQ_INT(bus_rec_stats(b).topics, 2);
    CHECK_EQ_INT(bus_unsubscribe(b, "room"), 0);
    bus_publish(a, "room", "still", 5);
    WAIT(bus_rec_got(&rb, "still"), 2000);
    CHECK_EQ_INT(bus_unsubscribe(b, "room"), 0);
    CHECK_EQ_INT(bus_unsubscribe(b, "room"), BUS_EINVAL);
    CHECK_EQ_INT(bus_rec_stats(b).topics, 1);
    /* Redis delivers in publish order: once the marker is in, "gone" would be too. */
    bus_publish(a, "room", "gone", 4);
    bus_publish(a, "marker", "mark", 4);
    WAIT(bus_rec_got(&rb, "mark") && bus_rec_got(&ra, "gone"), 2000);
    CHECK(!bus_rec_got(&rb, "gone"));

    /* Subscribed, unsubscribed and subscribed again before any answer. */
    rb.nsub = 0;
    bus_subscribe(b, "again");
    bus_unsubscribe(b, "again");
    CHECK_EQ_INT(bus_subscribe(b, "again"), 0);
    WAIT(rb.nsub == 1, 2000);
    bus_publish(a, "again", "yes", 3);
    WAIT(bus_rec_got(&rb, "yes"), 2000);

    bus_close(a);
    bus_close(b);
    drain();
}

/* Publishes made while connecting wait for the connection, up to the bound. */
TEST(test_early_publish)
{
    bus_opts_t o = fast("t2:");
    bus_rec_t ra, rb;
    bus_t *b = open_bus("127.0.0.1", &o, &rb);
    bus_subscribe(b, "q");
    WAIT(rb.nsub == 1, 3000);
    o.max_pending = 2;
    bus_t *a = open_bus("127.0.0.1", &o, &ra);
    CHECK_EQ_INT(bus_publish(a, "q", "1", 1), 0);
    CHECK_EQ_INT(bus_publish(a, "q", "2", 1), 0);
    CHECK_EQ_INT(bus_publish(a, "q", "3", 1), BUS_EDROPPED);
    CHECK_EQ_INT(bus_rec_stats(a).pending, 2);
    CHECK_EQ_INT(bus_setex(a, "k", "v", 1, 1000), BUS_EDOWN);
    WAIT(rb.nmsg == 2 && bus_rec_stats(a).published == 2, 3000);
    CHECK(bus_rec_got(&rb, "1") && bus_rec_got(&rb, "2"));
    CHECK_EQ_INT(bus_rec_stats(a).published, 2);
    CHECK_EQ_INT(bus_rec_stats(a).dropped, 1);
    bus_close(a);
    bus_close(b);
    drain();
}

/* Scans prefix on b and waits for the answer. */
static bus_scan_rec_t scan_now(bus_t *b, const char *prefix)
{
    bus_scan_rec_t s = {0};
    CHECK_EQ_INT(bus_scan_prefix(b, prefix, bus_rec_scan, &s), 0);
    WAIT(s.calls == 1, 3000);
    CHECK_EQ_INT(s.status, 0);
    return s;
}

TEST(test_keys)
{
    bus_opts_t o = fast("t3:"), o2 = fast("t3other:");
    bus_rec_t ra, rc;
    bus_t *a = open_bus("127.0.0.1", &o, &ra), *c = open_bus("127.0.0.1", &o2, &rc);
    WAIT(ra.ups == 1 && rc.ups == 1, 3000);
    CHECK_EQ_INT(bus_setex(a, "pres:1", "alice", 5, 60000), 0);
    CHECK_EQ_INT(bus_setex(a, "pres:2", "b\0b", 3, 60000), 0);
    CHECK_EQ_INT(bus_setex(a, "pres:3", "short", 5, 50), 0);
    CHECK_EQ_INT(bus_setex(a, "a*b", "star", 4, 60000), 0);
    CHECK_EQ_INT(bus_setex(a, "axb", "plain", 5, 60000), 0);
    CHECK_EQ_INT(bus_setex(a, "k", "v", 1, 0), BUS_EINVAL);

    /* Commands run in order: a scan sees the setex calls before it. */
    bus_scan_rec_t s = scan_now(a, "pres:");
    CHECK(s.n == 3 || s.n == 2); /* pres:3 may be gone already on a busy machine */
    CHECK_EQ_STR(bus_rec_scanned(&s, "pres:1"), "alice");
    s = scan_now(a, "a*");
    CHECK_EQ_INT(s.n, 1); /* the * of a name is a character, not a wildcard */
    CHECK_EQ_STR(bus_rec_scanned(&s, "a*b"), "star");
    s = scan_now(c, "");
    CHECK_EQ_INT(s.n, 0); /* another prefix, another namespace */

    run_for(120); /* pres:3's TTL: time itself is what is tested */
    s = scan_now(a, "pres:");
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_STR(bus_rec_scanned(&s, "pres:3"), "");
    CHECK_EQ_INT(bus_del(a, "pres:1"), 0);
    s = scan_now(a, "pres:");
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_STR(bus_rec_scanned(&s, "pres:2"), "b"); /* (the value is 3 bytes, NUL inside) */

    /* Several SCAN and MGET rounds. */
    char key[32];
    for (int i = 0; i < 2500; i++) {
        snprintf(key, sizeof(key), "many:%d", i);
        CHECK_EQ_INT(bus_setex(a, key, key, strlen(key), 60000), 0);
    }
    s = scan_now(a, "many:");
    CHECK_EQ_INT(s.n, 2500);
    CHECK(!s.more);

    /* bus_close answers a scan still running, before it returns. */
    s = (bus_scan_rec_t){0};
    CHECK_EQ_INT(bus_scan_prefix(a, "many:", bus_rec_scan, &s), 0);
    bus_close(a);
    CHECK_EQ_INT(s.calls, 1);
    CHECK_EQ_INT(s.status, BUS_ECLOSED);
    bus_close(c);
    drain();
}

/* Redis killed and started again on its port: down, up, resubscribed, caught up. */
TEST(test_restart)
{
    bus_opts_t o = fast("t4:");
    bus_rec_t ra, rb;
    bus_t *a = open_bus("127.0.0.1", &o, &ra), *b = open_bus("127.0.0.1", &o, &rb);
    bus_subscribe(b, "room");
    WAIT(ra.ups == 1 && rb.nsub == 1, 3000);
    rb.publish_on_down = true;
    bus_scan_rec_t s = {0};
    CHECK_EQ_INT(bus_scan_prefix(a, "", bus_rec_scan, &s), 0);

    redis_kill();
    WAIT(ra.downs == 1 && rb.downs == 1, 3000);
    CHECK_EQ_INT(rb.down_rc, BUS_EDROPPED); /* down: dropped at once, never waits */
    CHECK(bus_rec_stats(b).dropped >= 1);
    CHECK(!bus_rec_stats(b).up);
    CHECK_EQ_INT(bus_rec_stats(b).topics, 1);
    CHECK_EQ_INT(bus_setex(b, "k", "v", 1, 1000), BUS_EDOWN);
    CHECK(s.calls == 0 || s.status == BUS_EDOWN || s.status == 0);

    redis_start();
    WAIT(ra.ups == 2 && rb.ups == 2 && rb.nsub == 2, 5000);
    CHECK_EQ_STR(rb.subs[1], "room");
    CHECK_EQ_INT(bus_rec_stats(b).reconnects, 1);
    CHECK(bus_rec_stats(b).up);
    bus_publish(a, "room", "after", 5);
    WAIT(bus_rec_got(&rb, "after"), 2000);
    bus_close(a);
    bus_close(b);
    drain();
}

/* A Redis that stops answering (SIGSTOP) is down by the heartbeat's deadline. */
TEST(test_stopped)
{
    bus_opts_t o = fast("t5:");
    o.connect_timeout_ms = 500;
    bus_rec_t ra;
    bus_t *a = open_bus("127.0.0.1", &o, &ra);
    bus_subscribe(a, "room");
    WAIT(ra.nsub == 1, 3000);
    ra.publish_on_down = true;
    kill(redis_pid, SIGSTOP);
    uv_update_time(&loop);
    uint64_t t0 = uv_now(&loop);
    WAIT(ra.downs == 1, 3000);
    CHECK(uv_now(&loop) - t0 < 3000); /* ping every 100 ms, something answered each 1000 */
    CHECK_EQ_INT(ra.down_rc, BUS_EDROPPED);
    /* Still stopped: attempts connect (the kernel accepts) but time out unanswered. */
    run_for(1200);
    CHECK_EQ_INT(ra.ups, 1);
    kill(redis_pid, SIGCONT);
    WAIT(ra.ups == 2 && ra.nsub == 2, 5000);
    bus_publish(a, "room", "awake", 5);
    WAIT(bus_rec_got(&ra, "awake"), 2000);
    bus_close(a);
    drain();
}

TEST(test_urls)
{
    static const char *const bad[] = {
        "http://127.0.0.1:6379", "redis://",      "redis://:6379", "redis://h:0",
        "redis://h:65536",       "redis://h:1/x", "redis://u@h:1", "redis://[::1",
        "redis://h:1/2?x",       "redis://h:1x",  "mem:",
    };
    bus_t *b = NULL;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = bus_open(&loop, bad[i], NULL, &bus_rec_cbs, NULL, &b);
        CHECK_EQ_INT(rc, BUS_EINVAL);
        if (rc != BUS_EINVAL)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
    }
    bus_opts_t o = fast("x");
    o.backoff_min_ms = 500;
    o.backoff_max_ms = 100;
    CHECK_EQ_INT(bus_open(&loop, "redis://127.0.0.1", &o, &bus_rec_cbs, NULL, &b), BUS_EINVAL);

    /* Good ones, closed before they connect. */
    static const char *const good[] = {"redis://127.0.0.1", "redis://[::1]:6380/2",
                                       "redis://localhost/", "redis://redis.invalid:1/0"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK_EQ_INT(bus_open(&loop, good[i], NULL, &bus_rec_cbs, NULL, &b), 0);
        bus_close(b);
    }
    drain();

    /* Nothing listening: never up, and closed while retrying (or looking up a name). */
    bus_rec_t r;
    o = fast("t6:");
    int port = redis_port;
    redis_port = free_port();
    bus_t *x = open_bus("127.0.0.1", &o, &r), *y = open_bus("localhost", &o, &r);
    run_for(300);
    CHECK_EQ_INT(r.ups, 0);
    CHECK(!bus_rec_stats(x).up);
    bus_close(x);
    bus_close(y);
    drain();
    redis_port = port;
}

/* A callback may close its bus; the messages after it go nowhere. */
TEST(test_close_in_callback)
{
    bus_opts_t o = fast("t7:");
    bus_rec_t ra, rb;
    bus_t *a = open_bus("127.0.0.1", &o, &ra), *b = open_bus("127.0.0.1", &o, &rb);
    bus_subscribe(b, "room");
    bus_subscribe(a, "room");
    WAIT(ra.nsub == 1 && rb.nsub == 1, 3000);
    rb.close_on_message = true;
    for (int i = 0; i < 5; i++)
        bus_publish(a, "room", "m", 1);
    WAIT(ra.nmsg == 5 && rb.self == NULL, 2000);
    CHECK_EQ_INT(rb.nmsg, 1);
    bus_close(a);
    drain();
}

int main(void)
{
    if (!find_redis()) {
        printf("test_bus_redis: redis-server not found; skipped (scripts/deps test installs it)\n");
        return 77;
    }
    signal(SIGPIPE, SIG_IGN); /* as main does: hiredis writes to sockets a server may close */
    if (!mkdtemp(redis_dir)) {
        perror("mkdtemp");
        return 1;
    }
    uv_loop_init(&loop);
    uv_timer_init(&loop, &wake);
    redis_port = free_port();
    redis_start();

    RUN(test_pubsub);
    RUN(test_early_publish);
    RUN(test_keys);
    RUN(test_restart);
    RUN(test_stopped);
    RUN(test_urls);
    RUN(test_close_in_callback);

    redis_kill();
    char log[PATH_MAX];
    snprintf(log, sizeof(log), "%s/redis.log", redis_dir);
    unlink(log);
    rmdir(redis_dir);
    uv_close((uv_handle_t *)&wake, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    return TEST_MAIN_END();
}
