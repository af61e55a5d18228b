/* Helpers shared by the cmocka tests. */
#ifndef CAFE_TESTUTIL_H
#define CAFE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "cafe.h"

/* Every test file's cmocka_run_group_tests (the macro, redefined below): cmocka's run of the
 * group, each case preceded by test_case_setup. A case with a setup of its own is refused
 * (the group fails, naming it): none has one yet. */
int test_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
                   CMFixtureFunction group_setup, CMFixtureFunction group_teardown);
#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)                           \
    test_run_group(#group_tests, group_tests, sizeof(group_tests) / sizeof((group_tests)[0]),      \
                   group_setup, group_teardown)

/* A case's setup: a loop this thread still runs was left behind by the case before, which
 * failed inside it (cmocka leaves a failing case by longjmp, from the task's stack: its
 * cafe_loop_run never returned). The thread forgets that loop, so that this case's runs are
 * not refused (CAFE_EBUSY, one loop per thread) and its failure does not cascade; the loop is
 * kept, never freed. The library's check is untouched: a case starts outside any run, so
 * nothing but such a failure leaves one running here. (In the sanitizer build no case comes
 * after such a failure: the jump leaves the dead frames of the run on the thread's stack
 * poisoned, ASan unpoisoning only the task's, and it reports cmocka's next write there as a
 * stack-buffer-overflow, ending the test.) Returns 0. */
int test_case_setup(void **state);

/* Runs fn(arg) as the main task of a fresh loop; fails the test if the loop could not run.
 * Returns the main task's status. */
int test_run(cafe_task_fn fn, void *arg);

/* Runs cafe_run(fn, arg) in a child process (for runs that must abort, or whose report on
 * stderr is the point). Returns what the child wrote on stderr (static storage, up to 8 KiB;
 * overwritten by the next call); *status (may be NULL) receives waitpid's status. The
 * child exits 0 when the run returned 0 with a main status of 0, 3 for another main
 * status, 2 when the run failed. */
const char *test_child_stderr(cafe_task_fn fn, void *arg, int *status);

/* Reads fd (a pipe from child pid) to its end, closes it and reaps the child: returns what
 * was read (static storage as above, shared with test_child_stderr); *status (may be NULL)
 * receives waitpid's status. */
const char *test_child_output(int fd, pid_t pid, int *status);

/* Monotonic milliseconds. */
uint64_t test_now_ms(void);

/* Nonzero when the test runs under valgrind (set by CTest's memcheck entries): tests scale
 * their load down there, never their assertions. */
int test_under_valgrind(void);

/* Nonzero when mallinfo2() sees the heap the code under test allocates from: not under
 * valgrind or AddressSanitizer, whose allocators are not glibc's (mallinfo2 then reads a
 * heap nobody uses, and a bound on it would hold whatever the code did: skip instead). */
int test_heap_measured(void);

/* Nonzero when s[0..n) is valid UTF-8 (cafe_utf8_valid, the library's one rule) and holds
 * no NUL. */
int test_utf8_valid(const char *s, size_t n);

/* The whole file at path in a NUL-terminated heap buffer (free it), its length in *len (may
 * be NULL); NULL when the file cannot be opened. A read error fails the test. */
char *test_read_file(const char *path, size_t *len);

/* Checks that the region of docs/cafe.1 from the line starting with begin_mark through the line
 * starting with end_mark is exactly want (which holds both mark lines); with CAFE_WRITE_MAN
 * set, rewrites that region instead. test names the test binary for the failure message. */
void test_man_region(const char *begin_mark, const char *end_mark, const char *want,
                     const char *test);

#endif
