/* Streaming bodies and the early-stop policy, against the fixture server: on_body sees the
 * response's metadata and every byte; "enough" ends the request early without an error; the
 * rest is drained (connection kept) or the connection closed, as the policy says. */
#include "testutil.h"
#include "fixture_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sink {
    size_t calls, bytes, stop_after; /* stop_after: say enough once this many bytes came */
    long first_status;
    char first_type[128], first_charset[48];
} sink_t;

static int on_body(void *arg, const cafe_http_result_t *res, const char *data, size_t len) {
    sink_t *s = arg;
    if (s->calls++ == 0) {
        s->first_status = res->status;
        snprintf(s->first_type, sizeof(s->first_type), "%s", res->content_type);
        snprintf(s->first_charset, sizeof(s->first_charset), "%s", res->charset);
    }
    s->bytes += len;
    return s->stop_after && s->bytes >= s->stop_after ? CAFE_HTTP_ENOUGH : 0;
}

typedef struct job {
    const char *url;
    cafe_http_opts_t opts;
    sink_t sink;
    cafe_http_result_t res;
    int rc;
} job_t;

static int job_run(void *arg, void **value) {
    job_t *j = arg;
    if (!j->opts.on_body) {
        j->opts.on_body = on_body;
        j->opts.body_arg = &j->sink;
    }
    j->rc = cafe_http_request(j->url, &j->opts, &j->res);
    return 0;
}

static void test_stream_whole_body(void **state) {
    job_t j = {.url = fixture_url((char[256]){0}, 256, *state, 0, "/page/3?size=100000")};
    assert_int_equal(test_run(job_run, &j), 0);
    assert_int_equal(j.res.status, 200);
    assert_int_equal(j.sink.first_status, 200);
    assert_string_equal(j.sink.first_type, "text/html");
    assert_string_equal(j.sink.first_charset, "utf-8");
    assert_int_equal(j.sink.bytes, 100000);
    assert_true(j.sink.calls >= 2);
    assert_null(j.res.body); /* streamed, not kept */
    assert_int_equal(j.res.stopped, 0);
    assert_int_equal(j.res.truncated, 0);
    cafe_http_result_free(&j.res);
    /* max_body caps what on_body gets */
    job_t capped = {.url = j.url, .opts = {.max_body = 5000}};
    assert_int_equal(test_run(job_run, &capped), 0);
    assert_int_equal(capped.sink.bytes, 5000);
    assert_int_equal(capped.res.truncated, 1);
    cafe_http_result_free(&capped.res);
    /* HEAD: no body, no callback */
    job_t head = {.url = j.url, .opts = {.method = CAFE_HTTP_HEAD}};
    assert_int_equal(test_run(job_run, &head), 0);
    assert_int_equal(head.sink.calls, 0);
    cafe_http_result_free(&head.res);
}

/* Body pauses (opts.idle_ms): on_body is told with data NULL when no byte came for idle_ms,
 * again after each further idle_ms; 0 waits on, "enough" ends the request with what came,
 * successfully. The fixture's trickle sends a byte a second (20 s in all). */
typedef struct pauses {
    size_t pauses, bytes, enough_at;
} pauses_t;

static int on_body_pauses(void *arg, const cafe_http_result_t *res, const char *data, size_t len) {
    pauses_t *p = arg;
    (void)res;
    if (data)
        p->bytes += len;
    else if (++p->pauses == p->enough_at)
        return CAFE_HTTP_ENOUGH;
    return 0;
}

static void test_body_pauses(void **state) {
    pauses_t p = {.enough_at = 2};
    job_t j = {.url = fixture_url((char[256]){0}, 256, *state, 0, "/trickle/20?interval=1000"),
               .opts = {.idle_ms = 300, .on_body = on_body_pauses, .body_arg = &p}};
    assert_int_equal(test_run(job_run, &j), 0);
    assert_int_equal(j.rc, 0);
    assert_int_equal(j.res.stopped, 1);
    assert_int_equal(p.pauses, 2);
    assert_true(p.bytes >= 1 && p.bytes < 20);
    cafe_http_result_free(&j.res);
    /* without idle_ms, no pause is told: the whole trickle of a short one comes */
    pauses_t none = {.enough_at = 1};
    job_t whole = {.url = fixture_url((char[256]){0}, 256, *state, 0, "/trickle/3?interval=400"),
                   .opts = {.on_body = on_body_pauses, .body_arg = &none}};
    assert_int_equal(test_run(job_run, &whole), 0);
    assert_int_equal(whole.rc, 0);
    assert_int_equal(none.pauses, 0);
    assert_int_equal(none.bytes, 3);
    cafe_http_result_free(&whole.res);
}

/* on_body's own failure (a negative code: its buffer could not grow, its disk is full) fails
 * the request with that code, as curl's write callback fails a transfer, and is not retried;
 * a pause told (data NULL) may fail it too. It was taken as "enough": the request returned 0,
 * the body cut short and the caller's error lost. */
typedef struct failing {
    size_t calls, bytes;
} failing_t;

static int on_body_fails(void *arg, const cafe_http_result_t *res, const char *data, size_t len) {
    failing_t *f = arg;
    (void)res;
    f->calls++;
    f->bytes += len;
    return CAFE_ENOMEM;
}

static int on_body_pauses_fail(void *arg, const cafe_http_result_t *res, const char *data,
                               size_t len) {
    failing_t *f = arg;
    (void)res;
    f->bytes += len;
    return data ? 0 : CAFE_EIO;
}

static void test_body_failure_fails_request(void **state) {
    failing_t f = {0};
    job_t j = {.url = fixture_url((char[256]){0}, 256, *state, 0, "/page/3?size=100000"),
               .opts = {.on_body = on_body_fails, .body_arg = &f}};
    assert_int_equal(test_run(job_run, &j), 0);
    assert_int_equal(j.rc, CAFE_ENOMEM);
    assert_int_equal(j.res.error, CAFE_ENOMEM);
    assert_non_null(strstr(j.res.message, "on_body failed"));
    assert_int_equal(j.res.status, 200);
    assert_int_equal(j.res.stopped, 0);
    assert_int_equal(j.res.attempts, 1);
    assert_int_equal(f.calls, 1);
    cafe_http_result_free(&j.res);
    /* failing at a pause: the trickle's first byte is passed; the pause after it fails */
    failing_t p = {0};
    job_t paused = {.url = fixture_url((char[256]){0}, 256, *state, 0, "/trickle/20?interval=1000"),
                    .opts = {.idle_ms = 300, .on_body = on_body_pauses_fail, .body_arg = &p}};
    assert_int_equal(test_run(job_run, &paused), 0);
    assert_int_equal(paused.rc, CAFE_EIO);
    assert_int_equal(paused.res.error, CAFE_EIO);
    assert_int_equal(paused.res.stopped, 0);
    assert_int_equal(paused.res.attempts, 1);
    assert_true(p.bytes >= 1 && p.bytes < 20);
    cafe_http_result_free(&paused.res);
}

/* Two requests in a row on one loop: the first stops early; does the second reuse its
 * connection? */
typedef struct pair {
    job_t first, second;
    cafe_http_stats_t stats;
} pair_t;

static int pair_run(void *arg, void **value) {
    pair_t *p = arg;
    job_run(&p->first, NULL);
    job_run(&p->second, NULL);
    cafe_http_stats_get(NULL, &p->stats);
    return 0;
}

static void run_pair(void **state, const char *path, cafe_http_stop_t policy, pair_t *p) {
    memset(p, 0, sizeof(*p));
    p->first.url = fixture_url((char[256]){0}, 256, *state, 0, path);
    p->first.opts.stop = policy;
    p->first.sink.stop_after = 1;
    p->second.url = fixture_url((char[256]){0}, 256, *state, 0, "/page/1?size=1000");
    assert_int_equal(test_run(pair_run, p), 0);
    assert_int_equal(p->first.rc, 0); /* stopping early is not an error */
    assert_int_equal(p->first.res.error, 0);
    assert_int_equal(p->first.res.stopped, 1);
    assert_int_equal(p->first.res.status, 200);
    assert_int_equal(p->second.rc, 0);
    assert_int_equal(p->first.res.connects, 1);
    cafe_http_result_free(&p->first.res);
    cafe_http_result_free(&p->second.res);
}

static void test_stop_small_rest_drains(void **state) {
    pair_t p;
    /* 20,000 bytes: after the first chunk (at most 16 KiB) the rest is small: drained */
    run_pair(state, "/page/2?size=20000", CAFE_HTTP_STOP_AUTO, &p);
    assert_int_equal(p.stats.stops_drained, 1);
    assert_int_equal(p.stats.stops_closed, 0);
    assert_int_equal(p.second.res.connects, 0); /* reused */
}

static void test_stop_large_rest_closes(void **state) {
    pair_t p;
    run_pair(state, "/page/2?size=2000000", CAFE_HTTP_STOP_AUTO, &p);
    assert_int_equal(p.stats.stops_closed, 1);
    assert_int_equal(p.stats.stops_drained, 0);
    assert_true(p.first.res.bytes < 2000000);   /* the rest was not read */
    assert_int_equal(p.second.res.connects, 1); /* that connection was gone */
}

static void test_stop_policies_forced(void **state) {
    pair_t p;
    run_pair(state, "/page/2?size=20000", CAFE_HTTP_STOP_CLOSE, &p);
    assert_int_equal(p.stats.stops_closed, 1);
    assert_int_equal(p.second.res.connects, 1);
    run_pair(state, "/page/2?size=2000000", CAFE_HTTP_STOP_DRAIN, &p);
    assert_int_equal(p.stats.stops_drained, 1);
    assert_int_equal(p.first.res.bytes, 2000000);
    assert_int_equal(p.second.res.connects, 0);
}

/* A rest of ~84 KB: closed when nobody else wants the host, drained when others wait. */
typedef struct busy {
    job_t jobs[4];
    cafe_http_stats_t stats;
} busy_t;

static int busy_run(void *arg, void **value) {
    busy_t *b = arg;
    cafe_task_t *t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(cafe_task_spawn(&t[i], job_run, &b->jobs[i], NULL), 0);
    cafe_result_t r[4];
    assert_int_equal(cafe_task_gather(t, 4, r), 0);
    cafe_http_stats_get(NULL, &b->stats);
    return 0;
}

static void test_stop_busy_host_drains(void **state) {
    busy_t b;
    memset(&b, 0, sizeof(b));
    char url[256]; /* alive while the jobs run: a compound literal in the loop was not */
    fixture_url(url, sizeof(url), *state, 1, "/page/5?size=100000");
    for (int i = 0; i < 4; i++) {
        b.jobs[i].url = url;
        b.jobs[i].sink.stop_after = 1;
    }
    assert_int_equal(test_run(busy_run, &b), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(b.jobs[i].rc, 0);
        assert_int_equal(b.jobs[i].res.stopped, 1);
        cafe_http_result_free(&b.jobs[i].res);
    }
    /* at least the first three had company */
    assert_true(b.stats.stops_drained >= 3);
    /* alone: closed */
    pair_t p;
    run_pair(state, "/page/5?size=100000", CAFE_HTTP_STOP_AUTO, &p);
    assert_int_equal(p.stats.stops_closed, 1);
}

static void test_retried_bodies_not_delivered(void **state) {
    job_t j = {.url = fixture_url((char[256]){0}, 256, *state, 0, "/flaky/s/2"),
               .opts = {.backoff_ms = 5}};
    assert_int_equal(test_run(job_run, &j), 0);
    assert_int_equal(j.res.status, 200);
    assert_int_equal(j.res.attempts, 3);
    assert_int_equal(j.sink.first_status, 200); /* the two 503 bodies never came */
    assert_int_equal(j.sink.bytes, 30000);
    cafe_http_result_free(&j.res);
    /* After bytes reached on_body, a broken transfer is not repeated. */
    job_t k = {.url = fixture_url((char[256]){0}, 256, *state, 0, "/reset-mid-body"),
               .opts = {.backoff_ms = 5}};
    assert_int_equal(test_run(job_run, &k), 0);
    assert_int_equal(k.rc, CAFE_EHTTP_CLOSED);
    assert_int_equal(k.res.attempts, 1);
    assert_true(k.sink.bytes > 0);
    cafe_http_result_free(&k.res);
}

/* The loop integration's cost: requests one after another on a kept-alive connection must
 * not restart the socket's poll each time (each restart is two epoll_ctl calls; curl drops
 * and re-adds a socket's interest around every transfer). */
typedef struct seq {
    const char *url;
    int n, ok;
    cafe_http_opts_t opts;
    cafe_http_stats_t stats;
} seq_t;

static int seq_run(void *arg, void **value) {
    seq_t *q = arg;
    for (int i = 0; i < q->n; i++) {
        cafe_http_result_t r;
        if (cafe_http_request(q->url, &q->opts, &r) == 0 && r.status == 200)
            q->ok++;
        cafe_http_result_free(&r);
    }
    cafe_http_stats_get(NULL, &q->stats);
    return 0;
}

static void test_kept_alive_costs_no_poll_restarts(void **state) {
    seq_t q = {.url = fixture_url((char[256]){0}, 256, *state, 0, "/page/9?size=2000"), .n = 50};
    assert_int_equal(test_run(seq_run, &q), 0);
    assert_int_equal(q.ok, 50);
    assert_int_equal(q.stats.transfers, 50);
    /* connect (writable), then readable: two changes for the connection's whole life */
    assert_true(q.stats.poll_changes <= 4);
}

/* A new connection per request ("Connection: close"): its socket mostly gets the number the
 * last one had, and then the same poll handle (io.c: no uv_poll_init, two epoll_ctl and an
 * ioctl, per connection). */
static void test_new_connections_reuse_poll_handles(void **state) {
    static const char *const closing[] = {"Connection: close", NULL};
    seq_t q = {.url = fixture_url((char[256]){0}, 256, *state, 0, "/page/9?size=2000"),
               .n = 30,
               .opts = {.headers = closing}};
    assert_int_equal(test_run(seq_run, &q), 0);
    assert_int_equal(q.ok, 30);
    assert_int_equal(q.stats.transfers, 30);
    assert_true(q.stats.poll_handles >= 1);
    assert_true(q.stats.poll_handles <= 3);
}

/* Pooled easy handles keep their options for the next request when they fit: a change of
 * method or options in between must still take effect, both ways. */
typedef struct step {
    const cafe_http_opts_t *opts;
    const char *path;
    long status;
    size_t body_len;
} step_t;

static int mixed_run(void *arg, void **value) {
    const fixture_proc_t *f = arg;
    const cafe_http_opts_t get = {0}, head = {.method = CAFE_HTTP_HEAD},
                           no_redirects = {.max_redirects = CAFE_HTTP_NO_REDIRECTS};
    const step_t steps[] = {
        {&get, "/page/4?size=1000", 200, 1000}, {&head, "/page/4?size=1000", 200, 0},
        {&head, "/page/4?size=1000", 200, 0},   {&get, "/page/4?size=1000", 200, 1000},
        {&get, "/redirect/1", 200, 30000},      {&no_redirects, "/redirect/1", 302, 9},
        {&no_redirects, "/redirect/1", 302, 9}, {&get, "/redirect/1", 200, 30000},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        char url[256];
        cafe_http_result_t r;
        assert_int_equal(cafe_http_request(fixture_url(url, sizeof(url), f, 0, steps[i].path),
                                           steps[i].opts, &r),
                         0);
        assert_int_equal(r.status, steps[i].status);
        assert_int_equal(r.body_len, steps[i].body_len);
        cafe_http_result_free(&r);
    }
    return 0;
}

static void test_pooled_handles_take_new_options(void **state) {
    assert_int_equal(test_run(mixed_run, *state), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_whole_body),
        cmocka_unit_test(test_body_pauses),
        cmocka_unit_test(test_body_failure_fails_request),
        cmocka_unit_test(test_stop_small_rest_drains),
        cmocka_unit_test(test_stop_large_rest_closes),
        cmocka_unit_test(test_stop_policies_forced),
        cmocka_unit_test(test_stop_busy_host_drains),
        cmocka_unit_test(test_retried_bodies_not_delivered),
        cmocka_unit_test(test_kept_alive_costs_no_poll_restarts),
        cmocka_unit_test(test_new_connections_reuse_poll_handles),
        cmocka_unit_test(test_pooled_handles_take_new_options),
    };
    return cmocka_run_group_tests(tests, fixture_group_setup, fixture_group_teardown);
}
