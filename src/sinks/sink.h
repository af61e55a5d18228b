/* A record sink: where finished records go. `cafe titles` (and a `cafe serve` job) hands each
 * record to a sink without knowing which one it has: the formatted stream (stream.h: text,
 * JSON Lines, CSV to a file or stdout), the Redis queue's results (src/redis/queue.h), a
 * database. A new place to write is one new file that fills a sink_ops_t.
 *
 * The life of a sink, all calls from tasks of one loop except open and close:
 *
 *     open (the sink's own constructor, e.g. sink_stream_open)     no loop needed
 *     load_done   keys already held, for --resume                  task; optional
 *     start       connect, create, write a header                  task; optional
 *     write ...   one call per record, in output order             task; may suspend
 *     finish      write out everything accepted, stop              task; may suspend
 *     close       free                                             anywhere, after finish
 *
 * Accepted, settled, written. write() *accepts* a record: it copies or encodes what it needs
 * before it returns (the record stays valid during the call, suspended or not, and is freed
 * by the caller right after). A record is *written* only once it is durable: the stream's bytes
 * handed to the kernel, a database batch committed, the queue's acknowledgement done. The
 * sink reports that by *settling* records through its listener, in the order it accepted
 * them, each exactly once: written, or not written (the queue's lease went to another
 * worker, which writes it instead). The run counts a record as written only when settled,
 * and --resume trusts only what load_done finds; so a batch lost to a crash is fetched again,
 * never counted twice.
 *
 * What each kind of sink may do within this contract:
 *  - A database sink batches: write appends to the open batch and returns; when the batch is
 *    full (or at finish) it commits and settles the whole batch. write may suspend while a
 *    commit is in flight (back-pressure): the run then waits instead of piling up records.
 *  - The stream sink buffers what is written in one loop turn and hands it to the kernel in
 *    one write() before the loop next waits (stream.c), settling after it. It never holds
 *    records across a wait.
 *  - The queue's sink writes and acknowledges each record in one script, settling it then.
 *
 * Order and concurrency: several tasks may call write at once (records finish in many fetch
 * tasks). The order of records is the order of the calls; a sink that suspends inside write
 * must keep that order for the calls that arrive meanwhile (a FIFO lock: cafe_sem_t serves
 * waiters in order).
 *
 * Errors: every call that can fail returns 0 or a negative code (-errno or CAFE_E*), with
 * `why` set when the code alone would not say enough; after a failed write or finish the
 * run stops. A failure found later (a commit that failed after write
 * returned) is returned by the next write or finish; the records not settled by then are not
 * written (a resumed run fetches them again). */
#ifndef CAFE_SINKS_SINK_H
#define CAFE_SINKS_SINK_H

#include "keyset.h"
#include "record.h"

#include <stddef.h>

typedef struct sink sink_t;

/* Who is told when records settle (the run's counters, a job's progress). settled(ctx,
 * receipts, n, written): the next n records the sink accepted (in acceptance order) are
 * written (written = 1) or will never be written by this sink (0). Runs on the loop's
 * thread, from a task or a libuv callback (never on a foreign thread); it must not suspend. */
typedef struct sink_listener {
    void *ctx;
    void (*settled)(void *ctx, const record_receipt_t *receipts, size_t n, int written);
    /* Optional: the stream sink is about to write records to its output, e.g. to clear a
     * progress line drawn on the terminal the output shares. Same thread rules. */
    void (*before_write)(void *ctx);
    /* Optional: the sink failed outside a call, in a task of its own (the stream's flusher:
     * its write() met a closed pipe, a full disk), with code, which its next write or finish
     * returns. Told at once, so that the run stops fetching what it could not write. */
    void (*failed)(void *ctx, int code);
} sink_listener_t;

typedef struct sink_ops {
    /* Optional (NULL: the sink holds nothing to resume from). Adds to done the key (the url
     * column) of every record the sink already holds, and returns how many it found, or a
     * negative code. May repair what a crash left (the stream cuts a torn last line).
     * Called before start. */
    long (*load_done)(sink_t *s, keyset_t *done);
    /* Optional. Gets ready to write: open, connect, create the table, write a header.
     * 0 or a negative code. */
    int (*start)(sink_t *s);
    /* Accepts one record (see above). 0 or a negative code. */
    int (*write)(sink_t *s, const record_t *rec);
    /* The last call in the loop: writes and settles everything accepted, waiting for it,
     * and stops the sink's own tasks. 0 or a negative code. */
    int (*finish)(sink_t *s);
    /* Optional. The process is about to _exit (a second Ctrl-C): hand over at once what
     * can be handed over without waiting (a stream's buffer). Must not suspend. */
    void (*salvage)(sink_t *s);
    /* Optional. The run is being stopped (the first Ctrl-C or SIGTERM): what the sink would
     * wait for without end from now on (another program's lock on a database) it waits for
     * no longer than its bound, and fails instead, its records not settled not written (a
     * resumed run fetches them). Must not suspend; on the loop's thread. */
    void (*interrupt)(sink_t *s);
    /* Frees the sink (after finish; records accepted and not settled are dropped). */
    void (*close)(sink_t *s);
} sink_ops_t;

/* Every sink starts with this. */
struct sink {
    const sink_ops_t *ops;
    const char *what;         /* for messages: "out.json", "standard output", "the queue" */
    sink_listener_t listener; /* set by the user before start; may stay empty */
    /* Set by the user before finish when the run was cut short (Ctrl-C): a database
     * records that the run was interrupted rather than done. */
    int interrupted;
    /* Set instead when whoever started the run stopped it for good (a `cafe serve` job's
     * DELETE): a database records that the run was cancelled. */
    int cancelled;
    /* Set instead when the run was stopped by an error outside the sink (a `cafe serve`
     * job whose own file could not be written): a database records that the run failed, as
     * when the database itself fails. */
    int failed;
    /* Optional, set by the user before load_done: where the sink adds the key of each record
     * it holds that is a failure (record_failed), so that a resumed run ends as the whole
     * run would have (--fail). The stream and database sinks fill it; a sink that does not
     * (the queue's) leaves it as it was. */
    keyset_t *failed_keys;
    /* Set by the sink when a call fails and its code alone would not say enough: the whole
     * message for the user ("cannot open out.json: Permission denied", the database's own
     * words); empty otherwise. Room for a database's whole message (SINK_WHY_MAX, 512:
     * a table's columns named one by one) and the words a sink adds to it. */
    char why[1024];
};

/* The calls, with the optional ops filled in. sink_close(NULL) does nothing. */
long sink_load_done(sink_t *s, keyset_t *done);
int sink_start(sink_t *s);
int sink_write(sink_t *s, const record_t *rec);
int sink_finish(sink_t *s);
void sink_salvage(sink_t *s);
void sink_interrupt(sink_t *s);
void sink_close(sink_t *s);

/* For sink implementations: tells the listener. */
void sink_settle(sink_t *s, const record_receipt_t *receipts, size_t n, int written);

/* For sink implementations that settle later than write: the receipts of the records
 * accepted and not settled yet, oldest first. Zeroed memory is an empty one. reserve makes
 * room for one more (0 or CAFE_ENOMEM), so that add, after the record was taken, cannot
 * fail; settle settles the oldest k (all of them when k exceeds the count). */
typedef struct sink_pending {
    record_receipt_t *r;
    size_t head, n, cap; /* r[head..n) */
} sink_pending_t;

int sink_pending_reserve(sink_pending_t *p);
void sink_pending_add(sink_pending_t *p, const record_t *rec);
size_t sink_pending_count(const sink_pending_t *p);
void sink_pending_settle(sink_t *s, sink_pending_t *p, size_t k, int written);
void sink_pending_free(sink_pending_t *p);
/* For sink implementations: sets s->why (printf-style) and returns rc. */
int sink_fail(sink_t *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
