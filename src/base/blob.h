/* blob - an immutable, reference-counted byte image: one encoded frame shared by every
 * recipient of a broadcast (h2o's shared allocations). The creator holds the first
 * reference; each queue that holds the blob takes one; the last unref frees it.
 *
 * Counts are plain ints: a blob belongs to one loop thread. Passing blobs between loops
 * (the --threads work) will make them atomic. */
#ifndef PARLEY_BLOB_H
#define PARLEY_BLOB_H

#include <stddef.h>

typedef struct blob {
    int refs;
    size_t len;
    char data[];
} blob_t;

blob_t *blob_new(size_t len);                    /* refs = 1, data uninitialised */
blob_t *blob_from(const void *data, size_t len); /* refs = 1, a copy of data */
blob_t *blob_ref(blob_t *b);                     /* returns b */
void blob_unref(blob_t *b);                      /* NULL is ignored */

#endif
