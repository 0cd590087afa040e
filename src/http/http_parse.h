/* http_parse - HTTP/1.1 request parser: llhttp does the parsing, this module collects.
 *
 * Bytes in, one request at a time out; no I/O, no logging. Each request yields its method,
 * version, path and query, keep-alive, whether it asks to switch protocols, copies of the
 * few headers the server looks at, and its body. Every other header is checked by llhttp and
 * dropped. A body (Content-Length or chunked) is kept, in one buffer the parser owns, unless
 * the caller's keep-body callback declines it when the head is complete; a declined body is
 * still read through (only its length is counted), so keep-alive stays in sync.
 *
 * Limits, all decided as the bytes arrive (never by buffering first):
 *   - request head (request line, header lines and the blank line) over max_head bytes: 431
 *   - more than HTTP_MAX_HEADERS header lines: 431
 *   - body (Content-Length, or chunked data as it arrives) over max_body bytes, or over its
 *     route's limit (up to max_kept, http_parser_set_max_kept) for a kept one: 413
 *   - anything llhttp rejects, a version other than HTTP/1.x, whitespace in a header name
 *     (RFC 9112 5.1), an empty header name, or a second Host line (RFC 9112 3.2): 400
 *   - out of memory: 500 (returned, never aborts, so the codec can be fuzzed)
 *   - the budget of input still arriving (http_parser_set_budget) refuses more: 503
 * Heap use is a small multiple of max_head, plus the body's limit + 1 while a kept body is read; an
 * idle parser between requests holds none. Every byte of it is taken from the budget, if one
 * is set, before it is allocated, and given back when the request is released. p must not
 * move in memory between init and deinit (llhttp points back to it). */
#ifndef PARLEY_HTTP_PARSE_H
#define PARLEY_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <llhttp.h>

#include "base/budget.h"

#define HTTP_MAX_HEADERS 64

/* One parsed request. Every pointer is owned by the parser and stays valid until
 * http_parser_next() or http_parser_deinit(); copy what must outlive that. Header strings
 * are NUL-terminated, trimmed of surrounding spaces and tabs, NULL when the header is absent
 * ("" when present but empty); a header sent on several lines is joined with ", " (RFC 9110
 * 5.3). Names are matched case-insensitively. */
typedef struct {
    const char *path;  /* request target up to '?' or '#'; never NULL; not percent-decoded.
                          The absolute and authority forms are passed through unchanged. */
    const char *query; /* after '?' up to '#', without the '?'; NULL when there is no '?' */
    const char *host;
    const char *upgrade;
    const char *connection;
    const char *ws_key;        /* Sec-WebSocket-Key */
    const char *ws_version;    /* Sec-WebSocket-Version */
    const char *ws_protocol;   /* Sec-WebSocket-Protocol */
    const char *ws_extensions; /* Sec-WebSocket-Extensions */
    const char *origin;
    /* Credentials and facts about the client, for the REST layer and the upgrade. Cookie
     * lines are joined with "; " (RFC 9113 8.2.3), not ", ", so the list stays one cookie
     * string (RFC 6265 5.4). */
    const char *cookie;
    const char *authorization;
    const char *user_agent;
    const char *forwarded_proto; /* X-Forwarded-Proto, as a reverse proxy sets it */
    const char *accept_encoding; /* for the web client's files (http_negotiate.h) */
    const char *if_none_match;
    /* The body's bytes when it was kept and is not empty, followed by a NUL that body_len
     * does not count (a convenience for text bodies; the body itself may hold NULs); NULL
     * when the request has no body or it was declined. Copied once, from the fed bytes. */
    const char *body;
    uint64_t body_len; /* body bytes read, kept or declined (at most max_body) */
    uint8_t method;    /* llhttp_method_t: HTTP_GET, HTTP_HEAD, ... */
    uint8_t http_major, http_minor;
    bool keep_alive;  /* llhttp_should_keep_alive: HTTP/1.1 unless "close", HTTP/1.0 only with
                         "keep-alive" */
    bool upgrade_req; /* Upgrade + "Connection: upgrade", or CONNECT: the bytes after this
                         request belong to another protocol (see http_parser_feed) */
} http_request_t;

/* Collected headers, indexes into http_parser_t.hdr. */
enum {
    HTTP_HDR_HOST,
    HTTP_HDR_UPGRADE,
    HTTP_HDR_CONNECTION,
    HTTP_HDR_WS_KEY,
    HTTP_HDR_WS_VERSION,
    HTTP_HDR_WS_PROTOCOL,
    HTTP_HDR_WS_EXTENSIONS,
    HTTP_HDR_ORIGIN,
    HTTP_HDR_COOKIE,
    HTTP_HDR_AUTHORIZATION,
    HTTP_HDR_USER_AGENT,
    HTTP_HDR_FORWARDED_PROTO,
    HTTP_HDR_ACCEPT_ENCODING,
    HTTP_HDR_IF_NONE_MATCH,
    HTTP_HDR_COUNT
};

/* A growable string owned by the parser: data is NULL or NUL-terminated. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} http_str_t;

/* Decides, once the head of a request is complete (everything but body is set in head,
 * borrowed for the call), whether its body is kept and how long it may be: 0 = it is read
 * through and dropped (within max_body); n > 0 = it is kept, and a body over n bytes (or
 * max_body, if smaller) is 413, refused before any of it is read when its length is
 * declared. A handler that reads small bodies says so, and a large one costs nothing. */
typedef size_t (*http_keep_body_cb)(void *ctx, const http_request_t *head);

/* The parser. Defined here so that a connection can embed it; the fields are private. */
typedef struct http_parser {
    llhttp_t llhttp; /* its settings are one static const table shared by all parsers */
    http_request_t req;
    http_str_t url;
    http_str_t hdr[HTTP_HDR_COUNT];
    char *body;      /* the kept body, NULL until its first byte (or its length) is known */
    size_t body_cap; /* bytes allocated at body, at most max_body + 1 */
    bool keep;       /* this request's body is kept */
    http_keep_body_cb keep_body;
    void *keep_ctx;
    size_t max_head, max_body;
    size_t max_kept;    /* the most a keep-body callback may raise a kept body's limit to */
    size_t body_limit;  /* this request's: max_body, or less when its route says so */
    size_t head_bytes;  /* bytes of the current head passed to llhttp so far */
    unsigned nheaders;  /* header lines in the current head */
    int cur;            /* HTTP_HDR_* whose value is being collected, or -1 */
    size_t value_start; /* where the current value starts in hdr[cur] */
    char name[32];      /* current header name, enough for the longest one we collect */
    size_t name_len;    /* may exceed sizeof(name): then it matches nothing */
    budget_t *budget;   /* input still arriving, shared (borrowed; NULL: none) */
    size_t held;        /* bytes of the strings and the body taken from budget */
    int status;         /* 400/413/431/500/503 once failed (sticky), else 0 */
    uint8_t phase;      /* private: head, body, request ready, closed */
} http_parser_t;

/* Prepares p to read requests (max_head, max_body in bytes; max_head > 0). Every body is kept
 * until http_parser_keep_body says otherwise. Allocates nothing; cannot fail. */
void http_parser_init(http_parser_t *p, size_t max_head, size_t max_body);

/* From the next request head on, cb (with ctx, borrowed, outliving p) decides which bodies
 * are kept; a request whose cb returns false gets body NULL. cb NULL: every body is kept.
 * cb runs inside http_parser_feed and must not call into p. */
void http_parser_keep_body(http_parser_t *p, http_keep_body_cb cb, void *ctx);

/* A body the keep-body callback keeps may be up to max_kept bytes when its answer says so
 * (an upload route), though more than max_body; every other body stays within max_body.
 * Default: max_body. Call it before the first feed. */
void http_parser_set_max_kept(http_parser_t *p, size_t max_kept);

/* From now on, the memory p allocates for a request (its URL and header copies, its kept
 * body) is taken from b (borrowed, outliving p; NULL: none) before it is allocated, and
 * given back when the request is released (http_parser_next, http_parser_deinit). A growth
 * b refuses fails the request with status 503. Call it before the first feed. */
void http_parser_set_budget(http_parser_t *p, budget_t *b);

/* Frees what p holds; a request it returned is invalid afterwards. p may be initialised again. */
void http_parser_deinit(http_parser_t *p);

/* Feeds len bytes of data (borrowed, only read during the call). Returns how many bytes it
 * consumed, or -1 with *status set to 400, 413, 431, 500 or 503.
 *
 * When a complete request (head and body) has been read, *req points to it (owned by p, see
 * http_request_t, its body included) and parsing stops right after it: the return value is where
 * the request ends in data. The caller answers the request, calls http_parser_next(), then feeds
 * the bytes after it (pipelining). Otherwise *req is NULL and all len bytes were consumed: feed
 * more when they arrive. Feeding again before http_parser_next() returns 0 and the same
 * request.
 *
 * For a request with upgrade_req set, the bytes after it (from the returned count on) belong
 * to the new protocol. A server that declines the upgrade may instead answer it and call
 * http_parser_next() to go on reading HTTP (RFC 9110 7.8), or close the connection.
 *
 * After a request whose keep_alive is false, no more requests are read: later bytes are
 * consumed and ignored (RFC 9112 9.6). After -1 the parser is finished: every later call
 * returns -1 with the same status, and the caller should answer with that status and close.
 * status and req may not be NULL. */
ssize_t http_parser_feed(http_parser_t *p, const char *data, size_t len, http_request_t **req,
                         int *status);

/* Releases the request returned by http_parser_feed (its strings are freed) and readies p for
 * the next one. Does nothing when no request is pending. */
void http_parser_next(http_parser_t *p);

#endif
