/* chat_world - the chat tests' world; see chat_world.h.
 *
 * A connection's frames are a growing array of payloads: a test never loses a frame to a
 * fixed bound (the copies this replaces dropped whatever came past 4096 or 8192, silently).
 * The transport decodes a frame by its header alone: chat's frames are unmasked, so the
 * payload follows the 2, 4 or 10 bytes of RFC 6455 section 5.2. */
#include "chat_world.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "store_mem.h"

/* A broken harness expectation: where, what, then abort (see chat_world.h). */
#define CW_REQUIRE(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: chat_world: ", __FILE__, __LINE__);                            \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* ---- the fake transport ---- */

static char *payload_of(const blob_t *b)
{
    const uint8_t *p = (const uint8_t *)b->data;
    size_t l7 = p[1] & 0x7f, hl = l7 == 127 ? 10 : l7 == 126 ? 4 : 2;
    char *s = malloc(b->len - hl + 1);
    CW_REQUIRE(s != NULL, "out of memory");
    memcpy(s, p + hl, b->len - hl);
    s[b->len - hl] = '\0';
    return s;
}

static void t_send(void *conn, blob_t *frame)
{
    cw_conn_t *c = conn;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        char **grown = realloc(c->frame, cap * sizeof(*grown));
        CW_REQUIRE(grown != NULL, "out of memory");
        c->frame = grown;
        c->cap = cap;
    }
    c->frame[c->n++] = payload_of(frame);
}

static void t_close(void *conn, uint16_t code, const char *reason)
{
    (void)reason;
    ((cw_conn_t *)conn)->closed = code;
}

static size_t t_backlog(void *conn)
{
    (void)conn;
    return 0; /* every frame is written at once */
}

static void t_want_drain(void *conn)
{
    ((cw_conn_t *)conn)->want_drain = true;
}

/* Broadcasts come through here, so the unit tests see the hub's batching (FANOUT_BATCH). */
static void t_send_many(void *const *conns, size_t n, blob_t *frame)
{
    for (size_t i = 0; i < n; i++)
        t_send(conns[i], frame);
}

const chat_transport_t cw_transport = {t_send,    t_close,      t_send,
                                       t_backlog, t_want_drain, t_send_many};

void cw_conn_reset(cw_conn_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->frame[i]);
    free(c->frame);
    c->frame = NULL;
    c->n = c->cap = 0;
}

/* ---- the world ---- */

typedef struct {
    bool done;
    auth_status_t status;
    char token[AUTH_SESSION_HEX + 1];
} reg_t;

static void on_registered(void *ctx, const auth_result_t *r)
{
    reg_t *g = ctx;
    g->done = true;
    g->status = r->status;
    if (r->token)
        snprintf(g->token, sizeof(g->token), "%s", r->token);
}

const char *cw_account(cw_world_t *w, const char *name)
{
    for (size_t i = 0; i < w->nacct; i++)
        if (strcmp(w->acct[i].name, name) == 0)
            return w->acct[i].token;
    CW_REQUIRE(w->nacct < CW_ACCOUNTS_MAX, "no room for account %s", name);
    reg_t g = {0};
    auth_register_t r = {.name = name,
                         .name_len = strlen(name),
                         .password = "correct horse",
                         .password_len = 13,
                         .addr = "127.0.0.1"};
    auth_register(w->auth, &r, on_registered, &g);
    while (!g.done) {
        uv_run(uv_default_loop(), UV_RUN_NOWAIT);
        store_mem_run(w->store);
    }
    CW_REQUIRE(g.status == AUTH_OK, "registering %s: status %d", name, (int)g.status);
    snprintf(w->acct[w->nacct].name, sizeof(w->acct[0].name), "%s", name);
    memcpy(w->acct[w->nacct].token, g.token, sizeof(g.token));
    return w->acct[w->nacct++].token;
}

void cw_world_auth(cw_world_t *w)
{
    memset(w, 0, sizeof(*w));
    w->store = store_mem_open(NULL, STORE_MEM_MANUAL);
    auth_config_t ac = {.guests = true,
                        .guest_ttl_ms = 0,
                        .session_idle_ms = 3600000,
                        .session_max_ms = 3600000,
                        .registration = AUTH_REG_OPEN,
                        .hash_max = 2,
                        .pw_ops = crypto_pwhash_OPSLIMIT_MIN,
                        .pw_mem = crypto_pwhash_MEMLIMIT_MIN,
                        .max_name = 32};
    w->auth = auth_new(uv_default_loop(), w->store, &ac);
    CW_REQUIRE(w->auth != NULL, "auth_new failed");
    CW_REQUIRE(auth_load(w->auth) == 0, "auth_load failed");
    w->cfg = (chat_config_t){.history = 50,
                             .max_name = 32,
                             .max_text = 4000,
                             .rate = 1000,
                             .burst = 1000,
                             .resume_max = 10000,
                             .presence_limit = 1000,
                             .outbound_budget = 1 << 20};
    cw_account(w, "root");
}

void cw_world_hub(cw_world_t *w)
{
    w->hub = chat_new(w->store, w->auth, &w->cfg, &cw_transport);
    CW_REQUIRE(chat_load(w->hub) == 0, "chat_load failed");
    if (w->cfg.shared) {
        w->hub2 = chat_new(w->store, w->auth, &w->cfg, &cw_transport);
        CW_REQUIRE(chat_load(w->hub2) == 0, "chat_load failed (hub2)");
    }
}

void cw_world_init(cw_world_t *w)
{
    cw_world_auth(w);
    cw_world_hub(w);
    store_mem_run(w->store);
}

void cw_world_deinit(cw_world_t *w)
{
    for (size_t i = 0; i < CW_CONNS; i++) {
        if (w->conns[i].s)
            chat_close(w->conns[i].s);
        cw_conn_reset(&w->conns[i]);
    }
    store_mem_run(w->store);
    store_close(w->store);
    chat_free(w->hub);
    if (w->hub2)
        chat_free(w->hub2);
    auth_free(w->auth);
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}

/* ---- connections ---- */

cw_conn_t *cw_open(cw_world_t *w, chat_hub_t *hub, size_t i, chat_mode_t mode,
                   const char *client_id, const char *addr)
{
    CW_REQUIRE(i < CW_CONNS, "no connection %zu", i);
    cw_conn_t *c = &w->conns[i];
    chat_creds_t cr = {0};
    if (addr)
        snprintf(cr.addr, sizeof(cr.addr), "%s", addr);
    c->s = chat_open(hub, c, mode, client_id, addr ? &cr : NULL);
    return c;
}

void cw_say(cw_conn_t *c, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    chat_text(c->s, text, strlen(text));
}

/* Opens conns[i], sends join with the payload field key (token or user) set to value, and
 * runs the store: the welcome must have come. */
static cw_conn_t *join_with(cw_world_t *w, chat_hub_t *hub, size_t i, const char *key,
                            const char *value, const char *addr)
{
    cw_conn_t *c = cw_open(w, hub, i, CHAT_MODE_JSON, NULL, addr);
    cw_say(c, "{\"type\":\"join\",\"payload\":{\"%s\":\"%s\"}}", key, value);
    store_mem_run(w->store);
    CW_REQUIRE(cw_count(c, "welcome") == 1, "conns[%zu] joining as %s: %d welcomes", i, value,
               cw_count(c, "welcome"));
    return c;
}

cw_conn_t *cw_join_on(cw_world_t *w, chat_hub_t *hub, size_t i, const char *user, const char *addr)
{
    return join_with(w, hub, i, "token", cw_account(w, user), addr);
}

cw_conn_t *cw_join(cw_world_t *w, size_t i, const char *user)
{
    return cw_join_on(w, w->hub, i, user, NULL);
}

cw_conn_t *cw_join_guest(cw_world_t *w, size_t i, const char *user, const char *addr)
{
    return join_with(w, w->hub, i, "user", user, addr);
}

void cw_leave(cw_conn_t *c)
{
    chat_close(c->s);
    c->s = NULL;
}

void cw_post(cw_conn_t *c, const char *text, const char *id)
{
    cw_say(c, "{\"type\":\"msg\",\"id\":\"%s\",\"payload\":{\"text\":\"%s\"}}", id, text);
}

/* ---- the frames a connection got ---- */

/* The type of frame j, NULL when it has none (or j is NULL: not JSON). */
static const char *type_of(const json_t *j)
{
    return json_string_value(json_object_get(j, "type"));
}

int cw_count(const cw_conn_t *c, const char *type)
{
    int n = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_t *j = json_loads(c->frame[i], 0, NULL);
        const char *t = type_of(j);
        n += j ? t && strcmp(t, type) == 0 : strncmp(c->frame[i], type, strlen(type)) == 0;
        json_decref(j);
    }
    return n;
}

json_t *cw_last(const cw_conn_t *c, const char *type)
{
    for (size_t i = c->n; i-- > 0;) {
        json_t *j = json_loads(c->frame[i], 0, NULL);
        const char *t = type_of(j);
        if (t && strcmp(t, type) == 0)
            return j;
        json_decref(j);
    }
    return NULL;
}

json_t *cw_last_error(const cw_conn_t *c)
{
    return cw_last(c, "error");
}

const char *cw_err_code(const cw_conn_t *c)
{
    static char code[64];
    json_t *e = cw_last_error(c);
    snprintf(code, sizeof(code), "%s", e ? json_string_value(json_object_get(e, "code")) : "");
    json_decref(e);
    return code;
}

int cw_errors(const cw_conn_t *c, const char *code)
{
    int n = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_t *j = json_loads(c->frame[i], 0, NULL);
        const char *k = json_string_value(json_object_get(j, "code"));
        n += k && strcmp(k, code) == 0;
        json_decref(j);
    }
    return n;
}

long long cw_pint(json_t *j, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(j, "payload"), key));
}

size_t cw_seqs(const cw_conn_t *c, uint64_t out[], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_t *j = json_loads(c->frame[i], 0, NULL);
        const char *t = type_of(j);
        json_t *p = json_object_get(j, "payload");
        if (t && strcmp(t, "msg") == 0 && n < max) {
            out[n++] = (uint64_t)json_integer_value(json_object_get(p, "seq"));
        } else if (t && strcmp(t, "history") == 0) {
            json_t *m;
            size_t k;
            json_array_foreach(json_object_get(p, "messages"), k, m)
            {
                if (n < max)
                    out[n++] = (uint64_t)json_integer_value(json_object_get(m, "seq"));
            }
        }
        json_decref(j);
    }
    return n;
}
