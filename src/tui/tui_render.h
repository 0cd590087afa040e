/* tui_render - draws the full-screen client with ncursesw: the conversation list on the
 * left, the messages of the one shown, the side pane (a thread or search results), the
 * status line and the input line. Everything is redrawn from the model on each call;
 * curses sends the terminal only what changed. */
#ifndef PARLEY_TUI_RENDER_H
#define PARLEY_TUI_RENDER_H

#include <stdint.h>

#include "tui/tui_int.h"

/* Sets up colours (after initscr): one pair per hue of the web client's palette. */
void tui_render_init(void);
/* Draws everything and places the cursor in the input line. */
void tui_render_draw(tui_t *t);
/* The web client's hue for a name (web/dom.js hueOf: FNV-1a over its UTF-16 units). */
int tui_render_hue(const char *name);
/* The terminal colour for hsl(hue, 55%, light%): the nearest of xterm's 256 by RGB when
 * ncolors is 256 or more, else the basic colour of the nearest hue. */
int tui_render_nearest(int hue, int light, int ncolors);

#endif
