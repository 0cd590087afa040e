/* test_chat_quota - who may make one more channel or direct message: the server's cap for
 * everyone, then for members the share of each kind, their own quota (at most a tenth of a
 * share) and their address's day; owners and admins only the cap. */
#include <stdio.h>
#include <string.h>

#include "auth/auth_token.h"
#include "chat/chat_quota.h"
#include "test.h"

#define DAY CHAT_QUOTA_ADDR_WINDOW_MS

static bool allows(chat_quota_t *q, chat_made_t k, auth_role_t role, const char *addr, size_t all,
                   size_t kind, size_t mine, char *why)
{
    chat_census_t c = {.all = all, .kind = kind, .mine = mine};
    why[0] = '\0';
    return chat_quota_allows(q, k, role, addr, &c, 1000, why, 160);
}

TEST(the_default_cap)
{
    chat_quota_t *q = chat_quota_new(4096);
    char why[160];
    CHECK_EQ_INT(chat_quota_share(q), 1843); /* 45% of 4096 */
    CHECK_EQ_INT(chat_quota_user(q), CHAT_QUOTA_USER);
    /* a member: their 100th channel, not their 101st */
    CHECK(allows(q, CHAT_MADE_CHANNEL, AUTH_MEMBER, "", 500, 300, 99, why));
    CHECK(!allows(q, CHAT_MADE_CHANNEL, AUTH_MEMBER, "", 500, 300, 100, why));
    CHECK(strstr(why, "created 100 channels") != NULL);
    CHECK(!allows(q, CHAT_MADE_DM, AUTH_MEMBER, "", 500, 300, 100, why));
    CHECK(strstr(why, "opened 100 direct messages") != NULL);
    /* the members' share of each kind, whoever made them */
    CHECK(!allows(q, CHAT_MADE_CHANNEL, AUTH_MEMBER, "", 2000, 1843, 0, why));
    CHECK(strstr(why, "as many channels as members may make") != NULL);
    CHECK(allows(q, CHAT_MADE_DM, AUTH_MEMBER, "", 2000, 157, 0, why)); /* DMs have their own */
    CHECK(!allows(q, CHAT_MADE_DM, AUTH_MEMBER, "", 3686, 1843, 0, why));
    /* owners and admins: up to the cap, past any quota and share */
    CHECK(allows(q, CHAT_MADE_CHANNEL, AUTH_ADMIN, "", 4095, 3000, 3000, why));
    CHECK(allows(q, CHAT_MADE_DM, AUTH_OWNER, "", 4095, 3000, 3000, why));
    CHECK(!allows(q, CHAT_MADE_CHANNEL, AUTH_OWNER, "", 4096, 3000, 0, why));
    CHECK(strstr(why, "as many channels as it allows (4096)") != NULL);
    CHECK(!allows(q, CHAT_MADE_DM, AUTH_MEMBER, "", 4096, 0, 0, why));
    chat_quota_free(q);
}

TEST(a_small_cap_keeps_the_fractions)
{
    chat_quota_t *q = chat_quota_new(200);
    char why[160];
    CHECK_EQ_INT(chat_quota_share(q), 90);
    CHECK_EQ_INT(chat_quota_user(q), 9); /* a tenth of the share */
    CHECK(allows(q, CHAT_MADE_CHANNEL, AUTH_MEMBER, "", 10, 10, 8, why));
    CHECK(!allows(q, CHAT_MADE_CHANNEL, AUTH_MEMBER, "", 10, 10, 9, why));
    chat_quota_free(q);
    q = chat_quota_new(3); /* never a quota of 0 */
    CHECK_EQ_INT(chat_quota_user(q), 1);
    chat_quota_free(q);
}

TEST(an_address_makes_so_many_a_day)
{
    chat_quota_t *q = chat_quota_new(100000); /* quotas large enough to reach the address's */
    char why[160];
    chat_census_t c = {.all = 10, .kind = 5, .mine = 0};
    for (int i = 0; i < CHAT_QUOTA_ADDR; i++)
        chat_quota_note(q, CHAT_MADE_CHANNEL, AUTH_MEMBER, "10.9.0.1", 1000);
    CHECK(!chat_quota_allows(q, CHAT_MADE_CHANNEL, AUTH_MEMBER, "10.9.0.1", &c, 1000, why, 160));
    CHECK(strstr(why, "from your address today") != NULL);
    /* the other kind, another address, an admin, and the next day are not held */
    CHECK(chat_quota_allows(q, CHAT_MADE_DM, AUTH_MEMBER, "10.9.0.1", &c, 1000, why, 160));
    CHECK(chat_quota_allows(q, CHAT_MADE_CHANNEL, AUTH_MEMBER, "10.9.0.2", &c, 1000, why, 160));
    CHECK(chat_quota_allows(q, CHAT_MADE_CHANNEL, AUTH_ADMIN, "10.9.0.1", &c, 1000, why, 160));
    CHECK(
        chat_quota_allows(q, CHAT_MADE_CHANNEL, AUTH_MEMBER, "10.9.0.1", &c, 1000 + DAY, why, 160));
    /* what admins make does not count against their address */
    for (int i = 0; i < CHAT_QUOTA_ADDR; i++)
        chat_quota_note(q, CHAT_MADE_DM, AUTH_ADMIN, "10.9.0.3", 1000);
    CHECK(chat_quota_allows(q, CHAT_MADE_DM, AUTH_MEMBER, "10.9.0.3", &c, 1000, why, 160));
    /* an unknown address is not counted */
    chat_quota_note(q, CHAT_MADE_DM, AUTH_MEMBER, "", 1000);
    CHECK(chat_quota_allows(q, CHAT_MADE_DM, AUTH_MEMBER, "", &c, 1000, why, 160));
    chat_quota_free(q);
}

int main(void)
{
    if (auth_init() != 0)
        return 1;
    RUN(the_default_cap);
    RUN(a_small_cap_keeps_the_fractions);
    RUN(an_address_makes_so_many_a_day);
    return TEST_MAIN_END();
}
