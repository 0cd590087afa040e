/* ui - the web client's files, embedded in the binary at build time (tools/embed generates
 * ui_files.c from web/). One small binary serves its own client: no static directory to
 * install or lose.
 *
 * Each file is held twice, as it is and gzipped (compressed once at build time, at the
 * highest level, so serving it costs nothing), with a strong entity tag per form: the
 * first 128 bits of the SHA-256 of the file's bytes, in hex; the gzip form's tag ends in
 * "-gz", since two encodings of one file are two representations (RFC 9110 8.8.3). */
#ifndef PARLEY_UI_H
#define PARLEY_UI_H

#include <stddef.h>

typedef struct {
    const char *path; /* URL path, "/app.js"; index.html is also "/" */
    const char *content_type;
    const char *data;
    size_t len;
    const char *gz; /* the gzip form, or NULL when it would not be smaller than data */
    size_t gz_len;
    const char *etag;    /* quoted, "\"<32 hex>\"" */
    const char *gz_etag; /* quoted, "\"<32 hex>-gz\"" */
} ui_file_t;

/* The file served at path, or NULL. */
const ui_file_t *ui_find(const char *path);

#endif
