/* The warm stack pool: a steady load keeps its stacks warm; a past peak is given back. */
#include "testutil.h"
#include "runtime/stack.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_load_stays_warm),
        cmocka_unit_test(test_big_idle_stacks_given_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
