/* The DOCTYPE token that decides quirks mode (HTML standard 13.2.5.53-13.2.5.68 and the
 * "initial" insertion mode, 13.2.6.4.1), read byte by byte across chunks.
 *
 * Quirks mode matters to the title in one rule of tree construction: in quirks mode a
 * <table> start tag leaves an open <p> open, and what stays open decides which later end
 * tags close foreign content (tree.c). Limited-quirks mode acts as no-quirks there, so it is
 * not told apart. */
#ifndef CAFE_HTML_DOCTYPE_H
#define CAFE_HTML_DOCTYPE_H

#include <stdint.h>

/* Bytes kept of each identifier: more than the longest string the rules compare with. */
#define CAFE__DOCTYPE_ID_MAX 96

typedef struct cafe__html_doctype {
    uint8_t state;        /* DT_* (doctype.c) */
    uint8_t quote;        /* the quote the identifier being read ends at */
    uint8_t keyword;      /* 'p' or 's': the keyword being matched after the name */
    uint8_t matched;      /* its bytes matched so far */
    uint8_t force_quirks; /* the standard's force-quirks flag */
    uint8_t name;         /* bytes of "html" matched, or NAME_OTHER */
    uint8_t has_public, has_system;
    uint8_t len[2];                       /* public, system: lengths, saturated at 255 */
    char id[2][CAFE__DOCTYPE_ID_MAX + 1]; /* their first bytes, ASCII lowercase */
} cafe__html_doctype_t;

/* Just after "<!DOCTYPE". */
void cafe__html_doctype_start(cafe__html_doctype_t *d);
/* Reads [p, end) up to the '>' that ends the token; returns where it stopped: after that
 * '>' (the token is complete), or end. */
const unsigned char *cafe__html_doctype_feed(cafe__html_doctype_t *d, const unsigned char *p,
                                             const unsigned char *end);
/* 1 when the complete token puts the document in quirks mode. */
int cafe__html_doctype_quirks(const cafe__html_doctype_t *d);

#endif
