/* ui - the web client's files, embedded in the binary at build time (tools/embed generates
 * ui_files.c from web/). One small binary serves its own client: no static directory to
 * install or lose. */
#ifndef PARLEY_UI_H
#define PARLEY_UI_H

#include <stddef.h>

typedef struct {
    const char *path; /* URL path, "/app.js"; index.html is also "/" */
    const char *content_type;
    const char *data;
    size_t len;
} ui_file_t;

/* The file served at path, or NULL. */
const ui_file_t *ui_find(const char *path);

#endif
