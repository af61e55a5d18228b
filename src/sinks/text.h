/* Terminal safety for text output. (Valid UTF-8 for JSON and CSV: cafe_utf8_repair, in
 * cafe/title.h.) */
#ifndef CAFE_SINKS_TEXT_H
#define CAFE_SINKS_TEXT_H

#include "outbuf.h"

#include <stddef.h>
#include <stdio.h>

/* Writes s for a terminal: valid UTF-8 passes through, while C0 and C1 control characters,
 * DEL and invalid bytes are shown as \xNN, so no escape sequence reaches the terminal.
 * Returns 0 or -errno from the stream. NULL writes nothing. */
int text_put_safe(FILE *f, const char *s);
/* The same, appended to o. */
void text_append_safe(outbuf_t *o, const char *s);
/* The same, and when ascii is set every other non-ASCII character too, as \uNNNN (\UNNNNNNNN
 * beyond U+FFFF): for a terminal of an 8-bit locale (term_locale_8bit). */
void text_append_ascii(outbuf_t *o, const char *s, int ascii);
int text_put_ascii(FILE *f, const char *s, int ascii);
/* The same, into buf (size > 0 bytes), cut short at a character's end when longer; "" when
 * out of memory. For a message holding a server's text, or another program's: ASCII when
 * messages are (msg_ascii, an 8-bit locale), as text_append_ascii writes it. Returns buf. */
const char *text_safe_copy(char *buf, size_t size, const char *s);

#endif
