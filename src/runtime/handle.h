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

/* The next generation of the process-wide sequence (handle.c): drawn from this thread's
 * block, a thread-local increment, spread by the golden ratio (an odd factor: distinct draws
 * stay distinct, mod 2^32). Never 0. */
extern _Thread_local uint32_t cafe__tls_gen __attribute__((tls_model("initial-exec")));
extern _Thread_local uint32_t cafe__tls_gens_left __attribute__((tls_model("initial-exec")));
void cafe__gen_refill(void);
static inline uint32_t cafe__gen_next(void) {
    uint32_t g;
    do {
        if (__builtin_expect(cafe__tls_gens_left == 0, 0))
            cafe__gen_refill();
        cafe__tls_gens_left--;
        g = (cafe__tls_gen++ * 0x9E3779B9u) & CAFE__GEN_MASK;
    } while (__builtin_expect(g == 0, 0));
    return g;
}

/* The generation a struct takes when its task's handles go stale (handle.c). */
static inline uint32_t cafe__gen_renew(uint32_t gen) {
#if UINTPTR_MAX > 0xFFFFFFFFu
    (void)gen;
    return cafe__gen_next();
#else
    gen = (gen + 1u) & CAFE__GEN_MASK;
    return gen ? gen : 1u;
#endif
}

/* Back to the pool with a new generation: every handle of it goes stale. */
static inline void cafe__task_struct_put(cafe_loop_t *loop, cafe__task_t *t) {
    t->gen = cafe__gen_renew(t->gen);
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
