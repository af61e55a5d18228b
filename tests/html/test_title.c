/* The hand-written corpus: each tricky case of the tokenizer, tree construction and title
 * value rules with the title a browser gives (scripting on), fed whole, byte by byte and in
 * random splits. */
#include "title_check.h"

#include "title_cases.h"

static void test_corpus(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tcase_t *c = &cases[i];
        title_check(c->name, c->html, strlen(c->html), NULL, c->want, c->want ? strlen(c->want) : 0,
                    NULL);
    }
    for (size_t i = 0; i < sizeof nul_cases / sizeof nul_cases[0]; i++) {
        const tcase_nul_t *c = &nul_cases[i];
        title_check(c->name, c->html, c->len, NULL, c->want, c->want ? strlen(c->want) : 0, NULL);
    }
}

/* NUL is U+FFFD in the title (and the page needs its length, not strlen). */
static void test_nul(void **state) {
    (void)state;
    static const char page[] = "<title>a\0b&#0;</title>";
    title_check("nul", page, sizeof page - 1, NULL,
                "a\xEF\xBF\xBD"
                "b\xEF\xBF\xBD",
                8, NULL);
}

/* A title longer than CAFE_TITLE_MAX is cut at a character boundary. */
static void test_truncation(void **state) {
    (void)state;
    size_t n = CAFE_TITLE_MAX; /* 4096 bytes of "é" (2 bytes) after one 'x': cut at 4095 */
    char *page = malloc(n * 2 + 64), *want = malloc(n + 1);
    assert_non_null(page);
    assert_non_null(want);
    size_t len = (size_t)sprintf(page, "<meta charset=utf-8><title>x");
    for (size_t i = 0; i < n; i++, len += 2)
        memcpy(page + len, "\xC3\xA9", 2);
    len += (size_t)sprintf(page + len, "</title>");
    want[0] = 'x';
    for (size_t i = 1; i + 2 <= CAFE_TITLE_MAX; i += 2)
        memcpy(want + i, "\xC3\xA9", 2);
    title_check("truncation", page, len, NULL, want, CAFE_TITLE_MAX - 1, "UTF-8");

    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    cafe_title_feed(t, page, len);
    cafe_title_finish(t);
    assert_int_equal(cafe_title_truncated(t), 1);
    cafe_title_reset(t, NULL);
    cafe_title_feed(t, "<title>short</title>", 20);
    cafe_title_finish(t);
    assert_int_equal(cafe_title_truncated(t), 0);
    assert_string_equal(cafe_title_text(t, NULL), "short");
    cafe_title_free(t);
    free(page);
    free(want);
}

/* page = head + fill * n + tail, want = whead + wfill * n + wtail: each page every way. */
static void check_repeated(const char *name, const char *head, const char *fill, size_t n,
                           const char *tail, const char *whead, const char *wfill,
                           const char *wtail, const char *enc) {
    size_t len = 0, wlen = 0;
    char *page = malloc(strlen(head) + strlen(fill) * n + strlen(tail) + 1);
    char *want = malloc(strlen(whead) + strlen(wfill) * n + strlen(wtail) + 1);
    assert_non_null(page);
    assert_non_null(want);
    len += (size_t)sprintf(page, "%s", head);
    wlen += (size_t)sprintf(want, "%s", whead);
    for (size_t i = 0; i < n; i++) {
        len += (size_t)sprintf(page + len, "%s", fill);
        wlen += (size_t)sprintf(want + wlen, "%s", wfill);
    }
    len += (size_t)sprintf(page + len, "%s", tail);
    wlen += (size_t)sprintf(want + wlen, "%s", wtail);
    title_check(name, page, len, NULL, want, wlen, enc);
    free(page);
    free(want);
}

/* A title whose encoding is decided after it went by (undeclared: detected, or a late <meta>)
 * is decoded again from a copy of its text. Chromium and Firefox give all of a long one: runs
 * of whitespace and references many bytes long must not use up that copy before the title's
 * end (it was the first 16 KiB of raw bytes: "a", 20000 spaces, "Привет" gave "a"). */
static void test_redecoded_long(void **state) {
    (void)state;
    check_repeated("spaces, detected", "<title>a", " ", 20000, "Привет</title><p>x", "a", "",
                   " Привет", "UTF-8");
    check_repeated("spaces, late meta", "<title>a", "\t\n", 10000,
                   "\xC6</title><meta charset=windows-1251><p>x", "a", "", " Ж", "windows-1251");
    check_repeated("&#32; refs", "<title>", "&#32;", 4000, "aЖ</title><p>x", "", "", "aЖ", "UTF-8");
    check_repeated("&amp; refs", "<title>", "&amp;", 4000, "Ж</title><p>x", "", "&", "Ж", "UTF-8");
    check_repeated("zero-padded ref", "<title>&#", "0", 20000, "65;Ж</title><p>x", "", "", "AЖ",
                   "UTF-8");
    check_repeated("long names", "<title>", "&CounterClockwiseContourIntegral;", 600,
                   "Ж</title><p>x", "", "∳", "Ж", "UTF-8");
}

/* Deeper nesting than the stack holds (CAFE__HTML_STACK_MAX): Chromium and Firefox keep every
 * open element, so the </svg>, </math> or </template> after hundreds of children still closes
 * its element and the title after it is the document's ("X" in both). A full stack dropped
 * its oldest elements, the <svg> first: the title stayed SVG's, or in the template. */
static void test_deep_nesting(void **state) {
    (void)state;
    check_repeated("svg", "<svg>", "<g>", 200, "</svg><title>X</title>", "", "", "X", NULL);
    check_repeated("svg 600", "<svg>", "<g>", 600, "</svg><title>X</title>", "", "", "X", NULL);
    check_repeated("svg title", "<svg>", "<g>", 300, "<title>Y</title></svg><title>X</title>", "",
                   "", "X", NULL);
    check_repeated("math", "<math>", "<mrow>", 200, "</math><title>X</title>", "", "", "X", NULL);
    check_repeated("template", "<template>", "<div>", 200, "</template><title>X</title>", "", "",
                   "X", NULL);
    /* templates all the way: the stack holds no other element to forget, and the oldest went
     * with their count kept, so 300 </template> closed 128 and the title after them was still
     * in a template (no title; browsers: "X") */
    {
        char page[300 * 21 + 64];
        size_t len = 0;
        for (int i = 0; i < 300; i++)
            len += (size_t)sprintf(page + len, "<template>");
        len += (size_t)sprintf(page + len, "<title>Y</title>");
        for (int i = 0; i < 300; i++)
            len += (size_t)sprintf(page + len, "</template>");
        len += (size_t)sprintf(page + len, "<title>X</title>");
        title_check("templates then a title", page, len, NULL, "X", 1, NULL);
        /* one </template> short: the title is in the outermost template */
        len = (size_t)sprintf(page + len - 27, "<title>X</title>") + len - 27;
        title_check("templates but one then a title", page, len, NULL, NULL, 0, NULL);
    }
    check_repeated("table", "<table>", "<div>", 200, "</table><title>X</title>", "", "", "X", NULL);
    check_repeated("divs", "", "<div>", 600, "<svg></svg><title>X</title>", "", "", "X", NULL);
    /* a full stack forgets elements from its middle, but never where foreign content starts:
     * an <svg> or <math> there still ends at its end tag (browsers: "X") */
#define DIV8 "<div><div><div><div><div><div><div><div>"
    check_repeated("svg in the middle", DIV8 DIV8 DIV8 DIV8 DIV8 "<svg>", "<g>", 100,
                   "</svg><title>X</title>", "", "", "X", NULL);
    check_repeated("math in the middle", DIV8 DIV8 DIV8 DIV8 DIV8 "<math>", "<mrow>", 100,
                   "</math><title>X</title>", "", "", "X", NULL);
    check_repeated("svg higher up", DIV8 DIV8 DIV8 DIV8 DIV8 DIV8 DIV8 "<svg>", "<g>", 80,
                   "</svg><title>X</title>", "", "", "X", NULL);
#undef DIV8
}

/* The title is complete as soon as its end tag is read: the rest is never needed. */
static void test_early_complete(void **state) {
    (void)state;
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, "utf-8"), 0);
    assert_int_equal(cafe_title_feed(t, "<html><head><title>Early</tit", 29), 0);
    assert_null(cafe_title_text(t, NULL));
    assert_int_equal(cafe_title_feed(t, "le><body>", 9), 1);
    assert_int_equal(cafe_title_feed(t, "<title>late</title>", 19), 1);
    assert_string_equal(cafe_title_text(t, NULL), "Early");
    cafe_title_free(t);

    /* Without any declaration the encoding is only known after 1024 bytes, and then only
     * once the head is over: a late <meta> may still name one (even the replacement
     * encoding, which leaves no title). */
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    assert_int_equal(cafe_title_feed(t, "<title>A</title>", 16), 0);
    char pad[1024];
    memset(pad, ' ', sizeof pad);
    assert_int_equal(cafe_title_feed(t, pad, sizeof pad), 0);
    assert_int_equal(cafe_title_feed(t, "<p>", 3), 1);
    assert_string_equal(cafe_title_text(t, NULL), "A");
    assert_string_equal(cafe_title_encoding(t), "windows-1252");
    cafe_title_free(t);
}

/* A page cut short by its reader (cafe_title_finish_cut): the title ends before the start of
 * its end tag; at a page's real end (cafe_title_finish) those bytes are text, as in a browser.
 * `cafe titles --max-bytes` showed "cafe fixture</ti". */
static void test_finish_cut(void **state) {
    (void)state;
    static const struct {
        const char *page, *cut, *whole;
    } runs[] = {
        {"<title>cafe fixture</ti", "cafe fixture", "cafe fixture</ti"},
        {"<title>cafe fixture<", "cafe fixture", "cafe fixture<"},
        {"<title>cafe fixture</", "cafe fixture", "cafe fixture</"},
        {"<title>cafe fixture</TITLE", "cafe fixture", "cafe fixture</TITLE"},
        {"<title>cafe fixture</tix", "cafe fixture</tix", "cafe fixture</tix"},
        {"<title>cafe fixture</titles", "cafe fixture</titles", "cafe fixture</titles"},
        {"<title>cafe fixture</title><p>x</ti", "cafe fixture", "cafe fixture"},
    };
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, "utf-8"), 0);
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        for (int cut = 0; cut < 2; cut++) {
            size_t len = strlen(runs[i].page);
            cafe_title_reset(t, "utf-8");
            for (size_t k = 0; k < len; k++) /* byte by byte: every state at the cut */
                cafe_title_feed(t, runs[i].page + k, 1);
            assert_int_equal(cut ? cafe_title_finish_cut(t) : cafe_title_finish(t), 1);
            assert_int_equal(cafe_title_finish(t), 1); /* the first call decided */
            assert_string_equal(cafe_title_text(t, NULL), cut ? runs[i].cut : runs[i].whole);
        }
    }
    cafe_title_free(t);
}

/* A page cut short anywhere in its title (cafe_title_finish_cut at every byte, the page fed
 * whole and byte by byte) gives a prefix of the whole title: a character whose bytes were cut
 * is no U+FFFD and a reference still open is no character the rest could have changed
 * ("&#x4E" of "&#x4E2D;" is not "N", "&not" of "&notin;" not "¬"), in every decoder (UTF-16 and
 * gb18030's four-byte sequences too), declared or detected. `cafe titles --max-bytes` showed
 * "Caf\uFFFD" for "Café" and "N" for "中". */
static void test_finish_cut_prefix(void **state) {
    (void)state;
    static const struct {
        const char *charset, *page;
        size_t len;
    } runs[] = {
#define RUN(cs, s) {cs, s, sizeof s - 1}
        RUN("utf-8", "<title>Caf\xc3\xa9 \xe6\x97\xa5 &eacute;&notin;&#x4E2D;&#1234;&amp;x &#128;"
                     "\xf0\x9f\x98\x80</title>"),
        RUN(NULL, "<title>Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac &notin;x</title><body>"),
        RUN("shift_jis", "<title>\x93\xfa\x96{\x8c\xea &#x3042;</title>"),
        RUN("gb18030", "<title>\x81\x30\x81\x30\xd6\xd0&#20013;</title>"),
        RUN(NULL, "\xff\xfe<\0t\0i\0t\0l\0e\0>\0\x16\x04\xe5\x65 \0&\0a\0m\0p\0;\0x\0=\xd8\x00\xde"
                  "<\0/\0t\0i\0t\0l\0e\0>\0"),
#undef RUN
    };
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        cafe_title_reset(t, runs[i].charset);
        cafe_title_feed(t, runs[i].page, runs[i].len);
        assert_int_equal(cafe_title_finish(t), 1);
        char whole[256];
        snprintf(whole, sizeof whole, "%s", cafe_title_text(t, NULL));
        for (size_t cut = 1; cut < runs[i].len; cut++) {
            for (int bytewise = 0; bytewise < 2; bytewise++) {
                cafe_title_reset(t, runs[i].charset);
                for (size_t k = 0; k < cut; k += bytewise ? 1 : cut)
                    cafe_title_feed(t, runs[i].page + k, bytewise ? 1 : cut);
                cafe_title_finish_cut(t);
                const char *got = cafe_title_text(t, NULL);
                if (got && strncmp(got, whole, strlen(got)) != 0)
                    fail_msg("page %zu cut at %zu: \"%s\", not a prefix of \"%s\"", i, cut, got,
                             whole);
            }
        }
    }
    cafe_title_free(t);
}

/* A pause (cafe_title_pause: the bytes stopped coming) gives the title complete so far, as the
 * page's end would on the same bytes; with no complete title it gives nothing and the page
 * reads on as if there had been none. Every page of the corpus, cut after each of its first
 * 300 bytes (and every 7th after), undeclared and declared. */
static void check_pause_at(const tcase_t *c, size_t cut, const char *charset) {
    cafe_title_t *paused, *ended;
    assert_int_equal(cafe_title_create(&paused, charset), 0);
    assert_int_equal(cafe_title_create(&ended, charset), 0);
    cafe_title_feed(paused, c->html, cut);
    cafe_title_feed(ended, c->html, cut);
    int was_done = cafe_title_done(paused);
    int final = cafe_title_pause(paused);
    assert_int_equal(final, cafe_title_done(paused));
    assert_true(final || !was_done);
    if (final) { /* what the end of the page there gives */
        cafe_title_finish(ended);
        const char *a = cafe_title_text(paused, NULL), *b = cafe_title_text(ended, NULL);
        if (!a != !b || (a && strcmp(a, b) != 0))
            fail_msg("%s cut at %zu: paused \"%s\", ended \"%s\"", c->name, cut, a ? a : "(none)",
                     b ? b : "(none)");
        assert_string_equal(cafe_title_encoding(paused), cafe_title_encoding(ended));
    } else { /* no complete title: the rest reads on to what the whole page gives */
        cafe_title_feed(paused, c->html + cut, strlen(c->html) - cut);
        cafe_title_finish(paused);
        const char *a = cafe_title_text(paused, NULL);
        if (!a != !c->want || (a && strcmp(a, c->want) != 0))
            fail_msg("%s paused at %zu: \"%s\", want \"%s\"", c->name, cut, a ? a : "(none)",
                     c->want ? c->want : "(none)");
    }
    cafe_title_free(paused);
    cafe_title_free(ended);
}

static void test_pause(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].html);
        for (size_t cut = 1; cut <= len; cut += cut < 300 ? 1 : 7) {
            check_pause_at(&cases[i], cut, NULL);
            check_pause_at(&cases[i], cut, "utf-8");
        }
    }
    /* Undeclared, under 1024 bytes: a complete title is final at a pause whether its body has
     * started or not; a non-ASCII one is detected on what came (valid UTF-8 here). */
    static const struct {
        const char *page, *want, *encoding;
    } runs[] = {
        {"<html><head><title>Complete</title></head><body>", "Complete", "windows-1252"},
        {"<title>Complete</title><link rel=x>", "Complete", "windows-1252"},
        {"<title>Caf\xc3\xa9 \xe6\x9d\xb1</title><link rel=x>", "Caf\xc3\xa9 \xe6\x9d\xb1",
         "UTF-8"},
        {"<title>Caf\xe9</title></head><body>", "Caf\xc3\xa9", "windows-1252"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        cafe_title_t *t;
        assert_int_equal(cafe_title_create(&t, NULL), 0);
        assert_int_equal(cafe_title_feed(t, runs[i].page, strlen(runs[i].page)), 0);
        assert_int_equal(cafe_title_pause(t), 1);
        assert_string_equal(cafe_title_text(t, NULL), runs[i].want);
        assert_string_equal(cafe_title_encoding(t), runs[i].encoding);
        cafe_title_free(t);
    }
}

/* The early stop never stops before the answer is known: a page fed byte by byte until the
 * feed says final, then followed by any bytes at all and ended, gives the title and encoding
 * the stop gave. Random pages of pieces that steer the tree, the encoding (BOM, <meta> early
 * and late, padding across byte 1024) and the title's text, each fed whole and byte by
 * byte (the same answer); each stop prefix followed by
 * random tails made of the same pieces, declared by header or not. Longer runs:
 * CAFE_STOP_SEED=7 CAFE_STOP_PAGES=300000 build/tests/test_title. */
static const char *const stop_pieces[] = {
    "<title>T1</title>",
    "<title>",
    "</title>",
    "<TITLE>a &amp; b",
    "<title/>",
    "x",
    " ",
    "\n",
    "\0",
    "\r\n",
    "&",
    "&amp",
    "&not",
    "&notin;",
    "&#x41",
    "&#",
    "<",
    "</",
    "</titl",
    "</title",
    "</title x=y>",
    "<!--",
    "-->",
    "--!>",
    "<!DOCTYPE html>",
    "<html>",
    "</html>",
    "<head>",
    "</head>",
    "<body>",
    "</body>",
    "<p>",
    "<div>",
    "</div>",
    "<frameset>",
    "</frameset>",
    "<frame>",
    "<noframes>",
    "</noframes>",
    "<template>",
    "</template>",
    "<svg>",
    "</svg>",
    "<svg><title>",
    "<math>",
    "<mi>",
    "</math>",
    "<foreignObject>",
    "<table>",
    "<tr>",
    "<td>",
    "</table>",
    "<select>",
    "</select>",
    "<textarea>",
    "</textarea>",
    "<script>",
    "</script>",
    "<!--<script>",
    "<style>",
    "</style>",
    "<noscript>",
    "</noscript>",
    "<iframe>",
    "</iframe>",
    "<plaintext>",
    "<xmp>",
    "</xmp>",
    "<meta charset=utf-8>",
    "<meta charset=windows-1251>",
    "<meta charset=koi8-r>",
    "<meta charset=utf-16le>",
    "<meta charset=iso-2022-kr>",
    "<meta charset=shift_jis>",
    "<meta http-equiv=content-type content='text/html;charset=euc-jp'>",
    "<?xml?>",
    "<?x>",
    "<link rel=x>",
    "<base href=x>",
    "<object>",
    "</object>",
    "\xc3\xa9",
    "\xd0\x96",
    "\xe6\x97\xa5",
    "\xe9",
    "\xc6",
    "\x82\xa0",
    "\xef\xbb\xbf",
    "\x1b$B",
    "<![CDATA[",
    "]]>",
    "<b>",
    "</b>",
    "<!--"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "-->",
    "<!--"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    "-->",
};

static unsigned stop_rand(unsigned *seed) {
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static size_t stop_page(char *page, size_t cap, unsigned *seed, int parts) {
    size_t len = 0;
    if (stop_rand(seed) % 16 == 0) /* a BOM now and then: it decides the encoding first */
        len += (size_t)sprintf(page, "%s", stop_rand(seed) % 2 ? "\xef\xbb\xbf" : "\xff\xfe");
    for (int k = 0; k < parts; k++) {
        const char *s = stop_pieces[stop_rand(seed) % (sizeof stop_pieces / sizeof stop_pieces[0])];
        size_t sl = s[0] ? strlen(s) : 1; /* the "\0" piece is one NUL byte */
        if (len + sl > cap)
            break;
        memcpy(page + len, s, sl);
        len += sl;
    }
    return len;
}

static void test_stop_never_early(void **state) {
    (void)state;
    static const char *const charsets[] = {NULL, "utf-8", "windows-1252", "shift_jis"};
    char page[8192], tail[4096];
    unsigned seed = getenv("CAFE_STOP_SEED") ? (unsigned)atoi(getenv("CAFE_STOP_SEED")) : 20261206u;
    int count = getenv("CAFE_STOP_PAGES") ? atoi(getenv("CAFE_STOP_PAGES")) : 6000;
    int stopped = 0;
    cafe_title_t *t, *u;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    assert_int_equal(cafe_title_create(&u, NULL), 0);
    for (int n = 0; n < count; n++) {
        const char *cs = charsets[n % 4];
        size_t len = stop_page(page, sizeof page, &seed, 2 + (int)(stop_rand(&seed) % 40));
        cafe_title_reset(t, cs);
        size_t k = 0;
        while (k < len && !cafe_title_feed(t, page + k, 1))
            k++;
        int early = k < len;
        cafe_title_finish(t);
        const char *want = cafe_title_text(t, NULL);
        /* the page fed whole gives what it gave byte by byte */
        cafe_title_reset(u, cs);
        cafe_title_feed(u, page, len);
        cafe_title_finish(u);
        const char *whole = cafe_title_text(u, NULL);
        if (!whole != !want || (whole && strcmp(whole, want) != 0) ||
            strcmp(cafe_title_encoding(t), cafe_title_encoding(u)) != 0)
            fail_msg("page %d (%s): byte by byte \"%s\" in %s, whole \"%s\" in %s\n  page [%.*s]",
                     n, cs ? cs : "undeclared", want ? want : "(none)", cafe_title_encoding(t),
                     whole ? whole : "(none)", cafe_title_encoding(u), (int)len, page);
        if (!early)
            continue; /* never final before the end: no tail to add */
        k++;
        stopped++;
        for (int j = 0; j < 6; j++) {
            size_t tl = stop_page(tail, sizeof tail, &seed, 1 + (int)(stop_rand(&seed) % 30));
            cafe_title_reset(u, cs);
            cafe_title_feed(u, page, k);
            cafe_title_feed(u, tail, tl);
            cafe_title_finish(u);
            const char *got = cafe_title_text(u, NULL);
            if (!got != !want || (got && strcmp(got, want) != 0) ||
                strcmp(cafe_title_encoding(t), cafe_title_encoding(u)) != 0)
                fail_msg("page %d (%s) final at byte %zu with \"%s\" in %s; followed by [%.*s]: "
                         "\"%s\" in %s\n  page [%.*s]",
                         n, cs ? cs : "undeclared", k, want ? want : "(none)",
                         cafe_title_encoding(t), (int)tl, tail, got ? got : "(none)",
                         cafe_title_encoding(u), (int)k, page);
        }
    }
    fprintf(stderr, "early stop: %d of %d pages stopped early, each followed by 6 tails\n", stopped,
            count);
    cafe_title_free(t);
    cafe_title_free(u);
}

/* Undeclared, a closed title waits for the head's end, since a late <meta> may still name the
 * encoding; but a head that never ends (NULs, which browsers drop, whitespace, a comment or a
 * script after </title>) made it wait to the end of the page: read to --max-bytes. A late
 * <meta> counts within the first CAFE_TITLE_LATE_META bytes of the page (past the first
 * network chunks Chromium keeps the title it decoded before, and the browsers differ): the
 * title is final there, and a <meta> after it changes nothing, however the page is split. */
static size_t late_meta_page(char *page, const char *const fill[2], size_t meta_end,
                             const char *meta) {
    size_t n = (size_t)sprintf(page, "<html><head><title>Zhizn</title>%s", fill[0]);
    size_t end = meta_end - strlen(meta) - strlen(fill[1]);
    memset(page + n, fill[0][0] == '<' ? 'x' : fill[0][0], end - n); /* "": NUL bytes */
    sprintf(page + end, "%s%s", fill[1], meta);
    return meta_end;
}

static void test_late_meta_bound(void **state) {
    (void)state;
    static const char *const fills[][2] = {
        {"", ""}, {" ", ""}, {"<script>", "</script>"}, {"<!--", "-->"}};
    const size_t bound = CAFE_TITLE_LATE_META;
    char *page = malloc(bound + 64);
    assert_non_null(page);
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    for (size_t f = 0; f < sizeof fills / sizeof fills[0]; f++) {
        /* a <meta> ending at the bound counts (the replacement encoding: no title) */
        size_t len = late_meta_page(page, fills[f], bound, "<meta charset=windows-1251>");
        title_check("late meta at the bound", page, len, NULL, "Zhizn", 5, "windows-1251");
        len = late_meta_page(page, fills[f], bound, "<meta charset=iso-2022-kr>");
        title_check("late replacement meta at the bound", page, len, NULL, NULL, 0, NULL);
        /* one ending a byte later does not: byte by byte the title is final at the bound */
        len = late_meta_page(page, fills[f], bound + 1, "<meta charset=iso-2022-kr>");
        title_check("late meta past the bound", page, len, NULL, "Zhizn", 5, "windows-1252");
        cafe_title_reset(t, NULL);
        size_t k = 0;
        while (k < len && !cafe_title_feed(t, page + k, 1))
            k++;
        assert_int_equal(k + 1, bound);
    }
    cafe_title_free(t);
    free(page);
}

static void test_extract(void **state) {
    (void)state;
    char *title = (char *)"unset";
    const char *enc = NULL;
    assert_int_equal(cafe_title_extract("<title> x  y </title>", 21, NULL, &title, &enc), 1);
    assert_string_equal(title, "x y");
    assert_string_equal(enc, "windows-1252");
    free(title);
    assert_int_equal(cafe_title_extract("<p>", 3, "text/html; charset=UTF-8", &title, &enc), 0);
    assert_null(title);
    assert_string_equal(enc, "UTF-8");
    cafe_title_free(NULL);
    /* an empty page may come as NULL (an HTTP result with no body); a missing out-param or
     * a NULL page with a length is refused, not written through */
    title = (char *)"unset";
    assert_int_equal(cafe_title_extract(NULL, 0, NULL, &title, NULL), 0);
    assert_null(title);
    assert_int_equal(cafe_title_extract("<title>x</title>", 16, NULL, NULL, NULL), CAFE_EINVAL);
    assert_int_equal(cafe_title_extract(NULL, 16, NULL, &title, NULL), CAFE_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_redecoded_long),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_early_complete),
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_finish_cut),
        cmocka_unit_test(test_finish_cut_prefix),
        cmocka_unit_test(test_pause),
        cmocka_unit_test(test_stop_never_early),
        cmocka_unit_test(test_late_meta_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
