/* client_http - one HTTP response, read with llhttp; see client_http.h. */
#include "client/client_http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xmalloc.h"

static client_http_t *of(llhttp_t *p)
{
    return p->data;
}

static int on_field(llhttp_t *p, const char *at, size_t n)
{
    buf_append(&of(p)->field, at, n);
    return 0;
}

static int on_value(llhttp_t *p, const char *at, size_t n)
{
    buf_append(&of(p)->value, at, n);
    return 0;
}

/* Keeps the headers the client reads; a repeated one is joined with ", " (RFC 9110 5.3). */
static int on_value_complete(llhttp_t *p)
{
    client_http_t *r = of(p);
    static const struct {
        const char *name;
        size_t off;
    } kept[] = {
        {"upgrade", offsetof(client_http_t, upgrade)},
        {"connection", offsetof(client_http_t, connection)},
        {"sec-websocket-accept", offsetof(client_http_t, ws_accept)},
        {"sec-websocket-protocol", offsetof(client_http_t, ws_protocol)},
        {"sec-websocket-extensions", offsetof(client_http_t, ws_extensions)},
        {"content-type", offsetof(client_http_t, content_type)},
    };
    buf_append(&r->field, "", 1);
    buf_append(&r->value, "", 1);
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        if (strcasecmp(r->field.data, kept[i].name) != 0)
            continue;
        char **slot = (char **)((char *)r + kept[i].off);
        if (*slot) {
            buf_t j = BUF_INIT;
            buf_appendf(&j, "%s, %s", *slot, r->value.data);
            free(*slot);
            *slot = buf_steal(&j, NULL);
        } else {
            *slot = xstrdup(r->value.data);
        }
    }
    buf_reset(&r->field);
    buf_reset(&r->value);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    client_http_t *r = of(p);
    r->status = llhttp_get_status_code(p);
    r->head_done = true;
    /* A 101 is the whole answer: llhttp pauses for the upgrade by itself. */
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    client_http_t *r = of(p);
    if (r->body.len + n > CLIENT_HTTP_MAX_BODY) {
        r->error = "the answer's body is too large";
        return -1;
    }
    buf_append(&r->body, at, n);
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    (void)p;
    return HPE_PAUSED; /* one response is all we read: stop here */
}

void client_http_init(client_http_t *r)
{
    memset(r, 0, sizeof(*r));
    llhttp_settings_init(&r->s);
    r->s.on_header_field = on_field;
    r->s.on_header_value = on_value;
    r->s.on_header_value_complete = on_value_complete;
    r->s.on_headers_complete = on_headers_complete;
    r->s.on_body = on_body;
    r->s.on_message_complete = on_message_complete;
    llhttp_init(&r->p, HTTP_RESPONSE, &r->s);
    r->p.data = r;
    buf_init(&r->field);
    buf_init(&r->value);
    buf_init(&r->body);
}

void client_http_deinit(client_http_t *r)
{
    free(r->upgrade);
    free(r->connection);
    free(r->ws_accept);
    free(r->ws_protocol);
    free(r->ws_extensions);
    free(r->content_type);
    buf_deinit(&r->field);
    buf_deinit(&r->value);
    buf_deinit(&r->body);
    memset(r, 0, sizeof(*r));
}

int client_http_feed(client_http_t *r, const char *in, size_t len, size_t *used)
{
    *used = 0;
    if (r->error)
        return CLIENT_HTTP_ERROR;
    llhttp_errno_t e = llhttp_execute(&r->p, in, len);
    size_t n = len;
    if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE)
        n = (size_t)(llhttp_get_error_pos(&r->p) - in);
    if (!r->head_done) {
        r->head_bytes += n;
        if (r->head_bytes > CLIENT_HTTP_MAX_HEAD) {
            r->error = "the answer's head is too large";
            return CLIENT_HTTP_ERROR;
        }
    }
    *used = n;
    if (e == HPE_OK)
        return CLIENT_HTTP_MORE;
    if (e == HPE_PAUSED_UPGRADE || e == HPE_PAUSED) {
        /* A 101 ends with its head (llhttp completes the message there): what follows is
         * the new protocol's. */
        r->upgraded = r->status == 101;
        return CLIENT_HTTP_DONE;
    }
    if (!r->error)
        r->error = "not an HTTP/1.1 answer";
    return CLIENT_HTTP_ERROR;
}

int client_http_finish(client_http_t *r)
{
    if (r->error)
        return CLIENT_HTTP_ERROR;
    llhttp_errno_t e = llhttp_finish(&r->p);
    if ((e == HPE_OK || e == HPE_PAUSED) && r->head_done)
        return CLIENT_HTTP_DONE;
    r->error = "the connection closed before the whole answer";
    return CLIENT_HTTP_ERROR;
}
