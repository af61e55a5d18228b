/* --resume's fast reading of a JSON Lines record as cafe writes it (json_scan.c). */
#ifndef CAFE_SINKS_JSON_SCAN_H
#define CAFE_SINKS_JSON_SCAN_H

#include <stddef.h>

/* line (n bytes, without its LF; a CR before it allowed) read as a record cafe writes: 1 when
 * it has that exact shape (no character cafe's writer escapes written raw: a drain passes
 * the line on as it is) and jansson would read it the same way, with *url (malloc'd; NULL
 * only out of memory) and *failed (when not NULL: record_failed's rule) as
 * format_parse_url_failed gives them; 0 when not decided here (another shape, or an escape
 * in the URL or the error): then jansson must read it. Pure, allocates only *url. */
int json_scan_record(const char *line, size_t n, char **url, int *failed);

/* The key json_scan_record expects for column (a record_columns index): "\"url\":"... */
const char *json_scan_key(size_t column);

#endif
