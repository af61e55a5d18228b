#include "text.h"
#include "cafe/title.h"
#include "msg.h"
#include "termchar.h"

#include <errno.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

static size_t plain_bytes(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n && p[i] >= 0x20 && p[i] < 0x7F && p[i] != '\\')
        i++;
    return i;
}

/* The length of the run of printable ASCII other than '\\' at the start of p[0..n) (every
 * record's URL and title go through here): a word of bytes at a time, the last word read
 * again where it overlaps. */
#ifdef __SSE2__
/* Of 16 bytes, a bit per byte < 0x20, >= 0x7F or '\\' (as signed bytes, those from 0x80 on are
 * below 0x20 too). Exact per byte: no carries between them. */
static unsigned special16(__m128i x) {
    __m128i ctl = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20));
    __m128i del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F));
    __m128i bsl = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(del, bsl)));
}

/* 16 bytes at a time; 8 to 15 bytes as their first 8 and their last 8 in one register. */
static size_t plain_run(const unsigned char *p, size_t n) {
    if (n < 8)
        return plain_bytes(p, n);
    if (n < 16) {
        unsigned m = special16(_mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)p),
                                                  _mm_loadl_epi64((const __m128i *)(p + n - 8))));
        return m & 0xFF ? (size_t)__builtin_ctz(m) : m ? n - 8 + (size_t)__builtin_ctz(m >> 8) : n;
    }
    for (size_t i = 0;; i += 16) {
        size_t at = n - i >= 16 ? i : n - 16; /* before i, all are plain: no bit for them */
        unsigned m = special16(_mm_loadu_si128((const __m128i *)(p + at)));
        if (m)
            return at + (size_t)__builtin_ctz(m);
        if (at + 16 == n)
            return n;
    }
}
#else
/* Of 8 bytes, a high bit set in each byte < 0x20, >= 0x7F or '\\'. Exact for the lowest
 * such byte (a borrow or carry only runs upwards, from a byte that is one itself). */
static uint64_t special8(const unsigned char *p) {
    const uint64_t ones = 0x0101010101010101u, highs = ones * 0x80;
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t b = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | (x + ones) | x | ((b - ones) & ~b)) & highs;
}

/* 8 bytes at a time. */
static size_t plain_run(const unsigned char *p, size_t n) {
    if (n < 8)
        return plain_bytes(p, n);
    for (size_t i = 0;; i += 8) {
        size_t at = n - i >= 8 ? i : n - 8; /* before i, all are plain: no bit for them */
        uint64_t m = special8(p + at);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (m) /* the lowest bit is the first byte in memory */
            return at + (size_t)__builtin_ctzll(m) / 8;
#else
        if (m)
            return at + plain_bytes(p + at, 8);
#endif
        if (at + 8 == n)
            return n;
    }
}
#endif

/* Appends s for a terminal, a run of safe bytes at a time. The rule: a backslash is
 * written \\, a control character, DEL, a C1 control or an invalid byte \xNN, a character of
 * term_reorders() \uNNNN; everything else as it is. So what is shown is unambiguous: a title
 * holding the text "\x1b" shows "\\x1b", never what an escaped ESC shows. */
static inline void append_safe(outbuf_t *o, const char *s, int ascii) {
    if (!s) /* a record that lost a string to a failed allocation */
        return;
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s), *run = p;
    /* The run of non-ASCII bytes p is in ends at `high`; when all of it is valid UTF-8 (one
     * cafe_utf8_valid for the run, not one a character) `valid` is its end too, and its
     * characters are decoded without a check. */
    const unsigned char *high = p, *valid = p;
    for (;;) {
        p += plain_run(p, (size_t)(end - p));
        if (p == end)
            break;
        uint32_t cp = 0;
        size_t len;
        if (*p < 0x80) {
            len = *p == '\\';
        } else {
            if (p >= high) {
                for (high = p; high < end && *high >= 0x80;)
                    high++;
                valid = cafe_utf8_valid((const char *)p, (size_t)(high - p)) ? high : p;
            }
            if (p < valid) { /* its characters as they are, up to one to escape */
                for (; p < valid; p += len) {
                    len = term_lead_len(*p);
                    cp = term_code_point(p, len);
                    if (cp < 0xA0 || term_reorders(cp) || ascii)
                        break;
                }
                if (p == valid)
                    continue;
            } else { /* at most 4 bytes read, never past the NUL: it is no continuation byte */
                len = term_utf8_char(p, 4, &cp);
            }
        }
        if (len > 0 && cp >= 0xA0 && !term_reorders(cp) && !ascii) {
            p += len;
            continue;
        }
        outbuf_put(o, (const char *)run, (size_t)(p - run));
        if (*p == '\\')
            outbuf_put(o, "\\\\", 2);
        else if (len > 0 && cp >= 0xA0 && cp > 0xFFFF) /* one escape, not a UTF-16 pair */
            outbuf_printf(o, "\\U%08x", (unsigned)cp);
        else if (len > 0 && cp >= 0xA0)
            outbuf_printf(o, "\\u%04x", (unsigned)cp);
        else
            outbuf_printf(o, "\\x%02x", len == 0 ? p[0] : (unsigned)cp);
        p += len ? len : 1;
        run = p;
    }
    outbuf_put(o, (const char *)run, (size_t)(p - run));
}

void text_append_safe(outbuf_t *o, const char *s) {
    append_safe(o, s, 0);
}

void text_append_ascii(outbuf_t *o, const char *s, int ascii) {
    append_safe(o, s, ascii);
}

const char *text_safe_copy(char *buf, size_t size, const char *s) {
    outbuf_t o = {0};
    append_safe(&o, s, msg_ascii());
    size_t n = o.oom ? 0 : o.len;
    if (n >= size) /* not in the middle of a character (all is valid UTF-8 now) */
        for (n = size - 1; n > 0 && ((unsigned char)o.p[n] & 0xC0) == 0x80;)
            n--;
    if (n)
        memcpy(buf, o.p, n);
    buf[n] = '\0';
    outbuf_free(&o);
    return buf;
}

int text_put_safe(FILE *f, const char *s) {
    return text_put_ascii(f, s, 0);
}

int text_put_ascii(FILE *f, const char *s, int ascii) {
    outbuf_t o = {0};
    append_safe(&o, s, ascii);
    int rc = o.oom                                        ? -ENOMEM
             : o.len && fwrite(o.p, 1, o.len, f) != o.len ? (errno ? -errno : -EIO)
                                                          : 0; /* o.p is NULL when empty */
    outbuf_free(&o);
    return rc;
}
