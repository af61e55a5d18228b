/* Pure parsers of HTTP header values and the retry backoff formula: no I/O, no allocation,
 * no global state, any input accepted (they are fuzzed). Content-Type's is shared with the
 * title extractor: common/content_type.h. */
#ifndef CAFE_HTTP_PARSE_H
#define CAFE_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* The value of a Content-Length header v (n bytes), which may be a list ("42, 42"): 1 with
 * *value set when its numbers agree, -1 when two differ, 0 when it has none (empty elements
 * are passed over, a number too big for 64 bits is UINT64_MAX), CAFE__HTTP_LENGTH_NAN when
 * an element is no decimal number ("0x10", "+5", "3 4"). */
#define CAFE__HTTP_LENGTH_NAN (-2)
int cafe__http_content_length_parse(const char *v, size_t n, uint64_t *value);

/* Seconds a Retry-After value asks to wait: delta-seconds ("120") or an HTTP-date, taken
 * relative to `now` (UNIX seconds; a date in the past gives 0). -1 when it is neither.
 * Reads exactly n bytes of v. */
int64_t cafe__http_retry_after_parse(const char *v, size_t n, int64_t now);

/* Wait before try number `next_try` (2 for the first retry): base * 2^(next_try-2), plus
 * jitter of up to a quarter of that taken from `rnd`, never more than cap. */
uint64_t cafe__http_backoff_ms(int next_try, uint64_t base, uint64_t cap, uint32_t rnd);

/* The origin of an absolute URL as "scheme://host:port" (lower-cased, user info dropped,
 * truncated to cap - 1 bytes), "" when url has no "://"; returns its length and sets *hash
 * to its hash_bytes(HASH_SEED, ...) (common/hash.h), made on the way. Only groups requests
 * per host, so a rough cut is fine: it does not validate anything. */
size_t cafe__http_origin_key(const char *url, char *out, size_t cap, uint64_t *hash);

/* Whether the comma-separated header value `list` ("keep-alive, Close") has `token` (lower
 * case) as one of its elements, compared without case, blanks around elements ignored:
 * a scan of a few bytes where strcasestr would set up its two-way search per response (and
 * would find "close" inside longer words). */
int cafe__http_list_has(const char *list, const char *token);

#endif
