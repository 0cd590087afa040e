/* chat_history - answers about the past and the resume splice; see chat_history.h.
 *
 * A store query holds a reference to its session and a small context; its answer is
 * dropped when the connection went away meanwhile (the session is the read's owner, so
 * chat_session_end cancels it: STORE_ECANCELED). Each counts against the session's reads in
 * flight (chat_session_reads_full).
 *
 * The splice with live messages, under store.h's ordering: a read sees every write whose
 * callback fired before it was asked (so everything committed then), maybe more, but maybe
 * not what was committed while it ran. So a history answer that a hold waits for covers up
 * to `floor` (committed when asked) or its own newest row, whichever is higher; what was
 * committed beyond that by the time it lands is sent from the channel's ring after it.
 *
 * A resume is served over its channels one after the other, in pages of RESUME_PAGE
 * messages; the next page is asked of the store only once the connection's queue has
 * drained, so a resume costs at most one page of memory however long the gap, and a client
 * that stops reading stalls only itself. Every resumed channel's link stays held until its
 * part has caught up with `committed` (pages from a snapshot behind it only mean one more
 * page); a channel done goes live again while the next is served. One `resumed` ends it. */
#include "chat/chat_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "chat/chat_payload.h"

#define HISTORY_LIMIT_MAX 200
#define HISTORY_LIMIT_DEFAULT 50
#define RESUME_PAGE 100

/* ---- what a session is shown ---- */

/* A plain JSON session (no events: chat_session_events) is shown messages as they stand:
 * the store and the ring already carry each msg's latest text, so it needs no edit, no
 * reaction and no deleted message. */
static bool shown(const chat_session_t *s, const char *kind, bool deleted)
{
    return chat_session_events(s) || ((!kind || strcmp(kind, "msg") == 0) && !deleted);
}

static bool recent_shown(const chat_session_t *s, const chat_recent_t *r)
{
    return chat_session_events(s) || (r->kind == CHAT_EV_MSG && !r->deleted);
}

/* Appends the messages of an answer whose payload object is open, those s is shown. keep:
 * the index of a row kept whatever it is (a thread's parent), or n for none. */
static void answer_messages(buf_t *b, const chat_session_t *s, const char *name,
                            const store_msg_t *msgs, size_t n, size_t keep, bool more)
{
    if (chat_session_events(s)) {
        chat_messages_json(b, name, msgs, n, more);
        return;
    }
    store_msg_t *rows = xmalloc((n ? n : 1) * sizeof(*rows));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == keep || shown(s, msgs[i].kind, msgs[i].deleted))
            rows[k++] = msgs[i];
    chat_messages_json(b, name, rows, k, more);
    free(rows);
}

/* ---- history ---- */

static void send_history(chat_session_t *s, const chat_channel_t *ch, const store_msg_t *msgs,
                         size_t n, bool more, const char *id)
{
    const char *name = chat_channel_name(ch);
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"history\"");
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, name, strlen(name));
    answer_messages(&b, s, name, msgs, n, n, more);
    chat_session_send_answer(s, &b);
    buf_deinit(&b);
}

void chat_history_self_join(chat_session_t *s, const chat_channel_t *ch)
{
    blob_t *f = chat_user_event_frame("join", chat_session_name(s), chat_channel_name(ch),
                                      clock_wall_ms(), chat_session_user(s)->role == AUTH_GUEST);
    chat_session_send_frame(s, f);
    blob_unref(f);
}

/* What a history query needs to answer its session. */
typedef struct {
    chat_session_t *s;
    chat_channel_t *ch;
    uint64_t floor; /* ch's committed seq when asked: the answer covers at least that */
    bool join;      /* the history that follows entering ch: its link is held */
    bool self_join; /* the user's own join event follows it */
    char id[CHAT_ID_MAX];
} query_ctx_t;

/* Answers a read that failed: `too_costly` past the store's budget, nothing when it was
 * canceled (the connection is gone, or the server stops), else `internal`. */
void chat_history_read_error(chat_session_t *s, int status, const char *id)
{
    if (status == STORE_EBUDGET)
        chat_session_error(s, "too_costly", "that request would read too much: narrow it", id);
    else if (status != STORE_ECANCELED)
        chat_session_error(s, "internal", "the message store failed to answer", id);
}

/* Ends a hold once an answer covering up to `seen` went out: what ch committed beyond it
 * (while the read ran, see the top of the file) goes out now from the ring, which holds the
 * newest commits in order, and live fan-out goes on after it. A gap the ring no longer
 * holds (more than CHAT_RECENT commits in one channel during one read) cannot be filled
 * here: the client sees the seqs jump, as after any gap, and resumes. */
static void release_hold(chat_session_t *s, chat_channel_t *ch, uint64_t seen)
{
    chat_link_t *l = chat_session_link(s, ch);
    if (!l || !l->held)
        return; /* it left the channel meanwhile */
    uint64_t committed = chat_channel_committed(ch);
    const chat_recent_t *r;
    for (; seen < committed && (r = chat_channel_recent(ch, seen + 1)); seen++)
        if (recent_shown(s, r))
            chat_session_send_frame(s, r->frame);
    chat_link_release(l, seen > committed ? seen : committed);
}

static void on_query(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    query_ctx_t *q = ctx;
    chat_session_t *s = q->s;
    chat_session_read_end(s);
    if (status < 0)
        n = 0;
    if (chat_session_conn(s)) {
        if (status < 0)
            chat_history_read_error(s, status, q->id);
        else
            send_history(s, q->ch, msgs, n, more, q->id);
    }
    if (q->join) /* after the history: the ring's messages that it missed follow it */
        release_hold(s, q->ch, n && msgs[n - 1].seq > q->floor ? msgs[n - 1].seq : q->floor);
    if (chat_session_conn(s) && q->join && q->self_join)
        chat_history_self_join(s, q->ch);
    chat_session_unref(s);
    free(q);
}

static void start_query(chat_session_t *s, chat_channel_t *ch, store_query_t *sq, const char *id,
                        bool join, bool self_join)
{
    query_ctx_t *q = xcalloc(1, sizeof(*q));
    q->s = s;
    q->ch = ch;
    q->floor = chat_channel_committed(ch);
    q->join = join;
    q->self_join = self_join;
    snprintf(q->id, sizeof(q->id), "%s", id);
    chat_link_t *l = chat_session_link(s, ch);
    if (join && l)
        chat_link_hold(l);
    chat_session_ref(s);
    chat_session_read_begin(s);
    sq->owner = s;
    if (store_query(chat_hub_store(chat_session_hub(s)), sq, on_query, q) < 0)
        on_query(q, -1, NULL, 0, false); /* shutting down: a failure, answered now */
}

void chat_history_join(chat_session_t *s, chat_link_t *l, bool self_join)
{
    chat_hub_t *h = chat_session_hub(s);
    chat_channel_t *ch = l->ch;
    unsigned want = chat_hub_config(h)->history;
    store_query_t sq = {.channel = chat_channel_name(ch), .limit = want, .replies = true};
    blob_t *hist = want ? chat_channel_join_history(ch, want, !chat_session_events(s)) : NULL;
    if (want && !hist) {
        start_query(s, ch, &sq, "", true, self_join);
        return;
    }
    /* Answered from memory: exactly what is committed now, so no hold is needed. */
    chat_link_advance(l, chat_channel_committed(ch));
    if (hist)
        chat_session_answer_frame(s, hist);
    else
        send_history(s, ch, NULL, 0, chat_channel_committed(ch) > 0, "");
    blob_unref(hist);
    if (self_join)
        chat_history_self_join(s, ch);
}

/* Reads an optional integer field into *out; false (after answering bad_payload) when it
 * is present but not an integer within [min, max]. */
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

void chat_history_request(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = chat_session_channel_field(s, e, "channel", true, true);
    long long before = 0, after = -1, limit = HISTORY_LIMIT_DEFAULT;
    if (!ch || !int_field(s, e, "before", 1, INT64_MAX, &before) ||
        !int_field(s, e, "after", 0, INT64_MAX, &after) ||
        !int_field(s, e, "limit", 1, INT64_MAX, &limit))
        return;
    if (before > 0 && after >= 0) {
        chat_session_error(s, "bad_payload", "history takes before or after, not both", e->id);
        return;
    }
    if (chat_session_reads_full(s, e->id))
        return;
    if (limit > HISTORY_LIMIT_MAX)
        limit = HISTORY_LIMIT_MAX;
    /* after: the page that follows a seq, oldest first (a client reading forward from a
     * jump into the past); more then means newer messages exist. */
    store_query_t sq = {.channel = chat_channel_name(ch),
                        .after = after > 0 ? (uint64_t)after : 0,
                        .before = (uint64_t)before,
                        .limit = (unsigned)limit,
                        .forward = after >= 0,
                        .replies = true};
    start_query(s, ch, &sq, e->id, false, false);
}

/* ---- threads and targets ---- */

typedef struct {
    chat_session_t *s;
    chat_channel_t *ch;
    uint64_t seq;
    char id[CHAT_ID_MAX];
} thread_req_t;

static void send_thread(chat_session_t *s, const thread_req_t *t, const store_msg_t *msgs, size_t n,
                        bool more)
{
    const char *name = chat_channel_name(t->ch);
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"thread\"");
    if (t->id[0])
        buf_appendf(&b, ",\"id\":%s", t->id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, name, strlen(name));
    buf_appendf(&b, ",\"seq\":%llu", (unsigned long long)t->seq);
    answer_messages(&b, s, name, msgs, n, 0, more);
    chat_session_send_answer(s, &b);
    buf_deinit(&b);
}

static void on_thread(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    thread_req_t *t = ctx;
    chat_session_t *s = t->s;
    chat_session_read_end(s);
    if (!chat_session_conn(s))
        ;
    else if (status < 0)
        chat_history_read_error(s, status, t->id);
    else if (n == 0 || msgs[0].seq != t->seq ||
             chat_ev_parse(msgs[0].kind ? msgs[0].kind : "msg") != CHAT_EV_MSG)
        chat_session_error(s, "no_such_message", "no such message in that channel", t->id);
    else
        send_thread(s, t, msgs, n, more);
    chat_session_unref(s);
    free(t);
}

void chat_history_thread(chat_session_t *s, const json_env_t *e, chat_channel_t *ch, uint64_t seq)
{
    if (chat_session_reads_full(s, e->id))
        return;
    thread_req_t *t = xcalloc(1, sizeof(*t));
    t->s = s;
    t->ch = ch;
    t->seq = seq;
    snprintf(t->id, sizeof(t->id), "%s", e->id);
    chat_session_ref(s);
    chat_session_read_begin(s);
    store_query_t q = {
        .channel = chat_channel_name(ch), .limit = CHAT_THREAD_MAX + 1, .thread = seq, .owner = s};
    if (store_query(chat_hub_store(chat_session_hub(s)), &q, on_thread, t) < 0)
        on_thread(t, -1, NULL, 0, false);
}

typedef struct {
    chat_target_cb cb;
    void *ctx;
    uint64_t seq;
} target_req_t;

static void on_target(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    target_req_t *r = ctx;
    (void)more;
    chat_target_t t = {0};
    if (status >= 0 && n > 0 && msgs[0].seq == r->seq &&
        chat_ev_parse(msgs[0].kind ? msgs[0].kind : "msg") == CHAT_EV_MSG)
        t = (chat_target_t){.found = true,
                            .deleted = msgs[0].deleted,
                            .user_id = msgs[0].user_id,
                            .thread = msgs[0].thread};
    r->cb(r->ctx, &t);
    free(r);
}

void chat_history_target(chat_hub_t *h, chat_channel_t *ch, uint64_t seq, chat_target_cb cb,
                         void *ctx)
{
    chat_target_t t = {0};
    if (seq == 0 || seq > chat_channel_committed(ch)) {
        cb(ctx, &t);
        return;
    }
    const chat_recent_t *rc = chat_channel_recent(ch, seq);
    if (rc) {
        t = (chat_target_t){.found = rc->kind == CHAT_EV_MSG,
                            .deleted = rc->deleted,
                            .user_id = rc->user_id,
                            .thread = rc->thread};
        cb(ctx, &t);
        return;
    }
    target_req_t *r = xmalloc(sizeof(*r));
    *r = (target_req_t){cb, ctx, seq};
    store_query_t q = {
        .channel = chat_channel_name(ch), .after = seq - 1, .limit = 1, .forward = true};
    if (store_query(chat_hub_store(h), &q, on_target, r) < 0)
        on_target(r, -1, NULL, 0, false);
}

int chat_history_mentions(chat_session_t *s, uint64_t user, store_query_cb cb, void *ctx)
{
    return store_mention_counts(chat_hub_store(chat_session_hub(s)), user, s, cb, ctx);
}

/* ---- resume ---- */

typedef struct {
    chat_channel_t *ch;
    uint64_t from, to; /* the client's last seq; the last seq sent */
    bool recovered;    /* false: the range cannot be served (no hold was taken) */
    bool waited;       /* shared: held while its channel caught up from the store */
} resume_entry_t;

struct chat_resume {
    resume_entry_t *e;
    size_t n, cur;  /* entries; the one being served */
    uint64_t after; /* the next message of e[cur] is after this seq */
    bool querying;  /* a page query is in flight (it frees the resume if the session went) */
    size_t waiting; /* shared: channels still catching up before the resume begins */
    char id[CHAT_ID_MAX];
};

static void send_resumed(chat_session_t *s, const struct chat_resume *r)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"resumed\"");
    if (r->id[0])
        buf_appendf(&b, ",\"id\":%s", r->id);
    buf_append_str(&b, ",\"payload\":{\"channels\":{");
    for (size_t i = 0; i < r->n; i++) {
        const resume_entry_t *e = &r->e[i];
        const char *name = chat_channel_name(e->ch);
        if (i)
            buf_append_str(&b, ",");
        json_append_string(&b, name, strlen(name));
        buf_appendf(&b, ":{\"from\":%llu,\"to\":%llu,\"recovered\":%s}",
                    (unsigned long long)e->from + 1, (unsigned long long)e->to,
                    e->recovered ? "true" : "false");
    }
    buf_append_str(&b, "}}}");
    /* With the pages, past the bound: the pager kept the backlog under half of it. */
    blob_t *f = chat_frame_buf(&b);
    chat_session_send_bulk(s, f);
    blob_unref(f);
    buf_deinit(&b);
}

static void on_page(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more);
static void resume_step(chat_session_t *s);

static void resume_end(chat_session_t *s)
{
    struct chat_resume *r = chat_session_resume_state(s);
    free(r->e);
    free(r);
    chat_session_set_resume_state(s, NULL);
}

static void resume_next_page(chat_session_t *s)
{
    struct chat_resume *r = chat_session_resume_state(s);
    r->querying = true;
    chat_session_ref(s);
    chat_session_read_begin(s);
    store_query_t sq = {.channel = chat_channel_name(r->e[r->cur].ch),
                        .after = r->after,
                        .limit = RESUME_PAGE,
                        .forward = true,
                        .owner = s};
    if (store_query(chat_hub_store(chat_session_hub(s)), &sq, on_page, s) < 0)
        on_page(s, -1, NULL, 0, false); /* shutting down */
}

/* One page arrived: send it, then the next page (now, or when the queue drains) or the
 * closing `resumed`. */
static void resume_page(chat_session_t *s, int status, const store_msg_t *msgs, size_t n)
{
    struct chat_resume *r = chat_session_resume_state(s);
    size_t budget = chat_hub_config(chat_session_hub(s))->outbound_budget;
    r->querying = false;
    if (!chat_session_conn(s)) {
        resume_end(s);
        return;
    }
    if (status < 0) {
        for (size_t i = r->cur; i < r->n; i++)
            if (r->e[i].recovered)
                release_hold(s, r->e[i].ch, chat_channel_committed(r->e[i].ch));
        chat_history_read_error(s, status, r->id);
        resume_end(s);
        return;
    }
    const char *name = chat_channel_name(r->e[r->cur].ch);
    for (size_t i = 0; i < n && chat_session_backlog(s) < budget; i++) {
        r->after = msgs[i].seq;
        if (!shown(s, msgs[i].kind, msgs[i].deleted))
            continue;
        buf_t b = BUF_INIT;
        buf_append_str(&b, "{\"type\":\"msg\",\"payload\":");
        chat_msg_payload_json(&b, name, &msgs[i]);
        buf_append_str(&b, "}");
        blob_t *f = chat_frame_buf(&b);
        chat_session_send_bulk(s, f);
        blob_unref(f);
        buf_deinit(&b);
    }
    resume_step(s);
}

static void on_page(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    chat_session_t *s = ctx;
    chat_session_read_end(s);
    (void)more; /* resume_step compares with `committed` instead */
    resume_page(s, status, msgs, n);
    chat_session_unref(s);
}

static void resume_advance(struct chat_resume *r)
{
    r->cur++;
    if (r->cur < r->n)
        r->after = r->e[r->cur].from;
}

/* Sends the resume onwards while the connection's backlog is under budget: from the ring
 * when it covers the next seq, else a page from the store. Over budget, waits for the
 * queue to drain. A channel's part ends, and its hold with it, only once it has caught up
 * with `committed`: everything committed during the hold went out in it. The backlog stays
 * under the outbound bound, so the live messages that follow are not taken for a slow
 * consumer's. */
static void resume_step(chat_session_t *s)
{
    struct chat_resume *r = chat_session_resume_state(s);
    size_t budget = chat_hub_config(chat_session_hub(s))->outbound_budget;
    while (chat_session_backlog(s) < budget) {
        if (r->cur == r->n) {
            send_resumed(s, r);
            resume_end(s);
            return;
        }
        resume_entry_t *e = &r->e[r->cur];
        if (!e->recovered) {
            resume_advance(r);
            continue;
        }
        if (r->after >= chat_channel_committed(e->ch)) {
            chat_link_t *l = chat_session_link(s, e->ch);
            if (l && l->held)
                chat_link_release(l, r->after);
            e->to = r->after;
            resume_advance(r);
            continue;
        }
        if (!chat_channel_recent_covers(e->ch, r->after)) {
            resume_next_page(s);
            return;
        }
        if (recent_shown(s, chat_channel_recent(e->ch, r->after + 1)))
            chat_session_send_bulk(s, chat_channel_recent_frame(e->ch, r->after + 1));
        r->after++;
    }
    chat_session_want_drain(s);
}

void chat_history_drained(chat_session_t *s)
{
    struct chat_resume *r = chat_session_resume_state(s);
    if (r && !r->querying && !r->waiting && chat_session_conn(s))
        resume_step(s);
}

void chat_history_abandon(chat_session_t *s)
{
    struct chat_resume *r = chat_session_resume_state(s);
    if (r && !r->querying)
        resume_end(s); /* a page in flight frees it when it lands */
}

/* Each channel's range as it stands now, and the first page. */
static void resume_begin(chat_session_t *s, struct chat_resume *r)
{
    chat_hub_t *h = chat_session_hub(s);
    for (size_t i = 0; i < r->n; i++) {
        resume_entry_t *en = &r->e[i];
        uint64_t committed = chat_channel_committed(en->ch);
        en->to = committed;
        /* Seqs this server never committed (not our history), or a gap longer than we
         * replay: the client must refetch history. Else held until its part is sent. */
        en->recovered =
            en->from <= committed && committed - en->from <= chat_hub_config(h)->resume_max;
        if (en->recovered)
            chat_link_hold(chat_session_link(s, en->ch));
    }
    if (r->n)
        r->after = r->e[0].from;
    resume_step(s);
}

/* A channel a resume waited for caught up; the last one begins it, if the session and its
 * resume are still there. */
static void on_resume_caught(void *ctx, bool ok)
{
    chat_session_t *s = ctx;
    struct chat_resume *r = chat_session_resume_state(s);
    if (r && r->waiting && --r->waiting == 0) {
        /* What committed while it waited was held back: the resume serves it now. */
        for (size_t i = 0; i < r->n; i++) {
            chat_link_t *l = r->e[i].waited ? chat_session_link(s, r->e[i].ch) : NULL;
            if (l)
                chat_link_release(l, 0);
        }
        if (ok && chat_session_conn(s))
            resume_begin(s, r);
        else
            resume_end(s);
    }
    chat_session_unref(s);
}

/* Checks every channel of a resume request before anything is served. */
static bool resume_valid(chat_session_t *s, const json_env_t *e, json_t *chans)
{
    const char *key;
    json_t *v;
    json_object_foreach(chans, key, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            chat_session_error(s, "bad_payload", "each channel maps to the last seq seen (>= 0)",
                               e->id);
            return false;
        }
        chat_channel_t *ch = chat_hub_channel(chat_session_hub(s), key);
        /* A channel the user may not see is one that does not exist. */
        if (!ch || chat_channel_unstored(ch) ||
            chat_session_can(s, AUTH_ACT_SEE, ch, NULL) != AUTH_ALLOW) {
            chat_session_error(s, "no_such_channel", "no such channel", e->id);
            return false;
        }
        if (!chat_session_link(s, ch)) {
            chat_session_error(s, "forbidden", "you are not a member of that channel", e->id);
            return false;
        }
    }
    return true;
}

void chat_history_resume(chat_session_t *s, const json_env_t *e)
{
    chat_hub_t *h = chat_session_hub(s);
    json_t *chans = e->payload ? json_object_get(e->payload, "channels") : NULL;
    if (!json_is_object(chans)) {
        chat_session_error(s, "bad_payload", "resume needs payload.channels, an object", e->id);
        return;
    }
    if (!resume_valid(s, e, chans))
        return;
    if (chat_session_resume_state(s)) {
        chat_session_error(s, "bad_payload", "a resume is already in progress", e->id);
        return;
    }
    if (chat_session_reads_full(s, e->id))
        return;
    struct chat_resume *r = xcalloc(1, sizeof(*r));
    r->n = json_object_size(chans);
    r->e = xcalloc(r->n ? r->n : 1, sizeof(*r->e));
    snprintf(r->id, sizeof(r->id), "%s", e->id);
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(chans, key, v)
    {
        resume_entry_t *en = &r->e[i++];
        en->ch = chat_hub_channel(h, key);
        en->from = (uint64_t)json_integer_value(v);
    }
    chat_session_set_resume_state(s, r);
    if (!chat_hub_config(h)->shared) {
        resume_begin(s, r);
        return;
    }
    /* The client may have seen, on another process, more than this one has heard of: the
     * channels it is ahead in catch up from the store first, and then it is served whole. */
    for (i = 0; i < r->n; i++) {
        if (r->e[i].from <= chat_channel_committed(r->e[i].ch))
            continue;
        r->waiting++;
        r->e[i].waited = true;
        chat_link_hold(chat_session_link(s, r->e[i].ch)); /* nothing live meanwhile */
        chat_session_ref(s);
        chat_hub_catch_up_then(h, r->e[i].ch, on_resume_caught, s);
    }
    if (!r->waiting)
        resume_begin(s, r);
}
