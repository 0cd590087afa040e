/* api - the REST API under /api: sign-up, sign-in, sessions, the people directory, roles,
 * bans, invites and reset links, as JSON over HTTP (docs/protocol.md, "Accounts").
 *
 * It sits above auth (every decision and every write is auth's: this layer reads JSON,
 * authenticates the request, calls auth, and writes JSON) and below server, which hands it
 * each /api request and sends back the bytes it answers. It runs on the hub's loop, the
 * thread auth belongs to; with --threads N the connection loops carry requests up to it and
 * answers down (server_loops).
 *
 * A request is answered exactly once, asynchronously in general: auth's callbacks fire
 * after password hashing (off the loop) and store commits. The answer is one blob holding
 * the whole HTTP/1.1 response, head and body, so it can cross to another loop as it is.
 *
 * Authentication: `Authorization: Bearer TOKEN`, else the parley_session cookie under the
 * cookie rule of api_cred.h (a foreign Origin: 403; no Origin: reads only); any POST
 * /api/login, /register or /reset that carries an Origin must carry one of ours. The server
 * checked the Host before (http_origin.h). Statuses and error codes are auth's (auth_status_code),
 * plus 400 bad_json, 400 bad_payload, 401 unauthorized, 403 bad_origin, 404 not_found, 405
 * method_not_allowed. */
#ifndef PARLEY_API_H
#define PARLEY_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "base/blob.h"
#include "files/files.h"

typedef struct api api_t;

/* The longest request body /api reads: its largest (a registration: a name, a 1 KiB
 * password, a display name, an invite) is a few KiB, so 16 KiB leaves room and a flood of
 * long bodies is refused 413 before it is read, parsed or carried to the hub's loop. */
#define API_BODY_MAX ((size_t)16 * 1024)
/* The body of POST /hooks/TOKEN: Slack's payloads (attachments, blocks) run larger than our
 * own requests; Slack itself keeps a message's text to 40,000 characters. */
#define API_HOOK_BODY_MAX ((size_t)256 * 1024)
/* The body of POST /api/me/avatar: an image of at most 1 MiB (files.h FILES_AVATAR_MAX). */
#define API_AVATAR_MAX ((size_t)1024 * 1024)

/* Whether user may download (post false) or upload to (post true) channel's files: the
 * chat layer's answer (chat_files_allowed), on the loop api runs on. */
typedef bool (*api_files_allowed_fn)(void *ctx, uint64_t user, const char *channel, bool post);

/* An incoming webhook's message, as api hands it to chat (chat.h chat_app_post_t, field for
 * field; main passes one to the other). Strings borrowed for the call. */
typedef struct {
    uint64_t hook, creator;
    const char *channel, *name, *icon, *text;
    size_t len;
} api_hook_post_t;
/* The refusals of hook_post: chat's CHAT_APP_E*, value for value (main checks it). */
#define API_HOOK_ENOCHANNEL (-1)
#define API_HOOK_EARCHIVED (-2)
#define API_HOOK_EFORBIDDEN (-3)
#define API_HOOK_ERATE (-4)
#define API_HOOK_EUNAVAILABLE (-5)
#define API_HOOK_ETOOLONG (-6)
#define API_HOOK_ENOTEXT (-7)

typedef struct {
    /* Origins allowed besides the request's own (--allowed-origins and --public-url's),
     * comma-separated as http_origin_check takes them; NULL or "" for none. */
    const char *origins;
    /* Uploads (POST /api/files, GET /files/ID/NAME; docs/protocol.md "Files"): the registry
     * (borrowed, outliving the api; NULL: both answer 404) and who may reach a channel's. */
    files_t *files;
    api_files_allowed_fn files_allowed;
    void *files_ctx;
    /* The loop api runs on: an upload is hashed and written on its thread pool
     * (uv_queue_work), so that a large one never holds the loop. NULL: on the loop itself
     * (tests, the fuzzer). */
    struct uv_loop_s *loop;
    /* A user's profile (display name, title, time zone, avatar) was stored: chat tells its
     * sessions (chat_profile_changed). NULL: nobody is told. */
    void (*profile_changed)(void *ctx, const auth_user_t *u);
    void *profile_ctx;
    /* --base-path ("/chat"; "" or NULL: the root): the session cookie's Path is under it, so
     * that two servers behind one host name keep their sessions apart. Borrowed. */
    const char *base_path;
    /* The chat endpoints (api_rest.c: messages, reactions, history, channels, members,
     * search): one protocol request run as the user (chat.h chat_call, chat_call_end, with
     * chat_ctx). Needs loop (the answer is taken at the loop's top). NULL: they answer 404. */
    void *(*chat_call)(void *ctx, const auth_user_t *u, uint64_t sid, const char *addr,
                       const char *request, size_t len, void (*cb)(void *, const char *, size_t),
                       void *cb_ctx);
    void (*chat_call_end)(void *ctx, void *call);
    void *chat_ctx;
    /* Incoming webhooks (api_hooks.c; docs/api.md): whether user may manage channel's hooks
     * (an auth_verdict_t: chat_hooks_allowed), and the post of one (chat_app_post: 0 and cb
     * once stored or failed, else an API_HOOK_E* refusal). NULL: /api/hooks answers as for
     * channels nobody may see, and every /hooks/TOKEN 404. */
    int (*hooks_allowed)(void *ctx, uint64_t user, const char *channel);
    int (*hook_post)(void *ctx, const api_hook_post_t *p,
                     void (*cb)(void *cb_ctx, int status, uint64_t seq), void *cb_ctx,
                     uint64_t *retry_ms);
    void *hooks_ctx;
} api_config_t;

/* One request as the connection driver read it. The header fields are NULL when the header
 * is absent. Every pointer is borrowed for the call to api_handle only. */
typedef struct {
    uint8_t method;    /* llhttp_method_t: HTTP_GET, HTTP_POST, ... */
    const char *path;  /* NUL-terminated, without the query */
    const char *query; /* after '?', NULL when none (not percent-decoded) */
    const char *body;  /* NULL: none (or empty) */
    size_t body_len;
    const char *host, *origin, *cookie, *authorization, *user_agent, *forwarded_proto;
    const char *if_none_match; /* GET /avatars/ID revalidates by it */
    const char *addr;          /* the peer's address ("127.0.0.1"), "" when unknown */
    /* The connection to us is TLS: the request's own origin is https:// and the session
     * cookie Secure, as when X-Forwarded-Proto says https. */
    bool tls;
    /* Header lines (each ending in "\r\n") every answer to this request carries: the
     * server's security headers (http_security_headers). NULL for none. */
    const char *headers;
    bool keep_alive; /* the answer says "Connection: keep-alive", else "close" */
} api_request_t;

/* The whole HTTP response, borrowed for the call: take a reference to keep it. Fires on the
 * loop api runs on. */
typedef void (*api_answer_cb)(void *ctx, blob_t *response);

/* A registry of accounts to serve (borrowed, outliving the api). cfg is copied. Never NULL. */
api_t *api_new(auth_t *auth, const api_config_t *cfg);
/* Once every answer was given (api_pending 0). */
void api_free(api_t *a);

/* Answers req through cb (with ctx) exactly once, possibly before returning. req and all it
 * points to may be released as soon as this returns. */
void api_handle(api_t *a, const api_request_t *req, api_answer_cb cb, void *ctx);

/* Requests taken and not answered yet. Shutdown waits for 0 before closing the store: an
 * answer in flight may still wait for a password hash, whose result auth then writes. */
size_t api_pending(const api_t *a);

/* A copy of req and everything it points to in one allocation: free() releases it. For a
 * request that crosses to another thread. */
api_request_t *api_request_dup(const api_request_t *req);

/* A whole error response {"error": code, "message": message} with "Cache-Control: no-store"
 * and the header lines headers (as api_request_t's; NULL for none) (a new blob, the caller's
 * reference): for requests the API never sees (the server is stopping: 503 "unavailable").
 * code and message are JSON-safe ASCII. */
blob_t *api_response_error(int status, const char *code, const char *message, bool keep_alive,
                           const char *headers);

#endif
