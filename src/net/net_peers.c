/* net_peers - connections per client address; see net_peers.h.
 *
 * An open-addressing table under one mutex: slots of (client, count), linear probing from
 * the slot of the client's SipHash (libsodium's crypto_shorthash, under a random key per
 * table), a power-of-two size. A client whose count falls to 0 leaves its slot at once, by
 * backward-shift deletion (no tombstones, so probes stay short however many clients came
 * and went). The table doubles past half full and halves under an eighth, never under
 * PEERS_MIN: it holds at most one slot per open connection's client, twice over.
 *
 * Invariant: a used slot's count is >= 1 and <= cap; every used slot is reachable from its
 * home slot without crossing an empty one. */
#include "net/net_peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/xmalloc.h"

#define PEERS_MIN 64

typedef struct {
    net_peer_t p;
    unsigned count; /* 0: the slot is empty */
} slot_t;

struct net_peers {
    uv_mutex_t lock;
    slot_t *slots;
    size_t size, used; /* slots, and those in use */
    unsigned cap;
    unsigned char key[crypto_shorthash_KEYBYTES];
};

int net_peer_of(const struct sockaddr *sa, net_peer_t *out)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        *out = (net_peer_t){ntohl(in->sin_addr.s_addr), false};
        return 0;
    }
    if (sa->sa_family != AF_INET6)
        return -1;
    const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    bool v4 = memcmp(a, mapped, sizeof(mapped)) == 0;
    uint64_t bits = 0;
    for (int i = v4 ? 12 : 0; i < (v4 ? 16 : 8); i++)
        bits = bits << 8 | a[i];
    *out = (net_peer_t){bits, !v4};
    return 0;
}

void net_peer_name(const net_peer_t *p, char *out, size_t cap)
{
    char text[INET6_ADDRSTRLEN] = "?";
    if (p->v6) {
        uint8_t a[16] = {0};
        for (int i = 0; i < 8; i++)
            a[i] = (uint8_t)(p->bits >> (56 - 8 * i));
        inet_ntop(AF_INET6, a, text, sizeof(text));
    } else {
        uint32_t be = htonl((uint32_t)p->bits);
        inet_ntop(AF_INET, &be, text, sizeof(text));
    }
    snprintf(out, cap, "%s%s", text, p->v6 ? "/64" : "");
}

static size_t home(const net_peers_t *t, const net_peer_t *p)
{
    uint8_t in[9];
    for (int i = 0; i < 8; i++)
        in[i] = (uint8_t)(p->bits >> (56 - 8 * i));
    in[8] = p->v6;
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, in, sizeof(in), t->key);
    uint64_t v;
    memcpy(&v, h, sizeof(v));
    return (size_t)v & (t->size - 1);
}

static bool same(const net_peer_t *a, const net_peer_t *b)
{
    return a->bits == b->bits && a->v6 == b->v6;
}

/* p's slot, or the empty slot where it would go. */
static slot_t *find(const net_peers_t *t, const net_peer_t *p)
{
    size_t i = home(t, p);
    while (t->slots[i].count && !same(&t->slots[i].p, p))
        i = (i + 1) & (t->size - 1);
    return &t->slots[i];
}

/* Moves every used slot into a table of size slots. */
static void resize(net_peers_t *t, size_t size)
{
    slot_t *old = t->slots;
    size_t n = t->size;
    t->slots = xcalloc(size, sizeof(*t->slots));
    t->size = size;
    for (size_t i = 0; i < n; i++)
        if (old[i].count)
            *find(t, &old[i].p) = old[i];
    free(old);
}

/* Empties slot i, shifting back the slots after it that probed past it (Knuth's algorithm R),
 * so that no lookup ever stops early at the hole. */
static void remove_at(net_peers_t *t, size_t i)
{
    size_t mask = t->size - 1;
    for (size_t j = (i + 1) & mask; t->slots[j].count; j = (j + 1) & mask) {
        size_t h = home(t, &t->slots[j].p);
        /* j stays if its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].count = 0;
    t->used--;
}

net_peers_t *net_peers_new(unsigned cap)
{
    net_peers_t *t = xcalloc(1, sizeof(*t));
    uv_mutex_init(&t->lock);
    t->cap = cap;
    t->size = PEERS_MIN;
    t->slots = xcalloc(t->size, sizeof(*t->slots));
    randombytes_buf(t->key, sizeof(t->key));
    return t;
}

void net_peers_free(net_peers_t *t)
{
    if (!t)
        return;
    uv_mutex_destroy(&t->lock);
    free(t->slots);
    free(t);
}

bool net_peers_take(net_peers_t *t, const net_peer_t *p)
{
    uv_mutex_lock(&t->lock);
    slot_t *s = find(t, p);
    bool ok = s->count < t->cap;
    if (ok && s->count++ == 0) {
        s->p = *p;
        if (++t->used * 2 > t->size)
            resize(t, t->size * 2);
    }
    uv_mutex_unlock(&t->lock);
    return ok;
}

void net_peers_give(net_peers_t *t, const net_peer_t *p)
{
    uv_mutex_lock(&t->lock);
    slot_t *s = find(t, p);
    if (s->count && --s->count == 0) {
        remove_at(t, (size_t)(s - t->slots));
        if (t->size > PEERS_MIN && t->used * 8 < t->size)
            resize(t, t->size / 2);
    }
    uv_mutex_unlock(&t->lock);
}

unsigned net_peers_count(net_peers_t *t, const net_peer_t *p)
{
    uv_mutex_lock(&t->lock);
    unsigned n = find(t, p)->count;
    uv_mutex_unlock(&t->lock);
    return n;
}

size_t net_peers_clients(net_peers_t *t)
{
    uv_mutex_lock(&t->lock);
    size_t n = t->used;
    uv_mutex_unlock(&t->lock);
    return n;
}
