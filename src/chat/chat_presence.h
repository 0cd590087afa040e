/* chat_presence - who is online: per user name, how many connections the user has, and
 * the user's joined JSON sessions (by their #general link,
 * so that events for the user alone reach every tab). No I/O. */
#ifndef PARLEY_CHAT_PRESENCE_H
#define PARLEY_CHAT_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "chat/chat_defs.h"
#include "chat/chat_link.h"

typedef struct chat_presence chat_presence_t;
typedef struct chat_presence_table chat_presence_table_t;

chat_presence_table_t *chat_presence_table_new(void);
void chat_presence_table_free(chat_presence_table_t *t);

/* One more connection of name (who holds a name is auth's to decide: every connection
 * given here is that user's). Returns the entry and sets *first on the user's first
 * connection. */
chat_presence_t *chat_presence_add(chat_presence_table_t *t, const char *name, bool *first);
chat_presence_t *chat_presence_find(const chat_presence_table_t *t, const char *name);
/* One connection fewer; true when it was the user's last (p is then freed). */
bool chat_presence_remove(chat_presence_table_t *t, chat_presence_t *p);
size_t chat_presence_online(const chat_presence_table_t *t);
/* Every online name, in no order: it = chat_presence_names(t), then _next until NULL. The
 * table must not change meanwhile. */
typedef struct {
    const chat_presence_table_t *t;
    size_t bucket;
    const chat_presence_t *p;
} chat_presence_names_t;
chat_presence_names_t chat_presence_names(const chat_presence_table_t *t);
const char *chat_presence_names_next(chat_presence_names_t *it);

/* Away (issue 14): a user is away while every connection of theirs says so. mark: one
 * connection of p says it is away (true), or takes that back (false; also before a
 * connection that said it goes: chat_presence_remove does not know which one goes). */
bool chat_presence_away(const chat_presence_t *p);
void chat_presence_mark(chat_presence_table_t *t, chat_presence_t *p, bool away);
/* The users who are away, in no order: first, then next until NULL; O(those away). The
 * table must not change meanwhile. */
const chat_presence_t *chat_presence_away_first(const chat_presence_table_t *t);
/* min(CHAT_ONLINE_MAX, online) of the users here, in no order (the same ones from call to
 * call while they stay): *out[0 .. n-1], valid until the table changes. */
size_t chat_presence_listed(chat_presence_table_t *t, chat_presence_t *const **out);
/* Their names as JSON strings, comma-separated (no brackets), and in *n how many: valid
 * until the table changes. */
const buf_t *chat_presence_listed_json(chat_presence_table_t *t, size_t *n);
const chat_presence_t *chat_presence_away_next(const chat_presence_t *p);
const char *chat_presence_name(const chat_presence_t *p);

/* The user's joined JSON sessions, each by its #general link (l->s is the session),
 * newest first. */
void chat_presence_attach(chat_presence_t *p, chat_link_t *general);
void chat_presence_detach(chat_presence_t *p, chat_link_t *general);
/* The array stays valid until the next attach or detach of p. */
size_t chat_presence_links(const chat_presence_t *p, chat_link_t *const **out);

#endif
