#include "text.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. Rejects
 * overlongs, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

char *text_utf8_repair(const char *s, size_t n) {
    char *out = malloc(n * 3 + 1), *o = out; /* worst case: every byte becomes U+FFFD */
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        uint32_t cp;
        size_t len = utf8_seq(p, (size_t)(end - p), &cp);
        if (len == 0) {
            *o++ = (char)0xEF, *o++ = (char)0xBF, *o++ = (char)0xBD;
            p++;
        } else {
            for (size_t i = 0; i < len; i++)
                *o++ = (char)p[i];
            p += len;
        }
    }
    *o = 0;
    return out;
}

/* Writes s for a terminal, a run of safe bytes at a time (one fwrite per run, not per
 * character: this is on every record's path). */
int text_put_safe(FILE *f, const char *s) {
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (;;) {
        while (*p >= 0x20 && *p < 0x7F) /* printable ASCII, the common case */
            p++;
        if (*p == 0)
            break;
        uint32_t cp = 0;
        /* At most 4 bytes are read, and never past the NUL: it is no continuation byte. */
        size_t len = *p >= 0x80 ? utf8_seq(p, 4, &cp) : 0;
        if (len > 0 && cp >= 0xA0) {
            p += len;
            continue;
        }
        /* A control character, DEL, a C1 control or an invalid byte: shown as \xNN. */
        if ((p > run && fwrite(run, 1, (size_t)(p - run), f) != (size_t)(p - run)) ||
            fprintf(f, "\\x%02x", len == 0 ? p[0] : (unsigned)cp) < 0)
            return errno ? -errno : -EIO;
        p += len ? len : 1;
        run = p;
    }
    if (p > run && fwrite(run, 1, (size_t)(p - run), f) != (size_t)(p - run))
        return errno ? -errno : -EIO;
    return 0;
}
