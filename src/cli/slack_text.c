/* slack_text - Slack's markup and reaction names to and from parley's text; see
 * slack_text.h.
 *
 * Import walks the text once: an entity or a complete <...> form is rewritten, every other
 * byte copied, so that the result never holds more than the input plus the names put in.
 * Export walks it once too, escaping the three characters and turning a mention at a word
 * start into Slack's form. Both work on bytes: every form they touch is ASCII, so UTF-8
 * passes through untouched. */
#include "cli/slack_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

/* The common reaction names (Slack's, GitHub's and the emoji module's, which the web
 * client's picker also knows). The first name of an emoji is the one exported. */
static const struct {
    const char *name, *emoji;
} emoji_table[] = {
    {"+1", "\U0001F44D"},
    {"thumbsup", "\U0001F44D"},
    {"-1", "\U0001F44E"},
    {"thumbsdown", "\U0001F44E"},
    {"heart", "\u2764\uFE0F"},
    {"tada", "\U0001F389"},
    {"smile", "\U0001F604"},
    {"smiley", "\U0001F603"},
    {"grinning", "\U0001F600"},
    {"laughing", "\U0001F606"},
    {"joy", "\U0001F602"},
    {"wink", "\U0001F609"},
    {"blush", "\U0001F60A"},
    {"slightly_smiling_face", "\U0001F642"},
    {"thinking_face", "\U0001F914"},
    {"sweat_smile", "\U0001F605"},
    {"cry", "\U0001F622"},
    {"sob", "\U0001F62D"},
    {"scream", "\U0001F631"},
    {"eyes", "\U0001F440"},
    {"pray", "\U0001F64F"},
    {"clap", "\U0001F44F"},
    {"raised_hands", "\U0001F64C"},
    {"wave", "\U0001F44B"},
    {"ok_hand", "\U0001F44C"},
    {"muscle", "\U0001F4AA"},
    {"fire", "\U0001F525"},
    {"rocket", "\U0001F680"},
    {"star", "\u2B50"},
    {"sparkles", "\u2728"},
    {"100", "\U0001F4AF"},
    {"white_check_mark", "\u2705"},
    {"heavy_check_mark", "\u2714\uFE0F"},
    {"x", "\u274C"},
    {"warning", "\u26A0\uFE0F"},
    {"bug", "\U0001F41B"},
    {"coffee", "\u2615"},
    {"beers", "\U0001F37B"},
    {"party_popper", "\U0001F389"},
    {"heart_eyes", "\U0001F60D"},
    {"sunglasses", "\U0001F60E"},
    {"point_up", "\u261D\uFE0F"},
    {"bulb", "\U0001F4A1"},
    {"memo", "\U0001F4DD"},
    {"question", "\u2753"},
    {"exclamation", "\u2757"},
    {"zap", "\u26A1"},
    {"see_no_evil", "\U0001F648"},
    {"facepalm", "\U0001F926"},
    {"shrug", "\U0001F937"},
};

#define NEMOJI (sizeof(emoji_table) / sizeof(emoji_table[0]))

const char *slack_emoji_of(const char *name)
{
    for (size_t i = 0; i < NEMOJI; i++)
        if (strcmp(emoji_table[i].name, name) == 0)
            return emoji_table[i].emoji;
    return NULL;
}

const char *slack_emoji_name(const char *emoji)
{
    for (size_t i = 0; i < NEMOJI; i++)
        if (strcmp(emoji_table[i].emoji, emoji) == 0)
            return emoji_table[i].name;
    return NULL;
}

size_t slack_emoji_import(const char *name, char *out, size_t cap, size_t max)
{
    if (!*name)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= ' ' || *p == ':' || *p == 0x7f)
            return 0;
    const char *e = slack_emoji_of(name);
    int n = e ? snprintf(out, cap, "%s", e) : snprintf(out, cap, ":%s:", name);
    return n > 0 && (size_t)n < cap && (size_t)n <= max ? (size_t)n : 0;
}

size_t slack_emoji_export(const char *emoji, char *out, size_t cap)
{
    const char *name = slack_emoji_name(emoji);
    size_t len = strlen(emoji);
    int n;
    if (name)
        n = snprintf(out, cap, "%s", name);
    else if (len > 2 && emoji[0] == ':' && emoji[len - 1] == ':')
        n = snprintf(out, cap, "%.*s", (int)(len - 2), emoji + 1);
    else
        n = snprintf(out, cap, "%s", emoji);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* ---- import ---- */

static const struct {
    const char *entity;
    char c;
} entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};

/* A URL's label said again: "example.com/x" for "https://example.com/x", or the URL
 * itself. */
static bool label_is_url(const char *url, size_t ulen, const char *label, size_t llen)
{
    if (llen == ulen && memcmp(url, label, ulen) == 0)
        return true;
    const char *schemes[] = {"https://", "http://", "mailto:"};
    for (size_t i = 0; i < 3; i++) {
        size_t sl = strlen(schemes[i]);
        if (ulen == sl + llen && memcmp(url, schemes[i], sl) == 0 &&
            memcmp(url + sl, label, llen) == 0)
            return true;
    }
    return false;
}

/* Appends text with its entities decoded. */
static void append_decoded(buf_t *out, const char *p, size_t len)
{
    for (size_t i = 0; i < len;) {
        bool done = false;
        for (size_t k = 0; k < 3 && p[i] == '&'; k++) {
            size_t el = strlen(entities[k].entity);
            if (len - i >= el && memcmp(p + i, entities[k].entity, el) == 0) {
                buf_append(out, &entities[k].c, 1);
                i += el;
                done = true;
                break;
            }
        }
        if (!done)
            buf_append(out, p + i++, 1);
    }
}

/* One <...> form (body: between the brackets) onto out. */
static void append_form(buf_t *out, const char *body, size_t len, slack_name_fn user,
                        slack_name_fn channel, void *ctx)
{
    const char *bar = memchr(body, '|', len);
    size_t head = bar ? (size_t)(bar - body) : len;
    const char *label = bar ? bar + 1 : NULL;
    size_t llen = bar ? len - head - 1 : 0;
    if (len > 0 && (body[0] == '@' || body[0] == '#')) {
        slack_name_fn fn = body[0] == '@' ? user : channel;
        const char *name = fn ? fn(ctx, body + 1, head - 1) : NULL;
        buf_append(out, body, 1);
        if (name)
            buf_append_str(out, name);
        else if (label && llen)
            append_decoded(out, label[0] == body[0] ? label + 1 : label,
                           label[0] == body[0] ? llen - 1 : llen);
        else
            append_decoded(out, body + 1, head - 1);
        return;
    }
    if (len > 0 && body[0] == '!') {
        if ((head == 8 && memcmp(body, "!channel", 8) == 0) ||
            (head == 9 && memcmp(body, "!everyone", 9) == 0))
            buf_append_str(out, "@channel");
        else if (head == 5 && memcmp(body, "!here", 5) == 0)
            buf_append_str(out, "@here");
        else if (label)
            append_decoded(out, label, llen);
        return;
    }
    if (label && llen && !label_is_url(body, head, label, llen)) {
        append_decoded(out, label, llen);
        buf_append_str(out, " (");
        append_decoded(out, body, head);
        buf_append_str(out, ")");
        return;
    }
    append_decoded(out, body, head);
}

char *slack_text_import(const char *in, slack_name_fn user, slack_name_fn channel, void *ctx)
{
    buf_t out = BUF_INIT;
    buf_reserve(&out, strlen(in));
    const char *p = in;
    while (*p) {
        const char *lt = strchr(p, '<');
        if (!lt) {
            append_decoded(&out, p, strlen(p));
            break;
        }
        append_decoded(&out, p, (size_t)(lt - p));
        const char *gt = strchr(lt + 1, '>');
        const char *nl = strchr(lt + 1, '\n');
        if (!gt || (nl && nl < gt)) { /* not a form: the '<' as it is */
            buf_append(&out, "<", 1);
            p = lt + 1;
            continue;
        }
        append_form(&out, lt + 1, (size_t)(gt - lt - 1), user, channel, ctx);
        p = gt + 1;
    }
    buf_reserve(&out, 0);
    out.data[out.len] = '\0';
    return buf_steal(&out, NULL);
}

/* ---- export ---- */

static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c >= 0x80;
}

/* The special mention at s ("channel", "here" followed by no word byte), its length or 0. */
static size_t special_at(const char *s, const char **which)
{
    const char *names[] = {"channel", "here"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(s, names[i], n) == 0 && !word_byte((unsigned char)s[n])) {
            *which = names[i];
            return n;
        }
    }
    return 0;
}

char *slack_text_export(const char *in, slack_mention_fn mention, void *ctx)
{
    buf_t out = BUF_INIT;
    buf_reserve(&out, strlen(in));
    size_t len = strlen(in);
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        bool at_start = i == 0 || !word_byte((unsigned char)in[i - 1]);
        if (c == '@' && at_start) {
            const char *which = NULL, *id = NULL;
            size_t n = special_at(in + i + 1, &which), matched = 0;
            if (n) {
                buf_appendf(&out, "<!%s>", which);
                i += n;
                continue;
            }
            if (mention && (id = mention(ctx, in + i + 1, len - i - 1, &matched)) && matched) {
                buf_appendf(&out, "<@%s>", id);
                i += matched;
                continue;
            }
        }
        if (c == '&')
            buf_append_str(&out, "&amp;");
        else if (c == '<')
            buf_append_str(&out, "&lt;");
        else if (c == '>')
            buf_append_str(&out, "&gt;");
        else
            buf_append(&out, &c, 1);
    }
    buf_reserve(&out, 0);
    out.data[out.len] = '\0';
    return buf_steal(&out, NULL);
}
