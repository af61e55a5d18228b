/* Cancellation of an HTTP request in the middle of its transfer, with and without a shield
 * (issue 12), against the fixture's /trickle page: headers at once, then one body byte per
 * interval. on_body signals the first byte; the requesting task is cancelled then, so the
 * cancel always lands mid-transfer. And while waiting for the response head, against a
 * loopback server of the test's own that signals when it has read the request. Leaks and a loop
 * that does not close cleanly are caught by test_run and the memcheck entry. */
#include "testutil.h"
#include "fixture_proc.h"

typedef struct job {
    const char *url;
    int shield;
    cafe_event_t first_byte;
    cafe_event_t *ready; /* the cancel comes when it is set: first_byte by default */
    size_t bytes;
    cafe_http_result_t res;
    int rc, end, later;
} job_t;

/* On the loop's stack: must not suspend (cafe_event_set does not). */
static int on_body(void *arg, const cafe_http_result_t *res, const char *data, size_t len) {
    job_t *j = arg;
    j->bytes += len;
    cafe_event_set(&j->first_byte);
    return 0;
}

static int request(void *arg, void **value) {
    job_t *j = arg;
    cafe_http_opts_t o = {.on_body = on_body, .body_arg = j, .attempts = 1};
    cafe_shield_t s;
    if (j->shield)
        assert_int_equal(cafe_shield_begin(&s), 0);
    j->rc = cafe_http_request(j->url, &o, &j->res);
    j->end = j->shield ? cafe_shield_end(&s) : 0;
    j->later = cafe_task_sleep(0); /* the cancellation sticks */
    return 0;
}

static int cancel_main(void *arg, void **value) {
    job_t *j = arg;
    cafe_event_init(&j->first_byte);
    cafe_task_t *t;
    assert_int_equal(cafe_task_spawn(&t, request, j, NULL), 0);
    assert_int_equal(cafe_event_wait(j->ready ? j->ready : &j->first_byte), 0);
    assert_int_equal(cafe_task_cancel(t), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, 0);
    return 0;
}

/* Without a shield: the request returns CAFE_ECANCELED at once, not after the 1000 bytes
 * (20 s) the page would take. */
static void test_cancel_mid_transfer(void **state) {
    char url[256];
    job_t j = {.url = fixture_url(url, sizeof url, *state, 0, "/trickle/1000?interval=20")};
    assert_int_equal(test_run(cancel_main, &j), 0);
    assert_int_equal(j.rc, CAFE_ECANCELED);
    assert_int_equal(j.res.error, CAFE_ECANCELED);
    assert_true(j.bytes >= 1 && j.bytes < 1000);
    /* What arrived is counted, as when the request's own timeout_ms ends it (http.h): it
     * was 0, though on_body had the bytes and res the response's status. */
    assert_int_equal(j.res.status, 200);
    assert_int_equal(j.res.body_bytes, j.bytes);
    assert_int_equal(j.later, CAFE_ECANCELED);
    cafe_http_result_free(&j.res);
}

/* In a shield: the transfer completes with every byte, then shield_end reports the cancel. */
static void test_shielded_request_completes(void **state) {
    char url[256];
    job_t j = {.url = fixture_url(url, sizeof url, *state, 0, "/trickle/5?interval=50"),
               .shield = 1};
    assert_int_equal(test_run(cancel_main, &j), 0);
    assert_int_equal(j.rc, 0);
    assert_int_equal(j.res.status, 200);
    assert_int_equal(j.bytes, 5);
    assert_int_equal(j.end, CAFE_ECANCELED);
    assert_int_equal(j.later, CAFE_ECANCELED);
    cafe_http_result_free(&j.res);
}

/* ---- cancelled while waiting for the response head ---- */
typedef struct head_server {
    cafe_tcp_t lis;
    cafe_event_t asked, answer; /* the request was read; main lets it answer */
    job_t job;
} head_server_t;

static int answer_after_cancel(void *arg, void **value) {
    head_server_t *hs = arg;
    cafe_tcp_t c;
    char head[4096];
    assert_int_equal(cafe_tcp_accept(&hs->lis, &c), 0);
    int n = cafe_tcp_read_until(&c, head, sizeof head, "\r\n\r\n", 4);
    assert_true(n > 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0);
    cafe_event_set(&hs->asked);
    assert_int_equal(cafe_event_wait(&hs->answer), 0);
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                               "Connection: close\r\n\r\nok";
    int rc = cafe_tcp_write(&c, resp, sizeof resp - 1); /* EPIPE, ECONNRESET once cancelled */
    assert_true(rc == 0 || rc == CAFE_EPIPE || rc == CAFE_ECONNRESET);
    cafe_tcp_close(&c);
    return 0;
}

static int head_main(void *arg, void **value) {
    head_server_t *hs = arg;
    char url[64];
    cafe_event_init(&hs->asked);
    cafe_event_init(&hs->answer);
    assert_int_equal(cafe_tcp_listen(&hs->lis, "127.0.0.1", 0, 0), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", cafe_tcp_port(&hs->lis));
    hs->job.url = url;
    hs->job.ready = &hs->asked;
    cafe_task_t *srv, *cancel;
    assert_int_equal(cafe_task_spawn(&srv, answer_after_cancel, hs, NULL), 0);
    assert_int_equal(cafe_task_spawn(&cancel, cancel_main, &hs->job, NULL), 0);
    assert_int_equal(cafe_event_wait(&hs->asked), 0);
    cafe_task_yield(); /* cancel_main, woken by the same event, cancels first */
    cafe_event_set(&hs->answer);
    assert_int_equal(cafe_task_join(cancel, NULL), 0);
    assert_int_equal(cafe_task_join(srv, NULL), 0);
    cafe_tcp_close(&hs->lis);
    return 0;
}

static void test_cancel_waiting_for_head(void **state) {
    head_server_t hs = {.job = {.shield = 0}};
    assert_int_equal(test_run(head_main, &hs), 0);
    assert_int_equal(hs.job.rc, CAFE_ECANCELED);
    assert_int_equal(hs.job.later, CAFE_ECANCELED);
    cafe_http_result_free(&hs.job.res);
}

static void test_shielded_head_wait_completes(void **state) {
    head_server_t hs = {.job = {.shield = 1}};
    assert_int_equal(test_run(head_main, &hs), 0);
    assert_int_equal(hs.job.rc, 0);
    assert_int_equal(hs.job.res.status, 200);
    assert_int_equal(hs.job.bytes, 2);
    assert_int_equal(hs.job.end, CAFE_ECANCELED);
    assert_int_equal(hs.job.later, CAFE_ECANCELED);
    cafe_http_result_free(&hs.job.res);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_mid_transfer),
        cmocka_unit_test(test_shielded_request_completes),
        cmocka_unit_test(test_cancel_waiting_for_head),
        cmocka_unit_test(test_shielded_head_wait_completes),
    };
    return cmocka_run_group_tests(tests, fixture_group_setup, fixture_group_teardown);
}
