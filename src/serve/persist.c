/* A job's files. Without --data-dir: one unlinked temporary file for the records (gone with
 * the process). With --data-dir DIR, a few files per job, so that a restarted service shows
 * its finished jobs and resumes the others:
 *   DIR/job-ID.urls   the URL list, one a line, after a "# cafe serve job ID UNIXTIME CLIENT"
 *                     line (UNIXTIME with nanoseconds, "S.NNNNNNNNN": it orders the jobs at
 *                     load; CLIENT who posted it, for --max-client-jobs and --jobs-kept,
 *                     absent from the files of older versions)
 *   DIR/job-ID.jsonl  the records, "SEQ<TAB>JSON" lines in completion order (the spool)
 *   DIR/job-ID.end    "done" or "cancelled" once the job is over (absent: unfinished), then
 *                     its last run's milliseconds and records fetched (its status's
 *                     elapsed_s and rate; absent from the files of older versions), and on
 *                     the lines after it the error that stopped it, if one did
 *   DIR/job-ID.run    with --db, the id of the job's run in the database, which a restart
 *                     continues
 *   DIR/job-ID.end-reserved  while the job is unfinished, room kept for job-ID.end (below)
 *   DIR/job-ID.cancel  a DELETE of the job while it ran (srv_persist_cancel)
 * A record is one write(2); one torn by a crash is cut off at load and fetched again. */
#include "job.h"
#include "record.h"

#include <jansson.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void path_of(const srv_job_t *j, const char *ext, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/job-%s.%s", j->srv->o.data_dir, j->id, ext);
}

/* Writes path whole or not at all: into path.tmp, renamed over path once written, so that a
 * crash in the middle leaves no torn file (a list cut in the middle of a URL, read back as a
 * shorter list with another last URL; an empty job-ID.run, read back as no run). A .tmp a
 * crash left is removed at the next start. */
static int write_file(const char *path, const char *head, const char *data, size_t len) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    size_t hl = strlen(head);
    int ok = write(fd, head, hl) == (ssize_t)hl;
    for (size_t done = 0; ok && done < len;) {
        ssize_t w = write(fd, data + done, len - done);
        ok = w > 0;
        done += ok ? (size_t)w : 0;
    }
    int err = ok ? 0 : -errno;
    if (close(fd) != 0 && !err)
        err = -errno;
    if (!err && rename(tmp, path) != 0)
        err = -errno;
    if (err)
        unlink(tmp);
    return err;
}

/* The URL list as lines: the job's buffer holds each followed by a NUL, which becomes a
 * newline (a NUL inside a line stays, so that the list reads back the same). */
static int save_urls(const srv_job_t *j) {
    char path[4096], head[96 + SRV_CLIENT_MAX];
    path_of(j, "urls", path, sizeof path);
    snprintf(head, sizeof head, "# cafe serve job %s %lld.%09ld %s\n", j->id, j->created_unix,
             j->created_nsec, j->client);
    char *text = malloc(j->urls_len ? j->urls_len : 1);
    if (!text)
        return CAFE_ENOMEM;
    memcpy(text, j->urls, j->urls_len);
    for (size_t i = 0, len; i < j->n; i++)
        text[srv_job_line(j, i, &len) - j->urls + len] = '\n';
    int rc = write_file(path, head, text, j->urls_len);
    free(text);
    return rc;
}

/* The end mark is written when the job ends, which may be because the disk is full: then a
 * new file could not be written, and the job would be read back at a restart without its
 * error (an empty job-ID.end), or as unfinished and resumed, a cancelled job too. So its room
 * is taken while the job is made (or resumed), in job-ID.end-reserved: the end is written
 * over blocks already allocated, cut to its length (which frees, never takes, space) and
 * renamed into place. A reserve that cannot be made is none: the end is then written anew. */
enum { END_RESERVE = 1024 }; /* its first line (END_HEAD) and the error (sizeof j->error) fit */
enum { END_HEAD = sizeof "cancelled 18446744073709551615 18446744073709551615\n" };
_Static_assert(END_HEAD + 1 + sizeof((srv_job_t *)0)->error <= END_RESERVE,
               "a job's end and error fit its reserve");

static void reserve_end(const srv_job_t *j) {
    char path[4096];
    path_of(j, "end-reserved", path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    int rc = posix_fallocate(fd, 0, END_RESERVE);
    if (close(fd) != 0 || rc != 0)
        unlink(path);
}

/* Writes the end mark (head, then data) into the reserve and renames it to path. */
static int end_into_reserve(const srv_job_t *j, const char *path, const char *head,
                            const char *data, size_t len) {
    char reserve[4096];
    path_of(j, "end-reserved", reserve, sizeof reserve);
    size_t hl = strlen(head);
    if (hl + len > END_RESERVE)
        return CAFE_EINVAL;
    int fd = open(reserve, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int ok = pwrite(fd, head, hl, 0) == (ssize_t)hl &&
             pwrite(fd, data, len, (off_t)hl) == (ssize_t)len &&
             ftruncate(fd, (off_t)(hl + len)) == 0;
    int err = ok ? 0 : -errno;
    if (close(fd) != 0 && !err)
        err = -errno;
    if (!err && rename(reserve, path) != 0)
        err = -errno;
    return err;
}

int srv_persist_create(srv_job_t *j) {
    const srv_opts_t *o = &j->srv->o;
    if (!o->data_dir) {
        const char *tmp = getenv("TMPDIR");
        j->spool_fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        return j->spool_fd >= 0 ? 0 : -errno;
    }
    char path[4096];
    path_of(j, "jsonl", path, sizeof path);
    j->spool_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (j->spool_fd < 0)
        return -errno;
    int rc = save_urls(j);
    if (rc == 0)
        reserve_end(j);
    return rc;
}

void srv_persist_end(srv_job_t *j) {
    if (!j->srv->o.data_dir)
        return;
    char path[4096];
    path_of(j, "end", path, sizeof path);
    /* its time and count: a restart shows the job's elapsed_s and rate, not 0 (its end was
     * taken for its start) */
    char state[END_HEAD];
    snprintf(state, sizeof state, "%s %" PRIu64 " %zu\n",
             j->state == SRV_JOB_DONE ? "done" : "cancelled", j->finished_ms - j->created_ms,
             j->done - j->done_before);
    char error[sizeof j->error + 1];
    int n = j->error[0] ? snprintf(error, sizeof error, "%s\n", j->error) : 0;
    if (end_into_reserve(j, path, state, error, (size_t)n) != 0 &&
        write_file(path, state, error, (size_t)n) != 0)
        fprintf(stderr, "cafe serve: cannot write %s\n", path);
    path_of(j, "end-reserved", path, sizeof path);
    unlink(path); /* not used (it could not be): the job needs it no more */
}

void srv_persist_run(srv_job_t *j) {
    if (!j->srv->o.data_dir)
        return;
    char path[4096], run[24];
    path_of(j, "run", path, sizeof path);
    snprintf(run, sizeof run, "%" PRId64 "\n", j->db_run);
    if (write_file(path, run, "", 0) != 0)
        fprintf(stderr, "cafe serve: cannot write %s\n", path);
}

/* A DELETE of a running job: its end is written once its fetches have stopped (and with --db
 * its run has ended), and a crash before then (SIGKILL, the OOM killer) left it unfinished,
 * resumed by the restart, whose user had been told "cancelling". So the DELETE is kept at
 * once, in job-ID.cancel, and a restart cancels such a job, as a DELETE of a queued one. */
void srv_persist_cancel(srv_job_t *j) {
    if (!j->srv->o.data_dir)
        return;
    char path[4096];
    path_of(j, "cancel", path, sizeof path);
    if (write_file(path, "cancelled by DELETE\n", "", 0) != 0)
        fprintf(stderr, "cafe serve: cannot write %s\n", path);
}

/* A job's files but for its list, which a restart goes by. */
static const char *const others[] = {"jsonl", "end", "run", "end-reserved", "cancel"};

/* The list goes first: a crash in the middle leaves files no restart loads (removed then,
 * remove_orphan), never a job brought back without its records. */
void srv_persist_forget(srv_job_t *j) {
    if (!j->srv->o.data_dir)
        return;
    char path[4096];
    path_of(j, "urls", path, sizeof path);
    unlink(path);
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        path_of(j, others[i], path, sizeof path);
        unlink(path);
    }
}

/* ---- loading at start ---- */

/* The whole file, NUL-terminated, or NULL with errno set: a file that cannot be read whole
 * (an I/O error, a directory) is not taken for a shorter one. read(2) returns at most about
 * 2 GiB at a time: a longer list takes several. */
static char *read_file(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    int err = 0;
    if (fd < 0 || fstat(fd, &st) != 0)
        err = errno;
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        err = ENOMEM;
    size_t got = 0;
    while (!err && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno != EINTR)
            err = errno;
        else if (n == 0)
            break; /* shorter than it was a moment ago: what there is */
        got += n > 0 ? (size_t)n : 0;
    }
    if (fd >= 0)
        close(fd);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* Whether json[0..len) is a record of line i as a worker stores it: an object of exactly a
 * record's columns, each of its type or null, whose url is the one the worker gives that line.
 * A line of a damaged file may hold well-formed JSON of another shape or of another line's
 * URL: taken, it would stand in the results (and go to the database) as this line's record.
 * *failed: whether the record counts as a failure (record_failed's rule). */
static int record_of_line(const srv_job_t *j, size_t i, const char *json, size_t len, int *failed) {
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    int ok = json_is_object(o) && json_object_size(o) == RECORD_NCOLUMNS;
    for (size_t c = 0; ok && c < RECORD_NCOLUMNS; c++) {
        const json_t *v = json_object_get(o, record_columns[c].name);
        int number = record_columns[c].type == RECORD_COL_NUMBER;
        ok = v && (json_is_null(v) || (number ? json_is_integer(v) : json_is_string(v)));
    }
    char *url = NULL;
    const char *why;
    (void)srv_job_line_url(j, i, &url, &why);
    const char *got = ok ? json_string_value(json_object_get(o, "url")) : NULL;
    ok = got && url && strcmp(got, url) == 0;
    if (ok) {
        const json_t *status = json_object_get(o, "status");
        record_receipt_t r = {
            .status = json_is_integer(status) ? (long)json_integer_value(status) : 0,
            .error = json_is_null(json_object_get(o, "error")) ? 0 : CAFE_EUNKNOWN};
        *failed = record_receipt_failed(&r);
    }
    free(url);
    json_decref(o);
    return ok;
}

/* Indexes the spool's whole lines (memory: the longest line); a torn tail (no newline) is
 * cut off. A line that holds no record of its URL (record_of_line: a damaged file) is none:
 * an empty one would read as "no record yet" in the index and be counted once for each such
 * line. Its URL is fetched again. */
static int load_records(srv_job_t *j) {
    int fd = dup(j->spool_fd);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return CAFE_ENOMEM;
    }
    char *line = NULL;
    size_t cap = 0;
    uint64_t pos = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
        char *tab;
        unsigned long long seq = strtoull(line, &tab, 10);
        size_t off = (size_t)(tab + 1 - line);
        int failed;
        if (*tab == '\t' && seq < j->n && !j->rec_len[seq] &&
            record_of_line(j, (size_t)seq, tab + 1, (size_t)n - 1 - off, &failed))
            srv_job_found(j, (size_t)seq, pos + off, (size_t)n - 1 - off, failed);
        pos += (uint64_t)n;
    }
    free(line);
    fclose(f);
    j->spool_len = pos;
    j->done_before = j->done;
    return ftruncate(j->spool_fd, (off_t)pos) == 0 ? 0 : -errno;
}

/* A finished job's end mark (srv_persist_end): its state, time, count and error. */
static void load_end(srv_job_t *j, const char *end) {
    j->state = strncmp(end, "done", 4) == 0 ? SRV_JOB_DONE : SRV_JOB_CANCELLED;
    char head[END_HEAD]; /* its first line alone: an older file has the error next */
    snprintf(head, sizeof head, "%.*s", (int)strcspn(end, "\n"), end);
    uint64_t ms = 0;
    size_t fetched = 0;
    if (sscanf(head, "%*s %" SCNu64 " %zu", &ms, &fetched) == 2 && fetched <= j->done)
        j->done_before = j->done - fetched;
    j->finished_ms = j->created_ms + ms;
    const char *error = strchr(end, '\n');
    if (error && error[1]) {
        size_t n = strlen(++error);
        n -= error[n - 1] == '\n'; /* without the newline written after it */
        snprintf(j->error, sizeof j->error, "%.*s", (int)n, error);
    }
}

static int load_job(srv_t *s, const char *id) {
    srv_job_t *j = srv_job_new(s, id);
    char path[4096];
    size_t len = 0;
    if (!j)
        return CAFE_ENOMEM;
    path_of(j, "urls", path, sizeof path);
    char *list = read_file(path, &len);
    long long created = 0;
    long nsec = 0; /* absent from the lists of older versions */
    int rc = list ? 0 : -errno;
    if (rc == 0 && (len == 0 || list[len - 1] != '\n')) {
        /* every line was written with its newline: a torn list is not this job's list */
        fprintf(stderr, "cafe serve: %s is torn (no newline at its end)\n", path);
        rc = CAFE_EINVAL;
    }
    /* The head line alone: in an older file, without a client, the scan of one would skip
     * the newline and take the first URL for it. */
    char head[160] = "", client[SRV_CLIENT_MAX] = ""; /* one word (srv_client_of) */
    _Static_assert(SRV_CLIENT_MAX == 64, "the %63 below");
    if (rc == 0)
        snprintf(head, sizeof head, "%.*s", (int)strcspn(list, "\n"), list);
    if (sscanf(head, "# cafe serve job %*16s %lld.%9ld %63s", &created, &nsec, client) >= 1) {
        j->created_unix = created;
        j->created_nsec = nsec;
        memcpy(j->client, client, sizeof client);
    }
    if (rc == 0)
        rc = srv_job_parse_text(j, list, len, SIZE_MAX);
    free(list);
    if (rc == 0)
        rc = srv_job_index(j);
    path_of(j, "jsonl", path, sizeof path);
    if (rc == 0 && (j->spool_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
        rc = -errno;
    if (rc == 0)
        rc = load_records(j);
    /* job-ID.run and job-ID.end may be absent; one that is there but cannot be read leaves
     * the job unloaded, not taken for unfinished (resumed, a cancelled job too) */
    char *run = NULL, *end = NULL;
    path_of(j, "run", path, sizeof path);
    if (rc == 0 && !(run = read_file(path, &len)) && errno != ENOENT)
        rc = -errno;
    path_of(j, "end", path, sizeof path);
    if (rc == 0 && !(end = read_file(path, &len)) && errno != ENOENT)
        rc = -errno;
    if (rc != 0) {
        free(run);
        srv_job_unref(j);
        return rc;
    }
    if (run) {
        j->db_run = strtoll(run, NULL, 10);
        free(run);
    }
    if (end) {
        load_end(j, end);
        free(end);
        srv_job_drop_list(j);
        srv_job_keep(s, j);
        return 0;
    }
    path_of(j, "cancel", path, sizeof path);
    j->deleted = access(path, F_OK) == 0; /* srv_jobs_cancel_deleted cancels it */
    reserve_end(j); /* made by a version without it, or used by an end that was not kept */
    /* queued, not run: srv_persist_load starts the oldest under --max-jobs once all are in */
    srv_job_queue(s, j);
    return 0;
}

static int newer_first(const void *a, const void *b) {
    const srv_job_t *x = *(srv_job_t *const *)a, *y = *(srv_job_t *const *)b;
    if (x->created_unix != y->created_unix)
        return x->created_unix > y->created_unix ? -1 : 1;
    if (x->created_nsec != y->created_nsec)
        return x->created_nsec > y->created_nsec ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* The server's list is newest first and --jobs-kept forgets from its end, but the jobs were
 * loaded in the order the directory lists its files, an order of its own: sorts them by the
 * time they were made, so that the oldest still go first after a restart. */
static int sort_jobs(srv_t *s) {
    size_t n = 0;
    for (srv_job_t *j = s->jobs; j; j = j->next)
        n++;
    if (n < 2)
        return 0;
    srv_job_t **v = malloc(n * sizeof(*v));
    if (!v)
        return CAFE_ENOMEM;
    n = 0;
    for (srv_job_t *j = s->jobs; j; j = j->next)
        v[n++] = j;
    qsort(v, n, sizeof(*v), newer_first);
    for (size_t i = 0; i < n; i++)
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    s->jobs = v[0];
    free(v);
    return 0;
}

/* Removes name, in the directory dfd, when it is a job's file whose list is gone: a crash in
 * the middle of a DELETE's forgetting (the list goes first) or of a job's making (its spool
 * comes first). Nothing loads such files, and nothing removed them: the records a user had
 * asked to be removed stayed on the disk for ever. */
static void remove_orphan(int dfd, const char *name) {
    char list[32];
    if (strncmp(name, "job-", 4) != 0 || strspn(name + 4, "0123456789abcdef") != 16 ||
        name[20] != '.')
        return;
    size_t k = 0;
    while (k < sizeof others / sizeof others[0] && strcmp(name + 21, others[k]) != 0)
        k++;
    if (k == sizeof others / sizeof others[0])
        return;
    snprintf(list, sizeof list, "job-%.16s.urls", name + 4);
    if (faccessat(dfd, list, F_OK, 0) == 0 || errno != ENOENT)
        return;
    if (unlinkat(dfd, name, 0) != 0)
        fprintf(stderr, "cafe serve: cannot remove %s: %s\n", name, strerror(errno));
}

int srv_persist_load(srv_t *s) {
    if (!s->o.data_dir)
        return 0;
    DIR *d = opendir(s->o.data_dir);
    if (!d)
        return -errno;
    struct dirent *e;
    while ((e = readdir(d))) {
        char id[17];
        size_t n = strlen(e->d_name);
        if (n > 8 && strncmp(e->d_name, "job-", 4) == 0 && strcmp(e->d_name + n - 4, ".tmp") == 0 &&
            unlinkat(dirfd(d), e->d_name, 0) != 0)
            fprintf(stderr, "cafe serve: cannot remove %s: %s\n", e->d_name, strerror(errno));
        remove_orphan(dirfd(d), e->d_name);
        if (n == 25 && sscanf(e->d_name, "job-%16[0-9a-f].urls", id) == 1) {
            int rc = load_job(s, id);
            if (rc != 0)
                fprintf(stderr, "cafe serve: cannot load job %s: %s\n", id, cafe_strerror(rc));
        }
    }
    closedir(d);
    int rc = sort_jobs(s);
    if (rc == 0) {
        srv_jobs_trim(s); /* --jobs-kept may be lower than when they were made */
        srv_jobs_cancel_deleted(s);
        srv_jobs_start_queued(s);
        for (srv_job_t *j = s->jobs; j && !s->o.quiet; j = j->next)
            if (j->state == SRV_JOB_QUEUED)
                fprintf(stderr,
                        "cafe serve: job %s queued (%zu of %zu URLs done): it resumes when one "
                        "of the --max-jobs %zu running ends\n",
                        j->id, j->done, j->n, s->o.max_jobs);
    }
    return rc;
}
