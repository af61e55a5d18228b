/* libFuzzer target for the URL-list line reader's pure logic: input_line_trim, then
 * url_normalize on what it keeps (what `cafe titles` does with every input line).
 * Input: byte 0 picks the default scheme, the rest is one line. Checks, beyond ASan and
 * UBSan: the trimmed span lies inside the line and has no surrounding whitespace; an accepted
 * URL starts with http:// or https:// and is accepted again when normalised once more. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_space(char c) {
    return c && strchr(" \t\r\n\f\v", c);
}

static int http_or_https(const char *url) {
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

/* A URL cafe produced is one cafe accepts. (Not always a fixed point: curl decodes "%39" to a
 * host "9" in one pass and reads that as the IPv4 address 0.0.0.9 in the next.) */
static void check_url(const char *url) {
    if (!http_or_https(url))
        abort();
    char *again = NULL;
    const char *why = NULL;
    if (url_normalize(url, strlen(url), "https", &again, &why) != 0 || !again ||
        !http_or_https(again))
        abort();
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > INPUT_LINE_MAX)
        return 0;
    const char *scheme = data[0] & 1 ? "http" : "https";
    /* A heap copy of exactly the line's bytes, so ASan sees any read past its end. */
    size_t n = size - 1;
    char *line = malloc(n ? n : 1);
    if (!line)
        return 0;
    memcpy(line, data + 1, n);
    size_t start = 0, kept = input_line_trim(line, n, &start);
    if (start > n || kept > n - start)
        abort();
    if (kept) {
        if (is_space(line[start]) || is_space(line[start + kept - 1]) || line[start] == '#')
            abort();
        char *url = NULL;
        const char *why = NULL;
        int rc = url_normalize(line + start, kept, scheme, &url, &why);
        if (rc == 0) {
            if (!url)
                abort();
            check_url(url);
        } else if (url || !why) {
            abort();
        }
        free(url);
    }
    free(line);
    return 0;
}
