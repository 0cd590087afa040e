/* chat_cost - the cost of each request type; see chat_cost.h.
 *
 * With the defaults (20 a second, bursts of 40): 40 messages at once and 20 a second; 13
 * topic changes, joins or invites at once and about 7 a second; 8 channels or direct
 * messages at once and 4 a second. A flood of 4,095 channel creations, 20,000 invites or
 * 30,000 topics from one user therefore takes minutes to hours instead of a second (and
 * quotas stop the creations long before), while ordinary bursts (5 channels and 10 invites
 * in a row) pass. */
#include "chat/chat_cost.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static const struct {
    const char *type;
    unsigned cost;
    bool on_act; /* a state change: the toll on arrival, the rest when it acts */
} costs[] = {
    /* writes to a timeline: the unit */
    {"msg", 1, false},
    {"edit", 1, false},
    {"delete", 1, false},
    {"react", 1, false},
    {"pin", 1, false},
    {"read", 1, false},     /* a read marker: one row, the user's own connections */
    {"presence", 1, false}, /* away or active: #general's members hear of a change */
    {"notify", 1, false},   /* a notification level: likewise */
    /* reads, by the work they make */
    {"history", 1, false},
    {"thread", 1, false},
    {"pins", 1, false},            /* at most CHAT_PINS_MAX rows by key */
    {"edits", 1, false},           /* a msg's edits on their index */
    {"channel_list", 2, false},    /* every channel the user may see */
    {"channel_members", 2, false}, /* up to 1000 people */
    {"resume", 2, false},          /* any number of channels, paged from the store */
    {"search", 2, false},          /* a full-text query (at most a few at once per session) */
    /* state changes that fan out to every member */
    {"channel_topic", 3, true},
    {"channel_join", 3, true},
    {"channel_leave", 3, true},
    {"channel_invite", 3, true},
    {"channel_kick", 3, true},
    /* state changes that grow the server (and count against quotas too) */
    {"channel_create", 5, true},
    {"dm_open", 5, true},
    /* what owners and admins do to a whole channel */
    {"channel_archive", 5, true},
    {"channel_unarchive", 5, true},
    {"channel_delete", 5, true},
};

static int find(const char *type)
{
    for (size_t i = 0; i < sizeof(costs) / sizeof(costs[0]); i++)
        if (strcmp(costs[i].type, type) == 0)
            return (int)i;
    return -1;
}

unsigned chat_cost_of(const char *type)
{
    int i = find(type);
    return i < 0 ? 0 : costs[i].cost;
}

unsigned chat_cost_upfront(const char *type)
{
    int i = find(type);
    if (i < 0)
        return 0;
    return costs[i].on_act && costs[i].cost > CHAT_COST_TOLL ? CHAT_COST_TOLL : costs[i].cost;
}
