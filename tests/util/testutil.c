#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int test_run(cafe_task_fn fn, void *arg) {
    cafe_result_t res = {0, NULL};
    int rc = cafe_run(fn, arg, &res);
    assert_int_equal(rc, 0);
    return res.status;
}

const char *test_child_stderr(cafe_task_fn fn, void *arg, int *status) {
    static char buf[8192];
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        cafe_result_t r = {0, NULL};
        int rc = cafe_run(fn, arg, &r);
        _exit(rc != 0 ? 2 : r.status != 0 ? 3 : 0);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t k;
    while ((k = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    buf[n] = 0;
    close(fds[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (status)
        *status = st;
    return buf;
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

int test_utf8_valid(const char *s, size_t n) {
    return !memchr(s, 0, n) && cafe_utf8_valid(s, n);
}
