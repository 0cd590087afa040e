/* cli_bot - `parley bot add|token|revoke NAME`; see cli_bot.h. The frame (store, accounts,
 * loop) is cli_user's cli_auth_run; the decisions are auth's (auth_bot_add, auth_bot_token,
 * with every right: actor NULL). */
#include "cli/cli_bot.h"

#include <string.h>

#include "cli/cli_user.h"

static const char *const verbs[] = {"add", "token", "revoke"};

void cli_bot_usage(FILE *f)
{
    fprintf(f, "usage: parley bot add NAME [--db PATH | --store URL]\n"
               "       parley bot token NAME [--db PATH | --store URL]\n"
               "       parley bot revoke NAME [--db PATH | --store URL]\n"
               "add makes a bot account and prints its token (shown this once);\n"
               "token prints a new token and ends the others; revoke ends them all.\n");
}

int cli_bot_parse(const char *verb, const char *name, cli_bot_t *out)
{
    size_t i = 0;
    while (verb && i < 3 && strcmp(verb, verbs[i]) != 0)
        i++;
    if (!verb || i == 3) {
        fprintf(stderr, "parley: bot: the command is add, token or revoke\n");
        return -1;
    }
    out->verb = (cli_bot_verb_t)i;
    if (!name || !*name) {
        fprintf(stderr, "parley: bot %s: give exactly one NAME\n", verb);
        return -1;
    }
    out->name = name;
    return 0;
}

static const char *refusal(auth_status_t st)
{
    switch (st) {
    case AUTH_E_NAME_TAKEN:
        return "name taken";
    case AUTH_E_BAD_NAME:
        return "not a valid name";
    default:
        return auth_status_text(st);
    }
}

static int start(void *ctx, auth_t *a, auth_cb cb, void *ans)
{
    const cli_bot_t *b = ctx;
    size_t len = strlen(b->name);
    if (b->verb == CLI_BOT_ADD) {
        auth_bot_add(a, NULL, b->name, len, cb, ans);
        return 0;
    }
    const auth_user_t *u = auth_user_named(a, b->name, len);
    if (!u || !u->bot) {
        fprintf(stderr, "parley: bot %s: no bot named '%s'\n", verbs[b->verb], b->name);
        return 1;
    }
    auth_bot_token(a, NULL, u->id, b->verb == CLI_BOT_TOKEN, cb, ans);
    return 0;
}

int cli_bot_run(const cli_bot_t *b)
{
    char what[32];
    snprintf(what, sizeof(what), "bot %s", verbs[b->verb]);
    cli_answer_t ans;
    int rc = cli_auth_run(b->store_url, &b->auth, what, start, (void *)b, refusal, &ans);
    if (rc != 0)
        return rc;
    if (b->verb == CLI_BOT_REVOKE)
        printf("revoked every token of bot %s\n", b->name);
    else
        printf("%s\nbot %s (id %llu)\n", ans.token, b->name, (unsigned long long)ans.id);
    return 0;
}
