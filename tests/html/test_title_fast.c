/* The extractor's fast paths (runs of ordinary bytes taken at once: tag and attribute names,
 * markup declarations, the title's text) at their edges: a run cut by a chunk boundary at
 * every place, fed byte by byte and whole, with NUL, CR, invalid UTF-8, references and
 * uppercase inside or right after a run. Every page is also split in two at every byte, each
 * part in its own heap block so that ASan sees any read past a chunk. */
#include "title_check.h"

#include "html/text.h"

typedef struct fcase {
    const char *name;
    const char *html;
    size_t len;
    const char *want; /* NULL: no title */
    size_t want_len;
} fcase_t;

#define FCASE(name, html, want)                                                                    \
    { name, html, sizeof html - 1, want, sizeof want - 1 }
#define FNONE(name, html)                                                                          \
    { name, html, sizeof html - 1, NULL, 0 }

static const fcase_t fcases[] = {
    /* the fixture's head, the benchmark's page */
    FCASE("fixture head",
          "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>Site 12 page 34 \xE2\x80\x94 cafe fixture</title>\n"
          "<meta name=\"viewport\" content=\"width=device-width\">\n</head>\n<body>\n",
          "Site 12 page 34 \xE2\x80\x94 cafe fixture"),
    /* tag names: case, NUL, length around 16, non-ASCII */
    FCASE("mixed case names", "<HtMl><HEAD><TiTlE>a</tItLe>", "a"),
    FCASE("uppercase end tag", "<title>a</TITLE><title>b</title>", "a"),
    FCASE("name of 16", "<abcdefghijklmnop><title>x</title>", "x"),
    FCASE("name of 17", "<abcdefghijklmnopq><title>x</title>", "x"),
    FCASE("title-prefixed 16", "<titleabcdefghijk>no</titleabcdefghijk><title>y</title>", "y"),
    FNONE("NUL in tag name", "<titl\0e>x</title>"),
    FCASE("NUL in other name", "<p\0q><title>x</title>", "x"),
    FCASE("non-ASCII name", "<\xC3\xA9t\xC3\xA9><title>x</title>", "x"),
    FCASE("end tag too long for tmp", "<title>a</titletitletitle>b</title>",
          "a</titletitletitle>b"),
    FCASE("end tag of 12 letters", "<title>a</abcdefghijkl>b</title>", "a</abcdefghijkl>b"),
    FCASE("end tag with NUL", "<title>a</tit\0le>b</title>", "a</tit\xEF\xBF\xBDle>b"),
    /* markup declarations */
    FCASE("doctype any case", "<!DoCtYpE html><title>d</title>", "d"),
    FCASE("doctype cut", "<!DOCTYP><title>d</title>", "d"),
    FCASE("short comment", "<!--><title>c</title>", "c"),
    FCASE("comment then title", "<!-- <title>no</title> --><title>c</title>", "c"),
    FCASE("cdata outside foreign", "<![CDATA[<title>x]]><title>c</title>", "c"),
    /* attributes, skipped or kept */
    FCASE("attribute names skipped", "<div CLASS=a data-x=\"<title>\" =b><title>t</title>", "t"),
    FCASE("attribute NUL", "<p a\0b=c><title>t</title>", "t"),
    FCASE("meta attrs kept", "<meta CHARSET=\"utf-8\" Http-Equiv=x><title>\xC3\xA9</title>",
          "\xC3\xA9"),
    FNONE("hidden input keeps frameset-ok", "<input TYPE=\"HIDDEN\"><frameset><title>x</title>"),
    /* the title's text: whitespace, NUL, CR, references, invalid UTF-8, the cap */
    FCASE("spaces", "<title>  a  b\t\tc \r\n d  </title>", "a b c d"),
    FCASE("single spaces", "<title>one two three four</title>", "one two three four"),
    FCASE("space before end", "<title>a </title>", "a"),
    FCASE("NUL in run", "<title>ab\0cd</title>",
          "ab\xEF\xBF\xBD"
          "cd"),
    FCASE("CR in run", "<title>ab\rcd\r\nef</title>", "ab cd ef"),
    FCASE("control in run",
          "<title>a\x01"
          "b\x7F"
          "c</title>",
          "a\x01"
          "b\x7F"
          "c"),
    FCASE("amp after run", "<title>ab&amp;cd&lt</title>", "ab&cd<"),
    FCASE("amp ends run", "<title>ab&</title>", "ab&"),
    FCASE("numeric after run", "<title>x&#233;y&#x20;z</title>", "x\xC3\xA9y z"),
    FCASE("valid UTF-8", "<title>\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80</title>",
          "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"),
    FCASE("invalid UTF-8",
          "<title>a\xC3(b\xE2\x82 c\xFF"
          "d\xED\xA0\x80"
          "e\xF4\x90\x80\x80</title>",
          "a\xEF\xBF\xBD(b\xEF\xBF\xBD c\xEF\xBF\xBD"
          "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
          "e\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),
    FCASE("cut sequence at end tag", "<title>a\xE2\x82</title>", "a\xEF\xBF\xBD"),
    FCASE("overlong", "<title>\xC0\x80\xE0\x80\x80</title>",
          "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),
    FCASE("lt in title", "<title>a<b </ c</ti</title>", "a<b </ c</ti"),
    /* the end tag read at once (16 bytes after "</", else the states byte by byte) */
    FCASE("end tag, page goes on", "<title>a</title>\n<meta name=\"viewport\">\n</head>", "a"),
    FCASE("end tag in any case, space", "<title>a</TiTlE >b</title><p>0123456789abcdef", "a"),
    FCASE("end tag, slash", "<title>a</title/>b</title><p>0123456789abcdef", "a"),
    FCASE("end tag, tab", "<title>a</title\tx=y>b</title><p>0123456789abcdef", "a"),
    FCASE("other end tag of 12, page goes on", "<title>a</abcdefghijkl>b</title>0123456789abcdef",
          "a</abcdefghijkl>b"),
    FCASE("other end tag of 13, page goes on", "<title>a</abcdefghijklm>b</title>0123456789abcdef",
          "a</abcdefghijklm>b"),
    FCASE("title-prefixed end tag", "<title>a</titlex>b</title>0123456789abcdef", "a</titlex>b"),
    FCASE("end tag without delimiter", "<title>a</title0>b</title>0123456789abcdef", "a</title0>b"),
    FCASE("end tag, NUL in name", "<title>a</tit\0le>b</title>0123456789abcdef",
          "a</tit\xEF\xBF\xBDle>b"),
    FCASE("end tag with no name", "<title>a</ b</>c</title>0123456789abcdef", "a</ b</>c"),
    FCASE("end tag, newline", "<title>a</title\n>b</title><p>0123456789abcdef", "a"),
    FCASE("end tags of 8 letters",
          "<textarea>x</TEXTAREA\f><noscript><title>n</title></noscript>"
          "<textarea></textareax></textarea><title>t</title>0123456789abcdef",
          "t"),
    FCASE("rawtext end tags",
          "<style></style ><script>x</scriptx></script><textarea></textarea/>"
          "<title>s</title>0123456789abcdef",
          "s"),
};

/* Feeds html[0..len) split in two at k, each part in its own block (ASan sees a read past
 * it), until the title is done. */
static void feed_split(cafe_title_t *t, const char *html, size_t len, size_t k) {
    const char *parts[2] = {html, html + k};
    size_t lens[2] = {k, len - k};
    for (int i = 0; i < 2 && !cafe_title_done(t); i++) {
        char *chunk = malloc(lens[i] ? lens[i] : 1);
        assert_non_null(chunk);
        memcpy(chunk, parts[i], lens[i]);
        int rc = cafe_title_feed(t, chunk, lens[i]);
        free(chunk);
        assert_true(rc == 0 || rc == 1);
    }
}

static void run_split(const fcase_t *c, const char *charset, size_t k, title_result_t *r) {
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, charset), 0);
    feed_split(t, c->html, c->len, k);
    cafe_title_finish(t);
    title_get(t, r);
    cafe_title_free(t);
}

static void check_case(const fcase_t *c, const char *charset) {
    title_check(c->name, c->html, c->len, charset, c->want, c->want_len, NULL);
    for (size_t k = 0; k <= c->len; k++) {
        title_result_t r;
        run_split(c, charset, k, &r);
        title_expect_result(c->name, &r, c->want, c->want_len, NULL, "split in two");
    }
}

/* UTF-8 (declared: the text's fast path) and windows-1252 where the title is ASCII. */
static void test_fast_cases(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof fcases / sizeof fcases[0]; i++) {
        check_case(&fcases[i], "utf-8");
        int ascii = 1;
        for (size_t k = 0; fcases[i].want && k < fcases[i].want_len; k++)
            ascii &= (unsigned char)fcases[i].want[k] < 0x80;
        if (ascii)
            check_case(&fcases[i], "windows-1252");
    }
}

/* A title of single-spaced words past CAFE_TITLE_MAX: the run stops short of the cap and the
 * general path cuts at a character boundary, as it does without the run. */
static void test_fast_cap(void **state) {
    (void)state;
    size_t n = CAFE_TITLE_MAX + 64;
    char *page = malloc(n + 64);
    assert_non_null(page);
    size_t len = (size_t)sprintf(page, "<title>");
    for (size_t i = 0; i < n; i++)
        page[len++] = i % 5 == 4 ? ' ' : i % 7 == 3 ? '\xC3' : (char)('a' + i % 26);
    for (size_t i = 0; i < n; i++)
        if (page[7 + i] == '\xC3')
            page[7 + i + 1] = '\xA9', i++; /* é: two bytes */
    len += (size_t)sprintf(page + len, "</title>");
    /* Fed whole, one byte at a time (no run longer than a byte) and split at random: the
     * same value, as long as whole characters allow. */
    title_result_t whole, bytes;
    title_run(page, len, "utf-8", 0, 0, &whole);
    title_run(page, len, "utf-8", 0, 1, &bytes);
    assert_true(whole.found && bytes.found);
    assert_int_equal(whole.len, bytes.len);
    assert_memory_equal(whole.text, bytes.text, whole.len);
    assert_true(whole.len <= CAFE_TITLE_MAX && whole.len >= CAFE_TITLE_MAX - 4);
    for (unsigned seed = 1; seed <= 16; seed++) {
        title_run(page, len, "utf-8", seed * 7919u, 0, &bytes);
        assert_int_equal(whole.len, bytes.len);
        assert_memory_equal(whole.text, bytes.text, whole.len);
    }
    free(page);
}

/* The transport charset is remembered between resets: a changed value (in the same buffer
 * too) is looked up again. */
static void test_charset_between_resets(void **state) {
    (void)state;
    static const char page[] = "<title>\xE9</title>";
    static const struct {
        const char *charset, *title, *encoding;
    } runs[] = {
        {"utf-8", "\xEF\xBF\xBD", "UTF-8"},
        {"utf-8", "\xEF\xBF\xBD", "UTF-8"},
        {"windows-1252", "\xC3\xA9", "windows-1252"},
        {"text/html; charset=koi8-r", "\xD0\x98", "KOI8-R"},
        {"no-such-charset", "\xC3\xA9", "windows-1252"},
        {"", "\xC3\xA9", "windows-1252"},
        {"a-label-longer-than-the-remembered-one", "\xC3\xA9", "windows-1252"},
        {"utf-8", "\xEF\xBF\xBD", "UTF-8"},
        {NULL, "\xC3\xA9", "windows-1252"},
    };
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    char buf[64];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        if (runs[i].charset)
            snprintf(buf, sizeof buf, "%s", runs[i].charset); /* one buffer, new contents */
        cafe_title_reset(t, runs[i].charset ? buf : NULL);
        cafe_title_feed(t, page, sizeof page - 1);
        cafe_title_finish(t);
        assert_string_equal(cafe_title_text(t, NULL), runs[i].title);
        assert_string_equal(cafe_title_encoding(t), runs[i].encoding);
    }
    cafe_title_free(t);
}

/* The transport charset decides at the first chunk of 3 bytes or more (nothing held back),
 * unless a BOM is there or it is not ASCII-compatible: the same encoding, source and title
 * however the page is split. */
/* Before the encoding is decided (no byte yet, or fewer than the prescan holds back), the
 * encoding and its source answer for the same step: the transport charset's, else the
 * fallback's. The source said "default" beside a transport charset's name. */
static void test_undecided_source(void **state) {
    (void)state;
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, "koi8-r"), 0);
    for (int fed = 0; fed < 2; fed++) {
        assert_string_equal(cafe_title_encoding(t), "KOI8-R");
        assert_int_equal(cafe_title_charset_source(t), CAFE_CHARSET_HEADER);
        assert_int_equal(cafe_title_feed(t, "<p>", 3), 0);
    }
    cafe_title_reset(t, NULL);
    assert_string_equal(cafe_title_encoding(t), "windows-1252");
    assert_int_equal(cafe_title_charset_source(t), CAFE_CHARSET_DEFAULT);
    cafe_title_reset(t, "shift_jis");
    assert_string_equal(cafe_title_encoding(t), "Shift_JIS");
    assert_int_equal(cafe_title_charset_source(t), CAFE_CHARSET_HEADER);
    cafe_title_free(t);
}

static void test_header_decides(void **state) {
    (void)state;
    static const char filler[] = "\n<p>0123456789abcdef0123456789abcdef";
    static const struct {
        const char *html, *charset, *title, *encoding, *source;
    } runs[] = {
        {"<meta charset=\"windows-1252\"><title>\xC3\xA9</title>", "utf-8", "\xC3\xA9", "UTF-8",
         "header"},
        {"<meta charset=\"windows-1252\"><title>\xC3\xA9</title>", NULL, "\xC3\x83\xC2\xA9",
         "windows-1252", "meta"},
        {"<title>\xC3\xA9</title><meta charset=\"windows-1252\">", "utf-8", "\xC3\xA9", "UTF-8",
         "header"},
        {"\xEF\xBB\xBF<title>\xC3\xA9</title>", "windows-1252", "\xC3\xA9", "UTF-8", "bom"},
        {"\xEF\xBB<title>\xC3\xA9</title>", "windows-1252", "\xC3\x83\xC2\xA9", "windows-1252",
         "header"},
        {"<title>x</title>", "utf-16le", NULL, "UTF-16LE", "header"},
        {"<title>x</title>", "iso-2022-kr", NULL, "replacement", "header"},
    };
    char page[256];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        size_t len = (size_t)snprintf(page, sizeof page, "%s%s", runs[i].html, filler);
        for (size_t k = 0; k <= len; k++) {
            cafe_title_t *t;
            assert_int_equal(cafe_title_create(&t, runs[i].charset), 0);
            feed_split(t, page, len, k);
            assert_int_equal(cafe_title_finish(t), runs[i].title != NULL);
            if (runs[i].title)
                assert_string_equal(cafe_title_text(t, NULL), runs[i].title);
            assert_string_equal(cafe_title_encoding(t), runs[i].encoding);
            assert_string_equal(cafe_charset_source_name(cafe_title_charset_source(t)),
                                runs[i].source);
            cafe_title_free(t);
        }
    }
}

/* A title full past the cap (and its kept copy full) takes nothing more from the rest of its
 * text: a hostile page's megabytes of would-be references ("&" and 31 letters, no name of
 * the table) are not looked up one by one after the value is final (each lookup tries every
 * length of the name; they made the costliest title per byte, 4 times any other shape). */
static void test_full_title_ignores_rest(void **state) {
    (void)state;
    static cafe__html_text_t t;
    static unsigned char keep[4 * CAFE_TITLE_MAX];
    static const char unit[] = "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ";
    enum { UNITS = 64 * 1024 }; /* 2 MiB */
    for (int kept = 0; kept < 2; kept++) {
        cafe__html_text_init(&t);
        cafe__html_text_reset(&t, &cafe__html_enc_utf8);
        cafe__html_text_keep(&t, kept ? keep : NULL, kept ? sizeof keep : 0);
        for (int i = 0; i < UNITS; i++)
            cafe__html_text_feed(&t, (const unsigned char *)unit, sizeof unit - 1);
        cafe__html_text_end(&t, 0);
        assert_true(t.truncated);
        assert_true(t.len <= CAFE_TITLE_MAX && t.len >= CAFE_TITLE_MAX - 4);
        assert_memory_equal(t.buf, unit, sizeof unit - 1);
        /* each lookup leaves at least two bytes in the value or the copy */
        assert_true(t.lookups <= (CAFE_TITLE_MAX + (kept ? sizeof keep : 0)) / 2 + 1);
        cafe__html_text_close(&t);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_cases),
        cmocka_unit_test(test_fast_cap),
        cmocka_unit_test(test_charset_between_resets),
        cmocka_unit_test(test_undecided_source),
        cmocka_unit_test(test_header_decides),
        cmocka_unit_test(test_full_title_ignores_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
