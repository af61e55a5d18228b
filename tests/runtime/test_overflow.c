/* Stack overflows are reported, naming the task and its stack size: deep recursion, and a
 * single frame larger than the guard page (which -fstack-clash-protection makes touch the
 * guard instead of jumping over it into a neighbour's stack). Each runs in a child. */
#include "testutil.h"
#include "runtime/internal.h"

#include <signal.h>
#include <stdio.h>
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

/* A future's cancel callback runs outside any task (cafe_task_current() is NULL there), but
 * on the stack of the task whose cancel interrupted the last wait: an overflow there is that
 * stack's, and named as such, not a bare SIGSEGV. */
static void deep_cancel_cb(cafe_future_t *f) {
    recurse(0);
}

static int future_waiter(void *arg, void **value) {
    return cafe_future_wait(arg, NULL);
}

static int cancel_it(void *arg, void **value) {
    return cafe_task_cancel(arg);
}

/* Cancels the waiter of another future (f->data), whose callback then runs nested in this
 * one, on the same stack. */
static void cancelling_cancel_cb(cafe_future_t *f) {
    (void)cafe_task_cancel(f->data);
}

/* arg nonzero: the overflowing callback is that nested one. */
static int cancel_cb_main(void *arg, void **value) {
    cafe_future_t f, inner;
    cafe_future_init(&f, arg ? cancelling_cancel_cb : deep_cancel_cb);
    cafe_future_init(&inner, deep_cancel_cb);
    cafe_task_t *w, *c;
    cafe_task_opts_t o = {.stack_size = CAFE_STACK_MIN, .name = "canceller"};
    if (cafe_task_spawn(&w, future_waiter, &f, NULL) != 0 ||
        (arg && cafe_task_spawn((cafe_task_t **)&f.data, future_waiter, &inner, NULL) != 0))
        return CAFE_ENOMEM;
    int rc = cafe_task_yield(); /* the waiters wait */
    if (rc == 0)
        rc = cafe_task_spawn(&c, cancel_it, w, &o);
    if (rc == 0)
        rc = cafe_task_join(c, NULL);
    return rc != 0 ? rc : cafe_task_join(w, NULL);
}

static void test_overflow_in_a_future_cancel_callback_reported(void **state) {
    if (test_under_valgrind())
        skip();
    for (uintptr_t nested = 0; nested <= 1; nested++) {
        int st;
        const char *err = test_child_stderr(cancel_cb_main, (void *)nested, &st);
        if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) ||
            !strstr(err, "cafe: stack overflow in a future's cancel callback, run on the stack "
                         "of task canceller (stack of 16384 bytes)"))
            fail_msg("nested %d: status %#x, stderr: %s", (int)nested, st, err);
    }
}

/* A cafe_thread_run function runs on a pool thread of libuv's, where no task and no loop
 * are: an overflow there died of a bare SIGSEGV (the thread had no alternate signal stack, so
 * no handler could run). It is reported as such, with the pool thread's stack size. */
static int deep_work(void *arg) {
    return recurse(0);
}

static int pool_overflow_main(void *arg, void **value) {
    return cafe_thread_run(deep_work, NULL);
}

static void test_overflow_in_a_thread_run_function_reported(void **state) {
    if (test_under_valgrind())
        skip();
    int st;
    const char *err = test_child_stderr(pool_overflow_main, NULL, &st);
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) ||
        !strstr(err, "cafe: stack overflow in a cafe_thread_run function, on a thread-pool "
                     "thread (stack of "))
        fail_msg("status %#x, stderr: %s", st, err);
}

/* A stack without a guard page (none could be had: guard mode "canary") has a canary at its
 * far end, checked at every switch away from its task: one overwritten there is reported at
 * the task's next suspending call. The task smashes its own canary, as an overflow would. */
static int smash_canary(void *arg, void **value) {
    cafe__task_t *self = cafe__running();
    *(volatile char *)self->stack->lo ^= 1;
    int rc = cafe_task_yield();
    fprintf(stderr, "smasher ran on\n"); /* the switch away from it must have stopped it */
    return rc;
}

static int canary_main(void *arg, void **value) {
    cafe_loop_t *loop = cafe_loop_current();
    loop->stacks.guard_mode = CAFE__GUARD_CANARY; /* the next group of stacks gets no guards */
    cafe_task_t *t;
    /* a size class of its own: a new group, made under that mode */
    cafe_task_opts_t o = {.stack_size = 4 * CAFE_STACK_MIN, .name = "smasher"};
    if (cafe_task_spawn(&t, smash_canary, NULL, &o) != 0)
        return CAFE_ENOMEM;
    return cafe_task_join(t, NULL);
}

static void test_smashed_canary_reported(void **state) {
    int st;
    const char *err = test_child_stderr(canary_main, NULL, &st);
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) ||
        !strstr(err, "cafe: stack overflow in task smasher (stack of 65536 bytes)") ||
        strstr(err, "smasher ran on"))
        fail_msg("status %#x, stderr: %s", st, err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recursion_reported),
        cmocka_unit_test(test_frame_larger_than_guard_reported),
        cmocka_unit_test(test_smashed_canary_reported),
        cmocka_unit_test(test_overflow_in_a_future_cancel_callback_reported),
        cmocka_unit_test(test_overflow_in_a_thread_run_function_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
