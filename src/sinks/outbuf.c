#include "outbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Room for n more bytes and a NUL (so that printf can write its own). */
static int reserve(outbuf_t *o, size_t n) {
    if (o->oom)
        return 0;
    if (n < o->cap - o->len)
        return 1;
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

void outbuf_put(outbuf_t *o, const char *s, size_t n) {
    /* reserve's test first, here: a record's pieces almost always fit (no call for them). */
    if (n == 0 || ((o->oom || n >= o->cap - o->len) && !reserve(o, n)))
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
