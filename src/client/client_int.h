/* client_int - what client.c, client_session.c and client_parse.c share: the client's
 * state. Not for users of client.h. */
#ifndef PARLEY_CLIENT_INT_H
#define PARLEY_CLIENT_INT_H

#include "client/client.h"
#include "client/client_track.h"
#include "client/client_url.h"
#include "client/client_ws.h"
#include "net/net_tls.h"

#define CLIENT_PING_MS 25000
#define CLIENT_PONG_TIMEOUT_MS 10000
#define CLIENT_BACKOFF_MIN_MS 500
#define CLIENT_BACKOFF_MAX_MS 15000
#define CLIENT_BACKOFF_JITTER 0.3
#define CLIENT_RESTART_DELAY_MS 300 /* close 1001: the server is restarting, come back fast */
#define CLIENT_UNAVAILABLE_RETRY_MS 1000

struct client {
    uv_loop_t *loop;
    client_url_t url;
    client_callbacks_t cb;
    void *ud;
    char *token, *name, *ca_file;
    bool insecure;
    char *user;    /* the name we hold ("" before the first welcome) */
    char *session; /* a guest's token from its welcome, to take the name back */
    net_tls_ctx_t *tls;
    client_ws_t *ws;
    client_status_t status;
    bool started, joined, ever_joined;
    bool resume_pending; /* the join carried a resume: its `resumed` has not come yet */
    int attempt;
    uint64_t reconnect_at;
    uv_timer_t retry_timer; /* reconnect countdown, ticking each second */
    uv_timer_t ping_timer;
    uv_timer_t pong_timer;
    uv_timer_t send_timer;  /* the outbox's retries after rate_limited / unavailable */
    uv_timer_t defer_timer; /* fails requests outside the caller's stack */
    client_req_t *to_fail;  /* requests to fail from defer_timer, with fail_code */
    const char *fail_code;
    int handles;
    bool freeing;
    void (*done)(void *);
    void *done_arg;
    client_track_t track;
};

/* client_session.c */
void client_session_connect(client_t *c);
void client_session_drop(client_t *c, bool close_socket);
void client_session_flush(client_t *c);
int client_session_send(client_t *c, client_req_t *r);
void client_session_fail_later(client_t *c, client_req_t *chain, const char *code);
void client_session_set_status(client_t *c, client_status_t st, int secs, const char *text);

/* client_parse.c: fills ch from a channel object (borrowed strings). */
void client_channel_parse(const json_t *o, client_channel_t *ch);
/* True when the row m mentions user (by name, or @channel / @here). */
bool client_msg_mentions(const client_msg_t *m, const char *user);

#endif
