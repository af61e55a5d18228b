/* libFuzzer target for the record writers (src/sinks/format.c) in JSON Lines, CSV and CSV
 * for spreadsheets: what a hostile page or server puts in a record (its title, URLs, media
 * type, charset, error message: any bytes) must come back, read by a strict parser, as the
 * value cafe meant to write. Input: byte 0 says which text fields are absent (bit i: text
 * field i), bytes 1-4 the status and numbers; the rest is the text fields, separated by NUL
 * bytes. Checks, beyond ASan and UBSan: each record is one line; JSON is valid UTF-8 holding
 * none of the line breaks and terminal controls the writer escapes (U+0085, U+2028, U+2029,
 * C1, bidirectional controls), and jansson reads it as an object whose every field is the
 * record's (a text as cafe_utf8_repair gives it, null when absent; the numbers); CSV is read
 * by an RFC 4180 parser of the target's own to the same fields (absent: empty; CSV-safe: a
 * field starting as a formula, or with ', has a ' before it). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cafe/title.h" /* cafe_utf8_repair */
#include "format.h"
#include "fuzz_utf8.h"
#include "outbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field i's expected text: repaired UTF-8, or NULL when absent; malloc'd. */
static char *want_text(const record_t *r, size_t i) {
    const char *s = record_text(r, i);
    if (!s)
        return NULL;
    char *w = cafe_utf8_repair(s, strlen(s), NULL);
    if (!w)
        abort();
    return w;
}

/* No raw character the JSON writer escapes: C1 controls, U+061C, U+200E/F, U+2028-202E,
 * U+2066-2069 (termchar.h's term_reorders). */
static void check_escaped(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i + 1 < n; i++) {
        if ((p[i] == 0xC2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F) ||
            (p[i] == 0xD8 && p[i + 1] == 0x9C))
            abort();
        if (p[i] == 0xE2 && i + 2 < n &&
            ((p[i + 1] == 0x80 &&
              ((p[i + 2] >= 0x8E && p[i + 2] <= 0x8F) || (p[i + 2] >= 0xA8 && p[i + 2] <= 0xAE))) ||
             (p[i + 1] == 0x81 && p[i + 2] >= 0xA6 && p[i + 2] <= 0xA9)))
            abort();
    }
}

static void check_json(const record_t *r, const char *line, size_t n) {
    fuzz_check_utf8(line, n);
    if (memchr(line, '\0', n) || memchr(line, '\r', n))
        abort();
    check_escaped(line, n);
    json_error_t err;
    json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(o) || json_object_size(o) != RECORD_NCOLUMNS)
        abort();
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++) {
        json_t *v = json_object_get(o, record_columns[i].name);
        if (!v)
            abort();
        if (record_columns[i].type == RECORD_COL_TEXT) {
            char *w = want_text(r, i);
            if (w ? !json_is_string(v) || strcmp(json_string_value(v), w) != 0 : !json_is_null(v))
                abort();
            free(w);
        } else {
            unsigned long long want;
            int has = record_number(r, i, &want);
            if (has ? !json_is_integer(v) || (unsigned long long)json_integer_value(v) != want
                    : !json_is_null(v))
                abort();
        }
    }
    json_decref(o);
}

/* RFC 4180's field at *at of line[0..n): its value into out (out_cap bytes); moves *at past
 * the comma or the CR LF. Aborts on anything the RFC does not allow. */
static void csv_read(const char *line, size_t n, size_t *at, char *out, size_t out_cap, int last) {
    size_t i = *at, o = 0;
    if (i < n && line[i] == '"') {
        for (i++;; i++) {
            if (i >= n)
                abort(); /* unterminated quote */
            if (line[i] == '"') {
                if (i + 1 < n && line[i + 1] == '"')
                    i++;
                else
                    break;
            }
            if (o + 1 >= out_cap)
                abort();
            out[o++] = line[i];
        }
        i++;
    } else {
        for (; i < n && line[i] != ',' && line[i] != '\r'; i++) {
            if (line[i] == '"' || line[i] == '\n' || o + 1 >= out_cap)
                abort();
            out[o++] = line[i];
        }
    }
    out[o] = '\0';
    if (last ? n - i != 2 || memcmp(line + i, "\r\n", 2) != 0 : i >= n || line[i] != ',')
        abort();
    *at = i + 1;
}

static void check_csv(const record_t *r, const char *line, size_t n, int safe) {
    char *v = malloc(n + 1);
    if (!v)
        abort();
    size_t at = 0;
    for (size_t i = 0; i < RECORD_NCOLUMNS; i++) {
        csv_read(line, n, &at, v, n + 1, i + 1 == RECORD_NCOLUMNS);
        char num[32] = "";
        if (record_columns[i].type == RECORD_COL_TEXT) {
            char *w = want_text(r, i);
            const char *got = v;
            if (safe && w && *w && strchr("=+-@\t\r'", *w) && *got++ != '\'')
                abort();
            if (strcmp(got, w ? w : "") != 0)
                abort();
            free(w);
            continue;
        }
        unsigned long long want;
        if (record_number(r, i, &want))
            snprintf(num, sizeof num, "%llu", want);
        if (strcmp(v, num) != 0)
            abort();
    }
    free(v);
}

static void check(const record_t *r, record_format_t fmt) {
    char *line;
    size_t n;
    if (format_record_dup(fmt, r, &line, &n) != 0)
        abort();
    /* one line: JSON ends in its only LF; CSV's LF may be inside a quoted field */
    if (n == 0 || line[n - 1] != '\n' || (fmt == RECORD_FMT_JSON && memchr(line, '\n', n - 1)))
        abort();
    if (fmt == RECORD_FMT_JSON)
        check_json(r, line, n - 1);
    else
        check_csv(r, line, n, fmt == RECORD_FMT_CSV_SAFE);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5)
        return 0;
    char *f[8] = {0};
    const uint8_t *p = data + 5, *end = data + size;
    for (int i = 0; i < 8; i++) {
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
        if (!(data[0] >> i & 1) && !(f[i] = strndup((const char *)p, len)))
            abort();
        p += len + (nul != NULL);
    }
    record_t r = {.url = f[0] ? f[0] : strdup("http://x/"),
                  .final_url = f[1],
                  .title = f[2],
                  .content_type = f[3],
                  .charset = f[4],
                  .charset_source = f[5],
                  .error_msg = f[6],
                  .status = data[1] * 3,
                  .bytes = (uint64_t)data[2] << 40 | data[3],
                  .time_ms = data[3],
                  .attempts = data[4] & 15,
                  .error = f[6] ? -(data[4] >> 4) - 1 : 0,
                  .seq = data[2]};
    free(f[7]);
    check(&r, RECORD_FMT_JSON);
    check(&r, RECORD_FMT_CSV);
    check(&r, RECORD_FMT_CSV_SAFE);
    r.final_url = r.title = r.content_type = r.charset = r.charset_source = r.error_msg = NULL;
    free(f[0] ? f[0] : r.url);
    for (int i = 1; i < 7; i++)
        free(f[i]);
    return 0;
}
