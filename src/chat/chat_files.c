/* chat_files - a message's files; see chat_files.h. */
#include "chat/chat_files.h"

#include <string.h>

/* The id of element v of a files array, NULL when it has none. */
static const char *id_of(json_t *v, size_t *len)
{
    json_t *id = json_is_object(v) ? json_object_get(v, "id") : v;
    if (!json_is_string(id))
        return NULL;
    *len = json_string_length(id);
    return json_string_value(id);
}

const char *chat_files_take(files_t *f, json_t *files, uint64_t user, const char *channel,
                            buf_t *out)
{
    size_t n = json_array_size(files);
    if (!json_is_array(files) || n == 0 || n > FILES_PER_MSG)
        return "files must be an array of 1-10 {\"id\": ...} of your uploads";
    const files_meta_t *m[FILES_PER_MSG];
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *id = id_of(json_array_get(files, i), &len);
        m[i] = id ? files_get(f, id, len) : NULL;
        /* Someone else's upload, or one to another channel, is as unknown as none. */
        if (!m[i] || m[i]->uploader != user || strcmp(m[i]->channel, channel) != 0)
            return "no such file: upload it to this channel first (POST /api/files)";
        if (m[i]->seq || m[i]->reserved)
            return "that file is in a message already";
        for (size_t j = 0; j < i; j++)
            if (m[j] == m[i])
                return "a file is listed twice";
    }
    buf_append_str(out, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_append_str(out, ",");
        files_meta_json(out, m[i]);
        files_reserve(f, m[i]->id, true);
    }
    buf_append_str(out, "]");
    return NULL;
}

/* Calls fn for every id in json (a message's files). */
static void each_id(files_t *f, const char *json, void (*fn)(files_t *, const char *, void *),
                    void *ctx)
{
    json_t *a = json && json[0] ? json_loads(json, 0, NULL) : NULL;
    for (size_t i = 0; i < json_array_size(a); i++) {
        size_t len = 0;
        const char *id = id_of(json_array_get(a, i), &len);
        if (id)
            fn(f, id, ctx);
    }
    json_decref(a);
}

static void unreserve(files_t *f, const char *id, void *ctx)
{
    (void)ctx;
    files_reserve(f, id, false);
}

void chat_files_unreserve(files_t *f, const char *json)
{
    each_id(f, json, unreserve, NULL);
}

static void attach(files_t *f, const char *id, void *ctx)
{
    const store_msg_t *m = ctx;
    files_attach(f, id, m->channel, m->seq);
}

void chat_files_commit(files_t *f, const store_msg_t *m)
{
    const char *kind = m->kind ? m->kind : "msg";
    if (strcmp(kind, "msg") == 0)
        each_id(f, m->files, attach, (void *)m);
    else if (strcmp(kind, "delete") == 0)
        files_release(f, m->channel, m->target);
}
