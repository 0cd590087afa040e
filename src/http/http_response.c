/* http_response - response heads written into a caller's buffer; see http_response.h.
 *
 * One small bounded writer (writer_t) appends to the caller's buffer and remembers if
 * anything did not fit, so each builder is a straight list of lines and checks once at the
 * end. No printf: the only numbers are a status code, a length and a date. Header order is
 * fixed (status line, Server, then the response's own headers, then the caller's), so the
 * bytes are predictable and testable. */
#include "http/http_response.h"

#include <limits.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *out;
    size_t cap;
    size_t len;
    bool failed; /* something did not fit, or an argument was unusable */
} writer_t;

static void put(writer_t *w, const char *s, size_t n)
{
    if (w->failed || n > w->cap - w->len) {
        w->failed = true;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

static void put_str(writer_t *w, const char *s)
{
    put(w, s, strlen(s));
}

/* Decimal, zero-padded to at least min_digits. */
static void put_num(writer_t *w, uintmax_t v, int min_digits)
{
    char tmp[24];
    int i = (int)sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v || (int)sizeof(tmp) - i < min_digits);
    put(w, tmp + i, sizeof(tmp) - (size_t)i);
}

/* "Name: value\r\n"; a value with CR or LF would split the header, so it is refused. */
static void put_header(writer_t *w, const char *name, const char *value)
{
    if (strpbrk(value, "\r\n")) {
        w->failed = true;
        return;
    }
    put_str(w, name);
    put(w, ": ", 2);
    put_str(w, value);
    put(w, "\r\n", 2);
}

static void put_extra(writer_t *w, const char *extra)
{
    if (!extra || !*extra)
        return;
    size_t n = strlen(extra);
    if (n < 2 || extra[n - 2] != '\r' || extra[n - 1] != '\n') {
        w->failed = true;
        return;
    }
    put(w, extra, n);
}

static void put_status_line(writer_t *w, int status)
{
    put_str(w, "HTTP/1.1 ");
    put_num(w, (uintmax_t)status, 3);
    put(w, " ", 1);
    put_str(w, http_status_text(status));
    put_str(w, "\r\nServer: parley\r\n");
}

static int finish(const writer_t *w)
{
    return w->failed || w->len > INT_MAX ? -1 : (int)w->len;
}

const char *http_status_text(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 421:
        return "Misdirected Request";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "";
    }
}

/* Status line through Connection; the caller adds its own lines and the blank line. */
static void put_head_start(writer_t *w, int status, const char *content_type, size_t content_length,
                           bool keep_alive)
{
    if (status < 100 || status > 599) {
        w->failed = true;
        return;
    }
    put_status_line(w, status);
    if (content_type)
        put_header(w, "Content-Type", content_type);
    if (status >= 200 && status != 204) {
        put_str(w, "Content-Length: ");
        put_num(w, content_length, 1);
        put(w, "\r\n", 2);
    }
    /* A 426 names the protocol to switch to in its Upgrade line (the caller's), and a sender
     * of Upgrade lists it in Connection, so no intermediary forwards it (RFC 9110 7.8). */
    if (status == 426)
        put_str(w, keep_alive ? "Connection: Upgrade, keep-alive\r\n"
                              : "Connection: Upgrade, close\r\n");
    else
        put_str(w, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
}

int http_response_head(char *out, size_t cap, int status, const char *content_type,
                       size_t content_length, bool keep_alive, const char *extra_headers)
{
    writer_t w = {out, cap, 0, false};
    put_head_start(&w, status, content_type, content_length, keep_alive);
    put_extra(&w, extra_headers);
    put(&w, "\r\n", 2);
    return finish(&w);
}

int http_response_101(char *out, size_t cap, const char *accept, const char *protocol)
{
    writer_t w = {out, cap, 0, false};
    put_status_line(&w, 101);
    put_str(&w, "Upgrade: websocket\r\nConnection: Upgrade\r\n");
    put_header(&w, "Sec-WebSocket-Accept", accept);
    if (protocol)
        put_header(&w, "Sec-WebSocket-Protocol", protocol);
    put(&w, "\r\n", 2);
    return finish(&w);
}

int http_response_error(char *out, size_t cap, int status, bool keep_alive, bool head_only,
                        const char *extra_headers)
{
    /* The body: {"error":"<reason in lower case>"}; reasons are short ASCII words, so
     * nothing needs escaping. */
    char body[80];
    writer_t b = {body, sizeof(body), 0, false};
    const char *text = http_status_text(status);
    put_str(&b, "{\"error\":\"");
    for (const char *t = *text ? text : "error"; *t; t++) {
        if (*t >= 'A' && *t <= 'Z')
            put(&b, &"abcdefghijklmnopqrstuvwxyz"[*t - 'A'], 1);
        else
            put(&b, t, 1);
    }
    put_str(&b, "\"}");
    if (b.failed)
        return -1;

    writer_t w = {out, cap, 0, false};
    put_head_start(&w, status, "application/json", b.len, keep_alive);
    put_str(&w, "Cache-Control: no-store\r\n");
    put_extra(&w, extra_headers);
    put(&w, "\r\n", 2);
    if (!head_only)
        put(&w, body, b.len);
    return finish(&w);
}

/* Host values fit for a CSP source: what http_host_check lets through as ours, never a ';',
 * ',', quote or space that would end the source or the directive. */
static bool csp_host_ok(const char *h)
{
    size_t n = h ? strlen(h) : 0;
    if (n == 0 || n > HTTP_SECURITY_HOST_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = h[i];
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && !strchr("-._:[]", ch))
            return false;
    }
    return true;
}

int http_security_headers(char *out, size_t cap, const char *ws_host)
{
    writer_t w = {out, cap, 0, false};
    put_str(&w, "Content-Security-Policy: default-src 'self'; script-src 'self'; "
                "style-src 'self'; img-src 'self' data:; connect-src 'self'");
    if (csp_host_ok(ws_host)) {
        put_str(&w, " ws://");
        put_str(&w, ws_host);
        put_str(&w, " wss://");
        put_str(&w, ws_host);
    }
    put_str(&w, "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n"
                "X-Frame-Options: DENY\r\n"
                "Referrer-Policy: no-referrer\r\n"
                "X-Content-Type-Options: nosniff\r\n");
    put(&w, "", 1); /* the NUL, not counted */
    return w.failed ? -1 : (int)w.len - 1;
}

int http_date(char *out, size_t cap, int64_t unix_seconds)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    time_t t = (time_t)unix_seconds;
    if (cap < 30 || (int64_t)t != unix_seconds || !gmtime_r(&t, &tm) || tm.tm_year < -1900 ||
        tm.tm_year > 9999 - 1900)
        return -1;
    int year = tm.tm_year + 1900;
    writer_t w = {out, cap, 0, false};
    put(&w, days[tm.tm_wday], 3);
    put(&w, ", ", 2);
    put_num(&w, (uintmax_t)tm.tm_mday, 2);
    put(&w, " ", 1);
    put(&w, months[tm.tm_mon], 3);
    put(&w, " ", 1);
    put_num(&w, (uintmax_t)year, 4);
    put(&w, " ", 1);
    put_num(&w, (uintmax_t)tm.tm_hour, 2);
    put(&w, ":", 1);
    put_num(&w, (uintmax_t)tm.tm_min, 2);
    put(&w, ":", 1);
    put_num(&w, (uintmax_t)tm.tm_sec, 2);
    put(&w, " GMT", 4);
    out[w.len] = '\0';
    return finish(&w);
}
