/* ws_deflate - permessage-deflate (RFC 7692) over zlib's raw DEFLATE.
 *
 * Three parts:
 *   - negotiation: a small scanner over the Sec-WebSocket-Extensions grammar (RFC 6455 9.1,
 *     RFC 7230 3.2.6 tokens and quoted strings) that reads one offer at a time into an
 *     offer_t, then a policy (accept_offer) that answers the first acceptable one.
 *   - ws_inflater_t: a z_stream created on the first message, and one output buffer that
 *     grows (doubling) up to max_output + 1 bytes and is reused until shrunk.
 *   - ws_deflater_t: a z_stream reset before every message (no context takeover on our
 *     side, ever) and one output buffer, likewise reused until shrunk.
 *
 * Invariants:
 *   - inflater: init says whether zs holds zlib state. Between messages the stream is at a
 *     block boundary (the previous message was complete) or, with ended set, just past a
 *     final block; an error resets it to empty. Without takeover every message starts from
 *     inflateReset, so the inflater carries nothing from one connection to the next.
 *   - inflating stops as soon as more than max_output bytes came out, so the buffer never
 *     exceeds max_output + 1 bytes, whatever the ratio of the input.
 *   - zlib counts in uInt: every length handed to it is capped at UINT_MAX (ZCHUNK). */
#include "ws/ws_deflate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ZLIB_CONST /* next_in is const: our input is borrowed */
#include <zlib.h>

#include "base/utf8.h"

#define ZCHUNK ((size_t)UINT_MAX)

/* The empty stored block a sync flush ends with; stripped by the sender (RFC 7692 7.2.1),
 * put back by the receiver (7.2.2). */
static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};

static const uint8_t empty[1];

/* zlib cannot deflate raw data with a 256-byte window (deflateInit2 refuses windowBits 8
 * with no wrapper); 9 is used instead, safe for a peer holding 256 bytes (ws_deflate.h). */
static int zlib_bits(int bits)
{
    return bits < 9 ? 9 : bits > 15 ? 15 : bits;
}

/* ---- negotiation ---- */

#define PARAM_VALUE_MAX 8 /* longest parameter value kept; "15" is all we ever need */

/* One element of the extension list, as far as permessage-deflate cares. */
typedef struct {
    bool pmd;                /* the extension token is permessage-deflate */
    bool bad;                /* unknown or repeated parameter, or a value not allowed */
    bool snct, cnct;         /* server_ / client_no_context_takeover present */
    bool has_smwb, has_cmwb; /* server_ / client_max_window_bits present */
    uint8_t smwb, cmwb;      /* their values (cmwb 15 when given without one) */
} offer_t;

typedef struct {
    const char *p, *end;
} scan_t;

static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void skip_ows(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
        s->p++;
}

/* Reads a token (RFC 7230 3.2.6); returns its length, 0 when there is none. */
static size_t scan_token(scan_t *s, const char **tok)
{
    *tok = s->p;
    while (s->p < s->end && is_tchar((unsigned char)*s->p))
        s->p++;
    return (size_t)(s->p - *tok);
}

/* Reads a quoted-string (RFC 7230 3.2.6), unescaped into out (its first PARAM_VALUE_MAX
 * bytes; *n counts them all). Returns false when malformed or unterminated. */
static bool scan_quoted(scan_t *s, char *out, size_t *n)
{
    *n = 0;
    s->p++; /* the opening quote */
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p++;
        if (c == '"')
            return true;
        if (c == '\\') {
            if (s->p == s->end)
                return false;
            c = (unsigned char)*s->p++;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
        if (*n < PARAM_VALUE_MAX)
            out[*n] = (char)c;
        (*n)++;
    }
    return false;
}

/* Moves past the next comma outside a quoted string (or to the end): the rest of a
 * malformed element is skipped so that the following ones can still be read. */
static void skip_element(scan_t *s)
{
    bool quoted = false;
    while (s->p < s->end) {
        char c = *s->p++;
        if (quoted && c == '\\' && s->p < s->end)
            s->p++;
        else if (c == '"')
            quoted = !quoted;
        else if (c == ',' && !quoted)
            return;
    }
}

static bool token_is(const char *tok, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(tok, want, n) == 0;
}

/* A window size: "8" to "15", decimal without leading zero (RFC 7692 7.1.2.1). */
static int window_bits(const char *v, size_t n)
{
    if (n == 1 && (v[0] == '8' || v[0] == '9'))
        return v[0] - '0';
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
        return 10 + v[1] - '0';
    return -1;
}

/* Records parameter name=value (value NULL: none) into o, marking o bad for anything
 * RFC 7692 7 says to decline: unknown, repeated, a value where none is defined, a missing or
 * invalid window size. */
static void add_param(offer_t *o, const char *name, size_t nlen, const char *v, size_t vlen)
{
    bool *seen = NULL;
    int bits = v ? window_bits(v, vlen) : -1;
    if (token_is(name, nlen, "server_no_context_takeover")) {
        seen = &o->snct;
        o->bad |= v != NULL;
    } else if (token_is(name, nlen, "client_no_context_takeover")) {
        seen = &o->cnct;
        o->bad |= v != NULL;
    } else if (token_is(name, nlen, "server_max_window_bits")) {
        seen = &o->has_smwb;
        o->bad |= bits < 0;
        o->smwb = (uint8_t)bits;
    } else if (token_is(name, nlen, "client_max_window_bits")) {
        seen = &o->has_cmwb;
        o->bad |= v != NULL && bits < 0;
        o->cmwb = (uint8_t)(v ? bits : 15);
    } else {
        o->bad = true;
        return;
    }
    o->bad |= *seen;
    *seen = true;
}

/* Reads one ";"-parameter after the extension token: name [ "=" ( token / quoted-string ) ].
 * Returns false when malformed. */
static bool scan_param(scan_t *s, offer_t *o)
{
    const char *name, *tok;
    char value[PARAM_VALUE_MAX];
    size_t nlen, vlen;
    skip_ows(s);
    if ((nlen = scan_token(s, &name)) == 0)
        return false;
    skip_ows(s);
    if (s->p == s->end || *s->p != '=') {
        add_param(o, name, nlen, NULL, 0);
        return true;
    }
    s->p++;
    skip_ows(s);
    if (s->p < s->end && *s->p == '"') {
        if (!scan_quoted(s, value, &vlen))
            return false;
        /* RFC 6455 9.1: unescaped, a quoted value must still be a token. */
        for (size_t i = 0; i < vlen && i < PARAM_VALUE_MAX; i++)
            if (!is_tchar((unsigned char)value[i]))
                return false;
        if (vlen == 0)
            return false;
        add_param(o, name, nlen, value, vlen > PARAM_VALUE_MAX ? PARAM_VALUE_MAX + 1 : vlen);
        return true;
    }
    if ((vlen = scan_token(s, &tok)) == 0)
        return false;
    add_param(o, name, nlen, tok, vlen);
    return true;
}

/* Reads the next list element into *o and moves past its comma. Returns 1 for a
 * well-formed extension, 0 for an empty or malformed element (skipped). */
static int scan_offer(scan_t *s, offer_t *o)
{
    const char *name;
    size_t nlen;
    *o = (offer_t){0};
    skip_ows(s);
    if (s->p < s->end && *s->p == ',') { /* empty list elements are allowed (RFC 7230 7) */
        s->p++;
        return 0;
    }
    if ((nlen = scan_token(s, &name)) == 0)
        goto malformed;
    o->pmd = token_is(name, nlen, "permessage-deflate");
    for (;;) {
        skip_ows(s);
        if (s->p == s->end)
            return 1;
        if (*s->p == ',') {
            s->p++;
            return 1;
        }
        if (*s->p != ';')
            goto malformed;
        s->p++;
        if (!scan_param(s, o))
            goto malformed;
    }
malformed:
    skip_element(s);
    return 0;
}

static uint8_t cfg_bits(uint8_t bits)
{
    return bits >= 8 && bits <= 15 ? bits : 15;
}

/* Our answer to a well-formed permessage-deflate offer (see ws_deflate_negotiate). */
static bool accept_offer(const ws_deflate_config_t *cfg, const offer_t *o, ws_deflate_params_t *pr,
                         char resp[WS_DEFLATE_RESPONSE_MAX])
{
    if (!o->pmd || o->bad)
        return false;
    pr->enabled = true;
    pr->server_no_context_takeover = o->snct || cfg->server_no_context_takeover;
    pr->client_no_context_takeover = o->cnct || cfg->client_no_context_takeover;
    pr->server_window_bits = cfg_bits(cfg->server_max_window_bits);
    if (o->has_smwb && o->smwb < pr->server_window_bits)
        pr->server_window_bits = o->smwb;
    pr->client_window_bits = 15;
    if (o->has_cmwb) {
        uint8_t ours = cfg_bits(cfg->client_max_window_bits);
        pr->client_window_bits = o->cmwb < ours ? o->cmwb : ours;
    }
    int n = snprintf(resp, WS_DEFLATE_RESPONSE_MAX, "permessage-deflate%s%s",
                     pr->server_no_context_takeover ? "; server_no_context_takeover" : "",
                     pr->client_no_context_takeover ? "; client_no_context_takeover" : "");
    if (o->has_smwb) /* 7.1.2.1: accepting it means answering it, with a value <= the offer's */
        n += snprintf(resp + n, WS_DEFLATE_RESPONSE_MAX - (size_t)n, "; server_max_window_bits=%u",
                      (unsigned)pr->server_window_bits);
    if (o->has_cmwb) /* 7.1.2.2: only when offered */
        (void)snprintf(resp + n, WS_DEFLATE_RESPONSE_MAX - (size_t)n, "; client_max_window_bits=%u",
                       (unsigned)pr->client_window_bits);
    return true;
}

bool ws_deflate_negotiate(const ws_deflate_config_t *cfg, const char *value, size_t len,
                          ws_deflate_params_t *params, char resp[WS_DEFLATE_RESPONSE_MAX])
{
    *params = (ws_deflate_params_t){0};
    resp[0] = '\0';
    if (!cfg->enabled || value == NULL)
        return false;
    scan_t s = {value, value + len};
    while (s.p < s.end) {
        offer_t o;
        if (scan_offer(&s, &o) && accept_offer(cfg, &o, params, resp))
            return true;
    }
    return false;
}

/* ---- inflater ---- */

struct ws_inflater {
    z_stream zs;
    uint8_t *buf; /* output, cap bytes (NULL until the first message) */
    size_t cap;
    size_t max_output;
    int bits;
    bool takeover; /* keep the window between messages */
    bool init;     /* zs holds zlib state */
    bool ended;    /* the last message ended with a final block (takeover only) */
};

/* Where inflating one message stands: the payload is fed to zlib in chunks, then the tail. */
typedef struct {
    const uint8_t *in;
    size_t len, pos; /* payload bytes handed to zlib so far: pos */
    bool tail_fed;
    size_t out_len;
    int restarts;
} inflate_run_t;

ws_inflater_t *ws_inflater_new(int window_bits, bool takeover, size_t max_output)
{
    ws_inflater_t *z = calloc(1, sizeof *z);
    if (z == NULL)
        return NULL;
    z->bits = zlib_bits(window_bits);
    z->takeover = takeover;
    z->max_output = max_output;
    return z;
}

static void inflater_end(ws_inflater_t *z)
{
    if (z->init)
        inflateEnd(&z->zs);
    z->init = false;
    z->ended = false;
}

void ws_inflater_free(ws_inflater_t *z)
{
    if (z == NULL)
        return;
    inflater_end(z);
    free(z->buf);
    free(z);
}

void ws_inflater_shrink(ws_inflater_t *z)
{
    free(z->buf);
    z->buf = NULL;
    z->cap = 0;
    if (!z->takeover)
        inflater_end(z);
}

/* Starts a new DEFLATE stream after a final block. With takeover the window survives it
 * (raw inflate takes a dictionary at any time): copied out, reset, copied back in. */
static int restart_stream(ws_inflater_t *z)
{
    z->ended = false;
    if (!z->takeover)
        return inflateReset(&z->zs) == Z_OK ? 0 : WS_DEFLATE_ERR_DATA;
    uint8_t *dict = malloc((size_t)1 << z->bits);
    if (dict == NULL)
        return WS_DEFLATE_ERR_NOMEM;
    uInt n = 0;
    int r = inflateGetDictionary(&z->zs, dict, &n);
    if (r == Z_OK)
        r = inflateReset(&z->zs);
    if (r == Z_OK && n)
        r = inflateSetDictionary(&z->zs, dict, n);
    free(dict);
    return r == Z_OK ? 0 : WS_DEFLATE_ERR_DATA;
}

/* Makes zs ready for a new message: created on first use, emptied unless context is kept. */
static int inflater_begin(ws_inflater_t *z)
{
    if (!z->init) {
        memset(&z->zs, 0, sizeof z->zs);
        int r = inflateInit2(&z->zs, -z->bits);
        if (r != Z_OK)
            return r == Z_MEM_ERROR ? WS_DEFLATE_ERR_NOMEM : WS_DEFLATE_ERR_DATA;
        z->init = true;
        return 0;
    }
    if (!z->takeover)
        return inflateReset(&z->zs) == Z_OK ? 0 : WS_DEFLATE_ERR_DATA;
    return z->ended ? restart_stream(z) : 0;
}

/* Hands zlib its next input when it has none: payload chunks, then the tail. Returns false
 * when everything was given. */
static bool inflate_refill(ws_inflater_t *z, inflate_run_t *r)
{
    if (z->zs.avail_in > 0)
        return true;
    if (r->pos < r->len) {
        size_t n = r->len - r->pos < ZCHUNK ? r->len - r->pos : ZCHUNK;
        z->zs.next_in = r->in + r->pos;
        z->zs.avail_in = (uInt)n;
        r->pos += n;
        return true;
    }
    if (r->tail_fed)
        return false;
    r->tail_fed = true;
    z->zs.next_in = tail;
    z->zs.avail_in = sizeof tail;
    return true;
}

/* Gives zlib output room: the rest of buf, grown (doubling) up to max_output + 1 bytes, one
 * more than allowed, so that "exactly max_output" and "more" can be told apart. */
static int inflate_room(ws_inflater_t *z, inflate_run_t *r)
{
    size_t limit = z->max_output < SIZE_MAX ? z->max_output + 1 : SIZE_MAX;
    if (r->out_len == z->cap) {
        if (z->cap >= limit)
            return WS_DEFLATE_ERR_TOO_BIG;
        size_t cap = z->cap ? z->cap : 1024;
        while (cap <= r->out_len || (cap < r->len && cap < limit / 2))
            cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
        if (cap > limit)
            cap = limit;
        uint8_t *b = realloc(z->buf, cap);
        if (b == NULL)
            return WS_DEFLATE_ERR_NOMEM;
        z->buf = b;
        z->cap = cap;
    }
    size_t room = z->cap - r->out_len;
    z->zs.next_out = z->buf + r->out_len;
    z->zs.avail_out = (uInt)(room < ZCHUNK ? room : ZCHUNK);
    return 0;
}

/* A final block was reached. The message is complete if no payload is left (the tail may
 * be); else it goes on in a new stream, once: RFC 7692 7.2.3.4 has a final block followed by
 * the empty stored block's first byte. Returns 1 when complete, 0 to go on, or an error. */
static int on_stream_end(ws_inflater_t *z, inflate_run_t *r)
{
    bool payload_left = !r->tail_fed && (z->zs.avail_in > 0 || r->pos < r->len);
    z->ended = true;
    if (!payload_left)
        return 1;
    if (r->restarts++ > 0)
        return WS_DEFLATE_ERR_DATA;
    return restart_stream(z);
}

/* Runs zlib over the payload and the tail. Z_BLOCK makes inflate() return at every block
 * boundary, where data_type has bit 7 set: once all input is in, being at one is what tells
 * a complete message from a truncated one. */
static int inflate_run(ws_inflater_t *z, inflate_run_t *r)
{
    for (;;) {
        bool more_in = inflate_refill(z, r);
        int e = inflate_room(z, r);
        if (e < 0)
            return e;
        uInt before = z->zs.avail_out;
        int zr = inflate(&z->zs, Z_BLOCK);
        r->out_len += before - z->zs.avail_out;
        if (r->out_len > z->max_output)
            return WS_DEFLATE_ERR_TOO_BIG;
        if (zr == Z_STREAM_END) {
            if ((e = on_stream_end(z, r)) != 0)
                return e < 0 ? e : 0;
            continue;
        }
        if (zr == Z_MEM_ERROR)
            return WS_DEFLATE_ERR_NOMEM;
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            return WS_DEFLATE_ERR_DATA;
        bool all_in = !more_in || (r->tail_fed && z->zs.avail_in == 0);
        if (all_in && (z->zs.data_type & 128))
            return 0;
        if (zr == Z_BUF_ERROR && !more_in && z->zs.avail_out > 0)
            return WS_DEFLATE_ERR_DATA; /* no progress, no input left: ends inside a block */
    }
}

int ws_inflater_message(ws_inflater_t *z, const uint8_t *in, size_t len, const uint8_t **out,
                        size_t *out_len)
{
    *out = empty;
    *out_len = 0;
    if (len == 0) /* what a tail alone decodes to; zlib is not even started */
        return 0;
    z->zs.avail_in = 0; /* what a final block left unread belonged to the last message */
    int e = inflater_begin(z);
    if (e < 0)
        return e;
    inflate_run_t r = {in, len, 0, false, 0, 0};
    if ((e = inflate_run(z, &r)) < 0) {
        inflater_end(z); /* a fresh stream for whoever comes next */
        return e;
    }
    *out = r.out_len ? z->buf : empty;
    *out_len = r.out_len;
    return 0;
}

int ws_inflate_event(ws_inflater_t *z, ws_event_t *ev)
{
    if (ev->type != WS_EV_MESSAGE || !ev->compressed)
        return 0;
    const uint8_t *out;
    size_t n;
    uint16_t code = WS_CLOSE_BAD_DATA; /* RFC 6455 7.4.1: data inconsistent with the type */
    const char *text = "invalid UTF-8 in a text message";
    switch (ws_inflater_message(z, ev->data, ev->len, &out, &n)) {
    case 0:
        if (ev->opcode == WS_OP_TEXT && !utf8_valid(out, n))
            break;
        ev->data = out;
        ev->len = n;
        ev->compressed = false;
        return 0;
    case WS_DEFLATE_ERR_TOO_BIG:
        code = WS_CLOSE_TOO_BIG;
        text = "inflated message over the size limit";
        break;
    case WS_DEFLATE_ERR_NOMEM:
        code = WS_CLOSE_INTERNAL;
        text = "out of memory";
        break;
    default:
        text = "invalid compressed data";
        break;
    }
    *ev = (ws_event_t){.type = WS_EV_ERROR, .code = code, .error = text};
    return -1;
}

/* ---- deflater ---- */

struct ws_deflater {
    z_stream zs;
    uint8_t *buf; /* output, cap bytes */
    size_t cap;
    int bits, level, mem_level;
    bool init; /* zs holds zlib state */
};

ws_deflater_t *ws_deflater_new(int window_bits, int level, int mem_level)
{
    if (window_bits < 8 || window_bits > 15 || level < -1 || level > 9 || mem_level < 1 ||
        mem_level > 9)
        return NULL;
    ws_deflater_t *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->bits = zlib_bits(window_bits);
    d->level = level;
    d->mem_level = mem_level;
    return d;
}

void ws_deflater_shrink(ws_deflater_t *d)
{
    if (d->init)
        deflateEnd(&d->zs);
    d->init = false;
    free(d->buf);
    d->buf = NULL;
    d->cap = 0;
}

void ws_deflater_free(ws_deflater_t *d)
{
    if (d == NULL)
        return;
    ws_deflater_shrink(d);
    free(d);
}

bool ws_deflate_worth(size_t len)
{
    return len >= WS_DEFLATE_MIN_SIZE;
}

/* Makes room for at least need bytes of output in all: grows buf, then points zlib at the
 * rest of it. */
static int deflate_room(ws_deflater_t *d, size_t used, size_t need)
{
    if (need > d->cap || used == d->cap) {
        size_t cap = d->cap > SIZE_MAX / 2 ? SIZE_MAX : d->cap * 2;
        if (cap < need)
            cap = need;
        if (cap < 256)
            cap = 256;
        uint8_t *b = realloc(d->buf, cap);
        if (b == NULL)
            return WS_DEFLATE_ERR_NOMEM;
        d->buf = b;
        d->cap = cap;
    }
    size_t room = d->cap - used;
    d->zs.next_out = d->buf + used;
    d->zs.avail_out = (uInt)(room < ZCHUNK ? room : ZCHUNK);
    return 0;
}

/* Feeds in[0..len) to a fresh stream, sync-flushing at the end (RFC 7692 7.2.1). A sync flush
 * is complete once deflate() leaves output room unused. Returns the output length in *used. */
static int deflate_run(ws_deflater_t *d, const uint8_t *in, size_t len, size_t *used)
{
    size_t pos = 0;
    *used = 0;
    /* deflateBound plus the sync flush's empty stored block (5 bytes) and its bit padding */
    uLong bound = deflateBound(&d->zs, (uLong)(len < ZCHUNK ? len : ZCHUNK)) + 16;
    int e = deflate_room(d, 0, len < ZCHUNK ? (size_t)bound : ZCHUNK);
    for (; e == 0; e = deflate_room(d, *used, 0)) {
        if (d->zs.avail_in == 0 && pos < len) {
            size_t n = len - pos < ZCHUNK ? len - pos : ZCHUNK;
            d->zs.next_in = in + pos;
            d->zs.avail_in = (uInt)n;
            pos += n;
        }
        bool last = pos == len;
        uInt before = d->zs.avail_out;
        int zr = deflate(&d->zs, last ? Z_SYNC_FLUSH : Z_NO_FLUSH);
        *used += before - d->zs.avail_out;
        if (zr != Z_OK && zr != Z_BUF_ERROR) /* cannot happen: the stream is ours */
            return WS_DEFLATE_ERR_NOMEM;
        if (last && d->zs.avail_in == 0 && d->zs.avail_out > 0)
            return 0;
    }
    return e;
}

int ws_deflater_message(ws_deflater_t *d, const void *in, size_t len, const uint8_t **out,
                        size_t *out_len)
{
    if (!d->init) {
        memset(&d->zs, 0, sizeof d->zs);
        /* Only Z_MEM_ERROR is possible: the parameters were checked by ws_deflater_new. */
        if (deflateInit2(&d->zs, d->level, Z_DEFLATED, -d->bits, d->mem_level,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return WS_DEFLATE_ERR_NOMEM;
        d->init = true;
    } else if (deflateReset(&d->zs) != Z_OK) { /* a fresh context: server_no_context_takeover */
        return WS_DEFLATE_ERR_NOMEM;
    }
    d->zs.avail_in = 0;
    size_t n;
    int e = deflate_run(d, len ? in : empty, len, &n);
    if (e < 0)
        return e;
    /* A sync flush always ends with the empty stored block, stripped here (7.2.1); an empty
     * message thus becomes the single byte 0x00 (RFC 7692 7.2.3.6). */
    if (n >= 4 && memcmp(d->buf + n - 4, tail, 4) == 0)
        n -= 4;
    *out = d->buf;
    *out_len = n;
    return 0;
}

uint8_t *ws_deflate_frame(ws_deflater_t *d, int opcode, const void *in, size_t len, size_t *out_len)
{
    const uint8_t *z;
    size_t n;
    if (ws_deflater_message(d, in, len, &z, &n) < 0)
        return NULL;
    uint8_t hdr[WS_MAX_HEADER];
    size_t h = ws_frame_header(hdr, opcode, true, n, NULL);
    hdr[0] |= WS_FRAME_RSV1;
    uint8_t *f = malloc(h + n);
    if (f == NULL)
        return NULL;
    memcpy(f, hdr, h);
    memcpy(f + h, z, n);
    *out_len = h + n;
    return f;
}
