/* libFuzzer target for the job list of `cafe serve`'s POST /v1/jobs, as jobs.c's parse_body
 * reads it: the Content-Type's charset (charset.c: srv_body_charset_check at the head,
 * srv_body_utf8 on the body), then the list as JSON (srv_job_parse_json) or text
 * (srv_job_parse_text). Input: byte 0 picks the Content-Type (bit 7: the input gives it, up
 * to a NUL byte after byte 1), byte 1 --max-job-urls (255: no limit); the rest is the body.
 * Checks, beyond ASan and UBSan: the statuses are those the API documents, and a head
 * refused is a body refused alike; a JSON list is taken exactly when jansson reads the whole
 * body as an array of strings each one line can hold (the one-string-at-a-time parse
 * against the tree it replaced); every URL kept is trimmed, one line, no comment; and the
 * list written as job-ID.urls (one a line) reads back as the same list, as a restart reads
 * it. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_BODY = 1 << 16 };

static const char *const types[] = {
    NULL,
    "text/plain",
    "text/plain; charset=utf-16",
    "Text/Plain ; charset=\"ISO-8859-1\"",
    "text/plain; charset=shift_jis",
    "application/json",
    "Application/JSON; charset=utf-8",
    "application/json; charset=utf-16",
};

static srv_job_t *job(void) {
    srv_job_t *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    j->spool_fd = -1;
    j->refs = 1;
    return j;
}

/* Each URL kept is what a text line keeps: trimmed, not blank, no comment, no line end. */
static void check_lines(const srv_job_t *j, size_t max) {
    if (j->n > max)
        abort();
    for (size_t i = 0; i < j->n; i++) {
        size_t len, start;
        const char *s = srv_job_line(j, i, &len);
        if (len == 0 || memchr(s, '\n', len) || memchr(s, '\r', len) || s[len] != '\0' ||
            input_line_trim(s, len, &start) != len || start != 0)
            abort();
    }
}

/* The list as persist.c saves it (each line then LF) reads back the same. */
static void round_trip(const srv_job_t *j) {
    if (j->n == 0)
        return; /* refused: "no URL in the body" */
    char *text = malloc(j->urls_len ? j->urls_len : 1);
    if (!text)
        abort();
    memcpy(text, j->urls, j->urls_len);
    for (size_t i = 0; i < j->n; i++) {
        size_t len;
        text[srv_job_line(j, i, &len) - j->urls + len] = '\n';
    }
    srv_job_t *back = job();
    if (srv_job_parse_text(back, text, j->urls_len, SIZE_MAX) != 0 || back->n != j->n ||
        back->urls_len != j->urls_len || memcmp(back->urls, j->urls, j->urls_len) != 0)
        abort();
    srv_job_unref(back);
    free(text);
}

/* What jansson says of the whole body: -1 not an array of strings that are lines, else the
 * number of strings. */
static long jansson_count(const char *body, size_t len) {
    json_t *a = json_loadb(body, len, JSON_ALLOW_NUL, NULL); /* "\u0000", as the service */
    long count = json_is_array(a) ? (long)json_array_size(a) : -1;
    for (size_t i = 0; count >= 0 && i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        size_t start, n;
        const char *s = json_string_value(v);
        if (!s || (n = input_line_trim(s, json_string_length(v), &start)) == 0 ||
            memchr(s + start, '\n', n) || memchr(s + start, '\r', n))
            count = -1;
    }
    json_decref(a);
    return count;
}

static void parse(const char *ct, const char *body, size_t len, size_t max) {
    char why[256];
    int json = srv_media_type_json(ct);
    unsigned head = srv_body_charset_check(ct, why, sizeof why);
    if (head != 0 && head != 400 && head != 415)
        abort();
    char *utf8 = NULL;
    size_t off, n;
    unsigned st = srv_body_utf8(ct, json, body, len, MAX_BODY, &utf8, &off, &n, why, sizeof why);
    if ((head && st != head) || (st && utf8) || (st != 0 && st != 400 && st != 413 && st != 415))
        abort();
    if (st)
        return;
    if (utf8 && (n + off > MAX_BODY || utf8[off + n] != '\0'))
        abort();
    const char *list = (utf8 ? utf8 : body) + off;
    srv_job_t *j = job();
    int rc = json ? srv_job_parse_json(j, list, n, max) : srv_job_parse_text(j, list, n, max);
    if (rc != 0 && rc != 1 && (!json || (rc != CAFE_EINVAL && rc != SRV_JOB_NOT_A_LINE)))
        abort();
    check_lines(j, max);
    if (json) {
        long count = jansson_count(list, n);
        if ((count < 0 && rc == 0) || (count >= 0 && rc != ((size_t)count > max ? 1 : 0)))
            abort();
    }
    if (rc == 0)
        round_trip(j);
    srv_job_unref(j);
    free(utf8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size > MAX_BODY)
        return 0;
    size_t max = data[1] == 255 ? SIZE_MAX : data[1], skip = 2;
    char *ct = NULL;
    if (data[0] & 0x80) {
        const uint8_t *nul = memchr(data + 2, 0, size - 2);
        if (!nul)
            return 0;
        ct = strndup((const char *)data + 2, (size_t)(nul - data - 2));
        skip = (size_t)(nul - data) + 1;
    } else if (types[data[0] & 7]) {
        ct = strdup(types[data[0] & 7]);
    }
    size_t len = size - skip;
    char *body = malloc(len ? len : 1); /* exactly the body's bytes, as libmicrohttpd's */
    if (!body || (!ct && !(data[0] & 0x80) && types[data[0] & 7]))
        abort();
    memcpy(body, data + skip, len);
    parse(ct, body, len, max);
    free(body);
    free(ct);
    return 0;
}
