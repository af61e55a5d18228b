/* `cafe serve` internals: one process, one cafe loop. libmicrohttpd parses HTTP on the loop
 * (its epoll descriptor watched by a uv_poll, its timeouts by a uv_timer); requests that
 * wait (a title fetch, a results stream) are suspended in libmicrohttpd and resumed by the
 * task that finished their work. Fetching is `cafe titles`'s own code (cli_fetch) under the
 * loop's HTTP limits (-c, per host, rate, host interval, 429 backoff), which every request
 * and job shares. */
#ifndef CAFE_SERVE_SRV_H
#define CAFE_SERVE_SRV_H

#include "cafe.h"
#include "dlist.h"
#include "fetch.h"
#include "opts.h"
#include "record.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>
#include <uv.h>

typedef struct srv_opts {
    const char *listen; /* HOST:PORT, default 127.0.0.1:8080 */
    const char *token;  /* required as "Authorization: Bearer TOKEN" on the API; NULL = none */
    int allow_private, quiet;
    uint64_t cache_ttl_ms;
    size_t cache_bytes;
    size_t max_job_urls, max_body, max_jobs, max_connections, jobs_kept;
    size_t max_client_jobs;        /* of max_jobs, those one client may hold (srv_client_of) */
    size_t max_client_lookups;     /* title lookups fetching at once for one client */
    size_t max_client_connections; /* connections open at once from one peer (peers.c) */
    const char *client_header;     /* a proxy's header naming the client (X-Real-IP); NULL: none */
    uint64_t header_timeout_ms, request_timeout_ms, shutdown_grace_ms;
    uint64_t sse_ping_ms; /* an idle SSE results stream's comment period; 0 = none */
    const char *data_dir; /* job spools; NULL = an unlinked file in $TMPDIR */
    char jobs_dir[4096];  /* data_dir's text when it comes from --db sqlite:PATH (PATH.jobs) */
    const char *db;       /* --db SPEC: every job's records also go to this database */
    cli_opts_t fetch;     /* how each URL is fetched: `cafe titles`'s options */
} srv_opts_t;

/* Routes, for dispatch and for the metrics' labels. */
enum {
    SRV_R_NOTFOUND,
    SRV_R_PAGE,
    SRV_R_HEALTHZ,
    SRV_R_READYZ,
    SRV_R_METRICS,
    SRV_R_TITLE,
    SRV_R_JOBS,
    SRV_R_JOB,
    SRV_R_RESULTS,
    SRV_ROUTES
};

#define SRV_LAT_BUCKETS 11
typedef struct srv_metrics {
    uint64_t requests[SRV_ROUTES];
    uint64_t responses[6]; /* by status class: [2] = 2xx ... [5] = 5xx */
    uint64_t fetches, fetch_failures, cache_hits, cache_misses, cache_joined, cache_evicted;
    uint64_t lat_le[SRV_LAT_BUCKETS]; /* fetch latency: count at or under each bound */
    uint64_t lat_count, lat_sum_ms;
    uint64_t jobs_created, jobs_finished, jobs_cancelled, job_urls_done, refused;
    uint64_t conns_refused; /* at accept, for --max-client-connections */
} srv_metrics_t;

typedef struct srv_entry srv_entry_t;
typedef struct srv_cache {
    srv_entry_t **buckets;
    size_t nbuckets, entries, bytes;
    dlist_t lru;           /* ready entries only, most recently used first */
    unsigned char key[16]; /* the hash's secret key, random for each process */
} srv_cache_t;

typedef struct srv_conn srv_conn_t;
typedef struct srv_peer srv_peer_t;
typedef struct srv_job srv_job_t;
typedef struct srv_req srv_req_t;

typedef struct srv {
    srv_opts_t o;
    cafe_loop_t *loop;
    uv_loop_t *uv;
    struct MHD_Daemon *d;
    int listen_fd; /* ours until libmicrohttpd takes it; then -1 */
    int quiesced;
    char origin[96]; /* http://HOST:PORT */
    uv_poll_t poll;
    uv_timer_t timer, kick, sweep, ping;
    uint64_t swept_ms;  /* when the sweep last ran (httpd.c: on_sweep) */
    int handles;        /* libuv handles open; freed when they are all closed */
    dlist_t conns;      /* the open client connections, conns.len of them */
    srv_peer_t **peers; /* their peers' addresses, each with its count (peers.c) */
    size_t npeers_buckets;
    int closed;  /* a connection closed in the MHD_run under way (httpd.c) */
    int closing; /* MHD_stop_daemon is closing every connection */
    /* Connections whose first bytes have not come yet, in an epoll set of their own: looked
     * at before libmicrohttpd reads them (httpd.c, first_bytes) */
    int fresh_ep;
    size_t fresh;
    srv_cache_t cache;
    srv_job_t *jobs; /* newest first */
    uint64_t next_job_id;
    size_t jobs_running, jobs_queued, fetching; /* queued: waiting for --max-jobs */
    size_t runs_ending;      /* database runs of queued jobs that ended, being ended */
    size_t body_bytes;       /* memory of the job lists being received (srv_req_t.body_cap) */
    size_t title_tasks;      /* title lookups waiting for a fetch, their clients gone or not */
    dlist_t title_fetches;   /* the lookups fetching (cache.c's title_call_t), by client */
    cli_fetch_pool_t titles; /* idle title extractors, reused fetch after fetch */
    /* The transfers every job's workers may hold at once: -c less the title lookups' share
     * (srv_job_fetches), so that jobs of slow pages cannot take every slot from them. */
    cafe_sem_t job_fetches;
    /* Hosts of the jobs' fetches holding or waiting for a share permit (fetch.c): --per-host
     * of them at once each, so that a host's queue holds none of the share. */
    struct srv_host *job_hosts[256];
    cafe_group_t tasks; /* every request task and job task */
    /* The tasks ending the database runs of queued or interrupted jobs a DELETE cancelled:
     * apart, so that the stop's cancellation of `tasks` never cuts one (a DELETE answered
     * while it is under way would leave the run unended, its sink open). */
    cafe_group_t run_ends;
    int stopping;
    uint64_t stop_until_ms; /* stopping: the end of --shutdown-grace (srv_now's clock) */
    uint64_t started_ms;
    struct MHD_Response *healthz; /* prepared once: the cheapest answer */
    /* /readyz's probe of --db (ready.c): under way, its last result and when, and the
     * requests waiting for the probe under way (on their wait link) */
    int ready_probing, ready_rc;
    uint64_t ready_ms;
    char ready_why[256];
    dlist_t ready_waiting;
    srv_metrics_t m;
} srv_t;

/* One HTTP request (libmicrohttpd's per-request context). Freed when libmicrohttpd says the
 * request is over and no task holds it (refs). */
struct srv_req {
    srv_t *srv;
    struct MHD_Connection *conn;
    int route, refs, suspended, done;
    int gone;    /* its client closed the connection while it was suspended: end it */
    void *title; /* GET /v1/title waiting for another's fetch: its call (cache.c) */
    char *body;  /* POST /v1/jobs only: other routes' bodies are counted in body_len, not kept */
    size_t body_len, body_cap;
    int body_refused;    /* its answer (413, 503) is prepared; the rest of the body is dropped */
    size_t body_dropped; /* bytes of body dropped since */
    unsigned status;     /* with resp: the answer to queue at the next handler call */
    struct MHD_Response *resp;
    int resp_shared; /* resp is a prepared answer someone else owns (a cache entry's) */
    /* Results streaming (results.c). */
    srv_job_t *job;
    uint64_t cursor;
    uint64_t skip; /* ?offset: records the client has already, not sent again */
    int fmt, ended, header_done;
    int by_done; /* ?order=done: records as they were stored, not in input order */
    int ping;    /* SSE: resumed by the --sse-ping timer; a comment if nothing else is due */
    char *pend;
    size_t pend_len, pend_off;
    dlist_link_t wait; /* on the job's list of streams waiting for records while suspended */
};

/* opts.c */
/* Parses argv (argv[0] is "serve"): 0, 2 after a usage error on stderr, or -1 after --help
 * (exit 0). */
int srv_opts_parse(srv_opts_t *o, int argc, char **argv);

/* httpd.c: libmicrohttpd on the loop. */
int srv_httpd_start(srv_t *s);
void srv_httpd_quiesce(srv_t *s); /* stop accepting */
void srv_httpd_stop(srv_t *s);    /* close every connection, free the daemon */
void srv_suspend(srv_req_t *r);
void srv_resume(srv_req_t *r); /* from a task or callback: the handler runs again soon */
void srv_req_ref(srv_req_t *r);
void srv_req_unref(srv_req_t *r);
/* Connection bookkeeping for the header/request deadlines (the slowloris guard). */
void srv_conn_request_started(srv_t *s, struct MHD_Connection *conn, const char *version);
/* n bytes of the request's body came: a body that keeps coming keeps its connection. */
void srv_conn_body_came(srv_t *s, struct MHD_Connection *conn, size_t n);
/* conn is answered before its body is read: libmicrohttpd closes it after the answer. */
void srv_conn_closes(struct MHD_Connection *conn);
void srv_conn_request_answered(srv_t *s, struct MHD_Connection *conn);
/* The URI callback read a request's target: libmicrohttpd could parse its request line. */
void srv_conn_target_seen(struct MHD_Connection *conn);
/* The handler is about to return MHD_NO: the connection is closed by the service's choice,
 * with no answer (answer_unread gives none). */
void srv_conn_drop(struct MHD_Connection *conn);

/* router.c */
/* Frees r's body, and gives its memory back to the job lists' budget. */
void srv_body_free(srv_req_t *r);
enum MHD_Result srv_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls);
/* libmicrohttpd's URI callback, given each request's target as it came (before decoding):
 * its return value is the request's first *con_cls, NULL or a mark that srv_on_request
 * refuses it by (and on_completed has nothing to free of): srv_target_refused gives 1 for a
 * target with %00 in it, 2 for one with a space or a control character, 3 for one of more
 * than 64 query parameters, 0 for anything else. */
void *srv_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
int srv_target_refused(const void *con_cls);

/* reply.c: every answer goes through these (security headers, JSON errors). Each prepares
 * r->resp / r->status; router.c queues it. Return 0 or CAFE_ENOMEM. */
int srv_reply(srv_req_t *r, unsigned status, const char *ctype, const void *data, size_t len,
              int copy);
int srv_reply_error(srv_req_t *r, unsigned status, const char *msg);
/* A JSON string of text s, which need not be UTF-8 (what a client sent, a database's message
 * cut in the middle of a character, a file from a damaged disk): jansson refuses such a string,
 * so each bad sequence becomes one U+FFFD (cafe_utf8_repair). NULL when out of memory. */
json_t *srv_json_text(const char *s);
/* A 429 or 503 for a limit reached (msg says which), with Retry-After: retry_after_s. */
void srv_reply_busy(srv_req_t *r, unsigned status, const char *retry_after_s, const char *msg);
/* 503 with msg for a request the stopping service will not serve, with Retry-After; and
 * that header alone, on an answer of the stopping service prepared for this request. */
void srv_reply_stopping(srv_req_t *r, const char *msg);
void srv_retry_after_stopping(srv_req_t *r);
/* Answers with a prepared response that stays its owner's (libmicrohttpd counts its uses). */
void srv_reply_shared(srv_req_t *r, unsigned status, struct MHD_Response *resp);
void srv_headers_common(struct MHD_Response *resp, const char *ctype);

/* charset.c: a job list's body as UTF-8, by its Content-Type ct's charset (or UTF-16's byte
 * order mark). 0: the list is (*out ? *out : body) + *off, *out_len bytes (*out, NUL-ended,
 * is the caller's to free; at most max bytes); else the status to refuse it with (400, 413,
 * 415, 503) and why. */
/* Whether Content-Type ct names a JSON list: application/json, or a type of JSON's structured
 * syntax suffix (RFC 6839: application/ld+json, application/vnd.api+json), which clients send
 * for JSON too and which was read as text lines (a job of one record, the array's text).
 * Compared without case, as HTTP says, and whole (up to its parameters), so that
 * "Application/JSON; charset=utf-8" is JSON and "application/jsonl" is not. */
int srv_media_type_json(const char *ct);
/* At a job list's head, before its body is sent: 0, or the status (400, 415) to refuse a
 * Content-Type whose charset srv_body_utf8 would refuse whatever the body, and why. */
unsigned srv_body_charset_check(const char *ct, char *why, size_t size);
unsigned srv_body_utf8(const char *ct, int json, const char *body, size_t len, size_t max,
                       char **out, size_t *off, size_t *out_len, char *why, size_t size);

/* cache.c: LRU bounded in bytes, TTL, single-flight. */
int srv_cache_init(srv_cache_t *c); /* 0, or CAFE_EIO without a random key */
void srv_cache_free(srv_cache_t *c);
void srv_title_get(srv_req_t *r, const char *url);
/* r's client left while r waited for another lookup's fetch: the wait ends now. */
void srv_title_gone(srv_req_t *r);

/* fetch.c: one URL under the shared limits (format_record_dup gives the record's text). */
int srv_fetch(srv_t *s, record_t *rec);
/* Of -c transfers, those the jobs may hold together: a tenth (at least one) stays for title
 * lookups, but for -c 1, which has none to spare. */
size_t srv_job_fetches(size_t concurrency);
/* A job's URL: srv_fetch within the jobs' share of -c. 0, or CAFE_ECANCELED when the task
 * was cancelled before it could fetch (rec untouched). */
int srv_job_fetch(srv_t *s, record_t *rec);

/* jobs.c, results.c */
void srv_jobs_post(srv_req_t *r);
/* Whether --max-jobs jobs run or wait, so that a new one is refused: with srv_jobs_refuse's
 * 429, at the head of the POST (its list not sent for nothing) and again after its body. */
int srv_jobs_full(const srv_t *s);
void srv_jobs_refuse(srv_req_t *r);
/* Whether the client that sent r holds --max-client-jobs jobs (running or queued), so that
 * its next one is refused: then 1, r answered 429, at the head and again after the body. */
int srv_jobs_client_refused(srv_req_t *r);
void srv_job_get(srv_req_t *r, const char *rest, const char *method);
void srv_jobs_cancel_all(srv_t *s);
/* Jobs running, and database runs of queued jobs that ended being ended: what a stop waits
 * for. */
size_t srv_jobs_running(const srv_t *s);
void srv_jobs_free(srv_t *s);
/* --data-dir: loads its jobs; finished ones are shown, unfinished ones resume. */
int srv_persist_load(srv_t *s);
/* Forgets the oldest finished jobs past --jobs-kept (after loading them). */
void srv_jobs_trim(srv_t *s);
void srv_results_start(srv_req_t *r, srv_job_t *job, const char *method);
void srv_results_detach(srv_req_t *r);
/* Resumes every SSE stream waiting for a record, to send a comment (--sse-ping). */
void srv_results_ping(srv_t *s);

/* client.c: who sent a request, for --max-client-jobs: --client-header's address (its last,
 * the proxy's own), else the peer's; an IPv6 address by its /64. */
#define SRV_CLIENT_MAX 64
void srv_client_of(const srv_t *s, struct MHD_Connection *conn, char *out, size_t size);

/* peers.c: connections by peer address (an IPv6 one by its /64), for
 * --max-client-connections. srv_peers_init after the cache's (its key): 0 or CAFE_ENOMEM. */
int srv_peers_init(srv_t *s);
void srv_peers_free(srv_t *s);
/* Whether a new connection from sa is under the limit (libmicrohttpd's accept policy). */
int srv_peer_admitted(srv_t *s, const struct sockaddr *sa);
/* Counts a connection of sa's (NULL without memory: then uncounted); srv_peer_del uncounts. */
srv_peer_t *srv_peer_add(srv_t *s, const struct sockaddr *sa);
void srv_peer_del(srv_t *s, srv_peer_t *p);

/* origin.c: NULL when an API request may go on; why not when a browser sent it for a page
 * of another origin, or, without a token, under a name that is not loopback (DNS rebinding). */
const char *srv_request_foreign(const srv_t *s, struct MHD_Connection *conn);
/* router.c: every line of the request's header name (a list field: RFC 9110, 5.3, says
 * lines of the same name are one list), joined with ", ", to be freed; NULL without one (or
 * without the memory). */
char *srv_header_list(struct MHD_Connection *conn, const char *name);

/* ready.c: GET /readyz (with --db, answered once a probe of the database has ended), and
 * the end of a request waiting for that probe. */
void srv_ready_reply(srv_req_t *r);
void srv_ready_detach(srv_req_t *r);

/* metrics.c, page.c */
void srv_metrics_fetch(srv_t *s, const record_t *rec);
void srv_metrics_reply(srv_req_t *r);
void srv_page_reply(srv_req_t *r, const char *path);

/* Monotonic milliseconds of the loop. */
uint64_t srv_now(const srv_t *s);

/* In an 8-bit locale (term_locale_8bit), the log (stderr) becomes a stream that writes each
 * non-ASCII character as \uNNNN, as cafe's messages are there (msg_ascii), and messages are
 * made in UTF-8 (msg_ascii_unset): the same text goes to the API too (a job's error), whose
 * JSON is UTF-8 whatever the locale, and must carry the real text, not a terminal's escapes.
 * Elsewhere nothing changes. Before any thread starts; the stream lives as the process. */
void srv_log_escape(void);

#endif
