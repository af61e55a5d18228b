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

/* Between writes, for an export that deletes from its source what it wrote (cafe queue
 * results --drain): opens path again if it names another file now (as a write does, even
 * with nothing pending: sink_stream_fd is then the file the next records go to), hands what
 * is pending to the kernel now, not at the flusher's turn, and when durable to the disk too
 * (fsync, and the first time for a file its directory's entry; a pipe or a terminal has
 * nothing to make durable). 0 or a negative code, sticky as a write's. */
int sink_stream_sync(sink_t *s, int durable);
/* A record already in the sink's format (line, n bytes, without its newline: a JSON line as
 * cafe wrote it), written as sink_write writes a record, at a fraction of its cost (the
 * record is neither parsed nor formatted again). Its receipt is a record's with no status
 * and no error. 0 or a negative code. */
int sink_stream_write_line(sink_t *s, const char *line, size_t n);
/* The output's descriptor once started (-1 before, and after finish for a file): for the
 * export's own bookkeeping (its identity and size, cutting a chunk it wrote back off). */
int sink_stream_fd(const sink_t *s);
/* 1 once started when the output is a terminal of an 8-bit locale (term_locale_8bit), where
 * records are written in ASCII (format_record_append_tty's ascii): a line already in the
 * format, in UTF-8, is then not one to pass to sink_stream_write_line as it is. */
int sink_stream_ascii(const sink_t *s);

/* --resume's reader (stream_resume.c). Reads the records of path into set, and those that are
 * failures (record_failed's rule) into failed too when it is not NULL. Only a file of
 * this format's records (CSV: after its header) is read: a line that is not one, anywhere, is
 * CAFE_EINVAL with the file left as it is. A last line without its newline that begins as a
 * record would is torn (a crash mid-write): it is cut off, so its URL is fetched again. A
 * missing file is an empty set. Lines may end in CRLF or LF alone, whatever cafe writes (CRLF
 * for CSV, LF for JSON): *crlf_ends (when not NULL) says how the first complete line (a CSV
 * header, a JSON record) ends, 1 CRLF, 0 LF, -1 no such line, for the records added after it
 * to end alike. Returns the number of records kept, or a negative code with the reason in why
 * (why_cap bytes, always terminated). */
long stream_resume_load(const char *path, record_format_t fmt, keyset_t *set, keyset_t *failed,
                        char *why, size_t why_cap, int *crlf_ends);

#endif
