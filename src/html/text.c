/* Building document.title from the title element's raw text. Character references are
 * found on the raw bytes: every byte they consist of is ASCII, and in every
 * ASCII-compatible encoding an ASCII byte is that character (a multi-byte character never
 * hides '&' or ';'), so only the text between references goes through the decoder. */
#include <string.h>

#include "html/hot.h"
#include "html/text.h"

enum { REF_NONE, REF_AMP, REF_NAMED, REF_HASH, REF_HEX_START, REF_DEC, REF_HEX };

static int is_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Keeps one character (its UTF-8 bytes), honouring the collapse rules and the cap. */
static void put_char(cafe__html_text_t *t, const char *c, size_t n) {
    if (t->truncated)
        return;
    size_t need = n + (t->space && t->len > 0);
    if (t->len + need > CAFE_TITLE_MAX) {
        t->truncated = 1;
        return;
    }
    if (t->space && t->len > 0)
        t->buf[t->len++] = ' ';
    t->space = 0;
    memcpy(t->buf + t->len, c, n);
    t->len += n;
}

/* Keeps a run of whole characters (valid UTF-8, no whitespace, no NUL): at once when it
 * fits, else character by character up to the cap. */
static void put_run(cafe__html_text_t *t, const char *s, size_t n) {
    size_t sep = t->space && t->len > 0;
    if (t->len + sep + n > CAFE_TITLE_MAX) {
        for (size_t i = 0; i < n && !t->truncated;) {
            unsigned char c = (unsigned char)s[i];
            size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            put_char(t, s + i, len);
            i += len;
        }
        return;
    }
    if (sep)
        t->buf[t->len++] = ' ';
    t->space = 0;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

/* The decoder's sink: valid UTF-8, whole characters. Runs between whitespace and NULs are
 * kept whole (one copy per word, not per character: every title takes this path); no byte
 * of a multi-byte character is whitespace or NUL, so a run ends at a character's end. */
static void put_utf8(void *ctx, const char *s, size_t n) {
    cafe__html_text_t *t = ctx;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    /* The bytes that end a run: NUL and ASCII whitespace. */
    static const unsigned char ends[256] = {
        [0] = 1, ['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1};
    while (p < end && !t->truncated) {
        const unsigned char *run = p;
        while (p < end && !ends[*p])
            p++;
        if (p > run)
            put_run(t, (const char *)run, (size_t)(p - run));
        if (p == end)
            break;
        if (*p == 0)
            put_char(t, "\xEF\xBF\xBD", 3);
        else
            t->space = 1;
        p++;
    }
}

static int is_ws(unsigned c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* Raw text into the kept copy (cafe__html_text_keep), whitespace after whitespace left out. */
static void keep_text(cafe__html_text_t *t, const unsigned char *p, size_t n) {
    size_t len = t->nkeep;
    for (size_t i = 0; i < n && len < t->keep_cap; i++)
        if (!is_ws(p[i]) || len == 0 || !is_ws(t->keep[len - 1]))
            t->keep[len++] = p[i];
    t->nkeep = len;
}

/* A reference's character into the kept copy; one that does not fit ends the copy. */
static void keep_cp(cafe__html_text_t *t, uint32_t cp) {
    unsigned char unit[5] = {'&'};
    if (is_ws(cp)) {
        unit[0] = (unsigned char)cp;
        keep_text(t, unit, 1);
        return;
    }
    size_t n = 1 + cafe__html_utf8_put((char *)unit + 1, cp);
    if (n > t->keep_cap - t->nkeep) {
        t->keep_cap = t->nkeep; /* a unit lost: nothing after it may be kept */
        return;
    }
    memcpy(t->keep + t->nkeep, unit, n);
    t->nkeep += n;
}

/* A character a reference gave. */
static void put_cp(cafe__html_text_t *t, uint32_t cp) {
    char out[4];
    put_utf8(t, out, cafe__html_utf8_put(out, cp));
    keep_cp(t, cp);
}

/* Text a reference read and gave back (ASCII; an '&' only first, the one that began it). */
static void put_ref_text(cafe__html_text_t *t, const char *s, size_t n) {
    put_utf8(t, s, n);
    if (n > 0 && s[0] == '&') {
        keep_cp(t, '&');
        s++, n--;
    }
    keep_text(t, (const unsigned char *)s, n);
}

void cafe__html_text_init(cafe__html_text_t *t) {
    t->len = 0;
    cafe__html_text_keep(t, NULL, 0);
    cafe__html_decoder_init(&t->dec);
    cafe__html_text_reset(t, &cafe__html_enc_utf8);
}

CAFE__HOT void cafe__html_text_reset(cafe__html_text_t *t, const cafe__html_encoding_t *enc) {
    t->len = 0;
    t->space = 0;
    t->truncated = 0;
    t->ref = REF_NONE;
    t->nref = 0;
    t->lookups = 0;
    t->buf[0] = 0;
    cafe__html_decoder_set(&t->dec, enc);
}

void cafe__html_text_close(cafe__html_text_t *t) {
    cafe__html_decoder_close(&t->dec);
}

/* Resolves a named reference read so far ("&" + alnum*, maybe ';'): RCDATA decodes the
 * longest table name it starts with, ';' or not; the rest is text. */
static void end_named(cafe__html_text_t *t) {
    t->lookups++;
    const cafe__html_entity_t *e = cafe__html_entity_longest(t->refbuf + 1, t->nref - 1);
    size_t used = 0;
    if (e) {
        put_cp(t, e->cp[0]);
        if (e->cp[1])
            put_cp(t, e->cp[1]);
        used = 1 + e->len;
    }
    put_ref_text(t, t->refbuf + used, t->nref - used);
}

/* The reference ends before byte c (or at the end of the text when c < 0). Returns 1 when
 * c was consumed by it (a ';'). */
static int end_ref(cafe__html_text_t *t, int c) {
    int ref = t->ref;
    t->ref = REF_NONE;
    switch (ref) {
    case REF_NAMED:
        if (c == ';') {
            t->refbuf[t->nref++] = ';';
            end_named(t);
            return 1;
        }
        end_named(t);
        return 0;
    case REF_DEC:
    case REF_HEX:
        put_cp(t, cafe__html_numeric_ref(t->ref_value));
        return c == ';';
    default: /* "&", "&#", "&#x" without digits: text */
        put_ref_text(t, t->refbuf, t->nref);
        return 0;
    }
}

/* Feeds one byte to the reference being read. Returns 1 when consumed, 0 when the
 * reference ended before it (the byte is then text or starts a new reference). */
static int ref_byte(cafe__html_text_t *t, unsigned char c) {
    switch (t->ref) {
    case REF_AMP:
        if (c == '#') {
            t->ref = REF_HASH;
        } else if (is_alnum(c)) {
            t->ref = REF_NAMED;
        } else {
            return end_ref(t, c);
        }
        t->refbuf[t->nref++] = (char)c;
        return 1;
    case REF_NAMED:
        /* Longer than any name: what was read cannot grow into a match. */
        if (!is_alnum(c) || t->nref > CAFE__HTML_ENTITY_MAX)
            return end_ref(t, c);
        t->refbuf[t->nref++] = (char)c;
        return 1;
    case REF_HASH:
        if (c == 'x' || c == 'X') {
            t->refbuf[t->nref++] = (char)c;
            t->ref = REF_HEX_START;
            return 1;
        }
        if (c < '0' || c > '9')
            return end_ref(t, c);
        t->ref = REF_DEC;
        t->ref_value = 0;
        break;
    case REF_HEX_START:
        if (!is_hex(c))
            return end_ref(t, c);
        t->ref = REF_HEX;
        t->ref_value = 0;
        break;
    default:
        break;
    }
    if (t->ref == REF_DEC && c >= '0' && c <= '9') {
        t->ref_value = t->ref_value * 10 + (c - '0');
    } else if (t->ref == REF_HEX && is_hex(c)) {
        t->ref_value = t->ref_value * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    } else {
        return end_ref(t, c);
    }
    if (t->ref_value > 0x10FFFF)
        t->ref_value = 0x110000; /* saturate: stays out of range, never overflows */
    return 1;
}

/* The length of the valid UTF-8 sequence at p (a byte >= 0x80), or 0: the two- and
 * three-byte sequences whose second byte has the full range (most titles' non-ASCII: Latin,
 * Cyrillic, CJK) inline, the others by cafe__html_utf8_seq. */
CAFE__HOT static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    if (c >= 0xC2 && c <= 0xDF && end - p >= 2 && (p[1] & 0xC0) == 0x80)
        return 2;
    if (c >= 0xE1 && c <= 0xEF && c != 0xED && end - p >= 3 && (p[1] & 0xC0) == 0x80 &&
        (p[2] & 0xC0) == 0x80)
        return 3;
    return cafe__html_utf8_seq(p, (size_t)(end - p));
}

/* The common case, one pass and no call per run: UTF-8 text with the decoder between
 * characters, no reference open and room for any character. Printable ASCII and whole valid
 * sequences are kept, whitespace collapses, as put_utf8 does after the decoder; returns where
 * it stopped: the end, or a byte for the general path ('&', NUL, another control byte, an
 * invalid or cut sequence, or the cap near). */
CAFE__HOT static const unsigned char *put_plain(cafe__html_text_t *t, const unsigned char *p,
                                                const unsigned char *end) {
    /* 1: kept as is; 2: whitespace; 0: the general path */
    static const unsigned char cls[256] = {
        ['\t'] = 2, ['\n'] = 2, ['\f'] = 2, ['\r'] = 2, [' '] = 2, ['!'] = 1, ['"'] = 1, ['#'] = 1,
        ['$'] = 1,  ['%'] = 1,  ['\''] = 1, ['('] = 1,  [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
        ['-'] = 1,  ['.'] = 1,  ['/'] = 1,  ['0'] = 1,  ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
        ['5'] = 1,  ['6'] = 1,  ['7'] = 1,  ['8'] = 1,  ['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1,
        ['='] = 1,  ['>'] = 1,  ['?'] = 1,  ['@'] = 1,  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
        ['E'] = 1,  ['F'] = 1,  ['G'] = 1,  ['H'] = 1,  ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
        ['M'] = 1,  ['N'] = 1,  ['O'] = 1,  ['P'] = 1,  ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
        ['U'] = 1,  ['V'] = 1,  ['W'] = 1,  ['X'] = 1,  ['Y'] = 1, ['Z'] = 1, ['['] = 1, ['\\'] = 1,
        [']'] = 1,  ['^'] = 1,  ['_'] = 1,  ['`'] = 1,  ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
        ['e'] = 1,  ['f'] = 1,  ['g'] = 1,  ['h'] = 1,  ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
        ['m'] = 1,  ['n'] = 1,  ['o'] = 1,  ['p'] = 1,  ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
        ['u'] = 1,  ['v'] = 1,  ['w'] = 1,  ['x'] = 1,  ['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1,
        ['}'] = 1,  ['~'] = 1};
    char *buf = t->buf;
    size_t len = t->len;
    int space = t->space;
    while (p < end && len <= CAFE_TITLE_MAX - 5) { /* room for a separator and 4 bytes */
        unsigned k = cls[*p];
        if (k == 2) {
            space = 1;
            p++;
            continue;
        }
        size_t n = k == 1 ? 1 : *p < 0x80 ? 0 : utf8_len(p, end);
        if (n == 0)
            break;
        if (space && len > 0)
            buf[len++] = ' ';
        space = 0;
        if (k == 0) { /* a multi-byte character */
            for (size_t i = 0; i < n; i++)
                buf[len++] = (char)*p++;
            continue;
        }
        /* A run of printable ASCII short of the cap, single spaces between its words
         * included (each is the separator the collapse would put there): one copy. */
        size_t room = CAFE_TITLE_MAX - 4 - len;
        const unsigned char *lim = (size_t)(end - p) < room ? end : p + room, *q = p + 1;
        while (q < lim && (cls[*q] == 1 || (*q == ' ' && q + 1 < lim && cls[q[1]] == 1)))
            q += cls[*q] == 1 ? 1 : 2;
        memcpy(buf + len, p, (size_t)(q - p));
        len += (size_t)(q - p);
        p = q;
    }
    t->len = len;
    t->space = space;
    return p;
}

/* The value is full and so is its kept copy: no byte of the rest of the text can change
 * either, so none is read (a hostile title of megabytes of references costs no lookups). */
static int full(const cafe__html_text_t *t) {
    return t->truncated && t->nkeep >= t->keep_cap;
}

CAFE__HOT void cafe__html_text_feed(cafe__html_text_t *t, const unsigned char *p, size_t n) {
    const unsigned char *end = p + n;
    while (p < end && !full(t)) {
        if (t->ref != REF_NONE) {
            if (ref_byte(t, *p))
                p++;
            continue;
        }
        const unsigned char *from = p;
        if (t->dec.enc->dec == CAFE__DEC_UTF8 && t->dec.u8_need == 0 && !t->truncated)
            p = put_plain(t, p, end); /* stops at an '&' if not before */
        const unsigned char *amp = p < end ? memchr(p, '&', (size_t)(end - p)) : NULL;
        const unsigned char *stop = amp ? amp : end;
        if (t->keep)
            keep_text(t, from, (size_t)(stop - from));
        if (p < stop || amp) /* put_plain may have taken it all */
            cafe__html_decode(&t->dec, p, (size_t)(stop - p),
                              amp ? CAFE__DECODE_BEFORE_ASCII : CAFE__DECODE_MORE, put_utf8, t);
        if (!amp)
            break;
        t->ref = REF_AMP;
        t->refbuf[0] = '&';
        t->nref = 1;
        p = amp + 1;
    }
}

void cafe__html_text_keep(cafe__html_text_t *t, unsigned char *buf, size_t cap) {
    t->keep = buf;
    t->nkeep = 0;
    t->keep_cap = buf ? cap : 0;
}

void cafe__html_text_replay(cafe__html_text_t *t, const unsigned char *p, size_t n) {
    const unsigned char *end = p + n;
    while (p < end) {
        const unsigned char *amp = memchr(p, '&', (size_t)(end - p));
        const unsigned char *stop = amp ? amp : end;
        cafe__html_decode(&t->dec, p, (size_t)(stop - p),
                          amp ? CAFE__DECODE_BEFORE_ASCII : CAFE__DECODE_MORE, put_utf8, t);
        if (!amp || amp + 1 == end)
            break;
        unsigned c = amp[1]; /* the character's UTF-8, whole: keep_cp wrote it so */
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        put_utf8(t, (const char *)amp + 1, len);
        p = amp + 1 + len;
    }
}

CAFE__HOT void cafe__html_text_end(cafe__html_text_t *t, int how) {
    if (how == CAFE__TEXT_CUT) {
        /* The rest would have completed what is open: it gives nothing (not a U+FFFD for a
         * character, not "N" for "&#x4E" of "&#x4E2D;"), as the end tag's first bytes. */
        t->ref = REF_NONE;
        cafe__html_decoder_set(&t->dec, t->dec.enc);
    }
    if (t->ref != REF_NONE)
        end_ref(t, -1);
    /* UTF-8 between characters has nothing pending to flush (the common case) */
    if (t->dec.enc->dec != CAFE__DEC_UTF8 || t->dec.u8_need != 0)
        cafe__html_decode(&t->dec, (const unsigned char *)"", 0,
                          how ? CAFE__DECODE_EOF : CAFE__DECODE_BEFORE_ASCII, put_utf8, t);
    t->buf[t->len] = 0;
}
