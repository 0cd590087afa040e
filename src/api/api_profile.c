/* api_profile - one's profile (docs/protocol.md, "Profiles").
 *
 * PATCH /api/me {"display_name"?, "title"?, "tz"?}: the fields given change, together (one
 * row write), the others stay; a malformed one answers 400 with its code (bad_name,
 * bad_title, bad_tz) and changes nothing.
 * POST /api/me/avatar with the image's bytes as the body (PNG, JPEG, GIF or WebP by their
 * magic bytes, at most 1 MiB: the route's body limit answers 413 before reading more), and
 * DELETE /api/me/avatar: the profile names the image by its SHA-256 (files.h, avatars/); an
 * image no profile names any more is removed.
 * GET /avatars/ID: the image, to anyone with a session (guests too), typed by its magic
 * bytes, cached for good (an id's bytes never change) and revalidated by ETag.
 *
 * Guests keep the generated avatar and no title or time zone: their row lasts only while
 * their name is held, and the directory (GET /api/users) lists accounts only, so a guest's
 * profile would be seen by nobody after a reload. They may still change the display name,
 * as before.
 *
 * Every change that is stored is told to chat (api_config_t.profile_changed), which sends
 * a `profile` event to every session of this process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "files/files.h"
#include "http/http_negotiate.h"

_Static_assert(API_AVATAR_MAX == FILES_AVATAR_MAX, "the route's body limit is the image's");

static void done_profile(api_call_t *c, const auth_result_t *r)
{
    const auth_user_t *u = r->user ? r->user : c->actor;
    api_t *a = c->api;
    /* The image this change let go of, when no profile names it any more. */
    if (c->old_avatar[0] && a->files && !auth_avatar_used(a->auth, c->old_avatar))
        files_avatar_remove(a->files, c->old_avatar);
    if (a->profile_changed)
        a->profile_changed(a->profile_ctx, u);
    api_reply(c, 200, json_pack("{s:o}", "user", api_user_json(u, false)), NULL);
}

/* The three optional strings of a PATCH: -1 (answered) when one is not a string. */
static int patch_fields(api_call_t *c, json_t *body, auth_profile_t *p)
{
    static const char *const keys[] = {"display_name", "title", "tz"};
    const char **vals[] = {&p->display, &p->title, &p->tz};
    size_t *lens[] = {&p->display_len, &p->title_len, &p->tz_len};
    for (size_t i = 0; i < 3; i++) {
        if (api_field_str(body, keys[i], vals[i], lens[i]) < 0) {
            api_error(c, 400, "bad_payload",
                      "display_name, title and tz are optional strings (\"\" clears one)");
            return -1;
        }
    }
    if (!p->display && !p->title && !p->tz) {
        api_error(c, 400, "bad_payload", "give at least one of display_name, title and tz");
        return -1;
    }
    return 0;
}

static bool guest_refused(api_call_t *c)
{
    if (c->actor->role != AUTH_GUEST)
        return false;
    api_error(c, 403, "forbidden",
              "guests have the generated avatar and no title or time zone: create an account");
    return true;
}

void api_me_patch(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    auth_profile_t p = {0};
    if (patch_fields(c, body, &p) < 0)
        return;
    if ((p.title || p.tz) && guest_refused(c))
        return;
    c->done = done_profile;
    auth_set_profile(c->api->auth, c->actor->id, &p, api_auth_cb, c);
}

/* Takes the avatar id (NULL: remove) into the profile, after noting the old one. */
static void avatar_set(api_call_t *c, const char *id)
{
    snprintf(c->old_avatar, sizeof(c->old_avatar), "%s", c->actor->avatar);
    if (id && strcmp(id, c->old_avatar) == 0)
        c->old_avatar[0] = '\0'; /* the same image again: nothing to let go of */
    auth_profile_t p = {.avatar = id ? id : ""};
    c->done = done_profile;
    auth_set_profile(c->api->auth, c->actor->id, &p, api_auth_cb, c);
}

void api_avatar_upload(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)body;
    api_t *a = c->api;
    if (!a->files) {
        api_error(c, 404, "not_found", "this server takes no files");
        return;
    }
    if (guest_refused(c))
        return;
    char id[65];
    int rc = files_avatar_put(a->files, r->body, r->body ? r->body_len : 0, id);
    if (rc == FILES_ETOOBIG)
        api_error(c, 413, "too_large", "an avatar has at most 1 MiB");
    else if (rc == FILES_EINVAL)
        api_error(c, 400, "bad_image", "an avatar is a PNG, JPEG, GIF or WebP image");
    else if (rc < 0)
        api_error(c, 500, "internal", "the image could not be stored");
    else
        avatar_set(c, id);
}

void api_avatar_delete(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    avatar_set(c, NULL);
}

void api_avatar_download(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)body;
    api_t *a = c->api;
    const char *id = r->path + 9; /* after "/avatars/" */
    char *data = NULL;
    size_t size = 0;
    const char *type = NULL;
    if (!a->files || files_avatar_get(a->files, id, strlen(id), &data, &size, &type) < 0) {
        api_error(c, 404, "not_found", "no such avatar");
        return;
    }
    char extra[512];
    /* Private: behind a session. Immutable: an id is its bytes' hash. */
    snprintf(extra, sizeof(extra),
             "Cache-Control: private, max-age=31536000, immutable\r\n"
             "ETag: \"%.64s\"\r\n"
             "Content-Security-Policy: default-src 'none'; sandbox\r\n"
             "Cross-Origin-Resource-Policy: same-origin\r\n",
             id);
    char etag[70];
    snprintf(etag, sizeof(etag), "\"%.64s\"", id);
    if (http_etag_matches(r->if_none_match, etag))
        api_reply_raw(c, 304, type, extra, NULL, 0);
    else
        api_reply_raw(c, 200, type, extra, data, size);
    free(data);
}
