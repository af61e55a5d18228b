/* Task structs and the handles that name them.
 *
 * Structs are pooled per loop and reused, so a pointer to one cannot tell an old task from
 * the new one in its place. A handle is therefore not a pointer: it packs the struct's slot
 * in loop->slots with the struct's generation, which is bumped each time the struct goes
 * back to the pool. Decoding checks both, so a stale handle (joined, released, or of another
 * loop) is refused with CAFE_EINVAL instead of acting on an unrelated task.
 *
 * Slots are per loop: slot 1 of every loop holds a struct. So that a handle kept from
 * another loop (an earlier cafe_run, a nested one) does not name the struct in the same slot
 * here, a new struct's first generation is the next point of a process-wide sequence spaced
 * by the golden ratio, far from every other struct's: a clash would take one of them reused
 * as many times as the distance between the two.
 *
 * On 64-bit targets the slot takes the low 32 bits and the generation the high 32 (a handle
 * comes back only after 2^32 reuses of one struct); on 32-bit ones 20 and 12. The
 * generation is never 0, so no handle is NULL. The hot paths are inline in handle.h. */
#include "runtime/handle.h"

#include <stdatomic.h>
#include <stdlib.h>

/* The first generation of a new struct (never 0). Atomic: loops run on several threads. */
static uint32_t first_gen(void) {
    static atomic_uint next;
    uint32_t gen = (uint32_t)(atomic_fetch_add(&next, 1u) * 0x9E3779B9u) & CAFE__GEN_MASK;
    return gen ? gen : 1;
}

static int slot_add(cafe_loop_t *loop, cafe__task_t *t) {
    if (loop->nslots == loop->slots_cap) {
        size_t cap = loop->slots_cap ? loop->slots_cap * 2 : 64;
        if (cap - 1 > CAFE__INDEX_MASK)
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

cafe__task_t *cafe__task_struct_new(cafe_loop_t *loop) {
    cafe__task_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (slot_add(loop, t) != 0) {
        free(t);
        return NULL;
    }
    t->gen = first_gen();
    uv_timer_init(&loop->uv, &t->timer);
    t->all_next = loop->all;
    loop->all = t;
    return t;
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
