/* The fuzz targets' UTF-8 check: aborts unless s[0..n) is valid UTF-8 (shortest forms, no
 * surrogates, nothing above U+10FFFF; U+0000 is valid here). */
#ifndef CAFE_FUZZ_UTF8_H
#define CAFE_FUZZ_UTF8_H

#include <stddef.h>
#include <stdlib.h>

static inline void fuzz_check_utf8(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80                ? 1
                     : c >= 0xC2 && c < 0xE0 ? 2
                     : c >= 0xE0 && c < 0xF0 ? 3
                     : c >= 0xF0 && c < 0xF5 ? 4
                                             : 0;
        if (len == 0 || i + len > n)
            abort();
        unsigned cp = len == 1 ? c : c & (0x7Fu >> len);
        for (size_t k = 1; k < len; k++) {
            if (((unsigned char)s[i + k] & 0xC0) != 0x80)
                abort();
            cp = cp << 6 | ((unsigned char)s[i + k] & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            abort();
        i += len;
    }
}

#endif
