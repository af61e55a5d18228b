/* One URL's way through: HTTP GET streamed into a title extractor, into a record. */
#ifndef CAFE_CLI_FETCH_H
#define CAFE_CLI_FETCH_H

#include "cli/opts.h"
#include "cli/record.h"

/* Fetches r->url (already normalised) and fills the rest of r. Runs inside a task; only
 * that task waits. Returns r->error. */
int cli_fetch(const cli_opts_t *o, cli_record_t *r);

/* A short name for the kind of error in r, for the summary ("dns", "timeout", "http", ...). */
const char *cli_error_kind(const cli_record_t *r);

#endif
