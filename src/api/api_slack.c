/* api_slack - Slack's incoming-webhook payload; see api_slack.h.
 *
 * The JSON is read with jansson (strict UTF-8, duplicates refused); every text taken from
 * it goes through api_slack_mrkdwn into one buffer, parts separated by newlines. Nesting is
 * bounded by jansson's own depth limit; rich text elements are walked to a fixed depth. */
#include "api/api_slack.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

#define RICH_DEPTH_MAX 8

/* ---- mrkdwn ---- */

static void entity(const char **p, const char *end, buf_t *out)
{
    static const struct {
        const char *name, *ch;
    } ents[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}};
    for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
        size_t n = strlen(ents[i].name);
        if ((size_t)(end - *p) >= n && memcmp(*p, ents[i].name, n) == 0) {
            buf_append_str(out, ents[i].ch);
            *p += n;
            return;
        }
    }
    buf_append(out, "&", 1);
    (*p)++;
}

/* One <...> of Slack's (inside, len bytes, without the brackets). */
static void angle(const char *in, size_t len, buf_t *out)
{
    const char *bar = memchr(in, '|', len);
    size_t head = bar ? (size_t)(bar - in) : len;
    const char *label = bar ? bar + 1 : NULL;
    size_t llen = bar ? len - head - 1 : 0;
    if (head > 0 && in[0] == '!') {
        if (head == 5 && memcmp(in, "!here", 5) == 0)
            buf_append_str(out, "@here");
        else if ((head == 8 && memcmp(in, "!channel", 8) == 0) ||
                 (head == 9 && memcmp(in, "!everyone", 9) == 0))
            buf_append_str(out, "@channel");
        else if (label)
            buf_append(out, label, llen); /* <!date^...|fallback>, <!subteam^ID|@team> */
        return;
    }
    if (head > 0 && (in[0] == '@' || in[0] == '#')) {
        buf_append(out, in, 1);
        if (label && llen && (label[0] == '@' || label[0] == '#'))
            buf_append(out, label + 1, llen - 1);
        else if (label && llen)
            buf_append(out, label, llen);
        else
            buf_append(out, in + 1, head - 1);
        return;
    }
    if (label && llen) {
        buf_append(out, label, llen);
        buf_append_str(out, " (");
        buf_append(out, in, head);
        buf_append_str(out, ")");
    } else {
        buf_append(out, in, head);
    }
}

void api_slack_mrkdwn(const char *s, size_t len, buf_t *out)
{
    const char *p = s, *end = s + len;
    while (p < end) {
        if (*p == '&') {
            entity(&p, end, out);
        } else if (*p == '<') {
            const char *close = memchr(p + 1, '>', (size_t)(end - p - 1));
            const char *nl = memchr(p + 1, '\n', (size_t)(end - p - 1));
            if (!close || (nl && nl < close)) {
                buf_append(out, p++, 1);
                continue;
            }
            /* The label and the URL may hold entities too. */
            buf_t inner = BUF_INIT;
            api_slack_mrkdwn(p + 1, (size_t)(close - p - 1), &inner);
            angle(inner.data ? inner.data : "", inner.len, out);
            buf_deinit(&inner);
            p = close + 1;
        } else {
            const char *next = p;
            while (next < end && *next != '&' && *next != '<')
                next++;
            buf_append(out, p, (size_t)(next - p));
            p = next;
        }
    }
}

/* ---- the payload's parts ---- */

/* Starts a new part of the message (a line break between parts). */
static void part(buf_t *out)
{
    if (out->len && out->data[out->len - 1] != '\n')
        buf_append_str(out, "\n");
}

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && v[0] ? v : NULL;
}

/* A text object ({"type":"mrkdwn"|"plain_text","text":...}) or a plain string. */
static void text_obj(json_t *t, buf_t *out)
{
    const char *s = json_is_string(t) ? json_string_value(t) : str(t, "text");
    if (!s)
        return;
    bool plain = json_is_object(t) && str(t, "type") && strcmp(str(t, "type"), "plain_text") == 0;
    if (plain)
        buf_append_str(out, s);
    else
        api_slack_mrkdwn(s, strlen(s), out);
}

static void bold(const char *s, buf_t *out)
{
    buf_append_str(out, "*");
    api_slack_mrkdwn(s, strlen(s), out);
    buf_append_str(out, "*");
}

static void rich(json_t *e, int depth, buf_t *out);

static void rich_children(json_t *e, int depth, buf_t *out)
{
    json_t *list = json_object_get(e, "elements");
    for (size_t i = 0; i < json_array_size(list); i++)
        rich(json_array_get(list, i), depth + 1, out);
}

/* A rich_text element, its text as parley shows it. */
static void rich(json_t *e, int depth, buf_t *out)
{
    const char *type = str(e, "type");
    if (!type || depth > RICH_DEPTH_MAX)
        return;
    if (strcmp(type, "text") == 0 && str(e, "text")) {
        buf_append_str(out, str(e, "text"));
    } else if (strcmp(type, "link") == 0 && str(e, "url")) {
        if (str(e, "text")) {
            buf_append_str(out, str(e, "text"));
            buf_append_str(out, " (");
        }
        buf_append_str(out, str(e, "url"));
        if (str(e, "text"))
            buf_append_str(out, ")");
    } else if (strcmp(type, "emoji") == 0 && str(e, "name")) {
        buf_appendf(out, ":%s:", str(e, "name"));
    } else if (strcmp(type, "user") == 0 && str(e, "user_id")) {
        buf_appendf(out, "@%s", str(e, "user_id"));
    } else if (strcmp(type, "channel") == 0 && str(e, "channel_id")) {
        buf_appendf(out, "#%s", str(e, "channel_id"));
    } else if (strcmp(type, "broadcast") == 0 && str(e, "range")) {
        buf_appendf(out, "@%s", strcmp(str(e, "range"), "here") == 0 ? "here" : "channel");
    } else if (strcmp(type, "rich_text_list") == 0) {
        json_t *list = json_object_get(e, "elements");
        for (size_t i = 0; i < json_array_size(list); i++) {
            part(out);
            buf_append_str(out, "- ");
            rich(json_array_get(list, i), depth + 1, out);
        }
        part(out);
    } else if (strcmp(type, "rich_text_preformatted") == 0) {
        part(out);
        buf_append_str(out, "```\n");
        rich_children(e, depth, out);
        buf_append_str(out, "\n```\n");
    } else if (strcmp(type, "rich_text_quote") == 0) {
        part(out);
        buf_append_str(out, "> ");
        rich_children(e, depth, out);
        part(out);
    } else {
        rich_children(e, depth, out); /* rich_text_section and the block itself */
    }
}

static void block(json_t *b, buf_t *out)
{
    const char *type = str(b, "type");
    if (!type)
        return;
    size_t before = out->len;
    part(out);
    size_t start = out->len;
    if (strcmp(type, "section") == 0) {
        text_obj(json_object_get(b, "text"), out);
        json_t *fields = json_object_get(b, "fields");
        for (size_t i = 0; i < json_array_size(fields); i++) {
            part(out);
            text_obj(json_array_get(fields, i), out);
        }
    } else if (strcmp(type, "header") == 0) {
        const char *s = str(json_object_get(b, "text"), "text");
        if (s)
            bold(s, out);
    } else if (strcmp(type, "context") == 0) {
        json_t *elements = json_object_get(b, "elements");
        for (size_t i = 0; i < json_array_size(elements); i++) {
            json_t *e = json_array_get(elements, i);
            size_t mark = out->len;
            if (out->len > start)
                buf_append_str(out, " ");
            size_t spaced = out->len;
            text_obj(e, out);
            if (out->len == spaced)
                out->len = mark; /* an element without text (an image) */
        }
    } else if (strcmp(type, "rich_text") == 0) {
        rich(b, 0, out);
    }
    if (out->len == start)
        out->len = before; /* a block without text (divider, image, actions) */
}

static void attachment(json_t *a, buf_t *out)
{
    size_t start = out->len;
    const char *pretext = str(a, "pretext"), *title = str(a, "title"), *link = str(a, "title_link");
    if (pretext) {
        part(out);
        api_slack_mrkdwn(pretext, strlen(pretext), out);
    }
    if (title) {
        part(out);
        buf_append_str(out, "*");
        api_slack_mrkdwn(title, strlen(title), out);
        buf_append_str(out, "*");
        if (link) {
            buf_append_str(out, " ");
            api_slack_mrkdwn(link, strlen(link), out);
        }
    }
    if (str(a, "text")) {
        part(out);
        api_slack_mrkdwn(str(a, "text"), strlen(str(a, "text")), out);
    }
    json_t *fields = json_object_get(a, "fields");
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        const char *ft = str(f, "title"), *fv = str(f, "value");
        if (!ft && !fv)
            continue;
        part(out);
        if (ft) {
            bold(ft, out);
            buf_append_str(out, fv ? ": " : "");
        }
        if (fv)
            api_slack_mrkdwn(fv, strlen(fv), out);
    }
    if (out->len == start && str(a, "fallback")) {
        part(out);
        api_slack_mrkdwn(str(a, "fallback"), strlen(str(a, "fallback")), out);
    }
}

/* ---- the body ---- */

static int hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The form's payload= value, percent-decoded into out; false when there is none or it is
 * badly encoded. */
static bool form_payload(const char *s, size_t len, buf_t *out)
{
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) >= 8 && memcmp(p, "payload=", 8) == 0) {
            for (const char *q = p + 8; q < stop; q++) {
                char ch = *q;
                if (ch == '+') {
                    ch = ' ';
                } else if (ch == '%') {
                    if (stop - q < 3 || hex(q[1]) < 0 || hex(q[2]) < 0)
                        return false;
                    ch = (char)(hex(q[1]) * 16 + hex(q[2]));
                    q += 2;
                }
                buf_append(out, &ch, 1);
            }
            return true;
        }
        p = stop + 1;
    }
    return false;
}

static void icon_of(json_t *o, char out[67])
{
    const char *s = str(o, "icon_emoji");
    size_t n = s ? strlen(s) : 0;
    out[0] = '\0';
    if (n < 3 || n > 66 || s[0] != ':' || s[n - 1] != ':')
        return;
    for (size_t i = 1; i + 1 < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_+-", s[i]))
            return;
    memcpy(out, s, n + 1);
}

static void fill(json_t *o, api_slack_msg_t *out)
{
    const char *user = str(o, "username");
    if (user && strlen(user) < sizeof(out->username))
        memcpy(out->username, user, strlen(user) + 1);
    icon_of(o, out->icon);
    buf_t *t = &out->text;
    json_t *blocks = json_object_get(o, "blocks");
    for (size_t i = 0; i < json_array_size(blocks); i++)
        block(json_array_get(blocks, i), t);
    const char *text = str(o, "text");
    if (t->len == 0 && text) {
        if (json_is_false(json_object_get(o, "mrkdwn")))
            buf_append_str(t, text);
        else
            api_slack_mrkdwn(text, strlen(text), t);
    }
    json_t *attachments = json_object_get(o, "attachments");
    for (size_t i = 0; i < json_array_size(attachments); i++)
        attachment(json_array_get(attachments, i), t);
    while (t->len && (t->data[t->len - 1] == '\n' || t->data[t->len - 1] == ' '))
        t->len--;
}

int api_slack_parse(const char *body, size_t len, api_slack_msg_t *out)
{
    memset(out, 0, sizeof(*out));
    out->text = (buf_t)BUF_INIT;
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", body[i]))
        i++;
    buf_t form = BUF_INIT;
    const char *json = body + i;
    size_t jlen = len - i;
    if (i < len && body[i] != '{') {
        if (!form_payload(body, len, &form)) {
            buf_deinit(&form);
            return -1;
        }
        json = form.data ? form.data : "";
        jlen = form.len;
    }
    json_t *o = json_loadb(json, jlen, JSON_REJECT_DUPLICATES, NULL);
    buf_deinit(&form);
    if (!json_is_object(o)) {
        json_decref(o);
        return -1;
    }
    fill(o, out);
    buf_append(&out->text, "", 1); /* the NUL, not counted */
    out->text.len--;
    json_decref(o);
    return 0;
}
