/* test_chat - the chat layer through its door (chat.h), with a fake transport that records
 * every frame and an in-memory store whose completions the test releases one by one, so
 * each ordering a real store could produce is played on purpose: join and leave, publish
 * order, the history/resume splice with a message arriving at every step, presence,
 * reaction toggles, client-key retries, a failed store and its recovery, and the inbound
 * door for events committed elsewhere. */
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
#include "bus/bus_mem.h"
#include "chat/chat_relay.h"
#include "chat/chat_remote.h"
#include "store_mem.h"
#include "test.h"

/* ---- a fake connection: every frame it was sent, as JSON or text ---- */

#define FRAMES_MAX 4096

typedef struct {
    char *frame[FRAMES_MAX];
    size_t n;
    uint16_t closed; /* the close code, 0 while open */
    bool want_drain;
    chat_session_t *s;
} conn_t;

static char *payload_of(const blob_t *b)
{
    const uint8_t *p = (const uint8_t *)b->data;
    size_t l7 = p[1] & 0x7f, hl = l7 == 127 ? 10 : l7 == 126 ? 4 : 2;
    char *s = malloc(b->len - hl + 1);
    memcpy(s, p + hl, b->len - hl);
    s[b->len - hl] = '\0';
    return s;
}

static void t_send(void *c, blob_t *frame)
{
    conn_t *conn = c;
    if (conn->n < FRAMES_MAX)
        conn->frame[conn->n++] = payload_of(frame);
}

static void t_close(void *c, uint16_t code, const char *reason)
{
    (void)reason;
    ((conn_t *)c)->closed = code;
}

static size_t t_backlog(void *c)
{
    (void)c;
    return 0; /* every frame is written at once */
}

static void t_want_drain(void *c)
{
    ((conn_t *)c)->want_drain = true;
}

static const chat_transport_t fake = {t_send, t_close, t_send, t_backlog, t_want_drain};

static void conn_reset(conn_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->frame[i]);
    c->n = 0;
}

/* The i-th frame as JSON (a new reference), NULL when it is not JSON. */
static json_t *frame_json(const conn_t *c, size_t i)
{
    return json_loads(c->frame[i], 0, NULL);
}

/* How many frames of type (JSON) c got. */
static int count(const conn_t *c, const char *type)
{
    int n = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_t *j = frame_json(c, i);
        const char *t = json_string_value(json_object_get(j, "type"));
        n += t && strcmp(t, type) == 0;
        json_decref(j);
    }
    return n;
}

/* The last frame of type, as JSON (a new reference), or NULL. */
static json_t *last(const conn_t *c, const char *type)
{
    for (size_t i = c->n; i-- > 0;) {
        json_t *j = frame_json(c, i);
        const char *t = json_string_value(json_object_get(j, "type"));
        if (t && strcmp(t, type) == 0)
            return j;
        json_decref(j);
    }
    return NULL;
}

static long long pint(json_t *j, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(j, "payload"), key));
}

/* The seqs of every msg-like event of channel c got, live, in history, or in a resume, in
 * the order they arrived, into out; returns how many. */
static size_t seqs(const conn_t *c, uint64_t out[], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_t *j = frame_json(c, i);
        const char *t = json_string_value(json_object_get(j, "type"));
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

/* ---- the world: a hub on a manual store, with accounts ---- */

#define ACCOUNTS_MAX 8

typedef struct {
    store_t *store;
    auth_t *auth;
    chat_hub_t *hub;
    chat_hub_t *hub2; /* shared: a second process's hub on the same store, or NULL */
    bool shared;
    conn_t conns[8];
    struct {
        char name[32];
        char token[AUTH_SESSION_HEX + 1];
    } acct[ACCOUNTS_MAX];
    size_t nacct;
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

/* Registers name (a member: the world's first account, the owner, is "root") and returns
 * its session token; the password is hashed on the loop's pool, the rows stored here. */
static const char *account(world_t *w, const char *name)
{
    for (size_t i = 0; i < w->nacct; i++)
        if (strcmp(w->acct[i].name, name) == 0)
            return w->acct[i].token;
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
    snprintf(w->acct[w->nacct].name, sizeof(w->acct[0].name), "%s", name);
    memcpy(w->acct[w->nacct].token, g.token, sizeof(g.token));
    return w->acct[w->nacct++].token;
}

static void on_appended(void *ctx, int status, uint64_t seq, bool duplicate);

/* The world's store and accounts, before its hub. */
static void world_auth(world_t *w)
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
    CHECK(w->auth != NULL);
    CHECK(auth_load(w->auth) == 0);
    account(w, "root");
}

/* The hub over the world's store, loaded (its start-up reads left pending). */
static void world_hub(world_t *w)
{
    chat_config_t cfg = {.history = 50,
                         .max_name = 32,
                         .max_text = 4000,
                         .rate = 1000,
                         .burst = 1000,
                         .resume_max = 10000,
                         .presence_limit = 1000,
                         .outbound_budget = 1 << 20,
                         .shared = w->shared};
    w->hub = chat_new(w->store, w->auth, &cfg, &fake);
    CHECK(chat_load(w->hub) == 0);
    if (w->shared) {
        w->hub2 = chat_new(w->store, w->auth, &cfg, &fake);
        CHECK(chat_load(w->hub2) == 0);
    }
}

static void world_init(world_t *w)
{
    world_auth(w);
    world_hub(w);
    store_mem_run(w->store);
}

static void world_deinit(world_t *w)
{
    for (size_t i = 0; i < 8; i++) {
        if (w->conns[i].s)
            chat_close(w->conns[i].s);
        conn_reset(&w->conns[i]);
    }
    store_mem_run(w->store);
    store_close(w->store);
    chat_free(w->hub);
    if (w->hub2)
        chat_free(w->hub2);
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

/* Opens conns[i] as a JSON session and joins it as the account user, signed in with its
 * token (the welcome and history done). */
static conn_t *join_on(world_t *w, chat_hub_t *hub, int i, const char *user)
{
    const char *token = account(w, user);
    conn_t *c = &w->conns[i];
    c->s = chat_open(hub, c, CHAT_MODE_JSON, NULL, NULL);
    say(c, "{\"type\":\"join\",\"payload\":{\"token\":\"%s\"}}", token);
    store_mem_run(w->store);
    CHECK_EQ_INT(count(c, "welcome"), 1);
    return c;
}

static conn_t *join(world_t *w, int i, const char *user)
{
    return join_on(w, w->hub, i, user);
}

/* Opens conns[i] as a JSON session and joins it as the guest user. */
static conn_t *join_guest(world_t *w, int i, const char *user)
{
    conn_t *c = &w->conns[i];
    c->s = chat_open(w->hub, c, CHAT_MODE_JSON, NULL, NULL);
    say(c, "{\"type\":\"join\",\"payload\":{\"user\":\"%s\"}}", user);
    store_mem_run(w->store);
    CHECK_EQ_INT(count(c, "welcome"), 1);
    return c;
}

static void leave(conn_t *c)
{
    chat_close(c->s);
    c->s = NULL;
}

static void post(conn_t *c, const char *text, const char *id)
{
    say(c, "{\"type\":\"msg\",\"id\":\"%s\",\"payload\":{\"text\":\"%s\"}}", id, text);
}

/* ---- tests ---- */

/* Reads and writes are not ordered (store.h): the history that follows a join, read from
 * the store (the ring is not primed yet, as after a restart), may land after messages
 * committed while it read, and not hold them. The joiner still gets every seq once, in
 * order: the answer, what the ring adds to it, then live. */
TEST(join_history_splices_with_writes_committed_during_the_read)
{
    world_t w;
    world_auth(&w);
    const char *ta = account(&w, "alice");
    const char *tb = account(&w, "bob");
    for (uint64_t seq = 1; seq <= 300; seq++) {
        store_msg_t m = {.channel = "general", .seq = seq, .user = "eve", .text = "old", .ts = 1};
        store_append(w.store, &m, on_appended, NULL);
    }
    store_mem_run(w.store);
    world_hub(&w); /* the ring's priming read stays pending */
    store_mem_snapshot_reads(w.store, true);
    conn_t *a = &w.conns[0], *b = &w.conns[1];
    a->s = chat_open(w.hub, a, CHAT_MODE_JSON, NULL, NULL);
    say(a, "{\"type\":\"join\",\"payload\":{\"token\":\"%s\"}}", ta);
    b->s = chat_open(w.hub, b, CHAT_MODE_JSON, NULL, NULL);
    say(b, "{\"type\":\"join\",\"payload\":{\"token\":\"%s\"}}", tb);
    CHECK_EQ_INT(count(a, "welcome"), 1);
    CHECK_EQ_INT(count(a, "history"), 0); /* asked of the store: alice's link is held */
    post(b, "new one", "n1");
    post(b, "new two", "n2");
    CHECK(store_mem_step_write(w.store)); /* both commit before the history read lands */
    CHECK(store_mem_step_write(w.store));
    CHECK_EQ_INT(count(a, "msg"), 0);
    store_mem_run(w.store);
    CHECK_EQ_INT(count(a, "history"), 1);
    post(b, "new three", "n3");
    store_mem_run(w.store);
    uint64_t got[64];
    size_t n = seqs(a, got, 64);
    CHECK_EQ_INT(n, 53); /* 251..300 from the store, 301 and 302 from the ring, 303 live */
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += got[i] != 251 + i;
    CHECK_EQ_INT(bad, 0);
    world_deinit(&w);
}

/* The welcome's mention counts come from a store read that may miss what was committed
 * while it ran: then they are read again, so a mention that lands meanwhile is counted. */
TEST(join_mention_counts_see_mentions_committed_during_the_read)
{
    world_t w;
    world_init(&w);
    const char *ta = account(&w, "alice");
    conn_t *b = join(&w, 1, "bob");
    post(b, "@alice hello", "m1");
    store_mem_run(w.store);
    store_mem_snapshot_reads(w.store, true);
    conn_t *a = &w.conns[0];
    a->s = chat_open(w.hub, a, CHAT_MODE_JSON, NULL, NULL);
    say(a, "{\"type\":\"join\",\"payload\":{\"token\":\"%s\"}}", ta);
    CHECK_EQ_INT(count(a, "welcome"), 0); /* waiting for the counts */
    post(b, "@alice again", "m2");
    CHECK(store_mem_step_write(w.store));
    store_mem_run(w.store);
    json_t *wel = last(a, "welcome");
    json_t *general =
        json_array_get(json_object_get(json_object_get(wel, "payload"), "channels"), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(general, "mentions")), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(general, "last_seq")), 2);
    json_decref(wel);
    world_deinit(&w);
}

TEST(join_welcome_and_presence)
{
    world_t w;
    world_init(&w);
    conn_t *a = join(&w, 0, "alice");
    CHECK_EQ_INT(count(a, "history"), 1);
    CHECK_EQ_INT(count(a, "join"), 1); /* its own */
    conn_t *b = join(&w, 1, "bob");
    CHECK_EQ_INT(count(a, "join"), 2); /* bob's arrival */
    /* A second tab of alice (her account): nobody hears of it; a guest cannot take her name,
     * in any of its forms. */
    join(&w, 2, "alice");
    CHECK_EQ_INT(count(b, "join"), 1);
    conn_t *x = &w.conns[3];
    x->s = chat_open(w.hub, x, CHAT_MODE_JSON, NULL, NULL);
    say(x, "{\"type\":\"join\",\"id\":1,\"payload\":{\"user\":\"alice\"}}");
    json_t *err = last(x, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "name_taken");
    CHECK_EQ_INT(json_integer_value(json_object_get(err, "id")), 1);
    json_decref(err);
    say(x, "{\"type\":\"join\",\"id\":2,\"payload\":{\"user\":\"\xd0\xb0lice\"}}");
    err = last(x, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "name_taken");
    json_decref(err);
    chat_metrics_t m;
    chat_metrics(w.hub, &m);
    CHECK_EQ_INT(m.online, 2);
    /* alice's first tab goes: she is still online; her last goes: bob hears she left. */
    leave(&w.conns[0]);
    CHECK_EQ_INT(count(b, "leave"), 0);
    leave(&w.conns[2]);
    CHECK_EQ_INT(count(b, "leave"), 1);
    chat_metrics(w.hub, &m);
    CHECK_EQ_INT(m.online, 1);
    world_deinit(&w);
}

TEST(publish_acks_after_commit_in_order)
{
    world_t w;
    world_init(&w);
    conn_t *a = join(&w, 0, "alice");
    conn_t *b = join(&w, 1, "bob");
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof(id), "m%d", i);
        post(a, "hello", id);
    }
    CHECK_EQ_INT(count(a, "ack"), 0); /* nothing is acknowledged before it is stored */
    CHECK_EQ_INT(count(b, "msg"), 0);
    CHECK_EQ_INT(store_mem_pending(w.store), 5);
    store_mem_step(w.store);
    CHECK_EQ_INT(count(a, "ack"), 1);
    CHECK_EQ_INT(count(b, "msg"), 1);
    store_mem_run(w.store);
    uint64_t got[16];
    size_t n = seqs(b, got, 16);
    CHECK_EQ_INT(n, 5);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(got[i], i + 1);
    json_t *ack = last(a, "ack");
    CHECK_EQ_STR(json_string_value(json_object_get(ack, "id")), "m4");
    CHECK_EQ_INT(pint(ack, "seq"), 5);
    json_decref(ack);
    world_deinit(&w);
}

/* A resume from the start of a channel longer than the ring (so pages come from the store,
 * one after the other), with a message published before step `at` of the store (SIZE_MAX:
 * before the resume itself). Its commit lands before, between or after the pages, while
 * the link is held or not. Whatever the point, the resumer sees every seq exactly once, in
 * order. */
static void splice_at(size_t at)
{
    world_t w;
    world_init(&w);
    conn_t *a = join(&w, 0, "alice");
    for (int i = 0; i < 600; i++)
        post(a, "m", "x");
    store_mem_run(w.store);
    conn_t *b = join(&w, 1, "bob");
    conn_reset(b);
    if (at == SIZE_MAX)
        post(a, "early", "early");
    say(b, "{\"type\":\"resume\",\"id\":\"r\",\"payload\":{\"channels\":{\"general\":0}}}");
    for (size_t step = 0; store_mem_pending(w.store) || (at != SIZE_MAX && step <= at); step++) {
        if (step == at)
            post(a, "late", "late");
        if (store_mem_pending(w.store))
            store_mem_step(w.store);
    }
    uint64_t got[1024];
    size_t n = seqs(b, got, 1024);
    CHECK_EQ_INT(n, 601);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += got[i] != i + 1;
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(count(b, "resumed"), 1);
    world_deinit(&w);
}

TEST(resume_splice_at_every_point)
{
    splice_at(SIZE_MAX);
    for (size_t at = 0; at < 8; at++)
        splice_at(at);
}

TEST(reactions_toggle_and_keys_make_retries_exactly_once)
{
    world_t w;
    world_init(&w);
    conn_t *a = join(&w, 0, "alice");
    conn_t *b = join(&w, 1, "bob");
    post(a, "root", "r");
    store_mem_run(w.store);
    /* The same keyed write three times before it is stored: one store append. */
    for (int i = 0; i < 3; i++)
        say(b,
            "{\"type\":\"react\",\"id\":%d,\"payload\":{\"seq\":1,\"emoji\":\"x\",\"cid\":\"k1\"}}",
            i);
    CHECK_EQ_INT(store_mem_pending(w.store), 1);
    store_mem_run(w.store);
    CHECK_EQ_INT(count(b, "ack"), 3);
    json_t *ack = last(b, "ack");
    CHECK_EQ_INT(pint(ack, "seq"), 2);
    CHECK(json_is_true(json_object_get(json_object_get(ack, "payload"), "duplicate")));
    json_decref(ack);
    /* Once committed, a retry is answered at once, and does not toggle it off. */
    say(b, "{\"type\":\"react\",\"id\":9,\"payload\":{\"seq\":1,\"emoji\":\"x\",\"cid\":\"k1\"}}");
    CHECK_EQ_INT(store_mem_pending(w.store), 0);
    CHECK_EQ_INT(count(b, "ack"), 4);
    /* A new reaction toggles it off. */
    say(b, "{\"type\":\"react\",\"payload\":{\"seq\":1,\"emoji\":\"x\",\"cid\":\"k2\"}}");
    store_mem_run(w.store);
    json_t *ev = last(a, "react");
    CHECK(json_is_false(json_object_get(json_object_get(ev, "payload"), "on")));
    CHECK_EQ_INT(pint(ev, "seq"), 3);
    json_decref(ev);
    /* The same key is another user's own. */
    say(a, "{\"type\":\"msg\",\"payload\":{\"text\":\"t\",\"cid\":\"k1\"}}");
    CHECK_EQ_INT(store_mem_pending(w.store), 1);
    store_mem_run(w.store);
    world_deinit(&w);
}

TEST(a_failed_store_refuses_writes_and_recovers)
{
    world_t w;
    world_init(&w);
    conn_t *a = join(&w, 0, "alice");
    conn_t *b = join(&w, 1, "bob");
    post(a, "one", "1");
    store_mem_run(w.store);
    store_mem_fail_writes(w.store, true);
    post(a, "two", "2");
    post(a, "three", "3");
    store_mem_run(w.store);
    CHECK_EQ_INT(count(a, "ack"), 1);
    CHECK_EQ_INT(count(a, "error"), 2);
    json_t *err = last(a, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "unavailable");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "id")), "3");
    json_decref(err);
    CHECK_EQ_INT(count(b, "msg"), 1);
    chat_metrics_t m;
    chat_metrics(w.hub, &m);
    CHECK(!m.available);
    /* Refused at once while broken; the probe fails while the store does. */
    post(a, "four", "4");
    CHECK_EQ_INT(count(a, "error"), 3);
    CHECK_EQ_INT(store_mem_pending(w.store), 0);
    chat_tick(w.hub);
    store_mem_run(w.store);
    chat_metrics(w.hub, &m);
    CHECK(!m.available);
    /* The store works again: the next tick's probe says so, and seqs go on without a hole. */
    store_mem_fail_writes(w.store, false);
    chat_tick(w.hub);
    store_mem_run(w.store);
    chat_metrics(w.hub, &m);
    CHECK(m.available);
    post(a, "five", "5");
    store_mem_run(w.store);
    json_t *ack = last(a, "ack");
    CHECK_EQ_INT(pint(ack, "seq"), 2);
    json_decref(ack);
    uint64_t got[8];
    CHECK_EQ_INT(seqs(b, got, 8), 2);
    CHECK_EQ_INT(got[1], 2);
    world_deinit(&w);
}

/* What a failed write did in memory when it was accepted is undone: a retry finds things as
 * they were before it. */
TEST(failed_writes_leave_nothing_half_done)
{
    world_t w;
    world_init(&w);
    conn_t *a = join(&w, 0, "alice");
    conn_t *b = join(&w, 1, "bob");
    post(a, "root", "r");
    store_mem_run(w.store);
    store_mem_fail_writes(w.store, true);
    say(b, "{\"type\":\"react\",\"id\":\"x1\",\"payload\":{\"seq\":1,\"emoji\":\"y\"}}");
    say(b, "{\"type\":\"react\",\"id\":\"x2\",\"payload\":{\"seq\":1,\"emoji\":\"y\"}}");
    say(a, "{\"type\":\"delete\",\"id\":\"d\",\"payload\":{\"seq\":1}}");
    say(a, "{\"type\":\"channel_topic\",\"id\":\"t\",\"payload\":{\"channel\":\"general\","
           "\"topic\":\"new\"}}");
    say(a, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"design\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(count(b, "error"), 2);
    CHECK_EQ_INT(count(a, "error"), 3);
    store_mem_fail_writes(w.store, false);
    chat_tick(w.hub);
    store_mem_run(w.store);
    /* The reaction was never stored: reacting now turns it on. */
    say(b, "{\"type\":\"react\",\"payload\":{\"seq\":1,\"emoji\":\"y\"}}");
    store_mem_run(w.store);
    json_t *ev = last(a, "react");
    CHECK(json_is_true(json_object_get(json_object_get(ev, "payload"), "on")));
    json_decref(ev);
    /* The message was not deleted: it can be edited. */
    say(a, "{\"type\":\"edit\",\"id\":\"e\",\"payload\":{\"seq\":1,\"text\":\"root!\"}}");
    store_mem_run(w.store);
    json_t *ack = last(a, "ack");
    CHECK_EQ_STR(json_string_value(json_object_get(ack, "id")), "e");
    json_decref(ack);
    /* The topic is the old one, and the channel's name is free: creating it works. */
    say(a, "{\"type\":\"channel_list\",\"id\":\"l\"}");
    json_t *list = last(a, "channels");
    json_t *chans = json_object_get(json_object_get(list, "payload"), "channels");
    CHECK_EQ_INT(json_array_size(chans), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(chans, 0), "topic")), "");
    json_decref(list);
    say(a, "{\"type\":\"channel_create\",\"id\":\"c2\",\"payload\":{\"name\":\"design\"}}");
    store_mem_run(w.store);
    json_t *ch = last(a, "channel");
    CHECK_EQ_STR(json_string_value(json_object_get(ch, "id")), "c2");
    json_decref(ch);
    world_deinit(&w);
}

static void on_appended(void *ctx, int status, uint64_t seq, bool duplicate)
{
    (void)ctx;
    CHECK_EQ_INT(status, 0);
    CHECK(seq > 0 && !duplicate);
}

/* Delivers m from memory the caller frees at once, as a bus reader's would be. */
static void deliver_copy(chat_hub_t *h, const store_msg_t *m)
{
    store_msg_t c = *m;
    c.channel = strdup(m->channel);
    c.user = strdup(m->user);
    c.text = strdup(m->text);
    c.cid = m->cid ? strdup(m->cid) : NULL;
    chat_hub_deliver(h, &c);
    free((char *)c.channel);
    free((char *)c.user);
    free((char *)c.text);
    free((char *)c.cid);
}

TEST(the_inbound_door_orders_and_fills_gaps)
{
    world_t w;
    world_init(&w);
    conn_t *b = join(&w, 0, "bob");
    /* Five events another process committed, stored directly. */
    store_msg_t ev[5];
    for (int i = 0; i < 5; i++) {
        ev[i] = (store_msg_t){.channel = "general",
                              .seq = (uint64_t)i + 1,
                              .user = "eve",
                              .text = "far",
                              .ts = 1000 + i,
                              .cid = "far-key"};
        store_append(w.store, &ev[i], on_appended, NULL);
    }
    store_mem_run(w.store);
    /* Delivered out of order, with a duplicate and a hole (3 never comes by itself). */
    deliver_copy(w.hub, &ev[1]);
    deliver_copy(w.hub, &ev[0]);
    deliver_copy(w.hub, &ev[0]);
    deliver_copy(w.hub, &ev[4]);
    deliver_copy(w.hub, &ev[3]);
    store_mem_run(w.store); /* the fill of the hole */
    uint64_t got[8];
    size_t n = seqs(b, got, 8);
    CHECK_EQ_INT(n, 5);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(got[i], i + 1);
    world_deinit(&w);
}

/* ---- two processes on one store (chat_config_t.shared) ---- */

static const char *err_code(const conn_t *c);

/* What one hub's outbox published, for the test to carry to the other hub (or lose). */
#define WIRE_MAX 64
typedef struct {
    store_msg_t m[WIRE_MAX];
    size_t n;
    store_change_t c[WIRE_MAX];
    size_t nc;
} wire_t;

static void on_outbox_change(void *ctx, const store_change_t *c)
{
    wire_t *w = ctx;
    CHECK(w->nc < WIRE_MAX);
    store_change_t *d = &w->c[w->nc++];
    *d = *c;
    d->ch.name = strdup(c->ch.name);
    d->ch.kind = c->ch.kind ? strdup(c->ch.kind) : NULL;
    d->ch.topic = c->ch.topic ? strdup(c->ch.topic) : NULL;
    d->ch.created_by = c->ch.created_by ? strdup(c->ch.created_by) : NULL;
}

static void on_outbox(void *ctx, const store_msg_t *m)
{
    wire_t *w = ctx;
    CHECK(w->n < WIRE_MAX);
    store_msg_t *c = &w->m[w->n++];
    *c = *m;
    c->channel = strdup(m->channel);
    c->user = strdup(m->user);
    c->text = strdup(m->text);
    c->kind = m->kind ? strdup(m->kind) : NULL;
    c->cid = m->cid ? strdup(m->cid) : NULL;
    c->mentions = NULL;
    c->nmentions = 0;
}

/* Carries the wire to hub, except the event of seq `lose` (0: none), and empties it: the
 * changes first (a channel is made before its first message is committed). */
static void carry(wire_t *w, chat_hub_t *hub, uint64_t lose)
{
    for (size_t i = 0; i < w->nc; i++) {
        chat_remote_apply(hub, &w->c[i]);
        free((char *)w->c[i].ch.name);
        free((char *)w->c[i].ch.kind);
        free((char *)w->c[i].ch.topic);
        free((char *)w->c[i].ch.created_by);
    }
    w->nc = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (w->m[i].seq != lose)
            chat_hub_deliver(hub, &w->m[i]);
        free((char *)w->m[i].channel);
        free((char *)w->m[i].user);
        free((char *)w->m[i].text);
        free((char *)w->m[i].kind);
        free((char *)w->m[i].cid);
    }
    w->n = 0;
}

/* Two hubs (two processes) on one store, each one's outbox into a wire for the other. */
static void shared_world(world_t *w, wire_t *to2, wire_t *to1)
{
    static const chat_hub_outbox_t out = {on_outbox, on_outbox_change, NULL, NULL};
    memset(w, 0, sizeof(*w));
    world_auth(w);
    w->shared = true;
    world_hub(w);
    store_mem_run(w->store);
    chat_hub_set_outbox(w->hub, &out, to2);
    chat_hub_set_outbox(w->hub2, &out, to1);
}

/* Every member sees 1..n once, in order. */
static void check_seqs(const conn_t *c, size_t n)
{
    uint64_t got[64];
    size_t k = seqs(c, got, 64);
    CHECK_EQ_INT(k, n);
    for (size_t i = 0; i < k; i++)
        CHECK_EQ_INT(got[i], i + 1);
}

/* Two hubs write one channel through one store: the store gives the seqs, each hub commits
 * its own writes and the other's in seq order, a lost hint is filled from the store, and a
 * retry that reaches the other process is answered with the original. */
TEST(shared_hubs_take_their_order_from_the_store)
{
    world_t w;
    wire_t to2 = {0}, to1 = {0};
    shared_world(&w, &to2, &to1);
    conn_t *a = join_on(&w, w.hub, 0, "alice");
    conn_t *b = join_on(&w, w.hub2, 1, "bob");
    /* Interleaved before any commit: neither hub knows a seq yet. */
    post(a, "a1", "a1");
    post(b, "b1", "b1");
    post(a, "a2", "a2");
    post(b, "b2", "b2");
    CHECK_EQ_INT(count(a, "ack"), 0);
    store_mem_run(w.store);
    CHECK_EQ_INT(count(a, "ack"), 2);
    CHECK_EQ_INT(count(b, "ack"), 2);
    carry(&to2, w.hub2, 0);
    carry(&to1, w.hub, 0);
    store_mem_run(w.store);
    check_seqs(a, 4);
    check_seqs(b, 4);
    /* A hint lost on the way to hub 2: the next one shows the gap, the store fills it. */
    post(a, "a3", "a3");
    store_mem_run(w.store);
    post(a, "a4", "a4");
    store_mem_run(w.store);
    carry(&to2, w.hub2, 5);
    store_mem_run(w.store);
    check_seqs(b, 6);
    check_seqs(a, 6);
    /* Alice's retry reaches hub 2 before it heard of the original: the store finds it. */
    say(a, "{\"type\":\"msg\",\"id\":\"k\",\"payload\":{\"text\":\"once\",\"cid\":\"key-1\"}}");
    store_mem_run(w.store);
    conn_t *a2 = join_on(&w, w.hub2, 2, "alice");
    say(a2, "{\"type\":\"msg\",\"id\":\"k2\",\"payload\":{\"text\":\"once\",\"cid\":\"key-1\"}}");
    store_mem_run(w.store);
    json_t *ack = last(a2, "ack");
    CHECK_EQ_INT(pint(ack, "seq"), 7);
    CHECK(json_is_true(json_object_get(json_object_get(ack, "payload"), "duplicate")));
    json_decref(ack);
    carry(&to2, w.hub2, 0);
    carry(&to1, w.hub, 0);
    store_mem_run(w.store);
    check_seqs(a, 7);
    check_seqs(b, 7);
    world_deinit(&w);
}

/* A channel made on one process, a member invited there who is connected to the other,
 * a topic, a read marker, an archive and a delete: each reaches the other process's
 * sessions as if the request had been made there. */
TEST(shared_hubs_share_channels_and_members)
{
    world_t w;
    wire_t to2 = {0}, to1 = {0};
    shared_world(&w, &to2, &to1);
    account(&w, "root");
    conn_t *a = join_on(&w, w.hub, 0, "alice");
    conn_t *b = join_on(&w, w.hub2, 1, "bob");
    say(a, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"design\"}}");
    store_mem_run(w.store);
    say(a, "{\"type\":\"channel_invite\",\"id\":\"i\",\"payload\":{\"channel\":\"design\","
           "\"user\":\"bob\"}}");
    store_mem_run(w.store);
    carry(&to2, w.hub2, 0);
    json_t *ch = last(b, "channel");
    CHECK(ch != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(
                     json_object_get(json_object_get(ch, "payload"), "channel"), "name")),
                 "design");
    json_decref(ch);
    /* bob writes in it on his process; alice hears it on hers. */
    say(b, "{\"type\":\"msg\",\"id\":\"m\",\"payload\":{\"channel\":\"design\","
           "\"text\":\"hi\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(count(b, "ack"), 1);
    carry(&to1, w.hub, 0);
    store_mem_run(w.store);
    json_t *m = last(a, "msg");
    CHECK(m != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(m, "payload"), "channel")),
                 "design");
    json_decref(m);
    /* A topic and a read marker. */
    say(a, "{\"type\":\"channel_topic\",\"id\":\"t\",\"payload\":{\"channel\":\"design\","
           "\"topic\":\"v2\"}}");
    say(b, "{\"type\":\"read\",\"id\":\"r\",\"payload\":{\"channel\":\"design\",\"seq\":1}}");
    conn_t *b1 = join_on(&w, w.hub, 2, "bob"); /* bob's second tab, on alice's process */
    store_mem_run(w.store);
    carry(&to2, w.hub2, 0);
    carry(&to1, w.hub, 0);
    json_t *t = last(b, "topic");
    CHECK(t != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(t, "payload"), "topic")), "v2");
    json_decref(t);
    json_t *rd = last(b1, "read");
    CHECK(rd != NULL);
    CHECK_EQ_INT(pint(rd, "seq"), 1);
    json_decref(rd);
    /* root deletes it on process 1: bob's session on process 2 leaves it. */
    conn_t *r = join_on(&w, w.hub, 3, "root");
    say(r, "{\"type\":\"channel_delete\",\"id\":\"d\",\"payload\":{\"channel\":\"design\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(count(r, "channel_deleted"), 1);
    carry(&to2, w.hub2, 0);
    json_t *left = last(b, "channel_left");
    CHECK(left != NULL);
    json_decref(left);
    CHECK(chat_hub_channel(w.hub2, "design") == NULL);
    carry(&to1, w.hub, 0);
    world_deinit(&w);
}

/* The last frame of type c got, its payload's user ("" if none). */
static const char *last_user(const conn_t *c, const char *type)
{
    static char user[64];
    json_t *j = last(c, type);
    snprintf(user, sizeof(user), "%s",
             j ? json_string_value(json_object_get(json_object_get(j, "payload"), "user")) : "");
    json_decref(j);
    return user;
}

/* A process's key is set and the others' read again: its bus goes down and comes back. */
static void refresh(bus_mem_net_t *net, bus_t *b)
{
    bus_mem_set_up(b, false);
    bus_mem_run(net);
    bus_mem_set_up(b, true);
    bus_mem_run(net);
}

/* Two hubs with their relays on one in-memory bus: alice online on process 1 is in the
 * welcome of process 2 and announced there once, whichever process her tabs are on; her
 * typing reaches it; an event the bus lost is repaired by the next list; a process killed
 * (no word, its key left to expire) takes its users with it. */
TEST(shared_presence_and_typing)
{
    world_t w;
    memset(&w, 0, sizeof(w));
    world_auth(&w);
    w.shared = true;
    world_hub(&w);
    store_mem_run(w.store);
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    chat_relay_t *r1 = chat_relay_new(w.hub), *r2 = chat_relay_new(w.hub2);
    bus_t *b1, *b2;
    CHECK(bus_mem_open(net, NULL, &chat_relay_callbacks, r1, &b1) == 0);
    CHECK(bus_mem_open(net, NULL, &chat_relay_callbacks, r2, &b2) == 0);
    chat_relay_start(r1, b1);
    chat_relay_start(r2, b2);
    bus_mem_run(net);
    conn_t *b = join_on(&w, w.hub2, 1, "bob"); /* who gets a join of his own */
    conn_t *a = join_on(&w, w.hub, 0, "alice");
    bus_mem_run(net);
    CHECK_EQ_INT(count(b, "join"), 2);
    CHECK_EQ_STR(last_user(b, "join"), "alice");
    /* carol, on process 2, is told of both. */
    conn_t *c = join_on(&w, w.hub2, 2, "carol");
    json_t *wel = last(c, "welcome");
    CHECK_EQ_INT(pint(wel, "online_count"), 3);
    CHECK_EQ_INT(json_array_size(json_object_get(json_object_get(wel, "payload"), "online")), 3);
    json_decref(wel);
    /* alice's second tab on process 2 and its going: nobody hears of either. */
    int joins = count(b, "join");
    conn_t *a2 = join_on(&w, w.hub2, 3, "alice");
    bus_mem_run(net);
    CHECK_EQ_INT(count(b, "join"), joins);
    leave(a2);
    bus_mem_run(net);
    CHECK_EQ_INT(count(b, "leave"), 0);
    /* Typing crosses; the typist's own process does not echo it back. */
    say(a, "{\"type\":\"typing\",\"payload\":{\"channel\":\"general\"}}");
    bus_mem_run(net);
    CHECK_EQ_INT(count(b, "typing"), 1);
    CHECK_EQ_STR(last_user(b, "typing"), "alice");
    CHECK_EQ_INT(count(a, "typing"), 0);
    /* alice goes: bob hears it once. */
    leave(a);
    bus_mem_run(net);
    CHECK_EQ_INT(count(b, "leave"), 1);
    /* Her next arrival is lost on the bus: the next list brings it. */
    a = join_on(&w, w.hub, 4, "alice");
    CHECK(bus_mem_step(net)); /* the publish reaches the "server" */
    CHECK(bus_mem_lose(net));
    bus_mem_run(net);
    CHECK_EQ_INT(count(b, "join"), joins);
    refresh(net, b1);
    refresh(net, b2);
    CHECK_EQ_INT(count(b, "join"), joins + 1);
    /* Process 1 is killed: no word; its key expires; process 2's next scan drops alice. */
    bus_close(b1);
    chat_relay_free(r1);
    refresh(net, b2);
    CHECK_EQ_INT(count(b, "leave"), 1);
    bus_mem_advance(net, CHAT_RELAY_PRESENCE_TTL_MS + 1);
    refresh(net, b2);
    CHECK_EQ_INT(count(b, "leave"), 2);
    CHECK_EQ_STR(last_user(b, "leave"), "alice");
    bus_close(b2);
    chat_relay_free(r2);
    bus_mem_net_free(net);
    world_deinit(&w);
}

/* Two processes make a channel of one name at once: the store keeps the first, the second
 * creator hears channel_exists and is a member of nothing; the loser's process then knows
 * the winner's channel. */
TEST(shared_hubs_race_for_a_channel_name)
{
    world_t w;
    wire_t to2 = {0}, to1 = {0};
    shared_world(&w, &to2, &to1);
    conn_t *a = join_on(&w, w.hub, 0, "alice");
    conn_t *b = join_on(&w, w.hub2, 1, "bob");
    say(a, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"ops\","
           "\"private\":true}}");
    say(b, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"ops\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(count(a, "channel"), 1);
    CHECK_EQ_STR(err_code(b), "channel_exists");
    carry(&to2, w.hub2, 0);
    carry(&to1, w.hub, 0);
    chat_channel_t *ch = chat_hub_channel(w.hub2, "ops");
    CHECK(ch != NULL);
    CHECK_EQ_STR(chat_channel_kind_name(ch), "private");
    CHECK_EQ_INT(chat_channel_nusers(ch), 1);
    /* bob cannot write in alice's private channel on his own process either. */
    say(b, "{\"type\":\"msg\",\"id\":\"m\",\"payload\":{\"channel\":\"ops\",\"text\":\"x\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(count(b, "ack"), 0);
    world_deinit(&w);
}

TEST(requests_before_join_and_text_modes)
{
    world_t w;
    world_init(&w);
    conn_t *c = &w.conns[0];
    c->s = chat_open(w.hub, c, CHAT_MODE_JSON, NULL, NULL);
    say(c, "{\"type\":\"msg\",\"id\":\"early\",\"payload\":{\"text\":\"x\"}}");
    json_t *err = last(c, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "not_joined");
    json_decref(err);
    say(c, "{\"type\":\"nope\"}");
    err = last(c, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "bad_type");
    json_decref(err);
    /* A client-id session hears JSON users' messages as "user: text". */
    conn_t *t = &w.conns[1];
    t->s = chat_open(w.hub, t, CHAT_MODE_CLIENTID, "42", NULL);
    CHECK_EQ_STR(t->frame[0], "Client #42 has entered the chat");
    conn_t *a = join(&w, 2, "alice");
    post(a, "hi", "h");
    store_mem_run(w.store);
    CHECK_EQ_STR(t->frame[t->n - 1], "alice: hi");
    chat_text(t->s, "yo", 2);
    store_mem_run(w.store);
    json_t *m = last(a, "msg");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(m, "payload"), "user")),
                 "Client #42");
    json_decref(m);
    world_deinit(&w);
}

static const char *err_code(const conn_t *c)
{
    static char code[64];
    json_t *e = last(c, "error");
    snprintf(code, sizeof(code), "%s", e ? json_string_value(json_object_get(e, "code")) : "");
    json_decref(e);
    return code;
}

/* Guests read and post in public channels only; a private channel they are not in answers
 * as one that does not exist; guests' words carry their mark; a revoked session's sockets
 * close with the code of its revocation. */
TEST(guests_rights_and_revocation)
{
    world_t w;
    world_init(&w);
    conn_t *a = join(&w, 0, "alice");
    say(a, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"secret\","
           "\"private\":true}}");
    store_mem_run(w.store);
    conn_t *z = join_guest(&w, 1, "zed");
    json_t *wel = last(z, "welcome");
    CHECK(json_is_true(json_object_get(json_object_get(wel, "payload"), "guest")));
    json_decref(wel);
    say(z, "{\"type\":\"msg\",\"id\":1,\"payload\":{\"channel\":\"secret\",\"text\":\"x\"}}");
    CHECK_EQ_STR(err_code(z), "no_such_channel");
    say(z, "{\"type\":\"history\",\"id\":2,\"payload\":{\"channel\":\"secret\"}}");
    CHECK_EQ_STR(err_code(z), "no_such_channel");
    say(z, "{\"type\":\"channel_join\",\"id\":3,\"payload\":{\"channel\":\"secret\"}}");
    CHECK_EQ_STR(err_code(z), "no_such_channel");
    say(z, "{\"type\":\"channel_create\",\"id\":4,\"payload\":{\"name\":\"mine\"}}");
    CHECK_EQ_STR(err_code(z), "forbidden");
    say(z, "{\"type\":\"dm_open\",\"id\":5,\"payload\":{\"users\":[\"alice\"]}}");
    CHECK_EQ_STR(err_code(z), "forbidden");
    say(a, "{\"type\":\"channel_invite\",\"id\":6,\"payload\":{\"channel\":\"secret\","
           "\"user\":\"zed\"}}");
    CHECK_EQ_STR(err_code(a), "forbidden");
    post(z, "hello", "h");
    store_mem_run(w.store);
    json_t *m = last(a, "msg");
    CHECK(json_is_true(json_object_get(json_object_get(m, "payload"), "guest")));
    json_decref(m);
    /* Signing alice out everywhere closes her socket with 4001; zed stays. */
    const auth_user_t *alice = auth_user_named(w.auth, "alice", 5);
    auth_logout_all(w.auth, alice->id, NULL, NULL);
    store_mem_run(w.store);
    CHECK_EQ_INT(a->closed, AUTH_CLOSE_SIGNED_OUT);
    CHECK_EQ_INT(z->closed, 0);
    world_deinit(&w);
}

int main(void)
{
    RUN(join_welcome_and_presence);
    RUN(join_history_splices_with_writes_committed_during_the_read);
    RUN(join_mention_counts_see_mentions_committed_during_the_read);
    RUN(publish_acks_after_commit_in_order);
    RUN(resume_splice_at_every_point);
    RUN(reactions_toggle_and_keys_make_retries_exactly_once);
    RUN(a_failed_store_refuses_writes_and_recovers);
    RUN(failed_writes_leave_nothing_half_done);
    RUN(the_inbound_door_orders_and_fills_gaps);
    RUN(shared_hubs_take_their_order_from_the_store);
    RUN(shared_hubs_share_channels_and_members);
    RUN(shared_hubs_race_for_a_channel_name);
    RUN(shared_presence_and_typing);
    RUN(requests_before_join_and_text_modes);
    RUN(guests_rights_and_revocation);
    return TEST_MAIN_END();
}
