/* WHATWG MIME Sniffing's patterns for the first bytes of an HTML or XML document: how a
 * browser reads a response without a Content-Type (cafe titles' fetch.c), and how a file
 * given where a list of URLs goes is known as a page (`cafe titles page.html`, meant for
 * cafe title; sources/input.c). Header-only, as ascii.h. */
#ifndef CAFE_COMMON_SNIFF_H
#define CAFE_COMMON_SNIFF_H

#include "ascii.h"

#include <string.h>

/* How many of the n bytes at d are the leading whitespace skipped before a pattern (HTAB,
 * LF, FF, CR, space). */
static inline size_t sniff_leading_ws(const char *d, size_t n) {
    size_t i = 0;
    while (i < n && d[i] && strchr("\t\n\f\r ", d[i]))
        i++;
    return i;
}

/* The HTML signatures ("<!DOCTYPE HTML", "<HTML", ... then a space or '>', and "<!--"),
 * after leading whitespace, in any case. */
static inline int sniff_html(const char *d, size_t n) {
    static const char *const tags[] = {
        "!DOCTYPE HTML", "HTML", "HEAD",  "SCRIPT", "IFRAME", "H1",   "DIV", "FONT",
        "TABLE",         "A",    "STYLE", "TITLE",  "B",      "BODY", "BR",  "P"};
    size_t i = sniff_leading_ws(d, n);
    if (n - i >= 4 && memcmp(d + i, "<!--", 4) == 0)
        return 1;
    if (i >= n || d[i] != '<')
        return 0;
    for (size_t k = 0; k < sizeof tags / sizeof tags[0]; k++) {
        size_t len = strlen(tags[k]);
        if (n - i - 1 > len && ascii_ncasecmp(d + i + 1, tags[k], len) == 0 &&
            (d[i + 1 + len] == ' ' || d[i + 1 + len] == '>'))
            return 1;
    }
    return 0;
}

/* The XML signature, "<?xml", after leading whitespace. */
static inline int sniff_xml(const char *d, size_t n) {
    size_t i = sniff_leading_ws(d, n);
    return n - i >= 5 && memcmp(d + i, "<?xml", 5) == 0;
}

#endif
