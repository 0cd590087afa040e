/* chat_online - who is online here or elsewhere; see chat_online.h. */
#include "chat/chat_online.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "json/json_env.h"

static void tell(chat_hub_t *h, const char *name, bool on)
{
    chat_elsewhere_here(chat_hub_elsewhere(h), name, on);
    void *ctx;
    const chat_hub_outbox_t *o = chat_hub_outbox(h, &ctx);
    if (o && o->presence)
        o->presence(ctx, name, on);
}

chat_presence_t *chat_online_add(chat_hub_t *h, const char *name, bool *first)
{
    const chat_presence_t *was = chat_presence_find(chat_hub_presence(h), name);
    bool away = was && chat_presence_away(was);
    chat_presence_t *p = chat_presence_add(chat_hub_presence(h), name, first);
    if (*first)
        tell(h, name, true);
    else if (away) /* a new connection is active: so is its user */
        chat_online_tell_status(h, name, false, NULL);
    return p;
}

bool chat_online_remove(chat_hub_t *h, chat_presence_t *p, const char *name, bool away)
{
    bool before = chat_presence_away(p);
    if (away)
        chat_presence_mark(chat_hub_presence(h), p, false);
    if (!chat_presence_remove(chat_hub_presence(h), p)) {
        if (!before && chat_presence_away(p)) /* the last active one went */
            chat_online_tell_status(h, name, true, NULL);
        return false;
    }
    tell(h, name, false);
    return true;
}

void chat_online_tell_status(chat_hub_t *h, const char *name, bool away, const void *except)
{
    chat_channel_t *general = chat_hub_general(h);
    if (chat_channel_nfmt(general, CHAT_FMT_JSON) > chat_hub_config(h)->presence_limit)
        return; /* a lobby: as for join and leave, welcome says it */
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"presence\",\"payload\":{\"user\":");
    json_append_string(&b, name, strlen(name));
    buf_appendf(&b, ",\"status\":\"%s\",\"ts\":%lld}}", away ? "away" : "active",
                (long long)clock_wall_ms());
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    const chat_transport_t *t = chat_hub_transport(h);
    chat_link_t *const *m;
    size_t nm = chat_channel_members(general, &m);
    for (size_t i = 0; i < nm; i++)
        if (m[i]->fmt == CHAT_FMT_JSON && !m[i]->plain && m[i]->conn != except)
            t->send(m[i]->conn, f);
    blob_unref(f);
}

void chat_online_away_json(const chat_hub_t *h, buf_t *out)
{
    size_t n = 0;
    buf_append_str(out, "[");
    for (const chat_presence_t *p = chat_presence_away_first(chat_hub_presence(h));
         p && n < CHAT_ONLINE_MAX; p = chat_presence_away_next(p)) {
        const char *name = chat_presence_name(p);
        if (n++)
            buf_append_str(out, ",");
        json_append_string(out, name, strlen(name));
    }
    buf_append_str(out, "]");
}

void chat_online_announce(chat_hub_t *h, const char *name, bool entered, const void *except)
{
    if (!chat_elsewhere_has(chat_hub_elsewhere(h), name))
        chat_hub_announce(h, chat_hub_general(h), name, entered, except);
}

size_t chat_online_count(const chat_hub_t *h)
{
    return chat_presence_online(chat_hub_presence(h)) + chat_elsewhere_only(chat_hub_elsewhere(h));
}

chat_online_names_t chat_online_names(const chat_hub_t *h)
{
    return (chat_online_names_t){.here = chat_presence_names(chat_hub_presence(h)),
                                 .there = chat_elsewhere_names(chat_hub_elsewhere(h)),
                                 .h = h};
}

const char *chat_online_names_next(chat_online_names_t *it)
{
    if (!it->in_there) {
        const char *n = chat_presence_names_next(&it->here);
        if (n)
            return n;
        it->in_there = true;
    }
    /* Past the names here, those elsewhere only: the ones skipped are online here, so at
     * most as many as were listed already. */
    const char *n;
    while ((n = chat_elsewhere_names_next(&it->there)))
        if (!chat_presence_find(chat_hub_presence(it->h), n))
            return n;
    return NULL;
}

void chat_online_json(const chat_hub_t *h, buf_t *out)
{
    chat_presence_table_t *t = chat_hub_presence(h);
    size_t n;
    const buf_t *listed = chat_presence_listed_json(t, &n);
    buf_append_str(out, "[");
    if (listed->len)
        buf_append(out, listed->data, listed->len);
    /* Fewer than the most listed: everyone here is, and those only elsewhere follow. */
    chat_elsewhere_names_t it = chat_elsewhere_names(chat_hub_elsewhere(h));
    for (const char *name; n < CHAT_ONLINE_MAX && (name = chat_elsewhere_names_next(&it));) {
        if (chat_presence_find(t, name))
            continue;
        if (n++)
            buf_append_str(out, ",");
        json_append_string(out, name, strlen(name));
    }
    buf_append_str(out, "]");
}
