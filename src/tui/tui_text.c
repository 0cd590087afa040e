/* tui_text - display widths and line breaking for the terminal.
 *
 * Decoding goes through mbrtowc so the locale's UTF-8 rules decide; a terminal client only
 * runs where the locale is UTF-8 (tui_run checks). Widths come from wcwidth, with -1 (not
 * printable) read as 1: a column too many is a cosmetic gap, a column too few breaks the
 * layout of every row after it. */
#include "tui/tui_text.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

wchar_t *tui_text_wide(const char *s, size_t *len)
{
    size_t n = strlen(s), k = 0;
    wchar_t *w = xmalloc((n + 1) * sizeof *w);
    mbstate_t st;
    memset(&st, 0, sizeof st);
    while (n > 0) {
        wchar_t c;
        size_t r = mbrtowc(&c, s, n, &st);
        if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
            c = 0xFFFD;
            r = 1;
            memset(&st, 0, sizeof st);
        }
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
            c = L' ';
        w[k++] = c;
        s += r;
        n -= r;
    }
    w[k] = 0;
    if (len)
        *len = k;
    return w;
}

int tui_text_cw(wchar_t c)
{
    int n = wcwidth(c);
    return n < 0 ? 1 : n;
}

int tui_text_width(const wchar_t *w, size_t n)
{
    int cols = 0;
    for (size_t i = 0; i < n; i++)
        cols += tui_text_cw(w[i]);
    return cols;
}

size_t tui_text_fit(const wchar_t *w, size_t n, int cols, size_t *skip)
{
    size_t i = 0, space = 0;
    int used = 0;
    *skip = 0;
    while (i < n) {
        int cw = tui_text_cw(w[i]);
        if (used + cw > cols)
            break;
        if (w[i] == L' ')
            space = i;
        used += cw;
        i++;
    }
    if (i >= n)
        return n;
    /* Zero-width marks belong to the character before them: never start a line with one. */
    while (i > 1 && tui_text_cw(w[i]) == 0)
        i--;
    if (w[i] == L' ') {
        *skip = 1;
        return i;
    }
    if (space > 0) {
        *skip = 1;
        return space;
    }
    return i > 0 ? i : 1;
}

char *tui_text_utf8(const wchar_t *w, size_t n)
{
    char *out = xmalloc(n * MB_CUR_MAX + 1);
    size_t k = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    for (size_t i = 0; i < n; i++) {
        size_t r = wcrtomb(out + k, w[i], &st);
        if (r != (size_t)-1)
            k += r;
    }
    out[k] = 0;
    return out;
}
