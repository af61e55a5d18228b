/* Database sinks: records into SQLite (one file) or PostgreSQL (many machines).
 *
 * One API for both, used by `cafe titles`, `cafe queue results` and `cafe serve`:
 *
 *     sink_db_check(spec, &why);       // optional, at start: as open, but begins no run
 *     sink_db_t *db;
 *     sink_db_open(&db, &conf);        // connect, check or create the tables, begin the run
 *     sink_db_load_done(db, each, a);  // --resume: the URLs this run already holds
 *     sink_db_write(db, &row);         // copied into a bounded batch; waits when it is full
 *     sink_db_commit(db);              // waits until every row written so far committed
 *     sink_db_close(db, "done");       // commits what is left, ends the run, frees
 *
 * Batches commit on a task of their own (group commit: while one batch commits the next one
 * fills), so fetching goes on during a commit and waits only when both batches are full
 * (back-pressure: memory stays bounded by two batches). SQLite runs on the thread pool
 * (cafe_thread_run) so a slow disk never stalls the loop; PostgreSQL runs libpq's
 * asynchronous API on the loop itself (pgconn.h).
 *
 * Exactly one row per URL per run: (run_id, url) is the tables' key and a batch that is
 * retried after a lost connection skips the rows that already made it (ON CONFLICT DO
 * NOTHING), so nothing is lost or doubled. Every call here must run inside a task. */
#ifndef CAFE_SINKS_SINK_DB_H
#define CAFE_SINKS_SINK_DB_H

#include <stddef.h>
#include <stdint.h>

/* One record as stored: strings are valid UTF-8 (what the JSON record holds), NULL = SQL
 * NULL; status 0 is stored as NULL (no response). */
typedef struct sink_row {
    uint64_t seq;
    const char *url; /* never NULL */
    const char *final_url, *title, *content_type, *charset, *error;
    const char *charset_source; /* bom, header, meta, xml, detected, default; NULL if not decoded */
    long status;
    uint64_t bytes, time_ms;
    int attempts;
} sink_row_t;

typedef struct sink_db_conf {
    const char *spec; /* "sqlite:PATH", "PATH.sqlite|.sqlite3|.db" (any case), "postgresql://..." */
    const char *options; /* the run's options for the runs table (never a password) */
    int resume;          /* continue the table's latest run of cafe titles instead of
                          * starting one (SINK_TITLES_RUNS) */
    int64_t run;         /* with resume: continue this run instead, if the table has it
                          * (else begin one); 0 = the latest */
    size_t batch_rows;   /* rows per batch; 0: the database's (SQLite 16000, PostgreSQL 4000) */
    int check_only;      /* the driver's open connects and checks or creates the tables, and
                          * begins no run (no row in runs): sink_db_check's */
    int durable;         /* what commits is deleted from its source (cafe queue results
                          * --drain): a results table a server crash empties is refused */
} sink_db_conf_t;

typedef struct sink_db sink_db_t;

/* Nonzero when spec names a database (a DB URI, sqlite:, or an -o file name whose extension
 * is .sqlite, .sqlite3 or .db). */
int sink_db_is_spec(const char *spec);

/* Where a database spec's file name starts (after sqlite:, in any case; a ?table=NAME may
 * follow it); NULL for a PostgreSQL URI. */
const char *sink_db_sqlite_path(const char *spec);

/* How long the file name is that sink_db_sqlite_path finds (spec names an SQLite database);
 * what follows it is the parameters' '?' (?table=NAME). A file name may hold a '?'
 * ("what?.sqlite"): -o PATH.sqlite (no scheme) is all file name; after sqlite:, the
 * parameters begin at the last '?' with a '=' after it, so a name whose own '?' has one
 * after it is given with ?table=NAME after it. */
size_t sink_db_sqlite_path_len(const char *spec);

/* Connects, checks the tables (creating missing ones; a table with other columns is refused,
 * never altered) and begins or resumes a run. On failure returns a negative CAFE_E* code,
 * *out is NULL and *why a static-lifetime-until-next-call message (never a password).
 * On success *out is owned by the caller until sink_db_close. */
int sink_db_open(sink_db_t **out, const sink_db_conf_t *conf, const char **why);

/* What sink_db_open would refuse, found at once by one who opens later (`cafe serve --db`
 * opens a sink per job: a database down, a wrong login or another program's file let the
 * service start, and every job then failed): connects, checks the tables (creating missing
 * ones, as sink_db_open) and disconnects, beginning no run. Lifecycle: nothing is kept, and
 * nothing needs closing; a later sink_db_open connects again, and may still fail (the
 * database may go away meanwhile). 0, or a negative CAFE_E* code with *why as sink_db_open
 * says it (valid until the next check; never a password). Inside a task. */
int sink_db_check(const char *spec, const char **why);

/* The run this sink writes (runs.run_id). */
int64_t sink_db_run_id(const sink_db_t *db);

/* What sink_db_load_done tells of each row: its url (n bytes), and its status (0: none) and
 * error (NULL: none), for record_failed's rule (format_stored_failed). */
typedef int (*sink_db_each_cb)(void *arg, const char *url, size_t n, long status,
                               const char *error);

/* Calls each(arg, ...) for every row the current run already holds. Stops at and returns the
 * first nonzero return of each, else 0 or a negative code. */
int sink_db_load_done(sink_db_t *db, sink_db_each_cb each, void *arg);

/* Copies row into the batch being filled; waits while both batches are full. Returns 0, or
 * the sink's failure (a negative code; sink_db_error says why): then nothing more is taken. */
int sink_db_write(sink_db_t *db, const sink_row_t *row);

/* Waits until every row written before this call has committed. 0, the failure, or
 * CAFE_EIO when rows were refused (sink_db_close says how many). */
int sink_db_commit(sink_db_t *db);

/* Rows done with so far: committed, or refused by the table (sink_db_refused). */
uint64_t sink_db_committed(const sink_db_t *db);

/* The rows the table refused for what they hold (each named on stderr; not stored): how
 * many, and in *at their places among the rows written (0-based, ascending). A row refused
 * makes sink_db_commit and sink_db_close fail once the rest is committed, and the run end
 * as failed; past 100 of them the sink fails at once (the table refuses rows, not a row). */
size_t sink_db_refused(const sink_db_t *db, const uint64_t **at);

/* Why the sink failed (empty string while it has not; rows refused are said by
 * sink_db_close). */
const char *sink_db_error(const sink_db_t *db);

/* The run is being stopped (a signal): a commit waiting for another writer's lock on the
 * database gives up after the try under way (SQLite: one busy timeout, 10 s; PostgreSQL:
 * 10 s for any wait, a lost connection's reconnecting included) and fails the sink
 * (CAFE_ETIMEDOUT, sink_db_error saying so), rather than hold the stop for as long as the
 * other writer keeps its lock. The rows not committed are not written (PostgreSQL: the
 * batch sent may still commit once its wait ends), and the run's end is not recorded: it
 * stays `running`, as a killed run's, for --resume to continue. Does not suspend. */
void sink_db_stop(sink_db_t *db);

/* Commits what is left, records the run's end with status ("done", "interrupted"; "failed"
 * when the sink failed) and frees db. Returns 0, or the sink's failure with *why saying why
 * (valid until the next open or close). NULL is a no-op. */
int sink_db_close(sink_db_t *db, const char *status, const char **why);

#endif
