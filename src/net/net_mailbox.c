/* net_mailbox - one-way queue between two loop threads; see net_mailbox.h. */
#include "net/net_mailbox.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static void vec_push(net_mail_vec_t *v, const net_mail_t *m)
{
    if (v->len == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->len++] = *m;
}

static void vec_append(net_mail_vec_t *dst, net_mail_vec_t *src)
{
    if (src->len == 0)
        return;
    if (dst->len == 0 && dst->cap < src->cap) {
        /* The common case: hand the whole array over instead of copying it. */
        net_mail_vec_t t = *dst;
        *dst = *src;
        *src = t;
        src->len = 0;
        return;
    }
    if (dst->len + src->len > dst->cap) {
        while (dst->len + src->len > dst->cap)
            dst->cap = dst->cap ? dst->cap * 2 : 64;
        dst->v = xrealloc(dst->v, dst->cap * sizeof(*dst->v));
    }
    memcpy(dst->v + dst->len, src->v, src->len * sizeof(*src->v));
    dst->len += src->len;
    src->len = 0;
}

void net_mailbox_flush(net_mailbox_t *mb)
{
    if (mb->stage.len == 0)
        return;
    uv_mutex_lock(&mb->lock);
    bool was_empty = mb->shared.len == 0;
    vec_append(&mb->shared, &mb->stage);
    uv_mutex_unlock(&mb->lock);
    /* A non-empty shared array means a wake-up is already pending (the consumer empties it
     * in the callback the last wake-up scheduled). */
    if (was_empty)
        uv_async_send(&mb->wake);
}

static void on_publish(uv_prepare_t *p)
{
    net_mailbox_flush(p->data);
}

static void on_wake(uv_async_t *a)
{
    net_mailbox_t *mb = a->data;
    uv_mutex_lock(&mb->lock);
    net_mail_vec_t t = mb->work;
    mb->work = mb->shared;
    mb->shared = t;
    mb->shared.len = 0;
    uv_mutex_unlock(&mb->lock);
    if (mb->work.len)
        mb->cb(mb, mb->work.v, mb->work.len);
    mb->work.len = 0;
    /* A burst grew the array: let it go rather than keep the peak forever. */
    if (mb->work.cap > 65536) {
        free(mb->work.v);
        mb->work.v = NULL;
        mb->work.cap = 0;
    }
}

int net_mailbox_init(net_mailbox_t *mb, uv_loop_t *producer, uv_loop_t *consumer, net_mailbox_cb cb,
                     void *data)
{
    memset(mb, 0, sizeof(*mb));
    mb->cb = cb;
    mb->data = data;
    int r = uv_mutex_init(&mb->lock);
    if (r != 0)
        return r;
    if ((r = uv_async_init(consumer, &mb->wake, on_wake)) != 0) {
        uv_mutex_destroy(&mb->lock);
        return r;
    }
    mb->wake.data = mb;
    uv_prepare_init(producer, &mb->publisher);
    mb->publisher.data = mb;
    uv_prepare_start(&mb->publisher, on_publish);
    return 0;
}

void net_mailbox_put(net_mailbox_t *mb, const net_mail_t *m)
{
    vec_push(&mb->stage, m);
}

void net_mailbox_close_producer(net_mailbox_t *mb)
{
    uv_close((uv_handle_t *)&mb->publisher, NULL);
}

void net_mailbox_close_consumer(net_mailbox_t *mb)
{
    uv_close((uv_handle_t *)&mb->wake, NULL);
}

void net_mailbox_take(net_mailbox_t *mb, net_mail_vec_t *out)
{
    uv_mutex_lock(&mb->lock);
    vec_append(out, &mb->shared);
    uv_mutex_unlock(&mb->lock);
    vec_append(out, &mb->stage);
}

void net_mailbox_deinit(net_mailbox_t *mb)
{
    free(mb->shared.v);
    free(mb->stage.v);
    free(mb->work.v);
    uv_mutex_destroy(&mb->lock);
    memset(mb, 0, sizeof(*mb));
}
