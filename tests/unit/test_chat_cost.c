/* test_chat_cost - the cost table: every request type of docs/protocol.md has the cost the
 * protocol documents, paid on arrival or (the rest of a state change's) when it acts; what
 * is free is free; the classes keep their order (a message is the unit, state changes that
 * fan out cost more, those that grow the server most); and the default bucket (a burst of
 * 40) lets ordinary bursts pass while floods cannot. */
#include <stdio.h>

#include "chat/chat_cost.h"
#include "test.h"

static const struct {
    const char *type;
    unsigned cost, upfront;
} documented[] = {
    {"ping", 0, 0},
    {"join", 0, 0},
    {"typing", 0, 0}, /* CHAT_COST_TYPING when relayed */
    {"msg", 1, 1},
    {"edit", 1, 1},
    {"delete", 1, 1},
    {"react", 1, 1},
    {"read", 1, 1},
    {"presence", 1, 1},
    {"history", 1, 1},
    {"thread", 1, 1},
    {"channel_list", 2, 2},
    {"channel_members", 2, 2},
    {"resume", 2, 2},
    {"search", 2, 2},
    {"channel_topic", 3, 1},
    {"channel_join", 3, 1},
    {"channel_leave", 3, 1},
    {"channel_invite", 3, 1},
    {"channel_kick", 3, 1},
    {"channel_create", 5, 1},
    {"dm_open", 5, 1},
    {"channel_archive", 5, 1},
    {"channel_unarchive", 5, 1},
    {"channel_delete", 5, 1},
};

TEST(every_type_has_its_documented_cost)
{
    for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++) {
        const char *t = documented[i].type;
        if (chat_cost_of(t) != documented[i].cost || chat_cost_upfront(t) != documented[i].upfront)
            fprintf(stderr, "%s costs %u, %u up front\n", t, chat_cost_of(t), chat_cost_upfront(t));
        CHECK_EQ_INT(chat_cost_of(t), documented[i].cost);
        CHECK_EQ_INT(chat_cost_upfront(t), documented[i].upfront);
    }
    CHECK_EQ_INT(chat_cost_of("nonsense"), 0); /* answered bad_type */
    CHECK_EQ_INT(chat_cost_upfront("nonsense"), 0);
    CHECK_EQ_INT(chat_cost_of(""), 0);
    CHECK_EQ_INT(chat_cost_of("MSG"), 0); /* types are exact */
    CHECK_EQ_INT(CHAT_COST_TYPING, 1);
    CHECK_EQ_INT(CHAT_COST_TOLL, 1);
}

TEST(classes_and_the_default_bucket)
{
    unsigned msg = chat_cost_of("msg"), topic = chat_cost_of("channel_topic");
    unsigned invite = chat_cost_of("channel_invite"), create = chat_cost_of("channel_create");
    CHECK(msg == 1);
    CHECK(topic > msg && invite > msg);
    CHECK(create > topic && chat_cost_of("dm_open") == create);
    CHECK(chat_cost_of("search") > chat_cost_of("history"));
    /* ordinary use within one default burst (40): five channels in a row, or ten invites
     * in a row, or a dozen topic changes */
    CHECK(5 * create <= 40);
    CHECK(10 * invite <= 40);
    CHECK(12 * topic <= 40);
    /* floods at the default rate (20 a second): 4,095 creations take over 3 minutes,
     * 20,000 invites and 30,000 topics over 45 minutes */
    CHECK(4095.0 * create / 20 > 180);
    CHECK(20000.0 * invite / 20 > 45 * 60);
    CHECK(30000.0 * topic / 20 > 45 * 60);
}

int main(void)
{
    RUN(every_type_has_its_documented_cost);
    RUN(classes_and_the_default_bucket);
    return TEST_MAIN_END();
}
