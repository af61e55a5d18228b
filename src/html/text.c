/* Building document.title from the title element's raw text. Character references are
 * found on the raw bytes: every byte they consist of is ASCII, and in every
 * ASCII-compatible encoding an ASCII byte is that character (a multi-byte character never
 * hides '&' or ';'), so only the text between references goes through the decoder. */
#include <string.h>

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

static void put_cp(cafe__html_text_t *t, uint32_t cp) {
    char out[4];
    put_utf8(t, out, cafe__html_utf8_put(out, cp));
}

void cafe__html_text_init(cafe__html_text_t *t) {
    t->len = 0;
    cafe__html_decoder_init(&t->dec);
    cafe__html_text_reset(t, &cafe__html_enc_utf8);
}

void cafe__html_text_reset(cafe__html_text_t *t, const cafe__html_encoding_t *enc) {
    t->len = 0;
    t->space = 0;
    t->truncated = 0;
    t->ref = REF_NONE;
    t->nref = 0;
    t->buf[0] = 0;
    cafe__html_decoder_set(&t->dec, enc);
}

void cafe__html_text_close(cafe__html_text_t *t) {
    cafe__html_decoder_close(&t->dec);
}

/* Resolves a named reference read so far ("&" + alnum*, maybe ';'): RCDATA decodes the
 * longest table name it starts with, ';' or not; the rest is text. */
static void end_named(cafe__html_text_t *t) {
    const cafe__html_entity_t *e = cafe__html_entity_longest(t->refbuf + 1, t->nref - 1);
    size_t used = 0;
    if (e) {
        put_cp(t, e->cp[0]);
        if (e->cp[1])
            put_cp(t, e->cp[1]);
        used = 1 + e->len;
    }
    put_utf8(t, t->refbuf + used, t->nref - used);
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
        put_utf8(t, t->refbuf, t->nref);
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

void cafe__html_text_feed(cafe__html_text_t *t, const unsigned char *p, size_t n) {
    const unsigned char *end = p + n;
    while (p < end) {
        if (t->ref != REF_NONE) {
            if (ref_byte(t, *p))
                p++;
            continue;
        }
        const unsigned char *amp = memchr(p, '&', (size_t)(end - p));
        const unsigned char *stop = amp ? amp : end;
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

void cafe__html_text_end(cafe__html_text_t *t, int at_eof) {
    if (t->ref != REF_NONE)
        end_ref(t, -1);
    cafe__html_decode(&t->dec, (const unsigned char *)"", 0,
                      at_eof ? CAFE__DECODE_EOF : CAFE__DECODE_BEFORE_ASCII, put_utf8, t);
    t->buf[t->len] = 0;
}
