/* Case-insensitive ASCII, whatever the process's locale. HTTP, URLs, media types, charset
 * labels and HTML tag names fold A-Z only; strcasecmp and tolower follow LC_CTYPE, and a
 * program that calls setlocale(LC_ALL, "") in a Turkish or Azeri locale gets an I that is not
 * i's capital: "APPLICATION/XHTML+XML" and "NOSNIFF" then matched nothing. libcafe and its
 * tools use these instead (tests/layout/test_locale_free.sh keeps it so). Header-only, as
 * hash.h. */
#ifndef CAFE_COMMON_ASCII_H
#define CAFE_COMMON_ASCII_H

#include <stddef.h>

static inline int ascii_lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* strncasecmp's contract, A-Z folded only. */
static inline int ascii_ncasecmp(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int x = ascii_lower((unsigned char)a[i]), y = ascii_lower((unsigned char)b[i]);
        if (x != y || x == 0)
            return x - y;
    }
    return 0;
}

/* strcasecmp's contract, A-Z folded only. */
static inline int ascii_casecmp(const char *a, const char *b) {
    return ascii_ncasecmp(a, b, (size_t)-1);
}

#endif
