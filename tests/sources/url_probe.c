/* The URL rules of list lines and redirects, one case per input line, for url_spec.py: reads
 * "L<TAB>line" (a list line, as cafe titles reads it) or "R<TAB>base<TAB>location" (a
 * redirect's Location, as the HTTP client resolves it), each field escaped (\\t \\n \\r \\\\
 * \\xHH), and prints "OK <url>" or "FAIL <why>" per case. Not a test: url_spec.py runs it. */
#include "common/url.h"
#include "sources/input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex(int c) {
    return c >= '0' && c <= '9'                     ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
}

/* Unescapes s in place; returns its length (a NUL byte may be inside). */
static size_t unescape(char *s) {
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p != '\\' || !p[1]) {
            *o++ = *p;
            continue;
        }
        char c = *++p;
        if (c == 'x' && hex(p[1]) >= 0 && hex(p[2]) >= 0) {
            *o++ = (char)(hex(p[1]) * 16 + hex(p[2]));
            p += 2;
        } else
            *o++ = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
    }
    *o = '\0';
    return (size_t)(o - s);
}

static int list_line(char *line, char **url, const char **why) {
    size_t n = unescape(line), start = 0;
    if (memchr(line, '\0', n)) { /* the tool refuses such a line before normalising it */
        *why = "NUL byte";
        return -1;
    }
    size_t k = input_line_trim(line, n, &start);
    if (k == 0) {
        *why = "blank line";
        return -1;
    }
    return url_normalize(line + start, k, "https", url, why);
}

static int location(char *base, char *ref, char **url, const char **why) {
    char *abs = NULL;
    unescape(base);
    unescape(ref);
    int rc = cafe__url_resolve(base, ref, &abs);
    if (rc != 0) {
        *why = rc == 1 ? "not http or https" : "out of memory";
        return -1;
    }
    rc = cafe__url_normalize_ascii(abs, url, why); /* as the HTTP client reads it */
    free(abs);
    return rc;
}

int main(void) {
    /* No setlocale: the URL rules read a Unicode host as UTF-8 in any locale (url.c ace_of),
     * here the "C" one. */
    static char buf[1 << 16];
    while (fgets(buf, sizeof buf, stdin)) {
        buf[strcspn(buf, "\n")] = '\0';
        char *a = strchr(buf, '\t'), *b = a ? strchr(a + 1, '\t') : NULL, *url = NULL;
        const char *why = "malformed case";
        int rc = -1;
        if (buf[0] == 'L' && a)
            rc = list_line(a + 1, &url, &why);
        else if (buf[0] == 'R' && b) {
            *b = '\0';
            rc = location(a + 1, b + 1, &url, &why);
        }
        if (rc == 0)
            printf("OK %s\n", url);
        else
            printf("FAIL %s\n", why);
        free(url);
    }
    return ferror(stdout) || fflush(stdout) != 0;
}
