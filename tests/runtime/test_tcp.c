/* TCP streams: echo, many connections, resets, half-close, deadlines, cancellation and
 * misuse, on 127.0.0.1 and ::1 only. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- echo: a server task per connection, clients in tasks ---- */
typedef struct server {
    cafe_tcp_t listener;
    int port;
    int conns; /* connections the server has accepted */
    cafe_group_t handlers;
} server_t;

static int echo_conn(void *arg, void **value) {
    cafe_tcp_t *c = arg;
    char buf[4096];
    int n, rc = 0;
    while ((n = cafe_tcp_read(c, buf, sizeof(buf))) > 0)
        if ((rc = cafe_tcp_write(c, buf, (size_t)n)) != 0)
            break;
    cafe_tcp_close(c);
    free(c);
    return n == CAFE_EOF || n == CAFE_ECONNRESET ? rc : n;
}

/* Accepts until the listener is closed. */
static int echo_server(void *arg, void **value) {
    server_t *s = arg;
    cafe_group_init(&s->handlers, 0);
    for (;;) {
        cafe_tcp_t *c = malloc(sizeof(*c));
        assert_non_null(c);
        int rc = cafe_tcp_accept(&s->listener, c);
        if (rc != 0) {
            free(c);
            break;
        }
        s->conns++;
        assert_int_equal(cafe_group_spawn(&s->handlers, echo_conn, c, NULL), 0);
    }
    return cafe_group_wait(&s->handlers);
}

static void server_start(server_t *s, const char *ip, cafe_task_t **task) {
    memset(s, 0, sizeof(*s));
    assert_int_equal(cafe_tcp_listen(&s->listener, ip, 0, 0), 0);
    s->port = cafe_tcp_port(&s->listener);
    assert_true(s->port > 0);
    assert_int_equal(cafe_task_spawn(task, echo_server, s, NULL), 0);
}

static void server_stop(server_t *s, cafe_task_t *task) {
    assert_int_equal(cafe_tcp_close(&s->listener), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(task, &r), 0);
    assert_int_equal(r.status, 0);
}

typedef struct client {
    const char *ip;
    int port, id, ok;
} client_t;

/* Sends a message, reads it back whole, then half-closes and expects EOF. */
static int echo_client(void *arg, void **value) {
    client_t *c = arg;
    cafe_tcp_t s;
    int rc = cafe_tcp_connect(&s, c->ip, c->port);
    if (rc != 0)
        return rc;
    char msg[64], back[64];
    int len = snprintf(msg, sizeof(msg), "hello from client %d\n", c->id);
    assert_int_equal(cafe_tcp_write(&s, msg, (size_t)len), 0);
    assert_int_equal(cafe_tcp_read_exactly(&s, back, (size_t)len), 0);
    assert_memory_equal(msg, back, (size_t)len);
    assert_int_equal(cafe_tcp_shutdown(&s), 0);
    assert_int_equal(cafe_tcp_read(&s, back, sizeof(back)), CAFE_EOF);
    assert_int_equal(cafe_tcp_close(&s), 0);
    c->ok = 1;
    return 0;
}

static int echo_main(void *arg, void **value) {
    const char *ip = arg;
    server_t s;
    cafe_task_t *st;
    server_start(&s, ip, &st);
    client_t c = {.ip = ip, .port = s.port, .id = 1};
    cafe_task_t *ct;
    assert_int_equal(cafe_task_spawn(&ct, echo_client, &c, NULL), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(ct, &r), 0);
    assert_int_equal(r.status, 0);
    assert_true(c.ok);
    server_stop(&s, st);
    assert_int_equal(s.conns, 1);
    return 0;
}

static void test_echo_ipv4(void **state) {
    assert_int_equal(test_run(echo_main, "127.0.0.1"), 0);
}

static void test_echo_ipv6(void **state) {
    assert_int_equal(test_run(echo_main, "::1"), 0);
}

/* ---- connect by host name: "localhost" from /etc/hosts through the loop's resolver, each
 * address tried in turn (it may give ::1 first, where nobody listens). Cancelling a lookup
 * in flight: tests/http/test_dns_wire.c, which has a DNS server to keep one in flight. ---- */
static int by_name_main(void *arg, void **value) {
    server_t s;
    cafe_task_t *st;
    server_start(&s, "127.0.0.1", &st);
    client_t c = {.ip = "localhost", .port = s.port, .id = 2};
    cafe_task_t *ct;
    assert_int_equal(cafe_task_spawn(&ct, echo_client, &c, NULL), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(ct, &r), 0);
    assert_int_equal(r.status, 0);
    server_stop(&s, st);
    assert_int_equal(s.conns, 1);
    return 0;
}

static void test_connect_by_name(void **state) {
    assert_int_equal(test_run(by_name_main, NULL), 0);
}

/* ---- many connections at once ---- */
static int many_main(void *arg, void **value) {
    int n = *(int *)arg;
    server_t s;
    cafe_task_t *st;
    server_start(&s, "127.0.0.1", &st);
    client_t *cs = calloc((size_t)n, sizeof(*cs));
    cafe_group_t g;
    cafe_group_init(&g, 0);
    for (int i = 0; i < n; i++) {
        cs[i] = (client_t){.ip = "127.0.0.1", .port = s.port, .id = i};
        assert_int_equal(cafe_group_spawn(&g, echo_client, &cs[i], NULL), 0);
    }
    assert_int_equal(cafe_group_wait(&g), 0);
    for (int i = 0; i < n; i++)
        assert_true(cs[i].ok);
    free(cs);
    server_stop(&s, st);
    assert_int_equal(s.conns, n);
    return 0;
}

static void test_many_connections(void **state) {
    int n = test_under_valgrind() ? 20 : 200;
    assert_int_equal(test_run(many_main, &n), 0);
}

/* ---- bulk data larger than every buffer on the way, both directions at once ---- */
#define BULK (4u * 1024u * 1024u)

static int bulk_writer(void *arg, void **value) {
    cafe_tcp_t *s = arg;
    unsigned char *data = malloc(BULK);
    for (size_t i = 0; i < BULK; i++)
        data[i] = (unsigned char)(i * 7u);
    cafe_buf_t bufs[2] = {{data, 1000}, {data + 1000, BULK - 1000}};
    int rc = cafe_tcp_writev(s, bufs, 2);
    free(data);
    return rc == 0 ? cafe_tcp_shutdown(s) : rc;
}

static int bulk_main(void *arg, void **value) {
    server_t s;
    cafe_task_t *st, *wt;
    server_start(&s, "127.0.0.1", &st);
    cafe_tcp_t c;
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", s.port), 0);
    assert_int_equal(cafe_task_spawn(&wt, bulk_writer, &c, NULL), 0);
    unsigned char buf[8192];
    size_t got = 0;
    int n, bad = 0;
    while ((n = cafe_tcp_read(&c, buf, sizeof(buf))) > 0) {
        for (int i = 0; i < n; i++)
            bad += buf[i] != (unsigned char)((got + (size_t)i) * 7u);
        got += (size_t)n;
    }
    assert_int_equal(n, CAFE_EOF);
    assert_int_equal(got, BULK);
    assert_int_equal(bad, 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(wt, &r), 0);
    assert_int_equal(r.status, 0);
    cafe_tcp_close(&c);
    server_stop(&s, st);
    return 0;
}

static void test_bulk_both_directions(void **state) {
    assert_int_equal(test_run(bulk_main, NULL), 0);
}

/* ---- read_until: fgets semantics, bounded, delimiter split across reads ---- */
static int lines_peer(void *arg, void **value) {
    cafe_tcp_t *l = arg, c;
    assert_int_equal(cafe_tcp_accept(l, &c), 0);
    const char *parts[] = {"GET / HTTP/1.1\r", "\nHost: x\r\n\r\nBODY", "0123456789abc"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(cafe_tcp_write(&c, parts[i], strlen(parts[i])), 0);
        cafe_task_sleep(5); /* separate segments: the delimiter arrives split */
    }
    return cafe_tcp_close(&c);
}

static int lines_main(void *arg, void **value) {
    cafe_tcp_t l, c;
    cafe_task_t *peer;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_task_spawn(&peer, lines_peer, &l, NULL), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    char buf[64];
    int n = cafe_tcp_read_until(&c, buf, sizeof(buf), "\r\n", 2);
    assert_int_equal(n, 16);
    assert_memory_equal(buf, "GET / HTTP/1.1\r\n", 16);
    n = cafe_tcp_read_until(&c, buf, sizeof(buf), "\r\n\r\n", 4);
    assert_int_equal(n, 11);
    assert_memory_equal(buf, "Host: x\r\n\r\n", 11);
    n = cafe_tcp_read_until(&c, buf, 6, "\n", 1); /* longer than cap: cap bytes */
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "BODY01", 6);
    n = cafe_tcp_read_until(&c, buf, sizeof(buf), "\n", 1); /* ends without delimiter */
    assert_int_equal(n, 11);
    assert_memory_equal(buf, "23456789abc", 11);
    assert_int_equal(cafe_tcp_read_until(&c, buf, sizeof(buf), "\n", 1), CAFE_EOF);
    assert_int_equal(cafe_tcp_read(&c, buf, sizeof(buf)), CAFE_EOF); /* EOF is sticky */
    cafe_result_t r;
    assert_int_equal(cafe_task_join(peer, &r), 0);
    assert_int_equal(r.status, 0);
    cafe_tcp_close(&c);
    cafe_tcp_close(&l);
    return 0;
}

static void test_read_until(void **state) {
    assert_int_equal(test_run(lines_main, NULL), 0);
}

/* ---- peer reset: the reader sees ECONNRESET, writes fail, nothing crashes ---- */
typedef struct reset_case {
    cafe_tcp_t l;
    int pause; /* 0: the RST follows the data at once (libuv then sees a hang-up) */
} reset_case_t;

static int reset_peer(void *arg, void **value) {
    reset_case_t *rc = arg;
    cafe_tcp_t c;
    assert_int_equal(cafe_tcp_accept(&rc->l, &c), 0);
    assert_int_equal(cafe_tcp_write(&c, "partial", 7), 0);
    if (rc->pause)
        cafe_task_sleep(5);
    return cafe_tcp_close_reset(&c);
}

static int reset_main(void *arg, void **value) {
    reset_case_t rcase = {.pause = *(int *)arg};
    cafe_tcp_t c, *lp = &rcase.l;
    cafe_task_t *peer;
    assert_int_equal(cafe_tcp_listen(lp, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_task_spawn(&peer, reset_peer, &rcase, NULL), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(lp)), 0);
    char buf[64];
    size_t got = 0;
    int n;
    if (!rcase.pause)
        cafe_task_sleep(20); /* let data and RST arrive together */
    while ((n = cafe_tcp_read(&c, buf + got, sizeof(buf) - got)) > 0)
        got += (size_t)n;
    assert_int_equal(n, CAFE_ECONNRESET); /* never a clean EOF */
    assert_true(got <= 7);
    int w = cafe_tcp_write(&c, "x", 1);
    assert_true(w == CAFE_EPIPE || w == CAFE_ECONNRESET);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(peer, &r), 0);
    assert_int_equal(r.status, 0);
    cafe_tcp_close(&c);
    cafe_tcp_close(lp);
    return 0;
}

static void test_peer_reset(void **state) {
    int pause = 1;
    assert_int_equal(test_run(reset_main, &pause), 0);
}

static void test_peer_reset_right_after_data(void **state) {
    int pause = 0;
    assert_int_equal(test_run(reset_main, &pause), 0);
}

/* ---- half-close: after our shutdown the peer sees EOF and can still answer ---- */
static int half_peer(void *arg, void **value) {
    cafe_tcp_t *l = arg, c;
    assert_int_equal(cafe_tcp_accept(l, &c), 0);
    char buf[64];
    size_t got = 0;
    int n;
    while ((n = cafe_tcp_read(&c, buf + got, sizeof(buf) - got)) > 0)
        got += (size_t)n;
    assert_int_equal(n, CAFE_EOF);
    /* The request was complete only once EOF came: answer with its length. */
    char reply[16];
    int len = snprintf(reply, sizeof(reply), "got %zu", got);
    assert_int_equal(cafe_tcp_write(&c, reply, (size_t)len), 0);
    return cafe_tcp_close(&c);
}

static int half_main(void *arg, void **value) {
    cafe_tcp_t l, c;
    cafe_task_t *peer;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_task_spawn(&peer, half_peer, &l, NULL), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    assert_int_equal(cafe_tcp_write(&c, "0123456789", 10), 0);
    assert_int_equal(cafe_tcp_shutdown(&c), 0);
    assert_int_equal(cafe_tcp_write(&c, "x", 1), CAFE_EPIPE);
    assert_int_equal(cafe_tcp_shutdown(&c), CAFE_EPIPE);
    char buf[16] = {0};
    assert_int_equal(cafe_tcp_read_until(&c, buf, sizeof(buf), "\n", 1), 6);
    assert_memory_equal(buf, "got 10", 6);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(peer, &r), 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(cafe_tcp_close_reset(&c), 0); /* after shutdown: a normal close */
    cafe_tcp_close(&l);
    return 0;
}

static void test_half_close(void **state) {
    assert_int_equal(test_run(half_main, NULL), 0);
}

/* ---- deadlines and cancellation interrupt reads, accepts and writes ---- */
static int blocked_reader(void *arg, void **value) {
    char buf[16];
    return cafe_tcp_read(arg, buf, sizeof(buf));
}

static int interrupt_main(void *arg, void **value) {
    cafe_tcp_t l, c, srv;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    /* accept with a deadline and nobody connecting */
    cafe_deadline_t d;
    cafe_deadline_begin(&d, 20);
    assert_int_equal(cafe_tcp_accept(&l, &srv), CAFE_ETIMEDOUT);
    cafe_deadline_end(&d);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    assert_int_equal(cafe_tcp_accept(&l, &srv), 0);
    /* read with a deadline, the peer silent */
    char buf[16];
    cafe_deadline_begin(&d, 20);
    assert_int_equal(cafe_tcp_read(&c, buf, sizeof(buf)), CAFE_ETIMEDOUT);
    assert_int_equal(cafe_deadline_end(&d), CAFE_ETIMEDOUT);
    /* a blocked reader cancelled; meanwhile a second reader is refused */
    cafe_task_t *rd;
    assert_int_equal(cafe_task_spawn(&rd, blocked_reader, &c, NULL), 0);
    cafe_task_yield();
    assert_int_equal(cafe_tcp_read(&c, buf, sizeof(buf)), CAFE_EBUSY);
    cafe_task_cancel(rd);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(rd, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    /* nothing was lost: the stream still works */
    assert_int_equal(cafe_tcp_write(&srv, "ok", 2), 0);
    assert_int_equal(cafe_tcp_read_exactly(&c, buf, 2), 0);
    assert_memory_equal(buf, "ok", 2);
    /* a write the peer never reads: times out, then the stream is dead */
    size_t big = 64u * 1024u * 1024u;
    char *junk = calloc(1, big);
    cafe_deadline_begin(&d, 50);
    assert_int_equal(cafe_tcp_write(&c, junk, big), CAFE_ETIMEDOUT);
    cafe_deadline_end(&d);
    free(junk);
    assert_int_equal(cafe_tcp_write(&c, "x", 1), CAFE_EPIPE);
    assert_int_equal(cafe_tcp_close(&c), 0);
    assert_int_equal(cafe_tcp_close(&srv), 0);
    assert_int_equal(cafe_tcp_close(&l), 0);
    return 0;
}

/* A writer blocked on a peer that never reads: a second writer is refused; cancelling the
 * first aborts the connection, which the peer sees. */
typedef struct big_write {
    cafe_tcp_t *s;
    char *data;
    size_t len;
} big_write_t;

static int blocked_writer(void *arg, void **value) {
    big_write_t *bw = arg;
    return cafe_tcp_write(bw->s, bw->data, bw->len);
}

static int cancel_write_main(void *arg, void **value) {
    cafe_tcp_t l, c, srv;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    assert_int_equal(cafe_tcp_accept(&l, &srv), 0);
    assert_int_equal(cafe_tcp_accept(&l, &l), CAFE_EINVAL); /* misuse: not into itself */
    big_write_t bw = {&c, calloc(1, 64u << 20), 64u << 20};
    cafe_task_t *wt;
    assert_int_equal(cafe_task_spawn(&wt, blocked_writer, &bw, NULL), 0);
    cafe_task_yield();
    assert_int_equal(cafe_tcp_write(&c, "x", 1), CAFE_EBUSY);
    assert_int_equal(cafe_tcp_shutdown(&c), CAFE_EBUSY);
    cafe_task_cancel(wt);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(wt, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    free(bw.data);
    assert_int_equal(cafe_tcp_write(&c, "x", 1), CAFE_EPIPE);
    char buf[65536];
    int n;
    while ((n = cafe_tcp_read(&srv, buf, sizeof(buf))) > 0)
        ;
    assert_true(n == CAFE_EOF || n == CAFE_ECONNRESET); /* the peer sees the abort */
    cafe_tcp_close(&c);
    cafe_tcp_close(&srv);
    cafe_tcp_close(&l);
    return 0;
}

static void test_cancel_blocked_write(void **state) {
    assert_int_equal(test_run(cancel_write_main, NULL), 0);
}

static void test_deadlines_and_cancel(void **state) {
    assert_int_equal(test_run(interrupt_main, NULL), 0);
}

/* Closing a stream wakes the task blocked on it with EPIPE; it never touches freed memory. */
static int close_main(void *arg, void **value) {
    cafe_tcp_t l, c, srv;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    assert_int_equal(cafe_tcp_accept(&l, &srv), 0);
    cafe_tcp_t shared = c; /* the reader's copy of the handle */
    cafe_task_t *rd;
    assert_int_equal(cafe_task_spawn(&rd, blocked_reader, &shared, NULL), 0);
    cafe_task_yield();
    assert_int_equal(cafe_tcp_close(&c), 0);
    cafe_result_t r;
    assert_int_equal(cafe_task_join(rd, &r), 0);
    assert_int_equal(r.status, CAFE_EPIPE);
    /* use after close */
    char buf[4];
    assert_int_equal(cafe_tcp_read(&c, buf, sizeof(buf)), CAFE_EINVAL);
    assert_int_equal(cafe_tcp_write(&c, "x", 1), CAFE_EINVAL);
    assert_int_equal(cafe_tcp_close(&c), CAFE_EINVAL);
    assert_int_equal(cafe_tcp_port(&c), CAFE_EINVAL);
    /* the peer sees the close as EOF */
    assert_int_equal(cafe_tcp_read(&srv, buf, sizeof(buf)), CAFE_EOF);
    /* misuse of a listener */
    assert_int_equal(cafe_tcp_read(&l, buf, sizeof(buf)), CAFE_EINVAL);
    assert_int_equal(cafe_tcp_accept(&srv, &c), CAFE_EINVAL);
    cafe_tcp_close(&srv);
    cafe_tcp_close(&l);
    return 0;
}

/* A length-prefixed protocol reads each payload with read_exactly(len): a frame of length 0
 * is read as 0 bytes at once (asyncio's readexactly(0) is b""), NULL buffer or not, and the
 * next frame is intact. It was CAFE_EINVAL, which such a reader takes for a broken stream. */
static int read_frame(cafe_tcp_t *s, char *payload, size_t cap) {
    unsigned char len;
    int rc = cafe_tcp_read_exactly(s, &len, 1);
    if (rc == 0 && len > cap)
        rc = CAFE_EIO;
    if (rc == 0)
        rc = cafe_tcp_read_exactly(s, len ? payload : NULL, len);
    return rc != 0 ? rc : len;
}

static int zero_frame_main(void *arg, void **value) {
    cafe_tcp_t l, c, srv;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    assert_int_equal(cafe_tcp_accept(&l, &srv), 0);
    assert_int_equal(cafe_tcp_write(&srv, "\0\2hi\0", 5), 0);
    char payload[8];
    assert_int_equal(read_frame(&c, payload, sizeof(payload)), 0);
    assert_int_equal(read_frame(&c, payload, sizeof(payload)), 2);
    assert_memory_equal(payload, "hi", 2);
    assert_int_equal(cafe_tcp_read_exactly(&c, payload, 0), 0); /* nothing waits */
    assert_int_equal(cafe_tcp_close(&srv), 0);
    assert_int_equal(read_frame(&c, payload, sizeof(payload)), 0); /* the last frame */
    assert_int_equal(read_frame(&c, payload, sizeof(payload)), CAFE_EOF);
    assert_int_equal(cafe_tcp_read_exactly(&l, payload, 0), CAFE_EINVAL); /* a listener */
    assert_int_equal(cafe_tcp_close(&c), 0);
    return cafe_tcp_close(&l);
}

static void test_read_exactly_zero_bytes(void **state) {
    assert_int_equal(test_run(zero_frame_main, NULL), 0);
}

/* "Sends all of buf": a buffer over 2 GiB (here 5 GiB, over 4 GiB too) was refused with
 * CAFE_EINVAL, nothing sent. It is sent in order like any other: the peer reads its first
 * bytes, and the write, which the peer stops reading, ends at its deadline. */
typedef struct first_bytes {
    cafe_tcp_t *s;
    char got[8];
    int rc;
} first_bytes_t;

static int read_first(void *arg, void **value) {
    first_bytes_t *f = arg;
    f->rc = cafe_tcp_read_exactly(f->s, f->got, sizeof(f->got));
    return 0;
}

static int huge_write_main(void *arg, void **value) {
    size_t big = (size_t)5 << 30;
    char *data =
        mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (data == MAP_FAILED)
        skip();
    memcpy(data, "cafe5gib", 8); /* the rest: pages never touched, read as zeros */
    cafe_tcp_t l, c, srv;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    assert_int_equal(cafe_tcp_accept(&l, &srv), 0);
    first_bytes_t f = {.s = &srv};
    cafe_task_t *rd;
    assert_int_equal(cafe_task_spawn(&rd, read_first, &f, NULL), 0);
    cafe_deadline_t d;
    cafe_deadline_begin(&d, 200);
    int rc = cafe_tcp_write(&c, data, big);
    cafe_deadline_end(&d);
    assert_int_equal(cafe_tcp_close(&c), 0); /* the reader is not left waiting either way */
    assert_int_equal(cafe_task_join(rd, NULL), 0);
    munmap(data, big);
    assert_int_equal(rc, CAFE_ETIMEDOUT);
    assert_int_equal(f.rc, 0);
    assert_memory_equal(f.got, "cafe5gib", 8);
    assert_int_equal(cafe_tcp_close(&srv), 0);
    return cafe_tcp_close(&l);
}

static void test_write_over_4gib(void **state) {
    assert_int_equal(test_run(huge_write_main, NULL), 0);
}

/* Streams set SIGPIPE to ignored, so that a write to a vanished peer is CAFE_EPIPE. A
 * SIGPIPE watcher replaces that while open; closing it put back the default (libuv's
 * uv_signal_stop), and the next such write killed the process. Run in a child. */
static int sigpipe_after_watcher_main(void *arg, void **value) {
    cafe_tcp_t l, c, srv;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    assert_int_equal(cafe_tcp_accept(&l, &srv), 0);
    cafe_signal_t w;
    assert_int_equal(cafe_signal_open(&w, SIGPIPE), 0);
    cafe_signal_close(&w);
    assert_int_equal(cafe_tcp_close(&srv), 0);
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++) /* the peer's RST to the first: then EPIPE */
        if ((rc = cafe_tcp_write(&c, "x", 1)) == 0)
            rc = cafe_task_sleep(1);
    assert_int_equal(rc, CAFE_EPIPE);
    assert_int_equal(cafe_tcp_close(&c), 0);
    return cafe_tcp_close(&l);
}

static void test_sigpipe_ignored_after_a_watcher(void **state) {
    int st;
    const char *err = test_child_stderr(sigpipe_after_watcher_main, NULL, &st);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("child: %s%s", WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "failed: ", err);
}

/* A write of a NULL buffer with a length is refused before anything is sent (libuv's
 * EFAULT came back as CAFE_EUNKNOWN), and the stream goes on as if it never came. */
static int null_write_main(void *arg, void **value) {
    cafe_tcp_t l, c, srv;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", cafe_tcp_port(&l)), 0);
    assert_int_equal(cafe_tcp_accept(&l, &srv), 0);
    assert_int_equal(cafe_tcp_write(&c, NULL, 3), CAFE_EINVAL);
    cafe_buf_t bufs[2] = {{"ab", 2}, {NULL, 1}};
    assert_int_equal(cafe_tcp_writev(&c, bufs, 2), CAFE_EINVAL);
    assert_int_equal(cafe_tcp_write(&c, NULL, 0), 0); /* nothing to send */
    assert_int_equal(cafe_tcp_write(&c, "xyz", 3), 0);
    char buf[4];
    assert_int_equal(cafe_tcp_read_exactly(&srv, buf, 3), 0);
    assert_memory_equal(buf, "xyz", 3);
    cafe_tcp_close(&c);
    assert_int_equal(cafe_tcp_read(&srv, buf, sizeof(buf)), CAFE_EOF);
    cafe_tcp_close(&srv);
    return cafe_tcp_close(&l);
}

static void test_null_write_einval(void **state) {
    assert_int_equal(test_run(null_write_main, NULL), 0);
}

static void test_close_wakes_and_invalidates(void **state) {
    assert_int_equal(test_run(close_main, NULL), 0);
}

/* ---- errors: refused port, bad addresses, address in use, cancelled connect ---- */
static int errors_main(void *arg, void **value) {
    cafe_tcp_t l, l2, c;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    int port = cafe_tcp_port(&l);
    assert_int_equal(cafe_tcp_listen(&l2, "127.0.0.1", port, 0), CAFE_EADDRINUSE);
    assert_int_equal(cafe_tcp_close(&l), 0); /* port is free now, and nobody listens */
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", port), CAFE_ECONNREFUSED);
    assert_int_equal(cafe_tcp_port(&c), CAFE_EINVAL);                             /* left closed */
    assert_int_equal(cafe_tcp_connect(&c, "localhost", port), CAFE_ECONNREFUSED); /* each */
    assert_int_equal(cafe_tcp_connect(&c, "", port), CAFE_EINVAL);
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", 70000), CAFE_EINVAL);
    assert_int_equal(cafe_tcp_listen(&l, "300.0.0.1", 0, 0), CAFE_EINVAL);
    cafe_task_cancel(cafe_task_current()); /* connect of a cancelled task: never starts */
    assert_int_equal(cafe_tcp_connect(&c, "127.0.0.1", port), CAFE_ECANCELED);
    return 0;
}

static void test_errors(void **state) {
    assert_int_equal(test_run(errors_main, NULL), 0);
}

/* ---- a sleep that ends while tasks compute, with I/O handles alive (any server): the
 * sleeper must run at once, not when unrelated I/O or the watchdog's timer wakes the loop */
typedef struct due {
    int watchdog_fired;
} due_t;

static int short_sleeper(void *arg, void **value) {
    return cafe_task_sleep(1);
}

static int watchdog(void *arg, void **value) {
    due_t *d = arg;
    if (cafe_task_sleep(5000) == 0)
        d->watchdog_fired = 1;
    return 0;
}

static void spin_ms(uint64_t ms) {
    uint64_t end = test_now_ms() + ms;
    while (test_now_ms() < end)
        ;
}

static int due_main(void *arg, void **value) {
    due_t d = {0};
    cafe_tcp_t l;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0); /* I/O alive, idle */
    cafe_task_t *sl, *wd;
    assert_int_equal(cafe_task_spawn(&wd, watchdog, &d, NULL), 0);
    assert_int_equal(cafe_task_spawn(&sl, short_sleeper, NULL, NULL), 0);
    cafe_task_yield(); /* both sleep now */
    spin_ms(5);        /* the 1 ms sleep ends while this task computes */
    assert_int_equal(cafe_task_join(sl, NULL), 0);
    assert_int_equal(d.watchdog_fired, 0);
    cafe_task_cancel(wd);
    assert_int_equal(cafe_task_join(wd, NULL), 0);
    cafe_tcp_close(&l);
    return 0;
}

static void test_timer_due_with_io_alive(void **state) {
    assert_int_equal(test_run(due_main, NULL), 0);
}

/* ---- outside a task ---- */
/* ---- accept is FIFO: a woken acceptor keeps the connection that woke it ---- */
/* A connects the kernel completed already (loopback), sending one byte that names it. */
static int raw_connect(int port, char tag) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(write(fd, &tag, 1), 1);
    return fd;
}

/* The tag of the connection accepted on l. */
static int accept_tag(cafe_tcp_t *l) {
    cafe_tcp_t c;
    char tag;
    int rc = cafe_tcp_accept(l, &c);
    if (rc == 0) {
        rc = cafe_tcp_read(&c, &tag, 1);
        cafe_tcp_close(&c);
    }
    return rc == 1 ? tag : rc;
}

static int first_acceptor(void *arg, void **value) {
    *value = (void *)(intptr_t)accept_tag(arg);
    return 0;
}

/* The first connection woke A, waiting first; the main task, ready before A in that turn,
 * called accept and took it: A went back to the end of the line. */
static int accept_fifo_main(void *arg, void **value) {
    cafe_tcp_t l;
    cafe_task_t *a;
    cafe_result_t r;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    int port = cafe_tcp_port(&l);
    assert_int_equal(cafe_task_spawn(&a, first_acceptor, &l, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* A waits in accept */
    int fd1 = raw_connect(port, '1');
    assert_int_equal(cafe_task_yield(), 0); /* libuv sees it: A is woken, after this task */
    int fd2 = raw_connect(port, '2');
    assert_int_equal(accept_tag(&l), '2');
    assert_int_equal(cafe_task_join(a, &r), 0);
    assert_int_equal((intptr_t)r.value, '1');
    close(fd1);
    close(fd2);
    return cafe_tcp_close(&l);
}

static void test_accept_fifo(void **state) {
    assert_int_equal(test_run(accept_fifo_main, NULL), 0);
}

/* ---- a connection handed to an acceptor that is cancelled before it ran goes to the next
 * acceptor, or back to the listener for the next accept, as a semaphore's permit does; it
 * is closed if the listener was closed meanwhile, and one held back by a listener that is
 * closed then is closed with it (the loop's free checks that no stream is left open) ---- */
/* The peer of fd closed the connection (EOF or reset) within a second. */
static int peer_closed(int fd) {
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char c;
    ssize_t n = read(fd, &c, 1);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static int accept_handover_main(void *arg, void **value) {
    cafe_tcp_t l;
    cafe_task_t *a, *b;
    cafe_result_t r;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    int port = cafe_tcp_port(&l);
    /* to the next acceptor */
    assert_int_equal(cafe_task_spawn(&a, first_acceptor, &l, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(cafe_task_spawn(&b, first_acceptor, &l, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0); /* A, then B, wait in accept */
    int fd1 = raw_connect(port, '1');
    assert_int_equal(cafe_task_yield(), 0); /* libuv sees it: A is handed it, after this task */
    assert_int_equal(cafe_task_cancel(a), 0);
    assert_int_equal(cafe_task_join(a, &r), 0);
    assert_int_equal((intptr_t)r.value, CAFE_ECANCELED);
    assert_int_equal(cafe_task_join_timeout(b, 2000, &r), 0); /* not left waiting */
    assert_int_equal((intptr_t)r.value, '1');
    /* back to the listener, before a connection that came later */
    assert_int_equal(cafe_task_spawn(&a, first_acceptor, &l, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0);
    int fd2 = raw_connect(port, '2');
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(cafe_task_cancel(a), 0);
    int fd3 = raw_connect(port, '3');
    assert_int_equal(cafe_task_join(a, &r), 0);
    assert_int_equal((intptr_t)r.value, CAFE_ECANCELED);
    assert_int_equal(accept_tag(&l), '2');
    assert_int_equal(accept_tag(&l), '3');
    /* held back by the listener when it is closed: closed with it */
    assert_int_equal(cafe_task_spawn(&a, first_acceptor, &l, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0);
    int fd4 = raw_connect(port, '4');
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(cafe_task_cancel(a), 0);
    assert_int_equal(cafe_task_join(a, &r), 0);
    assert_int_equal((intptr_t)r.value, CAFE_ECANCELED);
    assert_int_equal(cafe_tcp_close(&l), 0);
    /* the listener closed between the hand-over and the cancellation: closed at once */
    cafe_tcp_t l2;
    assert_int_equal(cafe_tcp_listen(&l2, "127.0.0.1", 0, 0), 0);
    port = cafe_tcp_port(&l2);
    assert_int_equal(cafe_task_spawn(&a, first_acceptor, &l2, NULL), 0);
    assert_int_equal(cafe_task_yield(), 0);
    int fd5 = raw_connect(port, '5');
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(cafe_tcp_close(&l2), 0);
    assert_int_equal(cafe_task_cancel(a), 0);
    assert_int_equal(cafe_task_join(a, &r), 0);
    assert_int_equal((intptr_t)r.value, CAFE_ECANCELED);
    /* the peers of the connections closed with their listeners see them end */
    assert_true(peer_closed(fd4));
    assert_true(peer_closed(fd5));
    close(fd1);
    close(fd2);
    close(fd3);
    close(fd4);
    close(fd5);
    return 0;
}

static void test_accept_handover_to_cancelled_task(void **state) {
    assert_int_equal(test_run(accept_handover_main, NULL), 0);
}

/* Connections handed to several acceptors that are all cancelled before they ran come back
 * in the order they arrived, whatever the order of the cancellations; and one handed on
 * to a waiting acceptor does not overtake those handed to acceptors that waited longer. */
static int accept_order_main(void *arg, void **value) {
    cafe_tcp_t l;
    cafe_task_t *a[3];
    cafe_result_t r;
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    int port = cafe_tcp_port(&l), fd[5];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cafe_task_spawn(&a[i], first_acceptor, &l, NULL), 0);
        assert_int_equal(cafe_task_yield(), 0); /* a[i] waits in accept, after a[i - 1] */
    }
    for (int i = 0; i < 3; i++)
        fd[i] = raw_connect(port, (char)('1' + i));
    assert_int_equal(cafe_task_yield(), 0); /* each a[i] is handed '1' + i, after this task */
    for (int i = 2; i >= 0; i--)
        assert_int_equal(cafe_task_cancel(a[i]), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cafe_task_join(a[i], &r), 0);
        assert_int_equal((intptr_t)r.value, CAFE_ECANCELED);
    }
    assert_int_equal(accept_tag(&l), '1');
    assert_int_equal(accept_tag(&l), '2');
    assert_int_equal(accept_tag(&l), '3');
    /* a[0] and a[1] handed '4' and '5', a[2] still waiting: a[0] cancelled, a[1] gets '4' */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cafe_task_spawn(&a[i], first_acceptor, &l, NULL), 0);
        assert_int_equal(cafe_task_yield(), 0);
    }
    fd[3] = raw_connect(port, '4');
    fd[4] = raw_connect(port, '5');
    assert_int_equal(cafe_task_yield(), 0);
    assert_int_equal(cafe_task_cancel(a[0]), 0);
    cafe_result_t rs[3];
    assert_int_equal(cafe_task_gather(a, 3, rs), 0);
    assert_int_equal((intptr_t)rs[0].value, CAFE_ECANCELED);
    assert_int_equal((intptr_t)rs[1].value, '4');
    assert_int_equal((intptr_t)rs[2].value, '5');
    for (int i = 0; i < 5; i++)
        close(fd[i]);
    return cafe_tcp_close(&l);
}

static void test_accept_handed_back_in_arrival_order(void **state) {
    assert_int_equal(test_run(accept_order_main, NULL), 0);
}

/* ---- a cancelled task's TCP calls do nothing: the kernel took a write at once (sent, 0),
 * accept took a pending connection, connect opened one and reset it ---- */
static int cancelled_calls_main(void *arg, void **value) {
    cafe_tcp_t l, s, srv, s2, c;
    cafe_shield_t sh;
    char b[8];
    assert_int_equal(cafe_tcp_listen(&l, "127.0.0.1", 0, 0), 0);
    int port = cafe_tcp_port(&l);
    assert_int_equal(cafe_tcp_connect(&s, "127.0.0.1", port), 0);
    assert_int_equal(cafe_tcp_accept(&l, &srv), 0);
    assert_int_equal(cafe_task_cancel(cafe_task_current()), 0);
    assert_int_equal(cafe_tcp_write(&s, "x", 1), CAFE_ECANCELED);
    assert_int_equal(cafe_tcp_shutdown(&s), CAFE_ECANCELED);
    assert_int_equal(cafe_tcp_connect(&s2, "127.0.0.1", port), CAFE_ECANCELED);
    int fd = raw_connect(port, '1');
    assert_int_equal(cafe_task_yield(), CAFE_ECANCELED); /* libuv sees the connection */
    assert_int_equal(cafe_tcp_accept(&l, &c), CAFE_ECANCELED);
    assert_int_equal(cafe_shield_begin(&sh), 0);
    assert_int_equal(accept_tag(&l), '1'); /* the connection left; no other came first */
    assert_int_equal(cafe_tcp_close(&s), 0);
    assert_int_equal(cafe_tcp_read(&srv, b, sizeof(b)), CAFE_EOF); /* nothing was sent */
    assert_int_equal(cafe_shield_end(&sh), CAFE_ECANCELED);
    close(fd);
    assert_int_equal(cafe_tcp_close(&srv), 0);
    return cafe_tcp_close(&l);
}

static void test_cancelled_calls_do_nothing(void **state) {
    assert_int_equal(test_run(cancelled_calls_main, NULL), 0);
}

static void test_outside_task(void **state) {
    cafe_tcp_t s = {NULL};
    char buf[4];
    assert_int_equal(cafe_tcp_listen(&s, "127.0.0.1", 0, 0), CAFE_ENOTASK);
    assert_int_equal(cafe_tcp_connect(&s, "127.0.0.1", 1), CAFE_ENOTASK);
    assert_int_equal(cafe_tcp_read(&s, buf, sizeof(buf)), CAFE_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_ipv4),
        cmocka_unit_test(test_echo_ipv6),
        cmocka_unit_test(test_connect_by_name),
        cmocka_unit_test(test_many_connections),
        cmocka_unit_test(test_bulk_both_directions),
        cmocka_unit_test(test_read_until),
        cmocka_unit_test(test_peer_reset),
        cmocka_unit_test(test_peer_reset_right_after_data),
        cmocka_unit_test(test_half_close),
        cmocka_unit_test(test_deadlines_and_cancel),
        cmocka_unit_test(test_cancel_blocked_write),
        cmocka_unit_test(test_close_wakes_and_invalidates),
        cmocka_unit_test(test_null_write_einval),
        cmocka_unit_test(test_read_exactly_zero_bytes),
        cmocka_unit_test(test_write_over_4gib),
        cmocka_unit_test(test_sigpipe_ignored_after_a_watcher),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_timer_due_with_io_alive),
        cmocka_unit_test(test_accept_fifo),
        cmocka_unit_test(test_accept_handover_to_cancelled_task),
        cmocka_unit_test(test_accept_handed_back_in_arrival_order),
        cmocka_unit_test(test_cancelled_calls_do_nothing),
        cmocka_unit_test(test_outside_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
