/* Character references: the named table (generated, src/html/entities.c) and the numeric
 * rules of the WHATWG tokenizer. */
#ifndef CAFE_HTML_CHARREF_H
#define CAFE_HTML_CHARREF_H

#include <stddef.h>
#include <stdint.h>

/* The longest name in the table, ';' included. */
#define CAFE__HTML_ENTITY_MAX 32

typedef struct cafe__html_entity {
    const char *name; /* without the '&'; with the ';' when the reference needs it */
    uint8_t len;
    uint32_t cp[2]; /* one or two code points; cp[1] == 0 for one */
} cafe__html_entity_t;

extern const cafe__html_entity_t cafe__html_entities[];
extern const size_t cafe__html_entity_count;

/* The longest name of the table that s[0..n) starts with, or NULL. */
const cafe__html_entity_t *cafe__html_entity_longest(const char *s, size_t n);

/* The code point a numeric reference to `value` produces ("numeric character reference end
 * state"): U+FFFD for 0, surrogates and values above U+10FFFF; windows-1252's character for
 * the C1 controls it defines; value itself otherwise. */
uint32_t cafe__html_numeric_ref(uint32_t value);

/* Decodes the character references of an attribute value with the attribute rules (a
 * legacy name without ';' stays text before '=' or an alphanumeric), and a NUL byte to
 * U+FFFD as the tokenizer does. Writes at most cap-1 bytes (whole characters) and a NUL to
 * out; returns the length. */
size_t cafe__html_attr_decode(const char *s, size_t n, char *out, size_t cap);

#endif
