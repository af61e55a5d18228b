/* --threads N: `cafe titles` fetching on N loops, each on a thread of its own with its own
 * HTTP client, where one loop's CPU (TLS handshakes above all) limits the rate. The main
 * loop keeps everything else: the reader, the order of the output, the sink, the progress
 * line and Ctrl-C. Each origin's URLs go to one worker (origins.h), so that its connections,
 * its --per-host limit and its politeness stay in one client; -c, --rate, --dns-concurrency
 * and the connection cache are shared out among the workers. */
#ifndef CAFE_CLI_WORKERS_H
#define CAFE_CLI_WORKERS_H

#include "cafe.h"
#include "dlist.h"

#include <stddef.h>
#include <stdint.h>

struct cli_slot;
struct cli_worker;

/* A message between the main loop and a worker: intrusive, so posting one allocates
 * nothing. A slot's messages are each posted at most once per record, and each is taken
 * before the next one of its kind can be posted (a worker posts `done` after it took `job`;
 * the main loop reuses the slot after it took `done`). */
typedef struct cli_msg {
    struct cli_msg *next;
    int kind;
    struct cli_slot *slot;
} cli_msg_t;

/* A slot's trip to a worker and back. The record and these fields belong to the worker from
 * its taking `job` until its posting `done`, and to the main loop otherwise. */
typedef struct cli_remote {
    cli_msg_t msg_job, msg_started, msg_done;
    struct cli_worker *worker;
    dlist_link_t link;         /* the worker's queue of jobs not spawned yet, or its running ones */
    cafe_task_t *task;         /* the worker's task fetching it, once that runs */
    int started;               /* its request left the worker's HTTP limits' queues */
    int retrying;              /* the worker's own: it waits between two tries */
    int waited;                /* with `done`: its fetch ended while it waited to try again */
    int fetched;               /* with `done`: 0 when the stop came before its fetch began */
    struct cli_origin *origin; /* the main loop's own: its origin's entry (origins.h) */
} cli_remote_t;

typedef struct cli_workers cli_workers_t;

/* What the workers need from the run, given to cli_workers_start. */
typedef struct cli_workers_conf {
    size_t threads, concurrency;
    uint64_t affinity_ms; /* how long an idle origin stays with its worker (origins.h) */
    /* In each worker's loop before its first fetch: set its HTTP limits and resolver with
     * its share of -c (share) and of the rest; a negative return fails the start. */
    int (*setup)(void *ctx, size_t share, size_t threads);
    void *ctx;
    /* In the main loop: the request of slot arg started (its worker's HTTP client said so),
     * as cli_fetch's on_start says it without workers. */
    cafe_http_start_cb started;
    /* In the main loop's collector task (may suspend): a slot's record is finished;
     * fetched says whether it was fetched at all (not when the stop came first). */
    void (*finished)(struct cli_slot *s, int fetched);
    const struct cli_opts *o; /* what each worker fetches with (cli_fetch) */
} cli_workers_conf_t;

/* Starts the workers' threads and waits until each loop is ready; in a task of the main loop.
 * Returns 0 and *out (free it with cli_workers_stop), or a negative code after undoing
 * what it started. */
int cli_workers_start(cli_workers_t **out, const cli_workers_conf_t *conf);
/* Sends s (its record's url set) to its origin's worker. Never waits. */
void cli_workers_post(cli_workers_t *ws, struct cli_slot *s);
/* The main loop's collector: hands each finished record to conf->finished, until
 * cli_workers_close was called and every posted record came back. Spawn it in a task. */
int cli_workers_collect(void *ws, void **value);
/* No more posts: the collector ends once the records posted came back. */
void cli_workers_close(cli_workers_t *ws);
/* Ctrl-C, or the output failed: each worker fetches nothing more, and cancels what it fetches
 * (drain: only the requests that have not started). From a callback or a task; only the
 * first call counts. */
void cli_workers_interrupt(cli_workers_t *ws, int drain);
/* The URLs whose request started and now waits to be tried again (not in flight), over the
 * workers, as the workers last wrote it: from the main loop. */
size_t cli_workers_retrying(cli_workers_t *ws);
/* When URLs waited in a worker for its share of -c while some workers never got any (fewer
 * origins than threads: that part of -c went unused), how many workers got URLs; else 0. */
size_t cli_workers_underused(const cli_workers_t *ws);
/* After the collector ended: ends the workers' loops, joins their threads and frees ws. */
void cli_workers_stop(cli_workers_t *ws);

#endif
