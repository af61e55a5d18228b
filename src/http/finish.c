/* End of a try: curl's outcome turned into the result, the task woken, the transfer pooled.
 * curl codes are translated at cafe's edge (curl_error.c); curl's own message is kept. */
#include "common/content_type.h"
#include "common/ascii.h"
#include "common/url.h"
#include "http/internal.h"
#include "http/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cafe__http_fail(cafe_http_result_t *res, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof(res->message), fmt, ap);
    va_end(ap);
    res->error = code;
    return code;
}

/* res's content_type and charset from the value v (n bytes), through the client's memory of
 * the last value parsed. */
static void content_type_fill(cafe__http_client_t *c, const char *v, size_t n,
                              cafe_http_result_t *res) {
    if (n < sizeof c->last_type.raw && memcmp(c->last_type.raw, v, n) == 0 &&
        c->last_type.raw[n] == '\0') {
        memcpy(res->content_type, c->last_type.type, sizeof res->content_type);
        memcpy(res->charset, c->last_type.charset, sizeof res->charset);
        return;
    }
    cafe__content_type_parse(v, n, res->content_type, sizeof(res->content_type), res->charset,
                             sizeof(res->charset));
    if (n < sizeof c->last_type.raw) {
        memcpy(c->last_type.raw, v, n);
        c->last_type.raw[n] = '\0';
        memcpy(c->last_type.type, res->content_type, sizeof c->last_type.type);
        memcpy(c->last_type.charset, res->charset, sizeof c->last_type.charset);
    }
}

/* The value curl keeps of the last Content-Type header alone (its first line). */
static void content_type_last(cafe__http_xfer_t *x, cafe_http_result_t *res) {
    char *v = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &v);
    content_type_fill(x->c, v ? v : "", v ? strlen(v) : 0, res);
}

/* Content-Type headers joined at most: a response with more is hostile, and each lookup by
 * index walks all the response's headers (so does each step of curl_easy_nextheader, in
 * libcurl 7.88): 7,000 of them, joined, cost 8 s of CPU. Beyond it the last one alone is
 * parsed. */
#define CONTENT_TYPES_MAX 32

/* Every Content-Type header of the response, as the Fetch standard reads them: their values
 * joined with ", " (a quoted string may run from one into the next), folded lines unfolded
 * (curl's header API does that; CURLINFO_CONTENT_TYPE has the last header's first line
 * only, and drops "text/html;\r\n charset=koi8-r"'s charset). One header is parsed in
 * place; several, rare, are joined in a copy. Out of memory for it, curl's last one alone
 * is parsed. */
static void content_types_fill(cafe__http_xfer_t *x, cafe_http_result_t *res) {
    struct curl_header *h;
    /* None since the last status line: the page has none. CURLINFO_CONTENT_TYPE keeps the
     * last value of the transfer, a redirect's or a 1xx's before the page (Chromium sniffs
     * such a page, without their charset). */
    if (!x->lines.typed) {
        content_type_fill(x->c, "", 0, res);
        return;
    }
    /* A value ended in a byte curl trims: the values as they came, when all were kept. */
    if (x->lines.type_cut && !x->lines.type_over) {
        content_type_fill(x->c, x->type_raw, x->lines.type_len, res);
        return;
    }
    /* At most one such line in the whole transfer, plain and not folded (x->lines): curl's
     * header API has it for the final response, as CURLINFO_CONTENT_TYPE does (the last
     * non-blank value of the transfer's responses, trimmed alike), or has none, and then
     * that is what is read anyway. One lookup instead of a walk over every header. And with
     * no control byte in it (not type_odd), curl's trim (its ISSPACE) takes off what
     * type_keep's did (HTTP whitespace): the value kept is curl's, without the lookup. */
    if (x->lines.types == 1 && !x->lines.type_odd && !x->lines.folded && !x->lines.type_over) {
        content_type_fill(x->c, x->type_raw, x->lines.type_len, res);
        return;
    }
    if (x->lines.types == 0 || (x->lines.types == 1 && !x->lines.type_odd && !x->lines.folded)) {
        content_type_last(x, res);
        return;
    }
    if (curl_easy_header(x->easy, "Content-Type", 0, CURLH_HEADER, -1, &h) != CURLHE_OK) {
        /* None, or a redirect curl refused to follow: that began a request with no headers
         * yet, and curl's copy of the refused response's header is what there is. */
        content_type_last(x, res);
        return;
    }
    size_t amount = h->amount, total = 0, len = 0;
    if (amount == 1) {
        content_type_fill(x->c, h->value, strlen(h->value), res);
        return;
    }
    char *joined = NULL;
    if (amount <= CONTENT_TYPES_MAX) {
        for (size_t i = 0; i < amount; i++)
            if (curl_easy_header(x->easy, "Content-Type", i, CURLH_HEADER, -1, &h) == CURLHE_OK)
                total += strlen(h->value) + 2;
        joined = malloc(total);
    }
    if (!joined) {
        content_type_last(x, res);
        return;
    }
    for (size_t i = 0; i < amount; i++) {
        if (curl_easy_header(x->easy, "Content-Type", i, CURLH_HEADER, -1, &h) != CURLHE_OK)
            continue;
        size_t n = strlen(h->value);
        if (len) {
            memcpy(joined + len, ", ", 2);
            len += 2;
        }
        memcpy(joined + len, h->value, n);
        len += n;
    }
    cafe__content_type_parse(joined, len, res->content_type, sizeof(res->content_type),
                             res->charset, sizeof(res->charset));
    free(joined);
}

/* Content-Length headers compared at most (the lookup by index walks all the headers): the
 * first ones and the last (cafe__http_value_index). */
#define CONTENT_LENGTHS_MAX 32

/* Whether the response's Content-Length values differ (over several headers, or a list in
 * one: -1) or one is no decimal number ("0x10", "5abc": CAFE__HTTP_LENGTH_NAN); 0 when
 * neither. Where its body ends is unknown: RFC 9112 (6.3) makes either an unrecoverable
 * error, Chromium (ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH) and Firefox refuse values
 * that differ; libcurl 7.88 takes the last header's first digits and reads that much, a page
 * cut without an error. */
static int content_length_fault(const cafe__http_xfer_t *x) {
    CURL *e = x->easy;
    struct curl_header *h;
    /* At most one such line in the whole transfer, a number alone and not folded into
     * another line: nothing to differ, nothing curl misreads. */
    if (x->lines.lengths < 2 && !x->lines.length_odd && !x->lines.folded)
        return 0;
    if (curl_easy_header(e, "Content-Length", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return 0;
    size_t total = h->amount, amount = total < CONTENT_LENGTHS_MAX ? total : CONTENT_LENGTHS_MAX;
    uint64_t first = 0, v = 0;
    int seen = 0;
    for (size_t i = 0; i < amount; i++) {
        size_t at = cafe__http_value_index(i, total, CONTENT_LENGTHS_MAX);
        if (i && curl_easy_header(e, "Content-Length", at, CURLH_HEADER, -1, &h) != CURLHE_OK)
            break;
        int rc = cafe__http_content_length_parse(h->value, strlen(h->value), &v);
        if (rc < 0)
            return rc;
        if (rc == 1 && seen && v != first)
            return -1;
        if (rc == 1 && !seen)
            first = v, seen = 1;
    }
    return 0;
}

/* The Fetch standard's "determine nosniff" on the last response: the first value of its
 * X-Content-Type-Options headers (up to a ',', HTTP whitespace trimmed) is "nosniff", in any
 * case. Asked of curl only when the header function saw such a line. */
static int nosniff(cafe__http_xfer_t *x) {
    struct curl_header *h;
    if (!x->lines.nosniff ||
        curl_easy_header(x->easy, "X-Content-Type-Options", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return 0;
    const char *v = h->value + strspn(h->value, " \t");
    size_t n = strcspn(v, ",");
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return n == 7 && ascii_ncasecmp(v, "nosniff", 7) == 0;
}

/* The URL curl's transfer ended at (curl), or the one it started from (given) when curl's is
 * that URL without its empty query or fragment (the transfer followed no redirect): libcurl 7.88
 * drops both when it writes a URL
 * ("http://h/p?" is "http://h/p"), though it requested "/p?", and a browser's URL keeps them.
 * The lengths first: most URLs differ in none of that. */
static const char *url_written(const char *given, const char *curl) {
    int query, fragment;
    size_t g = strlen(given), n = strlen(curl);
    if (g == n || g > n + 2 || !cafe__url_empty_parts(given, &query, &fragment))
        return curl;
    size_t f = strcspn(given, "#") - (size_t)query; /* given[0, f) is curl's before its '#' */
    const char *frag = fragment ? "" : given + f + query;
    return strncmp(given, curl, f) == 0 && strcmp(curl + f, frag) == 0 ? given : curl;
}

/* The URL curl's transfer ended at after the redirects it followed, with the fragment browsers
 * give it (x->fragment: the last Location's, or passed on from the URL before), where curl
 * keeps a Location's own alone, and not an empty one. NULL when out of memory. */
static char *url_followed(const cafe__http_xfer_t *x, const char *curl) {
    size_t n = strcspn(curl, "#"), f = x->fragment ? strlen(x->fragment) : 0;
    char *out = malloc(n + f + 2);
    if (out)
        snprintf(out, n + f + 2, "%.*s%s%s", (int)n, curl, x->fragment ? "#" : "",
                 x->fragment ? x->fragment : "");
    return out;
}

/* The page's URL, where curl's transfer ended (res->url): the final response's, after the
 * redirects curl followed and the hops the request took itself (t->url is where this transfer
 * started). */
static void url_fill(cafe__http_xfer_t *x, const cafe__http_try_t *t, cafe_http_result_t *res) {
    char *url = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
    free(res->url);
    res->url = !url      ? NULL
               : x->hops ? url_followed(x, url)
                         : strdup(t->url ? url_written(t->url, url) : url);
}

void cafe__http_meta_fill(cafe__http_xfer_t *x, const cafe__http_try_t *t) {
    cafe_http_result_t *res = t->res;
    CURL *e = x->easy;
    long version = 0;
    /* The body started: the last status line the header function saw is its response's
     * (curl skips the bodies of the redirects it follows). In its plain form, what curl read
     * of it: two getinfo calls spared (~140 instructions). */
    if (x->started && x->lines.status) {
        res->status = x->lines.status;
        res->http_version = (int)x->lines.version;
    } else {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res->status);
        curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
        res->http_version = version == CURL_HTTP_VERSION_1_0   ? 10
                            : version == CURL_HTTP_VERSION_1_1 ? 11
                            : version == CURL_HTTP_VERSION_2_0 ? 20
                            : version == CURL_HTTP_VERSION_3   ? 30
                                                               : 0;
    }
    content_types_fill(x, res);
    url_fill(x, t, res);
    res->nosniff = nosniff(x);
    x->length_fault = content_length_fault(x);
    /* A length that frames no body (a HEAD's, a 204's or a 304's) misleads no one: only
     * values that differ are refused there, as Chromium refuses them for any response. */
    if (x->length_fault == CAFE__HTTP_LENGTH_NAN &&
        (x->profile.method == CAFE_HTTP_HEAD || res->status == 204 || res->status == 304))
        x->length_fault = 0;
}

static uint64_t usecs(CURL *e, CURLINFO what) {
    curl_off_t v = 0;
    curl_easy_getinfo(e, what, &v);
    return v > 0 ? (uint64_t)v : 0;
}

void cafe__http_body_hand(cafe__http_xfer_t *x, cafe_http_result_t *res) {
    res->body_bytes = x->decoded;
    res->body = x->body;
    res->body_len = x->body_len;
    x->body = NULL;
}

static void info_fill(cafe__http_xfer_t *x, const cafe__http_try_t *t, cafe_http_result_t *res) {
    const cafe_http_opts_t *o = t->opts;
    CURL *e = x->easy;
    long redirects = 0;
    /* Filled already at the first body chunk (body.c), which is the final response's:
     * curl skips the bodies of the redirects it follows. */
    if (!x->started)
        cafe__http_meta_fill(x, t);
    cafe__http_body_hand(x, res);
    x->c->stats.curl_calls += 5;
    if (o->no_metrics)
        return;
    curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
    res->redirects = (int)redirects;
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &res->connects);
    res->bytes = usecs(e, CURLINFO_SIZE_DOWNLOAD_T);
    res->timing.dns_us = usecs(e, CURLINFO_NAMELOOKUP_TIME_T);
    res->timing.connect_us = usecs(e, CURLINFO_CONNECT_TIME_T);
    res->timing.tls_us = usecs(e, CURLINFO_APPCONNECT_TIME_T);
    res->timing.first_byte_us = usecs(e, CURLINFO_STARTTRANSFER_TIME_T);
    res->timing.total_us = usecs(e, CURLINFO_TOTAL_TIME_T);
    x->c->stats.curl_calls += 9;
}

static int64_t retry_after(CURL *e) {
    struct curl_header *h;
    if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return -1;
    return cafe__http_retry_after_parse(h->value, strlen(h->value), (int64_t)time(NULL));
}

const char *cafe__http_header_value(CURL *e, const char *name) {
    struct curl_header *h;
    if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h->value)
        return "";
    return h->value;
}

long cafe__http_max_redirects(const cafe_http_opts_t *o) {
    return o->max_redirects > 0 ? (long)o->max_redirects : CAFE_HTTP_DEFAULT_MAX_REDIRECTS;
}

/* Redirects are followed, yet the last response is a redirect: curl had nowhere to go. */
static int redirect_dead_end(CURL *e, const cafe_http_opts_t *o, long status) {
    if (o->max_redirects < 0) /* CAFE_HTTP_NO_REDIRECTS: the 3xx is the result */
        return 0;
    if (!cafe__http_redirect_status(status))
        return 0;
    const char *loc = cafe__http_header_value(e, "Location");
    /* libcurl 7.88 gives an empty value as "\r" (seen with "Location: \r\n"): blank too */
    return loc[strspn(loc, " \t\r\n")] == '\0';
}

/* The request went unanswered on a connection the server was closing, and curl ended it
 * rather than try it again as it does such requests: safe to send again on a new connection
 * (cafe sends only GET and HEAD, and nothing of an answer came). libcurl 7.88 ends so
 *  - a stream above a GOAWAY's last-stream-id, when it was the connection's last open one
 *    and its own transfer read the GOAWAY: CURLE_HTTP2, "Error in the HTTP2 framing layer"
 *    (h2_process_pending_input takes the refusal for a stream error; seen with nginx closing
 *    its HTTP/2 connections every few requests, keepalive_requests, ~1 request in 1,000);
 *  - a request refused or dropped unanswered on 5 connections in a row (its own retries):
 *    CURLE_SEND_ERROR or CURLE_RECV_ERROR, "Connection died, tried 5 times before giving
 *    up", as with 8 requests in flight to a server that closes after 3. */
static int unanswered(cafe__http_xfer_t *x, CURLcode code) {
    if (code != CURLE_HTTP2 &&
        !((code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR) && cafe__http_xfer_retried(x)))
        return 0;
    long head = 0;
    curl_easy_getinfo(x->easy, CURLINFO_HEADER_SIZE, &head);
    return head == 0 && x->decoded == 0;
}

/* The request, sent again after it went unanswered, went unanswered again (request.c ends
 * it): said so, before curl's message. */
static int unanswered_again(const cafe__http_xfer_t *x, CURLcode code, cafe_http_result_t *res) {
    return cafe__http_fail(res, CAFE_EHTTP_CLOSED,
                           "the server left the request unanswered on every new connection: %s",
                           x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
}

/* A redirect to a fragment of the page itself (redirect.c): the page is the result's URL. */
/* A redirect a browser does not follow: the page that sent it is the result's URL. */
static cafe_http_result_t *at_redirecting_page(cafe__http_xfer_t *x, cafe__http_try_t *t) {
    cafe_http_result_t *res = t->res;
    free(res->url);
    res->url = strdup(x->hop_url ? x->hop_url : t->url);
    return res;
}

static int redirect_loop(cafe__http_xfer_t *x, cafe__http_try_t *t) {
    cafe_http_result_t *res = at_redirecting_page(x, t);
    return cafe__http_fail(res, CAFE_EHTTP_TOO_MANY_REDIRECTS,
                           "redirect loop: HTTP %ld to \"%s\", a part of the page itself",
                           res->status, x->loop);
}

/* A redirect whose Location browsers refuse (redirect.c): the page is the result's URL. */
static int bad_location(cafe__http_xfer_t *x, cafe__http_try_t *t) {
    return cafe__http_fail(at_redirecting_page(x, t), CAFE_EHTTP_URL,
                           "malformed redirect Location: %s", x->bad_location);
}

/* The cookies of x's transfer, for the one the request goes on in (t->jar): those it
 * started with and those its responses set. 0, or CAFE_ENOMEM. */
static int jar_keep(cafe__http_xfer_t *x, cafe__http_try_t *t) {
    struct curl_slist *jar = NULL;
    if (!x->cookies) /* none were loaded, none were set */
        return 0;
    x->c->stats.curl_calls++;
    if (curl_easy_getinfo(x->easy, CURLINFO_COOKIELIST, &jar) != CURLE_OK)
        return CAFE_ENOMEM;
    curl_slist_free_all(t->jar);
    t->jar = jar;
    return 0;
}

/* A redirect whose Location headers differ (redirect.c): the page is the result's URL. */
static int location_conflict(cafe__http_xfer_t *x, cafe__http_try_t *t) {
    return cafe__http_fail(at_redirecting_page(x, t), CAFE_EHTTP_PROTOCOL,
                           "malformed response: its Location values differ");
}

static void outcome_fill(cafe__http_xfer_t *x, cafe__http_try_t *t, CURLcode code) {
    cafe_http_result_t *res = t->res;
    const char *coding;
    info_fill(x, t, res);
    t->code = 0;
    if (!x->relocate && !x->bad_location && t->opts->max_redirects >= 0)
        cafe__http_redirect_malformed(x, code); /* may set either */
    /* a hop to https, the request's own (redirect.c): curl stopped at it as at its limit */
    if (x->own_hop && !x->relocate && code == CURLE_TOO_MANY_REDIRECTS)
        cafe__http_redirect_cut(x);
    if (x->relocate && jar_keep(x, t) != 0) {
        free(x->relocate);
        x->relocate = NULL;
        t->code = cafe__http_fail(t->res, CAFE_ENOMEM, "out of memory for the cookies");
        return;
    }
    /* One redirect more than the chain may follow, counted with those before this transfer:
     * the page that sent it is the result, as when curl counts. */
    long max = cafe__http_max_redirects(t->opts);
    if (x->relocate && t->moved_hops + x->relocate_hops > max) {
        free(x->relocate);
        x->relocate = NULL;
        t->code = cafe__http_fail(at_redirecting_page(x, t), CAFE_EHTTP_TOO_MANY_REDIRECTS,
                                  CAFE__HTTP_TOO_MANY_FMT, max);
        return;
    }
    if (x->relocate) { /* the request goes on from where a browser went (request.c) */
        t->relocate = x->relocate;
        t->relocate_hops = x->relocate_hops;
        x->relocate = NULL;
        return;
    }
    /* We stopped it: an early stop, not an error. Stopped and draining, the rest was read
     * only to keep the connection: its failure (the server closes, hangs, sends junk) loses
     * the connection, not the response, which was whole for the caller already. */
    if (x->stopping || (code == CURLE_WRITE_ERROR && x->aborted))
        code = CURLE_OK;
    /* Bytes after the end of a compressed body (a CRLF or padding some servers add, a second
     * gzip member): libcurl 7.88's decoders refuse them with a write error of their own (ours
     * set aborted or oom), curl's "Failed writing received data to disk/application".
     * Chromium reads no further than the stream's end and shows the page: the body ends
     * there. Its brotli decoder also fails so on a body not in its coding at all (a plain
     * page labelled br), which browsers refuse: with br among the codings, a write error
     * before any byte was decoded is that. */
    else if (code == CURLE_WRITE_ERROR && !x->oom && !x->failed &&
             (coding = cafe__http_header_value(x->easy, "Content-Encoding"))[0])
        code = x->decoded || !cafe__http_list_has(coding, "br") ? CURLE_OK
                                                                : CURLE_BAD_CONTENT_ENCODING;
    if (x->oom)
        t->code = cafe__http_fail(res, CAFE_ENOMEM, "out of memory for the body");
    else if (x->failed)
        t->code = cafe__http_fail(res, x->failed, "on_body failed: %s", cafe_strerror(x->failed));
    else if (x->refused[0])
        t->code = cafe__http_fail(
            res, CAFE_EHTTP_PRIVATE,
            "refused to connect to %s: a private, loopback or link-local address", x->refused);
    else if (x->bad_port >= 0)
        t->code = cafe__http_port_refusal(res, x->bad_port);
    else if (x->loop[0])
        t->code = redirect_loop(x, t);
    else if (x->bad_location)
        t->code = bad_location(x, t);
    else if (x->bad_scheme[0]) /* refused as its head came (redirect.c) */
        t->code = cafe__http_fail(at_redirecting_page(x, t), CAFE_EHTTP_REDIRECT_PROTOCOL,
                                  "redirect refused (only http and https): to %s:", x->bad_scheme);
    else if (x->location_conflict) /* at the page that sent them, as a Location refused */
        t->code = location_conflict(x, t);
    else if (x->bad_status[0]) {
        res->status = 0; /* no status: as curl's refusals of one leave it */
        t->code =
            cafe__http_fail(res, CAFE_EHTTP_PROTOCOL,
                            "invalid HTTP status line: status %s (not 100-599)", x->bad_status);
    } else if (x->switched)
        t->code = cafe__http_fail(res, CAFE_EHTTP_PROTOCOL,
                                  "malformed response: HTTP 101 Switching Protocols to a request "
                                  "for no upgrade");
    else if (code == CURLE_WRITE_ERROR && x->lines.trailers_cut)
        t->code =
            cafe__http_fail(res, CAFE_EHTTP_PROTOCOL, "malformed response: trailers over %u KiB",
                            CAFE__HTTP_TRAILERS_MAX / 1024);
    else if (x->length_fault)
        t->code = cafe__http_fail(res, CAFE_EHTTP_PROTOCOL, "malformed response: its %s",
                                  x->length_fault == CAFE__HTTP_LENGTH_NAN
                                      ? "Content-Length is no number"
                                      : "Content-Length values differ");
    else if (code != CURLE_OK) {
        t->code = cafe__http_curl_failure(x, code, res);
        t->unanswered = unanswered(x, code);
        if (t->unanswered && t->resent)
            t->code = unanswered_again(x, code, res);
        t->tunnel_refused = cafe__http_tunnel_refused(x->easy, code);
    } else if (redirect_dead_end(x->easy, t->opts, res->status))
        t->code = cafe__http_fail(res, CAFE_EHTTP_NO_LOCATION,
                                  "HTTP %ld redirect without a Location", res->status);
    else if (res->status >= 300)
        t->retry_after_s = retry_after(x->easy);
}

void cafe__http_xfer_done(cafe__http_xfer_t *x, CURLcode code) {
    cafe__http_client_t *c = x->c;
    cafe__http_try_t *t = x->try;
    if (t) {
        outcome_fill(x, t, code);
        t->pace_held = x->pace_held; /* the request never went out */
    }
    c->stats.curl_calls++;
    c->stats.transfers++;
    curl_multi_remove_handle(c->multi, x->easy);
    x->in_multi = 0;
    c->in_curl--;
    if (!t) /* orphaned: on the reaper's list, which pools it */
        return;
    cafe__http_xfer_put(x);
    cafe__wake(&t->wait, 0);
}
