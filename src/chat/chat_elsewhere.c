/* chat_elsewhere - who is online on the other processes; see chat_elsewhere.h.
 *
 * Structures: a chained hash of names (FNV-1a, doubled when it holds more names than
 * buckets), each with its records: one per process that said something of it, with the
 * change number of that word and whether it is on. Processes are a short list (a cluster
 * has a few). Invariants: a name's `on` counts its records that are on; `online` counts
 * the names whose `on` > 0, `both` those of them online here too; a name with no record
 * is freed. */
#include "chat/chat_elsewhere.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

typedef struct proc {
    struct proc *next;
    uint64_t pid;
    unsigned gen;  /* the sweep during which it was last heard of */
    unsigned snap; /* its snapshots received, to mark the records each one confirmed */
} proc_t;

typedef struct rec {
    struct rec *next;
    proc_t *proc;
    uint64_t seq;  /* the process's change number of this word */
    unsigned snap; /* the snapshot of proc that last listed it */
    bool on;
} rec_t;

typedef struct entry {
    struct entry *next;
    rec_t *recs;
    unsigned on; /* records on */
    char name[];
} entry_t;

struct chat_elsewhere {
    chat_elsewhere_cbs_t cbs;
    void *ctx;
    entry_t **bucket;
    size_t nbuckets, nentries;
    size_t online, both;
    proc_t *procs;
    size_t nprocs;
    unsigned gen;
};

chat_elsewhere_t *chat_elsewhere_new(const chat_elsewhere_cbs_t *cbs, void *ctx)
{
    chat_elsewhere_t *e = xcalloc(1, sizeof(*e));
    e->cbs = *cbs;
    e->ctx = ctx;
    e->nbuckets = 64;
    e->bucket = xcalloc(e->nbuckets, sizeof(*e->bucket));
    return e;
}

void chat_elsewhere_free(chat_elsewhere_t *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nbuckets; i++) {
        for (entry_t *n = e->bucket[i], *next; n; n = next) {
            next = n->next;
            for (rec_t *r = n->recs, *rn; r; r = rn) {
                rn = r->next;
                free(r);
            }
            free(n);
        }
    }
    for (proc_t *p = e->procs, *next; p; p = next) {
        next = p->next;
        free(p);
    }
    free(e->bucket);
    free(e);
}

static size_t hash_of(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static entry_t *find(const chat_elsewhere_t *e, const char *name)
{
    for (entry_t *n = e->bucket[hash_of(name) & (e->nbuckets - 1)]; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

static void grow(chat_elsewhere_t *e)
{
    size_t nb = e->nbuckets * 2;
    entry_t **b = xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < e->nbuckets; i++) {
        for (entry_t *n = e->bucket[i], *next; n; n = next) {
            next = n->next;
            size_t k = hash_of(n->name) & (nb - 1);
            n->next = b[k];
            b[k] = n;
        }
    }
    free(e->bucket);
    e->bucket = b;
    e->nbuckets = nb;
}

static entry_t *get(chat_elsewhere_t *e, const char *name)
{
    entry_t *n = find(e, name);
    if (n)
        return n;
    if (e->nentries >= e->nbuckets)
        grow(e);
    size_t len = strlen(name);
    n = xcalloc(1, sizeof(*n) + len + 1);
    memcpy(n->name, name, len + 1);
    size_t k = hash_of(name) & (e->nbuckets - 1);
    n->next = e->bucket[k];
    e->bucket[k] = n;
    e->nentries++;
    return n;
}

/* Frees n if no record is left (n is then unlinked from its bucket). */
static void release(chat_elsewhere_t *e, entry_t *n)
{
    if (n->recs)
        return;
    entry_t **pp = &e->bucket[hash_of(n->name) & (e->nbuckets - 1)];
    while (*pp != n)
        pp = &(*pp)->next;
    *pp = n->next;
    e->nentries--;
    free(n);
}

static void set_on(chat_elsewhere_t *e, entry_t *n, rec_t *r, bool on)
{
    if (r->on == on)
        return;
    r->on = on;
    n->on += on ? 1 : -1u;
    if (n->on != (on ? 1u : 0u))
        return; /* another process still has it, or had it already */
    bool here = e->cbs.here && e->cbs.here(e->ctx, n->name);
    e->online += on ? 1 : -1;
    if (here)
        e->both += on ? 1 : -1;
    if (e->cbs.changed)
        e->cbs.changed(e->ctx, n->name, on);
}

static rec_t *rec_of(entry_t *n, const proc_t *p)
{
    for (rec_t *r = n->recs; r; r = r->next)
        if (r->proc == p)
            return r;
    return NULL;
}

static rec_t *rec_get(entry_t *n, proc_t *p)
{
    rec_t *r = rec_of(n, p);
    if (r)
        return r;
    r = xcalloc(1, sizeof(*r));
    r->proc = p;
    r->next = n->recs;
    n->recs = r;
    return r;
}

static void rec_remove(chat_elsewhere_t *e, entry_t *n, rec_t *r)
{
    set_on(e, n, r, false);
    rec_t **pp = &n->recs;
    while (*pp != r)
        pp = &(*pp)->next;
    *pp = r->next;
    free(r);
}

static proc_t *proc_get(chat_elsewhere_t *e, uint64_t pid)
{
    proc_t *p = e->procs;
    while (p && p->pid != pid)
        p = p->next;
    if (!p) {
        p = xcalloc(1, sizeof(*p));
        p->pid = pid;
        p->next = e->procs;
        e->procs = p;
        e->nprocs++;
    }
    p->gen = e->gen;
    return p;
}

/* Removes p's records that keep(...) says go; all of them when snap is 0. Names are
 * visited bucket by bucket, an entry freed once its last record went. */
static void prune(chat_elsewhere_t *e, proc_t *p, unsigned snap, uint64_t seq)
{
    for (size_t i = 0; i < e->nbuckets; i++) {
        for (entry_t *n = e->bucket[i], *next; n; n = next) {
            next = n->next;
            rec_t *r = rec_of(n, p);
            if (!r || (snap && (r->snap == snap || r->seq > seq)))
                continue;
            rec_remove(e, n, r);
            release(e, n);
        }
    }
}

void chat_elsewhere_event(chat_elsewhere_t *e, uint64_t pid, uint64_t seq, const char *name,
                          bool on)
{
    proc_t *p = proc_get(e, pid);
    entry_t *n = get(e, name);
    rec_t *r = rec_get(n, p);
    /* An off is kept (a tombstone) so that an older snapshot listing the name does not
     * bring it back; the next snapshot as new as it removes it. */
    if (r->seq < seq || (r->seq == 0 && seq == 0)) {
        r->seq = seq;
        set_on(e, n, r, on);
    }
    release(e, n);
}

void chat_elsewhere_snapshot(chat_elsewhere_t *e, uint64_t pid, uint64_t seq,
                             const char *const *names, size_t count)
{
    proc_t *p = proc_get(e, pid);
    if (++p->snap == 0)
        p->snap = 1; /* 0 means "every record" to prune */
    for (size_t i = 0; i < count; i++) {
        entry_t *n = get(e, names[i]);
        rec_t *r = rec_get(n, p);
        r->snap = p->snap;
        if (r->seq > seq)
            continue; /* an event newer than the snapshot: it stands */
        r->seq = seq;
        set_on(e, n, r, true);
    }
    /* Not listed, and not newer than the list: gone from that process. */
    prune(e, p, p->snap, seq);
}

static void proc_drop(chat_elsewhere_t *e, proc_t *p)
{
    prune(e, p, 0, 0);
    proc_t **pp = &e->procs;
    while (*pp != p)
        pp = &(*pp)->next;
    *pp = p->next;
    e->nprocs--;
    free(p);
}

void chat_elsewhere_sweep_begin(chat_elsewhere_t *e)
{
    e->gen++;
}

void chat_elsewhere_sweep_end(chat_elsewhere_t *e)
{
    for (proc_t *p = e->procs, *next; p; p = next) {
        next = p->next;
        if (p->gen != e->gen)
            proc_drop(e, p);
    }
}

void chat_elsewhere_drop(chat_elsewhere_t *e, uint64_t pid)
{
    for (proc_t *p = e->procs; p; p = p->next) {
        if (p->pid == pid) {
            proc_drop(e, p);
            return;
        }
    }
}

void chat_elsewhere_here(chat_elsewhere_t *e, const char *name, bool here)
{
    const entry_t *n = find(e, name);
    if (n && n->on)
        e->both += here ? 1 : -1;
}

bool chat_elsewhere_has(const chat_elsewhere_t *e, const char *name)
{
    const entry_t *n = find(e, name);
    return n && n->on;
}

size_t chat_elsewhere_count(const chat_elsewhere_t *e)
{
    return e->online;
}

size_t chat_elsewhere_only(const chat_elsewhere_t *e)
{
    return e->online - e->both;
}

size_t chat_elsewhere_procs(const chat_elsewhere_t *e)
{
    return e->nprocs;
}

chat_elsewhere_names_t chat_elsewhere_names(const chat_elsewhere_t *e)
{
    return (chat_elsewhere_names_t){e, 0, NULL};
}

const char *chat_elsewhere_names_next(chat_elsewhere_names_t *it)
{
    const entry_t *n = it->at;
    do {
        n = n ? n->next : NULL;
        while (!n && it->bucket < it->e->nbuckets)
            n = it->e->bucket[it->bucket++];
    } while (n && !n->on);
    it->at = n;
    return n ? n->name : NULL;
}
