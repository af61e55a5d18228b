/* XML mode (cafe_title_set_mode(CAFE_TITLE_XML)): pages served as XHTML, XML or SVG, whose
 * expected titles and encodings are what Chromium and Firefox both give
 * (tests/browser/xml.py checks them against the browsers). Every page is fed whole, one byte
 * at a time (each byte its own heap block: ASan sees a read past a chunk) and in two parts
 * split at every byte; each way must give the same result. Then the mode's API: the MIME
 * types, the lifecycle across resets, the stop at the title's end, the caps. */
#include "testutil.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#define X "xmlns=\"http://www.w3.org/1999/xhtml\""
#define PAGE(t) "<html " X "><head><title>" t "</title></head><body></body></html>"
#define SVGROOT "<svg xmlns=\"http://www.w3.org/2000/svg\">"
#define DECL(e) "<?xml version=\"1.0\" encoding=\"" e "\"?>"
#define STRICT                                                                                     \
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "                                  \
    "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">"

typedef struct xcase {
    const char *name;
    const char *charset; /* the transport charset (Content-Type), or NULL */
    const char *page;
    size_t len;
    const char *want; /* NULL: no title */
    const char *encoding;
    const char *source;
} xcase_t;

#define XC(name, cs, page, want, enc, src)                                                         \
    { name, cs, page, sizeof page - 1, want, enc, src }

static const xcase_t xcases[] = {
    XC("plain", NULL, PAGE(" Hello \t\n world  "), "Hello world", "UTF-8", "default"),
    XC("prefixed", NULL,
       "<h:html xmlns:h=\"http://www.w3.org/1999/xhtml\"><h:title>Pre</h:title></h:html>", "Pre",
       "UTF-8", "default"),
    XC("empty element", NULL, "<html " X "><title/></html>", "", "UTF-8", "default"),
    XC("no namespace: no title", NULL, "<html><title>none</title></html>", NULL, "UTF-8",
       "default"),
    XC("other namespace first", NULL,
       "<html " X " xmlns:x=\"urn:x\"><x:title>other</x:title><title>mine</title></html>", "mine",
       "UTF-8", "default"),
    XC("first in tree order", NULL,
       "<html " X "><body><div><title>A</title></div></body><head><title>B</title></head></html>",
       "A", "UTF-8", "default"),
    XC("child text only", NULL, PAGE("a<b>bold</b>c<!-- x --><?pi y?>d"), "acd", "UTF-8",
       "default"),
    XC("nested title", NULL, PAGE("o<title>in</title>t"), "ot", "UTF-8", "default"),
    XC("CDATA", NULL, PAGE("a<![CDATA[ <b> ]]>c"), "a <b> c", "UTF-8", "default"),
    XC("references", NULL, PAGE("&#x41;&amp;&lt;&#160;x&#13;y"), "A&<\xc2\xa0x y", "UTF-8",
       "default"),
    XC("CR LF", NULL, "<html " X "><title>a\rb\r\nc</title></html>", "a b c", "UTF-8", "default"),
    XC("no-break spaces kept", NULL,
       PAGE("a\xc2\xa0 \xe3\x80\x80"
            "b"),
       "a\xc2\xa0 \xe3\x80\x80"
       "b",
       "UTF-8", "default"),
    XC("svg title", NULL, "<svg xmlns=\"http://www.w3.org/2000/svg\"><title> S  v </title></svg>",
       "S v", "UTF-8", "default"),
    XC("svg: a child, not deeper", NULL,
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><g><title>deep</title></g><foreignObject>"
       "<title " X ">x</title></foreignObject><title>second</title></svg>",
       "second", "UTF-8", "default"),
    XC("svg without title", NULL, "<svg xmlns=\"http://www.w3.org/2000/svg\"><desc/></svg>", NULL,
       "UTF-8", "default"),
    /* an SVG root's document is the browsers' error page (no svg root, no title) if it is not
     * well-formed to its end, the title's end tag or not: Chromium and Firefox alike (an
     * XHTML root's title stays in Chromium) */
    XC("svg: an error after the title", NULL, SVGROOT "<title>T</title></g>", NULL, "UTF-8",
       "default"),
    XC("svg: unclosed root after the title", NULL, SVGROOT "<title>T</title>", NULL, "UTF-8",
       "default"),
    XC("svg: an undefined entity after the title", NULL, SVGROOT "<title>T</title>&bogus;", NULL,
       "UTF-8", "default"),
    XC("svg: a later child's text is not the title's", NULL,
       SVGROOT "<title>T</title><desc>d</desc><title>U</title></svg>", "T", "UTF-8", "default"),
    XC("svg title in xhtml is not it", NULL,
       "<html " X "><body><svg xmlns=\"http://www.w3.org/2000/svg\"><title>svgt</title></svg>"
       "<title>late</title></body></html>",
       "late", "UTF-8", "default"),
    /* entities */
    XC("nbsp without DTD: not well-formed", NULL, PAGE("a&nbsp;b"), NULL, "UTF-8", "default"),
    XC("nbsp with the XHTML DTD", NULL, STRICT PAGE("a&nbsp;b&eacute;&NotEqualTilde;"),
       "a\xc2\xa0"
       "b\xc3\xa9\xe2\x89\x82\xcc\xb8",
       "UTF-8", "default"),
    XC("unknown name under the DTD", NULL, STRICT PAGE("&copy;&foo;"), NULL, "UTF-8", "default"),
    XC("unknown DTD", NULL, "<!DOCTYPE html SYSTEM \"about:legacy-compat\">" PAGE("&nbsp;"), NULL,
       "UTF-8", "default"),
    XC("internal subset", NULL, "<!DOCTYPE html [<!ENTITY foo \"bar\">]>" PAGE("&foo;"), "bar",
       "UTF-8", "default"),
    /* malformations: before the title's end, no title; after it, it stays */
    XC("error before", NULL, "<html " X "><head><p></head><title>before</title></html>", NULL,
       "UTF-8", "default"),
    XC("error after", NULL, PAGE("after") "<p>junk", "after", "UTF-8", "default"),
    XC("unclosed title", NULL, "<html " X "><head><title>un", NULL, "UTF-8", "default"),
    XC("cut in a start tag", NULL, "<d", NULL, "UTF-8", "default"),
    XC("invalid UTF-8", NULL, PAGE("bad\x80utf8"), NULL, "UTF-8", "default"),
    XC("NUL", NULL, PAGE("x\0y"), NULL, "UTF-8", "default"),
    XC("control reference", NULL, PAGE("&#1;"), NULL, "UTF-8", "default"),
    /* encodings */
    XC("windows-1252 declared", NULL, DECL("windows-1252") PAGE("q\x93x\x80\x81"),
       "q\xe2\x80\x9cx\xe2\x82\xac\xc2\x81", "windows-1252", "xml"),
    XC("iso-8859-1 is windows-1252", NULL, DECL("iso-8859-1") PAGE("q\x93"), "q\xe2\x80\x9c",
       "windows-1252", "xml"),
    XC("us-ascii is windows-1252", NULL, DECL("us-ascii") PAGE("q\xe9"), "q\xc3\xa9",
       "windows-1252", "xml"),
    XC("shift_jis declared", NULL, DECL("shift_jis") PAGE("\x93\xfa\x96{"),
       "\xe6\x97\xa5\xe6\x9c\xac", "Shift_JIS", "xml"),
    XC("x-sjis label", NULL, DECL("x-sjis") PAGE("\x93\xfa\x96{"), "\xe6\x97\xa5\xe6\x9c\xac",
       "Shift_JIS", "xml"),
    XC("euc-kr declared", NULL, DECL("euc-kr") PAGE("\xc7\xd1\xb1\xb9"), "\xed\x95\x9c\xea\xb5\xad",
       "EUC-KR", "xml"),
    XC("iso-2022-jp declared", NULL, DECL("iso-2022-jp") PAGE("\x1b$BF|K\\\x1b(B"),
       "\xe6\x97\xa5\xe6\x9c\xac", "ISO-2022-JP", "xml"),
    XC("unknown label: UTF-8", NULL, DECL("bogus-label") PAGE("bog\xc3\xa9"), "bog\xc3\xa9",
       "UTF-8", "default"),
    XC("utf-16 declared in ASCII: UTF-8", NULL, DECL("utf-16") PAGE("u16"), "u16", "UTF-8",
       "default"),
    XC("no encoding in the declaration", NULL, "<?xml version=\"1.0\"?>" PAGE("\xc3\xa9"),
       "\xc3\xa9", "UTF-8", "default"),
    XC("a stylesheet PI is no declaration", NULL,
       "<?xml-stylesheet href=\"a\" encoding=\"windows-1252\"?>" PAGE("\xc3\xa9"), "\xc3\xa9",
       "UTF-8", "default"),
    /* a declaration expat refuses (no title) still names the page's encoding as both browsers
     * read it: "version" and a quoted value, then "encoding" and the next quoted value, before
     * the "?>" (Firefox's reading; Chromium's, up to the first '>', agrees on these) */
    XC("refused declaration, encoding read", NULL,
       "<?xml version=\"1.0\" encoding=\"koi8-r\"?&nbsp;>" PAGE("x"), NULL, "KOI8-R", "xml"),
    XC("no space before encoding", NULL,
       "<?xml version=\"1.0\" xmlnsencoding=\"euc-kr\"?>" PAGE("x"), NULL, "EUC-KR", "xml"),
    XC("no space after <?xml", NULL,
       "<?xml\" version=\"1.0\" encoding=\"windows-1251\"?>" PAGE("x"), NULL, "windows-1251",
       "xml"),
    XC("no version before encoding", NULL,
       "<?xml versi<title>on=\"1.0\" encoding=\"euc-kr\"?>" PAGE("x"), NULL, "UTF-8", "default"),
    XC("version cut by '>'", NULL, "<?xml v>ersion=\"1.0\" encoding=\"iso-8859-2\"?>" PAGE("x"),
       NULL, "UTF-8", "default"),
    XC("header beats declaration", "windows-1251", DECL("utf-8") PAGE("\xd0\xf3\xf1"),
       "\xd0\xa0\xd1\x83\xd1\x81", "windows-1251", "header"),
    XC("unknown header: declaration", "bogus", DECL("windows-1252") PAGE("q\x93"), "q\xe2\x80\x9c",
       "windows-1252", "xml"),
    XC("BOM beats both", "windows-1252", "\xef\xbb\xbf" DECL("windows-1252") PAGE("\xc3\xa9"),
       "\xc3\xa9", "UTF-8", "bom"),
    XC("UTF-16LE BOM", NULL,
       "\xff\xfe<\0h\0t\0m\0l\0 \0x\0m\0l\0n\0s\0=\0\"\0h\0t\0t\0p\0:\0/\0/\0w\0w\0w\0.\0w\0"
       "3\0.\0o\0r\0g\0/\0"
       "1\0"
       "9\0"
       "9\0"
       "9\0/\0x\0h\0t\0m\0l\0\"\0>\0<\0t\0i\0t\0l\0e\0>\0"
       "b\0e\0>\0<\0/\0t\0i\0t\0l\0e\0>\0<\0/\0h\0t\0m\0l\0>\0",
       "be>", "UTF-16LE", "bom"),
    /* the declaration's version is XML's VersionNum, 1.[0-9]+: any other is an error page in
     * both browsers ("1." too in Firefox; Chromium takes it) */
    XC("version 1.1", NULL, "<?xml version=\"1.1\"?>" PAGE("v"), "v", "UTF-8", "default"),
    XC("version 1.10", NULL, "<?xml version='1.10'?>" PAGE("v"), "v", "UTF-8", "default"),
    XC("version 2.0: no title", NULL, "<?xml version=\"2.0\"?>" PAGE("v"), NULL, "UTF-8",
       "default"),
    XC("version 1: no title", NULL, "<?xml version=\"1\"?>" PAGE("v"), NULL, "UTF-8", "default"),
    XC("version 1.0a: no title", NULL, "<?xml version=\"1.0a\"?>" PAGE("v"), NULL, "UTF-8",
       "default"),
    XC("version empty: no title", NULL, "<?xml version=\"\"?>" PAGE("v"), NULL, "UTF-8", "default"),
    XC("replacement: no title", NULL, DECL("iso-2022-kr") PAGE("rep"), NULL, "replacement", "xml"),
    XC("decoding error before the title's end", NULL, DECL("shift_jis") PAGE("a\x82 b"), NULL,
       "Shift_JIS", "xml"),
    XC("decoding error after it", NULL, DECL("windows-1253") PAGE("a") "<!--\xaa-->", "a",
       "windows-1253", "xml"),
    /* a U+FFFD the page holds is no decoding error, whether one follows or not */
    XC("gb18030 U+FFFD, an error after the title", NULL,
       DECL("gb18030") PAGE("\x84\x31\xa4\x37") "<!--\xff-->", "\xef\xbf\xbd", "gb18030", "xml"),
    XC("gb18030 U+FFFD, an error after it in the title", NULL,
       DECL("gb18030") PAGE("\x84\x31\xa4\x37\xff"), NULL, "gb18030", "xml"),
    XC("UTF-16 U+FFFD, a lone surrogate after the title", NULL,
       "\xff\xfe<\0t\0i\0t\0l\0e\0 \0x\0m\0l\0n\0s\0=\0'\0h\0t\0t\0p\0:\0/\0/\0w\0w\0w\0.\0w\0"
       "3\0.\0o\0r\0g\0/\0001\0009\0009\0009\0/\0x\0h\0t\0m\0l\0'\0>\0\xfd\xff<\0/"
       "\0t\0i\0t\0l\0e\0>\0"
       "\x00\xd8",
       "\xef\xbf\xbd", "UTF-16LE", "bom"),
};

static void result(cafe_title_t *t, const xcase_t *c, const char *how) {
    size_t n = 0;
    const char *s = cafe_title_text(t, &n);
    if (!c->want ? s != NULL : !s || n != strlen(c->want) || memcmp(s, c->want, n) != 0)
        fail_msg("%s (%s): title %s, want %s", c->name, how, s ? s : "(none)",
                 c->want ? c->want : "(none)");
    if (strcmp(cafe_title_encoding(t), c->encoding) != 0 ||
        strcmp(cafe_charset_source_name(cafe_title_charset_source(t)), c->source) != 0)
        fail_msg("%s (%s): %s/%s, want %s/%s", c->name, how, cafe_title_encoding(t),
                 cafe_charset_source_name(cafe_title_charset_source(t)), c->encoding, c->source);
}

/* Feeds the page in chunks: at `split` in two (0: whole), or bytewise. */
static void run(cafe_title_t *t, const xcase_t *c, size_t split, int bytewise) {
    cafe_title_reset(t, c->charset);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    size_t pos = 0;
    while (pos < c->len) {
        size_t n = bytewise ? 1 : split && pos < split ? split : c->len - pos;
        char *chunk = malloc(n);
        assert_non_null(chunk);
        memcpy(chunk, c->page + pos, n);
        int rc = cafe_title_feed(t, chunk, n);
        free(chunk);
        pos += n;
        if (rc == 1)
            break;
    }
    cafe_title_finish(t);
    assert_int_equal(cafe_title_done(t), 1);
    assert_int_equal(cafe_title_unclosed(t), 0);
}

static void test_xml_cases(void **state) {
    (void)state;
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    for (size_t i = 0; i < sizeof xcases / sizeof xcases[0]; i++) {
        const xcase_t *c = &xcases[i];
        run(t, c, 0, 0);
        result(t, c, "whole");
        run(t, c, 0, 1);
        result(t, c, "bytewise");
        for (size_t k = 1; k < c->len; k++) {
            run(t, c, k, 0);
            result(t, c, "split");
        }
    }
    cafe_title_free(t);
}

/* The title is final at its end tag: the rest of the page is not wanted. */
static void test_xml_stops_at_title(void **state) {
    (void)state;
    static const char head[] = PAGE("early");
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, "utf-8"), 0);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    size_t upto = (size_t)(strstr(head, "</title>") - head) + 8; /* the end tag's '>' */
    assert_int_equal(cafe_title_feed(t, head, upto - 1), 0);
    assert_int_equal(cafe_title_feed(t, head + upto - 1, 1), 1);
    assert_string_equal(cafe_title_text(t, NULL), "early");
    /* further feeds are ignored, and a later error changes nothing */
    assert_int_equal(cafe_title_feed(t, "<<<", 3), 1);
    assert_int_equal(cafe_title_finish(t), 1);
    assert_string_equal(cafe_title_text(t, NULL), "early");
    /* under an SVG root the title is the page's only once the document ended well-formed:
     * final at the end, not at the title's end tag; a pause takes it as read so far (what the
     * browser shows while the page loads), and so does a page cut by its reader */
    static const char svg[] = SVGROOT "<title>S</title><g/>";
    cafe_title_reset(t, "utf-8");
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    assert_int_equal(cafe_title_feed(t, svg, sizeof svg - 1), 0);
    assert_int_equal(cafe_title_feed(t, "</svg>", 6), 0);
    assert_int_equal(cafe_title_finish(t), 1);
    assert_string_equal(cafe_title_text(t, NULL), "S");
    cafe_title_reset(t, "utf-8");
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    assert_int_equal(cafe_title_feed(t, svg, sizeof svg - 1), 0);
    assert_int_equal(cafe_title_pause(t), 1);
    assert_string_equal(cafe_title_text(t, NULL), "S");
    cafe_title_reset(t, "utf-8");
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    assert_int_equal(cafe_title_feed(t, svg, sizeof svg - 1), 0);
    assert_int_equal(cafe_title_finish_cut(t), 1);
    assert_string_equal(cafe_title_text(t, NULL), "S");
    cafe_title_free(t);
}

/* A page with no title because it is not well-formed before the title's end says why and
 * where (cafe_title_xml_error), fed whole, bytewise or split anywhere; a page with a title,
 * or well-formed without one, says nothing. */
typedef struct ecase {
    const char *page;
    size_t len;
    const char *charset;
    const char *why; /* NULL: no error */
    unsigned long line, col;
} ecase_t;

#define EC(page, cs, why, line, col)                                                               \
    { page, sizeof page - 1, cs, why, line, col }

static const ecase_t ecases[] = {
    /* where: the offending character's column, 1-based */
    EC("<html " X ">\n<head><title>a</b></title></head></html>", NULL, "mismatched tag", 2, 17),
    EC(PAGE("a&nbsp;b"), NULL, "undefined entity", 1, 58),
    EC(STRICT "\n" PAGE("&copy;&foo;"), NULL, "undefined entity", 2, 63),
    EC("<html " X "><title>a\n  <b x='1' x='2'/></title></html>", NULL, "duplicate attribute", 2,
       12),
    EC(DECL("shift_jis") "\n" PAGE("a\x82 b"), NULL,
       "a byte sequence invalid in the page's encoding", 2, 58),
    /* an error just before a bad byte is the first: given whole or staged (bytewise) */
    EC(DECL("shift_jis") "<html a=\"1\"b\xff><title>t</title></html>", NULL,
       "not well-formed (invalid token)", 1, 54),
    EC("<html " X "><title>\xc3(</title></html>", "utf-8", "not well-formed (invalid token)", 1,
       51),
    EC("<html " X "><title>open", NULL, "no element found", 1, 55),
    EC("", NULL, "no element found", 1, 1),
    EC(PAGE("rep"), "iso-2022-kr", "the replacement encoding: the page is one U+FFFD", 0, 0),
    EC("<?xml version=\"2.0\" encoding=\"utf-8\"?>" PAGE("v2"), NULL, "unsupported XML version", 1,
       1),
    EC("<html " X "/>", NULL, NULL, 0, 0),
    EC(PAGE("ok") "</oops>", NULL, NULL, 0, 0),
};

static int errors;

static void error_check(cafe_title_t *t, const ecase_t *c, size_t split, int bytewise) {
    cafe_title_reset(t, c->charset);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    for (size_t pos = 0; pos < c->len;) {
        size_t n = bytewise ? 1 : split && pos < split ? split : c->len - pos;
        int rc = cafe_title_feed(t, c->page + pos, n);
        pos += n;
        if (rc == 1)
            break;
    }
    unsigned long line = 99, col = 99;
    if (!cafe_title_done(t)) /* nothing before the result is final */
        assert_null(cafe_title_xml_error(t, &line, &col));
    cafe_title_finish(t);
    const char *why = cafe_title_xml_error(t, &line, &col);
    if (!c->why ? why != NULL || line || col
                : !why || strcmp(why, c->why) != 0 || line != c->line || col != c->col)
        print_error("case %zu (split %zu%s): %s at %lu:%lu, want %s at %lu:%lu\n",
                    (size_t)(c - ecases), split, bytewise ? ", bytewise" : "", why ? why : "(none)",
                    line, col, c->why ? c->why : "(none)", c->line, c->col),
            errors++;
    if (c->why)
        assert_null(cafe_title_text(t, NULL));
}

static void test_xml_not_well_formed_says_why(void **state) {
    (void)state;
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    for (size_t i = 0; i < sizeof ecases / sizeof ecases[0]; i++) {
        error_check(t, &ecases[i], 0, 0);
        error_check(t, &ecases[i], 0, 1);
        for (size_t k = 1; k < ecases[i].len; k++)
            error_check(t, &ecases[i], k, 0);
    }
    if (errors)
        fail_msg("%d wrong", errors);
    /* HTML mode has none; the NULLs are allowed */
    cafe_title_reset(t, NULL);
    cafe_title_feed(t, "<title>a</b>", 12);
    cafe_title_finish(t);
    assert_null(cafe_title_xml_error(t, NULL, NULL));
    cafe_title_free(t);
}

static void test_xml_mode_of(void **state) {
    (void)state;
    assert_int_equal(cafe_title_mode_of("text/html"), CAFE_TITLE_HTML);
    assert_int_equal(cafe_title_mode_of(" Text/HTML ; charset=utf-8"), CAFE_TITLE_HTML);
    assert_int_equal(cafe_title_mode_of("application/xhtml+xml"), CAFE_TITLE_XML);
    assert_int_equal(cafe_title_mode_of("APPLICATION/XHTML+XML;charset=x"), CAFE_TITLE_XML);
    assert_int_equal(cafe_title_mode_of("text/xml"), CAFE_TITLE_XML);
    assert_int_equal(cafe_title_mode_of("application/xml"), CAFE_TITLE_XML);
    assert_int_equal(cafe_title_mode_of("image/svg+xml"), CAFE_TITLE_XML);
    /* shown by neither browser, or by one only */
    assert_int_equal(cafe_title_mode_of("application/rss+xml"), CAFE_TITLE_NONE);
    assert_int_equal(cafe_title_mode_of("application/atom+xml"), CAFE_TITLE_NONE);
    assert_int_equal(cafe_title_mode_of("application/mathml+xml"), CAFE_TITLE_NONE);
    assert_int_equal(cafe_title_mode_of("text/htmlx"), CAFE_TITLE_NONE);
    assert_int_equal(cafe_title_mode_of("image/png"), CAFE_TITLE_NONE);
    assert_int_equal(cafe_title_mode_of(""), CAFE_TITLE_NONE);
    assert_int_equal(cafe_title_mode_of(NULL), CAFE_TITLE_NONE);
}

/* One extractor, pages of both kinds in turn (a crawl's pool): reset goes back to HTML, the
 * XML parser is reused; the mode is set before the first byte only. */
static void test_xml_lifecycle(void **state) {
    (void)state;
    static const char xhtml[] = PAGE("x&amp;y");
    static const char html[] = "<title>a&amp;b</title><body>";
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    for (int round = 0; round < 3; round++) {
        cafe_title_reset(t, NULL);
        assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
        assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0); /* still before a byte */
        cafe_title_feed(t, xhtml, sizeof xhtml - 1);
        assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_HTML), CAFE_EINVAL);
        assert_int_equal(cafe_title_finish(t), 1);
        assert_string_equal(cafe_title_text(t, NULL), "x&y");
        cafe_title_reset(t, NULL); /* HTML again */
        cafe_title_feed(t, html, sizeof html - 1);
        assert_int_equal(cafe_title_finish(t), 1);
        assert_string_equal(cafe_title_text(t, NULL), "a&b");
        assert_string_equal(cafe_title_encoding(t), "windows-1252");
    }
    cafe_title_reset(t, NULL);
    assert_int_equal(cafe_title_set_mode(t, (cafe_title_mode_t)7), CAFE_EINVAL);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_NONE), 0);
    assert_int_equal(cafe_title_feed(t, xhtml, sizeof xhtml - 1), 1);
    assert_int_equal(cafe_title_finish(t), 0);
    assert_null(cafe_title_text(t, NULL));
    cafe_title_free(t);
}

static cafe_title_t *xml_page(const char *a, size_t na, const char *b, size_t nb, size_t times,
                              const char *c, size_t nc) {
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    int done = cafe_title_feed(t, a, na);
    for (size_t i = 0; i < times && !done; i++)
        done = cafe_title_feed(t, b, nb);
    if (!done)
        cafe_title_feed(t, c, nc);
    cafe_title_finish(t);
    return t;
}

/* Changing one's mind before the first byte: XML then HTML reads the page as HTML would have
 * been read from the start (undeclared: windows-1252, not XML's UTF-8). */
static void test_xml_then_html(void **state) {
    (void)state;
    static const char page[] = "<title>caf\xe9</title><body>";
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    cafe_title_set_detection(t, 0);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_HTML), 0);
    cafe_title_feed(t, page, sizeof page - 1);
    assert_int_equal(cafe_title_finish(t), 1);
    assert_string_equal(cafe_title_text(t, NULL), "caf\xc3\xa9");
    assert_string_equal(cafe_title_encoding(t), "windows-1252");
    assert_string_equal(cafe_charset_source_name(cafe_title_charset_source(t)), "default");
    cafe_title_free(t);
}

/* A title longer than CAFE_TITLE_MAX is cut at a character boundary; a start tag bigger than
 * the parser's memory cap leaves no title instead of growing without bound; an entity bomb
 * is stopped. */
static void test_xml_caps(void **state) {
    (void)state;
    static const char open[] = "<html " X "><title>", close[] = "</title></html>";
    cafe_title_t *t =
        xml_page(open, sizeof open - 1, "\xe2\x82\xac", 3, 2000, close, sizeof close - 1);
    size_t n;
    const char *s = cafe_title_text(t, &n);
    assert_non_null(s);
    assert_int_equal(n, CAFE_TITLE_MAX / 3 * 3);
    assert_int_equal(cafe_title_truncated(t), 1);
    cafe_title_free(t);

    static const char attr[] = "<html " X " a=\"", rest[] = "\"><title>t</title></html>";
    t = xml_page(attr, sizeof attr - 1, "xxxxxxxxxxxxxxxx", 16, 1 << 17, rest, sizeof rest - 1);
    assert_null(cafe_title_text(t, NULL)); /* 2 MiB in one tag: over the cap */
    const char *why = cafe_title_xml_error(t, NULL, NULL);
    assert_non_null(why); /* which cap stops it depends on how it came: it says "1 MiB" */
    assert_non_null(strstr(why, "1 MiB"));
    cafe_title_free(t);

    static const char bomb[] =
        "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;\">"
        "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;\">"
        "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;\">]>"
        "<html " X "><title>&h;&h;&h;&h;</title></html>";
    t = xml_page(bomb, sizeof bomb - 1, "", 0, 0, "", 0);
    assert_null(cafe_title_text(t, NULL));
    why = cafe_title_xml_error(t, NULL, NULL); /* expat's amplification limit */
    assert_non_null(why);
    assert_non_null(strstr(why, "amplification"));
    cafe_title_free(t);
}

/* What one big page made the extractor hold (expat's buffer for a 300 KB comment, the bytes
 * staged meanwhile) is given back at the next page: a crawl's pool keeps its extractors, and
 * one hostile page each would keep megabytes per extractor for good. */
static void test_xml_big_page_not_kept(void **state) {
    (void)state;
    if (!test_heap_measured()) /* the plain run covers it */
        skip();
    static const char open[] = "<html " X "><!--", close[] = "--><title>t</title></html>";
    static const char small[] = PAGE("s");
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    cafe_title_feed(t, small, sizeof small - 1);
    size_t before = mallinfo2().uordblks; /* the extractor after a small page */
    cafe_title_reset(t, NULL);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    cafe_title_feed(t, open, sizeof open - 1);
    for (int i = 0; i < 300 * 16; i++) /* 64 bytes a feed, as a slow server sends */
        cafe_title_feed(t, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64);
    cafe_title_feed(t, close, sizeof close - 1);
    /* staged behind the comment (see xml.c's parse()) until a stall or the end */
    assert_int_equal(cafe_title_pause(t), 1);
    assert_string_equal(cafe_title_text(t, NULL), "t");
    cafe_title_reset(t, NULL);
    assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
    assert_int_equal(cafe_title_feed(t, small, sizeof small - 1), 1);
    size_t after = mallinfo2().uordblks;
    if (after > before + 128 * 1024)
        fail_msg("the extractor holds %zu bytes more after a big page", after - before);
    cafe_title_free(t);
}

/* A stalled page: the encoding is decided on what came. A declaration cut short after its
 * encoding's closing quote names it already (what both browsers read once the rest comes:
 * Chromium waits for the '>', Firefox reads what came); one cut before it names none: UTF-8. */
static void test_xml_pause(void **state) {
    (void)state;
    static const struct {
        const char *part, *encoding, *title;
    } runs[] = {
        {"<?xml version=\"1.0\" encoding=\"windows-1252\"", "windows-1252", "p\xc3\x83\xc2\xa9"},
        /* its value then runs on past the "?>": not well-formed, no title */
        {"<?xml version=\"1.0\" encoding=\"windows-1252", "UTF-8", NULL},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        cafe_title_t *t;
        assert_int_equal(cafe_title_create(&t, NULL), 0);
        assert_int_equal(cafe_title_set_mode(t, CAFE_TITLE_XML), 0);
        assert_int_equal(cafe_title_feed(t, runs[i].part, strlen(runs[i].part)), 0);
        assert_int_equal(cafe_title_pause(t), 0);
        assert_string_equal(cafe_title_encoding(t), runs[i].encoding);
        static const char more[] = "?>" PAGE("p\xc3\xa9");
        cafe_title_feed(t, more, sizeof more - 1);
        cafe_title_finish(t);
        const char *got = cafe_title_text(t, NULL);
        if (!got != !runs[i].title || (got && strcmp(got, runs[i].title) != 0))
            fail_msg("pause %zu: title %s", i, got ? got : "(none)");
        cafe_title_free(t);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_cases),
        cmocka_unit_test(test_xml_stops_at_title),
        cmocka_unit_test(test_xml_mode_of),
        cmocka_unit_test(test_xml_lifecycle),
        cmocka_unit_test(test_xml_caps),
        cmocka_unit_test(test_xml_pause),
        cmocka_unit_test(test_xml_big_page_not_kept),
        cmocka_unit_test(test_xml_then_html),
        cmocka_unit_test(test_xml_not_well_formed_says_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
