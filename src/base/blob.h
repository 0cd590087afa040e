/* blob - an immutable, reference-counted byte image: one encoded frame shared by every
 * recipient of a broadcast (h2o's shared allocations). The creator holds the first
 * reference; each queue that holds the blob takes one; the last unref frees it.
 *
 * Counts are atomic: with --threads, the hub's loop builds a broadcast frame once and the
 * connection loops' queues hold and release references to it. Taking a reference is a
 * relaxed increment; dropping one is an acquire-release decrement, so the thread that frees
 * the blob sees every other thread's last use of it. */
#ifndef PARLEY_BLOB_H
#define PARLEY_BLOB_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct blob {
    atomic_int refs;
    size_t len;
    char data[];
} blob_t;

blob_t *blob_new(size_t len);                    /* refs = 1, data uninitialised */
blob_t *blob_from(const void *data, size_t len); /* refs = 1, a copy of data */
blob_t *blob_ref(blob_t *b);                     /* returns b */
void blob_unref(blob_t *b);                      /* NULL is ignored */

#endif
