/* Semaphore, lock, condition and event. Waiters queue in FIFO order on the object's wait
 * list. A lock is a semaphore of one permit with asyncio's checks; each semaphore body below
 * takes the public call's name, for the messages of the owner checks. */
#include "runtime/internal.h"

void cafe_sem_init(cafe_sem_t *s, size_t permits) {
    cafe__nonnull(s, "cafe_sem_init");
    *s = (cafe_sem_t){.private_count = permits,
                      .private_bound = SIZE_MAX,
                      .private_waiters = cafe__waitlist_for(s),
                      .private_thread = cafe__owner_init()};
}

void cafe_sem_init_bounded(cafe_sem_t *s, size_t permits) {
    cafe__nonnull(s, "cafe_sem_init_bounded");
    cafe_sem_init(s, permits);
    s->private_bound = permits;
}

/* Unchecked against the bound: a permit handed out and given back (sem_undo) was counted out,
 * though a bounded semaphore's over-release accepted meanwhile (the permit was not free then)
 * takes it past the bound, as asyncio's BoundedSemaphore does. */
static void sem_give(cafe_sem_t *s) {
    cafe__wait_t *w = cafe__waitlist_pop(&s->private_waiters);
    if (w) {
        s->private_handed++;
        cafe__wake(w, 0);
    } else {
        s->private_count++;
    }
}

/* A woken waiter cancelled before it ran: its permit goes on to the next. */
static int sem_undo(cafe__wait_t *w) {
    cafe_sem_t *s = w->source;
    s->private_handed--;
    sem_give(s);
    return 1;
}

/* A waiter handed its permit runs: the semaphore no longer holds anything for it (unless it
 * was destroyed meanwhile: then its memory may be gone, and the source is NULL). */
static void sem_handed_taken(const cafe__wait_t *w) {
    if (w->source)
        ((cafe_sem_t *)w->source)->private_handed--;
}

/* Takes a permit, in FIFO order behind the waiters. undo passes on the permit of a woken
 * waiter cancelled before it ran; arrived (or NULL) runs once a wait got its permit. */
static inline int sem_take(cafe_sem_t *s, const char *call, int (*undo)(cafe__wait_t *),
                           void (*arrived)(cafe__wait_t *)) {
    CAFE__EINVAL_IF_NULL(s); /* a NULL lock's too: private_sem is its first member */
    cafe__owner_check(&s->private_thread, call);
    cafe__task_t *t = cafe__running();
    int rc = cafe__interrupt_check(t);
    if (rc != 0)
        return rc;
    if (s->private_count > 0 && cafe__waitlist_empty(&s->private_waiters)) {
        s->private_count--;
        return 0;
    }
    if (!t)
        return CAFE_ENOTASK;
    cafe__wait_t w = {.abort = cafe__abort_unlist, .undo = undo, .source = s};
    cafe__waitlist_push(&s->private_waiters, &w);
    /* On success the releaser handed its permit straight to us. */
    rc = cafe__park(&w, CAFE__NEVER);
    if (rc == 0) {
        sem_handed_taken(&w);
        if (arrived)
            arrived(&w);
    }
    return rc;
}

static inline int sem_try_take(cafe_sem_t *s, const char *call) {
    CAFE__EINVAL_IF_NULL(s);
    cafe__owner_check(&s->private_thread, call);
    if (s->private_count == 0 || !cafe__waitlist_empty(&s->private_waiters))
        return CAFE_EAGAIN;
    s->private_count--;
    return 0;
}

static inline int sem_retire(cafe_sem_t *s, const char *call) {
    CAFE__EINVAL_IF_NULL(s);
    cafe__owner_check(&s->private_thread, call);
    if (!cafe__waitlist_empty(&s->private_waiters))
        return CAFE_EBUSY;
    /* A walk of the run queue: only when some woken task holds a permit from s (a task
     * destroying its own lock as thousands run in the same turn walked them each). */
    if (s->private_handed > 0)
        cafe__woken_forget(s);
    cafe__owner_destroy(&s->private_thread);
    return 0;
}

int cafe_sem_acquire(cafe_sem_t *s) {
    return sem_take(s, "cafe_sem_acquire", sem_undo, NULL);
}

int cafe_sem_try_acquire(cafe_sem_t *s) {
    return sem_try_take(s, "cafe_sem_try_acquire");
}

int cafe_sem_release(cafe_sem_t *s) {
    CAFE__EINVAL_IF_NULL(s);
    cafe__owner_check(&s->private_thread, "cafe_sem_release");
    /* No waiter then (they wait on 0 only), but at a bound of 0, where asyncio's
     * BoundedSemaphore refuses too: it checks the bound before it wakes one. */
    if (s->private_count >= s->private_bound)
        return CAFE_EINVAL;
    sem_give(s);
    return 0;
}

size_t cafe_sem_available(const cafe_sem_t *s) {
    cafe__nonnull(s, "cafe_sem_available");
    cafe__owner_check_ro(cafe__owner_load(&s->private_thread), "cafe_sem_available");
    return s->private_count;
}

int cafe_sem_destroy(cafe_sem_t *s) {
    return sem_retire(s, "cafe_sem_destroy");
}

/* ---- lock: held while its one permit is out and in a task's hands ----
 * A release with tasks waiting hands the permit to the first (no barging); until that heir
 * runs, the lock is held by nobody (private_handing), as asyncio's is unlocked then: a
 * release in that gap is refused instead of making a second permit. The heir ends the gap
 * when it runs, unless the lock was destroyed meanwhile (cafe__woken_forget clears its
 * wait's source: the lock's memory may be gone). */

static cafe_lock_t *lock_of(cafe_sem_t *s) {
    return (cafe_lock_t *)(void *)s; /* private_sem is the first member */
}

static int lock_held(const cafe_lock_t *l) {
    return l->private_sem.private_count == 0 && !l->private_handing;
}

/* Lets the lock go: to the first waiter, if any, else free. */
static void lock_give(cafe_lock_t *l) {
    cafe_sem_t *s = &l->private_sem;
    cafe__wait_t *w = cafe__waitlist_pop(&s->private_waiters);
    l->private_handing = w != NULL;
    if (w) {
        s->private_handed++;
        cafe__wake(w, 0);
    } else {
        s->private_count++;
    }
}

/* A heir cancelled before it ran: the lock goes on to the next waiter. */
static int lock_undo(cafe__wait_t *w) {
    cafe_lock_t *l = lock_of(w->source);
    l->private_sem.private_handed--;
    lock_give(l);
    return 1;
}

/* After a wait for the lock that returned 0: the heir has it now. */
static void lock_arrived(cafe__wait_t *w) {
    if (w->source)
        lock_of(w->source)->private_handing = 0;
}

void cafe_lock_init(cafe_lock_t *l) {
    cafe__nonnull(l, "cafe_lock_init");
    *l = (cafe_lock_t){0};
    cafe_sem_init(&l->private_sem, 1);
}

/* &l->private_sem of a NULL l is undefined (UBSan), not NULL: checked here, before. */
int cafe_lock_acquire(cafe_lock_t *l) {
    CAFE__EINVAL_IF_NULL(l);
    return sem_take(&l->private_sem, "cafe_lock_acquire", lock_undo, lock_arrived);
}

int cafe_lock_try_acquire(cafe_lock_t *l) {
    CAFE__EINVAL_IF_NULL(l);
    return sem_try_take(&l->private_sem, "cafe_lock_try_acquire");
}

int cafe_lock_release(cafe_lock_t *l) {
    CAFE__EINVAL_IF_NULL(l);
    cafe__owner_check(&l->private_sem.private_thread, "cafe_lock_release");
    if (!lock_held(l)) /* a second permit would let two tasks in */
        return CAFE_ENOTLOCKED;
    lock_give(l);
    return 0;
}

int cafe_lock_locked(const cafe_lock_t *l) {
    cafe__nonnull(l, "cafe_lock_locked");
    cafe__owner_check_ro(cafe__owner_load(&l->private_sem.private_thread), "cafe_lock_locked");
    return lock_held(l);
}

int cafe_lock_destroy(cafe_lock_t *l) {
    CAFE__EINVAL_IF_NULL(l);
    return sem_retire(&l->private_sem, "cafe_lock_destroy");
}

/* ---- condition ---- */

void cafe_cond_init(cafe_cond_t *c, cafe_lock_t *lock) {
    cafe__nonnull(c, "cafe_cond_init");
    *c = (cafe_cond_t){.private_lock = lock,
                       .private_waiters = cafe__waitlist_for(c),
                       .private_thread = cafe__owner_init()};
    if (!lock)
        cafe_lock_init(&c->private_own);
}

/* Not stored when it is its own: the struct may move while nobody waits on it. */
static cafe_lock_t *cond_lock(cafe_cond_t *c) {
    return c->private_lock ? c->private_lock : &c->private_own;
}

cafe_lock_t *cafe_cond_lock(cafe_cond_t *c) {
    cafe__nonnull(c, "cafe_cond_lock");
    cafe__owner_check(&c->private_thread, "cafe_cond_lock");
    return cond_lock(c);
}

/* A notification its waiter will not return 0 for goes to the next waiter, if any. */
static void cond_pass_on(cafe_cond_t *c) {
    cafe__wait_t *next = cafe__waitlist_pop(&c->private_waiters);
    if (next)
        cafe__wake(next, 0);
}

/* A notified waiter cancelled before it ran: the notification goes on (asyncio 3.13's
 * Condition does the same; 3.11's dropped it). */
static int cond_undo(cafe__wait_t *w) {
    cond_pass_on(w->source);
    return 1;
}

/* Takes the lock back for a waiter, whatever happened to it: not interruptible (no abort),
 * and a lock handed over in the turn the task is cancelled stays with it (no undo). Returns
 * 1 when it had to wait. A caller's lock destroyed meanwhile aborts, as any call on it. */
static int relock(cafe_lock_t *l) {
    cafe_sem_t *s = &l->private_sem;
    cafe__owner_check(&s->private_thread, "cafe_cond_wait");
    if (s->private_count > 0 && cafe__waitlist_empty(&s->private_waiters)) {
        s->private_count--;
        return 0;
    }
    cafe__wait_t w = {.source = s};
    cafe__waitlist_push(&s->private_waiters, &w);
    cafe__park(&w, CAFE__NEVER);
    sem_handed_taken(&w);
    lock_arrived(&w);
    return 1;
}

int cafe_cond_wait(cafe_cond_t *c) {
    CAFE__EINVAL_IF_NULL(c);
    cafe__owner_check(&c->private_thread, "cafe_cond_wait");
    cafe_lock_t *l = cond_lock(c);
    cafe__owner_check(&l->private_sem.private_thread, "cafe_cond_wait");
    if (!lock_held(l))
        return CAFE_ENOTLOCKED;
    cafe__task_t *t = cafe__running();
    if (!t)
        return CAFE_ENOTASK;
    /* Interrupted already: returns holding the lock it never let go. */
    int rc = cafe__interrupt_check(t);
    if (rc != 0)
        return rc;
    lock_give(l); /* release: to the first task waiting for the lock, if any */
    cafe__wait_t w = {.abort = cafe__abort_unlist, .undo = cond_undo, .source = c};
    cafe__waitlist_push(&c->private_waiters, &w);
    c->private_inside++; /* until it has the lock back: its own lock is in c */
    rc = cafe__park(&w, CAFE__NEVER);
    /* Interrupted while it waited for the lock: asyncio's acquire raised CancelledError
     * then, which its wait re-raises once it holds the lock; and since 3.13 (gh-112202) a
     * wait that raises notifies another waiter, for it may have been notified: so does this
     * one, which was. Kept, the notification was lost, and a waiter that should have had it
     * waited on, for good if none came after it. */
    if (relock(l) && rc == 0 &&
        (rc = cafe__interruption(t, t->deadline == CAFE__NEVER ? 0 : cafe__loop_now(t->loop))))
        cond_pass_on(c);
    c->private_inside--;
    return rc;
}

int cafe_cond_wait_for(cafe_cond_t *c, int (*pred)(void *arg), void *arg) {
    if (!c || !pred)
        return CAFE_EINVAL;
    /* Before the predicate: one true at once made no checked call, so a destroyed condition,
     * or one of another loop's thread, passed unnoticed. */
    cafe__owner_check(&c->private_thread, "cafe_cond_wait_for");
    int rc = 0;
    while (rc == 0 && !pred(arg))
        rc = cafe_cond_wait(c);
    return rc;
}

static int cond_notify(cafe_cond_t *c, size_t n, const char *call) {
    CAFE__EINVAL_IF_NULL(c);
    cafe__owner_check(&c->private_thread, call);
    cafe_lock_t *l = cond_lock(c);
    cafe__owner_check(&l->private_sem.private_thread, call);
    if (!lock_held(l))
        return CAFE_ENOTLOCKED;
    int woken = 0;
    cafe__wait_t *w;
    while ((size_t)woken < n && woken < INT32_MAX &&
           (w = cafe__waitlist_pop(&c->private_waiters)) != NULL) {
        cafe__wake(w, 0);
        woken++;
    }
    return woken;
}

int cafe_cond_notify(cafe_cond_t *c, size_t n) {
    return cond_notify(c, n, "cafe_cond_notify");
}

int cafe_cond_notify_all(cafe_cond_t *c) {
    return cond_notify(c, SIZE_MAX, "cafe_cond_notify_all");
}

int cafe_cond_destroy(cafe_cond_t *c) {
    CAFE__EINVAL_IF_NULL(c);
    cafe__owner_check(&c->private_thread, "cafe_cond_destroy");
    if (c->private_inside > 0)
        return CAFE_EBUSY;
    if (!c->private_lock) {
        int rc = sem_retire(&c->private_own.private_sem, "cafe_cond_destroy");
        if (rc != 0)
            return rc;
    }
    /* No task c woke is left to forget: each is inside its wait until it has the lock back. */
    cafe__owner_destroy(&c->private_thread);
    return 0;
}

/* ---- event ---- */

void cafe_event_init(cafe_event_t *e) {
    cafe__nonnull(e, "cafe_event_init");
    *e = (cafe_event_t){.private_waiters = cafe__waitlist_for(e),
                        .private_thread = cafe__owner_init()};
}

void cafe_event_set(cafe_event_t *e) {
    cafe__nonnull(e, "cafe_event_set");
    cafe__owner_check(&e->private_thread, "cafe_event_set");
    e->private_set = 1;
    cafe__wait_t *w;
    while ((w = cafe__waitlist_pop(&e->private_waiters)) != NULL)
        cafe__wake(w, 0);
}

void cafe_event_clear(cafe_event_t *e) {
    cafe__nonnull(e, "cafe_event_clear");
    cafe__owner_check(&e->private_thread, "cafe_event_clear");
    e->private_set = 0;
}

int cafe_event_is_set(const cafe_event_t *e) {
    cafe__nonnull(e, "cafe_event_is_set");
    cafe__owner_check_ro(cafe__owner_load(&e->private_thread), "cafe_event_is_set");
    return e->private_set;
}

int cafe_event_wait(cafe_event_t *e) {
    CAFE__EINVAL_IF_NULL(e);
    cafe__owner_check(&e->private_thread, "cafe_event_wait");
    cafe__task_t *t = cafe__running();
    int rc = cafe__interrupt_check(t);
    if (rc != 0)
        return rc;
    if (e->private_set)
        return 0;
    if (!t)
        return CAFE_ENOTASK;
    cafe__wait_t w = {.abort = cafe__abort_unlist, .undo = cafe__abort_noop};
    cafe__waitlist_push(&e->private_waiters, &w);
    return cafe__park(&w, CAFE__NEVER);
}

int cafe_event_destroy(cafe_event_t *e) {
    CAFE__EINVAL_IF_NULL(e);
    cafe__owner_check(&e->private_thread, "cafe_event_destroy");
    if (!cafe__waitlist_empty(&e->private_waiters))
        return CAFE_EBUSY;
    cafe__owner_destroy(&e->private_thread);
    return 0;
}
