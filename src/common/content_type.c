/* Content-Type values (see content_type.h). Inputs come from the network: every index is
 * checked against n, nothing is assumed NUL-terminated. */
#include "content_type.h"
#include "ascii.h"

#include <string.h>

static char lower(char ch) {
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* HTTP whitespace (Fetch): what a MIME type's parser strips around it and its parts. */
static int is_http_ws(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Fetch's "HTTP quoted-string token code point", a byte of the isomorphic decoding: tab,
 * printable ASCII and every byte from 0x80. */
static int is_qtext(unsigned char ch) {
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

/* The longest essence and charset value kept, NUL included: a longer essence is no type
 * cafe looks for (the value is skipped), a longer charset names no encoding (kept as ""). */
enum { ESSENCE_CAP = 128, CHARSET_CAP = 64 };

/* One parsed MIME type: its essence and, when has_charset, its charset parameter (""
 * when too long for the buffer), both lower-cased. */
typedef struct mime {
    char essence[ESSENCE_CAP];
    char charset[CHARSET_CAP];
    int has_charset;
} mime_t;

/* Fetch's "collect an HTTP quoted string" with extract-value set, from the '"' at v[*i]:
 * the value unescaped and lower-cased into out (cap bytes; "" and *fits cleared when it
 * does not fit), *i past the closing quote or at n. Returns whether every byte of the value
 * is a quoted-string token code point. */
static int quoted_value(const char *v, size_t n, size_t *i, char *out, size_t cap, int *fits) {
    size_t k = *i + 1, len = 0;
    int valid = 1;
    *fits = 1;
    for (; k < n && v[k] != '"'; k++) {
        if (v[k] == '\\' && k + 1 < n) /* a backslash at the very end stands for itself */
            k++;
        valid &= is_qtext((unsigned char)v[k]);
        if (len + 1 < cap)
            out[len++] = lower(v[k]);
        else
            *fits = 0;
    }
    out[*fits ? len : 0] = '\0';
    *i = k < n ? k + 1 : n;
    return valid;
}

/* Where the quoted string starting at v[i] ('"') ends: past its closing quote, or n. */
static size_t skip_quoted(const char *v, size_t n, size_t i) {
    for (i++; i < n && v[i] != '"'; i++)
        if (v[i] == '\\')
            i++;
    return i < n ? i + 1 : n;
}

/* MIME Sniffing's "parse a MIME type" on v[from, to), keeping only the charset parameter
 * (the first valid one: the parser keeps each name's first), with Chromium's and Firefox's
 * rule for the essence: the bytes up to HTTP whitespace or ';' (what follows them up to the
 * ';' is ignored), valid when they hold a '/'. Both browsers read "text/html garbage;
 * charset=koi8-r" as text/html in KOI8-R, which the standard's parser refuses, and take
 * "text/h@ml" or "text/ html" for types they do not render, where it would sniff HTML.
 * Returns 0, or -1 when v[from, to) is not a MIME type (or its essence does not fit). */
static int mime_parse(const char *v, size_t from, size_t to, mime_t *m) {
    while (from < to && is_http_ws(v[from]))
        from++;
    size_t i = from;
    for (; i < to && !is_http_ws(v[i]) && v[i] != ';'; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) /* no type holds a control byte */
            return -1;
    if (!memchr(v + from, '/', i - from) || i - from >= ESSENCE_CAP)
        return -1;
    for (size_t k = from; k < i; k++)
        m->essence[k - from] = lower(v[k]);
    m->essence[i - from] = '\0';
    while (i < to && v[i] != ';')
        i++;
    m->has_charset = 0;
    m->charset[0] = '\0';
    while (i < to) { /* at a ';' */
        i++;
        while (i < to && is_http_ws(v[i]))
            i++;
        size_t name = i;
        while (i < to && v[i] != ';' && v[i] != '=')
            i++;
        size_t name_end = i;
        if (i < to && v[i] == ';')
            continue;
        if (++i >= to) /* past the '=' (or the end) */
            break;
        int is_charset =
            !m->has_charset && name_end - name == 7 && ascii_ncasecmp(v + name, "charset", 7) == 0;
        char value[CHARSET_CAP];
        int valid = 1, fits = 1;
        if (v[i] == '"') {
            valid = quoted_value(v, to, &i, value, sizeof value, &fits);
            while (i < to && v[i] != ';')
                i++;
        } else {
            size_t start = i;
            while (i < to && v[i] != ';')
                i++;
            size_t end = i;
            while (end > start && is_http_ws(v[end - 1]))
                end--;
            if (end == start)
                continue;
            for (size_t k = start; k < end; k++)
                valid &= is_qtext((unsigned char)v[k]);
            fits = end - start < sizeof value;
            if (fits) {
                for (size_t k = start; k < end; k++)
                    value[k - start] = lower(v[k]);
            }
            value[fits ? end - start : 0] = '\0';
        }
        if (is_charset && valid) {
            m->has_charset = 1;
            memcpy(m->charset, value, sizeof m->charset);
        }
    }
    return 0;
}

/* Copies s into out (cap bytes), or "" when it does not fit. */
static void copy_out(char *out, size_t cap, const char *s) {
    size_t len = strlen(s);
    if (len >= cap)
        len = 0;
    memcpy(out, s, len);
    out[len] = '\0';
}

void cafe__content_type_parse(const char *v, size_t n, char *type, size_t type_cap, char *charset,
                              size_t charset_cap) {
    /* Fetch's "extract a MIME type": the values split at commas outside quoted strings;
     * the last valid one (not * / *) is the type. When it has no charset it takes the one
     * an earlier value of the same essence had, not one from before the essence changed.
     * Unlike the standard (which carries the first such charset), the last one given is
     * taken, as Chromium and Firefox do: "text/html;charset=a, text/html;charset=b,
     * text/html" is in b. */
    mime_t m, last;
    int found = 0;
    for (size_t i = 0; i < n; i++) { /* i: at the start of a value, then at its ',' */
        size_t start = i;
        while (i < n && v[i] != ',')
            i = v[i] == '"' ? skip_quoted(v, n, i) : i + 1;
        if (mime_parse(v, start, i, &m) != 0 || strcmp(m.essence, "*/*") == 0)
            continue;
        if (found && !m.has_charset && strcmp(m.essence, last.essence) == 0)
            memcpy(m.charset, last.charset, sizeof m.charset);
        last = m;
        found = 1;
    }
    if (type)
        copy_out(type, type_cap, found ? last.essence : "");
    copy_out(charset, charset_cap, found ? last.charset : "");
}
