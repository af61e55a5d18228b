/* Semaphores, events, queues and task groups. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* ---- semaphore: never more than N inside; FIFO; cancelled waiters lose nothing ---- */
typedef struct sem_probe {
    cafe_sem_t sem;
    int inside, max_inside, done;
} sem_probe_t;

static int sem_worker(void *arg, void **value) {
    sem_probe_t *p = arg;
    int rc = cafe_sem_acquire(&p->sem);
    if (rc != 0)
        return rc;
    if (++p->inside > p->max_inside)
        p->max_inside = p->inside;
    cafe_task_sleep(2);
    p->inside--;
    p->done++;
    cafe_sem_release(&p->sem);
    return 0;
}

static int sem_main(void *arg, void **value) {
    sem_probe_t *p = arg;
    cafe_sem_init(&p->sem, 3);
    cafe_group_t g;
    cafe_group_init(&g, 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(cafe_group_spawn(&g, sem_worker, p, NULL), 0);
    assert_int_equal(cafe_group_wait(&g), 0);
    assert_int_equal(cafe_sem_available(&p->sem), 3);
    assert_int_equal(cafe_sem_try_acquire(&p->sem), 0);
    assert_int_equal(cafe_sem_destroy(&p->sem), 0);
    return 0;
}

static void test_semaphore_bounds_concurrency(void **state) {
    sem_probe_t p = {0};
    assert_int_equal(test_run(sem_main, &p), 0);
    assert_int_equal(p.max_inside, 3);
    assert_int_equal(p.done, 40);
}

static int sem_cancel_main(void *arg, void **value) {
    sem_probe_t *p = arg;
    cafe_sem_init(&p->sem, 0);
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, sem_worker, p, NULL), 0);
    cafe_task_yield(); /* t waits for a permit */
    assert_int_equal(cafe_sem_try_acquire(&p->sem), CAFE_EAGAIN);
    assert_int_equal(cafe_sem_destroy(&p->sem), CAFE_EBUSY);
    cafe_task_cancel(t);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    cafe_sem_release(&p->sem); /* nobody waits now: the permit is kept */
    assert_int_equal(cafe_sem_available(&p->sem), 1);
    return 0;
}

static void test_semaphore_cancelled_waiter(void **state) {
    sem_probe_t p = {0};
    assert_int_equal(test_run(sem_cancel_main, &p), 0);
    assert_int_equal(p.done, 0);
}

/* ---- event: set wakes every waiter ---- */
typedef struct ev_probe {
    cafe_event_t ev;
    int woken;
} ev_probe_t;

static int ev_waiter(void *arg, void **value) {
    ev_probe_t *p = arg;
    int rc = cafe_event_wait(&p->ev);
    if (rc == 0)
        p->woken++;
    return rc;
}

static int event_main(void *arg, void **value) {
    ev_probe_t *p = arg;
    cafe_event_init(&p->ev);
    cafe_group_t g;
    cafe_group_init(&g, 0);
    for (int i = 0; i < 5; i++)
        cafe_group_spawn(&g, ev_waiter, p, NULL);
    cafe_task_sleep(5);
    assert_int_equal(p->woken, 0);
    cafe_event_set(&p->ev);
    assert_int_equal(cafe_group_wait(&g), 0);
    assert_true(cafe_event_is_set(&p->ev));
    assert_int_equal(cafe_event_wait(&p->ev), 0); /* set: returns at once */
    cafe_event_clear(&p->ev);
    assert_false(cafe_event_is_set(&p->ev));
    return cafe_event_destroy(&p->ev);
}

static void test_event_wakes_all(void **state) {
    ev_probe_t p = {0};
    assert_int_equal(test_run(event_main, &p), 0);
    assert_int_equal(p.woken, 5);
}

/* ---- queue: FIFO, bounded, close semantics, rendezvous ---- */
typedef struct q_probe {
    cafe_queue_t q;
    int got[64];
    int ngot;
    int max_len;
} q_probe_t;

static int producer(void *arg, void **value) {
    q_probe_t *p = arg;
    for (intptr_t i = 1; i <= 50; i++) {
        int rc = cafe_queue_put(&p->q, (void *)i);
        if (rc != 0)
            return rc;
        if ((int)cafe_queue_len(&p->q) > p->max_len)
            p->max_len = (int)cafe_queue_len(&p->q);
    }
    cafe_queue_close(&p->q);
    return 0;
}

static int consumer(void *arg, void **value) {
    q_probe_t *p = arg;
    void *item;
    int rc;
    while ((rc = cafe_queue_get(&p->q, &item)) == 0) {
        p->got[p->ngot++] = (int)(intptr_t)item;
        if (p->ngot % 7 == 0)
            cafe_task_sleep(1);
    }
    return rc == CAFE_EOF ? 0 : rc;
}

static int queue_main(void *arg, void **value) {
    q_probe_t *p = arg;
    cafe_group_t g;
    cafe_group_init(&g, 0);
    cafe_group_spawn(&g, consumer, p, NULL);
    cafe_group_spawn(&g, producer, p, NULL);
    assert_int_equal(cafe_group_wait(&g), 0);
    assert_int_equal(cafe_queue_put(&p->q, NULL), CAFE_EPIPE);
    void *item;
    assert_int_equal(cafe_queue_get(&p->q, &item), CAFE_EOF);
    return cafe_queue_destroy(&p->q);
}

static void run_queue_case(size_t cap) {
    q_probe_t p;
    memset(&p, 0, sizeof p);
    assert_int_equal(cafe_queue_init(&p.q, cap), 0);
    assert_int_equal(test_run(queue_main, &p), 0);
    assert_int_equal(p.ngot, 50);
    for (int i = 0; i < 50; i++)
        assert_int_equal(p.got[i], i + 1);
    assert_true(p.max_len <= (int)cap);
}

static void test_queue_bounded_fifo(void **state) {
    run_queue_case(4);
}

/* A capacity is a bound, not a size: the ring grows as items come, up to it (and no further:
 * past the first size, putters wait at the bound as below it), and a bound far beyond any
 * memory costs nothing, as asyncio's Queue(maxsize) (the ring was allocated at the capacity's
 * size: 8 bytes an item at init, CAFE_ENOMEM for this one). */
static void test_queue_bound_is_not_a_size(void **state) {
    run_queue_case(20);
    cafe_queue_t b;
    assert_int_equal(cafe_queue_init(&b, 20), 0);
    for (uintptr_t i = 1; i <= 20; i++)
        assert_int_equal(cafe_queue_try_put(&b, (void *)i), 0);
    assert_int_equal(cafe_queue_try_put(&b, (void *)21), CAFE_EAGAIN);
    assert_int_equal(cafe_queue_len(&b), 20);
    for (uintptr_t i = 1; i <= 20; i++) {
        void *item;
        assert_int_equal(cafe_queue_try_get(&b, &item), 0);
        assert_ptr_equal(item, (void *)i);
    }
    assert_int_equal(cafe_queue_destroy(&b), 0);
    static const size_t huge[] = {(size_t)1 << 60, SIZE_MAX - 1};
    for (size_t k = 0; k < sizeof huge / sizeof huge[0]; k++) {
        cafe_queue_t q;
        assert_int_equal(cafe_queue_init(&q, huge[k]), 0);
        for (uintptr_t i = 1; i <= 1000; i++)
            assert_int_equal(cafe_queue_try_put(&q, (void *)i), 0);
        assert_int_equal(cafe_queue_len(&q), 1000);
        for (uintptr_t i = 1; i <= 1000; i++) {
            void *item;
            assert_int_equal(cafe_queue_try_get(&q, &item), 0);
            assert_ptr_equal(item, (void *)i);
        }
        assert_int_equal(cafe_queue_destroy(&q), 0);
    }
}

static void test_queue_rendezvous(void **state) {
    run_queue_case(0);
}

static void test_queue_try_ops(void **state) {
    cafe_queue_t q;
    void *item;
    assert_int_equal(cafe_queue_init(&q, 1), 0);
    assert_int_equal(cafe_queue_try_get(&q, &item), CAFE_EAGAIN);
    assert_int_equal(cafe_queue_try_put(&q, (void *)1), 0);
    assert_int_equal(cafe_queue_try_put(&q, (void *)2), CAFE_EAGAIN);
    assert_int_equal(cafe_queue_put(&q, (void *)2), CAFE_ENOTASK);
    cafe_queue_close(&q);
    assert_int_equal(cafe_queue_try_get(&q, &item), 0);
    assert_ptr_equal(item, (void *)1);
    assert_int_equal(cafe_queue_try_get(&q, &item), CAFE_EOF);
    assert_int_equal(cafe_queue_destroy(&q), 0);
}

/* ---- a cancelled task neither takes from a queue nor puts into it, even when it need not
 * wait: its cancellation is sticky, as for a semaphore or an event ---- */
typedef struct q_cancelled {
    cafe_queue_t q;
    int get_rc, put_rc, try_rc;
    void *got;
} q_cancelled_t;

static int cancelled_queue_user(void *arg, void **value) {
    q_cancelled_t *p = arg;
    cafe_task_cancel(cafe_task_current());
    p->get_rc = cafe_queue_get(&p->q, &p->got);
    p->put_rc = cafe_queue_put(&p->q, (void *)2);
    void *item;
    p->try_rc = cafe_queue_try_put(&p->q, (void *)3); /* never waits: clean-up may use it */
    return cafe_queue_try_get(&p->q, &item);
}

static int queue_cancelled_main(void *arg, void **value) {
    q_cancelled_t *p = arg;
    assert_int_equal(cafe_queue_init(&p->q, 4), 0);
    assert_int_equal(cafe_queue_try_put(&p->q, (void *)1), 0);
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, cancelled_queue_user, p, NULL), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(p->get_rc, CAFE_ECANCELED);
    assert_null(p->got);
    assert_int_equal(p->put_rc, CAFE_ECANCELED);
    assert_int_equal(p->try_rc, 0);
    void *item;
    assert_int_equal(cafe_queue_try_get(&p->q, &item), 0); /* 1 went to try_get: 3 is left */
    assert_ptr_equal(item, (void *)3);
    assert_int_equal(cafe_queue_len(&p->q), 0);
    return cafe_queue_destroy(&p->q);
}

static void test_queue_cancelled_task_takes_nothing(void **state) {
    q_cancelled_t p = {0};
    assert_int_equal(test_run(queue_cancelled_main, &p), 0);
}

/* ---- hand-over races: a permit or item handed to a waiter in the turn it is cancelled
 * goes on to the next waiter (or back to the queue's front), as asyncio 3.11 does: the
 * cancelled call returns CAFE_ECANCELED and takes nothing. Neither is lost or doubled (older
 * asyncio lost the permit of a woken, then cancelled, Semaphore.acquire, and dropped the
 * item of a Queue.get cancelled after the hand-over). A result already there (a put whose
 * item went in, a resolved future) is kept, once; a wake-up with nothing to hand on (an
 * event) is cancelled. ---- */
typedef struct handover {
    cafe_sem_t sem;
    cafe_queue_t q;
    cafe_event_t ev;
    cafe_future_t fut;
    int order[4], norder;
} handover_t;

typedef struct waiter {
    handover_t *h;
    int id, rc;
    void *got;
    uint64_t began; /* a timed waiter: the loop's clock just before its deadline began */
} waiter_t;

static int sem_waiter(void *arg, void **value) {
    waiter_t *w = arg;
    w->rc = cafe_sem_acquire(&w->h->sem);
    if (w->rc == 0) {
        w->h->order[w->h->norder++] = w->id;
        cafe_sem_release(&w->h->sem);
    }
    return 0;
}

static int get_waiter(void *arg, void **value) {
    waiter_t *w = arg;
    w->rc = cafe_queue_get(&w->h->q, &w->got);
    return 0;
}

static int put_waiter(void *arg, void **value) {
    waiter_t *w = arg;
    w->rc = cafe_queue_put(&w->h->q, w);
    return 0;
}

static int event_waiter(void *arg, void **value) {
    waiter_t *w = arg;
    w->rc = cafe_event_wait(&w->h->ev);
    return 0;
}

static int future_waiter(void *arg, void **value) {
    waiter_t *w = arg;
    w->rc = cafe_future_wait(&w->h->fut, &w->got);
    return 0;
}

/* Spawns fn(w[i]) for i < n and lets them park, in order. */
static void park_all(cafe_task_t **t, waiter_t *w, size_t n, cafe_task_fn fn, handover_t *h) {
    for (size_t i = 0; i < n; i++) {
        w[i] = (waiter_t){.h = h, .id = (int)i + 1, .rc = 111};
        assert_int_equal(cafe_task_spawn(&t[i], fn, &w[i], NULL), 0);
    }
    assert_int_equal(cafe_task_yield(), 0);
}

static void join_all(cafe_task_t **t, size_t n) {
    cafe_result_t r[3];
    assert_int_equal(cafe_task_gather(t, n, r), 0);
}

static int handover_main(void *arg, void **value) {
    handover_t h = {0};
    cafe_task_t *t[3];
    waiter_t w[3];
    void *item;
    /* semaphore: released to the first waiter, which is then cancelled: the permit goes on
     * to the next one not cancelled (the one cancelled before the release is skipped) */
    cafe_sem_init(&h.sem, 0);
    park_all(t, w, 3, sem_waiter, &h);
    cafe_task_cancel(t[1]);
    cafe_sem_release(&h.sem);
    cafe_task_cancel(t[0]);
    join_all(t, 3);
    assert_int_equal(w[0].rc, CAFE_ECANCELED);
    assert_int_equal(w[1].rc, CAFE_ECANCELED);
    assert_int_equal(w[2].rc, 0);
    assert_int_equal(h.norder, 1);
    assert_int_equal(h.order[0], 3);
    assert_int_equal(cafe_sem_available(&h.sem), 1); /* one permit, neither lost nor doubled */
    assert_int_equal(cafe_sem_destroy(&h.sem), 0);
    /* queue get: the item handed over in the turn of the cancel goes to the next getter */
    assert_int_equal(cafe_queue_init(&h.q, 1), 0);
    park_all(t, w, 2, get_waiter, &h);
    assert_int_equal(cafe_queue_put(&h.q, &h), 0);
    cafe_task_cancel(t[0]);
    join_all(t, 2);
    assert_int_equal(w[0].rc, CAFE_ECANCELED);
    assert_int_equal(w[1].rc, 0);
    assert_ptr_equal(w[1].got, &h);
    assert_int_equal(cafe_queue_len(&h.q), 0);
    /* ... or, with none waiting, back to the queue's front, before what was put since (the
     * queue is full then: it holds one item more than its capacity) */
    park_all(t, w, 1, get_waiter, &h);
    assert_int_equal(cafe_queue_try_put(&h.q, &h), 0);   /* to the getter */
    assert_int_equal(cafe_queue_try_put(&h.q, &h.q), 0); /* into the ring */
    cafe_task_cancel(t[0]);
    assert_int_equal(cafe_queue_len(&h.q), 2);
    assert_int_equal(cafe_queue_try_put(&h.q, &h.ev), CAFE_EAGAIN);
    join_all(t, 1);
    assert_int_equal(w[0].rc, CAFE_ECANCELED);
    assert_int_equal(cafe_queue_try_get(&h.q, &item), 0);
    assert_ptr_equal(item, &h);
    assert_int_equal(cafe_queue_try_get(&h.q, &item), 0);
    assert_ptr_equal(item, &h.q);
    assert_int_equal(cafe_queue_len(&h.q), 0);
    /* two getters handed items and cancelled once the ring filled again: both items come
     * back, in the order they were put, before the one put since, whatever order the
     * cancellations come in; one getter cancelled: the other, handed a later item, gets
     * its item instead, and its own goes back (the first getter gets the first item) */
    void *const put3[3] = {&h.ev, &h.fut, &h.order};
    for (int order = 0; order < 3; order++) {
        park_all(t, w, 2, get_waiter, &h);
        for (int i = 0; i < 3; i++) /* two to the getters, one into the ring */
            assert_int_equal(cafe_queue_try_put(&h.q, put3[i]), 0);
        if (order < 2) {
            cafe_task_cancel(t[order]);
            cafe_task_cancel(t[1 - order]);
        } else {
            cafe_task_cancel(t[0]);
        }
        join_all(t, 2);
        assert_int_equal(w[0].rc, CAFE_ECANCELED);
        int first = 0;
        if (order == 2) { /* the survivor took the first item */
            assert_int_equal(w[1].rc, 0);
            assert_ptr_equal(w[1].got, put3[0]);
            first = 1;
        } else {
            assert_int_equal(w[1].rc, CAFE_ECANCELED);
        }
        assert_int_equal(cafe_queue_len(&h.q), 3 - first);
        for (int i = first; i < 3; i++) {
            assert_int_equal(cafe_queue_try_get(&h.q, &item), 0);
            assert_ptr_equal(item, put3[i]);
        }
        assert_int_equal(cafe_queue_try_get(&h.q, &item), CAFE_EAGAIN);
    }
    /* a rendezvous channel too: the item waits in the queue for the next get, before a
     * waiting putter's */
    cafe_queue_t rv;
    assert_int_equal(cafe_queue_init(&rv, 0), 0);
    handover_t h2 = h;
    h2.q = rv;
    park_all(t, w, 1, get_waiter, &h2);
    assert_int_equal(cafe_queue_try_put(&h2.q, &h), 0); /* taken by the getter */
    cafe_task_cancel(t[0]);
    join_all(t, 1);
    assert_int_equal(w[0].rc, CAFE_ECANCELED);
    assert_int_equal(cafe_queue_len(&h2.q), 1);
    assert_int_equal(cafe_queue_try_put(&h2.q, &h), CAFE_EAGAIN);
    park_all(t, w, 1, put_waiter, &h2);
    assert_int_equal(cafe_queue_try_get(&h2.q, &item), 0);
    assert_ptr_equal(item, &h);
    assert_int_equal(w[0].rc, 111); /* still waiting: the ring held the given-back item */
    assert_int_equal(cafe_queue_try_get(&h2.q, &item), 0);
    assert_ptr_equal(item, &w[0]);
    join_all(t, 1);
    assert_int_equal(w[0].rc, 0);
    assert_int_equal(cafe_queue_destroy(&h2.q), 0);
    /* queue put into a full queue: cancelled while waiting, its item never goes in; taken
     * in the turn of the cancel, it went in once */
    assert_int_equal(cafe_queue_try_put(&h.q, &h), 0);
    park_all(t, w, 2, put_waiter, &h);
    cafe_task_cancel(t[1]);
    assert_int_equal(cafe_queue_try_get(&h.q, &item), 0); /* w[0]'s item takes the slot */
    cafe_task_cancel(t[0]);
    join_all(t, 2);
    assert_int_equal(w[0].rc, 0);
    assert_int_equal(w[1].rc, CAFE_ECANCELED);
    assert_int_equal(cafe_queue_try_get(&h.q, &item), 0);
    assert_ptr_equal(item, &w[0]);
    assert_int_equal(cafe_queue_try_get(&h.q, &item), CAFE_EAGAIN);
    /* close with a getter and (the ring full) a putter waiting: EOF and EPIPE */
    park_all(t, w, 1, get_waiter, &h);
    assert_int_equal(cafe_queue_try_put(&h.q, &h), 0); /* straight to the getter */
    assert_int_equal(cafe_task_join(t[0], NULL), 0);
    assert_int_equal(w[0].rc, 0);
    assert_int_equal(cafe_queue_try_put(&h.q, &h), 0);
    park_all(t, w, 1, put_waiter, &h);
    park_all(t + 1, w + 1, 1, put_waiter, &h);
    cafe_queue_close(&h.q);
    join_all(t, 2);
    assert_int_equal(w[0].rc, CAFE_EPIPE);
    assert_int_equal(w[1].rc, CAFE_EPIPE);
    assert_int_equal(cafe_queue_get(&h.q, &item), 0); /* what was in stays to be drained */
    assert_int_equal(cafe_queue_get(&h.q, &item), CAFE_EOF);
    assert_int_equal(cafe_queue_destroy(&h.q), 0);
    /* event set then cleared in the turn of the cancel: nothing to hand on, the wait is
     * cancelled (asyncio's Event.wait raises CancelledError); a future resolved then: its
     * result is there, and returned */
    cafe_event_init(&h.ev);
    park_all(t, w, 1, event_waiter, &h);
    cafe_event_set(&h.ev);
    cafe_event_clear(&h.ev);
    cafe_task_cancel(t[0]);
    join_all(t, 1);
    assert_int_equal(w[0].rc, CAFE_ECANCELED);
    cafe_future_init(&h.fut, NULL);
    park_all(t, w, 1, future_waiter, &h);
    assert_int_equal(cafe_future_resolve(&h.fut, 5, &h), 0);
    cafe_task_cancel(t[0]);
    join_all(t, 1);
    assert_int_equal(w[0].rc, 5);
    assert_ptr_equal(w[0].got, &h);
    /* destroyed between the hand-over and the cancel: the object's memory may be gone, so
     * nothing is given back into it: the woken task keeps what it got */
    cafe_sem_init(&h.sem, 0);
    park_all(t, w, 1, sem_waiter, &h);
    cafe_sem_release(&h.sem);
    assert_int_equal(cafe_sem_destroy(&h.sem), 0);
    memset(&h.sem, 0xa5, sizeof(h.sem));
    cafe_task_cancel(t[0]);
    h.norder = 0;
    cafe_sem_init(&h.sem, 0); /* for the release sem_waiter makes */
    join_all(t, 1);
    assert_int_equal(w[0].rc, 0);
    assert_int_equal(cafe_sem_destroy(&h.sem), 0);
    assert_int_equal(cafe_queue_init(&h.q, 1), 0);
    park_all(t, w, 1, get_waiter, &h);
    assert_int_equal(cafe_queue_try_put(&h.q, &h), 0);
    assert_int_equal(cafe_queue_destroy(&h.q), 0);
    memset(&h.q, 0xa5, sizeof(h.q));
    cafe_task_cancel(t[0]);
    join_all(t, 1);
    assert_int_equal(w[0].rc, 0);
    assert_ptr_equal(w[0].got, &h);
    return 0;
}

/* Many getters handed an item each in one turn, a third of them cancelled before they ran,
 * in reverse order: the survivors take the first items in order, the items given back come
 * out before those put since, in the order they were put; destroyed instead, the queue
 * leaves each woken getter its own item. */
enum { MASS = 40 };

static int mass_cancel_main(void *arg, void **value) {
    handover_t h = {0};
    cafe_task_t *t[MASS];
    waiter_t w[MASS];
    cafe_result_t r[MASS];
    int items[MASS + 2];
    void *item;
    assert_int_equal(cafe_queue_init(&h.q, 2), 0);
    park_all(t, w, MASS, get_waiter, &h);
    for (int i = 0; i < MASS + 2; i++) /* MASS to the getters, two into the ring */
        assert_int_equal(cafe_queue_put(&h.q, &items[i]), 0);
    for (int i = MASS - 1; i >= 0; i--)
        if (i % 3 == 0)
            assert_int_equal(cafe_task_cancel(t[i]), 0);
    assert_int_equal(cafe_task_gather(t, MASS, r), 0);
    int next = 0;
    for (int i = 0; i < MASS; i++) {
        assert_int_equal(w[i].rc, i % 3 == 0 ? CAFE_ECANCELED : 0);
        if (i % 3 != 0)
            assert_ptr_equal(w[i].got, &items[next++]);
    }
    assert_int_equal(cafe_queue_len(&h.q), MASS + 2 - next);
    for (; next < MASS + 2; next++) {
        assert_int_equal(cafe_queue_try_get(&h.q, &item), 0);
        assert_ptr_equal(item, &items[next]);
    }
    park_all(t, w, 3, get_waiter, &h);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cafe_queue_put(&h.q, &items[i]), 0);
    assert_int_equal(cafe_queue_destroy(&h.q), 0);
    memset(&h.q, 0xa5, sizeof(h.q));
    cafe_task_cancel(t[1]); /* keeps its item: the queue's memory may be gone */
    assert_int_equal(cafe_task_gather(t, 3, r), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(w[i].rc, 0);
        assert_ptr_equal(w[i].got, &items[i]);
    }
    return 0;
}

static void test_queue_mass_cancel_of_handed_getters(void **state) {
    assert_int_equal(test_run(mass_cancel_main, NULL), 0);
}

static void test_handover_in_the_turn_of_a_cancel(void **state) {
    assert_int_equal(test_run(handover_main, NULL), 0);
}

/* ---- a waiter's deadline that passes between the hand-over and its run: asyncio 3.11 runs
 * the woken task before the timeout's callback (that callback is queued behind it), so the
 * acquire or get returns what it was handed, and the task's next wait times out; so does
 * cafe (the wake-up stopped the deadline's timer). A deadline that fired before the hand-over
 * interrupts the waiter while it waits: it takes nothing, and the next waiter gets the permit
 * or item. Neither way is anything lost or doubled. (tests/runtime/asyncio_parity.py checks
 * both orders against asyncio: sem_deadline_woken, sem_deadline_first.) ---- */
/* The timed waiters' deadline: long enough that parking them and handing them what they wait
 * for comes first even under valgrind on a loaded machine (at 20 ms, memcheck's run in CI saw
 * a deadline pass before the hand-over once), which spin_ms then runs past. */
enum { WAITER_DEADLINE_MS = 250 };

static int timed_sem_waiter(void *arg, void **value) {
    waiter_t *w = arg;
    cafe_deadline_t d;
    w->began = cafe_loop_now(cafe_loop_current());
    cafe_deadline_begin(&d, WAITER_DEADLINE_MS);
    w->rc = cafe_sem_acquire(&w->h->sem);
    if (w->rc == 0) {
        w->h->order[w->h->norder++] = w->id;
        w->got = (void *)(intptr_t)cafe_task_yield(); /* the next wait sees the deadline */
        cafe_sem_release(&w->h->sem);
    }
    cafe_deadline_end(&d);
    return 0;
}

/* The same without a wait after the acquire: the scope's end says whether its deadline
 * interrupted anything, as asyncio.timeout's exit does; here nothing was, so 0, and the task
 * holds the permit it was told it got (a timeout reported here would make it drop it). */
static int scoped_sem_waiter(void *arg, void **value) {
    waiter_t *w = arg;
    cafe_deadline_t d;
    w->began = cafe_loop_now(cafe_loop_current());
    cafe_deadline_begin(&d, WAITER_DEADLINE_MS);
    w->rc = cafe_sem_acquire(&w->h->sem);
    w->got = (void *)(intptr_t)cafe_deadline_end(&d);
    if (w->rc == 0)
        cafe_sem_release(&w->h->sem);
    return 0;
}

static int timed_get_waiter(void *arg, void **value) {
    waiter_t *w = arg;
    cafe_deadline_t d;
    w->began = cafe_loop_now(cafe_loop_current());
    cafe_deadline_begin(&d, WAITER_DEADLINE_MS);
    w->rc = cafe_queue_get(&w->h->q, &w->got);
    cafe_deadline_end(&d);
    return 0;
}

/* Computes, without letting any task run, until the clock is past the waiters' deadlines. */
static void spin_ms(uint64_t ms) {
    cafe_loop_t *loop = cafe_loop_current();
    uint64_t end = cafe_loop_now(loop) + ms;
    while (cafe_loop_now(loop) < end)
        ;
}

/* Whether the hand-over about to be made may come after w's deadline fired: only when the
 * clock has passed it (a machine so loaded that parking two tasks took WAITER_DEADLINE_MS).
 * The case then accepts the outcome of a deadline that fired first too. */
static int handover_may_be_late(const waiter_t *w) {
    return cafe_loop_now(cafe_loop_current()) >= w->began + WAITER_DEADLINE_MS;
}

/* The deadline fired before the hand-over: w[0] took nothing, w[1] (if any) got it. */
static int deadline_came_first(const waiter_t *w) {
    return w[0].rc == CAFE_ETIMEDOUT;
}

static int deadline_handover_main(void *arg, void **value) {
    handover_t h = {0};
    cafe_task_t *t[2];
    waiter_t w[2];
    /* handed the permit, then the deadline passes before it runs: it keeps the permit */
    cafe_sem_init(&h.sem, 0);
    park_all(t, w, 1, timed_sem_waiter, &h);
    park_all(t + 1, w + 1, 1, sem_waiter, &h);
    w[1].id = 2;
    int late = handover_may_be_late(&w[0]);
    cafe_sem_release(&h.sem);
    spin_ms(WAITER_DEADLINE_MS + 10);
    join_all(t, 2);
    assert_int_equal(w[1].rc, 0);
    if (late && deadline_came_first(w)) {
        assert_int_equal(h.norder, 1);
        assert_int_equal(h.order[0], 2);
    } else {
        assert_int_equal(w[0].rc, 0);
        assert_int_equal((int)(intptr_t)w[0].got, CAFE_ETIMEDOUT);
        assert_int_equal(h.norder, 2);
        assert_int_equal(h.order[0], 1);
        assert_int_equal(h.order[1], 2);
    }
    assert_int_equal(cafe_sem_available(&h.sem), 1);
    /* ... and its scope's end reports no timeout: nothing in it was interrupted */
    assert_int_equal(cafe_sem_try_acquire(&h.sem), 0);
    park_all(t, w, 1, scoped_sem_waiter, &h);
    late = handover_may_be_late(&w[0]);
    cafe_sem_release(&h.sem);
    spin_ms(WAITER_DEADLINE_MS + 10);
    join_all(t, 1);
    if (late && deadline_came_first(w)) {
        assert_int_equal((int)(intptr_t)w[0].got, CAFE_ETIMEDOUT);
    } else {
        assert_int_equal(w[0].rc, 0);
        assert_int_equal((int)(intptr_t)w[0].got, 0);
    }
    assert_int_equal(cafe_sem_available(&h.sem), 1);
    /* the deadline fired first (its timer ran while main yielded): the permit released
     * after it goes to the next waiter */
    h.norder = 0;
    assert_int_equal(cafe_sem_try_acquire(&h.sem), 0);
    park_all(t, w, 1, timed_sem_waiter, &h);
    park_all(t + 1, w + 1, 1, sem_waiter, &h);
    w[1].id = 2;
    spin_ms(WAITER_DEADLINE_MS + 10);
    assert_int_equal(cafe_task_yield(), 0);
    cafe_sem_release(&h.sem);
    join_all(t, 2);
    assert_int_equal(w[0].rc, CAFE_ETIMEDOUT);
    assert_int_equal(w[1].rc, 0);
    assert_int_equal(h.norder, 1);
    assert_int_equal(h.order[0], 2);
    assert_int_equal(cafe_sem_available(&h.sem), 1);
    assert_int_equal(cafe_sem_destroy(&h.sem), 0);
    /* a queue's item likewise: the getter handed it keeps it */
    assert_int_equal(cafe_queue_init(&h.q, 1), 0);
    park_all(t, w, 1, timed_get_waiter, &h);
    park_all(t + 1, w + 1, 1, get_waiter, &h);
    late = handover_may_be_late(&w[0]);
    assert_int_equal(cafe_queue_put(&h.q, &h), 0);
    spin_ms(WAITER_DEADLINE_MS + 10);
    assert_int_equal(cafe_queue_put(&h.q, &h.q), 0);
    join_all(t, 2);
    assert_int_equal(w[1].rc, 0);
    if (late && deadline_came_first(w)) { /* w[1] got the first, the second waits queued */
        assert_ptr_equal(w[1].got, &h);
        void *item;
        assert_int_equal(cafe_queue_get(&h.q, &item), 0);
        assert_ptr_equal(item, &h.q);
    } else {
        assert_int_equal(w[0].rc, 0);
        assert_ptr_equal(w[0].got, &h);
        assert_ptr_equal(w[1].got, &h.q);
    }
    assert_int_equal(cafe_queue_destroy(&h.q), 0);
    return 0;
}

static void test_handover_past_the_waiters_deadline(void **state) {
    assert_int_equal(test_run(deadline_handover_main, NULL), 0);
}

/* ---- a bounded semaphore (asyncio.BoundedSemaphore) refuses a release beyond its permits;
 * a plain one refuses one that would wrap its count round to 0 ---- */
static int acquire_once(void *arg, void **value) {
    return cafe_sem_acquire(arg);
}

static int sem_bounded_main(void *arg, void **value) {
    cafe_sem_t s;
    cafe_sem_init_bounded(&s, 2);
    assert_int_equal(cafe_sem_release(&s), CAFE_EINVAL);
    assert_int_equal(cafe_sem_available(&s), 2);
    assert_int_equal(cafe_sem_acquire(&s), 0);
    assert_int_equal(cafe_sem_try_acquire(&s), 0);
    assert_int_equal(cafe_sem_try_acquire(&s), CAFE_EAGAIN);
    assert_int_equal(cafe_sem_release(&s), 0);
    assert_int_equal(cafe_sem_release(&s), 0);
    assert_int_equal(cafe_sem_release(&s), CAFE_EINVAL);
    assert_int_equal(cafe_sem_available(&s), 2);
    assert_int_equal(cafe_sem_destroy(&s), 0);
    cafe_sem_init(&s, SIZE_MAX);
    assert_int_equal(cafe_sem_release(&s), CAFE_EINVAL);
    assert_int_equal(cafe_sem_available(&s), SIZE_MAX);
    assert_int_equal(cafe_sem_acquire(&s), 0);
    assert_int_equal(cafe_sem_release(&s), 0);
    assert_int_equal(cafe_sem_available(&s), SIZE_MAX);
    /* bounded at 0: no release, even to a waiter (asyncio's BoundedSemaphore(0) checks the
     * bound before it wakes one) */
    cafe_task_t *t;
    cafe_result_t r;
    cafe_sem_init_bounded(&s, 0);
    assert_int_equal(cafe_task_spawn(&t, acquire_once, &s, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* t waits */
    assert_int_equal(cafe_sem_release(&s), CAFE_EINVAL);
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(cafe_task_cancel(t), 0);
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    assert_int_equal(cafe_sem_destroy(&s), 0);
    cafe_sem_init(&s, 0);
    for (int i = 0; i < 3; i++) /* asyncio.Semaphore: no bound */
        assert_int_equal(cafe_sem_release(&s), 0);
    assert_int_equal(cafe_sem_available(&s), 3);
    return cafe_sem_destroy(&s);
}

static void test_semaphore_bounded(void **state) {
    assert_int_equal(test_run(sem_bounded_main, NULL), 0);
}

/* ---- lock: a semaphore of one with asyncio's checks ---- */
typedef struct lock_probe {
    cafe_lock_t lock;
    cafe_cond_t cond;
    cafe_queue_t q;
    int inside, max_inside, ready, order[8], norder, rc[4];
} lock_probe_t;

static int lock_worker(void *arg, void **value) {
    lock_probe_t *p = arg;
    int rc = cafe_lock_acquire(&p->lock);
    if (rc != 0)
        return rc;
    if (++p->inside > p->max_inside)
        p->max_inside = p->inside;
    cafe_task_sleep(1);
    p->inside--;
    return cafe_lock_release(&p->lock);
}

static int lock_main(void *arg, void **value) {
    lock_probe_t *p = arg;
    cafe_lock_init(&p->lock);
    assert_int_equal(cafe_lock_locked(&p->lock), 0);
    assert_int_equal(cafe_lock_release(&p->lock), CAFE_ENOTLOCKED); /* no second permit */
    assert_int_equal(cafe_lock_locked(&p->lock), 0);
    assert_int_equal(cafe_lock_try_acquire(&p->lock), 0);
    assert_int_equal(cafe_lock_locked(&p->lock), 1);
    assert_int_equal(cafe_lock_try_acquire(&p->lock), CAFE_EAGAIN);
    assert_int_equal(cafe_lock_release(&p->lock), 0);
    cafe_group_t g;
    cafe_group_init(&g, 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(cafe_group_spawn(&g, lock_worker, p, NULL), 0);
    assert_int_equal(cafe_group_wait(&g), 0);
    assert_int_equal(p->max_inside, 1);
    assert_int_equal(cafe_lock_locked(&p->lock), 0);
    assert_int_equal(cafe_lock_release(&p->lock), CAFE_ENOTLOCKED);
    assert_int_equal(cafe_lock_destroy(&p->lock), 0);
    assert_string_equal(cafe_strerror(CAFE_ENOTLOCKED), "lock is not acquired");
    assert_string_equal(cafe_err_name(CAFE_ETASK_DONE), "CAFE_ETASK_DONE");
    return 0;
}

static void test_lock(void **state) {
    lock_probe_t p = {0};
    assert_int_equal(test_run(lock_main, &p), 0);
}

/* A lock handed to a waiter that has not run yet is held by nobody, as in asyncio (locked()
 * is False then): a release in that gap is CAFE_ENOTLOCKED, not a second permit that would
 * let two tasks in. The heir cancelled before it ran passes it on, still in the gap. */
static int lock_gap_worker(void *arg, void **value) {
    lock_probe_t *p = arg;
    int rc = cafe_lock_acquire(&p->lock);
    if (rc != 0)
        return rc;
    if (++p->inside > p->max_inside)
        p->max_inside = p->inside;
    p->order[p->norder++] = 1;
    cafe_task_yield();
    p->inside--;
    return cafe_lock_release(&p->lock);
}

static int lock_gap_main(void *arg, void **value) {
    lock_probe_t *p = arg;
    cafe_lock_init(&p->lock);
    assert_int_equal(cafe_lock_acquire(&p->lock), 0);
    p->inside = p->max_inside = 1; /* main's turn */
    cafe_task_t *t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(cafe_task_spawn(&t[i], lock_gap_worker, p, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* all three wait */
    p->inside = 0;
    assert_int_equal(cafe_lock_release(&p->lock), 0); /* handed to t[0] */
    assert_int_equal(cafe_lock_locked(&p->lock), 0);
    assert_int_equal(cafe_lock_release(&p->lock), CAFE_ENOTLOCKED);
    assert_int_equal(cafe_lock_try_acquire(&p->lock), CAFE_EAGAIN); /* no barging */
    assert_int_equal(cafe_task_cancel(t[0]), 0);                    /* passes it to t[1] */
    assert_int_equal(cafe_lock_locked(&p->lock), 0);
    assert_int_equal(cafe_lock_release(&p->lock), CAFE_ENOTLOCKED);
    cafe_result_t r[3];
    assert_int_equal(cafe_task_gather(t, 3, r), 0);
    assert_int_equal(r[0].status, CAFE_ECANCELED);
    assert_int_equal(r[1].status, 0);
    assert_int_equal(r[2].status, 0);
    assert_int_equal(p->max_inside, 1);
    assert_int_equal(p->norder, 2);
    assert_int_equal(cafe_lock_locked(&p->lock), 0);
    assert_int_equal(cafe_lock_release(&p->lock), CAFE_ENOTLOCKED);
    assert_int_equal(cafe_lock_acquire(&p->lock), 0);
    assert_int_equal(cafe_lock_locked(&p->lock), 1);
    assert_int_equal(cafe_lock_release(&p->lock), 0);
    assert_int_equal(cafe_lock_destroy(&p->lock), 0);
    return 0;
}

/* The lock destroyed (and its memory freed) in the gap: the heir keeps it, as a semaphore's
 * waiter keeps its permit, and does not write into the freed lock when it runs (ASan). */
static int lock_heir(void *arg, void **value) {
    return cafe_lock_acquire(arg);
}

static int lock_gap_destroyed_main(void *arg, void **value) {
    cafe_lock_t *l = malloc(sizeof(*l));
    assert_non_null(l);
    cafe_lock_init(l);
    assert_int_equal(cafe_lock_acquire(l), 0);
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, lock_heir, l, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(cafe_lock_destroy(l), CAFE_EBUSY); /* t waits */
    assert_int_equal(cafe_lock_release(l), 0);          /* handed to t */
    assert_int_equal(cafe_lock_destroy(l), 0);
    free(l);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, 0);
    return 0;
}

static void test_lock_release_in_handover_gap(void **state) {
    lock_probe_t p = {0};
    assert_int_equal(test_run(lock_gap_main, &p), 0);
    assert_int_equal(test_run(lock_gap_destroyed_main, NULL), 0);
}

/* cafe_cond_wait_for without a predicate: CAFE_EINVAL, the lock left as it was, instead of a
 * call through NULL. */
static int cond_null_pred_main(void *arg, void **value) {
    cafe_cond_t c;
    cafe_cond_init(&c, NULL);
    assert_int_equal(cafe_lock_acquire(cafe_cond_lock(&c)), 0);
    assert_int_equal(cafe_cond_wait_for(&c, NULL, NULL), CAFE_EINVAL);
    assert_int_equal(cafe_lock_locked(cafe_cond_lock(&c)), 1);
    assert_int_equal(cafe_lock_release(cafe_cond_lock(&c)), 0);
    return cafe_cond_destroy(&c);
}

static void test_cond_wait_for_null_pred_einval(void **state) {
    assert_int_equal(test_run(cond_null_pred_main, NULL), 0);
}

/* ---- condition: wait releases the lock and takes it back, on every return ---- */
typedef struct cond_arg {
    lock_probe_t *p;
    int id;
} cond_arg_t;

static int cond_waiter(void *arg, void **value) {
    cond_arg_t *a = arg;
    lock_probe_t *p = a->p;
    assert_int_equal(cafe_lock_acquire(cafe_cond_lock(&p->cond)), 0);
    int rc = cafe_cond_wait(&p->cond);
    p->rc[a->id] = rc;
    assert_int_equal(cafe_lock_locked(cafe_cond_lock(&p->cond)), 1); /* held again */
    p->order[p->norder++] = a->id;
    cafe_task_yield(); /* nobody else gets in meanwhile */
    assert_int_equal(cafe_lock_release(cafe_cond_lock(&p->cond)), 0);
    return 0;
}

static int is_ready(void *arg) {
    return ((lock_probe_t *)arg)->ready;
}

static int cond_pred_waiter(void *arg, void **value) {
    lock_probe_t *p = arg;
    assert_int_equal(cafe_lock_acquire(cafe_cond_lock(&p->cond)), 0);
    int rc = cafe_cond_wait_for(&p->cond, is_ready, p);
    p->order[p->norder++] = 9;
    assert_int_equal(cafe_lock_release(cafe_cond_lock(&p->cond)), 0);
    return rc;
}

static void spawn_cond_waiters(cafe_task_t **t, cond_arg_t *a, lock_probe_t *p, int n) {
    for (int i = 0; i < n; i++) {
        a[i] = (cond_arg_t){p, i};
        p->rc[i] = 111;
        assert_int_equal(cafe_task_spawn(&t[i], cond_waiter, &a[i], NULL), 0);
    }
    assert_int_equal(cafe_task_yield(), 0); /* all wait, the lock free */
    p->norder = 0;
}

/* Lets the tasks woken run, turn by turn, until *n reaches want; a bound instead of a sleep,
 * which a slow turn (valgrind on a loaded machine) outlasted before they had run. */
static void yield_until(const int *n, int want) {
    for (int i = 0; i < 1000 && *n < want; i++)
        assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(*n, want);
}

static int cond_main(void *arg, void **value) {
    lock_probe_t *p = arg;
    cafe_task_t *t[4];
    cond_arg_t a[4];
    cafe_result_t r[4];
    cafe_cond_init(&p->cond, NULL);
    cafe_lock_t *l = cafe_cond_lock(&p->cond);
    assert_int_equal(cafe_cond_wait(&p->cond), CAFE_ENOTLOCKED); /* not held */
    assert_int_equal(cafe_cond_notify(&p->cond, 1), CAFE_ENOTLOCKED);
    /* notify(2) wakes the first two, in order; notify_all the rest */
    spawn_cond_waiters(t, a, p, 3);
    assert_int_equal(cafe_lock_locked(l), 0);
    assert_int_equal(cafe_lock_acquire(l), 0);
    assert_int_equal(cafe_cond_notify(&p->cond, 2), 2);
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(p->norder, 0); /* woken, but the lock is still main's */
    assert_int_equal(cafe_lock_release(l), 0);
    yield_until(&p->norder, 2);
    assert_int_equal(p->order[0] * 10 + p->order[1], 1);
    assert_int_equal(cafe_lock_acquire(l), 0);
    assert_int_equal(cafe_cond_notify_all(&p->cond), 1);
    assert_int_equal(cafe_cond_notify_all(&p->cond), 0);
    assert_int_equal(cafe_lock_release(l), 0);
    assert_int_equal(cafe_task_gather(t, 3, r), 0);
    assert_int_equal(p->order[2], 2);
    assert_int_equal(p->rc[0] | p->rc[1] | p->rc[2], 0);
    /* cancelled while waiting: returns CAFE_ECANCELED, holding the lock again, which it
     * waits for (not interruptibly) while another task holds it */
    spawn_cond_waiters(t, a, p, 1);
    assert_int_equal(cafe_lock_acquire(l), 0);
    cafe_task_cancel(t[0]);
    assert_int_equal(cafe_task_sleep(5), 0);
    assert_int_equal(p->norder, 0); /* waiting for the lock */
    assert_int_equal(cafe_lock_release(l), 0);
    assert_int_equal(cafe_task_join(t[0], NULL), 0);
    assert_int_equal(p->rc[0], CAFE_ECANCELED);
    assert_int_equal(p->norder, 1);
    /* notified and cancelled before it ran: the notification goes to the next waiter */
    spawn_cond_waiters(t, a, p, 2);
    assert_int_equal(cafe_lock_acquire(l), 0);
    assert_int_equal(cafe_cond_notify(&p->cond, 1), 1);
    cafe_task_cancel(t[0]);
    assert_int_equal(cafe_lock_release(l), 0);
    assert_int_equal(cafe_task_gather(t, 2, r), 0);
    assert_int_equal(p->rc[0], CAFE_ECANCELED);
    assert_int_equal(p->rc[1], 0);
    /* notified, then cancelled while it takes the lock back: its wait returns CAFE_ECANCELED,
     * and the notification goes to the next waiter all the same (asyncio 3.13's wait notifies
     * another waiter on any exception out of it); lost, the next waiter waited for good */
    spawn_cond_waiters(t, a, p, 2);
    assert_int_equal(cafe_lock_acquire(l), 0);
    assert_int_equal(cafe_cond_notify(&p->cond, 1), 1);
    assert_int_equal(cafe_task_yield(), 0); /* t[0] ran, and waits for the lock */
    cafe_task_cancel(t[0]);
    assert_int_equal(cafe_lock_release(l), 0);
    assert_int_equal(cafe_task_gather(t, 2, r), 0);
    assert_int_equal(p->rc[0], CAFE_ECANCELED);
    assert_int_equal(p->rc[1], 0);
    assert_int_equal(p->norder, 2);
    /* a deadline passing while it waits: CAFE_ETIMEDOUT, the lock held again */
    assert_int_equal(cafe_lock_acquire(l), 0);
    cafe_deadline_t d;
    assert_int_equal(cafe_deadline_begin(&d, 5), 0);
    assert_int_equal(cafe_cond_wait(&p->cond), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_deadline_end(&d), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_lock_locked(l), 1);
    /* wait_for: returns once the predicate holds */
    p->ready = 0;
    p->norder = 0;
    assert_int_equal(cafe_lock_release(l), 0);
    assert_int_equal(cafe_task_spawn(&t[0], cond_pred_waiter, p, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0);
    for (int i = 0; i < 2; i++) { /* woken with the predicate false: waits again */
        assert_int_equal(cafe_lock_acquire(l), 0);
        p->ready = i;
        assert_int_equal(cafe_cond_notify_all(&p->cond), 1);
        assert_int_equal(cafe_cond_destroy(&p->cond), CAFE_EBUSY);
        assert_int_equal(cafe_lock_release(l), 0);
        assert_int_equal(cafe_task_yield(), 0);
        assert_int_equal(cafe_task_yield(), 0);
    }
    assert_int_equal(cafe_task_join(t[0], r), 0);
    assert_int_equal(r[0].status, 0);
    assert_int_equal(p->norder, 1);
    /* a caller's lock, shared */
    cafe_cond_t c2;
    cafe_lock_init(&p->lock);
    cafe_cond_init(&c2, &p->lock);
    assert_ptr_equal(cafe_cond_lock(&c2), &p->lock);
    assert_int_equal(cafe_cond_notify(&c2, 1), CAFE_ENOTLOCKED);
    assert_int_equal(cafe_lock_acquire(&p->lock), 0);
    assert_int_equal(cafe_cond_notify(&c2, 1), 0);
    assert_int_equal(cafe_lock_release(&p->lock), 0);
    assert_int_equal(cafe_cond_destroy(&c2), 0);
    assert_int_equal(cafe_lock_destroy(&p->lock), 0);
    assert_int_equal(cafe_cond_destroy(&p->cond), 0);
    return 0;
}

static void test_condition(void **state) {
    lock_probe_t p = {0};
    assert_int_equal(test_run(cond_main, &p), 0);
}

/* ---- queue join / task_done: the worker-pool shape; an unbounded queue ---- */
static int pool_worker(void *arg, void **value) {
    lock_probe_t *p = arg;
    void *item;
    for (;;) {
        int rc = cafe_queue_get(&p->q, &item);
        if (rc != 0)
            return rc == CAFE_ECANCELED ? 0 : rc;
        cafe_task_sleep((uint64_t)(intptr_t)item % 3);
        p->inside++; /* items done */
        assert_int_equal(cafe_queue_task_done(&p->q), 0);
    }
}

static int join_main(void *arg, void **value) {
    lock_probe_t *p = arg;
    assert_int_equal(cafe_queue_init(&p->q, CAFE_QUEUE_UNBOUNDED), 0);
    assert_int_equal(cafe_queue_join(&p->q), 0); /* nothing put: at once */
    assert_int_equal(cafe_queue_task_done(&p->q), CAFE_ETASK_DONE);
    for (intptr_t i = 1; i <= 1000; i++) /* never waits, however many */
        assert_int_equal(cafe_queue_try_put(&p->q, (void *)i), 0);
    assert_int_equal(cafe_queue_len(&p->q), 1000);
    assert_int_equal(cafe_queue_unfinished(&p->q), 1000);
    cafe_task_t *w[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(cafe_task_spawn(&w[i], pool_worker, p, NULL), 0);
    assert_int_equal(cafe_queue_join(&p->q), 0);
    assert_int_equal(p->inside, 1000);
    assert_int_equal(cafe_queue_unfinished(&p->q), 0);
    assert_int_equal(cafe_queue_len(&p->q), 0);
    /* items come out in order across the ring's growth */
    for (int i = 0; i < 3; i++)
        cafe_task_cancel(w[i]);
    cafe_result_t r[3];
    assert_int_equal(cafe_task_gather(w, 3, r), 0);
    for (intptr_t i = 1; i <= 20; i++)
        assert_int_equal(cafe_queue_put(&p->q, (void *)i), 0);
    assert_int_equal(cafe_queue_unfinished(&p->q), 20);
    void *item;
    for (intptr_t i = 1; i <= 20; i++) {
        assert_int_equal(cafe_queue_try_get(&p->q, &item), 0);
        assert_ptr_equal(item, (void *)i);
    }
    /* a joiner cancelled, one timed out; destroy refuses while one waits */
    cafe_deadline_t d;
    assert_int_equal(cafe_deadline_begin(&d, 5), 0);
    assert_int_equal(cafe_queue_join(&p->q), CAFE_ETIMEDOUT);
    cafe_deadline_end(&d);
    for (int i = 0; i < 20; i++)
        assert_int_equal(cafe_queue_task_done(&p->q), 0);
    assert_int_equal(cafe_queue_task_done(&p->q), CAFE_ETASK_DONE);
    assert_int_equal(cafe_queue_unfinished(&p->q), 0);
    assert_int_equal(cafe_queue_destroy(&p->q), 0);
    /* a bounded queue counts too: items handed to a getter, moved in from a putter, and
     * through a rendezvous channel; close leaves the count */
    assert_int_equal(cafe_queue_init(&p->q, 0), 0);
    cafe_task_t *g;
    waiter_t gw = {.rc = 111};
    handover_t h = {0};
    h.q = p->q;
    gw.h = &h;
    assert_int_equal(cafe_task_spawn(&g, get_waiter, &gw, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(cafe_queue_try_put(&h.q, p), 0);
    assert_int_equal(cafe_queue_unfinished(&h.q), 1);
    assert_int_equal(cafe_task_join(g, NULL), 0);
    cafe_queue_close(&h.q);
    assert_int_equal(cafe_queue_unfinished(&h.q), 1);
    assert_int_equal(cafe_queue_task_done(&h.q), 0);
    assert_int_equal(cafe_queue_join(&h.q), 0);
    assert_int_equal(cafe_queue_destroy(&h.q), 0);
    return 0;
}

static void test_queue_join_and_unbounded(void **state) {
    lock_probe_t p = {0};
    assert_int_equal(test_run(join_main, &p), 0);
}

/* ---- groups: cancel on error; a cancelled parent still waits for its children ---- */
static int fail_soon(void *arg, void **value) {
    cafe_task_sleep(5);
    return CAFE_EIO;
}

static int sleep_long(void *arg, void **value) {
    int rc = cafe_task_sleep(60000);
    if (rc == CAFE_ECANCELED)
        (*(int *)arg)++;
    return rc;
}

static int group_error_main(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, CAFE_GROUP_CANCEL_ON_ERROR);
    for (int i = 0; i < 4; i++)
        cafe_group_spawn(&g, sleep_long, arg, NULL);
    cafe_group_spawn(&g, fail_soon, NULL, NULL);
    assert_int_equal(cafe_group_wait(&g), CAFE_EIO);
    assert_int_equal(cafe_group_failed(&g), 1); /* the cancelled siblings did not fail */
    return 0;
}

static void test_group_cancels_siblings_on_error(void **state) {
    int cancelled = 0;
    assert_int_equal(test_run(group_error_main, &cancelled), 0);
    assert_int_equal(cancelled, 4);
}

/* A child that got what it waited for in the turn its group was cancelled still runs, and
 * may spawn into the group: what it spawns belongs to a cancelled round and must start
 * cancelled, or the group's waiter waits for work nobody wants (forever, for a server). */
typedef struct late_spawn {
    cafe_group_t g;
    cafe_future_t go; /* a result already there is returned to a cancelled task */
    cafe_event_t never;
    int late_cancelled, late_rc;
} late_spawn_t;

static int late_child(void *arg, void **value) {
    late_spawn_t *p = arg;
    p->late_cancelled = cafe_task_cancelled();
    p->late_rc = cafe_event_wait(&p->never);
    return p->late_rc;
}

static int spawn_when_woken(void *arg, void **value) {
    late_spawn_t *p = arg;
    int rc = cafe_future_wait(&p->go, NULL);
    if (rc == 0) /* woken, then cancelled before it ran: the wait still returned 0 */
        rc = cafe_group_spawn(&p->g, late_child, p, NULL);
    return rc;
}

static int wake_then_fail(void *arg, void **value) {
    late_spawn_t *p = arg;
    cafe_future_resolve(&p->go, 0, NULL);
    return CAFE_EIO; /* cancels the woken sibling in the same turn */
}

static int late_spawn_main(void *arg, void **value) {
    late_spawn_t *p = arg;
    cafe_future_init(&p->go, NULL);
    cafe_event_init(&p->never);
    cafe_group_init(&p->g, CAFE_GROUP_CANCEL_ON_ERROR);
    assert_int_equal(cafe_group_spawn(&p->g, spawn_when_woken, p, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* it waits for go */
    assert_int_equal(cafe_group_spawn(&p->g, wake_then_fail, p, NULL), 0);
    assert_int_equal(cafe_group_wait(&p->g), CAFE_EIO);
    assert_int_equal(cafe_group_failed(&p->g), 1); /* the late child's ECANCELED is no failure */
    assert_true(p->late_cancelled);
    assert_int_equal(p->late_rc, CAFE_ECANCELED);
    /* cafe_group_cancel marks its round the same way */
    assert_int_equal(cafe_group_spawn(&p->g, late_child, p, NULL), 0);
    cafe_group_cancel(&p->g);
    p->late_cancelled = 0;
    assert_int_equal(cafe_group_spawn(&p->g, late_child, p, NULL), 0);
    assert_int_equal(cafe_group_wait(&p->g), 0);
    assert_true(p->late_cancelled);
    /* a round that is over is not the next one: that one starts clean */
    cafe_group_cancel(&p->g);
    p->late_cancelled = -1;
    assert_int_equal(cafe_group_spawn(&p->g, late_child, p, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(p->late_cancelled, 0);
    cafe_group_cancel(&p->g);
    return cafe_group_wait(&p->g);
}

static void test_group_late_spawn_cancelled(void **state) {
    late_spawn_t p = {0};
    assert_int_equal(test_run(late_spawn_main, &p), 0);
}

/* A child waiting for its own group would wait for itself: once the deadlock was broken,
 * that wait goes on uninterruptibly and the run ends with CAFE_EDEADLK, tasks abandoned. */
static int wait_own_group(void *arg, void **value) {
    return cafe_group_wait(arg);
}

static int own_group_main(void *arg, void **value) {
    cafe_group_t g;
    cafe_result_t r = {111, NULL};
    cafe_group_init(&g, 0);
    assert_int_equal(cafe_group_spawn_result(&g, wait_own_group, &g, NULL, &r), 0);
    assert_int_equal(cafe_group_wait(&g), CAFE_EDEADLK);
    assert_int_equal(r.status, CAFE_EDEADLK);
    return 0;
}

static void test_group_wait_by_own_child_edeadlk(void **state) {
    assert_int_equal(test_run(own_group_main, NULL), 0);
}

static int group_parent(void *arg, void **value) {
    cafe_group_t g;
    cafe_group_init(&g, 0);
    for (int i = 0; i < 3; i++)
        cafe_group_spawn(&g, sleep_long, arg, NULL);
    return cafe_group_wait(&g);
}

static int group_cancel_main(void *arg, void **value) {
    cafe_task_t *parent;
    cafe_task_spawn(&parent, group_parent, arg, NULL);
    cafe_task_sleep(5);
    cafe_task_cancel(parent);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(parent, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    /* the parent left the group only after every child had finished */
    assert_int_equal(*(int *)arg, 3);
    return 0;
}

static void test_group_parent_cancelled_waits_children(void **state) {
    int cancelled = 0;
    assert_int_equal(test_run(group_cancel_main, &cancelled), 0);
}

/* ---- many tasks woken together, each destroying an object of its own ----
 * A destroy takes back what the object handed to woken tasks not yet run; with none handed
 * it must not touch the others (it walked the whole run queue: n^2 for n such tasks, see
 * bench_runtime's `destroy`, where the cost is measured). Here: every destroy succeeds and
 * every task ends well, whatever else is ready. */
enum { MASS_WOKEN = 2000 };

typedef struct mass {
    cafe_event_t go;
    int kind; /* 0 event, 1 lock, 2 semaphore, 3 queue */
} mass_t;

static int destroy_own(void *arg, void **value) {
    mass_t *m = arg;
    int rc = cafe_event_wait(&m->go);
    if (rc != 0)
        return rc;
    cafe_event_t e;
    cafe_lock_t l;
    cafe_sem_t s;
    cafe_queue_t q;
    switch (m->kind) {
    case 0:
        cafe_event_init(&e);
        return cafe_event_destroy(&e);
    case 1:
        cafe_lock_init(&l);
        if ((rc = cafe_lock_acquire(&l)) == 0 && (rc = cafe_lock_release(&l)) == 0)
            rc = cafe_lock_destroy(&l);
        return rc;
    case 2:
        cafe_sem_init(&s, 1);
        return cafe_sem_destroy(&s);
    default:
        if ((rc = cafe_queue_init(&q, 1)) == 0 && (rc = cafe_queue_put(&q, &q)) == 0)
            rc = cafe_queue_destroy(&q);
        return rc;
    }
}

static int mass_destroy_main(void *arg, void **value) {
    mass_t *m = arg;
    cafe_task_t **t = malloc(MASS_WOKEN * sizeof(*t));
    cafe_result_t *r = malloc(MASS_WOKEN * sizeof(*r));
    assert_non_null(t);
    assert_non_null(r);
    cafe_event_init(&m->go);
    cafe_task_opts_t o = {.stack_size = CAFE_STACK_MIN};
    for (size_t i = 0; i < MASS_WOKEN; i++)
        assert_int_equal(cafe_task_spawn(&t[i], destroy_own, m, &o), 0);
    assert_int_equal(cafe_task_yield(), 0); /* all wait */
    cafe_event_set(&m->go);
    assert_int_equal(cafe_task_gather(t, MASS_WOKEN, r), 0);
    for (size_t i = 0; i < MASS_WOKEN; i++)
        assert_int_equal(r[i].status, 0);
    free(t);
    free(r);
    return 0;
}

static void test_destroys_by_many_woken_tasks(void **state) {
    for (int kind = 0; kind <= 3; kind++) {
        mass_t m = {.kind = kind};
        assert_int_equal(test_run(mass_destroy_main, &m), 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_semaphore_bounds_concurrency),
        cmocka_unit_test(test_semaphore_cancelled_waiter),
        cmocka_unit_test(test_semaphore_bounded),
        cmocka_unit_test(test_event_wakes_all),
        cmocka_unit_test(test_queue_bounded_fifo),
        cmocka_unit_test(test_queue_rendezvous),
        cmocka_unit_test(test_queue_bound_is_not_a_size),
        cmocka_unit_test(test_queue_try_ops),
        cmocka_unit_test(test_queue_cancelled_task_takes_nothing),
        cmocka_unit_test(test_handover_in_the_turn_of_a_cancel),
        cmocka_unit_test(test_queue_mass_cancel_of_handed_getters),
        cmocka_unit_test(test_handover_past_the_waiters_deadline),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_lock_release_in_handover_gap),
        cmocka_unit_test(test_condition),
        cmocka_unit_test(test_cond_wait_for_null_pred_einval),
        cmocka_unit_test(test_destroys_by_many_woken_tasks),
        cmocka_unit_test(test_queue_join_and_unbounded),
        cmocka_unit_test(test_group_cancels_siblings_on_error),
        cmocka_unit_test(test_group_parent_cancelled_waits_children),
        cmocka_unit_test(test_group_late_spawn_cancelled),
        cmocka_unit_test(test_group_wait_by_own_child_edeadlk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
