/* chat_payload - how the chat domain's messages look on the wire: whole WebSocket frames
 * (built once, shared by reference by every recipient), msg and event payloads, the
 * @mentions in a text, and thread summaries. Pure functions, shared by the hub and the
 * sessions; docs/protocol.md is the contract they follow. */
#ifndef PARLEY_CHAT_PAYLOAD_H
#define PARLEY_CHAT_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/blob.h"
#include "base/buf.h"
#include "chat/chat_defs.h"
#include "store/store.h"

#define CHAT_MENTIONS_MAX 16 /* distinct @names listed in a msg's mentions */

/* What an event is, for the hub's own checks (the store and the wire use the strings). */
typedef enum {
    CHAT_EV_MSG,
    CHAT_EV_EDIT,
    CHAT_EV_DELETE,
    CHAT_EV_REACT,
    CHAT_EV_UNREACT,
    /* Channel lines (issue 14): membership and topic changes kept in the timeline. A line's
     * row: user the one who acted, text the member's name (joined, left) or the new topic,
     * target the member's user id (0 for a topic). */
    CHAT_EV_JOINED,
    CHAT_EV_LEFT,
    CHAT_EV_TOPIC,
    CHAT_EV_PIN, /* pins: target the msg, no text */
    CHAT_EV_UNPIN
} chat_ev_t;

/* One @name in a text: a slice of it. */
typedef struct {
    const char *name;
    size_t len;
} chat_mention_t;

/* The @names in text: "@name" at the start of the text or after a non-word character (so
 * mail addresses are not mentions), the name running to white space or punctuation;
 * "@channel" and "@here" mean everyone in the channel. Distinct, in order, at most
 * CHAT_MENTIONS_MAX. Returns how many. */
size_t chat_mentions(const char *text, chat_mention_t out[]);

/* Events' names, and back (-1: unknown). */
const char *chat_ev_name(chat_ev_t kind);
int chat_ev_parse(const char *name);
/* Whether kind (a chat_ev_t, or -1) is a channel line: joined, left or topic. */
bool chat_ev_is_line(int kind);

/* Frames. */
/* A whole unmasked, unfragmented frame of any opcode: one immutable image for every
 * recipient. */
blob_t *chat_frame(int opcode, const void *payload, size_t len);
blob_t *chat_frame_text(const char *text, size_t len); /* a whole unmasked text frame */
blob_t *chat_frame_buf(const buf_t *b);
/* Appends a message payload object {"channel","seq","user","text","ts"} (a pin's: no text,
 * "on" instead), with "mentions"
 * (the @names in the text, "channel" and "here" included) when there are any, and
 * "replies" {"count","last_seq","last_ts"} when m->replies is set (history answers), and
 * "cid" when the writer gave a client key, and "guest": true when a guest wrote it, and
 * "files" (m->files as it is) when a msg not deleted carries files. A channel line is
 * {"channel","seq","user","ts","kind":"joined"|"left"|"topic"} with "member" (joined, left:
 * whom it concerns; user is who did it) or "text" (topic: the new topic), and "guest". */
void chat_msg_payload_json(buf_t *out, const char *channel, const store_msg_t *m);
/* Appends a thread's summary, ,"replies":{"count","last_seq","last_ts"}, to a payload
 * being built. */
void chat_replies_json(buf_t *out, uint32_t count, uint64_t last, int64_t ts);
/* A committed event's frame for JSON sessions: {"type":"msg"|"edit"|"delete"|"react",
 * "payload":...} (an unreact goes out as "react" with "on": false); a channel line is
 * {"type":"channel_event","payload":{"channel","seq","user","ts","kind"[,"member"][,"text"]}}
 * (chat_msg_payload_json); an unpin goes out as "pin" with "on": false. */
blob_t *chat_event_frame(const char *channel, const store_msg_t *m);
/* A message's frame for a text format: "{user}: {text}" (client-id) or
 * "[HH:MM:SS] {user}: {text}" in local time (line), then " [file: NAME URL]" per file it
 * carries, always one line: line breaks and tabs
 * become spaces, other controls (C0, C1, DEL, bidi) U+FFFD, so no text forges a line. */
blob_t *chat_text_frame(chat_fmt_t fmt, const store_msg_t *m);
/* {"type":"ack"[,"id"],"payload":{"channel","seq","ts"[,"cid"][,"duplicate":true]}}; id is
 * the request id as JSON text (NULL or "": none), cid NULL when none. */
blob_t *chat_ack_frame(const char *id, const char *channel, uint64_t seq, int64_t ts,
                       const char *cid, bool duplicate);
/* {"type":type,"payload":{"user","channel"[,"ts"][,"guest":true]}}: join, leave, typing (ts
 * < 0: none). */
blob_t *chat_user_event_frame(const char *type, const char *user, const char *channel, int64_t ts,
                              bool guest);
/* Appends "messages":[payloads...],"more":bool}} closing a history-like answer whose
 * payload object is open. */
void chat_messages_json(buf_t *out, const char *channel, const store_msg_t *msgs, size_t n,
                        bool more);
/* {"type":"error","code","message"[,"id"]}. */
blob_t *chat_error_frame(const char *code, const char *msg, const char *id);
/* The same with "retry_after_ms" when retry_ms > 0 (rate_limited: when the request would
 * pass). */
blob_t *chat_error_frame_retry(const char *code, const char *msg, const char *id,
                               uint64_t retry_ms);
#define CHAT_UNAVAILABLE_TEXT                                                                      \
    "the message store cannot save right now; nothing was stored: try again shortly"

/* The payload object inside a whole JSON frame built here: after the WebSocket header and
 * {"type":"...","payload":, up to (not including) the frame's closing brace. */
void chat_frame_payload(const blob_t *f, const char **p, size_t *len);

/* A message's app field (store_msg_t.app, docs/protocol.md "Incoming webhooks"):
 * {"name": name[, "icon": icon]} appended to out (strings JSON-escaped; icon NULL or ""
 * for none). */
void chat_app_json(buf_t *out, const char *name, const char *icon);
/* Whether s is what a message's app field holds: "" (none), or a JSON object whose "name"
 * is a string and whose "icon", if any, is a string. */
bool chat_app_json_valid(const char *s);

#endif
