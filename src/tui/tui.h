/* tui - parley-cli's full-screen interface: `parley-cli URL` without a subcommand.
 *
 * Runs its own libuv loop with one client (src/client) until /quit, Ctrl-C or a refusal,
 * drawing with ncursesw on the terminal stdin and stdout are (docs/cli.md lists its keys
 * and commands). */
#ifndef PARLEY_TUI_H
#define PARLEY_TUI_H

#include "client/client.h"

/* Runs the interface with o (borrowed; its callbacks and ud are the interface's own,
 * whatever o holds). Returns the process exit code: 0 after /quit, 2 when stdin/stdout are
 * not a terminal, 3 when the server would not have us (the reason printed on stderr). */
int tui_run(const client_opts_t *o);

#endif
