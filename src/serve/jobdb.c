/* --db: each job writes its records to the database too, through the same database sink as
 * `cafe titles --db` (src/sinks/db.h): one run per job, its options naming the job. A job
 * resumed after a restart begins a new run for the records it still lacks (the sink resumes
 * only a table's latest run, which may be another job's). A database failure stops the job:
 * its records must not go missing from the database unnoticed. */
#include "db.h"
#include "job.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(srv_job_t *j, int rc) {
    const char *why = j->sink && j->sink->why[0] ? j->sink->why : cafe_strerror(rc);
    snprintf(j->db_error, sizeof j->db_error, "database: %s", why);
    j->cancel = 1;
    cafe_group_cancel(&j->fetchers);
}

int srv_jobdb_start(srv_job_t *j) {
    const char *spec = j->srv->o.db;
    if (!spec)
        return 0;
    json_t *o = json_pack("{s:s, s:s, s:b}", "service", "cafe serve", "job", j->id, "resumed",
                          j->done_before > 0);
    char *options = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int rc = options ? sink_db_sink_open(&j->sink, spec, options, 0) : CAFE_ENOMEM;
    free(options);
    if (rc == 0)
        rc = sink_start(j->sink);
    if (rc != 0)
        fail(j, rc);
    return rc;
}

void srv_jobdb_write(srv_job_t *j, const record_t *rec) {
    if (!j->sink || j->db_error[0])
        return;
    int rc = sink_write(j->sink, rec);
    if (rc != 0)
        fail(j, rc);
}

void srv_jobdb_finish(srv_job_t *j, int interrupted) {
    if (!j->sink)
        return;
    j->sink->interrupted = interrupted;
    int rc = sink_finish(j->sink);
    if (rc != 0 && !j->db_error[0])
        fail(j, rc);
    sink_close(j->sink);
    j->sink = NULL;
}
