/* The title of a page served as XML (application/xhtml+xml, text/xml, application/xml,
 * image/svg+xml), as a browser's XML parser and document.title give it: expat (Firefox's own
 * XML parser) over the page decoded to UTF-8 by the Encoding Standard's decoders, the
 * encoding from the BOM, the transport charset or the XML declaration, in that order.
 * title.c drives it in CAFE_TITLE_XML mode (cafe_title_set_mode says what it does). */
#ifndef CAFE_HTML_XML_H
#define CAFE_HTML_XML_H

#include "cafe.h"
#include "html/encoding.h"

#include <stddef.h>

typedef struct cafe__xml cafe__xml_t;

/* One allocation (about 6 KiB) and expat's parser; NULL when memory ran out. Lifecycle:
 * new → (start → feed* → finish)* → free; one thread at a time. */
cafe__xml_t *cafe__xml_new(void);
/* Starts a page; `transport` is the transport charset's encoding, or NULL. What the last
 * page made the parser hold beyond 64 KiB is given back first. Returns 0, or CAFE_ENOMEM
 * when a new parser could not be made (then only free may follow, or start again). */
int cafe__xml_start(cafe__xml_t *x, const cafe__html_encoding_t *transport);
/* 1 when start was called and no byte has been fed since. */
int cafe__xml_fresh(const cafe__xml_t *x);
/* The next n bytes of the page; returns 1 once the result is final (the title ended, or under
 * an SVG root the document with it, the document is not well-formed, or the encoding is the
 * replacement one). */
int cafe__xml_feed(cafe__xml_t *x, const unsigned char *p, size_t n);
/* A stall: the encoding is decided on the bytes held so far (no declaration yet: UTF-8), and
 * an SVG root's title complete so far is final. Returns as feed. */
int cafe__xml_pause(cafe__xml_t *x);
/* The end of the page (cut: the reader stopped early, and an SVG root's complete title stays
 * though the rest is unread): the result is final. */
void cafe__xml_finish(cafe__xml_t *x, int cut);
/* The title (NUL-terminated UTF-8, *len its length) once final, or NULL when none. */
const char *cafe__xml_title(const cafe__xml_t *x, size_t *len, int *truncated);
/* Once final without a title: why the page was not well-formed before one ended (static
 * storage) and where (*line, *col 1-based, 0 when unknown); NULL when it was, as far as it
 * was read. */
const char *cafe__xml_error(const cafe__xml_t *x, unsigned long *line, unsigned long *col);
/* The encoding decided so far (NULL: not yet) and how. */
const cafe__html_encoding_t *cafe__xml_encoding(const cafe__xml_t *x,
                                                cafe_charset_source_t *source);
void cafe__xml_free(cafe__xml_t *x);

#endif
