/* libFuzzer target for the title extractor. Input: byte 0 picks a transport charset (or
 * none), byte 1 seeds the chunk sizes and, in its low four bits, picks the URL whose domain
 * hints the detection of undeclared encodings (bits 0-2) and turns detection off (bit 3);
 * the rest is the page. Checks, beyond what ASan and UBSan see: the title is valid UTF-8
 * without NUL and within CAFE_TITLE_MAX; fed whole, byte by byte and in pseudo-random chunks
 * the page gives the same title, encoding and charset source; a source of "default" comes
 * with windows-1252, and "detected" never without detection. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cafe.h"
#include "fuzz_feed.h"
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

static const char *const urls[] = {
    NULL,
    "http://www.example.ru/",
    "https://shop.example.jp:8443/x?y",
    "http://example.cn./",
    "http://[::1]/",
    "http://127.0.0.1/",
    "example.fr",
    "http://user@host.kr#frag",
};

typedef struct result {
    char *text; /* NULL: no title */
    size_t len;
    const char *encoding;
    cafe_charset_source_t source;
} result_t;

static void check_utf8(const char *s, size_t n) {
    if (n > CAFE_TITLE_MAX || strlen(s) != n)
        abort();
    fuzz_check_utf8(s, n);
}

static result_t run(const char *charset, unsigned how, const uint8_t *p, size_t n, unsigned step) {
    cafe_title_t *t;
    if (cafe_title_create(&t, charset) != 0)
        abort();
    cafe_title_set_url(t, urls[how & 7]);
    cafe_title_set_detection(t, !(how & 8));
    fuzz_title_feed_split(t, p, n, step);
    cafe_title_finish(t);
    result_t r = {NULL, 0, cafe_title_encoding(t), cafe_title_charset_source(t)};
    if ((r.source == CAFE_CHARSET_DEFAULT && strcmp(r.encoding, "windows-1252") != 0) ||
        (r.source == CAFE_CHARSET_DETECTED && (how & 8)))
        abort();
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
    if ((a->text == NULL) != (b->text == NULL) || strcmp(a->encoding, b->encoding) != 0 ||
        a->source != b->source)
        abort();
    if (a->text && (a->len != b->len || memcmp(a->text, b->text, a->len) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    const char *charset = data[0] < sizeof charsets / sizeof charsets[0] ? charsets[data[0]] : NULL;
    unsigned seed = 2u + data[1];
    unsigned how = data[1] & 15;
    result_t whole = run(charset, how, data + 2, size - 2, 0);
    result_t bytes = run(charset, how, data + 2, size - 2, 1);
    result_t split = run(charset, how, data + 2, size - 2, seed);
    same(&whole, &bytes);
    same(&whole, &split);
    free(whole.text);
    free(bytes.text);
    free(split.text);
    return 0;
}
