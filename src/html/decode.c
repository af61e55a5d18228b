/* Streaming decoding to UTF-8, exactly as the Encoding Standard decodes: UTF-8,
 * x-user-defined, replacement and the single-byte encodings here; the multi-byte encodings'
 * handlers (decode_cjk.c, decode_jp.c, decode_utf16.c) are driven here one byte at a time,
 * bytes they restore to the stream read again first. Output is buffered and handed to the
 * sink in whole characters. */
#include <string.h>

#include "html/hot.h"
#include "html/decode_step.h"

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

/* Decoded UTF-8 on its way to the sink. */
typedef struct out {
    char buf[512];
    size_t len;
    cafe__html_sink_fn sink;
    void *ctx;
} out_t;

static void out_flush(out_t *o) {
    if (o->len > 0)
        o->sink(o->ctx, o->buf, o->len);
    o->len = 0;
}

/* cp is a scalar value, or 0xFFFD for an error. */
static void out_cp(out_t *o, uint32_t cp) {
    if (o->len > sizeof o->buf - 4)
        out_flush(o);
    if (cp < 0x80)
        o->buf[o->len++] = (char)cp;
    else
        o->len += cafe__html_utf8_put(o->buf + o->len, cp);
}

/* An error's U+FFFD, in a sink call of its own with the error already noted: what came
 * before went out without it, so a U+FFFD the page really holds is never taken for it. */
static void out_error(cafe__html_decoder_t *d, out_t *o) {
    out_flush(o);
    d->error = 1;
    out_cp(o, 0xFFFD);
    out_flush(o);
}

void cafe__html_decoder_init(cafe__html_decoder_t *d) {
    cafe__html_decoder_set(d, &cafe__html_enc_utf8);
}

CAFE__HOT void cafe__html_decoder_set(cafe__html_decoder_t *d, const cafe__html_encoding_t *enc) {
    memset(d, 0, sizeof *d);
    d->enc = enc;
}

void cafe__html_decoder_close(cafe__html_decoder_t *d) {
    (void)d;
}

void cafe__html_restore(cafe__html_decoder_t *d, const uint8_t *bytes, size_t n) {
    /* The handlers restore at most 3 bytes in place of at least one they read, so the queue
     * never holds more than 4 (gb18030's worst case); 8 is room enough. */
    memmove(d->queue + n, d->queue, d->nqueue);
    memcpy(d->queue, bytes, n);
    d->nqueue = (uint8_t)(d->nqueue + n);
}

int cafe__html_lead_end(cafe__html_decoder_t *d, int byte, uint32_t cp[2]) {
    if (cp[0])
        return 1;
    if (byte < 0x80) {
        uint8_t b = (uint8_t)byte;
        cafe__html_restore(d, &b, 1);
    }
    return CAFE__STEP_ERROR;
}

int cafe__html_lead_start(cafe__html_decoder_t *d, int byte, uint32_t cp[2], int is_lead) {
    if (byte < 0x80) {
        cp[0] = (uint32_t)byte;
        return 1;
    }
    if (!is_lead)
        return CAFE__STEP_ERROR;
    d->first = (uint8_t)byte;
    return CAFE__STEP_CONTINUE;
}

/* The Encoding standard's UTF-8 decoder: one U+FFFD per maximal invalid subpart. Valid
 * runs are passed through without copying. */
static void decode_utf8(cafe__html_decoder_t *d, const unsigned char *p, size_t n, int final,
                        cafe__html_sink_fn sink, void *ctx) {
    size_t run = 0; /* start of the pending valid run in p */
    for (size_t i = 0; i < n; i++) {
        if (d->u8_need == 0) {
            while (i < n && p[i] < 0x80) /* ASCII, most of any page: a tight loop */
                i++;
            if (i == n)
                break;
        }
        unsigned b = p[i];
        if (d->u8_need == 0) {
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
                d->error = 1;
                sink(ctx, replacement, 3);
            }
            d->u8_seen = 0;
            continue;
        }
        if (b < d->u8_lo || b > d->u8_hi) {
            d->u8_need = 0;
            d->error = 1;
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
        d->error = 1;
        sink(ctx, replacement, 3);
    }
}

/* Single-byte decoder: ASCII as is, 0x80-0xFF through the encoding's index (none: error).
 * x-user-defined is the same with 0xF780 + byte - 0x80 for the high half. */
static void decode_single(cafe__html_decoder_t *d, const unsigned char *p, size_t n, out_t *o) {
    const cafe__html_encoding_t *enc = d->enc;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = p[i];
        if (cp >= 0x80 && enc->table && enc->table[cp - 0x80])
            cp = enc->table[cp - 0x80];
        else if (cp >= 0x80 && enc->table) {
            out_error(d, o);
            continue;
        } else if (cp >= 0x80)
            cp = 0xF780u + cp - 0x80u;
        out_cp(o, cp);
    }
}

static cafe__html_step_fn step_of(cafe__html_dec_id_t id) {
    switch (id) {
    case CAFE__DEC_GB18030:
        return cafe__html_step_gb18030;
    case CAFE__DEC_BIG5:
        return cafe__html_step_big5;
    case CAFE__DEC_EUCJP:
        return cafe__html_step_eucjp;
    case CAFE__DEC_ISO2022JP:
        return cafe__html_step_iso2022jp;
    case CAFE__DEC_SJIS:
        return cafe__html_step_sjis;
    case CAFE__DEC_EUCKR:
        return cafe__html_step_euckr;
    default:
        return cafe__html_step_utf16;
    }
}

/* The standard's "run": read a byte (restored ones first; the end of the queue once the
 * input is spent, at EOF), hand it to the handler, act on the result. BEFORE_ASCII reads
 * an ASCII byte after the input, and stops once it is decoded as itself: the ASCII-
 * compatible decoders either do that or restore it, always as the stream's last byte. */
static void decode_steps(cafe__html_decoder_t *d, const unsigned char *p, size_t n, int end,
                         out_t *o) {
    cafe__html_step_fn step = step_of(d->enc->dec);
    if (end == CAFE__DECODE_BEFORE_ASCII && d->enc->kind != CAFE__ENC_MULTI)
        end = CAFE__DECODE_EOF;
    /* The ASCII-compatible multi-byte decoders with no lead byte pending give an ASCII
     * byte as is: no need to call them. */
    int ascii_fast = d->enc->kind == CAFE__ENC_MULTI, ascii_read = 0;
    size_t i = 0;
    for (;;) {
        int byte, ascii = 0; /* ascii: byte is the one BEFORE_ASCII stands for */
        if (d->nqueue > 0) {
            byte = d->queue[0];
            memmove(d->queue, d->queue + 1, --d->nqueue);
            ascii = ascii_read && d->nqueue == 0;
        } else if (i < n) {
            byte = p[i++];
            if (byte < 0x80 && ascii_fast && d->first == 0) {
                out_cp(o, (uint32_t)byte); /* what every handler of `ascii_fast` returns */
                continue;
            }
        } else if (end == CAFE__DECODE_BEFORE_ASCII && !ascii_read) {
            byte = '<', ascii = ascii_read = 1;
        } else if (end == CAFE__DECODE_EOF) {
            byte = CAFE__EOQ;
        } else {
            break;
        }
        uint32_t cp[2];
        int r = step(d, byte, cp);
        if (r == CAFE__STEP_FINISHED || (ascii && r == 1))
            break;
        if (r == CAFE__STEP_ERROR)
            out_error(d, o);
        else
            for (int k = 0; k < r; k++)
                out_cp(o, cp[k]);
    }
}

/* The replacement decoder: one U+FFFD for the whole input if it is not empty. */
static void decode_replacement(cafe__html_decoder_t *d, size_t n, out_t *o) {
    if (n > 0 && !d->replaced) {
        d->replaced = 1;
        out_cp(o, 0xFFFD);
    }
}

void cafe__html_decode(cafe__html_decoder_t *d, const unsigned char *p, size_t n, int end,
                       cafe__html_sink_fn sink, void *ctx) {
    if (d->enc->dec == CAFE__DEC_UTF8) { /* an ASCII byte ends a sequence as EOF does */
        decode_utf8(d, p, n, end != CAFE__DECODE_MORE, sink, ctx);
        return;
    }
    out_t o;
    o.len = 0, o.sink = sink, o.ctx = ctx;
    switch (d->enc->dec) {
    case CAFE__DEC_SINGLE:
    case CAFE__DEC_USER:
        decode_single(d, p, n, &o);
        break;
    case CAFE__DEC_REPLACEMENT:
        decode_replacement(d, n, &o);
        break;
    default:
        decode_steps(d, p, n, end, &o);
        break;
    }
    out_flush(&o);
}
