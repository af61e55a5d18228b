/* The decoders against the Encoding Standard: every byte of every single-byte encoding
 * against its index; every code point of every multi-byte index decoded from the bytes the
 * standard's pointer arithmetic gives; gb18030 as the bijection onto Unicode it is; the
 * standard's error and "restore to the stream" rules on hand-worked cases; and every case
 * split at every byte giving the same output as whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "html/encoding.h"
#include "html/indexes.h"

typedef struct buf {
    char s[1 << 16];
    size_t n;
} buf_t;

static void put(void *ctx, const char *p, size_t n) {
    buf_t *b = ctx;
    assert_true(b->n + n <= sizeof b->s);
    memcpy(b->s + b->n, p, n);
    b->n += n;
}

/* Valid UTF-8, U+0000 allowed (the decoders pass NUL through; the title replaces it). */
static int valid_utf8(const char *s, size_t n) {
    const char *nul;
    while ((nul = memchr(s, 0, n)) != NULL) {
        if (nul > s && !test_utf8_valid(s, (size_t)(nul - s)))
            return 0;
        n -= (size_t)(nul - s) + 1, s = nul + 1;
    }
    return n == 0 || test_utf8_valid(s, n);
}

static const cafe__html_encoding_t *enc(const char *label) {
    const cafe__html_encoding_t *e = cafe__html_encoding_get(label, strlen(label));
    assert_non_null(e);
    return e;
}

/* Decodes p[0..n) in chunks cut at `cut` (0: whole; SIZE_MAX: byte by byte). */
static void decode(const cafe__html_encoding_t *e, const void *p, size_t n, size_t cut,
                   buf_t *out) {
    cafe__html_decoder_t d;
    cafe__html_decoder_init(&d);
    cafe__html_decoder_set(&d, e);
    out->n = 0;
    const unsigned char *s = p;
    if (cut == SIZE_MAX) {
        for (size_t i = 0; i < n; i++)
            cafe__html_decode(&d, s + i, 1, 0, put, out);
        cafe__html_decode(&d, s, 0, 1, put, out);
    } else if (cut > 0 && cut < n) {
        cafe__html_decode(&d, s, cut, 0, put, out);
        cafe__html_decode(&d, s + cut, n - cut, 1, put, out);
    } else {
        cafe__html_decode(&d, s, n, 1, put, out);
    }
    cafe__html_decoder_close(&d);
    assert_true(valid_utf8(out->s, out->n));
    assert_true(out->n <= 3 * n);
}

/* Decoding `bytes` gives exactly the code points cps (0-terminated). */
static int decodes_to(const cafe__html_encoding_t *e, const void *bytes, size_t n,
                      const uint32_t *cps) {
    static buf_t got;
    char want[64];
    size_t wn = 0;
    for (; *cps; cps++)
        wn += cafe__html_utf8_put(want + wn, *cps);
    decode(e, bytes, n, 0, &got);
    if (got.n == wn && memcmp(got.s, want, wn) == 0)
        return 1;
    fprintf(stderr, "%s:", e->name);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %02X", ((const unsigned char *)bytes)[i]);
    fprintf(stderr, " gave %.*s, want %.*s\n", (int)got.n, got.s, (int)wn, want);
    return 0;
}

static int decodes_to_cp(const cafe__html_encoding_t *e, const void *bytes, size_t n, uint32_t cp) {
    uint32_t cps[2] = {cp, 0};
    return decodes_to(e, bytes, n, cps);
}

/* All 256 bytes of every single-byte encoding, and x-user-defined. */
static void test_single_byte_all_bytes(void **state) {
    (void)state;
    size_t singles = 0;
    for (size_t i = 0; cafe__html_encoding_at(i); i++) {
        const cafe__html_encoding_t *e = cafe__html_encoding_at(i);
        if (e->kind != CAFE__ENC_SINGLE && e->kind != CAFE__ENC_USER)
            continue;
        singles++;
        for (unsigned b = 0; b < 256; b++) {
            unsigned char c = (unsigned char)b;
            uint32_t want = b;
            if (b >= 0x80 && e->table)
                want = e->table[b - 0x80] ? e->table[b - 0x80] : 0xFFFD;
            else if (b >= 0x80)
                want = 0xF780 + b - 0x80;
            if (b == 0) { /* U+0000 is a byte of output, not a terminator */
                buf_t *got = malloc(sizeof *got);
                decode(e, &c, 1, 0, got);
                assert_true(got->n == 1 && got->s[0] == 0);
                free(got);
                continue;
            }
            assert_true(decodes_to_cp(e, &c, 1, want));
        }
    }
    assert_int_equal(singles, 29); /* 28 single-byte encodings (8859-8 twice) + user */
}

/* Spot checks of the indexes against the standard's published tables. */
static void test_single_byte_known(void **state) {
    (void)state;
    static const struct {
        const char *label;
        unsigned char byte;
        uint32_t cp;
    } known[] = {
        {"koi8-u", 0x93, 0x2320},         {"koi8-u", 0x96, 0x221A},
        {"koi8-u", 0x9F, 0xF7},           {"koi8-u", 0xAE, 0x045E},
        {"macintosh", 0xC6, 0x2206},      {"macintosh", 0xF0, 0xF8FF},
        {"x-mac-cyrillic", 0xFF, 0x20AC}, {"windows-1255", 0xCA, 0x05BA},
        {"windows-1258", 0xFF, 0xFF},     {"windows-1252", 0x80, 0x20AC},
        {"windows-1252", 0x81, 0x81},     {"iso-8859-3", 0xA5, 0xFFFD},
        {"windows-874", 0xDB, 0xFFFD},    {"iso-8859-8-i", 0xFD, 0x200E},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        assert_true(decodes_to_cp(enc(known[i].label), &known[i].byte, 1, known[i].cp));
}

static uint32_t big5_cp(size_t p) {
    uint32_t v = cafe__html_index_big5[p];
    return v && (cafe__html_index_big5_plane2[p / 8] >> (p % 8) & 1) ? v + 0x20000 : v;
}

/* Every pointer of the gb18030, Big5 and EUC-KR indexes, from its bytes. */
static void test_chinese_korean_indexes(void **state) {
    (void)state;
    size_t checked = 0;
    for (size_t p = 0; p < CAFE__INDEX_GB18030_LEN; p++) {
        unsigned t = p % 190;
        unsigned char b[2] = {(unsigned char)(p / 190 + 0x81),
                              (unsigned char)(t + (t < 0x3F ? 0x40 : 0x41))};
        assert_true(decodes_to_cp(enc("gb18030"), b, 2, cafe__html_index_gb18030[p]));
        assert_true(decodes_to_cp(enc("gbk"), b, 2, cafe__html_index_gb18030[p]));
        checked++;
    }
    for (size_t p = 0; p < CAFE__INDEX_BIG5_LEN; p++) {
        unsigned t = p % 157;
        unsigned char b[2] = {(unsigned char)(p / 157 + 0x81),
                              (unsigned char)(t + (t < 0x3F ? 0x40 : 0x62))};
        if (p == 1133 || p == 1135 || p == 1164 || p == 1166) {
            uint32_t pair[3] = {p < 1150 ? 0xCA : 0xEA, p == 1133 || p == 1164 ? 0x304 : 0x30C, 0};
            assert_true(decodes_to(enc("big5"), b, 2, pair));
        } else if (big5_cp(p)) {
            assert_true(decodes_to_cp(enc("big5"), b, 2, big5_cp(p)));
            checked++;
        }
    }
    for (size_t p = 0; p < CAFE__INDEX_EUC_KR_LEN; p++) {
        unsigned char b[2] = {(unsigned char)(p / 190 + 0x81), (unsigned char)(p % 190 + 0x41)};
        if (cafe__html_index_euc_kr[p]) {
            assert_true(decodes_to_cp(enc("euc-kr"), b, 2, cafe__html_index_euc_kr[p]));
            checked++;
        }
    }
    assert_true(checked > 23940 + 18000 + 17000);
}

/* Every pointer of jis0208 through EUC-JP, Shift_JIS and ISO-2022-JP; jis0212 through
 * EUC-JP; Shift_JIS's user-defined range. */
static void test_japanese_indexes(void **state) {
    (void)state;
    for (size_t p = 0; p < CAFE__INDEX_JIS0208_LEN; p++) {
        unsigned lead = p / 188, t = p % 188;
        unsigned char sj[2] = {(unsigned char)(lead + (lead < 0x1F ? 0x81 : 0xC1)),
                               (unsigned char)(t + (t < 0x3F ? 0x40 : 0x41))};
        uint32_t want = p >= 8836 && p <= 10715 ? 0xE000 - 8836 + p : cafe__html_index_jis0208[p];
        if (want)
            assert_true(decodes_to_cp(enc("shift_jis"), sj, 2, want));
        if (p >= 94 * 94 || !cafe__html_index_jis0208[p])
            continue;
        unsigned char euc[2] = {(unsigned char)(p / 94 + 0xA1), (unsigned char)(p % 94 + 0xA1)};
        assert_true(decodes_to_cp(enc("euc-jp"), euc, 2, want));
        unsigned char iso[5] = {0x1B, '$', 'B', (unsigned char)(p / 94 + 0x21),
                                (unsigned char)(p % 94 + 0x21)};
        assert_true(decodes_to_cp(enc("iso-2022-jp"), iso, 5, want));
    }
    for (size_t p = 0; p < CAFE__INDEX_JIS0212_LEN; p++) {
        unsigned char euc[3] = {0x8F, (unsigned char)(p / 94 + 0xA1),
                                (unsigned char)(p % 94 + 0xA1)};
        if (cafe__html_index_jis0212[p])
            assert_true(decodes_to_cp(enc("euc-jp"), euc, 3, cafe__html_index_jis0212[p]));
    }
}

/* gb18030's four-byte sequence for a ranges pointer. */
static void gb_four(uint32_t p, unsigned char b[4]) {
    b[0] = (unsigned char)(p / 12600 + 0x81), p %= 12600;
    b[1] = (unsigned char)(p / 1260 + 0x30), p %= 1260;
    b[2] = (unsigned char)(p / 10 + 0x81);
    b[3] = (unsigned char)(p % 10 + 0x30);
}

/* The code point of a UTF-8 sequence the decoder wrote (valid, one character). */
static uint32_t utf8_cp(const buf_t *got) {
    unsigned char c0 = (unsigned char)got->s[0];
    uint32_t cp = got->n == 1 ? c0 : got->n == 2 ? c0 & 0x1Fu : got->n == 3 ? c0 & 0xFu : c0 & 0x7u;
    for (size_t k = 1; k < got->n; k++)
        cp = cp << 6 | ((unsigned char)got->s[k] & 0x3Fu);
    return cp;
}

/* gb18030 is a Unicode transformation format: its one-, two- and four-byte sequences reach
 * every scalar value once, but for the standard's exceptions: 0xA3A0 is U+3000 like
 * 0xA1A1, so U+E5E5 is reached by none; the byte 0x80 is U+20AC like 0xA2E3; and the 18
 * characters GB18030-2022 gave two-byte sequences (U+FE10-FE19, U+9FB4-9FBB) keep their
 * four-byte ones too, so the Private Use code points those two-byte sequences had are
 * reached by none. Both browsers decode so. */
static void test_gb18030_covers_unicode(void **state) {
    (void)state;
    unsigned char *seen = calloc(0x110000, 1);
    assert_non_null(seen);
    size_t dup = 0, missing = 0;
    for (uint32_t cp = 0; cp < 0x81; cp++)
        seen[cp == 0x80 ? 0x20AC : cp]++;
    for (size_t p = 0; p < CAFE__INDEX_GB18030_LEN; p++)
        dup += seen[cafe__html_index_gb18030[p]]++ > 0;
    static buf_t got;
    const cafe__html_encoding_t *gb = enc("gb18030");
    cafe__html_decoder_t d;
    cafe__html_decoder_set(&d, gb);
    for (uint32_t p = 0; p < 1237576; p = p == 39419 ? 189000 : p + 1) {
        unsigned char b[4];
        gb_four(p, b);
        got.n = 0; /* a million of them: without decode()'s checks, which others make */
        cafe__html_decode(&d, b, 4, CAFE__DECODE_EOF, put, &got);
        dup += seen[utf8_cp(&got)]++ > 0;
    }
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        if (seen[cp] || (cp >= 0xD800 && cp <= 0xDFFF))
            continue;
        missing++;
        assert_true(cp == 0xE5E5 || (cp >= 0xE78D && cp <= 0xE796) ||
                    (cp >= 0xE81E && cp <= 0xE864));
    }
    assert_int_equal(seen[0x3000], 2);
    assert_int_equal(seen[0x20AC], 2);
    for (uint32_t cp = 0xFE10; cp <= 0xFE19; cp++)
        assert_int_equal(seen[cp], 2);
    for (uint32_t cp = 0x9FB4; cp <= 0x9FBB; cp++)
        assert_int_equal(seen[cp], 2);
    assert_int_equal(dup, 2 + 18);
    assert_int_equal(missing, 1 + 18);
    free(seen);
    unsigned char b[4];
    gb_four(0, b);
    assert_true(decodes_to_cp(enc("gb18030"), b, 4, 0x80));
    assert_true(decodes_to_cp(enc("gb18030"), "\x84\x31\xA4\x39", 4, 0xFFFF));
    assert_true(decodes_to_cp(enc("gb18030"), "\x90\x30\x81\x30", 4, 0x10000));
    assert_true(decodes_to_cp(enc("gb18030"), "\xE3\x32\x9A\x35", 4, 0x10FFFF));
    assert_true(decodes_to_cp(enc("gb18030"), "\xE3\x32\x9A\x36", 4, 0xFFFD));
    assert_true(decodes_to_cp(enc("gb18030"), "\x84\x31\xA5\x30", 4, 0xFFFD));
}

/* Hand-worked cases of the standard's error handling; bytes in, UTF-8 out. */
static const struct rule {
    const char *label, *in, *want;
    size_t n; /* 0: strlen(in) */
} rules[] = {
    {"gbk", "\x80", "\xE2\x82\xAC", 0},
    {"gb18030", "\xA6\xD9\xFE\x59", "\xEF\xB8\x90\xE9\xBE\xB4", 0}, /* GB18030-2022 */
    {"gb18030", "\xFF", "\xEF\xBF\xBD", 0},
    {"gb18030", "\x81", "\xEF\xBF\xBD", 0},
    {"gb18030", "\x81\x30", "\xEF\xBF\xBD", 0},
    {"gb18030", "\x81\x30\x81", "\xEF\xBF\xBD", 0},
    {"gb18030", "\x81\x30\x20",
     "\xEF\xBF\xBD"
     "0 ",
     0},
    {"gb18030", "\x81\x30\x81\x20",
     "\xEF\xBF\xBD"
     "0\xEF\xBF\xBD ",
     0},
    {"gb18030", "\x81\x30\x81\x40",
     "\xEF\xBF\xBD"
     "0\xE4\xB8\x82",
     0},
    {"gb18030", "\x81\x20", "\xEF\xBF\xBD ", 0},
    {"gb18030", "\x81\x7F", "\xEF\xBF\xBD\x7F", 0},
    {"gb18030", "\x81\xFF", "\xEF\xBF\xBD", 0},
    {"big5", "\x88\x62\x88\x64", "\xC3\x8A\xCC\x84\xC3\x8A\xCC\x8C", 0},
    {"big5", "\x88\xA3\x88\xA5", "\xC3\xAA\xCC\x84\xC3\xAA\xCC\x8C", 0},
    {"big5", "\xA1\x20", "\xEF\xBF\xBD ", 0},
    {"big5", "\x80\xFF", "\xEF\xBF\xBD\xEF\xBF\xBD", 0},
    {"big5", "\xA4\x40\xA4", "\xE4\xB8\x80\xEF\xBF\xBD", 0},
    {"euc-kr", "\xB0\xA1\x80\xC9", "\xEA\xB0\x80\xEF\xBF\xBD\xEF\xBF\xBD", 0},
    {"euc-kr", "\x81\x41", "\xEA\xB0\x82", 0},
    {"euc-kr", "\xC9\x3A", "\xEF\xBF\xBD:", 0},
    {"euc-jp", "\x80\x8D\xA0", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 0},
    {"euc-jp", "\x8E\xB1\x8E\xE0", "\xEF\xBD\xB1\xEF\xBF\xBD", 0},
    {"euc-jp", "\x8F\xA2\xAF\x8F\xA1\x20", "\xCB\x98\xEF\xBF\xBD ", 0},
    {"euc-jp", "\xA4\xA2\xA4\x41",
     "\xE3\x81\x82\xEF\xBF\xBD"
     "A",
     0},
    {"shift_jis", "\x82\xA0\x80\xA1\xDF\xFD",
     "\xE3\x81\x82\xC2\x80\xEF\xBD\xA1\xEF\xBE\x9F\xEF\xBF\xBD", 0},
    {"shift_jis", "\xF0\x40\xF9\xFC", "\xEE\x80\x80\xEE\x9D\x97", 0},
    {"shift_jis", "\x81\x20\x81\xFD", "\xEF\xBF\xBD \xEF\xBF\xBD", 0},
    {"shift_jis", "\xA0\x81", "\xEF\xBF\xBD\xEF\xBF\xBD", 0},
    {"iso-2022-jp", "a\x1B$B\x30\x21\x1B(Bb",
     "a\xE4\xBA\x9C"
     "b",
     0},
    {"iso-2022-jp", "\x1B(Ba", "a", 0},
    {"iso-2022-jp", "\x1B(B\x1B(Ba",
     "\xEF\xBF\xBD"
     "a",
     0},
    {"iso-2022-jp", "\x1B$B\x1B(Ba",
     "\xEF\xBF\xBD"
     "a",
     0},
    {"iso-2022-jp", "\x1B(J\\~\x1B(I\x31\x1B(B\\", "\xC2\xA5\xE2\x80\xBE\xEF\xBD\xB1\\", 0},
    {"iso-2022-jp", "\x1B", "\xEF\xBF\xBD", 0},
    {"iso-2022-jp", "\x1B$", "\xEF\xBF\xBD$", 0},
    {"iso-2022-jp", "\x1B(X", "\xEF\xBF\xBD(X", 0},
    {"iso-2022-jp",
     "\x1B"
     "a",
     "\xEF\xBF\xBD"
     "a",
     0},
    {"iso-2022-jp", "\x0E\x0F\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 0},
    {"iso-2022-jp", "\x1B$B\x30", "\xEF\xBF\xBD", 0},
    {"iso-2022-jp", "\x1B$B\x30\x1B(Ba",
     "\xEF\xBF\xBD"
     "a",
     0},
    {"iso-2022-jp", "\x1B$B\x30\x0A", "\xEF\xBF\xBD", 0},
    {"iso-2022-jp", "\x1B$B\x0A", "\xEF\xBF\xBD", 0},
    {"iso-2022-jp", "\x1B(I\x60", "\xEF\xBF\xBD", 0},
    {"utf-16le", "A\0\x00\xD8\x00\xDC", "A\xF0\x90\x80\x80", 6},
    {"utf-16le",
     "\x00\xD8"
     "A\0",
     "\xEF\xBF\xBD"
     "A",
     4},
    {"utf-16le",
     "\x00\xDC"
     "A",
     "\xEF\xBF\xBD\xEF\xBF\xBD", 3},
    {"utf-16be", "\xD8\x00\xD8\x00\xDC\x00", "\xEF\xBF\xBD\xF0\x90\x80\x80", 6},
    {"utf-16be", "\xD8\x00", "\xEF\xBF\xBD", 2},
    {"replacement", "abc", "\xEF\xBF\xBD", 0},
    {"replacement", "", "", 0},
    {"x-user-defined", "a\x80\xFF", "a\xEF\x9E\x80\xEF\x9F\xBF", 0},
    {"utf-8", "\xF0\x90\x80\xC0\xE0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 0},
};

static void test_error_rules(void **state) {
    (void)state;
    static buf_t got;
    int bad = 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const struct rule *r = &rules[i];
        size_t n = r->n ? r->n : strlen(r->in);
        decode(enc(r->label), r->in, n, 0, &got);
        if (got.n != strlen(r->want) || memcmp(got.s, r->want, got.n) != 0) {
            fprintf(stderr, "rule %zu (%s): got '%.*s'\n", i, r->label, (int)got.n, got.s);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* The same output whole, split at any byte, and byte by byte. */
static void check_splits(const cafe__html_encoding_t *e, const unsigned char *p, size_t n) {
    static buf_t whole, part;
    decode(e, p, n, 0, &whole);
    for (size_t cut = 1; cut <= n; cut++) {
        decode(e, p, n, cut == n ? SIZE_MAX : cut, &part);
        if (part.n != whole.n || memcmp(part.s, whole.s, whole.n) != 0) {
            fprintf(stderr, "%s: split at %zu differs\n", e->name, cut);
            fail();
        }
    }
}

static void test_streaming(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const struct rule *r = &rules[i];
        check_splits(enc(r->label), (const unsigned char *)r->in, r->n ? r->n : strlen(r->in));
    }
    /* random strings, rich in the bytes that matter (leads, trails, ESC, digits) */
    static const unsigned char alphabet[] = {0x00, 0x1B, 0x24, 0x28, 0x30, 0x39, 0x40, 0x41, 0x42,
                                             0x49, 0x4A, 0x5C, 0x7E, 0x7F, 0x80, 0x81, 0x8E, 0x8F,
                                             0xA1, 0xA4, 0xDF, 0xE0, 0xFE, 0xFF, 0xD8, 0xDC};
    srand(17);
    unsigned char s[200];
    for (size_t i = 0; cafe__html_encoding_at(i); i++) {
        for (int round = 0; round < 20; round++) {
            size_t n = (size_t)(rand() % (int)sizeof s);
            for (size_t k = 0; k < n; k++)
                s[k] = rand() % 3 ? alphabet[rand() % (int)sizeof alphabet] : (unsigned char)rand();
            check_splits(cafe__html_encoding_at(i), s, n);
        }
    }
}

/* BEFORE_ASCII decodes as if the '<' after the input were read, without its output: the
 * same as decoding input + '<' to the end and dropping the final '<'. */
static void test_before_ascii(void **state) {
    (void)state;
    static buf_t with, before;
    unsigned char s[64];
    srand(42);
    for (size_t i = 0; cafe__html_encoding_at(i); i++) {
        const cafe__html_encoding_t *e = cafe__html_encoding_at(i);
        if (e->kind != CAFE__ENC_MULTI && e->kind != CAFE__ENC_UTF8)
            continue;
        for (int round = 0; round < 2000; round++) {
            size_t n = (size_t)(rand() % 6);
            for (size_t k = 0; k < n; k++)
                s[k] = (unsigned char)(rand() % 2 ? 0x80 + rand() % 128 : 0x30 + rand() % 10);
            s[n] = '<';
            decode(e, s, n + 1, 0, &with);
            cafe__html_decoder_t d;
            cafe__html_decoder_init(&d);
            cafe__html_decoder_set(&d, e);
            before.n = 0;
            cafe__html_decode(&d, s, n, CAFE__DECODE_BEFORE_ASCII, put, &before);
            assert_int_equal(d.nqueue, 0);
            assert_true(with.n == before.n + 1 && memcmp(with.s, before.s, before.n) == 0);
        }
    }
    assert_true(decodes_to(enc("gb18030"), "\xF5\x30\xF5<", 4,
                           (const uint32_t[]){0xFFFD, '0', 0xFFFD, '<', 0}));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_byte_all_bytes),
        cmocka_unit_test(test_single_byte_known),
        cmocka_unit_test(test_chinese_korean_indexes),
        cmocka_unit_test(test_japanese_indexes),
        cmocka_unit_test(test_gb18030_covers_unicode),
        cmocka_unit_test(test_error_rules),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_before_ascii),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
