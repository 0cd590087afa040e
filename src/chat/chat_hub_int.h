/* chat_hub_int - what the hub's files share (not for other modules): chat_hub.c (the
 * registry, ordering, writes and the way out), chat_hub_in.c (the way in: events
 * committed elsewhere, ordered by seq, gaps filled from the store) and chat_hub_load.c
 * (the start: what the store holds, read into memory). */
#ifndef PARLEY_CHAT_HUB_INT_H
#define PARLEY_CHAT_HUB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/chat_hub.h"
#include "chat/chat_keys.h"

/* A retry of a pending write, acked (or refused) with it. */
#define CHAT_DUPS_MAX 32 /* retries waiting on one pending write; past it they are refused */

typedef struct dup {
    struct dup *next;
    void *conn; /* NULL once it went away */
    char *id;
} dup_t;

/* An event between publish and commit; the store append's context. */
typedef struct pend {
    struct pend *next;
    dup_t *dups;
    struct hub_chan *hc;
    void *ack_conn; /* NULL once the sender went away, or for text modes */
    uint64_t seq;
    int64_t ts;
    char *user;       /* the author's name, as shown */
    uint64_t user_id; /* and who it is (0: a line-mode writer) */
    char *text;
    char *id;    /* the request id as JSON text, NULL if none */
    char *cid;   /* the client key, NULL if none */
    char *files; /* store_msg_t.files, NULL if none */
    char *app;   /* store_msg_t.app, NULL if none */
    void (*done_cb)(void *ctx, int status, uint64_t seq); /* chat_pub_t done */
    void *done_ctx;
    uint64_t thread, target;
    const char *kind; /* static: chat_ev_name */
    int status;
    bool done;
    bool guest;     /* written by a guest */
    bool duplicate; /* shared: the store already held its key; seq is the original's */
} pend_t;

/* What a failed write had already done in memory when it was accepted, to undo once every
 * write of the channel is answered: a reaction toggled, a target marked deleted. */
typedef struct revert {
    struct revert *next;
    uint64_t target;
    char *emoji;   /* NULL for a delete */
    uint64_t user; /* the reaction's author */
    bool was_on;   /* a reaction's state before the toggle */
} revert_t;

/* One wait for a channel's catch-up (chat_hub_catch_up_then). */
typedef struct caught {
    struct caught *next;
    chat_hub_caught_cb cb;
    void *ctx;
} caught_t;

/* The position check's read in flight (chat_hub_in.c). */
typedef struct hub_positions hub_positions_t;

/* A channel's ordering state. */
typedef struct hub_chan {
    chat_hub_t *h;
    chat_channel_t *ch;
    uint64_t last_seq; /* highest seq assigned (or delivered); shared: known to be committed */
    pend_t *head, *tail;
    revert_t *reverts;  /* newest first: undone in reverse order of acceptance */
    store_msg_t *early; /* deliveries ahead of committed+1, by seq (copies) */
    size_t nearly;
    bool filling;          /* a store query for a missing range is in flight */
    bool catching_up;      /* fills go on page by page until the store has nothing newer */
    struct caught *caught; /* called once the catch-up ends (chat_hub_catch_up_then) */
    bool catch_again;      /* a wait came while a fill ran: one more fill before they end */
    uint64_t fill_from;    /* what was committed when it was asked */
} hub_chan_t;

struct chat_hub {
    store_t *store;
    auth_t *auth;
    chat_config_t cfg;
    const chat_transport_t *t;
    hub_chan_t **chans;
    size_t nchans, chans_cap;
    chat_keys_t *keys;             /* client keys of recent writes */
    chat_presence_table_t *roster; /* who is online */
    chat_elsewhere_t *elsewhere;   /* who is online on the other processes */
    chat_quota_t *quota;           /* what may be made, per member and per address */
    chat_metrics_t stats;
    uint64_t *mentioned; /* every user ever mentioned, sorted: who may have mentions to count */
    size_t nmentioned, mentioned_cap;
    size_t inflight; /* appends and changes the store has not answered */
    size_t changing; /* of which changes */
    bool loading, load_failed;
    bool failed;                     /* the store failed a commit: writes refused */
    bool probing;                    /* a probe is in flight */
    const chat_hub_outbox_t *outbox; /* shared: every local commit, for the other processes */
    void *outbox_ctx;
    unsigned ticks;
    hub_positions_t *positions; /* shared: the position check's read in flight, or NULL */
    /* #general's member count (chat_hub_member_count): the count, over the users below
     * index general_scanned (the last of them general_last_id), as of general_at
     * (monotonic ms; 0: never). */
    size_t general_count, general_scanned;
    uint64_t general_last_id;
    int64_t general_at;
    struct auth_rates *app_rates; /* integrations' rate buckets, by hook id (chat_apps.c) */
};

/* chat_hub.c: commits one event that is next in seq order (the ring, then every member),
 * and records a mention of user (STORE_MENTION_ALL: @channel or @here) in ch at seq. */
void chat_hub_commit_event(chat_hub_t *h, hub_chan_t *hc, const store_msg_t *m);
void chat_hub_note_mention(chat_hub_t *h, chat_channel_t *ch, uint64_t user, uint64_t seq);
/* chat_hub_load.c: reads hc's last seq and asks for its newest messages for the ring
 * (while loading: chat_hub_channel_add calls it); -1 when the store cannot say. */
int chat_hub_channel_load(chat_hub_t *h, hub_chan_t *hc);
/* The distinct user ids a msg's text mentions (STORE_MENTION_ALL for @channel and @here), as
 * of now, in out: how many. chat_hub_note_mentions also notes each of them in ch at seq. */
size_t chat_hub_mention_ids(chat_hub_t *h, const char *text, uint64_t out[CHAT_MENTIONS_MAX]);
size_t chat_hub_note_mentions(chat_hub_t *h, chat_channel_t *ch, const char *text, uint64_t seq,
                              uint64_t out[CHAT_MENTIONS_MAX]);

/* chat_hub_in.c: frees hc's buffered deliveries; whether events known to exist elsewhere
 * are not committed here yet (local writes aside); asks the store for them; takes one
 * committed event of hc (from elsewhere, or shared: a local one) in seq order. */
void chat_hub_in_free(hub_chan_t *hc);
/* Calls and frees every wait of hc's catch-up (ok: caught up; false: the hub goes). */
void chat_hub_in_caught(hub_chan_t *hc, bool ok);
void chat_hub_in_take(chat_hub_t *h, hub_chan_t *hc, const store_msg_t *m);
bool chat_hub_in_missing(const hub_chan_t *hc);
void chat_hub_in_fill(chat_hub_t *h, hub_chan_t *hc);
/* Shared, every CHAT_POSITION_CHECK_TICKS: one store_positions read (none while the last
 * is out); each channel the store has further than committed here gets its last_seq raised
 * to the store's and a fill. stop: the hub goes; the read in flight is canceled and its
 * answer, whenever it comes, touches nothing of the hub. */
void chat_hub_in_check(chat_hub_t *h);
void chat_hub_in_stop(chat_hub_t *h);

#endif
