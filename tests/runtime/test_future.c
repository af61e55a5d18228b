/* Completions: resolved from a real libuv callback, many waiters, cancellation and
 * deadlines, and the cancel callback that lets a stack-allocated future die safely. */
#include "testutil.h"

#include <stdlib.h>
#include <uv.h>

/* A libuv timer as the "callback library": it resolves the future its data points at. */
typedef struct timer_op {
    uv_timer_t timer;
    cafe_future_t *f; /* NULL once the waiter gave up */
    int result;
} timer_op_t;

static void free_op(uv_handle_t *h) {
    free(h->data);
}

static void on_fire(uv_timer_t *t) {
    timer_op_t *op = t->data;
    if (op->f)
        assert_int_equal(cafe_future_resolve(op->f, op->result, op), 0);
    uv_close((uv_handle_t *)t, free_op);
}

static void detach_op(cafe_future_t *f) {
    timer_op_t *op = f->data;
    op->f = NULL;
}

static timer_op_t *start_op(cafe_future_t *f, uint64_t ms, int result) {
    timer_op_t *op = calloc(1, sizeof(*op));
    assert_non_null(op);
    op->f = f;
    op->result = result;
    f->data = op;
    uv_loop_t *uv = cafe_loop_uv(cafe_loop_current());
    assert_int_equal(uv_timer_init(uv, &op->timer), 0);
    op->timer.data = op;
    /* from now, as a cafe deadline counts: libuv's cached time can be a loaded turn old, and
     * the op would then fire before a shorter deadline begun after it */
    uv_update_time(uv);
    assert_int_equal(uv_timer_start(&op->timer, on_fire, ms, 0), 0);
    return op;
}

static int resolve_main(void *arg, void **value) {
    cafe_future_t f = {0};
    cafe_future_init(&f, detach_op);
    assert_int_equal(cafe_future_done(&f), 0);
    timer_op_t *op = start_op(&f, 5, 42);
    void *v = NULL;
    assert_int_equal(cafe_future_wait(&f, &v), 42);
    assert_ptr_equal(v, op);
    assert_int_equal(cafe_future_done(&f), 1);
    /* resolved: waits return at once, a second resolve is refused */
    assert_int_equal(cafe_future_wait(&f, NULL), 42);
    assert_int_equal(cafe_future_resolve(&f, 1, NULL), CAFE_EINVAL);
    return 0;
}

static void test_future_resolved_by_callback(void **state) {
    assert_int_equal(test_run(resolve_main, NULL), 0);
}

/* ---- many waiters share one result (single-flight) ---- */
typedef struct shared {
    cafe_future_t f;
    int woke, sum;
} shared_t;

static int waiter(void *arg, void **value) {
    shared_t *s = arg;
    void *v = NULL;
    int rc = cafe_future_wait(&s->f, &v);
    s->woke++;
    s->sum += rc + (int)(intptr_t)v;
    return 0;
}

static int resolver(void *arg, void **value) {
    shared_t *s = arg;
    cafe_task_sleep(3);
    return cafe_future_resolve(&s->f, 7, (void *)(intptr_t)1);
}

static int many_main(void *arg, void **value) {
    shared_t *s = arg;
    cafe_future_init(&s->f, NULL);
    cafe_group_t g;
    cafe_group_init(&g, 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(cafe_group_spawn(&g, waiter, s, NULL), 0);
    assert_int_equal(cafe_group_spawn(&g, resolver, s, NULL), 0);
    return cafe_group_wait(&g);
}

static void test_future_many_waiters(void **state) {
    shared_t s = {0};
    assert_int_equal(test_run(many_main, &s), 0);
    assert_int_equal(s.woke, 10);
    assert_int_equal(s.sum, 80);
}

/* ---- a deadline interrupts the wait; the cancel callback detaches the op, whose later
 * firing then touches nothing of the dead frame. The op is not read after the wait: on a
 * slow machine (valgrind) both timers are due in the same loop turn and the op fires, and
 * frees itself, before this task resumes. ---- */
static int detached;

static void detach_counted(cafe_future_t *f) {
    detach_op(f);
    detached++;
}

static int timeout_inner(void) {
    cafe_future_t f = {0};
    cafe_future_init(&f, detach_counted);
    detached = 0;
    start_op(&f, 50, 1);
    cafe_deadline_t d;
    assert_int_equal(cafe_deadline_begin(&d, 5), 0);
    int rc = cafe_future_wait(&f, NULL);
    cafe_deadline_end(&d);
    assert_int_equal(detached, 1);
    assert_int_equal(cafe_future_done(&f), 1);
    assert_int_equal(cafe_future_wait(&f, NULL), CAFE_ECANCELED);
    return rc;
}

static int timeout_main(void *arg, void **value) {
    assert_int_equal(timeout_inner(), CAFE_ETIMEDOUT);
    cafe_task_sleep(80); /* the timer fires after the frame is gone */
    return 0;
}

static void test_future_deadline_cancels(void **state) {
    assert_int_equal(test_run(timeout_main, NULL), 0);
}

/* ---- one of two waiters is cancelled: the future stays pending for the other ---- */
static void must_not_cancel(cafe_future_t *f) {
    fail_msg("future %p cancelled while a waiter remained", (void *)f);
}

static int cancel_main(void *arg, void **value) {
    shared_t *s = arg;
    cafe_future_init(&s->f, must_not_cancel);
    cafe_task_t *a, *b;
    assert_int_equal(cafe_task_spawn(&a, waiter, s, NULL), 0);
    assert_int_equal(cafe_task_spawn(&b, waiter, s, NULL), 0);
    cafe_task_yield();
    cafe_task_cancel(a);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(a, &r), 0);
    assert_int_equal(s->woke, 1);
    assert_int_equal(s->sum, CAFE_ECANCELED);
    assert_int_equal(cafe_future_done(&s->f), 0);
    assert_int_equal(cafe_future_resolve(&s->f, 3, (void *)(intptr_t)4), 0);
    assert_int_equal(cafe_task_join(b, &r), 0);
    return 0;
}

static void test_future_one_waiter_cancelled(void **state) {
    shared_t s = {0};
    assert_int_equal(test_run(cancel_main, &s), 0);
    assert_int_equal(s.woke, 2);
    assert_int_equal(s.sum, CAFE_ECANCELED + 3 + 4);
}

/* ---- the cancel callback runs outside any task, whoever interrupted the wait ----
 * Run by a cancelling task's cafe_task_cancel, it ran as that task, whose suspending calls
 * there suspended mid-cancel: the interrupted waiter, still parked, could be woken again
 * meanwhile (its deadline) and leave, and the cancel, resumed, then woke a wait in a frame
 * gone. From a timer or the deadlock breaker it ran on the loop's stack (CAFE_ENOTASK). */
static int cb_sleep_rc = 1;
static cafe_task_t *cb_current;

static void sleepy_cancel(cafe_future_t *f) {
    (void)f;
    cb_current = cafe_task_current();
    cb_sleep_rc = cafe_task_sleep(5);
}

static int lone_waiter(void *arg, void **value) {
    return cafe_future_wait(arg, NULL);
}

static int cancel_cb_main(void *arg, void **value) {
    cafe_future_t f;
    cafe_future_init(&f, sleepy_cancel);
    cafe_task_t *w;
    assert_int_equal(cafe_task_spawn(&w, lone_waiter, &f, NULL), 0);
    cafe_task_yield();
    assert_int_equal(cafe_task_cancel(w), 0); /* the callback runs in this call */
    assert_int_equal(cb_sleep_rc, CAFE_ENOTASK);
    assert_null(cb_current);
    assert_non_null(cafe_task_current()); /* the canceller is itself again */
    cafe_result_t r;
    assert_int_equal(cafe_task_join(w, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    return 0;
}

static void test_future_cancel_cb_outside_any_task(void **state) {
    assert_int_equal(test_run(cancel_cb_main, NULL), 0);
}

static void test_future_outside_task(void **state) {
    cafe_future_t f = {0};
    cafe_future_init(&f, NULL);
    assert_int_equal(cafe_future_wait(&f, NULL), CAFE_ENOTASK);
    assert_int_equal(cafe_future_resolve(&f, 5, NULL), 0);
    assert_int_equal(cafe_future_wait(&f, NULL), 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_future_resolved_by_callback),
        cmocka_unit_test(test_future_many_waiters),
        cmocka_unit_test(test_future_deadline_cancels),
        cmocka_unit_test(test_future_one_waiter_cancelled),
        cmocka_unit_test(test_future_outside_task),
        cmocka_unit_test(test_future_cancel_cb_outside_any_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
