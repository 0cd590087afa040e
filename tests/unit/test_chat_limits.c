/* test_chat_limits - the chat layer's limits through its door (chat.h), in a chat_world (a
 * fake transport and the in-memory store): every request pays its cost from one bucket per user
 * (a state change its toll on arrival and the rest when it acts), a request over the limit
 * is answered `rate_limited` with `retry_after_ms` and does nothing, and guests and text
 * modes from one address share that address's bucket; quotas on channels, direct messages
 * and reactions; archiving and deleting channels. test_chat has the rest of chat. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "chat/chat.h"
#include "chat/chat_hub.h"
#include "chat_world.h"
#include "store_mem.h"
#include "test.h"

/* A world whose hub takes rate tokens a second in bursts of burst, and holds at most
 * max_channels (0: the default). */
static void world_init_cap(cw_world_t *w, double rate, double burst, size_t max_channels)
{
    cw_world_auth(w);
    w->cfg.rate = rate;
    w->cfg.burst = burst;
    w->cfg.max_channels = max_channels;
    cw_world_hub(w);
    store_mem_run(w->store);
}

static void world_init(cw_world_t *w, double rate, double burst)
{
    world_init_cap(w, rate, burst, 0);
}

/* ---- tests ---- */

/* At 1 a second in bursts of 10: two channels (5 each) pass, the third is answered
 * rate_limited with its id and a retry_after_ms, and creates nothing; refused state changes
 * cost the toll only; messages are 1 each; reads cost what they cost. */
TEST(costs_and_rate_limited_answers)
{
    cw_world_t w;
    world_init(&w, 1, 10);
    cw_account(&w, "alice");
    cw_conn_t *a = cw_join_on(&w, w.hub, 0, "alice", "10.1.0.1");
    cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c1\",\"payload\":{\"name\":\"one\"}}");
    cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c2\",\"payload\":{\"name\":\"two\"}}");
    cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c3\",\"payload\":{\"name\":\"three\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(a, "channel"), 2);
    json_t *e = cw_last_error(a);
    CHECK_EQ_STR(json_string_value(json_object_get(e, "code")), "rate_limited");
    CHECK_EQ_STR(json_string_value(json_object_get(e, "id")), "c3");
    json_int_t wait = json_integer_value(json_object_get(e, "retry_after_ms"));
    CHECK(wait > 0 && wait <= 1000); /* the toll: one token at 1 a second */
    json_decref(e);
    CHECK(chat_hub_channel(w.hub, "three") == NULL);
    cw_world_deinit(&w);

    /* a fresh bucket of 10: ten refused creations cost one each, the eleventh is held */
    world_init(&w, 1, 10);
    cw_account(&w, "alice");
    a = cw_join_on(&w, w.hub, 0, "alice", "10.1.0.1");
    for (int i = 0; i < 10; i++)
        cw_say(a, "{\"type\":\"channel_create\",\"id\":%d,\"payload\":{\"name\":\"Bad\"}}", i);
    CHECK_EQ_INT(cw_errors(a, "bad_channel"), 10);
    cw_say(a, "{\"type\":\"channel_create\",\"id\":10,\"payload\":{\"name\":\"Bad\"}}");
    CHECK_EQ_INT(cw_errors(a, "rate_limited"), 1);
    /* pings and unknown types stay free */
    cw_say(a, "{\"type\":\"ping\",\"id\":\"p\"}");
    cw_say(a, "{\"type\":\"nonsense\",\"id\":\"n\"}");
    CHECK_EQ_INT(cw_count(a, "pong"), 1);
    CHECK_EQ_INT(cw_errors(a, "bad_type"), 1);
    cw_world_deinit(&w);
}

/* Every tab of a user pays into the user's one bucket. */
TEST(tabs_share_the_users_bucket)
{
    cw_world_t w;
    world_init(&w, 1, 12);
    cw_account(&w, "alice");
    for (int i = 0; i < 6; i++) {
        cw_conn_t *c = cw_join_on(&w, w.hub, i, "alice", "10.2.0.1");
        for (int k = 0; k < 4; k++)
            cw_say(c, "{\"type\":\"msg\",\"id\":%d,\"payload\":{\"text\":\"hi\"}}", k);
    }
    store_mem_run(w.store);
    int acks = 0, limited = 0;
    for (int i = 0; i < 6; i++) {
        acks += cw_count(&w.conns[i], "ack");
        limited += cw_errors(&w.conns[i], "rate_limited");
    }
    CHECK_EQ_INT(acks, 12);
    CHECK_EQ_INT(limited, 12);
    cw_world_deinit(&w);
}

/* Guests from one address share its bucket (4 times the burst): five guests with 4 tokens
 * each get 16 messages through from 10.3.0.1 between them; a guest elsewhere and an account
 * on the same address are not held by it. Client-id guests pay into it too. */
TEST(guests_from_one_address_share_its_bucket)
{
    cw_world_t w;
    world_init(&w, 1, 4);
    char name[16];
    int acks = 0;
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "guest%d", i);
        cw_conn_t *g = cw_join_guest(&w, i, name, "10.3.0.1");
        for (int k = 0; k < 4; k++)
            cw_say(g, "{\"type\":\"msg\",\"id\":%d,\"payload\":{\"text\":\"hi\"}}", k);
    }
    store_mem_run(w.store);
    for (int i = 0; i < 5; i++)
        acks += cw_count(&w.conns[i], "ack");
    CHECK_EQ_INT(acks, 16);
    cw_conn_t *far = cw_join_guest(&w, 5, "faraway", "10.3.0.2");
    cw_account(&w, "alice");
    cw_conn_t *a = cw_join_on(&w, w.hub, 6, "alice", "10.3.0.1");
    for (int k = 0; k < 4; k++) {
        cw_say(far, "{\"type\":\"msg\",\"id\":%d,\"payload\":{\"text\":\"hi\"}}", k);
        cw_say(a, "{\"type\":\"msg\",\"id\":%d,\"payload\":{\"text\":\"hi\"}}", k);
    }
    store_mem_run(w.store);
    CHECK_EQ_INT(cw_count(far, "ack"), 4);
    CHECK_EQ_INT(cw_count(a, "ack"), 4);
    /* client ids from the spent address: nothing more gets through; from another, 4 */
    cw_conn_t *t1 = cw_open(&w, w.hub, 7, CHAT_MODE_CLIENTID, "c1", "10.3.0.1");
    cw_conn_t *t2 = cw_open(&w, w.hub, 8, CHAT_MODE_CLIENTID, "c2", "10.3.0.3");
    for (int k = 0; k < 6; k++) {
        chat_text(t1->s, "line", 4);
        chat_text(t2->s, "line", 4);
    }
    store_mem_run(w.store);
    /* what faraway saw live since it joined: its own 4, alice's 4, c2's 4, none of c1's */
    CHECK_EQ_INT(cw_count(far, "msg"), 12);
    cw_world_deinit(&w);
}

/* The number of answers of type with an id whose text starts with prefix. */
static int answered(const cw_conn_t *c, const char *type, const char *prefix)
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

static void create(cw_conn_t *c, const char *id, const char *name)
{
    cw_say(c, "{\"type\":\"channel_create\",\"id\":\"%s\",\"payload\":{\"name\":\"%s\"}}", id,
           name);
}

/* A cap of 200: members may fill 90 with channels and 90 with direct messages, 9 each of
 * their own; the owner fills past the members' share up to the cap. */
TEST(channel_and_dm_quotas)
{
    cw_world_t w;
    world_init_cap(&w, 1000, 1000, 200);
    const char *names[5] = {"alice", "bob", "carol", "dave", "erin"};
    for (int i = 0; i < 5; i++)
        cw_account(&w, names[i]);
    cw_conn_t *a = cw_join_on(&w, w.hub, 0, "alice", "10.4.0.1");
    char id[16], name[32];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof(id), "a%d", i);
        snprintf(name, sizeof(name), "alice-%d", i);
        create(a, id, name);
        store_mem_run(w.store);
    }
    CHECK_EQ_INT(answered(a, "channel", "a"), 9);
    CHECK_EQ_INT(answered(a, "quota_exceeded", "a"), 1);
    json_t *e = cw_last_error(a);
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
        cw_say(a, "{\"type\":\"dm_open\",\"id\":\"d%d\",\"payload\":{\"users\":[%s]}}", set, users);
        store_mem_run(w.store);
    }
    opened = answered(a, "channel", "d");
    refused = answered(a, "quota_exceeded", "d");
    CHECK_EQ_INT(opened, 9);
    CHECK_EQ_INT(refused, 6);
    /* an existing one opens still */
    cw_say(a, "{\"type\":\"dm_open\",\"id\":\"again\",\"payload\":{\"users\":[\"bob\"]}}");
    CHECK_EQ_INT(answered(a, "channel", "again"), 1);
    /* the owner fills the members' share of channels (90: #general, alice's 9, 80 more) */
    cw_conn_t *root = cw_join_on(&w, w.hub, 2, "root", "10.4.0.1");
    cw_conn_t *b = cw_join_on(&w, w.hub, 1, "bob", "10.4.0.2");
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
    e = cw_last_error(b);
    CHECK(strstr(json_string_value(json_object_get(e, "message")), "members may make") != NULL);
    json_decref(e);
    /* bob may still open a direct message: its share is apart; the owner may create on */
    cw_say(b, "{\"type\":\"dm_open\",\"id\":\"b2\",\"payload\":{\"users\":[\"erin\"]}}");
    create(root, "g", "owners");
    store_mem_run(w.store);
    CHECK_EQ_INT(answered(b, "channel", "b2"), 1);
    CHECK_EQ_INT(answered(root, "channel", "g"), 1);
    cw_world_deinit(&w);
}

/* At most CHAT_REACT_EMOJI_MAX distinct emoji on a message and CHAT_REACT_USER_MAX
 * reactions of one user on it: past them a new one is refused too_many; an emoji the
 * message has can still be added, and any taken off. */
TEST(reaction_quotas)
{
    cw_world_t w;
    world_init(&w, 100000, 100000);
    const char *names[3] = {"alice", "bob", "carol"};
    cw_conn_t *c[3];
    for (int i = 0; i < 3; i++) {
        cw_account(&w, names[i]);
        c[i] = cw_join_on(&w, w.hub, i, names[i], "10.5.0.1");
    }
    cw_say(c[0], "{\"type\":\"msg\",\"id\":\"m\",\"payload\":{\"text\":\"react here\"}}");
    store_mem_run(w.store);
    /* 20 + 20 + 10 distinct emoji */
    for (int e = 0; e < CHAT_REACT_EMOJI_MAX; e++) {
        cw_conn_t *who = c[e / CHAT_REACT_USER_MAX];
        cw_say(who, "{\"type\":\"react\",\"id\":\"r%d\",\"payload\":{\"seq\":1,\"emoji\":\"e%d\"}}",
               e, e);
        store_mem_run(w.store);
    }
    CHECK_EQ_INT(cw_count(c[0], "ack") + cw_count(c[1], "ack") + cw_count(c[2], "ack"),
                 1 + CHAT_REACT_EMOJI_MAX);
    /* alice's 21st: refused for her count; carol's new 51st: refused for the message's */
    cw_say(c[0], "{\"type\":\"react\",\"id\":\"x1\",\"payload\":{\"seq\":1,\"emoji\":\"e20\"}}");
    cw_say(c[2], "{\"type\":\"react\",\"id\":\"x2\",\"payload\":{\"seq\":1,\"emoji\":\"new\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(answered(c[0], "too_many", "x1"), 1);
    CHECK_EQ_INT(answered(c[2], "too_many", "x2"), 1);
    /* carol adds one the message has; alice takes one off, and may then add another */
    cw_say(c[2], "{\"type\":\"react\",\"id\":\"y1\",\"payload\":{\"seq\":1,\"emoji\":\"e0\"}}");
    cw_say(c[0], "{\"type\":\"react\",\"id\":\"y2\",\"payload\":{\"seq\":1,\"emoji\":\"e0\"}}");
    store_mem_run(w.store);
    cw_say(c[0], "{\"type\":\"react\",\"id\":\"y3\",\"payload\":{\"seq\":1,\"emoji\":\"e45\"}}");
    store_mem_run(w.store);
    CHECK_EQ_INT(answered(c[2], "ack", "y1"), 1);
    CHECK_EQ_INT(answered(c[0], "ack", "y2"), 1);
    CHECK_EQ_INT(answered(c[0], "ack", "y3"), 1);
    cw_world_deinit(&w);
}

/* Whether c's last channels answer lists name. */
static bool listed(cw_conn_t *c, const char *archived, const char *name)
{
    cw_say(c, "{\"type\":\"channel_list\",\"id\":\"l\",\"payload\":{%s}}", archived);
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
    cw_world_t w;
    world_init(&w, 100000, 100000);
    cw_account(&w, "alice");
    cw_account(&w, "bob");
    cw_conn_t *root = cw_join_on(&w, w.hub, 0, "root", "10.7.0.1");
    cw_conn_t *a = cw_join_on(&w, w.hub, 1, "alice", "10.7.0.2");
    cw_conn_t *b = cw_join_on(&w, w.hub, 2, "bob", "10.7.0.3");
    create(a, "c1", "pub");
    cw_say(a, "{\"type\":\"channel_create\",\"id\":\"c2\",\"payload\":{\"name\":\"priv\","
              "\"private\":true}}");
    store_mem_run(w.store);
    cw_say(b, "{\"type\":\"channel_join\",\"id\":\"j\",\"payload\":{\"channel\":\"pub\"}}");
    cw_say(b, "{\"type\":\"msg\",\"id\":\"m\",\"payload\":{\"channel\":\"pub\",\"text\":\"x\"}}");
    store_mem_run(w.store);
    /* who may archive: not a member, not the creator of a public channel; an owner may */
    cw_say(b, "{\"type\":\"channel_archive\",\"id\":\"x\",\"payload\":{\"channel\":\"pub\"}}");
    CHECK_EQ_STR(cw_err_code(b), "forbidden");
    cw_say(a, "{\"type\":\"channel_archive\",\"id\":\"x\",\"payload\":{\"channel\":\"pub\"}}");
    CHECK_EQ_STR(cw_err_code(a), "forbidden");
    cw_say(root, "{\"type\":\"channel_archive\",\"id\":\"ar\",\"payload\":{\"channel\":"
                 "\"pub\"}}");
    store_mem_run(w.store);
    CHECK(strstr(root->frame[root->n - 1], "\"archived\":true") != NULL);
    CHECK(strstr(b->frame[b->n - 1], "\"archived\":true") != NULL); /* a member hears */
    /* read-only: posting, reacting, topics and joins refused, saying why; reads work */
    cw_say(b, "{\"type\":\"msg\",\"id\":\"m2\",\"payload\":{\"channel\":\"pub\",\"text\":\"y\"}}");
    json_t *e = cw_last_error(b);
    CHECK_EQ_STR(json_string_value(json_object_get(e, "code")), "forbidden");
    CHECK(strstr(json_string_value(json_object_get(e, "message")), "archived") != NULL);
    json_decref(e);
    cw_say(b, "{\"type\":\"react\",\"id\":\"r\",\"payload\":{\"channel\":\"pub\",\"seq\":1,"
              "\"emoji\":\"ok\"}}");
    store_mem_run(w.store);
    CHECK_EQ_STR(cw_err_code(b), "forbidden");
    cw_say(root, "{\"type\":\"channel_join\",\"id\":\"j2\",\"payload\":{\"channel\":\"pub\"}}");
    CHECK_EQ_STR(cw_err_code(root), "forbidden");
    size_t before = b->n;
    cw_say(b, "{\"type\":\"history\",\"id\":\"h\",\"payload\":{\"channel\":\"pub\"}}");
    store_mem_run(w.store);
    CHECK(b->n == before + 1 && strstr(b->frame[before], "\"history\"") != NULL);
    CHECK(!listed(b, "", "pub"));
    CHECK(listed(b, "\"archived\":true", "pub"));
    /* a private channel's creator archives and unarchives it */
    cw_say(a, "{\"type\":\"channel_archive\",\"id\":\"pa\",\"payload\":{\"channel\":\"priv\"}}");
    store_mem_run(w.store);
    cw_say(a, "{\"type\":\"channel_unarchive\",\"id\":\"pu\",\"payload\":{\"channel\":"
              "\"priv\"}}");
    store_mem_run(w.store);
    CHECK(strstr(a->frame[a->n - 1], "\"pu\"") != NULL);
    CHECK(strstr(a->frame[a->n - 1], "archived") == NULL);
    /* deleting: not a member's right, hidden for those outside a private channel */
    cw_say(a, "{\"type\":\"channel_delete\",\"id\":\"d\",\"payload\":{\"channel\":\"priv\"}}");
    CHECK_EQ_STR(cw_err_code(a), "forbidden");
    cw_say(root, "{\"type\":\"channel_delete\",\"id\":\"d\",\"payload\":{\"channel\":\"priv\"}}");
    CHECK_EQ_STR(cw_err_code(root), "no_such_channel");
    cw_say(root, "{\"type\":\"channel_delete\",\"id\":\"d\",\"payload\":{\"channel\":\"pub\"}}");
    store_mem_run(w.store);
    CHECK(strstr(root->frame[root->n - 1], "channel_deleted") != NULL);
    CHECK(strstr(a->frame[a->n - 1], "channel_left") != NULL);
    CHECK(strstr(b->frame[b->n - 1], "channel_left") != NULL);
    CHECK(!listed(b, "\"archived\":true", "pub"));
    cw_say(b, "{\"type\":\"history\",\"id\":\"h2\",\"payload\":{\"channel\":\"pub\"}}");
    CHECK_EQ_STR(cw_err_code(b), "no_such_channel");
    /* the name is free: a new channel, nothing of the old one in it */
    create(a, "c3", "pub");
    store_mem_run(w.store);
    CHECK_EQ_INT(answered(a, "channel", "c3"), 1);
    CHECK(strstr(a->frame[a->n - 1], "\"last_seq\":0") != NULL);
    chat_census_t c;
    chat_hub_census(w.hub, false, 0, &c);
    CHECK_EQ_INT(c.all, 3); /* general, priv, the new pub */
    cw_world_deinit(&w);
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
