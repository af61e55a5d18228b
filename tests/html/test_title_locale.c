/* The title extractor in a program that set a Turkish locale (setlocale(LC_ALL, "") with
 * LANG=tr_TR.UTF-8): there I is not i's capital for the C library's case folding, and media
 * types, header names and labels must still compare as ASCII. The locale is made here with
 * localedef into a temporary directory (LOCPATH), nothing installed; skipped (77) without
 * localedef. */
#include "testutil.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/cafe-locale-XXXXXX";

/* 0: the locale is set; 77: it cannot be made here. */
static int turkish(void) {
    char cmd[256];
    if (!mkdtemp(dir))
        return 77;
    /* localedef's 1 means made with warnings */
    snprintf(cmd, sizeof cmd, "localedef -i tr_TR -f UTF-8 %s/tr_TR.UTF-8 >/dev/null 2>&1", dir);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) > 1)
        return 77;
    if (setenv("LOCPATH", dir, 1) != 0 || !setlocale(LC_ALL, "tr_TR.UTF-8"))
        return 77;
    return strcasecmp("I", "i") != 0 ? 0 : 77; /* the trap this test is about */
}

static void test_media_types_in_capitals(void **state) {
    (void)state;
    assert_int_equal(cafe_title_mode_of("APPLICATION/XHTML+XML"), CAFE_TITLE_XML);
    assert_int_equal(cafe_title_mode_of("IMAGE/SVG+XML; CHARSET=UTF-8"), CAFE_TITLE_XML);
    assert_int_equal(cafe_title_mode_of("TEXT/HTML"), CAFE_TITLE_HTML);
    assert_int_equal(cafe_title_mode_of("TEXT/PLAIN"), CAFE_TITLE_NONE);
}

int main(void) {
    int rc = turkish();
    if (rc == 77) {
        fprintf(stderr, "test_title_locale: no tr_TR.UTF-8 (localedef): skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_media_types_in_capitals),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    setlocale(LC_ALL, "C");
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? rc : 1;
}
