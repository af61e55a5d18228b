/* Semaphore and event. Waiters queue in FIFO order on the object's wait list. */
#include "runtime/internal.h"

void cafe_sem_init(cafe_sem_t *s, size_t permits) {
    *s = (cafe_sem_t){.private_count = permits, .private_thread = cafe__owner_init()};
}

static void sem_give(cafe_sem_t *s) {
    cafe__wait_t *w = cafe__waitlist_pop(&s->private_waiters);
    if (w)
        cafe__wake(w, 0);
    else
        s->private_count++;
}

/* A woken waiter cancelled before it ran: its permit goes on to the next. */
static int sem_undo(cafe__wait_t *w) {
    sem_give(w->source);
    return 1;
}

int cafe_sem_acquire(cafe_sem_t *s) {
    cafe__owner_check(&s->private_thread, "cafe_sem_acquire");
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
    cafe__wait_t w = {.abort = cafe__abort_unlist, .undo = sem_undo, .source = s};
    cafe__waitlist_push(&s->private_waiters, &w);
    /* On success the releaser handed its permit straight to us. */
    return cafe__park(&w, CAFE__NEVER);
}

int cafe_sem_try_acquire(cafe_sem_t *s) {
    cafe__owner_check(&s->private_thread, "cafe_sem_try_acquire");
    if (s->private_count == 0 || !cafe__waitlist_empty(&s->private_waiters))
        return CAFE_EAGAIN;
    s->private_count--;
    return 0;
}

void cafe_sem_release(cafe_sem_t *s) {
    cafe__owner_check(&s->private_thread, "cafe_sem_release");
    sem_give(s);
}

size_t cafe_sem_available(const cafe_sem_t *s) {
    cafe__owner_check_ro(s->private_thread, "cafe_sem_available");
    return s->private_count;
}

int cafe_sem_destroy(cafe_sem_t *s) {
    cafe__owner_check(&s->private_thread, "cafe_sem_destroy");
    if (!cafe__waitlist_empty(&s->private_waiters))
        return CAFE_EBUSY;
    cafe__woken_forget(s);
    cafe__owner_destroy(&s->private_thread);
    return 0;
}

void cafe_event_init(cafe_event_t *e) {
    *e = (cafe_event_t){.private_thread = cafe__owner_init()};
}

void cafe_event_set(cafe_event_t *e) {
    cafe__owner_check(&e->private_thread, "cafe_event_set");
    e->private_set = 1;
    cafe__wait_t *w;
    while ((w = cafe__waitlist_pop(&e->private_waiters)) != NULL)
        cafe__wake(w, 0);
}

void cafe_event_clear(cafe_event_t *e) {
    cafe__owner_check(&e->private_thread, "cafe_event_clear");
    e->private_set = 0;
}

int cafe_event_is_set(const cafe_event_t *e) {
    cafe__owner_check_ro(e->private_thread, "cafe_event_is_set");
    return e->private_set;
}

int cafe_event_wait(cafe_event_t *e) {
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
    cafe__owner_check(&e->private_thread, "cafe_event_destroy");
    if (!cafe__waitlist_empty(&e->private_waiters))
        return CAFE_EBUSY;
    cafe__owner_destroy(&e->private_thread);
    return 0;
}
