/* libFuzzer target for the title extractor. Input: byte 0 picks a transport charset (or
 * none), byte 1 seeds the chunk sizes, the rest is the page. Checks, beyond what ASan and
 * UBSan see: the title is valid UTF-8 without NUL and within CAFE_TITLE_MAX; fed whole,
 * byte by byte and in pseudo-random chunks the page gives the same title and encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cafe.h"
#include "fuzz_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const charsets[] = {
    "utf-8",
    "windows-1252",
    "shift_jis",
    "euc-jp",
    "gbk",
    "big5",
    "euc-kr",
    "koi8-r",
    "utf-16le",
    "utf-16be",
    "iso-2022-jp",
    "x-user-defined",
    "text/html; charset=iso-8859-2",
    "replacement",
};

typedef struct result {
    char *text; /* NULL: no title */
    size_t len;
    const char *encoding;
} result_t;

static void check_utf8(const char *s, size_t n) {
    if (n > CAFE_TITLE_MAX || strlen(s) != n)
        abort();
    fuzz_check_utf8(s, n);
}

/* step 0: whole; 1: byte by byte; other: chunk sizes from a generator seeded with step. */
static result_t run(const char *charset, const uint8_t *p, size_t n, unsigned step) {
    cafe_title_t *t;
    if (cafe_title_create(&t, charset) != 0)
        abort();
    for (size_t pos = 0; pos < n;) {
        size_t k = n - pos;
        if (step == 1) {
            k = 1;
        } else if (step > 1) {
            step = step * 1103515245u + 12345u;
            k = 1 + (step >> 16) % 64;
        }
        if (k > n - pos)
            k = n - pos;
        if (cafe_title_feed(t, p + pos, k) == 1)
            break;
        pos += k;
    }
    cafe_title_finish(t);
    result_t r = {NULL, 0, cafe_title_encoding(t)};
    const char *s = cafe_title_text(t, &r.len);
    if (s) {
        check_utf8(s, r.len);
        r.text = malloc(r.len + 1);
        memcpy(r.text, s, r.len + 1);
    }
    cafe_title_free(t);
    return r;
}

static void same(const result_t *a, const result_t *b) {
    if ((a->text == NULL) != (b->text == NULL) || strcmp(a->encoding, b->encoding) != 0)
        abort();
    if (a->text && (a->len != b->len || memcmp(a->text, b->text, a->len) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    const char *charset = data[0] < sizeof charsets / sizeof charsets[0] ? charsets[data[0]] : NULL;
    unsigned seed = 2u + data[1];
    result_t whole = run(charset, data + 2, size - 2, 0);
    result_t bytes = run(charset, data + 2, size - 2, 1);
    result_t split = run(charset, data + 2, size - 2, seed);
    same(&whole, &bytes);
    same(&whole, &split);
    free(whole.text);
    free(bytes.text);
    free(split.text);
    return 0;
}
