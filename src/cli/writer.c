/* The writer: records leave in input order (or as they finish with --unordered), each one
 * flushed as soon as it is written, never twice, never lost. */
#include "dbsink.h"
#include "fetch.h"
#include "output.h"
#include "run.h"

#include <errno.h>
#include <string.h>

static void write_one(cli_run_t *run, cli_slot_t *s) {
    if (s->state == SLOT_DONE && !run->write_error) {
        int rc = run->queue ? cli_queue_record(run->queue, &s->rec)
                 : run->db  ? cli_db_record(run->db, &s->rec)
                            : cli_output_record(run->out, run->o->fmt, &s->rec);
        if (rc < 0) {
            run->write_error = -rc;
            run->stopping = 1;
        } else if (rc == 0) { /* 1: not written (the queue gave the URL to another worker) */
            run->written++;
            if (cli_record_failed(&s->rec))
                run->failed++;
            else
                run->ok++;
            run->kinds[cli_error_kind(&s->rec)]++;
        }
    }
    if (s->state == SLOT_DROPPED)
        run->dropped++;
    cli_record_clear(&s->rec);
    s->state = SLOT_FREE;
}

static void flush_ready(cli_run_t *run) {
    for (;;) {
        cli_slot_t *s = &run->slots[run->next_write % run->window];
        if (run->next_write == run->next_seq || (s->state != SLOT_DONE && s->state != SLOT_DROPPED))
            break;
        write_one(run, s);
        run->next_write++;
    }
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
    if (run->o->unordered)
        return;
    for (; run->next_write < run->next_seq; run->next_write++) {
        cli_slot_t *s = &run->slots[run->next_write % run->window];
        if (s->state == SLOT_DONE || s->state == SLOT_DROPPED)
            write_one(run, s);
    }
}
