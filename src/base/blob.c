/* blob - refcounted immutable bytes; see blob.h. */
#include "base/blob.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

blob_t *blob_new(size_t len)
{
    blob_t *b = xmalloc(sizeof(*b) + len);
    atomic_init(&b->refs, 1);
    b->len = len;
    return b;
}

blob_t *blob_from(const void *data, size_t len)
{
    blob_t *b = blob_new(len);
    if (len)
        memcpy(b->data, data, len);
    return b;
}

blob_t *blob_ref(blob_t *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void blob_unref(blob_t *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        free(b);
}
