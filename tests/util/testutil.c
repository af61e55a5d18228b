#include "testutil.h"

#include <stdlib.h>
#include <time.h>

int test_run(cafe_task_fn fn, void *arg) {
    cafe_result_t res = {0, NULL};
    int rc = cafe_run(fn, arg, &res);
    assert_int_equal(rc, 0);
    return res.status;
}

uint64_t test_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int test_under_valgrind(void) {
    const char *v = getenv("CAFE_UNDER_VALGRIND");
    return v && *v == '1';
}
