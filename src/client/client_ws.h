/* client_ws - the client's side of a WebSocket (RFC 6455) over client_conn: the opening
 * handshake (a random Sec-WebSocket-Key, the server's Sec-WebSocket-Accept checked, the
 * parley.v1 subprotocol asked for), masked frames out (ws_frame), frames in through the
 * project's parser with require_mask off, pings answered, the close handshake.
 *
 * Callbacks fire on the loop, never from inside client_ws_open, _send or _close. After
 * `closed` fired, or after client_ws_close, none fires again and the object frees itself. */
#ifndef PARLEY_CLIENT_WS_H
#define PARLEY_CLIENT_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "client/client_url.h"
#include "net/net_tls.h"

typedef struct client_ws client_ws_t;

typedef struct {
    /* The upgrade was answered 101 and checked: messages may go. */
    void (*open)(client_ws_t *w, void *ud);
    /* One text message (UTF-8, checked by the parser; borrowed for the callback). */
    void (*message)(client_ws_t *w, const char *text, size_t len, void *ud);
    /* The end. code: the close code the server sent (1006 when the connection ended without
     * one, 1002 when it broke the protocol); why: the close's reason or what went wrong
     * ("connection refused", "HTTP 404", "bad Sec-WebSocket-Accept"), "" when none; opened:
     * whether `open` had fired; http_status: the upgrade's answer when it was not 101. */
    void (*closed)(client_ws_t *w, int code, const char *why, bool opened, int http_status,
                   void *ud);
} client_ws_cb_t;

#define CLIENT_WS_MAX_MESSAGE ((size_t)32 * 1024 * 1024)

/* Connects to u's {base}/ws; tls (borrowed) when u->tls. bearer (copied, may be NULL) goes
 * as Authorization: Bearer on the upgrade. Never NULL. */
client_ws_t *client_ws_open(uv_loop_t *loop, const client_url_t *u, net_tls_ctx_t *tls,
                            const char *bearer, const client_ws_cb_t *cb, void *ud);

/* Sends one text message (copied). 0, or -1 when not open. */
int client_ws_send(client_ws_t *w, const char *text, size_t len);

/* Sends a close with code (1000 for a normal end), then ends the connection without
 * waiting for the server's answer. No callback fires any more. */
void client_ws_close(client_ws_t *w, int code);

#endif
