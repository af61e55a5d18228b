/* End of a try: curl's outcome turned into the result, the task woken, the transfer pooled.
 * curl codes are translated here, at cafe's edge; curl's own message is kept. */
#include "http/internal.h"
#include "http/parse.h"

#include <errno.h>
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

static int error_from_curl(CURL *e, CURLcode code) {
    long os_errno = 0, redirects = 0;
    switch (code) {
    case CURLE_OK:
        return 0;
    case CURLE_URL_MALFORMAT:
        return CAFE_EHTTP_URL;
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* The first URL's scheme was checked before: after a redirect it is the new URL's;
         * otherwise the response itself (HTTP/0.9, refused by default). */
        curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
        return redirects > 0 ? CAFE_EHTTP_REDIRECT_PROTOCOL : CAFE_EHTTP_PROTOCOL;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return CAFE_EHTTP_DNS;
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
        return os_errno == ECONNREFUSED ? CAFE_ECONNREFUSED : CAFE_EHTTP_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return CAFE_ETIMEDOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CLIENTCERT:
        return CAFE_EHTTP_TLS;
    case CURLE_TOO_MANY_REDIRECTS:
        return CAFE_EHTTP_TOO_MANY_REDIRECTS;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return CAFE_EHTTP_CLOSED;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        return CAFE_EHTTP_PROTOCOL;
    case CURLE_OUT_OF_MEMORY:
        return CAFE_ENOMEM;
    default:
        return CAFE_EHTTP_CURL;
    }
}

void cafe__http_meta_fill(CURL *e, cafe_http_result_t *res) {
    long version = 0;
    char *type = NULL;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res->status);
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    res->http_version = version == CURL_HTTP_VERSION_1_0   ? 10
                        : version == CURL_HTTP_VERSION_1_1 ? 11
                        : version == CURL_HTTP_VERSION_2_0 ? 20
                        : version == CURL_HTTP_VERSION_3   ? 30
                                                           : 0;
    curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &type);
    cafe__http_content_type_parse(type ? type : "", type ? strlen(type) : 0, res->content_type,
                                  sizeof(res->content_type), res->charset, sizeof(res->charset));
}

static uint64_t usecs(CURL *e, CURLINFO what) {
    curl_off_t v = 0;
    curl_easy_getinfo(e, what, &v);
    return v > 0 ? (uint64_t)v : 0;
}

static void info_fill(cafe__http_xfer_t *x, cafe_http_result_t *res) {
    CURL *e = x->easy;
    char *url = NULL;
    long redirects = 0;
    /* Filled already at the first body chunk (body.c), which is the final response's:
     * curl skips the bodies of the redirects it follows. */
    if (!x->started)
        cafe__http_meta_fill(e, res);
    curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url);
    free(res->url);
    res->url = url ? strdup(url) : NULL;
    curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
    res->redirects = (int)redirects;
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &res->connects);
    res->bytes = usecs(e, CURLINFO_SIZE_DOWNLOAD_T);
    res->timing.dns_us = usecs(e, CURLINFO_NAMELOOKUP_TIME_T);
    res->timing.connect_us = usecs(e, CURLINFO_CONNECT_TIME_T);
    res->timing.tls_us = usecs(e, CURLINFO_APPCONNECT_TIME_T);
    res->timing.first_byte_us = usecs(e, CURLINFO_STARTTRANSFER_TIME_T);
    res->timing.total_us = usecs(e, CURLINFO_TOTAL_TIME_T);
    res->body = x->body;
    res->body_len = x->body_len;
    x->body = NULL;
    x->c->stats.curl_calls += 14;
}

static int64_t retry_after(CURL *e) {
    struct curl_header *h;
    if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return -1;
    return cafe__http_retry_after_parse(h->value, strlen(h->value), (int64_t)time(NULL));
}

/* The value of header `name` of the last response, "" when absent. */
static const char *header_value(CURL *e, const char *name) {
    struct curl_header *h;
    if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h->value)
        return "";
    return h->value;
}

/* Redirects are followed, yet the last response is a redirect: curl had nowhere to go. */
static int redirect_dead_end(CURL *e, const cafe_http_opts_t *o, long status) {
    if (o->max_redirects < 0) /* CAFE_HTTP_NO_REDIRECTS: the 3xx is the result */
        return 0;
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308)
        return 0;
    const char *loc = header_value(e, "Location");
    /* libcurl 7.88 gives an empty value as "\r" (seen with "Location: \r\n"): blank too */
    return loc[strspn(loc, " \t\r\n")] == '\0';
}

/* A failure curl reported, in cafe's words, with curl's message as the detail. */
static void curl_failure(cafe__http_xfer_t *x, cafe__http_try_t *t, CURLcode code) {
    const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
    cafe_http_result_t *res = t->res;
    if (t->code == CAFE_EHTTP_URL)
        cafe__http_fail(res, t->code, "malformed URL: %s", detail);
    else if (t->code == CAFE_EHTTP_REDIRECT_PROTOCOL)
        cafe__http_fail(res, t->code, "redirect refused (only http and https): %s", detail);
    else if (code == CURLE_BAD_CONTENT_ENCODING)
        cafe__http_fail(res, t->code, "cannot decode the body (Content-Encoding: %.40s): %s",
                        header_value(x->easy, "Content-Encoding"), detail);
    else
        cafe__http_fail(res, t->code, "%s", detail);
}

static void outcome_fill(cafe__http_xfer_t *x, cafe__http_try_t *t, CURLcode code) {
    cafe_http_result_t *res = t->res;
    info_fill(x, res);
    if (code == CURLE_WRITE_ERROR && x->aborted)
        code = CURLE_OK; /* we stopped it: early stop, not an error */
    t->code = x->oom          ? CAFE_ENOMEM
              : x->refused[0] ? CAFE_EHTTP_PRIVATE
                              : error_from_curl(x->easy, code);
    if (t->code == CAFE_EHTTP_PRIVATE)
        cafe__http_fail(res, t->code,
                        "refused to connect to %s: a private, loopback or link-local address",
                        x->refused);
    else if (t->code == CAFE_ENOMEM && x->oom)
        cafe__http_fail(res, CAFE_ENOMEM, "out of memory for the body");
    else if (t->code)
        curl_failure(x, t, code);
    else if (redirect_dead_end(x->easy, t->opts, res->status))
        t->code = cafe__http_fail(res, CAFE_EHTTP_PROTOCOL, "HTTP %ld redirect without a Location",
                                  res->status);
    else if (res->status >= 300)
        t->retry_after_s = retry_after(x->easy);
}

void cafe__http_xfer_done(cafe__http_xfer_t *x, CURLcode code) {
    cafe__http_client_t *c = x->c;
    cafe__http_try_t *t = x->try;
    if (t)
        outcome_fill(x, t, code);
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
