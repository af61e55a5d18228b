/* Task structs and the handles that name them.
 *
 * Structs are pooled per loop and reused, so a pointer to one cannot tell an old task from
 * the new one in its place. A handle is therefore not a pointer: it packs the struct's slot
 * in loop->slots with the struct's generation, which is bumped each time the struct goes
 * back to the pool. Decoding checks both, so a stale handle (joined, released, or of another
 * loop) is refused with CAFE_EINVAL instead of acting on an unrelated task.
 *
 * On 64-bit targets the slot takes the low 32 bits and the generation the high 32 (a handle
 * comes back only after 2^32 reuses of one struct); on 32-bit ones 20 and 12. The
 * generation is never 0, so no handle is NULL. */
#include "runtime/internal.h"

#include <stdlib.h>

#if UINTPTR_MAX > 0xFFFFFFFFu
#define INDEX_BITS 32u
#else
#define INDEX_BITS 20u
#endif
#define INDEX_MASK (((uintptr_t)1 << INDEX_BITS) - 1u)
#define GEN_MASK ((uint32_t)(UINTPTR_MAX >> INDEX_BITS))

static int slot_add(cafe_loop_t *loop, cafe__task_t *t) {
    if (loop->nslots == loop->slots_cap) {
        size_t cap = loop->slots_cap ? loop->slots_cap * 2 : 64;
        if (cap - 1 > INDEX_MASK)
            return CAFE_ENOMEM;
        cafe__task_t **slots = realloc(loop->slots, cap * sizeof(*slots));
        if (!slots)
            return CAFE_ENOMEM;
        loop->slots = slots;
        loop->slots_cap = cap;
    }
    t->index = (uint32_t)loop->nslots;
    loop->slots[loop->nslots++] = t;
    return 0;
}

cafe__task_t *cafe__task_struct_get(cafe_loop_t *loop) {
    cafe__task_t *t = loop->pool_head;
    if (t) {
        loop->pool_head = t->pool_next;
        if (!loop->pool_head)
            loop->pool_tail = NULL;
        return t;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (slot_add(loop, t) != 0) {
        free(t);
        return NULL;
    }
    t->gen = 1;
    uv_timer_init(&loop->uv, &t->timer);
    t->all_next = loop->all;
    loop->all = t;
    return t;
}

/* FIFO reuse spreads the reuses of structs, so a generation comes around as late as
 * possible. */
void cafe__task_struct_put(cafe_loop_t *loop, cafe__task_t *t) {
    t->gen = (t->gen + 1u) & GEN_MASK;
    if (t->gen == 0)
        t->gen = 1;
    t->pool_next = NULL;
    if (loop->pool_tail)
        loop->pool_tail->pool_next = t;
    else
        loop->pool_head = t;
    loop->pool_tail = t;
}

cafe_task_t *cafe__task_handle(const cafe__task_t *t) {
    return (cafe_task_t *)(((uintptr_t)t->gen << INDEX_BITS) | t->index);
}

cafe__task_t *cafe__task_from(cafe_task_t *h) {
    cafe_loop_t *loop = cafe__loop_tls();
    uintptr_t v = (uintptr_t)h;
    if (!loop || !h || (v & INDEX_MASK) >= loop->nslots)
        return NULL;
    cafe__task_t *t = loop->slots[v & INDEX_MASK];
    return t->gen == (uint32_t)(v >> INDEX_BITS) ? t : NULL;
}

static void free_struct(uv_handle_t *h) {
    free(h->data);
}

void cafe__task_free_all(cafe_loop_t *loop) {
    cafe__task_t *t = loop->all;
    while (t) {
        cafe__task_t *next = t->all_next;
        t->timer.data = t;
        uv_close((uv_handle_t *)&t->timer, free_struct);
        t = next;
    }
    free(loop->slots);
    loop->slots = NULL;
    loop->nslots = loop->slots_cap = 0;
    loop->all = loop->handles = loop->pool_head = loop->pool_tail = NULL;
}
