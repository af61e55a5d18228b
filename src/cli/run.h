/* State of one `cafe titles` run, shared by its reader, fetchers, writer and progress. */
#ifndef CAFE_CLI_RUN_H
#define CAFE_CLI_RUN_H

#include "ahead.h"
#include "cafe.h"
#include "fetch.h"
#include "keyset.h"
#include "opts.h"
#include "record.h"
#include "sink.h"
#include "source.h"
#include "workers.h"

#include <stdio.h>

enum { SLOT_FREE = 0, SLOT_BUSY, SLOT_DONE, SLOT_DROPPED };

typedef struct cli_slot {
    record_t rec;
    int state;
    /* SLOT_BUSY: the fetch task (NULL until it runs), and whether its request started (left
     * the HTTP limits' queues) and is now between tries (retrying): --drain lets started ones
     * finish their try in curl and cancels the others, and those waiting to retry. */
    cafe_task_t *task;
    int started, retrying;
    int waited; /* SLOT_DROPPED: it was cancelled while waiting to try again, not in flight */
    struct cli_run *run;  /* the run it belongs to (its fetch task's way back) */
    record_store_t spare; /* the store of the slot's last record, for its next one */
    cli_remote_t remote;  /* --threads: its trip to a worker and back */
} cli_slot_t;

typedef struct cli_run {
    cli_opts_t *o;
    source_t *source;    /* where URL lines come from (a file, the queue) */
    sink_t *sink;        /* where records go (the formatted stream, the queue) */
    keyset_t done_set;   /* --resume: URLs the sink already holds */
    keyset_t failed_set; /* --resume: of those, the URLs whose record is a failure */
    int writing;         /* a task is in flush_ready (writer.c), maybe waiting on the sink */
    int progress_drawn;  /* the progress line is on stderr's terminal, which stdout shares:
                            the writer clears it before a record goes there */
    int progress_cols;   /* columns the progress line covers on stderr (0: none drawn) */
    int progress_dumb;   /* stderr's terminal knows no escape sequences (TERM=dumb) */
    /* Ordered output: records wait in a window of `window` slots indexed by seq % window;
     * the reader may not start seq until seq - next_write < window. */
    cli_slot_t *slots;
    size_t window;
    uint64_t next_seq, next_write;
    cafe_event_t progressed; /* set whenever a record leaves the window */
    /* The fetch tasks kept ahead of the transfer slots (ahead.h); with --threads, each
     * worker keeps its own and the main loop only the window. */
    cli_ahead_t ahead;
    cli_workers_t *workers; /* --threads: NULL for one */
    size_t threads_used;    /* after the run: cli_workers_underused (0: -c was all used) */
    cafe_group_t fetchers;
    cli_fetch_pool_t titles; /* extractors the fetchers reuse */
    cafe_task_t *reader;
    int stopping, input_error;
    int stop_signum;   /* the signal that stopped the run (stopping 2) */
    int setup_error;   /* the source or the sink could not start: exit 2, no summary */
    int write_error;   /* -errno or CAFE_E* of the sink's failure, 0 while it works */
    int queue_stopped; /* after write_error: the fetches were cancelled */
    uint64_t started_ms, total_lines, skipped;
    uint64_t skipped_failed; /* of skipped, those whose record is a failure: for --fail */
    /* in_flight: requests started and not finished; dropped: cut short by Ctrl-C after they
     * started (or finished but not written), unstarted: before; drained: in flight at the
     * interrupt with --drain. None of them has a record: --resume fetches them. */
    uint64_t written, ok, failed, in_flight, dropped, unstarted, drained;
    uint64_t dropped_waiting; /* of dropped, those cancelled while waiting to try again */
    uint64_t retrying;        /* of in_flight, those waiting to try again (one thread: see
                                 cli_run_in_flight) */
    uint64_t kinds[CLI_KINDS];
} cli_run_t;

/* Writer (writer.c): a record is finished; write it now or when its turn comes. */
void cli_run_finish(cli_run_t *run, uint64_t seq);
/* Writes every finished record still held back (shutdown), in order, skipping holes, and
 * flushes the sink. */
void cli_run_flush_all(cli_run_t *run);
/* The sink's listener: counts what it settled (written only when it says so). */
/* The sink is about to write to its output: clears the progress line first (writer.c). */
void cli_run_before_write(void *ctx);
void cli_run_settled(void *ctx, const record_receipt_t *receipts, size_t n, int written);
/* The sink failed in a task of its own: the run's write error, as a failed write's. */
void cli_run_failed(void *ctx, int code);
/* The output failed (write_error is set): nothing more is fetched (titles.c). */
void cli_run_output_failed(cli_run_t *run);

/* Requests really in flight: started and not finished (run->in_flight), less those only
 * waiting to try again (on one thread run->retrying, with --threads the workers' count). */
uint64_t cli_run_in_flight(const cli_run_t *run);

/* Progress line and summary on stderr (progress.c). */
int cli_progress_task(void *arg, void **value);
/* Clears the progress line, when one is drawn, so that the next output starts a clean line. */
void cli_progress_erase(cli_run_t *run);
void cli_summary(cli_run_t *run, int interrupted);
/* Monotonic milliseconds. */
uint64_t cli_now_ms(void);

#endif
