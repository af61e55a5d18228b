/* Record writers: the guide's text lines, JSON Lines, RFC 4180 CSV. */
#ifndef CAFE_CLI_OUTPUT_H
#define CAFE_CLI_OUTPUT_H

#include "record.h"

#include <stdio.h>

typedef enum cli_format { CLI_FMT_TEXT, CLI_FMT_JSON, CLI_FMT_CSV } cli_format_t;

/* CSV's header row (nothing for the other formats). Returns 0 or -errno. */
int cli_output_header(FILE *f, cli_format_t fmt);

/* Writes one complete record and flushes it, so that a record on disk is whole or absent
 * except for a crash mid-write (which --resume detects). Returns 0 or -errno (EPIPE,
 * ENOSPC, EBADF, ...). */
int cli_output_record(FILE *f, cli_format_t fmt, const cli_record_t *r);

#endif
