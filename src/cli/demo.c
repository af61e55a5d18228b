/* `cafe demo`: the guide's experiment on sites cafe starts itself on loopback. Each site
 * answers after a delay of 200-800 ms (seeded: the same URL, the same delay), like real
 * sites far away. First the guide's three URLs one by one, then concurrently; then 100 and
 * 1,000 URLs, with the sync time measured on a sample and extrapolated. */
#include "demo.h"
#include "fetch.h"
#include "run.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_SITES 50
#define DEMO_CONCURRENCY 200

typedef struct demo {
    cli_opts_t opts;
    fixture_t *fx;
} demo_t;

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
    return cli_fetch(&j->d->opts, &j->rec, NULL, NULL, NULL);
}

static void print_record(const record_t *r) {
    if (r->error || r->status >= 400)
        printf("Error fetching %s: %s\n", r->url ? r->url : "a page",
               r->error_msg ? r->error_msg : cafe_strerror(r->error));
    else
        printf("'%s' from %s\n", r->title ? r->title : "None", r->url);
}

/* Fetches n URLs (page `first + i` of site i % sites), one after another or all at once
 * (at most DEMO_CONCURRENCY in flight); prints the records if `show`. Returns seconds. */
static double run_batch(demo_t *d, int n, int first, int concurrent, int show) {
    demo_job_t *jobs = calloc((size_t)n, sizeof(*jobs));
    cafe_task_t **tasks = calloc((size_t)n, sizeof(*tasks));
    cafe_result_t *res = calloc((size_t)n, sizeof(*res));
    uint64_t t0 = cli_now_ms();
    for (int i = 0; jobs && tasks && res && i < n; i++) {
        jobs[i].d = d;
        jobs[i].rec.url = page_url(d, i % DEMO_SITES, first + i);
        if (!jobs[i].rec.url) /* out of memory: this one is reported, not fetched */
            record_fail(&jobs[i].rec, CAFE_ENOMEM, "out of memory");
        else if (!concurrent)
            fetch_one(&jobs[i], NULL);
        else if (cafe_task_spawn(&tasks[i], fetch_one, &jobs[i], NULL) != 0)
            tasks[i] = NULL;
    }
    if (concurrent && tasks && res)
        for (int i = 0; i < n; i++) /* gather, in input order */
            if (tasks[i])
                cafe_task_join(tasks[i], &res[i]);
    double secs = (double)(cli_now_ms() - t0) / 1000.0;
    for (int i = 0; jobs && i < n; i++) {
        if (show)
            print_record(&jobs[i].rec);
        record_clear(&jobs[i].rec);
    }
    free(jobs);
    free(tasks);
    free(res);
    return secs;
}

static int demo_main(void *arg, void **value) {
    demo_t *d = arg;
    fixture_opts_t fo = {.sites = DEMO_SITES, .delay_min_ms = 200, .delay_max_ms = 800, .seed = 42};
    int rc = fixture_start(&fo, &d->fx);
    if (rc != 0) {
        fprintf(stderr, "cafe demo: cannot start the local sites: %s\n", cafe_strerror(rc));
        return rc;
    }
    cafe_http_limits_t lim = {.max_transfers = DEMO_CONCURRENCY};
    if ((rc = cafe_http_limits_set(NULL, &lim)) != 0) {
        fprintf(stderr, "cafe demo: cannot set the HTTP limits: %s\n", cafe_strerror(rc));
        (void)fixture_stop(d->fx); /* the failure to report is the one above */
        return rc;
    }
    printf("cafe demo: %d local sites on 127.0.0.1, each answering after 200-800 ms\n\n",
           DEMO_SITES);
    printf("The slow, synchronous way (one URL at a time):\n");
    double s = run_batch(d, 3, 0, 0, 1);
    printf("Sync version took %.2f seconds\n\n", s);
    printf("The fast, asynchronous way (cafe_task_spawn + gather):\n");
    double a = run_batch(d, 3, 0, 1, 1);
    printf("Async version took %.2f seconds\n\n", a);
    printf("That's a %.1fx speedup for just three URLs. Imagine hundreds or thousands:\n\n", s / a);
    /* The sync column scales the three URLs timed above: the table says so, and no other
     * sample is fetched behind the reader's back. */
    double per_url = s / 3;
    /* The async column is as wide as its heading, whatever the concurrency's digits. */
    char head[40];
    int w = snprintf(head, sizeof head, "async (%d at once)", DEMO_CONCURRENCY);
    static const char dashes[] = "----------------------------------------";
    printf("| URLs  | sync (the 3 above, scaled) | %s | speedup |\n", head);
    printf("|-------|----------------------------|%.*s|---------|\n", w + 2, dashes);
    static const int sizes[] = {100, 1000};
    for (size_t i = 0; i < 2; i++) {
        double as = run_batch(d, sizes[i], 1000 + (int)i * 10000, 1, 0);
        double ss = per_url * sizes[i];
        printf("| %5d | %24.1f s | %*.2f s | %6.0fx |\n", sizes[i], ss, w - 2, as, ss / as);
    }
    printf("\nThe waits overlap on one event loop: one thread, one core, no thread per URL.\n");
    return fixture_stop(d->fx);
}

static const cli_opt_t rows[] = {
    {CLI_OPT_HELP, "help", 'h', NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print this help", NULL},
    {CLI_OPT_VERSION, "version", 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL, "print the version", NULL},
};

const cli_optab_t cli_demo_optab = {
    "demo",
    "demo\n",
    "The guide's experiment, sync vs async, on local sites it starts itself (no network).\n",
    NULL,
    rows,
    sizeof rows / sizeof rows[0],
};

int cli_demo_main(int argc, char **argv) {
    size_t nargs;
    int rc = cli_optab_parse(&cli_demo_optab, NULL, argc, argv, 1, NULL, 0, &nargs, NULL);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    demo_t d;
    memset(&d, 0, sizeof d);
    char *args[] = {"titles", NULL};
    if (cli_opts_parse(&d.opts, 1, args) != 0) /* the defaults of cafe titles */
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    cafe_result_t r;
    rc = cafe_run(demo_main, &d, &r);
    cli_opts_free(&d.opts);
    return rc == 0 && r.status == 0 ? 0 : 1;
}
