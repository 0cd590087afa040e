/* client_track - seqs per channel and requests in flight; see client_track.h. */
#include "client/client_track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

void client_track_init(client_track_t *t)
{
    memset(t, 0, sizeof(*t));
    t->next_no = 1;
}

static void free_chain(client_req_t *r)
{
    while (r) {
        client_req_t *next = r->next;
        client_track_free(r);
        r = next;
    }
}

void client_track_deinit(client_track_t *t)
{
    for (size_t i = 0; i < t->n_seen; i++)
        free(t->seen[i].name);
    free(t->seen);
    free_chain(t->head);
    client_track_init(t);
}

static client_seen_t *seen_find(const client_track_t *t, const char *channel)
{
    for (size_t i = 0; i < t->n_seen; i++)
        if (!strcmp(t->seen[i].name, channel))
            return &t->seen[i];
    return NULL;
}

static void seen_add(client_track_t *t, const char *channel, int64_t seq)
{
    if (t->n_seen == t->cap_seen) {
        t->cap_seen = t->cap_seen ? t->cap_seen * 2 : 16;
        t->seen = xrealloc(t->seen, t->cap_seen * sizeof(*t->seen));
    }
    t->seen[t->n_seen].name = xstrdup(channel);
    t->seen[t->n_seen++].seq = seq;
}

int64_t client_track_seq(const client_track_t *t, const char *channel)
{
    const client_seen_t *s = seen_find(t, channel);
    return s ? s->seq : -1;
}

void client_track_base(client_track_t *t, const char *channel, int64_t seq)
{
    if (!seen_find(t, channel))
        seen_add(t, channel, seq < 0 ? 0 : seq);
}

bool client_track_accept(client_track_t *t, const char *channel, int64_t seq)
{
    client_seen_t *s = seen_find(t, channel);
    if (!s) {
        seen_add(t, channel, seq);
        return true;
    }
    if (seq <= s->seq)
        return false;
    s->seq = seq;
    return true;
}

void client_track_forget(client_track_t *t, const char *channel)
{
    client_seen_t *s = seen_find(t, channel);
    if (!s)
        return;
    free(s->name);
    *s = t->seen[--t->n_seen];
}

json_t *client_track_resume(const client_track_t *t)
{
    if (t->n_seen == 0)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; i < t->n_seen; i++)
        json_object_set_new(o, t->seen[i].name, json_integer(t->seen[i].seq));
    return o;
}

client_req_t *client_track_add(client_track_t *t, const char *type, json_t *payload, bool keep,
                               client_track_fn cb, void *arg)
{
    client_req_t *r = xcalloc(1, sizeof(*r));
    r->no = t->next_no++;
    r->type = xstrdup(type);
    r->payload = payload ? json_incref(payload) : NULL;
    r->keep = keep;
    r->cb = cb;
    r->arg = arg;
    if (t->tail)
        t->tail->next = r;
    else
        t->head = r;
    t->tail = r;
    t->n_reqs++;
    t->n_keep += keep;
    return r;
}

client_req_t *client_track_find(const client_track_t *t, int64_t no)
{
    for (client_req_t *r = t->head; r; r = r->next)
        if (r->no == no)
            return r;
    return NULL;
}

client_req_t *client_track_find_id(const client_track_t *t, const json_t *id)
{
    const char *s = json_string_value(id);
    if (!s || s[0] != 'c' || s[1] < '1' || s[1] > '9')
        return NULL;
    int64_t no = 0;
    for (s++; *s; s++) {
        if (*s < '0' || *s > '9' || no > INT64_MAX / 10 - 9)
            return NULL;
        no = no * 10 + (*s - '0');
    }
    return client_track_find(t, no);
}

void client_track_remove(client_track_t *t, client_req_t *r)
{
    client_req_t **pp = &t->head, *prev = NULL;
    while (*pp && *pp != r) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = r->next;
    if (t->tail == r)
        t->tail = prev;
    r->next = NULL;
    t->n_reqs--;
    t->n_keep -= r->keep;
}

void client_track_free(client_req_t *r)
{
    if (!r)
        return;
    free(r->type);
    json_decref(r->payload);
    free(r);
}

client_req_t *client_track_drop(client_track_t *t)
{
    client_req_t *lost = NULL, **lost_tail = &lost;
    client_req_t *r = t->head;
    while (r) {
        client_req_t *next = r->next;
        r->sent = false;
        if (!r->keep) {
            client_track_remove(t, r);
            *lost_tail = r;
            lost_tail = &r->next;
        }
        r = next;
    }
    return lost;
}

client_req_t *client_track_take_all(client_track_t *t)
{
    client_req_t *all = t->head;
    t->head = t->tail = NULL;
    t->n_reqs = t->n_keep = 0;
    return all;
}
