/* How plausibly a single-byte encoding reads the evidence (see plausible.h). */
#include "html/plausible.h"

#include "html/indexes.h"

#include <stdint.h>
#include <string.h>

/* What a character is, as far as standing next to a letter goes. */
enum kind {
    K_OTHER,  /* ASCII that is not a letter (space, digit, punctuation): anything may touch it */
    K_LETTER, /* a letter or a combining mark */
    K_INNER,  /* may stand inside a word: ’ dashes, no-break space, soft hyphen, LRM/RLM */
    K_JOIN,   /* between two letters or none: · (Catalan l·l, or " · " between words) */
    K_EDGE, /* may touch a word on one side: quotes, ¡ ¿, ™ ® © ° º ª …, ² ³, №, the
               Arabic, Greek and Hebrew punctuation */
    K_SYMBOL, /* must not touch a letter: currency, ± ¦ ¬ ¼, spacing accents, box drawing... */
    K_BAD,    /* a C1 control, a byte the encoding leaves unmapped, box drawing */
};

enum script { S_ANY, S_LATIN, S_GREEK, S_CYRILLIC, S_HEBREW, S_ARABIC, S_THAI };
enum letter_case { C_NONE, C_UPPER, C_LOWER };

typedef struct ch {
    unsigned char kind, script, lcase;
} ch_t;

/* Latin Extended-A and -B pair capitals and small letters, mostly capital first; these
 * ranges pair them the other way round (Ĺ ĺ ... Ň ň, Ź ź Ż ż Ž ž). */
static int latin_ext_upper(unsigned cp) {
    if (cp == 0x130 || cp == 0x178)
        return 1; /* İ, Ÿ */
    if (cp == 0x131 || cp == 0x138 || cp == 0x149 || cp == 0x17F)
        return 0; /* ı ĸ ŉ ſ: no capital of their own */
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return cp & 1;
    return !(cp & 1);
}

static ch_t ascii(unsigned b) {
    if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z')
        return (ch_t){K_LETTER, S_LATIN, b <= 'Z' ? C_UPPER : C_LOWER};
    return (ch_t){K_OTHER, S_ANY, C_NONE};
}

static int in(const uint16_t *set, unsigned cp) {
    for (; *set; set++)
        if (*set == cp)
            return 1;
    return 0;
}

/* Punctuation that may stand inside a word: no-break space, soft hyphen, Hebrew maqaf,
 * LRM/RLM, hyphens and dashes, the apostrophe ’. */
static const uint16_t inner[] = {0xA0,   0xAD,   0x5BE,  0x200E, 0x200F, 0x2010,
                                 0x2011, 0x2013, 0x2014, 0x2019, 0};
/* Punctuation that may touch a word on one side: ¡ © ª « ® ° ² ³ º » ¿, Greek ano teleia,
 * Hebrew sof pasuq, paseq, geresh and gershayim, Arabic comma, semicolon and question mark,
 * Thai fongman and angkhankhu, quotes, …, №, ™. */
static const uint16_t edge[] = {
    0xA1,   0xA9,   0xAA,   0xAB,   0xAE,   0xB0,   0xB2,   0xB3,   0xBA,   0xBB,   0xBF,
    0x387,  0x5C0,  0x5C3,  0x5F3,  0x5F4,  0x60C,  0x61B,  0x61F,  0xE4F,  0xE5A,  0xE5B,
    0x2018, 0x201A, 0x201C, 0x201D, 0x201E, 0x2026, 0x2039, 0x203A, 0x2116, 0x2122, 0};

/* cp: what a single-byte table gives a non-ASCII byte, 0 for unmapped. */
static ch_t classify(unsigned cp) {
    if (cp < 0xA0 || (cp >= 0x2500 && cp <= 0x25FF))
        return (ch_t){K_BAD, S_ANY, C_NONE}; /* unmapped, a C1 control; box drawing */
    if (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7 && cp != 0x192) {
        int upper = cp < 0x100 ? cp < 0xDF : latin_ext_upper(cp);
        return (ch_t){K_LETTER, S_LATIN, upper ? C_UPPER : C_LOWER};
    }
    if (cp >= 0x300 && cp <= 0x36F)
        return (ch_t){K_LETTER, S_ANY, C_NONE}; /* combining accents (windows-1258) */
    if (cp == 0x386 || (cp >= 0x388 && cp <= 0x3CE))
        return (ch_t){K_LETTER, S_GREEK,
                      cp <= 0x38F || (cp >= 0x391 && cp <= 0x3AB) ? C_UPPER : C_LOWER};
    if (cp >= 0x400 && cp <= 0x4FF) {
        int upper = cp < 0x430 || (cp >= 0x460 && !(cp & 1));
        return (ch_t){K_LETTER, S_CYRILLIC, upper ? C_UPPER : C_LOWER};
    }
    if ((cp >= 0x591 && cp <= 0x5C7 && cp != 0x5BE && cp != 0x5C0 && cp != 0x5C3) ||
        (cp >= 0x5D0 && cp <= 0x5F2))
        return (ch_t){K_LETTER, S_HEBREW, C_NONE};
    if ((cp >= 0x620 && cp <= 0x65F) || (cp >= 0x66E && cp <= 0x6D3))
        return (ch_t){K_LETTER, S_ARABIC, C_NONE};
    if ((cp >= 0xE01 && cp <= 0xE3A) || (cp >= 0xE40 && cp <= 0xE4E))
        return (ch_t){K_LETTER, S_THAI, C_NONE};
    if ((cp >= 0x660 && cp <= 0x669) || (cp >= 0xE50 && cp <= 0xE59))
        return (ch_t){K_EDGE, S_ANY, C_NONE}; /* Arabic-Indic and Thai digits: not inside a
                                                 word ("ฐ๘ม๖ป็วื", EUC-KR's "공지사항") */
    if (cp == 0x200C || cp == 0x200D)
        return (ch_t){K_LETTER, S_ANY, C_NONE}; /* zero-width (non-)joiner */
    if (cp == 0xB7)
        return (ch_t){K_JOIN, S_ANY, C_NONE};
    if (in(inner, cp))
        return (ch_t){K_INNER, S_ANY, C_NONE};
    return (ch_t){in(edge, cp) ? K_EDGE : K_SYMBOL, S_ANY, C_NONE};
}

static ch_t at(const cafe__html_encoding_t *e, const unsigned char *p, size_t n, size_t i) {
    if (i >= n)
        return (ch_t){K_OTHER, S_ANY, C_NONE};
    return p[i] < 0x80 ? ascii(p[i]) : classify(e->table[p[i] - 0x80]);
}

/* Letters a then b, side by side: the same script (or a script-less mark), and not a small
 * letter followed by a capital. */
static int letters_fit(ch_t a, ch_t b) {
    if (a.script != S_ANY && b.script != S_ANY && a.script != b.script)
        return 0;
    return !(a.lcase == C_LOWER && b.lcase == C_UPPER);
}

/* The small letter of non-ASCII Latin letter cp, or 0 for İ (whose small letter is ASCII). */
static unsigned latin_lower(unsigned cp) {
    if (cp == 0x130)
        return 0;
    if (cp == 0x178)
        return 0xFF;
    if (cp < 0x100)
        return cp < 0xDF ? cp + 0x20 : cp;
    return latin_ext_upper(cp) ? cp + 1 : cp;
}

/* The non-ASCII small letters of the languages written in Latin single-byte encodings:
 * French, German, Spanish and Galician, Portuguese, Italian, Catalan, Dutch and Afrikaans,
 * Danish and Norwegian, Swedish, Finnish and Estonian, Icelandic, Faroese, Albanian, Welsh
 * (Irish and English loanwords fit in these); Polish, Czech, Slovak, Hungarian, the South
 * Slavic languages, Romanian, Turkish, Lithuanian, Latvian, Maltese, Esperanto; last,
 * Vietnamese's precomposed ones, which count for windows-1258 only: Vietnamese is written in
 * no other single-byte encoding, and its alphabet holds pairs no other has (í and đ: Icelandic
 * "Forsíða" read as windows-1250's "Forsíđa" was a Vietnamese word). */
static const uint16_t *const latin[] = {
    (const uint16_t[]){0xE0, 0xE2, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xEB, 0xEE, 0xEF, 0xF4, 0x153,
                       0xF9, 0xFB, 0xFC, 0xFF, 0},
    (const uint16_t[]){0xE4, 0xF6, 0xFC, 0xDF, 0xE9, 0},
    (const uint16_t[]){0xE1, 0xE9, 0xED, 0xF1, 0xF3, 0xFA, 0xFC, 0},
    (const uint16_t[]){0xE0, 0xE1, 0xE2, 0xE3, 0xE7, 0xE9, 0xEA, 0xED, 0xF3, 0xF4, 0xF5, 0xFA, 0xFC,
                       0},
    (const uint16_t[]){0xE0, 0xE8, 0xE9, 0xEC, 0xED, 0xEE, 0xF2, 0xF3, 0xF9, 0xFA, 0},
    (const uint16_t[]){0xE0, 0xE7, 0xE8, 0xE9, 0xED, 0xEF, 0xF2, 0xF3, 0xFA, 0xFC, 0},
    (const uint16_t[]){0xE1, 0xE4, 0xE8, 0xE9, 0xEA, 0xEB, 0xEE, 0xEF, 0xF3, 0xF4, 0xF6, 0xFA, 0xFB,
                       0xFC, 0},
    (const uint16_t[]){0xE0, 0xE5, 0xE6, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF8, 0xFC, 0},
    (const uint16_t[]){0xE0, 0xE4, 0xE5, 0xE9, 0xF6, 0xFC, 0},
    (const uint16_t[]){0xE4, 0xE5, 0xF5, 0xF6, 0xFC, 0x161, 0x17E, 0},
    (const uint16_t[]){0xE1, 0xE6, 0xE9, 0xED, 0xF0, 0xF3, 0xF6, 0xFA, 0xFD, 0xFE, 0},
    (const uint16_t[]){0xE1, 0xE6, 0xED, 0xF0, 0xF3, 0xF8, 0xFA, 0xFD, 0},
    (const uint16_t[]){0xE7, 0xEB, 0},
    (const uint16_t[]){0xE0, 0xE1, 0xE2, 0xE4, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED,  0xEE,  0xEF,
                       0xF2, 0xF3, 0xF4, 0xF6, 0xF9, 0xFA, 0xFB, 0xFC, 0xFF, 0x175, 0x177, 0},
    (const uint16_t[]){0x105, 0x107, 0x119, 0x142, 0x144, 0xF3, 0x15B, 0x17A, 0x17C, 0},
    (const uint16_t[]){0xE1, 0x10D, 0x10F, 0xE9, 0x11B, 0xED, 0x148, 0xF3, 0x159, 0x161, 0x165,
                       0xFA, 0x16F, 0xFD, 0x17E, 0},
    (const uint16_t[]){0xE1, 0xE4, 0x10D, 0x10F, 0xE9, 0xED, 0x13A, 0x13E, 0x148, 0xF3, 0xF4, 0x155,
                       0x161, 0x165, 0xFA, 0xFD, 0x17E, 0},
    (const uint16_t[]){0xE1, 0xE9, 0xED, 0xF3, 0xF6, 0x151, 0xFA, 0xFC, 0x171, 0},
    (const uint16_t[]){0x10D, 0x107, 0x111, 0x161, 0x17E, 0},
    (const uint16_t[]){0x103, 0xE2, 0xEE, 0x219, 0x21B, 0x15F, 0x163, 0},
    (const uint16_t[]){0xE7, 0x11F, 0x131, 0xF6, 0x15F, 0xFC, 0xE2, 0xEE, 0xFB, 0},
    (const uint16_t[]){0x105, 0x10D, 0x119, 0x117, 0x12F, 0x161, 0x173, 0x16B, 0x17E, 0},
    (const uint16_t[]){0x101, 0x10D, 0x113, 0x123, 0x12B, 0x137, 0x13C, 0x146, 0x161, 0x16B, 0x17E,
                       0},
    (const uint16_t[]){0x10B, 0x121, 0x127, 0x17C, 0xE0, 0xE8, 0xEC, 0xF2, 0xF9, 0},
    (const uint16_t[]){0x109, 0x11D, 0x125, 0x135, 0x15D, 0x16D, 0},
    (const uint16_t[]){0xE0, 0xE1, 0xE2, 0xE3, 0xE8,  0xE9,  0xEA,  0xEC,  0xED,  0xF2,  0xF3, 0xF4,
                       0xF5, 0xF9, 0xFA, 0xFD, 0x103, 0x111, 0x129, 0x169, 0x1A1, 0x1B0, 0},
};

/* The Cyrillic letters beyond the 32 of а-я that each language has: Russian, Ukrainian,
 * Belarusian, Serbian, Macedonian (Bulgarian has none). */
static const uint16_t *const cyrillic[] = {
    (const uint16_t[]){0x451, 0},
    (const uint16_t[]){0x454, 0x456, 0x457, 0x491, 0},
    (const uint16_t[]){0x451, 0x456, 0x45E, 0},
    (const uint16_t[]){0x452, 0x458, 0x459, 0x45A, 0x45B, 0x45F, 0},
    (const uint16_t[]){0x453, 0x455, 0x458, 0x459, 0x45A, 0x45C, 0x45F, 0},
};

/* The small letter of letter cp of script s when it is one an alphabet above must hold: a
 * non-ASCII Latin one, a Cyrillic one beyond а-я; else 0. */
static unsigned marked(unsigned cp, int s) {
    if (s == S_LATIN)
        return latin_lower(cp);
    if (s != S_CYRILLIC)
        return 0;
    cp = cp < 0x410 ? cp + 0x50 : cp < 0x430 ? cp + 0x20 : cp == 0x490 ? 0x491 : cp;
    return (cp >= 0x450 && cp <= 0x45F) || cp == 0x491 ? cp : 0;
}

/* 1 when the letters of script s that e reads at the offsets all belong to one of the
 * alphabets set[0..n): "Łódź" is Polish, "Łódľ" (ISO-8859-2's "Łódź" read as
 * windows-1250) no one's; "ЃЌЏђќ" mixes Macedonian and Serbian. */
static int one_alphabet(const cafe__html_encoding_t *e, const unsigned char *p,
                        const unsigned *high, size_t nhigh, int s, const uint16_t *const *set,
                        size_t n) {
    for (size_t a = 0; a < n; a++) {
        size_t k = 0;
        for (; k < nhigh; k++) {
            unsigned cp = e->table[p[high[k]] - 0x80];
            if (classify(cp).script == s && (cp = marked(cp, s)) != 0 && !in(set[a], cp))
                break;
        }
        if (k == nhigh)
            return 1;
    }
    return 0;
}

int cafe__html_plausible(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
                         const unsigned *high, size_t nhigh) {
    size_t nlatin = sizeof latin / sizeof latin[0] - (strcmp(e->name, "windows-1258") != 0);
    return one_alphabet(e, p, high, nhigh, S_LATIN, latin, nlatin) &&
           one_alphabet(e, p, high, nhigh, S_CYRILLIC, cyrillic,
                        sizeof cyrillic / sizeof cyrillic[0]) &&
           cafe__html_plausible_letters(e, p, n, high, nhigh);
}

int cafe__html_plausible_letters(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
                                 const unsigned *high, size_t nhigh) {
    for (size_t k = 0; k < nhigh; k++) {
        size_t i = high[k];
        ch_t c = at(e, p, n, i), b = at(e, p, n, i + 1);
        ch_t a = i > 0 ? at(e, p, n, i - 1) : (ch_t){K_OTHER, S_ANY, C_NONE};
        int la = a.kind == K_LETTER, lb = b.kind == K_LETTER;
        switch (c.kind) {
        case K_BAD:
            return 0;
        case K_SYMBOL:
            if (la || lb)
                return 0;
            break;
        case K_EDGE:
            if (la && lb)
                return 0;
            break;
        case K_JOIN:
            if (la != lb)
                return 0;
            break;
        case K_LETTER:
            /* the pair before is judged here; the pair after too when the next byte is
             * ASCII (a non-ASCII one judges it as its own pair before) */
            if ((la && !letters_fit(a, c)) || (lb && p[i + 1] < 0x80 && !letters_fit(c, b)))
                return 0;
            break;
        default:
            break;
        }
    }
    return 1;
}

int cafe__html_reads_letter(const cafe__html_encoding_t *e, const unsigned char *p,
                            const unsigned *high, size_t nhigh) {
    for (size_t k = 0; k < nhigh; k++)
        if (classify(e->table[p[high[k]] - 0x80]).kind == K_LETTER)
            return 1;
    return 0;
}

/* Whether decoded UTF-8 holds U+FFFD (EF BF BD) or a half-width katakana (U+FF61-U+FF9F:
 * EF BD A1-BF, EF BE 80-9F). */
static void odd_text(void *ctx, const char *utf8, size_t len) {
    const unsigned char *u = (const unsigned char *)utf8;
    for (size_t i = 0; i + 2 < len; i++) {
        if (u[i] != 0xEF)
            continue;
        if ((u[i + 1] == 0xBF && u[i + 2] == 0xBD) || (u[i + 1] == 0xBD && u[i + 2] >= 0xA1) ||
            (u[i + 1] == 0xBE && u[i + 2] <= 0x9F))
            *(int *)ctx = 1;
    }
}

/* Sets *ctx where the decoded text holds U+FFFD (EF BF BD). */
static void error_text(void *ctx, const char *utf8, size_t len) {
    const unsigned char *u = (const unsigned char *)utf8;
    for (size_t i = 0; i + 2 < len; i++)
        if (u[i] == 0xEF && u[i + 1] == 0xBF && u[i + 2] == 0xBD)
            *(int *)ctx = 1;
}

/* 1 when e decodes p[0..n) without `check` flagging its text. */
static int decodes_with(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
                        cafe__html_sink_fn check) {
    cafe__html_decoder_t dec;
    int odd = 0;
    cafe__html_decoder_init(&dec);
    cafe__html_decoder_set(&dec, e);
    cafe__html_decode(&dec, p, n, CAFE__DECODE_MORE, check, &odd);
    cafe__html_decoder_close(&dec);
    return !odd;
}

int cafe__html_plausible_multi(const cafe__html_encoding_t *e, const unsigned char *p, size_t n) {
    return decodes_with(e, p, n, odd_text);
}

int cafe__html_decodes_multi(const cafe__html_encoding_t *e, const unsigned char *p, size_t n) {
    return decodes_with(e, p, n, error_text);
}

/* Costs of a character by its block, in tenths of a bit (see cafe__html_cjk_cost): a
 * kana is one of ~170 holding half of Japanese text, a Hangul syllable one of 2,350, a
 * level-1 hanzi one of 3,755 (GB2312) or a frequent one of 5,401 (Big5), a level-1 kanji
 * one of 2,965 holding less than half; punctuation costs the same everywhere. */
enum {
    COST_KANA = 84,
    COST_HANGUL = 112,
    COST_GB = 119,
    COST_BIG5 = 125,
    COST_KANJI = 127,
    COST_PUNCT = 100,
    RARE = -1
};

/* The cost of the double-byte character lead, trail in the CJK encoding decoded by dec, or
 * RARE. */
static int cjk_char(cafe__html_dec_id_t dec, unsigned lead, unsigned trail) {
    switch (dec) {
    case CAFE__DEC_GB18030:
        if (trail < 0xA1)
            return RARE; /* GBK's extensions, gb18030's four-byte sequences */
        return lead >= 0xB0 && lead <= 0xD7   ? COST_GB
               : lead >= 0xA1 && lead <= 0xA9 ? COST_PUNCT
                                              : RARE;
    case CAFE__DEC_BIG5:
        if ((lead >= 0xA4 && lead <= 0xC5) || (lead == 0xC6 && trail <= 0x7E))
            return COST_BIG5;
        return lead >= 0xA1 && lead <= 0xA3 ? COST_PUNCT : RARE;
    case CAFE__DEC_SJIS:
        if (lead == 0x82 || lead == 0x83)
            return COST_KANA;
        if ((lead >= 0x88 && lead <= 0x97) || (lead == 0x98 && trail < 0x73))
            return COST_KANJI;
        return lead == 0x81 ? COST_PUNCT : RARE;
    case CAFE__DEC_EUCJP:
        if (lead == 0xA4 || lead == 0xA5)
            return COST_KANA;
        if (lead >= 0xB0 && lead <= 0xCF)
            return COST_KANJI;
        return lead == 0xA1 ? COST_PUNCT : RARE;
    case CAFE__DEC_EUCKR:
        if (trail < 0xA1)
            return RARE; /* UHC's extra syllables */
        if (lead >= 0xB0 && lead <= 0xC8)
            return COST_HANGUL;
        /* row 1, and row 3's full-width punctuation (！：｜...) but its digits and letters,
         * which Chinese titles have more often ("ＱＱ空间" in GBK is EUC-KR's "ＱＱ왕쇌") */
        return lead == 0xA1 ||
                       (lead == 0xA3 && !((trail >= 0xB0 && trail <= 0xB9) ||
                                          ((trail | 0x20) >= 0xE1 && (trail | 0x20) <= 0xFA)))
                   ? COST_PUNCT
                   : RARE;
    default:
        return RARE;
    }
}

/* Whether the punctuation-row character lead, trail of dec, a GBK or EUC-KR reading, is a
 * mathematical sign: ± × ÷ and the operators and relations (U+2200-U+22FF) but the tildes
 * and ratio colons (∼ ∽ ∶ ∷), the parallel sign ∥ and ≪ ≫, which text borrows as
 * punctuation. Chinese and Korean text hardly ever has one between two CJK characters; a
 * wrong reading of the other's punctuation does: GBK's 【】 are EUC-KR's ± ×, "【官方】京东"
 * reads "±바렘×쑴땜". (Japanese puts × between words: "鬼滅の刃×ローソン".) */
static int math_sign(cafe__html_dec_id_t dec, unsigned lead, unsigned trail) {
    if (dec != CAFE__DEC_GB18030 && dec != CAFE__DEC_EUCKR)
        return 0;
    size_t ptr = (lead - 0x81) * 190 + trail - 0x41; /* trail >= 0xA1 here */
    const uint16_t *index =
        dec == CAFE__DEC_EUCKR ? cafe__html_index_euc_kr : cafe__html_index_gb18030;
    unsigned cp = ptr < CAFE__INDEX_EUC_KR_LEN && ptr < CAFE__INDEX_GB18030_LEN ? index[ptr] : 0;
    return cp == 0xB1 || cp == 0xD7 || cp == 0xF7 ||
           (cp >= 0x2200 && cp <= 0x22FF && cp != 0x2225 && cp != 0x2236 && cp != 0x2237 &&
            cp != 0x223C && cp != 0x223D && cp != 0x226A && cp != 0x226B);
}

static int ascii_letter(unsigned b) {
    return (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
}

int cafe__html_cjk_cost(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
                        size_t from, size_t to) {
    int cost = 0, clear = 0, after_cjk = 0;
    for (size_t i = from; i < to; i++) {
        if (p[i] < 0x80) {
            after_cjk = 0;
            continue;
        }
        if (i + 1 >= n || (e->dec == CAFE__DEC_SJIS && p[i] >= 0xA1 && p[i] <= 0xDF))
            return -1; /* cut, or a half-width katakana */
        int c = cjk_char(e->dec, p[i], p[i + 1]);
        if (c == RARE || (c == COST_PUNCT && after_cjk && i + 2 < n && p[i + 2] >= 0x80 &&
                          math_sign(e->dec, p[i], p[i + 1])))
            return -1;
        /* the byte before is a letter of a Latin word, not the trail byte of the character
         * before (Shift_JIS's go down to 0x40: 株 after （, 8169, follows an 'i') */
        if (c != COST_PUNCT && !(i > 0 && !after_cjk && ascii_letter(p[i - 1])) &&
            !(i + 2 < n && ascii_letter(p[i + 2])))
            clear++;
        after_cjk = 1;
        cost += c;
        i++;
    }
    return clear >= 2 ? cost : -1;
}

/* Letters from which, and below which, a word in capitals reads as one (see
 * cafe__html_cased_word). */
#define CAPS_WORD_MIN 5
#define CAPS_WORD_END 8

int cafe__html_cased_word(const cafe__html_encoding_t *e, int caseless, const unsigned char *p,
                          size_t n, const unsigned *high, size_t nhigh) {
    for (size_t k = 0; k < nhigh; k++) {
        ch_t c = at(e, p, n, high[k]);
        if (c.kind == K_LETTER && c.script != S_ANY && c.lcase == C_NONE && caseless)
            return 1; /* Hebrew, Arabic, Thai: no case to tell text by */
        if (c.lcase == C_NONE)
            continue;
        size_t s = high[k], end = high[k] + 1;
        while (s > 0 && at(e, p, n, s - 1).kind == K_LETTER)
            s--;
        while (end < n && at(e, p, n, end).kind == K_LETTER)
            end++;
        int small = 0, capital_after = 0;
        for (size_t i = s + 1; i < end; i++) {
            int lcase = at(e, p, n, i).lcase;
            small |= lcase == C_LOWER;
            capital_after |= lcase == C_UPPER;
        }
        if (small && !capital_after)
            return 1;
        /* A word in capitals is written so too ("ФОРУМ", "ΑΡΧΙΚΗ"), once it is longer than
         * the two or three characters a CJK title's bytes make by chance: every pair of
         * windows-1251 capitals is a common GBK hanzi. From eight capitals on, a run is as
         * likely four CJK characters, and both browsers read them so: GBK "新闻中心" is not
         * windows-1251's "РВОЕЦРРД", and "ЗДРАВСТВУЙТЕ", "ΕΙΔΗΣΕΙΣ" with no domain read as
         * GBK in both (Chromium 156, Firefox ESR 153). What counts is the run of non-ASCII
         * bytes, which a CJK reading takes in pairs, signs included: GBK "关于我们" is
         * windows-1251's "№ШУЪОТГЗ", seven capitals after a sign (both browsers: GBK). */
        size_t rs = high[k], re = high[k] + 1;
        while (rs > 0 && p[rs - 1] >= 0x80)
            rs--;
        while (re < n && p[re] >= 0x80)
            re++;
        if (!small && c.lcase == C_UPPER && end - s >= CAPS_WORD_MIN && re - rs < CAPS_WORD_END)
            return 1;
    }
    return 0;
}
