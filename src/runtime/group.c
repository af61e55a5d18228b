/* Task groups: the group owns its children's handles; cafe_group_wait returns only when none
 * is left running. */
#include "runtime/internal.h"

void cafe_group_init(cafe_group_t *g, unsigned flags) {
    *g = (cafe_group_t){.private_flags = flags};
}

int cafe_group_spawn(cafe_group_t *g, cafe_task_fn fn, void *arg, const cafe_task_opts_t *opts) {
    cafe_task_t *t;
    int rc = cafe_task_spawn(&t, fn, arg, opts);
    if (rc != 0)
        return rc;
    t->group = g;
    t->sib_prev = NULL;
    t->sib_next = g->private_children;
    if (g->private_children)
        g->private_children->sib_prev = t;
    g->private_children = t;
    g->private_live++;
    return 0;
}

void cafe_group_cancel(cafe_group_t *g) {
    for (cafe_task_t *t = g->private_children; t; t = t->sib_next)
        cafe_task_cancel(t);
}

void cafe__group_child_done(cafe_task_t *t) {
    cafe_group_t *g = t->group;
    if (t->sib_prev)
        t->sib_prev->sib_next = t->sib_next;
    else
        g->private_children = t->sib_next;
    if (t->sib_next)
        t->sib_next->sib_prev = t->sib_prev;
    g->private_live--;
    if (t->result.status < 0) {
        if (g->private_failed++ == 0) {
            g->private_first_error = t->result.status;
            if (g->private_flags & CAFE_GROUP_CANCEL_ON_ERROR)
                cafe_group_cancel(g);
        }
    }
    if (g->private_live == 0) {
        cafe__wait_t *w;
        while ((w = cafe__waitlist_pop(&g->private_waiters)) != NULL)
            cafe__wake(w, 0);
    }
}

static int group_park(cafe_group_t *g, int interruptible) {
    cafe__wait_t w = {.abort = interruptible ? cafe__abort_unlist : NULL};
    cafe__waitlist_push(&g->private_waiters, &w);
    return cafe__park(&w, CAFE__NEVER);
}

int cafe_group_wait(cafe_group_t *g) {
    if (g->private_live > 0 && !cafe_task_current())
        return CAFE_ENOTASK;
    int rc = 0;
    while (g->private_live > 0 && rc == 0)
        rc = group_park(g, 1);
    if (rc != 0) {
        cafe_group_cancel(g);
        while (g->private_live > 0)
            group_park(g, 0);
        return rc;
    }
    return g->private_first_error;
}

size_t cafe_group_failed(const cafe_group_t *g) {
    return g->private_failed;
}
