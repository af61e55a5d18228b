/* HTTP's token (RFC 9110, 5.6.2), for the tools' own reading of a media type they are given:
 * `cafe title --type` (src/cli/title_cmd.c) and the service's request bodies
 * (src/serve/charset.c). Header-only, as hash.h. */
#ifndef CAFE_COMMON_TOKEN_H
#define CAFE_COMMON_TOKEN_H

#include <stddef.h>
#include <string.h>

/* Whether c is a tchar: visible ASCII but the delimiters. */
static inline int http_tchar(char c) {
    return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* The length of the token p starts with (0 when none). */
static inline size_t http_token_len(const char *p) {
    size_t n = 0;
    while (http_tchar(p[n]))
        n++;
    return n;
}

#endif
