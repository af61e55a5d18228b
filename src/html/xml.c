/* XML mode (xml.h): the title of a page a browser parses as XML.
 *
 * Encoding, as Chromium and Firefox both decide it (tests/browser/xml.py checks them): a byte
 * order mark wins, then the transport charset, then the XML declaration's encoding label
 * (read as Firefox reads it, declared(): even from a declaration expat then refuses, as the
 * page's document.characterSet), else UTF-8. Labels are the Encoding Standard's (iso-8859-1 and
 * us-ascii are windows-1252, as for HTML); a label naming no encoding, or UTF-16 in a declaration
 * that was just read as ASCII, leaves UTF-8. No <meta>, no detection. UTF-8 goes to expat as it is
 * (expat rejects malformed UTF-8, which browsers treat as a fatal error); every other encoding is
 * decoded to UTF-8 first by the project's decoders and expat is told UTF-8, so it never applies its
 * own idea of ISO-8859-1 or US-ASCII.
 *
 * The title: the first element {http://www.w3.org/1999/xhtml}title in tree order, or, under
 * a root {http://www.w3.org/2000/svg}svg, its first SVG title child; its child text only.
 * Final at its end tag: the parser is stopped there, so a download can stop. Any error
 * before it (not well-formed, an undeclared entity) leaves no title, as in both browsers.
 *
 * Entities: besides XML's five and an internal subset's, the HTML named references when the
 * DOCTYPE's public identifier is one the HTML standard lists for the XML parser (browsers
 * then read a DTD holding them). expat reports a reference it cannot resolve in a document
 * with an external subset as a skipped entity; it is looked up there, or is an error.
 *
 * Memory: expat's allocations go through a counting suite capped at XML_MEM_MAX per parser
 * (a page needing more fails: no title), so no page can make the extractor grow without
 * bound; entity expansion is bounded by expat's billion-laughs protection. */
#define XML_DTD /* the billion-laughs protection's prototypes */
#include "html/xml.h"
#include "html/charref.h"

#include <expat.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define HEAD_MAX 1024          /* bytes held back to find the XML declaration */
#define XML_MEM_MAX (1u << 20) /* expat's memory per parser */
#define KEEP_MAX (64u << 10)   /* kept for the next page at most, by expat and the stage */
#define XHTML "http://www.w3.org/1999/xhtml"
#define SVG "http://www.w3.org/2000/svg"

struct cafe__xml {
    XML_Parser p;
    size_t mem; /* bytes expat holds */
    const cafe__html_encoding_t *transport;
    const cafe__html_encoding_t *enc; /* NULL until decided */
    cafe_charset_source_t source;
    cafe__html_decoder_t dec; /* to UTF-8, for every encoding but UTF-8 */
    int fed;                  /* a byte came since start */
    int done;                 /* the result is final */
    int title_done;           /* the title ended at its end tag: it is the page's (under an
                                 SVG root, once the document also ends well-formed) */
    int in_doc;               /* the parser has been given the document's first bytes */
    int svg;                  /* the root is SVG's svg */
    int known_dtd;            /* the DOCTYPE names a DTD with the HTML entities */
    unsigned depth;           /* open elements */
    unsigned title_depth;     /* the title's depth while it is open, else 0 */
    unsigned long events;     /* expat's callbacks so far: it got somewhere */
    unsigned long salt;       /* expat's hash salt, random per extractor (hash flooding) */
    size_t stuck;             /* bytes given to expat since its last callback */
    char *stage;              /* bytes held back from expat while it is stuck (parse()) */
    size_t nstage, stage_cap;
    const char *why;         /* not well-formed before the title ended: why (static) */
    unsigned long line, col; /* where (1-based; 0: unknown) */
    int space;               /* whitespace since the last character kept */
    int truncated;
    size_t len;
    size_t nhead;
    unsigned char head[HEAD_MAX];
    char buf[CAFE_TITLE_MAX + 1];
};

/* ---- expat's memory, counted: the parser whose call is running ---------------------- */

/* expat's memory suite takes no context pointer, so the parser being counted is named here
 * for the length of each call into expat (set and cleared around it, on the calling thread;
 * nothing inside those calls waits or switches tasks), and is NULL at every other time. */
static _Thread_local cafe__xml_t *current;

typedef union {
    size_t n;
    max_align_t align;
} block_t;

static void *mem_malloc(size_t n) {
    cafe__xml_t *x = current;
    if (x && (n > XML_MEM_MAX || x->mem > XML_MEM_MAX - n))
        return NULL;
    block_t *b = malloc(sizeof *b + n);
    if (!b)
        return NULL;
    b->n = n;
    if (x)
        x->mem += n;
    return b + 1;
}

static void mem_free(void *p) {
    if (!p)
        return;
    block_t *b = (block_t *)p - 1;
    if (current)
        current->mem -= b->n < current->mem ? b->n : current->mem;
    free(b);
}

static void *mem_realloc(void *p, size_t n) {
    if (!p)
        return mem_malloc(n);
    block_t *b = (block_t *)p - 1;
    size_t old = b->n;
    cafe__xml_t *x = current;
    if (x && n > old && (n - old > XML_MEM_MAX || x->mem > XML_MEM_MAX - (n - old)))
        return NULL;
    block_t *nb = realloc(b, sizeof *nb + n);
    if (!nb)
        return NULL;
    nb->n = n;
    if (x)
        x->mem = x->mem - (old < x->mem ? old : x->mem) + n;
    return nb + 1;
}

static const XML_Memory_Handling_Suite mem_suite = {mem_malloc, mem_realloc, mem_free};

/* ---- the title's text --------------------------------------------------------------- */

static int ascii_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Valid UTF-8 (expat's output) into the title: ASCII whitespace stripped and collapsed,
 * whole characters up to CAFE_TITLE_MAX. */
static void add(cafe__xml_t *x, const char *s, size_t n) {
    size_t i = 0;
    while (i < n && !x->truncated) {
        unsigned char c = (unsigned char)s[i];
        if (ascii_space(c)) {
            x->space = x->len > 0;
            i++;
            continue;
        }
        size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (k > n - i)
            k = n - i;
        if (x->len + k + (size_t)x->space > CAFE_TITLE_MAX) {
            x->truncated = 1;
            break;
        }
        if (x->space)
            x->buf[x->len++] = ' ';
        x->space = 0;
        memcpy(x->buf + x->len, s + i, k);
        x->len += k;
        i += k;
    }
}

/* ---- expat's callbacks -------------------------------------------------------------- */

static void stop(cafe__xml_t *x) {
    XML_StopParser(x->p, XML_FALSE);
}

/* The page is not well-formed here, for `why` (static storage): the first reason is kept.
 * After an XHTML title's end it changes nothing (Chromium keeps the title: the download could
 * stop there); after an SVG root's title, it is lost: both browsers show their error page,
 * whose root is no svg. */
static void fault(cafe__xml_t *x, const char *why) {
    if (x->why || (x->title_done && !x->svg))
        return;
    x->title_done = 0;
    x->why = why;
    x->line = (unsigned long)XML_GetCurrentLineNumber(x->p);
    x->col = (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1;
}

/* One of cafe's bounds, not the page, ends the parse (expat's memory, a token's size): a
 * title complete under an SVG root stays, as a page cut there keeps it; else as a fault. */
static void bound(cafe__xml_t *x, const char *why) {
    if (!(x->svg && x->title_done))
        fault(x, why);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    cafe__xml_t *x = ud;
    x->events++;
    (void)atts;
    x->depth++;
    if (x->depth == 1)
        x->svg = strcmp(name, SVG "|svg") == 0;
    if (x->title_depth)
        return; /* an element inside the title, or after it: its text is not the title's */
    if (x->svg ? x->depth == 2 && strcmp(name, SVG "|title") == 0
               : strcmp(name, XHTML "|title") == 0)
        x->title_depth = x->depth;
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
    cafe__xml_t *x = ud;
    x->events++;
    (void)name;
    if (x->title_depth && x->depth == x->title_depth && !x->title_done) {
        x->title_done = 1;
        x->buf[x->len] = 0;
        if (!x->svg)
            stop(x); /* final: the rest of the page cannot change it */
    }
    x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
    cafe__xml_t *x = ud;
    x->events++;
    if (x->title_depth && x->depth == x->title_depth && !x->title_done)
        add(x, s, (size_t)len);
}

/* The HTML standard's list (13.2 "Parsing XHTML documents"): a DOCTYPE with one of these
 * public identifiers gives the document the HTML named character references. */
static const char *const known_dtds[] = {
    "-//W3C//DTD XHTML 1.0 Transitional//EN",
    "-//W3C//DTD XHTML 1.1//EN",
    "-//W3C//DTD XHTML 1.0 Strict//EN",
    "-//W3C//DTD XHTML 1.0 Frameset//EN",
    "-//W3C//DTD XHTML Basic 1.0//EN",
    "-//W3C//DTD XHTML 1.1 plus MathML 2.0//EN",
    "-//W3C//DTD XHTML 1.1 plus MathML 2.0 plus SVG 1.1//EN",
    "-//W3C//DTD MathML 2.0//EN",
    "-//WAPFORUM//DTD XHTML Mobile 1.0//EN",
};

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int internal) {
    cafe__xml_t *x = ud;
    x->events++;
    (void)name, (void)sysid, (void)internal;
    for (size_t i = 0; pubid && i < sizeof known_dtds / sizeof known_dtds[0]; i++)
        if (strcmp(pubid, known_dtds[i]) == 0)
            x->known_dtd = 1;
}

/* A reference to an entity no declaration read defines: an HTML one under a known DTD,
 * else a fatal error, as in browsers (which read no external DTD but that one). */
static void XMLCALL on_skipped(void *ud, const XML_Char *name, int parameter) {
    cafe__xml_t *x = ud;
    x->events++;
    char ref[CAFE__HTML_ENTITY_MAX + 2];
    size_t n = strlen(name);
    if (parameter)
        return; /* %name; in the DTD: not read, as browsers read none */
    const cafe__html_entity_t *e = NULL;
    if (x->known_dtd && n + 1 < sizeof ref) {
        memcpy(ref, name, n);
        ref[n] = ';';
        e = cafe__html_entity_longest(ref, n + 1);
    }
    if (!e || e->len != n + 1) {
        fault(x, "undefined entity");
        stop(x);
        return;
    }
    if (x->title_depth && x->depth == x->title_depth) {
        char u[8];
        size_t k = cafe__html_utf8_put(u, e->cp[0]);
        if (e->cp[1])
            k += cafe__html_utf8_put(u + k, e->cp[1]);
        add(x, u, k);
    }
}

/* The XML declaration expat read (s[0..len), well-formed, in UTF-8): its version must be
 * XML's VersionNum, "1." and digits, as both browsers require (expat takes any value; a
 * document of another version is their error page). Read here rather than by an
 * XmlDeclHandler, for which expat copies the declaration's values for every page. */
static void xml_decl(cafe__xml_t *x, const char *s, size_t len) {
    const char *v = s + 5, *end = s + len; /* after "<?xml" */
    while (v < end && ascii_space((unsigned char)*v))
        v++;
    if ((size_t)(end - v) < 7 || memcmp(v, "version", 7) != 0)
        return; /* no version first: expat has refused the declaration already */
    for (v += 7; v < end && *v != '"' && *v != '\''; v++)
        ; /* S? '=' S? */
    const char *q = v < end ? memchr(v + 1, *v, (size_t)(end - v - 1)) : NULL;
    const char *val = v + 1; /* the value: val[0..n) */
    size_t n = q ? (size_t)(q - val) : 0, digits = 0;
    if (n > 2 && val[0] == '1' && val[1] == '.')
        while (2 + digits < n && val[2 + digits] >= '0' && val[2 + digits] <= '9')
            digits++;
    if (digits == 0 || 2 + digits != n) {
        fault(x, "unsupported XML version");
        stop(x);
    }
}

/* Everything else expat reads (comments, declarations, whitespace in the DTD...), the XML
 * declaration included. */
static void XMLCALL on_other(void *ud, const XML_Char *s, int len) {
    cafe__xml_t *x = ud;
    x->events++;
    if (len > 6 && s[0] == '<' && s[1] == '?' && memcmp(s + 2, "xml", 3) == 0 &&
        ascii_space((unsigned char)s[5]))
        xml_decl(x, s, (size_t)len);
}

/* ---- parsing ------------------------------------------------------------------------ */

static void handlers(cafe__xml_t *x) {
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetSkippedEntityHandler(x->p, on_skipped);
    XML_SetDefaultHandlerExpand(x->p, on_other);
    XML_SetBillionLaughsAttackProtectionActivationThreshold(x->p, XML_MEM_MAX);
    /* the extractor's own: else expat gathers entropy for every page (a getrandom call and
     * a getenv, about a tenth of an XML page's instructions) */
    XML_SetHashSalt(x->p, x->salt);
}

/* UTF-8 bytes of the document to expat. An error (or the stop at the title's end) makes
 * the result final. */
static void expat_parse(cafe__xml_t *x, const char *p, size_t n, int final) {
    while (!x->done) {
        int k = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n;
        current = x;
        enum XML_Status st = XML_Parse(x->p, p, k, final && (size_t)k == n);
        current = NULL;
        if (st == XML_STATUS_ERROR && XML_GetErrorCode(x->p) != XML_ERROR_ABORTED) {
            if (XML_GetErrorCode(x->p) == XML_ERROR_NO_MEMORY)
                bound(x, "more than the XML parser's 1 MiB of memory");
            else
                fault(x, XML_ErrorString(XML_GetErrorCode(x->p)));
        }
        if (st == XML_STATUS_ERROR || (final && (size_t)k == n))
            x->done = 1;
        if ((size_t)k == n) /* (p may be NULL with n 0: no arithmetic on it) */
            break;
        p += k, n -= (size_t)k;
    }
}

/* To expat, noting whether it got anywhere: a call that reported nothing left all it was given
 * in a token still open (a start tag, a comment), which the next call parses again from its
 * start. */
static void give(cafe__xml_t *x, const char *p, size_t n, int final) {
    unsigned long before = x->events;
    expat_parse(x, p, n, final);
    x->stuck = x->events != before ? 0 : x->stuck + n;
}

/* expat (2.5: before 2.6's "reparse deferral") scans an open token again from its start at
 * every call: a big token fed a few bytes at a time would cost its length squared. While a
 * token is open, the bytes are staged until they are at least as many as expat holds, so each
 * call's scan at least doubles what the last one saw: linear in all. The stage is capped as
 * expat's memory is (a token over that fails in expat anyway). */
static void parse(cafe__xml_t *x, const char *p, size_t n, int final) {
    if (x->done)
        return;
    if (x->stuck == 0 && x->nstage == 0) {
        give(x, p, n, final);
        return;
    }
    if (x->nstage + n > x->stage_cap) {
        size_t cap = x->stage_cap ? x->stage_cap : 4096;
        while (cap < x->nstage + n && cap < XML_MEM_MAX)
            cap *= 2;
        char *stage = cap >= x->nstage + n ? realloc(x->stage, cap) : NULL;
        if (!stage) { /* over the cap, or out of memory: the page fails */
            bound(x, "a token of more than the XML parser's 1 MiB");
            x->line = x->col = 0; /* expat's position is somewhere before the token */
            x->done = 1;
            return;
        }
        x->stage = stage, x->stage_cap = cap;
    }
    if (n > 0) /* the end of the page comes with no bytes, maybe before any stage */
        memcpy(x->stage + x->nstage, p, n);
    x->nstage += n;
    if (final || x->nstage >= x->stuck) {
        size_t m = x->nstage;
        x->nstage = 0;
        give(x, x->stage, m, final);
    }
}

/* What is staged, to expat now. */
static void flush(cafe__xml_t *x) {
    if (!x->done && x->nstage > 0) {
        size_t m = x->nstage;
        x->nstage = 0;
        give(x, x->stage, m, 0);
    }
}

/* Decoded UTF-8 to expat; a decoding error is fatal, as in both browsers' XML parsers (they
 * decode without replacement): the document ends there, not well-formed, though a title
 * complete before it stays. The decoder gives an error's U+FFFD in a call of its own, after
 * noting the error: a U+FFFD the page really holds (UTF-16, gb18030) is text. */
static void sink(void *ctx, const char *p, size_t n) {
    cafe__xml_t *x = ctx;
    if (!x->dec.error) {
        parse(x, p, n, 0);
        return;
    }
    if (x->done)
        return;
    /* the decoder's first error: this call is its U+FFFD alone (decode.c); the bytes before
     * it may hold an error of their own, or the title's end */
    flush(x);
    if (!x->done) {
        /* where: expat's position after the bytes before it, which a byte never valid in
         * UTF-8 makes it report */
        expat_parse(x, "\xff", 1, 0);
        x->why = NULL;
        fault(x, "a byte sequence invalid in the page's encoding");
    }
    x->done = 1;
}

/* Bytes of the page in its encoding. */
static void bytes(cafe__xml_t *x, const unsigned char *p, size_t n, int final) {
    if (x->done)
        return;
    if (x->enc == &cafe__html_enc_utf8) {
        parse(x, (const char *)p, n, final);
        return;
    }
    cafe__html_decode(&x->dec, p, n, final ? CAFE__DECODE_EOF : CAFE__DECODE_MORE, sink, x);
    if (final)
        parse(x, "", 0, 1);
}

/* The encoding the XML declaration in h[0..n) (which starts with "<?xml") names, as Firefox
 * reads it, and Chromium wherever the two agree: up to its first "?>" (one inside quotes
 * too, so that the answer cannot depend on where the bytes were cut), a "version" then a quoted
 * value, then an "encoding" then the next quoted value, whatever stands around them (no '='
 * or space is asked for); NULL for none. A declaration expat accepts gives what expat reads;
 * one it refuses (no title) still names the page's encoding, document.characterSet. */
static const cafe__html_encoding_t *declared(const unsigned char *h, size_t n) {
    int version = 0;
    for (size_t i = 6; i < n; i++) {
        if (h[i] == '?' && i + 1 < n && h[i + 1] == '>')
            break;
        /* the name's last byte first: "versio" + 'n' (i >= 12), "encodin" + 'g' (i >= 25) */
        const char *key = version ? "encodin" : "versio";
        size_t k = version ? 7 : 6;
        if (h[i] != (version ? 'g' : 'n') || i < 2 * k || memcmp(h + i - k, key, k) != 0)
            continue;
        size_t start = 0;
        unsigned char quote = 0;
        for (i++; i < n && !(quote && h[i] == quote); i++) {
            if (h[i] == '?' && i + 1 < n && h[i + 1] == '>')
                return NULL; /* the first "?>" ends it, in quotes too: as decide() waits */
            if (h[i] == '"' || h[i] == '\'')
                quote = h[i], start = i + 1;
        }
        if (i == n)
            return NULL;
        if (version)
            return cafe__html_encoding_get((const char *)h + start, i - start);
        version = 1;
    }
    return NULL;
}

static void decided(cafe__xml_t *x, const cafe__html_encoding_t *e, cafe_charset_source_t src,
                    size_t skip) {
    x->enc = e;
    x->source = src;
    if (e->kind == CAFE__ENC_REPLACEMENT) {
        x->why = "the replacement encoding: the page is one U+FFFD";
        x->line = x->col = 0;
        x->done = 1; /* the whole page is one U+FFFD: no title */
        return;
    }
    if (e != &cafe__html_enc_utf8)
        cafe__html_decoder_set(&x->dec, e);
    bytes(x, x->head + skip, x->nhead - skip, 0);
}

/* Decides the encoding from the held bytes when they can tell (or `now`); 1 when decided. */
static int decide(cafe__xml_t *x, int now) {
    const unsigned char *h = x->head;
    size_t n = x->nhead;
    if (n < 3 && !now &&
        !(n == 2 && ((h[0] == 0xFE && h[1] == 0xFF) || (h[0] == 0xFF && h[1] == 0xFE))))
        return 0;
    if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
        decided(x, &cafe__html_enc_utf8, CAFE_CHARSET_BOM, 3);
    else if (n >= 2 && h[0] == 0xFE && h[1] == 0xFF)
        decided(x, &cafe__html_enc_utf16be, CAFE_CHARSET_BOM, 2);
    else if (n >= 2 && h[0] == 0xFF && h[1] == 0xFE)
        decided(x, &cafe__html_enc_utf16le, CAFE_CHARSET_BOM, 2);
    else if (x->transport)
        decided(x, x->transport, CAFE_CHARSET_HEADER, 0);
    else {
        static const char decl[] = "<?xml";
        size_t m = n < 5 ? n : 5;
        /* "<?xml" and anything ("<?xml-stylesheet" names no version: no encoding) */
        int is_decl = memcmp(h, decl, m) == 0, closed = 0;
        for (size_t i = 6; is_decl && i + 1 < n && !closed; i++)
            closed = h[i] == '?' && h[i + 1] == '>';
        if (is_decl && !closed && n < HEAD_MAX && !now)
            return 0; /* the declaration is still coming */
        const cafe__html_encoding_t *e = is_decl && n > 6 ? declared(h, n) : NULL;
        /* UTF-16 named in a declaration read as ASCII is not the page's encoding */
        if (e && e->dec != CAFE__DEC_UTF16LE && e->dec != CAFE__DEC_UTF16BE)
            decided(x, e, CAFE_CHARSET_XML, 0);
        else
            decided(x, &cafe__html_enc_utf8, CAFE_CHARSET_DEFAULT, 0);
    }
    return 1;
}

/* ---- API ---------------------------------------------------------------------------- */

cafe__xml_t *cafe__xml_new(void) {
    cafe__xml_t *x = malloc(sizeof *x);
    if (!x)
        return NULL;
    memset(x, 0, offsetof(cafe__xml_t, head));
    current = x;
    x->p = XML_ParserCreate_MM("UTF-8", &mem_suite, "|");
    current = NULL;
    if (!x->p) {
        free(x);
        return NULL;
    }
    cafe__html_decoder_init(&x->dec);
    if (getrandom(&x->salt, sizeof x->salt, GRND_NONBLOCK) != (ssize_t)sizeof x->salt)
        x->salt = (unsigned long)(uintptr_t)x ^ (unsigned long)time(NULL) ^ 0x9e3779b9u;
    x->done = 1; /* nothing started */
    return x;
}

int cafe__xml_start(cafe__xml_t *x, const cafe__html_encoding_t *transport) {
    if (x->stage_cap > KEEP_MAX) { /* what a big page needed is not kept for the next */
        free(x->stage);
        x->stage = NULL;
        x->stage_cap = 0;
    }
    current = x;
    if (x->p && x->in_doc && x->mem > KEEP_MAX) { /* XML_ParserReset would keep its buffers */
        XML_ParserFree(x->p);
        x->p = NULL;
    }
    if (!x->p)
        x->p = XML_ParserCreate_MM("UTF-8", &mem_suite, "|");
    else if (x->in_doc)
        XML_ParserReset(x->p, "UTF-8"); /* clears the handlers too */
    current = NULL;
    x->in_doc = 0;
    if (!x->p)
        return CAFE_ENOMEM;
    handlers(x);
    x->in_doc = 1;
    x->transport = transport;
    x->enc = NULL;
    x->source = CAFE_CHARSET_DEFAULT;
    x->fed = x->done = x->title_done = x->svg = x->known_dtd = 0;
    x->depth = x->title_depth = 0;
    x->stuck = x->nstage = 0;
    x->space = x->truncated = 0;
    x->len = x->nhead = 0;
    x->why = NULL;
    x->line = x->col = 0;
    return 0;
}

int cafe__xml_fresh(const cafe__xml_t *x) {
    return !x->fed && !x->done;
}

int cafe__xml_feed(cafe__xml_t *x, const unsigned char *p, size_t n) {
    if (x->done || n == 0)
        return x->done;
    x->fed = 1;
    if (!x->enc) {
        size_t take = HEAD_MAX - x->nhead < n ? HEAD_MAX - x->nhead : n;
        memcpy(x->head + x->nhead, p, take);
        x->nhead += take;
        p += take, n -= take;
        if (!decide(x, x->nhead == HEAD_MAX))
            return 0;
    }
    bytes(x, p, n, 0);
    return x->done;
}

int cafe__xml_pause(cafe__xml_t *x) {
    if (!x->done && !x->enc && x->fed)
        decide(x, 1);
    flush(x);                      /* a stall: what is staged may hold the title's end */
    if (!x->done && x->title_done) /* an SVG root's: as the browser shows it while loading */
        x->done = 1;
    return x->done;
}

void cafe__xml_finish(cafe__xml_t *x, int cut) {
    if (!x->done && !x->enc)
        decide(x, 1);
    if (cut && x->title_done) /* an SVG root's title: the rest was not read, not wrong */
        flush(x);
    else
        bytes(x, (const unsigned char *)"", 0, 1);
    x->done = 1;
}

const char *cafe__xml_title(const cafe__xml_t *x, size_t *len, int *truncated) {
    if (!x->done || !x->title_done)
        return NULL;
    *len = x->len;
    *truncated = x->truncated;
    return x->buf;
}

const char *cafe__xml_error(const cafe__xml_t *x, unsigned long *line, unsigned long *col) {
    if (!x->done || x->title_done || !x->why)
        return NULL;
    *line = x->line;
    *col = x->col;
    return x->why;
}

const cafe__html_encoding_t *cafe__xml_encoding(const cafe__xml_t *x,
                                                cafe_charset_source_t *source) {
    *source = x->source;
    return x->enc;
}

void cafe__xml_free(cafe__xml_t *x) {
    if (!x)
        return;
    current = x;
    XML_ParserFree(x->p);
    current = NULL;
    cafe__html_decoder_close(&x->dec);
    free(x->stage);
    free(x);
}
