/* Task structs and their handles: the hot paths, inline (spawn, join and cancel run them
 * once per call). The design is in handle.c. */
#ifndef CAFE_RUNTIME_HANDLE_H
#define CAFE_RUNTIME_HANDLE_H

#include "runtime/internal.h"

#if UINTPTR_MAX > 0xFFFFFFFFu
#define CAFE__INDEX_BITS 32u
#else
#define CAFE__INDEX_BITS 20u
#endif
#define CAFE__INDEX_MASK (((uintptr_t)1 << CAFE__INDEX_BITS) - 1u)
#define CAFE__GEN_MASK ((uint32_t)(UINTPTR_MAX >> CAFE__INDEX_BITS))

/* A new struct (calloc) with its slot, or NULL: the slow path of cafe__task_struct_get. */
cafe__task_t *cafe__task_struct_new(cafe_loop_t *loop);

/* A fresh struct: from the pool (FIFO) or new. */
static inline cafe__task_t *cafe__task_struct_get(cafe_loop_t *loop) {
    cafe__task_t *t = loop->pool_head;
    if (!t)
        return cafe__task_struct_new(loop);
    loop->pool_head = t->pool_next;
    if (!loop->pool_head)
        loop->pool_tail = NULL;
    return t;
}

/* Back to the pool, generation bumped: every handle of it goes stale. FIFO reuse spreads
 * the reuses of structs, so a generation comes around as late as possible. */
static inline void cafe__task_struct_put(cafe_loop_t *loop, cafe__task_t *t) {
    t->gen = (t->gen + 1u) & CAFE__GEN_MASK;
    if (t->gen == 0)
        t->gen = 1;
    t->pool_next = NULL;
    if (loop->pool_tail)
        loop->pool_tail->pool_next = t;
    else
        loop->pool_head = t;
    loop->pool_tail = t;
}

static inline cafe_task_t *cafe__task_handle(const cafe__task_t *t) {
    return (cafe_task_t *)(((uintptr_t)t->gen << CAFE__INDEX_BITS) | t->index);
}

/* The struct behind a handle of the running loop, or NULL for NULL, stale or foreign ones. */
static inline cafe__task_t *cafe__task_from(cafe_task_t *h) {
    cafe_loop_t *loop = cafe__loop_tls();
    uintptr_t v = (uintptr_t)h;
    if (!loop || (v & CAFE__INDEX_MASK) >= loop->nslots)
        return NULL;
    cafe__task_t *t = loop->slots[v & CAFE__INDEX_MASK];
    return t->gen == (uint32_t)(v >> CAFE__INDEX_BITS) ? t : NULL;
}

#endif
