/* client_auth - the token file, the password prompt, and POST /api/login; see
 * client_auth.h. */
#include "client/client_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <uv.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "client/client_conn.h"
#include "client/client_http.h"
#include "client/client_url.h"

#define TOKENS_FILE "tokens"
#define TOKEN_MAX 256

int client_auth_dir(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;
    /* XDG: a relative XDG_CONFIG_HOME is invalid and is ignored. */
    if (xdg && xdg[0] == '/')
        n = snprintf(out, cap, "%s/parley", xdg);
    else if (home && home[0])
        n = snprintf(out, cap, "%s/.config/parley", home);
    else
        return -1;
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The key the file names url by; -1 when url does not parse. */
static int key_of(const char *url, char *out, size_t cap)
{
    client_url_t u;
    const char *err;
    if (client_url_parse(url, &u, &err) < 0)
        return -1;
    return client_url_key(&u, out, cap);
}

static int file_path(const char *dir, char *out, size_t cap)
{
    char d[4096];
    if (!dir) {
        if (client_auth_dir(d, sizeof(d)) < 0)
            return -1;
        dir = d;
    }
    int n = snprintf(out, cap, "%s/%s", dir, TOKENS_FILE);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Reads the whole file into b; 0, 1 when it does not exist, -1 with *err. */
static int read_file(const char *path, buf_t *b, const char **err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        *err = strerror(errno);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        *err = "the token file is not a regular file";
        return -1;
    }
    if (st.st_mode & 077) {
        close(fd);
        *err = "the token file is readable by others: chmod 600 it";
        return -1;
    }
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        buf_append(b, chunk, (size_t)n);
    close(fd);
    if (n < 0) {
        *err = strerror(errno);
        return -1;
    }
    buf_append(b, "", 1);
    b->len--;
    return 0;
}

/* Calls fn on each "KEY TOKEN" line of text (NUL-terminated, modified in place). */
static void each_line(char *text, void (*fn)(const char *key, const char *token, void *arg),
                      void *arg)
{
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (!sp || line[0] == '#')
            continue;
        *sp = '\0';
        fn(line, sp + 1, arg);
    }
}

typedef struct {
    const char *key;
    char *found;
} find_t;

static void find_line(const char *key, const char *token, void *arg)
{
    find_t *f = arg;
    if (!strcmp(key, f->key) && !f->found && token[0])
        f->found = xstrdup(token);
}

char *client_auth_token_load(const char *dir, const char *url, const char **err)
{
    char key[1024], path[4200];
    *err = NULL;
    if (key_of(url, key, sizeof(key)) < 0 || file_path(dir, path, sizeof(path)) < 0)
        return NULL;
    buf_t b = BUF_INIT;
    int rc = read_file(path, &b, err);
    find_t f = {key, NULL};
    if (rc == 0)
        each_line(b.data, find_line, &f);
    buf_deinit(&b);
    return f.found;
}

typedef struct {
    const char *key;
    buf_t *out;
} keep_t;

static void keep_other(const char *key, const char *token, void *arg)
{
    keep_t *k = arg;
    if (strcmp(key, k->key) != 0)
        buf_appendf(k->out, "%s %s\n", key, token);
}

static int mkdir_private(const char *dir, const char **err)
{
    /* Its parents (~/.config) as the user's umask says; the last one 0700. */
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) {
            *err = strerror(errno);
            return -1;
        }
        *p = '/';
    }
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
        *err = strerror(errno);
        return -1;
    }
    struct stat st;
    if (stat(tmp, &st) < 0 || !S_ISDIR(st.st_mode)) {
        *err = "the config path is not a directory";
        return -1;
    }
    if ((st.st_mode & 077) && chmod(tmp, 0700) < 0) {
        *err = strerror(errno);
        return -1;
    }
    return 0;
}

/* Rewrites the file without url's line, plus "key token" when token is not NULL. */
static int rewrite(const char *dir, const char *url, const char *token, const char **err)
{
    char key[1024], d[4096], path[4200], tmp[4300];
    if (key_of(url, key, sizeof(key)) < 0) {
        *err = "bad URL";
        return -1;
    }
    if (token && (!token[0] || strlen(token) > TOKEN_MAX || strpbrk(token, " \n\r\t"))) {
        *err = "not a token";
        return -1;
    }
    if (!dir) {
        if (client_auth_dir(d, sizeof(d)) < 0) {
            *err = "neither XDG_CONFIG_HOME nor HOME is set";
            return -1;
        }
        dir = d;
    }
    if (mkdir_private(dir, err) < 0 || file_path(dir, path, sizeof(path)) < 0)
        return -1;
    buf_t old = BUF_INIT, out = BUF_INIT;
    int rc = read_file(path, &old, err);
    if (rc < 0) {
        buf_deinit(&old);
        return -1;
    }
    if (rc == 0) {
        keep_t k = {key, &out};
        each_line(old.data, keep_other, &k);
    }
    buf_deinit(&old);
    if (token)
        buf_appendf(&out, "%s %s\n", key, token);
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        *err = strerror(errno);
        buf_deinit(&out);
        return -1;
    }
    ssize_t w = out.len ? write(fd, out.data, out.len) : 0;
    bool ok = w == (ssize_t)out.len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    buf_deinit(&out);
    if (!ok || rename(tmp, path) < 0) {
        *err = strerror(errno ? errno : EIO);
        unlink(tmp);
        return -1;
    }
    return 0;
}

int client_auth_token_save(const char *dir, const char *url, const char *token, const char **err)
{
    return rewrite(dir, url, token, err);
}

int client_auth_token_forget(const char *dir, const char *url, const char **err)
{
    return rewrite(dir, url, NULL, err);
}

/* ---- POST /api/login ---- */

typedef struct {
    const char *body;
    char host[CLIENT_URL_HOST_MAX + 16];
    const char *base;
    client_http_t http;
    bool done;
    const char *why; /* the connection's failure */
    char why_buf[512];
} login_t;

static void on_login_connected(client_conn_t *c, void *ud)
{
    login_t *l = ud;
    buf_t req = BUF_INIT;
    buf_appendf(&req,
                "POST %s/api/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %zu\r\nConnection: close\r\nUser-Agent: parley-cli\r\n\r\n%s",
                l->base, l->host, strlen(l->body), l->body);
    client_conn_write(c, req.data, req.len);
    buf_deinit(&req);
}

static void on_login_data(client_conn_t *c, const uint8_t *p, size_t n, void *ud)
{
    login_t *l = ud;
    size_t used;
    if (l->done)
        return;
    int rc = client_http_feed(&l->http, (const char *)p, n, &used);
    if (rc != CLIENT_HTTP_MORE) {
        l->done = true;
        if (rc == CLIENT_HTTP_ERROR)
            l->why = l->http.error;
        client_conn_close(c);
    }
}

static void on_login_closed(client_conn_t *c, const char *why, int connected, void *ud)
{
    (void)c;
    (void)connected;
    login_t *l = ud;
    if (l->done)
        return;
    l->done = true;
    if (why) {
        snprintf(l->why_buf, sizeof(l->why_buf), "%s", why);
        l->why = l->why_buf;
    } else if (client_http_finish(&l->http) != CLIENT_HTTP_DONE) {
        l->why = l->http.error;
    }
}

int client_auth_login(const char *url, const char *name, const char *password, bool insecure,
                      const char *ca_file, char **token, char **code, char **message)
{
    *token = *code = *message = NULL;
    client_url_t u;
    const char *err;
    if (client_url_parse(url, &u, &err) < 0) {
        *code = xstrdup("bad_url");
        *message = xstrdup(err);
        return -1;
    }
    char why[512];
    net_tls_ctx_t *tls = NULL;
    if (u.tls && !(tls = net_tls_client_ctx_new(ca_file, insecure, why, sizeof(why)))) {
        *code = xstrdup("unreachable");
        *message = xstrdup(why);
        return -1;
    }
    json_t *body = json_pack("{s:s, s:s}", "name", name, "password", password);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        net_tls_ctx_free(tls);
        *code = xstrdup("bad_payload");
        *message = xstrdup("the name or password is not UTF-8");
        return -1;
    }
    login_t l = {.body = text, .base = u.base};
    client_url_host_header(&u, l.host, sizeof(l.host));
    client_http_init(&l.http);
    uv_loop_t loop;
    uv_loop_init(&loop);
    static const client_conn_cb_t cb = {on_login_connected, on_login_data, on_login_closed};
    client_conn_open(&loop, &u, tls, &cb, &l);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(text);
    net_tls_ctx_free(tls);
    int rc = -1;
    if (l.why || !l.http.head_done) {
        *code = xstrdup("unreachable");
        *message = xstrdup(l.why ? l.why : "no answer");
    } else {
        json_t *ans =
            json_loadb(l.http.body.data ? l.http.body.data : "", l.http.body.len, 0, NULL);
        const char *tok = json_string_value(json_object_get(ans, "token"));
        const char *ecode = json_string_value(json_object_get(ans, "error"));
        const char *emsg = json_string_value(json_object_get(ans, "message"));
        if (l.http.status == 200 && tok) {
            *token = xstrdup(tok);
            rc = 0;
        } else {
            char fallback[64];
            snprintf(fallback, sizeof(fallback), "HTTP %d", l.http.status);
            *code = xstrdup(ecode ? ecode : l.http.status == 404 ? "not_found" : "error");
            *message = xstrdup(emsg ? emsg : fallback);
        }
        json_decref(ans);
    }
    client_http_deinit(&l.http);
    return rc;
}
