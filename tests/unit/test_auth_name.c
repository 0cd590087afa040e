/* Unit tests for auth/auth_name: every refused class of character (and every code point
 * against a reference built from ICU's properties), name lengths in characters and bytes,
 * white space at the ends, names of only punctuation, the canonical form's equalities and
 * differences (including what ICU 72 really does with classic confusables), buffer edges,
 * the reserved names, invalid UTF-8, and the once-only set-up raced by several threads. */
#include "auth/auth_name.h"

#include <pthread.h>
#include <stdint.h>

#include <unicode/uchar.h>

#include "test.h"

/* UTF-8 of one code point, written here rather than taken from ICU. */
static size_t enc(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3F));
    out[2] = (char)(0x80 | (c >> 6 & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* "a" c "b": the code point inside ordinary text. */
static bool safe_inside(uint32_t c)
{
    char buf[8];
    buf[0] = 'a';
    size_t n = 1 + enc(c, buf + 1);
    buf[n++] = 'b';
    return auth_text_safe(buf, n);
}

static bool safe(const char *s)
{
    return auth_text_safe(s, strlen(s));
}

static bool valid(const char *s, size_t max_chars)
{
    return auth_name_valid(s, strlen(s), max_chars);
}

static const char *canon(const char *s)
{
    static char out[AUTH_CANON_MAX];
    int n = auth_name_canon(s, strlen(s), out, sizeof out);
    return n < 0 ? "<failed>" : out;
}

static bool same(const char *a, const char *b)
{
    char ca[AUTH_CANON_MAX], cb[AUTH_CANON_MAX];
    int na = auth_name_canon(a, strlen(a), ca, sizeof ca);
    int nb = auth_name_canon(b, strlen(b), cb, sizeof cb);
    return na >= 0 && nb >= 0 && na == nb && memcmp(ca, cb, (size_t)na) == 0;
}

static bool reserved(const char *s)
{
    return auth_name_reserved(s, strlen(s));
}

/* Ranges of code points, inclusive. */
typedef struct {
    uint32_t lo, hi;
} range_t;

static void check_refused(const range_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (uint32_t c = r[i].lo; c <= r[i].hi; c++) {
            bool ok = safe_inside(c);
            CHECK(!ok);
            if (ok)
                fprintf(stderr, "  U+%04X accepted\n", (unsigned)c);
        }
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- auth_text_safe ---------------------------------------------------------------- */

TEST(test_text_safe_ordinary)
{
    CHECK(auth_text_safe("", 0));
    CHECK(safe("hello, world"));
    CHECK(safe("caf\xC3\xA9 \xE2\x82\xAC"));             /* "café €" */
    CHECK(safe("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E")); /* "日本語" */
    CHECK(safe("\xF0\x9F\x98\x80"));                     /* U+1F600 😀 */
    CHECK(safe("a\xC2\xA0"
               "b"));            /* NBSP: white space, not invisible */
    CHECK(safe_inside(0xE000));  /* private use: assigned (Co), allowed */
    CHECK(safe_inside(0x1FAE8)); /* U+1FAE8 (Unicode 15.0): assigned in ICU 72 */
    CHECK(safe_inside(0x0301));  /* a combining mark */
    CHECK(safe_inside(0x0600));  /* a format character that is not default-ignorable */
}

TEST(test_text_safe_controls)
{
    static const range_t cc[] = {{0x00, 0x1F}, {0x7F, 0x9F}};
    check_refused(cc, COUNT(cc));
    CHECK(!safe("line one\nline two"));
    CHECK(!safe("tab\there"));
    CHECK(!auth_text_safe("a\0b", 3)); /* an embedded NUL is U+0000 */
}

TEST(test_text_safe_bidi)
{
    static const range_t bidi[] = {
        {0x061C, 0x061C}, {0x200E, 0x200F}, {0x202A, 0x202E}, {0x2066, 0x2069}};
    check_refused(bidi, COUNT(bidi));
    /* The classic: "txt.exe" shown as "exe.txt" with U+202E. */
    CHECK(!safe("\xE2\x80\xAE"
                "exe.txt"));
}

TEST(test_text_safe_invisible)
{
    /* The header's list. */
    static const range_t listed[] = {{0x200B, 0x200D}, {0x2060, 0x2064}, {0xFEFF, 0xFEFF},
                                     {0x180E, 0x180E}, {0x3164, 0x3164}, {0xFFA0, 0xFFA0},
                                     {0x115F, 0x1160}, {0x2800, 0x2800}};
    check_refused(listed, COUNT(listed));
    /* Other default-ignorables: soft hyphen, CGJ, Khmer inherent vowels, Mongolian
     * selectors, variation selectors (VS16 of emoji included), shorthand format controls,
     * musical format controls, tags, the reserved default-ignorable ranges. */
    static const range_t other[] = {{0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x17B4, 0x17B5},
                                    {0x180B, 0x180F},   {0xFE00, 0xFE0F},   {0xFFF0, 0xFFF8},
                                    {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
                                    {0x2065, 0x2065},   {0x206A, 0x206F}};
    check_refused(other, COUNT(other));
}

/* Emoji keep their invisible parts where those build one, in text but not in names. */
TEST(test_text_safe_emoji_sequences)
{
    CHECK(safe("I \xE2\x9D\xA4\xEF\xB8\x8F parley")); /* U+2764 U+FE0F */
    /* man, ZWJ, laptop: a technologist */
    CHECK(safe("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x92\xBB"));
    CHECK(!safe("a\xEF\xB8\x8F")); /* VS16 after a letter */
    CHECK(!safe("a\xE2\x80\x8D"
                "b"));                              /* ZWJ between letters */
    CHECK(!safe("\xF0\x9F\x91\xA8\xE2\x80\x8D"));   /* a dangling ZWJ */
    CHECK(!valid("x\xE2\x9D\xA4\xEF\xB8\x8F", 32)); /* never in a name */
}

TEST(test_text_safe_separators)
{
    static const range_t sep[] = {{0x2028, 0x2029}};
    check_refused(sep, COUNT(sep));
}

TEST(test_text_safe_unassigned)
{
    static const range_t cn[] = {{0x0378, 0x0379},    {0xFDD0, 0xFDEF},   {0xFFFE, 0xFFFF},
                                 {0x1FFFE, 0x1FFFF},  {0x2FFFE, 0x2FFFF}, {0x50000, 0x50010},
                                 {0x10FFFE, 0x10FFFF}};
    check_refused(cn, COUNT(cn));
}

TEST(test_text_safe_invalid_utf8)
{
    static const char *bad[] = {
        "\xC0\x80",         /* overlong NUL */
        "\xE0\x80\x80",     /* overlong */
        "\xED\xA0\x80",     /* surrogate U+D800 */
        "\xF4\x90\x80\x80", /* above U+10FFFF */
        "\xC3",             /* truncated */
        "\x80",             /* lone continuation */
        "\xFF",
        "ok\xFE",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        CHECK(!safe(bad[i]));
        CHECK(!valid(bad[i], 32));
    }
}

/* Every code point against a reference made of ICU's properties and the header's list. */
TEST(test_text_safe_every_code_point)
{
    size_t wrong = 0;
    for (uint32_t c = 0; c <= 0x10FFFF; c++) {
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        int8_t t = u_charType((UChar32)c);
        bool refused = t == U_CONTROL_CHAR || t == U_UNASSIGNED || t == U_LINE_SEPARATOR ||
                       t == U_PARAGRAPH_SEPARATOR ||
                       u_hasBinaryProperty((UChar32)c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
                       u_hasBinaryProperty((UChar32)c, UCHAR_BIDI_CONTROL) || c == 0x2800;
        char buf[4];
        size_t n = enc(c, buf);
        if (auth_text_safe(buf, n) == refused && wrong++ < 10)
            fprintf(stderr, "  U+%04X: expected %s\n", (unsigned)c, refused ? "refused" : "safe");
    }
    CHECK_EQ_INT(wrong, 0);
}

/* ---- auth_name_valid --------------------------------------------------------------- */

TEST(test_name_lengths)
{
    CHECK(!auth_name_valid("", 0, 32));
    CHECK(valid("a", 32));
    CHECK(!valid("a", 0));
    CHECK(valid("abcd", 4));
    CHECK(!valid("abcde", 4));
    /* Characters, not bytes: three 2-byte and three 4-byte letters. */
    CHECK(valid("\xC3\xA9\xC3\xA9\xC3\xA9", 3));
    CHECK(!valid("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3));
    CHECK(valid("\xF0\xA0\x80\x80\xF0\xA0\x80\x80\xF0\xA0\x80\x80", 3)); /* U+20000 x 3 */
    /* 256 bytes at most, whatever max_chars says: 64 x U+20000 is 256 bytes. */
    char big[300];
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        n += enc(0x20000, big + n);
    CHECK(auth_name_valid(big, n, 1000));
    CHECK(!auth_name_valid(big, n, 63));
    big[n++] = 'a';
    CHECK(!auth_name_valid(big, n, 1000));
    memset(big, 'a', 256);
    CHECK(auth_name_valid(big, 256, 256));
    CHECK(!auth_name_valid(big, 257, 257));
    /* len is the length: a NUL inside is a control character. */
    CHECK(!auth_name_valid("ab\0cd", 5, 32));
}

TEST(test_name_spaces)
{
    CHECK(!valid(" alice", 32));
    CHECK(!valid("alice ", 32));
    CHECK(!valid(" ", 32));
    CHECK(!valid("\xC2\xA0"
                 "alice",
                 32));                      /* NBSP */
    CHECK(!valid("alice\xE3\x80\x80", 32)); /* U+3000 ideographic space */
    CHECK(!valid("alice\xE2\x80\x83", 32)); /* U+2003 em space */
    CHECK(!valid("\xE1\x9A\x80"
                 "alice",
                 32));                      /* U+1680 ogham space mark */
    CHECK(!valid("alice\xE2\x80\x8B", 32)); /* U+200B: not white space, refused anyway */
    CHECK(!valid("alice\xE2\xA0\x80", 32)); /* U+2800 braille blank */
    CHECK(valid("alice smith", 32));
    CHECK(valid("alice  smith", 32)); /* valid; its canonical form has one space */
    CHECK(valid("Client #7", 32));
}

TEST(test_name_punctuation_only)
{
    CHECK(!valid("...", 32));
    CHECK(!valid("!!!", 32));
    CHECK(!valid("-_-", 32));
    CHECK(!valid("#", 32));
    CHECK(!valid("\xE2\x82\xAC$", 32));    /* "€$" */
    CHECK(!valid("\xF0\x9F\x98\x80", 32)); /* an emoji alone */
    CHECK(!valid("\xCC\x81", 32));         /* a combining mark alone */
    CHECK(!valid("\xEE\x80\x80", 32));     /* private use alone */
    CHECK(!valid("- -", 32));
    CHECK(valid("a.", 32));
    CHECK(valid("_7", 32));
    CHECK(valid("7", 32));
    CHECK(valid("\xE6\x97\xA5\xE6\x9C\xAC", 32)); /* "日本" */
    CHECK(valid("\xF0\x9F\x98\x80x", 32));
    CHECK(valid("\xE2\x85\xA0", 32)); /* U+2160 roman numeral one: Nl */
}

TEST(test_name_refuses_unsafe)
{
    CHECK(!valid("al\nice", 32));
    CHECK(!valid("al\xE2\x80\x8D"
                 "ice",
                 32)); /* ZWJ */
    CHECK(!valid("al\xE2\x80\xAE"
                 "ice",
                 32)); /* RLO */
    CHECK(!valid("al\xCD\xB8"
                 "ice",
                 32)); /* U+0378 unassigned */
    CHECK(!valid("ali\xC2\xAD"
                 "ce",
                 32));                 /* soft hyphen */
    CHECK(!valid("\xE3\x85\xA4", 32)); /* U+3164 Hangul filler: a "blank" name */
}

/* ---- auth_name_canon --------------------------------------------------------------- */

/* Names in one group share a canonical form; names of different groups do not. */
static const char *const groups[][8] = {
    {"alice", "Alice", "ALICE", "\xEF\xBD\x81\xEF\xBD\x8C\xEF\xBD\x89\xEF\xBD\x83\xEF\xBD\x85",
     "\xD0\xB0lice", /* Cyrillic а */
     "\xEF\xBC\xA1LICE", "a1ice" /* "1" is confusable with "l" */},
    {"paypal", "PayPal", "p\xD0\xB0ypal", "\xD1\x80\xD0\xB0yp\xD0\xB0l" /* р, а, а Cyrillic */},
    {"rn", "m", "M", "RN"}, /* ICU 72 keys "m" as "rn", not the other way */
    {"modern", "rnodern", "MODERN"},
    {"bob", "Bob", "BOB", "b0b", "B0B", "bOb"}, /* "0" -> "O" -> "o": the second fold */
    {"strasse",
     "Stra\xC3\x9F"
     "e",
     "STRASSE"},
    {"\xC3\xA9t\xC3\xA9", "e\xCC\x81te\xCC\x81", "\xC3\x89T\xC3\x89"}, /* NFC, NFD, capitals */
    {"x y", "x\xC2\xA0y", "x\xE3\x80\x80y", "x  y", "x \xC2\xA0 y"},   /* spaces collapse */
    {"fin", "\xEF\xAC\x81n"},                                          /* the "fi" ligature */
};

TEST(test_canon_groups)
{
    const char *first[COUNT(groups)];
    for (size_t g = 0; g < COUNT(groups); g++) {
        first[g] = groups[g][0];
        for (size_t i = 1; i < 8 && groups[g][i]; i++) {
            bool ok = same(groups[g][0], groups[g][i]);
            CHECK(ok);
            if (!ok)
                fprintf(stderr, "  group %zu: \"%s\" -> [%s]", g, groups[g][i],
                        canon(groups[g][i]));
            if (!ok)
                fprintf(stderr, " vs [%s]\n", canon(groups[g][0]));
        }
    }
    for (size_t a = 0; a < COUNT(groups); a++)
        for (size_t b = a + 1; b < COUNT(groups); b++)
            CHECK(!same(first[a], first[b]));
    CHECK(!same("bob", "alice"));
    CHECK(!same("alice", "alice2"));
    CHECK(!same("alice", "alic"));
}

TEST(test_canon_exact)
{
    CHECK_EQ_STR(canon("Alice"), "alice");
    CHECK_EQ_STR(canon("\xD0\xB0lice"), "alice");
    CHECK_EQ_STR(canon("m"), "rn");
    CHECK_EQ_STR(canon("B0B"), "bob");
    CHECK_EQ_STR(canon("anonymous"), "anonyrnous");
    CHECK_EQ_STR(canon("Client #7"), "client #7");
    CHECK_EQ_STR(canon("a   b"), "a b");
    CHECK_EQ_STR(canon("Stra\xC3\x9F"
                       "e"),
                 "strasse");
    /* A canonical form is its own canonical form. */
    for (size_t g = 0; g < COUNT(groups); g++)
        for (size_t i = 0; i < 8 && groups[g][i]; i++) {
            char once[AUTH_CANON_MAX];
            snprintf(once, sizeof once, "%s", canon(groups[g][i]));
            CHECK_EQ_STR(canon(once), once);
        }
}

/* What ICU 72 does not treat as confusable, pinned so a change of ICU shows up here. */
TEST(test_canon_not_confusable_in_icu72)
{
    CHECK(!same("aIice", "alice")); /* capital I is folded to "i" before the skeleton */
    CHECK(same("aIice", "aiice"));
    CHECK(!same("cl", "d"));
    CHECK(!same("vv", "w"));
    CHECK(!same("rn", "rm"));
}

TEST(test_canon_buffers)
{
    char out[16];
    /* Exactly fits with its NUL; one byte less fails. */
    CHECK_EQ_INT(auth_name_canon("Alice", 5, out, 6), 5);
    CHECK_EQ_STR(out, "alice");
    CHECK_EQ_INT(auth_name_canon("Alice", 5, out, 5), -1);
    CHECK_EQ_INT(auth_name_canon("Alice", 5, out, 0), -1);
    /* "m" grows to "rn": the output size counts, not the input's. */
    CHECK_EQ_INT(auth_name_canon("mm", 2, out, 5), 4);
    CHECK_EQ_INT(auth_name_canon("mm", 2, out, 4), -1);
    /* Invalid UTF-8 has no canonical form. */
    CHECK_EQ_INT(auth_name_canon("a\xC3", 2, out, sizeof out), -1);
    CHECK_EQ_INT(auth_name_canon("\xED\xA0\x80", 3, out, sizeof out), -1);
    /* A valid name can have a canonical form too long to keep: U+FDFA is one letter that
     * NFKC makes 18 ("صلى الله عليه وسلم"). */
    char name[256], big[AUTH_CANON_MAX];
    size_t n = 0;
    name[n++] = 'a';
    for (int i = 0; i < 40; i++)
        n += enc(0xFDFA, name + n);
    CHECK(auth_name_valid(name, n, 64));
    CHECK_EQ_INT(auth_name_canon(name, n, big, sizeof big), -1);
    CHECK(auth_name_reserved(name, n)); /* no key: refused */
    /* Ten of them fit. */
    CHECK(auth_name_canon(name, 1 + 10 * 3, big, sizeof big) > 0);
}

/* ---- auth_name_reserved ------------------------------------------------------------ */

TEST(test_reserved)
{
    CHECK(reserved("anonymous"));
    CHECK(reserved("Anonymous"));
    CHECK(reserved("ANONYMOUS"));
    CHECK(reserved("\xD0\xB0nonymous"));     /* Cyrillic а */
    CHECK(reserved("anonyrnous"));           /* rn for m */
    CHECK(reserved("anonym\xD0\xBEus"));     /* Cyrillic о */
    CHECK(reserved("\xEF\xBD\x81nonymous")); /* fullwidth a */
    CHECK(reserved("Client #7"));
    CHECK(reserved("Client #"));
    CHECK(reserved("client #123"));
    CHECK(reserved("CLIENT #9 and more"));
    CHECK(reserved("\xD0\xA1lient #3"));                                      /* Cyrillic С */
    CHECK(reserved("Client\xC2\xA0#3"));                                      /* NBSP */
    CHECK(reserved("Client  #3"));                                            /* two spaces */
    CHECK(reserved("C1ient #3"));                                             /* 1 for l */
    CHECK(reserved("\xEF\xBC\xA3lient\xE3\x80\x80\xEF\xBC\x83\xEF\xBC\x97")); /* fullwidth */
    CHECK(!reserved("anonymous2"));
    CHECK(!reserved("anon"));
    CHECK(!reserved("my anonymous"));
    CHECK(!reserved("Client"));
    CHECK(!reserved("Client#7"));
    CHECK(!reserved("Client 7"));
    CHECK(!reserved("a Client #7"));
    CHECK(!reserved("alice"));
    /* Invalid UTF-8 has no canonical form: reserved, i.e. refused. */
    CHECK(auth_name_reserved("ali\xC3", 4));
}

/* ---- threads ----------------------------------------------------------------------- */

static void *canon_worker(void *arg)
{
    (void)arg;
    size_t bad = 0;
    for (int round = 0; round < 200; round++) {
        char out[AUTH_CANON_MAX];
        int n = auth_name_canon("\xD0\xB0LICE", 6, out, sizeof out);
        bad += n != 5 || memcmp(out, "alice", 5) != 0;
        n = auth_name_canon("B0B", 3, out, sizeof out);
        bad += n != 3 || memcmp(out, "bob", 3) != 0;
        bad += !auth_name_reserved("Anonymous", 9);
    }
    return (void *)(uintptr_t)bad;
}

/* Run first: the threads race for the once-only set-up. */
TEST(test_threads)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(pthread_create(&t[i], NULL, canon_worker, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *bad = NULL;
        CHECK_EQ_INT(pthread_join(t[i], &bad), 0);
        CHECK_EQ_INT((uintptr_t)bad, 0);
    }
}

int main(void)
{
    RUN(test_threads);
    RUN(test_text_safe_ordinary);
    RUN(test_text_safe_controls);
    RUN(test_text_safe_bidi);
    RUN(test_text_safe_invisible);
    RUN(test_text_safe_separators);
    RUN(test_text_safe_unassigned);
    RUN(test_text_safe_invalid_utf8);
    RUN(test_text_safe_every_code_point);
    RUN(test_name_lengths);
    RUN(test_name_spaces);
    RUN(test_name_punctuation_only);
    RUN(test_name_refuses_unsafe);
    RUN(test_text_safe_emoji_sequences);
    RUN(test_canon_groups);
    RUN(test_canon_exact);
    RUN(test_canon_not_confusable_in_icu72);
    RUN(test_canon_buffers);
    RUN(test_reserved);
    return TEST_MAIN_END();
}
