/* libFuzzer target for the Content-Type parser (cafe__content_type_parse, the HTTP client's and
 * the title extractor's), the Content-Length list parser and the origin key. Input: byte 0 picks
 * the output buffer sizes, the rest is the header value (exactly its bytes, on the heap). Checks:
 * both outputs are NUL-terminated within their buffers, lower-case, and the media type holds a '/'
 * and no whitespace nor ';' (or is empty); the guard bytes after each buffer are untouched; the
 * charset is the same without a type buffer (the title extractor's call). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/content_type.h"
#include "http/parse.h"
#include "common/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_out(const char *s, size_t cap) {
    size_t len = strnlen(s, cap);
    if (len >= cap)
        abort();
    for (size_t i = 0; i < len; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t type_cap = 1 + (data[0] & 0x0F) * 9, cs_cap = 1 + (data[0] >> 4) * 4;
    size_t n = size - 1;
    char *v = malloc(n ? n : 1);
    char *type = malloc(type_cap + 1), *cs = malloc(cs_cap + 1);
    if (!v || !type || !cs)
        abort();
    memcpy(v, data + 1, n);
    type[type_cap] = cs[cs_cap] = 0x55;
    cafe__content_type_parse(v, n, type, type_cap, cs, cs_cap);
    uint64_t length;
    (void)cafe__http_content_length_parse(v, n, &length); /* reads exactly n bytes */
    if (type[type_cap] != 0x55 || cs[cs_cap] != 0x55)
        abort();
    check_out(type, type_cap);
    check_out(cs, cs_cap);
    if (type[0] && (!strchr(type, '/') || strpbrk(type, " \t\r\n;")))
        abort();
    char *cs_alone = malloc(cs_cap);
    if (!cs_alone)
        abort();
    cafe__content_type_parse(v, n, NULL, 0, cs_alone, cs_cap);
    if (strcmp(cs_alone, cs) != 0)
        abort();
    free(cs_alone);
    /* The origin key reads a NUL-terminated URL: give it the value as one. */
    char *url = malloc(n + 1), key[64];
    if (!url)
        abort();
    memcpy(url, v, n);
    url[n] = 0;
    uint64_t hash;
    size_t klen = cafe__http_origin_key(url, key, 1 + (data[0] & 63), &hash);
    (void)cafe__http_list_has(url, "close"); /* any NUL-terminated value is read safely */
    if (klen > (size_t)(data[0] & 63) || strlen(key) != klen ||
        hash != hash_bytes(HASH_SEED, key, klen))
        abort();
    free(url);
    free(v);
    free(type);
    free(cs);
    return 0;
}
