/* ws_frame - RFC 6455 frame parser and builders.
 *
 * The parser is a small state machine over the byte stream:
 *
 *   HEADER   collecting the 2..14 header bytes into hdr[]. The first two bytes are checked
 *            as soon as they are in (RSV bits, opcode, control frame rules, fragmentation
 *            order, mask), the length and the limits as soon as the length is in, so a
 *            frame is refused before any of its payload is buffered.
 *   PAYLOAD  consuming frame_len payload bytes. A whole control frame, or a whole
 *            unfragmented data frame, found inside the caller's input is unmasked in place
 *            and reported from there. Otherwise the bytes are copied into buf and unmasked
 *            there: data frames appended to the message, a control frame's payload just
 *            past the message's bytes, so it may come between fragments (RFC 6455 5.4).
 *   CLOSED / FAILED  terminal, after a close frame or a protocol error.
 *
 * Invariants:
 * - msg_op != 0 exactly while a data message is in progress: from the header of its first
 *   frame to the end of its FIN frame. buf[0..buf_len) holds its payload so far (nothing
 *   when the message travels zero-copy), and buf_len <= limits->max_message.
 * - Control frames never touch buf[0..buf_len), buf_len, msg_op or utf8, so they may arrive
 *   between fragments. A split control payload is collected at buf[buf_len..) (growing buf
 *   may move it, with the message's bytes); once its event is over, the message's next
 *   bytes overwrite it. So no payload is ever held inline in the parser.
 * - Text is validated as the bytes arrive (utf8 state spans the message's frames), so an
 *   invalid byte fails the connection before the rest of the message is read (RFC 6455 8.1).
 *   A compressed message (RSV1 on its first frame, deflate negotiated) is not: its bytes are
 *   DEFLATE data, and its text is checked once inflated (ws_deflate.c).
 * - compressed is meaningful only while msg_op != 0 and in the MESSAGE event that ends it.
 * - One event per feed call; an event's data stays put until the next call.
 * - buf_cap bytes are taken from limits->budget while buf is held: every growth takes first
 *   (reserve), every free gives it all back (release). */
#include "ws/ws_frame.h"

#include <stdlib.h>
#include <string.h>

enum { ST_HEADER, ST_PAYLOAD, ST_CLOSED, ST_FAILED };

static const uint8_t empty[1];

static bool is_control(int opcode)
{
    return (opcode & 0x8) != 0;
}

/* XORs n bytes with the 4-byte mask, starting at payload offset off (RFC 6455 5.3). Works
 * eight bytes at a time with the mask repeated twice, rotated to the offset; the byte order
 * of the word does not matter since data and mask are loaded the same way. */
static void apply_mask(uint8_t *d, size_t n, const uint8_t mask[4], uint64_t off)
{
    uint8_t m[8];
    for (size_t i = 0; i < 8; i++)
        m[i] = mask[(off + i) & 3];
    uint64_t mw, w;
    memcpy(&mw, m, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, d + i, 8);
        w ^= mw;
        memcpy(d + i, &w, 8);
    }
    for (; i < n; i++)
        d[i] ^= m[i & 7];
}

/* Reports an event of the current frame (control) or of the message ending with it. */
static void emit(const ws_parser_t *p, ws_event_t *ev, ws_ev_type_t type, const uint8_t *data,
                 size_t len)
{
    ev->type = type;
    ev->opcode = type == WS_EV_MESSAGE ? p->msg_op : p->opcode;
    ev->data = len ? data : empty;
    ev->len = len;
}

/* Marks p failed and reports it. Always returns -1 so callers can `return fail(...)`. */
static int fail(ws_parser_t *p, ws_event_t *ev, uint16_t code, const char *text)
{
    p->state = ST_FAILED;
    p->error_code = code;
    p->error = text;
    ev->type = WS_EV_ERROR;
    ev->code = code;
    ev->error = text;
    return -1;
}

/* Grows buf to hold at least need bytes: doubling, but not past max_message unless need is
 * (need is within it for data, checked at the header; a split control payload may take up
 * to 125 bytes more). The growth is taken from the budget first, so buf_cap is always what
 * this parser holds of it. Returns -1 when out of memory, -2 when the budget refuses. */
static int reserve(ws_parser_t *p, size_t need)
{
    if (need <= p->buf_cap)
        return 0;
    size_t cap = p->buf_cap ? p->buf_cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > p->limits->max_message)
        cap = need > p->limits->max_message ? need : p->limits->max_message;
    if (!budget_take(p->limits->budget, cap - p->buf_cap, cap))
        return -2;
    uint8_t *b = realloc(p->buf, cap);
    if (b == NULL) {
        budget_give(p->limits->budget, cap - p->buf_cap);
        return -1;
    }
    p->buf = b;
    p->buf_cap = cap;
    return 0;
}

/* Frees buf and gives its bytes back to the budget. */
static void release(ws_parser_t *p)
{
    if (p->limits)
        budget_give(p->limits->budget, p->buf_cap);
    free(p->buf);
    p->buf = NULL;
    p->buf_len = p->buf_cap = 0;
}

/* Checks the first two header bytes (RFC 6455 5.2, 5.4, 5.5) and sizes the rest. */
static int check_start(ws_parser_t *p, ws_event_t *ev)
{
    uint8_t b0 = p->hdr[0], b1 = p->hdr[1], len7 = b1 & 0x7F;
    p->fin = (b0 & 0x80) != 0;
    p->opcode = b0 & 0x0F;
    p->masked = (b1 & 0x80) != 0;
    /* RSV2-3 mean nothing to us; RSV1 only with permessage-deflate (RFC 6455 5.2). */
    if (b0 & 0x30 || (b0 & WS_FRAME_RSV1 && !p->deflate))
        return fail(p, ev, WS_CLOSE_PROTOCOL, "reserved bits set");
    switch (p->opcode) {
    case WS_OP_CONT:
        if (p->msg_op == 0)
            return fail(p, ev, WS_CLOSE_PROTOCOL, "continuation frame without a message");
        if (b0 & WS_FRAME_RSV1) /* RFC 7692 6.1: only a message's first frame carries it */
            return fail(p, ev, WS_CLOSE_PROTOCOL, "RSV1 set on a continuation frame");
        break;
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        if (p->msg_op != 0)
            return fail(p, ev, WS_CLOSE_PROTOCOL, "new message inside a fragmented one");
        break;
    case WS_OP_CLOSE:
    case WS_OP_PING:
    case WS_OP_PONG:
        if (!p->fin)
            return fail(p, ev, WS_CLOSE_PROTOCOL, "fragmented control frame");
        if (len7 > WS_MAX_CONTROL)
            return fail(p, ev, WS_CLOSE_PROTOCOL, "control frame over 125 bytes");
        if (b0 & WS_FRAME_RSV1) /* RFC 7692 6: control frames are never compressed */
            return fail(p, ev, WS_CLOSE_PROTOCOL, "RSV1 set on a control frame");
        break;
    default:
        return fail(p, ev, WS_CLOSE_PROTOCOL, "unknown opcode");
    }
    if (!p->masked && p->limits->require_mask)
        return fail(p, ev, WS_CLOSE_PROTOCOL, "unmasked client frame");
    p->len_end = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0));
    return 0;
}

/* Decodes the payload length, checks it against the encoding rules and the limits. */
static int check_length(ws_parser_t *p, ws_event_t *ev)
{
    uint64_t n = p->hdr[1] & 0x7F;
    if (n == 126) {
        n = (uint64_t)p->hdr[2] << 8 | p->hdr[3];
        if (n < 126) /* RFC 6455 5.2: the minimal number of bytes MUST be used */
            return fail(p, ev, WS_CLOSE_PROTOCOL, "length not minimally encoded");
    } else if (n == 127) {
        n = 0;
        for (size_t i = 2; i < 10; i++)
            n = n << 8 | p->hdr[i];
        if (n >> 63)
            return fail(p, ev, WS_CLOSE_PROTOCOL, "64-bit length with the top bit set");
        if (n <= 0xFFFF)
            return fail(p, ev, WS_CLOSE_PROTOCOL, "length not minimally encoded");
    }
    p->frame_len = n;
    p->frame_done = 0;
    if (is_control(p->opcode))
        return 0;
    if (n > p->limits->max_frame)
        return fail(p, ev, WS_CLOSE_TOO_BIG, "frame over the size limit");
    size_t have = p->msg_op ? p->buf_len : 0;
    if (n > p->limits->max_message - have)
        return fail(p, ev, WS_CLOSE_TOO_BIG, "message over the size limit");
    return 0;
}

/* A close frame's payload: empty, or a valid code and a UTF-8 reason (RFC 6455 5.5.1). */
static void on_close(ws_parser_t *p, ws_event_t *ev, const uint8_t *data, size_t len)
{
    if (len == 1) {
        fail(p, ev, WS_CLOSE_PROTOCOL, "close payload of one byte");
        return;
    }
    uint16_t code = WS_CLOSE_NO_STATUS;
    if (len >= 2) {
        code = (uint16_t)(data[0] << 8 | data[1]);
        if (!ws_close_code_valid(code)) {
            fail(p, ev, WS_CLOSE_PROTOCOL, "invalid close code");
            return;
        }
        if (!utf8_valid(data + 2, len - 2)) {
            fail(p, ev, WS_CLOSE_BAD_DATA, "close reason is not UTF-8");
            return;
        }
        data += 2;
        len -= 2;
    }
    p->state = ST_CLOSED;
    emit(p, ev, WS_EV_CLOSE, data, len);
    ev->code = code;
}

/* The current frame's payload is all in: data/len is the control payload, or the whole
 * message when a FIN data frame ends one. */
static void on_frame_end(ws_parser_t *p, ws_event_t *ev, const uint8_t *data, size_t len)
{
    p->state = ST_HEADER;
    p->hdr_len = 0;
    p->len_end = 2;
    switch (p->opcode) {
    case WS_OP_PING:
        emit(p, ev, WS_EV_PING, data, len);
        return;
    case WS_OP_PONG:
        emit(p, ev, WS_EV_PONG, data, len);
        return;
    case WS_OP_CLOSE:
        on_close(p, ev, data, len);
        return;
    default:
        break;
    }
    if (!p->fin)
        return;
    if (p->msg_op == WS_OP_TEXT && !p->compressed && !utf8_complete(&p->utf8)) {
        fail(p, ev, WS_CLOSE_BAD_DATA, "text message ends inside a UTF-8 sequence");
        return;
    }
    emit(p, ev, WS_EV_MESSAGE, data, len);
    ev->compressed = p->compressed;
    p->msg_op = 0;
    p->buf_len = 0; /* the data stays in buf until the next feed writes over it */
}

/* The header is complete and valid: start the frame (and the message, for TEXT/BINARY). */
static void on_header_end(ws_parser_t *p, ws_event_t *ev)
{
    if (p->masked)
        memcpy(p->mask, p->hdr + p->len_end, 4);
    if (p->opcode == WS_OP_TEXT || p->opcode == WS_OP_BINARY) {
        p->msg_op = p->opcode;
        p->compressed = (p->hdr[0] & WS_FRAME_RSV1) != 0; /* checked: deflate is on */
        p->buf_len = 0;
        utf8_init(&p->utf8);
    }
    p->state = ST_PAYLOAD;
    if (p->frame_len == 0)
        on_frame_end(p, ev, p->buf, is_control(p->opcode) ? 0 : p->buf_len);
}

/* The whole header's size, once its first two bytes are in (len_end is 2 until then, and
 * hdr_len is 1 at most: masked may still be the last frame's). */
static size_t header_size(const ws_parser_t *p)
{
    return (size_t)p->len_end + (p->masked ? 4 : 0);
}

/* Takes header bytes one at a time (at most 14), checking each part as soon as it is in:
 * the first two bytes, then the extended length, then the mask ends the header. */
static size_t read_header(ws_parser_t *p, const uint8_t *in, size_t len, ws_event_t *ev)
{
    size_t n = 0;
    while (n < len) {
        p->hdr[p->hdr_len++] = in[n++];
        if (p->hdr_len == 2 && check_start(p, ev) < 0)
            return n;
        if (p->hdr_len == p->len_end && check_length(p, ev) < 0)
            return n;
        if (p->hdr_len == header_size(p)) {
            on_header_end(p, ev);
            return n;
        }
    }
    return n;
}

/* Consumes payload bytes of the current frame, at most len. */
static size_t read_payload(ws_parser_t *p, uint8_t *in, size_t len, ws_event_t *ev)
{
    uint64_t left = p->frame_len - p->frame_done;
    size_t n = left < len ? (size_t)left : len;
    bool control = is_control(p->opcode);
    bool text = !control && p->msg_op == WS_OP_TEXT && !p->compressed;
    uint8_t *dst = in;
    bool zero_copy =
        p->frame_done == 0 && n == left && (control || (p->fin && p->opcode != WS_OP_CONT));
    if (!zero_copy) {
        /* A control payload (at most 125 bytes) goes past the message's bytes and leaves
         * buf_len alone: the message goes on after it. */
        size_t at = p->buf_len + (control ? (size_t)p->frame_done : 0);
        int r = reserve(p, at + n);
        if (r < 0) {
            if (r == -2)
                fail(p, ev, WS_CLOSE_TRY_AGAIN, "input budget spent: try again later");
            else
                fail(p, ev, WS_CLOSE_INTERNAL, "out of memory");
            return n;
        }
        dst = p->buf + at;
        memcpy(dst, in, n);
        if (!control)
            p->buf_len += n;
    }
    if (p->masked)
        apply_mask(dst, n, p->mask, p->frame_done);
    p->frame_done += n;
    if (text && utf8_feed(&p->utf8, dst, n) < 0) {
        fail(p, ev, WS_CLOSE_BAD_DATA, "invalid UTF-8 in a text message");
        return n;
    }
    if (p->frame_done < p->frame_len)
        return n;
    if (zero_copy)
        on_frame_end(p, ev, in, n);
    else if (control)
        on_frame_end(p, ev, p->buf + p->buf_len, (size_t)p->frame_len);
    else
        on_frame_end(p, ev, p->buf, p->buf_len);
    return n;
}

void ws_parser_init(ws_parser_t *p, const ws_limits_t *limits)
{
    memset(p, 0, sizeof *p);
    p->limits = limits;
    p->state = ST_HEADER;
    p->len_end = 2;
    utf8_init(&p->utf8);
}

void ws_parser_set_deflate(ws_parser_t *p, bool on)
{
    p->deflate = on;
}

void ws_parser_deinit(ws_parser_t *p)
{
    release(p);
}

size_t ws_parser_feed(ws_parser_t *p, uint8_t *in, size_t len, ws_event_t *ev)
{
    *ev = (ws_event_t){.type = WS_EV_NONE};
    if (p->state == ST_FAILED) {
        fail(p, ev, p->error_code, p->error);
        return 0;
    }
    size_t pos = 0;
    while (pos < len && ev->type == WS_EV_NONE && p->state != ST_CLOSED) {
        if (p->state == ST_HEADER)
            pos += read_header(p, in + pos, len - pos, ev);
        else
            pos += read_payload(p, in + pos, len - pos, ev);
    }
    return pos;
}

void ws_parser_shrink(ws_parser_t *p)
{
    bool live = p->state == ST_HEADER || p->state == ST_PAYLOAD;
    bool control_part = p->state == ST_PAYLOAD && is_control(p->opcode) && p->frame_done > 0;
    if ((live && p->msg_op != 0) || control_part)
        return;
    release(p);
}

bool ws_parser_in_message(const ws_parser_t *p)
{
    return p->msg_op != 0;
}

bool ws_parser_partial(const ws_parser_t *p)
{
    bool live = p->state == ST_HEADER || p->state == ST_PAYLOAD;
    return live && (p->msg_op != 0 || p->state == ST_PAYLOAD || p->hdr_len > 0);
}

size_t ws_frame_header(uint8_t out[WS_MAX_HEADER], int opcode, bool fin, uint64_t payload_len,
                       const uint8_t *mask)
{
    uint8_t mask_bit = mask ? 0x80 : 0;
    size_t n;
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    if (payload_len < 126) {
        out[1] = (uint8_t)(mask_bit | payload_len);
        n = 2;
    } else if (payload_len <= 0xFFFF) {
        out[1] = mask_bit | 126;
        out[2] = (uint8_t)(payload_len >> 8);
        out[3] = (uint8_t)payload_len;
        n = 4;
    } else {
        out[1] = mask_bit | 127;
        for (size_t i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(payload_len >> (56 - 8 * i));
        n = 10;
    }
    if (mask) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

uint8_t *ws_frame_build(int opcode, bool fin, const void *payload, size_t len, const uint8_t *mask,
                        size_t *out_len)
{
    uint8_t hdr[WS_MAX_HEADER];
    size_t h = ws_frame_header(hdr, opcode, fin, len, mask);
    if (len > SIZE_MAX - h)
        return NULL;
    uint8_t *out = malloc(h + len);
    if (out == NULL)
        return NULL;
    memcpy(out, hdr, h);
    if (len) {
        memcpy(out + h, payload, len);
        if (mask)
            apply_mask(out + h, len, mask, 0);
    }
    *out_len = h + len;
    return out;
}

size_t ws_close_payload(uint8_t out[WS_MAX_CONTROL], uint16_t code, const char *reason)
{
    if (code == 0 || code == WS_CLOSE_NO_STATUS || code == WS_CLOSE_ABNORMAL || code == 1015)
        return 0;
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    /* Scan at most one byte past the room (123 bytes), to see whether the reason is cut. */
    size_t n = 0;
    while (reason && n <= WS_MAX_CONTROL - 2 && reason[n] != '\0')
        n++;
    if (n > WS_MAX_CONTROL - 2) {
        n = WS_MAX_CONTROL - 2;
        /* reason[n] is the first byte left out; if it continues a sequence, leave out that
         * sequence's earlier bytes too. */
        while (n > 0 && ((uint8_t)reason[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(out + 2, reason, n);
    return 2 + n;
}

bool ws_close_code_valid(uint16_t code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}
