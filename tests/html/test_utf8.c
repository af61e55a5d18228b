/* cafe_utf8_repair and cafe_utf8_valid: the one UTF-8 rule (the Encoding Standard's decoder,
 * one U+FFFD per maximal invalid subpart), checked case by case and against each other. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define R "\xef\xbf\xbd" /* U+FFFD */

typedef struct utf8_case {
    const char *in;
    size_t n;
    const char *out;
} utf8_case_t;

#define CASE(in, out)                                                                              \
    { in, sizeof(in) - 1, out }

static const utf8_case_t cases[] = {
    CASE("", ""),
    CASE("plain ASCII", "plain ASCII"),
    CASE("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
    CASE(R, R), /* a literal U+FFFD is valid */
    CASE("a\xff"
         "b",
         "a" R "b"),                   /* a byte that is never UTF-8 */
    CASE("\xc0\x80", R R),             /* overlong: C0 is no lead, 80 stray */
    CASE("\xe0\x80\x80", R R R),       /* overlong 3-byte: E0 wants A0..BF */
    CASE("\xed\xa0\x80", R R R),       /* a surrogate: ED wants 80..9F */
    CASE("\xf4\x90\x80\x80", R R R R), /* past U+10FFFF */
    CASE("x\xf0\x9f\x98", "x" R),      /* truncated at the end: one subpart */
    CASE("\xf0\x9f\x98"
         "x",
         R "x"), /* truncated before ASCII */
    CASE("\xe2\x82"
         "\xe2\x82\xac",
         R "\xe2\x82\xac"), /* the next lead starts over */
    CASE("a\0b", "a\0b"),   /* NUL is a character */
};

static void test_repair_cases(void **state) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const utf8_case_t *c = &cases[i];
        size_t len = 99;
        char *out = cafe_utf8_repair(c->in, c->n, &len);
        assert_non_null(out);
        size_t want = strlen(c->out);
        if (memchr(c->in, 0, c->n)) /* the NUL case: compare by length */
            want = c->n;
        assert_int_equal(len, want);
        assert_memory_equal(out, c->out, want);
        assert_int_equal(out[len], '\0');
        int same = len == c->n && memcmp(out, c->in, c->n) == 0;
        assert_int_equal(cafe_utf8_valid(c->in, c->n), same);
        assert_true(cafe_utf8_valid(out, len)); /* a repair is valid */
        free(out);
    }
}

/* Every 1- and 2-byte input: repair gives valid UTF-8, and valid input is its own repair. */
static void test_repair_exhaustive_pairs(void **state) {
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++) {
            char in[2] = {(char)a, (char)b};
            size_t len;
            char *out = cafe_utf8_repair(in, 2, &len);
            assert_non_null(out);
            assert_true(cafe_utf8_valid(out, len));
            assert_int_equal(cafe_utf8_valid(in, 2), len == 2 && memcmp(out, in, 2) == 0);
            free(out);
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repair_cases),
        cmocka_unit_test(test_repair_exhaustive_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
