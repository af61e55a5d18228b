/* libFuzzer target for a redirect's way (src/common/url.c): cafe__url_resolve of a Location
 * against the page's URL, then cafe__url_normalize_ascii of what it gives (the URL libcurl
 * is handed), and the fast path cafe__url_canonical. Input: the base URL's text, a NUL byte,
 * then the Location (the base is normalised first; one that is refused is replaced by a
 * fixed base picked by its length). Checks, beyond ASan and UBSan: a Location is refused as
 * another scheme (1) only when it has one; a URL the redirect gives starts with http:// or
 * https://, is printable ASCII without spaces, and is accepted again when normalised once
 * more; every URL cafe__url_canonical passes (the base, the Location, the result) is one
 * cafe__url_normalize returns unchanged, as its contract says: a wrong 1 would fetch and
 * record a URL no browser writes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cafe.h"
#include "common/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const bases[] = {
    "http://example.com/",
    "https://a.example:8443/dir/page.html?q=1#f",
    "http://127.0.0.1/a/b/c",
    "http://[::1]:8080/x?y",
};

static int http_or_https(const char *url) {
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

/* cafe__url_canonical(s) says normalising s changes nothing: check it does. */
static void canonical_is_normal(const char *s, size_t n) {
    if (!cafe__url_canonical(s, n))
        return;
    char *copy = strndup(s, n), *url = NULL;
    const char *why = NULL;
    if (!copy)
        abort();
    if (cafe__url_normalize(copy, &url, &why) != 0 || strlen(url) != n || memcmp(url, s, n) != 0)
        abort();
    free(url);
    free(copy);
}

static void check_result(const char *url) {
    if (!http_or_https(url))
        abort();
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F)
            abort();
    char *again = NULL;
    const char *why = NULL;
    if (cafe__url_normalize_ascii(url, &again, &why) != 0 || !http_or_https(again))
        abort();
    free(again);
    canonical_is_normal(url, strlen(url));
}

/* Whether ref, as resolve reads it (C0 controls and spaces around it, tabs and newlines
 * inside dropped), starts with a scheme: a letter, then letters, digits, +, - or ., then ':'. */
static int has_scheme(const char *ref) {
    while (*ref && (unsigned char)*ref <= 0x20)
        ref++;
    int first = 1;
    for (; *ref; ref++) {
        char c = *ref;
        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        int letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        if (c == ':')
            return !first;
        if (!letter && (first || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
            return 0;
        first = 0;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul || size > 4096)
        return 0;
    size_t bn = (size_t)(nul - data), rn = size - bn - 1;
    char *btext = strndup((const char *)data, bn), *ref = malloc(rn + 1);
    if (!btext || !ref)
        abort();
    memcpy(ref, nul + 1, rn);
    ref[rn] = 0;
    canonical_is_normal(btext, bn);
    canonical_is_normal(ref, strlen(ref));
    char *base = NULL;
    const char *why = NULL;
    if (cafe__url_normalize_ascii(btext, &base, &why) != 0)
        base = strdup(bases[bn % (sizeof bases / sizeof bases[0])]);
    if (!base)
        abort();
    check_result(base);
    char *abs = NULL;
    int rc = cafe__url_resolve(base, ref, &abs);
    if (rc == 1 && (abs || !has_scheme(ref)))
        abort();
    if (rc == 0) {
        char *url = NULL;
        if (!abs)
            abort();
        if (cafe__url_normalize_ascii(abs, &url, &why) == 0)
            check_result(url);
        else if (url || !why)
            abort();
        free(url);
    } else if (rc != 1 && rc != CAFE_ENOMEM) {
        abort();
    }
    free(abs);
    free(base);
    free(ref);
    free(btext);
    return 0;
}
