/* FIFO queue of pointers (a channel), bounded or not. Invariants: getters wait only while the
 * ring is empty, putters only while it is full (len >= cap); a waiting putter's item travels
 * in its wait's data and a waiting getter receives its item the same way.
 *
 * A bounded ring starts with one slot more than the capacity: a getter handed an item and
 * cancelled before it ran gives the item back (get_undo), to the next getter or to the
 * ring's front, and the ring may have been filled meanwhile. Several getters may be handed
 * items in one turn and all be cancelled: the ring grows (doubles) when a given-back item
 * finds it full, so len exceeds cap by the items given back, until gets take them out. An
 * unbounded ring (cap CAFE_QUEUE_UNBOUNDED) starts small and doubles likewise when an item
 * finds it full.
 *
 * unfinished counts the items put (each when its put completes) and not yet marked done by
 * cafe_queue_task_done: asyncio's unfinished_tasks, which cafe_queue_join waits to see at 0. */
#include "runtime/internal.h"

#include <stdlib.h>
#include <string.h>

enum { UNBOUNDED_SLOTS = 8 }; /* an unbounded ring's first size */

int cafe_queue_init(cafe_queue_t *q, size_t capacity) {
    CAFE__EINVAL_IF_NULL(q);
    *q = (cafe_queue_t){.private_cap = capacity, .private_thread = cafe__owner_init()};
    size_t slots = capacity == CAFE_QUEUE_UNBOUNDED ? UNBOUNDED_SLOTS : capacity + 1;
    if (capacity != CAFE_QUEUE_UNBOUNDED && capacity >= SIZE_MAX / sizeof(void *))
        return CAFE_ENOMEM;
    q->private_slots = slots;
    q->private_ring = calloc(slots, sizeof(void *));
    return q->private_ring ? 0 : CAFE_ENOMEM;
}

/* A full ring doubles, its items moved to the front in order (a bounded one only for items
 * given back). CAFE_ENOMEM leaves it as it was. Out of line and cold: inlined into put, its
 * registers cost every put a save and a restore. */
__attribute__((noinline, cold)) static int ring_grow(cafe_queue_t *q) {
    size_t n = q->private_slots;
    if (n > SIZE_MAX / 2 / sizeof(void *))
        return CAFE_ENOMEM;
    void **ring = malloc(2 * n * sizeof(void *));
    if (!ring)
        return CAFE_ENOMEM;
    size_t head = q->private_head, first = n - head;
    memcpy(ring, q->private_ring + head, first * sizeof(void *));
    memcpy(ring + first, q->private_ring, head * sizeof(void *));
    free(q->private_ring);
    q->private_ring = ring;
    q->private_head = 0;
    q->private_slots = 2 * n;
    return 0;
}

/* Room for one more item in the ring. */
static inline int ring_room(cafe_queue_t *q) {
    return __builtin_expect(q->private_len < q->private_slots, 1) ? 0 : ring_grow(q);
}

static void ring_push(cafe_queue_t *q, void *item) {
    q->private_ring[(q->private_head + q->private_len) % q->private_slots] = item;
    q->private_len++;
}

static void *ring_pop(cafe_queue_t *q) {
    void *item = q->private_ring[q->private_head];
    q->private_head = (q->private_head + 1) % q->private_slots;
    q->private_len--;
    return item;
}

/* Back to the front: an item handed out and given back, the oldest one. Its room was made
 * by the caller. */
static void ring_unpop(cafe_queue_t *q, void *item) {
    q->private_head = (q->private_head + q->private_slots - 1) % q->private_slots;
    q->private_ring[q->private_head] = item;
    q->private_len++;
}

/* try_put and try_get after the caller's checks: put and get make them, under their own
 * names, and each check is paid once per hop. */
static int try_put(cafe_queue_t *q, void *item) {
    if (q->private_closed)
        return CAFE_EPIPE;
    cafe__wait_t *g = cafe__waitlist_pop(&q->private_getters);
    if (g) {
        g->data = item;
        q->private_handed++;
        cafe__wake(g, 0);
        q->private_unfinished++;
        return 0;
    }
    if (q->private_len >= q->private_cap)
        return CAFE_EAGAIN;
    int rc = ring_room(q);
    if (rc != 0)
        return rc;
    ring_push(q, item);
    q->private_unfinished++;
    return 0;
}

static int try_get(cafe_queue_t *q, void **item) {
    cafe__wait_t *p;
    if (q->private_len > 0) {
        *item = ring_pop(q);
        /* A slot came free (unless the ring held an item given back): the first waiting
         * putter's item takes it. */
        if (q->private_len < q->private_cap &&
            (p = cafe__waitlist_pop(&q->private_putters)) != NULL) {
            ring_push(q, p->data);
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

static int get_undo(cafe__wait_t *w);

/* The getters handed items after w's and not run yet each take the item of the one before
 * them, so that the first getter gets the first item; returns the last one's item, the one
 * left to hand on. They are on the run queue behind w's task, in the order they were woken,
 * which is the order of the hand-overs (w's task is there too: it is cancelled while ready).
 * Costs a walk of the tasks ready behind it, on this cold path only. */
static void *shift_handed(cafe__wait_t *w) {
    void *item = w->data;
    for (cafe__task_t *t = w->task->ready_next; t; t = t->ready_next) {
        cafe__wait_t *o = t->woken;
        if (o && o->undo == get_undo && o->source == w->source && t->wake_code == 0) {
            void *next = o->data;
            o->data = item;
            item = next;
        }
    }
    return item;
}

/* A getter handed an item and cancelled before it ran: the item is not lost to the queue, nor
 * does it fall behind the items handed after it: the getters after it shift (shift_handed),
 * and the last item goes to the next waiting getter (the ring is empty while getters wait),
 * else back to the ring's front, before whatever was put since. So items given back by
 * several getters come out in the order they were put, whatever the order of the
 * cancellations. */
static int get_undo(cafe__wait_t *w) {
    cafe_queue_t *q = w->source;
    void *item = shift_handed(w);
    cafe__wait_t *g = cafe__waitlist_pop(&q->private_getters);
    if (g) {
        g->data = item; /* handed on: as many getters hold items as before */
        cafe__wake(g, 0);
    } else if (ring_room(q) == 0) {
        ring_unpop(q, item);
        q->private_handed--;
    } else {
        w->data = item; /* no memory for it: the getter keeps one (returns 0), none lost */
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
    if (rc == 0) {
        *item = w.data;
        if (w.source) /* NULL: q was destroyed meanwhile, its memory maybe gone */
            q->private_handed--;
    }
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
    cafe__owner_check_ro(q->private_thread, "cafe_queue_unfinished");
    return q->private_unfinished;
}

size_t cafe_queue_len(const cafe_queue_t *q) {
    cafe__nonnull(q, "cafe_queue_len");
    cafe__owner_check_ro(q->private_thread, "cafe_queue_len");
    return q->private_len;
}

int cafe_queue_destroy(cafe_queue_t *q) {
    CAFE__EINVAL_IF_NULL(q);
    cafe__owner_check(&q->private_thread, "cafe_queue_destroy");
    if (!cafe__waitlist_empty(&q->private_getters) || !cafe__waitlist_empty(&q->private_putters) ||
        !cafe__waitlist_empty(&q->private_joiners))
        return CAFE_EBUSY;
    if (q->private_handed > 0) /* a walk of the run queue: only when it can find one */
        cafe__woken_forget(q);
    free(q->private_ring);
    q->private_ring = NULL;
    /* Its ring is gone: a later call would write through NULL (or, at capacity 0, quietly
     * act as a rendezvous channel nobody can use). */
    cafe__owner_destroy(&q->private_thread);
    return 0;
}
