/* The writer: records leave in input order (or as they finish with --unordered), never
 * twice, never lost.
 *
 * Records finished in one loop turn leave together, in one write(): each is formatted into
 * run->pending, a memory stream, and the first one of a turn wakes the flusher task. That
 * task becomes ready behind every task already made ready, and the loop never waits for I/O
 * while a task is ready, so a record is on its way to the kernel before the loop can block:
 * never held across a wait. A write() is whole records, so a SIGKILL leaves the file with
 * whole records or a torn last one, which --resume detects (resume.c). */
#include "dbsink.h"
#include "fetch.h"
#include "output.h"
#include "run.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void count(cli_run_t *run, const cli_record_t *r) {
    run->written++;
    if (cli_record_failed(r))
        run->failed++;
    else
        run->ok++;
    run->kinds[cli_error_kind(r)]++;
}

static void write_one(cli_run_t *run, cli_slot_t *s) {
    if (s->state == SLOT_DONE && !run->write_error) {
        int rc = run->queue ? cli_queue_record(run->queue, &s->rec)
                 : run->db  ? cli_db_record(run->db, &s->rec)
                            : cli_output_record(run->pending, run->o->fmt, &s->rec);
        if (rc < 0) {
            run->write_error = -rc;
            run->stopping = 1;
        } else if (rc == 0) { /* 1: not written (the queue gave the URL to another worker) */
            count(run, &s->rec);
        }
        if (rc == 0 && !run->queue && !run->flusher)
            cli_run_flush(run);
        else if (rc == 0 && !run->queue && !run->flush_armed) {
            run->flush_armed = 1;
            cafe_event_set(&run->flush_due);
        }
    }
    if (s->state == SLOT_DROPPED)
        run->dropped++;
    cli_record_clear(&s->rec);
    s->state = SLOT_FREE;
}

int cli_run_flush(cli_run_t *run) {
    run->flush_armed = 0;
    if (!run->pending || fflush(run->pending) != 0)
        return run->pending ? (run->write_error = errno ? errno : EIO) : 0;
    const char *p = run->pending_buf;
    size_t left = run->pending_len;
    while (left > 0 && !run->write_error) {
        ssize_t n = write(fileno(run->out), p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            run->write_error = n < 0 ? errno : EIO;
            run->stopping = 1;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    rewind(run->pending); /* the stream's size follows its position: empty again */
    return run->write_error;
}

int cli_run_flusher_task(void *arg, void **value) {
    cli_run_t *run = arg;
    for (;;) {
        int rc = cafe_event_wait(&run->flush_due);
        cafe_event_clear(&run->flush_due);
        cli_run_flush(run);
        if (rc != 0)
            return 0;
    }
}

/* Single-flight: a sink may suspend the writing task (a database batch is full), and a task
 * finishing meanwhile must not write the same slot again; the writing task's loop picks up
 * whatever finished while it waited. */
static void flush_ready(cli_run_t *run) {
    if (run->writing)
        return;
    run->writing = 1;
    for (;;) {
        cli_slot_t *s = &run->slots[run->next_write % run->window];
        if (run->next_write == run->next_seq || (s->state != SLOT_DONE && s->state != SLOT_DROPPED))
            break;
        write_one(run, s);
        run->next_write++;
    }
    run->writing = 0;
    cafe_event_set(&run->progressed);
}

void cli_run_finish(cli_run_t *run, uint64_t seq) {
    cli_slot_t *s = &run->slots[seq % run->window];
    if (run->o->unordered) {
        write_one(run, s);
        cafe_event_set(&run->progressed);
        return;
    }
    flush_ready(run);
}

void cli_run_flush_all(cli_run_t *run) {
    if (!run->o->unordered) {
        for (; run->next_write < run->next_seq; run->next_write++) {
            cli_slot_t *s = &run->slots[run->next_write % run->window];
            if (s->state == SLOT_DONE || s->state == SLOT_DROPPED)
                write_one(run, s);
        }
    }
    cli_run_flush(run);
}
