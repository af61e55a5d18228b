/* `cafe titles`: a reader task turns lines into fetch tasks under the limits; each fetch
 * task hands its record to the writer; watchers turn Ctrl-C into an orderly stop. */
#include "titles.h"
#include "dbsink.h"
#include "fetch.h"
#include "run.h"
#include "text.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct fetch_job {
    cli_run_t *run;
    uint64_t seq;
} fetch_job_t;

static int fetch_task(void *arg, void **value) {
    fetch_job_t job = *(fetch_job_t *)arg;
    free(arg);
    cli_run_t *run = job.run;
    cli_slot_t *s = &run->slots[job.seq % run->window];
    /* Politeness and -c are the HTTP client's limits (run_main): a request waits for its
     * host's turn and a transfer slot inside cafe_http_request. */
    run->in_flight++;
    cli_fetch(run->o, &s->rec);
    run->in_flight--;
    /* Cut short by Ctrl-C: no record, so that --resume fetches it again. */
    s->state = run->stopping && s->rec.error == CAFE_ECANCELED ? SLOT_DROPPED : SLOT_DONE;
    cli_run_finish(run, job.seq);
    return 0;
}

/* Waits until slot seq is free and, in ordered mode, inside the window. */
static int wait_for_slot(cli_run_t *run, uint64_t seq) {
    for (;;) {
        int fits = run->o->unordered ? run->slots[seq % run->window].state == SLOT_FREE
                                     : seq - run->next_write < run->window;
        if (fits)
            return 0;
        cafe_event_clear(&run->progressed);
        int rc = cafe_event_wait(&run->progressed);
        if (rc != 0)
            return rc;
    }
}

/* --resume: does the output hold this line's record already? A URL is recorded normalised;
 * a bad line as its text up to any NUL, made valid UTF-8: that is what the resume reader
 * gets back, so the same key is looked up (else each resume would add its record again). */
static int recorded(cli_run_t *run, const char *url, const char *line, size_t len) {
    if (!run->o->resume)
        return 0;
    if (url)
        return cli_urlset_has(&run->done_set, url, strlen(url));
    char *raw = strndup(line, len);
    char *key = raw ? cli_utf8_sanitize(raw, strlen(raw)) : NULL;
    int has = key && cli_urlset_has(&run->done_set, key, strlen(key));
    free(key);
    free(raw);
    return has;
}

/* One input line to one slot: a fetch task, or an error record at once. */
static int dispatch(cli_run_t *run, const char *line, size_t len, int too_long) {
    char *url = NULL;
    const char *why = "line too long";
    int bad = too_long ? CAFE_EINVAL : cli_url_normalize(line, len, run->o->scheme, &url, &why);
    if (recorded(run, url, line, len)) {
        free(url);
        run->skipped++;
        return 0;
    }
    uint64_t seq = run->next_seq;
    int rc = wait_for_slot(run, seq);
    if (rc != 0) {
        free(url);
        return rc;
    }
    cli_slot_t *s = &run->slots[seq % run->window];
    memset(&s->rec, 0, sizeof(s->rec));
    s->rec.seq = seq;
    run->next_seq++;
    if (bad) {
        s->rec.url = strndup(line, len);
        cli_record_fail(&s->rec, bad, "invalid URL: %s", why);
        s->state = SLOT_DONE;
        cli_run_finish(run, seq);
        return 0;
    }
    s->rec.url = url;
    s->state = SLOT_BUSY;
    fetch_job_t *job = malloc(sizeof(*job));
    if (job) {
        *job = (fetch_job_t){run, seq};
        rc = cafe_group_spawn(&run->fetchers, fetch_task, job, NULL);
    }
    if (!job || rc != 0) {
        free(job);
        cli_record_fail(&s->rec, CAFE_ENOMEM, "out of memory");
        s->state = SLOT_DONE;
        cli_run_finish(run, seq);
        return 0;
    }
    return 0;
}

static int reader_task(void *arg, void **value) {
    cli_run_t *run = arg;
    const char *line;
    size_t len;
    uint64_t lineno;
    int rc;
    while (!run->stopping &&
           (rc = run->queue ? cli_queue_next(run->queue, run, &line, &len)
                            : cli_input_next(run->in, &line, &len, &lineno)) > 0) {
        run->total_lines++;
        rc = dispatch(run, line, len, rc == CLI_INPUT_TOO_LONG);
        if (rc != 0)
            return rc;
    }
    if (rc < 0 && rc != CAFE_ECANCELED) {
        fprintf(stderr, "cafe titles: reading %s: %s\n", run->queue ? "the queue" : run->o->input,
                cafe_strerror(rc));
        run->input_error = 1;
    }
    return 0;
}

/* Signal watchers: the first SIGINT/SIGTERM stops starting URLs and cancels those in flight
 * (unless --drain); a second one exits at once (every finished record is already on disk,
 * since each is flushed when written). */
typedef struct watch {
    cli_run_t *run;
    int signum;
} watch_t;

static int watch_task(void *arg, void **value) {
    watch_t *w = arg;
    cafe_signal_t sig;
    if (cafe_signal_open(&sig, w->signum) != 0)
        return 0;
    int n;
    while ((n = cafe_signal_wait(&sig)) > 0) {
        cli_run_t *run = w->run;
        if (run->stopping || n > 1) {
            cli_run_flush(run);
            fflush(run->out);
            _exit(130);
        }
        run->stopping = 2; /* 2: interrupted by a signal */
        cafe_task_cancel(run->reader);
        cli_input_abort(run->in);
        if (!run->o->drain)
            cafe_group_cancel(&run->fetchers);
    }
    cafe_signal_close(&sig);
    return 0;
}

/* Commits what is left and ends the database's run; a failure is said here, with the
 * database's own words. */
static void close_db(cli_run_t *run) {
    const char *why;
    if (run->db && sink_db_close(run->db, run->stopping == 2 ? "interrupted" : "done", &why)) {
        fprintf(stderr, "cafe titles: %s (what committed is kept: --resume continues)\n", why);
        run->db_failed = 1;
    }
    run->db = NULL;
}

/* --resolver and --dns-concurrency to the loop's resolver: c-ares' "IP:PORT,..." list. */
static int dns_configure(const cli_opts_t *o) {
    char servers[4096];
    size_t len = 0;
    for (size_t i = 0; i < o->resolvers.n && len + 64 < sizeof servers; i++) {
        const char *r = o->resolvers.v[i];
        int bare6 = r[0] != '[' && strchr(r, ':') != strrchr(r, ':');
        len += (size_t)snprintf(servers + len, sizeof servers - len, bare6 ? "%s[%s]" : "%s%s",
                                i ? "," : "", r);
    }
    cafe_dns_opts_t d = {.max_queries = o->dns_concurrency, .servers = len ? servers : NULL};
    return cafe_dns_configure(NULL, &d);
}

static int run_main(void *arg, void **value) {
    cli_run_t *run = arg;
    cafe_http_limits_t lim = {.max_transfers = run->o->concurrency,
                              .max_host_connections = run->o->per_host,
                              .max_connections = run->o->max_connections,
                              .rate = run->o->rate,
                              .host_interval_ms = run->o->host_interval_ms};
    int lrc = cafe_http_limits_set(NULL, &lim);
    if (lrc == 0)
        lrc = dns_configure(run->o);
    if (lrc != 0) {
        fprintf(stderr, "cafe titles: cannot set the HTTP limits: %s\n", cafe_strerror(lrc));
        run->input_error = 1;
        return 0;
    }
    /* The database is checked before anything is fetched. */
    if (run->o->db && cli_db_open(&run->db, run->o->db, run->o->resume, run->o->argc, run->o->argv,
                                  &run->done_set) != 0) {
        run->db_failed = 1;
        return 0;
    }
    run->started_ms = cli_now_ms();
    watch_t wi = {run, SIGINT}, wt = {run, SIGTERM};
    cafe_task_t *wint, *wterm, *progress;
    cafe_task_spawn(&wint, watch_task, &wi, NULL);
    cafe_task_spawn(&wterm, watch_task, &wt, NULL);
    cafe_task_spawn(&progress, cli_progress_task, run, NULL);
    if (cafe_task_spawn(&run->flusher, cli_run_flusher_task, run, NULL) != 0)
        run->flusher = NULL; /* each record is then written as it comes (writer.c) */
    cafe_group_init(&run->fetchers, 0);
    int rc = cafe_task_spawn(&run->reader, reader_task, run, NULL);
    if (rc == 0)
        cafe_task_join(run->reader, NULL);
    run->reader = NULL;
    cafe_group_wait(&run->fetchers);
    cli_run_flush_all(run);
    if (run->queue)
        cli_queue_finish(run->queue);
    close_db(run);
    cafe_task_cancel(wint);
    cafe_task_cancel(wterm);
    cafe_task_cancel(progress);
    if (run->flusher) {
        cafe_task_cancel(run->flusher);
        cafe_task_join(run->flusher, NULL);
    }
    cafe_task_join(wint, NULL);
    cafe_task_join(wterm, NULL);
    cafe_task_join(progress, NULL);
    return 0;
}

static FILE *open_output(const cli_opts_t *o) {
    if (!o->output)
        return stdout;
    FILE *f = fopen(o->output, o->resume ? "a" : "w");
    if (!f)
        fprintf(stderr, "cafe titles: cannot open %s: %s\n", o->output, strerror(errno));
    return f;
}

/* Each URL in flight may hold a socket and, while curl resolves a name, a socketpair; the
 * rest is the process's own (stdio, files, libuv). Beyond the descriptor limit connects fail
 * with EMFILE, which curl reports as "couldn't connect": so raise the soft limit to the hard
 * one, and lower -c to what fits rather than fail URLs. */
#define FDS_PER_URL 3
#define FDS_RESERVED 32

static void fit_fd_limit(cli_opts_t *o) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= FDS_RESERVED + FDS_PER_URL * o->concurrency)
        return;
    size_t fit = rl.rlim_cur > FDS_RESERVED + FDS_PER_URL
                     ? (size_t)(rl.rlim_cur - FDS_RESERVED) / FDS_PER_URL
                     : 1;
    if (!o->quiet)
        fprintf(stderr, "cafe titles: -c %zu lowered to %zu to fit ulimit -n %llu\n",
                o->concurrency, fit, (unsigned long long)rl.rlim_cur);
    o->concurrency = fit;
    /* Idle connections kept for reuse need descriptors too: no more than the URLs in flight. */
    o->max_connections = fit;
}

static int prepare(cli_run_t *run, cli_opts_t *o) {
    memset(run, 0, sizeof(*run));
    run->o = o;
    fit_fd_limit(o);
    if (o->resume && !o->db) {
        const char *why = NULL;
        long kept = cli_resume_load(o->output, o->fmt, &run->done_set, &why);
        if (kept < 0) {
            fprintf(stderr, "cafe titles: %s: %s: %s\n", o->output, why, cafe_strerror((int)kept));
            return 2;
        }
    }
    if (o->queue && cli_queue_open(&run->queue, o) != 0)
        return 2;
    int rc = o->queue ? 0 : cli_input_open(&run->in, o->input);
    if (rc != 0) {
        fprintf(stderr, "cafe titles: cannot read %s: %s\n", o->input, cafe_strerror(rc));
        return 2;
    }
    if (!(run->out = open_output(o)))
        return 2;
    if (!(run->pending = open_memstream(&run->pending_buf, &run->pending_len)))
        return 2;
    /* The window: how many finished records may wait behind the oldest unfinished one. */
    run->window = o->concurrency * 16 < 1024 ? 1024 : o->concurrency * 16;
    run->slots = calloc(run->window, sizeof(*run->slots));
    if (!run->slots)
        return 2;
    cafe_event_init(&run->progressed);
    cafe_event_init(&run->flush_due);
    if (ftell(run->out) <= 0 && cli_output_header(run->out, o->fmt) != 0)
        run->write_error = errno ? errno : EIO;
    return 0;
}

static void cleanup(cli_run_t *run) {
    cli_input_close(run->in);
    cli_queue_close(run->queue);
    if (run->out && run->out != stdout)
        fclose(run->out);
    if (run->pending)
        fclose(run->pending);
    free(run->pending_buf);
    free(run->slots);
    cli_urlset_free(&run->done_set);
}

int cli_titles_main(int argc, char **argv) {
    cli_opts_t o;
    int rc = cli_opts_parse(&o, argc, argv);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    cli_run_t run;
    rc = prepare(&run, &o);
    if (rc == 0 && !run.write_error)
        rc = cafe_run(run_main, &run, NULL) == 0 ? 0 : 2;
    if (rc == 0 && run.out == stdout && fflush(stdout) != 0)
        run.write_error = errno;
    if (run.write_error && run.write_error != EPIPE && !o.db)
        fprintf(stderr, "cafe titles: writing %s: %s\n",
                o.queue    ? "to the queue"
                : o.output ? o.output
                           : "standard output",
                strerror(run.write_error));
    if (rc == 0 && !o.quiet && run.write_error != EPIPE && !(run.db_failed && !run.started_ms))
        cli_summary(&run, run.stopping == 2);
    int code = rc                         ? rc
               : run.db_failed            ? 2
               : run.write_error          ? 2
               : run.stopping == 2        ? 130
               : run.input_error          ? 2
               : o.fail && run.failed > 0 ? 1
                                          : 0;
    cleanup(&run);
    return code;
}
