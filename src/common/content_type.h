/* The one reading of a Content-Type value in cafe: the HTTP client's, of the headers a server
 * sent (src/http/finish.c), and the title extractor's, of a whole Content-Type value a caller
 * gives as its transport charset (src/html/labels.c: cafe_title_create, `cafe title
 * --charset`). Part of libcafe, but in neither part: the html part takes nothing from the
 * http part, nor the other way round. Pure: no I/O, no allocation, no global state, any input
 * accepted (it is fuzzed: fuzz/fuzz_content_type.c). */
#ifndef CAFE_COMMON_CONTENT_TYPE_H
#define CAFE_COMMON_CONTENT_TYPE_H

#include <stddef.h>

/* The media type ("text/html") and charset ("utf-8") of a response whose Content-Type
 * header values, joined with ", " in order, are v (exactly n bytes, no NUL needed): the
 * Fetch standard's "extract a MIME type" with MIME Sniffing's parser, where Chromium and
 * Firefox agree on other answers, theirs (content_type.c says which). Each value of the list
 * that is not a MIME type, or is * / *, is skipped; the last one left gives the type, and its
 * charset parameter, or else the charset of an earlier value of the same type. Both come out
 * lower-cased and NUL-terminated in the caller's buffers (each at least 1 byte; type may be
 * NULL when only the charset is wanted), the charset unquoted and unescaped; "" for none, and
 * for a value that does not fit. */
void cafe__content_type_parse(const char *v, size_t n, char *type, size_t type_cap, char *charset,
                              size_t charset_cap);

#endif
