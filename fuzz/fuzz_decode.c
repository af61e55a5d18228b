/* libFuzzer target for every decoder of the Encoding Standard (src/html/decode*.c). Input:
 * byte 0 picks the encoding, byte 1 where to cut, the rest is the bytes to decode. Checks,
 * beyond what ASan and UBSan see: the output is valid UTF-8 (U+0000 included: the decoders
 * pass NUL through) and at most 3 bytes per input byte; fed whole, cut in two, and byte by
 * byte it is the same; ended BEFORE_ASCII it is what ending with '<' gives, minus the '<'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_utf8.h"
#include "html/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_IN = 8192 };

typedef struct out {
    char s[3 * (MAX_IN + 1)];
    size_t n;
} out_t;

static void put(void *ctx, const char *p, size_t n) {
    out_t *o = ctx;
    if (n > sizeof o->s - o->n)
        abort(); /* more than 3 bytes of output per byte of input */
    memcpy(o->s + o->n, p, n);
    o->n += n;
}

/* Decodes p[0..n): cut there (n: whole; 0: byte by byte), ended as `end` says. */
static void run(const cafe__html_encoding_t *e, const uint8_t *p, size_t n, size_t cut, int end,
                out_t *o) {
    cafe__html_decoder_t d;
    cafe__html_decoder_init(&d);
    cafe__html_decoder_set(&d, e);
    o->n = 0;
    if (cut == 0) {
        for (size_t i = 0; i < n; i++)
            cafe__html_decode(&d, p + i, 1, CAFE__DECODE_MORE, put, o);
        cafe__html_decode(&d, p, 0, end, put, o);
    } else {
        cafe__html_decode(&d, p, cut, cut == n ? end : CAFE__DECODE_MORE, put, o);
        if (cut < n)
            cafe__html_decode(&d, p + cut, n - cut, end, put, o);
    }
    cafe__html_decoder_close(&d);
    fuzz_check_utf8(o->s, o->n);
    if (o->n > 3 * n)
        abort();
}

static int same(const out_t *a, const out_t *b) {
    return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static out_t whole, part, with;
    static uint8_t plus[MAX_IN + 1];
    if (size < 2 || size - 2 > MAX_IN)
        return 0;
    size_t count = 0;
    while (cafe__html_encoding_at(count))
        count++;
    const cafe__html_encoding_t *e = cafe__html_encoding_at(data[0] % count);
    const uint8_t *p = data + 2;
    size_t n = size - 2, cut = n ? 1 + data[1] % n : 0;
    run(e, p, n, n, CAFE__DECODE_EOF, &whole);
    run(e, p, n, cut, CAFE__DECODE_EOF, &part);
    if (!same(&whole, &part))
        abort();
    run(e, p, n, 0, CAFE__DECODE_EOF, &part);
    if (!same(&whole, &part))
        abort();
    if (e->kind == CAFE__ENC_MULTI || e->kind == CAFE__ENC_UTF8 || e->kind == CAFE__ENC_SINGLE) {
        memcpy(plus, p, n);
        plus[n] = '<';
        run(e, plus, n + 1, n + 1, CAFE__DECODE_EOF, &with);
        run(e, p, n, n, CAFE__DECODE_BEFORE_ASCII, &part);
        if (with.n != part.n + 1 || memcmp(with.s, part.s, part.n) != 0)
            abort();
    }
    return 0;
}
