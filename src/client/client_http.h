/* client_http - reading one HTTP/1.1 response, the client's side: the answer to the
 * WebSocket upgrade (101, then the stream is the WebSocket's) or to a REST call (a body
 * by Content-Length or chunked, or up to the end of the connection). llhttp parses; this
 * module keeps the status, the few headers the client looks at, and the body. No I/O.
 *
 * The parser points back at r: r must not move between init and deinit. */
#ifndef PARLEY_CLIENT_HTTP_H
#define PARLEY_CLIENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <llhttp.h>

#include "base/buf.h"

#define CLIENT_HTTP_MAX_HEAD 16384 /* a head longer than this is refused */
#define CLIENT_HTTP_MAX_BODY ((size_t)1024 * 1024)

enum {
    CLIENT_HTTP_MORE = 0,  /* feed more */
    CLIENT_HTTP_DONE = 1,  /* a whole response (or the head of a 101) */
    CLIENT_HTTP_ERROR = -1 /* not HTTP we accept: r->error says why */
};

typedef struct {
    llhttp_t p;
    llhttp_settings_t s;
    int status;        /* the status code, once the head is in */
    bool head_done;    /* the head is complete */
    bool upgraded;     /* a 101: the bytes after the head are the new protocol's */
    size_t head_bytes; /* bytes of head read so far (bounded by CLIENT_HTTP_MAX_HEAD) */
    char *upgrade, *connection, *ws_accept, *ws_protocol, *ws_extensions, *content_type;
    buf_t field, value; /* the header being read */
    buf_t body;
    const char *error; /* static text */
} client_http_t;

void client_http_init(client_http_t *r);
void client_http_deinit(client_http_t *r);

/* Feeds len bytes. Returns CLIENT_HTTP_MORE, CLIENT_HTTP_DONE or CLIENT_HTTP_ERROR; *used
 * is set to the bytes that belonged to the response (after a 101's head, the rest of in is
 * the WebSocket's). Nothing may be fed after DONE or ERROR. */
int client_http_feed(client_http_t *r, const char *in, size_t len, size_t *used);

/* The connection ended: DONE when that completes the response (a body read until the
 * end), else ERROR. */
int client_http_finish(client_http_t *r);

#endif
