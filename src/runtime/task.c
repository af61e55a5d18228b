/* Tasks: spawn, run, finish, join, cancel. */
#include "runtime/handle.h"
#include "runtime/asan.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void handle_link(cafe_loop_t *loop, cafe__task_t *t) {
    t->handle_prev = NULL;
    t->handle_next = loop->handles;
    if (loop->handles)
        loop->handles->handle_prev = t;
    loop->handles = t;
}

static void handle_unlink(cafe_loop_t *loop, cafe__task_t *t) {
    if (t->handle_prev)
        t->handle_prev->handle_next = t->handle_next;
    else
        loop->handles = t->handle_next;
    if (t->handle_next)
        t->handle_next->handle_prev = t->handle_prev;
}

void cafe__task_release(cafe__task_t *t) {
    handle_unlink(t->loop, t);
    cafe__task_struct_put(t->loop, t);
}

/* A failure nobody will join, kept for the report at the end of the run. */
static void note_unjoined_failure(cafe_loop_t *loop, const cafe__task_t *t) {
    if (!cafe__task_failed(t))
        return;
    if (loop->detached_failed++ == 0) {
        loop->detached_first_error = t->result.status;
        loop->detached_first_name = t->name;
    }
}

/* t returns while tasks wait on objects in its stack: name one of them, and abort. */
_Noreturn void cafe__frame_waiters_left(const cafe__task_t *t) {
    const char *lo = t->stack->lo, *hi = lo + t->stack->size, *waiter = NULL;
    for (const cafe__task_t *c = t->loop->all; c && !waiter; c = c->all_next) {
        const char *l = c->wait ? (const char *)c->wait->list : NULL;
        if (c->state == CAFE__PARKED && l && l >= lo && l < hi)
            waiter = c->name ? c->name : "(unnamed)";
    }
    fprintf(stderr,
            "cafe: task %s returned while %u task(s) (one is %s) still wait on a semaphore, "
            "event, lock, condition, queue or future that it initialised in its own stack: "
            "wake or cancel the waiters and let them leave before the task returns, or put the "
            "object where it outlives them\n",
            t->name ? t->name : "(unnamed)", (unsigned)t->frame_waiters,
            waiter ? waiter : "(unnamed)");
    abort();
}

/* Runs on the task's stack, first thing after its first switch-in. Never returns. */
static void task_entry(void *p) {
    cafe__task_t *t = p;
    cafe_loop_t *loop = t->loop;
    cafe__asan_finish(NULL, &loop->asan_main_bottom, &loop->asan_main_size);
    void *value = NULL;
    int status = t->fn(t->arg, &value);
    t->result.status = status;
    t->result.value = value;
    /* All rare; one branch on the hot path. Each check aborts when it finds the misuse: a
     * group's children would write into the dead frame, a scope was never ended, a completion
     * set would keep its tasks claimed for good. */
    if (__builtin_expect(((uintptr_t)(t->open_groups | t->open_sets | t->frame_waiters) |
                          (uintptr_t)t->scope) != 0,
                         0)) {
        if (t->open_groups)
            cafe__group_check_owner(t);
        if (t->frame_waiters)
            cafe__frame_waiters_left(t);
        if (t->scope)
            cafe__scope_left_open(t);
        if (t->open_sets)
            cafe__as_completed_left_open(t);
    }
    t->state = CAFE__DONE;
    t->finished = ++loop->finished;
    loop->live--;
    if (t == loop->main_task && loop->live > 0)
        cafe__loop_reap(loop);
    /* The waiter keeps its claim until it ran and took the result: a joiner interrupted in
     * the same turn must not take it too (cafe__task_join). */
    if (t->joiner) {
        t->ready_next = t->joiner->done;
        t->joiner->done = t;
        cafe__wake(t->joiner, 0);
    }
    if (t->group)
        cafe__group_child_done(t);
    else if (t->detached)
        note_unjoined_failure(loop, t);
    cafe__stack_check(&loop->stacks, t->stack, t->name);
    cafe__asan_start(NULL, loop->asan_main_bottom, loop->asan_main_size);
    cafe__ctx_switch(&t->ctx, &loop->main_ctx);
    abort(); /* a finished task is never resumed */
}

/* The stack size a spawn asks for, or 0 when it cannot be had (larger than the largest
 * stack class). */
static size_t stack_size_for(const cafe_loop_t *loop, const cafe_task_opts_t *opts) {
    size_t size = opts && opts->stack_size ? opts->stack_size : loop->stack_size;
    if (size > CAFE_STACK_MAX)
        return 0;
    return size < CAFE_STACK_MIN ? CAFE_STACK_MIN : size;
}

/* The body of both spawns, inline in each: spawn + join is the runtime's hottest pair. */
__attribute__((always_inline)) static inline int
spawn_struct(cafe__task_t **out, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts) {
    cafe_loop_t *loop = cafe__loop_tls();
    if (!loop)
        return CAFE_ENOTASK;
    size_t size = stack_size_for(loop, opts);
    if (!fn || size == 0 || (opts && (opts->flags & ~(unsigned)CAFE_TASK_DAEMON)))
        return CAFE_EINVAL;
    cafe__task_t *t = cafe__task_struct_get(loop);
    if (!t)
        return CAFE_ENOMEM;
    t->stack = cafe__stack_get(&loop->stacks, size);
    if (!t->stack) {
        cafe__task_struct_put(loop, t);
        return CAFE_ENOMEM;
    }
    t->loop = loop;
    t->fn = fn;
    t->arg = arg;
    t->name = opts ? opts->name : NULL;
    t->result = (cafe_result_t){0, NULL};
    t->cancelled = t->detached = t->timer_armed = t->shielded = t->marked = 0;
    t->daemon = opts && (opts->flags & CAFE_TASK_DAEMON);
    cafe__no_suspend_set(t, NULL);
    /* Main returned and the leftovers were cancelled (cafe__loop_reap): one of them that was
     * woken in that turn may still spawn, and what it spawns is a leftover from birth. */
    if (loop->main_task && loop->main_task->state == CAFE__DONE)
        t->cancelled = 1;
    t->open_groups = t->open_sets = 0;
    t->wait = t->woken = NULL;
    t->joiner = NULL;
    t->group = NULL;
    t->result_out = NULL;
    t->deadline = t->wake_at = CAFE__NEVER;
    t->scope = NULL;
    t->asan_fake = NULL;
    cafe__ctx_make(&t->ctx, t->stack->lo, t->stack->size, task_entry, t);
    handle_link(loop, t);
    loop->live++;
    cafe__ready_push(loop, t);
    *out = t;
    return 0;
}

int cafe__task_spawn(cafe__task_t **out, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts) {
    return spawn_struct(out, fn, arg, opts);
}

int cafe_task_spawn(cafe_task_t **out, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts) {
    cafe__loop_thread_check("cafe_task_spawn");
    cafe__task_t *t;
    if (!out)
        return cafe__loop_tls() ? CAFE_EINVAL : CAFE_ENOTASK;
    int rc = spawn_struct(&t, fn, arg, opts);
    if (rc == 0)
        *out = cafe__task_handle(t);
    return rc;
}

static int join_abort(cafe__wait_t *w) {
    cafe__task_t *target = w->data;
    target->joiner = NULL;
    return 1;
}

int cafe__task_join(cafe__task_t *t, cafe_result_t *result, int interruptible) {
    if (!cafe__task_joinable(t))
        return CAFE_EINVAL;
    cafe_loop_t *loop = t->loop;
    cafe__task_t *self = loop->current;
    if (t == self || (self && t->state != CAFE__DONE && cafe__waits_for(t, self)))
        return CAFE_EDEADLK;
    /* Finished or not: a claimed task is the claimer's to join (gather.c). */
    if (t->joiner)
        return CAFE_EBUSY;
    if (t->state != CAFE__DONE) {
        if (!self)
            return CAFE_ENOTASK;
        /* Interrupted, the caller gives t up at once (join_abort), but t may finish before
         * the caller runs again (its deadline and t's end in the same turn): its result is
         * there then, and is returned, as asyncio.wait_for returns a result that came in
         * with the timeout; unless another waiter claimed t meanwhile (it keeps its claim
         * until it ran: see task_entry), or took it (the generation moved on). */
        cafe__wait_t w = {.abort = interruptible ? join_abort : NULL, .data = t};
        uint32_t gen = t->gen;
        t->joiner = &w;
        int rc = cafe__park(&w, CAFE__NEVER);
        if (__builtin_expect(rc != 0, 0)) {
            if (t->gen != gen || t->state != CAFE__DONE || t->joiner)
                return rc;
            cafe__untold(cafe__running()); /* the result is returned, not the timeout */
        }
    }
    t->joiner = NULL;
    if (result)
        *result = t->result;
    cafe__task_release(t);
    return 0;
}

int cafe_task_join(cafe_task_t *t, cafe_result_t *result) {
    cafe__loop_thread_check("cafe_task_join");
    return cafe__task_join(cafe__task_from(t), result, 1);
}

int cafe_task_join_timeout(cafe_task_t *t, uint64_t ms, cafe_result_t *result) {
    cafe__loop_thread_check("cafe_task_join_timeout");
    cafe_deadline_t d;
    int began = cafe_deadline_begin(&d, ms);
    int rc = cafe__task_join(cafe__task_from(t), result, 1);
    if (began == 0)
        cafe_deadline_end(&d);
    return rc;
}

int cafe_task_detach(cafe_task_t *h) {
    cafe__loop_thread_check("cafe_task_detach");
    cafe__task_t *t = cafe__task_from(h);
    if (!cafe__task_joinable(t))
        return CAFE_EINVAL;
    /* The waiter releases the struct when it is woken: detaching too would release it a
     * second time, into the pool twice, and two later tasks would share it. */
    if (t->joiner)
        return CAFE_EBUSY;
    if (t->state == CAFE__DONE) {
        note_unjoined_failure(t->loop, t);
        cafe__task_release(t);
        return 0;
    }
    t->detached = 1;
    return 0;
}

/* t was woken with CAFE_ETIMEDOUT by its deadline's timer (which records the deadline in
 * t->timed_out as it wakes), not by a call's own CAFE_ETIMEDOUT result. */
static int timed_out_by_deadline(const cafe__task_t *t) {
    return t->wake_code == CAFE_ETIMEDOUT && t->deadline != CAFE__NEVER &&
           t->timed_out == t->deadline;
}

void cafe__task_cancel(cafe__task_t *t) {
    if (t->state == CAFE__DONE || t->cancelled)
        return;
    t->cancelled = 1;
    if (t->shielded)
        return;
    if (t->state == CAFE__PARKED)
        cafe__interrupt(t, CAFE_ECANCELED);
    else if (t->state == CAFE__READY && t->woken && t->wake_code >= 0 && t->woken->undo &&
             t->woken->undo(t->woken))
        t->wake_code = CAFE_ECANCELED; /* woken, not yet run: still in its call */
    else if (t->state == CAFE__READY && t->woken && timed_out_by_deadline(t)) {
        /* Its deadline fired in this turn and it has not run yet: asyncio.timeout's
         * cancel and this one make two, and the scope lets the CancelledError through
         * (it converts only its own): the cancellation wins, and the scope reports none. */
        t->wake_code = CAFE_ECANCELED;
        cafe__untold(t);
    }
}

int cafe_task_cancel(cafe_task_t *h) {
    cafe__loop_thread_check("cafe_task_cancel");
    cafe__task_t *t = cafe__task_from(h);
    if (!t)
        return CAFE_EINVAL;
    cafe__task_cancel(t);
    return 0;
}

/* From a cafe_thread_run function these would answer for the pool thread, which runs no
 * loop: "no task", "not cancelled", always. CPU work that polled cafe_task_cancelled to stop
 * early when its caller was cancelled never stopped, silently: they abort, naming the call. */
cafe_task_t *cafe_task_current(void) {
    cafe__loop_thread_check("cafe_task_current");
    cafe_loop_t *loop = cafe__loop_tls();
    return loop && loop->current ? cafe__task_handle(loop->current) : NULL;
}

int cafe_task_cancelled(void) {
    cafe__loop_thread_check("cafe_task_cancelled");
    cafe__task_t *t = cafe__running();
    return t ? t->cancelled : 0;
}

int cafe_task_sleep(uint64_t ms) {
    cafe__loop_thread_check("cafe_task_sleep");
    cafe__task_t *t = cafe__running();
    if (!t && ms > 0 && cafe__loop_tls()) /* a callback of the running loop: it would block it */
        return CAFE_ENOTASK;
    if (!t) {
        struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                              .tv_nsec = (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
        return 0;
    }
    /* asyncio.sleep(0) is a bare yield: through a timer, the task would run again only after
     * every task that yielded meanwhile, in another order than asyncio's. */
    if (ms == 0)
        return cafe_task_yield();
    cafe__wait_t w = {.abort = cafe__abort_noop, .undo = cafe__abort_noop};
    uint64_t now = cafe__loop_now_fresh(t->loop);
    return cafe__park(&w, ms > CAFE__NEVER - 1 - now ? CAFE__NEVER - 1 : now + ms);
}

int cafe_task_yield(void) {
    cafe__loop_thread_check("cafe_task_yield");
    cafe__task_t *t = cafe__running();
    if (!t)
        return 0;
    cafe__yield_once(t);
    /* Checked after the turn: a task cancelled (or past its deadline) while it waited for it
     * learns it from this yield, as from asyncio.sleep(0). Both are sticky, so one cancelled
     * before learns it here too. */
    if (__builtin_expect(!t->cancelled && t->deadline == CAFE__NEVER, 1))
        return 0;
    return cafe__interruption(t, t->deadline == CAFE__NEVER ? 0 : cafe__loop_now(t->loop));
}
