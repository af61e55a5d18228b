/* The option tables (src/cli/optab.h) against what users read: every default passes its own
 * checks, names are unique, --help lists every option, and docs/cafe.1's option list is the
 * one the tables make, its .TH line the release's (CMakeLists.txt). After changing a table
 * or the release, CAFE_WRITE_MAN=1 ./test_cli_options rewrites those parts of docs/cafe.1. */
#include "testutil.h"
#include "optabs.h"

#include <stdlib.h>
#include <string.h>

static const cli_optab_t *const tables[] = {&cli_titles_optab, &cli_title_optab, &cli_queue_optab,
                                            &cli_demo_optab};
#define NTABLES (sizeof tables / sizeof tables[0])

#define MAN_BEGIN ".\\\" BEGIN OPTIONS"
#define MAN_END ".\\\" END OPTIONS"

/* Room for any subcommand's options struct. */
typedef union any_opts {
    char bytes[8192];
    long double align;
} any_opts_t;

static void test_defaults_pass_their_checks(void **state) {
    for (size_t t = 0; t < NTABLES; t++) {
        const cli_optab_t *tab = tables[t];
        for (size_t i = 0; i < tab->n; i++) {
            const cli_opt_t *o = &tab->opts[i];
            if (!o->def)
                continue;
            /* --name=DEFAULT parses like no option at all */
            char arg[128], name[] = "cmd";
            snprintf(arg, sizeof arg, "--%s=%s", o->name, o->def);
            char *argv[] = {name, arg, NULL};
            any_opts_t out;
            const char *operands[1];
            size_t n;
            assert_int_equal(cli_optab_parse(tab, &out, 2, argv, 1, operands, 1, &n, NULL), 0);
        }
    }
}

static void test_names_unique_and_help_everywhere(void **state) {
    for (size_t t = 0; t < NTABLES; t++) {
        const cli_optab_t *tab = tables[t];
        assert_non_null(cli_optab_find(tab, "help"));
        char *help = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&help, &len);
        assert_non_null(f);
        cli_optab_help(tab, f);
        assert_int_equal(fclose(f), 0);
        for (size_t i = 0; i < tab->n; i++) {
            const cli_opt_t *a = &tab->opts[i];
            if (a->kind == CLI_OPT_SECTION)
                continue;
            char want[96];
            snprintf(want, sizeof want, "--%s", a->name);
            assert_non_null(strstr(help, want));
            if (a->short_name) {
                snprintf(want, sizeof want, "-%c, --%s", a->short_name, a->name);
                assert_non_null(strstr(help, want));
            }
            for (size_t j = i + 1; j < tab->n; j++) {
                const cli_opt_t *b = &tab->opts[j];
                if (b->kind == CLI_OPT_SECTION)
                    continue;
                assert_string_not_equal(a->name, b->name);
                assert_false(a->short_name && a->short_name == b->short_name);
            }
        }
        free(help);
    }
}

/* The man page joins a help text's lines with a space: a line break inside a URL form or a
 * bracketed part (HOST\n[:PORT]) would read there as two things (HOST [:PORT]). Such a text
 * breaks before the form, or gives the man page its own text. */
static void test_help_breaks_no_form_the_man_page_joins(void **state) {
    (void)state;
    for (size_t t = 0; t < NTABLES; t++) {
        const cli_optab_t *tab = tables[t];
        for (size_t i = 0; i < tab->n; i++) {
            const cli_opt_t *o = &tab->opts[i];
            if (o->kind == CLI_OPT_SECTION || o->man || !o->help)
                continue;
            for (const char *nl = strchr(o->help, '\n'); nl; nl = strchr(nl + 1, '\n')) {
                if (strchr("[:/?", nl[1]) || (nl > o->help && strchr("[/", nl[-1])))
                    fail_msg("--%s: its help breaks a form at '%.20s'", o->name, nl + 1);
            }
        }
    }
}

/* The man page's option list as the tables make it. */
static char *man_expected(void) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fputs(MAN_BEGIN ": made from the option tables (src/cli/optab.h); do not edit here.\n"
                    ".\\\" After changing a table: CAFE_WRITE_MAN=1 build/tests/test_cli_options\n",
          f);
    fputs(".SH OPTIONS\n", f);
    cli_optab_man_repeats(f);
    cli_optab_man(&cli_titles_optab, f);
    for (size_t t = 1; t < NTABLES; t++) {
        fprintf(f, ".SS Options of cafe %s\n", tables[t]->cmd);
        cli_optab_man(tables[t], f);
    }
    fputs(MAN_END "\n", f);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void test_man_page_lists_the_tables(void **state) {
    (void)state;
    char *want = man_expected();
    test_man_region(MAN_BEGIN, MAN_END, want, "test_cli_options");
    free(want);
}

#define TH_BEGIN ".\\\" BEGIN TH"
#define TH_END ".\\\" END TH"

/* The page's date and version are the release's, kept in CMakeLists.txt alone. */
static void test_man_page_dated_by_the_release(void **state) {
    (void)state;
    test_man_region(TH_BEGIN, TH_END,
                    TH_BEGIN
                    ": the release's date and version (CMakeLists.txt: CAFE_RELEASE_DATE,\n"
                    ".\\\" project VERSION); do not edit here. After changing them:\n"
                    ".\\\" CAFE_WRITE_MAN=1 build/tests/test_cli_options\n"
                    ".TH CAFE 1 \"" CAFE_RELEASE_DATE "\" \"cafe " CAFE_RELEASE_VERSION
                    "\" \"User Commands\"\n" TH_END "\n",
                    "test_cli_options");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_pass_their_checks),
        cmocka_unit_test(test_names_unique_and_help_everywhere),
        cmocka_unit_test(test_help_breaks_no_form_the_man_page_joins),
        cmocka_unit_test(test_man_page_lists_the_tables),
        cmocka_unit_test(test_man_page_dated_by_the_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
