/* libmicrohttpd's access handler: called once when a request's head has arrived, once per
 * piece of body, and once more when the body is complete (then again after each resume
 * until an answer is queued). Everything that can be refused is refused at the head, before
 * a byte of body is read: unknown routes, wrong methods, a missing token, a declared body
 * over --max-body. */
#include "srv.h"
#include "ascii.h"
#include "word8.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The path of a request target. HTTP/1.1 servers must take the absolute-form too
 * ("http://HOST:PORT/path", RFC 9112, 3.2.2), which proxies and some clients send: without
 * its scheme and authority. Its authority stands for the Host header, which the origin and
 * DNS rebinding checks read (origin.c): one that differs from the Host header sent with it
 * gets NULL (400), so that the two can never say different things. */
static const char *target_path(struct MHD_Connection *conn, const char *url) {
    if (ascii_ncasecmp(url, "http://", 7) != 0)
        return url;
    const char *authority = url + 7, *path = strchr(authority, '/');
    size_t n = path ? (size_t)(path - authority) : strlen(authority);
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    if (!host || strlen(host) != n || ascii_ncasecmp(host, authority, n) != 0)
        return NULL;
    return path ? path : "/";
}

static int route_of(const char *url) {
    if (strcmp(url, "/") == 0 || strcmp(url, "/app.js") == 0 || strcmp(url, "/app.css") == 0)
        return SRV_R_PAGE;
    if (strcmp(url, "/healthz") == 0)
        return SRV_R_HEALTHZ;
    if (strcmp(url, "/readyz") == 0)
        return SRV_R_READYZ;
    if (strcmp(url, "/metrics") == 0)
        return SRV_R_METRICS;
    if (strcmp(url, "/v1/title") == 0)
        return SRV_R_TITLE;
    if (strcmp(url, "/v1/jobs") == 0)
        return SRV_R_JOBS;
    if (strncmp(url, "/v1/jobs/", 9) == 0) {
        const char *slash = strchr(url + 9, '/');
        if (!slash)
            return SRV_R_JOB;
        if (strcmp(slash, "/results") == 0)
            return SRV_R_RESULTS;
    }
    return SRV_R_NOTFOUND;
}

/* The methods of a route, as its Allow header lists them. HEAD goes wherever GET does, as
 * HTTP asks of every server (RFC 9110, 9.1): the same answer, whose body libmicrohttpd leaves
 * out. OPTIONS goes everywhere: it asks for this list (9.3.7). */
static const char *allowed(int route) {
    switch (route) {
    case SRV_R_JOBS:
        return "POST, OPTIONS";
    case SRV_R_JOB:
        return "GET, HEAD, DELETE, OPTIONS";
    case SRV_R_NOTFOUND: /* "OPTIONS *": the server's */
        return "GET, HEAD, POST, DELETE, OPTIONS";
    default:
        return "GET, HEAD, OPTIONS";
    }
}

/* Whether method is one of allow's names, whole: a method is a token compared exactly, so
 * that "GE" or "P" (a substring of one) is not taken for it. */
static int method_allowed(const char *allow, const char *method) {
    size_t n = strlen(method);
    for (const char *p = allow; *p; p += strspn(p, ", ")) {
        size_t len = strcspn(p, ", ");
        if (len == n && memcmp(p, method, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

/* Compares in time that depends on the lengths only, not on where they differ. The scheme's
 * name is compared without case, as HTTP says ("bearer" is "Bearer"), and may be followed by
 * more than one space (RFC 6750, 2.1: "Bearer" 1*SP b64token): "Bearer  TOKEN" was 401. */
static int token_ok(const srv_t *s, struct MHD_Connection *conn) {
    if (!s->o.token)
        return 1;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || ascii_ncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7 + strspn(h + 7, " ");
    size_t n = strlen(h), m = strlen(s->o.token);
    unsigned char diff = n != m;
    for (size_t i = 0; i < n && i < m; i++)
        diff |= (unsigned char)(h[i] ^ s->o.token[i]);
    return diff == 0;
}

/* The request's Content-Length (ULLONG_MAX: one that is no number); *declared: whether it
 * has one. */
static unsigned long long declared_length(struct MHD_Connection *conn, int *declared) {
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    *declared = cl != NULL;
    if (!cl)
        return 0;
    char *end;
    unsigned long long v = strtoull(cl, &end, 10);
    return end == cl || *end ? ULLONG_MAX : v;
}

static int body_declared_too_big(const srv_t *s, struct MHD_Connection *conn) {
    int declared;
    unsigned long long v = declared_length(conn, &declared);
    return declared && v > s->o.max_body;
}

/* The most memory a job list may take: its declared length and a NUL, else --max-body's. */
static size_t list_cap_max(const srv_req_t *r) {
    int declared;
    unsigned long long v = declared_length(r->conn, &declared);
    return declared && v < r->srv->o.max_body ? (size_t)v + 1 : r->srv->o.max_body + 1;
}

/* Whether the lists being received have room for cap bytes more: they share --max-jobs
 * bodies of --max-body. Every connection may send one, but a thousand at once must not make
 * the service hold a thousand; more than --max-jobs could not all become jobs anyway. */
static int list_room(const srv_t *s, size_t cap) {
    return s->body_bytes + cap <= s->o.max_jobs * (s->o.max_body + 1);
}

enum { LIST_CAP_FIRST = 4096 }; /* a list's first buffer; it doubles as the list comes */

/* The room a list needs at its head: what its declared length will take (it is refused
 * before it is sent, rather than once the room is gone in its middle), or a chunked one's
 * first buffer. */
static size_t list_head_need(const srv_req_t *r) {
    size_t most = list_cap_max(r);
    int chunked = !MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    return chunked && most > LIST_CAP_FIRST ? LIST_CAP_FIRST : most;
}

static void refuse_list(srv_req_t *r) {
    srv_reply_busy(r, 429, "5", "too many job lists at once: try again later (see --max-jobs)");
}

/* The headers that say where a request ends, and the Host, as the request has them. */
typedef struct framing {
    unsigned content_length, transfer_encoding, host; /* how many of each */
    unsigned content_type, authorization;
    const char *te; /* the (last) Transfer-Encoding */
    int bad_name;   /* a name that is empty or holds a space or a control character */
    int bad_value;  /* a value that held a NUL, CR or LF, or a line folded (obs-fold) */
    /* The head as libmicrohttpd holds it (method .. method + its size; NULL: not known), and
     * where the last field seen ended in it. */
    const char *head, *end, *last;
} framing_t;

/* Whether [p, q) holds only what libmicrohttpd leaves between a field's value and the next
 * line: the NULs it wrote over the line end (and the colon of an empty value), spaces and
 * tabs it trimmed. */
static int only_line_end(const char *p, const char *q) {
    for (; p < q; p++)
        if (*p && *p != ' ' && *p != '\t')
            return 0;
    return 1;
}

/* RFC 9110 (5.5): a field value holding a NUL, CR or LF is to be refused (or each replaced
 * by a space), as nginx refuses it. libmicrohttpd 0.9.75 keeps a CR that is no line end in
 * the value, but ends the value at a NUL and drops what follows it on its line: "Bearer
 * TOKEN\0junk" was the token, and no part of the service could tell. The head stays in
 * libmicrohttpd's buffer, each field's name and value pointing into it in order, so that
 * what lies between one value's end and the next name shows what was cut: nothing but the
 * line end's NULs (and blanks) when nothing was. A line folded onto the one before it
 * (obs-fold, which RFC 9112 says to refuse or join) shows there too, or is copied out of
 * the head. */
static void check_field(framing_t *f, const char *key, size_t key_size, const char *value,
                        size_t value_size) {
    if (memchr(value, '\r', value_size) || memchr(value, '\n', value_size))
        f->bad_value = 1;
    if (!f->head)
        return;
    if (!f->last && (key < f->head || key >= f->end)) {
        f->head = NULL; /* a library that keeps its fields elsewhere: the values alone */
        return;
    }
    const char *past = value_size ? value + value_size : key + key_size;
    if (key < f->head || key + key_size > f->end || past < key || past > f->end ||
        (f->last && (key < f->last || !only_line_end(f->last, key))))
        f->bad_value = 1;
    f->last = past;
}

/* "Transfer-Encoding : chunked" is no Transfer-Encoding to libmicrohttpd, which stores the
 * name with its space and reads the body by the Content-Length beside it; a proxy that
 * trims the name reads it chunked. RFC 9112 (5.1) says to refuse such a name, as nginx does
 * (since 1.21.1): an empty one, or one with a space or a control character in it. */
static int bad_name(const char *key) {
    if (!*key)
        return 1;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 1;
    return 0;
}

/* RFC 9110 (5.5): a field value excludes the blanks (SP, HTAB) around it, as nginx reads it.
 * libmicrohttpd 0.9.75 keeps those after it: "Authorization: Bearer TOKEN " was a wrong
 * token, "Host: 127.0.0.1 " no loopback name, "Last-Event-ID: 2 " no event. They are cut
 * off where the value lies, in libmicrohttpd's buffer (as it cuts the line end: NULs), once,
 * before any part of the service reads a header. */
static void trim_value(const char *value, size_t value_size) {
    char *v = (char *)value; /* the buffer is libmicrohttpd's, writable */
    while (value_size && (v[value_size - 1] == ' ' || v[value_size - 1] == '\t'))
        v[--value_size] = '\0';
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t key_size, const char *value, size_t value_size) {
    framing_t *f = cls;
    (void)kind;
    f->bad_name |= bad_name(key);
    check_field(f, key, key_size, value, value_size);
    if (f->head) /* the fields lie in the head's buffer (check_field) */
        trim_value(value, value_size);
    if (ascii_casecmp(key, "Content-Length") == 0)
        f->content_length++;
    else if (ascii_casecmp(key, "Transfer-Encoding") == 0)
        f->te = value, f->transfer_encoding++;
    else if (ascii_casecmp(key, "Host") == 0)
        f->host++;
    else if (ascii_casecmp(key, "Content-Type") == 0)
        f->content_type++;
    else if (ascii_casecmp(key, "Authorization") == 0)
        f->authorization++;
    return MHD_YES;
}

/* Why a request whose end (or host) a proxy in front could read otherwise than
 * libmicrohttpd does is refused, as nginx refuses it; NULL when it is not. libmicrohttpd
 * takes the first of two Content-Lengths, takes chunked over a Content-Length and then keeps
 * the connection, and waits for the end of the connection after a Transfer-Encoding it does
 * not know: a proxy that took the other length would send the rest of the body on as a
 * request of its own, which nothing in front of the service checked (request smuggling). The
 * answer is given at once, so the connection is closed after it (RFC 9112, 6.1). *status:
 * 400, or 501 for a transfer coding other than chunked. */
static const char *framing_refused(struct MHD_Connection *conn, const char *method,
                                   const char *version, unsigned *status) {
    framing_t f = {0};
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (i && i->header_size) {
        f.head = method; /* the request line's first byte */
        f.end = method + i->header_size;
    }
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, count_header, &f);
    if (f.head && f.last && !only_line_end(f.last, f.end))
        f.bad_value = 1;
    *status = 400;
    if (f.bad_name)
        return "a header name may not be empty or hold a space or a control character";
    if (f.bad_value)
        return "a header value may not hold a NUL, CR or LF byte, nor go on over a folded line";
    if (f.content_length > 1 || f.transfer_encoding > 1 || f.host > 1)
        return "Content-Length, Transfer-Encoding and Host may each be sent once only";
    /* how the body reads (text or JSON), and whose token: libmicrohttpd goes by the first, a
     * proxy in front may go by the last (one of its own, put after the client's) */
    if (f.content_type > 1 || f.authorization > 1)
        return "Content-Type and Authorization may each be sent once only";
    /* RFC 9112 (3.2) and nginx: without it the origin and DNS rebinding checks, which read
     * it, had nothing to go by and let the request through */
    if (!f.host && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
        return "a Host header is required";
    if (f.transfer_encoding && f.content_length)
        return "Content-Length and Transfer-Encoding may not be sent together";
    if (f.transfer_encoding && strcmp(version, MHD_HTTP_VERSION_1_1) != 0)
        return "Transfer-Encoding needs HTTP/1.1";
    *status = 501;
    if (f.transfer_encoding && ascii_casecmp(f.te, "chunked") != 0)
        return "the only Transfer-Encoding taken is chunked";
    return NULL;
}

/* libmicrohttpd decodes the path and the query before the handler sees them, and a %00
 * becomes the end of the string: "/metrics%00.css" was served as /metrics (past a proxy in
 * front that keeps /metrics to itself), ?url=http://a/%00b fetched http://a/. No path or
 * URL holds a NUL: such a target is refused (400), as nginx refuses one in the path.
 * And libmicrohttpd takes all between the request line's first and last spaces for the
 * target: "GET /v1/title?url=http://a/ b HTTP/1.1" fetched http://a/%20b, and a control
 * character went through, where RFC 9112 (3.2) allows neither and nginx in front answers
 * 400: refused too. */
char srv_bad_target[3];

/* libmicrohttpd parses the query into the connection's memory (SRV_CONN_MEMORY) right after
 * this callback, a record for each parameter: 350 of them (a target of 350 bytes, "?&&&...")
 * filled it, and libmicrohttpd then held the connection unanswered until --header-timeout
 * and closed it without a word. The routes take at most four: past this many the request is
 * refused (414), and its query cut here, in libmicrohttpd's buffer, before it is parsed. */
enum { SRV_MAX_PARAMS = 64 };

static int too_many_params(const char *uri) {
    const char *q = strchr(uri, '?');
    size_t n = 0;
    for (const char *p = q; p && n <= SRV_MAX_PARAMS; p = strchr(p + 1, '&'))
        n++;
    if (n <= SRV_MAX_PARAMS)
        return 0;
    ((char *)q)[1] = '\0'; /* the buffer is libmicrohttpd's, writable: it cuts it itself */
    return 1;
}

/* Whether s[0..n) holds a space, a control character or DEL: 8 bytes at a time (word8.h), as
 * every request's target goes through here; a byte loop cost 7 times strstr's scan. */
static int has_space_or_control(const char *s, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = word8_at(s + i);
        if (word8_has_below(x, 0x21) || word8_has(x, 0x7f))
            return 1;
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return 1;
    return 0;
}

void *srv_on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    (void)cls;
    srv_conn_target_seen(conn);
    size_t n = strlen(uri);
    /* A raw NUL ends the string libmicrohttpd gives, the rest of the target unseen: the
     * target is followed in its buffer by the NUL written over the space before the
     * version, and then the version, when it holds none. */
    if (has_space_or_control(uri, n) || strncmp(uri + n + 1, "HTTP/", 5) != 0)
        return &srv_bad_target[1];
    if (too_many_params(uri))
        return &srv_bad_target[2];
    return strstr(uri, "%00") ? &srv_bad_target[0] : NULL;
}

int srv_target_refused(const void *con_cls) {
    for (int i = 0; i < 3; i++)
        if (con_cls == &srv_bad_target[i])
            return i + 1;
    return 0;
}

/* The query parameters each route takes, one value each. Sent twice ("?url=A&url=B", or
 * "URL=B": libmicrohttpd matches names without case), which one is meant? libmicrohttpd's
 * lookup gives the first, a proxy or client library in front may go by the last, so that the
 * request would mean one thing to it and another to the service: refused (400), the
 * parameter named. Other parameters are ignored, as before. */
static const struct {
    int route;
    const char *name;
} single[] = {{SRV_R_TITLE, "url"},
              {SRV_R_RESULTS, "format"},
              {SRV_R_RESULTS, "order"},
              {SRV_R_RESULTS, "download"},
              {SRV_R_RESULTS, "offset"}};

typedef struct params {
    int route;
    unsigned char seen[sizeof single / sizeof single[0]];
    const char *twice; /* the first parameter seen twice */
} params_t;

static enum MHD_Result count_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    params_t *p = cls;
    (void)kind;
    (void)value;
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
        if (single[i].route == p->route && ascii_casecmp(key, single[i].name) == 0 && p->seen[i]++)
            p->twice = single[i].name;
    return p->twice ? MHD_NO : MHD_YES;
}

/* The name of a parameter of r's route given more than once; NULL when none is. */
static const char *repeated_param(const srv_req_t *r) {
    if (r->route != SRV_R_TITLE && r->route != SRV_R_RESULTS)
        return NULL;
    params_t p = {.route = r->route};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, count_param, &p);
    return p.twice;
}

/* OPTIONS: 204 and the methods allowed, without the token (it carries none, as no browser
 * preflight does). No CORS header: a page of another origin may not call the API, and its
 * preflight (an Origin) got 403 before this. */
static void options(srv_req_t *r, const char *allow) {
    if (srv_reply(r, 204, "text/plain", "", 0, 0) != 0)
        return;
    MHD_del_response_header(r->resp, "Content-Type", "text/plain");
    MHD_add_response_header(r->resp, "Allow", allow);
}

/* Whether a POST's body is multipart (curl -F, an HTML form's file upload): its boundaries
 * and part heads would be read as URL lines beside the URLs. Any other type is read as the
 * job's list (JSON, or text lines: text/plain, text/csv, curl's form-urlencoded default). */
static int multipart(struct MHD_Connection *conn) {
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    return ct && ascii_ncasecmp(ct + strspn(ct, " \t"), "multipart/", 10) == 0;
}

/* A Content-Encoding other than identity (each of its codings, in each such header): the
 * list would be read compressed, as lines of junk. NULL when there is none. */
static enum MHD_Result find_coding(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    const char **found = cls;
    (void)kind;
    if (ascii_casecmp(key, "Content-Encoding") != 0)
        return MHD_YES;
    for (const char *p = value; *p; p += strspn(p, ", \t")) {
        size_t n = strcspn(p, ", \t");
        if (n && !(n == 8 && ascii_ncasecmp(p, "identity", 8) == 0)) {
            *found = value;
            return MHD_NO;
        }
        p += n;
    }
    return MHD_YES;
}

static const char *content_coding(struct MHD_Connection *conn) {
    const char *found = NULL;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, find_coding, &found);
    return found;
}

/* Whether r already has its (refusing) answer: 0 when it has none, 2 when its connection is
 * to be closed after it (a request whose end or target may be read otherwise by a proxy in
 * front: whatever follows it is nobody's request), 1 otherwise. */
static int refuse_early(srv_req_t *r, const char *path, const char *method, const char *version,
                        int bad) {
    srv_t *s = r->srv;
    const char *allow = allowed(r->route);
    unsigned status;
    const char *framing = framing_refused(r->conn, method, version, &status);
    if (framing)
        return srv_reply_error(r, status, framing), 2;
    if (bad == 3)
        return srv_reply_error(r, 414, "more than 64 query parameters"), 2;
    if (bad)
        return srv_reply_error(r, 400,
                               bad == 1 ? "a NUL byte (%00) in the request target"
                                        : "a space or a control character in the request target"),
               2;
    int opts = strcmp(method, "OPTIONS") == 0;
    if (r->route == SRV_R_NOTFOUND && !(opts && strcmp(path, "*") == 0))
        return srv_reply_error(r, 404, "not found"), 1;
    if (!method_allowed(allow, method)) {
        srv_reply_error(r, 405, "method not allowed");
        if (r->resp)
            MHD_add_response_header(r->resp, "Allow", allow);
        return 1;
    }
    int api = r->route != SRV_R_PAGE && r->route != SRV_R_HEALTHZ && r->route != SRV_R_READYZ;
    const char *foreign = api ? srv_request_foreign(s, r->conn) : NULL;
    if (foreign)
        return srv_reply_error(r, 403, foreign), 1;
    if (opts)
        return options(r, allow), 1;
    if (api && !token_ok(s, r->conn))
        return srv_reply_error(r, 401, "missing or wrong token"), 1;
    const char *twice = repeated_param(r);
    if (twice) {
        char msg[64];
        snprintf(msg, sizeof msg, "parameter %s given more than once", twice);
        return srv_reply_error(r, 400, msg), 1;
    }
    if (body_declared_too_big(s, r->conn))
        return srv_reply_error(r, 413, "request body too large"), 1;
    /* A job's status and its DELETE still go while jobs get --shutdown-grace to finish: a
     * cancel refused then was lost, and the restart resumed the job. */
    if (s->stopping && r->route != SRV_R_HEALTHZ && r->route != SRV_R_READYZ &&
        r->route != SRV_R_JOB)
        return srv_reply_stopping(r, "shutting down"), 1;
    if (r->route == SRV_R_JOBS && multipart(r->conn)) {
        srv_reply_error(r, 415,
                        "a multipart upload is not taken: send the list itself, as text/plain "
                        "(a URL a line) or application/json (an array of strings)");
        if (r->resp)
            MHD_add_response_header(r->resp, "Accept-Post", "text/plain, application/json");
        return 1;
    }
    const char *coding = r->route == SRV_R_JOBS ? content_coding(r->conn) : NULL;
    if (coding) {
        char msg[160];
        snprintf(msg, sizeof msg, "Content-Encoding %.80s is not taken: send the list as it is",
                 coding);
        srv_reply_error(r, 415, msg);
        if (r->resp)
            MHD_add_response_header(r->resp, "Accept-Encoding", "identity");
        return 1;
    }
    char why[160];
    unsigned bad_cs = r->route == SRV_R_JOBS
                          ? srv_body_charset_check(MHD_lookup_connection_value(
                                                       r->conn, MHD_HEADER_KIND, "Content-Type"),
                                                   why, sizeof why)
                          : 0;
    if (bad_cs)
        return srv_reply_error(r, bad_cs, why), 1;
    /* before the client sends a list for nothing */
    if (r->route == SRV_R_JOBS && srv_jobs_client_refused(r))
        return 1;
    if (r->route == SRV_R_JOBS && srv_jobs_full(s))
        return srv_jobs_refuse(r), 1;
    /* Before "100 Continue" too: a list the room left cannot hold was read whole (a client
     * that waits for it sent it for nothing) and then refused. */
    if (r->route == SRV_R_JOBS && !list_room(s, list_head_need(r)))
        return refuse_list(r), 1;
    return 0;
}

void srv_body_free(srv_req_t *r) {
    r->srv->body_bytes -= r->body_cap;
    free(r->body);
    r->body = NULL;
    r->body_len = r->body_cap = 0;
}

/* Appends a piece of body. A chunked body declares no length, so this is where one over
 * --max-body is stopped: its 413 is prepared, and the rest of the body is read and dropped,
 * because libmicrohttpd sends an answer only once the whole request is in. Dropping is
 * bounded: past another --max-body of it the client is not listening and the connection is
 * closed (returns 0). Only a job's list is kept: any other route's body is counted against
 * the limit and dropped as it comes, so that no request (not even one for the page, which
 * needs no token) makes the service hold --max-body of memory for each connection. */
static int take_body(srv_req_t *r, const char *data, size_t len) {
    size_t max = r->srv->o.max_body;
    if (r->body_refused) {
        r->body_dropped += len;
        return r->body_dropped <= max;
    }
    if (len > max - r->body_len) {
        r->body_refused = 1;
        r->body_dropped = r->body_len + len - max;
        srv_body_free(r);
        srv_reply_error(r, 413, "request body too large");
        return 1;
    }
    if (r->route != SRV_R_JOBS) {
        r->body_len += len;
        return 1;
    }
    size_t need = r->body_len + len + 1;
    if (need > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap * 2 : LIST_CAP_FIRST;
        while (cap < need)
            cap *= 2;
        /* no more than its declared length needs: what its head was let in for */
        size_t most = list_cap_max(r);
        if (most < need) /* libmicrohttpd holds a body to its length: never, but safe */
            most = need;
        if (cap > most)
            cap = most;
        if (!list_room(r->srv, cap - r->body_cap)) {
            r->body_refused = 1;
            r->body_dropped = r->body_len + len;
            srv_body_free(r);
            refuse_list(r);
            return 1;
        }
        char *b = realloc(r->body, cap);
        if (!b) {
            r->body_refused = 1;
            srv_reply_error(r, 503, "out of memory");
            return 1;
        }
        r->srv->body_bytes += cap - r->body_cap;
        r->body = b;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return 1;
}

static void healthz(srv_req_t *r) {
    static const char ok[] = "{\"status\":\"ok\"}\n";
    static const char stopping[] = "{\"status\":\"stopping\"}\n";
    srv_t *s = r->srv;
    if (s->stopping) {
        if (srv_reply(r, 503, "application/json", stopping, sizeof stopping - 1, 0) == 0)
            MHD_add_response_header(r->resp, "Cache-Control", "no-store");
        srv_retry_after_stopping(r);
        return;
    }
    if (!s->healthz && srv_reply(r, 200, "application/json", ok, sizeof ok - 1, 0) == 0) {
        /* a probe's answer, of this moment: a shared cache in front kept the 200 (Varnish, by
         * its default TTL, 2 minutes) and answered it after the service had stopped */
        MHD_add_response_header(r->resp, "Cache-Control", "no-store");
        s->healthz = r->resp; /* kept for every later call; freed at stop */
        r->resp = NULL;
    }
    if (s->healthz)
        srv_reply_shared(r, 200, s->healthz);
}

static void dispatch(srv_req_t *r, const char *url, const char *method) {
    switch (r->route) {
    case SRV_R_PAGE:
        srv_page_reply(r, url);
        break;
    case SRV_R_HEALTHZ:
        healthz(r);
        break;
    case SRV_R_READYZ:
        srv_ready_reply(r);
        break;
    case SRV_R_METRICS:
        srv_metrics_reply(r);
        break;
    case SRV_R_TITLE:
        srv_title_get(r, MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "url"));
        break;
    case SRV_R_JOBS:
        srv_jobs_post(r);
        break;
    default:
        srv_job_get(r, url + 9, method);
        break;
    }
}

static enum MHD_Result queue(srv_req_t *r) {
    srv_t *s = r->srv;
    srv_conn_request_answered(s, r->conn);
    /* A stopping service keeps no connection: the client's next request goes to a new one
     * (nginx's graceful stop); a shared answer's connection is closed once it is sent. */
    if (s->stopping && !r->resp_shared)
        MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONNECTION, "close");
    unsigned cls = r->status / 100;
    s->m.responses[cls < 6 ? cls : 5]++;
    enum MHD_Result rc = MHD_queue_response(r->conn, r->status, r->resp);
    if (!r->resp_shared)
        MHD_destroy_response(r->resp);
    r->resp = NULL;
    return rc;
}

typedef struct {
    const char *name;
    char *text;
    size_t len;
    int failed;
} joined_t;

static enum MHD_Result join_line(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value) {
    joined_t *j = cls;
    (void)kind;
    if (ascii_casecmp(key, j->name) != 0 || j->failed)
        return MHD_YES;
    size_t n = strlen(value);
    char *t = realloc(j->text, j->len + n + 3);
    if (!t) {
        j->failed = 1;
        return MHD_NO;
    }
    if (j->len)
        memcpy(t + j->len, ", ", 2), j->len += 2;
    memcpy(t + j->len, value, n + 1);
    j->len += n;
    j->text = t;
    return MHD_YES;
}

char *srv_header_list(struct MHD_Connection *conn, const char *name) {
    joined_t j = {name, NULL, 0, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, join_line, &j);
    if (j.failed) {
        free(j.text);
        return NULL;
    }
    return j.text;
}

/* Whether the request on conn has no body (no Content-Length but 0, no Transfer-Encoding).
 * libmicrohttpd 0.9.75 closes the connection after an answer queued at the handler's first
 * call, when a body may still be unread: an OPTIONS (204), a 401, 404 or 405 closed the
 * kept-alive connection of a client (a browser, a poller) that sent nothing more, and its
 * next request paid a new connection. The answer of a request without a body is queued at
 * the next call instead, and the connection kept; one with a body is still closed after its
 * refusal, the body unread. */
static int bodiless(struct MHD_Connection *conn) {
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    return (!cl || strcmp(cl, "0") == 0) &&
           !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
}

enum MHD_Result srv_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls) {
    srv_t *s = cls;
    srv_req_t *r = *con_cls;
    const char *path = target_path(conn, url);
    int bad = srv_target_refused(r);
    if (!r || bad) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return srv_conn_drop(conn), MHD_NO;
        r->srv = s;
        r->conn = conn;
        r->refs = 1;
        *con_cls = r;
        srv_conn_request_started(s, conn, version);
        r->route = path ? route_of(path) : SRV_R_NOTFOUND;
        s->m.requests[r->route]++;
        int refused = path ? refuse_early(r, path, method, version, bad) : 2;
        if (!refused)
            return MHD_YES;
        if (!path)
            srv_reply_error(r, 400, "the target's host is not the Host header");
        if (refused == 1 && r->resp && bodiless(conn))
            return MHD_YES; /* queued at the next call, which comes at once */
        srv_conn_closes(conn);
        return queue(r);
    }
    if (r->gone && r->route == SRV_R_TITLE)
        srv_title_gone(r);
    if (r->gone)
        return srv_conn_drop(conn), MHD_NO; /* nobody to answer: the connection is closed */
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        srv_conn_body_came(s, conn, n);
        if (take_body(r, upload, n))
            return MHD_YES;
        return srv_conn_drop(conn), MHD_NO;
    }
    if (!r->resp && !r->suspended && !r->job)
        dispatch(r, path, method);
    if (r->resp)
        return queue(r);
    srv_conn_request_answered(s, conn); /* suspended: a task will answer */
    return MHD_YES;
}
