/* store - what every user of store.h shares beyond the interface itself: the one definition
 * of a valid client key, and of a well-formed change. */
#include "store/store.h"

#include <string.h>

bool store_cid_valid(const char *cid)
{
    if (!cid)
        return true;
    size_t n = 0;
    for (; cid[n]; n++) {
        char c = cid[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok || n == STORE_CID_MAX)
            return false;
    }
    return true;
}

static bool id_ok(uint64_t id)
{
    return id <= INT64_MAX;
}

static bool user_ok(const store_user_t *u)
{
    return u->id > 0 && id_ok(u->id) && u->name && u->display && u->role && u->state;
}

static bool session_ok(const store_session_t *se)
{
    return se->id > 0 && id_ok(se->id) && se->hash && se->user_id > 0 && id_ok(se->user_id) &&
           se->agent && se->addr;
}

static bool invite_ok(const store_invite_t *in)
{
    return in->id > 0 && id_ok(in->id) && in->hash && in->kind && in->role && id_ok(in->creator) &&
           id_ok(in->user_id);
}

static bool hook_ok(const store_hook_t *h)
{
    return h->id > 0 && id_ok(h->id) && h->hash && h->channel && h->name && id_ok(h->creator);
}

bool store_change_valid(const store_change_t *c)
{
    switch (c->kind) {
    case STORE_CHANNEL_PUT:
    case STORE_CHANNEL_CREATE:
        return id_ok(c->ch.creator_id);
    case STORE_CHANNEL_DELETE:
        return true;
    case STORE_MEMBER_ADD:
    case STORE_MEMBER_REMOVE:
    case STORE_READ:
        return c->user_id > 0 && id_ok(c->user_id);
    case STORE_USER_CREATE:
    case STORE_USER_PUT:
        return user_ok(&c->u);
    case STORE_SESSION_PUT:
        return session_ok(&c->sess);
    case STORE_SESSION_DELETE:
        return id_ok(c->sess.id);
    case STORE_SESSIONS_REVOKE:
        return id_ok(c->sess.id) && id_ok(c->user_id);
    case STORE_INVITE_PUT:
        return invite_ok(&c->inv);
    case STORE_HOOK_PUT:
        return hook_ok(&c->hook);
    case STORE_NOTIFY_SET:
        return c->user_id > 0 && id_ok(c->user_id) && c->ch.name && c->notify &&
               (strcmp(c->notify, "all") == 0 || strcmp(c->notify, "mentions") == 0 ||
                strcmp(c->notify, "muted") == 0);
    }
    return false;
}
