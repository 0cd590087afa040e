/* xmalloc - allocation for the application layers.
 *
 * The server cannot do anything useful after malloc fails, so application code (net, chat,
 * store, main) allocates through these and aborts with a message on failure, as Redis's
 * zmalloc does. Codecs (http, ws, json) do not use them: they return an error code so they
 * stay reusable and fuzzable. */
#ifndef PARLEY_XMALLOC_H
#define PARLEY_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);                 /* never NULL */
void *xcalloc(size_t n, size_t size);    /* zeroed, never NULL */
void *xrealloc(void *p, size_t n);       /* never NULL */
char *xstrdup(const char *s);            /* never NULL */
char *xstrndup(const char *s, size_t n); /* copies n bytes and adds a NUL */

#endif
