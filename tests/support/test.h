/* test.h - the project's whole unit-test harness, in the manner of libuv's task.h.
 *
 * A test is a static void function; CHECK records a failure and carries on, so one run
 * shows every broken expectation. TEST_MAIN_END prints the tally in the plain
 * "N passed, M failed" form and returns the process status. */
#ifndef PARLEY_TEST_H
#define PARLEY_TEST_H

#include <stdio.h>
#include <string.h>

static int test_checks;
static int test_failures;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        test_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long test_a_ = (long long)(a), test_b_ = (long long)(b);                              \
        test_checks++;                                                                             \
        if (test_a_ != test_b_) {                                                                  \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b,  \
                    test_a_, test_b_);                                                             \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_MEM(a, alen, b, blen)                                                             \
    do {                                                                                           \
        size_t test_al_ = (size_t)(alen), test_bl_ = (size_t)(blen);                               \
        test_checks++;                                                                             \
        if (test_al_ != test_bl_ || (test_al_ && memcmp((a), (b), test_al_) != 0)) {               \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s (%zu bytes) differs from %s (%zu bytes)\n", __FILE__,       \
                    __LINE__, #a, test_al_, #b, test_bl_);                                         \
        }                                                                                          \
    } while (0)

/* Each argument is evaluated once: a call with side effects is fine here. */
#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *test_sa_ = (a), *test_sb_ = (b);                                               \
        CHECK_EQ_MEM(test_sa_, strlen(test_sa_), test_sb_, strlen(test_sb_));                      \
    } while (0)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        int test_before_ = test_failures;                                                          \
        name();                                                                                    \
        if (test_failures != test_before_)                                                         \
            fprintf(stderr, "FAIL %s\n", #name);                                                   \
    } while (0)

#define TEST_MAIN_END()                                                                            \
    (printf("%d passed, %d failed\n", test_checks - test_failures, test_failures),                 \
     test_failures ? 1 : 0)

#endif
