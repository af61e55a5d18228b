/* The warm stack pool: a steady load keeps its stacks warm; a past peak is given back. */
#include "testutil.h"
#include "runtime/stack.h"

#include <stdlib.h>

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_load_stays_warm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
