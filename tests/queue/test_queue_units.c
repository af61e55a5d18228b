/* REDIS_URL parsing and the queue's key names: pure parts, no server; and the connection's
 * retries against a loopback listener of the test's own. */
#include "testutil.h"
#include "cafe.h"
#include "cafe/tcp.h"
#include "queue.h"
#include "redis.h"

#include <stdlib.h>
#include <string.h>

static void parse_ok(redis_conf_t *c, const char *url, const char *queue_opt) {
    assert_int_equal(redis_conf_parse(c, url, queue_opt, "test"), 0);
}

static void parse_bad(const char *url) {
    redis_conf_t c;
    assert_int_equal(redis_conf_parse(&c, url, NULL, "test"), 2);
    redis_conf_free(&c);
}

static void test_defaults_and_parts(void **state) {
    redis_conf_t c;
    unsetenv("REDISCLI_AUTH");
    parse_ok(&c, "redis://127.0.0.1?queue=q1", NULL);
    assert_string_equal(c.host, "127.0.0.1");
    assert_int_equal(c.port, 6379);
    assert_int_equal(c.db, 0);
    assert_null(c.user);
    assert_null(c.pass);
    assert_string_equal(c.queue, "q1");
    assert_string_equal(c.display, "redis://127.0.0.1:6379/0?queue=q1");
    redis_conf_free(&c);
    parse_ok(&c, "redis://[::1]:7000/3", "other");
    assert_string_equal(c.host, "::1");
    assert_int_equal(c.port, 7000);
    assert_int_equal(c.db, 3);
    assert_string_equal(c.queue, "other"); /* --queue NAME */
    assert_string_equal(c.display, "redis://[::1]:7000/3?queue=other");
    redis_conf_free(&c);
}

static void test_credentials_never_shown(void **state) {
    redis_conf_t c;
    unsetenv("REDISCLI_AUTH");
    parse_ok(&c, "redis://crawler:p%40ss%3Aword@localhost:6380/1?queue=x", NULL);
    assert_string_equal(c.user, "crawler");
    assert_string_equal(c.pass, "p@ss:word"); /* percent-decoded */
    assert_null(strstr(c.display, "p%40ss"));
    assert_string_equal(c.display, "redis://crawler:***@localhost:6380/1?queue=x");
    redis_conf_free(&c);
    parse_ok(&c, "redis://:only-pass@localhost/?queue=x", NULL);
    assert_null(c.user); /* requirepass: AUTH with the password alone */
    assert_string_equal(c.pass, "only-pass");
    assert_string_equal(c.display, "redis://:***@localhost:6379/0?queue=x");
    redis_conf_free(&c);
    setenv("REDISCLI_AUTH", "from-env", 1);
    parse_ok(&c, "redis://localhost/?queue=x", NULL);
    assert_string_equal(c.pass, "from-env");
    redis_conf_free(&c);
    parse_ok(&c, "redis://:in-url@localhost/?queue=x", NULL);
    assert_string_equal(c.pass, "in-url"); /* the URL wins */
    redis_conf_free(&c);
    unsetenv("REDISCLI_AUTH");
}

static void test_refused(void **state) {
    parse_bad("rediss://localhost/?queue=x");  /* no TLS in Debian's hiredis */
    parse_bad("http://localhost/?queue=x");    /* not redis */
    parse_bad("redis://localhost/");           /* no queue name */
    parse_bad("redis://localhost/x?queue=q");  /* db not a number */
    parse_bad("redis://localhost/+5?queue=q"); /* nor a signed one */
    parse_bad("redis://localhost/-0?queue=q");
    parse_bad("redis://localhost/?queue=a/b");   /* unsafe queue name */
    parse_bad("redis://localhost/?queue=a&x=1"); /* unknown parameter */
    parse_bad("redis://localhost/?quue=a");      /* typo */
    parse_bad("redis://localhost:0/?queue=q");   /* no server listens on port 0 */
    redis_conf_t c; /* ?queue= and --queue naming two queues: neither is guessed */
    assert_int_equal(redis_conf_parse(&c, "redis://localhost/?queue=a", "b", "test"), 2);
    redis_conf_free(&c);
    parse_ok(&c, "redis://localhost/?queue=a", "a"); /* the same one twice */
    assert_string_equal(c.queue, "a");
    redis_conf_free(&c);
    parse_ok(&c, "redis://localhost/?queue=nightly%2D1%3Ab", NULL); /* percent-decoded */
    assert_string_equal(c.queue, "nightly-1:b");
    assert_string_equal(c.display, "redis://localhost:6379/0?queue=nightly-1:b");
    redis_conf_free(&c);
    parse_ok(&c, "redis://localhost/?queue=a%2D1", "a-1"); /* one queue, two spellings */
    redis_conf_free(&c);
    parse_bad("redis://localhost/?queue=a%2Fb"); /* a '/' encoded is still no name's */
    parse_bad("redis://localhost/?queue=a%00b"); /* a NUL cuts the name */
    parse_bad("not a url");
    parse_bad("");
}

/* A Unix socket, as redis-server's unixsocket: unix:///PATH (redis-py, go-redis, redis-rb)
 * or redis+unix:///PATH, the database and queue as query parameters. */
static void test_unix_socket(void **state) {
    redis_conf_t c;
    parse_ok(&c, "unix:///run/redis/redis.sock?queue=q1", NULL);
    assert_string_equal(c.socket, "/run/redis/redis.sock");
    assert_int_equal(c.db, 0);
    assert_string_equal(c.display, "unix:///run/redis/redis.sock?db=0&queue=q1");
    redis_conf_free(&c);
    parse_ok(&c, "redis+unix://:s3cret@/tmp/a%20b.sock?db=3&queue=x", NULL);
    assert_string_equal(c.socket, "/tmp/a b.sock");
    assert_string_equal(c.pass, "s3cret");
    assert_null(c.user);
    assert_int_equal(c.db, 3);
    assert_null(strstr(c.display, "s3cret"));
    assert_string_equal(c.display, "unix://:***@/tmp/a%20b.sock?db=3&queue=x");
    redis_conf_free(&c);
    parse_ok(&c, "unix://crawler:pw@/s.sock?queue=x", NULL);
    assert_string_equal(c.user, "crawler");
    assert_string_equal(c.pass, "pw");
    redis_conf_free(&c);
    parse_ok(&c, "unix:///s.sock", "q"); /* --queue */
    assert_string_equal(c.queue, "q");
    redis_conf_free(&c);
    parse_bad("unix://localhost/s.sock?queue=q");  /* a host: not a path */
    parse_bad("unix://?queue=q");                  /* no path */
    parse_bad("unix:///s.sock");                   /* no queue */
    parse_bad("unix:///s.sock?queue=q&db=x");      /* db not a number */
    parse_bad("unix:///s.sock?queue=q&port=1");    /* unknown parameter */
    parse_bad("unix:///s.sock?queue=a&queue=b");   /* which queue? */
    parse_bad("unix:///s.sock?db=1&queue=q&db=2"); /* which database? */
    parse_bad("unix:///s%00.sock?queue=q");        /* a NUL cuts the path */
}

static void test_key_names(void **state) {
    queue_keys_t k;
    assert_int_equal(queue_keys_init(&k, "crawl.1"), 0);
    /* One hash tag per queue: a Redis Cluster keeps all of a queue's keys on one node, which
     * its scripts need. */
    assert_string_equal(k.k[QK_PENDING], "cafe:{crawl.1}:pending");
    assert_string_equal(k.k[QK_RESULTS], "cafe:{crawl.1}:results");
    assert_string_equal(k.k[QK_WORKERS], "cafe:{crawl.1}:workers");
    queue_keys_free(&k);
}

/* A server that answers the first connection's hand-shake (PING) and then goes; every later
 * connection is accepted and closed at once: Redis gone, its port still answering. */
typedef struct gone_server {
    cafe_tcp_t listener;
    int accepted;
} gone_server_t;

static int gone_server(void *arg, void **value) {
    gone_server_t *g = arg;
    cafe_tcp_t c;
    while (cafe_tcp_accept(&g->listener, &c) == 0) {
        char buf[256];
        if (g->accepted++ == 0 && cafe_tcp_read_until(&c, buf, sizeof buf, "PING\r\n", 6) > 0)
            (void)cafe_tcp_write(&c, "+PONG\r\n", 7);
        (void)cafe_tcp_close(&c);
    }
    return 0;
}

static int outage_task(void *arg, void **value) {
    gone_server_t g = {0};
    assert_int_equal(cafe_tcp_listen(&g.listener, "127.0.0.1", 0, 16), 0);
    cafe_task_t *server;
    assert_int_equal(cafe_task_spawn(&server, gone_server, &g, NULL), 0);
    redis_conf_t conf = {.host = "127.0.0.1", .port = cafe_tcp_port(&g.listener)};
    redis_t *r;
    char err[256];
    assert_int_equal(redis_open(&r, &conf, NULL, 0, err, sizeof err), 0);
    redis_set_retry(r, 300, 1);
    const char *ping[] = {"PING"};
    redisReply *rep = NULL;
    assert_int_equal(redis_cmd(r, &rep, 1, ping, NULL), CAFE_ECONNRESET);
    int tries = g.accepted;
    /* The outage has lasted the retry time: a later command (a worker's last records, its
     * release) fails at once. It used to get 300 ms of retries of its own, one command
     * after the other, and a worker whose Redis was gone for good never ended. */
    assert_int_equal(redis_cmd(r, &rep, 1, ping, NULL), CAFE_ECONNRESET);
    assert_int_equal(g.accepted, tries);
    redis_close(r);
    (void)cafe_tcp_close(&g.listener);
    (void)cafe_task_join(server, NULL);
    return 0;
}

static void test_retries_end_with_the_outage(void **state) {
    cafe_result_t res;
    assert_int_equal(cafe_run(outage_task, NULL, &res), 0);
    assert_int_equal(res.status, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_parts),
        cmocka_unit_test(test_credentials_never_shown),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_unix_socket),
        cmocka_unit_test(test_key_names),
        cmocka_unit_test(test_retries_end_with_the_outage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
