/* Transfers: pooled curl easy handles, their per-try setup, and the body path with the early
 * stop policy. Runs on the loop's stack (setup through cafe__loop_call, the rest inside curl's
 * callbacks). */
#include "http/internal.h"
#include "http/parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static cafe__http_xfer_t *xfer_get(cafe__http_client_t *c) {
    cafe__http_xfer_t *x = c->pool;
    if (x) {
        c->pool = x->next;
        c->pool_len--;
        c->stats.curl_calls++;
        curl_easy_reset(x->easy);
        return x;
    }
    x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->c = c;
    x->easy = curl_easy_init();
    x->url = curl_url();
    if (!x->easy || !x->url) {
        cafe__http_xfer_free(x);
        return NULL;
    }
    return x;
}

void cafe__http_xfer_free(cafe__http_xfer_t *x) {
    curl_slist_free_all(x->headers);
    curl_slist_free_all(x->resolve);
    free(x->body);
    if (x->easy)
        curl_easy_cleanup(x->easy);
    if (x->url)
        curl_url_cleanup(x->url);
    free(x);
}

void cafe__http_xfer_put(cafe__http_xfer_t *x) {
    cafe__http_client_t *c = x->c;
    curl_slist_free_all(x->headers);
    curl_slist_free_all(x->resolve);
    free(x->body);
    x->headers = x->resolve = NULL;
    x->body = NULL;
    x->body_len = x->body_cap = x->kept = 0;
    x->started = x->stopping = x->aborted = x->oom = 0;
    x->try = NULL;
    if (c->pool_len >= c->limits.max_transfers) {
        cafe__http_xfer_free(x);
        return;
    }
    x->next = c->pool;
    c->pool = x;
    c->pool_len++;
}

/* Parses and checks the URL; sets *https. */
static int url_set(cafe__http_xfer_t *x, cafe__http_try_t *t, int *https) {
    if (!t->url || !*t->url)
        return cafe__http_fail(t->res, CAFE_EHTTP_URL, "empty URL");
    CURLUcode uc = curl_url_set(x->url, CURLUPART_URL, t->url, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK)
        return cafe__http_fail(t->res, CAFE_EHTTP_URL, "malformed URL: %s", curl_url_strerror(uc));
    char *scheme = NULL;
    curl_url_get(x->url, CURLUPART_SCHEME, &scheme, 0);
    int ok = scheme && (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0);
    *https = ok && strcasecmp(scheme, "https") == 0;
    if (!ok)
        cafe__http_fail(t->res, CAFE_EHTTP_SCHEME,
                        "unsupported URL scheme \"%s\": only http and https are fetched",
                        scheme ? scheme : "");
    curl_free(scheme);
    return ok ? 0 : CAFE_EHTTP_SCHEME;
}

static int slist_set(struct curl_slist **list, const char *const *lines) {
    for (; lines && *lines; lines++) {
        struct curl_slist *l = curl_slist_append(*list, *lines);
        if (!l)
            return CAFE_ENOMEM;
        *list = l;
    }
    return 0;
}

#define SET(opt, val) (n++, curl_easy_setopt(e, opt, val))

static void options_set(cafe__http_xfer_t *x, const cafe_http_opts_t *o, int https) {
    cafe__http_client_t *c = x->c;
    CURL *e = x->easy;
    unsigned n = 0;
    const char *proxy = https ? c->proxy_https : c->proxy_http;
    SET(CURLOPT_PRIVATE, x);
    SET(CURLOPT_CURLU, x->url);
    SET(CURLOPT_SHARE, c->share);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, o->max_redirects >= 0 ? 1L : 0L);
    SET(CURLOPT_MAXREDIRS, o->max_redirects > 0 ? (long)o->max_redirects : 10L);
    SET(CURLOPT_TIMEOUT_MS, o->timeout_ms ? (long)o->timeout_ms : 30000L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms ? (long)o->connect_timeout_ms : 10000L);
    SET(CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "cafe/" CAFE_VERSION_STRING);
    SET(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl can decode */
    SET(CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    if (o->ca_file)
        SET(CURLOPT_CAINFO, o->ca_file);
    /* The environment was read once per loop; setting both spares curl its per-transfer
     * lookups, and "" means none. */
    SET(CURLOPT_PROXY, proxy ? proxy : "");
    SET(CURLOPT_NOPROXY, c->no_proxy ? c->no_proxy : "");
    SET(CURLOPT_HTTP_VERSION,
        o->http1_only ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
    /* Over TLS, wait for a connection in progress to tell whether it multiplexes rather than
     * open a second one. Plain http never multiplexes here. */
    if (https && !o->http1_only)
        SET(CURLOPT_PIPEWAIT, 1L);
    if (o->method == CAFE_HTTP_HEAD)
        SET(CURLOPT_NOBODY, 1L);
    if (x->headers)
        SET(CURLOPT_HTTPHEADER, x->headers);
    if (x->resolve)
        SET(CURLOPT_RESOLVE, x->resolve);
    SET(CURLOPT_WRITEFUNCTION, cafe__http_on_write);
    SET(CURLOPT_WRITEDATA, x);
    cafe__http_io_setopts(c, e);
    c->stats.curl_calls += n + 4;
}

#undef SET

int cafe__http_xfer_start(cafe__http_try_t *t) {
    cafe__http_client_t *c = t->c;
    const cafe_http_opts_t *o = t->opts;
    cafe__http_xfer_t *x = xfer_get(c);
    if (!x)
        return cafe__http_fail(t->res, CAFE_ENOMEM, "out of memory for a transfer");
    int https = 0, rc = url_set(x, t, &https);
    if (rc == 0 && (slist_set(&x->headers, o->headers) || slist_set(&x->resolve, o->resolve)))
        rc = cafe__http_fail(t->res, CAFE_ENOMEM, "out of memory for the header lists");
    if (rc != 0) {
        cafe__http_xfer_put(x);
        return rc;
    }
    options_set(x, o, https);
    x->errbuf[0] = '\0';
    x->max_body = o->max_body ? o->max_body : CAFE__HTTP_MAX_BODY;
    c->stats.curl_calls++;
    CURLMcode mc = curl_multi_add_handle(c->multi, x->easy);
    if (mc != CURLM_OK) {
        cafe__http_xfer_put(x);
        return cafe__http_fail(t->res, CAFE_EHTTP_CURL, "curl_multi_add_handle: %s",
                               curl_multi_strerror(mc));
    }
    x->in_multi = 1;
    if (++c->in_curl > c->stats.transfers_peak)
        c->stats.transfers_peak = c->in_curl;
    x->try = t;
    t->x = x;
    return 0;
}
