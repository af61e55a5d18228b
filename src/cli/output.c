/* Record writers. JSON is produced by jansson (escaping rules are a library's job); every
 * string is made valid UTF-8 first, because jansson refuses anything else and a URL line may
 * hold any bytes. */
#include "output.h"
#include "text.h"
#include "cafe.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const csv_columns[] = {"url",          "final_url", "status", "title",
                                          "content_type", "charset",   "bytes",  "time_ms",
                                          "attempts",     "error"};

int cli_output_header(FILE *f, cli_format_t fmt) {
    if (fmt != CLI_FMT_CSV)
        return 0;
    size_t n = sizeof csv_columns / sizeof csv_columns[0];
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", csv_columns[i], i + 1 < n ? "," : "\r\n");
    return fflush(f) == 0 ? 0 : -errno;
}

static json_t *jstr(const char *s) {
    if (!s)
        return json_null();
    char *clean = cli_utf8_sanitize(s, strlen(s));
    json_t *j = clean ? json_string(clean) : NULL;
    free(clean);
    return j ? j : json_null();
}

static int write_json(FILE *f, const cli_record_t *r) {
    json_t *o = json_object();
    if (!o)
        return -ENOMEM;
    json_object_set_new(o, "url", jstr(r->url));
    json_object_set_new(o, "final_url", jstr(r->final_url));
    json_object_set_new(o, "status", r->status ? json_integer(r->status) : json_null());
    json_object_set_new(o, "title", jstr(r->title));
    json_object_set_new(o, "content_type", jstr(r->content_type));
    json_object_set_new(o, "charset", jstr(r->charset));
    json_object_set_new(o, "bytes", json_integer((json_int_t)r->bytes));
    json_object_set_new(o, "time_ms", json_integer((json_int_t)r->time_ms));
    json_object_set_new(o, "attempts", json_integer(r->attempts));
    json_object_set_new(o, "error", jstr(r->error_msg));
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!line)
        return -ENOMEM;
    int rc = fputs(line, f) >= 0 && fputc('\n', f) != EOF ? 0 : -errno;
    free(line);
    return rc;
}

/* RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside. */
static void csv_field(FILE *f, const char *s, int last) {
    if (s) {
        char *clean = cli_utf8_sanitize(s, strlen(s));
        const char *v = clean ? clean : "";
        if (strpbrk(v, ",\"\r\n")) {
            fputc('"', f);
            for (const char *p = v; *p; p++) {
                if (*p == '"')
                    fputc('"', f);
                fputc(*p, f);
            }
            fputc('"', f);
        } else {
            fputs(v, f);
        }
        free(clean);
    }
    fputs(last ? "\r\n" : ",", f);
}

static void csv_num(FILE *f, unsigned long long v, int present) {
    if (present)
        fprintf(f, "%llu", v);
    fputc(',', f);
}

static int write_csv(FILE *f, const cli_record_t *r) {
    csv_field(f, r->url, 0);
    csv_field(f, r->final_url, 0);
    csv_num(f, (unsigned long long)r->status, r->status != 0);
    csv_field(f, r->title, 0);
    csv_field(f, r->content_type, 0);
    csv_field(f, r->charset, 0);
    csv_num(f, r->bytes, 1);
    csv_num(f, r->time_ms, 1);
    csv_num(f, (unsigned long long)r->attempts, 1);
    csv_field(f, r->error_msg, 1);
    return ferror(f) ? -errno : 0;
}

/* The guide's lines: "'Title' from URL" and "Error fetching URL: message". */
static int write_text(FILE *f, const cli_record_t *r) {
    int rc;
    if (cli_record_failed(r)) {
        fputs("Error fetching ", f);
        rc = cli_put_safe(f, r->url);
        fputs(": ", f);
        if (rc == 0 && r->error_msg)
            rc = cli_put_safe(f, r->error_msg);
        else if (rc == 0)
            fprintf(f, "HTTP %ld", r->status);
    } else {
        if (r->title) {
            fputc('\'', f);
            rc = cli_put_safe(f, r->title);
            fputs("' from ", f);
        } else {
            rc = 0;
            fputs("(no title) from ", f);
        }
        if (rc == 0)
            rc = cli_put_safe(f, r->url);
    }
    fputc('\n', f);
    return rc;
}

int cli_output_record(FILE *f, cli_format_t fmt, const cli_record_t *r) {
    errno = 0;
    int rc = fmt == CLI_FMT_JSON  ? write_json(f, r)
             : fmt == CLI_FMT_CSV ? write_csv(f, r)
                                  : write_text(f, r);
    if (fflush(f) != 0 || ferror(f))
        rc = errno ? -errno : -EIO;
    return rc;
}
