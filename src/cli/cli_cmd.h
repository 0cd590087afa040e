/* cli_cmd - `parley user|bot|import|export|backup ...`: the command lines beside the server.
 *
 * Each takes its own words (a verb, a name, a file) out of argv and reads the rest as the
 * server's flags (conf.h), so that --db, --store and the account limits mean what they mean
 * to the server; then runs the command (cli_user, cli_bot, cli_import, cli_export,
 * cli_backup) and returns the process's exit code: 0, 1 when it failed, 2 for a usage error. */
#ifndef PARLEY_CLI_CMD_H
#define PARLEY_CLI_CMD_H

#include <stdbool.h>

#include "conf/conf.h"

/* Whether word (argv[1]) names a command. */
bool cli_cmd_is(const char *word);
/* Runs the command argv[1] names (cli_cmd_is); c holds the defaults (conf_init). */
int cli_cmd_run(conf_t *c, int argc, char **argv);

#endif
