/* `cafe serve`'s option table (src/serve/opts.c) against what users read: defaults pass their
 * own checks, names are unique, and docs/cafe.1's SERVE option list is the one the table
 * makes. After changing the table, CAFE_WRITE_MAN=1 build/tests/test_serve_options rewrites
 * that part of docs/cafe.1. */
#include "testutil.h"
#include "listen.h"
#include "serve.h"
#include "srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAN_BEGIN ".\\\" BEGIN SERVE OPTIONS"
#define MAN_END ".\\\" END SERVE OPTIONS"

static void test_defaults_parse_and_names_unique(void **state) {
    (void)state;
    char *argv[] = {"serve", NULL};
    srv_opts_t o;
    assert_int_equal(srv_opts_parse(&o, 1, argv), 0);
    assert_string_equal(o.listen, "127.0.0.1:8080");
    assert_int_equal(o.cache_ttl_ms, 300000);
    assert_int_equal(o.fetch.concurrency, 100);
    assert_int_equal(o.fetch.retries, 2);
    assert_true(o.fetch.no_private);
    for (size_t i = 0; i < srv_optab.n; i++) {
        const cli_opt_t *a = &srv_optab.opts[i];
        for (size_t j = i + 1; j < srv_optab.n && a->kind != CLI_OPT_SECTION; j++) {
            const cli_opt_t *b = &srv_optab.opts[j];
            if (b->kind == CLI_OPT_SECTION)
                continue;
            assert_string_not_equal(a->name, b->name);
            assert_false(a->short_name && a->short_name == b->short_name);
        }
    }
}

static char *man_expected(void) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fputs(MAN_BEGIN ": made from src/serve/opts.c's table; do not edit here.\n"
                    ".\\\" After changing it: CAFE_WRITE_MAN=1 build/tests/test_serve_options\n",
          f);
    cli_optab_man(&srv_optab, f);
    fputs(MAN_END "\n", f);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* The help's `quoted` words are Markdown a man page does not read: man showed the backquotes
 * (`listening on http://HOST:PORT`). The man list sets them in bold instead. */
static void test_man_page_has_no_markdown_quotes(void **state) {
    (void)state;
    char *man = man_expected();
    assert_null(strchr(man, '`'));
    assert_non_null(strstr(man, "\\fBAuthorization: Bearer T\\fR"));
    free(man);
}

static void test_man_page_lists_the_table(void **state) {
    (void)state;
    char *want = man_expected();
    test_man_region(MAN_BEGIN, MAN_END, want, "test_serve_options");
    free(want);
}

/* getaddrinfo's numeric service takes any unsigned long and keeps its low 16 bits: --listen
 * 127.0.0.1:99999 listened on port 34463 (and :-1 on 65535) as if that had been asked. */
static void test_listen_refuses_a_port_out_of_range(void **state) {
    (void)state;
    const char *bad[] = {"127.0.0.1:99999", "127.0.0.1:65536",  "127.0.0.1:-1",  "127.0.0.1:+80",
                         "127.0.0.1: 80",   "[::1]:4294967376", "127.0.0.1:80x", "127.0.0.1:"};
    srv_listen_t l;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(srv_listen_open(bad[i], &l), -EINVAL);
        assert_non_null(strstr(l.why, "expected HOST:PORT")); /* not "Invalid argument" */
        assert_non_null(srv_listen_check(bad[i]));            /* refused when parsed, too */
    }
    assert_null(srv_listen_check("127.0.0.1:0"));
    assert_null(srv_listen_check("[::1]:8080"));
    assert_null(srv_listen_check("localhost:80")); /* a name: looked up at start */
    assert_int_equal(srv_listen_open("127.0.0.1:0", &l), 0);
    assert_int_equal(close(l.fd), 0);
}

/* --max-client-connections' default: a quarter of --max-connections (at least 1), all of
 * them behind a proxy (--client-header), whose address every connection has. */
static void test_max_client_connections_default(void **state) {
    (void)state;
    srv_opts_t o;
    char *plain[] = {"serve", "--max-connections", "1000", NULL};
    assert_int_equal(srv_opts_parse(&o, 3, plain), 0);
    assert_int_equal(o.max_client_connections, 250);
    char *few[] = {"serve", "--max-connections", "3", NULL};
    assert_int_equal(srv_opts_parse(&o, 3, few), 0);
    assert_int_equal(o.max_client_connections, 1);
    char *proxied[] = {"serve", "--client-header", "X-Real-IP", NULL};
    assert_int_equal(srv_opts_parse(&o, 3, proxied), 0);
    assert_int_equal(o.max_client_connections, 1024);
}

static struct sockaddr_in6 v6(const char *text) {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, text, &a.sin6_addr), 1);
    return a;
}

/* A peer is its address, an IPv6 one by its /64 (a host given a /64 has every address in
 * it), an IPv4 one mapped into IPv6 as that IPv4 address: the e2e tests reach only loopback,
 * one IPv6 address. */
static void test_peers_count_an_ipv6_address_by_its_64(void **state) {
    (void)state;
    srv_t *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->o.max_connections = 8;
    s->o.max_client_connections = 2;
    assert_int_equal(srv_cache_init(&s->cache), 0);
    assert_int_equal(srv_peers_init(s), 0);
    struct sockaddr_in6 a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9");
    struct sockaddr_in6 other = v6("2001:db8:1:3::1"), mapped = v6("::ffff:192.0.2.7");
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr), 1);
    srv_peer_t *pa = srv_peer_add(s, (struct sockaddr *)&a);
    assert_true(srv_peer_admitted(s, (struct sockaddr *)&b));
    srv_peer_t *pb = srv_peer_add(s, (struct sockaddr *)&b);
    assert_ptr_equal(pa, pb);
    assert_false(srv_peer_admitted(s, (struct sockaddr *)&a)); /* the /64 holds its 2 */
    assert_true(srv_peer_admitted(s, (struct sockaddr *)&other));
    srv_peer_t *p4 = srv_peer_add(s, (struct sockaddr *)&v4);
    srv_peer_t *pm = srv_peer_add(s, (struct sockaddr *)&mapped);
    assert_ptr_equal(p4, pm);
    assert_false(srv_peer_admitted(s, (struct sockaddr *)&v4));
    srv_peer_del(s, pa);
    assert_true(srv_peer_admitted(s, (struct sockaddr *)&b)); /* one went: room again */
    srv_peer_del(s, pb);
    srv_peer_del(s, p4);
    srv_peer_del(s, pm);
    srv_peers_free(s);
    srv_cache_free(&s->cache);
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_parse_and_names_unique),
        cmocka_unit_test(test_man_page_lists_the_table),
        cmocka_unit_test(test_man_page_has_no_markdown_quotes),
        cmocka_unit_test(test_listen_refuses_a_port_out_of_range),
        cmocka_unit_test(test_max_client_connections_default),
        cmocka_unit_test(test_peers_count_an_ipv6_address_by_its_64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
