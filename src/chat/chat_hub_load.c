/* chat_hub_load - the hub's start: every channel, membership, read marker, reaction,
 * mention and keyed write the store holds, read into memory once (chat_hub_load in
 * chat_hub.h); each channel's last seq and newest messages as it is added. */
#include "chat/chat_hub.h"
#include "chat/chat_hub_int.h"

#include <string.h>

#include "chat/chat_keys.h"

/* The start-up answer: the newest messages. Reads and writes are not ordered (store.h), so a
 * write of this run may have committed before it lands: chat_channel_prime keeps the ring
 * contiguous then. */
static void on_primed(void *ctx, int status, const store_msg_t *msgs, size_t n, bool more)
{
    (void)more;
    if (status >= 0)
        chat_channel_prime(ctx, msgs, n);
}

/* Reads ch's last seq and asks for its newest messages for the ring. */
int chat_hub_channel_load(chat_hub_t *h, hub_chan_t *hc)
{
    uint64_t seq = 0;
    const char *name = chat_channel_name(hc->ch);
    if (store_last_seq(h->store, name, &seq) < 0)
        return -1;
    hc->last_seq = seq;
    chat_channel_set_committed(hc->ch, seq);
    if (seq == 0)
        return 0;
    store_query_t q = {.channel = name, .limit = CHAT_RECENT};
    return store_query(h->store, &q, on_primed, hc->ch);
}

static void on_load_channel(void *ctx, const store_channel_t *c)
{
    chat_hub_t *h = ctx;
    chat_channel_t *ch = chat_hub_channel(h, c->name);
    if (ch && chat_channel_is_general(ch)) {
        chat_channel_set_topic(ch, c->topic); /* its only stored property */
    } else if (!ch && chat_channel_name_valid(c->name, strlen(c->name))) {
        chat_kind_t kind = strcmp(c->kind, "dm") == 0        ? CHAT_KIND_DM
                           : strcmp(c->kind, "private") == 0 ? CHAT_KIND_PRIVATE
                                                             : CHAT_KIND_PUBLIC;
        ch = chat_hub_channel_add(h, c->name, kind, c->topic, c->created_by, c->creator_id, c->ts);
        chat_channel_set_archived(ch, c->archived);
    }
}

static void on_load_member(void *ctx, const char *channel, uint64_t user)
{
    chat_channel_t *ch = chat_hub_channel(ctx, channel);
    if (ch)
        chat_channel_user_add(ch, user);
}

static void on_load_read(void *ctx, const char *channel, uint64_t user, uint64_t seq)
{
    chat_channel_t *ch = chat_hub_channel(ctx, channel);
    if (ch)
        chat_channel_read_set(ch, user, seq);
}

static void on_load_reaction(void *ctx, const char *channel, uint64_t target, uint64_t user,
                             const char *emoji, bool on)
{
    chat_channel_t *ch = chat_hub_channel(ctx, channel);
    if (ch)
        chat_channel_reaction_set(ch, target, emoji, user, on);
}

static void on_load_pin(void *ctx, const char *channel, uint64_t seq, uint64_t target,
                        uint64_t user, int64_t ts, bool on)
{
    chat_channel_t *ch = chat_hub_channel(ctx, channel);
    chat_pin_t pin = {.target = target, .seq = seq, .user_id = user, .ts = ts};
    if (ch)
        chat_channel_pin_set(ch, &pin, on);
}

static void on_load_mentioned(void *ctx, const char *channel, uint64_t user, uint64_t seq)
{
    chat_hub_t *h = ctx;
    chat_channel_t *ch = chat_hub_channel(h, channel);
    if (ch)
        chat_hub_note_mention(h, ch, user, seq);
}

static void on_load_line(void *ctx, const char *channel, uint64_t seq)
{
    chat_channel_t *ch = chat_hub_channel(ctx, channel);
    if (ch)
        chat_channel_note_line(ch, seq);
}

static void on_load_notify(void *ctx, const char *channel, uint64_t user, const char *level)
{
    chat_channel_t *ch = chat_hub_channel(ctx, channel);
    chat_notify_level_t l;
    if (ch && chat_channel_notify_parse(level, &l))
        chat_channel_notify_set(ch, user, l);
}

/* A keyed write from before this run: its retries are answered, not stored again. */
static void on_load_keyed(void *ctx, const char *channel, uint64_t seq, uint64_t user,
                          const char *cid, int64_t ts)
{
    chat_hub_t *h = ctx;
    chat_channel_t *ch = chat_hub_channel(h, channel);
    if (!ch || chat_keys_find(h->keys, user, cid))
        return;
    chat_key_t *k = chat_keys_put(h->keys, user, cid);
    *k = (chat_key_t){.slot = chat_channel_slot(ch), .seq = seq, .ts = ts};
}

int chat_hub_load(chat_hub_t *h)
{
    if (chat_hub_channel_load(h, h->chans[0]) < 0)
        return -1;
    h->loading = true; /* chat_hub_channel_add loads each channel below */
    store_load_t cbs = {.channel = on_load_channel,
                        .member = on_load_member,
                        .read = on_load_read,
                        .reaction = on_load_reaction,
                        .mentioned = on_load_mentioned,
                        .line = on_load_line,
                        .notify = on_load_notify,
                        .pin = on_load_pin};
    int rc = store_load(h->store, &cbs, h);
    h->loading = false;
    if (rc < 0 || h->load_failed || store_load_keyed(h->store, on_load_keyed, h) < 0)
        return -1;
    /* A store that could not write at start (a full disk) starts failed: writes are refused
     * and the store probed from the first tick, as after a failed commit. */
    store_stats_t st;
    store_stats(h->store, &st);
    h->failed = st.failed;
    return 0;
}
