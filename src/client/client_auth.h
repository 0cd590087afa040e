/* client_auth - how parley-cli signs in: the token file and `parley-cli login`.
 *
 * Tokens live in $XDG_CONFIG_HOME/parley/tokens (else ~/.config/parley/tokens): one line
 * per server, "URL TOKEN", the URL normalised by client_url_key (so http://h:80/ and
 * http://h name the same server). The directory is made 0700, the file written 0600
 * (through a temporary file and rename, so a crash never leaves half a file), and a file
 * readable by others is refused. */
#ifndef PARLEY_CLIENT_AUTH_H
#define PARLEY_CLIENT_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/* The directory the token file lives in, from the environment: out (caller's, cap
 * bytes). 0, or -1 when neither XDG_CONFIG_HOME nor HOME is set or it does not fit. */
int client_auth_dir(char *out, size_t cap);

/* The token saved for url in the file under dir (NULL: client_auth_dir's): a fresh
 * string the caller frees, or NULL when none (or the file is unusable: *err says why,
 * NULL when there simply is none). */
char *client_auth_token_load(const char *dir, const char *url, const char **err);

/* Saves token for url under dir (NULL: client_auth_dir's), replacing that server's line.
 * 0, or -1 with *err set (static text; errno-based reasons come from strerror). */
int client_auth_token_save(const char *dir, const char *url, const char *token, const char **err);

/* Forgets url's token. 0 (also when there was none), or -1 with *err. */
int client_auth_token_forget(const char *dir, const char *url, const char **err);

/* POST {base}/api/login {"name", "password"} and wait for the answer (runs its own
 * loop). On 200: 0 and *token (fresh string). Else -1 with *code the server's error code
 * ("bad_credentials", "banned", "rate_limited", ...) or "unreachable" (fresh strings in
 * *code and *message; the caller frees them). insecure: https without verification. */
int client_auth_login(const char *url, const char *name, const char *password, bool insecure,
                      const char *ca_file, char **token, char **code, char **message);

#endif
