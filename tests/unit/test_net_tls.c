/* net_tls: a server session driven against an OpenSSL client session, both in memory (the
 * client on memory BIOs, the server on net_tls's own), no sockets. The handshake and
 * records at every split the cases need, TLS 1.2 and 1.3, the versions refused, what is not
 * TLS, close_notify both ways, the plaintext bound of one read, and the context: files
 * that cannot be used (named in the error), and a reload that serves new sessions while an
 * old one goes on with the old certificate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/buf.h"
#include "net/net_tls.h"
#include "test.h"

static char dir[64];
static char cert_a[128], key_a[128], cert_b[128], key_b[128], live_cert[128], live_key[128];

/* ---- certificates ---- */

/* A self-signed P-256 certificate for CN=cn, written as PEM to cert and its key to key. */
static void make_cert(const char *cn, const char *cert, const char *key)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(rand() & 0x7fffffff));
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pk);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, pk, EVP_sha256());
    FILE *f = fopen(cert, "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key, "w");
    PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char b[4096];
    size_t n;
    while ((n = fread(b, 1, sizeof(b), in)) > 0)
        fwrite(b, 1, n, out);
    fclose(in);
    fclose(out);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* ---- a client in memory ---- */

typedef struct {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio; /* the client reads what the server sent from rbio, writes to wbio */
} client_t;

static void client_init(client_t *c, int min_version, int max_version)
{
    c->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_security_level(c->ctx, 0); /* so that an old client can offer TLS 1.1 */
    SSL_CTX_set_min_proto_version(c->ctx, min_version);
    SSL_CTX_set_max_proto_version(c->ctx, max_version);
    if (max_version <= TLS1_1_VERSION)
        SSL_CTX_set_cipher_list(c->ctx, "ALL:@SECLEVEL=0");
    c->ssl = SSL_new(c->ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(c->rbio, -1); /* empty is "not yet", not the end */
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    SSL_set_connect_state(c->ssl);
}

static void client_deinit(client_t *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    ERR_clear_error();
}

/* What the client has to send, taken out of its BIO. */
static void client_take(client_t *c, buf_t *out)
{
    char b[4096];
    int n;
    while ((n = BIO_read(c->wbio, b, sizeof(b))) > 0)
        buf_append(out, b, (size_t)n);
}

static uint8_t plain[256 * 1024];

/* Feeds in to the server in pieces of at most step bytes; appends what it decrypts to got and
 * what it sends to the client's BIO. Returns the last result. */
static int feed(net_tls_t *s, client_t *c, const buf_t *in, size_t step, buf_t *got)
{
    int rc = NET_TLS_OK;
    for (size_t off = 0; off < in->len && rc == NET_TLS_OK; off += step) {
        size_t n = in->len - off < step ? in->len - off : step;
        buf_t out = BUF_INIT;
        size_t pl = 0;
        rc = net_tls_read(s, (const uint8_t *)in->data + off, n, plain, n + NET_TLS_READ_SLACK, &pl,
                          &out);
        if (got)
            buf_append(got, plain, pl);
        if (out.len)
            BIO_write(c->rbio, out.data, (int)out.len);
        buf_deinit(&out);
    }
    return rc;
}

/* Runs the handshake, the client's bytes fed in steps of step; true when both ends finish. */
static bool handshake(net_tls_t *s, client_t *c, size_t step)
{
    for (int round = 0; round < 10; round++) {
        int r = SSL_do_handshake(c->ssl);
        int err = SSL_get_error(c->ssl, r); /* now: writing to its BIO clears the retry flag */
        buf_t in = BUF_INIT;
        client_take(c, &in);
        int rc = feed(s, c, &in, step, NULL);
        buf_deinit(&in);
        if (rc != NET_TLS_OK)
            return false;
        if (r == 1 && net_tls_ready(s))
            return true;
        if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ)
            return false;
    }
    return false;
}

/* The client sends p; the server decrypts it, fed in steps of step. */
static void client_send(net_tls_t *s, client_t *c, const void *p, size_t len, size_t step,
                        buf_t *got)
{
    CHECK_EQ_INT(SSL_write(c->ssl, p, (int)len), (int)len);
    buf_t in = BUF_INIT;
    client_take(c, &in);
    CHECK_EQ_INT(feed(s, c, &in, step, got), NET_TLS_OK);
    buf_deinit(&in);
}

/* The server sends p; returns what the client reads of it. */
static void server_send(net_tls_t *s, client_t *c, const void *p, size_t len, buf_t *got)
{
    buf_t out = BUF_INIT;
    CHECK_EQ_INT(net_tls_write(s, p, len, &out), NET_TLS_OK);
    BIO_write(c->rbio, out.data, (int)out.len);
    buf_deinit(&out);
    char b[16384];
    int n;
    while ((n = SSL_read(c->ssl, b, sizeof(b))) > 0)
        buf_append(got, b, (size_t)n);
}

static net_tls_ctx_t *ctx_a(void)
{
    char err[512] = "";
    net_tls_ctx_t *x = net_tls_ctx_new(cert_a, key_a, err, sizeof(err));
    if (!x)
        fprintf(stderr, "ctx: %s\n", err);
    return x;
}

/* ---- tests ---- */

TEST(test_handshake_and_data_both_ways)
{
    net_tls_ctx_t *x = ctx_a();
    CHECK(x != NULL);
    const int versions[] = {TLS1_3_VERSION, TLS1_2_VERSION};
    const char *names[] = {"TLSv1.3", "TLSv1.2"};
    const size_t steps[] = {1 << 20, 1, 7, 300};
    for (int v = 0; v < 2; v++) {
        for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
            client_t c;
            client_init(&c, versions[v], versions[v]);
            net_tls_t *s = net_tls_new(x);
            CHECK(!net_tls_ready(s));
            CHECK(handshake(s, &c, steps[k]));
            CHECK_EQ_STR(net_tls_version(s), names[v]);
            buf_t got = BUF_INIT;
            client_send(s, &c, "GET / HTTP/1.1\r\n\r\n", 18, steps[k], &got);
            CHECK_EQ_MEM(got.data, got.len, "GET / HTTP/1.1\r\n\r\n", 18);
            buf_reset(&got);
            server_send(s, &c, "HTTP/1.1 200 OK\r\n", 17, &got);
            CHECK_EQ_MEM(got.data, got.len, "HTTP/1.1 200 OK\r\n", 17);
            buf_deinit(&got);
            net_tls_free(s);
            client_deinit(&c);
        }
    }
    net_tls_ctx_free(x);
}

/* Many records received at once, each read ending inside a record: every call stays within
 * len + NET_TLS_READ_SLACK and the plaintext comes out whole and in order. */
TEST(test_long_streams_within_the_slack)
{
    net_tls_ctx_t *x = ctx_a();
    client_t c;
    client_init(&c, TLS1_2_VERSION, TLS1_3_VERSION);
    net_tls_t *s = net_tls_new(x);
    CHECK(handshake(s, &c, 1 << 20));
    static uint8_t big[200 * 1024];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 31 + 7);
    CHECK_EQ_INT(SSL_write(c.ssl, big, (int)sizeof(big)), (int)sizeof(big));
    buf_t in = BUF_INIT, got = BUF_INIT;
    client_take(&c, &in);
    /* 64 KiB reads (as net's) starting off record boundaries: 1000 bytes first. */
    size_t off = 0, first = 1000;
    while (off < in.len) {
        size_t n = off == 0 ? first : (in.len - off < 65536 ? in.len - off : 65536);
        buf_t out = BUF_INIT;
        size_t pl = 0;
        CHECK_EQ_INT(net_tls_read(s, (const uint8_t *)in.data + off, n, plain,
                                  n + NET_TLS_READ_SLACK, &pl, &out),
                     NET_TLS_OK);
        CHECK(pl <= n + NET_TLS_READ_SLACK);
        buf_append(&got, plain, pl);
        buf_deinit(&out);
        off += n;
    }
    CHECK_EQ_MEM(got.data, got.len, big, sizeof(big));
    /* and the other way: one write of all of it, read whole by the client */
    buf_reset(&got);
    server_send(s, &c, big, sizeof(big), &got);
    CHECK_EQ_MEM(got.data, got.len, big, sizeof(big));
    buf_deinit(&in);
    buf_deinit(&got);
    net_tls_free(s);
    client_deinit(&c);
    net_tls_ctx_free(x);
}

/* A plaintext buffer smaller than the contract asks for is an error, never a silent loss. */
TEST(test_small_buffer_is_an_error)
{
    net_tls_ctx_t *x = ctx_a();
    client_t c;
    client_init(&c, TLS1_3_VERSION, TLS1_3_VERSION);
    net_tls_t *s = net_tls_new(x);
    CHECK(handshake(s, &c, 1 << 20));
    char msg[5000];
    memset(msg, 'x', sizeof(msg));
    SSL_write(c.ssl, msg, sizeof(msg));
    buf_t in = BUF_INIT, out = BUF_INIT;
    client_take(&c, &in);
    size_t pl = 0;
    CHECK_EQ_INT(net_tls_read(s, (const uint8_t *)in.data, in.len, plain, 100, &pl, &out),
                 NET_TLS_ERROR);
    CHECK_EQ_INT(pl, 100);
    CHECK(strlen(net_tls_error(s)) > 0);
    buf_deinit(&in);
    buf_deinit(&out);
    net_tls_free(s);
    client_deinit(&c);
    net_tls_ctx_free(x);
}

TEST(test_old_versions_are_refused_with_an_alert)
{
    net_tls_ctx_t *x = ctx_a();
    const int old[] = {TLS1_VERSION, TLS1_1_VERSION};
    for (int i = 0; i < 2; i++) {
        client_t c;
        client_init(&c, old[i], old[i]);
        net_tls_t *s = net_tls_new(x);
        SSL_do_handshake(c.ssl);
        buf_t in = BUF_INIT, out = BUF_INIT;
        client_take(&c, &in);
        CHECK(in.len > 0);
        size_t pl = 0;
        CHECK_EQ_INT(
            net_tls_read(s, (const uint8_t *)in.data, in.len, plain, sizeof(plain), &pl, &out),
            NET_TLS_ERROR);
        CHECK(out.len > 0 && out.data[0] == 21); /* an alert record */
        CHECK(strlen(net_tls_error(s)) > 0);
        CHECK(!net_tls_ready(s));
        buf_deinit(&in);
        buf_deinit(&out);
        net_tls_free(s);
        client_deinit(&c);
    }
    net_tls_ctx_free(x);
}

TEST(test_plain_http_is_not_tls)
{
    net_tls_ctx_t *x = ctx_a();
    net_tls_t *s = net_tls_new(x);
    buf_t out = BUF_INIT;
    size_t pl = 7;
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_EQ_INT(
        net_tls_read(s, (const uint8_t *)req, strlen(req), plain, sizeof(plain), &pl, &out),
        NET_TLS_NOT_TLS);
    CHECK_EQ_INT(pl, 0);
    CHECK_EQ_INT(out.len, 0);
    net_tls_free(s);
    /* a handshake record's type, then garbage: OpenSSL's error */
    s = net_tls_new(x);
    const uint8_t junk[] = {0x16, 0x03, 0x01, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef};
    CHECK_EQ_INT(net_tls_read(s, junk, sizeof(junk), plain, sizeof(plain), &pl, &out),
                 NET_TLS_ERROR);
    buf_deinit(&out);
    net_tls_free(s);
    net_tls_ctx_free(x);
}

TEST(test_close_notify_both_ways)
{
    net_tls_ctx_t *x = ctx_a();
    client_t c;
    client_init(&c, TLS1_2_VERSION, TLS1_3_VERSION);
    net_tls_t *s = net_tls_new(x);
    CHECK(handshake(s, &c, 1 << 20));
    /* ours: the client sees an orderly end */
    buf_t out = BUF_INIT;
    net_tls_shutdown(s, &out);
    CHECK(out.len > 0);
    BIO_write(c.rbio, out.data, (int)out.len);
    char b[64];
    int n = SSL_read(c.ssl, b, sizeof(b));
    CHECK_EQ_INT(SSL_get_error(c.ssl, n), SSL_ERROR_ZERO_RETURN);
    /* nothing may be written after it */
    buf_reset(&out);
    CHECK_EQ_INT(net_tls_write(s, "x", 1, &out), NET_TLS_ERROR);
    /* theirs: the server reads the end */
    SSL_shutdown(c.ssl);
    buf_t in = BUF_INIT;
    client_take(&c, &in);
    size_t pl = 0;
    CHECK_EQ_INT(net_tls_read(s, (const uint8_t *)in.data, in.len, plain, sizeof(plain), &pl, &out),
                 NET_TLS_CLOSED);
    buf_deinit(&in);
    buf_deinit(&out);
    net_tls_free(s);
    client_deinit(&c);
    net_tls_ctx_free(x);
}

TEST(test_write_before_the_handshake_is_refused)
{
    net_tls_ctx_t *x = ctx_a();
    net_tls_t *s = net_tls_new(x);
    buf_t out = BUF_INIT;
    CHECK_EQ_INT(net_tls_write(s, "x", 1, &out), NET_TLS_ERROR);
    CHECK_EQ_INT(out.len, 0);
    net_tls_shutdown(s, &out); /* nothing to say yet */
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_STR(net_tls_version(s), "");
    net_tls_free(s);
    net_tls_ctx_free(x);
}

TEST(test_unusable_files_are_named)
{
    char err[512], missing[160];
    snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
    CHECK(net_tls_ctx_new(missing, key_a, err, sizeof(err)) == NULL);
    CHECK(strstr(err, missing) != NULL);
    CHECK(net_tls_ctx_new(cert_a, missing, err, sizeof(err)) == NULL);
    CHECK(strstr(err, missing) != NULL);
    /* a key that is not the certificate's */
    CHECK(net_tls_ctx_new(cert_a, key_b, err, sizeof(err)) == NULL);
    CHECK(strstr(err, key_b) != NULL && strstr(err, "does not match") != NULL);
    /* not PEM at all, either one */
    char junk[160];
    snprintf(junk, sizeof(junk), "%s/junk.pem", dir);
    write_file(junk, "hello\n");
    CHECK(net_tls_ctx_new(junk, key_a, err, sizeof(err)) == NULL);
    CHECK(strstr(err, junk) != NULL);
    CHECK(net_tls_ctx_new(cert_a, junk, err, sizeof(err)) == NULL);
    CHECK(strstr(err, junk) != NULL);
    CHECK_EQ_INT(ERR_peek_error(), 0); /* the error queue is left empty */
}

/* The client's view of the server's certificate's subject, for telling a and b apart. */
static void peer_cn(client_t *c, char *out, size_t cap)
{
    X509 *x = SSL_get1_peer_certificate(c->ssl);
    out[0] = '\0';
    if (x) {
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)cap);
        X509_free(x);
    }
}

TEST(test_reload_serves_new_sessions_and_keeps_old_ones)
{
    copy_file(cert_a, live_cert);
    copy_file(key_a, live_key);
    char err[512], cn[64];
    net_tls_ctx_t *x = net_tls_ctx_new(live_cert, live_key, err, sizeof(err));
    CHECK(x != NULL);
    client_t old;
    client_init(&old, TLS1_2_VERSION, TLS1_3_VERSION);
    net_tls_t *s_old = net_tls_new(x);
    CHECK(handshake(s_old, &old, 1 << 20));
    peer_cn(&old, cn, sizeof(cn));
    CHECK_EQ_STR(cn, "a");
    /* a session made before the reload and not yet shaken hands keeps the old context too */
    client_t late;
    client_init(&late, TLS1_2_VERSION, TLS1_3_VERSION);
    net_tls_t *s_late = net_tls_new(x);

    copy_file(cert_b, live_cert);
    copy_file(key_b, live_key);
    CHECK_EQ_INT(net_tls_ctx_reload(x, err, sizeof(err)), 0);
    char what[256];
    net_tls_ctx_describe(x, what, sizeof(what));
    CHECK(strstr(what, "CN=b") != NULL);

    client_t fresh;
    client_init(&fresh, TLS1_2_VERSION, TLS1_3_VERSION);
    net_tls_t *s_new = net_tls_new(x);
    CHECK(handshake(s_new, &fresh, 1 << 20));
    peer_cn(&fresh, cn, sizeof(cn));
    CHECK_EQ_STR(cn, "b");
    CHECK(handshake(s_late, &late, 1 << 20));
    peer_cn(&late, cn, sizeof(cn));
    CHECK_EQ_STR(cn, "a");
    /* the old session goes on */
    buf_t got = BUF_INIT;
    client_send(s_old, &old, "still", 5, 1 << 20, &got);
    CHECK_EQ_MEM(got.data, got.len, "still", 5);
    buf_reset(&got);
    server_send(s_old, &old, "here", 4, &got);
    CHECK_EQ_MEM(got.data, got.len, "here", 4);

    /* bad files: -1, named, and the context in use stays b */
    write_file(live_cert, "-----BEGIN CERTIFICATE-----\nnope\n");
    CHECK_EQ_INT(net_tls_ctx_reload(x, err, sizeof(err)), -1);
    CHECK(strstr(err, live_cert) != NULL);
    client_t again;
    client_init(&again, TLS1_2_VERSION, TLS1_3_VERSION);
    net_tls_t *s_again = net_tls_new(x);
    CHECK(handshake(s_again, &again, 1 << 20));
    peer_cn(&again, cn, sizeof(cn));
    CHECK_EQ_STR(cn, "b");

    /* the context may go before its sessions: each holds its own reference */
    net_tls_ctx_free(x);
    buf_reset(&got);
    server_send(s_old, &old, "after", 5, &got);
    CHECK_EQ_MEM(got.data, got.len, "after", 5);
    buf_deinit(&got);
    net_tls_t *ss[] = {s_old, s_late, s_new, s_again};
    client_t *cs[] = {&old, &late, &fresh, &again};
    for (int i = 0; i < 4; i++) {
        net_tls_free(ss[i]);
        client_deinit(cs[i]);
    }
}

/* Moves every byte each side has to send to the other until neither has any; false when a
 * side failed. cl is the client's net_tls session, sv the server's. */
static bool pump(net_tls_t *cl, net_tls_t *sv, buf_t *to_server, buf_t *got)
{
    for (int round = 0; round < 20 && to_server->len; round++) {
        buf_t to_client = BUF_INIT;
        size_t pl = 0;
        int rc = net_tls_read(sv, (const uint8_t *)to_server->data, to_server->len, plain,
                              to_server->len + NET_TLS_READ_SLACK, &pl, &to_client);
        buf_reset(to_server);
        if (rc != NET_TLS_OK) {
            buf_deinit(&to_client);
            return false;
        }
        rc = net_tls_read(cl, (const uint8_t *)to_client.data, to_client.len, plain,
                          to_client.len + NET_TLS_READ_SLACK, &pl, to_server);
        if (got)
            buf_append(got, plain, pl);
        buf_deinit(&to_client);
        if (rc != NET_TLS_OK)
            return false;
    }
    return true;
}

/* Our own client side (parley-cli's wss:) against the server side: verified against the
 * certificate as CA for the right name, refused for another name or an untrusted CA, let
 * through with insecure; data both ways once ready. */
TEST(test_client_sessions)
{
    net_tls_ctx_t *sx = ctx_a();
    char err[512] = "";
    net_tls_ctx_t *trusting = net_tls_client_ctx_new(cert_a, false, err, sizeof(err));
    net_tls_ctx_t *other = net_tls_client_ctx_new(cert_b, false, err, sizeof(err));
    net_tls_ctx_t *insecure = net_tls_client_ctx_new(NULL, true, err, sizeof(err));
    CHECK(sx && trusting && other && insecure);
    struct {
        net_tls_ctx_t *x;
        const char *host;
        bool ok;
    } cases[] = {{trusting, "a", true},
                 {trusting, "b", false},
                 {other, "a", false},
                 {insecure, "b", true},
                 {insecure, "127.0.0.1", true}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        net_tls_t *cl = net_tls_client_new(cases[i].x, cases[i].host);
        net_tls_t *sv = net_tls_new(sx);
        buf_t to_server = BUF_INIT;
        CHECK_EQ_INT(net_tls_start(cl, &to_server), NET_TLS_OK);
        CHECK(to_server.len > 0);
        bool done = pump(cl, sv, &to_server, NULL);
        if (done != cases[i].ok || net_tls_ready(cl) != cases[i].ok)
            fprintf(stderr, "case %zu (%s): %s\n", i, cases[i].host, net_tls_error(cl));
        CHECK(done == cases[i].ok);
        CHECK(net_tls_ready(cl) == cases[i].ok);
        if (!cases[i].ok)
            CHECK(strstr(net_tls_error(cl), "certificate") != NULL);
        if (cases[i].ok) {
            buf_t got = BUF_INIT, back = BUF_INIT;
            CHECK_EQ_INT(net_tls_write(cl, "ping", 4, &to_server), NET_TLS_OK);
            size_t pl = 0;
            CHECK_EQ_INT(net_tls_read(sv, (const uint8_t *)to_server.data, to_server.len, plain,
                                      to_server.len + NET_TLS_READ_SLACK, &pl, &back),
                         NET_TLS_OK);
            CHECK_EQ_MEM(plain, pl, "ping", 4);
            buf_reset(&back);
            CHECK_EQ_INT(net_tls_write(sv, "pong", 4, &back), NET_TLS_OK);
            buf_reset(&to_server);
            CHECK_EQ_INT(net_tls_read(cl, (const uint8_t *)back.data, back.len, plain,
                                      back.len + NET_TLS_READ_SLACK, &pl, &to_server),
                         NET_TLS_OK);
            CHECK_EQ_MEM(plain, pl, "pong", 4);
            buf_deinit(&got);
            buf_deinit(&back);
        }
        buf_deinit(&to_server);
        net_tls_free(cl);
        net_tls_free(sv);
    }
    CHECK(net_tls_client_ctx_new("/nonexistent/ca.pem", false, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "/nonexistent/ca.pem") != NULL);
    CHECK_EQ_INT(net_tls_ctx_reload(insecure, err, sizeof(err)), -1);
    net_tls_ctx_free(trusting);
    net_tls_ctx_free(other);
    net_tls_ctx_free(insecure);
    net_tls_ctx_free(sx);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/parley-tls-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(cert_a, sizeof(cert_a), "%s/a.crt", dir);
    snprintf(key_a, sizeof(key_a), "%s/a.key", dir);
    snprintf(cert_b, sizeof(cert_b), "%s/b.crt", dir);
    snprintf(key_b, sizeof(key_b), "%s/b.key", dir);
    snprintf(live_cert, sizeof(live_cert), "%s/live.crt", dir);
    snprintf(live_key, sizeof(live_key), "%s/live.key", dir);
    make_cert("a", cert_a, key_a);
    make_cert("b", cert_b, key_b);
    RUN(test_handshake_and_data_both_ways);
    RUN(test_long_streams_within_the_slack);
    RUN(test_small_buffer_is_an_error);
    RUN(test_old_versions_are_refused_with_an_alert);
    RUN(test_plain_http_is_not_tls);
    RUN(test_close_notify_both_ways);
    RUN(test_write_before_the_handshake_is_refused);
    RUN(test_unusable_files_are_named);
    RUN(test_reload_serves_new_sessions_and_keeps_old_ones);
    RUN(test_client_sessions);
    const char *files[] = {cert_a, key_a, cert_b, key_b, live_cert, live_key};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unlink(files[i]);
    char junk[160];
    snprintf(junk, sizeof(junk), "%s/junk.pem", dir);
    unlink(junk);
    rmdir(dir);
    return TEST_MAIN_END();
}
