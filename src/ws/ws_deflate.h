/* ws_deflate - permessage-deflate (RFC 7692): the handshake negotiation, and the inflater
 * and deflater of whole messages, over zlib's raw DEFLATE. No I/O, no logging; running out
 * of memory is returned as an error.
 *
 * How the server uses it:
 *   - handshake: ws_deflate_negotiate on the Sec-WebSocket-Extensions value; when it accepts,
 *     send its response value and ws_parser_set_deflate(parser, true).
 *   - receiving: a MESSAGE event with ev->compressed goes through ws_inflate_event, which
 *     inflates it (bounded) and checks text for UTF-8, or turns it into the ERROR to close
 *     with. With client_no_context_takeover (the default here) every message inflates from
 *     an empty window, so ONE inflater serves every connection of the loop, since messages
 *     are handled one at a time; with client context takeover each connection owns one.
 *   - sending: every message is compressed on its own, from a fresh context (we always
 *     declare server_no_context_takeover, RFC 7692 7.1.1.1), so a broadcast is compressed
 *     ONCE per loop and the same frame bytes go to every recipient whose connection agreed
 *     on the same window (all of them, unless a client asks for server_max_window_bits).
 *
 * Memory (zlib 1.2.x figures, zconf.h):
 *   - deflater: (1 << (window_bits + 2)) + (1 << (mem_level + 9)) bytes + ~6 KiB: 262 KiB at
 *     window 15 / mem_level 8, 135 KiB at mem_level 1, + the output buffer (the largest
 *     message compressed since ws_deflater_shrink). One per loop (per window size used).
 *   - inflater: 1 << window_bits (32 KiB at 15) + ~7 KiB of zlib state, + the output buffer
 *     (at most max_output + 1 bytes, until ws_inflater_shrink).
 *   - per connection: nothing when the client does not keep context (the shared inflater is
 *     the loop's); with client context takeover, one inflater from the first compressed
 *     message to the close: ~7 KiB + 2^client_window_bits (~39 KiB at 15, ~8 KiB at 9)
 *     + 160 bytes, and its output buffer between ws_inflater_shrink calls. */
#ifndef PARLEY_WS_DEFLATE_H
#define PARLEY_WS_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws/ws_frame.h"

/* Return codes of the inflater and deflater (0 is success). */
enum {
    WS_DEFLATE_ERR_NOMEM = -1,   /* out of memory: close 1011 */
    WS_DEFLATE_ERR_TOO_BIG = -2, /* inflated message over max_output: close 1009 */
    WS_DEFLATE_ERR_DATA = -3     /* not a valid DEFLATE message: close 1007 */
};

/* Messages shorter than this are not worth compressing: the DEFLATE overhead (3 to 10 bytes,
 * more with a dynamic Huffman block) eats most of the gain on a short chat message. */
#define WS_DEFLATE_MIN_SIZE 64

/* Room for the longest response ws_deflate_negotiate writes, NUL included. */
#define WS_DEFLATE_RESPONSE_MAX 160

/* What we are willing to do. */
typedef struct {
    bool enabled;                    /* false: every offer is declined */
    uint8_t server_max_window_bits;  /* 8..15: the largest window we compress with */
    uint8_t client_max_window_bits;  /* 8..15: the largest window we let a client use, when
                                        its offer lets us choose (client_max_window_bits) */
    bool server_no_context_takeover; /* declare it even when not asked (we never keep context
                                        anyway): lets the client drop its window */
    bool client_no_context_takeover; /* impose it (RFC 7692 7.1.1.2) so that no connection
                                        needs its own inflater; costs ratio on the client's
                                        messages, which are short chat lines anyway */
} ws_deflate_config_t;

/* enabled, windows 15/15, both no_context_takeover. */
#define WS_DEFLATE_CONFIG_DEFAULT                                                                  \
    {                                                                                              \
        true, 15, 15, true, true                                                                   \
    }

/* What was agreed for one connection. */
typedef struct {
    bool enabled;                    /* an offer was accepted: the parser must allow RSV1 */
    uint8_t server_window_bits;      /* 8..15: compress this connection's messages with at most
                                        this window (ws_deflater_new's window_bits) */
    uint8_t client_window_bits;      /* 8..15: the client's window: ws_inflater_new's */
    bool server_no_context_takeover; /* declared in the response */
    bool client_no_context_takeover; /* the client resets per message: a shared inflater */
} ws_deflate_params_t;

/* Reads the Sec-WebSocket-Extensions value value[0..len) (borrowed, need not be
 * NUL-terminated; several header lines joined with ", "), a list of offers in preference
 * order (RFC 6455 9.1), and accepts the first permessage-deflate offer we can honour:
 *
 *   - an offer with an unknown parameter, a parameter given twice, a value where none is
 *     allowed or a missing or invalid one (window bits: 8..15, decimal, no leading zero,
 *     quoted or not) is declined (RFC 7692 7), and the next one considered. A malformed
 *     element (bad token, unterminated quote) is skipped likewise; never a crash.
 *   - server_no_context_takeover is always honoured (we never keep context) and declared
 *     whenever cfg asks for it too. client_no_context_takeover is declared when offered or
 *     when cfg imposes it.
 *   - server_max_window_bits=N: answered with min(N, cfg's). A window of 8 is accepted and
 *     declared as 8, though zlib cannot compress raw DEFLATE with 256 bytes of window and
 *     uses 512 instead: that is safe, since zlib's deflate never matches further back than
 *     the window minus 262 bytes (MAX_DIST), i.e. 250 bytes, within the 256 the client keeps.
 *     Not offered: not declared, and cfg's window is used (the client inflates with 32 KiB).
 *   - client_max_window_bits (value optional): answered with min(value or 15, cfg's). Not
 *     offered: not answered (RFC 7692 7.1.2.2: MUST NOT), and the client may use 15.
 *
 * Returns true when an offer was accepted: *params is filled and resp (the caller's,
 * WS_DEFLATE_RESPONSE_MAX bytes) holds the NUL-terminated response value, e.g.
 * "permessage-deflate; server_no_context_takeover; client_max_window_bits=15". Returns
 * false otherwise (no offer, none acceptable, cfg disabled or value NULL): params->enabled
 * is false, resp is "", and the response carries no Sec-WebSocket-Extensions. */
bool ws_deflate_negotiate(const ws_deflate_config_t *cfg, const char *value, size_t len,
                          ws_deflate_params_t *params, char resp[WS_DEFLATE_RESPONSE_MAX]);

/* ---- inflater: one whole compressed message at a time ---- */

typedef struct ws_inflater ws_inflater_t;

/* Creates an inflater for a peer whose window is window_bits (8..15; values below 9 are
 * raised to 9, larger windows than the peer's are always safe; a shared inflater takes 15).
 * takeover: keep the window from one message to the next (the peer's context takeover,
 * i.e. !params.client_no_context_takeover); an inflater without it may be shared by any
 * number of connections. max_output bounds every inflated message. Allocates only its small
 * struct: zlib's state comes with the first message. Returns NULL when out of memory. */
ws_inflater_t *ws_inflater_new(int window_bits, bool takeover, size_t max_output);

/* Frees z and everything it holds. NULL is ignored. */
void ws_inflater_free(ws_inflater_t *z);

/* Inflates one whole message: in[0..len) (borrowed) is its payload as received, all its
 * frames together, with the 0x00 0x00 0xff 0xff tail that RFC 7692 7.2.1 had the sender strip;
 * it is put back here (7.2.2). An empty payload is an empty message.
 *
 * Returns 0 and points *out at the *out_len inflated bytes, in z's buffer (never NULL), valid
 * until the next call on z; or one of:
 *   WS_DEFLATE_ERR_TOO_BIG  more than max_output bytes would come out. Inflating stops as soon
 *                           as the bound is passed: a bomb costs at most max_output + 1 bytes.
 *   WS_DEFLATE_ERR_DATA     not DEFLATE data, a message ending inside a block, or a third
 *                           stream (a final block may be followed by one more stream, as
 *                           in RFC 7692 7.2.3.4: a final block, then an empty stored block).
 *   WS_DEFLATE_ERR_NOMEM    out of memory.
 * The work is linear in len + max_output: each zlib call consumes input or produces output,
 * and a final (BFINAL) block may restart the stream at most once per message.
 * On any error z is reset to a fresh state: with takeover the connection is to be closed;
 * without, z goes on serving the other connections. */
int ws_inflater_message(ws_inflater_t *z, const uint8_t *in, size_t len, const uint8_t **out,
                        size_t *out_len);

/* Frees z's output buffer, and its zlib state too unless z keeps context between messages:
 * an idle shared inflater then holds its 160-byte struct. Invalidates the last *out. */
void ws_inflater_shrink(ws_inflater_t *z);

/* Completes a MESSAGE event of the parser: when ev->compressed, inflates ev->data with z,
 * checks a text message for UTF-8 (RFC 6455 8.1: the parser could not, on compressed
 * bytes), and replaces ev->data/len with the result (valid until the next call on z) and
 * clears ev->compressed; returns 0. On failure, turns *ev into the WS_EV_ERROR to close
 * with (1009 too big, 1007 bad DEFLATE data or bad UTF-8, 1011 out of memory; static text)
 * and returns -1; the parser itself is not failed, but the caller closes anyway. An event
 * that is not compressed is left alone (0). */
int ws_inflate_event(ws_inflater_t *z, ws_event_t *ev);

/* ---- deflater: one whole message at a time, each from a fresh context ---- */

typedef struct ws_deflater ws_deflater_t;

/* Creates a deflater. window_bits 8..15 (8 compresses with 9: see ws_deflate_negotiate),
 * level 0..9 or -1 for zlib's default (6), mem_level 1..9 (zlib's default 8: 1 saves 127 KiB
 * of state for a few percent of ratio). Allocates only its small struct: zlib's state comes
 * with the first message. Returns NULL when out of memory or for values out of range. */
ws_deflater_t *ws_deflater_new(int window_bits, int level, int mem_level);

/* Frees d and everything it holds. NULL is ignored. */
void ws_deflater_free(ws_deflater_t *d);

/* True when a payload of len bytes is worth compressing (len >= WS_DEFLATE_MIN_SIZE). The
 * choice is per message (RFC 7692 6: RSV1 says which), so the caller may also send the
 * plain frame when compressing did not make it smaller. */
bool ws_deflate_worth(size_t len);

/* Compresses in[0..len) (borrowed; NULL when len is 0) as one message: raw DEFLATE from an
 * empty window, sync-flushed, the 0x00 0x00 0xff 0xff tail removed (RFC 7692 7.2.1). Returns
 * 0 and points *out at the *out_len bytes (never NULL; at least 1 byte), in d's buffer, valid
 * until the next call on d; or WS_DEFLATE_ERR_NOMEM. To build a frame in one's own memory
 * (a blob), write ws_frame_header(h, opcode, true, *out_len, NULL), set h[0] |=
 * WS_FRAME_RSV1, then copy the bytes. */
int ws_deflater_message(ws_deflater_t *d, const void *in, size_t len, const uint8_t **out,
                        size_t *out_len);

/* Compresses in[0..len) as ws_deflater_message does and builds the whole unmasked, unfragmented
 * frame: header with FIN and RSV1, opcode WS_OP_TEXT or WS_OP_BINARY, then the compressed
 * payload, in a new malloc'd buffer that the caller owns and frees. *out_len receives its
 * size. Returns NULL when out of memory. */
uint8_t *ws_deflate_frame(ws_deflater_t *d, int opcode, const void *in, size_t len,
                          size_t *out_len);

/* Frees d's zlib state and output buffer (d stays usable): an idle deflater holds its
 * 150-byte struct. Invalidates the last *out. */
void ws_deflater_shrink(ws_deflater_t *d);

#endif
