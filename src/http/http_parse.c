/* http_parse - collects one request at a time from llhttp's callbacks; see http_parse.h.
 *
 * llhttp does all the parsing; the callbacks below only copy the URL and the few headers
 * the server reads into growable strings (http_str_t) and count. A header name may arrive in
 * pieces, so it is gathered in a small fixed buffer (names longer than it match nothing);
 * a value is appended straight to its header's string and trimmed when llhttp says it is
 * complete.
 *
 * Phases: HEAD (request line and headers), BODY (read; kept or declined), READY (a request is
 * handed out, llhttp is paused right after it), CLOSED (the last request asked to close).
 *
 * A kept body is copied once, from llhttp's on_body spans into p->body. With Content-Length
 * the buffer is allocated at its final size when the head completes (the length is known to
 * be within max_body by then); a chunked body grows it by doubling, never past max_body + 1.
 * on_message_complete pauses llhttp (HPE_PAUSED); for an upgrade it lets llhttp stop by
 * itself (HPE_PAUSED_UPGRADE). Either way llhttp_get_error_pos tells where the request ends.
 *
 * Invariant: during HEAD, llhttp is never given more than max_head - head_bytes bytes, so a
 * head over the limit fails as soon as its extra byte arrives, and the strings here only
 * ever hold copies of head bytes. Header callbacks after the head (chunked trailers) are
 * ignored. Every allocation of a request (its strings, its body) is taken from the budget
 * first and counted in held, which reset_request gives back whole. */
#include "http/http_parse.h"

#include <stdlib.h>
#include <string.h>

enum { PH_HEAD, PH_BODY, PH_READY, PH_CLOSED };

static const struct {
    const char *name;
    size_t len;
} hdr_names[HTTP_HDR_COUNT] = {
    [HTTP_HDR_HOST] = {"host", 4},
    [HTTP_HDR_UPGRADE] = {"upgrade", 7},
    [HTTP_HDR_CONNECTION] = {"connection", 10},
    [HTTP_HDR_WS_KEY] = {"sec-websocket-key", 17},
    [HTTP_HDR_WS_VERSION] = {"sec-websocket-version", 21},
    [HTTP_HDR_WS_PROTOCOL] = {"sec-websocket-protocol", 22},
    [HTTP_HDR_WS_EXTENSIONS] = {"sec-websocket-extensions", 24},
    [HTTP_HDR_ORIGIN] = {"origin", 6},
    [HTTP_HDR_COOKIE] = {"cookie", 6},
    [HTTP_HDR_AUTHORIZATION] = {"authorization", 13},
    [HTTP_HDR_USER_AGENT] = {"user-agent", 10},
    [HTTP_HDR_FORWARDED_PROTO] = {"x-forwarded-proto", 17},
    [HTTP_HDR_ACCEPT_ENCODING] = {"accept-encoding", 15},
    [HTTP_HDR_IF_NONE_MATCH] = {"if-none-match", 13},
};

/* Takes a buffer's growth from old to cap bytes from the budget: 0, or -2 when refused. */
static int take(http_parser_t *p, size_t old, size_t cap)
{
    if (!budget_take(p->budget, cap - old, p->held + (cap - old)))
        return -2;
    p->held += cap - old;
    return 0;
}

/* Gives back what take took, when the allocation it was for failed. */
static void untake(http_parser_t *p, size_t old, size_t cap)
{
    budget_give(p->budget, cap - old);
    p->held -= cap - old;
}

/* Appends n bytes and keeps the string NUL-terminated; n == 0 still allocates, which marks
 * a header as present. Returns 0, -1 when out of memory, or -2 when the budget refuses (s
 * unchanged either way). */
static int str_append(http_parser_t *p, http_str_t *s, const char *at, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (take(p, s->cap, cap) < 0)
            return -2;
        char *data = realloc(s->data, cap);
        if (!data) {
            untake(p, s->cap, cap);
            return -1;
        }
        s->data = data;
        s->cap = cap;
    }
    if (n)
        memcpy(s->data + s->len, at, n);
    s->len += n;
    s->data[s->len] = '\0';
    return 0;
}

static void str_free(http_str_t *s)
{
    free(s->data);
    *s = (http_str_t){0};
}

static http_parser_t *parser_of(llhttp_t *h)
{
    return h->data;
}

/* Records why the request failed; a callback returning -1 makes llhttp stop with an error. */
static int fail(http_parser_t *p, int status)
{
    p->status = status;
    return -1;
}

/* A growth's result (0, -1 out of memory, -2 refused by the budget) as a callback's. */
static int grown(http_parser_t *p, int r)
{
    return r == 0 ? 0 : fail(p, r == -2 ? 503 : 500);
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Which collected header the gathered name is (case-insensitive, RFC 9110 5.1), or -1. */
static int hdr_lookup(const char *name, size_t len)
{
    for (int i = 0; i < HTTP_HDR_COUNT; i++) {
        if (hdr_names[i].len != len)
            continue;
        size_t k = 0;
        while (k < len && ascii_lower((unsigned char)name[k]) == hdr_names[i].name[k])
            k++;
        if (k == len)
            return i;
    }
    return -1;
}

static int on_url(llhttp_t *h, const char *at, size_t n)
{
    http_parser_t *p = parser_of(h);
    return grown(p, str_append(p, &p->url, at, n));
}

static int on_header_field(llhttp_t *h, const char *at, size_t n)
{
    http_parser_t *p = parser_of(h);
    if (p->phase != PH_HEAD)
        return 0;
    /* RFC 9112 5.1: no whitespace in or after a field name. llhttp checks this only when
     * built with LLHTTP_STRICT_MODE, so check it here whatever the build. */
    if (memchr(at, ' ', n) || memchr(at, '\t', n))
        return fail(p, 400);
    if (p->name_len + n <= sizeof(p->name))
        memcpy(p->name + p->name_len, at, n);
    p->name_len += n;
    return 0;
}

static int on_header_field_complete(llhttp_t *h)
{
    http_parser_t *p = parser_of(h);
    if (p->phase != PH_HEAD)
        return 0;
    if (++p->nheaders > HTTP_MAX_HEADERS)
        return fail(p, 431);
    if (p->name_len == 0)
        return fail(p, 400); /* field-name is a token: at least one character */
    p->cur = p->name_len <= sizeof(p->name) ? hdr_lookup(p->name, p->name_len) : -1;
    p->name_len = 0;
    if (p->cur < 0)
        return 0;
    http_str_t *s = &p->hdr[p->cur];
    if (s->data && p->cur == HTTP_HDR_HOST)
        return fail(p, 400); /* RFC 9112 3.2: exactly one Host */
    /* A repeated header continues the same string as a list (RFC 9110 5.3); cookies are
     * joined as one Cookie line would hold them (RFC 9113 8.2.3). */
    int r = str_append(p, s, p->cur == HTTP_HDR_COOKIE ? "; " : ", ", s->len ? 2 : 0);
    if (r < 0)
        return grown(p, r);
    p->value_start = s->len;
    return 0;
}

static int on_header_value(llhttp_t *h, const char *at, size_t n)
{
    http_parser_t *p = parser_of(h);
    if (p->phase != PH_HEAD || p->cur < 0)
        return 0;
    return grown(p, str_append(p, &p->hdr[p->cur], at, n));
}

/* Trims the value just collected of spaces and tabs (RFC 9110 5.5; llhttp leaves trailing
 * ones, and an obs-fold continuation brings leading ones). An empty repeat drops its ", ". */
static int on_header_value_complete(llhttp_t *h)
{
    http_parser_t *p = parser_of(h);
    if (p->phase != PH_HEAD || p->cur < 0)
        return 0;
    http_str_t *s = &p->hdr[p->cur];
    size_t start = p->value_start, end = s->len;
    while (start < end && (s->data[start] == ' ' || s->data[start] == '\t'))
        start++;
    while (end > start && (s->data[end - 1] == ' ' || s->data[end - 1] == '\t'))
        end--;
    memmove(s->data + p->value_start, s->data + start, end - start);
    s->len = p->value_start + (end - start);
    if (s->len == p->value_start && p->value_start >= 2)
        s->len -= 2;
    s->data[s->len] = '\0';
    p->cur = -1;
    return 0;
}

/* Makes room for need body bytes and the NUL after them. need <= body_limit (checked by the
 * caller), so the buffer never exceeds body_limit + 1. Returns 0, -1 when out of memory, or
 * -2 when the budget refuses. */
static int body_reserve(http_parser_t *p, uint64_t need)
{
    if (need + 1 <= p->body_cap)
        return 0;
    size_t cap = p->body_cap ? p->body_cap * 2 : 256;
    if (cap < need + 1)
        cap = (size_t)need + 1;
    if (cap > p->body_limit + 1)
        cap = p->body_limit + 1;
    if (take(p, p->body_cap, cap) < 0)
        return -2;
    char *body = realloc(p->body, cap);
    if (!body) {
        untake(p, p->body_cap, cap);
        return -1;
    }
    p->body = body;
    p->body_cap = cap;
    return 0;
}

/* Splits the URL in place into path and query, and points the request at the headers. */
static void fill_request(http_parser_t *p)
{
    http_request_t *r = &p->req;
    r->method = p->llhttp.method;
    r->http_major = p->llhttp.http_major;
    r->http_minor = p->llhttp.http_minor;
    char *u = p->url.data; /* never NULL: llhttp refuses an empty request target */
    char *q = NULL;
    if (u) {
        char *hash = strchr(u, '#');
        if (hash)
            *hash = '\0';
        q = strchr(u, '?');
        if (q)
            *q = '\0';
    }
    r->path = u ? u : "";
    r->query = q ? q + 1 : NULL;
    r->host = p->hdr[HTTP_HDR_HOST].data;
    r->upgrade = p->hdr[HTTP_HDR_UPGRADE].data;
    r->connection = p->hdr[HTTP_HDR_CONNECTION].data;
    r->ws_key = p->hdr[HTTP_HDR_WS_KEY].data;
    r->ws_version = p->hdr[HTTP_HDR_WS_VERSION].data;
    r->ws_protocol = p->hdr[HTTP_HDR_WS_PROTOCOL].data;
    r->ws_extensions = p->hdr[HTTP_HDR_WS_EXTENSIONS].data;
    r->origin = p->hdr[HTTP_HDR_ORIGIN].data;
    r->cookie = p->hdr[HTTP_HDR_COOKIE].data;
    r->authorization = p->hdr[HTTP_HDR_AUTHORIZATION].data;
    r->user_agent = p->hdr[HTTP_HDR_USER_AGENT].data;
    r->forwarded_proto = p->hdr[HTTP_HDR_FORWARDED_PROTO].data;
    r->accept_encoding = p->hdr[HTTP_HDR_ACCEPT_ENCODING].data;
    r->if_none_match = p->hdr[HTTP_HDR_IF_NONE_MATCH].data;
}

static int on_headers_complete(llhttp_t *h)
{
    http_parser_t *p = parser_of(h);
    p->phase = PH_BODY;
    /* llhttp also takes HTTP/0.9 request lines (no version) and "HTTP/2.0" in HTTP/1
     * syntax; neither is a well-formed HTTP/1.x request-line (RFC 9112 3). */
    if (p->llhttp.http_major != 1)
        return fail(p, 400);
    /* A declared length over the limit fails now, before any of the body is read. llhttp
     * refuses Content-Length together with Transfer-Encoding, so this is the whole story
     * for a non-chunked body; chunked ones are counted in on_body. */
    if (p->llhttp.content_length > (p->max_kept > p->max_body ? p->max_kept : p->max_body))
        return fail(p, 413);
    fill_request(p);
    size_t lim = p->keep_body ? p->keep_body(p->keep_ctx, &p->req) : p->max_body;
    p->keep = lim > 0;
    /* A kept body is within its route's limit, up to max_kept; any other within max_body. */
    size_t most = p->keep_body && p->max_kept > p->max_body ? p->max_kept : p->max_body;
    p->body_limit = lim > 0 && lim < most ? lim : lim > 0 ? most : p->max_body;
    if (p->llhttp.content_length > p->body_limit)
        return fail(p, 413);
    /* The declared length, allocated once: the body then lands without a realloc. */
    if (p->keep && (p->llhttp.flags & F_CONTENT_LENGTH) && p->llhttp.content_length > 0)
        return grown(p, body_reserve(p, p->llhttp.content_length));
    return 0;
}

static int on_body(llhttp_t *h, const char *at, size_t n)
{
    http_parser_t *p = parser_of(h);
    uint64_t start = p->req.body_len;
    p->req.body_len += n;
    if (p->req.body_len > p->body_limit)
        return fail(p, 413);
    if (!p->keep)
        return 0;
    int r = body_reserve(p, p->req.body_len);
    if (r < 0)
        return grown(p, r);
    memcpy(p->body + start, at, n);
    return 0;
}

static int on_message_complete(llhttp_t *h)
{
    http_parser_t *p = parser_of(h);
    p->req.keep_alive = llhttp_should_keep_alive(h);
    p->req.upgrade_req = h->upgrade;
    if (p->keep && p->req.body_len > 0) {
        p->body[p->req.body_len] = '\0';
        p->req.body = p->body;
    }
    p->phase = PH_READY;
    /* After an upgrade llhttp pauses by itself, with HPE_PAUSED_UPGRADE. */
    return h->upgrade ? HPE_OK : HPE_PAUSED;
}

static const llhttp_settings_t settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* Frees the request's strings and clears everything counted for it. */
static void reset_request(http_parser_t *p)
{
    str_free(&p->url);
    for (int i = 0; i < HTTP_HDR_COUNT; i++)
        str_free(&p->hdr[i]);
    free(p->body);
    p->body = NULL;
    p->body_cap = 0;
    budget_give(p->budget, p->held);
    p->held = 0;
    p->keep = false;
    p->req = (http_request_t){0};
    p->head_bytes = 0;
    p->nheaders = 0;
    p->cur = -1;
    p->value_start = 0;
    p->name_len = 0;
}

void http_parser_set_max_kept(http_parser_t *p, size_t max_kept)
{
    p->max_kept = max_kept;
}

void http_parser_init(http_parser_t *p, size_t max_head, size_t max_body)
{
    *p = (http_parser_t){0};
    llhttp_init(&p->llhttp, HTTP_REQUEST, &settings);
    p->llhttp.data = p;
    p->max_head = max_head;
    p->max_body = p->body_limit = p->max_kept = max_body;
    p->cur = -1;
    p->phase = PH_HEAD;
}

void http_parser_keep_body(http_parser_t *p, http_keep_body_cb cb, void *ctx)
{
    p->keep_body = cb;
    p->keep_ctx = ctx;
}

void http_parser_set_budget(http_parser_t *p, budget_t *b)
{
    p->budget = b;
}

void http_parser_deinit(http_parser_t *p)
{
    reset_request(p);
    p->phase = PH_CLOSED;
}

ssize_t http_parser_feed(http_parser_t *p, const char *data, size_t len, http_request_t **req,
                         int *status)
{
    *req = NULL;
    if (p->phase == PH_READY) {
        *req = &p->req;
        return 0;
    }
    if (p->phase != PH_CLOSED) {
        size_t off = 0;
        while (off < len && p->status == 0) {
            size_t n = len - off;
            bool in_head = p->phase == PH_HEAD;
            if (in_head) {
                size_t room = p->max_head - p->head_bytes;
                if (room == 0) {
                    p->status = 431;
                    break;
                }
                if (n > room)
                    n = room;
            }
            llhttp_errno_t err = llhttp_execute(&p->llhttp, data + off, n);
            if (err == HPE_OK) {
                if (in_head)
                    p->head_bytes += n;
                off += n;
                continue;
            }
            if (p->phase == PH_READY && (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE)) {
                *req = &p->req;
                return llhttp_get_error_pos(&p->llhttp) - data;
            }
            if (p->status == 0)
                p->status = 400; /* llhttp's own verdict, or an HTTP/2 preface */
        }
    }
    if (p->status) {
        *status = p->status;
        return -1;
    }
    return (ssize_t)len;
}

void http_parser_next(http_parser_t *p)
{
    if (p->phase != PH_READY)
        return;
    if (llhttp_get_errno(&p->llhttp) == HPE_PAUSED_UPGRADE)
        llhttp_resume_after_upgrade(&p->llhttp);
    else
        llhttp_resume(&p->llhttp);
    bool keep_alive = p->req.keep_alive;
    reset_request(p);
    p->phase = keep_alive ? PH_HEAD : PH_CLOSED;
}
