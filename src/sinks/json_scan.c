/* --resume's fast reading of a JSON Lines record as cafe writes it (json_scan.h).
 *
 * jansson built a tree of every line it read back (~53,000 instructions a record: ten
 * million records took minutes before the first URL was fetched). A line cafe wrote has one
 * shape: the columns' keys in record.c's order, no space, a string or null for a text
 * column, digits or null for a number. That shape is checked here in one pass over the
 * bytes, the strings as strictly as jansson checks them (UTF-8, controls, escapes); a line
 * of any other shape, or holding what this pass does not decide (an escape in the URL or the
 * error, a \u0000, a number with a sign, a character cafe escapes written raw), goes to
 * jansson, whose answer stands. So a line
 * is read here only when jansson would read it the same way. */
#include "json_scan.h"
#include "format.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COL_URL 0
#define COL_STATUS 2

/* Printable ASCII that stands for itself in a JSON string (not '"' nor '\'). */
static int plain(unsigned char c) {
    return (unsigned char)(c - 0x20) < 0x60 && c != '"' && c != '\\';
}

#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* Are the 8 bytes at p all plain? Tested a word at a time (the bit tricks of "Bit Twiddling
 * Hacks": a byte below k, for k <= 0x80; a zero byte after XOR with the byte looked for):
 * most of a record is. 0 says only that one of them may not be. */
static int plain8(const unsigned char *p) {
    uint64_t w;
    memcpy(&w, p, sizeof w);
    uint64_t quote = w ^ (ONES * '"'), backslash = w ^ (ONES * '\\');
    uint64_t odd = (w - ONES * 0x20) | (quote - ONES) | (backslash - ONES);
    return ((odd & ~w) | w) & HIGHS ? 0 : 1;
}

/* The length of the UTF-8 character at p (p[0] >= 0x80; n > 0 bytes there) as RFC 3629
 * has it (and jansson: no overlong form, no surrogate, nothing past U+10FFFF), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    size_t k = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (k == 0 || n < k)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] >= 0x90))
        return 0;
    return k;
}

/* \uXXXX at p (n bytes there): 1 and its value, or 0. */
static int u_escape(const unsigned char *p, size_t n, unsigned *v) {
    if (n < 6 || p[0] != '\\' || p[1] != 'u')
        return 0;
    *v = 0;
    for (size_t i = 2; i < 6; i++) {
        unsigned c = p[i], d = c >= '0' && c <= '9'   ? c - '0'
                               : c >= 'a' && c <= 'f' ? c - 'a' + 10
                               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                      : 16;
        if (d == 16)
            return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

/* The escape at s[i] (a '\'): its length, 0 when it is not one decided here (jansson's then:
 * a \u0000 or a lone surrogate it refuses, a bad escape). */
static size_t escape_len(const unsigned char *s, size_t i, size_t n) {
    unsigned v, low;
    if (i + 1 < n && s[i + 1] && strchr("\"\\/bfnrt", s[i + 1]))
        return 2;
    if (!u_escape(s + i, n - i, &v) || v == 0 || (v >= 0xDC00 && v <= 0xDFFF))
        return 0;
    if (v < 0xD800 || v > 0xDBFF)
        return 6;
    return u_escape(s + i + 6, n - i - 6, &low) && low >= 0xDC00 && low <= 0xDFFF ? 12 : 0;
}

/* Whether the k-byte character at p is one cafe's JSON writer escapes (format.h): a line
 * holding it raw is not as cafe writes it, and a queue drain passes a line read here on as it
 * is, so that a hostile Redis entry's U+009B (a CSI) would reach a terminal, or its U+2028 a
 * line reader. */
static int writer_escapes(const unsigned char *p, size_t k) {
    unsigned cp;
    return format_escaped_char(p, p + k, &cp) == k;
}

/* The string whose content starts at s[i] (after its opening quote): where it ends (after
 * its closing quote), 0 when not decided here. *escaped is set when it holds an escape. */
static size_t string_end(const unsigned char *s, size_t i, size_t n, int *escaped) {
    while (i < n) {
        while (n - i >= 8 && plain8(s + i))
            i += 8;
        while (i < n && plain(s[i]))
            i++;
        if (i == n)
            return 0;
        size_t k;
        if (s[i] == '"')
            return i + 1;
        if (s[i] == '\\')
            *escaped = 1, k = escape_len(s, i, n);
        else
            k = s[i] >= 0x80 ? utf8_len(s + i, n - i) : 0; /* a control: jansson refuses it */
        if (k == 0 || (s[i] >= 0x80 && writer_escapes(s + i, k)))
            return 0;
        i += k;
    }
    return 0;
}

/* Digits of a JSON integer cafe writes at s[i] (no sign, no leading zero, at most 18: a long
 * on every platform cafe builds for): where they end, and *v; 0 when not decided here. */
static size_t number_end(const unsigned char *s, size_t i, size_t n, long long *v) {
    size_t start = i;
    *v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 18)
        *v = *v * 10 + (s[i++] - '0');
    size_t digits = i - start;
    if (digits == 0 || (digits > 1 && s[start] == '0') || (i < n && s[i] >= '0' && s[i] <= '9'))
        return 0;
    return i;
}

/* Each column's key as cafe writes it, in record.c's order: "url": and so on. Should they
 * differ from record_columns, no line would have the shape and jansson would read them all:
 * slower, never wrong (test_cli_units checks that they agree). */
#define KEY(name)                                                                                  \
    { "\"" name "\":", sizeof "\"" name "\":" - 1 }
static const struct {
    const char *s;
    size_t len;
} keys[RECORD_NCOLUMNS] = {
    KEY("url"),          KEY("final_url"), KEY("status"),         KEY("title"),
    KEY("content_type"), KEY("charset"),   KEY("charset_source"), KEY("bytes"),
    KEY("time_ms"),      KEY("attempts"),  KEY("error")};

const char *json_scan_key(size_t column) {
    return keys[column].s;
}

int json_scan_record(const char *line, size_t n, char **url, int *failed) {
    const unsigned char *s = (const unsigned char *)line;
    size_t i = 1, url_at = 0, url_len = 0, err_at = 0, err_len = 0;
    long long status = 0;
    int has_error = 0;
    if (n > 0 && s[n - 1] == '\r') /* a CRLF line end: white space to jansson */
        n--;
    if (n == 0 || s[0] != '{')
        return 0;
    for (size_t c = 0; c < RECORD_NCOLUMNS; c++) {
        if (n - i < keys[c].len || memcmp(s + i, keys[c].s, keys[c].len) != 0)
            return 0;
        i += keys[c].len;
        if (n - i >= 4 && memcmp(s + i, "null", 4) == 0) {
            if (c == COL_URL)
                return 0; /* not a record: jansson says why not */
            i += 4;
        } else if (record_columns[c].type == RECORD_COL_NUMBER) {
            long long v;
            if ((i = number_end(s, i, n, &v)) == 0)
                return 0;
            if (c == COL_STATUS)
                status = v;
        } else {
            int escaped = 0;
            size_t at = i + 1, end = i < n && s[i] == '"' ? string_end(s, at, n, &escaped) : 0;
            /* the URL and the error are read as they stand: without an escape in them */
            if (end == 0 || (escaped && (c == COL_URL || c == RECORD_COL_ERROR)))
                return 0;
            if (c == COL_URL)
                url_at = at, url_len = end - 1 - at;
            else if (c == RECORD_COL_ERROR)
                has_error = 1, err_at = at, err_len = end - 1 - at;
            i = end;
        }
        if (i >= n || s[i] != (c + 1 < RECORD_NCOLUMNS ? ',' : '}'))
            return 0;
        i++;
    }
    if (i != n)
        return 0;
    *url = strndup(line + url_at, url_len);
    if (failed)
        *failed =
            *url && format_stored_failed((long)status, has_error ? line + err_at : NULL, err_len);
    return 1;
}
