/* The sink seam: one column list for every format, and the stream sink's contract (settled in
 * order, written only once handed to the kernel, resumable, errors returned). */
#include "testutil.h"
#include "format.h"
#include "stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static record_t sample(uint64_t seq) {
    record_t r = {.seq = seq, .status = 200, .bytes = 1234, .time_ms = 56, .attempts = 2};
    char url[64];
    snprintf(url, sizeof url, "http://h/%llu", (unsigned long long)seq);
    r.url = strdup(url);
    r.final_url = strdup(url);
    r.title = strdup("T, \"quoted\"");
    r.content_type = strdup("text/html");
    r.charset = strdup("UTF-8");
    return r;
}

static char *render(record_format_t fmt, const record_t *r, int header) {
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    assert_non_null(m);
    if (header)
        assert_int_equal(format_header(m, fmt), 0);
    assert_int_equal(format_record(m, fmt, r), 0);
    assert_int_equal(fclose(m), 0);
    return buf;
}

/* The CSV header, the JSON keys and the reader all follow record_columns. */
static void test_one_column_list(void **state) {
    record_t r = sample(0);
    char *csv = render(RECORD_FMT_CSV, &r, 1);
    char header[512] = "";
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++) {
        strcat(header, record_columns[i].name);
        strcat(header, i + 1 < RECORD_NCOLUMNS ? "," : "\r\n");
    }
    assert_memory_equal(csv, header, strlen(header));
    free(csv);
    char *json = render(RECORD_FMT_JSON, &r, 0);
    const char *p = json;
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++) {
        char key[64];
        snprintf(key, sizeof key, "\"%s\":", record_columns[i].name);
        const char *at = strstr(p, key);
        assert_non_null(at); /* present, and after the previous column */
        p = at + strlen(key);
    }
    assert_string_equal(record_columns[RECORD_COL_ERROR].name, "error");
    record_t back;
    assert_int_equal(format_parse_json(json, strlen(json) - 1, &back), 0);
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++) {
        unsigned long long a, b;
        if (record_columns[i].type == RECORD_COL_TEXT) {
            const char *x = record_text(&r, i), *y = record_text(&back, i);
            assert_true((x == NULL) == (y == NULL));
            if (x)
                assert_string_equal(x, y);
        } else {
            assert_int_equal(record_number(&r, i, &a), record_number(&back, i, &b));
            assert_int_equal(a, b);
        }
    }
    record_clear(&back);
    free(json);
    record_clear(&r);
}

/* Read back from JSON Lines, a record that is no failure (a reason for no title, status under
 * 400) stays no failure; any other message with no status over 400 is one. */
static void test_reasons_read_back(void **state) {
    (void)state;
    static const char *const lines[] = {
        "{\"url\":\"http://a/\",\"status\":200,\"error\":\"not HTML (image/png)\"}",
        "{\"url\":\"http://a/\",\"status\":200,\"error\":\"body cut at --max-bytes 9 before "
        "any title\"}",
        "{\"url\":\"http://a/\",\"status\":200,\"error\":\"not well-formed XML (line 2, "
        "column 17: mismatched tag)\"}",
        "{\"url\":\"http://a/\",\"status\":200,\"error\":\"connection lost\"}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        record_t r;
        assert_int_equal(format_parse_json(lines[i], strlen(lines[i]), &r), 0);
        assert_int_equal(record_failed(&r), i == 3);
        record_clear(&r);
    }
}

typedef struct tally {
    uint64_t seqs[16];
    size_t written, lost;
} tally_t;

static void on_settled(void *ctx, const record_receipt_t *r, size_t n, int written) {
    tally_t *t = ctx;
    for (size_t i = 0; i < n; i++) {
        if (written)
            t->seqs[t->written++] = r[i].seq;
        else
            t->lost++;
    }
}

typedef struct stream_case {
    const char *path;
    record_format_t fmt;
    int append;
    tally_t tally;
    long resumed;
    keyset_t done;
    int write_rc, finish_rc;
} stream_case_t;

/* One run of a stream sink over path: resume (when appending), start, three records. */
static int stream_task(void *arg, void **value) {
    stream_case_t *c = arg;
    sink_t *s;
    assert_int_equal(sink_stream_open(&s, c->path, c->fmt, c->append), 0);
    s->listener = (sink_listener_t){.ctx = &c->tally, .settled = on_settled};
    if (c->append)
        c->resumed = sink_load_done(s, &c->done);
    assert_int_equal(sink_start(s), 0);
    for (uint64_t seq = 0; seq < 3 && c->write_rc == 0; seq++) {
        record_t r = sample(seq + (c->append ? 3 : 0));
        c->write_rc = sink_write(s, &r);
        record_clear(&r);
    }
    c->finish_rc = sink_finish(s);
    sink_close(s);
    return 0;
}

static void test_stream_settles_in_order_and_resumes(void **state) {
    char path[] = "/tmp/cafe-sink-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    stream_case_t first = {.path = path, .fmt = RECORD_FMT_CSV};
    assert_int_equal(test_run(stream_task, &first), 0);
    assert_int_equal(first.write_rc, 0);
    assert_int_equal(first.finish_rc, 0);
    assert_int_equal(first.tally.written, 3);
    for (uint64_t i = 0; i < 3; i++)
        assert_int_equal(first.tally.seqs[i], i);
    /* Appending: the three are found, the header is not written again. */
    stream_case_t second = {.path = path, .fmt = RECORD_FMT_CSV, .append = 1};
    assert_int_equal(test_run(stream_task, &second), 0);
    assert_int_equal(second.resumed, 3);
    assert_true(keyset_has(&second.done, "http://h/2", 10));
    assert_int_equal(second.tally.written, 3);
    FILE *f = fopen(path, "r");
    char line[512];
    int lines = 0, headers = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        headers += strncmp(line, "url,", 4) == 0;
    }
    fclose(f);
    assert_int_equal(lines, 7);
    assert_int_equal(headers, 1);
    keyset_free(&second.done);
    unlink(path);
}

/* A full disk: the failure comes back from a write or from finish (the bytes may leave after
 * write returned), and nothing is settled as written. */
static void test_stream_error_is_returned(void **state) {
    if (access("/dev/full", W_OK) != 0)
        skip();
    stream_case_t c = {.path = "/dev/full", .fmt = RECORD_FMT_JSON};
    assert_int_equal(test_run(stream_task, &c), 0);
    assert_true(c.write_rc == -ENOSPC || (c.write_rc == 0 && c.finish_rc == -ENOSPC));
    assert_int_equal(c.tally.written, 0);
}

/* Text fields kept in the record's store stay valid while it grows, mixed with malloc'd ones;
 * its memory goes to a spare and back. */
static void test_record_store(void **state) {
    (void)state;
    record_t r = {0};
    char big[5000]; /* over the 4096 bytes a spare keeps */
    memset(big, 'x', sizeof big);
    r.url = record_keep(&r, "http://a/", 9);
    r.final_url = strdup("http://b/");          /* malloc'd: freed on its own */
    r.title = record_keep(&r, big, sizeof big); /* grows the store past its first size */
    assert_non_null(r.url);
    assert_non_null(r.title);
    assert_string_equal(r.url, "http://a/");
    assert_int_equal(strlen(r.title), sizeof big);
    record_fail(&r, CAFE_ENOMEM, "out of %s", "memory");
    record_fail(&r, CAFE_EINVAL, "bad %d", 1); /* replaces a kept message */
    assert_string_equal(r.error_msg, "bad 1");
    assert_int_equal(record_set_text(&r, 1, "http://c/"), 0); /* replaces a malloc'd one */
    assert_string_equal(r.final_url, "http://c/");
    assert_string_equal(r.url, "http://a/");
    record_store_t spare = {0};
    record_clear_keep(&r, &spare);
    assert_null(r.url);
    assert_null(spare.p); /* over the size kept: freed */
    r.url = record_keep(&r, "http://d/", 9);
    record_clear_keep(&r, &spare);
    assert_non_null(spare.p);
    assert_int_equal(spare.len, 0);
    r = (record_t){.store = spare};
    r.url = record_keep(&r, "http://e/", 9);
    assert_ptr_equal(r.url, spare.p); /* the same memory, no allocation */
    record_clear(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_column_list),
        cmocka_unit_test(test_reasons_read_back),
        cmocka_unit_test(test_stream_settles_in_order_and_resumes),
        cmocka_unit_test(test_stream_error_is_returned),
        cmocka_unit_test(test_record_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
