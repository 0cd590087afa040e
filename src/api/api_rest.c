/* api_rest - the chat endpoints of the REST API, for bots and scripts (docs/api.md):
 *
 *   GET    /api/channels                                  channel_list {"member": true}
 *   GET    /api/channels/NAME/members                     channel_members
 *   GET    /api/channels/NAME/messages?before&after&limit history
 *   POST   /api/channels/NAME/messages                    msg {"text","cid"?,"thread"?,"files"?}
 *   PATCH  /api/channels/NAME/messages/SEQ                edit {"text","cid"?}
 *   DELETE /api/channels/NAME/messages/SEQ                delete
 *   POST   /api/channels/NAME/messages/SEQ/reactions      react {"emoji"} (added)
 *   DELETE /api/channels/NAME/messages/SEQ/reactions/EMOJI react (taken off)
 *   GET    /api/search?q&limit&cursor                     search
 *
 * None of them holds any chat logic: each becomes the one protocol request it stands for
 * and runs through chat_call (chat.h) as the signed-in user, so the rights, the rate limit,
 * client keys, ordering, durability and the fan-out to every connection (on every loop and
 * every process) are the WebSocket's own. The answer frame becomes the HTTP answer: an ack
 * or a reply is its payload; an error keeps the protocol's code, with a fitting status.
 *
 * Chat may answer from deep inside the hub (an ack after a commit), where nothing may call
 * back into chat: the answer is copied, and the HTTP answer and the end of the call are
 * made at the top of the loop, from a timer of 0 ms; the same timer, armed at first for
 * REST_TIMEOUT_MS, answers 503 should chat never answer (a request dropped because its
 * bot left the channel while it was checked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "api/api_int.h"
#include "base/xmalloc.h"
#include "http/http_router.h"

#define REST_TIMEOUT_MS 30000
#define REST_SEG_MAX 256 /* bytes of a decoded path part or query value */

typedef struct {
    uv_timer_t timer;
    api_call_t *c;
    void *call;   /* chat's, once chat_call returned */
    char *answer; /* the answer frame's JSON text */
    size_t len;
    bool got;    /* chat answered (answer NULL: its session was closed) */
    int created; /* the status of a success: 201 for a new message */
} rest_t;

/* ---- paths and queries ---- */

static int hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* n bytes of s percent-decoded into out (cap bytes with the NUL); plus_space: '+' is a space
 * (a query). False when malformed, too long or holding a NUL. */
static bool decode(const char *s, size_t n, bool plus_space, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '%') {
            int hi = i + 2 < n ? hex(s[i + 1]) : -1, lo = i + 2 < n ? hex(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            ch = (char)(hi * 16 + lo);
            i += 2;
        } else if (ch == '+' && plus_space) {
            ch = ' ';
        }
        if (ch == '\0' || o + 1 >= cap)
            return false;
        out[o++] = ch;
    }
    out[o] = '\0';
    return true;
}

/* The query's value of key, decoded: 1 found, 0 absent, -1 malformed. */
static int query_value(const char *q, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len >= klen && strncmp(q, key, klen) == 0 && (len == klen || q[klen] == '='))
            return decode(q + klen + (len > klen), len - klen - (len > klen), true, out, cap) ? 1
                                                                                              : -1;
        q = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* A query's integer field into payload: false after answering 400. */
static bool query_int(api_call_t *c, const char *q, const char *key, json_t *payload)
{
    char v[32];
    int rc = query_value(q, key, v, sizeof(v));
    if (rc == 0)
        return true;
    char *end = NULL;
    long long n = rc > 0 && v[0] ? strtoll(v, &end, 10) : 0;
    if (rc < 0 || !end || *end || n < 0) {
        char m[96];
        snprintf(m, sizeof(m), "%s must be a whole number", key);
        api_error(c, 400, "bad_payload", m);
        return false;
    }
    json_object_set_new(payload, key, json_integer(n));
    return true;
}

/* The path's parts after /api/channels/ (each decoded, at most 4), as in
 * NAME/messages/SEQ/reactions/EMOJI; the count, or -1 when malformed. */
static int path_parts(const char *p, char parts[5][REST_SEG_MAX])
{
    int n = 0;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 5 || len == 0 || !decode(p, len, false, parts[n], REST_SEG_MAX))
            return -1;
        n++;
        p += len + (slash ? 1 : 0);
        if (slash && !*p)
            return -1; /* a trailing slash */
    }
    return n;
}

static bool seq_of(const char *s, json_int_t *out)
{
    char *end;
    long long v = s[0] >= '1' && s[0] <= '9' ? strtoll(s, &end, 10) : 0;
    if (v <= 0 || *end)
        return false;
    *out = v;
    return true;
}

/* ---- answers ---- */

/* The HTTP status of a protocol error code (docs/protocol.md, "Errors"). */
static int status_of(const char *code)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {
        {"bad_json", 400},        {"bad_type", 400},        {"bad_payload", 400},
        {"bad_channel", 400},     {"bad_name", 400},        {"too_costly", 400},
        {"too_large", 413},       {"forbidden", 403},       {"quota_exceeded", 403},
        {"no_such_channel", 404}, {"no_such_message", 404}, {"no_such_user", 404},
        {"too_many", 409},        {"no_change", 409},       {"channel_exists", 409},
        {"rate_limited", 429},    {"auth_failed", 401},     {"unavailable", 503},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].code, code) == 0)
            return map[i].status;
    return 500;
}

/* The HTTP answer of chat's answer frame. */
static void answer(rest_t *t)
{
    api_call_t *c = t->c;
    if (!t->got) {
        api_error(c, 503, "unavailable", "the chat did not answer in time: try again");
        return;
    }
    if (!t->answer) {
        api_error(c, 401, "unauthorized", "the session ended");
        return;
    }
    json_t *root = json_loadb(t->answer, t->len, 0, NULL);
    json_t *type = json_object_get(root, "type");
    json_t *payload = json_object_get(root, "payload");
    if (json_is_string(type) && strcmp(json_string_value(type), "error") == 0) {
        json_t *code = json_object_get(root, "code");
        json_t *retry = json_object_get(root, "retry_after_ms");
        const char *cs = json_is_string(code) ? json_string_value(code) : "internal";
        json_t *msg = json_object_get(root, "message");
        json_t *body = json_pack("{s:s,s:o}", "error", cs, "message",
                                 api_str(json_is_string(msg) ? json_string_value(msg) : ""));
        char extra[64] = "";
        if (json_is_integer(retry)) {
            json_object_set(body, "retry_after_ms", retry);
            snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n",
                     (long long)(json_integer_value(retry) + 999) / 1000);
        }
        int status = status_of(cs);
        json_decref(root);
        api_reply(c, status, body, extra);
        return;
    }
    if (!json_is_object(payload)) {
        json_decref(root);
        api_error(c, 500, "internal", "the chat answered nothing usable");
        return;
    }
    bool dup = json_is_true(json_object_get(payload, "duplicate"));
    json_incref(payload);
    json_decref(root);
    api_reply(c, t->created && !dup ? t->created : 200, payload, NULL);
}

static void on_closed(uv_handle_t *h)
{
    rest_t *t = h->data;
    free(t->answer);
    free(t);
}

/* At the loop's top: the call ends and the request is answered. */
static void on_timer(uv_timer_t *timer)
{
    rest_t *t = timer->data;
    api_t *a = t->c->api;
    if (t->call)
        a->chat_call_end(a->chat_ctx, t->call);
    t->call = NULL;
    answer(t);
    uv_close((uv_handle_t *)&t->timer, on_closed);
}

/* chat's answer, from anywhere in the hub: copied, and answered from the timer. */
static void on_answer(void *ctx, const char *json, size_t len)
{
    rest_t *t = ctx;
    t->got = true;
    if (json) {
        t->answer = xmalloc(len + 1);
        memcpy(t->answer, json, len);
        t->answer[len] = '\0';
        t->len = len;
    }
    uv_timer_start(&t->timer, on_timer, 0, 0);
}

/* Runs request type with payload (taken over) as the call's user. */
static void run(api_call_t *c, const api_request_t *r, const char *type, json_t *payload,
                int created)
{
    api_t *a = c->api;
    json_t *req = json_pack("{s:s,s:i,s:o}", "type", type, "id", 1, "payload", payload);
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!text) {
        api_error(c, 500, "internal", "out of memory");
        return;
    }
    rest_t *t = xcalloc(1, sizeof(*t));
    t->c = c;
    t->created = created;
    uv_timer_init(a->loop, &t->timer);
    t->timer.data = t;
    uv_timer_start(&t->timer, on_timer, REST_TIMEOUT_MS, 0);
    t->call = a->chat_call(a->chat_ctx, c->actor, c->session_id, r->addr ? r->addr : "", text,
                           strlen(text), on_answer, t);
    free(text);
}

/* ---- the endpoints ---- */

/* Copies the body's fields named in keys (NULL-terminated) into payload. */
static void copy_fields(json_t *payload, json_t *body, const char *const keys[])
{
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = json_object_get(body, keys[i]);
        if (v)
            json_object_set(payload, keys[i], v);
    }
}

static void not_allowed(api_call_t *c, const char *allow)
{
    char extra[96];
    snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
    api_reply(c, 405,
              json_pack("{s:s,s:s}", "error", "method_not_allowed", "message",
                        "this endpoint does not take that method"),
              extra);
}

/* GET /api/channels and GET /api/search: the query's fields. */
static void top_level(api_call_t *c, const api_request_t *r, bool search)
{
    json_t *p = json_object();
    if (!search) {
        char after[REST_SEG_MAX];
        int rc = query_value(r->query, "after", after, sizeof(after));
        json_object_set_new(p, "member", json_true());
        if (rc > 0)
            json_object_set_new(p, "after", json_string(after));
        if (rc < 0 || !query_int(c, r->query, "limit", p)) {
            if (rc < 0)
                api_error(c, 400, "bad_payload", "after is a channel name");
            json_decref(p);
            return;
        }
        run(c, r, "channel_list", p, 0);
        return;
    }
    char q[1024], cursor[REST_SEG_MAX];
    int rq = query_value(r->query, "q", q, sizeof(q));
    int rc = query_value(r->query, "cursor", cursor, sizeof(cursor));
    if (rq <= 0 || rc < 0) {
        json_decref(p);
        api_error(c, 400, "bad_payload", "search needs q, the words to find (?q=...)");
        return;
    }
    json_object_set_new(p, "q", json_string(q));
    if (rc > 0)
        json_object_set_new(p, "cursor", json_string(cursor));
    if (!query_int(c, r->query, "limit", p)) {
        json_decref(p);
        return;
    }
    run(c, r, "search", p, 0);
}

/* NAME/messages[/SEQ[/reactions[/EMOJI]]] and NAME/members. */
static void channel_endpoint(api_call_t *c, const api_request_t *r, char parts[5][REST_SEG_MAX],
                             int n)
{
    static const char *const msg_keys[] = {"text", "cid", "thread", "files", NULL};
    static const char *const edit_keys[] = {"text", "cid", NULL};
    static const char *const cid_key[] = {"cid", NULL};
    uint8_t m = r->method == HTTP_HEAD ? HTTP_GET : r->method;
    json_int_t seq = 0;
    bool members = n == 2 && strcmp(parts[1], "members") == 0;
    bool messages = n >= 2 && strcmp(parts[1], "messages") == 0;
    bool one = messages && n >= 3 && seq_of(parts[2], &seq);
    bool reactions = one && n >= 4 && strcmp(parts[3], "reactions") == 0;
    if (!(members || (messages && n == 2) || (one && n == 3) || (reactions && n <= 5))) {
        api_error(c, 404, "not_found", "no such endpoint");
        return;
    }
    const char *allow = members  ? "GET, HEAD"
                        : n == 2 ? "GET, HEAD, POST"
                        : n == 3 ? "PATCH, DELETE"
                        : n == 4 ? "POST"
                                 : "DELETE";
    bool ok = members  ? m == HTTP_GET
              : n == 2 ? m == HTTP_GET || m == HTTP_POST
              : n == 3 ? m == HTTP_PATCH || m == HTTP_DELETE
              : n == 4 ? m == HTTP_POST
                       : m == HTTP_DELETE;
    if (!ok) {
        not_allowed(c, allow);
        return;
    }
    if (!api_authenticate(c, r))
        return;
    json_t *body = NULL;
    if ((m == HTTP_POST || m == HTTP_PATCH || (m == HTTP_DELETE && n == 3)) &&
        !(body = api_parse_body(c, r, m == HTTP_DELETE)))
        return;
    json_t *p = json_pack("{s:s}", "channel", parts[0]);
    if (seq)
        json_object_set_new(p, "seq", json_integer(seq));
    if (members) {
        run(c, r, "channel_members", p, 0);
    } else if (n == 2 && m == HTTP_GET) {
        if (query_int(c, r->query, "before", p) && query_int(c, r->query, "after", p) &&
            query_int(c, r->query, "limit", p))
            run(c, r, "history", p, 0);
        else
            json_decref(p);
    } else if (n == 2) {
        copy_fields(p, body, msg_keys);
        run(c, r, "msg", p, 201);
    } else if (n == 3) {
        copy_fields(p, body, m == HTTP_PATCH ? edit_keys : cid_key);
        run(c, r, m == HTTP_PATCH ? "edit" : "delete", p, 0);
    } else {
        if (n == 4)
            copy_fields(p, body, (const char *const[]){"emoji", "cid", NULL});
        else
            json_object_set_new(p, "emoji", json_string(parts[4]));
        json_object_set_new(p, "on", json_boolean(n == 4));
        run(c, r, "react", p, 0);
    }
    json_decref(body);
}

bool api_rest_route(api_call_t *c, const api_request_t *r)
{
    bool list = strcmp(r->path, "/api/channels") == 0;
    bool search = strcmp(r->path, "/api/search") == 0;
    bool chan = strncmp(r->path, "/api/channels/", 14) == 0;
    if (!list && !search && !chan)
        return false;
    if (!c->api->chat_call) {
        api_error(c, 404, "not_found", "no such endpoint");
        return true;
    }
    if (list || search) {
        if (r->method != HTTP_GET && r->method != HTTP_HEAD)
            not_allowed(c, "GET, HEAD");
        else if (api_authenticate(c, r))
            top_level(c, r, search);
        return true;
    }
    char parts[5][REST_SEG_MAX];
    int n = path_parts(r->path + 14, parts);
    if (n < 2)
        api_error(c, 404, "not_found", "no such endpoint");
    else
        channel_endpoint(c, r, parts, n);
    return true;
}
