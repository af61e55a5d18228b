/* Waiting on several tasks: wait_any (FIRST_COMPLETED), as_completed, fail-fast gather, and
 * a group's results collected by its caller. */
#include "testutil.h"

static int sleep_then(void *arg, void **value) {
    int ms = (int)(intptr_t)arg;
    int rc = cafe_task_sleep((uint64_t)(ms < 0 ? -ms : ms));
    *value = arg;
    return rc != 0 ? rc : ms < 0 ? CAFE_EIO : 0; /* a negative time fails after it */
}

static void spawn_all(cafe_task_t **t, const int *ms, size_t n) {
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cafe_task_spawn(&t[i], sleep_then, (void *)(intptr_t)ms[i], NULL), 0);
}

static int wait_any_main(void *arg, void **value) {
    static const int ms[] = {600000, 10, 30};
    cafe_task_t *t[3];
    spawn_all(t, ms, 3);
    size_t i = 99;
    assert_int_equal(cafe_task_wait_any(t, 3, &i), 0);
    assert_int_equal(i, 1);
    /* nothing was joined: every handle still works, and a NULL entry is skipped */
    cafe_task_t *rest[3] = {t[0], NULL, t[2]};
    assert_int_equal(cafe_task_wait_any(rest, 3, &i), 0);
    assert_int_equal(i, 2);
    /* interrupted by a deadline: the handles are left as they were */
    cafe_task_t *slow[1] = {t[0]};
    cafe_deadline_t d;
    cafe_deadline_begin(&d, 1);
    assert_int_equal(cafe_task_wait_any(slow, 1, &i), CAFE_ETIMEDOUT);
    cafe_deadline_end(&d);
    cafe_task_t *none[2] = {NULL, NULL};
    assert_int_equal(cafe_task_wait_any(none, 2, &i), CAFE_EINVAL);
    assert_int_equal(cafe_task_cancel(t[0]), 0);
    cafe_result_t r[3];
    assert_int_equal(cafe_task_gather(t, 3, r), 0);
    assert_int_equal(r[0].status, CAFE_ECANCELED);
    return 0;
}

static void test_wait_any_first_completed(void **state) {
    assert_int_equal(test_run(wait_any_main, NULL), 0);
}

static int as_completed_main(void *arg, void **value) {
    static const int ms[] = {40, 0, 25, 10};
    static const size_t order[] = {1, 3, 2, 0};
    cafe_task_t *t[4];
    spawn_all(t, ms, 4);
    size_t i, k = 0;
    cafe_result_t r;
    int rc;
    while ((rc = cafe_task_as_completed(t, 4, &i, &r)) == 0) {
        assert_true(k < 4);
        assert_int_equal(i, order[k++]);
        assert_int_equal(r.status, 0);
        assert_ptr_equal(r.value, (void *)(intptr_t)ms[i]);
        assert_null(t[i]);
    }
    assert_int_equal(rc, CAFE_EOF);
    assert_int_equal(k, 4);
    return 0;
}

static void test_as_completed_order(void **state) {
    assert_int_equal(test_run(as_completed_main, NULL), 0);
}

static int failfast_main(void *arg, void **value) {
    static const int ms[] = {600000, -5, 600000, 0};
    cafe_task_t *t[4];
    spawn_all(t, ms, 4);
    cafe_result_t r[4];
    assert_int_equal(cafe_task_gather_failfast(t, 4, r), CAFE_EIO);
    assert_int_equal(r[0].status, CAFE_ECANCELED); /* cancelled and still waited for */
    assert_int_equal(r[1].status, CAFE_EIO);
    assert_int_equal(r[2].status, CAFE_ECANCELED);
    assert_int_equal(r[3].status, 0);
    for (int i = 0; i < 4; i++) /* every handle is dead */
        assert_int_equal(cafe_task_join(t[i], NULL), CAFE_EINVAL);
    /* all succeed: 0 */
    static const int ok[] = {5, 1};
    spawn_all(t, ok, 2);
    assert_int_equal(cafe_task_gather_failfast(t, 2, r), 0);
    assert_ptr_equal(r[0].value, (void *)5);
    /* the caller cancelled: its own code, and nothing left running */
    static const int slow[] = {600000, 600000};
    spawn_all(t, slow, 2);
    cafe_deadline_t d;
    cafe_deadline_begin(&d, 5);
    assert_int_equal(cafe_task_gather_failfast(t, 2, r), CAFE_ETIMEDOUT);
    cafe_deadline_end(&d);
    assert_int_equal(r[0].status, CAFE_ECANCELED);
    assert_int_equal(r[1].status, CAFE_ECANCELED);
    return 0;
}

static void test_gather_failfast(void **state) {
    assert_int_equal(test_run(failfast_main, NULL), 0);
}

static int group_results_main(void *arg, void **value) {
    static const int ms[] = {20, -1, 5};
    cafe_group_t g;
    cafe_result_t r[3];
    cafe_group_init(&g, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            cafe_group_spawn_result(&g, sleep_then, (void *)(intptr_t)ms[i], NULL, &r[i]), 0);
    assert_int_equal(cafe_group_wait(&g), CAFE_EIO);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i].status, ms[i] < 0 ? CAFE_EIO : 0);
        assert_ptr_equal(r[i].value, (void *)(intptr_t)ms[i]);
    }
    return 0;
}

static void test_group_results_collected(void **state) {
    assert_int_equal(test_run(group_results_main, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_any_first_completed),
        cmocka_unit_test(test_as_completed_order),
        cmocka_unit_test(test_gather_failfast),
        cmocka_unit_test(test_group_results_collected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
