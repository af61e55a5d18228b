/* Encoding declarations in <meta>: the prescan of the first bytes, and the content
 * attribute's charset= (used by the prescan and by the tokenizer for later metas). */
#ifndef CAFE_HTML_PRESCAN_H
#define CAFE_HTML_PRESCAN_H

#include "html/encoding.h"

/* The encoding a <meta> in p[0..n) declares, or NULL when none does within these bytes
 * (the caller gives the first 1024 bytes of the page, or all of it when shorter). */
const cafe__html_encoding_t *cafe__html_prescan(const unsigned char *p, size_t n);

/* The prescan of the markup that starts in p[0..limit): a <meta> that starts there is read
 * to its end within p[0..n), as both Chromium and Firefox read one that starts within the
 * first 1024 bytes, however long. *cut is set when p ends inside such a <meta> (or a prefix
 * of "<meta"): more bytes may still declare the encoding. */
const cafe__html_encoding_t *cafe__html_prescan_to(const unsigned char *p, size_t n, size_t limit,
                                                   int *cut);

/* "Extract a character encoding from a meta element": the charset= in a content value. */
const cafe__html_encoding_t *cafe__html_meta_content_charset(const char *s, size_t n);

/* Where the part of a content value s[0..n) that can still decide its charset starts, with
 * no character references in it and every run of whitespace one byte: the first "charset"
 * followed by whitespace and '=' (nothing before it matters, and a label after it that
 * could be one is short), or, with none, the last 8 bytes ("charset" and a whitespace may
 * become one). A longer value may drop what comes before. */
size_t cafe__html_meta_content_start(const char *s, size_t n);

/* The encoding an XML declaration heading an HTML page declares, as Chromium and Firefox
 * read it when no <meta> did (and the HTML standard's "get an XML encoding"): p[0..n), the
 * page's first bytes, starts with "<?xml", and before its first '>' the first "encoding" is
 * followed by '=' and a quoted label, with bytes up to 0x20 allowed around the '=' and none
 * in the label; as for a <meta>, UTF-16 means UTF-8 (but x-user-defined is itself). Or a
 * UTF-16 one: p starts with "<?x" in UTF-16LE or UTF-16BE (no BOM), and that is the
 * encoding. NULL for none. */
const cafe__html_encoding_t *cafe__html_xml_declaration(const unsigned char *p, size_t n);

/* p[0..n) starts with "<?xml" and holds no '>': the declaration is cut, and both browsers read
 * it to its '>' however far (the caller holds bytes to HEAD_MAX for it). */
int cafe__html_xml_declaration_cut(const unsigned char *p, size_t n);

/* What a <meta> may declare: UTF-16 means UTF-8 and x-user-defined windows-1252 there. */
const cafe__html_encoding_t *cafe__html_encoding_for_meta(const cafe__html_encoding_t *e);

#endif
