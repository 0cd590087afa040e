/* chat_presence - who is online; see chat_presence.h.
 *
 * Structures: 256 chained buckets keyed by an FNV-1a hash of the user name; each entry
 * keeps its #general links in a small array (a user has a few tabs, not thousands). */
#include "chat/chat_presence.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct chat_presence {
    chat_presence_t *next;
    char *name;
    unsigned conns;
    unsigned away;       /* of its connections, those that said they are away (issue 14) */
    chat_link_t **links; /* #general links of the user's joined JSON sessions: &one until a */
    chat_link_t *one;    /* second tab comes, so a user with one tab costs no allocation */
    size_t nlinks, links_cap;
};

struct chat_presence_table {
    chat_presence_t *bucket[256];
    size_t online;
};

chat_presence_table_t *chat_presence_table_new(void)
{
    return xcalloc(1, sizeof(chat_presence_table_t));
}

void chat_presence_table_free(chat_presence_table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < 256; i++) {
        for (chat_presence_t *p = t->bucket[i], *next; p; p = next) {
            next = p->next;
            if (p->links != &p->one)
                free(p->links);
            free(p->name);
            free(p);
        }
    }
    free(t);
}

static unsigned name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h & 255;
}

chat_presence_t *chat_presence_add(chat_presence_table_t *h, const char *name, bool *first)
{
    unsigned i = name_hash(name);
    for (chat_presence_t *p = h->bucket[i]; p; p = p->next) {
        if (strcmp(p->name, name) != 0)
            continue;
        p->conns++;
        *first = false;
        return p;
    }
    chat_presence_t *p = xcalloc(1, sizeof(*p));
    p->name = xstrdup(name);
    p->conns = 1;
    p->next = h->bucket[i];
    h->bucket[i] = p;
    h->online++;
    *first = true;
    return p;
}

bool chat_presence_away(const chat_presence_t *p)
{
    return p->away > 0 && p->away >= p->conns;
}

void chat_presence_mark(chat_presence_t *p, bool away)
{
    if (away)
        p->away++;
    else if (p->away)
        p->away--;
}

chat_presence_t *chat_presence_find(const chat_presence_table_t *h, const char *name)
{
    for (chat_presence_t *p = h->bucket[name_hash(name)]; p; p = p->next)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

bool chat_presence_remove(chat_presence_table_t *h, chat_presence_t *p)
{
    if (--p->conns > 0)
        return false;
    chat_presence_t **pp = &h->bucket[name_hash(p->name)];
    while (*pp != p)
        pp = &(*pp)->next;
    *pp = p->next;
    h->online--;
    if (p->links != &p->one)
        free(p->links);
    free(p->name);
    free(p);
    return true;
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
    while (!it->p && it->bucket < 256)
        it->p = it->t->bucket[it->bucket++];
    return it->p ? it->p->name : NULL;
}
