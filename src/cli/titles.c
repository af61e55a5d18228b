/* `cafe titles`: a reader task turns lines into fetch tasks under the limits; each fetch
 * task hands its record to the writer; watchers turn Ctrl-C into an orderly stop. */
#include "titles.h"
#include "db.h"
#include "dbopts.h"
#include "fetch.h"
#include "input.h"
#include "msg.h"
#include "queue.h"
#include "run.h"
#include "signals.h"
#include "stream.h"
#include "text.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* The request of slot arg left the HTTP limits' queues: it is in flight. */
static void fetch_started(void *arg) {
    cli_slot_t *s = arg;
    s->started = 1;
    s->run->in_flight++;
    cli_ahead_check(&s->run->ahead);
}

/* Slot arg's request waits to try again (waiting 1), or that try went to curl (0). After a
 * stop (Ctrl-C with --drain, an output that failed) a URL between its tries waits for its
 * turn as one not started does: cancelled, no record, and --resume fetches it. A retry after
 * Ctrl-C (a Retry-After of a minute, slept and sent again) kept --drain going for minutes. */
static void fetch_retry(void *arg, int waiting) {
    cli_slot_t *s = arg;
    s->run->retrying += (uint64_t)(waiting && !s->retrying);
    s->run->retrying -= (uint64_t)(!waiting && s->retrying);
    s->retrying = waiting;
    if (waiting && s->run->stopping)
        cafe_task_cancel(cafe_task_current());
}

/* Cancels the fetches whose request has not started: those queued behind the limits or a
 * host's turn (a task that has not run yet sees `stopping` and does not fetch), and the
 * workers' queues; and those waiting between two tries. The tries in flight finish. Returns
 * how many were queued. */
static uint64_t stop_queued(cli_run_t *run) {
    if (run->workers)
        cli_workers_interrupt(run->workers, 1);
    uint64_t queued = 0;
    for (size_t i = 0; i < run->window; i++) {
        cli_slot_t *s = &run->slots[i];
        if (s->state != SLOT_BUSY || (s->started && !s->retrying))
            continue;
        queued += !s->started;
        if (s->task)
            cafe_task_cancel(s->task);
    }
    return queued;
}

/* The output failed (a closed pipe: `cafe titles list | head`, a full disk): no record can be
 * written any more, so nothing more is fetched. Nothing queued starts, not even the URLs a
 * polite host holds back, which could otherwise keep the run going for minutes; and what is in
 * flight is cancelled: fetched to its end, it held the run (and the shell's pipeline) for up
 * to its --timeout and retries for records that could only be dropped, and a Ctrl-C meanwhile
 * ended cafe at once, as a second one does, without a word about the output. None of them
 * gets a record: --resume fetches them. Once; from a task that is no slot's, or from a fetch
 * task whose slot is finished (it has no task any more). */
void cli_run_output_failed(cli_run_t *run) {
    if (run->queue_stopped)
        return;
    run->queue_stopped = 1;
    if (run->workers)
        cli_workers_interrupt(run->workers, 0);
    for (size_t i = 0; i < run->window; i++) {
        cli_slot_t *s = &run->slots[i];
        if (s->state == SLOT_BUSY && s->task)
            cafe_task_cancel(s->task);
    }
}

/* The record of slot s is finished (fetched: its fetch began): to the writer. */
static void fetch_finished(cli_slot_t *s, int fetched) {
    cli_run_t *run = s->run;
    uint64_t seq = s->rec.seq;
    run->in_flight -= s->started;
    s->waited = s->retrying || (run->workers && s->remote.waited);
    fetch_retry(s, 0); /* cancelled or failed while waiting to try again: it waits no more */
    /* Cut short by Ctrl-C, or never begun: no record, so that --resume fetches it again. */
    s->state =
        !fetched || (run->stopping && s->rec.error == CAFE_ECANCELED) ? SLOT_DROPPED : SLOT_DONE;
    cli_run_finish(run, seq);
    if (run->write_error)
        cli_run_output_failed(run);
    cli_ahead_check(&run->ahead); /* it may have left the queues without starting */
}

/* arg: its slot, which stays its own until it is finished (so no job to allocate). */
static int fetch_task(void *arg, void **value) {
    cli_slot_t *s = arg;
    cli_run_t *run = s->run;
    /* Politeness and -c are the HTTP client's limits (client_setup): a request waits for its
     * host's turn and a transfer slot inside cafe_http_request, and starts after that. A
     * task that first runs after Ctrl-C does not fetch at all. */
    int fetched = !run->stopping;
    run->ahead.unrun--;
    s->task = cafe_task_current();
    if (fetched)
        cli_fetch(run->o, &s->rec, fetch_started, fetch_retry, s, &run->titles);
    s->task = NULL;
    fetch_finished(s, fetched);
    return 0;
}

/* Waits until slot seq is free and, in ordered mode, inside the window, and the look-ahead
 * has room (with --threads, each worker keeps its own look-ahead: only the window counts
 * here). Every task parked ahead is a stack whose pages and cache lines go cold before its
 * turn: the look-ahead keeps them few (issue 11), the window only bounds the records held for
 * the output's order. */
static int wait_for_slot(cli_run_t *run, uint64_t seq) {
    for (;;) {
        int fits = run->o->unordered ? run->slots[seq % run->window].state == SLOT_FREE
                                     : seq - run->next_write < run->window;
        if (fits && (run->workers || cli_ahead_room(&run->ahead)))
            return 0;
        int rc;
        if (fits && run->ahead.unrun > 0) {
            /* Where the new tasks park (a slot, or their host's turn) is known once they ran:
             * they run before the reader does again, in the loop's next turn, so each batch's
             * requests go out before more tasks are spawned (at the start, -c / 4 a batch
             * until the -c slots are taken). */
            rc = cafe_task_yield();
        } else if (fits) {
            rc = cli_ahead_wait(&run->ahead);
        } else {
            cafe_event_clear(&run->progressed);
            rc = cafe_event_wait(&run->progressed);
        }
        if (rc != 0)
            return rc;
    }
}

/* --resume: does the output hold this line's record already? A URL is recorded normalised;
 * a bad line as input_line_shown makes it: that is what the resume reader gets back, so the same
 * key is looked up (else each resume would add its record again). Each record found stands
 * for one line: a line given twice and recorded once is fetched once more. */
static int recorded(cli_run_t *run, const char *url, size_t url_len, const char *line, size_t len,
                    int cut) {
    if (!run->o->resume)
        return 0;
    char *shown = url ? NULL : input_line_shown(line, len, cut);
    const char *key = url ? url : shown;
    size_t key_len = url ? url_len : shown ? strlen(shown) : 0;
    int has = key && keyset_take(&run->done_set, key, key_len);
    /* A failure the earlier run recorded is this run's too, as the whole run's would be */
    if (has && keyset_take(&run->failed_set, key, key_len))
        run->skipped_failed++;
    free(shown); /* out of memory: not known as done, so fetched; the sink's key decides */
    return has;
}

/* One input line to one slot: a fetch task, or an error record at once. A line already in
 * curl's form (most of a crawl list) is its own URL, copied into the slot's record store;
 * url_normalize makes the others. */
static int dispatch(cli_run_t *run, const char *line, size_t len, uint64_t ref, int too_long) {
    char *normal = NULL;
    const char *url = NULL, *why = "line too long";
    size_t url_len = 0;
    int bad = too_long ? CAFE_EINVAL : 0;
    if (!bad && url_canonical(line, len))
        url = line, url_len = len;
    else if (!bad && (bad = url_normalize(line, len, run->o->scheme, &normal, &why)) == 0)
        url = normal, url_len = strlen(normal);
    if (recorded(run, url, url_len, line, len, too_long)) {
        free(normal);
        run->skipped++;
        return 0;
    }
    uint64_t seq = run->next_seq;
    int rc = wait_for_slot(run, seq);
    if (rc != 0) {
        free(normal);
        return rc;
    }
    cli_slot_t *s = &run->slots[seq % run->window];
    s->rec = (record_t){.seq = seq, .skipped = run->skipped, .source_ref = ref, .store = s->spare};
    s->spare = (record_store_t){0};
    s->task = NULL;
    s->started = s->retrying = s->waited = 0;
    run->next_seq++;
    if (url && !(s->rec.url = normal ? normal : record_keep(&s->rec, url, url_len))) {
        bad = CAFE_ENOMEM;
        why = "out of memory";
    }
    if (bad) {
        /* Out of memory, the record goes out without its URL rather than not at all. */
        s->rec.url = input_line_shown(line, len, too_long);
        record_fail(&s->rec, bad, "invalid URL: %s", why);
        s->state = SLOT_DONE;
        cli_run_finish(run, seq);
        return 0;
    }
    s->state = SLOT_BUSY;
    s->run = run;
    if (run->workers) {
        cli_workers_post(run->workers, s);
        return 0;
    }
    if ((rc = cafe_group_spawn(&run->fetchers, fetch_task, s, NULL)) != 0) {
        record_fail(&s->rec, CAFE_ENOMEM, "out of memory");
        s->state = SLOT_DONE;
        cli_run_finish(run, seq);
        return 0;
    }
    run->ahead.unrun++;
    return 0;
}

/* Lines read at most between two turns of the loop. A regular file never makes the reader
 * wait, and a line that is no URL (or one --resume skips) is done at once: the reader ran to
 * the file's end without a turn, the writer never ran (every record held in memory, none
 * written before the end) and neither did Ctrl-C's handler or the progress line. */
#define READER_TURN 256

static int reader_task(void *arg, void **value) {
    cli_run_t *run = arg;
    const char *line;
    size_t len;
    uint64_t ref;
    int rc = 0;
    unsigned read = 0;
    while (!run->stopping && (rc = source_next(run->source, &line, &len, &ref)) > 0) {
        run->total_lines++;
        rc = dispatch(run, line, len, ref, rc == SOURCE_TOO_LONG);
        if (rc == 0 && ++read % READER_TURN == 0)
            rc = cafe_task_yield();
        if (rc != 0)
            return rc;
    }
    if (rc < 0 && rc != CAFE_ECANCELED) {
        cli_progress_erase(run); /* a line of its own, not the progress line's end */
        fprintf(stderr, "cafe titles: reading %s: %s\n", run->source->what,
                run->source->why[0] ? run->source->why : input_strerror(rc));
        run->input_error = 1;
    }
    return 0;
}

/* Ctrl-C: the first SIGINT/SIGTERM/SIGHUP stops starting URLs and cancels those in flight (unless
 * --drain) and those queued behind the limits; a second one exits at once, after the sink handed
 * over what it can without waiting (what it has not settled is fetched again by --resume). */
static void on_signal(void *arg, int signum, unsigned count) {
    cli_run_t *run = arg;
    if (run->stopping || count > 1) {
        sink_salvage(run->sink);
        _exit(stop_signals_exit(signum, 0));
    }
    run->stopping = 2; /* 2: interrupted by a signal */
    run->stop_signum = signum;
    sink_interrupt(run->sink);
    cafe_task_cancel(run->reader);
    source_abort(run->source);
    if (!run->o->drain) {
        if (run->workers)
            cli_workers_interrupt(run->workers, 0);
        cafe_group_cancel(&run->fetchers);
        return;
    }
    /* --drain: the tries in flight finish, the requests still queued or waiting to retry are
     * cancelled. The wait may be long: say what it is for. drained: the started ones, of
     * which the summary takes off those cancelled (run->dropped). */
    uint64_t flying = cli_run_in_flight(run), queued = stop_queued(run);
    run->drained = run->in_flight;
    if (run->o->quiet)
        return;
    cli_progress_erase(run);
    fprintf(stderr,
            "cafe titles: interrupted: letting %llu URL%s in flight finish, %llu queued not "
            "started (Ctrl-C again quits at once)\n",
            (unsigned long long)flying, flying == 1 ? "" : "s", (unsigned long long)queued);
}

/* The sink and the source get ready, in the run's loop: --resume's keys first (the sink
 * may repair a torn tail), then the sink opens, then the source connects. */
static int start_ends(cli_run_t *run) {
    sink_t *k = run->sink;
    k->failed_keys = &run->failed_set;
    long kept = run->o->resume ? sink_load_done(k, &run->done_set) : 0;
    if (kept < 0) { /* a sink's why is the whole message, its file named (sink.h) */
        if (k->why[0])
            fprintf(stderr, "cafe titles: %s\n", k->why);
        else
            fprintf(stderr, "cafe titles: %s: %s\n", k->what, msg_strerror((int)kept));
        return (int)kept;
    }
    int rc = sink_start(k);
    if (rc == -EPIPE && !run->o->db && !run->o->queue) {
        run->write_error = rc; /* CSV's header met a closed pipe: as a record's write would */
        return rc;
    }
    if (rc != 0) {
        if (k->why[0])
            fprintf(stderr, "cafe titles: %s\n", k->why);
        else
            fprintf(stderr, "cafe titles: cannot start %s: %s\n", k->what, msg_strerror(rc));
        return rc;
    }
    if ((rc = source_start(run->source)) != 0) /* it printed why */
        (void)sink_finish(k); /* nothing was written: a database ends its run as done */
    return rc;
}

/* --resolver and --dns-concurrency (its share of it) to the loop's resolver: c-ares'
 * "IP:PORT,..." list. */
static int dns_configure(const cli_opts_t *o, size_t threads) {
    char servers[4096];
    size_t len = 0;
    for (size_t i = 0; i < o->resolvers.n && len + 64 < sizeof servers; i++) {
        const char *r = o->resolvers.v[i];
        int bare6 = r[0] != '[' && strchr(r, ':') != strrchr(r, ':');
        len += (size_t)snprintf(servers + len, sizeof servers - len, bare6 ? "%s[%s]" : "%s%s",
                                i ? "," : "", r);
    }
    cafe_dns_opts_t d = {.max_queries = (o->dns_concurrency + threads - 1) / threads,
                         .servers = len ? servers : NULL};
    return cafe_dns_configure(NULL, &d);
}

/* The limits of the current loop's HTTP client and resolver: the run's, or with --threads
 * a worker's share (its part of -c; the rest divided by the threads; per host as given,
 * each host being one worker's). */
static int client_setup(void *arg, size_t share, size_t threads) {
    const cli_opts_t *o = ((cli_run_t *)arg)->o;
    cafe_http_limits_t lim = {.max_transfers = share,
                              .max_host_connections = o->per_host,
                              .max_connections = (o->max_connections + threads - 1) / threads,
                              .rate = o->rate / (double)threads,
                              .host_interval_ms = o->host_interval_ms,
                              /* The reader starts the window's URLs ahead of the slots, so
                               * the client knows which hosts have more to come. */
                              .close_one_off = 1};
    int rc = cafe_http_limits_set(NULL, &lim);
    if (rc == 0)
        rc = dns_configure(o, threads);
    if (rc != 0)
        fprintf(stderr, "cafe titles: cannot set the HTTP limits: %s\n", msg_strerror(rc));
    return rc;
}

/* --threads N: a host's URLs go to one thread, which fetches at most its share of -c at
 * once: a --per-host given above that share is never reached. Said at the start, as the -c
 * that went partly unused is said in the summary (progress.c); the default's cap is not
 * news (--help says it). The way out suggested is a -c the run can take: not past the
 * option's maximum nor what ulimit -n fits, with fewer threads when that is what it takes. */
static void per_host_note(const cli_opts_t *o) {
    size_t lo = o->concurrency / o->threads, hi = lo + (o->concurrency % o->threads != 0);
    if (o->quiet || !o->per_host_given || o->per_host <= lo)
        return;
    char cap[48], way[96];
    snprintf(cap, sizeof cap, lo == hi || o->per_host == hi ? "%zu" : "%zu or %zu", lo, hi);
    size_t threads = o->concurrency_max / o->per_host;
    if (threads == 0) /* only a higher ulimit -n reaches it */
        snprintf(way, sizeof way, "ulimit -n %llu fits -c %zu at most", o->fd_limit,
                 o->concurrency_max);
    else if (threads < o->threads)
        snprintf(way, sizeof way, "--threads %zu and -c %zu would allow %zu", threads,
                 o->per_host * threads, o->per_host);
    else
        snprintf(way, sizeof way, "-c %zu would allow %zu", o->per_host * o->threads, o->per_host);
    fprintf(stderr,
            "cafe titles: --per-host %zu is capped at %s: -c %zu is divided among %zu threads "
            "and a host's URLs go to one (%s)\n",
            o->per_host, cap, o->concurrency, o->threads, way);
}

/* --threads N: the workers that fetch; the main loop's client fetches nothing then. */
static int start_fetching(cli_run_t *run) {
    const cli_opts_t *o = run->o;
    if (o->threads <= 1)
        return client_setup(run, o->concurrency, 1);
    per_host_note(o);
    /* An idle origin keeps its worker for a minute (the longest a 429's Retry-After holds
     * a host back), or its --host-interval when longer. */
    cli_workers_conf_t conf = {.threads = o->threads,
                               .concurrency = o->concurrency,
                               .affinity_ms =
                                   o->host_interval_ms > 60000 ? o->host_interval_ms : 60000,
                               .setup = client_setup,
                               .started = fetch_started,
                               .finished = fetch_finished,
                               .o = o,
                               .ctx = run};
    int rc = cli_workers_start(&run->workers, &conf);
    if (rc != 0)
        fprintf(stderr, "cafe titles: cannot start %zu threads: %s\n", o->threads,
                msg_strerror(rc));
    return rc;
}

static int run_main(void *arg, void **value) {
    cli_run_t *run = arg;
    int rc;
    if (start_fetching(run) != 0) {
        run->setup_error = 1;
        return 0;
    }
    if (start_ends(run) != 0) {
        if (run->workers)
            cli_workers_stop(run->workers);
        run->setup_error = !run->write_error;
        return 0;
    }
    run->started_ms = cli_now_ms();
    stop_signals_t sigs;
    if ((rc = stop_signals_start(&sigs, on_signal, run)) != 0)
        fprintf(stderr, "cafe titles: cannot watch for Ctrl-C: %s\n", msg_strerror(rc));
    cafe_task_t *progress = NULL;
    if ((rc = cafe_task_spawn(&progress, cli_progress_task, run, NULL)) != 0)
        progress = NULL; /* no progress line: the run goes on */
    cafe_group_init(&run->fetchers, 0);
    rc = run->workers ? cafe_group_spawn(&run->fetchers, cli_workers_collect, run->workers, NULL)
                      : 0;
    if (rc == 0)
        rc = cafe_task_spawn(&run->reader, reader_task, run, NULL);
    if (rc == 0)
        (void)cafe_task_join(run->reader, NULL); /* it reports its own failures */
    else {
        fprintf(stderr, "cafe titles: cannot start the reader: %s\n", msg_strerror(rc));
        run->input_error = 1;
    }
    run->reader = NULL;
    if (run->workers)
        cli_workers_close(run->workers);
    (void)cafe_group_wait(&run->fetchers); /* each fetch ends in a record, never in an error */
    if (run->workers) {
        run->threads_used = cli_workers_underused(run->workers);
        cli_workers_stop(run->workers);
    }
    cli_fetch_pool_free(&run->titles);
    run->sink->interrupted = run->stopping == 2;
    cli_run_flush_all(run);
    source_finish(run->source);
    if (progress) {
        cafe_task_cancel(progress);
        (void)cafe_task_join(progress, NULL); /* it only draws */
    }
    stop_signals_end(&sigs);
    return 0;
}

/* Each URL in flight may hold a socket and, while curl resolves a name, a socketpair; the
 * rest is the process's own (stdio, files, libuv). Beyond the descriptor limit connects fail
 * with EMFILE, which curl reports as "couldn't connect": so raise the soft limit to the hard
 * one, and lower -c to what fits rather than fail URLs. */
#define FDS_PER_URL 3
#define FDS_RESERVED 32
/* A --threads worker's own: its loop's epoll, eventfd and signal pipe, its curl multi's
 * wake-up socketpair (measured). Left out, -c fitted the limit and the workers' 6 each went
 * past it: at ulimit -n 1024, --threads 160 -c 300 failed a third of the URLs with
 * "Couldn't connect to server". */
#define FDS_PER_THREAD 6

/* Below the process's own and one URL's, a run cannot be made: libuv aborted without a
 * word when it could not make its signal pipe, the loop could not start (status 2 and no
 * message), or every connect failed with EMFILE as if the network were down. Returns 0, or
 * 2 after saying so. */
unsigned long long cli_fd_limit_raise(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit raised = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised; /* refused (a container's cap): the soft limit stays */
    }
    return rl.rlim_cur == RLIM_INFINITY ? 0 : (unsigned long long)rl.rlim_cur;
}

/* The most URLs at once that ulimit -n `limit` fits with --threads `threads`: each URL's
 * descriptors, the process's own and each worker's. Workers are at most as many as URLs at
 * once (each has one in flight at least), so under the threads asked for, fewer URLs with a
 * worker each may be what fits best. 0: not even one URL. */
static size_t fd_fit(unsigned long long limit, size_t threads) {
    if (limit < FDS_RESERVED + FDS_PER_URL)
        return 0;
    unsigned long long room = limit - FDS_RESERVED,
                       workers = FDS_PER_THREAD * (unsigned long long)threads;
    if (threads <= 1)
        return (size_t)(room / FDS_PER_URL);
    if (room >= workers + FDS_PER_URL * (unsigned long long)threads)
        return (size_t)((room - workers) / FDS_PER_URL);
    return (size_t)(room / (FDS_PER_URL + FDS_PER_THREAD));
}

static int fit_fd_limit(cli_opts_t *o) {
    unsigned long long limit = cli_fd_limit_raise();
    size_t fit = limit ? fd_fit(limit, o->threads) : 0;
    o->fd_limit = limit;
    o->concurrency_max = (size_t)cli_optab_find(&cli_titles_optab, "concurrency")->max;
    if (limit != 0 && fit < o->concurrency_max)
        o->concurrency_max = fit;
    if (limit == 0 || fit >= o->concurrency)
        return 0;
    if (fit == 0) {
        fprintf(stderr,
                "cafe titles: ulimit -n %llu is too low: one URL at a time needs %d "
                "descriptors\n",
                limit, FDS_RESERVED + FDS_PER_URL + (o->threads > 1 ? FDS_PER_THREAD : 0));
        return 2;
    }
    if (!o->quiet)
        fprintf(stderr, "cafe titles: -c %zu lowered to %zu to fit ulimit -n %llu\n",
                o->concurrency, fit, limit);
    o->concurrency = fit;
    /* Idle connections kept for reuse need descriptors too: no more than the URLs in flight. */
    o->max_connections = fit;
    return 0;
}

/* The run's source and sink: the queue's pair, or the URL file and a database or the
 * formatted stream. */
static int open_ends(cli_run_t *run, const cli_opts_t *o) {
    if (o->queue) {
        queue_worker_opts_t q = {.url = o->queue,
                                 .lease_ms = o->lease_ms,
                                 .concurrency = o->concurrency,
                                 .follow = o->follow,
                                 .quiet = o->quiet,
                                 .prog = "cafe titles"};
        return queue_worker_open(&run->source, &run->sink, &q);
    }
    const char *failed;
    int rc =
        source_inputs_open(&run->source, o->urls.v, o->urls.n, o->inputs.v, o->inputs.n, &failed);
    if (rc != 0) {
        fprintf(stderr, "cafe titles: cannot read %s: %s", failed ? msg_file(failed) : "the input",
                input_strerror(rc));
        /* `cafe titles https://...`, as lychee takes URLs: how to give one */
        if (failed && rc == -ENOENT && strstr(failed, "://"))
            fprintf(stderr, " (a URL? give it with -u: cafe titles -u %s)", msg_quote(failed));
        fputc('\n', stderr);
        return 2;
    }
    if (o->db) {
        char *options = cli_db_options(o->argc, o->argv);
        rc = options ? sink_db_sink_open(&run->sink, o->db, options, o->resume) : CAFE_ENOMEM;
        free(options);
    } else {
        rc = sink_stream_open(&run->sink, o->output, o->fmt, o->resume);
    }
    if (rc != 0) {
        fprintf(stderr, "cafe titles: out of memory\n");
        return 2;
    }
    return 0;
}

/* The input among o's that is the regular file `out` (by device and inode, so through any
 * link): "-" for standard input's; NULL when none. */
static const char *input_named(const cli_opts_t *o, const struct stat *out) {
    struct stat in;
    if (!S_ISREG(out->st_mode))
        return NULL;
    for (size_t i = 0; i < o->inputs.n; i++) {
        const char *p = o->inputs.v[i];
        int have_in = strcmp(p, "-") == 0 ? fstat(0, &in) == 0 : stat(p, &in) == 0;
        if (have_in && in.st_dev == out->st_dev && in.st_ino == out->st_ino)
            return p;
    }
    return NULL;
}

/* Refuses an output that is an input. -o naming one (or the file standard input reads):
 * opening it for writing would empty it before a line is read. Standard output appending
 * to one (`cafe titles list >> list`, which cat refuses too): the records were read back as
 * URLs, records of records, growing for as long as the reader kept finding new lines.
 * 0, or 2 after the message. */
static int output_is_input(const cli_opts_t *o) {
    struct stat out;
    if (o->queue || o->db)
        return 0;
    if (o->output) {
        if (stat(o->output, &out) != 0 || !input_named(o, &out))
            return 0;
        fprintf(stderr, "cafe titles: -o %s is an input file: it would be overwritten\n",
                msg_quote(o->output));
        return 2;
    }
    const char *in = fstat(1, &out) == 0 ? input_named(o, &out) : NULL;
    if (!in)
        return 0;
    fprintf(stderr,
            "cafe titles: standard output is %s, an input: its records would be read back "
            "as URLs\n",
            msg_file(in));
    return 2;
}

static int prepare(cli_run_t *run, cli_opts_t *o) {
    memset(run, 0, sizeof(*run));
    run->o = o;
    if (output_is_input(o) != 0)
        return 2;
    if (fit_fd_limit(o) != 0)
        return 2;
    if (cli_fetch_count_stops() != 0) {
        fprintf(stderr, "cafe titles: cannot watch SIGCONT: %s\n", strerror(errno));
        return 2;
    }
    if (open_ends(run, o) != 0)
        return 2;
    run->sink->listener = (sink_listener_t){.ctx = run,
                                            .settled = cli_run_settled,
                                            .before_write = cli_run_before_write,
                                            .failed = cli_run_failed};
    /* The window: how many finished records may wait behind the oldest unfinished one. */
    run->window = o->concurrency * 16 < 1024 ? 1024 : o->concurrency * 16;
    cli_ahead_init(&run->ahead, o->concurrency);
    run->slots = calloc(run->window, sizeof(*run->slots));
    if (!run->slots)
        return 2;
    cafe_event_init(&run->progressed);
    return 0;
}

static void cleanup(cli_run_t *run) {
    sink_close(run->sink);
    source_close(run->source);
    for (size_t i = 0; run->slots && i < run->window; i++)
        free(run->slots[i].spare.p);
    free(run->slots);
    keyset_free(&run->done_set);
    keyset_free(&run->failed_set);
}

/* A write error that is part of the signal's stop, not a failed output: a pipe closed after the
 * interrupt (`cafe titles list | jq`: Ctrl-C killed jq too), or the terminal written to hung
 * up (SIGHUP: an ssh session dropped; its writes then fail with EIO). Exiting 2 as after a
 * failed output, cafe made bash take the signal as handled and go on with its loop, and hid a
 * hang-up (whose unwritten records --resume fetches) behind what looked like a broken disk.
 * The hung-up terminal is known by being a character device: isatty no longer says so. */
static int stopped_writing(const cli_run_t *run, const cli_opts_t *o, int werr) {
    struct stat sb;
    if (run->stopping != 2)
        return 0;
    if (werr == EPIPE || werr == EINTR) /* EINTR: an output that took nothing since (stream.c) */
        return 1;
    return werr == EIO && run->stop_signum == SIGHUP && !o->db &&
           (o->output ? stat(o->output, &sb) : fstat(STDOUT_FILENO, &sb)) == 0 &&
           S_ISCHR(sb.st_mode);
}

int cli_titles_main(int argc, char **argv) {
    cli_opts_t o;
    int rc = cli_opts_parse(&o, argc, argv);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    cli_run_t run;
    rc = prepare(&run, &o);
    if (rc == 0) {
        int run_rc = cafe_run(run_main, &run, NULL);
        /* No loop (out of descriptors or memory): run_main never ran to say why. A deadlock
         * (CAFE_EDEADLK) the runtime has reported itself. */
        if (run_rc != 0 && run_rc != CAFE_EDEADLK)
            fprintf(stderr, "cafe titles: cannot start: %s\n", msg_strerror(run_rc));
        rc = run_rc == 0 && !run.setup_error ? 0 : 2;
    }
    int werr = -run.write_error;
    int stop_werr = stopped_writing(&run, &o, werr);
    if (werr && werr != EPIPE && !stop_werr)
        fprintf(stderr, "cafe titles: writing %s: %s\n", run.sink->what,
                run.sink->why[0] ? run.sink->why : strerror(werr));
    /* After a write error the message above says what happened; a summary of a run that
     * could not write ("0 URLs in 0.00 s: 0 ok") would only contradict it. So would one after
     * a list that could not be read from its start (a UTF-16 file, a directory). */
    int unread = run.input_error && run.written == 0 && run.skipped == 0;
    if (rc == 0 && !o.quiet && !werr && !unread)
        cli_summary(&run, run.stopping == 2);
    /* Any write error but the signal's own (stopped_writing) says the output failed; a reader
     * gone (EPIPE) ends cafe by SIGPIPE in main (MSG_READER_GONE). */
    int code = rc                                              ? rc
               : werr && !stop_werr                            ? msg_output_status(werr)
               : run.stopping == 2                             ? 128 + run.stop_signum
               : run.input_error                               ? 2
               : o.fail && run.failed + run.skipped_failed > 0 ? 1
                                                               : 0;
    cleanup(&run);
    cli_opts_free(&o);
    /* Stopped by a signal with every finished record written: die of it, as Unix tools do
     * once they have cleaned up, so that a shell loop running cafe stops on Ctrl-C too. */
    if (code == 128 + run.stop_signum && run.stopping == 2 && fflush(stdout) == 0)
        code = stop_signals_exit(run.stop_signum, 1);
    return code;
}
