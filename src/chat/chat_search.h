/* chat_search - the `search` request: full-text search over the messages of the channels a
 * user is in (docs/protocol.md, "Search").
 *
 * A query is words, "quoted phrases", from:name, in:channel and the dates before: and after:
 * (YYYY-MM-DD, UTC days, as Slack reads them: after: is from the next day on, before: up to
 * that day). Words, or from: alone, are needed. Answers come in pages: a page
 * that has more carries `next`, an opaque cursor (ts, channel and seq of its last row) that
 * the next request passes as `cursor`. The words and phrases go to
 * the store as plain terms (store_term_t), which the backend matches as text whatever they
 * hold, so no input can be read as query syntax; they all must match. The store answers on
 * its thread; results from channels the user is not in are dropped here, before anything is
 * sent. */
#ifndef PARLEY_CHAT_SEARCH_H
#define PARLEY_CHAT_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "store/store.h"
#include "chat/chat_session.h"
#include "json/json_env.h"

#define CHAT_SEARCH_MAX 50        /* results per answer */
#define CHAT_SEARCH_QUERY_MAX 500 /* bytes of query text */
#define CHAT_SEARCH_TERMS_MAX 256 /* words and phrases (500 bytes hold at most 250) */

typedef struct {
    store_term_t terms[CHAT_SEARCH_TERMS_MAX]; /* each text owned here */
    size_t nterms;                             /* 0 when no words */
    char user[CHAT_NAME_BYTES + 1];            /* from:, "" when absent */
    char channel[CHAT_CHANNEL_MAX + 1];        /* in:, "" when absent */
    int64_t since, until;                      /* Unix ms: ts >= since, ts < until (0: no bound) */
} chat_search_query_t;

/* Parses q (len bytes) into out, which the caller releases with chat_search_query_deinit
 * whatever the result. Returns false when a from: or in: value is too long to be a name, a
 * date is not a YYYY-MM-DD day, or there are more than CHAT_SEARCH_TERMS_MAX terms. */
bool chat_search_parse(const char *q, size_t len, chat_search_query_t *out);
void chat_search_query_deinit(chat_search_query_t *q);
/* Answers a `search` request of a joined session. */
void chat_search_request(chat_session_t *s, const json_env_t *e);

#endif
