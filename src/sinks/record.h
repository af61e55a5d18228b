/* One result record per input URL: what `cafe titles` hands to its sink, whatever happened,
 * and the one list of its columns every format and every sink uses (CSV header and reader,
 * JSON keys, database columns). */
#ifndef CAFE_SINKS_RECORD_H
#define CAFE_SINKS_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One buffer holding a record's text fields one after the other (record_keep): one allocation
 * for all of them, kept from one record to the next where records are reused. */
typedef struct record_store {
    char *p;
    size_t len, cap;
} record_store_t;

typedef struct record {
    uint64_t seq;         /* input order (0-based, counting URL lines only) */
    uint64_t skipped;     /* lines --resume skipped before this one: seq + skipped is the
                             line's place in the whole input (a database's seq column) */
    uint64_t source_ref;  /* the source's own mark of the line (see source.h); 0 if unused */
    char *url;            /* the URL as fetched (normalised), or the raw line when invalid */
    char *final_url;      /* after redirects; NULL when nothing was fetched */
    long status;          /* HTTP status of the final response, 0 when none */
    char *title;          /* UTF-8; NULL when the page has no title element */
    char *content_type;   /* media type from Content-Type, NULL when absent */
    char *charset;        /* encoding the title was decoded from, NULL when not decoded */
    char *charset_source; /* how it was found: bom, header, meta, xml, detected, default (see
                             cafe_charset_source_name); NULL when not decoded */
    uint64_t bytes;       /* body bytes received */
    uint64_t time_ms;     /* total time, all attempts */
    int attempts;
    int error;       /* 0, or a negative cafe error code */
    char *error_msg; /* human-readable error; NULL when error == 0 (or out of memory) */
    /* The text fields above are each malloc'd, or point into store (record_keep): those are
     * not freed one by one, and follow it when it grows. */
    record_store_t store;
} record_t;

/* Frees the strings a record owns, its store included, and clears it. */
void record_clear(record_t *r);
/* The same, but the store's memory goes to *spare (emptied) when *spare has none and it is
 * small: a record started later as (record_t){.store = *spare} reuses it. */
void record_clear_keep(record_t *r, record_store_t *spare);
/* A copy of s[0..n) and a NUL in r's store, for one of r's text fields; NULL when out of
 * memory. Text fields already pointing into the store stay valid. Inline: five calls per
 * URL, nearly all with room in the store; record_keep_grown makes room first. */
char *record_keep_grown(record_t *r, const char *s, size_t n);
static inline char *record_keep(record_t *r, const char *s, size_t n) {
    if (r->store.cap - r->store.len <= n)
        return record_keep_grown(r, s, n);
    char *copy = r->store.p + r->store.len;
    memcpy(copy, s, n);
    copy[n] = '\0';
    r->store.len += n + 1;
    return copy;
}

/* Sets r->error and a formatted r->error_msg (replacing any previous one). */
void record_fail(record_t *r, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The starts of the messages a record that is no failure carries (error 0, a status under
 * 400): why it has no title, or only a cut one. Whoever writes such a record starts its
 * message so (src/cli/fetch.c), and whoever reads records back from JSON Lines, which has no
 * field saying "failed", tells them from failures by these (format_parse_json; and the
 * service's page, src/serve/page/app.js, whose list tests/serve/page_e2e.py checks). */
#define RECORD_WHY_NOT_HTML "not HTML ("
#define RECORD_WHY_CUT "body cut at --max-bytes "
/* a title longer than the extractor keeps (CAFE_TITLE_MAX), cut there: "title cut at 4096
 * bytes, the longest kept" */
#define RECORD_WHY_TITLE_CAP "title cut at "
/* a page served as XML that is not well-formed before its title ended: browsers show their
 * error page ("not well-formed XML (line 2, column 17: mismatched tag)") */
#define RECORD_WHY_NOT_WELL_FORMED "not well-formed XML ("

/* Does the record count as a failure (error, or HTTP status >= 400)? */
int record_failed(const record_t *r);

/* ---- the columns: one table, in output order ---------------------------------------------- */

/* A column is text (NULL = absent) or an unsigned number (absent only where it says). */
typedef enum record_col_type { RECORD_COL_TEXT, RECORD_COL_NUMBER } record_col_type_t;

typedef struct record_column {
    const char *name; /* CSV header, JSON key, database column */
    record_col_type_t type;
    size_t offset;         /* of the field in record_t */
    unsigned char storage; /* the field's C type (record.c) */
} record_column_t;

enum { RECORD_COL_ERROR = 10, RECORD_NCOLUMNS = 11 }; /* error: the last column */
extern const record_column_t record_columns[RECORD_NCOLUMNS];

/* Column i of r. Text: the string, or NULL when absent. Numbers: 1 and *v, or 0 when absent
 * (a status of 0: nothing was received). */
const char *record_text(const record_t *r, size_t i);
int record_number(const record_t *r, size_t i, unsigned long long *v);
/* Sets column i of r from outside data (a stored record read back): a copy of text (0, or
 * CAFE_ENOMEM), or a number (a status of 0: absent). The wrong type for the column is
 * ignored. */
int record_set_text(record_t *r, size_t i, const char *text);
void record_set_number(record_t *r, size_t i, unsigned long long v);

/* ---- receipts: what a sink hands back when a record is settled (see sink.h) ---------------- */

typedef struct record_receipt {
    uint64_t seq;
    long status;
    int error;
} record_receipt_t;

record_receipt_t record_receipt(const record_t *r);
/* record_failed's rule, on a receipt. */
int record_receipt_failed(const record_receipt_t *r);

#endif
