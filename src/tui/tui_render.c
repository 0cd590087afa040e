/* tui_render - the full-screen client's drawing, with ncursesw.
 *
 *   +-----------+---------------------------------+-------------------+
 *   | parley    | #general  topic                 | Thread / Search   |
 *   | 1 #general| alice  12:34                    | (side pane, when  |
 *   | 2 #design | text wrapped under the name     |  one is open)     |
 *   |   @bob  2 |   👍 2   ↳ 3 replies             |                   |
 *   +-----------+---------------------------------+-------------------+
 *   | status: connection, notice, typing                              |
 *   | > input line                                                    |
 *
 * Every draw starts from the model (tui_lines lays the panes out) and curses' own
 * difference of screens decides what is sent to the terminal, so there is no incremental
 * state to get wrong. Names take the web client's colour for them (web/dom.js hueOf, at
 * the dark theme's lightness: terminals are mostly dark), matched to the nearest of the
 * terminal's colours. */
#include "tui/tui_render.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "tui/tui_colour.h"
#include "tui/tui_lines.h"
#include "tui/tui_text.h"

#define SIDEBAR_W 22
#define NAME_LIGHT 72 /* web/style.css --name-l, dark theme */
#define PAIR_HUE 1    /* 1..14: the hues */
#define PAIR_ERROR 20
#define PAIR_ACCENT 21
#define PAIR_STATUS 22

void tui_render_init(void)
{
    if (!has_colors())
        return;
    start_color();
    use_default_colors();
    for (int i = 0; i < TUI_NHUES; i++)
        init_pair((short)(PAIR_HUE + i),
                  (short)tui_colour_nearest(tui_colour_hues[i], NAME_LIGHT, COLORS), -1);
    init_pair(PAIR_ERROR, COLOR_RED, -1);
    init_pair(PAIR_ACCENT, COLOR_CYAN, -1);
    init_pair(PAIR_STATUS, COLOR_BLACK, COLOR_CYAN);
}

static int hue_pair(int hue)
{
    for (int i = 0; i < TUI_NHUES; i++)
        if (tui_colour_hues[i] == hue)
            return PAIR_HUE + i;
    return 0;
}

static attr_t style_attr(const tui_seg_t *s)
{
    switch (s->style) {
    case TUI_S_NAME:
        return A_BOLD | COLOR_PAIR(hue_pair(s->hue));
    case TUI_S_DIM:
        return A_DIM;
    case TUI_S_ITALIC:
        return A_ITALIC;
    case TUI_S_REPLIES:
        return A_BOLD | COLOR_PAIR(PAIR_ACCENT);
    case TUI_S_REACT:
        return A_NORMAL;
    case TUI_S_TEXT:
        break;
    }
    return A_NORMAL;
}

/* Draws n characters of w at (y, x) in at most cols columns; returns the columns used. */
static int put(int y, int x, const wchar_t *w, size_t n, int cols, attr_t a)
{
    int used = 0;
    attron(a);
    move(y, x);
    for (size_t i = 0; i < n; i++) {
        int cw = tui_text_cw(w[i]);
        if (used + cw > cols)
            break;
        if (cw == 0 && i == 0)
            continue;
        addnwstr(&w[i], 1);
        used += cw;
    }
    attroff(a);
    return used;
}

static int put_utf8(int y, int x, const char *s, int cols, attr_t a)
{
    size_t n;
    wchar_t *w = tui_text_wide(s, &n);
    int used = put(y, x, w, n, cols, a);
    free(w);
    return used;
}

/* Draws lines in rows y0..y0+h-1 at column x0, cols wide, the newest at the bottom, scroll
 * rows up from there. Returns true when the oldest line is in view. */
static bool draw_lines(const tui_lines_t *l, int y0, int x0, int h, int cols, int *scroll)
{
    int total = (int)l->n, max = total > h ? total - h : 0;
    if (*scroll > max)
        *scroll = max;
    int first = total - h - *scroll;
    for (int r = 0; r < h; r++) {
        int i = first + r;
        if (i < 0 || i >= total)
            continue;
        int x = 0;
        for (int k = 0; k < l->v[i].nseg && x < cols; k++) {
            const tui_seg_t *s = &l->v[i].seg[k];
            x += put(y0 + r, x0 + x, s->text, s->n, cols - x, style_attr(s));
        }
    }
    return first <= 0;
}

static void draw_sidebar(tui_t *t, int h)
{
    put_utf8(0, 1, "parley", SIDEBAR_W - 2, A_BOLD);
    for (size_t i = 0; i < t->model.nconvs && (int)i + 2 < h; i++) {
        const tui_conv_t *c = t->model.convs[i];
        char num[8] = "  ", count[16] = "";
        if (i < 9)
            snprintf(num, sizeof num, "%zu ", i + 1);
        if (c->mentions > 0)
            snprintf(count, sizeof count, "@%d", c->mentions);
        else if (c->unread > 0)
            snprintf(count, sizeof count, "%d", c->unread);
        attr_t a = i == t->model.cur ? A_REVERSE : c->unread ? A_BOLD : A_NORMAL;
        int y = (int)i + 2, cw = (int)strlen(count);
        if (i == t->model.cur)
            mvhline(y, 0, ' ' | A_REVERSE, SIDEBAR_W - 1);
        put_utf8(y, 0, num, 2, a);
        put_utf8(y, 2, c->label, SIDEBAR_W - 4 - cw, a);
        if (cw)
            put_utf8(y, SIDEBAR_W - 2 - cw, count, cw,
                     c->mentions ? A_BOLD | COLOR_PAIR(PAIR_ERROR) : a | A_BOLD);
    }
    mvvline(0, SIDEBAR_W - 1, ACS_VLINE, h);
}

static void draw_main(tui_t *t, const tui_conv_t *c, int x0, int w, int h)
{
    if (!c) {
        put_utf8(0, x0 + 1, "connecting…", w - 1, A_DIM);
        return;
    }
    int x = put_utf8(0, x0 + 1, c->label, w - 1, A_BOLD);
    if (*c->topic)
        put_utf8(0, x0 + 3 + x, c->topic, w - 3 - x, A_DIM);
    mvhline(1, x0, ACS_HLINE, w);
    tui_lines_t l = {0};
    if (c->loaded && !c->more && c->n == 0)
        tui_lines_text(&l, "No messages yet: say hello.", w - 2, TUI_S_DIM);
    tui_lines_conv(&l, c, w - 2, 0);
    t->at_top = draw_lines(&l, 2, x0 + 1, h - 2, w - 2, &t->scroll);
    tui_lines_free(&l);
}

static void draw_results(tui_t *t, tui_lines_t *l, int w)
{
    size_t i = 0;
    json_t *row;
    json_t *rows = json_object_get(t->results, "messages");
    if (json_array_size(rows) == 0)
        tui_lines_text(l, "No results.", w, TUI_S_DIM);
    json_array_foreach(rows, i, row)
    {
        client_msg_t m;
        if (client_msg_parse(t->client, row, &m) != 0)
            continue;
        const tui_conv_t *c = tui_model_find(&t->model, m.channel ? m.channel : "", NULL);
        tui_msg_t x = {.kind = TUI_ROW_MSG,
                       .seq = m.seq,
                       .ts = m.ts,
                       .edited = m.edited,
                       .user = (char *)(m.user ? m.user : ""),
                       .text = (char *)(m.text ? m.text : "")};
        tui_lines_msg(l, &x, w, c ? c->label : m.channel);
    }
}

static void draw_side(tui_t *t, int x0, int w, int h)
{
    mvvline(0, x0, ACS_VLINE, h);
    tui_lines_t l = {0};
    const char *title = "Search results (Esc closes)";
    if (t->results) {
        draw_results(t, &l, w - 3);
    } else {
        title = "Thread (Esc closes)";
        const tui_conv_t *c = tui_model_find(&t->model, t->model.thread_chan, NULL);
        if (c)
            tui_lines_conv(&l, c, w - 3, t->model.thread_seq);
    }
    put_utf8(0, x0 + 2, title, w - 3, A_BOLD);
    mvhline(1, x0 + 1, ACS_HLINE, w - 1);
    int scroll = 0;
    draw_lines(&l, 2, x0 + 2, h - 2, w - 3, &scroll);
    tui_lines_free(&l);
}

static void draw_status(tui_t *t, int y, int w)
{
    static const char *const conn[] = {"○ connecting…", "● connected", "○ reconnecting…"};
    attr_t bar = COLOR_PAIR(PAIR_STATUS);
    mvhline(y, 0, ' ' | bar, w);
    int x = put_utf8(y, 1, conn[t->conn], w - 2, bar | A_BOLD);
    if (t->model.me && t->conn == TUI_CONN_ONLINE)
        x += put_utf8(y, 1 + x, " as ", w - 2 - x, bar),
            x += put_utf8(y, 1 + x, t->model.me, w - 2 - x, bar | A_BOLD);
    const tui_conv_t *c = tui_model_current(&t->model);
    if (*t->typing && c && strcmp(t->typing_chan, c->name) == 0 &&
        clock_mono_ms() < t->typing_until) {
        char buf[200];
        snprintf(buf, sizeof buf, "  %s is typing…", t->typing);
        x += put_utf8(y, 1 + x, buf, w - 2 - x, bar | A_ITALIC);
    }
    if (*t->notice)
        put_utf8(y, 3 + x, t->notice, w - 4 - x,
                 t->notice_error ? (COLOR_PAIR(PAIR_ERROR) | A_BOLD | A_REVERSE) : bar);
}

/* The input line scrolls sideways so the cursor stays in view; returns the cursor column. */
static int draw_input(tui_t *t, int y, int w)
{
    const tui_conv_t *c = tui_model_current(&t->model);
    char prompt[128];
    const wchar_t *buf = t->input.buf;
    size_t len = t->input.len, pos = t->input.pos;
    if (t->filter) {
        snprintf(prompt, sizeof prompt, "go to: ");
        buf = t->filter_buf, len = pos = t->filter_len;
    } else if (t->thread_open && !t->results) {
        snprintf(prompt, sizeof prompt, "reply> ");
    } else {
        snprintf(prompt, sizeof prompt, "%s> ", c ? c->label : "");
    }
    int px = put_utf8(y, 0, prompt, w / 3, A_BOLD);
    int room = w - px - 1;
    size_t from = 0;
    while (tui_text_width(buf + from, pos - from) > room)
        from++;
    put(y, px, buf + from, len - from, room, A_NORMAL);
    return px + tui_text_width(buf + from, pos - from);
}

void tui_render_draw(tui_t *t)
{
    int h = LINES, w = COLS;
    erase();
    if (h < 6 || w < SIDEBAR_W + 20) {
        put_utf8(0, 0, "the terminal is too small", w, A_BOLD);
        refresh();
        return;
    }
    int ph = h - 2, mx = SIDEBAR_W, mw = w - SIDEBAR_W;
    bool side = t->thread_open || t->results;
    int sw = side ? (mw * 2 / 5 > 30 ? mw * 2 / 5 : 30) : 0;
    draw_sidebar(t, ph);
    draw_main(t, tui_model_current(&t->model), mx, mw - sw, ph);
    if (side)
        draw_side(t, w - sw, sw, ph);
    draw_status(t, ph, w);
    int cx = draw_input(t, h - 1, w);
    move(h - 1, cx);
    refresh();
}
