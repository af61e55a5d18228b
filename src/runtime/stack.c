/* Task stacks. A group is one anonymous mapping holding `n` slots; each slot is a guard page
 * followed by the usable stack (stacks grow down, towards the guard). Groups are never
 * unmapped before the loop is freed; the pages of idle stacks beyond a small hot cache are
 * handed back with MADV_DONTNEED, so an idle stack costs address space, not memory. */
#include "runtime/stack.h"
#include "runtime/asan.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13; older headers lack it */
#endif

#define GROUP_TARGET_BYTES (8u << 20)
#define GROUP_MAX_STACKS 64u

struct cafe__stack_group {
    cafe__stack_group_t *next;
    char *base;
    size_t bytes, n;
    cafe__stack_t stacks[];
};

static size_t class_size(int cls) {
    return (size_t)16384u << cls;
}

/* The smallest class that holds size, or -1: the bit length of (size - 1) / 16 KiB, read
 * without a loop over the classes (one a spawn). */
static int class_of(size_t size) {
    if (size <= class_size(0))
        return 0;
    int c = (int)(8 * sizeof(unsigned long long)) -
            __builtin_clzll((unsigned long long)((size - 1) / class_size(0)));
    return c < CAFE__STACK_CLASSES ? c : -1;
}

static size_t read_max_map_count(void) {
    size_t v = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        unsigned long x;
        if (fscanf(f, "%lu", &x) == 1)
            v = x;
        fclose(f);
    }
    return v;
}

void cafe__stacks_init(cafe__stacks_t *s) {
    *s = (cafe__stacks_t){0};
    s->page = (size_t)sysconf(_SC_PAGESIZE);
    s->guard_mode = CAFE__GUARD_MADVISE; /* demoted at the first group if the kernel says no */
    /* Each mprotect guard adds two mappings; leave half of the limit to everyone else (the
     * budget is the process's: see process_guards). */
    s->mprotect_budget = read_max_map_count() / 4;
    s->canary_seed = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)s;
}

/* The mprotect guards of every loop's stacks: vm.max_map_count bounds the process's
 * mappings, not a loop's. Counted per loop, four loops (cafe titles --threads 4 under a
 * kernel without MADV_GUARD_INSTALL) each stayed within a quarter of the limit and together
 * took all of it: every later mmap of the process failed (a malloc of 1 MiB, a thread's
 * stack, the next group of stacks). A stacks allocator adds its guards here and takes them
 * back when it is closed. */
static atomic_size_t process_guards;

/* 1 when an mprotect'ed page now guards the slot, 0 when the process's budget is spent or the
 * kernel refused. */
static int mprotect_guard(cafe__stacks_t *s, char *guard) {
    if (atomic_fetch_add_explicit(&process_guards, 1, memory_order_relaxed) < s->mprotect_budget &&
        mprotect(guard, s->page, PROT_NONE) == 0) {
        s->mprotect_guards++;
        return 1;
    }
    atomic_fetch_sub_explicit(&process_guards, 1, memory_order_relaxed);
    return 0;
}

/* Returns 1 when a guard page now protects the slot, 0 when only the canary will. */
static int guard_slot(cafe__stacks_t *s, char *guard) {
    if (s->guard_mode == CAFE__GUARD_MADVISE) {
        if (madvise(guard, s->page, MADV_GUARD_INSTALL) == 0)
            return 1;
        s->guard_mode = CAFE__GUARD_MPROTECT;
    }
    if (s->guard_mode == CAFE__GUARD_MPROTECT) {
        if (mprotect_guard(s, guard))
            return 1;
        s->guard_mode = CAFE__GUARD_CANARY;
    }
    return 0;
}

static int group_add(cafe__stacks_t *s, int cls) {
    size_t usable = class_size(cls), slot = usable + s->page;
    size_t n = GROUP_TARGET_BYTES / slot;
    if (n > GROUP_MAX_STACKS)
        n = GROUP_MAX_STACKS;
    if (n == 0)
        n = 1;
    cafe__stack_group_t *g = malloc(sizeof(*g) + n * sizeof(g->stacks[0]));
    if (!g)
        return -ENOMEM;
    g->bytes = n * slot;
    g->n = n;
    g->base = mmap(NULL, g->bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (g->base == MAP_FAILED) {
        free(g);
        return -ENOMEM;
    }
    for (size_t i = n; i-- > 0;) {
        char *guard = g->base + i * slot;
        cafe__stack_t *st = &g->stacks[i];
        st->guarded = (uint8_t)guard_slot(s, guard);
        st->lo = guard + s->page;
        st->size = usable;
        st->cls = (uint8_t)cls;
        st->dirty = 0;
        st->vg_id = VALGRIND_STACK_REGISTER(st->lo, st->lo + usable);
        st->next_free = s->free[cls];
        s->free[cls] = st;
    }
    g->next = s->groups;
    s->groups = g;
    return 0;
}

/* Behind a guard page there is no canary to check (stack.h, cafe__stack_check): the stack's
 * lowest page is never touched, so it stays unallocated and a sleeping task costs one page,
 * not two. Without a guard the canary is the only protection: a random value, written at
 * every get, at the price of that page. */
static uint64_t canary_of(const cafe__stacks_t *s, const cafe__stack_t *st) {
    return s->canary_seed ^ (uint64_t)(uintptr_t)st->lo;
}

cafe__stack_t *cafe__stack_get(cafe__stacks_t *s, size_t size) {
    int cls = class_of(size);
    if (cls < 0)
        return NULL;
    if (!s->free[cls] && group_add(s, cls) != 0)
        return NULL;
    cafe__stack_t *st = s->free[cls];
    s->free[cls] = st->next_free;
    if (st->dirty)
        s->hot[cls]--;
    if (++s->in_use[cls] > s->peak[cls])
        s->peak[cls] = s->in_use[cls];
    st->next_free = NULL;
    st->dirty = 1;
    if (!st->guarded)
        *(uint64_t *)(void *)st->lo = canary_of(s, st);
    return st;
}

void cafe__stack_put(cafe__stacks_t *s, cafe__stack_t *st) {
    /* No syscall here: a burst of short tasks must not pay madvise plus a page fault per
     * task. cafe__stacks_trim gives the surplus back when the loop goes idle. */
    s->hot[st->cls]++;
    s->in_use[st->cls]--;
    st->next_free = s->free[st->cls];
    s->free[st->cls] = st;
}

/* The idle stacks of cls kept warm whatever the load: a count alone kept 64 stacks of 64 MiB
 * with every page their deepest call touched, gigabytes held by a loop gone idle. */
static size_t hot_floor(int cls) {
    size_t n = CAFE__STACK_HOT_BYTES / class_size(cls);
    return n < CAFE__STACK_HOT_MAX ? n : CAFE__STACK_HOT_MAX;
}

/* How many idle stacks of cls to keep warm: as many as the recent peak may take again. */
static size_t warm_target(const cafe__stacks_t *s, int cls) {
    size_t peak = s->peak[cls] > s->peak_prev[cls] ? s->peak[cls] : s->peak_prev[cls];
    size_t want = peak > s->in_use[cls] ? peak - s->in_use[cls] : 0;
    size_t floor = hot_floor(cls);
    return want > floor ? want : floor;
}

void cafe__stacks_trim(cafe__stacks_t *s, uint64_t now_ms) {
    if (now_ms - s->period_start_ms >= CAFE__STACK_PEAK_MS) {
        for (int cls = 0; cls < CAFE__STACK_CLASSES; cls++) {
            s->peak_prev[cls] = s->peak[cls];
            s->peak[cls] = s->in_use[cls];
        }
        s->period_start_ms = now_ms;
    }
    for (int cls = 0; cls < CAFE__STACK_CLASSES; cls++) {
        size_t target = warm_target(s, cls), keep = target;
        /* The free list is LIFO, so the dirty stacks sit near its head. */
        for (cafe__stack_t *st = s->free[cls]; st && s->hot[cls] > target; st = st->next_free) {
            if (!st->dirty)
                continue;
            if (keep > 0) {
                keep--;
                continue;
            }
            madvise(st->lo, st->size, MADV_DONTNEED);
            st->dirty = 0;
            s->hot[cls]--;
        }
    }
}

void cafe__stack_canary_check(const cafe__stacks_t *s, const cafe__stack_t *st, const char *who) {
    if (*(const uint64_t *)(const void *)st->lo == canary_of(s, st))
        return;
    fprintf(stderr,
            "cafe: stack overflow in task %s (stack of %zu bytes): raise its stack_size "
            "(cafe_task_opts_t) or the loop's default\n",
            who ? who : "(unnamed)", st->size);
    abort();
}

void cafe__stacks_close(cafe__stacks_t *s) {
    cafe__stack_group_t *g = s->groups;
    while (g) {
        cafe__stack_group_t *next = g->next;
        for (size_t i = 0; i < g->n; i++)
            VALGRIND_STACK_DEREGISTER(g->stacks[i].vg_id);
        cafe__asan_unpoison(g->base, g->bytes);
        munmap(g->base, g->bytes);
        free(g);
        g = next;
    }
    s->groups = NULL;
    atomic_fetch_sub_explicit(&process_guards, s->mprotect_guards, memory_order_relaxed);
    s->mprotect_guards = 0;
}

const char *cafe__stacks_guard_name(const cafe__stacks_t *s) {
    switch (s->guard_mode) {
    case CAFE__GUARD_MADVISE:
        return "madvise";
    case CAFE__GUARD_MPROTECT:
        return "mprotect";
    default:
        return "canary";
    }
}
