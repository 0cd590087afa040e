/* tui_cmd - what a line typed in the full-screen client does: a message to the conversation
 * shown (or to the open thread), or a slash command (/join, /leave, /create, /invite, /dm,
 * /topic, /search, /react, /edit, /delete, /thread, /me, /quit, /help). A command used
 * wrongly says how to use it in the status line and sends nothing. */
#ifndef PARLEY_TUI_CMD_H
#define PARLEY_TUI_CMD_H

#include "tui/tui_state.h"

/* Runs one line (UTF-8, borrowed). */
void tui_cmd_run(tui_t *t, const char *line);
/* The emoji a reaction names: itself, or a :shortcode: / shortcode of the few common ones
 * ("+1", "heart", "tada"...). NULL when it is neither an emoji nor a known name. */
const char *tui_cmd_emoji(const char *word);

#endif
