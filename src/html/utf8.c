/* cafe_utf8_repair: the UTF-8 decoder of decode.c. cafe_utf8_valid and the detector's
 * check: the same rule (the Encoding Standard's bounds on each byte after a lead byte) as a
 * plain scan, since they run on every record and every undeclared page; a test compares it
 * with the decoder's verdict. */
#include "html/encoding.h"
#include "cafe/title.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
    char *buf;
    size_t len;
} out_t;

static void append(void *ctx, const char *utf8, size_t len) {
    out_t *o = ctx;
    memcpy(o->buf + o->len, utf8, len);
    o->len += len;
}

/* Runs the decoder over s[0..n) to sink, as one final chunk. */
static void decode_all(const char *s, size_t n, cafe__html_sink_fn sink, void *ctx) {
    cafe__html_decoder_t d;
    cafe__html_decoder_init(&d);
    cafe__html_decoder_set(&d, &cafe__html_enc_utf8);
    cafe__html_decode(&d, (const unsigned char *)s, n, 1, sink, ctx);
    cafe__html_decoder_close(&d);
}

/* NULL bytes with a length: no error to return (NULL is "out of memory", 0 is "invalid"), so
 * the call is named and the process aborts, as a SIGSEGV at the first read would not. */
static _Noreturn void null_bytes(const char *call) {
    fprintf(stderr, "cafe: %s given NULL bytes with a length\n", call);
    abort();
}

char *cafe_utf8_repair(const char *s, size_t n, size_t *len) {
    if (__builtin_expect(!s && n > 0, 0))
        null_bytes("cafe_utf8_repair");
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    out_t o = {malloc(n * 3 + 1), 0}; /* the decoder's bound: 3 bytes out per byte in */
    if (!o.buf)
        return NULL;
    decode_all(s, n, append, &o);
    o.buf[o.len] = '\0';
    if (len)
        *len = o.len;
    return o.buf;
}

/* The length of the sequence lead byte c starts and the bounds of its second byte, or 0 for
 * a byte that cannot start one. */
static size_t lead(unsigned c, unsigned *lo, unsigned *hi) {
    *lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    *hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    return c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
}

size_t cafe__html_utf8_seq(const unsigned char *p, size_t n) {
    unsigned lo, hi;
    size_t len = lead(p[0], &lo, &hi);
    if (len == 0 || len > n)
        return 0;
    for (size_t k = 1; k < len; k++, lo = 0x80, hi = 0xBF)
        if (p[k] < lo || p[k] > hi)
            return 0;
    return len;
}

int cafe__html_utf8_scan(const unsigned char *p, size_t n, int cut_ok) {
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        unsigned lo, hi;
        size_t len = lead(p[i], &lo, &hi);
        if (len == 0 || (!cut_ok && len > n - i))
            return 0;
        for (size_t k = 1; k < len && i + k < n; k++, lo = 0x80, hi = 0xBF)
            if (p[i + k] < lo || p[i + k] > hi)
                return 0;
        i += len;
    }
    return 1;
}

int cafe_utf8_valid(const char *s, size_t n) {
    if (__builtin_expect(!s && n > 0, 0))
        null_bytes("cafe_utf8_valid");
    return cafe__html_utf8_scan((const unsigned char *)s, n, 0);
}
