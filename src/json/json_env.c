/* json_env - envelope decoding over jansson and a JSON string writer; see json_env.h.
 *
 * Replies are written with buf_appendf and json_append_string rather than built as jansson
 * trees: a broadcast message is encoded once, but that once should not cost a tree of
 * allocations. */
#include "json/json_env.h"

#include <stdio.h>
#include <string.h>

static int fail(const char **code, const char *c, char *msg, size_t cap, const char *text)
{
    *code = c;
    snprintf(msg, cap, "%s", text);
    return -1;
}

/* Records the id as JSON text; ids are strings up to JSON_ID_MAX bytes or integers. */
static int take_id(json_env_t *e, json_t *id)
{
    if (!id)
        return 0;
    if (json_is_integer(id)) {
        snprintf(e->id, sizeof(e->id), "%lld", (long long)json_integer_value(id));
        return 0;
    }
    if (json_is_string(id) && json_string_length(id) <= JSON_ID_MAX) {
        buf_t b = BUF_INIT;
        json_append_string(&b, json_string_value(id), json_string_length(id));
        snprintf(e->id, sizeof(e->id), "%s", b.data);
        buf_deinit(&b);
        return 0;
    }
    return -1;
}

int json_env_parse(json_env_t *e, const char *text, size_t len, const char **code, char *msg,
                   size_t msgcap)
{
    memset(e, 0, sizeof(*e));
    json_error_t err;
    e->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!e->root) {
        snprintf(msg, msgcap, "invalid JSON at byte %d: %s", err.position, err.text);
        *code = "bad_json";
        return -1;
    }
    if (!json_is_object(e->root))
        return fail(code, "bad_json", msg, msgcap, "expected a JSON object");
    if (take_id(e, json_object_get(e->root, "id")) < 0)
        return fail(code, "bad_payload", msg, msgcap,
                    "id must be an integer or a string of at most 64 bytes");
    json_t *type = json_object_get(e->root, "type");
    if (!json_is_string(type))
        return fail(code, "bad_type", msg, msgcap, "type must be a string");
    e->type = json_string_value(type);
    json_t *payload = json_object_get(e->root, "payload");
    if (payload && !json_is_null(payload)) {
        if (!json_is_object(payload))
            return fail(code, "bad_payload", msg, msgcap, "payload must be an object");
        e->payload = payload;
    }
    return 0;
}

void json_env_free(json_env_t *e)
{
    json_decref(e->root);
    e->root = NULL;
    e->payload = NULL;
    e->type = NULL;
}

void json_append_string(buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    buf_reserve(b, len + 2);
    buf_append(b, "\"", 1);
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0};
        switch (ch) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            buf_append(b, esc, 6);
            continue;
        }
        buf_append(b, esc, 2);
    }
    buf_append(b, s + run, len - run);
    buf_append(b, "\"", 1);
}
