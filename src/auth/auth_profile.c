/* auth_profile - a user's profile: display name, "what I do" (title), time zone and avatar,
 * changed together in one row write (USER_PUT), so that a PATCH of several fields is stored
 * whole or not at all. See auth.h (auth_set_profile) for the contract.
 *
 * Memory first, as everywhere in auth: the new values are in the user at once; a write the
 * store refuses puts back each old value the user still has the new one of (a later change
 * is left alone), and the registry re-reads the store (auth_op_end). */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/xmalloc.h"

static bool title_ok(const char *t, size_t len)
{
    return len == 0 ||
           (auth_text_safe(t, len) && utf8_count((const uint8_t *)t, len) <= AUTH_TITLE_MAX);
}

/* An IANA name's characters ("America/Argentina/Buenos_Aires", "Etc/GMT+3"): the client
 * resolves it with Intl; the server only keeps it from being anything else. */
static bool tz_ok(const char *z, size_t len)
{
    if (len > AUTH_TZ_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = z[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '+' || ch == '/' || ch == '-'))
            return false;
    }
    return true;
}

static bool avatar_ok(const char *v)
{
    size_t len = strlen(v);
    if (len != 0 && len != 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return false;
    return true;
}

static auth_status_t profile_check(const auth_profile_t *p)
{
    if (p->display && p->display_len &&
        (!auth_text_safe(p->display, p->display_len) ||
         utf8_count((const uint8_t *)p->display, p->display_len) > AUTH_DISPLAY_MAX))
        return AUTH_E_BAD_DISPLAY;
    if (p->title && !title_ok(p->title, p->title_len))
        return AUTH_E_BAD_TITLE;
    if (p->tz && !tz_ok(p->tz, p->tz_len))
        return AUTH_E_BAD_TZ;
    if (p->avatar && !avatar_ok(p->avatar))
        return AUTH_E_BAD_AVATAR;
    return AUTH_OK;
}

static bool same(const char *x, const char *y)
{
    return x && y && strcmp(x, y) == 0;
}

/* Puts back *field's old value when it still holds new (NULL old: the field was not changed). */
static void undo(char **field, const char *old, const char *new_value)
{
    if (old && same(*field, new_value))
        auth_str_set(field, old);
}

static void on_profile_stored(op_t *op)
{
    if (op->status != 0) {
        auth_user_t *u = &op->u->pub;
        undo(&u->display, op->old_display, op->new_display);
        /* The new title, tz and avatar are not kept apart: a failed write is rare, and a
         * value put back that a later change had also set is re-read from the store. */
        if (op->old_title)
            auth_str_set(&u->title, op->old_title);
        if (op->old_tz)
            auth_str_set(&u->tz, op->old_tz);
        if (op->old_avatar)
            auth_str_set(&u->avatar, op->old_avatar);
        auth_op_fail(op, AUTH_E_UNAVAILABLE);
        return;
    }
    auth_op_end(op, &(auth_result_t){.status = AUTH_OK, .user = &op->u->pub});
}

/* Sets *field to len bytes of v, keeping the old value in *old. */
static void change(char **field, char **old, const char *v, size_t len)
{
    *old = xstrdup(*field);
    char *copy = xstrndup(v, len);
    auth_str_set(field, copy); /* the registry's strings are set (and freed) by it alone */
    free(copy);
}

void auth_set_profile(auth_t *a, uint64_t user_id, const auth_profile_t *p, auth_cb cb, void *ctx)
{
    user_t *u = auth_users_find(a, user_id);
    if (!u) {
        auth_answer(cb, ctx, AUTH_E_NOT_FOUND, 0);
        return;
    }
    auth_status_t st = profile_check(p);
    if (st != AUTH_OK) {
        auth_answer(cb, ctx, st, 0);
        return;
    }
    op_t *op = auth_op_new(a, "profile", cb, ctx);
    auth_op_hold(op, u);
    if (p->display) {
        change(&u->pub.display, &op->old_display, p->display, p->display_len);
        op->new_display = xstrdup(u->pub.display);
    }
    if (p->title)
        change(&u->pub.title, &op->old_title, p->title, p->title_len);
    if (p->tz)
        change(&u->pub.tz, &op->old_tz, p->tz, p->tz_len);
    if (p->avatar)
        change(&u->pub.avatar, &op->old_avatar, p->avatar, strlen(p->avatar));
    store_change_t c = {.kind = STORE_USER_PUT};
    auth_user_row(u, &c.u);
    u->seen_written = u->pub.seen;
    auth_op_write(op, &c);
    auth_op_then(op, on_profile_stored);
}

bool auth_avatar_used(const auth_t *a, const char *avatar)
{
    for (size_t i = 0; avatar && avatar[0] && i < a->nusers; i++)
        if (same(a->users[i]->pub.avatar, avatar))
            return true;
    return false;
}
