/* tui_input - the input line: a wide-character buffer with a cursor, the usual editing keys
 * (readline's Ctrl-A/E/U/W/K among them), a history of sent lines walked with Up/Down, and
 * Tab completion of @names. No curses: it is handed key codes and text, and the screen reads
 * its buffer. */
#ifndef PARLEY_TUI_INPUT_H
#define PARLEY_TUI_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

#define TUI_INPUT_MAX 4000 /* the server's --max-text, in characters */
#define TUI_HISTORY_MAX 200

typedef struct {
    wchar_t buf[TUI_INPUT_MAX + 1];   /* NUL-terminated */
    size_t len, pos;                  /* characters; pos is the cursor */
    char *hist[TUI_HISTORY_MAX];      /* owned, oldest first */
    size_t nhist, hpos;               /* hpos == nhist: editing a new line */
    wchar_t saved[TUI_INPUT_MAX + 1]; /* the new line while walking the history */
} tui_input_t;

typedef enum {
    TUI_EDIT_LEFT,
    TUI_EDIT_RIGHT,
    TUI_EDIT_HOME,
    TUI_EDIT_END,
    TUI_EDIT_BACKSPACE,
    TUI_EDIT_DELETE,
    TUI_EDIT_KILL_LINE,
    TUI_EDIT_KILL_END,
    TUI_EDIT_KILL_WORD,
    TUI_EDIT_PREV,
    TUI_EDIT_NEXT
} tui_edit_t;

void tui_input_init(tui_input_t *in);
void tui_input_deinit(tui_input_t *in);
/* Inserts one printable character at the cursor; false when the line is full. */
bool tui_input_insert(tui_input_t *in, wchar_t c);
void tui_input_edit(tui_input_t *in, tui_edit_t op);
/* Takes the line as UTF-8 (owned by the caller), records it in the history when not empty,
 * and clears the buffer. */
char *tui_input_take(tui_input_t *in);
void tui_input_clear(tui_input_t *in);
/* Completes the @word before the cursor with the first by name of names (n UTF-8 strings)
 * that starts with it (case ignored); adds ": " after it at the start of a line, " "
 * elsewhere. Returns false when nothing matched. */
bool tui_input_complete(tui_input_t *in, const char *const *names, size_t n);

#endif
