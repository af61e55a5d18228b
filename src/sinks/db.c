/* The database sinks behind the sink interface. sink_db commits batches on a task of its own
 * (group commit); this file turns records into rows and settles them as sink_db counts them
 * committed, in the order they were written. */
#include "db.h"
#include "cafe.h"
#include "format.h"
#include "msg.h"
#include "sink_db.h"
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct db_sink {
    sink_t sink; /* first: the sink_t * is the db_sink_t * */
    sink_db_conf_t conf;
    char *options;
    char *shown; /* the spec quoted for messages (msg_quote): the sink's what */
    sink_db_t *db;
    cafe_sem_t order;       /* one write at a time: rows reach the batch in call order */
    sink_pending_t pending; /* rows written, not yet known committed */
    const char *next;       /* what its user can do after a failure (sink_db_sink_say_next) */
    uint64_t settled;       /* rows settled, to compare with sink_db_committed */
    size_t refused_seen;    /* of sink_db_refused's rows, those settled */
} db_sink_t;

/* Settles the rows sink_db is done with since the last look, in order: committed ones as
 * written, those the table refused as not. */
static void settle_committed(db_sink_t *d) {
    const uint64_t *at;
    size_t nrefused = sink_db_refused(d->db, &at);
    uint64_t done = sink_db_committed(d->db);
    if (done - d->settled > sink_pending_count(&d->pending))
        done = d->settled + sink_pending_count(&d->pending);
    while (d->settled < done) {
        int refused = d->refused_seen < nrefused && at[d->refused_seen] == d->settled;
        uint64_t end = refused ? d->settled + 1
                       : d->refused_seen < nrefused && at[d->refused_seen] < done
                           ? at[d->refused_seen]
                           : done;
        d->refused_seen += refused;
        sink_pending_settle(&d->sink, &d->pending, (size_t)(end - d->settled), !refused);
        d->settled = end;
    }
}

/* What is left after the sink failed with rc, said after its message: for cafe titles,
 * what committed is kept and --resume continues the run; but a run another cafe took
 * (CAFE_EBUSY: a --resume while the connection was lost) is that cafe's to finish, and the
 * message says so. */
static const char *left_after(const db_sink_t *d, int rc) {
    return rc == CAFE_EBUSY ? "" : d->next;
}

static int ensure_open(db_sink_t *d) {
    if (d->db)
        return 0;
    const char *why = "";
    int rc = sink_db_open(&d->db, &d->conf, &why);
    return rc ? sink_fail(&d->sink, rc, "%s", why[0] ? why : msg_strerror(rc)) : 0;
}

typedef struct held {
    keyset_t *done, *failed; /* failed: the sink's failed_keys, maybe NULL */
} held_t;

/* The table's key is the URL: its row stands for every line of it, and so does its failure
 * (record_failed's rule on what the row holds), so that --fail counts it as the whole run
 * would have. */
static int add_done(void *arg, const char *url, size_t n, long status, const char *error) {
    held_t *h = arg;
    int rc = keyset_add_every(h->done, url, n);
    if (rc == 0 && h->failed && format_stored_failed(status, error, SIZE_MAX))
        rc = keyset_add_every(h->failed, url, n);
    return rc;
}

static long db_load_done(sink_t *s, keyset_t *done) {
    db_sink_t *d = (db_sink_t *)s;
    int rc = ensure_open(d);
    size_t before = done->len;
    held_t held = {done, s->failed_keys};
    if (rc == 0 && (rc = sink_db_load_done(d->db, add_done, &held)) != 0)
        return sink_fail(s, rc, "%s: %s", s->what,
                         sink_db_error(d->db)[0] ? sink_db_error(d->db) : msg_strerror(rc));
    return rc ? rc : (long)(done->len - before);
}

static int db_start(sink_t *s) {
    return ensure_open((db_sink_t *)s);
}

/* The JSON record's text of a string field: NULL stays NULL, valid UTF-8 (nearly always)
 * stays where it is, the rest is repaired into a copy (*copy, for the caller to free). */
static int text_of(const char *s, const char **out, char **copy) {
    *copy = NULL;
    *out = s;
    if (!s || cafe_utf8_valid(s, strlen(s)))
        return 0;
    *out = *copy = cafe_utf8_repair(s, strlen(s), NULL);
    return *copy ? 0 : CAFE_ENOMEM;
}

int sink_db_write_record(sink_db_t *db, const record_t *r) {
    enum { NSTR = 7 };
    const char *f[NSTR];
    char *copy[NSTR] = {NULL};
    const char *src[NSTR] = {r->url,     r->final_url, r->title,         r->content_type,
                             r->charset, r->error_msg, r->charset_source};
    int rc = 0;
    for (int i = 0; i < NSTR && rc == 0; i++)
        rc = text_of(src[i], &f[i], &copy[i]);
    if (rc == 0) {
        sink_row_t row = {.seq = r->seq + r->skipped, /* the line's place, resumed or not */
                          .url = f[0] ? f[0] : "",
                          .final_url = f[1],
                          .title = f[2],
                          .content_type = f[3],
                          .charset = f[4],
                          .error = f[5],
                          .charset_source = f[6],
                          .status = r->status,
                          .bytes = r->bytes,
                          .time_ms = r->time_ms,
                          .attempts = r->attempts};
        rc = sink_db_write(db, &row); /* copies the strings into its batch */
    }
    for (int i = 0; i < NSTR; i++)
        free(copy[i]);
    return rc;
}

static int write_row(db_sink_t *d, const record_t *r) {
    int rc = sink_pending_reserve(&d->pending);
    if (rc == 0 && (rc = sink_db_write_record(d->db, r)) == 0)
        sink_pending_add(&d->pending, r);
    return rc;
}

static int db_write(sink_t *s, const record_t *rec) {
    db_sink_t *d = (db_sink_t *)s;
    int rc = cafe_sem_acquire(&d->order);
    if (rc != 0)
        return rc;
    rc = write_row(d, rec);
    settle_committed(d);
    cafe_sem_release(&d->order);
    if (rc != 0 && sink_db_error(d->db)[0])
        sink_fail(s, rc, "%s%s", sink_db_error(d->db), left_after(d, rc));
    return rc;
}

static void db_interrupt(sink_t *s) {
    db_sink_t *d = (db_sink_t *)s;
    if (d->db)
        sink_db_stop(d->db);
}

static int db_finish(sink_t *s) {
    db_sink_t *d = (db_sink_t *)s;
    if (!d->db)
        return 0;
    if (s->interrupted) /* a cafe serve job's stop, told no earlier */
        sink_db_stop(d->db);
    int rc = sink_db_commit(d->db);
    settle_committed(d);
    const char *why = "";
    const char *status = s->failed        ? "failed"
                         : s->cancelled   ? "cancelled"
                         : s->interrupted ? "interrupted"
                                          : "done";
    int crc = sink_db_close(d->db, status, &why);
    d->db = NULL;
    rc = rc ? rc : crc;
    if (rc != 0)
        sink_fail(s, rc, "%s%s", why[0] ? why : msg_strerror(rc), left_after(d, rc));
    return rc;
}

static void db_close(sink_t *s) {
    db_sink_t *d = (db_sink_t *)s;
    if (d->db) { /* never finished (a run that failed to start): end it as failed */
        const char *why;
        (void)sink_db_close(d->db, "failed", &why); /* its failure changes nothing now */
    }
    free(d->options);
    free(d->shown);
    sink_pending_free(&d->pending);
    free(d);
}

static const sink_ops_t db_ops = {
    .load_done = db_load_done,
    .start = db_start,
    .write = db_write,
    .finish = db_finish,
    .interrupt = db_interrupt,
    .close = db_close,
};

int sink_db_sink_open(sink_t **out, const char *spec, const char *options, int resume) {
    db_sink_t *d = calloc(1, sizeof(*d));
    *out = d ? &d->sink : NULL;
    if (!d || (options && !(d->options = strdup(options))) ||
        !(d->shown = strdup(msg_quote(spec)))) {
        if (d)
            free(d->options);
        free(d);
        *out = NULL;
        return CAFE_ENOMEM;
    }
    d->sink.ops = &db_ops;
    d->sink.what = d->shown;
    d->next = " (what committed is kept: --resume continues)";
    d->conf = (sink_db_conf_t){.spec = spec, .options = d->options, .resume = resume};
    cafe_sem_init(&d->order, 1);
    return 0;
}

int sink_db_sink_open_run(sink_t **out, const char *spec, const char *options, int64_t run) {
    int rc = sink_db_sink_open(out, spec, options, 1);
    if (rc == 0)
        ((db_sink_t *)*out)->conf.run = run;
    return rc;
}

int64_t sink_db_sink_run(sink_t *s) {
    db_sink_t *d = (db_sink_t *)s;
    return d->db ? sink_db_run_id(d->db) : 0;
}

void sink_db_sink_say_next(sink_t *s, const char *next) {
    ((db_sink_t *)s)->next = next;
}
