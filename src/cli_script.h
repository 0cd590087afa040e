/* cli_script - parley-cli's common options and its scripting commands (login, logout,
 * send, tail, history). Exit codes are the shell's contract (docs/cli.md). */
#ifndef PARLEY_CLI_SCRIPT_H
#define PARLEY_CLI_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "client/client.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_REFUSED = 1,   /* the server refused a request: its code on stderr */
    CLI_EXIT_USAGE = 2,     /* bad command line */
    CLI_EXIT_CONNECT = 3,   /* cannot connect, or sign-in refused */
    CLI_EXIT_NOT_FOUND = 4, /* no such channel or user, or not allowed there */
    CLI_EXIT_INTERRUPTED = 130,
};

#define CLI_PARSE_OK 0
#define CLI_PARSE_DONE 1  /* --help printed: exit 0 */
#define CLI_PARSE_ERROR 2 /* usage error printed */

typedef struct {
    const char *command;     /* NULL: the default mode (the full-screen interface) */
    const char *url;         /* the server */
    const char *target;      /* "#channel", "channel" or "@name" */
    const char *const *args; /* what follows the target (send's text), n_args of them */
    int n_args;
    const char *name;    /* --name: the guest name (default $USER), or login's account */
    const char *token;   /* --token (else the saved one, else PARLEY_TOKEN) */
    const char *ca_file; /* --ca-file PEM */
    bool insecure;       /* --insecure: do not verify TLS certificates */
    bool guest;          /* --guest: ignore a saved token */
    bool show_version;
    int64_t since; /* history --since SEQ (-1: not given) */
    int limit;     /* history --limit N (0: all) */
    bool quiet;    /* --quiet: send prints no seqs */
} cli_opts_t;

/* Reads argv into o (borrowed strings). CLI_PARSE_OK, CLI_PARSE_DONE (--help printed)
 * or CLI_PARSE_ERROR (the error printed on stderr). */
int cli_parse(int argc, char **argv, cli_opts_t *o);

/* Fills co (client_new's options) from o: the token (--token, the saved one for o->url,
 * PARLEY_TOKEN) or a guest name (--name, $USER, "guest"). *owned is what the caller
 * frees after the client (may be NULL). 0, or -1 with the error printed. */
int cli_client_opts(const cli_opts_t *o, client_opts_t *co, char **owned);

int cli_login(const cli_opts_t *o);
int cli_logout(const cli_opts_t *o);
int cli_send(const cli_opts_t *o);
int cli_tail(const cli_opts_t *o);
int cli_history(const cli_opts_t *o);

#endif
