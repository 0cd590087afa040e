/* client - the public client object. A stub for now: it compiles, refuses to connect,
 * and lets the interface build against client.h while the implementation lands. */
#include "client/client.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct client {
    uv_loop_t *loop;
    client_opts_t opts;
};

client_t *client_new(uv_loop_t *loop, const client_opts_t *o, const char **err)
{
    if (!o || !o->url) {
        *err = "no URL";
        return NULL;
    }
    client_t *c = xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->opts = *o;
    return c;
}

int client_start(client_t *c)
{
    (void)c;
    return CLIENT_EOFFLINE;
}

void client_stop(client_t *c)
{
    (void)c;
}

void client_free(client_t *c, void (*done)(void *arg), void *arg)
{
    free(c);
    if (done)
        done(arg);
}

void client_reconnect_now(client_t *c)
{
    (void)c;
}
client_status_t client_status(const client_t *c)
{
    (void)c;
    return CLIENT_OFFLINE;
}
const char *client_user(const client_t *c)
{
    (void)c;
    return "";
}
int64_t client_last_seq(const client_t *c, const char *channel)
{
    (void)c;
    (void)channel;
    return 0;
}
size_t client_outbox_size(const client_t *c)
{
    (void)c;
    return 0;
}

#define STUB(...)                                                                                  \
    do {                                                                                           \
        (void)c;                                                                                   \
        (void)cb;                                                                                  \
        (void)arg;                                                                                 \
        return CLIENT_EOFFLINE;                                                                    \
    } while (0)

int64_t client_send_msg(client_t *c, const char *channel, const char *text, int64_t thread,
                        const char *cid, client_reply_cb cb, void *arg)
{
    (void)channel, (void)text, (void)thread, (void)cid;
    STUB();
}
int64_t client_edit(client_t *c, const char *channel, int64_t seq, const char *text,
                    client_reply_cb cb, void *arg)
{
    (void)channel, (void)seq, (void)text;
    STUB();
}
int64_t client_delete(client_t *c, const char *channel, int64_t seq, client_reply_cb cb, void *arg)
{
    (void)channel, (void)seq;
    STUB();
}
int64_t client_react(client_t *c, const char *channel, int64_t seq, const char *emoji, int on,
                     client_reply_cb cb, void *arg)
{
    (void)channel, (void)seq, (void)emoji, (void)on;
    STUB();
}
int64_t client_channel_join(client_t *c, const char *channel, client_reply_cb cb, void *arg)
{
    (void)channel;
    STUB();
}
int64_t client_channel_leave(client_t *c, const char *channel, client_reply_cb cb, void *arg)
{
    (void)channel;
    STUB();
}
int64_t client_channel_create(client_t *c, const char *name, bool is_private, const char *topic,
                              client_reply_cb cb, void *arg)
{
    (void)name, (void)is_private, (void)topic;
    STUB();
}
int64_t client_channel_invite(client_t *c, const char *channel, const char *user,
                              client_reply_cb cb, void *arg)
{
    (void)channel, (void)user;
    STUB();
}
int64_t client_channel_topic(client_t *c, const char *channel, const char *topic,
                             client_reply_cb cb, void *arg)
{
    (void)channel, (void)topic;
    STUB();
}
int64_t client_channel_list(client_t *c, const char *after, bool member_only, client_reply_cb cb,
                            void *arg)
{
    (void)after, (void)member_only;
    STUB();
}
int64_t client_channel_members(client_t *c, const char *channel, client_reply_cb cb, void *arg)
{
    (void)channel;
    STUB();
}
int64_t client_dm_open(client_t *c, const char *const *users, size_t n_users, client_reply_cb cb,
                       void *arg)
{
    (void)users, (void)n_users;
    STUB();
}
int64_t client_history(client_t *c, const char *channel, int64_t before, int64_t after, int limit,
                       client_reply_cb cb, void *arg)
{
    (void)channel, (void)before, (void)after, (void)limit;
    STUB();
}
int64_t client_thread(client_t *c, const char *channel, int64_t parent, client_reply_cb cb,
                      void *arg)
{
    (void)channel, (void)parent;
    STUB();
}
int64_t client_search(client_t *c, const char *q, const char *cursor, client_reply_cb cb, void *arg)
{
    (void)q, (void)cursor;
    STUB();
}
int64_t client_read(client_t *c, const char *channel, int64_t seq, client_reply_cb cb, void *arg)
{
    (void)channel, (void)seq;
    STUB();
}
int client_typing(client_t *c, const char *channel)
{
    (void)c, (void)channel;
    return CLIENT_EOFFLINE;
}
int64_t client_presence(client_t *c, bool away, client_reply_cb cb, void *arg)
{
    (void)away;
    STUB();
}
int64_t client_request(client_t *c, const char *type, json_t *payload, client_reply_cb cb,
                       void *arg)
{
    (void)type, (void)payload;
    STUB();
}
int client_msg_parse(const client_t *c, const json_t *row, client_msg_t *m)
{
    (void)c, (void)row;
    memset(m, 0, sizeof(*m));
    return -1;
}
