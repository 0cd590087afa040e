/* server_direct - the single-loop server_chat_t: straight calls into chat/chat.h; see
 * server_direct.h. The session handle is the chat_session_t itself. */
#include "server/server_direct.h"

#include "ws/ws_frame.h"

static void *direct_open(void *ctx, void *conn, chat_mode_t mode, const char *client_id,
                         const chat_creds_t *creds)
{
    server_direct_t *d = ctx;
    return chat_open(d->hub, conn, mode, client_id, creds);
}

/* The answer comes on this same loop, as the driver asks: done goes to the api as is. */
static void direct_request(void *ctx, const api_request_t *req, api_answer_cb done, void *done_ctx)
{
    server_direct_t *d = ctx;
    api_handle(d->api, req, done, done_ctx);
}

static void direct_message(void *ctx, void *session, int opcode, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (opcode == WS_OP_TEXT)
        chat_text(session, (const char *)data, len);
    else
        chat_binary(session, data, len);
}

static void direct_drained(void *ctx, void *session)
{
    (void)ctx;
    chat_drained(session);
}

static void direct_closed(void *ctx, void *session)
{
    (void)ctx;
    chat_close(session);
}

static void direct_flushing(void *ctx)
{
    server_direct_t *d = ctx;
    store_settle(d->store, SERVER_SETTLE_US);
}

static void direct_metrics(void *ctx, server_metrics_t *m)
{
    server_direct_t *d = ctx;
    chat_metrics(d->hub, &m->chat);
    store_stats_t st;
    store_stats(d->store, &st);
    m->store_appends = st.appends;
    m->store_commits = st.commits;
    m->store_queued = st.queued;
}

server_chat_t server_direct_chat(server_direct_t *d)
{
    return (server_chat_t){.ctx = d,
                           .open = direct_open,
                           .message = direct_message,
                           .drained = direct_drained,
                           .closed = direct_closed,
                           .request = direct_request,
                           .metrics = direct_metrics,
                           .flushing = direct_flushing};
}
