/* api_int - what the modules of the REST layer share (api.c, api_account.c, api_admin.c);
 * nothing outside src/api includes it.
 *
 * A request becomes an api_call_t the moment api_handle takes it: what its answer needs once
 * the request's own buffers are gone (the caller's callback, keep-alive, HEAD, https, the
 * signed-in user and session, the id in the path). Every path through a handler ends in
 * exactly one of api_reply, api_error or api_fail, which send the answer and free the call;
 * a handler that hands the call to auth (with api_auth_cb and a `done` function) must not
 * touch it afterwards, since auth may answer before returning. */
#ifndef PARLEY_API_INT_H
#define PARLEY_API_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "auth/auth.h"

struct api {
    auth_t *auth;
    files_t *files; /* api_config_t's */
    api_files_allowed_fn files_allowed;
    void *files_ctx;
    struct uv_loop_s *loop; /* api_config_t's */
    void (*profile_changed)(void *ctx, const auth_user_t *u);
    void *profile_ctx;
    char *base_path; /* --base-path, "" for the root: the cookie's Path is base_path + "/" */
    void *(*chat_call)(void *ctx, const auth_user_t *u, uint64_t sid, const char *addr,
                       const char *request, size_t len, void (*cb)(void *, const char *, size_t),
                       void *cb_ctx);
    void (*chat_call_end)(void *ctx, void *call);
    void *chat_ctx;
    int (*hooks_allowed)(void *ctx, uint64_t user, const char *channel); /* api_config_t's */
    int (*hook_post)(void *ctx, const api_hook_post_t *p,
                     void (*cb)(void *cb_ctx, int status, uint64_t seq), void *cb_ctx,
                     uint64_t *retry_ms);
    void *hooks_ctx;
    char *origins; /* allowed origins besides the request's own (http_origin.h), "" for none */
    size_t pending;
};

typedef struct api_call api_call_t;

/* Answers a call whose auth operation succeeded (r->status is AUTH_OK). */
typedef void (*api_done_fn)(api_call_t *c, const auth_result_t *r);

struct api_call {
    api_t *api;
    api_answer_cb cb;
    void *cb_ctx;
    api_done_fn done;         /* for api_auth_cb */
    const auth_user_t *actor; /* the signed-in user (users outlive calls), NULL for none */
    uint64_t session_id;      /* the request's session, 0 for none */
    uint64_t target;          /* the id in the path ("/api/users/7/ban"), 0 for none */
    bool keep_alive, head_only, secure;
    char *headers;       /* the request's lines for every answer (api_request_t), owned */
    char old_avatar[65]; /* an avatar change: the image it lets go of ("" none) */
    char origin[300];    /* a webhook's creation: "scheme://host" of its URL */
};

typedef void (*api_handler_fn)(api_call_t *c, const api_request_t *r, json_t *body);

/* ---- answers (api.c): each sends the response and frees c ---- */

/* status with body (a reference taken over; NULL answers {}), and extra header lines (each
 * ending in "\r\n"; NULL for none). */
void api_reply(api_call_t *c, int status, json_t *body, const char *extra);
/* {"error": code, "message": message}. */
void api_error(api_call_t *c, int status, const char *code, const char *message);
/* auth's refusal: its status, code and text, and Retry-After when it gives one. */
void api_fail(api_call_t *c, const auth_result_t *r);
/* The auth_cb of every operation: c->done on AUTH_OK, else api_fail. ctx is the call. */
void api_auth_cb(void *ctx, const auth_result_t *r);
/* {"ok": true}, plus extra header lines. */
void api_reply_ok(api_call_t *c, const char *extra);
/* An api_done_fn answering {"ok": true}. */
void api_done_ok(api_call_t *c, const auth_result_t *r);

/* The Set-Cookie line ("\r\n"-terminated) that holds token for the session's lifetime
 * (--session-max), or that clears the cookie when token is NULL. */
void api_cookie_line(const api_call_t *c, const char *token, char *out, size_t cap);

/* ---- JSON (api.c) ---- */

/* A JSON string of s, "" for NULL or for bytes that are not UTF-8. Never NULL. */
json_t *api_str(const char *s);
/* USER: {"id","name","display_name","title","tz","avatar","role","guest"}; full adds
 * "state","created","seen". */
json_t *api_user_json(const auth_user_t *u, bool full);
/* {"id","created","seen","expires"}; expires is when it dies if unused from now (the
 * earlier of its absolute end and its idle limit). */
json_t *api_session_json(const api_t *a, const auth_session_t *s);
/* A string field of obj: 0 with *s and *len, 1 when absent or null, -1 when not a string. */
int api_field_str(json_t *obj, const char *key, const char **s, size_t *len);
/* The User-Agent to record: its first 256 bytes cut at a character boundary, "" when it is
 * not UTF-8 or holds control characters. */
void api_agent(const api_request_t *r, char out[257]);

/* ---- handlers (api_account.c) ---- */

void api_server_info(api_call_t *c, const api_request_t *r, json_t *body);
void api_register(api_call_t *c, const api_request_t *r, json_t *body);
void api_login(api_call_t *c, const api_request_t *r, json_t *body);
void api_logout(api_call_t *c, const api_request_t *r, json_t *body);
void api_logout_all(api_call_t *c, const api_request_t *r, json_t *body);
void api_me(api_call_t *c, const api_request_t *r, json_t *body);
void api_password(api_call_t *c, const api_request_t *r, json_t *body);
void api_sessions(api_call_t *c, const api_request_t *r, json_t *body);
void api_session_delete(api_call_t *c, const api_request_t *r, json_t *body);
void api_reset(api_call_t *c, const api_request_t *r, json_t *body);

/* ---- handlers (api_files.c) ---- */

void api_file_upload(api_call_t *c, const api_request_t *r, json_t *body);
void api_file_download(api_call_t *c, const api_request_t *r, json_t *body);
/* A whole answer of raw bytes (not JSON): status, content type, extra header lines, body;
 * sends and frees c (as api_reply). */
void api_reply_raw(api_call_t *c, int status, const char *type, const char *extra, const void *body,
                   size_t len);

/* ---- requests (api.c) ---- */

/* The Origin rule and the session of a request that needs a user (api_cred.h): c->actor and
 * c->session_id; false after answering (401, 403). */
bool api_authenticate(api_call_t *c, const api_request_t *r);
/* The request's JSON object body (a new reference; none: {} when optional), or NULL after
 * answering bad_json. */
json_t *api_parse_body(api_call_t *c, const api_request_t *r, bool optional);

/* ---- the chat endpoints (api_rest.c) ---- */

/* Answers r when its path is one of the chat endpoints (under /api/channels, /api/search);
 * false, answering nothing, for any other path. */
bool api_rest_route(api_call_t *c, const api_request_t *r);

/* ---- bots (api_bots.c) ---- */

void api_bots(api_call_t *c, const api_request_t *r, json_t *body);
void api_bot_create(api_call_t *c, const api_request_t *r, json_t *body);
void api_bot_token(api_call_t *c, const api_request_t *r, json_t *body);
void api_bot_revoke(api_call_t *c, const api_request_t *r, json_t *body);

/* ---- handlers (api_profile.c) ---- */

void api_me_patch(api_call_t *c, const api_request_t *r, json_t *body);
void api_avatar_upload(api_call_t *c, const api_request_t *r, json_t *body);
void api_avatar_delete(api_call_t *c, const api_request_t *r, json_t *body);
void api_avatar_download(api_call_t *c, const api_request_t *r, json_t *body);

/* ---- handlers (api_hooks.c) ---- */

void api_hooks(api_call_t *c, const api_request_t *r, json_t *body);
void api_hook_create(api_call_t *c, const api_request_t *r, json_t *body);
void api_hook_delete(api_call_t *c, const api_request_t *r, json_t *body);
/* POST /hooks/TOKEN (no session: the token is the credential). */
void api_hook_post(api_call_t *c, const api_request_t *r, json_t *body);

/* ---- handlers (api_admin.c) ---- */

void api_users(api_call_t *c, const api_request_t *r, json_t *body);
void api_user_role(api_call_t *c, const api_request_t *r, json_t *body);
void api_user_ban(api_call_t *c, const api_request_t *r, json_t *body);
void api_user_unban(api_call_t *c, const api_request_t *r, json_t *body);
void api_user_deactivate(api_call_t *c, const api_request_t *r, json_t *body);
void api_user_activate(api_call_t *c, const api_request_t *r, json_t *body);
void api_user_reset(api_call_t *c, const api_request_t *r, json_t *body);
void api_invites(api_call_t *c, const api_request_t *r, json_t *body);
void api_invite_create(api_call_t *c, const api_request_t *r, json_t *body);
void api_invite_delete(api_call_t *c, const api_request_t *r, json_t *body);

#endif
