/* cafe's decoders on the command line, for tests/browser/decoders.py: reads lines
 * "LABEL<TAB>MODE<TAB>HEX" on stdin and writes, for each, the hex of the UTF-8 the decoder
 * gives for those bytes (a line "?" when LABEL names no encoding). MODE e: the bytes are the
 * whole input (EOF after them); a: an ASCII byte the caller keeps follows them
 * (CAFE__DECODE_BEFORE_ASCII, as the title's text before '<' or '&'); b: fed one byte at a
 * time, then EOF. */
#include <stdio.h>
#include <string.h>

#include "html/encoding.h"

static char out[1 << 20];
static size_t nout;

static void put(void *ctx, const char *p, size_t n) {
    (void)ctx;
    if (n > sizeof out - nout)
        n = sizeof out - nout; /* at most 3 bytes per input byte: never cut */
    memcpy(out + nout, p, n);
    nout += n;
}

static int hex(int c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

int main(void) {
    static char line[1 << 19];
    static unsigned char in[1 << 18];
    while (fgets(line, sizeof line, stdin)) {
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2)
            return 2;
        size_t n = 0;
        for (const char *p = t2 + 1; p[0] && p[0] != '\n' && p[1]; p += 2)
            in[n++] = (unsigned char)(hex(p[0]) << 4 | hex(p[1]));
        const cafe__html_encoding_t *e = cafe__html_encoding_get(line, (size_t)(t1 - line));
        if (!e) {
            puts("?");
            continue;
        }
        cafe__html_decoder_t d;
        cafe__html_decoder_init(&d);
        cafe__html_decoder_set(&d, e);
        nout = 0;
        if (t1[1] == 'b') {
            for (size_t i = 0; i < n; i++)
                cafe__html_decode(&d, in + i, 1, CAFE__DECODE_MORE, put, NULL);
            cafe__html_decode(&d, in, 0, CAFE__DECODE_EOF, put, NULL);
        } else {
            cafe__html_decode(
                &d, in, n, t1[1] == 'a' ? CAFE__DECODE_BEFORE_ASCII : CAFE__DECODE_EOF, put, NULL);
        }
        cafe__html_decoder_close(&d);
        for (size_t i = 0; i < nout; i++)
            printf("%02x", (unsigned char)out[i]);
        putchar('\n');
    }
    return 0;
}
