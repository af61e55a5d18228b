/* --db: each job writes its records to the database too, through the same database sink as
 * `cafe titles --db` (src/sinks/db.h): one run per job, its options naming the job. The run's
 * id is kept with the job (job-ID.run), and a job resumed after a restart continues that run,
 * so that it holds exactly one record per URL however the service stopped:
 *
 * Every record goes to the spool first, then to the sink, which commits in batches; so after
 * a crash the run holds a prefix of the spool's records (in the order they were stored), and
 * the spool is the truth of what was fetched. At resumption the run is opened, the URLs it
 * holds are loaded, and the spool's records it lacks are written to it before anything is
 * fetched. (A run the database no longer has is begun again, and gets every record.)
 *
 * A database failure stops the job: its records must not go missing from the database
 * unnoticed (its status and the log say why). */
#include "db.h"
#include "format.h"
#include "job.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The job's error, and the log's too: a database that fails after the start (a server
 * stopped, a file replaced) is the operator's to fix, and only each job's status said it
 * (errors are said with -q too). A stop cancelling the job is no failure to say. */
static void fail(srv_job_t *j, int rc) {
    const char *why = j->sink && j->sink->why[0] ? j->sink->why : cafe_strerror(rc);
    if (!j->error[0]) {
        snprintf(j->error, sizeof j->error, "database: %.*s",
                 (int)(sizeof j->error - sizeof "database: "), why);
        if (rc != CAFE_ECANCELED)
            fprintf(stderr, "cafe serve: job %s: %s\n", j->id, j->error);
    }
    j->cancel = 1;
    cafe_group_cancel(&j->fetchers);
}

/* Writes the spool's records that the run lacks (a crash lost their batch), in the order
 * they were stored. */
static int catch_up(srv_job_t *j) {
    keyset_t held;
    keyset_init(&held);
    long n = sink_load_done(j->sink, &held);
    int rc = n < 0 ? (int)n : 0;
    for (size_t k = 0; rc == 0 && k < j->done; k++) {
        char *json;
        size_t len;
        record_t rec;
        if ((rc = srv_job_record(j, j->done_order[k], &json, &len)) != 0)
            break;
        rc = format_parse_json(json, len, &rec);
        free(json);
        if (rc != 0) {
            rc = rc == -1 ? CAFE_EINVAL : rc;
            break;
        }
        if (!keyset_take(&held, rec.url, strlen(rec.url)))
            rc = sink_write(j->sink, &rec);
        record_clear(&rec);
    }
    keyset_free(&held);
    return rc;
}

int srv_jobdb_start(srv_job_t *j) {
    const char *spec = j->srv->o.db;
    if (!spec)
        return 0;
    json_t *o = json_pack("{s:s, s:s}", "service", "cafe serve", "job", j->id);
    char *options = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int rc = !options    ? CAFE_ENOMEM
             : j->db_run ? sink_db_sink_open_run(&j->sink, spec, options, j->db_run)
                         : sink_db_sink_open(&j->sink, spec, options, 0);
    free(options);
    if (rc == 0) /* an API user has no --resume: the job is over, its records are kept */
        sink_db_sink_say_next(j->sink, " (the rows committed stay in the database, and the job's "
                                       "results hold every record fetched: post the list "
                                       "again as a new job for the rest)");
    if (rc == 0 && j->done > 0)
        rc = catch_up(j); /* connects, to load what the run holds */
    if (rc == 0)
        rc = sink_start(j->sink);
    if (rc == 0 && sink_db_sink_run(j->sink) != j->db_run) {
        j->db_run = sink_db_sink_run(j->sink);
        srv_persist_run(j);
    }
    if (rc != 0)
        fail(j, rc);
    return rc;
}

void srv_jobdb_write(srv_job_t *j, const record_t *rec) {
    if (!j->sink || j->error[0])
        return;
    int rc = sink_write(j->sink, rec);
    if (rc != 0)
        fail(j, rc);
}

void srv_jobdb_finish(srv_job_t *j, int state) {
    if (!j->sink)
        return;
    j->sink->interrupted = state == SRV_JOB_INTERRUPTED;
    j->sink->cancelled = state == SRV_JOB_CANCELLED && !j->error[0]; /* by a DELETE */
    j->sink->failed = state == SRV_JOB_CANCELLED && j->error[0];     /* a record not kept */
    int rc = sink_finish(j->sink);
    if (rc != 0 && !j->error[0])
        fail(j, rc);
    sink_close(j->sink);
    j->sink = NULL;
}

static int end_queued_run(void *arg, void **value) {
    srv_job_t *j = arg;
    (void)value;
    /* Finished even when the start failed (its cause is j->error), as a job's own run is: a
     * stop cancelling the start's load of the run left the sink open, and lost. */
    (void)srv_jobdb_start(j);
    srv_jobdb_finish(j, j->state);
    j->srv->runs_ending--;
    srv_job_unref(j);
    return 0;
}

void srv_jobdb_end_queued(srv_job_t *j) {
    srv_t *s = j->srv;
    if (!s->o.db || !j->db_run)
        return; /* no run yet: the job never ran under a database */
    cafe_task_opts_t to = {.name = "serve job run end"};
    j->refs++;
    s->runs_ending++; /* a stop waits for it as for a running job */
    int rc = cafe_group_spawn(&s->run_ends, end_queued_run, j, &to);
    if (rc != 0) {
        s->runs_ending--;
        j->refs--;
        fprintf(stderr, "cafe serve: cannot end the database run of job %s: %s\n", j->id,
                cafe_strerror(rc));
    }
}
