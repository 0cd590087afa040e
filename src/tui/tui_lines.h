/* tui_lines - a conversation as screen lines: messages grouped by author (a head line with
 * the name and HH:MM local time, then the text wrapped under it), "(edited)", deleted
 * messages as a tombstone, reactions as "👍 2", a parent's "↳ n replies", channel lines and
 * day separators. Styles are named, not curses attributes: tui_render maps them. */
#ifndef PARLEY_TUI_LINES_H
#define PARLEY_TUI_LINES_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "tui/tui_model.h"

#define TUI_GROUP_GAP_MS (5 * 60 * 1000) /* web/const.js GROUP_GAP_MS */
#define TUI_LINE_SEGS 4

typedef enum {
    TUI_S_TEXT,
    TUI_S_NAME,
    TUI_S_DIM,
    TUI_S_ITALIC,
    TUI_S_REPLIES,
    TUI_S_REACT
} tui_style_t;

typedef struct {
    wchar_t *text; /* owned */
    size_t n;
    tui_style_t style;
    int hue; /* of TUI_S_NAME */
} tui_seg_t;

typedef struct {
    tui_seg_t seg[TUI_LINE_SEGS];
    int nseg;
} tui_line_t;

typedef struct {
    tui_line_t *v; /* owned */
    size_t n, cap;
} tui_lines_t;

/* Appends c's lines for a pane width columns wide: the channel's messages (thread 0) or the
 * thread of seq `thread` (the parent, then its replies). */
void tui_lines_conv(tui_lines_t *out, const tui_conv_t *c, int width, int64_t thread);
/* Appends one message block (always with its head line), e.g. for search results; label
 * (UTF-8, may be NULL) goes before the name ("#ops"). */
void tui_lines_msg(tui_lines_t *out, const tui_msg_t *x, int width, const char *label);
/* Appends text (UTF-8) wrapped to width in one style. */
void tui_lines_text(tui_lines_t *out, const char *text, int width, tui_style_t style);
void tui_lines_free(tui_lines_t *l);

#endif
