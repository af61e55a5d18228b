/* limits.close_one_off against a real nginx on loopback, counted on both sides (nginx's log
 * of each request's connection, the client's open sockets in /proc/net/tcp): a connection to
 * a host no other request wants is closed when its transfer ends; a host with requests
 * queued keeps its connection; requests made one after the other keep it with the default
 * limits. Behaviour only, never timing. */
#include "testutil.h"
#include "nginx_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reuse_args {
    const nginx_server_t *s;
    int close_one_off;
    size_t max_transfers;
    const char *tag; /* the query string that marks this test's requests in nginx's log */
    char pins[2][64];
    const char *resolve[3];
    long connects;  /* connections opened by the tagged requests, as their results say */
    int open_after; /* the client's connections to nginx still open after the first request */
} reuse_args_t;

/* The client's established connections to port (this test runs in its own namespace). */
static int client_conns(int port) {
    FILE *f = fopen("/proc/net/tcp", "r");
    assert_non_null(f);
    char line[256];
    int n = 0;
    unsigned rport, st;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, " %*u: %*x:%*x %*x:%x %x", &rport, &st) == 2 && rport == (unsigned)port &&
            st == 1)
            n++;
    fclose(f);
    return n;
}

static int fetch(reuse_args_t *a, const char *host, const char *tag) {
    char u[160];
    snprintf(u, sizeof(u), "http://%s:%d/index.html?%s", host, a->s->http_port, tag);
    cafe_http_opts_t o = {.resolve = a->resolve};
    cafe_http_result_t r;
    int rc = cafe_http_request(u, &o, &r);
    if (rc != 0 || r.status != 200)
        rc = -1;
    else if (tag == a->tag)
        a->connects += r.connects;
    cafe_http_result_free(&r);
    return rc;
}

static void limits_set(const reuse_args_t *a) {
    cafe_http_limits_t lim = {.max_transfers = a->max_transfers, .close_one_off = a->close_one_off};
    assert_int_equal(cafe_http_limits_set(NULL, &lim), 0);
}

static void args_init(reuse_args_t *a, const nginx_server_t *s, const char *tag) {
    memset(a, 0, sizeof(*a));
    a->s = s;
    a->tag = tag;
    for (int i = 0; i < 2; i++) {
        snprintf(a->pins[i], sizeof(a->pins[i]), "h%d.cafe.test:%d:127.0.0.1", i, s->http_port);
        a->resolve[i] = a->pins[i];
    }
}

/* Two requests to one host, the second started after the first ended; a last one (another
 * host) that makes nginx log the first two. */
static int one_after_other(void *arg, void **value) {
    reuse_args_t *a = arg;
    limits_set(a);
    assert_int_equal(fetch(a, "h0.cafe.test", a->tag), 0);
    a->open_after = client_conns(a->s->http_port);
    assert_int_equal(fetch(a, "h0.cafe.test", a->tag), 0);
    assert_int_equal(fetch(a, "h1.cafe.test", "flush"), 0);
    return 0;
}

/* Each request to a host no other request wants closes its connection at its end: nothing
 * stays open, and the next request to that host opens a new one. */
static void test_one_off_closed(void **state) {
    reuse_args_t a;
    args_init(&a, *state, "one-off");
    a.close_one_off = 1;
    assert_int_equal(test_run(one_after_other, &a), 0);
    assert_int_equal(a.open_after, 0);
    assert_int_equal(a.connects, 2);
    nginx_log_count_t n = nginx_log_count(a.s, "?one-off");
    assert_int_equal(n.requests, 2);
    assert_int_equal(n.conns, 2);
}

/* The default limits: one request after the other (the guide's sync style) keeps its
 * connection, which the next one reuses. */
static void test_sequential_keeps(void **state) {
    reuse_args_t a;
    args_init(&a, *state, "sequential");
    assert_int_equal(test_run(one_after_other, &a), 0);
    assert_int_equal(a.open_after, 1);
    assert_int_equal(a.connects, 1);
    nginx_log_count_t n = nginx_log_count(a.s, "?sequential");
    assert_int_equal(n.requests, 2);
    assert_int_equal(n.conns, 1);
}

enum { QUEUED = 6 };

static int queued_fetch(void *arg, void **value) {
    reuse_args_t *a = arg;
    return fetch(a, "h0.cafe.test", a->tag) == 0 ? 0 : CAFE_EINVAL;
}

/* QUEUED requests to one host through one transfer slot: each one that ends has the next
 * waiting, so all go over one connection; the last closes it. */
static int queued(void *arg, void **value) {
    reuse_args_t *a = arg;
    limits_set(a);
    cafe_task_t *t[QUEUED];
    for (int i = 0; i < QUEUED; i++)
        assert_int_equal(cafe_task_spawn(&t[i], queued_fetch, a, NULL), 0);
    cafe_result_t results[QUEUED];
    assert_int_equal(cafe_task_gather(t, QUEUED, results), 0);
    for (int i = 0; i < QUEUED; i++)
        assert_int_equal(results[i].status, 0);
    a->open_after = client_conns(a->s->http_port);
    cafe_http_stats_t st;
    cafe_http_stats_get(NULL, &st);
    assert_int_equal(st.one_off, 1); /* the last request alone */
    assert_int_equal(fetch(a, "h1.cafe.test", "flush"), 0);
    return 0;
}

static void test_queued_host_reuses(void **state) {
    reuse_args_t a;
    args_init(&a, *state, "queued");
    a.close_one_off = 1;
    a.max_transfers = 1;
    assert_int_equal(test_run(queued, &a), 0);
    assert_int_equal(a.open_after, 0);
    assert_int_equal(a.connects, 1);
    nginx_log_count_t n = nginx_log_count(a.s, "?queued");
    assert_int_equal(n.requests, QUEUED);
    assert_int_equal(n.conns, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_off_closed),
        cmocka_unit_test(test_sequential_keeps),
        cmocka_unit_test(test_queued_host_reuses),
    };
    return cmocka_run_group_tests(tests, nginx_group_setup, nginx_group_teardown);
}
