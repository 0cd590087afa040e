/* chat_session - per-connection protocol: JSON requests, client-id and line text modes.
 *
 * A session's states: AUTO (a /ws socket that has said nothing) -> JSON or LINE on its first
 * message; JSON sessions become `joined` with a valid join; CLIENTID sessions are members of
 * #general from the start. Store queries (join history, history, resume) hold a reference to
 * the session and a small context; their answers are dropped if the connection went away
 * meanwhile.
 *
 * Every request is validated before it touches shared state, and every rejection is a
 * JSON error to this connection only (docs/protocol.md lists them). */
#include "chat/chat_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "chat/chat_channel.h"
#include "chat/chat_event.h"
#include "chat/chat_resume.h"
#include "chat/chat_search.h"
#include "json/json_env.h"
#include "ws/ws_frame.h"

#define HISTORY_LIMIT_MAX 200
#define HISTORY_LIMIT_DEFAULT 50
#define TYPING_INTERVAL_MS 1000

typedef enum { Q_JOIN, Q_HISTORY } query_kind_t;

/* What a store query needs to answer its session. */
typedef struct {
    chat_session_t *s;
    chat_channel_t *ch;
    query_kind_t kind;
    bool self_join; /* Q_JOIN: the user's own join event follows the history */
    char id[sizeof(((json_env_t *)0)->id)];
} query_ctx_t;

void chat_session_ref(chat_session_t *s)
{
    s->refs++;
}

void chat_session_unref(chat_session_t *s)
{
    if (--s->refs > 0)
        return;
    free(s->name);
    free(s);
}

void chat_session_send(chat_session_t *s, const buf_t *b)
{
    if (!s->conn)
        return;
    blob_t *f = chat_frame_buf(b);
    s->hub->t->send(s->conn, f);
    blob_unref(f);
}

void chat_session_error(chat_session_t *s, const char *code, const char *msg, const char *id)
{
    buf_t b = BUF_INIT;
    buf_appendf(&b, "{\"type\":\"error\",\"code\":\"%s\",\"message\":", code);
    json_append_string(&b, msg, strlen(msg));
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, "}");
    chat_session_send(s, &b);
    buf_deinit(&b);
}

/* Token bucket: cfg.rate per second, up to cfg.burst. */
bool chat_session_take_token(chat_session_t *s)
{
    uint64_t now = clock_mono_ms();
    const chat_config_t *cfg = &s->hub->cfg;
    s->tokens += (double)(now - s->bucket_ms) * cfg->rate / 1000.0;
    if (s->tokens > cfg->burst)
        s->tokens = cfg->burst;
    s->bucket_ms = now;
    if (s->tokens < 1.0)
        return false;
    s->tokens -= 1.0;
    return true;
}

/* ---- validation ---- */

bool chat_client_id_valid(const char *id, size_t len)
{
    if (len < 1 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* Unicode white space (and the invisible spaces people paste), which a name may not start
 * or end with: a name that looks like another is an impersonation. */
static bool is_space(uint32_t cp)
{
    return cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 ||
           cp == 0xfeff;
}

/* The code point starting at p (valid UTF-8 assumed). */
static uint32_t decode_at(const uint8_t *p)
{
    if (p[0] < 0x80)
        return p[0];
    if (p[0] < 0xe0)
        return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
    if (p[0] < 0xf0)
        return (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
    return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
           (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

bool chat_name_valid(const char *name, size_t len, size_t max)
{
    if (len == 0 || len > CHAT_NAME_BYTES || !utf8_valid((const uint8_t *)name, len))
        return false;
    size_t n = utf8_count((const uint8_t *)name, len);
    if (n < 1 || n > max)
        return false;
    const uint8_t *p = (const uint8_t *)name;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return false;
        /* C1 controls U+0080-U+009F are encoded C2 80 - C2 9F. */
        if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
            return false;
    }
    size_t last = len - 1;
    while (last > 0 && (p[last] & 0xc0) == 0x80)
        last--;
    return !is_space(decode_at(p)) && !is_space(decode_at(p + last));
}

static bool text_acceptable(chat_session_t *s, const char *text, size_t len)
{
    return len > 0 && !memchr(text, '\0', len) &&
           utf8_count((const uint8_t *)text, len) <= s->hub->cfg.max_text;
}

/* ---- text modes ---- */

static void text_mode_message(chat_session_t *s, const char *text, size_t len)
{
    const char *user = s->name;
    char name[CHAT_NAME_BYTES + 1];
    if (s->mode == CHAT_MODE_LINE) {
        /* Seed 000: "Name: text"; no usable name makes it anonymous's whole line. */
        const char *sep = NULL;
        for (size_t i = 0; i + 1 < len; i++) {
            if (text[i] == ':' && text[i + 1] == ' ') {
                sep = text + i;
                break;
            }
        }
        user = "anonymous";
        if (sep && chat_name_valid(text, (size_t)(sep - text), s->hub->cfg.max_name) &&
            (size_t)(sep - text) < sizeof(name)) {
            memcpy(name, text, (size_t)(sep - text));
            name[sep - text] = '\0';
            /* A name a connected user holds is not this line's to claim. */
            if (!chat_hub_online(s->hub, name)) {
                user = name;
                len -= (size_t)(sep - text) + 2;
                text = sep + 2;
            }
        }
    }
    /* No error channel in these modes: what cannot be accepted is dropped. */
    if (!text_acceptable(s, text, len) || !chat_session_take_token(s))
        return;
    chat_hub_publish(s->hub, &s->hub->general, s, user, text, len, NULL);
}

/* ---- JSON requests ---- */

static void send_history(chat_session_t *s, chat_channel_t *ch, const store_msg_t *msgs, size_t n,
                         bool more, const char *id)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"history\"");
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, ch->name, strlen(ch->name));
    buf_append_str(&b, ",\"messages\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_append_str(&b, ",");
        chat_msg_payload_json(&b, ch->name, &msgs[i]);
    }
    buf_appendf(&b, "],\"more\":%s}}", more ? "true" : "false");
    chat_session_send(s, &b);
    buf_deinit(&b);
}

static void send_self_join(chat_session_t *s, chat_channel_t *ch)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"join\",\"payload\":{\"user\":");
    json_append_string(&b, s->name, strlen(s->name));
    buf_append_str(&b, ",\"channel\":");
    json_append_string(&b, ch->name, strlen(ch->name));
    buf_appendf(&b, ",\"ts\":%lld}}", (long long)clock_wall_ms());
    chat_session_send(s, &b);
    buf_deinit(&b);
}

/* Ends a hold: the answer covered everything committed up to now (the store serves in
 * order), so live fan-out may resume after the newest seq the answer or the channel had. */
void chat_session_release_hold(chat_session_t *s, chat_channel_t *ch, const store_msg_t *msgs,
                               size_t n)
{
    chat_link_t *l = chat_hub_link(s, ch);
    if (!l || !l->held)
        return; /* it left the channel meanwhile */
    l->held--;
    uint64_t top = ch->committed;
    if (n && msgs[n - 1].seq > top)
        top = msgs[n - 1].seq;
    if (top > l->last_sent)
        l->last_sent = top;
}

static void on_query(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    query_ctx_t *q = ctx;
    chat_session_t *s = q->s;
    if (status < 0)
        n = 0;
    if (q->kind == Q_JOIN)
        chat_session_release_hold(s, q->ch, msgs, n);
    if (s->conn) {
        if (status < 0)
            chat_session_error(s, "internal", "the message store failed to answer", q->id);
        else
            send_history(s, q->ch, msgs, n, more, q->id);
        if (q->kind == Q_JOIN && q->self_join)
            send_self_join(s, q->ch);
    }
    chat_session_unref(s);
    free(q);
}

static void start_query(chat_session_t *s, chat_channel_t *ch, query_kind_t kind,
                        const store_query_t *sq, const char *id, bool self_join)
{
    query_ctx_t *q = xcalloc(1, sizeof(*q));
    q->s = s;
    q->ch = ch;
    q->kind = kind;
    q->self_join = self_join;
    snprintf(q->id, sizeof(q->id), "%s", id);
    chat_link_t *l = chat_hub_link(s, ch);
    if (kind == Q_JOIN && l)
        l->held++;
    chat_session_ref(s);
    if (store_query(s->hub->store, sq, on_query, q) < 0) {
        /* Shutting down: answer as a failure, synchronously. */
        on_query(q, -1, NULL, 0, false);
    }
}

/* The optional "channel" field: absent means #general. Before join only its existence is
 * checked; after, the session must be in it. Sends the error itself. */
static chat_channel_t *payload_channel(chat_session_t *s, json_t *payload, const char *id)
{
    json_t *c = payload ? json_object_get(payload, "channel") : NULL;
    if (!c)
        return &s->hub->general;
    if (!json_is_string(c)) {
        chat_session_error(s, "bad_payload", "channel must be a string", id);
        return NULL;
    }
    chat_channel_t *ch = chat_hub_channel(s->hub, json_string_value(c));
    if (!ch) {
        chat_session_error(s, "no_such_channel", "no such channel", id);
        return NULL;
    }
    if (s->joined && !chat_hub_link(s, ch)) {
        chat_session_error(s, "forbidden", "you are not a member of that channel", id);
        return NULL;
    }
    return ch;
}

static void new_token(char out[CHAT_TOKEN_LEN + 1])
{
    uint8_t raw[CHAT_TOKEN_LEN / 2];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        /* Not a secret yet (accounts are a later issue), only a tab-pairing cookie. */
        uint64_t t = clock_mono_ms() ^ (uint64_t)(uintptr_t)out;
        memcpy(raw, &t, sizeof(t));
        memcpy(raw + 8, &t, sizeof(t));
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static bool token_wellformed(const char *t)
{
    if (strlen(t) != CHAT_TOKEN_LEN)
        return false;
    for (; *t; t++)
        if (!((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'f')))
            return false;
    return true;
}

static void send_welcome(chat_session_t *s, const char *id)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"welcome\"");
    if (id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"user\":");
    json_append_string(&b, s->name, strlen(s->name));
    buf_appendf(&b, ",\"session\":\"%s\",\"channels\":[", s->pres->token);
    /* #general first, then the others by name (the links are newest first). */
    chat_channel_json(&s->hub->general, s->name,
                      (int64_t)chat_session_join_mentions(s, &s->hub->general), &b);
    chat_channel_json_member_list(s, &b);
    buf_append_str(&b, "],\"online\":");
    chat_hub_online_json(s->hub, &b);
    buf_appendf(&b, ",\"online_count\":%zu}}", s->hub->online);
    chat_session_send(s, &b);
    buf_deinit(&b);
}

/* A join waiting for the store's count of the user's unread mentions, which its welcome
 * carries. Until then the connection is not in any channel (nothing live reaches it), and
 * requests that arrive are kept, in order, to run after the welcome: a client may send its
 * first requests right behind its join. */
struct chat_join {
    chat_channel_t *ch; /* whose history follows the welcome */
    bool first;         /* the user's first connection: announce the arrival */
    char id[sizeof(((json_env_t *)0)->id)];
    chat_channel_t **mch; /* channels with unread mentions, and how many */
    uint64_t *mn;
    size_t n;
    buf_t held; /* requests meanwhile: each a size_t length, then its bytes */
    size_t nheld;
};

#define JOIN_HELD_MAX 64             /* requests kept while a join waits */
#define JOIN_HELD_BYTES (256 * 1024) /* and their bytes */

uint64_t chat_session_join_mentions(const chat_session_t *s, const chat_channel_t *ch)
{
    for (size_t i = 0; s->join && i < s->join->n; i++)
        if (s->join->mch[i] == ch)
            return s->join->mn[i];
    return 0;
}

static void join_free(chat_join_t *j)
{
    free(j->mch);
    free(j->mn);
    buf_deinit(&j->held);
    free(j);
}

static void json_request(chat_session_t *s, const char *text, size_t len);

/* Keeps a request that arrived while the join waits; past the bound the client is not
 * waiting for its welcome as the protocol asks, and is closed. */
static void join_hold(chat_session_t *s, const char *text, size_t len)
{
    chat_join_t *j = s->join;
    if (j->nheld == JOIN_HELD_MAX || j->held.len + len > JOIN_HELD_BYTES) {
        s->hub->t->close(s->conn, WS_CLOSE_POLICY, "too many requests before the welcome");
        return;
    }
    buf_append(&j->held, &len, sizeof(len));
    buf_append(&j->held, text, len);
    j->nheld++;
}

/* Enters every channel of the user and sends the join sequence: welcome (with j's mention
 * counts), the arrival, the channel's history; then runs the requests held meanwhile. */
static void join_finish(chat_session_t *s, chat_join_t *j)
{
    s->joined = true;
    s->pres_next = s->pres->sessions;
    s->pres->sessions = s;
    /* Every channel the user is in; only the requested one replays its history now (the
     * client asks for the others' when it shows them, or resumes them). */
    chat_hub_member_add(&s->hub->general, s)->last_sent = s->hub->general.committed;
    for (chat_channel_t *c = s->hub->channels; c; c = c->next)
        if (chat_channel_has_user(c, s->name))
            chat_hub_member_add(c, s)->last_sent = c->committed;
    s->join = j;
    send_welcome(s, j->id);
    s->join = NULL;
    if (j->first)
        chat_hub_announce(s->hub, &s->hub->general, s->name, true, s);
    /* It may have left that channel (from another tab) while the join waited. */
    chat_link_t *l = chat_hub_link(s, j->ch);
    chat_session_join_history(s, l ? l : chat_hub_link(s, &s->hub->general), true);
    for (size_t off = 0; off < j->held.len && s->conn;) {
        size_t len;
        memcpy(&len, j->held.data + off, sizeof(len));
        off += sizeof(len);
        json_request(s, j->held.data + off, len);
        off += len;
    }
    join_free(j);
}

/* The user's unread mentions: rows come by channel, then seq. Each channel counts those
 * up to what it has committed now, the point its welcome describes; any later one reaches
 * the user live, with its mentions. */
static void on_mention_counts(void *ctx, int status, const store_msg_t *rows, size_t n, bool more)
{
    chat_session_t *s = ctx;
    chat_join_t *j = s->join;
    (void)more;
    s->join = NULL;
    if (!s->conn) {
        join_free(j);
        chat_session_unref(s);
        return;
    }
    if (status < 0)
        n = 0; /* the welcome goes out without counts rather than not at all */
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && strcmp(rows[k].channel, rows[i].channel) == 0)
            k++;
        chat_channel_t *ch = chat_hub_channel(s->hub, rows[i].channel);
        uint64_t count = 0;
        for (size_t r = i; ch && r < k; r++)
            count += rows[r].seq <= ch->committed;
        if (count) {
            j->mch = xrealloc(j->mch, (j->n + 1) * sizeof(*j->mch));
            j->mn = xrealloc(j->mn, (j->n + 1) * sizeof(*j->mn));
            j->mch[j->n] = ch;
            j->mn[j->n++] = count;
        }
        i = k;
    }
    join_finish(s, j);
    chat_session_unref(s);
}

static void do_join(chat_session_t *s, const json_env_t *e)
{
    json_t *p = e->payload;
    if (p && json_object_get(p, "token")) {
        chat_session_error(s, "auth_failed", "accounts are not enabled on this server", e->id);
        s->hub->t->close(s->conn, WS_CLOSE_POLICY, "authentication failed");
        return;
    }
    json_t *user = p ? json_object_get(p, "user") : NULL;
    if (!json_is_string(user)) {
        chat_session_error(s, "bad_payload", "join needs payload.user, a string", e->id);
        return;
    }
    const char *name = json_string_value(user);
    if (!chat_name_valid(name, json_string_length(user), s->hub->cfg.max_name)) {
        char m[128];
        snprintf(m, sizeof(m),
                 "names are 1-%zu characters, no control characters, no spaces at the ends",
                 s->hub->cfg.max_name);
        chat_session_error(s, "bad_name", m, e->id);
        return;
    }
    chat_channel_t *ch = payload_channel(s, p, e->id);
    if (!ch)
        return;
    if (!chat_channel_has_user(ch, name)) {
        chat_session_error(s, "forbidden", "you are not a member of that channel", e->id);
        return;
    }
    json_t *sess = json_object_get(p, "session");
    if (sess && !json_is_string(sess)) {
        chat_session_error(s, "bad_payload", "session must be a string", e->id);
        return;
    }
    char token[CHAT_TOKEN_LEN + 1];
    if (sess && token_wellformed(json_string_value(sess)))
        snprintf(token, sizeof(token), "%s", json_string_value(sess));
    else
        new_token(token);
    bool first;
    s->pres = chat_hub_presence_add(s->hub, name, token, &first);
    if (!s->pres) {
        chat_session_error(s, "name_taken", "that name is in use by someone else", e->id);
        return;
    }
    s->name = xstrdup(name);
    s->mode = CHAT_MODE_JSON;
    chat_join_t *j = xcalloc(1, sizeof(*j));
    j->ch = ch;
    j->first = first;
    snprintf(j->id, sizeof(j->id), "%s", e->id);
    buf_init(&j->held);
    if (!chat_hub_may_have_mentions(s->hub, name)) {
        join_finish(s, j); /* nobody ever named this user, and no @channel since a read */
        return;
    }
    s->join = j;
    chat_session_ref(s);
    if (store_mention_counts(s->hub->store, s->name, on_mention_counts, s) < 0)
        on_mention_counts(s, -1, NULL, 0, false);
}

void chat_session_join_history(chat_session_t *s, chat_link_t *l, bool self_join)
{
    chat_channel_t *ch = l->ch;
    store_query_t sq = {.channel = ch->name, .limit = s->hub->cfg.history, .replies = true};
    blob_t *hist = sq.limit ? chat_hub_join_history(s->hub, ch) : NULL;
    if (sq.limit == 0 || hist) {
        /* Answered from memory: exactly what is committed now, so no hold is needed. */
        l->last_sent = ch->committed;
        if (hist)
            s->hub->t->send(s->conn, hist);
        else
            send_history(s, ch, NULL, 0, ch->committed > 0, "");
        blob_unref(hist);
        if (self_join)
            send_self_join(s, ch);
        return;
    }
    start_query(s, ch, Q_JOIN, &sq, "", self_join);
}

bool chat_session_text_field(chat_session_t *s, const json_env_t *e, const char **t, size_t *len)
{
    json_t *text = e->payload ? json_object_get(e->payload, "text") : NULL;
    if (!json_is_string(text)) {
        char m[64];
        snprintf(m, sizeof(m), "%s needs payload.text, a string", e->type);
        chat_session_error(s, "bad_payload", m, e->id);
        return false;
    }
    *t = json_string_value(text);
    *len = json_string_length(text);
    if (*len == 0) {
        chat_session_error(s, "bad_payload", "text is empty", e->id);
        return false;
    }
    if (utf8_count((const uint8_t *)*t, *len) > s->hub->cfg.max_text) {
        char m[96];
        snprintf(m, sizeof(m), "text is longer than %zu characters", s->hub->cfg.max_text);
        chat_session_error(s, "too_large", m, e->id);
        return false;
    }
    return true;
}

static void do_msg(chat_session_t *s, const json_env_t *e)
{
    if (e->payload && json_object_get(e->payload, "thread")) {
        chat_event_request(s, e); /* a thread reply: its parent is checked first */
        return;
    }
    json_t *text = e->payload ? json_object_get(e->payload, "text") : NULL;
    if (!json_is_string(text)) {
        chat_session_error(s, "bad_payload", "msg needs payload.text, a string", e->id);
        return;
    }
    chat_channel_t *ch = payload_channel(s, e->payload, e->id);
    const char *t;
    size_t len;
    if (!ch || !chat_session_text_field(s, e, &t, &len))
        return;
    if (!chat_session_take_token(s)) {
        chat_session_error(s, "rate_limited", "too many messages; slow down", e->id);
        return;
    }
    chat_hub_publish(s->hub, ch, s, s->name, t, len, e->id);
}

/* Reads an optional integer field into *out; false (after sending bad_payload) when it is
 * present but not an integer within [min, max]. */
static bool int_field(chat_session_t *s, const json_env_t *e, const char *key, long long min,
                      long long max, long long *out)
{
    json_t *v = e->payload ? json_object_get(e->payload, key) : NULL;
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char m[96];
        snprintf(m, sizeof(m), "%s must be an integer >= %lld", key, min);
        chat_session_error(s, "bad_payload", m, e->id);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

static void do_history(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = payload_channel(s, e->payload, e->id);
    long long before = 0, after = -1, limit = HISTORY_LIMIT_DEFAULT;
    if (!ch || !int_field(s, e, "before", 1, INT64_MAX, &before) ||
        !int_field(s, e, "after", 0, INT64_MAX, &after) ||
        !int_field(s, e, "limit", 1, INT64_MAX, &limit))
        return;
    if (before > 0 && after >= 0) {
        chat_session_error(s, "bad_payload", "history takes before or after, not both", e->id);
        return;
    }
    if (limit > HISTORY_LIMIT_MAX)
        limit = HISTORY_LIMIT_MAX;
    /* after: the page that follows a seq, oldest first (a client reading forward from a
     * jump into the past); more then means newer messages exist. */
    store_query_t sq = {.channel = ch->name,
                        .after = after > 0 ? (uint64_t)after : 0,
                        .before = (uint64_t)before,
                        .limit = (unsigned)limit,
                        .forward = after >= 0,
                        .replies = true};
    start_query(s, ch, Q_HISTORY, &sq, e->id, false);
}

static void do_typing(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = payload_channel(s, e->payload, e->id);
    if (!ch)
        return;
    uint64_t now = clock_mono_ms();
    if (s->typing_ms && now - s->typing_ms < TYPING_INTERVAL_MS)
        return;
    s->typing_ms = now;
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"typing\",\"payload\":{\"user\":");
    json_append_string(&b, s->name, strlen(s->name));
    buf_append_str(&b, ",\"channel\":");
    json_append_string(&b, ch->name, strlen(ch->name));
    buf_append_str(&b, "}}");
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    chat_hub_send_json_members(s->hub, ch, f, s);
    blob_unref(f);
}

static void do_ping(chat_session_t *s, const json_env_t *e)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"pong\"");
    if (e->id[0])
        buf_appendf(&b, ",\"id\":%s", e->id);
    buf_appendf(&b, ",\"ts\":%lld}", (long long)clock_wall_ms());
    chat_session_send(s, &b);
    buf_deinit(&b);
}

static void json_request(chat_session_t *s, const char *text, size_t len)
{
    if (s->join) {
        join_hold(s, text, len);
        return;
    }
    json_env_t e;
    const char *code;
    char msg[160];
    if (json_env_parse(&e, text, len, &code, msg, sizeof(msg)) < 0) {
        chat_session_error(s, code, msg, e.id);
    } else if (strcmp(e.type, "ping") == 0) {
        do_ping(s, &e); /* a keep-alive is fine before join too */
    } else if (strcmp(e.type, "join") == 0) {
        if (s->joined)
            chat_session_error(s, "already_joined", "this connection has joined already", e.id);
        else
            do_join(s, &e);
    } else if (strcmp(e.type, "msg") != 0 && strcmp(e.type, "history") != 0 &&
               strcmp(e.type, "resume") != 0 && strcmp(e.type, "typing") != 0 &&
               strcmp(e.type, "search") != 0 && !chat_channel_request_known(e.type) &&
               !chat_event_request_known(e.type)) {
        chat_session_error(s, "bad_type", "unknown message type", e.id);
    } else if (!s->joined) {
        chat_session_error(s, "not_joined", "send a join first", e.id);
    } else if (strcmp(e.type, "msg") == 0) {
        do_msg(s, &e);
    } else if (strcmp(e.type, "history") == 0) {
        do_history(s, &e);
    } else if (strcmp(e.type, "resume") == 0) {
        chat_resume_request(s, &e);
    } else if (strcmp(e.type, "typing") == 0) {
        do_typing(s, &e);
    } else if (strcmp(e.type, "search") == 0) {
        chat_search_request(s, &e);
    } else if (chat_event_request_known(e.type)) {
        chat_event_request(s, &e);
    } else {
        chat_channel_request(s, &e);
    }
    json_env_free(&e);
}

/* ---- the session's public face ---- */

void chat_session_drained(chat_session_t *s)
{
    chat_resume_drained(s);
}

chat_session_t *chat_session_open(chat_hub_t *h, void *conn, chat_mode_t mode,
                                  const char *client_id)
{
    chat_session_t *s = xcalloc(1, sizeof(*s));
    s->hub = h;
    s->conn = conn;
    s->refs = 1;
    s->mode = mode;
    s->tokens = h->cfg.burst;
    s->bucket_ms = clock_mono_ms();
    h->stats.sessions++;
    if (mode == CHAT_MODE_CLIENTID) {
        size_t n = strlen("Client #") + strlen(client_id) + 1;
        s->name = xmalloc(n);
        snprintf(s->name, n, "Client #%s", client_id);
        bool first = false;
        s->pres = chat_hub_presence_add(h, s->name, "", &first);
        if (!s->pres) {
            /* A JSON user holds this name: no error channel here, so a policy close. */
            h->t->close(conn, WS_CLOSE_POLICY, "that client id is in use by another user");
            s->mode = CHAT_MODE_AUTO; /* a session that never joins anything */
            return s;
        }
        chat_hub_member_add(&h->general, s);
        /* Everyone else hears of a user's first socket; the newcomer always gets its own
         * line (seed 003), even in a channel too large for presence broadcasts. */
        if (first)
            chat_hub_announce(h, &h->general, s->name, true, s);
        buf_t b = BUF_INIT;
        buf_appendf(&b, "%s has entered the chat", s->name);
        chat_session_send(s, &b);
        buf_deinit(&b);
    }
    return s;
}

void chat_session_text(chat_session_t *s, const char *text, size_t len)
{
    if (s->mode == CHAT_MODE_AUTO) {
        size_t i = 0;
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
            i++;
        if (i < len && text[i] == '{') {
            s->mode = CHAT_MODE_JSON;
        } else {
            s->mode = CHAT_MODE_LINE;
            chat_hub_member_add(&s->hub->general, s);
        }
    }
    if (s->mode == CHAT_MODE_JSON)
        json_request(s, text, len);
    else
        text_mode_message(s, text, len);
}

void chat_session_binary(chat_session_t *s, const uint8_t *data, size_t len)
{
    (void)data;
    (void)len;
    if (s->mode == CHAT_MODE_JSON || s->mode == CHAT_MODE_AUTO)
        chat_session_error(s, "bad_json", "binary frames are not accepted; send JSON as text", "");
}

void chat_session_close(chat_session_t *s)
{
    chat_hub_t *h = s->hub;
    chat_hub_forget_sender(h, s);
    while (s->links)
        chat_hub_member_remove(s->links->ch, s);
    if (s->pres) {
        chat_session_t **pp = &s->pres->sessions;
        while (*pp && *pp != s)
            pp = &(*pp)->pres_next;
        if (*pp)
            *pp = s->pres_next;
    }
    s->conn = NULL;
    chat_resume_abandon(s);
    /* A join still waiting for its welcome was never announced. */
    if (s->pres && chat_hub_presence_remove(h, s->pres) && !s->join)
        chat_hub_announce(h, &h->general, s->name, false, NULL);
    s->pres = NULL;
    chat_session_unref(s);
}
