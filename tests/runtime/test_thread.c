/* The thread pool bridge and signal watchers. */
#include "testutil.h"

#include <uv.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ticker {
    int ticks;
} ticker_t;

static int tick(void *arg, void **value) {
    ticker_t *t = arg;
    while (cafe_task_sleep(10) == 0)
        t->ticks++;
    return 0;
}

/* Busy for at least ms milliseconds of wall time, without sleeping. */
static int spin(void *arg) {
    uint64_t until = test_now_ms() + (uint64_t)(uintptr_t)arg;
    volatile uint64_t x = 0;
    while (test_now_ms() < until)
        x++;
    return 42;
}

static int offload_main(void *arg, void **value) {
    int *ticks = arg;
    for (int offload = 0; offload < 2; offload++) {
        ticker_t tk = {0};
        cafe_task_t *t;
        cafe_task_spawn(&t, tick, &tk, NULL);
        cafe_task_yield();
        int rc = offload ? cafe_thread_run(spin, (void *)(uintptr_t)200) : spin((void *)200);
        assert_int_equal(rc, 42);
        ticks[offload] = tk.ticks;
        cafe_task_cancel(t);
        cafe_task_join(t, NULL);
    }
    return 0;
}

static void test_thread_run_keeps_loop_running(void **state) {
    int ticks[2] = {-1, -1};
    assert_int_equal(test_run(offload_main, ticks), 0);
    assert_int_equal(ticks[0], 0); /* CPU work on the loop: the ticker starved */
    assert_true(ticks[1] > 0);     /* in the pool: the ticker kept going */
}

static void test_thread_run_outside_task_inline(void **state) {
    assert_int_equal(cafe_thread_run(spin, (void *)1), 42);
}

/* In a libuv callback of the running loop too (cafe.h, "Suspending calls outside any task"):
 * inline, on the loop's thread, which is no pool thread (the function may call cafe). */
static int on_caller_thread(void *arg) {
    return pthread_equal(pthread_self(), *(pthread_t *)arg) && !cafe_task_cancelled() ? 42 : -1;
}

typedef struct inline_call {
    int rc, closed;
} inline_call_t;

static void on_closed(uv_handle_t *h) {
    ((inline_call_t *)h->data)->closed = 1;
}

static void inline_in_callback(uv_timer_t *timer) {
    inline_call_t *c = timer->data;
    pthread_t self = pthread_self();
    c->rc = cafe_thread_run(on_caller_thread, &self);
    uv_close((uv_handle_t *)timer, on_closed);
}

static int callback_main(void *arg, void **value) {
    uv_timer_t timer;
    inline_call_t c = {0, 0};
    timer.data = &c;
    assert_int_equal(uv_timer_init(cafe_loop_uv(cafe_loop_current()), &timer), 0);
    assert_int_equal(uv_timer_start(&timer, inline_in_callback, 0, 0), 0);
    while (!c.closed) /* the timer's memory is this frame's */
        assert_int_equal(cafe_task_sleep(1), 0);
    return c.rc;
}

static void test_thread_run_in_loop_callback_inline(void **state) {
    cafe_result_t r;
    assert_int_equal(cafe_run(callback_main, NULL, &r), 0);
    assert_int_equal(r.status, 42);
}

/* No function: CAFE_EINVAL, in a task and outside one, instead of a call through NULL (on a
 * pool thread, a SIGSEGV naming nothing). */
static int null_fn_main(void *arg, void **value) {
    return cafe_thread_run(NULL, NULL);
}

/* An address-space limit stops AddressSanitizer and ThreadSanitizer (their shadow memory) and
 * valgrind; ThreadSanitizer also refuses threads started in a child forked from a
 * multi-threaded process. The case below skips under them. */
static int address_space_limitable(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return 0;
#endif
#endif
    return !test_under_valgrind();
}

static int spin_in_pool(void *arg, void **value) {
    return cafe_thread_run(spin, (void *)(uintptr_t)1);
}

/* The process's address space now, in bytes (/proc/self/statm's first field, in pages). */
static rlim_t address_space_now(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%lu", &pages), 1);
    fclose(f);
    return (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
}

/* libuv aborts without a word when its pool's threads cannot be made; cafe_thread_run checks
 * first and returns CAFE_ENOMEM. In a child forked after the pool started, libuv starts it
 * again: here with 1,024 threads of 8 MiB and 256 MiB of address space to spare. */
static void test_thread_run_pool_that_cannot_start_after_fork_enomem(void **state) {
    if (!address_space_limitable())
        skip();
    assert_int_equal(test_run(spin_in_pool, NULL), 42); /* the pool runs, in this process */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        rlim_t room = address_space_now() + ((rlim_t)256 << 20);
        struct rlimit lim = {room, room};
        cafe_result_t r = {0, NULL};
        int rc = setenv("UV_THREADPOOL_SIZE", "1024", 1) == 0 && setrlimit(RLIMIT_AS, &lim) == 0
                     ? cafe_run(spin_in_pool, NULL, &r)
                     : -1;
        _exit(rc == 0 && r.status == CAFE_ENOMEM ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("the child's cafe_thread_run did not return CAFE_ENOMEM: status %#x", st);
}

static void test_thread_run_null_fn_einval(void **state) {
    assert_int_equal(cafe_thread_run(NULL, NULL), CAFE_EINVAL);
    cafe_result_t r;
    assert_int_equal(cafe_run(null_fn_main, NULL, &r), 0);
    assert_int_equal(r.status, CAFE_EINVAL);
}

/* Tasks whose jobs are queued behind busy pool threads, interrupted by cancellation or by
 * their deadline: a job not yet started is withdrawn (CAFE_ECANCELED / CAFE_ETIMEDOUT), one
 * already running is waited for and returns its value. */
typedef struct gate {
    atomic_int started, released;
    int returned; /* tasks back from cafe_thread_run (loop thread only) */
} gate_t;

/* Holds its pool thread until the test releases it (bounded to 20 s), so that the jobs queued
 * behind it are still queued when the tasks are interrupted, however slow the machine. */
static int held_job(void *arg) {
    gate_t *g = arg;
    atomic_fetch_add(&g->started, 1);
    for (int i = 0; i < 20000 && !atomic_load(&g->released); i++)
        usleep(1000);
    return 42;
}

static int pool_job(void *arg, void **value) {
    return cafe_thread_run(held_job, arg);
}

/* The same job under a deadline that passes while it waits in the pool's queue. */
static int pool_job_deadline(void *arg, void **value) {
    gate_t *g = arg;
    cafe_deadline_t d;
    cafe_deadline_begin(&d, 1);
    int rc = cafe_thread_run(held_job, g);
    cafe_deadline_end(&d);
    g->returned++;
    return rc;
}

enum { POOL_TASKS = 12 }; /* three times the pool's 4 threads */

/* Gathers the tasks once released and checks that every started job ran to the end and
 * every other one was withdrawn with `withdrawn_code`. */
static void pool_check(gate_t *g, cafe_task_t **t, int withdrawn_code) {
    atomic_store(&g->released, 1);
    cafe_result_t r[POOL_TASKS];
    assert_int_equal(cafe_task_gather(t, POOL_TASKS, r), 0);
    int ran = 0, withdrawn = 0;
    for (int i = 0; i < POOL_TASKS; i++) {
        if (r[i].status == 42)
            ran++;
        else if (r[i].status == withdrawn_code)
            withdrawn++;
    }
    assert_int_equal(ran + withdrawn, POOL_TASKS);
    assert_int_equal(ran, atomic_load(&g->started)); /* started jobs ran to the end */
    assert_true(withdrawn >= 1);
}

static int cancel_pool_main(void *arg, void **value) {
    gate_t g = {0};
    cafe_task_t *t[POOL_TASKS];
    for (int i = 0; i < POOL_TASKS; i++)
        cafe_task_spawn(&t[i], pool_job, &g, NULL);
    /* Wait (bounded) until the pool has started a job: the rest are then still queued. */
    for (int i = 0; i < 10000 && atomic_load(&g.started) == 0; i++)
        cafe_task_sleep(1);
    for (int i = 0; i < POOL_TASKS; i++)
        cafe_task_cancel(t[i]);
    pool_check(&g, t, CAFE_ECANCELED);
    return 0;
}

static void test_thread_run_cancel(void **state) {
    assert_int_equal(test_run(cancel_pool_main, NULL), 0);
}

static int deadline_pool_main(void *arg, void **value) {
    gate_t g = {0};
    cafe_task_t *t[POOL_TASKS];
    for (int i = 0; i < POOL_TASKS; i++)
        cafe_task_spawn(&t[i], pool_job_deadline, &g, NULL);
    /* Wait (bounded) until every job has either started or been withdrawn by its deadline. */
    for (int i = 0; i < 20000 && g.returned + atomic_load(&g.started) < POOL_TASKS; i++)
        cafe_task_sleep(1);
    pool_check(&g, t, CAFE_ETIMEDOUT); /* not CAFE_ECANCELED: nobody cancelled them */
    return 0;
}

static void test_thread_run_deadline(void **state) {
    assert_int_equal(test_run(deadline_pool_main, NULL), 0);
}

/* ---- a pool function whose value is returned past the deadline: the scope did not time
 * out. A deadline passed between the call's entry check and its park (the clock ticking in
 * between) was recorded there as told, though the function had already started (or ended)
 * on the pool and its value was returned: the scope's end said CAFE_ETIMEDOUT for a call
 * that returned 5 (about 1 in 200 calls with a 1 ms deadline). Many tries catch the tick
 * between the two; nothing here is timed. ---- */
static int five(void *arg) {
    return 5;
}

static int value_or_timeout_main(void *arg, void **value) {
    int tries = test_under_valgrind() ? 2000 : 20000, told = 0;
    for (int i = 0; i < tries; i++) {
        cafe_deadline_t d;
        assert_int_equal(cafe_deadline_begin(&d, 1), 0);
        int rc = cafe_thread_run(five, NULL);
        int end = cafe_deadline_end(&d);
        if (rc == 5 && end != 0)
            fail_msg("try %d: the call returned its value, the scope said %s", i,
                     cafe_err_name(end));
        if (rc != 5) {
            assert_int_equal(rc, CAFE_ETIMEDOUT);
            assert_int_equal(end, CAFE_ETIMEDOUT);
            told++;
        }
    }
    return told < tries ? 0 : CAFE_EIO; /* some ran: the case was reached */
}

static void test_thread_run_value_past_deadline_is_no_timeout(void **state) {
    assert_int_equal(test_run(value_or_timeout_main, NULL), 0);
}

/* ---- signals observed through the loop ---- */
/* One delivery at a time: two signals pending at once may be merged by the kernel, and one
 * arriving after the watcher is closed would take the default action. */
static int raiser(void *arg, void **value) {
    cafe_event_t *ack = arg;
    kill(getpid(), SIGUSR1);
    if (cafe_event_wait(ack) != 0)
        return CAFE_EIO;
    kill(getpid(), SIGUSR1);
    return 0;
}

static int signal_main(void *arg, void **value) {
    cafe_signal_t s;
    cafe_event_t ack;
    cafe_event_init(&ack);
    assert_int_equal(cafe_signal_open(&s, SIGUSR1), 0);
    assert_int_equal(cafe_signal_pending(&s), 0);
    cafe_task_t *t;
    cafe_task_spawn(&t, raiser, &ack, NULL);
    assert_int_equal(cafe_signal_wait(&s), 1);
    assert_int_equal(cafe_signal_pending(&s), 0);
    cafe_event_set(&ack);
    assert_int_equal(cafe_signal_wait(&s), 1);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, 0);
    cafe_signal_close(&s);
    return 0;
}

static void test_signal_wait(void **state) {
    assert_int_equal(test_run(signal_main, NULL), 0);
}

/* A task woken by a timer that was already due when libuv's turn began must run in that
 * turn, even while another handle (here a waiting signal watcher) would let libuv block. */
static int late_sleeper(void *arg, void **value) {
    cafe_task_sleep(1);
    kill(getpid(), SIGUSR2);
    return 0;
}

static int overdue_timer_main(void *arg, void **value) {
    cafe_signal_t s;
    assert_int_equal(cafe_signal_open(&s, SIGUSR2), 0);
    cafe_task_t *t;
    cafe_task_spawn(&t, late_sleeper, NULL, NULL);
    cafe_task_yield();           /* the sleeper arms its 1 ms timer */
    spin((void *)(uintptr_t)20); /* ... which is overdue when the loop next polls */
    cafe_deadline_t d;
    cafe_deadline_begin(&d, 10000);
    int n = cafe_signal_wait(&s); /* parks with the watcher referenced */
    cafe_deadline_end(&d);
    assert_int_equal(n, 1); /* not CAFE_ETIMEDOUT: the sleeper ran at once */
    cafe_task_join(t, NULL);
    cafe_signal_close(&s);
    return 0;
}

static void test_overdue_timer_wakes_in_same_turn(void **state) {
    assert_int_equal(test_run(overdue_timer_main, NULL), 0);
}

/* An idle watcher does not keep the loop alive: its libuv handle counts for the loop's
 * liveness only while a task waits on it. */
static int signal_waiter(void *arg, void **value) {
    return cafe_signal_wait(arg);
}

static int idle_watcher_main(void *arg, void **value) {
    uv_loop_t *uv = cafe_loop_uv(cafe_loop_current());
    assert_int_equal(uv_loop_alive(uv), 0); /* nothing of the runtime's own counts */
    cafe_signal_t s;
    assert_int_equal(cafe_signal_open(&s, SIGUSR2), 0);
    assert_int_equal(uv_loop_alive(uv), 0); /* open, idle: does not count */
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, signal_waiter, &s, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* the waiter parks on the watcher */
    assert_int_equal(uv_loop_alive(uv), 1); /* waited on: counts */
    cafe_task_cancel(t);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    assert_int_equal(uv_loop_alive(uv), 0); /* idle again */
    cafe_signal_close(&s);
    return 0;
}

static void test_signal_idle_watcher(void **state) {
    assert_int_equal(test_run(idle_watcher_main, NULL), 0);
}

/* Closing a watcher wakes its waiters with CAFE_EPIPE; the woken waiter leaves the call after
 * the close, so the watcher's memory must outlive it (memcheck and ASan catch a read after
 * free here). */
static int close_waiter_main(void *arg, void **value) {
    cafe_signal_t s;
    assert_int_equal(cafe_signal_open(&s, SIGUSR2), 0);
    cafe_task_t *t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(cafe_task_spawn(&t[i], signal_waiter, &s, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* both park on the watcher */
    cafe_signal_close(&s);
    assert_int_equal(cafe_signal_wait(&s), CAFE_EINVAL);
    /* the close callback runs (and used to free the watcher) before the waiters resume */
    assert_int_equal(cafe_task_yield(), 0);
    cafe_result_t r[2];
    assert_int_equal(cafe_task_gather(t, 2, r), 0);
    assert_int_equal(r[0].status, CAFE_EPIPE);
    assert_int_equal(r[1].status, CAFE_EPIPE);
    return 0;
}

static void test_signal_close_wakes_waiters(void **state) {
    assert_int_equal(test_run(close_waiter_main, NULL), 0);
}

/* A cancelled task's wait takes no delivery, even one already counted (it would need no
 * wait): the deliveries stay for the watcher's next wait, as a queue keeps its items. */
static int cancelled_signal_waiter(void *arg, void **value) {
    cafe_task_cancel(cafe_task_current());
    return cafe_signal_wait(arg);
}

static int counted_signal_main(void *arg, void **value) {
    cafe_signal_t s;
    assert_int_equal(cafe_signal_open(&s, SIGUSR2), 0);
    kill(getpid(), SIGUSR2);
    /* the loop counts it when libuv next polls (bounded: 10 s) */
    for (int i = 0; i < 10000 && cafe_signal_pending(&s) == 0; i++)
        cafe_task_sleep(1);
    assert_int_equal(cafe_signal_pending(&s), 1);
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, cancelled_signal_waiter, &s, NULL), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    assert_int_equal(cafe_signal_pending(&s), 1);
    assert_int_equal(cafe_signal_wait(&s), 1);
    cafe_signal_close(&s);
    return 0;
}

static void test_signal_cancelled_wait_takes_nothing(void **state) {
    assert_int_equal(test_run(counted_signal_main, NULL), 0);
}

/* The program's own disposition of a signal (a handler of its, nohup's SIG_IGN for SIGHUP) is
 * back once the last watcher of the signal closes: libuv leaves SIG_DFL, and the next delivery
 * killed the process. Two watchers of one signal: only the last close puts it back. */
static volatile sig_atomic_t own_deliveries;

static void own_handler(int signum) {
    (void)signum;
    own_deliveries++;
}

static int watch_then_close_main(void *arg, void **value) {
    cafe_signal_t a, b, hup;
    assert_int_equal(cafe_signal_open(&a, SIGUSR2), 0);
    assert_int_equal(cafe_signal_open(&b, SIGUSR2), 0);
    assert_int_equal(cafe_signal_open(&hup, SIGHUP), 0);
    cafe_signal_close(&a);
    struct sigaction now;
    assert_int_equal(sigaction(SIGUSR2, NULL, &now), 0);
    assert_true(now.sa_handler != own_handler); /* b still watches it */
    cafe_signal_close(&b);
    cafe_signal_close(&hup);
    return 0;
}

static void test_signal_close_puts_back_the_programs_disposition(void **state) {
    struct sigaction own = {.sa_handler = own_handler}, ign = {.sa_handler = SIG_IGN};
    struct sigaction old_usr2, old_hup, now;
    assert_int_equal(sigemptyset(&own.sa_mask), 0);
    assert_int_equal(sigemptyset(&ign.sa_mask), 0);
    assert_int_equal(sigaction(SIGUSR2, &own, &old_usr2), 0);
    assert_int_equal(sigaction(SIGHUP, &ign, &old_hup), 0);
    assert_int_equal(test_run(watch_then_close_main, NULL), 0);
    assert_int_equal(sigaction(SIGUSR2, NULL, &now), 0);
    assert_true(now.sa_handler == own_handler); /* checked first: SIG_DFL would kill us */
    assert_int_equal(raise(SIGUSR2), 0);
    assert_int_equal(own_deliveries, 1);
    assert_int_equal(sigaction(SIGHUP, NULL, &now), 0);
    assert_true(now.sa_handler == SIG_IGN);
    assert_int_equal(sigaction(SIGUSR2, &old_usr2, NULL), 0);
    assert_int_equal(sigaction(SIGHUP, &old_hup, NULL), 0);
}

/* ---- waiters get the deliveries in FIFO order ---- */
/* A delivery woke W, waiting first; the main task, ready before W in that turn, called
 * cafe_signal_wait, took the count and returned first, and W waited again for the next. */
typedef struct fifo_sig {
    cafe_signal_t s;
    int order, w_order, main_order;
} fifo_sig_t;

static int first_signal_waiter(void *arg, void **value) {
    fifo_sig_t *f = arg;
    int rc = cafe_signal_wait(&f->s);
    f->w_order = ++f->order;
    return rc == 1 ? 0 : rc;
}

static int signal_fifo_main(void *arg, void **value) {
    fifo_sig_t *f = arg;
    cafe_task_t *w;
    assert_int_equal(cafe_signal_open(&f->s, SIGUSR1), 0);
    assert_int_equal(cafe_task_spawn(&w, first_signal_waiter, f, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* W waits */
    assert_int_equal(raise(SIGUSR1), 0);
    assert_int_equal(cafe_task_yield(), 0); /* libuv reads it: W is woken, after this task */
    assert_int_equal(raise(SIGUSR1), 0);
    assert_int_equal(cafe_signal_wait(&f->s), 1);
    f->main_order = ++f->order;
    assert_int_equal(cafe_task_join(w, NULL), 0);
    cafe_signal_close(&f->s);
    return 0;
}

static void test_signal_waiters_fifo(void **state) {
    fifo_sig_t f = {.order = 0};
    assert_int_equal(test_run(signal_fifo_main, &f), 0);
    assert_int_equal(f.w_order, 1);
    assert_int_equal(f.main_order, 2);
}

/* A yield lets pending I/O be processed once, as asyncio.sleep(0) polls: unreferenced
 * handles too, which keep no loop alive but run whenever libuv turns. A task that polled
 * cafe_signal_pending between chunks of work, or waited in a yield loop for a handle of its
 * own, on a loop with nothing else in libuv, was never given them: the run skipped libuv
 * while tasks were ready. */
static int pending_by_yield_main(void *arg, void **value) {
    cafe_signal_t s;
    assert_int_equal(cafe_signal_open(&s, SIGUSR2), 0); /* idle: unreferenced */
    assert_int_equal(raise(SIGUSR2), 0);
    int yields = 0;
    while (cafe_signal_pending(&s) == 0 && yields < 100) {
        assert_int_equal(cafe_task_yield(), 0);
        yields++;
    }
    assert_int_equal(cafe_signal_pending(&s), 1);
    assert_int_equal(cafe_signal_wait(&s), 1); /* taken at once: counted already */
    cafe_signal_close(&s);
    return 0;
}

static void on_unref_timer(uv_timer_t *timer) {
    *(int *)timer->data = 1;
}

static int unref_handle_by_yield_main(void *arg, void **value) {
    uv_timer_t timer;
    int fired = 0;
    assert_int_equal(uv_timer_init(cafe_loop_uv(cafe_loop_current()), &timer), 0);
    timer.data = &fired;
    assert_int_equal(uv_timer_start(&timer, on_unref_timer, 0, 0), 0);
    uv_unref((uv_handle_t *)&timer);
    for (int yields = 0; !fired && yields < 100; yields++)
        assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(fired, 1);
    uv_close((uv_handle_t *)&timer, NULL);
    assert_int_equal(cafe_task_yield(), 0); /* libuv ends the close before the frame goes */
    return 0;
}

static void test_yield_serves_unreferenced_handles(void **state) {
    assert_int_equal(test_run(pending_by_yield_main, NULL), 0);
    assert_int_equal(test_run(unref_handle_by_yield_main, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thread_run_keeps_loop_running),
        cmocka_unit_test(test_thread_run_outside_task_inline),
        cmocka_unit_test(test_thread_run_in_loop_callback_inline),
        cmocka_unit_test(test_thread_run_null_fn_einval),
        cmocka_unit_test(test_thread_run_pool_that_cannot_start_after_fork_enomem),
        cmocka_unit_test(test_thread_run_cancel),
        cmocka_unit_test(test_thread_run_deadline),
        cmocka_unit_test(test_thread_run_value_past_deadline_is_no_timeout),
        cmocka_unit_test(test_signal_wait),
        cmocka_unit_test(test_signal_idle_watcher),
        cmocka_unit_test(test_overdue_timer_wakes_in_same_turn),
        cmocka_unit_test(test_signal_close_wakes_waiters),
        cmocka_unit_test(test_signal_waiters_fifo),
        cmocka_unit_test(test_signal_cancelled_wait_takes_nothing),
        cmocka_unit_test(test_signal_close_puts_back_the_programs_disposition),
        cmocka_unit_test(test_yield_serves_unreferenced_handles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
