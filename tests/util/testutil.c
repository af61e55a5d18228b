#include "testutil.h"
#include "runtime/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The loops failed cases left behind: kept reachable (leak checkers would report their memory
 * lost), never freed (their stacks hold frames nothing will return to). */
static cafe_loop_t *left_behind[64];
static size_t n_left_behind;

int test_case_setup(void **state) {
    (void)state;
    cafe_loop_t *loop = cafe__tls_loop;
    if (!loop)
        return 0;
    fprintf(stderr, "testutil: the case before failed inside a running loop, left behind\n");
    if (n_left_behind < sizeof left_behind / sizeof *left_behind)
        left_behind[n_left_behind++] = loop;
    cafe__tls_loop = NULL;
    return 0;
}

int test_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
                   CMFixtureFunction group_setup, CMFixtureFunction group_teardown) {
    struct CMUnitTest *cases = calloc(n ? n : 1, sizeof *cases);
    if (!cases) {
        fprintf(stderr, "testutil: %s: out of memory\n", name);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        cases[i] = tests[i];
        if (cases[i].setup_func) {
            fprintf(stderr,
                    "testutil: %s: case %s has a setup of its own, which "
                    "test_run_group would replace: teach it to run both\n",
                    name, cases[i].name);
            free(cases);
            return 1;
        }
        cases[i].setup_func = test_case_setup;
    }
    int failed = _cmocka_run_group_tests(name, cases, n, group_setup, group_teardown);
    free(cases);
    return failed;
}

int test_run(cafe_task_fn fn, void *arg) {
    cafe_result_t res = {0, NULL};
    int rc = cafe_run(fn, arg, &res);
    assert_int_equal(rc, 0);
    return res.status;
}

const char *test_child_stderr(cafe_task_fn fn, void *arg, int *status) {
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
    return test_child_output(fds[0], pid, status);
}

const char *test_child_output(int fd, pid_t pid, int *status) {
    static char buf[8192];
    size_t n = 0;
    ssize_t k;
    while ((k = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    buf[n] = 0;
    close(fd);
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

int test_heap_measured(void) {
#if defined(__SANITIZE_ADDRESS__)
    return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 0;
#endif
#endif
    return !test_under_valgrind();
}

int test_utf8_valid(const char *s, size_t n) {
    return !memchr(s, 0, n) && cafe_utf8_valid(s, n);
}

char *test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n + 4096 + 1 > cap) {
            cap = (n + 4096 + 1) * 2;
            char *b = realloc(buf, cap);
            assert_non_null(b);
            buf = b;
        }
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    assert_int_equal(ferror(f), 0);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void test_man_region(const char *begin_mark, const char *end_mark, const char *want,
                     const char *test) {
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/cafe.1", getenv("CAFE_SOURCE_DIR"));
    char *page = test_read_file(path, NULL);
    assert_non_null(page);
    char *begin = strstr(page, begin_mark), *end = begin ? strstr(begin, end_mark) : NULL;
    assert_non_null(begin);
    assert_non_null(end);
    end = strchr(end, '\n');
    assert_non_null(end);
    end++;
    if (getenv("CAFE_WRITE_MAN")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fprintf(f, "%.*s%s%s", (int)(begin - page), page, want, end);
        assert_int_equal(fclose(f), 0);
    } else {
        size_t have = (size_t)(end - begin);
        if (have != strlen(want) || memcmp(begin, want, have) != 0)
            fail_msg("docs/cafe.1's region \"%s\" differs from its table: run "
                     "CAFE_WRITE_MAN=1 CAFE_SOURCE_DIR=%s build/tests/%s",
                     begin_mark, getenv("CAFE_SOURCE_DIR"), test);
    }
    free(page);
}
