/* A growable byte string that records are formatted into (format.c) and then written whole,
 * with one write() or fwrite(): cheaper per record than stdio's calls per field, and a
 * record is either all in it or not at all (format_record_append). */
#ifndef CAFE_SINKS_OUTBUF_H
#define CAFE_SINKS_OUTBUF_H

#include <stddef.h>
#include <string.h>

/* Zero-initialised is empty. Owns p; outbuf_free releases it. After a failed append (out of
 * memory) oom is set and the bytes appended since are incomplete. */
typedef struct outbuf {
    char *p;
    size_t len, cap;
    int oom;
} outbuf_t;

/* Appends n bytes of s (sets oom when the buffer cannot grow). */
void outbuf_put(outbuf_t *o, const char *s, size_t n);
/* Appends printf's output (for the rare escapes and numbers). */
void outbuf_printf(outbuf_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void outbuf_free(outbuf_t *o);

static inline void outbuf_puts(outbuf_t *o, const char *s) {
    outbuf_put(o, s, strlen(s)); /* a literal's length is folded at compile time */
}

static inline void outbuf_putc(outbuf_t *o, char c) {
    if (o->len < o->cap)
        o->p[o->len++] = c;
    else
        outbuf_put(o, &c, 1);
}

#endif
