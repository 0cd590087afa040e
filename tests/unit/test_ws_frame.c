/* Unit tests for ws/ws_frame: every valid stream is fed whole, byte by byte and split at
 * every point (each chunk its own heap copy, so ASan sees any read past it), and must give
 * the same events; every receiving-side MUST has a malformed case with its close code,
 * checked to fail as soon as the offending byte is in. */
#include "ws/ws_frame.h"

#include <stdlib.h>

#include "base/buf.h"
#include "test.h"

/* Every parser of run_cuts takes from this count (no limit): it must equal the buffer it
 * holds after every feed, and be back to 0 once the parser is gone. */
static budget_t counted;
static const ws_limits_t server = {1 << 20, 1 << 20, true, &counted};
static const ws_limits_t client = {1 << 20, 1 << 20, false, &counted};
static const uint8_t mask_key[4] = {0x37, 0xFA, 0x21, 0x3D}; /* the RFC 6455 5.7 mask */
static bool deflate_on; /* run_cuts' parsers have permessage-deflate negotiated */

/* Appends a frame, masked with mask_key when masked (client to server). */
static void add_frame(buf_t *b, int op, bool fin, const void *data, size_t len, bool masked)
{
    size_t n;
    uint8_t *f = ws_frame_build(op, fin, data, len, masked ? mask_key : NULL, &n);
    if (f == NULL)
        abort();
    buf_append(b, f, n);
    free(f);
}

static void add_str(buf_t *b, int op, bool fin, const char *s)
{
    add_frame(b, op, fin, s, strlen(s), true);
}

/* Transcript line of an event: "type/opcode/code/len/compressed:" then the data (not for
 * errors). */
static void record(buf_t *log, const ws_event_t *ev)
{
    char head[64];
    int n = snprintf(head, sizeof head, "%d/%d/%u/%zu/%d:", (int)ev->type, ev->opcode,
                     (unsigned)ev->code, ev->len, (int)ev->compressed);
    buf_append(log, head, (size_t)n);
    if (ev->type != WS_EV_ERROR)
        buf_append(log, ev->data, ev->len);
    buf_append(log, "\n", 1);
}

static void expect(buf_t *log, ws_ev_type_t type, int opcode, uint16_t code, const char *data,
                   size_t len)
{
    ws_event_t ev = {type, opcode, (const uint8_t *)data, len, code, NULL, false};
    if (type == WS_EV_ERROR)
        ev.opcode = 0, ev.len = 0;
    record(log, &ev);
}

/* A MESSAGE event with compressed set: data is the payload as sent. */
static void expect_compressed(buf_t *log, int opcode, const char *data, size_t len)
{
    ws_event_t ev = {WS_EV_MESSAGE, opcode, (const uint8_t *)data, len, 0, NULL, true};
    record(log, &ev);
}

/* Appends a masked frame with RSV1 set: a compressed message's first frame, or a fault. */
static void add_rsv1(buf_t *b, int op, bool fin, const void *data, size_t len)
{
    size_t at = b->len;
    add_frame(b, op, fin, data, len, true);
    b->data[at] |= WS_FRAME_RSV1;
}

typedef struct {
    buf_t log;
    ws_ev_type_t last;
    uint16_t last_code;
    bool bad; /* a feed broke its contract (consumed too much, or stopped early on NONE) */
} run_t;

/* Feeds wire[0..len) cut at cuts[0..ncuts) (ascending) and records the events. Stops at
 * the first CLOSE or ERROR. With shrink, ws_parser_shrink runs whenever a piece is used up,
 * as the server does after every read. */
static run_t run_cuts(const void *wire, size_t len, const size_t *cuts, size_t ncuts,
                      const ws_limits_t *lim, bool shrink)
{
    run_t r = {BUF_INIT, WS_EV_NONE, 0, false};
    ws_parser_t p;
    ws_parser_init(&p, lim);
    ws_parser_set_deflate(&p, deflate_on);
    size_t start = 0;
    bool done = false;
    for (size_t c = 0; c <= ncuts && !done; c++) {
        size_t end = c < ncuts ? cuts[c] : len, n = end - start;
        uint8_t *chunk = malloc(n ? n : 1);
        if (chunk == NULL)
            abort();
        if (n)
            memcpy(chunk, (const uint8_t *)wire + start, n);
        for (size_t off = 0;;) {
            ws_event_t ev;
            size_t used = ws_parser_feed(&p, chunk + off, n - off, &ev);
            r.bad |= used > n - off;
            r.bad |= lim->budget && budget_used(lim->budget) != p.buf_cap;
            off += used;
            if (ev.type == WS_EV_NONE) {
                r.bad |= off != n;
                if (shrink)
                    ws_parser_shrink(&p);
                break;
            }
            r.bad |= ev.type != WS_EV_ERROR && ev.data == NULL;
            record(&r.log, &ev);
            r.last = ev.type;
            r.last_code = ev.code;
            if (ev.type == WS_EV_ERROR || ev.type == WS_EV_CLOSE) {
                done = true;
                break;
            }
        }
        free(chunk);
        start = end;
    }
    ws_parser_deinit(&p);
    r.bad |= budget_used(lim->budget) != 0;
    return r;
}

static run_t run_whole(const void *wire, size_t len, const ws_limits_t *lim)
{
    return run_cuts(wire, len, NULL, 0, lim, false);
}

static bool same(const run_t *r, const buf_t *want)
{
    return !r->bad && r->log.len == want->len &&
           (!want->len || !memcmp(r->log.data, want->data, want->len));
}

/* Whole, byte by byte (shrinking after each byte, as the server does after each read), and
 * every two-way split (not shrinking) give the transcript want. Inputs over 4 KiB are split
 * within 100 bytes of either end and every 2039 bytes in between: all splits of a 64 KiB
 * frame would cost billions of byte operations under ASan without covering any other code. */
static void check_splits(const buf_t *wire, const ws_limits_t *lim, const buf_t *want)
{
    run_t r = run_whole(wire->data, wire->len, lim);
    CHECK_EQ_MEM(r.log.data, r.log.len, want->data, want->len);
    CHECK(!r.bad);
    buf_deinit(&r.log);
    size_t *cuts = malloc((wire->len + 1) * sizeof *cuts);
    if (cuts == NULL)
        abort();
    for (size_t i = 1; i < wire->len; i++)
        cuts[i - 1] = i;
    r = run_cuts(wire->data, wire->len, cuts, wire->len ? wire->len - 1 : 0, lim, true);
    CHECK(same(&r, want));
    buf_deinit(&r.log);
    int bad_splits = 0;
    for (size_t k = 1; k < wire->len; k++) {
        if (wire->len > 4096 && k > 100 && k + 100 < wire->len && k % 2039)
            continue;
        r = run_cuts(wire->data, wire->len, &k, 1, lim, false);
        bad_splits += !same(&r, want);
        buf_deinit(&r.log);
    }
    CHECK_EQ_INT(bad_splits, 0);
    free(cuts);
}

/* The stream must fail with code once its first at bytes are in, and not before; every way
 * of feeding the whole stream ends the same way. */
static void check_fails_at(const buf_t *wire, size_t at, uint16_t code, const ws_limits_t *lim)
{
    run_t r = run_whole(wire->data, at, lim);
    CHECK_EQ_INT(r.last, WS_EV_ERROR);
    CHECK_EQ_INT(r.last_code, code);
    buf_t want = r.log;
    r = run_whole(wire->data, at - 1, lim);
    CHECK(r.last != WS_EV_ERROR);
    buf_deinit(&r.log);
    check_splits(wire, lim, &want);
    buf_deinit(&want);
}

static void check_fails(const buf_t *wire, uint16_t code, const ws_limits_t *lim)
{
    check_fails_at(wire, wire->len, code, lim);
}

/* RFC 6455 5.7, byte for byte. */
TEST(test_rfc_examples)
{
    static const uint8_t hello[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                     0x7f, 0x9f, 0x4d, 0x51, 0x58};
    static const uint8_t frags[] = {0x01, 0x03, 'H', 'e', 'l', 0x80, 0x02, 'l', 'o'};
    static const uint8_t ping[] = {0x89, 0x05, 'H', 'e', 'l', 'l', 'o'};
    static const uint8_t pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                   0x7f, 0x9f, 0x4d, 0x51, 0x58};
    buf_t w = BUF_INIT, want = BUF_INIT;

    buf_append(&w, hello, sizeof hello);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5);
    check_splits(&w, &client, &want);
    check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server); /* unmasked, to a server */

    buf_reset(&w);
    buf_reset(&want);
    buf_append(&w, masked, sizeof masked);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5);
    check_splits(&w, &server, &want);
    check_splits(&w, &client, &want); /* a masked frame is fine without require_mask */

    buf_reset(&w);
    buf_reset(&want);
    buf_append(&w, frags, sizeof frags);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5);
    check_splits(&w, &client, &want);

    buf_reset(&w);
    buf_reset(&want);
    buf_append(&w, ping, sizeof ping);
    expect(&want, WS_EV_PING, WS_OP_PING, 0, "Hello", 5);
    check_splits(&w, &client, &want);

    buf_reset(&w);
    buf_reset(&want);
    buf_append(&w, pong, sizeof pong);
    expect(&want, WS_EV_PONG, WS_OP_PONG, 0, "Hello", 5);
    check_splits(&w, &server, &want);

    /* 256 bytes in one unmasked binary frame: 0x82 0x7E 0x0100. */
    static const uint8_t hdr16[] = {0x82, 0x7E, 0x01, 0x00};
    char data[65536];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7 + 3);
    buf_reset(&w);
    buf_reset(&want);
    buf_append(&w, hdr16, sizeof hdr16);
    buf_append(&w, data, 256);
    expect(&want, WS_EV_MESSAGE, WS_OP_BINARY, 0, data, 256);
    check_splits(&w, &client, &want);

    /* 64 KiB in one unmasked binary frame: 0x82 0x7F 0x0000000000010000. */
    static const uint8_t hdr64[] = {0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00};
    buf_reset(&w);
    buf_reset(&want);
    buf_append(&w, hdr64, sizeof hdr64);
    buf_append(&w, data, sizeof data);
    expect(&want, WS_EV_MESSAGE, WS_OP_BINARY, 0, data, sizeof data);
    check_splits(&w, &client, &want);
    buf_deinit(&w);
    buf_deinit(&want);
}

/* 7-bit, 16-bit and 64-bit lengths at their edges, masked, text and binary. */
TEST(test_lengths)
{
    static const size_t sizes[] = {0, 1, 7, 8, 9, 125, 126, 127, 1000, 65535, 65536, 70000};
    static const size_t hdr_len[] = {6, 6, 6, 6, 6, 6, 8, 8, 8, 8, 14, 14};
    char *data = malloc(70000);
    if (data == NULL)
        abort();
    for (size_t i = 0; i < 70000; i++)
        data[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int op = WS_OP_TEXT; op <= WS_OP_BINARY; op++) {
            buf_t w = BUF_INIT, want = BUF_INIT;
            add_frame(&w, op, true, data, sizes[i], true);
            CHECK_EQ_INT(w.len, hdr_len[i] + sizes[i]);
            expect(&want, WS_EV_MESSAGE, op, 0, data, sizes[i]);
            check_splits(&w, &server, &want);
            buf_deinit(&w);
            buf_deinit(&want);
        }
    }
    free(data);
}

TEST(test_empty)
{
    buf_t w = BUF_INIT, want = BUF_INIT;
    add_str(&w, WS_OP_TEXT, true, "");
    add_str(&w, WS_OP_BINARY, true, "");
    add_str(&w, WS_OP_TEXT, false, "");
    add_str(&w, WS_OP_CONT, false, "");
    add_str(&w, WS_OP_CONT, true, "");
    add_str(&w, WS_OP_PING, true, "");
    add_str(&w, WS_OP_PONG, true, "");
    add_str(&w, WS_OP_CLOSE, true, "");
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "", 0);
    expect(&want, WS_EV_MESSAGE, WS_OP_BINARY, 0, "", 0);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "", 0);
    expect(&want, WS_EV_PING, WS_OP_PING, 0, "", 0);
    expect(&want, WS_EV_PONG, WS_OP_PONG, 0, "", 0);
    expect(&want, WS_EV_CLOSE, WS_OP_CLOSE, WS_CLOSE_NO_STATUS, "", 0);
    check_splits(&w, &server, &want);
    buf_deinit(&w);
    buf_deinit(&want);
}

/* A fragmented message with control frames between its fragments; the control payloads
 * (split across reads in most of the runs) must not disturb the message. */
TEST(test_fragments_with_control_frames)
{
    buf_t w = BUF_INIT, want = BUF_INIT;
    add_str(&w, WS_OP_TEXT, false, "Hel");
    add_str(&w, WS_OP_PING, true, "are you there?");
    add_str(&w, WS_OP_CONT, false, "lo ");
    add_str(&w, WS_OP_PONG, true, "yes");
    add_str(&w, WS_OP_CONT, false, "");
    add_str(&w, WS_OP_PING, true, "");
    add_str(&w, WS_OP_CONT, true, "world");
    add_frame(&w, WS_OP_BINARY, false, "\x00\xFF", 2, true);
    add_str(&w, WS_OP_CONT, true, "\xC0");
    add_str(&w, WS_OP_TEXT, true, "next");
    static const uint8_t bye[] = {0x03, 0xE8, 'b', 'y', 'e'};
    add_frame(&w, WS_OP_CLOSE, true, bye, sizeof bye, true);
    add_str(&w, WS_OP_TEXT, true, "ignored after close");
    expect(&want, WS_EV_PING, WS_OP_PING, 0, "are you there?", 14);
    expect(&want, WS_EV_PONG, WS_OP_PONG, 0, "yes", 3);
    expect(&want, WS_EV_PING, WS_OP_PING, 0, "", 0);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello world", 11);
    expect(&want, WS_EV_MESSAGE, WS_OP_BINARY, 0, "\x00\xFF\xC0", 3);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "next", 4);
    expect(&want, WS_EV_CLOSE, WS_OP_CLOSE, 1000, "bye", 3);
    check_splits(&w, &server, &want);
    buf_deinit(&w);
    buf_deinit(&want);
}

/* "a😀b" cut into two fragments at every byte, and into one fragment per byte with pings
 * between them. */
TEST(test_utf8_across_fragments)
{
    const char *s = "a\xF0\x9F\x98\x80"
                    "b";
    for (size_t cut = 0; cut <= 6; cut++) {
        buf_t w = BUF_INIT, want = BUF_INIT;
        add_frame(&w, WS_OP_TEXT, false, s, cut, true);
        add_frame(&w, WS_OP_CONT, true, s + cut, 6 - cut, true);
        expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, s, 6);
        check_splits(&w, &server, &want);
        buf_deinit(&w);
        buf_deinit(&want);
    }
    buf_t w = BUF_INIT, want = BUF_INIT;
    for (size_t i = 0; i < 6; i++) {
        add_frame(&w, i ? WS_OP_CONT : WS_OP_TEXT, i == 5, s + i, 1, true);
        if (i < 5)
            add_str(&w, WS_OP_PING, true, "p");
    }
    for (size_t i = 0; i < 5; i++)
        expect(&want, WS_EV_PING, WS_OP_PING, 0, "p", 1);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, s, 6);
    check_splits(&w, &server, &want);
    buf_deinit(&w);
    buf_deinit(&want);
}

/* Invalid UTF-8 fails as soon as the byte is in: mid-frame, mid-message, across fragments. */
TEST(test_utf8_fail_fast)
{
    char text[100];
    memset(text, 'a', sizeof text);
    text[10] = (char)0xFF;
    buf_t w = BUF_INIT;
    add_frame(&w, WS_OP_TEXT, true, text, sizeof text, true); /* header is 2 + 4 bytes */
    check_fails_at(&w, 6 + 11, WS_CLOSE_BAD_DATA, &server);

    buf_reset(&w);
    add_str(&w, WS_OP_TEXT, false, "fine so far");
    size_t first = w.len;
    add_str(&w, WS_OP_CONT, false, "x\xED\xA0\x80 surrogate");
    add_str(&w, WS_OP_CONT, true, "end");
    check_fails_at(&w, first + 6 + 3, WS_CLOSE_BAD_DATA, &server);

    buf_reset(&w); /* an overlong 4-byte form whose bad second byte comes in the next fragment */
    add_str(&w, WS_OP_TEXT, false, "\xF0");
    first = w.len;
    add_str(&w, WS_OP_CONT, true, "\x80\x80\x80");
    check_fails_at(&w, first + 6 + 1, WS_CLOSE_BAD_DATA, &server);

    buf_reset(&w); /* a message that ends inside a code point */
    add_str(&w, WS_OP_TEXT, true, "a\xF0\x9F");
    check_fails(&w, WS_CLOSE_BAD_DATA, &server);
    buf_reset(&w);
    add_str(&w, WS_OP_TEXT, false, "\xF0\x9F");
    add_str(&w, WS_OP_CONT, true, "\x98");
    check_fails(&w, WS_CLOSE_BAD_DATA, &server);

    buf_reset(&w); /* binary is not checked */
    buf_t want = BUF_INIT;
    add_str(&w, WS_OP_BINARY, true, "\xFF\xED\xA0\x80");
    expect(&want, WS_EV_MESSAGE, WS_OP_BINARY, 0, "\xFF\xED\xA0\x80", 4);
    check_splits(&w, &server, &want);
    buf_deinit(&want);
    buf_deinit(&w);
}

/* Header rules: each fails with 1002 as soon as the first two bytes are in. */
TEST(test_header_violations)
{
    buf_t w = BUF_INIT;
    static const uint8_t rsv[] = {0x40, 0x20, 0x10};
    for (size_t i = 0; i < sizeof rsv; i++) {
        buf_reset(&w);
        add_str(&w, WS_OP_TEXT, true, "hi");
        w.data[0] |= rsv[i];
        check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server);
    }
    static const int unknown[] = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        buf_reset(&w);
        add_frame(&w, unknown[i], true, "x", 1, true);
        check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server);
    }
    for (int op = WS_OP_CLOSE; op <= WS_OP_PONG; op++) {
        buf_reset(&w); /* control frames must not be fragmented */
        add_frame(&w, op, false, "", 0, true);
        check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server);
        buf_reset(&w); /* nor longer than 125 */
        char big[126] = {0};
        add_frame(&w, op, true, big, sizeof big, true);
        check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server);
    }
    buf_reset(&w);
    add_frame(&w, WS_OP_TEXT, true, "hi", 2, false);
    check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server);
    buf_deinit(&w);
}

TEST(test_fragmentation_order)
{
    buf_t w = BUF_INIT;
    add_str(&w, WS_OP_CONT, true, "orphan");
    check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server);

    buf_reset(&w); /* CONT after the message was complete */
    add_str(&w, WS_OP_TEXT, true, "done");
    size_t at = w.len;
    add_str(&w, WS_OP_CONT, true, "more");
    check_fails_at(&w, at + 2, WS_CLOSE_PROTOCOL, &server);

    for (int op = WS_OP_TEXT; op <= WS_OP_BINARY; op++) {
        buf_reset(&w); /* a new data frame while a message is in progress */
        add_str(&w, WS_OP_BINARY, false, "part");
        add_str(&w, WS_OP_PING, true, "");
        at = w.len;
        add_str(&w, op, true, "new");
        check_fails_at(&w, at + 2, WS_CLOSE_PROTOCOL, &server);
    }
    buf_deinit(&w);
}

TEST(test_length_encoding)
{
    buf_t w = BUF_INIT;
    static const uint8_t top_bit[] = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
    buf_append(&w, top_bit, sizeof top_bit);
    check_fails_at(&w, 10, WS_CLOSE_PROTOCOL, &server);

    buf_reset(&w); /* 5 in the 16-bit form */
    static const uint8_t long16[] = {0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'};
    buf_append(&w, long16, sizeof long16);
    check_fails_at(&w, 4, WS_CLOSE_PROTOCOL, &server);

    buf_reset(&w); /* 200 in the 64-bit form */
    static const uint8_t long64[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0, 200, 1, 2, 3, 4};
    buf_append(&w, long64, sizeof long64);
    check_fails_at(&w, 10, WS_CLOSE_PROTOCOL, &server);
    buf_deinit(&w);
}

TEST(test_close_frames)
{
    static const uint16_t good[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                    1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
    static const uint16_t bad[] = {0,    1,    999,  1004, 1005, 1006, 1015,
                                   1016, 1100, 2000, 2999, 5000, 65535};
    buf_t w = BUF_INIT, want = BUF_INIT;
    uint8_t pl[125];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        buf_reset(&w);
        buf_reset(&want);
        size_t n = ws_close_payload(pl, good[i], "bye \xE2\x82\xAC");
        add_frame(&w, WS_OP_CLOSE, true, pl, n, true);
        expect(&want, WS_EV_CLOSE, WS_OP_CLOSE, good[i], "bye \xE2\x82\xAC", 7);
        check_splits(&w, &server, &want);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_reset(&w);
        uint8_t code[2] = {(uint8_t)(bad[i] >> 8), (uint8_t)bad[i]};
        add_frame(&w, WS_OP_CLOSE, true, code, 2, true);
        check_fails(&w, WS_CLOSE_PROTOCOL, &server);
    }
    buf_reset(&w);
    add_frame(&w, WS_OP_CLOSE, true, "\x03", 1, true);
    check_fails(&w, WS_CLOSE_PROTOCOL, &server);
    buf_reset(&w);
    add_frame(&w, WS_OP_CLOSE, true, "\x03\xE8\xC0\xAF", 4, true); /* overlong '/' */
    check_fails(&w, WS_CLOSE_BAD_DATA, &server);
    buf_reset(&w);
    add_frame(&w, WS_OP_CLOSE, true,
              "\x03\xE8"
              "ab\xE2\x82",
              6, true); /* truncated */
    check_fails(&w, WS_CLOSE_BAD_DATA, &server);

    buf_reset(&w); /* the largest close payload, between fragments */
    buf_reset(&want);
    memset(pl, 'r', sizeof pl);
    pl[0] = 0x0F, pl[1] = 0xA0; /* 4000 */
    add_str(&w, WS_OP_TEXT, false, "unfinished");
    add_frame(&w, WS_OP_CLOSE, true, pl, sizeof pl, true);
    expect(&want, WS_EV_CLOSE, WS_OP_CLOSE, 4000, (const char *)pl + 2, 123);
    check_splits(&w, &server, &want);
    buf_deinit(&w);
    buf_deinit(&want);
}

/* Limits are checked on the header, before anything is buffered. */
TEST(test_limits)
{
    static const ws_limits_t lim = {100, 250, true, &counted};
    char data[300];
    memset(data, 'z', sizeof data);
    buf_t w = BUF_INIT, want = BUF_INIT;

    add_frame(&w, WS_OP_BINARY, true, data, 100, true);
    expect(&want, WS_EV_MESSAGE, WS_OP_BINARY, 0, data, 100);
    check_splits(&w, &lim, &want);

    buf_reset(&w);
    add_frame(&w, WS_OP_BINARY, true, data, 101, true);
    check_fails_at(&w, 2, WS_CLOSE_TOO_BIG, &lim); /* the 7-bit length is enough */
    ws_parser_t p;
    ws_event_t ev;
    ws_parser_init(&p, &lim);
    CHECK_EQ_INT(ws_parser_feed(&p, (uint8_t *)w.data, w.len, &ev), 2);
    CHECK_EQ_INT(ev.type, WS_EV_ERROR);
    CHECK_EQ_INT(ev.code, WS_CLOSE_TOO_BIG);
    CHECK(p.buf == NULL);
    ws_parser_deinit(&p);

    buf_reset(&w); /* 2^40 bytes announced: refused on the header alone */
    static const uint8_t huge[] = {0x82, 0xFF, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    buf_append(&w, huge, sizeof huge);
    check_fails_at(&w, 10, WS_CLOSE_TOO_BIG, &lim); /* before the mask */

    buf_reset(&w); /* fragments within max_frame, message at max_message */
    buf_reset(&want);
    add_frame(&w, WS_OP_TEXT, false, data, 100, true);
    add_frame(&w, WS_OP_CONT, false, data, 100, true);
    add_frame(&w, WS_OP_CONT, true, data, 50, true);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, data, 250);
    check_splits(&w, &lim, &want);

    buf_reset(&w); /* one byte more: refused on the third header */
    add_frame(&w, WS_OP_TEXT, false, data, 100, true);
    add_frame(&w, WS_OP_CONT, false, data, 100, true);
    size_t at = w.len;
    add_frame(&w, WS_OP_CONT, true, data, 51, true);
    check_fails_at(&w, at + 2, WS_CLOSE_TOO_BIG, &lim);

    buf_reset(&w); /* control frames are bounded by 125, not by max_frame */
    buf_reset(&want);
    add_frame(&w, WS_OP_PING, true, data, 125, true);
    expect(&want, WS_EV_PING, WS_OP_PING, 0, data, 125);
    check_splits(&w, &lim, &want);
    buf_deinit(&w);
    buf_deinit(&want);
}

/* A whole unfragmented frame is reported from the caller's buffer; nothing is allocated. */
TEST(test_zero_copy_and_shrink)
{
    buf_t w = BUF_INIT;
    add_str(&w, WS_OP_TEXT, true, "in place");
    add_str(&w, WS_OP_PING, true, "ping");
    uint8_t *in = (uint8_t *)w.data;
    ws_parser_t p;
    ws_event_t ev;
    ws_parser_init(&p, &server);
    size_t n = ws_parser_feed(&p, in, w.len, &ev);
    CHECK_EQ_INT(ev.type, WS_EV_MESSAGE);
    CHECK(ev.data == in + 6);
    CHECK_EQ_MEM(ev.data, ev.len, "in place", 8);
    n += ws_parser_feed(&p, in + n, w.len - n, &ev);
    CHECK_EQ_INT(n, w.len);
    CHECK_EQ_INT(ev.type, WS_EV_PING);
    CHECK(ev.data == in + w.len - 4);
    CHECK(p.buf == NULL);

    buf_reset(&w); /* fragmented: reassembled in the parser's buffer */
    add_str(&w, WS_OP_TEXT, false, "two ");
    add_str(&w, WS_OP_CONT, true, "parts");
    in = (uint8_t *)w.data;
    n = ws_parser_feed(&p, in, 12, &ev); /* first fragment and 2 header bytes */
    CHECK_EQ_INT(n, 12);
    CHECK_EQ_INT(ev.type, WS_EV_NONE);
    CHECK(ws_parser_in_message(&p));
    ws_parser_shrink(&p); /* in use: kept */
    CHECK(p.buf != NULL);
    n += ws_parser_feed(&p, in + n, w.len - n, &ev);
    CHECK_EQ_INT(n, w.len);
    CHECK_EQ_INT(ev.type, WS_EV_MESSAGE);
    CHECK_EQ_MEM(ev.data, ev.len, "two parts", 9);
    CHECK(!ws_parser_in_message(&p));
    ws_parser_shrink(&p);
    CHECK(p.buf == NULL);
    CHECK(sizeof p <= 88); /* embedded in every connection: no payload bytes inline */
    ws_parser_deinit(&p);
    buf_deinit(&w);
}

/* A control frame split across reads is collected on the heap, past the bytes of the message
 * it interrupts, and kept by ws_parser_shrink until it is whole (the server shrinks after
 * every read); an idle parser then holds nothing. */
TEST(test_split_control_frame)
{
    buf_t w = BUF_INIT;
    add_str(&w, WS_OP_PING, true, "are you there?"); /* 6 + 14 bytes */
    uint8_t *in = (uint8_t *)w.data;
    ws_parser_t p;
    ws_event_t ev;
    ws_parser_init(&p, &server);
    CHECK_EQ_INT(ws_parser_feed(&p, in, 9, &ev), 9); /* header and "are" */
    CHECK_EQ_INT(ev.type, WS_EV_NONE);
    ws_parser_shrink(&p); /* partly in: kept */
    CHECK(p.buf != NULL);
    CHECK_EQ_INT(ws_parser_feed(&p, in + 9, w.len - 9, &ev), w.len - 9);
    CHECK_EQ_INT(ev.type, WS_EV_PING);
    CHECK_EQ_MEM(ev.data, ev.len, "are you there?", 14);
    CHECK(ev.data == p.buf); /* the parser's memory, not the input */
    ws_parser_shrink(&p);
    CHECK(p.buf == NULL);

    /* Inside a fragmented message: "Hel", ping split in three reads, "lo". */
    buf_reset(&w);
    add_str(&w, WS_OP_TEXT, false, "Hel");
    size_t ping_at = w.len;
    add_str(&w, WS_OP_PING, true, "are you there?");
    add_str(&w, WS_OP_CONT, true, "lo");
    in = (uint8_t *)w.data;
    size_t cuts[] = {ping_at + 4, ping_at + 10, ping_at + 15, w.len};
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        n += ws_parser_feed(&p, in + n, cuts[i] - n, &ev);
        CHECK_EQ_INT(n, cuts[i]);
        CHECK_EQ_INT(ev.type, WS_EV_NONE);
        CHECK(ws_parser_in_message(&p));
        ws_parser_shrink(&p);
        CHECK(p.buf != NULL);
    }
    n += ws_parser_feed(&p, in + n, cuts[3] - n, &ev);
    CHECK_EQ_INT(ev.type, WS_EV_PING);
    CHECK_EQ_MEM(ev.data, ev.len, "are you there?", 14);
    CHECK(ev.data == p.buf + 3); /* after "Hel" */
    CHECK(ws_parser_in_message(&p));
    n += ws_parser_feed(&p, in + n, cuts[3] - n, &ev);
    CHECK_EQ_INT(n, w.len);
    CHECK_EQ_INT(ev.type, WS_EV_MESSAGE);
    CHECK_EQ_MEM(ev.data, ev.len, "Hello", 5);
    ws_parser_shrink(&p);
    CHECK(p.buf == NULL);
    ws_parser_deinit(&p);

    /* Pings of 125 bytes between fragments, the second once the message is at max_message
     * (its payload goes past it), and a 125-byte close inside the next message; every
     * split. */
    static const ws_limits_t lim = {100, 250, true, &counted};
    char data[100];
    memset(data, 'm', sizeof data);
    uint8_t pl[WS_MAX_CONTROL];
    memset(pl, 'c', sizeof pl);
    buf_t want = BUF_INIT;
    buf_reset(&w);
    add_frame(&w, WS_OP_TEXT, false, data, 100, true);
    add_frame(&w, WS_OP_PING, true, pl, sizeof pl, true);
    add_frame(&w, WS_OP_CONT, false, data, 100, true);
    add_frame(&w, WS_OP_CONT, false, data, 50, true);
    add_frame(&w, WS_OP_PING, true, pl, sizeof pl, true);
    add_frame(&w, WS_OP_CONT, true, "", 0, true);
    add_frame(&w, WS_OP_BINARY, false, data, 7, true);
    expect(&want, WS_EV_PING, WS_OP_PING, 0, (const char *)pl, sizeof pl);
    expect(&want, WS_EV_PING, WS_OP_PING, 0, (const char *)pl, sizeof pl);
    char all[250];
    memset(all, 'm', sizeof all);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, all, sizeof all);
    pl[0] = 0x03, pl[1] = 0xE8; /* 1000 */
    add_frame(&w, WS_OP_CLOSE, true, pl, sizeof pl, true);
    expect(&want, WS_EV_CLOSE, WS_OP_CLOSE, 1000, (const char *)pl + 2, sizeof pl - 2);
    check_splits(&w, &lim, &want);
    buf_deinit(&want);
    buf_deinit(&w);
}

/* After CLOSE the parser reads nothing more; after ERROR it repeats the error. */
TEST(test_terminal_states)
{
    buf_t w = BUF_INIT;
    add_frame(&w, WS_OP_CLOSE, true, "\x03\xE8", 2, true);
    add_str(&w, WS_OP_TEXT, true, "late");
    ws_parser_t p;
    ws_event_t ev;
    ws_parser_init(&p, &server);
    size_t n = ws_parser_feed(&p, (uint8_t *)w.data, w.len, &ev);
    CHECK_EQ_INT(n, 8);
    CHECK_EQ_INT(ev.type, WS_EV_CLOSE);
    CHECK_EQ_INT(ev.code, 1000);
    CHECK_EQ_INT(ws_parser_feed(&p, (uint8_t *)w.data + n, w.len - n, &ev), 0);
    CHECK_EQ_INT(ev.type, WS_EV_NONE);
    ws_parser_deinit(&p);

    buf_reset(&w);
    add_frame(&w, WS_OP_TEXT, true, "x", 1, false);
    ws_parser_init(&p, &server);
    CHECK_EQ_INT(ws_parser_feed(&p, (uint8_t *)w.data, w.len, &ev), 2);
    CHECK_EQ_INT(ev.type, WS_EV_ERROR);
    CHECK(ev.error != NULL);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(ws_parser_feed(&p, (uint8_t *)w.data + 2, w.len - 2, &ev), 0);
        CHECK_EQ_INT(ev.type, WS_EV_ERROR);
        CHECK_EQ_INT(ev.code, WS_CLOSE_PROTOCOL);
    }
    ws_parser_deinit(&p);
    buf_deinit(&w);
}

TEST(test_frame_header)
{
    uint8_t h[WS_MAX_HEADER];
    static const uint8_t m[4] = {1, 2, 3, 4};
    CHECK_EQ_INT(ws_frame_header(h, WS_OP_TEXT, true, 0, NULL), 2);
    CHECK_EQ_MEM(h, 2, "\x81\x00", 2);
    CHECK_EQ_INT(ws_frame_header(h, WS_OP_BINARY, false, 125, NULL), 2);
    CHECK_EQ_MEM(h, 2, "\x02\x7D", 2);
    CHECK_EQ_INT(ws_frame_header(h, WS_OP_TEXT, true, 126, NULL), 4);
    CHECK_EQ_MEM(h, 4, "\x81\x7E\x00\x7E", 4);
    CHECK_EQ_INT(ws_frame_header(h, WS_OP_TEXT, true, 65535, m), 8);
    CHECK_EQ_MEM(h, 8, "\x81\xFE\xFF\xFF\x01\x02\x03\x04", 8);
    CHECK_EQ_INT(ws_frame_header(h, WS_OP_CONT, true, 65536, NULL), 10);
    CHECK_EQ_MEM(h, 10, "\x80\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    CHECK_EQ_INT(ws_frame_header(h, WS_OP_PONG, true, 0x0123456789ABCDEFu, m), 14);
    CHECK_EQ_MEM(h, 14, "\x8A\xFF\x01\x23\x45\x67\x89\xAB\xCD\xEF\x01\x02\x03\x04", 14);
}

TEST(test_frame_build)
{
    size_t n = 0;
    uint8_t *f = ws_frame_build(WS_OP_TEXT, true, "Hello", 5, mask_key, &n);
    static const uint8_t rfc[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    CHECK(f != NULL);
    CHECK_EQ_MEM(f, n, rfc, sizeof rfc);
    free(f);
    f = ws_frame_build(WS_OP_CLOSE, true, NULL, 0, NULL, &n);
    CHECK(f != NULL);
    CHECK_EQ_MEM(f, n, "\x88\x00", 2);
    free(f);
}

TEST(test_close_payload)
{
    uint8_t out[125];
    char reason[200];
    CHECK_EQ_INT(ws_close_payload(out, 1000, NULL), 2);
    CHECK_EQ_MEM(out, 2, "\x03\xE8", 2);
    CHECK_EQ_INT(ws_close_payload(out, 1013, "slow"), 6);
    CHECK_EQ_MEM(out, 6, "\x03\xF5slow", 6);
    CHECK_EQ_INT(ws_close_payload(out, WS_CLOSE_NO_STATUS, "x"), 0);
    CHECK_EQ_INT(ws_close_payload(out, WS_CLOSE_ABNORMAL, "x"), 0);
    CHECK_EQ_INT(ws_close_payload(out, 0, NULL), 0);
    memset(reason, 'a', sizeof reason);
    reason[199] = '\0';
    CHECK_EQ_INT(ws_close_payload(out, 4000, reason), 125);
    /* A multi-byte character across the 123-byte boundary is left out whole. */
    static const struct {
        size_t at;
        const char *ch;
        size_t want;
    } cases[] = {{121, "\xC3\xA9", 125},
                 {122, "\xC3\xA9", 124},
                 {120, "\xF0\x9F\x98\x80", 122},
                 {119, "\xF0\x9F\x98\x80", 125},
                 {121, "\xE2\x82\xAC", 123}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(reason, 'a', sizeof reason);
        size_t cl = strlen(cases[i].ch);
        memcpy(reason + cases[i].at, cases[i].ch, cl);
        reason[cases[i].at + cl + 3] = '\0';
        size_t n = ws_close_payload(out, 1000, reason);
        CHECK_EQ_INT(n, cases[i].want);
        CHECK(utf8_valid(out + 2, n - 2));
        CHECK_EQ_MEM(out + 2, n - 2, reason, n - 2);
    }
}

TEST(test_close_code_valid)
{
    int valid = 0;
    for (uint32_t c = 0; c <= 65535; c++)
        valid += ws_close_code_valid((uint16_t)c);
    CHECK_EQ_INT(valid, 4 + 8 + 2000);
    CHECK(ws_close_code_valid(1000) && ws_close_code_valid(1014) && ws_close_code_valid(4999));
    CHECK(!ws_close_code_valid(1004) && !ws_close_code_valid(1005) && !ws_close_code_valid(1006));
    CHECK(!ws_close_code_valid(1015) && !ws_close_code_valid(2999) && !ws_close_code_valid(5000));
}

/* With permessage-deflate negotiated, RSV1 on a message's first frame marks it compressed
 * (RFC 7692 6); its bytes are reported as sent, not UTF-8 checked. The payloads here need not
 * be valid DEFLATE: the parser does not look inside. */
TEST(test_deflate_rsv1)
{
    buf_t w = BUF_INIT, want = BUF_INIT;
    deflate_on = true;
    static const char hello[] = "\xf2\x48\xcd\xc9\xc9\x07\x00"; /* RFC 7692 7.2.3.1 */
    add_rsv1(&w, WS_OP_TEXT, true, hello, 7);
    add_rsv1(&w, WS_OP_BINARY, true, "\xff\xfe", 2);
    add_rsv1(&w, WS_OP_TEXT, true, "", 0);
    add_str(&w, WS_OP_TEXT, true, "plain \xE2\x82\xAC"); /* uncompressed: as before */
    add_rsv1(&w, WS_OP_TEXT, false, "\xf2\x48", 2);      /* not UTF-8, not checked */
    add_str(&w, WS_OP_PING, true, "mid");
    add_str(&w, WS_OP_CONT, false, "\xcd\xc9");
    add_frame(&w, WS_OP_CONT, true, "\xc9\x07\x00\xF0", 4, true); /* ends mid-"sequence" */
    add_str(&w, WS_OP_BINARY, true, "\xC0");
    expect_compressed(&want, WS_OP_TEXT, hello, 7);
    expect_compressed(&want, WS_OP_BINARY, "\xff\xfe", 2);
    expect_compressed(&want, WS_OP_TEXT, "", 0);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "plain \xE2\x82\xAC", 9);
    expect(&want, WS_EV_PING, WS_OP_PING, 0, "mid", 3);
    expect_compressed(&want, WS_OP_TEXT, "\xf2\x48\xcd\xc9\xc9\x07\x00\xF0", 8);
    expect(&want, WS_EV_MESSAGE, WS_OP_BINARY, 0, "\xC0", 1);
    check_splits(&w, &server, &want);

    buf_reset(&w); /* uncompressed text is still checked as it arrives */
    add_str(&w, WS_OP_TEXT, true,
            "ab\xFF"
            "cd");
    check_fails_at(&w, 6 + 3, WS_CLOSE_BAD_DATA, &server);
    buf_reset(&w);
    add_str(&w, WS_OP_TEXT, true, "a\xF0\x9F");
    check_fails(&w, WS_CLOSE_BAD_DATA, &server);

    buf_reset(&w); /* RSV1 belongs to the first frame only (RFC 7692 6.1) */
    add_rsv1(&w, WS_OP_TEXT, false, "\xf2", 1);
    size_t at = w.len;
    add_rsv1(&w, WS_OP_CONT, true, "\x48", 1);
    check_fails_at(&w, at + 2, WS_CLOSE_PROTOCOL, &server);
    buf_reset(&w);
    add_str(&w, WS_OP_BINARY, false, "a");
    at = w.len;
    add_rsv1(&w, WS_OP_CONT, true, "b", 1);
    check_fails_at(&w, at + 2, WS_CLOSE_PROTOCOL, &server);
    for (int op = WS_OP_CLOSE; op <= WS_OP_PONG; op++) { /* never on control frames */
        buf_reset(&w);
        add_rsv1(&w, op, true, "", 0);
        check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server);
    }
    static const uint8_t rsv23[] = {0x20, 0x10, 0x60, 0x70}; /* RSV2, RSV3: still errors */
    for (size_t i = 0; i < sizeof rsv23; i++) {
        buf_reset(&w);
        add_str(&w, WS_OP_TEXT, true, "hi");
        w.data[0] |= rsv23[i];
        check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server);
    }

    static const ws_limits_t lim = {100, 250, true, &counted}; /* limits count compressed bytes */
    char data[300];
    memset(data, 0xAB, sizeof data);
    buf_reset(&w);
    buf_reset(&want);
    add_rsv1(&w, WS_OP_TEXT, false, data, 100);
    add_str(&w, WS_OP_CONT, true, "");
    expect_compressed(&want, WS_OP_TEXT, data, 100);
    check_splits(&w, &lim, &want);
    buf_reset(&w);
    add_rsv1(&w, WS_OP_BINARY, true, data, 101);
    check_fails_at(&w, 2, WS_CLOSE_TOO_BIG, &lim);
    buf_reset(&w);
    add_rsv1(&w, WS_OP_BINARY, false, data, 100);
    add_frame(&w, WS_OP_CONT, false, data, 100, true);
    at = w.len;
    add_frame(&w, WS_OP_CONT, true, data, 51, true);
    check_fails_at(&w, at + 2, WS_CLOSE_TOO_BIG, &lim);

    deflate_on = false; /* not negotiated: RSV1 is an error, as test_header_violations has it */
    buf_reset(&w);
    add_rsv1(&w, WS_OP_TEXT, true, hello, 7);
    check_fails_at(&w, 2, WS_CLOSE_PROTOCOL, &server);
    ws_parser_t p; /* and set_deflate(false) takes it back */
    ws_event_t ev;
    ws_parser_init(&p, &server);
    ws_parser_set_deflate(&p, true);
    ws_parser_set_deflate(&p, false);
    CHECK_EQ_INT(ws_parser_feed(&p, (uint8_t *)w.data, w.len, &ev), 2);
    CHECK_EQ_INT(ev.type, WS_EV_ERROR);
    CHECK_EQ_INT(ev.code, WS_CLOSE_PROTOCOL);
    ws_parser_deinit(&p);
    buf_deinit(&w);
    buf_deinit(&want);
}

/* The budget: what a parser keeps across feeds is taken from it before the buffer grows and
 * given back when the buffer goes; a growth it refuses fails the feed with 1013, costing the
 * other parsers nothing. A frame whole inside one input takes nothing. */
TEST(test_budget)
{
    budget_t b;
    budget_init(&b, 4096);
    const ws_limits_t lim = {1 << 20, 1 << 20, true, &b};
    uint8_t big[3000];
    memset(big, 'x', sizeof big);
    buf_t w = BUF_INIT;
    add_frame(&w, WS_OP_BINARY, true, big, sizeof big, true); /* 8 header bytes */
    uint8_t *in = (uint8_t *)w.data;
    ws_parser_t a, c;
    ws_event_t ev;
    ws_parser_init(&a, &lim);
    ws_parser_init(&c, &lim);
    CHECK_EQ_INT(ws_parser_feed(&a, in, 1008, &ev), 1008); /* 1000 payload bytes */
    CHECK_EQ_INT(ev.type, WS_EV_NONE);
    CHECK_EQ_INT(budget_used(&b), 1024);
    CHECK_EQ_INT(ws_parser_feed(&a, in + 1008, 1000, &ev), 1000);
    CHECK_EQ_INT(budget_used(&b), 2048);
    /* Another connection asks for more than is left: refused, and it alone. */
    CHECK_EQ_INT(ws_parser_feed(&c, in, 2600, &ev), 2600);
    CHECK_EQ_INT(ev.type, WS_EV_ERROR);
    CHECK_EQ_INT(ev.code, WS_CLOSE_TRY_AGAIN);
    CHECK_EQ_INT(budget_used(&b), 2048);
    CHECK_EQ_INT(ws_parser_feed(&c, in, 10, &ev), 0); /* failed: stays failed */
    CHECK_EQ_INT(ev.code, WS_CLOSE_TRY_AGAIN);
    ws_parser_shrink(&c);
    /* The first one's last growth (to 4096) fits exactly: its message completes. */
    CHECK_EQ_INT(ws_parser_feed(&a, in + 2008, w.len - 2008, &ev), w.len - 2008);
    CHECK_EQ_INT(ev.type, WS_EV_MESSAGE);
    CHECK_EQ_MEM(ev.data, ev.len, big, sizeof big);
    CHECK_EQ_INT(budget_used(&b), 4096);
    ws_parser_shrink(&a); /* message done: the buffer goes, and its bytes with it */
    CHECK_EQ_INT(budget_used(&b), 0);
    ws_parser_deinit(&c);
    ws_parser_init(&c, &lim);
    /* A frame whole in one input is read in place: nothing taken, even from an empty budget. */
    budget_t none;
    budget_init(&none, 1);
    const ws_limits_t tight = {1 << 20, 1 << 20, true, &none};
    ws_parser_t t;
    ws_parser_init(&t, &tight);
    CHECK_EQ_INT(ws_parser_feed(&t, in, w.len, &ev), w.len);
    CHECK_EQ_INT(ev.type, WS_EV_MESSAGE);
    CHECK_EQ_INT(budget_used(&none), 0);
    ws_parser_deinit(&t);
    /* Freed mid-message (the connection closed): everything goes back. */
    buf_reset(&w);
    add_frame(&w, WS_OP_BINARY, true, big, sizeof big, true);
    in = (uint8_t *)w.data;
    CHECK_EQ_INT(ws_parser_feed(&c, in, 500, &ev), 500);
    CHECK(budget_used(&b) > 0);
    ws_parser_deinit(&c);
    ws_parser_deinit(&a);
    CHECK_EQ_INT(budget_used(&b), 0);
    buf_deinit(&w);
}

/* ws_parser_partial: true from a frame's first byte to its last, and across a fragmented
 * message (control frames between its fragments included); false between frames. */
TEST(test_partial)
{
    buf_t w = BUF_INIT;
    add_str(&w, WS_OP_TEXT, true, "whole"); /* 6 + 5 */
    add_str(&w, WS_OP_TEXT, false, "one "); /* 6 + 4 */
    add_str(&w, WS_OP_PING, true, "p");     /* 6 + 1 */
    add_str(&w, WS_OP_CONT, true, "two");   /* 6 + 3 */
    uint8_t *in = (uint8_t *)w.data;
    ws_parser_t p;
    ws_event_t ev;
    ws_parser_init(&p, &server);
    CHECK(!ws_parser_partial(&p));
    CHECK_EQ_INT(ws_parser_feed(&p, in, 1, &ev), 1); /* one header byte */
    CHECK(ws_parser_partial(&p));
    CHECK_EQ_INT(ws_parser_feed(&p, in + 1, 7, &ev), 7); /* header and 2 payload bytes */
    CHECK(ws_parser_partial(&p));
    CHECK_EQ_INT(ws_parser_feed(&p, in + 8, 3, &ev), 3);
    CHECK_EQ_INT(ev.type, WS_EV_MESSAGE);
    CHECK(!ws_parser_partial(&p));
    CHECK_EQ_INT(ws_parser_feed(&p, in + 11, 10, &ev), 10); /* the first fragment */
    CHECK_EQ_INT(ev.type, WS_EV_NONE);
    CHECK(ws_parser_partial(&p));
    CHECK_EQ_INT(ws_parser_feed(&p, in + 21, 7, &ev), 7); /* a ping between the fragments */
    CHECK_EQ_INT(ev.type, WS_EV_PING);
    CHECK(ws_parser_partial(&p));
    CHECK_EQ_INT(ws_parser_feed(&p, in + 28, 9, &ev), 9);
    CHECK_EQ_INT(ev.type, WS_EV_MESSAGE);
    CHECK(!ws_parser_partial(&p));
    buf_reset(&w);
    add_str(&w, WS_OP_CLOSE, true, "");
    CHECK_EQ_INT(ws_parser_feed(&p, (uint8_t *)w.data, w.len, &ev), w.len);
    CHECK_EQ_INT(ev.type, WS_EV_CLOSE);
    CHECK(!ws_parser_partial(&p)); /* finished */
    ws_parser_deinit(&p);
    buf_deinit(&w);
}

int main(void)
{
    RUN(test_rfc_examples);
    RUN(test_lengths);
    RUN(test_empty);
    RUN(test_fragments_with_control_frames);
    RUN(test_utf8_across_fragments);
    RUN(test_utf8_fail_fast);
    RUN(test_header_violations);
    RUN(test_fragmentation_order);
    RUN(test_length_encoding);
    RUN(test_close_frames);
    RUN(test_limits);
    RUN(test_zero_copy_and_shrink);
    RUN(test_split_control_frame);
    RUN(test_terminal_states);
    RUN(test_frame_header);
    RUN(test_frame_build);
    RUN(test_close_payload);
    RUN(test_close_code_valid);
    RUN(test_deflate_rsv1);
    RUN(test_budget);
    RUN(test_partial);
    return TEST_MAIN_END();
}
