/* fuzz_net_tls - libFuzzer target for net/net_tls's server session: what a client could send
 * to the TLS port, fed as ciphertext (net_tls_read), the way net feeds what it reads.
 *
 * Input layout:
 *   byte 0     piece size for the split pass (1 + b, or the whole input when b is 255)
 *   the rest   the bytes a client sent
 *
 * The bytes go to a fresh session twice: whole, and split into pieces, each piece in its
 * own exact-size heap buffer so ASan sees any read past what has arrived, with a plaintext
 * buffer of exactly piece + NET_TLS_READ_SLACK bytes (the contract's least). Checked on
 * every call (abort() on a violation): the result is one of the NET_TLS_* codes; the
 * plaintext count is within the buffer; an error names itself (net_tls_error not empty);
 * the thread's OpenSSL error queue is left empty; and the two passes end with the same
 * result. A session is not fed again after a result other than NET_TLS_OK, as net does not.
 *
 * The certificate is made once per process (a P-256 key, self-signed, in a temporary
 * directory). OpenSSL itself is not instrumented: this fuzzes our BIO, our read loop and
 * what we do with OpenSSL's answers, over whatever states random bytes reach (the
 * ClientHello parsing, alerts, records refused before any key is shared). */
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
#include <openssl/x509.h>

#include "base/buf.h"
#include "net/net_tls.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static net_tls_ctx_t *ctx;

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
    return 0;
}

/* One call, checked. */
static int feed(net_tls_t *s, const uint8_t *in, size_t len)
{
    size_t cap = len + NET_TLS_READ_SLACK, plain_len = 0;
    uint8_t *copy = malloc(len ? len : 1), *plain = malloc(cap);
    if (!copy || !plain)
        fail("out of memory");
    memcpy(copy, in, len);
    buf_t out = BUF_INIT;
    int rc = net_tls_read(s, copy, len, plain, cap, &plain_len, &out);
    if (rc != NET_TLS_OK && rc != NET_TLS_CLOSED && rc != NET_TLS_ERROR && rc != NET_TLS_NOT_TLS)
        fail("unknown result");
    if (plain_len > cap)
        fail("plaintext past the buffer");
    if ((rc == NET_TLS_ERROR || rc == NET_TLS_NOT_TLS) && !net_tls_error(s)[0])
        fail("an error without a reason");
    if (ERR_peek_error() != 0)
        fail("OpenSSL's error queue left non-empty");
    buf_deinit(&out);
    free(copy);
    free(plain);
    return rc;
}

/* Feeds data in pieces of step; returns the last result. */
static int pass(const uint8_t *data, size_t size, size_t step)
{
    net_tls_t *s = net_tls_new(ctx);
    if (!s)
        fail("no session");
    int rc = NET_TLS_OK;
    for (size_t off = 0; off < size && rc == NET_TLS_OK; off += step)
        rc = feed(s, data + off, size - off < step ? size - off : step);
    net_tls_free(s);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = data[0] == 255 ? size : (size_t)data[0] + 1;
    data++;
    size--;
    int whole = pass(data, size, size);
    int split = pass(data, size, step);
    if (whole != split)
        fail("whole and split disagree");
    return 0;
}
