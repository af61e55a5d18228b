/* limits.close_one_off against a real nginx on loopback, counted on both sides (nginx's log
 * of each request's connection, the client's open sockets in /proc/net/tcp): once the
 * connections kept reach max_connections, a connection to a host no other request wants and
 * seen for the first time is closed when its transfer ends; a host with requests queued, a
 * host seen before, requests one after the other while there is room: all keep theirs.
 * Behaviour only, never timing. */
#include "testutil.h"
#include "nginx_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HOSTS = 4 };

typedef struct reuse_args {
    const nginx_server_t *s;
    int close_one_off;
    size_t max_transfers, max_connections;
    const char *tag; /* the query string that marks this test's requests in nginx's log */
    char pins[HOSTS][64];
    const char *resolve[HOSTS + 1];
    long connects;  /* connections opened by the tagged requests, as their results say */
    int open_after; /* the client's connections to nginx open after the first request */
    long one_off;   /* the client's count of connections closed by the policy */
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
    cafe_http_limits_t lim = {.max_transfers = a->max_transfers,
                              .max_connections = a->max_connections,
                              .close_one_off = a->close_one_off};
    assert_int_equal(cafe_http_limits_set(NULL, &lim), 0);
}

static void args_init(reuse_args_t *a, const nginx_server_t *s, const char *tag) {
    memset(a, 0, sizeof(*a));
    a->s = s;
    a->tag = tag;
    for (int i = 0; i < HOSTS; i++) {
        snprintf(a->pins[i], sizeof(a->pins[i]), "h%d.cafe.test:%d:127.0.0.1", i, s->http_port);
        a->resolve[i] = a->pins[i];
    }
}

/* A full cache makes curl close the connection idle longest, its idle times counted in
 * whole ms: the warm-up connections are made older than any that follows, so the one curl
 * closes is one of them, whatever the speed of the machine. */
static void older(void) {
    assert_int_equal(cafe_task_sleep(3), 0);
}

/* Requests to h2 and h3 (filling a cache of two), then two to h0, the second started after
 * the first ended; a last one (h1) that makes nginx log them. */
static int one_after_other(void *arg, void **value) {
    reuse_args_t *a = arg;
    limits_set(a);
    assert_int_equal(fetch(a, "h2.cafe.test", "warm"), 0);
    assert_int_equal(fetch(a, "h3.cafe.test", "warm"), 0);
    older();
    assert_int_equal(fetch(a, "h0.cafe.test", a->tag), 0);
    a->open_after = client_conns(a->s->http_port);
    assert_int_equal(fetch(a, "h0.cafe.test", a->tag), 0);
    cafe_http_stats_t st;
    cafe_http_stats_get(NULL, &st);
    a->one_off = (long)st.one_off;
    assert_int_equal(fetch(a, "h1.cafe.test", "flush"), 0);
    return 0;
}

/* The cache is full (two connections, h2's and h3's): h0, never seen and wanted by no other
 * request, closes its connection, so nothing more stays open and the next request to h0
 * opens a new one; that one, h0 seen before, is kept (curl closes h2's, the oldest). */
static void test_one_off_closed(void **state) {
    reuse_args_t a;
    args_init(&a, *state, "one-off");
    a.close_one_off = 1;
    a.max_connections = 2;
    assert_int_equal(test_run(one_after_other, &a), 0);
    assert_int_equal(a.open_after, 2);
    assert_int_equal(a.connects, 2);
    assert_int_equal(a.one_off, 1);
    nginx_log_count_t n = nginx_log_count(a.s, "?one-off");
    assert_int_equal(n.requests, 2);
    assert_int_equal(n.conns, 2);
}

/* The same without the policy: curl keeps h0's connection (closing h2's), which the second
 * request reuses. */
static void test_default_keeps(void **state) {
    reuse_args_t a;
    args_init(&a, *state, "default");
    a.max_connections = 2;
    assert_int_equal(test_run(one_after_other, &a), 0);
    assert_int_equal(a.open_after, 2);
    assert_int_equal(a.connects, 1);
    assert_int_equal(a.one_off, 0);
    nginx_log_count_t n = nginx_log_count(a.s, "?default");
    assert_int_equal(n.conns, 1);
}

/* With the policy, while the cache has room: one request after the other (the guide's sync
 * style) keeps its connection, which the next one reuses. */
static void test_sequential_keeps(void **state) {
    reuse_args_t a;
    args_init(&a, *state, "sequential");
    a.close_one_off = 1;
    assert_int_equal(test_run(one_after_other, &a), 0);
    assert_int_equal(a.open_after, 3);
    assert_int_equal(a.connects, 1);
    assert_int_equal(a.one_off, 0);
    nginx_log_count_t n = nginx_log_count(a.s, "?sequential");
    assert_int_equal(n.requests, 2);
    assert_int_equal(n.conns, 1);
}

enum { QUEUED = 6 };

static int queued_fetch(void *arg, void **value) {
    reuse_args_t *a = arg;
    return fetch(a, "h0.cafe.test", a->tag) == 0 ? 0 : CAFE_EINVAL;
}

/* A full cache (h1's connection, max_connections 1), then QUEUED requests to h0 through one
 * transfer slot. The first starts before the others are known (set to close), then they
 * come and keep its connection after all: all go over one connection, which stays. */
static int queued(void *arg, void **value) {
    reuse_args_t *a = arg;
    limits_set(a);
    assert_int_equal(fetch(a, "h1.cafe.test", "warm"), 0);
    older();
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
    a->one_off = (long)st.one_off;
    assert_int_equal(fetch(a, "h2.cafe.test", "flush"), 0);
    return 0;
}

static void test_queued_host_reuses(void **state) {
    reuse_args_t a;
    args_init(&a, *state, "queued");
    a.close_one_off = 1;
    a.max_transfers = 1;
    a.max_connections = 1;
    assert_int_equal(test_run(queued, &a), 0);
    assert_int_equal(a.open_after, 1);
    assert_int_equal(a.connects, 1);
    assert_int_equal(a.one_off, 0);
    nginx_log_count_t n = nginx_log_count(a.s, "?queued");
    assert_int_equal(n.requests, QUEUED);
    assert_int_equal(n.conns, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_off_closed),
        cmocka_unit_test(test_default_keeps),
        cmocka_unit_test(test_sequential_keeps),
        cmocka_unit_test(test_queued_host_reuses),
    };
    return cmocka_run_group_tests(tests, nginx_group_setup, nginx_group_teardown);
}
