/* The cafe side of the runtime benchmark (bench/runtime/run.sh). peer_go.go and
 * peer_asyncio.py do the same work with goroutines and asyncio tasks.
 *
 * Usage: bench_runtime MODE [N]      prints one number on stdout
 *   ctx      the bare register switch, no scheduler (cafe__ctx_switch): ns per switch
 *   yield    two tasks calling cafe_task_yield in turn: ns per yield (one task-to-task hop,
 *            which in cafe is two register switches: task -> loop -> task)
 *   yieldt   the same with a third task asleep meanwhile: its pending timer keeps the libuv
 *            loop alive, so every turn also polls for I/O, as in a program doing real work
 *   chan     two tasks ping-ponging over two rendezvous queues (capacity 0, like Go's
 *            unbuffered channels): ns per hop (one item handed over)
 *   spawn    spawn a task that returns at once, then join it: ns per task
 *   gather   spawn 1000 such tasks, then gather them: ns per task
 *   rss N    N tasks asleep at once: KiB of resident memory per task (VmRSS at the plateau
 *            minus VmRSS before spawning, divided by N); run one size per process
 * Scaling modes (cafe only; run.sh compares two sizes, a figure that grows with N is n^2):
 *   destroy N   N tasks woken in one turn, each destroying a lock of its own (acquired and
 *               released first), a semaphore and a queue holding an item: CPU ns per task
 *   failfast N  cafe_task_gather_failfast of N tasks ending over 50 turns: CPU ns per task
 *   completed N the same N tasks taken through a cafe_as_completed_t: CPU ns per task
 *   qcancel N   N getters of a queue handed an item each in one turn, all cancelled before
 *               they ran (each gives its item back): CPU ns per getter
 *   nested N    N deadlines nested, then ended: CPU ns per scope
 *
 * Timed modes stop after about BENCH_SECONDS of wall time (default 0.2), checking the clock
 * every CHUNK operations, so each run is bounded whatever the machine's speed. With
 * BENCH_ITERS=K they instead run exactly K rounds (a multiple of CHUNK): run.sh runs two such
 * counts under callgrind, and the difference gives exact instructions per operation. */
#include "cafe.h"
#include "runtime/arch/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 1024
#define BATCH 1000
#define SLEEP_MS 60000 /* rss sleepers: far longer than a measurement; cancelled after it */

typedef struct bench {
    double seconds; /* wall-time budget of a timed mode */
    uint64_t iters; /* nonzero: run exactly this many rounds instead */
    size_t n;       /* rss: number of sleeping tasks */
    double out;     /* the figure printed */
    int stop;       /* ping-pong: tells the peer task to leave */
    size_t started; /* rss: sleepers that reached their sleep */
    cafe_queue_t ping, pong;
} bench_t;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether a timed mode that began at t0 and has done `rounds` rounds should stop. */
static int over_budget(const bench_t *b, uint64_t t0, uint64_t rounds) {
    if (b->iters)
        return rounds >= b->iters;
    return (double)(now_ns() - t0) >= b->seconds * 1e9;
}

/* ---- ctx: the bare switch ---------------------------------------------------------------- */

typedef struct bare {
    cafe__ctx_t main, co;
} bare_t;

static void bare_entry(void *p) {
    bare_t *x = p;
    for (;;)
        cafe__ctx_switch(&x->co, &x->main);
}

static int bench_ctx(bench_t *b) {
    enum { STACK = 64 * 1024 };
    void *stack = malloc(STACK);
    if (!stack)
        return CAFE_ENOMEM;
    bare_t x;
    cafe__ctx_make(&x.co, stack, STACK, bare_entry, &x);
    uint64_t rounds = 0, t0 = now_ns();
    do {
        for (int i = 0; i < CHUNK; i++)
            cafe__ctx_switch(&x.main, &x.co);
        rounds += CHUNK;
    } while (!over_budget(b, t0, rounds));
    b->out = (double)(now_ns() - t0) / (double)(2 * rounds);
    free(stack); /* the coroutine is parked inside bare_entry for good: never resumed */
    return 0;
}

/* ---- yield and chan: two tasks taking turns ---------------------------------------------- */

static int yield_peer(void *arg, void **value) {
    bench_t *b = arg;
    while (!b->stop)
        cafe_task_yield();
    return 0;
}

static int yield_rounds(bench_t *b) {
    cafe_task_t *peer;
    int rc = cafe_task_spawn(&peer, yield_peer, b, NULL);
    if (rc != 0)
        return rc;
    uint64_t yields = 0, t0 = now_ns();
    do {
        for (int i = 0; i < CHUNK; i++)
            cafe_task_yield();
        yields += CHUNK;
    } while (!over_budget(b, t0, yields));
    b->out = (double)(now_ns() - t0) / (double)(2 * yields); /* the peer yielded as often */
    b->stop = 1;
    return cafe_task_join(peer, NULL);
}

static int yield_main(void *arg, void **value) {
    return yield_rounds(arg);
}

static int sleeper(void *arg, void **value);

static int yieldt_main(void *arg, void **value) {
    bench_t *b = arg;
    cafe_task_t *sleepy;
    int rc = cafe_task_spawn(&sleepy, sleeper, b, NULL);
    if (rc != 0)
        return rc;
    rc = cafe_task_yield(); /* let it start sleeping */
    if (rc == 0)
        rc = yield_rounds(b);
    cafe_task_cancel(sleepy);
    cafe_result_t res;
    int jrc = cafe_task_join(sleepy, &res);
    return rc != 0 ? rc : jrc != 0 ? jrc : res.status;
}

/* Echoes every item from ping back on pong until it gets NULL. */
static int chan_peer(void *arg, void **value) {
    bench_t *b = arg;
    void *item;
    int rc;
    while ((rc = cafe_queue_get(&b->ping, &item)) == 0 && item)
        if ((rc = cafe_queue_put(&b->pong, item)) != 0)
            break;
    return rc;
}

static int chan_rounds(bench_t *b, uint64_t *rounds) {
    uint64_t t0 = now_ns();
    void *item;
    int rc = 0;
    do {
        for (int i = 0; i < CHUNK && rc == 0; i++)
            if ((rc = cafe_queue_put(&b->ping, b)) == 0)
                rc = cafe_queue_get(&b->pong, &item);
        *rounds += CHUNK;
    } while (rc == 0 && !over_budget(b, t0, *rounds));
    b->out = (double)(now_ns() - t0) / (double)(2 * *rounds);
    return rc;
}

static int chan_main(void *arg, void **value) {
    bench_t *b = arg;
    int rc = cafe_queue_init(&b->ping, 0);
    if (rc == 0 && (rc = cafe_queue_init(&b->pong, 0)) != 0)
        cafe_queue_destroy(&b->ping);
    if (rc != 0)
        return rc;
    cafe_task_t *peer;
    uint64_t rounds = 0;
    if ((rc = cafe_task_spawn(&peer, chan_peer, b, NULL)) == 0) {
        rc = chan_rounds(b, &rounds);
        cafe_queue_put(&b->ping, NULL);
        cafe_result_t res;
        int jrc = cafe_task_join(peer, &res);
        if (rc == 0)
            rc = jrc != 0 ? jrc : res.status;
    }
    cafe_queue_destroy(&b->ping);
    cafe_queue_destroy(&b->pong);
    return rc;
}

/* ---- spawn and gather -------------------------------------------------------------------- */

static int nothing(void *arg, void **value) {
    return 0;
}

static int spawn_main(void *arg, void **value) {
    bench_t *b = arg;
    uint64_t tasks = 0, t0 = now_ns();
    do {
        for (int i = 0; i < CHUNK; i++) {
            cafe_task_t *t;
            int rc = cafe_task_spawn(&t, nothing, NULL, NULL);
            if (rc == 0)
                rc = cafe_task_join(t, NULL);
            if (rc != 0)
                return rc;
        }
        tasks += CHUNK;
    } while (!over_budget(b, t0, tasks));
    b->out = (double)(now_ns() - t0) / (double)tasks;
    return 0;
}

static int gather_batch(cafe_task_t **tasks, cafe_result_t *results) {
    size_t n = 0;
    int rc = 0;
    while (n < BATCH && (rc = cafe_task_spawn(&tasks[n], nothing, NULL, NULL)) == 0)
        n++;
    int grc = cafe_task_gather(tasks, n, results);
    return rc != 0 ? rc : grc;
}

static int gather_main(void *arg, void **value) {
    bench_t *b = arg;
    _Static_assert(BATCH * (sizeof(cafe_task_t *) + sizeof(cafe_result_t)) < 32 * 1024,
                   "the arrays live on the main task's stack");
    cafe_task_t *tasks[BATCH];
    cafe_result_t results[BATCH];
    uint64_t n = 0, t0 = now_ns();
    do {
        int rc = gather_batch(tasks, results);
        if (rc != 0)
            return rc;
        n += BATCH;
    } while (!over_budget(b, t0, n));
    b->out = (double)(now_ns() - t0) / (double)n;
    return 0;
}

/* ---- rss: many sleeping tasks ------------------------------------------------------------ */

static long vm_rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static int sleeper(void *arg, void **value) {
    bench_t *b = arg;
    b->started++;
    int rc = cafe_task_sleep(SLEEP_MS);
    return rc == CAFE_ECANCELED ? 0 : rc;
}

static int rss_main(void *arg, void **value) {
    bench_t *b = arg;
    /* The handles array is the caller's memory, not the tasks': touch it before the
     * baseline (the peers keep theirs the same way). */
    cafe_task_t **tasks = calloc(b->n, sizeof(*tasks));
    cafe_result_t *results = calloc(b->n, sizeof(*results));
    if (!tasks || !results) {
        free(tasks);
        free(results);
        return CAFE_ENOMEM;
    }
    memset(tasks, 0xff, b->n * sizeof(*tasks));
    memset(results, 0xff, b->n * sizeof(*results));
    long base = vm_rss_kib();
    size_t n = 0;
    int rc = 0;
    while (n < b->n && (rc = cafe_task_spawn(&tasks[n], sleeper, b, NULL)) == 0)
        n++;
    while (rc == 0 && b->started < n)
        rc = cafe_task_yield();
    b->out = (double)(vm_rss_kib() - base) / (double)n;
    for (size_t i = 0; i < n; i++)
        cafe_task_cancel(tasks[i]);
    int grc = cafe_task_gather(tasks, n, results);
    for (size_t i = 0; i < n && grc == 0; i++)
        grc = results[i].status;
    free(tasks);
    free(results);
    return rc != 0 ? rc : grc;
}

/* ---- destroy, failfast: the cost per task must not grow with the number of tasks -------- */

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int destroy_own(void *arg, void **value) {
    cafe_event_t *go = arg;
    cafe_lock_t l;
    cafe_sem_t s;
    cafe_queue_t q;
    int rc = cafe_event_wait(go);
    if (rc == 0) {
        cafe_lock_init(&l);
        if ((rc = cafe_lock_acquire(&l)) == 0 && (rc = cafe_lock_release(&l)) == 0)
            rc = cafe_lock_destroy(&l);
    }
    if (rc == 0) {
        cafe_sem_init(&s, 1);
        rc = cafe_sem_destroy(&s);
    }
    if (rc == 0 && (rc = cafe_queue_init(&q, 1)) == 0 && (rc = cafe_queue_put(&q, &q)) == 0)
        rc = cafe_queue_destroy(&q);
    return rc;
}

static int nap(void *arg, void **value) {
    return cafe_task_sleep((uint64_t)(uintptr_t)arg);
}

/* Joins the n tasks of t in the order they finish, through a cafe_as_completed_t, their
 * results in r by position. */
static int as_completed_all(cafe_task_t *const *t, size_t n, cafe_result_t *r) {
    cafe_as_completed_t *ac;
    int rc = cafe_as_completed_create(&ac, t, n);
    size_t i;
    cafe_result_t res;
    while (rc == 0 && (rc = cafe_as_completed_next(ac, &i, &res)) == 0)
        r[i] = res;
    cafe_as_completed_free(ac);
    return rc == CAFE_EOF ? 0 : rc;
}

typedef int (*collect_fn)(cafe_task_t *const *t, size_t n, cafe_result_t *r);

/* Spawns b->n tasks of fn (arg: shared, or NULL for each its index mod 50), sets `shared`,
 * then collects them: CPU ns per task from then to the end. */
static int scaling_run(bench_t *b, cafe_task_fn fn, cafe_event_t *shared, collect_fn collect) {
    cafe_task_t **t = calloc(b->n, sizeof(*t));
    cafe_result_t *r = calloc(b->n, sizeof(*r));
    cafe_task_opts_t o = {.stack_size = CAFE_STACK_MIN};
    size_t n = 0;
    int rc = t && r ? 0 : CAFE_ENOMEM;
    while (rc == 0 && n < b->n &&
           (rc = cafe_task_spawn(&t[n], fn, shared ? (void *)shared : (void *)(n % 50), &o)) == 0)
        n++;
    if (rc == 0 && shared)
        rc = cafe_task_yield(); /* all wait for the event */
    uint64_t t0 = cpu_ns();
    if (shared)
        cafe_event_set(shared);
    int grc = n == 0 ? 0 : collect(t, n, r);
    b->out = (double)(cpu_ns() - t0) / (double)(n ? n : 1);
    for (size_t i = 0; i < n && grc == 0; i++)
        grc = r[i].status;
    free(t);
    free(r);
    return rc != 0 ? rc : grc;
}

static int destroy_main(void *arg, void **value) {
    cafe_event_t go;
    cafe_event_init(&go);
    return scaling_run(arg, destroy_own, &go, cafe_task_gather);
}

static int failfast_main(void *arg, void **value) {
    return scaling_run(arg, nap, NULL, cafe_task_gather_failfast);
}

static int completed_main(void *arg, void **value) {
    return scaling_run(arg, nap, NULL, as_completed_all);
}

/* N getters each handed an item in one turn, then all cancelled before they ran: each
 * cancel gives an item back (to the queue's front). CPU ns per getter from the first put to
 * the end of the gather. */
static int getter(void *arg, void **value) {
    return cafe_queue_get(arg, value);
}

static int qcancel_main(void *arg, void **value) {
    bench_t *b = arg;
    cafe_queue_t *q = &b->ping;
    cafe_task_t **t = calloc(b->n, sizeof(*t));
    cafe_result_t *r = calloc(b->n, sizeof(*r));
    cafe_task_opts_t o = {.stack_size = CAFE_STACK_MIN};
    size_t n = 0;
    int rc = t && r ? cafe_queue_init(q, CAFE_QUEUE_UNBOUNDED) : CAFE_ENOMEM;
    while (rc == 0 && n < b->n && (rc = cafe_task_spawn(&t[n], getter, q, &o)) == 0)
        n++;
    if (rc == 0)
        rc = cafe_task_yield(); /* all wait in get */
    uint64_t t0 = cpu_ns();
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = cafe_queue_put(q, q);
    for (size_t i = 0; i < n; i++)
        cafe_task_cancel(t[i]);
    int grc = n == 0 ? 0 : cafe_task_gather(t, n, r);
    b->out = (double)(cpu_ns() - t0) / (double)(n ? n : 1);
    for (size_t i = 0; i < n && grc == 0; i++)
        grc = r[i].status == CAFE_ECANCELED ? 0 : CAFE_EIO;
    if (rc == 0 && cafe_queue_len(q) != n)
        rc = CAFE_EIO; /* every item back in the queue */
    while (cafe_queue_try_get(q, &(void *){NULL}) == 0)
        ;
    if (t && r)
        cafe_queue_destroy(q);
    free(t);
    free(r);
    return rc != 0 ? rc : grc;
}

/* N deadlines nested (begun in turn, each inside the one before), then ended in reverse
 * order: CPU ns per scope. */
static int nested_main(void *arg, void **value) {
    bench_t *b = arg;
    cafe_deadline_t *d = malloc(b->n * sizeof(*d));
    if (!d)
        return CAFE_ENOMEM;
    uint64_t t0 = cpu_ns();
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++)
        rc = cafe_deadline_begin(&d[i], 600000);
    for (size_t i = b->n; i-- > 0 && rc == 0;)
        rc = cafe_deadline_end(&d[i]);
    b->out = (double)(cpu_ns() - t0) / (double)b->n;
    free(d);
    return rc;
}

/* ---- driver ------------------------------------------------------------------------------ */

static const struct mode {
    const char *name;
    cafe_task_fn main; /* NULL: runs outside any loop */
} modes[] = {
    {"ctx", NULL},
    {"yield", yield_main},
    {"yieldt", yieldt_main},
    {"chan", chan_main},
    {"spawn", spawn_main},
    {"gather", gather_main},
    {"rss", rss_main},
    {"destroy", destroy_main},
    {"failfast", failfast_main},
    {"completed", completed_main},
    {"qcancel", qcancel_main},
    {"nested", nested_main},
};

static int run_mode(const struct mode *m, bench_t *b) {
    if (!m->main)
        return bench_ctx(b);
    cafe_result_t res;
    int rc = cafe_run(m->main, b, &res);
    return rc != 0 ? rc : res.status;
}

int main(int argc, char **argv) {
    bench_t b = {.seconds = 0.2, .n = 10000};
    const char *secs = getenv("BENCH_SECONDS");
    if (secs && atof(secs) > 0)
        b.seconds = atof(secs);
    const char *iters = getenv("BENCH_ITERS");
    if (iters)
        b.iters = strtoull(iters, NULL, 10);
    if (argc > 2)
        b.n = strtoul(argv[2], NULL, 10);
    for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(argv[1], modes[i].name) != 0)
            continue;
        int rc = b.n > 0 ? run_mode(&modes[i], &b) : CAFE_EINVAL;
        if (rc != 0) {
            fprintf(stderr, "bench_runtime %s: %s\n", argv[1], cafe_strerror(rc));
            return 1;
        }
        printf("%.2f\n", b.out);
        return 0;
    }
    fprintf(stderr, "usage: bench_runtime "
                    "ctx|yield|yieldt|chan|spawn|gather|rss|destroy|failfast|completed|qcancel|"
                    "nested "
                    "[N]\n");
    return 2;
}
