/* api_hooks - incoming webhooks over HTTP (docs/api.md, "Incoming webhooks").
 *
 * Management, under /api, for whoever may manage a channel's hooks (auth_can with
 * AUTH_ACT_HOOK_MANAGE and the channel's facts, which chat gives through hooks_allowed):
 *   GET    /api/hooks[?channel=NAME]  the live hooks of the channels one may manage
 *   POST   /api/hooks {"channel","name"}  201 {"hook","token","path","url"}: the token once
 *   DELETE /api/hooks/ID              revokes it
 * A channel one may not see is answered as one that does not exist (404 no_such_channel).
 *
 * Posting, outside /api: POST /hooks/TOKEN with Slack's incoming-webhook payload (api_slack),
 * answered as Slack answers: 200 "ok" (text/plain) once the message is stored, else a status
 * and a short code as the body: 400 invalid_payload, 400 no_text, 400 msg_too_long, 404
 * no_service (an unknown or revoked token), 404 channel_not_found, 410 channel_is_archived,
 * 403 action_prohibited (its creator may no longer manage the channel's hooks), 429
 * rate_limited (with Retry-After), 503 unavailable. The token is the credential: no cookie,
 * no Origin rule (tools post from anywhere). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/api_slack.h"
#include "auth/auth_hook.h"
#include "auth/auth_name.h"
#include "auth/auth_policy.h"
#include "base/utf8.h"
#include "base/xmalloc.h"

/* ---- management ---- */

static json_t *hook_json(const auth_hook_t *h)
{
    return json_pack("{s:I,s:o,s:o,s:I,s:I}", "id", (json_int_t)h->id, "channel",
                     api_str(h->channel), "name", api_str(h->name), "creator",
                     (json_int_t)h->creator, "created", (json_int_t)h->created);
}

/* Whether the call's user may manage channel's hooks; answers the refusal when not. */
static bool may_manage(api_call_t *c, const char *channel)
{
    api_t *a = c->api;
    int v = a->hooks_allowed ? a->hooks_allowed(a->hooks_ctx, c->actor->id, channel) : AUTH_HIDDEN;
    if (v == AUTH_ALLOW)
        return true;
    if (v == AUTH_HIDDEN)
        api_error(c, 404, "no_such_channel", "no such channel");
    else
        api_error(c, 403, "forbidden", "only the channel's managers may manage its webhooks");
    return false;
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* The channel= of a query string, percent-decoded into out; false when absent or bad. */
static bool query_channel(const char *q, char *out, size_t cap)
{
    const char *p = q ? strstr(q, "channel=") : NULL;
    while (p && p != q && p[-1] != '&')
        p = strstr(p + 1, "channel=");
    if (!p)
        return false;
    size_t n = 0;
    for (p += 8; *p && *p != '&'; p++) {
        char ch = *p;
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%') {
            if (hexval(p[1]) < 0 || hexval(p[2]) < 0)
                return false;
            ch = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        }
        if (ch == '\0' || n + 1 >= cap)
            return false;
        out[n++] = ch;
    }
    out[n] = '\0';
    return n > 0;
}

void api_hooks(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)body;
    api_t *a = c->api;
    char channel[256];
    bool one = query_channel(r->query, channel, sizeof(channel));
    if (r->query && strstr(r->query, "channel=") && !one) {
        api_error(c, 400, "bad_request", "channel= must name a channel");
        return;
    }
    if (one && !may_manage(c, channel))
        return;
    json_t *list = json_array();
    for (size_t i = auth_nhooks(a->auth); i-- > 0;) { /* newest first */
        const auth_hook_t *h = auth_hook_at(a->auth, i);
        if (h->revoked || (one && strcmp(h->channel, channel) != 0))
            continue;
        if (!one && (!a->hooks_allowed ||
                     a->hooks_allowed(a->hooks_ctx, c->actor->id, h->channel) != AUTH_ALLOW))
            continue;
        json_array_append_new(list, hook_json(h));
    }
    api_reply(c, 200, json_pack("{s:o}", "hooks", list), NULL);
}

static void done_create(api_call_t *c, const auth_result_t *r)
{
    char path[16 + AUTH_HOOK_HEX], url[600];
    snprintf(path, sizeof(path), "/hooks/%s", r->token ? r->token : "");
    /* The URL as this request reached us (a proxy's Host); the web client builds its own
     * from the page's origin and the path. */
    snprintf(url, sizeof(url), "%s%s", c->origin, path);
    api_reply(c, 201,
              json_pack("{s:o,s:s,s:s,s:s}", "hook", hook_json(r->hook), "token", r->token, "path",
                        path, "url", url),
              NULL);
}

void api_hook_create(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    const char *channel = NULL, *name = NULL;
    size_t clen = 0, nlen = 0;
    if (api_field_str(body, "channel", &channel, &clen) != 0 || clen == 0 || clen > 255 ||
        memchr(channel, '\0', clen)) {
        api_error(c, 400, "bad_payload", "say which channel: {\"channel\": NAME, \"name\": ...}");
        return;
    }
    if (api_field_str(body, "name", &name, &nlen) != 0) {
        api_error(c, 400, "bad_payload", "give the webhook a name: {\"name\": \"Alerts\"}");
        return;
    }
    if (!may_manage(c, channel))
        return;
    snprintf(c->origin, sizeof(c->origin), "%s://%s", c->secure ? "https" : "http",
             r->host && strlen(r->host) < sizeof(c->origin) - 8 ? r->host : "localhost");
    c->done = done_create;
    auth_hook_create(c->api->auth, c->actor, channel, name, nlen, api_auth_cb, c);
}

void api_hook_delete(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)r;
    (void)body;
    const auth_hook_t *h = auth_hook(c->api->auth, c->target);
    if (!h || h->revoked) {
        api_error(c, 404, "not_found", "no such webhook");
        return;
    }
    if (!may_manage(c, h->channel))
        return;
    c->done = api_done_ok;
    auth_hook_revoke(c->api->auth, h->id, api_auth_cb, c);
}

/* ---- posting ---- */

static void plain(api_call_t *c, int status, const char *text, const char *extra)
{
    api_reply_raw(c, status, "text/plain; charset=utf-8", extra, text, strlen(text));
}

static void posted(void *ctx, int status, uint64_t seq)
{
    (void)seq;
    api_call_t *c = ctx;
    if (status == 0)
        plain(c, 200, "ok", "Cache-Control: no-store\r\n");
    else
        plain(c, 503, "unavailable", "Cache-Control: no-store\r\nRetry-After: 1\r\n");
}

/* The name a post is shown under: its username when that is a fit one, else the hook's. */
static const char *shown_name(const api_slack_msg_t *m, const auth_hook_t *h)
{
    size_t n = strlen(m->username);
    if (n && auth_text_safe(m->username, n) && m->username[0] != ' ' && m->username[n - 1] != ' ' &&
        utf8_count((const uint8_t *)m->username, n) <= AUTH_HOOK_NAME_MAX)
        return m->username;
    return h->name;
}

static void refused(api_call_t *c, int rc, uint64_t retry_ms)
{
    char extra[64];
    switch (rc) {
    case API_HOOK_ENOCHANNEL:
        plain(c, 404, "channel_not_found", NULL);
        break;
    case API_HOOK_EARCHIVED:
        plain(c, 410, "channel_is_archived", NULL);
        break;
    case API_HOOK_EFORBIDDEN:
        plain(c, 403, "action_prohibited", NULL);
        break;
    case API_HOOK_ERATE:
        snprintf(extra, sizeof(extra), "Retry-After: %llu\r\n",
                 (unsigned long long)(retry_ms + 999) / 1000);
        plain(c, 429, "rate_limited", extra);
        break;
    case API_HOOK_ETOOLONG:
        plain(c, 400, "msg_too_long", NULL);
        break;
    case API_HOOK_ENOTEXT:
        plain(c, 400, "no_text", NULL);
        break;
    default:
        plain(c, 503, "unavailable", "Retry-After: 1\r\n");
    }
}

void api_hook_post(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)body;
    api_t *a = c->api;
    const char *token = r->path + 7; /* after "/hooks/" */
    const auth_hook_t *h = a->hook_post ? auth_hook_check(a->auth, token, strlen(token)) : NULL;
    if (!h) {
        plain(c, 404, "no_service", NULL);
        return;
    }
    api_slack_msg_t m;
    if (!r->body || api_slack_parse(r->body, r->body_len, &m) < 0) {
        if (r->body)
            buf_deinit(&m.text);
        plain(c, 400, "invalid_payload", NULL);
        return;
    }
    if (m.text.len == 0) {
        buf_deinit(&m.text);
        plain(c, 400, "no_text", NULL);
        return;
    }
    api_hook_post_t p = {.hook = h->id,
                         .creator = h->creator,
                         .channel = h->channel,
                         .name = shown_name(&m, h),
                         .icon = m.icon,
                         .text = m.text.data,
                         .len = m.text.len};
    uint64_t retry = 0;
    int rc = a->hook_post(a->hooks_ctx, &p, posted, c, &retry);
    buf_deinit(&m.text);
    if (rc < 0)
        refused(c, rc, retry);
}
