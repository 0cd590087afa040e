/* api_files - uploads and downloads (docs/protocol.md, "Files").
 *
 * POST /api/files?channel=NAME&name=FILE[&type=T][&w=W&h=H] with the file's bytes as the
 * body (at most --max-file: the route's body limit answers 413 before reading more): the
 * uploader must be able to post in the channel. The answer is the file as a message carries
 * it, {"id","name","type","size"[,"w","h"],"url"}; a msg with "files":[{"id":...}] posts it.
 *
 * GET /files/ID/NAME: the bytes, to a member of the channel the file was posted in (and to
 * its uploader before it is posted); anyone else, and any unknown id, gets the same 404. The
 * type is the one stored (files_type: sniffed from an allowlist, never HTML or SVG), images
 * inline and everything else as an attachment, with a CSP that lets nothing in the file run,
 * and cached for good (the bytes of an id never change). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "api/api_int.h"
#include "base/xmalloc.h"

/* The value of key in a query string, percent-decoded into out (cap bytes, NUL-terminated);
 * false when absent, too long or badly encoded. */
static bool query_get(const char *q, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *p = q; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t n = 0;
            for (size_t i = klen + 1; i < len; i++) {
                char ch = p[i];
                if (ch == '%') {
                    unsigned v;
                    if (i + 2 >= len + 0 || sscanf(p + i + 1, "%2x", &v) != 1 ||
                        !strchr("0123456789abcdefABCDEF", p[i + 1]) ||
                        !strchr("0123456789abcdefABCDEF", p[i + 2]))
                        return false;
                    ch = (char)v;
                    i += 2;
                } else if (ch == '+') {
                    ch = ' ';
                }
                if (n + 1 >= cap || ch == '\0')
                    return false;
                out[n++] = ch;
            }
            out[n] = '\0';
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

static uint32_t query_u32(const char *q, const char *key)
{
    char v[16];
    if (!query_get(q, key, v, sizeof(v)))
        return 0;
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    return *end || n > 100000 ? 0 : (uint32_t)n;
}

/* An upload between files_put_begin and its answer. The call stays open meanwhile, so
 * shutdown waits for it (api_pending). */
typedef struct {
    uv_work_t req;
    api_call_t *c;
    files_job_t *job;
} upload_t;

static void upload_answer(api_call_t *c, int rc, const files_meta_t *m);

static void upload_work(uv_work_t *req)
{
    files_put_work(((upload_t *)req->data)->job);
}

static void upload_done(uv_work_t *req, int status)
{
    (void)status; /* never canceled: nothing calls uv_cancel on it */
    upload_t *u = req->data;
    const files_meta_t *m = NULL;
    int rc = files_put_end(u->c->api->files, u->job, &m);
    upload_answer(u->c, rc, m);
    free(u);
}

void api_file_upload(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)body;
    api_t *a = c->api;
    char channel[256], name[1024], type[128] = "";
    if (!a->files) {
        api_error(c, 404, "not_found", "this server takes no files");
        return;
    }
    if (!r->query || !query_get(r->query, "channel", channel, sizeof(channel))) {
        api_error(c, 400, "bad_request", "say which channel: ?channel=NAME");
        return;
    }
    if (!query_get(r->query, "name", name, sizeof(name)))
        snprintf(name, sizeof(name), "file");
    if (!query_get(r->query, "type", type, sizeof(type)))
        type[0] = '\0';
    if (!r->body || r->body_len == 0) {
        api_error(c, 400, "bad_request", "the body is the file's bytes, and it is empty");
        return;
    }
    if (!a->files_allowed(a->files_ctx, c->actor->id, channel, true)) {
        api_error(c, 404, "no_such_channel", "no such channel, or you cannot post in it");
        return;
    }
    files_put_t in = {.uploader = c->actor->id,
                      .channel = channel,
                      .name = name,
                      .type = type,
                      .w = query_u32(r->query, "w"),
                      .h = query_u32(r->query, "h"),
                      .data = r->body,
                      .len = r->body_len};
    files_job_t *job;
    int rc = files_put_begin(a->files, &in, &job);
    if (rc < 0) {
        upload_answer(c, rc, NULL);
        return;
    }
    upload_t *u = xmalloc(sizeof(*u));
    u->c = c;
    u->job = job;
    u->req.data = u;
    /* uv_queue_work fails only for a NULL work callback: then, and without a loop, here. */
    if (!a->loop || uv_queue_work(a->loop, &u->req, upload_work, upload_done) != 0) {
        files_put_work(job);
        upload_done(&u->req, 0);
    }
}

/* The upload's answer: 201 with the file as a message carries it, or why not. */
static void upload_answer(api_call_t *c, int rc, const files_meta_t *m)
{
    if (rc == FILES_ETOOBIG) {
        api_error(c, 413, "too_large", "the file is larger than this server takes (--max-file)");
    } else if (rc == FILES_EQUOTA) {
        api_error(c, 413, "quota_exceeded",
                  "your files would pass your quota (--file-quota): delete some messages first");
    } else if (rc < 0) {
        api_error(c, 500, "internal", "the file could not be stored");
    } else {
        buf_t b = BUF_INIT;
        files_meta_json(&b, m);
        api_reply_raw(c, 201, "application/json", "Cache-Control: no-store\r\n", b.data, b.len);
        buf_deinit(&b);
    }
}

/* The Content-Disposition line: RFC 6266, an ASCII fallback and the UTF-8 name (5987). */
static void disposition(const files_meta_t *m, buf_t *out)
{
    buf_appendf(out, "Content-Disposition: %s; filename=\"",
                files_inline(m->type) ? "inline" : "attachment");
    for (const unsigned char *p = (const unsigned char *)m->name; *p; p++)
        buf_append(out, *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' ? (const char *)p : "_",
                   1);
    buf_append_str(out, "\"; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)m->name; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p))
            buf_append(out, p, 1);
        else
            buf_appendf(out, "%%%02X", *p);
    }
    buf_append_str(out, "\r\n");
}

/* The whole blob file into *data (*len bytes), or -1. */
static int read_blob(const char *path, uint64_t size, char **data)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    *data = xmalloc(size ? size : 1);
    size_t got = fread(*data, 1, size, fp);
    fclose(fp);
    if (got != size) {
        free(*data);
        return -1;
    }
    return 0;
}

void api_file_download(api_call_t *c, const api_request_t *r, json_t *body)
{
    (void)body;
    api_t *a = c->api;
    const char *id = r->path + 7; /* after "/files/" */
    const char *slash = strchr(id, '/');
    size_t len = slash ? (size_t)(slash - id) : strlen(id);
    const files_meta_t *m = a->files ? files_get(a->files, id, len) : NULL;
    /* Unknown, unsent and someone else's, or in a channel the user is not in: one answer. */
    bool ok = m && (m->uploader == c->actor->id ||
                    (m->seq && a->files_allowed(a->files_ctx, c->actor->id, m->channel, false)));
    char path[4200];
    char *data = NULL;
    if (ok) {
        files_path(a->files, m, path, sizeof(path));
        ok = c->head_only || read_blob(path, m->size, &data) == 0;
    }
    if (!ok) {
        api_error(c, 404, "not_found", "no such file");
        return;
    }
    buf_t extra = BUF_INIT;
    disposition(m, &extra);
    /* Private: behind a session. Immutable: an id's bytes never change. */
    buf_appendf(&extra,
                "Cache-Control: private, max-age=31536000, immutable\r\n"
                "ETag: \"%s\"\r\n"
                "Content-Security-Policy: default-src 'none'; img-src 'self'; "
                "style-src 'unsafe-inline'; sandbox\r\n"
                "Cross-Origin-Resource-Policy: same-origin\r\n",
                m->sha);
    api_reply_raw(c, 200, m->type, extra.data, data, (size_t)m->size);
    buf_deinit(&extra);
    free(data);
}
