/* The stream sink's --resume: which URLs an earlier run already wrote to the file.
 *
 * Resuming appends to the file, and may cut its last line: so it is done only onto a file
 * that is this format's cafe output. Every complete line must be a record (after the header,
 * for CSV); only a last line without its newline, which begins as a record of this format
 * does, is taken for a record torn by a crash and cut off. Anything else (another format, a
 * file that is not cafe's, binary) is refused with the file left as it is. */
#include "stream.h"
#include "cafe.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct reader {
    FILE *f;
    record_format_t fmt;
    keyset_t *set;
    keyset_t *failed; /* NULL: not asked for */
    int header_seen;  /* CSV: its header line was read */
    int crlf_ends;    /* its first line ends in CRLF (1) or LF alone (0); -1: no line yet */
    long records;
    long lines;    /* complete lines accepted */
    long good_end; /* where the last of them ends */
    char *why;
    size_t why_cap;
} reader_t;

/* Names the line that is not cafe's (what it should have been, and why not when note is not
 * empty); returns CAFE_EINVAL. */
static int not_ours_because(reader_t *rd, int last, const char *what, const char *note) {
    snprintf(rd->why, rd->why_cap,
             "%s %ld is not %s of cafe %s output%s: not resuming onto it (the file is left as "
             "it was)",
             last ? "the unfinished last line," : "line", rd->lines + 1, what,
             rd->fmt == RECORD_FMT_CSV_SAFE ? "--csv-safe"
             : rd->fmt == RECORD_FMT_CSV    ? "--csv"
                                            : "--json",
             note);
    return CAFE_EINVAL;
}

static int not_ours(reader_t *rd, int last, const char *what) {
    return not_ours_because(rd, last, what, "");
}

static const char *expected(const reader_t *rd) {
    return format_is_csv(rd->fmt) && !rd->header_seen ? "the header" : "a record of this format";
}

/* The first line without the UTF-8 byte order mark a spreadsheet (Excel's "CSV UTF-8") or a
 * Windows editor puts at a file's start; cafe's list reader skips it too. */
static size_t bom(const reader_t *rd, const char *line, size_t n) {
    return rd->lines == 0 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

/* Could this line, cut short before its newline, be the start of what cafe writes here? The
 * header (or a record after it) for CSV; a JSON record begins with its "url" key. */
static int torn_start(const reader_t *rd, const char *line, size_t n) {
    size_t skip = bom(rd, line, n);
    line += skip;
    n -= skip;
    if (memchr(line, 0, n))
        return 0;
    if (format_is_csv(rd->fmt))
        return rd->header_seen || format_header_prefix(line, n) == 1;
    static const char json_start[] = "{\"url\"";
    size_t k = n < sizeof json_start - 1 ? n : sizeof json_start - 1;
    return memcmp(line, json_start, k) == 0;
}

/* The first line (n bytes, its newline included, after a byte order mark) refused: is it
 * cafe's output of another format? The message said only what the line was not, and the
 * user, who had given --csv to a --json run's file, was left to guess. A note for
 * not_ours_because, "" when it is none of cafe's. */
static const char *other_format(const reader_t *rd, const char *line, size_t n) {
    static const char json_start[] = "{\"url\"", text_error[] = "Error fetching ";
    if (rd->lines > 0)
        return "";
    if (!format_is_csv(rd->fmt) && format_header_prefix(line, n) == 2)
        return " (it is CSV, as --csv and --csv-safe write it: resume it with the one that "
               "wrote it)";
    if (rd->fmt != RECORD_FMT_JSON && n > sizeof json_start &&
        memcmp(line, json_start, sizeof json_start - 1) == 0)
        return " (it is JSON Lines, as --json writes them: resume it with --json)";
    if ((n > 1 && line[0] == '\'' && memmem(line, n, "' from ", 7)) ||
        (n > sizeof text_error && memcmp(line, text_error, sizeof text_error - 1) == 0))
        return " (it is the text lines cafe writes without --json or --csv, which --resume "
               "cannot read back)";
    return "";
}

/* One complete line (its newline included in n): the header, or a record whose URL goes into
 * the set. 0, CAFE_EINVAL when it is neither, CAFE_ENOMEM. */
static int take_line(reader_t *rd, const char *line, size_t n) {
    size_t skip = bom(rd, line, n);
    line += skip;
    n -= skip;
    if (format_is_csv(rd->fmt) && !rd->header_seen) {
        if (format_header_prefix(line, n) != 2)
            return not_ours_because(rd, 0, expected(rd), other_format(rd, line, n));
        rd->header_seen = 1;
        return 0;
    }
    int failed = 0, marked = 0;
    char *url = memchr(line, 0, n)
                    ? NULL
                    : format_parse_url_marked(line, n - 1, rd->fmt, &failed,
                                              rd->fmt == RECORD_FMT_CSV ? &marked : NULL);
    char *plain = url || rd->fmt != RECORD_FMT_CSV_SAFE
                      ? NULL
                      : format_parse_url(line, n - 1, RECORD_FMT_CSV);
    int by_csv = plain != NULL;
    free(plain);
    if (by_csv) /* resumed as --csv-safe, its formulas would stay live above the marked ones */
        return not_ours_because(rd, 0, expected(rd),
                                " (a field starts as a formula without the mark: --csv wrote it)");
    /* resumed as --csv, a URL recorded under its mark was not found: fetched and written a
     * second time (and the tail's formulas left live below the marked ones) */
    if (url && marked) {
        free(url);
        return not_ours_because(rd, 0, expected(rd),
                                " (its URL starts with the ' --csv-safe puts before a formula: "
                                "--csv-safe wrote it)");
    }
    if (!url)
        return not_ours_because(rd, 0, expected(rd), other_format(rd, line, n));
    int added = keyset_add(rd->set, url, strlen(url));
    if (added == 0 && failed && rd->failed)
        added = keyset_add(rd->failed, url, strlen(url));
    free(url);
    if (added != 0) { /* a URL left out of the set would be fetched and written twice */
        snprintf(rd->why, rd->why_cap, "%s reading the records already written",
                 added == CAFE_ENOMEM ? "out of memory" : "no random source for the keys");
        return added;
    }
    rd->records++;
    return 0;
}

/* No record cafe writes comes near this (a URL line is at most 8 KiB, a header 100 KiB, a
 * title 4 KiB; JSON's escapes make each at most 6 times longer): a longer line is not cafe's,
 * and is refused without being held whole, as getline held a 4 GiB file without a newline. */
#define RESUME_LINE_MAX (64u << 20)

/* The file read in blocks, a line at a time: buf[at, end) is read and not yet taken. */
typedef struct lines {
    FILE *f;
    char *buf;
    size_t cap, at, end;
    int eof;
} lines_t;

/* The next line in *line (its newline included; only the last may lack it): its length, 0
 * at the end of the file, -1 with errno set when it cannot be read (ENOMEM: no room for it),
 * -2 when it is longer than RESUME_LINE_MAX. */
static ssize_t lines_next(lines_t *l, const char **line) {
    size_t scanned = 0; /* of the unread bytes, those known to hold no newline */
    for (;;) {
        size_t unread = l->end - l->at;
        char *nl =
            unread > scanned ? memchr(l->buf + l->at + scanned, '\n', unread - scanned) : NULL;
        if (nl || (l->eof && unread > 0)) {
            size_t n = nl ? (size_t)(nl - (l->buf + l->at)) + 1 : unread;
            *line = l->buf + l->at;
            l->at += n;
            return (ssize_t)n;
        }
        if (l->eof)
            return 0;
        if ((scanned = unread) > RESUME_LINE_MAX)
            return -2;
        if (l->at > 0) /* (buf is NULL before the first block) */
            memmove(l->buf, l->buf + l->at, unread);
        l->at = 0;
        l->end = unread;
        if (l->end == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 65536;
            cap = cap < RESUME_LINE_MAX + 65536 ? cap : RESUME_LINE_MAX + 65536;
            char *p = realloc(l->buf, cap);
            if (!p) {
                errno = ENOMEM;
                return -1;
            }
            l->buf = p;
            l->cap = cap;
        }
        size_t got = fread(l->buf + l->end, 1, l->cap - l->end, l->f);
        l->end += got;
        if (got == 0 && ferror(l->f))
            return -1;
        l->eof = got == 0;
    }
}

/* Reads every line; *torn is set when the last one has no newline (and may be cut). */
static int read_lines(reader_t *rd, int *torn) {
    lines_t l = {.f = rd->f};
    const char *line;
    ssize_t n;
    int rc = 0;
    *torn = 0;
    while (rc == 0 && (n = lines_next(&l, &line)) > 0) {
        if (line[n - 1] != '\n') { /* only the file's last line ends so */
            *torn = 1;
            if (!torn_start(rd, line, (size_t)n))
                rc = not_ours(rd, 1, expected(rd));
        } else if ((rc = take_line(rd, line, (size_t)n)) == 0) {
            if (rd->crlf_ends < 0)
                rd->crlf_ends = n >= 2 && line[n - 2] == '\r';
            rd->lines++;
            rd->good_end += n;
        }
    }
    int e = errno;
    free(l.buf);
    if (rc == 0 && n == -2)
        rc = not_ours_because(rd, 0, expected(rd), " (a line longer than any record cafe writes)");
    /* A line with no room for it was taken for the end of the file (getline sets no error
     * flag then): the rest went unread and the file was appended to. */
    else if (rc == 0 && n < 0) {
        rc = e ? -e : -EIO;
        snprintf(rd->why, rd->why_cap, "cannot read the output file to resume: %s",
                 msg_strerror(rc));
    }
    return rc;
}

/* The output file for reading and cutting, or NULL with errno set. Only a regular file: a FIFO
 * or a pipe (-o /dev/stdout) has no records to read back, and reading one waited for ever
 * for a writer; opened without blocking, so that a FIFO is refused rather than waited on.
 * In append mode, as the run appends to it, and kept so when O_NONBLOCK goes: an append-only
 * file (chattr +a, a log's protection) is written only so, and was refused ("Operation not
 * permitted") though a resume only appends to it, unless a torn record is to be cut. */
static FILE *open_regular(const char *path) {
    int fd = open(path, O_RDWR | O_APPEND | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return NULL;
    int e = fstat(fd, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
    FILE *f = e == 0 && fcntl(fd, F_SETFL, O_APPEND) == 0 ? fdopen(fd, "r+") : NULL;
    if (!f) {
        e = e ? e : errno;
        (void)close(fd);
        errno = e;
    }
    return f;
}

long stream_resume_load(const char *path, record_format_t fmt, keyset_t *set, keyset_t *failed,
                        char *why, size_t why_cap, int *crlf_ends) {
    reader_t rd = {.f = open_regular(path),
                   .fmt = fmt,
                   .set = set,
                   .failed = failed,
                   .crlf_ends = -1,
                   .why = why,
                   .why_cap = why_cap};
    if (!rd.f) {
        int e = errno;
        if (e == EINVAL)
            snprintf(why, why_cap, "not a regular file: --resume reads the records back from it");
        else
            snprintf(why, why_cap, "cannot open the output file to resume: %s", msg_strerror(-e));
        return e == ENOENT ? 0 : -e;
    }
    int torn;
    int rc = read_lines(&rd, &torn);
    if (rc == 0 && torn && ftruncate(fileno(rd.f), rd.good_end) != 0) {
        rc = -errno;
        snprintf(why, why_cap, "cannot cut the torn last record: %s", msg_strerror(rc));
    }
    (void)fclose(rd.f); /* opened for reading and truncating only: no buffered writes */
    if (crlf_ends)
        *crlf_ends = rd.crlf_ends;
    return rc == 0 ? rd.records : rc;
}
