/* The stream sink. Each record is formatted and flushed as it is written, so that a record
 * on disk is whole or absent (but for a crash mid-write, which --resume repairs), and is
 * settled at once. */
#include "stream.h"
#include "cafe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stream {
    sink_t sink; /* first: the sink_t * is the stream_t * */
    const char *path;
    record_format_t fmt;
    int append;
    FILE *f;
} stream_t;

static long stream_load_done(sink_t *s, keyset_t *done, const char **why) {
    stream_t *st = (stream_t *)s;
    *why = NULL;
    return st->path ? stream_resume_load(st->path, st->fmt, done, why) : 0;
}

static int stream_start(sink_t *s, const char **why) {
    stream_t *st = (stream_t *)s;
    st->f = st->path ? fopen(st->path, st->append ? "a" : "w") : stdout;
    if (!st->f) {
        *why = "cannot open";
        return -errno;
    }
    /* A file resumed already has its header (if it has anything). */
    if (ftell(st->f) > 0)
        return 0;
    return format_header(st->f, st->fmt);
}

static int stream_write(sink_t *s, const record_t *rec) {
    stream_t *st = (stream_t *)s;
    int rc = format_record(st->f, st->fmt, rec);
    if (rc != 0)
        return rc;
    record_receipt_t r = record_receipt(rec);
    sink_settle(s, &r, 1, 1);
    return 0;
}

static int stream_flush(sink_t *s) {
    stream_t *st = (stream_t *)s;
    return !st->f || fflush(st->f) == 0 ? 0 : -errno;
}

static void stream_salvage(sink_t *s) {
    stream_t *st = (stream_t *)s;
    if (st->f)
        (void)fflush(st->f); /* about to _exit: nothing more can be done about a failure */
}

static void stream_close(sink_t *s) {
    stream_t *st = (stream_t *)s;
    if (st->f && st->f != stdout)
        (void)fclose(st->f); /* flush reported the errors; the descriptor goes either way */
    free(st);
}

static const sink_ops_t stream_ops = {
    .load_done = stream_load_done,
    .start = stream_start,
    .write = stream_write,
    .flush = stream_flush,
    .salvage = stream_salvage,
    .close = stream_close,
};

int sink_stream_open(sink_t **out, const char *path, record_format_t fmt, int append) {
    stream_t *st = calloc(1, sizeof(*st));
    *out = st ? &st->sink : NULL;
    if (!st)
        return CAFE_ENOMEM;
    st->sink.ops = &stream_ops;
    st->sink.what = path ? path : "standard output";
    st->path = path;
    st->fmt = fmt;
    st->append = append;
    return 0;
}
