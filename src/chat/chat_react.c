/* chat_react - a channel's reactions in force; see chat_react.h.
 *
 * Open addressing with linear probing over a power-of-two table of inline entries (the
 * emoji is at most CHAT_EMOJI_MAX bytes, so no entry owns memory). One table holds four
 * kinds of entry, told apart by their key's kind: the reactions themselves (message, user,
 * emoji), and three counts kept in step with them, so that the limits on one message are
 * answered in O(1): how many users hold an emoji on a message (message, emoji), how many
 * distinct emoji a message has (message), how many reactions a user has on it (message,
 * user). A count that falls to 0 is removed. A removal leaves a tombstone so that probe
 * chains stay whole; the table is rebuilt (tombstones dropped, doubled when live entries
 * need it) once live entries and tombstones fill 3/4 of it. */
#include "chat/chat_react.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

enum { SLOT_FREE, SLOT_USED, SLOT_GONE };
enum { K_REACT, K_EMOJI, K_TARGET, K_USER };

typedef struct {
    uint64_t target, user;
    uint32_t n; /* a count's value */
    uint8_t state, kind;
    char emoji[CHAT_EMOJI_MAX + 1];
} slot_t;

struct chat_react {
    slot_t *t;
    size_t cap; /* a power of two, or 0 before the first reaction */
    size_t used, gone;
    size_t reactions; /* K_REACT entries */
};

static uint64_t hash_of(int kind, uint64_t target, uint64_t user, const char *emoji)
{
    uint64_t h = 1469598103934665603ull ^ (target * 0x9e3779b97f4a7c15ull);
    h = (h ^ user) * 1099511628211ull;
    h = (h ^ (uint64_t)kind) * 1099511628211ull;
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

/* The slot holding the key, or where it would go (a free slot; the first tombstone on the
 * way when there is one); *found says which. cap > 0. */
static size_t probe(const chat_react_t *r, int kind, uint64_t target, uint64_t user,
                    const char *emoji, bool *found)
{
    size_t mask = r->cap - 1, i = hash_of(kind, target, user, emoji) & mask, spot = SIZE_MAX;
    *found = false;
    for (;; i = (i + 1) & mask) {
        const slot_t *s = &r->t[i];
        if (s->state == SLOT_FREE)
            return spot != SIZE_MAX ? spot : i;
        if (s->state == SLOT_GONE) {
            if (spot == SIZE_MAX)
                spot = i;
        } else if (s->kind == kind && s->target == target && s->user == user &&
                   strcmp(s->emoji, emoji) == 0) {
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
        size_t j = probe(r, old[i].kind, old[i].target, old[i].user, old[i].emoji, &found);
        r->t[j] = old[i];
        r->used++;
    }
    free(old);
}

/* The entry of the key, or NULL. */
static const slot_t *find(const chat_react_t *r, int kind, uint64_t target, uint64_t user,
                          const char *emoji)
{
    bool found = false;
    size_t i = r->cap ? probe(r, kind, target, user, emoji, &found) : 0;
    return found ? &r->t[i] : NULL;
}

/* Adds the key (on) or removes it; the caller made room. Returns whether it changed. */
static bool put(chat_react_t *r, int kind, uint64_t target, uint64_t user, const char *emoji,
                bool on)
{
    bool found;
    size_t i = probe(r, kind, target, user, emoji, &found);
    slot_t *s = &r->t[i];
    if (on && !found) {
        r->gone -= s->state == SLOT_GONE;
        *s = (slot_t){.target = target, .user = user, .state = SLOT_USED, .kind = (uint8_t)kind};
        memcpy(s->emoji, emoji, strlen(emoji) + 1);
        r->used++;
        return true;
    }
    if (!on && found) {
        s->state = SLOT_GONE;
        r->used--;
        r->gone++;
        return true;
    }
    return false;
}

/* Moves a count by one (up: creating it at 1; down: removing it at 0). Returns the new
 * value. */
static uint32_t bump(chat_react_t *r, int kind, uint64_t target, uint64_t user, const char *emoji,
                     bool up)
{
    bool found;
    slot_t *s = &r->t[probe(r, kind, target, user, emoji, &found)];
    if (!found) {
        if (!up)
            return 0;
        put(r, kind, target, user, emoji, true);
        s = &r->t[probe(r, kind, target, user, emoji, &found)];
    }
    s->n = up ? s->n + 1 : s->n - 1;
    if (s->n == 0)
        put(r, kind, target, user, emoji, false);
    return s->n;
}

bool chat_react_has(const chat_react_t *r, uint64_t target, uint64_t user, const char *emoji)
{
    return find(r, K_REACT, target, user, emoji) != NULL;
}

void chat_react_set(chat_react_t *r, uint64_t target, uint64_t user, const char *emoji, bool on)
{
    size_t len = strlen(emoji);
    if (len > CHAT_EMOJI_MAX || (!on && !r->cap))
        return;
    /* a reaction and its three counts: at most four new entries */
    if (on && (r->used + r->gone + 4) * 4 > r->cap * 3) {
        size_t cap = r->cap ? r->cap : 16;
        while ((r->used + 4) * 2 > cap)
            cap *= 2;
        rebuild(r, cap);
    }
    if (!put(r, K_REACT, target, user, emoji, on))
        return;
    r->reactions = on ? r->reactions + 1 : r->reactions - 1;
    uint32_t holders = bump(r, K_EMOJI, target, 0, emoji, on);
    if ((on && holders == 1) || (!on && holders == 0)) /* an emoji new to it, or gone */
        bump(r, K_TARGET, target, 0, "", on);
    bump(r, K_USER, target, user, "", on);
}

size_t chat_react_count(const chat_react_t *r)
{
    return r->reactions;
}

bool chat_react_any(const chat_react_t *r, uint64_t target, const char *emoji)
{
    return find(r, K_EMOJI, target, 0, emoji) != NULL;
}

size_t chat_react_distinct(const chat_react_t *r, uint64_t target)
{
    const slot_t *s = find(r, K_TARGET, target, 0, "");
    return s ? s->n : 0;
}

size_t chat_react_mine(const chat_react_t *r, uint64_t target, uint64_t user)
{
    const slot_t *s = find(r, K_USER, target, user, "");
    return s ? s->n : 0;
}
