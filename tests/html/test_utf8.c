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

/* 1 when cafe_utf8_valid says of in[0..n) what the decoder says: valid input is its own
 * repair. */
static int agrees(const char *in, size_t n) {
    size_t len;
    char *out = cafe_utf8_repair(in, n, &len);
    assert_non_null(out);
    int same = len == n && memcmp(out, in, n) == 0;
    free(out);
    return cafe_utf8_valid(in, n) == same;
}

/* cafe_utf8_valid is a plain scan of its own: it agrees with the decoder on every 3- and
 * 4-byte input that starts with a byte >= 0xC0 and goes on with bytes at the bounds the
 * lead bytes set (below, at and above each). */
static void test_valid_agrees_with_decoder(void **state) {
    static const unsigned char edge[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                         0x9F, 0xA0, 0xBF, 0xC0, 0xE0, 0xFF};
    const size_t ne = sizeof edge;
    for (unsigned a = 0xC0; a < 256; a++)
        for (size_t i = 0; i < ne * ne * ne; i++) {
            char in[4] = {(char)a, (char)edge[i % ne], (char)edge[i / ne % ne],
                          (char)edge[i / ne / ne]};
            assert_true(agrees(in, 3));
            assert_true(agrees(in, 4));
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repair_cases),
        cmocka_unit_test(test_repair_exhaustive_pairs),
        cmocka_unit_test(test_valid_agrees_with_decoder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
