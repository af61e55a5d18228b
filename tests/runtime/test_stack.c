/* The warm stack pool: a steady load keeps its stacks warm; a past peak is given back. */
#include "testutil.h"
#include "runtime/stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define N 300 /* well above CAFE__STACK_HOT_MAX */

static size_t dirty_free(const cafe__stacks_t *s) {
    size_t n = 0;
    for (const cafe__stack_t *st = s->free[0]; st; st = st->next_free)
        n += st->dirty;
    return n;
}

static void take_and_return(cafe__stacks_t *s, size_t n) {
    cafe__stack_t **st = calloc(n, sizeof(*st));
    assert_non_null(st);
    for (size_t i = 0; i < n; i++)
        assert_non_null(st[i] = cafe__stack_get(s, 16384));
    for (size_t i = 0; i < n; i++)
        cafe__stack_put(s, st[i]);
    free(st);
}

static void test_steady_load_stays_warm(void **state) {
    cafe__stacks_t s;
    cafe__stacks_init(&s);
    uint64_t now = 5000;
    /* N tasks at a time, turn after turn: none of their stacks is given back. */
    for (int turn = 0; turn < 10; turn++, now += 100) {
        take_and_return(&s, N);
        cafe__stacks_trim(&s, now);
        assert_int_equal(dirty_free(&s), N);
        assert_int_equal(s.hot[0], N);
    }
    /* Idle for two periods: back to the small hot cache. */
    cafe__stacks_trim(&s, now += CAFE__STACK_PEAK_MS);
    cafe__stacks_trim(&s, now += CAFE__STACK_PEAK_MS);
    assert_int_equal(dirty_free(&s), CAFE__STACK_HOT_MAX);
    assert_int_equal(s.hot[0], CAFE__STACK_HOT_MAX);
    cafe__stacks_close(&s);
}

/* Stacks of a size of which 64 would span more than CAFE__STACK_HOT_BYTES are kept warm only
 * while the recent peak may take them again: the pages a deep call touched in a 64 MiB stack
 * stayed resident for the loop's life, whatever its idle time. */
enum { BIG = 4, TOUCHED = 1u << 20 };

static size_t resident_pages(const char *lo, size_t len, size_t page) {
    unsigned char vec[TOUCHED / 4096];
    assert_true(len / page <= sizeof vec);
    assert_int_equal(mincore((void *)(uintptr_t)lo, len, vec), 0);
    size_t n = 0;
    for (size_t i = 0; i < len / page; i++)
        n += vec[i] & 1;
    return n;
}

static void test_big_idle_stacks_given_back(void **state) {
    cafe__stacks_t s;
    cafe__stacks_init(&s);
    uint64_t now = 5000;
    cafe__stack_t *st[BIG];
    for (int i = 0; i < BIG; i++) {
        assert_non_null(st[i] = cafe__stack_get(&s, CAFE_STACK_MAX));
        memset(st[i]->lo + st[i]->size - TOUCHED, 1, TOUCHED); /* a deep call's frames */
    }
    for (int i = 0; i < BIG; i++)
        cafe__stack_put(&s, st[i]);
    cafe__stacks_trim(&s, now);
    for (int i = 0; i < BIG; i++) /* the peak may come back: kept */
        assert_int_equal(resident_pages(st[i]->lo + st[i]->size - TOUCHED, TOUCHED, s.page),
                         TOUCHED / s.page);
    cafe__stacks_trim(&s, now += CAFE__STACK_PEAK_MS);
    cafe__stacks_trim(&s, now += CAFE__STACK_PEAK_MS);
    for (int i = 0; i < BIG; i++)
        assert_int_equal(resident_pages(st[i]->lo + st[i]->size - TOUCHED, TOUCHED, s.page), 0);
    assert_int_equal(s.hot[st[0]->cls], 0);
    cafe__stacks_close(&s);
}

/* Guard pages under kernels without MADV_GUARD_INSTALL (before Linux 6.13): each mprotect'ed
 * guard costs the process two mappings of its vm.max_map_count. Several loops at once (cafe
 * titles --threads) each kept within a quarter of the limit, and three of them took all of
 * it: nothing more could be mapped (a malloc of 1 MiB, a thread's stack, the next group of
 * stacks of a loop that still had guards: a spawn's CAFE_ENOMEM). The quarter is the whole
 * process's now: the allocators past it get canaries. */
static size_t max_map_count(void) {
    size_t v = 0;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%zu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

enum { ALLOCATORS = 3 };

static void test_mprotect_guards_bounded_per_process(void **state) {
    size_t max = max_map_count();
    if (max == 0 || max > 2 * 65530) /* a raised limit: the stacks to reach it cost too much */
        skip();
    /* Together more guards than the limit has mappings for, counted per allocator. */
    size_t n = test_under_valgrind() ? 200 : max / 6 + 64;
    cafe__stacks_t s[ALLOCATORS];
    cafe__stack_t **st = calloc(ALLOCATORS * n, sizeof(*st));
    assert_non_null(st);
    for (int a = 0; a < ALLOCATORS; a++) {
        cafe__stacks_init(&s[a]);
        s[a].guard_mode = CAFE__GUARD_MPROTECT; /* as where madvise refuses the guard */
        for (size_t i = 0; i < n; i++)
            assert_non_null(st[a * n + i] = cafe__stack_get(&s[a], CAFE_STACK_MIN));
    }
    /* What a thread's start maps: a stack with a guard page of its own (three mappings). */
    char *more =
        mmap(NULL, 3 * s[0].page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(more != MAP_FAILED);
    assert_int_equal(mprotect(more + s[0].page, s[0].page, PROT_NONE), 0);
    assert_int_equal(munmap(more, 3 * s[0].page), 0);
    for (int a = 0; a < ALLOCATORS; a++) {
        for (size_t i = 0; i < n; i++)
            cafe__stack_put(&s[a], st[a * n + i]);
        cafe__stacks_close(&s[a]);
    }
    free(st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_load_stays_warm),
        cmocka_unit_test(test_big_idle_stacks_given_back),
        cmocka_unit_test(test_mprotect_guards_bounded_per_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
