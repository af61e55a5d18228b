/* libFuzzer target for the resume-file reader (format_parse_url), in JSON Lines and CSV.
 * Input: byte 0 picks the format (bit 0) and the mode (bit 1); the rest is the payload.
 *  - parse mode: the payload is one line of a foreign or torn output file; the parser must
 *    not crash, and a URL it returns is NUL-terminated and no longer than the line; a JSON
 *    line is read as jansson reads it (json_scan.c's one pass against the tree it replaced),
 *    and one the pass takes as cafe's own holds no character cafe's writer escapes (a drain
 *    passes such a line on as it is).
 *  - round-trip mode: the payload (up to its first NUL or newline, as a URL line can be) is
 *    written as a record's url by the real writer; reading that line back must give exactly
 *    the URL the writer stored (its valid-UTF-8 form), so --resume recognises every record
 *    cafe wrote. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cafe/title.h" /* cafe_utf8_repair */
#include "format.h"
#include "json_scan.h"
#include "keyset.h"
#include "termchar.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What jansson reads from a JSON line, as --resume read every line before json_scan.c: the
 * one-pass reader must give the same URL (or none) and the same failure. */
static void same_as_jansson(const char *line, size_t n, const char *url, int failed) {
    json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);
    json_t *u = o ? json_object_get(o, "url") : NULL, *e = o ? json_object_get(o, "error") : NULL;
    const char *want = json_is_string(u) && e ? json_string_value(u) : NULL;
    int want_failed =
        want && format_stored_failed((long)json_integer_value(json_object_get(o, "status")),
                                     json_string_value(e), SIZE_MAX);
    if ((want == NULL) != (url == NULL) || (want && strcmp(want, url) != 0) ||
        want_failed != failed)
        abort();
    json_decref(o);
}

/* A line json_scan_record reads as cafe's own is passed on as it is (a queue drain's JSON Lines
 * out): it must hold none of the characters cafe's writer escapes (C1 controls, U+061C, the
 * bidirectional controls, U+2028/9), or a hostile Redis entry reaches a terminal or a line
 * reader raw. */
static void scan_is_as_written(const char *line, size_t n) {
    char *url = NULL;
    int ours = json_scan_record(line, n, &url, NULL);
    free(url);
    for (size_t i = 0; ours && i + 1 < n; i++) {
        const unsigned char *u = (const unsigned char *)line + i;
        size_t k = u[0] >= 0xC2 && u[0] < 0xE0 ? 2 : u[0] >= 0xE0 && u[0] < 0xF0 ? 3 : 0;
        if (k && i + k <= n) {
            uint32_t cp = term_code_point(u, k);
            if ((cp >= 0x80 && cp <= 0x9F) || term_reorders(cp))
                abort();
        }
    }
}

static void parse_mode(record_format_t fmt, const uint8_t *p, size_t n) {
    char *line = malloc(n ? n : 1);
    if (!line)
        return;
    memcpy(line, p, n);
    int failed = -1;
    char *url = format_parse_url_failed(line, n, fmt, &failed);
    if ((url && strlen(url) > n) || failed < 0 || (failed && !url))
        abort();
    if (fmt == RECORD_FMT_JSON) {
        same_as_jansson(line, n, url, failed);
        scan_is_as_written(line, n);
    }
    free(url);
    free(line);
}

static void round_trip(record_format_t fmt, const uint8_t *p, size_t n) {
    size_t len = 0;
    while (len < n && p[len] != 0 && p[len] != '\n')
        len++;
    char *url = malloc(len + 1);
    if (!url)
        return;
    memcpy(url, p, len);
    url[len] = 0;
    record_t r = {.url = url, .title = "T", .status = 200, .attempts = 1};
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (!f || format_record(f, fmt, &r) != 0)
        abort();
    fclose(f);
    /* One record is one line: a newline inside would tear it for --resume. */
    if (blen == 0 || buf[blen - 1] != '\n' || memchr(buf, '\n', blen - 1))
        abort();
    int failed = -1;
    char *back = format_parse_url_failed(buf, blen - 1, fmt, &failed);
    char *want = cafe_utf8_repair(url, len, NULL);
    if (!back || !want || strcmp(back, want) != 0 || failed != 0) /* a 200 without error */
        abort();
    free(want);
    free(back);
    free(buf);
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    record_format_t fmt = data[0] & 1 ? RECORD_FMT_CSV : RECORD_FMT_JSON;
    if (data[0] & 2)
        round_trip(fmt, data + 1, size - 1);
    else
        parse_mode(fmt, data + 1, size - 1);
    return 0;
}
