/* tui_render - draws the full-screen client with ncursesw: the conversation list on the
 * left, the messages of the one shown, the side pane (a thread or search results), the
 * status line and the input line. Everything is redrawn from the model on each call;
 * curses sends the terminal only what changed. */
#ifndef PARLEY_TUI_RENDER_H
#define PARLEY_TUI_RENDER_H

#include "tui/tui_state.h"

/* Sets up colours (after initscr): one pair per hue of the web client's palette. */
void tui_render_init(void);
/* Draws everything and places the cursor in the input line. */
void tui_render_draw(tui_t *t);

#endif
