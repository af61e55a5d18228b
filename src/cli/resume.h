/* --resume: which URLs an earlier run already recorded in the output file. */
#ifndef CAFE_CLI_RESUME_H
#define CAFE_CLI_RESUME_H

#include "output.h"

#include <stddef.h>
#include <stdint.h>

/* A set of URLs, kept as 64-bit hashes (8 bytes each: ten million URLs fit in ~160 MB of
 * table, and a false match needs a 64-bit collision). */
typedef struct cli_urlset {
    uint64_t *slots;
    size_t cap, len;
} cli_urlset_t;

void cli_urlset_init(cli_urlset_t *s);
void cli_urlset_free(cli_urlset_t *s);
int cli_urlset_add(cli_urlset_t *s, const char *url, size_t n);
int cli_urlset_has(const cli_urlset_t *s, const char *url, size_t n);

/* Reads the records of path (JSON Lines or CSV, as fmt says) into set. A last line that is
 * torn (no newline, or does not parse) is cut off: the file is truncated to the end of the
 * last complete record, so the URL is fetched again. A bad line with lines after it is not
 * a tear: CAFE_EINVAL, the file left as it is. A missing file is an empty set.
 * Returns the number of records kept, or a negative code with *why set. */
long cli_resume_load(const char *path, cli_format_t fmt, cli_urlset_t *set, const char **why);

/* The URL of one record line (without its newline), or NULL if the line is not a complete
 * record. Returns a malloc'd string. Pure: fuzzed. */
char *cli_resume_parse_line(const char *line, size_t n, cli_format_t fmt);

#endif
