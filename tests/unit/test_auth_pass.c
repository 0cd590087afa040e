/* Unit tests for auth/auth_pass: hash and verify at libsodium's smallest limits (fast), the
 * bound (AUTH_PASS_EBUSY) and the size limit (AUTH_PASS_ETOOLONG) refused without a
 * callback, the dummy verify of an unknown account, rehashes when the limits or the
 * algorithm changed, damaged stored strings, callbacks on the loop's own thread, and one
 * round at the default limits, timed. */
#include "auth/auth_pass.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <sodium.h>
#include <uv.h>

#include "auth/auth_token.h"
#include "test.h"

#define OPS_MIN crypto_pwhash_OPSLIMIT_MIN
#define MEM_MIN crypto_pwhash_MEMLIMIT_MIN

typedef struct {
    int calls;
    int status;
    unsigned running; /* auth_pass_running during the callback */
    bool has_hash;
    char hash[AUTH_PASS_HASH_MAX];
    pthread_t thread;
    auth_pass_t *p;
} result_t;

static void on_done(void *ctx, int status, const char *hash)
{
    result_t *r = ctx;
    r->calls++;
    r->status = status;
    r->has_hash = hash != NULL;
    if (hash)
        snprintf(r->hash, sizeof r->hash, "%s", hash);
    r->thread = pthread_self();
    if (r->p)
        r->running = auth_pass_running(r->p);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Hashes pw on p and runs the loop until it is done; the hash into out. */
static int hash_now(uv_loop_t *loop, auth_pass_t *p, const char *pw, size_t len,
                    char out[AUTH_PASS_HASH_MAX])
{
    result_t r = {0};
    if (auth_pass_hash(p, pw, len, on_done, &r) != 0)
        return -100;
    uv_run(loop, UV_RUN_DEFAULT);
    if (r.calls != 1 || !r.has_hash)
        return -101;
    snprintf(out, AUTH_PASS_HASH_MAX, "%s", r.hash);
    return r.status;
}

/* Verifies and runs the loop; r gets the callback's answer. Returns the call's code. */
static int verify_now(uv_loop_t *loop, auth_pass_t *p, const char *stored, const char *pw,
                      size_t len, result_t *r)
{
    memset(r, 0, sizeof *r);
    int rc = auth_pass_verify(p, stored, pw, len, on_done, r);
    if (rc == 0)
        uv_run(loop, UV_RUN_DEFAULT);
    return rc;
}

TEST(test_hash_and_verify)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth_pass_t *p = auth_pass_new(&loop, 4, OPS_MIN, MEM_MIN);
    CHECK(p != NULL);
    result_t r = {0};
    r.p = p;
    CHECK_EQ_INT(auth_pass_hash(p, "correct horse", 13, on_done, &r), 0);
    CHECK_EQ_INT(r.calls, 0); /* never before the call returns */
    CHECK_EQ_INT(auth_pass_running(p), 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(r.calls, 1);
    CHECK_EQ_INT(r.status, 0);
    CHECK(r.has_hash);
    CHECK_EQ_INT(r.running, 0);
    CHECK(starts_with(r.hash, "$argon2id$v=19$m=8,t=1,p=1$"));
    CHECK(strlen(r.hash) < AUTH_PASS_HASH_MAX);
    char stored[AUTH_PASS_HASH_MAX];
    snprintf(stored, sizeof stored, "%s", r.hash);

    result_t v;
    CHECK_EQ_INT(verify_now(&loop, p, stored, "correct horse", 13, &v), 0);
    CHECK_EQ_INT(v.calls, 1);
    CHECK_EQ_INT(v.status, 1);
    CHECK(!v.has_hash); /* same limits: no rehash */
    CHECK_EQ_INT(verify_now(&loop, p, stored, "correct hors", 12, &v), 0);
    CHECK_EQ_INT(v.status, 0);
    CHECK(!v.has_hash);
    CHECK_EQ_INT(verify_now(&loop, p, stored, "Correct horse", 13, &v), 0);
    CHECK_EQ_INT(v.status, 0);
    CHECK_EQ_INT(verify_now(&loop, p, stored, "", 0, &v), 0);
    CHECK_EQ_INT(v.status, 0);
    /* Two hashes of one password differ (random salt), and both verify. */
    char other[AUTH_PASS_HASH_MAX];
    CHECK_EQ_INT(hash_now(&loop, p, "correct horse", 13, other), 0);
    CHECK(strcmp(other, stored) != 0);
    CHECK_EQ_INT(verify_now(&loop, p, other, "correct horse", 13, &v), 0);
    CHECK_EQ_INT(v.status, 1);
    CHECK_EQ_INT(auth_pass_running(p), 0);
    auth_pass_free(p);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* The length is the password: NUL bytes are part of it, nothing past len is. */
TEST(test_length_not_nul)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth_pass_t *p = auth_pass_new(&loop, 2, OPS_MIN, MEM_MIN);
    char stored[AUTH_PASS_HASH_MAX];
    CHECK_EQ_INT(hash_now(&loop, p, "ab\0cd", 5, stored), 0);
    result_t v;
    CHECK_EQ_INT(verify_now(&loop, p, stored, "ab\0cdEXTRA", 5, &v), 0);
    CHECK_EQ_INT(v.status, 1);
    CHECK_EQ_INT(verify_now(&loop, p, stored, "ab", 2, &v), 0);
    CHECK_EQ_INT(v.status, 0);
    CHECK_EQ_INT(verify_now(&loop, p, stored, "ab\0ce", 5, &v), 0);
    CHECK_EQ_INT(v.status, 0);
    auth_pass_free(p);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_busy)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth_pass_t *p = auth_pass_new(&loop, 2, OPS_MIN, MEM_MIN);
    result_t r[5] = {{0}};
    CHECK_EQ_INT(auth_pass_hash(p, "password1", 9, on_done, &r[0]), 0);
    CHECK_EQ_INT(auth_pass_verify(p, NULL, "password2", 9, on_done, &r[1]), 0);
    CHECK_EQ_INT(auth_pass_running(p), 2);
    CHECK_EQ_INT(auth_pass_hash(p, "password3", 9, on_done, &r[2]), AUTH_PASS_EBUSY);
    CHECK_EQ_INT(auth_pass_verify(p, NULL, "password4", 9, on_done, &r[3]), AUTH_PASS_EBUSY);
    CHECK_EQ_INT(auth_pass_running(p), 2);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(r[0].calls, 1);
    CHECK_EQ_INT(r[1].calls, 1);
    CHECK_EQ_INT(r[2].calls, 0); /* a refused request never calls back */
    CHECK_EQ_INT(r[3].calls, 0);
    CHECK_EQ_INT(auth_pass_running(p), 0);
    CHECK_EQ_INT(auth_pass_hash(p, "password5", 9, on_done, &r[4]), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(r[4].calls, 1);
    auth_pass_free(p);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* The bound is ours, not the pool's: 6 at once with libuv's 4 threads all call back. */
TEST(test_bound_above_pool)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth_pass_t *p = auth_pass_new(&loop, 6, OPS_MIN, MEM_MIN);
    result_t r[7] = {{0}};
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(auth_pass_hash(p, "password", 8, on_done, &r[i]), 0);
    CHECK_EQ_INT(auth_pass_hash(p, "password", 8, on_done, &r[6]), AUTH_PASS_EBUSY);
    uv_run(&loop, UV_RUN_DEFAULT);
    for (int i = 0; i < 6; i++)
        CHECK(r[i].calls == 1 && r[i].status == 0);
    CHECK_EQ_INT(r[6].calls, 0);
    auth_pass_free(p);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A callback sees its own job gone from the count and may start the next one. */
static void on_chain(void *ctx, int status, const char *hash)
{
    result_t *r = ctx;
    (void)hash;
    r->calls++;
    r->status = status;
    r->running = auth_pass_running(r->p);
    if (r->calls < 3 && auth_pass_hash(r->p, "password", 8, on_chain, r) != 0)
        r->status = -99;
}

TEST(test_chain_from_callback)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth_pass_t *p = auth_pass_new(&loop, 1, OPS_MIN, MEM_MIN);
    result_t r = {0};
    r.p = p;
    CHECK_EQ_INT(auth_pass_hash(p, "password", 8, on_chain, &r), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(r.calls, 3);
    CHECK_EQ_INT(r.status, 0);
    CHECK_EQ_INT(r.running, 0);
    auth_pass_free(p);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_too_long)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth_pass_t *p = auth_pass_new(&loop, 1, OPS_MIN, MEM_MIN);
    static char pw[AUTH_PASS_MAX + 1];
    memset(pw, 'x', sizeof pw);
    result_t r = {0};
    CHECK_EQ_INT(auth_pass_hash(p, pw, AUTH_PASS_MAX + 1, on_done, &r), AUTH_PASS_ETOOLONG);
    CHECK_EQ_INT(auth_pass_verify(p, NULL, pw, AUTH_PASS_MAX + 1, on_done, &r), AUTH_PASS_ETOOLONG);
    CHECK_EQ_INT(auth_pass_verify(p, "$argon2id$", pw, 100000, on_done, &r), AUTH_PASS_ETOOLONG);
    CHECK_EQ_INT(auth_pass_running(p), 0);
    /* Exactly the maximum is fine. */
    char stored[AUTH_PASS_HASH_MAX];
    CHECK_EQ_INT(hash_now(&loop, p, pw, AUTH_PASS_MAX, stored), 0);
    result_t v;
    CHECK_EQ_INT(verify_now(&loop, p, stored, pw, AUTH_PASS_MAX, &v), 0);
    CHECK_EQ_INT(v.status, 1);
    /* Too long wins over busy: the answer does not depend on the load. */
    CHECK_EQ_INT(auth_pass_hash(p, "password", 8, on_done, &r), 0);
    CHECK_EQ_INT(auth_pass_hash(p, pw, AUTH_PASS_MAX + 1, on_done, &r), AUTH_PASS_ETOOLONG);
    CHECK_EQ_INT(auth_pass_hash(p, "password", 8, on_done, &r), AUTH_PASS_EBUSY);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(r.calls, 1);
    auth_pass_free(p);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_dummy)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth_pass_t *p = auth_pass_new(&loop, 1, OPS_MIN, MEM_MIN);
    result_t v;
    const char *pws[] = {"", "password", "correct horse battery staple"};
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(verify_now(&loop, p, NULL, pws[i], strlen(pws[i]), &v), 0);
        CHECK_EQ_INT(v.calls, 1);
        CHECK_EQ_INT(v.status, 0);
        CHECK(!v.has_hash);
    }
    auth_pass_free(p);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_rehash)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth_pass_t *old = auth_pass_new(&loop, 1, OPS_MIN, MEM_MIN);
    auth_pass_t *more_ops = auth_pass_new(&loop, 1, OPS_MIN + 1, MEM_MIN);
    auth_pass_t *more_mem = auth_pass_new(&loop, 1, OPS_MIN, (size_t)2 * MEM_MIN);
    char stored[AUTH_PASS_HASH_MAX];
    CHECK_EQ_INT(hash_now(&loop, old, "password", 8, stored), 0);
    result_t v;
    /* Matches, and comes back hashed at the new limits. */
    CHECK_EQ_INT(verify_now(&loop, more_ops, stored, "password", 8, &v), 0);
    CHECK_EQ_INT(v.status, 1);
    CHECK(v.has_hash);
    CHECK(starts_with(v.hash, "$argon2id$v=19$m=8,t=2,p=1$"));
    char fresh[AUTH_PASS_HASH_MAX];
    snprintf(fresh, sizeof fresh, "%s", v.hash);
    CHECK_EQ_INT(verify_now(&loop, more_ops, fresh, "password", 8, &v), 0);
    CHECK_EQ_INT(v.status, 1);
    CHECK(!v.has_hash); /* current now */
    CHECK_EQ_INT(verify_now(&loop, more_mem, stored, "password", 8, &v), 0);
    CHECK_EQ_INT(v.status, 1);
    CHECK(v.has_hash && starts_with(v.hash, "$argon2id$v=19$m=16,t=1,p=1$"));
    /* A wrong password never gets a rehash. */
    CHECK_EQ_INT(verify_now(&loop, more_ops, stored, "passwore", 8, &v), 0);
    CHECK_EQ_INT(v.status, 0);
    CHECK(!v.has_hash);
    /* argon2i at the very same limits: libsodium reads it, we move it to argon2id. */
    char argon2i[crypto_pwhash_STRBYTES];
    CHECK_EQ_INT(crypto_pwhash_str_alg(argon2i, "password", 8, OPS_MIN + 2, MEM_MIN,
                                       crypto_pwhash_ALG_ARGON2I13),
                 0);
    auth_pass_t *same_as_i = auth_pass_new(&loop, 1, OPS_MIN + 2, MEM_MIN);
    CHECK(starts_with(argon2i, "$argon2i$"));
    CHECK_EQ_INT(verify_now(&loop, same_as_i, argon2i, "password", 8, &v), 0);
    CHECK_EQ_INT(v.status, 1);
    CHECK(v.has_hash && starts_with(v.hash, "$argon2id$v=19$m=8,t=3,p=1$"));
    auth_pass_free(same_as_i);
    auth_pass_free(old);
    auth_pass_free(more_ops);
    auth_pass_free(more_mem);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A stored string libsodium cannot read is a failure (< 0), not "no match". */
TEST(test_damaged_stored)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth_pass_t *p = auth_pass_new(&loop, 1, OPS_MIN, MEM_MIN);
    char good[AUTH_PASS_HASH_MAX];
    CHECK_EQ_INT(hash_now(&loop, p, "password", 8, good), 0);
    char cut[AUTH_PASS_HASH_MAX];
    snprintf(cut, sizeof cut, "%.*s", 30, good);
    char huge[300];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    memcpy(huge, good, strlen(good));
    const char *bad[] = {"", "garbage", "$argon2id$", cut, huge, "$2b$10$abcdefghijklmnopqrstuv"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        result_t v;
        CHECK_EQ_INT(verify_now(&loop, p, bad[i], "password", 8, &v), 0);
        CHECK_EQ_INT(v.calls, 1);
        CHECK(v.status < 0);
        CHECK(!v.has_hash);
    }
    auth_pass_free(p);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(test_bad_limits)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    CHECK(auth_pass_new(&loop, 1, OPS_MIN, MEM_MIN - 1) == NULL);
    CHECK(auth_pass_new(&loop, 1, OPS_MIN, 1024) == NULL);
    /* A bound of 0 would refuse everything: it is taken as 1. */
    auth_pass_t *p = auth_pass_new(&loop, 0, OPS_MIN, MEM_MIN);
    result_t r[2] = {{0}};
    CHECK_EQ_INT(auth_pass_hash(p, "password", 8, on_done, &r[0]), 0);
    CHECK_EQ_INT(auth_pass_hash(p, "password", 8, on_done, &r[1]), AUTH_PASS_EBUSY);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(r[0].calls, 1);
    auth_pass_free(p);
    auth_pass_free(NULL);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A loop run by another thread: its callbacks fire on that thread, not on main's nor on
 * a pool thread. */
typedef struct {
    pthread_t self;
    result_t r[3];
    int rc;
} loop_thread_t;

static void *run_loop_thread(void *arg)
{
    loop_thread_t *t = arg;
    uv_loop_t loop;
    uv_loop_init(&loop);
    t->self = pthread_self();
    auth_pass_t *p = auth_pass_new(&loop, 3, OPS_MIN, MEM_MIN);
    char stored[AUTH_PASS_HASH_MAX];
    t->rc = hash_now(&loop, p, "password", 8, stored);
    t->rc |= auth_pass_hash(p, "password", 8, on_done, &t->r[0]);
    t->rc |= auth_pass_verify(p, stored, "password", 8, on_done, &t->r[1]);
    t->rc |= auth_pass_verify(p, NULL, "password", 8, on_done, &t->r[2]);
    uv_run(&loop, UV_RUN_DEFAULT);
    auth_pass_free(p);
    t->rc |= uv_loop_close(&loop);
    return NULL;
}

TEST(test_callbacks_on_loop_thread)
{
    loop_thread_t t;
    memset(&t, 0, sizeof t);
    pthread_t th;
    CHECK_EQ_INT(pthread_create(&th, NULL, run_loop_thread, &t), 0);
    CHECK_EQ_INT(pthread_join(th, NULL), 0);
    CHECK_EQ_INT(t.rc, 0);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(t.r[i].calls, 1);
        CHECK(pthread_equal(t.r[i].thread, t.self));
        CHECK(!pthread_equal(t.r[i].thread, pthread_self()));
    }
    CHECK_EQ_INT(t.r[1].status, 1);
    CHECK_EQ_INT(t.r[2].status, 0);
}

/* libsodium's INTERACTIVE limits (opslimit 2, 64 MiB), timed: the hash, a right and a
 * wrong verify, and the dummy verify, which must cost a real one (far above 5 ms). */
TEST(test_default_limits)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    double t0 = now_ms();
    auth_pass_t *p = auth_pass_new(&loop, 2, 0, 0);
    double t_new = now_ms() - t0;
    CHECK(p != NULL);
    char stored[AUTH_PASS_HASH_MAX];
    t0 = now_ms();
    CHECK_EQ_INT(hash_now(&loop, p, "correct horse battery staple", 28, stored), 0);
    double t_hash = now_ms() - t0;
    CHECK(starts_with(stored, "$argon2id$v=19$m=65536,t=2,p=1$"));
    result_t v;
    t0 = now_ms();
    CHECK_EQ_INT(verify_now(&loop, p, stored, "correct horse battery staple", 28, &v), 0);
    double t_right = now_ms() - t0;
    CHECK_EQ_INT(v.status, 1);
    CHECK(!v.has_hash);
    t0 = now_ms();
    CHECK_EQ_INT(verify_now(&loop, p, stored, "wrong horse battery staple", 26, &v), 0);
    double t_wrong = now_ms() - t0;
    CHECK_EQ_INT(v.status, 0);
    t0 = now_ms();
    CHECK_EQ_INT(verify_now(&loop, p, NULL, "correct horse battery staple", 28, &v), 0);
    double t_dummy = now_ms() - t0;
    CHECK_EQ_INT(v.status, 0);
    CHECK(t_dummy > 5.0);
    fprintf(stderr,
            "default limits: new (dummy hash) %.0f ms, hash %.0f ms, verify right %.0f ms, "
            "wrong %.0f ms, unknown account %.0f ms\n",
            t_new, t_hash, t_right, t_wrong, t_dummy);
    auth_pass_free(p);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

int main(void)
{
    if (auth_init() != 0)
        return 1;
    RUN(test_hash_and_verify);
    RUN(test_length_not_nul);
    RUN(test_busy);
    RUN(test_bound_above_pool);
    RUN(test_chain_from_callback);
    RUN(test_too_long);
    RUN(test_dummy);
    RUN(test_rehash);
    RUN(test_damaged_stored);
    RUN(test_bad_limits);
    RUN(test_callbacks_on_loop_thread);
    RUN(test_default_limits);
    return TEST_MAIN_END();
}
