/* chat_search - full-text search requests: the query parser (words, phrases, from:, in:)
 * and the answer; see chat_search.h. */
#include "chat/chat_search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "chat/chat_channel.h"
#include "chat/chat_hub.h"

/* Adds a word or a phrase (n bytes of s) as a term; false when there are too many. */
static bool add_term(chat_search_query_t *out, const char *s, size_t n, bool phrase)
{
    if (out->nterms == CHAT_SEARCH_TERMS_MAX)
        return false;
    out->terms[out->nterms++] = (store_term_t){xstrndup(s, n), phrase};
    return true;
}

static bool set_filter(char *dst, size_t cap, const char *v, size_t n, char strip)
{
    if (n && v[0] == strip) {
        v++;
        n--;
    }
    if (n == 0 || n >= cap)
        return false;
    memcpy(dst, v, n);
    dst[n] = '\0';
    return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The start of UTC day v (n bytes, YYYY-MM-DD) in Unix ms, plus `days` days; -1 when v is
 * not a real day (2026-02-30 is not). */
static int64_t day_ms(const char *v, size_t n, int days)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n != 10 || v[4] != '-' || v[7] != '-')
        return -1;
    for (size_t i = 0; i < n; i++)
        if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
            return -1;
    int y = atoi(v);
    unsigned m = (unsigned)((v[5] - '0') * 10 + v[6] - '0');
    unsigned d = (unsigned)((v[8] - '0') * 10 + v[9] - '0');
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    return (days_from_civil(y, m, d) + days) * 86400000;
}

/* A date filter of v (after: from the day after it, before: up to it); false when v is no
 * day. Several narrow. */
static bool set_date(chat_search_query_t *out, bool after, const char *v, size_t n)
{
    int64_t t = day_ms(v, n, after ? 1 : 0);
    if (t < 0)
        return false;
    if (after && t > out->since)
        out->since = t;
    if (!after && (!out->until || t < out->until))
        out->until = t;
    return true;
}

void chat_search_query_deinit(chat_search_query_t *q)
{
    for (size_t i = 0; i < q->nterms; i++)
        free((char *)q->terms[i].text);
    q->nterms = 0;
}

bool chat_search_parse(const char *q, size_t len, chat_search_query_t *out)
{
    out->nterms = 0;
    out->user[0] = out->channel[0] = '\0';
    out->since = out->until = 0;
    size_t i = 0;
    while (i < len) {
        if (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r') {
            i++;
            continue;
        }
        size_t start = i;
        if (q[i] == '"') { /* a phrase, to the next quote or the end */
            start = ++i;
            while (i < len && q[i] != '"')
                i++;
            if (i > start && !add_term(out, q + start, i - start, true))
                return false;
            if (i < len)
                i++;
            continue;
        }
        while (i < len && q[i] != ' ' && q[i] != '\t' && q[i] != '\n' && q[i] != '\r')
            i++;
        size_t n = i - start;
        if (n > 5 && strncmp(q + start, "from:", 5) == 0) {
            if (!set_filter(out->user, sizeof(out->user), q + start + 5, n - 5, '@'))
                return false;
        } else if (n > 3 && strncmp(q + start, "in:", 3) == 0) {
            if (!set_filter(out->channel, sizeof(out->channel), q + start + 3, n - 3, '#'))
                return false;
        } else if (n > 7 && strncmp(q + start, "before:", 7) == 0) {
            if (!set_date(out, false, q + start + 7, n - 7))
                return false;
        } else if (n > 6 && strncmp(q + start, "after:", 6) == 0) {
            if (!set_date(out, true, q + start + 6, n - 6))
                return false;
        } else if (!add_term(out, q + start, n, false)) {
            return false;
        }
    }
    return true;
}

/* A page cursor: "<ts>.<seq>.<channel>", opaque to clients. */
#define CURSOR_MAX (2 * 21 + CHAT_CHANNEL_MAX + 1)

typedef struct {
    int64_t ts;
    uint64_t seq;
    char channel[CHAT_CHANNEL_MAX + 1];
} cursor_t;

/* Reads a cursor that an earlier answer's `next` gave; false when v is not one. */
static bool cursor_parse(const char *v, cursor_t *out)
{
    char *end;
    if (*v < '0' || *v > '9')
        return false;
    long long ts = strtoll(v, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9')
        return false;
    unsigned long long seq = strtoull(end + 1, &end, 10);
    if (*end != '.' || ts < 0 || seq == 0 || seq > INT64_MAX)
        return false;
    size_t n = strlen(end + 1);
    if (n == 0 || n > CHAT_CHANNEL_MAX)
        return false;
    out->ts = ts;
    out->seq = seq;
    memcpy(out->channel, end + 1, n + 1);
    return true;
}

typedef struct {
    chat_session_t *s;
    unsigned limit;
    char *q;
    char id[CHAT_ID_MAX];
} search_ctx_t;

static void on_results(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    search_ctx_t *c = ctx;
    chat_session_t *s = c->s;
    chat_session_read_end(s);
    if (chat_session_conn(s) && status == STORE_EBUDGET) {
        chat_session_error(s, "too_costly", "that search is too broad: add words", c->id);
    } else if (chat_session_conn(s) && status != STORE_ECANCELED) {
        buf_t b = BUF_INIT;
        buf_append_str(&b, "{\"type\":\"results\"");
        if (c->id[0])
            buf_appendf(&b, ",\"id\":%s", c->id);
        buf_append_str(&b, ",\"payload\":{\"q\":");
        json_append_string(&b, c->q, strlen(c->q));
        buf_append_str(&b, ",\"messages\":[");
        unsigned sent = 0;
        const store_msg_t *last = NULL;
        for (size_t i = 0; status >= 0 && i < n; i++) {
            chat_channel_t *ch = chat_hub_channel(chat_session_hub(s), msgs[i].channel);
            /* Only what the user can read now, whatever the index holds. */
            if (!ch || !chat_channel_has_user(ch, chat_session_user(s)->id))
                continue;
            if (sent == c->limit) {
                more = true;
                break;
            }
            if (sent++)
                buf_append_str(&b, ",");
            chat_msg_payload_json(&b, chat_channel_name(ch), &msgs[i]);
            last = &msgs[i];
        }
        more = more && status >= 0;
        buf_appendf(&b, "],\"more\":%s", more ? "true" : "false");
        if (more && last) { /* the cursor of the next page: after this page's last row */
            char next[CURSOR_MAX];
            snprintf(next, sizeof(next), "%lld.%llu.%s", (long long)last->ts,
                     (unsigned long long)last->seq, last->channel);
            buf_append_str(&b, ",\"next\":");
            json_append_string(&b, next, strlen(next));
        }
        buf_append_str(&b, "}}");
        chat_session_send(s, &b);
        buf_deinit(&b);
    }
    chat_session_unref(s);
    free(c->q);
    free(c);
}

void chat_search_request(chat_session_t *s, const json_env_t *e)
{
    json_t *q = e->payload ? json_object_get(e->payload, "q") : NULL;
    json_t *lim = e->payload ? json_object_get(e->payload, "limit") : NULL;
    json_t *cur = e->payload ? json_object_get(e->payload, "cursor") : NULL;
    if (!json_is_string(q) || (lim && (!json_is_integer(lim) || json_integer_value(lim) < 1))) {
        chat_session_error(s, "bad_payload", "search needs payload.q, a string (limit >= 1)",
                           e->id);
        return;
    }
    cursor_t cursor;
    if (cur && (!json_is_string(cur) || !cursor_parse(json_string_value(cur), &cursor))) {
        chat_session_error(s, "bad_payload", "cursor must be the `next` of an earlier results",
                           e->id);
        return;
    }
    size_t len = json_string_length(q);
    if (len > CHAT_SEARCH_QUERY_MAX) {
        chat_session_error(s, "too_large", "a search is at most 500 bytes", e->id);
        return;
    }
    chat_search_query_t pq;
    if (!chat_search_parse(json_string_value(q), len, &pq)) {
        chat_search_query_deinit(&pq);
        chat_session_error(s, "bad_payload",
                           "that search has a name too long or a date that is not YYYY-MM-DD",
                           e->id);
        return;
    }
    if (pq.nterms == 0 && !pq.user[0]) {
        chat_search_query_deinit(&pq);
        chat_session_error(s, "bad_payload",
                           "search for some words or from:name (in:, before: and after: narrow it)",
                           e->id);
        return;
    }
    if (pq.channel[0]) {
        chat_channel_t *ch = chat_hub_channel(chat_session_hub(s), pq.channel);
        /* A channel the user may not see is one that does not exist. */
        if (ch && chat_session_can(s, AUTH_ACT_SEE, ch, NULL) != AUTH_ALLOW)
            ch = NULL;
        if (!ch || !chat_channel_has_user(ch, chat_session_user(s)->id)) {
            chat_search_query_deinit(&pq);
            chat_session_error(s, ch ? "forbidden" : "no_such_channel",
                               ch ? "you are not a member of that channel" : "no such channel",
                               e->id);
            return;
        }
    }
    if (chat_session_reads_full(s, e->id)) {
        chat_search_query_deinit(&pq);
        return;
    }
    search_ctx_t *c = xcalloc(1, sizeof(*c));
    c->s = s;
    c->limit = lim && json_integer_value(lim) < CHAT_SEARCH_MAX ? (unsigned)json_integer_value(lim)
                                                                : CHAT_SEARCH_MAX;
    if (!lim)
        c->limit = 20;
    c->q = xstrdup(json_string_value(q));
    snprintf(c->id, sizeof(c->id), "%s", e->id);
    chat_session_ref(s);
    chat_session_read_begin(s);
    /* The query itself keeps to the channels the user is in, so that neither `more` nor
     * what fills the page (nor the time it takes) tells anything of the others. */
    chat_hub_t *h = chat_session_hub(s);
    const char **chans = xmalloc(chat_hub_nchannels(h) * sizeof(*chans));
    size_t nchans = 0;
    for (size_t i = 0; i < chat_hub_nchannels(h); i++) {
        const chat_channel_t *ch = chat_hub_channel_at(h, i);
        if (!chat_channel_unstored(ch) && chat_channel_has_user(ch, chat_session_user(s)->id))
            chans[nchans++] = chat_channel_name(ch);
    }
    store_search_t sq = {pq.terms,
                         pq.nterms,
                         pq.user[0] ? pq.user : NULL,
                         pq.channel[0] ? pq.channel : NULL,
                         c->limit,
                         chans,
                         nchans,
                         s,
                         pq.since,
                         pq.until,
                         cur ? cursor.ts : 0,
                         cur ? cursor.channel : NULL,
                         cur ? cursor.seq : 0};
    if (store_search(chat_hub_store(h), &sq, on_results, c) < 0)
        on_results(c, STORE_EFAILED, NULL, 0, false);
    free(chans);
    chat_search_query_deinit(&pq);
}
