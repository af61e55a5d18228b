/* Streaming decoding to UTF-8. UTF-8 and x-user-defined follow the Encoding standard to
 * the letter; the other encodings go through glibc iconv, with the standard's error rules
 * approximated where iconv stops: an invalid byte becomes U+FFFD; in a multi-byte encoding
 * a lead byte and a non-ASCII trail byte that do not form a character become one U+FFFD,
 * while an ASCII byte after a lead byte is kept (the standard puts it back in the stream);
 * in a single-byte encoding an unmapped byte 0x80-0x9F is the C1 control of that value (the
 * standard's windows-125x indexes say so). */
#include <errno.h>
#include <string.h>

#include "html/encoding.h"

static const char replacement[] = "\xEF\xBF\xBD";

size_t cafe__html_utf8_put(char *out, unsigned cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

void cafe__html_decoder_init(cafe__html_decoder_t *d) {
    memset(d, 0, sizeof *d);
    d->cd = (iconv_t)-1;
    d->enc = &cafe__html_enc_utf8;
}

void cafe__html_decoder_set(cafe__html_decoder_t *d, const cafe__html_encoding_t *enc) {
    d->enc = enc;
    d->npend = 0;
    d->u8_need = 0;
    if (d->cd != (iconv_t)-1)
        iconv(d->cd, NULL, NULL, NULL, NULL); /* back to the initial shift state */
}

void cafe__html_decoder_close(cafe__html_decoder_t *d) {
    if (d->cd != (iconv_t)-1)
        iconv_close(d->cd);
    d->cd = (iconv_t)-1;
}

/* The Encoding standard's UTF-8 decoder: one U+FFFD per maximal invalid subpart. Valid
 * runs are passed through without copying. */
static void decode_utf8(cafe__html_decoder_t *d, const unsigned char *p, size_t n, int final,
                        cafe__html_sink_fn sink, void *ctx) {
    size_t run = 0; /* start of the pending valid run in p */
    for (size_t i = 0; i < n; i++) {
        unsigned b = p[i];
        if (d->u8_need == 0) {
            if (b < 0x80)
                continue;
            if (i > run)
                sink(ctx, (const char *)p + run, i - run);
            run = i + 1;
            d->u8_lo = 0x80, d->u8_hi = 0xBF;
            if (b >= 0xC2 && b <= 0xDF) {
                d->u8_need = 1, d->u8_cp = b & 0x1F;
            } else if (b >= 0xE0 && b <= 0xEF) {
                d->u8_lo = b == 0xE0 ? 0xA0 : 0x80, d->u8_hi = b == 0xED ? 0x9F : 0xBF;
                d->u8_need = 2, d->u8_cp = b & 0xF;
            } else if (b >= 0xF0 && b <= 0xF4) {
                d->u8_lo = b == 0xF0 ? 0x90 : 0x80, d->u8_hi = b == 0xF4 ? 0x8F : 0xBF;
                d->u8_need = 3, d->u8_cp = b & 0x7;
            } else {
                sink(ctx, replacement, 3);
            }
            d->u8_seen = 0;
            continue;
        }
        if (b < d->u8_lo || b > d->u8_hi) {
            d->u8_need = 0;
            sink(ctx, replacement, 3);
            run = i;
            i--; /* the byte starts over */
            continue;
        }
        d->u8_lo = 0x80, d->u8_hi = 0xBF;
        d->u8_cp = (d->u8_cp << 6) | (b & 0x3F);
        if (++d->u8_seen == d->u8_need) {
            char out[4];
            d->u8_need = 0;
            sink(ctx, out, cafe__html_utf8_put(out, d->u8_cp));
            run = i + 1;
        }
    }
    if (n > run && d->u8_need == 0)
        sink(ctx, (const char *)p + run, n - run);
    if (final && d->u8_need) {
        d->u8_need = 0;
        sink(ctx, replacement, 3);
    }
}

static void decode_user(const unsigned char *p, size_t n, cafe__html_sink_fn sink, void *ctx) {
    for (size_t i = 0; i < n; i++) {
        char out[4];
        unsigned cp = p[i] < 0x80 ? p[i] : 0xF780u + p[i] - 0x80u;
        sink(ctx, out, cafe__html_utf8_put(out, cp));
    }
}

/* A byte that starts a two-byte sequence in Shift_JIS, EUC-KR, Big5, GBK or EUC-JP (the
 * union of their lead ranges, near enough for error recovery). */
static int is_lead(const cafe__html_decoder_t *d, unsigned char c) {
    return d->enc->kind == CAFE__ENC_MULTI && c >= 0x81 && c <= 0xFE;
}

/* What an invalid byte at p[0] turns into; returns how many bytes it covers. */
static size_t invalid(const cafe__html_decoder_t *d, const unsigned char *p, size_t n,
                      cafe__html_sink_fn sink, void *ctx) {
    if (d->enc->kind == CAFE__ENC_SINGLE && p[0] >= 0x80 && p[0] <= 0x9F) {
        char out[2];
        sink(ctx, out, cafe__html_utf8_put(out, p[0]));
        return 1;
    }
    sink(ctx, replacement, 3);
    if (d->enc->kind == CAFE__ENC_WIDE && d->enc->iconv && strncmp(d->enc->iconv, "UTF-16", 6) == 0)
        return n >= 2 ? 2 : n;
    if (is_lead(d, p[0]) && n >= 2 && p[1] >= 0x80)
        return 2;
    return 1;
}

static int open_iconv(cafe__html_decoder_t *d) {
    if (d->cd != (iconv_t)-1 && d->cd_enc == d->enc)
        return 0;
    cafe__html_decoder_close(d);
    d->cd = iconv_open("UTF-8", d->enc->iconv);
    d->cd_enc = d->enc;
    return d->cd == (iconv_t)-1 ? -1 : 0;
}

/* Converts as much as possible; returns how many bytes at the end form an incomplete
 * sequence left unconverted (0 when final). */
static size_t run_iconv(cafe__html_decoder_t *d, const unsigned char *p, size_t n, int final,
                        cafe__html_sink_fn sink, void *ctx) {
    char buf[1024];
    while (n > 0) {
        char *in = (char *)p, *out = buf;
        size_t inleft = n, outleft = sizeof buf;
        size_t r = iconv(d->cd, &in, &inleft, &out, &outleft);
        int err = r == (size_t)-1 ? errno : 0;
        if (out > buf)
            sink(ctx, buf, (size_t)(out - buf));
        p = (const unsigned char *)in, n = inleft;
        if (err == EILSEQ && n == 1 && !final && is_lead(d, p[0]))
            return 1; /* whether the next byte goes with it is decided when it comes */
        if (err == EILSEQ) {
            size_t skip = invalid(d, p, n, sink, ctx);
            p += skip, n -= skip;
        } else if (err == EINVAL) {
            if (!final)
                return n;
            sink(ctx, replacement, 3);
            return 0;
        } else if (err != E2BIG && err != 0) {
            return 0; /* cannot happen with a valid descriptor */
        }
    }
    return 0;
}

static void decode_without_iconv(const unsigned char *p, size_t n, cafe__html_sink_fn sink,
                                 void *ctx) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x80)
            sink(ctx, (const char *)p + i, 1);
        else
            sink(ctx, replacement, 3);
    }
}

static void decode_iconv(cafe__html_decoder_t *d, const unsigned char *p, size_t n, int final,
                         cafe__html_sink_fn sink, void *ctx) {
    if (open_iconv(d) < 0) {
        decode_without_iconv(p, n, sink, ctx);
        return;
    }
    if (d->npend > 0) {
        /* Complete the pending sequence with a few new bytes: 16 more always decide it. */
        unsigned char tmp[sizeof d->pend + 16];
        size_t take = n < 16 ? n : 16;
        memcpy(tmp, d->pend, d->npend);
        memcpy(tmp + d->npend, p, take);
        size_t left = run_iconv(d, tmp, d->npend + take, final && take == n, sink, ctx);
        if (left > take) { /* still incomplete: every new byte went into it */
            memmove(d->pend, tmp + d->npend + take - left, left);
            d->npend = left;
            return;
        }
        d->npend = 0;
        p += take - left, n -= take - left;
    }
    size_t left = run_iconv(d, p, n, final, sink, ctx);
    if (left > sizeof d->pend) { /* no encoding has sequences this long: give up on them */
        sink(ctx, replacement, 3);
        left = 0;
    }
    memcpy(d->pend, p + n - left, left);
    d->npend = left;
}

void cafe__html_decode(cafe__html_decoder_t *d, const unsigned char *p, size_t n, int final,
                       cafe__html_sink_fn sink, void *ctx) {
    switch (d->enc->kind) {
    case CAFE__ENC_UTF8:
        decode_utf8(d, p, n, final, sink, ctx);
        break;
    case CAFE__ENC_USER:
        decode_user(p, n, sink, ctx);
        break;
    case CAFE__ENC_REPLACEMENT:
        if (n > 0)
            sink(ctx, replacement, 3);
        break;
    default:
        decode_iconv(d, p, n, final, sink, ctx);
        break;
    }
}
