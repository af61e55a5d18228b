/* The writer: records leave in input order (or as they finish with --unordered) for the sink,
 * never twice, never lost; the sink says when each is written. */
#include "fetch.h"
#include "run.h"

#include <stdio.h>

/* Hands slot s's record to the sink. The record leaves the slot first: the slot is free for
 * the reader at once, and a sink that suspends (back-pressure) holds no slot meanwhile. */
static void write_one(cli_run_t *run, cli_slot_t *s) {
    int state = s->state, started = s->started;
    record_t rec = s->rec; /* the slot's copy is stale now: dispatch sets it whole */
    s->state = SLOT_FREE;
    if (state == SLOT_DROPPED) {
        *(started ? &run->dropped : &run->unstarted) += 1;
        run->dropped_waiting += (uint64_t)(started && s->waited);
    } else if (state == SLOT_DONE && !run->write_error) {
        int rc = sink_write(run->sink, &rec);
        if (rc == CAFE_ECANCELED && run->stopping) /* Ctrl-C while the sink made it wait */
            run->dropped++;                        /* not written: --resume redoes it */
        else if (rc < 0 && !run->write_error) {
            run->write_error = rc;
            if (!run->stopping) /* after Ctrl-C it stays the signal's stop (2) */
                run->stopping = 1;
        }
    }
    record_clear_keep(&rec, &s->spare); /* the slot's next record reuses its store */
}

/* Single-flight: a sink may suspend the writing task (a database batch is full), and a task
 * finishing meanwhile must not write the same slot again; the writing task's loop picks up
 * whatever finished while it waited. Each record is taken (next_write moves) before it is
 * written, so that the window's slot is free while the sink works. */
static void flush_ready(cli_run_t *run) {
    if (run->writing)
        return;
    run->writing = 1;
    for (;;) {
        cli_slot_t *s = &run->slots[run->next_write % run->window];
        if (run->next_write == run->next_seq || (s->state != SLOT_DONE && s->state != SLOT_DROPPED))
            break;
        run->next_write++;
        write_one(run, s);
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
    for (; !run->o->unordered && run->next_write < run->next_seq; run->next_write++) {
        cli_slot_t *s = &run->slots[run->next_write % run->window];
        if (s->state == SLOT_DONE || s->state == SLOT_DROPPED)
            write_one(run, s);
    }
    int rc = sink_finish(run->sink);
    if (rc < 0 && !run->write_error)
        run->write_error = rc;
}

void cli_run_failed(void *ctx, int code) {
    cli_run_t *run = ctx;
    if (run->write_error)
        return;
    run->write_error = code;
    if (!run->stopping) /* after Ctrl-C it stays the signal's stop (2) */
        run->stopping = 1;
    cli_run_output_failed(run);
    cafe_event_set(&run->progressed);
}

void cli_run_before_write(void *ctx) {
    cli_run_t *run = ctx;
    if (run->progress_drawn) /* records must not land behind the progress line */
        cli_progress_erase(run);
}

void cli_run_settled(void *ctx, const record_receipt_t *receipts, size_t n, int written) {
    cli_run_t *run = ctx;
    for (size_t i = 0; written && i < n; i++) {
        run->written++;
        if (record_receipt_failed(&receipts[i]))
            run->failed++;
        else
            run->ok++;
        run->kinds[cli_error_kind(receipts[i].error, receipts[i].status)]++;
    }
}
