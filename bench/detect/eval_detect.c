/* Compares encoding detectors on the detection corpus (tests/html/gen_detect_corpus.py):
 * uchardet and ICU's ucsdet, each alone, after the UTF-8 check, and with the top-level domain
 * as a hint where they give no answer; with the evidence cafe has at the title's end and with
 * the whole page (cafe reads on, up to 64 KiB, when the title needs it). A page counts as
 * right when cafe, given the detector's answer as its charset, yields the title it yields
 * with the page's true encoding: the answer goes through the WHATWG label table as a
 * server's would, and the detector is not blamed for a decoder's faults.
 *
 * Usage: eval_detect CORPUS_DIR [ICU_MIN_CONFIDENCE]   (prints a markdown table; see
 * bench/detect/run.sh) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uchardet/uchardet.h>
#include <unicode/ucsdet.h>

#include "cafe.h"

enum { SHAPES = 5, MAXENC = 24, MAXPAGE = 1 << 16 };
static const char *const shape_names[SHAPES] = {"title", "sentence", "long", "head", "short"};

typedef struct page {
    char file[128], enc[32], shape[16], tld[8], title[512];
    unsigned char *data;
    size_t len;
} page_t;

/* ---- detectors: each returns a label (or NULL: no answer) for the bytes given ---------- */

/* Detector names that are not WHATWG labels but name one; detector answers that would make
 * the page unreadable (the replacement encoding, UTF-32) are no answer. */
static const char *whatwg_label(const char *name) {
    static const char *const alias[][2] = {{"MAC-CYRILLIC", "x-mac-cyrillic"},
                                           {"TIS-620", "windows-874"},
                                           {"ASCII", NULL},
                                           {"UHC", "EUC-KR"},
                                           {"HZ-GB-2312", NULL},
                                           {"ISO-2022-KR", NULL},
                                           {"ISO-2022-CN", NULL},
                                           {"UTF-32BE", NULL},
                                           {"UTF-32LE", NULL}};
    if (!name || !*name)
        return NULL;
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcasecmp(name, alias[i][0]) == 0)
            return alias[i][1];
    return name;
}

static const char *run_uchardet(const unsigned char *p, size_t n, int *confident) {
    static char out[64];
    uchardet_t u = uchardet_new();
    uchardet_handle_data(u, (const char *)p, n);
    uchardet_data_end(u);
    snprintf(out, sizeof out, "%s", uchardet_get_charset(u));
    uchardet_delete(u);
    *confident = out[0] != 0;
    return whatwg_label(out);
}

/* Below this confidence ICU is "unsure" and the TLD decides (70: its best on the corpus). */
static int icu_threshold = 70;

static const char *run_icu(const unsigned char *p, size_t n, int *confident) {
    static char out[64];
    UErrorCode st = U_ZERO_ERROR;
    UCharsetDetector *d = ucsdet_open(&st);
    ucsdet_enableInputFilter(d, 1);
    ucsdet_setText(d, (const char *)p, (int32_t)n, &st);
    const UCharsetMatch *m = ucsdet_detect(d, &st);
    out[0] = 0;
    *confident = 0;
    if (U_SUCCESS(st) && m) {
        snprintf(out, sizeof out, "%s", ucsdet_getName(m, &st));
        *confident = ucsdet_getConfidence(m, &st) >= icu_threshold;
    }
    ucsdet_close(d);
    return whatwg_label(out);
}

/* Non-ASCII bytes that all form valid UTF-8 (an incomplete sequence at the very end too). */
static int utf8_evidence(const unsigned char *p, size_t n) {
    int high = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        high = 1;
        size_t need = c >= 0xC2 && c <= 0xDF   ? 1
                      : c >= 0xE0 && c <= 0xEF ? 2
                      : c >= 0xF0 && c <= 0xF4 ? 3
                                               : 9;
        if (need == 9)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n)
                return high;
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
        }
        i += need + 1;
    }
    return high;
}

/* The encodings pages under a top-level domain use (first: the usual one). */
static const char *const *tld_family(const char *tld) {
    static const char *const fam[][6] = {
        {"ru", "windows-1251", "KOI8-R", "IBM866", "x-mac-cyrillic", NULL},
        {"jp", "Shift_JIS", "EUC-JP", NULL},
        {"cn", "GBK", "gb18030", NULL},
        {"tw", "Big5", NULL},
        {"kr", "EUC-KR", NULL},
        {"cz", "windows-1250", "ISO-8859-2", NULL},
        {"pl", "ISO-8859-2", "windows-1250", NULL},
        {"gr", "ISO-8859-7", "windows-1253", NULL},
        {"tr", "windows-1254", NULL},
        {"il", "windows-1255", "ISO-8859-8", "ISO-8859-8-I", NULL},
        {"eg", "windows-1256", "ISO-8859-6", NULL},
        {"th", "windows-874", NULL},
        {"de", "windows-1252", NULL},
        {"fr", "windows-1252", NULL}};
    for (size_t i = 0; i < sizeof fam / sizeof fam[0]; i++)
        if (strcmp(tld, fam[i][0]) == 0)
            return &fam[i][1];
    return NULL;
}

/* The TLD hint: with little evidence, an answer outside the TLD's family gives way to the
 * family's usual encoding. */
static const char *tld_hint(const char *label, const char *tld) {
    const char *const *f = tld_family(tld);
    if (!f)
        return label;
    char *title = NULL, *e1 = NULL;
    const char *name = NULL;
    /* compare WHATWG names: run the label through cafe */
    if (label && cafe_title_extract("", 0, label, &title, &name) >= 0) {
        for (; *f; f++)
            if (strcasecmp(*f, name) == 0)
                return label;
    }
    free(title), free(e1);
    return tld_family(tld)[0];
}

static size_t high_bytes(const unsigned char *p, size_t n) {
    size_t h = 0;
    for (size_t i = 0; i < n; i++)
        h += p[i] >= 0x80;
    return h;
}

/* ---- contenders ------------------------------------------------------------------------ */

typedef struct contender {
    const char *name;
    int utf8_first, tld, whole, lib; /* lib: 0 none, 1 uchardet, 2 ICU, 3 cafe as built,
                                        4 no detector;
                                        tld: 1 where no answer, 2 family check under 64 */
} contender_t;

static const contender_t contenders[] = {
    {"cafe before (windows-1252)", 0, 0, 0, 0},
    {"uchardet, to title end", 0, 0, 0, 1},
    {"uchardet, whole page", 0, 0, 1, 1},
    {"ICU, to title end", 0, 0, 0, 2},
    {"ICU, whole page", 0, 0, 1, 2},
    {"UTF-8 check + uchardet, whole", 1, 0, 1, 1},
    {"UTF-8 check + ICU, whole", 1, 0, 1, 2},
    {"UTF-8 check + TLD's usual encoding, no detector", 1, 1, 1, 4},
    {"UTF-8 check + ICU, TLD where unsure, whole", 1, 1, 1, 2},
    {"UTF-8 check + uchardet + TLD family under 64 high bytes, whole", 1, 2, 1, 1},
    {"cafe as built, no URL", 0, 0, 1, 3},
    {"cafe as built, URL given", 0, 2, 1, 3},
};
enum { NC = sizeof contenders / sizeof contenders[0] };

static size_t title_end(const page_t *pg) {
    const unsigned char *e = memmem(pg->data, pg->len, "</title>", 8);
    return e ? (size_t)(e - pg->data) + 8 : pg->len;
}

/* The extractor itself, given the page's URL (for the hint) or not. */
static char *cafe_title_of(const page_t *pg, const char *charset, int url) {
    cafe_title_t *t;
    char u[64];
    if (cafe_title_create(&t, charset) != 0)
        exit(1);
    snprintf(u, sizeof u, "http://www.example.%s/", pg->tld);
    if (url)
        cafe_title_set_url(t, u);
    cafe_title_feed(t, pg->data, pg->len);
    char *s = cafe_title_finish(t) == 1 ? strdup(cafe_title_text(t, NULL)) : NULL;
    cafe_title_free(t);
    return s;
}

static int right(const page_t *pg, const contender_t *c) {
    size_t n = c->whole ? pg->len : title_end(pg);
    const char *label = NULL;
    int confident = 0;
    if (c->lib == 3)
        label = NULL; /* the extractor's own detection */
    else if (c->utf8_first && utf8_evidence(pg->data, n))
        label = "UTF-8", confident = 1;
    else if (c->lib == 1)
        label = run_uchardet(pg->data, n, &confident);
    else if (c->lib == 2)
        label = run_icu(pg->data, n, &confident);
    int utf8 = c->utf8_first && utf8_evidence(pg->data, n);
    if (c->tld == 1 && (!label || !confident) && tld_family(pg->tld))
        label = tld_family(pg->tld)[0];
    if (c->tld == 2 && c->lib != 3 && !utf8 && high_bytes(pg->data, n) < 64)
        label = tld_hint(label, pg->tld);
    if (c->lib == 0)
        label = "windows-1252";
    char *title = cafe_title_of(pg, label, c->lib == 3 && c->tld);
    char *want = cafe_title_of(pg, pg->enc, 0);
    int ok = title && want && strcmp(title, want) == 0;
    free(title);
    free(want);
    return ok;
}

/* ---- corpus and table ---------------------------------------------------------------- */

static page_t *load(const char *dir, size_t *count) {
    char path[1024];
    snprintf(path, sizeof path, "%s/index.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    page_t *pages = calloc(1024, sizeof *pages);
    char line[2048];
    size_t n = 0;
    while (n < 1024 && pages && fgets(line, sizeof line, f)) {
        page_t *pg = &pages[n];
        line[strcspn(line, "\n")] = 0;
        if (sscanf(line, "%127[^\t]\t%31[^\t]\t%15[^\t]\t%7[^\t]\t%511[^\n]", pg->file, pg->enc,
                   pg->shape, pg->tld, pg->title) != 5)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, pg->file);
        FILE *pf = fopen(path, "rb");
        pg->data = malloc(MAXPAGE);
        if (!pf || !pg->data)
            exit(1);
        pg->len = fread(pg->data, 1, MAXPAGE, pf);
        fclose(pf);
        n++;
    }
    fclose(f);
    *count = n;
    return pages;
}

static int shape_of(const char *s) {
    for (int i = 0; i < SHAPES; i++)
        if (strcmp(s, shape_names[i]) == 0)
            return i;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: eval_detect CORPUS_DIR [ICU_MIN_CONFIDENCE]\n");
        return 2;
    }
    if (argc > 2)
        icu_threshold = atoi(argv[2]);
    size_t n;
    page_t *pages = load(argv[1], &n);
    char encs[MAXENC][32];
    int nenc = 0, per[MAXENC][NC][SHAPES] = {{{0}}}, of[MAXENC][SHAPES] = {{0}};
    int shape_total[NC][SHAPES] = {{0}}, shape_of_n[SHAPES] = {0};
    for (size_t i = 0; i < n; i++) {
        int e = 0;
        while (e < nenc && strcmp(encs[e], pages[i].enc) != 0)
            e++;
        if (e == nenc && nenc < MAXENC)
            snprintf(encs[nenc++], 32, "%s", pages[i].enc);
        int s = shape_of(pages[i].shape);
        of[e][s]++, shape_of_n[s]++;
        for (int c = 0; c < NC; c++) {
            int ok = right(&pages[i], &contenders[c]);
            per[e][c][s] += ok, shape_total[c][s] += ok;
        }
    }
    printf("Right titles per encoding; each cell: title / sentence / long / head / short shapes "
           "(of %d "
           "pages each)\n\n| encoding |",
           of[0][0]);
    for (int c = 0; c < NC; c++)
        printf(" %s |", contenders[c].name);
    printf("\n|---|");
    for (int c = 0; c < NC; c++)
        printf("---|");
    printf("\n");
    for (int e = 0; e < nenc; e++) {
        printf("| %s |", encs[e]);
        for (int c = 0; c < NC; c++)
            printf(" %d %d %d %d %d |", per[e][c][0], per[e][c][1], per[e][c][2], per[e][c][3],
                   per[e][c][4]);
        printf("\n");
    }
    printf("| **all (of %zu)** |", n);
    for (int c = 0; c < NC; c++) {
        int t = 0;
        for (int s = 0; s < SHAPES; s++)
            t += shape_total[c][s];
        printf(" **%d** (%d %d %d %d %d) |", t, shape_total[c][0], shape_total[c][1],
               shape_total[c][2], shape_total[c][3], shape_total[c][4]);
    }
    printf("\n");
    return 0;
}
