#include "fetch.h"
#include "cafe.h"
#include "sniff.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A body that stops coming for this long (ms) gives what came: the HTML standard's own
 * example of how long a browser may wait for the bytes that decide a page's encoding
 * ("500ms or 1024 bytes"), and a browser shows the title by then. Before, a page whose title
 * was complete but its encoding not yet settled (none declared: a <meta> could still come,
 * the detector wanted more of the page) held its URL until --timeout when the server
 * stalled. */
#define PAUSE_MS 500

/* A body without a Content-Type is sniffed on its first bytes, as many as MIME Sniffing's
 * resource header holds at most: they are held until they can tell (a signature's length
 * after the leading whitespace) or the body ends. */
#define SNIFF_MAX 1445
#define SIGNATURE_MAX 15 /* "<!DOCTYPE HTML" and the byte after it */

typedef struct sink {
    cafe_title_t *title;
    cli_fetch_pool_t *pool; /* where the extractor comes from and goes back to, or NULL */
    int failed;             /* the extractor ran out of memory */
    const char *url;
    int detect;
    int not_html;           /* a body a browser would not show as a page: no title is looked for */
    cafe_title_mode_t mode; /* how a browser parses it: HTML, or XML by its type */
    size_t nhead;           /* bytes held in head while an untyped body cannot be told yet */
    char head[SNIFF_MAX];
} sink_t;

/* A response without a Content-Type, as MIME Sniffing's "rules for identifying an unknown
 * MIME type" read its first bytes: an HTML signature is HTML; "<?xml" (after whitespace) is
 * text/xml, which both browsers then parse as XML and title; anything else no document. */
static cafe_title_mode_t sniff(const char *d, size_t n) {
    return sniff_html(d, n) ? CAFE_TITLE_HTML : sniff_xml(d, n) ? CAFE_TITLE_XML : CAFE_TITLE_NONE;
}

/* Whether the response's type is one to go by: MIME Sniffing reads unknown/unknown and
 * application/unknown (a server's way of saying it does not know) as no type, and sniffs
 * the body, as Chromium does; its charset is kept. Firefox offers such a body as a download:
 * the standard decides. */
static int typed(const cafe_http_result_t *res) {
    const char *t = res->content_type; /* its essence, lower-cased */
    return t[0] && strcmp(t, "unknown/unknown") != 0 && strcmp(t, "application/unknown") != 0;
}

/* Whether the first n bytes of an untyped body can tell what it is (or no more will be held). */
static int sniff_ready(const char *d, size_t n) {
    size_t i = sniff_leading_ws(d, n);
    return n >= SNIFF_MAX || n - i >= SIGNATURE_MAX;
}

/* The first bytes came: the extractor for the page, in the mode its type (or its sniffed
 * bytes d[0..n)) says. Returns 0, or CAFE_HTTP_ENOUGH when no title is to be read. */
static int start(sink_t *s, const cafe_http_result_t *res, const char *d, size_t n) {
    /* A 205 asks the browser to stay where it is, as a 204 does (the HTML standard aborts
     * the navigation on either): content with it, which RFC 9110 forbids, is no page. */
    if (res->status == 205)
        return CAFE_HTTP_ENOUGH;
    /* by the type a browser renders as an HTML or XML document, whose title it shows */
    s->mode = typed(res)     ? cafe_title_mode_of(res->content_type)
              : res->nosniff ? CAFE_TITLE_NONE /* no type, and no sniffing: text */
                             : sniff(d, n);
    s->not_html = s->mode == CAFE_TITLE_NONE;
    if (s->not_html)
        return CAFE_HTTP_ENOUGH;
    /* Now the transport charset is known. A value with a ';' or '/' ("a, text/html;
     * charset=b" from a quoted parameter) names no encoding, and the extractor would read it
     * as a whole Content-Type and find b. */
    const char *charset = res->charset[0] && !strpbrk(res->charset, ";/") ? res->charset : NULL;
    if (s->pool && s->pool->n > 0) {
        s->title = s->pool->idle[--s->pool->n];
        cafe_title_reset(s->title, charset);
    } else if (cafe_title_create(&s->title, charset) != 0) {
        s->failed = 1;
        return CAFE_HTTP_ENOUGH;
    }
    cafe_title_set_detection(s->title, s->detect);
    /* The page's domain hints the detection: the one redirects ended at, whose page it is to a
     * browser too (the list's URL only when curl gave none). */
    cafe_title_set_url(s->title, res->url ? res->url : s->url);
    if (s->mode != CAFE_TITLE_HTML && cafe_title_set_mode(s->title, s->mode) != 0) {
        s->failed = 1; /* the XML parser could not be made */
        return CAFE_HTTP_ENOUGH;
    }
    return 0;
}

static int feed(sink_t *s, const char *data, size_t len) {
    int rc = cafe_title_feed(s->title, data, len);
    if (rc < 0)
        s->failed = 1;
    return rc != 0 ? CAFE_HTTP_ENOUGH : 0;
}

/* On the loop's stack, for every chunk of body: feed the extractor and say "enough" as soon
 * as the title is complete, so the rest of the page is not downloaded. A body that is not
 * HTML (by its type, or by its first bytes when it has none) is not read at all. */
static int on_body(void *arg, const cafe_http_result_t *res, const char *data, size_t len) {
    sink_t *s = arg;
    if (!data) /* the body paused (PAUSE_MS): a title complete so far is the page's */
        return s->title && cafe_title_pause(s->title) == 1 ? CAFE_HTTP_ENOUGH : 0;
    if (s->title)
        return feed(s, data, len);
    if (s->not_html)
        return CAFE_HTTP_ENOUGH;
    if (typed(res) || res->nosniff)
        return start(s, res, NULL, 0) ? CAFE_HTTP_ENOUGH : feed(s, data, len);
    /* untyped: held until its first bytes can tell */
    size_t take = SNIFF_MAX - s->nhead < len ? SNIFF_MAX - s->nhead : len;
    memcpy(s->head + s->nhead, data, take);
    s->nhead += take;
    if (!sniff_ready(s->head, s->nhead))
        return 0;
    if (start(s, res, s->head, s->nhead) || feed(s, s->head, s->nhead))
        return CAFE_HTTP_ENOUGH;
    return take < len ? feed(s, data + take, len - take) : 0;
}

/* The body ended while its first bytes were held (fewer than could tell): they are all. */
static void held_to_end(sink_t *s, const cafe_http_result_t *res) {
    if (s->title || s->not_html || s->nhead == 0)
        return;
    if (start(s, res, s->head, s->nhead) == 0)
        feed(s, s->head, s->nhead);
}

/* A copy of s in the record's store: NULL stays NULL (an empty s too with empty_null); *oom
 * is set when memory ran out. */
static char *keep(record_t *r, const char *s, int empty_null, int *oom) {
    if (!s || (empty_null && !*s))
        return NULL;
    char *copy = record_keep(r, s, strlen(s));
    *oom |= !copy;
    return copy;
}

static void fill_opts(const cli_opts_t *o, cafe_http_opts_t *h, sink_t *s) {
    memset(h, 0, sizeof(*h));
    h->headers = o->headers.n ? o->headers.v : NULL;
    h->resolve = o->resolve.n ? o->resolve.v : NULL;
    h->timeout_ms = o->timeout_ms;
    h->connect_timeout_ms = o->connect_timeout_ms;
    h->max_redirects = o->max_redirects ? o->max_redirects : CAFE_HTTP_NO_REDIRECTS;
    h->max_body = o->max_bytes;
    h->user_agent = o->user_agent;
    h->insecure = o->insecure;
    h->no_private = o->no_private;
    h->ca_file = o->ca_file;
    h->ca_path = o->ca_path;
    h->proxy = o->proxy;
    h->attempts = 1 + o->retries;
    h->on_body = on_body;
    h->idle_ms = PAUSE_MS;
    h->body_arg = s;
    h->no_metrics = 1; /* a record has no timings, connects nor wire bytes */
}

/* Back to the pool (freed when there is none, or no room can be made). */
static void title_done(cli_fetch_pool_t *pool, cafe_title_t *t) {
    if (!t)
        return;
    if (pool && pool->n == pool->cap) {
        size_t cap = pool->cap ? 2 * pool->cap : 16;
        cafe_title_t **idle = realloc(pool->idle, cap * sizeof(*idle));
        if (idle) {
            pool->idle = idle;
            pool->cap = cap;
        }
    }
    if (pool && pool->n < pool->cap)
        pool->idle[pool->n++] = t;
    else
        cafe_title_free(t);
}

void cli_fetch_pool_free(cli_fetch_pool_t *pool) {
    for (size_t i = 0; i < pool->n; i++)
        cafe_title_free(pool->idle[i]);
    free(pool->idle);
    *pool = (cli_fetch_pool_t){0};
}

/* Whether a transfer that failed (its connection lost, its HTTP/2 stream reset or its body
 * undecodable midway, or stalled to the timeout) still gave a page: its title had ended at
 * its end tag, and the extractor read on only to settle the encoding (no charset declared:
 * the first 1024 bytes may hold a <meta>). The page then ends where the bytes did, as at its
 * end: a browser shows that title while the page loads and keeps it when the load fails. A
 * title still open could have gone on: no page. */
static int page_before_failure(int rc, sink_t *s) {
    int lost = rc == CAFE_ETIMEDOUT || rc == CAFE_EHTTP_CLOSED || rc == CAFE_EHTTP_PROTOCOL;
    if (!lost || !s->title || s->failed)
        return 0;
    return cafe_title_finish(s->title) == 1 && !cafe_title_unclosed(s->title);
}

/* SIGCONTs so far: the process was stopped (Ctrl-Z, SIGSTOP) and goes on. */
static atomic_uint continued;

static void on_continue(int signum) {
    (void)signum;
    atomic_fetch_add(&continued, 1);
}

int cli_fetch_count_stops(void) {
    struct sigaction sa = {.sa_handler = on_continue, .sa_flags = SA_RESTART};
    return sigemptyset(&sa.sa_mask) == 0 && sigaction(SIGCONT, &sa, NULL) == 0 ? 0 : -1;
}

/* Ready for a response: nothing of one seen yet (s's title back to the pool, if any). */
static void sink_begin(sink_t *s) {
    title_done(s->pool, s->title);
    s->title = NULL, s->failed = 0, s->not_html = 0, s->mode = CAFE_TITLE_HTML, s->nhead = 0;
}

/* cafe_http_request, sent again (with all its tries) while it timed out over a stop of the
 * process: a Ctrl-Z of a minute counted against --timeout, so every URL in flight timed out
 * as the run went on, with no fault of the server's (with --retries 0 that was its record).
 * The request starts once for on_start, and time_ms is the last one's, without the stop. */
static int request(const char *url, cafe_http_opts_t *h, sink_t *s, cafe_http_result_t *res,
                   uint64_t *t0) {
    for (;;) {
        unsigned stops = atomic_load(&continued);
        *t0 = cafe_loop_now(cafe_loop_current());
        int rc = cafe_http_request(url, h, res);
        if (rc != CAFE_ETIMEDOUT || atomic_load(&continued) == stops)
            return rc;
        cafe_http_result_free(res);
        sink_begin(s);
        h->on_start = NULL;
    }
}

int cli_fetch(const cli_opts_t *o, record_t *r, cafe_http_start_cb on_start,
              cafe_http_retry_cb on_retry, void *start_arg, cli_fetch_pool_t *pool) {
    sink_t s; /* not s = {...}: that would clear head's 1445 bytes for every URL */
    s.title = NULL, s.pool = pool, s.url = r->url, s.detect = !o->no_detect;
    sink_begin(&s);
    cafe_http_opts_t h;
    cafe_http_result_t res;
    fill_opts(o, &h, &s);
    h.on_start = on_start;
    h.on_retry = on_retry;
    h.start_arg = start_arg;
    uint64_t t0;
    int rc = request(r->url, &h, &s, &res, &t0);
    if (rc == 0 || rc == CAFE_EHTTP_NO_LOCATION)
        held_to_end(&s, &res);
    if (rc != 0 && page_before_failure(rc, &s))
        rc = 0;
    /* time_ms: the tries and their retry sleeps, not the queueing for the limits' turns. */
    uint64_t spent = cafe_loop_now(cafe_loop_current()) - t0;
    r->time_ms = spent > res.queued_ms ? spent - res.queued_ms : 0;
    int oom = 0, cut = 0;
    const char *xml_why = NULL; /* an XML page not well-formed before its title ended */
    unsigned long line = 0, column = 0;
    r->final_url = res.url; /* taken over: cafe_http_result_free leaves it alone */
    res.url = NULL;
    r->status = res.status;
    r->content_type = keep(r, res.content_type, 1, &oom);
    r->bytes = res.body_bytes;
    r->attempts = res.attempts;
    /* Error pages have titles too ("404 Not Found"): keep them with the error. So does a
     * redirect status without a Location: the library's failure (a redirect with nowhere to
     * go), yet a browser shows the response as the page it is (Fetch follows a redirect only
     * to a Location). */
    if ((rc == 0 || rc == CAFE_EHTTP_NO_LOCATION) && s.title && !s.failed) {
        size_t n;
        /* cut at --max-bytes, a title's text ends before its end tag's first bytes */
        int found = res.truncated ? cafe_title_finish_cut(s.title) : cafe_title_finish(s.title);
        const char *title = found == 1 ? cafe_title_text(s.title, &n) : NULL;
        if (title && !(r->title = record_keep(r, title, n)))
            oom = 1;
        /* The body cut at --max-bytes before the title ended, or before any: it may be cut
         * short or still to come. The record says so, as no failure. */
        cut = res.truncated && (!r->title || cafe_title_unclosed(s.title));
        xml_why = cafe_title_xml_error(s.title, &line, &column);
        r->charset = keep(r, cafe_title_encoding(s.title), 0, &oom);
        r->charset_source =
            keep(r, cafe_charset_source_name(cafe_title_charset_source(s.title)), 0, &oom);
    }
    if (rc != 0)
        record_fail(r, rc, "%s", res.message[0] ? res.message : cafe_strerror(rc));
    else if (s.failed)
        record_fail(r, CAFE_ENOMEM, "out of memory while extracting the title");
    else if (oom)
        record_fail(r, CAFE_ENOMEM, "out of memory while making the record");
    else if (res.retry_after_declined_s)
        record_fail(r, 0,
                    "HTTP %ld, Retry-After %lld s: longer than the %d s cafe waits, not retried",
                    res.status, (long long)res.retry_after_declined_s,
                    CAFE_HTTP_DEFAULT_RETRY_AFTER_MAX_MS / 1000);
    else if (res.status >= 400)
        record_fail(r, 0, "HTTP %ld", res.status);
    else if (s.not_html) /* not a failure: the reason there is no title */
        record_fail(r, 0, RECORD_WHY_NOT_HTML "%s)",
                    res.content_type[0] ? res.content_type
                    : res.nosniff       ? "no Content-Type, and X-Content-Type-Options: nosniff"
                                        : "no Content-Type, nor HTML bytes");
    else if (cut)
        record_fail(r, 0, RECORD_WHY_CUT "%zu before %s", o->max_bytes,
                    r->title ? "the end of the title" : "any title");
    else if (xml_why && line) /* not a failure either: the page is a browser's error page */
        record_fail(r, 0, RECORD_WHY_NOT_WELL_FORMED "line %lu, column %lu: %s)", line, column,
                    xml_why);
    else if (xml_why)
        record_fail(r, 0, RECORD_WHY_NOT_WELL_FORMED "%s)", xml_why);
    else if (r->title && cafe_title_truncated(s.title)) /* the rest of it was not kept */
        record_fail(r, 0, RECORD_WHY_TITLE_CAP "%d bytes, the longest kept", CAFE_TITLE_MAX);
    title_done(pool, s.title);
    cafe_http_result_free(&res);
    return r->error;
}

int cli_error_kind(int error, long status) {
    switch (error) {
    case 0:
        return status >= 400 ? CLI_KIND_HTTP : CLI_KIND_OK;
    case CAFE_ETIMEDOUT:
        return CLI_KIND_TIMEOUT;
    case CAFE_ECONNREFUSED:
    case CAFE_EHTTP_CONNECT:
    case CAFE_EHTTP_CLOSED:
        return CLI_KIND_CONNECT;
    case CAFE_EHTTP_DNS:
    case CAFE_EDNS_TIMEOUT:
    case CAFE_EDNS_SERVFAIL:
        return CLI_KIND_DNS;
    case CAFE_EHTTP_TLS:
        return CLI_KIND_TLS;
    case CAFE_EINVAL:
    case CAFE_EHTTP_URL:
    case CAFE_EHTTP_SCHEME:
        return CLI_KIND_URL;
    case CAFE_EHTTP_REDIRECT_PROTOCOL:
    case CAFE_EHTTP_TOO_MANY_REDIRECTS:
    case CAFE_EHTTP_NO_LOCATION:
        return CLI_KIND_REDIRECT;
    case CAFE_EHTTP_PRIVATE:
        return CLI_KIND_PRIVATE;
    default:
        return CLI_KIND_OTHER;
    }
}

const char *cli_kind_name(int kind) {
    static const char *const names[CLI_KINDS] = {"ok",  "http", "timeout",  "connect", "dns",
                                                 "tls", "url",  "redirect", "private", "other"};
    return kind >= 0 && kind < CLI_KINDS ? names[kind] : "other";
}
