/* Parking and waking tasks: the one mechanism under every suspending call. */
#include "runtime/internal.h"

#include <stdio.h>
#include <stdlib.h>

cafe__task_t *cafe__frame_task(const void *p) {
    cafe__task_t *t = cafe__running();
    const char *a = p;
    if (!t || a < t->stack->lo || a >= t->stack->lo + t->stack->size)
        return NULL;
    return t;
}

/* The task whose frame_waiters counts l's waiters: the one in whose stack l was made, while l
 * is still there (a struct that was copied elsewhere while nobody waited on it is not). */
static cafe__task_t *frame_of(const cafe__waitlist_t *l) {
    cafe__task_t *t = l->private_frame;
    if (__builtin_expect(t == NULL, 1))
        return NULL;
    const char *a = (const char *)l;
    return t->stack && a >= t->stack->lo && a < t->stack->lo + t->stack->size ? t : NULL;
}

void cafe__waitlist_push(cafe__waitlist_t *l, cafe__wait_t *w) {
    cafe__task_t *frame = frame_of(l);
    if (frame)
        frame->frame_waiters++;
    w->next = NULL;
    w->prev = l->private_last;
    if (l->private_last)
        l->private_last->next = w;
    else
        l->private_first = w;
    l->private_last = w;
    w->list = l;
}

void cafe__waitlist_remove(cafe__waitlist_t *l, cafe__wait_t *w) {
    cafe__task_t *frame = frame_of(l);
    if (frame)
        frame->frame_waiters--;
    if (w->prev)
        w->prev->next = w->next;
    else
        l->private_first = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        l->private_last = w->prev;
    w->next = w->prev = NULL;
    w->list = NULL;
}

cafe__wait_t *cafe__waitlist_pop(cafe__waitlist_t *l) {
    cafe__wait_t *w = l->private_first;
    if (w)
        cafe__waitlist_remove(l, w);
    return w;
}

int cafe__abort_noop(cafe__wait_t *w) {
    return 1;
}

/* w's neighbours and its list's ends agree that w is on l. A list made afresh under waiters
 * (cafe_sem_init and the like on an object in use) holds none of them: removing its first or
 * last old waiter would write that waiter's neighbour, a forgotten wait, into the new list's
 * ends, losing the tasks that waited since. (An old waiter in the middle unlinks among old
 * ones only, harmlessly; the ends' turn comes at the latest when the run cancels them.) */
static int on_list(const cafe__waitlist_t *l, const cafe__wait_t *w) {
    return (w->prev ? w->prev->next == w : l->private_first == w) &&
           (w->next ? w->next->prev == w : l->private_last == w);
}

int cafe__abort_unlist(cafe__wait_t *w) {
    if (w->list) {
        if (__builtin_expect(!on_list(w->list, w), 0)) {
            fprintf(stderr, "cafe: a task's wait on a semaphore, event, queue, future or group "
                            "was interrupted after that object was initialised again while "
                            "tasks waited on it (or moved, or overwritten): initialise only "
                            "one that no task waits on (destroy returns CAFE_EBUSY while one "
                            "does)\n");
            abort();
        }
        cafe__waitlist_remove(w->list, w);
    }
    return 1;
}

void cafe__woken_forget(const void *source) {
    cafe_loop_t *loop = cafe__loop_tls();
    if (!loop)
        return;
    /* A woken task is ready until it runs: the run queue holds every one of them. */
    for (cafe__task_t *t = loop->ready_head; t; t = t->ready_next)
        if (t->woken && t->woken->source == source) {
            t->woken->undo = NULL;
            t->woken->source = NULL; /* nor may the task itself reach it when it runs */
        }
}

void cafe__wake(cafe__wait_t *w, int code) {
    cafe__task_t *t = w->task;
    if (w->state == CAFE__WAIT_FRESH) {
        w->state = CAFE__WAIT_EARLY;
        w->early_code = code;
        return;
    }
    if (!t || t->wait != w)
        return;
    t->wait = NULL;
    t->woken = w;
    t->wake_code = code;
    if (t->timer_armed) {
        uv_timer_stop(&t->timer);
        t->timer_armed = 0;
    }
    cafe__ready_push(t->loop, t);
}

void cafe__interrupt(cafe__task_t *t, int code) {
    cafe__wait_t *w = t->wait;
    if (w && w->abort && w->abort(w))
        cafe__wake(w, code);
}

static void on_timer(uv_timer_t *timer) {
    cafe__task_t *t = timer->data;
    t->timer_armed = 0;
    if (!t->wait)
        return;
    uint64_t now = uv_now(timer->loop);
    cafe__wait_t *w = t->wait;
    if (w->abort && now >= t->deadline) {
        /* Recorded only when the call is told (a pool function already running is waited
         * for, and its value returned): see cafe_deadline_end. */
        if (w->abort(w)) {
            t->timed_out = t->deadline;
            cafe__wake(w, CAFE_ETIMEDOUT);
        }
    } else if (now >= t->wake_at)
        cafe__wake(t->wait, 0);
}

/* A deadline is checked against the clock read now: the loop's cached one stands still
 * through a turn, which the task (or those before it) may have spent computing since it was
 * last read, and a deadline passed then went unseen by the calls that need not wait. */
int cafe__interrupt_check_slow(cafe__task_t *t) {
    int code =
        cafe__interruption(t, t->deadline == CAFE__NEVER ? 0 : cafe__loop_now_fresh(t->loop));
    if (code != 0)
        cafe__yield_once(t);
    return code;
}

int cafe__park(cafe__wait_t *w, uint64_t wake_at) {
    cafe_loop_t *loop = cafe__loop_tls();
    cafe__task_t *t = loop ? loop->current : NULL;
    if (!t)
        return CAFE_ENOTASK;
    if (w->state == CAFE__WAIT_EARLY) {
        w->state = CAFE__WAIT_FRESH;
        return w->early_code;
    }
    w->task = t;
    uint64_t fire = wake_at;
    /* Read the clock only when a time matters: it may cost more than the rest of a park. A
     * deadline needs it read now (see cafe__interrupt_check_slow): a wait that parked on the
     * cached time returned what a task run later in the turn gave it, past its deadline. */
    int deadlined = w->abort && t->deadline != CAFE__NEVER;
    uint64_t now = deadlined                ? cafe__loop_now_fresh(loop)
                   : wake_at != CAFE__NEVER ? cafe__loop_now(loop)
                                            : 0;
    if (w->abort) {
        uint64_t told = t->timed_out;
        int early = cafe__interruption(t, now);
        if (early && w->abort(w)) {
            /* A task that ignores its cancellation and calls again at once must not
             * starve the others: every suspending call suspends at least this once. */
            cafe__yield_once(t);
            return early;
        }
        if (early) /* refused (a pool function under way): not told, as on_timer records */
            t->timed_out = told;
        else if (t->deadline < fire)
            fire = t->deadline;
    }
    t->wait = w;
    w->state = CAFE__WAIT_PARKED;
    t->wake_at = wake_at;
    if (fire != CAFE__NEVER) {
        t->timer.data = t;
        uv_timer_start(&t->timer, on_timer, fire > now ? fire - now : 0, 0);
        t->timer_armed = 1;
    }
    t->state = CAFE__PARKED;
    cafe__switch_to_loop(t);
    t->woken = NULL;
    t->wake_at = CAFE__NEVER;
    w->state = CAFE__WAIT_FRESH;
    return t->wake_code;
}
