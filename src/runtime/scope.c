/* Scopes of a task: deadlines (asyncio.timeout) and shields (asyncio.shield, Trio's shielded
 * cancel scope). Both save the task's state in the caller's struct at begin and put it back
 * at end, so they nest as long as they are ended in reverse order.
 *
 * t->deadline is the deadline in force: the earliest of the scopes begun since the innermost
 * shield. A shield sets it to "never" and holds back the cancellation flag's effect; the
 * flag itself stays set, so the first suspending call after the shield sees it. */
#include "runtime/internal.h"

int cafe_deadline_begin(cafe_deadline_t *d, uint64_t ms) {
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
    cafe__task_t *t = cafe__running();
    if (!t || d->private_at == CAFE__NEVER)
        return 0;
    t->deadline = d->private_outer;
    /* This scope's own time ran out, and it is the one that fired: an enclosing deadline
     * that came first belongs to its own scope's end. */
    int fired = cafe__loop_now(t->loop) >= d->private_at && d->private_at < d->private_outer;
    return fired ? CAFE_ETIMEDOUT : 0;
}

int cafe_shield_begin(cafe_shield_t *s) {
    cafe__task_t *t = cafe__running();
    if (!t) {
        s->private_outer_deadline = CAFE__NEVER;
        s->private_active = 0;
        return CAFE_ENOTASK;
    }
    s->private_outer_deadline = t->deadline;
    s->private_outer_shielded = t->shielded;
    s->private_active = 1;
    t->deadline = CAFE__NEVER;
    t->shielded = 1;
    return 0;
}

int cafe_shield_end(cafe_shield_t *s) {
    cafe__task_t *t = cafe__running();
    if (!t || !s->private_active)
        return 0;
    s->private_active = 0;
    t->deadline = s->private_outer_deadline;
    t->shielded = (uint8_t)s->private_outer_shielded;
    return t->cancelled && !t->shielded ? CAFE_ECANCELED : 0;
}
