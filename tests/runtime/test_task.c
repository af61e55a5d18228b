/* Tasks: spawn order, join, gather, cancel, deadlines, misuse, scale. */
#include "testutil.h"
#include "runtime/asan.h"
#include "runtime/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

/* ---- helpers ---- */
typedef struct trace {
    char buf[256];
} trace_t;

static void trace_add(trace_t *t, const char *s) {
    strncat(t->buf, s, sizeof t->buf - strlen(t->buf) - 1);
}

static int child_trace(void *arg, void **value) {
    trace_add(arg, "child ");
    return 0;
}

static int return_arg(void *arg, void **value) {
    *value = arg;
    return (int)(intptr_t)arg < 0 ? (int)(intptr_t)arg : 0;
}

static int sleeper(void *arg, void **value) {
    int rc = cafe_task_sleep((uint64_t)(uintptr_t)arg);
    *value = (void *)(uintptr_t)arg;
    return rc;
}

/* ---- spawn order: the child runs when the parent next waits (asyncio's order) ---- */
static int spawn_order_main(void *arg, void **value) {
    trace_t *tr = arg;
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, child_trace, tr, NULL), 0);
    trace_add(tr, "parent ");
    cafe_task_yield();
    trace_add(tr, "after ");
    assert_int_equal(cafe_task_join(t, NULL), 0);
    return 0;
}

static void test_spawn_runs_when_caller_waits(void **state) {
    trace_t tr = {{0}};
    assert_int_equal(test_run(spawn_order_main, &tr), 0);
    assert_string_equal(tr.buf, "parent child after ");
}

/* ---- join: status and value come back; the handle is dead afterwards ---- */
static int join_main(void *arg, void **value) {
    cafe_task_t *ok, *bad;
    cafe_result_t r;
    assert_int_equal(cafe_task_spawn(&ok, return_arg, (void *)(intptr_t)7, NULL), 0);
    assert_int_equal(cafe_task_spawn(&bad, return_arg, (void *)(intptr_t)CAFE_EIO, NULL), 0);
    assert_int_equal(cafe_task_join(ok, &r), 0);
    assert_int_equal(r.status, 0);
    assert_ptr_equal(r.value, (void *)(intptr_t)7);
    assert_int_equal(cafe_task_join(bad, &r), 0);
    assert_int_equal(r.status, CAFE_EIO);
    /* joining twice: the handle is dead (and its struct not yet reused) */
    assert_int_equal(cafe_task_join(ok, &r), CAFE_EINVAL);
    *value = (void *)"main value";
    return 3;
}

static void test_join_and_run_result(void **state) {
    cafe_result_t res;
    assert_int_equal(cafe_run(join_main, NULL, &res), 0);
    assert_int_equal(res.status, 3);
    assert_string_equal(res.value, "main value");
}

/* ---- misuse: join self, two joiners ---- */
static int join_self(void *arg, void **value) {
    return cafe_task_join(cafe_task_current(), NULL);
}

static int second_joiner(void *arg, void **value) {
    return cafe_task_join(arg, NULL);
}

static int misuse_main(void *arg, void **value) {
    cafe_task_t *self_joiner, *slow, *other;
    cafe_result_t r;
    assert_int_equal(cafe_task_spawn(&self_joiner, join_self, NULL, NULL), 0);
    assert_int_equal(cafe_task_join(self_joiner, &r), 0);
    assert_int_equal(r.status, CAFE_EDEADLK);

    assert_int_equal(cafe_task_spawn(&slow, sleeper, (void *)(uintptr_t)50, NULL), 0);
    assert_int_equal(cafe_task_spawn(&other, second_joiner, slow, NULL), 0);
    cafe_task_yield(); /* other now waits on slow */
    assert_int_equal(cafe_task_join(slow, NULL), CAFE_EBUSY);
    assert_int_equal(cafe_task_join(other, &r), 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(cafe_task_join(NULL, NULL), CAFE_EINVAL);
    assert_int_equal(cafe_task_detach(NULL), CAFE_EINVAL);
    return 0;
}

static void test_misuse_returns_errors(void **state) {
    assert_int_equal(test_run(misuse_main, NULL), 0);
}

/* ---- outside any task ---- */
static void test_outside_task(void **state) {
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, return_arg, NULL, NULL), CAFE_ENOTASK);
    assert_null(cafe_task_current());
    assert_null(cafe_loop_current());
    uint64_t t0 = test_now_ms();
    assert_int_equal(cafe_task_sleep(30), 0); /* blocks the thread */
    assert_true(test_now_ms() - t0 >= 29);
    assert_int_equal(cafe_task_yield(), 0);
    cafe_sem_t s;
    cafe_sem_init(&s, 0);
    assert_int_equal(cafe_sem_acquire(&s), CAFE_ENOTASK);
    cafe_deadline_t d;
    assert_int_equal(cafe_deadline_begin(&d, 10), CAFE_ENOTASK);
    assert_int_equal(cafe_deadline_end(&d), 0);
}

/* ---- gather: results in input order, errors kept ---- */
static int gather_main(void *arg, void **value) {
    static const uint64_t ms[] = {40, 10, 30, 0, 20};
    cafe_task_t *t[6];
    for (int i = 0; i < 5; i++)
        assert_int_equal(cafe_task_spawn(&t[i], sleeper, (void *)(uintptr_t)ms[i], NULL), 0);
    assert_int_equal(cafe_task_spawn(&t[5], return_arg, (void *)(intptr_t)CAFE_EIO, NULL), 0);
    cafe_result_t r[6];
    assert_int_equal(cafe_task_gather(t, 6, r), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(r[i].status, 0);
        assert_ptr_equal(r[i].value, (void *)(uintptr_t)ms[i]);
    }
    assert_int_equal(r[5].status, CAFE_EIO);
    return 0;
}

static void test_gather_keeps_order_and_errors(void **state) {
    assert_int_equal(test_run(gather_main, NULL), 0);
}

/* ---- gather interrupted: children cancelled, results still complete ---- */
static int gather_with_timeout(void *arg, void **value) {
    cafe_task_t *t[3];
    assert_int_equal(cafe_task_spawn(&t[0], sleeper, (void *)(uintptr_t)1, NULL), 0);
    assert_int_equal(cafe_task_spawn(&t[1], sleeper, (void *)(uintptr_t)60000, NULL), 0);
    assert_int_equal(cafe_task_spawn(&t[2], sleeper, (void *)(uintptr_t)60000, NULL), 0);
    cafe_result_t r[3];
    cafe_deadline_t d;
    cafe_deadline_begin(&d, 50);
    int rc = cafe_task_gather(t, 3, r);
    assert_int_equal(cafe_deadline_end(&d), CAFE_ETIMEDOUT);
    assert_int_equal(rc, CAFE_ETIMEDOUT);
    assert_int_equal(r[0].status, 0);
    assert_int_equal(r[1].status, CAFE_ECANCELED);
    assert_int_equal(r[2].status, CAFE_ECANCELED);
    return 0;
}

static void test_gather_interrupted_loses_nothing(void **state) {
    uint64_t t0 = test_now_ms();
    assert_int_equal(test_run(gather_with_timeout, NULL), 0);
    assert_true(test_now_ms() - t0 < 30000); /* the 60 s sleepers were really cancelled */
}

/* ---- cancel: current and later calls return ECANCELED ---- */
typedef struct cancel_probe {
    int first, second, third;
} cancel_probe_t;

static int cancellee(void *arg, void **value) {
    cancel_probe_t *p = arg;
    p->first = cafe_task_sleep(60000);
    p->second = cafe_task_sleep(1);
    p->third = cafe_task_yield();
    return p->first;
}

static int cancel_main(void *arg, void **value) {
    cancel_probe_t *p = arg;
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, cancellee, p, NULL), 0);
    cafe_task_sleep(5);
    assert_int_equal(cafe_task_cancel(t), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    /* cancelling a finished (joined) task handle: dead handle */
    assert_int_equal(cafe_task_cancel(t), CAFE_EINVAL);
    return 0;
}

static void test_cancel_sleeping_task(void **state) {
    cancel_probe_t p = {1, 1, 1};
    assert_int_equal(test_run(cancel_main, &p), 0);
    assert_int_equal(p.first, CAFE_ECANCELED);
    assert_int_equal(p.second, CAFE_ECANCELED);
    assert_int_equal(p.third, CAFE_ECANCELED);
}

/* ---- deadlines: nest, expire, restore ---- */
static int deadline_main(void *arg, void **value) {
    cafe_deadline_t outer, inner;
    assert_int_equal(cafe_deadline_begin(&outer, 60000), 0);
    assert_int_equal(cafe_deadline_begin(&inner, 20), 0);
    assert_int_equal(cafe_task_sleep(60000), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_task_sleep(1), CAFE_ETIMEDOUT); /* still inside the expired scope */
    assert_int_equal(cafe_deadline_end(&inner), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_task_sleep(1), 0); /* outer scope has time left */
    assert_int_equal(cafe_deadline_end(&outer), 0);

    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, sleeper, (void *)(uintptr_t)200, NULL), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join_timeout(t, 10, &r), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_task_join_timeout(t, 60000, &r), 0); /* handle still valid */
    assert_int_equal(r.status, 0);
    return 0;
}

static void test_deadlines(void **state) {
    assert_int_equal(test_run(deadline_main, NULL), 0);
}

/* ---- a call that returns its result although its deadline interrupted it (a join whose
 * task finished before the joiner ran again; a thread-pool function already running): the
 * scope's end agrees with the call, as it reports a timeout only when a call returned one,
 * so code that checks the scope does not drop a result it was given ---- */
/* Computes past the joiner's deadline, then yields once: the deadline's timer fires in that
 * turn and the joiner, interrupted, is ready behind it; it finishes before the joiner runs.
 * A new task first runs a turn after its spawn: on a loaded machine (valgrind, other jobs)
 * the deadline can pass before that turn's timers, and the joiner is then interrupted
 * before the task ever ran. `started` says which happened. */
typedef struct past {
    uint64_t at;      /* the joiner's deadline */
    uint64_t started; /* when the task first ran, on the loop's clock */
} past_t;

static int past_deadline(void *arg, void **value) {
    past_t *p = arg;
    p->started = cafe_loop_now(cafe_loop_current());
    while (cafe_loop_now(cafe_loop_current()) < p->at + 10)
        ;
    cafe_task_yield();
    *value = arg;
    return 7;
}

/* The scope's end agrees with the call: 0 when the call returned the result; a timeout only
 * when the deadline came before the task had run (see past_t), and then the task is joined
 * still, for its result. */
static void past_deadline_check(int call_rc, cafe_deadline_t *d, cafe_task_t *t, const past_t *p) {
    cafe_result_t r;
    if (call_rc == 0) {
        assert_int_equal(cafe_deadline_end(d), 0);
    } else {
        assert_int_equal(call_rc, CAFE_ETIMEDOUT);
        assert_true(p->started >= p->at);
        assert_int_equal(cafe_deadline_end(d), CAFE_ETIMEDOUT);
    }
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, 7);
}

static int spin_work(void *arg) {
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 40 * 1000000L};
    nanosleep(&ts, NULL);
    return 5;
}

static int result_with_deadline_main(void *arg, void **value) {
    cafe_deadline_t d;
    cafe_task_t *t;
    cafe_result_t r;
    past_t p = {.at = cafe_loop_now(cafe_loop_current()) + 20};
    assert_int_equal(cafe_deadline_begin(&d, 20), 0);
    assert_int_equal(cafe_task_spawn(&t, past_deadline, &p, NULL), 0);
    /* interrupted, and the result was there (or the deadline came first: see past_t) */
    int rc = cafe_task_join(t, &r);
    if (rc == 0) {
        assert_int_equal(r.status, 7);
        assert_int_equal(cafe_deadline_end(&d), 0);
    } else {
        past_deadline_check(rc, &d, t, &p);
    }
    /* the same through wait_any */
    p.at = cafe_loop_now(cafe_loop_current()) + 20;
    assert_int_equal(cafe_deadline_begin(&d, 20), 0);
    assert_int_equal(cafe_task_spawn(&t, past_deadline, &p, NULL), 0);
    size_t i;
    past_deadline_check(cafe_task_wait_any(&t, 1, &i), &d, t, &p);
    /* a function already running on the pool: its value, and no timeout at the scope's end
     * (a later call in the scope would have seen it) */
    /* (a pool thread that starts it only after the deadline, as under valgrind, sees it
     * withdrawn: then the call and the scope both say CAFE_ETIMEDOUT) */
    assert_int_equal(cafe_deadline_begin(&d, 10), 0);
    rc = cafe_thread_run(spin_work, NULL);
    assert_true(rc == 5 || rc == CAFE_ETIMEDOUT);
    assert_int_equal(cafe_deadline_end(&d), rc == 5 ? 0 : CAFE_ETIMEDOUT);
    assert_int_equal(cafe_deadline_begin(&d, 10), 0);
    rc = cafe_thread_run(spin_work, NULL);
    assert_true(rc == 5 || rc == CAFE_ETIMEDOUT);
    assert_int_equal(cafe_task_yield(), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_deadline_end(&d), CAFE_ETIMEDOUT);
    return 0;
}

static void test_result_with_its_deadline(void **state) {
    assert_int_equal(test_run(result_with_deadline_main, NULL), 0);
}

/* ---- a join interrupted in the turn its task finished ----
 * Three timers of one turn, in the order they were started: K's sleep, T's sleep, J's
 * deadline. K wakes and joins T (parks on it); T finishes (wakes K); J's join of T is
 * interrupted by its deadline in the same turn. T's result is K's: J must not take it too
 * (the struct would go back to the pool twice). Without K, J gets the result, as
 * asyncio.wait_for returns a result that came with the timeout. */
typedef struct same_turn {
    cafe_task_t *t;
    int with_k, j_rc, k_rc;
    cafe_result_t j_r, k_r;
} same_turn_t;

static int st_k(void *arg, void **value) {
    same_turn_t *p = arg;
    cafe_task_sleep(30);
    p->k_rc = cafe_task_join(p->t, &p->k_r);
    return 0;
}

static int st_j(void *arg, void **value) {
    same_turn_t *p = arg;
    p->j_rc = cafe_task_join_timeout(p->t, 30, &p->j_r);
    return 0;
}

static int same_turn_main(void *arg, void **value) {
    same_turn_t *p = arg;
    cafe_task_t *k = NULL, *j, *t;
    if (p->with_k)
        assert_int_equal(cafe_task_spawn(&k, st_k, p, NULL), 0);
    assert_int_equal(cafe_task_spawn(&t, sleeper, (void *)(uintptr_t)30, NULL), 0);
    p->t = t;
    assert_int_equal(cafe_task_spawn(&j, st_j, p, NULL), 0);
    /* K, T and J each read the clock when they arm their 30 ms timers, so on a slow host
     * (valgrind, load) those fell in different turns. Once all three are armed, this task
     * holds the loop 60 ms: every timer is then overdue, and one pass of the timer phase
     * fires them in the order they were armed (K, T, J: each is due 30 ms after its arming,
     * on a clock that only goes forward), whatever the clock read. */
    assert_int_equal(cafe_task_yield(), 0);
    struct timespec hold = {.tv_nsec = 60 * 1000000L};
    while (nanosleep(&hold, &hold) != 0)
        ;
    assert_int_equal(cafe_task_join(j, NULL), 0);
    if (k)
        assert_int_equal(cafe_task_join(k, NULL), 0);
    /* Two new tasks get two structs: none went back to the pool twice. */
    cafe_task_t *a, *b;
    assert_int_equal(cafe_task_spawn(&a, sleeper, (void *)(uintptr_t)1, NULL), 0);
    assert_int_equal(cafe_task_spawn(&b, sleeper, (void *)(uintptr_t)1, NULL), 0);
    assert_true(a != b);
    assert_int_equal(cafe_task_join(a, NULL), 0);
    assert_int_equal(cafe_task_join(b, NULL), 0);
    if (!k) /* T was joined by J: its handle is dead */
        assert_int_equal(cafe_task_join(t, NULL), CAFE_EINVAL);
    return 0;
}

/* A task gather claimed that finishes while gather still waits for an earlier one stays
 * gather's: another task's join of it is refused (it was taken, and gather then read the
 * released struct through a stale handle: a crash). The order is made by an event, not by
 * sleeps, which a loaded machine can reorder: t[0] runs until the thief has tried. */
typedef struct claimed {
    cafe_task_t *t[2];
    cafe_event_t tried; /* the thief's join has returned: t[0] may end */
    int quick_done;     /* t[1] has ended (it sets this, then returns without waiting) */
    int thief_rc;
    int gather_rc;
    cafe_result_t r[2];
} claimed_t;

static int until_tried(void *arg, void **value) {
    claimed_t *p = arg;
    *value = (void *)(uintptr_t)60;
    return cafe_event_wait(&p->tried);
}

static int quick(void *arg, void **value) {
    claimed_t *p = arg;
    p->quick_done = 1;
    *value = (void *)(uintptr_t)5;
    return 0;
}

static int gather_claimed(void *arg, void **value) {
    claimed_t *p = arg;
    p->gather_rc = cafe_task_gather(p->t, 2, p->r);
    return 0;
}

static int thief(void *arg, void **value) {
    claimed_t *p = arg;
    for (int i = 0; i < 1000 && !p->quick_done; i++) /* t[1] ends in its first run */
        assert_int_equal(cafe_task_yield(), 0);
    assert_true(p->quick_done);
    p->thief_rc = cafe_task_join(p->t[1], NULL);
    cafe_event_set(&p->tried);
    return 0;
}

static int claimed_main(void *arg, void **value) {
    claimed_t *p = arg;
    cafe_task_t *g, *k;
    cafe_event_init(&p->tried);
    assert_int_equal(cafe_task_spawn(&p->t[0], until_tried, p, NULL), 0);
    assert_int_equal(cafe_task_spawn(&p->t[1], quick, p, NULL), 0);
    assert_int_equal(cafe_task_spawn(&g, gather_claimed, p, NULL), 0);
    assert_int_equal(cafe_task_spawn(&k, thief, p, NULL), 0);
    assert_int_equal(cafe_task_join(g, NULL), 0);
    assert_int_equal(cafe_task_join(k, NULL), 0);
    assert_int_equal(cafe_event_destroy(&p->tried), 0);
    return 0;
}

static void test_gather_keeps_a_finished_claim(void **state) {
    claimed_t p = {0};
    assert_int_equal(test_run(claimed_main, &p), 0);
    assert_int_equal(p.thief_rc, CAFE_EBUSY);
    assert_int_equal(p.gather_rc, 0);
    assert_ptr_equal(p.r[1].value, (void *)(uintptr_t)5);
}

static void test_join_interrupted_as_task_finishes(void **state) {
    same_turn_t p = {0};
    assert_int_equal(test_run(same_turn_main, &p), 0);
    assert_int_equal(p.j_rc, 0);
    assert_int_equal(p.j_r.value, (void *)(uintptr_t)30);

    p = (same_turn_t){.with_k = 1};
    assert_int_equal(test_run(same_turn_main, &p), 0);
    assert_int_equal(p.k_rc, 0);
    assert_int_equal(p.k_r.value, (void *)(uintptr_t)30);
    assert_int_equal(p.j_rc, CAFE_ETIMEDOUT);
}

/* ---- detach: the task runs to the end; the loop waits for it ---- */
static int set_flag_later(void *arg, void **value) {
    cafe_task_sleep(20);
    *(int *)arg = 1;
    return 0;
}

static int detach_main(void *arg, void **value) {
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, set_flag_later, arg, NULL), 0);
    assert_int_equal(cafe_task_detach(t), 0);
    assert_int_equal(cafe_task_detach(t), CAFE_EINVAL);
    return 0; /* returns before the detached task finishes */
}

static void test_run_waits_for_every_task(void **state) {
    int flag = 0;
    assert_int_equal(test_run(detach_main, &flag), 0);
    assert_int_equal(flag, 1);
}

/* ---- failures nobody joined are reported; deadlocks are broken ---- */
static int fail_unjoined_main(void *arg, void **value) {
    cafe_task_t *t;
    cafe_task_opts_t o = {.name = "lonely"};
    cafe_task_spawn(&t, return_arg, (void *)(intptr_t)CAFE_EIO, &o);
    return 0;
}

static int wait_forever(void *arg, void **value) {
    cafe_event_t e;
    cafe_event_init(&e);
    return cafe_event_wait(&e); /* nobody will ever set it */
}

/* What a run of fn wrote on stderr; the run must have exited. */
static const char *stderr_of(cafe_task_fn fn) {
    int st;
    const char *err = test_child_stderr(fn, NULL, &st);
    assert_true(WIFEXITED(st));
    return err;
}

static void test_unjoined_failure_reported(void **state) {
    const char *err = stderr_of(fail_unjoined_main);
    assert_non_null(strstr(err, "lonely"));
    assert_non_null(strstr(err, "i/o error"));
}

static int stuck_main(void *arg, void **value) {
    cafe_task_t *t;
    cafe_task_opts_t o = {.name = "stuck"};
    assert_int_equal(cafe_task_spawn(&t, wait_forever, NULL, &o), 0);
    return cafe_task_join(t, NULL);
}

/* Broken, and the tasks named: with a count alone, which wait never ended was a guess. */
static void test_deadlock_broken(void **state) {
    const char *err = stderr_of(stuck_main);
    assert_non_null(strstr(err, "cafe: deadlock: 2 task(s) wait for something that can never "
                                "happen; cancelling: stuck main\n"));
}

/* ---- scale: many concurrent sleeping tasks ---- */
static int scale_main(void *arg, void **value) {
    size_t n = *(size_t *)arg;
    cafe_task_t **t = malloc(n * sizeof(*t));
    cafe_result_t *r = malloc(n * sizeof(*r));
    assert_non_null(t);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cafe_task_spawn(&t[i], sleeper, (void *)(uintptr_t)(10 + i % 50), NULL),
                         0);
    assert_int_equal(cafe_task_gather(t, n, r), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r[i].status, 0);
    free(t);
    free(r);
    return 0;
}

static void test_100k_concurrent_tasks(void **state) {
    size_t n = test_under_valgrind() ? 2000 : 100000;
    assert_int_equal(test_run(scale_main, &n), 0);
}

/* Stack overflows: test_overflow.c. */

/* ---- a completion that arrives before the park is kept, not lost ---- */
static int early_call(void *arg) {
    cafe__wake(arg, 42); /* e.g. a transfer finishing inside cafe__loop_call */
    return 0;
}

static int early_wake_main(void *arg, void **value) {
    cafe__wait_t w = {.abort = cafe__abort_noop};
    assert_int_equal(cafe__loop_call(early_call, &w), 0);
    assert_int_equal(cafe__park(&w, CAFE__NEVER), 42);
    /* the wait is fresh again: a later park really suspends (another task runs meanwhile) */
    int flag = 0;
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, set_flag_later, &flag, NULL), 0);
    assert_int_equal(cafe__park(&w, cafe_loop_now(cafe_loop_current()) + 1000), 0);
    assert_int_equal(flag, 1);
    return cafe_task_join(t, NULL);
}

static void test_wake_before_park_is_kept(void **state) {
    assert_int_equal(test_run(early_wake_main, NULL), 0);
}

/* ---- a case failing inside a running loop does not fail the cases after it ---- */
static int fails_inside(void *arg, void **value) {
    fail_msg("the probe's case fails inside its task, as intended");
    return 0;
}

static int passes(void *arg, void **value) {
    return 0;
}

static void probe_fails_inside_a_loop(void **state) {
    test_run(fails_inside, NULL);
}

static void probe_runs_a_loop(void **state) {
    assert_int_equal(test_run(passes, NULL), 0);
}

static void probe_runs_a_loop_itself(void **state) {
    cafe_result_t r = {-1, NULL};
    assert_int_equal(cafe_run(passes, NULL, &r), 0);
    assert_int_equal(r.status, 0);
}

/* cmocka leaves a failing case by longjmp, from the task's stack: the loop stayed this
 * thread's running one, and every later case of the file failed, its cafe_run refused
 * (CAFE_EBUSY: one loop per thread). A group of its own, in a child: one case fails
 * inside its task, the two after it pass. Not in the sanitizer build, where ASan ends the
 * child at that failure (see test_case_setup). */
static void test_failure_inside_a_loop_stays_in_its_case(void **state) {
#ifdef CAFE__ASAN
    skip();
#endif
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        const struct CMUnitTest probe[] = {
            cmocka_unit_test(probe_fails_inside_a_loop),
            cmocka_unit_test(probe_runs_a_loop),
            cmocka_unit_test(probe_runs_a_loop_itself),
        };
        int failed = cmocka_run_group_tests(probe, NULL, NULL);
        fflush(NULL);
        _exit(failed);
    }
    close(fds[1]);
    int st = 0;
    const char *out = test_child_output(fds[0], pid, &st);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 1 || !strstr(out, "[  PASSED  ] 2 test(s)."))
        fail_msg("the probe group (status %#x) said:\n%s", st, out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spawn_runs_when_caller_waits),
        cmocka_unit_test(test_join_and_run_result),
        cmocka_unit_test(test_misuse_returns_errors),
        cmocka_unit_test(test_outside_task),
        cmocka_unit_test(test_gather_keeps_order_and_errors),
        cmocka_unit_test(test_gather_interrupted_loses_nothing),
        cmocka_unit_test(test_cancel_sleeping_task),
        cmocka_unit_test(test_deadlines),
        cmocka_unit_test(test_result_with_its_deadline),
        cmocka_unit_test(test_join_interrupted_as_task_finishes),
        cmocka_unit_test(test_gather_keeps_a_finished_claim),
        cmocka_unit_test(test_run_waits_for_every_task),
        cmocka_unit_test(test_unjoined_failure_reported),
        cmocka_unit_test(test_deadlock_broken),
        cmocka_unit_test(test_100k_concurrent_tasks),
        cmocka_unit_test(test_wake_before_park_is_kept),
        cmocka_unit_test(test_failure_inside_a_loop_stays_in_its_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
