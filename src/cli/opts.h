/* Command-line options of `cafe titles` (and the defaults the man page documents). */
#ifndef CAFE_CLI_OPTS_H
#define CAFE_CLI_OPTS_H

#include "format.h"

#include <stddef.h>
#include <stdint.h>

#define CLI_MAX_LIST 64 /* -H and --resolve entries */

typedef struct cli_opts {
    const char *input;  /* FILE or "-" */
    const char *output; /* -o FILE, NULL = stdout */
    record_format_t fmt;
    int unordered, sync, quiet, fail, resume, drain, insecure, no_private;
    size_t concurrency;     /* -c, default 100 */
    size_t per_host;        /* --per-host, default 8 */
    size_t max_connections; /* curl's connection cache; 0 = the library's default */
    double rate;            /* --rate requests/s overall, 0 = unlimited */
    uint64_t host_interval_ms;
    uint64_t timeout_ms, connect_timeout_ms;
    int attempts; /* 1 + --retries */
    int max_redirects;
    size_t max_bytes;
    const char *user_agent;
    const char *scheme; /* for bare hosts */
    const char *ca_file;
    const char *headers[CLI_MAX_LIST + 1];
    const char *resolve[CLI_MAX_LIST + 1];
    size_t nheaders, nresolve;
    const char *queue; /* --queue REDIS_URL: a worker of a shared queue (see queue.h) */
    uint64_t lease_ms; /* --lease, default 60 s */
    int follow;        /* --follow: wait for more URLs when the queue is empty */
    const char *db;    /* --db SPEC (or -o PATH.sqlite): records go to a database */
    int argc;          /* the command line, for the database's runs table */
    char **argv;
} cli_opts_t;

/* Parses argv of `cafe titles` (argv[0] is "titles"). Returns 0, or 2 after printing a
 * usage error on stderr, or -1 when --help/--version printed and the program should exit 0. */
int cli_opts_parse(cli_opts_t *o, int argc, char **argv);

void cli_usage_titles(FILE *f);

#endif
