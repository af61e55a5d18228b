/* Encoding detection for pages that declare none (no BOM, no transport charset, no <meta>):
 * the step the WHATWG sniffing algorithm allows before the windows-1252 default ("the user
 * agent may attempt to autodetect the character encoding"). The extractor asks for it only
 * when the title needs it (the title holds non-ASCII bytes) or, for the encoding's name alone,
 * when an ASCII title's first 1024 bytes do (title.c, head_verdict).
 *
 * The verdict, in order:
 *   1. the bytes the caller holds (the head and the title, non-ASCII) are valid UTF-8
 *      (cafe__html_detect_utf8): UTF-8, since a legacy encoding almost never forms valid
 *      multi-byte UTF-8 sequences;
 *   2. else uchardet's answer on the evidence fed, through the WHATWG label table (chosen
 *      over ICU's ucsdet on the corpus of bench/detect: see bench/detect/README.md); an
 *      ISO-8859-6 answer that windows-1256 reads as Arabic is windows-1256, an ISO-8859-13 or
 *      ISO-8859-2 answer its Windows twin reads alike is that twin (but under .pl and .hu), and
 *      a GBK answer read with kana for one character in eight is EUC-JP, as in browsers;
 *   3. with little evidence (under CAFE__DETECT_ENOUGH non-ASCII bytes: a title of a few
 *      words), the URL's top-level domain as a hint, as chardetng does: an answer that is not
 *      among the encodings used under that domain (.ru: windows-1251, KOI8-U, ...) gives way
 *      to its usual one. uchardet guesses wildly on a few bytes ("日本" in Shift_JIS comes
 *      out windows-1252, "Café" ISO-8859-2); on the corpus's one- and two-word titles the
 *      hint takes uchardet from 28 right of 48 to 43. Not for Latin text no encoding of the
 *      domain reads and windows-1252 reads as letters ("Café Müller" under .ru, .jp, .cn,
 *      "zahranièních vìcí Èeské" under .ru): windows-1252, as in both browsers (but not for
 *      windows-1252's punctuation alone: "News – Today" under .jp is Shift_JIS's "News �
 *      Today" to both);
 *      nor, under a Latin-script domain (.pl, .cz, .tr, .lt, .de...), for text of another
 *      script that none of its encodings reads as text, or with a word of four non-ASCII
 *      bytes ("Новости" in windows-1251 under .pl stays windows-1251, as in both); there
 *      the usual encoding is the first of the domain's that reads no byte as a C1 control;
 *   4. with little evidence under a domain that names no encodings (.com, .org, no URL), a
 *      rare Latin answer (ISO-8859-10, -13, windows-1257...) gives way to windows-1252 when
 *      windows-1252 reads the evidence plausibly, in one language's alphabet
 *      (plausible.h), unless the answer differs from it in two letters or more and none is
 *      å, æ, ø or ñ: uchardet reads "Año" as ISO-8859-10's "Aņo", chardetng (Firefox)
 *      keeps windows-1252 for Latin unless the evidence is strong;
 *   5. with little evidence, a single-byte answer whose reading is not plausible text
 *      (plausible.h: "Форум" in KOI8 read as windows-1251's "жПТХН", a C1 control, a
 *      symbol inside a word, letters of two alphabets) gives way to the first of the
 *      domain's encodings, else of the common single-byte ones, that reads plausibly:
 *      chardetng's letter-case and adjacency rules, without its per-language statistics;
 *      where uchardet has no answer, windows-1252's reading is checked the same way; a
 *      multi-byte answer that decodes with errors or half-width katakana gives way to
 *      another of its domain's encodings that does not (EUC-JP under .jp);
 *   6. with little evidence under a domain that names no encodings, an answer whose reading
 *      is not plausible, is UTF-8 (the title is not) or has no word cased as words are
 *      written ("ЦРОД", GBK's "中文" in windows-1251) gives way to a CJK reading whose
 *      characters all fall in its encoding's common blocks (plausible.h), the likeliest of
 *      them; so does a CJK answer whose reading holds rare characters;
 *   7. else no answer (the caller keeps windows-1252).
 * Before all of these: evidence whose non-ASCII bytes stand next to a NUL, half of them or
 * more (text interleaved with NULs, as UTF-16 is), gets no answer, or under a Latin-script
 * domain its usual encoding: neither browser reads its letters.
 * Answers the tokenizer could not have read as bytes (UTF-16, ISO-2022-JP, UTF-32) or that
 * would erase the page (the replacement encoding: HZ, ISO-2022-KR/CN) count as no answer.
 *
 * Memory: the evidence (a buffer grown to at most CAFE__DETECT_MAX, kept by reset) and the
 * uchardet instance (allocated at the first verdict, kept by reset); nothing per byte.
 * uchardet itself is loaded at the first verdict that needs it (uchardet_lib.h); when it
 * cannot be, step 2 answers nothing. */
#ifndef CAFE_HTML_DETECT_H
#define CAFE_HTML_DETECT_H

#include <stddef.h>

#include "html/encoding.h"
#include "html/uchardet_lib.h"

/* The cap on evidence: this many bytes, or CAFE__DETECT_ENOUGH non-ASCII bytes, whichever
 * comes first. A cap on the evidence itself (not on when the caller asks) keeps the verdict
 * the same however the page is split into chunks. */
#define CAFE__DETECT_MAX 65536
/* Non-ASCII bytes that are enough evidence for uchardet (on the corpus a title of a dozen
 * letters mostly is; more body text rarely changes its mind). */
#define CAFE__DETECT_ENOUGH 64

typedef struct cafe__html_detect {
    cafe__uchardet_lib_t lib; /* uchardet, opened at the first verdict that needs it */
    struct uchardet *ud;      /* its instance, or NULL before the first verdict (or failed) */
    unsigned char *buf;       /* the evidence (grown by doubling, up to the cap) */
    size_t cap;               /* its size */
    size_t fed;               /* bytes of evidence so far */
    size_t high;              /* non-ASCII bytes among them */
    unsigned at[CAFE__DETECT_ENOUGH]; /* their offsets in buf (the first ENOUGH): the
                                         plausibility checks look there */
    char tld[16];                     /* the hint: lower-case top-level domain, or "" */
} cafe__html_detect_t;

void cafe__html_detect_init(cafe__html_detect_t *d);
/* Forgets the evidence and the hint; keeps the buffer and the uchardet instance. */
void cafe__html_detect_reset(cafe__html_detect_t *d);
/* Forgets the evidence fed so far (before any verdict); keeps the hint. */
void cafe__html_detect_forget(cafe__html_detect_t *d);
/* Adds evidence (bytes of the page in order; gaps are allowed); beyond the cap it is
 * ignored. */
void cafe__html_detect_feed(cafe__html_detect_t *d, const unsigned char *p, size_t n);
/* 1 when the evidence reached the cap. */
int cafe__html_detect_enough(const cafe__html_detect_t *d);
/* 1 when p is valid UTF-8 (ASCII is; so is a sequence cut by the end of p when cut_ok: the
 * bytes were cut there, not ended), else 0. */
int cafe__html_detect_utf8(const unsigned char *p, size_t n, int cut_ok);
/* The page's URL (or host name): its top-level domain is the hint. NULL or no domain: none. */
void cafe__html_detect_hint(cafe__html_detect_t *d, const char *url);
/* The verdict on the evidence so far (once per page), or NULL for no answer. */
const cafe__html_encoding_t *cafe__html_detect_result(cafe__html_detect_t *d);
void cafe__html_detect_close(cafe__html_detect_t *d);

#endif
