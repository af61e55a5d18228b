/* The loop: a libuv loop plus a run queue of ready tasks. The scheduler runs on the thread's
 * own stack (the "loop stack"); libuv callbacks run there too and only mark tasks ready.
 * One turn: run every task that was ready when the turn began, then let libuv poll (without
 * blocking while tasks are ready). */
#include "runtime/handle.h"
#include "runtime/asan.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Initial-exec: one instruction to read it, and libcafe is linked, not dlopen'ed late. */
_Thread_local cafe_loop_t *cafe__tls_loop __attribute__((tls_model("initial-exec")));
_Thread_local unsigned cafe__tls_runs;
_Thread_local int cafe__tls_in_pool __attribute__((tls_model("initial-exec")));

void cafe__off_loop(const char *call) {
    fprintf(stderr,
            "cafe: %s called from a cafe_thread_run function (on a thread-pool thread): only "
            "the loop's thread may call cafe; return the result, and act on it in the task\n",
            call);
    abort();
}

const char cafe__destroyed;

void cafe__owner_mismatch(const void *owner, const void **adopt, const char *call) {
    if (cafe__tls_in_pool)
        cafe__off_loop(call);
    if (!owner) {
        if (!adopt || !cafe__tls_loop)
            return;
        /* Another loop thread may be adopting it at this same instant: the swap lets one of
         * the two win; the other finds the winner's token in owner and aborts below. */
        if (atomic_compare_exchange_strong((cafe__owner_atomic_t *)adopt, &owner,
                                           cafe__thread_self()))
            return;
    }
    if (owner == &cafe__destroyed) {
        fprintf(stderr, "cafe: %s on a destroyed object: initialise it again before use\n", call);
        abort();
    }
    fprintf(stderr,
            "cafe: %s called from a thread other than the one of the loop its object belongs "
            "to (the loop running when it was initialised): only that loop's thread may call "
            "cafe on it\n",
            call);
    abort();
}

void cafe__loop_arg_check(const cafe_loop_t *loop, const char *call) {
    cafe__loop_thread_check(call);
    if (loop && cafe__loop_foreign(loop)) {
        fprintf(stderr,
                "cafe: %s called on a loop that runs on another thread: only the loop's "
                "thread may call cafe on it while it runs\n",
                call);
        abort();
    }
}

cafe_loop_t *cafe_loop_current(void) {
    return cafe__tls_loop;
}

void *cafe_loop_uv(cafe_loop_t *loop) {
    /* libuv's loop is not thread-safe either: a handle added from another thread raced with
     * the loop's, and the flag below was written from there too. */
    cafe__loop_arg_check(loop, "cafe_loop_uv");
    if (!loop)
        return NULL;
    loop->uv_lent = 1;
    return &loop->uv;
}

uint64_t cafe_loop_now(cafe_loop_t *loop) {
    /* It writes the loop's clock: from another thread while the loop runs, a race. */
    cafe__loop_arg_check(loop, "cafe_loop_now");
    if (!loop) { /* a crash at a NULL read would name nothing */
        fprintf(stderr, "cafe: cafe_loop_now given no loop (NULL)\n");
        abort();
    }
    return cafe__loop_now_fresh(loop);
}

uint64_t cafe__loop_now_fresh(cafe_loop_t *loop) {
    uv_update_time(&loop->uv);
    loop->clock_stale = 0;
    return uv_now(&loop->uv);
}

uint64_t cafe__loop_now(cafe_loop_t *loop) {
    if (loop->clock_stale) {
        uv_update_time(&loop->uv);
        loop->clock_stale = 0;
    }
    return uv_now(&loop->uv);
}

/* uv_loop_init opens the loop's descriptors (epoll, its signal pipe) and, the first time in
 * the process, libuv's process-wide signal pipe; libuv aborts (SIGABRT, no word) when that
 * one cannot be made: under `ulimit -n 5` every command died so. Three descriptors are
 * checked free first (a pipe and a duplicate, closed at once): 0, or the error of the failed
 * open (CAFE_EMFILE), returned as any other failed init. Checked for every loop, not only the
 * first: no process-wide flag, and a loop is made a few times per process at most. A thread
 * opening descriptors between this check and the init can still win the race; nothing else
 * would. */
static int fds_for_loop(void) {
    int p[2], extra, err = 0;
    if (pipe2(p, O_CLOEXEC) != 0)
        return -errno;
    if ((extra = fcntl(p[0], F_DUPFD_CLOEXEC, 0)) < 0)
        err = -errno;
    else
        (void)close(extra);
    (void)close(p[0]);
    (void)close(p[1]);
    return err;
}

/* fork(): a loop's epoll instance and its sockets (streams, libcurl's connections) are the
 * parent's too, so a child that runs or polls the loop takes the parent's events (and the
 * parent the child's), silently. The child aborts instead, with a message: at cafe_loop_run
 * of a loop made before the fork (each fork bumps the child's count, which the parent's never
 * sees), and, forked while its thread ran a loop (from a task), at that loop's next uv_run:
 * a timer due at once, started in the child, fires before the poll. Nothing on the hot path;
 * a child that execs or _exits never sees either. */
static unsigned forks;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static _Noreturn void forked_abort(const char *what) {
    fprintf(stderr,
            "cafe: a loop made before fork() %s in the child process: its epoll instance and "
            "sockets are the parent's too, and the two would take each other's events; in the "
            "child, exec or _exit (a loop made in the child, outside any run, is its own)\n",
            what);
    abort();
}

static void on_forked_timer(uv_timer_t *timer) {
    (void)timer;
    forked_abort("runs");
}

static void on_fork_child(void) {
    forks++;
    cafe__pool_forked();
    cafe__signal_forked();
    cafe_loop_t *loop = cafe__tls_loop; /* the child is the thread that forked */
    /* Once: a child's child inherits the timer, armed already (a second init would link the
     * handle into the loop twice). */
    if (loop && cafe__loop_running(loop) && !loop->fork_armed &&
        uv_timer_init(&loop->uv, &loop->fork_timer) == 0) {
        loop->fork_armed = 1;
        (void)uv_timer_start(&loop->fork_timer, on_forked_timer, 0, 0);
    }
}

static void atfork_install(void) {
    (void)pthread_atfork(NULL, NULL, on_fork_child);
}

int cafe_loop_create(cafe_loop_t **out, const cafe_loop_opts_t *opts) {
    /* A default no stack class can hold would make every spawn fail, main's first. */
    if (!out || (opts && opts->stack_size > CAFE_STACK_MAX))
        return CAFE_EINVAL;
    int rc = fds_for_loop();
    if (rc != 0)
        return cafe__err_from_uv(rc);
    cafe_loop_t *loop = calloc(1, sizeof(*loop));
    if (!loop)
        return CAFE_ENOMEM;
    rc = uv_loop_init(&loop->uv);
    if (rc != 0) {
        free(loop);
        return cafe__err_from_uv(rc);
    }
    loop->uv.data = loop;
    loop->stack_size = CAFE_STACK_DEFAULT;
    if (opts && opts->stack_size)
        loop->stack_size = opts->stack_size < CAFE_STACK_MIN ? CAFE_STACK_MIN : opts->stack_size;
    loop->quiet = opts ? opts->quiet : 0;
    (void)pthread_once(&atfork_once, atfork_install);
    loop->forks = forks;
    cafe__stacks_init(&loop->stacks);
    *out = loop;
    return 0;
}

int cafe__loop_at_close(cafe_loop_t *loop, void (*fn)(void *), void *arg) {
    if (loop->nclosers == CAFE__MAX_CLOSERS)
        return CAFE_ENOMEM;
    loop->closers[loop->nclosers].fn = fn;
    loop->closers[loop->nclosers].arg = arg;
    loop->nclosers++;
    return 0;
}

void cafe__ready_push(cafe_loop_t *loop, cafe__task_t *t) {
    /* Woken from a libuv callback (e.g. a timer, before the poll phase of the same turn):
     * libuv does not know about our run queue and would block in epoll. uv_stop makes this
     * turn's poll non-blocking and uv_run return after it. Once is enough: libuv clears the
     * stop only as uv_run returns, and a turn wakes ~50 tasks here (a call into libuv's code
     * for each, a cold cache line each time). */
    if (loop->in_uv == CAFE__IN_UV) {
        uv_stop(&loop->uv);
        loop->in_uv = CAFE__IN_UV_STOPPED;
    }
    t->state = CAFE__READY;
    t->ready_next = NULL;
    if (loop->ready_tail)
        loop->ready_tail->ready_next = t;
    else
        loop->ready_head = t;
    loop->ready_tail = t;
}

static cafe__task_t *ready_pop(cafe_loop_t *loop) {
    cafe__task_t *t = loop->ready_head;
    if (t) {
        loop->ready_head = t->ready_next;
        if (!loop->ready_head)
            loop->ready_tail = NULL;
    }
    return t;
}

static _Noreturn void suspend_refused(const cafe__task_t *t) {
    fprintf(stderr,
            "cafe: task %s made a suspending call in %s, which must not suspend (it runs "
            "in the middle of a call of cafe's): leave the waiting to the task, after the "
            "callback\n",
            t->name ? t->name : "(unnamed)", t->no_suspend);
    abort();
}

/* The checks of a switch away from t that a flag says are due (switch_checks). */
static void switch_checks(const cafe__task_t *t) {
    if (t->no_suspend)
        suspend_refused(t);
    cafe__stack_check(&t->loop->stacks, t->stack, t->name);
}

/* Task side of a switch to the loop stack. On return the task runs again. */
void cafe__switch_to_loop(cafe__task_t *t) {
    cafe_loop_t *loop = t->loop;
    if (__builtin_expect(t->switch_checks, 0))
        switch_checks(t);
    cafe__asan_start(&t->asan_fake, loop->asan_main_bottom, loop->asan_main_size);
    cafe__ctx_switch(&t->ctx, &loop->main_ctx);
    cafe__asan_finish(t->asan_fake, &loop->asan_main_bottom, &loop->asan_main_size);
}

/* Loop side: runs t until it parks, yields or finishes; serves its cafe__loop_call requests
 * in between. */
static void resume(cafe_loop_t *loop, cafe__task_t *t) {
    for (;;) {
        loop->current = t;
        t->state = CAFE__RUNNING;
        void *fake = NULL;
        cafe__asan_start(&fake, t->stack->lo, t->stack->size);
        cafe__ctx_switch(&loop->main_ctx, &t->ctx);
        cafe__asan_finish(fake, NULL, NULL);
        loop->current = NULL;
        if (!loop->call_fn)
            break;
        int (*fn)(void *) = loop->call_fn;
        loop->call_fn = NULL;
        loop->call_rc = fn(loop->call_arg);
    }
    if (t->state == CAFE__DONE) {
        cafe__stack_put(&loop->stacks, t->stack);
        t->stack = NULL;
        if (t->detached || t->group)
            cafe__task_release(t);
    }
}

int cafe__loop_call(int (*fn)(void *arg), void *arg) {
    cafe_loop_t *loop = cafe__tls_loop;
    cafe__task_t *t = loop ? loop->current : NULL;
    if (!t)
        return fn(arg);
    loop->call_fn = fn;
    loop->call_arg = arg;
    cafe__switch_to_loop(t);
    return loop->call_rc;
}

/* Unreferenced handles keep no loop alive, but they run whenever libuv turns, as asyncio's
 * loop polls at every turn: a signal watcher nobody waits on, which counts deliveries for
 * cafe_signal_pending; the idle connections and drain timer of a subsystem closed with the
 * loop (cafe__loop_at_close: the HTTP client, the resolver); the program's own handles
 * (cafe_loop_uv). Nonzero when the loop may hold some. */
static int unref_may_act(const cafe_loop_t *loop) {
    return loop->open_watchers > 0 || loop->nclosers > 0 || loop->uv_lent;
}

static void on_poke(uv_timer_t *timer) {
    (void)timer;
}

/* Tasks are ready and libuv holds nothing referenced: uv_run would return at once, without
 * a poll, so a task that yielded in a loop waiting for an unreferenced handle (polling
 * cafe_signal_pending between chunks of work, say) waited for good. A timer due at once
 * keeps libuv alive for one turn: it runs every timer due and polls (without blocking: tasks
 * are ready). 0, or 1 when libuv has nothing at all to do (the turn may skip it). */
static int poke(cafe_loop_t *loop) {
    if (!unref_may_act(loop))
        return 1;
    if (!loop->poke_init) {
        if (uv_timer_init(&loop->uv, &loop->poke) != 0)
            return 1;
        loop->poke_init = 1;
    }
    (void)uv_timer_start(&loop->poke, on_poke, 0, 0);
    return 0;
}

static void run_ready(cafe_loop_t *loop) {
    /* Only the tasks ready at the start of the turn: a task that yields goes to the back and
     * runs next turn, after libuv had a chance to poll. */
    cafe__task_t *last = loop->ready_tail, *t;
    while ((t = ready_pop(loop)) != NULL) {
        resume(loop, t);
        if (t == last)
            break;
    }
}

/* The run gives the parked tasks up for good. A later run of the loop must neither wait for
 * them (it would end in CAFE_EDEADLK too, its main's result lost) nor name them as its own
 * leftovers, and nothing it does may resume them: each wait leaves the list it is on (a lock
 * released later goes to the next waiter or is free, not to a dead frame) and no longer
 * takes a wake-up; their handles die with the run, as those of its finished tasks (and so do
 * those of the finished tasks they claimed). Their structs and stacks are kept (frames lie
 * there) until cafe_loop_free. */
static void abandon(cafe_loop_t *loop) {
    for (cafe__task_t *t = loop->all; t; t = t->all_next) {
        if (t->state != CAFE__PARKED)
            continue;
        cafe__wait_t *w = t->wait;
        if (w && w->list)
            cafe__waitlist_remove(w->list, w);
        t->wait = NULL;
        if (t->timer_armed) {
            uv_timer_stop(&t->timer);
            t->timer_armed = 0;
        }
        t->state = CAFE__ABANDONED;
        t->gen = cafe__gen_renew(t->gen);
        loop->live--;
    }
    /* A finished task claimed by an abandoned wait (a gather's, which joins in order) will
     * never be taken by it: unclaimed, it is released with the run's other finished tasks. */
    for (cafe__task_t *t = loop->handles; t; t = t->handle_next)
        if (t->state == CAFE__DONE && t->joiner && t->joiner->task &&
            t->joiner->task->state == CAFE__ABANDONED)
            t->joiner = NULL;
}

/* Names on stderr the tasks pick() selects, after a report's opening words: the first
 * NAMES_LISTED of them, then how many more. A program that fetches 100k URLs and returns
 * early leaves as many tasks: one name each made a line of a megabyte. */
enum { NAMES_LISTED = 8 };

static void name_tasks(const cafe_loop_t *loop, int (*pick)(const cafe__task_t *t)) {
    size_t n = 0;
    for (const cafe__task_t *t = loop->all; t; t = t->all_next)
        if (pick(t) && n++ < NAMES_LISTED)
            fprintf(stderr, " %s", t->name ? t->name : "(unnamed)");
    if (n > NAMES_LISTED)
        fprintf(stderr, " and %zu more", n - NAMES_LISTED);
}

static int parked(const cafe__task_t *t) {
    return t->state == CAFE__PARKED;
}

/* Parked in a wait that a cancellation can end. */
static int interruptible(const cafe__task_t *t) {
    return t->state == CAFE__PARKED && t->wait && t->wait->abort;
}

/* Nothing is ready and libuv has nothing left that could wake anyone: the parked tasks wait
 * for something that cannot happen. Cancel them so they unwind instead of hanging, and name
 * them: a count alone leaves the reader to guess which wait never ended. */
static int break_deadlock(cafe_loop_t *loop) {
    size_t n = 0;
    for (cafe__task_t *t = loop->all; t; t = t->all_next)
        n += interruptible(t);
    if (n == 0) {
        /* Only waits without an abort are left, on each other: the clean-up waits of gather
         * and cafe_group_wait, which must not leave before what they wait for. Nothing can
         * end them: the run gives up on these tasks, and says so. */
        fprintf(stderr, "cafe: deadlock: tasks wait for each other in waits that cannot be "
                        "interrupted (gather's or cafe_group_wait's clean-up, a condition wait "
                        "taking its lock back); abandoning:");
        name_tasks(loop, parked);
        fprintf(stderr, "\n");
        abandon(loop);
        return CAFE_EDEADLK;
    }
    fprintf(stderr,
            "cafe: deadlock: %zu task(s) wait for something that can never happen; "
            "cancelling:",
            n);
    name_tasks(loop, interruptible);
    fprintf(stderr, "\n");
    /* Through shields too: a shielded task parked here would wait forever as well. */
    for (cafe__task_t *t = loop->all; t; t = t->all_next)
        if (interruptible(t)) {
            t->cancelled = 1;
            cafe__interrupt(t, CAFE_ECANCELED);
        }
    return 0;
}

static int still_running(const cafe__task_t *t) {
    return t->stack && t->state != CAFE__DONE && t->state != CAFE__ABANDONED;
}

static int reported_leftover(const cafe__task_t *t) {
    return still_running(t) && !t->daemon;
}

/* asyncio.run's end: main returned, so cancel every task still running (the run loop waits
 * for them), naming those not marked CAFE_TASK_DAEMON. Called by the main task as it ends,
 * so that the run loop's turns need no check of their own. */
void cafe__loop_reap(cafe_loop_t *loop) {
    size_t named = 0;
    for (cafe__task_t *t = loop->all; t; t = t->all_next)
        named += reported_leftover(t);
    if (named > 0 && !loop->quiet) {
        fprintf(stderr,
                "cafe: main returned while %zu task(s) were still running; cancelling:", named);
        name_tasks(loop, reported_leftover);
        fprintf(stderr, " (mark long-lived tasks CAFE_TASK_DAEMON)\n");
    }
    for (cafe__task_t *t = loop->all; t; t = t->all_next)
        if (still_running(t))
            cafe__task_cancel(t);
}

/* The run's end: the handles of finished tasks nobody joined die with it, as their failures
 * are reported here as never joined: a later run of the same loop joining one would take a
 * result already reported lost. (Tasks a deadlock abandoned are not finished: their structs
 * hold frames and must not go back to the pool; their handles went stale in abandon.) */
static void release_unjoined(cafe_loop_t *loop) {
    cafe__task_t *next;
    size_t failed = 0; /* one line each for the first NAMES_LISTED, then a count */
    for (cafe__task_t *t = loop->handles; t; t = next) {
        next = t->handle_next;
        if (t->state != CAFE__DONE || t->joiner)
            continue;
        if (!loop->quiet && cafe__task_failed(t) && failed++ < NAMES_LISTED)
            fprintf(stderr, "cafe: task %s failed and was never joined: %s\n",
                    t->name ? t->name : "(unnamed)", cafe_strerror(t->result.status));
        cafe__task_release(t);
    }
    if (failed > NAMES_LISTED)
        fprintf(stderr, "cafe: %zu more task(s) failed and were never joined\n",
                failed - NAMES_LISTED);
    if (loop->detached_failed && !loop->quiet)
        fprintf(stderr, "cafe: %zu detached task(s) failed; the first, %s: %s\n",
                loop->detached_failed,
                loop->detached_first_name ? loop->detached_first_name : "(unnamed)",
                cafe_strerror(loop->detached_first_error));
    loop->detached_failed = 0;
    if (loop->group_lost && !loop->quiet) {
        fprintf(stderr,
                "cafe: %zu task(s) of task groups failed and no cafe_group_wait collected their "
                "errors",
                loop->group_lost);
        if (loop->group_lost_first_error != 0)
            fprintf(stderr, "; the first, %s: %s",
                    loop->group_lost_first_name ? loop->group_lost_first_name : "(unnamed)",
                    cafe_strerror(loop->group_lost_first_error));
        fputc('\n', stderr);
    }
    loop->group_lost = 0;
}

/* Claims the loop for a run on this thread: 1, or 0 when a run of it lasts already (two
 * threads starting one at once: the compare-and-swap lets one win). The token and the flag
 * change in the same store: see cafe_loop_t.thread. */
static int claim(cafe_loop_t *loop) {
    uintptr_t w = atomic_load(&loop->thread);
    do
        if (w & CAFE__LOOP_RUNNING)
            return 0;
    while (!atomic_compare_exchange_weak(&loop->thread, &w, cafe__loop_ours()));
    return 1;
}

int cafe_loop_run(cafe_loop_t *loop, cafe_task_fn fn, void *arg, cafe_result_t *result) {
    /* A run on a pool thread held that thread for as long, and every cafe call its tasks made
     * aborted naming that call instead (the pool flag stays set under it). */
    cafe__loop_thread_check("cafe_loop_run");
    if (!loop) /* a loop cafe_loop_create did not make (its error unchecked) */
        return CAFE_EINVAL;
    /* One loop per thread: run inside another one (from a task, or a libuv callback of the
     * running loop), it froze that loop's tasks until it ended, and ran libuv's and libcurl's
     * callbacks on whatever stack called it, a task's small one included. asyncio.run
     * refuses it too. */
    if (cafe__tls_loop || !claim(loop))
        return CAFE_EBUSY;
    if (loop->forks != forks)
        forked_abort("runs");
    cafe__tls_loop = loop;
    cafe__tls_runs++;
    void *altstack = cafe__overflow_arm();
    cafe__task_t *main_task;
    cafe_task_opts_t opts = {.name = "main"};
    int rc = cafe__task_spawn(&main_task, fn, arg, &opts);
    loop->main_task = rc == 0 ? main_task : NULL;
    while (rc == 0 && loop->live > 0) {
        run_ready(loop);
        if (loop->live == 0)
            break;
        if (!loop->ready_head) {
            /* About to block: a good time for syscalls. */
            cafe__stacks_trim(&loop->stacks, uv_now(&loop->uv));
        } else if (!uv_loop_alive(&loop->uv) && poke(loop)) {
            /* No handle or request: uv_run would only read the clock (~22 ns here, more
             * than the rest of a turn). Read it when someone asks (cafe__loop_now). */
            loop->clock_stale = 1;
            continue;
        }
        loop->clock_stale = 0; /* uv_run reads the clock */
        loop->in_uv = CAFE__IN_UV;
        int more = uv_run(&loop->uv, loop->ready_head ? UV_RUN_NOWAIT : UV_RUN_ONCE);
        loop->in_uv = 0;
        if (!more && !loop->ready_head)
            rc = break_deadlock(loop);
    }
    loop->main_task = NULL; /* joinable now, by the run alone */
    if (rc == 0)
        rc = cafe__task_join(main_task, result, 0);
    else if (rc == CAFE_EDEADLK && main_task->state == CAFE__DONE)
        (void)cafe__task_join(main_task, result, 0); /* main ended: its result is there */
    release_unjoined(loop);
    cafe__overflow_disarm(altstack);
    atomic_store(&loop->thread, (uintptr_t)cafe__thread_self()); /* the run is over */
    cafe__tls_loop = NULL;
    return rc;
}

/* Handles a subsystem left open (its closer should have closed them). The memory is the
 * owner's: no close callback here. */
static void close_leftover(uv_handle_t *h, void *arg) {
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* A stream or watcher still open at cafe_loop_free is its owner's bug: its handle would point
 * into freed memory, and a later close would write there. Tasks a deadlock abandoned
 * (cafe_loop_run's CAFE_EDEADLK) are exempt: they could not close theirs. */
static void check_closed(const cafe_loop_t *loop) {
    if (loop->open_streams == 0 && loop->open_watchers == 0)
        return;
    for (const cafe__task_t *t = loop->all; t; t = t->all_next)
        if (t->state == CAFE__ABANDONED)
            return;
    fprintf(stderr,
            "cafe: cafe_loop_free called with %zu TCP stream(s) and %zu signal watcher(s) "
            "still open: close them (cafe_tcp_close, cafe_signal_close) before freeing the "
            "loop; a handle filled again by cafe_tcp_listen, cafe_tcp_accept, cafe_tcp_connect "
            "or cafe_signal_open while open loses what it held, which then stays open\n",
            loop->open_streams, loop->open_watchers);
    abort();
}

/* cafe_loop_free of a running loop: says from where (foreign: not the loop's thread). */
static _Noreturn void free_running(int foreign) {
    fprintf(stderr,
            "cafe: cafe_loop_free called on a loop that is running (%s): free it after "
            "cafe_loop_run returns\n",
            !foreign            ? "from one of its tasks, or a callback of its"
            : cafe__tls_in_pool ? "from a cafe_thread_run function, on a thread-pool thread"
                                : "from another thread, while it runs on its own");
    abort();
}

void cafe_loop_free(cafe_loop_t *loop) {
    if (!loop)
        return;
    /* Its tasks run on it: freeing nothing would leak it unnoticed. One read of the word:
     * the run may end meanwhile. */
    uintptr_t w = cafe__loop_word(loop);
    if (w & CAFE__LOOP_RUNNING)
        free_running(w != cafe__loop_ours());
    /* Its closers would shut the parent's connections down (libcurl's TLS close_notify goes
     * out on sockets both processes hold) and take their descriptors out of the epoll
     * instance both share, under the parent's running transfers. */
    if (loop->forks != forks)
        forked_abort("is freed");
    while (loop->nclosers > 0) {
        loop->nclosers--;
        loop->closers[loop->nclosers].fn(loop->closers[loop->nclosers].arg);
    }
    check_closed(loop);
    cafe__task_free_all(loop);
    uv_walk(&loop->uv, close_leftover, NULL);
    uv_run(&loop->uv, UV_RUN_DEFAULT);
    uv_loop_close(&loop->uv);
    cafe__stacks_close(&loop->stacks);
    free(loop);
}

int cafe_run(cafe_task_fn fn, void *arg, cafe_result_t *result) {
    cafe_loop_t *loop;
    int rc = cafe_loop_create(&loop, NULL);
    if (rc != 0)
        return rc;
    rc = cafe_loop_run(loop, fn, arg, result);
    cafe_loop_free(loop);
    return rc;
}
