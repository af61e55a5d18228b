/* The sink calls: the interface's optional parts filled in. */
#include "sink.h"

#include "cafe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void sink_interrupt(sink_t *s) {
    if (s->ops->interrupt)
        s->ops->interrupt(s);
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

int sink_pending_reserve(sink_pending_t *p) {
    if (p->n < p->cap)
        return 0;
    if (p->head > 0) { /* slide the unsettled ones to the front */
        memmove(p->r, p->r + p->head, (p->n - p->head) * sizeof(*p->r));
        p->n -= p->head;
        p->head = 0;
        return 0;
    }
    size_t cap = p->cap ? p->cap * 2 : 64;
    record_receipt_t *r = realloc(p->r, cap * sizeof(*r));
    if (!r)
        return CAFE_ENOMEM;
    p->r = r;
    p->cap = cap;
    return 0;
}

void sink_pending_add(sink_pending_t *p, const record_t *rec) {
    p->r[p->n++] = record_receipt(rec);
}

size_t sink_pending_count(const sink_pending_t *p) {
    return p->n - p->head;
}

void sink_pending_settle(sink_t *s, sink_pending_t *p, size_t k, int written) {
    if (k > sink_pending_count(p))
        k = sink_pending_count(p);
    if (k == 0)
        return;
    size_t at = p->head;
    p->head += k; /* first: a listener that writes again finds a consistent queue */
    if (p->head == p->n)
        p->head = p->n = 0;
    sink_settle(s, p->r + at, k, written);
}

void sink_pending_free(sink_pending_t *p) {
    free(p->r);
    *p = (sink_pending_t){0};
}
