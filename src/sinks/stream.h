/* The stream sink: records as the guide's text lines, JSON Lines or CSV, to a file or to
 * standard output; --resume reads the file back (see sink.h for the interface). */
#ifndef CAFE_SINKS_STREAM_H
#define CAFE_SINKS_STREAM_H

#include "format.h"
#include "keyset.h"
#include "sink.h"

/* A sink writing fmt to path (NULL: standard output). append: keep what path holds and add
 * after it (--resume; its load_done then reads what is there). Nothing is opened before
 * start. Returns 0 or CAFE_ENOMEM; free with sink_close. */
int sink_stream_open(sink_t **out, const char *path, record_format_t fmt, int append);

/* --resume's reader (stream_resume.c). Reads the records of path into set. A last line that
 * is torn (no newline, or does not parse) is cut off: the file is truncated to the end of the
 * last complete record, so the URL is fetched again. A bad line with lines after it is not a
 * tear: CAFE_EINVAL, the file left as it is. A missing file is an empty set. Returns the
 * number of records kept, or a negative code with *why set. */
long stream_resume_load(const char *path, record_format_t fmt, keyset_t *set, const char **why);

#endif
