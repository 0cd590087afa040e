/* cli_script - parley-cli's option parsing and its scripting commands. */
#include "cli_script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: parley-cli [options] URL                  the full-screen chat\n"
    "       parley-cli [options] login URL            sign in; keep the token\n"
    "       parley-cli [options] logout URL           forget the token\n"
    "       parley-cli [options] send URL TARGET [TEXT...]\n"
    "                                               post TEXT, or each line of stdin\n"
    "       parley-cli [options] tail URL TARGET      follow as JSON lines\n"
    "       parley-cli [options] history URL TARGET [--since SEQ] [--limit N]\n"
    "\n"
    "URL     http[s]://host[:port][/base] or ws[s]://... (the server's web address)\n"
    "TARGET  #channel (or channel), or @name for a direct message\n"
    "\n"
    "options:\n"
    "  --name NAME     guest name (default $USER); login: the account's name\n"
    "  --token TOKEN   sign in with this token (default: the saved one, PARLEY_TOKEN)\n"
    "  --guest         ignore any saved token: join as a guest\n"
    "  --since SEQ     history: the rows after SEQ (default: the newest page)\n"
    "  --limit N       history: at most N rows\n"
    "  --ca-file PEM   trust these CAs for https/wss\n"
    "  --insecure      do not verify the server's certificate\n"
    "  --quiet         send: print nothing on success\n"
    "  --help, --version\n"
    "\n"
    "exit codes: 0 ok, 1 the server refused (its code on stderr), 2 usage,\n"
    "3 cannot connect or sign in, 4 no such channel/user or not allowed, 130 interrupted\n"
    "Tokens are kept in $XDG_CONFIG_HOME/parley/tokens (~/.config/parley/tokens).\n";

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "parley-cli: %s%s\n(parley-cli --help for usage)\n", what, arg);
    return CLI_PARSE_ERROR;
}

static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Options may come anywhere; the first positional is the command when it names one. */
int cli_parse(int argc, char **argv, cli_opts_t *o)
{
    static const char *pos[64];
    int npos = 0;
    memset(o, 0, sizeof(*o));
    o->since = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t n;
        if (!strcmp(a, "--")) {
            for (i++; i < argc && npos < 64; i++)
                pos[npos++] = argv[i];
            break;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(USAGE, stdout);
            return CLI_PARSE_DONE;
        } else if (!strcmp(a, "--version")) {
            o->show_version = true;
        } else if (!strcmp(a, "--insecure")) {
            o->insecure = true;
        } else if (!strcmp(a, "--guest")) {
            o->guest = true;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = true;
        } else if (!strcmp(a, "--name") || !strcmp(a, "--token") || !strcmp(a, "--ca-file") ||
                   !strcmp(a, "--since") || !strcmp(a, "--limit")) {
            if (!val)
                return usage_error("a value is missing after ", a);
            i++;
            if (!strcmp(a, "--name"))
                o->name = val;
            else if (!strcmp(a, "--token"))
                o->token = val;
            else if (!strcmp(a, "--ca-file"))
                o->ca_file = val;
            else if (!strcmp(a, "--since")) {
                if (parse_int(val, 0, INT64_MAX / 2, &n))
                    return usage_error("bad --since: ", val);
                o->since = n;
            } else {
                if (parse_int(val, 1, 1000000, &n))
                    return usage_error("bad --limit: ", val);
                o->limit = (int)n;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            return usage_error("unknown option ", a);
        } else if (npos < 64) {
            pos[npos++] = a;
        } else {
            return usage_error("too many arguments", "");
        }
    }
    if (o->show_version)
        return CLI_PARSE_OK;
    static const char *const commands[] = {"login", "logout", "send", "tail", "history"};
    int p = 0;
    for (size_t k = 0; npos > 0 && k < sizeof(commands) / sizeof(commands[0]); k++)
        if (!strcmp(pos[0], commands[k]))
            o->command = pos[p++];
    if (p >= npos)
        return usage_error("no URL given", "");
    o->url = pos[p++];
    bool needs_target = o->command && strcmp(o->command, "login") && strcmp(o->command, "logout");
    if (needs_target) {
        if (p >= npos)
            return usage_error("a TARGET (#channel or @name) is needed after the URL of ",
                               o->command);
        o->target = pos[p++];
    }
    o->args = pos + p;
    o->n_args = npos - p;
    if (o->n_args && (!o->command || strcmp(o->command, "send")))
        return usage_error("unexpected argument: ", pos[p]);
    return CLI_PARSE_OK;
}

/* ---- stubs until the client lands ---- */

int cli_client_opts(const cli_opts_t *o, client_opts_t *co, char **owned)
{
    memset(co, 0, sizeof(*co));
    *owned = NULL;
    co->url = o->url;
    co->token = o->token;
    co->name = o->name ? o->name : getenv("USER");
    co->ca_file = o->ca_file;
    co->insecure = o->insecure;
    return 0;
}

static int not_yet(const cli_opts_t *o)
{
    fprintf(stderr, "parley-cli: %s: not implemented yet\n", o->command);
    return CLI_EXIT_CONNECT;
}

int cli_login(const cli_opts_t *o)
{
    return not_yet(o);
}
int cli_logout(const cli_opts_t *o)
{
    return not_yet(o);
}
int cli_send(const cli_opts_t *o)
{
    return not_yet(o);
}
int cli_tail(const cli_opts_t *o)
{
    return not_yet(o);
}
int cli_history(const cli_opts_t *o)
{
    return not_yet(o);
}
