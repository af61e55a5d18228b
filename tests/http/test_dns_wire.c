/* The negative-TTL reader of DNS answers (src/http/dns_wire.c), on hand-built answers and on
 * one captured from dnsmasq. Every answer is also read at every prefix length from an
 * exactly-sized heap copy, so a read past n is caught by ASan and valgrind. Then the
 * resolver keeping a negative answer as its SOA says, against a server of the test's own on
 * 127.0.0.1 (the test runs in a network namespace; --resolver's way, no resolv.conf server
 * is ever asked). */
#include "testutil.h"
#include "http/dns_wire.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stdio.h>
#include <unistd.h>

typedef struct pkt {
    unsigned char b[512];
    size_t n;
} pkt_t;

static void put(pkt_t *p, const void *v, size_t n) {
    assert_true(p->n + n <= sizeof p->b);
    memcpy(p->b + p->n, v, n);
    p->n += n;
}

static void u16(pkt_t *p, unsigned v) {
    unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    put(p, b, 2);
}

static void u32(pkt_t *p, uint32_t v) {
    u16(p, v >> 16);
    u16(p, v & 0xFFFF);
}

static void name(pkt_t *p, const char *s) {
    while (*s) {
        size_t len = strcspn(s, ".");
        unsigned char l = (unsigned char)len;
        put(p, &l, 1);
        put(p, s, len);
        s += len + (s[len] == '.');
    }
    put(p, "", 1);
}

/* Header (flags given), one question. */
static void head(pkt_t *p, unsigned flags, unsigned an, unsigned ns, const char *q,
                 unsigned qtype) {
    p->n = 0;
    u16(p, 0x1234);
    u16(p, flags);
    u16(p, 1);
    u16(p, an);
    u16(p, ns);
    u16(p, 0);
    name(p, q);
    u16(p, qtype);
    u16(p, 1);
}

/* An SOA record owned by zone: TTL ttl, MINIMUM minimum. */
static void soa(pkt_t *p, const char *zone, uint32_t ttl, uint32_t minimum) {
    name(p, zone);
    u16(p, 6);
    u16(p, 1);
    u32(p, ttl);
    pkt_t rd = {.n = 0};
    name(&rd, "ns.test");
    name(&rd, "admin.test");
    u32(&rd, 1);
    u32(&rd, 60);
    u32(&rd, 60);
    u32(&rd, 60);
    u32(&rd, minimum);
    u16(p, (unsigned)rd.n);
    put(p, rd.b, rd.n);
}

/* Reads p whole (want: 1 with want_name and want_ttl, or 0), then at every shorter prefix,
 * where nothing may be found. */
static void check(const pkt_t *p, int want, const char *want_name, uint32_t want_ttl) {
    char q[256];
    uint32_t ttl = 0;
    int got = cafe__dns_wire_negative(p->b, p->n, q, sizeof q, &ttl);
    assert_int_equal(got, want);
    if (want) {
        assert_string_equal(q, want_name);
        assert_int_equal(ttl, want_ttl);
    }
    for (size_t k = 0; k < p->n; k++) {
        unsigned char *copy = malloc(k ? k : 1);
        memcpy(copy, p->b, k);
        assert_int_equal(cafe__dns_wire_negative(copy, k, q, sizeof q, &ttl), 0);
        free(copy);
    }
}

static void test_nxdomain_keeps_the_lesser_of_soa_ttl_and_minimum(void **state) {
    (void)state;
    pkt_t p;
    head(&p, 0x8183, 0, 1, "H1.Dead.TEST", 1);
    soa(&p, "test", 30, 60);
    check(&p, 1, "h1.dead.test", 30);
    head(&p, 0x8183, 0, 1, "h1.dead.test", 28);
    soa(&p, "test", 3600, 300);
    check(&p, 1, "h1.dead.test", 300);
    head(&p, 0x8183, 0, 1, "x.test", 1);
    soa(&p, "test", 0x80000010u, 300); /* top bit set: RFC 2181 says 0 */
    check(&p, 1, "x.test", 0);
}

static void test_nodata_after_a_cname_is_negative(void **state) {
    (void)state;
    pkt_t p;
    head(&p, 0x8180, 0, 1, "only.v6.test", 1); /* NOERROR, no answer */
    soa(&p, "test", 30, 30);
    check(&p, 1, "only.v6.test", 30);
    head(&p, 0x8180, 1, 1, "a.chain.test", 1); /* a CNAME, no A at its end */
    name(&p, "a.chain.test");
    u16(&p, 5);
    u16(&p, 1);
    u32(&p, 60);
    pkt_t rd = {.n = 0};
    name(&rd, "b.chain.test");
    u16(&p, (unsigned)rd.n);
    put(&p, rd.b, rd.n);
    soa(&p, "test", 45, 120);
    check(&p, 1, "a.chain.test", 45);
}

static void test_positive_failed_and_bare_answers_say_nothing(void **state) {
    (void)state;
    pkt_t p;
    head(&p, 0x8180, 1, 0, "h1.ok.test", 1); /* an address */
    name(&p, "h1.ok.test");
    u16(&p, 1);
    u16(&p, 1);
    u32(&p, 60);
    u16(&p, 4);
    put(&p, "\x7f\0\0\x01", 4);
    check(&p, 0, NULL, 0);
    head(&p, 0x8182, 0, 1, "z.fail.test", 1); /* SERVFAIL, even with an SOA */
    soa(&p, "test", 30, 30);
    check(&p, 0, NULL, 0);
    head(&p, 0x0100, 0, 1, "q.test", 1); /* a question, not an answer */
    soa(&p, "test", 30, 30);
    check(&p, 0, NULL, 0);
    /* dnsmasq 2.90's NXDOMAIN for --address=/dead.test/: no SOA, nothing to keep it by */
    static const unsigned char dnsmasq[] = {0x12, 0x34, 0x81, 0x83, 0,   1, 0,   0,   0,   0,
                                            0,    0,    2,    'h',  '1', 4, 'd', 'e', 'a', 'd',
                                            4,    't',  'e',  's',  't', 0, 0,   1,   0,   1};
    memcpy(p.b, dnsmasq, sizeof dnsmasq);
    p.n = sizeof dnsmasq;
    check(&p, 0, NULL, 0);
}

static void test_compressed_names_and_their_loops(void **state) {
    (void)state;
    pkt_t p;
    head(&p, 0x8183, 0, 1, "h2.dead.test", 1);
    /* owner: a pointer to "test" inside the question (offset 12 + 3 + 5 = 20) */
    u16(&p, 0xC000 | 20);
    u16(&p, 6);
    u16(&p, 1);
    u32(&p, 90);
    pkt_t rd = {.n = 0};
    u16(&rd, 0xC000 | 20); /* mname, rname: pointers too */
    u16(&rd, 0xC000 | 20);
    for (int i = 0; i < 4; i++)
        u32(&rd, 60);
    u32(&rd, 120);
    u16(&p, (unsigned)rd.n);
    put(&p, rd.b, rd.n);
    check(&p, 1, "h2.dead.test", 90);
    /* the owner name points at itself: no answer, no endless loop */
    head(&p, 0x8183, 0, 1, "h3.dead.test", 1);
    size_t self = p.n;
    u16(&p, 0xC000 | (unsigned)self);
    u16(&p, 6);
    u16(&p, 1);
    u32(&p, 90);
    u16(&p, 0);
    check(&p, 0, NULL, 0);
}

static void test_a_name_too_long_for_the_buffer(void **state) {
    (void)state;
    pkt_t p;
    head(&p, 0x8183, 0, 1, "abcdefghij.dead.test", 1);
    soa(&p, "test", 30, 30);
    char q[32];
    uint32_t ttl;
    assert_int_equal(cafe__dns_wire_negative(p.b, p.n, q, 8, &ttl), 0);
    assert_int_equal(cafe__dns_wire_negative(p.b, p.n, q, 21, &ttl), 1);
    assert_string_equal(q, "abcdefghij.dead.test");
    assert_int_equal(cafe__dns_wire_negative(p.b, p.n, q, 20, &ttl), 0);
}

/* ---- the resolver against a server of the test's own --------------------------------- */

typedef struct server {
    int fd;
    unsigned port;
    pthread_t thread;
    pthread_mutex_t lock;
    unsigned soa_a, bare_a; /* A questions for x.soa.test and y.bare.test */
} server_t;

/* *.soa.test: NXDOMAIN with an SOA (TTL 30, MINIMUM 30); *.drop.test: never answered;
 * anything else: NXDOMAIN alone. */
static void *serve(void *arg) {
    server_t *s = arg;
    for (;;) {
        unsigned char q[512];
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        ssize_t n = recvfrom(s->fd, q, sizeof q, 0, (struct sockaddr *)&peer, &len);
        if (n == 4 && memcmp(q, "stop", 4) == 0)
            return NULL;
        char name[256];
        pkt_t p = {.n = 0};
        size_t off = 12, at = 0;
        while (n > 12 && off < (size_t)n && q[off] && at + q[off] + 1 < sizeof name) {
            memcpy(name + at, q + off + 1, q[off]);
            at += q[off];
            name[at++] = '.';
            off += q[off] + 1u;
        }
        name[at ? at - 1 : 0] = '\0';
        if (off + 5 > (size_t)n)
            continue;
        unsigned qtype = (unsigned)q[off + 1] << 8 | q[off + 2];
        size_t nlen = strlen(name);
        int soa_zone = nlen > 9 && strcmp(name + nlen - 9, ".soa.test") == 0;
        pthread_mutex_lock(&s->lock);
        s->soa_a += qtype == 1 && strcmp(name, "x.soa.test") == 0;
        s->bare_a += qtype == 1 && strcmp(name, "y.bare.test") == 0;
        pthread_mutex_unlock(&s->lock);
        if (nlen > 10 && strcmp(name + nlen - 10, ".drop.test") == 0)
            continue;
        head(&p, 0x8183, 0, soa_zone, name, qtype);
        memcpy(p.b, q, 2); /* the question's id */
        if (soa_zone)
            soa(&p, "soa.test", 30, 30);
        sendto(s->fd, p.b, p.n, 0, (struct sockaddr *)&peer, len);
    }
}

static void server_start(server_t *s) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    pthread_mutex_init(&s->lock, NULL);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server_t *s) {
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)s->port)};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(sendto(fd, "stop", 4, 0, (struct sockaddr *)&a, sizeof a), 4);
    close(fd);
    pthread_join(s->thread, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->lock);
}

/* The running loop's resolver asks s only (--resolver's way). */
static void use_server(const server_t *s) {
    char servers[32];
    snprintf(servers, sizeof servers, "127.0.0.1:%u", s->port);
    cafe_dns_opts_t o = {.servers = servers};
    assert_int_equal(cafe_dns_configure(NULL, &o), 0);
}

/* Runs fn(s) in a loop of its own, with s serving meanwhile. */
static void run_with_server(server_t *s, cafe_task_fn fn) {
    server_start(s);
    cafe_result_t r;
    assert_int_equal(cafe_run(fn, s, &r), 0);
    server_stop(s);
}

static int twice_a_second_apart(void *arg, void **value) {
    server_t *s = arg;
    (void)value;
    use_server(s);
    cafe_dns_addrs_t out;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(cafe_dns_resolve("x.soa.test", &out), CAFE_EHTTP_DNS);
        assert_int_equal(cafe_dns_resolve("y.bare.test", &out), CAFE_EHTTP_DNS);
        /* past the second an answer without an SOA is kept; well within the SOA's 30 */
        if (round == 0)
            assert_int_equal(cafe_task_sleep(1100), 0);
    }
    return 0;
}

static void test_negative_answers_kept_as_their_soa_says(void **state) {
    (void)state;
    server_t s = {0};
    run_with_server(&s, twice_a_second_apart);
    assert_int_equal(s.soa_a, 1);  /* cached from its SOA */
    assert_int_equal(s.bare_a, 2); /* no SOA: asked again */
}

static int connect_dropped(void *arg, void **value) {
    (void)arg;
    (void)value;
    cafe_tcp_t c;
    return cafe_tcp_connect(&c, "w.drop.test", 80);
}

/* A connect whose lookup is in flight is cancelled: it ends at once, CAFE_ECANCELED, and
 * the query left behind is freed with the loop (valgrind and ASan see to the rest). */
static int cancel_in_flight(void *arg, void **value) {
    server_t *s = arg;
    (void)value;
    use_server(s);
    cafe_task_t *t;
    cafe_result_t r;
    assert_int_equal(cafe_task_spawn(&t, connect_dropped, NULL, NULL), 0);
    assert_int_equal(cafe_task_sleep(0), 0); /* it runs, and waits for the answer */
    assert_int_equal(cafe_task_cancel(t), 0);
    assert_int_equal(cafe_task_join(t, &r), 0);
    assert_int_equal(r.status, CAFE_ECANCELED);
    return 0;
}

static void test_connect_cancelled_while_resolving(void **state) {
    (void)state;
    server_t s = {0};
    run_with_server(&s, cancel_in_flight);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nxdomain_keeps_the_lesser_of_soa_ttl_and_minimum),
        cmocka_unit_test(test_nodata_after_a_cname_is_negative),
        cmocka_unit_test(test_positive_failed_and_bare_answers_say_nothing),
        cmocka_unit_test(test_compressed_names_and_their_loops),
        cmocka_unit_test(test_a_name_too_long_for_the_buffer),
        cmocka_unit_test(test_negative_answers_kept_as_their_soa_says),
        cmocka_unit_test(test_connect_cancelled_while_resolving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
