/* Record formats: the guide's text lines, JSON Lines, RFC 4180 CSV; written and read back. */
#ifndef CAFE_SINKS_FORMAT_H
#define CAFE_SINKS_FORMAT_H

#include "outbuf.h"
#include "record.h"

#include <stdio.h>

/* RECORD_FMT_CSV_SAFE is CSV for spreadsheets: a field a spreadsheet would run as a formula
 * (first character =, +, -, @, tab or CR: OWASP's CSV injection list) gets a ' in front,
 * which spreadsheets show as text and hide. A field starting with ' gets one too, so the
 * mark is always removable: reading back (--resume) drops exactly one leading '. */
typedef enum record_format {
    RECORD_FMT_TEXT,
    RECORD_FMT_JSON,
    RECORD_FMT_CSV,
    RECORD_FMT_CSV_SAFE
} record_format_t;

/* Whether fmt is one of the CSV formats (header row, RFC 4180 quoting). */
static inline int format_is_csv(record_format_t fmt) {
    return fmt == RECORD_FMT_CSV || fmt == RECORD_FMT_CSV_SAFE;
}

/* CSV's header row (nothing for the other formats). Returns 0 or -errno. */
int format_header(FILE *f, record_format_t fmt);
/* The same row appended to o (o->oom set when it could not grow). */
void format_header_append(outbuf_t *o, record_format_t fmt);

/* The length of the character at p (before end) that JSON allows raw in a string but cafe's
 * writer escapes (C1 controls, line separators, bidirectional controls), 0 if none; *cp its
 * code point. json_scan.c refuses a line holding one raw as not written by cafe. */
size_t format_escaped_char(const unsigned char *p, const unsigned char *end, unsigned *cp);

/* Is line (n bytes, its newline included if it has one) CSV's header line as format_header
 * writes it, or ending in LF alone (2), the start of it (1, a header cut short), or something
 * else (0)? */
int format_header_prefix(const char *line, size_t n);

/* Writes one complete record and flushes it, so that a record on disk is whole or absent
 * except for a crash mid-write (which --resume detects). Returns 0 or -errno (EPIPE,
 * ENOSPC, EBADF, ...). */
int format_record(FILE *f, record_format_t fmt, const record_t *r);
/* The same record appended to o: 0, or -ENOMEM with o's contents as they were. */
int format_record_append(outbuf_t *o, record_format_t fmt, const record_t *r);
/* The same record for a terminal: CSV's fields written as the text lines write titles
 * (controls, DEL, C1 controls and line-reordering characters escaped as \xNN or \uNNNN, a
 * backslash doubled), so that a page cannot drive the terminal (JSON and the text lines
 * escape them in any case). As ls quotes names on a terminal only: a file or a pipe gets
 * the bytes as they are. ascii: the terminal is one of an 8-bit locale (term_locale_8bit),
 * where every non-ASCII character is escaped too, in every format (\uNNNN), since its bytes
 * 0x80 to 0x9F are C1 controls there. format_record does this by itself when f is a terminal. */
int format_record_append_tty(outbuf_t *o, record_format_t fmt, const record_t *r, int ascii);
/* The same record as a new string: *out (malloc'd, NUL-terminated, the caller's) and *len
 * its length. Returns 0, or -ENOMEM with *out NULL. */
int format_record_dup(record_format_t fmt, const record_t *r, char **out, size_t *len);

/* The URL of one record line (without its newline), or NULL if the line is not a complete
 * record (RECORD_FMT_CSV_SAFE: nor when a field starts as a formula without its mark, as
 * --csv writes it). Returns a malloc'd string. Pure: fuzzed. */
char *format_parse_url(const char *line, size_t n, record_format_t fmt);
/* The same, and *failed set when the record is a failure by record_failed's rule (a status of
 * 400 or more, or an error that is not one of record.h's RECORD_WHY_* reasons): what an
 * earlier run found, for --fail. Pure: fuzzed. */
char *format_parse_url_failed(const char *line, size_t n, record_format_t fmt, int *failed);
/* record_failed's rule on a record as stored: its status (0: none) and error message (NULL:
 * none; n bytes, or up to its NUL): a database's row read back for --fail. Pure. */
int format_stored_failed(long status, const char *error, size_t n);
/* format_parse_url_failed, and for CSV *marked (when not NULL) as format_csv_marked says it
 * (0 for a line that is no record, and for JSON): both in one pass over the line. */
char *format_parse_url_marked(const char *line, size_t n, record_format_t fmt, int *failed,
                              int *marked);

/* Does a CSV line's (without its newline) URL field start with the mark RECORD_FMT_CSV_SAFE
 * puts before a formula start or a ' (a ' followed by one)? Such a URL is what --csv-safe
 * writes; --csv writes it only for a line that starts so itself, which is not asked when the
 * row's error says the line was quoted and the ' is followed by another formula start (only
 * a line starting so gets that error). The other fields are not asked: a page's title may
 * start so. Pure. */
int format_csv_marked(const char *line, size_t n);

/* A JSON Lines record (one line, without its newline) back into *r (cleared first; free with
 * record_clear). r->error is CAFE_EUNKNOWN for a failure the line only gives as a message
 * (not for the reasons a record that is no failure gives: not HTML, a body cut).
 * 0, -1 when the line is not a JSON object with a string "url" (every record has one), or
 * CAFE_ENOMEM. */
int format_parse_json(const char *line, size_t n, record_t *r);

#endif
