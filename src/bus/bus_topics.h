/* bus_topics - what every bus backend shares below bus.h: names (a bus's prefix, the checks
 * every call starts with), and the topics one bus holds references to, a hash table from a
 * topic's full name (prefix included, as Redis sees it) to its reference count and its
 * subscription state. Both backends keep their topics here and count references through
 * bus_topics_call, so that subscribing means the same in each; the requests themselves are
 * theirs to send. */
#ifndef PARLEY_BUS_TOPICS_H
#define PARLEY_BUS_TOPICS_H

#include <stdbool.h>
#include <stddef.h>

#include "bus/bus.h"

/* Room for a full name: prefix + topic or key, and the NUL. */
#define BUS_NAME_MAX (BUS_PREFIX_MAX + BUS_KEY_MAX + 1)

/* What naming needs of a bus, the same in every backend: its prefix, and whether it is
 * closing (every call then answers BUS_ECLOSED). */
typedef struct {
    char prefix[BUS_PREFIX_MAX + 1];
    size_t plen;
    bool closing;
} bus_ns_t;

typedef enum {
    BUS_NAME_TOPIC,  /* bus_topic_valid */
    BUS_NAME_KEY,    /* bus_key_valid */
    BUS_NAME_PREFIX, /* a scan's: "" to BUS_KEY_MAX bytes */
} bus_name_kind_t;

/* prefix: valid (bus_opts_valid). */
void bus_ns_init(bus_ns_t *ns, const char *prefix);
/* The start of every call that names something: BUS_ECLOSED when closing, BUS_EINVAL when
 * name is not a valid one of its kind or `bad` (another argument is malformed), else 0 with
 * the full name (prefix + name, NUL-terminated) in out (BUS_NAME_MAX bytes), its length in
 * *len. */
int bus_ns_name(const bus_ns_t *ns, bus_name_kind_t kind, const char *name, bool bad, char *out,
                size_t *len);

typedef struct bus_topic {
    struct bus_topic *next; /* hash chain */
    unsigned refs;          /* bus_subscribe calls minus bus_unsubscribe calls */
    unsigned inflight;      /* subscribe requests sent on this connection, not confirmed yet */
    bool wired;             /* the last request sent for it on this connection subscribed it */
    bool live;              /* confirmed since it was last wired: on_subscribed fired */
    size_t len;             /* of name */
    char name[];            /* the full name, NUL-terminated */
} bus_topic_t;

typedef struct {
    bus_topic_t **slots;
    size_t nslots; /* a power of two, or 0 while empty */
    size_t count;
} bus_topics_t;

/* Walks the table; the topic just returned may be removed before the next call (no other). */
typedef struct {
    size_t slot;
    bus_topic_t *next;
    bool started;
} bus_topics_iter_t;

void bus_topics_init(bus_topics_t *t);
void bus_topics_deinit(bus_topics_t *t); /* frees every topic */
bus_topic_t *bus_topics_find(const bus_topics_t *t, const char *name, size_t len);
/* A new topic (refs 0, not wired); the caller checked it is not there. */
bus_topic_t *bus_topics_add(bus_topics_t *t, const char *name, size_t len);
void bus_topics_remove(bus_topics_t *t, bus_topic_t *topic); /* frees it */
/* The next topic, NULL at the end; start with an iterator of zeros. */
bus_topic_t *bus_topics_iter(const bus_topics_t *t, bus_topics_iter_t *it);
/* The connection is gone: nothing is wired or in flight any more, and topics without a
 * reference go. Returns how many topics still have references. */
size_t bus_topics_unwire(bus_topics_t *t);

/* bus_subscribe's bookkeeping, the same in every backend: adds a reference to name. *ret is
 * bus_subscribe's answer (1: already live, 0: on_subscribed is due). Returns the topic when
 * the backend must send a subscribe request now (its first reference, the bus up, nothing
 * sent yet; the backend then sets wired and counts inflight), else NULL. */
bus_topic_t *bus_topics_ref(bus_topics_t *t, const char *name, size_t len, bool up, int *ret);
/* bus_unsubscribe's: drops a reference. Returns BUS_EINVAL when name has none, 1 when the
 * backend must send an unsubscribe request for name now (the last reference of a wired
 * topic), else 0. The topic may be gone afterwards. */
int bus_topics_unref(bus_topics_t *t, const char *name, size_t len);
/* A subscribe confirmation for tp: returns true when on_subscribed must fire now (the last
 * request in flight, still referenced and wired); a topic nobody references any more and
 * with nothing in flight is removed. */
bool bus_topics_confirm(bus_topics_t *t, bus_topic_t *tp);

/* How a backend sends a request when one must go now: a subscribe for tp (then it marks tp
 * wired and counts it in flight, once sent), or an unsubscribe of name (tp is NULL). */
typedef void (*bus_topics_send_fn)(void *backend, bool sub, bus_topic_t *tp, const char *name,
                                   size_t len);

/* bus_subscribe (sub) and bus_unsubscribe for every backend: names topic (bus_ns_name),
 * counts the reference (bus_topics_ref, bus_topics_unref) and calls send when a request
 * must go now (up: the backend's connection is up). Returns bus_subscribe's or
 * bus_unsubscribe's answer. */
int bus_topics_call(bus_topics_t *t, const bus_ns_t *ns, const char *topic, bool sub, bool up,
                    bus_topics_send_fn send, void *backend);

#endif
