/* Scopes of a task: deadlines (asyncio.timeout) and shields (asyncio.shield, Trio's shielded
 * cancel scope). Both save the task's state in the caller's struct at begin and put it back
 * at end, so they nest as long as they are ended in reverse order.
 *
 * t->deadline is the deadline in force: the earliest of the scopes begun since the innermost
 * shield. A shield sets it to "never" and holds back the cancellation flag's effect; the
 * flag itself stays set, so the first suspending call after the shield sees it.
 *
 * The task keeps its innermost scope (t->scope), and each scope the one it encloses, so an
 * end is checked exactly: it must end t's innermost scope, begun by t. An end out of order
 * (or twice, or by another task) would put back a state that is no longer the task's: a
 * deadline that fires after every scope ended, or a shield that never lifts, so that the
 * task ignores cancellation for good. A begin of a scope already on the task's chain would
 * link it to itself and lose the state it saved (one begun again by another task is caught
 * at the first task's end, where the struct names the other task). Each
 * misuse aborts the process with a message. */
#include "runtime/handle.h"

#include <stddef.h>
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

/* The enclosing scope of an active one: each struct starts with it. */
_Static_assert(offsetof(cafe_deadline_t, private_outer_scope) == 0 &&
                   offsetof(cafe_shield_t, private_outer_scope) == 0,
               "a scope's chain link is its struct's first member");
static void *outer_scope(const void *scope) {
    return *(void *const *)scope;
}

/* A scope in t's stack below `live`, the caller's stack pointer at the public call (its
 * CFA), lies in a frame that has returned: a helper began it and returned without its end.
 * Its memory is other frames' now, so its link to the enclosing scope is garbage: a walk
 * that followed it would fault (a bare SIGSEGV) or wander, instead of saying what is wrong.
 * Every live scope of the task lies at or above live: in the caller's frame or an older one
 * (or off the task's stack: the heap, static memory). */
static int in_dead_frame(const cafe__task_t *t, const void *scope, const void *live) {
    const char *p = scope;
    return p >= t->stack->lo && p < (const char *)live;
}

static _Noreturn void returned_open(const cafe__task_t *t, const char *call) {
    fprintf(stderr,
            "cafe: %s in task %s: a deadline or shield begun in a function that has returned "
            "was never ended: end each scope (cafe_deadline_end, cafe_shield_end) before the "
            "function that began it returns\n",
            call, t->name ? t->name : "(unnamed)");
    abort();
}

/* How many of the innermost scopes a begin looks through: enough for any nesting written by
 * hand, and a begin stays O(1) however deep scopes nest (a walk of the whole chain made n
 * nested begins cost n^2: 1.8 s of CPU for 40,000). */
enum { BEGIN_CHECK_DEPTH = 64 };

/* A begin of a scope that is active in this task already: its struct is on the task's
 * chain. Only the chain's structs are read, never the one being begun, which may be
 * uninitialised (valgrind and MSan would rightly object to a branch on it). One deeper in
 * the chain than the walk goes still aborts, at the end that finds the chain out of order
 * (misordered) or at the task's return (cafe__scope_left_open): the scope begun again links
 * back to what its first begin enclosed, so the chain never unwinds to empty. */
static void begin_active(const cafe__task_t *t, const void *scope, const void *live,
                         const char *call) {
    const void *s = t->scope;
    for (int depth = 0; s && depth < BEGIN_CHECK_DEPTH; s = outer_scope(s), depth++) {
        if (in_dead_frame(t, s, live))
            returned_open(t, call);
        if (s == scope) {
            fprintf(stderr,
                    "cafe: %s in task %s on a scope already begun and not ended: begin each "
                    "deadline or shield once, and end it before beginning it again\n",
                    call, t->name ? t->name : "(unnamed)");
            abort();
        }
    }
}

/* Never inlined: its CFA must be its caller's stack pointer (see in_dead_frame). */
__attribute__((noinline)) int cafe_deadline_begin(cafe_deadline_t *d, uint64_t ms) {
    cafe__loop_thread_check("cafe_deadline_begin");
    CAFE__EINVAL_IF_NULL(d);
    cafe__task_t *t = cafe__running();
    if (!t) {
        d->private_at = CAFE__NEVER; /* inert */
        return CAFE_ENOTASK;
    }
    begin_active(t, d, __builtin_dwarf_cfa(), "cafe_deadline_begin");
    uint64_t now = cafe__loop_now_fresh(t->loop);
    d->private_at = ms > CAFE__NEVER - 1 - now ? CAFE__NEVER - 1 : now + ms;
    d->private_outer = t->deadline;
    d->private_outer_timed_out = t->timed_out;
    t->timed_out = CAFE__NEVER;
    d->private_outer_scope = t->scope;
    d->private_task = cafe__task_handle(t);
    t->scope = d;
    if (d->private_at < t->deadline)
        t->deadline = d->private_at;
    return 0;
}

int cafe_deadline_end(cafe_deadline_t *d) {
    cafe__loop_thread_check("cafe_deadline_end");
    CAFE__EINVAL_IF_NULL(d);
    cafe__task_t *t = cafe__running();
    if (d->private_at == CAFE__NEVER) /* begun outside any task */
        return 0;
    /* Its task's own innermost scope: a struct another task began again since would restore
     * that task's state here. */
    if (!t || t->scope != d || d->private_task != cafe__task_handle(t))
        misordered(t, "cafe_deadline_end");
    t->scope = d->private_outer_scope;
    t->deadline = d->private_outer;
    /* This scope's deadline interrupted a call in it (the task was told CAFE_ETIMEDOUT while
     * it was the one in force), as asyncio.timeout raises only when its cancellation came:
     * time that ran out unseen (the task computing, or woken with what it waited for before
     * its deadline and running after it) times out nothing. An enclosing deadline that
     * came first (or at the same time) belongs to its own scope's end: passed on. */
    int fired = t->timed_out == d->private_at && d->private_at < d->private_outer;
    if (fired || t->timed_out == CAFE__NEVER)
        t->timed_out = d->private_outer_timed_out;
    return fired ? CAFE_ETIMEDOUT : 0;
}

__attribute__((noinline)) int cafe_shield_begin(cafe_shield_t *s) {
    cafe__loop_thread_check("cafe_shield_begin");
    CAFE__EINVAL_IF_NULL(s);
    cafe__task_t *t = cafe__running();
    if (!t) {
        s->private_task = NULL; /* inert */
        return CAFE_ENOTASK;
    }
    begin_active(t, s, __builtin_dwarf_cfa(), "cafe_shield_begin");
    s->private_outer_deadline = t->deadline;
    s->private_outer_shielded = t->shielded;
    s->private_outer_scope = t->scope;
    s->private_task = cafe__task_handle(t);
    t->scope = s;
    t->deadline = CAFE__NEVER;
    t->shielded = 1;
    return 0;
}

int cafe_shield_end(cafe_shield_t *s) {
    cafe__loop_thread_check("cafe_shield_end");
    CAFE__EINVAL_IF_NULL(s);
    cafe__task_t *t = cafe__running();
    if (!s->private_task) /* begun outside any task */
        return 0;
    if (!t || t->scope != s || s->private_task != cafe__task_handle(t))
        misordered(t, "cafe_shield_end");
    t->scope = s->private_outer_scope;
    t->deadline = s->private_outer_deadline;
    t->shielded = (uint8_t)s->private_outer_shielded;
    return t->cancelled && !t->shielded ? CAFE_ECANCELED : 0;
}
