/* bus_rec - what the bus tests record of a bus: its callbacks (state changes, confirmed
 * subscriptions, messages) and a scan's answer, with a few actions a test may ask of a
 * callback (publish from on_state(false), close from on_message). Header-only: each test
 * is one executable. */
#ifndef PARLEY_BUS_REC_H
#define PARLEY_BUS_REC_H

#include <stdio.h>
#include <string.h>

#include "bus/bus.h"
#include "test.h"

#define BUS_REC_MAX 64

typedef struct {
    int ups, downs;
    int nsub;
    char subs[BUS_REC_MAX][64];
    int nmsg;
    struct {
        char topic[64];
        char data[128];
        size_t len;
    } msgs[BUS_REC_MAX];
    bus_t *self;
    bool publish_on_down; /* on_state(false) publishes to "room", keeping what it returned */
    int down_rc;
    bool close_on_message; /* on_message closes the bus, once; self is NULL afterwards */
} bus_rec_t;

static inline void bus_rec_state(void *ctx, bool up)
{
    bus_rec_t *r = ctx;
    if (up) {
        r->ups++;
        return;
    }
    r->downs++;
    if (r->publish_on_down)
        r->down_rc = bus_publish(r->self, "room", "lost", 4);
}

static inline void bus_rec_subscribed(void *ctx, const char *topic)
{
    bus_rec_t *r = ctx;
    if (r->nsub < BUS_REC_MAX)
        snprintf(r->subs[r->nsub++], 64, "%s", topic);
}

static inline void bus_rec_message(void *ctx, const char *topic, const void *data, size_t len)
{
    bus_rec_t *r = ctx;
    if (r->nmsg < BUS_REC_MAX && len <= sizeof(r->msgs[0].data)) {
        snprintf(r->msgs[r->nmsg].topic, 64, "%s", topic);
        memcpy(r->msgs[r->nmsg].data, data, len);
        r->msgs[r->nmsg++].len = len;
    }
    if (r->close_on_message) {
        r->close_on_message = false;
        bus_close(r->self);
        r->self = NULL;
    }
}

static const bus_callbacks_t bus_rec_cbs = {bus_rec_state, bus_rec_subscribed, bus_rec_message};

/* Whether r received a message of exactly data (a C string). */
static inline bool bus_rec_got(const bus_rec_t *r, const char *data)
{
    for (int i = 0; i < r->nmsg; i++)
        if (r->msgs[i].len == strlen(data) && memcmp(r->msgs[i].data, data, r->msgs[i].len) == 0)
            return true;
    return false;
}

static inline bus_stats_t bus_rec_stats(bus_t *b)
{
    bus_stats_t st;
    bus_stats(b, &st);
    return st;
}

/* A scan's answer: its first 8 keys and values as text. */
typedef struct {
    int calls, status;
    size_t n;
    bool more;
    char keys[8][32], vals[8][32];
} bus_scan_rec_t;

static inline void bus_rec_scan(void *ctx, int status, const bus_kv_t *kvs, size_t n, bool more)
{
    bus_scan_rec_t *s = ctx;
    s->calls++;
    s->status = status;
    s->n = n;
    s->more = more;
    for (size_t i = 0; i < n && i < 8; i++) {
        CHECK_EQ_INT(strlen(kvs[i].key), kvs[i].key_len);
        snprintf(s->keys[i], 32, "%s", kvs[i].key);
        snprintf(s->vals[i], 32, "%.*s", (int)kvs[i].len, (const char *)kvs[i].value);
    }
}

/* The value scanned for key, "" when the answer does not hold it. */
static inline const char *bus_rec_scanned(const bus_scan_rec_t *s, const char *key)
{
    for (size_t i = 0; i < s->n && i < 8; i++)
        if (strcmp(s->keys[i], key) == 0)
            return s->vals[i];
    return "";
}

#endif
