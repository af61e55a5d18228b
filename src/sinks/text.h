/* Text hygiene for output: valid UTF-8 and terminal safety. */
#ifndef CAFE_SINKS_TEXT_H
#define CAFE_SINKS_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* A malloc'd copy of s[0..n) that is valid UTF-8: each invalid byte becomes U+FFFD.
 * NULL on allocation failure. */
char *text_utf8_repair(const char *s, size_t n);

/* Writes s for a terminal: valid UTF-8 passes through, while C0 and C1 control characters,
 * DEL and invalid bytes are shown as \xNN, so no escape sequence reaches the terminal.
 * Returns 0 or -errno from the stream. */
int text_put_safe(FILE *f, const char *s);

#endif
