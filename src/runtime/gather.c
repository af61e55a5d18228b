/* Waiting on several tasks: gather (all, in order), gather_failfast, wait_any and
 * as_completed, stateless or as a set (the first to finish).
 *
 * Every call checks every handle before it touches any: a bad one (stale, detached, a
 * group's, the caller itself, listed twice, or already waited on by another task) fails the
 * call with nothing joined and nothing registered. A task can have one waiter at a time
 * (its joiner slot); waiting on several registers one wait record in the joiner slot of
 * each of them (claims them) and takes it back out of all of them afterwards. While claimed,
 * a handle refuses every other waiter and detach with CAFE_EBUSY, finished or not: gather
 * claims all its handles for its whole run, so none can be joined or detached behind it
 * while it waits for an earlier one. */
#include "runtime/handle.h"

#include <stdio.h>
#include <stdlib.h>

/* Tasks of a handle list are marked while it is checked, to find one listed twice. */
static void unmark(cafe_task_t *const *tasks, size_t n) {
    for (size_t i = 0; i < n; i++) {
        cafe__task_t *t = cafe__task_from(tasks[i]);
        if (t)
            t->marked = 0;
    }
}

/* Checks tasks[0..n) (NULL entries allowed when skip_null), marking each checked task so
 * that one listed twice is caught, and takes the marks back. Returns the number of tasks, or
 * CAFE_EINVAL / CAFE_EBUSY / CAFE_ENOTASK (outside a task, for one not finished) /
 * CAFE_EDEADLK (one that waits for the caller). */
static long check_handles(cafe_task_t *const *tasks, size_t n, int skip_null) {
    cafe__task_t *self = cafe__running();
    long rc = 0;
    size_t i = 0;
    for (; i < n && rc >= 0; i++) {
        cafe__task_t *t = cafe__task_from(tasks[i]);
        if (!tasks[i] && skip_null)
            continue;
        if (!cafe__task_joinable(t) || t == self || t->marked)
            rc = CAFE_EINVAL;
        else if (self && t->state != CAFE__DONE && cafe__waits_for(t, self))
            rc = CAFE_EDEADLK;
        else if (t->joiner)
            rc = CAFE_EBUSY;
        else if (!self && t->state != CAFE__DONE)
            rc = CAFE_ENOTASK;
        else {
            t->marked = 1;
            rc++;
        }
    }
    unmark(tasks, i);
    return rc;
}

/* The checks both gathers start with: results for every task, each task listed once. */
static int gather_check(const char *call, cafe_task_t *const *tasks, size_t n,
                        const cafe_result_t *results) {
    cafe__loop_thread_check(call);
    if (n > 0 && (!tasks || !results))
        return CAFE_EINVAL;
    long checked = check_handles(tasks, n, 0);
    return checked < 0 ? (int)checked : 0;
}

static void cancel_live(cafe_task_t *const *tasks, size_t n) {
    for (size_t i = 0; i < n; i++) {
        cafe__task_t *t = cafe__task_from(tasks[i]);
        if (t)
            cafe__task_cancel(t);
    }
}

/* Puts w in the joiner slot of every live handle of tasks[] (finished ones too: a claimed
 * handle refuses other waiters whatever its state), or takes it back out. */
static void claim(cafe_task_t *const *tasks, size_t n, cafe__wait_t *w) {
    for (size_t i = 0; i < n; i++) {
        cafe__task_t *t = cafe__task_from(tasks[i]);
        if (t)
            t->joiner = w;
    }
}

static void unclaim(cafe_task_t *const *tasks, size_t n, const cafe__wait_t *w) {
    for (size_t i = 0; i < n; i++) {
        cafe__task_t *t = cafe__task_from(tasks[i]);
        if (t && t->joiner == w)
            t->joiner = NULL;
    }
}

int cafe_task_gather(cafe_task_t *const *tasks, size_t n, cafe_result_t *results) {
    int checked = gather_check("cafe_task_gather", tasks, n, results);
    if (checked < 0)
        return checked;
    /* Each task that finishes wakes w; gather joins in order, parking until the next one due
     * has finished. Interrupted: nothing may keep running behind the caller's back, and no
     * result may be lost, so what is left is cancelled and still waited for. */
    cafe__wait_t w = {.abort = cafe__abort_noop};
    claim(tasks, n, &w);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        cafe__task_t *t = cafe__task_from(tasks[i]);
        while (t->state != CAFE__DONE) {
            int interrupted = cafe__park(&w, CAFE__NEVER);
            if (interrupted != 0 && rc == 0) {
                rc = interrupted;
                w.abort = NULL;
                cancel_live(tasks + i, n - i);
            }
        }
        t->joiner = NULL;
        cafe__task_join(t, &results[i], 0);
    }
    return rc;
}

/* The index of the task that finished first among the live handles of tasks[], or n. */
static size_t first_done(cafe_task_t *const *tasks, size_t n) {
    size_t best = n;
    uint64_t when = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        cafe__task_t *t = cafe__task_from(tasks[i]);
        if (t && t->state == CAFE__DONE && t->finished < when) {
            best = i;
            when = t->finished;
        }
    }
    return best;
}

/* Parks until one of the live handles of tasks[] finishes (the caller saw none finished). */
static int park_first(cafe_task_t *const *tasks, size_t n, int interruptible) {
    cafe__wait_t w = {.abort = interruptible ? cafe__abort_noop : NULL};
    claim(tasks, n, &w);
    int rc = cafe__park(&w, CAFE__NEVER);
    unclaim(tasks, n, &w);
    return rc;
}

int cafe_task_wait_any(cafe_task_t *const *tasks, size_t n, size_t *index) {
    cafe__loop_thread_check("cafe_task_wait_any");
    if (!tasks || !index)
        return CAFE_EINVAL;
    long live = check_handles(tasks, n, 1);
    if (live <= 0)
        return live == 0 ? CAFE_EINVAL : (int)live;
    size_t i;
    while ((i = first_done(tasks, n)) == n) {
        cafe__task_t *self = cafe__running();
        if (!self)
            return CAFE_ENOTASK;
        int rc = park_first(tasks, n, 1);
        /* One that finished in the turn the caller was interrupted is there: returned (and
         * the timeout is not: cafe__untold). */
        if (rc != 0 && first_done(tasks, n) == n)
            return rc;
        if (rc != 0)
            cafe__untold(self);
    }
    *index = i;
    return 0;
}

int cafe_task_as_completed(cafe_task_t **tasks, size_t n, size_t *index, cafe_result_t *result) {
    cafe__loop_thread_check("cafe_task_as_completed");
    if ((!tasks && n) || !index) /* (NULL, 0) is an empty list: done */
        return CAFE_EINVAL;
    size_t left = 0;
    for (size_t i = 0; i < n; i++)
        left += tasks[i] != NULL;
    if (left == 0)
        return CAFE_EOF;
    size_t i;
    int rc = cafe_task_wait_any(tasks, n, &i);
    if (rc != 0)
        return rc;
    rc = cafe__task_join(cafe__task_from(tasks[i]), result, 1);
    if (rc == 0) {
        tasks[i] = NULL;
        *index = i;
    }
    return rc;
}

/* ---- cafe_as_completed_t: one claim for the set's life ----------------------------------
 * The wait record lives in the set and sits in the joiner slot of every task not yet
 * returned; each task that ends pushes itself on its done list (task_entry) and wakes it,
 * parked or not (a wake before the park is kept for it). order[head..tail) holds the
 * finished tasks not yet returned, in finishing order: so each task costs the set O(1),
 * where cafe_task_as_completed reads the whole list per call. */
struct cafe_as_completed {
    cafe__wait_t w;
    cafe__task_t *owner;   /* the creator: only it calls next, and it waits for the tasks */
    size_t n, head, tail;  /* order[head..tail): finished, not yet returned */
    cafe_task_t **handles; /* the list given to create; a returned task's entry is NULL */
    cafe__task_t *order[]; /* n of them, then the n handles */
};

static int by_finish(const void *a, const void *b) {
    uint64_t x = (*(cafe__task_t *const *)a)->finished, y = (*(cafe__task_t *const *)b)->finished;
    return (x > y) - (x < y);
}

int cafe_as_completed_create(cafe_as_completed_t **out, cafe_task_t *const *tasks, size_t n) {
    cafe__loop_thread_check("cafe_as_completed_create");
    if (!out || (n > 0 && !tasks))
        return CAFE_EINVAL;
    if (n > (SIZE_MAX - sizeof(cafe_as_completed_t)) / (2 * sizeof(void *)))
        return CAFE_ENOMEM;
    cafe_as_completed_t *ac = malloc(sizeof(*ac) + 2 * n * sizeof(void *));
    if (!ac)
        return CAFE_ENOMEM;
    long checked = check_handles(tasks, n, 0);
    if (checked < 0) {
        free(ac);
        return (int)checked;
    }
    *ac = (cafe_as_completed_t){.w = {.abort = cafe__abort_noop}, .owner = cafe__running(), .n = n};
    ac->w.task = ac->owner; /* the claimed tasks are waited for by it: see cafe__waited_by */
    ac->handles = (cafe_task_t **)(ac->order + n);
    for (size_t i = 0; i < n; i++) {
        cafe__task_t *t = cafe__task_from(tasks[i]);
        ac->handles[i] = tasks[i];
        t->joiner = &ac->w;
        t->claim_index = i;
        if (t->state == CAFE__DONE)
            ac->order[ac->tail++] = t;
    }
    qsort(ac->order, ac->tail, sizeof(ac->order[0]), by_finish);
    if (ac->owner)
        ac->owner->open_sets++;
    *out = ac;
    return 0;
}

/* The set's claim outlives its creator otherwise: the tasks next never returned stay claimed
 * for good (every join of them CAFE_EBUSY, their failures never reported), and the set leaks. */
void cafe__as_completed_left_open(const cafe__task_t *t) {
    fprintf(stderr,
            "cafe: task %s returned without freeing %u cafe_as_completed_t it created: call "
            "cafe_as_completed_free before the task that created the set returns\n",
            t->name ? t->name : "(unnamed)", (unsigned)t->open_sets);
    abort();
}

/* Moves the tasks that ended since the last look (w.done, latest first) to order[]. */
static void take_done(cafe_as_completed_t *ac) {
    size_t k = 0;
    for (cafe__task_t *t = ac->w.done; t; t = t->ready_next)
        k++;
    size_t i = ac->tail + k;
    for (cafe__task_t *t = ac->w.done; t; t = t->ready_next)
        ac->order[--i] = t;
    ac->tail += k;
    ac->w.done = NULL;
}

int cafe_as_completed_next(cafe_as_completed_t *ac, size_t *index, cafe_result_t *result) {
    cafe__loop_thread_check("cafe_as_completed_next");
    if (!ac || !index || ac->owner != cafe__running())
        return CAFE_EINVAL;
    if (ac->head == ac->n)
        return CAFE_EOF;
    while (ac->head == ac->tail && !ac->w.done) {
        int rc = cafe__park(&ac->w, CAFE__NEVER);
        /* One that finished in the turn the caller was interrupted is returned, and the
         * timeout is not (cafe__untold), as for wait_any. */
        if (rc != 0 && !ac->w.done)
            return rc;
        if (rc != 0)
            cafe__untold(ac->owner);
    }
    take_done(ac);
    cafe__task_t *t = ac->order[ac->head++];
    size_t i = t->claim_index;
    t->joiner = NULL;
    ac->handles[i] = NULL;
    cafe__task_join(t, result, 0);
    *index = i;
    return 0;
}

void cafe_as_completed_free(cafe_as_completed_t *ac) {
    if (!ac)
        return;
    cafe__loop_thread_check("cafe_as_completed_free");
    if (ac->w.state == CAFE__WAIT_PARKED) {
        fprintf(stderr, "cafe: cafe_as_completed_free: a task waits in cafe_as_completed_next "
                        "on this set\n");
        abort();
    }
    /* Freed by another task, the set was gone under its creator, whose next read freed
     * memory, and whose return no longer counted it as left open. */
    if (ac->owner != cafe__running()) {
        fprintf(stderr,
                "cafe: cafe_as_completed_free called %s than the one that created the "
                "set: the creator frees it, before it returns\n",
                cafe__running() ? "by another task" : "outside the task");
        abort();
    }
    for (size_t i = 0; i < ac->n; i++) {
        cafe__task_t *t = cafe__task_from(ac->handles[i]);
        if (t && t->joiner == &ac->w)
            t->joiner = NULL;
    }
    if (ac->owner)
        ac->owner->open_sets--;
    free(ac);
}

/* Joins t, claimed by the fail-fast gather, into its result slot (kept in t->result_out
 * while claimed: a joinable task is in no group, which alone reads it). */
static int failfast_join(cafe__task_t *t) {
    cafe_result_t *slot = t->result_out;
    t->result_out = NULL;
    t->joiner = NULL;
    cafe__task_join(t, slot, 0);
    return slot->status;
}

int cafe_task_gather_failfast(cafe_task_t *const *tasks, size_t n, cafe_result_t *results) {
    int checked = gather_check("cafe_task_gather_failfast", tasks, n, results);
    if (checked < 0)
        return checked;
    /* One wait claims every task; each that finishes puts itself on w.done, so the tasks
     * are taken as they end, in that order, without a scan of the list per task (which
     * made a gather of 20000 tasks cost n^2). Those that ended before the call are taken
     * first; the first failure among them is the one that ended first. */
    cafe__wait_t w = {.abort = cafe__abort_noop};
    claim(tasks, n, &w);
    size_t left = n;
    int failure = 0, interrupted = 0;
    uint64_t first = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        cafe__task_t *t = cafe__task_from(tasks[i]);
        t->result_out = &results[i];
        if (t->state != CAFE__DONE)
            continue;
        uint64_t when = t->finished;
        int status = failfast_join(t);
        left--;
        if (status < 0 && when < first) {
            first = when;
            failure = status;
        }
    }
    if (failure)
        cancel_live(tasks, n);
    while (left > 0) {
        int rc = cafe__park(&w, CAFE__NEVER);
        if (rc != 0 && !interrupted) { /* nothing keeps running: cancelled, still waited for */
            interrupted = rc;
            w.abort = NULL;
            cancel_live(tasks, n);
        }
        cafe__task_t *ended = NULL, *t; /* w.done is latest first: in finishing order */
        while ((t = w.done) != NULL) {
            w.done = t->ready_next;
            t->ready_next = ended;
            ended = t;
        }
        for (; ended; ended = t) {
            t = ended->ready_next;
            int status = failfast_join(ended);
            left--;
            if (status < 0 && !failure) {
                failure = status;
                cancel_live(tasks, n);
            }
        }
    }
    return interrupted ? interrupted : failure;
}
