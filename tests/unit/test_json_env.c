/* Unit tests of json_env: envelope decoding (every error class, id forms) and the string
 * writer (escapes, UTF-8 passthrough, round trip through jansson). */
#include <jansson.h>
#include <string.h>

#include "json/json_env.h"
#include "test.h"

static const char *parse_code(const char *text, json_env_t *e)
{
    const char *code = NULL;
    char msg[160];
    int r = json_env_parse(e, text, strlen(text), &code, msg, sizeof(msg));
    return r == 0 ? "ok" : code;
}

TEST(test_valid_envelope)
{
    json_env_t e;
    CHECK_EQ_STR(parse_code("{\"type\":\"msg\",\"id\":\"a1\",\"payload\":{\"text\":\"hi\"}}", &e),
                 "ok");
    CHECK_EQ_STR(e.type, "msg");
    CHECK_EQ_STR(e.id, "\"a1\"");
    CHECK(json_is_object(e.payload));
    json_env_free(&e);

    CHECK_EQ_STR(parse_code("  {\"type\":\"ping\",\"id\":42}  ", &e), "ok");
    CHECK_EQ_STR(e.id, "42");
    CHECK(e.payload == NULL);
    json_env_free(&e);

    CHECK_EQ_STR(parse_code("{\"type\":\"ping\",\"payload\":null}", &e), "ok");
    CHECK(e.payload == NULL);
    CHECK_EQ_STR(e.id, "");
    json_env_free(&e);
}

TEST(test_errors)
{
    static const struct {
        const char *text, *code;
    } cases[] = {
        {"", "bad_json"},
        {"{", "bad_json"},
        {"[1,2]", "bad_json"},
        {"\"msg\"", "bad_json"},
        {"{\"type\":\"msg\"} trailing", "bad_json"},
        {"{\"type\":\"a\",\"type\":\"b\"}", "bad_json"}, /* duplicate keys */
        {"{\"type\":\"msg\",\"payload\":{\"text\":\"a\\u0000b\"}}", "bad_json"}, /* NUL */
        {"{\"type\":\"\xff\"}", "bad_json"},                                     /* invalid UTF-8 */
        {"{}", "bad_type"},
        {"{\"type\":7}", "bad_type"},
        {"{\"type\":null}", "bad_type"},
        {"{\"type\":\"msg\",\"payload\":[1]}", "bad_payload"},
        {"{\"type\":\"msg\",\"payload\":\"x\"}", "bad_payload"},
        {"{\"type\":\"msg\",\"id\":{}}", "bad_payload"},
        {"{\"type\":\"msg\",\"id\":1.5}", "bad_payload"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_env_t e;
        const char *got = parse_code(cases[i].text, &e);
        CHECK_EQ_STR(got, cases[i].code);
        if (strcmp(got, cases[i].code) != 0)
            fprintf(stderr, "  case %zu: %s\n", i, cases[i].text);
        json_env_free(&e);
    }
}

TEST(test_id_kept_on_error)
{
    json_env_t e;
    CHECK_EQ_STR(parse_code("{\"id\":\"r7\",\"type\":5}", &e), "bad_type");
    CHECK_EQ_STR(e.id, "\"r7\"");
    json_env_free(&e);

    char big[200];
    snprintf(big, sizeof(big), "{\"type\":\"ping\",\"id\":\"%065d\"}", 0);
    CHECK_EQ_STR(parse_code(big, &e), "bad_payload"); /* ids are at most 64 bytes */
    json_env_free(&e);
    snprintf(big, sizeof(big), "{\"type\":\"ping\",\"id\":\"%064d\"}", 0);
    CHECK_EQ_STR(parse_code(big, &e), "ok");
    json_env_free(&e);
}

static void check_roundtrip(const char *s, size_t len, const char *expect)
{
    buf_t b = BUF_INIT;
    json_append_string(&b, s, len);
    if (expect)
        CHECK_EQ_STR(b.data, expect);
    json_error_t err;
    json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    CHECK(json_is_string(v));
    if (json_is_string(v))
        CHECK_EQ_MEM(json_string_value(v), json_string_length(v), s, len);
    json_decref(v);
    buf_deinit(&b);
}

TEST(test_string_writer)
{
    check_roundtrip("plain", 5, "\"plain\"");
    check_roundtrip("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    check_roundtrip("l1\nl2\tx\r", 8, "\"l1\\nl2\\tx\\r\"");
    check_roundtrip("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    check_roundtrip("caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    check_roundtrip("<b>x</b>", 8, "\"<b>x</b>\"");
    check_roundtrip("", 0, "\"\"");
    char all[128];
    for (int i = 0; i < 128; i++)
        all[i] = (char)i;
    check_roundtrip(all, sizeof(all), NULL);
}

int main(void)
{
    RUN(test_valid_envelope);
    RUN(test_errors);
    RUN(test_id_kept_on_error);
    RUN(test_string_writer);
    return TEST_MAIN_END();
}
