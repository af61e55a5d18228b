/* How plausibly a single-byte encoding reads the evidence (see plausible.h). */
#include "html/plausible.h"

/* What a character is, as far as standing next to a letter goes. */
enum kind {
    K_OTHER,  /* ASCII that is not a letter (space, digit, punctuation): anything may touch it */
    K_LETTER, /* a letter or a combining mark */
    K_INNER,  /* may stand inside a word: ’ · dashes, no-break space, soft hyphen, LRM/RLM */
    K_EDGE, /* may touch a word on one side: quotes, ¡ ¿, ™ ® © ° º ª …, ² ³, №, the
               Arabic, Greek and Hebrew punctuation */
    K_SYMBOL, /* must not touch a letter: currency, ± ¦ ¬ ¼, spacing accents, box drawing... */
    K_BAD,    /* a C1 control, or a byte the encoding leaves unmapped */
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

static ch_t classify(unsigned cp) {
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return (ch_t){K_LETTER, S_LATIN, cp <= 'Z' ? C_UPPER : C_LOWER};
        return (ch_t){K_OTHER, S_ANY, C_NONE};
    }
    if (cp == 0 || cp < 0xA0)
        return (ch_t){K_BAD, S_ANY, C_NONE}; /* the table's 0 is "unmapped" */
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
    if (cp >= 0x660 && cp <= 0x669)
        return (ch_t){K_OTHER, S_ANY, C_NONE}; /* Arabic-Indic digits */
    if (cp >= 0xE50 && cp <= 0xE59)
        return (ch_t){K_OTHER, S_ANY, C_NONE}; /* Thai digits */
    if (cp == 0x200C || cp == 0x200D)
        return (ch_t){K_LETTER, S_ANY, C_NONE}; /* zero-width (non-)joiner */
    switch (cp) {
    case 0xA0:
    case 0xAD:
    case 0xB7:
    case 0x5BE:
    case 0x200E:
    case 0x200F:
    case 0x2010:
    case 0x2011:
    case 0x2013:
    case 0x2014:
    case 0x2019:
        return (ch_t){K_INNER, S_ANY, C_NONE};
    case 0xA1:
    case 0xA9:
    case 0xAA:
    case 0xAB:
    case 0xAE:
    case 0xB0:
    case 0xB2:
    case 0xB3:
    case 0xBA:
    case 0xBB:
    case 0xBF:
    case 0x387:
    case 0x5C0:
    case 0x5C3:
    case 0x5F3:
    case 0x5F4:
    case 0x60C:
    case 0x61B:
    case 0x61F:
    case 0xE4F:
    case 0xE5A:
    case 0xE5B:
    case 0x2018:
    case 0x201A:
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x2026:
    case 0x2039:
    case 0x203A:
    case 0x2116:
    case 0x2122:
        return (ch_t){K_EDGE, S_ANY, C_NONE};
    default:
        return (ch_t){K_SYMBOL, S_ANY, C_NONE};
    }
}

static ch_t at(const cafe__html_encoding_t *e, const unsigned char *p, size_t n, size_t i) {
    if (i >= n)
        return (ch_t){K_OTHER, S_ANY, C_NONE};
    return classify(p[i] < 0x80 ? p[i] : e->table[p[i] - 0x80]);
}

/* Letters a then b, side by side: the same script (or a script-less mark), and not a small
 * letter followed by a capital. */
static int letters_fit(ch_t a, ch_t b) {
    if (a.script != S_ANY && b.script != S_ANY && a.script != b.script)
        return 0;
    return !(a.lcase == C_LOWER && b.lcase == C_UPPER);
}

int cafe__html_plausible(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
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

/* windows-1252 byte b as a small letter's bit in the alphabets' masks: à-ÿ 0-31, š 32, œ 33,
 * ž 34, ß 35; capitals as their small letter; -1 for a byte that is not a non-ASCII letter. */
static int western_bit(unsigned b) {
    if (b >= 0xC0 && b <= 0xDE && b != 0xD7)
        b += 0x20;
    switch (b) {
    case 0x8A:
    case 0x9A:
        return 32;
    case 0x8C:
    case 0x9C:
        return 33;
    case 0x8E:
    case 0x9E:
        return 34;
    case 0xDF:
        return 35;
    case 0x9F:
        return 31; /* Ÿ: ÿ */
    default:
        return b >= 0xE0 && b != 0xF7 ? (int)(b - 0xE0) : -1;
    }
}

int cafe__html_western(const unsigned char *p, const unsigned *high, size_t nhigh) {
    /* The non-ASCII letters of the languages written in windows-1252, as windows-1252 bytes
     * (small letters): French, German, Spanish and Galician, Portuguese, Italian, Catalan,
     * Dutch and Afrikaans, Danish and Norwegian, Swedish, Finnish and Estonian, Icelandic,
     * Faroese, Albanian, Welsh; Irish and English loanwords fit in these. */
    static const char *const alphabets[] = {
        "\xe0\xe2\xe6\xe7\xe8\xe9\xea\xeb\xee\xef\xf4\x9c\xf9\xfb\xfc\xff",
        "\xe4\xf6\xfc\xdf\xe9",
        "\xe1\xe9\xed\xf1\xf3\xfa\xfc",
        "\xe0\xe1\xe2\xe3\xe7\xe9\xea\xed\xf3\xf4\xf5\xfa\xfc",
        "\xe0\xe8\xe9\xec\xed\xee\xf2\xf3\xf9\xfa",
        "\xe0\xe7\xe8\xe9\xed\xef\xf2\xf3\xfa\xfc",
        "\xe1\xe4\xe8\xe9\xea\xeb\xee\xef\xf3\xf4\xf6\xfa\xfb\xfc",
        "\xe0\xe5\xe6\xe8\xe9\xea\xf2\xf3\xf4\xf8\xfc",
        "\xe0\xe4\xe5\xe9\xf6\xfc",
        "\xe4\xe5\xf5\xf6\xfc\x9a\x9e",
        "\xe1\xe6\xe9\xed\xf0\xf3\xf6\xfa\xfd\xfe",
        "\xe1\xe6\xed\xf0\xf3\xf8\xfa\xfd",
        "\xe7\xeb",
        "\xe0\xe1\xe2\xe4\xe8\xe9\xea\xeb\xec\xed\xee\xef\xf2\xf3\xf4\xf6\xf9\xfa\xfb\xfc\xff",
    };
    unsigned long long seen = 0;
    for (size_t k = 0; k < nhigh; k++) {
        int bit = western_bit(p[high[k]]);
        if (bit >= 0)
            seen |= 1ull << bit;
    }
    for (size_t i = 0; i < sizeof alphabets / sizeof alphabets[0]; i++) {
        unsigned long long mask = 0;
        for (const char *c = alphabets[i]; *c; c++)
            mask |= 1ull << western_bit((unsigned char)*c);
        if ((seen & ~mask) == 0)
            return 1;
    }
    return 0;
}
