/* Lookups in the named character reference table and the numeric reference rules. */
#include <string.h>

#include "html/charref.h"
#include "html/encoding.h"

/* Orders a prefix of the input against a table name, bytewise like the generator sorts. */
static int compare(const char *s, size_t n, const cafe__html_entity_t *e) {
    size_t m = n < e->len ? n : e->len;
    int c = memcmp(s, e->name, m);
    if (c != 0)
        return c;
    return n < e->len ? -1 : n > e->len ? 1 : 0;
}

static const cafe__html_entity_t *find(const char *s, size_t n) {
    size_t lo = 0, hi = cafe__html_entity_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = compare(s, n, &cafe__html_entities[mid]);
        if (c == 0)
            return &cafe__html_entities[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const cafe__html_entity_t *cafe__html_entity_longest(const char *s, size_t n) {
    if (n > CAFE__HTML_ENTITY_MAX)
        n = CAFE__HTML_ENTITY_MAX;
    for (; n > 0; n--) {
        const cafe__html_entity_t *e = find(s, n);
        if (e)
            return e;
    }
    return NULL;
}

/* windows-1252's characters for 0x80-0x9F; 0 where it has none (the control stays). */
static const uint16_t c1_remap[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

uint32_t cafe__html_numeric_ref(uint32_t value) {
    if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0xFFFD;
    if (value >= 0x80 && value <= 0x9F && c1_remap[value - 0x80])
        return c1_remap[value - 0x80];
    return value;
}

static int is_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* A numeric reference at s[0..n) (just after "&#"): its code point, and how many bytes it
 * took (0 when no digits follow, and the reference is text). */
static size_t numeric(const char *s, size_t n, uint32_t *cp) {
    size_t i = 0;
    int hex = n > 0 && (s[0] == 'x' || s[0] == 'X');
    uint32_t v = 0;
    i += (size_t)hex;
    size_t start = i;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned d = c >= '0' && c <= '9' ? c - '0' : 16;
        if (hex && d == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10u;
        if (d >= (hex ? 16u : 10u))
            break;
        v = v > 0x10FFFF ? 0x110000 : v * (hex ? 16 : 10) + d;
    }
    if (i == start)
        return 0;
    *cp = cafe__html_numeric_ref(v);
    return i + (i < n && s[i] == ';');
}

static size_t put(char *out, size_t len, size_t cap, const char *s, size_t n) {
    if (len + n >= cap)
        return len;
    memcpy(out + len, s, n);
    return len + n;
}

size_t cafe__html_attr_decode(const char *s, size_t n, char *out, size_t cap) {
    size_t len = 0;
    for (size_t i = 0; i < n;) {
        char u[8];
        uint32_t cp;
        if (s[i] == 0) { /* the tokenizer's U+FFFD: "koi8-r\0" names no encoding */
            len = put(out, len, cap, "\xEF\xBF\xBD", 3);
            i++;
            continue;
        }
        if (s[i] != '&') {
            len = put(out, len, cap, s + i++, 1);
            continue;
        }
        size_t used = 0;
        if (i + 1 < n && s[i + 1] == '#') {
            used = numeric(s + i + 2, n - i - 2, &cp);
            if (used) {
                used += 2;
                len = put(out, len, cap, u, cafe__html_utf8_put(u, cp));
            }
        } else {
            size_t k = i + 1;
            while (k < n && k - i <= CAFE__HTML_ENTITY_MAX && is_alnum((unsigned char)s[k]))
                k++;
            k += k < n && s[k] == ';';
            const cafe__html_entity_t *e = cafe__html_entity_longest(s + i + 1, k - i - 1);
            size_t after = e ? i + 1 + e->len : 0;
            /* Legacy names without ';' stay text before '=' or an alphanumeric. */
            if (e && (e->name[e->len - 1] == ';' || after >= n ||
                      (s[after] != '=' && !is_alnum((unsigned char)s[after])))) {
                used = 1 + e->len;
                len = put(out, len, cap, u, cafe__html_utf8_put(u, e->cp[0]));
                if (e->cp[1])
                    len = put(out, len, cap, u, cafe__html_utf8_put(u, e->cp[1]));
            }
        }
        if (!used)
            len = put(out, len, cap, s + i, used = 1);
        i += used;
    }
    out[len] = 0;
    return len;
}
