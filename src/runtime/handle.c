/* Task structs and the handles that name them.
 *
 * Structs are pooled per loop and reused, so a pointer to one cannot tell an old task from
 * the new one in its place. A handle is therefore not a pointer: it packs the struct's slot
 * in loop->slots with the struct's generation, which is renewed each time the struct goes
 * back to the pool. Decoding checks both, so a stale handle (joined, released, or of another
 * loop) is refused with CAFE_EINVAL instead of acting on an unrelated task.
 *
 * Slots are per loop: slot 1 of every loop holds a struct. So that a handle kept from
 * another loop (an earlier cafe_run, a nested one, another thread's) does not name the struct
 * in the same slot here, every generation, a new struct's first and each reuse's, is the next
 * value of one process-wide sequence: no two structs, of any loops, hold the same generation
 * until the sequence comes round. (Generations counted up per struct, from starts spread over
 * the process by the golden ratio, came round early: the struct made 4181 structs after
 * another started 457,325 generations ahead of it, and a handle of the one, after that many
 * reuses, named the other's first task in a later loop.) Each thread draws the sequence in
 * blocks, so a draw is a thread-local increment, and an atomic add once per block.
 *
 * On 64-bit targets the slot takes the low 32 bits and the generation the high 32 (a handle
 * comes back only after 2^32 generations drawn in the process); on 32-bit ones 20 and 12, too
 * few for a sequence shared by every struct (with 4096 tasks taking turns, each reuse of a
 * struct would draw its last generation again), so there a struct counts its own up by one
 * from a first drawn from the sequence, spread by the golden ratio, and a handle comes back
 * after 4096 reuses of its struct. The generation is never 0, so no handle is NULL. The hot paths
 * are inline in handle.h. */
#include "runtime/handle.h"

#include <stdatomic.h>
#include <stdlib.h>

_Thread_local uint32_t cafe__tls_gen __attribute__((tls_model("initial-exec")));
_Thread_local uint32_t cafe__tls_gens_left __attribute__((tls_model("initial-exec")));

enum { GEN_BLOCK = 1024 }; /* generations a thread takes from the sequence at a time */

void cafe__gen_refill(void) {
    static atomic_uint sequence;
    cafe__tls_gen = atomic_fetch_add_explicit(&sequence, GEN_BLOCK, memory_order_relaxed);
    cafe__tls_gens_left = GEN_BLOCK;
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
    t->gen = cafe__gen_next();
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
