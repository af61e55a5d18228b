/* `cafe demo`: the guide's experiment on sites cafe starts itself on loopback. Each site
 * answers after a delay of 200-800 ms (seeded: the same URL, the same delay), like real
 * sites far away. First the guide's three URLs one by one, then concurrently; then 100 and
 * 1,000 URLs, with the sync time measured on a sample and extrapolated. */
#include "demo.h"
#include "fdwait.h"
#include "fetch.h"
#include "run.h"
#include "titles.h"
#include "fixture.h"
#include "msg.h"
#include "outbuf.h"
#include "termchar.h"
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEMO_SITES 50
#define DEMO_CONCURRENCY 200
/* The sites and their client live in this process: a URL in flight holds two descriptors
 * (the client's socket and the site's; curl's cache of connections is set to the URLs in
 * flight), plus one of margin as cafe titles counts it; the rest (stdio, libuv, curl, the
 * listeners) is reserved. Measured: no URL failed at 2 per URL from ulimit -n 100 to 1024. */
#define DEMO_FDS_RESERVED (32 + DEMO_SITES)
#define DEMO_FDS_PER_URL 3
/* Below this the concurrent run of three URLs could not overlap: the demo would show nothing */
#define DEMO_MIN_CONCURRENCY 3

typedef struct demo {
    cli_opts_t opts;
    fixture_t *fx;
    cafe_task_t *main; /* the task running the experiment, cancelled when its reader left */
    int concurrency;   /* URLs in flight at most: DEMO_CONCURRENCY, or what the fds allow */
    int werr;          /* the errno of a failed write of standard output, sticky */
    int ascii;         /* standard output is a terminal of an 8-bit locale: ASCII only */
} demo_t;

/* printf for the demo's output, flushed at once; 0, or -1 once standard output failed (then
 * nothing more is printed: the experiment stops, as cafe titles stops at a closed pipe). */
static int say(demo_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int say(demo_t *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    if (!d->werr && (vprintf(fmt, ap) < 0 || fflush(stdout) != 0))
        d->werr = errno ? errno : EIO;
    va_end(ap);
    return d->werr ? -1 : 0;
}

/* Between two lines the demo fetches for seconds: `cafe demo | head -1` waited for all of
 * them. A reader gone (the pipe's write end polls POLLERR) stops the experiment at once. */
static int watch_reader(void *arg, void **value) {
    demo_t *d = arg;
    while (cafe_task_sleep(100) == 0)
        if (fd_reader_gone(1)) {
            d->werr = EPIPE;
            cafe_task_cancel(d->main);
            break;
        }
    return 0;
}

static char *page_url(demo_t *d, int site, int page) {
    char buf[64];
    snprintf(buf, sizeof buf, "http://127.0.0.1:%d/page/%d", fixture_port(d->fx, site), page);
    return strdup(buf);
}

typedef struct demo_job {
    demo_t *d;
    record_t rec;
} demo_job_t;

static int fetch_one(void *arg, void **value) {
    demo_job_t *j = arg;
    return cli_fetch(&j->d->opts, &j->rec, NULL, NULL, NULL, NULL);
}

/* A record's line, its texts escaped as cafe titles' lines escape them (text_append_ascii):
 * on a terminal of an 8-bit locale the sites' em dashes were written in UTF-8, mojibake with
 * C1 controls (0x80, 0x94) in it. */
static void print_record(demo_t *d, const record_t *r) {
    int failed = r->error || r->status >= 400;
    outbuf_t o = {0};
    text_append_ascii(&o,
                      failed ? (r->error_msg ? r->error_msg : cafe_strerror(r->error))
                             : (r->title ? r->title : "None"),
                      d->ascii);
    outbuf_putc(&o, '\0');
    const char *text = o.oom ? "(out of memory)" : o.p;
    if (failed)
        (void)say(d, "Error fetching %s: %s\n", r->url ? r->url : "a page", text);
    else
        (void)say(d, "'%s' from %s\n", text, r->url);
    outbuf_free(&o);
}

/* Fetches n URLs (page `first + i` of site i % sites), one after another or all at once
 * (at most d->concurrency in flight); prints the records if `show`. Returns seconds.
 * Cancelled (the reader left), it still waits for the tasks it started, which then end at
 * once. */
static double run_batch(demo_t *d, int n, int first, int concurrent, int show) {
    demo_job_t *jobs = calloc((size_t)n, sizeof(*jobs));
    cafe_task_t **tasks = calloc((size_t)n, sizeof(*tasks));
    cafe_result_t *res = calloc((size_t)n, sizeof(*res));
    size_t spawned = 0;
    uint64_t t0 = cli_now_ms();
    for (int i = 0; jobs && tasks && res && i < n; i++) {
        jobs[i].d = d;
        jobs[i].rec.url = page_url(d, i % DEMO_SITES, first + i);
        if (!jobs[i].rec.url) /* out of memory: this one is reported, not fetched */
            record_fail(&jobs[i].rec, CAFE_ENOMEM, "out of memory");
        else if (!concurrent)
            fetch_one(&jobs[i], NULL);
        else if (cafe_task_spawn(&tasks[spawned], fetch_one, &jobs[i], NULL) == 0)
            spawned++;
        else
            record_fail(&jobs[i].rec, CAFE_ENOMEM, "out of memory");
    }
    /* gather, not a join each: a cancelled caller's join returns at once, and the jobs
     * below would be freed under tasks still running */
    if (spawned)
        (void)cafe_task_gather(tasks, spawned, res);
    double secs = (double)(cli_now_ms() - t0) / 1000.0;
    for (int i = 0; jobs && i < n; i++) {
        if (show)
            print_record(d, &jobs[i].rec);
        record_clear(&jobs[i].rec);
    }
    free(jobs);
    free(tasks);
    free(res);
    return secs;
}

/* The experiment's text and figures; stops where standard output failed. */
static void experiment(demo_t *d) {
    if (say(d, "cafe demo: %d local sites on 127.0.0.1, each answering after 200-800 ms\n\n",
            DEMO_SITES) ||
        say(d, "The slow, synchronous way (one URL at a time):\n"))
        return;
    double s = run_batch(d, 3, 0, 0, 1);
    if (say(d, "Sync version took %.2f seconds\n\n", s) ||
        say(d, "The fast, asynchronous way (cafe_task_spawn + gather):\n"))
        return;
    double a = run_batch(d, 3, 0, 1, 1);
    if (say(d, "Async version took %.2f seconds\n\n", a) ||
        say(d, "That's a %.1fx speedup for just three URLs. Imagine hundreds or thousands:\n\n",
            s / a))
        return;
    /* The sync column scales the three URLs timed above: the table says so, and no other
     * sample is fetched behind the reader's back. */
    double per_url = s / 3;
    /* The async column is as wide as its heading, whatever the concurrency's digits. */
    char head[40];
    int w = snprintf(head, sizeof head, "async (%d at once)", d->concurrency);
    static const char dashes[] = "----------------------------------------";
    if (say(d, "| URLs  | sync (the 3 above, scaled) | %s | speedup |\n", head) ||
        say(d, "|-------|----------------------------|%.*s|---------|\n", w + 2, dashes))
        return;
    static const int sizes[] = {100, 1000};
    for (size_t i = 0; i < 2; i++) {
        double as = run_batch(d, sizes[i], 1000 + (int)i * 10000, 1, 0);
        double ss = per_url * sizes[i];
        if (say(d, "| %5d | %24.1f s | %*.2f s | %6.0fx |\n", sizes[i], ss, w - 2, as, ss / as))
            return;
    }
    (void)say(d, "\nThe waits overlap on one event loop: one thread, one core, no thread per "
                 "URL.\n");
}

static int demo_main(void *arg, void **value) {
    demo_t *d = arg;
    fixture_opts_t fo = {.sites = DEMO_SITES, .delay_min_ms = 200, .delay_max_ms = 800, .seed = 42};
    int rc = fixture_start(&fo, &d->fx);
    if (rc != 0) {
        fprintf(stderr, "cafe demo: cannot start the local sites: %s\n", msg_strerror(rc));
        return rc;
    }
    /* Connections kept for reuse hold descriptors too: no more than the URLs in flight. */
    cafe_http_limits_t lim = {.max_transfers = (size_t)d->concurrency,
                              .max_connections = (size_t)d->concurrency};
    if ((rc = cafe_http_limits_set(NULL, &lim)) != 0) {
        fprintf(stderr, "cafe demo: cannot set the HTTP limits: %s\n", msg_strerror(rc));
        (void)fixture_stop(d->fx); /* the failure to report is the one above */
        return rc;
    }
    cafe_task_t *watcher;
    d->main = cafe_task_current();
    if (cafe_task_spawn(&watcher, watch_reader, d, NULL) != 0)
        watcher = NULL; /* the demo still stops at its next line */
    experiment(d);
    if (watcher) {
        cafe_task_cancel(watcher);
        (void)cafe_task_join(watcher, NULL); /* it only watches */
    }
    /* Cancelled by the watcher, this still stops and frees the sites: only its wait for
     * them is cut short. */
    rc = fixture_stop(d->fx);
    return d->werr ? 0 : rc;
}
static const cli_opt_t rows[] = {
    {CLI_OPT_HELP, "help", 'h', NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print this help", NULL},
    {CLI_OPT_VERSION, "version", 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print the version", NULL},
};

const cli_optab_t cli_demo_optab = {
    "demo",
    "demo\n",
    "The guide's experiment, sync vs async, on local sites it starts itself\n"
    "(no network).\n",
    NULL,
    rows,
    sizeof rows / sizeof rows[0],
    NULL,
};

/* Under a low `ulimit -n` (512, say) connects failed with EMFILE: the demo printed its table
 * anyway, a "speedup" of URLs that failed at once, without a word. As cafe titles does, the
 * soft limit is raised to the hard one and the concurrency lowered to fit, said on stderr;
 * below DEMO_MIN_CONCURRENCY it stops. Returns 0, or 2 after saying why. */
static int fit_fd_limit(demo_t *d) {
    unsigned long long limit = cli_fd_limit_raise();
    d->concurrency = DEMO_CONCURRENCY;
    if (limit == 0 || limit >= DEMO_FDS_RESERVED + DEMO_FDS_PER_URL * DEMO_CONCURRENCY)
        return 0;
    if (limit < DEMO_FDS_RESERVED + DEMO_FDS_PER_URL * DEMO_MIN_CONCURRENCY) {
        fprintf(stderr, "cafe demo: ulimit -n %llu is too low: the demo needs %d descriptors\n",
                limit, DEMO_FDS_RESERVED + DEMO_FDS_PER_URL * DEMO_MIN_CONCURRENCY);
        return 2;
    }
    d->concurrency = (int)((limit - DEMO_FDS_RESERVED) / DEMO_FDS_PER_URL);
    fprintf(stderr, "cafe demo: %d at once lowered to %d to fit ulimit -n %llu\n", DEMO_CONCURRENCY,
            d->concurrency, limit);
    return 0;
}

int cli_demo_main(int argc, char **argv) {
    size_t nargs;
    int rc = cli_optab_parse(&cli_demo_optab, NULL, argc, argv, 1, NULL, 0, &nargs, NULL);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    demo_t d;
    memset(&d, 0, sizeof d);
    d.ascii = isatty(STDOUT_FILENO) && term_locale_8bit();
    if (fit_fd_limit(&d) != 0)
        return 2;
    /* The defaults of cafe titles, but for what they take from the environment: the sites
     * are this process's own, on loopback, over plain HTTP. A proxy variable (http_proxy,
     * set for a whole desktop) sent every request to that proxy, which cannot reach them:
     * each URL failed and the table showed a "speedup" of failures, exit 0; a bad one, or a
     * CA variable naming no CA file, stopped the demo or warned in cafe titles' name. */
    char *args[] = {"titles", "--proxy", "", "--insecure", NULL};
    if (cli_opts_parse(&d.opts, 4, args) != 0) /* it said why */
        return 2;
    cafe_result_t r;
    rc = cafe_run(demo_main, &d, &r);
    if (rc != 0 && rc != CAFE_EDEADLK) /* no loop: demo_main never ran to say why */
        fprintf(stderr, "cafe demo: cannot start: %s\n", msg_strerror(rc));
    cli_opts_free(&d.opts);
    /* As cafe titles: a closed pipe is a quiet stop (ending by SIGPIPE), another write error
     * is said, status 2, the output being incomplete, and so is a demo that could not start
     * (1 is --fail's: some URL failed). */
    if (d.werr && d.werr != EPIPE)
        fprintf(stderr, "cafe demo: writing standard output: %s\n", strerror(d.werr));
    return d.werr ? msg_output_status(d.werr) : rc != 0 || r.status != 0 ? 2 : 0;
}
