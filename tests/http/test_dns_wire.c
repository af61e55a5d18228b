/* The negative-TTL reader of DNS answers (src/http/dns_wire.c), on hand-built answers and on
 * one captured from dnsmasq. Every answer is also read at every prefix length from an
 * exactly-sized heap copy, so a read past n is caught by ASan and valgrind. Then the
 * resolver keeping a negative answer as its SOA says (over UDP and TCP, and only from an
 * answer to a query that went out), against a server of the test's own on 127.0.0.1 (the test runs
 * in a network namespace; --resolver's way, no resolv.conf server is ever asked). */
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

/* A label of the question holding a NUL or a dot has no dotted text: it was read as another
 * name ("zz.dead.tes\0" as "zz.dead.tes"), one a query for that name could be matched by
 * (fuzz target dns). */
static void test_a_nul_or_dot_inside_a_label_is_no_name(void **state) {
    (void)state;
    static const char bytes[] = {'\0', '.'};
    for (size_t i = 0; i < sizeof bytes; i++) {
        pkt_t p;
        head(&p, 0x8183, 0, 1, "zz.dead.test", 1);
        soa(&p, "test", 30, 30);
        p.b[12 + 3 + 5 + 4] = (unsigned char)bytes[i]; /* the last byte of "test" */
        check(&p, 0, NULL, 0);
        char q[256];
        unsigned id, qtype;
        assert_int_equal(cafe__dns_wire_question(p.b, p.n, &id, q, sizeof q, &qtype), 0);
    }
}

/* An address record for the question's name: type, 60 s, rdata. */
static void name_rr(pkt_t *p, const char *owner, unsigned type, const void *rdata, unsigned n) {
    name(p, owner);
    u16(p, type);
    u16(p, 1);
    u32(p, 60);
    u16(p, n);
    put(p, rdata, n);
}

/* ---- the resolver against a server of the test's own --------------------------------- */

typedef struct server {
    int fd, tcp; /* UDP and TCP on one port */
    unsigned port;
    pthread_t thread, tcp_thread;
    pthread_mutex_t lock;
    /* A questions for x.soa.test, y.bare.test, x.spoof.test, and x.tc.test over TCP */
    unsigned soa_a, bare_a, spoof_a, tc_tcp_a;
} server_t;

/* The question's name (dotted) and type; 0 when the query is too short. */
static int question_of(const unsigned char *q, size_t n, char *name, size_t cap, unsigned *qtype) {
    size_t off = 12, at = 0;
    while (n > 12 && off < n && q[off] && at + q[off] + 1 < cap) {
        memcpy(name + at, q + off + 1, q[off]);
        at += q[off];
        name[at++] = '.';
        off += q[off] + 1u;
    }
    name[at ? at - 1 : 0] = '\0';
    if (off + 5 > n)
        return 0;
    *qtype = (unsigned)q[off + 1] << 8 | q[off + 2];
    return 1;
}

static int in_zone(const char *name, const char *zone) {
    size_t n = strlen(name), z = strlen(zone);
    return n > z && strcmp(name + n - z, zone) == 0;
}

/* The answer to query q over UDP or TCP, its ID given as id; 0: none. *.soa.test: NXDOMAIN
 * with an SOA (TTL 30, MINIMUM 30); *.tc.test: truncated over UDP, NXDOMAIN with that SOA
 * over TCP; *.drop.test: never answered; anything else: NXDOMAIN alone. */
static int reply(server_t *s, const unsigned char *q, size_t n, int tcp, pkt_t *p) {
    char name[256];
    unsigned qtype;
    if (!question_of(q, n, name, sizeof name, &qtype))
        return 0;
    pthread_mutex_lock(&s->lock);
    s->soa_a += qtype == 1 && strcmp(name, "x.soa.test") == 0;
    s->bare_a += qtype == 1 && strcmp(name, "y.bare.test") == 0;
    s->spoof_a += qtype == 1 && strcmp(name, "x.spoof.test") == 0;
    s->tc_tcp_a += tcp && qtype == 1 && strcmp(name, "x.tc.test") == 0;
    pthread_mutex_unlock(&s->lock);
    if (in_zone(name, ".drop.test"))
        return 0;
    if (in_zone(name, ".dual.test") || in_zone(name, ".far6.test")) {
        /* A 127.0.0.1; AAAA ::1 (dual: routable here) or 2001:db8::1 (far6: no route) */
        static const unsigned char v4[4] = {127, 0, 0, 1};
        unsigned char v6[16] = {0x20, 0x01, 0x0d, 0xb8};
        if (in_zone(name, ".dual.test"))
            v6[0] = v6[1] = v6[2] = v6[3] = 0;
        v6[15] = 1;
        head(p, 0x8180, 1, 0, name, qtype);
        memcpy(p->b, q, 2);
        name_rr(p, name, qtype, qtype == 1 ? v4 : v6, qtype == 1 ? 4 : 16);
        return 1;
    }
    int with_soa = in_zone(name, ".soa.test") || (tcp && in_zone(name, ".tc.test"));
    int truncated = !tcp && in_zone(name, ".tc.test");
    head(p, truncated ? 0x8380 : 0x8183, 0, with_soa, name, qtype);
    memcpy(p->b, q, 2); /* the question's id */
    if (with_soa)
        soa(p, "test", 30, 30);
    return 1;
}

/* *.spoof.test: before the real answer (NXDOMAIN alone), two that c-ares drops and that
 * would keep the name 30 s: NXDOMAIN with an SOA under another ID, and under the query's ID
 * for the other address type. */
static void spoof(server_t *s, const unsigned char *q, size_t n, const struct sockaddr_in *peer) {
    char name[256];
    unsigned qtype;
    pkt_t p = {.n = 0};
    if (!question_of(q, n, name, sizeof name, &qtype) || !in_zone(name, ".spoof.test"))
        return;
    head(&p, 0x8183, 0, 1, name, qtype);
    soa(&p, "test", 30, 30);
    p.b[0] = q[0] ^ 0x5a;
    p.b[1] = q[1];
    sendto(s->fd, p.b, p.n, 0, (const struct sockaddr *)peer, sizeof *peer);
    head(&p, 0x8183, 0, 1, name, qtype == 1 ? 28 : 1);
    soa(&p, "test", 30, 30);
    memcpy(p.b, q, 2);
    sendto(s->fd, p.b, p.n, 0, (const struct sockaddr *)peer, sizeof *peer);
}

static void *serve(void *arg) {
    server_t *s = arg;
    for (;;) {
        unsigned char q[512];
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        ssize_t n = recvfrom(s->fd, q, sizeof q, 0, (struct sockaddr *)&peer, &len);
        if (n == 4 && memcmp(q, "stop", 4) == 0)
            return NULL;
        pkt_t p = {.n = 0};
        if (n <= 0)
            continue;
        spoof(s, q, (size_t)n, &peer);
        if (reply(s, q, (size_t)n, 0, &p))
            sendto(s->fd, p.b, p.n, 0, (struct sockaddr *)&peer, len);
    }
}

static int read_all(int fd, unsigned char *b, size_t n) {
    for (size_t at = 0; at < n;) {
        ssize_t k = read(fd, b + at, n - at);
        if (k <= 0)
            return -1;
        at += (size_t)k;
    }
    return 0;
}

/* TCP: queries with their 2-byte lengths, one connection at a time; shutdown() ends it. */
static void *serve_tcp(void *arg) {
    server_t *s = arg;
    int c;
    while ((c = accept(s->tcp, NULL, NULL)) >= 0) {
        unsigned char len[2], q[512];
        pkt_t p = {.n = 0};
        while (read_all(c, len, 2) == 0) {
            size_t n = (size_t)len[0] << 8 | len[1];
            if (n > sizeof q || read_all(c, q, n) != 0)
                break;
            if (!reply(s, q, n, 1, &p))
                continue;
            unsigned char out[2 + sizeof p.b] = {(unsigned char)(p.n >> 8), (unsigned char)p.n};
            memcpy(out + 2, p.b, p.n);
            if (write(c, out, 2 + p.n) != (ssize_t)(2 + p.n))
                break;
        }
        close(c);
    }
    return NULL;
}

static void server_start(server_t *s) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    s->tcp = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->tcp >= 0);
    assert_int_equal(bind(s->tcp, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->tcp, 8), 0);
    pthread_mutex_init(&s->lock, NULL);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
    assert_int_equal(pthread_create(&s->tcp_thread, NULL, serve_tcp, s), 0);
}

static void server_stop(server_t *s) {
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)s->port)};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(sendto(fd, "stop", 4, 0, (struct sockaddr *)&a, sizeof a), 4);
    close(fd);
    pthread_join(s->thread, NULL);
    shutdown(s->tcp, SHUT_RDWR); /* accept returns */
    pthread_join(s->tcp_thread, NULL);
    close(s->fd);
    close(s->tcp);
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
    static const char *const names[] = {"x.soa.test", "y.bare.test", "x.spoof.test", "x.tc.test"};
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            assert_int_equal(cafe_dns_resolve(names[i], &out), CAFE_EHTTP_DNS);
        /* past the second an answer without an SOA is kept; well within the SOA's 30 */
        if (round == 0)
            assert_int_equal(cafe_task_sleep(1100), 0);
    }
    return 0;
}

/* Kept as the SOA says, over UDP and over TCP (a truncated answer asked again); an SOA in a
 * datagram c-ares drops (another ID, or an answer to another question) does not count. */
static void test_negative_answers_kept_as_their_soa_says(void **state) {
    (void)state;
    server_t s = {0};
    run_with_server(&s, twice_a_second_apart);
    assert_int_equal(s.soa_a, 1);    /* cached from its SOA */
    assert_int_equal(s.bare_a, 2);   /* no SOA: asked again */
    assert_int_equal(s.spoof_a, 2);  /* the forged SOAs were not believed */
    assert_int_equal(s.tc_tcp_a, 1); /* the SOA read over TCP */
}

static int both_families(void *arg, void **value) {
    (void)value;
    use_server(arg);
    cafe_dns_addrs_t out;
    assert_int_equal(cafe_dns_resolve("x.dual.test", &out), 0);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.addr[0].family, AF_INET6); /* ::1 has a route here */
    assert_int_equal(out.addr[1].family, AF_INET);
    assert_int_equal(cafe_dns_resolve("x.far6.test", &out), 0);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.addr[0].family, AF_INET); /* 2001:db8::1 has none: last */
    assert_int_equal(out.addr[1].family, AF_INET6);
    return 0;
}

/* Both families: IPv6 first where this host has a route for it, else IPv4 first (RFC 6724's
 * precedence and its rule 1), as c-ares' sort would. The test's namespace has loopback
 * only. */
static void test_both_families_ordered(void **state) {
    (void)state;
    server_t s = {0};
    run_with_server(&s, both_families);
}

/* The server list of cafe_dns_configure: "IP[:PORT]" items, IPv6 as "[ADDR]" or
 * "[ADDR]:PORT" (or bare, without a port). A malformed list was taken (0) and refused by
 * c-ares only at the first lookup, which said CAFE_ENOMEM; the lookups after it used the
 * system's servers, the list silently ignored. "[::1]", which the tool writes for
 * `--resolver ::1`, was such a list for c-ares 1.18. */
static int servers_forms(void *arg, void **value) {
    server_t *s = arg;
    (void)value;
    static const char *const bad[] = {
        "garbage",   "",           ",",          "127.0.0.1:53,", ",127.0.0.1", "1.2.3.4:99999",
        "1.2.3.4:0", "1.2.3.4:",   "1.2.3.4:x",  "[::1",          "[::1]53",    "[127.0.0.1]:53",
        "300.1.1.1", " 127.0.0.1", "127.0.0.1 ", "::1:53:"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cafe_dns_opts_t o = {.servers = bad[i]};
        if (cafe_dns_configure(NULL, &o) != CAFE_EINVAL)
            fail_msg("server list '%s' was taken", bad[i]);
    }
    /* Nothing of them was kept: ::1 (port 53, where nothing listens here) first, then s. */
    char servers[64];
    snprintf(servers, sizeof servers, "[::1],127.0.0.1:%u", s->port);
    cafe_dns_opts_t o = {.servers = servers};
    assert_int_equal(cafe_dns_configure(NULL, &o), 0);
    cafe_dns_addrs_t out;
    assert_int_equal(cafe_dns_resolve("x.dual.test", &out), 0);
    assert_int_equal(out.n, 2);
    return 0;
}

static void test_server_list_forms(void **state) {
    (void)state;
    server_t s = {0};
    run_with_server(&s, servers_forms);
    /* the forms the header names, on a loop not running */
    static const char *const good[] = {"127.0.0.1", "127.0.0.1:5353",         "[::1]:53", "[::1]",
                                       "::1",       "127.0.0.1,[::1]:53,::1", "::,::,::"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cafe_loop_t *loop;
        assert_int_equal(cafe_loop_create(&loop, NULL), 0);
        cafe_dns_opts_t o = {.servers = good[i]};
        if (cafe_dns_configure(loop, &o) != 0)
            fail_msg("server list '%s' was refused", good[i]);
        cafe_loop_free(loop);
    }
}

/* One loop per thread, each with its resolver: the threads' first lookups start c-ares at
 * the same time. c-ares' library init (a counter, not thread-safe) was guarded by a plain
 * static flag, read and written by both threads unsynchronised: a data race ThreadSanitizer
 * reports. Registered before any other case that starts a resolver in this process. */
static int resolve_dual(void *arg, void **value) {
    server_t *s = arg;
    (void)value;
    char servers[32];
    snprintf(servers, sizeof servers, "127.0.0.1:%u", s->port);
    cafe_dns_opts_t o = {.servers = servers};
    cafe_dns_addrs_t out;
    int rc = cafe_dns_configure(NULL, &o);
    return rc != 0 ? rc : cafe_dns_resolve("x.dual.test", &out);
}

static void *resolver_thread(void *arg) {
    cafe_result_t r = {-1, NULL};
    int rc = cafe_run(resolve_dual, arg, &r);
    return (void *)(intptr_t)(rc != 0 ? rc : r.status);
}

static void test_resolvers_on_two_threads(void **state) {
    (void)state;
    server_t s = {0};
    server_start(&s);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, resolver_thread, &s), 0);
    intptr_t rc[2];
    for (int i = 0; i < 2; i++) {
        void *v;
        pthread_join(t[i], &v);
        rc[i] = (intptr_t)v;
    }
    server_stop(&s);
    assert_int_equal(rc[0], 0);
    assert_int_equal(rc[1], 0);
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
        cmocka_unit_test(test_a_nul_or_dot_inside_a_label_is_no_name),
        cmocka_unit_test(test_resolvers_on_two_threads), /* the first resolvers */
        cmocka_unit_test(test_negative_answers_kept_as_their_soa_says),
        cmocka_unit_test(test_both_families_ordered),
        cmocka_unit_test(test_connect_cancelled_while_resolving),
        cmocka_unit_test(test_server_list_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
