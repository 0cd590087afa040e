/* chat_presence - who is online; see chat_presence.h.
 *
 * Structures: chained buckets keyed by an FNV-1a hash of the user name (kept in the entry,
 * so a chain is walked comparing numbers), doubled when there are as many users as
 * buckets: a crowd arriving costs O(1) a user, not O(users / buckets). The users who are away
 * are also on a doubly linked list, so listing them (every welcome) costs what they are; and
 * up to CHAT_ONLINE_MAX users are "listed" (an array, each knowing its place), the names a
 * welcome shows, so that a welcome does not walk the buckets for them (a cache miss or two a
 * name): a newcomer fills a free place, a listed user who goes leaves one, refilled from the
 * buckets only when a welcome asks.
 * Each entry keeps its #general links in a small array (a user has a few tabs, not
 * thousands). */
#include "chat/chat_presence.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "json/json_env.h"

#define PRESENCE_BUCKETS_MIN 256

struct chat_presence {
    chat_presence_t *next;
    chat_presence_t *away_prev, *away_next; /* on the table's away list while away */
    chat_link_t **links; /* #general links of the user's joined JSON sessions: &one until a */
    chat_link_t *one;    /* second tab comes, so a user with one tab costs no allocation */
    uint32_t hash;
    unsigned conns;
    uint16_t away;              /* of its connections, those that said they are away (issue 14) */
    uint16_t nlinks, links_cap; /* a user's tabs */
    uint8_t listed;             /* its place in the table's listed array + 1; 0: not listed */
    char name[];                /* in the entry's allocation: one allocation an online user */
};

struct chat_presence_table {
    chat_presence_t **bucket;
    size_t nbuckets; /* a power of two */
    size_t online;
    chat_presence_t *away; /* the away list's head */
    chat_presence_t *listed[CHAT_ONLINE_MAX];
    size_t nlisted;
    /* The listed names as JSON strings, comma-separated: built when a welcome asks after the
     * set changed (during a crowd's arrival, once the set is full, it does not). */
    buf_t listed_json;
    bool listed_dirty;
};

chat_presence_table_t *chat_presence_table_new(void)
{
    chat_presence_table_t *t = xcalloc(1, sizeof(*t));
    t->nbuckets = PRESENCE_BUCKETS_MIN;
    t->bucket = xcalloc(t->nbuckets, sizeof(*t->bucket));
    return t;
}

static void entry_free(chat_presence_t *p)
{
    if (p->links != &p->one)
        free(p->links);
    free(p);
}

void chat_presence_table_free(chat_presence_table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (chat_presence_t *p = t->bucket[i], *next; p; p = next) {
            next = p->next;
            entry_free(p);
        }
    }
    free(t->bucket);
    buf_deinit(&t->listed_json);
    free(t);
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static chat_presence_t **slot(const chat_presence_table_t *t, uint32_t hash)
{
    return &t->bucket[hash & (t->nbuckets - 1)];
}

static void grow(chat_presence_table_t *t)
{
    size_t n = t->nbuckets * 2;
    chat_presence_t **b = xcalloc(n, sizeof(*b));
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (chat_presence_t *p = t->bucket[i], *next; p; p = next) {
            next = p->next;
            p->next = b[p->hash & (n - 1)];
            b[p->hash & (n - 1)] = p;
        }
    }
    free(t->bucket);
    t->bucket = b;
    t->nbuckets = n;
}

static chat_presence_t *lookup(const chat_presence_table_t *t, const char *name, uint32_t hash)
{
    for (chat_presence_t *p = *slot(t, hash); p; p = p->next)
        if (p->hash == hash && strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

/* Puts p on or off the away list after its counts changed. */
static void away_update(chat_presence_table_t *t, chat_presence_t *p)
{
    bool listed = p->away_prev || t->away == p, away = chat_presence_away(p);
    if (away == listed)
        return;
    if (away) {
        p->away_prev = NULL;
        p->away_next = t->away;
        if (t->away)
            t->away->away_prev = p;
        t->away = p;
        return;
    }
    if (p->away_prev)
        p->away_prev->away_next = p->away_next;
    else
        t->away = p->away_next;
    if (p->away_next)
        p->away_next->away_prev = p->away_prev;
    p->away_prev = p->away_next = NULL;
}

static void list(chat_presence_table_t *t, chat_presence_t *p)
{
    t->listed[t->nlisted++] = p;
    p->listed = (uint8_t)t->nlisted;
    t->listed_dirty = true;
}

static void unlist(chat_presence_table_t *t, chat_presence_t *p)
{
    chat_presence_t *last = t->listed[--t->nlisted];
    t->listed[p->listed - 1] = last;
    last->listed = p->listed;
    p->listed = 0;
    t->listed_dirty = true;
}

chat_presence_t *chat_presence_add(chat_presence_table_t *t, const char *name, bool *first)
{
    uint32_t hash = name_hash(name);
    chat_presence_t *p = lookup(t, name, hash);
    if (p) {
        p->conns++;
        away_update(t, p);
        *first = false;
        return p;
    }
    if (t->online >= t->nbuckets)
        grow(t);
    size_t len = strlen(name);
    p = xcalloc(1, sizeof(*p) + len + 1);
    memcpy(p->name, name, len + 1);
    p->hash = hash;
    p->conns = 1;
    chat_presence_t **b = slot(t, hash);
    p->next = *b;
    *b = p;
    t->online++;
    if (t->nlisted < CHAT_ONLINE_MAX)
        list(t, p);
    *first = true;
    return p;
}

bool chat_presence_away(const chat_presence_t *p)
{
    return p->away > 0 && p->away >= p->conns;
}

void chat_presence_mark(chat_presence_table_t *t, chat_presence_t *p, bool away)
{
    if (away)
        p->away++;
    else if (p->away)
        p->away--;
    away_update(t, p);
}

chat_presence_t *chat_presence_find(const chat_presence_table_t *t, const char *name)
{
    return lookup(t, name, name_hash(name));
}

bool chat_presence_remove(chat_presence_table_t *t, chat_presence_t *p)
{
    if (--p->conns > 0) {
        away_update(t, p);
        return false;
    }
    p->away = 0;
    away_update(t, p);
    if (p->listed)
        unlist(t, p);
    chat_presence_t **pp = slot(t, p->hash);
    while (*pp != p)
        pp = &(*pp)->next;
    *pp = p->next;
    t->online--;
    entry_free(p);
    return true;
}

size_t chat_presence_listed(chat_presence_table_t *t, chat_presence_t *const **out)
{
    /* Places left by users who went: refilled from the buckets, which stops as soon as
     * they are full (or everyone here is listed). */
    for (size_t i = 0; i < t->nbuckets && t->nlisted < CHAT_ONLINE_MAX && t->nlisted < t->online;
         i++)
        for (chat_presence_t *p = t->bucket[i]; p && t->nlisted < CHAT_ONLINE_MAX; p = p->next)
            if (!p->listed)
                list(t, p);
    *out = t->listed;
    return t->nlisted;
}

const buf_t *chat_presence_listed_json(chat_presence_table_t *t, size_t *n)
{
    chat_presence_t *const *ls;
    *n = chat_presence_listed(t, &ls);
    if (t->listed_dirty) {
        t->listed_json.len = 0;
        for (size_t i = 0; i < *n; i++) {
            if (i)
                buf_append(&t->listed_json, ",", 1);
            json_append_string(&t->listed_json, ls[i]->name, strlen(ls[i]->name));
        }
        t->listed_dirty = false;
    }
    return &t->listed_json;
}

const chat_presence_t *chat_presence_away_first(const chat_presence_table_t *t)
{
    return t->away;
}

const chat_presence_t *chat_presence_away_next(const chat_presence_t *p)
{
    return p->away_next;
}

const char *chat_presence_name(const chat_presence_t *p)
{
    return p->name;
}

void chat_presence_attach(chat_presence_t *p, chat_link_t *general)
{
    if (!p->links) {
        p->links = &p->one;
        p->links_cap = 1;
    } else if (p->nlinks == p->links_cap) {
        chat_link_t **v = xmalloc(p->links_cap * 2 * sizeof(*v));
        memcpy(v, p->links, p->nlinks * sizeof(*v));
        if (p->links != &p->one)
            free(p->links);
        p->links = v;
        p->links_cap *= 2;
    }
    /* Newest first, as the tabs were told before. */
    memmove(p->links + 1, p->links, p->nlinks * sizeof(*p->links));
    p->links[0] = general;
    p->nlinks++;
}

void chat_presence_detach(chat_presence_t *p, chat_link_t *general)
{
    for (size_t i = 0; i < p->nlinks; i++) {
        if (p->links[i] == general) {
            memmove(p->links + i, p->links + i + 1, (p->nlinks - i - 1) * sizeof(*p->links));
            p->nlinks--;
            return;
        }
    }
}

size_t chat_presence_links(const chat_presence_t *p, chat_link_t *const **out)
{
    *out = p->links;
    return p->nlinks;
}

size_t chat_presence_online(const chat_presence_table_t *h)
{
    return h->online;
}

chat_presence_names_t chat_presence_names(const chat_presence_table_t *t)
{
    return (chat_presence_names_t){t, 0, NULL};
}

const char *chat_presence_names_next(chat_presence_names_t *it)
{
    if (it->p)
        it->p = it->p->next;
    while (!it->p && it->bucket < it->t->nbuckets)
        it->p = it->t->bucket[it->bucket++];
    return it->p ? it->p->name : NULL;
}
