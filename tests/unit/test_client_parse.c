/* client_parse: the protocol's rows (messages, replies, events, tombstones) and channel
 * objects read into client.h's structs, and who a row mentions. */
#include "client/client_int.h"

#include "test.h"

static json_t *row(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fprintf(stderr, "bad test JSON: %s\n", e.text);
    return j;
}

TEST(test_rows)
{
    client_msg_t m;
    json_t *j =
        row("{\"channel\": \"general\", \"seq\": 41, \"user\": \"alice\", \"text\": \"ship it "
            "@bob?\", \"ts\": 1700000000000, \"mentions\": [\"bob\"], \"cid\": \"k1\", "
            "\"replies\": {\"count\": 2, \"last_seq\": 44, \"last_ts\": 1}}");
    CHECK_EQ_INT(client_msg_parse(NULL, j, &m), 0);
    CHECK_EQ_STR(m.channel, "general");
    CHECK_EQ_INT(m.seq, 41);
    CHECK_EQ_STR(m.user, "alice");
    CHECK_EQ_STR(m.text, "ship it @bob?");
    CHECK(m.kind == NULL && m.thread == 0 && m.target == 0 && !m.mine && !m.guest);
    CHECK_EQ_STR(m.cid, "k1");
    CHECK_EQ_INT(m.reply_count, 2);
    CHECK_EQ_INT(m.reply_last_seq, 44);
    CHECK_EQ_INT(m.n_mentions, 1);
    CHECK(client_msg_mentions(&m, "bob"));
    CHECK(client_msg_mentions(&m, "BOB"));
    CHECK(!client_msg_mentions(&m, "carol"));
    json_decref(j);

    j = row(
        "{\"channel\": \"ops\", \"seq\": 7, \"user\": \"bob\", \"emoji\": \"\xf0\x9f\x91\x8d\", "
        "\"on\": true, \"ts\": 5, \"kind\": \"react\", \"target\": 3, \"guest\": true}");
    CHECK_EQ_INT(client_msg_parse(NULL, j, &m), 0);
    CHECK_EQ_STR(m.kind, "react");
    CHECK_EQ_INT(m.target, 3);
    CHECK(m.on && m.guest);
    CHECK_EQ_STR(m.emoji, "\xf0\x9f\x91\x8d");
    CHECK_EQ_STR(m.text, "");
    json_decref(j);

    j = row("{\"channel\": \"ops\", \"seq\": 9, \"user\": \"bob\", \"text\": \"\", \"ts\": 5, "
            "\"deleted\": true, \"thread\": 4, \"mentions\": [\"channel\"]}");
    CHECK_EQ_INT(client_msg_parse(NULL, j, &m), 0);
    CHECK(m.deleted && m.thread == 4);
    CHECK(client_msg_mentions(&m, "anyone")); /* @channel */
    json_decref(j);

    j = row("{\"channel\": \"ops\", \"seq\": 10, \"user\": \"bob\", \"ts\": 5, \"kind\": "
            "\"unpin\", \"target\": 2}");
    CHECK_EQ_INT(client_msg_parse(NULL, j, &m), 0);
    CHECK(!m.on);
    json_decref(j);

    /* Not rows. */
    const char *bad[] = {"[]",
                         "{\"seq\": 1}",
                         "{\"channel\": \"a\"}",
                         "{\"channel\": \"a\", "
                         "\"seq\": 0}",
                         "{\"channel\": 3, \"seq\": 1}",
                         "{\"channel\": \"a\", \"seq\": \"1\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = row(bad[i]);
        CHECK_EQ_INT(client_msg_parse(NULL, j, &m), -1);
        json_decref(j);
    }
    /* Wrong types are ignored, not trusted. */
    j = row("{\"channel\": \"a\", \"seq\": 1, \"user\": 5, \"text\": [], \"mentions\": [1, "
            "\"x\"], \"replies\": 3}");
    CHECK_EQ_INT(client_msg_parse(NULL, j, &m), 0);
    CHECK_EQ_STR(m.user, "");
    CHECK_EQ_STR(m.text, "");
    CHECK_EQ_INT(m.n_mentions, 1);
    CHECK_EQ_INT(m.reply_count, 0);
    json_decref(j);
}

TEST(test_channels)
{
    client_channel_t ch;
    json_t *j = row("{\"name\": \"dm-5c1e\", \"kind\": \"dm\", \"topic\": \"\", \"users\": "
                    "[\"alice\", \"bob\"], \"members\": 2, \"last_seq\": 9, \"read_seq\": 3, "
                    "\"unread\": 6, \"mentions\": 1, \"notify\": \"muted\", \"archived\": true}");
    client_channel_parse(j, &ch);
    CHECK_EQ_STR(ch.name, "dm-5c1e");
    CHECK_EQ_STR(ch.kind, "dm");
    CHECK_EQ_INT(ch.n_users, 2);
    CHECK_EQ_STR(ch.users[1], "bob");
    CHECK(ch.members == 2 && ch.last_seq == 9 && ch.read_seq == 3 && ch.unread == 6);
    CHECK(ch.mentions == 1 && ch.archived);
    CHECK_EQ_STR(ch.notify, "muted");
    json_decref(j);
    j = row("{\"name\": \"general\"}");
    client_channel_parse(j, &ch);
    CHECK_EQ_STR(ch.kind, "public");
    CHECK_EQ_STR(ch.notify, "all");
    CHECK_EQ_INT(ch.n_users, 0);
    json_decref(j);
    client_channel_parse(NULL, &ch);
    CHECK_EQ_STR(ch.name, "");
}

int main(void)
{
    RUN(test_rows);
    RUN(test_channels);
    return TEST_MAIN_END();
}
