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
 * windows-1252) Danish and Albanian, "ЃЌЏђќ" Macedonian and Serbian.
 *
 * For CJK bytes read as a single-byte encoding ("中文" in GBK as windows-1251's "ЦРОД") the
 * detector weighs a CJK reading by the blocks of its encoding (cafe__html_cjk_cost) against
 * the words of the single-byte one (cafe__html_cased_word). */
#ifndef CAFE_HTML_PLAUSIBLE_H
#define CAFE_HTML_PLAUSIBLE_H

#include <stddef.h>

#include "html/encoding.h"

/* 1 when single-byte encoding e reads p[0..n) plausibly, judging only the characters of the
 * non-ASCII bytes at offsets high[0..nhigh) and their neighbours; 0 otherwise. */
int cafe__html_plausible(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
                         const unsigned *high, size_t nhigh);

/* As cafe__html_plausible, but the letters need not all be of one language's alphabet: a
 * reading of letters only where they may stand, whatever their languages. */
int cafe__html_plausible_letters(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
                                 const unsigned *high, size_t nhigh);

/* 1 when single-byte encoding e reads one of the non-ASCII bytes at offsets high[0..nhigh) of
 * p as a letter; 0 when it reads them all as punctuation, symbols or controls. */
int cafe__html_reads_letter(const cafe__html_encoding_t *e, const unsigned char *p,
                            const unsigned *high, size_t nhigh);

/* 1 when multi-byte encoding e decodes p[0..n) without an error (U+FFFD) and without
 * half-width katakana, which titles almost never hold and a wrong Japanese encoding yields
 * ("日本" in EUC-JP read as Shift_JIS: "ﾆ�ﾜ"); 0 otherwise. A sequence cut by the end of p
 * is not judged. */
int cafe__html_plausible_multi(const cafe__html_encoding_t *e, const unsigned char *p, size_t n);
/* As cafe__html_plausible, but the letters need not all be of one language's alphabet: a
 * reading of letters only where they may stand, whatever their languages. */
int cafe__html_plausible_letters(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
                                 const unsigned *high, size_t nhigh);

/* 1 when multi-byte encoding e decodes p[0..n) without an error (U+FFFD), half-width katakana
 * allowed; 0 otherwise. A sequence cut by the end of p is not judged. */
int cafe__html_decodes_multi(const cafe__html_encoding_t *e, const unsigned char *p, size_t n);

/* How CJK multi-byte encoding e reads the characters of p[from..to) (p[0..n) around them gives
 * their neighbours), by the blocks its own layout sets apart: GB2312's level-1 hanzi (GBK
 * leads 0xB0-0xD7), Big5's frequently used hanzi (0xA4-0xC6), JIS level-1 kanji (Shift_JIS
 * 0x88-0x98, EUC-JP 0xB0-0xCF) and kana, KS X 1001's Hangul syllables (EUC-KR 0xB0-0xC8) are
 * the characters text is made of; level-2 hanzi and kanji, Big5's less frequent ones, Hanja,
 * the extensions, half-width katakana and private use are rare in text, a title's above all.
 * Returns -1 when a character is rare or fewer than 2 common ones stand clear of ASCII letters
 * (a CJK character rarely touches a Latin word: "Za\xbf\xf3\xb3\xe6", ISO-8859-2's "Zażółć",
 * is two level-1 hanzi in GBK); else the reading's cost, lower for a likelier reading: a
 * character's cost is about -log2 of its chance in text where each common block's characters
 * are equally likely (kana, few and frequent, cost least: "お知らせ" in EUC-JP is four common
 * Big5 hanzi too). Decoding errors are cafe__html_plausible_multi's to find. */
int cafe__html_cjk_cost(const cafe__html_encoding_t *e, const unsigned char *p, size_t n,
                        size_t from, size_t to);

/* 1 when single-byte encoding e reads, among the non-ASCII bytes at offsets high[0..nhigh) of
 * p[0..n), a word that speaks for the reading: a letter of a script without case (Hebrew,
 * Arabic, Thai: nothing tells their words from a CJK reading but statistics cafe lacks), or a
 * word of two letters or more, one non-ASCII, cased as words are written: all small or a
 * capital then small letters ("Zażółć", "новости"). 0 when its words are capitals only
 * ("ЦРОД", GBK's "中文" in windows-1251), capitals then small letters ("КЧТі") or single
 * letters, or it has no letters: a CJK reading is then at least as likely. With caseless 0,
 * letters of a script without case do not speak for the reading either. */
int cafe__html_cased_word(const cafe__html_encoding_t *e, int caseless, const unsigned char *p,
                          size_t n, const unsigned *high, size_t nhigh);

#endif
