/* test_api_slack - Slack's incoming-webhook payload read into a parley message: mrkdwn
 * turned into parley's formatting, blocks and attachments reduced to text, the form's
 * payload=, and what is refused. */
#include "api/api_slack.h"

#include <string.h>

#include "test.h"

static char text[4096], user[400], icon[80];

/* Parses body; returns 0 or -1 with the fields in text, user and icon. */
static int parse(const char *body)
{
    api_slack_msg_t m;
    int rc = api_slack_parse(body, strlen(body), &m);
    snprintf(text, sizeof(text), "%s", m.text.data ? m.text.data : "");
    snprintf(user, sizeof(user), "%s", m.username);
    snprintf(icon, sizeof(icon), "%s", m.icon);
    buf_deinit(&m.text);
    return rc;
}

static const char *md(const char *s)
{
    buf_t b = BUF_INIT;
    api_slack_mrkdwn(s, strlen(s), &b);
    buf_append(&b, "", 1);
    snprintf(text, sizeof(text), "%s", b.data);
    buf_deinit(&b);
    return text;
}

TEST(test_mrkdwn)
{
    CHECK_EQ_STR(md("plain *bold* _it_ ~s~ `c`"), "plain *bold* _it_ ~s~ `c`");
    CHECK_EQ_STR(md("<https://x.example/a?b=1&amp;c=2|the docs>"),
                 "the docs (https://x.example/a?b=1&c=2)");
    CHECK_EQ_STR(md("see <https://x.example>."), "see https://x.example.");
    CHECK_EQ_STR(md("<!here> <!channel> <!everyone>"), "@here @channel @channel");
    CHECK_EQ_STR(md("<@U123> <@U9|bob> <#C1|ops>"), "@U123 @bob #ops");
    CHECK_EQ_STR(md("<!date^1392734382^{date}|Feb 18>"), "Feb 18");
    CHECK_EQ_STR(md("a &lt;b&gt; &amp; &nope;"), "a <b> & &nope;");
    CHECK_EQ_STR(md("1 < 2 and <unclosed"), "1 < 2 and <unclosed");
    CHECK_EQ_STR(md("<a\nb>"), "<a\nb>"); /* a link never spans lines */
    CHECK_EQ_STR(md(""), "");
}

TEST(test_text_and_fields)
{
    CHECK_EQ_INT(parse("{\"text\":\"hi <!here>\",\"username\":\"CI\",\"icon_emoji\":\":rocket:\"}"),
                 0);
    CHECK_EQ_STR(text, "hi @here");
    CHECK_EQ_STR(user, "CI");
    CHECK_EQ_STR(icon, ":rocket:");
    CHECK_EQ_INT(parse("{\"text\":\"<b|c>\",\"mrkdwn\":false,\"icon_emoji\":\"rocket\"}"), 0);
    CHECK_EQ_STR(text, "<b|c>"); /* taken as it is */
    CHECK_EQ_STR(icon, "");      /* not :name: */
    CHECK_EQ_INT(parse("{\"icon_emoji\":\":Bad Icon:\",\"username\":7}"), 0);
    CHECK_EQ_STR(icon, "");
    CHECK_EQ_STR(user, "");
    CHECK_EQ_STR(text, "");
}

TEST(test_attachments)
{
    CHECK_EQ_INT(
        parse("{\"text\":\"Alert\",\"attachments\":[{\"pretext\":\"pre\",\"title\":\"T\","
              "\"title_link\":\"http://l\",\"text\":\"body\",\"fields\":[{\"title\":"
              "\"sev\",\"value\":\"page\"},{\"value\":\"v only\"},{}],\"fallback\":\"fb\"},"
              "{\"fallback\":\"only fb\"},{\"color\":\"red\"}]}"),
        0);
    CHECK_EQ_STR(text, "Alert\npre\n*T* http://l\nbody\n*sev*: page\nv only\nonly fb");
}

TEST(test_blocks)
{
    CHECK_EQ_INT(
        parse(
            "{\"text\":\"fallback\",\"blocks\":[{\"type\":\"header\",\"text\":{\"type\":"
            "\"plain_text\",\"text\":\"H\"}},{\"type\":\"divider\"},{\"type\":\"section\","
            "\"text\":{\"type\":\"mrkdwn\",\"text\":\"<!here> s\"},\"fields\":[{\"type\":"
            "\"plain_text\",\"text\":\"<raw>\"}]},{\"type\":\"context\",\"elements\":[{\"type\":"
            "\"mrkdwn\",\"text\":\"a\"},{\"type\":\"image\"},{\"type\":\"plain_text\",\"text\":"
            "\"b\"}]},{\"type\":\"rich_text\",\"elements\":[{\"type\":\"rich_text_list\","
            "\"elements\":[{\"type\":\"rich_text_section\",\"elements\":[{\"type\":\"text\","
            "\"text\":\"one\"}]}]},{\"type\":\"rich_text_quote\",\"elements\":[{\"type\":\"link\","
            "\"url\":\"http://"
            "u\",\"text\":\"U\"},{\"type\":\"broadcast\",\"range\":\"here\"}]}]}]}"),
        0);
    CHECK_EQ_STR(text, "*H*\n@here s\n<raw>\na b\n- one\n> U (http://u)@here");
    /* Blocks without text: the text is shown. */
    CHECK_EQ_INT(parse("{\"text\":\"shown\",\"blocks\":[{\"type\":\"divider\"}]}"), 0);
    CHECK_EQ_STR(text, "shown");
}

TEST(test_form_and_refusals)
{
    CHECK_EQ_INT(parse("payload=%7B%22text%22%3A%22a+b%25%22%7D"), 0);
    CHECK_EQ_STR(text, "a b%");
    CHECK_EQ_INT(parse("x=1&payload=%7B%7D&y=2"), 0);
    CHECK_EQ_STR(text, "");
    CHECK_EQ_INT(parse("payload=%zz"), -1);
    CHECK_EQ_INT(parse("payload=%7"), -1);
    CHECK_EQ_INT(parse("text=hi"), -1);
    CHECK_EQ_INT(parse("payload=%5B%5D"), -1); /* an array */
    CHECK_EQ_INT(parse("{\"text\":"), -1);
    CHECK_EQ_INT(parse("{\"a\":1,\"a\":2}"), -1);
    CHECK_EQ_INT(parse("[1]"), -1);
    CHECK_EQ_INT(parse(""), -1);
    CHECK_EQ_INT(parse("  {\"text\":\" padded \\n\"}"), 0);
    CHECK_EQ_STR(text, " padded"); /* trailing space and newlines trimmed */
}

int main(void)
{
    RUN(test_mrkdwn);
    RUN(test_text_and_fields);
    RUN(test_attachments);
    RUN(test_blocks);
    RUN(test_form_and_refusals);
    return TEST_MAIN_END();
}
