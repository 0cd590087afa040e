/* log - the one levelled logger (Redis serverLog style): a line per event on stderr,
 * "2026-11-22T21:40:00.123Z W [c42 127.0.0.1:5000] text", or with log_format LOG_JSON one
 * JSON object per line: {"ts":"2026-11-22T21:40:00.123Z","level":"warn","msg":"text",
 * "conn":"c42 127.0.0.1:5000"} ("conn" only on connection lines). Connection lines carry
 * their id and peer through log_conn's prefix argument. Codecs never log.
 *
 * What is logged at info and above never holds a message's text, a token or a password:
 * those are the users' (docs/metrics.md, "Logs"). */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H

enum { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

extern int log_level; /* lines below it are dropped; default LOG_INFO */

enum { LOG_TEXT = 0, LOG_JSON = 1 };
extern int log_format; /* LOG_TEXT (default) or LOG_JSON; set before any thread logs */

/* Parses "text" or "json"; returns the format or -1. */
int log_parse_format(const char *s);

/* Parses "debug", "info", "warn", "error"; returns the level or -1. */
int log_parse_level(const char *s);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, with a bracketed prefix such as "c42 127.0.0.1:5000". */
void log_conn(int level, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
