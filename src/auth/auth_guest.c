/* auth_guest - guests and chat's other identities: JSON guests (a name held by a token),
 * client-id guests ("Client #<id>", held by the client id), line-mode names, the count of a
 * user's connections, and the request rate limit (per user, per address for guests and
 * line mode). All synchronous: a join does not wait for the store; the rows
 * are written behind and a failed write is logged.
 *
 * A guest is a user with role guest and no password. Its name is held by its session (the
 * token given at its first join) while it is connected and for --guest-ttl after it was
 * last seen; then the hold lapses (auth_tick, or the next join of that name): the row keeps
 * its id and loses its canonical name, its sessions are deleted, and the name is free. A
 * banned or deactivated guest keeps its name: a ban must not end by waiting. A client-id
 * guest's session is the hash of "clientid:<id>", never a session token, so nobody signs in
 * with it (auth_session_check refuses what is not a token) and nobody else can hold it.
 *
 * Several processes: `online` counts this process's connections only, so a guest connected
 * to another one is asked about (auth_set_elsewhere_cb: the relay's table of who is online
 * elsewhere) before its hold lapses here; else this process would free the name of a guest
 * still chatting there. Its `seen` here is as of the last write the other process made
 * (AUTH_SEEN_WRITE_MS), so a short --guest-ttl may lapse that much early once it left. */
#include "auth/auth_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"

#define CLIENT_ID_MAX 64 /* bytes of a client id */

bool auth_guest_lapsed(const auth_t *a, const user_t *u, int64_t now)
{
    const auth_user_t *p = &u->pub;
    return p->role == AUTH_GUEST && !p->pass && p->canon && p->state == AUTH_ACTIVE &&
           p->online == 0 && !u->reserved &&
           (a->cfg.guest_ttl_ms == 0 || p->seen + a->cfg.guest_ttl_ms < now) &&
           !(a->elsewhere && a->elsewhere(a->elsewhere_ctx, p->name));
}

/* The hold of u lapsed: its name is free, its sessions are gone (quietly: it is offline). */
static void release(auth_t *a, user_t *u)
{
    op_t *op = auth_op_new(a, "guest lapse", NULL, NULL);
    auth_op_hold(op, u);
    auth_canon_set(a, u, NULL);
    auth_sess_drop_user(a, u, 0, NULL);
    store_change_t c = {.kind = STORE_USER_PUT};
    auth_user_row(u, &c.u);
    auth_op_write(op, &c);
    auth_op_write(op, &(store_change_t){.kind = STORE_SESSIONS_REVOKE, .user_id = u->pub.id});
    auth_op_then(op, auth_op_end_behind);
}

void auth_guest_lapse(auth_t *a, int64_t now)
{
    for (size_t i = 0; i < a->nusers; i++)
        if (auth_guest_lapsed(a, a->users[i], now))
            release(a, a->users[i]);
}

/* ---- a new guest, written behind ---- */

static void on_guest_created(op_t *op)
{
    auth_t *a = op->a;
    user_t *u = op->u;
    if (op->status != 0) {
        /* Most likely another process gave the name to someone else: ours lets it go. The
         * guest stays in memory (chat holds it), holding no name. On a conflict the
         * session rows went in beside the refused user row: they go too. */
        log_warn("auth: guest %llu (%s) could not be stored; it holds no name",
                 (unsigned long long)u->pub.id, u->pub.name);
        auth_canon_set(a, u, NULL); /* unmapped only if it is still the holder */
        for (sess_t *s = u->sessions; s && op->status == STORE_ECONFLICT; s = s->next)
            auth_op_write(
                op, &(store_change_t){.kind = STORE_SESSION_DELETE, .sess = {.id = s->pub.id}});
    }
    auth_op_then(op, auth_op_end_behind);
}

/* A new guest named name (len bytes) holding canon, with one session: of a fresh token
 * (token_out) or, for a client-id guest, of the given hash. Its user row and its session
 * go to the store in one transaction: a process killed between two would leave another
 * one a stored name it cannot give back to the token that holds it (name_taken on the
 * guest's reconnection there, until the hold lapses). */
static user_t *guest_new(auth_t *a, const char *name, size_t len, const char *canon,
                         const char *hash, const char *addr, char token_out[], int64_t now)
{
    char *n = xstrndup(name, len);
    user_t *u = auth_user_alloc(n, NULL, "", NULL);
    free(n);
    u->pub.id = auth_new_id(a, &a->next_user);
    u->pub.role = AUTH_GUEST;
    u->pub.state = AUTH_ACTIVE;
    u->pub.created = u->pub.seen = u->seen_written = now;
    auth_users_insert(a, u);
    auth_canon_set(a, u, canon);
    if (hash)
        auth_sess_add(a, u, 0, hash, now, now, now + a->cfg.session_max_ms, "", addr);
    else
        auth_sess_open(a, u, now, "", addr, token_out);

    op_t *op = auth_op_new(a, "new guest", NULL, NULL);
    auth_op_hold(op, u); /* in the table at once: a re-read meanwhile leaves it alone */
    store_change_t c = {.kind = STORE_USER_CREATE};
    auth_user_row(u, &c.u);
    store_group_begin(a->store);
    auth_op_write(op, &c);
    for (sess_t *s = u->sessions; s; s = s->next) {
        store_change_t sc = {.kind = STORE_SESSION_PUT};
        auth_sess_row(s, &sc.sess);
        auth_op_write(op, &sc);
    }
    store_group_end(a->store);
    auth_op_then(op, on_guest_created);
    return u;
}

/* ---- JSON guests ---- */

/* The session of guest u that token stands for, or NULL. */
static sess_t *guest_session(const auth_t *a, const user_t *u, const char *token)
{
    size_t len = strlen(token);
    if (len != AUTH_SESSION_HEX)
        return NULL;
    char hash[AUTH_HASH_HEX + 1];
    auth_token_hash(token, len, hash);
    sess_t *s = auth_map_get(&a->by_hash, hash, AUTH_HASH_HEX);
    return s && s->pub.user == &u->pub ? s : NULL;
}

/* h is a guest (its name held by a token, not a password), not a registration's hold. */
static bool plain_guest(const user_t *h)
{
    return !h->reserved && h->pub.role == AUTH_GUEST && !h->pub.pass;
}

static auth_status_t refused_state(const user_t *u)
{
    return u->pub.state == AUTH_BANNED ? AUTH_E_BANNED : AUTH_E_DEACTIVATED;
}

auth_status_t auth_guest_at(auth_t *a, const char *name, size_t len, const char *token,
                            const char *addr, const auth_user_t **user,
                            char token_out[AUTH_SESSION_HEX + 1], int64_t now)
{
    char canon[AUTH_CANON_MAX];
    *user = NULL;
    if (!a->cfg.guests)
        return AUTH_E_GUESTS_OFF;
    if (!auth_canon_of(name, len, a->cfg.max_name, canon))
        return AUTH_E_BAD_NAME;
    if (auth_name_reserved(name, len))
        return AUTH_E_NAME_TAKEN;
    user_t *h = auth_holder(a, canon);
    /* A token we cannot place may be a session another process wrote since our last
     * read (its guest moving here after that process died): read again once, now. */
    if (token && *token && (!h || (plain_guest(h) && !guest_session(a, h, token))) &&
        auth_reload_stale(a, now))
        h = auth_holder(a, canon);
    if (h && plain_guest(h)) {
        if (h->pub.state != AUTH_ACTIVE)
            return refused_state(h);
        sess_t *s = token && *token ? guest_session(a, h, token) : NULL;
        if (s) { /* the same guest, back with its token */
            auth_touch(a, h, s, now);
            memmove(token_out, token, AUTH_SESSION_HEX + 1); /* token_out may be token */
            *user = &h->pub;
            return AUTH_OK;
        }
        if (!auth_guest_lapsed(a, h, now))
            return AUTH_E_NAME_TAKEN;
        release(a, h);
        h = NULL;
    }
    if (h)
        return AUTH_E_NAME_TAKEN;
    addr = addr ? addr : "";
    if (auth_limit_wait(a->guest_addr, addr, strlen(addr), now))
        return AUTH_E_RATE_LIMITED;
    auth_limit_hit(a->guest_addr, addr, strlen(addr), now);
    *user = &guest_new(a, name, len, canon, NULL, addr, token_out, now)->pub;
    return AUTH_OK;
}

auth_status_t auth_guest(auth_t *a, const char *name, size_t len, const char *token,
                         const char *addr, const auth_user_t **user,
                         char token_out[AUTH_SESSION_HEX + 1])
{
    return auth_guest_at(a, name, len, token, addr, user, token_out, clock_wall_ms());
}

/* ---- client-id guests ---- */

auth_status_t auth_guest_clientid(auth_t *a, const char *client_id, const auth_user_t **user)
{
    *user = NULL;
    if (!a->cfg.guests)
        return AUTH_E_GUESTS_OFF;
    size_t idlen = client_id ? strlen(client_id) : 0;
    if (idlen == 0 || idlen > CLIENT_ID_MAX)
        return AUTH_E_BAD_NAME;
    char name[sizeof("Client #") + CLIENT_ID_MAX], key[sizeof("clientid:") + CLIENT_ID_MAX];
    char canon[AUTH_CANON_MAX], hash[AUTH_HASH_HEX + 1];
    int nlen = snprintf(name, sizeof(name), "Client #%s", client_id);
    int klen = snprintf(key, sizeof(key), "clientid:%s", client_id);
    if (!auth_canon_of(name, (size_t)nlen, AUTH_LOOKUP_CHARS, canon))
        return AUTH_E_BAD_NAME;
    auth_token_hash(key, (size_t)klen, hash);
    int64_t now = clock_wall_ms();
    sess_t *s = auth_map_get(&a->by_hash, hash, AUTH_HASH_HEX);
    user_t *u = s ? (user_t *)s->pub.user : auth_holder(a, canon);
    if (u && (u->reserved || u->pub.role != AUTH_GUEST || u->pub.pass))
        return AUTH_E_NAME_TAKEN;
    if (u && u->pub.state != AUTH_ACTIVE)
        return refused_state(u);
    if (!u) {
        *user = &guest_new(a, name, (size_t)nlen, canon, hash, "", NULL, now)->pub;
        return AUTH_OK;
    }
    if (!s) { /* its session expired: the client id is the whole credential, it comes back */
        s = auth_sess_add(a, u, 0, hash, now, now, now + a->cfg.session_max_ms, "", "");
        auth_write_session(a, s, "client-id session");
    }
    auth_touch(a, u, s, now);
    *user = &u->pub;
    return AUTH_OK;
}

/* ---- line mode and connections ---- */

bool auth_name_free(const auth_t *a, const char *name, size_t len)
{
    char canon[AUTH_CANON_MAX];
    return auth_canon_of(name, len, a->cfg.max_name, canon) && !auth_name_reserved(name, len) &&
           !auth_holder(a, canon);
}

void auth_user_online(auth_t *a, const auth_user_t *user, bool up)
{
    user_t *u = user ? auth_users_find(a, user->id) : NULL;
    if (!u || &u->pub != user)
        return;
    if (up)
        u->pub.online++;
    else if (u->pub.online > 0)
        u->pub.online--;
    auth_touch(a, u, NULL, clock_wall_ms());
}

uint64_t auth_rate_take(auth_t *a, const auth_user_t *user, auth_bucket_t *conn, const char *addr,
                        const auth_rate_t *r, double cost, uint64_t now_ms)
{
    user_t *u = user ? auth_users_find(a, user->id) : NULL;
    auth_bucket_t *own = u && &u->pub == user ? &u->pub.rate : conn;
    if (!own)
        return 1000; /* nobody we know: nothing passes */
    bool by_addr = addr && *addr && (own == conn || user->role == AUTH_GUEST);
    auth_bucket_t *at = by_addr ? auth_rates_get(a->rate_addr, addr, strlen(addr)) : NULL;
    auth_bucket_fill(own, r->rate, r->burst, now_ms);
    uint64_t wait = auth_bucket_wait(own, r->rate, r->burst, cost);
    if (at) {
        auth_bucket_fill(at, r->rate, r->addr_burst, now_ms);
        uint64_t w = auth_bucket_wait(at, r->rate, r->addr_burst, cost);
        wait = w > wait ? w : wait;
    }
    if (wait)
        return wait;
    auth_bucket_take(own, r->burst, cost);
    if (at)
        auth_bucket_take(at, r->addr_burst, cost);
    return 0;
}

void auth_rate_charge(auth_t *a, uint64_t user_id, const auth_rate_t *r, double cost,
                      uint64_t now_ms)
{
    user_t *u = user_id ? auth_users_find(a, user_id) : NULL;
    if (u)
        auth_bucket_charge(&u->pub.rate, r->rate, r->burst, cost, now_ms);
}
