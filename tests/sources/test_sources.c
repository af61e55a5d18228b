/* The file source behind the source interface: lines trimmed, blanks and comments skipped,
 * over-long lines reported, the count known up front for a regular file only. */
#include "testutil.h"
#include "source.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct file_case {
    const char *path;
    char lines[8][64];
    int n, too_long, end_rc;
    int no_count; /* leave source_count (a pool thread) out */
    long count;
} file_case_t;

static int read_task(void *arg, void **value) {
    file_case_t *c = arg;
    source_t *s;
    assert_int_equal(source_file_open(&s, c->path), 0);
    assert_int_equal(source_start(s), 0);
    c->count = c->no_count ? -1 : source_count(s);
    const char *line;
    size_t len;
    uint64_t ref;
    int rc;
    while ((rc = source_next(s, &line, &len, &ref)) > 0) {
        assert_int_equal(ref, 0); /* a file needs no marks */
        if (rc == SOURCE_TOO_LONG) {
            c->too_long++;
            continue;
        }
        if (c->n < 8) { /* the first lines kept, all counted */
            assert_true(len < 64);
            memcpy(c->lines[c->n], line, len);
            c->lines[c->n][len] = 0;
        }
        c->n++;
    }
    c->end_rc = rc;
    source_finish(s);
    source_close(s);
    return 0;
}

static void test_file_source(void **state) {
    char path[] = "/tmp/cafe-source-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("  http://a/1  \n\n# comment\nb.example/2\r\n", f);
    for (int i = 0; i < 9000; i++) /* over the line limit */
        fputc('x', f);
    fputs("\nhttp://c/3", f); /* no final newline */
    fclose(f);
    file_case_t c = {.path = path};
    assert_int_equal(test_run(read_task, &c), 0);
    assert_int_equal(c.end_rc, 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.lines[0], "http://a/1");
    assert_string_equal(c.lines[1], "b.example/2");
    assert_string_equal(c.lines[2], "http://c/3");
    assert_int_equal(c.too_long, 1);
    assert_int_equal(c.count, 4); /* the over-long line is a line too */
    unlink(path);
}

static int thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A regular file is read on the loop's thread: no pool thread is started for it, so the
 * process stays single-threaded (glibc's fast paths). Runs first: nothing else in this
 * process has started the pool yet (its threads would stay). Over 64 KiB, so the reader refills
 * several times. */
static void test_regular_file_read_on_loop_thread(void **state) {
    char path[] = "/tmp/cafe-source-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 10000; i++)
        fprintf(f, "http://127.0.0.1/page/%d\n", i);
    fclose(f);
    int before = thread_count(); /* 1, or more under a sanitizer's own threads */
    file_case_t c = {.path = path, .no_count = 1};
    assert_int_equal(test_run(read_task, &c), 0);
    assert_int_equal(c.end_rc, 0);
    assert_int_equal(c.n, 10000);
    assert_string_equal(c.lines[7], "http://127.0.0.1/page/7");
    assert_int_equal(thread_count(), before);
    unlink(path);
}

/* Lines ended by CR alone, by CR LF, and a CR LF split between two reads of the buffer:
 * each line once, over several refills (the search for an LF resumes where it found none). */
static void test_cr_line_ends_over_refills(void **state) {
    char path[] = "/tmp/cafe-source-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 10000; i++)
        fprintf(f, "http://127.0.0.1/page/%d%s", i, i % 3 ? "\r" : "\r\n");
    fclose(f);
    file_case_t c = {.path = path};
    assert_int_equal(test_run(read_task, &c), 0);
    assert_int_equal(c.end_rc, 0);
    assert_int_equal(c.n, 10000);
    assert_int_equal(c.count, 10000);
    assert_string_equal(c.lines[7], "http://127.0.0.1/page/7");
    unlink(path);
}

static void test_missing_file(void **state) {
    source_t *s = NULL;
    assert_true(source_file_open(&s, "/nonexistent/cafe-urls") < 0);
    assert_null(s);
    source_close(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_file_read_on_loop_thread),
        cmocka_unit_test(test_file_source),
        cmocka_unit_test(test_cr_line_ends_over_refills),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
