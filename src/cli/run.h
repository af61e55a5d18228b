/* State of one `cafe titles` run, shared by its reader, fetchers, writer and progress. */
#ifndef CAFE_CLI_RUN_H
#define CAFE_CLI_RUN_H

#include "cafe.h"
#include "fetch.h"
#include "input.h"
#include "opts.h"
#include "queue.h"
#include "record.h"
#include "resume.h"
#include "sink_db.h"

#include <stdio.h>

enum { SLOT_FREE = 0, SLOT_BUSY, SLOT_DONE, SLOT_DROPPED };

typedef struct cli_slot {
    cli_record_t rec;
    int state;
} cli_slot_t;

typedef struct cli_run {
    cli_opts_t *o;
    cli_input_t *in;
    cli_queue_t *queue; /* --queue: URLs come from and records go to Redis instead */
    FILE *out;
    sink_db_t *db; /* --db: records go to a database instead of out */
    int db_failed; /* the database refused at open or failed; its message is printed */
    int writing;   /* a task is in flush_ready (writer.c), maybe waiting on the sink */
    /* Records formatted but not yet written (writer.c): a memory stream over pending_buf. */
    FILE *pending;
    char *pending_buf;
    size_t pending_len;
    cafe_event_t flush_due; /* wakes the flusher task */
    cafe_task_t *flusher;   /* NULL if it could not be spawned */
    int flush_armed;        /* flush_due set and not yet acted on */
    cli_urlset_t done_set;  /* --resume: URLs already in the output */
    /* Ordered output: records wait in a window of `window` slots indexed by seq % window;
     * the reader may not start seq until seq - next_write < window. */
    cli_slot_t *slots;
    size_t window;
    uint64_t next_seq, next_write;
    cafe_event_t progressed; /* set whenever a record is written or dropped */
    cafe_group_t fetchers;
    cafe_task_t *reader;
    int stopping, write_error, input_error;
    uint64_t started_ms, total_lines, skipped;
    uint64_t written, ok, failed, in_flight, dropped;
    uint64_t kinds[CLI_KINDS];
} cli_run_t;

/* Writer (writer.c): a record is finished; write it now or when its turn comes. */
void cli_run_finish(cli_run_t *run, uint64_t seq);
/* Writes every finished record still held back (shutdown), in order, skipping holes, and
 * flushes them. */
void cli_run_flush_all(cli_run_t *run);
/* Writes the formatted records to run->out in one write(). Returns 0 or the errno that is
 * now run->write_error. */
int cli_run_flush(cli_run_t *run);
/* The task that calls cli_run_flush once per loop turn in which records were formatted;
 * returns when cancelled (after a last flush). */
int cli_run_flusher_task(void *arg, void **value);

/* Progress line and summary on stderr (progress.c). */
int cli_progress_task(void *arg, void **value);
void cli_summary(cli_run_t *run, int interrupted);
/* Monotonic milliseconds. */
uint64_t cli_now_ms(void);

#endif
