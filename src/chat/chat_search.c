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
        } else if (!add_term(out, q + start, n, false)) {
            return false;
        }
    }
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
        }
        buf_appendf(&b, "],\"more\":%s}}", more && status >= 0 ? "true" : "false");
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
    if (!json_is_string(q) || (lim && (!json_is_integer(lim) || json_integer_value(lim) < 1))) {
        chat_session_error(s, "bad_payload", "search needs payload.q, a string (limit >= 1)",
                           e->id);
        return;
    }
    size_t len = json_string_length(q);
    if (len > CHAT_SEARCH_QUERY_MAX) {
        chat_session_error(s, "too_large", "a search is at most 500 bytes", e->id);
        return;
    }
    chat_search_query_t pq;
    if (!chat_search_parse(json_string_value(q), len, &pq) || pq.nterms == 0) {
        chat_search_query_deinit(&pq);
        chat_session_error(s, "bad_payload", "search for some words (from: and in: narrow it)",
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
                         s};
    if (store_search(chat_hub_store(h), &sq, on_results, c) < 0)
        on_results(c, STORE_EFAILED, NULL, 0, false);
    free(chans);
    chat_search_query_deinit(&pq);
}
