/* json_env - the protocol envelope {"type", "id", "payload"} read with jansson, and the
 * small writer the server uses to build its replies.
 *
 * Decoding is strict: one JSON object, UTF-8 (jansson rejects invalid UTF-8 and \u0000),
 * no duplicate keys. The request id, when present, is kept as its JSON text so it can be
 * spliced verbatim into the answer. No I/O, no logging. */
#ifndef PARLEY_JSON_ENV_H
#define PARLEY_JSON_ENV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define JSON_ID_MAX 64

typedef struct {
    json_t *root;                 /* owned; NULL after json_env_free */
    const char *type;             /* borrowed from root; NULL when missing or not a string */
    json_t *payload;              /* borrowed; an object, or NULL when absent */
    char id[JSON_ID_MAX * 6 + 8]; /* the id as JSON text ("\"a\"" or "42"), "" when absent */
} json_env_t;

/* Parses one envelope. Returns 0, or -1 with *code set to the protocol's error code
 * ("bad_json", "bad_type", "bad_payload") and msg to a human explanation. Whatever the
 * outcome, e->id is filled when a valid id was found, so errors can echo it, and the
 * caller must call json_env_free. */
int json_env_parse(json_env_t *e, const char *text, size_t len, const char **code, char *msg,
                   size_t msgcap);
void json_env_free(json_env_t *e);

/* Appends s (len bytes of valid UTF-8) as a quoted JSON string. */
void json_append_string(buf_t *b, const char *s, size_t len);

#endif
