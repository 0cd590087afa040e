/* auth_name - which characters a name may hold, and the canonical form it is unique in.
 *
 * Refusals (auth_text_safe) go by ICU's character properties, so they follow the Unicode
 * version ICU carries (15.0 for ICU 72): general category Cc, Cn, Zl, Zp, the properties
 * Default_Ignorable_Code_Point and Bidi_Control, and a short table of the characters the
 * header names, kept explicit so that a property change in a later Unicode version cannot
 * quietly let one of them back in.
 *
 * The canonical form is a pipeline over two UTF-16 buffers used in turn (ICU's functions
 * never work in place): UTF-8 -> NFKC -> full case fold -> UTS #39 skeleton ->
 * NFKC_Casefold -> runs of spaces made one -> UTF-8. The skeleton's prototypes may be
 * capitals ("0" -> "O"), hence the second fold: without it "b0b" keys as "bOb" while
 * "bob" keys as "bob". Spaces are collapsed because HTML shows "a  b" as "a b".
 *
 * Shared state is built once under a pthread_once and never written again: the spoof
 * checker (const after uspoof_open: ICU documents the const functions as thread-safe),
 * the two normalizers (ICU-owned singletons) and the canonical forms of the reserved
 * names. If ICU cannot start, every canonical form fails and every name is reserved. */
#include "auth/auth_name.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "base/utf8.h"

#define NAME_MAX_BYTES 256
/* UTF-16 units of each intermediate form: a canonical form that fits AUTH_CANON_MAX bytes
 * is at most AUTH_CANON_MAX units, and what comes before the last NFKC can be longer (the
 * skeleton is decomposed). Anything larger does not fit anyway. */
#define CANON_UNITS (4 * AUTH_CANON_MAX)

#define RESERVED_ANONYMOUS "anonymous"
#define RESERVED_CLIENT "Client #"

static pthread_once_t name_once = PTHREAD_ONCE_INIT;
static USpoofChecker *name_spoof;
static const UNormalizer2 *name_nfkc, *name_nfkc_cf;
static bool name_ready;
static char anon_canon[64], client_canon[64];
static size_t anon_len, client_len;

/* The characters the header lists by name. All of them are Default_Ignorable or
 * Bidi_Control in Unicode 15 too; U+2800 (braille pattern blank) is neither, but it is
 * drawn as nothing and is the usual way of making a "blank" name. */
static const struct {
    UChar32 lo, hi;
} refused_ranges[] = {
    {0x061C, 0x061C}, {0x115F, 0x1160}, {0x180E, 0x180E}, {0x200B, 0x200F},
    {0x202A, 0x202E}, {0x2060, 0x2064}, {0x2066, 0x2069}, {0x2800, 0x2800},
    {0x3164, 0x3164}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0},
};

static bool cp_refused(UChar32 c)
{
    for (size_t i = 0; i < sizeof refused_ranges / sizeof refused_ranges[0]; i++)
        if (c >= refused_ranges[i].lo && c <= refused_ranges[i].hi)
            return true;
    switch (u_charType(c)) {
    case U_CONTROL_CHAR: /* newlines and tabs included: a topic is one line */
    case U_UNASSIGNED:   /* noncharacters too: Cn */
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
        return true;
    default:
        break;
    }
    return u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
           u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL);
}

/* The invisible characters emoji are made of, where they make one: a variation selector
 * (U+FE0E/U+FE0F) right after an emoji ("❤️" is U+2764 U+FE0F), and a zero-width joiner
 * between two pictographs (family and profession emoji). Anywhere else they hide text. */
static bool emoji_part(UChar32 prev, UChar32 c, UChar32 next)
{
    if (c == 0xFE0E || c == 0xFE0F)
        return prev >= 0 && u_hasBinaryProperty(prev, UCHAR_EMOJI);
    if (c == 0x200D)
        return prev >= 0 && next >= 0 &&
               (prev == 0xFE0F || u_hasBinaryProperty(prev, UCHAR_EXTENDED_PICTOGRAPHIC)) &&
               u_hasBinaryProperty(next, UCHAR_EXTENDED_PICTOGRAPHIC);
    return false;
}

/* auth_text_safe, with emoji sequences allowed or not (names: not). */
static bool text_check(const char *s, size_t len, bool emoji)
{
    if (!utf8_valid((const uint8_t *)s, len))
        return false;
    const uint8_t *p = (const uint8_t *)s;
    UChar32 prev = -1;
    for (size_t i = 0; i < len;) {
        UChar32 c;
        U8_NEXT_UNSAFE(p, i, c); /* validated above */
        if (cp_refused(c)) {
            UChar32 next = -1;
            if (i < len) {
                size_t j = i;
                U8_NEXT_UNSAFE(p, j, next);
            }
            if (!emoji || !emoji_part(prev, c, next))
                return false;
        }
        prev = c;
    }
    return true;
}

bool auth_text_safe(const char *s, size_t len)
{
    return text_check(s, len, true);
}

bool auth_name_valid(const char *s, size_t len, size_t max_chars)
{
    if (len == 0 || len > NAME_MAX_BYTES || !text_check(s, len, false))
        return false;
    const uint8_t *p = (const uint8_t *)s;
    size_t count = 0;
    bool letter_or_digit = false;
    UChar32 c = 0;
    for (size_t i = 0; i < len;) {
        U8_NEXT_UNSAFE(p, i, c);
        if (count++ == 0 && u_isUWhiteSpace(c))
            return false;
        /* "Not only punctuation or symbols": a name needs something to read. */
        if (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK))
            letter_or_digit = true;
    }
    return count <= max_chars && !u_isUWhiteSpace(c) && letter_or_digit;
}

/* Makes every run of U+0020 one space. Returns the new length. */
static int32_t collapse_spaces(UChar *u, int32_t n)
{
    int32_t w = 0;
    for (int32_t r = 0; r < n; r++)
        if (u[r] != 0x20 || w == 0 || u[w - 1] != 0x20)
            u[w++] = u[r];
    return w;
}

/* The pipeline of the file comment, with name_once already run. a and b are the two
 * buffers of CANON_UNITS. Returns the length written to out, or -1. */
static int canon_run(const char *s, size_t len, char *out, size_t size, UChar *a, UChar *b)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = 0;
    if (!name_spoof || len > INT32_MAX || size == 0)
        return -1;
    u_strFromUTF8(a, CANON_UNITS, &n, s, (int32_t)len, &st); /* strict: ill-formed fails */
    n = unorm2_normalize(name_nfkc, a, n, b, CANON_UNITS, &st);
    n = u_strFoldCase(a, CANON_UNITS, b, n, U_FOLD_CASE_DEFAULT, &st);
    /* The type argument is ignored since ICU 58: there is one skeleton. */
    n = uspoof_getSkeleton(name_spoof, 0, a, n, b, CANON_UNITS, &st);
    n = unorm2_normalize(name_nfkc_cf, b, n, a, CANON_UNITS, &st);
    if (U_FAILURE(st))
        return -1;
    n = collapse_spaces(a, n);
    int32_t cap = size > INT32_MAX ? INT32_MAX : (int32_t)size, m = 0;
    u_strToUTF8(out, cap, &m, a, n, &st);
    /* m == cap leaves no room for the NUL (a warning, not a failure, in ICU). */
    if (U_FAILURE(st) || m >= cap)
        return -1;
    return (int)m;
}

static void name_init(void)
{
    UErrorCode st = U_ZERO_ERROR;
    name_nfkc = unorm2_getNFKCInstance(&st);
    name_nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    name_spoof = uspoof_open(&st);
    if (U_FAILURE(st)) {
        if (name_spoof)
            uspoof_close(name_spoof);
        name_spoof = NULL;
        return;
    }
    static UChar a[CANON_UNITS], b[CANON_UNITS]; /* once only, under the once-flag */
    int an = canon_run(RESERVED_ANONYMOUS, sizeof RESERVED_ANONYMOUS - 1, anon_canon,
                       sizeof anon_canon, a, b);
    int cn = canon_run(RESERVED_CLIENT, sizeof RESERVED_CLIENT - 1, client_canon,
                       sizeof client_canon, a, b);
    if (an <= 0 || cn <= 0)
        return;
    anon_len = (size_t)an;
    client_len = (size_t)cn;
    name_ready = true;
}

int auth_name_canon(const char *s, size_t len, char *out, size_t size)
{
    pthread_once(&name_once, name_init);
    if (!name_ready)
        return -1;
    UChar a[CANON_UNITS], b[CANON_UNITS]; /* 16 KiB of stack, no allocation to fail */
    return canon_run(s, len, out, size, a, b);
}

bool auth_name_reserved(const char *s, size_t len)
{
    char canon[AUTH_CANON_MAX];
    int n = auth_name_canon(s, len, canon, sizeof canon);
    if (n < 0)
        return true; /* no key, no name: refuse rather than guess */
    size_t k = (size_t)n;
    if (k == anon_len && memcmp(canon, anon_canon, k) == 0)
        return true;
    return k >= client_len && memcmp(canon, client_canon, client_len) == 0;
}
