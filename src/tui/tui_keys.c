/* tui_keys - the full-screen client's key bindings.
 *
 * Keys come from wget_wch one at a time; Alt+key arrives as Escape then the key (xterm's
 * meta-sends-escape, what tmux sends for M-1), so tui.c passes alt when an Escape came
 * just before in the same read. The filter prompt (Ctrl-K) borrows the input line: while
 * it is open, characters go to the filter and Enter goes to the first conversation whose
 * label holds it. */
#include "tui/tui_keys.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "base/clock.h"
#include "tui/tui_cmd.h"
#include "tui/tui_text.h"

#define TUI_CTRL(c) ((c)&0x1f)
#define TYPING_EVERY_MS 3000

static void submit(tui_t *t)
{
    char *line = tui_input_take(&t->input);
    t->scroll = 0;
    t->typing_sent = 0; /* the others stopped showing us typing when this line came */
    tui_cmd_run(t, line);
    free(line);
}

static void filter_go(tui_t *t)
{
    char *want = tui_text_utf8(t->filter_buf, t->filter_len);
    t->filter = false;
    for (size_t i = 0; i < t->model.nconvs; i++) {
        if (strcasestr(t->model.convs[i]->label, want)) {
            tui_switch(t, i);
            free(want);
            return;
        }
    }
    tui_notice(t, true, "no conversation matches \"%s\"", want);
    free(want);
}

static void filter_key(tui_t *t, wint_t ch, bool is_key)
{
    if (!is_key && (ch == '\r' || ch == '\n'))
        filter_go(t);
    else if ((is_key && ch == KEY_BACKSPACE) || (!is_key && (ch == 127 || ch == 8)))
        t->filter_len -= t->filter_len > 0;
    else if (!is_key && ch == TUI_CTRL('c'))
        t->filter = false;
    else if (!is_key && iswprint(ch) && t->filter_len + 1 < sizeof t->filter_buf / sizeof(wchar_t))
        t->filter_buf[t->filter_len++] = (wchar_t)ch;
}

static void switch_by(tui_t *t, int delta)
{
    size_t n = t->model.nconvs;
    if (n)
        tui_switch(t, (t->model.cur + n + (size_t)(delta + (int)n)) % n);
}

static void page(tui_t *t, int dir)
{
    int step = LINES > 8 ? LINES - 6 : 1;
    t->scroll += dir * step;
    if (t->scroll < 0)
        t->scroll = 0;
}

static void thread_key(tui_t *t)
{
    if (t->thread_open || t->results) {
        tui_keys_escape(t);
        return;
    }
    const tui_conv_t *c = tui_model_current(&t->model);
    const tui_msg_t *x = c ? tui_model_last(c, NULL) : NULL;
    if (x)
        tui_open_thread(t, x->seq);
}

static void typed(tui_t *t)
{
    const tui_conv_t *c = tui_model_current(&t->model);
    uint64_t now = clock_mono_ms();
    if (!c || t->input.buf[0] == L'/' || now - t->typing_sent < TYPING_EVERY_MS)
        return;
    t->typing_sent = now;
    (void)client_typing(t->client, c->name); /* offline: nobody to tell */
}

static bool edit_key(tui_t *t, int key)
{
    static const struct {
        int key;
        tui_edit_t op;
    } map[] = {{KEY_LEFT, TUI_EDIT_LEFT},
               {KEY_RIGHT, TUI_EDIT_RIGHT},
               {KEY_HOME, TUI_EDIT_HOME},
               {KEY_END, TUI_EDIT_END},
               {KEY_BACKSPACE, TUI_EDIT_BACKSPACE},
               {KEY_DC, TUI_EDIT_DELETE},
               {KEY_UP, TUI_EDIT_PREV},
               {KEY_DOWN, TUI_EDIT_NEXT},
               {-TUI_CTRL('a'), TUI_EDIT_HOME},
               {-TUI_CTRL('e'), TUI_EDIT_END},
               {-TUI_CTRL('b'), TUI_EDIT_LEFT},
               {-TUI_CTRL('f'), TUI_EDIT_RIGHT},
               {-TUI_CTRL('u'), TUI_EDIT_KILL_LINE},
               {-TUI_CTRL('w'), TUI_EDIT_KILL_WORD},
               {-TUI_CTRL('d'), TUI_EDIT_DELETE},
               {-127, TUI_EDIT_BACKSPACE},
               {-TUI_CTRL('h'), TUI_EDIT_BACKSPACE}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].key == key) {
            tui_input_edit(&t->input, map[i].op);
            return true;
        }
    }
    return false;
}

static void control(tui_t *t, wint_t ch)
{
    switch (ch) {
    case '\r':
    case '\n':
        submit(t);
        break;
    case '\t':
        if (!tui_input_complete(&t->input, (const char *const *)t->names, t->nnames))
            beep();
        break;
    case TUI_CTRL('k'):
        t->filter = true;
        t->filter_len = 0;
        break;
    case TUI_CTRL('n'):
        switch_by(t, 1);
        break;
    case TUI_CTRL('p'):
        switch_by(t, -1);
        break;
    case TUI_CTRL('t'):
        thread_key(t);
        break;
    case TUI_CTRL('l'):
        clearok(curscr, TRUE);
        break;
    case TUI_CTRL('c'):
        t->quit = true;
        break;
    default:
        edit_key(t, -(int)ch);
        break;
    }
}

void tui_keys_handle(tui_t *t, wint_t ch, bool is_key, bool alt)
{
    t->dirty = true;
    if (t->filter) {
        filter_key(t, ch, is_key);
        return;
    }
    if (alt && !is_key && ch >= '1' && ch <= '9') {
        tui_switch(t, (size_t)(ch - '1'));
        return;
    }
    if (alt) /* Escape, then a key typed right after it: both count */
        tui_keys_escape(t);
    if (is_key) {
        if (ch == KEY_PPAGE || ch == KEY_NPAGE)
            page(t, ch == KEY_PPAGE ? 1 : -1);
        else if (ch == KEY_ENTER)
            submit(t);
        else
            edit_key(t, (int)ch);
        return;
    }
    if (ch < 32 || ch == 127) {
        control(t, ch);
        return;
    }
    if (!tui_input_insert(&t->input, (wchar_t)ch))
        beep();
    typed(t);
}

void tui_keys_escape(tui_t *t)
{
    t->dirty = true;
    if (t->filter) {
        t->filter = false;
    } else if (t->results) {
        json_decref(t->results);
        t->results = NULL;
    } else if (t->thread_open) {
        t->thread_open = false;
    } else {
        t->notice[0] = 0;
    }
}

void tui_keys_after_draw(tui_t *t)
{
    tui_conv_t *c = tui_model_current(&t->model);
    if (!c || !t->at_top || !c->more || t->history_asked || t->scroll == 0 || c->n == 0)
        return;
    int64_t rc = client_history(t->client, c->name, c->msgs[0].seq, -1, 50, tui_reply_cb, t);
    t->history_asked = rc > 0;
}
