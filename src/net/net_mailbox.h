/* net_mailbox - a one-way queue of small fixed-size items from one loop thread to another.
 *
 * Producer side: net_mailbox_put appends to a private staging array (no lock); once per
 * producer loop turn (a uv_prepare, just before that loop polls) the staged items are moved
 * under the mutex to the shared array and the consumer is woken with one uv_async_send. So a
 * broadcast to thousands of connections on another loop costs one lock and one wake-up,
 * not one per item. net_mailbox_flush publishes at once (for a producer about to stop).
 *
 * Consumer side: the async callback swaps the shared array for its own under the mutex and
 * hands every item, in order, to the callback. Items of one mailbox are delivered in the
 * order they were put.
 *
 * Exactly one producer thread and one consumer thread per mailbox. The mailbox carries no
 * meaning: the items' fields are the caller's to define, and whatever they point to is
 * handed over with them. */
#ifndef PARLEY_NET_MAILBOX_H
#define PARLEY_NET_MAILBOX_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct {
    uint8_t type;
    uint16_t code;
    void *a;
    void *b;
    size_t n;
} net_mail_t;

typedef struct {
    net_mail_t *v;
    size_t len, cap;
} net_mail_vec_t;

typedef struct net_mailbox net_mailbox_t;
/* Called on the consumer thread with items in put order; items is valid only during the
 * call. */
typedef void (*net_mailbox_cb)(net_mailbox_t *mb, net_mail_t *items, size_t n);

struct net_mailbox {
    uv_mutex_t lock;
    net_mail_vec_t shared;  /* under lock */
    net_mail_vec_t stage;   /* producer thread only */
    net_mail_vec_t work;    /* consumer thread only */
    uv_async_t wake;        /* on the consumer loop */
    uv_prepare_t publisher; /* on the producer loop */
    net_mailbox_cb cb;
    void *data; /* the owner's */
};

/* Sets up both ends. Both loops must not be running yet (or be run by the calling thread),
 * since handles are added to them. Returns 0 or a UV_E* code. */
int net_mailbox_init(net_mailbox_t *mb, uv_loop_t *producer, uv_loop_t *consumer, net_mailbox_cb cb,
                     void *data);
/* Producer thread: queues one item (copied). */
void net_mailbox_put(net_mailbox_t *mb, const net_mail_t *m);
/* Producer thread: publishes staged items now rather than at the end of the loop turn. */
void net_mailbox_flush(net_mailbox_t *mb);
/* Producer thread: stops publishing each turn and closes the producer's handle. Call
 * net_mailbox_flush first if staged items must still go. */
void net_mailbox_close_producer(net_mailbox_t *mb);
/* Consumer thread: closes the consumer's handle. Items published later are never
 * delivered; net_mailbox_take returns them. */
void net_mailbox_close_consumer(net_mailbox_t *mb);
/* Either thread, once the other end has stopped for good (its thread joined): moves every
 * item not yet delivered (shared, then staged) into out (which the caller frees), so their
 * resources can be released. */
void net_mailbox_take(net_mailbox_t *mb, net_mail_vec_t *out);
/* Frees the arrays and the mutex. Both handles must have finished closing. */
void net_mailbox_deinit(net_mailbox_t *mb);

#endif
