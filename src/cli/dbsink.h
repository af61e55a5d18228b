/* `cafe titles --db`: the run's records into a database sink (src/sinks/sink_db.h). */
#ifndef CAFE_CLI_DBSINK_H
#define CAFE_CLI_DBSINK_H

#include "record.h"
#include "resume.h"
#include "sink_db.h"

/* Opens the database named by spec (inside a task), beginning a run whose options are the
 * command line (secrets masked); with resume, adds the URLs the run holds to done. Prints
 * the reason and returns nonzero on failure. */
int cli_db_open(sink_db_t **db, const char *spec, int resume, int argc, char **argv,
                cli_urlset_t *done);

/* One record to the sink, its strings made valid UTF-8 exactly as the JSON record makes
 * them. 0, or the sink's failure. */
int cli_db_record(sink_db_t *db, const cli_record_t *r);

/* The command line as a JSON array, with the password of any URL and the value of every
 * -H/--header masked: what the runs table keeps. malloc'd. */
char *cli_db_options(int argc, char **argv);

#endif
