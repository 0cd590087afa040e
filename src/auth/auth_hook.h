/* auth_hook - incoming webhooks: integrations that post in one channel by a secret URL
 * (docs/api.md, "Incoming webhooks"). Auth keeps them as it keeps invites: a token given out
 * once, stored only as its SHA-256 (store_hook_t, written through the store, read with the
 * accounts at start and again when another process changed them), so a stolen database
 * holds no usable URL.
 *
 * Who may make, list and revoke a channel's hooks is not decided here: the caller asks
 * auth_can (AUTH_ACT_HOOK_MANAGE) with the channel's facts, which chat has. Auth checks the
 * name, bounds how many hooks live at once, and finds a hook by its token. On the hub's
 * loop, like all of auth. */
#ifndef PARLEY_AUTH_HOOK_H
#define PARLEY_AUTH_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

#define AUTH_HOOK_HEX 64        /* a hook's token: 256 bits as hex, the URL's last part */
#define AUTH_HOOK_NAME_MAX 80   /* code points of a hook's name */
#define AUTH_HOOKS_LIVE_MAX 500 /* hooks not revoked, on the whole server */

typedef struct auth_hook {
    uint64_t id;
    char hash[AUTH_HASH_HEX + 1];
    char *channel; /* the channel it posts in, by name */
    char *name;    /* the name its messages are shown under (unless a post gives one) */
    uint64_t creator;
    int64_t created; /* Unix ms */
    bool revoked;
} auth_hook_t;

/* A new hook of channel (a name the caller checked) called name (1 to AUTH_HOOK_NAME_MAX
 * code points, auth_text_safe, no white space at either end: else BAD_NAME). OK once its
 * row is committed, with the result's hook and its token (AUTH_HOOK_HEX digits, given out
 * this once); QUOTA past AUTH_HOOKS_LIVE_MAX live hooks; UNAVAILABLE when the store failed.
 * actor is recorded as its creator. */
void auth_hook_create(auth_t *a, const auth_user_t *actor, const char *channel, const char *name,
                      size_t len, auth_cb cb, void *ctx);
/* Revokes hook id at once (its URL answers 404 from now on, on every process once they
 * re-read the accounts) and writes it; NOT_FOUND for an unknown or revoked id. */
void auth_hook_revoke(auth_t *a, uint64_t id, auth_cb cb, void *ctx);
/* The hook of id (revoked ones too), or NULL. */
const auth_hook_t *auth_hook(const auth_t *a, uint64_t id);
/* Every hook, revoked ones too, oldest first: i < auth_nhooks. */
size_t auth_nhooks(const auth_t *a);
const auth_hook_t *auth_hook_at(const auth_t *a, size_t i);
/* The live hook a token (any bytes, any length) stands for, or NULL: malformed, unknown or
 * revoked. Unknown here, the accounts are read again first if another process changed
 * them (at most every AUTH_STALE_READ_MS), so a hook made there works here at once. */
const auth_hook_t *auth_hook_check(auth_t *a, const char *token, size_t len);

#endif
