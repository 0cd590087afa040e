/* chat_online - who is online for the clients: here (chat_presence) or on another process
 * sharing the store (chat_elsewhere), one set of names. A user online on two processes is
 * one name, announced once: `join` when the first connection anywhere arrives (as far as
 * this process knows), `leave` when the last one anywhere goes.
 *
 * The local side goes through here so that the other processes hear of it: a user's first
 * connection here and their last one going are handed to the hub's outbox (the relay
 * publishes them). /metrics' online gauge stays this process's own (chat_hub_metrics). */
#ifndef PARLEY_CHAT_ONLINE_H
#define PARLEY_CHAT_ONLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "chat/chat_hub.h"
#include "chat/chat_presence.h"

/* One more connection of name here (chat_presence_add); *first on the user's first here. */
chat_presence_t *chat_online_add(chat_hub_t *h, const char *name, bool *first);
/* One connection fewer (chat_presence_remove); true when it was the last here (p freed).
 * away: that connection had said it is away. A user left with only away connections is
 * announced away (chat_online_tell_status); chat_online_add announces an away user's new
 * connection active. */
bool chat_online_remove(chat_hub_t *h, chat_presence_t *p, const char *name, bool away);
/* Away (issue 14): {"type":"presence","payload":{"user","status":"away"|"active","ts"}} to
 * #general's JSON members that take events (parley.v1 or "events": true; plain clients
 * and the text modes keep join and leave only), but except; not past --presence-limit.
 * Known here only: another process does not hear of it (docs/scaling.md). */
void chat_online_tell_status(chat_hub_t *h, const char *name, bool away, const void *except);
/* The names here whose every connection is away, as a JSON array (welcome's "away"). */
void chat_online_away_json(const chat_hub_t *h, buf_t *out);
/* A user's arrival here (entered) or last departure here, told to #general
 * (chat_hub_announce), unless the user is online elsewhere: nothing changed for the others. */
void chat_online_announce(chat_hub_t *h, const char *name, bool entered, const void *except);

/* Names online here or elsewhere. */
size_t chat_online_count(const chat_hub_t *h);
/* Appends them as a JSON array: those here first, at most CHAT_ONLINE_MAX. */
void chat_online_json(const chat_hub_t *h, buf_t *out);
/* Every one of them once, those here first: it = chat_online_names(h), then _next until NULL;
 * nothing may change meanwhile. */
typedef struct {
    chat_presence_names_t here;
    chat_elsewhere_names_t there;
    const chat_hub_t *h;
    bool in_there;
} chat_online_names_t;
chat_online_names_t chat_online_names(const chat_hub_t *h);
const char *chat_online_names_next(chat_online_names_t *it);

#endif
