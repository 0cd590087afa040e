/* chat_pins - the `pins` and `edits` reads; see chat_pins.h.
 *
 * Each read holds a reference to its session and counts among its reads in flight (as
 * history does); an answer for a session that ended is dropped. */
#include "chat/chat_pins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "chat/chat_channel.h"
#include "chat/chat_history.h"
#include "chat/chat_hub.h"

typedef struct {
    chat_session_t *s; /* referenced */
    chat_channel_t *ch;
    uint64_t seq;     /* edits: the msg */
    chat_pin_t *pins; /* pins: as they stood when asked, newest first */
    size_t npins;
    char id[CHAT_ID_MAX];
} pins_req_t;

static pins_req_t *req_new(chat_session_t *s, chat_channel_t *ch, const json_env_t *e)
{
    pins_req_t *r = xcalloc(1, sizeof(*r));
    r->s = s;
    r->ch = ch;
    snprintf(r->id, sizeof(r->id), "%s", e->id);
    chat_session_ref(s);
    chat_session_read_begin(s);
    return r;
}

static void req_free(pins_req_t *r)
{
    chat_session_read_end(r->s);
    chat_session_unref(r->s);
    for (size_t i = 0; i < r->npins; i++)
        free(r->pins ? r->pins[i].user : NULL);
    free(r->pins);
    free(r);
}

/* Opens {"type":type[,"id"],"payload":{"channel":...: the caller goes on and closes it. */
static void answer_open(buf_t *b, const char *type, const pins_req_t *r)
{
    const char *name = chat_channel_name(r->ch);
    buf_appendf(b, "{\"type\":\"%s\"", type);
    if (r->id[0])
        buf_appendf(b, ",\"id\":%s", r->id);
    buf_append_str(b, ",\"payload\":{\"channel\":");
    json_append_string(b, name, strlen(name));
}

/* The row of seq among rows (oldest first), or NULL. */
static const store_msg_t *row_of(const store_msg_t *rows, size_t n, uint64_t seq)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rows[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && rows[lo].seq == seq ? &rows[lo] : NULL;
}

static void send_pins(pins_req_t *r, const store_msg_t *rows, size_t n)
{
    const char *name = chat_channel_name(r->ch);
    const auth_t *auth = chat_hub_auth(chat_session_hub(r->s));
    buf_t b = BUF_INIT;
    answer_open(&b, "pins", r);
    buf_append_str(&b, ",\"messages\":[");
    bool first = true;
    for (size_t i = 0; i < r->npins; i++) {
        const store_msg_t *m = row_of(rows, n, r->pins[i].target);
        if (!m || m->deleted)
            continue; /* deleted meanwhile */
        /* the name the pin event carried; loaded pins have the id only */
        const auth_user_t *u = r->pins[i].user_id ? auth_user(auth, r->pins[i].user_id) : NULL;
        const char *by = r->pins[i].user ? r->pins[i].user : u && u->name ? u->name : "";
        if (!first)
            buf_append_str(&b, ",");
        first = false;
        chat_msg_payload_json(&b, name, m);
        b.len--; /* reopened: its closing brace goes */
        buf_append_str(&b, ",\"pinned_by\":");
        json_append_string(&b, by, strlen(by));
        buf_appendf(&b, ",\"pinned_ts\":%lld,\"pinned_seq\":%llu}", (long long)r->pins[i].ts,
                    (unsigned long long)r->pins[i].seq);
    }
    buf_append_str(&b, "]}}");
    chat_session_send_answer(r->s, &b);
    buf_deinit(&b);
}

static void on_pins(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    pins_req_t *r = ctx;
    (void)more;
    if (!chat_session_conn(r->s))
        ;
    else if (status < 0)
        chat_history_read_error(r->s, status, r->id);
    else
        send_pins(r, msgs, n);
    req_free(r);
}

void chat_pins_request(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", true, true);
    if (!ch || chat_session_reads_full(s, e->id))
        return;
    pins_req_t *r = req_new(s, ch, e);
    r->npins = chat_channel_npins(ch);
    if (r->npins == 0) {
        on_pins(r, 0, NULL, 0, false);
        return;
    }
    r->pins = xmalloc(r->npins * sizeof(*r->pins));
    memcpy(r->pins, chat_channel_pins(ch), r->npins * sizeof(*r->pins));
    uint64_t *seqs = xmalloc(r->npins * sizeof(*seqs));
    for (size_t i = 0; i < r->npins; i++) {
        seqs[i] = r->pins[i].target;
        r->pins[i].user = r->pins[i].user ? xstrdup(r->pins[i].user) : NULL; /* ours now */
    }
    store_query_t q = {.channel = chat_channel_name(ch),
                       .limit = (unsigned)r->npins,
                       .owner = s,
                       .seqs = seqs,
                       .nseqs = r->npins < STORE_SEQS_MAX ? r->npins : STORE_SEQS_MAX};
    if (store_query(chat_hub_store(chat_session_hub(s)), &q, on_pins, r) < 0)
        on_pins(r, STORE_EFAILED, NULL, 0, false);
    free(seqs);
}

static void send_edits(pins_req_t *r, const store_msg_t *rows, size_t n, bool more)
{
    buf_t b = BUF_INIT;
    answer_open(&b, "edits", r);
    buf_appendf(&b, ",\"seq\":%llu,\"user\":", (unsigned long long)rows[0].seq);
    json_append_string(&b, rows[0].user, strlen(rows[0].user));
    buf_appendf(&b, ",\"ts\":%lld,\"original\":", (long long)rows[0].ts);
    json_append_string(&b, rows[0].text, strlen(rows[0].text));
    buf_append_str(&b, ",\"edits\":[");
    for (size_t i = 1; i < n; i++) {
        buf_appendf(&b, "%s{\"seq\":%llu,\"ts\":%lld,\"text\":", i > 1 ? "," : "",
                    (unsigned long long)rows[i].seq, (long long)rows[i].ts);
        json_append_string(&b, rows[i].text, strlen(rows[i].text));
        buf_append_str(&b, "}");
    }
    buf_appendf(&b, "],\"more\":%s}}", more ? "true" : "false");
    chat_session_send_answer(r->s, &b);
    buf_deinit(&b);
}

static void on_edits(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    pins_req_t *r = ctx;
    if (!chat_session_conn(r->s))
        ;
    else if (status < 0)
        chat_history_read_error(r->s, status, r->id);
    else if (n == 0 || msgs[0].seq != r->seq || msgs[0].deleted ||
             chat_ev_parse(msgs[0].kind ? msgs[0].kind : "msg") != CHAT_EV_MSG)
        chat_session_error(r->s, "no_such_message", "no such message in that channel", r->id);
    else
        send_edits(r, msgs, n, more);
    req_free(r);
}

void chat_pins_edits(chat_session_t *s, const json_env_t *e)
{
    json_t *c = json_object_get(e->payload, "channel");
    json_t *v = json_object_get(e->payload, "seq");
    if ((c && !json_is_string(c)) || !json_is_integer(v) || json_integer_value(v) < 1) {
        chat_session_error(s, "bad_payload", "edits needs payload.seq, a message's seq", e->id);
        return;
    }
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", true, true);
    if (!ch || chat_session_reads_full(s, e->id))
        return;
    pins_req_t *r = req_new(s, ch, e);
    r->seq = (uint64_t)json_integer_value(v);
    /* the msg and its edits: one row more than the edits listed */
    store_query_t q = {
        .channel = chat_channel_name(ch), .limit = CHAT_EDITS_MAX + 1, .owner = s, .edits = r->seq};
    if (r->seq > chat_channel_committed(ch))
        on_edits(r, 0, NULL, 0, false);
    else if (store_query(chat_hub_store(chat_session_hub(s)), &q, on_edits, r) < 0)
        on_edits(r, STORE_EFAILED, NULL, 0, false);
}
