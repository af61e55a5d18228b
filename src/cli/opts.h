/* Command-line options of `cafe titles`: its option table (opts.c) makes the parser, --help
 * and the man page's option list. */
#ifndef CAFE_CLI_OPTS_H
#define CAFE_CLI_OPTS_H

#include "format.h"
#include "optabs.h"

#include <stddef.h>
#include <stdint.h>

/* -H, --resolve, --resolver: values at most (more is a mistake, and a long header). */
#define CLI_LIST_MAX 64

typedef struct cli_opts {
    struct cli_inputs { /* FILE... ("-": standard input); none and no -u: standard input */
        const char **v; /* as many as the command line holds (heap: cli_opts_free) */
        size_t n;
    } inputs;
    cli_list_t urls;    /* -u URL... */
    const char *output; /* -o FILE, NULL = stdout */
    record_format_t fmt;
    int unordered, sync, quiet, fail, resume, drain, insecure, no_private;
    int no_detect;          /* --no-detect: undeclared encodings stay windows-1252 */
    size_t concurrency;     /* -c */
    size_t concurrency_max; /* the most -c can be: its option's maximum, or what ulimit -n
                               fits (fd_limit, 0: none) when less; set by cafe titles' start */
    unsigned long long fd_limit;
    size_t per_host;        /* --per-host */
    int per_host_given;     /* on the command line: --threads capping it is said */
    size_t threads;         /* --threads: loops fetching, each on its own thread */
    size_t max_connections; /* curl's connection cache; 0 = the library's default */
    double rate;            /* --rate requests/s overall, 0 = unlimited */
    uint64_t host_interval_ms;
    uint64_t timeout_ms, connect_timeout_ms;
    int retries; /* attempts after the first */
    int max_redirects;
    size_t max_bytes;
    const char *user_agent;
    const char *scheme; /* for bare hosts */
    const char *ca_file;
    const char *ca_path; /* --capath or SSL_CERT_DIR's, curl's CApath; NULL: none */
    const char *proxy;   /* -x; NULL: the environment's */
    cli_list_t headers, resolve;
    cli_list_t resolvers;   /* --resolver IP[:PORT], repeatable */
    size_t dns_concurrency; /* --dns-concurrency */
    const char *queue;      /* --queue REDIS_URL: a worker of a shared queue (see queue.h) */
    uint64_t lease_ms;      /* --lease */
    int follow;             /* --follow: wait for more URLs when the queue is empty */
    const char *db;         /* --db SPEC (or -o PATH.sqlite): records go to a database */
    int argc;               /* the command line, for the database's runs table */
    char **argv;
} cli_opts_t;

/* The check of a file or directory name (-o, --data-dir): not empty. */
const char *cli_name_check(const char *value);
/* The check of --scheme's value (optab.h's cli_optcheck_fn): http or https. */
const char *cli_scheme_check(const char *value);
/* NULL when value names a database (sink_db_is_spec), else what is wrong. */
const char *cli_db_spec_check(const char *value);
/* The check of -A's value, and of any sent on the wire: no control character but tab. */
const char *cli_wire_check(const char *value);
/* The check of --cacert's value: NULL when it is a readable file with a PEM certificate. */
const char *cli_cacert_check(const char *value);
/* The check of --capath's value: NULL when each of its ':'-separated directories is there. */
const char *cli_capath_check(const char *value);
/* Without o->ca_file (--cacert), o->ca_path (--capath) and -k, sets them from curl's variables
 * as curl's tool reads them: CURL_CA_BUNDLE, else SSL_CERT_DIR and SSL_CERT_FILE (each left
 * NULL when it names libcurl's own bundle or directory and the other adds nothing). A file
 * that is no CA file, or a directory not there, is taken too, after a warning "cafe CMD:
 * warning: VARIABLE: ...": the HTTPS URLs fail, as with curl, and the others are fetched. */
void cli_ca_env_read(const char *cmd, cli_opts_t *o);
/* The first of curl's proxy variables (http_proxy, https_proxy/HTTPS_PROXY, all_proxy/
 * ALL_PROXY; none when no_proxy is '*') whose value is no proxy libcurl can use: returns why,
 * and sets *name and *shown, the value for a message: its password masked (user:***@, as a
 * CI log keeps the message), malloc'd (the caller frees it; NULL when out of memory). NULL
 * when every one set is good. */
const char *cli_proxy_env_bad(const char **name, char **shown);

/* Parses argv of `cafe titles` (argv[0] is "titles"). Returns 0, or 2 after printing a
 * usage error on stderr (also for out of memory), or -1 when --help/--version printed and
 * the program should exit 0. After 0, o holds memory until cli_opts_free; otherwise none. */
int cli_opts_parse(cli_opts_t *o, int argc, char **argv);
/* Frees what cli_opts_parse allocated; o's strings stay argv's. Safe twice. */
void cli_opts_free(cli_opts_t *o);

#endif
