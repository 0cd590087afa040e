/* chat_channel - channels' stored properties and the requests that change them; see
 * chat_channel.h.
 *
 * A change's context (change_t) lives from the request to its commit: it holds a reference
 * to the requesting session (which may close meanwhile: then only the others hear of it)
 * and the user it concerns. On commit the user's connected sessions are linked into or out
 * of the channel, each told with a `channel` or `channel_left` event, the requester's copy
 * carrying the request id. */
#include "chat/chat_channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/clock.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "chat/chat_session.h"

static const char *kind_of(const chat_channel_t *ch)
{
    return ch->dm ? "dm" : ch->priv ? "private" : "public";
}

void chat_channel_set_topic(chat_channel_t *ch, const char *topic)
{
    free(ch->topic);
    ch->topic = xstrdup(topic);
}

/* Binary search of key among n sorted records of `size` bytes, each starting with a
 * `char *` (the users array, and the read markers): its index, or where it would go
 * (*found false). */
static size_t name_pos(const void *base, size_t n, size_t size, const char *key, bool *found)
{
    size_t lo = 0, hi = n;
    *found = false;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *name = *(char *const *)((const char *)base + mid * size);
        int c = strcmp(name, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t user_pos(const chat_channel_t *ch, const char *user, bool *found)
{
    return name_pos(ch->users, ch->nusers, sizeof(*ch->users), user, found);
}

bool chat_channel_has_user(const chat_channel_t *ch, const char *user)
{
    bool found;
    if (ch == &ch->hub->general)
        return true;
    user_pos(ch, user, &found);
    return found;
}

void chat_channel_user_add(chat_channel_t *ch, const char *user)
{
    bool found;
    size_t i = user_pos(ch, user, &found);
    if (found || ch == &ch->hub->general)
        return;
    if (ch->nusers == ch->users_cap) {
        ch->users_cap = ch->users_cap ? ch->users_cap * 2 : 8;
        ch->users = xrealloc(ch->users, ch->users_cap * sizeof(*ch->users));
    }
    memmove(ch->users + i + 1, ch->users + i, (ch->nusers - i) * sizeof(*ch->users));
    ch->users[i] = xstrdup(user);
    ch->nusers++;
}

void chat_channel_user_remove(chat_channel_t *ch, const char *user)
{
    bool found;
    size_t i = user_pos(ch, user, &found);
    if (!found)
        return;
    free(ch->users[i]);
    memmove(ch->users + i, ch->users + i + 1, (ch->nusers - i - 1) * sizeof(*ch->users));
    ch->nusers--;
}

static size_t read_pos(const chat_channel_t *ch, const char *user, bool *found)
{
    return name_pos(ch->reads, ch->nreads, sizeof(*ch->reads), user, found);
}

uint64_t chat_channel_read_get(const chat_channel_t *ch, const char *user)
{
    bool found;
    size_t i = read_pos(ch, user, &found);
    return found ? ch->reads[i].seq : 0;
}

void chat_channel_read_set(chat_channel_t *ch, const char *user, uint64_t seq)
{
    bool found;
    size_t i = read_pos(ch, user, &found);
    if (found) {
        if (seq > ch->reads[i].seq)
            ch->reads[i].seq = seq;
        return;
    }
    if (ch->nreads == ch->reads_cap) {
        ch->reads_cap = ch->reads_cap ? ch->reads_cap * 2 : 8;
        ch->reads = xrealloc(ch->reads, ch->reads_cap * sizeof(*ch->reads));
    }
    memmove(ch->reads + i + 1, ch->reads + i, (ch->nreads - i) * sizeof(*ch->reads));
    ch->reads[i] = (chat_read_t){xstrdup(user), seq};
    ch->nreads++;
}

size_t chat_channel_member_count(const chat_channel_t *ch)
{
    return ch == &ch->hub->general ? ch->hub->online : ch->nusers;
}

void chat_channel_json(const chat_channel_t *ch, const char *user, int64_t mentions, buf_t *out)
{
    buf_append_str(out, "{\"name\":");
    json_append_string(out, ch->name, strlen(ch->name));
    buf_appendf(out, ",\"kind\":\"%s\",\"topic\":", kind_of(ch));
    json_append_string(out, ch->topic, strlen(ch->topic));
    if (ch->dm) {
        /* A direct message is named by its members: clients show them, not the name. */
        buf_append_str(out, ",\"users\":[");
        for (size_t i = 0; i < ch->nusers; i++) {
            if (i)
                buf_append_str(out, ",");
            json_append_string(out, ch->users[i], strlen(ch->users[i]));
        }
        buf_append_str(out, "]");
    }
    buf_appendf(out, ",\"members\":%zu,\"last_seq\":%llu", chat_channel_member_count(ch),
                (unsigned long long)ch->committed);
    if (user) {
        uint64_t read = chat_channel_read_get(ch, user);
        buf_appendf(out, ",\"read_seq\":%llu,\"unread\":%llu", (unsigned long long)read,
                    (unsigned long long)(ch->committed > read ? ch->committed - read : 0));
    }
    if (mentions >= 0)
        buf_appendf(out, ",\"mentions\":%lld", (long long)mentions);
    buf_append_str(out, "}");
}

bool chat_channel_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > CHAT_CHANNEL_MAX || name[0] == '-' || name[0] == '_')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* ---- events ---- */

static void channel_event(chat_session_t *s, const chat_channel_t *ch, const char *id)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"channel\"");
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    chat_channel_json(ch, s->name, -1, &b);
    buf_append_str(&b, "}}");
    chat_session_send(s, &b);
    buf_deinit(&b);
}

static void named_event(chat_session_t *s, const char *type, const chat_channel_t *ch,
                        const char *user, const char *id)
{
    buf_t b = BUF_INIT;
    buf_appendf(&b, "{\"type\":\"%s\"", type);
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, ch->name, strlen(ch->name));
    if (user) {
        buf_append_str(&b, ",\"user\":");
        json_append_string(&b, user, strlen(user));
    }
    buf_append_str(&b, "}}");
    chat_session_send(s, &b);
    buf_deinit(&b);
}

static int by_name(const void *a, const void *b)
{
    const chat_channel_t *x = *(const chat_channel_t *const *)a;
    const chat_channel_t *y = *(const chat_channel_t *const *)b;
    return strcmp(x->name, y->name);
}

void chat_channel_json_member_list(chat_session_t *s, buf_t *out)
{
    size_t n = 0;
    for (chat_link_t *l = s->links; l; l = l->s_next)
        n++;
    const chat_channel_t **v = xmalloc((n ? n : 1) * sizeof(*v));
    n = 0;
    for (chat_link_t *l = s->links; l; l = l->s_next)
        if (l->ch != &s->hub->general)
            v[n++] = l->ch;
    qsort(v, n, sizeof(*v), by_name);
    for (size_t i = 0; i < n; i++) {
        buf_append_str(out, ",");
        chat_channel_json(v[i], s->name, (int64_t)chat_session_join_mentions(s, v[i]), out);
    }
    free(v);
}

/* ---- changes, after their commit ---- */

enum { CH_CREATE, CH_JOIN, CH_LEAVE, CH_INVITE, CH_TOPIC, CH_DM, CH_READ };

typedef struct {
    int op;
    chat_channel_t *ch;
    chat_session_t *s; /* the requester, referenced */
    char *user;        /* whom it concerns */
    char id[sizeof(((json_env_t *)0)->id)];
} change_t;

/* Links every connected session of user into ch and tells each; the requester's gets the
 * id, and with want_history its history too. */
static void link_user(change_t *c, bool want_history)
{
    chat_presence_t *p = chat_hub_presence(c->ch->hub, c->user);
    for (chat_session_t *s = p ? p->sessions : NULL; s; s = s->pres_next) {
        bool had = chat_hub_link(s, c->ch) != NULL;
        chat_link_t *l = chat_hub_member_add(c->ch, s);
        if (!had)
            l->last_sent = c->ch->committed;
        channel_event(s, c->ch, s == c->s ? c->id : "");
        if (want_history && s == c->s)
            chat_session_join_history(s, l, false);
    }
}

static void unlink_user(change_t *c)
{
    chat_presence_t *p = chat_hub_presence(c->ch->hub, c->user);
    for (chat_session_t *s = p ? p->sessions : NULL; s; s = s->pres_next) {
        chat_hub_member_remove(c->ch, s);
        named_event(s, "channel_left", c->ch, NULL, s == c->s ? c->id : "");
    }
    /* A requester that is not (or no longer) among them still gets its answer. */
    if (c->s->conn && (!p || c->s->pres != p))
        named_event(c->s, "channel_left", c->ch, NULL, c->id);
}

static void topic_event(change_t *c)
{
    chat_channel_t *ch = c->ch;
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"topic\",\"payload\":{\"channel\":");
    json_append_string(&b, ch->name, strlen(ch->name));
    buf_append_str(&b, ",\"topic\":");
    json_append_string(&b, ch->topic, strlen(ch->topic));
    buf_append_str(&b, ",\"user\":");
    json_append_string(&b, c->user, strlen(c->user));
    buf_appendf(&b, ",\"ts\":%lld}}", (long long)clock_wall_ms());
    blob_t *f = chat_frame_buf(&b);
    buf_deinit(&b);
    chat_hub_send_json_members(ch->hub, ch, f, NULL);
    blob_unref(f);
}

static void send_read(chat_session_t *s, const chat_channel_t *ch, uint64_t seq, const char *id)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"read\"");
    if (id && id[0])
        buf_appendf(&b, ",\"id\":%s", id);
    buf_append_str(&b, ",\"payload\":{\"channel\":");
    json_append_string(&b, ch->name, strlen(ch->name));
    buf_appendf(&b, ",\"seq\":%llu}}", (unsigned long long)seq);
    chat_session_send(s, &b);
    buf_deinit(&b);
}

/* Every tab of the user learns the new marker, so their badges agree. */
static void read_event(change_t *c)
{
    uint64_t seq = chat_channel_read_get(c->ch, c->user);
    chat_presence_t *p = chat_hub_presence(c->ch->hub, c->user);
    for (chat_session_t *s = p ? p->sessions : NULL; s; s = s->pres_next)
        send_read(s, c->ch, seq, s == c->s ? c->id : "");
}

static void on_changed(void *ctx, int status)
{
    change_t *c = ctx;
    (void)status; /* the store exits rather than report a failed commit (store.h) */
    chat_hub_t *h = c->ch->hub;
    switch (c->op) {
    case CH_CREATE:
        link_user(c, false);
        break;
    case CH_JOIN:
        link_user(c, true);
        chat_hub_announce(h, c->ch, c->user, true, NULL);
        break;
    case CH_LEAVE:
        unlink_user(c);
        chat_hub_announce(h, c->ch, c->user, false, NULL);
        break;
    case CH_INVITE:
        link_user(c, false);
        named_event(c->s, "invited", c->ch, c->user, c->id);
        chat_hub_announce(h, c->ch, c->user, true, NULL);
        break;
    case CH_TOPIC:
        topic_event(c);
        break;
    case CH_READ:
        read_event(c);
        break;
    case CH_DM:
        for (size_t i = 0; i < c->ch->nusers; i++) {
            free(c->user);
            c->user = xstrdup(c->ch->users[i]);
            link_user(c, false);
        }
        break;
    }
    chat_session_unref(c->s);
    free(c->user);
    free(c);
}

static store_change_t change_of(const chat_channel_t *ch, store_change_kind_t kind,
                                const char *user)
{
    return (store_change_t){.kind = kind,
                            .ch = {.name = ch->name,
                                   .kind = kind_of(ch),
                                   .topic = ch->topic,
                                   .created_by = ch->created_by,
                                   .ts = ch->created_ts},
                            .user = user,
                            .ts = clock_wall_ms(),
                            .seq = kind == STORE_READ ? chat_channel_read_get(ch, user) : 0};
}

/* Writes a change; on_changed follows its commit. Returns false (after answering) when
 * the store is closing. */
static bool submit(chat_session_t *s, const json_env_t *e, int op, chat_channel_t *ch,
                   const char *user, store_change_kind_t kind)
{
    change_t *c = xcalloc(1, sizeof(*c));
    c->op = op;
    c->ch = ch;
    c->s = s;
    c->user = xstrdup(user);
    snprintf(c->id, sizeof(c->id), "%s", e->id);
    chat_session_ref(s);
    store_change_t sc = change_of(ch, kind, user);
    if (store_change(s->hub->store, &sc, on_changed, c) < 0) {
        chat_session_unref(s);
        free(c->user);
        free(c);
        chat_session_error(s, "internal", "the server is shutting down", e->id);
        return false;
    }
    return true;
}

/* ---- requests ---- */

/* payload[key] as a string, or NULL after answering bad_payload (optional: absent is ""). */
static const char *str_field(chat_session_t *s, const json_env_t *e, const char *key, bool optional)
{
    json_t *v = e->payload ? json_object_get(e->payload, key) : NULL;
    if (!v && optional)
        return "";
    if (!json_is_string(v)) {
        char m[96];
        snprintf(m, sizeof(m), "%s needs payload.%s, a string", e->type, key);
        chat_session_error(s, "bad_payload", m, e->id);
        return NULL;
    }
    return json_string_value(v);
}

/* The named channel, which the session must be in unless any_member; else NULL after
 * answering. */
static chat_channel_t *req_channel(chat_session_t *s, const json_env_t *e, bool must_be_in)
{
    const char *name = str_field(s, e, "channel", false);
    if (!name)
        return NULL;
    chat_channel_t *ch = chat_hub_channel(s->hub, name);
    if (!ch) {
        chat_session_error(s, "no_such_channel", "no such channel", e->id);
        return NULL;
    }
    if (must_be_in && !chat_hub_link(s, ch)) {
        chat_session_error(s, "forbidden", "you are not a member of that channel", e->id);
        return NULL;
    }
    return ch;
}

static bool topic_ok(chat_session_t *s, const json_env_t *e, const char *topic)
{
    if (utf8_count((const uint8_t *)topic, strlen(topic)) <= CHAT_TOPIC_MAX)
        return true;
    chat_session_error(s, "too_large", "a topic is at most 250 characters", e->id);
    return false;
}

static void do_create(chat_session_t *s, const json_env_t *e)
{
    const char *name = str_field(s, e, "name", false);
    const char *topic = name ? str_field(s, e, "topic", true) : NULL;
    if (!topic)
        return;
    json_t *priv = json_object_get(e->payload, "private");
    if (priv && !json_is_boolean(priv)) {
        chat_session_error(s, "bad_payload", "private must be true or false", e->id);
        return;
    }
    if (!chat_channel_name_valid(name, strlen(name))) {
        chat_session_error(s, "bad_channel",
                           "channel names are 1-80 of a-z, 0-9, - and _, starting with a "
                           "letter or digit",
                           e->id);
        return;
    }
    if (strncmp(name, "dm-", 3) == 0) {
        chat_session_error(s, "bad_channel", "names starting with dm- are for direct messages",
                           e->id);
        return;
    }
    if (chat_hub_channel(s->hub, name)) {
        chat_session_error(s, "channel_exists", "a channel with that name exists", e->id);
        return;
    }
    if (!topic_ok(s, e, topic))
        return;
    if (s->hub->nchannels + 1 >= CHAT_CHANNELS_MAX) {
        chat_session_error(s, "forbidden", "this server has as many channels as it allows", e->id);
        return;
    }
    chat_channel_t *ch =
        chat_hub_channel_add(s->hub, name, json_is_true(priv), topic, s->name, clock_wall_ms());
    chat_channel_user_add(ch, s->name);
    /* The row, then the creator's membership: the answer follows the second commit. */
    store_change_t row = change_of(ch, STORE_CHANNEL_PUT, NULL);
    if (store_change(s->hub->store, &row, NULL, NULL) < 0) {
        chat_session_error(s, "internal", "the server is shutting down", e->id);
        return;
    }
    submit(s, e, CH_CREATE, ch, s->name, STORE_MEMBER_ADD);
}

static void do_list(chat_session_t *s, const json_env_t *e)
{
    chat_hub_t *h = s->hub;
    const chat_channel_t **v = xmalloc((h->nchannels + 1) * sizeof(*v));
    size_t n = 0;
    v[n++] = &h->general;
    for (chat_channel_t *ch = h->channels; ch; ch = ch->next)
        if (!ch->priv || chat_channel_has_user(ch, s->name))
            v[n++] = ch;
    qsort(v, n, sizeof(*v), by_name);
    buf_t b = BUF_INIT;
    buf_append_str(&b, "{\"type\":\"channels\"");
    if (e->id[0])
        buf_appendf(&b, ",\"id\":%s", e->id);
    buf_append_str(&b, ",\"payload\":{\"channels\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_append_str(&b, ",");
        chat_channel_json(v[i], s->name, -1, &b);
        b.len--; /* reopen the object for one more field */
        buf_appendf(&b, ",\"member\":%s}", chat_channel_has_user(v[i], s->name) ? "true" : "false");
    }
    buf_append_str(&b, "]}}");
    chat_session_send(s, &b);
    buf_deinit(&b);
    free(v);
}

static void do_join(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = req_channel(s, e, false);
    if (!ch)
        return;
    if (chat_channel_has_user(ch, s->name)) {
        /* Already in: answered as a join, without writing anything. */
        bool had = chat_hub_link(s, ch) != NULL;
        chat_link_t *l = chat_hub_member_add(ch, s);
        channel_event(s, ch, e->id);
        if (!had)
            chat_session_join_history(s, l, false);
        return;
    }
    if (ch->priv) {
        chat_session_error(s, "forbidden", "that channel is private: ask a member to invite you",
                           e->id);
        return;
    }
    chat_channel_user_add(ch, s->name);
    submit(s, e, CH_JOIN, ch, s->name, STORE_MEMBER_ADD);
}

static void do_leave(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = req_channel(s, e, true);
    if (!ch)
        return;
    if (ch == &s->hub->general || ch->dm) {
        chat_session_error(
            s, "forbidden",
            ch->dm ? "a direct message keeps its members" : "everyone stays in general", e->id);
        return;
    }
    chat_channel_user_remove(ch, s->name);
    submit(s, e, CH_LEAVE, ch, s->name, STORE_MEMBER_REMOVE);
}

static void do_invite(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = req_channel(s, e, true);
    const char *user = ch ? str_field(s, e, "user", false) : NULL;
    if (!user)
        return;
    if (ch->dm) {
        chat_session_error(s, "forbidden", "a direct message keeps its members: open another",
                           e->id);
        return;
    }
    if (!chat_name_valid(user, strlen(user), s->hub->cfg.max_name)) {
        chat_session_error(s, "bad_name", "that is not a valid user name", e->id);
        return;
    }
    if (chat_channel_has_user(ch, user)) {
        named_event(s, "invited", ch, user, e->id);
        return;
    }
    chat_channel_user_add(ch, user);
    submit(s, e, CH_INVITE, ch, user, STORE_MEMBER_ADD);
}

static void do_topic(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = req_channel(s, e, true);
    const char *topic = ch ? str_field(s, e, "topic", false) : NULL;
    if (!topic || !topic_ok(s, e, topic))
        return;
    if (ch->dm) {
        chat_session_error(s, "forbidden", "direct messages have no topic", e->id);
        return;
    }
    chat_channel_set_topic(ch, topic);
    submit(s, e, CH_TOPIC, ch, s->name, STORE_CHANNEL_PUT);
}

static void do_read(chat_session_t *s, const json_env_t *e)
{
    chat_channel_t *ch = req_channel(s, e, true);
    json_t *v = ch ? json_object_get(e->payload, "seq") : NULL;
    if (!ch)
        return;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        chat_session_error(s, "bad_payload", "read needs payload.seq, an integer >= 0", e->id);
        return;
    }
    uint64_t seq = (uint64_t)json_integer_value(v);
    if (seq > ch->committed)
        seq = ch->committed; /* one cannot have read what does not exist */
    if (seq <= chat_channel_read_get(ch, s->name)) {
        /* Markers only advance: answered with where it stands, nothing written. */
        send_read(s, ch, chat_channel_read_get(ch, s->name), e->id);
        return;
    }
    chat_channel_read_set(ch, s->name, seq);
    submit(s, e, CH_READ, ch, s->name, STORE_READ);
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* dm_open: the direct message of the caller and payload.users (1-7 others), created on first
 * use. Its name is derived from the sorted member names, so the same people always get the
 * same conversation. */
static void do_dm(chat_session_t *s, const json_env_t *e)
{
    json_t *users = e->payload ? json_object_get(e->payload, "users") : NULL;
    size_t n = json_array_size(users);
    if (!json_is_array(users) || n == 0 || n >= CHAT_DM_MAX) {
        chat_session_error(s, "bad_payload", "dm_open needs payload.users: 1-7 user names", e->id);
        return;
    }
    const char *names[CHAT_DM_MAX];
    size_t k = 0;
    names[k++] = s->name;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(users, i);
        if (!json_is_string(v)) {
            chat_session_error(s, "bad_payload", "users are names (strings)", e->id);
            return;
        }
        const char *u = json_string_value(v);
        if (!chat_name_valid(u, json_string_length(v), s->hub->cfg.max_name)) {
            chat_session_error(s, "bad_name", "that is not a valid user name", e->id);
            return;
        }
        bool dup = false;
        for (size_t j = 0; j < k; j++)
            dup = dup || strcmp(names[j], u) == 0;
        if (!dup)
            names[k++] = u;
    }
    if (k < 2) {
        chat_session_error(s, "bad_payload", "a direct message needs someone else", e->id);
        return;
    }
    qsort(names, k, sizeof(*names), by_str);
    buf_t key = BUF_INIT;
    for (size_t i = 0; i < k; i++)
        buf_appendf(&key, "%s\n", names[i]); /* no name holds a newline */
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)key.data, key.len, md);
    buf_deinit(&key);
    char cname[4 + 2 * SHA_DIGEST_LENGTH] = "dm-";
    for (size_t i = 0; i < SHA_DIGEST_LENGTH; i++)
        snprintf(cname + 3 + 2 * i, 3, "%02x", md[i]);
    chat_channel_t *ch = chat_hub_channel(s->hub, cname);
    if (ch) {
        chat_link_t *l = chat_hub_member_add(ch, s);
        channel_event(s, ch, e->id);
        chat_session_join_history(s, l, false);
        return;
    }
    if (s->hub->nchannels + 1 >= CHAT_CHANNELS_MAX) {
        chat_session_error(s, "forbidden", "this server has as many channels as it allows", e->id);
        return;
    }
    ch = chat_hub_channel_add(s->hub, cname, true, "", s->name, clock_wall_ms());
    ch->dm = true;
    store_change_t row = change_of(ch, STORE_CHANNEL_PUT, NULL);
    if (store_change(s->hub->store, &row, NULL, NULL) < 0) {
        chat_session_error(s, "internal", "the server is shutting down", e->id);
        return;
    }
    for (size_t i = 0; i < k; i++) {
        chat_channel_user_add(ch, names[i]);
        if (strcmp(names[i], s->name) != 0) {
            store_change_t m = change_of(ch, STORE_MEMBER_ADD, names[i]);
            store_change(s->hub->store, &m, NULL, NULL);
        }
    }
    /* The caller's own membership last: its commit answers everyone. */
    submit(s, e, CH_DM, ch, s->name, STORE_MEMBER_ADD);
}

static const struct {
    const char *type;
    void (*fn)(chat_session_t *s, const json_env_t *e);
} requests[] = {
    {"channel_create", do_create},
    {"channel_list", do_list},
    {"channel_join", do_join},
    {"channel_leave", do_leave},
    {"channel_invite", do_invite},
    {"channel_topic", do_topic},
    {"dm_open", do_dm},
    {"read", do_read},
};

bool chat_channel_request_known(const char *type)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
        if (strcmp(type, requests[i].type) == 0)
            return true;
    return false;
}

void chat_channel_request(chat_session_t *s, const json_env_t *e)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
        if (strcmp(e->type, requests[i].type) == 0)
            requests[i].fn(s, e);
}
