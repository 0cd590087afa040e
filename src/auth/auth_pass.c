/* auth_pass - argon2id hashes and verifies on libuv's thread pool; see auth_pass.h.
 *
 * Structures: auth_pass_t holds the limits, the bound and the count of jobs queued or
 * running, and the dummy hash. Each request is one job_t, allocated whole (the password
 * copy and the stored string inline), queued with uv_queue_work; work_cb runs on a pool
 * thread and touches only its job (and the dummy, which is never written after
 * auth_pass_new); after_work_cb runs on the loop, calls back, wipes and frees the job.
 *
 * Invariants:
 * - `running` counts jobs from the successful uv_queue_work to their after_work_cb, and
 *   changes only on the loop thread; it is decremented before the callback, so a callback
 *   may start the next job.
 * - A password copy lives only inside a job and is wiped right after use on the pool
 *   thread; the whole job is wiped again before it is freed.
 * - The bound is ours, not the pool's: libuv's pool has UV_THREADPOOL_SIZE threads (4 by
 *   default) shared with file and DNS work, so past that, admitted jobs wait in its queue
 *   (without their memlimit: argon2 allocates when it starts). */
#include "auth/auth_pass.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "auth/auth_token.h"
#include "base/xmalloc.h"

_Static_assert(AUTH_PASS_HASH_MAX == crypto_pwhash_STRBYTES, "libsodium's hash string size");

struct auth_pass {
    uv_loop_t *loop;
    unsigned max_running;
    unsigned running;
    unsigned long long opslimit;
    size_t memlimit;
    char dummy[crypto_pwhash_STRBYTES]; /* argon2id of random bytes, at our limits */
};

typedef struct {
    uv_work_t req;
    auth_pass_t *p;
    auth_pass_cb cb;
    void *ctx;
    bool verify;
    bool has_stored; /* verify: false when stored was NULL or longer than a hash string */
    bool bad_stored; /* verify: stored was not NULL but no hash string */
    int status;      /* set by work_cb */
    bool has_out;    /* hash: the new hash; verify: the rehash */
    size_t len;
    char stored[crypto_pwhash_STRBYTES];
    char out[crypto_pwhash_STRBYTES];
    char pw[AUTH_PASS_MAX];
} job_t;

auth_pass_t *auth_pass_new(struct uv_loop_s *loop, unsigned max_running,
                           unsigned long long opslimit, size_t memlimit)
{
    /* Harmless if the caller did it already; the SIMD argon2 needs it, and so does a
     * fair dummy (it must cost what a real verify costs). */
    if (auth_init() != 0)
        return NULL;
    auth_pass_t *p = xcalloc(1, sizeof *p);
    p->loop = loop;
    p->max_running = max_running ? max_running : 1; /* 0 would refuse every sign-in */
    p->opslimit = opslimit ? opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    p->memlimit = memlimit ? memlimit : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    char secret[AUTH_SESSION_HEX + 1];
    auth_token_new(secret, AUTH_SESSION_HEX);
    int rc = crypto_pwhash_str(p->dummy, secret, AUTH_SESSION_HEX, p->opslimit, p->memlimit);
    sodium_memzero(secret, sizeof secret);
    if (rc != 0) {
        free(p);
        return NULL;
    }
    return p;
}

void auth_pass_free(auth_pass_t *p)
{
    if (!p)
        return;
    assert(p->running == 0 && "auth_pass_free with jobs still queued");
    free(p);
}

unsigned auth_pass_running(const auth_pass_t *p)
{
    return p->running;
}

/* Pool thread. */
static void do_hash(job_t *j)
{
    const auth_pass_t *p = j->p;
    j->status = crypto_pwhash_str(j->out, j->pw, j->len, p->opslimit, p->memlimit);
    j->has_out = j->status == 0;
}

/* Pool thread. Every path runs exactly one real verify, so an unknown account or a
 * damaged row costs what a wrong password costs. */
static void do_verify(job_t *j)
{
    const auth_pass_t *p = j->p;
    /* -1: no stored string, or not one libsodium can read (verify would only say "no
     * match" for it, hiding the damage). */
    int stale =
        j->has_stored ? crypto_pwhash_str_needs_rehash(j->stored, p->opslimit, p->memlimit) : -1;
    const char *against = stale >= 0 ? j->stored : p->dummy;
    bool match = crypto_pwhash_str_verify(against, j->pw, j->len) == 0;
    if (stale < 0) {
        /* The dummy's password was random and is forgotten: its answer means nothing. */
        j->status = j->has_stored || j->bad_stored ? -1 : 0;
        return;
    }
    j->status = match ? 1 : 0;
    if (!match)
        return;
    /* libsodium reads argon2i strings too; ours are argon2id, so those are stale. */
    bool other_alg = strncmp(j->stored, crypto_pwhash_argon2id_STRPREFIX,
                             sizeof crypto_pwhash_argon2id_STRPREFIX - 1) != 0;
    if (stale || other_alg)
        j->has_out = crypto_pwhash_str(j->out, j->pw, j->len, p->opslimit, p->memlimit) == 0;
}

static void on_work(uv_work_t *req)
{
    job_t *j = req->data;
    if (j->verify)
        do_verify(j);
    else
        do_hash(j);
    sodium_memzero(j->pw, j->len);
}

static void on_after_work(uv_work_t *req, int status)
{
    job_t *j = req->data;
    auth_pass_t *p = j->p;
    p->running--;
    if (status != 0) /* UV_ECANCELED: never cancelled today, but answer it as a failure */
        j->status = -1, j->has_out = false;
    if (j->verify)
        j->cb(j->ctx, j->status, j->status == 1 && j->has_out ? j->out : NULL);
    else
        j->cb(j->ctx, j->status, j->has_out ? j->out : NULL);
    sodium_memzero(j, sizeof *j);
    free(j);
}

/* Admits and queues a job; the password is checked and copied here. */
static int submit(auth_pass_t *p, const char *stored, bool verify, const char *pw, size_t len,
                  auth_pass_cb cb, void *ctx)
{
    if (len > AUTH_PASS_MAX)
        return AUTH_PASS_ETOOLONG;
    if (p->running >= p->max_running)
        return AUTH_PASS_EBUSY;
    job_t *j = xcalloc(1, sizeof *j);
    j->req.data = j;
    j->p = p;
    j->cb = cb;
    j->ctx = ctx;
    j->verify = verify;
    j->len = len;
    if (len)
        memcpy(j->pw, pw, len);
    if (stored) {
        size_t n = strnlen(stored, sizeof j->stored);
        j->has_stored = n < sizeof j->stored;
        j->bad_stored = !j->has_stored;
        if (j->has_stored)
            memcpy(j->stored, stored, n + 1);
    }
    /* uv_queue_work fails only for a NULL work_cb. Its code is not passed through: -1 and
     * -2 are ours (and libuv's UV_EPERM, UV_ENOENT); "try later" is the honest answer. */
    if (uv_queue_work(p->loop, &j->req, on_work, on_after_work) != 0) {
        sodium_memzero(j, sizeof *j);
        free(j);
        return AUTH_PASS_EBUSY;
    }
    p->running++;
    return 0;
}

int auth_pass_hash(auth_pass_t *p, const char *pw, size_t len, auth_pass_cb cb, void *ctx)
{
    return submit(p, NULL, false, pw, len, cb, ctx);
}

int auth_pass_verify(auth_pass_t *p, const char *stored, const char *pw, size_t len,
                     auth_pass_cb cb, void *ctx)
{
    return submit(p, stored, true, pw, len, cb, ctx);
}
