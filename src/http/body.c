/* The body path: curl's write callback, the body cap, and the early stop policy.
 *
 * Stopping early is refusing data (curl then ends the transfer with a write error, which is
 * ours and not reported) or draining: reading the rest of the body and discarding it so that
 * an HTTP/1.1 connection stays reusable. A new connection costs more than reading a few KB
 * (on loopback, ~25,000 kept-alive requests/s against 6,000-10,000 new connections/s), so
 * CAFE_HTTP_STOP_AUTO drains a small rest always and a larger one when other requests for the
 * host will want the connection. An HTTP/2 stream with a small rest is drained as well, a
 * larger one reset, which keeps the connection. */
#include "http/internal.h"
#include "http/parse.h"

#include <stdlib.h>
#include <string.h>

/* The most of a Content-Length believed for the body buffer's first size: the default body
 * cap, beyond which the buffer grows as the bytes come. */
#define PRESIZE_MAX ((curl_off_t)CAFE_HTTP_DEFAULT_MAX_BODY)

/* drain_max for "read it all, whatever its size". */
#define DRAIN_ALL ((curl_off_t)(UINT64_MAX >> 1))

static curl_off_t received(CURL *e) {
    curl_off_t got = 0;
    curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &got);
    return got;
}

/* Whether the server ends an HTTP/1 connection with this response, so that reading the rest
 * keeps nothing (libcurl closes it at the end): it says so (Connection: close), the body has
 * neither a length nor chunks (it ends when the connection does), or an HTTP/1.0 response
 * does not ask to keep it (keep-alive). */
static int server_closes(const cafe__http_xfer_t *x, int version, curl_off_t length) {
    struct curl_header *h;
    if (length < 0 && !x->lines.coded)
        return 1;
    if (version == 10)
        return curl_easy_header(x->easy, "Connection", 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
               !cafe__http_list_has(h->value, "keep-alive");
    return (x->lines.close || x->lines.folded) &&
           curl_easy_header(x->easy, "Connection", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
           cafe__http_list_has(h->value, "close");
}

/* How many more bytes may be read to keep the connection, or -1 to close it now; *decoded:
 * how many more may be decoded. The rest's length on the wire says nothing of its decoded
 * size when it is compressed: "Content-Encoding: gzip, gzip" makes 1 KB 512 MiB, which curl
 * would decode (2.4 s, the loop blocked) only for cafe to discard it. So the budget bounds
 * the bytes decoded as well: a new connection costs less than decoding the budget. */
static curl_off_t drain_budget(cafe__http_xfer_t *x, const cafe__http_try_t *t, uint64_t *decoded) {
    const cafe_http_opts_t *o = t->opts;
    *decoded = UINT64_MAX;
    if (o->stop == CAFE_HTTP_STOP_CLOSE)
        return -1;
    if (o->stop == CAFE_HTTP_STOP_DRAIN)
        return DRAIN_ALL;
    /* The response's metadata was filled at its first chunk (first_chunk), before any stop.
     * An HTTP/2 reset keeps the connection, so only a small rest is worth reading there: it is
     * in flight already (curl's stream window is large), and the reset is a frame of its own,
     * one more TLS record and send per URL. */
    int h2 = t->res->http_version >= 20;
    curl_off_t budget = CAFE__HTTP_DRAIN_SMALL, length = -1;
    if (!h2 && t->host->count > 1)
        budget = o->drain_max ? (curl_off_t)o->drain_max : CAFE_HTTP_DEFAULT_DRAIN_MAX;
    *decoded = (uint64_t)budget;
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    /* A whole body within the budget leaves a rest within it wherever the stop came: what
     * was received so far (a getinfo) is asked only where it decides. */
    x->stop_at = length < 0 || length > budget ? received(x->easy) : 0;
    /* The rest too long first: the Connection header is a walk over every header in curl
     * (~730 instructions), looked up only when the answer matters. */
    if ((length >= 0 && length - x->stop_at > budget) ||
        (!h2 && server_closes(x, t->res->http_version, length)))
        return -1;
    /* A rest of known length within the budget: curl reads no further than the length, so
     * the drain need not count (a getinfo per chunk). */
    return length >= 0 ? DRAIN_ALL : budget;
}

/* The drains that overran their time (loop stack, from the client's drain timer): each
 * try ends now with the response it has, and curl, losing the transfer mid-body, closes its
 * connection (an HTTP/2 stream is reset). */
static void on_drain_timer(uv_timer_t *timer) {
    cafe__http_client_t *c = timer->data;
    uint64_t now = uv_now(&c->loop->uv);
    while (c->draining.tail) {
        cafe__http_xfer_t *x = DLIST_ITEM(c->draining.tail, cafe__http_xfer_t, drain_link);
        if (x->drain_until > now) {
            uv_timer_start(timer, on_drain_timer, x->drain_until - now, 0);
            return;
        }
        cafe__http_drain_forget(x);
        if (x->redirect_watch) { /* a redirect's body overran: on without it */
            x->redirect_watch = 0;
            if (cafe__http_redirect_cut(x))
                cafe__http_xfer_done(x, CURLE_OK);
            continue;
        }
        c->stats.stops_drained--;
        c->stats.stops_closed++;
        cafe__http_xfer_done(x, CURLE_OK);
    }
}

/* Puts x's drain under the time budget: all drains get the same, so the list is in order of
 * their ends, and one timer is set for the oldest. A timer still set for a drain that ended
 * is kept: it goes off no later than x's end (the same budget, begun earlier), and
 * on_drain_timer sets it again for what is left. */
static void drain_watch(cafe__http_xfer_t *x) {
    cafe__http_client_t *c = x->c;
    cafe__http_drain_forget(x); /* a redirect's watch ends with the body after it */
    x->redirect_watch = 0;
    x->drain_until = uv_now(&c->loop->uv) + CAFE__HTTP_DRAIN_MS;
    if (!c->draining.len) {
        uv_ref((uv_handle_t *)&c->drain_timer);
        if (!uv_is_active((uv_handle_t *)&c->drain_timer))
            uv_timer_start(&c->drain_timer, on_drain_timer, CAFE__HTTP_DRAIN_MS, 0);
    }
    dlist_push(&c->draining, &x->drain_link);
}

void cafe__http_redirect_watch(cafe__http_xfer_t *x, long hops) {
    drain_watch(x);
    x->redirect_watch = 1;
    x->watch_hops = hops;
}

/* The last drain's end leaves the timer set but keeping the loop alive no more, as a stopped
 * one: most drains end within their first read, and a timer stopped and set again for each
 * was ~130 instructions per URL (two changes of libuv's timer heap). Going off with no drain
 * left, it does nothing. */
void cafe__http_drain_forget(cafe__http_xfer_t *x) {
    cafe__http_client_t *c = x->c;
    if (!dlist_on(&c->draining, &x->drain_link))
        return;
    dlist_unlink(&c->draining, &x->drain_link);
    if (!c->draining.len)
        uv_unref((uv_handle_t *)&c->drain_timer);
}

static size_t stop(cafe__http_xfer_t *x, const cafe__http_try_t *t, size_t len) {
    cafe__http_client_t *c = x->c;
    cafe__http_idle_forget(x); /* a drain has a time budget of its own */
    x->stop_at = 0;            /* drain_budget's, when the drain counts */
    x->drain_max = drain_budget(x, t, &x->drain_decoded);
    x->stop_decoded = x->decoded;
    if (x->drain_max < 0) {
        c->stats.stops_closed++;
        x->aborted = 1;
        return 0;
    }
    c->stats.stops_drained++;
    x->stopping = 1;
    if (t->opts->stop == CAFE_HTTP_STOP_AUTO)
        drain_watch(x);
    return len;
}

static size_t drain(cafe__http_xfer_t *x, size_t len) {
    if (x->decoded - x->stop_decoded > x->drain_decoded ||
        (x->drain_max != DRAIN_ALL && received(x->easy) - x->stop_at > x->drain_max)) {
        /* the rest was longer than it looked (no Content-Length, or compressed): give up on
         * the connection */
        x->c->stats.stops_drained--;
        x->c->stats.stops_closed++;
        x->aborted = 1;
        return 0;
    }
    return len;
}

static int buffer_append(cafe__http_xfer_t *x, const char *data, size_t len) {
    if (x->body_len + len + 1 > x->body_cap) {
        /* First sized by the Content-Length when there is one (and it is not compressed):
         * one allocation instead of a chain of copies. The server says it: believed up to
         * PRESIZE_MAX, since a lie of a petabyte with no max_body would fail the request
         * with CAFE_ENOMEM before its first byte. */
        curl_off_t length = -1;
        struct curl_header *h;
        if (!x->body_cap &&
            curl_easy_header(x->easy, "Content-Encoding", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
            curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
        if (length > PRESIZE_MAX)
            length = PRESIZE_MAX;
        size_t cap = x->body_cap                ? x->body_cap
                     : length > (curl_off_t)len ? (size_t)length + 1
                                                : 16 * 1024;
        while (cap < x->body_len + len + 1)
            cap *= 2;
        if (cap > x->max_body + 1 && x->max_body + 1 > x->body_len + len)
            cap = x->max_body + 1;
        char *b = realloc(x->body, cap);
        if (!b)
            return -1;
        x->body = b;
        x->body_cap = cap;
    }
    memcpy(x->body + x->body_len, data, len);
    x->body_len += len;
    x->body[x->body_len] = '\0';
    return 0;
}

/* First body bytes: give on_body the response's metadata. Returns 1 when the body is of no
 * use because the response will be retried. */
static int first_chunk(cafe__http_xfer_t *x, cafe__http_try_t *t) {
    x->started = 1;
    cafe__http_tls_first_done(t); /* its session, if any, is with curl by now */
    cafe__http_meta_fill(x, t);
    return t->discard_retryable && cafe__http_status_retryable(t->opts, t->res->status);
}

size_t cafe__http_on_write(char *data, size_t size, size_t n, void *xfer) {
    cafe__http_xfer_t *x = xfer;
    cafe__http_try_t *t = x->try;
    size_t len = size * n;
    if (!t) /* orphaned: nobody wants it any more */
        return 0;
    x->decoded += len;
    if (x->stopping)
        return drain(x, len);
    if (!x->started) {
        int discard = first_chunk(x, t);
        if (x->length_fault) { /* where the body ends is unknown: none of it is taken */
            x->aborted = 1;
            return 0;
        }
        if (discard)
            return stop(x, t, len);
    }
    const cafe_http_opts_t *o = t->opts;
    size_t take = x->max_body - x->kept < len ? x->max_body - x->kept : len;
    int enough = 0;
    if (take && o->on_body) {
        t->delivered = 1;
        int said = o->on_body(o->body_arg, t->res, data, take);
        if (said < 0) { /* the caller's own failure: refusing the data ends the transfer */
            x->failed = said;
            return 0;
        }
        enough = said != 0;
    } else if (take && buffer_append(x, data, take) != 0) {
        x->oom = 1;
        return 0;
    }
    x->kept += take;
    t->res->stopped |= enough;
    t->res->truncated |= take < len;
    if (enough || take < len)
        return stop(x, t, len);
    if (o->idle_ms && o->on_body) /* wants more: its pauses are told */
        cafe__http_idle_stamp(x);
    return len;
}
