/* The database sinks (SQLite, PostgreSQL: sink_db.h) as a sink_t (sink.h). */
#ifndef CAFE_SINKS_DB_H
#define CAFE_SINKS_DB_H

#include "sink.h"
#include "sink_db.h"

/* A sink writing to the database spec names (see sink_db_is_spec). options: the run's
 * options as JSON, kept in the runs table (copied; never a password). resume: continue the
 * table's latest run of cafe titles (SINK_TITLES_RUNS; its load_done gives that run's URLs)
 * instead of beginning one. Nothing
 * is connected before load_done or start. 0 or CAFE_ENOMEM; free with sink_close. */
int sink_db_sink_open(sink_t **out, const char *spec, const char *options, int resume);
/* As sink_db_sink_open with resume, but continuing run `run` when the table has it (a run
 * that must hold exactly one record per URL across restarts: `cafe serve`'s jobs), else
 * beginning one. */
int sink_db_sink_open_run(sink_t **out, const char *spec, const char *options, int64_t run);
/* What the user of a database sink can do once it failed, said after its message (a
 * static string, " (...)"): by default cafe titles' " (what committed is kept: --resume
 * continues)", which fits no other user. */
void sink_db_sink_say_next(sink_t *s, const char *next);
/* The run a database sink writes: 0 before it has connected (load_done or start). */
int64_t sink_db_sink_run(sink_t *s);

/* One record into db (sink_db_write), its strings made valid UTF-8 exactly as the JSON
 * record makes them. For users of sink_db itself (`cafe queue results --db`). */
int sink_db_write_record(sink_db_t *db, const record_t *r);

#endif
