/* chat_remote - changes committed by another process, applied here; see chat_remote.h. */
#include "chat/chat_remote.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "chat/chat_archive.h"
#include "chat/chat_notify.h"
#include "chat/chat_rooms.h"

static chat_kind_t kind_of(const char *kind)
{
    if (kind && strcmp(kind, "dm") == 0)
        return CHAT_KIND_DM;
    if (kind && strcmp(kind, "private") == 0)
        return CHAT_KIND_PRIVATE;
    return CHAT_KIND_PUBLIC;
}

/* The connected sessions of user (by id): how many, their links in *out. */
static size_t sessions_of(chat_hub_t *h, uint64_t user, const char **name, chat_link_t *const **out)
{
    const auth_user_t *u = auth_user(chat_hub_auth(h), user);
    *name = u ? u->name : NULL;
    chat_presence_t *p = u ? chat_presence_find(chat_hub_presence(h), u->name) : NULL;
    *out = NULL;
    return p ? chat_presence_links(p, out) : 0;
}

static void member(chat_hub_t *h, chat_channel_t *ch, uint64_t user, bool add);

/* A channel made (with its creator as a member, as the store made it), or its row changed:
 * topic, kind and the archive mark. */
static void put(chat_hub_t *h, chat_channel_t *ch, const store_channel_t *row, bool create)
{
    if (!ch || chat_channel_unstored(ch)) { /* unstored: this process lost the race for it */
        if (!chat_channel_name_valid(row->name, strlen(row->name)))
            return;
        if (!ch)
            ch = chat_hub_channel_add(
                h, row->name, kind_of(row->kind), row->topic ? row->topic : "",
                row->created_by ? row->created_by : "", row->creator_id, row->ts);
        chat_channel_set_kind(ch, kind_of(row->kind));
        chat_channel_set_topic(ch, row->topic ? row->topic : "");
        chat_channel_set_creator(ch, row->created_by, row->creator_id, row->ts);
        chat_channel_set_unstored(ch, false);
        chat_channel_set_archived(ch, row->archived);
        if (create && row->creator_id)
            member(h, ch, row->creator_id, true);
        return;
    }
    if (row->topic && strcmp(row->topic, chat_channel_topic(ch)) != 0) {
        chat_channel_set_topic(ch, row->topic);
        /* Who set it is not part of the row: the event says nobody. */
        blob_t *f = chat_rooms_topic_frame(ch, "", clock_wall_ms(), NULL);
        chat_hub_emit(h, ch, &(chat_emit_t){.json = f});
        blob_unref(f);
    }
    if (!chat_channel_is_general(ch) && row->archived != chat_channel_archived(ch)) {
        chat_channel_set_archived(ch, row->archived);
        chat_archive_tell(h, ch, NULL);
    }
}

static void member(chat_hub_t *h, chat_channel_t *ch, uint64_t user, bool add)
{
    if (chat_channel_has_user(ch, user) == add)
        return;
    if (add)
        chat_channel_user_add(ch, user);
    else
        chat_channel_user_remove(ch, user);
    const auth_user_t *u = auth_user(chat_hub_auth(h), user);
    const char *name = u ? u->name : NULL;
    if (chat_rooms_link_user(h, ch, user, name, add, NULL, NULL, false) && name)
        chat_hub_announce(h, ch, name, add, NULL);
}

static void read_marker(chat_hub_t *h, chat_channel_t *ch, uint64_t user, uint64_t seq)
{
    if (seq <= chat_channel_read_get(ch, user))
        return;
    chat_channel_read_set(ch, user, seq);
    const char *name;
    chat_link_t *const *links;
    size_t n = sessions_of(h, user, &name, &links);
    blob_t *f = chat_rooms_read_frame(ch, chat_channel_read_get(ch, user), NULL);
    for (size_t i = 0; i < n; i++)
        chat_session_send_frame(links[i]->s, f);
    blob_unref(f);
}

void chat_remote_apply(chat_hub_t *h, const store_change_t *c)
{
    if (!c->ch.name)
        return;
    chat_channel_t *ch = chat_hub_channel(h, c->ch.name);
    switch (c->kind) {
    case STORE_CHANNEL_CREATE:
    case STORE_CHANNEL_PUT:
        put(h, ch, &c->ch, c->kind == STORE_CHANNEL_CREATE);
        return;
    case STORE_MEMBER_ADD:
    case STORE_MEMBER_REMOVE:
        if (ch && c->user_id && !chat_channel_is_general(ch))
            member(h, ch, c->user_id, c->kind == STORE_MEMBER_ADD);
        return;
    case STORE_READ:
        if (ch && c->user_id)
            read_marker(h, ch, c->user_id, c->seq);
        return;
    case STORE_NOTIFY_SET:
        if (ch && c->user_id)
            chat_notify_apply(h, ch, c->user_id, c->notify);
        return;
    case STORE_CHANNEL_DELETE:
        if (ch && !chat_channel_is_general(ch)) {
            chat_channel_set_deleted(ch, true);
            chat_archive_gone(ch);
        }
        return;
    default:
        return; /* accounts travel another way (accounts_version) */
    }
}

/* ---- a resync ---- */

typedef struct {
    size_t slot;
    uint64_t user;
} level_row_t;

typedef struct {
    chat_hub_t *h;
    bool *seen;          /* by slot: the store has the channel */
    bool *reconciled;    /* by slot: its members were compared */
    size_t n;            /* slots in both */
    chat_channel_t *cur; /* the channel whose member rows are arriving */
    uint64_t *ids;       /* its members in the store, by id (the load's order) */
    size_t nids, cap;
    level_row_t *levels; /* every notification level row, (slot, user) */
    size_t nlevels, levels_cap;
} resync_t;

static void resync_grow(resync_t *r)
{
    size_t n = chat_hub_nchannels(r->h);
    if (n <= r->n)
        return;
    r->seen = xrealloc(r->seen, n * sizeof(*r->seen));
    r->reconciled = xrealloc(r->reconciled, n * sizeof(*r->reconciled));
    memset(r->seen + r->n, 0, (n - r->n) * sizeof(*r->seen));
    memset(r->reconciled + r->n, 0, (n - r->n) * sizeof(*r->reconciled));
    r->n = n;
}

static bool in_ids(const resync_t *r, uint64_t id)
{
    size_t lo = 0, hi = r->nids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->ids[mid] == id)
            return true;
        if (r->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int cmp_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The members of r->cur in the store are all in r->ids: memory is made to match. */
static void reconcile(resync_t *r)
{
    chat_channel_t *ch = r->cur;
    r->cur = NULL;
    if (!ch)
        return;
    resync_grow(r);
    r->reconciled[chat_channel_slot(ch)] = true;
    if (chat_channel_is_general(ch) || chat_channel_deleted(ch) || chat_channel_unstored(ch))
        return;
    qsort(r->ids, r->nids, sizeof(*r->ids), cmp_id); /* sorted already: cheap */
    for (size_t i = chat_channel_nusers(ch); i-- > 0;) {
        uint64_t id = chat_channel_user_at(ch, i);
        if (!in_ids(r, id))
            member(r->h, ch, id, false);
    }
    for (size_t i = 0; i < r->nids; i++)
        member(r->h, ch, r->ids[i], true);
}

static void on_channel_row(void *ctx, const store_channel_t *row)
{
    resync_t *r = ctx;
    chat_channel_t *ch = chat_hub_channel(r->h, row->name);
    if (ch && chat_channel_deleted(ch))
        return; /* deleted here: a name another process has taken again is not followed */
    if (!ch || !chat_channel_is_general(ch))
        put(r->h, ch, row, false);
    ch = chat_hub_channel(r->h, row->name);
    if (!ch)
        return;
    resync_grow(r);
    r->seen[chat_channel_slot(ch)] = true;
}

static void on_member_row(void *ctx, const char *channel, uint64_t user)
{
    resync_t *r = ctx;
    chat_channel_t *ch = chat_hub_channel(r->h, channel);
    if (ch != r->cur) {
        reconcile(r);
        r->cur = ch;
        r->nids = 0;
    }
    if (!ch)
        return;
    if (r->nids == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->ids = xrealloc(r->ids, r->cap * sizeof(*r->ids));
    }
    r->ids[r->nids++] = user;
}

static void on_read_row(void *ctx, const char *channel, uint64_t user, uint64_t seq)
{
    resync_t *r = ctx;
    chat_channel_t *ch = chat_hub_channel(r->h, channel);
    if (ch && !chat_channel_deleted(ch))
        read_marker(r->h, ch, user, seq);
}

/* Only the levels other than "all" have rows: each row is applied and kept, and a level
 * held here without a row goes back to "all" once all are read (levels_reconcile). */
static void on_notify_row(void *ctx, const char *channel, uint64_t user, const char *level)
{
    resync_t *r = ctx;
    chat_channel_t *ch = chat_hub_channel(r->h, channel);
    if (!ch || chat_channel_deleted(ch))
        return;
    chat_notify_apply(r->h, ch, user, level);
    if (r->nlevels == r->levels_cap) {
        r->levels_cap = r->levels_cap ? r->levels_cap * 2 : 64;
        r->levels = xrealloc(r->levels, r->levels_cap * sizeof(*r->levels));
    }
    r->levels[r->nlevels++] = (level_row_t){chat_channel_slot(ch), user};
}

static int cmp_level_row(const void *a, const void *b)
{
    const level_row_t *x = a, *y = b;
    if (x->slot != y->slot)
        return (x->slot > y->slot) - (x->slot < y->slot);
    return (x->user > y->user) - (x->user < y->user);
}

static void levels_reconcile(resync_t *r)
{
    if (r->nlevels) /* NULL with none: no qsort nor bsearch of it */
        qsort(r->levels, r->nlevels, sizeof(*r->levels), cmp_level_row);
    for (size_t i = 0; i < chat_hub_nchannels(r->h); i++) {
        chat_channel_t *ch = chat_hub_channel_at(r->h, i);
        if (chat_channel_deleted(ch))
            continue;
        for (size_t k = chat_channel_notify_count(ch); k-- > 0;) {
            level_row_t key = {chat_channel_slot(ch), chat_channel_notify_user_at(ch, k)};
            if (!r->nlevels || !bsearch(&key, r->levels, r->nlevels, sizeof(key), cmp_level_row))
                chat_notify_apply(r->h, ch, key.user, "all");
        }
    }
}

int chat_remote_resync(chat_hub_t *h)
{
    if (chat_hub_changes_pending(h))
        return -1;
    resync_t r = {.h = h};
    resync_grow(&r);
    store_load_t cbs = {.channel = on_channel_row,
                        .member = on_member_row,
                        .read = on_read_row,
                        .notify = on_notify_row};
    int rc = store_load(chat_hub_store(h), &cbs, &r);
    reconcile(&r);
    if (rc == 0)
        levels_reconcile(&r);
    resync_grow(&r);
    for (size_t i = 0; rc == 0 && i < chat_hub_nchannels(h); i++) {
        chat_channel_t *ch = chat_hub_channel_at(h, i);
        if (chat_channel_is_general(ch) || chat_channel_deleted(ch) || chat_channel_unstored(ch))
            continue;
        if (!r.seen[i]) { /* deleted elsewhere */
            chat_channel_set_deleted(ch, true);
            chat_archive_gone(ch);
        } else if (!r.reconciled[i]) { /* no member left in the store */
            r.cur = ch;
            r.nids = 0;
            reconcile(&r);
        }
    }
    free(r.seen);
    free(r.reconciled);
    free(r.ids);
    free(r.levels);
    return rc == 0 ? 0 : -1;
}
