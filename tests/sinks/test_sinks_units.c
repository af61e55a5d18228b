/* The database sinks' common half and the SQLite driver, through src/sinks/db.h, on real
 * database files. (PostgreSQL runs against a real server in test_pg.sh.) */
#include "testutil.h"

#include "db_driver.h"
#include "sink_db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/cafe-sinks-XXXXXX";

static char *path_of(const char *name) {
    static char buf[256];
    snprintf(buf, sizeof buf, "sqlite:%s/%s", dir, name);
    return buf;
}

/* A query's single integer or text answer, read with SQLite directly. */
static long long scalar(const char *spec, const char *sql, char *text, size_t n) {
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(spec + 7, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    long long v = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        if (text && sqlite3_column_text(st, 0))
            snprintf(text, n, "%s", sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static sink_row_t row(uint64_t seq, const char *url, const char *title) {
    return (sink_row_t){.seq = seq,
                        .url = url,
                        .title = title,
                        .status = 200,
                        .bytes = 10,
                        .time_ms = 3,
                        .attempts = 1,
                        .content_type = "text/html",
                        .charset_source = seq % 2 ? "meta" : NULL};
}

typedef struct job {
    const char *spec;
    int resume, n, failed;
    const char *why;
    size_t batch;
    int loaded;
} job_t;

static int count_done(void *arg, const char *url, size_t n, long status, const char *error) {
    (void)url;
    (void)n;
    (void)status;
    (void)error;
    ((job_t *)arg)->loaded++;
    return 0;
}

/* Opens, loads the done URLs, writes n rows u0..u(n-1) and closes. */
static int write_rows(void *arg, void **value) {
    job_t *j = arg;
    sink_db_t *db;
    sink_db_conf_t conf = {
        .spec = j->spec, .options = "[\"titles\"]", .resume = j->resume, .batch_rows = j->batch};
    int rc = sink_db_open(&db, &conf, &j->why);
    if (rc != 0)
        return rc;
    assert_int_equal(sink_db_load_done(db, count_done, j), 0);
    char url[64];
    for (int i = 0; i < j->n && rc == 0; i++) {
        snprintf(url, sizeof url, "http://h/%d", i);
        sink_row_t r = row((uint64_t)i, url, i % 2 ? "odd" : NULL);
        rc = sink_db_write(db, &r);
    }
    if (rc == 0)
        rc = sink_db_commit(db);
    int crc = sink_db_close(db, "done", &j->why);
    return rc ? rc : crc;
}

static void test_rows_runs_and_types(void **state) {
    (void)state;
    job_t j = {.spec = path_of("a.sqlite"), .n = 2500, .batch = 100};
    assert_int_equal(test_run(write_rows, &j), 0);
    assert_int_equal(scalar(j.spec, "SELECT count(*) FROM titles", NULL, 0), 2500);
    assert_int_equal(scalar(j.spec, "SELECT count(DISTINCT url) FROM titles", NULL, 0), 2500);
    assert_int_equal(scalar(j.spec,
                            "SELECT count(*) FROM titles WHERE typeof(status) = 'integer'"
                            " AND typeof(bytes) = 'integer' AND final_url IS NULL",
                            NULL, 0),
                     2500);
    assert_int_equal(scalar(j.spec, "SELECT count(*) FROM titles WHERE title IS NULL", NULL, 0),
                     1250);
    assert_int_equal(scalar(j.spec,
                            "SELECT count(*) FROM titles WHERE charset_source = 'meta'"
                            " AND seq % 2 = 1 OR charset_source IS NULL AND seq % 2 = 0",
                            NULL, 0),
                     2500);
    char mode[16];
    scalar(j.spec, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    char status[16];
    scalar(j.spec, "SELECT status FROM runs WHERE ended_at IS NOT NULL", status, sizeof status);
    assert_string_equal(status, "done");
    /* A second run is a new run: the same URLs again, in their own rows. */
    assert_int_equal(test_run(write_rows, &j), 0);
    assert_int_equal(scalar(j.spec, "SELECT count(*) FROM titles", NULL, 0), 5000);
    assert_int_equal(scalar(j.spec, "SELECT count(*) FROM runs", NULL, 0), 2);
}

static void test_resume_continues_the_run(void **state) {
    (void)state;
    job_t j = {.spec = path_of("b.sqlite"), .n = 300};
    assert_int_equal(test_run(write_rows, &j), 0);
    job_t k = {.spec = j.spec, .n = 500, .resume = 1};
    assert_int_equal(test_run(write_rows, &k), 0);
    assert_int_equal(k.loaded, 300);
    /* The 300 already there are skipped by the key, never doubled. */
    assert_int_equal(scalar(j.spec, "SELECT count(*) FROM titles", NULL, 0), 500);
    assert_int_equal(scalar(j.spec, "SELECT count(*) FROM runs", NULL, 0), 1);
}

static void test_wrong_columns_refused_untouched(void **state) {
    (void)state;
    job_t j = {.spec = path_of("c.sqlite"), .n = 1};
    sqlite3 *db;
    assert_int_equal(sqlite3_open(j.spec + 7, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE titles (url TEXT, status TEXT, mine BLOB)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(test_run(write_rows, &j), CAFE_EINVAL);
    assert_non_null(strstr(j.why, "run_id missing"));
    assert_non_null(strstr(j.why, "status is TEXT, not INTEGER"));
    assert_non_null(strstr(j.why, "charset_source missing"));
    assert_int_equal(scalar(j.spec, "SELECT count(*) FROM pragma_table_info('titles')", NULL, 0),
                     3);
}

/* A table of an older cafe, made before charset_source: the one column missing is named
 * with the statement that adds it (docs/databases.md gives it; the message did not). */
static void test_a_table_lacking_only_a_newer_column_is_told_how_to_add_it(void **state) {
    (void)state;
    job_t j = {.spec = path_of("old.sqlite"), .n = 1};
    assert_int_equal(test_run(write_rows, &j), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(j.spec + 7, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "ALTER TABLE titles DROP COLUMN charset_source", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(test_run(write_rows, &j), CAFE_EINVAL);
    assert_non_null(strstr(j.why, ": charset_source missing (add it: ALTER TABLE titles ADD "
                                  "COLUMN charset_source TEXT)"));
    /* with more wrong than that, no statement is offered */
    job_t k = {.spec = path_of("c2.sqlite"), .n = 1};
    assert_int_equal(sqlite3_open(k.spec + 7, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "CREATE TABLE titles (url TEXT, status TEXT)", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(test_run(write_rows, &k), CAFE_EINVAL);
    assert_null(strstr(k.why, "ALTER TABLE"));
}

static void test_read_only_file_fails_at_open(void **state) {
    (void)state;
    job_t j = {.spec = path_of("d.sqlite"), .n = 10};
    assert_int_equal(test_run(write_rows, &j), 0);
    const char *file = j.spec + 7;
    assert_int_equal(chmod(file, 0444), 0);
    if (access(file, W_OK) == 0) /* root writes anyway */
        return;
    assert_int_not_equal(test_run(write_rows, &j), 0);
    assert_non_null(j.why);
}

static void test_spec_recognition(void **state) {
    (void)state;
    assert_true(sink_db_is_spec("out.sqlite"));
    assert_true(sink_db_is_spec("x/out.db"));
    assert_true(sink_db_is_spec("sqlite:anything"));
    assert_true(sink_db_is_spec("postgresql://u@h/db?table=t"));
    assert_false(sink_db_is_spec("out.jsonl"));
    assert_false(sink_db_is_spec(".db"));
    /* a file name may hold a '?': the parameters are after it (serve's PATH.jobs too) */
    assert_int_equal(sink_db_sqlite_path_len("what?.sqlite"), 12);
    assert_int_equal(sink_db_sqlite_path_len("sqlite:a?b.db"), 6);
    assert_int_equal(sink_db_sqlite_path_len("sqlite:a?b.db?table=t"), 6);
    assert_int_equal(sink_db_sqlite_path_len("sqlite:a?b=c.db?table=t"), 8);
    assert_int_equal(sink_db_sqlite_path_len("SQLITE:x.db?mode=ro"), 4);
    job_t j = {.spec = "sqlite:/tmp/x.sqlite?table=no-dash", .n = 1};
    assert_int_equal(test_run(write_rows, &j), CAFE_EINVAL);
    assert_non_null(strstr(j.why, "table=NAME"));
    /* The results into cafe's runs table: made with their columns, then refused for not
     * having the runs' ("table runs has other columns than cafe's"), in a new database too. */
    for (size_t i = 0; i < 2; i++) {
        char own[300];
        snprintf(own, sizeof own, "%s?table=%s", path_of("own.sqlite"), i ? "RUN_resumes" : "runs");
        job_t named = {.spec = own, .n = 1};
        assert_int_equal(test_run(write_rows, &named), CAFE_EINVAL);
        assert_non_null(strstr(named.why, "cafe's own tables"));
    }
    /* Two tables named: neither is guessed (the last one used to be taken silently). */
    char spec[300];
    snprintf(spec, sizeof spec, "%s?table=a&table=b", path_of("twice.sqlite"));
    job_t twice = {.spec = spec, .n = 1};
    assert_int_equal(test_run(write_rows, &twice), CAFE_EINVAL);
    assert_non_null(strstr(twice.why, "more than once"));
    /* SQLite's path is a file's: a parameter other than table= made a file "mode.db?mode=ro" */
    snprintf(spec, sizeof spec, "%s?mode=ro&table=t", path_of("mode.db"));
    job_t mode = {.spec = spec, .n = 1};
    assert_int_equal(test_run(write_rows, &mode), CAFE_EINVAL);
    assert_non_null(strstr(mode.why, "no parameter but ?table=NAME"));
    struct stat st;
    assert_int_not_equal(stat(spec + 7, &st), 0); /* nothing made, by either name */
    assert_int_not_equal(stat(path_of("mode.db") + 7, &st), 0);
}

/* PostgreSQL before 12 failed at table creation with its own syntax error (the generated
 * column of the key); the server's version is checked first, and the message names it and
 * the one needed. A server that old cannot be run here (Debian 12 has 15): the check's
 * words are tested on its own, and test_pg.sh runs it against the real 15. */
static void test_pg_version_check(void **state) {
    (void)state;
    char why[SINK_WHY_MAX];
    assert_int_equal(sink_pg_version_check(150003, why), 0);
    assert_int_equal(sink_pg_version_check(120000, why), 0);
    assert_int_equal(sink_pg_version_check(0, why), 0); /* unknown: the server says */
    assert_int_equal(sink_pg_version_check(110022, why), CAFE_EINVAL);
    assert_string_equal(why, "the server is PostgreSQL 11.22: cafe needs PostgreSQL 12 or later "
                             "(its results table's key is on a generated column, url_sha256)");
    assert_int_equal(sink_pg_version_check(90624, why), CAFE_EINVAL);
    assert_non_null(strstr(why, "PostgreSQL 9.6.24: cafe needs PostgreSQL 12 or later"));
}

int main(void) {
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_runs_and_types),
        cmocka_unit_test(test_resume_continues_the_run),
        cmocka_unit_test(test_wrong_columns_refused_untouched),
        cmocka_unit_test(test_a_table_lacking_only_a_newer_column_is_told_how_to_add_it),
        cmocka_unit_test(test_read_only_file_fails_at_open),
        cmocka_unit_test(test_spec_recognition),
        cmocka_unit_test(test_pg_version_check),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
