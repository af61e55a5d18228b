/* The title fuzz targets' feeding of one input in pieces, the same for HTML and XML. */
#ifndef CAFE_FUZZ_FEED_H
#define CAFE_FUZZ_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "cafe.h"

/* Feeds p[0..n) to t until it is final. step 0: whole; 1: byte by byte; other: chunk sizes
 * of 1-64 from a generator seeded with step. */
static inline void fuzz_title_feed_split(cafe_title_t *t, const uint8_t *p, size_t n,
                                         unsigned step) {
    for (size_t pos = 0; pos < n;) {
        size_t k = n - pos;
        if (step == 1) {
            k = 1;
        } else if (step > 1) {
            step = step * 1103515245u + 12345u;
            k = 1 + (step >> 16) % 64;
        }
        if (k > n - pos)
            k = n - pos;
        if (cafe_title_feed(t, p + pos, k) == 1)
            break;
        pos += k;
    }
}

#endif
