/* What db.c needs from a database: the two drivers (sqlite.c, pg.c) implement it.
 * Every function runs inside a task; a driver writes its failure message into why. */
#ifndef CAFE_SINKS_DB_DRIVER_H
#define CAFE_SINKS_DB_DRIVER_H

#include "sink_db.h"

#define SINK_WHY_MAX 512

/* The runs a --resume without a run to continue takes the latest of: those cafe titles
 * began (runs.options, its command line, begins ["titles"; NULL before cafe kept it). Not a
 * `cafe queue results` export's nor a `cafe serve` job's, each continued by its run's id
 * alone: the latest of any run was taken, and a crawl sharing its table with exports or
 * jobs was continued into theirs. */
#define SINK_TITLES_RUNS "(options IS NULL OR options LIKE '[\"titles\"%')"

/* A run whose table refused more rows than this fails (sink_db_refused); the words its
 * message begins with. */
#define SINK_REFUSED_MAX 100
#define SINK_REFUSED_TOO_MANY "more than 100 rows refused by the table"

typedef struct sink_target {
    char *where; /* PATH, or the URI without the table parameter (never holds a password) */
    char *table; /* the results table; default "titles" */
} sink_target_t;

typedef struct sink_driver {
    /* Connects, checks/creates the tables and inserts (or, resuming, reopens) the run. What
     * the run's life would meet is asked first where it can be without a row (PostgreSQL's
     * read-only session, rights on runs and run_resumes). With conf->check_only, the same
     * but no run (*run 0): *impl is then only closed.
     * Negative code with why filled: the sink is not opened (*impl, when set, is closed). */
    int (*open)(void **impl, const sink_target_t *t, const sink_db_conf_t *conf, int64_t *run,
                char *why);
    /* sink_db_load_done: each row of the run, its url, status and error. */
    int (*load_done)(void *impl, sink_db_each_cb each, void *arg, char *why);
    /* Inserts rows[0..n): all, or all but those the table refuses for what they hold (a
     * CHECK, a trigger, an index of the user's own too small for a long URL): refused[i]
     * (NULL on entry) gets row i's reason, malloc'd, and the others are stored. Transient
     * faults (a lost connection) are retried inside; a negative return is final: nothing
     * of the batch is known stored. */
    int (*insert)(void *impl, const sink_row_t *rows, size_t n, char **refused, char *why);
    int (*end_run)(void *impl, const char *status, char *why);
    void (*close)(void *impl);
    size_t batch_rows; /* rows per batch unless sink_db_conf_t says */
    /* Optional: sink_db_stop's. Must not suspend. */
    void (*stop)(void *impl);
} sink_driver_t;

extern const sink_driver_t sink_sqlite_driver;
extern const sink_driver_t sink_pg_driver;

/* The oldest PostgreSQL cafe writes to (as server_version_num): 12, for the generated column
 * the results table's key is on (GENERATED ALWAYS AS ... STORED). */
#define SINK_PG_MIN_VERSION 120000
/* 0 when version (PQserverVersion's, 0: unknown) is SINK_PG_MIN_VERSION or later; else
 * CAFE_EINVAL with why naming the server's version and the one needed. Pure. */
int sink_pg_version_check(int version, char *why);

/* The results table's columns, in insert order, with their SQL types per database. */
typedef struct sink_column {
    const char *name;
    const char *sqlite_type; /* declared type, compared case-insensitively */
    const char *pg_type;     /* information_schema.columns.data_type */
    int not_null;
} sink_column_t;

enum { SINK_NCOLUMNS = 13 };
extern const sink_column_t sink_columns[SINK_NCOLUMNS];
extern const size_t sink_ncolumns;

/* The runs table's columns (each driver's runs_sql creates them). */
enum { SINK_NRUN_COLUMNS = 6 };
extern const sink_column_t sink_run_columns[SINK_NRUN_COLUMNS];

/* The run_resumes table's columns: one row each time --resume continues a run (its time and
 * command line; the runs table keeps the first run's). */
enum { SINK_NRESUME_COLUMNS = 3 };
extern const sink_column_t sink_resume_columns[SINK_NRESUME_COLUMNS];

/* What a table says of an actual column (sink_columns_check's flags): it refuses NULL; the
 * table fills it when an INSERT names it not (a default, an identity or generated column,
 * SQLite's rowid); it is generated, and takes no value (one of cafe's so is refused). */
enum { SINK_COLUMN_NOT_NULL = 1, SINK_COLUMN_FILLED = 2, SINK_COLUMN_GENERATED = 4 };

/* Compares a table's actual columns (names[i], types[i], flags[i]) with the expected ones
 * (want[0..nwant), sink_columns or sink_run_columns). 0 when every expected column is there
 * with its type and every row cafe writes can go in: extra columns are allowed (they are the
 * user's) unless NOT NULL and not filled, and one of cafe's that cafe may leave NULL must
 * take NULL; else CAFE_EINVAL with why naming each difference. pg selects which type to
 * compare. */
int sink_columns_check(const char *table, const sink_column_t *want, size_t nwant,
                       const char *const *names, const char *const *types, const unsigned *flags,
                       size_t n, int pg, char *why);

/* Puts prefix and ": " before the message in why (cut to SINK_WHY_MAX). */
void sink_why_prefix(char *why, const char *prefix);

/* "CREATE TABLE IF NOT EXISTS table (..., key)" for the results table, with the column types
 * of the database (pg or SQLite) and key the clause of its key on (run_id, url): SQLite's
 * "PRIMARY KEY (run_id, url)", PostgreSQL's exclusion constraint (pg.c). malloc'd; NULL when
 * out of memory. */
char *sink_create_sql(const char *table, int pg, const char *key);
/* The INSERT of the results table, ... ON CONFLICT arbiter DO NOTHING, arbiter naming the
 * key ("(run_id, url)" or "ON CONSTRAINT name"): for SQLite one row of ? placeholders; for
 * PostgreSQL a whole batch, one array per column (unnest($1::bigint[], ...)): 12 parameters
 * whatever the batch size, cheap for the server to parse. malloc'd; NULL when out of memory. */
char *sink_insert_sql(const char *table, int pg, const char *arbiter);

/* A row's field i (as sink_columns orders them). Number columns (sink_column_is_number):
 * sink_row_number gives 1 and *v, or 0 for SQL NULL. Text columns: sink_row_text, NULL for
 * SQL NULL. sink_row_field: either as text for a text-format parameter, numbers printed into
 * buf (32 bytes). */
int sink_column_is_number(size_t i);
int sink_row_number(const sink_row_t *r, int64_t run, size_t i, int64_t *v);
const char *sink_row_text(const sink_row_t *r, size_t i);
const char *sink_row_field(const sink_row_t *r, int64_t run, size_t i, char *buf);

#endif
