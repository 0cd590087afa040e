/* chat_quota - how many channels and direct messages may be made, so that nobody (one
 * member, one address, or many members together) can use up what the others need.
 *
 * The server holds at most `cap` channels (#general and direct messages included). Owners
 * and admins may fill it; members are held by three bounds:
 *   - a share of the cap for each kind: members create public and private channels while
 *     those are under CHAT_QUOTA_SHARE_PCT percent of the cap, and open new direct
 *     messages while those are under the same share, so that neither kind crowds out the
 *     other and the rest of the cap stays for owners and admins;
 *   - per member: CHAT_QUOTA_USER channels created, and as many new direct messages
 *     opened (counted from the channels' creators, so it holds across restarts), and never
 *     more than a tenth of the share;
 *   - per address: CHAT_QUOTA_ADDR of each kind a day from one address (accounts made from
 *     one address do not multiply the member's quota; kept in memory, in a bounded table).
 * Guests make neither (auth_policy). A channel deleted or never stored is not counted.
 *
 * Pure decisions from counts the caller gives (chat_hub_census), plus the per-address
 * windows this module keeps; time is given by the caller (Unix ms). */
#ifndef PARLEY_CHAT_QUOTA_H
#define PARLEY_CHAT_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

#define CHAT_QUOTA_USER 100     /* channels, and new direct messages, one member makes */
#define CHAT_QUOTA_SHARE_PCT 45 /* percent of the cap members may fill with each kind */
#define CHAT_QUOTA_ADDR 300     /* of each kind made from one address in a day */
#define CHAT_QUOTA_ADDR_WINDOW_MS ((int64_t)24 * 3600 * 1000)
#define CHAT_QUOTA_ADDR_KEYS 4096 /* addresses remembered */

typedef enum { CHAT_MADE_CHANNEL, CHAT_MADE_DM } chat_made_t;

/* What the server holds now (stored channels only). */
typedef struct {
    size_t all;  /* every channel: #general, public, private and direct messages */
    size_t kind; /* of the kind asked for: channels (#general included), or direct messages */
    size_t mine; /* of that kind, those the user made */
} chat_census_t;

typedef struct chat_quota chat_quota_t;

/* cap: the most channels the server holds (>= 1). Never NULL. */
chat_quota_t *chat_quota_new(size_t cap);
void chat_quota_free(chat_quota_t *q);
/* The share of the cap members may fill with each kind, and one member's quota of each. */
size_t chat_quota_share(const chat_quota_t *q);
size_t chat_quota_user(const chat_quota_t *q);
/* Whether a user of role, at addr ("" unknown), may make one more of kind at now, the
 * server holding c: true, or false with the sentence saying which bound it would pass in
 * why (at most cap bytes). */
bool chat_quota_allows(const chat_quota_t *q, chat_made_t kind, auth_role_t role, const char *addr,
                       const chat_census_t *c, int64_t now, char *why, size_t cap);
/* One of kind was made by a user of role from addr at now (what owners and admins make is
 * not counted against their address). */
void chat_quota_note(chat_quota_t *q, chat_made_t kind, auth_role_t role, const char *addr,
                     int64_t now);

#endif
