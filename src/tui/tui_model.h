/* tui_model - what parley-cli's full-screen mode knows of the chat: the conversations (channels
 * and direct messages) with their unread and mention counts, each one's messages in seq order
 * with edits, deletes, reactions and thread replies folded in, and the open thread.
 *
 * It is fed what the client library parsed (src/client: the welcome, channels, timeline rows
 * live or from history pages) and never does I/O: the screen reads it, the session feeds
 * it. Seqs de-duplicate: a message or event that arrives twice (a resume overlapping a
 * history page) is applied once. */
#ifndef PARLEY_TUI_MODEL_H
#define PARLEY_TUI_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/client.h"

typedef struct {
    char *emoji;  /* owned */
    char **users; /* owned: who has it on */
    size_t nusers;
} tui_react_t;

typedef enum { TUI_ROW_MSG, TUI_ROW_LINE } tui_row_kind_t;

typedef struct {
    tui_row_kind_t kind;
    int64_t seq, ts;
    int64_t thread;    /* parent seq of a thread reply, 0 for a channel message */
    char *user, *text; /* owned; a line's text is what it says ("bob joined") */
    bool edited, deleted;
    int replies;          /* shown reply count of a parent */
    int64_t replies_last; /* the seq the history's count ran to */
    tui_react_t *reacts;  /* owned, in the order first added */
    size_t nreacts;
} tui_msg_t;

typedef struct {
    char *name;  /* owned: the wire name (general, dm-...) */
    char *label; /* owned: "#general" or "@bob, carol" */
    char *topic; /* owned */
    bool dm;
    int unread, mentions;
    int64_t top;     /* the newest seq seen (messages and events): what a resume starts from */
    bool more;       /* older history exists */
    bool loaded;     /* a history answer came */
    tui_msg_t *msgs; /* owned, ascending seq */
    size_t n, cap;
} tui_conv_t;

typedef struct {
    char *me; /* owned: our name once welcomed */
    tui_conv_t **convs;
    size_t nconvs;
    size_t cur; /* index of the conversation shown */
    /* The open thread: its channel and parent seq (0: none). Its rows are the channel's
     * replies to that parent, so one store serves both panes. */
    char *thread_chan;
    int64_t thread_seq;
} tui_model_t;

void tui_model_init(tui_model_t *m);
void tui_model_deinit(tui_model_t *m);

/* welcome: our name and the conversations we are in (adds and updates; keeps the
 * messages held). */
void tui_model_welcome(tui_model_t *m, const client_welcome_t *w);
/* A channel we are in: adds or updates a conversation; returns its index or -1. */
int tui_model_channel(tui_model_t *m, const client_channel_t *ch);
/* channel_left / deleted: drops it. */
void tui_model_leave(tui_model_t *m, const char *name);
/* A history or thread answer's payload {"messages", "more"} for channel: folds each row in
 * (client_msg_parse reads them; c may be NULL). */
void tui_model_history(tui_model_t *m, const client_t *c, const char *channel,
                       const json_t *payload, bool is_thread);
/* A live or resumed row (message, reply, event or channel line). Returns true when it was
 * new (not a duplicate by seq); counts it unread (and as a mention) when it is a message
 * of another person in a conversation not shown. */
bool tui_model_row(tui_model_t *m, const client_msg_t *x, bool mentions_me);
/* A topic changed. */
void tui_model_topic(tui_model_t *m, const char *channel, const char *topic);

tui_conv_t *tui_model_find(const tui_model_t *m, const char *name, size_t *idx);
tui_conv_t *tui_model_current(const tui_model_t *m);
/* Shows conversation idx and marks it read. */
void tui_model_select(tui_model_t *m, size_t idx);
tui_msg_t *tui_model_msg(const tui_conv_t *c, int64_t seq);
/* The newest channel message (not a reply, not deleted) whose author is user (NULL: anyone). */
tui_msg_t *tui_model_last(const tui_conv_t *c, const char *user);
/* Total reaction count on a message for one emoji. */
size_t tui_model_react_count(const tui_msg_t *msg, const char *emoji);

#endif
