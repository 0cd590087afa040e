/* tui_lines - laying out messages as terminal lines.
 *
 * Grouping follows the web client (web/list.js decorate): a message joins the group above
 * when the same author wrote it within GROUP_GAP_MS on the same local day and no channel
 * line stands between. Text is wrapped by display columns (tui_text), indented two columns
 * under the head line, so wide characters and emoji never overrun the pane. */
#include "tui/tui_lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xmalloc.h"
#include "tui/tui_colour.h"
#include "tui/tui_text.h"

#define INDENT 2

static tui_line_t *new_line(tui_lines_t *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 128;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    tui_line_t *ln = &l->v[l->n++];
    memset(ln, 0, sizeof *ln);
    return ln;
}

/* Adds a segment of n characters of w (copied) to ln. */
static void seg(tui_line_t *ln, const wchar_t *w, size_t n, tui_style_t style, int hue)
{
    if (ln->nseg == TUI_LINE_SEGS)
        return;
    tui_seg_t *s = &ln->seg[ln->nseg++];
    s->text = xmalloc((n + 1) * sizeof *w);
    wmemcpy(s->text, w, n);
    s->text[n] = 0;
    s->n = n;
    s->style = style;
    s->hue = hue;
}

static void seg_utf8(tui_line_t *ln, const char *s, tui_style_t style, int hue)
{
    size_t n;
    wchar_t *w = tui_text_wide(s, &n);
    seg(ln, w, n, style, hue);
    free(w);
}

/* Wraps w into lines of width columns, each starting with indent spaces. */
static void wrap(tui_lines_t *out, const wchar_t *w, size_t n, int width, int indent,
                 tui_style_t style)
{
    static const wchar_t pad[] = L"        ";
    int cols = width - indent > 4 ? width - indent : 4;
    do {
        size_t skip, k = tui_text_fit(w, n, cols, &skip);
        tui_line_t *ln = new_line(out);
        if (indent)
            seg(ln, pad, (size_t)indent, TUI_S_TEXT, 0);
        seg(ln, w, k, style, 0);
        w += k + skip;
        n -= k + skip;
    } while (n > 0);
}

void tui_lines_text(tui_lines_t *out, const char *text, int width, tui_style_t style)
{
    size_t n;
    wchar_t *w = tui_text_wide(text, &n);
    wrap(out, w, n, width, 0, style);
    free(w);
}

static void local_tm(int64_t ts, struct tm *tm)
{
    time_t s = (time_t)(ts / 1000);
    localtime_r(&s, tm);
}

static void head(tui_lines_t *out, const tui_msg_t *x, const char *label)
{
    struct tm tm;
    char when[16];
    local_tm(x->ts, &tm);
    snprintf(when, sizeof when, "  %02d:%02d", tm.tm_hour, tm.tm_min);
    tui_line_t *ln = new_line(out);
    if (label) {
        seg_utf8(ln, label, TUI_S_DIM, 0);
        seg_utf8(ln, " ", TUI_S_DIM, 0);
    }
    seg_utf8(ln, x->user, TUI_S_NAME, tui_colour_hue(x->user));
    seg_utf8(ln, when, TUI_S_DIM, 0);
}

/* "_waves_" (what /me sends) is shown in italics without its marks. */
static bool is_action(const char *s, size_t n)
{
    return n > 2 && s[0] == '_' && s[n - 1] == '_' && !strchr(s + 1, '\n');
}

static void body(tui_lines_t *out, const tui_msg_t *x, int width)
{
    if (x->deleted) {
        wrap(out, L"(message deleted)", 17, width, INDENT, TUI_S_DIM);
        return;
    }
    size_t tn = strlen(x->text);
    bool action = is_action(x->text, tn);
    char *text = xmalloc(tn + 12);
    snprintf(text, tn + 12, "%.*s%s", (int)(action ? tn - 2 : tn), x->text + action,
             x->edited ? " (edited)" : "");
    /* Each line of the text wraps on its own. */
    for (char *p = text, *nl; p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        size_t n;
        wchar_t *w = tui_text_wide(p, &n);
        wrap(out, w, n, width, INDENT, action ? TUI_S_ITALIC : TUI_S_TEXT);
        free(w);
    }
    free(text);
}

static void reactions(tui_lines_t *out, const tui_msg_t *x)
{
    char buf[512] = "";
    for (size_t i = 0; i < x->nreacts; i++) {
        if (x->reacts[i].nusers == 0)
            continue;
        size_t k = strlen(buf);
        snprintf(buf + k, sizeof buf - k, "%s%s %zu", k ? "  " : "", x->reacts[i].emoji,
                 x->reacts[i].nusers);
    }
    if (!*buf)
        return;
    tui_line_t *ln = new_line(out);
    seg_utf8(ln, "  ", TUI_S_TEXT, 0);
    seg_utf8(ln, buf, TUI_S_REACT, 0);
}

void tui_lines_msg(tui_lines_t *out, const tui_msg_t *x, int width, const char *label)
{
    head(out, x, label);
    body(out, x, width);
    reactions(out, x);
}

static bool same_day(int64_t a, int64_t b)
{
    struct tm x, y;
    local_tm(a, &x);
    local_tm(b, &y);
    return x.tm_year == y.tm_year && x.tm_yday == y.tm_yday;
}

static void day_sep(tui_lines_t *out, int64_t ts)
{
    struct tm tm;
    char buf[64];
    local_tm(ts, &tm);
    strftime(buf, sizeof buf, "── %A, %d %B %Y ──", &tm);
    seg_utf8(new_line(out), buf, TUI_S_DIM, 0);
}

static void block(tui_lines_t *out, const tui_msg_t *x, const tui_msg_t *prev, int width,
                  bool in_thread)
{
    if (!prev || !same_day(prev->ts, x->ts))
        day_sep(out, x->ts);
    if (x->kind == TUI_ROW_LINE) {
        tui_line_t *ln = new_line(out);
        seg_utf8(ln, "— ", TUI_S_DIM, 0);
        seg_utf8(ln, x->text, TUI_S_DIM, 0);
        return;
    }
    bool grouped = prev && prev->kind == TUI_ROW_MSG && strcmp(prev->user, x->user) == 0 &&
                   x->ts - prev->ts < TUI_GROUP_GAP_MS && same_day(prev->ts, x->ts);
    if (!grouped)
        head(out, x, NULL);
    body(out, x, width);
    reactions(out, x);
    if (!in_thread && x->replies > 0) {
        char buf[48];
        snprintf(buf, sizeof buf, "  ↳ %d %s", x->replies, x->replies == 1 ? "reply" : "replies");
        seg_utf8(new_line(out), buf, TUI_S_REPLIES, 0);
    }
}

void tui_lines_conv(tui_lines_t *out, const tui_conv_t *c, int width, int64_t thread)
{
    const tui_msg_t *prev = NULL;
    for (size_t i = 0; i < c->n; i++) {
        const tui_msg_t *x = &c->msgs[i];
        bool show = thread ? (x->seq == thread || x->thread == thread) : x->thread == 0;
        if (!show)
            continue;
        block(out, x, prev, width, thread != 0);
        prev = x;
    }
}

void tui_lines_free(tui_lines_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        for (int j = 0; j < l->v[i].nseg; j++)
            free(l->v[i].seg[j].text);
    free(l->v);
    memset(l, 0, sizeof *l);
}
