/* server_loops - connection loops on their own threads, the hub on the main loop; see
 * server_loops.h.
 *
 * Thread ownership: a link's conn, paused and paused_next belong to its connection loop;
 * session, posted and hub_closed to the hub; applied, queued and inbound are atomics written
 * by one side and read by the other. A worker's `running` and the hub's handles belong to the
 * hub; the snapshots are under `lock`.
 *
 * An /api request crosses up as a copy (api_request_dup) with its trip (api_trip_t: the
 * driver's done and done_ctx), is handled by the api on the hub, and its answer crosses
 * down as one blob reference in the same trip, which the connection loop hands to done and
 * frees. A trip whose loop is gone is released on the hub (done with NULL, after the
 * thread was joined); a request reaching a stopping hub is answered 503 without the api. */
#include "server/server_loops.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/budget.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "chat/chat.h"
#include "net/net_mailbox.h"
#include "ws/ws_frame.h"

enum {
    /* up: connection loop -> hub */
    UP_OPEN,
    UP_MESSAGE,
    UP_DRAINED,
    UP_CLOSED,
    UP_GONE,
    UP_API,
    /* down: hub -> connection loop */
    DOWN_SEND,
    DOWN_BULK,
    DOWN_CLOSE,
    DOWN_SLOW,
    DOWN_WANT_DRAIN,
    DOWN_FREE,
    DOWN_DRAIN,
    DOWN_STOP,
    DOWN_API,
};

typedef struct link link_t;
typedef struct worker worker_t;

/* What open carries up: the route's client id and the upgrade's credentials. */
typedef struct {
    chat_creds_t creds;
    char client_id[48];
} open_info_t;

/* One /api request's round trip: the driver's callback, called on the connection loop. */
typedef struct {
    worker_t *w;
    api_answer_cb done;
    void *done_ctx;
} api_trip_t;

struct link {
    worker_t *w;
    void *conn;              /* loop: the server's connection, NULL once closed */
    link_t *paused_next;     /* loop: on w->paused while reading is stopped */
    bool paused;             /* loop */
    bool hub_closed;         /* hub: a close went down, later frames are pointless */
    chat_session_t *session; /* hub */
    size_t posted;           /* hub: frame bytes sent down */
    size_t posted_bounded;   /* hub: of which by rt_send (bulk frames are outside the bound) */
    atomic_size_t applied;   /* loop -> hub: frame bytes handed to the connection */
    atomic_size_t applied_bounded; /* loop -> hub: of which sent by rt_send */
    atomic_size_t queued;          /* loop -> hub: the connection's queue after its last frame */
    atomic_size_t inbound;         /* loop -> hub: message bytes sent up, not yet handled */
};

struct worker {
    server_loops_t *r;
    unsigned idx;
    uv_loop_t loop;
    uv_thread_t thread;
    server_t *srv;
    net_mailbox_t up, down;
    uv_prepare_t turn; /* loop: resumes paused links, snapshots metrics */
    link_t *paused;
    server_conn_metrics_t snap; /* under r->lock */
    bool running;               /* hub: the thread was started and not yet joined */
};

struct server_loops {
    uv_loop_t *loop;
    chat_hub_t *hub;
    api_t *api;
    store_t *store;
    server_config_t cfg;
    server_shared_t shared;
    unsigned n, running;
    worker_t *w;
    uv_prepare_t turn; /* hub: snapshots its metrics */
    uv_timer_t lag;    /* hub: its loop's lag (stats.h), unreferenced, closed by stop */
    uint64_t lag_last_us;
    uv_mutex_t lock;
    server_metrics_t hub_snap; /* under lock: the chat and store parts */
    bool stopping;
    int port;
};

/* ---- hub side ---- */

static void release_down(net_mail_t *m)
{
    switch (m->type) {
    case DOWN_SEND:
    case DOWN_BULK:
        blob_unref(m->b);
        break;
    case DOWN_CLOSE:
        free(m->b);
        break;
    case DOWN_FREE:
        free(m->a);
        break;
    case DOWN_API: {
        /* The connection loop has ended (its thread joined): only the wait is released. */
        api_trip_t *t = m->a;
        t->done(t->done_ctx, NULL);
        free(t);
        blob_unref(m->b);
        break;
    }
    default:
        break;
    }
}

/* Posts to a connection loop; once its thread is joined, the item is released here. a is
 * the link (or the trip of DOWN_API). */
static void down(worker_t *w, uint8_t type, void *a, void *b, uint16_t code)
{
    net_mail_t m = {type, code, a, b, 0};
    if (w->running)
        net_mailbox_put(&w->down, &m);
    else
        release_down(&m);
}

static void rt_send(void *conn, blob_t *frame)
{
    link_t *l = conn;
    if (l->hub_closed)
        return;
    /* Frames on their way down count against the bound like a queue's bytes do: a
     * connection loop that cannot keep up must not let them pile up without limit. */
    size_t applied = atomic_load_explicit(&l->applied_bounded, memory_order_relaxed);
    if (l->posted_bounded - applied >= l->w->r->cfg.max_outbound) {
        l->hub_closed = true;
        down(l->w, DOWN_SLOW, l, NULL, 0);
        return;
    }
    l->posted += frame->len;
    l->posted_bounded += frame->len;
    down(l->w, DOWN_SEND, l, blob_ref(frame), 0);
}

static void rt_close(void *conn, uint16_t code, const char *reason)
{
    link_t *l = conn;
    if (l->hub_closed)
        return;
    l->hub_closed = true;
    down(l->w, DOWN_CLOSE, l, reason ? xstrdup(reason) : NULL, code);
}

static void rt_send_bulk(void *conn, blob_t *frame)
{
    link_t *l = conn;
    if (l->hub_closed)
        return;
    l->posted += frame->len;
    down(l->w, DOWN_BULK, l, blob_ref(frame), 0);
}

static size_t rt_backlog(void *conn)
{
    link_t *l = conn;
    size_t applied = atomic_load_explicit(&l->applied, memory_order_relaxed);
    return l->posted - applied + atomic_load_explicit(&l->queued, memory_order_relaxed);
}

static void rt_want_drain(void *conn)
{
    link_t *l = conn;
    if (!l->hub_closed)
        down(l->w, DOWN_WANT_DRAIN, l, NULL, 0);
}

/* No send_many: each send is a post to the connection's loop, nothing to fetch ahead. */
const chat_transport_t server_loops_transport = {.send = rt_send,
                                                 .close = rt_close,
                                                 .send_bulk = rt_send_bulk,
                                                 .backlog = rt_backlog,
                                                 .want_drain = rt_want_drain};

/* The connection loop has ended (its last item): join its thread, close the hub's ends of
 * its mailboxes, and release whatever it will never read. */
static void worker_gone(worker_t *w)
{
    server_loops_t *r = w->r;
    uv_thread_join(&w->thread);
    w->running = false;
    r->running--;
    net_mailbox_close_consumer(&w->up);
    net_mail_vec_t left = {0};
    net_mailbox_take(&w->down, &left);
    for (size_t i = 0; i < left.len; i++)
        release_down(&left.v[i]);
    free(left.v);
    if (r->running == 0)
        uv_close((uv_handle_t *)&r->turn, NULL);
}

/* The api's answer, on the hub: down to the connection loop that asked. */
static void hub_answered(void *ctx, blob_t *response)
{
    api_trip_t *t = ctx;
    down(t->w, DOWN_API, t, blob_ref(response), 0);
}

/* An /api request on the hub; req is freed here, once the api has taken it. */
static void hub_request(server_loops_t *r, api_trip_t *t, api_request_t *req)
{
    if (r->stopping) {
        /* The store is closing: nothing may start that would write to it. */
        blob_t *b =
            api_response_error(503, "unavailable", "the server is stopping", false, req->headers);
        hub_answered(t, b);
        blob_unref(b);
    } else {
        api_handle(r->api, req, hub_answered, t);
    }
    free(req);
}

static void on_up(net_mailbox_t *mb, net_mail_t *items, size_t n)
{
    worker_t *w = mb->data;
    server_loops_t *r = w->r;
    for (size_t i = 0; i < n; i++) {
        net_mail_t *m = &items[i];
        link_t *l = m->a;
        switch (m->type) {
        case UP_OPEN: {
            /* A stopping hub opens nothing: the store is closing. */
            open_info_t *o = m->b;
            if (!r->stopping)
                l->session = chat_open(r->hub, l, (chat_mode_t)m->code, o->client_id, &o->creds);
            free(o);
            break;
        }
        case UP_API:
            hub_request(r, m->a, m->b);
            break;
        case UP_MESSAGE:
            atomic_fetch_sub_explicit(&l->inbound, m->n, memory_order_relaxed);
            /* After the hub closed it, the connection reads nothing more (as on one loop,
             * where the close takes effect at once): what crossed meanwhile is dropped. */
            if (l->session && !l->hub_closed && !r->stopping) {
                if (m->code == WS_OP_TEXT)
                    chat_text(l->session, m->b, m->n);
                else
                    chat_binary(l->session, m->b, m->n);
            }
            free(m->b);
            break;
        case UP_DRAINED:
            if (l->session && !l->hub_closed && !r->stopping)
                chat_drained(l->session);
            break;
        case UP_CLOSED:
            if (l->session)
                chat_close(l->session);
            l->session = NULL;
            /* After every item already posted to the link: none can reach it freed. */
            down(w, DOWN_FREE, l, NULL, 0);
            break;
        case UP_GONE:
            worker_gone(w);
            break;
        }
    }
}

/* What the connection loops' /metrics and /healthz read of the hub and the store. */
static void snapshot_hub(server_loops_t *r)
{
    store_stats_t st;
    store_stats(r->store, &st);
    chat_metrics_t cm;
    chat_metrics(r->hub, &cm);
    uv_mutex_lock(&r->lock);
    r->hub_snap.chat = cm;
    r->hub_snap.store_appends = st.appends;
    r->hub_snap.store_commits = st.commits;
    r->hub_snap.store_queued = st.queued;
    uv_mutex_unlock(&r->lock);
}

#define HUB_LAG_TICK_MS 100

/* The chat hub's loop lag, as each connection loop measures its own (server.c). */
static void on_hub_lag(uv_timer_t *t)
{
    server_loops_t *r = t->data;
    stats_loop_lag(&r->lag_last_us, (uint64_t)HUB_LAG_TICK_MS * 1000);
}

/* What the store finishes within the settle bound goes down in this turn: published here,
 * whatever order libuv runs this and the mailboxes' own prepare handles in. */
static void on_hub_turn(uv_prepare_t *p)
{
    server_loops_t *r = p->data;
    store_settle(r->store, SERVER_SETTLE_US);
    for (unsigned i = 0; i < r->n; i++)
        if (r->w[i].running)
            net_mailbox_flush(&r->w[i].down);
    snapshot_hub(r);
}

/* ---- connection-loop side: the server_chat_t of each loop's server ---- */

static void up(worker_t *w, uint8_t type, link_t *l, void *b, size_t n, uint16_t code)
{
    net_mail_t m = {type, code, l, b, n};
    net_mailbox_put(&w->up, &m);
}

static void *loop_open(void *ctx, void *conn, chat_mode_t mode, const char *client_id,
                       const chat_creds_t *creds)
{
    worker_t *w = ctx;
    link_t *l = xcalloc(1, sizeof(*l));
    l->w = w;
    l->conn = conn;
    open_info_t *o = xcalloc(1, sizeof(*o));
    if (creds)
        o->creds = *creds;
    snprintf(o->client_id, sizeof(o->client_id), "%s", client_id ? client_id : "");
    up(w, UP_OPEN, l, o, 0, (uint16_t)mode);
    return l;
}

/* The request is copied whole: the parser releases it as soon as this returns. */
static void loop_request(void *ctx, const api_request_t *req, api_answer_cb done, void *done_ctx)
{
    worker_t *w = ctx;
    api_trip_t *t = xmalloc(sizeof(*t));
    *t = (api_trip_t){w, done, done_ctx};
    net_mail_t m = {UP_API, 0, t, api_request_dup(req), 0};
    net_mailbox_put(&w->up, &m);
}

/* The data is copied: the frame parser's buffer is reused as soon as this returns. */
static void loop_message(void *ctx, void *session, int opcode, const uint8_t *data, size_t len)
{
    (void)ctx;
    link_t *l = session;
    char *copy = xmalloc(len + 1);
    memcpy(copy, data, len);
    copy[len] = '\0';
    size_t before = atomic_fetch_add_explicit(&l->inbound, len, memory_order_relaxed);
    up(l->w, UP_MESSAGE, l, copy, len, (uint16_t)opcode);
    if (before + len > SERVER_LOOPS_INBOUND_MAX && !l->paused) {
        /* The hub is behind on this connection's messages: stop reading it until the hub
         * catches up (checked each loop turn), so nothing piles up unbounded. */
        l->paused = true;
        l->paused_next = l->w->paused;
        l->w->paused = l;
        server_conn_read(l->conn, false);
    }
}

static void loop_drained(void *ctx, void *session)
{
    (void)ctx;
    link_t *l = session;
    atomic_store_explicit(&l->queued, 0, memory_order_relaxed);
    up(l->w, UP_DRAINED, l, NULL, 0, 0);
}

static void loop_closed(void *ctx, void *session)
{
    (void)ctx;
    link_t *l = session;
    worker_t *w = l->w;
    if (l->paused) {
        link_t **pp = &w->paused;
        while (*pp != l)
            pp = &(*pp)->paused_next;
        *pp = l->paused_next;
        l->paused = false;
    }
    l->conn = NULL;
    up(w, UP_CLOSED, l, NULL, 0, 0);
}

static void apply_frame(link_t *l, blob_t *frame, bool bulk)
{
    if (l->conn) {
        if (bulk)
            server_transport.send_bulk(l->conn, frame);
        else
            server_transport.send(l->conn, frame);
        atomic_store_explicit(&l->queued, server_transport.backlog(l->conn), memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&l->applied, frame->len, memory_order_relaxed);
    if (!bulk)
        atomic_fetch_add_explicit(&l->applied_bounded, frame->len, memory_order_relaxed);
    blob_unref(frame);
}

static void worker_stop(worker_t *w)
{
    server_stop(w->srv);
    uv_close((uv_handle_t *)&w->turn, NULL);
    net_mailbox_close_consumer(&w->down);
    /* Connections still close on the next turns and report it: the up mailbox keeps
     * collecting, and the thread sends it all, then "gone", once the loop ended. */
    net_mailbox_close_producer(&w->up);
}

static void on_down(net_mailbox_t *mb, net_mail_t *items, size_t n)
{
    worker_t *w = mb->data;
    for (size_t i = 0; i < n; i++) {
        net_mail_t *m = &items[i];
        link_t *l = m->a;
        switch (m->type) {
        case DOWN_SEND:
        case DOWN_BULK:
            apply_frame(l, m->b, m->type == DOWN_BULK);
            break;
        case DOWN_CLOSE:
            if (l->conn)
                server_transport.close(l->conn, m->code, m->b);
            free(m->b);
            break;
        case DOWN_SLOW:
            if (l->conn)
                server_conn_slow(l->conn);
            break;
        case DOWN_WANT_DRAIN:
            if (l->conn)
                server_transport.want_drain(l->conn);
            break;
        case DOWN_FREE:
            free(l);
            break;
        case DOWN_DRAIN:
            server_drain(w->srv);
            break;
        case DOWN_STOP:
            worker_stop(w);
            /* Later items are taken by the hub once this thread is joined. */
            return;
        case DOWN_API: {
            api_trip_t *t = m->a;
            t->done(t->done_ctx, m->b);
            blob_unref(m->b);
            free(t);
            break;
        }
        }
    }
}

static void on_worker_turn(uv_prepare_t *p)
{
    worker_t *w = p->data;
    for (link_t **pp = &w->paused; *pp;) {
        link_t *l = *pp;
        if (atomic_load_explicit(&l->inbound, memory_order_relaxed) <
            SERVER_LOOPS_INBOUND_MAX / 2) {
            *pp = l->paused_next;
            l->paused = false;
            server_conn_read(l->conn, true);
        } else {
            pp = &l->paused_next;
        }
    }
    server_conn_metrics_t m = {0};
    server_conn_metrics(w->srv, &m);
    uv_mutex_lock(&w->r->lock);
    w->snap = m;
    uv_mutex_unlock(&w->r->lock);
}

static void worker_main(void *arg)
{
    worker_t *w = arg;
    pthread_setname_np(pthread_self(), "parley-loop"); /* top -H, perf --sort comm */
    uv_run(&w->loop, UV_RUN_DEFAULT);
    server_free(w->srv);
    w->srv = NULL;
    up(w, UP_GONE, NULL, NULL, 0, 0);
    net_mailbox_flush(&w->up);
    /* The hub joins this thread before it touches anything of this loop again. */
    uv_loop_close(&w->loop);
}

/* The hub's numbers and every loop's connection counters, as of each loop's last turn (the
 * calling loop's own included, rather than its live ones, so that the sum is of one kind). */
static void loop_metrics(void *ctx, server_metrics_t *out)
{
    worker_t *w = ctx;
    server_loops_t *r = w->r;
    uv_mutex_lock(&r->lock);
    *out = r->hub_snap;
    for (unsigned i = 0; i < r->n; i++) {
        const server_conn_metrics_t *s = &r->w[i].snap;
        out->conn.connections += s->connections;
        out->conn.websockets += s->websockets;
        out->conn.accepted += s->accepted;
        out->conn.bytes_in += s->bytes_in;
        out->conn.bytes_out += s->bytes_out;
        out->conn.slow_closed += s->slow_closed;
        out->conn.refused_per_ip += s->refused_per_ip;
        out->conn.partial_refused += s->partial_refused;
        out->conn.message_timeouts += s->message_timeouts;
    }
    uv_mutex_unlock(&r->lock);
    out->conn.partial_bytes = budget_used(&r->shared.partial); /* one count for all loops */
}

/* ---- lifetime ---- */

static int worker_init(server_loops_t *r, worker_t *w, unsigned idx)
{
    w->r = r;
    w->idx = idx;
    int rc = uv_loop_init(&w->loop);
    if (rc != 0)
        return rc;
    server_config_t cfg = r->cfg;
    cfg.shared = &r->shared;
    cfg.reuseport = idx == 0 ? 1 : 2;
    cfg.port = idx == 0 ? r->cfg.port : r->port;
    server_chat_t chat = {.ctx = w,
                          .open = loop_open,
                          .message = loop_message,
                          .drained = loop_drained,
                          .closed = loop_closed,
                          .request = loop_request,
                          .metrics = loop_metrics};
    w->srv = server_start(&w->loop, &cfg, &chat);
    if (!w->srv) {
        uv_run(&w->loop, UV_RUN_DEFAULT); /* lets the listener's close finish */
        uv_loop_close(&w->loop);
        return UV_EADDRINUSE;
    }
    if (idx == 0)
        r->port = server_port(w->srv);
    net_mailbox_init(&w->up, &w->loop, r->loop, on_up, w);
    net_mailbox_init(&w->down, r->loop, &w->loop, on_down, w);
    uv_prepare_init(&w->loop, &w->turn);
    w->turn.data = w;
    uv_prepare_start(&w->turn, on_worker_turn);
    return 0;
}

server_loops_t *server_loops_start(uv_loop_t *hub_loop, const server_config_t *cfg, chat_hub_t *hub,
                                   api_t *api, store_t *store, unsigned threads)
{
    if (threads > SERVER_LOOPS_MAX)
        threads = SERVER_LOOPS_MAX;
    server_loops_t *r = xcalloc(1, sizeof(*r));
    r->loop = hub_loop;
    r->hub = hub;
    r->api = api;
    r->store = store;
    r->cfg = *cfg;
    r->n = threads;
    r->w = xcalloc(threads, sizeof(*r->w));
    uv_mutex_init(&r->lock);
    server_shared_init(&r->shared, cfg);
    for (unsigned i = 0; i < threads; i++) {
        if (worker_init(r, &r->w[i], i) != 0) {
            log_error("cannot start connection loop %u", i);
            /* Nothing runs yet: stop the loops made so far on this thread. */
            for (unsigned j = 0; j < i; j++) {
                worker_t *w = &r->w[j];
                worker_stop(w);
                net_mailbox_close_consumer(&w->up);
                net_mailbox_close_producer(&w->down);
                uv_run(&w->loop, UV_RUN_DEFAULT);
                server_free(w->srv);
                uv_loop_close(&w->loop);
            }
            uv_run(hub_loop, UV_RUN_NOWAIT);
            for (unsigned j = 0; j < i; j++) {
                net_mailbox_deinit(&r->w[j].up);
                net_mailbox_deinit(&r->w[j].down);
            }
            uv_mutex_destroy(&r->lock);
            server_shared_deinit(&r->shared);
            free(r->w);
            free(r);
            return NULL;
        }
    }
    /* Before the first request: /healthz must not read an empty snapshot as "unavailable". */
    snapshot_hub(r);
    uv_prepare_init(hub_loop, &r->turn);
    r->turn.data = r;
    uv_prepare_start(&r->turn, on_hub_turn);
    uv_timer_init(hub_loop, &r->lag);
    r->lag.data = r;
    r->lag_last_us = stats_now_us();
    uv_timer_start(&r->lag, on_hub_lag, HUB_LAG_TICK_MS, HUB_LAG_TICK_MS);
    uv_unref((uv_handle_t *)&r->lag);
    for (unsigned i = 0; i < threads; i++) {
        worker_t *w = &r->w[i];
        w->running = true;
        r->running++;
        uv_thread_create(&w->thread, worker_main, w);
    }
    return r;
}

int server_loops_port(const server_loops_t *r)
{
    return r->port;
}

void server_loops_drain(server_loops_t *r)
{
    atomic_store(&r->shared.draining, true);
    for (unsigned i = 0; i < r->n; i++)
        down(&r->w[i], DOWN_DRAIN, NULL, NULL, 0);
}

size_t server_loops_ws_count(const server_loops_t *r)
{
    return atomic_load(&r->shared.ws);
}

void server_loops_stop(server_loops_t *r)
{
    if (r->stopping)
        return;
    r->stopping = true;
    uv_prepare_stop(&r->turn); /* the store closes next: no more stats from it */
    uv_close((uv_handle_t *)&r->lag, NULL);
    for (unsigned i = 0; i < r->n; i++) {
        worker_t *w = &r->w[i];
        down(w, DOWN_STOP, NULL, NULL, 0);
        net_mailbox_flush(&w->down);
        /* The loop reads nothing after "stop" and closes its end of the mailbox: waking it
         * again would write to a closed loop. What the hub posts from now on stays staged
         * (links are freed only once the thread is joined: the loop may still be applying
         * items posted before the stop). */
        net_mailbox_close_producer(&w->down);
    }
}

void server_loops_free(server_loops_t *r)
{
    for (unsigned i = 0; i < r->n; i++) {
        net_mailbox_deinit(&r->w[i].up);
        net_mailbox_deinit(&r->w[i].down);
    }
    uv_mutex_destroy(&r->lock);
    server_shared_deinit(&r->shared);
    free(r->w);
    free(r);
}

/* ---- the front main drives ---- */

static int front_port(void *ctx)
{
    return server_loops_port(ctx);
}

static void front_drain(void *ctx)
{
    server_loops_drain(ctx);
}

static size_t front_ws_count(void *ctx)
{
    return server_loops_ws_count(ctx);
}

static void front_stop(void *ctx)
{
    server_loops_stop(ctx);
}

static void front_free(void *ctx)
{
    server_loops_free(ctx);
}

server_front_t server_loops_front(server_loops_t *l)
{
    return (server_front_t){l, front_port, front_drain, front_ws_count, front_stop, front_free};
}
