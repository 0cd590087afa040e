/* fuzz_json_env - libFuzzer target for json/json_env: the envelope decoder and the string
 * writer the server builds its replies with.
 *
 * Input: the text of one WebSocket message, as a client sent it.
 *
 * Checks (abort() on a violation):
 *   - json_env_parse returns 0 or -1. On 0: root is an object, type is its "type" string
 *     (never NULL), payload is NULL or its "payload" object. On -1: the code is bad_json,
 *     bad_type or bad_payload and the message is NUL-terminated within its buffer.
 *   - the id text, when set, re-parses with jansson to a value equal to the envelope's "id";
 *     when the envelope is an object with an integer id or a string id of at most 64 bytes,
 *     the id text is set.
 *   - an accepted envelope, dumped by jansson and parsed again, gives the same type and id.
 *   - when the input is valid UTF-8, json_append_string of it is valid UTF-8 without raw
 *     control characters, and json_loadb (JSON_ALLOW_NUL) gives back exactly the input.
 * No state is kept between inputs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "json/json_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_json_env: %s\n", what);
    abort();
}

/* The id text must be JSON for the very value the envelope carried. */
static void check_id(const json_env_t *e)
{
    if (!memchr(e->id, '\0', sizeof(e->id)))
        fail("id text not NUL-terminated");
    json_t *orig = e->root && json_is_object(e->root) ? json_object_get(e->root, "id") : NULL;
    bool valid = orig && (json_is_integer(orig) ||
                          (json_is_string(orig) && json_string_length(orig) <= JSON_ID_MAX));
    if (valid != (e->id[0] != '\0'))
        fail("id text set for an invalid id, or missing for a valid one");
    if (!valid)
        return;
    json_error_t err;
    json_t *back = json_loads(e->id, JSON_DECODE_ANY, &err);
    if (!back)
        fail("id text does not parse");
    if (!json_equal(back, orig))
        fail("id text parses to another value");
    json_decref(back);
}

/* An accepted envelope dumped and read again is accepted the same way. */
static void check_redump(const json_env_t *e)
{
    char *text = json_dumps(e->root, JSON_COMPACT);
    if (!text)
        fail("json_dumps failed");
    json_env_t e2;
    const char *code = NULL;
    char msg[160];
    if (json_env_parse(&e2, text, strlen(text), &code, msg, sizeof(msg)) != 0)
        fail("a dumped envelope is refused");
    if (strcmp(e->type, e2.type) != 0 || strcmp(e->id, e2.id) != 0 ||
        (e->payload == NULL) != (e2.payload == NULL))
        fail("a dumped envelope reads back differently");
    json_env_free(&e2);
    free(text);
}

static void check_env(const uint8_t *data, size_t size)
{
    json_env_t e;
    const char *code = NULL;
    char msg[160]; /* what chat_session uses */
    int rc = json_env_parse(&e, (const char *)data, size, &code, msg, sizeof(msg));
    if (rc == 0) {
        if (!json_is_object(e.root) || !e.type)
            fail("accepted without an object root and a type");
        if (e.type != json_string_value(json_object_get(e.root, "type")))
            fail("type is not the envelope's type string");
        if (e.payload &&
            (!json_is_object(e.payload) || e.payload != json_object_get(e.root, "payload")))
            fail("payload is not the envelope's payload object");
        check_redump(&e);
    } else if (rc == -1) {
        if (!code || (strcmp(code, "bad_json") != 0 && strcmp(code, "bad_type") != 0 &&
                      strcmp(code, "bad_payload") != 0))
            fail("unexpected error code");
        if (!memchr(msg, '\0', sizeof(msg)))
            fail("error message not NUL-terminated");
    } else {
        fail("json_env_parse returned neither 0 nor -1");
    }
    check_id(&e);
    json_env_free(&e);
    if (e.root || e.type || e.payload)
        fail("json_env_free left pointers behind");
}

static void check_string_roundtrip(const uint8_t *data, size_t size)
{
    if (!utf8_valid(data, size))
        return;
    buf_t b = BUF_INIT;
    json_append_string(&b, (const char *)data, size);
    if (!utf8_valid((const uint8_t *)b.data, b.len))
        fail("json_append_string wrote invalid UTF-8");
    for (size_t i = 0; i < b.len; i++)
        if ((unsigned char)b.data[i] < 0x20)
            fail("json_append_string left a raw control character");
    json_error_t err;
    json_t *s = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!s || !json_is_string(s))
        fail("json_append_string output is not a JSON string");
    if (json_string_length(s) != size || memcmp(json_string_value(s), data, size) != 0)
        fail("json_append_string does not round-trip");
    json_decref(s);
    buf_deinit(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_env(data, size);
    check_string_roundtrip(data, size);
    return 0;
}
