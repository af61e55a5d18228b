/* The sink calls: the interface's optional parts filled in. */
#include "sink.h"

#include <stdarg.h>
#include <stdio.h>

long sink_load_done(sink_t *s, keyset_t *done) {
    return s->ops->load_done ? s->ops->load_done(s, done) : 0;
}

int sink_start(sink_t *s) {
    return s->ops->start ? s->ops->start(s) : 0;
}

int sink_write(sink_t *s, const record_t *rec) {
    return s->ops->write(s, rec);
}

int sink_finish(sink_t *s) {
    return s->ops->finish(s);
}

void sink_salvage(sink_t *s) {
    if (s->ops->salvage)
        s->ops->salvage(s);
}

void sink_close(sink_t *s) {
    if (s)
        s->ops->close(s);
}

void sink_settle(sink_t *s, const record_receipt_t *receipts, size_t n, int written) {
    if (s->listener.settled && n)
        s->listener.settled(s->listener.ctx, receipts, n, written);
}

int sink_fail(sink_t *s, int rc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    return rc;
}
