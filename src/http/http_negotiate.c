/* http_negotiate - Accept-Encoding weights and If-None-Match lists; see http_negotiate.h.
 *
 * Both headers are lists walked once, member by member, with a cursor; nothing is copied. */
#include "http/http_negotiate.h"

#include <string.h>
#include <strings.h>

static bool is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

static const char *skip_ows(const char *s)
{
    while (is_ows(*s))
        s++;
    return s;
}

/* A qvalue (RFC 9110 12.4.2) in thousandths: "0", "0.5", "1", "1.000"; -1 if malformed.
 * s..end is the value with surrounding whitespace already trimmed. */
static int parse_qvalue(const char *s, const char *end)
{
    if (s == end || (*s != '0' && *s != '1'))
        return -1;
    int whole = *s++ - '0';
    int frac = 0, digits = 0;
    if (s < end) {
        if (*s++ != '.')
            return -1;
        for (; s < end; s++, digits++) {
            if (digits == 3 || *s < '0' || *s > '9')
                return -1;
            frac = frac * 10 + (*s - '0');
        }
    }
    for (int d = digits; d < 3; d++)
        frac *= 10;
    if (whole == 1 && frac != 0)
        return -1;
    return whole * 1000 + frac;
}

/* The weight of one member's parameters (the text after its coding, up to the comma):
 * 1000 when there is no q, the q in thousandths, or -1 if a q is malformed. */
static int member_weight(const char *s, const char *end)
{
    int q = 1000;
    while (s < end) {
        if (*s != ';')
            return -1;
        s = skip_ows(s + 1);
        const char *p = s;
        while (p < end && *p != ';')
            p++;
        const char *v_end = p;
        while (v_end > s && is_ows(v_end[-1]))
            v_end--;
        const char *eq = s;
        while (eq < v_end && *eq != '=')
            eq++;
        const char *n_end = eq;
        while (n_end > s && is_ows(n_end[-1]))
            n_end--;
        if (n_end - s == 1 && (*s == 'q' || *s == 'Q')) {
            if (eq == v_end)
                return -1;
            q = parse_qvalue(skip_ows(eq + 1), v_end);
            if (q < 0)
                return -1;
        }
        s = p;
    }
    return q;
}

static bool token_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

bool http_accepts_gzip(const char *ae)
{
    if (!ae)
        return false;
    int gzip = -1, identity = -1, star = -1; /* -1: not named */
    const char *s = ae;
    while (*s) {
        s = skip_ows(s);
        const char *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        const char *c_end = s;
        while (c_end < end && *c_end != ';' && !is_ows(*c_end))
            c_end++;
        size_t n = (size_t)(c_end - s);
        const char *params = skip_ows(c_end);
        const char *m_end = end;
        while (m_end > params && is_ows(m_end[-1]))
            m_end--;
        int q = n ? member_weight(params, m_end) : -1;
        if (q >= 0) {
            if (token_is(s, n, "gzip") || token_is(s, n, "x-gzip"))
                gzip = q > gzip ? q : gzip;
            else if (token_is(s, n, "identity"))
                identity = q;
            else if (token_is(s, n, "*"))
                star = q;
        }
        s = *end ? end + 1 : end;
    }
    if (gzip < 0)
        gzip = star < 0 ? 0 : star;
    return gzip > 0 && gzip >= identity;
}

bool http_etag_matches(const char *inm, const char *etag)
{
    if (!inm || !etag)
        return false;
    const char *star = skip_ows(inm);
    if (*star == '*' && *skip_ows(star + 1) == '\0')
        return true;
    if (strncmp(etag, "W/", 2) == 0)
        etag += 2;
    size_t elen = strlen(etag);
    const char *s = inm;
    for (;;) {
        s = skip_ows(s);
        if (*s == ',') { /* an empty member (RFC 9110 5.6.1 lets a recipient skip it) */
            s++;
            continue;
        }
        if (*s == '\0')
            return false;
        if (strncmp(s, "W/", 2) == 0)
            s += 2;
        if (*s != '"')
            return false;
        const char *close = strchr(s + 1, '"');
        if (!close)
            return false;
        size_t n = (size_t)(close + 1 - s);
        if (n == elen && memcmp(s, etag, n) == 0)
            return true;
        s = skip_ows(close + 1);
        if (*s != ',')
            return false; /* the end, or garbage after a tag */
    }
}
