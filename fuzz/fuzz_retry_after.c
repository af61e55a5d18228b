/* libFuzzer target for the Retry-After parser (cafe__http_retry_after_parse) and the backoff
 * formula it feeds. Input: 8 bytes of `now`, then the header value (exactly its bytes, no
 * NUL, on the heap so ASan sees any read past it). Checks: the result is -1 or >= 0; a value
 * of digits only gives those seconds (saturated); surrounding blanks change nothing; the
 * backoff stays within its cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 8)
        return 0;
    int64_t now;
    memcpy(&now, data, 8);
    now &= INT64_C(0xFFFFFFFFFF); /* any UNIX time up to year 36812 */
    size_t n = size - 8;
    char *v = malloc(n + 2);
    if (!v)
        return 0;
    memcpy(v + 1, data + 8, n);
    int64_t secs = cafe__http_retry_after_parse(v + 1, n, now);
    if (secs < -1)
        abort();
    /* the same value with OWS around it */
    v[0] = ' ';
    v[n + 1] = '\t';
    if (cafe__http_retry_after_parse(v, n + 2, now) != secs)
        abort();
    int digits = n > 0 && n < 18;
    int64_t want = 0;
    for (size_t i = 0; i < n && digits; i++) {
        if (data[8 + i] < '0' || data[8 + i] > '9')
            digits = 0;
        else
            want = want * 10 + (data[8 + i] - '0');
    }
    if (digits && secs != want)
        abort();
    uint64_t cap = (uint64_t)(now & 0xFFFFF) + 1, base = (uint64_t)(now >> 20 & 0xFFFF) + 1;
    uint64_t wait = cafe__http_backoff_ms((int)(n % 70) + 2, base, cap, (uint32_t)now);
    if (wait > cap)
        abort();
    free(v);
    return 0;
}
