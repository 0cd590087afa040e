/* api_slack - Slack's incoming-webhook message, read into a parley message (docs/api.md,
 * "Incoming webhooks"): what tools that "post to a Slack webhook" send, turned into text in
 * parley's formatting. Pure: no I/O, no state (unit-tested and fuzzable alone).
 *
 * The body is JSON, or application/x-www-form-urlencoded with the JSON in `payload=` (as
 * Slack accepts). Of the JSON:
 *   - text: the message (Slack mrkdwn);
 *   - blocks: section (text, fields), header (bold), context (its texts on one line),
 *     rich_text (sections, lists, quotes, preformatted) reduced to their text, shown instead
 *     of `text` when they hold any (as Slack shows them);
 *   - attachments: each one's pretext, title (with title_link), text and fields
 *     ("*Title*: value"), or its fallback when it has none of them, after the text;
 *   - username (shown as the author instead of the hook's name), icon_emoji (":name:", the
 *     avatar), mrkdwn (false: `text` is taken as it is, no link or mention syntax read).
 * Slack mrkdwn becomes parley's: <URL|label> "label (URL)", <URL> "URL", <!here> "@here",
 * <!channel> and <!everyone> "@channel", <@U123> "@U123", <#C1|name> "#name", &amp; &lt;
 * &gt; their characters. *bold*, _italic_, ~strike~, `code` and ``` blocks are parley's
 * own already. */
#ifndef PARLEY_API_SLACK_H
#define PARLEY_API_SLACK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

typedef struct {
    buf_t text;         /* the message, NUL-terminated (empty: the payload had no text) */
    char username[321]; /* "" when none or not a string (the caller checks it as a name) */
    char icon[67];      /* ":name:" (1-64 of a-z0-9_+-), "" when none or malformed */
} api_slack_msg_t;

/* Reads body (len bytes). 0 with *out filled (buf_deinit(&out->text) afterwards, also on
 * failure), or -1: not a JSON object, nor a form whose payload is one. */
int api_slack_parse(const char *body, size_t len, api_slack_msg_t *out);
/* Appends Slack mrkdwn s (len bytes) to out as parley's formatting (see above). */
void api_slack_mrkdwn(const char *s, size_t len, buf_t *out);

#endif
