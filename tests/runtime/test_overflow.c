/* Stack overflows are reported, naming the task and its stack size: deep recursion, and a
 * single frame larger than the guard page (which -fstack-clash-protection makes touch the
 * guard instead of jumping over it into a neighbour's stack). Each runs in a child. */
#include "testutil.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

static volatile char sink;

static int recurse(int depth) {
    volatile char pad[512];
    pad[0] = (char)depth;
    sink = pad[0];
    return depth > 1000000 ? 0 : recurse(depth + 1) + pad[0];
}

static int deep_task(void *arg, void **value) {
    return recurse(0);
}

/* One frame of 140 KiB in a 128 KiB stack. */
static int big_frame_task(void *arg, void **value) {
    size_t n = (size_t)(uintptr_t)arg;
    volatile char big[n];
    big[0] = 1;
    sink = big[0];
    return 0;
}

/* A neighbour whose locals the big frame would have overwritten without the probes. */
static int neighbour_task(void *arg, void **value) {
    volatile char mine[4096];
    memset((char *)mine, 0x5A, sizeof mine);
    int rc = cafe_task_sleep(50);
    for (size_t i = 0; i < sizeof mine; i++)
        if (mine[i] != 0x5A)
            return CAFE_EIO;
    return rc;
}

typedef struct victim {
    cafe_task_fn fn;
    const char *name;
    size_t stack, arg;
} victim_t;

static int overflow_main(void *arg, void **value) {
    const victim_t *v = arg;
    cafe_task_t *n, *t;
    cafe_task_opts_t no = {.stack_size = v->stack, .name = "neighbour"};
    cafe_task_opts_t o = {.stack_size = v->stack, .name = v->name};
    if (cafe_task_spawn(&n, neighbour_task, NULL, &no) != 0 ||
        cafe_task_spawn(&t, v->fn, (void *)(uintptr_t)v->arg, &o) != 0)
        return CAFE_ENOMEM;
    cafe_result_t r, rn;
    int rc = cafe_task_join(t, &r);
    if (rc == 0)
        rc = cafe_task_join(n, &rn);
    return rc != 0 ? rc : r.status != 0 ? r.status : rn.status;
}

static void expect_report(const victim_t *v, const char *what) {
    int st;
    const char *err = test_child_stderr(overflow_main, (void *)v, &st);
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) || !strstr(err, what))
        fail_msg("status %#x, stderr: %s", st, err);
}

static void test_recursion_reported(void **state) {
    if (test_under_valgrind())
        skip();
    victim_t v = {deep_task, "deep", CAFE_STACK_MIN, 0};
    expect_report(&v, "cafe: stack overflow in task deep (stack of 16384 bytes)");
}

static void test_frame_larger_than_guard_reported(void **state) {
    if (test_under_valgrind())
        skip();
    victim_t v = {big_frame_task, "big", 128 * 1024, 140 * 1024};
    expect_report(&v, "cafe: stack overflow in task big (stack of 131072 bytes)");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recursion_reported),
        cmocka_unit_test(test_frame_larger_than_guard_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
