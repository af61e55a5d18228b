/* CPU-bound work blocks the loop; sent to the thread pool it does not. A ticker task prints
 * every 100 ms while a CPU-heavy job runs, first on the loop (the ticker stalls), then with
 * cafe_thread_run (the ticker keeps ticking). Prints how many ticks happened in each case.
 * Usage: cpu_offload [work-units]   (default 100; one unit is ~20 ms of hashing here) */
#include <cafe.h>

#include <stdio.h>
#include <stdlib.h>

typedef struct ticker {
    int ticks;
    int quiet;
} ticker_t;

static int tick(void *arg, void **value) {
    (void)value;
    ticker_t *t = arg;
    while (cafe_task_sleep(100) == 0) {
        t->ticks++;
        if (!t->quiet)
            printf("  tick %d\n", t->ticks);
    }
    return 0; /* cancelled: the demo is over */
}

typedef struct work {
    unsigned units;
    uint64_t digest;
} work_t;

/* Real work: an FNV-1a-style hash over a few million rounds per unit. */
static int crunch(void *arg) {
    work_t *w = arg;
    uint64_t h = 1469598103934665603ull;
    for (unsigned u = 0; u < w->units; u++)
        for (uint32_t i = 0; i < 20u * 1000u * 1000u; i++)
            h = (h ^ i) * 1099511628211ull;
    w->digest = h;
    return 0;
}

static int run_case(const char *label, unsigned units, int offload) {
    ticker_t ticker = {0, 0};
    cafe_task_t *t;
    int rc = cafe_task_spawn(&t, tick, &ticker, NULL);
    if (rc != 0)
        return rc;
    cafe_task_yield(); /* let the ticker start its first sleep */
    printf("%s: crunching %u units...\n", label, units);
    work_t w = {units, 0};
    rc = offload ? cafe_thread_run(crunch, &w) : crunch(&w);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", label, cafe_strerror(rc));
    else
        printf("%s: done (digest %016llx), ticks during the work: %d\n", label,
               (unsigned long long)w.digest, ticker.ticks);
    cafe_task_cancel(t);
    cafe_task_join(t, NULL);
    return rc;
}

static int main_task(void *arg, void **value) {
    (void)value;
    unsigned units = *(unsigned *)arg;
    int rc = run_case("on the loop", units, 0);
    if (rc == 0)
        rc = run_case("in the thread pool", units, 1);
    return rc;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsigned units = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100;
    cafe_result_t result;
    int rc = cafe_run(main_task, &units, &result);
    return rc == 0 && result.status == 0 ? 0 : 1;
}
