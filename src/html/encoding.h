/* Encodings of the WHATWG Encoding standard: labels, and decoding to UTF-8 through iconv
 * (UTF-8 and x-user-defined are decoded here, exactly as the standard says). */
#ifndef CAFE_HTML_ENCODING_H
#define CAFE_HTML_ENCODING_H

#include <iconv.h>
#include <stddef.h>

/* How bytes of an encoding relate to the tokenizer. */
typedef enum cafe__html_enc_kind {
    CAFE__ENC_UTF8,        /* decoded here */
    CAFE__ENC_SINGLE,      /* one byte per character, ASCII below 0x80 */
    CAFE__ENC_MULTI,       /* ASCII-compatible multi-byte (Shift_JIS, GBK, ...) */
    CAFE__ENC_USER,        /* x-user-defined: decoded here */
    CAFE__ENC_WIDE,        /* not ASCII-compatible (UTF-16, ISO-2022-JP): decoded first */
    CAFE__ENC_REPLACEMENT, /* the whole input decodes to one U+FFFD */
} cafe__html_enc_kind_t;

typedef struct cafe__html_encoding {
    const char *name;  /* WHATWG name */
    const char *iconv; /* glibc iconv name closest to the WHATWG index */
    cafe__html_enc_kind_t kind;
} cafe__html_encoding_t;

extern const cafe__html_encoding_t cafe__html_enc_utf8;
extern const cafe__html_encoding_t cafe__html_enc_utf16le;
extern const cafe__html_encoding_t cafe__html_enc_utf16be;
extern const cafe__html_encoding_t cafe__html_enc_windows1252;

/* "Get an encoding": the encoding for a label (ASCII whitespace around it and ASCII case
 * ignored), or NULL. */
const cafe__html_encoding_t *cafe__html_encoding_get(const char *label, size_t len);

/* Transport charset: a bare label, or the charset parameter of a Content-Type value. */
const cafe__html_encoding_t *cafe__html_encoding_transport(const char *value);

/* Receives decoded UTF-8 (always valid). */
typedef void (*cafe__html_sink_fn)(void *ctx, const char *utf8, size_t len);

/* A streaming decoder. Lifecycle: init → decode* → close. Holds at most a few bytes of an
 * incomplete sequence between calls. */
typedef struct cafe__html_decoder {
    const cafe__html_encoding_t *enc;
    iconv_t cd; /* (iconv_t)-1 until first needed */
    const cafe__html_encoding_t *cd_enc;
    unsigned char pend[8];
    size_t npend;
    /* UTF-8 decoder state (WHATWG): code point so far, bytes seen/needed, bounds */
    unsigned u8_cp, u8_seen, u8_need, u8_lo, u8_hi;
} cafe__html_decoder_t;

void cafe__html_decoder_init(cafe__html_decoder_t *d);
/* Switches to `enc` and drops any pending bytes; keeps the iconv descriptor if it fits. */
void cafe__html_decoder_set(cafe__html_decoder_t *d, const cafe__html_encoding_t *enc);
/* Decodes n bytes to sink. `final`: the sequence ends here, so an incomplete character at
 * the end becomes U+FFFD. Never fails: should iconv not open the encoding, ASCII bytes pass
 * and every other byte becomes U+FFFD. */
void cafe__html_decode(cafe__html_decoder_t *d, const unsigned char *p, size_t n, int final,
                       cafe__html_sink_fn sink, void *ctx);
void cafe__html_decoder_close(cafe__html_decoder_t *d);

/* Encodes code point cp as UTF-8 into out (4 bytes room); returns the length. */
size_t cafe__html_utf8_put(char *out, unsigned cp);

#endif
