/* Record writers. JSON is produced by jansson (escaping rules are a library's job); every
 * string is made valid UTF-8 first, because jansson refuses anything else and a URL line may
 * hold any bytes. */
#include "format.h"
#include "json_scan.h"
#include "termchar.h"
#include "text.h"
#include "cafe.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void format_header_append(outbuf_t *o, record_format_t fmt) {
    for (size_t i = 0; format_is_csv(fmt) && i < RECORD_NCOLUMNS; i++) {
        outbuf_puts(o, record_columns[i].name);
        outbuf_puts(o, i + 1 < RECORD_NCOLUMNS ? "," : "\r\n");
    }
}

int format_header(FILE *f, record_format_t fmt) {
    outbuf_t o = {0};
    format_header_append(&o, fmt);
    int rc = o.oom ? -ENOMEM : fwrite(o.p, 1, o.len, f) == o.len && fflush(f) == 0 ? 0 : -errno;
    outbuf_free(&o);
    return rc;
}

/* Does line match piece from *at on, as far as the line goes? Moves *at past it. */
static int header_piece(const char *line, size_t n, size_t *at, const char *piece, size_t *total) {
    size_t k = strlen(piece), m = n - *at < k ? n - *at : k;
    int same = memcmp(line + *at, piece, m) == 0;
    *at += m;
    *total += k;
    return same;
}

int format_header_prefix(const char *line, size_t n) {
    size_t at = 0, total = 0;
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++) {
        if (!header_piece(line, n, &at, record_columns[i].name, &total))
            return 0;
        /* the last name ends the line: CRLF as cafe writes it, or LF as other tools do */
        const char *end = i + 1 < RECORD_NCOLUMNS      ? ","
                          : at < n && line[at] == '\n' ? "\n"
                                                       : "\r\n";
        if (!header_piece(line, n, &at, end, &total))
            return 0;
    }
    return at < n ? 0 : at == total ? 2 : 1;
}

static json_t *jstr(const char *s) {
    if (!s)
        return json_null();
    char *clean = cafe_utf8_repair(s, strlen(s), NULL);
    json_t *j = clean ? json_string(clean) : NULL;
    free(clean);
    return j ? j : json_null();
}

static json_t *jcolumn(const record_t *r, size_t i) {
    unsigned long long v;
    if (record_columns[i].type == RECORD_COL_TEXT)
        return jstr(record_text(r, i));
    return record_number(r, i, &v) ? json_integer((json_int_t)v) : json_null();
}

/* The length of the character at p that JSON allows raw in a string but cafe escapes, 0 if
 * none; *cp its code point (format.h). The line breaks U+0085 NEL, U+2028 and U+2029: Python's
 * str.splitlines() and other line readers end a line there, and a title holding one split
 * its JSON line in two halves that are not JSON. The other C1 controls (U+009B is a CSI)
 * and the bidirectional controls (U+202E...), which text output escapes too: JSON Lines
 * read on a terminal (`cafe titles --json`) must not drive it or reorder its line. */
size_t format_escaped_char(const unsigned char *p, const unsigned char *end, unsigned *cp) {
    if (p[0] == 0xC2 && end - p >= 2 && p[1] >= 0x80 && p[1] <= 0x9F) {
        *cp = p[1];
        return 2;
    }
    if (p[0] == 0xD8 && end - p >= 2 && p[1] == 0x9C) { /* U+061C ARABIC LETTER MARK */
        *cp = 0x061C;
        return 2;
    }
    if ((p[0] != 0xE2 || end - p < 3 || (p[1] != 0x80 && p[1] != 0x81)))
        return 0;
    *cp = 0x2000u | ((unsigned)(p[1] & 0x3F) << 6) | (p[2] & 0x3Fu);
    return term_reorders(*cp) ? 3 : 0;
}

/* jansson's output, with those characters escaped as \uNNNN (as Go's encoding/json escapes
 * U+2028 and U+2029). jansson hands over whole characters, and these bytes can only be
 * inside strings (the keys are ASCII): the JSON means the same. */
static int append_json(const char *buffer, size_t size, void *data) {
    const unsigned char *p = (const unsigned char *)buffer, *end = p + size, *run = p;
    for (; p < end; p++) {
        unsigned cp;
        size_t n = *p >= 0xC2 ? format_escaped_char(p, end, &cp) : 0;
        if (n == 0)
            continue;
        outbuf_put(data, (const char *)run, (size_t)(p - run));
        outbuf_printf(data, "\\u%04x", cp);
        p += n - 1;
        run = p + 1;
    }
    outbuf_put(data, (const char *)run, (size_t)(end - run));
    return 0;
}

static int write_json(outbuf_t *o, const record_t *r, int ascii) {
    json_t *j = json_object();
    if (!j)
        return -ENOMEM;
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++)
        if (json_object_set_new(j, record_columns[i].name, jcolumn(r, i)) != 0) {
            json_decref(j);
            return -ENOMEM;
        }
    int rc =
        json_dump_callback(j, append_json, o, JSON_COMPACT | (ascii ? JSON_ENSURE_ASCII : 0)) == 0
            ? 0
            : -ENOMEM;
    json_decref(j);
    outbuf_putc(o, '\n');
    return rc;
}

/* The first characters that make a spreadsheet read a cell as a formula (OWASP), and ' so
 * that the added mark can always be taken off again. */
static const char formula_starts[] = "=+-@\t\r'";

/* RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside. An
 * empty string is quoted too, "", and NULL (JSON's null) left empty, as PostgreSQL's COPY
 * ... CSV writes and reads them: an empty <title> ("title":"") and none (null) were the same
 * empty field. safe: the ' of RECORD_FMT_CSV_SAFE before a field starting with
 * formula_starts. */
static void csv_field(outbuf_t *o, const char *s, int last, int safe, int tty) {
    if (s) {
        char *clean = cafe_utf8_repair(s, strlen(s), NULL);
        const char *v = clean ? clean : "";
        outbuf_t shown = {0};
        if (tty && clean) { /* as the text lines show it: no control reaches the terminal */
            text_append_ascii(&shown, clean, tty == 2);
            outbuf_putc(&shown, '\0');
            o->oom |= shown.oom;
            v = shown.oom ? "" : shown.p;
        }
        int quote = !*v || strpbrk(v, ",\"\r\n") != NULL;
        if (quote)
            outbuf_putc(o, '"');
        if (safe && *v && strchr(formula_starts, *v))
            outbuf_putc(o, '\'');
        if (quote) {
            for (const char *p = v; *p; p++) {
                if (*p == '"')
                    outbuf_putc(o, '"');
                outbuf_putc(o, *p);
            }
            outbuf_putc(o, '"');
        } else {
            outbuf_puts(o, v);
        }
        outbuf_free(&shown);
        free(clean);
    }
    outbuf_puts(o, last ? "\r\n" : ",");
}

static int write_csv(outbuf_t *o, const record_t *r, int safe, int tty) {
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++) {
        unsigned long long v;
        int last = i + 1 == RECORD_NCOLUMNS;
        if (record_columns[i].type == RECORD_COL_TEXT) {
            csv_field(o, record_text(r, i), last, safe, tty);
            continue;
        }
        if (record_number(r, i, &v))
            outbuf_printf(o, "%llu", v);
        outbuf_puts(o, last ? "\r\n" : ",");
    }
    return 0;
}

/* The guide's lines: "'Title' from URL" and "Error fetching URL: message". A title the
 * body was cut in (--max-bytes; the other formats' error field says so, not a failure) ends
 * in U+2026 inside its quotes, as a cut text is shown: the line keeps its shape. */
static int write_text(outbuf_t *o, const record_t *r, int ascii) {
    if (record_failed(r)) {
        outbuf_puts(o, "Error fetching ");
        text_append_ascii(o, r->url, ascii);
        outbuf_puts(o, ": ");
        const char *msg = record_text(r, RECORD_COL_ERROR);
        if (msg)
            text_append_ascii(o, msg, ascii);
        else
            outbuf_printf(o, "HTTP %ld", r->status);
    } else {
        if (r->title) {
            outbuf_putc(o, '\'');
            text_append_ascii(o, r->title, ascii);
            if (r->error_msg) /* not failed, and a title: cut before its end */
                outbuf_puts(o, ascii ? "\\u2026" : "\xe2\x80\xa6");
            outbuf_puts(o, "' from ");
        } else if (r->error_msg) { /* why there is none: "(not HTML (image/png)) from" */
            outbuf_putc(o, '(');
            text_append_ascii(o, r->error_msg, ascii);
            outbuf_puts(o, ") from ");
        } else {
            outbuf_puts(o, "(no title) from ");
        }
        text_append_ascii(o, r->url, ascii);
    }
    outbuf_putc(o, '\n');
    return 0;
}

/* tty: 0 not a terminal, 1 a terminal, 2 one of an 8-bit locale (ASCII only). */
static int append(outbuf_t *o, record_format_t fmt, const record_t *r, int tty) {
    size_t before = o->len;
    o->oom = 0;
    int rc = fmt == RECORD_FMT_JSON ? write_json(o, r, tty == 2)
             : format_is_csv(fmt)   ? write_csv(o, r, fmt == RECORD_FMT_CSV_SAFE, tty)
                                    : write_text(o, r, tty == 2);
    if (rc == 0 && o->oom)
        rc = -ENOMEM;
    if (rc != 0) /* none of it, rather than part */
        o->len = before;
    return rc;
}

int format_record_append(outbuf_t *o, record_format_t fmt, const record_t *r) {
    return append(o, fmt, r, 0);
}

int format_record_append_tty(outbuf_t *o, record_format_t fmt, const record_t *r, int ascii) {
    return append(o, fmt, r, ascii ? 2 : 1);
}

int format_record_dup(record_format_t fmt, const record_t *r, char **out, size_t *len) {
    outbuf_t o = {0};
    int rc = format_record_append(&o, fmt, r);
    if (rc == 0)
        outbuf_putc(&o, '\0');
    if (rc != 0 || o.oom) {
        outbuf_free(&o);
        *out = NULL;
        *len = 0;
        return -ENOMEM;
    }
    *out = o.p;
    *len = o.len - 1;
    return 0;
}

int format_record(FILE *f, record_format_t fmt, const record_t *r) {
    outbuf_t o = {0};
    int rc = append(&o, fmt, r, isatty(fileno(f)) ? 1 + term_locale_8bit() : 0);
    errno = 0;
    if (rc == 0 && (fwrite(o.p, 1, o.len, f) != o.len || fflush(f) != 0 || ferror(f)))
        rc = errno ? -errno : -EIO;
    outbuf_free(&o);
    return rc;
}

/* ---- reading records back --------------------------------------------------------------- */

/* The columns of record.c's table a failure is told by: the status (a number) and the error,
 * the last one. */
#define COL_STATUS 2
#define COL_ERROR (RECORD_NCOLUMNS - 1)

/* Is msg (n bytes, or up to its NUL) one of the reasons a record that is no failure gives
 * (record.h's RECORD_WHY_*)? A record has no field saying failed, and these come with an
 * HTTP status under 400, as a failure's message may (a body broken off mid-title). */
static int reason_not_failure(const char *msg, size_t n) {
    static const char *const reasons[] = {RECORD_WHY_NOT_HTML, RECORD_WHY_CUT,
                                          RECORD_WHY_NOT_WELL_FORMED, RECORD_WHY_TITLE_CAP};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        size_t k = strlen(reasons[i]);
        if (k <= n && strncmp(msg, reasons[i], k) == 0)
            return 1;
    }
    return 0;
}

/* record_failed's rule on what a line read back says: a status of 400 or more, or an error
 * message (n bytes) that is not a reason a record that is no failure gives. */
static int line_failed(long status, const char *error, size_t n) {
    return status >= 400 || (error && !reason_not_failure(error, n));
}

int format_stored_failed(long status, const char *error, size_t n) {
    return line_failed(status, error, n);
}

/* Where a CSV row's status and error fields begin (0: not reached), for line_failed. Only the
 * commas are counted: the row's other characters cost nothing more. */
typedef struct csv_fail {
    size_t status_at, error_at;
} csv_fail_t;

/* What a row whose fields begin at fail says: failed or not. Neither field needs decoding: a
 * status is digits, and no RECORD_WHY_* holds a quote (a quoted error is read past its
 * opening one; --csv-safe marks none of them, which start with a letter). */
static int csv_failed(const char *line, size_t n, const csv_fail_t *fail) {
    long status = 0;
    for (size_t i = fail->status_at; i < n && line[i] >= '0' && line[i] <= '9' && status < 1000;
         i++)
        status = status * 10 + (line[i] - '0');
    size_t e = fail->error_at;
    if (e < n && line[e] == '"')
        e = n - e == 2 ? n : e + 1; /* "" is an empty field */
    return line_failed(status, e < n ? line + e : NULL, n - e);
}

/* First CSV field, RFC 4180 quoting; NULL if the line is not a complete row of RECORD_NCOLUMNS
 * fields. safe: also NULL when a field starts as a formula without the mark --csv-safe puts
 * before one (a --csv file's row). *marked (if not NULL) is set when the first field, the
 * URL, starts with that mark: a ' before a formula start or a ' (a --csv-safe file's row,
 * most likely). Only the URL, the key --resume reads: a title is the page's own text, and
 * --csv writes one that starts so (''Twas the night, or a hostile '=1) as it is; taken for
 * the mark, one such page made every --resume --csv of its file refuse it. *fail (if not
 * NULL) gets what the row says of failure. */
static char *csv_first_field(const char *line, size_t n, int safe, int *marked, csv_fail_t *fail) {
    size_t fields = 1, i = 0, at = 0; /* at: characters of the current field so far */
    int quoted = 0, unmarked = 0;
    char lead = 0; /* the current field's first character */
    char *first = NULL;
    size_t flen = 0;
    if (!(first = malloc(n + 1)))
        return NULL;
    for (; i < n; i++) {
        char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < n && line[i + 1] == '"')
                i++;
            else if (c == '"') {
                quoted = 0;
                continue;
            }
        } else if (c == '"') {
            quoted = 1;
            continue;
        } else if (c == ',') {
            fields++;
            at = 0;
            if (fail && fields == COL_STATUS + 1)
                fail->status_at = i + 1;
            else if (fail && fields == COL_ERROR + 1)
                fail->error_at = i + 1;
            continue;
        }
        if (at == 0)
            lead = c;
        if (safe && at == 0 && c && c != '\'' && strchr(formula_starts, c))
            unmarked = 1;
        if (marked && fields == 1 && at == 1 && lead == '\'' && c && strchr(formula_starts, c))
            *marked = 1;
        at++;
        if (fields == 1)
            first[flen++] = line[i];
        /* The rest of the field up to its next quote (or comma, unquoted): only those and a
         * field's first two characters matter, and most of a row is titles and URLs. */
        size_t j = i + 1;
        if (at >= 2 && quoted) {
            const char *q = memchr(line + j, '"', n - j);
            j = q ? (size_t)(q - line) : n;
        } else if (at >= 2) {
            const char *p = line + j, *end = line + n;
            while (p < end && *p != '"' && *p != ',')
                p++;
            j = (size_t)(p - line);
        }
        if (fields == 1)
            memcpy(first + flen, line + i + 1, j - i - 1), flen += j - i - 1;
        at += j - i - 1;
        i = j - 1;
    }
    first[flen] = 0;
    if (quoted || fields != RECORD_NCOLUMNS || unmarked) {
        free(first);
        return NULL;
    }
    return first;
}

/* The error of a record of a URL line that starts with a quote (url_normalize's "quoted", as
 * the run words an invalid line's), as CSV writes it (it holds a comma, so it is quoted).
 * records_e2e.py's test_csv_resume_reads_a_url_line_that_starts_as_the_mark keeps the two
 * the same: should they part, such a file is refused again, as before, never misread. */
static const char quoted_line_error[] =
    "\"invalid URL: quoted (one URL per line, without quotes)\"";

/* Whether a row's URL that starts as --csv-safe's mark does (a ' and a formula start) is the
 * URL line as it was, which --csv writes so: its error says the line started with a quote.
 * --csv-safe marks a URL only before a line that starts with a formula start, whose error
 * never says so; or before a line that starts with ', whose error does: '' stays unknown. A
 * --csv file holding a list's line such as '=A1 was refused by every --resume --csv of it.
 * url: the row's first field, from csv_first_field with fail (line without its CR). */
static int quoted_line(const char *line, size_t n, const char *url, const csv_fail_t *fail) {
    size_t k = sizeof quoted_line_error - 1, at = fail->error_at;
    return url[0] == '\'' && url[1] != '\'' && at > 0 && n - at == k &&
           memcmp(line + at, quoted_line_error, k) == 0;
}

char *format_parse_url_failed(const char *line, size_t n, record_format_t fmt, int *failed) {
    return format_parse_url_marked(line, n, fmt, failed, NULL);
}

char *format_parse_url_marked(const char *line, size_t n, record_format_t fmt, int *failed,
                              int *marked) {
    if (marked)
        *marked = 0;
    if (format_is_csv(fmt)) {
        csv_fail_t fail = {0};
        if (n > 0 && line[n - 1] == '\r')
            n--;
        char *url = csv_first_field(line, n, fmt == RECORD_FMT_CSV_SAFE, marked, &fail);
        if (url && marked && *marked && quoted_line(line, n, url, &fail))
            *marked = 0;
        if (url && fmt == RECORD_FMT_CSV_SAFE && url[0] == '\'') /* the mark write_csv added */
            memmove(url, url + 1, strlen(url));
        if (failed)
            *failed = url && csv_failed(line, n, &fail);
        return url;
    }
    char *fast = NULL;
    if (json_scan_record(line, n, &fast, failed)) /* the shape cafe writes: no tree built */
        return fast;
    json_error_t err;
    json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &err);
    json_t *u = o ? json_object_get(o, "url") : NULL, *e = o ? json_object_get(o, "error") : NULL;
    char *url = json_is_string(u) && e ? strdup(json_string_value(u)) : NULL;
    if (failed)
        *failed = url && line_failed((long)json_integer_value(json_object_get(o, "status")),
                                     json_string_value(e), SIZE_MAX);
    json_decref(o);
    return url;
}

char *format_parse_url(const char *line, size_t n, record_format_t fmt) {
    return format_parse_url_failed(line, n, fmt, NULL);
}

int format_csv_marked(const char *line, size_t n) {
    int marked = 0;
    free(format_parse_url_marked(line, n, RECORD_FMT_CSV, NULL, &marked));
    return marked;
}

int format_parse_json(const char *line, size_t n, record_t *r) {
    json_t *o = json_loadb(line, n, 0, NULL);
    memset(r, 0, sizeof(*r));
    if (!json_is_object(o) || !json_is_string(json_object_get(o, "url"))) {
        json_decref(o);
        return -1;
    }
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++) {
        json_t *v = json_object_get(o, record_columns[i].name);
        if (record_columns[i].type == RECORD_COL_NUMBER)
            record_set_number(r, i, (unsigned long long)json_integer_value(v));
        else if (json_is_string(v) && record_set_text(r, i, json_string_value(v)) != 0) {
            json_decref(o);
            record_clear(r);
            return CAFE_ENOMEM;
        }
    }
    json_decref(o);
    r->error = r->error_msg && r->status < 400 && !reason_not_failure(r->error_msg, SIZE_MAX)
                   ? CAFE_EUNKNOWN
                   : 0;
    return 0;
}
