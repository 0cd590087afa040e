/* tui_model - the conversations and their messages, as the full-screen client shows them.
 *
 * Each conversation holds its rows (messages, thread replies and channel lines) in one array
 * sorted by seq; events (edit, delete, react) are folded onto their target and remembered
 * only through the conversation's `top` seq. A row is inserted once per seq, so history pages,
 * resumes and live messages may overlap freely. A parent's reply count is the history's
 * `replies.count` plus the replies inserted afterwards with a seq above its `last_seq`. */
#include "tui/tui_model.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static const char *str(const char *s)
{
    return s ? s : "";
}

static void msg_free(tui_msg_t *x)
{
    free(x->user);
    free(x->text);
    for (size_t i = 0; i < x->nreacts; i++) {
        for (size_t j = 0; j < x->reacts[i].nusers; j++)
            free(x->reacts[i].users[j]);
        free(x->reacts[i].users);
        free(x->reacts[i].emoji);
    }
    free(x->reacts);
}

static void conv_free(tui_conv_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        msg_free(&c->msgs[i]);
    free(c->msgs);
    free(c->name);
    free(c->label);
    free(c->topic);
    free(c);
}

void tui_model_init(tui_model_t *m)
{
    memset(m, 0, sizeof *m);
}

void tui_model_deinit(tui_model_t *m)
{
    for (size_t i = 0; i < m->nconvs; i++)
        conv_free(m->convs[i]);
    free(m->convs);
    free(m->me);
    free(m->thread_chan);
    memset(m, 0, sizeof *m);
}

tui_conv_t *tui_model_find(const tui_model_t *m, const char *name, size_t *idx)
{
    for (size_t i = 0; i < m->nconvs; i++) {
        if (strcmp(m->convs[i]->name, name) == 0) {
            if (idx)
                *idx = i;
            return m->convs[i];
        }
    }
    return NULL;
}

tui_conv_t *tui_model_current(const tui_model_t *m)
{
    return m->cur < m->nconvs ? m->convs[m->cur] : NULL;
}

/* A direct message is shown by the others in it: "@bob, carol". */
static char *dm_label(const tui_model_t *m, const client_channel_t *ch)
{
    char buf[512] = "@";
    for (size_t k = 0; k < ch->n_users; k++) {
        const char *u = ch->users[k];
        if (!u || (m->me && strcmp(u, m->me) == 0))
            continue;
        if (buf[1])
            strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
        strncat(buf, u, sizeof buf - strlen(buf) - 1);
    }
    return xstrdup(buf[1] ? buf : "@me");
}

/* Channels first, then direct messages, each by name: Alt+number follows this order. */
static int conv_cmp(const void *a, const void *b)
{
    const tui_conv_t *x = *(tui_conv_t *const *)a, *y = *(tui_conv_t *const *)b;
    if (x->dm != y->dm)
        return x->dm ? 1 : -1;
    if (strcmp(x->name, "general") == 0 || strcmp(y->name, "general") == 0)
        return strcmp(x->name, "general") == 0 ? -1 : 1;
    return strcmp(x->label, y->label);
}

static void conv_sort(tui_model_t *m)
{
    tui_conv_t *cur = tui_model_current(m);
    qsort(m->convs, m->nconvs, sizeof *m->convs, conv_cmp);
    for (size_t i = 0; cur && i < m->nconvs; i++)
        if (m->convs[i] == cur)
            m->cur = i;
}

int tui_model_channel(tui_model_t *m, const client_channel_t *ch)
{
    const char *name = ch->name;
    if (!name || !*name)
        return -1;
    tui_conv_t *c = tui_model_find(m, name, NULL);
    if (!c) {
        c = xcalloc(1, sizeof *c);
        c->name = xstrdup(name);
        m->convs = xrealloc(m->convs, (m->nconvs + 1) * sizeof *m->convs);
        m->convs[m->nconvs++] = c;
    }
    c->dm = strcmp(str(ch->kind), "dm") == 0;
    free(c->label);
    if (c->dm) {
        c->label = dm_label(m, ch);
    } else {
        c->label = xmalloc(strlen(name) + 2);
        c->label[0] = '#';
        strcpy(c->label + 1, name);
    }
    free(c->topic);
    c->topic = xstrdup(str(ch->topic));
    c->unread = (int)ch->unread;
    if (ch->mentions > 0 || ch->unread == 0)
        c->mentions = (int)ch->mentions;
    conv_sort(m);
    size_t idx = 0;
    tui_model_find(m, name, &idx);
    return (int)idx;
}

void tui_model_welcome(tui_model_t *m, const client_welcome_t *w)
{
    free(m->me);
    m->me = xstrdup(str(w->user));
    for (size_t i = 0; i < w->n_channels; i++)
        tui_model_channel(m, &w->channels[i]);
}

void tui_model_leave(tui_model_t *m, const char *name)
{
    size_t idx;
    tui_conv_t *c = tui_model_find(m, name, &idx);
    if (!c)
        return;
    conv_free(c);
    memmove(&m->convs[idx], &m->convs[idx + 1], (m->nconvs - idx - 1) * sizeof *m->convs);
    m->nconvs--;
    if (m->cur > idx || m->cur >= m->nconvs)
        m->cur = m->cur > 0 ? m->cur - 1 : 0;
}

/* Where seq is in c's rows, or where it would go (the rows are in seq order). */
static size_t row_index(const tui_conv_t *c, int64_t seq)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->msgs[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

tui_msg_t *tui_model_msg(const tui_conv_t *c, int64_t seq)
{
    size_t i = row_index(c, seq);
    return i < c->n && c->msgs[i].seq == seq ? &c->msgs[i] : NULL;
}

/* Inserts a row in seq order; NULL when that seq is already there. */
static tui_msg_t *insert_row(tui_conv_t *c, int64_t seq)
{
    size_t lo = row_index(c, seq);
    if (lo < c->n && c->msgs[lo].seq == seq)
        return NULL;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->msgs = xrealloc(c->msgs, c->cap * sizeof *c->msgs);
    }
    memmove(&c->msgs[lo + 1], &c->msgs[lo], (c->n - lo) * sizeof *c->msgs);
    c->n++;
    memset(&c->msgs[lo], 0, sizeof c->msgs[lo]);
    c->msgs[lo].seq = seq;
    return &c->msgs[lo];
}

static void set_react(tui_msg_t *t, const char *emoji, const char *user, bool on)
{
    tui_react_t *r = NULL;
    for (size_t i = 0; i < t->nreacts && !r; i++)
        if (strcmp(t->reacts[i].emoji, emoji) == 0)
            r = &t->reacts[i];
    if (!r) {
        if (!on)
            return;
        t->reacts = xrealloc(t->reacts, (t->nreacts + 1) * sizeof *t->reacts);
        r = &t->reacts[t->nreacts++];
        memset(r, 0, sizeof *r);
        r->emoji = xstrdup(emoji);
    }
    for (size_t j = 0; j < r->nusers; j++) {
        if (strcmp(r->users[j], user) == 0) {
            if (!on) {
                free(r->users[j]);
                r->users[j] = r->users[--r->nusers];
            }
            return;
        }
    }
    if (on) {
        r->users = xrealloc(r->users, (r->nusers + 1) * sizeof *r->users);
        r->users[r->nusers++] = xstrdup(user);
    }
}

size_t tui_model_react_count(const tui_msg_t *msg, const char *emoji)
{
    for (size_t i = 0; i < msg->nreacts; i++)
        if (strcmp(msg->reacts[i].emoji, emoji) == 0)
            return msg->reacts[i].nusers;
    return 0;
}

/* edit, delete, react: folded onto the target row, if we hold it. */
static void fold_event(tui_conv_t *c, const client_msg_t *x)
{
    tui_msg_t *t = tui_model_msg(c, x->target);
    if (!t)
        return;
    if (strcmp(x->kind, "edit") == 0) {
        free(t->text);
        t->text = xstrdup(str(x->text));
        t->edited = true;
    } else if (strcmp(x->kind, "delete") == 0) {
        free(t->text);
        t->text = xstrdup("");
        t->deleted = true;
    } else if (strcmp(x->kind, "react") == 0 && x->emoji && *x->emoji) {
        set_react(t, x->emoji, str(x->user), x->on);
    }
}

static bool is_line(const char *kind)
{
    return kind &&
           (strcmp(kind, "joined") == 0 || strcmp(kind, "left") == 0 || strcmp(kind, "topic") == 0);
}

static char *line_text(const client_msg_t *x)
{
    char buf[600];
    if (strcmp(x->kind, "joined") == 0)
        snprintf(buf, sizeof buf, "%s joined", str(x->member));
    else if (strcmp(x->kind, "left") == 0)
        snprintf(buf, sizeof buf, "%s left", str(x->member));
    else
        snprintf(buf, sizeof buf, "%s set the topic: %s", str(x->user), str(x->text));
    return xstrdup(buf);
}

/* A message or a channel line: a new row. Returns false for a duplicate. */
static bool add_row(tui_conv_t *c, const client_msg_t *m)
{
    tui_msg_t *x = insert_row(c, m->seq);
    if (!x)
        return false;
    bool line = is_line(m->kind);
    x->kind = line ? TUI_ROW_LINE : TUI_ROW_MSG;
    x->ts = m->ts;
    x->user = xstrdup(str(m->user));
    x->text = line ? line_text(m) : xstrdup(str(m->text));
    x->thread = m->thread;
    x->edited = m->edited;
    x->deleted = m->deleted;
    x->replies = (int)m->reply_count;
    x->replies_last = m->reply_last_seq;
    if (x->thread) {
        int64_t seq = x->seq;
        tui_msg_t *parent = tui_model_msg(c, x->thread);
        if (parent && seq > parent->replies_last) {
            parent->replies++;
            parent->replies_last = seq;
        }
    }
    return true;
}

static bool apply(tui_conv_t *c, const client_msg_t *x)
{
    bool fresh;
    if (!x->kind || is_line(x->kind)) {
        fresh = add_row(c, x);
    } else {
        /* Events are idempotent (an edit's text, a react's on/off), so folding one twice
         * is harmless; only the seq says whether it is news. */
        fresh = x->seq > c->top;
        fold_event(c, x);
    }
    if (x->seq > c->top)
        c->top = x->seq;
    return fresh;
}

void tui_model_history(tui_model_t *m, const client_t *cl, const char *channel,
                       const json_t *payload, bool is_thread)
{
    tui_conv_t *c = tui_model_find(m, channel, NULL);
    if (!c)
        return;
    size_t i = 0;
    json_t *row;
    json_array_foreach(json_object_get(payload, "messages"), i, row)
    {
        client_msg_t x;
        if (client_msg_parse(cl, row, &x) == 0)
            apply(c, &x);
    }
    if (!is_thread) {
        c->more = json_is_true(json_object_get(payload, "more"));
        c->loaded = true;
    }
}

void tui_model_topic(tui_model_t *m, const char *channel, const char *topic)
{
    tui_conv_t *c = tui_model_find(m, channel, NULL);
    if (c) {
        free(c->topic);
        c->topic = xstrdup(str(topic));
    }
}

bool tui_model_row(tui_model_t *m, const client_msg_t *x, bool mentions_me)
{
    tui_conv_t *c = tui_model_find(m, str(x->channel), NULL);
    if (!c || !apply(c, x))
        return false;
    if (!x->kind && !x->mine && c != tui_model_current(m) && !x->thread) {
        c->unread++;
        if (mentions_me || c->dm)
            c->mentions++;
    }
    return true;
}

void tui_model_select(tui_model_t *m, size_t idx)
{
    if (idx >= m->nconvs)
        return;
    m->cur = idx;
    m->convs[idx]->unread = 0;
    m->convs[idx]->mentions = 0;
}

tui_msg_t *tui_model_last(const tui_conv_t *c, const char *user)
{
    for (size_t i = c->n; i-- > 0;) {
        tui_msg_t *x = &c->msgs[i];
        if (x->kind == TUI_ROW_MSG && !x->thread && !x->deleted &&
            (!user || strcmp(x->user, user) == 0))
            return x;
    }
    return NULL;
}
