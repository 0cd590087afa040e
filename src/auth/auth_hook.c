/* auth_hook - incoming webhooks; see auth_hook.h.
 *
 * The hooks are an array in creation order (few: AUTH_HOOKS_LIVE_MAX live, and revoked ones
 * kept as rows), each owning its strings; a token is found by comparing its hash with each
 * in constant time, so the cost of a wrong token says nothing. A new hook enters the array
 * only once its row is committed (nobody holds its token before); a revoke takes effect in
 * memory at once. A re-read (auth_load.c) adds the hooks another process made and applies
 * their revocations; a revocation is never undone by one. */
#include "auth/auth_hook.h"

#include <stdlib.h>
#include <string.h>

#include "auth/auth_int.h"
#include "auth/auth_name.h"
#include "auth/auth_token.h"
#include "base/clock.h"
#include "base/utf8.h"
#include "base/xmalloc.h"

static auth_hook_t *hook_find(const auth_t *a, uint64_t id)
{
    for (size_t i = 0; i < a->nhooks; i++)
        if (a->hooks[i]->id == id)
            return a->hooks[i];
    return NULL;
}

void auth_hook_insert(auth_t *a, auth_hook_t *h)
{
    if (a->nhooks == a->cap_hooks) {
        a->cap_hooks = a->cap_hooks ? a->cap_hooks * 2 : 16;
        a->hooks = xrealloc(a->hooks, a->cap_hooks * sizeof(auth_hook_t *));
    }
    a->hooks[a->nhooks++] = h;
    if (h->id >= a->next_hook)
        a->next_hook = h->id + 1;
}

void auth_hook_free(auth_hook_t *h)
{
    if (!h)
        return;
    free(h->channel);
    free(h->name);
    free(h);
}

void auth_hook_row(const auth_hook_t *h, store_hook_t *row)
{
    *row = (store_hook_t){.id = h->id,
                          .hash = h->hash,
                          .channel = h->channel,
                          .name = h->name,
                          .creator = h->creator,
                          .created = h->created,
                          .revoked = h->revoked};
}

void auth_hook_merge(auth_t *a, const store_hook_t *row)
{
    if (row->id == 0 || strlen(row->hash) != AUTH_HASH_HEX)
        return;
    auth_hook_t *h = hook_find(a, row->id);
    if (h) {
        h->revoked = h->revoked || row->revoked;
        return;
    }
    h = xcalloc(1, sizeof(*h));
    h->id = row->id;
    memcpy(h->hash, row->hash, AUTH_HASH_HEX + 1);
    h->channel = xstrdup(row->channel);
    h->name = xstrdup(row->name);
    h->creator = row->creator;
    h->created = row->created;
    h->revoked = row->revoked;
    auth_hook_insert(a, h);
}

static bool name_ok(const char *s, size_t len)
{
    if (len == 0 || len > (size_t)4 * AUTH_HOOK_NAME_MAX || !auth_text_safe(s, len))
        return false;
    if (s[0] == ' ' || s[len - 1] == ' ')
        return false;
    size_t points = 0;
    for (size_t i = 0; i < len; i++)
        points += ((unsigned char)s[i] & 0xC0) != 0x80;
    return points <= AUTH_HOOK_NAME_MAX;
}

static void on_created(op_t *op)
{
    auth_t *a = op->a;
    if (op->status != 0) {
        auth_op_fail(op, AUTH_E_UNAVAILABLE); /* frees op->hook */
        return;
    }
    auth_hook_t *h = op->hook;
    op->hook = NULL;
    auth_hook_insert(a, h);
    auth_op_end(op, &(auth_result_t){.status = AUTH_OK, .hook = h, .token = op->token});
}

void auth_hook_create(auth_t *a, const auth_user_t *actor, const char *channel, const char *name,
                      size_t len, auth_cb cb, void *ctx)
{
    if (!name_ok(name, len) || memchr(name, '\0', len)) {
        auth_answer(cb, ctx, AUTH_E_BAD_NAME, 0);
        return;
    }
    size_t live = 0;
    for (size_t i = 0; i < a->nhooks; i++)
        live += !a->hooks[i]->revoked;
    if (live >= AUTH_HOOKS_LIVE_MAX) {
        auth_answer(cb, ctx, AUTH_E_QUOTA, 0);
        return;
    }
    op_t *op = auth_op_new(a, "webhook", cb, ctx);
    auth_hook_t *h = xcalloc(1, sizeof(*h));
    h->id = auth_new_id(a, &a->next_hook);
    h->channel = xstrdup(channel);
    h->name = xstrndup(name, len);
    h->creator = actor ? actor->id : 0;
    h->created = clock_wall_ms();
    auth_token_new(op->token, AUTH_HOOK_HEX);
    auth_token_hash(op->token, AUTH_HOOK_HEX, h->hash);
    op->hook = h;
    op->creating = true;
    a->creating++;
    store_change_t c = {.kind = STORE_HOOK_PUT};
    auth_hook_row(h, &c.hook);
    auth_op_write(op, &c);
    auth_op_then(op, on_created);
}

void auth_hook_revoke(auth_t *a, uint64_t id, auth_cb cb, void *ctx)
{
    auth_hook_t *h = hook_find(a, id);
    if (!h || h->revoked) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    h->revoked = true;
    op_t *op = auth_op_new(a, "webhook revoke", cb, ctx);
    store_change_t c = {.kind = STORE_HOOK_PUT};
    auth_hook_row(h, &c.hook);
    auth_op_write(op, &c);
    auth_op_then(op, auth_op_end_behind);
}

const auth_hook_t *auth_hook(const auth_t *a, uint64_t id)
{
    return hook_find(a, id);
}

size_t auth_nhooks(const auth_t *a)
{
    return a->nhooks;
}

const auth_hook_t *auth_hook_at(const auth_t *a, size_t i)
{
    return i < a->nhooks ? a->hooks[i] : NULL;
}

static const auth_hook_t *by_hash(const auth_t *a, const char hash[AUTH_HASH_HEX + 1])
{
    const auth_hook_t *found = NULL;
    for (size_t i = 0; i < a->nhooks; i++)
        if (auth_token_equal(a->hooks[i]->hash, hash, AUTH_HASH_HEX))
            found = a->hooks[i];
    return found;
}

const auth_hook_t *auth_hook_check(auth_t *a, const char *token, size_t len)
{
    char hash[AUTH_HASH_HEX + 1], t[AUTH_HOOK_HEX + 1] = "";
    auth_token_hash(token, len, hash);
    bool ok = len == AUTH_HOOK_HEX;
    if (ok) {
        memcpy(t, token, len);
        ok = auth_token_wellformed(t, AUTH_HOOK_HEX);
    }
    const auth_hook_t *h = by_hash(a, hash);
    if (!h && ok && auth_reload_stale(a, clock_wall_ms()))
        h = by_hash(a, hash);
    return ok && h && !h->revoked ? h : NULL;
}
