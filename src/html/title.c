/* The extractor: decides the encoding, drives the tokenizer, and says when the title is
 * final.
 *
 * Encoding (HTML standard 13.2.3.1): BOM, else the transport charset, else the <meta>
 * prescan, else an XML declaration at the page's start (prescan.h), else windows-1252. Like a
 * browser, the extractor holds back the first 1024 bytes (or less at the end of input; more, up to
 * HEAD_MAX, while a <meta> that starts in them goes on; one longer still counts once the tokenizer
 * has read it) until the prescan has run on them, so a title that comes before its page's <meta
 * charset> is decoded with that charset; with a transport charset it waits for 3 bytes only (a BOM
 * still wins), and a prescan that finds its meta early ends the wait early.
 *
 * When nothing declared the encoding (the fallback, "tentative" in the standard), a
 * <meta> met later by the tokenizer before the first tag after the body started still
 * switches it (text alone ends nothing: "x<meta charset=koi8-r>" does), as browsers
 * do; a copy of the title's text is kept (text.h: compact, at most CAFE__RAW_MAX bytes) to
 * decode it again then.
 * The title is therefore final once its end tag is seen and either the encoding was
 * declared or a tag came after the body started (or the head is over), even when its bytes
 * are all ASCII:
 * a late <meta> names the page's encoding, and one naming the replacement encoding leaves no
 * title, as browsers reload such a page. A title inside the body
 * also waits until no <frameset> can take the body away (frameset-ok cleared; see tree.c). A
 * late meta naming ISO-2022-JP, not ASCII-compatible, has the rest of the page decoded
 * before the tokenizer, and the title read before it decoded again (wide_from_here).
 *
 * Detection (detect.c) comes last, where the standard allows it: when nothing declared the
 * encoding and the title holds non-ASCII bytes (an ASCII title: see head_verdict). Once the title
 * could settle but for its encoding (closed, and no <meta> can come any more), the verdict is:
 * UTF-8 if the head and the title's raw bytes are valid UTF-8; else the detector's, once it has
 * enough evidence (until then the tokenizer stops and the page is read on for evidence alone). The
 * title is then decoded again from its kept copy. The evidence is the same however the page is
 * split into chunks, so the verdict is too: the held-back head, then the page from the title's
 * first non-ASCII byte on, up to the detector's cap (detect.h); the bytes in between carry little
 * (ASCII up to the title) and feeding them would cost every undeclared page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cafe.h"
#include "common/ascii.h"
#include "html/hot.h"
#include "html/detect.h"
#include "html/prescan.h"
#include "html/text.h"
#include "html/xml.h"
#include "html/tokenizer.h"

#define PRESCAN_BYTES 1024
/* Held back at most: a <meta> that starts within the first PRESCAN_BYTES is read to its end,
 * as Chromium and Firefox read it (at any length; cafe up to here). */
#define HEAD_MAX 2048
#define CAFE__RAW_MAX (4 * CAFE_TITLE_MAX) /* the title's kept text: enough, text.h says why */

struct cafe_title {
    const cafe__html_encoding_t *transport; /* given by the caller, or NULL */
    const cafe__html_encoding_t *enc;       /* decided encoding, or NULL while waiting */
    int certain;     /* no <meta> can change the encoding any more (detection still may) */
    int predecode;   /* the page is decoded to UTF-8 before the tokenizer (UTF-16, ISO-2022-JP) */
    int switch_wide; /* ...from the byte after the late <meta> the tokenizer stopped at */
    cafe_charset_source_t source;
    int detect;                   /* detection enabled */
    int collecting;               /* the title went non-ASCII undeclared: bytes are evidence */
    int in_head;                  /* the held-back head is being tokenized */
    const unsigned char *ev_from; /* in the chunk being tokenized: where evidence starts */
    int want_verdict;             /* the title is final but for the detector's verdict */
    int reading_on;               /* tokenizer stopped: reading for evidence only */
    int done;                     /* the result is final */
    int has_title;                /* a title element was found */
    int title_closed;             /* its text is complete */
    int raw_ascii;                /* its raw bytes so far are all ASCII */
    int eof;                      /* the end of input was reached: CAFE__TEXT_EOF, or
                                     CAFE__TEXT_CUT where the caller stopped reading */
    int closed_at_eof;            /* the title's text ended there (eof's value), not at an
                                     end tag */
    size_t fed;                   /* bytes of the page fed so far */
    size_t nhead;                 /* bytes held back for the prescan */
    int meta_cut;                 /* ...and a <meta> they start is cut: hold on to HEAD_MAX */
    int meta_pending;          /* ...and is still cut there: the tokenizer's reading of it counts */
    unsigned char *raw;        /* for the title's kept text while the encoding is uncertain */
    cafe__html_decoder_t wide; /* UTF-16 / ISO-2022-JP to UTF-8 before the tokenizer */
    cafe__html_detect_t det;
    cafe__html_tok_t tok;
    cafe__html_text_t text;
    cafe_title_mode_t mode; /* CAFE_TITLE_XML: xml parses the page */
    cafe__xml_t *xml;       /* made at the first XML page, kept */
    /* the last transport charset named and what it gave: consecutive pages of a crawl
     * name the same one, and reset would look it up for each */
    char charset_seen[24];
    const cafe__html_encoding_t *charset_enc;
    unsigned char head[HEAD_MAX];
};

/* ---- tokenizer callbacks ------------------------------------------------------------ */

static void head_verdict(cafe_title_t *t);

/* The title can no longer change: stop tokenizing. A page that has none still has an
 * encoding, document.characterSet: named as for an ASCII title (head_verdict), or a page of
 * windows-1251 text with no title (none at all, or only one in <svg> or <template>) would
 * say windows-1252 where both browsers say windows-1251. */
CAFE__HOT static void settle(cafe_title_t *t) {
    if (!t->has_title && !t->done)
        head_verdict(t);
    t->done = 1;
    t->tok.stop = 1;
}

static const cafe__html_encoding_t *text_encoding(const cafe_title_t *t) {
    return t->predecode ? &cafe__html_enc_utf8 : t->enc;
}

/* Nothing declared the encoding, or only an XML declaration did: a late <meta> may still
 * change it (Chromium and Firefox alike take the declaration's as tentative). */
static int undeclared(const cafe_title_t *t) {
    return t->source == CAFE_CHARSET_DEFAULT || t->source == CAFE_CHARSET_XML;
}

/* Nothing declared the encoding: the detector may change it. */
static int detects(const cafe_title_t *t) {
    return t->detect && t->source == CAFE_CHARSET_DEFAULT;
}

/* The encoding may still change: the title's text is decoded again then. */
static int may_redecode(const cafe_title_t *t) {
    return undeclared(t) && !(t->certain && !detects(t));
}

CAFE__HOT static void on_title_start(void *ctx) {
    cafe_title_t *t = ctx;
    t->has_title = 1;
    t->title_closed = 0;
    t->raw_ascii = 1;
    cafe__html_text_reset(&t->text, text_encoding(t));
    if (may_redecode(t) && !t->raw)
        t->raw = malloc(CAFE__RAW_MAX); /* failure: a late meta cannot re-decode, that's all */
    cafe__html_text_keep(&t->text, may_redecode(t) ? t->raw : NULL, CAFE__RAW_MAX);
}

/* The title's first non-ASCII byte, at q in the chunk being tokenized: evidence starts with
 * the head, then the page from q (from the next chunk when q is in the head). Past the head,
 * a '>' (the title's start tag) stands for the bytes skipped in between: glued to the head's
 * last word ("...items.len\xe7\xe3"), q's word reads as Latin to uchardet, which then took
 * Hebrew, Cyrillic or Thai titles after 1 KiB of script for windows-1252, ISO-8859-13 or UTF-8. */
static void collect(cafe_title_t *t, const unsigned char *q) {
    t->collecting = 1;
    cafe__html_detect_feed(&t->det, t->head, t->nhead);
    if (!t->in_head)
        cafe__html_detect_feed(&t->det, (const unsigned char *)">", 1);
    t->ev_from = t->in_head ? NULL : q;
}

/* The title's raw bytes while its encoding may still change: evidence. */
CAFE__APART static void undeclared_text(cafe_title_t *t, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x80) {
            t->raw_ascii = 0;
            if (detects(t))
                collect(t, p + i);
            return;
        }
    }
}

CAFE__HOT static void on_title_text(void *ctx, const unsigned char *p, size_t n) {
    cafe_title_t *t = ctx;
    cafe__html_text_feed(&t->text, p, n);
    if (may_redecode(t) && t->raw_ascii)
        undeclared_text(t, p, n);
}

/* p looks like UTF-16 (text with ASCII in it): NULs, most of them at one byte parity. Such
 * a page without a BOM has no title (its markup is not read as tags), and both browsers keep
 * windows-1252 for it (Chromium always, on 80 pages in 16 languages, Firefox on most), where
 * uchardet named GBK, windows-1251 or windows-874 on its bytes. A run of NULs in a legacy page
 * has as many at both parities, and there both browsers still name the text's encoding. */
static int utf16_like(const unsigned char *p, size_t n) {
    size_t nul[2] = {0, 0};
    for (size_t i = 0; i < n; i++)
        nul[i & 1] += p[i] == 0;
    size_t most = nul[0] > nul[1] ? nul[0] : nul[1], least = nul[0] + nul[1] - most;
    return most >= 8 && most > 4 * least;
}

/* An ASCII title needs no verdict, but the page's encoding is still the detector's when the
 * held-back head (the first 1024 bytes, in hand) has non-ASCII bytes: both browsers then name
 * the encoding of the text there ("Contact" over a windows-1251 body: windows-1251). Valid
 * UTF-8 stays windows-1252, as in both (no title to give as written, see verdict). Text past
 * the head is not read for it: there Firefox keeps windows-1252 (but under a domain with an
 * encoding of its own), and reading on would cost every undeclared page its early end. The
 * title reads the same in any encoding the detector may name (all read ASCII as ASCII). */
static void head_verdict(cafe_title_t *t) {
    if (!detects(t) || t->collecting || cafe__html_detect_utf8(t->head, t->nhead, 1) ||
        utf16_like(t->head, t->nhead))
        return;
    cafe__html_detect_feed(&t->det, t->head, t->nhead);
    const cafe__html_encoding_t *e = cafe__html_detect_result(&t->det);
    if (e) {
        t->enc = e;
        t->source = CAFE_CHARSET_DETECTED;
    }
}

/* An undeclared title whose raw bytes are ASCII is final: its encoding named (head_verdict). */
static void settle_ascii(cafe_title_t *t) {
    if (t->raw_ascii)
        head_verdict(t);
    settle(t);
}

/* Settles once the closed title can change no more: its encoding is known (or, no <meta>
 * being able to come any more, does not matter: all ASCII), no <frameset> can take it away with the
 * body, and no later title can be foster-parented before the table it is in (neither comes after
 * the end of the page or in <plaintext>). An undeclared encoding no <meta> can change any more
 * waits for the detector's verdict instead (feed/finish ask for it). */
CAFE__HOT static void settle_if_final(cafe_title_t *t) {
    const cafe__html_tok_t *tk = &t->tok;
    int removable = tk->title_in_body && tk->frameset_ok && !tk->frameset;
    if (!t->title_closed || t->done)
        return;
    if ((removable || tk->title_in_table) && !t->eof && !cafe__html_tok_hopeless(tk))
        return; /* markup may still come */
    /* Undeclared, even an ASCII title waits for the head's end: a late <meta> naming the
     * replacement encoding takes it away (and one naming any other is the page's encoding).
     * Then ASCII needs no verdict: every encoding the detector may name reads it alike. */
    if (!undeclared(t) || (t->certain && (t->raw_ascii || !detects(t))))
        settle_ascii(t);
    else if (t->certain)
        t->want_verdict = 1;
}

CAFE__HOT static void on_title_end(void *ctx) {
    cafe_title_t *t = ctx;
    cafe__html_text_end(&t->text, t->eof);
    t->title_closed = 1;
    t->closed_at_eof = t->eof;
    settle_if_final(t);
}

static void on_title_removed(void *ctx) {
    cafe_title_t *t = ctx;
    t->has_title = 0; /* and after a <frameset> no title can come */
    if (t->collecting) {
        /* Its evidence past the head went in by chunks: what is in by now depends on where
         * they were cut. The page's encoding is named as for a page with no title, from the
         * head alone (settle), where the removed title's bytes mostly are. */
        t->collecting = 0;
        t->ev_from = NULL;
        cafe__html_detect_forget(&t->det);
    }
    settle(t);
}

/* The encoding changed after the title's bytes went by: decode them again. */
static void redecode(cafe_title_t *t, const cafe__html_encoding_t *e) {
    if (e == t->enc)
        return;
    t->enc = e;
    if (!t->has_title)
        return;
    cafe__html_text_reset(&t->text, e);
    cafe__html_text_replay(&t->text, t->text.keep, t->text.nkeep);
    if (t->title_closed) {
        cafe__html_text_end(&t->text, t->closed_at_eof);
        settle_if_final(t);
    }
}

/* No <meta> can change the encoding any more: the tokenizer need not report one. */
static void meta_final(cafe_title_t *t) {
    t->certain = 1;
    t->tok.no_meta = 1;
}

/* A late <meta> named ISO-2022-JP, whose bytes are not ASCII's: as a browser that reads the
 * page again in it, the tokenizer reads the rest of the page decoded, from the byte after the
 * <meta> (tokenize() takes it there). A title already read is decoded again from its kept
 * copy, in which runs of whitespace and references are what ASCII made of them. */
CAFE__COLD static void wide_from_here(cafe_title_t *t, const cafe__html_encoding_t *e) {
    cafe__html_decoder_set(&t->wide, e);
    t->predecode = t->switch_wide = 1;
    t->tok.stop = 1;
}

/* "Change the encoding" for a meta found while the encoding is the fallback. */
CAFE__HOT static void on_meta(void *ctx, const char *charset, const char *http_equiv,
                              const char *content) {
    cafe_title_t *t = ctx;
    if (t->certain)
        return;
    /* The <meta> the held-back bytes cut (the first one after them) counts wherever it is,
     * as the prescan's would; any other only before the head's end and a tag after the body
     * started (cafe__html_tok_meta_over). */
    int prescanned = t->meta_pending && !t->in_head;
    if (!t->in_head)
        t->meta_pending = 0;
    if (!prescanned && cafe__html_tok_meta_over(&t->tok))
        return;
    const cafe__html_encoding_t *e = NULL;
    /* A charset attribute, even one naming no encoding, is the only one looked at: so
     * Chromium and Firefox do, though the standard's "in head" rule would go on to the
     * http-equiv pragma. */
    if (charset)
        e = cafe__html_encoding_get(charset, strlen(charset));
    else if (http_equiv && content && strlen(http_equiv) == 12 &&
             ascii_ncasecmp(http_equiv, "content-type", 12) == 0)
        e = cafe__html_meta_content_charset(content, strlen(content));
    if (!e)
        return;
    e = cafe__html_encoding_for_meta(e);
    if (e->kind == CAFE__ENC_WIDE) /* ISO-2022-JP: the rest of the page is decoded first */
        wide_from_here(t, e);
    meta_final(t);
    t->source = CAFE_CHARSET_META;
    t->collecting = 0;
    t->ev_from = NULL;
    if (e->kind == CAFE__ENC_REPLACEMENT) {
        /* Browsers load the page again as the replacement encoding: one U+FFFD, no title */
        t->enc = e;
        t->has_title = 0;
        settle(t);
        return;
    }
    redecode(t, e);
}

/* ---- the byte stream ---------------------------------------------------------------- */

static void tokenize_utf8(void *ctx, const char *p, size_t n);

/* What a chunk's end decides once the tokenizer went through it. */
CAFE__HOT static void tokenized(cafe_title_t *t) {
    if (!t->certain && !t->meta_pending && cafe__html_tok_meta_over(&t->tok))
        meta_final(t); /* no meta can change it now */
    settle_if_final(t);
    if (cafe__html_tok_hopeless(&t->tok) && !t->want_verdict && (t->certain || !t->has_title))
        settle(t);
}

CAFE__HOT static void tokenize(cafe_title_t *t, const unsigned char *p, size_t n) {
    size_t used = cafe__html_tok_feed(&t->tok, p, n);
    if (t->switch_wide) { /* wide_from_here: the rest decoded first */
        t->switch_wide = 0;
        t->tok.stop = (uint8_t)t->done;
        if (!t->done)
            cafe__html_decode(&t->wide, p + used, n - used, 0, tokenize_utf8, t);
    }
    if (!t->done)
        tokenized(t);
}

static void tokenize_utf8(void *ctx, const char *p, size_t n) {
    cafe_title_t *t = ctx;
    if (!t->done)
        tokenize(t, (const unsigned char *)p, n);
}

CAFE__HOT static void stream(cafe_title_t *t, const unsigned char *p, size_t n, int final) {
    if (t->predecode)
        cafe__html_decode(&t->wide, p, n, final, tokenize_utf8, t);
    else if (t->enc->kind != CAFE__ENC_REPLACEMENT)
        tokenize(t, p, n);
    else
        settle(t); /* the whole page is one U+FFFD: no title */
}

/* Tokenizes p, a chunk after the held-back head that starts at byte `at` of the page: split
 * at byte CAFE_TITLE_LATE_META while the fallback encoding may still change, so that a late
 * <meta> ending there counts and none after it, however the page is split into chunks. */
CAFE__HOT static void stream_page(cafe_title_t *t, const unsigned char *p, size_t n, size_t at) {
    if (!t->certain && at < CAFE_TITLE_LATE_META && n >= CAFE_TITLE_LATE_META - at) {
        size_t k = CAFE_TITLE_LATE_META - at;
        stream(t, p, k, 0);
        p += k, n -= k;
        if (!t->done && !t->certain) { /* the head is over for <meta>s */
            meta_final(t);
            tokenized(t);
        }
    }
    if (n > 0 && !t->done && !t->reading_on)
        stream(t, p, n, 0);
}

/* ---- detection ---------------------------------------------------------------------- */

static void consider(cafe_title_t *t);

/* The head and the title (non-ASCII: it needs a verdict) are valid UTF-8: UTF-8, whatever
 * the rest says. A character cut at the end is allowed only where the bytes were cut: the
 * head at 1024 bytes, the title at its cap or by the end of input. A title closed by its end
 * tag right after a lead byte ("Caf\xe9</title>" past the head) is not UTF-8. */
static int utf8_title(const cafe_title_t *t) {
    const cafe__html_text_t *x = &t->text;
    int cut = x->nkeep == x->keep_cap || t->closed_at_eof; /* the copy full: cut at its cap */
    return x->keep && cafe__html_detect_utf8(t->head, t->nhead, 1) &&
           cafe__html_detect_utf8(x->keep, x->nkeep, cut);
}

/* The verdict: the title is decoded again in the encoding found. */
static void verdict(cafe_title_t *t) {
    const cafe__html_encoding_t *e =
        utf8_title(t) ? &cafe__html_enc_utf8 : cafe__html_detect_result(&t->det);
    t->collecting = t->want_verdict = t->reading_on = 0;
    if (e) {
        t->source = CAFE_CHARSET_DETECTED;
        redecode(t, e);
    }
    settle(t);
}

/* A chunk after the head went through the tokenizer (or past it, reading on): its evidence
 * goes to the detector; once the title needs a verdict and it can be given, it is (at the
 * end of the page, cafe_title_finish gives it). */
CAFE__APART static void gather(cafe_title_t *t, const unsigned char *p, size_t n) {
    if (t->want_verdict && !t->done && utf8_title(t)) {
        verdict(t); /* UTF-8 needs no more evidence: spare copying this chunk */
        return;
    }
    if (t->collecting) {
        const unsigned char *from = t->ev_from ? t->ev_from : p;
        cafe__html_detect_feed(&t->det, from, n - (size_t)(from - p));
        t->ev_from = NULL;
    }
    consider(t);
}

CAFE__HOT static void consider(cafe_title_t *t) {
    if (!t->want_verdict || t->done)
        return;
    if (utf8_title(t) || cafe__html_detect_enough(&t->det))
        verdict(t);
    else if (!t->reading_on) {
        t->reading_on = 1; /* the title is final but for its encoding */
        t->tok.stop = 1;
    }
}

/* The encoding is decided from the held-back bytes; then they are tokenized. */
CAFE__HOT static void decide(cafe_title_t *t, const cafe__html_encoding_t *prescanned) {
    const unsigned char *h = t->head;
    const cafe__html_encoding_t *xml;
    size_t skip = 0;
    t->certain = 1;
    if (t->nhead >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) {
        t->enc = &cafe__html_enc_utf8, skip = 3, t->source = CAFE_CHARSET_BOM;
    } else if (t->nhead >= 2 && h[0] == 0xFE && h[1] == 0xFF) {
        t->enc = &cafe__html_enc_utf16be, skip = 2, t->source = CAFE_CHARSET_BOM;
    } else if (t->nhead >= 2 && h[0] == 0xFF && h[1] == 0xFE) {
        t->enc = &cafe__html_enc_utf16le, skip = 2, t->source = CAFE_CHARSET_BOM;
    } else if (t->transport) {
        t->enc = t->transport, t->source = CAFE_CHARSET_HEADER;
    } else if (prescanned) {
        t->enc = prescanned, t->source = CAFE_CHARSET_META;
    } else if ((xml = cafe__html_xml_declaration(h, t->nhead)) &&
               !(t->meta_pending &&
                 (xml->kind == CAFE__ENC_WIDE || xml->kind == CAFE__ENC_REPLACEMENT))) {
        /* no <meta>: an XML declaration's, which a late <meta> may change (not UTF-16's), and
         * so may the <meta> the held bytes cut (on_meta takes it as with the fallback) */
        t->enc = xml, t->source = CAFE_CHARSET_XML;
        t->certain = xml->kind == CAFE__ENC_WIDE;
    } else {
        t->enc = &cafe__html_enc_windows1252;
        t->certain = 0;
    }
    t->tok.no_meta = (uint8_t)t->certain;
    t->predecode = t->enc->kind == CAFE__ENC_WIDE;
    /* the only user of the wide decoder; the text's decoder is set when a title starts */
    if (t->predecode)
        cafe__html_decoder_set(&t->wide, t->enc);
    t->in_head = 1;
    if (t->nhead > skip || t->enc->kind == CAFE__ENC_REPLACEMENT) /* nothing held: no call */
        stream(t, h + skip, t->nhead - skip, 0);
    t->in_head = 0;
    if (t->meta_pending && (t->certain || !cafe__html_tok_in_meta(&t->tok))) {
        t->meta_pending = 0; /* the tokenizer is not in it (or it no longer matters) */
        if (!t->done)
            tokenized(t);
    }
    consider(t);
}

/* p[0..3) starts with a byte order mark. */
static int bom_at(const unsigned char *p) {
    return (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) || (p[0] == 0xFE && p[1] == 0xFF) ||
           (p[0] == 0xFF && p[1] == 0xFE);
}

/* With a transport charset only a BOM can overrule it: the first chunk's 3 bytes decide,
 * and the page is tokenized where it lies instead of being copied first. */
static int transport_at_once(const cafe_title_t *t, const unsigned char *p, size_t n) {
    return t->transport && t->nhead == 0 && n >= 3 && !bom_at(p);
}

/* Holds back bytes until the encoding can be decided; returns how many of p it took, and
 * sets *more when the rest of p is to be held too (a cut <meta> still open at a '>'). */
CAFE__HOT static size_t hold_step(cafe_title_t *t, const unsigned char *p, size_t n, int final,
                                  int *more) {
    *more = 0;
    if (transport_at_once(t, p, n)) { /* a UTF-16 or replacement one (by_header's others) */
        decide(t, NULL);
        return 0;
    }
    size_t take = (t->transport ? 3 : t->meta_cut ? HEAD_MAX : PRESCAN_BYTES) - t->nhead;
    if (take > n)
        take = n;
    /* A cut <meta> can only end at a '>': the held bytes stop at each one in turn, so the head
     * (the detector's evidence too) ends where the <meta> does however the page is split. */
    const unsigned char *gt = t->meta_cut ? memchr(p, '>', take) : NULL;
    if (gt)
        take = (size_t)(gt - p) + 1;
    memcpy(t->head + t->nhead, p, take);
    t->nhead += take;
    int bom = t->nhead >= 2 && ((t->head[0] == 0xFE && t->head[1] == 0xFF) ||
                                (t->head[0] == 0xFF && t->head[1] == 0xFE));
    if (bom || (t->transport && t->nhead >= 3)) {
        decide(t, NULL);
    } else if (t->meta_cut && t->nhead < HEAD_MAX && !final && !memchr(p, '>', take)) {
        /* the cut <meta> can only end with a '>' */
    } else if (t->nhead >= PRESCAN_BYTES || final) {
        int cut;
        const cafe__html_encoding_t *e =
            cafe__html_prescan_to(t->head, t->nhead, PRESCAN_BYTES, &cut);
        if (!e && !cut && cafe__html_xml_declaration_cut(t->head, t->nhead))
            cut = 2; /* an XML declaration's '>' is still to come: hold on for it too */
        if (e || !cut || final || t->nhead == HEAD_MAX) {
            /* still cut at HEAD_MAX: the tokenizer reads the rest of that <meta> */
            t->meta_pending = !e && cut == 1 && !final;
            decide(t, e);
        } else { /* hold on, the rest of p too (to its next '>') */
            t->meta_cut = 1;
            *more = take < n;
        }
    } else if (t->nhead >= 3 && memchr(p, '>', take)) {
        /* A <meta> can only be complete with its '>': prescan again only then. */
        const cafe__html_encoding_t *e = cafe__html_prescan(t->head, t->nhead);
        if (e)
            decide(t, e);
    }
    return take;
}

/* hold_step over p, one '>' at a time while a cut <meta> is held (a loop, not a call per
 * '>': the caller may be a task on a small stack). */
CAFE__HOT static size_t hold(cafe_title_t *t, const unsigned char *p, size_t n, int final) {
    size_t took = 0;
    int more = 1;
    while (more)
        took += hold_step(t, p + took, n - took, final, &more);
    return took;
}

/* The first chunk of a page with an ASCII-compatible transport charset (decide() comes to
 * header_decides for it, through hold() and consider(): a page at a time, spared). */
static int by_header(const cafe_title_t *t, const unsigned char *p, size_t n) {
    return transport_at_once(t, p, n) && t->transport->kind != CAFE__ENC_WIDE &&
           t->transport->kind != CAFE__ENC_REPLACEMENT;
}

static void header_decides(cafe_title_t *t) {
    t->enc = t->transport;
    t->source = CAFE_CHARSET_HEADER;
    meta_final(t);
}

/* ---- XML mode (xml.c parses; its result is copied where the accessors read) --------- */

static void xml_sync(cafe_title_t *t, int done) {
    cafe_charset_source_t source;
    const cafe__html_encoding_t *e = cafe__xml_encoding(t->xml, &source);
    if (e)
        t->enc = e, t->source = source;
    if (!done)
        return;
    size_t n = 0;
    int truncated = 0;
    const char *s = cafe__xml_title(t->xml, &n, &truncated);
    t->has_title = s != NULL;
    if (s) {
        memcpy(t->text.buf, s, n + 1);
        t->text.len = n;
        t->text.truncated = truncated;
    }
    t->closed_at_eof = 0;
    t->done = 1;
}

CAFE__APART static int xml_feed(cafe_title_t *t, const void *data, size_t len) {
    int done = cafe__xml_feed(t->xml, data, len);
    xml_sync(t, done);
    return done;
}

/* A NULL extractor (cafe_title_create's error unchecked), or NULL data with a length: the
 * calls have no error to return (a feed "never fails", the others answer 0/1 or a string),
 * so they say which call it was and abort, as a SIGSEGV at the first read would not. */
CAFE__APART static _Noreturn void misuse(const char *call, const char *what) {
    fprintf(stderr, "cafe: %s given %s\n", call, what);
    abort();
}
static inline void need(const cafe_title_t *t, const char *call) {
    if (__builtin_expect(t == NULL, 0))
        misuse(call, "no extractor (NULL)");
}

static int fresh(const cafe_title_t *t) {
    if (t->mode == CAFE_TITLE_XML)
        return cafe__xml_fresh(t->xml);
    return !t->done && !t->enc && t->nhead == 0;
}

int cafe_title_set_mode(cafe_title_t *t, cafe_title_mode_t mode) {
    if (!t)
        return CAFE_EINVAL;
    if (!fresh(t))
        return CAFE_EINVAL;
    if (t->mode == CAFE_TITLE_XML) /* back from XML before a byte: nothing decided yet */
        t->enc = NULL, t->source = CAFE_CHARSET_DEFAULT;
    switch (mode) {
    case CAFE_TITLE_HTML:
        t->mode = CAFE_TITLE_HTML;
        return 0;
    case CAFE_TITLE_NONE:
        t->mode = CAFE_TITLE_HTML;
        t->has_title = 0;
        t->done = 1;
        return 0;
    case CAFE_TITLE_XML:
        if (!t->xml && !(t->xml = cafe__xml_new()))
            return CAFE_ENOMEM;
        if (cafe__xml_start(t->xml, t->transport) != 0)
            return CAFE_ENOMEM;
        t->mode = CAFE_TITLE_XML;
        t->enc = &cafe__html_enc_utf8; /* until the page says otherwise */
        return 0;
    }
    return CAFE_EINVAL;
}

cafe_title_mode_t cafe_title_mode_of(const char *type) {
    static const char *const xml[] = {"application/xhtml+xml", "text/xml", "application/xml",
                                      "image/svg+xml"};
    if (!type)
        return CAFE_TITLE_NONE;
    if (strcmp(type, "text/html") == 0) /* most pages, as the HTTP client gives the type */
        return CAFE_TITLE_HTML;
    while (*type == ' ' || *type == '\t' || *type == '\n' || *type == '\r')
        type++;
    size_t n = strcspn(type, ";");
    while (n > 0 && strchr(" \t\n\r", type[n - 1]))
        n--;
    if (n == 9 && ascii_ncasecmp(type, "text/html", 9) == 0)
        return CAFE_TITLE_HTML;
    for (size_t i = 0; i < sizeof xml / sizeof xml[0]; i++)
        if (strlen(xml[i]) == n && ascii_ncasecmp(type, xml[i], n) == 0)
            return CAFE_TITLE_XML;
    return CAFE_TITLE_NONE;
}

/* ---- API ---------------------------------------------------------------------------- */

int cafe_title_create(cafe_title_t **out, const char *charset) {
    if (!out)
        return CAFE_EINVAL;
    cafe_title_t *t = malloc(sizeof *t);
    if (!t)
        return CAFE_ENOMEM;
    t->raw = NULL;
    t->xml = NULL;
    t->detect = 1;
    t->charset_seen[0] = 0; /* "" names no encoding, as the lookup would say */
    t->charset_enc = NULL;
    cafe__html_detect_init(&t->det);
    cafe__html_decoder_init(&t->wide);
    cafe__html_text_init(&t->text);
    static const cafe__html_tok_cb_t cb = {NULL,         on_title_start,   on_title_text,
                                           on_title_end, on_title_removed, on_meta};
    cafe__html_tok_init(&t->tok, &cb);
    t->tok.cb.ctx = t;
    cafe_title_reset(t, charset);
    *out = t;
    return 0;
}

/* The encoding a transport charset names (NULL: none, or unknown), the last one remembered. */
CAFE__HOT static const cafe__html_encoding_t *transport(cafe_title_t *t, const char *charset) {
    if (!charset)
        return NULL;
    if (strcmp(charset, t->charset_seen) == 0)
        return t->charset_enc;
    const cafe__html_encoding_t *e = cafe__html_encoding_transport(charset);
    size_t n = strlen(charset);
    if (n < sizeof t->charset_seen) {
        memcpy(t->charset_seen, charset, n + 1);
        t->charset_enc = e;
    }
    return e;
}

CAFE__HOT void cafe_title_reset(cafe_title_t *t, const char *charset) {
    need(t, "cafe_title_reset");
    t->transport = transport(t, charset);
    t->mode = CAFE_TITLE_HTML;
    t->enc = NULL;
    t->certain = t->predecode = t->switch_wide = t->done = t->has_title = t->title_closed = t->eof =
        t->closed_at_eof = 0;
    t->source = CAFE_CHARSET_DEFAULT;
    t->collecting = t->want_verdict = t->reading_on = t->in_head = 0;
    t->ev_from = NULL;
    cafe__html_detect_reset(&t->det);
    t->raw_ascii = 1;
    t->fed = t->nhead = 0;
    t->meta_cut = t->meta_pending = 0;
    cafe__html_tok_reset(&t->tok);
    /* the text is reset when a title starts: nothing reads it before (has_title is 0) */
}

CAFE__HOT int cafe_title_feed(cafe_title_t *t, const void *data, size_t len) {
    const unsigned char *p = data;
    need(t, "cafe_title_feed");
    if (__builtin_expect(!p && len > 0, 0))
        misuse("cafe_title_feed", "NULL data with a length");
    if (t->mode != CAFE_TITLE_HTML)
        return xml_feed(t, data, len);
    if (t->done || len == 0)
        return t->done;
    size_t at = t->fed;
    t->fed += len;
    if (!t->enc && by_header(t, p, len)) {
        header_decides(t);
    } else if (!t->enc) {
        size_t took = hold(t, p, len, 0);
        p += took, len -= took, at += took;
        if (!t->enc)
            return 0;
    }
    if (len > 0 && !t->done && !t->reading_on)
        stream_page(t, p, len, at);
    if (len > 0 && !t->done)
        gather(t, p, len);
    return t->done;
}

int cafe_title_pause(cafe_title_t *t) {
    need(t, "cafe_title_pause");
    if (t->mode == CAFE_TITLE_XML && !t->done) {
        int done = cafe__xml_pause(t->xml);
        xml_sync(t, done);
        return done;
    }
    if (!t->done && !t->enc)
        hold(t, (const unsigned char *)"", 0, 1); /* the prescan on what came */
    if (t->done || !t->has_title || !t->title_closed)
        return t->done;
    meta_final(t); /* as at the page's end, but the tokenizer may read on if told more */
    if (t->raw_ascii || !undeclared(t) || !detects(t))
        settle_ascii(t);
    else
        verdict(t);
    return 1;
}

/* The end of a page whose title was not final before it (cut: the caller stopped early). */
CAFE__APART static void finish(cafe_title_t *t, int cut) {
    /* cut or not, an unclosed title is no title in XML; cut, an SVG root's complete one stays */
    if (t->mode == CAFE_TITLE_XML) {
        cafe__xml_finish(t->xml, cut);
        xml_sync(t, 1);
        return;
    }
    if (!t->enc)
        hold(t, (const unsigned char *)"", 0, 1);
    if (!t->done && cut && t->predecode) /* a UTF-16 code unit cut: not a U+FFFD */
        cafe__html_decoder_set(&t->wide, t->enc);
    if (!t->done)
        stream(t, (const unsigned char *)"", 0, 1);
    if (!t->done && !t->reading_on) {
        t->eof = cut ? CAFE__TEXT_CUT : CAFE__TEXT_EOF;
        cafe__html_tok_eof(&t->tok, cut);
        t->certain = 1; /* the end: no <meta> can come */
        settle_if_final(t);
    }
    if (!t->done && t->want_verdict)
        verdict(t);
    settle(t);
}

CAFE__HOT int cafe_title_finish(cafe_title_t *t) {
    need(t, "cafe_title_finish");
    if (!t->done) /* most titles are final at their end tag */
        finish(t, 0);
    return t->has_title;
}

int cafe_title_finish_cut(cafe_title_t *t) {
    need(t, "cafe_title_finish_cut");
    if (!t->done)
        finish(t, 1);
    return t->has_title;
}

int cafe_title_done(const cafe_title_t *t) {
    need(t, "cafe_title_done");
    return t->done;
}

CAFE__HOT const char *cafe_title_text(const cafe_title_t *t, size_t *len) {
    need(t, "cafe_title_text");
    if (!t->done || !t->has_title)
        return NULL;
    if (len)
        *len = t->text.len;
    return t->text.buf;
}

int cafe_title_truncated(const cafe_title_t *t) {
    need(t, "cafe_title_truncated");
    return t->done && t->has_title && t->text.truncated;
}

CAFE__HOT int cafe_title_unclosed(const cafe_title_t *t) {
    need(t, "cafe_title_unclosed");
    return t->done && t->has_title && t->closed_at_eof;
}

const char *cafe_title_xml_error(const cafe_title_t *t, unsigned long *line,
                                 unsigned long *column) {
    need(t, "cafe_title_xml_error");
    unsigned long l = 0, c = 0;
    const char *why = t->mode == CAFE_TITLE_XML && t->done ? cafe__xml_error(t->xml, &l, &c) : NULL;
    if (line)
        *line = l;
    if (column)
        *column = c;
    return why;
}

CAFE__HOT const char *cafe_title_encoding(const cafe_title_t *t) {
    need(t, "cafe_title_encoding");
    if (t->enc)
        return t->enc->name;
    return t->transport ? t->transport->name : cafe__html_enc_windows1252.name;
}

CAFE__HOT cafe_charset_source_t cafe_title_charset_source(const cafe_title_t *t) {
    need(t, "cafe_title_charset_source");
    /* Undecided yet (no byte, or the 1024 held back): the step cafe_title_encoding's answer
     * comes from, the transport charset's when there is one, so that the two agree. */
    if (!t->enc && t->transport)
        return CAFE_CHARSET_HEADER;
    return t->source;
}

CAFE__HOT const char *cafe_charset_source_name(cafe_charset_source_t source) {
    switch (source) {
    case CAFE_CHARSET_BOM:
        return "bom";
    case CAFE_CHARSET_HEADER:
        return "header";
    case CAFE_CHARSET_META:
        return "meta";
    case CAFE_CHARSET_DETECTED:
        return "detected";
    case CAFE_CHARSET_XML:
        return "xml";
    default:
        return "default";
    }
}

CAFE__HOT void cafe_title_set_detection(cafe_title_t *t, int enabled) {
    need(t, "cafe_title_set_detection");
    t->detect = enabled != 0;
}

CAFE__HOT void cafe_title_set_url(cafe_title_t *t, const char *url) {
    need(t, "cafe_title_set_url");
    /* A known transport charset decides the encoding (a BOM aside): the detector, the only
     * reader of the hint, never runs for this page, so the URL is not even looked at. */
    if (!t->transport) /* else the hint stays as reset left it: none */
        cafe__html_detect_hint(&t->det, url);
}

void cafe_title_free(cafe_title_t *t) {
    if (!t)
        return;
    cafe__xml_free(t->xml);
    cafe__html_decoder_close(&t->wide);
    cafe__html_detect_close(&t->det);
    cafe__html_text_close(&t->text);
    free(t->raw);
    free(t);
}

int cafe_title_extract(const void *html, size_t len, const char *charset, char **title,
                       const char **encoding) {
    cafe_title_t *t;
    if (!title || (!html && len > 0))
        return CAFE_EINVAL;
    int rc = cafe_title_create(&t, charset);
    if (rc < 0)
        return rc;
    cafe_title_feed(t, html, len);
    int found = cafe_title_finish(t);
    *title = NULL;
    if (found) {
        size_t n;
        const char *s = cafe_title_text(t, &n);
        *title = malloc(n + 1);
        if (!*title) {
            cafe_title_free(t);
            return CAFE_ENOMEM;
        }
        memcpy(*title, s, n + 1);
    }
    if (encoding)
        *encoding = cafe_title_encoding(t);
    cafe_title_free(t);
    return found;
}
