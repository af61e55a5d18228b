/* Helpers shared by the cmocka tests. */
#ifndef CAFE_TESTUTIL_H
#define CAFE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cafe.h"

/* Runs fn(arg) as the main task of a fresh loop; fails the test if the loop could not run.
 * Returns the main task's status. */
int test_run(cafe_task_fn fn, void *arg);

/* Monotonic milliseconds. */
uint64_t test_now_ms(void);

/* Nonzero when the test runs under valgrind (set by CTest's memcheck entries): tests scale
 * their load down there, never their assertions. */
int test_under_valgrind(void);

/* Nonzero when s[0..n) is valid UTF-8: no overlong forms, no surrogates, nothing above
 * U+10FFFF, no NUL. */
int test_utf8_valid(const char *s, size_t n);

#endif
