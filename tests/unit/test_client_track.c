/* client_track: the seq per channel a resume starts from (no row twice, none missed), and
 * the requests in flight: the outbox survives a drop in order, other requests fail. */
#include "client/client_track.h"

#include "test.h"

TEST(test_seqs)
{
    client_track_t t;
    client_track_init(&t);
    CHECK(client_track_resume(&t) == NULL);
    CHECK_EQ_INT(client_track_seq(&t, "general"), -1);
    client_track_base(&t, "general", 41);
    client_track_base(&t, "design", 0);
    CHECK_EQ_INT(client_track_seq(&t, "general"), 41);
    /* A later description does not move what we delivered. */
    client_track_base(&t, "general", 50);
    CHECK_EQ_INT(client_track_seq(&t, "general"), 41);
    /* Rows: new ones advance, one delivered already (a resume overlapping the history,
     * a retry of the server) is refused. */
    CHECK(!client_track_accept(&t, "general", 41));
    CHECK(!client_track_accept(&t, "general", 3));
    CHECK(client_track_accept(&t, "general", 42));
    CHECK(!client_track_accept(&t, "general", 42));
    CHECK(client_track_accept(&t, "general", 44)); /* a gap is the server's to prevent */
    CHECK(!client_track_accept(&t, "general", 43));
    CHECK(client_track_accept(&t, "design", 1));
    /* An untracked channel starts at its first row. */
    CHECK(client_track_accept(&t, "ops", 7));
    CHECK(!client_track_accept(&t, "ops", 7));
    json_t *r = client_track_resume(&t);
    CHECK(r && json_object_size(r) == 3);
    CHECK_EQ_INT(json_integer_value(json_object_get(r, "general")), 44);
    CHECK_EQ_INT(json_integer_value(json_object_get(r, "design")), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(r, "ops")), 7);
    json_decref(r);
    client_track_forget(&t, "general");
    client_track_forget(&t, "nothing");
    CHECK_EQ_INT(client_track_seq(&t, "general"), -1);
    CHECK_EQ_INT(client_track_seq(&t, "ops"), 7);
    r = client_track_resume(&t);
    CHECK(r && json_object_size(r) == 2 && !json_object_get(r, "general"));
    json_decref(r);
    /* Many channels. */
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        client_track_base(&t, name, i);
    }
    CHECK_EQ_INT(client_track_seq(&t, "c999"), 999);
    client_track_deinit(&t);
}

TEST(test_requests)
{
    client_track_t t;
    client_track_init(&t);
    json_t *p = json_pack("{s:s, s:s}", "text", "hi", "cid", "k1");
    client_req_t *m1 = client_track_add(&t, "msg", p, true, NULL, NULL);
    json_decref(p);
    client_req_t *h = client_track_add(&t, "history", NULL, false, NULL, NULL);
    client_req_t *m2 =
        client_track_add(&t, "msg", json_pack("{s:s}", "cid", "k2"), true, NULL, NULL);
    json_decref(m2->payload); /* the pack's own reference: the tracker holds one */
    client_req_t *s = client_track_add(&t, "search", NULL, false, NULL, NULL);
    CHECK(m1->no == 1 && h->no == 2 && m2->no == 3 && s->no == 4);
    CHECK_EQ_INT(t.n_reqs, 4);
    CHECK_EQ_INT(t.n_keep, 2);
    m1->sent = h->sent = m2->sent = s->sent = true;
    CHECK(client_track_find(&t, 3) == m2);
    CHECK(client_track_find(&t, 9) == NULL);
    json_t *id = json_string("c2");
    CHECK(client_track_find_id(&t, id) == h);
    json_decref(id);
    const char *not_ours[] = {"2", "c", "c0", "c02", "x2", "c2x", "c99999999999999999999999"};
    for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++) {
        id = json_string(not_ours[i]);
        CHECK(client_track_find_id(&t, id) == NULL);
        json_decref(id);
    }
    id = json_integer(2);
    CHECK(client_track_find_id(&t, id) == NULL);
    json_decref(id);

    /* The link drops: history and search are lost (oldest first), the outbox stays, in
     * its order, unsent. */
    client_req_t *lost = client_track_drop(&t);
    CHECK(lost == h && lost->next == s && s->next == NULL);
    client_track_free(h);
    client_track_free(s);
    CHECK_EQ_INT(t.n_reqs, 2);
    CHECK(t.head == m1 && m1->next == m2 && t.tail == m2);
    CHECK(!m1->sent && !m2->sent);
    /* A new request goes behind them. */
    client_req_t *m3 = client_track_add(&t, "msg", NULL, true, NULL, NULL);
    CHECK(m2->next == m3 && m3->no == 5);
    /* The ack of the middle one. */
    client_track_remove(&t, m2);
    client_track_free(m2);
    CHECK(m1->next == m3 && t.tail == m3);
    CHECK_EQ_INT(t.n_keep, 2);
    client_track_remove(&t, m3);
    client_track_free(m3);
    CHECK(t.tail == m1 && m1->next == NULL);
    client_req_t *all = client_track_take_all(&t);
    CHECK(all == m1 && t.head == NULL && t.n_reqs == 0);
    client_track_free(m1);
    client_track_add(&t, "msg", NULL, true, NULL, NULL);
    client_track_deinit(&t); /* frees what is left */
}

int main(void)
{
    RUN(test_seqs);
    RUN(test_requests);
    return TEST_MAIN_END();
}
