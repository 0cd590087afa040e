/* fuzz_inflate - libFuzzer target for ws/ws_deflate's inflater and deflater.
 *
 * Input layout:
 *   byte 0    configuration: bits 0-2 window bits (8 + b, 8..15); bits 3-5 output bound
 *             (0, 1, 64, 1000, 4096, 65536, 1 MiB, 16 MiB); bit 6 context takeover;
 *             bit 7 split the rest into two messages at the position named by byte 1
 *   byte 1    split point (len * b / 256) when bit 7 is set
 *   the rest  compressed message payload(s), as a client would send them after RFC 7692 7.2.1
 *
 * Checked (abort() on a violation):
 *   - no crash, no leak, no read past the input (ASan);
 *   - every result is 0 or one of the three documented errors; on 0 the output is non-NULL
 *     and at most the bound; all its bytes are readable;
 *   - deterministic: a second inflater fed the same messages gives the same codes and bytes;
 *     and without takeover a shared inflater that has just inflated something else (and, on
 *     every other input, been shrunk) gives the same result as a fresh one;
 *   - ws_inflate_event agrees with ws_inflater_message (1009 / 1007 / 1011 for the errors,
 *     and text passes only as valid UTF-8);
 *   - round trip: the raw input, deflated with the configured window (fresh context), then
 *     inflated with a bound of its length, gives the input back exactly, and an inflater
 *     with an exact window of 8..15 (zlib's own check of distances) accepts it.
 * No state is kept between inputs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/utf8.h"
#include "ws/ws_deflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    int rc;
    uint8_t *out;
    size_t len;
} result_t;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_inflate: %s\n", what);
    abort();
}

/* Inflates one message into an owned copy of the result, checking the contract. */
static result_t inflate_one(ws_inflater_t *z, const uint8_t *in, size_t len, size_t bound)
{
    uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
    if (!copy)
        abort();
    if (len)
        memcpy(copy, in, len);
    const uint8_t *out = NULL;
    size_t n = 0;
    result_t r = {ws_inflater_message(z, copy, len, &out, &n), NULL, 0};
    if (r.rc != 0 && r.rc != WS_DEFLATE_ERR_TOO_BIG && r.rc != WS_DEFLATE_ERR_DATA &&
        r.rc != WS_DEFLATE_ERR_NOMEM)
        fail("undocumented return code");
    if (r.rc == 0) {
        if (!out)
            fail("NULL output");
        if (n > bound)
            fail("output over the bound");
        r.out = malloc(n ? n : 1);
        if (!r.out)
            abort();
        if (n)
            memcpy(r.out, out, n); /* reads every byte */
        r.len = n;
    }
    free(copy);
    return r;
}

static bool same(const result_t *a, const result_t *b)
{
    return a->rc == b->rc && a->len == b->len && (a->len == 0 || !memcmp(a->out, b->out, a->len));
}

/* ws_inflate_event on a fresh inflater must say what ws_inflater_message said. */
static void check_event(int bits, bool takeover, size_t bound, const uint8_t *in, size_t len,
                        const result_t *want, int opcode)
{
    ws_inflater_t *z = ws_inflater_new(bits, takeover, bound);
    if (!z)
        abort();
    ws_event_t ev = {WS_EV_MESSAGE, opcode, len ? in : (const uint8_t *)"", len, 0, NULL, true};
    int rc = ws_inflate_event(z, &ev);
    static const uint16_t codes[] = {0, WS_CLOSE_INTERNAL, WS_CLOSE_TOO_BIG, WS_CLOSE_BAD_DATA};
    if (want->rc != 0) {
        if (rc != -1 || ev.type != WS_EV_ERROR || ev.code != codes[-want->rc] || !ev.error)
            fail("ws_inflate_event disagrees on an error");
    } else if (opcode == WS_OP_TEXT && !utf8_valid(want->out, want->len)) {
        if (rc != -1 || ev.type != WS_EV_ERROR || ev.code != WS_CLOSE_BAD_DATA)
            fail("invalid UTF-8 text passed");
    } else if (rc != 0 || ev.type != WS_EV_MESSAGE || ev.compressed || ev.len != want->len ||
               (ev.len && memcmp(ev.data, want->out, ev.len))) {
        fail("ws_inflate_event disagrees on a message");
    }
    ws_inflater_free(z);
}

/* An exact window (inflateInit2 with 8..15) must accept what our deflater wrote with it. */
static void check_exact_window(int bits, const uint8_t *c, size_t n, size_t want)
{
    uint8_t *in = malloc(n + 4), *out = malloc(want + 1);
    if (!in || !out)
        abort();
    memcpy(in, c, n);
    memcpy(in + n, "\x00\x00\xff\xff", 4);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -bits) != Z_OK)
        abort();
    zs.next_in = in;
    zs.avail_in = (uInt)(n + 4);
    zs.next_out = out;
    zs.avail_out = (uInt)(want + 1);
    int r = inflate(&zs, Z_SYNC_FLUSH);
    if ((r != Z_OK && r != Z_BUF_ERROR) || zs.avail_out != 1)
        fail("our deflater's output needs a larger window than it declared");
    inflateEnd(&zs);
    free(in);
    free(out);
}

static void round_trip(int bits, const uint8_t *in, size_t len)
{
    ws_deflater_t *d = ws_deflater_new(bits, (int)(len % 11) - 1, 1 + (int)(len % 9));
    if (!d)
        abort();
    const uint8_t *c;
    size_t n;
    if (ws_deflater_message(d, in, len, &c, &n) != 0)
        abort(); /* only out of memory */
    if (n == 0)
        fail("empty compressed message");
    ws_inflater_t *z = ws_inflater_new(bits, false, len);
    if (!z)
        abort();
    result_t r = inflate_one(z, c, n, len);
    if (r.rc != 0 || r.len != len || (len && memcmp(r.out, in, len)))
        fail("deflate then inflate does not give the input back");
    check_exact_window(bits, c, n, len);
    free(r.out);
    ws_inflater_free(z);
    ws_deflater_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t bounds[8] = {0, 1, 64, 1000, 4096, 65536, 1 << 20, 16 << 20};
    if (size < 2)
        return 0;
    int bits = 8 + (data[0] & 7);
    size_t bound = bounds[(data[0] >> 3) & 7];
    bool takeover = data[0] & 0x40;
    const uint8_t *s = data + 2;
    size_t len = size - 2;
    size_t cut = data[0] & 0x80 ? len * data[1] / 256 : len;
    const uint8_t *msg[2] = {s, s + cut};
    size_t mlen[2] = {cut, len - cut};
    int nmsg = data[0] & 0x80 ? 2 : 1;

    /* Two inflaters, the same messages: the same results. */
    ws_inflater_t *a = ws_inflater_new(bits, takeover, bound);
    ws_inflater_t *b = ws_inflater_new(bits, takeover, bound);
    if (!a || !b)
        abort();
    for (int m = 0; m < nmsg; m++) {
        result_t ra = inflate_one(a, msg[m], mlen[m], bound);
        result_t rb = inflate_one(b, msg[m], mlen[m], bound);
        if (!same(&ra, &rb))
            fail("two inflaters disagree");
        if (m == 0) {
            check_event(bits, takeover, bound, msg[m], mlen[m], &ra, WS_OP_TEXT);
            check_event(bits, takeover, bound, msg[m], mlen[m], &ra, WS_OP_BINARY);
        }
        if (!takeover) { /* a shared inflater carries nothing over: a fresh one agrees */
            ws_inflater_t *f = ws_inflater_new(bits, false, bound);
            if (!f)
                abort();
            result_t rf = inflate_one(f, msg[m], mlen[m], bound);
            if (!same(&ra, &rf))
                fail("a shared inflater depends on its previous message");
            free(rf.out);
            ws_inflater_free(f);
            if (data[1] & 1)
                ws_inflater_shrink(a);
        }
        free(ra.out);
        free(rb.out);
    }
    ws_inflater_free(a);
    ws_inflater_free(b);

    round_trip(bits, s, len);
    return 0;
}
