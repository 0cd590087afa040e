/* chat_react - a channel's reactions in force; see chat_react.h.
 *
 * Open addressing with linear probing over a power-of-two table of inline entries (the
 * emoji is at most CHAT_EMOJI_MAX bytes, so no entry owns memory). A removal leaves a
 * tombstone so that probe chains stay whole; the table is rebuilt (tombstones dropped,
 * doubled when live entries need it) once live entries and tombstones fill 3/4 of it. */
#include "chat/chat_react.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

enum { SLOT_FREE, SLOT_USED, SLOT_GONE };

typedef struct {
    uint64_t target, user;
    uint8_t state;
    char emoji[CHAT_EMOJI_MAX + 1];
} slot_t;

struct chat_react {
    slot_t *t;
    size_t cap; /* a power of two, or 0 before the first reaction */
    size_t used, gone;
};

static uint64_t hash_of(uint64_t target, uint64_t user, const char *emoji)
{
    uint64_t h = 1469598103934665603ull ^ (target * 0x9e3779b97f4a7c15ull);
    h = (h ^ user) * 1099511628211ull;
    for (const char *p = emoji; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    return h ^ (h >> 29);
}

chat_react_t *chat_react_new(void)
{
    return xcalloc(1, sizeof(chat_react_t));
}

void chat_react_free(chat_react_t *r)
{
    if (!r)
        return;
    free(r->t);
    free(r);
}

/* The slot holding (target, user, emoji), or where it would go (a free slot; the first
 * tombstone on the way when there is one); *found says which. cap > 0. */
static size_t probe(const chat_react_t *r, uint64_t target, uint64_t user, const char *emoji,
                    bool *found)
{
    size_t mask = r->cap - 1, i = hash_of(target, user, emoji) & mask, spot = SIZE_MAX;
    *found = false;
    for (;; i = (i + 1) & mask) {
        const slot_t *s = &r->t[i];
        if (s->state == SLOT_FREE)
            return spot != SIZE_MAX ? spot : i;
        if (s->state == SLOT_GONE) {
            if (spot == SIZE_MAX)
                spot = i;
        } else if (s->target == target && s->user == user && strcmp(s->emoji, emoji) == 0) {
            *found = true;
            return i;
        }
    }
}

static void rebuild(chat_react_t *r, size_t cap)
{
    slot_t *old = r->t;
    size_t n = r->cap;
    r->t = xcalloc(cap, sizeof(*r->t));
    r->cap = cap;
    r->used = r->gone = 0;
    for (size_t i = 0; i < n; i++) {
        if (old[i].state != SLOT_USED)
            continue;
        bool found;
        size_t j = probe(r, old[i].target, old[i].user, old[i].emoji, &found);
        r->t[j] = old[i];
        r->used++;
    }
    free(old);
}

bool chat_react_has(const chat_react_t *r, uint64_t target, uint64_t user, const char *emoji)
{
    bool found = false;
    if (r->cap)
        probe(r, target, user, emoji, &found);
    return found;
}

void chat_react_set(chat_react_t *r, uint64_t target, uint64_t user, const char *emoji, bool on)
{
    size_t len = strlen(emoji);
    if (len > CHAT_EMOJI_MAX || (!on && !r->cap))
        return;
    if (on && (r->used + r->gone + 1) * 4 > r->cap * 3) {
        size_t cap = r->cap ? r->cap : 16;
        while ((r->used + 1) * 2 > cap)
            cap *= 2;
        rebuild(r, cap);
    }
    bool found;
    size_t i = probe(r, target, user, emoji, &found);
    slot_t *s = &r->t[i];
    if (on && !found) {
        r->gone -= s->state == SLOT_GONE;
        s->state = SLOT_USED;
        s->target = target;
        s->user = user;
        memcpy(s->emoji, emoji, len + 1);
        r->used++;
    } else if (!on && found) {
        s->state = SLOT_GONE;
        r->used--;
        r->gone++;
    }
}

size_t chat_react_count(const chat_react_t *r)
{
    return r->used;
}
