#include "outbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__GNUC__)
#define OUT_OF_LINE __attribute__((noinline))
#else
#define OUT_OF_LINE
#endif

/* Grows the buffer to hold n more bytes and a NUL: 1, or 0 (o->oom set) out of memory. Out
 * of line: inlined, its registers would be saved on reserve's fast path too. */
OUT_OF_LINE static int grow(outbuf_t *o, size_t n) {
    if (o->oom)
        return 0;
    size_t cap = o->cap ? o->cap : 256;
    while (cap - o->len <= n)
        cap *= 2;
    char *p = realloc(o->p, cap);
    if (!p) {
        o->oom = 1;
        return 0;
    }
    o->p = p;
    o->cap = cap;
    return 1;
}

/* Room for n more bytes and a NUL (so that printf can write its own). The test is inline and
 * the growth not: a record's pieces almost always fit, and each is a call here. */
static inline int reserve(outbuf_t *o, size_t n) {
    return (!o->oom && n < o->cap - o->len) || grow(o, n);
}

void outbuf_put(outbuf_t *o, const char *s, size_t n) {
    if (n == 0 || !reserve(o, n))
        return;
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

void outbuf_printf(outbuf_t *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->oom = 1; /* only an encoding error: none of our formats has one */
        return;
    }
    if (!reserve(o, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(o->p + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

void outbuf_free(outbuf_t *o) {
    free(o->p);
    *o = (outbuf_t){0};
}
