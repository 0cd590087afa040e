/* parley-cli: the terminal client's command line. Subcommands (docs/cli.md):
 *
 *   parley-cli URL                          the full-screen interface (src/tui)
 *   parley-cli login URL [--name NAME]      sign in, keep the token
 *   parley-cli send URL TARGET [TEXT]       post (TEXT, or stdin one message a line)
 *   parley-cli tail URL TARGET              follow a channel as JSON lines
 *   parley-cli history URL TARGET [--since SEQ] [--limit N]
 *
 * This file only reads the common options and dispatches; the commands live in
 * cli_script.c and src/tui. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_script.h"
#include "tui/tui.h"

#ifndef PARLEY_VERSION
#define PARLEY_VERSION "dev"
#endif

/* The default mode: `parley-cli URL` without a subcommand: the full-screen interface,
 * signed in as the scripting commands are (the saved token, else a guest). */
static int run_default(const cli_opts_t *o)
{
    client_opts_t co;
    char *owned = NULL;
    if (cli_client_opts(o, &co, &owned) < 0)
        return CLI_EXIT_USAGE;
    int rc = tui_run(&co);
    free(owned);
    return rc;
}

int main(int argc, char **argv)
{
    cli_opts_t o;
    int rc = cli_parse(argc, argv, &o);
    if (rc != CLI_PARSE_OK)
        return rc == CLI_PARSE_DONE ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (o.show_version) {
        printf("parley-cli %s\n", PARLEY_VERSION);
        return CLI_EXIT_OK;
    }
    if (!o.command)
        return run_default(&o);
    if (!strcmp(o.command, "login"))
        return cli_login(&o);
    if (!strcmp(o.command, "logout"))
        return cli_logout(&o);
    if (!strcmp(o.command, "send"))
        return cli_send(&o);
    if (!strcmp(o.command, "tail"))
        return cli_tail(&o);
    if (!strcmp(o.command, "history"))
        return cli_history(&o);
    fprintf(stderr, "parley-cli: unknown command '%s'\n", o.command);
    return CLI_EXIT_USAGE;
}
