/* chat_quota - quotas on channels and direct messages; see chat_quota.h. */
#include "chat/chat_quota.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_limit.h"
#include "base/xmalloc.h"

struct chat_quota {
    size_t cap, share, user;
    auth_limit_t *addr[2]; /* made per address in a day, by chat_made_t */
};

chat_quota_t *chat_quota_new(size_t cap)
{
    chat_quota_t *q = xcalloc(1, sizeof(*q));
    q->cap = cap ? cap : 1;
    q->share = q->cap * CHAT_QUOTA_SHARE_PCT / 100;
    /* one member never takes more than a tenth of a share, however small the cap */
    q->user = q->share / 10 < CHAT_QUOTA_USER ? q->share / 10 : CHAT_QUOTA_USER;
    if (q->user == 0)
        q->user = 1;
    for (int k = 0; k < 2; k++)
        q->addr[k] =
            auth_limit_new(CHAT_QUOTA_ADDR, CHAT_QUOTA_ADDR_WINDOW_MS, CHAT_QUOTA_ADDR_KEYS);
    return q;
}

void chat_quota_free(chat_quota_t *q)
{
    if (!q)
        return;
    for (int k = 0; k < 2; k++)
        auth_limit_free(q->addr[k]);
    free(q);
}

size_t chat_quota_share(const chat_quota_t *q)
{
    return q->share;
}

size_t chat_quota_user(const chat_quota_t *q)
{
    return q->user;
}

bool chat_quota_allows(const chat_quota_t *q, chat_made_t kind, auth_role_t role, const char *addr,
                       const chat_census_t *c, int64_t now, char *why, size_t cap)
{
    bool dm = kind == CHAT_MADE_DM;
    const char *what = dm ? "direct messages" : "channels";
    if (c->all >= q->cap) {
        snprintf(why, cap, "this server has as many channels as it allows (%zu)", q->cap);
        return false;
    }
    if (role >= AUTH_ADMIN) /* owners and admins: the reserve is theirs */
        return true;
    if (c->kind >= q->share) {
        snprintf(why, cap, "this server has as many %s as members may make: ask an admin", what);
        return false;
    }
    if (c->mine >= q->user) {
        snprintf(why, cap, "you have %s %zu %s, as many as a member may", dm ? "opened" : "created",
                 c->mine, what);
        return false;
    }
    if (addr && *addr && auth_limit_wait(q->addr[kind], addr, strlen(addr), now)) {
        snprintf(why, cap, "too many %s were made from your address today", what);
        return false;
    }
    return true;
}

void chat_quota_note(chat_quota_t *q, chat_made_t kind, auth_role_t role, const char *addr,
                     int64_t now)
{
    if (role < AUTH_ADMIN && addr && *addr)
        auth_limit_hit(q->addr[kind], addr, strlen(addr), now);
}
