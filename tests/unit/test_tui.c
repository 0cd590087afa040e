/* Unit tests of the full-screen client's pieces that need no terminal: widths and wrapping
 * (tui_text), the line editor (tui_input), the model's folding of rows (tui_model), the
 * laid-out lines (tui_lines) and the web client's colours (tui_colour_hue). */
#include <locale.h>
#include <stdlib.h>

#include "test.h"
#include "tui/tui_cmd.h"
#include "tui/tui_colour.h"
#include "tui/tui_input.h"
#include "tui/tui_lines.h"
#include "tui/tui_model.h"
#include "tui/tui_text.h"

TEST(test_widths)
{
    size_t n;
    wchar_t *w = tui_text_wide("a日👍\x01\xff", &n);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_INT(tui_text_width(w, 3), 5); /* 1 + 2 + 2 */
    CHECK(w[3] == L' ');                   /* a control character cannot move the cursor */
    CHECK(w[4] == 0xFFFD);
    free(w);
    w = tui_text_wide("hello wide 日本語", &n);
    size_t skip, k = tui_text_fit(w, n, 8, &skip);
    CHECK_EQ_INT(k, 5); /* broken at the space */
    CHECK_EQ_INT(skip, 1);
    k = tui_text_fit(w + 11, n - 11, 5, &skip);
    CHECK_EQ_INT(k, 2); /* two wide characters fill four of five columns */
    free(w);
}

TEST(test_input)
{
    static tui_input_t in;
    tui_input_init(&in);
    const wchar_t *typed = L"héllo @al";
    for (size_t i = 0; typed[i]; i++)
        tui_input_insert(&in, typed[i]);
    const char *names[] = {"bob", "alice", "alan"};
    CHECK(tui_input_complete(&in, names, 3));
    char *line = tui_input_take(&in);
    CHECK_EQ_STR(line, "héllo @alan ");
    free(line);
    tui_input_insert(&in, L'@');
    tui_input_insert(&in, L'b');
    CHECK(tui_input_complete(&in, names, 3));
    line = tui_input_take(&in);
    CHECK_EQ_STR(line, "@bob: ");
    free(line);
    tui_input_insert(&in, L'x');
    tui_input_edit(&in, TUI_EDIT_PREV);
    tui_input_edit(&in, TUI_EDIT_PREV);
    line = tui_input_take(&in);
    CHECK_EQ_STR(line, "héllo @alan ");
    free(line);
    tui_input_deinit(&in);
}

static client_msg_t row(int64_t seq, const char *user, const char *text)
{
    return (client_msg_t){.channel = "general",
                          .seq = seq,
                          .user = user,
                          .text = text,
                          .ts = 1700000000000 + seq * 1000};
}

TEST(test_model)
{
    tui_model_t m;
    tui_model_init(&m);
    client_channel_t chans[2] = {{.name = "general", .kind = "public", .topic = ""},
                                 {.name = "design", .kind = "public", .topic = "t"}};
    client_welcome_t w = {.user = "alice", .channels = chans, .n_channels = 2};
    tui_model_welcome(&m, &w);
    CHECK_EQ_INT(m.nconvs, 2);
    CHECK_EQ_STR(m.convs[0]->label, "#general");
    client_msg_t a = row(1, "bob", "ship it?");
    CHECK(tui_model_row(&m, &a, false));
    CHECK(!tui_model_row(&m, &a, false)); /* a resume overlapping: once */
    client_msg_t reply = row(2, "alice", "yes");
    reply.thread = 1;
    CHECK(tui_model_row(&m, &reply, false));
    client_msg_t r = row(3, "alice", "");
    r.kind = "react", r.target = 1, r.emoji = "👍", r.on = true;
    CHECK(tui_model_row(&m, &r, false));
    CHECK(!tui_model_row(&m, &r, false));
    r.seq = 4, r.user = "bob";
    tui_model_row(&m, &r, false);
    tui_msg_t *x = tui_model_msg(m.convs[0], 1);
    CHECK_EQ_INT(x->replies, 1);
    CHECK_EQ_INT(tui_model_react_count(x, "👍"), 2);
    client_msg_t e = row(5, "bob", "ship it now?");
    e.kind = "edit", e.target = 1;
    tui_model_row(&m, &e, false);
    CHECK(x->edited);
    /* Unread: a message of someone else in a conversation not shown. */
    client_msg_t d = row(1, "bob", "@alice look");
    d.channel = "design";
    tui_model_row(&m, &d, true);
    size_t idx;
    tui_conv_t *design = tui_model_find(&m, "design", &idx);
    CHECK_EQ_INT(design->unread, 1);
    CHECK_EQ_INT(design->mentions, 1);
    tui_model_select(&m, idx);
    CHECK_EQ_INT(design->unread, 0);

    tui_lines_t l = {0};
    tui_lines_conv(&l, m.convs[0], 60, 0);
    /* day separator, bob's head, the text, the reactions, the replies */
    CHECK_EQ_INT(l.n, 5);
    CHECK(wcscmp(l.v[1].seg[0].text, L"bob") == 0);
    CHECK(wcscmp(l.v[2].seg[1].text, L"ship it now? (edited)") == 0);
    CHECK(wcscmp(l.v[3].seg[1].text, L"👍 2") == 0);
    CHECK(wcscmp(l.v[4].seg[0].text, L"  ↳ 1 reply") == 0);
    tui_lines_free(&l);
    tui_model_deinit(&m);
}

TEST(test_colours)
{
    /* web/dom.js hueOf, as node computes it. */
    CHECK_EQ_INT(tui_colour_hue("alice"), 342);
    CHECK_EQ_INT(tui_colour_hue("bob"), 276);
    CHECK_EQ_INT(tui_colour_hue("carol"), 36);
    CHECK_EQ_INT(tui_colour_hue("日本"), 162);
    CHECK_EQ_INT(tui_colour_hue("👍x"), 342);         /* a surrogate pair, as JavaScript sees it */
    CHECK_EQ_INT(tui_colour_nearest(4, 72, 8), 1);   /* red */
    CHECK_EQ_INT(tui_colour_nearest(232, 72, 8), 4); /* blue */
    int c = tui_colour_nearest(140, 72, 256);
    CHECK(c >= 16 && c < 232);
    CHECK_EQ_STR(tui_cmd_emoji(":tada:"), "🎉");
    CHECK_EQ_STR(tui_cmd_emoji("+1"), "👍");
    CHECK(tui_cmd_emoji("nonesuch") == NULL);
}

int main(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8"))
        return 77;
    RUN(test_widths);
    RUN(test_input);
    RUN(test_model);
    RUN(test_colours);
    return TEST_MAIN_END();
}
