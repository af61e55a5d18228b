/* Bytes tested 8 at a time (any alignment) with the usual word tricks, where a hot path
 * scans text: the HTTP client's header lines (src/http/redirect.c), the service's request
 * targets (src/serve/router.c). Header-only, as hash.h: the library and its clients each
 * compile it in. */
#ifndef CAFE_COMMON_WORD8_H
#define CAFE_COMMON_WORD8_H

#include <stdint.h>
#include <string.h>

/* b in each of the 8 bytes. */
#define WORD8_EACH(b) (0x0101010101010101ull * (uint64_t)(b))

/* The 8 bytes at p, as they lie in memory. */
static inline uint64_t word8_at(const void *p) {
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* Whether a byte of w is below c (1 to 0x80). Exact for "any": a borrow only sets a byte's
 * high bit above a byte that is below c itself. */
static inline int word8_has_below(uint64_t w, unsigned char c) {
    return ((w - WORD8_EACH(c)) & ~w & WORD8_EACH(0x80)) != 0;
}

/* Whether a byte of w is c. */
static inline int word8_has(uint64_t w, unsigned char c) {
    return word8_has_below(w ^ WORD8_EACH(c), 1);
}

#endif
