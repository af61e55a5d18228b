/* The URL list: one URL per line, streamed (never loaded whole). */
#ifndef CAFE_SOURCES_INPUT_H
#define CAFE_SOURCES_INPUT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define INPUT_LINE_MAX 8192   /* longer lines are reported as errors, not fetched */
#define INPUT_LINE_SHOWN 1024 /* bytes of an over-long line kept to name it */

typedef struct input input_t;

/* Opens path ("-" = stdin). Owns the descriptor unless it is stdin. A pipe or terminal is
 * read on the thread pool when called from a task, so a slow writer never stalls the loop;
 * a regular file is read where called (the page cache serves it). */
int input_open(input_t **out, const char *path);
/* As input_open, reading from byte `at` of the file (a regular one) rather than from its
 * descriptor's offset: a second reader of standard input's file starts where the first did. */
int input_open_at(input_t **out, const char *path, long long at);
void input_close(input_t *in);
/* Makes a read in progress (and every later one) give up with CAFE_ECANCELED within ~100 ms,
 * even on a pipe that never delivers: for Ctrl-C. Any thread. */
void input_abort(input_t *in);

/* The next URL line, trimmed, skipping blank lines and # comments. *line points into the
 * reader's buffer and stays valid until the next call. Returns 1 for a line, 0 at the end,
 * INPUT_TOO_LONG for a line over INPUT_LINE_MAX (its first bytes are in *line), INPUT_UTF16,
 * INPUT_UTF16LE, INPUT_UTF16BE, INPUT_UTF32, INPUT_GZIP..., INPUT_SQLITE, INPUT_CAFE_CSV,
 * INPUT_CAFE_JSON, INPUT_CAFE_TEXT, INPUT_HTML, INPUT_XML, INPUT_CSV_TABLE, INPUT_OFFICE..., or a
 * negative errno-style code on a read error. *lineno is the 1-based line number in the file. */
#define INPUT_TOO_LONG 2
/* The error when the input starts with a UTF-16 byte order mark: not UTF-8. */
#define INPUT_UTF16 (-EILSEQ)
/* The error when it starts as UTF-16LE without a mark: ASCII characters each followed by 0. A
 * code of this reader's own, far from errno's and CAFE_E*'s. */
#define INPUT_UTF16LE (INPUT_UTF16 - 0x10000)
/* The same as UTF-16BE: each ASCII character preceded by 0. */
#define INPUT_UTF16BE (INPUT_UTF16 - 0x10001)
/* The same when it starts with a UTF-32 byte order mark. */
#define INPUT_UTF32 (INPUT_UTF16 - 0x10002)
/* The same when it starts as a compressed file of one of these formats does. */
#define INPUT_GZIP (INPUT_UTF16 - 0x10003)
#define INPUT_BZIP2 (INPUT_UTF16 - 0x10004)
#define INPUT_XZ (INPUT_UTF16 - 0x10005)
#define INPUT_ZSTD (INPUT_UTF16 - 0x10006)
#define INPUT_ZIP (INPUT_UTF16 - 0x10007)
/* The same when it starts as a SQLite database does (cafe's results in one). */
#define INPUT_SQLITE (INPUT_UTF16 - 0x10008)
/* The same when it starts as cafe's CSV or JSON output does. */
#define INPUT_CAFE_CSV (INPUT_UTF16 - 0x10009)
#define INPUT_CAFE_JSON (INPUT_UTF16 - 0x1000a)
/* The same when its first line is a CSV header row: a spreadsheet's table, not a list. */
#define INPUT_CSV_TABLE (INPUT_UTF16 - 0x1000b)
/* The same when it starts as an office document (.xlsx, .ods, .xls...), a PDF or a program. */
#define INPUT_OFFICE (INPUT_UTF16 - 0x1000c)
#define INPUT_PDF (INPUT_UTF16 - 0x1000d)
#define INPUT_PROGRAM (INPUT_UTF16 - 0x1000e)
/* The same when its first line is one of cafe's text output ('Title' from URL...). */
#define INPUT_CAFE_TEXT (INPUT_UTF16 - 0x1000f)
/* The same when it starts as an HTML or XML document does (MIME Sniffing's signatures). */
#define INPUT_HTML (INPUT_UTF16 - 0x10010)
#define INPUT_XML (INPUT_UTF16 - 0x10011)
int input_next(input_t *in, const char **line, size_t *len, uint64_t *lineno);
/* What a negative code of input_next (or of any source) means, for a message (msg_strerror's
 * words but for the INPUT_UTF* and compressed codes). */
const char *input_strerror(int rc);

/* Pure line logic, for tests and fuzzing: trims whitespace at both ends of s[0..n) (ASCII's,
 * and in UTF-8 the Unicode spaces and U+200B, U+FEFF) and returns the new length (*start set
 * to the first kept byte); 0 for blank lines and # comments. */
size_t input_line_trim(const char *s, size_t n, size_t *start);

/* How a line that is not fetched is recorded (its record's url; the key cafe titles
 * --resume finds it by): at most INPUT_LINE_SHOWN bytes of it, cut at a character and marked
 * with "…" when longer (or when `cut`: the reader kept only its start); NUL and invalid bytes
 * become U+FFFD, so the record is valid UTF-8 and reads back the same. NULL when out of
 * memory. cafe serve records a job's bad lines the same way. */
char *input_line_shown(const char *line, size_t len, int cut);

/* Normalises a URL line: a bare host ("example.com/x") and a scheme-relative one
 * ("//example.com/x") get default_scheme; any other "scheme:" than http and https is refused;
 * a Unicode host must convert to its ASCII form (IDNA) but is kept as written. The rest is
 * read and written as browsers do (the WHATWG URL Standard, common/url.h): an ASCII host is
 * lower-cased, a host that ends in a number is an IPv4 address or refused, an IPv6 address is
 * written in its one form (no zone ID), the scheme's default port is dropped. On success *url
 * is a malloc'd normalised URL. On failure returns a negative code and *why a static message. */
int url_normalize(const char *line, size_t len, const char *default_scheme, char **url,
                  const char **why);
/* Is s[0..n) an http(s) URL that url_normalize would return unchanged? Conservative: a
 * lowercase host (or dotted-quad IPv4), an optional port not the scheme's default, a path and query
 * of plain bytes without dot segments, percent escapes or fragment. The rest takes curl's parser.
 * The URL rules' own check (cafe__url_canonical, common/url.h), which the HTTP client makes
 * too on every URL it is given. */
int url_canonical(const char *s, size_t n);

#endif
