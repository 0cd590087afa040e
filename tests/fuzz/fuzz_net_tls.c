/* fuzz_net_tls - libFuzzer target for net/net_tls's server session and what comes after it:
 * what a client could send to the TLS port, fed as ciphertext (net_tls_read) the way net
 * feeds what it reads, and the plaintext it decrypts fed on to the HTTP parser, as
 * net_conn_tls hands it to server_on_http.
 *
 * Two modes, by bit 7 of byte 0:
 *
 * Raw (bit 7 clear): the bytes a client sent, as they are.
 *   byte 0     bits 0-6 piece size for the split pass (1 + b, or the whole input when b is
 *              127)
 *   the rest   the bytes a client sent
 * They go to a fresh session twice: whole, and split into pieces; the two passes must end
 * with the same result. Random bytes cannot finish a handshake (they would have to agree on
 * a key), so this mode fuzzes what comes before one: the ClientHello parsing, alerts,
 * records refused before any key is shared.
 *
 * Handshaken (bit 7 set): a real client (OpenSSL, in memory) makes the handshake, then sends
 * the input as application data, so that the fuzzer's bytes reach the HTTP parser through
 * decryption.
 *   byte 0     bits 0-5 piece size of the ciphertext fed to the server (1 + b, or each
 *              flight whole when b is 63); bit 6 TLS 1.2 (else 1.3)
 *   byte 1     plaintext per SSL_write (1 + 16 * b bytes, or all at once when b is 255):
 *              how the stream is cut into records
 *   the rest   the plaintext: the byte stream of HTTP requests the client sends
 * The handshake must succeed and every record decrypt; the plaintext decrypted must be
 * exactly what was sent; it goes piece by piece, as decrypted, through an HTTP parser that
 * answers each request through net_tls_write (the client must read back exactly those
 * answers); and the requests read must be those a parser reads from the plaintext fed whole
 * (method, path, where each ends, keep-alive, upgrade, body length, the final error).
 *
 * Pieces are each in their own exact-size heap buffer so ASan sees any read past what has
 * arrived, with a plaintext buffer of exactly piece + NET_TLS_READ_SLACK bytes (the
 * contract's least). Checked on every call (abort() on a violation): the result is one of
 * the NET_TLS_* codes; the plaintext count is within the buffer; an error names itself
 * (net_tls_error not empty); the thread's OpenSSL error queue is left empty. A session is
 * not fed again after a result other than NET_TLS_OK, as net does not.
 *
 * The certificate is made once per process (a P-256 key, self-signed, in a temporary
 * directory). OpenSSL itself is not instrumented: this fuzzes our BIO, our read and write
 * loops, what we do with OpenSSL's answers, and the HTTP parser behind them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
#include "fuzz_util.h"
#include "http/http_parse.h"
#include "net/net_tls.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static net_tls_ctx_t *ctx;
static SSL_CTX *client_ctx[2]; /* TLS 1.3, TLS 1.2 */

/* What the HTTP side answers to every request. */
static const char answer[] = "HTTP/1.1 204 No Content\r\nServer: parley\r\n\r\n";
#define ANSWER_LEN (sizeof(answer) - 1)

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_net_tls: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/fuzz-net-tls-XXXXXX", cert[64], key[64], err[512];
    if (!mkdtemp(dir))
        fail("mkdtemp");
    snprintf(cert, sizeof(cert), "%s/c.pem", dir);
    snprintf(key, sizeof(key), "%s/k.pem", dir);
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pk);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, pk, EVP_sha256());
    FILE *f = fopen(cert, "w");
    FILE *g = fopen(key, "w");
    if (!f || !g)
        fail("cannot write the certificate");
    PEM_write_X509(f, x);
    PEM_write_PrivateKey(g, pk, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    fclose(g);
    X509_free(x);
    EVP_PKEY_free(pk);
    ctx = net_tls_ctx_new(cert, key, err, sizeof(err));
    unlink(cert);
    unlink(key);
    rmdir(dir);
    if (!ctx)
        fail(err);
    for (int i = 0; i < 2; i++) {
        int v = i ? TLS1_2_VERSION : TLS1_3_VERSION;
        client_ctx[i] = SSL_CTX_new(TLS_client_method());
        if (!client_ctx[i] || !SSL_CTX_set_min_proto_version(client_ctx[i], v) ||
            !SSL_CTX_set_max_proto_version(client_ctx[i], v))
            fail("no client context");
    }
    return 0;
}

/* ---- the HTTP side: what the server does with the plaintext ---- */

/* An HTTP connection behind a session: its parser, the log of what it read, and the session
 * its answers go through (NULL: none, for the reference parse of the plaintext). */
typedef struct {
    http_parser_t p;
    bool over;     /* an error or an upgrade: HTTP is over on this connection */
    size_t base;   /* stream offset of the next plaintext byte */
    text_t log;    /* one line per request, then the error */
    text_t seen;   /* every plaintext byte fed */
    unsigned sent; /* answers sent */
    net_tls_t *s;
    buf_t *to_client; /* where the session's records go: the read's own output buffer, so
                         that they stay in the order the session made them */
} http_side_t;

static void http_init(http_side_t *h, net_tls_t *s)
{
    *h = (http_side_t){.s = s};
    http_parser_init(&h->p, 8192, 1 << 20);
}

static void http_deinit(http_side_t *h)
{
    http_parser_deinit(&h->p);
    free(h->log.s);
    free(h->seen.s);
}

/* Plaintext the session decrypted, parsed as server_on_http does: each request answered and
 * released, pipelined ones read on, nothing read after an error or an upgrade. */
static void http_feed(http_side_t *h, const uint8_t *in, size_t len)
{
    text_put(&h->seen, (const char *)in, len);
    size_t off = 0;
    while (!h->over) {
        http_request_t *r = NULL;
        int status = 0;
        ssize_t n = http_parser_feed(&h->p, (const char *)in + off, len - off, &r, &status);
        char line[128];
        if (n < 0) {
            snprintf(line, sizeof(line), "ERR %d\n", status);
            text_put(&h->log, line, strlen(line));
            h->over = true;
            break;
        }
        off += (size_t)n;
        if (!r)
            break;
        snprintf(line, sizeof(line), "REQ m=%u end=%zu ka=%d up=%d body=%llu path=", r->method,
                 h->base + off, r->keep_alive, r->upgrade_req, (unsigned long long)r->body_len);
        text_put(&h->log, line, strlen(line));
        text_put(&h->log, r->path, strlen(r->path));
        text_put(&h->log, "\n", 1);
        if (h->s) {
            if (net_tls_write(h->s, answer, ANSWER_LEN, h->to_client) != NET_TLS_OK)
                fail("net_tls_write refused an answer after the handshake");
            h->sent++;
        }
        h->over = r->upgrade_req; /* the rest is another protocol's */
        http_parser_next(&h->p);
    }
    h->base += len;
}

/* ---- the session ---- */

/* One call, checked; the plaintext goes on to h (when not NULL). */
static int feed(net_tls_t *s, const uint8_t *in, size_t len, buf_t *out, http_side_t *h)
{
    size_t cap = len + NET_TLS_READ_SLACK, plain_len = 0;
    uint8_t *copy = malloc(len ? len : 1), *plain = malloc(cap);
    if (!copy || !plain)
        fail("out of memory");
    memcpy(copy, in, len);
    int rc = net_tls_read(s, copy, len, plain, cap, &plain_len, out);
    if (rc != NET_TLS_OK && rc != NET_TLS_CLOSED && rc != NET_TLS_ERROR && rc != NET_TLS_NOT_TLS)
        fail("unknown result");
    if (plain_len > cap)
        fail("plaintext past the buffer");
    if ((rc == NET_TLS_ERROR || rc == NET_TLS_NOT_TLS) && !net_tls_error(s)[0])
        fail("an error without a reason");
    if (ERR_peek_error() != 0)
        fail("OpenSSL's error queue left non-empty");
    if (plain_len && h) {
        h->to_client = out;
        http_feed(h, plain, plain_len);
    }
    free(copy);
    free(plain);
    return rc;
}

/* Feeds data in pieces of step (SIZE_MAX: whole); returns the last result. */
static int feed_all(net_tls_t *s, const uint8_t *data, size_t size, size_t step, buf_t *out,
                    http_side_t *h)
{
    int rc = NET_TLS_OK;
    for (size_t off = 0; off < size && rc == NET_TLS_OK; off += step) {
        size_t n = size - off < step ? size - off : step;
        rc = feed(s, data + off, n, out, h);
        if (n == size - off)
            break;
    }
    return rc;
}

/* ---- raw mode ---- */

/* A fresh session fed data in pieces of step; returns the last result. */
static int pass(const uint8_t *data, size_t size, size_t step)
{
    net_tls_t *s = net_tls_new(ctx);
    if (!s)
        fail("no session");
    buf_t out = BUF_INIT;
    http_side_t h;
    http_init(&h, NULL);
    int rc = feed_all(s, data, size, step, &out, &h);
    http_deinit(&h);
    buf_deinit(&out);
    net_tls_free(s);
    return rc;
}

static void raw(const uint8_t *data, size_t size)
{
    size_t step = (data[0] & 127) == 127 ? SIZE_MAX : (size_t)(data[0] & 127) + 1;
    data++;
    size--;
    int whole = pass(data, size, SIZE_MAX);
    int split = pass(data, size, step);
    if (whole != split)
        fail("whole and split disagree");
}

/* ---- handshaken mode ---- */

typedef struct {
    SSL *ssl;
    BIO *rbio, *wbio; /* the client reads what the server sent from rbio, writes to wbio */
} client_t;

/* What the client has to send, taken out of its BIO. */
static void client_take(client_t *c, buf_t *out)
{
    char b[4096];
    int n;
    while ((n = BIO_read(c->wbio, b, sizeof(b))) > 0)
        buf_append(out, b, (size_t)n);
}

/* The server's bytes, to the client. */
static void to_client(client_t *c, buf_t *out)
{
    if (out->len && BIO_write(c->rbio, out->data, (int)out->len) != (int)out->len)
        fail("BIO_write");
    buf_deinit(out);
}

/* The handshake, the client's bytes fed in pieces of step. */
static void handshake(net_tls_t *s, client_t *c, size_t step)
{
    for (int round = 0; round < 10; round++) {
        int r = SSL_do_handshake(c->ssl);
        int err = SSL_get_error(c->ssl, r);
        buf_t in = BUF_INIT, out = BUF_INIT;
        client_take(c, &in);
        int rc = feed_all(s, (const uint8_t *)in.data, in.len, step, &out, NULL);
        buf_deinit(&in);
        to_client(c, &out);
        if (rc != NET_TLS_OK)
            fail("the handshake of a real client refused");
        if (r == 1 && net_tls_ready(s))
            return;
        if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ)
            fail("the client gave up the handshake");
    }
    fail("the handshake did not end");
}

/* What the client reads of the server's answers: exactly `expected` of them. */
static void client_read_answers(client_t *c, unsigned expected)
{
    size_t got = 0;
    char b[4096];
    int n;
    while ((n = SSL_read(c->ssl, b, sizeof(b))) > 0) {
        for (int i = 0; i < n; i++)
            if (b[i] != answer[(got + (size_t)i) % ANSWER_LEN])
                fail("the client read other bytes than the server wrote");
        got += (size_t)n;
    }
    ERR_clear_error(); /* the client's "want read" at the end: not ours */
    if (got != (size_t)expected * ANSWER_LEN)
        fail("the client read fewer or more bytes than the server wrote");
}

/* The client sends data in SSL_writes of chunk bytes; the server decrypts it in pieces of
 * step and parses it behind the session. */
static void send_plaintext(client_t *c, net_tls_t *s, http_side_t *h, const uint8_t *data,
                           size_t size, size_t chunk, size_t step)
{
    for (size_t off = 0; off < size;) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (n > INT32_MAX || SSL_write(c->ssl, data + off, (int)n) != (int)n)
            fail("SSL_write");
        off += n;
        buf_t in = BUF_INIT, out = BUF_INIT;
        client_take(c, &in);
        size_t before = h->base;
        int rc = feed_all(s, (const uint8_t *)in.data, in.len, step, &out, h);
        buf_deinit(&in);
        to_client(c, &out);
        if (rc != NET_TLS_OK)
            fail("a record of a real client refused");
        if (h->base - before != n || memcmp(h->seen.s + before, data + off - n, n) != 0)
            fail("the plaintext decrypted is not what the client sent");
    }
}

static void handshaken(const uint8_t *data, size_t size)
{
    size_t step = (data[0] & 63) == 63 ? SIZE_MAX : (size_t)(data[0] & 63) + 1;
    bool tls12 = data[0] & 64;
    size_t chunk = data[1] == 255 ? SIZE_MAX : 1 + (size_t)data[1] * 16;
    data += 2;
    size -= 2;

    client_t c;
    c.ssl = SSL_new(client_ctx[tls12]);
    c.rbio = BIO_new(BIO_s_mem());
    c.wbio = BIO_new(BIO_s_mem());
    if (!c.ssl || !c.rbio || !c.wbio)
        fail("no client");
    BIO_set_mem_eof_return(c.rbio, -1); /* empty is "not yet", not the end */
    SSL_set_bio(c.ssl, c.rbio, c.wbio);
    SSL_set_connect_state(c.ssl);
    net_tls_t *s = net_tls_new(ctx);
    if (!s)
        fail("no session");
    handshake(s, &c, step);

    http_side_t h;
    http_init(&h, s);
    send_plaintext(&c, s, &h, data, size, chunk, step);
    client_read_answers(&c, h.sent);

    /* The same plaintext, whole, through a parser of its own: the same requests. The
     * reference reads nothing after an error or upgrade either, so its log is comparable. */
    http_side_t ref;
    http_init(&ref, NULL);
    if (size)
        http_feed(&ref, data, size);
    if (ref.log.len != h.log.len || (h.log.len && memcmp(ref.log.s, h.log.s, h.log.len) != 0))
        fail("the requests read through TLS differ from those of the plaintext");
    http_deinit(&ref);
    http_deinit(&h);
    net_tls_free(s);
    SSL_free(c.ssl);
    ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (data[0] & 128)
        handshaken(data, size);
    else
        raw(data, size);
    return 0;
}
