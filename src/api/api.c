/* api - dispatch, authentication and answers of the REST layer; see api.h.
 *
 * A request goes: route (the table below: a path pattern and one method per row; '#' in a
 * pattern is a decimal id) -> 404 or 405 when nothing fits -> the Origin rule of sign-in
 * requests -> authentication of requests that need a user (the cookie rule of api_cred.h)
 * -> the JSON body of requests that take one -> the handler
 * (api_account.c, api_admin.c), which answers at once or hands the call to auth.
 *
 * Every answer is built here (api_reply): the JSON body, a head by http_response with
 * "Cache-Control: no-store", the server's lines for every response (api_request_t headers:
 * the security headers) and the handler's own lines (Set-Cookie, Retry-After, Allow),
 * into one blob handed to the caller's callback. The call is freed and `pending` counted
 * down before that callback runs, so the caller may do anything from it. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_cred.h"
#include "api/api_int.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "http/http_response.h"
#include "http/http_router.h"

enum {
    R_USER = 1 << 0,         /* a signed-in user */
    R_BODY = 1 << 1,         /* a JSON object body */
    R_BODY_OPT = 1 << 2,     /* a JSON object body, or none (taken as {}) */
    R_LOGIN_ORIGIN = 1 << 3, /* an Origin, when present, must be allowed (login CSRF) */
    R_RAW = 1 << 4,          /* the body is the request's bytes, not JSON (uploads) */
};

typedef struct {
    const char *pattern;
    uint8_t method; /* GET serves HEAD too */
    unsigned flags;
    api_handler_fn fn;
} route_t;

static const route_t routes[] = {
    {"/api/server", HTTP_GET, 0, api_server_info},
    {"/api/register", HTTP_POST, R_BODY | R_LOGIN_ORIGIN, api_register},
    {"/api/login", HTTP_POST, R_BODY | R_LOGIN_ORIGIN, api_login},
    {"/api/reset", HTTP_POST, R_BODY | R_LOGIN_ORIGIN, api_reset},
    {"/api/logout", HTTP_POST, R_USER, api_logout},
    {"/api/logout-all", HTTP_POST, R_USER, api_logout_all},
    {"/api/me", HTTP_GET, R_USER, api_me},
    {"/api/me", HTTP_PATCH, R_USER | R_BODY, api_me_patch},
    {"/api/password", HTTP_POST, R_USER | R_BODY, api_password},
    {"/api/sessions", HTTP_GET, R_USER, api_sessions},
    {"/api/sessions/#", HTTP_DELETE, R_USER, api_session_delete},
    {"/api/users", HTTP_GET, R_USER, api_users},
    {"/api/users/#/role", HTTP_POST, R_USER | R_BODY, api_user_role},
    {"/api/users/#/ban", HTTP_POST, R_USER, api_user_ban},
    {"/api/users/#/unban", HTTP_POST, R_USER, api_user_unban},
    {"/api/users/#/deactivate", HTTP_POST, R_USER, api_user_deactivate},
    {"/api/users/#/activate", HTTP_POST, R_USER, api_user_activate},
    {"/api/users/#/reset", HTTP_POST, R_USER, api_user_reset},
    {"/api/invites", HTTP_GET, R_USER, api_invites},
    {"/api/invites", HTTP_POST, R_USER | R_BODY_OPT, api_invite_create},
    {"/api/invites/#", HTTP_DELETE, R_USER, api_invite_delete},
    {"/api/files", HTTP_POST, R_USER | R_RAW, api_file_upload},
    {"/api/me/avatar", HTTP_POST, R_USER | R_RAW, api_avatar_upload},
    {"/api/me/avatar", HTTP_DELETE, R_USER, api_avatar_delete},
    {"/api/bots", HTTP_GET, R_USER, api_bots},
    {"/api/bots", HTTP_POST, R_USER | R_BODY, api_bot_create},
    {"/api/bots/#/token", HTTP_POST, R_USER, api_bot_token},
    {"/api/bots/#/token", HTTP_DELETE, R_USER, api_bot_revoke},
    {"/api/hooks", HTTP_GET, R_USER, api_hooks},
    {"/api/hooks", HTTP_POST, R_USER | R_BODY, api_hook_create},
    {"/api/hooks/#", HTTP_DELETE, R_USER, api_hook_delete},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* ---- lifetime ---- */

api_t *api_new(auth_t *auth, const api_config_t *cfg)
{
    api_t *a = xcalloc(1, sizeof(*a));
    a->auth = auth;
    a->origins = xstrdup(cfg && cfg->origins ? cfg->origins : "");
    a->base_path = xstrdup(cfg && cfg->base_path ? cfg->base_path : "");
    a->files = cfg ? cfg->files : NULL;
    a->files_allowed = cfg ? cfg->files_allowed : NULL;
    a->files_ctx = cfg ? cfg->files_ctx : NULL;
    a->loop = cfg ? cfg->loop : NULL;
    a->profile_changed = cfg ? cfg->profile_changed : NULL;
    a->profile_ctx = cfg ? cfg->profile_ctx : NULL;
    a->chat_call = cfg && cfg->loop ? cfg->chat_call : NULL;
    a->chat_call_end = cfg ? cfg->chat_call_end : NULL;
    a->chat_ctx = cfg ? cfg->chat_ctx : NULL;
    a->hooks_allowed = cfg ? cfg->hooks_allowed : NULL;
    a->hook_post = cfg ? cfg->hook_post : NULL;
    a->hooks_ctx = cfg ? cfg->hooks_ctx : NULL;
    return a;
}

void api_free(api_t *a)
{
    if (!a)
        return;
    free(a->origins);
    free(a->base_path);
    free(a);
}

size_t api_pending(const api_t *a)
{
    return a->pending;
}

/* ---- responses ---- */

/* Head and body into one new blob. body is len bytes, sent unless head_only; headers are the
 * server's lines for every answer, extra the handler's; type NULL: JSON, not cached. */
static blob_t *response_blob_typed(int status, const char *type, const char *body, size_t len,
                                   bool keep_alive, bool head_only, const char *headers,
                                   const char *extra)
{
    char lines[4096], head[4608];
    int n = snprintf(lines, sizeof(lines), "%s%s%s", type ? "" : "Cache-Control: no-store\r\n",
                     headers ? headers : "", extra ? extra : "");
    int hl = n > 0 && (size_t)n < sizeof(lines)
                 ? http_response_head(head, sizeof(head), status, type ? type : "application/json",
                                      len, keep_alive, lines)
                 : -1;
    if (hl < 0) {
        /* Header lines are ours and bounded: a bug, not an input. Answer it plainly. */
        hl = http_response_head(head, sizeof(head), 500, NULL, 0, false, NULL);
        len = 0;
    }
    size_t sent = head_only ? 0 : len;
    blob_t *b = blob_new((size_t)hl + sent);
    memcpy(b->data, head, (size_t)hl);
    if (sent)
        memcpy(b->data + hl, body, sent);
    return b;
}

static blob_t *response_blob(int status, const char *body, size_t len, bool keep_alive,
                             bool head_only, const char *headers, const char *extra)
{
    return response_blob_typed(status, NULL, body, len, keep_alive, head_only, headers, extra);
}

blob_t *api_response_error(int status, const char *code, const char *message, bool keep_alive,
                           const char *headers)
{
    char body[512];
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}", code, message);
    size_t len = n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0;
    return response_blob(status, body, len, keep_alive, false, headers, NULL);
}

void api_reply(api_call_t *c, int status, json_t *body, const char *extra)
{
    if (!body)
        body = json_object(); /* a failed json_pack: an empty object rather than nothing */
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text) {
        fprintf(stderr, "api: out of memory\n");
        abort();
    }
    blob_t *b =
        response_blob(status, text, strlen(text), c->keep_alive, c->head_only, c->headers, extra);
    free(text);
    free(c->headers);
    api_answer_cb cb = c->cb;
    void *ctx = c->cb_ctx;
    c->api->pending--;
    free(c);
    cb(ctx, b);
    blob_unref(b);
}

void api_reply_raw(api_call_t *c, int status, const char *type, const char *extra, const void *body,
                   size_t len)
{
    blob_t *b = response_blob_typed(status, type, body, len, c->keep_alive, c->head_only,
                                    c->headers, extra);
    free(c->headers);
    api_answer_cb cb = c->cb;
    void *ctx = c->cb_ctx;
    c->api->pending--;
    free(c);
    cb(ctx, b);
    blob_unref(b);
}

void api_error(api_call_t *c, int status, const char *code, const char *message)
{
    api_reply(c, status, json_pack("{s:s,s:s}", "error", code, "message", message), NULL);
}

void api_fail(api_call_t *c, const auth_result_t *r)
{
    char extra[64] = "";
    if (r->status == AUTH_E_BUSY || r->status == AUTH_E_RATE_LIMITED)
        snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", r->retry_after ? r->retry_after : 1);
    json_t *body = json_pack("{s:s,s:s}", "error", auth_status_code(r->status), "message",
                             auth_status_text(r->status));
    api_reply(c, auth_status_http(r->status), body, extra);
}

void api_auth_cb(void *ctx, const auth_result_t *r)
{
    api_call_t *c = ctx;
    if (r->status == AUTH_OK)
        c->done(c, r);
    else
        api_fail(c, r);
}

void api_reply_ok(api_call_t *c, const char *extra)
{
    api_reply(c, 200, json_pack("{s:b}", "ok", 1), extra);
}

void api_done_ok(api_call_t *c, const auth_result_t *r)
{
    (void)r;
    api_reply_ok(c, NULL);
}

void api_cookie_line(const api_call_t *c, const char *token, char *out, size_t cap)
{
    long long age = token ? auth_config(c->api->auth)->session_max_ms / 1000 : 0;
    snprintf(out, cap,
             "Set-Cookie: " API_COOKIE_NAME
             "=%s; Path=%s/; HttpOnly; SameSite=Lax; Max-Age=%lld%s\r\n",
             token ? token : "", c->api->base_path, age, c->secure ? "; Secure" : "");
}

/* ---- JSON ---- */

json_t *api_str(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_string("");
}

json_t *api_user_json(const auth_user_t *u, bool full)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)u->id));
    json_object_set_new(o, "name", api_str(u->name));
    json_object_set_new(o, "display_name", api_str(u->display));
    json_object_set_new(o, "title", api_str(u->title));
    json_object_set_new(o, "tz", api_str(u->tz));
    json_object_set_new(o, "avatar", api_str(u->avatar));
    json_object_set_new(o, "role", json_string(auth_role_name(u->role)));
    json_object_set_new(o, "guest", json_boolean(u->role == AUTH_GUEST));
    if (u->bot) /* clients badge a bot's messages by it (said only when true) */
        json_object_set_new(o, "bot", json_true());
    if (full) {
        json_object_set_new(o, "state", json_string(auth_state_name(u->state)));
        json_object_set_new(o, "created", json_integer(u->created));
        json_object_set_new(o, "seen", json_integer(u->seen));
    }
    return o;
}

json_t *api_session_json(const api_t *a, const auth_session_t *s)
{
    int64_t idle_end = s->seen + auth_config(a->auth)->session_idle_ms;
    return json_pack("{s:I,s:I,s:I,s:I}", "id", (json_int_t)s->id, "created",
                     (json_int_t)s->created, "seen", (json_int_t)s->seen, "expires",
                     (json_int_t)(idle_end < s->expires ? idle_end : s->expires));
}

int api_field_str(json_t *obj, const char *key, const char **s, size_t *len)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 1;
    if (!json_is_string(v))
        return -1;
    *s = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

void api_agent(const api_request_t *r, char out[257])
{
    out[0] = '\0';
    if (!r->user_agent)
        return;
    size_t n = strlen(r->user_agent);
    if (n > 256) {
        n = 256;
        while (n && ((unsigned char)r->user_agent[n] & 0xC0) == 0x80)
            n--; /* not into the middle of a character */
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)r->user_agent[i] < 0x20 || r->user_agent[i] == 0x7f)
            return;
    if (!utf8_valid((const uint8_t *)r->user_agent, n))
        return;
    memcpy(out, r->user_agent, n);
    out[n] = '\0';
}

/* ---- dispatch ---- */

/* path matches pattern; *id gets the number a '#' stands for (1 to UINT64_MAX, no leading
 * zero, no sign). */
static bool pattern_match(const char *pat, const char *path, uint64_t *id)
{
    for (; *pat; pat++) {
        if (*pat != '#') {
            if (*path++ != *pat)
                return false;
            continue;
        }
        if (*path < '1' || *path > '9')
            return false;
        uint64_t v = 0;
        for (; *path >= '0' && *path <= '9'; path++) {
            if (v > (UINT64_MAX - (uint64_t)(*path - '0')) / 10)
                return false;
            v = v * 10 + (uint64_t)(*path - '0');
        }
        *id = v;
    }
    return *path == '\0';
}

/* The route for the request, or NULL with *allow the methods of routes whose path matched
 * (0: none did). */
static const route_t *find_route(const api_request_t *r, uint64_t *id, uint64_t *allow)
{
    *allow = 0;
    for (size_t i = 0; i < NROUTES; i++) {
        if (!pattern_match(routes[i].pattern, r->path, id))
            continue;
        if (routes[i].method == r->method ||
            (routes[i].method == HTTP_GET && r->method == HTTP_HEAD))
            return &routes[i];
        *allow |= HTTP_ROUTE_METHOD(routes[i].method);
        if (routes[i].method == HTTP_GET)
            *allow |= HTTP_ROUTE_METHOD(HTTP_HEAD);
    }
    return NULL;
}

static void not_routed(api_call_t *c, uint64_t allow)
{
    if (!allow) {
        api_error(c, 404, "not_found", "no such endpoint");
        return;
    }
    char names[128], extra[160] = "";
    if (http_router_allow(allow, names, sizeof(names)) >= 0)
        snprintf(extra, sizeof(extra), "Allow: %s\r\n", names);
    api_reply(c, 405,
              json_pack("{s:s,s:s}", "error", "method_not_allowed", "message",
                        "this endpoint does not take that method"),
              extra);
}

/* The Origin rule and the session (api_cred.h). Returns false after answering. */
static bool authenticate(api_call_t *c, const api_request_t *r, unsigned flags);

bool api_authenticate(api_call_t *c, const api_request_t *r)
{
    return authenticate(c, r, R_USER);
}

static json_t *parse_body(api_call_t *c, const api_request_t *r, unsigned flags);

json_t *api_parse_body(api_call_t *c, const api_request_t *r, bool optional)
{
    return parse_body(c, r, optional ? R_BODY_OPT : R_BODY);
}

static bool authenticate(api_call_t *c, const api_request_t *r, unsigned flags)
{
    api_t *a = c->api;
    http_origin_t origin = http_origin_check(r->origin, r->host, c->secure, a->origins);
    if ((flags & R_LOGIN_ORIGIN) && origin == HTTP_ORIGIN_FOREIGN) {
        api_error(c, 403, "bad_origin", "this request comes from a page of another site");
        return false;
    }
    if (!(flags & R_USER))
        return true;
    size_t len = 0;
    const char *token = NULL;
    bool read = r->method == HTTP_GET || r->method == HTTP_HEAD;
    if (api_cred_session(r->authorization, r->cookie, origin, read, &token, &len) ==
        API_CRED_FOREIGN) {
        api_error(c, 403, "bad_origin", "this request comes from a page of another site");
        return false;
    }
    const auth_session_t *s = token ? auth_session_check(a->auth, token, len) : NULL;
    if (!s) {
        api_error(c, 401, "unauthorized", "sign in first");
        return false;
    }
    c->session_id = s->id;
    c->actor = s->user;
    return true;
}

/* The request's JSON object (a new reference), or NULL after answering bad_json. */
static json_t *parse_body(api_call_t *c, const api_request_t *r, unsigned flags)
{
    if (!r->body || r->body_len == 0) {
        if (flags & R_BODY_OPT)
            return json_object();
        api_error(c, 400, "bad_json", "the request needs a JSON object body");
        return NULL;
    }
    json_error_t err;
    json_t *root = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(root)) {
        json_decref(root);
        api_error(c, 400, "bad_json", "the body is not a JSON object");
        return NULL;
    }
    return root;
}

void api_handle(api_t *a, const api_request_t *r, api_answer_cb cb, void *ctx)
{
    api_call_t *c = xcalloc(1, sizeof(*c));
    c->api = a;
    c->cb = cb;
    c->cb_ctx = ctx;
    c->keep_alive = r->keep_alive;
    c->head_only = r->method == HTTP_HEAD;
    c->secure = r->tls || http_forwarded_https(r->forwarded_proto);
    c->headers = xstrdup(r->headers ? r->headers : "");
    a->pending++;
    if (strncmp(r->path, "/files/", 7) == 0) {
        /* Downloads: a read by a user (an <img> sends the cookie and no Origin). */
        if (r->method != HTTP_GET && r->method != HTTP_HEAD)
            not_routed(c, HTTP_ROUTE_METHOD(HTTP_GET) | HTTP_ROUTE_METHOD(HTTP_HEAD));
        else if (authenticate(c, r, R_USER))
            api_file_download(c, r, NULL);
        return;
    }
    if (strncmp(r->path, "/avatars/", 9) == 0) {
        /* Avatars: any session may see anyone's (an <img> sends the cookie, no Origin). */
        if (r->method != HTTP_GET && r->method != HTTP_HEAD)
            not_routed(c, HTTP_ROUTE_METHOD(HTTP_GET) | HTTP_ROUTE_METHOD(HTTP_HEAD));
        else if (authenticate(c, r, R_USER))
            api_avatar_download(c, r, NULL);
        return;
    }
    if (api_rest_route(c, r))
        return; /* the chat endpoints route themselves: channel names in their paths */
    if (strncmp(r->path, "/hooks/", 7) == 0) {
        /* Incoming webhooks: the token in the path is the credential (api_hooks.c). */
        if (r->method != HTTP_POST)
            not_routed(c, HTTP_ROUTE_METHOD(HTTP_POST));
        else
            api_hook_post(c, r, NULL);
        return;
    }
    uint64_t allow;
    const route_t *rt = find_route(r, &c->target, &allow);
    if (!rt) {
        not_routed(c, allow);
        return;
    }
    if (!authenticate(c, r, rt->flags))
        return;
    json_t *body = NULL;
    if (!(rt->flags & R_RAW) && (rt->flags & (R_BODY | R_BODY_OPT)) &&
        !(body = parse_body(c, r, rt->flags)))
        return;
    rt->fn(c, r, body);
    json_decref(body);
}

/* ---- crossing threads ---- */

/* Copies len bytes of s and a NUL to *at, advancing it. */
static const char *dup_into(char **at, const char *s, size_t len)
{
    char *d = *at;
    memcpy(d, s, len);
    d[len] = '\0';
    *at += len + 1;
    return d;
}

api_request_t *api_request_dup(const api_request_t *r)
{
    api_request_t tmp = *r;
    const char **strs[] = {&tmp.path,          &tmp.host,       &tmp.origin,          &tmp.cookie,
                           &tmp.authorization, &tmp.user_agent, &tmp.forwarded_proto, &tmp.addr,
                           &tmp.headers,       &tmp.query,      &tmp.if_none_match};
    size_t n = sizeof(strs) / sizeof(strs[0]);
    size_t total = sizeof(tmp) + (r->body ? r->body_len + 1 : 0);
    for (size_t i = 0; i < n; i++)
        total += *strs[i] ? strlen(*strs[i]) + 1 : 0;
    api_request_t *d = xmalloc(total);
    char *at = (char *)(d + 1);
    if (r->body)
        tmp.body = dup_into(&at, r->body, r->body_len);
    for (size_t i = 0; i < n; i++)
        if (*strs[i])
            *strs[i] = dup_into(&at, *strs[i], strlen(*strs[i]));
    *d = tmp;
    return d;
}
