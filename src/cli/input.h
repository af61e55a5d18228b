/* The URL list: one URL per line, streamed (never loaded whole). */
#ifndef CAFE_CLI_INPUT_H
#define CAFE_CLI_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define CLI_LINE_MAX 8192 /* longer lines are reported as errors, not fetched */

typedef struct cli_input cli_input_t;

/* Opens path ("-" = stdin). Owns the descriptor unless it is stdin. Reads happen on the
 * thread pool when called from a task, so a slow pipe never stalls the loop. */
int cli_input_open(cli_input_t **out, const char *path);
void cli_input_close(cli_input_t *in);
/* Makes a read in progress (and every later one) give up with CAFE_ECANCELED within ~100 ms,
 * even on a pipe that never delivers: for Ctrl-C. Any thread. */
void cli_input_abort(cli_input_t *in);

/* The next URL line, trimmed, skipping blank lines and # comments. *line points into the
 * reader's buffer and stays valid until the next call. Returns 1 for a line, 0 at the end,
 * CLI_INPUT_TOO_LONG for a line over CLI_LINE_MAX (its first bytes are in *line), or a
 * negative errno-style code on a read error. *lineno is the 1-based line number in the file. */
#define CLI_INPUT_TOO_LONG 2
int cli_input_next(cli_input_t *in, const char **line, size_t *len, uint64_t *lineno);

/* Pure line logic, for tests and fuzzing: trims ASCII whitespace at both ends of s[0..n)
 * and returns the new length (*start set to the first kept byte); 0 for blank lines and
 * # comments. */
size_t cli_line_trim(const char *s, size_t n, size_t *start);

/* How a line that is not fetched is recorded (its record's url, and the key --resume finds
 * it by): at most CLI_LINE_SHOWN bytes of it, cut at a character and marked with "…" when
 * longer (or when `cut`: the reader kept only its start); NUL and invalid bytes become
 * U+FFFD, so the record is valid UTF-8 and reads back the same. malloc'd; NULL when out of
 * memory. */
#define CLI_LINE_SHOWN 1024
char *cli_line_shown(const char *line, size_t len, int cut);

/* Normalises a URL line: a bare host ("example.com/x") gets default_scheme; only http and
 * https are accepted. On success *url is a malloc'd normalised URL. On failure returns a
 * negative code and *why a static message. */
int cli_url_normalize(const char *line, size_t len, const char *default_scheme, char **url,
                      const char **why);

#endif
