/* A PostgreSQL connection on cafe's loop: libpq's asynchronous API (PQconnectStart,
 * PQsendQueryParams, PQconsumeInput, PQflush) with its socket watched by a uv_poll whose
 * callback resolves a cafe_future_t. Only the calling task waits; the loop runs on.
 * A pgc_t belongs to one task at a time (one query in flight). */
#ifndef CAFE_SINKS_PGCONN_H
#define CAFE_SINKS_PGCONN_H

#include <libpq-fe.h>
#include <stdint.h>

typedef struct pgc pgc_t;

/* Connects with libpq's conninfo or URI (PGHOST, PGUSER, PGPASSWORD, PGSERVICE, .pgpass
 * apply as in psql), giving up after timeout_ms. 0 with *out owned by the caller (pgc_close),
 * or a negative code with why filled (SINK_WHY_MAX bytes): CAFE_ECONNREFUSED when the server
 * cannot be reached or refuses the login for now (starting, shutting down, full); CAFE_EIO
 * when it refuses it for good: the database does not exist (SQLSTATE 3D000), the role may
 * not log in (class 28) or lacks CONNECT (42501). Host names resolve synchronously (libpq
 * does). */
int pgc_connect(pgc_t **out, const char *conninfo, uint64_t timeout_ms, char *why);

/* Runs sql (several statements when nparams is 0) with text parameters and waits for its
 * end. With row, the result streams (single-row mode) and row(arg, res) is called per row
 * (a nonzero return is kept and returned once the query ends); else *res (if res is not
 * NULL) receives the last result, for the caller to PQclear. Returns 0, CAFE_ECONNRESET when
 * the connection was lost or the server asks to retry (the caller reconnects and runs it
 * again), or CAFE_EIO for an error of the statement itself; why says which. */
int pgc_exec(pgc_t *c, const char *sql, int nparams, const char *const *params, PGresult **res,
             int (*row)(void *arg, const PGresult *r), void *arg, char *why);

/* COPY ... FROM STDIN (sql) with data, text format, in one statement: all or none. Returns
 * as pgc_exec does; *stored: the rows the table took (its command tag: fewer than data's
 * when a trigger dropped some). */
int pgc_copy_in(pgc_t *c, const char *sql, const char *data, size_t len, uint64_t *stored,
                char *why);

/* Bounds every wait of the connection from now on, the one under way included, to ms from
 * now: past it, the statement in flight returns CAFE_ETIMEDOUT, its connection in a state no
 * other statement may use (close it). For a stop that must not wait on without end. On the
 * loop's thread; need not be in a task. */
void pgc_limit(pgc_t *c, uint64_t ms);

/* Told, during a statement's wait, who keeps it waiting: what (SINK_WHY_MAX bytes, one line,
 * escaped) is "waiting for a lock: relation TABLE, held by pid N (user U, application A, STATE, its
 * transaction open for S s)". A statement still running BLOCKED_FIRST_MS (2 s) after it was
 * sent is asked about, on a second connection (pg_blocking_pids), and again every 30 s while
 * it runs; told once per statement for each set of sessions that block it. The wait goes
 * on: the caller says it, as a lock waited for in silence looked like a hung cafe. */
typedef void (*pgc_blocked_cb)(void *arg, const char *what);
void pgc_on_blocked(pgc_t *c, pgc_blocked_cb cb, void *arg);

/* The SQLSTATE of the last statement's failure ("23505": a key violation); "" if it did
 * not fail on the server. */
const char *pgc_sqlstate(const pgc_t *c);

/* The libpq connection (for PQescape* and the like). */
PGconn *pgc_conn(pgc_t *c);

/* Closes the connection. NULL is a no-op. */
void pgc_close(pgc_t *c);

#endif
