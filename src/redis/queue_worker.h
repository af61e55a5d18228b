/* The state the queue's source (queue_source.c) and sink (queue_sink.c) share. Private to
 * src/redis. */
#ifndef CAFE_REDIS_QUEUE_WORKER_H
#define CAFE_REDIS_QUEUE_WORKER_H

#include "cafe.h"
#include "queue.h"

#include <stdatomic.h>

/* A URL handed to the run: its line's ref, and the string (owned here). A bad line is
 * queued as it was (a worker makes its error record), so it may hold a NUL byte: the length
 * goes with it everywhere. */
typedef struct held {
    uint64_t ref;
    char *url;
    size_t len;
} held_t;

typedef struct queue_worker {
    source_t source;
    sink_t sink;
    int refs; /* the source and the sink: freed when both are closed */
    const char *prog;
    redis_conf_t conf;
    queue_keys_t keys;
    redis_t *r; /* the run loop's connection, from the source's start to its finish */
    char worker[QUEUE_CLIENT_NAME_MAX];
    uint64_t lease_ms;
    long long idle_ms; /* the next idle wait */
    int follow, quiet, started;
    char *epoch;    /* the queue's epoch (QS_CLAIM) at the first claim that found it */
    int queue_gone; /* a later claim did not find it, or found another epoch */
    size_t batch, limit;
    /* URLs handed to the run (ring indexed by ref % cap; ref counts from 1) or claimed and
     * not yet handed out (claimed[next_claimed..nclaimed)). */
    held_t *ring;
    size_t cap, held;
    uint64_t last_ref;
    held_t *claimed;
    size_t nclaimed, next_claimed;
    cafe_event_t freed; /* a ring entry was freed, or the sink failed */
    int failed;         /* the sink failed: the run stops, and the reader ends */
    cafe_task_t *renewer;
    /* URLs whose ACK's reply came: their receipts in Redis are forgotten by the renewer
     * (queue_worker_forget). */
    held_t *acked;
    size_t nacked, acked_cap;
    uint64_t lost;
    /* Ctrl-C (the source's abort, from any thread): from then on each Redis call is
     * bounded, and after one found Redis unanswering (stopped, gone and being retried) the
     * others are not even tried (gave_up): the worker ends, its URLs come back when their
     * leases end. */
    atomic_int stopping;
    int gave_up;
} queue_worker_t;

/* Fills w->sink (queue_sink.c). */
void queue_sink_init(queue_worker_t *w);
/* Frees the ring entry of ref (the sink is done with its URL). */
void queue_worker_release(queue_worker_t *w, held_t *h);
/* The same for a URL whose ACK wrote its record: its URL is kept for queue_worker_forget. */
void queue_worker_acked(queue_worker_t *w, held_t *h);
/* FORGET: the receipts of the URLs acked so far (from a task), QUEUE_FORGET_MAX per call;
 * the renewer calls it, and the sink once that many are waiting. */
#define QUEUE_FORGET_MAX 1000
void queue_worker_forget(queue_worker_t *w);
/* A Redis call of the sink or the source's end: after Ctrl-C, begins a deadline on d and
 * returns 1 (end it with queue_worker_bound_end), or returns CAFE_ETIMEDOUT when an earlier
 * call gave up. Else 0: no bound. */
int queue_worker_bound(queue_worker_t *w, cafe_deadline_t *d);
void queue_worker_bound_end(queue_worker_t *w, cafe_deadline_t *d);
/* Drops one reference; the last frees w. */
void queue_worker_unref(queue_worker_t *w);

#endif
