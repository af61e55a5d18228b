/* Encoding detection for undeclared pages: the UTF-8 check, then uchardet (see detect.h). */
#include <stdlib.h>
#include <string.h>

#include "html/hot.h"
#include "common/ascii.h"
#include "html/detect.h"
#include "html/plausible.h"

void cafe__html_detect_init(cafe__html_detect_t *d) {
    d->lib = (cafe__uchardet_lib_t){0};
    d->ud = NULL;
    d->buf = NULL;
    d->cap = 0;
    cafe__html_detect_reset(d);
}

CAFE__HOT void cafe__html_detect_reset(cafe__html_detect_t *d) {
    if (d->ud)
        d->lib.reset(d->ud);
    cafe__html_detect_forget(d);
    d->tld[0] = 0;
}

void cafe__html_detect_forget(cafe__html_detect_t *d) {
    d->fed = d->high = 0;
}

void cafe__html_detect_hint(cafe__html_detect_t *d, const char *url) {
    d->tld[0] = 0;
    if (!url)
        return;
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t n = strcspn(host, "/?#");
    const char *at = memchr(host, '@', n);
    if (at)
        n -= (size_t)(at + 1 - host), host = at + 1;
    if (n > 0 && host[0] == '[')
        return; /* an IPv6 address */
    n = strcspn(host, ":/?#");
    while (n > 0 && host[n - 1] == '.')
        n--;
    size_t dot = n;
    while (dot > 0 && host[dot - 1] != '.')
        dot--;
    if (dot == 0 || n - dot >= sizeof d->tld || strspn(host + dot, "0123456789") == n - dot)
        return; /* no dot, too long for a TLD we know, or an IPv4 address */
    for (size_t i = dot; i < n; i++)
        d->tld[i - dot] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
    d->tld[n - dot] = 0;
}

int cafe__html_detect_utf8(const unsigned char *p, size_t n, int cut_ok) {
    return cafe__html_utf8_scan(p, n, cut_ok);
}

/* The evidence up to the cap: n bytes, or fewer where the non-ASCII ones reach ENOUGH. */
static size_t under_cap(cafe__html_detect_t *d, const unsigned char *p, size_t n) {
    if (n > CAFE__DETECT_MAX - d->fed)
        n = CAFE__DETECT_MAX - d->fed;
    size_t i = 0;
    for (; i < n && d->high < CAFE__DETECT_ENOUGH; i++)
        if (p[i] >= 0x80)
            d->at[d->high++] = (unsigned)(d->fed + i);
    return i;
}

/* Room for n more bytes of evidence: the buffer grows by doubling, up to the cap. */
static int room(cafe__html_detect_t *d, size_t n) {
    if (d->fed + n <= d->cap)
        return 1;
    size_t cap = d->cap ? d->cap : 4096;
    while (cap < d->fed + n)
        cap *= 2;
    if (cap > CAFE__DETECT_MAX)
        cap = CAFE__DETECT_MAX;
    unsigned char *b = realloc(d->buf, cap);
    if (!b)
        return 0;
    d->buf = b, d->cap = cap;
    return 1;
}

void cafe__html_detect_feed(cafe__html_detect_t *d, const unsigned char *p, size_t n) {
    size_t high = d->high;
    n = under_cap(d, p, n);
    if (n == 0)
        return;
    if (!room(d, n)) {
        d->high = high; /* out of memory: this evidence is lost, that is all */
        return;
    }
    memcpy(d->buf + d->fed, p, n);
    d->fed += n;
}

int cafe__html_detect_enough(const cafe__html_detect_t *d) {
    return d->high >= CAFE__DETECT_ENOUGH || d->fed >= CAFE__DETECT_MAX;
}

/* uchardet's name as a WHATWG label: most are labels already ("WINDOWS-1251", "SHIFT_JIS",
 * "TIS-620"...); these name a WHATWG encoding under another name. GB18030 is GBK, whose
 * decoder is gb18030's (the standard's GBK decoder is the gb18030 one): the text is the
 * same, and GBK is the name both browsers' detectors give (document.characterSet "GBK"). KOI8-R is
 * read as KOI8-U: uchardet has no KOI8-U model and says KOI8-R for Ukrainian too, whose і, ї, є and
 * ґ KOI8-R reads as box drawing; Russian text reads the same in both (as chardetng, which answers
 * KOI8-U for either). */
static const char *as_label(const char *name) {
    /* MAC-CYRILLIC is windows-1251, as browsers read such text: neither detects
     * x-mac-cyrillic (chardetng has no model for it, compact_enc_det does not answer it), and
     * uchardet names it for windows-1251 titles too ("Форум • Общение" read as "‘орум Х
     * ќбщение"); the two read а-я alike. */
    static const char *const alias[][2] = {{"UHC", "EUC-KR"},
                                           {"MAC-CYRILLIC", "windows-1251"},
                                           {"KOI8-R", "KOI8-U"},
                                           {"GB18030", "GBK"}};
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (ascii_casecmp(name, alias[i][0]) == 0)
            return alias[i][1];
    return name;
}

static const cafe__html_encoding_t *from_label(const char *label) {
    return cafe__html_encoding_get(label, strlen(label));
}

/* uchardet sees the evidence in one call: its answer depends on how data is split between
 * calls (word boundaries at a call's edges), and must not depend on the page's chunks. */
static const cafe__html_encoding_t *uchardet_answer(cafe__html_detect_t *d) {
    if (!d->ud && cafe__uchardet_open(&d->lib) == 0)
        d->ud = d->lib.create();
    if (!d->ud || d->lib.handle_data(d->ud, (const char *)d->buf, d->fed) != 0)
        return NULL; /* no uchardet, or out of memory: no answer, windows-1252 stays */
    d->lib.data_end(d->ud);
    const char *name = d->lib.get_charset(d->ud);
    const cafe__html_encoding_t *e = name && *name ? from_label(as_label(name)) : NULL;
    if (!e || e->kind == CAFE__ENC_WIDE || e->kind == CAFE__ENC_REPLACEMENT ||
        e->kind == CAFE__ENC_USER)
        return NULL;
    return e;
}

/* An ISO-8859 answer that reads a byte of the evidence as a C1 control is the Windows code
 * page that extends it in 0x80-0x9F, where that one maps every byte of the evidence: quotes „“ and
 * dashes in windows-1257 Lithuanian or Latvian made uchardet's ISO-8859-13 show "\x84Nativo\x93"
 * however much text it saw, as browsers do not (a C1 control is never text). */
static const cafe__html_encoding_t *without_c1(const cafe__html_detect_t *d,
                                               const cafe__html_encoding_t *e) {
    static const char *const twins[][2] = {
        {"ISO-8859-2", "windows-1250"},  {"ISO-8859-4", "windows-1257"},
        {"ISO-8859-13", "windows-1257"}, {"ISO-8859-7", "windows-1253"},
        {"ISO-8859-8", "windows-1255"},  {"ISO-8859-15", "windows-1252"}};
    if (!e || e->kind != CAFE__ENC_SINGLE || strncmp(e->name, "ISO-8859-", 9) != 0)
        return e;
    size_t k = 0;
    while (k < d->high && (d->buf[d->at[k]] >= 0xA0 || e->table[d->buf[d->at[k]] - 0x80] >= 0xA0))
        k++;
    if (k == d->high)
        return e; /* no C1 control */
    for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++) {
        if (strcmp(e->name, twins[i][0]) != 0)
            continue;
        const cafe__html_encoding_t *w = from_label(twins[i][1]);
        for (k = 0; w && k < d->high; k++)
            if (w->table[d->buf[d->at[k]] - 0x80] < 0xA0)
                return e;
        return w ? w : e;
    }
    return e;
}

/* GB2312's rows 4 and 5 are the kana at the bytes EUC-JP has them (0xA4A1-0xA4F3,
 * 0xA5A1-0xA5F6), and its level-1 hanzi sit where EUC-JP's level-1 kanji do: on its 64
 * non-ASCII bytes uchardet named GB18030 for EUC-JP text dense in kanji ("トップ" over
 * "市立図書館では、一般書や児童書のほか"), which both browsers read as EUC-JP. Chinese text
 * hardly ever holds kana: a GBK answer whose reading is kana for one character in eight or
 * more (two at least), and which EUC-JP decodes without an error, is EUC-JP. */
static const cafe__html_encoding_t *kana_japanese(const cafe__html_detect_t *d,
                                                  const cafe__html_encoding_t *e) {
    if (!e || d->high == 0 || strcmp(e->name, "GBK") != 0)
        return e;
    size_t chars = 0, kana = 0, from = d->at[0];
    for (size_t i = from; i + 1 < d->fed; i++) {
        if (d->buf[i] < 0x80)
            continue;
        chars++;
        kana += (d->buf[i] == 0xA4 || d->buf[i] == 0xA5) && d->buf[i + 1] >= 0xA1 &&
                d->buf[i + 1] <= 0xF6;
        i++; /* the trail byte */
    }
    const cafe__html_encoding_t *j = from_label("EUC-JP");
    if (kana < 2 || kana * 8 < chars || !j ||
        !cafe__html_plausible_multi(j, d->buf + from, d->fed - from))
        return e;
    return j;
}

/* uchardet names ISO-8859-16 for Romanian, which no browser detects: Firefox's chardetng
 * reads it as windows-1250, Chromium's compact_enc_det as windows-1250 or ISO-8859-2, and
 * both show ş ţ (cedilla) where ISO-8859-16 has ș ț (comma below), at the same bytes (0xAA,
 * 0xBA, 0xDE, 0xFE); its ă â î read alike. An ISO-8859-16 answer whose evidence windows-1250
 * reads alike but for those four, and maps in 0x80-0x9F, is windows-1250: "Contact şi
 * întrebări", not "Contact și întrebări". Other ISO-8859-16 text (Polish letters where
 * windows-1250 has others, the euro sign) keeps its answer. */
static const cafe__html_encoding_t *with_cedillas(const cafe__html_detect_t *d,
                                                  const cafe__html_encoding_t *e) {
    if (!e || e->kind != CAFE__ENC_SINGLE || strcmp(e->name, "ISO-8859-16") != 0)
        return e;
    const cafe__html_encoding_t *w = from_label("windows-1250");
    for (size_t k = 0; w && k < d->high; k++) {
        unsigned c = d->buf[d->at[k]];
        if (c < 0xA0 ? w->table[c - 0x80] < 0xA0
                     : e->table[c - 0x80] != w->table[c - 0x80] && (c & 0xEF) != 0xAA &&
                           (c & 0xDF) != 0xDE)
            return e;
    }
    return w ? w : e;
}

/* uchardet names windows-1250 for Polish text in ISO-8859-2 however much of it it sees: on
 * a page of it, whose ą, ś, ź windows-1250 reads as ±, ¶, ź ("m±ki"), both browsers name
 * ISO-8859-2. Where the title has none of those letters ("Zażółć": ż ó ł ć are the same bytes
 * in both) the first run's check (first_run) does not catch it, and the page was windows-1250
 * with the right title. A windows-1250 answer whose reading of the evidence is not plausible
 * text, where ISO-8859-2's is, is ISO-8859-2. */
static const cafe__html_encoding_t *central_iso(const cafe__html_detect_t *d,
                                                const cafe__html_encoding_t *e) {
    if (!e || e->kind != CAFE__ENC_SINGLE || strcmp(e->name, "windows-1250") != 0)
        return e;
    const cafe__html_encoding_t *iso = from_label("ISO-8859-2");
    if (!iso || cafe__html_plausible(e, d->buf, d->fed, d->at, d->high) ||
        !cafe__html_plausible(iso, d->buf, d->fed, d->at, d->high))
        return e;
    return iso;
}

/* uchardet names ISO-8859-6 for some Arabic titles that windows-1256 reads as Arabic too, and
 * both browsers read them in windows-1256, the encoding nearly all Arabic pages use: "اتصل
 * بنا" (C7 CA D5 E1 20 C8 E4 C7) was ISO-8859-6's "اتصف بلا", under .eg as under .com.
 * An ISO-8859-6 answer is windows-1256 where windows-1256 reads every non-ASCII byte of the
 * evidence as an Arabic character or as ISO-8859-6 does; ISO-8859-6 text with its ه و ى ي
 * (0xE7-0xEA: ç è é ê in windows-1256) keeps its answer, as "الرئيسية" does in Firefox. */
static const cafe__html_encoding_t *arabic_windows(const cafe__html_detect_t *d,
                                                   const cafe__html_encoding_t *e) {
    if (!e || e->kind != CAFE__ENC_SINGLE || strcmp(e->name, "ISO-8859-6") != 0)
        return e;
    const cafe__html_encoding_t *w = from_label("windows-1256");
    for (size_t k = 0; w && k < d->high; k++) {
        unsigned c = d->buf[d->at[k]] - 0x80u, u = w->table[c];
        if ((u < 0x600 || u > 0x6FF) && u != e->table[c])
            return e;
    }
    return w ? w : e;
}

/* A single-byte answer that decodes every byte of the evidence as windows-1252 does shows
 * the page exactly as the default would: windows-1252 stays, as it does in a browser. With
 * little evidence uchardet picks among such encodings almost at random ("Caf\xe9" reads the
 * same in ISO-8859-1, -2, -15 and windows-1250), and the charset reported must not flap. */
static int as_default(const cafe__html_detect_t *d, const cafe__html_encoding_t *e) {
    const uint16_t *def = cafe__html_enc_windows1252.table;
    if (!e || e->kind != CAFE__ENC_SINGLE)
        return 0;
    for (size_t i = 0; i < d->fed; i++)
        if (d->buf[i] >= 0x80 && e->table[d->buf[i] - 0x80] != def[d->buf[i] - 0x80])
            return 0;
    return 1;
}

static const cafe__html_encoding_t *unless_as_default(const cafe__html_detect_t *d,
                                                      const cafe__html_encoding_t *e) {
    return as_default(d, e) ? &cafe__html_enc_windows1252 : e;
}

/* Top-level domains and the legacy encodings their pages use, the usual one first (the
 * country's Windows code page, else its ISO one). Western European domains are
 * windows-1252's. The Cyrillic and Arabic lists are the domains both browsers read so (.su,
 * .kg, .tj, .tm, .uz, .md, .mn; .kw, .lb, .ly, .om, .qa, .sd, .sy, .ye, .bh, .ps, .mr, .af:
 * tests/browser/undeclared_pages.py); not .pk (Chromium: as .com) nor the internationalized
 * ones (.рф is xn--p1ai: Firefox reads it as .ru, Chromium as no domain it knows). Hong
 * Kong's pages are Big5 or GBK to both ("新闻中心" in GBK, which Big5 decodes too, is GBK under
 * .hk, Big5's "陔恓笢陑" under .tw). */
static const char *const families[][5] = {
    {"ru su by kz kg tj tm uz md mn", "windows-1251", "KOI8-U", "IBM866", NULL},
    {"ua", "windows-1251", "KOI8-U", "IBM866", NULL},
    {"bg mk rs", "windows-1251", "ISO-8859-5", NULL},
    {"jp", "Shift_JIS", "EUC-JP", NULL},
    {"cn", "GBK", "gb18030", NULL},
    {"tw mo", "Big5", NULL},
    {"hk", "Big5", "GBK", NULL},
    {"kr", "EUC-KR", NULL},
    {"cz sk si hr", "windows-1250", "ISO-8859-2", NULL},
    {"hu", "ISO-8859-2", "windows-1250", NULL},
    {"pl ro", "ISO-8859-2", "windows-1250", NULL},
    {"gr cy", "ISO-8859-7", "windows-1253", NULL},
    {"tr", "windows-1254", NULL},
    {"il", "windows-1255", "ISO-8859-8", "ISO-8859-8-I", NULL},
    {"eg sa ae iq jo ma dz tn ir kw lb ly om qa sd sy ye bh ps mr af", "windows-1256", "ISO-8859-6",
     NULL},
    {"th", "windows-874", NULL},
    {"vn", "windows-1258", NULL},
    {"lt lv ee", "windows-1257", "ISO-8859-13", "ISO-8859-4", NULL},
    {"de at ch fr be nl lu dk se no fi is ie es pt it br mx ar cl co pe", "windows-1252", NULL},
};

/* The family of the hint's domain, or NULL. */
static const char *const *family(const cafe__html_detect_t *d) {
    size_t n = strlen(d->tld);
    for (size_t i = 0; n > 0 && i < sizeof families / sizeof families[0]; i++) {
        for (const char *p = families[i][0]; (p = strstr(p, d->tld)) != NULL; p += n) {
            if ((p == families[i][0] || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
                return &families[i][1];
        }
    }
    return NULL;
}

/* Whether e reads the (thin) evidence plausibly. A multi-byte decoder reads ASCII as ASCII
 * from its initial state: it is given the bytes from the first non-ASCII one to just past
 * the last (a trail byte may be ASCII). */
static int plausible(const cafe__html_detect_t *d, const cafe__html_encoding_t *e) {
    if (e->kind == CAFE__ENC_MULTI) {
        size_t from = d->at[0], to = d->at[d->high - 1] + 2;
        return cafe__html_plausible_multi(e, d->buf + from, (to < d->fed ? to : d->fed) - from);
    }
    return e->kind == CAFE__ENC_SINGLE && cafe__html_plausible(e, d->buf, d->fed, d->at, d->high);
}

/* The Latin encodings rare_latin leaves out: Czech "Česká" under .ru, .gr or .il (uchardet:
 * windows-1250) is windows-1252's "Èeská" to both browsers, not windows-1251's "Иeskб". */
static int central_latin(const cafe__html_encoding_t *e) {
    return e && (strcmp(e->name, "windows-1250") == 0 || strcmp(e->name, "ISO-8859-2") == 0 ||
                 strcmp(e->name, "windows-1254") == 0);
}

/* Whether a domain's encoding e may read the (thin) evidence: plausibly, or for a multi-byte
 * one without a decoding error (under .jp one byte that Shift_JIS reads as a half-width
 * katakana, "\xa9" or "\xdf", is Shift_JIS to both browsers). */
static int domain_reads(const cafe__html_detect_t *d, const cafe__html_encoding_t *e) {
    if (e->kind != CAFE__ENC_MULTI)
        return plausible(d, e);
    size_t from = d->at[0], to = d->at[d->high - 1] + 2;
    return cafe__html_decodes_multi(e, d->buf + from, (to < d->fed ? to : d->fed) - from);
}

/* Latin encodings of few languages (Nordic, Baltic, Maltese, Celtic, Vietnamese...), or
 * windows-1252's near twins: on a few bytes uchardet names them for Western text ("Año" as
 * ISO-8859-10's "Aņo", "São" as ISO-8859-13's), where Firefox's chardetng keeps windows-1252
 * unless the evidence is strong. The Central European, Turkish and non-Latin encodings are
 * not here: their pages are common enough under .com. */
static int rare_latin(const cafe__html_encoding_t *e) {
    static const char *const rare[] = {"ISO-8859-3",   "ISO-8859-4",  "ISO-8859-10", "ISO-8859-13",
                                       "ISO-8859-14",  "ISO-8859-15", "ISO-8859-16", "windows-1257",
                                       "windows-1258", "macintosh"};
    for (size_t i = 0; e && i < sizeof rare / sizeof rare[0]; i++)
        if (strcmp(e->name, rare[i]) == 0) /* by name: a label lookup walks the label table */
            return 1;
    return 0;
}

/* Whether e is an encoding of Latin text. */
static int latin_encoding(const cafe__html_encoding_t *e) {
    return e == &cafe__html_enc_windows1252 || central_latin(e) || rare_latin(e);
}

/* Whether family f is a Latin-script domain's: its usual encoding is Latin (.pl, .cz, .tr,
 * .lt, .de...). Not Vietnamese's windows-1258: under .vn, Latin text that it reads as
 * windows-1252 does ("Café à Paris", "Vyhledávání") is windows-1252 to both browsers, as under
 * a domain of another script. */
static int latin_domain(const char *const *f) {
    const cafe__html_encoding_t *e = from_label(f[0]);
    return latin_encoding(e) && strcmp(e->name, "windows-1258") != 0;
}

/* The domain's usual encoding: the first of family f that maps every byte of the evidence
 * to a character, not a C1 control (Shift_JIS "お知らせ" under .pl, whose 0x82 ISO-8859-2
 * reads as a control, is windows-1250's "‚¨’m‚ç‚ą" to both browsers), else its first. */
static const cafe__html_encoding_t *usual(const cafe__html_detect_t *d, const char *const *f) {
    for (size_t i = 0; i < 4 && f[i]; i++) {
        const cafe__html_encoding_t *c = from_label(f[i]);
        size_t k = 0;
        while (c && c->kind == CAFE__ENC_SINGLE && k < d->high &&
               c->table[d->buf[d->at[k]] - 0x80] >= 0xA0)
            k++;
        if (c && k == d->high)
            return c;
    }
    return from_label(f[0]);
}

/* Four non-ASCII bytes in a row: a word no Latin encoding reads as Latin text, whose words
 * hold ASCII letters ("Êîíòàêòû", windows-1251's "Контакты" read as windows-1252, is
 * plausible Welsh letter by letter). */
static int unlatin_run(const cafe__html_detect_t *d) {
    for (size_t k = 3; k < d->high; k++)
        if (d->at[k] == d->at[k - 3] + 3)
            return 1;
    return 0;
}

/* Under a Latin-script domain: the encoding of another script that reads the (thin)
 * evidence as text, uchardet's single-byte answer or else windows-1251 (uchardet names
 * ISO-8859-16 for "Контакты"), read as a word is written, where none of the domain's
 * encodings reads it as text, or where they do but a word of it has no ASCII letter
 * (family_reads); or NULL. A multi-byte answer is left to the domain. */
static const cafe__html_encoding_t *other_script(const cafe__html_detect_t *d,
                                                 const cafe__html_encoding_t *e, int family_reads) {
    const cafe__html_encoding_t *c = e && !latin_encoding(e) ? e : from_label("windows-1251");
    if (!c || c->kind != CAFE__ENC_SINGLE || (family_reads && !unlatin_run(d)) ||
        !plausible(d, c) || !cafe__html_cased_word(c, 1, d->buf, d->fed, d->at, d->high))
        return NULL;
    return c;
}

/* Whether e reads a non-ASCII byte of the evidence as a letter (a multi-byte encoding that
 * reads it plausibly reads characters). Under a domain, another of its encodings that reads
 * only punctuation or symbols is no better witness than a usual one that reads letters, which
 * both browsers keep: "Menü" under .ru is windows-1251's "Menь" to both, not IBM866's "Men№"
 * (where the usual one reads signs too, one that reads none as a C1 control is better:
 * "© 2024 ACME™" under .gr is windows-1253's, not ISO-8859-7's "ACME\x99"). */
static int reads_letter(const cafe__html_detect_t *d, const cafe__html_encoding_t *e) {
    return e->kind != CAFE__ENC_SINGLE || cafe__html_reads_letter(e, d->buf, d->at, d->high);
}

/* Whether windows-1252 reads every non-ASCII byte of the (thin) evidence as punctuation of
 * its 0x80-0x9F range (dashes, quotes, the ellipsis, the bullet, the dagger, ™, €): no letter
 * there (Š, Œ, Ž, š, œ, ž, Ÿ, ƒ are below U+02C6, the punctuation above it), so no sign of
 * Latin text. */
static int c1_punctuation(const cafe__html_detect_t *d) {
    for (size_t k = 0; k < d->high; k++) {
        unsigned c = d->buf[d->at[k]];
        if (c > 0x9F || cafe__html_enc_windows1252.table[c - 0x80] < 0x2C6)
            return 0;
    }
    return 1;
}

/* With little evidence, an answer outside the domain's family gives way to its usual one,
 * but where the script of the text is not the domain's and its reading tells so, as in both
 * browsers (Chromium and Firefox, top-level):
 * - under a domain of another script, Latin text that windows-1252 (the answer, none, or a
 *   rare Latin one) reads as letters where they may stand, of any languages, and none of the
 *   family's encodings reads as text ("Café Müller in Köln", "naïve résumé", "Straße" under
 *   .ru, .gr, .jp or .cn; Czech "zahranièních vìcí Èeské" under .ru) is windows-1252, where
 *   the hint made it windows-1251's "Cafй Mьller in Kцln" or GBK's "Caf? M黮ler", unless a
 *   word of it has four non-ASCII bytes in a row ("Вход" under .th is windows-874 to both,
 *   not windows-1252's "Âõîä"); text of
 *   another script stays the domain's however it reads there (Greek "Αρχική" under .su is
 *   windows-1251's "БсчйкЮ" to both); but windows-1252's punctuation alone (c1_punctuation:
 *   "News – Today", "Home • About", "Loading…" in windows-1252) is no Latin text: the
 *   domain's usual encoding stands, as in both, though a CJK one reads the byte as an error
 *   ("News � Today" under .jp, .cn and .kr; windows-1251 under .ru, where the title reads
 *   alike);
 * - under a Latin-script domain, a single-byte answer of another script that reads the
 *   evidence as text where none of the family's encodings may stands: Russian "Новости" and
 *   "Главная страница" in windows-1251 under .pl, .cz, .hu, .lt, .de and .tr, Arabic
 *   "الرئيسية" under .hu, .tr and .de, where the hint made them ISO-8859-2's "Íîâîńňč";
 *   there Latin text is the domain's however it reads (Turkish "İletişim" is windows-1250's
 *   "Ýletiţim" under .cz, ISO-8859-2 "Zażółć gęślą jaźń" windows-1257's "Zaæó³ę gź¶l± ja¼ń"
 *   under .lt), not windows-1252. Greek, Hebrew, Thai and KOI8-U under such domains are
 *   Firefox's reading (text), Chromium's is the domain's; CJK is left to the domain. */
static const cafe__html_encoding_t *hinted(const cafe__html_detect_t *d,
                                           const cafe__html_encoding_t *e) {
    const char *const *f = family(d);
    if (!f || d->high >= CAFE__DETECT_ENOUGH)
        return e;
    int family_reads = 0;
    for (size_t i = 0; i < 4 && f[i]; i++) {
        const cafe__html_encoding_t *c = from_label(f[i]);
        if (c == e)
            return e;
        family_reads |= c && d->ud && domain_reads(d, c);
    }
    const cafe__html_encoding_t *w = &cafe__html_enc_windows1252;
    if (latin_domain(f)) {
        const cafe__html_encoding_t *o = d->ud ? other_script(d, e, family_reads) : NULL;
        return o ? o : usual(d, f);
    }
    if (c1_punctuation(d))
        return usual(d, f);
    if (!family_reads && d->ud && (!e || e == w || rare_latin(e) || central_latin(e)) &&
        !unlatin_run(d) && cafe__html_plausible_letters(w, d->buf, d->fed, d->at, d->high))
        return e ? w : e;
    /* its reading is windows-1252's: Latin text (Turkish "ürünler için" under .eg, whose
     * windows-1256 has ü and ç: windows-1252 to both); signs alone read alike are the
     * domain's ("5 ± 1", "§ 12" under .ru and .il: windows-1251, windows-1255 to both) */
    if (e == w && as_default(d, from_label(f[0])) && reads_letter(d, w))
        return w;
    return from_label(f[0]);
}

/* ISO-8859-13 and windows-1257 read 0xA0-0xFF alike but for ISO-8859-13's four quotes (0xA1,
 * 0xA5, 0xB4, 0xFF), and both browsers name Baltic text windows-1257 ("Lietotāja vārds",
 * "Jaunākās ziņas" with no domain: document.characterSet windows-1257, where uchardet said
 * ISO-8859-13). ISO-8859-2 and windows-1250 read alike all of Hungarian's letters (and
 * most Czech, Slovak and Croatian ones: not š ž ť ś ź ą), and both browsers name Hungarian
 * text windows-1250 ("Időjárás-előrejelzés Budapestre" with no domain, where uchardet said
 * ISO-8859-2). An ISO answer whose evidence its Windows twin reads alike is that twin: the
 * title is the same, the charset reported is the browsers'. Not under a domain whose usual
 * encoding is the ISO one: under .pl and .hu both browsers keep ISO-8859-2. */
static const cafe__html_encoding_t *windows_twin(const cafe__html_detect_t *d,
                                                 const cafe__html_encoding_t *e) {
    static const char *const twins[][2] = {{"ISO-8859-13", "windows-1257"},
                                           {"ISO-8859-2", "windows-1250"}};
    const char *const *f = family(d);
    if (!e || e->kind != CAFE__ENC_SINGLE || (f && strcmp(f[0], e->name) == 0))
        return e;
    for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++) {
        if (strcmp(e->name, twins[i][0]) != 0)
            continue;
        const cafe__html_encoding_t *w = from_label(twins[i][1]);
        for (size_t k = 0; w && k < d->high; k++) {
            unsigned c = d->buf[d->at[k]] - 0x80u;
            if (w->table[c] != e->table[c])
                return e;
        }
        return w ? w : e;
    }
    return e;
}

/* Where the domain is not Greek's, Firefox names Greek windows-1253, and Chromium does too
 * on a page of text: the three long pages of the detect corpus with no domain were
 * ISO-8859-7 to cafe, windows-1253 to both, and so were pages of Greek under .il and .lt
 * (under .gr and .cy both say ISO-8859-7, as cafe does). An ISO-8859-7 answer whose evidence
 * windows-1253 reads alike (no Ά at 0xB6, no ISO-8859-7 quote or sign where windows-1253 has
 * another) is then windows-1253: the title is the same, the charset reported is the
 * browsers'. */
static const cafe__html_encoding_t *greek_windows(const cafe__html_detect_t *d,
                                                  const cafe__html_encoding_t *e) {
    const char *const *f = family(d);
    if (!e || e->kind != CAFE__ENC_SINGLE || strcmp(e->name, "ISO-8859-7") != 0 ||
        (f && strcmp(f[0], "ISO-8859-7") == 0))
        return e;
    const cafe__html_encoding_t *w = from_label("windows-1253");
    for (size_t k = 0; w && k < d->high; k++) {
        unsigned c = d->buf[d->at[k]] - 0x80u;
        if (w->table[c] != e->table[c])
            return e;
    }
    return w ? w : e;
}

/* With little evidence and no domain that names the page's encodings (.com, .org, no URL),
 * a rare Latin answer gives way to windows-1252 when windows-1252 reads the evidence as
 * plausible text, in one language's alphabet: Latin is windows-1252 unless the evidence is
 * strong, as in chardetng. It is strong enough when the answer reads plausibly and differs
 * from windows-1252 in LATIN_MIN letters or more that do not end a word: Latvian and
 * Lithuanian titles ("Mēroga vērtība", "Neišvalyti", in ISO-8859-13 or windows-1257) read
 * as "Mçroga vçrtîba", "Neiðvalyti" otherwise, where Firefox or Chromium reads them; Western
 * words uchardet took for Baltic differ in one letter ("Año"), or at their ends (Italian
 * "Città", "più", "può", "è"). A reading with å, æ or ø in windows-1252 is Nordic
 * (Icelandic "staðvært" is "stašvęrt" in ISO-8859-13), one with ñ Spanish ("Año nuevo en
 * España" is ISO-8859-10's "Aņo nuevo en Espaņa", one letter twice: windows-1252 to both
 * browsers; Latvian's ņ is 0xF2 in its usual encodings), and stays windows-1252. */
#define LATIN_MIN 2

static const cafe__html_encoding_t *latin_default(const cafe__html_detect_t *d,
                                                  const cafe__html_encoding_t *e) {
    if (d->high >= CAFE__DETECT_ENOUGH || family(d) || !rare_latin(e))
        return e;
    size_t differ = 0;
    int nordic = 0;
    for (size_t k = 0; k < d->high; k++) {
        size_t i = d->at[k];
        unsigned c = d->buf[i], next = i + 1 < d->fed ? d->buf[i + 1] : ' ';
        differ += e->table[c - 0x80] != cafe__html_enc_windows1252.table[c - 0x80] &&
                  (next >= 0x80 || ((next | 0x20) >= 'a' && (next | 0x20) <= 'z'));
        nordic |= (c | 0x20) == 0xE5 || (c | 0x20) == 0xE6 || (c | 0x20) == 0xF8 || /* å æ ø */
                  (c | 0x20) == 0xF1;                                               /* ñ */
    }
    if (differ >= LATIN_MIN && !nordic && cafe__html_plausible(e, d->buf, d->fed, d->at, d->high))
        return e;
    return cafe__html_plausible(&cafe__html_enc_windows1252, d->buf, d->fed, d->at, d->high)
               ? &cafe__html_enc_windows1252
               : e;
}

/* Where the domain names no encodings, the single-byte encodings whose reading is tried
 * when uchardet's is not plausible: the common ones, the scripts with letter case first
 * (their readings are the easiest to rule out), windows-1252 first of all. */
static const char *const common[] = {"windows-1252",
                                     "windows-1250",
                                     "ISO-8859-2",
                                     "windows-1251",
                                     "KOI8-U",
                                     "ISO-8859-7",
                                     "windows-1254",
                                     "windows-1257",
                                     "IBM866",
                                     "windows-874",
                                     "windows-1256",
                                     "windows-1255",
                                     NULL};

/* With little evidence, a single-byte answer whose reading is not plausible text (plausible.h:
 * "Форум" in KOI8 read as windows-1251's "жПТХН", "Łódź" in windows-1250 read as
 * ISO-8859-2's "Łód" and a C1 control) gives way to the first encoding that reads it
 * plausibly: the domain's own, else the common ones. None: the answer stands. Where
 * uchardet gives no answer, the default's reading (windows-1252) is checked the same way;
 * where it cannot be loaded, there is no detection at all. */
static const cafe__html_encoding_t *second_opinion(const cafe__html_detect_t *d,
                                                   const cafe__html_encoding_t *e) {
    const cafe__html_encoding_t *first = e ? e : &cafe__html_enc_windows1252;
    if (d->high >= CAFE__DETECT_ENOUGH || !d->ud ||
        (first->kind != CAFE__ENC_SINGLE && first->kind != CAFE__ENC_MULTI))
        return e;
    if (plausible(d, first))
        return e;
    /* a multi-byte answer gives way to its domain's encodings only: a single-byte reading
     * of CJK bytes is often plausible Latin or Cyrillic, and never right */
    const char *const *f = family(d);
    if (!f && first->kind == CAFE__ENC_MULTI)
        return e;
    for (const char *const *c = f ? f : common; *c; c++) {
        const cafe__html_encoding_t *other = strcmp(*c, first->name) ? from_label(*c) : NULL;
        if (other && plausible(d, other) &&
            (!f || reads_letter(d, other) || !reads_letter(d, first)))
            return other;
    }
    return e;
}

/* With little evidence and no domain that names the page's encodings, uchardet often names a
 * single-byte encoding for a word or two of CJK ("中文" in GBK as windows-1251's "ЦРОД"). Where
 * the answer's reading is not plausible or has no word cased as words are written
 * (plausible.h), a CJK reading whose characters all fall in its encoding's common blocks is
 * the likelier text, and the likeliest of them (cafe__html_cjk_cost) wins: Firefox's
 * chardetng scores CJK by these blocks too. A reading in a script without case stands when
 * it is uchardet's (only statistics would tell Thai from a CJK reading of its bytes), not
 * when it is only the first plausible one of the second opinions (guessed): there EUC-KR's
 * "한국" and "iptables 설정 파일", EUC-JP's "お知らせ" and "ユーザー ID", gb18030's "已停止
 * (tty 输出)" read as windows-874 Thai ("วัฑน", "iptables ผณมค ฦฤภฯ"), where Firefox reads
 * them right. A UTF-8 answer is no reading here
 * (the title is not UTF-8), and a CJK answer gives way only when its reading holds rare
 * characters. */
static const cafe__html_encoding_t *cjk(const cafe__html_detect_t *d,
                                        const cafe__html_encoding_t *e, int guessed) {
    const cafe__html_encoding_t *first = e ? e : &cafe__html_enc_windows1252;
    if (d->high < 2 || d->high >= CAFE__DETECT_ENOUGH || !d->ud || family(d))
        return e;
    size_t from = d->at[0], to = d->at[d->high - 1] + 1;
    if ((first->kind == CAFE__ENC_SINGLE && plausible(d, first) &&
         cafe__html_cased_word(first, !guessed, d->buf, d->fed, d->at, d->high)) ||
        (first->kind == CAFE__ENC_MULTI &&
         cafe__html_cjk_cost(first, d->buf, d->fed, from, to) >= 0))
        return e;
    const cafe__html_encoding_t *best = e, *c;
    int least = -1;
    for (size_t i = 0; (c = cafe__html_encoding_at(i)) != NULL; i++) {
        int cost =
            c->kind == CAFE__ENC_MULTI ? cafe__html_cjk_cost(c, d->buf, d->fed, from, to) : -1;
        if (cost >= 0 && (least < 0 || cost < least) && plausible(d, c))
            best = c, least = cost;
    }
    return best;
}

/* The verdict on the evidence d holds (see detect.h). */
static const cafe__html_encoding_t *answer(cafe__html_detect_t *d) {
    /* uchardet's answer, through each correction in turn */
    const cafe__html_encoding_t *u = uchardet_answer(d);
    u = kana_japanese(d, u);
    u = without_c1(d, u);
    u = with_cedillas(d, u);
    u = windows_twin(d, u);
    u = central_iso(d, u);
    u = arabic_windows(d, u);
    u = unless_as_default(d, u);
    u = hinted(d, u);
    u = greek_windows(d, u);
    u = latin_default(d, u);
    const cafe__html_encoding_t *second = second_opinion(d, u);
    const cafe__html_encoding_t *e = cjk(d, second, second != u);
    /* uchardet 0.0.7 says UTF-8 for some text that is not (Belarusian windows-1251 "Ці
     * ўзьдзейнічае...", whose ў is a lone 0xA2), and the title would read as U+FFFD: such an
     * answer that no CJK reading replaced is checked as no answer is (a UTF-8 answer is
     * taken to CJK readings first, as the sign of multi-byte text it is for short EUC-KR) */
    if (e && e->kind == CAFE__ENC_UTF8 && !cafe__html_utf8_scan(d->buf, d->fed, 1))
        e = second_opinion(d, NULL);
    return e;
}

/* With enough evidence uchardet's answer stands unchecked, though the text it weighed may be
 * other than the title's: a Hebrew title in windows-1255 over English sentences with curly
 * quotes (0x93, 0x94: the same bytes in most Windows code pages) was read as windows-1252
 * ("äåãòä áîñôø úáðéåú"), under .il too. Where the answer's reading of the first run of
 * non-ASCII text (from the first such byte to the next '<': the title, or what came before
 * it in the head) is not plausible, that run alone is judged as a short title is, and its
 * verdict is taken when it reads the run plausibly. */
static const cafe__html_encoding_t *first_run(cafe__html_detect_t *d,
                                              const cafe__html_encoding_t *e) {
    if (d->high < CAFE__DETECT_ENOUGH || !d->ud || !e || e->kind != CAFE__ENC_SINGLE)
        return e;
    size_t end = d->at[0];
    while (end < d->fed && d->buf[end] != '<')
        end++;
    size_t k = 0;
    while (k < d->high && d->at[k] < end)
        k++;
    if (k == d->high || cafe__html_plausible(e, d->buf, end, d->at, k))
        return e;
    cafe__html_detect_t run = *d;
    run.fed = end;
    run.high = k;
    d->lib.reset(d->ud);
    const cafe__html_encoding_t *r = answer(&run);
    return r && r != e && plausible(&run, r) ? r : e;
}

/* Evidence whose non-ASCII bytes stand next to a NUL, half of them or more: text
 * interleaved with NULs (UTF-16 without a BOM, or a legacy encoding so padded). Neither
 * browser detects its encoding from its letters: windows-1251 "Привет" or "Главная
 * страница" with a NUL after each byte, or two, is windows-1252 to both with no domain and
 * under .com (Firefox under .ru and .jp too), and the usual encoding of a Latin-script domain
 * under it (.pl: ISO-8859-2, both); a few NULs in such text (3 in 16 letters) leave it
 * detected, as does a run of NULs elsewhere. uchardet named windows-1251, Shift_JIS or GBK
 * on these bytes. */
static int nul_dense(const cafe__html_detect_t *d) {
    size_t next_to_nul = 0;
    for (size_t k = 0; k < d->high; k++) {
        size_t i = d->at[k];
        next_to_nul += (i > 0 && d->buf[i - 1] == 0) || (i + 1 < d->fed && d->buf[i + 1] == 0);
    }
    return 2 * next_to_nul >= d->high;
}

const cafe__html_encoding_t *cafe__html_detect_result(cafe__html_detect_t *d) {
    if (d->high == 0)
        return NULL;
    if (nul_dense(d)) {
        const char *const *f = family(d);
        return f && latin_domain(f) ? usual(d, f) : NULL;
    }
    return first_run(d, answer(d));
}

void cafe__html_detect_close(cafe__html_detect_t *d) {
    free(d->buf);
    d->buf = NULL;
    if (d->ud)
        d->lib.destroy(d->ud);
    d->ud = NULL;
    cafe__uchardet_close(&d->lib);
}
