/* GET /v1/jobs/ID/results: the job's records in input order (or, with ?order=done, in the
 * order they were stored), streamed while the job runs (chunked), as JSON Lines (default),
 * CSV (?format=csv) or Server-Sent Events (?format=sse, or Accept: text/event-stream; each
 * event's id is the record's input position). Repeatable: every request reads the spool
 * from the first record (an SSE one with Last-Event-ID from the record after that one). When the
 * next record is not there yet, the stream's connection is suspended until the job stores one
 * (jobs.c: notify); a queued job's stream waits so until the job has run. Records of a cancelled
 * (or interrupted) job that never finished are skipped.
 * The SSE stream's last event names the job's state: done, cancelled or interrupted. */
#include "job.h"
#include "ascii.h"
#include "format.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CSV_SAFE: CSV for a spreadsheet, a ' before a field a spreadsheet would take for a
 * formula (RECORD_FMT_CSV_SAFE, as cafe titles --csv-safe). */
enum { FMT_JSONL, FMT_CSV, FMT_SSE, FMT_CSV_SAFE };

static int is_csv(int fmt) {
    return fmt == FMT_CSV || fmt == FMT_CSV_SAFE;
}

static int csv_header(char **out, size_t *len) {
    FILE *f = open_memstream(out, len);
    if (!f)
        return CAFE_ENOMEM;
    int rc = format_header(f, RECORD_FMT_CSV);
    return fclose(f) == 0 && rc == 0 ? 0 : CAFE_ENOMEM;
}

/* The text of record i in the stream's format, into r->pend. */
static int render_record(srv_req_t *r, size_t i) {
    char *json;
    size_t len;
    int rc = srv_job_record(r->job, i, &json, &len);
    if (rc != 0)
        return rc;
    free(r->pend);
    r->pend = NULL;
    if (is_csv(r->fmt)) {
        record_t rec;
        int as = r->fmt == FMT_CSV_SAFE ? RECORD_FMT_CSV_SAFE : RECORD_FMT_CSV;
        rc = format_parse_json(json, len, &rec);
        rc = rc == -1 ? CAFE_EINVAL : rc;
        if (rc == 0)
            rc = format_record_dup(as, &rec, &r->pend, &r->pend_len) ? CAFE_ENOMEM : 0;
        record_clear(&rec);
        free(json);
        return rc;
    }
    /* An SSE event's id is the record's input position (0-based): the page places it. */
    char head[40] = "";
    int pre = r->fmt == FMT_SSE ? snprintf(head, sizeof head, "id: %zu\ndata: ", i) : 0;
    size_t post = r->fmt == FMT_SSE ? 2 : 1;
    r->pend = malloc((size_t)pre + len + post);
    if (!r->pend) {
        free(json);
        return CAFE_ENOMEM;
    }
    memcpy(r->pend, head, (size_t)pre);
    memcpy(r->pend + pre, json, len);
    memcpy(r->pend + (size_t)pre + len, "\n\n", post);
    r->pend_len = (size_t)pre + len + post;
    free(json);
    return 0;
}

static int set_pend(srv_req_t *r, const char *text) {
    free(r->pend);
    r->pend = strdup(text);
    r->pend_len = r->pend ? strlen(text) : 0;
    return r->pend ? 0 : CAFE_ENOMEM;
}

/* Fills r->pend with the next piece: 1 when there is one, 0 when the stream must wait for
 * the job, or a negative code. At the end r->ended is set (with an SSE "end" event first). */
static int next_piece(srv_req_t *r) {
    srv_job_t *j = r->job;
    r->pend_off = r->pend_len = 0;
    if (is_csv(r->fmt) && !r->header_done) {
        r->header_done = 1;
        free(r->pend);
        return csv_header(&r->pend, &r->pend_len) == 0 ? 1 : CAFE_ENOMEM;
    }
    if (r->by_done) {
        if (r->skip) { /* ?offset: the first records stored, which the client has */
            uint64_t k = r->skip < j->done - r->cursor ? r->skip : j->done - r->cursor;
            r->cursor += k;
            r->skip -= k;
        }
        if (r->cursor < j->done && !r->skip) {
            int rc = render_record(r, j->done_order[r->cursor++]);
            return rc == 0 ? 1 : rc;
        }
        if (!srv_job_over(j))
            return 0;
    } else {
        while (r->cursor < j->n && !j->rec_len[r->cursor] && srv_job_over(j))
            r->cursor++; /* never finished: the job was cancelled or interrupted */
        while (r->skip && r->cursor < j->n && j->rec_len[r->cursor]) {
            r->skip--; /* ?offset: the client has it */
            r->cursor++;
            while (r->cursor < j->n && !j->rec_len[r->cursor] && srv_job_over(j))
                r->cursor++;
        }
        if (r->cursor < j->n && j->rec_len[r->cursor] && !r->skip) {
            int rc = render_record(r, r->cursor);
            r->cursor++;
            return rc == 0 ? 1 : rc;
        }
        /* Every record is there, but the job may still be running: its end (the state the
         * SSE stream ends with) comes from the runner, which notifies once more. */
        if (r->cursor < j->n || !srv_job_over(j))
            return 0;
    }
    r->ended = 1;
    if (r->fmt != FMT_SSE)
        return 1;
    char end[48];
    snprintf(end, sizeof end, "event: end\ndata: %s\n\n", srv_job_state_name(j));
    return set_pend(r, end) == 0 ? 1 : CAFE_ENOMEM;
}

static void wait_for_record(srv_req_t *r) {
    srv_job_t *j = r->job;
    dlist_push(&j->waiting, &r->wait);
    srv_suspend(r);
}

/* Fills buf with as many pieces as fit (one chunk, one write for many records). */
static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
    srv_req_t *r = cls;
    size_t used = 0;
    (void)pos;
    if (r->gone)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* the client went: close the connection */
    while (used < max) {
        if (r->pend_off < r->pend_len) {
            size_t n = r->pend_len - r->pend_off;
            n = n < max - used ? n : max - used;
            memcpy(buf + used, r->pend + r->pend_off, n);
            r->pend_off += n;
            used += n;
            continue;
        }
        if (r->ended || !r->job)
            return used ? (ssize_t)used : MHD_CONTENT_READER_END_OF_STREAM;
        int rc = next_piece(r);
        if (rc < 0 && used)
            return (ssize_t)used;
        if (rc < 0) /* a record that cannot be read: the stream ends cut (no 431 for it) */
            return srv_conn_drop(r->conn), MHD_CONTENT_READER_END_WITH_ERROR;
        if (rc == 0) {
            int ping = r->ping && !used; /* a comment only where nothing else was sent */
            r->ping = 0;
            if (ping && set_pend(r, ": ping\n\n") == 0)
                continue;
            if (!used)
                wait_for_record(r);
            return (ssize_t)used;
        }
    }
    return (ssize_t)used;
}

void srv_results_detach(srv_req_t *r) {
    srv_job_t *j = r->job;
    if (!j)
        return;
    if (dlist_on(&j->waiting, &r->wait))
        dlist_unlink(&j->waiting, &r->wait);
    r->job = NULL;
    srv_job_unref(j);
}

void srv_results_ping(srv_t *s) {
    for (srv_job_t *j = s->jobs; j; j = j->next) {
        for (dlist_link_t *k = j->waiting.head, *next; k; k = next) {
            next = k->next;
            srv_req_t *r = DLIST_ITEM(k, srv_req_t, wait);
            if (r->fmt != FMT_SSE)
                continue; /* JSON Lines and CSV have no comments */
            dlist_unlink(&j->waiting, &r->wait);
            r->ping = 1;
            srv_resume(r);
        }
    }
}

static void on_free(void *cls) {
    srv_req_t *r = cls;
    srv_results_detach(r);
    srv_req_unref(r);
}

/* The q value of an Accept entry's parameters at p (after its media range), in thousandths
 * (RFC 9110, 12.4.2: "q=" 0 to 1, three decimals at most; parsed by hand, not by the
 * locale's strtod); 1000 without one. */
static int accept_q(const char *p, const char *end) {
    for (; p < end; p++) {
        if (*p != ';')
            continue;
        p += 1 + strspn(p + 1, " \t");
        if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
            continue;
        p += 2;
        if (p >= end || (*p != '0' && *p != '1'))
            return 0; /* no q value: taken as "not this" */
        int q = *p++ == '1' ? 1000 : 0;
        if (p < end && *p == '.')
            for (int k = 100; ++p < end && *p >= '0' && *p <= '9' && k > 0; k /= 10)
                q += q < 1000 ? (*p - '0') * k : 0;
        return q;
    }
    return 1000;
}

/* The q the Accept header gives the media type `type` by its own entry (a range such as
 * text/ * or * / * takes every format alike, so it picks none): -1 without one. */
static int accept_type_q(const char *accept, const char *type) {
    size_t n = strlen(type);
    int best = -1;
    for (const char *p = accept; p && *p;) {
        p += strspn(p, " \t,");
        const char *end = p + strcspn(p, ",");
        size_t len = strcspn(p, ";, \t");
        if (len == n && ascii_ncasecmp(p, type, n) == 0) {
            int q = accept_q(p + len, end);
            best = q > best ? q : best;
        }
        p = end;
    }
    return best;
}

static int pick_format(srv_req_t *r) {
    const char *f = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "format");
    if (f && strcmp(f, "csv") == 0)
        return FMT_CSV;
    if (f && strcmp(f, "csv-safe") == 0)
        return FMT_CSV_SAFE;
    if (f && strcmp(f, "sse") == 0)
        return FMT_SSE;
    if (f && strcmp(f, "jsonl") != 0)
        return -1;
    if (f)
        return FMT_JSONL;
    /* SSE when the client asks for it (an EventSource does), by name, with a q over 0 and
     * no lower than that of JSON Lines; in any line of Accept */
    char *accept = srv_header_list(r->conn, "Accept");
    int sse = accept ? accept_type_q(accept, "text/event-stream") : -1;
    int jsonl = accept ? accept_type_q(accept, "application/x-ndjson") : -1;
    free(accept);
    return sse > 0 && sse >= jsonl ? FMT_SSE : FMT_JSONL;
}

/* Where an SSE stream resumes: after the record whose input position a reconnecting
 * EventSource sends as Last-Event-ID (the id of the last event it got), so that it gets no
 * record twice. In completion order that is the record's place among the stored ones. 0 (the
 * first record) without the header, or with one that names no stored record. */
static uint64_t resume_cursor(const srv_req_t *r, const srv_job_t *j) {
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    char *end;
    if (!h || *h < '0' || *h > '9')
        return 0;
    unsigned long long id = strtoull(h, &end, 10);
    if (*end || id >= j->n || !j->rec_len[id])
        return 0;
    if (!r->by_done)
        return id + 1;
    for (size_t k = 0; k < j->done; k++)
        if (j->done_order[k] == id)
            return k + 1;
    return 0;
}

/* ?offset=N: the number of records of this stream the client has already (the lines of a
 * JSON Lines download cut short, the rows of a CSV one after its header), which it is not
 * sent again: a download taken up where it was cut. 0 without it; -1 for one that is no
 * decimal number. */
static int64_t want_offset(struct MHD_Connection *conn) {
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "offset");
    if (!v)
        return 0;
    if (!*v || strlen(v) > 18 || strspn(v, "0123456789") != strlen(v))
        return -1;
    return (int64_t)strtoll(v, NULL, 10);
}

/* ?download: 1 for an attachment ("?download", =1, =true, =yes), 0 for none (absent, =0,
 * =false, =no), -1 for another value. Its value was not looked at: ?download=0 was one. */
static int want_download(struct MHD_Connection *conn) {
    const char *v = NULL;
    if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, "download", 8, &v, NULL) !=
        MHD_YES)
        return 0;
    if (!v || !*v || strcmp(v, "1") == 0 || ascii_casecmp(v, "true") == 0 ||
        ascii_casecmp(v, "yes") == 0)
        return 1;
    if (strcmp(v, "0") == 0 || ascii_casecmp(v, "false") == 0 || ascii_casecmp(v, "no") == 0)
        return 0;
    return -1;
}

void srv_results_start(srv_req_t *r, srv_job_t *j, const char *method) {
    static const char *const types[] = {"application/x-ndjson; charset=utf-8",
                                        "text/csv; charset=utf-8", "text/event-stream",
                                        "text/csv; charset=utf-8"};
    static const char *const exts[] = {"jsonl", "csv", "txt", "csv"};
    int fmt = pick_format(r);
    const char *order = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "order");
    if (fmt < 0) {
        srv_reply_error(r, 400, "format must be jsonl, csv, csv-safe or sse");
        return;
    }
    if (order && strcmp(order, "input") != 0 && strcmp(order, "done") != 0) {
        srv_reply_error(r, 400, "order must be input or done");
        return;
    }
    int download = want_download(r->conn);
    if (download < 0) {
        srv_reply_error(r, 400, "download must be 1 or 0");
        return;
    }
    int64_t offset = want_offset(r->conn);
    if (offset < 0) {
        srv_reply_error(r, 400, "offset must be a number of records");
        return;
    }
    r->by_done = order && strcmp(order, "done") == 0;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, r, on_free);
    if (!resp) {
        srv_reply_error(r, 503, "out of memory");
        return;
    }
    srv_headers_common(resp, types[fmt]);
    /* libmicrohttpd 0.9.75 sends the last chunk ("0" CRLF CRLF) of a chunked answer to HEAD
     * too, bytes that the client reads as the next answer's start: HEAD gets GET's headers
     * without chunking (the answer ends with the connection). */
    if (strcmp(method, "HEAD") == 0)
        MHD_set_response_options(resp, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (download) {
        char cd[80];
        snprintf(cd, sizeof cd, "attachment; filename=\"cafe-%s.%s\"", j->id, exts[fmt]);
        MHD_add_response_header(resp, "Content-Disposition", cd);
    }
    r->fmt = fmt;
    r->cursor = fmt == FMT_SSE ? resume_cursor(r, j) : 0;
    /* An EventSource's Last-Event-ID, when it names a record, says where it is; else
     * ?offset. The rows after an offset follow rows the client has: no second header. */
    r->skip = r->cursor ? 0 : (uint64_t)offset;
    r->header_done = r->skip > 0;
    r->job = j;
    j->refs++;
    srv_req_ref(r); /* the response's: on_free gives it back */
    r->resp = resp;
    r->status = 200;
}
