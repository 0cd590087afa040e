/* chat - the chat layer's one face to the rest of the program: what the connection driver
 * (server), the connection loops and main may know of chat. Nothing below this header is
 * theirs to include.
 *
 * A connection meets chat through five calls: open (a WebSocket is established), text and
 * binary (a whole message arrived), drained (its queue emptied after chat asked), close
 * (the connection is gone). Chat reaches the connection back through a chat_transport_t
 * given at chat_hub_new. All of it runs on the hub's loop thread. */
#ifndef PARLEY_CHAT_H
#define PARLEY_CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/blob.h"
#include "store/store.h"

typedef struct chat_hub chat_hub_t;
typedef struct chat_session chat_session_t;

typedef enum {
    CHAT_MODE_AUTO,     /* /ws before its first message: JSON or line mode */
    CHAT_MODE_JSON,     /* /ws, decided or forced by the parley.v1 subprotocol */
    CHAT_MODE_CLIENTID, /* /ws/{client_id} */
    CHAT_MODE_LINE,
} chat_mode_t;

/* How chat reaches a connection. Every call is on the hub's loop thread with the conn
 * pointer the session was opened with, and never after chat_session_close. */
typedef struct {
    /* Queue a data frame (a whole WebSocket frame); the transport takes its own reference
     * and applies the outbound bound (closing the connection 1013 past it). */
    void (*send)(void *conn, blob_t *frame);
    /* Close the connection with a WebSocket close code. */
    void (*close)(void *conn, uint16_t code, const char *reason);
    /* Queue a frame of a multi-frame reply (a resume page) regardless of the bound: the
     * caller bounds what it sends this way and waits for the queue to drain between pages. */
    void (*send_bulk)(void *conn, blob_t *frame);
    /* Bytes queued and not yet written. */
    size_t (*backlog)(void *conn);
    /* Call chat_session_drained once the queue is empty. */
    void (*want_drain)(void *conn);
} chat_transport_t;

typedef struct {
    unsigned history;        /* messages replayed on join */
    size_t max_name;         /* code points per user name */
    size_t max_text;         /* code points per message */
    double rate, burst;      /* token bucket: messages per second, bucket size */
    unsigned resume_max;     /* longest range a resume serves */
    unsigned presence_limit; /* members above which join/leave are not broadcast */
    size_t outbound_budget;  /* backlog under which a resume keeps sending (half the bound) */
} chat_config_t;

/* What /metrics and /healthz report of chat. */
typedef struct {
    size_t online;        /* users connected */
    uint64_t published;   /* events accepted for storing */
    uint64_t delivered;   /* frames handed to connections by fan-out */
    uint64_t sessions;    /* sessions ever opened */
    uint64_t rejected;    /* events refused because the store could not take them */
    uint64_t general_seq; /* #general's newest committed seq */
    bool available;       /* false while the store fails to commit (healthz 503) */
} chat_metrics_t;

/* The hub: created on the loop that will run it, with the store it writes to and the
 * transport its sessions' conn pointers belong to (borrowed, outliving the hub). */
chat_hub_t *chat_hub_new(store_t *store, const chat_config_t *cfg, const chat_transport_t *t);
/* Reads every channel, membership, read marker and reaction from the store (synchronous,
 * at start-up). Returns 0 or < 0. */
int chat_hub_load(chat_hub_t *h);
/* After every session has closed and the store has been closed. */
void chat_hub_free(chat_hub_t *h);
void chat_hub_metrics(const chat_hub_t *h, chat_metrics_t *out);

/* A WebSocket was established on conn. For CHAT_MODE_CLIENTID, client_id names the user
 * and the session enters #general at once. Never NULL. */
chat_session_t *chat_session_open(chat_hub_t *h, void *conn, chat_mode_t mode,
                                  const char *client_id);
/* A whole text message (valid UTF-8) arrived. */
void chat_session_text(chat_session_t *s, const char *text, size_t len);
/* A whole binary message arrived. */
void chat_session_binary(chat_session_t *s, const uint8_t *data, size_t len);
/* The queue drained after the session asked (transport want_drain). */
void chat_session_drained(chat_session_t *s);
/* The connection is gone: leave, announce, release. s must not be used afterwards, and the
 * transport is never called for it again. */
void chat_session_close(chat_session_t *s);

/* True for a valid client id (the /ws/{client_id} route): 1-32 of A-Za-z0-9_- . */
bool chat_client_id_valid(const char *id, size_t len);

#endif
