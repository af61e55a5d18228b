/* Task stacks: carved from group mappings, reused through per-size free lists.
 * See the policy in cafe.h (Tasks). One allocator per loop; not thread-safe. */
#ifndef CAFE_RUNTIME_STACK_H
#define CAFE_RUNTIME_STACK_H

#include <stddef.h>
#include <stdint.h>

#define CAFE__STACK_CLASSES 13           /* 16 KiB << 0..12, i.e. up to 64 MiB */
#define CAFE__STACK_HOT_MAX 64           /* idle stacks per class always kept with their pages... */
#define CAFE__STACK_HOT_BYTES (8u << 20) /* ... or fewer, when as many would span more */
#define CAFE__STACK_PEAK_MS 1000 /* how long a peak of stacks in use keeps its stacks warm */

typedef struct cafe__stack cafe__stack_t;
struct cafe__stack {
    char *lo;    /* lowest usable byte; the canary sits here */
    size_t size; /* usable bytes, excluding the guard page below lo */
    cafe__stack_t *next_free;
    unsigned vg_id; /* valgrind's id for the registered stack */
    uint8_t cls;
    uint8_t dirty;   /* pages may be resident (not given back since last use) */
    uint8_t guarded; /* a guard page sits below lo; the canary is then zero */
};

typedef struct cafe__stack_group cafe__stack_group_t;

enum cafe__guard_mode { CAFE__GUARD_MADVISE = 1, CAFE__GUARD_MPROTECT, CAFE__GUARD_CANARY };

typedef struct cafe__stacks {
    cafe__stack_t *free[CAFE__STACK_CLASSES];
    size_t hot[CAFE__STACK_CLASSES]; /* dirty stacks on each free list */
    /* Stacks in use, and the most in use during this and the previous period of
     * CAFE__STACK_PEAK_MS: the warm pool is sized to that recent peak (trim). */
    size_t in_use[CAFE__STACK_CLASSES];
    size_t peak[CAFE__STACK_CLASSES], peak_prev[CAFE__STACK_CLASSES];
    uint64_t period_start_ms;
    cafe__stack_group_t *groups;
    size_t page;
    int guard_mode;
    /* This allocator's mprotect guards; the budget bounds those of the whole process. */
    size_t mprotect_guards, mprotect_budget;
    uint64_t canary_seed;
} cafe__stacks_t;

void cafe__stacks_init(cafe__stacks_t *s);
/* Unmaps every group. Stacks still in use become invalid. */
void cafe__stacks_close(cafe__stacks_t *s);
/* A stack of at least `size` usable bytes with a fresh canary, or NULL (out of memory or
 * size too large). */
cafe__stack_t *cafe__stack_get(cafe__stacks_t *s, size_t size);
void cafe__stack_put(cafe__stacks_t *s, cafe__stack_t *st);
/* Gives back to the kernel the pages of idle stacks beyond what the recent peak of use (the
 * last one to two CAFE__STACK_PEAK_MS periods) may ask for again, keeping at least
 * CAFE__STACK_HOT_MAX per size (fewer of a size of which as many would span more than
 * CAFE__STACK_HOT_BYTES: none above 8 MiB). Called when the loop is about to block (now_ms: the
 * loop's clock), so bursts of short tasks never pay for it, and a steady load of N tasks keeps N
 * warm stacks: no madvise and no page faults per task. */
void cafe__stacks_trim(cafe__stacks_t *s, uint64_t now_ms);
/* Aborts the process with a message naming `who` if the stack's canary was overwritten. */
void cafe__stack_canary_check(const cafe__stacks_t *s, const cafe__stack_t *st, const char *who);
/* At every switch away from a task. Behind a guard page an overflow faults at once and is
 * reported by the SIGSEGV handler (overflow.c), so there is nothing to read: the canary sits
 * at the far end of the stack, a cold line and a TLB entry per switch. Only an unguarded stack
 * (guard mode "canary") has its canary checked. */
static inline void cafe__stack_check(const cafe__stacks_t *s, const cafe__stack_t *st,
                                     const char *who) {
    if (!st->guarded)
        cafe__stack_canary_check(s, st, who);
}
/* The guard policy in force, for tests and benchmarks: "madvise", "mprotect" or "canary". */
const char *cafe__stacks_guard_name(const cafe__stacks_t *s);

#endif
