/* Characters as a terminal shows them, for the tool's output and messages: one UTF-8 step and
 * one set of characters that must be escaped though Unicode calls them printable. Shared by
 * the text and JSON records (src/sinks) and the quoting of names in messages (msg.c), so that
 * what one escapes the others escape too. Header only: no state. */
#ifndef CAFE_COMMON_TERMCHAR_H
#define CAFE_COMMON_TERMCHAR_H

#include "cafe/title.h"
#include "ascii.h"

#include <langinfo.h>
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Characters that reorder or break the rest of a terminal line though they are printable
 * in Unicode's sense: the bidirectional controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI) and the
 * line and paragraph separators. */
static inline int term_reorders(uint32_t cp) {
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* The length of the sequence lead byte c starts, 0 if it starts none. */
static inline size_t term_lead_len(unsigned char c) {
    return c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
}

/* The code point of the valid len-byte sequence at s. */
static inline uint32_t term_code_point(const unsigned char *s, size_t len) {
    uint32_t v = len == 1 ? s[0] : s[0] & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++)
        v = (v << 6) | (s[i] & 0x3Fu);
    return v;
}

/* Length of the valid UTF-8 sequence at s[0..n) (a NUL ends it too), 0 if invalid; *cp its
 * code point. Validity is cafe_utf8_valid's (one rule); only the lead byte's length is read
 * here. Never reads past a NUL: a NUL is no continuation byte, so a shorter sequence fails. */
static inline size_t term_utf8_char(const unsigned char *s, size_t n, uint32_t *cp) {
    size_t len = term_lead_len(s[0]);
    for (size_t i = 1; i < len && i < n; i++)
        if (s[i] == 0)
            return 0;
    if (len == 0 || len > n || !cafe_utf8_valid((const char *)s, len))
        return 0;
    *cp = term_code_point(s, len);
    return len;
}

/* Is the user's locale (LC_ALL, LC_CTYPE, LANG) one of 8-bit characters, ISO-8859-1, KOI8-R...?
 * Its terminal then shows UTF-8 as mojibake, and reads a byte 0x80 to 0x9F of it as a C1
 * control (U+00DB is C3 9B, 0x9B the 8-bit CSI). A name that gives its codeset
 * ("fr_FR.ISO-8859-15", "C.UTF-8") says it, installed or not; else the locale is asked with
 * newlocale, whatever setlocale the program made (glibc's newlocale loses its search path when
 * it fails under LOCPATH: LeakSanitizer saw it, so it is asked only when the name cannot
 * tell). UTF-8 and the C locale's ASCII are not (a terminal of the C locale is UTF-8 in
 * practice: a container's shell without LANG). */
static inline int term_locale_8bit(void) {
    const char *name = NULL;
    static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < 3 && (!name || !*name); i++)
        name = getenv(vars[i]);
    const char *dot = name ? strchr(name, '.') : NULL;
    if (dot && dot[1] && dot[1] != '@') {
        size_t n = strcspn(dot + 1, "@");
        return !((n == 5 && ascii_ncasecmp(dot + 1, "utf-8", 5) == 0) ||
                 (n == 4 && ascii_ncasecmp(dot + 1, "utf8", 4) == 0));
    }
    locale_t l = newlocale(LC_CTYPE_MASK, "", (locale_t)0);
    if (!l)
        return 0; /* no codeset named, none installed: cannot tell */
    const char *cs = nl_langinfo_l(CODESET, l);
    int eight = cs && *cs && strcmp(cs, "UTF-8") != 0 && strcmp(cs, "ANSI_X3.4-1968") != 0;
    freelocale(l);
    return eight;
}

#endif
