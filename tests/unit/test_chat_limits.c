/* test_chat_limits - the chat layer's limits through its door (chat.h), with a fake
 * transport and the in-memory store: every request pays its cost from one bucket per user
 * (a state change its toll on arrival and the rest when it acts), a request over the limit
 * is answered `rate_limited` with `retry_after_ms` and does nothing, and guests and text
 * modes from one address share that address's bucket; quotas on channels, direct messages
 * and reactions; archiving and deleting channels. test_chat has the rest of chat. */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "chat/chat.h"
#include "chat/chat_hub.h"
#include "store_mem.h"
#include "test.h"

/* ---- a fake connection: every frame it was sent ---- */

#define FRAMES_MAX 8192
#define CONNS 16

typedef struct {
    char *frame[FRAMES_MAX];
    size_t n;
    uint16_t closed;
    chat_session_t *s;
} conn_t;

static void t_send(void *c, blob_t *frame)
{
    conn_t *conn = c;
    const uint8_t *p = (const uint8_t *)frame->data;
    size_t l7 = p[1] & 0x7f, hl = l7 == 127 ? 10 : l7 == 126 ? 4 : 2;
    if (conn->n == FRAMES_MAX)
        return;
    char *s = malloc(frame->len - hl + 1);
    memcpy(s, p + hl, frame->len - hl);
    s[frame->len - hl] = '\0';
    conn->frame[conn->n++] = s;
}

static void t_close(void *c, uint16_t code, const char *reason)
{
    (void)reason;
    ((conn_t *)c)->closed = code;
}

static size_t t_backlog(void *c)
{
    (void)c;
    return 0;
}

static void t_want_drain(void *c)
{
    (void)c;
}

static const chat_transport_t fake = {t_send, t_close, t_send, t_backlog, t_want_drain};

/* How many frames of type c got (JSON), or, for a text-mode connection, how many lines
 * start with type. */
static int count(const conn_t *c, const char *type)
{
    int n = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_t *j = json_loads(c->frame[i], 0, NULL);
        const char *t = json_string_value(json_object_get(j, "type"));
        n += j ? t && strcmp(t, type) == 0 : strncmp(c->frame[i], type, strlen(type)) == 0;
        json_decref(j);
    }
    return n;
}

/* The last error c got, as JSON (a new reference), or NULL. */
static json_t *last_error(const conn_t *c)
{
    for (size_t i = c->n; i-- > 0;) {
        json_t *j = json_loads(c->frame[i], 0, NULL);
        const char *t = json_string_value(json_object_get(j, "type"));
        if (t && strcmp(t, "error") == 0)
            return j;
        json_decref(j);
    }
    return NULL;
}

static int errors(const conn_t *c, const char *code)
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

/* ---- the world ---- */

typedef struct {
    store_t *store;
    auth_t *auth;
    chat_hub_t *hub;
    conn_t conns[CONNS];
    char root[AUTH_SESSION_HEX + 1]; /* the owner's token */
} world_t;

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

/* Registers name and returns its session token (the first account is the owner). */
static void account(world_t *w, const char *name, char token[AUTH_SESSION_HEX + 1])
{
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
    CHECK_EQ_INT(g.status, AUTH_OK);
    memcpy(token, g.token, sizeof(g.token));
}

static void world_init_cap(world_t *w, double rate, double burst, size_t max_channels)
{
    memset(w, 0, sizeof(*w));
    w->store = store_mem_open(NULL, STORE_MEM_MANUAL);
    auth_config_t ac = {.guests = true,
                        .session_idle_ms = 3600000,
                        .session_max_ms = 3600000,
                        .registration = AUTH_REG_OPEN,
                        .hash_max = 2,
                        .pw_ops = crypto_pwhash_OPSLIMIT_MIN,
                        .pw_mem = crypto_pwhash_MEMLIMIT_MIN,
                        .max_name = 32};
    w->auth = auth_new(uv_default_loop(), w->store, &ac);
    CHECK(w->auth != NULL);
    CHECK(auth_load(w->auth) == 0);
    account(w, "root", w->root);
    chat_config_t cfg = {.history = 50,
                         .max_name = 32,
                         .max_text = 4000,
                         .rate = rate,
                         .burst = burst,
                         .resume_max = 10000,
                         .presence_limit = 1000,
                         .outbound_budget = 1 << 20,
                         .max_channels = max_channels};
    w->hub = chat_new(w->store, w->auth, &cfg, &fake);
    CHECK(chat_load(w->hub) == 0);
    store_mem_run(w->store);
}

static void world_init(world_t *w, double rate, double burst)
{
    world_init_cap(w, rate, burst, 0);
}

static void world_deinit(world_t *w)
{
    for (size_t i = 0; i < CONNS; i++) {
        conn_t *c = &w->conns[i];
        if (c->s)
            chat_close(c->s);
        for (size_t k = 0; k < c->n; k++)
            free(c->frame[k]);
    }
    store_mem_run(w->store);
    store_close(w->store);
    chat_free(w->hub);
    auth_free(w->auth);
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}

static void say(conn_t *c, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    chat_text(c->s, text, strlen(text));
}

static conn_t *open_conn(world_t *w, int i, chat_mode_t mode, const char *client_id,
                         const char *addr)
{
    conn_t *c = &w->conns[i];
    chat_creds_t cr = {0};
    snprintf(cr.addr, sizeof(cr.addr), "%s", addr);
    c->s = chat_open(w->hub, c, mode, client_id, &cr);
    return c;
}

/* conns[i] joined as the account user (token) from addr. */
static conn_t *join(world_t *w, int i, const char *token, const char *addr)
{
    conn_t *c = open_conn(w, i, CHAT_MODE_JSON, NULL, addr);
    say(c, "{\"type\":\"join\",\"payload\":{\"token\":\"%s\"}}", token);
    store_mem_run(w->store);
    CHECK_EQ_INT(count(c, "welcome"), 1);
    return c;
}

static conn_t *join_guest(world_t *w, int i, const char *user, const char *addr)
{
    conn_t *c = open_conn(w, i, CHAT_MODE_JSON, NULL, addr);
    say(c, "{\"type\":\"join\",\"payload\":{\"user\":\"%s\"}}", user);
    store_mem_run(w->store);
    CHECK_EQ_INT(count(c, "welcome"), 1);
    return c;
}

/* ---- tests ---- */

/* At 1 a second in bursts of 10: two channels (5 each) pass, the third is answered
 * rate_limited with its id and a retry_after_ms, and creates nothing; refused state changes
 * cost the toll only; messages are 1 each; reads cost what they cost. */
TEST(costs_and_rate_limited_answers)
{
    world_t w;
    world_init(&w, 1, 10);
    char tok[AUTH_SESSION_HEX + 1];
    account(&w, "alice", tok);
    conn_t *a = join(&w, 0, tok, "10.1.0.1");
    say(a, "{\"type\":\"channel_create\",\"id\":\"c1\",\"payload\":{\"name\":\"one\"}}");
    say(a, "{\"type\":\"channel_create\",\"id\":\"c2\",\"payload\":{\"name\":\"two\"}}");
    say(a, "{\"type\":\"channel_create\",\"id\":\"c3\",\"payload\":{\"name\":\"three\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(count(a, "channel"), 2);
    json_t *e = last_error(a);
    CHECK_EQ_STR(json_string_value(json_object_get(e, "code")), "rate_limited");
    CHECK_EQ_STR(json_string_value(json_object_get(e, "id")), "c3");
    json_int_t wait = json_integer_value(json_object_get(e, "retry_after_ms"));
    CHECK(wait > 0 && wait <= 1000); /* the toll: one token at 1 a second */
    json_decref(e);
    CHECK(chat_hub_channel(w.hub, "three") == NULL);
    world_deinit(&w);

    /* a fresh bucket of 10: ten refused creations cost one each, the eleventh is held */
    world_init(&w, 1, 10);
    account(&w, "alice", tok);
    a = join(&w, 0, tok, "10.1.0.1");
    for (int i = 0; i < 10; i++)
        say(a, "{\"type\":\"channel_create\",\"id\":%d,\"payload\":{\"name\":\"Bad\"}}", i);
    CHECK_EQ_INT(errors(a, "bad_channel"), 10);
    say(a, "{\"type\":\"channel_create\",\"id\":10,\"payload\":{\"name\":\"Bad\"}}");
    CHECK_EQ_INT(errors(a, "rate_limited"), 1);
    /* pings and unknown types stay free */
    say(a, "{\"type\":\"ping\",\"id\":\"p\"}");
    say(a, "{\"type\":\"nonsense\",\"id\":\"n\"}");
    CHECK_EQ_INT(count(a, "pong"), 1);
    CHECK_EQ_INT(errors(a, "bad_type"), 1);
    world_deinit(&w);
}

/* Every tab of a user pays into the user's one bucket. */
TEST(tabs_share_the_users_bucket)
{
    world_t w;
    world_init(&w, 1, 12);
    char tok[AUTH_SESSION_HEX + 1];
    account(&w, "alice", tok);
    for (int i = 0; i < 6; i++) {
        conn_t *c = join(&w, i, tok, "10.2.0.1");
        for (int k = 0; k < 4; k++)
            say(c, "{\"type\":\"msg\",\"id\":%d,\"payload\":{\"text\":\"hi\"}}", k);
    }
    store_mem_run(w.store);
    int acks = 0, limited = 0;
    for (int i = 0; i < 6; i++) {
        acks += count(&w.conns[i], "ack");
        limited += errors(&w.conns[i], "rate_limited");
    }
    CHECK_EQ_INT(acks, 12);
    CHECK_EQ_INT(limited, 12);
    world_deinit(&w);
}

/* Guests from one address share its bucket (4 times the burst): five guests with 4 tokens
 * each get 16 messages through from 10.3.0.1 between them; a guest elsewhere and an account
 * on the same address are not held by it. Client-id guests pay into it too. */
TEST(guests_from_one_address_share_its_bucket)
{
    world_t w;
    world_init(&w, 1, 4);
    char name[16];
    int acks = 0;
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "guest%d", i);
        conn_t *g = join_guest(&w, i, name, "10.3.0.1");
        for (int k = 0; k < 4; k++)
            say(g, "{\"type\":\"msg\",\"id\":%d,\"payload\":{\"text\":\"hi\"}}", k);
    }
    store_mem_run(w.store);
    for (int i = 0; i < 5; i++)
        acks += count(&w.conns[i], "ack");
    CHECK_EQ_INT(acks, 16);
    conn_t *far = join_guest(&w, 5, "faraway", "10.3.0.2");
    char tok[AUTH_SESSION_HEX + 1];
    account(&w, "alice", tok);
    conn_t *a = join(&w, 6, tok, "10.3.0.1");
    for (int k = 0; k < 4; k++) {
        say(far, "{\"type\":\"msg\",\"id\":%d,\"payload\":{\"text\":\"hi\"}}", k);
        say(a, "{\"type\":\"msg\",\"id\":%d,\"payload\":{\"text\":\"hi\"}}", k);
    }
    store_mem_run(w.store);
    CHECK_EQ_INT(count(far, "ack"), 4);
    CHECK_EQ_INT(count(a, "ack"), 4);
    /* client ids from the spent address: nothing more gets through; from another, 4 */
    conn_t *t1 = open_conn(&w, 7, CHAT_MODE_CLIENTID, "c1", "10.3.0.1");
    conn_t *t2 = open_conn(&w, 8, CHAT_MODE_CLIENTID, "c2", "10.3.0.3");
    for (int k = 0; k < 6; k++) {
        chat_text(t1->s, "line", 4);
        chat_text(t2->s, "line", 4);
    }
    store_mem_run(w.store);
    /* what faraway saw live since it joined: its own 4, alice's 4, c2's 4, none of c1's */
    CHECK_EQ_INT(count(far, "msg"), 12);
    world_deinit(&w);
}

/* The number of answers of type with an id whose text starts with prefix. */
static int answered(const conn_t *c, const char *type, const char *prefix)
{
    int n = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_t *j = json_loads(c->frame[i], 0, NULL);
        const char *t = json_string_value(json_object_get(j, "type"));
        const char *code = json_string_value(json_object_get(j, "code"));
        const char *id = json_string_value(json_object_get(j, "id"));
        bool is = t && (strcmp(t, type) == 0 || (code && strcmp(code, type) == 0));
        n += is && id && strncmp(id, prefix, strlen(prefix)) == 0;
        json_decref(j);
    }
    return n;
}

static void create(conn_t *c, const char *id, const char *name)
{
    say(c, "{\"type\":\"channel_create\",\"id\":\"%s\",\"payload\":{\"name\":\"%s\"}}", id, name);
}

/* A cap of 200: members may fill 90 with channels and 90 with direct messages, 9 each of
 * their own; the owner fills past the members' share up to the cap. */
TEST(channel_and_dm_quotas)
{
    world_t w;
    world_init_cap(&w, 1000, 1000, 200);
    char tok[5][AUTH_SESSION_HEX + 1];
    const char *names[5] = {"alice", "bob", "carol", "dave", "erin"};
    for (int i = 0; i < 5; i++)
        account(&w, names[i], tok[i]);
    conn_t *a = join(&w, 0, tok[0], "10.4.0.1");
    char id[16], name[32];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof(id), "a%d", i);
        snprintf(name, sizeof(name), "alice-%d", i);
        create(a, id, name);
        store_mem_run(w.store);
    }
    CHECK_EQ_INT(answered(a, "channel", "a"), 9);
    CHECK_EQ_INT(answered(a, "quota_exceeded", "a"), 1);
    json_t *e = last_error(a);
    CHECK(strstr(json_string_value(json_object_get(e, "message")), "9 channels") != NULL);
    json_decref(e);
    /* direct messages are counted apart: every group of the other four, up to 9 */
    int opened = 0, refused = 0;
    for (int set = 1; set < 16; set++) {
        char users[128] = "";
        for (int k = 0; k < 4; k++)
            if (set & (1 << k))
                snprintf(users + strlen(users), sizeof(users) - strlen(users), "%s\"%s\"",
                         users[0] ? "," : "", names[k + 1]);
        say(a, "{\"type\":\"dm_open\",\"id\":\"d%d\",\"payload\":{\"users\":[%s]}}", set, users);
        store_mem_run(w.store);
    }
    opened = answered(a, "channel", "d");
    refused = answered(a, "quota_exceeded", "d");
    CHECK_EQ_INT(opened, 9);
    CHECK_EQ_INT(refused, 6);
    /* an existing one opens still */
    say(a, "{\"type\":\"dm_open\",\"id\":\"again\",\"payload\":{\"users\":[\"bob\"]}}");
    CHECK_EQ_INT(answered(a, "channel", "again"), 1);
    /* the owner fills the members' share of channels (90: #general, alice's 9, 80 more) */
    conn_t *root = join(&w, 2, w.root, "10.4.0.1");
    conn_t *b = join(&w, 1, tok[1], "10.4.0.2");
    chat_census_t c;
    chat_hub_census(w.hub, false, 0, &c);
    CHECK_EQ_INT(c.all, 1 + 9 + 9);
    for (int i = 0; i < 80; i++) {
        snprintf(id, sizeof(id), "f%d", i);
        snprintf(name, sizeof(name), "filler-%d", i);
        create(root, id, name);
        store_mem_run(w.store);
    }
    CHECK_EQ_INT(answered(root, "channel", "f"), 80);
    create(b, "b1", "bobs");
    CHECK_EQ_INT(answered(b, "quota_exceeded", "b1"), 1);
    e = last_error(b);
    CHECK(strstr(json_string_value(json_object_get(e, "message")), "members may make") != NULL);
    json_decref(e);
    /* bob may still open a direct message: its share is apart; the owner may create on */
    say(b, "{\"type\":\"dm_open\",\"id\":\"b2\",\"payload\":{\"users\":[\"erin\"]}}");
    create(root, "g", "owners");
    store_mem_run(w.store);
    CHECK_EQ_INT(answered(b, "channel", "b2"), 1);
    CHECK_EQ_INT(answered(root, "channel", "g"), 1);
    world_deinit(&w);
}

/* At most CHAT_REACT_EMOJI_MAX distinct emoji on a message and CHAT_REACT_USER_MAX
 * reactions of one user on it: past them a new one is refused too_many; an emoji the
 * message has can still be added, and any taken off. */
TEST(reaction_quotas)
{
    world_t w;
    world_init(&w, 100000, 100000);
    char tok[3][AUTH_SESSION_HEX + 1];
    const char *names[3] = {"alice", "bob", "carol"};
    conn_t *c[3];
    for (int i = 0; i < 3; i++) {
        account(&w, names[i], tok[i]);
        c[i] = join(&w, i, tok[i], "10.5.0.1");
    }
    say(c[0], "{\"type\":\"msg\",\"id\":\"m\",\"payload\":{\"text\":\"react here\"}}");
    store_mem_run(w.store);
    /* 20 + 20 + 10 distinct emoji */
    for (int e = 0; e < CHAT_REACT_EMOJI_MAX; e++) {
        conn_t *who = c[e / CHAT_REACT_USER_MAX];
        say(who, "{\"type\":\"react\",\"id\":\"r%d\",\"payload\":{\"seq\":1,\"emoji\":\"e%d\"}}", e,
            e);
        store_mem_run(w.store);
    }
    CHECK_EQ_INT(count(c[0], "ack") + count(c[1], "ack") + count(c[2], "ack"),
                 1 + CHAT_REACT_EMOJI_MAX);
    /* alice's 21st: refused for her count; carol's new 51st: refused for the message's */
    say(c[0], "{\"type\":\"react\",\"id\":\"x1\",\"payload\":{\"seq\":1,\"emoji\":\"e20\"}}");
    say(c[2], "{\"type\":\"react\",\"id\":\"x2\",\"payload\":{\"seq\":1,\"emoji\":\"new\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(answered(c[0], "too_many", "x1"), 1);
    CHECK_EQ_INT(answered(c[2], "too_many", "x2"), 1);
    /* carol adds one the message has; alice takes one off, and may then add another */
    say(c[2], "{\"type\":\"react\",\"id\":\"y1\",\"payload\":{\"seq\":1,\"emoji\":\"e0\"}}");
    say(c[0], "{\"type\":\"react\",\"id\":\"y2\",\"payload\":{\"seq\":1,\"emoji\":\"e0\"}}");
    store_mem_run(w.store);
    say(c[0], "{\"type\":\"react\",\"id\":\"y3\",\"payload\":{\"seq\":1,\"emoji\":\"e45\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(answered(c[2], "ack", "y1"), 1);
    CHECK_EQ_INT(answered(c[0], "ack", "y2"), 1);
    CHECK_EQ_INT(answered(c[0], "ack", "y3"), 1);
    world_deinit(&w);
}

/* The code of the last error c got ("" for none). */
static const char *err_code(const conn_t *c)
{
    static char code[64];
    json_t *e = last_error(c);
    snprintf(code, sizeof(code), "%s", e ? json_string_value(json_object_get(e, "code")) : "");
    json_decref(e);
    return code;
}

/* Whether c's last channels answer lists name. */
static bool listed(conn_t *c, const char *archived, const char *name)
{
    say(c, "{\"type\":\"channel_list\",\"id\":\"l\",\"payload\":{%s}}", archived);
    for (size_t i = c->n; i-- > 0;) {
        if (!strstr(c->frame[i], "\"channels\""))
            continue;
        char want[64];
        snprintf(want, sizeof(want), "\"name\":\"%s\"", name);
        return strstr(c->frame[i], want) != NULL;
    }
    return false;
}

/* Owners and admins archive (a private channel's creator too) and delete channels: an
 * archived one is read-only and leaves channel_list's default; a deleted one is gone for
 * its members (channel_left), from the store, and its name is free. */
TEST(archive_and_delete)
{
    world_t w;
    world_init(&w, 100000, 100000);
    char ta[AUTH_SESSION_HEX + 1], tb[AUTH_SESSION_HEX + 1];
    account(&w, "alice", ta);
    account(&w, "bob", tb);
    conn_t *root = join(&w, 0, w.root, "10.7.0.1");
    conn_t *a = join(&w, 1, ta, "10.7.0.2");
    conn_t *b = join(&w, 2, tb, "10.7.0.3");
    create(a, "c1", "pub");
    say(a, "{\"type\":\"channel_create\",\"id\":\"c2\",\"payload\":{\"name\":\"priv\","
           "\"private\":true}}");
    store_mem_run(w.store);
    say(b, "{\"type\":\"channel_join\",\"id\":\"j\",\"payload\":{\"channel\":\"pub\"}}");
    say(b, "{\"type\":\"msg\",\"id\":\"m\",\"payload\":{\"channel\":\"pub\",\"text\":\"x\"}}");
    store_mem_run(w.store);
    /* who may archive: not a member, not the creator of a public channel; an owner may */
    say(b, "{\"type\":\"channel_archive\",\"id\":\"x\",\"payload\":{\"channel\":\"pub\"}}");
    CHECK_EQ_STR(err_code(b), "forbidden");
    say(a, "{\"type\":\"channel_archive\",\"id\":\"x\",\"payload\":{\"channel\":\"pub\"}}");
    CHECK_EQ_STR(err_code(a), "forbidden");
    say(root, "{\"type\":\"channel_archive\",\"id\":\"ar\",\"payload\":{\"channel\":"
              "\"pub\"}}");
    store_mem_run(w.store);
    CHECK(strstr(root->frame[root->n - 1], "\"archived\":true") != NULL);
    CHECK(strstr(b->frame[b->n - 1], "\"archived\":true") != NULL); /* a member hears */
    /* read-only: posting, reacting, topics and joins refused, saying why; reads work */
    say(b, "{\"type\":\"msg\",\"id\":\"m2\",\"payload\":{\"channel\":\"pub\",\"text\":\"y\"}}");
    json_t *e = last_error(b);
    CHECK_EQ_STR(json_string_value(json_object_get(e, "code")), "forbidden");
    CHECK(strstr(json_string_value(json_object_get(e, "message")), "archived") != NULL);
    json_decref(e);
    say(b, "{\"type\":\"react\",\"id\":\"r\",\"payload\":{\"channel\":\"pub\",\"seq\":1,"
           "\"emoji\":\"ok\"}}");
    store_mem_run(w.store);
    CHECK_EQ_STR(err_code(b), "forbidden");
    say(root, "{\"type\":\"channel_join\",\"id\":\"j2\",\"payload\":{\"channel\":\"pub\"}}");
    CHECK_EQ_STR(err_code(root), "forbidden");
    size_t before = b->n;
    say(b, "{\"type\":\"history\",\"id\":\"h\",\"payload\":{\"channel\":\"pub\"}}");
    store_mem_run(w.store);
    CHECK(b->n == before + 1 && strstr(b->frame[before], "\"history\"") != NULL);
    CHECK(!listed(b, "", "pub"));
    CHECK(listed(b, "\"archived\":true", "pub"));
    /* a private channel's creator archives and unarchives it */
    say(a, "{\"type\":\"channel_archive\",\"id\":\"pa\",\"payload\":{\"channel\":\"priv\"}}");
    store_mem_run(w.store);
    say(a, "{\"type\":\"channel_unarchive\",\"id\":\"pu\",\"payload\":{\"channel\":"
           "\"priv\"}}");
    store_mem_run(w.store);
    CHECK(strstr(a->frame[a->n - 1], "\"pu\"") != NULL);
    CHECK(strstr(a->frame[a->n - 1], "archived") == NULL);
    /* deleting: not a member's right, hidden for those outside a private channel */
    say(a, "{\"type\":\"channel_delete\",\"id\":\"d\",\"payload\":{\"channel\":\"priv\"}}");
    CHECK_EQ_STR(err_code(a), "forbidden");
    say(root, "{\"type\":\"channel_delete\",\"id\":\"d\",\"payload\":{\"channel\":\"priv\"}}");
    CHECK_EQ_STR(err_code(root), "no_such_channel");
    say(root, "{\"type\":\"channel_delete\",\"id\":\"d\",\"payload\":{\"channel\":\"pub\"}}");
    store_mem_run(w.store);
    CHECK(strstr(root->frame[root->n - 1], "channel_deleted") != NULL);
    CHECK(strstr(a->frame[a->n - 1], "channel_left") != NULL);
    CHECK(strstr(b->frame[b->n - 1], "channel_left") != NULL);
    CHECK(!listed(b, "\"archived\":true", "pub"));
    say(b, "{\"type\":\"history\",\"id\":\"h2\",\"payload\":{\"channel\":\"pub\"}}");
    CHECK_EQ_STR(err_code(b), "no_such_channel");
    /* the name is free: a new channel, nothing of the old one in it */
    create(a, "c3", "pub");
    store_mem_run(w.store);
    CHECK_EQ_INT(answered(a, "channel", "c3"), 1);
    CHECK(strstr(a->frame[a->n - 1], "\"last_seq\":0") != NULL);
    chat_census_t c;
    chat_hub_census(w.hub, false, 0, &c);
    CHECK_EQ_INT(c.all, 3); /* general, priv, the new pub */
    world_deinit(&w);
}

int main(void)
{
    if (auth_init() != 0)
        return 1;
    RUN(costs_and_rate_limited_answers);
    RUN(tabs_share_the_users_bucket);
    RUN(guests_from_one_address_share_its_bucket);
    RUN(channel_and_dm_quotas);
    RUN(reaction_quotas);
    RUN(archive_and_delete);
    return TEST_MAIN_END();
}
