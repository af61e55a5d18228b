/* --threads: which worker an origin's URLs go to. An origin (scheme, host and port, as the
 * HTTP client keys its hosts) stays with the worker it went to while it has URLs out there,
 * and for `affinity_ms` after its last one came back, so that its connections, --per-host,
 * --host-interval and any 429/503 slow-down stay in one client; a new origin goes to the
 * worker with the fewest URLs out, so that the workers share the work however few the hosts.
 * The table holds the origins with URLs out, and at most ORIGINS_IDLE_MAX idle ones. */
#ifndef CAFE_CLI_ORIGINS_H
#define CAFE_CLI_ORIGINS_H

#include "dlist.h"

#include <stddef.h>
#include <stdint.h>

#define ORIGINS_IDLE_MAX 65536

typedef struct cli_origin cli_origin_t;

/* Plain memory of the main loop: cli_origins_init, then cli_origins_free. */
typedef struct cli_origins {
    cli_origin_t **buckets;
    size_t nbuckets, n;
    dlist_t idle; /* origins with no URL out, most recently idle first */
    size_t *load; /* per worker: URLs out */
    size_t out;   /* URLs out in all */
    size_t workers;
    uint64_t affinity_ms;
} cli_origins_t;

/* 0, or CAFE_ENOMEM. */
int cli_origins_init(cli_origins_t *t, size_t workers, uint64_t affinity_ms);
void cli_origins_free(cli_origins_t *t);
/* The worker for url's origin, with one more URL out there; *entry is for cli_origins_back
 * (NULL when memory ran out: the origin's hash then picks the worker, statelessly). */
size_t cli_origins_take(cli_origins_t *t, const char *url, uint64_t now_ms, cli_origin_t **entry);
/* A URL taken with entry came back from worker w. */
void cli_origins_back(cli_origins_t *t, cli_origin_t *entry, size_t w, uint64_t now_ms);

#endif
