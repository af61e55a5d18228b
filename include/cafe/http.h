/* cafe HTTP client: libcurl driven by the cafe loop (included by cafe.h). Bad arguments
 * (cafe.h): cafe_http_request returns CAFE_EINVAL for a NULL url or res (res, when there is
 * one, says why) or an invalid option; cafe_http_stats_get aborts with a message for a NULL
 * out; cafe_http_result_free(NULL) is a no-op.
 *
 *     cafe_http_result_t res;
 *     int rc = cafe_http_request("https://example.org/", NULL, &res);
 *     if (rc == 0)
 *         printf("%ld %s\n", res.status, res.url); // and res.body, res.charset...
 *     cafe_http_result_free(&res);
 *
 * Inside a task the call suspends only that task while the transfer runs; outside any task it
 * blocks (it runs the very same code as a task on a temporary loop). Same function, same
 * result.
 *
 * Per loop, cafe keeps one libcurl multi handle (created at the first request, freed with the
 * loop): connections are reused, HTTP/2 streams are multiplexed over one connection per
 * origin, the DNS cache and TLS sessions are shared by every transfer of the loop, and curl
 * easy handles are pooled. Blocking calls get a fresh loop each, hence no reuse between them.
 *
 * Only http:// and https:// URLs are fetched, on the first request and on every redirect.
 *
 * Threads: as every loop call (cafe.h, "Threads"), none of these calls may be made from a
 * cafe_thread_run function, and the calls given a loop (limits, stats) must come from that
 * loop's thread while it runs: either aborts the process with a message naming the call.
 * Outside any loop, on a thread of its own, cafe_http_request blocks as said above; called
 * outside a task on a thread whose loop runs (from a libuv callback), it would block that loop
 * on a loop of its own, and returns CAFE_EBUSY instead (one loop per thread).
 * cafe_http_result_free may be called from any thread. */
#ifndef CAFE_HTTP_H
#define CAFE_HTTP_H

#include "cafe.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cafe_http_method {
    CAFE_HTTP_GET = 0,
    CAFE_HTTP_HEAD, /* no body is requested; on_body is never called */
} cafe_http_method_t;

/* What happens to the rest of a body after on_body said "enough" or max_body was reached.
 * Closing an HTTP/1.1 connection mid-body loses it for later requests, and on loopback a new
 * connection costs as much as reading ~100 KB. On HTTP/2 the connection survives a stream's
 * reset, so only a small rest (16 KiB) is drained there; a larger one is reset. */
typedef enum cafe_http_stop {
    /* Default. Drain (read and discard) the rest for reuse when it is known or found to be at
     * most 16 KiB, or at most drain_max when other requests for the same host are waiting or
     * in flight; otherwise close. A compressed rest counts decoded as well: one that decodes
     * to more closes when it does. Also closes when the connection ends with the response
     * anyway (Connection: close, a body with neither a length nor chunks, HTTP/1.0 without
     * keep-alive), and when the rest has not all come within 1 s of the stop: the request
     * then ends with what it has (a slow or stalled rest does not hold it until timeout_ms). */
    CAFE_HTTP_STOP_AUTO = 0,
    CAFE_HTTP_STOP_CLOSE, /* always close at once */
    CAFE_HTTP_STOP_DRAIN, /* always read the whole rest (and discard it) */
} cafe_http_stop_t;

typedef struct cafe_http_result cafe_http_result_t;

/* Streaming body: called for each chunk of decoded body bytes, on the loop's own stack (not
 * the requesting task's), so it must not call suspending functions. `res` already holds
 * status, http_version, content_type, charset and url (the page's, after redirects). Return
 * 0 for more, CAFE_HTTP_ENOUGH (or any other positive value) to stop: the transfer ends early
 * and the request still succeeds (res->stopped is set). Return a negative CAFE_E* code (the
 * caller's own failure: out of memory, a full disk) to fail the request with it, as curl's
 * write callback fails a transfer: the connection is closed, the try is not retried, and
 * cafe_http_request returns that code (res->message "on_body failed: ...").
 * With opts.idle_ms set it is also called with data NULL and len 0 when the body has started
 * and no byte of it has come for idle_ms (a stalled or slow server), and again after each
 * further idle_ms without one: CAFE_HTTP_ENOUGH then ends the transfer with what came (the
 * connection is closed), 0 waits on, a negative code fails the request as above. */
typedef int (*cafe_http_body_cb)(void *arg, const cafe_http_result_t *res, const char *data,
                                 size_t len);
/* What a cafe_http_body_cb returns to stop the transfer (see above). */
#define CAFE_HTTP_ENOUGH 1

/* Start of a request: called once, when its first try is handed to curl (its host's turn and
 * a transfer slot taken, DNS resolved): from then on the request is in flight, before it was
 * only waiting behind the limits. Runs in the requesting task and must not suspend (a
 * suspending call there aborts the process with a message naming on_start). A request
 * that ends before (a bad URL, a DNS failure, cancelled while it waited) never calls it. */
typedef void (*cafe_http_start_cb)(void *arg);

/* Between tries: called with waiting 1 when a try failed and the request waits to try again
 * (its backoff or Retry-After sleep, then its host's turn and a slot), with 0 when that next
 * try is handed to curl. Runs in the requesting task and must not suspend (a suspending call
 * there aborts the process with a message naming on_retry); it may cancel the
 * task (cafe_task_cancel), which ends the wait with CAFE_ECANCELED: a tool that stops
 * gracefully lets tries in curl finish and cancels the requests waiting to retry. */
typedef void (*cafe_http_retry_cb)(void *arg, int waiting);

#define CAFE_HTTP_NO_REDIRECTS (-1)

/* What a zero option stands for: the names the code uses, and the values the comments on
 * cafe_http_opts_t and cafe_http_limits_t give. */
#define CAFE_HTTP_DEFAULT_TIMEOUT_MS 30000
#define CAFE_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define CAFE_HTTP_DEFAULT_MAX_REDIRECTS 10
#define CAFE_HTTP_DEFAULT_MAX_BODY (8u * 1024u * 1024u)
#define CAFE_HTTP_DEFAULT_DRAIN_MAX (256u * 1024u)
#define CAFE_HTTP_DEFAULT_ATTEMPTS 3
#define CAFE_HTTP_DEFAULT_BACKOFF_MS 200
#define CAFE_HTTP_DEFAULT_BACKOFF_MAX_MS 30000
#define CAFE_HTTP_DEFAULT_RETRY_AFTER_MAX_MS 60000
#define CAFE_HTTP_DEFAULT_RETRY_STATUSES                                                           \
    { 408, 429, 500, 502, 503, 504, 0 }
#define CAFE_HTTP_DEFAULT_MAX_TRANSFERS 100
#define CAFE_HTTP_DEFAULT_HOST_BACKOFF_MAX_MS 1000
/* The Accept header sent by default: HTML first, anything else after it, as browsers ask
 * when they navigate to a page, so that a server that negotiates gives the page a browser
 * shows (to curl's wildcard alone it may give JSON, a feed...), and one that has no HTML
 * still answers (never 406). Firefox's value adds application/xhtml+xml and
 * application/xml;q=0.9 between the two, which changes nothing for a page; each byte of a
 * header costs libcurl 7.88 ~90 instructions per request (its printf builds the request a
 * byte at a time): those 45 would cost ~4,000. */
#define CAFE_HTTP_DEFAULT_ACCEPT "text/html,*/*;q=0.8"

/* Request options. A zeroed struct (or NULL) means every default below. The strings and lists
 * are only read during the call; they stay the caller's. */
typedef struct cafe_http_opts {
    cafe_http_method_t method;
    /* NULL-terminated "Name: value" lines added to the request; "Name:" removes a header
     * curl would send. Default none. A CR or LF inside a line is CAFE_EINVAL (it would start
     * another header line), as in user_agent and accept. Authorization and Cookie lines go
     * to the URL's origin (scheme, host, port) alone, along redirects too, as curl sends
     * them; so do the credentials the URL names (http://user:pw@host/, sent as Basic). */
    const char *const *headers;
    /* Per attempt, its redirects, name lookups and a request sent again (one a closing
     * connection left unanswered) included; 0 = 30,000. */
    uint64_t timeout_ms;
    uint64_t connect_timeout_ms; /* 0 = 10,000 */
    /* 0 = 10; CAFE_HTTP_NO_REDIRECTS: a 3xx is the result. A Location is resolved and the
     * URL written as browsers do (the WHATWG URL Standard), where curl would go elsewhere: the
     * request then goes on from the browser's URL. A redirect to a fragment of the
     * page itself ("Location: #top") is a loop, CAFE_EHTTP_TOO_MANY_REDIRECTS at once, as
     * browsers end in one; res->url is that page (unless the redirect sets a cookie: then
     * the page is asked again with it, as browsers ask it). Only 301, 302, 303, 307 and 308 are
     * followed (the Fetch standard's redirect statuses): another 3xx with a Location, which
     * curl would follow, is the result, with its body, as a browser shows it. The cookies the
     * responses set are sent on the request's later redirects by the cookie rules (domain
     * and public suffixes, path, Secure, expiry), as browsers do; never on another request,
     * nor on another attempt of this one. A Cookie header in `headers` is sent instead. A
     * redirect to one of the Fetch standard's bad ports (25, 6000, 6667...), which browsers
     * refuse, or to port 0, where no server can listen, is refused before any connection:
     * CAFE_EHTTP_REDIRECT_PROTOCOL, res->url the redirect's target; the URL given may name
     * any port but 0 (CAFE_EHTTP_URL, no attempt made). A redirect's body is not waited
     * for, as browsers go on at once: one over 16 KiB is not read (its connection is closed),
     * a smaller or chunked one is read for 1 s at most to keep the connection, then the
     * request goes on without it. */
    int max_redirects;
    /* Body bytes kept (or passed to on_body); beyond it the transfer stops as if on_body had
     * said enough and res->truncated is set. 0 = 8 MiB; SIZE_MAX = no cap. */
    size_t max_body;
    const char *user_agent; /* NULL = "cafe/" CAFE_VERSION_STRING; CR or LF: CAFE_EINVAL */
    /* The Accept header's value. NULL = CAFE_HTTP_DEFAULT_ACCEPT, HTML first as a browser
     * asks: a server that negotiates answers curl's wildcard (any type) with what suits a
     * program (JSON, a feed...), and a browser with the page it shows. "" = curl's own
     * wildcard. An Accept line in `headers` is sent instead (one Accept header, never two),
     * and "Accept:" sends none. A CR or LF inside is CAFE_EINVAL. Unlike `headers`, it keeps
     * the loop's pooled easy handles as they are from one request to the next while its
     * value stays the same. */
    const char *accept;
    /* nonzero: do NOT verify the server's certificate and name. Verified, the name is
     * matched as libcurl 7.88 matches it: against the certificate's subjectAltName, or its
     * subject's CN when it has no subjectAltName, which curl and Python's ssl accept too
     * (browsers, Go and rustls refuse such a certificate). */
    int insecure;
    const char *ca_file; /* PEM file of CAs to trust instead of the system's; NULL = system */
    /* Directory of CAs in OpenSSL's hashed layout (c_rehash), or several separated by ':',
     * trusted besides ca_file's, or besides libcurl's CA bundle when ca_file is NULL: curl's
     * CURLOPT_CAPATH, as curl's tool sets it from SSL_CERT_DIR. NULL = none. Ignored where
     * libcurl's TLS has no CApath, as curl ignores SSL_CERT_DIR there. */
    const char *ca_path;
    /* NULL-terminated "host:port:address[,address]" pins, as curl's --resolve; host "*" is
     * every host on that port not pinned by a line of its own (a redirect's too), as in
     * curl. They go into the loop's shared DNS cache, so later requests on the loop see them
     * too (but for "*", which only the requests that give it use). */
    const char *const *resolve;
    int http1_only; /* nonzero: never negotiate HTTP/2 */
    /* Proxy URL for the requests ("http://host:3128", "socks5h://host"), as curl's
     * CURLOPT_PROXY; "" = none, not even from the environment. NULL = the environment, read
     * once per loop by curl's rules: http_proxy (lower case only), https_proxy or
     * HTTPS_PROXY, all_proxy or ALL_PROXY, the one of each redirect's scheme at that hop (as
     * curl -L picks). Either way no_proxy or NO_PROXY in the environment names the hosts
     * reached directly, as libcurl (and curl's -x) reads it. */
    const char *proxy;
    /* Nonzero: after DNS, refuse to connect to addresses off the public internet (private,
     * loopback, link-local, unique-local, multicast, reserved; IPv4 and IPv6), on the first
     * request and on every redirect, for services that fetch URLs they are given (SSRF).
     * Checked before the socket is opened, and again on a reused connection. The request
     * then fails with CAFE_EHTTP_PRIVATE naming the address. Through a proxy the address
     * checked is the proxy's, not the URL's (the proxy connects to that): set proxy to ""
     * with it, or leave the check to the proxy. Default off. */
    int no_private;

    /* Streaming. With on_body NULL the body is kept in res->body instead. */
    cafe_http_body_cb on_body;
    void *body_arg;
    cafe_http_stop_t stop;
    size_t drain_max; /* CAFE_HTTP_STOP_AUTO's limit when the host is busy; 0 = 256 KiB */
    /* With on_body: a body pause this long (ms) calls on_body(.., NULL, 0) (see
     * cafe_http_body_cb); noticed within 100 ms of it. 0 = never. */
    uint64_t idle_ms;

    /* Retries (like aiohttp-retry's ExponentialRetry, plus errors and Retry-After). */
    int attempts;                /* tries in all, the first one included; 0 = 3; 1 = no retry */
    uint64_t backoff_ms;         /* wait before the 2nd try, doubled for each next; 0 = 200 */
    uint64_t backoff_max_ms;     /* cap of every wait, jitter included; 0 = 30,000 */
    uint64_t retry_after_max_ms; /* longest Retry-After waited for; 0 = 60,000 */
    /* 0-terminated list of statuses to retry; NULL = 408 429 500 502 503 504. */
    const int *retry_statuses;
    int no_retry_errors; /* nonzero: do not retry connection errors and timeouts */

    /* Told when the request starts (leaves the limits' queues for curl); NULL = not told.
     * A tool that stops gracefully lets started requests finish and cancels the others. */
    cafe_http_start_cb on_start;
    void *start_arg;
    /* Told between tries (cafe_http_retry_cb), with start_arg; NULL = not told. */
    cafe_http_retry_cb on_retry;

    /* Nonzero: res->redirects, connects, bytes and timing are left 0. Each is a lookup in
     * curl at every response (~600 instructions for the eight): a crawler that does not
     * read them spares it. Default off. */
    int no_metrics;
} cafe_http_opts_t;

/* Timings of the last attempt, in microseconds since it began (curl's *_TIME_T): each is
 * cumulative, so dns_us <= connect_us <= tls_us <= first_byte_us <= total_us. A reused
 * connection gives near-zero dns/connect/tls. */
typedef struct cafe_http_timing {
    uint64_t dns_us, connect_us, tls_us, first_byte_us, total_us;
} cafe_http_timing_t;

/* The outcome of a request. Lives in the caller's memory; cafe_http_request overwrites all of
 * it (also on failure: free an earlier result first) and the caller frees it with
 * cafe_http_result_free. */
struct cafe_http_result {
    int error; /* 0, or the negative CAFE_E* code the call returned */
    /* On failure, what happened in cafe's words, then libcurl's own message as the detail
     * ("timed out: Operation timed out after 2001 milliseconds ..."); "" on success. */
    char message[256];
    long status;      /* HTTP status of the last response; 0 when none was received */
    int http_version; /* 10, 11, 20 or 30; 0 when no response */
    /* Final URL after redirects (owned), an empty query or fragment kept ("http://h/p?",
     * requested as "/p?", which libcurl 7.88 writes "http://h/p"); NULL when the URL was
     * refused. */
    char *url;
    int redirects;          /* redirects followed */
    char content_type[128]; /* media type from Content-Type, lower-case, no parameters; "" */
    char charset[48];       /* its charset parameter, lower-case, unquoted; "" when absent */
    /* The last response says "X-Content-Type-Options: nosniff" (the Fetch standard's
     * "determine nosniff"): a browser does not sniff its body for a type it lacks. */
    int nosniff;
    /* without on_body: the body kept, NUL-terminated (owned); NULL when empty. A transfer
     * ended early (timeout_ms, the task cancelled or past its deadline, a connection lost)
     * keeps what came, and body_bytes counts it, as curl keeps what it wrote. */
    char *body;
    size_t body_len;
    /* Body bytes of the last try's response as curl counts them (CURLINFO_SIZE_DOWNLOAD_T):
     * before Content-Encoding decoding, the rest read after an early stop included. A read
     * refused by stopping is not counted: a chunked body stopped in its first read says 0. */
    uint64_t bytes;
    /* Body bytes of the last try's response after decoding, all that curl handed over: those
     * kept or passed to on_body, those past max_body, and the rest read after an early stop
     * to keep the connection. What a title tool reports as a page's size. */
    uint64_t body_bytes;
    int stopped;   /* on_body said enough */
    int truncated; /* max_body was reached with more body to come */
    int attempts;  /* tries made */
    /* A retry was due (a retry status, attempts left), but the response's Retry-After asked
     * for this many seconds, more than retry_after_max_ms: the server will not answer
     * sooner, so the response is the result, not retried. 0 otherwise. */
    int64_t retry_after_declined_s;
    long connects; /* connections opened by the last try (0: it reused one) */
    /* Time spent waiting for the limits (rate, host's turn, transfer slot), all tries;
     * retry sleeps are not included. */
    uint64_t queued_ms;
    cafe_http_timing_t timing;
};

/* Fetches url, read as browsers read it (the WHATWG URL Standard, as for redirects): the
 * host lower-cased, an IPv4 address in any of its forms as its dotted quad, a backslash
 * before the query a '/', "%2e" segments removed, spaces and such percent-encoded, an empty
 * query kept ("http://h/p?" requests "/p?"); an http(s) URL a browser refuses (a host that
 * ends in a number but is no IPv4 address, an "xn--" label that is no IDNA one) is
 * CAFE_EHTTP_URL, before any lookup. A URL written so already (most) costs a scan of its
 * bytes, no parse. In a cancelled task (or past its deadline), the URL and the options are
 * checked (their errors first), then CAFE_ECANCELED (CAFE_ETIMEDOUT) before any lookup.
 * Returns 0 when a response was received, whatever its status (a 404 or a 503
 * after the last retry is a result, not an error), and a negative code otherwise:
 *   CAFE_EHTTP_URL, CAFE_EHTTP_SCHEME, CAFE_EHTTP_DNS, CAFE_ECONNREFUSED, CAFE_EHTTP_CONNECT,
 *   CAFE_EHTTP_TLS, CAFE_ETIMEDOUT (the transfer's timeout or the task's deadline),
 *   CAFE_EHTTP_REDIRECT_PROTOCOL, CAFE_EHTTP_TOO_MANY_REDIRECTS, CAFE_EHTTP_CLOSED,
 *   CAFE_EHTTP_PROTOCOL, CAFE_EHTTP_NO_LOCATION, CAFE_EHTTP_CURL, CAFE_ECANCELED,
 *   CAFE_ENOMEM, CAFE_EINVAL (url or res NULL, or an option out of its range: method, stop,
 *   attempts < 0, max_redirects < -1, a line break in accept, user_agent or a header line;
 *   or, found as the first try starts, a resolve line curl cannot parse or a proxy (the
 *   option's or the environment's) it cannot parse or has no scheme for),
 * CAFE_EBUSY (outside a task on a running loop's thread: see "Threads" above). res->error holds the
 * same code and res->message says what happened (a text for people: branch on the code, never on
 * the message). opts may be NULL.
 *
 * CAFE_EHTTP_NO_LOCATION: redirects were followed and the last response has a redirect status
 * (301, 302, 303, 307, 308) but no Location, or a blank one: nowhere to go. The response is
 * whole in res (status, content_type, the body kept or passed to on_body), as a browser shows
 * it as the page it is; a caller that wants that page keeps it with the error. With
 * CAFE_HTTP_NO_REDIRECTS such a response is the result (0), as every 3xx is.
 *
 * A compressed body (Content-Encoding) ends where its compressed stream does: bytes after it
 * (a CRLF some servers add, a second gzip member) are ignored, as Chromium ignores them.
 *
 * Retries: connection errors, timeouts and the retry statuses are tried again after a task
 * sleep of backoff_ms * 2^(n-1) (plus up to 25% jitter, never above backoff_max_ms), or the
 * server's Retry-After (seconds or HTTP-date) when longer. A try starts again from url, as
 * curl --retry does: the redirects before the response that failed are followed again, and
 * the cookies they set are set again (none is carried from the try before). A Retry-After longer
 * than retry_after_max_ms is not waited for and the response is not retried (as curl's --retry
 * gives up when Retry-After would pass --retry-max-time): res->retry_after_declined_s says
 * so. A response being retried is not passed to on_body; a try that already passed body
 * bytes to on_body is not retried. DNS failures, TLS and URL errors are not retried. A
 * proxy that answers the CONNECT of an https URL with an error status refused the tunnel:
 * CAFE_EHTTP_CONNECT, retried only when that status is one of the retry statuses (a 503,
 * not a 403 or a 407); a SOCKS proxy's refusal by its rules or of the credentials, or of a
 * command or address type it does not support, is not retried either. A
 * request the server never processed (an HTTP/2 stream above a GOAWAY's last-stream-id, or
 * one refused on curl's every new connection), with nothing of an answer received, is sent
 * again once at once on a new connection, whatever attempts says, and is not counted as an
 * attempt.
 *
 * Limits (cafe_http_limits_set) may make the call wait for a free slot first; waiting for a
 * slot and retry sleeps count against the task's deadline, not against timeout_ms.
 *
 * TLS: the loop keeps each host's newest TLS session and resumes it on every new connection
 * to the host (many at once included). The first request to an https origin the loop has
 * not seen yet goes alone: the origin's other requests wait (in queued_ms, holding no slot)
 * until the session its connection brings back is the loop's (a TLS 1.2 handshake's end, a
 * TLS 1.3 server's first ticket), its response starts or it ends, so that they resume that
 * session instead of each making a full handshake at once. */
int cafe_http_request(const char *url, const cafe_http_opts_t *opts, cafe_http_result_t *res);

/* Frees what res owns (url, body) and clears those fields. Safe to call twice. */
void cafe_http_result_free(cafe_http_result_t *res);

/* Per-loop limits. Transfers over max_transfers wait in FIFO order (they are not failed);
 * so do transfers over max_host_connections to one host (origin), each waiting for its
 * host's turn in cafe, not inside curl where that wait would count against timeout_ms: a
 * tarpit does not time out the other URLs of its host. On HTTP/2, streams share one
 * connection, but they count against max_host_connections too. Connections kept for reuse
 * are capped at max_connections, which bounds the file descriptors used.
 *
 * Politeness (every try counts, retries included; a request waits for its host's turn
 * before it takes a transfer slot, so a slowed host holds no slot and other hosts go on; a
 * redirect to another origin is a try of that origin, which waits for its turn there):
 *   - rate: at most `rate` tries start per second on the loop, all hosts together;
 *   - host_interval_ms: at least this long between the starts of two tries to one host;
 *   - host backoff (on unless no_host_backoff), AIMD as in TCP and lychee: a 429 or 503
 *     slows its host to one try per 250 ms, and each further 429/503 (one per round: the
 *     answers to tries started before the last slow-down do not count again) doubles that
 *     gap up to host_backoff_max_ms. Every other answer adds one try per second to the
 *     host's rate (additive increase) until it is back to 100 per second, where the host is
 *     no longer slowed. A Retry-After also holds the host's next try back that long (at most
 *     the request's retry_after_max_ms); one longer than that cap, not waited for, holds
 *     nothing back (a server answering every request so would cost the cap per request).
 *     So no wait at a host is longer than max(host_backoff_max_ms, host_interval_ms) or
 *     the Retry-After cap, and a host that
 *     keeps failing costs at most its requests x attempts tries, one per
 *     max(host_backoff_max_ms, host_interval_ms) at the slowest.
 * Waiting tries form a FIFO queue per host whose schedule follows the host's current gap
 * (nothing is booked ahead): when the host recovers, the queue speeds up. A try that waited
 * for its slot while its host was slowed goes back to the host's queue. */
typedef struct cafe_http_limits {
    size_t max_transfers;        /* 0 = 100 (aiohttp's default) */
    size_t max_host_connections; /* 0 = no per-host cap */
    /* Connections kept open for reuse (curl's cache, idle and busy). 0 = 4 x max_transfers
     * (curl's own default ratio), lowered to leave room under the process's open-file
     * limit, and never below max_transfers. A list over many hosts needs a cache that holds
     * a connection per host, or every URL pays for a new connection. */
    size_t max_connections;
    double rate;                  /* tries started per second on the loop; 0 = no limit */
    uint64_t host_interval_ms;    /* least time between two tries to one host; 0 = none */
    int no_host_backoff;          /* nonzero: 429/503 and Retry-After do not slow the host */
    uint64_t host_backoff_max_ms; /* longest gap of a slowed host; 0 = 1,000 */
    /* Nonzero: once the connections kept reach max_connections (where curl would close the
     * oldest idle one to keep a new one, walking them all to find it at the end of every
     * transfer), a transfer closes its connection when it ends (CURLOPT_FORBID_REUSE, every
     * hop of its redirects included) if its origin is one-off: no other request to it is in
     * progress on the loop (waiting for its name, its turn or a slot, or in flight) at any
     * time while the transfer runs, and the loop's client does not remember an earlier
     * transfer to it (the last 4,096 origins, about). So with many distinct hosts no idle
     * descriptor piles up on a server that will not be visited again and the connections
     * kept stay those that are used; a cache with room, a host visited again, requests made
     * one after the other to one host keep their connections as without it. Meant for a
     * caller that starts its requests ahead of the transfer slots, as `cafe titles` does.
     * 0 (default): curl's own policy, the oldest idle connection goes. */
    int close_one_off;
} cafe_http_limits_t;

/* Sets the limits of `loop` (NULL = the running loop) for its later requests.
 * CAFE_EBUSY while requests are in progress on it, CAFE_EINVAL without a loop or limits, or
 * for a negative or NaN rate. */
int cafe_http_limits_set(cafe_loop_t *loop, const cafe_http_limits_t *limits);

/* Counters of a loop's HTTP client since it started, for tuning and benchmarks. */
typedef struct cafe_http_stats {
    uint64_t requests;       /* cafe_http_request calls that reached the network */
    uint64_t transfers;      /* curl transfers finished (tries) */
    uint64_t transfers_peak; /* most transfers inside curl at once */
    uint64_t curl_calls;     /* calls into libcurl made by the loop integration */
    uint64_t socket_actions; /* curl_multi_socket_action calls (part of curl_calls) */
    uint64_t socket_cbs;     /* curl's socket callbacks */
    uint64_t poll_changes;   /* uv_poll_start/stop calls: each costs one or two epoll_ctl */
    uint64_t stops_drained;  /* early stops that read the rest to keep the connection */
    uint64_t stops_closed;   /* early stops that reset the stream or closed the connection */
    uint64_t one_off;        /* transfers that closed their connection (close_one_off) */
    /* Requests waiting now for a transfer slot (max_transfers), their host's turn taken: a
     * caller that starts requests ahead keeps this short (cafe titles' look-ahead). */
    uint64_t slot_waiting;
    uint64_t poll_handles; /* uv_poll handles made: one per socket number, kept from one
                              connection to the next that gets the number */
} cafe_http_stats_t;

/* Fills *out for `loop` (NULL = the running loop); zeros when it made no request. A NULL out
 * aborts the process with a message. */
void cafe_http_stats_get(cafe_loop_t *loop, cafe_http_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif /* CAFE_HTTP_H */
