/* Encodings of the WHATWG Encoding Standard: labels, and streaming decoders to UTF-8 that
 * are the standard's own algorithms over its index tables (indexes.c, generated from the
 * standard's data), error handling and "restore to the stream" rules included. */
#ifndef CAFE_HTML_ENCODING_H
#define CAFE_HTML_ENCODING_H

#include <stddef.h>
#include <stdint.h>

/* How bytes of an encoding relate to the tokenizer. */
typedef enum cafe__html_enc_kind {
    CAFE__ENC_UTF8,        /* UTF-8 */
    CAFE__ENC_SINGLE,      /* one byte per character, ASCII below 0x80 */
    CAFE__ENC_MULTI,       /* ASCII-compatible multi-byte (Shift_JIS, GBK, ...) */
    CAFE__ENC_USER,        /* x-user-defined */
    CAFE__ENC_WIDE,        /* not ASCII-compatible (UTF-16, ISO-2022-JP): decoded first */
    CAFE__ENC_REPLACEMENT, /* the whole input decodes to one U+FFFD */
} cafe__html_enc_kind_t;

/* Which of the standard's decoders. */
typedef enum cafe__html_dec_id {
    CAFE__DEC_UTF8,
    CAFE__DEC_SINGLE, /* driven by cafe__html_encoding_t.table */
    CAFE__DEC_USER,
    CAFE__DEC_REPLACEMENT,
    CAFE__DEC_GB18030, /* GBK's decoder is gb18030's */
    CAFE__DEC_BIG5,
    CAFE__DEC_EUCJP,
    CAFE__DEC_ISO2022JP,
    CAFE__DEC_SJIS,
    CAFE__DEC_EUCKR,
    CAFE__DEC_UTF16LE,
    CAFE__DEC_UTF16BE,
} cafe__html_dec_id_t;

typedef struct cafe__html_encoding {
    const char *name; /* WHATWG name */
    cafe__html_enc_kind_t kind;
    cafe__html_dec_id_t dec;
    const uint16_t *table; /* single-byte: code points of 0x80-0xFF (0: none), else NULL */
} cafe__html_encoding_t;

extern const cafe__html_encoding_t cafe__html_enc_utf8;
extern const cafe__html_encoding_t cafe__html_enc_utf16le;
extern const cafe__html_encoding_t cafe__html_enc_utf16be;
extern const cafe__html_encoding_t cafe__html_enc_windows1252;

/* "Get an encoding": the encoding for a label (ASCII whitespace around it and ASCII case
 * ignored), or NULL. */
const cafe__html_encoding_t *cafe__html_encoding_get(const char *label, size_t len);

/* Transport charset: a bare label, or the charset of a whole Content-Type value as the HTTP
 * client reads one (common/content_type.h). */
const cafe__html_encoding_t *cafe__html_encoding_transport(const char *value);

/* Every encoding of the standard, for tests and fuzzing; NULL past the last one. */
const cafe__html_encoding_t *cafe__html_encoding_at(size_t i);

/* Receives decoded UTF-8 (always valid, whole characters). */
typedef void (*cafe__html_sink_fn)(void *ctx, const char *utf8, size_t len);

/* A streaming decoder: the state the standard's decoders keep between bytes, plus the bytes
 * they restored to the stream and have not read again. Fixed size; allocates nothing.
 * Lifecycle: init → set? → decode* (the last with `final`) → close. */
typedef struct cafe__html_decoder {
    const cafe__html_encoding_t *enc;
    /* UTF-8: code point so far, bytes seen/needed, bounds of the next byte */
    unsigned u8_cp, u8_seen, u8_need, u8_lo, u8_hi;
    /* gb18030 first/second/third; `first` is the lead byte of the other multi-byte decoders
     * (ISO-2022-JP's lead too) and UTF-16's lead byte */
    uint8_t first, second, third;
    uint8_t has_lead;           /* UTF-16: `first` holds a byte (0x00 is one) */
    uint8_t jis0212;            /* EUC-JP: the lead was 0x8F */
    uint8_t iso_state, iso_out; /* ISO-2022-JP decoder state and output state */
    uint8_t iso_output;         /* ISO-2022-JP output flag */
    uint8_t replaced;           /* replacement: its one U+FFFD was given */
    uint8_t error;              /* an error was decoded (a U+FFFD for no character): XML's
                                   decoding is fatal at the first (xml.c). Set just before
                                   the sink call that gives the error's U+FFFD alone; all
                                   output before it went out without it */
    uint16_t surrogate;         /* UTF-16 lead surrogate, 0 if none */
    uint8_t queue[8];           /* bytes restored to the stream, queue[0] read next */
    uint8_t nqueue;
} cafe__html_decoder_t;

void cafe__html_decoder_init(cafe__html_decoder_t *d);
/* Switches to `enc` in its initial state; pending bytes are dropped. */
void cafe__html_decoder_set(cafe__html_decoder_t *d, const cafe__html_encoding_t *enc);
/* How the bytes given to cafe__html_decode end. */
enum {
    CAFE__DECODE_MORE = 0, /* more bytes follow through this decoder */
    CAFE__DECODE_EOF = 1,  /* the input ends here (the standard's end-of-queue): an incomplete
                              sequence becomes U+FFFD */
    /* The stream goes on with an ASCII byte the caller keeps (the tokenizer's '<' or '&'):
     * decoded exactly as if that byte were read, without its own output; so gb18030's
     * "restore" rules give what they give in a browser, where the decoder does read it.
     * For an encoding that is not ASCII-compatible (UTF-16, ISO-2022-JP), as EOF. */
    CAFE__DECODE_BEFORE_ASCII = 2,
};

/* Decodes n bytes to sink; `end` is one of CAFE__DECODE_*. After EOF or BEFORE_ASCII the
 * decoder is in its initial state (ISO-2022-JP keeps its shift state, as the standard's
 * does). Never fails. Output is at most 3 bytes of UTF-8 per input byte. */
void cafe__html_decode(cafe__html_decoder_t *d, const unsigned char *p, size_t n, int end,
                       cafe__html_sink_fn sink, void *ctx);
/* Releases nothing today (the decoder owns no resource); kept so owners need not know. */
void cafe__html_decoder_close(cafe__html_decoder_t *d);

/* Encodes code point cp as UTF-8 into out (4 bytes room); returns the length. */
size_t cafe__html_utf8_put(char *out, unsigned cp);

/* 1 when p[0..n) is valid UTF-8 (the decoder's rule: no U+FFFD would be made); with cut_ok,
 * a sequence cut short by the end counts as valid too (the rest may follow). Allocates
 * nothing, calls nothing: it is on every record's path (cafe_utf8_valid). */
int cafe__html_utf8_scan(const unsigned char *p, size_t n, int cut_ok);
/* The length of the valid multi-byte sequence at p, whole within n bytes; 0 if there is
 * none (p[0] is not a lead byte, a byte is out of its bounds, or the sequence is cut). */
size_t cafe__html_utf8_seq(const unsigned char *p, size_t n);

#endif
