/* cli_script - parley-cli's option parsing and its scripting commands. */
#include "cli_script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "base/buf.h"
#include "base/term.h"
#include "base/xmalloc.h"
#include "client/client_auth.h"
#include "client/client_url.h"

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
    bool needs_target =
        o->command && strcmp(o->command, "login") != 0 && strcmp(o->command, "logout") != 0;
    if (needs_target) {
        if (p >= npos)
            return usage_error("a TARGET (#channel or @name) is needed after the URL of ",
                               o->command);
        o->target = pos[p++];
    }
    o->args = pos + p;
    o->n_args = npos - p;
    if (o->n_args && (!o->command || strcmp(o->command, "send") != 0))
        return usage_error("unexpected argument: ", pos[p]);
    return CLI_PARSE_OK;
}

/* ---- signing in ---- */

int cli_client_opts(const cli_opts_t *o, client_opts_t *co, char **owned)
{
    memset(co, 0, sizeof(*co));
    *owned = NULL;
    co->url = o->url;
    co->ca_file = o->ca_file;
    co->insecure = o->insecure;
    client_url_t u;
    const char *err = NULL;
    if (client_url_parse(o->url, &u, &err) < 0) {
        fprintf(stderr, "parley-cli: %s: %s\n", o->url, err);
        return -1;
    }
    if (o->token) {
        co->token = o->token;
        return 0;
    }
    if (!o->guest && !o->name) {
        *owned = client_auth_token_load(NULL, o->url, &err);
        if (err)
            fprintf(stderr, "parley-cli: the saved token is not used: %s\n", err);
        if (*owned) {
            co->token = *owned;
            return 0;
        }
        const char *env = getenv("PARLEY_TOKEN");
        if (env && env[0]) {
            co->token = env;
            return 0;
        }
    }
    const char *user = getenv("USER");
    co->name = o->name ? o->name : user && user[0] ? user : "guest";
    return 0;
}

/* The exit code a protocol error code calls for. */
static int exit_of(const char *code)
{
    static const char *const not_found[] = {"no_such_channel", "no_such_user", "no_such_message",
                                            "forbidden", "not_member"};
    static const char *const connect[] = {
        "unreachable", "auth_failed", "auth_required", "name_taken",      "bad_name",
        "banned",      "signed_out",  "deactivated",   "bad_credentials", "bad_url"};
    for (size_t i = 0; i < sizeof(not_found) / sizeof(not_found[0]); i++)
        if (!strcmp(code, not_found[i]))
            return CLI_EXIT_NOT_FOUND;
    for (size_t i = 0; i < sizeof(connect) / sizeof(connect[0]); i++)
        if (!strcmp(code, connect[i]))
            return CLI_EXIT_CONNECT;
    return CLI_EXIT_REFUSED;
}

int cli_login(const cli_opts_t *o)
{
    char *name = NULL;
    if (o->name) {
        name = strdup(o->name);
    } else {
        if (isatty(STDIN_FILENO))
            fputs("name: ", stderr);
        size_t cap = 0;
        ssize_t n = getline(&name, &cap, stdin);
        while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\r'))
            name[--n] = '\0';
        if (n <= 0) {
            free(name);
            fprintf(stderr, "parley-cli: no name given\n");
            return CLI_EXIT_USAGE;
        }
    }
    char *password = term_read_secret("password: ", NULL);
    if (!password) {
        free(name);
        fprintf(stderr, "parley-cli: no password given\n");
        return CLI_EXIT_USAGE;
    }
    char *token, *code, *message;
    int rc =
        client_auth_login(o->url, name, password, o->insecure, o->ca_file, &token, &code, &message);
    explicit_bzero(password, strlen(password));
    free(password);
    int exit_code = CLI_EXIT_OK;
    if (rc < 0) {
        fprintf(stderr, "parley-cli: error %s: %s\n", code, message);
        exit_code = exit_of(code);
    } else {
        const char *err;
        char dir[4096] = "";
        client_auth_dir(dir, sizeof(dir));
        if (client_auth_token_save(NULL, o->url, token, &err) < 0) {
            fprintf(stderr, "parley-cli: cannot save the token in %s: %s\n", dir, err);
            exit_code = CLI_EXIT_REFUSED;
        } else if (!o->quiet) {
            fprintf(stderr, "signed in as %s; the token is kept in %s/tokens\n", name, dir);
        }
        explicit_bzero(token, strlen(token));
    }
    free(token);
    free(code);
    free(message);
    free(name);
    return exit_code;
}

int cli_logout(const cli_opts_t *o)
{
    const char *err;
    if (client_auth_token_forget(NULL, o->url, &err) < 0) {
        fprintf(stderr, "parley-cli: %s\n", err);
        return CLI_EXIT_REFUSED;
    }
    return CLI_EXIT_OK;
}

/* ---- one run of a scripting command ---- */

typedef enum { CMD_SEND, CMD_TAIL, CMD_HISTORY } cmd_t;

typedef struct {
    cmd_t cmd;
    const cli_opts_t *o;
    uv_loop_t *loop;
    client_t *c;
    char channel[256]; /* the target's channel name, once known */
    bool ready;        /* the target is known and we are in it */
    int exit_code;
    bool finishing;
    uv_signal_t sigint, sigterm;
    uv_timer_t offline_timer; /* send/history: how long we wait for the link */
    client_status_t last_status;
    /* send */
    uv_fs_t read_req;
    char read_buf[65536];
    bool reading, eof;
    buf_t pending; /* stdin bytes without their newline yet */
    size_t queued, acked, in_flight;
    /* history */
    size_t printed;
} run_t;

/* One message at a time: each line goes once the previous one is stored, so that a write
 * the rate limit sends back (and that goes again later) cannot fall behind the next ones. */
#define SEND_WINDOW 1
#define OFFLINE_TIMEOUT_MS 30000

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_client_freed(void *arg)
{
    run_t *r = arg;
    /* A read of stdin that could not be cancelled (a terminal or a pipe with nothing to
     * say) would hold the loop until its input ends: the run is over without it. */
    if (r->reading)
        uv_stop(r->loop);
    uv_close((uv_handle_t *)&r->sigint, on_handle_closed);
    uv_close((uv_handle_t *)&r->sigterm, on_handle_closed);
    uv_close((uv_handle_t *)&r->offline_timer, on_handle_closed);
}

/* Ends the run with code (the first one set wins) once nothing is running any more. */
static void finish(run_t *r, int code)
{
    if (r->finishing)
        return;
    r->finishing = true;
    r->exit_code = code;
    if (r->reading)
        uv_cancel((uv_req_t *)&r->read_req);
    client_free(r->c, on_client_freed, r);
}

static void fail(run_t *r, const char *code, const char *message)
{
    fprintf(stderr, "parley-cli: error %s: %s\n", code, message ? message : code);
    finish(r, exit_of(code));
}

/* The JSON line of one timeline row, as the server's frame: {"type", "payload"}. */
static void print_row(const client_msg_t *m)
{
    const char *type = "msg";
    if (m->kind) {
        if (!strcmp(m->kind, "joined") || !strcmp(m->kind, "left") || !strcmp(m->kind, "topic"))
            type = "channel_event";
        else if (!strcmp(m->kind, "unpin"))
            type = "pin";
        else
            type = m->kind;
    }
    json_t *o = json_pack("{s:s, s:O}", "type", type, "payload", m->raw);
    char *text = json_dumps(o, JSON_COMPACT);
    if (text)
        printf("%s\n", text);
    (void)fflush(stdout);
    free(text);
    json_decref(o);
}

/* ---- send ---- */

static void read_more(run_t *r);
static void take_lines(run_t *r);
static bool lines_waiting(const run_t *r);

/* After an ack or a read: the lines read so far go out; once stdin ended and every line was
 * acknowledged, done; else read on. */
static void send_on(run_t *r)
{
    take_lines(r);
    if (r->finishing)
        return;
    if (r->eof && r->acked == r->queued && !lines_waiting(r))
        finish(r, CLI_EXIT_OK);
    else
        read_more(r);
}

static void on_ack(client_t *c, const client_reply_t *rep, void *arg)
{
    (void)c;
    run_t *r = arg;
    r->in_flight--;
    if (rep->code) {
        fail(r, rep->code, rep->message);
        return;
    }
    r->acked++;
    if (!r->o->quiet)
        printf("%lld\n", (long long)rep->seq);
    (void)fflush(stdout);
    send_on(r);
}

static void queue_text(run_t *r, const char *text)
{
    if (!text[0] || r->finishing)
        return;
    int64_t no = client_send_msg(r->c, r->channel, text, 0, NULL, on_ack, r);
    if (no < 0) {
        fail(r, no == CLIENT_EINVAL ? "bad_payload" : "unreachable",
             no == CLIENT_EINVAL ? "a message that is not UTF-8 text" : "not connected");
        return;
    }
    r->queued++;
    r->in_flight++;
}

/* Sends the whole lines of r->pending (and, at the end of input, the rest) while the window
 * has room; what is left waits for the next ack. */
static void take_lines(run_t *r)
{
    size_t start = 0;
    while (!r->finishing && r->in_flight < SEND_WINDOW && start < r->pending.len) {
        char *nl = memchr(r->pending.data + start, '\n', r->pending.len - start);
        if (!nl && !r->eof)
            break;
        size_t end = nl ? (size_t)(nl - r->pending.data) : r->pending.len;
        char *line = xstrndup(r->pending.data + start, end - start);
        size_t n = end - start;
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';
        queue_text(r, line);
        free(line);
        start = nl ? end + 1 : end;
    }
    buf_consume(&r->pending, start);
}

/* Whole lines still waiting for the window. */
static bool lines_waiting(const run_t *r)
{
    return r->pending.len && (memchr(r->pending.data, '\n', r->pending.len) || r->eof);
}

static void on_stdin(uv_fs_t *req)
{
    run_t *r = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    r->reading = false;
    if (r->finishing)
        return;
    if (n < 0) {
        fprintf(stderr, "parley-cli: reading stdin: %s\n", uv_strerror((int)n));
        finish(r, CLI_EXIT_USAGE);
        return;
    }
    if (n == 0)
        r->eof = true;
    else
        buf_append(&r->pending, r->read_buf, (size_t)n);
    send_on(r);
}

static void read_more(run_t *r)
{
    if (r->reading || r->eof || r->finishing || lines_waiting(r))
        return;
    r->reading = true;
    r->read_req.data = r;
    uv_buf_t b = uv_buf_init(r->read_buf, sizeof(r->read_buf));
    if (uv_fs_read(r->loop, &r->read_req, STDIN_FILENO, &b, 1, -1, on_stdin) < 0) {
        r->reading = false;
        finish(r, CLI_EXIT_USAGE);
    }
}

static void send_start(run_t *r)
{
    if (r->o->n_args > 0) {
        buf_t text = BUF_INIT;
        for (int i = 0; i < r->o->n_args; i++)
            buf_appendf(&text, "%s%s", i ? " " : "", r->o->args[i]);
        r->eof = true;
        if (!text.len) {
            buf_deinit(&text);
            fail(r, "bad_payload", "the message is empty");
            return;
        }
        queue_text(r, text.data);
        buf_deinit(&text);
        return;
    }
    read_more(r);
}

/* ---- history ---- */

static void on_page(client_t *c, const client_reply_t *rep, void *arg);

static void ask_page(run_t *r, int64_t after)
{
    int want = 50;
    if (r->o->limit) {
        size_t left = (size_t)r->o->limit - r->printed;
        want = left < 200 ? (int)left : 200;
    } else if (r->o->since >= 0) {
        want = 200;
    }
    if (client_history(r->c, r->channel, 0, after, want, on_page, r) < 0)
        fail(r, "unreachable", "not connected");
}

static void on_page(client_t *c, const client_reply_t *rep, void *arg)
{
    run_t *r = arg;
    if (rep->code) {
        fail(r, rep->code, rep->message);
        return;
    }
    const json_t *rows = json_object_get(rep->payload, "messages");
    int64_t last = -1;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        client_msg_t m;
        if (client_msg_parse(c, json_array_get(rows, i), &m) < 0)
            continue;
        print_row(&m);
        r->printed++;
        last = m.seq;
    }
    bool more = json_is_true(json_object_get(rep->payload, "more"));
    bool room = !r->o->limit || r->printed < (size_t)r->o->limit;
    /* Forward from --since: follow `more` to the newest; the newest page is one page. */
    if (r->o->since >= 0 && more && room && last > 0)
        ask_page(r, last);
    else
        finish(r, CLI_EXIT_OK);
}

/* ---- the client's callbacks ---- */

static void target_ready(run_t *r)
{
    r->ready = true;
    if (r->cmd == CMD_TAIL && !r->o->quiet)
        fprintf(stderr, "parley-cli: following %s\n", r->o->target);
    if (r->cmd == CMD_SEND)
        send_start(r);
    else if (r->cmd == CMD_HISTORY)
        ask_page(r, r->o->since >= 0 ? r->o->since : -1);
}

static void on_dm(client_t *c, const client_reply_t *rep, void *arg)
{
    (void)c;
    run_t *r = arg;
    if (rep->code) {
        fail(r, rep->code, rep->message);
        return;
    }
    const char *name =
        json_string_value(json_object_get(json_object_get(rep->payload, "channel"), "name"));
    if (!name) {
        fail(r, "internal", "no channel in the answer");
        return;
    }
    snprintf(r->channel, sizeof(r->channel), "%s", name);
    target_ready(r);
}

static void on_welcome(client_t *c, const client_welcome_t *w, bool reconnected, void *ud)
{
    run_t *r = ud;
    if (reconnected || r->ready)
        return;
    const char *t = r->o->target;
    if (t[0] == '@') {
        const char *users[1] = {t + 1};
        if (client_dm_open(c, users, 1, on_dm, r) < 0)
            fail(r, "unreachable", "not connected");
        return;
    }
    bool member = false;
    for (size_t i = 0; i < w->n_channels; i++)
        member |= !strcmp(w->channels[i].name, r->channel);
    if (!member && !w->channels_more) {
        fprintf(stderr, "parley-cli: error not_member: %s is not a channel %s is in\n",
                r->o->target, w->user);
        finish(r, CLI_EXIT_NOT_FOUND);
        return;
    }
    target_ready(r);
}

static void on_offline_timeout(uv_timer_t *t)
{
    run_t *r = t->data;
    fail(r, "unreachable", "the server has been unreachable too long");
}

/* tail says on stderr when the link goes and comes back; send and history give up after
 * OFFLINE_TIMEOUT_MS without it. */
static void on_status(client_t *c, client_status_t st, int secs, const char *text, void *ud)
{
    (void)c;
    (void)secs;
    run_t *r = ud;
    if (r->cmd == CMD_TAIL && st != r->last_status &&
        (st == CLIENT_RECONNECTING || (st == CLIENT_CONNECTED && r->ready)))
        fprintf(stderr, "parley-cli: %s\n", st == CLIENT_RECONNECTING ? "connection lost" : text);
    if (st == CLIENT_CONNECTED)
        uv_timer_stop(&r->offline_timer);
    else if (st == CLIENT_RECONNECTING && r->cmd != CMD_TAIL &&
             !uv_is_active((uv_handle_t *)&r->offline_timer))
        uv_timer_start(&r->offline_timer, on_offline_timeout, OFFLINE_TIMEOUT_MS, 0);
    if (st != CLIENT_CONNECTING)
        r->last_status = st;
}

static void on_msg(client_t *c, const client_msg_t *m, bool mentions_me, void *ud)
{
    (void)c;
    (void)mentions_me;
    run_t *r = ud;
    if (r->cmd == CMD_TAIL && r->ready && !strcmp(m->channel, r->channel))
        print_row(m);
}

static void on_resumed(client_t *c, const char *channel, int64_t from, int64_t to, bool recovered,
                       void *ud)
{
    (void)c;
    run_t *r = ud;
    if (r->cmd == CMD_TAIL && !recovered && !strcmp(channel, r->channel))
        fprintf(stderr, "parley-cli: the server could not replay #%s from %lld to %lld\n", channel,
                (long long)from, (long long)to);
}

static void on_channel_left(client_t *c, const char *channel, void *ud)
{
    (void)c;
    run_t *r = ud;
    if (r->ready && !strcmp(channel, r->channel)) {
        fprintf(stderr, "parley-cli: no longer in %s\n", r->o->target);
        finish(r, CLI_EXIT_NOT_FOUND);
    }
}

static void on_error(client_t *c, const char *code, const char *message, const char *cid, void *ud)
{
    (void)c;
    (void)cid;
    run_t *r = ud;
    fprintf(stderr, "parley-cli: error %s: %s\n", code ? code : "error", message ? message : "");
    if (r->cmd == CMD_TAIL && code && !strcmp(code, "bad_payload") && !r->ready)
        finish(r, CLI_EXIT_NOT_FOUND);
}

static void on_refused(client_t *c, const char *code, const char *message, void *ud)
{
    (void)c;
    fail(ud, code, message);
}

static void on_signal(uv_signal_t *s, int signum)
{
    (void)signum;
    run_t *r = s->data;
    finish(r, r->cmd == CMD_TAIL ? CLI_EXIT_OK : CLI_EXIT_INTERRUPTED);
}

/* Channel names: "#design" and "design" are one; "@bob" is bob's direct message. */
static int parse_target(run_t *r)
{
    const char *t = r->o->target;
    if (t[0] == '@') {
        if (!t[1]) {
            fprintf(stderr, "parley-cli: no name after @\n");
            return -1;
        }
        return 0;
    }
    if (t[0] == '#')
        t++;
    if (!t[0] || strlen(t) >= sizeof(r->channel)) {
        fprintf(stderr, "parley-cli: bad channel '%s'\n", r->o->target);
        return -1;
    }
    snprintf(r->channel, sizeof(r->channel), "%s", t);
    return 0;
}

static int run(cmd_t cmd, const cli_opts_t *o)
{
    run_t *r = calloc(1, sizeof(*r));
    r->cmd = cmd;
    r->o = o;
    buf_init(&r->pending);
    if (parse_target(r) < 0) {
        free(r);
        return CLI_EXIT_USAGE;
    }
    if (cmd == CMD_TAIL && o->target[0] == '@' && o->since >= 0) {
        fprintf(stderr, "parley-cli: tail --since takes a #channel\n");
        free(r);
        return CLI_EXIT_USAGE;
    }
    client_opts_t co;
    char *owned;
    if (cli_client_opts(o, &co, &owned) < 0) {
        free(r);
        return CLI_EXIT_USAGE;
    }
    co.cb.status = on_status;
    co.cb.welcome = on_welcome;
    co.cb.msg = on_msg;
    co.cb.resumed = on_resumed;
    co.cb.channel_left = on_channel_left;
    co.cb.error = on_error;
    co.cb.refused = on_refused;
    co.ud = r;
    uv_loop_t loop;
    uv_loop_init(&loop);
    r->loop = &loop;
    const char *err;
    r->c = client_new(&loop, &co, &err);
    if (!r->c) {
        fprintf(stderr, "parley-cli: %s\n", err);
        free(owned);
        free(r);
        uv_loop_close(&loop);
        return CLI_EXIT_USAGE;
    }
    if (cmd == CMD_TAIL && o->since >= 0)
        client_resume_from(r->c, r->channel, o->since);
    uv_signal_init(&loop, &r->sigint);
    uv_signal_init(&loop, &r->sigterm);
    r->sigint.data = r->sigterm.data = r;
    uv_signal_start(&r->sigint, on_signal, SIGINT);
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    uv_timer_init(&loop, &r->offline_timer);
    r->offline_timer.data = r;
    client_start(r->c);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (!r->reading)
        uv_loop_close(&loop);
    int code = r->exit_code;
    buf_deinit(&r->pending);
    free(owned);
    free(r);
    (void)fflush(stdout);
    return code;
}

int cli_send(const cli_opts_t *o)
{
    return run(CMD_SEND, o);
}

int cli_tail(const cli_opts_t *o)
{
    return run(CMD_TAIL, o);
}

int cli_history(const cli_opts_t *o)
{
    return run(CMD_HISTORY, o);
}
