/* cafe/title.h — streaming <title> extraction: what a browser's document.title gives.
 *
 * Included by cafe.h; may also be included alone.
 *
 * Bad arguments: as cafe.h says. Only cafe_title_create, cafe_title_set_mode and
 * cafe_title_extract return error codes (CAFE_EINVAL for a NULL out, extractor or title); every
 * other call given a NULL extractor, and cafe_title_feed, cafe_utf8_repair and cafe_utf8_valid
 * given NULL bytes with a length, write a line naming the call on stderr and abort.
 *
 * The extractor follows the WHATWG HTML tokenizer (every state that can hide or reveal a
 * title: comments, bogus comments, DOCTYPE, RCDATA, RAWTEXT, script data with its escaped
 * states, PLAINTEXT, CDATA in foreign content) and the part of tree construction that
 * decides which <title> is the document's (not one inside <svg>/<math> unless an HTML
 * integration point makes it HTML, not one inside <template>, not one after <frameset>; the
 * first one in tree order wins, one foster-parented before a table ahead of one in it; an
 * unclosed title runs to the end of input). The value is the title's text with character
 * references decoded (full named table), NUL replaced by U+FFFD, converted to UTF-8 from the
 * page's encoding (invalid bytes become U+FFFD), ASCII whitespace stripped at both ends and
 * collapsed inside.
 *
 * Encoding, in the WHATWG order: byte order mark; the transport charset given by the
 * caller; the <meta> prescan of the first 1024 bytes; else windows-1252. A <meta> charset
 * found later while the encoding is still that fallback (in the head: before </head>, a
 * <template> or the body) switches to it, as browsers do; one naming the replacement
 * encoding leaves no title, unless an all-ASCII title was final already. When nothing declared the
 * encoding and the title holds non-ASCII bytes, it is detected, as the standard allows: non-ASCII
 * bytes that are valid UTF-8 are UTF-8; otherwise uchardet decides, its answer taken through the
 * WHATWG label table, with the URL's top-level domain as a hint when the evidence is thin
 * (cafe_title_set_url) and, then too, an answer (or, for no answer, windows-1252) that does not
 * read the title as text giving way to one that does (under a domain that names no encodings,
 * a CJK one when the title's bytes are CJK characters of common use and the answer reads no
 * word written as words are: GBK "中文" is not windows-1251's "ЦРОД"); else windows-1252
 * stays. An undeclared ASCII title (or none) needs none of this, but its page's encoding is
 * still detected (by uchardet, valid UTF-8 and UTF-16 without a BOM staying windows-1252) when
 * the first 1024 bytes, held for the prescan anyway, hold non-ASCII bytes: both browsers name
 * that text's encoding. uchardet
 * (libuchardet.so.0, a C++ library) is loaded with dlopen at the first page that needs it, so a
 * process that never meets one never loads it; where it cannot be loaded, it gives no answer. To
 * give it enough evidence the extractor may want more of the page after the title (at most 64 KiB
 * in all); pages with a declared encoding or an ASCII title never do. cafe_title_charset_source()
 * says which step decided.
 *
 * Memory: one allocation per extractor, of fixed size (about 11 KiB: the 1024-byte prescan
 * window, the title buffer, the tokenizer with its stack of open elements, the decoders)
 * and, only while no declaration fixed the encoding, a 16 KiB copy of the title's text
 * (compact: whitespace runs and character references take a few bytes, so it holds a title
 * of any length up to the cap) to decode it again should a later <meta> or the detection
 * change the encoding, and the detector's state (uchardet's, some tens of KiB) for
 * undeclared pages with a non-ASCII title. Nothing is allocated per byte. Pages read in
 * CAFE_TITLE_XML mode (cafe_title_set_mode) use, besides, an XML parser made at the first of
 * them and kept: about 6 KiB and expat's own memory, capped at 1 MiB, with at most 1 MiB more
 * of input held back while expat is inside a token that large (more than 64 KiB of both is
 * given back at the next page). Decoding is the
 * WHATWG Encoding Standard's, for every encoding it defines.
 */
#ifndef CAFE_TITLE_H
#define CAFE_TITLE_H

#include "cafe.h" /* the error codes */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest title kept, in bytes of UTF-8 (without the terminating NUL). A longer title
 * is cut at a character boundary at or below this limit, and cafe_title_truncated says so. */
#define CAFE_TITLE_MAX 4096

/* With no declared encoding, a <meta> charset the prescan missed counts only when it ends
 * within this many bytes of the page: a head that never ends (NULs, whitespace, a comment or a
 * script after the title, on to the end of the page) would otherwise keep the title waiting
 * for one to the end. Browsers read later ones too, but Chromium keeps the title it decoded
 * from the first network chunks, so past them they differ. */
#define CAFE_TITLE_LATE_META 65536

/* Extractor state. Lifecycle: cafe_title_create → cafe_title_feed* → (cafe_title_finish) →
 * read the result → cafe_title_free; cafe_title_reset starts over for another page. Owned by
 * its creator; used by one thread at a time. */
typedef struct cafe_title cafe_title_t;

/* Creates an extractor. `charset` is the transport charset: an encoding label ("utf-8",
 * "Shift_JIS", ...) or a whole Content-Type value (one holding a ';' or a '/': "text/html;
 * charset=koi8-r"), or NULL. A Content-Type value is read as cafe's HTTP client reads a
 * response's Content-Type headers joined with ", ", the Fetch standard's "extract a MIME
 * type": of a list, the last MIME type gives the charset ("text/html; charset=koi8-r,
 * text/html; charset=windows-1251" is windows-1251); a quoted value is unescaped
 * ("charset=\"win\\dows-1251\"" is windows-1251); a value whose type has no '/' is no MIME
 * type and gives none. Unknown labels are ignored, as browsers do. Returns 0, CAFE_ENOMEM,
 * or CAFE_EINVAL when out is NULL. */
int cafe_title_create(cafe_title_t **out, const char *charset);

/* Forgets the page fed so far and starts over with a new transport charset (may be NULL).
 * Cheaper than free + create: keeps the allocation. */
void cafe_title_reset(cafe_title_t *t, const char *charset);

/* Feeds the next `len` bytes of the page; chunks may be split anywhere, down to one byte.
 * Returns 1 when the result is final (the rest of the page cannot change it: the caller may
 * stop reading; further feeds are ignored), or 0 when more input is wanted. It never fails:
 * memory the encoding detector cannot get only shortens its evidence. The data is not kept
 * after the call returns.
 * When: at the title's end tag once the encoding is decided, i.e. after the first 1024
 * bytes unless a BOM, the transport charset or an early <meta> decided it sooner; with no
 * declared encoding, a title is final only at the first tag after the body started, or when
 * the head ends (a <meta> before either could still change its encoding, or name the
 * replacement encoding: no title),
 * or at byte CAFE_TITLE_LATE_META
 * and, when it has non-ASCII bytes, the detector has enough evidence (up to 64 KiB of the
 * page). A page with no title is final only at its end
 * (cafe_title_finish), or at <plaintext>. */
int cafe_title_feed(cafe_title_t *t, const void *data, size_t len);

/* Tells the extractor that the page's bytes stopped coming for a while (a stalled or slow
 * server; cafe titles calls it after 500 ms without one). As the HTML standard lets a browser
 * ("wait 500ms or 1024 bytes, whichever came first"), the encoding is decided on the bytes
 * held so far instead of waiting for 1024; and a title that is complete but for what could
 * still change it (a <meta> before the body, the detector's evidence, a <frameset>) is final
 * as read so far: what a browser shows while the page loads. Returns 1 when the result is
 * final (as cafe_title_feed's 1), 0 when no complete title has come yet: feeding goes on as
 * before, and a pause may be told again. */
int cafe_title_pause(cafe_title_t *t);

/* Marks the end of the page (EOF, or the caller stops early). Completes the result: an
 * unclosed title runs to here. Idempotent. Returns 1 if the page has a title, 0 if not. */
int cafe_title_finish(cafe_title_t *t);

/* cafe_title_finish for a page the caller stopped reading before its end (a size limit):
 * an unclosed title then ends before the start of an end tag its last bytes began ("<",
 * "</", "</ti" ... "</title"), a character whose bytes they cut or a character reference
 * still open ("&#x4E" of "&#x4E2D;", "&not" of "&notin;"), which the rest of the page would
 * have completed: the title is a prefix of the whole page's. At a page's real end those bytes
 * are text (a cut character U+FFFD), as in a browser: that is cafe_title_finish. Idempotent;
 * after either call the other changes nothing. Returns as cafe_title_finish. */
int cafe_title_finish_cut(cafe_title_t *t);

/* 1 once the result is final (a feed returned 1, or cafe_title_finish was called). */
int cafe_title_done(const cafe_title_t *t);

/* The title as NUL-terminated UTF-8 (always valid), or NULL when the page has no title
 * element (an empty title gives ""). Before the result is final it is NULL. The string
 * belongs to the extractor and stays valid until the next reset or free. `len` may be NULL. */
const char *cafe_title_text(const cafe_title_t *t, size_t *len);

/* 1 when the title was longer than CAFE_TITLE_MAX and was cut. */
int cafe_title_truncated(const cafe_title_t *t);

/* 1 when the title ran to the end of the input (cafe_title_finish) instead of ending at its
 * end tag: on a page cut short, it may be cut short too. */
int cafe_title_unclosed(const cafe_title_t *t);

/* The WHATWG name of the encoding used ("UTF-8", "windows-1252", "Shift_JIS", ...): the
 * one decided so far, final once the result is. Static storage. */
const char *cafe_title_encoding(const cafe_title_t *t);

/* How the encoding was found. */
typedef enum cafe_charset_source {
    CAFE_CHARSET_DEFAULT,  /* nothing declared or detected it: windows-1252, the fallback
                              (UTF-8 in CAFE_TITLE_XML mode) */
    CAFE_CHARSET_BOM,      /* a byte order mark */
    CAFE_CHARSET_HEADER,   /* the transport charset given to create or reset */
    CAFE_CHARSET_META,     /* a <meta> charset, by the prescan or later in the head */
    CAFE_CHARSET_DETECTED, /* detected from the bytes (valid UTF-8, or uchardet) */
    CAFE_CHARSET_XML,      /* an XML declaration (<?xml ... encoding="..."?>): an XML page's,
                              or one an HTML page starts with and no <meta> overrules */
} cafe_charset_source_t;

/* Which step decided cafe_title_encoding(): final once the result is; before the encoding is
 * decided, the step its answer comes from (the transport charset's, else the fallback's). */
cafe_charset_source_t cafe_title_charset_source(const cafe_title_t *t);

/* "default", "bom", "header", "meta", "detected" or "xml" (the record's charset_source); static
 * storage. An unknown value gives "default". */
const char *cafe_charset_source_name(cafe_charset_source_t source);

/* How a browser reads a response, by its MIME type. */
typedef enum cafe_title_mode {
    CAFE_TITLE_NONE, /* not shown as a document (an image, JSON, a feed...): no title */
    CAFE_TITLE_HTML, /* text/html: the HTML parser (the extractor's mode after create/reset) */
    CAFE_TITLE_XML,  /* application/xhtml+xml, text/xml, application/xml, image/svg+xml */
} cafe_title_mode_t;

/* The mode for a MIME type: its essence (a whole Content-Type value is cut at its first ';';
 * ASCII case and surrounding whitespace ignored). Only the types whose documents both
 * Chromium and Firefox show with a title are CAFE_TITLE_XML (an RSS or Atom feed, +xml types
 * in general, are not); NULL or anything else is CAFE_TITLE_NONE. */
cafe_title_mode_t cafe_title_mode_of(const char *type);

/* Reads this page with `mode`'s parser: call it after create or reset, before the first feed
 * (cafe_title_reset goes back to CAFE_TITLE_HTML). In CAFE_TITLE_XML the page is parsed as a
 * browser parses an XML document (expat, which Firefox uses too): the encoding is the BOM's,
 * else the transport charset's, else the XML declaration's (a label of the Encoding Standard;
 * an unknown one, or UTF-16 in a declaration read as ASCII, gives UTF-8), else UTF-8; there
 * is no <meta> prescan and no detection. The title is document.title's: the first title
 * element in the XHTML namespace in tree order, or, when the root element is SVG's <svg>, its
 * first SVG <title> child; its child text (CDATA and references included, child elements'
 * text not), ASCII whitespace stripped and collapsed. HTML's named references are known when
 * the DOCTYPE names one of the XHTML/MathML public identifiers browsers know. A document that
 * is not well-formed before the title's end tag (a byte invalid in its encoding included) has
 * no title, as in both browsers (cafe_title_xml_error says why and where); the title is final at
 * its end tag, as for HTML, so an error after it does not matter (Chromium keeps the title then;
 * Firefox shows an error page), except under an SVG root: there both browsers' error page has
 * no title, so the whole document must be well-formed and the title is final only at its end
 * (or at a pause; cafe_title_finish_cut keeps it, the rest unread). The XML parser is made at the
 * first XML page and kept across resets (see Memory above: a page needing more than the cap before
 * its title has no title). Returns 0; CAFE_ENOMEM when the parser cannot be made (the extractor
 * then stays in its old mode); CAFE_EINVAL for an unknown mode or after the first feed.
 * CAFE_TITLE_NONE is taken as such: the page has no title, whatever is fed. */
int cafe_title_set_mode(cafe_title_t *t, cafe_title_mode_t mode);

/* Why a page read in CAFE_TITLE_XML mode has no title when that is because it is not
 * well-formed XML before its title ended (browsers show an error page instead): expat's
 * message ("mismatched tag", "not well-formed (invalid token)", "no element found"...) or
 * cafe's ("undefined entity", "a byte sequence invalid in the page's encoding", "the
 * replacement encoding: ...", a cap of the XML parser's), and where: *line and *column
 * (either may be NULL) are 1-based, the column counted in characters as Firefox's error page
 * counts it, both 0 when no position applies. Whether there is an error does not depend on
 * how the page's bytes arrive; for a few errors expat's words and place do, as in expat
 * itself: text after the root element is "junk after document element" where it starts
 * when it came in pieces, and "not well-formed (invalid token)" at its first character no
 * name may hold when it came whole; after a NUL the column may be one further. Returns NULL, with 0
 * in both, when the result is not final yet, the page has a title, it is not read in CAFE_TITLE_XML
 * mode, or it was well-formed as far as it was read (no title element in it). The string is in
 * static storage: it stays valid after reset and free, and is never freed by the caller. */
const char *cafe_title_xml_error(const cafe_title_t *t, unsigned long *line, unsigned long *column);

/* Turns the detection of undeclared encodings on (the default) or off (strict WHATWG:
 * windows-1252 when nothing declares the encoding). Kept across cafe_title_reset; takes
 * effect for the next page, i.e. call it before the first feed or right after a reset. */
void cafe_title_set_detection(cafe_title_t *t, int enabled);

/* The page's URL (or its host name), for its top-level domain: when the title gives the
 * detector little evidence (a few words), an answer not used under that domain gives way to
 * the encoding its pages usually have (.ru: windows-1251, .jp: Shift_JIS, .fr:
 * windows-1252, ...). Give the URL the page came from, after redirects: browsers take the
 * document's. An IP address, a name without a dot and an internationalized country domain
 * (xn--p1ai) are no hint. Optional; NULL clears it; cafe_title_reset clears it too. The
 * string is not kept. */
void cafe_title_set_url(cafe_title_t *t, const char *url);

/* Frees the extractor and everything it holds. NULL is a no-op. */
void cafe_title_free(cafe_title_t *t);

/* One shot for a whole page in memory: create, feed, finish. On success *title is a
 * malloc'ed NUL-terminated UTF-8 copy the caller frees (NULL when there is no title), and
 * *encoding (if not NULL) the encoding's name, in static storage. Returns 1 with a title, 0
 * without, or a negative CAFE_E* code: CAFE_ENOMEM, or CAFE_EINVAL when title is NULL (or html is,
 * with len > 0). */
int cafe_title_extract(const void *html, size_t len, const char *charset, char **title,
                       const char **encoding);

/* UTF-8 by the one rule cafe applies everywhere it meets bytes that should be UTF-8 (titles,
 * URLs in JSON and CSV output, the service's answers): the Encoding Standard's UTF-8 decoder,
 * which is Unicode's "maximal subpart" practice. Each maximal subpart of an ill-formed
 * sequence (overlong forms, surrogates, code points past U+10FFFF and stray or truncated
 * bytes included) becomes one U+FFFD; valid input comes back unchanged, NUL bytes too.
 *
 * cafe_utf8_repair returns a malloc'd, NUL-terminated repaired copy of s[0..n) (at most
 * 3n + 1 bytes) and its length in *len (may be NULL), or NULL when out of memory.
 * cafe_utf8_valid returns 1 when s[0..n) is valid UTF-8 (the repair would change nothing),
 * else 0; it allocates nothing. */
char *cafe_utf8_repair(const char *s, size_t n, size_t *len);
/* 1 when s[0..n) is valid UTF-8 (cafe_utf8_repair would change nothing), else 0. Allocates
 * nothing; s is only read. */
int cafe_utf8_valid(const char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* CAFE_TITLE_H */
