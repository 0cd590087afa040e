/* Unit tests for the Slack export modules (src/cli/slack_text, slack_read, slack_zip): the
 * markup both ways, reaction names, Slack's ts, and archives written here and read back,
 * good and hostile. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/slack_read.h"
#include "cli/slack_text.h"
#include "cli/slack_zip.h"
#include "test.h"

static const char *user_name(void *ctx, const char *id, size_t len)
{
    (void)ctx;
    if (len == 3 && memcmp(id, "U01", 3) == 0)
        return "alice";
    return NULL;
}

static const char *chan_name(void *ctx, const char *id, size_t len)
{
    (void)ctx;
    return len == 3 && memcmp(id, "C01", 3) == 0 ? "general" : NULL;
}

static void imports_as(const char *in, const char *want)
{
    char *got = slack_text_import(in, user_name, chan_name, NULL);
    CHECK_EQ_STR(got, want);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "  from %s\n", in);
    free(got);
}

TEST(test_import_markup)
{
    imports_as("", "");
    imports_as("plain *bold* _it_ ~s~ `code`", "plain *bold* _it_ ~s~ `code`");
    imports_as("hi <@U01>", "hi @alice");
    imports_as("hi <@U01|someone>", "hi @alice");
    imports_as("hi <@U77|ghost>", "hi @ghost");
    imports_as("hi <@U77>", "hi @U77");
    imports_as("in <#C01|general> and <#C09|other>", "in #general and #other");
    imports_as("<!channel> <!here> <!everyone>", "@channel @here @channel");
    imports_as("<!subteam^S1|@ops> <!date^1392734382^{date}|Feb 18>", "@ops Feb 18");
    imports_as("<https://example.com/a?b=1&amp;c=2>", "https://example.com/a?b=1&c=2");
    imports_as("<https://example.com|the site>", "the site (https://example.com)");
    imports_as("<https://example.com|example.com>", "https://example.com");
    imports_as("<mailto:a@b.c|a@b.c>", "mailto:a@b.c");
    imports_as("1 &lt; 2 &amp;&amp; 3 &gt; 2 &nbsp;", "1 < 2 && 3 > 2 &nbsp;");
    imports_as("a < b", "a < b");
    imports_as("open <tag\nclose>", "open <tag\nclose>");
    imports_as("<>", "");
    imports_as("caf\xc3\xa9 <@U01> \xf0\x9f\x91\x8d", "caf\xc3\xa9 @alice \xf0\x9f\x91\x8d");
}

static const char *mention(void *ctx, const char *s, size_t len, size_t *matched)
{
    (void)ctx;
    const char *names[] = {"bob", "bobby"}, *ids[] = {"U2", "U3"};
    size_t best = 0;
    const char *id = NULL;
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(names[i]);
        if (n <= len && n > best && memcmp(s, names[i], n) == 0 &&
            (n == len || s[n] == ' ' || s[n] == '!' || s[n] == ',')) {
            best = n;
            id = ids[i];
        }
    }
    *matched = best;
    return id;
}

static void exports_as(const char *in, const char *want)
{
    char *got = slack_text_export(in, mention, NULL);
    CHECK_EQ_STR(got, want);
    free(got);
}

TEST(test_export_markup)
{
    exports_as("", "");
    exports_as("1 < 2 & 3 > 2", "1 &lt; 2 &amp; 3 &gt; 2");
    exports_as("@channel and @here, @channels", "<!channel> and <!here>, @channels");
    exports_as("hi @bob, @bobby! @bobo", "hi <@U2>, <@U3>! @bobo");
    exports_as("mail me@bob", "mail me@bob");
    /* the two directions undo each other */
    char *there = slack_text_export("x < y & @bob", mention, NULL);
    char *back = slack_text_import(there, NULL, NULL, NULL);
    CHECK_EQ_STR(back, "x < y & @U2");
    free(there);
    free(back);
}

TEST(test_emoji)
{
    char out[64];
    CHECK_EQ_INT(slack_emoji_import("thumbsup", out, sizeof(out), 32), 4);
    CHECK_EQ_STR(out, "\U0001F44D");
    CHECK(slack_emoji_import("partyparrot", out, sizeof(out), 32) > 0);
    CHECK_EQ_STR(out, ":partyparrot:");
    CHECK_EQ_INT(slack_emoji_import("", out, sizeof(out), 32), 0);
    CHECK_EQ_INT(slack_emoji_import("a b", out, sizeof(out), 32), 0);
    CHECK_EQ_INT(slack_emoji_import("a:b", out, sizeof(out), 32), 0);
    CHECK_EQ_INT(slack_emoji_import("a_very_long_custom_emoji_name_indeed", out, sizeof(out), 32),
                 0);
    CHECK(slack_emoji_export("\U0001F44D", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "+1");
    CHECK(slack_emoji_export(":partyparrot:", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "partyparrot");
    CHECK(slack_emoji_export("\U0001F9C0", out, sizeof(out)) > 0); /* not in the table */
    CHECK_EQ_STR(out, "\U0001F9C0");
    CHECK_EQ_STR(slack_emoji_name(slack_emoji_of("tada")), "tada");
}

TEST(test_ts)
{
    int64_t ms = 0;
    char key[SLACK_KEY_MAX];
    CHECK_EQ_INT(slack_ts_parse("1512085950.000216", &ms, key), 0);
    CHECK_EQ_INT(ms, 1512085950000);
    CHECK_EQ_STR(key, "1512085950_000216");
    CHECK_EQ_INT(slack_ts_parse("12.5", &ms, key), 0);
    CHECK_EQ_INT(ms, 12500);
    CHECK_EQ_STR(key, "12_500000");
    CHECK_EQ_INT(slack_ts_parse("999999999999.999999", &ms, key), 0);
    const char *bad[] = {"",      ".",    "1.",   ".5",       "1.1234567", "1234567890123.1",
                         "1e9.1", "-1.0", "1.0x", "yesterday"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(slack_ts_parse(bad[i], &ms, key), -1);
}

/* ---- archives ---- */

static char zpath[64];

/* Writes an archive of files (name, JSON text; NULL-ended). */
static void write_zip(const char *files[][2])
{
    char err[256];
    slack_zip_out_t *o = slack_zip_create(zpath, err, sizeof(err));
    CHECK(o != NULL);
    for (size_t i = 0; o && files[i][0]; i++) {
        json_t *v = json_loads(files[i][1], 0, NULL);
        CHECK(v != NULL);
        CHECK_EQ_INT(slack_zip_add(o, files[i][0], v, err, sizeof(err)), 0);
        json_decref(v);
    }
    CHECK_EQ_INT(o ? slack_zip_finish(o, 1, err, sizeof(err)) : -1, 0);
}

/* Reads zpath: 0 or -1 with err holding `why`. */
static int read_zip(slack_export_t *e, const char *why)
{
    char err[512] = "";
    slack_zip_t *z = slack_zip_open(zpath, err, sizeof(err));
    int rc = z ? slack_read(z, e, err, sizeof(err)) : -1;
    slack_zip_close(z);
    if (why) {
        CHECK(rc == -1 && strstr(err, why) != NULL);
        if (!strstr(err, why))
            fprintf(stderr, "  wanted '%s', got '%s'\n", why, err);
    }
    return rc;
}

#define USERS                                                                                      \
    "[{\"id\": \"U1\", \"name\": \"alice\", \"is_owner\": true}, {\"id\": \"U2\", \"name\": "      \
    "\"bob\", \"profile\": {\"display_name\": \"Bobby\"}}]"
#define CHANS                                                                                      \
    "[{\"id\": \"C1\", \"name\": \"general\", \"is_general\": true, \"members\": [\"U1\"]}]"

TEST(test_read_a_good_export)
{
    const char *files[][2] = {
        {"users.json", USERS},
        {"channels.json", CHANS},
        {"dms.json", "[{\"id\": \"D1\", \"members\": [\"U1\", \"U2\"]}]"},
        {"general/2023-03-02.json", "[{\"type\": \"message\", \"user\": \"U2\", \"ts\": \"20.1\"},"
                                    " {\"type\": \"message\", \"user\": \"U1\", \"ts\": \"3.0\"}]"},
        {"general/2023-03-01.json",
         "[{\"type\": \"message\", \"user\": \"U1\", \"ts\": \"10.5\"},"
         " {\"type\": \"other\"},"
         " {\"type\": \"message\", \"user\": \"U1\", \"ts\": \"10.5\"}]"},
        {"general/notes.txt", "[]"},
        {"D1/2023-03-01.json",
         "[{\"type\": \"message\", \"user\": \"U2\", \"ts\": \"1.0\"},"
         " {\"type\": \"message\", \"user\": \"USLACKBOT\", \"ts\": \"2.0\"}]"},
        {NULL, NULL}};
    write_zip(files);
    slack_export_t e = {0};
    CHECK_EQ_INT(read_zip(&e, NULL), 0);
    CHECK_EQ_INT(e.convs ? (int)e.convs[0].nmsgs : -1, 0); /* checked, not kept */
    CHECK_EQ_INT(e.nusers, 2);
    if (e.nusers != 2 || e.nconvs != 2) {
        slack_export_free(&e);
        return;
    }
    CHECK(e.users[0].admin && !e.users[1].admin);
    CHECK_EQ_STR(e.users[1].display, "Bobby");
    CHECK_EQ_INT(e.nconvs, 2);
    CHECK(e.convs[0].general && e.convs[0].kind == SLACK_PUBLIC);
    CHECK(e.convs[1].kind == SLACK_DM && strcmp(e.convs[1].name, "D1") == 0);
    char err[256];
    slack_zip_t *z = slack_zip_open(zpath, err, sizeof(err));
    CHECK(z && slack_conv_load(z, &e, &e.convs[0], err, sizeof(err)) == 0);
    CHECK(z && slack_conv_load(z, &e, &e.convs[1], err, sizeof(err)) == 0);
    CHECK_EQ_INT(e.convs[1].nmsgs, 2); /* Slackbot's too */
    /* sorted by ts across days; the ts seen twice kept once; the non-message left out */
    CHECK_EQ_INT(e.convs[0].nmsgs, 3);
    const char *order[] = {"3.0", "10.5", "20.1"};
    for (size_t i = 0; i < 3 && i < e.convs[0].nmsgs; i++)
        CHECK_EQ_STR(json_string_value(json_object_get(e.convs[0].msgs[i], "ts")), order[i]);
    slack_conv_unload(&e.convs[0]);
    CHECK_EQ_INT(e.convs[0].nmsgs, 0);
    slack_export_free(&e);
    slack_zip_close(z);
}

TEST(test_read_refuses_bad_files)
{
    struct {
        const char *file, *json, *why;
    } cases[] = {
        {"users.json", "{}", "users.json: not an array"},
        {"users.json", "[{\"id\": \"U1\"}]", "string id and name"},
        {"users.json", "[{\"id\": \"U1\", \"name\": \"a\"}, {\"id\": \"U1\", \"name\": \"b\"}]",
         "U1 twice"},
        {"channels.json", "[{\"id\": \"C1\", \"name\": \"x\", \"members\": [\"U9\"]}]",
         "member U9 is not in users.json"},
        {"channels.json", "[{\"id\": \"C1\", \"name\": \"x\", \"creator\": 5}]", "string id"},
        {"groups.json", "{\"not\": \"an array\"}", "groups.json: not an array"},
        {"channels.json", "[{\"id\": \"C1\", \"name\": \"x\"}, {\"id\": \"C1\", \"name\": \"y\"}]",
         "conversation C1 twice"},
        {"general/2023-03-01.json", "{}", "not an array of messages"},
        {"general/2023-03-01.json", "[{\"type\": \"message\", \"ts\": 5}]", "valid ts"},
        {"general/2023-03-01.json", "[{\"type\": \"message\", \"ts\": \"1.0\", \"user\": \"U9\"}]",
         "user U9 is not in users.json"},
        {"general/2023-03-01.json", "[{\"type\": \"message\", \"ts\": \"1.0\", \"text\": 7}]",
         "text not a string"},
        {"general/2023-03-01.json",
         "[{\"type\": \"message\", \"ts\": \"1.0\", \"reactions\": [{\"name\": \"x\", "
         "\"users\": [\"U9\"]}]}]",
         "reaction x by a user not in users.json"},
        {"general/2023-03-01.json",
         "[{\"type\": \"message\", \"ts\": \"1.0\", \"edited\": {\"ts\": \"soon\"}}]",
         "bad edited"},
        {"general/2023-03-01.json", "[{\"type\": \"message\", \"ts\": \"1.0\", \"files\": {}}]",
         "must be arrays"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *users = strcmp(cases[i].file, "users.json") == 0 ? cases[i].json : USERS;
        const char *files[][2] = {{"users.json", users},
                                  {"channels.json", CHANS},
                                  {cases[i].file, cases[i].json},
                                  {NULL, NULL}};
        if (strcmp(cases[i].file, "users.json") == 0 || strcmp(cases[i].file, "channels.json") == 0)
            files[2][0] = NULL;
        if (strcmp(cases[i].file, "channels.json") == 0)
            files[1][1] = cases[i].json;
        write_zip(files);
        slack_export_t e = {0};
        read_zip(&e, cases[i].why);
    }
}

TEST(test_zip_refuses_hostile_archives)
{
    const char *slip[][2] = {
        {"users.json", USERS}, {"channels.json", CHANS}, {"../evil.json", "[]"}, {NULL, NULL}};
    write_zip(slip);
    slack_export_t e = {0};
    read_zip(&e, "outside the archive");
    const char *none[][2] = {{"channels.json", CHANS}, {NULL, NULL}};
    write_zip(none);
    read_zip(&e, "users.json is missing");
    FILE *f = fopen(zpath, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fputs("PK\003\004 not a zip at all", f) >= 0);
        CHECK(fclose(f) == 0);
    }
    read_zip(&e, "not a readable zip");
    char err[256];
    CHECK(slack_zip_open("/nonexistent/x.zip", err, sizeof(err)) == NULL);
}

int main(void)
{
    snprintf(zpath, sizeof(zpath), "/tmp/test_slack_%d.zip", (int)getpid());
    RUN(test_import_markup);
    RUN(test_export_markup);
    RUN(test_emoji);
    RUN(test_ts);
    RUN(test_read_a_good_export);
    RUN(test_read_refuses_bad_files);
    RUN(test_zip_refuses_hostile_archives);
    unlink(zpath);
    return TEST_MAIN_END();
}
