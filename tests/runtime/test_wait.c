/* Waiting on several tasks: wait_any (FIRST_COMPLETED), as_completed, fail-fast gather, and
 * a group's results collected by its caller. */
#include "testutil.h"

#include <stdlib.h>

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

static int returns_at_once(void *arg, void **value) {
    *value = arg;
    return 0;
}

/* A task of a set joining the set's creator: the creator waits for it in next. */
static int joins_creator(void *arg, void **value) {
    return cafe_task_join(arg, NULL);
}

/* Creates a set of one task that joins the creator, and takes its result. */
static int set_of_own_joiner(void *arg, void **value) {
    cafe_task_t *j;
    cafe_as_completed_t *ac;
    size_t i;
    cafe_result_t r;
    assert_int_equal(cafe_task_spawn(&j, joins_creator, cafe_task_current(), NULL), 0);
    assert_int_equal(cafe_as_completed_create(&ac, &j, 1), 0);
    assert_int_equal(cafe_task_yield(), 0); /* j joins before the creator waits in next */
    assert_int_equal(cafe_as_completed_next(ac, &i, &r), 0);
    assert_int_equal(r.status, CAFE_EDEADLK);
    assert_int_equal(cafe_as_completed_next(ac, &i, &r), CAFE_EOF);
    cafe_as_completed_free(ac);
    return 0;
}

static int next_elsewhere(void *arg, void **value) {
    size_t i;
    return cafe_as_completed_next(arg, &i, NULL);
}

/* The linear completion set: finishing order (those finished before create too, by their
 * end, not their place in the list), the claim, interruption, and the claim given back. */
static int as_completed_set_main(void *arg, void **value) {
    static const int ms[] = {40, 25, 10};
    cafe_task_t *t[5], *slow;
    assert_int_equal(cafe_task_spawn(&t[2], returns_at_once, (void *)2, NULL), 0);
    assert_int_equal(cafe_task_spawn(&t[0], returns_at_once, (void *)0, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* both ended: t[2] first */
    spawn_all(&t[3], &ms[1], 2);
    assert_int_equal(cafe_task_spawn(&t[1], sleep_then, (void *)(intptr_t)ms[0], NULL), 0);
    assert_int_equal(cafe_task_spawn(&slow, sleep_then, (void *)600000, NULL), 0);
    cafe_as_completed_t *ac;
    assert_int_equal(cafe_as_completed_create(&ac, t, 5), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t[1], &r), CAFE_EBUSY); /* the set's */
    assert_int_equal(cafe_task_detach(t[1]), CAFE_EBUSY);
    cafe_task_t *other;
    assert_int_equal(cafe_task_spawn(&other, next_elsewhere, ac, NULL), 0);
    assert_int_equal(cafe_task_join(other, &r), 0);
    assert_int_equal(r.status, CAFE_EINVAL);
    static const size_t order[] = {2, 0, 4, 3, 1};
    size_t i, k = 0;
    int rc;
    while ((rc = cafe_as_completed_next(ac, &i, &r)) == 0) {
        assert_int_equal(i, order[k++]);
        assert_int_equal(r.status, 0);
    }
    assert_int_equal(rc, CAFE_EOF);
    assert_int_equal(k, 5);
    assert_int_equal(cafe_task_join(t[1], &r), CAFE_EINVAL); /* joined by next: dead */
    cafe_as_completed_free(ac);

    /* Interrupted: nothing joined, the set still holds the task; free gives it back. */
    assert_int_equal(cafe_as_completed_create(&ac, &slow, 1), 0);
    cafe_deadline_t d;
    cafe_deadline_begin(&d, 1);
    assert_int_equal(cafe_as_completed_next(ac, &i, &r), CAFE_ETIMEDOUT);
    cafe_deadline_end(&d);
    assert_int_equal(cafe_task_join(slow, &r), CAFE_EBUSY);
    cafe_as_completed_free(ac);
    assert_int_equal(cafe_task_cancel(slow), 0);
    assert_int_equal(cafe_task_join(slow, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);

    /* A claimed task that would wait for the creator: it waits for them. */
    cafe_task_t *c;
    assert_int_equal(cafe_task_spawn(&c, set_of_own_joiner, NULL, NULL), 0);
    assert_int_equal(cafe_task_join(c, &r), 0);
    assert_int_equal(r.status, 0);

    /* An empty set; bad arguments, nothing created. */
    assert_int_equal(cafe_as_completed_create(&ac, NULL, 0), 0);
    assert_int_equal(cafe_as_completed_next(ac, &i, &r), CAFE_EOF);
    assert_int_equal(cafe_as_completed_next(ac, NULL, &r), CAFE_EINVAL);
    cafe_as_completed_free(ac);
    cafe_as_completed_free(NULL);
    cafe_task_t *twice[2] = {slow, slow};
    assert_int_equal(cafe_as_completed_create(&ac, NULL, 1), CAFE_EINVAL);
    assert_int_equal(cafe_as_completed_create(&ac, twice, 2), CAFE_EINVAL); /* slow is dead */
    return 0;
}

static void test_as_completed_set(void **state) {
    assert_int_equal(test_run(as_completed_set_main, NULL), 0);
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
    /* An empty list is done, as asyncio.as_completed([]) yields nothing, whatever its address
     * (a loop over a list that may be empty); a missing list of some length is not one. */
    assert_int_equal(cafe_task_as_completed(NULL, 0, &i, &r), CAFE_EOF);
    assert_int_equal(cafe_task_as_completed(NULL, 1, &i, &r), CAFE_EINVAL);
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

/* ---- gather owns every handle it was given until it returns ---- */
typedef struct gather_job {
    cafe_event_t go;
    cafe_task_t *t[3];
    cafe_result_t r[3];
    int rc;
} gather_job_t;

static int wait_go(void *arg, void **value) {
    gather_job_t *g = arg;
    *value = g;
    return cafe_event_wait(&g->go);
}

static int finish_now(void *arg, void **value) {
    return 0;
}

static int gatherer(void *arg, void **value) {
    gather_job_t *g = arg;
    g->rc = cafe_task_gather(g->t, 3, g->r);
    return 0;
}

/* While the gatherer waits for t[0], the later entries (one finished, one running) are its:
 * another task that joined or detached one would leave gather a dead handle halfway. */
static int gather_owns_main(void *arg, void **value) {
    gather_job_t g = {.rc = 1};
    cafe_event_init(&g.go);
    assert_int_equal(cafe_task_spawn(&g.t[0], wait_go, &g, NULL), 0);
    assert_int_equal(cafe_task_spawn(&g.t[1], finish_now, NULL, NULL), 0);
    assert_int_equal(cafe_task_spawn(&g.t[2], wait_go, &g, NULL), 0);
    cafe_task_t *gt;
    assert_int_equal(cafe_task_spawn(&gt, gatherer, &g, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* t[1] finished; the gatherer waits for t[0] */
    cafe_result_t r = {111, NULL};
    size_t i;
    for (int k = 1; k < 3; k++) {
        assert_int_equal(cafe_task_join(g.t[k], &r), CAFE_EBUSY);
        assert_int_equal(cafe_task_join_timeout(g.t[k], 0, &r), CAFE_EBUSY);
        assert_int_equal(cafe_task_detach(g.t[k]), CAFE_EBUSY);
        assert_int_equal(cafe_task_wait_any(&g.t[k], 1, &i), CAFE_EBUSY);
        assert_int_equal(cafe_task_gather(&g.t[k], 1, &r), CAFE_EBUSY);
        assert_int_equal(cafe_task_gather_failfast(&g.t[k], 1, &r), CAFE_EBUSY);
    }
    assert_int_equal(r.status, 111);
    cafe_event_set(&g.go);
    assert_int_equal(cafe_task_join(gt, NULL), 0);
    assert_int_equal(g.rc, 0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(g.r[k].status, 0);
        assert_ptr_equal(g.r[k].value, k == 1 ? NULL : (void *)&g);
        assert_int_equal(cafe_task_join(g.t[k], NULL), CAFE_EINVAL); /* gather joined it */
    }
    return 0;
}

static void test_gather_owns_its_handles(void **state) {
    assert_int_equal(test_run(gather_owns_main, NULL), 0);
}

/* ---- waiting for a task that waits for you (directly or down a chain) is refused: once
 * interrupted, gather's waits cannot be, and nothing could end the cycle ---- */
typedef struct cycle {
    cafe_task_t *top, *a, *b;
    int rc[6];
} cycle_t;

static int gather_b(void *arg, void **value) {
    cycle_t *c = arg;
    cafe_result_t r;
    return cafe_task_gather(&c->b, 1, &r);
}

static int wait_for_waiters(void *arg, void **value) {
    cycle_t *c = arg;
    cafe_result_t r = {111, NULL};
    size_t i;
    assert_int_equal(cafe_task_yield(), 0); /* a parks in its gather of b */
    c->rc[0] = cafe_task_join(c->a, &r);
    c->rc[1] = cafe_task_join_timeout(c->a, 600000, &r);
    c->rc[2] = cafe_task_gather(&c->a, 1, &r);
    c->rc[3] = cafe_task_gather_failfast(&c->a, 1, &r);
    c->rc[4] = cafe_task_wait_any(&c->a, 1, &i);
    c->rc[5] = cafe_task_join(c->top, &r); /* top waits for a, which waits for b */
    return r.status == 111 ? 0 : CAFE_EIO; /* nothing was joined */
}

static int join_a(void *arg, void **value) {
    cycle_t *c = arg;
    cafe_result_t r;
    int rc = cafe_task_join(c->a, &r);
    return rc != 0 ? rc : r.status;
}

static int cycle_main(void *arg, void **value) {
    cycle_t c = {0};
    assert_int_equal(cafe_task_spawn(&c.a, gather_b, &c, NULL), 0);
    assert_int_equal(cafe_task_spawn(&c.b, wait_for_waiters, &c, NULL), 0);
    assert_int_equal(cafe_task_spawn(&c.top, join_a, &c, NULL), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(c.top, &r), 0);
    assert_int_equal(r.status, 0);
    for (int k = 0; k < 6; k++)
        assert_int_equal(c.rc[k], CAFE_EDEADLK);
    return 0;
}

static void test_waiting_for_own_waiter_edeadlk(void **state) {
    assert_int_equal(test_run(cycle_main, NULL), 0);
}

/* ---- the same through groups: a group's children are waited for by whoever waits on the
 * group, so a child (or a child's child) that joins, gathers or waits for that waiter, or a
 * waiter whose group's child waits for it, closes a cycle too ---- */
typedef struct gcycle {
    cafe_group_t g;
    cafe_task_t *x;
    int rc[4];
} gcycle_t;

static int wait_group(void *arg, void **value) {
    gcycle_t *c = arg;
    return cafe_group_wait(&c->g);
}

/* g's child: x waits on g, so waiting for x would never end. */
static int wait_for_group_waiter(void *arg, void **value) {
    gcycle_t *c = arg;
    cafe_result_t r = {111, NULL};
    size_t i;
    assert_int_equal(cafe_task_yield(), 0); /* x parks in cafe_group_wait(&c->g) */
    c->rc[0] = cafe_task_join(c->x, &r);
    c->rc[1] = cafe_task_gather(&c->x, 1, &r);
    c->rc[2] = cafe_task_wait_any(&c->x, 1, &i);
    return r.status == 111 ? 0 : CAFE_EIO;
}

/* g's child that waits on a group of its own, whose child waits for x. */
static int grandchild(void *arg, void **value) {
    gcycle_t *c = arg;
    c->rc[3] = cafe_task_join(c->x, NULL);
    return 0;
}

static int group_of_own(void *arg, void **value) {
    cafe_group_t h;
    cafe_group_init(&h, 0);
    assert_int_equal(cafe_group_spawn(&h, grandchild, arg, NULL), 0);
    return cafe_group_wait(&h);
}

static int join_x(void *arg, void **value) {
    gcycle_t *c = arg;
    cafe_result_t r;
    int rc = cafe_task_join(c->x, &r);
    return rc != 0 ? rc : r.status;
}

static int group_cycle_main(void *arg, void **value) {
    gcycle_t c = {.rc = {1, 1, 1, 1}};
    cafe_result_t r;
    /* the child waits for the group's waiter */
    cafe_group_init(&c.g, 0);
    assert_int_equal(cafe_group_spawn(&c.g, wait_for_group_waiter, &c, NULL), 0);
    assert_int_equal(cafe_group_spawn(&c.g, group_of_own, &c, NULL), 0);
    assert_int_equal(cafe_task_spawn(&c.x, wait_group, &c, NULL), 0);
    assert_int_equal(cafe_group_wait(&c.g), 0); /* main waits on g too, before x */
    assert_int_equal(cafe_task_join(c.x, &r), 0);
    assert_int_equal(r.status, 0);
    for (int k = 0; k < 4; k++)
        assert_int_equal(c.rc[k], CAFE_EDEADLK);
    /* the waiter comes second: a child already waits for it (and gets its result) */
    cafe_result_t jr = {111, NULL};
    cafe_group_init(&c.g, 0);
    assert_int_equal(cafe_group_spawn_result(&c.g, join_x, &c, NULL, &jr), 0);
    assert_int_equal(cafe_task_spawn(&c.x, wait_group, &c, NULL), 0);
    assert_int_equal(cafe_group_wait(&c.g), CAFE_EDEADLK);
    assert_int_equal(jr.status, CAFE_EDEADLK); /* x's own status, passed on by join_x */
    return 0;
}

/* The waiter interrupted (cancelled, timed out) still waits for the group: it cancels the
 * children and waits for them again, uninterruptibly. In the turn between its interruption
 * and that second wait it was off the group's list, so a child that joined it then (in a
 * shield) was not refused, and the two waited for each other; another task's walk up through
 * them went round for good. */
typedef struct window {
    cafe_group_t g;
    cafe_event_t go;
    cafe_task_t *w;
    int rc;
} window_t;

static int shielded_join_waiter(void *arg, void **value) {
    window_t *x = arg;
    cafe_shield_t s;
    assert_int_equal(cafe_shield_begin(&s), 0);
    assert_int_equal(cafe_event_wait(&x->go), 0);
    x->rc = cafe_task_join(x->w, NULL); /* the waiter was cancelled, and has not run yet */
    cafe_shield_end(&s);
    return 0;
}

static int wait_window_group(void *arg, void **value) {
    window_t *x = arg;
    return cafe_group_wait(&x->g);
}

static int interrupted_waiter_main(void *arg, void **value) {
    window_t *x = arg;
    cafe_result_t r;
    cafe_group_init(&x->g, 0);
    cafe_event_init(&x->go);
    assert_int_equal(cafe_group_spawn(&x->g, shielded_join_waiter, x, NULL), 0);
    assert_int_equal(cafe_task_spawn(&x->w, wait_window_group, x, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0);      /* the child waits for go, w for the group */
    cafe_event_set(&x->go);                      /* the child runs first... */
    assert_int_equal(cafe_task_cancel(x->w), 0); /* ...then w, interrupted */
    assert_int_equal(cafe_task_yield(), 0);      /* both run: nobody joins w before */
    assert_int_equal(cafe_task_join(x->w, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    assert_int_equal(x->rc, CAFE_EDEADLK);
    return 0;
}

static void test_interrupted_group_waiter_still_waits(void **state) {
    window_t x = {.rc = 1};
    assert_int_equal(test_run(interrupted_waiter_main, &x), 0);
}

static void test_waiting_for_own_group_waiter_edeadlk(void **state) {
    assert_int_equal(test_run(group_cycle_main, NULL), 0);
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

/* ---- a fail-fast gather of many tasks ending over many turns ----
 * gather_failfast takes the tasks as they end (it scanned them all for each: n^2, see
 * bench_runtime's `failfast`, where the cost is measured). Here: each result in its place. */
enum { MANY_GATHERED = 2000 };

static int nap_ms(void *arg, void **value) {
    *value = arg;
    return cafe_task_sleep((uint64_t)(uintptr_t)arg);
}

static int many_gathered_main(void *arg, void **value) {
    cafe_task_t **t = malloc(MANY_GATHERED * sizeof(*t));
    cafe_result_t *r = malloc(MANY_GATHERED * sizeof(*r));
    assert_non_null(t);
    assert_non_null(r);
    cafe_task_opts_t o = {.stack_size = CAFE_STACK_MIN};
    for (uintptr_t i = 0; i < MANY_GATHERED; i++)
        assert_int_equal(cafe_task_spawn(&t[i], nap_ms, (void *)(i % 50), &o), 0);
    assert_int_equal(cafe_task_gather_failfast(t, MANY_GATHERED, r), 0);
    for (uintptr_t i = 0; i < MANY_GATHERED; i++) {
        assert_int_equal(r[i].status, 0);
        assert_ptr_equal(r[i].value, (void *)(i % 50));
    }
    free(t);
    free(r);
    return 0;
}

static void test_gather_failfast_of_many(void **state) {
    assert_int_equal(test_run(many_gathered_main, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_any_first_completed),
        cmocka_unit_test(test_gather_failfast_of_many),
        cmocka_unit_test(test_as_completed_order),
        cmocka_unit_test(test_as_completed_set),
        cmocka_unit_test(test_gather_failfast),
        cmocka_unit_test(test_gather_owns_its_handles),
        cmocka_unit_test(test_waiting_for_own_waiter_edeadlk),
        cmocka_unit_test(test_waiting_for_own_group_waiter_edeadlk),
        cmocka_unit_test(test_interrupted_group_waiter_still_waits),
        cmocka_unit_test(test_group_results_collected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
