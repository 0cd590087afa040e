/* http_response - builds HTTP/1.1 response heads into a caller's buffer; no I/O, no heap.
 *
 * Every builder writes into out (cap bytes, owned by the caller), returns the number of bytes
 * written (no NUL is counted, and none is promised), or -1 when the result would not fit in
 * cap or an argument is unusable; on -1 the contents of out are unspecified.
 *
 * Every response carries "Server: parley" and a Connection header; every one except 1xx and
 * 204 carries Content-Length (RFC 9110 8.6). String arguments are borrowed and must not
 * contain CR or LF, except extra_headers: NULL, "", or whole header lines, each ending in
 * "\r\n" ("Allow: GET, HEAD\r\n" for 405; "Upgrade: websocket\r\n" and
 * "Sec-WebSocket-Version: 13\r\n" for 426 as RFC 9110 15.5.22 and RFC 6455 4.4 ask). A 426
 * lists "Upgrade" in its Connection header, since a sender of Upgrade must (RFC 9110 7.8).
 *
 * What every response of a server carries besides (the 101 excepted) comes from
 * http_security_headers, passed in extra_headers. */
#ifndef PARLEY_HTTP_RESPONSE_H
#define PARLEY_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reason phrase for status ("Not Found"), "" for a code not in the table (the reason phrase
 * may be empty, RFC 9112 4). Static string; never NULL. Knows at least 101, 200, 201, 204,
 * 301, 304, 400, 401, 403, 404, 405, 408, 409, 413, 421, 426, 429, 431, 500, 501, 503, 505. */
const char *http_status_text(int status);

/* Status line and headers up to and including the blank line, for a body of content_length
 * bytes that the caller sends after it (or not, for HEAD). content_type may be NULL (no
 * Content-Type header). keep_alive picks "Connection: keep-alive" or "Connection: close".
 * status must be 100-599; use http_response_101 for 101. */
int http_response_head(char *out, size_t cap, int status, const char *content_type,
                       size_t content_length, bool keep_alive, const char *extra_headers);

/* The WebSocket handshake answer (RFC 6455 4.2.2): 101 Switching Protocols with
 * "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: <accept>" and, when
 * protocol is not NULL, "Sec-WebSocket-Protocol: <protocol>". */
int http_response_101(char *out, size_t cap, const char *accept, const char *protocol);

/* A whole error response, head and short JSON body {"error":"<reason phrase, lower case>"},
 * e.g. {"error":"not found"} for 404, with "Content-Type: application/json" and
 * "Cache-Control: no-store". head_only (the answer to HEAD) writes the same head but no
 * body. */
int http_response_error(char *out, size_t cap, int status, bool keep_alive, bool head_only,
                        const char *extra_headers);

/* The security header lines of every response the server makes (the 101 excepted), each
 * ending in "\r\n", NUL-terminated:
 *   Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self';
 *     img-src 'self' data:; connect-src 'self' ws://HOST wss://HOST; frame-ancestors 'none';
 *     base-uri 'none'; form-action 'self'
 *   X-Frame-Options: DENY
 *   Referrer-Policy: no-referrer
 *   X-Content-Type-Options: nosniff
 * HOST is ws_host, the request's Host once it was found to be ours (http_host_check): not
 * every browser lets 'self' cover ws: and wss: (CSP3 added it), and naming the page's own
 * host keeps connect-src as narrow. ws_host NULL, "", or holding anything but letters,
 * digits and "-._:[]" (or longer than HTTP_SECURITY_HOST_MAX): connect-src 'self' alone.
 * Returns the length (the NUL not counted), or -1 when it does not fit in cap, which never
 * happens with HTTP_SECURITY_HEADERS_MAX bytes. */
#define HTTP_SECURITY_HOST_MAX 259
#define HTTP_SECURITY_HEADERS_MAX 1024
int http_security_headers(char *out, size_t cap, const char *ws_host);

/* Writes unix_seconds as an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7),
 * for a "Date:" line in extra_headers. Returns 29, or -1 if cap < 30 (room for the NUL that
 * this one does write) or the time is out of range. */
int http_date(char *out, size_t cap, int64_t unix_seconds);

#endif
