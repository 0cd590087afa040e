/* bus_topics - a chained hash table (FNV-1a, power-of-two slots, doubled at a load of 1) of
 * the topics a bus references. Small on purpose: a process has one topic per channel it has
 * members in, and nothing here is on a per-message path but one lookup. */
#include "bus/bus_topics.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static uint64_t hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

void bus_topics_init(bus_topics_t *t)
{
    memset(t, 0, sizeof(*t));
}

void bus_topics_deinit(bus_topics_t *t)
{
    for (size_t i = 0; i < t->nslots; i++)
        for (bus_topic_t *tp = t->slots[i], *next; tp; tp = next) {
            next = tp->next;
            free(tp);
        }
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

bus_topic_t *bus_topics_find(const bus_topics_t *t, const char *name, size_t len)
{
    if (!t->nslots)
        return NULL;
    for (bus_topic_t *tp = t->slots[hash(name, len) & (t->nslots - 1)]; tp; tp = tp->next)
        if (tp->len == len && memcmp(tp->name, name, len) == 0)
            return tp;
    return NULL;
}

static void grow(bus_topics_t *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 16;
    bus_topic_t **slots = xcalloc(n, sizeof(bus_topic_t *));
    for (size_t i = 0; i < t->nslots; i++)
        for (bus_topic_t *tp = t->slots[i], *next; tp; tp = next) {
            next = tp->next;
            size_t s = hash(tp->name, tp->len) & (n - 1);
            tp->next = slots[s];
            slots[s] = tp;
        }
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
}

bus_topic_t *bus_topics_add(bus_topics_t *t, const char *name, size_t len)
{
    if (t->count >= t->nslots)
        grow(t);
    bus_topic_t *tp = xcalloc(1, sizeof(*tp) + len + 1);
    memcpy(tp->name, name, len);
    tp->len = len;
    size_t s = hash(name, len) & (t->nslots - 1);
    tp->next = t->slots[s];
    t->slots[s] = tp;
    t->count++;
    return tp;
}

void bus_topics_remove(bus_topics_t *t, bus_topic_t *topic)
{
    bus_topic_t **pp = &t->slots[hash(topic->name, topic->len) & (t->nslots - 1)];
    while (*pp != topic)
        pp = &(*pp)->next;
    *pp = topic->next;
    t->count--;
    free(topic);
}

/* The first topic at or after slot s. */
static bus_topic_t *from_slot(const bus_topics_t *t, size_t *s)
{
    for (; *s < t->nslots; (*s)++)
        if (t->slots[*s])
            return t->slots[*s];
    return NULL;
}

bus_topic_t *bus_topics_iter(const bus_topics_t *t, bus_topics_iter_t *it)
{
    if (!it->started) {
        it->started = true;
        it->slot = 0;
        it->next = from_slot(t, &it->slot);
    }
    bus_topic_t *cur = it->next;
    if (!cur)
        return NULL;
    /* Step past cur now, so that the caller may remove it. */
    if (cur->next) {
        it->next = cur->next;
    } else {
        it->slot++;
        it->next = from_slot(t, &it->slot);
    }
    return cur;
}

size_t bus_topics_unwire(bus_topics_t *t)
{
    bus_topics_iter_t it = {0};
    for (bus_topic_t *tp; (tp = bus_topics_iter(t, &it));) {
        tp->inflight = 0;
        tp->wired = tp->live = false;
        if (!tp->refs)
            bus_topics_remove(t, tp);
    }
    return t->count;
}

bus_topic_t *bus_topics_ref(bus_topics_t *t, const char *name, size_t len, bool up, int *ret)
{
    bus_topic_t *tp = bus_topics_find(t, name, len);
    if (!tp)
        tp = bus_topics_add(t, name, len);
    *ret = tp->refs && tp->live ? 1 : 0;
    return tp->refs++ == 0 && up && !tp->wired ? tp : NULL;
}

int bus_topics_unref(bus_topics_t *t, const char *name, size_t len)
{
    bus_topic_t *tp = bus_topics_find(t, name, len);
    if (!tp || !tp->refs)
        return BUS_EINVAL;
    if (--tp->refs)
        return 0;
    bool send = tp->wired;
    tp->live = tp->wired = false;
    if (!tp->inflight)
        bus_topics_remove(t, tp);
    return send ? 1 : 0;
}

bool bus_topics_confirm(bus_topics_t *t, bus_topic_t *tp)
{
    if (tp->inflight)
        tp->inflight--;
    if (tp->inflight)
        return false;
    if (!tp->refs) {
        bus_topics_remove(t, tp);
        return false;
    }
    if (!tp->wired || tp->live)
        return false;
    tp->live = true;
    return true;
}

int bus_topics_call(bus_topics_t *t, const bus_ns_t *ns, const char *topic, bool sub, bool up,
                    bus_topics_send_fn send, void *backend)
{
    char name[BUS_NAME_MAX];
    size_t len;
    int rc = bus_ns_name(ns, BUS_NAME_TOPIC, topic, false, name, &len);
    if (rc)
        return rc;
    if (sub) {
        bus_topic_t *tp = bus_topics_ref(t, name, len, up, &rc);
        if (tp)
            send(backend, true, tp, tp->name, tp->len);
        return rc;
    }
    rc = bus_topics_unref(t, name, len);
    if (rc == 1)
        send(backend, false, NULL, name, len);
    return rc < 0 ? rc : 0;
}

void bus_ns_init(bus_ns_t *ns, const char *prefix)
{
    ns->plen = strlen(prefix);
    memcpy(ns->prefix, prefix, ns->plen + 1);
    ns->closing = false;
}

int bus_ns_name(const bus_ns_t *ns, bus_name_kind_t kind, const char *name, bool bad, char *out,
                size_t *len)
{
    if (ns->closing)
        return BUS_ECLOSED;
    bool ok = kind == BUS_NAME_TOPIC ? bus_topic_valid(name)
              : kind == BUS_NAME_KEY ? bus_key_valid(name)
                                     : name && strnlen(name, BUS_KEY_MAX + 1) <= BUS_KEY_MAX;
    if (!ok || bad)
        return BUS_EINVAL;
    size_t n = strlen(name);
    memcpy(out, ns->prefix, ns->plen);
    memcpy(out + ns->plen, name, n + 1);
    *len = ns->plen + n;
    return 0;
}
