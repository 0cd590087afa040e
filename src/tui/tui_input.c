/* tui_input - the line editor of the full-screen client.
 *
 * The buffer holds wide characters, so the cursor moves by character and a multi-byte one
 * is never split; the screen measures columns with tui_text. The history keeps the lines
 * as sent (UTF-8); walking it saves the line being typed, and coming back down restores it,
 * as readline does. */
#include "tui/tui_input.h"

#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "base/xmalloc.h"
#include "tui/tui_text.h"

void tui_input_init(tui_input_t *in)
{
    memset(in, 0, sizeof *in);
}

void tui_input_deinit(tui_input_t *in)
{
    for (size_t i = 0; i < in->nhist; i++)
        free(in->hist[i]);
    memset(in, 0, sizeof *in);
}

void tui_input_clear(tui_input_t *in)
{
    in->len = in->pos = 0;
    in->buf[0] = 0;
    in->hpos = in->nhist;
}

bool tui_input_insert(tui_input_t *in, wchar_t c)
{
    if (in->len >= TUI_INPUT_MAX)
        return false;
    wmemmove(&in->buf[in->pos + 1], &in->buf[in->pos], in->len - in->pos + 1);
    in->buf[in->pos++] = c;
    in->len++;
    return true;
}

static void cut(tui_input_t *in, size_t from, size_t to)
{
    wmemmove(&in->buf[from], &in->buf[to], in->len - to + 1);
    in->len -= to - from;
    in->pos = from;
}

static void load(tui_input_t *in, const wchar_t *w, size_t n)
{
    if (n > TUI_INPUT_MAX)
        n = TUI_INPUT_MAX;
    wmemcpy(in->buf, w, n);
    in->buf[n] = 0;
    in->len = in->pos = n;
}

static void walk(tui_input_t *in, bool back)
{
    if (back ? in->hpos == 0 : in->hpos >= in->nhist)
        return;
    if (in->hpos == in->nhist)
        wmemcpy(in->saved, in->buf, in->len + 1);
    in->hpos += back ? (size_t)-1 : 1;
    if (in->hpos == in->nhist) {
        load(in, in->saved, wcslen(in->saved));
        return;
    }
    size_t n;
    wchar_t *w = tui_text_wide(in->hist[in->hpos], &n);
    load(in, w, n);
    free(w);
}

void tui_input_edit(tui_input_t *in, tui_edit_t op)
{
    size_t p = in->pos;
    switch (op) {
    case TUI_EDIT_LEFT:
        in->pos = p > 0 ? p - 1 : 0;
        break;
    case TUI_EDIT_RIGHT:
        in->pos = p < in->len ? p + 1 : p;
        break;
    case TUI_EDIT_HOME:
        in->pos = 0;
        break;
    case TUI_EDIT_END:
        in->pos = in->len;
        break;
    case TUI_EDIT_BACKSPACE:
        if (p > 0)
            cut(in, p - 1, p);
        break;
    case TUI_EDIT_DELETE:
        if (p < in->len)
            cut(in, p, p + 1);
        break;
    case TUI_EDIT_KILL_LINE:
        cut(in, 0, p);
        break;
    case TUI_EDIT_KILL_END:
        cut(in, p, in->len);
        in->pos = in->len;
        break;
    case TUI_EDIT_KILL_WORD: {
        size_t q = p;
        while (q > 0 && iswspace((wint_t)in->buf[q - 1]))
            q--;
        while (q > 0 && !iswspace((wint_t)in->buf[q - 1]))
            q--;
        cut(in, q, p);
        break;
    }
    case TUI_EDIT_PREV:
        walk(in, true);
        break;
    case TUI_EDIT_NEXT:
        walk(in, false);
        break;
    }
}

char *tui_input_take(tui_input_t *in)
{
    char *line = tui_text_utf8(in->buf, in->len);
    if (*line) {
        if (in->nhist == TUI_HISTORY_MAX) {
            free(in->hist[0]);
            memmove(in->hist, in->hist + 1, (TUI_HISTORY_MAX - 1) * sizeof *in->hist);
            in->nhist--;
        }
        in->hist[in->nhist++] = xstrdup(line);
    }
    tui_input_clear(in);
    return line;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool tui_input_complete(tui_input_t *in, const char *const *names, size_t n)
{
    size_t at = in->pos;
    while (at > 0 && in->buf[at - 1] != L'@' && !iswspace((wint_t)in->buf[at - 1]))
        at--;
    if (at == 0 || in->buf[at - 1] != L'@')
        return false;
    char *word = tui_text_utf8(&in->buf[at], in->pos - at);
    const char *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!starts_with(names[i], word) || strcmp(names[i], word) == 0)
            continue;
        if (!best || strcmp(names[i], best) < 0)
            best = names[i];
    }
    free(word);
    if (!best)
        return false;
    cut(in, at, in->pos);
    size_t wn;
    wchar_t *w = tui_text_wide(best, &wn);
    for (size_t i = 0; i < wn; i++)
        tui_input_insert(in, w[i]);
    free(w);
    if (at == 1) /* the line starts with the name: address them, as Slack does */
        tui_input_insert(in, L':');
    tui_input_insert(in, L' ');
    return true;
}
