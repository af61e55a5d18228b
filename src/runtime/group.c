/* Task groups: the group owns its children's handles; cafe_group_wait returns only when none
 * is left running.
 *
 * Misuse caught here: a task must not return while a group in its own stack still has
 * children, since the children would write into the dead frame. The owner counts its groups with
 * live children (open_groups); task_entry checks the count when the task's function returns. */
#include "runtime/handle.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* The running task when g lives in its stack, else NULL: a group on the heap, or in a struct
 * of a longer-lived task, may rightly outlive the task that initialised it. */
static cafe_task_t *frame_owner(const cafe_group_t *g) {
    const cafe__task_t *t = cafe__frame_task(g);
    return t ? cafe__task_handle(t) : NULL;
}

/* Numbers each init, process-wide: a group initialised again while children of its earlier
 * init run gets another number, which they find when they finish. Not per thread: a group may
 * be initialised again on another thread (to hand it to another loop), and two threads'
 * counts would give both inits the same number. */
static atomic_uint inits;

void cafe_group_init(cafe_group_t *g, unsigned flags) {
    cafe__nonnull(g, "cafe_group_init");
    if (flags & ~(unsigned)CAFE_GROUP_CANCEL_ON_ERROR) { /* no code to return: say it */
        fprintf(stderr,
                "cafe: cafe_group_init given unknown flags %#x: 0 or "
                "CAFE_GROUP_CANCEL_ON_ERROR\n",
                flags);
        abort();
    }
    *g = (cafe_group_t){.private_flags = flags,
                        .private_init =
                            atomic_fetch_add_explicit(&inits, 1u, memory_order_relaxed) + 1u,
                        .private_owner = frame_owner(g),
                        .private_thread = cafe__owner_init()};
}

/* The live count moves 0 -> 1 or 1 -> 0: tell the owner (if it is still a task of this
 * loop: a group handed on after its owner waited for it has no owner to tell). */
static void owner_open(cafe_group_t *g, int delta) {
    cafe__task_t *owner = cafe__task_from(g->private_owner);
    if (owner)
        owner->open_groups += (uint32_t)delta;
}

static int group_spawn(cafe_group_t *g, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts,
                       cafe_result_t *result, const char *call) {
    cafe__task_t *t;
    if (!g)
        return CAFE_EINVAL;
    cafe__owner_check(&g->private_thread, call);
    int rc = cafe__task_spawn(&t, fn, arg, opts);
    if (rc != 0)
        return rc;
    if (g->private_waited) /* a new round: the last one's errors are not this one's */
        *g = (cafe_group_t){.private_flags = g->private_flags,
                            .private_init = g->private_init,
                            .private_owner = g->private_owner,
                            .private_thread = cafe__owner_load(&g->private_thread)};
    /* Spawned by a child that was cancelled in the turn it got what it waited for, say: the
     * round is being torn down, and a child left uncancelled would hold its waiter. */
    if (g->private_cancelled)
        cafe__task_cancel(t);
    t->group = g;
    t->group_init = g->private_init;
    t->result_out = result;
    t->sib_prev = NULL;
    t->sib_next = g->private_children;
    if (g->private_children)
        g->private_children->sib_prev = t;
    g->private_children = t;
    if (g->private_live++ == 0)
        owner_open(g, 1);
    return 0;
}

int cafe_group_spawn(cafe_group_t *g, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts) {
    return group_spawn(g, fn, arg, opts, NULL, "cafe_group_spawn");
}

int cafe_group_spawn_result(cafe_group_t *g, cafe_task_fn fn, void *arg,
                            const cafe_task_opts_t *opts, cafe_result_t *result) {
    return group_spawn(g, fn, arg, opts, result, "cafe_group_spawn_result");
}

void cafe_group_cancel(cafe_group_t *g) {
    cafe__nonnull(g, "cafe_group_cancel");
    cafe__owner_check(&g->private_thread, "cafe_group_cancel");
    g->private_cancelled = !g->private_waited; /* a round that is over is not the next one */
    for (cafe__task_t *t = g->private_children; t; t = t->sib_next)
        cafe__task_cancel(t);
}

/* A failed child: lost until a wait of its round collects it (collect), reported at the
 * run's end otherwise (loop.c). */
static void lost_add(const cafe__task_t *t) {
    cafe_loop_t *loop = t->loop;
    if (loop->group_lost++ == 0) {
        loop->group_lost_first_error = t->result.status;
        loop->group_lost_first_name = t->name;
        loop->group_lost_first_group = t->group;
    }
}

/* The wait's round is over: its failures are the waiter's now, once, and only those of this
 * run (an earlier run's end reported them already). */
static void collect(const cafe_group_t *g) {
    cafe_loop_t *loop = cafe__loop_tls();
    if (g->private_waited || !g->private_failed || !loop || g->private_run != cafe__tls_runs)
        return;
    loop->group_lost -= g->private_failed;
    if (loop->group_lost_first_group == g) /* the one to name is collected: name none */
        loop->group_lost_first_error = 0;
}

void cafe__group_child_done(cafe__task_t *t) {
    cafe_group_t *g = t->group;
    /* Initialised again under its children: they would count down the new round (its wait
     * returned while its own children ran) and unlink themselves from its list. */
    if (g->private_init != t->group_init) {
        fprintf(stderr,
                "cafe: task %s, a child of task group %p, finished after cafe_group_init was "
                "called on the group again: call cafe_group_wait before initialising a group "
                "again\n",
                t->name ? t->name : "(unnamed)", (void *)g);
        abort();
    }
    if (t->sib_prev)
        t->sib_prev->sib_next = t->sib_next;
    else
        g->private_children = t->sib_next;
    if (t->sib_next)
        t->sib_next->sib_prev = t->sib_prev;
    if (t->result_out)
        *t->result_out = t->result;
    if (cafe__task_failed(t)) {
        lost_add(t);
        g->private_run = cafe__tls_runs;
        if (g->private_failed++ == 0) {
            g->private_first_error = t->result.status;
            if (g->private_flags & CAFE_GROUP_CANCEL_ON_ERROR)
                cafe_group_cancel(g);
        }
    }
    if (--g->private_live == 0) {
        owner_open(g, -1);
        cafe__wait_t *w;
        while ((w = cafe__waitlist_pop(&g->private_waiters)) != NULL)
            cafe__wake(w, 0);
    }
}

/* The groups in question lay in t's stack, in frames that have returned: their memory is
 * dead (the calls that run now may have overwritten it), so only the children are read. A
 * child whose group's address lies in t's stack is one of theirs. */
void cafe__group_check_owner(cafe__task_t *t) {
    const char *lo = t->stack->lo, *hi = lo + t->stack->size;
    for (cafe__task_t *c = t->loop->all; c; c = c->all_next) {
        const char *g = (const char *)c->group;
        if (!g || g < lo || g >= hi || !c->stack || c->state == CAFE__DONE)
            continue;
        fprintf(stderr,
                "cafe: task %s returned while task group %p, which it initialised, still has "
                "running child tasks (one is %s): call cafe_group_wait on the group before the "
                "task that initialised it returns\n",
                t->name ? t->name : "(unnamed)", (const void *)g, c->name ? c->name : "(unnamed)");
        abort();
    }
}

int cafe__waited_by(const cafe__task_t *self, const cafe__task_t *t, const cafe_group_t *g) {
    for (const cafe__task_t *u = self; u;) {
        if (u == t || (g && u->group == g))
            return 1;
        if (u->joiner) { /* one waiter: a join, gather or wait_any */
            u = u->joiner->task;
            continue;
        }
        if (!u->group) /* a live child's group is live: it is waited for before it goes */
            return 0;
        /* Those in cafe_group_wait on u's group, usually one: the others are walked by
         * recursion, which goes only as deep as groups with several waiters nest. */
        const cafe__wait_t *w = u->group->private_waiters.private_first;
        for (; w && w->next; w = w->next)
            if (w->task && cafe__waited_by(w->task, t, g))
                return 1;
        u = w ? w->task : NULL;
    }
    return 0;
}

/* An interrupted waiter stays on the group's list: it still waits for the children (it
 * cancels them and waits again, uninterruptibly), and a child that came to wait for it in
 * the turn before it ran again must find it there (cafe__waited_by) and be refused; off the
 * list, the two waited for each other, and walks up through them went round for good. */
static int abort_listed(cafe__wait_t *w) {
    (void)w;
    return 1;
}

int cafe_group_wait(cafe_group_t *g) {
    CAFE__EINVAL_IF_NULL(g);
    cafe__owner_check(&g->private_thread, "cafe_group_wait");
    cafe__task_t *self = cafe__running();
    /* A child would wait for itself, or a child waits for the caller (or for a task that
     * waits for it...): broken as a deadlock, the wait would go on, uninterrupted, once it
     * cancelled the group. */
    if (self && g->private_live > 0 && cafe__waited_by(self, NULL, g))
        return CAFE_EDEADLK;
    if (g->private_live > 0 && !self)
        return CAFE_ENOTASK;
    /* One record for the whole call, on the list until the last child's end pops it. */
    cafe__wait_t w = {.abort = abort_listed};
    int rc = 0;
    while (g->private_live > 0) {
        if (!w.list)
            cafe__waitlist_push(&g->private_waiters, &w);
        int code = cafe__park(&w, CAFE__NEVER);
        if (code != 0 && rc == 0) { /* interrupted: the children go, and are waited for */
            rc = code;
            w.abort = NULL;
            cafe_group_cancel(g);
        }
    }
    if (w.list)
        cafe__waitlist_remove(w.list, &w);
    collect(g);
    g->private_waited = 1;
    return rc != 0 ? rc : g->private_first_error;
}

size_t cafe_group_failed(const cafe_group_t *g) {
    cafe__nonnull(g, "cafe_group_failed");
    cafe__owner_check_ro(cafe__owner_load(&g->private_thread), "cafe_group_failed");
    return g->private_failed;
}
