/* tui - the full-screen client's loop: one client (src/client), the terminal, and the
 * handles that join them on one libuv loop.
 *
 *   stdin readable (uv_poll)  -> wget_wch until empty -> tui_keys
 *   client callbacks          -> tui_model, the status line
 *   SIGWINCH (uv_signal)      -> resizeterm
 *   once a second (uv_timer)  -> expire the typing line
 *   before the loop sleeps (uv_prepare) -> draw, when anything changed
 *
 * Drawing only before the loop sleeps folds a burst (a resume of hundreds of rows, a
 * pasted line) into one screen update. libuv's SIGWINCH handler replaces ncurses' own
 * (started after initscr), so the size is read with TIOCGWINSZ here. */
#include "tui/tui.h"

#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "tui/tui_state.h"
#include "tui/tui_keys.h"
#include "tui/tui_render.h"

#define TYPING_SHOWN_MS 5000

typedef struct {
    tui_t t;
    uv_loop_t loop;
    uv_poll_t in;
    uv_signal_t winch;
    uv_timer_t tick;
    uv_prepare_t draw;
    bool stopping;
    char refusal[300];
} tui_app_t;

/* ---- the client's callbacks ---- */

static void on_status(client_t *c, client_status_t st, int secs, const char *text, void *ud)
{
    (void)c, (void)secs;
    tui_t *t = ud;
    if (st == CLIENT_CONNECTED)
        t->conn = TUI_CONN_ONLINE;
    else if (st == CLIENT_RECONNECTING || (st == CLIENT_CONNECTING && t->model.me))
        t->conn = TUI_CONN_RECONNECTING;
    else
        t->conn = TUI_CONN_CONNECTING;
    if (st == CLIENT_RECONNECTING && text)
        tui_notice(t, false, "%s", text);
    else if (st == CLIENT_CONNECTED && !t->notice_error)
        t->notice[0] = 0;
    t->dirty = true;
}

static void on_welcome(client_t *c, const client_welcome_t *w, bool reconnected, void *ud)
{
    (void)c;
    tui_t *t = ud;
    tui_model_welcome(&t->model, w);
    for (size_t i = 0; i < w->n_online; i++)
        tui_know(t, w->online[i]);
    if (!reconnected) {
        tui_switch(t, 0);
        return;
    }
    /* The conversation shown stays read (the welcome counted what we saw as unread); where
     * the reader had scrolled to stays too. */
    tui_model_select(&t->model, t->model.cur);
    t->dirty = true;
}

static void on_resumed(client_t *c, const char *channel, int64_t from, int64_t to, bool recovered,
                       void *ud)
{
    (void)from, (void)to;
    tui_t *t = ud;
    tui_conv_t *conv = tui_model_find(&t->model, channel, NULL);
    if (!recovered && conv) { /* the range could not be replayed: read the newest again */
        conv->loaded = false;
        (void)client_history(c, channel, 0, -1, TUI_HISTORY_PAGE, tui_reply_cb, t);
    }
    t->dirty = true;
}

static void on_channel(client_t *c, const client_channel_t *ch, void *ud)
{
    (void)c;
    tui_t *t = ud;
    int idx = tui_model_channel(&t->model, ch);
    if (idx >= 0 && *t->pending && strcmp(t->pending, ch->name) == 0) {
        t->pending[0] = 0;
        tui_switch(t, (size_t)idx);
    }
    t->dirty = true;
}

static void on_left(client_t *c, const char *channel, void *ud)
{
    (void)c;
    tui_t *t = ud;
    tui_model_leave(&t->model, channel);
    tui_switch(t, t->model.cur);
}

static void on_msg(client_t *c, const client_msg_t *m, bool mentions_me, void *ud)
{
    (void)c;
    tui_t *t = ud;
    if (tui_model_row(&t->model, m, mentions_me)) {
        tui_know(t, m->user);
        tui_conv_t *cur = tui_model_current(&t->model);
        if (cur && m->channel && strcmp(cur->name, m->channel) == 0 && !m->mine && !m->kind)
            tui_mark_read(t, cur);
        if (m->user && strcmp(m->user, t->typing) == 0)
            t->typing[0] = 0; /* they sent it: no longer typing */
    }
    t->dirty = true;
}

static void on_typing(client_t *c, const char *channel, const char *user, void *ud)
{
    (void)c;
    tui_t *t = ud;
    snprintf(t->typing, sizeof t->typing, "%s", user);
    snprintf(t->typing_chan, sizeof t->typing_chan, "%s", channel);
    t->typing_until = clock_mono_ms() + TYPING_SHOWN_MS;
    t->dirty = true;
}

static void on_topic(client_t *c, const char *channel, const char *topic, const char *user,
                     void *ud)
{
    (void)c, (void)user;
    tui_t *t = ud;
    tui_model_topic(&t->model, channel, topic);
    t->dirty = true;
}

static void on_read(client_t *c, const char *channel, int64_t seq, void *ud)
{
    (void)c;
    tui_t *t = ud;
    tui_conv_t *conv = tui_model_find(&t->model, channel, NULL);
    if (conv && seq >= conv->top) {
        conv->unread = conv->mentions = 0;
        t->dirty = true;
    }
}

/* Whoever comes online or joins a channel of ours can be @-completed. */
static void on_presence(client_t *c, const char *user, const char *status, void *ud)
{
    (void)c, (void)status;
    tui_know(ud, user);
}

static void on_member(client_t *c, const char *channel, const char *user, bool joined, void *ud)
{
    (void)c, (void)channel, (void)joined;
    tui_know(ud, user);
}

static void on_error(client_t *c, const char *code, const char *message, const char *cid, void *ud)
{
    (void)c, (void)cid;
    tui_notice(ud, true, "%s: %s", code, message ? message : "");
}

static void on_refused(client_t *c, const char *code, const char *message, void *ud)
{
    (void)c;
    tui_app_t *a = ud;
    snprintf(a->refusal, sizeof a->refusal, "%s: %s", code, message ? message : "");
    a->t.exit_code = 3;
    a->t.quit = true;
}

/* ---- the terminal ---- */

static void stop(tui_app_t *a);

static void on_stdin(uv_poll_t *h, int status, int events)
{
    (void)events;
    tui_app_t *a = h->data;
    if (status < 0) {
        a->t.quit = true;
        return;
    }
    bool esc = false;
    wint_t ch;
    int rc;
    while ((rc = wget_wch(stdscr, &ch)) != ERR) {
        bool is_key = rc == KEY_CODE_YES;
        if (is_key && ch == KEY_RESIZE)
            continue;
        if (!is_key && ch == 27) {
            if (esc)
                tui_keys_escape(&a->t);
            esc = true;
            continue;
        }
        tui_keys_handle(&a->t, ch, is_key, esc);
        esc = false;
    }
    if (esc)
        tui_keys_escape(&a->t);
}

static void on_winch(uv_signal_t *h, int signum)
{
    (void)signum;
    tui_app_t *a = h->data;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    clearok(curscr, TRUE);
    a->t.dirty = true;
}

static void on_tick(uv_timer_t *h)
{
    tui_app_t *a = h->data;
    if (*a->t.typing && clock_mono_ms() >= a->t.typing_until) {
        a->t.typing[0] = 0;
        a->t.dirty = true;
    }
}

static void on_draw(uv_prepare_t *h)
{
    tui_app_t *a = h->data;
    if (a->t.quit && !a->stopping) {
        stop(a);
        return;
    }
    if (!a->t.dirty || a->stopping)
        return;
    a->t.dirty = false;
    tui_render_draw(&a->t);
    tui_keys_after_draw(&a->t);
}

static void stop(tui_app_t *a)
{
    a->stopping = true;
    uv_close((uv_handle_t *)&a->in, NULL);
    uv_close((uv_handle_t *)&a->winch, NULL);
    uv_close((uv_handle_t *)&a->tick, NULL);
    uv_close((uv_handle_t *)&a->draw, NULL);
    client_free(a->t.client, NULL, NULL);
    a->t.client = NULL;
}

static void screen_start(void)
{
    initscr();
    raw(); /* Ctrl-C, Ctrl-K, Ctrl-T... are keys here */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    tui_render_init();
}

static void handles_start(tui_app_t *a)
{
    uv_poll_init(&a->loop, &a->in, STDIN_FILENO);
    uv_signal_init(&a->loop, &a->winch);
    uv_timer_init(&a->loop, &a->tick);
    uv_prepare_init(&a->loop, &a->draw);
    a->in.data = a->winch.data = a->tick.data = a->draw.data = a;
    uv_poll_start(&a->in, UV_READABLE, on_stdin);
    uv_signal_start(&a->winch, on_winch, SIGWINCH);
    uv_timer_start(&a->tick, on_tick, 1000, 1000);
    uv_prepare_start(&a->draw, on_draw);
}

static void app_free(tui_app_t *a)
{
    tui_model_deinit(&a->t.model);
    tui_input_deinit(&a->t.input);
    json_decref(a->t.results);
    for (size_t i = 0; i < a->t.nnames; i++)
        free(a->t.names[i]);
    free(a->t.names);
    free(a);
}

int tui_run(const client_opts_t *o)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "parley-cli: the full-screen mode needs a terminal "
                        "(scripts: parley-cli send, tail, history)\n");
        return 2;
    }
    setlocale(LC_ALL, "");
    tui_app_t *a = xcalloc(1, sizeof *a);
    tui_model_init(&a->t.model);
    tui_input_init(&a->t.input);
    uv_loop_init(&a->loop);
    client_opts_t co = *o;
    co.cb = (client_callbacks_t){.status = on_status,
                                 .welcome = on_welcome,
                                 .resumed = on_resumed,
                                 .channel = on_channel,
                                 .channel_left = on_left,
                                 .msg = on_msg,
                                 .typing = on_typing,
                                 .topic = on_topic,
                                 .read = on_read,
                                 .error = on_error,
                                 .presence = on_presence,
                                 .member = on_member,
                                 .refused = on_refused};
    co.ud = a;
    const char *err = NULL;
    a->t.client = client_new(&a->loop, &co, &err);
    if (!a->t.client) {
        fprintf(stderr, "parley-cli: %s\n", err ? err : "cannot start");
        uv_loop_close(&a->loop);
        app_free(a);
        return 2;
    }
    screen_start();
    handles_start(a);
    a->t.dirty = true;
    client_start(a->t.client);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    endwin();
    uv_loop_close(&a->loop);
    int rc = a->t.exit_code;
    if (*a->refusal)
        fprintf(stderr, "parley-cli: %s\n", a->refusal);
    app_free(a);
    return rc;
}
