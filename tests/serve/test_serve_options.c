/* `cafe serve`'s option table (src/serve/opts.c) against what users read: defaults pass their
 * own checks, names are unique, and docs/cafe.1's SERVE option list is the one the table
 * makes. After changing the table, CAFE_WRITE_MAN=1 build/tests/test_serve_options rewrites
 * that part of docs/cafe.1. */
#include "testutil.h"
#include "listen.h"
#include "serve.h"
#include "srv.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_parse_and_names_unique),
        cmocka_unit_test(test_man_page_lists_the_table),
        cmocka_unit_test(test_man_page_has_no_markdown_quotes),
        cmocka_unit_test(test_listen_refuses_a_port_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
