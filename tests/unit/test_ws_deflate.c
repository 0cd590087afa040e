/* Unit tests for ws/ws_deflate: the negotiation table (browsers' offers, several offers,
 * quoting, bad values, duplicates, unknown parameters, window edges, every prefix of tricky
 * values), the RFC 7692 7.2.3 examples byte for byte, round trips through the real parser
 * (whole and byte by byte), fragmented compressed messages, context takeover with a client
 * compressing through zlib directly, bombs, corrupt and truncated streams. */
#include "ws/ws_deflate.h"

#include <stdlib.h>
#include <zlib.h>

#include "base/buf.h"
#include "test.h"

static const ws_limits_t client_lim = {1 << 22, 1 << 22, false, NULL}; /* reads our own frames */
static const ws_limits_t server_lim = {1 << 22, 1 << 22, true, NULL};
static const uint8_t mask_key[4] = {0x37, 0xFA, 0x21, 0x3D};

/* Appends a frame, masked (client to server), RSV1 set when rsv1. */
static void add_frame(buf_t *b, int op, bool fin, bool rsv1, const void *data, size_t len)
{
    size_t n;
    uint8_t *f = ws_frame_build(op, fin, data, len, mask_key, &n);
    if (f == NULL)
        abort();
    if (rsv1)
        f[0] |= WS_FRAME_RSV1;
    buf_append(b, f, n);
    free(f);
}

/* Deterministic filler: pseudo-random bytes, or text from a small vocabulary (compressible,
 * with 2-, 3- and 4-byte UTF-8 sequences). */
static uint8_t *make_data(size_t len, bool text)
{
    static const char *const words[] = {
        "hello ",  "world ", "caf\xC3\xA9 ", "\xE2\x82\xAC ", "\xF0\x9F\x98\x80 ",
        "parley ", "chat\n"};
    uint8_t *d = malloc(len ? len : 1);
    if (d == NULL)
        abort();
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < len;) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        if (!text) {
            d[i++] = (uint8_t)x;
            continue;
        }
        const char *w = words[x % 7];
        size_t n = strlen(w);
        if (n > len - i) /* pad the end with ASCII so the text stays valid */
            w = "zzzzzz", n = len - i;
        memcpy(d + i, w, n);
        i += n;
    }
    return d;
}

/* ---- negotiation ---- */

typedef struct {
    const char *offer;
    const char *resp; /* NULL: declined */
    int sbits, cbits; /* the params when accepted */
} nego_case_t;

#define FULL "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

static void check_nego(const ws_deflate_config_t *cfg, const nego_case_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char resp[WS_DEFLATE_RESPONSE_MAX];
        ws_deflate_params_t pr;
        size_t len = strlen(c[i].offer);
        char *copy = malloc(len + 1); /* exact size, not NUL-terminated for the callee */
        if (copy == NULL)
            abort();
        memcpy(copy, c[i].offer, len);
        bool ok = ws_deflate_negotiate(cfg, copy, len, &pr, resp);
        free(copy);
        CHECK_EQ_INT(ok, c[i].resp != NULL);
        CHECK_EQ_INT(pr.enabled, ok);
        if (ok != (c[i].resp != NULL))
            fprintf(stderr, "  offer: %s\n", c[i].offer);
        if (!ok) {
            CHECK_EQ_STR(resp, "");
            continue;
        }
        CHECK_EQ_STR(resp, c[i].resp);
        CHECK_EQ_INT(pr.server_window_bits, c[i].sbits);
        CHECK_EQ_INT(pr.client_window_bits, c[i].cbits);
        CHECK(pr.server_no_context_takeover == (strstr(resp, "server_no_context") != NULL));
        CHECK(pr.client_no_context_takeover == (strstr(resp, "client_no_context") != NULL));
    }
}

TEST(test_negotiate_default)
{
    static const ws_deflate_config_t cfg = WS_DEFLATE_CONFIG_DEFAULT;
    static const nego_case_t cases[] = {
        /* Chrome, Firefox */
        {"permessage-deflate; client_max_window_bits", FULL "; client_max_window_bits=15", 15, 15},
        {"permessage-deflate", FULL, 15, 15},
        /* several offers: the first acceptable one wins */
        {"x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=10, "
         "permessage-deflate",
         FULL "; server_max_window_bits=10", 10, 15},
        {"permessage-deflate; server_max_window_bits=16, permessage-deflate", FULL, 15, 15},
        {"permessage-deflate; foo, permessage-deflate; client_max_window_bits=9",
         FULL "; client_max_window_bits=9", 15, 9},
        {"foo; a=\"x,y;permessage-deflate\", permessage-deflate", FULL, 15, 15},
        {"foo@bar, permessage-deflate", FULL, 15, 15},
        {",, permessage-deflate ,,", FULL, 15, 15},
        {"foo, bar; baz=1", NULL, 0, 0},
        {"", NULL, 0, 0},
        {"permessage-deflatex", NULL, 0, 0},
        {"x-permessage-deflate", NULL, 0, 0},
        /* the client's own no_context_takeover requests */
        {"permessage-deflate; server_no_context_takeover; client_no_context_takeover", FULL, 15,
         15},
        /* quoted values (RFC 6455 9.1: a token once unescaped) */
        {"permessage-deflate; client_max_window_bits=\"10\"", FULL "; client_max_window_bits=10",
         15, 10},
        {"permessage-deflate; server_max_window_bits=\"1\\2\"", FULL "; server_max_window_bits=12",
         12, 15},
        {"permessage-deflate; server_max_window_bits=\"1 2\"", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits=\"\"", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits=\"123456789012\"", NULL, 0, 0},
        {"permessage-deflate; client_max_window_bits=\"10", NULL, 0, 0},
        {"permessage-deflate; x=\"unterminated, permessage-deflate", NULL, 0, 0},
        {"permessage-deflate; x=\"a\\", NULL, 0, 0},
        /* bad values */
        {"permessage-deflate; server_max_window_bits=7", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits=16", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits=08", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits=+9", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits=9a", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits=150", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits=", NULL, 0, 0},
        {"permessage-deflate; client_max_window_bits=0", NULL, 0, 0},
        {"permessage-deflate; client_max_window_bits=-1", NULL, 0, 0},
        {"permessage-deflate; server_no_context_takeover=1", NULL, 0, 0},
        {"permessage-deflate; client_no_context_takeover=\"\"", NULL, 0, 0},
        /* duplicates, unknown parameters */
        {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", NULL, 0, 0},
        {"permessage-deflate; client_max_window_bits; client_max_window_bits=10", NULL, 0, 0},
        {"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", NULL, 0, 0},
        {"permessage-deflate; foo", NULL, 0, 0},
        {"permessage-deflate; foo=1", NULL, 0, 0},
        /* malformed elements */
        {"permessage-deflate;", NULL, 0, 0},
        {"permessage-deflate; ", NULL, 0, 0},
        {"permessage-deflate;;", NULL, 0, 0},
        {"permessage-deflate; =5", NULL, 0, 0},
        {"permessage-deflate client_max_window_bits", NULL, 0, 0},
        {"permessage-deflate; client_max_window_bits==9", NULL, 0, 0},
        {"; permessage-deflate", NULL, 0, 0},
        {"\"permessage-deflate\"", NULL, 0, 0},
        /* whitespace and case */
        {" \tpermessage-deflate ;  client_max_window_bits = 12 \t, foo",
         FULL "; client_max_window_bits=12", 15, 12},
        {"Permessage-Deflate; Client_Max_Window_Bits", FULL "; client_max_window_bits=15", 15, 15},
        /* window edges */
        {"permessage-deflate; server_max_window_bits=8", FULL "; server_max_window_bits=8", 8, 15},
        {"permessage-deflate; server_max_window_bits=9", FULL "; server_max_window_bits=9", 9, 15},
        {"permessage-deflate; server_max_window_bits=15", FULL "; server_max_window_bits=15", 15,
         15},
        {"permessage-deflate; client_max_window_bits=8", FULL "; client_max_window_bits=8", 15, 8},
        {"permessage-deflate; client_max_window_bits=15", FULL "; client_max_window_bits=15", 15,
         15},
        {"permessage-deflate; server_max_window_bits=8; client_max_window_bits=8; "
         "server_no_context_takeover; client_no_context_takeover",
         FULL "; server_max_window_bits=8; client_max_window_bits=8", 8, 8},
    };
    check_nego(&cfg, cases, sizeof cases / sizeof cases[0]);

    char resp[WS_DEFLATE_RESPONSE_MAX];
    ws_deflate_params_t pr;
    CHECK(!ws_deflate_negotiate(&cfg, NULL, 0, &pr, resp));
    CHECK(!pr.enabled);
    CHECK_EQ_STR(resp, "");
}

TEST(test_negotiate_config)
{
    ws_deflate_config_t cfg = {false, 15, 15, true, true};
    static const nego_case_t off[] = {{"permessage-deflate", NULL, 0, 0}};
    check_nego(&cfg, off, 1);

    cfg = (ws_deflate_config_t){true, 10, 9, true, true};
    static const nego_case_t small[] = {
        {"permessage-deflate; server_max_window_bits=12", FULL "; server_max_window_bits=10", 10,
         15},
        {"permessage-deflate; server_max_window_bits=9", FULL "; server_max_window_bits=9", 9, 15},
        {"permessage-deflate", FULL, 10, 15}, /* we keep to 10 without saying so */
        {"permessage-deflate; client_max_window_bits", FULL "; client_max_window_bits=9", 10, 9},
        {"permessage-deflate; client_max_window_bits=8", FULL "; client_max_window_bits=8", 10, 8},
    };
    check_nego(&cfg, small, sizeof small / sizeof small[0]);

    cfg = (ws_deflate_config_t){true, 15, 15, false, false}; /* nothing imposed */
    static const nego_case_t lax[] = {
        {"permessage-deflate", "permessage-deflate", 15, 15},
        {"permessage-deflate; server_no_context_takeover",
         "permessage-deflate; server_no_context_takeover", 15, 15},
        {"permessage-deflate; client_no_context_takeover",
         "permessage-deflate; client_no_context_takeover", 15, 15},
        {"permessage-deflate; client_max_window_bits",
         "permessage-deflate; client_max_window_bits=15", 15, 15},
    };
    check_nego(&cfg, lax, sizeof lax / sizeof lax[0]);

    cfg = (ws_deflate_config_t){true, 0, 99, true, true}; /* out of range: 15 */
    static const nego_case_t odd[] = {
        {"permessage-deflate; server_max_window_bits=14; client_max_window_bits",
         FULL "; server_max_window_bits=14; client_max_window_bits=15", 14, 15},
    };
    check_nego(&cfg, odd, 1);
}

/* Every prefix of awkward values, each in an exact-size buffer: no read past the end, the
 * response always a NUL-terminated permessage-deflate answer or nothing. */
TEST(test_negotiate_prefixes)
{
    static const char *const values[] = {
        ("foo; a=\"x\\\"y, \\\\\"; b, permessage-deflate; server_max_window_bits=\"1\\0\"; "
         "client_max_window_bits ; client_no_context_takeover"),
        "permessage-deflate; client_max_window_bits=15; server_no_context_takeover, bar", "\"\\",
        "permessage-deflate;\t;,=\"", ",;=\"\\\\,\"permessage-deflate"};
    static const ws_deflate_config_t cfg = WS_DEFLATE_CONFIG_DEFAULT;
    int accepted = 0;
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        size_t len = strlen(values[v]);
        for (size_t n = 0; n <= len; n++) {
            char *copy = malloc(n ? n : 1);
            if (copy == NULL)
                abort();
            memcpy(copy, values[v], n);
            char resp[WS_DEFLATE_RESPONSE_MAX];
            ws_deflate_params_t pr;
            bool ok = ws_deflate_negotiate(&cfg, copy, n, &pr, resp);
            accepted += ok;
            CHECK(strlen(resp) < sizeof resp);
            CHECK(ok ? strncmp(resp, "permessage-deflate", 18) == 0 : resp[0] == '\0');
            free(copy);
        }
    }
    CHECK(accepted > 10);
}

/* ---- the RFC 7692 7.2.3 examples ---- */

/* Parses wire (a copy, fed in pieces of `piece` bytes, 0: whole) with a deflate parser and
 * server limits off (unmasked frames), inflating each compressed message with z. The
 * transcript has one "type/opcode/code/len:data" line per event. */
static void run(const void *wire, size_t len, size_t piece, const ws_limits_t *lim,
                ws_inflater_t *z, buf_t *log)
{
    ws_parser_t p;
    ws_parser_init(&p, lim);
    ws_parser_set_deflate(&p, true);
    for (size_t off = 0; off < len || len == 0;) {
        size_t n = piece && piece < len - off ? piece : len - off;
        uint8_t *chunk = malloc(n ? n : 1);
        if (chunk == NULL)
            abort();
        memcpy(chunk, (const uint8_t *)wire + off, n);
        off += n;
        bool done = false;
        for (size_t at = 0; !done;) {
            ws_event_t ev;
            at += ws_parser_feed(&p, chunk + at, n - at, &ev);
            if (ev.type == WS_EV_NONE)
                break;
            ws_inflate_event(z, &ev);
            char head[64];
            int h = snprintf(head, sizeof head, "%d/%d/%u/%zu:", (int)ev.type, ev.opcode,
                             (unsigned)ev.code, ev.type == WS_EV_ERROR ? 0 : ev.len);
            buf_append(log, head, (size_t)h);
            if (ev.type != WS_EV_ERROR)
                buf_append(log, ev.data, ev.len);
            buf_append(log, "\n", 1);
            done = ev.type == WS_EV_ERROR || ev.type == WS_EV_CLOSE;
        }
        free(chunk);
        if (done || len == 0)
            break;
    }
    ws_parser_deinit(&p);
}

/* The transcript of one MESSAGE (or ERROR, data NULL) event. */
static void expect(buf_t *log, ws_ev_type_t type, int opcode, uint16_t code, const void *data,
                   size_t len)
{
    char head[64];
    int h = snprintf(head, sizeof head, "%d/%d/%u/%zu:", (int)type, opcode, (unsigned)code,
                     type == WS_EV_ERROR ? 0 : len);
    buf_append(log, head, (size_t)h);
    if (type != WS_EV_ERROR)
        buf_append(log, data, len);
    buf_append(log, "\n", 1);
}

/* wire gives want whole and byte by byte, with a shared inflater and with its own one. */
static void check_wire(const void *wire, size_t len, const ws_limits_t *lim, bool takeover,
                       const buf_t *want)
{
    for (size_t piece = 0; piece <= 1; piece++) {
        ws_inflater_t *z = ws_inflater_new(15, takeover, 1 << 22);
        CHECK(z != NULL);
        buf_t log = BUF_INIT;
        run(wire, len, piece, lim, z, &log);
        CHECK_EQ_MEM(log.data, log.len, want->data, want->len);
        buf_deinit(&log);
        ws_inflater_free(z);
    }
}

TEST(test_rfc_examples)
{
    static const struct {
        const char *what;
        size_t len;
        const char *wire;
    } ex[] = {
        {"7.2.3.1 one frame", 9, "\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00"},
        {"7.2.3.1 two fragments", 11, "\x41\x03\xf2\x48\xcd\x80\x04\xc9\xc9\x07\x00"},
        {"7.2.3.3 stored block", 13, "\xc1\x0b\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00"},
        {"7.2.3.4 BFINAL set", 10, "\xc1\x08\xf3\x48\xcd\xc9\xc9\x07\x00\x00"},
        {"7.2.3.4 BFINAL alone", 9, "\xc1\x07\xf3\x48\xcd\xc9\xc9\x07\x00"},
        {"7.2.3.5 two blocks", 15, "\xc1\x0d\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07\x00"},
    };
    buf_t want = BUF_INIT;
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5);
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        int before = test_failures;
        check_wire((const uint8_t *)ex[i].wire, ex[i].len, &client_lim, false, &want);
        if (test_failures != before)
            fprintf(stderr, "  RFC 7692 %s\n", ex[i].what);
    }

    /* 7.2.3.2: the same "Hello" again, sharing the LZ77 window: with takeover only. The first
     * message also comes as 7.2.3.4's, ending with a final block: the window survives it. */
    static const char *const firsts[] = {"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00",
                                         "\xc1\x08\xf3\x48\xcd\xc9\xc9\x07\x00\x00"};
    for (size_t f = 0; f < 2; f++) {
        buf_t w = BUF_INIT;
        buf_append(&w, firsts[f], f ? 10 : 9);
        buf_append(&w, "\xc1\x05\xf2\x00\x11\x00\x00", 7);
        buf_reset(&want);
        expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5);
        expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5);
        check_wire(w.data, w.len, &client_lim, true, &want);
        buf_reset(&want); /* an inflater reset per message sees a reference to nothing */
        expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5);
        expect(&want, WS_EV_ERROR, 0, WS_CLOSE_BAD_DATA, NULL, 0);
        check_wire(w.data, w.len, &client_lim, false, &want);
        buf_deinit(&w);
    }

    /* Our deflater writes 7.2.3.1's bytes, and 7.2.3.6's single 0x00 for an empty message. */
    ws_deflater_t *d = ws_deflater_new(15, -1, 8);
    size_t n = 0;
    uint8_t *f = ws_deflate_frame(d, WS_OP_TEXT, "Hello", 5, &n);
    CHECK_EQ_MEM(f, n, ex[0].wire, ex[0].len);
    free(f);
    const uint8_t *out;
    CHECK_EQ_INT(ws_deflater_message(d, NULL, 0, &out, &n), 0);
    CHECK_EQ_MEM(out, n, "\x00", 1);
    ws_deflater_free(d);
    buf_deinit(&want);
}

/* ---- round trips ---- */

/* payload -> our deflater -> one unmasked frame -> parser -> inflater, whole and byte by byte
 * (the latter only for small payloads), for every window size. */
static void round_trip(const uint8_t *data, size_t len, int opcode, int bits)
{
    ws_deflater_t *d = ws_deflater_new(bits, -1, bits < 12 ? 1 : 8);
    CHECK(d != NULL);
    size_t n = 0;
    uint8_t *f = ws_deflate_frame(d, opcode, data, len, &n);
    CHECK(f != NULL);
    CHECK_EQ_INT(f[0], 0x80 | WS_FRAME_RSV1 | opcode);
    buf_t want = BUF_INIT;
    expect(&want, WS_EV_MESSAGE, opcode, 0, data, len);
    for (size_t piece = 0; piece <= (len < 5000); piece++) {
        ws_inflater_t *z = ws_inflater_new(bits, piece, len);
        buf_t log = BUF_INIT;
        run(f, n, piece, &client_lim, z, &log);
        CHECK_EQ_MEM(log.data, log.len, want.data, want.len);
        buf_deinit(&log);
        ws_inflater_free(z);
    }
    buf_deinit(&want);
    free(f);
    ws_deflater_free(d);
}

TEST(test_round_trips)
{
    static const size_t sizes[] = {0, 1, 5, 63, 64, 125, 126, 1000, 65535, 65536, 200000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *text = make_data(sizes[i], true), *bin = make_data(sizes[i], false);
        CHECK(utf8_valid(text, sizes[i]));
        for (int bits = 8; bits <= 15; bits += sizes[i] > 1000 ? 7 : 1) {
            round_trip(text, sizes[i], WS_OP_TEXT, bits);
            round_trip(bin, sizes[i], WS_OP_BINARY, bits);
        }
        free(text);
        free(bin);
    }
    size_t big = 1 << 20; /* 1 MiB each */
    uint8_t *text = make_data(big, true), *bin = make_data(big, false);
    round_trip(text, big, WS_OP_TEXT, 15);
    round_trip(bin, big, WS_OP_BINARY, 15);
    free(text);
    free(bin);
    CHECK(!ws_deflate_worth(WS_DEFLATE_MIN_SIZE - 1) && ws_deflate_worth(WS_DEFLATE_MIN_SIZE));
}

/* A window of 8 is declared as 8 and compressed with zlib's 9: zlib's inflate with exactly
 * 256 bytes of window must take it, on data whose repeats are 251 to 511 bytes apart. */
TEST(test_window_8)
{
    uint8_t *src = make_data(20000, false);
    for (size_t i = 600; i < 20000; i++)
        src[i] = src[i - 251 - (i / 97) % 261];
    ws_deflater_t *d = ws_deflater_new(8, 9, 1);
    const uint8_t *c;
    size_t n;
    ws_deflater_t *d15 = ws_deflater_new(15, 9, 8);
    CHECK_EQ_INT(ws_deflater_message(d15, src, 20000, &c, &n), 0);
    CHECK(n < 5000); /* the data is full of repeats, but more than 250 bytes back */
    ws_deflater_free(d15);
    CHECK_EQ_INT(ws_deflater_message(d, src, 20000, &c, &n), 0);
    uint8_t *in = malloc(n + 4), *out = malloc(20001);
    if (in == NULL || out == NULL)
        abort();
    memcpy(in, c, n);
    memcpy(in + n, "\x00\x00\xff\xff", 4);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK_EQ_INT(inflateInit2(&zs, -8), Z_OK);
    zs.next_in = in;
    zs.avail_in = (uInt)(n + 4);
    zs.next_out = out;
    zs.avail_out = 20001;
    CHECK_EQ_INT(inflate(&zs, Z_SYNC_FLUSH), Z_OK);
    CHECK_EQ_MEM(out, 20001 - zs.avail_out, src, 20000);
    inflateEnd(&zs);
    CHECK(ws_deflater_new(7, -1, 8) == NULL && ws_deflater_new(16, -1, 8) == NULL);
    CHECK(ws_deflater_new(15, 10, 8) == NULL && ws_deflater_new(15, -1, 0) == NULL);
    ws_deflater_free(d);
    free(in);
    free(out);
    free(src);
}

/* A client compressing with a persistent context (zlib directly): one message, sync-flushed,
 * the tail stripped (RFC 7692 7.2.1). */
static void client_compress(z_stream *zs, const void *data, size_t len, buf_t *out)
{
    uint8_t buf[1 << 16];
    zs->next_in = (Bytef *)(uintptr_t)data;
    zs->avail_in = (uInt)len;
    size_t start = out->len;
    do {
        zs->next_out = buf;
        zs->avail_out = sizeof buf;
        CHECK(deflate(zs, Z_SYNC_FLUSH) != Z_STREAM_ERROR);
        buf_append(out, buf, sizeof buf - zs->avail_out);
    } while (zs->avail_out == 0);
    CHECK(out->len - start >= 4 && !memcmp(out->data + out->len - 4, "\x00\x00\xff\xff", 4));
    out->len -= 4;
    out->data[out->len] = '\0'; /* as buf.h keeps it */
}

/* Fragmented compressed messages from a context-keeping client, pings between fragments:
 * an inflater with takeover reads them all; a shared one (reset per message) fails on the
 * first message that refers back to an earlier one. */
TEST(test_context_takeover)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK_EQ_INT(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    static const char *const msgs[] = {
        "{\"type\":\"say\",\"channel\":\"general\",\"text\":\"hello everyone in general\"}",
        "{\"type\":\"say\",\"channel\":\"general\",\"text\":\"hello everyone in general!\"}",
        "{\"type\":\"say\",\"channel\":\"general\",\"text\":\"caf\xC3\xA9 \xE2\x82\xAC\"}"};
    buf_t w = BUF_INIT, want = BUF_INIT;
    for (size_t m = 0; m < 3; m++) {
        buf_t c = BUF_INIT;
        client_compress(&zs, msgs[m], strlen(msgs[m]), &c);
        size_t third = c.len / 3;
        add_frame(&w, WS_OP_TEXT, false, true, c.data, third);
        add_frame(&w, WS_OP_PING, true, false, "p1", 2);
        add_frame(&w, WS_OP_CONT, false, false, c.data + third, third);
        add_frame(&w, WS_OP_PONG, true, false, "", 0);
        add_frame(&w, WS_OP_CONT, true, false, c.data + 2 * third, c.len - 2 * third);
        expect(&want, WS_EV_PING, WS_OP_PING, 0, "p1", 2);
        expect(&want, WS_EV_PONG, WS_OP_PONG, 0, "", 0);
        expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, msgs[m], strlen(msgs[m]));
        buf_deinit(&c);
    }
    check_wire(w.data, w.len, &server_lim, true, &want);

    buf_reset(&want); /* the second message refers back into the first */
    expect(&want, WS_EV_PING, WS_OP_PING, 0, "p1", 2);
    expect(&want, WS_EV_PONG, WS_OP_PONG, 0, "", 0);
    expect(&want, WS_EV_MESSAGE, WS_OP_TEXT, 0, msgs[0], strlen(msgs[0]));
    expect(&want, WS_EV_PING, WS_OP_PING, 0, "p1", 2);
    expect(&want, WS_EV_PONG, WS_OP_PONG, 0, "", 0);
    expect(&want, WS_EV_ERROR, 0, WS_CLOSE_BAD_DATA, NULL, 0);
    check_wire(w.data, w.len, &server_lim, false, &want);
    deflateEnd(&zs);
    buf_deinit(&w);
    buf_deinit(&want);
}

/* ---- failures ---- */

TEST(test_bomb)
{
    size_t big = 4 << 20; /* 4 MiB of zeros: about 4 KiB compressed */
    uint8_t *zeros = calloc(1, big);
    ws_deflater_t *d = ws_deflater_new(15, 9, 8);
    const uint8_t *c;
    size_t n;
    CHECK_EQ_INT(ws_deflater_message(d, zeros, big, &c, &n), 0);
    CHECK(n < 8192);
    buf_t bomb = BUF_INIT;
    buf_append(&bomb, c, n);
    const uint8_t *bp = (const uint8_t *)bomb.data;

    static const size_t bounds[] = {0, 1, 1000, 65536, (4 << 20) - 1};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        ws_inflater_t *z = ws_inflater_new(15, i & 1, bounds[i]);
        const uint8_t *out;
        size_t len = 99;
        CHECK_EQ_INT(ws_inflater_message(z, bp, bomb.len, &out, &len), WS_DEFLATE_ERR_TOO_BIG);
        ws_event_t ev = {WS_EV_MESSAGE, WS_OP_BINARY, bp, bomb.len, 0, NULL, true};
        CHECK_EQ_INT(ws_inflate_event(z, &ev), -1);
        CHECK_EQ_INT(ev.type, WS_EV_ERROR);
        CHECK_EQ_INT(ev.code, WS_CLOSE_TOO_BIG);
        CHECK(ev.error != NULL);
        CHECK_EQ_INT(
            ws_inflater_message(z, (const uint8_t *)"\xf2\x48\xcd\xc9\xc9\x07\x00", 7, &out, &len),
            bounds[i] >= 5 ? 0 : WS_DEFLATE_ERR_TOO_BIG); /* usable again */
        ws_inflater_free(z);
    }
    /* The bound is exact: 4 MiB comes out of an inflater allowing 4 MiB. */
    ws_inflater_t *z = ws_inflater_new(15, false, big);
    const uint8_t *out;
    size_t len = 0;
    CHECK_EQ_INT(ws_inflater_message(z, bp, bomb.len, &out, &len), 0);
    CHECK_EQ_INT(len, big);
    CHECK(len == big && memcmp(out, zeros, big) == 0);
    ws_inflater_shrink(z);
    CHECK_EQ_INT(ws_inflater_message(z, bp, bomb.len, &out, &len), 0); /* after shrink */
    CHECK_EQ_INT(len, big);
    ws_inflater_free(z);

    /* Through the parser: 1009, whatever the split. */
    buf_t w = BUF_INIT, want = BUF_INIT;
    add_frame(&w, WS_OP_TEXT, true, true, bomb.data, bomb.len);
    expect(&want, WS_EV_ERROR, 0, WS_CLOSE_TOO_BIG, NULL, 0);
    for (size_t piece = 0; piece <= 1; piece++) {
        z = ws_inflater_new(15, false, 1 << 20);
        buf_t log = BUF_INIT;
        run(w.data, w.len, piece, &server_lim, z, &log);
        CHECK_EQ_MEM(log.data, log.len, want.data, want.len);
        buf_deinit(&log);
        ws_inflater_free(z);
    }
    buf_deinit(&w);
    buf_deinit(&want);
    buf_deinit(&bomb);
    free(zeros);
    ws_deflater_free(d);
}

/* Zero-output blocks cost input, not time: 20000 empty stored blocks (each a sync flush)
 * make an empty message. The last one's header byte is sent, its LEN and NLEN are the tail. */
TEST(test_many_empty_blocks)
{
    buf_t in = BUF_INIT;
    for (int i = 0; i < 20000; i++)
        buf_append(&in, "\x00\x00\x00\xff\xff", 5);
    buf_append(&in, "\x00", 1);
    ws_inflater_t *z = ws_inflater_new(15, true, 100);
    const uint8_t *out;
    size_t len = 1;
    CHECK_EQ_INT(ws_inflater_message(z, (const uint8_t *)in.data, in.len, &out, &len), 0);
    CHECK_EQ_INT(len, 0);
    CHECK(out != NULL);
    ws_inflater_free(z);
    buf_deinit(&in);
}

TEST(test_corrupt)
{
    static const struct {
        const char *what;
        size_t len;
        const char *data;
        int err;
    } cases[] = {
        {"reserved block type", 3, "\xff\xff\xff", WS_DEFLATE_ERR_DATA},
        {"stored length mismatch", 7, "\x00\x05\x00\x00\x00Hello", WS_DEFLATE_ERR_DATA},
        {"distance before the start", 3, "\x03\x02\x00", WS_DEFLATE_ERR_DATA},
        {"truncated: half of 'Hello'", 3, "\xf2\x48\xcd", WS_DEFLATE_ERR_DATA},
        {"truncated stored block", 8, "\x00\x05\x00\xfa\xff\x48\x65\x6c", WS_DEFLATE_ERR_DATA},
        {"a third stream after two final blocks", 12,
         "\xf3\x48\xcd\xc9\xc9\x07\x00\x03\x00\x00\x00\x00", WS_DEFLATE_ERR_DATA},
        {"BFINAL, then an empty final block: two streams", 9,
         "\xf3\x48\xcd\xc9\xc9\x07\x00\x03\x00", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int takeover = 0; takeover <= 1; takeover++) {
            ws_inflater_t *z = ws_inflater_new(15, takeover, 1 << 20);
            const uint8_t *out;
            size_t len;
            int e =
                ws_inflater_message(z, (const uint8_t *)cases[i].data, cases[i].len, &out, &len);
            CHECK_EQ_INT(e, cases[i].err);
            if (e != cases[i].err)
                fprintf(stderr, "  %s\n", cases[i].what);
            if (e == 0)
                CHECK_EQ_MEM(out, len, "Hello", 5);
            ws_event_t ev = {WS_EV_MESSAGE, WS_OP_TEXT, (const uint8_t *)cases[i].data,
                             cases[i].len,  0,          NULL,
                             true};
            CHECK_EQ_INT(ws_inflate_event(z, &ev), cases[i].err ? -1 : 0);
            CHECK_EQ_INT(ev.code, cases[i].err ? WS_CLOSE_BAD_DATA : 0);
            /* reset by the error: the next message inflates from nothing */
            CHECK_EQ_INT(ws_inflater_message(z, (const uint8_t *)"\xf2\x48\xcd\xc9\xc9\x07\x00", 7,
                                             &out, &len),
                         0);
            CHECK_EQ_MEM(out, len, "Hello", 5);
            ws_inflater_free(z);
        }
    }

    /* Valid DEFLATE, invalid UTF-8: 1007 for text, fine for binary. */
    ws_deflater_t *d = ws_deflater_new(15, -1, 8);
    size_t n = 0;
    uint8_t *f = ws_deflate_frame(d, WS_OP_TEXT, "ok \xED\xA0\x80 surrogate", 16, &n);
    buf_t want = BUF_INIT;
    expect(&want, WS_EV_ERROR, 0, WS_CLOSE_BAD_DATA, NULL, 0);
    check_wire(f, n, &client_lim, false, &want);
    f[0] = (uint8_t)(f[0] & ~0x0F) | WS_OP_BINARY;
    buf_reset(&want);
    expect(&want, WS_EV_MESSAGE, WS_OP_BINARY, 0, "ok \xED\xA0\x80 surrogate", 16);
    check_wire(f, n, &client_lim, false, &want);
    free(f);
    buf_deinit(&want);
    ws_deflater_free(d);

    ws_event_t ev = {WS_EV_MESSAGE, WS_OP_TEXT, (const uint8_t *)"\xFF", 1, 0, NULL, false};
    CHECK_EQ_INT(ws_inflate_event(NULL, &ev), 0); /* not compressed: left alone */
    CHECK(ev.type == WS_EV_MESSAGE && ev.len == 1);
}

/* Shrinking frees the buffers and, without takeover, zlib's state; all stay usable. */
TEST(test_shrink)
{
    ws_deflater_t *d = ws_deflater_new(15, -1, 8);
    ws_inflater_t *shared = ws_inflater_new(15, false, 1 << 20);
    ws_inflater_t *own = ws_inflater_new(12, true, 1 << 20);
    for (int round = 0; round < 3; round++) {
        const uint8_t *c, *out;
        size_t n, len;
        CHECK_EQ_INT(ws_deflater_message(d, "parley parley parley", 20, &c, &n), 0);
        buf_t copy = BUF_INIT;
        buf_append(&copy, c, n);
        CHECK_EQ_INT(ws_inflater_message(shared, (const uint8_t *)copy.data, copy.len, &out, &len),
                     0);
        CHECK_EQ_MEM(out, len, "parley parley parley", 20);
        CHECK_EQ_INT(ws_inflater_message(own, (const uint8_t *)copy.data, copy.len, &out, &len), 0);
        CHECK_EQ_MEM(out, len, "parley parley parley", 20);
        ws_deflater_shrink(d);
        ws_inflater_shrink(shared);
        ws_inflater_shrink(own);
        buf_deinit(&copy);
    }
    ws_deflater_free(d);
    ws_inflater_free(shared);
    ws_inflater_free(own);
    ws_deflater_free(NULL);
    ws_inflater_free(NULL);
}

int main(void)
{
    RUN(test_negotiate_default);
    RUN(test_negotiate_config);
    RUN(test_negotiate_prefixes);
    RUN(test_rfc_examples);
    RUN(test_round_trips);
    RUN(test_window_8);
    RUN(test_context_takeover);
    RUN(test_bomb);
    RUN(test_many_empty_blocks);
    RUN(test_corrupt);
    RUN(test_shrink);
    return TEST_MAIN_END();
}
