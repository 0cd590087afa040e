/* log - levelled stderr logger. One fprintf per line keeps lines whole when the store's
 * writer thread logs at the same time as the loop. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int log_level = LOG_INFO;
int log_format = LOG_TEXT;

int log_parse_format(const char *s)
{
    return strcmp(s, "text") == 0 ? LOG_TEXT : strcmp(s, "json") == 0 ? LOG_JSON : -1;
}

/* s as the inside of a JSON string, into out (cap bytes, cut whole at an escape). */
static void json_escape(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
        } else {
            out[n++] = (char)ch;
        }
    }
    out[n] = '\0';
}

int log_parse_level(const char *s)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* The format attribute lets callers' formats be checked through log_msg and log_conn, and
 * keeps clang's -Wformat-nonliteral quiet about passing fmt on. */
__attribute__((format(printf, 3, 0))) static void vlog(int level, const char *prefix,
                                                       const char *fmt, va_list ap)
{
    if (level < log_level)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32], line[1024];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    vsnprintf(line, sizeof(line), fmt, ap);
    if (log_format == LOG_JSON) {
        static const char *const names[] = {"debug", "info", "warn", "error"};
        char msg[sizeof(line) * 2], conn[256];
        json_escape(line, msg, sizeof(msg));
        json_escape(prefix ? prefix : "", conn, sizeof(conn));
        fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"%s%s%s}\n", when,
                ts.tv_nsec / 1000000, names[level & 3], msg, prefix ? ",\"conn\":\"" : "", conn,
                prefix ? "\"" : "");
        return;
    }
    fprintf(stderr, "%s.%03ldZ %c %s%s%s%s\n", when, ts.tv_nsec / 1000000, "DIWE"[level & 3],
            prefix ? "[" : "", prefix ? prefix : "", prefix ? "] " : "", line);
}

void log_msg(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void log_conn(int level, const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, prefix, fmt, ap);
    va_end(ap);
}
