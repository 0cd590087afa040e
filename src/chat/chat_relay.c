/* chat_relay - the hub's side of the bus; see chat_relay.h. */
#include "chat/chat_relay.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "chat/chat_payload.h"
#include "files/files.h"
#include "chat/chat_remote.h"
#include "json/json_env.h"

#define TOPIC_PREFIX "ch:"
#define TOPIC_CHANGES "changes"    /* every change of channels, memberships and read markers */
#define TOPIC_PRESENCE "presence"  /* users coming online on a process, or leaving it */
#define KEY_ONLINE "online:"       /* + a process id: who is online there, with a TTL */
#define TYPING_HEAD "{\"typing\":" /* a typing on a channel's topic begins so */
#define TYPING_USER_MAX 1024       /* bytes of a name in a typing from elsewhere */

struct chat_relay {
    chat_hub_t *hub;
    bus_t *bus;
    bool *subscribed; /* by the hub's channel slot */
    size_t nsubscribed;
    buf_t out; /* the message being published: kept, so a publish allocates nothing */
    chat_relay_stats_t stats;
    uint64_t pid;      /* this process, drawn at random: its presence events and key */
    char pid_hex[17];  /* the same in hex, as the wire has it */
    uint64_t pseq;     /* presence changes here, numbered (chat_elsewhere.h) */
    uint64_t ttl_ms;   /* of this process's key */
    uint64_t sent_ms;  /* when the key was last set (clock_mono_ms) */
    uint64_t swept_ms; /* when a scan last answered: others are known as of then */
    bool scanning;     /* a scan is in flight */
    bool forgot;       /* down past the TTL: the others were forgotten */
    bool warned;       /* the key could not be set: said once */
    bool resync_due;   /* the changes' subscription is (again) in place: resync the store */
};

struct chat_relay_msg {
    json_t *root;
};

/* ---- the wire ---- */

static void put_str(buf_t *b, const char *key, const char *s)
{
    buf_appendf(b, ",\"%s\":", key);
    json_append_string(b, s, strlen(s));
}

void chat_relay_encode(const store_msg_t *m, buf_t *out)
{
    buf_append_str(out, "{\"c\":");
    json_append_string(out, m->channel, strlen(m->channel));
    buf_appendf(out, ",\"s\":%llu,\"i\":%llu,\"ts\":%lld,\"th\":%llu,\"tg\":%llu",
                (unsigned long long)m->seq, (unsigned long long)m->user_id, (long long)m->ts,
                (unsigned long long)m->thread, (unsigned long long)m->target);
    put_str(out, "u", m->user);
    put_str(out, "t", m->text);
    if (m->kind)
        put_str(out, "k", m->kind);
    if (m->cid && m->cid[0])
        put_str(out, "cid", m->cid);
    if (m->guest)
        buf_append_str(out, ",\"g\":true");
    if (m->files && m->files[0])
        put_str(out, "f", m->files);
    if (m->app && m->app[0])
        put_str(out, "a", m->app);
    buf_append_str(out, "}");
}

static const char *str_of(json_t *o, const char *key, bool need)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return need ? NULL : "";
    return json_string_value(v);
}

static bool uint_of(json_t *o, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

chat_relay_msg_t *chat_relay_decode(const void *data, size_t len, store_msg_t *m)
{
    json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    uint64_t ts = 0;
    *m = (store_msg_t){0};
    bool ok = json_is_object(o) && uint_of(o, "s", &m->seq) && m->seq > 0 &&
              uint_of(o, "i", &m->user_id) && uint_of(o, "ts", &ts) &&
              uint_of(o, "th", &m->thread) && uint_of(o, "tg", &m->target);
    if (ok) {
        m->channel = str_of(o, "c", true);
        m->user = str_of(o, "u", true);
        m->text = str_of(o, "t", true);
        m->kind = json_object_get(o, "k") ? str_of(o, "k", true) : NULL;
        m->cid = str_of(o, "cid", false);
        m->ts = (int64_t)ts;
        m->guest = json_is_true(json_object_get(o, "g"));
        m->files = str_of(o, "f", false);
        m->app = str_of(o, "a", false);
        ok = m->files && files_json_valid(m->files) && m->app && chat_app_json_valid(m->app) &&
             m->channel && m->user && m->text && m->cid && (m->kind || !json_object_get(o, "k")) &&
             store_cid_valid(m->cid);
    }
    if (!ok) {
        json_decref(o);
        *m = (store_msg_t){0};
        return NULL;
    }
    chat_relay_msg_t *r = xcalloc(1, sizeof(*r));
    r->root = o;
    return r;
}

void chat_relay_msg_free(chat_relay_msg_t *owned)
{
    if (!owned)
        return;
    json_decref(owned->root);
    free(owned);
}

/* The change kinds on the wire, by name: the numbers of store_change_kind_t are this
 * build's, the names are the protocol between versions. */
static const struct {
    store_change_kind_t kind;
    const char *name;
} change_names[] = {
    {STORE_CHANNEL_PUT, "put"},
    {STORE_CHANNEL_CREATE, "create"},
    {STORE_CHANNEL_DELETE, "delete"},
    {STORE_MEMBER_ADD, "member_add"},
    {STORE_MEMBER_REMOVE, "member_remove"},
    {STORE_READ, "read"},
    {STORE_NOTIFY_SET, "notify"},
};

void chat_relay_encode_change(const store_change_t *c, const char *from, buf_t *out)
{
    const char *name = NULL;
    for (size_t i = 0; i < sizeof(change_names) / sizeof(change_names[0]); i++)
        if (change_names[i].kind == c->kind)
            name = change_names[i].name;
    if (!name)
        return;
    buf_appendf(out, "{\"x\":\"%s\",\"i\":%llu,\"s\":%llu,\"ts\":%lld,\"bi\":%llu", name,
                (unsigned long long)c->user_id, (unsigned long long)c->seq, (long long)c->ts,
                (unsigned long long)c->ch.creator_id);
    put_str(out, "c", c->ch.name);
    if (c->ch.kind)
        put_str(out, "k", c->ch.kind);
    if (c->ch.topic)
        put_str(out, "tp", c->ch.topic);
    if (c->ch.created_by)
        put_str(out, "by", c->ch.created_by);
    if (c->notify)
        put_str(out, "lv", c->notify);
    if (from)
        put_str(out, "p", from);
    buf_appendf(out, ",\"cts\":%lld%s}", (long long)c->ch.ts, c->ch.archived ? ",\"a\":true" : "");
}

chat_relay_msg_t *chat_relay_decode_change(const void *data, size_t len, store_change_t *c)
{
    json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    uint64_t ts = 0, cts = 0;
    const char *x = json_string_value(json_object_get(o, "x"));
    *c = (store_change_t){0};
    bool ok = x && uint_of(o, "i", &c->user_id) && uint_of(o, "s", &c->seq) &&
              uint_of(o, "ts", &ts) && uint_of(o, "bi", &c->ch.creator_id) &&
              uint_of(o, "cts", &cts) && (c->ch.name = str_of(o, "c", true)) != NULL;
    bool known = false;
    for (size_t i = 0; ok && i < sizeof(change_names) / sizeof(change_names[0]); i++)
        if (strcmp(change_names[i].name, x) == 0) {
            c->kind = change_names[i].kind;
            known = true;
        }
    if (!ok || !known) {
        json_decref(o);
        *c = (store_change_t){0};
        return NULL;
    }
    c->ts = (int64_t)ts;
    c->ch.ts = (int64_t)cts;
    c->ch.kind = json_string_value(json_object_get(o, "k"));
    c->ch.topic = json_string_value(json_object_get(o, "tp"));
    c->ch.created_by = json_string_value(json_object_get(o, "by"));
    c->notify = json_string_value(json_object_get(o, "lv"));
    c->ch.archived = json_is_true(json_object_get(o, "a"));
    chat_relay_msg_t *r = xcalloc(1, sizeof(*r));
    r->root = o;
    return r;
}

/* ---- both ways ---- */

static void topic_of(const char *channel, char out[BUS_TOPIC_MAX + 1])
{
    snprintf(out, BUS_TOPIC_MAX + 1, TOPIC_PREFIX "%s", channel);
}

static void on_outbox(void *ctx, const store_msg_t *m)
{
    chat_relay_t *r = ctx;
    char topic[BUS_TOPIC_MAX + 1];
    topic_of(m->channel, topic);
    buf_reset(&r->out);
    chat_relay_encode(m, &r->out);
    if (bus_publish(r->bus, topic, r->out.data, r->out.len) == 0)
        r->stats.sent++;
}

static void topics_sync(chat_relay_t *r);

static void on_outbox_change(void *ctx, const store_change_t *c)
{
    chat_relay_t *r = ctx;
    buf_reset(&r->out);
    chat_relay_encode_change(c, r->pid_hex, &r->out);
    if (r->out.len && bus_publish(r->bus, TOPIC_CHANGES, r->out.data, r->out.len) == 0)
        r->stats.sent++;
    if (chat_hub_nchannels(r->hub) > r->nsubscribed)
        topics_sync(r); /* a channel made here: the others may write to it at once */
}

/* ---- presence and typing ---- */

static void on_outbox_presence(void *ctx, const char *name, bool on)
{
    chat_relay_t *r = ctx;
    buf_t b = BUF_INIT;
    /* Numbered even when the publish fails: the key's snapshot carries the number, so the
     * others know it is newer than whatever they heard. */
    buf_appendf(&b, "{\"p\":\"%s\",\"n\":%" PRIu64 ",\"on\":%s", r->pid_hex, ++r->pseq,
                on ? "true" : "false");
    put_str(&b, "u", name);
    buf_append_str(&b, "}");
    if (bus_publish(r->bus, TOPIC_PRESENCE, b.data, b.len) == 0)
        r->stats.sent++;
    buf_deinit(&b);
}

static void on_outbox_typing(void *ctx, const char *channel, const char *user)
{
    chat_relay_t *r = ctx;
    char topic[BUS_TOPIC_MAX + 1];
    topic_of(channel, topic);
    buf_t b = BUF_INIT;
    buf_append_str(&b, TYPING_HEAD);
    json_append_string(&b, user, strlen(user));
    buf_appendf(&b, ",\"p\":\"%s\"}", r->pid_hex);
    if (bus_publish(r->bus, topic, b.data, b.len) == 0)
        r->stats.sent++;
    buf_deinit(&b);
}

static void on_outbox_metrics(void *ctx, chat_metrics_t *out)
{
    chat_relay_t *r = ctx;
    bus_stats_t st;
    bus_stats(r->bus, &st);
    out->bus.on = true;
    out->bus.up = st.up;
    out->bus.published = st.published;
    out->bus.dropped = st.dropped;
    out->bus.received = st.received;
    out->bus.reconnects = st.reconnects;
    out->bus.pending = st.pending;
    out->bus.topics = st.topics;
    out->bus.bad = r->stats.bad;
}

static const chat_hub_outbox_t relay_outbox = {on_outbox, on_outbox_change, on_outbox_presence,
                                               on_outbox_typing, on_outbox_metrics};

/* A process id from the wire, or 0 (none: ids are never 0). */
static uint64_t pid_of(json_t *o)
{
    const char *s = json_string_value(json_object_get(o, "p"));
    char *end;
    if (!s || strlen(s) != 16)
        return 0;
    uint64_t v = strtoull(s, &end, 16);
    return *end ? 0 : v;
}

static void on_presence_message(chat_relay_t *r, const void *data, size_t len)
{
    json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    uint64_t pid = pid_of(o), seq;
    const char *name = json_string_value(json_object_get(o, "u"));
    json_t *on = json_object_get(o, "on");
    if (!pid || !uint_of(o, "n", &seq) || !name || !*name || !json_is_boolean(on)) {
        r->stats.bad++;
    } else if (pid != r->pid) { /* its own come back */
        r->stats.received++;
        chat_elsewhere_event(chat_hub_elsewhere(r->hub), pid, seq, name, json_is_true(on));
    }
    json_decref(o);
}

static void on_typing_message(chat_relay_t *r, const char *channel, const void *data, size_t len)
{
    json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    uint64_t pid = pid_of(o);
    const char *user = json_string_value(json_object_get(o, "typing"));
    chat_channel_t *ch = chat_hub_channel(r->hub, channel);
    if (!pid || !user || !*user || strlen(user) > TYPING_USER_MAX) {
        r->stats.bad++;
    } else if (pid != r->pid && ch) {
        r->stats.received++;
        blob_t *f = chat_user_event_frame("typing", user, channel, -1, false);
        chat_hub_emit(r->hub, ch, &(chat_emit_t){.json = f});
        blob_unref(f);
    }
    json_decref(o);
}

/* This process's key: {"n": its last change number, "u": [every name online here]}. */
static void presence_send(chat_relay_t *r)
{
    char key[BUS_KEY_MAX + 1];
    snprintf(key, sizeof(key), KEY_ONLINE "%s", r->pid_hex);
    buf_t b = BUF_INIT;
    buf_appendf(&b, "{\"n\":%" PRIu64 ",\"u\":[", r->pseq);
    chat_presence_names_t it = chat_presence_names(chat_hub_presence(r->hub));
    size_t n = 0;
    for (const char *name; (name = chat_presence_names_next(&it)); n++) {
        if (n)
            buf_append_str(&b, ",");
        json_append_string(&b, name, strlen(name));
    }
    buf_append_str(&b, "]}");
    int rc = bus_setex(r->bus, key, b.data, b.len, r->ttl_ms);
    if (rc != 0 && !r->warned)
        log_warn("bus: the list of who is online here (%zu bytes) was not sent: %d", b.len, rc);
    r->warned = rc != 0;
    buf_deinit(&b);
    r->sent_ms = clock_mono_ms();
}

static void snapshot_of(chat_relay_t *r, const bus_kv_t *kv)
{
    char *end;
    uint64_t pid = strtoull(kv->key + strlen(KEY_ONLINE), &end, 16);
    json_t *o = json_loadb(kv->value, kv->len, JSON_REJECT_DUPLICATES, NULL);
    json_t *u = json_object_get(o, "u");
    uint64_t seq;
    if (*end || !pid || !uint_of(o, "n", &seq) || !json_is_array(u)) {
        r->stats.bad++;
    } else if (pid != r->pid) {
        size_t n = json_array_size(u), k = 0;
        const char **names = xmalloc((n ? n : 1) * sizeof(*names));
        for (size_t i = 0; i < n; i++) {
            const char *s = json_string_value(json_array_get(u, i));
            if (s && *s)
                names[k++] = s;
        }
        chat_elsewhere_snapshot(chat_hub_elsewhere(r->hub), pid, seq, names, k);
        free(names);
    }
    json_decref(o);
}

/* Every process's key: a process whose key is gone (killed: it expired) is gone. */
static void on_scan(void *ctx, int status, const bus_kv_t *kvs, size_t n, bool more)
{
    chat_relay_t *r = ctx;
    r->scanning = false;
    if (status != 0 || !r->bus)
        return;
    for (size_t i = 0; i < n; i++)
        snapshot_of(r, &kvs[i]);
    if (more)
        return; /* past BUS_SCAN_MAX keys: not all of them, so none is known gone */
    chat_elsewhere_sweep_end(chat_hub_elsewhere(r->hub));
    r->swept_ms = clock_mono_ms();
    r->forgot = false;
}

static void presence_refresh(chat_relay_t *r)
{
    presence_send(r);
    if (r->scanning || bus_scan_prefix(r->bus, KEY_ONLINE, on_scan, r) != 0)
        return;
    r->scanning = true;
    chat_elsewhere_sweep_begin(chat_hub_elsewhere(r->hub));
}

static void presence_tick(chat_relay_t *r)
{
    uint64_t now = clock_mono_ms();
    if (r->stats.up && now - r->sent_ms >= r->ttl_ms / 4) {
        presence_refresh(r);
    } else if (!r->stats.up && !r->forgot && now - r->swept_ms > r->ttl_ms) {
        /* Down longer than a key lives: whoever was online elsewhere may be gone, and we
         * cannot tell. Forget them all; the first scan once up tells again. */
        chat_elsewhere_sweep_begin(chat_hub_elsewhere(r->hub));
        chat_elsewhere_sweep_end(chat_hub_elsewhere(r->hub));
        r->forgot = true;
    }
}

static bool online_elsewhere(void *ctx, const char *name)
{
    chat_relay_t *r = ctx;
    return chat_elsewhere_has(chat_hub_elsewhere(r->hub), name);
}

static void on_change_message(chat_relay_t *r, const void *data, size_t len)
{
    store_change_t c;
    chat_relay_msg_t *owned = chat_relay_decode_change(data, len, &c);
    if (!owned) {
        r->stats.bad++;
        return;
    }
    r->stats.received++;
    /* Its own come back, after whatever this process did since: applied again, a join's
     * echo arriving after the leave made the user a member again until the leave's echo. */
    if (pid_of(owned->root) != r->pid)
        chat_remote_apply(r->hub, &c);
    chat_relay_msg_free(owned);
    /* A channel made elsewhere is written to at once: its topic now, not at the next tick,
     * or this process lags it by up to a second (the catch-up brings what came before). */
    if (chat_hub_nchannels(r->hub) > r->nsubscribed)
        topics_sync(r);
}

static void on_message(void *ctx, const char *topic, const void *data, size_t len)
{
    chat_relay_t *r = ctx;
    if (!r->bus)
        return;
    if (strcmp(topic, TOPIC_CHANGES) == 0) {
        on_change_message(r, data, len);
        return;
    }
    if (strcmp(topic, TOPIC_PRESENCE) == 0) {
        on_presence_message(r, data, len);
        return;
    }
    if (len > strlen(TYPING_HEAD) && memcmp(data, TYPING_HEAD, strlen(TYPING_HEAD)) == 0 &&
        strncmp(topic, TOPIC_PREFIX, strlen(TOPIC_PREFIX)) == 0) {
        on_typing_message(r, topic + strlen(TOPIC_PREFIX), data, len);
        return;
    }
    store_msg_t m;
    chat_relay_msg_t *owned = chat_relay_decode(data, len, &m);
    /* An event is only taken on its own channel's topic: a topic names what it carries. */
    if (!owned || strncmp(topic, TOPIC_PREFIX, strlen(TOPIC_PREFIX)) != 0 ||
        strcmp(topic + strlen(TOPIC_PREFIX), m.channel) != 0) {
        r->stats.bad++;
        chat_relay_msg_free(owned);
        return;
    }
    r->stats.received++;
    chat_hub_deliver(r->hub, &m);
    chat_relay_msg_free(owned);
}

/* Channels, members and markers as the store has them, once no change of ours is in flight
 * (else at a later tick); then the topics of the channels it brought. */
static void resync(chat_relay_t *r)
{
    if (!r->resync_due || chat_remote_resync(r->hub) < 0)
        return;
    r->resync_due = false;
    topics_sync(r);
}

/* Subscribed: whatever was published before is not coming; the store has it. Events are
 * caught up per channel; changes by a resync (also the first time: what changed between
 * the start-up load and now). */
static void on_subscribed(void *ctx, const char *topic)
{
    chat_relay_t *r = ctx;
    if (!r->bus)
        return;
    if (strncmp(topic, TOPIC_PREFIX, strlen(TOPIC_PREFIX)) == 0) {
        chat_hub_catch_up(r->hub, topic + strlen(TOPIC_PREFIX));
    } else if (strcmp(topic, TOPIC_CHANGES) == 0) {
        r->resync_due = true;
        resync(r);
    }
}

static void on_state(void *ctx, bool up)
{
    chat_relay_t *r = ctx;
    r->stats.up = up;
    if (up && r->bus)
        presence_refresh(r); /* the others may have let our key expire meanwhile */
    if (up)
        log_info("bus: up");
    else
        log_warn("bus: down; events from other processes come from the store until it is back");
}

const bus_callbacks_t chat_relay_callbacks = {on_state, on_subscribed, on_message};

chat_relay_t *chat_relay_new(chat_hub_t *hub)
{
    chat_relay_t *r = xcalloc(1, sizeof(*r));
    r->hub = hub;
    r->ttl_ms = CHAT_RELAY_PRESENCE_TTL_MS;
    while (!r->pid)
        if (uv_random(NULL, NULL, &r->pid, sizeof(r->pid), 0, NULL) != 0)
            r->pid = clock_mono_ms() ^ ((uint64_t)clock_wall_ms() << 20);
    snprintf(r->pid_hex, sizeof(r->pid_hex), "%016" PRIx64, r->pid);
    return r;
}

void chat_relay_start(chat_relay_t *r, bus_t *bus)
{
    r->bus = bus;
    chat_hub_set_outbox(r->hub, &relay_outbox, r);
    bus_subscribe(bus, TOPIC_CHANGES);
    bus_subscribe(bus, TOPIC_PRESENCE);
    auth_set_elsewhere_cb(chat_hub_auth(r->hub), online_elsewhere, r);
    chat_relay_tick(r);
}

void chat_relay_tick(chat_relay_t *r)
{
    if (!r->bus)
        return;
    presence_tick(r);
    resync(r);
    topics_sync(r);
}

/* Subscribes the channels the hub gained, drops those it deleted; a failed call is tried
 * again at the next tick. */
static void topics_sync(chat_relay_t *r)
{
    size_t n = chat_hub_nchannels(r->hub);
    if (n > r->nsubscribed) {
        r->subscribed = xrealloc(r->subscribed, n * sizeof(*r->subscribed));
        memset(r->subscribed + r->nsubscribed, 0, (n - r->nsubscribed) * sizeof(bool));
        r->nsubscribed = n;
    }
    for (size_t i = 0; i < n; i++) {
        chat_channel_t *ch = chat_hub_channel_at(r->hub, i);
        bool want = !chat_channel_deleted(ch);
        if (want == r->subscribed[i])
            continue;
        char topic[BUS_TOPIC_MAX + 1];
        topic_of(chat_channel_name(ch), topic);
        if ((want ? bus_subscribe(r->bus, topic) : bus_unsubscribe(r->bus, topic)) < 0)
            continue;
        r->subscribed[i] = want;
    }
}

void chat_relay_set_presence_ttl(chat_relay_t *r, uint64_t ttl_ms)
{
    r->ttl_ms = ttl_ms < 1000 ? 1000 : ttl_ms;
}

void chat_relay_stats(const chat_relay_t *r, chat_relay_stats_t *out)
{
    *out = r->stats;
}

void chat_relay_free(chat_relay_t *r)
{
    chat_hub_set_outbox(r->hub, NULL, NULL);
    auth_set_elsewhere_cb(chat_hub_auth(r->hub), NULL, NULL);
    free(r->subscribed);
    buf_deinit(&r->out);
    free(r);
}
