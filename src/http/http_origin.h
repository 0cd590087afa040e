/* http_origin - where a request says it goes and where it comes from: the Host it names,
 * checked against the names this server answers to (a page of a DNS name that an attacker
 * points at us carries that name in Host: DNS rebinding), and the Origin of the page that sent
 * it (ours, none, or another site's). The server and the REST layer decide by these rules
 * (docs/protocol.md, "Endpoints" and "Authentication").
 *
 * Pure: no state, no I/O, no allocation, no logging. String arguments are header values as
 * http_parse gives them (trimmed), NULL when the header is absent; they are only read during
 * the call. Names and schemes are compared without regard to ASCII case. */
#ifndef PARLEY_HTTP_ORIGIN_H
#define PARLEY_HTTP_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

/* The longest Host value taken: a DNS name (253) and ":65535". */
#define HTTP_HOST_MAX 259

/* Checks a Host value (uri-host [":" port], RFC 9110 7.2) against the names of this server.
 * Returns
 *   0    no Host (NULL or ""), or one of ours with any port or none: an IPv4 literal, an
 *        [IPv6] literal, "localhost" or a name ending in ".localhost" (browsers resolve those
 *        to loopback themselves, so no DNS can point them elsewhere), or one of names;
 *   400  not a valid Host value (RFC 9112 3.2): characters a host cannot hold, a bad IP
 *        literal or port, an empty name before a port, or longer than HTTP_HOST_MAX;
 *   421  a valid name that is none of ours.
 * names: comma-separated host names without ports ("box,box.lan,chat.example.com"), spaces
 * around commas ignored; NULL or "" for none. A single trailing dot of the Host's name
 * ("localhost.") is ignored. */
int http_host_check(const char *host, const char *names);

/* What the Origin header says about the page that sent a request. */
typedef enum {
    HTTP_ORIGIN_NONE,    /* no Origin: not a browser page's cross-origin request (a script,
                            or a browser's own same-origin GET, which leaves it out) */
    HTTP_ORIGIN_OURS,    /* this server's own origin, or one of the allowed ones */
    HTTP_ORIGIN_FOREIGN, /* any other, "null" and "" included */
} http_origin_t;

/* The Origin rule. An origin is ours when it equals the request's own origin, the scheme
 * ("https://" when https, else "http://") followed by host (the Host value as sent), or one
 * of allowed: comma-separated origins ("https://chat.example.com, https://x.example"), spaces
 * around commas and an entry's trailing '/' ignored; NULL or "" for none. Without a host,
 * only allowed can match. */
http_origin_t http_origin_check(const char *origin, const char *host, bool https,
                                const char *allowed);

/* True when X-Forwarded-Proto's first element is "https": the client's connection to a
 * reverse proxy was secure (the request's own scheme, for the Origin rule and the cookie's
 * Secure). */
bool http_forwarded_https(const char *forwarded_proto);

/* Reads a public URL ("https://chat.example.com", "http://10.0.0.5:8000/"): scheme http or
 * https, then a valid host with an optional port, then nothing or "/". Writes its origin,
 * lower case and without the scheme's default port ("https://chat.example.com"), into origin
 * (ocap bytes) and its host name without port or brackets ("chat.example.com") into host
 * (hcap bytes), both NUL-terminated. Returns 0, or -1 (nothing promised in the outputs) for
 * another scheme, user info, a path, a query, a bad host or port, or outputs too small. */
int http_url_origin(const char *url, char *origin, size_t ocap, char *host, size_t hcap);

/* The longest --base-path. */
#define HTTP_BASE_PATH_MAX 128

/* A sub-path to serve under (--base-path), as a reverse proxy forwards it: "" or "/" for the
 * root, else "/" and segments of URL-safe characters (A-Z a-z 0-9 - . _ ~), none empty, "."
 * or "..", at most HTTP_BASE_PATH_MAX bytes. Trailing slashes are dropped ("/chat/" ->
 * "/chat", "/" -> ""). Writes the result NUL-terminated to out (cap bytes); 0, or -1 when
 * in is not such a path or does not fit. */
int http_base_path(const char *in, char *out, size_t cap);

#endif
