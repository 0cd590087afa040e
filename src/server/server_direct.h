/* server_direct - the server_chat_t of a single-loop process (--threads 1): every call goes
 * straight into chat/chat.h (and api/api.h for /api requests) on the calling loop, which
 * runs the hub too.
 *
 * The hub must have been created with server_transport (its conn pointers are the driver's
 * connections), and the driver must run on the hub's loop. Nothing is queued or copied. */
#ifndef PARLEY_SERVER_DIRECT_H
#define PARLEY_SERVER_DIRECT_H

#include "api/api.h"
#include "chat/chat.h"
#include "server/server_chat.h"

/* The context of the calls: the hub they reach, the REST layer /api requests go to (on the
 * same loop), and the store /metrics reads. All are borrowed and must outlive every server
 * using the interface. */
typedef struct {
    chat_hub_t *hub;
    api_t *api;
    store_t *store;
} server_direct_t;

/* The interface whose ctx is d (borrowed: d must outlive every server given it). */
server_chat_t server_direct_chat(server_direct_t *d);

#endif
