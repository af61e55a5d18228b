/* Scenarios for the asyncio differential (test_asyncio_parity.sh, asyncio_parity.py): each
 * runs one interleaving with libcafe and prints its event trace, one line per event; the
 * driver runs the same scenario in Python's asyncio and compares the traces.
 *
 *     asyncio_scenarios NAME      runs one scenario
 *     asyncio_scenarios           lists them
 *
 * with CAFE_PARITY_UNIT_MS=N in the environment, the time unit is N ms (1 when unset; see
 * ms() below).
 *
 * Only the order of events is printed, never a time: events are spaced by 10 units or more,
 * and the driver picks a unit wide enough that a loaded machine cannot reorder them. Statuses
 * print as asyncio's words: "ok", "cancelled", "timeout", or the error's name. */
#include <cafe.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void tr(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static void tr(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const char *st(int rc) {
    switch (rc) {
    case 0:
        return "ok";
    case CAFE_ECANCELED:
        return "cancelled";
    case CAFE_ETIMEDOUT:
        return "timeout";
    default:
        return cafe_err_name(rc);
    }
}

/* The scenarios' time unit, in ms: every duration below (sleeps, deadlines, work, clock
 * comparisons) is a count of units, as in asyncio_parity.py, which sets CAFE_PARITY_UNIT_MS
 * for both sides. A larger unit widens every gap between events alike, so a stall of the
 * process shorter than the smallest gap (10 units) cannot reorder them. */
static uint64_t unit_ms = 1;

/* n units, in ms. */
static uint64_t ms(uint64_t n) {
    return n * unit_ms;
}

/* Computes for n units without yielding (nor calling cafe: thread-pool functions use it). */
static void block_for(uint64_t n) {
    uint64_t t = ms(n);
    struct timespec ts = {.tv_sec = (time_t)(t / 1000), .tv_nsec = (long)(t % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static cafe_task_t *spawn(cafe_task_fn fn, void *arg, const char *name) {
    cafe_task_t *t;
    cafe_task_opts_t o = {.name = name};
    if (cafe_task_spawn(&t, fn, arg, &o) != 0)
        abort();
    return t;
}

/* A task's argument: its name and a number (a duration, a value). */
typedef struct targ {
    const char *name;
    int n;
    void *obj;
} targ_t;

/* Spawns fn once for each of the n arguments, under its name, into t. */
static void spawn_each(cafe_task_fn fn, targ_t *a, size_t n, cafe_task_t **t) {
    for (size_t i = 0; i < n; i++)
        t[i] = spawn(fn, &a[i], a[i].name);
}

/* Waits for n tasks (at most 8), their results unread. */
static void gather_all(cafe_task_t **t, size_t n) {
    cafe_result_t r[8];
    cafe_task_gather(t, n, r);
}

/* ---- spawn and yield ------------------------------------------------------------------- */
static int yielder(void *arg, void **value) {
    targ_t *a = arg;
    tr("%s start", a->name);
    cafe_task_yield();
    tr("%s end", a->name);
    return 0;
}

static int spawn_yield(void *arg, void **value) {
    targ_t a = {"A", 0, NULL}, b = {"B", 0, NULL};
    cafe_task_t *ta = spawn(yielder, &a, "A"), *tb = spawn(yielder, &b, "B");
    tr("main spawned");
    cafe_task_yield();
    tr("main after yield");
    cafe_task_join(ta, NULL);
    tr("main joined A");
    cafe_task_join(tb, NULL);
    tr("main joined B");
    return 0;
}

/* ---- sleep(0) is a yield: it interleaves with cafe_task_yield as asyncio.sleep(0) does -- */
static int zero_sleeper(void *arg, void **value) {
    targ_t *a = arg;
    for (int i = 0; i < 3; i++) {
        tr("%s %d", a->name, i);
        if (a->n)
            cafe_task_sleep(0);
        else
            cafe_task_yield();
    }
    return 0;
}

static int sleep0_order(void *arg, void **value) {
    targ_t a[3] = {{"A", 1, NULL}, {"B", 1, NULL}, {"C", 0, NULL}};
    cafe_task_t *t[3];
    spawn_each(zero_sleeper, a, 3, t);
    gather_all(t, 3);
    return 0;
}

/* ---- sleep order: by deadline; equal deadlines in the order the sleeps began ------------- */
static int sleeper(void *arg, void **value) {
    targ_t *a = arg;
    int rc = cafe_task_sleep(ms((uint64_t)a->n));
    tr("%s woke %s", a->name, st(rc));
    *value = (void *)(intptr_t)a->n;
    return 0;
}

static int sleep_order(void *arg, void **value) {
    targ_t a[5] = {
        {"t0", 90, NULL}, {"t1", 30, NULL}, {"t2", 60, NULL}, {"t3", 30, NULL}, {"t4", 30, NULL}};
    cafe_task_t *t[5];
    spawn_each(sleeper, a, 5, t);
    gather_all(t, 5);
    tr("main done");
    return 0;
}

/* ---- a sleep begun after the task computed lasts its full time ------------------------ */
static int busy_sleeper(void *arg, void **value) {
    targ_t *a = arg;
    block_for(80);
    tr("%s computed", a->name);
    int rc = cafe_task_sleep(ms((uint64_t)a->n));
    tr("%s woke %s", a->name, st(rc));
    return 0;
}

static int busy_deadline(void *arg, void **value) {
    targ_t *a = arg;
    block_for(80);
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms((uint64_t)a->n));
    int rc = cafe_task_sleep(ms(1000));
    cafe_deadline_end(&d);
    tr("%s deadline %s", a->name, st(rc));
    return 0;
}

/* loop.time() after computing: the clock has moved on, and a sleep until a time read from it
 * ends then, not sooner (as a timer counted from a clock that stood still would). Both are
 * bounds from below, which a loaded machine cannot break: the sleep was said to end "later"
 * past t0 + 140, and a thread held back 100 ms after its work made t0 + 100 - now wrap round
 * (cafe_loop_now's own warning) to a sleep without end: the scenario hung until its 60 s. */
static int clock_after_work(void *arg, void **value) {
    cafe_loop_t *loop = cafe_loop_current();
    uint64_t t0 = cafe_loop_now(loop);
    block_for(50);
    uint64_t t1 = cafe_loop_now(loop);
    tr("clock %s", t1 - t0 >= ms(50) ? "moved" : "stood still");
    uint64_t now = cafe_loop_now(loop);
    cafe_task_sleep(t0 + ms(100) > now ? t0 + ms(100) - now : 0); /* until t0 + 100 */
    tr("slept until %s", cafe_loop_now(loop) - t0 >= ms(100) ? "t0 + 100" : "before it");
    return 0;
}

static int busy_then_sleep(void *arg, void **value) {
    targ_t a[3] = {{"B", 100, NULL}, {"A", 50, NULL}, {"D", 50, NULL}};
    cafe_task_t *t[3] = {spawn(sleeper, &a[0], "B"), spawn(busy_sleeper, &a[1], "A"),
                         spawn(busy_deadline, &a[2], "D")};
    gather_all(t, 3);
    return 0;
}

/* ---- gather: results in the order given; a failing member does not stop the others ---- */
static int worker(void *arg, void **value) {
    targ_t *a = arg;
    int rc = cafe_task_sleep(ms((uint64_t)(a->n < 0 ? -a->n : a->n)));
    if (rc != 0) {
        tr("%s %s", a->name, st(rc));
        return rc;
    }
    if (a->n < 0) {
        tr("%s fails", a->name);
        return CAFE_EIO;
    }
    tr("%s done", a->name);
    *value = (void *)(intptr_t)a->n;
    return 0;
}

static int gather_order(void *arg, void **value) {
    targ_t a[4] = {{"w0", 90, NULL}, {"w1", 30, NULL}, {"w2", -50, NULL}, {"w3", 70, NULL}};
    cafe_task_t *t[4];
    spawn_each(worker, a, 4, t);
    cafe_result_t r[4];
    int rc = cafe_task_gather(t, 4, r);
    tr("gather %s", st(rc));
    for (int i = 0; i < 4; i++)
        tr("result %d %s %d", i, st(r[i].status), (int)(intptr_t)r[i].value);
    return 0;
}

/* gather_failfast: asyncio.gather without return_exceptions */
static int gather_failfast(void *arg, void **value) {
    targ_t a[3] = {{"w0", 90, NULL}, {"w1", -30, NULL}, {"w2", 10, NULL}};
    cafe_task_t *t[3];
    spawn_each(worker, a, 3, t);
    cafe_result_t r[3];
    int rc = cafe_task_gather_failfast(t, 3, r);
    tr("gather %s", st(rc));
    cafe_task_sleep(ms(120));
    tr("main done");
    return 0;
}

/* ---- cancelling a task blocked in gather cancels what is left ------------------------- */
static int gatherer(void *arg, void **value) {
    targ_t a[2] = {{"A", 300, NULL}, {"B", 20, NULL}};
    cafe_task_t *t[2] = {spawn(worker, &a[0], "A"), spawn(worker, &a[1], "B")};
    cafe_result_t r[2];
    int rc = cafe_task_gather(t, 2, r);
    tr("G gather %s", st(rc));
    return rc;
}

static int gather_cancel(void *arg, void **value) {
    cafe_task_t *g = spawn(gatherer, NULL, "G");
    cafe_task_sleep(ms(60));
    tr("main cancels G");
    cafe_task_cancel(g);
    cafe_result_t r;
    cafe_task_join(g, &r);
    tr("main joined G %s", st(r.status));
    return 0;
}

/* ---- cancel a finished task: nothing happens ------------------------------------------ */
static int quick(void *arg, void **value) {
    tr("Q runs");
    *value = (void *)(intptr_t)7;
    return 0;
}

static int cancel_finished(void *arg, void **value) {
    cafe_task_t *t = spawn(quick, NULL, "Q");
    cafe_task_sleep(ms(10));
    tr("main cancels Q");
    cafe_task_cancel(t);
    cafe_result_t r;
    cafe_task_join(t, &r);
    tr("Q result %s %d", st(r.status), (int)(intptr_t)r.value);
    return 0;
}

/* Calls that need not wait (their results are there), made once the running task is
 * interrupted: cancelled (by_deadline 0), or under a deadline that has passed (1: 0, at once).
 * Cancelled, cafe's take nothing (sticky cancellation); asyncio's succeed, the cancellation
 * waiting for a call that suspends. Results already there are returned in both. */
static void ready_calls(int by_deadline) {
    cafe_sem_t s;
    cafe_sem_init(&s, 1);
    cafe_queue_t q;
    cafe_queue_init(&q, CAFE_QUEUE_UNBOUNDED);
    cafe_queue_put(&q, &s);
    cafe_event_t e;
    cafe_event_init(&e);
    cafe_event_set(&e);
    cafe_future_t f = {0};
    cafe_future_init(&f, NULL);
    cafe_future_resolve(&f, 0, NULL);
    cafe_task_t *t = spawn(quick, NULL, "Q");
    cafe_task_yield();
    cafe_deadline_t d;
    if (by_deadline)
        cafe_deadline_begin(&d, 0);
    else
        cafe_task_cancel(cafe_task_current());
    void *item;
    tr("acquire %s", st(cafe_sem_acquire(&s)));
    tr("get %s", st(cafe_queue_get(&q, &item)));
    tr("event %s", st(cafe_event_wait(&e)));
    tr("join %s", st(cafe_task_join(t, NULL)));
    tr("future %s", st(cafe_future_wait(&f, NULL)));
    tr("sleep %s", st(cafe_task_yield()));
    if (by_deadline)
        cafe_deadline_end(&d);
    cafe_sem_destroy(&s);
    cafe_queue_destroy(&q);
    cafe_event_destroy(&e);
}

static int no_wait_calls(void *arg, void **value) {
    ready_calls(0);
    return 0;
}

static int deadline_no_wait(void *arg, void **value) {
    ready_calls(1);
    return 0;
}

static int cancel_no_wait(void *arg, void **value) {
    cafe_task_t *t = spawn(no_wait_calls, NULL, "C");
    gather_all(&t, 1);
    return 0;
}

/* ---- cancel a sleeping task ----------------------------------------------------------- */
static int cancel_sleep(void *arg, void **value) {
    targ_t a = {"S", 1000, NULL};
    cafe_task_t *t = spawn(worker, &a, "S");
    cafe_task_sleep(ms(20));
    tr("main cancels S");
    cafe_task_cancel(t);
    tr("main cancelled S");
    cafe_result_t r;
    cafe_task_join(t, &r);
    tr("S result %s", st(r.status));
    return 0;
}

/* ---- cancel a task before it first ran ------------------------------------------------ */
static int cancel_unstarted(void *arg, void **value) {
    targ_t a = {"U", 10, NULL};
    cafe_task_t *t = spawn(worker, &a, "U");
    cafe_task_cancel(t);
    cafe_result_t r;
    cafe_task_join(t, &r);
    tr("U result %s", st(r.status));
    return 0;
}

/* ---- cancelled while it yields ---------------------------------------------------------- */
static int yield_loop(void *arg, void **value) {
    for (int i = 0; i < 3; i++) {
        int rc = cafe_task_yield();
        tr("Y yield %d %s", i, st(rc));
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int cancel_yielding(void *arg, void **value) {
    cafe_task_t *t = spawn(yield_loop, NULL, "Y");
    cafe_task_yield(); /* Y runs and yields */
    tr("main cancels Y");
    cafe_task_cancel(t);
    cafe_result_t r;
    cafe_task_join(t, &r);
    tr("Y result %s", st(r.status));
    return 0;
}

/* ---- cancelled after its sleep ended or its event was set, before it ran again -------- */
static int ev_waiter(void *arg, void **value);

static int cancel_woken(void *arg, void **value) {
    targ_t a = {"S", 20, NULL};
    cafe_task_t *s = spawn(sleeper, &a, "S");
    cafe_task_sleep(ms(20)); /* armed before S's: main runs first in the turn both end */
    tr("main cancels S");
    cafe_task_cancel(s);
    cafe_task_join(s, NULL);
    cafe_event_t e;
    cafe_event_init(&e);
    targ_t b = {"E", 0, &e};
    cafe_task_t *w = spawn(ev_waiter, &b, "E");
    cafe_task_yield();
    tr("main sets, cancels E");
    cafe_event_set(&e);
    cafe_task_cancel(w);
    cafe_task_join(w, NULL);
    cafe_event_destroy(&e);
    return 0;
}

/* ---- a task that ignores its cancellation and sleeps on ------------------------------- */
static int stubborn(void *arg, void **value) {
    int rc = cafe_task_sleep(ms(1000));
    tr("I first sleep %s", st(rc));
    rc = cafe_task_sleep(ms(10));
    tr("I second sleep %s", st(rc));
    return 0;
}

static int ignore_cancel(void *arg, void **value) {
    cafe_task_t *t = spawn(stubborn, NULL, "I");
    cafe_task_sleep(ms(20));
    cafe_task_cancel(t);
    cafe_result_t r;
    cafe_task_join(t, &r);
    tr("I result %s", st(r.status));
    return 0;
}

/* ---- cancelling a task blocked in join: the joined task is left running --------------- */
static int joiner(void *arg, void **value) {
    cafe_task_t *inner = arg;
    int rc = cafe_task_join(inner, NULL);
    tr("J join %s", st(rc));
    return rc;
}

static int join_cancel(void *arg, void **value) {
    targ_t a = {"W", 60, NULL};
    cafe_task_t *w = spawn(worker, &a, "W");
    cafe_task_t *j = spawn(joiner, w, "J");
    cafe_task_sleep(ms(20));
    tr("main cancels J");
    cafe_task_cancel(j);
    cafe_task_join(j, NULL);
    cafe_result_t r;
    int rc = cafe_task_join(w, &r);
    tr("main joined W %s", st(rc == 0 ? r.status : rc));
    return 0;
}

/* ---- a shielded clean-up, cancelled again while it runs ------------------------------- */
static int shielded_worker(void *arg, void **value) {
    int rc = cafe_task_sleep(ms(300));
    if (rc == 0) {
        tr("W slept");
        return 0;
    }
    tr("W cancelled");
    cafe_shield_t s;
    cafe_shield_begin(&s);
    rc = cafe_task_sleep(ms(60)); /* the goodbye */
    if (rc == 0)
        tr("G goodbye sent");
    cafe_shield_end(&s);
    tr("W shielded call %s", st(rc));
    return CAFE_ECANCELED;
}

static int shield_cleanup(void *arg, void **value) {
    cafe_task_t *w = spawn(shielded_worker, NULL, "W");
    cafe_task_sleep(ms(20));
    cafe_task_cancel(w);
    cafe_task_sleep(ms(20));
    cafe_task_cancel(w); /* a second cancel, during the clean-up */
    cafe_result_t r;
    int rc = cafe_task_join(w, &r);
    tr("main joined W %s", st(rc == 0 ? r.status : rc));
    cafe_task_sleep(ms(100));
    tr("main done");
    return 0;
}

/* ---- semaphore: FIFO, no barging ------------------------------------------------------ */
static int sem_user(void *arg, void **value) {
    targ_t *a = arg;
    cafe_sem_t *s = a->obj;
    tr("%s waits", a->name);
    int rc = cafe_sem_acquire(s);
    tr("%s acquire %s", a->name, st(rc));
    if (rc != 0)
        return rc;
    rc = cafe_task_sleep(ms((uint64_t)a->n));
    tr("%s releases (sleep %s)", a->name, st(rc));
    cafe_sem_release(s);
    return 0;
}

static void sem_run(int cancel_waiter, int cancel_woken) {
    cafe_sem_t s;
    cafe_sem_init(&s, 1);
    cafe_sem_acquire(&s);
    targ_t a[3] = {{"W1", 10, &s}, {"W2", 10, &s}, {"W3", 10, &s}};
    cafe_task_t *t[3];
    spawn_each(sem_user, a, 3, t);
    cafe_task_sleep(ms(10));
    if (cancel_waiter) {
        tr("main cancels W2");
        cafe_task_cancel(t[1]);
        cafe_task_yield();
    }
    tr("main releases");
    cafe_sem_release(&s);
    if (cancel_woken) {
        tr("main cancels W1");
        cafe_task_cancel(t[0]);
    }
    tr("main tries: %s", cafe_sem_try_acquire(&s) == 0 ? "got it" : "would block");
    gather_all(t, 3);
    tr("available %zu", cafe_sem_available(&s));
    cafe_sem_destroy(&s);
}

static int sem_fifo(void *arg, void **value) {
    sem_run(0, 0);
    return 0;
}

static int sem_cancel_waiter(void *arg, void **value) {
    sem_run(1, 0);
    return 0;
}

static int sem_cancel_woken(void *arg, void **value) {
    sem_run(0, 1);
    return 0;
}

/* A deadline that passes between the hand-over of the permit and the waiter's run: the
 * waiter keeps the permit and its next wait times out (asyncio runs the woken task before the
 * timeout's callback). One that passed before the release: the permit goes to the next. */
/* asyncio.BoundedSemaphore: a release that would make more permits than it was made with is
 * refused; a permit handed to a waiter that has not run yet is out, as in asyncio. */
static int bounded_user(void *arg, void **value) {
    targ_t *a = arg;
    cafe_sem_t *s = a->obj;
    tr("%s acquire %s", a->name, st(cafe_sem_acquire(s)));
    tr("%s release %s", a->name, st(cafe_sem_release(s)));
    return 0;
}

static int sem_bounded(void *arg, void **value) {
    cafe_sem_t s;
    cafe_sem_init_bounded(&s, 2);
    tr("release full %s", st(cafe_sem_release(&s)));
    cafe_sem_acquire(&s);
    cafe_sem_acquire(&s);
    targ_t a = {"W", 0, &s};
    cafe_task_t *t = spawn(bounded_user, &a, "W");
    cafe_task_yield();
    tr("main releases %s", st(cafe_sem_release(&s)));
    tr("main releases %s", st(cafe_sem_release(&s)));
    tr("main releases %s", st(cafe_sem_release(&s)));
    gather_all(&t, 1);
    tr("release full %s", st(cafe_sem_release(&s)));
    cafe_sem_destroy(&s);
    return 0;
}

static int sem_timed_user(void *arg, void **value) {
    targ_t *a = arg;
    cafe_sem_t *s = a->obj;
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms((uint64_t)a->n));
    int rc = cafe_sem_acquire(s);
    tr("%s acquire %s", a->name, st(rc));
    if (rc == 0) {
        rc = cafe_task_sleep(ms(10));
        tr("%s sleep %s", a->name, st(rc));
        cafe_sem_release(s);
    }
    cafe_deadline_end(&d);
    return 0;
}

/* The same with nothing after the acquire: the scope's end reports no timeout (nothing in it
 * was interrupted), and the permit is the task's. */
static int sem_scoped_user(void *arg, void **value) {
    targ_t *a = arg;
    cafe_sem_t *s = a->obj;
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms((uint64_t)a->n));
    int rc = cafe_sem_acquire(s);
    tr("%s acquire %s, scope %s", a->name, st(rc), st(cafe_deadline_end(&d)));
    if (rc == 0)
        cafe_sem_release(s);
    return 0;
}

static void sem_deadline_run(int yield_first) {
    cafe_sem_t s;
    cafe_sem_init(&s, 1);
    cafe_sem_acquire(&s);
    targ_t a[2] = {{"W1", 20, &s}, {"W2", 10, &s}};
    cafe_task_t *t[2] = {spawn(sem_timed_user, &a[0], "W1"), spawn(sem_user, &a[1], "W2")};
    cafe_task_yield(); /* both wait now, with no turn of the clock: see sem_deadline_scope */
    if (yield_first) {
        block_for(30);
        cafe_task_yield();
    }
    tr("main releases");
    cafe_sem_release(&s);
    if (!yield_first)
        block_for(30);
    gather_all(t, 2);
    tr("available %zu", cafe_sem_available(&s));
    cafe_sem_destroy(&s);
}

static int sem_deadline_woken(void *arg, void **value) {
    sem_deadline_run(0);
    return 0;
}

static int sem_deadline_scope(void *arg, void **value) {
    cafe_sem_t s;
    cafe_sem_init(&s, 1);
    cafe_sem_acquire(&s);
    targ_t a[2] = {{"W1", 20, &s}, {"W2", 10, &s}};
    cafe_task_t *t[2] = {spawn(sem_scoped_user, &a[0], "W1"), spawn(sem_user, &a[1], "W2")};
    /* A yield, not a sleep of 10 ms, lets both start waiting: the release must come before
     * W1's 20 ms deadline, and after a sleep a machine held back 30 ms found both timers due
     * at once, W1's deadline winning (cafe or asyncio then traced "acquire timeout"). */
    cafe_task_yield();
    tr("main releases");
    cafe_sem_release(&s);
    block_for(30);
    gather_all(t, 2);
    tr("available %zu", cafe_sem_available(&s));
    cafe_sem_destroy(&s);
    return 0;
}

static int sem_deadline_first(void *arg, void **value) {
    sem_deadline_run(1);
    return 0;
}

/* ---- queues --------------------------------------------------------------------------- */
static int q_getter(void *arg, void **value) {
    targ_t *a = arg;
    void *item = NULL;
    tr("%s gets", a->name);
    int rc = cafe_queue_get(a->obj, &item);
    if (rc == 0)
        tr("%s got %d", a->name, (int)(intptr_t)item);
    else
        tr("%s get %s", a->name, st(rc));
    return rc;
}

static int q_putter(void *arg, void **value) {
    targ_t *a = arg;
    tr("%s puts %d", a->name, a->n);
    int rc = cafe_queue_put(a->obj, (void *)(intptr_t)a->n);
    tr("%s put %s", a->name, st(rc));
    return rc;
}

static int q_producer(void *arg, void **value) {
    cafe_queue_t *q = arg;
    for (int i = 1; i <= 5; i++) {
        cafe_queue_put(q, (void *)(intptr_t)i);
        tr("P put %d", i);
    }
    return 0;
}

static int queue_fifo(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, 2);
    cafe_task_t *p = spawn(q_producer, &q, "P");
    cafe_task_sleep(ms(10));
    for (int i = 0; i < 5; i++) {
        void *item;
        cafe_queue_get(&q, &item);
        tr("main got %d", (int)(intptr_t)item);
    }
    cafe_task_join(p, NULL);
    cafe_queue_destroy(&q);
    return 0;
}

/* Full queue of one: blocked putters go in in the order they came, a cancelled one drops
 * out. */
static int queue_putters(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, 1);
    cafe_queue_put(&q, (void *)(intptr_t)0);
    targ_t a[3] = {{"P1", 1, &q}, {"P2", 2, &q}, {"P3", 3, &q}};
    cafe_task_t *t[3];
    spawn_each(q_putter, a, 3, t);
    cafe_task_sleep(ms(10));
    tr("main cancels P2");
    cafe_task_cancel(t[1]);
    for (int i = 0; i < 3; i++) {
        void *item;
        cafe_queue_get(&q, &item);
        tr("main got %d", (int)(intptr_t)item);
    }
    gather_all(t, 3);
    tr("left %zu", cafe_queue_len(&q));
    cafe_queue_destroy(&q);
    return 0;
}

/* A getter cancelled while it waits loses nothing: the next item goes to the next getter. */
static int queue_cancel_get(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, 4);
    targ_t a[2] = {{"G1", 0, &q}, {"G2", 0, &q}};
    cafe_task_t *t[2];
    spawn_each(q_getter, a, 2, t);
    cafe_task_sleep(ms(10));
    tr("main cancels G1");
    cafe_task_cancel(t[0]);
    cafe_task_yield();
    tr("main puts 5");
    cafe_queue_put(&q, (void *)(intptr_t)5);
    gather_all(t, 2);
    tr("left %zu", cafe_queue_len(&q));
    cafe_queue_destroy(&q);
    return 0;
}

/* A getter that was handed an item and cancelled before it ran again. */
static int queue_cancel_woken(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, 4);
    targ_t a[2] = {{"G1", 0, &q}, {"G2", 0, &q}};
    cafe_task_t *t[2];
    spawn_each(q_getter, a, 2, t);
    cafe_task_sleep(ms(10));
    tr("main puts 5");
    cafe_queue_put(&q, (void *)(intptr_t)5);
    tr("main cancels G1");
    cafe_task_cancel(t[0]);
    cafe_task_sleep(ms(10));
    tr("main puts 6");
    cafe_queue_put(&q, (void *)(intptr_t)6);
    gather_all(t, 2);
    tr("left %zu", cafe_queue_len(&q));
    while (cafe_queue_try_get(&q, &(void *){NULL}) == 0)
        ;
    cafe_queue_destroy(&q);
    return 0;
}

/* A putter whose item a get moved in, cancelled before it ran: the put is done (cafe), or
 * the putter was only woken and its item never goes in (asyncio). */
static int queue_cancel_woken_put(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, 1);
    cafe_queue_put(&q, (void *)(intptr_t)0);
    targ_t a = {"P1", 1, &q};
    cafe_task_t *t = spawn(q_putter, &a, "P1");
    cafe_task_sleep(ms(10));
    void *item;
    cafe_queue_get(&q, &item);
    tr("main got %d", (int)(intptr_t)item);
    tr("main cancels P1");
    cafe_task_cancel(t);
    gather_all(&t, 1);
    tr("left %zu", cafe_queue_len(&q));
    while (cafe_queue_try_get(&q, &item) == 0)
        ;
    cafe_queue_destroy(&q);
    return 0;
}

/* Three workers on one queue, the producer faster than they are. */
static int q_worker(void *arg, void **value) {
    targ_t *a = arg;
    void *item;
    while (cafe_queue_get(a->obj, &item) == 0) {
        tr("%s got %d", a->name, (int)(intptr_t)item);
        cafe_task_yield();
        tr("%s done %d", a->name, (int)(intptr_t)item);
    }
    return 0;
}

static int queue_workers(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, 2);
    targ_t a[3] = {{"W1", 0, &q}, {"W2", 0, &q}, {"W3", 0, &q}};
    cafe_task_t *t[3];
    spawn_each(q_worker, a, 3, t);
    cafe_task_yield();
    for (int i = 1; i <= 8; i++) {
        cafe_queue_put(&q, (void *)(intptr_t)i);
        tr("main put %d", i);
    }
    cafe_task_yield();
    tr("main closes");
    cafe_queue_close(&q);
    gather_all(t, 3);
    cafe_queue_destroy(&q);
    return 0;
}

/* maxsize 0 */
static int queue_size0(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, 0);
    int rc = cafe_queue_try_put(&q, (void *)(intptr_t)1);
    tr("put_nowait %s", rc == 0 ? "ok" : "full");
    cafe_queue_destroy(&q);
    return 0;
}

/* asyncio.Queue(): unbounded, put_nowait never refuses. */
static int queue_unbounded(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, CAFE_QUEUE_UNBOUNDED);
    int ok = 0;
    for (int i = 0; i < 100; i++)
        ok += cafe_queue_try_put(&q, (void *)(intptr_t)i) == 0;
    tr("put_nowait ok %d, qsize %zu", ok, cafe_queue_len(&q));
    void *item;
    cafe_queue_get(&q, &item);
    tr("got %d", (int)(intptr_t)item);
    for (int i = 1; i < 100; i++)
        cafe_queue_get(&q, &item);
    tr("last %d", (int)(intptr_t)item);
    cafe_queue_destroy(&q);
    return 0;
}

/* ---- queue.join(): the crawler's worker pool ---------------------------------------- */
static int pool_worker(void *arg, void **value) {
    targ_t *a = arg;
    for (;;) {
        void *item;
        int rc = cafe_queue_get(a->obj, &item);
        if (rc != 0)
            return rc;
        int n = (int)(intptr_t)item;
        tr("%s got %d", a->name, n);
        cafe_task_sleep(ms((uint64_t)n));
        tr("%s done %d", a->name, n);
        cafe_queue_task_done(a->obj);
    }
}

static int queue_join(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, CAFE_QUEUE_UNBOUNDED);
    static const int work[] = {50, 10, 30, 60, 10, 20};
    for (int i = 0; i < 6; i++)
        cafe_queue_try_put(&q, (void *)(intptr_t)work[i]);
    tr("main put 6, unfinished %zu", cafe_queue_unfinished(&q));
    targ_t a[3] = {{"W1", 0, &q}, {"W2", 0, &q}, {"W3", 0, &q}};
    cafe_task_t *t[3];
    spawn_each(pool_worker, a, 3, t);
    int rc = cafe_queue_join(&q);
    tr("main joined %s, unfinished %zu", st(rc), cafe_queue_unfinished(&q));
    tr("task_done %s", st(cafe_queue_task_done(&q)));
    for (int i = 0; i < 3; i++)
        cafe_task_cancel(t[i]);
    gather_all(t, 3);
    tr("workers cancelled");
    cafe_queue_destroy(&q);
    return 0;
}

/* ---- lock: a semaphore of one, with asyncio's checks ---------------------------------- */
static int lock_user(void *arg, void **value) {
    targ_t *a = arg;
    cafe_lock_t *l = a->obj;
    tr("%s waits", a->name);
    int rc = cafe_lock_acquire(l);
    tr("%s acquire %s", a->name, st(rc));
    if (rc != 0)
        return rc;
    rc = cafe_task_sleep(ms((uint64_t)a->n));
    tr("%s releases (sleep %s)", a->name, st(rc));
    cafe_lock_release(l);
    return 0;
}

static int lock_fifo(void *arg, void **value) {
    cafe_lock_t l;
    cafe_lock_init(&l);
    cafe_lock_acquire(&l);
    targ_t a[3] = {{"W1", 10, &l}, {"W2", 10, &l}, {"W3", 10, &l}};
    cafe_task_t *t[3];
    spawn_each(lock_user, a, 3, t);
    cafe_task_sleep(ms(10));
    tr("main cancels W2");
    cafe_task_cancel(t[1]);
    cafe_task_yield();
    tr("main releases");
    cafe_lock_release(&l);
    tr("main cancels W1");
    cafe_task_cancel(t[0]);
    tr("main: locked %d", cafe_lock_locked(&l));
    gather_all(t, 3);
    tr("main: locked %d", cafe_lock_locked(&l));
    tr("release %s", st(cafe_lock_release(&l)));
    cafe_lock_destroy(&l);
    return 0;
}

/* A release in the gap between the hand-over and the heir's run: nobody holds the lock then. */
static int lock_handover(void *arg, void **value) {
    cafe_lock_t l;
    cafe_lock_init(&l);
    cafe_lock_acquire(&l);
    targ_t a[2] = {{"W1", 10, &l}, {"W2", 10, &l}};
    cafe_task_t *t[2];
    spawn_each(lock_user, a, 2, t);
    cafe_task_yield();
    tr("main releases");
    cafe_lock_release(&l);
    tr("main: locked %d", cafe_lock_locked(&l));
    tr("release again %s", st(cafe_lock_release(&l)));
    gather_all(t, 2);
    tr("main: locked %d", cafe_lock_locked(&l));
    cafe_lock_destroy(&l);
    return 0;
}

/* ---- condition: notify order, a waiter cancelled (notified or not) ----------------------- */
static int cond_user(void *arg, void **value) {
    targ_t *a = arg;
    cafe_cond_t *c = a->obj;
    cafe_lock_acquire(cafe_cond_lock(c));
    tr("%s waits", a->name);
    int rc = cafe_cond_wait(c);
    tr("%s woke %s, locked %d", a->name, st(rc), cafe_lock_locked(cafe_cond_lock(c)));
    cafe_lock_release(cafe_cond_lock(c));
    return rc;
}

static int cond_notify(void *arg, void **value) {
    cafe_cond_t c;
    cafe_cond_init(&c, NULL);
    cafe_lock_t *l = cafe_cond_lock(&c);
    tr("notify unlocked: %s", st(cafe_cond_notify(&c, 1) < 0 ? CAFE_ENOTLOCKED : 0));
    targ_t a[4] = {{"C1", 0, &c}, {"C2", 0, &c}, {"C3", 0, &c}, {"C4", 0, &c}};
    cafe_task_t *t[4];
    spawn_each(cond_user, a, 4, t);
    cafe_task_sleep(ms(10));
    cafe_lock_acquire(l);
    tr("main notifies 1");
    cafe_cond_notify(&c, 1);
    cafe_lock_release(l);
    cafe_task_sleep(ms(10));
    cafe_lock_acquire(l);
    tr("main notifies 1, cancels C2");
    cafe_cond_notify(&c, 1);
    cafe_task_cancel(t[1]);
    cafe_lock_release(l);
    cafe_task_sleep(ms(10));
    cafe_lock_acquire(l);
    tr("main cancels C4, holding the lock");
    cafe_task_cancel(t[3]);
    cafe_task_sleep(ms(10));
    tr("main releases");
    cafe_lock_release(l);
    cafe_task_sleep(ms(10));
    cafe_lock_acquire(l);
    tr("main notifies all");
    cafe_cond_notify_all(&c);
    cafe_lock_release(l);
    gather_all(t, 4);
    cafe_cond_destroy(&c);
    return 0;
}

/* ---- condition: the notified waiter cancelled while it takes the lock back ------------- */
static int cond_relock_cancel(void *arg, void **value) {
    cafe_cond_t c;
    cafe_cond_init(&c, NULL);
    cafe_lock_t *l = cafe_cond_lock(&c);
    targ_t a[2] = {{"C1", 0, &c}, {"C2", 0, &c}};
    cafe_task_t *t[2];
    spawn_each(cond_user, a, 2, t);
    cafe_task_sleep(ms(10));
    cafe_lock_acquire(l);
    tr("main notifies 1, holding the lock");
    cafe_cond_notify(&c, 1);
    cafe_task_sleep(ms(10)); /* C1 woke, and waits for the lock */
    tr("main cancels C1, releases");
    cafe_task_cancel(t[0]);
    cafe_lock_release(l);
    cafe_task_sleep(ms(10));
    cafe_lock_acquire(l);
    tr("main notifies all");
    cafe_cond_notify_all(&c);
    cafe_lock_release(l);
    gather_all(t, 2);
    cafe_cond_destroy(&c);
    return 0;
}

/* ---- event: every waiter wakes, in the order it came ---------------------------------- */
static int ev_waiter(void *arg, void **value) {
    targ_t *a = arg;
    int rc = cafe_event_wait(a->obj);
    tr("%s wait %s", a->name, st(rc));
    return 0;
}

static int event_fifo(void *arg, void **value) {
    cafe_event_t e;
    cafe_event_init(&e);
    targ_t a[3] = {{"E1", 0, &e}, {"E2", 0, &e}, {"E3", 0, &e}};
    cafe_task_t *t[3];
    spawn_each(ev_waiter, a, 3, t);
    cafe_task_sleep(ms(10));
    tr("main sets and clears");
    cafe_event_set(&e);
    cafe_event_clear(&e);
    gather_all(t, 3);
    tr("is_set %d", cafe_event_is_set(&e));
    cafe_event_destroy(&e);
    return 0;
}

/* ---- a future with two waiters, one of them cancelled ------------------------------- */
static int fut_waiter(void *arg, void **value) {
    targ_t *a = arg;
    void *v = NULL;
    int rc = cafe_future_wait(a->obj, &v);
    tr("%s wait %s %d", a->name, st(rc), rc == 0 ? (int)(intptr_t)v : 0);
    return 0;
}

static int future_waiters(void *arg, void **value) {
    cafe_future_t f;
    cafe_future_init(&f, NULL);
    targ_t a[2] = {{"F1", 0, &f}, {"F2", 0, &f}};
    cafe_task_t *t[2];
    spawn_each(fut_waiter, a, 2, t);
    cafe_task_sleep(ms(10));
    tr("main cancels F1");
    cafe_task_cancel(t[0]);
    cafe_task_sleep(ms(10));
    tr("main resolves: %s",
       cafe_future_resolve(&f, 0, (void *)(intptr_t)9) == 0 ? "ok" : "done already");
    gather_all(t, 2);
    return 0;
}

/* ---- timeouts ------------------------------------------------------------------------- */
static int timeout_cases(void *arg, void **value) {
    cafe_deadline_t d;
    /* the deadline and the sleep end at the same moment */
    cafe_deadline_begin(&d, ms(30));
    int rc = cafe_task_sleep(ms(30));
    tr("equal: sleep %s, scope %s", st(rc), st(cafe_deadline_end(&d)));
    /* the sleep ends first */
    cafe_deadline_begin(&d, ms(60));
    rc = cafe_task_sleep(ms(10));
    tr("shorter: sleep %s, scope %s", st(rc), st(cafe_deadline_end(&d)));
    /* nested: the outer one fires */
    cafe_deadline_t outer, inner;
    cafe_deadline_begin(&outer, ms(20));
    cafe_deadline_begin(&inner, ms(500));
    rc = cafe_task_sleep(ms(1000));
    int ri = cafe_deadline_end(&inner);
    tr("nested: sleep %s, inner %s, outer %s", st(rc), st(ri), st(cafe_deadline_end(&outer)));
    /* nested with equal deadlines (or the inner one a millisecond later, when the clock ticks
     * between the begins): the outer one's end says it timed out, the inner one's does not */
    cafe_deadline_begin(&outer, ms(20));
    cafe_deadline_begin(&inner, ms(20));
    rc = cafe_task_sleep(ms(1000));
    ri = cafe_deadline_end(&inner);
    tr("nested equal: sleep %s, inner %s, outer %s", st(rc), st(ri), st(cafe_deadline_end(&outer)));
    /* the time runs out while the task computes, without a suspending call */
    cafe_deadline_begin(&d, ms(20));
    block_for(60);
    tr("busy: scope %s", st(cafe_deadline_end(&d)));
    /* joining a task that finishes at the deadline */
    targ_t a = {"T", 30, NULL};
    cafe_task_t *t = spawn(worker, &a, "T");
    cafe_task_yield();
    cafe_result_t r;
    rc = cafe_task_join_timeout(t, ms(30), &r);
    tr("join_timeout %s", st(rc));
    if (rc != 0)
        rc = cafe_task_join(t, &r);
    tr("T result %s", st(r.status));
    return 0;
}

/* A deadline that fires in the turn where another task cancels the sleeper, before it ran:
 * in asyncio the timeout's cancel and main's make two, and asyncio.timeout lets the
 * CancelledError through (it converts only its own); so the cancellation wins. */
static int timed_sleeper(void *arg, void **value) {
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms(30));
    int rc = cafe_task_sleep(ms(1000));
    int scope = cafe_deadline_end(&d);
    tr("X sleep %s, scope %s", st(rc), st(scope));
    return rc == CAFE_ECANCELED ? rc : 0;
}

static int blocker(void *arg, void **value) {
    targ_t *a = arg;
    block_for((uint64_t)a->n); /* holds the loop until both timers below are due */
    return 0;
}

static int timeout_then_cancel(void *arg, void **value) {
    targ_t b = {"B", 80, NULL};
    cafe_task_t *t[2] = {spawn(timed_sleeper, NULL, "X"), spawn(blocker, &b, "B")};
    cafe_task_sleep(ms(10)); /* due before X's deadline: main runs first in that turn */
    tr("main cancels X");
    cafe_task_cancel(t[0]);
    cafe_result_t r[2];
    cafe_task_gather(t, 2, r);
    tr("X result %s", st(r[0].status));
    return 0;
}

/* wait_any bounded by a deadline that passes as the task finishes */
static int wait_any_timeout(void *arg, void **value) {
    targ_t a = {"T", 30, NULL};
    cafe_task_t *t = spawn(worker, &a, "T");
    cafe_task_yield();
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms(30));
    size_t i;
    int rc = cafe_task_wait_any(&t, 1, &i);
    cafe_deadline_end(&d);
    tr("wait_any %s", st(rc));
    cafe_result_t r;
    cafe_task_join(t, &r);
    tr("T result %s", st(r.status));
    return 0;
}

/* ---- wait_any / as_completed ---------------------------------------------------------- */
/* A sleeper that traces nothing: the order of completions is the timers' order however late
 * they fire, but where a task's own line falls among main's "completed" lines is not (two
 * timers due in one turn, as after the process was held back 150 ms, put both tasks' lines
 * before main's), and the two ports run at different times on a loaded machine. */
static int quiet_sleeper(void *arg, void **value) {
    targ_t *a = arg;
    int rc = cafe_task_sleep(ms((uint64_t)a->n));
    *value = (void *)(intptr_t)a->n;
    return rc;
}

/* The three sleepers both as_completed scenarios race (a outlives them), in a set. */
static cafe_as_completed_t *three_racers(targ_t *a, cafe_task_t **t) {
    a[0] = (targ_t){"c0", 300, NULL};
    a[1] = (targ_t){"c1", 100, NULL};
    a[2] = (targ_t){"c2", 200, NULL};
    spawn_each(quiet_sleeper, a, 3, t);
    cafe_as_completed_t *ac;
    if (cafe_as_completed_create(&ac, t, 3) != 0)
        abort();
    return ac;
}

/* Traces the set's tasks as they complete; returns the call that ended the loop. */
static int trace_completed(cafe_as_completed_t *ac) {
    size_t i;
    cafe_result_t r;
    int rc;
    while ((rc = cafe_as_completed_next(ac, &i, &r)) == 0)
        tr("completed %zu value %d", i, (int)(intptr_t)r.value);
    return rc;
}

static int as_completed(void *arg, void **value) {
    targ_t a[3];
    cafe_task_t *t[3];
    cafe_as_completed_t *ac = three_racers(a, t);
    trace_completed(ac);
    cafe_as_completed_free(ac);
    return 0;
}

/* asyncio.as_completed(tasks, timeout=): a deadline scope around the loop. The next call
 * past it times out, nothing joined; the tasks not returned keep running and, once the set
 * is freed, are the caller's again (as_completed leaves them running too). */
static int as_completed_timeout(void *arg, void **value) {
    targ_t a[3];
    cafe_task_t *t[3];
    cafe_result_t r;
    cafe_as_completed_t *ac = three_racers(a, t);
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms(250));
    int rc = trace_completed(ac);
    cafe_deadline_end(&d);
    tr("as_completed %s", st(rc));
    cafe_as_completed_free(ac);
    cafe_task_cancel(t[0]);
    cafe_task_join(t[0], &r);
    tr("c0 %s", st(r.status));
    return 0;
}

/* ---- task groups (asyncio.TaskGroup) -------------------------------------------------- */
static int group_fail(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    targ_t a[3] = {{"A", -40, NULL}, {"B", 300, NULL}, {"C", 10, NULL}};
    for (int i = 0; i < 3; i++) {
        cafe_task_opts_t o = {.name = a[i].name};
        cafe_group_spawn(&g, worker, &a[i], &o);
    }
    int rc = cafe_group_wait(&g);
    tr("group %s, %zu failed", st(rc), cafe_group_failed(&g));
    return 0;
}

/* The task that waits on the group works before it waits: a child's failure cancels the
 * siblings, not that work (asyncio.TaskGroup cancels the body of its `async with` too). */
static int group_body(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    targ_t a[2] = {{"A", -20, NULL}, {"B", 300, NULL}};
    for (int i = 0; i < 2; i++) {
        cafe_task_opts_t o = {.name = a[i].name};
        cafe_group_spawn(&g, worker, &a[i], &o);
    }
    tr("body sleeps");
    tr("body sleep %s", st(cafe_task_sleep(ms(100))));
    int rc = cafe_group_wait(&g);
    tr("group %s, %zu failed", st(rc), cafe_group_failed(&g));
    return 0;
}

/* A child cancelled by a sibling's failure spawns into the group: the new child starts
 * cancelled (asyncio's TaskGroup refuses the spawn: it is shutting down). */
static targ_t late_child = {"C", 10, NULL};

static int late_spawner(void *arg, void **value) {
    targ_t *a = arg;
    int rc = cafe_task_sleep(ms((uint64_t)a->n));
    tr("B sleep %s", st(rc));
    cafe_task_opts_t o = {.name = "C"};
    int spawned = cafe_group_spawn(a->obj, worker, &late_child, &o);
    tr("B spawns C: %s", spawned == 0 ? "ok" : "refused");
    return rc;
}

static int group_late_spawn(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    targ_t a = {"A", -20, NULL}, b = {"B", 100, &g};
    cafe_task_opts_t oa = {.name = "A"}, ob = {.name = "B"};
    cafe_group_spawn(&g, worker, &a, &oa);
    cafe_group_spawn(&g, late_spawner, &b, &ob);
    int rc = cafe_group_wait(&g);
    tr("group %s, %zu failed", st(rc), cafe_group_failed(&g));
    return 0;
}

/* A group without CAFE_GROUP_CANCEL_ON_ERROR lets the others finish. */
static int group_nocancel(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, 0);
    targ_t a[2] = {{"A", -20, NULL}, {"B", 60, NULL}};
    for (int i = 0; i < 2; i++) {
        cafe_task_opts_t o = {.name = a[i].name};
        cafe_group_spawn(&g, worker, &a[i], &o);
    }
    int rc = cafe_group_wait(&g);
    tr("group %s, %zu failed", st(rc), cafe_group_failed(&g));
    return 0;
}

/* The waiter of a group is cancelled, and a child fails as it is cancelled. */
static int fail_on_cancel(void *arg, void **value) {
    int rc = cafe_task_sleep(ms(1000));
    tr("F sleep %s, fails", st(rc));
    return CAFE_EIO;
}

static int group_owner_f(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    cafe_task_opts_t o = {.name = "F"};
    cafe_group_spawn(&g, fail_on_cancel, NULL, &o);
    int rc = cafe_group_wait(&g);
    tr("O group %s, %zu failed", st(rc), cafe_group_failed(&g));
    return rc;
}

static int group_cancel_fail(void *arg, void **value) {
    cafe_task_t *o = spawn(group_owner_f, NULL, "O");
    cafe_task_sleep(ms(20));
    tr("main cancels O");
    cafe_task_cancel(o);
    cafe_result_t r;
    cafe_task_join(o, &r);
    tr("O result %s", st(r.status));
    return 0;
}

/* The waiter of a group is cancelled: the children are cancelled too. */
static int group_owner(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    targ_t a[2] = {{"A", 300, NULL}, {"B", 10, NULL}};
    for (int i = 0; i < 2; i++) {
        cafe_task_opts_t o = {.name = a[i].name};
        cafe_group_spawn(&g, worker, &a[i], &o);
    }
    int rc = cafe_group_wait(&g);
    tr("O group %s, %zu failed", st(rc), cafe_group_failed(&g));
    return rc;
}

static int group_cancel(void *arg, void **value) {
    cafe_task_t *o = spawn(group_owner, NULL, "O");
    cafe_task_sleep(ms(40));
    tr("main cancels O");
    cafe_task_cancel(o);
    cafe_result_t r;
    cafe_task_join(o, &r);
    tr("O result %s", st(r.status));
    return 0;
}

/* ---- thread-pool work (asyncio.to_thread) --------------------------------------------- */
static int nap(void *arg) {
    targ_t *a = arg;
    block_for((uint64_t)a->n); /* fn must not call cafe */
    return a->n;
}

static int threaded(void *arg, void **value) {
    targ_t *a = arg;
    int rc = cafe_thread_run(nap, a);
    tr("%s thread %d", a->name, rc);
    return 0;
}

/* Cancelled while its function runs on a pool thread. */
static int threaded_on(void *arg, void **value) {
    targ_t *a = arg;
    int rc = cafe_thread_run(nap, a);
    tr("%s thread %d", a->name, rc);
    rc = cafe_task_sleep(ms(10));
    tr("%s sleep %s", a->name, st(rc));
    return rc;
}

static int thread_cancel(void *arg, void **value) {
    targ_t a = {"X", 200, NULL};
    cafe_task_t *t = spawn(threaded_on, &a, "X");
    cafe_task_sleep(ms(50));
    tr("main cancels X");
    cafe_task_cancel(t);
    cafe_result_t r;
    cafe_task_join(t, &r);
    tr("X result %s", st(r.status));
    return 0;
}

static int to_thread(void *arg, void **value) {
    targ_t a[2] = {{"X", 100, NULL}, {"Y", 20, NULL}};
    cafe_task_t *t[2] = {spawn(threaded, &a[0], "X"), spawn(threaded, &a[1], "Y")};
    gather_all(t, 2);
    tr("main done");
    return 0;
}

/* ---- probes: deadlines around waits, errors in order ---------------------------------- */
/* An inner deadline fires inside a longer outer one: only the inner scope says timeout, and
 * the outer one goes on, its own deadline still counting. */
static int nested_inner_fires(void *arg, void **value) {
    cafe_deadline_t outer, inner;
    cafe_deadline_begin(&outer, ms(80));
    cafe_deadline_begin(&inner, ms(20));
    int rc = cafe_task_sleep(ms(1000));
    tr("inner: sleep %s, scope %s", st(rc), st(cafe_deadline_end(&inner)));
    rc = cafe_task_sleep(ms(10));
    tr("after inner: sleep %s", st(rc));
    rc = cafe_task_sleep(ms(1000));
    tr("outer: sleep %s, scope %s", st(rc), st(cafe_deadline_end(&outer)));
    return 0;
}

/* A child that fails when it is cancelled, with its own error (CAFE_EPIPE). */
static int pipe_on_cancel(void *arg, void **value) {
    targ_t *a = arg;
    int rc = cafe_task_sleep(ms((uint64_t)a->n));
    tr("%s sleep %s", a->name, st(rc));
    return rc == CAFE_ECANCELED ? CAFE_EPIPE : rc;
}

/* A group's first failure cancels a sibling that fails in turn: the wait returns the first
 * error, and both count (asyncio's ExceptionGroup holds both, the first first). */
static int group_two_errors(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    targ_t a = {"A", -20, NULL}, b = {"B", 300, NULL};
    cafe_task_opts_t oa = {.name = "A"}, ob = {.name = "B"};
    cafe_group_spawn(&g, worker, &a, &oa);
    cafe_group_spawn(&g, pipe_on_cancel, &b, &ob);
    int rc = cafe_group_wait(&g);
    tr("group %s, %zu failed", st(rc), cafe_group_failed(&g));
    return 0;
}

/* Fail-fast gather: the first task to fail (in time, not in the list) gives the error; the
 * error a cancelled sibling then returns does not replace it. */
static int failfast_first_error(void *arg, void **value) {
    targ_t a = {"A", -40, NULL}, b = {"B", 300, NULL}, c = {"C", -10, NULL};
    cafe_task_t *t[3] = {spawn(worker, &a, "A"), spawn(pipe_on_cancel, &b, "B"),
                         spawn(worker, &c, "C")};
    cafe_result_t r[3];
    tr("gather %s", st(cafe_task_gather_failfast(t, 3, r)));
    for (int i = 0; i < 3; i++)
        tr("result %d %s", i, st(r[i].status));
    return 0;
}

/* A group waited for under a deadline: the deadline cancels the children, which are waited
 * for, and the scope says timeout. */
static int group_in_deadline(void *arg, void **value) {
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms(30));
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    targ_t a = {"A", 300, NULL}, b = {"B", 10, NULL};
    cafe_task_opts_t oa = {.name = "A"}, ob = {.name = "B"};
    cafe_group_spawn(&g, worker, &a, &oa);
    cafe_group_spawn(&g, worker, &b, &ob);
    int rc = cafe_group_wait(&g);
    tr("group %s, scope %s", st(rc), st(cafe_deadline_end(&d)));
    return 0;
}

/* gather under a deadline: the unfinished tasks are cancelled and waited for. */
static int gather_in_deadline(void *arg, void **value) {
    targ_t a = {"A", 300, NULL}, b = {"B", 10, NULL};
    cafe_task_t *t[2] = {spawn(worker, &a, "A"), spawn(worker, &b, "B")};
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms(30));
    cafe_result_t r[2];
    int rc = cafe_task_gather(t, 2, r);
    tr("gather %s, scope %s", st(rc), st(cafe_deadline_end(&d)));
    tr("A %s, B %s", st(r[0].status), st(r[1].status));
    return 0;
}

/* A get under a deadline times out; the item put afterwards goes to the next get. */
static int queue_get_deadline(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, 1);
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms(20));
    void *item = NULL;
    int rc = cafe_queue_get(&q, &item);
    tr("get %s, scope %s", st(rc), st(cafe_deadline_end(&d)));
    tr("put %s", st(cafe_queue_put(&q, (void *)(intptr_t)5)));
    rc = cafe_queue_get(&q, &item);
    tr("get %s %d", st(rc), (int)(intptr_t)item);
    cafe_queue_destroy(&q);
    return 0;
}

/* A task cancelled while it waits in join_timeout (asyncio.wait_for): cafe's leaves the
 * task joined running (as cafe_task_join does); asyncio's wait_for cancels it. */
static int wait_for_joiner(void *arg, void **value) {
    cafe_task_t *t = arg;
    cafe_result_t r;
    int rc = cafe_task_join_timeout(t, ms(1000), &r);
    tr("J join_timeout %s", st(rc));
    return rc;
}

static int wait_for_cancel(void *arg, void **value) {
    targ_t w = {"W", 60, NULL};
    cafe_task_t *wt = spawn(worker, &w, "W");
    cafe_task_t *j = spawn(wait_for_joiner, wt, "J");
    cafe_task_sleep(ms(20));
    tr("main cancels J");
    cafe_task_cancel(j);
    cafe_result_t r;
    cafe_task_join(j, &r);
    tr("J result %s", st(r.status));
    cafe_task_join(wt, &r);
    tr("W result %s", st(r.status));
    return 0;
}

/* A condition wait that times out while another task holds the lock: it takes the lock back
 * first (after the holder lets go), then says timeout. */
static int cond_timed_waiter(void *arg, void **value) {
    cafe_cond_t *c = arg;
    cafe_lock_acquire(cafe_cond_lock(c));
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms(20));
    int rc = cafe_cond_wait(c);
    int scope = cafe_deadline_end(&d);
    tr("C wait %s, scope %s, locked %d", st(rc), st(scope), cafe_lock_locked(cafe_cond_lock(c)));
    cafe_lock_release(cafe_cond_lock(c));
    return 0;
}

static int cond_holder(void *arg, void **value) {
    cafe_cond_t *c = arg;
    cafe_lock_acquire(cafe_cond_lock(c));
    tr("H holds");
    cafe_task_sleep(ms(40));
    tr("H releases");
    cafe_lock_release(cafe_cond_lock(c));
    return 0;
}

static int cond_wait_deadline(void *arg, void **value) {
    cafe_cond_t c;
    cafe_cond_init(&c, NULL);
    cafe_task_t *t[2] = {spawn(cond_timed_waiter, &c, "C"), spawn(cond_holder, &c, "H")};
    gather_all(t, 2);
    cafe_cond_destroy(&c);
    return 0;
}

/* queue.join() under a deadline times out with the item unfinished; once it is done, a join
 * returns at once. */
static int queue_join_deadline(void *arg, void **value) {
    cafe_queue_t q;
    cafe_queue_init(&q, CAFE_QUEUE_UNBOUNDED);
    cafe_queue_put(&q, NULL);
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms(20));
    int rc = cafe_queue_join(&q);
    tr("join %s, scope %s, unfinished %zu", st(rc), st(cafe_deadline_end(&d)),
       cafe_queue_unfinished(&q));
    void *item;
    cafe_queue_get(&q, &item);
    cafe_queue_task_done(&q);
    tr("join %s", st(cafe_queue_join(&q)));
    cafe_queue_destroy(&q);
    return 0;
}

/* An event set and cleared again before its waiters ran: they were woken, and return ok. */
static int event_set_clear(void *arg, void **value) {
    cafe_event_t e;
    cafe_event_init(&e);
    targ_t a[2] = {{"E1", 0, &e}, {"E2", 0, &e}};
    cafe_task_t *t[2];
    spawn_each(ev_waiter, a, 2, t);
    cafe_task_yield();
    cafe_event_set(&e);
    cafe_event_clear(&e);
    tr("main set and cleared, set %d", cafe_event_is_set(&e));
    gather_all(t, 2);
    cafe_event_destroy(&e);
    return 0;
}

/* An inner deadline that ends before it fires gives the outer one back: the next wait ends
 * at the outer deadline, and only the outer scope says timeout. */
static int inner_ends_first(void *arg, void **value) {
    cafe_deadline_t outer, inner;
    cafe_deadline_begin(&outer, ms(40));
    cafe_deadline_begin(&inner, ms(500));
    int rc = cafe_task_sleep(ms(10));
    tr("inner: sleep %s, scope %s", st(rc), st(cafe_deadline_end(&inner)));
    rc = cafe_task_sleep(ms(1000));
    tr("outer: sleep %s, scope %s", st(rc), st(cafe_deadline_end(&outer)));
    return 0;
}

/* A deadline of 0 has passed at once: work without a suspending call is done, and the
 * first suspending call, a yield, says timeout. */
static int deadline_zero(void *arg, void **value) {
    cafe_deadline_t d;
    cafe_deadline_begin(&d, 0);
    tr("inside, before any wait");
    int rc = cafe_task_yield();
    tr("yield %s, scope %s", st(rc), st(cafe_deadline_end(&d)));
    return 0;
}

/* A child that waits on a group of its own is cancelled by a sibling's failure: its group
 * cancels the grandchild and waits for it, then it returns cancelled; the outer group says
 * the sibling's error, one failed. (One grandchild: asyncio's TaskGroup cancels its tasks in
 * a set's order, which varies from run to run; cafe's, in the reverse order of the spawns.) */
static int inner_group_owner(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    targ_t a = {"G1", 300, NULL};
    cafe_task_opts_t o = {.name = "G1"};
    cafe_group_spawn(&g, worker, &a, &o);
    int rc = cafe_group_wait(&g);
    tr("I group %s, %zu failed", st(rc), cafe_group_failed(&g));
    return rc;
}

static int group_nested(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    targ_t a = {"A", -20, NULL};
    cafe_task_opts_t oa = {.name = "A"}, oi = {.name = "I"};
    cafe_group_spawn(&g, inner_group_owner, NULL, &oi);
    cafe_group_spawn(&g, worker, &a, &oa);
    int rc = cafe_group_wait(&g);
    tr("group %s, %zu failed", st(rc), cafe_group_failed(&g));
    return 0;
}

/* ---- the table ------------------------------------------------------------------------ */
/* ---- edges: a child cancelled under gather, a deadline passed as the wait completes, a
 * shielded future wait cancelled, a second cancel during the clean-up ------------------- */
typedef struct gathered {
    cafe_task_t **t;
    size_t n;
    int failfast;
} gathered_t;

static int gather_reporter(void *arg, void **value) {
    gathered_t *g = arg;
    cafe_result_t r[8];
    int rc =
        g->failfast ? cafe_task_gather_failfast(g->t, g->n, r) : cafe_task_gather(g->t, g->n, r);
    tr("G gather %s", st(rc));
    for (size_t i = 0; i < g->n; i++)
        tr("result %zu %s %d", i, st(r[i].status), (int)(intptr_t)r[i].value);
    return 0;
}

/* asyncio.gather: "If any Task or Future from the aws sequence is cancelled, it is treated as
 * if it raised CancelledError - the gather() call is not cancelled in this case." */
static int gather_child_run(int failfast) {
    targ_t a[3] = {{"A", 60, NULL}, {"B", 20, NULL}, {"C", 300, NULL}};
    cafe_task_t *t[3];
    spawn_each(worker, a, 3, t);
    gathered_t g = {t, 3, failfast};
    cafe_task_t *gt = spawn(gather_reporter, &g, "G");
    cafe_task_sleep(ms(30));
    tr("main cancels C");
    cafe_task_cancel(t[2]);
    cafe_result_t r;
    cafe_task_join(gt, &r);
    tr("main joined G %s", st(r.status));
    return 0;
}

static int gather_child_cancelled(void *arg, void **value) {
    return gather_child_run(0);
}

static int failfast_child_cancelled(void *arg, void **value) {
    return gather_child_run(1);
}

/* The future is resolved after the waiter's deadline passed, before the waiter ran again
 * (main computes past it without yielding): the result is there first, and no timeout. */
static int deadline_waiter(void *arg, void **value) {
    targ_t *a = arg;
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms((uint64_t)a->n));
    void *v = NULL;
    int rc = cafe_future_wait(a->obj, &v);
    int scope = cafe_deadline_end(&d);
    tr("%s wait %s %d, scope %s", a->name, st(rc), rc == 0 ? (int)(intptr_t)v : 0, st(scope));
    return 0;
}

static int timeout_as_done(void *arg, void **value) {
    cafe_future_t f;
    cafe_future_init(&f, NULL);
    targ_t a = {"W", 20, &f};
    cafe_task_t *w = spawn(deadline_waiter, &a, "W");
    cafe_task_sleep(ms(10));
    block_for(30);
    tr("main resolves: %s", cafe_future_resolve(&f, 0, (void *)(intptr_t)7) == 0 ? "ok" : "done");
    cafe_task_join(w, NULL);
    return 0;
}

/* A task waiting on a future inside a shield is cancelled; the future is resolved later. */
static int shielded_waiter(void *arg, void **value) {
    targ_t *a = arg;
    cafe_shield_t s;
    cafe_shield_begin(&s);
    void *v = NULL;
    int rc = cafe_future_wait(a->obj, &v);
    cafe_shield_end(&s);
    tr("%s wait %s %d", a->name, st(rc), rc == 0 ? (int)(intptr_t)v : 0);
    tr("%s sleep %s", a->name, st(cafe_task_sleep(ms(10))));
    return 0;
}

static int shielded_future_cancel(void *arg, void **value) {
    cafe_future_t f;
    cafe_future_init(&f, NULL);
    targ_t a = {"W", 0, &f};
    cafe_task_t *w = spawn(shielded_waiter, &a, "W");
    cafe_task_sleep(ms(10));
    tr("main cancels W");
    cafe_task_cancel(w);
    cafe_task_sleep(ms(30));
    tr("main resolves: %s", cafe_future_resolve(&f, 0, (void *)(intptr_t)5) == 0 ? "ok" : "done");
    cafe_task_join(w, NULL);
    tr("future done %d", cafe_future_done(&f));
    return 0;
}

/* A task cancelled in its body is cancelled again while it cleans up. */
static int finalizer(void *arg, void **value) {
    int rc = cafe_task_sleep(ms(300));
    tr("W body sleep %s", st(rc));
    rc = cafe_task_sleep(ms(20));
    tr("W cleanup sleep %s", st(rc));
    return CAFE_ECANCELED;
}

static int cancel_in_cleanup(void *arg, void **value) {
    cafe_task_t *w = spawn(finalizer, NULL, "W");
    cafe_task_sleep(ms(10));
    tr("main cancels W");
    cafe_task_cancel(w);
    cafe_task_sleep(ms(10));
    tr("main cancels W again: %s", st(cafe_task_cancel(w)));
    cafe_result_t r;
    int rc = cafe_task_join(w, &r);
    tr("main joined W %s", st(rc == 0 ? r.status : rc));
    return 0;
}

static const struct {
    const char *name;
    cafe_task_fn fn;
} scenarios[] = {
    {"spawn_yield", spawn_yield},
    {"sleep0_order", sleep0_order},
    {"sleep_order", sleep_order},
    {"busy_then_sleep", busy_then_sleep},
    {"clock_after_work", clock_after_work},
    {"gather_order", gather_order},
    {"gather_failfast", gather_failfast},
    {"gather_cancel", gather_cancel},
    {"cancel_finished", cancel_finished},
    {"cancel_no_wait", cancel_no_wait},
    {"cancel_sleep", cancel_sleep},
    {"cancel_unstarted", cancel_unstarted},
    {"ignore_cancel", ignore_cancel},
    {"cancel_yielding", cancel_yielding},
    {"cancel_woken", cancel_woken},
    {"join_cancel", join_cancel},
    {"sem_fifo", sem_fifo},
    {"sem_cancel_waiter", sem_cancel_waiter},
    {"sem_cancel_woken", sem_cancel_woken},
    {"sem_deadline_woken", sem_deadline_woken},
    {"sem_deadline_first", sem_deadline_first},
    {"sem_deadline_scope", sem_deadline_scope},
    {"sem_bounded", sem_bounded},
    {"queue_fifo", queue_fifo},
    {"queue_putters", queue_putters},
    {"queue_cancel_get", queue_cancel_get},
    {"queue_cancel_woken", queue_cancel_woken},
    {"queue_cancel_woken_put", queue_cancel_woken_put},
    {"queue_workers", queue_workers},
    {"queue_size0", queue_size0},
    {"queue_unbounded", queue_unbounded},
    {"queue_join", queue_join},
    {"lock_fifo", lock_fifo},
    {"lock_handover", lock_handover},
    {"cond_notify", cond_notify},
    {"cond_relock_cancel", cond_relock_cancel},
    {"event_fifo", event_fifo},
    {"future_waiters", future_waiters},
    {"timeout_cases", timeout_cases},
    {"wait_any_timeout", wait_any_timeout},
    {"timeout_then_cancel", timeout_then_cancel},
    {"as_completed", as_completed},
    {"as_completed_timeout", as_completed_timeout},
    {"shield_cleanup", shield_cleanup},
    {"group_fail", group_fail},
    {"group_body", group_body},
    {"group_late_spawn", group_late_spawn},
    {"group_cancel", group_cancel},
    {"group_nocancel", group_nocancel},
    {"group_cancel_fail", group_cancel_fail},
    {"nested_inner_fires", nested_inner_fires},
    {"group_two_errors", group_two_errors},
    {"failfast_first_error", failfast_first_error},
    {"group_in_deadline", group_in_deadline},
    {"gather_in_deadline", gather_in_deadline},
    {"queue_get_deadline", queue_get_deadline},
    {"wait_for_cancel", wait_for_cancel},
    {"cond_wait_deadline", cond_wait_deadline},
    {"queue_join_deadline", queue_join_deadline},
    {"event_set_clear", event_set_clear},
    {"inner_ends_first", inner_ends_first},
    {"deadline_zero", deadline_zero},
    {"group_nested", group_nested},
    {"thread_cancel", thread_cancel},
    {"to_thread", to_thread},
    {"gather_child_cancelled", gather_child_cancelled},
    {"failfast_child_cancelled", failfast_child_cancelled},
    {"timeout_as_done", timeout_as_done},
    {"shielded_future_cancel", shielded_future_cancel},
    {"cancel_in_cleanup", cancel_in_cleanup},
    {"deadline_no_wait", deadline_no_wait},
};

int main(int argc, char **argv) {
    size_t n = sizeof(scenarios) / sizeof(scenarios[0]);
    const char *unit = getenv("CAFE_PARITY_UNIT_MS");
    if (unit != NULL) {
        char *end;
        unsigned long long u = strtoull(unit, &end, 10);
        if (*unit == '\0' || *end != '\0' || u == 0 || u > 1000) {
            fprintf(stderr, "asyncio_scenarios: CAFE_PARITY_UNIT_MS %s is not 1 to 1000\n", unit);
            return 2;
        }
        unit_ms = u;
    }
    if (argc < 2) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", scenarios[i].name);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], scenarios[i].name) == 0) {
            cafe_result_t r;
            int rc = cafe_run(scenarios[i].fn, NULL, &r);
            tr("run %s, main %s", st(rc), st(r.status));
            return 0;
        }
    fprintf(stderr, "asyncio_scenarios: no scenario %s\n", argv[1]);
    return 2;
}
