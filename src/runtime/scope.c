/* Scopes of a task: deadlines (asyncio.timeout) and shields (asyncio.shield, Trio's shielded
 * cancel scope). Both save the task's state in the caller's struct at begin and put it back
 * at end, so they nest as long as they are ended in reverse order.
 *
 * t->deadline is the deadline in force: the earliest of the scopes begun since the innermost
 * shield. A shield sets it to "never" and holds back the cancellation flag's effect; the
 * flag itself stays set, so the first suspending call after the shield sees it.
 *
 * Misuse caught here: an end out of order (or twice, or by another task) would put back a
 * state that is no longer the task's: a deadline that fires after every scope ended, or a
 * shield that never lifts, so that the task ignores cancellation for good. At each end the
 * task's state must be the one this scope set up, or the process aborts with a message. */
#include "runtime/handle.h"

#include <stdio.h>
#include <stdlib.h>

/* t is NULL for an end outside any task (a libuv callback, code outside cafe_loop_run) of a
 * scope a task began: returning 0 there would leave that task shielded, or bounded, for good. */
static void misordered(const cafe__task_t *t, const char *call) {
    fprintf(stderr,
            "cafe: %s %s%s does not end the innermost deadline or shield: end them in "
            "reverse order of their begins, once each, in the task that began them\n",
            call, t ? "in task " : "outside any task", t ? (t->name ? t->name : "(unnamed)") : "");
    abort();
}

int cafe_deadline_begin(cafe_deadline_t *d, uint64_t ms) {
    cafe__loop_thread_check("cafe_deadline_begin");
    cafe__task_t *t = cafe__running();
    if (!t) {
        d->private_at = d->private_outer = CAFE__NEVER;
        return CAFE_ENOTASK;
    }
    uint64_t now = cafe__loop_now(t->loop);
    d->private_at = ms > CAFE__NEVER - 1 - now ? CAFE__NEVER - 1 : now + ms;
    d->private_outer = t->deadline;
    if (d->private_at < t->deadline)
        t->deadline = d->private_at;
    return 0;
}

int cafe_deadline_end(cafe_deadline_t *d) {
    cafe__loop_thread_check("cafe_deadline_end");
    cafe__task_t *t = cafe__running();
    if (d->private_at == CAFE__NEVER)
        return 0;
    if (!t)
        misordered(t, "cafe_deadline_end");
    uint64_t in_force = d->private_at < d->private_outer ? d->private_at : d->private_outer;
    if (t->deadline != in_force)
        misordered(t, "cafe_deadline_end");
    t->deadline = d->private_outer;
    /* This scope's own time ran out, and it is the one that fired: an enclosing deadline
     * that came first belongs to its own scope's end. */
    int fired = cafe__loop_now(t->loop) >= d->private_at && d->private_at < d->private_outer;
    return fired ? CAFE_ETIMEDOUT : 0;
}

int cafe_shield_begin(cafe_shield_t *s) {
    cafe__loop_thread_check("cafe_shield_begin");
    cafe__task_t *t = cafe__running();
    if (!t) {
        s->private_outer_deadline = CAFE__NEVER;
        s->private_task = NULL;
        return CAFE_ENOTASK;
    }
    s->private_outer_deadline = t->deadline;
    s->private_outer_shielded = t->shielded;
    s->private_task = cafe__task_handle(t);
    t->deadline = CAFE__NEVER;
    t->shielded = 1;
    return 0;
}

int cafe_shield_end(cafe_shield_t *s) {
    cafe__loop_thread_check("cafe_shield_end");
    cafe__task_t *t = cafe__running();
    if (!s->private_task)
        return 0;
    if (!t)
        misordered(t, "cafe_shield_end");
    /* Another task's shield would pass the state check when this one is shielded too. */
    if (s->private_task != cafe__task_handle(t) || !t->shielded || t->deadline != CAFE__NEVER)
        misordered(t, "cafe_shield_end");
    s->private_task = NULL;
    t->deadline = s->private_outer_deadline;
    t->shielded = (uint8_t)s->private_outer_shielded;
    return t->cancelled && !t->shielded ? CAFE_ECANCELED : 0;
}
