/* bus_mem - the in-process bus: a net (the "server") with a FIFO of events, and buses on it.
 *
 * An event is a request from a bus (EV_CONNECT ... EV_SCAN) or a delivery to one
 * (EV_MESSAGE, EV_SUBSCRIBED, EV_DOWN). Each carries the generation of its bus's connection
 * when it was queued: bus_mem_set_up(b, false) moves the generation, so what was in flight
 * for b is stale and vanishes when its turn comes (a stale scan is answered BUS_EDOWN, as a
 * Redis bus answers a scan cut by a lost connection). EV_DOWN is not tied to a generation.
 *
 * A bus keeps its topics as the Redis bus does (bus_topics_t: references, wired, inflight,
 * live) and the net keeps, per bus, the channels the "server" has it subscribed to (`srv`,
 * another bus_topics_t whose entries only mean "present"). Keys are the net's: a list, fine
 * for tests.
 *
 * Callbacks fire only from step(); step unlinks its event first and touches neither the
 * event's bus nor the net's lists after a callback, so a callback may close any bus. */
#include "bus/bus_mem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "bus/bus_topics.h"

typedef struct bus_mem bus_mem_t;

typedef enum {
    EV_CONNECT, /* requests, applied by the net */
    EV_PUBLISH,
    EV_SUB,
    EV_UNSUB,
    EV_SETEX,
    EV_DEL,
    EV_SCAN,
    EV_MESSAGE, /* deliveries, handed to the bus */
    EV_SUBSCRIBED,
    EV_DOWN,
} ev_kind_t;

typedef struct ev {
    struct ev *next;
    ev_kind_t kind;
    bus_mem_t *b;
    uint64_t gen;
    uint64_t ttl;     /* EV_SETEX */
    size_t cost;      /* EV_PUBLISH: against the bound */
    bus_scan_cb cb;   /* EV_SCAN */
    void *ctx;        /* EV_SCAN */
    size_t nlen, len; /* the name (NUL-terminated), then the data */
    char bytes[];
} ev_t;

typedef struct key {
    struct key *next;
    uint64_t expires; /* net clock, ms */
    size_t nlen, len;
    char *name, *value;
} mem_key_t;

typedef enum { MEM_DOWN, MEM_CONNECTING, MEM_UP } mem_state_t;

struct bus_mem {
    bus_t base;
    bus_mem_t *next; /* on the net */
    bus_mem_net_t *net;
    bus_callbacks_t cbs;
    void *ctx;
    bus_opts_t o;
    bus_ns_t ns; /* the prefix (o.prefix points here), closing */
    mem_state_t state;
    bool ever_up;
    uint64_t gen;
    bus_topics_t topics; /* the bus's side */
    bus_topics_t srv;    /* the server's side: channels this connection is subscribed to */
    size_t pending, pending_bytes;
    bus_stats_t st;
};

struct bus_mem_net {
    uv_loop_t *loop;
    uv_async_t async;
    ev_t *head, **tail;
    size_t nev;
    bus_mem_t *buses;
    mem_key_t *keys;
    uint64_t skew;
};

/* ---- the event queue ---- */

static ev_t *ev_new(bus_mem_t *b, ev_kind_t kind, const char *name, size_t nlen, const void *data,
                    size_t len)
{
    ev_t *e = xcalloc(1, sizeof(*e) + nlen + 1 + len);
    e->kind = kind;
    e->b = b;
    e->gen = b->gen;
    e->nlen = nlen;
    e->len = len;
    if (nlen)
        memcpy(e->bytes, name, nlen);
    if (data && len) /* (callers refuse NULL with a length) */
        memcpy(e->bytes + nlen + 1, data, len);
    return e;
}

static void ev_push(bus_mem_net_t *net, ev_t *e)
{
    *net->tail = e;
    net->tail = &e->next;
    net->nev++;
    if (net->loop)
        uv_async_send(&net->async);
}

static ev_t *ev_put(bus_mem_t *b, ev_kind_t kind, const char *name, size_t nlen, const void *data,
                    size_t len)
{
    ev_t *e = ev_new(b, kind, name, nlen, data, len);
    ev_push(b->net, e);
    return e;
}

/* Unlinks *pp (an event of the queue). */
static ev_t *ev_take(bus_mem_net_t *net, ev_t **pp)
{
    ev_t *e = *pp;
    *pp = e->next;
    if (net->tail == &e->next)
        net->tail = pp;
    net->nev--;
    e->next = NULL;
    return e;
}

static uint64_t now_ms(const bus_mem_net_t *net)
{
    return (net->loop ? uv_now(net->loop) : 0) + net->skew;
}

/* ---- keys ---- */

static mem_key_t **key_find(bus_mem_net_t *net, const char *name, size_t nlen)
{
    mem_key_t **pp = &net->keys;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->nlen == nlen && memcmp((*pp)->name, name, nlen) == 0)
            break;
    return pp;
}

static void key_free(mem_key_t *k)
{
    free(k->name);
    free(k->value);
    free(k);
}

static void key_del(bus_mem_net_t *net, const char *name, size_t nlen)
{
    mem_key_t **pp = key_find(net, name, nlen);
    if (*pp) {
        mem_key_t *k = *pp;
        *pp = k->next;
        key_free(k);
    }
}

static void key_set(bus_mem_net_t *net, const ev_t *e)
{
    key_del(net, e->bytes, e->nlen);
    mem_key_t *k = xcalloc(1, sizeof(*k));
    k->name = xstrndup(e->bytes, e->nlen);
    k->nlen = e->nlen;
    k->value = xmalloc(e->len + 1);
    memcpy(k->value, e->bytes + e->nlen + 1, e->len);
    k->len = e->len;
    k->expires = now_ms(net) + e->ttl;
    k->next = net->keys;
    net->keys = k;
}

static void scan_answer(bus_mem_net_t *net, const ev_t *e, size_t plen)
{
    uint64_t now = now_ms(net);
    size_t n = 0, cap = 0;
    bus_kv_t *kvs = NULL;
    bool more = false;
    for (mem_key_t *k = net->keys; k; k = k->next) {
        if (k->expires <= now || k->nlen < e->nlen || memcmp(k->name, e->bytes, e->nlen) != 0)
            continue;
        if (n == BUS_SCAN_MAX) {
            more = true;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            kvs = xrealloc(kvs, cap * sizeof(*kvs));
        }
        kvs[n++] = (bus_kv_t){k->name + plen, k->nlen - plen, k->value, k->len};
    }
    e->cb(e->ctx, 0, kvs, n, more);
    free(kvs);
}

/* ---- steps ---- */

/* bus_topics_send_fn: the request goes on the net. */
static void send_topic(void *backend, bool sub, bus_topic_t *tp, const char *name, size_t len)
{
    bus_mem_t *b = backend;
    ev_put(b, sub ? EV_SUB : EV_UNSUB, name, len, NULL, 0);
    if (tp) {
        tp->wired = true;
        tp->inflight++;
    }
}

static void apply_connect(bus_mem_t *b)
{
    b->state = MEM_UP;
    if (b->ever_up)
        b->st.reconnects++;
    b->ever_up = true;
    bus_topics_iter_t it = {0};
    for (bus_topic_t *tp; (tp = bus_topics_iter(&b->topics, &it));) {
        if (!tp->refs || tp->wired)
            continue;
        send_topic(b, true, tp, tp->name, tp->len);
    }
    if (b->cbs.on_state)
        b->cbs.on_state(b->ctx, true);
}

static void apply_publish(bus_mem_t *b, const ev_t *e)
{
    b->pending--;
    b->pending_bytes -= e->cost;
    b->st.published++;
    for (bus_mem_t *to = b->net->buses; to; to = to->next)
        if (to->state == MEM_UP && bus_topics_find(&to->srv, e->bytes, e->nlen))
            ev_put(to, EV_MESSAGE, e->bytes, e->nlen, e->bytes + e->nlen + 1, e->len);
}

/* A delivery to b: the only place callbacks of bus_callbacks_t fire. */
static void deliver(bus_mem_t *b, const ev_t *e)
{
    bus_topic_t *tp = bus_topics_find(&b->topics, e->bytes, e->nlen);
    if (e->kind == EV_MESSAGE && tp && tp->refs) {
        b->st.received++;
        if (b->cbs.on_message)
            b->cbs.on_message(b->ctx, tp->name + b->ns.plen, e->bytes + e->nlen + 1, e->len);
    } else if (e->kind == EV_SUBSCRIBED && tp && bus_topics_confirm(&b->topics, tp)) {
        if (b->cbs.on_subscribed)
            b->cbs.on_subscribed(b->ctx, tp->name + b->ns.plen);
    }
}

static void apply(bus_mem_t *b, const ev_t *e)
{
    bus_mem_net_t *net = b->net;
    if (e->kind == EV_DOWN) {
        if (b->cbs.on_state)
            b->cbs.on_state(b->ctx, false);
        return;
    }
    if (e->gen != b->gen) { /* lost with the connection it was sent on */
        if (e->kind == EV_SCAN)
            e->cb(e->ctx, BUS_EDOWN, NULL, 0, false);
        return;
    }
    switch (e->kind) {
    case EV_CONNECT:
        apply_connect(b);
        break;
    case EV_PUBLISH:
        apply_publish(b, e);
        break;
    case EV_SUB:
        if (!bus_topics_find(&b->srv, e->bytes, e->nlen))
            bus_topics_add(&b->srv, e->bytes, e->nlen);
        ev_put(b, EV_SUBSCRIBED, e->bytes, e->nlen, NULL, 0);
        break;
    case EV_UNSUB: {
        bus_topic_t *tp = bus_topics_find(&b->srv, e->bytes, e->nlen);
        if (tp)
            bus_topics_remove(&b->srv, tp);
        break;
    }
    case EV_SETEX:
        key_set(net, e);
        break;
    case EV_DEL:
        key_del(net, e->bytes, e->nlen);
        break;
    case EV_SCAN:
        scan_answer(net, e, b->ns.plen);
        break;
    default:
        deliver(b, e);
    }
}

bool bus_mem_step(bus_mem_net_t *net)
{
    if (!net->head)
        return false;
    ev_t *e = ev_take(net, &net->head);
    apply(e->b, e);
    free(e);
    return true;
}

size_t bus_mem_run(bus_mem_net_t *net)
{
    size_t n = 0;
    while (bus_mem_step(net))
        n++;
    return n;
}

size_t bus_mem_pending(const bus_mem_net_t *net)
{
    return net->nev;
}

bool bus_mem_lose(bus_mem_net_t *net)
{
    for (ev_t **pp = &net->head; *pp; pp = &(*pp)->next)
        if ((*pp)->kind == EV_MESSAGE) {
            free(ev_take(net, pp));
            return true;
        }
    return false;
}

void bus_mem_advance(bus_mem_net_t *net, uint64_t ms)
{
    net->skew += ms;
}

static void on_async(uv_async_t *a)
{
    bus_mem_net_t *net = a->data;
    /* The steps queued now; those they add wait for the next turn, so that a publisher and
     * its subscriber cannot starve the loop. */
    for (size_t n = net->nev; n && bus_mem_step(net); n--)
        ;
    if (net->nev)
        uv_async_send(&net->async);
}

/* ---- failures ---- */

static void srv_clear(bus_mem_t *b)
{
    bus_topics_deinit(&b->srv);
    bus_topics_init(&b->srv);
}

void bus_mem_set_up(bus_t *bus, bool up)
{
    bus_mem_t *b = (bus_mem_t *)bus;
    if (up && b->state == MEM_DOWN) {
        b->state = MEM_CONNECTING;
        ev_put(b, EV_CONNECT, NULL, 0, NULL, 0);
    } else if (!up && b->state != MEM_DOWN) {
        bool was_up = b->state == MEM_UP;
        b->state = MEM_DOWN;
        b->gen++;
        b->st.dropped += b->pending;
        b->pending = b->pending_bytes = 0;
        bus_topics_unwire(&b->topics);
        srv_clear(b);
        if (was_up)
            ev_put(b, EV_DOWN, NULL, 0, NULL, 0);
    }
}

/* ---- the bus.h interface ---- */

static bus_mem_t *of(bus_t *bus)
{
    return (bus_mem_t *)bus;
}

static int mem_publish(bus_t *bus, const char *topic, const void *data, size_t len)
{
    bus_mem_t *b = of(bus);
    char chan[BUS_NAME_MAX];
    size_t clen;
    int rc = bus_ns_name(&b->ns, BUS_NAME_TOPIC, topic, !data && len, chan, &clen);
    if (rc)
        return rc;
    size_t cost = clen + len + 32;
    if (b->state == MEM_DOWN || b->pending >= b->o.max_pending ||
        b->pending_bytes + cost > b->o.max_pending_bytes) {
        b->st.dropped++;
        return BUS_EDROPPED;
    }
    b->pending++;
    b->pending_bytes += cost;
    ev_put(b, EV_PUBLISH, chan, clen, data, len)->cost = cost;
    return 0;
}

static int mem_subscribe(bus_t *bus, const char *topic)
{
    bus_mem_t *b = of(bus);
    return bus_topics_call(&b->topics, &b->ns, topic, true, b->state == MEM_UP, send_topic, b);
}

static int mem_unsubscribe(bus_t *bus, const char *topic)
{
    bus_mem_t *b = of(bus);
    return bus_topics_call(&b->topics, &b->ns, topic, false, b->state == MEM_UP, send_topic, b);
}

/* setex, del, scan: the name, and the connection; the request queued, or an error. */
static ev_t *key_request(bus_mem_t *b, ev_kind_t kind, bus_name_kind_t nk, const char *key,
                         const void *value, size_t len, bool bad, int *rc)
{
    char name[BUS_NAME_MAX];
    size_t nlen;
    *rc = bus_ns_name(&b->ns, nk, key, bad, name, &nlen);
    if (!*rc && b->state != MEM_UP)
        *rc = BUS_EDOWN;
    return *rc ? NULL : ev_put(b, kind, name, nlen, value, len);
}

static int mem_setex(bus_t *bus, const char *key, const void *value, size_t len, uint64_t ttl_ms)
{
    int rc;
    ev_t *e = key_request(of(bus), EV_SETEX, BUS_NAME_KEY, key, value, len,
                          (!value && len) || !ttl_ms || ttl_ms > INT64_MAX, &rc);
    if (e)
        e->ttl = ttl_ms;
    return rc;
}

static int mem_del(bus_t *bus, const char *key)
{
    int rc;
    key_request(of(bus), EV_DEL, BUS_NAME_KEY, key, NULL, 0, false, &rc);
    return rc;
}

static int mem_scan(bus_t *bus, const char *prefix, bus_scan_cb cb, void *ctx)
{
    int rc;
    ev_t *e = key_request(of(bus), EV_SCAN, BUS_NAME_PREFIX, prefix, NULL, 0, !cb, &rc);
    if (e) {
        e->cb = cb;
        e->ctx = ctx;
    }
    return rc;
}

static void mem_stats(bus_t *bus, bus_stats_t *out)
{
    bus_mem_t *b = of(bus);
    *out = b->st;
    out->pending = b->pending;
    out->topics = b->topics.count;
    out->up = b->state == MEM_UP;
}

static void mem_close(bus_t *bus)
{
    bus_mem_t *b = of(bus);
    bus_mem_net_t *net = b->net;
    b->ns.closing = true;
    bus_mem_t **pp = &net->buses;
    while (*pp != b)
        pp = &(*pp)->next;
    *pp = b->next;
    /* Take its events out first: the scans' callbacks may queue others. */
    ev_t *mine = NULL, **tail = &mine;
    for (ev_t **ep = &net->head; *ep;) {
        if ((*ep)->b != b) {
            ep = &(*ep)->next;
            continue;
        }
        *tail = ev_take(net, ep);
        tail = &(*tail)->next;
    }
    for (ev_t *e = mine, *next; e; e = next) {
        next = e->next;
        if (e->kind == EV_SCAN)
            e->cb(e->ctx, BUS_ECLOSED, NULL, 0, false);
        free(e);
    }
    bus_topics_deinit(&b->topics);
    bus_topics_deinit(&b->srv);
    free(b);
}

static const bus_backend_t mem_backend = {
    .publish = mem_publish,
    .subscribe = mem_subscribe,
    .unsubscribe = mem_unsubscribe,
    .setex = mem_setex,
    .del = mem_del,
    .scan = mem_scan,
    .stats = mem_stats,
    .close = mem_close,
};

int bus_mem_open(bus_mem_net_t *net, const bus_opts_t *opts, const bus_callbacks_t *cbs, void *ctx,
                 bus_t **out)
{
    bus_opts_t o = bus_opts_resolve(opts);
    if (!bus_opts_valid(&o))
        return BUS_EINVAL;
    bus_mem_t *b = xcalloc(1, sizeof(*b));
    b->base.be = &mem_backend;
    b->net = net;
    if (cbs)
        b->cbs = *cbs;
    b->ctx = ctx;
    bus_ns_init(&b->ns, o.prefix);
    o.prefix = b->ns.prefix;
    b->o = o;
    bus_topics_init(&b->topics);
    bus_topics_init(&b->srv);
    b->next = net->buses;
    net->buses = b;
    b->state = MEM_CONNECTING;
    ev_put(b, EV_CONNECT, NULL, 0, NULL, 0);
    *out = &b->base;
    return 0;
}

/* ---- the net ---- */

bus_mem_net_t *bus_mem_net_new(uv_loop_t *loop)
{
    bus_mem_net_t *net = xcalloc(1, sizeof(*net));
    net->tail = &net->head;
    net->loop = loop;
    if (loop) {
        uv_async_init(loop, &net->async, on_async);
        net->async.data = net;
    }
    return net;
}

static void on_net_closed(uv_handle_t *h)
{
    free(h->data);
}

void bus_mem_net_free(bus_mem_net_t *net)
{
    assert(!net->buses && !net->head); /* closing a bus takes its events */
    for (mem_key_t *k = net->keys, *next; k; k = next) {
        next = k->next;
        key_free(k);
    }
    if (net->loop)
        uv_close((uv_handle_t *)&net->async, on_net_closed);
    else
        free(net);
}
