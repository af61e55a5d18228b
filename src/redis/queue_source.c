/* The queue as a URL source: the reader task claims leased batches; a renewer task keeps the
 * leases of the URLs held alive; at the end the URLs held but not finished (Ctrl-C) go back
 * to the queue. Also the pair's shared life (open, references). */
#include "queue_worker.h"
#include "input.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define RETRY_FOR_MS 300000 /* a worker waits this long for a lost Redis to come back */
/* Nothing to take while other workers hold leases: look again after 20 ms, doubling up to
 * 1 s, so that a worker leaves soon after the last record and an idle one costs Redis
 * little. */
#define IDLE_FIRST_MS 20
#define IDLE_MAX_MS 1000
#define RING_PER_LIMIT 4 /* ring slots per URL held at most: the next is rarely taken */
#define MAX_BATCH 200
/* After Ctrl-C, how long a Redis call may take: the worker's last records and the URLs it
 * gives back, unless Redis is not answering. */
#define STOP_WAIT_MS 5000

#define W(s) ((queue_worker_t *)((char *)(s)-offsetof(queue_worker_t, source)))

static void free_held(queue_worker_t *w) {
    for (size_t i = 0; w->ring && i < w->cap; i++)
        free(w->ring[i].url);
    for (size_t i = w->next_claimed; i < w->nclaimed; i++)
        free(w->claimed[i].url);
    free(w->claimed);
    w->claimed = NULL;
    w->nclaimed = w->next_claimed = 0;
    for (size_t i = 0; i < w->nacked; i++)
        free(w->acked[i].url);
    free(w->acked);
    w->acked = NULL;
    w->nacked = w->acked_cap = 0;
}

void queue_worker_unref(queue_worker_t *w) {
    if (--w->refs > 0)
        return;
    free_held(w);
    free(w->ring);
    free(w->epoch);
    queue_keys_free(&w->keys);
    redis_conf_free(&w->conf);
    free(w);
}

void queue_worker_release(queue_worker_t *w, held_t *h) {
    free(h->url);
    *h = (held_t){0};
    w->held--;
    cafe_event_set(&w->freed);
}

void queue_worker_acked(queue_worker_t *w, held_t *h) {
    if (w->nacked == w->acked_cap) {
        size_t cap = w->acked_cap ? w->acked_cap * 2 : 64;
        held_t *a = realloc(w->acked, cap * sizeof(*a));
        if (!a) { /* its receipt stays in Redis: a few bytes, harmless */
            queue_worker_release(w, h);
            return;
        }
        w->acked = a;
        w->acked_cap = cap;
    }
    w->acked[w->nacked++] = (held_t){.url = h->url, .len = h->len};
    h->url = NULL; /* kept */
    queue_worker_release(w, h);
}

int queue_worker_bound(queue_worker_t *w, cafe_deadline_t *d) {
    if (!atomic_load(&w->stopping))
        return 0;
    if (w->gave_up)
        return CAFE_ETIMEDOUT;
    (void)cafe_deadline_begin(d, STOP_WAIT_MS); /* always in a task: the sink's, the run's */
    return 1;
}

void queue_worker_bound_end(queue_worker_t *w, cafe_deadline_t *d) {
    if (cafe_deadline_end(d) && !w->gave_up) {
        w->gave_up = 1;
        msg_progress_clear();
        if (!w->quiet)
            fprintf(stderr,
                    "%s: redis %s: no answer within %d s of the stop: the URLs not given "
                    "back go to other workers when their leases end\n",
                    w->prog, w->conf.display, STOP_WAIT_MS / 1000);
    }
}

/* A script that only says how it went; an error reply is reported. */
static void run_script(queue_worker_t *w, int script, int argc, const char **argv,
                       const size_t *lens) {
    redisReply *rep = NULL;
    if (queue_eval(w->r, &w->keys, script, &rep, argc, argv, lens) == CAFE_EIO && !w->quiet) {
        msg_progress_clear();
        fprintf(stderr, "%s: redis: %s\n", w->prog, redis_error(w->r));
    }
    freeReplyObject(rep);
}

/* A copy of h's URL as the n-th argument. */
static int add_arg(const char **argv, size_t *lens, size_t *n, const held_t *h) {
    char *copy = malloc(h->len + 1);
    if (!copy)
        return 0;
    memcpy(copy, h->url, h->len + 1);
    argv[*n] = copy;
    lens[(*n)++] = h->len;
    return 1;
}

/* RENEW {worker, lease, every URL held}. The URLs are copies: the call suspends (across a
 * reconnect it sends argv again), and meanwhile a fetch may finish and free its URL. */
static void renew(queue_worker_t *w, const char *lease) {
    size_t n = 2, most = w->held + w->nclaimed + 2;
    const char **argv = calloc(most, sizeof(*argv));
    size_t *lens = calloc(most, sizeof(*lens));
    int ok = argv && lens;
    for (size_t i = 0; ok && i < w->cap; i++)
        if (w->ring[i].url)
            ok = add_arg(argv, lens, &n, &w->ring[i]);
    for (size_t i = w->next_claimed; ok && i < w->nclaimed; i++)
        ok = add_arg(argv, lens, &n, &w->claimed[i]);
    if (ok) { /* else renewed on the next round; a lease lasts three rounds */
        argv[0] = w->worker;
        argv[1] = lease;
        lens[0] = strlen(w->worker);
        lens[1] = strlen(lease);
        run_script(w, QS_RENEW, (int)n, argv, lens);
    }
    for (size_t i = 2; argv && i < n; i++)
        free((void *)argv[i]);
    free(argv);
    free(lens);
}

/* The receipts of the URLs acked so far go, QUEUE_FORGET_MAX per call. The list is taken first:
 * the call suspends, and the sink adds to a new one meanwhile. A call that fails leaves its
 * receipts in Redis: inert (no URL is leased again once recorded), gone with the worker's
 * RELEASE, or when a script finds it silent. */
void queue_worker_forget(queue_worker_t *w) {
    held_t *list = w->acked;
    size_t n = w->nacked;
    w->acked = NULL;
    w->nacked = w->acked_cap = 0;
    const char **argv = n ? malloc((QUEUE_FORGET_MAX + 1) * sizeof(*argv)) : NULL;
    size_t *lens = n ? malloc((QUEUE_FORGET_MAX + 1) * sizeof(*lens)) : NULL;
    for (size_t i = 0; argv && lens && i < n; i += QUEUE_FORGET_MAX) {
        size_t m = n - i < QUEUE_FORGET_MAX ? n - i : QUEUE_FORGET_MAX;
        argv[0] = w->worker;
        lens[0] = strlen(w->worker);
        for (size_t j = 0; j < m; j++) {
            argv[1 + j] = list[i + j].url;
            lens[1 + j] = list[i + j].len;
        }
        run_script(w, QS_FORGET, (int)m + 1, argv, lens);
    }
    free(argv);
    free(lens);
    for (size_t i = 0; i < n; i++)
        free(list[i].url);
    free(list);
}

/* Renews every lease held, three times per lease period, and forgets the receipts of the
 * URLs acked meanwhile. */
static int renew_task(void *arg, void **value) {
    queue_worker_t *w = arg;
    char lease[32];
    snprintf(lease, sizeof lease, "%llu", (unsigned long long)w->lease_ms);
    while (cafe_task_sleep(w->lease_ms / 3) == 0) {
        renew(w, lease);
        queue_worker_forget(w);
    }
    return 0;
}

static int queue_start(source_t *s) {
    queue_worker_t *w = W(s);
    char err[256];
    int rc = redis_open(&w->r, &w->conf, queue_scripts, QS_COUNT, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: redis %s: %s\n", w->prog, w->conf.display, err);
        return rc;
    }
    redis_set_retry(w->r, RETRY_FOR_MS, w->quiet);
    if ((rc = cafe_task_spawn(&w->renewer, renew_task, w, NULL)) != 0) {
        redis_close(w->r);
        w->r = NULL;
        return rc;
    }
    w->started = 1;
    return 0;
}

/* Is u (one of the claim's URLs whose expired lease was ours) a URL this worker holds, its
 * fetch still running? Then the claim only gave it its lease again: handed out a second
 * time, it was fetched twice and its second record refused. Else the claim that leased it
 * lost its reply: it is ours to fetch now. Rare (an outage longer than the lease): a scan. */
static int holding(const queue_worker_t *w, const redisReply *u) {
    for (size_t i = 0; i < w->cap; i++) /* the URLs handed out: all it holds at a claim */
        if (w->ring[i].url && w->ring[i].len == u->len &&
            memcmp(w->ring[i].url, u->str, u->len) == 0)
            return 1;
    return 0;
}

/* Whether the claim's URL u is one to skip: among mine (its own expired leases) and held. */
static int skip_claimed(const queue_worker_t *w, const redisReply *u, const redisReply *mine) {
    for (size_t i = 0; mine && i < mine->elements; i++)
        if (mine->element[i]->type == REDIS_REPLY_STRING && mine->element[i]->len == u->len &&
            memcmp(mine->element[i]->str, u->str, u->len) == 0)
            return holding(w, u);
    return 0;
}

/* Whether the claim's epoch (QS_CLAIM; nil: no queue) says the queue this worker found
 * before is gone: 1, or 0 (the first found is kept), or CAFE_ENOMEM. */
static int epoch_changed(queue_worker_t *w, const redisReply *e) {
    int found = e->type == REDIS_REPLY_STRING;
    if (!w->epoch)
        return found && !(w->epoch = strdup(e->str)) ? CAFE_ENOMEM : 0;
    return !found || strcmp(w->epoch, e->str) != 0;
}

/* The queue this worker found is gone (claim): CAFE_EIO, saying why where Redis tells it. A
 * policy evicting any key (allkeys-*, set while the workers ran: the start refuses one)
 * evicts the queue's when memory is full, which was said as a restart or a flush. */
static int queue_gone(queue_worker_t *w) {
    char policy[128], msg[384];
    w->queue_gone = 1;
    int rc = queue_evicts(w->r, policy, sizeof policy);
    if (rc < 0)
        return rc;
    if (rc)
        snprintf(msg, sizeof msg,
                 "the queue is gone from Redis, whose maxmemory-policy is now %s: it evicts "
                 "the queue's keys when full (set noeviction): the records written to it are "
                 "lost",
                 policy);
    redis_set_error(w->r, rc ? msg
                             : "the queue is gone from Redis (restarted without persistence? "
                               "flushed?): the records written to it are lost");
    return CAFE_EIO;
}

/* One CLAIM. Returns the number of URLs taken (now in w->claimed), or a negative code;
 * *idle_ms says how long to wait when none was taken, -1 when the queue is finished. */
static int claim(queue_worker_t *w, size_t n, long long *idle_ms) {
    char sn[32], lease[32], max[32];
    snprintf(sn, sizeof sn, "%zu", n);
    snprintf(lease, sizeof lease, "%llu", (unsigned long long)w->lease_ms);
    snprintf(max, sizeof max, "%d", INPUT_LINE_MAX);
    const char *argv[] = {w->worker, sn, lease, max};
    redisReply *rep;
    int rc = queue_eval(w->r, &w->keys, QS_CLAIM, &rep, 4, argv, NULL);
    if (rc != 0)
        return rc;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 6 ||
        rep->element[0]->type != REDIS_REPLY_ARRAY) {
        redis_set_error(w->r, "unexpected reply to the claim script");
        freeReplyObject(rep);
        return CAFE_EIO;
    }
    redisReply *urls = rep->element[0];
    const redisReply *mine = rep->element[5]->type == REDIS_REPLY_ARRAY ? rep->element[5] : NULL;
    free(w->claimed); /* all handed out: queue_next claims only then */
    w->claimed = calloc(urls->elements + 1, sizeof(*w->claimed));
    w->nclaimed = w->next_claimed = 0;
    for (size_t i = 0; w->claimed && i < urls->elements; i++) {
        if (urls->element[i]->type != REDIS_REPLY_STRING)
            continue; /* not a URL: left leased, it expires and is reclaimed */
        if (skip_claimed(w, urls->element[i], mine))
            continue; /* being fetched: its lease renewed by the claim */
        /* steal the string */
        w->claimed[w->nclaimed++] =
            (held_t){.url = urls->element[i]->str, .len = urls->element[i]->len};
        urls->element[i]->str = NULL;
    }
    long long pending = rep->element[1]->integer, leased = rep->element[2]->integer;
    long long wait = rep->element[3]->integer;
    int gone = epoch_changed(w, rep->element[4]);
    freeReplyObject(rep);
    /* The queue was there and is no more, or is another: a Redis restarted without
     * persistence, a FLUSHALL (and the queue pushed again since). What this worker recorded
     * went with it, and its acknowledgements are refused from now on: ending with status 0
     * ("another worker took them over") hid the loss. */
    if (gone < 0)
        return gone;
    if (gone)
        return queue_gone(w);
    /* Done when nothing is left anywhere; while other workers hold leases, wait: a lease
     * that expires (its worker died) is ours to take. */
    if (w->nclaimed)
        w->idle_ms = IDLE_FIRST_MS;
    *idle_ms = !w->follow && pending == 0 && leased == 0 ? -1
               : wait >= 0 && wait < w->idle_ms          ? wait + 5
                                                         : w->idle_ms;
    /* Ending at once with "0 URLs" read as a queue whose work was done, when its name (or
     * the database) was wrong. */
    if (*idle_ms < 0 && !w->epoch && !w->quiet) {
        msg_progress_clear();
        fprintf(stderr,
                "%s: nothing was ever pushed to queue %s (is its name, or REDIS_URL's "
                "database, right?)\n",
                w->prog, w->conf.queue);
    }
    return w->claimed ? (int)w->nclaimed : CAFE_ENOMEM;
}

static int wait_freed(queue_worker_t *w) {
    cafe_event_clear(&w->freed);
    return cafe_event_wait(&w->freed);
}

/* Hands out the next claimed URL under a new ref: the next one whose ring slot is free. The
 * next ref alone waited for its slot's older URL, every other slot free: one URL slower than
 * the ring's turn held the worker up (1000 URLs, one in 23 taking 3 s: 24 s, where cafe
 * titles took 9 s). A ref is only a mark (source.h): skipping some is harmless. */
static int hand_out(queue_worker_t *w, const char **line, size_t *len, uint64_t *ref) {
    uint64_t next = w->last_ref + 1;
    for (size_t skipped = 0; skipped < w->cap && w->ring[next % w->cap].url; skipped++)
        next++;
    held_t *h = &w->ring[next % w->cap];
    if (h->url) /* every slot taken: not while held <= limit < cap, but wait then */
        return wait_freed(w);
    *h = w->claimed[w->next_claimed++];
    h->ref = w->last_ref = next;
    w->held++;
    *line = h->url;
    *len = h->len;
    *ref = h->ref;
    return h->len > INPUT_LINE_MAX ? SOURCE_TOO_LONG : 1; /* recorded as cafe titles does */
}

static int queue_next(source_t *s, const char **line, size_t *len, uint64_t *ref) {
    queue_worker_t *w = W(s);
    int rc = 0;
    while (rc >= 0) {
        if (w->failed) /* the sink said why; finish gives the URLs back */
            return 0;
        if (w->next_claimed < w->nclaimed) {
            if ((rc = hand_out(w, line, len, ref)) > 0)
                return rc;
            continue;
        }
        if (w->held + w->batch > w->limit) {
            rc = wait_freed(w);
            continue;
        }
        long long idle_ms = 0;
        rc = claim(w, w->limit - w->held, &idle_ms);
        if (rc != 0)
            continue;
        if (w->held > 0)
            rc = wait_freed(w); /* nothing new: look again once one of ours is done */
        else if (idle_ms < 0)
            return 0;
        else {
            rc = cafe_task_sleep((uint64_t)idle_ms);
            w->idle_ms = w->idle_ms * 2 > IDLE_MAX_MS ? IDLE_MAX_MS : w->idle_ms * 2;
        }
    }
    /* The cause, which the run prints once, after "reading the queue": printed here as
     * well, it was followed by a second line with only the code ("Input/output error"). An
     * outage past its retries (CAFE_ECONNRESET) has its cause in the link's error too. */
    if (rc == CAFE_EIO || rc == CAFE_ECONNRESET || rc == CAFE_ECONNREFUSED)
        snprintf(s->why, sizeof s->why, "redis %s: %s", w->conf.display, redis_error(w->r));
    return rc;
}

static void queue_finish(source_t *s) {
    queue_worker_t *w = W(s);
    if (!w->started)
        return;
    cafe_task_cancel(w->renewer);
    (void)cafe_task_join(w->renewer, NULL); /* its result says nothing: it only renews */
    /* By owner, not by the URLs we know of: a claim interrupted by Ctrl-C may have leased URLs
     * to us whose names never arrived. Our receipts go with it, those FORGET would take. */
    const char *argv[] = {w->worker};
    cafe_deadline_t d;
    int bound = queue_worker_bound(w, &d);
    if (bound >= 0)
        run_script(w, QS_RELEASE, 1, argv, NULL);
    if (bound > 0)
        queue_worker_bound_end(w, &d);
    redis_close(w->r); /* on the loop: its libuv handle must close before the loop ends */
    w->r = NULL;
    w->started = 0;
    if (w->lost && !w->quiet && w->queue_gone)
        fprintf(stderr, "%s: %llu records not written: the queue was gone\n", w->prog,
                (unsigned long long)w->lost);
    else if (w->lost && !w->quiet)
        fprintf(stderr,
                "%s: %llu records not written: another worker had taken their URLs "
                "over (a longer --lease avoids that double work)\n",
                w->prog, (unsigned long long)w->lost);
}

static void queue_abort(source_t *s) {
    atomic_store(&W(s)->stopping, 1);
}

static void queue_source_close(source_t *s) {
    queue_worker_unref(W(s));
}

static const source_ops_t queue_source_ops = {
    .start = queue_start,
    .next = queue_next,
    .abort = queue_abort,
    .finish = queue_finish,
    .close = queue_source_close,
};

static int check_task(void *arg, void **value) {
    queue_worker_t *w = arg;
    char err[512];
    redis_t *r;
    int rc = redis_open(&r, &w->conf, queue_scripts, QS_COUNT, err, sizeof err);
    if (rc == 0)
        rc = queue_check_server(r, QUEUE_ADDS, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s: redis %s: %s\n", w->prog, w->conf.display,
                rc == CAFE_EINVAL ? err
                : r               ? redis_error(r)
                                  : err);
    redis_close(r);
    return rc;
}

static uint64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* 64 random bits for the worker's name. getrandom(2) without blocking: a container started
 * at boot before the kernel's pool is ready still starts (GRND_NONBLOCK); then, and on a
 * kernel without getrandom, the monotonic clock's nanoseconds and an address (ASLR) mixed,
 * which differ between two processes far more often than the wall clock's millisecond. */
static uint64_t worker_nonce(void) {
    uint64_t n;
    if (getrandom(&n, sizeof n, GRND_NONBLOCK) == (ssize_t)sizeof n)
        return n;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    n = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    n ^= (uint64_t)(uintptr_t)&n * 0x9e3779b97f4a7c15u;
    return n ^ (n >> 31);
}

void queue_client_name(char *out, size_t n) {
    char host[64] = "?";
    if (gethostname(host, sizeof host - 1) != 0)
        strcpy(host, "?");
    snprintf(out, n, "%s:%ld:%llu:%016llx", host, (long)getpid(), (unsigned long long)wall_ms(),
             (unsigned long long)worker_nonce());
}

static int setup(queue_worker_t *w, const queue_worker_opts_t *o) {
    if (redis_conf_parse(&w->conf, o->url, NULL, o->prog) != 0)
        return 2;
    w->prog = o->prog;
    w->lease_ms = o->lease_ms;
    w->follow = o->follow;
    w->idle_ms = IDLE_FIRST_MS;
    w->quiet = o->quiet;
    w->batch = o->concurrency / 2 < 1           ? 1
               : o->concurrency / 2 > MAX_BATCH ? MAX_BATCH
                                                : o->concurrency / 2;
    w->limit = o->concurrency + w->batch;
    w->cap = w->limit * RING_PER_LIMIT;
    if (!(w->ring = calloc(w->cap, sizeof(*w->ring))))
        return 2;
    queue_client_name(w->worker, sizeof w->worker);
    if (queue_keys_init(&w->keys, w->conf.queue) != 0)
        return 2;
    cafe_event_init(&w->freed);
    w->source = (source_t){.ops = &queue_source_ops, .what = "the queue"};
    queue_sink_init(w);
    /* Fail now, with nothing changed in Redis, if it is down or refuses us. */
    cafe_result_t res;
    return cafe_run(check_task, w, &res) == 0 && res.status == 0 ? 0 : 2;
}

int queue_worker_open(source_t **source, sink_t **sink, const queue_worker_opts_t *o) {
    *source = NULL;
    *sink = NULL;
    queue_worker_t *w = calloc(1, sizeof(*w));
    if (!w) {
        fprintf(stderr, "%s: out of memory\n", o->prog);
        return 2;
    }
    w->refs = 2;
    int rc = setup(w, o);
    if (rc != 0) {
        w->refs = 1;
        queue_worker_unref(w);
        return rc;
    }
    *source = &w->source;
    *sink = &w->sink;
    return 0;
}
