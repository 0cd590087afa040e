/* chat_react: the reaction set holds what was set and not cleared, keys on all three parts,
 * and stays right through tombstones and growth; its counts (distinct emoji on a message, a
 * user's reactions on it) follow every toggle. */
#include <stdio.h>

#include "chat/chat_react.h"
#include "test.h"

TEST(set_clear_and_keys)
{
    chat_react_t *r = chat_react_new();
    CHECK(!chat_react_has(r, 1, 7, "+1"));
    chat_react_set(r, 1, 7, "+1", false); /* clearing nothing: a no-op */
    chat_react_set(r, 1, 7, "+1", true);
    chat_react_set(r, 1, 7, "+1", true); /* twice: still one */
    CHECK_EQ_INT(chat_react_count(r), 1);
    CHECK(chat_react_has(r, 1, 7, "+1"));
    CHECK(!chat_react_has(r, 2, 7, "+1")); /* another message */
    CHECK(!chat_react_has(r, 1, 8, "+1")); /* another user */
    CHECK(!chat_react_has(r, 1, 7, "+2")); /* another emoji */
    chat_react_set(r, 1, 7, "+1", false);
    CHECK(!chat_react_has(r, 1, 7, "+1"));
    CHECK_EQ_INT(chat_react_count(r), 0);
    /* longer than any accepted emoji: never held */
    chat_react_set(r, 1, 7, "0123456789012345678901234567890123", true);
    CHECK_EQ_INT(chat_react_count(r), 0);
    chat_react_free(r);
}

TEST(many_toggles_with_tombstones_and_growth)
{
    chat_react_t *r = chat_react_new();
    char e[16];
    /* 50,000 on, every other one off again, then all checked. */
    for (uint64_t i = 0; i < 50000; i++) {
        snprintf(e, sizeof(e), "e%llu", (unsigned long long)(i % 7));
        chat_react_set(r, i, i % 13, e, true);
    }
    for (uint64_t i = 0; i < 50000; i += 2) {
        snprintf(e, sizeof(e), "e%llu", (unsigned long long)(i % 7));
        chat_react_set(r, i, i % 13, e, false);
    }
    CHECK_EQ_INT(chat_react_count(r), 25000);
    int wrong = 0;
    for (uint64_t i = 0; i < 50000; i++) {
        snprintf(e, sizeof(e), "e%llu", (unsigned long long)(i % 7));
        wrong += chat_react_has(r, i, i % 13, e) != (i % 2 == 1);
    }
    CHECK_EQ_INT(wrong, 0);
    /* The same key toggled over and over leaves tombstones that rebuilds clear. */
    for (int i = 0; i < 100000; i++)
        chat_react_set(r, 999999, 1, "x", i % 2 == 0);
    CHECK(!chat_react_has(r, 999999, 1, "x"));
    CHECK_EQ_INT(chat_react_count(r), 25000);
    chat_react_free(r);
}

TEST(counts_follow_the_toggles)
{
    chat_react_t *r = chat_react_new();
    CHECK_EQ_INT(chat_react_distinct(r, 1), 0);
    CHECK_EQ_INT(chat_react_mine(r, 1, 7), 0);
    CHECK(!chat_react_any(r, 1, "+1"));
    chat_react_set(r, 1, 7, "+1", true);
    chat_react_set(r, 1, 8, "+1", true);
    chat_react_set(r, 1, 8, "+1", true); /* again: nothing moves */
    chat_react_set(r, 1, 8, "ok", true);
    chat_react_set(r, 2, 8, "ok", true); /* another message */
    CHECK_EQ_INT(chat_react_count(r), 4);
    CHECK_EQ_INT(chat_react_distinct(r, 1), 2);
    CHECK_EQ_INT(chat_react_distinct(r, 2), 1);
    CHECK_EQ_INT(chat_react_mine(r, 1, 8), 2);
    CHECK_EQ_INT(chat_react_mine(r, 1, 7), 1);
    CHECK(chat_react_any(r, 1, "+1") && chat_react_any(r, 1, "ok") && !chat_react_any(r, 2, "+1"));
    chat_react_set(r, 1, 7, "+1", false); /* 8 still holds +1 */
    CHECK_EQ_INT(chat_react_distinct(r, 1), 2);
    CHECK(chat_react_any(r, 1, "+1"));
    chat_react_set(r, 1, 8, "+1", false); /* nobody does now */
    CHECK_EQ_INT(chat_react_distinct(r, 1), 1);
    CHECK(!chat_react_any(r, 1, "+1"));
    CHECK_EQ_INT(chat_react_mine(r, 1, 8), 1);
    chat_react_set(r, 1, 9, "+1", false); /* clearing what is not there moves nothing */
    CHECK_EQ_INT(chat_react_mine(r, 1, 9), 0);
    CHECK_EQ_INT(chat_react_count(r), 2);
    /* many messages, users and emoji through growth and tombstones */
    char e[16];
    /* (message, emoji, user) = (i mod 7, i mod 11, i mod 13): every triple, 20 times over */
    for (uint64_t i = 0; i < 20000; i++) {
        snprintf(e, sizeof(e), "e%llu", (unsigned long long)(i % 11));
        chat_react_set(r, 100 + i % 7, i % 13, e, true);
    }
    CHECK_EQ_INT(chat_react_count(r), 2 + 7 * 11 * 13);
    for (uint64_t t = 100; t < 107; t++) {
        size_t sum = 0;
        for (uint64_t u = 0; u < 13; u++)
            sum += chat_react_mine(r, t, u);
        CHECK_EQ_INT(chat_react_distinct(r, t), 11);
        CHECK_EQ_INT(sum, 11 * 13);
    }
    for (uint64_t i = 0; i < 20000; i++) {
        snprintf(e, sizeof(e), "e%llu", (unsigned long long)(i % 11));
        chat_react_set(r, 100 + i % 7, i % 13, e, false);
    }
    CHECK_EQ_INT(chat_react_distinct(r, 105), 0);
    CHECK_EQ_INT(chat_react_mine(r, 105, 5), 0);
    CHECK_EQ_INT(chat_react_count(r), 2);
    chat_react_free(r);
}

int main(void)
{
    RUN(set_clear_and_keys);
    RUN(many_toggles_with_tombstones_and_growth);
    RUN(counts_follow_the_toggles);
    return TEST_MAIN_END();
}
