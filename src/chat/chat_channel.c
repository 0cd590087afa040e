/* chat_channel - the channel model; see chat_channel.h.
 *
 * Structures: stored members, read markers and notification levels are arrays sorted by
 * user id (binary search); reactions a hash set (chat_react); the ring a circular array of
 * CHAT_RECENT entries, entry i (0 = oldest) at recent[(recent_head + i) % CHAT_RECENT];
 * connected members an array of links in no order (each link knows its place, so one leaves
 * in O(1) by taking the last one's place): a broadcast walks it by index and can fetch the
 * links ahead of their turn, which a list's pointer chase cannot. A count per wire format
 * lets fan-out build only the frames someone needs.
 *
 * Invariants: the ring, once primed, is contiguous up to `committed`; join_history is the
 * frame for the ring as it stands and is dropped on every commit. */
#include "chat/chat_channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "chat/chat_react.h"
#include "json/json_env.h"

typedef struct {
    uint64_t user;
    uint64_t seq;
} read_mark_t;

struct chat_channel {
    chat_recent_t recent[CHAT_RECENT];
    unsigned recent_head, recent_len;
    bool recent_primed;
    bool general;
    bool unstored;        /* its creation failed to commit */
    bool archived;        /* read-only (a stored property) */
    bool deleted;         /* deleted: a tombstone nobody finds, kept for pointers in flight */
    uint8_t kind;         /* a chat_kind_t */
    size_t slot;          /* the registry's index */
    blob_t *join_history; /* the history frame a joiner gets, until the next commit */
    unsigned join_want;   /* how many messages it holds at most */
    char name[CHAT_CHANNEL_MAX + 1];
    char *topic;        /* never NULL */
    char *created_by;   /* "" for #general */
    uint64_t creator;   /* its user id, 0: none */
    int64_t created_ts; /* Unix ms */
    uint64_t *users;    /* stored members, sorted (none kept for #general: everyone) */
    size_t nusers, users_cap;
    read_mark_t *reads; /* sorted by user */
    size_t nreads, reads_cap;
    read_mark_t *notify; /* levels other than CHAT_NOTIFY_ALL (in seq), sorted by user */
    size_t nnotify, notify_cap;
    chat_react_t *reactions; /* NULL until the first */
    chat_pin_t *pins;        /* newest pin first; NULL until the first */
    size_t npins, pins_cap;
    uint64_t everyone_seq;
    uint64_t committed;
    uint64_t *lines; /* the seqs of its channel lines, ascending: unread does not count them */
    size_t nlines, lines_cap;
    chat_link_t **members;
    uint32_t nmembers, members_cap;
    unsigned nfmt[CHAT_FMT_COUNT];
};

static void pins_free(chat_channel_t *ch);

chat_channel_t *chat_channel_new(const char *name, chat_kind_t kind, const char *topic,
                                 const char *created_by, uint64_t creator_id, int64_t ts,
                                 bool general)
{
    chat_channel_t *ch = xcalloc(1, sizeof(*ch));
    snprintf(ch->name, sizeof(ch->name), "%s", name);
    ch->kind = (uint8_t)kind;
    ch->general = general;
    ch->topic = xstrdup(topic ? topic : "");
    ch->created_by = xstrdup(created_by ? created_by : "");
    ch->creator = creator_id;
    ch->created_ts = ts;
    ch->recent_primed = true; /* nothing committed yet: an empty ring is complete */
    return ch;
}

static chat_recent_t *recent_at(chat_channel_t *ch, unsigned i)
{
    return &ch->recent[(ch->recent_head + i) % CHAT_RECENT];
}

static const chat_recent_t *recent_at_c(const chat_channel_t *ch, unsigned i)
{
    return &ch->recent[(ch->recent_head + i) % CHAT_RECENT];
}

void chat_channel_free(chat_channel_t *ch)
{
    if (!ch)
        return;
    for (unsigned i = 0; i < ch->recent_len; i++) {
        blob_unref(recent_at(ch, i)->frame);
    }
    chat_react_free(ch->reactions);
    pins_free(ch);
    blob_unref(ch->join_history);
    free(ch->members);
    free(ch->users);
    free(ch->reads);
    free(ch->lines);
    free(ch->notify);
    free(ch->topic);
    free(ch->created_by);
    free(ch);
}

/* ---- stored properties ---- */

size_t chat_channel_slot(const chat_channel_t *ch)
{
    return ch->slot;
}

void chat_channel_set_slot(chat_channel_t *ch, size_t slot)
{
    ch->slot = slot;
}

const char *chat_channel_name(const chat_channel_t *ch)
{
    return ch->name;
}

chat_kind_t chat_channel_kind(const chat_channel_t *ch)
{
    return (chat_kind_t)ch->kind;
}

const char *chat_channel_kind_name(const chat_channel_t *ch)
{
    return ch->kind == CHAT_KIND_DM ? "dm" : ch->kind == CHAT_KIND_PRIVATE ? "private" : "public";
}

bool chat_channel_is_general(const chat_channel_t *ch)
{
    return ch->general;
}

const char *chat_channel_topic(const chat_channel_t *ch)
{
    return ch->topic;
}

void chat_channel_set_topic(chat_channel_t *ch, const char *topic)
{
    free(ch->topic);
    ch->topic = xstrdup(topic);
}

void chat_channel_set_kind(chat_channel_t *ch, chat_kind_t kind)
{
    ch->kind = (uint8_t)kind;
}

bool chat_channel_unstored(const chat_channel_t *ch)
{
    return ch->unstored || ch->deleted;
}

bool chat_channel_archived(const chat_channel_t *ch)
{
    return ch->archived;
}

void chat_channel_set_archived(chat_channel_t *ch, bool archived)
{
    ch->archived = archived;
}

bool chat_channel_deleted(const chat_channel_t *ch)
{
    return ch->deleted;
}

void chat_channel_set_deleted(chat_channel_t *ch, bool deleted)
{
    ch->deleted = deleted;
}

void chat_channel_forget(chat_channel_t *ch)
{
    for (unsigned i = 0; i < ch->recent_len; i++)
        blob_unref(recent_at(ch, i)->frame);
    ch->recent_len = 0;
    ch->recent_primed = false; /* nothing is answered from it again */
    blob_unref(ch->join_history);
    ch->join_history = NULL;
    chat_react_free(ch->reactions);
    ch->reactions = NULL;
    pins_free(ch);
    free(ch->users);
    free(ch->reads);
    free(ch->lines);
    free(ch->notify);
    ch->users = NULL;
    ch->reads = NULL;
    ch->lines = NULL;
    ch->nlines = ch->lines_cap = 0;
    ch->notify = NULL;
    ch->nusers = ch->users_cap = ch->nreads = ch->reads_cap = 0;
    ch->nnotify = ch->notify_cap = 0;
}

void chat_channel_set_unstored(chat_channel_t *ch, bool unstored)
{
    ch->unstored = unstored;
}

void chat_channel_set_creator(chat_channel_t *ch, const char *created_by, uint64_t creator_id,
                              int64_t ts)
{
    free(ch->created_by);
    ch->created_by = xstrdup(created_by ? created_by : "");
    ch->creator = creator_id;
    ch->created_ts = ts;
}

store_channel_t chat_channel_row(const chat_channel_t *ch)
{
    return (store_channel_t){.name = ch->name,
                             .kind = chat_channel_kind_name(ch),
                             .topic = ch->topic,
                             .created_by = ch->created_by,
                             .creator_id = ch->creator,
                             .ts = ch->created_ts,
                             .archived = ch->archived};
}

bool chat_channel_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > CHAT_CHANNEL_MAX || name[0] == '-' || name[0] == '_')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* ---- members and read markers ---- */

/* Binary search of key among n records of `size` bytes sorted by the uint64_t each starts
 * with: its index, or where it would go (*found false). */
static size_t id_pos(const void *base, size_t n, size_t size, uint64_t key, bool *found)
{
    size_t lo = 0, hi = n;
    *found = false;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint64_t id;
        memcpy(&id, (const char *)base + mid * size, sizeof(id));
        if (id == key) {
            *found = true;
            return mid;
        }
        if (id < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint64_t chat_channel_creator(const chat_channel_t *ch)
{
    return ch->creator;
}

bool chat_channel_has_user(const chat_channel_t *ch, uint64_t user)
{
    bool found;
    if (ch->general)
        return true;
    id_pos(ch->users, ch->nusers, sizeof(*ch->users), user, &found);
    return found && user != 0;
}

void chat_channel_user_add(chat_channel_t *ch, uint64_t user)
{
    bool found;
    size_t i = id_pos(ch->users, ch->nusers, sizeof(*ch->users), user, &found);
    if (found || ch->general || user == 0)
        return;
    if (ch->nusers == ch->users_cap) {
        ch->users_cap = ch->users_cap ? ch->users_cap * 2 : 8;
        ch->users = xrealloc(ch->users, ch->users_cap * sizeof(*ch->users));
    }
    memmove(ch->users + i + 1, ch->users + i, (ch->nusers - i) * sizeof(*ch->users));
    ch->users[i] = user;
    ch->nusers++;
}

void chat_channel_user_remove(chat_channel_t *ch, uint64_t user)
{
    bool found;
    size_t i = id_pos(ch->users, ch->nusers, sizeof(*ch->users), user, &found);
    if (!found)
        return;
    memmove(ch->users + i, ch->users + i + 1, (ch->nusers - i - 1) * sizeof(*ch->users));
    ch->nusers--;
}

size_t chat_channel_nusers(const chat_channel_t *ch)
{
    return ch->nusers;
}

uint64_t chat_channel_user_at(const chat_channel_t *ch, size_t i)
{
    return ch->users[i];
}

uint64_t chat_channel_read_get(const chat_channel_t *ch, uint64_t user)
{
    bool found;
    size_t i = id_pos(ch->reads, ch->nreads, sizeof(*ch->reads), user, &found);
    return found ? ch->reads[i].seq : 0;
}

void chat_channel_read_set(chat_channel_t *ch, uint64_t user, uint64_t seq)
{
    bool found;
    size_t i = id_pos(ch->reads, ch->nreads, sizeof(*ch->reads), user, &found);
    if (found) {
        if (seq > ch->reads[i].seq)
            ch->reads[i].seq = seq;
        return;
    }
    if (user == 0)
        return;
    if (ch->nreads == ch->reads_cap) {
        ch->reads_cap = ch->reads_cap ? ch->reads_cap * 2 : 8;
        ch->reads = xrealloc(ch->reads, ch->reads_cap * sizeof(*ch->reads));
    }
    memmove(ch->reads + i + 1, ch->reads + i, (ch->nreads - i) * sizeof(*ch->reads));
    ch->reads[i] = (read_mark_t){user, seq};
    ch->nreads++;
}

void chat_channel_read_restore(chat_channel_t *ch, uint64_t user, uint64_t seq)
{
    bool found;
    size_t i = id_pos(ch->reads, ch->nreads, sizeof(*ch->reads), user, &found);
    if (found)
        ch->reads[i].seq = seq;
}

chat_notify_level_t chat_channel_notify_get(const chat_channel_t *ch, uint64_t user)
{
    bool found;
    size_t i = id_pos(ch->notify, ch->nnotify, sizeof(*ch->notify), user, &found);
    return found ? (chat_notify_level_t)ch->notify[i].seq : CHAT_NOTIFY_ALL;
}

void chat_channel_notify_set(chat_channel_t *ch, uint64_t user, chat_notify_level_t level)
{
    bool found;
    size_t i = id_pos(ch->notify, ch->nnotify, sizeof(*ch->notify), user, &found);
    if (found && level != CHAT_NOTIFY_ALL) {
        ch->notify[i].seq = level;
    } else if (found) {
        memmove(ch->notify + i, ch->notify + i + 1, (ch->nnotify - i - 1) * sizeof(*ch->notify));
        ch->nnotify--;
    } else if (level != CHAT_NOTIFY_ALL && user != 0) {
        if (ch->nnotify == ch->notify_cap) {
            ch->notify_cap = ch->notify_cap ? ch->notify_cap * 2 : 8;
            ch->notify = xrealloc(ch->notify, ch->notify_cap * sizeof(*ch->notify));
        }
        memmove(ch->notify + i + 1, ch->notify + i, (ch->nnotify - i) * sizeof(*ch->notify));
        ch->notify[i] = (read_mark_t){user, level};
        ch->nnotify++;
    }
}

size_t chat_channel_notify_count(const chat_channel_t *ch)
{
    return ch->nnotify;
}

uint64_t chat_channel_notify_user_at(const chat_channel_t *ch, size_t i)
{
    return ch->notify[i].user;
}

const char *chat_channel_notify_name(chat_notify_level_t level)
{
    return level == CHAT_NOTIFY_MUTED      ? "muted"
           : level == CHAT_NOTIFY_MENTIONS ? "mentions"
                                           : "all";
}

bool chat_channel_notify_parse(const char *name, chat_notify_level_t *out)
{
    static const chat_notify_level_t all[] = {CHAT_NOTIFY_ALL, CHAT_NOTIFY_MENTIONS,
                                              CHAT_NOTIFY_MUTED};
    for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(name, chat_channel_notify_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

/* ---- reactions and mentions ---- */

bool chat_channel_reacted(const chat_channel_t *ch, uint64_t target, const char *emoji,
                          uint64_t user)
{
    return ch->reactions && chat_react_has(ch->reactions, target, user, emoji);
}

void chat_channel_reaction_set(chat_channel_t *ch, uint64_t target, const char *emoji,
                               uint64_t user, bool on)
{
    if (!ch->reactions && !on)
        return;
    if (!ch->reactions)
        ch->reactions = chat_react_new();
    chat_react_set(ch->reactions, target, user, emoji, on);
}

const char *chat_channel_react_refusal(const chat_channel_t *ch, uint64_t target, const char *emoji,
                                       uint64_t user)
{
    const chat_react_t *r = ch->reactions;
    if (!r)
        return NULL;
    if (!chat_react_any(r, target, emoji) && chat_react_distinct(r, target) >= CHAT_REACT_EMOJI_MAX)
        return "that message has as many different reactions as it may: use one of them";
    if (chat_react_mine(r, target, user) >= CHAT_REACT_USER_MAX)
        return "you have put as many reactions on that message as one may";
    return NULL;
}

uint64_t chat_channel_everyone_seq(const chat_channel_t *ch)
{
    return ch->everyone_seq;
}

void chat_channel_note_everyone(chat_channel_t *ch, uint64_t seq)
{
    if (seq > ch->everyone_seq)
        ch->everyone_seq = seq;
}

/* ---- channel lines ---- */

void chat_channel_note_line(chat_channel_t *ch, uint64_t seq)
{
    size_t i = ch->nlines;
    while (i > 0 && ch->lines[i - 1] >= seq) /* nearly always appended at the end */
        i--;
    if (i < ch->nlines && ch->lines[i] == seq)
        return;
    if (ch->nlines == ch->lines_cap) {
        ch->lines_cap = ch->lines_cap ? ch->lines_cap * 2 : 8;
        ch->lines = xrealloc(ch->lines, ch->lines_cap * sizeof(*ch->lines));
    }
    memmove(ch->lines + i + 1, ch->lines + i, (ch->nlines - i) * sizeof(*ch->lines));
    ch->lines[i] = seq;
    ch->nlines++;
}

uint64_t chat_channel_unread(const chat_channel_t *ch, uint64_t user)
{
    uint64_t read = chat_channel_read_get(ch, user);
    if (ch->committed <= read)
        return 0;
    size_t lo = 0, hi = ch->nlines; /* the first line after the marker */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ch->lines[mid] <= read)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t after = 0;
    for (size_t i = lo; i < ch->nlines && ch->lines[i] <= ch->committed; i++)
        after++;
    uint64_t n = ch->committed - read;
    return n > after ? n - after : 0;
}

/* ---- pins: a short array (CHAT_PINS_MAX), newest pin first ---- */

static size_t pin_find(const chat_channel_t *ch, uint64_t target)
{
    size_t i = 0;
    while (i < ch->npins && ch->pins[i].target != target)
        i++;
    return i;
}

bool chat_channel_pinned(const chat_channel_t *ch, uint64_t target)
{
    return pin_find(ch, target) < ch->npins;
}

size_t chat_channel_npins(const chat_channel_t *ch)
{
    return ch->npins;
}

const chat_pin_t *chat_channel_pins(const chat_channel_t *ch)
{
    return ch->pins;
}

void chat_channel_pin_set(chat_channel_t *ch, const chat_pin_t *pin, bool on)
{
    size_t i = pin_find(ch, pin->target);
    if (i < ch->npins) { /* unpinned, or pinned again: it moves to the front */
        free(ch->pins[i].user);
        memmove(&ch->pins[i], &ch->pins[i + 1], (--ch->npins - i) * sizeof(*ch->pins));
    }
    if (!on)
        return;
    if (ch->npins == ch->pins_cap) {
        ch->pins_cap = ch->pins_cap ? ch->pins_cap * 2 : 8;
        ch->pins = xrealloc(ch->pins, ch->pins_cap * sizeof(*ch->pins));
    }
    memmove(&ch->pins[1], &ch->pins[0], ch->npins++ * sizeof(*ch->pins));
    ch->pins[0] = *pin;
    ch->pins[0].user = pin->user ? xstrdup(pin->user) : NULL;
}

static void pins_free(chat_channel_t *ch)
{
    for (size_t i = 0; i < ch->npins; i++)
        free(ch->pins[i].user);
    free(ch->pins);
    ch->pins = NULL;
    ch->npins = ch->pins_cap = 0;
}

/* ---- commits and the ring ---- */

uint64_t chat_channel_committed(const chat_channel_t *ch)
{
    return ch->committed;
}

static void recent_push(chat_channel_t *ch, const store_msg_t *m, blob_t *frame)
{
    if (ch->recent_len == CHAT_RECENT) {
        blob_unref(recent_at(ch, 0)->frame);
        ch->recent_head = (ch->recent_head + 1) % CHAT_RECENT;
        ch->recent_len--;
    }
    chat_recent_t *r = recent_at(ch, ch->recent_len++);
    int k = chat_ev_parse(m->kind ? m->kind : "msg");
    *r = (chat_recent_t){.seq = m->seq,
                         .frame = blob_ref(frame),
                         .user_id = m->user_id,
                         .thread = m->thread,
                         .target = m->target,
                         .ts = m->ts,
                         .kind = (uint8_t)(k < 0 ? CHAT_EV_MSG : k),
                         .deleted = m->deleted};
    if (k == CHAT_EV_DELETE)
        chat_channel_recent_delete(ch, m->target);
    blob_unref(ch->join_history);
    ch->join_history = NULL;
}

/* The frame of ring entry r, its payload changed: text (with its mentions) replaced, and
 * "deleted" or "edited" set, as the store now answers it. */
static void recent_rewrite(chat_recent_t *r, const char *text, const char *mark)
{
    const char *p;
    size_t len;
    chat_frame_payload(r->frame, &p, &len);
    json_t *o = json_loadb(p, len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return;
    }
    json_object_set_new(o, "text", json_string(text));
    json_object_del(o, "mentions");
    chat_mention_t ms[CHAT_MENTIONS_MAX];
    size_t n = text[0] == '@' || strchr(text, '@') ? chat_mentions(text, ms) : 0;
    if (n) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_stringn(ms[i].name, ms[i].len));
        json_object_set_new(o, "mentions", a);
    }
    if (mark)
        json_object_set_new(o, mark, json_true());
    char *payload = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!payload)
        return;
    const char *type = r->kind == CHAT_EV_EDIT ? "edit" : "msg";
    buf_t b = BUF_INIT;
    buf_appendf(&b, "{\"type\":\"%s\",\"payload\":%s}", type, payload);
    free(payload);
    blob_unref(r->frame);
    r->frame = chat_frame_buf(&b);
    buf_deinit(&b);
}

/* A committed edit or delete m: its target's frame in the ring (and, for a delete, the
 * frames of the target's edits) say what the store says now, so that a later joiner is
 * never served a text that was replaced or deleted. */
static void recent_apply(chat_channel_t *ch, const store_msg_t *m, int kind)
{
    chat_recent_t *t = (chat_recent_t *)chat_channel_recent(ch, m->target);
    if (kind == CHAT_EV_EDIT && t && t->kind == CHAT_EV_MSG && !t->deleted) {
        recent_rewrite(t, m->text, "edited");
    } else if (kind == CHAT_EV_EDIT && t) {
        /* an edit of nothing readable: the store keeps no text for it either */
        chat_recent_t *e = (chat_recent_t *)chat_channel_recent(ch, m->seq);
        if (e)
            recent_rewrite(e, "", NULL);
    } else if (kind == CHAT_EV_DELETE) {
        if (t && t->kind == CHAT_EV_MSG)
            recent_rewrite(t, "", "deleted");
        for (unsigned i = 0; i < ch->recent_len; i++) {
            chat_recent_t *e = recent_at(ch, i);
            if (e->kind == CHAT_EV_EDIT && e->target == m->target)
                recent_rewrite(e, "", NULL);
        }
    }
}

void chat_channel_commit(chat_channel_t *ch, const store_msg_t *m, blob_t *json_frame)
{
    ch->committed = m->seq;
    recent_push(ch, m, json_frame);
    int kind = chat_ev_parse(m->kind ? m->kind : "msg");
    if (chat_ev_is_line(kind))
        chat_channel_note_line(ch, m->seq);
    if (kind == CHAT_EV_EDIT || kind == CHAT_EV_DELETE)
        recent_apply(ch, m, kind);
    if (kind == CHAT_EV_PIN || kind == CHAT_EV_UNPIN || kind == CHAT_EV_DELETE) {
        chat_pin_t pin = {.target = m->target,
                          .seq = m->seq,
                          .user_id = m->user_id,
                          .ts = m->ts,
                          .user = (char *)m->user};
        chat_channel_pin_set(ch, &pin, kind == CHAT_EV_PIN);
    }
}

void chat_channel_set_committed(chat_channel_t *ch, uint64_t seq)
{
    ch->committed = seq;
    ch->recent_primed = seq == 0;
}

void chat_channel_prime(chat_channel_t *ch, const store_msg_t *msgs, size_t n)
{
    if (ch->recent_len)
        return; /* something committed meanwhile: the ring is not contiguous with msgs */
    /* The read may hold writes whose callbacks have not fired yet (store.h): they come
     * through their own commit, and the ring must not hold them twice. */
    size_t all = n;
    while (n && msgs[n - 1].seq > ch->committed)
        n--;
    if (all && !n)
        return; /* nothing of it is committed here yet: not primed */
    for (size_t i = 0; i < n; i++) {
        blob_t *f = chat_event_frame(ch->name, &msgs[i]);
        recent_push(ch, &msgs[i], f);
        blob_unref(f);
    }
    ch->recent_primed = n == 0 || msgs[n - 1].seq == ch->committed;
}

const chat_recent_t *chat_channel_recent(const chat_channel_t *ch, uint64_t seq)
{
    if (!ch->recent_len)
        return NULL;
    uint64_t oldest = ch->recent[ch->recent_head].seq;
    if (seq < oldest || seq > oldest + ch->recent_len - 1)
        return NULL;
    return recent_at_c(ch, (unsigned)(seq - oldest));
}

void chat_channel_recent_delete(chat_channel_t *ch, uint64_t seq)
{
    chat_recent_t *r = (chat_recent_t *)chat_channel_recent(ch, seq);
    if (r)
        r->deleted = true;
}

void chat_channel_recent_undelete(chat_channel_t *ch, uint64_t seq)
{
    chat_recent_t *r = (chat_recent_t *)chat_channel_recent(ch, seq);
    if (r)
        r->deleted = false;
}

bool chat_channel_recent_covers(const chat_channel_t *ch, uint64_t after)
{
    if (!ch->recent_primed || after > ch->committed)
        return false;
    uint64_t oldest = ch->recent_len ? ch->recent[ch->recent_head].seq : ch->committed + 1;
    return after + 1 >= oldest;
}

blob_t *chat_channel_recent_frame(const chat_channel_t *ch, uint64_t seq)
{
    return chat_channel_recent(ch, seq)->frame;
}

/* The reply counts of the n newest entries (from `from`). A reply is newer than its parent,
 * so every reply of a message in the ring is in the ring too: counting is exact. */
static store_msg_t *thread_sums(chat_channel_t *ch, unsigned from, unsigned n)
{
    store_msg_t *sum = n ? xcalloc(n, sizeof(*sum)) : NULL;
    uint64_t first = n ? recent_at(ch, from)->seq : 0;
    for (unsigned i = from; i < ch->recent_len; i++) {
        const chat_recent_t *r = recent_at(ch, i);
        if (r->kind != CHAT_EV_MSG || r->thread < first || r->thread - first >= n)
            continue;
        store_msg_t *p = &sum[r->thread - first];
        p->replies++;
        p->last_reply = r->seq;
        p->last_reply_ts = r->ts;
    }
    return sum;
}

blob_t *chat_channel_join_history(chat_channel_t *ch, unsigned want, bool plain)
{
    if (!ch->recent_primed || (ch->recent_len < want && ch->recent_len < ch->committed))
        return NULL;
    if (!plain && ch->join_history && ch->join_want == want)
        return blob_ref(ch->join_history);
    unsigned n = ch->recent_len < want ? ch->recent_len : want;
    unsigned from = ch->recent_len - n;
    store_msg_t *sum = thread_sums(ch, from, n);
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"history\",\"payload\":{\"channel\":");
    json_append_string(&b, ch->name, strlen(ch->name));
    buf_append_str(&b, ",\"messages\":[");
    bool first = true;
    for (unsigned i = from; i < ch->recent_len; i++) {
        const char *p;
        size_t len;
        const chat_recent_t *r = recent_at(ch, i);
        if (plain && (r->kind != CHAT_EV_MSG || r->deleted))
            continue;
        chat_frame_payload(r->frame, &p, &len);
        if (!first)
            buf_append_str(&b, ",");
        first = false;
        const store_msg_t *t = &sum[i - from];
        if (!t->replies) {
            buf_append(&b, p, len);
            continue;
        }
        buf_append(&b, p, len - 1); /* the payload without its closing brace */
        chat_replies_json(&b, t->replies, t->last_reply, t->last_reply_ts);
        buf_append_str(&b, "}");
    }
    free(sum);
    bool more = n ? recent_at(ch, from)->seq > 1 : ch->committed > 0;
    buf_appendf(&b, "],\"more\":%s}}", more ? "true" : "false");
    if (plain) { /* rare (clients without events): built for each, not kept */
        blob_t *f = chat_frame_buf(&b);
        buf_deinit(&b);
        return f;
    }
    blob_unref(ch->join_history);
    ch->join_history = chat_frame_buf(&b);
    ch->join_want = want;
    buf_deinit(&b);
    return blob_ref(ch->join_history);
}

/* ---- connected members ---- */

void chat_channel_link(chat_channel_t *ch, chat_link_t *l)
{
    l->ch = ch;
    if (ch->nmembers == ch->members_cap) {
        ch->members_cap = ch->members_cap ? ch->members_cap * 2 : 4;
        ch->members = xrealloc(ch->members, ch->members_cap * sizeof(*ch->members));
    }
    l->pos = ch->nmembers;
    ch->members[ch->nmembers++] = l;
    chat_link_advance(l, ch->committed);
    if (l->fmt < CHAT_FMT_COUNT)
        ch->nfmt[l->fmt]++;
}

void chat_channel_unlink(chat_channel_t *ch, chat_link_t *l)
{
    chat_link_t *last = ch->members[--ch->nmembers];
    ch->members[l->pos] = last;
    last->pos = l->pos;
    /* A crowd that left gives its memory back (a quarter full: halved, still twice enough). */
    if (ch->members_cap > 64 && ch->nmembers < ch->members_cap / 4) {
        ch->members_cap /= 2;
        ch->members = xrealloc(ch->members, ch->members_cap * sizeof(*ch->members));
    }
    if (l->fmt < CHAT_FMT_COUNT)
        ch->nfmt[l->fmt]--;
}

size_t chat_channel_members(const chat_channel_t *ch, chat_link_t *const **out)
{
    *out = ch->members;
    return ch->nmembers;
}

unsigned chat_channel_nfmt(const chat_channel_t *ch, chat_fmt_t fmt)
{
    return ch->nfmt[fmt];
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A DM's member names, sorted: clients show them, not the channel's name. */
static void dm_users_json(const chat_channel_t *ch, const auth_t *auth, buf_t *out)
{
    const char *names[CHAT_DM_MAX];
    size_t n = 0;
    for (size_t i = 0; i < ch->nusers && n < CHAT_DM_MAX; i++) {
        const auth_user_t *u = auth_user(auth, ch->users[i]);
        if (u)
            names[n++] = u->name;
    }
    qsort(names, n, sizeof(*names), name_cmp);
    buf_append_str(out, ",\"users\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_append_str(out, ",");
        json_append_string(out, names[i], strlen(names[i]));
    }
    buf_append_str(out, "]");
}

void chat_channel_json(const chat_channel_t *ch, const auth_t *auth, uint64_t user, size_t members,
                       int64_t mentions, buf_t *out)
{
    buf_append_str(out, "{\"name\":");
    json_append_string(out, ch->name, strlen(ch->name));
    buf_appendf(out, ",\"kind\":\"%s\",\"topic\":", chat_channel_kind_name(ch));
    json_append_string(out, ch->topic, strlen(ch->topic));
    if (ch->kind == CHAT_KIND_DM)
        dm_users_json(ch, auth, out);
    if (ch->archived)
        buf_append_str(out, ",\"archived\":true");
    buf_appendf(out, ",\"members\":%zu,\"last_seq\":%llu", members,
                (unsigned long long)ch->committed);
    if (user) {
        uint64_t read = chat_channel_read_get(ch, user);
        buf_appendf(out, ",\"read_seq\":%llu,\"unread\":%llu", (unsigned long long)read,
                    (unsigned long long)chat_channel_unread(ch, user));
        chat_notify_level_t level = chat_channel_notify_get(ch, user);
        if (level != CHAT_NOTIFY_ALL)
            buf_appendf(out, ",\"notify\":\"%s\"", chat_channel_notify_name(level));
    }
    if (mentions >= 0)
        buf_appendf(out, ",\"mentions\":%lld", (long long)mentions);
    buf_append_str(out, "}");
}
