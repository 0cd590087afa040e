/* tui_state - the actions the full-screen client's modules share: notices, switching the
 * conversation shown (loading its history once, moving the read marker), opening a thread,
 * and the one reply callback of every request, which puts errors in the status line and
 * answers (history pages, threads, search results, a conversation joined) in the model. */
#include "tui/tui_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

void tui_notice(tui_t *t, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->notice, sizeof t->notice, fmt, ap);
    va_end(ap);
    t->notice_error = error;
    t->dirty = true;
}

void tui_know(tui_t *t, const char *name)
{
    if (!name || !*name)
        return;
    for (size_t i = 0; i < t->nnames; i++)
        if (strcmp(t->names[i], name) == 0)
            return;
    t->names = xrealloc(t->names, (t->nnames + 1) * sizeof *t->names);
    t->names[t->nnames++] = xstrdup(name);
}

void tui_sent(tui_t *t, int64_t rc)
{
    if (rc == CLIENT_EOFFLINE)
        tui_notice(t, true, "not connected: try again once reconnected");
    else if (rc == CLIENT_EINVAL)
        tui_notice(t, true, "the server would refuse that (empty text or a bad emoji)");
    else if (rc > 0)
        t->notice[0] = 0; /* a request on its way: an older notice is stale */
}

static void load_history(tui_t *t, tui_conv_t *c)
{
    if (c->loaded || t->history_asked)
        return;
    int64_t rc = client_history(t->client, c->name, 0, -1, TUI_HISTORY_PAGE, tui_reply_cb, t);
    t->history_asked = rc > 0;
}

void tui_mark_read(tui_t *t, tui_conv_t *c)
{
    if (c->top > 0 && t->conn == TUI_CONN_ONLINE)
        (void)client_read(t->client, c->name, c->top, NULL, NULL);
}

void tui_switch(tui_t *t, size_t idx)
{
    if (idx >= t->model.nconvs)
        return;
    tui_model_select(&t->model, idx);
    tui_conv_t *c = tui_model_current(&t->model);
    t->scroll = 0;
    t->history_asked = false;
    t->dirty = true;
    load_history(t, c);
    tui_mark_read(t, c);
}

void tui_open_thread(tui_t *t, int64_t seq)
{
    tui_conv_t *c = tui_model_current(&t->model);
    if (!c)
        return;
    free(t->model.thread_chan);
    t->model.thread_chan = xstrdup(c->name);
    t->model.thread_seq = seq;
    t->thread_open = true;
    json_decref(t->results);
    t->results = NULL;
    t->dirty = true;
    tui_sent(t, client_thread(t->client, c->name, seq, tui_reply_cb, t));
}

static const char *payload_channel(const json_t *p)
{
    const char *s = json_string_value(json_object_get(p, "channel"));
    return s ? s : "";
}

void tui_reply_cb(client_t *c, const client_reply_t *r, void *arg)
{
    tui_t *t = arg;
    t->dirty = true;
    if (r->code) {
        if (strcmp(r->code, "stopped") != 0)
            tui_notice(t, true, "%s: %s", r->code, r->message ? r->message : "refused");
        t->history_asked = false;
        return;
    }
    const json_t *p = r->payload;
    if (strcmp(r->type, "history") == 0) {
        tui_model_history(&t->model, c, payload_channel(p), p, false);
        t->history_asked = false;
        tui_conv_t *cur = tui_model_current(&t->model);
        if (cur && strcmp(cur->name, payload_channel(p)) == 0)
            tui_mark_read(t, cur);
    } else if (strcmp(r->type, "thread") == 0) {
        tui_model_history(&t->model, c, payload_channel(p), p, true);
    } else if (strcmp(r->type, "results") == 0) {
        json_decref(t->results);
        t->results = json_deep_copy(p);
    } else if (strcmp(r->type, "channel") == 0) {
        /* Joined, created or a direct message opened: show it. */
        const char *name =
            json_string_value(json_object_get(json_object_get(p, "channel"), "name"));
        size_t idx;
        if (name && tui_model_find(&t->model, name, &idx))
            tui_switch(t, idx);
        else if (name) /* the `channel` event comes after this answer: switch then */
            snprintf(t->pending, sizeof t->pending, "%s", name);
    } else if (strcmp(r->type, "invited") == 0) {
        tui_notice(t, false, "invited");
    }
}
