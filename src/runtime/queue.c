/* FIFO queue of pointers (a channel), bounded or not. Invariants: getters wait only while the
 * ring is empty, putters only while it is full (len >= cap); a waiting putter's item travels
 * in its wait's data.
 *
 * An item handed to a waiting getter goes to a second ring, handed, in hand-over order: the
 * getters woken and not run yet are on the run queue in that order, and each takes the
 * front one when it runs. A getter cancelled before it ran gives back the last one (the
 * getters still to run take the ones before it, in order) to the next waiting getter, else
 * to the ring's front, before whatever was put since: so items given back by several getters
 * come out in the order they were put, whatever the order of the cancellations, at O(1) a
 * cancel (items kept in each wait had to shift along every getter behind it: n^2 for a mass
 * cancel).
 *
 * Every ring starts small (a smaller bounded one with one slot more than its capacity) and
 * doubles when an item finds it full: a capacity is a bound, not a size, so a queue costs
 * memory for the items it holds, as asyncio's Queue(maxsize) does (a ring of the capacity's
 * size made a per-connection queue bounded at 100,000 cost 800 KB at init, and a larger bound
 * CAFE_ENOMEM). Items given back by cancelled getters may take len past cap (several in one
 * turn) until gets take them out; handed starts empty and grows as getters are handed items
 * in one turn.
 *
 * unfinished counts the items put (each when its put completes) and not yet marked done by
 * cafe_queue_task_done: asyncio's unfinished_tasks, which cafe_queue_join waits to see at 0. */
#include "runtime/internal.h"

#include <stdlib.h>
#include <string.h>

enum { FIRST_SLOTS = 8 }; /* a ring's first size, at most */

int cafe_queue_init(cafe_queue_t *q, size_t capacity) {
    CAFE__EINVAL_IF_NULL(q);
    *q = (cafe_queue_t){.private_cap = capacity,
                        .private_getters = cafe__waitlist_for(q),
                        .private_putters = cafe__waitlist_for(q),
                        .private_joiners = cafe__waitlist_for(q),
                        .private_thread = cafe__owner_init()};
    size_t slots = capacity < FIRST_SLOTS ? capacity + 1 : FIRST_SLOTS;
    q->private_ring.private_slots = slots;
    q->private_ring.private_items = calloc(slots, sizeof(void *));
    return q->private_ring.private_items ? 0 : CAFE_ENOMEM;
}

/* A full ring doubles (an empty one gets FIRST_SLOTS), its items moved to the front in order.
 * CAFE_ENOMEM leaves it as it was. Out of line and cold: inlined into put, its registers
 * cost every put a save and a restore. */
__attribute__((noinline, cold)) static int ring_grow(cafe__ring_t *r) {
    size_t n = r->private_slots;
    if (n > SIZE_MAX / 2 / sizeof(void *))
        return CAFE_ENOMEM;
    size_t slots = n ? 2 * n : FIRST_SLOTS;
    void **items = malloc(slots * sizeof(void *));
    if (!items)
        return CAFE_ENOMEM;
    size_t head = r->private_head, first = n - head;
    if (n > 0) {
        memcpy(items, r->private_items + head, first * sizeof(void *));
        memcpy(items + first, r->private_items, head * sizeof(void *));
    }
    free(r->private_items);
    r->private_items = items;
    r->private_head = 0;
    r->private_slots = slots;
    return 0;
}

/* Room for one more item in the ring. */
static inline int ring_room(cafe__ring_t *r) {
    return __builtin_expect(r->private_len < r->private_slots, 1) ? 0 : ring_grow(r);
}

static void ring_push(cafe__ring_t *r, void *item) {
    r->private_items[(r->private_head + r->private_len) % r->private_slots] = item;
    r->private_len++;
}

static void *ring_pop(cafe__ring_t *r) {
    void *item = r->private_items[r->private_head];
    r->private_head = (r->private_head + 1) % r->private_slots;
    r->private_len--;
    return item;
}

/* The last item: one handed out, taken back. */
static void *ring_pop_back(cafe__ring_t *r) {
    r->private_len--;
    return r->private_items[(r->private_head + r->private_len) % r->private_slots];
}

/* Back to the front: an item handed out and given back, the oldest one. Its room was made
 * by the caller. */
static void ring_unpop(cafe__ring_t *r, void *item) {
    r->private_head = (r->private_head + r->private_slots - 1) % r->private_slots;
    r->private_items[r->private_head] = item;
    r->private_len++;
}

/* Hands item to the first waiting getter (there is one); CAFE_ENOMEM, nothing done, when
 * the handed ring cannot grow. */
static int hand_over(cafe_queue_t *q, void *item) {
    int rc = ring_room(&q->private_handed);
    if (rc != 0)
        return rc;
    ring_push(&q->private_handed, item);
    cafe__wake(cafe__waitlist_pop(&q->private_getters), 0);
    return 0;
}

/* try_put and try_get after the caller's checks: put and get make them, under their own
 * names, and each check is paid once per hop. */
static int try_put(cafe_queue_t *q, void *item) {
    if (q->private_closed)
        return CAFE_EPIPE;
    int rc;
    if (!cafe__waitlist_empty(&q->private_getters)) {
        if ((rc = hand_over(q, item)) == 0)
            q->private_unfinished++;
        return rc;
    }
    if (q->private_ring.private_len >= q->private_cap)
        return CAFE_EAGAIN;
    if ((rc = ring_room(&q->private_ring)) != 0)
        return rc;
    ring_push(&q->private_ring, item);
    q->private_unfinished++;
    return 0;
}

static int try_get(cafe_queue_t *q, void **item) {
    cafe__wait_t *p;
    if (q->private_ring.private_len > 0) {
        *item = ring_pop(&q->private_ring);
        /* A slot came free (unless the ring held an item given back): the first waiting
         * putter's item takes it. */
        if (q->private_ring.private_len < q->private_cap &&
            (p = cafe__waitlist_pop(&q->private_putters)) != NULL) {
            ring_push(&q->private_ring, p->data);
            cafe__wake(p, 0);
            q->private_unfinished++;
        }
        return 0;
    }
    if ((p = cafe__waitlist_pop(&q->private_putters)) != NULL) { /* rendezvous */
        *item = p->data;
        cafe__wake(p, 0);
        q->private_unfinished++;
        return 0;
    }
    return q->private_closed ? CAFE_EOF : CAFE_EAGAIN;
}

int cafe_queue_try_put(cafe_queue_t *q, void *item) {
    CAFE__EINVAL_IF_NULL(q);
    cafe__owner_check(&q->private_thread, "cafe_queue_try_put");
    return try_put(q, item);
}

int cafe_queue_try_get(cafe_queue_t *q, void **item) {
    CAFE__EINVAL_IF_NULL(q);
    cafe__owner_check(&q->private_thread, "cafe_queue_try_get");
    if (!item) /* the item would be taken and lost, or written through NULL */
        return CAFE_EINVAL;
    return try_get(q, item);
}

/* Parks on list after the caller's try failed with CAFE_EAGAIN. */
static int queue_wait(cafe__task_t *t, cafe__waitlist_t *list, cafe__wait_t *w) {
    if (!t)
        return CAFE_ENOTASK;
    cafe__waitlist_push(list, w);
    return cafe__park(w, CAFE__NEVER);
}

/* The interruption first, as for a semaphore or an event: a cancelled or timed-out task that
 * found room (or an item) must not go on moving items as if nothing had happened. */
int cafe_queue_put(cafe_queue_t *q, void *item) {
    CAFE__EINVAL_IF_NULL(q);
    cafe__owner_check(&q->private_thread, "cafe_queue_put");
    cafe__task_t *t = cafe__running();
    int rc = cafe__interrupt_check(t);
    if (rc == 0)
        rc = try_put(q, item);
    if (rc != CAFE_EAGAIN)
        return rc;
    cafe__wait_t w = {.abort = cafe__abort_unlist, .data = item};
    return queue_wait(t, &q->private_putters, &w);
}

/* A getter handed an item and cancelled before it ran: the last item handed goes to the next
 * waiting getter (the ring is empty while getters wait), else back to the ring's front (see
 * the top of the file). */
static int get_undo(cafe__wait_t *w) {
    cafe_queue_t *q = w->source;
    void *item = ring_pop_back(&q->private_handed);
    if (!cafe__waitlist_empty(&q->private_getters))
        hand_over(q, item); /* cannot fail: the item's slot in handed is free */
    else if (ring_room(&q->private_ring) == 0)
        ring_unpop(&q->private_ring, item);
    else {
        ring_push(&q->private_handed, item); /* no memory: the getter keeps one (returns 0) */
        return 0;
    }
    return 1;
}

int cafe_queue_get(cafe_queue_t *q, void **item) {
    CAFE__EINVAL_IF_NULL(q);
    cafe__owner_check(&q->private_thread, "cafe_queue_get");
    if (!item)
        return CAFE_EINVAL;
    cafe__task_t *t = cafe__running();
    int rc = cafe__interrupt_check(t);
    if (rc == 0)
        rc = try_get(q, item);
    if (rc != CAFE_EAGAIN)
        return rc;
    cafe__wait_t w = {.abort = cafe__abort_unlist, .undo = get_undo, .source = q};
    rc = queue_wait(t, &q->private_getters, &w);
    if (rc == 0) /* source NULL: q was destroyed meanwhile, and put the item in data */
        *item = w.source ? ring_pop(&q->private_handed) : w.data;
    return rc;
}

void cafe_queue_close(cafe_queue_t *q) {
    cafe__nonnull(q, "cafe_queue_close");
    cafe__owner_check(&q->private_thread, "cafe_queue_close");
    q->private_closed = 1;
    cafe__wait_t *w;
    while ((w = cafe__waitlist_pop(&q->private_getters)) != NULL)
        cafe__wake(w, CAFE_EOF);
    while ((w = cafe__waitlist_pop(&q->private_putters)) != NULL)
        cafe__wake(w, CAFE_EPIPE);
}

int cafe_queue_task_done(cafe_queue_t *q) {
    CAFE__EINVAL_IF_NULL(q);
    cafe__owner_check(&q->private_thread, "cafe_queue_task_done");
    if (q->private_unfinished == 0)
        return CAFE_ETASK_DONE;
    if (--q->private_unfinished == 0) {
        cafe__wait_t *w;
        while ((w = cafe__waitlist_pop(&q->private_joiners)) != NULL)
            cafe__wake(w, 0);
    }
    return 0;
}

int cafe_queue_join(cafe_queue_t *q) {
    CAFE__EINVAL_IF_NULL(q);
    cafe__owner_check(&q->private_thread, "cafe_queue_join");
    cafe__task_t *t = cafe__running();
    int rc = cafe__interrupt_check(t);
    if (rc != 0 || q->private_unfinished == 0)
        return rc;
    if (!t)
        return CAFE_ENOTASK;
    /* An event's wait: woken by the task_done that reached 0 even if a put came before it
     * ran (asyncio's join waits on an Event); nothing to hand on if cancelled then. */
    cafe__wait_t w = {.abort = cafe__abort_unlist, .undo = cafe__abort_noop};
    cafe__waitlist_push(&q->private_joiners, &w);
    return cafe__park(&w, CAFE__NEVER);
}

size_t cafe_queue_unfinished(const cafe_queue_t *q) {
    cafe__nonnull(q, "cafe_queue_unfinished");
    cafe__owner_check_ro(cafe__owner_load(&q->private_thread), "cafe_queue_unfinished");
    return q->private_unfinished;
}

size_t cafe_queue_len(const cafe_queue_t *q) {
    cafe__nonnull(q, "cafe_queue_len");
    cafe__owner_check_ro(cafe__owner_load(&q->private_thread), "cafe_queue_len");
    return q->private_ring.private_len;
}

/* q goes while getters handed items have not run: each gets its item in its wait's data,
 * in the order they were woken (which is the run queue's), and will not reach q again. */
static void handed_forget(cafe_queue_t *q) {
    for (cafe__task_t *t = cafe__loop_tls()->ready_head; t; t = t->ready_next)
        if (t->woken && t->woken->source == q && t->wake_code == 0)
            t->woken->data = ring_pop(&q->private_handed);
    cafe__woken_forget(q);
}

int cafe_queue_destroy(cafe_queue_t *q) {
    CAFE__EINVAL_IF_NULL(q);
    cafe__owner_check(&q->private_thread, "cafe_queue_destroy");
    if (!cafe__waitlist_empty(&q->private_getters) || !cafe__waitlist_empty(&q->private_putters) ||
        !cafe__waitlist_empty(&q->private_joiners))
        return CAFE_EBUSY;
    if (q->private_handed.private_len > 0) /* a walk of the run queue: only when it can find one */
        handed_forget(q);
    free(q->private_ring.private_items);
    free(q->private_handed.private_items);
    q->private_ring.private_items = q->private_handed.private_items = NULL;
    /* Its ring is gone: a later call would write through NULL (or, at capacity 0, quietly
     * act as a rendezvous channel nobody can use). */
    cafe__owner_destroy(&q->private_thread);
    return 0;
}
