/* tui_text - terminal widths of text: UTF-8 to wide characters, display columns (wcwidth, so
 * an emoji takes two and a combining mark none), and wrapping to a width. No curses here, so
 * it is tested alone. Needs setlocale(LC_CTYPE, "") with a UTF-8 locale first. */
#ifndef PARLEY_TUI_TEXT_H
#define PARLEY_TUI_TEXT_H

#include <stddef.h>
#include <wchar.h>

/* s (UTF-8) as a new NUL-terminated wide string (owned by the caller; free it). Invalid
 * bytes become U+FFFD, control characters a space, so no text from the network can move
 * the cursor. *len gets the length in wchar_t. */
wchar_t *tui_text_wide(const char *s, size_t *len);
/* The columns c takes: 0 for combining marks, 2 for wide ones, 1 for what wcwidth does not
 * know (so nothing drawn ever takes less room than measured). */
int tui_text_cw(wchar_t c);
/* The columns of n wide characters. */
int tui_text_width(const wchar_t *w, size_t n);
/* How many characters of w (n of them) fit in cols columns when breaking a line there:
 * at the last space if there is one in the line, else at the last character that fits.
 * Always at least 1 when n > 0 (a character wider than cols still makes progress).
 * *skip gets how many characters to drop before the next line (the space broken at). */
size_t tui_text_fit(const wchar_t *w, size_t n, int cols, size_t *skip);
/* A wide string to UTF-8 (owned by the caller). */
char *tui_text_utf8(const wchar_t *w, size_t n);

#endif
