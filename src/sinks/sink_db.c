/* The database sink's common half: which database a spec names, and the two bounded batches
 * with the task that commits them (see sink_db.h). The drivers do the SQL. */
#include "sink_db.h"
#include "ascii.h"
#include "cafe.h"
#include "db_driver.h"
#include "msg.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A batch's strings stay under 8 MiB whatever its rows hold (long titles). REFUSED_SHOWN of
 * the rows refused are named on stderr. */
enum { BATCH_BYTES = 8 << 20, REFUSED_SHOWN = 10 };

typedef struct batch {
    sink_row_t *rows;
    char **mem; /* each row's strings, one block per row */
    size_t n, bytes;
} batch_t;

struct sink_db {
    const sink_driver_t *drv;
    void *impl;
    int64_t run;
    batch_t fill, busy; /* fill takes writes while busy commits */
    size_t batch_rows;
    cafe_event_t work;     /* set: rows to commit, or closing */
    cafe_event_t progress; /* set: a batch committed or the sink failed */
    cafe_task_t *flusher;
    int failed, closing;
    uint64_t queued, committed;
    char **refused;                /* the batch's rows' reasons (driver insert), batch_rows */
    uint64_t at[SINK_REFUSED_MAX]; /* the places of the rows refused */
    size_t nrefused;
    char why[SINK_WHY_MAX];
    char refused_why[SINK_WHY_MAX];
};

static const char *const sqlite_exts[] = {".sqlite", ".sqlite3", ".db"};

/* In any case, as --db's scheme is read: -o x.DB wrote the guide's text lines into a file
 * every program takes for a database by its name, as a case-insensitive file system (macOS,
 * Windows) takes it for x.db itself. */
static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && ascii_casecmp(s + n - m, suffix) == 0;
}

/* The length of scheme when spec starts with it, else 0. A scheme is case-insensitive (RFC
 * 3986 3.1; curl takes HTTP://, sqlite3 FILE: URIs): "SQLITE:/x.db" was read as a relative
 * path under a directory "SQLITE:" (cannot open), "POSTGRESQL://..." as no database. */
static size_t scheme_len(const char *spec, const char *scheme) {
    size_t n = strlen(scheme);
    return ascii_ncasecmp(spec, scheme, n) == 0 ? n : 0;
}

static int is_pg(const char *spec) {
    return scheme_len(spec, "postgresql://") || scheme_len(spec, "postgres://");
}

const char *sink_db_sqlite_path(const char *spec) {
    return is_pg(spec) ? NULL : spec + scheme_len(spec, "sqlite:");
}

int sink_db_is_spec(const char *spec) {
    if (!spec)
        return 0;
    if (is_pg(spec) || scheme_len(spec, "sqlite:"))
        return 1;
    for (size_t i = 0; i < sizeof sqlite_exts / sizeof sqlite_exts[0]; i++)
        if (ends_with(spec, sqlite_exts[i]))
            return 1;
    return 0;
}

/* A table name we can put in SQL unquoted-safe: [A-Za-z_][A-Za-z0-9_]{0,62}. */
static int valid_table(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 63 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

size_t sink_db_sqlite_path_len(const char *spec) {
    const char *path = sink_db_sqlite_path(spec);
    const char *q = scheme_len(spec, "sqlite:") ? strrchr(path, '?') : NULL;
    return q && strchr(q, '=') ? (size_t)(q - path) : strlen(path);
}

/* Where the parameters of spec (where: its body, as parse_target copied it) begin, at a '?';
 * NULL when it has none. A PostgreSQL URI's at its first '?', as libpq reads it; an SQLite
 * path's after its file name (sink_db_sqlite_path_len). */
static char *query_of(const char *spec, char *where) {
    if (is_pg(spec))
        return strchr(where, '?');
    char *q = where + sink_db_sqlite_path_len(spec);
    return *q == '?' ? q : NULL;
}

/* Splits "...?a=1&table=T&b=2" into where = "...?a=1&b=2" and table = "T" (libpq would refuse
 * the unknown parameter). A second table= is refused: which one was meant cannot be known,
 * and keeping either writes to a table the user may not have meant. */
static int parse_target(const char *spec, sink_target_t *t, char *why) {
    const char *body = is_pg(spec) ? spec : sink_db_sqlite_path(spec);
    t->where = strdup(body);
    t->table = strdup("titles");
    if (!t->where || !t->table)
        return CAFE_ENOMEM;
    if (is_pg(spec)) /* libpq takes its URI's scheme in lower case only */
        for (char *p = t->where; *p != ':'; p++)
            *p = (char)ascii_lower((unsigned char)*p);
    char *q = query_of(spec, t->where);
    if (q) {
        char *out = q + 1, *p = q + 1;
        int tables = 0;
        while (*p) {
            size_t len = strcspn(p, "&");
            if (strncmp(p, "table=", 6) == 0) {
                if (tables++) {
                    strcpy(why, "table=NAME given more than once");
                    return CAFE_EINVAL;
                }
                free(t->table);
                t->table = strndup(p + 6, len - 6);
                if (!t->table)
                    return CAFE_ENOMEM;
            } else {
                if (out > q + 1)
                    *out++ = '&';
                memmove(out, p, len);
                out += len;
            }
            p += len + (p[len] == '&');
        }
        /* SQLite's path is a file name, not a URI: "x.db?mode=ro" made a file of that name. */
        if (out > q + 1 && !is_pg(spec)) {
            strcpy(why, "sqlite:PATH takes no parameter but ?table=NAME (a PATH holding a '?' "
                        "followed by a '=' takes one after it: sqlite:PATH?table=titles)");
            return CAFE_EINVAL;
        }
        *(out > q + 1 ? out : q) = '\0';
    }
    if (!valid_table(t->table)) {
        strcpy(why, "table=NAME: letters, digits and _ only (up to 63, not starting with a digit)");
        return CAFE_EINVAL;
    }
    /* The results in a table of cafe's own: it was made with the results' columns, and then
     * refused for having other columns than the runs', a new database's too. Any case: SQLite
     * folds its names. */
    if (ascii_casecmp(t->table, "runs") == 0 || ascii_casecmp(t->table, "run_resumes") == 0) {
        strcpy(why, "table=NAME: runs and run_resumes are cafe's own tables (its runs)");
        return CAFE_EINVAL;
    }
    if (!t->where[0]) {
        strcpy(why, "no database path");
        return CAFE_EINVAL;
    }
    return 0;
}

static void batch_clear(batch_t *b) {
    for (size_t i = 0; i < b->n; i++)
        free(b->mem[i]);
    b->n = b->bytes = 0;
}

static void batch_free(batch_t *b) {
    batch_clear(b);
    free(b->rows);
    free(b->mem);
}

static int batch_init(batch_t *b, size_t cap) {
    b->rows = calloc(cap, sizeof(*b->rows));
    b->mem = calloc(cap, sizeof(*b->mem));
    b->n = b->bytes = 0;
    return b->rows && b->mem ? 0 : CAFE_ENOMEM;
}

/* Copies row's strings into one block owned by the batch. */
static int batch_add(batch_t *b, const sink_row_t *row) {
    const char *src[] = {row->url,     row->final_url, row->title,         row->content_type,
                         row->charset, row->error,     row->charset_source};
    enum { NSTR = sizeof src / sizeof src[0] };
    size_t len[NSTR], total = 0;
    for (size_t i = 0; i < NSTR; i++)
        total += len[i] = src[i] ? strlen(src[i]) + 1 : 0;
    char *mem = malloc(total ? total : 1), *p = mem;
    if (!mem)
        return CAFE_ENOMEM;
    const char *dst[NSTR];
    for (size_t i = 0; i < NSTR; i++) {
        dst[i] = src[i] ? memcpy(p, src[i], len[i]) : NULL;
        p += len[i];
    }
    sink_row_t *r = &b->rows[b->n];
    *r = *row;
    r->url = dst[0], r->final_url = dst[1], r->title = dst[2];
    r->content_type = dst[3], r->charset = dst[4], r->error = dst[5];
    r->charset_source = dst[6];
    b->mem[b->n++] = mem;
    b->bytes += total;
    return 0;
}

static int batch_full(const sink_db_t *db, const batch_t *b) {
    return b->n >= db->batch_rows || b->bytes >= BATCH_BYTES;
}

static void fail(sink_db_t *db, int rc) {
    if (!db->failed)
        db->failed = rc;
    cafe_event_set(&db->progress);
}

/* Names a refused row on stderr (the first REFUSED_SHOWN), its URL cut and escaped. */
static void show_refused(const sink_db_t *db, const sink_row_t *row, const char *reason) {
    if (db->nrefused > REFUSED_SHOWN)
        return;
    char url[160];
    text_safe_copy(url, sizeof url, row->url);
    msg_progress_clear();
    fprintf(stderr, "%s: the row of %s%s is refused by the table, not stored: %s\n", msg_prog(),
            url, strlen(row->url) >= sizeof url - 1 ? "..." : "", reason);
}

/* After the driver inserted b: notes the rows it refused, or fails the sink when the run
 * has more than SINK_REFUSED_MAX (the table refuses rows, not a row: a run that goes on
 * would fetch every URL in vain; not every row of a batch, which is what a --resume
 * sends when only the refused rows were left). 0, or the failure's code with db->why set. */
static int take_refused(sink_db_t *db, const batch_t *b) {
    size_t k = 0, first = b->n;
    for (size_t i = 0; i < b->n; i++)
        if (db->refused[i] && k++ == 0)
            first = i;
    if (k > 0 && db->nrefused + k > SINK_REFUSED_MAX) {
        snprintf(db->why, SINK_WHY_MAX, "%s", db->refused[first]);
        sink_why_prefix(db->why, SINK_REFUSED_TOO_MANY);
        return CAFE_EIO;
    }
    for (size_t i = 0; i < b->n; i++)
        if (db->refused[i]) {
            db->at[db->nrefused++] = db->committed + i;
            show_refused(db, &b->rows[i], db->refused[i]);
        }
    if (db->nrefused)
        snprintf(db->refused_why, SINK_WHY_MAX,
                 "%zu row%s refused by the table, not stored (named above)", db->nrefused,
                 db->nrefused == 1 ? "" : "s");
    return 0;
}

static void refused_clear(sink_db_t *db, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(db->refused[i]);
        db->refused[i] = NULL;
    }
}

/* Group commit: whatever arrived while the previous batch committed goes in the next one. */
static int flusher_task(void *arg, void **value) {
    sink_db_t *db = arg;
    while (!db->failed) {
        while (db->fill.n == 0 && !db->closing) {
            cafe_event_clear(&db->work);
            if (cafe_event_wait(&db->work) != 0)
                return 0;
        }
        if (db->fill.n == 0)
            break;
        batch_t t = db->busy;
        db->busy = db->fill;
        db->fill = t;
        cafe_event_set(&db->progress); /* room to write again */
        int rc = db->drv->insert(db->impl, db->busy.rows, db->busy.n, db->refused, db->why);
        if (rc == 0)
            rc = take_refused(db, &db->busy);
        refused_clear(db, db->busy.n);
        if (rc < 0) {
            fail(db, rc);
        } else {
            db->committed += db->busy.n;
            cafe_event_set(&db->progress);
        }
        batch_clear(&db->busy);
    }
    return 0;
}

static int wait_progress(sink_db_t *db) {
    cafe_event_clear(&db->progress);
    return cafe_event_wait(&db->progress);
}

int sink_db_write(sink_db_t *db, const sink_row_t *row) {
    while (!db->failed && batch_full(db, &db->fill)) {
        int rc = wait_progress(db);
        if (rc != 0)
            return rc;
    }
    if (db->failed)
        return db->failed;
    int rc = batch_add(&db->fill, row);
    if (rc != 0)
        return rc;
    db->queued++;
    cafe_event_set(&db->work);
    return 0;
}

int sink_db_commit(sink_db_t *db) {
    uint64_t target = db->queued;
    while (!db->failed && db->committed < target) {
        int rc = wait_progress(db);
        if (rc != 0)
            return rc;
    }
    return db->failed ? db->failed : db->nrefused ? CAFE_EIO : 0;
}

uint64_t sink_db_committed(const sink_db_t *db) {
    return db->committed;
}

size_t sink_db_refused(const sink_db_t *db, const uint64_t **at) {
    *at = db->at;
    return db->nrefused;
}

const char *sink_db_error(const sink_db_t *db) {
    return db->failed ? db->why : "";
}

int64_t sink_db_run_id(const sink_db_t *db) {
    return db->run;
}

void sink_db_stop(sink_db_t *db) {
    if (db->drv->stop)
        db->drv->stop(db->impl);
}

int sink_db_load_done(sink_db_t *db, sink_db_each_cb each, void *arg) {
    return db->drv->load_done(db->impl, each, arg, db->why);
}

/* The driver conf->spec names (into *drv), and its open of the target the spec names. */
static int driver_open(const sink_driver_t **drv, void **impl, const sink_db_conf_t *conf,
                       int64_t *run, char *why) {
    sink_target_t t = {0};
    *drv = is_pg(conf->spec) ? &sink_pg_driver : &sink_sqlite_driver;
    int rc = parse_target(conf->spec, &t, why);
    if (rc == 0)
        rc = (*drv)->open(impl, &t, conf, run, why);
    free(t.where);
    free(t.table);
    return rc;
}

int sink_db_check(const char *spec, const char **why) {
    static char msg[SINK_WHY_MAX];
    msg[0] = '\0';
    *why = msg;
    const sink_db_conf_t conf = {.spec = spec, .check_only = 1};
    const sink_driver_t *drv;
    void *impl = NULL;
    int64_t run = 0;
    int rc = driver_open(&drv, &impl, &conf, &run, msg);
    if (impl)
        drv->close(impl);
    if (rc != 0 && !msg[0])
        strcpy(msg, msg_strerror(rc));
    return rc;
}

static void db_free(sink_db_t *db) {
    batch_free(&db->fill);
    batch_free(&db->busy);
    free(db->refused);
    free(db);
}

int sink_db_open(sink_db_t **out, const sink_db_conf_t *conf, const char **why) {
    static char msg[SINK_WHY_MAX];
    *out = NULL;
    msg[0] = '\0';
    *why = msg;
    sink_db_t *db = calloc(1, sizeof(*db));
    if (!db)
        return CAFE_ENOMEM;
    db->drv = is_pg(conf->spec) ? &sink_pg_driver : &sink_sqlite_driver;
    db->batch_rows = conf->batch_rows ? conf->batch_rows : db->drv->batch_rows;
    cafe_event_init(&db->work);
    cafe_event_init(&db->progress);
    int rc = batch_init(&db->fill, db->batch_rows);
    if (rc == 0)
        rc = batch_init(&db->busy, db->batch_rows);
    if (rc == 0 && !(db->refused = calloc(db->batch_rows, sizeof(*db->refused))))
        rc = CAFE_ENOMEM;
    if (rc == 0 && conf->check_only) /* a sink writes a run: sink_db_check is for checking */
        rc = CAFE_EINVAL;
    if (rc == 0)
        rc = driver_open(&db->drv, &db->impl, conf, &db->run, msg);
    if (rc == 0)
        rc = cafe_task_spawn(&db->flusher, flusher_task, db, NULL);
    if (rc != 0) {
        if (db->impl)
            db->drv->close(db->impl);
        db_free(db);
        if (!msg[0])
            strcpy(msg, msg_strerror(rc));
        return rc;
    }
    *out = db;
    return 0;
}

int sink_db_close(sink_db_t *db, const char *status, const char **why) {
    static char msg[SINK_WHY_MAX];
    *why = "";
    if (!db)
        return 0;
    db->closing = 1;
    cafe_event_set(&db->work);
    cafe_task_join(db->flusher, NULL);
    int rc = db->failed;
    /* After a failure its message stays: why ending the run failed too says less. Rows
     * refused: the run is not done, what is left of it is theirs. */
    char end_why[SINK_WHY_MAX];
    int erc =
        db->drv->end_run(db->impl, rc || db->nrefused ? "failed" : status, rc ? end_why : db->why);
    if (erc < 0 && !rc) /* its own code: a run another cafe took (CAFE_EBUSY) is not resumed */
        rc = erc;
    db->drv->close(db->impl);
    if (rc) {
        memcpy(msg, db->why, sizeof msg);
        *why = msg;
    } else if (db->nrefused) {
        memcpy(msg, db->refused_why, sizeof msg);
        *why = msg;
        rc = CAFE_EIO;
    }
    db_free(db);
    return rc;
}
