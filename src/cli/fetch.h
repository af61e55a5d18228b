/* One URL's way through: HTTP GET streamed into a title extractor, into a record. */
#ifndef CAFE_CLI_FETCH_H
#define CAFE_CLI_FETCH_H

#include "cafe.h"
#include "opts.h"
#include "record.h"

/* Title extractors that finished, kept for the next URLs: a reset costs a fraction of
 * cafe_title_create's allocation and set-up, which every URL paid. It holds at most as many
 * as were in use at once. Used by the tasks of one loop; zero-initialised; freed with
 * cli_fetch_pool_free once no fetch uses it. */
typedef struct cli_fetch_pool {
    cafe_title_t **idle;
    size_t n, cap;
} cli_fetch_pool_t;

/* Fetches r->url (already normalised) and fills the rest of r. Runs inside a task; only
 * that task waits. on_start(start_arg), when not NULL, is told when the request leaves the
 * limits' queues for the network (cafe_http_opts_t.on_start), on_retry(start_arg, waiting)
 * between its tries (cafe_http_opts_t.on_retry). The extractor comes from pool and goes back
 * to it (pool NULL: created and freed here). Returns r->error. */
int cli_fetch(const cli_opts_t *o, record_t *r, cafe_http_start_cb on_start,
              cafe_http_retry_cb on_retry, void *start_arg, cli_fetch_pool_t *pool);
void cli_fetch_pool_free(cli_fetch_pool_t *pool);
/* Counts SIGCONTs (a handler, SA_RESTART), so that cli_fetch sends again a request that
 * timed out while the process was stopped. Once, before fetching. 0, or -1. */
int cli_fetch_count_stops(void);

/* What kind of outcome r is, for the summary's counts. */
enum cli_kind {
    CLI_KIND_OK,
    CLI_KIND_HTTP,
    CLI_KIND_TIMEOUT,
    CLI_KIND_CONNECT,
    CLI_KIND_DNS,
    CLI_KIND_TLS,
    CLI_KIND_URL,
    CLI_KIND_REDIRECT,
    CLI_KIND_PRIVATE,
    CLI_KIND_OTHER,
    CLI_KINDS
};
/* From a record's error code and HTTP status. */
int cli_error_kind(int error, long status);
/* Its short name: "ok", "http", "timeout", ... */
const char *cli_kind_name(int kind);

#endif
