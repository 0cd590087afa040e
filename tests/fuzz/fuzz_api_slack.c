/* fuzz_api_slack - libFuzzer target for api_slack: Slack's incoming-webhook payload (JSON,
 * or a form's payload=) read into a parley message, and its mrkdwn turned into parley's
 * formatting.
 *
 * Input layout: the body, as POST /hooks/TOKEN receives it (copied to a heap buffer of
 * exactly its size, so ASan sees a read past it).
 *
 * Checked (abort() on a violation):
 *   - api_slack_parse answers 0 or -1; on 0 the text is NUL-terminated at its length, holds
 *     no NUL before it and is valid UTF-8 (every text comes out of a JSON string, and the
 *     conversion cuts and inserts only at ASCII bytes); it ends in neither a newline nor a
 *     space; the username is "" or at most 320 bytes; the icon is "" or ":name:" of
 *     [a-z0-9_+-];
 *   - api_slack_mrkdwn of the raw bytes, when they are UTF-8, gives UTF-8, and never more
 *     than twice their length plus 16 per "<" (a label's " (" and ")").
 * Nothing is kept between inputs (LeakSanitizer checks the buffers). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_slack.h"
#include "base/utf8.h"

static void check_icon(const char *icon)
{
    size_t n = strlen(icon);
    if (n == 0)
        return;
    if (n < 3 || icon[0] != ':' || icon[n - 1] != ':')
        abort();
    for (size_t i = 1; i + 1 < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_+-", icon[i]))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (size)
        memcpy(body, data, size);
    api_slack_msg_t m;
    int rc = api_slack_parse(body, size, &m);
    if (rc != 0 && rc != -1)
        abort();
    if (rc == 0) {
        const buf_t *t = &m.text;
        if (t->len && (!t->data || t->data[t->len] != '\0' || memchr(t->data, '\0', t->len) ||
                       !utf8_valid((const uint8_t *)t->data, t->len) ||
                       t->data[t->len - 1] == '\n' || t->data[t->len - 1] == ' '))
            abort();
        if (strlen(m.username) > 320)
            abort();
        check_icon(m.icon);
    }
    buf_deinit(&m.text);
    if (utf8_valid(data, size)) {
        buf_t out = BUF_INIT;
        api_slack_mrkdwn(body, size, &out);
        size_t angles = 0;
        for (size_t i = 0; i < size; i++)
            angles += body[i] == '<';
        if ((out.len && !utf8_valid((const uint8_t *)out.data, out.len)) ||
            out.len > 2 * size + 16 * angles)
            abort();
        buf_deinit(&out);
    }
    free(body);
    return 0;
}
