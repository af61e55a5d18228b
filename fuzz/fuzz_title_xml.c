/* libFuzzer target for the title extractor's XML mode (cafe_title_set_mode(CAFE_TITLE_XML):
 * src/html/xml.c over expat). Input: byte 0 picks a transport charset (or none), byte 1 seeds
 * the chunk sizes; the rest is the page. One extractor is reused across inputs and modes (a
 * crawl's pool: reset, XML, HTML, XML), so the reuse of the XML parser is fuzzed too. Checks,
 * beyond what ASan and UBSan see: the title is valid UTF-8 without NUL and within
 * CAFE_TITLE_MAX, never unclosed; fed whole, byte by byte and in pseudo-random chunks the page
 * gives the same title, encoding and charset source, and is not well-formed alike
 * (cafe_title_xml_error: never with a title; its words and place are expat's, which for a few
 * errors follow how the bytes came); a source of "default" comes with UTF-8, and neither
 * "meta" nor "detected" ever comes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cafe.h"
#include "fuzz_feed.h"
#include "fuzz_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const charsets[] = {
    "utf-8",    "windows-1252", "shift_jis",      "euc-kr",      "gbk",   "utf-16le",
    "utf-16be", "iso-2022-jp",  "x-user-defined", "replacement", "bogus",
};

typedef struct result {
    char *text; /* NULL: no title */
    size_t len;
    const char *encoding;
    cafe_charset_source_t source;
    const char *why; /* cafe_title_xml_error */
    unsigned long line, col;
} result_t;

static cafe_title_t *shared;

static result_t run(const char *charset, const uint8_t *p, size_t n, unsigned step) {
    cafe_title_reset(shared, charset);
    if (cafe_title_set_mode(shared, CAFE_TITLE_XML) != 0)
        abort();
    fuzz_title_feed_split(shared, p, n, step);
    cafe_title_finish(shared);
    result_t r = {NULL, 0, cafe_title_encoding(shared), cafe_title_charset_source(shared), NULL,
                  0,    0};
    r.why = cafe_title_xml_error(shared, &r.line, &r.col);
    if (r.why && (cafe_title_text(shared, NULL) || !*r.why || (r.line == 0) != (r.col == 0)))
        abort();
    if ((r.source == CAFE_CHARSET_DEFAULT && strcmp(r.encoding, "UTF-8") != 0) ||
        r.source == CAFE_CHARSET_META || r.source == CAFE_CHARSET_DETECTED ||
        cafe_title_unclosed(shared))
        abort();
    const char *s = cafe_title_text(shared, &r.len);
    if (s) {
        if (r.len > CAFE_TITLE_MAX || strlen(s) != r.len)
            abort();
        fuzz_check_utf8(s, r.len);
        r.text = malloc(r.len + 1);
        memcpy(r.text, s, r.len + 1);
    }
    return r;
}

static void same(const result_t *a, const result_t *b) {
    if ((a->text == NULL) != (b->text == NULL) || strcmp(a->encoding, b->encoding) != 0 ||
        a->source != b->source)
        abort();
    /* an error either way; its words and place are expat's, which for a few errors follow
     * how the bytes came (title.h, cafe_title_xml_error) */
    if ((a->why == NULL) != (b->why == NULL))
        abort();
    if (a->text && (a->len != b->len || memcmp(a->text, b->text, a->len) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    if (!shared && cafe_title_create(&shared, NULL) != 0)
        abort();
    const char *charset = data[0] < sizeof charsets / sizeof charsets[0] ? charsets[data[0]] : NULL;
    unsigned seed = 2u + data[1];
    result_t whole = run(charset, data + 2, size - 2, 0);
    /* the same extractor in HTML mode in between: the modes share it */
    cafe_title_reset(shared, charset);
    cafe_title_feed(shared, data + 2, size - 2);
    cafe_title_finish(shared);
    result_t bytes = run(charset, data + 2, size - 2, 1);
    result_t split = run(charset, data + 2, size - 2, seed);
    same(&whole, &bytes);
    same(&whole, &split);
    free(whole.text);
    free(bytes.text);
    free(split.text);
    return 0;
}
