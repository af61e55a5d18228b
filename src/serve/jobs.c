/* POST /v1/jobs, GET and DELETE /v1/jobs/ID.
 *
 * A POST answers 202 at once: the job's runner task is only spawned, so it first runs after
 * the answer is queued, and no URL is fetched before. The runner starts min(n, -c) workers;
 * each takes the next URL and fetches it under the limits shared with every other job and
 * request (fetch.c). */
#include "job.h"
#include "format.h"
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

void srv_job_unref(srv_job_t *j) {
    if (--j->refs > 0)
        return;
    if (j->spool_fd >= 0)
        close(j->spool_fd);
    free(j->urls);
    free(j->url_off);
    free(j->rec_off);
    free(j->rec_len);
    free(j->done_order);
    free(j);
}

int srv_job_record(srv_job_t *j, size_t i, char **json, size_t *len) {
    size_t n = j->rec_len[i];
    char *buf = malloc(n + 1);
    if (!buf)
        return CAFE_ENOMEM;
    ssize_t got = pread(j->spool_fd, buf, n, (off_t)j->rec_off[i]);
    if (got != (ssize_t)n) {
        free(buf);
        return CAFE_EIO;
    }
    buf[n] = '\0';
    *json = buf;
    *len = n;
    return 0;
}

/* ---- the URL list ---- */

/* Appends one URL line to the job's list; 1 when the list is full. */
static int add_url(srv_job_t *j, size_t *cap, const char *s, size_t len, size_t max) {
    size_t used = j->urls_len;
    if (j->n == max)
        return 1;
    if (used + len + 1 > *cap) {
        size_t c = *cap ? *cap * 2 : 4096;
        while (c < used + len + 1)
            c *= 2;
        char *b = realloc(j->urls, c);
        if (!b)
            return CAFE_ENOMEM;
        j->urls = b;
        *cap = c;
    }
    if (j->n % 1024 == 0) {
        uint32_t *o = realloc(j->url_off, (j->n + 1024) * sizeof(*o));
        if (!o)
            return CAFE_ENOMEM;
        j->url_off = o;
    }
    j->url_off[j->n++] = (uint32_t)used;
    memcpy(j->urls + used, s, len);
    j->urls[used + len] = '\0';
    j->urls_len = used + len + 1;
    return 0;
}

void srv_job_drop_list(srv_job_t *j) {
    free(j->urls);
    free(j->url_off);
    j->urls = NULL;
    j->url_off = NULL;
    j->urls_len = 0;
}

const char *srv_job_line(const srv_job_t *j, size_t i, size_t *len) {
    size_t end = i + 1 < j->n ? j->url_off[i + 1] : j->urls_len;
    *len = end - j->url_off[i] - 1;
    return j->urls + j->url_off[i];
}

/* Where the line at p ends: at its LF, CR LF or CR alone, as `cafe titles` reads a list (one
 * saved with classic Mac line ends is a line per URL); *next is the next line's start. */
static const char *line_end(const char *p, const char *end, const char **next) {
    const char *le = p;
    while (le < end && *le != '\n' && *le != '\r')
        le++;
    *next = le + (le + 1 < end && le[0] == '\r' && le[1] == '\n' ? 2 : 1);
    return le;
}

int srv_job_parse_text(srv_job_t *j, const char *body, size_t len, size_t max) {
    size_t cap = 0;
    const char *p = body, *end = body + len, *next;
    for (; p < end; p = next) {
        const char *le = line_end(p, end, &next);
        size_t start, n = input_line_trim(p, (size_t)(le - p), &start);
        if (n) {
            int rc = add_url(j, &cap, p + start, n, max);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* An element of a JSON list, kept as the text list (job-ID.urls) reads it back at a restart:
 * trimmed, one line. One that no line can hold (blank, a # comment, a LF or CR inside) is
 * refused: written as it is, a restart would read another list and put every record after it
 * beside the wrong URL. */
static int add_json_url(srv_job_t *j, size_t *cap, const json_t *v, size_t max) {
    if (!json_is_string(v))
        return CAFE_EINVAL;
    const char *s = json_string_value(v);
    size_t start, n = input_line_trim(s, json_string_length(v), &start);
    if (n == 0 || memchr(s + start, '\n', n) || memchr(s + start, '\r', n))
        return SRV_JOB_NOT_A_LINE;
    return add_url(j, cap, s + start, n, max);
}

static const char *skip_space(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The list one string at a time: each element is found by its quotes and decoded alone by
 * jansson, so that the memory is the list's, not a tree of the whole body (a body of 16 MiB
 * made 5 million json_t, 500 MB, and held the loop for seconds before the first element
 * could be refused), and a bad element or one too many stops the parse where it stands. */
int srv_job_parse_json(srv_job_t *j, const char *body, size_t len, size_t max) {
    const char *end = body + len, *p = skip_space(body, end);
    size_t cap = 0;
    if (p == end || *p != '[')
        return CAFE_EINVAL;
    p = skip_space(p + 1, end);
    if (p < end && *p == ']')
        return skip_space(p + 1, end) == end ? 0 : CAFE_EINVAL;
    for (;;) {
        if (p == end || *p != '"')
            return CAFE_EINVAL;
        const char *q = p + 1;
        while (q < end && *q != '"')
            q += *q == '\\' && q + 1 < end ? 2 : 1; /* past an escaped quote */
        if (q >= end)
            return CAFE_EINVAL;
        /* "\u0000" is a character of a JSON string (RFC 8259, 7), which jansson refuses
         * unless told: the NUL byte a text list's line may hold, and its record says so */
        json_t *v = json_loadb(p, (size_t)(q + 1 - p), JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        int rc = v ? add_json_url(j, &cap, v, max) : CAFE_EINVAL;
        json_decref(v);
        if (rc != 0)
            return rc;
        p = skip_space(q + 1, end);
        if (p < end && *p == ']')
            return skip_space(p + 1, end) == end ? 0 : CAFE_EINVAL;
        if (p == end || *p != ',')
            return CAFE_EINVAL;
        p = skip_space(p + 1, end);
    }
}

/* ---- records ---- */

static void notify(srv_job_t *j) {
    while (j->waiting.head) {
        srv_req_t *r = DLIST_ITEM(j->waiting.head, srv_req_t, wait);
        dlist_unlink(&j->waiting, &r->wait);
        srv_resume(r);
    }
}

/* Writes head and json at the spool's end: 0, or why not (an errno). A short write is
 * followed by another for the rest, whose failure says why (ENOSPC, EFBIG) where the first
 * only stopped short. */
static int spool_append(srv_job_t *j, const char *head, size_t hl, const char *json, size_t len) {
    for (size_t done = 0; done < hl + len;) {
        struct iovec iov[2];
        int k = 0;
        if (done < hl)
            iov[k++] = (struct iovec){(char *)head + done, hl - done};
        size_t from = done > hl ? done - hl : 0;
        iov[k++] = (struct iovec){(char *)json + from, len - from};
        ssize_t w = pwritev(j->spool_fd, iov, k, (off_t)(j->spool_len + done));
        if (w < 0 && errno != EINTR)
            return errno;
        if (w == 0)
            return EIO;
        done += w > 0 ? (size_t)w : 0;
    }
    return 0;
}

/* A record that cannot be kept stops the job (its workers take no more URLs); the first
 * such error is the job's. */
static void write_failed(srv_job_t *j, int err) {
    if (!j->error[0])
        snprintf(j->error, sizeof j->error, "%s", strerror(err));
}

/* Appends record i to the spool ("SEQ<TAB>JSON\n") and indexes it. */
static void store(srv_job_t *j, size_t i, const record_t *rec) {
    char *json;
    size_t len;
    char head[24];
    int hl = snprintf(head, sizeof head, "%zu\t", i);
    if (format_record_dup(RECORD_FMT_JSON, rec, &json, &len) != 0) {
        write_failed(j, ENOMEM);
        return;
    }
    int err = spool_append(j, head, (size_t)hl, json, len);
    free(json);
    if (err) {
        write_failed(j, err);
        return;
    }
    srv_job_found(j, i, j->spool_len + (uint64_t)hl, len - 1, record_failed(rec));
    j->spool_len += (uint64_t)hl + len;
    j->last_done_ms = srv_now(j->srv);
    j->srv->m.job_urls_done++;
    notify(j);
}

void srv_job_found(srv_job_t *j, size_t i, uint64_t off, size_t len, int failed) {
    j->rec_off[i] = off;
    j->rec_len[i] = (uint32_t)len; /* without the newline */
    j->done_order[j->done++] = (uint32_t)i;
    if (failed)
        j->failed++;
    else
        j->ok++;
}

int srv_job_line_url(const srv_job_t *j, size_t i, char **url, const char **why) {
    size_t len;
    const char *line = srv_job_line(j, i, &len);
    *url = NULL;
    *why = "line too long"; /* over cafe titles's line limit: not fetched */
    int bad = len > INPUT_LINE_MAX ? CAFE_EINVAL
                                   : url_normalize(line, len, j->srv->o.fetch.scheme, url, why);
    if (bad)
        *url = input_line_shown(line, len, 0); /* as cafe titles records it */
    return bad;
}

static int worker(void *arg, void **value) {
    srv_job_t *j = arg;
    unsigned quick = 0;
    (void)value;
    while (!j->cancel && j->next_url < j->n && !j->error[0]) {
        size_t i = j->next_url++;
        if (j->rec_len[i])
            continue; /* done before a restart */
        record_t rec = {0};
        const char *why;
        int bad = srv_job_line_url(j, i, &rec.url, &why);
        if (bad) {
            record_fail(&rec, bad, "invalid URL: %s", why);
            /* Records made without waiting: let the loop serve others now and then. */
            if (++quick % 32 == 0 && cafe_task_yield() != 0)
                j->cancel = 1;
        } else if (srv_job_fetch(j->srv, &rec) != 0) {      /* titles keep their share of -c */
            record_fail(&rec, CAFE_ECANCELED, "cancelled"); /* no record: it stays unfinished */
        }
        /* Cut short by a cancel: no record; the URL stays unfinished. */
        if (!(rec.error == CAFE_ECANCELED && (j->cancel || cafe_task_cancelled()))) {
            store(j, i, &rec);
            srv_jobdb_write(j, &rec);
        }
        record_clear(&rec);
    }
    return 0;
}

/* How a job whose workers have ended ends. Stopped short by the service's shutdown, not by
 * its user or an error: interrupted, unfinished on disk, so that a restart with --data-dir
 * resumes it, and said so. */
static int end_state(const srv_job_t *j) {
    if (!j->cancel && j->done == j->n)
        return SRV_JOB_DONE;
    if (j->srv->stopping && !j->deleted && !j->error[0])
        return SRV_JOB_INTERRUPTED;
    return SRV_JOB_CANCELLED;
}

static int runner(void *arg, void **value) {
    srv_job_t *j = arg;
    srv_t *s = j->srv;
    (void)value;
    size_t w = j->n < s->o.fetch.concurrency ? j->n : s->o.fetch.concurrency;
    cafe_task_opts_t to = {.name = "serve job worker", .stack_size = 0};
    if (srv_jobdb_start(j) == 0)
        for (size_t k = 0; k < w; k++)
            if (cafe_group_spawn(&j->fetchers, worker, j, &to) != 0)
                break;
    if (cafe_group_wait(&j->fetchers) != 0)
        j->cancel = 1;
    srv_jobdb_finish(j, end_state(j));
    j->state = end_state(j); /* again: a run that failed to end stops the job */
    j->finished_ms = srv_now(s);
    s->jobs_running--;
    if (j->state == SRV_JOB_DONE)
        s->m.jobs_finished++;
    else
        s->m.jobs_cancelled++;
    if (j->state != SRV_JOB_INTERRUPTED)
        srv_persist_end(j);
    srv_job_drop_list(j);
    notify(j);
    srv_job_unref(j);
    srv_jobs_start_queued(s); /* its slot under --max-jobs is free */
    return 0;
}

/* ---- creation ---- */

static void new_id(char id[17]) {
    uint64_t v;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
    snprintf(id, 17, "%016" PRIx64, v);
}

/* Forgets the oldest finished jobs until at most `most` are kept (the list is newest first);
 * 0 when the running and queued ones alone are more. All of them, not one: after a restart
 * with a lower --jobs-kept there are more than one too many, each holding its list in memory.
 * The oldest of client's own go first (client: the one making room; NULL for none): a script
 * posting a job of one URL after another pushed every other client's results out within
 * seconds (404), where now it pushes out its own, once it has some. */
static int keep_at_most(srv_t *s, size_t most, const char *client) {
    for (;;) {
        size_t n = 0;
        srv_job_t **oldest = NULL, **own = NULL;
        for (srv_job_t **p = &s->jobs; *p; p = &(*p)->next) {
            n++;
            if (srv_job_over(*p))
                oldest = p;
            if (srv_job_over(*p) && client && strcmp((*p)->client, client) == 0)
                own = p;
        }
        if (n <= most)
            return 1;
        if (own)
            oldest = own;
        if (!oldest)
            return 0;
        srv_job_t *j = *oldest;
        *oldest = j->next;
        srv_persist_forget(j);
        srv_job_unref(j);
    }
}

/* Whether --jobs-kept has room for one more job once finished ones go: 0 when the unfinished
 * ones fill it. */
static int room_for_one_more(const srv_t *s) {
    size_t n = 0;
    for (const srv_job_t *j = s->jobs; j; j = j->next)
        n += !srv_job_over(j);
    return n < s->o.jobs_kept;
}

void srv_jobs_trim(srv_t *s) {
    (void)keep_at_most(s, s->o.jobs_kept, NULL);
}

/* The job's list from the request's body: 0, or the HTTP status to refuse it with (413 for
 * a list over --max-job-urls, 503 out of memory, 415 for a charset not taken, else 400) and
 * *why for its message (which may be msg's text). */
static unsigned parse_body(srv_req_t *r, srv_job_t *j, const char **why, char *msg, size_t size) {
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    size_t max = r->srv->o.max_job_urls;
    int json = srv_media_type_json(ct);
    char *utf8;
    size_t off, len;
    const char *body = r->body ? r->body : "";
    unsigned bad = srv_body_utf8(ct, json, body, r->body_len, r->srv->o.max_body, &utf8, &off, &len,
                                 msg, size);
    if (bad)
        return *why = msg, bad;
    body = (utf8 ? utf8 : body) + off;
    int rc = json ? srv_job_parse_json(j, body, len, max) : srv_job_parse_text(j, body, len, max);
    free(utf8);
    if (rc == 1)
        return *why = "too many URLs: see --max-job-urls", 413;
    if (rc == CAFE_EINVAL)
        return *why = "the body must be a JSON array of strings", 400;
    if (rc == SRV_JOB_NOT_A_LINE)
        return *why = "each string must be one URL: not blank, not a # comment, no line break", 400;
    if (rc != 0)
        return *why = "out of memory", 503;
    return j->n ? 0 : (*why = "no URL in the body", 400);
}

srv_job_t *srv_job_new(srv_t *s, const char *id) {
    srv_job_t *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->srv = s;
    j->spool_fd = -1;
    j->refs = 1;
    if (id)
        snprintf(j->id, sizeof j->id, "%s", id);
    else
        new_id(j->id);
    j->created_ms = srv_now(s);
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        now = (struct timespec){.tv_sec = time(NULL)};
    j->created_unix = (long long)now.tv_sec;
    j->created_nsec = now.tv_nsec;
    cafe_group_init(&j->fetchers, 0);
    return j;
}

int srv_job_index(srv_job_t *j) {
    j->rec_off = calloc(j->n ? j->n : 1, sizeof(*j->rec_off));
    j->rec_len = calloc(j->n ? j->n : 1, sizeof(*j->rec_len));
    j->done_order = calloc(j->n ? j->n : 1, sizeof(*j->done_order));
    return j->rec_off && j->rec_len && j->done_order ? 0 : CAFE_ENOMEM;
}

void srv_job_keep(srv_t *s, srv_job_t *j) {
    j->next = s->jobs;
    s->jobs = j;
}

static int start(srv_t *s, srv_job_t *j) {
    j->refs++; /* the runner's */
    cafe_task_opts_t to = {.name = "serve job"};
    int rc = cafe_group_spawn(&s->tasks, runner, j, &to);
    if (rc != 0) {
        j->refs--;
        return rc;
    }
    j->state = SRV_JOB_RUNNING;
    s->jobs_running++;
    return 0;
}

int srv_job_run(srv_t *s, srv_job_t *j) {
    int rc = start(s, j);
    if (rc == 0)
        srv_job_keep(s, j);
    return rc;
}

void srv_job_queue(srv_t *s, srv_job_t *j) {
    j->state = SRV_JOB_QUEUED;
    s->jobs_queued++;
    srv_job_keep(s, j);
}

void srv_jobs_start_queued(srv_t *s) {
    while (!s->stopping && s->jobs_queued > 0 && s->jobs_running < s->o.max_jobs) {
        srv_job_t *oldest = NULL; /* the list is newest first: the last queued one */
        for (srv_job_t *j = s->jobs; j; j = j->next)
            if (j->state == SRV_JOB_QUEUED)
                oldest = j;
        int rc = start(s, oldest);
        if (rc != 0) { /* it stays queued: the next job to end tries again */
            fprintf(stderr, "cafe serve: cannot start job %s: %s\n", oldest->id, cafe_strerror(rc));
            return;
        }
        s->jobs_queued--;
        oldest->created_ms = srv_now(s); /* its rate and ETA count from its start, not its wait */
        /* said now, not at loading: a queued job is not resumed until it runs */
        if (!s->o.quiet)
            fprintf(stderr, "cafe serve: resuming job %s (%zu of %zu URLs done)\n", oldest->id,
                    oldest->done, oldest->n);
    }
}

static void reply_status(srv_req_t *r, srv_job_t *j, unsigned code);

int srv_jobs_full(const srv_t *s) {
    /* The queued jobs count: they go first, as soon as a running one ends. */
    return s->jobs_running + s->jobs_queued >= s->o.max_jobs;
}

void srv_jobs_refuse(srv_req_t *r) {
    srv_reply_busy(r, 429, "5", "too many jobs at once: try again later (see --max-jobs)");
}

/* The jobs client holds, running or queued. One client could post --max-jobs lists at once
 * and every other client was refused (429) until one of its jobs was over: a user's batch of
 * big lists shut the team out of the service for hours. */
static size_t client_jobs(const srv_t *s, const char *client) {
    size_t n = 0;
    for (const srv_job_t *j = s->jobs; j; j = j->next)
        n += !srv_job_over(j) && strcmp(j->client, client) == 0;
    return n;
}

int srv_jobs_client_refused(srv_req_t *r) {
    char client[SRV_CLIENT_MAX], msg[SRV_CLIENT_MAX + 160];
    srv_client_of(r->srv, r->conn, client, sizeof client);
    size_t n = client_jobs(r->srv, client);
    if (n < r->srv->o.max_client_jobs)
        return 0;
    snprintf(msg, sizeof msg,
             "%s has %zu jobs running or queued, as many as one client may: try again when one "
             "is over (see --max-client-jobs)",
             client, n);
    srv_reply_busy(r, 429, "5", msg);
    return 1;
}

void srv_jobs_post(srv_req_t *r) {
    srv_t *s = r->srv;
    char client[SRV_CLIENT_MAX];
    /* A list whose head came before the stop (its head was let through) and its body after:
     * the job was accepted (202) and started while the service stopped, to be interrupted
     * (without --data-dir lost with the process, after a 202), or spawned once the stop had
     * cancelled and waited for every task. Refused as a list sent after the stop is. */
    if (s->stopping) {
        srv_reply_stopping(r, "shutting down");
        return;
    }
    if (srv_jobs_client_refused(r))
        return;
    srv_client_of(s, r->conn, client, sizeof client);
    if (srv_jobs_full(s)) {
        srv_jobs_refuse(r);
        return;
    }
    srv_job_t *j = srv_job_new(s, NULL);
    if (!j) {
        srv_reply_error(r, 503, "out of memory");
        return;
    }
    memcpy(j->client, client, sizeof client);
    const char *why = NULL;
    char msg[160];
    unsigned bad = parse_body(r, j, &why, msg, sizeof msg);
    srv_body_free(r); /* the list is copied: the body's memory goes now, not with the request */
    if (bad) {
        srv_reply_error(r, bad, why);
        srv_job_unref(j);
        return;
    }
    if (!room_for_one_more(s)) {
        srv_jobs_refuse(r);
        srv_job_unref(j);
        return;
    }
    int rc = srv_job_index(j), stored = 0;
    if (rc == 0)
        stored = rc = srv_persist_create(j);
    if (rc == 0)
        rc = srv_job_run(s, j);
    if (rc != 0) {
        srv_persist_forget(j);
        if (stored != 0) { /* the operator's to fix: say where, and how */
            const char *tmp = getenv("TMPDIR");
            fprintf(stderr, "cafe serve: cannot keep a job's records in %s%s: %s (%s)\n",
                    s->o.data_dir ? "--data-dir " : "TMPDIR=",
                    s->o.data_dir ? s->o.data_dir
                    : tmp && *tmp ? tmp
                                  : "/tmp",
                    cafe_strerror(stored),
                    s->o.data_dir ? "make it a directory the service may write"
                                  : "set TMPDIR to a writable directory, or give --data-dir");
            srv_reply_error(r, 503,
                            "cannot start the job: the service cannot store its records "
                            "(its log says why)");
        } else {
            srv_reply_error(r, 503, "cannot start the job");
        }
        srv_job_unref(j);
        return;
    }
    /* Room is made for a job that is one, once it runs: made before its list was parsed, a
     * POST refused for its body (empty, malformed, too many URLs) had pushed out a finished
     * job all the same, and made before its files were, so had one whose records could not be
     * stored (503: a full disk, no descriptor left): a client could empty the service of every
     * user's results with --jobs-kept requests that started nothing. */
    (void)keep_at_most(s, s->o.jobs_kept, client);
    s->m.jobs_created++;
    reply_status(r, j, 202);
}

/* ---- status, cancel ---- */

const char *srv_job_state_name(const srv_job_t *j) {
    static const char *const names[] = {"running", "done", "cancelled", "interrupted", "queued"};
    if (j->state == SRV_JOB_RUNNING && j->cancel)
        return "cancelling";
    return names[j->state];
}

int srv_job_over(const srv_job_t *j) {
    return j->state != SRV_JOB_RUNNING && j->state != SRV_JOB_QUEUED;
}

/* Seconds left at the rate so far, counted from the last record stored: counted from now, a
 * slow tail (the last URL held by a host for its whole timeout) read "about 1 s left" all
 * along. Once that time has passed with URLs left, the rate says nothing of them: null, as
 * before the first record (the page then shows no estimate). */
static json_t *eta_json(const srv_job_t *j, double rate, uint64_t now) {
    if (j->state != SRV_JOB_RUNNING || j->cancel || rate <= 0)
        return json_null();
    uint64_t from = j->last_done_ms > j->created_ms ? j->last_done_ms : j->created_ms;
    double left_ms = (double)from + (double)(j->n - j->done) * 1000.0 / rate - (double)now;
    return left_ms > 0 ? json_real(left_ms / 1000.0) : json_null();
}

static json_t *status_json(const srv_job_t *j) {
    const srv_t *s = j->srv;
    uint64_t end = !srv_job_over(j) ? srv_now(s) : j->finished_ms;
    double secs = (double)(end - j->created_ms) / 1000;
    double rate = secs > 0 ? (double)(j->done - j->done_before) / secs : 0;
    json_t *eta = eta_json(j, rate, end);
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/jobs/%s/results", j->id);
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:o, s:f, s:I, s:s, s:b}", "id", j->id, "state",
        srv_job_state_name(j), "total", (json_int_t)j->n, "done", (json_int_t)j->done, "ok",
        (json_int_t)j->ok, "failed", (json_int_t)j->failed, "pending", (json_int_t)(j->n - j->done),
        "rate", rate, "eta_s", eta, "elapsed_s", secs, "created", (json_int_t)j->created_unix,
        "results", loc, "durable", s->o.data_dir != NULL);
    /* The error may not be UTF-8 (srv_json_text): a database's message cut to the room of
     * j->error, an end mark read from a damaged disk; the status lost its "error". */
    if (o && j->error[0])
        json_object_set_new(o, "error", srv_json_text(j->error));
    /* a job that is over (but for an interrupted one) is shown again, never resumed */
    int resumes = !srv_job_over(j) || j->state == SRV_JOB_INTERRUPTED;
    if (o)
        json_object_set_new(o, "restart",
                            json_string(!s->o.data_dir ? "a restart loses this job and its records "
                                                         "(start the service with --db "
                                                         "sqlite:PATH or --data-dir to keep jobs)"
                                        : resumes      ? "kept on disk: a restart resumes it"
                                                       : "kept on disk: a restart shows it again"));
    return o;
}

static void reply_status(srv_req_t *r, srv_job_t *j, unsigned code) {
    json_t *o = status_json(j);
    /* 15 significant digits, a double's sure ones: jansson's default 17 wrote a job 4 ms old
     * as "elapsed_s":0.0040000000000000001 */
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(o);
    if (!text) {
        srv_reply_error(r, 503, "out of memory");
        return;
    }
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps leaves room only for the NUL: rewrite it, send n + 1 */
    int rc = srv_reply(r, code, "application/json", text, n + 1, 1);
    free(text);
    if (rc != 0)
        return;
    MHD_add_response_header(r->resp, "Cache-Control", "no-store");
    if (code == 202) {
        char loc[40];
        snprintf(loc, sizeof loc, "/v1/jobs/%s", j->id);
        MHD_add_response_header(r->resp, "Location", loc);
    }
}

/* A queued job ends without running: cancelled (kept so on disk), or interrupted by the
 * service's stop (left unfinished: the next restart queues it again). */
static void end_queued(srv_job_t *j, int state) {
    srv_t *s = j->srv;
    j->state = state;
    j->finished_ms = srv_now(s);
    s->jobs_queued--;
    if (state == SRV_JOB_CANCELLED) {
        s->m.jobs_cancelled++;
        srv_persist_end(j);
        srv_job_drop_list(j);
    }
    srv_jobdb_end_queued(j);
    notify(j); /* its results streams end */
}

static void cancel(srv_job_t *j) {
    if (j->state == SRV_JOB_QUEUED) {
        end_queued(j, j->srv->stopping && !j->deleted ? SRV_JOB_INTERRUPTED : SRV_JOB_CANCELLED);
        return;
    }
    if (j->state != SRV_JOB_RUNNING || j->cancel)
        return;
    j->cancel = 1;
    cafe_group_cancel(&j->fetchers);
}

/* A job the service's stop interrupted is unfinished on disk: the restart resumes it. A
 * DELETE of it after --shutdown-grace (on a connection still open while the service ends)
 * was answered 200, "interrupted", and the restart resumed the job the user had cancelled:
 * it is cancelled for good now, as a DELETE during the grace cancels it (its end written,
 * its database run ended so). */
static void cancel_interrupted(srv_job_t *j) {
    j->deleted = 1;
    j->state = SRV_JOB_CANCELLED;
    srv_persist_end(j);
    srv_job_drop_list(j);
    srv_jobdb_end_queued(j);
    notify(j);
}

/* A DELETE of a job that is over (done or cancelled): it said 200 and kept the job, whose
 * URLs and records stayed in memory and in --data-dir until --jobs-kept newer jobs pushed it
 * out, and the user who asked for them to go could not remove them. Forgotten now, its files
 * too; a results stream still reading it keeps its spool open to its end. */
static void forget(srv_t *s, srv_job_t *j) {
    for (srv_job_t **p = &s->jobs; *p; p = &(*p)->next) {
        if (*p == j) {
            *p = j->next;
            srv_persist_forget(j);
            srv_job_unref(j);
            return;
        }
    }
}

static srv_job_t *find(srv_t *s, const char *id, size_t len) {
    for (srv_job_t *j = s->jobs; j; j = j->next)
        if (len == 16 && memcmp(j->id, id, 16) == 0)
            return j;
    return NULL;
}

void srv_job_get(srv_req_t *r, const char *rest, const char *method) {
    const char *slash = strchr(rest, '/');
    srv_job_t *j = find(r->srv, rest, slash ? (size_t)(slash - rest) : strlen(rest));
    if (!j) {
        srv_reply_error(r, 404, "no such job");
        return;
    }
    if (r->route == SRV_R_RESULTS) {
        srv_results_start(r, j, method);
        return;
    }
    if (strcmp(method, "DELETE") == 0 && !srv_job_over(j)) {
        if (j->state == SRV_JOB_RUNNING && !j->deleted)
            srv_persist_cancel(j); /* before its answer: a crash after it keeps it */
        j->deleted = 1;
        cancel(j);
    } else if (strcmp(method, "DELETE") == 0 && j->state == SRV_JOB_INTERRUPTED) {
        cancel_interrupted(j);
    } else if (strcmp(method, "DELETE") == 0) {
        reply_status(r, j, 200); /* its last status */
        forget(r->srv, j);
        return;
    }
    reply_status(r, j, 200);
}

void srv_jobs_cancel_deleted(srv_t *s) {
    for (srv_job_t *j = s->jobs; j; j = j->next)
        if (j->state == SRV_JOB_QUEUED && j->deleted)
            cancel(j);
}

void srv_jobs_cancel_all(srv_t *s) {
    for (srv_job_t *j = s->jobs; j; j = j->next)
        cancel(j);
}

size_t srv_jobs_running(const srv_t *s) {
    return s->jobs_running + s->runs_ending;
}

void srv_jobs_free(srv_t *s) {
    while (s->jobs) {
        srv_job_t *j = s->jobs;
        s->jobs = j->next;
        srv_job_unref(j);
    }
}
