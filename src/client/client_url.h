/* client_url - the server URLs parley-cli takes: http://, https://, ws://, wss://, a host
 * (name, IPv4, or [IPv6]), an optional port, an optional base path (--base-path). No I/O.
 *
 * http and ws mean plain TCP (default port 80), https and wss TLS (443). The WebSocket
 * lives at {base}/ws and the REST API at {base}/api/..., whichever scheme was written. */
#ifndef PARLEY_CLIENT_URL_H
#define PARLEY_CLIENT_URL_H

#include <stdbool.h>
#include <stddef.h>

#define CLIENT_URL_HOST_MAX 256
#define CLIENT_URL_BASE_MAX 256

typedef struct {
    bool tls;
    char host[CLIENT_URL_HOST_MAX]; /* without brackets for IPv6 */
    bool ipv6;                      /* host was written [in brackets] */
    int port;
    char base[CLIENT_URL_BASE_MAX]; /* "" or "/chat" (no trailing slash) */
} client_url_t;

/* Parses s. 0, or -1 with *err a static reason ("unknown scheme", "bad port", ...). A
 * query or fragment is refused; a trailing slash is dropped. */
int client_url_parse(const char *s, client_url_t *u, const char **err);

/* The Host header value: host, or host:port when the port is not the scheme's default;
 * IPv6 in brackets. 0, or -1 when out is too small. */
int client_url_host_header(const client_url_t *u, char *out, size_t cap);

/* The canonical form naming the server in the token file: "https://host:port/base".
 * 0, or -1 when out is too small. */
int client_url_key(const client_url_t *u, char *out, size_t cap);

#endif
