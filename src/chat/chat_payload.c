/* chat_payload - how the chat domain's messages look on the wire: whole WebSocket frames,
 * msg and event payloads, the @mentions found in a text, and thread summaries. Pure
 * functions of their inputs, shared by the hub and the sessions. */
#include "chat/chat_payload.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

#include "base/stats.h"
#include "json/json_env.h"
#include "ws/ws_frame.h"

static const char *const ev_names[] = {"msg",    "edit", "delete", "react", "unreact",
                                       "joined", "left", "topic",  "pin",   "unpin"};
#define EV_COUNT ((int)(sizeof(ev_names) / sizeof(ev_names[0])))

const char *chat_ev_name(chat_ev_t kind)
{
    return ev_names[kind];
}

int chat_ev_parse(const char *name)
{
    for (int i = 0; i < EV_COUNT; i++)
        if (strcmp(name, ev_names[i]) == 0)
            return (int)i;
    return -1;
}

bool chat_ev_is_line(int kind)
{
    return kind == CHAT_EV_JOINED || kind == CHAT_EV_LEFT || kind == CHAT_EV_TOPIC;
}

/* A channel line's payload (see chat_msg_payload_json). */
static void line_payload_json(buf_t *out, const char *channel, const store_msg_t *m, int kind)
{
    buf_append_str(out, "{\"channel\":");
    json_append_string(out, channel, strlen(channel));
    buf_appendf(out, ",\"seq\":%llu,\"user\":", (unsigned long long)m->seq);
    json_append_string(out, m->user, strlen(m->user));
    buf_appendf(out, ",\"ts\":%lld,\"kind\":\"%s\"", (long long)m->ts,
                chat_ev_name((chat_ev_t)kind));
    buf_append_str(out, kind == CHAT_EV_TOPIC ? ",\"text\":" : ",\"member\":");
    json_append_string(out, m->text, strlen(m->text));
    if (m->guest)
        buf_append_str(out, ",\"guest\":true");
    buf_append_str(out, "}");
}

blob_t *chat_frame(int opcode, const void *payload, size_t len)
{
    uint8_t head[WS_MAX_HEADER];
    size_t hl = ws_frame_header(head, opcode, true, len, NULL);
    blob_t *b = blob_new(hl + len);
    memcpy(b->data, head, hl);
    if (len)
        memcpy(b->data + hl, payload, len);
    return b;
}

blob_t *chat_frame_text(const char *text, size_t len)
{
    return chat_frame(WS_OP_TEXT, text, len);
}

blob_t *chat_frame_buf(const buf_t *b)
{
    return chat_frame_text(b->data, b->len);
}

static bool mention_end(char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
           strchr(",.;:!?()[]{}<>\"'", c) != NULL;
}

size_t chat_mentions(const char *text, chat_mention_t out[])
{
    size_t n = 0;
    for (const char *p = text; *p && n < CHAT_MENTIONS_MAX; p++) {
        if (*p != '@' ||
            (p > text && ((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
                          (p[-1] >= '0' && p[-1] <= '9') || p[-1] == '_')))
            continue;
        const char *name = p + 1;
        size_t len = 0;
        while (!mention_end(name[len]) && len <= CHAT_NAME_BYTES)
            len++;
        if (len == 0 || len > CHAT_NAME_BYTES || name[0] == '@')
            continue;
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = out[i].len == len && memcmp(out[i].name, name, len) == 0;
        if (!dup)
            out[n++] = (chat_mention_t){name, len};
        p = name + len - 1;
    }
    return n;
}

static void mentions_json(buf_t *out, const char *text)
{
    chat_mention_t m[CHAT_MENTIONS_MAX];
    size_t n = chat_mentions(text, m);
    for (size_t i = 0; i < n; i++) {
        buf_append_str(out, i ? "," : ",\"mentions\":[");
        json_append_string(out, m[i].name, m[i].len);
    }
    if (n)
        buf_append_str(out, "]");
}

void chat_msg_payload_json(buf_t *out, const char *channel, const store_msg_t *m)
{
    int kind = chat_ev_parse(m->kind ? m->kind : "msg");
    if (chat_ev_is_line(kind)) {
        line_payload_json(out, channel, m, kind);
        return;
    }
    buf_append_str(out, "{\"channel\":");
    json_append_string(out, channel, strlen(channel));
    buf_appendf(out, ",\"seq\":%llu,\"user\":", (unsigned long long)m->seq);
    json_append_string(out, m->user, strlen(m->user));
    if (kind == CHAT_EV_REACT || kind == CHAT_EV_UNREACT) {
        buf_append_str(out, ",\"emoji\":");
        json_append_string(out, m->text, strlen(m->text));
        buf_appendf(out, ",\"on\":%s", kind == CHAT_EV_REACT ? "true" : "false");
    } else if (kind == CHAT_EV_PIN || kind == CHAT_EV_UNPIN) {
        buf_appendf(out, ",\"on\":%s", kind == CHAT_EV_PIN ? "true" : "false");
    } else if (kind != CHAT_EV_DELETE) {
        buf_append_str(out, ",\"text\":");
        json_append_string(out, m->text, strlen(m->text));
    }
    buf_appendf(out, ",\"ts\":%lld", (long long)m->ts);
    if (kind > CHAT_EV_MSG)
        buf_appendf(out, ",\"kind\":\"%s\",\"target\":%llu",
                    kind == CHAT_EV_UNREACT ? "react"
                    : kind == CHAT_EV_UNPIN ? "pin"
                                            : chat_ev_name((chat_ev_t)kind),
                    (unsigned long long)m->target);
    if (m->thread)
        buf_appendf(out, ",\"thread\":%llu", (unsigned long long)m->thread);
    if ((kind == CHAT_EV_MSG || kind == CHAT_EV_EDIT) && strchr(m->text, '@'))
        mentions_json(out, m->text);
    if (m->replies)
        chat_replies_json(out, m->replies, m->last_reply, m->last_reply_ts);
    if (m->cid && m->cid[0]) {
        buf_append_str(out, ",\"cid\":");
        json_append_string(out, m->cid, strlen(m->cid));
    }
    if (m->guest)
        buf_append_str(out, ",\"guest\":true");
    if (kind == CHAT_EV_MSG && m->files && m->files[0] && !m->deleted) {
        buf_append_str(out, ",\"files\":"); /* built by the server (files_meta_json) */
        buf_append_str(out, m->files);
    }
    if (kind == CHAT_EV_MSG && m->app && m->app[0]) {
        buf_append_str(out, ",\"app\":"); /* built by the server (chat_app_json) */
        buf_append_str(out, m->app);
    }
    if (kind == CHAT_EV_MSG && m->deleted)
        buf_append_str(out, ",\"deleted\":true");
    else if (kind == CHAT_EV_MSG && m->edited)
        buf_append_str(out, ",\"edited\":true");
    buf_append_str(out, "}");
}

void chat_replies_json(buf_t *out, uint32_t count, uint64_t last, int64_t ts)
{
    buf_appendf(out, ",\"replies\":{\"count\":%u,\"last_seq\":%llu,\"last_ts\":%lld}", count,
                (unsigned long long)last, (long long)ts);
}

void chat_frame_payload(const blob_t *f, const char **p, size_t *len)
{
    static const char key[] = "\"payload\":";
    uint8_t l7 = (uint8_t)f->data[1] & 0x7f;
    size_t hl = l7 == 127 ? 10 : l7 == 126 ? 4 : 2;
    /* {"type":"<kind>","payload":{...}}: the key follows the short type. */
    const char *start = f->data + hl;
    const char *k = memmem(start, f->len - hl, key, sizeof(key) - 1);
    *p = k + sizeof(key) - 1;
    *len = (size_t)(f->data + f->len - *p) - 1;
}

blob_t *chat_event_frame(const char *channel, const store_msg_t *m)
{
    buf_t b = BUF_INIT;
    /* Reactions go out as "react" either way, pins as "pin"; the payload's "on" tells
     * which. */
    const char *type =
        !m->kind || strcmp(m->kind, "unreact") == 0 ? (m->kind ? "react" : "msg") : m->kind;
    if (m->kind && chat_ev_is_line(chat_ev_parse(m->kind)))
        type = "channel_event";
    if (m->kind && strcmp(m->kind, "unpin") == 0)
        type = "pin";
    buf_appendf(&b, "{\"type\":\"%s\",\"payload\":", type);
    chat_msg_payload_json(&b, channel, m);
    buf_append_str(&b, "}");
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

/* Appends s as one line of a text-mode frame. A text client shows a frame as it comes, so
 * a JSON user's line break would start a line that looks like anyone's ("alice: ..."), and
 * an escape sequence or a bidi control would rewrite the terminal or the line: line breaks
 * and tabs become spaces, every other C0 and C1 control, DEL and the bidi controls become
 * U+FFFD. s is valid UTF-8 (every text was checked on the way in). */
static void append_line_safe(buf_t *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t run = 0;
        while (p[run] >= 0x20 && p[run] != 0x7f && p[run] != 0xc2 && p[run] != 0xe2)
            run++;
        buf_append(b, p, run);
        p += run;
        if (!*p)
            break;
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            buf_append_str(b, " ");
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            buf_append_str(b, "\xef\xbf\xbd");
            p++;
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) { /* C1: U+0080-U+009F */
            buf_append_str(b, "\xef\xbf\xbd");
            p += 2;
        } else if (*p == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) { /* U+202A-E */
            buf_append_str(b, "\xef\xbf\xbd");
            p += 3;
        } else if (*p == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) { /* U+2066-9 */
            buf_append_str(b, "\xef\xbf\xbd");
            p += 3;
        } else {
            buf_append(b, p, 1); /* the lead byte of something harmless */
            p++;
        }
    }
}

/* A text format's view of a message's files: " [file: NAME /files/ID/NAME]" each. */
static void files_text(buf_t *b, const char *files)
{
    json_t *a = files && files[0] ? json_loads(files, 0, NULL) : NULL;
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *url = json_string_value(json_object_get(o, "url"));
        if (!name || !url)
            continue;
        buf_append_str(b, " [file: ");
        append_line_safe(b, name);
        buf_append_str(b, " ");
        append_line_safe(b, url);
        buf_append_str(b, "]");
    }
    json_decref(a);
}

blob_t *chat_text_frame(chat_fmt_t fmt, const store_msg_t *m)
{
    buf_t b = BUF_INIT;
    if (fmt != CHAT_FMT_CLIENTID) {
        time_t secs = (time_t)(m->ts / 1000);
        struct tm tm;
        localtime_r(&secs, &tm);
        buf_appendf(&b, "[%02d:%02d:%02d] ", tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    append_line_safe(&b, m->user);
    buf_append_str(&b, ": ");
    append_line_safe(&b, m->text);
    files_text(&b, m->files);
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

blob_t *chat_ack_frame(const char *id, const char *channel, uint64_t seq, int64_t ts,
                       const char *cid, bool duplicate)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"ack\"");
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, channel, strlen(channel));
    buf_appendf(&b, ",\"seq\":%llu,\"ts\":%lld", (unsigned long long)seq, (long long)ts);
    if (cid) {
        buf_append_str(&b, ",\"cid\":");
        json_append_string(&b, cid, strlen(cid));
    }
    buf_append_str(&b, duplicate ? ",\"duplicate\":true}}" : "}}");
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

blob_t *chat_error_frame(const char *code, const char *msg, const char *id)
{
    return chat_error_frame_retry(code, msg, id, 0);
}

blob_t *chat_error_frame_retry(const char *code, const char *msg, const char *id, uint64_t retry_ms)
{
    stats_error(code);
    buf_t b = BUF_INIT;
    buf_appendf(&b, "{\"type\":\"error\",\"code\":\"%s\",\"message\":", code);
    json_append_string(&b, msg, strlen(msg));
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    if (retry_ms)
        buf_appendf(&b, ",\"retry_after_ms\":%llu", (unsigned long long)retry_ms);
    buf_append_str(&b, "}");
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

blob_t *chat_user_event_frame(const char *type, const char *user, const char *channel, int64_t ts,
                              bool guest)
{
    buf_t b = BUF_INIT;
    buf_appendf(&b, "{\"type\":\"%s\",\"payload\":{\"user\":", type);
    json_append_string(&b, user, strlen(user));
    buf_append_str(&b, ",\"channel\":");
    json_append_string(&b, channel, strlen(channel));
    if (ts >= 0)
        buf_appendf(&b, ",\"ts\":%lld", (long long)ts);
    if (guest)
        buf_append_str(&b, ",\"guest\":true");
    buf_append_str(&b, "}}");
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    return f;
}

void chat_messages_json(buf_t *out, const char *channel, const store_msg_t *msgs, size_t n,
                        bool more)
{
    buf_append_str(out, ",\"messages\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_append_str(out, ",");
        chat_msg_payload_json(out, channel, &msgs[i]);
    }
    buf_appendf(out, "],\"more\":%s}}", more ? "true" : "false");
}

void chat_app_json(buf_t *out, const char *name, const char *icon)
{
    buf_append_str(out, "{\"name\":");
    json_append_string(out, name, strlen(name));
    if (icon && icon[0]) {
        buf_append_str(out, ",\"icon\":");
        json_append_string(out, icon, strlen(icon));
    }
    buf_append_str(out, "}");
}

bool chat_app_json_valid(const char *s)
{
    if (!s || !s[0])
        return s != NULL;
    json_t *o = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    json_t *icon = json_object_get(o, "icon");
    bool ok = json_is_object(o) && json_is_string(json_object_get(o, "name")) &&
              (!icon || json_is_string(icon));
    json_decref(o);
    return ok;
}
