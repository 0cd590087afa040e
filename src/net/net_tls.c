/* net_tls - OpenSSL sessions over memory; see net_tls.h.
 *
 * The BIO: one object of our own method serves as the session's read and write BIO. While
 * net_tls_read runs, t->in and t->in_len are the bytes not yet taken by OpenSSL; while any
 * call runs, t->out is the caller's buffer its writes go to. Outside those calls both are
 * empty, and the BIO asks OpenSSL to retry (a WANT_READ), which never happens in practice:
 * nothing drives a session but these calls.
 *
 * Invariant: a call leaves the thread's OpenSSL error queue empty (OpenSSL reads the queue
 * to tell why a call failed, and the next session on this thread must not see our errors). */
#include "net/net_tls.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/xmalloc.h"

/* TLS 1.2's suites: forward secrecy and an AEAD cipher, nothing else (Mozilla's
 * "intermediate" list in substance). TLS 1.3's defaults are all AEAD already. */
#define NET_TLS_CIPHERS_12 "ECDHE+AESGCM:ECDHE+CHACHA20"

struct net_tls_ctx {
    pthread_mutex_t lock; /* guards cur against a reload on another thread */
    SSL_CTX *cur;
    char *cert_file, *key_file;
};

struct net_tls {
    SSL *ssl;
    const uint8_t *in; /* bytes fed and not yet read by OpenSSL (net_tls_read only) */
    size_t in_len;
    buf_t *out; /* where OpenSSL's writes go, during a call */
    const char *err;
    bool started; /* the first byte was seen (and was a handshake record's) */
};

/* ---- the BIO ---- */

static int bio_write(BIO *b, const char *data, int len)
{
    net_tls_t *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!t->out) {
        BIO_set_retry_write(b);
        return -1;
    }
    buf_append(t->out, data, (size_t)len);
    return len;
}

static int bio_read(BIO *b, char *out, int len)
{
    net_tls_t *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (t->in_len == 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = (size_t)len < t->in_len ? (size_t)len : t->in_len;
    memcpy(out, t->in, n);
    t->in += n;
    t->in_len -= n;
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    /* A flush has nothing to do: writes land in the caller's buffer at once. Everything
     * else (pending counts, kTLS, datagram controls) is "not supported". */
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static void bio_method_init(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "parley memory");
    if (m && BIO_meth_set_write(m, bio_write) == 1 && BIO_meth_set_read(m, bio_read) == 1 &&
        BIO_meth_set_ctrl(m, bio_ctrl) == 1 && BIO_meth_set_create(m, bio_create) == 1) {
        bio_method = m;
        return;
    }
    BIO_meth_free(m);
}

/* ---- contexts ---- */

/* The reason of OpenSSL's oldest queued error, or fallback; the queue is emptied. */
static const char *ssl_reason(const char *fallback)
{
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : fallback;
}

/* A file we cannot even open is said so with the system's words, before OpenSSL's. */
static bool readable(const char *what, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, cap, "cannot read the %s %s: %s", what, path, strerror(errno));
        return false;
    }
    (void)fclose(f); /* opened for reading only: nothing to lose */
    return true;
}

static SSL_CTX *ctx_load(const char *cert, const char *key, char *err, size_t cap)
{
    if (!readable("certificate", cert, err, cap) || !readable("key", key, err, cap))
        return NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, cap, "TLS: %s", ssl_reason("out of memory"));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* No renegotiation either way (a client's is refused by default since 3.0 too). */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    /* Idle connections give their record buffers back (some 34 KB each). */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* Tickets resume sessions without the server keeping them: no cache to grow. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 1);
    if (SSL_CTX_set_cipher_list(ctx, NET_TLS_CIPHERS_12) != 1) {
        snprintf(err, cap, "TLS: cipher list: %s", ssl_reason("refused"));
    } else if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(err, cap, "cannot use the certificate %s: %s", cert,
                 ssl_reason("not a PEM certificate"));
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        int why = ERR_GET_REASON(ERR_peek_error());
        if (why == X509_R_KEY_VALUES_MISMATCH || why == X509_R_KEY_TYPE_MISMATCH)
            snprintf(err, cap, "the key %s does not match the certificate %s (%s)", key, cert,
                     ssl_reason("mismatch"));
        else
            snprintf(err, cap, "cannot use the key %s: %s", key,
                     ssl_reason("not a PEM private key"));
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, cap, "the key %s does not match the certificate %s (%s)", key, cert,
                 ssl_reason("mismatch"));
    } else {
        return ctx;
    }
    SSL_CTX_free(ctx);
    return NULL;
}

net_tls_ctx_t *net_tls_ctx_new(const char *cert_file, const char *key_file, char *err, size_t cap)
{
    pthread_once(&bio_once, bio_method_init);
    if (!bio_method) {
        snprintf(err, cap, "TLS: cannot make the BIO method");
        return NULL;
    }
    SSL_CTX *ctx = ctx_load(cert_file, key_file, err, cap);
    if (!ctx)
        return NULL;
    net_tls_ctx_t *x = xcalloc(1, sizeof(*x));
    pthread_mutex_init(&x->lock, NULL);
    x->cur = ctx;
    x->cert_file = xstrdup(cert_file);
    x->key_file = xstrdup(key_file);
    return x;
}

int net_tls_ctx_reload(net_tls_ctx_t *x, char *err, size_t cap)
{
    if (!x->cert_file) {
        snprintf(err, cap, "a client context has no files to reload");
        return -1;
    }
    SSL_CTX *ctx = ctx_load(x->cert_file, x->key_file, err, cap);
    if (!ctx)
        return -1;
    pthread_mutex_lock(&x->lock);
    SSL_CTX *old = x->cur;
    x->cur = ctx;
    pthread_mutex_unlock(&x->lock);
    SSL_CTX_free(old); /* freed for good once its last session is */
    return 0;
}

net_tls_ctx_t *net_tls_client_ctx_new(const char *ca_file, bool insecure, char *err, size_t cap)
{
    pthread_once(&bio_once, bio_method_init);
    if (!bio_method) {
        snprintf(err, cap, "TLS: cannot make the BIO method");
        return NULL;
    }
    if (ca_file && !readable("CA file", ca_file, err, cap))
        return NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, cap, "TLS: %s", ssl_reason("out of memory"));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_verify(ctx, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1 && (ca_file || !insecure)) {
        snprintf(err, cap, "cannot use the CA file %s: %s", ca_file ? ca_file : "(system)",
                 ssl_reason("not PEM certificates"));
        SSL_CTX_free(ctx);
        return NULL;
    }
    ERR_clear_error();
    net_tls_ctx_t *x = xcalloc(1, sizeof(*x));
    pthread_mutex_init(&x->lock, NULL);
    x->cur = ctx;
    return x;
}

void net_tls_ctx_describe(net_tls_ctx_t *x, char *out, size_t cap)
{
    pthread_mutex_lock(&x->lock);
    X509 *cert = SSL_CTX_get0_certificate(x->cur);
    char subject[256] = "?", until[64] = "?";
    if (cert) {
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
        BIO *m = BIO_new(BIO_s_mem());
        if (m && ASN1_TIME_print(m, X509_get0_notAfter(cert)) == 1) {
            int n = BIO_read(m, until, (int)sizeof(until) - 1);
            until[n > 0 ? n : 0] = '\0';
        }
        BIO_free(m);
    }
    pthread_mutex_unlock(&x->lock);
    ERR_clear_error();
    snprintf(out, cap, "%s, valid until %s", subject, until);
}

void net_tls_ctx_free(net_tls_ctx_t *x)
{
    if (!x)
        return;
    SSL_CTX_free(x->cur);
    pthread_mutex_destroy(&x->lock);
    free(x->cert_file);
    free(x->key_file);
    free(x);
}

/* ---- sessions ---- */

static int verdict(net_tls_t *t, int n);

net_tls_t *net_tls_new(net_tls_ctx_t *x)
{
    /* A reference of our own across SSL_new: a reload on another thread may drop the
     * context's as soon as the lock is released. */
    pthread_mutex_lock(&x->lock);
    SSL_CTX *ctx = x->cur;
    SSL_CTX_up_ref(ctx);
    pthread_mutex_unlock(&x->lock);
    SSL *ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    BIO *bio = ssl ? BIO_new(bio_method) : NULL;
    if (!bio) {
        SSL_free(ssl);
        ERR_clear_error();
        return NULL;
    }
    net_tls_t *t = xcalloc(1, sizeof(*t));
    t->ssl = ssl;
    t->err = "";
    BIO_set_data(bio, t);
    SSL_set_bio(ssl, bio, bio); /* the same BIO both ways: one reference, now the SSL's */
    SSL_set_accept_state(ssl);
    return t;
}

net_tls_t *net_tls_client_new(net_tls_ctx_t *x, const char *host)
{
    net_tls_t *t = net_tls_new(x);
    if (!t)
        return NULL;
    SSL_set_connect_state(t->ssl);
    /* An address is checked as one (and is no SNI name, RFC 6066 3); a name is both. */
    unsigned char addr[16];
    bool is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
    int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host)
                   : SSL_set_tlsext_host_name(t->ssl, host) == 1 && SSL_set1_host(t->ssl, host);
    ERR_clear_error();
    if (ok != 1) {
        net_tls_free(t);
        return NULL;
    }
    return t;
}

int net_tls_start(net_tls_t *t, buf_t *out)
{
    ERR_clear_error();
    t->out = out;
    t->started = true; /* what comes back is the server's, checked by OpenSSL itself */
    int n = SSL_do_handshake(t->ssl);
    t->out = NULL;
    int rc = n == 1 ? NET_TLS_OK : verdict(t, n);
    ERR_clear_error();
    return rc == NET_TLS_CLOSED ? NET_TLS_ERROR : rc;
}

void net_tls_free(net_tls_t *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    free(t);
}

/* The session's verdict on a call that returned n <= 0: NET_TLS_OK when it only needs more
 * bytes, else the end of the session (with t->err). */
static int verdict(net_tls_t *t, int n)
{
    int e = SSL_get_error(t->ssl, n);
    if (e == SSL_ERROR_WANT_READ)
        return NET_TLS_OK;
    if (e == SSL_ERROR_ZERO_RETURN)
        return NET_TLS_CLOSED;
    t->err = ssl_reason(e == SSL_ERROR_SYSCALL ? "unexpected end" : "TLS error");
    return NET_TLS_ERROR;
}

int net_tls_read(net_tls_t *t, const uint8_t *in, size_t len, uint8_t *plain, size_t cap,
                 size_t *plain_len, buf_t *out)
{
    *plain_len = 0;
    if (!t->started && len) {
        /* A TLS connection opens with a handshake record (RFC 8446 5.1: content type 22).
         * Anything else is someone speaking plain HTTP to this port: no answer, since
         * whatever we would say in TLS it cannot read. */
        if (in[0] != 0x16) {
            t->err = "not TLS (plain HTTP to the TLS port?)";
            return NET_TLS_NOT_TLS;
        }
        t->started = true;
    }
    ERR_clear_error();
    t->in = in;
    t->in_len = len;
    t->out = out;
    int rc = NET_TLS_OK;
    size_t got = 0;
    for (;;) {
        if (got == cap) {
            /* Only when the caller broke the contract on cap: never leave plaintext or
             * input behind silently. */
            if (t->in_len || SSL_pending(t->ssl) > 0) {
                t->err = "plaintext buffer too small";
                rc = NET_TLS_ERROR;
            }
            break;
        }
        size_t room = cap - got < INT_MAX ? cap - got : INT_MAX;
        int n = SSL_read(t->ssl, plain + got, (int)room);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        rc = verdict(t, n);
        break;
    }
    *plain_len = got;
    t->in = NULL;
    t->in_len = 0;
    t->out = NULL;
    ERR_clear_error();
    return rc;
}

bool net_tls_ready(const net_tls_t *t)
{
    return SSL_is_init_finished(t->ssl) == 1;
}

int net_tls_write(net_tls_t *t, const void *p, size_t len, buf_t *out)
{
    if (!net_tls_ready(t) || len == 0 || len > INT_MAX) {
        t->err = "not ready to write";
        return NET_TLS_ERROR;
    }
    /* No ERR_clear_error around a record that goes well: SSL_write does not read the
     * error queue, a failure empties it (ssl_reason), and OpenSSL 3's clear, twice a record,
     * was 1.3 % of the CPU of a TLS fan-out. */
    t->out = out;
    /* Our BIO takes every byte, so one call writes them all (as records of 2^14). */
    int n = SSL_write(t->ssl, p, (int)len);
    t->out = NULL;
    if (n == (int)len)
        return NET_TLS_OK;
    t->err = ssl_reason("write refused");
    return NET_TLS_ERROR;
}

void net_tls_shutdown(net_tls_t *t, buf_t *out)
{
    if (!net_tls_ready(t))
        return;
    ERR_clear_error();
    t->out = out;
    (void)SSL_shutdown(t->ssl); /* 0: our close_notify is out, the peer's not awaited */
    t->out = NULL;
    ERR_clear_error();
}

const char *net_tls_error(const net_tls_t *t)
{
    return t->err;
}

const char *net_tls_version(const net_tls_t *t)
{
    return net_tls_ready(t) ? SSL_get_version(t->ssl) : "";
}
