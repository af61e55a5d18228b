/* Detection of undeclared encodings, over the corpus of gen_detect_corpus.py (240 unlabeled
 * pages in 16 encodings, five shapes), generated into the build tree by python3:
 * - each page whole and byte by byte, and one page of each encoding and shape split in two
 *   at every byte: the same title, encoding and source every way (the verdict must not depend on
 * how the page streams in);
 * - accuracy with the URL's domain given: all UTF-8 and windows-1252 pages right, at least
 *   the floor measured (bench/detect/README.md) overall;
 * - declared by <meta>, by the transport or by a BOM: the declaration wins, the source says so;
 * - detection off: windows-1252 and "default";
 * - bad input: binary garbage, pages valid in several encodings, UTF-16 without a BOM, a
 *   title followed by a megabyte of ASCII: no crash, a bounded read, a truthful source;
 * - uchardet opened at the first verdict that needs it, and a library that cannot be loaded
 *   leaving the default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html/detect.h"
#include "title_check.h"

#define MAXPAGES 512
#define RIGHT_FLOOR 228 /* of 240: measured 237 with uchardet 0.0.7 */

typedef struct page {
    char file[128], enc[32], shape[16], tld[8], title[512];
    unsigned char *data;
    size_t len;
} page_t;

static page_t pages[MAXPAGES];
static size_t npages;
static cafe_title_t *shared; /* one extractor for every run, reset between pages as a crawler
                                would */

typedef struct outcome {
    title_result_t r;
    cafe_charset_source_t source;
    size_t fed; /* bytes fed before the result was final */
} outcome_t;

/* ---- the corpus ------------------------------------------------------------------------ */

static int load_corpus(void **state) {
    (void)state;
    const char *src = getenv("CAFE_SOURCE_DIR"), *bld = getenv("CAFE_BUILD_DIR");
    char dir[1024], cmd[2200], path[1200], line[2048];
    snprintf(dir, sizeof dir, "%s/tests/detect_corpus", bld ? bld : ".");
    snprintf(cmd, sizeof cmd, "python3 %s/tests/html/gen_detect_corpus.py %s", src ? src : ".",
             dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/index.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (npages < MAXPAGES && fgets(line, sizeof line, f)) {
        page_t *pg = &pages[npages];
        if (sscanf(line, "%127[^\t]\t%31[^\t]\t%15[^\t]\t%7[^\t]\t%511[^\n]", pg->file, pg->enc,
                   pg->shape, pg->tld, pg->title) != 5)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, pg->file);
        FILE *pf = fopen(path, "rb");
        pg->data = malloc(1 << 16);
        if (!pf || !pg->data)
            return -1;
        pg->len = fread(pg->data, 1, 1 << 16, pf);
        fclose(pf);
        npages++;
    }
    fclose(f);
    return npages >= 240 && cafe_title_create(&shared, NULL) == 0 ? 0 : -1;
}

static int free_corpus(void **state) {
    (void)state;
    cafe_title_free(shared);
    for (size_t i = 0; i < npages; i++)
        free(pages[i].data);
    return 0;
}

/* ---- running the extractor ---------------------------------------------------------------- */

typedef struct how {
    const char *charset, *url;
    int detect;
    size_t split; /* feed [0, split) then the rest; 0: whole */
    int bytewise;
} how_t;

static void run(const unsigned char *p, size_t len, const how_t *h, outcome_t *o) {
    cafe_title_t *t = shared;
    cafe_title_reset(t, h->charset);
    cafe_title_set_url(t, h->url);
    cafe_title_set_detection(t, h->detect);
    size_t pos = 0;
    while (pos < len) {
        size_t n = h->bytewise ? 1 : h->split && pos == 0 ? h->split : len - pos;
        unsigned char *chunk = malloc(n); /* its own block: ASan sees any read past it */
        assert_non_null(chunk);
        memcpy(chunk, p + pos, n);
        int rc = cafe_title_feed(t, chunk, n);
        free(chunk);
        assert_true(rc == 0 || rc == 1);
        pos += n;
        if (rc == 1)
            break;
    }
    cafe_title_finish(t);
    title_get(t, &o->r);
    o->source = cafe_title_charset_source(t);
    o->fed = pos;
    assert_true(test_utf8_valid(o->r.text, o->r.len) || o->r.len == 0);
}

static int same(const outcome_t *a, const outcome_t *b) {
    return a->r.found == b->r.found && a->r.len == b->r.len &&
           memcmp(a->r.text, b->r.text, a->r.len) == 0 &&
           strcmp(a->r.encoding, b->r.encoding) == 0 && a->source == b->source;
}

static void url_of(const page_t *pg, char *url, size_t n) {
    snprintf(url, n, "http://www.example.%s/index.html", pg->tld);
}

/* ---- the corpus, streamed every way ---------------------------------------------------- */

static void test_corpus_every_split(void **state) {
    (void)state;
    for (size_t i = 0; i < npages; i++) {
        const page_t *pg = &pages[i];
        char url[64];
        url_of(pg, url, sizeof url);
        how_t h = {NULL, url, 1, 0, 0};
        outcome_t whole, other;
        run(pg->data, pg->len, &h, &whole);
        assert_int_equal(whole.source, CAFE_CHARSET_DETECTED);
        h.bytewise = 1;
        run(pg->data, pg->len, &h, &other);
        if (!same(&whole, &other)) {
            fprintf(stderr, "%s bytewise: [%s] %s, whole [%s] %s\n", pg->file, other.r.text,
                    other.r.encoding, whole.r.text, whole.r.encoding);
            fail();
        }
        h.bytewise = 0;
        /* The first page of each encoding and shape split at every byte up to where the
         * result is final (a later split feeds what the extractor no longer reads). All
         * pages: 40 s, too long under the sanitizers. */
        size_t splits = strstr(pg->file, "-0.html") ? other.fed + 1 : 0;
        for (h.split = 1; h.split < splits; h.split++) {
            run(pg->data, pg->len, &h, &other);
            if (!same(&whole, &other)) {
                fprintf(stderr, "%s split at %zu: [%s] %s, whole [%s] %s\n", pg->file, h.split,
                        other.r.text, other.r.encoding, whole.r.text, whole.r.encoding);
                fail();
            }
        }
    }
}

static void test_corpus_accuracy(void **state) {
    (void)state;
    size_t right = 0, right_no_url = 0;
    for (size_t i = 0; i < npages; i++) {
        const page_t *pg = &pages[i];
        char url[64];
        url_of(pg, url, sizeof url);
        outcome_t o;
        run(pg->data, pg->len, &(how_t){NULL, url, 1, 0, 0}, &o);
        int ok = o.r.found && strcmp(o.r.text, pg->title) == 0;
        right += ok;
        if (!ok && (strcmp(pg->enc, "UTF-8") == 0 || strcmp(pg->enc, "windows-1252") == 0)) {
            fprintf(stderr, "%s: [%s] in %s\n", pg->file, o.r.text, o.r.encoding);
            fail();
        }
        run(pg->data, pg->len, &(how_t){NULL, NULL, 1, 0, 0}, &o);
        right_no_url += o.r.found && strcmp(o.r.text, pg->title) == 0;
    }
    fprintf(stderr, "right titles: %zu of %zu with the URL, %zu without\n", right, npages,
            right_no_url);
    assert_true(right >= RIGHT_FLOOR);
}

/* ---- declared pages: the declaration wins and is reported ------------------------------ */

static void expect_declared(const page_t *pg, const unsigned char *p, size_t n, const how_t *h,
                            cafe_charset_source_t want) {
    outcome_t o;
    run(p, n, h, &o);
    if (o.source != want || !o.r.found || strcmp(o.r.text, pg->title) != 0 ||
        strcasecmp(o.r.encoding, pg->enc) != 0) {
        fprintf(stderr, "%s declared (%s): [%s] in %s\n", pg->file, cafe_charset_source_name(want),
                o.r.text, o.r.encoding);
        fail();
    }
}

static void test_declared(void **state) {
    (void)state;
    for (size_t i = 0; i < npages; i++) {
        const page_t *pg = &pages[i];
        unsigned char *p = malloc(pg->len + 64);
        assert_non_null(p);
        size_t m = (size_t)sprintf((char *)p, "<meta charset=\"%s\">", pg->enc);
        memcpy(p + m, pg->data, pg->len);
        expect_declared(pg, p, m + pg->len, &(how_t){NULL, NULL, 1, 0, 0}, CAFE_CHARSET_META);
        expect_declared(pg, pg->data, pg->len, &(how_t){pg->enc, NULL, 1, 0, 0},
                        CAFE_CHARSET_HEADER);
        if (strcmp(pg->enc, "UTF-8") == 0) {
            memcpy(p, "\xEF\xBB\xBF", 3);
            memcpy(p + 3, pg->data, pg->len);
            expect_declared(pg, p, 3 + pg->len, &(how_t){NULL, NULL, 1, 0, 0}, CAFE_CHARSET_BOM);
        }
        free(p);
    }
}

static void test_detection_off(void **state) {
    (void)state;
    for (size_t i = 0; i < npages; i++) {
        outcome_t o;
        run(pages[i].data, pages[i].len, &(how_t){NULL, "http://a.ru/", 0, 0, 0}, &o);
        assert_int_equal(o.source, CAFE_CHARSET_DEFAULT);
        assert_string_equal(o.r.encoding, "windows-1252");
    }
}

/* An ASCII title never waits for the detector, even with non-ASCII text around it. */
static void test_ascii_title_not_detected(void **state) {
    (void)state;
    static const char page[] = "<title>Menu</title><p>Привет мир, \xff\xfe\x80 日本語</p>";
    outcome_t o;
    run((const unsigned char *)page, sizeof page - 1, &(how_t){NULL, NULL, 1, 0, 0}, &o);
    assert_string_equal(o.r.text, "Menu");
}

/* An ASCII title over a legacy body: the encoding both browsers name is the body's when its
 * text is in the first 1024 bytes (found on real pages given a windows-1251 or Shift_JIS body,
 * tests/browser/real_pages.py); UTF-8 there stays windows-1252, as in both; text past them is
 * not read for it (Firefox keeps windows-1252 there), nor without detection. */
static void test_ascii_title_over_legacy_head(void **state) {
    (void)state;
    static const struct {
        const char *body, *url, *want;
        int pad;
        cafe_charset_source_t source;
    } runs[] = {
        {"\xc3\xee\xf0\xee\xe4\xf1\xea\xe0\xff "
         "\xe0\xe4\xec\xe8\xed\xe8\xf1\xf2\xf0\xe0\xf6\xe8\xff "
         "\xf1\xee\xee\xe1\xf9\xe8\xeb\xe0 \xee \xed\xe0\xf7\xe0\xeb\xe5 "
         "\xf0\xe5\xec\xee\xed\xf2\xe0.",
         NULL, "windows-1251", 0, CAFE_CHARSET_DETECTED},
        {"\x8es\x97\xa7\x90}\x8f\x91\x8a\xd9\x82\xc5\x82\xcd\x81"
         "A\x88\xea\x94\xca\x8f\x91\x82\xe2"
         "\x8e\x99\x93\xb6\x8f\x91\x82\xcc\x82\xd9\x82\xa9\x81"
         "A\x8e\x47\x8e\x8f\x82\xe2\x90V\x95\xb7",
         "http://www.example.jp/", "Shift_JIS", 0, CAFE_CHARSET_DETECTED},
        {"Городская администрация сообщила о начале ремонта.", NULL, "windows-1252", 0,
         CAFE_CHARSET_DEFAULT},
        {"\xc3\xee\xf0\xee\xe4\xf1\xea\xe0\xff "
         "\xe0\xe4\xec\xe8\xed\xe8\xf1\xf2\xf0\xe0\xf6\xe8\xff.",
         NULL, "windows-1252", 1100, CAFE_CHARSET_DEFAULT},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char page[4096];
        int n = snprintf(page, sizeof page,
                         "<!DOCTYPE html>\n<html><head>\n<title>Contact us</title>\n</head>\n"
                         "<body><!--%*s-->\n<p>%s</p>\n</body></html>\n",
                         runs[i].pad, "", runs[i].body);
        assert_true(n > 0 && (size_t)n < sizeof page);
        for (int detect = 0; detect < 2; detect++) {
            for (size_t split = 0; split < (size_t)n; split += detect ? 1 : (size_t)n) {
                outcome_t o;
                run((const unsigned char *)page, (size_t)n,
                    &(how_t){NULL, runs[i].url, detect, split, 0}, &o);
                const char *want = detect ? runs[i].want : "windows-1252";
                if (strcmp(o.r.text, "Contact us") != 0 || strcmp(o.r.encoding, want) != 0 ||
                    o.source != (detect ? runs[i].source : CAFE_CHARSET_DEFAULT)) {
                    fprintf(stderr, "run %zu, split %zu, detect %d: [%s] in %s (%d), want %s\n", i,
                            split, detect, o.r.text, o.r.encoding, (int)o.source, want);
                    fail();
                }
            }
        }
    }
}

/* A page with no title still has an encoding (document.characterSet), named as for an ASCII
 * title from the first 1024 bytes: no title at all, one only in <svg> or <template>, one a
 * <frameset> ignores or takes away with the body (its non-ASCII bytes were evidence by then,
 * chunk by chunk). Both browsers said windows-1251 and Shift_JIS on each of these pages under
 * 127.0.0.1 where cafe said windows-1252. UTF-8 text stays windows-1252, as in both. */
static void test_untitled_page_named(void **state) {
    (void)state;
#define RU                                                                                         \
    "\xc3\xee\xf0\xee\xe4\xf1\xea\xe0\xff \xe0\xe4\xec\xe8\xed\xe8\xf1\xf2\xf0\xe0\xf6\xe8\xff "   \
    "\xf1\xee\xee\xe1\xf9\xe8\xeb\xe0 \xee \xed\xe0\xf7\xe0\xeb\xe5 \xf0\xe5\xec\xee\xed\xf2\xe0."
#define JA                                                                                         \
    "\x8es\x97\xa7\x90}\x8f\x91\x8a\xd9\x82\xc5\x82\xcd\x81"                                       \
    "A\x88\xea\x94\xca\x8f\x91\x82\xe2\x8e\x99\x93\xb6\x8f\x91\x82\xcc\x82\xd9\x82\xa9"
    static const struct {
        const char *page, *want;
    } runs[] = {
        {"<!DOCTYPE html><html><head></head><body><p>" RU "</p></body></html>", "windows-1251"},
        {"<p>" JA "</p>", "Shift_JIS"},
        {"<svg><title>" RU "</title></svg>", "windows-1251"},
        {"<template><title>" RU "</title></template><p>x", "windows-1251"},
        {"<frameset><title>" JA "</title></frameset>", "Shift_JIS"},
        {"<div><title>" RU "</title></div><frameset>", "windows-1251"},
        {"<div><title>" JA "</title></div><frameset></frameset>", "Shift_JIS"},
        {"<p>\xd0\x93\xd0\xbe\xd1\x80\xd0\xbe\xd0\xb4 \xe6\x97\xa5\xe6\x9c\xac</p>",
         "windows-1252"},
    };
#undef RU
#undef JA
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        const unsigned char *p = (const unsigned char *)runs[i].page;
        size_t n = strlen(runs[i].page);
        for (int detect = 0; detect < 2; detect++) {
            const char *want = detect ? runs[i].want : "windows-1252";
            int detected = strcmp(want, "windows-1252") != 0;
            for (size_t split = 0; split <= n; split++) {
                outcome_t o;
                run(p, n, &(how_t){NULL, NULL, detect, split % n, split == n}, &o);
                if (o.r.found || strcmp(o.r.encoding, want) != 0 ||
                    o.source != (detected ? CAFE_CHARSET_DETECTED : CAFE_CHARSET_DEFAULT)) {
                    fprintf(stderr, "run %zu, split %zu, detect %d: found %d, %s (%d), want %s\n",
                            i, split, detect, o.r.found, o.r.encoding, (int)o.source, want);
                    fail();
                }
            }
        }
    }
}

/* ---- titles after the held-back head ----------------------------------------------------- */

/* A short title after more than 1024 bytes of ASCII script, as pages that load their scripts
 * first have it: the head held back for the prescan holds none of the title. Fed whole, byte by
 * byte and split at every byte, the title must read `want` (under `url`, may be NULL). */
static void expect_after_script(const char *title, const char *url, const char *want) {
    char page[2048];
    size_t n = (size_t)snprintf(page, sizeof page, "<!DOCTYPE html><html><head><script>\n");
    while (n < 1100)
        n += (size_t)snprintf(page + n, sizeof page - n, "var item%zu = load('item%zu');\n", n, n);
    n += (size_t)snprintf(page + n, sizeof page - n,
                          "</script>\n<title>%s</title></head>\n<body><p>Copyright 2024.</p>"
                          "</body></html>\n",
                          title);
    assert_true(n < sizeof page);
    how_t h = {NULL, url, 1, 0, 0};
    for (h.split = 0; h.split < n; h.split++) {
        for (h.bytewise = 0; h.bytewise < (h.split ? 1 : 2); h.bytewise++) {
            outcome_t o;
            run((const unsigned char *)page, n, &h, &o);
            if (!o.r.found || strcmp(o.r.text, want) != 0) {
                fprintf(stderr, "after a script, split %zu%s, %s: [%s] in %s, want [%s]\n", h.split,
                        h.bytewise ? " bytewise" : "", url ? url : "no URL", o.r.text, o.r.encoding,
                        want);
                fail();
            }
        }
    }
}

/* uchardet has no KOI8-U model: Ukrainian in KOI8 comes out KOI8-R, which reads і and ї as
 * box drawing; KOI8-U reads them and Russian alike, and is Firefox's answer for both. */
static void test_koi8_is_koi8u(void **state) {
    (void)state;
    /* KOI8-U "Головна сторінка - Новини України" */
    static const char title[] = "\xe7\xcf\xcc\xcf\xd7\xce\xc1 \xd3\xd4\xcf\xd2\xa6\xce\xcb\xc1 - "
                                "\xee\xcf\xd7\xc9\xce\xc9 \xf5\xcb\xd2\xc1\xa7\xce\xc9";
    static const char want[] = "\xd0\x93\xd0\xbe\xd0\xbb\xd0\xbe\xd0\xb2\xd0\xbd\xd0\xb0 "
                               "\xd1\x81\xd1\x82\xd0\xbe\xd1\x80\xd1\x96\xd0\xbd\xd0\xba\xd0\xb0 - "
                               "\xd0\x9d\xd0\xbe\xd0\xb2\xd0\xb8\xd0\xbd\xd0\xb8 "
                               "\xd0\xa3\xd0\xba\xd1\x80\xd0\xb0\xd1\x97\xd0\xbd\xd0\xb8";
    expect_after_script(title, NULL, want);
    expect_after_script(title, "http://www.example.ua/", want);
    expect_after_script(title, "http://www.example.ru/", want);
}

static void test_title_after_script(void **state) {
    (void)state;
    /* windows-1252 ending in a lone UTF-8 lead byte: its end tag shows it is not UTF-8 */
    expect_after_script("Caf\xe9", NULL, "Caf\xc3\xa9");
    expect_after_script("Caf\xe9", "http://www.example.fr/", "Caf\xc3\xa9");
    expect_after_script("Caf\xc3\xa9", NULL, "Caf\xc3\xa9"); /* and UTF-8 stays UTF-8 */
    /* The evidence is the head, then the page from the title's first non-ASCII byte: glued to
     * the head's last word, uchardet read these as UTF-8, ISO-8859-13 or windows-1252 */
    expect_after_script("\xcb\xb9\xe9\xd2\xe1\xc3\xa1", "http://www.example.th/",
                        "\xe0\xb8\xab\xe0\xb8\x99\xe0\xb9\x89\xe0\xb8\xb2\xe0\xb9\x81"
                        "\xe0\xb8\xa3\xe0\xb8\x81"); /* windows-874 "หน้าแรก" */
    expect_after_script(
        "\xcd\xee\xe2\xee\xf1\xf2\xe8", NULL,
        "\xd0\x9d\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x81\xd1\x82\xd0\xb8"); /* windows-1251 "Новости" */
    expect_after_script("\xe7\xe3\xf9\xe5\xfa", NULL,
                        "\xd7\x97\xd7\x93\xd7\xa9\xd7\x95\xd7\xaa"); /* windows-1255 "חדשות" */
}

/* ---- short titles: the evidence is a word or two ---------------------------------------- */

/* A page whose only non-ASCII text is its title, fed whole and byte by byte under url (may be
 * NULL): the title must read want. */
static void expect_title(const char *title, const char *url, const char *want) {
    char page[1024];
    int n = snprintf(page, sizeof page,
                     "<!DOCTYPE html>\n<html><head>\n<title>%s</title></head>\n"
                     "<body><p>Copyright 2024. All rights reserved.</p></body></html>\n",
                     title);
    assert_true(n > 0 && (size_t)n < sizeof page);
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        outcome_t o;
        run((const unsigned char *)page, (size_t)n, &(how_t){NULL, url, 1, 0, bytewise}, &o);
        if (!o.r.found || strcmp(o.r.text, want) != 0) {
            fprintf(stderr, "%s%s: [%s] in %s, want [%s]\n", url ? url : "no URL",
                    bytewise ? " bytewise" : "", o.r.text, o.r.encoding, want);
            fail();
        }
    }
}

/* Under a domain that names no encoding, Latin on a few bytes is windows-1252 when it reads
 * as one Western language: uchardet named ISO-8859-10/-13 for these ("Aņo"). */
static void test_short_latin_is_windows1252(void **state) {
    (void)state;
    static const char *const urls[] = {"http://www.example.com/", "http://www.example.org/x", NULL};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        expect_title("A\xf1o", urls[i], "A\xc3\xb1o");
        expect_title("Ni\xf1os", urls[i], "Ni\xc3\xb1os");
        expect_title("Noticias de Espa\xf1"
                     "a y del mundo",
                     urls[i],
                     "Noticias de Espa\xc3\xb1"
                     "a y del mundo");
        expect_after_script("A\xf1o", urls[i], "A\xc3\xb1o");
        /* one letter twice is one letter: windows-1252 to both browsers, ISO-8859-10 to
         * uchardet ("A\xc5\x86o nuevo en Espa\xc5\x86a") */
        expect_title("A\xf1o nuevo en Espa\xf1"
                     "a",
                     urls[i],
                     "A\xc3\xb1o nuevo en Espa\xc3\xb1"
                     "a");
        /* not where windows-1252 would mix alphabets: Lithuanian in windows-1257 ("Orų
         * prognozė Vilniuje šiandien" would be "Orø prognozë Vilniuje ðiandien") */
        expect_title("Or\xf8 prognoz\xeb Vilniuje \xf0iandien", urls[i],
                     "Or\xc5\xb3 prognoz\xc4\x97 Vilniuje \xc5\xa1iandien");
    }
}

/* Latin text under a domain of another script: windows-1252 in both browsers (Chromium and
 * Firefox, top-level under .ru, .gr, .jp and .cn), where the hint made it the domain's usual
 * encoding ("Cafй Mьller in Kцln", GBK's "M黮ler"); but one byte that Shift_JIS reads as a
 * half-width katakana is Shift_JIS under .jp to both, as it was to cafe. */
static void test_latin_under_other_script_domain(void **state) {
    (void)state;
    static const char *const urls[] = {"http://www.example.ru/", "http://www.example.gr/",
                                       "http://www.example.jp/", "http://www.example.cn/"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        expect_title("Caf\xe9 M\xfcller in K\xf6ln", urls[i],
                     "Caf\xc3\xa9 M\xc3\xbcller in K\xc3\xb6ln");
        expect_title("na\xefve r\xe9sum\xe9", urls[i], "na\xc3\xafve r\xc3\xa9sum\xc3\xa9");
        expect_title("Sm\xf6rg\xe5sbord \x96 G\xf6teborg", urls[i],
                     "Sm\xc3\xb6rg\xc3\xa5sbord \xe2\x80\x93 G\xc3\xb6teborg");
    }
    expect_title("Stra\xdf"
                 "e",
                 urls[0],
                 "Stra\xc3\x9f"
                 "e");
    expect_title("Stra\xdf"
                 "e",
                 urls[2],
                 "Stra\xef\xbe\x9f"
                 "e");
    /* Czech, uchardet's windows-1250: windows-1252's "\xc3\x88esk\xc3\xa1" to both under
     * .ru and .gr, not windows-1251's "\xd0\x98esk\xd0\xb1" */
    for (size_t i = 0; i < 2; i++)
        expect_title("\xc8"
                     "esk\xe1",
                     urls[i],
                     "\xc3\x88"
                     "esk\xc3\xa1");
    expect_title("Copyright \xa9 2024", urls[3], "Copyright \xc2\xa9 2024");
    expect_title("Copyright \xa9 2024", urls[2], "Copyright \xef\xbd\xa9 2024");
}

/* On a word or two, uchardet's answer is checked: one whose reading is not text gives way to
 * the first that reads plausibly, of the domain's encodings or else the common ones. */
static void expect_short(const char *title, const char *url, const char *want) {
    expect_title(title, url, want);
    expect_after_script(title, url, want);
}

static void test_short_title_reads_as_text(void **state) {
    (void)state;
    static const char forum[] = "\xd0\xa4\xd0\xbe\xd1\x80\xd1\x83\xd0\xbc"; /* Форум */
    static const char *const generic[] = {"http://www.example.com/", NULL};
    for (size_t i = 0; i < 2; i++) {
        const char *ru = i ? generic[0] : "http://www.example.ru/";
        /* KOI8 read as windows-1251: "жПТХН", a small letter then capitals */
        expect_short("\xe6\xcf\xd2\xd5\xcd", ru, forum);
        expect_short("\xee\xcf\xd7\xcf\xd3\xd4\xc9", ru,
                     "\xd0\x9d\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x81\xd1\x82\xd0\xb8");
        /* IBM866 read as windows-1251: "”®аг¬", symbols against letters */
        expect_short("\x94\xae\xe0\xe3\xac", ru, forum);
        /* KOI8-U "Їжа" read as windows-1251: "·ЦБ", a middle dot on a word's edge */
        expect_short("\xb7\xd6\xc1", i ? generic[0] : "http://www.example.ua/",
                     "\xd0\x87\xd0\xb6\xd0\xb0");
        /* ISO-8859-2 "Śląsk" read as windows-1250 ("¦l±sk"), windows-1250 "Łódź" as
         * ISO-8859-2 (a C1 control) */
        const char *pl = i ? generic[0] : "http://www.example.pl/";
        expect_short("\xa6l\xb1sk", pl, "\xc5\x9al\xc4\x85sk");
        expect_short("\xa3\xf3"
                     "d\x9f",
                     pl,
                     "\xc5\x81\xc3\xb3"
                     "d\xc5\xba");
    }
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++) {
        /* ISO-8859-2 "Zażółć" read as windows-1252: "Za¿ó³æ" */
        expect_short("Za\xbf\xf3\xb3\xe6", generic[i], "Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87");
        /* windows-1251 "Їжа" read as windows-1252: "¯æà" */
        expect_short("\xaf\xe6\xe0", generic[i], "\xd0\x87\xd0\xb6\xd0\xb0");
        /* windows-874 "ข่าว" read as windows-1252: "¢èÒÇ" */
        expect_short("\xa2\xe8\xd2\xc7", generic[i],
                     "\xe0\xb8\x82\xe0\xb9\x88\xe0\xb8\xb2\xe0\xb8\xa7");
        /* and windows-1252 whose reading is text stays */
        expect_short("Col\xb7legi \xabSant Jordi\xbb", generic[i],
                     "Col\xc2\xb7legi \xc2\xabSant Jordi\xc2\xbb");
        expect_short("Cr\xe8me br\xfbl\xe9"
                     "e",
                     generic[i],
                     "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
                     "e");
        /* Icelandic "Forsíða": uchardet's windows-1250 read "Forsíđa", í and đ, which only
         * Vietnamese has, and Vietnamese is not written in windows-1250 (both browsers:
         * windows-1252) */
        expect_short("Fors\xed\xf0"
                     "a",
                     generic[i],
                     "Fors\xc3\xad\xc3\xb0"
                     "a");
    }
}

/* Neither browser detects x-mac-cyrillic (chardetng has no model for it, compact_enc_det
 * does not answer it): uchardet's MAC-CYRILLIC is read as windows-1251, which x-mac-cyrillic
 * text reads as in both browsers too. Windows-1251 "Форум • Общение" was x-mac-cyrillic's
 * "‘орум Х ќбщение" with no URL and under .ru (both browsers: windows-1251). */
static void test_mac_cyrillic_is_windows1251(void **state) {
    (void)state;
    static const char title[] = "\xd4\xee\xf0\xf3\xec \x95 \xce\xe1\xf9\xe5\xed\xe8\xe5";
    static const char want[] = "\xd0\xa4\xd0\xbe\xd1\x80\xd1\x83\xd0\xbc \xe2\x80\xa2 "
                               "\xd0\x9e\xd0\xb1\xd1\x89\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5";
    expect_title(title, NULL, want);
    expect_title(title, "http://www.example.ru/", want);
}

/* Latvian and Lithuanian titles, which uchardet names ISO-8859-13 or windows-1257 for, were
 * given windows-1252 under .com ("Aktivçt animâcijas", "Neiðvalyti"); Firefox or Chromium reads
 * each: two letters or more that differ from windows-1252 inside words are evidence enough.
 * Italian (accents at words' ends) and Icelandic (æ) stay windows-1252. */
static void test_short_baltic_under_generic(void **state) {
    (void)state;
    static const char *const urls[] = {"http://www.example.com/", NULL};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        expect_short("Aktiv\xe7t anim\xe2"
                     "cijas",
                     urls[i],
                     "Aktiv\xc4\x93t anim\xc4\x81"
                     "cijas");
        expect_short("Nei\xf0valyti aplinkos paleid\xfeiant", urls[i],
                     "Nei\xc5\xa1valyti aplinkos paleid\xc5\xbeiant");
        expect_short("R\xe2"
                     "d\xeet stilu",
                     urls[i],
                     "R\xc4\x81"
                     "d\xc4\xabt stilu");
        expect_short("git-over-rsync non \xe8 pi\xf9 supportato", urls[i],
                     "git-over-rsync non \xc3\xa8 pi\xc3\xb9 supportato");
        expect_short("Einungis sta\xf0v\xe6rt", urls[i], "Einungis sta\xc3\xb0v\xc3\xa6rt");
        expect_short("Basilea Citt\xe0", urls[i], "Basilea Citt\xc3\xa0");
    }
}

/* An undeclared page of a title and a paragraph: its title and the encoding named, fed whole
 * and byte by byte. */
static void expect_page(const char *title, const char *para, const char *url, const char *want,
                        const char *want_enc) {
    char page[2048];
    int n = snprintf(page, sizeof page,
                     "<!DOCTYPE html>\n<html><head>\n<title>%s</title>\n</head>\n<body>\n"
                     "<p>%s</p>\n</body></html>\n",
                     title, para);
    assert_true(n > 0 && (size_t)n < sizeof page);
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        outcome_t o;
        run((const unsigned char *)page, (size_t)n, &(how_t){NULL, url, 1, 0, bytewise}, &o);
        if (!o.r.found || strcmp(o.r.text, want) != 0 || strcmp(o.r.encoding, want_enc) != 0) {
            fprintf(stderr, "%s%s: [%s] in %s, want [%s] in %s\n", url ? url : "no URL",
                    bytewise ? " bytewise" : "", o.r.text, o.r.encoding, want, want_enc);
            fail();
        }
    }
}

/* Hungarian reads alike in ISO-8859-2 and windows-1250, and both browsers name it
 * windows-1250 with no domain, under .com and .cz, where uchardet said ISO-8859-2; under .pl
 * and .hu, whose usual encoding is ISO-8859-2 to both, the answer stays. */
static void test_hungarian_is_windows1250(void **state) {
    (void)state;
    static const char title[] = "Id\xf5j\xe1r\xe1s-el\xf5rejelz\xe9s Budapestre";
    static const char para[] = "Szombatonk\xe9nt gyermekfoglalkoz\xe1sokat \xe9s \xedr\xf3-olvas"
                               "\xf3 tal\xe1lkoz\xf3kat szervez\xfcnk.";
    static const char want[] = "Id\xc5\x91j\xc3\xa1r\xc3\xa1s-el\xc5\x91rejelz\xc3\xa9s Budapestre";
    static const char *const urls[] = {NULL, "http://www.example.com/", "http://www.example.cz/"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        expect_page(title, para, urls[i], want, "windows-1250");
    expect_page(title, para, "http://www.example.pl/", want, "ISO-8859-2");
    expect_page(title, para, "http://www.example.hu/", want, "ISO-8859-2");
}

/* Under a Latin-script domain, text of another script keeps its encoding where none of the
 * domain's reads it as text, and Latin text takes the domain's however it reads, as in both
 * browsers (top-level, Chromium and Firefox): the hint made windows-1251 "Новости"
 * ISO-8859-2's "Íîâîńňč" under .pl (windows-1252's "Êîíòàêòû" under .de, plausible Welsh
 * letter by letter), and left Turkish "İletişim" windows-1252's under .cz, where both read
 * windows-1250's "Ýletiţim". */
static void test_script_under_latin_domain(void **state) {
    (void)state;
    static const char para[] = "Copyright 2024. All rights reserved.";
    static const char *const latin[] = {"pl", "cz", "hu", "lt", "de", "tr"};
    static const char *const cyrillic[][2] = {
        {"\xcd\xee\xe2\xee\xf1\xf2\xe8",
         "\xd0\x9d\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x81\xd1\x82\xd0\xb8"},
        {"\xc3\xeb\xe0\xe2\xed\xe0\xff \xf1\xf2\xf0\xe0\xed\xe8\xf6\xe0",
         "\xd0\x93\xd0\xbb\xd0\xb0\xd0\xb2\xd0\xbd\xd0\xb0\xd1\x8f "
         "\xd1\x81\xd1\x82\xd1\x80\xd0\xb0\xd0\xbd\xd0\xb8\xd1\x86\xd0\xb0"},
        {"\xca\xee\xed\xf2\xe0\xea\xf2\xfb",
         "\xd0\x9a\xd0\xbe\xd0\xbd\xd1\x82\xd0\xb0\xd0\xba\xd1\x82\xd1\x8b"}};
    char url[64];
    for (size_t i = 0; i < sizeof latin / sizeof latin[0]; i++) {
        snprintf(url, sizeof url, "http://www.example.%s/", latin[i]);
        /* "Новости" under .tr is windows-1254's to Chromium, windows-1251's to Firefox */
        for (size_t w = strcmp(latin[i], "tr") == 0; w < 3; w++)
            expect_page(cyrillic[w][0], para, url, cyrillic[w][1], "windows-1251");
        if (strcmp(latin[i], "hu") == 0 || strcmp(latin[i], "de") == 0 ||
            strcmp(latin[i], "tr") == 0) /* Chromium: the domain's under .pl, .cz, .lt */
            expect_page("\xc7\xe1\xd1\xc6\xed\xd3\xed\xc9", para, url,
                        "\xd8\xa7\xd9\x84\xd8\xb1\xd8\xa6\xd9\x8a\xd8\xb3\xd9\x8a\xd8\xa9",
                        "windows-1256");
    }
    /* Latin text of another Latin encoding: the domain's */
    expect_page("\xddleti\xfeim", para, "http://www.example.cz/", "\xc3\x9dleti\xc5\xa3im",
                "windows-1250");
    expect_page("\xddleti\xfeim", para, "http://www.example.pl/", "\xc3\x9dleti\xc5\xa3im",
                "ISO-8859-2");
    /* uchardet's ISO-8859-16, which no browser names, was in .pl's family */
    expect_page("Jaun\xe2k\xe2s zi\xf2"
                "as",
                para, "http://www.example.pl/",
                "Jaun\xc3\xa2k\xc3\xa2s zi\xc5\x88"
                "as",
                "ISO-8859-2");
    /* Shift_JIS under .pl: ISO-8859-2 reads its 0x82 as a C1 control, windows-1250 does not */
    expect_page("\x82\xa8\x92m\x82\xe7\x82\xb9", para, "http://www.example.pl/",
                "\xe2\x80\x9a\xc2\xa8\xe2\x80\x99m\xe2\x80\x9a\xc3\xa7\xe2\x80\x9a\xc4\x85",
                "windows-1250");
    /* Latin text the domain's encoding reads as windows-1252 does is windows-1252 under a
     * domain of another script, and under .vn (windows-1258) */
    expect_page("Ana sayfa \xfcr\xfcnler i\xe7in", para, "http://www.example.eg/",
                "Ana sayfa \xc3\xbcr\xc3\xbcnler i\xc3\xa7in", "windows-1252");
    expect_page("Caf\xe9 \xe0 Paris", para, "http://www.example.vn/", "Caf\xc3\xa9 \xc3\xa0 Paris",
                "windows-1252");
}

/* Central European text under a domain of another script, whose windows-1252 reading is
 * letters only but of no one language ("zahranièních vìcí Èeské"): windows-1252 to both
 * browsers under .ru, .ua, .gr and .il, where it was the domain's ("zahraniиnнch vмcн"). A
 * reading with a symbol in a word ("Za¿ó³æ") or an unmapped byte (ť, 0x9D) stays the
 * domain's, as in both. */
static void test_long_latin_under_other_script_domain(void **state) {
    (void)state;
    static const char para[] = "Copyright 2024. All rights reserved.";
    static const char cz[] = "Ministerstvo zahrani\xe8n\xed"
                             "ch v\xec"
                             "c\xed \xc8"
                             "esk\xe9 republiky \x96 \xda\xf8"
                             "edn\xed deska, \x9e\xe1"
                             "dosti, ozn\xe1men\xed a v\xfd"
                             "b\xecrov\xe1 \xf8\xedzen\xed";
    static const char cz1252[] = "Ministerstvo zahrani\xc3\xa8n\xc3\xad"
                                 "ch v\xc3\xac"
                                 "c\xc3\xad \xc3\x88"
                                 "esk\xc3\xa9 republiky \xe2\x80\x93 \xc3\x9a\xc3\xb8"
                                 "edn\xc3\xad deska, \xc5\xbe\xc3\xa1"
                                 "dosti, ozn\xc3\xa1men\xc3\xad a v\xc3\xbd"
                                 "b\xc3\xacrov\xc3\xa1 \xc3\xb8\xc3\xadzen\xc3\xad";
    static const char hu[] = "Id\xf5j\xe1r\xe1s-el\xf5rejelz\xe9s Budapestre \xe9s a "
                             "k\xf6rny\xe9k\xe9re \x96 Orsz\xe1gos Meteorol\xf3giai Szolg\xe1lat";
    static const char hu1252[] =
        "Id\xc3\xb5j\xc3\xa1r\xc3\xa1s-el\xc3\xb5rejelz\xc3\xa9s Budapestre "
        "\xc3\xa9s a k\xc3\xb6rny\xc3\xa9k\xc3\xa9re \xe2\x80\x93 "
        "Orsz\xc3\xa1gos Meteorol\xc3\xb3giai Szolg\xc3\xa1lat";
    static const char body[] = "Vl\xe1"
                               "da \xc8"
                               "esk\xe9 republiky dnes schv\xe1lila n\xe1vrh z\xe1kona o "
                               "st\xe1tn\xedm rozpo\xe8tu na p\xf8\xed\x9at\xed rok.";
    static const char *const urls[] = {"http://www.example.ru/", "http://www.example.ua/"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        expect_page(cz, para, urls[i], cz1252, "windows-1252");
        expect_page(hu, para, urls[i], hu1252, "windows-1252");
        expect_page("\xc8"
                    "esk\xe1",
                    body, urls[i],
                    "\xc3\x88"
                    "esk\xc3\xa1",
                    "windows-1252");
    }
    /* four non-ASCII bytes in a row are no Latin word: windows-1251 "Вход" under .th is
     * windows-874 to both, not windows-1252's "Âõîä" */
    expect_page("\xc2\xf5\xee\xe4", para, "http://www.example.th/",
                "\xe0\xb8\xa2\xe0\xb9\x95\xe0\xb9\x8e\xe0\xb9\x84", "windows-874");
    expect_page(hu, para, "http://www.example.gr/", hu1252, "windows-1252");
    expect_page(hu, para, "http://www.example.il/", hu1252, "windows-1252");
    /* windows-1250 "Příliš žluťoučký kůň" (ť is 0x9D, unmapped in windows-1252) and Polish
     * "Zażółć gęślą jaźń" ("Za¿ó³æ"): windows-1251 to both */
    expect_page("P\xf8\xedli\x9a \x9elu\x9dou\xe8k\xfd k\xf9\xf2", para, urls[0],
                "P\xd1\x88\xd0\xbdli\xd1\x99 \xd1\x9blu\xd1\x9cou\xd0\xb8k\xd1\x8d "
                "k\xd1\x89\xd1\x82",
                "windows-1251");
    expect_page("Za\xbf\xf3\xb3\xe6 g\xea\x9cl\xb9 ja\x9f\xf1", para, urls[0],
                "Za\xd1\x97\xd1\x83\xd1\x96\xd0\xb6 g\xd0\xba\xd1\x9al\xe2\x84\x96 "
                "ja\xd1\x9f\xd1\x81",
                "windows-1251");
}

/* windows-1252's punctuation alone (dashes, quotes, the ellipsis, the bullet, ™) is no Latin
 * text: under a domain of another script both browsers (top-level) keep the domain's usual
 * encoding, a CJK one reading the byte as an error ("News � Today"), where cafe read it as
 * Latin text and gave windows-1252's "News – Today"; under .ru windows-1251 reads it alike. */
static void test_punctuation_under_other_script_domain(void **state) {
    (void)state;
    static const struct {
        const char *url, *enc;
    } domains[] = {{"http://www.example.jp/", "Shift_JIS"},
                   {"http://www.example.cn/", "GBK"},
                   {"http://www.example.kr/", "EUC-KR"},
                   {"http://www.example.ru/", "windows-1251"},
                   {"http://www.example.il/", "windows-1255"}};
    static const char para[] = "Copyright 2024. All rights reserved.";
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++) {
        int cjk = i < 3;
        expect_page("News \x96 Today", para, domains[i].url,
                    cjk ? "News \xef\xbf\xbd Today" : "News \xe2\x80\x93 Today", domains[i].enc);
        expect_page("Home \x95 About", para, domains[i].url,
                    cjk ? "Home \xef\xbf\xbd About" : "Home \xe2\x80\xa2 About", domains[i].enc);
        expect_page("About us \x85", para, domains[i].url,
                    cjk ? "About us \xef\xbf\xbd" : "About us \xe2\x80\xa6", domains[i].enc);
    }
    /* a letter among them is Latin text still: windows-1252 to both */
    expect_page("Sm\xf6rg\xe5sbord \x96 G\xf6teborg", para, domains[0].url,
                "Sm\xc3\xb6rg\xc3\xa5sbord \xe2\x80\x93 G\xc3\xb6teborg", "windows-1252");
}

/* Under a domain whose usual reading of a title is not text, another of its encodings that
 * reads it as a sign only is no better: German "Menü" under .ru, .ua, .kz and .by is
 * windows-1251's "Menь" to both browsers (top-level), where cafe took IBM866's "Men№". */
static void test_domain_reading_without_letters(void **state) {
    (void)state;
    static const char *const urls[] = {"http://www.example.ru/", "http://www.example.ua/",
                                       "http://www.example.kz/", "http://www.example.by/"};
    static const char para[] = "Copyright 2024. All rights reserved.";
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        expect_page("Men\xfc", para, urls[i], "Men\xd1\x8c", "windows-1251");
        expect_page("Das Men\xfc", para, urls[i], "Das Men\xd1\x8c", "windows-1251");
    }
    /* where the usual one reads signs too, one that reads no C1 control is better:
     * windows-1253's "© 2024 ACME™" under .gr (Chromium; Firefox windows-1252, alike), not
     * ISO-8859-7's "ACME\x99" */
    expect_page("\xa9 2024 ACME\x99", para, "http://www.example.gr/",
                "\xc2\xa9 2024 ACME\xe2\x84\xa2", "windows-1253");
    /* an encoding of the domain that reads letters still wins: KOI8 "Форум" */
    expect_page("\xe6\xcf\xd2\xd5\xcd", para, urls[0], "\xd0\xa4\xd0\xbe\xd1\x80\xd1\x83\xd0\xbc",
                "KOI8-U");
}

/* Signs that the domain's usual encoding reads as windows-1252 does ("5 ± 1", "§ 12 Rules",
 * "Products — ACME®") are no Latin text either: both browsers name the domain's encoding
 * (windows-1251 under .ru, windows-1255 under .il, ISO-8859-7 under .gr), where cafe named
 * windows-1252 as for letters read alike (Turkish under .eg, which stays windows-1252). */
static void test_signs_read_alike_are_the_domains(void **state) {
    (void)state;
    static const char para[] = "Copyright 2024. All rights reserved.";
    expect_page("5 \xb1 1", para, "http://www.example.ru/", "5 \xc2\xb1 1", "windows-1251");
    expect_page("Products \x97 ACME\xae", para, "http://www.example.ru/",
                "Products \xe2\x80\x94 ACME\xc2\xae", "windows-1251");
    expect_page("\xa7 12 Rules", para, "http://www.example.il/", "\xc2\xa7 12 Rules",
                "windows-1255");
    expect_page("10\xb0"
                "C \xbd price",
                para, "http://www.example.gr/",
                "10\xc2\xb0"
                "C \xc2\xbd price",
                "ISO-8859-7");
    expect_page("Ana sayfa \xfcr\xfcnler i\xe7in", para, "http://www.example.eg/",
                "Ana sayfa \xc3\xbcr\xc3\xbcnler i\xc3\xa7in", "windows-1252");
}

/* Under .hk both browsers read GBK pages as GBK, Big5 ones as Big5 (under .tw GBK that Big5
 * decodes stays Big5 in both); cafe made them all Big5: "首頁" in GBK was "忑\ufffd". */
static void test_hong_kong_reads_gbk(void **state) {
    (void)state;
    static const char para[] = "Copyright 2024. All rights reserved.";
    static const char hk[] = "http://www.example.hk/";
    expect_page("\xca\xd7\xed\x93", para, hk, "\xe9\xa6\x96\xe9\xa0\x81", "GBK");
    expect_page("\xea\x50\xec\xb6\xce\xd2\x82\x83", para, hk,
                "\xe9\x97\x9c\xe6\x96\xbc\xe6\x88\x91\xe5\x80\x91", "GBK");
    expect_page("\xad\xba\xad\xb6", para, hk, "\xe9\xa6\x96\xe9\xa0\x81", "Big5");
    expect_page("\xc3\xf6\xa9\xf3\xa7\xda\xad\xcc", para, hk,
                "\xe9\x97\x9c\xe6\x96\xbc\xe6\x88\x91\xe5\x80\x91", "Big5");
    expect_page("\xd0\xc2\xce\xc5\xd6\xd0\xd0\xc4", para, "http://www.example.tw/",
                "\xe9\x99\x94\xe6\x81\x93\xe7\xac\xa2\xe9\x99\x91", "Big5");
}

/* Polish in ISO-8859-2 over a page of it: uchardet says windows-1250 on its 64 non-ASCII
 * bytes, whose ą (0xB1) windows-1250 reads as ± ("m±ki"); both browsers name ISO-8859-2. The
 * title "Zażółć" reads alike in both, so only the charset told it (windows-1250 before). */
static void test_polish_iso_is_iso(void **state) {
    (void)state;
    static const char p[] =
        "Nasza piekarnia dzia\xb3"
        "a od ponad czterdziestu lat w samym sercu \xa3odzi. Chleb \xbfytni pieczemy "
        "na naturalnym zakwasie, a bu\xb3ki i rogale przygotowujemy z m\xb1ki z "
        "pobliskiego m\xb3yna. Klienci ceni\xb1 sobie zw\xb3"
        "aszcza cha\xb3k\xea z rodzynkami oraz p\xb1"
        "czki z r\xf3\xbf\xb1, kt\xf3re znikaj\xb1 z p\xf3\xb3"
        "ek przed po\xb3udniem. Zam\xf3wienia na wesela i komunie przyjmujemy telefonicznie "
        "lub osobi\xb6"
        "cie w sklepie przy ulicy Piotrkowskiej.";
    char para[3 * sizeof p + 2];
    snprintf(para, sizeof para, "%s %s %s", p, p, p);
    static const char *const urls[] = {NULL, "http://www.example.com/", "http://www.example.pl/"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        expect_page("Za\xbf\xf3\xb3\xe6", para, urls[i], "Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87",
                    "ISO-8859-2");
}

/* EUC-JP text dense in kanji is GB2312 hanzi too, and on its first 64 non-ASCII bytes
 * uchardet named GB18030 for this page ("醚氓皖 ..."), which both browsers read as EUC-JP:
 * its kana tell it (a GBK reading keeps the GBK pages of the corpus). */
static void test_kana_is_japanese(void **state) {
    (void)state;
    static const char para[] =
        "\xbb\xd4\xce\xa9\xbf\xde\xbd\xf1\xb4\xdb\xa4\xc7\xa4\xcf\xa1\xa2\xb0\xec\xc8\xcc\xbd\xf1"
        "\xa4\xe4\xbb\xf9\xc6\xb8\xbd\xf1\xa4\xce\xa4\xdb\xa4\xab\xa1\xa2\xbb\xa8\xbb\xef\xa4\xe4"
        "\xbf\xb7\xca\xb9\xa1\xa2\xbb\xeb\xc4\xb0\xb3\xd0\xbb\xf1\xce\xc1\xa4\xf2\xc9\xfd\xb9\xad"
        "\xa4\xaf\xbd\xea\xc2\xa2\xa4\xb7\xa4\xc6\xa4\xa4\xa4\xde\xa4\xb9\xa1\xa3";
    static const char want[] = "\xe3\x83\x88\xe3\x83\x83\xe3\x83\x97"; /* トップ */
    expect_page("\xa5\xc8\xa5\xc3\xa5\xd7", para, NULL, want, "EUC-JP");
    expect_page("\xa5\xc8\xa5\xc3\xa5\xd7", para, "http://www.example.com/", want, "EUC-JP");
}

/* Where uchardet has no answer, the default's reading is checked as an answer would be:
 * after a script head uchardet gave none for this Lithuanian title (windows-1257), and
 * windows-1252 read it "Orø prognozë Vilniuje ðiandien". */
static void test_no_answer_reads_as_text(void **state) {
    (void)state;
    static const char *const urls[] = {"http://www.example.org/x", "http://www.example.com/", NULL};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        expect_after_script("Or\xf8 prognoz\xeb Vilniuje \xf0iandien", urls[i],
                            "Or\xc5\xb3 prognoz\xc4\x97 Vilniuje \xc5\xa1iandien");
}

/* uchardet 0.0.7 answers UTF-8 for this Belarusian title in windows-1251, whose bytes are not
 * UTF-8 (ў is a lone 0xA2): the title read as U+FFFD everywhere but under .by. A UTF-8 answer
 * on evidence that is not UTF-8 is no answer; Firefox reads the title right. */
static void test_utf8_answer_not_utf8(void **state) {
    (void)state;
    static const char title[] = "\xd6\xb3 \xa2\xe7\xfc\xe4\xe7\xe5\xe9\xed\xb3\xf7\xe0\xe5 "
                                "\xe3\xfd\xf2\xe0\xff \xeb\xfb\xf7\xea\xe0 \xed\xe0 "
                                "\xa2\xe7\xee\xf0 \xf2\xeb\xe0";
    static const char want[] =
        "\xd0\xa6\xd1\x96 \xd1\x9e\xd0\xb7\xd1\x8c\xd0\xb4\xd0\xb7\xd0\xb5\xd0\xb9\xd0\xbd"
        "\xd1\x96\xd1\x87\xd0\xb0\xd0\xb5 \xd0\xb3\xd1\x8d\xd1\x82\xd0\xb0\xd1\x8f "
        "\xd0\xbb\xd1\x8b\xd1\x87\xd0\xba\xd0\xb0 \xd0\xbd\xd0\xb0 \xd1\x9e\xd0\xb7\xd0\xbe"
        "\xd1\x80 \xd1\x82\xd0\xbb\xd0\xb0";
    expect_short(title, NULL, want);
    expect_short(title, "http://www.example.com/", want);
    expect_short(title, "http://www.example.by/", want);
}

/* Into page (2048 bytes): a page titled with the bytes of title, over `times` copies of
 * sentence. Returns its length. */
static size_t page_over_sentences(char *page, const char *title, const char *sentence, int times) {
    size_t n = (size_t)snprintf(
        page, 2048, "<!DOCTYPE html>\n<html><head>\n<title>%s</title></head>\n<body>", title);
    for (int i = 0; i < times; i++)
        n += (size_t)snprintf(page + n, 2048 - n, "%s", sentence);
    assert_true(n < 2048);
    return n;
}

/* Romanian in windows-1250 or ISO-8859-2 (or ISO-8859-16): uchardet says ISO-8859-16, whose
 * ș ț (comma below) are the bytes of ş ţ (cedilla) there; neither browser detects ISO-8859-16,
 * and both read such a page as windows-1250 (Chromium as ISO-8859-2 on a title alone), with
 * cedillas. Checked on the title alone, with a sentence and with eight, under .ro and with no
 * URL (where Chromium guesses windows-1252 on the title alone: not asserted). */
static void test_romanian_reads_cedillas(void **state) {
    (void)state;
    static const char sentence[] = "<p>Bine a\xfei venit pe site-ul nostru. Aici g\xe3si\xfei "
                                   "\xbatiri \xbai informa\xfeii despre Rom\xe2nia.</p>\n";
    static const char want[] = "Contact \xc5\x9fi \xc3\xaentreb\xc4\x83ri";
    static const char *const urls[] = {"http://www.example.ro/", NULL};
    for (int times = 0; times <= 8; times += times ? 7 : 1) {
        char page[2048];
        size_t n = page_over_sentences(page, "Contact \xbai \xeentreb\xe3ri", sentence, times);
        for (size_t u = 0; u < (times ? 2u : 1u); u++) {
            outcome_t o;
            run((const unsigned char *)page, n, &(how_t){NULL, urls[u], 1, 0, 0}, &o);
            if (strcmp(o.r.text, want) != 0 ||
                (times == 8 && strcmp(o.r.encoding, "windows-1250"))) {
                fprintf(stderr, "%d sentences, %s: [%s] in %s\n", times,
                        urls[u] ? urls[u] : "no URL", o.r.text, o.r.encoding);
                fail();
            }
        }
    }
}

/* uchardet names GB18030 for GBK text, and the charset reported was "gb18030" where both
 * browsers' detectors give "GBK" (the same decoder): "北京新闻网 - 今日要闻" under .cn and
 * with no URL. */
static void test_gb18030_answer_is_gbk(void **state) {
    (void)state;
    static const char page[] = "<!DOCTYPE html>\n<html><head><title>\xb1\xb1\xbe\xa9\xd0\xc2"
                               "\xce\xc5\xcd\xf8 - \xbd\xf1\xc8\xd5\xd2\xaa\xce\xc5</title>"
                               "</head>\n<body><p>Copyright 2024.</p></body></html>\n";
    static const char *const urls[] = {"http://www.example.cn/", NULL};
    for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
        outcome_t o;
        run((const unsigned char *)page, sizeof page - 1, &(how_t){NULL, urls[u], 1, 0, 0}, &o);
        assert_string_equal(o.r.text, "\xe5\x8c\x97\xe4\xba\xac\xe6\x96\xb0\xe9\x97\xbb"
                                      "\xe7\xbd\x91 - \xe4\xbb\x8a\xe6\x97\xa5\xe8\xa6\x81"
                                      "\xe9\x97\xbb");
        assert_string_equal(o.r.encoding, "GBK");
    }
}

/* Latvian that uchardet names ISO-8859-13 for, which windows-1257 reads alike: the charset
 * reported is windows-1257, as both browsers report it with no domain. */
static void test_iso8859_13_is_windows1257(void **state) {
    (void)state;
    static const char *const titles[][2] = {
        {"Lietot\xe2ja v\xe2rds", "Lietot\xc4\x81ja v\xc4\x81rds"},
        {"Jaun\xe2k\xe2s zi\xf2"
         "as",
         "Jaun\xc4\x81k\xc4\x81s zi\xc5\x86"
         "as"}};
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++) {
        char page[512];
        int n = snprintf(page, sizeof page,
                         "<!DOCTYPE html>\n<html><head>\n<title>%s</title></head>\n"
                         "<body><p>Copyright 2024. All rights reserved.</p></body></html>\n",
                         titles[i][0]);
        outcome_t o;
        run((const unsigned char *)page, (size_t)n, &(how_t){NULL, NULL, 1, 0, 0}, &o);
        assert_string_equal(o.r.text, titles[i][1]);
        assert_string_equal(o.r.encoding, "windows-1257");
    }
}

/* Greek text uchardet names ISO-8859-7 for, with no domain: Firefox names it windows-1253
 * whatever its length, Chromium too on a page of text (the detect corpus's long pages);
 * under .gr both say ISO-8859-7. The title reads the same in both. So do both under a domain
 * of another family's (.il, .lt), where cafe said ISO-8859-7. */
static void test_greek_without_domain_is_windows1253(void **state) {
    (void)state;
    static const char sentence[] =
        "<p>\xd4\xef \xf0\xf1\xf9\xe9\xed\xfc \xf3\xe5\xf1\xe2\xdf\xf1\xe5\xf4\xe1\xe9 "
        "\xf3\xf4\xe7\xed \xe1\xf5\xeb\xde \xec\xe5 \xf6\xf1\xdd\xf3\xea\xef \xf8\xf9\xec\xdf "
        "\xea\xe1\xe9 \xec\xdd\xeb\xe9 \xe1\xf0\xfc \xf4\xe1 \xe2\xef\xf5\xed\xdc.</p>\n";
    static const char want[] = "\xce\x95\xce\xb9\xce\xb4\xce\xae\xcf\x83\xce\xb5\xce\xb9\xcf\x82 "
                               "\xce\xb1\xcf\x80\xcf\x8c \xcf\x84\xce\xb7\xce\xbd "
                               "\xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1";
    static const char *const urls[] = {NULL, "http://www.example.gr/", "http://www.example.il/",
                                       "http://www.example.lt/"};
    static const char *const names[] = {"windows-1253", "ISO-8859-7", "windows-1253",
                                        "windows-1253"};
    char page[2048];
    size_t n = page_over_sentences(
        page, "\xc5\xe9\xe4\xde\xf3\xe5\xe9\xf2 \xe1\xf0\xfc \xf4\xe7\xed \xc1\xe8\xde\xed\xe1",
        sentence, 4);
    for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
        outcome_t o;
        run((const unsigned char *)page, n, &(how_t){NULL, urls[u], 1, 0, 0}, &o);
        assert_string_equal(o.r.text, want);
        assert_string_equal(o.r.encoding, names[u]);
    }
}

/* windows-1256 "اتصل بنا", which uchardet names ISO-8859-6 for, read "اتصف بلا" under .eg and
 * .com (both browsers under .eg, Firefox under .com: windows-1256); ISO-8859-6 "الرئيسية",
 * whose ي is windows-1256's ê, stays ISO-8859-6 (Firefox). */
static void test_arabic_is_windows1256(void **state) {
    (void)state;
    static const char *const urls[] = {"http://www.example.eg/", "http://www.example.com/", NULL};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        expect_short("\xc7\xca\xd5\xe1 \xc8\xe4\xc7", urls[i],
                     "\xd8\xa7\xd8\xaa\xd8\xb5\xd9\x84 \xd8\xa8\xd9\x86\xd8\xa7");
        expect_short("\xc7\xe4\xd1\xc6\xea\xd3\xea\xc9", urls[i],
                     "\xd8\xa7\xd9\x84\xd8\xb1\xd8\xa6\xd9\x8a\xd8\xb3\xd9\x8a\xd8\xa9");
    }
}

/* windows-1257 Lithuanian with its quotes „“ (0x84, 0x93): uchardet says ISO-8859-13, whose
 * C1 controls those bytes are, however much text it sees; the title showed "\x84Nativo\x93".
 * Its Windows twin reads them, as Firefox does. Checked with a sentence (thin evidence) and
 * with eight (enough), without a URL and under .lt. */
static void test_iso8859_c1_is_windows(void **state) {
    (void)state;
    static const char sentence[] = "<p>\xd0is \x84raktas\x93 nustato, ar programa rodo "
                                   "\x84Nativo\x93 klaviat\xfbros i\xf0"
                                   "d\xebstym\xe0.</p>\n";
    static const char want[] = "Portugal\xc5\xb3 (\xe2\x80\x9eNativo\xe2\x80\x9c)";
    static const char *const urls[] = {NULL, "http://www.example.lt/"};
    for (int times = 1; times <= 8; times += 7) {
        char page[2048];
        size_t n = page_over_sentences(page, "Portugal\xf8 (\x84Nativo\x93)", sentence, times);
        for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
            outcome_t o;
            run((const unsigned char *)page, n, &(how_t){NULL, urls[u], 1, 0, 0}, &o);
            if (strcmp(o.r.text, want) != 0) {
                fprintf(stderr, "%d sentences, %s: [%s] in %s\n", times,
                        urls[u] ? urls[u] : "no URL", o.r.text, o.r.encoding);
                fail();
            }
            assert_string_equal(o.r.encoding, "windows-1257");
        }
    }
}

/* A Hebrew title (windows-1255) over English sentences with curly quotes, as pages of
 * half-translated software are: the quotes (0x93, 0x94) fill the evidence, uchardet weighs
 * them and says windows-1252, and with that much evidence its answer stood, under .il too:
 * "äåãòä áîñôø úáðéåú". The first run of text (the title) is judged alone when the answer
 * reads it implausibly; Firefox read such corpus pages right under .il and .com. */
static void test_title_over_quoted_english(void **state) {
    (void)state;
    static const char title[] =
        "\xe4\xe5\xe3\xf2\xe4 \xe1\xee\xf1\xf4\xf8 \xfa\xe1\xf0\xe9\xe5\xfa";
    static const char want[] = "\xd7\x94\xd7\x95\xd7\x93\xd7\xa2\xd7\x94 \xd7\x91\xd7\x9e\xd7\xa1"
                               "\xd7\xa4\xd7\xa8 \xd7\xaa\xd7\x91\xd7\xa0\xd7\x99\xd7\x95\xd7\xaa";
    static const char *const urls[] = {"http://www.example.il/", "http://www.example.com/"};
    char page[4096];
    size_t n =
        (size_t)snprintf(page, sizeof page,
                         "<!DOCTYPE html>\n<html><head>\n<title>%s</title></head>\n<body>", title);
    for (int i = 0; i < 10; i++)
        n += (size_t)snprintf(page + n, sizeof page - n,
                              "<p>Determines whether applications can make audible \x93"
                              "beeps\x94; used with \x93visual bell\x94 it allows silent \x93"
                              "beeps\x94.</p>\n");
    assert_true(n < sizeof page);
    for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
        for (int bytewise = 0; bytewise < 2; bytewise++) {
            outcome_t o;
            run((const unsigned char *)page, n, &(how_t){NULL, urls[u], 1, 0, bytewise}, &o);
            if (strcmp(o.r.text, want) != 0) {
                fprintf(stderr, "%s: [%s] in %s\n", urls[u], o.r.text, o.r.encoding);
                fail();
            }
        }
    }
}

/* A multi-byte answer is checked too, against its domain's encodings: short EUC-JP titles
 * under .jp were given the domain's usual Shift_JIS, which reads them with errors and
 * half-width katakana ("日本" as "ﾆ�ﾜ"); Shift_JIS itself stays. */
static void test_short_multibyte_reads_as_text(void **state) {
    (void)state;
    static const char jp[] = "http://www.example.jp/";
    expect_short("\xc6\xfc\xcb\xdc", jp, "\xe6\x97\xa5\xe6\x9c\xac");
    expect_short("\xa5\xdb\xa1\xbc\xa5\xe0", jp, "\xe3\x83\x9b\xe3\x83\xbc\xe3\x83\xa0");
    expect_short("\xa4\xaa\xc3\xce\xa4\xe9\xa4\xbb", jp,
                 "\xe3\x81\x8a\xe7\x9f\xa5\xe3\x82\x89\xe3\x81\x9b");
    expect_short("\x93\xfa\x96\x7b", jp, "\xe6\x97\xa5\xe6\x9c\xac");
    expect_short("\x82\xa8\x92\x6d\x82\xe7\x82\xb9", jp,
                 "\xe3\x81\x8a\xe7\x9f\xa5\xe3\x82\x89\xe3\x81\x9b");
}

/* Under .com or .org uchardet named a single-byte encoding for a word or two of CJK: GBK
 * "中文" came out windows-1251's "ЦРОД", Big5 "首頁" windows-1252's soft hyphens, EUC-KR
 * "홈페이지" UTF-8 with errors. A CJK reading whose characters all fall in its encoding's
 * common blocks wins over a reading with no word cased as words are written. */
static void test_short_cjk_under_generic(void **state) {
    (void)state;
    static const char *const urls[] = {"http://www.example.com/", "http://www.example.org/x"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        const char *u = urls[i];
        expect_short("\xd6\xd0\xce\xc4", u, "\xe4\xb8\xad\xe6\x96\x87"); /* GBK 中文 */
        expect_short("\xca\xd7\xd2\xb3", u, "\xe9\xa6\x96\xe9\xa1\xb5"); /* GBK 首页 */
        expect_short("\xad\xba\xad\xb6", u, "\xe9\xa6\x96\xe9\xa0\x81"); /* Big5 首頁 */
        expect_short("\xb3\xcc\xb7s\xae\xf8\xae\xa7", u,
                     "\xe6\x9c\x80\xe6\x96\xb0\xe6\xb6\x88\xe6\x81\xaf"); /* 最新消息 */
        expect_short("\xc3\xf6\xa9\xf3\xa7\xda\xad\xcc", u,
                     "\xe9\x97\x9c\xe6\x96\xbc\xe6\x88\x91\xe5\x80\x91"); /* 關於我們 */
        expect_short("\xc8\xa8\xc6\xe4\xc0\xcc\xc1\xf6", u,
                     "\xed\x99\x88\xed\x8e\x98\xec\x9d\xb4\xec\xa7\x80"); /* 홈페이지 */
        expect_short("\xb0\xf8\xc1\xf6\xbb\xe7\xc7\xd7", u,
                     "\xea\xb3\xb5\xec\xa7\x80\xec\x82\xac\xed\x95\xad"); /* 공지사항 */
        expect_short("\x93\xfa\x96\x7b", u, "\xe6\x97\xa5\xe6\x9c\xac");  /* SJIS 日本 */
        expect_short("\x83z\x81[\x83\x80", u,
                     "\xe3\x83\x9b\xe3\x83\xbc\xe3\x83\xa0"); /* Shift_JIS ホーム */
        expect_short("\xa5\xdb\xa1\xbc\xa5\xe0", u,
                     "\xe3\x83\x9b\xe3\x83\xbc\xe3\x83\xa0"); /* EUC-JP ホーム */
        /* a Thai reading that only the second opinions gave ("วัฑน") is no word against
         * them: EUC-KR "한국", "iptables 설정 파일", EUC-JP "お知らせ", "ユーザー ID",
         * gb18030 "已停止 (tty 输出)" */
        expect_short("\xc7\xd1\xb1\xb9", u, "\xed\x95\x9c\xea\xb5\xad");
        expect_short("iptables \xbc\xb3\xc1\xa4 \xc6\xc4\xc0\xcf", u,
                     "iptables \xec\x84\xa4\xec\xa0\x95 \xed\x8c\x8c\xec\x9d\xbc");
        expect_short("\xa4\xaa\xc3\xce\xa4\xe9\xa4\xbb", u,
                     "\xe3\x81\x8a\xe7\x9f\xa5\xe3\x82\x89\xe3\x81\x9b");
        expect_short("\xa5\xe6\xa1\xbc\xa5\xb6\xa1\xbc ID", u,
                     "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc ID");
        expect_short("\xd2\xd1\xcd\xa3\xd6\xb9 (tty \xca\xe4\xb3\xf6)", u,
                     "\xe5\xb7\xb2\xe5\x81\x9c\xe6\xad\xa2 (tty \xe8\xbe\x93\xe5\x87\xba)");
        /* and not where the single-byte reading has a word written as words are: Polish
         * "Zażółć" in ISO-8859-2 is two level-1 hanzi in GBK (one touching "Za"), Russian
         * "Сайт", or in a script without case, Thai "ตาดู" (two Hangul syllables in EUC-KR) */
        expect_short("Za\xbf\xf3\xb3\xe6", u, "Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87");
        expect_short("\xd1\xe0\xe9\xf2", u, "\xd0\xa1\xd0\xb0\xd0\xb9\xd1\x82");
        /* nor a word in capitals longer than a CJK title's bytes make by chance: windows-1253
         * "ΑΡΧΙΚΗ" is three level-1 hanzi in GBK */
        expect_short("\xc1\xd1\xd7\xc9\xca\xc7", u,
                     "\xce\x91\xce\xa1\xce\xa7\xce\x99\xce\x9a\xce\x97");
        /* but eight capitals are as likely four hanzi, and both browsers read GBK "新闻中心"
         * (windows-1251 "РВОЕЦРРД") and windows-1253 "ΕΙΔΗΣΕΙΣ" as GBK */
        expect_short("\xd0\xc2\xce\xc5\xd6\xd0\xd0\xc4", u,
                     "\xe6\x96\xb0\xe9\x97\xbb\xe4\xb8\xad\xe5\xbf\x83");
        expect_short("\xc5\xc9\xc4\xc7\xd3\xc5\xc9\xd3", u,
                     "\xe6\xb4\xbe\xe9\x82\xa3\xe4\xbc\x98\xe6\x8d\x8e");
        /* ...counted in non-ASCII bytes, a sign's too: GBK "关于我们" is "№ШУЪОТГЗ" */
        expect_short("\xb9\xd8\xd3\xda\xce\xd2\xc3\xc7", u,
                     "\xe5\x85\xb3\xe4\xba\x8e\xe6\x88\x91\xe4\xbb\xac");
        expect_short("\xb5\xd2\xb4\xd9", u, "\xe0\xb8\x95\xe0\xb8\xb2\xe0\xb8\x94\xe0\xb8\xb9");
        /* GBK's lenticular brackets 【】 are EUC-KR's ± and ×: "【官方】京东" read as EUC-KR,
         * "±바렘×쑴땜", has a mathematical sign between two Hangul syllables, which text
         * hardly ever has (both browsers: GBK); a Korean range "월∼금" keeps its tilde */
        expect_short("\xa1\xbe\xb9\xd9\xb7\xbd\xa1\xbf\xbe\xa9\xb6\xab", u,
                     "\xe3\x80\x90\xe5\xae\x98\xe6\x96\xb9\xe3\x80\x91\xe4\xba\xac"
                     "\xe4\xb8\x9c");
        expect_short("\xbf\xf9\xa1\xad\xb1\xdd \xbf\xb5\xbe\xf7", u,
                     "\xec\x9b\x94\xe2\x88\xbc\xea\xb8\x88 \xec\x98\x81\xec\x97\x85");
        /* a Shift_JIS trail byte is no ASCII letter next to the character after it: "（株）東芝"
         * (8169 8A94 816A 938C 8EC5) has three kanji clear of Latin words, though 株 and 東
         * follow the bytes 'i' and 'j' (both browsers: Shift_JIS; it was windows-1252) */
        expect_short("\x81i\x8a\x94\x81j\x93\x8c\x8e\xc5", u,
                     "\xef\xbc\x88\xe6\xa0\xaa\xef\xbc\x89\xe6\x9d\xb1\xe8\x8a\x9d");
    }
    /* KS X 1001's row 3 is the full-width forms, as GB2312's is: "네이버：검색", "다음｜뉴스"
     * and "공지사항！" in EUC-KR read as text, not as GBK's "匙捞滚：八祸" (both browsers:
     * EUC-KR, with no domain) */
    expect_short("\xb3\xd7\xc0\xcc\xb9\xf6\xa3\xba\xb0\xcb\xbb\xf6", NULL,
                 "\xeb\x84\xa4\xec\x9d\xb4\xeb\xb2\x84\xef\xbc\x9a\xea\xb2\x80\xec\x83\x89");
    expect_short("\xb4\xd9\xc0\xbd\xa3\xfc\xb4\xba\xbd\xba", NULL,
                 "\xeb\x8b\xa4\xec\x9d\x8c\xef\xbd\x9c\xeb\x89\xb4\xec\x8a\xa4");
    expect_short("\xb0\xf8\xc1\xf6\xbb\xe7\xc7\xd7\xa3\xa1", NULL,
                 "\xea\xb3\xb5\xec\xa7\x80\xec\x82\xac\xed\x95\xad\xef\xbc\x81");
}

/* ---- bad input ------------------------------------------------------------------------- */

/* Feeds p in 4 KiB chunks; returns how many bytes went in before the result was final. */
static size_t fed_until_done(const unsigned char *p, size_t len, outcome_t *o) {
    cafe_title_t *t;
    assert_int_equal(cafe_title_create(&t, NULL), 0);
    size_t pos = 0;
    while (pos < len && cafe_title_feed(t, p + pos, len - pos < 4096 ? len - pos : 4096) == 0)
        pos += len - pos < 4096 ? len - pos : 4096;
    cafe_title_finish(t);
    title_get(t, &o->r);
    o->source = cafe_title_charset_source(t);
    assert_true(o->r.len == 0 || test_utf8_valid(o->r.text, o->r.len));
    cafe_title_free(t);
    return pos;
}

/* A <meta> the first 1024 bytes cut, ending at a '>' before 2048 with non-ASCII text after it
 * in the head: the held head is the detector's evidence, and it ended at that '>' when the
 * page came in small chunks but at 2048 bytes when it came whole, so the verdict depended on
 * how the page was split (found by fuzz_title: windows-1252 whole, Shift_JIS byte by byte). */
static void test_evidence_of_a_cut_meta_is_split_alike(void **state) {
    (void)state;
    static const char thai[] = "\xc3\xe9\xd2\xb9\xcd\xd2\xcb\xd2\xc3\xa2\xcd\xa7\xe0\xc3 ";
    unsigned char page[4096];
    size_t n = (size_t)sprintf((char *)page, "<meta http-equiv=Content-Type a=");
    while (n < 1100)
        page[n++] = 'x';
    page[n++] = '>';
    for (size_t i = 0; i < 50; i++, n += sizeof thai - 1)
        memcpy(page + n, thai, sizeof thai - 1);
    n += (size_t)sprintf((char *)page + n, "<title>\xf0\xd2\xc9\xd7\xc5\xd4</title><p>x");
    static const char *const urls[] = {NULL, "https://shop.example.jp/", "http://example.ru/"};
    for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
        outcome_t whole, other;
        how_t h = {NULL, urls[u], 1, 0, 0};
        run(page, n, &h, &whole);
        h.bytewise = 1;
        run(page, n, &h, &other);
        assert_true(same(&whole, &other));
        h.bytewise = 0;
        for (h.split = 1000; h.split < n; h.split += 7) {
            run(page, n, &h, &other);
            if (!same(&whole, &other))
                fail_msg("url %s, split at %zu: %s against %s whole", urls[u] ? urls[u] : "none",
                         h.split, other.r.encoding, whole.r.encoding);
        }
    }
}

static void test_read_on_is_bounded(void **state) {
    (void)state;
    size_t len = 1 << 20;
    unsigned char *p = malloc(len);
    assert_non_null(p);
    memset(p, 'a', len);
    /* three windows-1251 letters: invalid UTF-8, too little for the detector; then ASCII */
    size_t m = (size_t)sprintf((char *)p, "<title>\xcf\xf0\xe8</title><body><p>");
    (void)m;
    outcome_t o;
    size_t fed = fed_until_done(p, len, &o);
    assert_true(fed <= CAFE__DETECT_MAX + 8192);
    assert_true(o.r.found);
    assert_true(o.source == CAFE_CHARSET_DETECTED || o.source == CAFE_CHARSET_DEFAULT);
    free(p);
}

static void test_binary_garbage(void **state) {
    (void)state;
    size_t len = 1 << 18;
    unsigned char *p = malloc(len);
    assert_non_null(p);
    unsigned seed = 12345;
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            p[i] = (unsigned char)(seed >> 16);
        }
        if (round & 1) /* and a title in the garbage */
            memcpy(p + 100 * round, "<title>", 7), memcpy(p + 100 * round + 300, "</title>", 8);
        outcome_t o;
        size_t fed = fed_until_done(p, len, &o);
        assert_true(fed <= len);
        assert_true(o.source == CAFE_CHARSET_DETECTED || o.source == CAFE_CHARSET_DEFAULT);
        if (o.source == CAFE_CHARSET_DEFAULT)
            assert_string_equal(o.r.encoding, "windows-1252");
    }
    free(p);
}

/* Bytes valid in many encodings at once: some verdict, reported as detected. */
static void test_valid_in_several(void **state) {
    (void)state;
    static const char *const pagesv[] = {
        "<title>\xb0\xa1\xb0\xa2\xb0\xa3\xb1\xa1</title><body>", /* GBK, EUC-KR, EUC-JP, Big5 */
        "<title>\xc3\x83\xc2\xa9</title><body>", /* UTF-8 of "Ã©", and windows-1252 */
        "<title>\xe9\xe8</title><body>",         /* any single-byte encoding */
    };
    for (size_t i = 0; i < sizeof pagesv / sizeof pagesv[0]; i++) {
        outcome_t o;
        run((const unsigned char *)pagesv[i], strlen(pagesv[i]), &(how_t){NULL, NULL, 1, 0, 0}, &o);
        assert_true(o.r.found);
        assert_true(o.source == CAFE_CHARSET_DETECTED || o.source == CAFE_CHARSET_DEFAULT);
        if (i == 1) /* valid UTF-8 wins */
            assert_string_equal(o.r.text, "\xc3\x83\xc2\xa9");
    }
}

/* UTF-16 without a BOM: the tokenizer sees NULs between the letters, so no title, and the
 * source says nothing was found. */
static void test_utf16_without_bom(void **state) {
    (void)state;
    static const char ascii[] = "<html><title>Hi \xe9</title></html>";
    unsigned char p[2 * sizeof ascii];
    for (size_t i = 0; i < sizeof ascii - 1; i++)
        p[2 * i] = (unsigned char)ascii[i], p[2 * i + 1] = 0;
    outcome_t o;
    run(p, 2 * (sizeof ascii - 1), &(how_t){NULL, NULL, 1, 0, 0}, &o);
    assert_false(o.r.found);
    assert_int_equal(o.source, CAFE_CHARSET_DEFAULT);
    run(p + 1, 2 * (sizeof ascii - 1) - 1, &(how_t){NULL, NULL, 1, 0, 0}, &o); /* BE-like */
    assert_int_equal(o.source, CAFE_CHARSET_DEFAULT);
}

/* UTF-8 text (BMP only) as UTF-16, little-endian or big-endian, in out (room for 2n). */
static size_t utf16_of(const char *utf8, int big, unsigned char *out) {
    const unsigned char *s = (const unsigned char *)utf8;
    size_t n = 0;
    while (*s) {
        unsigned c = *s < 0x80 ? *s++
                     : *s < 0xE0
                         ? (unsigned)(*s & 0x1F) << 6 | (s[1] & 0x3Fu)
                         : (unsigned)(*s & 0x0F) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu);
        if (c >= 0x80)
            s += c < 0x800 ? 2 : 3;
        out[n + (big ? 1 : 0)] = (unsigned char)(c & 0xFF);
        out[n + (big ? 0 : 1)] = (unsigned char)(c >> 8);
        n += 2;
    }
    return n;
}

/* A title whose bytes are interleaved with NULs (per: NULs after each byte; nuls: how many,
 * 0 for a NUL after every byte up to the end of word) under url: the encoding named must be
 * want, fed whole, byte by byte and split at every byte. */
static void expect_nul_title(const char *word, size_t per, size_t nuls, const char *url,
                             const char *want) {
    unsigned char page[512];
    size_t n = 0, w = strlen(word), put = 0;
    memcpy(page, "<html><head><title>", 19), n = 19;
    for (size_t i = 0; i < w; i++) {
        page[n++] = (unsigned char)word[i];
        for (size_t k = 0; k < per && i + 1 < w && (nuls == 0 || put < nuls); k++, put++)
            page[n++] = 0;
    }
    memcpy(page + n, "</title></head><body></body></html>", 35), n += 35;
    outcome_t whole, o;
    run(page, n, &(how_t){NULL, url, 1, 0, 0}, &whole);
    if (!whole.r.found || strcmp(whole.r.encoding, want) != 0) {
        fprintf(stderr, "%s: [%s] in %s, want %s\n", url ? url : "no URL", whole.r.text,
                whole.r.encoding, want);
        fail();
    }
    run(page, n, &(how_t){NULL, url, 1, 0, 1}, &o);
    assert_true(same(&o, &whole));
    for (size_t split = 1; split < n; split++) {
        run(page, n, &(how_t){NULL, url, 1, split, 0}, &o);
        assert_true(same(&o, &whole));
    }
}

/* Legacy text interleaved with NULs, as UTF-16 without a BOM is: neither browser detects its
 * encoding from its letters (windows-1252 with no domain and under .com, and under .ru in
 * Firefox; a Latin-script domain's own, .pl: ISO-8859-2), where uchardet read windows-1251
 * "Привет" with a NUL after each byte as windows-1251 (Shift_JIS under .jp). A few NULs in
 * such text leave it detected, in both browsers too. */
static void test_nul_interleaved_title(void **state) {
    (void)state;
    static const char privet[] = "\xcf\xf0\xe8\xe2\xe5\xf2";
    static const char glavnaya[] = "\xc3\xeb\xe0\xe2\xed\xe0\xff \xf1\xf2\xf0\xe0\xed\xe8\xf6\xe0";
    expect_nul_title(privet, 1, 0, NULL, "windows-1252");
    expect_nul_title(privet, 1, 0, "http://www.example.com/", "windows-1252");
    expect_nul_title(privet, 1, 0, "http://www.example.pl/", "ISO-8859-2");
    expect_nul_title(glavnaya, 1, 0, "http://www.example.com/", "windows-1252");
    expect_nul_title(glavnaya, 2, 0, "http://www.example.ru/", "windows-1252");
    expect_nul_title(glavnaya, 1, 3, NULL, "windows-1251");
    expect_nul_title(glavnaya, 1, 3, "http://www.example.ru/", "windows-1251");
}

/* A page of UTF-16 without a BOM has no title, and its encoding stays windows-1252, as in
 * both browsers (Chromium and Firefox on each of these, little- and big-endian): uchardet
 * named GBK, windows-874 and windows-1251 on their bytes once a page with no title had its
 * encoding named (test_untitled_page_named). So does legacy text with a NUL after each
 * byte; a run of NULs before legacy text leaves it named, as both browsers name it. */
static void test_utf16_without_bom_untitled(void **state) {
    (void)state;
    static const char *const texts[] = {
        "<html><head><title>\xe6\x97\xa5\xe6\x9c\xac</title></head><body><p>"
        "\xe5\xbd\x93\xe5\xba\x97\xe3\x81\xaf\xe9\xa7\x85\xe3\x81\x8b\xe3\x82\x89"
        "\xe5\xbe\x92\xe6\xad\xa9\xe4\xba\x94\xe5\x88\x86\xe3\x81\xae\xe5\xa0\xb4"
        "\xe6\x89\x80\xe3\x81\xab\xe3\x81\x82\xe3\x82\x8b\xe5\xb0\x8f\xe3\x81\x95"
        "\xe3\x81\xaa\xe5\x92\x8c\xe8\x8f\x93\xe5\xad\x90\xe5\xb1\x8b\xe3\x81\xa7"
        "\xe3\x81\x99\xe3\x80\x82</p></body></html>",
        "<title>\xd7\x97\xd7\x93\xd7\xa9\xd7\x95\xd7\xaa \xd7\x9e\xd7\x99\xd7\xa8"
        "\xd7\x95\xd7\xa9\xd7\x9c\xd7\x99\xd7\x9d</title>",
        "<title>\xce\x95\xce\xb9\xce\xb4\xce\xae\xcf\x83\xce\xb5\xce\xb9\xcf\x82 "
        "\xce\xb1\xcf\x80\xcf\x8c \xcf\x84\xce\xb7\xce\xbd \xce\x91\xce\xb8\xce\xae"
        "\xce\xbd\xce\xb1</title>",
    };
    unsigned char page[1024];
    outcome_t o;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        for (int big = 0; big < 2; big++) {
            size_t n = utf16_of(texts[i], big, page);
            assert_true(n <= sizeof page);
            for (size_t split = 0; split < n; split++) {
                run(page, n, &(how_t){NULL, NULL, 1, split, 0}, &o);
                if (o.r.found || strcmp(o.r.encoding, "windows-1252") != 0) {
                    fprintf(stderr, "text %zu, big %d, split %zu: %s\n", i, big, split,
                            o.r.encoding);
                    fail();
                }
            }
        }
    }
    /* "<p>" and windows-1251 text, each byte followed by a NUL, then after a run of NULs */
    static const char ru[] = "<p>\xcd\xee\xe2\xee\xf1\xf2\xe8 \xcc\xee\xf1\xea\xe2\xfb: "
                             "\xf0\xe0\xf1\xef\xe8\xf1\xe0\xed\xe8\xe5 \xfd\xeb\xe5\xea"
                             "\xf2\xf0\xe8\xf7\xe5\xea \xed\xe0 \xf1\xe5\xe3\xee\xe4"
                             "\xed\xff</p>";
    size_t n = 0;
    for (size_t i = 0; i < sizeof ru - 1; i++)
        page[n++] = (unsigned char)ru[i], page[n++] = 0;
    run(page, n, &(how_t){NULL, NULL, 1, 0, 0}, &o);
    assert_string_equal(o.r.encoding, "windows-1252");
    memset(page, 0, 64);
    memcpy(page + 64, ru, sizeof ru - 1);
    run(page, 64 + sizeof ru - 1, &(how_t){NULL, NULL, 1, 0, 0}, &o);
    assert_string_equal(o.r.encoding, "windows-1251");
}

/* ---- small parts ----------------------------------------------------------------------- */

/* uchardet is opened with dlopen at the first verdict that needs it (uchardet_lib.h), not
 * before; a library that cannot be loaded is not tried again, and the verdict is "no answer"
 * (windows-1252 stays). */
static void test_uchardet_on_demand(void **state) {
    (void)state;
    static const unsigned char cp1251[] = "\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0";
    cafe__html_detect_t d;
    cafe__html_detect_init(&d);
    cafe__html_detect_feed(&d, (const unsigned char *)"<title>ascii</title>", 20);
    assert_null(cafe__html_detect_result(&d)); /* nothing to detect: nothing loaded */
    assert_null(d.lib.handle);
    cafe__html_detect_reset(&d);
    cafe__html_detect_feed(&d, cp1251, sizeof cp1251 - 1);
    (void)cafe__html_detect_result(&d);
    assert_non_null(d.lib.handle);
    assert_non_null(d.ud);
    cafe__html_detect_close(&d);
    assert_null(d.lib.handle);

    cafe__uchardet_lib_t lib = {0};
    assert_int_equal(cafe__uchardet_open_named(&lib, "libcafe-test-no-such-library.so.0"), -1);
    assert_true(lib.failed);
    assert_null(lib.handle);
    assert_int_equal(cafe__uchardet_open(&lib), -1);
    cafe__uchardet_close(&lib);

    cafe__html_detect_init(&d);
    d.lib.failed = 1; /* as after a failed load */
    cafe__html_detect_feed(&d, cp1251, sizeof cp1251 - 1);
    assert_null(cafe__html_detect_result(&d));
    assert_null(d.ud);
    cafe__html_detect_close(&d);
}

static void test_hint_parsing(void **state) {
    (void)state;
    static const struct {
        const char *url, *tld;
    } cases[] = {
        {"https://user:pw@www.Example.RU:8080/x?y#z", "ru"},
        {"http://example.jp./", "jp"},
        {"example.co.uk", "uk"},
        {"http://127.0.0.1:8080/", ""},
        {"http://[::1]:80/", ""},
        {"http://localhost/", ""},
        {"http://a.averyveryverylongname/", ""},
        {"", ""},
        {NULL, ""},
    };
    cafe__html_detect_t d;
    cafe__html_detect_init(&d);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cafe__html_detect_hint(&d, cases[i].url);
        assert_string_equal(d.tld, cases[i].tld);
    }
    cafe__html_detect_close(&d);
}

/* A title in the body waits for frameset-ok to go (a <frameset> could still remove it), one in
 * a table for the table to end (a later one foster-parented before it would come first), but
 * not past the end of the page or a <plaintext>: there it is detected as any other. Such a
 * page kept windows-1252 ("<div><title>Ж</title>" gave "Ð–"). */
static void test_body_title_detected_at_end(void **state) {
    (void)state;
    static const char *const bodies[] = {
        "<div><title>\xd0\x96</title>",
        "<div><title>\xd0\x96</title><!-- -->",
        "<math><mi><title>\xd0\x96</title></mi></math>",
        "<div><title>\xd0\x96",
        "<table><caption><title>\xd0\x96</title>", /* a later one could come first */
        "<b><math><mi><title>\xd0\x96</title><plaintext><meta charset=koi8-r>",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        title_check(bodies[i], bodies[i], strlen(bodies[i]), NULL, "Ж", strlen("Ж"), "UTF-8");
}

static void test_utf8_check(void **state) {
    (void)state;
    assert_true(cafe__html_detect_utf8((const unsigned char *)"abc", 3, 0));
    assert_true(cafe__html_detect_utf8((const unsigned char *)"\xc3\xa9\xe6\x97", 4, 1)); /* cut */
    assert_false(cafe__html_detect_utf8((const unsigned char *)"\xc3\xa9\xe6\x97", 4, 0));
    assert_false(cafe__html_detect_utf8((const unsigned char *)"\xe9t", 2, 1));
    assert_false(cafe__html_detect_utf8((const unsigned char *)"\xc0\x80", 2, 1)); /* overlong */
    assert_false(
        cafe__html_detect_utf8((const unsigned char *)"\xed\xa0\x80", 3, 1)); /* surrogate */
    assert_false(cafe__html_detect_utf8((const unsigned char *)"\xf4\x90\x80\x80", 4, 1));
}

static void test_source_names(void **state) {
    (void)state;
    assert_string_equal(cafe_charset_source_name(CAFE_CHARSET_DEFAULT), "default");
    assert_string_equal(cafe_charset_source_name(CAFE_CHARSET_BOM), "bom");
    assert_string_equal(cafe_charset_source_name(CAFE_CHARSET_HEADER), "header");
    assert_string_equal(cafe_charset_source_name(CAFE_CHARSET_META), "meta");
    assert_string_equal(cafe_charset_source_name(CAFE_CHARSET_DETECTED), "detected");
    assert_string_equal(cafe_charset_source_name((cafe_charset_source_t)99), "default");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_every_split),
        cmocka_unit_test(test_corpus_accuracy),
        cmocka_unit_test(test_declared),
        cmocka_unit_test(test_detection_off),
        cmocka_unit_test(test_ascii_title_not_detected),
        cmocka_unit_test(test_ascii_title_over_legacy_head),
        cmocka_unit_test(test_untitled_page_named),
        cmocka_unit_test(test_title_after_script),
        cmocka_unit_test(test_koi8_is_koi8u),
        cmocka_unit_test(test_short_latin_is_windows1252),
        cmocka_unit_test(test_short_baltic_under_generic),
        cmocka_unit_test(test_latin_under_other_script_domain),
        cmocka_unit_test(test_short_title_reads_as_text),
        cmocka_unit_test(test_no_answer_reads_as_text),
        cmocka_unit_test(test_utf8_answer_not_utf8),
        cmocka_unit_test(test_iso8859_c1_is_windows),
        cmocka_unit_test(test_romanian_reads_cedillas),
        cmocka_unit_test(test_arabic_is_windows1256),
        cmocka_unit_test(test_gb18030_answer_is_gbk),
        cmocka_unit_test(test_iso8859_13_is_windows1257),
        cmocka_unit_test(test_greek_without_domain_is_windows1253),
        cmocka_unit_test(test_mac_cyrillic_is_windows1251),
        cmocka_unit_test(test_title_over_quoted_english),
        cmocka_unit_test(test_short_multibyte_reads_as_text),
        cmocka_unit_test(test_short_cjk_under_generic),
        cmocka_unit_test(test_read_on_is_bounded),
        cmocka_unit_test(test_evidence_of_a_cut_meta_is_split_alike),
        cmocka_unit_test(test_binary_garbage),
        cmocka_unit_test(test_valid_in_several),
        cmocka_unit_test(test_utf16_without_bom),
        cmocka_unit_test(test_utf16_without_bom_untitled),
        cmocka_unit_test(test_hint_parsing),
        cmocka_unit_test(test_body_title_detected_at_end),
        cmocka_unit_test(test_utf8_check),
        cmocka_unit_test(test_source_names),
        cmocka_unit_test(test_uchardet_on_demand),
        cmocka_unit_test(test_hungarian_is_windows1250),
        cmocka_unit_test(test_polish_iso_is_iso),
        cmocka_unit_test(test_kana_is_japanese),
        cmocka_unit_test(test_script_under_latin_domain),
        cmocka_unit_test(test_nul_interleaved_title),
        cmocka_unit_test(test_long_latin_under_other_script_domain),
        cmocka_unit_test(test_punctuation_under_other_script_domain),
        cmocka_unit_test(test_domain_reading_without_letters),
        cmocka_unit_test(test_signs_read_alike_are_the_domains),
        cmocka_unit_test(test_hong_kong_reads_gbk),
    };
    return cmocka_run_group_tests(tests, load_corpus, free_corpus);
}
