/* Completions (cafe_future_t): a wait list, a result and a state. The one public way for code
 * outside the runtime to park a task until a callback fires. */
#include "runtime/internal.h"

enum { PENDING = 0, RESOLVED, CANCELLED };

void cafe_future_init(cafe_future_t *f, cafe_future_cancel_cb cancel_cb) {
    cafe__nonnull(f, "cafe_future_init");
    void *data = f->data;
    *f = (cafe_future_t){.data = data,
                         .private_cancel = cancel_cb,
                         .private_waiters = cafe__waitlist_for(f),
                         .private_thread = cafe__owner_init()};
}

/* A waiter's record, on its own stack. Once parked, the waiter never reads the future again:
 * a resolver may free the future right after resolving it, and a cancel callback may too. */
typedef struct fwait {
    cafe__wait_t w; /* first: the abort function gets &w */
    cafe_future_t *f;
    void *value;
    int resolved;
} fwait_t;

int cafe_future_resolve(cafe_future_t *f, int result, void *value) {
    CAFE__EINVAL_IF_NULL(f);
    cafe__owner_check(&f->private_thread, "cafe_future_resolve");
    if (f->private_state != PENDING)
        return CAFE_EINVAL;
    f->private_state = RESOLVED;
    f->private_result = result;
    f->private_value = value;
    cafe__wait_t *w;
    while ((w = cafe__waitlist_pop(&f->private_waiters)) != NULL) {
        ((fwait_t *)w)->value = value;
        ((fwait_t *)w)->resolved = 1;
        cafe__wake(w, result);
    }
    return 0;
}

/* An interrupted waiter leaves; the last one to leave cancels a future that has a cancel
 * callback, because the future's memory may die with that waiter's frame. The callback runs
 * outside any task, as it does when a timer or the deadlock breaker interrupts the wait: run
 * by a cancelling task, it could suspend that task in the middle of its cancel, and the
 * waiter, still parked, be woken and gone before the cancel woke its wait. */
static int abort_wait(cafe__wait_t *w) {
    cafe_future_t *f = ((fwait_t *)w)->f;
    cafe__abort_unlist(w);
    if (cafe__waitlist_empty(&f->private_waiters) && f->private_cancel &&
        f->private_state == PENDING) {
        f->private_state = CANCELLED;
        cafe_loop_t *loop = cafe__loop_tls();
        cafe__task_t *self = loop->current, *lent = loop->lent_stack;
        loop->current = NULL;
        /* Without a task, it runs on the loop's stack, or nested in another callback (which
         * cancelled the last waiter) on the stack lent to that one. */
        if (self)
            loop->lent_stack = self;
        f->private_cancel(f);
        loop->lent_stack = lent;
        loop->current = self;
    }
    return 1;
}

int cafe_future_wait(cafe_future_t *f, void **value) {
    CAFE__EINVAL_IF_NULL(f);
    cafe__owner_check(&f->private_thread, "cafe_future_wait");
    if (f->private_state == CANCELLED)
        return CAFE_ECANCELED;
    if (f->private_state == RESOLVED) {
        if (value)
            *value = f->private_value;
        return f->private_result;
    }
    if (!cafe_task_current())
        return CAFE_ENOTASK;
    fwait_t fw = {.w = {.abort = abort_wait}, .f = f};
    cafe__waitlist_push(&f->private_waiters, &fw.w);
    int rc = cafe__park(&fw.w, CAFE__NEVER);
    if (value && fw.resolved)
        *value = fw.value;
    return rc;
}

int cafe_future_done(const cafe_future_t *f) {
    cafe__nonnull(f, "cafe_future_done");
    cafe__owner_check_ro(cafe__owner_load(&f->private_thread), "cafe_future_done");
    return f->private_state != PENDING;
}
