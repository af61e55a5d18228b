/* A job: a URL list fetched in the background, its records kept in input order. */
#ifndef CAFE_SERVE_JOB_H
#define CAFE_SERVE_JOB_H

#include "srv.h"

enum { SRV_JOB_RUNNING, SRV_JOB_DONE, SRV_JOB_CANCELLED };

/* Memory per URL: the URL's bytes plus 16 bytes of index; the records themselves live in the
 * job's spool file (one "SEQ<TAB>JSON" line each, in completion order), so a job of a
 * million URLs costs tens of megabytes, not the size of its results. */
struct srv_job {
    srv_job_t *next; /* the server's list, newest first */
    srv_t *srv;
    char id[17];
    int refs; /* the list, the runner, each results stream */
    int state, cancel;
    char *urls;        /* NUL-terminated URL lines, back to back */
    uint32_t *url_off; /* url i is urls + url_off[i] */
    size_t n;
    uint64_t *rec_off; /* record i is spool[rec_off[i], rec_off[i] + rec_len[i]) */
    uint32_t *rec_len; /* 0: no record yet */
    int spool_fd;
    uint64_t spool_len;
    size_t next_url, done, ok, failed;
    uint64_t created_ms, finished_ms;
    long long created_unix;
    int write_error;
    cafe_group_t fetchers;
    srv_req_t *waiting; /* results streams waiting for the next record */
};

void srv_job_unref(srv_job_t *j);
/* Reads record i (JSON line without its newline) into a malloc'd string. */
int srv_job_record(srv_job_t *j, size_t i, char **json, size_t *len);

#endif
