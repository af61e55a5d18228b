#include "record.h"
#include "cafe.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A store kept for the next record no larger than this: a rare huge title does not stay
 * in every slot it passed through. */
#define STORE_KEEP_MAX 4096

static int in_store(const record_t *r, const char *s) {
    uintptr_t p = (uintptr_t)s, base = (uintptr_t)r->store.p;
    return r->store.p && p >= base && p < base + r->store.len;
}

/* Frees a text field unless it lives in the store. */
static void drop(record_t *r, char *s) {
    if (s && !in_store(r, s))
        free(s);
}

static char **text_field(record_t *r, size_t i);

static void clear_texts(record_t *r) {
    drop(r, r->url);
    drop(r, r->final_url);
    drop(r, r->title);
    drop(r, r->content_type);
    drop(r, r->charset);
    drop(r, r->charset_source);
    drop(r, r->error_msg);
}

void record_clear(record_t *r) {
    clear_texts(r);
    free(r->store.p);
    memset(r, 0, sizeof(*r));
}

void record_clear_keep(record_t *r, record_store_t *spare) {
    clear_texts(r);
    if (!spare->p && r->store.cap <= STORE_KEEP_MAX) {
        *spare = (record_store_t){r->store.p, 0, r->store.cap};
        r->store.p = NULL;
    }
    free(r->store.p);
    memset(r, 0, sizeof(*r));
}

/* Grows the store to hold n more bytes; the text fields in it move with it. Rare (a slot's
 * first records): kept out of record_keep. */
__attribute__((noinline)) static int store_grow(record_t *r, size_t n) {
    record_store_t *st = &r->store;
    size_t cap = st->cap ? st->cap : 256, at[RECORD_NCOLUMNS];
    while (cap - st->len < n)
        cap *= 2;
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++) {
        char **f = text_field(r, i);
        at[i] = f && in_store(r, *f) ? (size_t)(*f - st->p) : SIZE_MAX;
    }
    char *p = realloc(st->p, cap);
    if (!p)
        return 0;
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++)
        if (at[i] != SIZE_MAX)
            *text_field(r, i) = p + at[i];
    st->p = p;
    st->cap = cap;
    return 1;
}

char *record_keep_grown(record_t *r, const char *s, size_t n) {
    return store_grow(r, n + 1) ? record_keep(r, s, n) : NULL;
}

void record_fail(record_t *r, int error, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    drop(r, r->error_msg);
    r->error = error;
    /* Out of memory, the record keeps its code without a message: record_text gives the
     * code's own message then. */
    r->error_msg = NULL; /* freed above: record_keep's growth must not move it */
    r->error_msg = record_keep(r, buf, strlen(buf));
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

/* Column i's field when it is text, else NULL. */
static char **text_field(record_t *r, size_t i) {
    return record_columns[i].storage == AS_STRING ? field_mut(r, i) : NULL;
}

int record_set_text(record_t *r, size_t i, const char *text) {
    char **slot = text_field(r, i);
    if (!slot)
        return 0;
    char *copy = record_keep(r, text, strlen(text));
    if (!copy)
        return CAFE_ENOMEM;
    drop(r, *slot);
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
