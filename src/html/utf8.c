/* cafe_utf8_repair and cafe_utf8_valid: the UTF-8 decoder of decode.c, so that the rule is
 * written once. */
#include "html/encoding.h"
#include "cafe/title.h"

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

char *cafe_utf8_repair(const char *s, size_t n, size_t *len) {
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

/* Compares the decoder's output with the input as it comes: valid input is decoded to
 * itself, and any repair differs from what it replaced (U+FFFD takes the place of bytes that
 * are not U+FFFD's own). */
typedef struct same {
    const char *s;
    size_t n, at;
    int differs;
} same_t;

static void compare(void *ctx, const char *utf8, size_t len) {
    same_t *c = ctx;
    if (!c->differs && (len > c->n - c->at || memcmp(c->s + c->at, utf8, len) != 0))
        c->differs = 1;
    c->at += len;
}

int cafe_utf8_valid(const char *s, size_t n) {
    same_t c = {s, n, 0, 0};
    decode_all(s, n, compare, &c);
    return !c.differs && c.at == n;
}
