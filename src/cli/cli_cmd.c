/* cli_cmd - the words after `parley`; see cli_cmd.h. */
#include "cli/cli_cmd.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "cli/cli_backup.h"
#include "cli/cli_bot.h"
#include "cli/cli_export.h"
#include "cli/cli_import.h"
#include "cli/cli_user.h"

/* `parley user VERB NAME [--role R] [flags]` (and `parley bot VERB NAME [flags]`): the verb,
 * the name and --role are taken out; the rest are the server's flags (--db, --store, ...). */
static int run_user(conf_t *c, int argc, char **argv)
{
    bool bot = strcmp(argv[1], "bot") == 0;
    cli_user_t u = {.role = AUTH_MEMBER};
    char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
    int nrest = 0, npos = 0;
    const char *pos[2] = {NULL, NULL}, *role = NULL;
    rest[nrest++] = argv[0];
    c->log_level = "warn"; /* a command says what it did, not how the store opened */
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            free(rest);
            (bot ? cli_bot_usage : cli_user_usage)(stdout);
            return 0;
        } else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) {
            role = argv[++i];
        } else if (strncmp(argv[i], "--role=", 7) == 0) {
            role = argv[i] + 7;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            rest[nrest++] = argv[i];
            if (!strchr(argv[i], '=') && i + 1 < argc)
                rest[nrest++] = argv[++i];
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            npos++;
        }
    }
    int rc = conf_parse(c, nrest, rest);
    free(rest);
    if (rc < 0)
        return 2;
    if (bot) {
        cli_bot_t b = {0};
        if (role || cli_bot_parse(pos[0], npos == 2 ? pos[1] : NULL, &b) < 0) {
            cli_bot_usage(stderr);
            return 2;
        }
        b.store_url = c->store_url;
        b.auth = conf_auth(c);
        return cli_bot_run(&b);
    }
    if (cli_user_parse(pos[0], npos == 2 ? pos[1] : NULL, role, &u) < 0) {
        cli_user_usage(stderr);
        return 2;
    }
    u.store_url = c->store_url;
    u.auth = conf_auth(c);
    return cli_user_run(&u);
}

/* `parley import slack EXPORT.zip [flags]` and `parley export OUT.zip [flags]`
 * (cli_import.h, cli_export.h): the words taken out, the rest are the server's flags (conf.h). */
static int run_migrate(conf_t *c, int argc, char **argv)
{
    bool import = strcmp(argv[1], "import") == 0;
    char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
    int nrest = 0, npos = 0;
    const char *pos[2] = {NULL, NULL};
    rest[nrest++] = argv[0];
    c->log_level = "warn";
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            free(rest);
            import ? cli_import_usage(stdout) : cli_export_usage(stdout);
            return 0;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            rest[nrest++] = argv[i];
            if (!strchr(argv[i], '=') && i + 1 < argc)
                rest[nrest++] = argv[++i];
        } else if (npos++ < 2) {
            pos[npos - 1] = argv[i];
        }
    }
    int rc = conf_parse(c, nrest, rest);
    free(rest);
    if (rc < 0)
        return 2;
    if (import ? npos != 2 || strcmp(pos[0], "slack") != 0 : npos != 1) {
        import ? cli_import_usage(stderr) : cli_export_usage(stderr);
        return 2;
    }
    if (import)
        return cli_import_run(&(cli_import_t){pos[1], c->store_url, conf_auth(c)});
    return cli_export_run(&(cli_export_t){pos[0], c->store_url, conf_auth(c), c->public_url});
}

bool cli_cmd_is(const char *word)
{
    static const char *const words[] = {"user", "bot", "import", "export", "backup"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(word, words[i]) == 0)
            return true;
    return false;
}

int cli_cmd_run(conf_t *c, int argc, char **argv)
{
    if (strcmp(argv[1], "user") == 0 || strcmp(argv[1], "bot") == 0)
        return run_user(c, argc, argv);
    if (strcmp(argv[1], "import") == 0 || strcmp(argv[1], "export") == 0)
        return run_migrate(c, argc, argv);
    return cli_backup_main(argc - 1, argv + 1);
}
