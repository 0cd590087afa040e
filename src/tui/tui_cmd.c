/* tui_cmd - the slash commands of the full-screen client.
 *
 * Commands that act on a message (/react, /edit, /delete, /thread) take it by place, not by
 * seq, since the screen shows no seqs: none means the newest (the newest of ours for /edit
 * and /delete), N the Nth newest. Each command checks its arguments before anything is sent,
 * and says its usage when they are wrong. */
#include "tui/tui_cmd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

typedef struct {
    const char *name;
    void (*run)(tui_t *t, char *args);
    const char *usage;
} cmd_t;

static const struct {
    const char *name, *emoji;
} EMOJI[] = {
    {"+1", "👍"},
    {"thumbsup", "👍"},
    {"-1", "👎"},
    {"heart", "❤️"},
    {"smile", "😄"},
    {"joy", "😂"},
    {"tada", "🎉"},
    {"eyes", "👀"},
    {"rocket", "🚀"},
    {"fire", "🔥"},
    {"white_check_mark", "✅"},
    {"pray", "🙏"},
    {"thinking_face", "🤔"},
    {"wave", "👋"},
};

const char *tui_cmd_emoji(const char *word)
{
    char name[40];
    size_t n = strlen(word);
    if (n == 0 || n > 32)
        return NULL;
    if ((unsigned char)word[0] >= 0x80) /* not ASCII: taken as the emoji itself */
        return word;
    if (word[0] == ':' && n > 2 && word[n - 1] == ':') {
        memcpy(name, word + 1, n - 2);
        name[n - 2] = 0;
    } else {
        memcpy(name, word, n + 1);
    }
    for (size_t i = 0; i < sizeof EMOJI / sizeof EMOJI[0]; i++)
        if (strcmp(EMOJI[i].name, name) == 0)
            return EMOJI[i].emoji;
    return NULL;
}

/* The next word of *s (cut off with a NUL), or NULL at the end. */
static char *word(char **s)
{
    char *p = *s;
    while (*p == ' ')
        p++;
    if (!*p)
        return NULL;
    char *w = p;
    while (*p && *p != ' ')
        p++;
    if (*p)
        *p++ = 0;
    *s = p;
    return w;
}

static char *rest(char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

/* "#design" or "design" (or "@bob" for people): the name without its mark. */
static const char *bare(const char *w, char mark)
{
    return w[0] == mark ? w + 1 : w;
}

static tui_conv_t *current(tui_t *t)
{
    tui_conv_t *c = tui_model_current(&t->model);
    if (!c)
        tui_notice(t, true, "not in any conversation yet");
    return c;
}

/* The Nth newest message of the conversation (1: the newest), of user when not NULL. */
static tui_msg_t *nth(const tui_conv_t *c, int n, const char *user)
{
    for (size_t i = c->n; i-- > 0;) {
        tui_msg_t *x = &c->msgs[i];
        if (x->kind != TUI_ROW_MSG || x->thread || x->deleted)
            continue;
        if (user && strcmp(x->user, user) != 0)
            continue;
        if (--n == 0)
            return x;
    }
    return NULL;
}

/* Reads an optional leading place N from *args; 1 when there is none. 0 when it is bad. */
static int place(char **args)
{
    char *p = rest(*args);
    if (!isdigit((unsigned char)*p))
        return 1;
    char *end;
    long n = strtol(p, &end, 10);
    if (*end && *end != ' ')
        return 1; /* a word that starts with digits is text, not a place */
    *args = end;
    return n >= 1 && n <= 1000 ? (int)n : 0;
}

static tui_msg_t *target(tui_t *t, char **args, bool own, const char *usage)
{
    tui_conv_t *c = current(t);
    if (!c)
        return NULL;
    int n = place(args);
    tui_msg_t *x = n ? nth(c, n, own ? t->model.me : NULL) : NULL;
    if (!x)
        tui_notice(t, true, "no such message%s; usage: %s", own ? " of yours" : "", usage);
    return x;
}

static void cmd_join(tui_t *t, char *args)
{
    tui_sent(t, client_channel_join(t->client, bare(word(&args), '#'), tui_reply_cb, t));
}

static void cmd_leave(tui_t *t, char *args)
{
    char *w = word(&args);
    tui_conv_t *c = w ? NULL : current(t);
    if (w || c)
        tui_sent(t, client_channel_leave(t->client, w ? bare(w, '#') : c->name, tui_reply_cb, t));
}

static void cmd_create(tui_t *t, char *args)
{
    const char *name = bare(word(&args), '#');
    bool priv = false;
    char *more = rest(args);
    if (strncmp(more, "--private", 9) == 0 && (more[9] == 0 || more[9] == ' ')) {
        priv = true;
        more = rest(more + 9);
    }
    tui_sent(t, client_channel_create(t->client, name, priv, more, tui_reply_cb, t));
}

static void cmd_invite(tui_t *t, char *args)
{
    const char *user = bare(word(&args), '@');
    char *w = word(&args);
    tui_conv_t *c = w ? NULL : current(t);
    if (w || c)
        tui_sent(
            t, client_channel_invite(t->client, w ? bare(w, '#') : c->name, user, tui_reply_cb, t));
}

static void cmd_dm(tui_t *t, char *args)
{
    const char *users[CLIENT_DM_MAX];
    size_t n = 0;
    for (char *w; (w = word(&args));) {
        if (n == CLIENT_DM_MAX - 1) {
            tui_notice(t, true, "a direct message holds at most %d others", CLIENT_DM_MAX - 1);
            return;
        }
        users[n++] = bare(w, '@');
    }
    tui_sent(t, client_dm_open(t->client, users, n, tui_reply_cb, t));
}

static void cmd_topic(tui_t *t, char *args)
{
    tui_conv_t *c = current(t);
    if (c)
        tui_sent(t, client_channel_topic(t->client, c->name, rest(args), tui_reply_cb, t));
}

static void cmd_search(tui_t *t, char *args)
{
    tui_sent(t, client_search(t->client, rest(args), NULL, tui_reply_cb, t));
}

static void cmd_react(tui_t *t, char *args)
{
    tui_msg_t *x = target(t, &args, false, "/react [N] EMOJI");
    if (!x)
        return;
    char *w = word(&args);
    const char *emoji = w ? tui_cmd_emoji(w) : NULL;
    if (!emoji) {
        tui_notice(t, true, "unknown emoji %s; usage: /react [N] EMOJI (👍, :tada:, +1...)",
                   w ? w : "");
        return;
    }
    tui_conv_t *c = tui_model_current(&t->model);
    tui_sent(t, client_react(t->client, c->name, x->seq, emoji, -1, tui_reply_cb, t));
}

static void cmd_edit(tui_t *t, char *args)
{
    tui_msg_t *x = target(t, &args, true, "/edit [N] TEXT");
    if (!x)
        return;
    char *text = rest(args);
    if (!*text) {
        tui_notice(t, true, "usage: /edit [N] TEXT (N: your Nth newest message)");
        return;
    }
    tui_conv_t *c = tui_model_current(&t->model);
    tui_sent(t, client_edit(t->client, c->name, x->seq, text, tui_reply_cb, t));
}

static void cmd_delete(tui_t *t, char *args)
{
    tui_msg_t *x = target(t, &args, true, "/delete [N]");
    if (x)
        tui_sent(t, client_delete(t->client, tui_model_current(&t->model)->name, x->seq,
                                  tui_reply_cb, t));
}

static void cmd_thread(tui_t *t, char *args)
{
    tui_msg_t *x = target(t, &args, false, "/thread [N]");
    if (x)
        tui_open_thread(t, x->seq);
}

static void send_text(tui_t *t, const char *text)
{
    tui_conv_t *c = current(t);
    if (!c)
        return;
    int64_t thread = 0;
    if (t->thread_open && t->model.thread_chan && strcmp(t->model.thread_chan, c->name) == 0)
        thread = t->model.thread_seq;
    tui_sent(t, client_send_msg(t->client, c->name, text, thread, NULL, tui_reply_cb, t));
}

static void cmd_me(tui_t *t, char *args)
{
    /* Slack's /me: the action in italics, which the web client's format.js shows so. */
    char *text = rest(args);
    char *line = xmalloc(strlen(text) + 3);
    sprintf(line, "_%s_", text);
    send_text(t, line);
    free(line);
}

static void cmd_quit(tui_t *t, char *args)
{
    (void)args;
    t->quit = true;
}

static void cmd_help(tui_t *t, char *args);

static const cmd_t CMDS[] = {
    {"join", cmd_join, "/join #channel"},
    {"leave", cmd_leave, NULL},
    {"create", cmd_create, "/create NAME [--private] [TOPIC]"},
    {"invite", cmd_invite, "/invite @user [#channel]"},
    {"dm", cmd_dm, "/dm @user [@user...]"},
    {"topic", cmd_topic, NULL},
    {"search", cmd_search, "/search WORDS [from:user] [in:channel]"},
    {"react", cmd_react, NULL},
    {"edit", cmd_edit, NULL},
    {"delete", cmd_delete, NULL},
    {"thread", cmd_thread, NULL},
    {"me", cmd_me, "/me ACTION"},
    {"quit", cmd_quit, NULL},
    {"help", cmd_help, NULL},
};

static void cmd_help(tui_t *t, char *args)
{
    (void)args;
    tui_notice(t, false,
               "/join /leave /create /invite /dm /topic /search /react /edit "
               "/delete /thread /me /quit; Alt+N or Ctrl-K switch, Esc closes a pane");
}

void tui_cmd_run(tui_t *t, const char *line)
{
    if (line[0] != '/' || line[1] == '/') {
        if (*line)
            send_text(t, line[0] == '/' ? line + 1 : line); /* "//x" sends "/x" */
        return;
    }
    char *copy = xstrdup(line + 1), *args = copy;
    const char *name = word(&args);
    const cmd_t *cmd = NULL;
    for (size_t i = 0; name && i < sizeof CMDS / sizeof CMDS[0]; i++)
        if (strcmp(CMDS[i].name, name) == 0)
            cmd = &CMDS[i];
    if (!cmd)
        tui_notice(t, true, "unknown command /%s: try /help", name ? name : "");
    else if (cmd->usage && !*rest(args))
        tui_notice(t, true, "usage: %s", cmd->usage);
    else
        cmd->run(t, args);
    free(copy);
}
