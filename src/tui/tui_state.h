/* tui_state - the state the full-screen client's modules share (tui.c makes it): the model,
 * the input line, what the screen shows besides them, the client, and the actions that
 * several modules take on them (a notice, switching conversation, opening a thread, the
 * answers to requests). */
#ifndef PARLEY_TUI_STATE_H
#define PARLEY_TUI_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "client/client.h"
#include "tui/tui_input.h"
#include "tui/tui_model.h"

#define TUI_HISTORY_PAGE 100

typedef enum { TUI_CONN_CONNECTING, TUI_CONN_ONLINE, TUI_CONN_RECONNECTING } tui_conn_t;

typedef struct {
    tui_model_t model;
    tui_input_t input;
    tui_conn_t conn;
    char notice[512]; /* the last error or answer worth a line, shown in the status line */
    bool notice_error;
    char typing[128]; /* who is typing in which channel: "bob" */
    char typing_chan[96];
    uint64_t typing_until; /* clock_mono_ms */
    uint64_t typing_sent;  /* when we last told the server we type */
    int scroll;            /* rows scrolled up from the newest in the main pane */
    bool at_top;           /* the last draw showed the oldest row held */
    bool history_asked;
    bool thread_open;
    json_t *results; /* owned: the last search's `results` payload, shown in the side pane */
    bool filter;     /* Ctrl-K: the input line filters conversations */
    wchar_t filter_buf[64];
    size_t filter_len;
    char pending[96]; /* a conversation we asked for (joined, created): shown once known */
    bool dirty, quit;
    char **names; /* owned: people known, for @-completion */
    size_t nnames;
    client_t *client;
    int exit_code; /* what tui_run returns */
} tui_t;

/* Sets the status line's notice (printf style). */
void tui_notice(tui_t *t, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Remembers a person's name for completion. */
void tui_know(tui_t *t, const char *name);
/* The reply callback of every request the interface makes (arg: the tui_t): errors go to
 * the status line, answers (a thread, search results, a channel joined) to the screen. */
void tui_reply_cb(client_t *c, const client_reply_t *r, void *arg);
/* Checks an action's return: a notice when it was refused before being sent. */
void tui_sent(tui_t *t, int64_t rc);
/* Opens the thread of seq in the current conversation (asks the server for it). */
void tui_open_thread(tui_t *t, int64_t seq);
/* Shows conversation idx: marks it read (tells the server) and loads its history once. */
void tui_switch(tui_t *t, size_t idx);
/* Moves our read marker of c to its newest seq (when connected). */
void tui_mark_read(tui_t *t, tui_conv_t *c);

#endif
