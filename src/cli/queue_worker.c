/* `cafe titles --queue`: the run's URL source and record sink are a Redis queue. The reader
 * task claims leased batches; each finished record is written and acknowledged in one
 * script; a renewer task keeps the leases of the URLs held alive; at the end the URLs held
 * but not finished (Ctrl-C) go back to the queue. */
#include "opts.h"
#include "output.h"
#include "queue.h"
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RETRY_FOR_MS 300000 /* a worker waits this long for a lost Redis to come back */
/* Nothing to take while other workers hold leases: look again after 20 ms, doubling up to
 * 1 s, so that a worker leaves soon after the last record and an idle one costs Redis
 * little. */
#define IDLE_FIRST_MS 20
#define IDLE_MAX_MS 1000

struct cli_queue {
    cli_redis_conf_t conf;
    cli_qkeys_t keys;
    cli_redis_t *r; /* the run loop's connection, from the first cli_queue_next */
    char worker[160];
    uint64_t lease_ms;
    long long idle_ms; /* the next idle wait */
    int follow, quiet, started;
    size_t batch, limit;
    /* URLs held: handed to the run (ring, indexed by the run's seq % cap, cap being the run's
     * window: the run frees its slot of a seq only after cli_queue_record freed ours) or
     * claimed and not yet handed out (claimed[next_claimed..nclaimed)). Each string is owned
     * here. */
    char **ring;
    size_t cap, held;
    char **claimed;
    size_t nclaimed, next_claimed;
    cafe_event_t freed; /* a ring entry was freed */
    cafe_task_t *renewer;
    uint64_t lost;
};

static int check_task(void *arg, void **value) {
    cli_queue_t *q = arg;
    char err[256];
    cli_redis_t *r;
    int rc = cli_redis_open(&r, &q->conf, cli_queue_scripts, QS_COUNT, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "cafe titles: redis %s: %s\n", q->conf.display, err);
    cli_redis_close(r);
    return rc;
}

int cli_queue_open(cli_queue_t **out, const cli_opts_t *o) {
    cli_queue_t *q = calloc(1, sizeof(*q));
    *out = q;
    if (!q)
        return 2;
    if (cli_redis_conf_parse(&q->conf, o->queue, NULL, "cafe titles") != 0)
        return 2;
    q->lease_ms = o->lease_ms;
    q->follow = o->follow;
    q->idle_ms = IDLE_FIRST_MS;
    q->quiet = o->quiet;
    q->batch = o->concurrency / 2 < 1 ? 1 : o->concurrency / 2 > 200 ? 200 : o->concurrency / 2;
    q->limit = o->concurrency + q->batch;
    char host[64] = "?";
    gethostname(host, sizeof host - 1);
    snprintf(q->worker, sizeof q->worker, "%s:%ld:%llu", host, (long)getpid(),
             (unsigned long long)cli_now_ms());
    if (cli_qkeys_init(&q->keys, q->conf.queue))
        return 2;
    cafe_event_init(&q->freed);
    cafe_result_t res;
    /* Fail now, with nothing changed in Redis, if it is down or refuses us. */
    if (cafe_run(check_task, q, &res) != 0 || res.status != 0)
        return 2;
    return 0;
}

static void free_held(cli_queue_t *q) {
    for (size_t i = 0; q->ring && i < q->cap; i++)
        free(q->ring[i]);
    for (size_t i = q->next_claimed; i < q->nclaimed; i++)
        free(q->claimed[i]);
    free(q->claimed);
    q->claimed = NULL;
    q->nclaimed = q->next_claimed = 0;
}

void cli_queue_close(cli_queue_t *q) {
    if (!q)
        return;
    free_held(q);
    free(q->ring);
    cli_qkeys_free(&q->keys);
    cli_redis_conf_free(&q->conf);
    free(q);
}

/* A script that only says how it went; an error reply is reported. */
static void run_script(cli_queue_t *q, int script, int argc, const char **argv) {
    redisReply *rep = NULL;
    if (cli_queue_eval(q->r, &q->keys, script, &rep, argc, argv, NULL) == CAFE_EIO && !q->quiet)
        fprintf(stderr, "cafe titles: redis: %s\n", cli_redis_error(q->r));
    freeReplyObject(rep);
}

/* RENEW {worker, lease, every URL held}. */
static void renew(cli_queue_t *q, const char *lease) {
    const char **argv = malloc((q->held + q->nclaimed + 2) * sizeof(*argv));
    if (!argv)
        return;
    int n = 0;
    argv[n++] = q->worker;
    argv[n++] = lease;
    for (size_t i = 0; i < q->cap; i++)
        if (q->ring[i])
            argv[n++] = q->ring[i];
    for (size_t i = q->next_claimed; i < q->nclaimed; i++)
        argv[n++] = q->claimed[i];
    run_script(q, QS_RENEW, n, argv);
    free(argv);
}

/* Renews every lease held, three times per lease period. */
static int renew_task(void *arg, void **value) {
    cli_queue_t *q = arg;
    char lease[32];
    snprintf(lease, sizeof lease, "%llu", (unsigned long long)q->lease_ms);
    while (cafe_task_sleep(q->lease_ms / 3) == 0)
        renew(q, lease);
    return 0;
}

static int start(cli_queue_t *q, const cli_run_t *run) {
    q->cap = run->window;
    if (!(q->ring = calloc(q->cap, sizeof(*q->ring))))
        return CAFE_ENOMEM;
    char err[256];
    int rc = cli_redis_open(&q->r, &q->conf, cli_queue_scripts, QS_COUNT, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "cafe titles: redis %s: %s\n", q->conf.display, err);
        return rc;
    }
    cli_redis_set_retry(q->r, RETRY_FOR_MS, q->quiet);
    q->started = 1;
    return cafe_task_spawn(&q->renewer, renew_task, q, NULL);
}

/* One CLAIM. Returns the number of URLs taken (now in q->claimed), or a negative code;
 * *idle_ms says how long to wait when none was taken, -1 when the queue is finished. */
static int claim(cli_queue_t *q, size_t n, long long *idle_ms) {
    char sn[32], lease[32];
    snprintf(sn, sizeof sn, "%zu", n);
    snprintf(lease, sizeof lease, "%llu", (unsigned long long)q->lease_ms);
    const char *argv[] = {q->worker, sn, lease};
    redisReply *rep;
    int rc = cli_queue_eval(q->r, &q->keys, QS_CLAIM, &rep, 3, argv, NULL);
    if (rc != 0)
        return rc;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 4 ||
        rep->element[0]->type != REDIS_REPLY_ARRAY) {
        cli_redis_set_error(q->r, "unexpected reply to the claim script");
        freeReplyObject(rep);
        return CAFE_EIO;
    }
    redisReply *urls = rep->element[0];
    free(q->claimed);
    q->claimed = calloc(urls->elements + 1, sizeof(*q->claimed));
    q->nclaimed = q->next_claimed = 0;
    for (size_t i = 0; q->claimed && i < urls->elements; i++) {
        q->claimed[i] = urls->element[i]->str; /* steal the string */
        urls->element[i]->str = NULL;
        q->nclaimed++;
    }
    long long pending = rep->element[1]->integer, leased = rep->element[2]->integer;
    long long wait = rep->element[3]->integer;
    freeReplyObject(rep);
    /* Done when nothing is left anywhere; while other workers hold leases, wait: a lease
     * that expires (its worker died) is ours to take. */
    if (q->nclaimed)
        q->idle_ms = IDLE_FIRST_MS;
    *idle_ms = !q->follow && pending == 0 && leased == 0 ? -1
               : wait >= 0 && wait < q->idle_ms          ? wait + 5
                                                         : q->idle_ms;
    return q->claimed ? (int)q->nclaimed : CAFE_ENOMEM;
}

static int wait_freed(cli_queue_t *q) {
    cafe_event_clear(&q->freed);
    return cafe_event_wait(&q->freed);
}

int cli_queue_next(cli_queue_t *q, cli_run_t *run, const char **line, size_t *len) {
    int rc = q->started ? 0 : start(q, run);
    while (rc >= 0) {
        if (q->next_claimed < q->nclaimed) {
            size_t slot = run->next_seq % q->cap;
            if (q->ring[slot]) { /* an older URL of this slot is still out */
                rc = wait_freed(q);
                continue;
            }
            char *url = q->claimed[q->next_claimed++];
            q->ring[slot] = url;
            q->held++;
            *line = url;
            *len = strlen(url);
            return 1;
        }
        if (q->held + q->batch > q->limit) {
            rc = wait_freed(q);
            continue;
        }
        long long idle_ms = 0;
        rc = claim(q, q->limit - q->held, &idle_ms);
        if (rc != 0)
            continue;
        if (q->held > 0)
            rc = wait_freed(q); /* nothing new: look again once one of ours is done */
        else if (idle_ms < 0)
            return 0;
        else {
            rc = cafe_task_sleep((uint64_t)idle_ms);
            q->idle_ms = q->idle_ms * 2 > IDLE_MAX_MS ? IDLE_MAX_MS : q->idle_ms * 2;
        }
    }
    if (rc == CAFE_EIO)
        fprintf(stderr, "cafe titles: redis: %s\n", cli_redis_error(q->r));
    return rc;
}

/* The record as its --json line, without the newline. */
static char *json_line(const cli_record_t *rec, size_t *n) {
    char *buf = NULL;
    FILE *m = open_memstream(&buf, n);
    if (!m)
        return NULL;
    int rc = cli_output_record(m, CLI_FMT_JSON, rec);
    if (fclose(m) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    if (*n && buf[*n - 1] == '\n')
        buf[--*n] = 0;
    return buf;
}

int cli_queue_record(cli_queue_t *q, const cli_record_t *rec) {
    size_t slot = rec->seq % q->cap;
    char *url = q->ring[slot];
    size_t n;
    char *json = url ? json_line(rec, &n) : NULL;
    if (!json)
        return url ? -ENOMEM : 1;
    const char *argv[] = {q->worker, url, json, cli_record_failed(rec) ? "1" : "0"};
    size_t lens[] = {strlen(q->worker), strlen(url), n, 1};
    redisReply *rep;
    int rc = cli_queue_eval(q->r, &q->keys, QS_ACK, &rep, 4, argv, lens);
    free(json);
    if (rc != 0) {
        /* Interrupted: whether the ack happened is unknown; the URL stays held, so that
         * the release at the end puts it back if it is still ours. */
        if (rc == CAFE_ECANCELED || rc == CAFE_ETIMEDOUT)
            return 1;
        fprintf(stderr, "cafe titles: redis %s: %s\n", q->conf.display,
                rc == CAFE_EIO ? cli_redis_error(q->r) : cafe_strerror(rc));
        return -EIO;
    }
    int written = rep->integer == 1;
    freeReplyObject(rep);
    q->ring[slot] = NULL;
    free(url);
    q->held--;
    cafe_event_set(&q->freed);
    q->lost += !written;
    return written ? 0 : 1;
}

void cli_queue_finish(cli_queue_t *q) {
    if (!q->started)
        return;
    cafe_task_cancel(q->renewer);
    cafe_task_join(q->renewer, NULL);
    /* By owner, not by the URLs we know of: a claim interrupted by Ctrl-C may have leased URLs
     * to us whose names never arrived. */
    const char *argv[] = {q->worker};
    run_script(q, QS_RELEASE, 1, argv);
    cli_redis_close(q->r); /* on the loop: its libuv handle must close before the loop ends */
    q->r = NULL;
    if (q->lost && !q->quiet)
        fprintf(stderr,
                "cafe titles: %llu records not written: another worker had taken their URLs "
                "over (a longer --lease avoids that double work), or a repeated "
                "acknowledgement had gone through before a reconnect\n",
                (unsigned long long)q->lost);
}
