/* Scopes of a task: deadlines (asyncio.timeout) and shields (asyncio.shield, Trio's shielded
 * cancel scope). Both save the task's state in the caller's struct at begin and put it back
 * at end, so they nest as long as they are ended in reverse order.
 *
 * t->deadline is the deadline in force: the earliest of the scopes begun since the innermost
 * shield. A shield sets it to "never" and holds back the cancellation flag's effect; the
 * flag itself stays set, so the first suspending call after the shield sees it.
 *
 * The task keeps its innermost scope (t->scope), and each scope the one it encloses, so an
 * end is checked exactly: it must end t's innermost scope. An end out of order (or twice, or
 * by another task) would put back a state that is no longer the task's: a deadline that
 * fires after every scope ended, or a shield that never lifts, so that the task ignores
 * cancellation for good. A begin of a scope already active would link it to itself and lose
 * the state it saved. An active scope's struct is told from an uninitialised one by its
 * task's handle, live, and a check word made of its own address and that handle (an end
 * clears both): a stale handle left in a local at the same address does not match. Each
 * misuse aborts the process with a message. */
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

/* The scope's struct lies in a frame that has returned: it was never ended, so the code
 * after its begin ran bounded (or shielded) on, and the enclosing code would have too. */
void cafe__scope_left_open(const cafe__task_t *t) {
    fprintf(stderr,
            "cafe: task %s returned with a deadline or shield begun and not ended: end each "
            "scope (cafe_deadline_end, cafe_shield_end) before the function that began it "
            "returns\n",
            t->name ? t->name : "(unnamed)");
    abort();
}

/* The check word of a scope struct begun by task h (NULL: begun outside any task, inert). */
static uintptr_t scope_check(const void *scope, const cafe_task_t *h) {
    return (uintptr_t)scope ^ (uintptr_t)h ^ (uintptr_t)0x9e3779b97f4a7c15u;
}

/* A begin of a scope whose struct says it is active in a live task. */
static void begin_active(const cafe__task_t *t, const cafe_task_t *h, const void *scope,
                         uintptr_t check, const char *call) {
    if (!h || check != scope_check(scope, h) || !cafe__task_from((cafe_task_t *)h))
        return;
    fprintf(stderr,
            "cafe: %s in task %s on a scope already begun and not ended (a struct left active "
            "by a function that returned without its end counts): begin each deadline or "
            "shield once, and end it before beginning it again\n",
            call, t->name ? t->name : "(unnamed)");
    abort();
}

int cafe_deadline_begin(cafe_deadline_t *d, uint64_t ms) {
    cafe__loop_thread_check("cafe_deadline_begin");
    cafe__task_t *t = cafe__running();
    if (!t) {
        d->private_task = NULL;
        d->private_check = scope_check(d, NULL);
        return CAFE_ENOTASK;
    }
    begin_active(t, d->private_task, d, d->private_check, "cafe_deadline_begin");
    uint64_t now = cafe__loop_now(t->loop);
    d->private_at = ms > CAFE__NEVER - 1 - now ? CAFE__NEVER - 1 : now + ms;
    d->private_outer = t->deadline;
    d->private_outer_scope = t->scope;
    d->private_task = cafe__task_handle(t);
    d->private_check = scope_check(d, d->private_task);
    t->scope = d;
    if (d->private_at < t->deadline)
        t->deadline = d->private_at;
    return 0;
}

int cafe_deadline_end(cafe_deadline_t *d) {
    cafe__loop_thread_check("cafe_deadline_end");
    cafe__task_t *t = cafe__running();
    if (!d->private_task && d->private_check == scope_check(d, NULL)) {
        d->private_check = 0; /* begun outside any task: inert */
        return 0;
    }
    if (!t || t->scope != d)
        misordered(t, "cafe_deadline_end");
    t->scope = d->private_outer_scope;
    t->deadline = d->private_outer;
    d->private_task = NULL;
    d->private_check = 0;
    /* This scope's own time ran out, and it is the one that fired: an enclosing deadline
     * that came first belongs to its own scope's end. */
    int fired = cafe__loop_now(t->loop) >= d->private_at && d->private_at < d->private_outer;
    return fired ? CAFE_ETIMEDOUT : 0;
}

int cafe_shield_begin(cafe_shield_t *s) {
    cafe__loop_thread_check("cafe_shield_begin");
    cafe__task_t *t = cafe__running();
    if (!t) {
        s->private_task = NULL;
        s->private_check = scope_check(s, NULL);
        return CAFE_ENOTASK;
    }
    begin_active(t, s->private_task, s, s->private_check, "cafe_shield_begin");
    s->private_outer_deadline = t->deadline;
    s->private_outer_shielded = t->shielded;
    s->private_outer_scope = t->scope;
    s->private_task = cafe__task_handle(t);
    s->private_check = scope_check(s, s->private_task);
    t->scope = s;
    t->deadline = CAFE__NEVER;
    t->shielded = 1;
    return 0;
}

int cafe_shield_end(cafe_shield_t *s) {
    cafe__loop_thread_check("cafe_shield_end");
    cafe__task_t *t = cafe__running();
    if (!s->private_task && s->private_check == scope_check(s, NULL)) {
        s->private_check = 0;
        return 0;
    }
    if (!t || t->scope != s)
        misordered(t, "cafe_shield_end");
    t->scope = s->private_outer_scope;
    t->deadline = s->private_outer_deadline;
    t->shielded = (uint8_t)s->private_outer_shielded;
    s->private_task = NULL;
    s->private_check = 0;
    return t->cancelled && !t->shielded ? CAFE_ECANCELED : 0;
}
