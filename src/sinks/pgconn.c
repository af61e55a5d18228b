/* libpq on the loop (see pgconn.h). The poll handle watches the socket only while a task
 * waits (it is stopped as soon as the socket is ready), so libpq may close or replace its
 * socket between waits without libuv watching a dead descriptor. */
#include "pgconn.h"
#include "ascii.h"
#include "cafe.h"
#include "db_driver.h"
#include "text.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <uv.h>

/* A server gone without a reset (powered off, a NAT or firewall that dropped the state) while
 * data waits for its acknowledgement: TCP retransmits it for about 15 minutes (tcp_retries2),
 * and keepalives probe only a connection with nothing unacknowledged. A wait longer than
 * PEER_CHECK_MS looks at the socket: bytes waiting in its send queue (SIOCOUTQ) and nothing
 * acknowledged for PEER_SILENT_MS (TCP_INFO) is a peer gone. Not tcp_user_timeout, which Linux
 * applies to a window that stays closed too: it ended the connection to a server alive but not
 * reading for a while (a stalled disk, a row lock its insert waits for), whose kernel
 * acknowledges each window probe. */
enum { PEER_CHECK_MS = 10000, PEER_SILENT_MS = 30000 };

/* A statement waiting this long is asked about (pgc_on_blocked): who blocks it, from a second
 * connection, that question bounded by BLOCKED_ASK_MS; asked again every BLOCKED_AGAIN_MS
 * while it waits. */
enum { BLOCKED_FIRST_MS = 2000, BLOCKED_AGAIN_MS = 30000, BLOCKED_ASK_MS = 5000 };

struct pgc {
    PGconn *conn;
    uv_poll_t *poll; /* on socket fd, created on the first wait */
    int fd;
    cafe_future_t *waiting;
    char sqlstate[6];  /* of the last statement that failed */
    int gone;          /* wait_io found the peer gone (peer_gone) */
    uint64_t limit_at; /* pgc_limit's: no wait goes past it (loop time); 0: none */
    char *conninfo;    /* what it was connected with: the blocked check's connection */
    pgc_blocked_cb blocked;
    void *blocked_arg;
    uint64_t blocked_at;             /* the statement's next blocked check (loop time); 0: none */
    char blocked_said[SINK_WHY_MAX]; /* what blocked was last told (told again when it differs) */
};

static void on_poll(uv_poll_t *h, int status, int events) {
    pgc_t *c = h->data;
    uv_poll_stop(h);
    cafe_future_t *f = c->waiting;
    c->waiting = NULL;
    /* A poll error: let libpq try the socket, which makes it see and report the error. */
    if (f)
        cafe_future_resolve(f, status < 0 ? UV_READABLE | UV_WRITABLE : events, NULL);
}

static void on_cancel(cafe_future_t *f) {
    pgc_t *c = f->data;
    uv_poll_stop(c->poll);
    c->waiting = NULL;
}

static void free_handle(uv_handle_t *h) {
    free(h);
}

static void drop_poll(pgc_t *c) {
    if (c->poll)
        uv_close((uv_handle_t *)c->poll, free_handle);
    c->poll = NULL;
}

/* Waits until the socket is ready for events; returns the ready events or a negative code. */
static int wait_io_once(pgc_t *c, int events) {
    int fd = PQsocket(c->conn);
    if (fd < 0)
        return CAFE_ECONNRESET;
    if (c->poll && c->fd != fd)
        drop_poll(c);
    if (!c->poll) {
        c->poll = malloc(sizeof(*c->poll));
        if (!c->poll)
            return CAFE_ENOMEM;
        if (uv_poll_init_socket(cafe_loop_uv(cafe_loop_current()), c->poll, fd) != 0) {
            free(c->poll);
            c->poll = NULL;
            return CAFE_EIO;
        }
        c->poll->data = c;
        c->fd = fd;
    }
    cafe_future_t f;
    cafe_future_init(&f, on_cancel);
    f.data = c;
    c->waiting = &f;
    int rc = uv_poll_start(c->poll, events, on_poll);
    if (rc != 0) {
        c->waiting = NULL;
        return rc;
    }
    return cafe_future_wait(&f, NULL);
}

/* Is the peer of fd (TCP; not a Unix socket) gone? See PEER_CHECK_MS. */
static int peer_gone(int fd) {
    struct tcp_info ti;
    socklen_t n = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &n) != 0 ||
        n < offsetof(struct tcp_info, tcpi_last_ack_recv) + sizeof ti.tcpi_last_ack_recv)
        return 0;
    /* bytes waiting: sent and unacknowledged, or unsent (a blackholed route sends nothing) */
    int queued = 0;
    return ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0 &&
           ti.tcpi_last_ack_recv >= PEER_SILENT_MS;
}

static void ask_blocked(pgc_t *c);

/* Waits until the socket is ready for events; returns the ready events or a negative code
 * (CAFE_ECONNRESET when its peer is gone: peer_gone, asked every PEER_CHECK_MS;
 * CAFE_ETIMEDOUT past pgc_limit's time). A wake with no events is pgc_limit's: the bound is
 * looked at again. A statement's wait past its blocked check's time asks who blocks it
 * (ask_blocked). */
static int wait_io(pgc_t *c, int events) {
    for (;;) {
        int fd = PQsocket(c->conn);
        uint64_t now = cafe_loop_now(cafe_loop_current()), ms = PEER_CHECK_MS;
        if (c->limit_at && now >= c->limit_at)
            return CAFE_ETIMEDOUT;
        if (c->limit_at && c->limit_at - now < ms)
            ms = c->limit_at - now;
        if (c->blocked_at && c->blocked_at <= now) {
            ask_blocked(c);
            c->blocked_at = cafe_loop_now(cafe_loop_current()) + BLOCKED_AGAIN_MS;
            continue;
        }
        if (c->blocked_at && c->blocked_at - now < ms)
            ms = c->blocked_at - now;
        cafe_deadline_t d;
        int scoped = cafe_deadline_begin(&d, ms) == 0;
        int rc = wait_io_once(c, events);
        int timed_out = scoped && cafe_deadline_end(&d) == CAFE_ETIMEDOUT;
        if (!timed_out && rc != 0) /* 0: pgc_limit's wake */
            return rc;
        if (timed_out && peer_gone(fd)) {
            c->gone = 1;
            return CAFE_ECONNRESET;
        }
    }
}

/* libpq's messages end with a newline and put hints on lines of their own ("\n\tIs the
 * server running..."); ours are one line: each run of blanks holding a line end or a tab is
 * one space, and none is left at the end. The server's text may hold any other character (it
 * echoes the database or user name asked for): escaped as titles are, so that no control
 * character reaches the terminal. */
static void set_why(char *why, const char *what, const char *msg) {
    snprintf(why, SINK_WHY_MAX, "%s: %s", what, msg && *msg ? msg : "unknown error");
    char *out = why;
    for (const char *p = why; *p;) {
        size_t run = strspn(p, " \t\n\r"), spaces = strspn(p, " ");
        if (run == 0)
            *out++ = *p++;
        else if (p[run] == '\0')
            p += run;
        else if (spaces == run) /* spaces alone are the message's own */
            for (; run > 0; run--)
                *out++ = *p++;
        else
            *out++ = ' ', p += run;
    }
    *out = '\0';
    char one_line[SINK_WHY_MAX];
    memcpy(one_line, why, (size_t)(out - why) + 1);
    text_safe_copy(why, SINK_WHY_MAX, one_line);
}

/* Why the connection was lost: libpq's words, or wait_io's. */
static const char *lost_why(pgc_t *c) {
    return c->gone ? "the server acknowledged nothing sent for 30 s (gone without a reset)"
                   : PQerrorMessage(c->conn);
}

/* A statement on a connection whose peer wait_io found gone: lost, as libpq says of one
 * whose socket failed (its caller reconnects). */
static int gone(pgc_t *c, char *why) {
    set_why(why, "connection lost", lost_why(c));
    return CAFE_ECONNRESET;
}

/* NOTICEs ("relation already exists, skipping") are the server talking to itself. */
static void ignore_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/* standard_conforming_strings and array_nulls on; synchronous_commit on where the session's
 * is off (pgc_connect). */
#define SESSION_SET                                                                                \
    "SET standard_conforming_strings = on; SET array_nulls = on; SELECT "                          \
    "pg_catalog.set_config('synchronous_commit', "                                                 \
    "'on', false) WHERE pg_catalog.current_setting('synchronous_commit') OPERATOR(pg_catalog.=) "  \
    "'off'"

/* statement_timeout and idle_in_transaction_session_timeout unset, then SESSION_SET
 * (pgc_connect says why). */
#define TIMEOUTS_SET                                                                               \
    "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; " SESSION_SET

/* Whether entry [p, p + n) of a search_path names pg_catalog: quoted exactly, or unquoted
 * in any case (the server folds it). */
static int names_catalog(const char *p, size_t n) {
    return (n == 12 && memcmp(p, "\"pg_catalog\"", 12) == 0) ||
           (n == 10 && ascii_ncasecmp(p, "pg_catalog", 10) == 0);
}

/* path (a search_path setting) without pg_catalog into out (as long as path, at least), when
 * it names pg_catalog after another schema; returns 1 then, else 0 (out unset). */
static int path_without_catalog(const char *path, char *out) {
    int other = 0, dropped = 0;
    char *o = out;
    for (const char *p = path; *p;) {
        p += strspn(p, " \t\n,");
        if (!*p)
            break;
        const char *start = p;
        if (*p == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p += *p == '"' ? 2 : 1)
                ;
            p += *p == '"';
        } else {
            p += strcspn(p, ",");
        }
        size_t n = (size_t)(p - start);
        while (n && strchr(" \t\n", start[n - 1]))
            n--;
        if (names_catalog(start, n)) {
            if (!other)
                return 0; /* first already: what the server does when it is not named */
            dropped = 1;
            continue;
        }
        if (other)
            *o++ = ','; /* one byte, as the path's separator at least: out stays in its size */
        memcpy(o, start, n);
        o += n;
        other = 1;
    }
    *o = '\0';
    return dropped;
}

/* A search_path (the role's, the database's, PGOPTIONS') that names pg_catalog after a
 * schema others may write lets their function or operator of the same name and arguments
 * (md5, left, now, ||, =) stand for the built-in one in cafe's SQL, run as cafe's role (CVE
 * 2018-1058). pg_catalog leaves the path: the server then searches it first, as it does
 * when it is not named, while the tables are found (and made) where the path said. The
 * statements that do this name pg_catalog's functions themselves, as pg_dump's do. First is
 * not enough where a call needs a cast: a function or operator of the call's exact types
 * wins wherever it is in the path (information_schema's varchar columns against text, oid
 * against regclass, text || bigint). So cafe's SQL (pg.c) calls with pg_catalog's exact
 * types, casting where a value's type differs. */
static int catalog_first(pgc_t *c, char *why) {
    PGresult *r = NULL;
    int rc = pgc_exec(c, "SELECT pg_catalog.current_setting('search_path')", 0, NULL, &r, NULL,
                      NULL, why);
    if (rc != 0)
        return rc;
    const char *path = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "";
    char *mine = malloc(strlen(path) + 1);
    if (!mine)
        rc = CAFE_ENOMEM;
    else if (path_without_catalog(path, mine)) {
        const char *params[] = {mine};
        rc = pgc_exec(c, "SELECT pg_catalog.set_config('search_path', $1, false)", 1, params, NULL,
                      NULL, NULL, why);
    }
    free(mine);
    PQclear(r);
    return rc;
}

/* Is s an SQLSTATE (five digits or capitals) followed by ": "? */
static int at_sqlstate(const char *s) {
    for (int i = 0; i < 5; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
            return 0;
    return s[5] == ':' && s[6] == ' ';
}

/* libpq's message of a failed connection, made at PQERRORS_VERBOSE (pgc_connect) so that it
 * holds the server's SQLSTATE ("FATAL:  3D000: database ..."; libpq keeps no result of a
 * login refused): msg as the default verbosity says it, the code and the LOCATION line left
 * out, into out (as long as msg at least); the last SQLSTATE into state (6 bytes), "" when
 * the server said none (it was not reached). */
static void connect_message(const char *msg, char *out, char *state) {
    state[0] = '\0';
    for (const char *p = msg; *p;) {
        if (strncmp(p, "LOCATION:  ", 11) == 0 && (p == msg || p[-1] == '\n')) {
            p += strcspn(p, "\n");
            p += *p == '\n';
            continue;
        }
        if (strncmp(p, ":  ", 3) == 0 && at_sqlstate(p + 3)) {
            memcpy(state, p + 3, 5);
            state[5] = '\0';
            memcpy(out, ":  ", 3);
            out += 3;
            p += 3 + 7;
            continue;
        }
        *out++ = *p++;
    }
    *out = '\0';
}

/* A login the server refused for what waiting does not change: the database does not exist
 * (3D000: dropped, renamed), the role may not log in (class 28: no such role, no pg_hba.conf
 * line, a wrong password) or lacks CONNECT on the database (42501). Not a server starting or
 * stopping (57P03), full (53300), nor one not reached. */
static int refused_for_good(const char *state) {
    return strcmp(state, "3D000") == 0 || strncmp(state, "28", 2) == 0 ||
           strcmp(state, "42501") == 0;
}

/* A failed connection's why and code: CAFE_EIO when refused_for_good, else
 * CAFE_ECONNREFUSED (pgc_connect). */
static int connect_failed(pgc_t *c, int rc, char *why) {
    const char *msg = PQerrorMessage(c->conn);
    char *said = malloc(strlen(msg) + 1), state[6] = "";
    if (said)
        connect_message(msg, said, state);
    set_why(why, "cannot connect",
            rc == CAFE_ETIMEDOUT ? "timed out"
            : rc < 0             ? cafe_strerror(rc)
            : said               ? said
                                 : msg);
    free(said);
    return rc == CAFE_ECANCELED ? rc : refused_for_good(state) ? CAFE_EIO : CAFE_ECONNREFUSED;
}

int pgc_connect(pgc_t **out, const char *conninfo, uint64_t timeout_ms, char *why) {
    *out = NULL;
    pgc_t *c = calloc(1, sizeof(*c));
    /* Defaults the URI may override (it is expanded after them): TCP keepalives, so that a
     * server that vanished without a reset is noticed within a minute, not two hours, while
     * the connection is idle (while data waits for its acknowledgement: wait_io). After
     * them, what it may not: cafe's text is UTF-8, whatever PGCLIENTENCODING, the URI or the
     * database's encoding would make the server take it for (LATIN1 stored mojibake). */
    const char *keys[] = {"keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "dbname",
                          "client_encoding",
                          "fallback_application_name",
                          NULL};
    const char *vals[] = {"30", "10", "3", conninfo, "UTF8", "cafe", NULL};
    if (!c || !(c->conninfo = strdup(conninfo)) ||
        !(c->conn = PQconnectStartParams(keys, vals, 1))) {
        if (c)
            free(c->conninfo);
        free(c);
        return CAFE_ENOMEM;
    }
    PQsetErrorVerbosity(c->conn, PQERRORS_VERBOSE); /* the login's SQLSTATE: connect_failed */
    /* before the login: a role's client_min_messages = debug sends notices during it, which
     * libpq's default processor wrote to stderr as they came, unescaped */
    PQsetNoticeProcessor(c->conn, ignore_notice, NULL);
    cafe_deadline_t d;
    cafe_deadline_begin(&d, timeout_ms);
    PostgresPollingStatusType st =
        PQstatus(c->conn) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
    int rc = 0;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        rc = wait_io(c, st == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE);
        if (rc < 0)
            break;
        st = PQconnectPoll(c->conn);
    }
    cafe_deadline_end(&d);
    if (rc >= 0 && st == PGRES_POLLING_OK && PQsetnonblocking(c->conn, 1) == 0) {
        PQsetErrorVerbosity(c->conn, PQERRORS_DEFAULT);
        /* No time limit on cafe's statements, as pg_dump sets none: a role's statement_timeout
         * guards against long queries of people, and cut a batch waiting for a locked table
         * (or slower than it), ending the run, and every --resume alike. Nor on its idle
         * session (PostgreSQL 14 on, as pg_dump): idle while pages are fetched, it was ended
         * between batches, each met a lost connection, and meanwhile no session held the
         * run (its advisory lock): a --resume took it. And commits on the disk before they
         * are acknowledged: a role's synchronous_commit = off made a batch count as written
         * (--drain deleted its records from Redis) while a server crash could still lose it;
         * raised to on from off only, so that a DBA's remote_apply stays. And string
         * literals as the standard reads them, as pg_dump sets it: a role's
         * standard_conforming_strings = off (an old application's) made a backslash in
         * cafe's SQL an escape, and the results table's key a syntax error. And an unquoted
         * NULL in an array literal read as a null: a role's array_nulls = off (an old
         * application's) made it the text "NULL" in each batch sent by INSERT (pg.c's
         * column_array), every success's error "NULL", and a failure's status a type
         * error. And no limit on its idle transaction (as pg_dump): the start of a --resume
         * asks again for a run a killed run's session may still hold (hold_run, 3 s) inside
         * the transaction that begins it, and a role's idle_in_transaction_session_timeout
         * ended the session, said as "terminating connection due to idle-in-transaction
         * timeout". */
        int version = PQserverVersion(c->conn);
        rc = catalog_first(c, why);
        /* transaction_timeout (PostgreSQL 17 on, unset by pg_dump 17 too) would cut a batch
         * waiting for a locked table as statement_timeout did. Not tested here: Debian 12's
         * server is 15. */
        if (rc == 0)
            rc = pgc_exec(
                c,
                version >= 170000
                    ? "SET idle_session_timeout = 0; SET transaction_timeout = 0; " TIMEOUTS_SET
                : version >= 140000 ? "SET idle_session_timeout = 0; " TIMEOUTS_SET
                                    : TIMEOUTS_SET,
                0, NULL, NULL, NULL, NULL, why);
        if (rc == 0) {
            *out = c;
            return 0;
        }
        pgc_close(c);
        return rc;
    }
    rc = connect_failed(c, rc, why);
    pgc_close(c);
    return rc;
}

/* Sends what libpq buffered; reading meanwhile when the server talks (libpq's advice). */
static int flush_out(pgc_t *c) {
    int f;
    while ((f = PQflush(c->conn)) == 1) {
        int ev = wait_io(c, UV_READABLE | UV_WRITABLE);
        if (ev < 0)
            return ev;
        if ((ev & UV_READABLE) && !PQconsumeInput(c->conn))
            return CAFE_ECONNRESET;
    }
    return f == 0 ? 0 : CAFE_ECONNRESET;
}

/* SQLSTATEs after which the same statement may succeed on a new connection: connection
 * exceptions (08), the server shutting down or starting (57P01-57P03), serialization
 * failures and deadlocks (40001, 40P01). */
static int transient(const PGresult *r) {
    const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return !s || strncmp(s, "08", 2) == 0 || strncmp(s, "57P0", 4) == 0 ||
           strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0;
}

/* A failed statement's code (see pgc_exec) and message; its SQLSTATE is kept. */
static int result_error(pgc_t *c, const PGresult *r, char *why) {
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    set_why(why, "query failed", PQresultErrorMessage(r));
    return transient(r) || PQstatus(c->conn) == CONNECTION_BAD ? CAFE_ECONNRESET : CAFE_EIO;
}

/* Waits until a result is ready (without taking it). */
static int wait_result(pgc_t *c) {
    while (PQisBusy(c->conn)) {
        int ev = wait_io(c, UV_READABLE);
        if (ev < 0)
            return ev;
        if (!PQconsumeInput(c->conn))
            break; /* PQgetResult reports the failure */
    }
    return 0;
}

/* Reads every result of the query in flight. */
static int read_results(pgc_t *c, PGresult **res, int (*row)(void *, const PGresult *), void *arg,
                        char *why) {
    int rc = 0, cb = 0;
    for (;;) {
        int ev = wait_result(c);
        if (ev < 0)
            return ev;
        PGresult *r = PQgetResult(c->conn);
        if (!r)
            break;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE && row && cb == 0)
            cb = row(arg, r);
        if (st == PGRES_FATAL_ERROR && rc == 0)
            rc = result_error(c, r, why);
        if (res && !row && rc == 0) {
            PQclear(*res);
            *res = r;
        } else {
            PQclear(r);
        }
        if (PQstatus(c->conn) == CONNECTION_BAD && PQisBusy(c->conn))
            break;
    }
    if (rc == 0 && PQstatus(c->conn) == CONNECTION_BAD) {
        set_why(why, "connection lost", lost_why(c));
        rc = CAFE_ECONNRESET;
    }
    return rc ? rc : cb;
}

/* A statement begins: its blocked check is due BLOCKED_FIRST_MS from now (when asked for). */
static void blocked_begin(pgc_t *c) {
    c->blocked_said[0] = '\0';
    c->blocked_at = c->blocked ? cafe_loop_now(cafe_loop_current()) + BLOCKED_FIRST_MS : 0;
}

static int exec_statement(pgc_t *c, const char *sql, int nparams, const char *const *params,
                          PGresult **res, int (*row)(void *arg, const PGresult *r), void *arg,
                          char *why) {
    if (res)
        *res = NULL;
    if (c->gone) /* libpq still thinks it waits for the statement before */
        return gone(c, why);
    c->sqlstate[0] = '\0';
    int sent = nparams ? PQsendQueryParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0)
                       : PQsendQuery(c->conn, sql);
    if (!sent) {
        set_why(why, "cannot send", PQerrorMessage(c->conn));
        return PQstatus(c->conn) == CONNECTION_BAD ? CAFE_ECONNRESET : CAFE_EIO;
    }
    if (row && !PQsetSingleRowMode(c->conn))
        row = NULL;
    int rc = flush_out(c);
    if (rc < 0) {
        set_why(why, "connection lost", lost_why(c));
        return rc;
    }
    rc = read_results(c, res, row, arg, why);
    if (rc != 0 && res) {
        PQclear(*res);
        *res = NULL;
    }
    return rc;
}

/* Queues len bytes of COPY data, waiting while libpq's buffer is full. */
static int put_copy(pgc_t *c, const char *data, size_t len) {
    enum { CHUNK = 1 << 20 };
    size_t off = 0;
    while (off < len) {
        int n = (int)(len - off < CHUNK ? len - off : CHUNK);
        int put = PQputCopyData(c->conn, data + off, n);
        int rc = put == 1 ? 0 : put == 0 ? flush_out(c) : CAFE_ECONNRESET;
        if (rc < 0)
            return rc;
        off += put == 1 ? (size_t)n : 0;
    }
    int end;
    while ((end = PQputCopyEnd(c->conn, NULL)) == 0) {
        int rc = flush_out(c);
        if (rc < 0)
            return rc;
    }
    return end == 1 ? flush_out(c) : CAFE_ECONNRESET;
}

int pgc_exec(pgc_t *c, const char *sql, int nparams, const char *const *params, PGresult **res,
             int (*row)(void *arg, const PGresult *r), void *arg, char *why) {
    blocked_begin(c);
    int rc = exec_statement(c, sql, nparams, params, res, row, arg, why);
    c->blocked_at = 0;
    return rc;
}

static int copy_statement(pgc_t *c, const char *sql, const char *data, size_t len, uint64_t *stored,
                          char *why) {
    c->sqlstate[0] = '\0';
    if (c->gone)
        return gone(c, why);
    if (!PQsendQuery(c->conn, sql)) {
        set_why(why, "cannot send", PQerrorMessage(c->conn));
        return PQstatus(c->conn) == CONNECTION_BAD ? CAFE_ECONNRESET : CAFE_EIO;
    }
    int rc = flush_out(c);
    if (rc == 0)
        rc = wait_result(c);
    if (rc < 0) {
        set_why(why, "connection lost", lost_why(c));
        return rc;
    }
    PGresult *r = PQgetResult(c->conn);
    if (PQresultStatus(r) != PGRES_COPY_IN) { /* refused at once: its error, then the rest */
        rc = r ? result_error(c, r, why) : CAFE_ECONNRESET;
        PQclear(r);
        int more = r ? read_results(c, NULL, NULL, NULL, why) : 0;
        return rc ? rc : more;
    }
    PQclear(r);
    rc = put_copy(c, data, len);
    if (rc < 0) {
        set_why(why, "connection lost", lost_why(c));
        return rc;
    }
    PGresult *res = NULL;
    rc = read_results(c, &res, NULL, NULL, why);
    *stored = rc == 0 && res ? strtoull(PQcmdTuples(res), NULL, 10) : 0;
    PQclear(res);
    return rc;
}

int pgc_copy_in(pgc_t *c, const char *sql, const char *data, size_t len, uint64_t *stored,
                char *why) {
    *stored = 0;
    blocked_begin(c);
    int rc = copy_statement(c, sql, data, len, stored, why);
    c->blocked_at = 0;
    return rc;
}

/* The sessions that block backend pid's statement (pg_blocking_pids: a lock they hold, or
 * wait for ahead of it), one row each: the lock waited for (its table, or its kind), pid,
 * user, application, state, and seconds since its transaction began. The lock: its kind
 * (pg_locks.locktype), and its table for a table's ("relation lk"). Calls of
 * pg_catalog's exact argument types (pgc_connect's catalog_first says why). */
static const char blocked_sql[] =
    "SELECT (SELECT l.locktype || coalesce(' ' || l.relation::regclass::text, '') FROM "
    "pg_catalog.pg_locks l WHERE l.pid = $1::int AND NOT l.granted LIMIT 1), a.pid::text, "
    "a.usename::text, a.application_name, a.state, "
    "pg_catalog.date_part('epoch'::text, pg_catalog.now() - a.xact_start)::bigint::text FROM "
    "pg_catalog.pg_stat_activity a WHERE a.pid = ANY (pg_catalog.pg_blocking_pids($1::int)) "
    "ORDER BY a.pid";

/* Appends ", <before><field i of row><after>" to out[0..at) (no comma when first), unless
 * the field is NULL or empty; returns the new length (at most SINK_WHY_MAX - 1). */
static size_t put_field(char *out, size_t at, const PGresult *r, int row, int i, const char *before,
                        const char *after) {
    const char *v = PQgetisnull(r, row, i) ? "" : PQgetvalue(r, row, i);
    if (!*v)
        return at;
    int n = snprintf(out + at, SINK_WHY_MAX - at, "%s%s%s%s", out[at - 1] == '(' ? "" : ", ",
                     before, v, after);
    return n < 0 || at + (size_t)n >= SINK_WHY_MAX ? SINK_WHY_MAX - 1 : at + (size_t)n;
}

/* blocked_sql's rows in words, into out (SINK_WHY_MAX): "relation lk, held by pid 4321
 * (user bob, application psql, idle in transaction, its transaction open for 12 s)"; ""
 * when none blocks. Their pids alone into key (SINK_WHY_MAX): ask_blocked says it again
 * only when they change. */
static void blocked_words(const PGresult *r, char *out, char *key) {
    size_t at = 0, k = 0;
    out[0] = key[0] = '\0';
    for (int i = 0; i < PQntuples(r) && at + 1 < SINK_WHY_MAX; i++) {
        int n = i ? snprintf(out + at, SINK_WHY_MAX - at, "; pid %s (", PQgetvalue(r, i, 1))
                  : snprintf(out, SINK_WHY_MAX, "%s%sheld by pid %s (", PQgetvalue(r, 0, 0),
                             PQgetisnull(r, 0, 0) ? "" : ", ", PQgetvalue(r, i, 1));
        at = n < 0 || at + (size_t)n >= SINK_WHY_MAX ? SINK_WHY_MAX - 1 : at + (size_t)n;
        at = put_field(out, at, r, i, 2, "user ", "");
        at = put_field(out, at, r, i, 3, "application ", "");
        at = put_field(out, at, r, i, 4, "", "");
        at = put_field(out, at, r, i, 5, "its transaction open for ", " s");
        n = snprintf(out + at, SINK_WHY_MAX - at, ")");
        at = n < 0 || at + (size_t)n >= SINK_WHY_MAX ? SINK_WHY_MAX - 1 : at + (size_t)n;
        n = snprintf(key + k, SINK_WHY_MAX - k, "%s ", PQgetvalue(r, i, 1));
        k = n < 0 || k + (size_t)n >= SINK_WHY_MAX ? k : k + (size_t)n;
    }
}

/* Asks, on a connection of its own, who blocks c's statement, and tells c's blocked
 * callback when someone does and was not said yet: a wait for a table another session
 * locks (an ALTER, a LOCK TABLE in a forgotten transaction) was silent, whatever its length.
 * Bounded by BLOCKED_ASK_MS (and pgc_limit's time); a failure to ask is not the
 * statement's: nothing is said. The escaping is set_why's: the application's name is any
 * session's to choose. */
static void ask_blocked(pgc_t *c) {
    uint64_t now = cafe_loop_now(cafe_loop_current()), ms = BLOCKED_ASK_MS;
    if (c->limit_at)
        ms = c->limit_at <= now ? 0 : c->limit_at - now < ms ? c->limit_at - now : ms;
    char pid[16], words[SINK_WHY_MAX], key[SINK_WHY_MAX] = "", why[SINK_WHY_MAX];
    snprintf(pid, sizeof pid, "%d", PQbackendPID(c->conn));
    const char *params[] = {pid};
    cafe_deadline_t d;
    cafe_deadline_begin(&d, ms);
    pgc_t *side;
    if (pgc_connect(&side, c->conninfo, ms, why) == 0) {
        PGresult *r;
        if (pgc_exec(side, blocked_sql, 1, params, &r, NULL, NULL, why) == 0)
            blocked_words(r, words, key);
        PQclear(r);
        pgc_close(side);
    }
    cafe_deadline_end(&d);
    if (!key[0] || strcmp(key, c->blocked_said) == 0)
        return;
    memcpy(c->blocked_said, key, sizeof key);
    set_why(why, "waiting for a lock", words);
    c->blocked(c->blocked_arg, why);
}

void pgc_on_blocked(pgc_t *c, pgc_blocked_cb cb, void *arg) {
    c->blocked = cb;
    c->blocked_arg = arg;
}

void pgc_limit(pgc_t *c, uint64_t ms) {
    c->limit_at = cafe_loop_now(cafe_loop_current()) + ms;
    cafe_future_t *f = c->waiting;
    if (f) { /* the wait under way looks at the bound again */
        uv_poll_stop(c->poll);
        c->waiting = NULL;
        cafe_future_resolve(f, 0, NULL);
    }
}

const char *pgc_sqlstate(const pgc_t *c) {
    return c->sqlstate;
}

PGconn *pgc_conn(pgc_t *c) {
    return c->conn;
}

void pgc_close(pgc_t *c) {
    if (!c)
        return;
    drop_poll(c); /* before PQfinish closes the socket */
    PQfinish(c->conn);
    free(c->conninfo);
    free(c);
}
