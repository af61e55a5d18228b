/* Lookups in the named character reference table and the numeric reference rules. */
#include <string.h>

#include "html/charref.h"

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
