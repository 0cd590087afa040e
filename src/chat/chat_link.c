/* chat_link - the splice state of a membership; see chat_link.h.
 *
 * Invariant: last_sent only grows, so a seq skipped once is skipped for good and a
 * resume's answer and live fan-out can never both send one. */
#include "chat/chat_link.h"

bool chat_link_take(chat_link_t *l, uint64_t seq)
{
    if (l->fmt != CHAT_FMT_JSON)
        return true;
    if (l->held || seq <= l->last_sent)
        return false;
    l->last_sent = seq;
    return true;
}

void chat_link_advance(chat_link_t *l, uint64_t seq)
{
    if (seq > l->last_sent)
        l->last_sent = seq;
}

void chat_link_hold(chat_link_t *l)
{
    l->held++;
}

void chat_link_release(chat_link_t *l, uint64_t top)
{
    if (l->held)
        l->held--;
    chat_link_advance(l, top);
}
