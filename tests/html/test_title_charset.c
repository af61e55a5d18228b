/* Encodings: pages in UTF-8 (with and without BOM), UTF-16LE/BE, windows-1252,
 * ISO-8859-2, windows-1251, KOI8-R, Shift_JIS, EUC-JP, GBK, gb18030, Big5, EUC-KR,
 * ISO-2022-JP and x-user-defined, declared by the transport, by <meta> (early, late, in
 * the ways the prescan must ignore) or not at all. The bytes were made by python3's codecs
 * (gen_charset_cases.py), independently of cafe's decoders. */
#include "title_check.h"

#include "charset_cases.h"

static void test_charsets(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof charset_cases / sizeof charset_cases[0]; i++) {
        const struct charset_case *c = &charset_cases[i];
        title_check(c->name, c->page, c->len, c->charset, c->want, c->want ? strlen(c->want) : 0,
                    c->encoding);
    }
}

/* Transport labels: bare, in a Content-Type, unknown (ignored), with odd spacing. */
static void test_transport_labels(void **state) {
    (void)state;
    static const struct {
        const char *charset, *encoding;
    } labels[] = {
        {"UTF-8", "UTF-8"},
        {" utf8 ", "UTF-8"},
        {"text/html; charset=Shift_JIS", "Shift_JIS"},
        {"text/html;charset=\"koi8-r\";foo=bar", "KOI8-R"},
        {"text/html; foo=bar; charset=gb2312", "GBK"},
        {"text/html; charset", "windows-1252"},
        /* read as the HTTP client reads the header (Fetch's "extract a MIME type"): a quoted
         * value unescaped, a list's last type giving the charset */
        {"text/html; charset=\"win\\dows-1251\"", "windows-1251"},
        {"text/html; charset=koi8-r, text/html; charset=windows-1251", "windows-1251"},
        {"text/html; charset=koi8-r, text/html", "KOI8-R"},
        {"text/html; charset=koi8-r, text/plain", "windows-1252"},
        {"text/html; charset=koi8-r, */*", "KOI8-R"},
        {"text/html garbage; charset=koi8-r", "KOI8-R"},
        {"; charset=koi8-r", "windows-1252"},
        {"text/html", "windows-1252"},
        {"no-such-encoding", "windows-1252"},
        {"ascii", "windows-1252"},
        {"iso-8859-1", "windows-1252"},
        {"ks_c_5601-1987", "EUC-KR"},
        {"x-mac-ukrainian", "x-mac-cyrillic"},
        {"iso-8859-8-i", "ISO-8859-8-I"},
        {"", "windows-1252"},
    };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        cafe_title_t *t;
        assert_int_equal(cafe_title_create(&t, labels[i].charset), 0);
        cafe_title_feed(t, "<p>", 3);
        cafe_title_finish(t);
        if (strcmp(cafe_title_encoding(t), labels[i].encoding) != 0) {
            fprintf(stderr, "label '%s': got %s want %s\n", labels[i].charset,
                    cafe_title_encoding(t), labels[i].encoding);
            fail();
        }
        cafe_title_free(t);
    }
}

/* Whatever bytes come, the title is valid UTF-8: every byte value in every encoding. */
static void test_always_utf8(void **state) {
    (void)state;
    static const char *const encs[] = {
        "utf-8",  "windows-1252", "shift_jis", "euc-jp",   "gbk",         "big5",          "euc-kr",
        "koi8-r", "iso-8859-3",   "utf-16le",  "utf-16be", "iso-2022-jp", "x-user-defined"};
    unsigned char page[7 + 512 + 8];
    memcpy(page, "<title>", 7);
    for (int i = 0; i < 512; i++)
        page[7 + i] = (unsigned char)(i < 256 ? i : (i * 7919) >> 3);
    memcpy(page + 7 + 512, "</title>", 8);
    for (size_t e = 0; e < sizeof encs / sizeof encs[0]; e++) {
        cafe_title_t *t;
        assert_int_equal(cafe_title_create(&t, encs[e]), 0);
        cafe_title_feed(t, page, sizeof page);
        cafe_title_finish(t);
        size_t n = 0;
        const char *s = cafe_title_text(t, &n);
        if (s) { /* UTF-16 reads these bytes as something else entirely: no title is fine */
            assert_true(test_utf8_valid(s, n));
            assert_int_equal(strlen(s), n); /* no NUL inside */
        }
        cafe_title_free(t);
    }
}

/* One extractor reused across pages in different encodings: reset drops every trace of
 * the previous page (decoder state, late-meta copy). */
static void test_reset_across_encodings(void **state) {
    (void)state;
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, "shift_jis"), 0);
    size_t n = sizeof charset_cases / sizeof charset_cases[0];
    for (size_t i = 0; i < n; i++) {
        /* half of another page first, abandoned: this one must not notice */
        const struct charset_case *o = &charset_cases[(i * 7 + 3) % n];
        cafe_title_reset(t, o->charset);
        cafe_title_feed(t, o->page, o->len / 2);
        const struct charset_case *c = &charset_cases[i];
        cafe_title_reset(t, c->charset);
        cafe_title_feed(t, c->page, c->len);
        cafe_title_finish(t);
        const char *s = cafe_title_text(t, NULL);
        if ((s == NULL) != (c->want == NULL) || (s && strcmp(s, c->want) != 0) ||
            strcmp(cafe_title_encoding(t), c->encoding) != 0) {
            fprintf(stderr, "case %s after %s: got [%s] %s\n", c->name, o->name, s ? s : "none",
                    cafe_title_encoding(t));
            fail();
        }
    }
    cafe_title_free(t);
}

/* Expands "%Nc" in f to N copies of c. */
static size_t expand(char *out, const char *f) {
    size_t n = 0;
    while (*f) {
        char *end;
        unsigned long k = *f == '%' ? strtoul(f + 1, &end, 10) : 0;
        if (k == 0) {
            out[n++] = *f++;
            continue;
        }
        memset(out + n, *end, k);
        n += k;
        f = end + 1;
    }
    out[n] = 0;
    return n;
}

/* Thirty times the reference r. */
#define REF30(r) REF10(r) REF10(r) REF10(r)
#define REF10(r) r r r r r r r r r r

/* A late <meta> whose content value is long (Chromium and Firefox agree on each, from
 * tests/browser/encodings.py): its charset= is found at any length. The value was cut at 128
 * bytes, and these pages kept the fallback's reading "Ж". */
static void test_late_meta_long_content(void **state) {
    (void)state;
    static const struct {
        const char *page, *want;
    } runs[] = {
        {"text/html;%200 charset=koi8-r", "п√"},
        {"text/html; x=%300y; charset=koi8-r", "п√"},
        {"text/html; charset%200 =%200 koi8-r", "п√"},
        {"text/html; charset=\"%200 koi8-r%200 \"", "п√"},
        {"%200ycharset&#61;koi8-r", "п√"},
        {"%124ycharset=koi8-r", "п√"},                    /* across the old cut */
        {"charset=windows-1251%200ycharset=koi8-r", "Ж"}, /* the first charset= decides */
        {"text/html; charset=\"koi8-r%200 ", "Ж"},        /* a quote never closed */
        /* references past the buffer: decoded before the value is cut */
        {"text/html;" REF30("&amp;") " charset=koi8-r", "п√"},
        {"text/html;&amp;%200ycharset=koi8-r", "п√"},
        {"text/html;" REF30("&#32;") "charset=koi8-r", "п√"},
        {"charset=" REF30("&#32;") "koi8-r", "п√"},
        {"text/html;&amp;%200y&#99;harset&#x3D;koi8-r", "п√"},
        {"text/html;" REF30("&#32;") "charset=koi8-r&amp", "Ж"},
    };
    char page[2048];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char f[512];
        int n = snprintf(f, sizeof f,
                         "<title>\xd0\x96</title><!--%%1100x--><meta http-equiv=content-type "
                         "content='%s'><p>x",
                         runs[i].page);
        assert_true(n > 0 && (size_t)n < sizeof f);
        size_t len = expand(page, f);
        title_check(runs[i].page, page, len, NULL, runs[i].want, strlen(runs[i].want), NULL);
    }
}

/* A late <meta> whose charset value has whitespace around the label past its 128-byte buffer
 * (Chromium and Firefox agree on each): get an encoding strips it at any length. The value
 * was cut, and these pages kept the fallback's reading "Ж". */
static void test_late_meta_long_charset(void **state) {
    (void)state;
    static const struct {
        const char *value, *want;
    } runs[] = {
        {"%200 koi8-r", "п√"},           {"\t\n\f\r%200 koi8-r", "п√"},
        {"koi8-r%200 ", "п√"},           {"%60 \t%60 \n%60 koi8-r%60 \f%60 ", "п√"},
        {"%200 koi8-r%200 x", "Ж"}, /* whitespace inside: no label */
        {REF30("&#32;") "koi8-r", "п√"}, {REF30(" &#x20;") "koi8-r", "п√"},
        {"%200 &#107;oi8-r", "п√"},
    };
    char page[2048];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char f[512];
        int n =
            snprintf(f, sizeof f, "<title>\xd0\x96</title><!--%%1100x--><meta charset='%s'><p>x",
                     runs[i].value);
        assert_true(n > 0 && (size_t)n < sizeof f);
        size_t len = expand(page, f);
        title_check(runs[i].value, page, len, NULL, runs[i].want, strlen(runs[i].want), NULL);
    }
}

/* A late <meta> naming ISO-2022-JP (Chromium and Firefox agree on each, from
 * tests/browser/encodings.py): the page is read again in it, as with any other encoding; it
 * used to be ignored. A title of ASCII bytes with its escapes waits for the head's end. */
static void test_late_meta_iso2022jp(void **state) {
    (void)state;
    static const struct {
        const char *before, *after, *want;
    } runs[] = {
        {"<title>\x1b$B$3$s$K$A$O\x1b(B</title>", "<meta charset=iso-2022-jp>", "こんにちは"},
        {"<title>a \x1b$B$3$s$K$A$O\x1b(B  &amp; b</title>",
         "<meta http-equiv=content-type content='text/html; charset=csISO2022JP'><p>x",
         "a こんにちは & b"},
        {"<title>\x1b$B$3 $3\x1b(B</title>", "<meta charset=iso-2022-jp>", "こ\xef\xbf\xbdこ"},
        {"<title>\x1b(J\\~\x1b(B</title>", "<meta charset=iso-2022-jp>", "¥‾"},
        {"<title>\x0e</title>", "<meta charset=iso-2022-jp>", "\xef\xbf\xbd"},
        /* after the <meta>, the tokenizer reads decoded characters: the escapes around a
         * reference are not two in a row */
        {"", "<meta charset=iso-2022-jp><title>a\x1b$B$3\x1b(B&eacute;\x1b$B$3\x1b(B</title>",
         "aこéこ"},
        {"<title>\x1b$B$3\x1b(B</title>", "</head><meta charset=iso-2022-jp>",
         "\x1b$B$3\x1b(B"}, /* after the head: no change */
    };
    char page[2048];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        int n = snprintf(page, sizeof page, "%s<!--%1100s-->%s", runs[i].before, "", runs[i].after);
        assert_true(n > 0 && (size_t)n < sizeof page);
        title_check(runs[i].after, page, (size_t)n, NULL, runs[i].want, strlen(runs[i].want), NULL);
    }
}

/* A <meta> that starts within the first 1024 bytes and ends after them, on a page whose body
 * has started before it (so no late <meta> can count): Chromium and Firefox both read it to
 * its end and take its encoding (tests/browser/encodings.py); cafe's prescan stopped at byte
 * 1024 and kept windows-1252. One that starts after byte 1024 counts in neither. They read it
 * at any length (100,000 bytes tried), past the 2,048 bytes cafe holds back for it: the
 * tokenizer's reading of it counts then (it was ignored, the body having started). */
static void test_meta_across_prescan_end(void **state) {
    (void)state;
    static const char gbk[] = "橡桠弪 袞", w1252[] = "Ïðèâåò Ð–";
    static const struct {
        const char *before; /* up to the padding comment, which ends at byte `at` */
        int at;
        const char *meta, *want;
    } runs[] = {
        {"<p>", 1010, "<meta charset=gbk>", gbk},
        {"<p>", 1021, "<meta charset=gbk>", gbk}, /* "<me" in the first 1024 */
        {"<p>", 1023, "<meta charset=gbk>", gbk}, /* only its '<' */
        {"\xd0", 1000, "<meta http-equiv=content-type content='text/html; charset=gbk'>", gbk},
        {"<p>", 1000, "<meta name='%1000y' charset=gbk>", gbk},
        {"<p>", 1000, "<meta charset=gbk%900\n>", gbk},
        {"<p>", 1000, "<meta charset=bogus><meta charset=gbk>", gbk},
        {"<p>", 1023, "<meta charset=bogus><meta charset=gbk>", w1252},
        {"<p>", 1000, "<p class='%100y'><meta charset=gbk>", w1252},
        {"<p>", 1021, "<mark><meta charset=gbk>", w1252},
        /* past the bytes held back (browsers agree on each) */
        {"<p>", 1000, "<meta name='%3000y' charset=gbk>", gbk},
        {"<p>", 500, "<meta name='%10000y' charset=gbk>", gbk},
        {"\xd0", 1000,
         "<meta content='text/html; charset=gbk' name='%3000y' http-equiv=content-type>", gbk},
        {"<p>", 1000, "<meta charset=gbk%3000 >", gbk},
        {"<table>", 1000, "<meta name='%3000y' charset=gbk>", gbk},
        {"<svg>", 1000, "<meta name='%3000y' charset=gbk>", gbk},
        {"<p>", 1000, "<meta name='%3000y'><meta charset=gbk>", w1252}, /* the next one: no */
        {"<p>", 1024, "<meta name='%3000y' charset=gbk>", w1252},
    };
    static char page[16384];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char f[256];
        const char *before = runs[i].before;
        size_t pad = (size_t)runs[i].at - strlen(before) - 7;
        int n = snprintf(f, sizeof f,
                         "%s<!--%%%zux-->%s<title>\xcf\xf0\xe8\xe2\xe5\xf2 \xd0\x96</title><p>x",
                         before, pad, runs[i].meta);
        assert_true(n > 0 && (size_t)n < sizeof f);
        size_t len = expand(page, f);
        assert_int_equal(strstr(page, "-->") + 3 - page, runs[i].at);
        if (runs[i].want == gbk) {
            title_check(runs[i].meta, page, len, NULL, gbk, strlen(gbk), "GBK");
            continue;
        }
        /* undeclared: the fallback's reading, detection off (browsers' frames inherit) */
        for (size_t step = 1; step <= len; step = step == 1 ? len : len + 1) {
            cafe_title_t *t;
            assert_int_equal(cafe_title_create(&t, NULL), 0);
            cafe_title_set_detection(t, 0);
            for (size_t at = 0; at < len; at += step)
                cafe_title_feed(t, page + at, len - at < step ? len - at : step);
            cafe_title_finish(t);
            assert_string_equal(cafe_title_text(t, NULL), runs[i].want);
            assert_string_equal(cafe_title_encoding(t), "windows-1252");
            cafe_title_free(t);
        }
    }
}

/* A late <meta> (after the first 1024 bytes, before the body) on a page whose title is all
 * ASCII: Chromium and Firefox both take its encoding (tests/browser/encodings.py), and one
 * naming the replacement encoding leaves no title; cafe settled such a title at its end tag,
 * and kept windows-1252 and the title. After a tag that follows the body's start nothing
 * changes; text that starts the body ends nothing by itself: a <meta> right after it counts
 * in both browsers, which cafe ignored (tests/browser/hostile.py). */
static void test_late_meta_ascii_title(void **state) {
    (void)state;
    static const struct {
        const char *after, *want, *encoding;
    } runs[] = {
        {"<meta charset=iso-2022-kr>", NULL, "replacement"},
        {"<meta http-equiv=content-type content='text/html; charset=hz-gb-2312'><p>x", NULL,
         "replacement"},
        {"<meta charset=koi8-r><p>x", "abc", "KOI8-R"},
        {"<meta charset=utf-16le><p>x", "abc", "UTF-8"},
        {"<meta charset=x-user-defined>", "abc", "windows-1252"},
        {"<meta charset=iso-2022-jp><p>x", "abc", "ISO-2022-JP"},
        {"<p>x<meta charset=iso-2022-kr>", "abc", "windows-1252"},
        {"</head><meta charset=koi8-r>", "abc", "windows-1252"},
        {"<script>'<meta charset=koi8-r>'</script><body>", "abc", "windows-1252"},
        {"x<meta charset=koi8-r>", "abc", "KOI8-R"},
        {"&amp;<meta charset=koi8-r><p>x", "abc", "KOI8-R"},
        {"<!--c-->x<meta charset=koi8-r>", "abc", "KOI8-R"},
        {"x<b><meta charset=koi8-r>", "abc", "windows-1252"},
        {"x</p><meta charset=koi8-r>", "abc", "windows-1252"},
    };
    char page[2048];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        int n = snprintf(page, sizeof page, "<title>abc</title><!--%1100s-->%s", "", runs[i].after);
        assert_true(n > 0 && (size_t)n < sizeof page);
        title_check(runs[i].after, page, (size_t)n, NULL, runs[i].want,
                    runs[i].want ? strlen(runs[i].want) : 0, runs[i].encoding);
    }
}

static void test_bad_arguments(void **state) {
    (void)state;
    assert_int_equal(cafe_title_create(NULL, NULL), CAFE_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_charsets),
        cmocka_unit_test(test_transport_labels),
        cmocka_unit_test(test_always_utf8),
        cmocka_unit_test(test_reset_across_encodings),
        cmocka_unit_test(test_late_meta_long_content),
        cmocka_unit_test(test_late_meta_long_charset),
        cmocka_unit_test(test_late_meta_iso2022jp),
        cmocka_unit_test(test_meta_across_prescan_end),
        cmocka_unit_test(test_late_meta_ascii_title),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
