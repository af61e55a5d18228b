/* Whether a single-byte encoding reads a few non-ASCII bytes as text someone wrote: the
 * second opinion the detector (detect.h) asks for when its evidence is thin. uchardet picks
 * among encodings almost at random on a word or two; the reading of the wrong one is often
 * not text at all: "Łódź" in windows-1250 read as ISO-8859-2 ends in a C1 control,
 * "Śląsk" in ISO-8859-2 read as windows-1250 holds "¦" and "±" inside the word, "Форум" in
 * KOI8 read as windows-1251 is "жПТХН", a lower-case letter then capitals. This is the part
 * of chardetng's scoring that needs no per-language statistics: what a character is (a
 * letter of which script and case, punctuation that may touch a word, a symbol, a control),
 * and what may stand next to what.
 *
 * A reading is implausible when, for a non-ASCII byte of the evidence, its character is a
 * control or unmapped; or is a symbol (£ ± ¦ ¬ box drawing...) touching a letter; or is
 * punctuation that only stands at a word's edge (quotes, ™, ¿...) between two letters; or
 * is a letter next to a letter of another script, or a lower-case letter next to a capital
 * that follows it (an ASCII pair never counts: "iPhone" is text). It is implausible too when
 * its non-ASCII Latin letters, or its Cyrillic letters beyond а-я, are not all of one
 * language's alphabet: "Łódľ" mixes Polish and Slovak, "Orø prognozë" (Lithuanian read as
 * windows-1252) Danish and Albanian, "ЃЌЏђќ" Macedonian and Serbian. */
#ifndef CAFE_HTML_PLAUSIBLE_H
#define CAFE_HTML_PLAUSIBLE_H

#include <stddef.h>

#include "html/encoding.h"

/* 1 when single-byte encoding e reads p[0..n) plausibly, judging only the characters of the
 * non-ASCII bytes at offsets high[0..nhigh) and their neighbours; 0 otherwise. */
int cafe__html_plausible(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
                         const unsigned *high, size_t nhigh);

/* 1 when multi-byte encoding e decodes p[0..n) without an error (U+FFFD) and without
 * half-width katakana, which titles almost never hold and a wrong Japanese encoding yields
 * ("日本" in EUC-JP read as Shift_JIS: "ﾆ�ﾜ"); 0 otherwise. A sequence cut by the end of p
 * is not judged. */
int cafe__html_plausible_multi(const cafe__html_encoding_t *e, const unsigned char *p, size_t n);

#endif
