/* chat_link - one session's membership of one channel, and the splice state that makes a
 * client see each seq of the channel exactly once, whether it comes live or in an answer
 * from the store.
 *
 * The splice: a link "held" by a history or resume answer in flight receives nothing live
 * (the answer, and what the ring adds to it, carry what it misses: see chat_history.c); every
 * seq at or below last_sent was sent already and is skipped. Every write of held and
 * last_sent is a function of this module, so the rule has one home: fan-out calls
 * chat_link_take, the history module (the only one answering from the store) calls hold,
 * release and advance, and a link made now starts after what is committed
 * (chat_channel_link advances it).
 *
 * A link is on two lists: its channel's members (chat_channel.c links and unlinks) and its
 * session's channels (chat_session.c). Fields are read-only outside those owners. */
#ifndef PARLEY_CHAT_LINK_H
#define PARLEY_CHAT_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "chat/chat_defs.h"

struct chat_link {
    void *conn;          /* the session's connection, for the transport */
    chat_session_t *s;   /* its session (opaque here) */
    chat_channel_t *ch;  /* its channel (opaque here) */
    chat_link_t *s_next; /* the session's channels (chat_session.c) */
    uint64_t last_sent;  /* highest seq of ch sent to the session */
    unsigned held;       /* history or resume answers outstanding for ch */
    uint32_t pos;        /* its place in the channel's members (chat_channel.c) */
    uint8_t fmt;         /* a chat_fmt_t: what fan-out sends it */
    bool plain;          /* JSON without events: messages only (chat_session_events) */
    bool embedded;       /* inside its session (the #general link): not freed alone */
};

/* Fan-out of committed seq: true when it must be sent to l now, and then counted sent.
 * Text formats have no resume and take everything live. */
bool chat_link_take(chat_link_t *l, uint64_t seq);
/* Everything up to seq reached the session (an answer from memory, a link made now). */
void chat_link_advance(chat_link_t *l, uint64_t seq);
/* An answer from the store is in flight for l: live fan-out pauses. */
void chat_link_hold(chat_link_t *l);
/* That answer went out and covered everything up to top: fan-out goes on after it. */
void chat_link_release(chat_link_t *l, uint64_t top);

#endif
