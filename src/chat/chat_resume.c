/* chat_resume - the `resume` request: every message a client missed, over one or more
 * channels, then one `resumed` (docs/protocol.md, "Resume").
 *
 * A resume is served over its channels one after the other, each in
 * pages of RESUME_PAGE messages; the next page is asked of the store only once the
 * connection's queue has drained, so a resume costs at most one page of memory however long
 * the gap, and a client that stops reading stalls only itself. Every channel's link stays
 * held until its last page, so live messages of it are not sent in between (the pages carry
 * them); a channel done goes live again while the next is served. One `resumed` ends it. */
#include "chat/chat_resume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "json/json_env.h"

typedef struct {
    chat_channel_t *ch;
    uint64_t from, to; /* the client's last seq; the last seq sent */
    bool recovered;    /* false: the range cannot be served (no hold was taken) */
} resume_entry_t;

struct chat_resume {
    resume_entry_t *e;
    size_t n, cur;  /* entries; the one being served */
    uint64_t after; /* the next message of e[cur] is after this seq */
    bool querying;  /* a page query is in flight (it frees the resume if the session went) */
    char id[sizeof(((json_env_t *)0)->id)];
};

#define RESUME_PAGE 100

static void send_resumed(chat_session_t *s, const chat_resume_t *r)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"resumed\"");
    if (r->id[0])
        buf_appendf(&b, ",\"id\":%s", r->id);
    buf_append_str(&b, ",\"payload\":{\"channels\":{");
    for (size_t i = 0; i < r->n; i++) {
        const resume_entry_t *e = &r->e[i];
        if (i)
            buf_append_str(&b, ",");
        json_append_string(&b, e->ch->name, strlen(e->ch->name));
        buf_appendf(&b, ":{\"from\":%llu,\"to\":%llu,\"recovered\":%s}",
                    (unsigned long long)e->from + 1, (unsigned long long)e->to,
                    e->recovered ? "true" : "false");
    }
    buf_append_str(&b, "}}}");
    /* With the pages, past the bound: the pager kept the backlog under half of it. */
    if (s->conn) {
        blob_t *f = chat_frame_buf(&b);
        s->hub->t->send_bulk(s->conn, f);
        blob_unref(f);
    }
    buf_deinit(&b);
}

static void on_page(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more);
static void resume_step(chat_session_t *s);

static void resume_next_page(chat_session_t *s)
{
    chat_resume_t *r = s->resume;
    chat_channel_t *ch = r->e[r->cur].ch;
    r->querying = true;
    chat_session_ref(s);
    store_query_t sq = {
        .channel = ch->name, .after = r->after, .limit = RESUME_PAGE, .forward = true};
    if (store_query(s->hub->store, &sq, on_page, s) < 0)
        on_page(s, -1, NULL, 0, false); /* shutting down */
}

static void resume_end(chat_session_t *s)
{
    free(s->resume->e);
    free(s->resume);
    s->resume = NULL;
}

/* One page arrived: send it, then the next page (now, or when the queue drains) or the
 * closing `resumed`. */
static void resume_page(chat_session_t *s, int status, const store_msg_t *msgs, size_t n, bool more)
{
    chat_resume_t *r = s->resume;
    r->querying = false;
    if (!s->conn) {
        resume_end(s);
        return;
    }
    if (status < 0) {
        for (size_t i = r->cur; i < r->n; i++)
            if (r->e[i].recovered)
                chat_session_release_hold(s, r->e[i].ch, NULL, 0);
        chat_session_error(s, "internal", "the message store failed to answer", r->id);
        resume_end(s);
        return;
    }
    (void)more; /* resume_step compares with `committed` instead */
    for (size_t i = 0; i < n && s->hub->t->backlog(s->conn) < s->hub->cfg.outbound_budget; i++) {
        buf_t b = BUF_INIT;
        buf_append_str(&b, "{\"type\":\"msg\",\"payload\":");
        chat_msg_payload_json(&b, r->e[r->cur].ch->name, &msgs[i]);
        buf_append_str(&b, "}");
        blob_t *f = chat_frame_buf(&b);
        s->hub->t->send_bulk(s->conn, f);
        blob_unref(f);
        buf_deinit(&b);
        r->after = msgs[i].seq;
    }
    resume_step(s);
}

static void on_page(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    chat_session_t *s = ctx;
    resume_page(s, status, msgs, n, more);
    chat_session_unref(s);
}

/* Moves on to the next channel of the resume, if any. */
static void resume_advance(chat_resume_t *r)
{
    r->cur++;
    if (r->cur < r->n)
        r->after = r->e[r->cur].from;
}

/* Sends the resume onwards while the connection's backlog is under budget: from the ring
 * of recent frames when it covers the next seq, else a page from the store. Over budget,
 * waits for the queue to drain. A channel's part ends, and its hold with it, only once it
 * has caught up with `committed`: everything committed during the hold went out in it. The
 * backlog stays under the outbound bound, so the live messages that follow are not taken
 * for a slow consumer's. */
static void resume_step(chat_session_t *s)
{
    chat_resume_t *r = s->resume;
    const chat_transport_t *t = s->hub->t;
    while (t->backlog(s->conn) < s->hub->cfg.outbound_budget) {
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
        if (r->after >= e->ch->committed) {
            chat_link_t *l = chat_hub_link(s, e->ch);
            if (l && l->held) {
                l->held--;
                if (r->after > l->last_sent)
                    l->last_sent = r->after;
            }
            e->to = r->after;
            resume_advance(r);
            continue;
        }
        if (!chat_hub_recent_covers(e->ch, r->after)) {
            resume_next_page(s);
            return;
        }
        t->send_bulk(s->conn, chat_hub_recent_frame(e->ch, r->after + 1));
        r->after++;
    }
    t->want_drain(s->conn);
}

void chat_resume_drained(chat_session_t *s)
{
    if (s->resume && !s->resume->querying && s->conn)
        resume_step(s);
}

void chat_resume_abandon(chat_session_t *s)
{
    if (s->resume && !s->resume->querying)
        resume_end(s); /* a page in flight frees it when it lands */
}

void chat_resume_request(chat_session_t *s, const json_env_t *e)
{
    json_t *chans = e->payload ? json_object_get(e->payload, "channels") : NULL;
    if (!json_is_object(chans)) {
        chat_session_error(s, "bad_payload", "resume needs payload.channels, an object", e->id);
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(chans, key, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            chat_session_error(s, "bad_payload", "each channel maps to the last seq seen (>= 0)",
                               e->id);
            return;
        }
        chat_channel_t *ch = chat_hub_channel(s->hub, key);
        if (!ch) {
            chat_session_error(s, "no_such_channel", "no such channel", e->id);
            return;
        }
        if (!chat_hub_link(s, ch)) {
            chat_session_error(s, "forbidden", "you are not a member of that channel", e->id);
            return;
        }
    }
    if (s->resume) {
        chat_session_error(s, "bad_payload", "a resume is already in progress", e->id);
        return;
    }
    chat_resume_t *r = xcalloc(1, sizeof(*r));
    r->n = json_object_size(chans);
    r->e = xcalloc(r->n ? r->n : 1, sizeof(*r->e));
    snprintf(r->id, sizeof(r->id), "%s", e->id);
    size_t i = 0;
    json_object_foreach(chans, key, v)
    {
        resume_entry_t *en = &r->e[i++];
        en->ch = chat_hub_channel(s->hub, key);
        en->from = (uint64_t)json_integer_value(v);
        en->to = en->ch->committed;
        /* Seqs this server never committed (not our history), or a gap longer than we
         * replay: the client must refetch history. Else held until its part is sent. */
        en->recovered =
            en->from <= en->ch->committed && en->ch->committed - en->from <= s->hub->cfg.resume_max;
        if (en->recovered)
            chat_hub_link(s, en->ch)->held++;
    }
    if (r->n)
        r->after = r->e[0].from;
    s->resume = r;
    resume_step(s);
}
