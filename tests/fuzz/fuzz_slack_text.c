/* fuzz_slack_text - libFuzzer target for src/cli/slack_text and slack_ts_parse (the text of
 * every message of an imported Slack export is hostile).
 *
 * Input: any bytes, cut at the first NUL (the converters take C strings, as jansson hands
 * them over). Checks:
 *   - slack_text_import and slack_text_export never read or write out of bounds (ASan);
 *   - an export holds no '<' or '>' but its own forms "<@ID>" and "<!channel>"/"<!here>";
 *   - import(export(t)) == t for a text without '@' (the escapes undo each other);
 *   - slack_ts_parse accepts only digits '.' digits, and its key has the ts's digits;
 *   - the emoji conversions stay within their buffers and their bounds.
 * Any mismatch abort()s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/slack_read.h"
#include "cli/slack_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *name_of(void *ctx, const char *id, size_t len)
{
    (void)ctx;
    return len > 0 && id[0] == 'U' ? "someone" : NULL;
}

static const char *mention(void *ctx, const char *s, size_t len, size_t *matched)
{
    (void)ctx;
    *matched = len >= 3 && memcmp(s, "bob", 3) == 0 ? 3 : 0;
    return *matched ? "U2" : NULL;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_slack_text: %s\n", what);
    abort();
}

static void check_export(const char *out)
{
    for (const char *p = out; (p = strpbrk(p, "<>")) != NULL; p++) {
        if (*p == '>')
            continue; /* closes a form checked below */
        if (strncmp(p, "<@U2>", 5) != 0 && strncmp(p, "<!channel>", 10) != 0 &&
            strncmp(p, "<!here>", 7) != 0)
            fail("an export holds a '<' that is not its own form");
        p = strchr(p, '>');
    }
}

static void check_ts(const char *s)
{
    int64_t ms;
    char key[SLACK_KEY_MAX];
    if (slack_ts_parse(s, &ms, key) != 0)
        return;
    if (strspn(s, "0123456789.") != strlen(s) || ms < 0 || strlen(key) >= SLACK_KEY_MAX)
        fail("slack_ts_parse accepted a bad ts");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    char *in = slack_text_import(s, name_of, name_of, NULL);
    char *out = slack_text_export(s, mention, NULL);
    check_export(out);
    if (!strchr(s, '@')) {
        char *back = slack_text_import(out, NULL, NULL, NULL);
        if (strcmp(back, s) != 0)
            fail("import(export(t)) != t");
        free(back);
    }
    check_ts(s);
    char emoji[40], name[40];
    size_t n = slack_emoji_import(s, emoji, sizeof(emoji), 32);
    if (n > 32 || (n && strlen(emoji) != n))
        fail("slack_emoji_import past its bound");
    if (n && !slack_emoji_export(emoji, name, sizeof(name)))
        fail("an imported emoji has no export");
    free(in);
    free(out);
    free(s);
    return 0;
}
