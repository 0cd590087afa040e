/* cli_bot - `parley bot`, the command line of bot accounts, run against the store a server
 * uses (running or not; it re-reads the accounts within a second):
 *
 *   parley bot add NAME      makes the bot and prints its token (the only time it is shown)
 *   parley bot token NAME    a new token; every earlier one of the bot ends
 *   parley bot revoke NAME   every token of the bot ends (the bot stays)
 *
 * Output: the token on the first line of stdout, then "bot NAME (id N)"; a line "parley: bot
 * VERB: what went wrong" on stderr otherwise. */
#ifndef PARLEY_CLI_BOT_H
#define PARLEY_CLI_BOT_H

#include <stdio.h>

#include "auth/auth.h"

typedef enum { CLI_BOT_ADD, CLI_BOT_TOKEN, CLI_BOT_REVOKE } cli_bot_verb_t;

typedef struct {
    cli_bot_verb_t verb;
    const char *name;      /* borrowed */
    const char *store_url; /* borrowed: store_open's URL */
    auth_config_t auth;    /* the name limit, as the server's */
} cli_bot_t;

/* Fills verb and name from the words of the command line. 0, or -1 after a message. */
int cli_bot_parse(const char *verb, const char *name, cli_bot_t *out);
void cli_bot_usage(FILE *f);
/* Runs the command (auth_init done): the exit status, 0 done or 1 failed. */
int cli_bot_run(const cli_bot_t *b);

#endif
