/* test_chat - the chat layer through its door (chat.h), in a chat_world: a fake transport
 * that records every frame and an in-memory store whose completions the test releases one
 * by one, so each ordering a real store could produce is played on purpose: join and leave,
 * publish order, the history/resume splice with a message arriving at every step, presence,
 * reaction toggles, client-key retries, a failed store and its recovery, and the inbound
 * door for events committed elsewhere. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "bus/bus_mem.h"
#include "chat/chat.h"
#include "chat/chat_channel.h"
#include "chat/chat_hub.h"
#include "chat/chat_presence.h"
#include "chat/chat_relay.h"
#include "chat/chat_remote.h"
#include "chat_world.h"
#include "store_mem.h"
#include "test.h"

/* ---- tests ---- */

static void on_appended(void *ctx, int status, uint64_t seq, bool duplicate);

/* Reads and writes are not ordered (store.h): the history that follows a join, read from
 * the store (the ring is not primed yet, as after a restart), may land after messages
 * committed while it read, and not hold them. The joiner still gets every seq once, in
 * order: the answer, what the ring adds to it, then live. */
TEST(join_history_splices_with_writes_committed_during_the_read)
{
    cw_world_t w;
    cw_world_auth(&w);
    const char *ta = cw_account(&w, "alice");
    const char *tb = cw_account(&w, "bob");
    for (uint64_t seq = 1; seq <= 300; seq++) {
        store_msg_t m = {.channel = "general", .seq = seq, .user = "eve", .text = "old", .ts = 1};
        store_append(w.store, &m, on_appended, NULL);
    }
    store_mem_run(w.store);
    cw_world_hub(&w); /* the ring's priming read stays pending */
    store_mem_snapshot_reads(w.store, true);
    cw_conn_t *a = &w.conns[0], *b = &w.conns[1];
    a->s = chat_open(w.hub, a, CHAT_MODE_JSON, NULL, NULL);
    cw_say(a, "{\"type\":\"join\",\"payload\":{\"token\":\"%s\"}}", ta);
    b->s = chat_open(w.hub, b, CHAT_MODE_JSON, NULL, NULL);
    cw_say(b, "{\"type\":\"join\",\"payload\":{\"token\":\"%s\"}}", tb);
    CHECK_EQ_INT(cw_count(a, "welcome"), 1);
    CHECK_EQ_INT(cw_count(a, "history"), 0); /* asked of the store: alice's link is held */
    cw_post(b, "new one", "n1");
    cw_post(b, "new two", "n2");
    CHECK(store_mem_step_write(w.store)); /* both commit before the history read lands */
    CHECK(store_mem_step_write(w.store));
    CHECK_EQ_INT(cw_count(a, "msg"), 0);
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(a, "history"), 1);
    cw_post(b, "new three", "n3");
    store_mem_run(w.store);
    uint64_t got[64];
    size_t n = cw_seqs(a, got, 64);
    CHECK_EQ_INT(n, 53); /* 251..300 from the store, 301 and 302 from the ring, 303 live */
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += got[i] != 251 + i;
    CHECK_EQ_INT(bad, 0);
    cw_world_deinit(&w);
}

/* The welcome's mention counts come from a store read that may miss what was committed
 * while it ran: then they are read again, so a mention that lands meanwhile is counted. */
TEST(join_mention_counts_see_mentions_committed_during_the_read)
{
    cw_world_t w;
    cw_world_init(&w);
    const char *ta = cw_account(&w, "alice");
    cw_conn_t *b = cw_join(&w, 1, "bob");
    cw_post(b, "@alice hello", "m1");
    store_mem_run(w.store);
    store_mem_snapshot_reads(w.store, true);
    cw_conn_t *a = &w.conns[0];
    a->s = chat_open(w.hub, a, CHAT_MODE_JSON, NULL, NULL);
    cw_say(a, "{\"type\":\"join\",\"payload\":{\"token\":\"%s\"}}", ta);
    CHECK_EQ_INT(cw_count(a, "welcome"), 0); /* waiting for the counts */
    cw_post(b, "@alice again", "m2");
    CHECK(store_mem_step_write(w.store));
    store_mem_run(w.store);
    json_t *wel = cw_last(a, "welcome");
    json_t *general =
        json_array_get(json_object_get(json_object_get(wel, "payload"), "channels"), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(general, "mentions")), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(general, "last_seq")), 2);
    json_decref(wel);
    cw_world_deinit(&w);
}

TEST(join_welcome_and_presence)
{
    cw_world_t w;
    cw_world_init(&w);
    cw_conn_t *a = cw_join(&w, 0, "alice");
    CHECK_EQ_INT(cw_count(a, "history"), 1);
    CHECK_EQ_INT(cw_count(a, "join"), 1); /* its own */
    cw_conn_t *b = cw_join(&w, 1, "bob");
    CHECK_EQ_INT(cw_count(a, "join"), 2); /* bob's arrival */
    /* A second tab of alice (her account): nobody hears of it; a guest cannot take her name,
     * in any of its forms. */
    cw_join(&w, 2, "alice");
    CHECK_EQ_INT(cw_count(b, "join"), 1);
    cw_conn_t *x = &w.conns[3];
    x->s = chat_open(w.hub, x, CHAT_MODE_JSON, NULL, NULL);
    cw_say(x, "{\"type\":\"join\",\"id\":1,\"payload\":{\"user\":\"alice\"}}");
    json_t *err = cw_last(x, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "name_taken");
    CHECK_EQ_INT(json_integer_value(json_object_get(err, "id")), 1);
    json_decref(err);
    cw_say(x, "{\"type\":\"join\",\"id\":2,\"payload\":{\"user\":\"\xd0\xb0lice\"}}");
    err = cw_last(x, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "name_taken");
    json_decref(err);
    chat_metrics_t m;
    chat_metrics(w.hub, &m);
    CHECK_EQ_INT(m.online, 2);
    /* alice's first tab goes: she is still online; her last goes: bob hears she left. */
    cw_leave(&w.conns[0]);
    CHECK_EQ_INT(cw_count(b, "leave"), 0);
    cw_leave(&w.conns[2]);
    CHECK_EQ_INT(cw_count(b, "leave"), 1);
    chat_metrics(w.hub, &m);
    CHECK_EQ_INT(m.online, 1);
    cw_world_deinit(&w);
}

TEST(publish_acks_after_commit_in_order)
{
    cw_world_t w;
    cw_world_init(&w);
    cw_conn_t *a = cw_join(&w, 0, "alice");
    cw_conn_t *b = cw_join(&w, 1, "bob");
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof(id), "m%d", i);
        cw_post(a, "hello", id);
    }
    CHECK_EQ_INT(cw_count(a, "ack"), 0); /* nothing is acknowledged before it is stored */
    CHECK_EQ_INT(cw_count(b, "msg"), 0);
    CHECK_EQ_INT(store_mem_pending(w.store), 5);
    store_mem_step(w.store);
    CHECK_EQ_INT(cw_count(a, "ack"), 1);
    CHECK_EQ_INT(cw_count(b, "msg"), 1);
    store_mem_run(w.store);
    uint64_t got[16];
    size_t n = cw_seqs(b, got, 16);
    CHECK_EQ_INT(n, 5);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(got[i], i + 1);
    json_t *ack = cw_last(a, "ack");
    CHECK_EQ_STR(json_string_value(json_object_get(ack, "id")), "m4");
    CHECK_EQ_INT(cw_pint(ack, "seq"), 5);
    json_decref(ack);
    cw_world_deinit(&w);
}

/* A resume from the start of a channel longer than the ring (so pages come from the store,
 * one after the other), with a message published before step `at` of the store (SIZE_MAX:
 * before the resume itself). Its commit lands before, between or after the pages, while
 * the link is held or not. Whatever the point, the resumer sees every seq exactly once, in
 * order. */
static void splice_at(size_t at)
{
    cw_world_t w;
    cw_world_init(&w);
    cw_conn_t *a = cw_join(&w, 0, "alice");
    for (int i = 0; i < 600; i++)
        cw_post(a, "m", "x");
    store_mem_run(w.store);
    cw_conn_t *b = cw_join(&w, 1, "bob");
    cw_conn_reset(b);
    if (at == SIZE_MAX)
        cw_post(a, "early", "early");
    cw_say(b, "{\"type\":\"resume\",\"id\":\"r\",\"payload\":{\"channels\":{\"general\":0}}}");
    for (size_t step = 0; store_mem_pending(w.store) || (at != SIZE_MAX && step <= at); step++) {
        if (step == at)
            cw_post(a, "late", "late");
        if (store_mem_pending(w.store))
            store_mem_step(w.store);
    }
    uint64_t got[1024];
    size_t n = cw_seqs(b, got, 1024);
    CHECK_EQ_INT(n, 601);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += got[i] != i + 1;
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(cw_count(b, "resumed"), 1);
    cw_world_deinit(&w);
}

TEST(resume_splice_at_every_point)
{
    splice_at(SIZE_MAX);
    for (size_t at = 0; at < 8; at++)
        splice_at(at);
}

TEST(reactions_toggle_and_keys_make_retries_exactly_once)
{
    cw_world_t w;
    cw_world_init(&w);
    cw_conn_t *a = cw_join(&w, 0, "alice");
    cw_conn_t *b = cw_join(&w, 1, "bob");
    cw_post(a, "root", "r");
    store_mem_run(w.store);
    /* The same keyed write three times before it is stored: one store append. */
    for (int i = 0; i < 3; i++)
        cw_say(
            b,
            "{\"type\":\"react\",\"id\":%d,\"payload\":{\"seq\":1,\"emoji\":\"x\",\"cid\":\"k1\"}}",
            i);
    CHECK_EQ_INT(store_mem_pending(w.store), 1);
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(b, "ack"), 3);
    json_t *ack = cw_last(b, "ack");
    CHECK_EQ_INT(cw_pint(ack, "seq"), 2);
    CHECK(json_is_true(json_object_get(json_object_get(ack, "payload"), "duplicate")));
    json_decref(ack);
    /* Once committed, a retry is answered at once, and does not toggle it off. */
    cw_say(b,
           "{\"type\":\"react\",\"id\":9,\"payload\":{\"seq\":1,\"emoji\":\"x\",\"cid\":\"k1\"}}");
    CHECK_EQ_INT(store_mem_pending(w.store), 0);
    CHECK_EQ_INT(cw_count(b, "ack"), 4);
    /* A new reaction toggles it off. */
    cw_say(b, "{\"type\":\"react\",\"payload\":{\"seq\":1,\"emoji\":\"x\",\"cid\":\"k2\"}}");
    store_mem_run(w.store);
    json_t *ev = cw_last(a, "react");
    CHECK(json_is_false(json_object_get(json_object_get(ev, "payload"), "on")));
    CHECK_EQ_INT(cw_pint(ev, "seq"), 3);
    json_decref(ev);
    /* The same key is another user's own. */
    cw_say(a, "{\"type\":\"msg\",\"payload\":{\"text\":\"t\",\"cid\":\"k1\"}}");
    CHECK_EQ_INT(store_mem_pending(w.store), 1);
    store_mem_run(w.store);
    cw_world_deinit(&w);
}

TEST(a_failed_store_refuses_writes_and_recovers)
{
    cw_world_t w;
    cw_world_init(&w);
    cw_conn_t *a = cw_join(&w, 0, "alice");
    cw_conn_t *b = cw_join(&w, 1, "bob");
    cw_post(a, "one", "1");
    store_mem_run(w.store);
    store_mem_fail_writes(w.store, true);
    cw_post(a, "two", "2");
    cw_post(a, "three", "3");
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(a, "ack"), 1);
    CHECK_EQ_INT(cw_count(a, "error"), 2);
    json_t *err = cw_last(a, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "unavailable");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "id")), "3");
    json_decref(err);
    CHECK_EQ_INT(cw_count(b, "msg"), 1);
    chat_metrics_t m;
    chat_metrics(w.hub, &m);
    CHECK(!m.available);
    /* Refused at once while broken; the probe fails while the store does. */
    cw_post(a, "four", "4");
    CHECK_EQ_INT(cw_count(a, "error"), 3);
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
    cw_post(a, "five", "5");
    store_mem_run(w.store);
    json_t *ack = cw_last(a, "ack");
    CHECK_EQ_INT(cw_pint(ack, "seq"), 2);
    json_decref(ack);
    uint64_t got[8];
    CHECK_EQ_INT(cw_seqs(b, got, 8), 2);
    CHECK_EQ_INT(got[1], 2);
    cw_world_deinit(&w);
}

/* What a failed write did in memory when it was accepted is undone: a retry finds things as
 * they were before it. */
TEST(failed_writes_leave_nothing_half_done)
{
    cw_world_t w;
    cw_world_init(&w);
    cw_conn_t *a = cw_join(&w, 0, "alice");
    cw_conn_t *b = cw_join(&w, 1, "bob");
    cw_post(a, "root", "r");
    store_mem_run(w.store);
    store_mem_fail_writes(w.store, true);
    cw_say(b, "{\"type\":\"react\",\"id\":\"x1\",\"payload\":{\"seq\":1,\"emoji\":\"y\"}}");
    cw_say(b, "{\"type\":\"react\",\"id\":\"x2\",\"payload\":{\"seq\":1,\"emoji\":\"y\"}}");
    cw_say(a, "{\"type\":\"delete\",\"id\":\"d\",\"payload\":{\"seq\":1}}");
    cw_say(a, "{\"type\":\"channel_topic\",\"id\":\"t\",\"payload\":{\"channel\":\"general\","
              "\"topic\":\"new\"}}");
    cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"design\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(b, "error"), 2);
    CHECK_EQ_INT(cw_count(a, "error"), 3);
    store_mem_fail_writes(w.store, false);
    chat_tick(w.hub);
    store_mem_run(w.store);
    /* The reaction was never stored: reacting now turns it on. */
    cw_say(b, "{\"type\":\"react\",\"payload\":{\"seq\":1,\"emoji\":\"y\"}}");
    store_mem_run(w.store);
    json_t *ev = cw_last(a, "react");
    CHECK(json_is_true(json_object_get(json_object_get(ev, "payload"), "on")));
    json_decref(ev);
    /* The message was not deleted: it can be edited. */
    cw_say(a, "{\"type\":\"edit\",\"id\":\"e\",\"payload\":{\"seq\":1,\"text\":\"root!\"}}");
    store_mem_run(w.store);
    json_t *ack = cw_last(a, "ack");
    CHECK_EQ_STR(json_string_value(json_object_get(ack, "id")), "e");
    json_decref(ack);
    /* The topic is the old one, and the channel's name is free: creating it works. */
    cw_say(a, "{\"type\":\"channel_list\",\"id\":\"l\"}");
    json_t *list = cw_last(a, "channels");
    json_t *chans = json_object_get(json_object_get(list, "payload"), "channels");
    CHECK_EQ_INT(json_array_size(chans), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(chans, 0), "topic")), "");
    json_decref(list);
    cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c2\",\"payload\":{\"name\":\"design\"}}");
    store_mem_run(w.store);
    json_t *ch = cw_last(a, "channel");
    CHECK_EQ_STR(json_string_value(json_object_get(ch, "id")), "c2");
    json_decref(ch);
    /* A topic change and its channel line fail together: the line's seq is free again. */
    store_mem_fail_writes(w.store, true);
    cw_say(a, "{\"type\":\"channel_topic\",\"id\":\"t2\",\"payload\":{\"channel\":\"design\","
              "\"topic\":\"x\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(a, "error"), 4);
    store_mem_fail_writes(w.store, false);
    chat_tick(w.hub);
    store_mem_run(w.store);
    cw_say(a, "{\"type\":\"channel_topic\",\"id\":\"t3\",\"payload\":{\"channel\":\"design\","
              "\"topic\":\"y\"}}");
    store_mem_run(w.store);
    cw_say(a, "{\"type\":\"msg\",\"id\":\"m\",\"payload\":{\"channel\":\"design\","
              "\"text\":\"hi\"}}");
    store_mem_run(w.store);
    ack = cw_last(a, "ack");
    CHECK_EQ_STR(json_string_value(json_object_get(ack, "id")), "m");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(ack, "payload"), "seq")), 2);
    json_decref(ack);
    cw_world_deinit(&w);
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
    cw_world_t w;
    cw_world_init(&w);
    cw_conn_t *b = cw_join(&w, 0, "bob");
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
    size_t n = cw_seqs(b, got, 8);
    CHECK_EQ_INT(n, 5);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(got[i], i + 1);
    cw_world_deinit(&w);
}

/* ---- two processes on one store (chat_config_t.shared) ---- */

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
static void shared_world(cw_world_t *w, wire_t *to2, wire_t *to1)
{
    static const chat_hub_outbox_t out = {on_outbox, on_outbox_change, NULL, NULL, NULL};
    cw_world_auth(w);
    w->cfg.shared = true;
    cw_world_hub(w);
    store_mem_run(w->store);
    chat_hub_set_outbox(w->hub, &out, to2);
    chat_hub_set_outbox(w->hub2, &out, to1);
}

/* Every member sees 1..n once, in order. */
static void check_seqs(const cw_conn_t *c, size_t n)
{
    uint64_t got[64];
    size_t k = cw_seqs(c, got, 64);
    CHECK_EQ_INT(k, n);
    for (size_t i = 0; i < k; i++)
        CHECK_EQ_INT(got[i], i + 1);
}

/* Two hubs write one channel through one store: the store gives the seqs, each hub commits
 * its own writes and the other's in seq order, a lost hint is filled from the store, and a
 * retry that reaches the other process is answered with the original. */
TEST(shared_hubs_take_their_order_from_the_store)
{
    cw_world_t w;
    wire_t to2 = {0}, to1 = {0};
    shared_world(&w, &to2, &to1);
    cw_conn_t *a = cw_join_on(&w, w.hub, 0, "alice", NULL);
    cw_conn_t *b = cw_join_on(&w, w.hub2, 1, "bob", NULL);
    /* Interleaved before any commit: neither hub knows a seq yet. */
    cw_post(a, "a1", "a1");
    cw_post(b, "b1", "b1");
    cw_post(a, "a2", "a2");
    cw_post(b, "b2", "b2");
    CHECK_EQ_INT(cw_count(a, "ack"), 0);
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(a, "ack"), 2);
    CHECK_EQ_INT(cw_count(b, "ack"), 2);
    carry(&to2, w.hub2, 0);
    carry(&to1, w.hub, 0);
    store_mem_run(w.store);
    check_seqs(a, 4);
    check_seqs(b, 4);
    /* A hint lost on the way to hub 2: the next one shows the gap, the store fills it. */
    cw_post(a, "a3", "a3");
    store_mem_run(w.store);
    cw_post(a, "a4", "a4");
    store_mem_run(w.store);
    carry(&to2, w.hub2, 5);
    store_mem_run(w.store);
    check_seqs(b, 6);
    check_seqs(a, 6);
    /* Alice's retry reaches hub 2 before it heard of the original: the store finds it. */
    cw_say(a, "{\"type\":\"msg\",\"id\":\"k\",\"payload\":{\"text\":\"once\",\"cid\":\"key-1\"}}");
    store_mem_run(w.store);
    cw_conn_t *a2 = cw_join_on(&w, w.hub2, 2, "alice", NULL);
    cw_say(a2,
           "{\"type\":\"msg\",\"id\":\"k2\",\"payload\":{\"text\":\"once\",\"cid\":\"key-1\"}}");
    store_mem_run(w.store);
    json_t *ack = cw_last(a2, "ack");
    CHECK_EQ_INT(cw_pint(ack, "seq"), 7);
    CHECK(json_is_true(json_object_get(json_object_get(ack, "payload"), "duplicate")));
    json_decref(ack);
    carry(&to2, w.hub2, 0);
    carry(&to1, w.hub, 0);
    store_mem_run(w.store);
    check_seqs(a, 7);
    check_seqs(b, 7);
    cw_world_deinit(&w);
}

/* A channel made on one process, a member invited there who is connected to the other,
 * a topic, a read marker, an archive and a delete: each reaches the other process's
 * sessions as if the request had been made there. */
TEST(shared_hubs_share_channels_and_members)
{
    cw_world_t w;
    wire_t to2 = {0}, to1 = {0};
    shared_world(&w, &to2, &to1);
    cw_account(&w, "root");
    cw_conn_t *a = cw_join_on(&w, w.hub, 0, "alice", NULL);
    cw_conn_t *b = cw_join_on(&w, w.hub2, 1, "bob", NULL);
    cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"design\"}}");
    store_mem_run(w.store);
    cw_say(a, "{\"type\":\"channel_invite\",\"id\":\"i\",\"payload\":{\"channel\":\"design\","
              "\"user\":\"bob\"}}");
    store_mem_run(w.store);
    carry(&to2, w.hub2, 0);
    json_t *ch = cw_last(b, "channel");
    CHECK(ch != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(
                     json_object_get(json_object_get(ch, "payload"), "channel"), "name")),
                 "design");
    json_decref(ch);
    /* bob writes in it on his process; alice hears it on hers. */
    cw_say(b, "{\"type\":\"msg\",\"id\":\"m\",\"payload\":{\"channel\":\"design\","
              "\"text\":\"hi\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(b, "ack"), 1);
    carry(&to1, w.hub, 0);
    store_mem_run(w.store);
    json_t *m = cw_last(a, "msg");
    CHECK(m != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(m, "payload"), "channel")),
                 "design");
    json_decref(m);
    /* A topic and a read marker. */
    cw_say(a, "{\"type\":\"channel_topic\",\"id\":\"t\",\"payload\":{\"channel\":\"design\","
              "\"topic\":\"v2\"}}");
    cw_say(b, "{\"type\":\"read\",\"id\":\"r\",\"payload\":{\"channel\":\"design\",\"seq\":1}}");
    cw_conn_t *b1 =
        cw_join_on(&w, w.hub, 2, "bob", NULL); /* bob's second tab, on alice's process */
    store_mem_run(w.store);
    carry(&to2, w.hub2, 0);
    carry(&to1, w.hub, 0);
    json_t *t = cw_last(b, "topic");
    CHECK(t != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(t, "payload"), "topic")), "v2");
    json_decref(t);
    json_t *rd = cw_last(b1, "read");
    CHECK(rd != NULL);
    CHECK_EQ_INT(cw_pint(rd, "seq"), 1);
    json_decref(rd);
    /* root deletes it on process 1: bob's session on process 2 leaves it. */
    cw_conn_t *r = cw_join_on(&w, w.hub, 3, "root", NULL);
    cw_say(r, "{\"type\":\"channel_delete\",\"id\":\"d\",\"payload\":{\"channel\":\"design\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(r, "channel_deleted"), 1);
    carry(&to2, w.hub2, 0);
    json_t *left = cw_last(b, "channel_left");
    CHECK(left != NULL);
    json_decref(left);
    CHECK(chat_hub_channel(w.hub2, "design") == NULL);
    carry(&to1, w.hub, 0);
    cw_world_deinit(&w);
}

/* The last frame of type c got, its payload's user ("" if none). */
static const char *last_user(const cw_conn_t *c, const char *type)
{
    static char user[64];
    json_t *j = cw_last(c, type);
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
    cw_world_t w;
    cw_world_auth(&w);
    w.cfg.shared = true;
    cw_world_hub(&w);
    store_mem_run(w.store);
    bus_mem_net_t *net = bus_mem_net_new(NULL);
    chat_relay_t *r1 = chat_relay_new(w.hub), *r2 = chat_relay_new(w.hub2);
    bus_t *b1, *b2;
    CHECK(bus_mem_open(net, NULL, &chat_relay_callbacks, r1, &b1) == 0);
    CHECK(bus_mem_open(net, NULL, &chat_relay_callbacks, r2, &b2) == 0);
    chat_relay_start(r1, b1);
    chat_relay_start(r2, b2);
    bus_mem_run(net);
    cw_conn_t *b = cw_join_on(&w, w.hub2, 1, "bob", NULL); /* who gets a join of his own */
    cw_conn_t *a = cw_join_on(&w, w.hub, 0, "alice", NULL);
    bus_mem_run(net);
    CHECK_EQ_INT(cw_count(b, "join"), 2);
    CHECK_EQ_STR(last_user(b, "join"), "alice");
    /* carol, on process 2, is told of both. */
    cw_conn_t *c = cw_join_on(&w, w.hub2, 2, "carol", NULL);
    json_t *wel = cw_last(c, "welcome");
    CHECK_EQ_INT(cw_pint(wel, "online_count"), 3);
    CHECK_EQ_INT(json_array_size(json_object_get(json_object_get(wel, "payload"), "online")), 3);
    json_decref(wel);
    /* alice's second tab on process 2 and its going: nobody hears of either. */
    int joins = cw_count(b, "join");
    cw_conn_t *a2 = cw_join_on(&w, w.hub2, 3, "alice", NULL);
    bus_mem_run(net);
    CHECK_EQ_INT(cw_count(b, "join"), joins);
    cw_leave(a2);
    bus_mem_run(net);
    CHECK_EQ_INT(cw_count(b, "leave"), 0);
    /* Typing crosses; the typist's own process does not echo it back. */
    cw_say(a, "{\"type\":\"typing\",\"payload\":{\"channel\":\"general\"}}");
    bus_mem_run(net);
    CHECK_EQ_INT(cw_count(b, "typing"), 1);
    CHECK_EQ_STR(last_user(b, "typing"), "alice");
    CHECK_EQ_INT(cw_count(a, "typing"), 0);
    /* alice goes: bob hears it once. */
    cw_leave(a);
    bus_mem_run(net);
    CHECK_EQ_INT(cw_count(b, "leave"), 1);
    /* Her next arrival is lost on the bus: the next list brings it. */
    a = cw_join_on(&w, w.hub, 4, "alice", NULL);
    CHECK(bus_mem_step(net)); /* the publish reaches the "server" */
    CHECK(bus_mem_lose(net));
    bus_mem_run(net);
    CHECK_EQ_INT(cw_count(b, "join"), joins);
    refresh(net, b1);
    refresh(net, b2);
    CHECK_EQ_INT(cw_count(b, "join"), joins + 1);
    /* Process 1 is killed: no word; its key expires; process 2's next scan drops alice. */
    bus_close(b1);
    chat_relay_free(r1);
    refresh(net, b2);
    CHECK_EQ_INT(cw_count(b, "leave"), 1);
    bus_mem_advance(net, CHAT_RELAY_PRESENCE_TTL_MS + 1);
    refresh(net, b2);
    CHECK_EQ_INT(cw_count(b, "leave"), 2);
    CHECK_EQ_STR(last_user(b, "leave"), "alice");
    bus_close(b2);
    chat_relay_free(r2);
    bus_mem_net_free(net);
    cw_world_deinit(&w);
}

/* The reads the store has waiting. */
static uint64_t reads_queued(store_t *s)
{
    store_stats_t st;
    store_stats(s, &st);
    return st.reads_queued;
}

/* Hints lost with nothing after them to show the gaps, in #general and in three channels:
 * process 2's position check finds every one with a single store read every
 * CHAT_POSITION_CHECK_TICKS (none while the last is out) and fills them; a hub freed with
 * its read out leaves the answer nothing to touch. */
TEST(shared_position_check_is_one_read)
{
    cw_world_t w;
    wire_t to2 = {0}, to1 = {0};
    shared_world(&w, &to2, &to1);
    cw_conn_t *a = cw_join_on(&w, w.hub, 0, "alice", NULL);
    cw_conn_t *b = cw_join_on(&w, w.hub2, 1, "bob", NULL);
    const char *names[] = {"c1", "c2", "c3"};
    for (int i = 0; i < 3; i++)
        cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"%s\"}}",
               names[i]);
    store_mem_run(w.store);
    carry(&to2, w.hub2, 0);
    cw_post(a, "lost", "m");
    for (int i = 0; i < 3; i++)
        for (int k = 0; k <= i; k++)
            cw_say(a, "{\"type\":\"msg\",\"payload\":{\"channel\":\"%s\",\"text\":\"x\"}}",
                   names[i]);
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(b, "msg"), 0);
    for (int t = 1; t < CHAT_POSITION_CHECK_TICKS; t++)
        chat_hub_tick(w.hub2);
    CHECK_EQ_INT(reads_queued(w.store), 0);
    chat_hub_tick(w.hub2);
    CHECK_EQ_INT(reads_queued(w.store), 1); /* one read for every channel */
    for (int t = 0; t < CHAT_POSITION_CHECK_TICKS; t++)
        chat_hub_tick(w.hub2);
    CHECK_EQ_INT(reads_queued(w.store), 1); /* not while it is out */
    store_mem_run(w.store);
    check_seqs(b, 1);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(chat_channel_committed(chat_hub_channel(w.hub2, names[i])), (uint64_t)i + 1);
    /* Nothing behind: the check reads, and nothing follows. */
    for (int t = 0; t < CHAT_POSITION_CHECK_TICKS; t++)
        chat_hub_tick(w.hub2);
    CHECK_EQ_INT(reads_queued(w.store), 1);
    store_mem_run(w.store);
    CHECK_EQ_INT(reads_queued(w.store), 0);
    /* Freed with its read out. */
    cw_leave(b);
    carry(&to2, w.hub2, 0);
    carry(&to1, w.hub, 0);
    store_mem_run(w.store);
    for (int t = 0; t < CHAT_POSITION_CHECK_TICKS; t++)
        chat_hub_tick(w.hub2);
    CHECK_EQ_INT(reads_queued(w.store), 1);
    chat_free(w.hub2);
    w.hub2 = NULL;
    cw_world_deinit(&w);
}

/* Two processes make a channel of one name at once: the store keeps the first, the second
 * creator hears channel_exists and is a member of nothing; the loser's process then knows
 * the winner's channel. */
TEST(shared_hubs_race_for_a_channel_name)
{
    cw_world_t w;
    wire_t to2 = {0}, to1 = {0};
    shared_world(&w, &to2, &to1);
    cw_conn_t *a = cw_join_on(&w, w.hub, 0, "alice", NULL);
    cw_conn_t *b = cw_join_on(&w, w.hub2, 1, "bob", NULL);
    cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"ops\","
              "\"private\":true}}");
    cw_say(b, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"ops\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(a, "channel"), 1);
    CHECK_EQ_STR(cw_err_code(b), "channel_exists");
    carry(&to2, w.hub2, 0);
    carry(&to1, w.hub, 0);
    chat_channel_t *ch = chat_hub_channel(w.hub2, "ops");
    CHECK(ch != NULL);
    CHECK_EQ_STR(chat_channel_kind_name(ch), "private");
    CHECK_EQ_INT(chat_channel_nusers(ch), 1);
    /* bob cannot write in alice's private channel on his own process either. */
    cw_say(b, "{\"type\":\"msg\",\"id\":\"m\",\"payload\":{\"channel\":\"ops\",\"text\":\"x\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(b, "ack"), 0);
    cw_world_deinit(&w);
}

TEST(requests_before_join_and_text_modes)
{
    cw_world_t w;
    cw_world_init(&w);
    cw_conn_t *c = &w.conns[0];
    c->s = chat_open(w.hub, c, CHAT_MODE_JSON, NULL, NULL);
    cw_say(c, "{\"type\":\"msg\",\"id\":\"early\",\"payload\":{\"text\":\"x\"}}");
    json_t *err = cw_last(c, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "not_joined");
    json_decref(err);
    cw_say(c, "{\"type\":\"nope\"}");
    err = cw_last(c, "error");
    CHECK_EQ_STR(json_string_value(json_object_get(err, "code")), "bad_type");
    json_decref(err);
    /* A client-id session hears JSON users' messages as "user: text". */
    cw_conn_t *t = &w.conns[1];
    t->s = chat_open(w.hub, t, CHAT_MODE_CLIENTID, "42", NULL);
    CHECK_EQ_STR(t->frame[0], "Client #42 has entered the chat");
    cw_conn_t *a = cw_join(&w, 2, "alice");
    cw_post(a, "hi", "h");
    store_mem_run(w.store);
    CHECK_EQ_STR(t->frame[t->n - 1], "alice: hi");
    chat_text(t->s, "yo", 2);
    store_mem_run(w.store);
    json_t *m = cw_last(a, "msg");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(m, "payload"), "user")),
                 "Client #42");
    json_decref(m);
    cw_world_deinit(&w);
}

/* Guests read and post in public channels only; a private channel they are not in answers
 * as one that does not exist; guests' words carry their mark; a revoked session's sockets
 * close with the code of its revocation. */
TEST(guests_rights_and_revocation)
{
    cw_world_t w;
    cw_world_init(&w);
    cw_conn_t *a = cw_join(&w, 0, "alice");
    cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c\",\"payload\":{\"name\":\"secret\","
              "\"private\":true}}");
    store_mem_run(w.store);
    cw_conn_t *z = cw_join_guest(&w, 1, "zed", NULL);
    json_t *wel = cw_last(z, "welcome");
    CHECK(json_is_true(json_object_get(json_object_get(wel, "payload"), "guest")));
    json_decref(wel);
    cw_say(z, "{\"type\":\"msg\",\"id\":1,\"payload\":{\"channel\":\"secret\",\"text\":\"x\"}}");
    CHECK_EQ_STR(cw_err_code(z), "no_such_channel");
    cw_say(z, "{\"type\":\"history\",\"id\":2,\"payload\":{\"channel\":\"secret\"}}");
    CHECK_EQ_STR(cw_err_code(z), "no_such_channel");
    cw_say(z, "{\"type\":\"channel_join\",\"id\":3,\"payload\":{\"channel\":\"secret\"}}");
    CHECK_EQ_STR(cw_err_code(z), "no_such_channel");
    cw_say(z, "{\"type\":\"channel_create\",\"id\":4,\"payload\":{\"name\":\"mine\"}}");
    CHECK_EQ_STR(cw_err_code(z), "forbidden");
    cw_say(z, "{\"type\":\"dm_open\",\"id\":5,\"payload\":{\"users\":[\"alice\"]}}");
    CHECK_EQ_STR(cw_err_code(z), "forbidden");
    cw_say(a, "{\"type\":\"channel_invite\",\"id\":6,\"payload\":{\"channel\":\"secret\","
              "\"user\":\"zed\"}}");
    CHECK_EQ_STR(cw_err_code(a), "forbidden");
    cw_post(z, "hello", "h");
    store_mem_run(w.store);
    json_t *m = cw_last(a, "msg");
    CHECK(json_is_true(json_object_get(json_object_get(m, "payload"), "guest")));
    json_decref(m);
    /* Signing alice out everywhere closes her socket with 4001; zed stays. */
    const auth_user_t *alice = auth_user_named(w.auth, "alice", 5);
    auth_logout_all(w.auth, alice->id, NULL, NULL);
    store_mem_run(w.store);
    CHECK_EQ_INT(a->closed, AUTH_CLOSE_SIGNED_OUT);
    CHECK_EQ_INT(z->closed, 0);
    cw_world_deinit(&w);
}

/* Channel lines (issue 14) are events with seqs, but unread counts the others only, noted
 * at commit and at load alike (once each, in any order). */
TEST(channel_lines_are_not_unread)
{
    chat_channel_t *ch = chat_channel_new("design", CHAT_KIND_PUBLIC, "", "alice", 1, 0, false);
    blob_t *f = chat_frame_text("x", 1);
    const char *kinds[] = {"msg", "joined", "msg", "topic", "left", "msg"};
    for (int i = 0; i < 6; i++) {
        store_msg_t m = {.channel = "design",
                         .seq = (uint64_t)i + 1,
                         .user = "bob",
                         .text = "x",
                         .kind = kinds[i]};
        chat_channel_commit(ch, &m, f);
    }
    CHECK_EQ_INT(chat_channel_unread(ch, 7), 3);
    chat_channel_note_line(ch, 2); /* a load that reports one again changes nothing */
    chat_channel_note_line(ch, 4);
    CHECK_EQ_INT(chat_channel_unread(ch, 7), 3);
    chat_channel_read_set(ch, 7, 2);
    CHECK_EQ_INT(chat_channel_unread(ch, 7), 2);
    chat_channel_read_set(ch, 7, 5);
    CHECK_EQ_INT(chat_channel_unread(ch, 7), 1);
    chat_channel_read_set(ch, 7, 6);
    CHECK_EQ_INT(chat_channel_unread(ch, 7), 0);
    /* lines noted out of order (a load) land in order */
    chat_channel_t *c2 = chat_channel_new("ops", CHAT_KIND_PUBLIC, "", "alice", 1, 0, false);
    chat_channel_note_line(c2, 9);
    chat_channel_note_line(c2, 3);
    chat_channel_set_committed(c2, 10);
    chat_channel_read_set(c2, 7, 3);
    CHECK_EQ_INT(chat_channel_unread(c2, 7), 6);
    chat_channel_free(c2);
    chat_channel_free(ch);
    blob_unref(f);
}

/* The users on the away list, counted. */
static size_t away_count(const chat_presence_table_t *t)
{
    size_t n = 0;
    for (const chat_presence_t *p = chat_presence_away_first(t); p; p = chat_presence_away_next(p))
        n++;
    return n;
}

/* Away: a user is away while every connection of theirs says so. */
TEST(away_when_every_connection_says_so)
{
    chat_presence_table_t *t = chat_presence_table_new();
    bool first;
    chat_presence_t *p = chat_presence_add(t, "alice", &first);
    CHECK(first && !chat_presence_away(p));
    chat_presence_add(t, "alice", &first);
    chat_presence_mark(t, p, true);
    CHECK(!chat_presence_away(p)); /* one of two */
    CHECK_EQ_INT(away_count(t), 0);
    chat_presence_mark(t, p, true);
    CHECK(chat_presence_away(p));
    CHECK_EQ_INT(away_count(t), 1);
    CHECK(strcmp(chat_presence_name(chat_presence_away_first(t)), "alice") == 0);
    chat_presence_add(t, "alice", &first); /* a new connection is active */
    CHECK(!first && !chat_presence_away(p));
    CHECK_EQ_INT(away_count(t), 0);
    CHECK(!chat_presence_remove(t, p)); /* it goes: away again */
    CHECK(chat_presence_away(p));
    CHECK_EQ_INT(away_count(t), 1);
    chat_presence_mark(t, p, false); /* an away one goes: its mark first */
    CHECK(!chat_presence_remove(t, p));
    CHECK(chat_presence_away(p));
    chat_presence_mark(t, p, false);
    CHECK(chat_presence_remove(t, p));
    CHECK_EQ_INT(away_count(t), 0);
    chat_presence_table_free(t);
}

/* A crowd: the table grows past its first buckets and still finds, lists and removes
 * everyone; the away list holds exactly those away, whatever the order they leave in. */
TEST(presence_of_a_crowd)
{
    chat_presence_table_t *t = chat_presence_table_new();
    enum { N = 5000 };
    chat_presence_t *ps[N];
    char name[32];
    for (int i = 0; i < N; i++) {
        bool first;
        snprintf(name, sizeof(name), "user%d", i);
        ps[i] = chat_presence_add(t, name, &first);
        CHECK(first);
        if (i % 7 == 0)
            chat_presence_mark(t, ps[i], true);
    }
    CHECK_EQ_INT(chat_presence_online(t), N);
    CHECK_EQ_INT(away_count(t), (N + 6) / 7);
    size_t listed = 0;
    chat_presence_names_t it = chat_presence_names(t);
    while (chat_presence_names_next(&it))
        listed++;
    CHECK_EQ_INT(listed, N);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        CHECK(chat_presence_find(t, name) == ps[i]);
    }
    CHECK(chat_presence_find(t, "user5000") == NULL);
    for (int i = N - 1; i >= 0; i -= 2) /* every other one leaves, away or not */
        CHECK(chat_presence_remove(t, ps[i]));
    size_t away = 0;
    for (int i = 0; i < N; i += 2)
        away += i % 7 == 0;
    CHECK_EQ_INT(away_count(t), away);
    CHECK_EQ_INT(chat_presence_online(t), N / 2);
    /* The listed users (a welcome's names): the most there may be, each online, none twice,
     * refilled after half of them went. */
    chat_presence_t *const *ls;
    size_t nl = chat_presence_listed(t, &ls);
    CHECK_EQ_INT(nl, CHAT_ONLINE_MAX);
    for (size_t i = 0; i < nl; i++) {
        CHECK(chat_presence_find(t, chat_presence_name(ls[i])) == ls[i]);
        for (size_t j = 0; j < i; j++)
            CHECK(ls[j] != ls[i]);
    }
    for (int i = 0; i < N; i += 2)
        if (i >= 20)
            CHECK(chat_presence_remove(t, ps[i]));
    nl = chat_presence_listed(t, &ls);
    CHECK_EQ_INT(nl, 10); /* fewer online than the most: every one */
    /* ... and as JSON: each listed name once, quoted, comma-separated; rebuilt when a listed
     * user goes. */
    size_t nj;
    const buf_t *js = chat_presence_listed_json(t, &nj);
    CHECK_EQ_INT(nj, 10);
    char want[64];
    snprintf(want, sizeof(want), "\"%s\"", chat_presence_name(ls[0]));
    CHECK(memmem(js->data, js->len, want, strlen(want)) != NULL);
    size_t commas = 0;
    for (size_t i = 0; i < js->len; i++)
        commas += js->data[i] == ',';
    CHECK_EQ_INT(commas, 9);
    chat_presence_t *gone = ls[0];
    char gone_name[32];
    snprintf(gone_name, sizeof(gone_name), "\"%s\"", chat_presence_name(gone));
    CHECK(chat_presence_remove(t, gone));
    js = chat_presence_listed_json(t, &nj);
    CHECK_EQ_INT(nj, 9);
    CHECK(memmem(js->data, js->len, gone_name, strlen(gone_name)) == NULL);
    chat_presence_table_free(t);
}

int main(void)
{
    RUN(join_welcome_and_presence);
    RUN(channel_lines_are_not_unread);
    RUN(away_when_every_connection_says_so);
    RUN(presence_of_a_crowd);
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
    RUN(shared_position_check_is_one_read);
    RUN(shared_presence_and_typing);
    RUN(requests_before_join_and_text_modes);
    RUN(guests_rights_and_revocation);
    return TEST_MAIN_END();
}
