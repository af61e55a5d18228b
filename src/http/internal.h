/* HTTP client internals shared by the files of src/http.
 *
 * Pieces and owners:
 *   client (client.c)  one per loop, created at the first request, freed by the loop's
 *                      at-close hook: the curl multi and share handles, curl's timer, the
 *                      sockets, the pool of transfers, the host table, the limits.
 *   sock   (io.c)      one per socket curl watches: a uv_poll_t; freed in its close callback.
 *   xfer   (xfer.c)    one curl easy handle + per-try state; pooled by the
 *                      client, lent to one try at a time.
 *   try    (request.c) one attempt of a request, on the requesting task's stack: the wait
 *                      the task parks on and where the transfer reports to.
 *
 * Every call into libcurl's multi interface runs on the loop's own stack (uv callbacks, or
 * cafe__loop_call from a task) and never from inside a curl callback. */
#ifndef CAFE_HTTP_INTERNAL_H
#define CAFE_HTTP_INTERNAL_H

#include "common/dlist.h"
#include "runtime/internal.h"

#include <curl/curl.h>

typedef struct cafe__http_client cafe__http_client_t;
typedef struct cafe__http_xfer cafe__http_xfer_t;
typedef struct cafe__http_sock cafe__http_sock_t;

/* A host's politeness state (pace.c): when its next try may start. */
typedef struct cafe__http_pace {
    uint64_t last_start;  /* time (uv_hrtime ms) the last try started or the host was slowed */
    uint64_t gap_ms;      /* slowed by 429/503: the gap between tries; 0 = not slowed */
    uint64_t pause_until; /* Retry-After: no try before this time (uv_hrtime ms) */
    uint32_t epoch;       /* slow-downs so far: a try started before one does not count */
    size_t waiting;       /* tries queued at the gate */
    cafe_sem_t gate;      /* one permit: the head of the host's FIFO queue watches the clock */
} cafe__http_pace_t;

/* The host of an origin key ("scheme://host[:port]") as curl sees it (pin.c): where it is
 * in the key, its port, and whether curl would look it up (a host name; not an IP literal,
 * nor anything curl reports as malformed). Parsed once per host entry, not per request. */
typedef struct cafe__http_name {
    uint16_t at, len; /* the host: key[at, at + len) */
    unsigned port;    /* given, or the scheme's */
    int lookup;       /* 0: nothing to resolve (IP literal, malformed, empty) */
} cafe__http_name_t;

/* Requests in progress per origin ("host:port"), so that the stop policy knows whether a
 * kept connection will be wanted, and the origin's politeness. An entry no request uses is
 * idle: on the table's LRU list of idle entries, kept for the origin's next request (a crawl
 * comes back to its hosts: no allocation, no parse of the key per request). Once its pace
 * holds nothing back (cafe__http_pace_idle) it is retired: the DNS pins taken back from curl
 * and the pace reset, as a new entry would be. The oldest idle entries beyond
 * CAFE__HTTP_IDLE_HOSTS are freed. */
typedef struct cafe__http_host {
    struct cafe__http_host *next;
    dlist_link_t idle; /* on the table's idle list while count is 0 */
    uint64_t hash;
    size_t count;
    /* max_host_connections tries at once: the others wait here, not inside curl, where the
     * wait for a connection would count against their timeout (request.c). */
    cafe_sem_t conns;
    cafe__http_pace_t pace;
    /* limits.close_one_off: the transfer of the host's one request, set to close its
     * connection; NULL when none. Cleared when that try ends (request.c). */
    cafe__http_xfer_t *one_off;
    int retired; /* idle, pins taken back, pace reset */
    int scheme;  /* the key starts with "http://" (1), "https://" (2), neither (0) */
    /* https: the host's first try goes alone until libcurl holds the TLS session it brings
     * back, its response starts or the try ends, so that the others resume that session
     * (request.c, tls_first_take).
     * tls_warm is set then, and never cleared; tls_probing: that first try has begun. */
    int tls_probing;
    cafe_event_t tls_warm;
    cafe__http_name_t name;
    size_t klen;
    char key[];
} cafe__http_host_t;

/* Bytes an origin key ("scheme://host:port", cafe__http_origin_key) takes at most, its NUL
 * included, when its host is a name DNS can hold (253 bytes, and a final dot): "https://",
 * the name, ":65535". A key cut shorter would have its name looked up cut, or its port. */
#define CAFE__HTTP_KEY_MAX (8 + 254 + 6 + 1)

/* Idle host entries kept at most (more while some of them are held back by their pace). */
#define CAFE__HTTP_IDLE_HOSTS 1024

/* Bytes of a response's Content-Type values kept as they came (cafe__http_xfer_t's
 * type_raw): a real one is a few dozen; past it curl's trimmed values are read. */
#define CAFE__HTTP_TYPE_RAW_MAX 512

typedef struct cafe__http_hosts {
    cafe__http_host_t **buckets;
    size_t nbuckets, len;
    dlist_t idle; /* the idle entries, most recently idle first */
} cafe__http_hosts_t;

/* Counts one more request for key (klen bytes, its hash as cafe__http_origin_key gives it;
 * a new entry's conns get `permits`); NULL when out of memory. */
cafe__http_host_t *cafe__http_host_enter(cafe__http_client_t *c, const char *key, size_t klen,
                                         uint64_t hash, size_t permits);
/* One request less; at zero the entry goes idle (retired when its pace is idle). */
void cafe__http_host_leave(cafe__http_client_t *c, cafe__http_host_t *h);
void cafe__http_hosts_free(cafe__http_hosts_t *hs);

/* One try of a request (request.c), on the requesting task's stack. The transfer writes the
 * outcome here and wakes `wait`; if the task stops waiting first (cancel, deadline) the
 * transfer is orphaned and never touches the try again. */
typedef struct cafe__http_try {
    cafe__wait_t wait;
    cafe__http_client_t *c;
    cafe__http_xfer_t *x;
    const char *url;
    /* The URL asked for: a new attempt starts there again, and the credentials it names
     * (http://user:pw@host/) go to its origin alone (xfer.c). */
    const char *asked;
    const cafe_http_opts_t *opts;
    cafe_http_result_t *res;
    /* The entry of the origin the try's transfer starts at, whose turn it takes (its
     * connections, interval and slow-down): home's, or a redirect's target's when the request
     * went on to another origin itself (request.c). */
    cafe__http_host_t *host;
    /* The entry of the URL asked for: the origin the caller's credentials go to. */
    cafe__http_host_t *home;
    int discard_retryable; /* attempts remain: do not deliver bodies of retryable statuses */
    /* The host's first try over TLS: the others wait for its session. Beside the fields the
     * first body chunk reads, so that checking it there touches no other line. */
    int tls_probe;
    int code;      /* outcome: 0 or CAFE_E* */
    int delivered; /* on_body got bytes: the try must not be repeated */
    /* The request went unanswered on a connection the server was closing, and curl did not
     * try it again (finish.c): the request sends it again once, at once, on a new
     * connection. resent: it was, and an attempt whose request goes unanswered then ends the
     * request (request.c). */
    int unanswered;
    int resent;
    int64_t retry_after_s; /* the response's Retry-After, -1 when none */
    /* The proxy refused the tunnel with this status (0: it did not): retried as that status
     * would be, a policy's 403 or 407 not. */
    long tunnel_refused;
    const char *pin;        /* "host:port:addrs" for curl's DNS cache, or "" (pin.c) */
    const char *pinned_key; /* the origin whose names the attempt handed curl (pin.c) */
    /* What the attempt has taken of its timeout before the try's transfer: its earlier
     * transfers (hops_ms) and the names' lookups (pin.c). curl gets what is left (xfer.c). */
    uint64_t dns_ms;
    /* What the attempt's earlier transfers took: those stopped at a redirect the request
     * went on from itself (relocate, unresolved), set by tries_run (request.c). */
    uint64_t hops_ms;
    /* The origin ("scheme://host:port") of a redirect whose name curl was about to resolve
     * itself, refused (pin.c); "" when none. */
    char unresolved[CAFE__HTTP_KEY_MAX];
    int pace_held; /* the host's turn is held until the request goes out (pace.c) */
    /* A redirect the transfer was stopped at, since curl would have gone elsewhere than a
     * browser (redirect.c): the browser's URL (malloc'd, the try's to free) and the redirects
     * that led there. The request goes on from that URL. NULL when none. */
    char *relocate;
    long relocate_hops;
    /* The URL the request went on from after such redirects (malloc'd; NULL when none) and
     * how many redirects they were in all, set by tries_run (request.c). */
    char *moved;
    long moved_hops;
    /* The cookies the try's transfer starts with: those the redirects before it set, taken
     * from curl's jar (CURLINFO_COOKIELIST's Netscape lines) when a transfer stopped at a
     * redirect the request goes on from (relocate); NULL when none. A replay or a resend
     * starts with them again; a new attempt with none, as a new fetch (request.c). */
    struct curl_slist *jar;
} cafe__http_try_t;

/* The host's first try over TLS has its session with libcurl (tls_ctx.c), its response
 * starting, or is over: the host's other tries go (request.c). No-op for any other try. */
void cafe__http_tls_first_open(cafe__http_try_t *t);
static inline void cafe__http_tls_first_done(cafe__http_try_t *t) {
    if (t->tls_probe)
        cafe__http_tls_first_open(t);
}

/* What an easy handle's options were last set from, besides the URL. A request with the
 * same profile reuses them as they are: no curl_easy_reset and ~24 setopts less. Only
 * profiles without caller strings (user agent, header and resolve lists, proxy) are reusable
 * (valid), since the caller may change a string's bytes under the same pointer; the CA file
 * and the Accept value are compared with copies kept by the transfer (cafe titles --cacert
 * reuses its handles). */
typedef struct cafe__http_profile {
    int valid, used, method, https, insecure, http1_only, max_redirects, no_private;
    uint64_t timeout_ms, connect_timeout_ms;
} cafe__http_profile_t;

struct cafe__http_xfer {
    CURL *easy;
    cafe__http_client_t *c;
    cafe__http_try_t *try;   /* NULL when idle or orphaned */
    cafe__http_xfer_t *next; /* pool or orphan list */
    struct curl_slist *headers, *resolve;
    char *body; /* buffered body (no on_body): handed to the result at the end */
    size_t body_len, body_cap;
    size_t kept, max_body; /* body bytes kept or passed to on_body, and their cap */
    uint64_t decoded;      /* body bytes curl handed over, the drained rest too */
    curl_off_t stop_at;    /* bytes received when the body was stopped */
    curl_off_t drain_max;  /* how many more may be read to keep the connection */
    /* Decoded bytes when the body was stopped, and how many more the drain may decode: a
     * compressed rest is counted as curl decodes it, not as it comes on the wire. */
    uint64_t stop_decoded, drain_decoded;
    int started;  /* the first body chunk was seen */
    int stopping; /* stopped early and draining the rest */
    int aborted;  /* stopped early by refusing data: curl's write error is ours */
    int oom;      /* the body buffer could not grow */
    int failed;   /* on_body's negative code: the request's error (cafe_http_body_cb) */
    /* The response's Content-Length values differ (-1), or one is no number
     * (CAFE__HTTP_LENGTH_NAN); 0: neither (finish.c). */
    int length_fault;
    /* What cafe__http_on_header saw of the transfer's header lines, all its responses' (1xx,
     * redirects, retries, trailers): libcurl 7.88 hands each line its header API keeps to the
     * header function as it keeps it, so a name never seen is one curl_easy_header cannot
     * find, without its walk over every header and a string compare for each (~730
     * instructions). Names are matched loosely (a line may be counted that curl would not
     * file under the name): a count too high only sends the question to curl. Cleared when
     * the handle is pooled. */
    struct {
        unsigned close : 1;      /* a "Connection:" line with "close" in it, in any case */
        unsigned lengths : 2;    /* "Content-Length:" lines, 0, 1 or 2 for more */
        unsigned length_odd : 1; /* one of those was more than one number (a list, junk) */
        unsigned types : 2;      /* "Content-Type:" lines, 0, 1 or 2 for more */
        unsigned typed : 1;      /* one of those since the last status line: the final's */
        unsigned nosniff : 1;    /* an "X-Content-Type-Options:" line */
        unsigned type_odd : 1;   /* one of those was blank or had a control byte (finish.c) */
        unsigned folded : 1;     /* a line went on from the one before (obs-fold) */
        unsigned coded : 1;      /* a "Transfer-Encoding:" line (chunked, most likely) */
        /* The last status line's code and version (10, 11, 20) when it had the plain form
         * libcurl 7.88 reads alike ("HTTP/1.1 200 ", "HTTP/2 200 "); 0 for any other, and
         * curl is asked (finish.c). */
        unsigned status : 10;
        unsigned version : 5;
        unsigned head_done : 1;    /* the last response's head has ended: lines are trailers */
        unsigned trailers_cut : 1; /* more than CAFE__HTTP_TRAILERS_MAX of them: refused */
        unsigned type_last : 1;    /* the line before was a "Content-Type:" one (a fold's) */
        unsigned type_cut : 1;     /* one of the final's ended in a byte curl trims (type_raw) */
        unsigned type_over : 1;    /* type_raw could not hold them all */
        uint16_t type_len;         /* bytes in type_raw */
        uint32_t trailers;         /* bytes of the last response's trailer lines */
    } lines;
    /* The final response's Content-Type values as they came, joined with ", " (a fold after
     * one space), HTTP whitespace trimmed: libcurl 7.88 also trims a vertical tab or form
     * feed at a value's end from what it keeps, where browsers read it as part of the value
     * ("charset=koi8-r\v" is no label they know). Parsed instead of curl's values when
     * lines.type_cut (finish.c). */
    char type_raw[CAFE__HTTP_TYPE_RAW_MAX];
    int in_multi;
    uint64_t drain_until; /* on the client's draining list: when the drain is given up */
    dlist_link_t drain_link;
    /* On the draining list for a redirect's body instead (cafe__http_redirect_watch), and
     * curl's count of redirects followed then. */
    int redirect_watch;
    long watch_hops;
    /* The redirect to https the request takes itself (redirect.c): curl's limit stops at
     * it, so curl reads its body, keeps the connection and ends (CURLE_TOO_MANY_REDIRECTS),
     * and the request goes on from its Location (finish.c). */
    int own_hop;
    uint64_t idle_at; /* on the client's idle list (idle.c): when its body last moved */
    dlist_link_t idle_link;
    int pinned; /* CURLOPT_RESOLVE set for this transfer alone (pin.c) */
    /* The request's resolve lines had curl's "*" host: libcurl 7.88 goes on using that line
     * (its per-handle wildcard flag) on the handle's later transfers until a resolve list is
     * loaded again, which xfer_start then makes it do. */
    int wildcard;
    int no_reuse; /* CURLOPT_FORBID_REUSE is set: limits.close_one_off found no other request */
    /* CURLOPT_FOLLOWLOCATION, or content decoding, was turned off mid-transfer (redirect.c):
     * the handle's options are set again before its next use. */
    int no_follow;
    /* curl's cookie jar may hold cookies: a response set one (cafe__http_on_header) or the
     * try's jar was loaded. It is emptied before the handle is pooled (xfer.c): cookies are
     * kept along one request's redirects, never carried to another request. */
    int cookies;
    int cookie_engine; /* CURLOPT_COOKIEFILE "" is set: curl's cookie engine is on */
    /* The transfer starts at another origin than the request's, the caller's Authorization
     * and Cookie lines left out (xfer.c): a redirect back to the request's origin is taken
     * in a transfer of its own, which sends them (redirect.c). */
    int creds_away;
    /* Requests curl sent for this transfer (on_prereq): more than its redirects and one means
     * curl tried again on a new connection (a kept one the server had dropped, a refused
     * HTTP/2 stream). libcurl 7.88 counts such tries per handle and clears the count only in
     * curl_easy_reset (and when it gives up at 5): a pooled handle that kept its options
     * would fail a later transfer's first try again with "Connection died, tried 5 times
     * before giving up". So such a handle is reset before its next use (xfer.c). */
    unsigned sent;
    int h2; /* the last request went on an HTTP/2 connection (ALPN; on_prereq) */
    /* The transfer starts at an http:// URL and no proxy is set for it (xfer.c): its first
     * request goes on a connection with no TLS in it, so no HTTP/2 (on_prereq). */
    int plain;
    int tls_hello; /* the last TLS handshake it made read the server's hello (tls_ctx.c) */
    /* ... and found the server's certificate sent alone, of an issuer not trusted, which it
     * names where browsers would fetch it: an incomplete chain (tls_ctx.c) */
    int tls_no_chain;
    /* The SSL_CTX (a reference) of the connection a host's first TLS try made, which tells
     * that try when libcurl holds the connection's session (tls_ctx.c); NULL when none. */
    void *probe_ctx;
    /* Redirects followed when the last request went out, and that request's URL (NULL when
     * none, or out of memory), for redirect.c. */
    long hops;
    char *hop_url;
    char loop[128]; /* a redirect to the page itself: its Location; "" when none */
    /* Where a browser goes after the redirect curl was stopped at (malloc'd, NULL when none),
     * and how many redirects led there: the try's relocate once the transfer ends. */
    char *relocate;
    long relocate_hops;
    const char *bad_location; /* why a browser refuses the redirect's Location; NULL: none */
    char bad_scheme[24];      /* a redirect's Location has this other scheme; "" when none */
    long bad_port;            /* a redirect to this port was refused; -1: none */
    int switched;             /* a 101 Switching Protocols came, and was refused (redirect.c) */
    char bad_status[4];       /* a status code outside 100-599 came, refused; "" when none */
    int location_conflict;    /* a redirect's Location headers differ (redirect.c) */
    /* The fragment browsers give the URL the transfer is at (malloc'd, without its '#'; ""
     * an empty one; NULL none): the first URL's, then each Location's that has one, taken
     * by a Location without one (the Fetch standard). libcurl 7.88 keeps a Location's own
     * fragment but not an empty one, and passes none on (redirect.c, finish.c). */
    char *fragment;
    int raw_body; /* the response's codings are unknown: decoding is off */
    /* The try's host and whether its turn is held until the request goes out (pace.c):
     * copies of the try's, which lives on a task stack gone cold by the time curl sends the
     * request (on_prereq). The try gets pace_held back when the transfer ends or leaves it. */
    int pace_held;
    cafe__http_host_t *host;
    CURLSH *share; /* the TLS session share set on the handle; NULL: none set since a reset */
    char *ca_file; /* a copy of the CA file the options were set with, NULL for none */
    char *ca_path; /* and of the CA directory, NULL for none */
    /* The Accept line set with the options when the request has no header lines of its own
     * (options_set), kept as long as they are; NULL when none (opts.accept ""). And a copy of
     * the opts.accept it was made from (NULL for the default): a request whose value differs
     * sets the options again. */
    struct curl_slist *accept;
    char *accept_value;
    cafe__http_profile_t profile;
    char errbuf[CURL_ERROR_SIZE];
    char refused[64]; /* --no-private: the address refused, "" when none */
};

/* TLS session shares per client (a power of two). libcurl 7.88 keeps 8 sessions in a share
 * handle (lib/share.c) and 5 in an easy handle: with more hosts than that, a new connection
 * to a host seen before would make a full handshake again. The hosts are spread over this many
 * shares, created when first used: up to 8 x 256 sessions, as many as the connections a loop
 * keeps by default at -c 500. */
#define CAFE__HTTP_SHARES 256

/* Origins remembered as having had a transfer (limits.close_one_off): 32 KB per client. */
#define CAFE__HTTP_SEEN 4096

struct cafe__http_client {
    cafe_loop_t *loop;
    CURLM *multi; /* also holds curl's DNS cache, for every transfer of the loop */
    CURLSH *shares[CAFE__HTTP_SHARES];
    uv_timer_t timer;       /* curl's single timeout */
    uv_timer_t reaper;      /* removes orphaned transfers on the next loop turn */
    uv_timer_t drain_timer; /* cuts the drains that overran CAFE__HTTP_DRAIN_MS (body.c) */
    uv_timer_t idle_timer;  /* ticks while bodies are watched for pauses (idle.c) */
    int open_timers;        /* closing: the client is freed when its timers are closed */
    dlist_t draining;       /* transfers draining under the time budget, the oldest at the tail */
    dlist_t idle;           /* transfers whose body is watched for pauses (opts.idle_ms) */
    cafe__http_sock_t **socks; /* by file descriptor */
    size_t nsocks;
    int closing; /* client_close runs: no socket handle is kept as a spare (io.c) */
    cafe__http_xfer_t *pool, *orphans;
    size_t pool_len;
    cafe__http_hosts_t hosts;
    /* The loop's resolver (dns.c), once a request had a name to pin (pin.c); NULL before:
     * there are no lines to take back from curl then, and no lookup per request for them. */
    struct cafe__dns *dns;
    /* The last Content-Type value parsed, and what it gave: a crawl's responses repeat a few
     * values, and a parse is ~600 instructions per response (cafe__http_meta_fill). */
    struct {
        char raw[128];
        char type[sizeof(((cafe_http_result_t *)0)->content_type)];
        char charset[sizeof(((cafe_http_result_t *)0)->charset)];
    } last_type;
    cafe_sem_t slots;
    uint64_t rate_next_us; /* limits.rate: uv_hrtime (us) the next request may be sent */
    cafe_sem_t rate_gate;  /* limits.rate: one permit, held from a turn to its request sent */
    size_t in_progress;    /* requests inside cafe_http_request */
    size_t in_curl;        /* transfers added to the multi handle */
    size_t sockets_open;   /* curl's connections (io.c): its cache is full at max_connections */
    /* limits.close_one_off: origins (their host table hash) that had a transfer, direct-mapped
     * (a collision only makes a one-off host look seen: its connection is kept). */
    uint64_t seen[CAFE__HTTP_SEEN];
    cafe_http_limits_t limits;
    char *proxy_http, *proxy_https, *no_proxy; /* the environment, read once */
    int openssl;   /* libcurl's TLS is OpenSSL: its SSL_CTX is cafe's to add to (tls_ctx.c) */
    int ca_bundle; /* libcurl's built-in CA bundle file is readable: its CApath is not needed */
    void *trust;   /* the system's CAs read lazily (X509_STORE, trust.c), or NULL: the bundle */
    uint64_t rng;
    uint64_t dns_swept_ms; /* loop time curl last swept its DNS cache (xfer.c, dns_ttl) */
    cafe_http_stats_t stats;
};

/* trust.c: the default trust store. _init sets openssl, ca_bundle and trust, _free drops
 * the store (after the connections that hold it). */
void cafe__http_trust_init(cafe__http_client_t *c);
void cafe__http_trust_free(cafe__http_client_t *c);
/* tls_ctx.c: the CURLOPT_SSL_CTX_FUNCTION set when libcurl's TLS is OpenSSL: hands a new
 * connection `store` (an X509_STORE, or NULL to keep what libcurl loaded) and keeps its
 * TLS 1.3 sessions resumable. */
CURLcode cafe__http_tls_ctx(CURL *easy, void *ssl_ctx, void *store);
/* tls_ctx.c: the connection x made for a host's first TLS try no longer tells it of its
 * session (x's transfer is over): its SSL_CTX is let go. */
void cafe__http_tls_probe_forget(cafe__http_xfer_t *x);
/* Whether the transfer's connection is TLS (OpenSSL) with HTTP/2 chosen by ALPN. */
int cafe__http_tls_h2(CURL *easy);

/* client.c */
/* The client of the running loop, created on first use; NULL when out of memory. */
cafe__http_client_t *cafe__http_client_get(cafe_loop_t *loop);
/* The client of loop if it has one (never creates). */
cafe__http_client_t *cafe__http_client_find(cafe_loop_t *loop);
uint32_t cafe__http_client_random(cafe__http_client_t *c);
/* The share handle for the TLS sessions of the origin with this hash (cafe__http_host_t),
 * created on first use; NULL when out of memory (the transfer then caches its own). */
CURLSH *cafe__http_client_share(cafe__http_client_t *c, uint64_t origin_hash);

/* io.c: the multi_socket <-> libuv glue. */
void cafe__http_io_init(cafe__http_client_t *c);
/* Closes every socket and the timers; the client is freed once they are closed. */
void cafe__http_io_close(cafe__http_client_t *c);
/* The socket callbacks set on every easy handle. CURLE_OK or curl's refusal. */
CURLcode cafe__http_io_setopts(cafe__http_xfer_t *x);
/* Hands x to the reaper: it is taken out of curl on the next loop turn and pooled. */
void cafe__http_io_orphan(cafe__http_xfer_t *x);

/* xfer.c */
/* Takes a pooled transfer (or makes one) and sets it up for try t: URL check, options, add
 * to the multi. Loop stack. Returns 0 or a CAFE_E* code with t->res->message set. */
int cafe__http_xfer_start(cafe__http_try_t *t);
/* The try's URL is one curl is given (http or https, and well formed where its host entry
 * could not tell: scheme 0): 0, or the failure set in t->res. *https: whether it is https. */
int cafe__http_url_check(const cafe__http_try_t *t, int *https);
/* Returns x to the pool (or frees it when the pool is full). Loop stack, x out of curl. */
void cafe__http_xfer_put(cafe__http_xfer_t *x);
/* curl tried a request of x's transfer again on a new connection (x->sent). */
int cafe__http_xfer_retried(cafe__http_xfer_t *x);
void cafe__http_xfer_free(cafe__http_xfer_t *x);
/* A request to h's origin arrived while its one transfer was set to close its connection
 * (limits.close_one_off): that connection is kept after all. */
void cafe__http_xfer_keep(cafe__http_host_t *h);

/* proxy.c: whether libcurl 7.88 sends a request to host (an IPv6 address unbracketed)
 * direct by the no_proxy list: "*", or an entry (commas or blanks between them) naming the
 * host or a domain above it, or, for an IPv4 address, the address or a range
 * ("10.0.0.0/8") holding it. */
int cafe__http_no_proxy(const char *host, const char *list);
/* proxy.c: the proxy x's transfer goes through at the URL it is at (the request's, else the
 * environment's for its scheme), or NULL when it goes direct (none, or no_proxy names the
 * host). */
const char *cafe__http_proxy_of(const cafe__http_xfer_t *x);

/* pin.c: fills *n for origin key. */
void cafe__http_name_parse(const char *key, cafe__http_name_t *n);
/* Resolves on the loop the names a request to origin key ("scheme://host[:port]", its host
 * parsed in *n) makes curl look up (the target's and/or the proxy's, not those the caller's
 * own resolve lines give) and writes into line (cap bytes) the CURLOPT_RESOLVE lines to hand
 * curl, newline-separated, or "" when curl has them already. A DNS failure is the try's
 * outcome (t->code, message "dns: ..."), and 0 is returned; nonzero only when the wait was
 * cut short (cancel, deadline). */
int cafe__http_dns_pin(cafe__http_try_t *t, const char *key, const cafe__http_name_t *n, char *line,
                       size_t cap);
/* CURLOPT_RESOLVER_START_FUNCTION (data: the transfer): curl is about to resolve a name
 * itself, which only a redirect to a host cafe has not resolved makes it do. Refused (no
 * resolver thread): the transfer stops at that redirect (x->relocate) and request.c goes on
 * from its target, that name resolved on the loop. Anywhere else (the first URL's name,
 * whose pin curl dropped) the origin is noted in the try's `unresolved` and the try runs
 * again, curl then finding the name in its cache. */
int cafe__http_on_resolver_start(void *resolver, void *reserved, void *arg);
/* No request to h's origin is in progress any more: curl forgets the line it was given for
 * the origin's name and port. Its DNS cache is a hash of 71 chains in libcurl 7.88, walked
 * at every transfer: with the line of every name of a long list kept, each walk was ~70
 * entries long. A request there later hands the line again. */
void cafe__http_dns_release(cafe__http_client_t *c, const cafe__http_host_t *h);
/* Puts the resolver's pending "-host:port" lines at the head of *list and line's lines
 * (newline-separated; none when "") at its end. Returns 0 or CAFE_ENOMEM. */
int cafe__http_dns_lines(cafe__http_client_t *c, const char *line, struct curl_slist **list);

/* private.c: opts->no_private. Nonzero for addresses off the public internet (private,
 * loopback, link-local, unique-local, multicast, reserved). */
int cafe__http_addr_private(const struct sockaddr *sa);
int cafe__http_ip_private(const char *ip);
/* Sets the check run before every request, reused connections included. CURLE_OK or curl's
 * refusal (CURLOPT_PREREQFUNCTION needs libcurl 7.80). */
CURLcode cafe__http_private_setopts(cafe__http_xfer_t *x);

/* body.c: curl's write callback (CURLOPT_WRITEFUNCTION). */
size_t cafe__http_on_write(char *data, size_t size, size_t n, void *xfer);
/* k leaves the watch list l (the drains' or the pauses'), if on it; the list's timer stops
 * with its last item. */
static inline void cafe__http_watch_leave(dlist_t *l, dlist_link_t *k, uv_timer_t *timer) {
    if (!dlist_on(l, k))
        return;
    dlist_unlink(l, k);
    if (!l->len)
        uv_timer_stop(timer);
}

/* x's drain, if under its time budget, is over (the transfer ended or left its try). */
void cafe__http_drain_forget(cafe__http_xfer_t *x);
/* A redirect curl is to follow has a body it reads first (libcurl 7.88 keeps the connection
 * so): the body is given a drain's time, CAFE__HTTP_DRAIN_MS, after which the request goes on
 * from the Location without it (cafe__http_redirect_cut). hops: curl's count of redirects
 * followed before this one. body.c. */
void cafe__http_redirect_watch(cafe__http_xfer_t *x, long hops);

/* x's body moved and its on_body wants more (opts.idle_ms set): its pauses are told to
 * on_body from the first call on, until cafe__http_idle_forget (the transfer ended, stopped
 * early or left its try). idle.c. */
void cafe__http_idle_stamp(cafe__http_xfer_t *x);
void cafe__http_idle_forget(cafe__http_xfer_t *x);

/* pace.c: the limits' rate, host interval and host backoff. */
/* Waits (a task sleep, FIFO per host) until a try to h may start; *epoch notes the host's
 * state for cafe__http_pace_stale. 0 or the sleep's CAFE_ECANCELED/CAFE_ETIMEDOUT. */
int cafe__http_pace_wait(cafe__http_client_t *c, cafe__http_host_t *h, uint32_t *epoch, int *held);
/* Ends a turn pace_wait granted with *held set: `sent` when the try's request went out (or
 * the try ended: it counts as a try all the same), 0 when the turn is given back unused. */
void cafe__http_pace_done(cafe__http_client_t *c, cafe__http_host_t *h, int sent);
/* Nonzero when h was slowed since the wait that gave epoch: the try must wait again. */
int cafe__http_pace_stale(const cafe__http_host_t *h, uint32_t epoch);
/* How a try started at epoch was answered (status 0: no answer), and how long its
 * Retry-After asks to wait (0: none; already capped). */
void cafe__http_pace_report(cafe__http_client_t *c, cafe__http_host_t *h, uint32_t epoch,
                            long status, uint64_t pause_ms);
/* Nonzero when h's pace holds nothing back any more: its entry may be freed. */
int cafe__http_pace_idle(const cafe__http_client_t *c, const cafe__http_host_t *h);

/* request.c */
int cafe__http_status_retryable(const cafe_http_opts_t *o, long status);
/* A Retry-After of `seconds` (-1: none) as a wait in ms, capped at retry_after_max_ms. */
uint64_t cafe__http_retry_after_ms(const cafe_http_opts_t *o, int64_t seconds);

/* finish.c: curl finished x with `code`: fill the try's result, wake its task, pool x. */
void cafe__http_xfer_done(cafe__http_xfer_t *x, CURLcode code);
/* Fills t->res's status, http_version, content_type, charset and url from curl's view of the
 * response. */
void cafe__http_meta_fill(cafe__http_xfer_t *x, const cafe__http_try_t *t);
/* The value of header `name` of the last response, "" when absent. */
const char *cafe__http_header_value(CURL *e, const char *name);
/* The redirects o lets one request follow in all, whichever follows them (curl or cafe). */
long cafe__http_max_redirects(const cafe_http_opts_t *o);
/* The words of a request stopped for following more than max redirects. */
#define CAFE__HTTP_TOO_MANY_FMT "too many redirects: Maximum (%ld) redirects followed"

/* Of a header's `amount` values, the i-th compared when at most max are (i < max, i <
 * amount): the first max - 1 and the last, which libcurl 7.88 takes where it takes the last
 * (Content-Length), so a value that differs cannot hide past the cap. */
static inline size_t cafe__http_value_index(size_t i, size_t amount, size_t max) {
    return amount <= max || i + 1 < max ? i : amount - 1;
}

/* A new connection or request of the transfer is starting: a message in the error buffer
 * now is about a failure curl chose to get over (a kept connection the server had dropped,
 * then tried again on a new one). libcurl 7.88 writes only the first message of a transfer
 * (Curl_failf) and would leave that one as the final failure's detail: emptied, the detail is
 * then curl_easy_strerror's, or a message curl may write again. Called by io.c and
 * private.c at every socket opened and request sent. */
static inline void cafe__http_errbuf_forget(cafe__http_xfer_t *x) {
    if (x->errbuf[0])
        x->errbuf[0] = '\0';
}

/* redirect.c: nonzero when the request about to go out (on_prereq) follows a redirect to
 * the page that answered it (x->loop), or goes where a browser would not (x->relocate): it
 * is not sent. */
int cafe__http_redirect_check(cafe__http_xfer_t *x);
/* redirect.c: whether curl, about to resolve a redirect's host or to open a connection for
 * it, goes where a browser would not (then x->relocate, x->bad_location or x->bad_port is set
 * and the lookup or connection is not made). */
int cafe__http_redirect_resolving(cafe__http_xfer_t *x);
/* redirect.c: curl, following a redirect, is about to resolve a name cafe has not (its
 * Location is where a browser goes too): x->relocate is set to that target, reached after
 * curl's redirects so far, and 1 returned; the transfer stops there and the request goes on
 * from it once cafe has resolved the name, not asking the redirecting page again. 0 when
 * curl is at no new redirect (its first URL, or a hop's request tried again), or out of
 * memory. */
int cafe__http_redirect_go_on(cafe__http_xfer_t *x);
/* redirect.c: the port http(s) URL url names after its host (0-99999), or -1 for none. */
long cafe__http_url_port(const char *url);
/* redirect.c: the port of http(s) URL url when a redirect there is refused: 0, or one of the
 * Fetch standard's bad ports, which browsers refuse to fetch from; else -1. */
long cafe__http_url_refused_port(const char *url);
/* redirect.c: the failure of a redirect to refused port port, in res
 * (CAFE_EHTTP_REDIRECT_PROTOCOL). */
int cafe__http_port_refusal(cafe_http_result_t *res, long port);
/* redirect.c: whether curl, failing on a redirect's Location it could not parse (code), was
 * given one a browser follows (then x->relocate is set), refuses (x->bad_location) or reads
 * as the page itself (x->loop). */
int cafe__http_redirect_malformed(cafe__http_xfer_t *x, CURLcode code);
/* redirect.c: the redirect whose body x's watch was for is still being read: x->relocate is
 * set to its Location (or x->bad_location, x->location_conflict) and 1 returned, the transfer
 * to be ended; 0 when curl has followed it meanwhile, or out of memory. */
int cafe__http_redirect_cut(cafe__http_xfer_t *x);
/* redirect.c: 1 for the statuses browsers follow a Location with (301, 302, 303, 307, 308). */
int cafe__http_redirect_status(long status);
/* redirect.c: CURLOPT_HEADERFUNCTION: a 101 ends the transfer (x->switched); while redirects
 * are followed, a 3xx that is no redirect (cafe__http_redirect_status) turns following off for
 * the rest of the transfer. */
size_t cafe__http_on_header(char *line, size_t size, size_t n, void *xfer);

/* curl_error.c: x ended with curl's failure cc: sets res->error and res->message (cafe's
 * words, then curl's message as the detail) and returns the CAFE_E* code. */
int cafe__http_curl_failure(cafe__http_xfer_t *x, CURLcode cc, cafe_http_result_t *res);

/* curl_error.c: the status the proxy answered the transfer's CONNECT with when it refused
 * the tunnel (300 and up; libcurl 7.88 then fails with CURLE_RECV_ERROR, as for a lost
 * connection), 403 when a SOCKS proxy refused it by its policy (its rules, credentials),
 * else 0. */
long cafe__http_tunnel_refused(CURL *e, CURLcode cc);

/* Gives res the body x kept (res owns it then) and the count of all x decoded: at a
 * transfer's end, and when the task stops waiting for it (cancel, deadline), as a timeout's
 * result keeps what came. */
void cafe__http_body_hand(cafe__http_xfer_t *x, cafe_http_result_t *res);
/* Sets res->error/message for a failure cafe found itself (not curl). */
int cafe__http_fail(cafe_http_result_t *res, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define CAFE__HTTP_DRAIN_SMALL (16u * 1024u)
/* A request's time limit per attempt (opts.timeout_ms, or its default). */
static inline uint64_t cafe__http_timeout_ms(const cafe_http_opts_t *o) {
    return o->timeout_ms ? o->timeout_ms : CAFE_HTTP_DEFAULT_TIMEOUT_MS;
}

/* libcurl's receive buffer: its default, and the size an HTTP/2 head needs (xfer.c). */
#define CAFE__HTTP_CURL_BUFFER 16384L
#define CAFE__HTTP_H2_BUFFER (128L * 1024L)
/* Trailer bytes a response may have (cafe__http_on_header): libcurl 7.88 caps a head's lines
 * at this (its own 300 KiB) but keeps trailers without end. */
#define CAFE__HTTP_TRAILERS_MAX (300u * 1024u)
/* The time a drain of CAFE_HTTP_STOP_AUTO may take (ms). The title is kept already: the rest
 * is read only to keep the connection, which saves a new one, a round trip or two (three
 * with TLS) on most paths. A rest that takes longer is not worth it, and a server that
 * stalls there would hold the try's transfer slot until the timeout. */
#define CAFE__HTTP_DRAIN_MS 1000u

#endif
