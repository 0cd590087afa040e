/* fuzz_http_parse - libFuzzer target for http/http_parse (llhttp underneath, strict mode).
 *
 * Input layout:
 *   byte 0     configuration: bits 0-1 max_head (64, 256, 1024, 8192); bits 2-3 max_body
 *              (0, 16, 1000, 1 MiB); bit 4 decline upgrades (answer and go on reading HTTP,
 *              RFC 9110 7.8) instead of handing the rest of the stream to another protocol;
 *              bits 5-6 which bodies are kept: 0 all (no callback), 1 none, 2 those of
 *              paths of odd length, 3 all (through a callback)
 *   bytes 1-4  piece sizes for the split pass (1 + b % 64 each, used in turn)
 *   the rest   the byte stream a client sent
 *
 * The stream goes through http_parser_feed twice, as a server would drive it: whole, then in
 * pieces (each in its own exact-size heap buffer, so ASan sees a read past what has arrived).
 * Every request is checked, logged and answered with http_parser_next; the logs of the two
 * passes (each request's fields, its kept body's bytes and where it ends in the stream, the
 * final error status, an accepted upgrade) must be equal.
 *
 * Invariants checked (abort() on a violation):
 *   - the count returned is within the input; with no request, all of it was consumed;
 *   - -1 comes with status 400, 413, 431 or 500, and every later call repeats it;
 *   - feeding again before http_parser_next returns 0 and the same request;
 *   - a request: HTTP/1.x, path without '?' or '#', query without '#', body_len within
 *     max_body and within the request's bytes, header values trimmed of spaces and tabs;
 *   - its body: NULL when declined or empty, else body_len bytes followed by a NUL; the
 *     keep-body callback ran once for it, before any of its body;
 *   - after a request with keep_alive false, every byte is consumed and no request comes.
 * No state is kept between inputs; the parser is deinitialised after each pass (LeakSanitizer
 * checks that nothing stays allocated). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR_BYTES 5

typedef struct {
    http_parser_t p;
    size_t max_head, max_body;
    size_t last_limit; /* what the keep-body callback last answered */
    bool decline_upgrade;
    unsigned keep_mode; /* bits 5-6 of the configuration byte */
    unsigned asked;     /* keep-body calls since the last request was handed out */
    bool last_kept;     /* what the last call answered */
    bool closed;        /* a request with keep_alive false was answered */
    size_t req_start;   /* stream offset where the current request starts */
    text_t log;
} drive_t;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_http_parse: %s\n", what);
    abort();
}

/* Logs one header; checks it is trimmed (RFC 9110 5.5). */
static void put_hdr(text_t *t, const char *name, const char *v)
{
    if (!v) {
        text_putf(t, " %s!", name);
        return;
    }
    size_t n = strlen(v);
    if (n && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t'))
        fail("header value not trimmed");
    text_putf(t, " %s=%zu:", name, n);
    text_put(t, v, n);
}

/* Mode 1 keeps nothing; mode 2 keeps odd-length paths' bodies under a bound of their own
 * (7 bytes: a route's, smaller than max_body); mode 3 keeps every body. */
static size_t keep_cb(void *ctx, const http_request_t *head)
{
    drive_t *d = ctx;
    if (head->body || head->body_len)
        fail("keep-body callback after the body started");
    d->asked++;
    d->last_kept = d->keep_mode == 1 ? false : d->keep_mode == 2 ? strlen(head->path) % 2 : true;
    d->last_limit = !d->last_kept ? 0 : d->keep_mode == 2 ? 7 : SIZE_MAX;
    return d->last_limit;
}

/* Logs the body; checks it against what the callback answered. */
static void check_body(drive_t *d, const http_request_t *r)
{
    bool kept = d->keep_mode == 0 || d->last_kept;
    if (d->keep_mode != 0 && d->asked != 1)
        fail("keep-body callback not called exactly once for a request");
    d->asked = 0;
    if ((r->body != NULL) != (kept && r->body_len > 0))
        fail("body NULL when it should be kept, or set when declined or empty");
    if (r->body && r->body[r->body_len] != '\0')
        fail("kept body not followed by a NUL");
    text_putf(&d->log, " body=%d:", r->body != NULL);
    if (r->body)
        text_put(&d->log, r->body, (size_t)r->body_len);
}

static void check_request(drive_t *d, const http_request_t *r, size_t end)
{
    if (!r->path)
        fail("request without a path");
    if (strchr(r->path, '?') || strchr(r->path, '#'))
        fail("path holds '?' or '#'");
    if (r->query && strchr(r->query, '#'))
        fail("query holds '#'");
    if (r->http_major != 1)
        fail("request accepted with a version other than HTTP/1.x");
    if (r->body_len > d->max_body || r->body_len > end - d->req_start)
        fail("body_len over max_body or over the request's bytes");
    if (d->keep_mode != 0 && d->last_kept && r->body_len > d->last_limit)
        fail("a kept body over its route's bound");
    text_t *t = &d->log;
    text_putf(t, "REQ m=%u v=%u.%u ka=%d up=%d body=%llu end=%zu path=%zu:", r->method,
              r->http_major, r->http_minor, r->keep_alive, r->upgrade_req,
              (unsigned long long)r->body_len, end, strlen(r->path));
    text_put(t, r->path, strlen(r->path));
    put_hdr(t, "query", r->query);
    put_hdr(t, "host", r->host);
    put_hdr(t, "upgrade", r->upgrade);
    put_hdr(t, "connection", r->connection);
    put_hdr(t, "key", r->ws_key);
    put_hdr(t, "version", r->ws_version);
    put_hdr(t, "protocol", r->ws_protocol);
    put_hdr(t, "extensions", r->ws_extensions);
    put_hdr(t, "origin", r->origin);
    put_hdr(t, "cookie", r->cookie);
    put_hdr(t, "authorization", r->authorization);
    put_hdr(t, "user-agent", r->user_agent);
    put_hdr(t, "x-forwarded-proto", r->forwarded_proto);
    check_body(d, r);
    text_put(t, "\n", 1);
}

static void on_error(drive_t *d, int status)
{
    if (status != 400 && status != 413 && status != 431 && status != 500)
        fail("-1 with an unexpected status");
    http_request_t *req;
    int again = 0;
    static const char byte = 'G';
    if (http_parser_feed(&d->p, &byte, 1, &req, &again) != -1 || again != status || req)
        fail("the error is not sticky");
    text_putf(&d->log, "ERR %d\n", status);
}

/* Every parser takes from this count (no limit, so the passes still agree): it must equal
 * what the parsers hold, and be back to 0 once they are gone. */
static budget_t counted;

/* Feeds one piece (in, len), found at stream offset base, answering every request in it.
 * Returns false once HTTP is over for this stream (error, or an upgrade taken). */
static bool feed_piece(drive_t *d, const char *in, size_t len, size_t base)
{
    static http_request_t sentinel;
    size_t off = 0;
    for (;;) {
        http_request_t *req = &sentinel;
        int status = 0;
        size_t others = budget_used(&counted) - d->p.held;
        ssize_t n = http_parser_feed(&d->p, in + off, len - off, &req, &status);
        if (budget_used(&counted) - others != d->p.held)
            fail("the budget taken is not what the parser holds");
        if (n < 0) {
            if (n != -1 || req)
                fail("error return other than -1, or with a request");
            on_error(d, status);
            return false;
        }
        if ((size_t)n > len - off)
            fail("consumed more than was fed");
        if (req == &sentinel)
            fail("*req not set");
        if (!req) {
            if ((size_t)n != len - off)
                fail("no request, yet not all input consumed");
            return true;
        }
        if (d->closed)
            fail("a request after one with keep_alive false");
        off += (size_t)n;
        check_request(d, req, base + off);

        http_request_t *again = NULL;
        if (http_parser_feed(&d->p, in + off, len - off, &again, &status) != 0 || again != req)
            fail("feeding before http_parser_next does not return the same request");
        bool upgrade = req->upgrade_req, keep_alive = req->keep_alive;
        d->req_start = base + off;
        if (upgrade && !d->decline_upgrade) {
            text_putf(&d->log, "UPGRADE at %zu\n", base + off);
            return false;
        }
        http_parser_next(&d->p);
        if (!keep_alive)
            d->closed = true;
    }
}

static void drive_init(drive_t *d, uint8_t cfg)
{
    static const size_t head_max[4] = {64, 256, 1024, 8192};
    static const size_t body_max[4] = {0, 16, 1000, 1 << 20};
    *d = (drive_t){0};
    d->max_head = head_max[cfg & 3];
    d->max_body = body_max[(cfg >> 2) & 3];
    d->decline_upgrade = (cfg & 0x10) != 0;
    d->keep_mode = (cfg >> 5) & 3;
    http_parser_init(&d->p, d->max_head, d->max_body);
    http_parser_set_budget(&d->p, &counted);
    if (d->keep_mode != 0)
        http_parser_keep_body(&d->p, keep_cb, d);
}

static void drive_deinit(drive_t *d)
{
    http_parser_deinit(&d->p);
    free(d->log.s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR_BYTES)
        return 0;
    const char *s = (const char *)data + HDR_BYTES;
    size_t len = size - HDR_BYTES;

    drive_t whole, split;
    drive_init(&whole, data[0]);
    char *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    memcpy(copy, s, len);
    feed_piece(&whole, copy, len, 0);
    free(copy);

    drive_init(&split, data[0]);
    for (size_t off = 0, j = 0; off < len; j++) {
        size_t n = 1 + data[1 + j % 4] % 64;
        if (n > len - off)
            n = len - off;
        char *piece = malloc(n);
        if (!piece)
            abort();
        memcpy(piece, s + off, n);
        bool more = feed_piece(&split, piece, n, off);
        free(piece);
        if (!more)
            break;
        off += n;
    }

    const char *a = whole.log.s ? whole.log.s : "", *b = split.log.s ? split.log.s : "";
    if (whole.log.len != split.log.len || memcmp(a, b, whole.log.len) != 0) {
        fprintf(stderr, "whole:\n%.2000s\nsplit:\n%.2000s\n", a, b);
        fail("whole and split passes differ");
    }
    drive_deinit(&whole);
    drive_deinit(&split);
    if (budget_used(&counted) != 0)
        fail("a parser's budget was not given back whole");
    return 0;
}
