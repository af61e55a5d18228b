/* The queue as a record sink: each record goes to the results stream and its URL is
 * acknowledged in the same script, so no URL ever gets two records. */
#include "format.h"
#include "queue_worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W(s) ((queue_worker_t *)((char *)(s)-offsetof(queue_worker_t, sink)))

/* The record as its --json line, without the newline. */
static char *json_line(const record_t *rec, size_t *n) {
    char *buf;
    if (format_record_dup(RECORD_FMT_JSON, rec, &buf, n) != 0)
        return NULL;
    if (*n && buf[*n - 1] == '\n')
        buf[--*n] = 0;
    return buf;
}

/* ACK: 1 when the record was written (2: by this ACK's first sending, before a reconnect),
 * 0 when the lease was no longer ours; or a negative code. */
static int ack(queue_worker_t *w, const held_t *h, const record_t *rec) {
    size_t n;
    char *json = json_line(rec, &n);
    if (!json)
        return -ENOMEM;
    const char *argv[] = {w->worker, h->url, json, record_failed(rec) ? "1" : "0"};
    size_t lens[] = {strlen(w->worker), h->len, n, 1};
    redisReply *rep;
    int rc = queue_eval(w->r, &w->keys, QS_ACK, &rep, 4, argv, lens);
    free(json);
    if (rc != 0)
        return rc;
    int written = rep->type == REDIS_REPLY_INTEGER && (rep->integer == 1 || rep->integer == 2);
    freeReplyObject(rep);
    return written;
}

static int queue_write(sink_t *s, const record_t *rec) {
    queue_worker_t *w = W(s);
    held_t *h = w->cap ? &w->ring[rec->source_ref % w->cap] : NULL;
    record_receipt_t receipt = record_receipt(rec);
    if (!w->r || !h || !h->url || h->ref != rec->source_ref) {
        sink_settle(s, &receipt, 1, 0); /* not a URL of ours (any more) */
        return 0;
    }
    cafe_deadline_t d;
    int rc = queue_worker_bound(w, &d);
    if (rc >= 0) {
        int bound = rc;
        rc = ack(w, h, rec);
        if (bound)
            queue_worker_bound_end(w, &d);
    }
    /* Interrupted: whether the ack happened is unknown; the URL stays held, so that the
     * release at the end puts it back if it is still ours. */
    if (rc == CAFE_ECANCELED || rc == CAFE_ETIMEDOUT) {
        sink_settle(s, &receipt, 1, 0);
        return 0;
    }
    if (rc < 0) {
        /* The run stops writing; the reader waited for the URLs held to be settled, which
         * they never are now, and the worker never ended. The cause is why, which the run
         * prints once ("writing the queue's results: ..."); printed here too, it was
         * followed by a second line with only the code. */
        w->failed = 1;
        cafe_event_set(&w->freed);
        return sink_fail(s, -EIO, "redis %s: %s", w->conf.display,
                         rc == CAFE_EIO || rc == CAFE_ECONNRESET || rc == CAFE_ECONNREFUSED
                             ? redis_error(w->r)
                             : cafe_strerror(rc));
    }
    if (rc)
        queue_worker_acked(w, h);
    else
        queue_worker_release(w, h);
    w->lost += !rc;
    sink_settle(s, &receipt, 1, rc);
    /* A fast worker's receipts wait for no renewal: at most QUEUE_FORGET_MAX of them. */
    if (w->nacked >= QUEUE_FORGET_MAX && !atomic_load(&w->stopping))
        queue_worker_forget(w);
    return 0;
}

/* Every record is acknowledged when written: nothing waits. */
static int queue_finish_sink(sink_t *s) {
    return 0;
}

static void queue_sink_close(sink_t *s) {
    queue_worker_unref(W(s));
}

static const sink_ops_t queue_sink_ops = {
    .write = queue_write,
    .finish = queue_finish_sink,
    .close = queue_sink_close,
};

void queue_sink_init(queue_worker_t *w) {
    w->sink = (sink_t){.ops = &queue_sink_ops, .what = "the queue's results"};
}
