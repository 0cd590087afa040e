/* chat_keys: the bounded map of client keys finds what it holds, evicts oldest first, forgets
 * dropped keys, and keeps working when chains share buckets and slots come round again. */
#include <stdio.h>

#include "chat/chat_keys.h"
#include "test.h"

TEST(find_put_drop_evict)
{
    chat_keys_t *k = chat_keys_new(4);
    char cid[16];
    for (int i = 0; i < 4; i++) {
        snprintf(cid, sizeof(cid), "k%d", i);
        chat_keys_put(k, 1, cid)->seq = (uint64_t)i + 1;
    }
    CHECK_EQ_INT(chat_keys_count(k), 4);
    CHECK_EQ_INT(chat_keys_find(k, 1, "k2")->seq, 3);
    CHECK(chat_keys_find(k, 2, "k2") == NULL); /* keys are per user */
    CHECK(chat_keys_find(k, 0, "k2") == NULL);
    chat_keys_put(k, 1, "k4")->seq = 5; /* evicts k0, the oldest */
    CHECK(chat_keys_find(k, 1, "k0") == NULL);
    CHECK_EQ_INT(chat_keys_find(k, 1, "k4")->seq, 5);
    chat_keys_drop(k, 1, "k2");
    CHECK(chat_keys_find(k, 1, "k2") == NULL);
    CHECK_EQ_INT(chat_keys_count(k), 3);
    chat_keys_drop(k, 1, "nothing"); /* a no-op */
    /* Round and round the ring: every key put is found until it is evicted. */
    int missing = 0;
    for (int i = 5; i < 1000; i++) {
        snprintf(cid, sizeof(cid), "k%d", i);
        chat_keys_put(k, 1, cid)->seq = (uint64_t)i + 1;
        for (int j = i - 3; j <= i; j++) {
            if (j == 2)
                continue; /* dropped above */
            snprintf(cid, sizeof(cid), "k%d", j);
            chat_key_t *e = chat_keys_find(k, 1, cid);
            missing += !e || e->seq != (uint64_t)j + 1;
        }
    }
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(chat_keys_count(k), 4);
    chat_keys_free(k);
}

TEST(valid_keys)
{
    CHECK(chat_keys_valid("a", 1));
    CHECK(chat_keys_valid("Az09_-", 6));
    CHECK(!chat_keys_valid("", 0));
    CHECK(!chat_keys_valid("a b", 3));
    CHECK(!chat_keys_valid("é", 2));
    char long_key[66];
    memset(long_key, 'x', 65);
    long_key[65] = '\0';
    CHECK(chat_keys_valid(long_key, 64));
    CHECK(!chat_keys_valid(long_key, 65));
}

int main(void)
{
    RUN(find_put_drop_evict);
    RUN(valid_keys);
    return TEST_MAIN_END();
}
