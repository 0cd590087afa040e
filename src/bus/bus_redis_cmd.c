/* bus_redis_cmd - what travels over the Redis bus's connections (bus_redis.c owns them):
 * publishes, subscriptions, keys and scans.
 *
 * Publishes: while up, straight to the command connection (hiredis's output buffer), their
 * cost counted until Redis answers; while connecting, into our own FIFO (br_msg_t), sent in
 * order when the bus comes up. The bound (bus_opts_t.max_pending*) covers both, so a stopped
 * Redis grows no memory while the heartbeat deadline runs. When the connections go, what was
 * queued or unanswered counts as dropped.
 *
 * Subscriptions: each topic (bus_topics_t, keyed by its Redis channel name) has a reference
 * count and its state on the current subscribe connection: `wired` (the last request sent
 * for it was SUBSCRIBE), `inflight` (SUBSCRIBEs not confirmed yet) and `live` (confirmed,
 * on_subscribed fired). Redis answers SUBSCRIBE and UNSUBSCRIBE in order, so a topic
 * subscribed, unsubscribed and subscribed again is live only at its last confirmation. A
 * topic without references and without requests in flight leaves the table at once;
 * messages for a topic not in it, or without references, are dropped.
 *
 * Scans: SCAN MATCH with our prefix (glob characters escaped), then MGET of each batch of
 * keys, collected in one scan_t until the cursor comes back 0 or BUS_SCAN_MAX keys; the
 * answer is one callback. The scans in flight are listed, so that a lost connection or
 * bus_close answers each one. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "bus/bus_redis_int.h"

#define MSG_OVERHEAD 32   /* bytes a publish costs beyond its channel and payload */
#define SUB_BATCH 256     /* channels per SUBSCRIBE when resubscribing */
#define SCAN_COUNT "1000" /* SCAN's COUNT hint */

static bus_redis_t *of(bus_t *bus)
{
    return (bus_redis_t *)bus;
}

/* Logs a command's error once per up period: a Redis refusing everything writes one line. */
static void warn_reply(bus_redis_t *b, const char *what, const redisReply *r)
{
    if (b->warned)
        return;
    b->warned = true;
    log_warn("bus: redis answered %s with an error: %s (further errors not logged)", what, r->str);
}

/* ---- publish ---- */

static void on_published(redisAsyncContext *ac, void *reply, void *priv)
{
    bus_redis_t *b = br_answer(ac, reply);
    const redisReply *r = reply;
    if (!b) /* a lost connection counts what was in flight (br_drop_pending) */
        return;
    b->pub_pending--;
    b->pub_bytes -= (size_t)(uintptr_t)priv;
    if (r->type == REDIS_REPLY_ERROR) {
        b->st.dropped++;
        warn_reply(b, "PUBLISH", r);
    } else {
        b->st.published++;
    }
}

/* Hands a publish to the command connection; its cost is already counted as pending. */
static void send_publish(bus_redis_t *b, const char *chan, size_t clen, const void *data,
                         size_t len, size_t cost)
{
    const char *argv[] = {"PUBLISH", chan, len ? data : ""};
    size_t lens[] = {7, clen, len};
    if (redisAsyncCommandArgv(b->cmd.ac, on_published, (void *)(uintptr_t)cost, 3, argv, lens) !=
        REDIS_OK) {
        b->pub_pending--;
        b->pub_bytes -= cost;
        b->st.dropped++;
    }
}

int br_publish(bus_t *bus, const char *topic, const void *data, size_t len)
{
    bus_redis_t *b = of(bus);
    char chan[BUS_NAME_MAX];
    size_t clen;
    int rc = bus_ns_name(&b->ns, BUS_NAME_TOPIC, topic, !data && len, chan, &clen);
    if (rc)
        return rc;
    size_t cost = clen + len + MSG_OVERHEAD;
    if (b->state == BR_DOWN || !br_fits(b, cost)) {
        b->st.dropped++;
        return BUS_EDROPPED;
    }
    b->pub_pending++;
    b->pub_bytes += cost;
    if (b->state == BR_UP) {
        send_publish(b, chan, clen, data, len, cost);
        return 0;
    }
    br_msg_t *m = xmalloc(sizeof(*m) + clen + len);
    m->next = NULL;
    m->cost = cost;
    m->clen = clen;
    m->len = len;
    memcpy(m->bytes, chan, clen);
    if (data && len) /* (NULL with a length was refused) */
        memcpy(m->bytes + clen, data, len);
    *b->qtail = m;
    b->qtail = &m->next;
    return 0;
}

void br_flush_queue(bus_redis_t *b)
{
    br_msg_t *m = b->qhead;
    b->qhead = NULL;
    b->qtail = &b->qhead;
    while (m) {
        br_msg_t *next = m->next;
        send_publish(b, m->bytes, m->clen, m->bytes + m->clen, m->len, m->cost);
        free(m);
        m = next;
    }
}

void br_drop_pending(bus_redis_t *b)
{
    for (br_msg_t *m = b->qhead, *next; m; m = next) {
        next = m->next;
        free(m);
    }
    b->qhead = NULL;
    b->qtail = &b->qhead;
    b->st.dropped += b->pub_pending;
    b->pub_pending = b->pub_bytes = 0;
}

/* ---- subscriptions ---- */

/* Sends one SUBSCRIBE for n topics. */
static void send_sub(bus_redis_t *b, bus_topic_t **tps, size_t n)
{
    const char *argv[SUB_BATCH + 1];
    size_t lens[SUB_BATCH + 1];
    argv[0] = "SUBSCRIBE";
    lens[0] = 9;
    for (size_t i = 0; i < n; i++) {
        argv[i + 1] = tps[i]->name;
        lens[i + 1] = tps[i]->len;
    }
    if (redisAsyncCommandArgv(b->sub.ac, br_on_sub_reply, NULL, (int)n + 1, argv, lens) != REDIS_OK)
        return; /* the context is going: its disconnect callback sets everything straight */
    for (size_t i = 0; i < n; i++) {
        tps[i]->wired = true;
        tps[i]->inflight++;
    }
}

void br_resubscribe(bus_redis_t *b)
{
    bus_topic_t *batch[SUB_BATCH];
    size_t n = 0;
    bus_topics_iter_t it = {0};
    for (bus_topic_t *tp; (tp = bus_topics_iter(&b->topics, &it));) {
        if (!tp->refs || tp->wired)
            continue;
        batch[n++] = tp;
        if (n == SUB_BATCH) {
            send_sub(b, batch, n);
            n = 0;
        }
    }
    if (n)
        send_sub(b, batch, n);
}

/* bus_topics_send_fn: SUBSCRIBE, or UNSUBSCRIBE without a callback: hiredis 0.14 keeps
 * none for it, its answer comes to the channel's subscription callback (br_on_sub_reply),
 * which ignores it. */
static void send_topic(void *backend, bool sub, bus_topic_t *tp, const char *name, size_t len)
{
    bus_redis_t *b = backend;
    if (sub) {
        send_sub(b, &tp, 1);
        return;
    }
    const char *argv[] = {"UNSUBSCRIBE", name};
    size_t lens[] = {11, len};
    redisAsyncCommandArgv(b->sub.ac, NULL, NULL, 2, argv, lens);
}

int br_subscribe(bus_t *bus, const char *topic)
{
    bus_redis_t *b = of(bus);
    return bus_topics_call(&b->topics, &b->ns, topic, true, b->state == BR_UP, send_topic, b);
}

int br_unsubscribe(bus_t *bus, const char *topic)
{
    bus_redis_t *b = of(bus);
    return bus_topics_call(&b->topics, &b->ns, topic, false, b->state == BR_UP, send_topic, b);
}

void br_on_sub_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    bus_redis_t *b = br_answer(ac, reply);
    const redisReply *r = reply;
    if (!b)
        return;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = r->element[0]->str;
    const redisReply *chan = r->element[1], *arg = r->element[2];
    bool message = strcmp(kind, "message") == 0;
    if (message && arg->type != REDIS_REPLY_STRING)
        return;
    if (chan->len == b->hb_len && memcmp(chan->str, b->hb_chan, b->hb_len) == 0) {
        br_hb_event(b, kind, message ? arg->str : NULL, message ? arg->len : 0);
        return;
    }
    bus_topic_t *tp = bus_topics_find(&b->topics, chan->str, chan->len);
    if (!tp)
        return;
    if (message && tp->refs) {
        b->st.received++;
        if (b->cbs.on_message)
            b->cbs.on_message(b->ctx, tp->name + b->ns.plen, arg->str, arg->len);
    } else if (strcmp(kind, "subscribe") == 0 && bus_topics_confirm(&b->topics, tp)) {
        if (b->cbs.on_subscribed)
            b->cbs.on_subscribed(b->ctx, tp->name + b->ns.plen);
    }
}

/* ---- keys ---- */

static void on_cmd_done(redisAsyncContext *ac, void *reply, void *priv)
{
    bus_redis_t *b = br_answer(ac, reply);
    const redisReply *r = reply;
    if (!b)
        return;
    b->cmd_pending--;
    b->cmd_bytes -= (size_t)(uintptr_t)priv;
    if (r->type == REDIS_REPLY_ERROR)
        warn_reply(b, "a key command", r);
}

/* Sends a command with its cost counted until its reply; cb NULL: on_cmd_done. */
static int send_cmd(bus_redis_t *b, int argc, const char **argv, const size_t *lens,
                    redisCallbackFn *cb, void *priv)
{
    size_t cost = MSG_OVERHEAD;
    for (int i = 0; i < argc; i++)
        cost += lens[i];
    if (b->state != BR_UP || !br_fits(b, cost))
        return BUS_EDOWN;
    if (!cb)
        priv = (void *)(uintptr_t)cost;
    if (redisAsyncCommandArgv(b->cmd.ac, cb ? cb : on_cmd_done, priv, argc, argv, lens) != REDIS_OK)
        return BUS_EDOWN;
    if (!cb) {
        b->cmd_pending++;
        b->cmd_bytes += cost;
    }
    return 0;
}

int br_setex(bus_t *bus, const char *key, const void *value, size_t len, uint64_t ttl_ms)
{
    bus_redis_t *b = of(bus);
    char name[BUS_NAME_MAX], ttl[24];
    size_t nlen;
    int rc = bus_ns_name(&b->ns, BUS_NAME_KEY, key,
                         (!value && len) || !ttl_ms || ttl_ms > INT64_MAX, name, &nlen);
    if (rc)
        return rc;
    int tlen = snprintf(ttl, sizeof(ttl), "%llu", (unsigned long long)ttl_ms);
    const char *argv[] = {"PSETEX", name, ttl, len ? value : ""};
    size_t lens[] = {6, nlen, (size_t)tlen, len};
    return send_cmd(b, 4, argv, lens, NULL, NULL);
}

int br_del(bus_t *bus, const char *key)
{
    bus_redis_t *b = of(bus);
    char name[BUS_NAME_MAX];
    size_t nlen;
    int rc = bus_ns_name(&b->ns, BUS_NAME_KEY, key, false, name, &nlen);
    if (rc)
        return rc;
    const char *argv[] = {"DEL", name};
    size_t lens[] = {3, nlen};
    return send_cmd(b, 2, argv, lens, NULL, NULL);
}

/* ---- scans ---- */

typedef struct {
    size_t koff, klen; /* in keys: the full name, NUL-terminated */
    size_t voff, vlen; /* in vals; vlen SIZE_MAX: gone before MGET read it */
} scan_ent_t;

struct br_scan {
    br_scan_t *next;
    bus_redis_t *b;
    bus_scan_cb cb;
    void *ctx;
    char cursor[32];
    buf_t match;
    buf_t keys, vals;
    scan_ent_t *ents;
    size_t n, cap;
    size_t batch; /* the first entry of the MGET in flight */
    bool more;    /* stopped at BUS_SCAN_MAX */
};

static void scan_free(br_scan_t *s)
{
    buf_deinit(&s->match);
    buf_deinit(&s->keys);
    buf_deinit(&s->vals);
    free(s->ents);
    free(s);
}

static void scan_unlink(br_scan_t *s)
{
    br_scan_t **pp = &s->b->scans;
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
}

static void scan_finish(br_scan_t *s, int status)
{
    scan_unlink(s);
    bus_kv_t *kvs = NULL;
    size_t n = status == 0 ? s->n : 0;
    if (n) {
        size_t plen = s->b->ns.plen;
        kvs = xcalloc(n, sizeof(*kvs));
        for (size_t i = 0; i < n; i++) {
            const scan_ent_t *e = &s->ents[i];
            kvs[i] = (bus_kv_t){s->keys.data + e->koff + plen, e->klen - plen,
                                s->vals.data ? s->vals.data + e->voff : "", e->vlen};
        }
    }
    s->cb(s->ctx, status, kvs, n, status == 0 && s->more);
    free(kvs);
    scan_free(s);
}

void br_scans_end(bus_redis_t *b, int status)
{
    br_scan_t *s = b->scans;
    b->scans = NULL;
    while (s) {
        br_scan_t *next = s->next;
        s->cb(s->ctx, status, NULL, 0, false);
        scan_free(s);
        s = next;
    }
}

static void on_scan(redisAsyncContext *ac, void *reply, void *priv);
static void on_mget(redisAsyncContext *ac, void *reply, void *priv);

/* The next step: SCAN from the cursor, or MGET of the batch just found. REDIS_OK or
 * REDIS_ERR (the connection is going). */
static int scan_send(br_scan_t *s, bool mget)
{
    bus_redis_t *b = s->b;
    int rc;
    if (mget) {
        size_t n = s->n - s->batch;
        const char **argv = xcalloc(n + 1, sizeof(*argv));
        size_t *lens = xcalloc(n + 1, sizeof(*lens));
        argv[0] = "MGET";
        lens[0] = 4;
        for (size_t i = 0; i < n; i++) {
            argv[i + 1] = s->keys.data + s->ents[s->batch + i].koff;
            lens[i + 1] = s->ents[s->batch + i].klen;
        }
        rc = redisAsyncCommandArgv(b->cmd.ac, on_mget, s, (int)n + 1, argv, lens);
        free(argv);
        free(lens);
    } else {
        const char *argv[] = {"SCAN", s->cursor, "MATCH", s->match.data, "COUNT", SCAN_COUNT};
        size_t lens[] = {4, strlen(s->cursor), 5, s->match.len, 5, strlen(SCAN_COUNT)};
        rc = redisAsyncCommandArgv(b->cmd.ac, on_scan, s, 6, argv, lens);
    }
    return rc;
}

static void scan_next(br_scan_t *s, bool mget)
{
    if (scan_send(s, mget) != REDIS_OK)
        scan_finish(s, BUS_EDOWN);
}

static void on_scan(redisAsyncContext *ac, void *reply, void *priv)
{
    const redisReply *r = reply;
    br_scan_t *s = priv;
    if (!br_answer(ac, r)) /* a lost connection answers the scan (br_scans_end) */
        return;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof(s->cursor) ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
        if (r->type == REDIS_REPLY_ERROR)
            warn_reply(s->b, "SCAN", r);
        scan_finish(s, BUS_EFAILED);
        return;
    }
    memcpy(s->cursor, r->element[0]->str, r->element[0]->len + 1);
    s->batch = s->n;
    const redisReply *keys = r->element[1];
    for (size_t i = 0; i < keys->elements; i++) {
        const redisReply *k = keys->element[i];
        if (k->type != REDIS_REPLY_STRING || k->len < s->b->ns.plen)
            continue;
        if (s->n == BUS_SCAN_MAX) {
            s->more = true;
            break;
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 64;
            s->ents = xrealloc(s->ents, s->cap * sizeof(*s->ents));
        }
        s->ents[s->n++] = (scan_ent_t){s->keys.len, k->len, 0, 0};
        buf_append(&s->keys, k->str, k->len);
        buf_append(&s->keys, "", 1);
    }
    if (s->n > s->batch)
        scan_next(s, true);
    else if (s->more || strcmp(s->cursor, "0") == 0)
        scan_finish(s, 0);
    else
        scan_next(s, false);
}

static void on_mget(redisAsyncContext *ac, void *reply, void *priv)
{
    const redisReply *r = reply;
    br_scan_t *s = priv;
    if (!br_answer(ac, r))
        return;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != s->n - s->batch) {
        if (r->type == REDIS_REPLY_ERROR)
            warn_reply(s->b, "MGET", r);
        scan_finish(s, BUS_EFAILED);
        return;
    }
    /* Keep the keys that still had a value, in place. */
    size_t kept = s->batch;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *v = r->element[i];
        if (v->type != REDIS_REPLY_STRING)
            continue; /* expired or deleted since SCAN saw it */
        scan_ent_t e = s->ents[s->batch + i];
        e.voff = s->vals.len;
        e.vlen = v->len;
        buf_append(&s->vals, v->str, v->len);
        s->ents[kept++] = e;
    }
    s->n = kept;
    if (s->more || strcmp(s->cursor, "0") == 0)
        scan_finish(s, 0);
    else
        scan_next(s, false);
}

int br_scan(bus_t *bus, const char *prefix, bus_scan_cb cb, void *ctx)
{
    bus_redis_t *b = of(bus);
    char full[BUS_NAME_MAX];
    size_t flen;
    int rc = bus_ns_name(&b->ns, BUS_NAME_PREFIX, prefix, !cb, full, &flen);
    if (rc)
        return rc;
    if (b->state != BR_UP || !br_fits(b, MSG_OVERHEAD))
        return BUS_EDOWN;
    br_scan_t *s = xcalloc(1, sizeof(*s));
    s->b = b;
    s->cb = cb;
    s->ctx = ctx;
    strcpy(s->cursor, "0");
    /* MATCH is a glob: our names are literal, the trailing * is the only wildcard. */
    for (const char *c = full; *c; c++) {
        if (strchr("*?[]\\", *c))
            buf_append(&s->match, "\\", 1);
        buf_append(&s->match, c, 1);
    }
    buf_append(&s->match, "*", 1);
    if (scan_send(s, false) != REDIS_OK) {
        scan_free(s);
        return BUS_EDOWN;
    }
    s->next = b->scans;
    b->scans = s;
    return 0;
}
