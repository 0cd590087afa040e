/* chat_apps - what integrations write (chat.h, "integrations"): an incoming webhook's post,
 * checked like a user's message (the channel is there and open, the text is whole and
 * within --max-text, the rate is a user's) and published through the hub like one, so it
 * is stored, numbered, delivered and searched like any message. It carries no user id: it
 * is nobody's to edit, it marks nobody's channel read, and a moderator deletes it. What
 * marks it is store_msg_t.app, {"name","icon"}, built here (chat_app_json). On the hub's
 * loop. */
#include <string.h>

#include "auth/auth_policy.h"
#include "auth/auth_rate.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/utf8.h"
#include "chat/chat.h"
#include "chat/chat_hub.h"
#include "chat/chat_payload.h"
#include "chat/chat_session.h"

auth_verdict_t chat_hooks_allowed(chat_hub_t *h, uint64_t user, const char *channel)
{
    const auth_user_t *u = auth_user(chat_hub_auth(h), user);
    chat_channel_t *ch = chat_hub_channel(h, channel);
    if (!u || !ch || chat_channel_deleted(ch))
        return AUTH_HIDDEN;
    return chat_user_can(u, AUTH_ACT_HOOK_MANAGE, ch);
}

/* Takes one message's worth from the hook's bucket, or says how long until it could. */
static uint64_t take_rate(chat_hub_t *h, uint64_t hook)
{
    const chat_config_t *cfg = chat_hub_config(h);
    if (cfg->rate <= 0)
        return 0;
    auth_bucket_t *b = auth_rates_get(chat_hub_app_rates(h), &hook, sizeof(hook));
    auth_bucket_fill(b, cfg->rate, cfg->burst, clock_mono_ms());
    uint64_t wait = auth_bucket_wait(b, cfg->rate, cfg->burst, 1);
    if (wait == 0)
        auth_bucket_take(b, cfg->burst, 1);
    return wait;
}

int chat_app_post(chat_hub_t *h, const chat_app_post_t *p,
                  void (*cb)(void *ctx, int status, uint64_t seq), void *ctx, uint64_t *retry_ms)
{
    chat_channel_t *ch = chat_hub_channel(h, p->channel);
    if (!ch || chat_channel_deleted(ch))
        return CHAT_APP_ENOCHANNEL;
    if (chat_channel_archived(ch))
        return CHAT_APP_EARCHIVED;
    const auth_user_t *creator = auth_user(chat_hub_auth(h), p->creator);
    if (!creator || chat_user_can(creator, AUTH_ACT_HOOK_MANAGE, ch) != AUTH_ALLOW)
        return CHAT_APP_EFORBIDDEN;
    const uint8_t *t = (const uint8_t *)p->text;
    if (p->len == 0 || memchr(p->text, '\0', p->len) || !utf8_valid(t, p->len))
        return CHAT_APP_ENOTEXT;
    if (utf8_count(t, p->len) > chat_hub_config(h)->max_text)
        return CHAT_APP_ETOOLONG;
    uint64_t wait = take_rate(h, p->hook);
    if (wait) {
        *retry_ms = wait;
        return CHAT_APP_ERATE;
    }
    if (!chat_hub_available(h))
        return CHAT_APP_EUNAVAILABLE;
    buf_t app = BUF_INIT;
    chat_app_json(&app, p->name, p->icon);
    chat_pub_t pub = {.user = p->name,
                      .kind = CHAT_EV_MSG,
                      .text = p->text,
                      .len = p->len,
                      .app = app.data,
                      .done = cb,
                      .done_ctx = ctx};
    int rc = chat_hub_publish(h, ch, &pub);
    buf_deinit(&app);
    return rc < 0 ? CHAT_APP_EUNAVAILABLE : 0;
}
