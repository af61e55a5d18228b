/* The HTTP client against the fixture server's faults: each ends in the right result (an
 * error with a clear message, or success after retries), within its timeout. */
#include "testutil.h"
#include "fixture_proc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>

static fixture_proc_t *fx(void **state) {
    return *state;
}

#define FX_URL(state, path) fixture_url((char[512]){0}, 512, fx(state), 0, path)

/* Requests url with o and checks the outcome code; returns the result for more checks. */
static cafe_http_result_t fetch(const char *url, const cafe_http_opts_t *o, int want) {
    cafe_http_result_t r;
    int rc = cafe_http_request(url, o, &r);
    if (rc != want)
        fail_msg("%s: got %s (%s), want %s", url, cafe_err_name(rc), r.message,
                 cafe_err_name(want));
    assert_int_equal(r.error, rc);
    assert_true(rc == 0 ? r.message[0] == '\0' : r.message[0] != '\0');
    return r;
}

static void expect_message(const cafe_http_result_t *r, const char *part) {
    if (!strstr(r->message, part))
        fail_msg("message \"%s\" lacks \"%s\"", r->message, part);
}

static void test_redirect_chains_and_loops(void **state) {
    cafe_http_result_t r = fetch(FX_URL(state, "/redirect/5"), NULL, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.redirects, 5);
    assert_non_null(strstr(r.url, "/page/0"));
    cafe_http_result_free(&r);
    r = fetch(FX_URL(state, "/redirect/11"), NULL, CAFE_EHTTP_TOO_MANY_REDIRECTS);
    assert_int_equal(r.redirects, 10);
    expect_message(&r, "10");
    cafe_http_result_free(&r);
    r = fetch(FX_URL(state, "/redirect-loop/a"), NULL, CAFE_EHTTP_TOO_MANY_REDIRECTS);
    cafe_http_result_free(&r);
    /* to another origin (site 1) */
    r = fetch(FX_URL(state, "/redirect-site/1/7"), NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "Site 1 page 7"));
    cafe_http_result_free(&r);
    /* A redirect status without a Location: a code of its own, so that a caller can keep the
     * page (a browser shows it) without reading the message; not followed, it is a result. */
    r = fetch(FX_URL(state, "/status/302"), NULL, CAFE_EHTTP_NO_LOCATION);
    assert_int_equal(r.status, 302);
    assert_int_equal(r.attempts, 1);
    expect_message(&r, "HTTP 302 redirect without a Location");
    cafe_http_result_free(&r);
    cafe_http_opts_t o = {.max_redirects = CAFE_HTTP_NO_REDIRECTS};
    r = fetch(FX_URL(state, "/status/302"), &o, 0);
    assert_int_equal(r.status, 302);
    cafe_http_result_free(&r);
}

static void test_redirects_to_other_schemes(void **state) {
    const char *targets[] = {"file%3A%2F%2F%2Fetc%2Fpasswd", "ftp%3A%2F%2F127.0.0.1%2F",
                             "gopher%3A%2F%2F127.0.0.1%2F", "dict%3A%2F%2F127.0.0.1%2F"};
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "/redirect-to?url=%s", targets[i]);
        cafe_http_result_t r = fetch(FX_URL(state, path), NULL, CAFE_EHTTP_REDIRECT_PROTOCOL);
        expect_message(&r, "redirect refused");
        assert_int_equal(r.attempts, 1);
        assert_null(r.body);
        cafe_http_result_free(&r);
    }
}

static void test_retry_503_then_200(void **state) {
    cafe_http_opts_t o = {.backoff_ms = 10};
    cafe_http_result_t r = fetch(FX_URL(state, "/flaky/a/2"), &o, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 3);
    assert_non_null(strstr(r.body, "Flaky a after 2 failures"));
    cafe_http_result_free(&r);
    /* More failures than attempts: the last 503 is the result. */
    r = fetch(FX_URL(state, "/flaky/b/5"), &o, 0);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.attempts, 3);
    cafe_http_result_free(&r);
    /* A status outside the set is not retried; the set is configurable. */
    o.retry_statuses = (const int[]){500, 0};
    r = fetch(FX_URL(state, "/flaky/c/1"), &o, 0);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.attempts, 1);
    cafe_http_result_free(&r);
    o.attempts = 5;
    o.retry_statuses = NULL;
    r = fetch(FX_URL(state, "/flaky/d/4"), &o, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 5);
    cafe_http_result_free(&r);
}

/* ---- on_start and on_retry run inside the request's call and must not suspend: one that
 * did let the task run off (to sleep, or to another request) with its transfer already in
 * curl. Each aborts the process naming the callback ---- */
typedef struct suspender {
    const char *url;
    int on_retry; /* 0: on_start sleeps; 1: on_retry yields */
} suspender_t;

static void start_sleeps(void *arg) {
    (void)arg;
    (void)cafe_task_sleep(1);
}

static void retry_yields(void *arg, int waiting) {
    (void)arg;
    (void)waiting;
    (void)cafe_task_yield();
}

static int request_suspending(void *arg, void **value) {
    const suspender_t *s = arg;
    cafe_http_opts_t o = {.backoff_ms = 10};
    if (s->on_retry)
        o.on_retry = retry_yields;
    else
        o.on_start = start_sleeps;
    cafe_http_result_t r;
    int rc = cafe_http_request(s->url, &o, &r);
    cafe_http_result_free(&r);
    return rc;
}

static void test_callbacks_must_not_suspend(void **state) {
    const char *names[] = {"on_start", "on_retry"};
    for (int i = 0; i < 2; i++) {
        /* a key each: the first try fails (503), the second is on_retry's */
        suspender_t s = {FX_URL(state, i ? "/flaky/ns1/1" : "/flaky/ns0/1"), i};
        int st;
        const char *err = test_child_stderr(request_suspending, &s, &st);
        if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT || !strstr(err, names[i]) ||
            !strstr(err, "must not suspend"))
            fail_msg("%s suspended: status %#x, stderr: %s", names[i], st, err);
    }
}

static void test_retry_after(void **state) {
    /* Retry-After: 1 (seconds), under a 1.5 s cap: waited for, not the 10 ms backoff. */
    cafe_http_opts_t o = {.attempts = 2, .backoff_ms = 10, .retry_after_max_ms = 1500};
    uint64_t t0 = test_now_ms();
    cafe_http_result_t r = fetch(FX_URL(state, "/retry-after/1"), &o, 0);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r.retry_after_declined_s, 0);
    assert_true(test_now_ms() - t0 >= 1000);
    cafe_http_result_free(&r);
    /* The HTTP-date form, honoured in full (it is at most 2 s away, under the 60 s cap). */
    o.retry_after_max_ms = 0;
    t0 = test_now_ms();
    r = fetch(FX_URL(state, "/flaky/date/1?status=429&retry-after=2&date=1"), &o, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 2);
    assert_true(test_now_ms() - t0 >= 1000);
    cafe_http_result_free(&r);
}

static void test_retry_after_too_long_is_not_retried(void **state) {
    /* The server asks for more than the caller waits: a retry sooner would be refused
     * again, so the answer is the result, saying how long was asked. */
    cafe_http_opts_t o = {.attempts = 3, .backoff_ms = 10, .retry_after_max_ms = 150};
    cafe_http_result_t r = fetch(FX_URL(state, "/retry-after/1"), &o, 0);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.retry_after_declined_s, 1);
    cafe_http_result_free(&r);
    o.retry_after_max_ms = 0; /* the default 60 s, in either form */
    r = fetch(FX_URL(state, "/retry-after/61?status=503"), &o, 0);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.retry_after_declined_s, 61);
    cafe_http_result_free(&r);
    r = fetch(FX_URL(state, "/retry-after-date/3600"), &o, 0);
    assert_int_equal(r.attempts, 1);
    assert_true(r.retry_after_declined_s > 3500 && r.retry_after_declined_s <= 3600);
    cafe_http_result_free(&r);
    /* no attempts left: nothing was declined */
    o.attempts = 1;
    r = fetch(FX_URL(state, "/retry-after/61"), &o, 0);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.retry_after_declined_s, 0);
    cafe_http_result_free(&r);
}

static void test_connection_errors_retried(void **state) {
    cafe_http_opts_t o = {.backoff_ms = 5};
    cafe_http_result_t r = fetch(FX_URL(state, "/reset-before-headers"), &o, CAFE_EHTTP_CLOSED);
    assert_int_equal(r.attempts, 3);
    cafe_http_result_free(&r);
    r = fetch(FX_URL(state, "/close-before-headers"), &o, CAFE_EHTTP_CLOSED);
    assert_int_equal(r.attempts, 3);
    expect_message(&r, "reply");
    cafe_http_result_free(&r);
    o.no_retry_errors = 1;
    r = fetch(FX_URL(state, "/reset-before-headers"), &o, CAFE_EHTTP_CLOSED);
    assert_int_equal(r.attempts, 1);
    cafe_http_result_free(&r);
}

static void test_reset_mid_body(void **state) {
    cafe_http_opts_t o = {.attempts = 1};
    cafe_http_result_t r = fetch(FX_URL(state, "/reset-mid-body"), &o, CAFE_EHTTP_CLOSED);
    assert_int_equal(r.status, 200);
    assert_true(r.bytes > 0);
    cafe_http_result_free(&r);
}

static void test_timeouts(void **state) {
    /* A body trickling one byte per second, a server that never answers: each ends at the
     * total timeout (bounded generously: this checks that it ends, not how fast). */
    cafe_http_opts_t o = {.attempts = 1, .timeout_ms = 300};
    const char *paths[] = {"/trickle/100?interval=1000", "/hang", "/hang-after-headers"};
    for (size_t i = 0; i < 3; i++) {
        uint64_t t0 = test_now_ms();
        cafe_http_result_t r = fetch(FX_URL(state, paths[i]), &o, CAFE_ETIMEDOUT);
        uint64_t took = test_now_ms() - t0;
        assert_true(took >= 300 && took < 10000);
        expect_message(&r, "timed out");
        cafe_http_result_free(&r);
    }
    /* Timeouts are retried */
    o.attempts = 2;
    o.backoff_ms = 5;
    cafe_http_result_t r = fetch(FX_URL(state, "/hang"), &o, CAFE_ETIMEDOUT);
    assert_int_equal(r.attempts, 2);
    cafe_http_result_free(&r);
}

static void test_big_body_capped(void **state) {
    cafe_http_opts_t o = {.max_body = 1 << 20};
    cafe_http_result_t r = fetch(FX_URL(state, "/big"), &o, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.truncated, 1);
    assert_int_equal(r.body_len, 1 << 20);
    assert_true(r.bytes < 100u << 20); /* the rest was not downloaded */
    cafe_http_result_free(&r);
}

/* An option out of its range is refused before any traffic, naming the option, in a task
 * and outside one alike; it used to be taken for GET, no retry, or no redirect. */
static const char *const crlf_header[] = {"X-A: 1", "X-B: 2\r\nX-Injected: 1", NULL};
static const char *const lf_header[] = {"X-A: 1\n", NULL};

static void test_invalid_options(void **state) {
    static const struct {
        cafe_http_opts_t o;
        const char *name;
    } bad[] = {{{.method = (cafe_http_method_t)7}, "method"},
               {{.stop = (cafe_http_stop_t)9}, "stop"},
               {{.attempts = -1}, "attempts"},
               {{.max_redirects = -5}, "max_redirects"},
               /* a line break would end the header and start another one */
               {{.accept = "text/html\r\nX-Injected: 1"}, "accept"},
               {{.accept = "text/html\n"}, "accept"},
               /* so would one in a header line or the User-Agent: they were sent */
               {{.headers = crlf_header}, "headers"},
               {{.headers = lf_header}, "headers"},
               {{.user_agent = "ua\r\nX-Injected: 1"}, "user_agent"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cafe_http_result_t r = fetch(FX_URL(state, "/"), &bad[i].o, CAFE_EINVAL);
        expect_message(&r, bad[i].name);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.attempts, 0);
        cafe_http_result_free(&r);
    }
    /* A resolve line curl cannot parse is found as the transfer starts (curl parses it):
     * the caller's invalid option too, never tried again. It was CAFE_EHTTP_CURL, a
     * libcurl failure to the caller. */
    static const char *const bad_pins[][2] = {{"h:80", NULL}, {"h:80:bogus", NULL}, {"+", NULL}};
    for (size_t i = 0; i < sizeof bad_pins / sizeof bad_pins[0]; i++) {
        cafe_http_opts_t o = {.resolve = bad_pins[i]};
        cafe_http_result_t r = fetch(FX_URL(state, "/"), &o, CAFE_EINVAL);
        expect_message(&r, "resolve");
        assert_int_equal(r.status, 0);
        assert_int_equal(r.attempts, 1);
        cafe_http_result_free(&r);
    }
    /* So is a proxy curl cannot parse, or of a scheme it has no proxy for (socks*, http(s)
     * only): it was CAFE_EHTTP_DNS ("cannot resolve the proxy's name"), and the scheme
     * CAFE_EHTTP_CONNECT, tried again as a connection error. */
    static const char *const bad_proxies[] = {"::::", "ftp://127.0.0.1:21"};
    for (size_t i = 0; i < sizeof bad_proxies / sizeof bad_proxies[0]; i++) {
        cafe_http_opts_t o = {.proxy = bad_proxies[i], .backoff_ms = 1};
        cafe_http_result_t r = fetch(FX_URL(state, "/"), &o, CAFE_EINVAL);
        expect_message(&r, "proxy");
        assert_int_equal(r.status, 0);
        assert_int_equal(r.attempts, 1);
        cafe_http_result_free(&r);
    }
    cafe_http_opts_t ok = {.method = CAFE_HTTP_HEAD, .max_redirects = CAFE_HTTP_NO_REDIRECTS};
    cafe_http_result_t r = fetch(FX_URL(state, "/"), &ok, 0);
    cafe_http_result_free(&r);
    /* A scheme that is never fetched is refused before its host is looked up: the name
     * here resolves nowhere, and the lookup's failure was the result. */
    static const char *const other[] = {"ftp://no-such-host.invalid/x",
                                        "gopher://no-such-host.invalid/", "ws://nowhere.invalid/"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        r = fetch(other[i], NULL, CAFE_EHTTP_SCHEME);
        expect_message(&r, "unsupported URL scheme");
        cafe_http_result_free(&r);
    }
}

static void test_broken_framing(void **state) {
    cafe_http_opts_t o = {.attempts = 1};
    cafe_http_result_t r = fetch(FX_URL(state, "/wrong-length/short"), &o, CAFE_EHTTP_CLOSED);
    expect_message(&r, "remaining");
    cafe_http_result_free(&r);
    /* No cap on the body: a Content-Length of a petabyte is a lie to be found out at the
     * connection's end, not an allocation that fails (CAFE_ENOMEM) before the first byte. */
    o.max_body = SIZE_MAX;
    r = fetch(FX_URL(state, "/wrong-length/huge"), &o, CAFE_EHTTP_CLOSED);
    expect_message(&r, "remaining");
    assert_int_equal(r.body_len, 1000);
    assert_non_null(strstr(r.body, "Wrong length"));
    cafe_http_result_free(&r);
    o.max_body = 0;
    /* a chunk curl cannot read: malformed, not a connection lost (curl's code says so) */
    r = fetch(FX_URL(state, "/chunked-broken"), &o, CAFE_EHTTP_PROTOCOL);
    expect_message(&r, "malformed chunked body: ");
    cafe_http_result_free(&r);
    r = fetch(FX_URL(state, "/chunked-truncated"), &o, CAFE_EHTTP_CLOSED);
    cafe_http_result_free(&r);
    r = fetch(FX_URL(state, "/chunked"), &o, 0);
    assert_int_equal(r.status, 200);
    assert_true(r.body_len > 0);
    cafe_http_result_free(&r);
    r = fetch(FX_URL(state, "/garbage"), &o, CAFE_EHTTP_PROTOCOL);
    cafe_http_result_free(&r);
    r = fetch(FX_URL(state, "/http09"), &o, CAFE_EHTTP_PROTOCOL);
    cafe_http_result_free(&r);
    r = fetch(FX_URL(state, "/gzip-broken"), &o, CAFE_EHTTP_PROTOCOL);
    cafe_http_result_free(&r);
}

static void test_gzip(void **state) {
    cafe_http_result_t r = fetch(FX_URL(state, "/gzip"), NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<title>"));
    assert_true(r.bytes < r.body_len);          /* compressed on the wire */
    assert_int_equal(r.body_bytes, r.body_len); /* decoded: all of it was kept */
    cafe_http_result_free(&r);
    cafe_http_opts_t o = {.max_body = 1 << 20};
    r = fetch(FX_URL(state, "/gzip-bomb"), &o, 0);
    assert_int_equal(r.truncated, 1);
    assert_int_equal(r.body_len, 1 << 20);
    assert_true(r.body_bytes >= 1 << 20); /* and the rest of the read that reached the cap */
    cafe_http_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_options),
        cmocka_unit_test(test_redirect_chains_and_loops),
        cmocka_unit_test(test_redirects_to_other_schemes),
        cmocka_unit_test(test_retry_503_then_200),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_retry_after_too_long_is_not_retried),
        cmocka_unit_test(test_connection_errors_retried),
        cmocka_unit_test(test_reset_mid_body),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_callbacks_must_not_suspend),
        cmocka_unit_test(test_big_body_capped),
        cmocka_unit_test(test_broken_framing),
        cmocka_unit_test(test_gzip),
    };
    return cmocka_run_group_tests(tests, fixture_group_setup, fixture_group_teardown);
}
