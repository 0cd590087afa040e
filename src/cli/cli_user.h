/* cli_user - `parley user`, the command line of accounts, run against the store a server
 * uses, whether that server runs or not:
 *
 *   parley user add NAME [--role owner|admin|member]   the password is one line of stdin
 *   parley user reset NAME                             prints /#reset=TOKEN and its expiry
 *
 * It opens the store with bump_accounts, so a running server re-reads the accounts within a
 * second (auth_tick), loads the accounts, makes one auth call with every right (actor NULL),
 * runs its own loop until the answer, and closes. Output: one line on stdout on success
 * (add), or the link and its expiry (reset); a line "parley: user VERB: what went wrong" on
 * stderr otherwise. */
#ifndef PARLEY_CLI_USER_H
#define PARLEY_CLI_USER_H

#include <stdio.h>

#include "auth/auth.h"

typedef enum { CLI_USER_ADD, CLI_USER_RESET } cli_user_verb_t;

typedef struct {
    cli_user_verb_t verb;
    const char *name;      /* borrowed */
    auth_role_t role;      /* add: the new account's role (default member) */
    const char *store_url; /* borrowed: store_open's URL */
    auth_config_t auth;    /* name limit and password hashing, as the server's */
} cli_user_t;

/* Fills verb, name and role from the words of the command line (verb "add" or "reset",
 * name NULL when missing, role NULL when not given). Returns 0, or -1 after a message on
 * stderr. */
int cli_user_parse(const char *verb, const char *name, const char *role, cli_user_t *out);

/* The usage lines of the command. */
void cli_user_usage(FILE *f);

/* Runs the command (auth_init done). Returns the exit status: 0 done, 1 failed (after a
 * message on stderr). */
int cli_user_run(const cli_user_t *u);

/* What an auth operation of the command line answered, copied out of its callback. */
typedef struct {
    bool done;
    auth_status_t status;
    uint64_t id;
    auth_role_t role;
    int64_t expires;
    char token[AUTH_SESSION_HEX + 1];
} cli_answer_t;

/* Starts one auth operation on a (loaded) with cb and cb_ctx: 0, or 1 after a message. */
typedef int (*cli_auth_start_fn)(void *ctx, auth_t *a, auth_cb cb, void *cb_ctx);

/* The frame of every account command (`parley user`, `parley bot`): opens the store at
 * store_url with bump_accounts, loads the accounts with cfg, runs start and the loop until
 * the answer (into *ans), and closes. Returns 0 when the answer is AUTH_OK, else 1 after a
 * line "parley: WHAT: why" on stderr (refusal(status) words the refusals; NULL: auth's). */
int cli_auth_run(const char *store_url, const auth_config_t *cfg, const char *what,
                 cli_auth_start_fn start, void *ctx, const char *(*refusal)(auth_status_t),
                 cli_answer_t *ans);

#endif
