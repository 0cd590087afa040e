/* ws_frame - RFC 6455 framing: an incremental, I/O-free frame parser that reassembles
 * messages, and frame/close-payload builders.
 *
 * The parser is fed bytes and hands back one event at a time (message, ping, pong, close,
 * error). It enforces every receiving-side MUST of RFC 6455 sections 5 and 8 and the size
 * limits; on a violation it reports the close code to send. It never logs, never touches a
 * socket, and returns allocation failure as an error event.
 *
 * With permessage-deflate negotiated (ws_parser_set_deflate), RFC 7692 6 gives RSV1 a
 * meaning: set on the first frame of a data message, it marks the message compressed. The
 * parser then reports the compressed bytes as they came (ev->compressed) and leaves the
 * inflating, and the UTF-8 check of compressed text, to ws_deflate.h. */
#ifndef PARLEY_WS_FRAME_H
#define PARLEY_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/budget.h"
#include "base/utf8.h"

enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA
};

enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL = 1002,
    WS_CLOSE_UNSUPPORTED = 1003,
    WS_CLOSE_NO_STATUS = 1005,
    WS_CLOSE_ABNORMAL = 1006,
    WS_CLOSE_BAD_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011,
    WS_CLOSE_TRY_AGAIN = 1013
};

#define WS_MAX_HEADER 14   /* 2 + 8 (64-bit length) + 4 (mask) */
#define WS_MAX_CONTROL 125 /* largest control frame payload (RFC 6455 5.5) */
#define WS_FRAME_RSV1 0x40 /* first header byte: "Per-Message Compressed" (RFC 7692 6) */

typedef struct {
    size_t max_frame;   /* largest data frame payload accepted; over it: error 1009 */
    size_t max_message; /* largest reassembled message; over it: error 1009 */
    bool require_mask;  /* server side: unmasked frame is error 1002 */
    /* Input still arriving, shared by every parser of the process (borrowed; NULL: none).
     * The message buffer's growth is taken from it before the buffer grows, and given back
     * when the buffer goes (ws_parser_shrink, ws_parser_deinit); a growth it refuses fails
     * the feed with error 1013 (try again later). Whole frames inside one input cost
     * nothing: only bytes kept across feeds take from it. */
    budget_t *budget;
} ws_limits_t;

typedef enum {
    WS_EV_NONE,
    WS_EV_MESSAGE,
    WS_EV_PING,
    WS_EV_PONG,
    WS_EV_CLOSE,
    WS_EV_ERROR
} ws_ev_type_t;

typedef struct {
    ws_ev_type_t type;
    int opcode;          /* MESSAGE: WS_OP_TEXT or WS_OP_BINARY; else the frame's opcode or 0 */
    const uint8_t *data; /* MESSAGE/PING/PONG: unmasked payload; CLOSE: the reason (after the
                            code). Never NULL for these four, even when len is 0. */
    size_t len;
    uint16_t code;     /* CLOSE: code received (1005 if the close had no payload);
                          ERROR: close code to send (1002, 1007, 1009; 1011 out of memory;
                          1013 when limits->budget refused the bytes to keep) */
    const char *error; /* ERROR: static human text for logs */
    bool compressed;   /* MESSAGE: RSV1 was set (deflate negotiated): data is the compressed
                          payload, not yet inflated nor UTF-8 checked; see ws_inflate_event */
} ws_event_t;

/* Parser state. Embeddable; its fields are private to ws_frame.c. Every connection embeds
 * one, so it holds no payload bytes inline: only a fragmented message, or a frame whose
 * payload is split across reads, uses the heap buffer (a split control frame's bytes go
 * after those of the message it interrupts). An idle parser owns no heap memory once
 * ws_parser_shrink ran. Fields are ordered widest first, so there is no padding inside. */
typedef struct ws_parser {
    const ws_limits_t *limits; /* borrowed */
    uint8_t *buf;              /* message being reassembled (owned; NULL until needed) */
    size_t buf_len, buf_cap;
    uint64_t frame_len;  /* payload length of the current frame */
    uint64_t frame_done; /* payload bytes of it consumed so far */
    const char *error;   /* set once failed: static text */
    uint16_t error_code; /* set once failed: close code to send */
    uint8_t state;       /* header, payload, closed or failed */
    uint8_t opcode;      /* current frame's opcode */
    uint8_t msg_op;      /* WS_OP_TEXT/BINARY of the message in progress, 0 when none */
    uint8_t hdr_len;     /* header bytes in hdr[] */
    uint8_t len_end;     /* header size up to the end of the length (2, 4 or 10) */
    bool fin, masked;    /* current frame's flags */
    bool deflate;        /* permessage-deflate negotiated: RSV1 allowed on a message's start */
    bool compressed;     /* the message in progress had RSV1 set */
    uint8_t hdr[WS_MAX_HEADER];
    uint8_t mask[4];
    utf8_t utf8; /* validator of the text message in progress */
} ws_parser_t;

/* Prepares p to read a new connection's frames. limits is borrowed and must outlive p.
 * Allocates nothing. */
void ws_parser_init(ws_parser_t *p, const ws_limits_t *limits);

/* Tells p whether permessage-deflate was negotiated (off after ws_parser_init). When on, RSV1
 * on the first frame of a text or binary message marks it compressed (RFC 7692 6): its
 * MESSAGE event has compressed set and carries the bytes as received, still compressed;
 * limits->max_frame and max_message bound those compressed bytes, and text is not checked
 * for UTF-8 (the inflated text is: ws_inflate_event). RSV1 on a continuation or control
 * frame, RSV2 and RSV3 remain errors (1002), as is RSV1 whenever deflate is off. Uncompressed
 * messages are handled exactly as without deflate. Call it before the first feed. */
void ws_parser_set_deflate(ws_parser_t *p, bool on);

/* Frees p's message buffer. p may be initialised again afterwards. */
void ws_parser_deinit(ws_parser_t *p);

/* Consumes bytes from in until one event is complete or the input is exhausted.
 *
 * Returns the number of bytes consumed (0..len) and fills *ev; ev->type is WS_EV_NONE when
 * all len bytes were consumed and more input is needed. After any other event the caller
 * feeds the rest of its input (in + returned, len - returned) again.
 *
 * in is borrowed and mutable: the parser unmasks in place. When a whole unfragmented data
 * frame or a whole control frame is inside in, ev->data points into in (zero copy);
 * otherwise it points into p's own memory. Either way ev->data stays valid until the next
 * call on p (feed, shrink or deinit), and in must stay alive that long.
 *
 * After WS_EV_CLOSE the parser is finished: later calls consume nothing and return 0 with
 * WS_EV_NONE (nothing may follow a close frame; RFC 6455 5.5.1). After WS_EV_ERROR it is
 * failed: later calls consume nothing and return 0 with the same WS_EV_ERROR again, so the
 * error cannot be missed. */
size_t ws_parser_feed(ws_parser_t *p, uint8_t *in, size_t len, ws_event_t *ev);

/* Frees the message buffer unless it holds a fragmented message being reassembled or the
 * part received so far of a control frame split across reads (a finished parser has
 * neither), so an idle connection holds no heap memory. Invalidates the data of the last
 * event when it was in p's memory. */
void ws_parser_shrink(ws_parser_t *p);

/* True while a fragmented message is being reassembled. */
bool ws_parser_in_message(const ws_parser_t *p);

/* True while input is still arriving: part of a frame (its header or its payload), or of a
 * fragmented message, has been fed and not the rest. False between frames of no message,
 * and once finished or failed. (The server's deadline for a message to complete runs while
 * this is true.) */
bool ws_parser_partial(const ws_parser_t *p);

/* Writes a frame header into out (unmasked when mask == NULL, else with the 4-byte mask,
 * borrowed) and returns its length (2..14). RSV bits are 0 (a compressed message's first
 * frame then takes out[0] |= WS_FRAME_RSV1); payload_len must be < 2^63. */
size_t ws_frame_header(uint8_t out[WS_MAX_HEADER], int opcode, bool fin, uint64_t payload_len,
                       const uint8_t *mask);

/* Builds a whole frame (header + payload, masked with mask if not NULL) into a new malloc'd
 * buffer that the caller owns and frees. payload is borrowed and may be NULL when len is 0.
 * *out_len receives the frame's size. Returns NULL when out of memory. */
uint8_t *ws_frame_build(int opcode, bool fin, const void *payload, size_t len, const uint8_t *mask,
                        size_t *out_len);

/* Writes a close frame payload into out: the 2-byte code, big-endian, then reason (borrowed,
 * NUL-terminated UTF-8, may be NULL), truncated at a code point boundary to fit 125 bytes.
 * Returns the length written. For the codes that must never appear on the wire (0, 1005,
 * 1006, 1015; RFC 6455 7.4.1) it writes nothing and returns 0: an empty close payload is the
 * answer to a close that carried no code. */
size_t ws_close_payload(uint8_t out[WS_MAX_CONTROL], uint16_t code, const char *reason);

/* True for codes a peer may send in a close frame (RFC 6455 7.4: 1000-1003, 1007-1014,
 * 3000-4999). */
bool ws_close_code_valid(uint16_t code);

#endif
