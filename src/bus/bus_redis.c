/* bus_redis - the bus over Redis: the connection pair and its life (bus_redis_cmd.c does
 * what travels over it).
 *
 * Two connections, because Redis allows nothing but (un)subscribing on a connection in
 * subscribe mode: `cmd` carries PUBLISH, PSETEX, DEL, SCAN, MGET; `sub` carries SUBSCRIBE
 * and receives messages. They live and die together: the bus is one state (br_state_t),
 * and any failure of either tears both down and reconnects both.
 *
 * An attempt (BR_CONNECTING): the host's name is looked up off the loop (uv_getaddrinfo;
 * hiredis would block the loop on it), both connections are opened through hiredis's libuv
 * adapter, `cmd` selects the database and PINGs, `sub` subscribes the heartbeat channel. The
 * bus is up when both answered, within connect_timeout_ms (the `deadline` timer: a Redis
 * that accepts connections but is stopped answers nothing). hiredis 0.14 has no timeouts of
 * its own for asynchronous contexts, so every timeout here is one of our uv timers.
 *
 * Up (BR_UP): every ping_interval_ms the `tick` timer publishes a number on the heartbeat
 * channel; the PUBLISH reply (cmd) and the message (sub) must come back, and until they do,
 * the connection waited on must answer something every ping_timeout_ms (`deadline` again),
 * else the bus is down (hb_progress). The heartbeat queues behind whatever was sent before it, so a
 * Redis working through a backlog is slow, not dead; a stopped one answers nothing. A plain PING
 * would prove only cmd, and hiredis 0.14 cannot PING a connection in subscribe mode.
 *
 * Down (BR_DOWN): the `retry` timer waits the backoff, then the next attempt starts.
 *
 * Contexts: hiredis frees a context itself after an error (calling on_connect or
 * on_disconnect) and we free it (redisAsyncFree) when we give it up; in both cases every
 * callback still pending on it fires with a NULL reply. So a context we stop using is
 * detached first (ac->data NULL, conn->ac NULL), and every callback checks br_of(ac) before
 * anything else. Teardown: bus_close frees both contexts (their poll handles close in the
 * adapter's own callbacks) and closes our timers; b is freed when the last of those closes
 * and no name lookup is in flight. */
#include "bus/bus_redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/adapters/libuv.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "bus/bus_redis_int.h"

/* ---- URL ---- */

/* redis://HOST[:PORT][/DB]; HOST a name, an IPv4 address or [an IPv6 address]. */
static int parse_url(bus_redis_t *b, const char *url)
{
    static const char scheme[] = "redis://";
    if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
        return -1;
    const char *p = url + sizeof(scheme) - 1, *end;
    if (*p == '[') {
        end = strchr(++p, ']');
        if (!end)
            return -1;
        b->host = xstrndup(p, (size_t)(end - p));
        p = end + 1;
    } else {
        end = p + strcspn(p, ":/");
        b->host = xstrndup(p, (size_t)(end - p));
        p = end;
    }
    if (!b->host[0] || strpbrk(b->host, "@?#"))
        return -1;
    b->port = 6379;
    if (*p == ':') {
        char *e;
        long v = strtol(p + 1, &e, 10);
        if (e == p + 1 || v < 1 || v > 65535)
            return -1;
        b->port = (int)v;
        p = e;
    }
    if (*p == '/' && p[1]) {
        char *e;
        long v = strtol(p + 1, &e, 10);
        if (e == p + 1 || v < 0 || v > 1000000)
            return -1;
        b->db = (int)v;
        p = e;
    } else if (*p == '/') {
        p++;
    }
    if (*p)
        return -1;
    struct in6_addr a6;
    b->numeric =
        uv_inet_pton(AF_INET, b->host, &a6) == 0 || uv_inet_pton(AF_INET6, b->host, &a6) == 0;
    return 0;
}

/* ---- the attempt ---- */

static void on_retry(uv_timer_t *t);

static uint64_t rnd(bus_redis_t *b)
{
    /* xorshift64*: jitter only, nothing secret */
    b->rng ^= b->rng >> 12;
    b->rng ^= b->rng << 25;
    b->rng ^= b->rng >> 27;
    return b->rng * 2685821657736338717ull;
}

/* The backoff before the next attempt: doubling from min to max, less up to half of it. */
static uint64_t backoff_ms(bus_redis_t *b)
{
    unsigned shift = b->failures > 16 ? 16 : b->failures;
    uint64_t d = (uint64_t)b->o.backoff_min_ms << shift;
    if (d > b->o.backoff_max_ms)
        d = b->o.backoff_max_ms;
    return d - rnd(b) % (d / 2 + 1);
}

static void give_up_conn(br_conn_t *c)
{
    redisAsyncContext *ac = c->ac;
    if (!ac)
        return;
    c->ac = NULL;
    ac->data = NULL;
    redisAsyncFree(ac); /* deferred by hiredis when inside one of ac's callbacks */
}

void br_fail(bus_redis_t *b, const char *fmt, ...)
{
    if (b->ns.closing || b->state == BR_DOWN)
        return;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);

    bool was_up = b->state == BR_UP;
    /* Everything of the connections goes before any callback of the owner runs. */
    give_up_conn(&b->cmd);
    give_up_conn(&b->sub);
    b->state = BR_DOWN;
    uv_timer_stop(&b->deadline);
    uv_timer_stop(&b->tick);
    b->hb_reply_due = b->hb_echo_due = false;
    bus_topics_unwire(&b->topics);
    br_drop_pending(b);
    b->cmd_pending = b->cmd_bytes = 0;
    if (was_up)
        log_warn("bus: redis %s:%d down: %s", b->host, b->port, why);
    else
        log_msg(b->failures ? LOG_DEBUG : LOG_WARN, "bus: redis %s:%d: %s (retrying)", b->host,
                b->port, why);
    uint64_t wait = backoff_ms(b);
    b->failures++;
    uv_timer_start(&b->retry, on_retry, wait, 0);

    br_scans_end(b, BUS_EDOWN);
    if (was_up && !b->ns.closing && b->cbs.on_state)
        b->cbs.on_state(b->ctx, false);
}

/* ---- the heartbeat ---- */

static void on_deadline(uv_timer_t *t);
static void on_hb_reply(redisAsyncContext *ac, void *reply, void *priv);
static void maybe_up(bus_redis_t *b);

static void on_tick(uv_timer_t *t)
{
    bus_redis_t *b = t->data;
    if (b->state != BR_UP || b->hb_reply_due || b->hb_echo_due)
        return;
    char num[24];
    int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)++b->hb_seq);
    const char *argv[] = {"PUBLISH", b->hb_chan, num};
    size_t lens[] = {7, b->hb_len, (size_t)n};
    if (redisAsyncCommandArgv(b->cmd.ac, on_hb_reply, NULL, 3, argv, lens) != REDIS_OK)
        return; /* the context is going: its disconnect callback says why */
    b->hb_reply_due = b->hb_echo_due = true;
    b->hb_cmd_mark = b->cmd_seen;
    b->hb_sub_mark = b->sub_seen;
    uv_timer_start(&b->deadline, on_deadline, b->o.ping_timeout_ms, 0);
}

static void hb_check(bus_redis_t *b)
{
    if (!b->hb_reply_due && !b->hb_echo_due && b->state == BR_UP)
        uv_timer_stop(&b->deadline);
}

static void on_hb_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    bus_redis_t *b = br_answer(ac, reply);
    const redisReply *r = reply;
    if (!b)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        br_fail(b, "heartbeat: %s", r->str);
        return;
    }
    b->hb_reply_due = false;
    if (b->hb_echo_due) { /* Redis has sent the message: sub gets a deadline of its own */
        b->hb_sub_mark = b->sub_seen;
        uv_timer_start(&b->deadline, on_deadline, b->o.ping_timeout_ms, 0);
    }
    hb_check(b);
}

void br_hb_event(bus_redis_t *b, const char *kind, const char *data, size_t len)
{
    if (strcmp(kind, "subscribe") == 0) {
        b->sub_ready = true;
        maybe_up(b);
    } else if (strcmp(kind, "message") == 0 && b->hb_echo_due) {
        char num[24];
        int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)b->hb_seq);
        if ((size_t)n == len && memcmp(num, data, len) == 0) {
            b->hb_echo_due = false;
            hb_check(b);
        }
    }
}

/* Whether the connection the heartbeat waits on answered anything since the last mark:
 * `cmd` until the PUBLISH is answered (it queues behind every command sent before it),
 * then `sub` until the message is in (behind every message before it). Moving means a
 * Redis working through a backlog: slow, not dead. A stopped one answers nothing. */
static bool hb_progress(bus_redis_t *b)
{
    bool ok = b->hb_reply_due ? b->cmd_seen != b->hb_cmd_mark : b->sub_seen != b->hb_sub_mark;
    b->hb_cmd_mark = b->cmd_seen;
    b->hb_sub_mark = b->sub_seen;
    return ok;
}

/* The deadline passed: first reads what already came on both connections. A loop turn runs
 * its timers before it polls, so after a stall of our own process (a busy machine, a slow
 * callback) the answer may be waiting in the socket: a late loop must not blame Redis. */
static void on_deadline(uv_timer_t *t)
{
    bus_redis_t *b = t->data;
    br_state_t was = b->state;
    uint64_t gen = b->gen;
    if (b->cmd.ac)
        redisAsyncHandleRead(b->cmd.ac);
    if (b->sub.ac && b->state == was && b->gen == gen && !b->ns.closing)
        redisAsyncHandleRead(b->sub.ac);
    if (b->state != was || b->gen != gen || b->ns.closing)
        return; /* up, or down, meanwhile */
    if (was == BR_CONNECTING)
        br_fail(b, "no answer within %u ms of connecting", b->o.connect_timeout_ms);
    else if (was == BR_UP && (b->hb_reply_due || b->hb_echo_due) && hb_progress(b))
        uv_timer_start(&b->deadline, on_deadline, b->o.ping_timeout_ms, 0);
    else if (was == BR_UP && (b->hb_reply_due || b->hb_echo_due))
        br_fail(b, "nothing answered within %u ms", b->o.ping_timeout_ms);
}

static void go_up(bus_redis_t *b)
{
    b->state = BR_UP;
    uv_timer_stop(&b->deadline);
    b->failures = 0;
    b->warned = false;
    if (b->ever_up)
        b->st.reconnects++;
    b->ever_up = true;
    log_info("bus: redis %s:%d up", b->host, b->port);
    br_flush_queue(b);
    br_resubscribe(b);
    uv_timer_start(&b->tick, on_tick, b->o.ping_interval_ms, b->o.ping_interval_ms);
    if (b->cbs.on_state)
        b->cbs.on_state(b->ctx, true);
}

static void maybe_up(bus_redis_t *b)
{
    if (b->state == BR_CONNECTING && b->cmd_ready && b->sub_ready)
        go_up(b);
}

/* ---- connecting ---- */

static void on_connect(const redisAsyncContext *ac, int status)
{
    bus_redis_t *b = br_of(ac);
    if (!b || status == REDIS_OK)
        return;
    br_conn_t *c = ac->data;
    c->ac = NULL; /* hiredis frees it when we return */
    br_fail(b, "%s connection: %s", c->what, ac->errstr);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    bus_redis_t *b = br_of(ac);
    if (!b)
        return;
    br_conn_t *c = ac->data;
    c->ac = NULL; /* hiredis frees it when we return */
    br_fail(b, "%s connection: %s", c->what, ac->err ? ac->errstr : "closed by the server");
}

/* The handshake's replies on cmd: SELECT (when a db is named), then PING. */
static void on_handshake(redisAsyncContext *ac, void *reply, void *priv)
{
    bus_redis_t *b = br_answer(ac, reply);
    const redisReply *r = reply;
    if (!b)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        br_fail(b, "%s: %s", (const char *)priv, r->str);
        return;
    }
    if (strcmp(priv, "PING") == 0) {
        b->cmd_ready = true;
        maybe_up(b);
    }
}

static int open_conn(bus_redis_t *b, br_conn_t *c, const char *ip)
{
    redisAsyncContext *ac = redisAsyncConnect(ip, b->port);
    if (!ac)
        return -1;
    if (ac->err || redisLibuvAttach(ac, b->loop) != REDIS_OK) {
        br_fail(b, "%s connection: %s", c->what, ac->err ? ac->errstr : "cannot watch it");
        redisAsyncFree(ac);
        return -1;
    }
    ac->data = c;
    c->ac = ac;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return 0;
}

static void connect_to(bus_redis_t *b, const char *ip)
{
    if (open_conn(b, &b->cmd, ip) < 0 || open_conn(b, &b->sub, ip) < 0)
        return;
    /* Written once each connection is established, answered in order. */
    if (b->db)
        redisAsyncCommand(b->cmd.ac, on_handshake, "SELECT", "SELECT %d", b->db);
    redisAsyncCommand(b->cmd.ac, on_handshake, "PING", "PING");
    redisAsyncCommand(b->sub.ac, br_on_sub_reply, NULL, "SUBSCRIBE %b", b->hb_chan, b->hb_len);
}

typedef struct {
    uv_getaddrinfo_t req;
    bus_redis_t *b;
    uint64_t gen;
} lookup_t;

static void maybe_free(bus_redis_t *b);

static void on_lookup(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    lookup_t *l = (lookup_t *)req;
    bus_redis_t *b = l->b;
    b->lookups--;
    if (b->lookup == req)
        b->lookup = NULL;
    char ip[64] = "";
    if (status == 0)
        uv_ip_name(res->ai_addr, ip, sizeof(ip));
    uv_freeaddrinfo(res);
    bool current = l->gen == b->gen && b->state == BR_CONNECTING && !b->ns.closing;
    free(l);
    if (b->ns.closing)
        maybe_free(b);
    else if (current && status < 0)
        br_fail(b, "cannot look up %s: %s", b->host, uv_strerror(status));
    else if (current)
        connect_to(b, ip);
}

static void start_attempt(bus_redis_t *b)
{
    b->state = BR_CONNECTING;
    b->gen++;
    b->cmd_ready = b->sub_ready = false;
    uv_timer_start(&b->deadline, on_deadline, b->o.connect_timeout_ms, 0);
    if (b->numeric) {
        connect_to(b, b->host);
        return;
    }
    lookup_t *l = xcalloc(1, sizeof(*l));
    l->b = b;
    l->gen = b->gen;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int rc = uv_getaddrinfo(b->loop, &l->req, on_lookup, b->host, NULL, &hints);
    if (rc < 0) {
        free(l);
        br_fail(b, "cannot look up %s: %s", b->host, uv_strerror(rc));
        return;
    }
    b->lookups++;
    b->lookup = &l->req;
}

static void on_retry(uv_timer_t *t)
{
    start_attempt(t->data);
}

/* ---- open, stats, close ---- */

bool br_fits(const bus_redis_t *b, size_t cost)
{
    return b->pub_pending + b->cmd_pending < b->o.max_pending &&
           b->pub_bytes + b->cmd_bytes + cost <= b->o.max_pending_bytes;
}

static void br_stats(bus_t *bus, bus_stats_t *out)
{
    bus_redis_t *b = (bus_redis_t *)bus;
    *out = b->st;
    out->pending = b->pub_pending;
    out->topics = b->topics.count;
    out->up = b->state == BR_UP;
}

static void maybe_free(bus_redis_t *b)
{
    if (b->handles || b->lookups)
        return;
    bus_topics_deinit(&b->topics);
    free(b->host);
    free(b);
}

static void on_timer_closed(uv_handle_t *h)
{
    bus_redis_t *b = h->data;
    b->handles--;
    maybe_free(b);
}

static void br_close(bus_t *bus)
{
    bus_redis_t *b = (bus_redis_t *)bus;
    if (b->ns.closing)
        return;
    b->ns.closing = true;
    give_up_conn(&b->cmd);
    give_up_conn(&b->sub);
    if (b->lookup) /* not started yet: its callback comes at once (one running finishes) */
        uv_cancel((uv_req_t *)b->lookup);
    br_drop_pending(b);
    br_scans_end(b, BUS_ECLOSED);
    uv_close((uv_handle_t *)&b->retry, on_timer_closed);
    uv_close((uv_handle_t *)&b->tick, on_timer_closed);
    uv_close((uv_handle_t *)&b->deadline, on_timer_closed);
}

static const bus_backend_t redis_backend = {
    .publish = br_publish,
    .subscribe = br_subscribe,
    .unsubscribe = br_unsubscribe,
    .setex = br_setex,
    .del = br_del,
    .scan = br_scan,
    .stats = br_stats,
    .close = br_close,
};

int bus_redis_open(uv_loop_t *loop, const char *url, const bus_opts_t *opts,
                   const bus_callbacks_t *cbs, void *ctx, bus_t **out)
{
    bus_opts_t o = bus_opts_resolve(opts);
    if (!bus_opts_valid(&o)) {
        log_error("bus: invalid options (prefix over %d bytes, or backoff min above max)",
                  BUS_PREFIX_MAX);
        return BUS_EINVAL;
    }
    bus_redis_t *b = xcalloc(1, sizeof(*b));
    if (parse_url(b, url) < 0) {
        log_error("bus: '%s' is not a Redis URL (redis://HOST[:PORT][/DB])", url);
        free(b->host);
        free(b);
        return BUS_EINVAL;
    }
    b->base.be = &redis_backend;
    b->loop = loop;
    if (cbs)
        b->cbs = *cbs;
    b->ctx = ctx;
    b->o = o;
    bus_ns_init(&b->ns, o.prefix);
    b->o.prefix = b->ns.prefix;
    b->cmd = (br_conn_t){b, NULL, "command"};
    b->sub = (br_conn_t){b, NULL, "subscribe"};
    b->qtail = &b->qhead;
    bus_topics_init(&b->topics);
    b->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)b;
    if (!b->rng)
        b->rng = 1;
    /* A channel only this bus listens to: the process, the time and a random part. */
    b->hb_len = (size_t)snprintf(b->hb_chan, sizeof(b->hb_chan), "%s%shb:%d:%016llx", b->ns.prefix,
                                 BUS_RESERVED, (int)getpid(), (unsigned long long)rnd(b));
    uv_timer_t *timers[] = {&b->retry, &b->tick, &b->deadline};
    for (size_t i = 0; i < 3; i++) {
        uv_timer_init(loop, timers[i]);
        timers[i]->data = b;
        b->handles++;
    }
    /* Connecting from now on (publishes queue), the attempt itself from the loop. */
    b->state = BR_CONNECTING;
    uv_timer_start(&b->retry, on_retry, 0, 0);
    *out = &b->base;
    return 0;
}
