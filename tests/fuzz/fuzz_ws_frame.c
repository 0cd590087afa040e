/* fuzz_ws_frame - libFuzzer target for ws/ws_frame's parser (ws_parser_feed).
 *
 * Input layout:
 *   byte 0     configuration: bit 0 require_mask; bits 1-2 max_frame (16, 125, 1000, 4096);
 *              bits 3-4 max_message (16, 200, 4096, 8192); bit 5 ws_parser_shrink whenever
 *              the split pass runs out of input (what an idle connection does); bit 6
 *              permessage-deflate negotiated (ws_parser_set_deflate; when the parser has it)
 *   bytes 1-4  piece sizes for the split pass (1 + b % 32 each, used in turn)
 *   the rest   the byte stream a client sent
 *
 * The stream is parsed twice, each time from a fresh copy since the parser unmasks in place:
 * whole (one buffer), and split into pieces, each piece in its own exact-size heap buffer so
 * ASan sees any read past what has arrived. Each pass records its events; the two records
 * must be equal (type, opcode, code, payload bytes, error text, and for every event but an
 * error the stream offset where it ends).
 *
 * Invariants checked on every event (abort() on a violation):
 *   - the count returned is within the input; WS_EV_NONE means all of it was taken, unless
 *     the parser is closed, when it is 0;
 *   - MESSAGE: opcode TEXT or BINARY, len <= max_message, TEXT is valid UTF-8 (utf8_valid)
 *     unless compressed (RSV1, only with deflate on: inflating and checking it is ws_deflate's
 *     part, fuzzed by fuzz_inflate);
 *     a message of at most max_frame bytes, rebuilt with ws_frame_build and a mask, parses
 *     back to the same message;
 *   - PING/PONG: len <= 125; CLOSE: code 1005 with an empty reason, or ws_close_code_valid,
 *     reason valid UTF-8 of at most 123 bytes, and nothing is read after it;
 *   - ERROR: code 1002, 1007, 1009 or 1011 with a text, repeated by every later call;
 *   - data is never NULL and all len bytes of it are readable.
 * No state is kept between inputs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "ws/ws_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR_BYTES 5

typedef struct {
    ws_ev_type_t type;
    int opcode;
    uint16_t code;
    const char *error;
    size_t end; /* stream offset just after the event; not compared for errors */
    uint8_t *data;
    size_t len;
    bool compressed;
} rec_t;

typedef struct {
    rec_t *ev;
    size_t n, cap;
} log_t;

typedef struct {
    ws_limits_t lim;
    bool deflate; /* permessage-deflate negotiated: RSV1 marks a compressed message */
} conf_t;

/* ws_parser_set_deflate came with permessage-deflate; WS_FRAME_RSV1 marks its presence. */
#ifdef WS_FRAME_RSV1
#define FUZZ_DEFLATE 1
#else
#define FUZZ_DEFLATE 0
#endif

static void parser_start(ws_parser_t *p, const conf_t *c)
{
    ws_parser_init(p, &c->lim);
#if FUZZ_DEFLATE
    ws_parser_set_deflate(p, c->deflate);
#endif
}

static bool ev_compressed(const ws_event_t *ev)
{
#if FUZZ_DEFLATE
    return ev->compressed;
#else
    (void)ev;
    return false;
#endif
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_ws_frame: %s\n", what);
    abort();
}

static void log_free(log_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->ev[i].data);
    free(l->ev);
}

static void log_add(log_t *l, const ws_event_t *ev, size_t end)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->ev = realloc(l->ev, l->cap * sizeof(*l->ev));
        if (!l->ev)
            abort();
    }
    rec_t *r = &l->ev[l->n++];
    *r = (rec_t){ev->type, ev->opcode, ev->code, ev->error, end, NULL, 0, ev_compressed(ev)};
    if (ev->type == WS_EV_MESSAGE || ev->type == WS_EV_PING || ev->type == WS_EV_PONG ||
        ev->type == WS_EV_CLOSE) {
        r->data = malloc(ev->len ? ev->len : 1);
        if (!r->data)
            abort();
        if (ev->len)
            memcpy(r->data, ev->data, ev->len); /* reads every byte: ASan checks them */
        r->len = ev->len;
    }
}

/* A message that fits one frame, framed again with a mask, must parse back to itself. */
static void check_rebuild(const conf_t *c, const ws_event_t *ev)
{
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t flen = 0;
    uint8_t *frame = ws_frame_build(ev->opcode, true, ev->data, ev->len, mask, &flen);
    if (!frame)
        abort();
#if FUZZ_DEFLATE
    if (ev->compressed)
        frame[0] |= WS_FRAME_RSV1;
#endif
    ws_parser_t p;
    parser_start(&p, c);
    ws_event_t back;
    size_t n = ws_parser_feed(&p, frame, flen, &back);
    if (n != flen || back.type != WS_EV_MESSAGE || back.opcode != ev->opcode ||
        back.len != ev->len || ev_compressed(&back) != ev_compressed(ev) ||
        memcmp(back.data, ev->data, ev->len) != 0)
        fail("a message rebuilt with ws_frame_build does not parse back to itself");
    ws_parser_deinit(&p);
    free(frame);
}

/* Checks one event against the header's promises and records it. Returns false once the
 * parser is finished (CLOSE or ERROR). */
static bool check_event(const conf_t *c, const ws_event_t *ev, log_t *l, size_t end)
{
    if (ev->type != WS_EV_NONE && ev->type != WS_EV_ERROR && ev->data == NULL)
        fail("event without data");
    switch (ev->type) {
    case WS_EV_NONE:
        return true;
    case WS_EV_MESSAGE:
        if (ev->opcode != WS_OP_TEXT && ev->opcode != WS_OP_BINARY)
            fail("MESSAGE with a bad opcode");
        if (ev->len > c->lim.max_message)
            fail("MESSAGE over max_message");
        if (ev_compressed(ev) && !c->deflate)
            fail("compressed MESSAGE without deflate");
        /* Compressed text is checked once inflated (ws_deflate), not here. */
        if (ev->opcode == WS_OP_TEXT && !ev_compressed(ev) && !utf8_valid(ev->data, ev->len))
            fail("TEXT message is not valid UTF-8");
        if (ev->len <= c->lim.max_frame)
            check_rebuild(c, ev);
        break;
    case WS_EV_PING:
    case WS_EV_PONG:
        if (ev->len > WS_MAX_CONTROL)
            fail("PING/PONG over 125 bytes");
        break;
    case WS_EV_CLOSE:
        if (ev->code == WS_CLOSE_NO_STATUS ? ev->len != 0 : !ws_close_code_valid(ev->code))
            fail("CLOSE with an invalid code");
        if (ev->len > WS_MAX_CONTROL - 2 || !utf8_valid(ev->data, ev->len))
            fail("CLOSE reason too long or not UTF-8");
        break;
    case WS_EV_ERROR:
        if (ev->code != WS_CLOSE_PROTOCOL && ev->code != WS_CLOSE_BAD_DATA &&
            ev->code != WS_CLOSE_TOO_BIG && ev->code != WS_CLOSE_INTERNAL)
            fail("ERROR with an unexpected close code");
        if (!ev->error)
            fail("ERROR without a text");
        break;
    default:
        fail("unknown event type");
    }
    log_add(l, ev, end);
    return ev->type != WS_EV_CLOSE && ev->type != WS_EV_ERROR;
}

/* After CLOSE nothing more is read; after ERROR the same error comes back. */
static void check_finished(ws_parser_t *p, const ws_event_t *last)
{
    uint8_t byte = 0x81;
    ws_event_t ev;
    size_t n = ws_parser_feed(p, &byte, 1, &ev);
    if (n != 0)
        fail("a finished parser consumed input");
    if (last->type == WS_EV_CLOSE && ev.type != WS_EV_NONE)
        fail("an event after CLOSE");
    if (last->type == WS_EV_ERROR &&
        (ev.type != WS_EV_ERROR || ev.code != last->code || ev.error != last->error))
        fail("ERROR is not repeated");
}

/* Feeds one buffer (in, len: a piece starting at stream offset base) until it is used up or
 * the parser is finished. Returns false when finished. */
static bool feed_piece(ws_parser_t *p, const conf_t *c, uint8_t *in, size_t len, size_t base,
                       log_t *l)
{
    size_t off = 0;
    for (;;) {
        ws_event_t ev;
        size_t n = ws_parser_feed(p, in + off, len - off, &ev);
        if (n > len - off)
            fail("consumed more than was fed");
        off += n;
        if (ev.type == WS_EV_NONE && off != len)
            fail("NONE before all input was consumed");
        if (!check_event(c, &ev, l, base + off)) {
            check_finished(p, &ev);
            return false;
        }
        if (ev.type == WS_EV_NONE)
            return true;
    }
}

static void run_whole(const conf_t *c, const uint8_t *s, size_t len, log_t *l)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    memcpy(copy, s, len);
    ws_parser_t p;
    parser_start(&p, c);
    feed_piece(&p, c, copy, len, 0, l);
    ws_parser_deinit(&p);
    free(copy);
}

static void run_split(const conf_t *c, const uint8_t *s, size_t len, const uint8_t *sizes,
                      bool shrink, log_t *l)
{
    ws_parser_t p;
    parser_start(&p, c);
    for (size_t off = 0, j = 0; off < len; j++) {
        size_t n = 1 + sizes[j % 4] % 32;
        if (n > len - off)
            n = len - off;
        uint8_t *piece = malloc(n);
        if (!piece)
            abort();
        memcpy(piece, s + off, n);
        bool more = feed_piece(&p, c, piece, n, off, l);
        free(piece); /* event data was copied into the log */
        if (!more)
            break;
        if (shrink)
            ws_parser_shrink(&p);
        off += n;
    }
    ws_parser_deinit(&p);
}

static bool rec_equal(const rec_t *a, const rec_t *b)
{
    if (a->type != b->type || a->opcode != b->opcode || a->code != b->code ||
        a->error != b->error || a->len != b->len || a->compressed != b->compressed)
        return false;
    if (a->type != WS_EV_ERROR && a->end != b->end)
        return false;
    return a->len == 0 || memcmp(a->data, b->data, a->len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t frame_max[4] = {16, 125, 1000, 4096};
    static const size_t message_max[4] = {16, 200, 4096, 8192};
    if (size < HDR_BYTES)
        return 0;
    uint8_t cfg = data[0];
    /* Counted without a limit (so the passes still agree): what a parser takes must all come
     * back once it is gone, whatever the input and however it was split. */
    static budget_t counted;
    conf_t c = {
        .lim.max_frame = frame_max[(cfg >> 1) & 3],
        .lim.max_message = message_max[(cfg >> 3) & 3],
        .lim.require_mask = cfg & 1,
        .lim.budget = &counted,
        .deflate = FUZZ_DEFLATE && (cfg & 0x40),
    };
    const uint8_t *s = data + HDR_BYTES;
    size_t len = size - HDR_BYTES;

    log_t whole = {0}, split = {0};
    run_whole(&c, s, len, &whole);
    run_split(&c, s, len, data + 1, cfg & 0x20, &split);
    if (budget_used(&counted) != 0)
        fail("a parser's budget was not given back whole");
    if (whole.n != split.n)
        fail("whole and split passes report a different number of events");
    for (size_t i = 0; i < whole.n; i++) {
        if (!rec_equal(&whole.ev[i], &split.ev[i])) {
            fprintf(stderr,
                    "event %zu: whole type %d op %d code %u len %zu end %zu, split "
                    "type %d op %d code %u len %zu end %zu\n",
                    i, whole.ev[i].type, whole.ev[i].opcode, whole.ev[i].code, whole.ev[i].len,
                    whole.ev[i].end, split.ev[i].type, split.ev[i].opcode, split.ev[i].code,
                    split.ev[i].len, split.ev[i].end);
            fail("whole and split passes differ");
        }
    }
    log_free(&whole);
    log_free(&split);
    return 0;
}
