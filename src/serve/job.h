/* A job: a URL list fetched in the background, its records kept in input order. */
#ifndef CAFE_SERVE_JOB_H
#define CAFE_SERVE_JOB_H

#include "sink.h"
#include "srv.h"

/* INTERRUPTED: the service stopped (SIGINT, SIGTERM) before the job was over; unlike a
 * cancelled job it is left unfinished on disk, and a restart with --data-dir resumes it.
 * QUEUED: resumed by a restart while --max-jobs others run; it starts, oldest first, when
 * one of them ends (the limit holds for resumed jobs as it does for new ones). */
enum { SRV_JOB_RUNNING, SRV_JOB_DONE, SRV_JOB_CANCELLED, SRV_JOB_INTERRUPTED, SRV_JOB_QUEUED };

/* Memory per URL: the URL's bytes plus 20 bytes of index; the records themselves live in the
 * job's spool file (one "SEQ<TAB>JSON" line each, in completion order), so a job of a
 * million URLs costs tens of megabytes, not the size of its results. */
struct srv_job {
    srv_job_t *next; /* the server's list, newest first */
    srv_t *srv;
    char id[17];
    char client[SRV_CLIENT_MAX]; /* who posted it (srv_client_of); empty: loaded at a restart */
    int refs;                    /* the list, the runner, each results stream */
    int state, cancel;
    int deleted; /* cancelled by DELETE: cancelled, even if the service is stopping then */
    char *urls;  /* the URL lines, back to back, each followed by a NUL */
    /* Line i is urls + url_off[i] (srv_job_line: a line may hold a NUL). 32 bits: the list
     * takes at most the body's bytes plus one, and --max-body is below 4 GiB. */
    uint32_t *url_off;
    size_t n, urls_len;
    uint64_t *rec_off;    /* record i is spool[rec_off[i], rec_off[i] + rec_len[i]) */
    uint32_t *rec_len;    /* 0: no record yet */
    uint32_t *done_order; /* done_order[k]: the URL whose record was the k-th stored */
    int spool_fd;
    uint64_t spool_len;
    size_t next_url, done, ok, failed;
    size_t done_before; /* records found at a restart (the rate counts the new ones) */
    uint64_t created_ms, finished_ms;
    uint64_t last_done_ms; /* when this run last stored a record: the ETA counts down from it */
    long long created_unix;
    long created_nsec; /* and its nanoseconds: jobs made in one second keep their order */
    cafe_group_t fetchers;
    sink_t *sink;   /* --db: the job's run in the database; NULL without */
    int64_t db_run; /* that run's id (kept in job-ID.run: a restart continues it); 0 = none */
    /* Why the job stopped short (a record it could not write, the database): its status's
     * "error", kept in job-ID.end so that a restart still shows it. Empty: none. Room for
     * "database: " and a database's whole message (up to 512 bytes). */
    char error[600];
    dlist_t waiting; /* results streams waiting for the next record (srv_req_t.wait) */
};

/* A new job with a fresh random id (or the given one), one reference (the caller's). */
srv_job_t *srv_job_new(srv_t *s, const char *id);
/* Parses a text/plain list (one URL a line; blank lines and # comments skipped) into j.
 * 0, 1 when more than max URLs, or CAFE_ENOMEM. */
int srv_job_parse_text(srv_job_t *j, const char *body, size_t len, size_t max);
/* Parses a JSON list (an array of strings, each one URL line) into j: 0, 1 when more than max
 * URLs, CAFE_EINVAL when it is no array of strings, SRV_JOB_NOT_A_LINE for a string no line
 * of the text list (job-ID.urls) can hold (blank, a # comment, a LF or CR inside), or
 * CAFE_ENOMEM. Each string is trimmed as a text line is. */
enum { SRV_JOB_NOT_A_LINE = 2 };
int srv_job_parse_json(srv_job_t *j, const char *body, size_t len, size_t max);
/* Frees j's list once j is over: its records hold their URLs, and only a worker (or the
 * loading of its spool) reads a line, so that the --jobs-kept finished jobs hold their index
 * (16 bytes a URL), not their lists too (up to --max-body each). */
void srv_job_drop_list(srv_job_t *j);
/* Line i of j's list and its length: a line with a NUL byte in it is kept whole (it is an
 * invalid URL, recorded as cafe titles records it). Not after srv_job_drop_list. */
const char *srv_job_line(const srv_job_t *j, size_t i, size_t *len);
/* The url of line i's record, as a worker makes it: 0 and the normalised URL, or, for a line
 * that is no URL, its error (why: the reason) and the line as cafe titles records it. *url is
 * malloc'd, NULL when out of memory. */
int srv_job_line_url(const srv_job_t *j, size_t i, char **url, const char **why);
/* Allocates the record index of j's n URLs. */
int srv_job_index(srv_job_t *j);
/* Adds j to the server's list (which takes the caller's reference). */
void srv_job_keep(srv_t *s, srv_job_t *j);
/* Starts j's runner and adds j to the list (which takes the caller's reference). */
int srv_job_run(srv_t *s, srv_job_t *j);
/* Adds j to the list as queued (the list takes the caller's reference); it runs once
 * srv_jobs_start_queued finds a free slot for it. */
void srv_job_queue(srv_t *s, srv_job_t *j);
/* Starts the oldest queued jobs while fewer than --max-jobs run (none once stopping). */
void srv_jobs_start_queued(srv_t *s);
/* Files of a job (persist.c): without --data-dir, only an unlinked spool. */
int srv_persist_create(srv_job_t *j);
void srv_persist_end(srv_job_t *j);
void srv_persist_forget(srv_job_t *j);
/* Keeps a DELETE of a running job in job-ID.cancel, for a restart before its end. */
void srv_persist_cancel(srv_job_t *j);
/* Cancels the jobs loaded queued whose DELETE was kept (j->deleted), as a DELETE of a queued
 * job cancels it: none is resumed. */
void srv_jobs_cancel_deleted(srv_t *s);
/* Keeps j->db_run in job-ID.run (with --data-dir; a no-op without). */
void srv_persist_run(srv_job_t *j);
/* --db (jobdb.c): start the job's run (from its runner task), write a record, finish. A
 * failure cancels the job and is kept in its error. */
int srv_jobdb_start(srv_job_t *j);
void srv_jobdb_write(srv_job_t *j, const record_t *rec);
/* Ends the run with the job's end state (SRV_JOB_DONE, _CANCELLED, _INTERRUPTED). */
void srv_jobdb_finish(srv_job_t *j, int state);
/* A queued job that ended before it ran (cancelled, or interrupted by a stop): ends the run
 * it has from before the restart in that state (with the spool's records it lacks), on a
 * task of its own. A run left by a killed service said "running" until then. */
void srv_jobdb_end_queued(srv_job_t *j);
/* Indexes record i found in the spool at offset off (len bytes of JSON), with its counts. */
void srv_job_found(srv_job_t *j, size_t i, uint64_t off, size_t len, int failed);

/* The state's name in the job's status: queued, running, cancelling, done, cancelled,
 * interrupted. */
const char *srv_job_state_name(const srv_job_t *j);
/* Whether j is over (done, cancelled, interrupted): neither running nor queued. */
int srv_job_over(const srv_job_t *j);

void srv_job_unref(srv_job_t *j);
/* Reads record i (JSON line without its newline) into a malloc'd string. */
int srv_job_record(srv_job_t *j, size_t i, char **json, size_t *len);

#endif
