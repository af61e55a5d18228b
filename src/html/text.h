/* The title's value: raw text of the title element in, document.title out. Decodes the
 * page's encoding and character references (RCDATA rules), replaces NUL, strips and
 * collapses ASCII whitespace, and keeps at most CAFE_TITLE_MAX bytes of UTF-8. */
#ifndef CAFE_HTML_TEXT_H
#define CAFE_HTML_TEXT_H

#include "cafe.h"
#include "html/charref.h"
#include "html/encoding.h"

typedef struct cafe__html_text {
    size_t len;
    int space;     /* whitespace seen since the last character kept */
    int truncated; /* a character did not fit: nothing more is kept */
    int ref;       /* state of the character reference being read (0: none) */
    uint32_t ref_value;
    size_t nref;
    char refbuf[CAFE__HTML_ENTITY_MAX + 4]; /* "&" + name or "&#x" + digits read so far */
    cafe__html_decoder_t dec;
    char buf[CAFE_TITLE_MAX + 1]; /* the value, NUL-terminated by cafe__html_text_end */
} cafe__html_text_t;

void cafe__html_text_init(cafe__html_text_t *t);
/* Starts an empty value whose raw bytes are in `enc`. */
void cafe__html_text_reset(cafe__html_text_t *t, const cafe__html_encoding_t *enc);
/* Raw bytes of the title element's text, in order, split anywhere. */
void cafe__html_text_feed(cafe__html_text_t *t, const unsigned char *p, size_t n);
/* The title's text ended: at its end tag (whose '<' the decoder treats as read: gb18030's
 * restore rules depend on it), or at the end of input (at_eof). */
void cafe__html_text_end(cafe__html_text_t *t, int at_eof);
void cafe__html_text_close(cafe__html_text_t *t);

#endif
