/* client_track - the client's bookkeeping, apart from any I/O so it can be tested alone:
 * the last seq delivered per channel (what a resume starts from, and how a row that comes
 * twice is recognised), and the requests in flight, among them the outbox: writes with a
 * client key that wait for their ack across reconnects.
 *
 * Requests are kept in the order they were made, which is the order the outbox is sent
 * again after a reconnect. Everything is owned by the tracker; nothing here is shared
 * between threads. */
#ifndef PARLEY_CLIENT_TRACK_H
#define PARLEY_CLIENT_TRACK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The caller's completion, stored as a generic function pointer (client_reply_cb). */
typedef void (*client_track_fn)(void);

typedef struct client_req {
    int64_t no;          /* the request number, > 0; on the wire as the id "c<no>" */
    char *type;          /* owned */
    json_t *payload;     /* owned (a reference) */
    bool keep;           /* outbox: sent again after a reconnect until answered */
    bool sent;           /* sent on the current connection */
    uint64_t not_before; /* a retry after rate_limited: not sent before this (ms), else 0 */
    int tries;           /* how many times it went out */
    client_track_fn cb;  /* the caller's completion (a client_reply_cb), may be NULL */
    void *arg;
    struct client_req *next;
} client_req_t;

typedef struct {
    char *name;
    int64_t seq;
} client_seen_t;

typedef struct {
    client_seen_t *seen; /* per channel, unsorted (a user is in a few hundred at most) */
    size_t n_seen, cap_seen;
    client_req_t *head, *tail; /* in flight, oldest first */
    size_t n_reqs, n_keep;
    int64_t next_no;
} client_track_t;

void client_track_init(client_track_t *t);
/* Frees everything; the requests are dropped without their callbacks. */
void client_track_deinit(client_track_t *t);

/* ---- seqs ---- */

/* The last seq delivered in channel; -1 when the channel is not tracked. */
int64_t client_track_seq(const client_track_t *t, const char *channel);
/* Tracks channel from seq (a welcome's or a channel event's last_seq) when it is not
 * tracked yet; a channel already tracked keeps its seq (what we delivered counts, not
 * what a later description says). */
void client_track_base(client_track_t *t, const char *channel, int64_t seq);
/* A row (channel, seq) arrived: true when it is new (seq above the last delivered, or the
 * channel untracked): it is now the last; false for one delivered already. */
bool client_track_accept(client_track_t *t, const char *channel, int64_t seq);
/* We left channel: forget it. */
void client_track_forget(client_track_t *t, const char *channel);
/* The join's "resume" object: {channel: last seq} of every tracked channel, or NULL when
 * none is tracked. A new reference the caller owns. */
json_t *client_track_resume(const client_track_t *t);

/* ---- requests ---- */

/* Records a request (type copied, payload's reference taken) and returns it; its number is
 * the next one. */
client_req_t *client_track_add(client_track_t *t, const char *type, json_t *payload, bool keep,
                               client_track_fn cb, void *arg);
/* The request numbered no, or NULL. */
client_req_t *client_track_find(const client_track_t *t, int64_t no);
/* The request an answer's id names ("c<no>" as a JSON string), or NULL (not ours). */
client_req_t *client_track_find_id(const client_track_t *t, const json_t *id);
/* Unlinks r (which must be t's) and hands it to the caller, who calls client_track_free. */
void client_track_remove(client_track_t *t, client_req_t *r);
void client_track_free(client_req_t *r);
/* The connection dropped: every request is marked unsent; those without keep are unlinked
 * and chained (oldest first) for the caller to fail and free. The outbox stays. */
client_req_t *client_track_drop(client_track_t *t);
/* Everything, outbox included, unlinked and chained for the caller (client_stop). */
client_req_t *client_track_take_all(client_track_t *t);

#endif
