#include "record.h"
#include "cafe.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void record_clear(record_t *r) {
    free(r->url);
    free(r->final_url);
    free(r->title);
    free(r->content_type);
    free(r->charset);
    free(r->charset_source);
    free(r->error_msg);
    memset(r, 0, sizeof(*r));
}

void record_fail(record_t *r, int error, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(r->error_msg);
    r->error = error;
    /* Out of memory, the record keeps its code without a message: record_text gives the
     * code's own message then. */
    r->error_msg = strdup(buf);
}

static int failed(int error, long status) {
    return error != 0 || status >= 400;
}

int record_failed(const record_t *r) {
    return failed(r->error, r->status);
}

record_receipt_t record_receipt(const record_t *r) {
    return (record_receipt_t){.seq = r->seq, .status = r->status, .error = r->error};
}

int record_receipt_failed(const record_receipt_t *r) {
    return failed(r->error, r->status);
}

/* How a column's field is stored. */
enum { AS_STRING, AS_STATUS, AS_U64, AS_INT };
#define COL(field, type, storage)                                                                  \
    { #field, type, offsetof(record_t, field), storage }
#define TEXT(field) COL(field, RECORD_COL_TEXT, AS_STRING)

/* The order here is the order of every format's fields. "error" is the message: the code
 * stays inside the process. */
const record_column_t record_columns[RECORD_NCOLUMNS] = {
    TEXT(url),
    TEXT(final_url),
    COL(status, RECORD_COL_NUMBER, AS_STATUS),
    TEXT(title),
    TEXT(content_type),
    TEXT(charset),
    TEXT(charset_source),
    COL(bytes, RECORD_COL_NUMBER, AS_U64),
    COL(time_ms, RECORD_COL_NUMBER, AS_U64),
    COL(attempts, RECORD_COL_NUMBER, AS_INT),
    {"error", RECORD_COL_TEXT, offsetof(record_t, error_msg), AS_STRING},
};

static const void *field(const record_t *r, size_t i) {
    return (const char *)r + record_columns[i].offset;
}

const char *record_text(const record_t *r, size_t i) {
    if (record_columns[i].storage != AS_STRING)
        return NULL;
    const char *s = *(char *const *)field(r, i);
    if (!s && record_columns[i].offset == offsetof(record_t, error_msg) && r->error)
        return cafe_strerror(r->error); /* a failure whose message could not be kept */
    return s;
}

int record_number(const record_t *r, size_t i, unsigned long long *v) {
    switch (record_columns[i].storage) {
    case AS_STATUS:
        *v = (unsigned long long)*(const long *)field(r, i);
        return *v != 0;
    case AS_U64:
        *v = *(const uint64_t *)field(r, i);
        return 1;
    case AS_INT:
        *v = (unsigned long long)*(const int *)field(r, i);
        return 1;
    default:
        return 0;
    }
}

static void *field_mut(record_t *r, size_t i) {
    return (char *)r + record_columns[i].offset;
}

int record_set_text(record_t *r, size_t i, const char *text) {
    if (record_columns[i].storage != AS_STRING)
        return 0;
    char *copy = strdup(text);
    if (!copy)
        return CAFE_ENOMEM;
    char **slot = field_mut(r, i);
    free(*slot);
    *slot = copy;
    return 0;
}

void record_set_number(record_t *r, size_t i, unsigned long long v) {
    switch (record_columns[i].storage) {
    case AS_STATUS:
        *(long *)field_mut(r, i) = (long)v;
        break;
    case AS_U64:
        *(uint64_t *)field_mut(r, i) = v;
        break;
    case AS_INT:
        *(int *)field_mut(r, i) = (int)v;
        break;
    default:
        break;
    }
}
