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
    unsigned char *keep;                    /* the copy cafe__html_text_keep asked for, or NULL */
    size_t nkeep, keep_cap;
    unsigned long lookups; /* named references looked up since the reset (bounded work: tests) */
    cafe__html_decoder_t dec;
    char buf[CAFE_TITLE_MAX + 1]; /* the value, NUL-terminated by cafe__html_text_end */
} cafe__html_text_t;

void cafe__html_text_init(cafe__html_text_t *t);
/* Starts an empty value whose raw bytes are in `enc`. */
void cafe__html_text_reset(cafe__html_text_t *t, const cafe__html_encoding_t *enc);
/* Raw bytes of the title element's text, in order, split anywhere. */
void cafe__html_text_feed(cafe__html_text_t *t, const unsigned char *p, size_t n);
/* How the title's text ended (cafe__html_text_end's `how`). */
enum {
    CAFE__TEXT_END_TAG = 0, /* at its end tag (whose '<' the decoder treats as read: gb18030's
                               restore rules depend on it) */
    CAFE__TEXT_EOF = 1,     /* at the end of input: what is open is text, a cut character
                               U+FFFD */
    CAFE__TEXT_CUT = 2,     /* where the caller stopped reading: a character or a reference
                               still open is left out (the rest could have made it another) */
};
/* The title's text ended, `how` says where. */
void cafe__html_text_end(cafe__html_text_t *t, int how);
void cafe__html_text_close(cafe__html_text_t *t);

/* From now on, keeps a copy of the raw text fed in buf[0..cap) (NULL: none), from which
 * cafe__html_text_replay gives the same value in any ASCII-compatible encoding. The copy is
 * compact, so that a title of any length keeps what the cap lets through in every encoding:
 * a run of whitespace is kept as its first byte, each character a reference gave as '&' and
 * its UTF-8 (a whitespace one as that byte), and an '&' that began no reference as "&&"
 * (whitespace ends a character in every decoder as the '&' before a reference does). Every
 * byte kept gives at least half a byte of value (gb18030's four-byte sequences give two), so
 * a copy of four times CAFE_TITLE_MAX holds all the cap lets through; what does not fit is
 * dropped, in whole units. The buffer stays the caller's; nkeep says how much of it is used;
 * cafe__html_text_reset leaves both alone. */
void cafe__html_text_keep(cafe__html_text_t *t, unsigned char *buf, size_t cap);
/* Feeds a kept copy (after cafe__html_text_reset to the encoding wanted) as the text it
 * keeps: call cafe__html_text_end after it as after that text. It adds nothing to the copy. */
void cafe__html_text_replay(cafe__html_text_t *t, const unsigned char *p, size_t n);

#endif
