/* tui_keys - what each key does in the full-screen client: editing keys go to the input
 * line, Enter runs it (tui_cmd), Alt+1..9 and Ctrl-N/P switch conversations, Ctrl-K opens
 * the "go to" filter, PageUp/PageDown scroll (loading older history at the top), Ctrl-T
 * opens the newest thread, Esc closes the side pane, Ctrl-C quits. */
#ifndef PARLEY_TUI_KEYS_H
#define PARLEY_TUI_KEYS_H

#include <stdbool.h>
#include <wchar.h>

#include "tui/tui_state.h"

/* Handles one key as wget_wch gave it: is_key for a KEY_* code, else a character. alt:
 * Escape came just before it. */
void tui_keys_handle(tui_t *t, wint_t ch, bool is_key, bool alt);
/* A lone Escape (nothing followed it). */
void tui_keys_escape(tui_t *t);
/* After a draw: asks for older history when the top of the loaded rows is in view. */
void tui_keys_after_draw(tui_t *t);

#endif
